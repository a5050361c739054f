"""The classic associative-memory experiments, as functions returning plain results.

- :func:`capacity_curve`: recall quality against load P/N and cue noise, vmapped over
  independent networks (trials);
- :func:`basin_of_attraction`: probability of recall against the cue's Hamming distance;
- :func:`spurious_states`: where random starts end (stored patterns, reversed
  patterns, mixtures, spin-glass states) and the stability of symmetric mixtures;
- :func:`dam_capacity`: the capacity of dense associative memories against the
  interaction order n and the size N;
- :func:`digits_completion`: pattern completion on scikit-learn's bundled handwritten
  digits, classical, dense and modern memories side by side.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._dense import DenseAssociativeMemory
from ._hopfield import Hopfield, corrupt, flip_exact, random_patterns
from ._modern import ModernHopfield


class CapacityCurve(NamedTuple):
    """Mean (and standard deviation over trials) of the final overlap with the cued pattern.

    ``overlap[i, j]`` is for ``loads[i]`` and ``noise[j]``; ``success[i, j]`` the fraction of
    cues recalled with overlap >= 0.95.
    """

    n_units: int
    loads: np.ndarray
    noise: np.ndarray
    overlap: np.ndarray
    overlap_std: np.ndarray
    success: np.ndarray


def capacity_curve(
    key,
    n_units: int,
    loads,
    noise=(0.0,),
    n_trials: int = 4,
    *,
    rule: str = "hebbian",
    mode: str = "async",
    max_sweeps: int = 100,
    max_cues: int = 200,
) -> CapacityCurve:
    """Final overlap with the cued pattern against load P/N and cue noise.

    For each load, ``n_trials`` independent networks of random patterns are built and
    recalled from every stored pattern (at most ``max_cues``) with each fraction of bits
    flipped in ``noise``; the trials are vmapped.

    Amit, Gutfreund & Sompolinsky (1985, Phys. Rev. Lett. 55:1530) predict for the
    Hebbian rule a first-order collapse of retrieval at the critical load 0.138.
    """
    loads = np.asarray(loads, float)
    noise = np.asarray(noise, float)
    mean = np.zeros((loads.size, noise.size))
    std = np.zeros_like(mean)
    succ = np.zeros_like(mean)
    for i, alpha in enumerate(loads):
        p = max(1, int(round(alpha * n_units)))
        n_cues = min(p, max_cues)

        def trial(k, p=p, n_cues=n_cues):
            kp, kc, kr = jax.random.split(k, 3)
            xi = random_patterns(kp, p, n_units)
            net = Hopfield(xi, rule=rule)
            cues = jnp.concatenate([corrupt(jax.random.fold_in(kc, j), xi[:n_cues], f) for j, f in enumerate(noise)])
            out = net.recall(cues, mode=mode, key=kr, max_sweeps=max_sweeps)
            m = out.overlaps[jnp.arange(cues.shape[0]), jnp.tile(jnp.arange(n_cues), noise.size)]
            return m.reshape(noise.size, n_cues)

        keys = jax.random.split(jax.random.fold_in(key, i), n_trials)
        m = np.asarray(jax.jit(jax.vmap(trial))(keys))  # (trials, noise, cues)
        mean[i] = m.mean((0, 2))
        std[i] = m.mean(2).std(0)
        succ[i] = (m >= 0.95).mean((0, 2))
    return CapacityCurve(n_units, loads, noise, mean, std, succ)


class Basin(NamedTuple):
    """Recall probability against cue distance (fraction of flipped bits)."""

    distances: np.ndarray
    recall_probability: np.ndarray
    radius: float  # the largest distance with recall probability >= 0.5


def basin_of_attraction(
    key, memory, distances, n_cues: int = 200, *, threshold: float = 0.95, max_sweeps: int = 100
) -> Basin:
    """Fraction of cues at each Hamming distance (fraction of bits) recalled to their pattern.

    Works for :class:`Hopfield` and :class:`DenseAssociativeMemory` (asynchronous, random
    order); cues are stored patterns with exactly ``round(d N)`` bits flipped.
    """
    xi = memory.patterns
    p, n = xi.shape
    distances = np.asarray(distances, float)
    prob = np.zeros(distances.size)
    idx = jnp.arange(n_cues) % p
    for j, d in enumerate(distances):
        kc, kr = jax.random.split(jax.random.fold_in(key, j))
        cues = flip_exact(kc, xi[idx], int(round(d * n)))
        out = memory.recall(cues, mode="async", key=kr, max_sweeps=max_sweeps)
        prob[j] = float(jnp.mean(out.overlaps[jnp.arange(n_cues), idx] >= threshold))
    ok = distances[prob >= 0.5]
    return Basin(distances, prob, float(ok.max()) if ok.size else 0.0)


class SpuriousStates(NamedTuple):
    """Where random initial states end, and how symmetric mixtures fare.

    ``fractions`` maps each class (``"retrieval"``, ``"reversed"``, ``"mixture"``,
    ``"spin_glass"``) to the fraction of random starts that end in it;
    ``mixture_overlaps`` are the final overlaps of the recall started from the symmetric
    3-mixture sign(xi1 + xi2 + xi3) with its three patterns (1/2 each for a stable
    mixture at low load, Amit, Gutfreund & Sompolinsky 1985).
    """

    fractions: dict
    final_overlaps: np.ndarray
    mixture_overlaps: np.ndarray
    mixture_stable: bool


def classify_states(overlaps, *, retrieval: float = 0.9, mixture: float = 0.25) -> np.ndarray:
    """Class of each final state from its overlaps ``(..., P)``: 0 retrieval, 1 reversed, 2 mixture, 3 spin glass."""
    m = np.asarray(overlaps)
    best = np.max(np.abs(m), -1)
    sign = np.take_along_axis(m, np.argmax(np.abs(m), -1)[..., None], -1)[..., 0]
    n_big = np.sum(np.abs(m) >= mixture, -1)
    cls = np.full(best.shape, 3)
    cls[(n_big >= 3) & (best < retrieval)] = 2
    cls[(best >= retrieval) & (sign > 0)] = 0
    cls[(best >= retrieval) & (sign < 0)] = 1
    return cls


def spurious_states(key, net: Hopfield, n_starts: int = 500, max_sweeps: int = 200) -> SpuriousStates:
    """Recall from ``n_starts`` random states and classify the fixed points reached."""
    if net.n_patterns < 3:
        raise ValueError(f"net must store at least 3 patterns for mixture states, got {net.n_patterns}")
    ks, kr, km = jax.random.split(key, 3)
    starts = random_patterns(ks, n_starts, net.n, net.weights.dtype)
    out = net.recall(starts, mode="async", key=kr, max_sweeps=max_sweeps)
    cls = classify_states(out.overlaps)
    names = ("retrieval", "reversed", "mixture", "spin_glass")
    fractions = {name: float(np.mean(cls == c)) for c, name in enumerate(names)}
    mix = jnp.sign(net.patterns[0] + net.patterns[1] + net.patterns[2])
    mo = net.recall(mix, mode="async", key=km, max_sweeps=max_sweeps)
    mov = np.asarray(mo.overlaps[:3])
    return SpuriousStates(fractions, np.asarray(out.overlaps), mov, bool(np.all(np.abs(mov - 0.5) < 0.1)))


class DamCapacity(NamedTuple):
    """Largest number of patterns stored stably, per order n and size N.

    ``capacity[i, j]`` for ``orders[i]`` and ``sizes[j]``; ``exponent[i]`` the fitted slope of
    log capacity against log N (Krotov & Hopfield 2016 predict n - 1, up to a log N factor).
    """

    orders: np.ndarray
    sizes: np.ndarray
    capacity: np.ndarray
    exponent: np.ndarray


def _stable_fraction(key, n_units, order, p_pool, n_test):
    """jit-compiled f(P): fraction of the first n_test patterns (of P stored) that are fixed points."""

    def f(p):
        xi = random_patterns(key, p_pool, n_units)
        mask = (jnp.arange(p_pool) < p).astype(xi.dtype)

        def stable(mu):
            s = xi[mu]
            a = xi @ s  # (P,)
            r = a[None, :] - xi.T * s[:, None]  # (N, P): overlaps without unit i
            fplus = jnp.maximum((r + xi.T) / n_units, 0.0) ** order
            fminus = jnp.maximum((r - xi.T) / n_units, 0.0) ** order
            diff = jnp.sum(mask * (fplus - fminus), -1)
            return jnp.all(diff * s > 0)

        ok = jax.lax.map(stable, jnp.arange(n_test))
        tested = jnp.arange(n_test) < p
        return jnp.sum(ok & tested) / jnp.minimum(p, n_test)

    return jax.jit(f)


def dam_capacity(key, orders=(2, 3), sizes=(20, 40, 80), *, n_test: int = 64, level: float = 0.5) -> DamCapacity:
    """Capacity of the rectified-polynomial dense memory against order n and size N.

    The capacity is the largest P for which at least ``level`` of the stored patterns
    are exact fixed points (found by bisection over P; the memory is built once per
    (n, N) with a mask over a pool of patterns, so the search compiles once).
    """
    orders = np.asarray(orders, int)
    sizes = np.asarray(sizes, int)
    cap = np.zeros((orders.size, sizes.size))
    for i, order in enumerate(orders):
        for j, n in enumerate(sizes):
            # Krotov & Hopfield's estimate N^(n-1) / (2 (2n-3)!! ln N), with room above it
            est = n ** (order - 1) / (2 * math.prod(range(2 * order - 3, 0, -2)) * math.log(n))
            p_pool = int(max(16, 8 * est))
            f = _stable_fraction(jax.random.fold_in(key, 1000 * i + j), int(n), int(order), p_pool, n_test)
            lo, hi = 1, p_pool
            if float(f(hi)) >= level:
                cap[i, j] = hi
                continue
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if float(f(mid)) >= level:
                    lo = mid
                else:
                    hi = mid
            cap[i, j] = lo
    expo = np.array([np.polyfit(np.log(sizes), np.log(cap[i]), 1)[0] for i in range(orders.size)])
    return DamCapacity(orders, sizes, cap, expo)


class DigitsCompletion(NamedTuple):
    """Pattern completion on handwritten digits.

    ``stored``: (10, 64) ±1 images (one per digit 0-9); ``cues``: (K, 64) corrupted copies;
    ``targets``: index of each cue's stored image; ``recalled[name]``: (K, 64) completions;
    ``accuracy[name]``: fraction of cues completed exactly (every pixel right);
    ``pixel_error[name]``: mean fraction of pixels that differ from the stored image.
    """

    stored: np.ndarray
    cues: np.ndarray
    targets: np.ndarray
    recalled: dict
    accuracy: dict
    pixel_error: dict


def load_digit_patterns(threshold: float = 8.0):
    """scikit-learn's bundled 8x8 digits (no download) as ±1 patterns ``(1797, 64)`` and labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("digits_completion needs scikit-learn: pip install 'neurodyn[examples]'") from e
    d = load_digits()
    x = np.where(d.data > threshold, 1.0, -1.0)
    return x, d.target


def digits_completion(
    key,
    *,
    corruption: str = "flip",
    fraction: float = 0.2,
    n_cues: int = 100,
    dam_order: int = 6,
    beta: float = 0.5,
) -> DigitsCompletion:
    """Complete corrupted handwritten digits with classical, dense and modern memories.

    Stores one image per digit 0-9 (the binarised image closest to its class mean;
    the ten are strongly correlated, which the classical network handles badly) and
    cues each memory with corrupted copies: ``fraction`` of the pixels flipped
    (``corruption="flip"``, ``n_cues`` cues) or the bottom ``fraction`` of the rows
    hidden (``"occlude"``, set to -1; one cue per digit).
    """
    x, y = load_digit_patterns()
    protos = []
    for c in range(10):
        xc = x[y == c]
        protos.append(xc[np.argmax(xc @ xc.mean(0))])
    stored = np.stack(protos)
    kf, kr1, kr2 = jax.random.split(key, 3)
    if corruption == "occlude":
        targets = np.arange(10)
        cues = stored.copy()
        rows = int(round(fraction * 8))
        cues.reshape(-1, 8, 8)[:, 8 - rows :, :] = -1.0
    elif corruption == "flip":
        targets = np.arange(n_cues) % 10
        cues = np.asarray(flip_exact(kf, jnp.asarray(stored[targets]), int(round(fraction * 64))))
    else:
        raise ValueError(f"corruption must be 'occlude' or 'flip', got {corruption!r}")
    recalled = {
        "classical": np.asarray(Hopfield(stored).recall(cues, key=kr1).state),
        "dense": np.asarray(DenseAssociativeMemory(stored, F="poly", n=dam_order).recall(cues, key=kr2).state),
        "modern": np.asarray(ModernHopfield(stored, beta=beta).retrieve(cues, steps=3)),
    }
    accuracy, err = {}, {}
    for name, r in recalled.items():
        wrong = np.sign(r) != stored[targets]
        accuracy[name] = float(np.mean(~wrong.any(1)))
        err[name] = float(np.mean(wrong))
    return DigitsCompletion(stored, cues, targets, recalled, accuracy, err)
