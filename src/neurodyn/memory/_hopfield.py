r"""The classical Hopfield network: ±1 units, pairwise (Ising) energy.

Storage rules, thresholds, the energy, and recall by synchronous or asynchronous
sweeps (zero temperature or Glauber dynamics), batched over cues and compiled
with ``jax.lax.while_loop``.

Asynchronous sweeps are computed in blocks of ``block_size`` units: the local
fields of a block are computed with one matrix product against the current
states of the whole batch, then the units of the block are updated one after
the other, each field corrected for the flips made earlier in the same block.
This is exactly sequential (one unit at a time) asynchronous dynamics, but its
arithmetic is a sequence of matrix products, so a batch of 10,000 cues runs at
matrix-multiply speed instead of one matrix-vector product per unit update.
"""

from __future__ import annotations

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from .._params import check_choice
from ._validate import check_patterns, check_states, is_concrete

_RULES = ("hebbian", "pseudo_inverse", "storkey")


def _hebbian(patterns: Array) -> Array:
    n = patterns.shape[1]
    return patterns.T @ patterns / n


def _pseudo_inverse(patterns: Array) -> Array:
    # the projector onto the span of the patterns: W = X^+ X (X is (P, N))
    return jnp.linalg.pinv(patterns) @ patterns


def _storkey(patterns: Array) -> Array:
    r"""Storkey (1997) incremental rule, one pattern at a time.

    .. math:: w_{ij} \leftarrow w_{ij} + \tfrac1N\left(\xi_i\xi_j - \xi_i h_{ji} - h_{ij}\xi_j\right),
              \quad h_{ij} = \sum_{k\ne i,j} w_{ik}\xi_k
    """
    n = patterns.shape[1]

    def add(w, xi):
        h = w @ xi  # h_i = sum_k w_ik xi_k (zero diagonal)
        # h_ij = h_i - w_ij xi_j (k != j removed; k != i is the zero diagonal)
        h_ij = h[:, None] - w * xi[None, :]
        dw = (jnp.outer(xi, xi) - xi[:, None] * h_ij.T - h_ij * xi[None, :]) / n
        w = w + dw
        w = 0.5 * (w + w.T)
        return w - jnp.diag(jnp.diag(w)), None

    w0 = jnp.zeros((n, n), patterns.dtype)
    w, _ = jax.lax.scan(add, w0, patterns)
    return w


class RecallResult(eqx.Module):
    """What :meth:`Hopfield.recall` returns (leading batch axes follow the cue).

    Attributes:
        state: final state, ±1, shape ``(..., N)``.
        overlaps: overlaps :math:`m_\\mu = \\xi_\\mu \\cdot s / N` of the final state with
            every stored pattern, shape ``(..., P)``.
        sweeps: number of sweeps that changed the state (0 for a cue that is already
            a fixed point), shape ``(...)``.
        energy: energy after each sweep, shape ``(..., max_sweeps + 1)``; entry 0 is
            the cue's energy; entries after the run stopped repeat the final value.
        fixed_point: the last sweep changed nothing, shape ``(...)``.
        two_cycle: (synchronous mode) the state alternates between two states,
            shape ``(...)``; always False for asynchronous updates.
        overlap_trace: overlaps after each sweep, shape ``(..., max_sweeps + 1, P)``,
            or None unless ``record_overlaps=True``.
    """

    state: Float[Array, "... n"]
    overlaps: Float[Array, "... p"]
    sweeps: Int[Array, "..."]
    energy: Float[Array, "... s"]
    fixed_point: Bool[Array, "..."]
    two_cycle: Bool[Array, "..."]
    overlap_trace: Float[Array, "... s p"] | None = None


class Hopfield(eqx.Module):
    r"""Classical Hopfield network of ±1 units.

    Energy (Ising form) and update:

    .. math::
        E(s) = -\tfrac12 \sum_{ij} w_{ij} s_i s_j + \sum_i \theta_i s_i, \qquad
        s_i \leftarrow \operatorname{sign}\Big(\sum_j w_{ij} s_j - \theta_i\Big)

    (a zero field keeps the current state). At temperature :math:`T > 0` the update
    is Glauber's: :math:`P(s_i = +1) = 1 / (1 + e^{-2 h_i / T})`.

    Storage rules for patterns :math:`\xi^\mu \in \{-1, +1\}^N`, :math:`\mu = 1..P`:

    - ``"hebbian"``: :math:`w_{ij} = \frac1N \sum_\mu \xi^\mu_i \xi^\mu_j`;
    - ``"pseudo_inverse"`` (projection rule): :math:`W = \Xi^+ \Xi`, the projector
      onto the span of the patterns;
    - ``"storkey"``: Storkey's (1997) incremental local rule.

    The diagonal is set to zero (``zero_diagonal=True``), which keeps every rule's
    patterns stable below its capacity and makes the energy a Lyapunov function of
    asynchronous dynamics (it needs symmetric weights with :math:`w_{ii} \ge 0`).

    Args:
        patterns: stored patterns, ±1, shape ``(P, N)``.
        rule: ``"hebbian"``, ``"pseudo_inverse"`` or ``"storkey"``.
        thresholds: :math:`\theta`, scalar or shape ``(N,)`` (dimensionless).
        zero_diagonal: set :math:`w_{ii} = 0`.
        weights: give the weights directly (symmetric ``(N, N)``) instead of a rule;
            ``patterns`` are then optional and only used for overlaps.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from neurodyn.memory import Hopfield, random_patterns, corrupt
        >>> xi = random_patterns(jax.random.key(0), 20, 200)
        >>> net = Hopfield(xi)
        >>> cue = corrupt(jax.random.key(1), xi[3], 0.2)
        >>> out = net.recall(cue, mode="async", key=jax.random.key(2))
        >>> float(out.overlaps[3]) > 0.99
        True
    """

    weights: Float[Array, "n n"]
    thresholds: Float[Array, " n"]
    patterns: Float[Array, "p n"]
    rule: str = eqx.field(static=True)

    def __init__(
        self,
        patterns=None,
        rule: Literal["hebbian", "pseudo_inverse", "storkey"] = "hebbian",
        thresholds=0.0,
        *,
        zero_diagonal: bool = True,
        weights=None,
    ):
        if weights is None:
            if patterns is None:
                raise ValueError("patterns must be given (shape (n_patterns, n_units)), got None")
            check_patterns(patterns, binary=True)
            check_choice("rule", rule, _RULES)
            xi = jnp.asarray(patterns, dtype=jnp.result_type(float))
            w = {"hebbian": _hebbian, "pseudo_inverse": _pseudo_inverse, "storkey": _storkey}[
                rule
            ](xi)
        else:
            w = jnp.asarray(weights, dtype=jnp.result_type(float))
            if w.ndim != 2 or w.shape[0] != w.shape[1]:
                raise ValueError(f"weights must be a square (N, N) array, got shape {w.shape}")
            if is_concrete(w) and not np.allclose(np.asarray(w), np.asarray(w).T, atol=1e-6):
                raise ValueError("weights must be symmetric (w_ij == w_ji), got an asymmetric matrix")
            if patterns is None:
                xi = jnp.zeros((0, w.shape[0]), w.dtype)
            else:
                check_patterns(patterns, binary=True)
                xi = jnp.asarray(patterns, dtype=w.dtype)
                if xi.shape[1] != w.shape[0]:
                    raise ValueError(
                        f"patterns must have {w.shape[0]} units to match weights, got shape {xi.shape}"
                    )
            rule = "weights"
        n = w.shape[0]
        if zero_diagonal:
            w = w * (1.0 - jnp.eye(n, dtype=w.dtype))
        th = jnp.asarray(thresholds, dtype=w.dtype)
        if th.ndim == 0:
            th = jnp.full((n,), th)
        if th.shape != (n,):
            raise ValueError(f"thresholds must be a scalar or shape ({n},), got shape {th.shape}")
        self.weights = w
        self.thresholds = th
        self.patterns = xi
        self.rule = rule

    @classmethod
    def from_weights(cls, weights, thresholds=0.0, patterns=None, *, zero_diagonal: bool = False):
        """A network with given symmetric weights (diagonal kept unless ``zero_diagonal``)."""
        return cls(patterns, thresholds=thresholds, weights=weights, zero_diagonal=zero_diagonal)

    @property
    def n(self) -> int:
        """Number of units N."""
        return self.weights.shape[0]

    @property
    def n_patterns(self) -> int:
        """Number of stored patterns P."""
        return self.patterns.shape[0]

    def local_field(self, s) -> Array:
        r"""Local fields :math:`h_i = \sum_j w_{ij} s_j - \theta_i`, shape of ``s``."""
        check_states(s, self.n, "s", binary=False)
        return jnp.asarray(s, self.weights.dtype) @ self.weights.T - self.thresholds

    def energy(self, s) -> Array:
        r"""Energy :math:`E(s) = -\frac12 s^\top W s + \theta^\top s`; batched over leading axes."""
        check_states(s, self.n, "s", binary=False)
        s = jnp.asarray(s, self.weights.dtype)
        return -0.5 * jnp.sum((s @ self.weights.T) * s, -1) + s @ self.thresholds

    def overlaps(self, s) -> Array:
        r"""Overlaps :math:`m_\mu = \frac1N \xi^\mu\cdot s` with every stored pattern, shape ``(..., P)``."""
        check_states(s, self.n, "s", binary=False)
        return jnp.asarray(s, self.weights.dtype) @ self.patterns.T / self.n

    def update_unit(self, s, i, *, key=None, temperature: float = 0.0) -> Array:
        """One asynchronous update of unit ``i`` of a single state ``s`` (N,)."""
        check_states(s, self.n, "s", binary=True)
        s = jnp.asarray(s, self.weights.dtype)
        h = self.weights[i] @ s - self.thresholds[i]
        if temperature > 0:
            if key is None:
                raise ValueError("key must be a jax.random key when temperature > 0, got None")
            new = jnp.where(jax.random.uniform(key) < jax.nn.sigmoid(2 * h / temperature), 1.0, -1.0)
        else:
            new = _glauber_or_sign(h, s[i], None, 0.0, _tie_tolerance(self.weights, self.thresholds)[i])
        return s.at[i].set(new.astype(s.dtype))

    def recall(
        self,
        cue,
        mode: Literal["async", "sync"] = "async",
        key=None,
        max_sweeps: int = 100,
        *,
        order: Literal["random", "sequential"] = "random",
        temperature: float = 0.0,
        record_overlaps: bool = False,
        block_size: int | None = None,
    ) -> RecallResult:
        """Run the network from ``cue`` until a fixed point (or 2-cycle) or ``max_sweeps``.

        Args:
            cue: ±1 initial state, shape ``(N,)`` or a batch ``(B, N)`` (any leading axes).
            mode: ``"async"`` (one unit at a time; a sweep updates every unit once) or
                ``"sync"`` (all units at once).
            key: ``jax.random`` key; needed for ``order="random"`` and ``temperature > 0``.
                In a batch, the cues share the unit order of each sweep (their noise is
                independent).
            max_sweeps: the largest number of sweeps (static).
            order: asynchronous order, a fresh random permutation per sweep or ``0..N-1``.
            temperature: Glauber temperature :math:`T` (0 = deterministic sign updates), a
                Python number (0 or not selects the compiled variant; any T > 0 shares one).
                With :math:`T > 0` the run always lasts ``max_sweeps`` sweeps.
            record_overlaps: also return the overlaps after each sweep.
            block_size: units per block of the asynchronous algorithm (speed only).

        Returns:
            :class:`RecallResult`.
        """
        check_choice("mode", mode, ("async", "sync"))
        check_choice("order", order, ("random", "sequential"))
        check_states(cue, self.n, "cue", binary=True)
        if not (isinstance(max_sweeps, (int, np.integer)) and max_sweeps >= 1):
            raise ValueError(f"max_sweeps must be an integer >= 1, got {max_sweeps!r}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature!r}")
        needs_key = temperature > 0 or (mode == "async" and order == "random")
        if needs_key and key is None:
            raise ValueError(
                "key must be a jax.random key for random asynchronous order or temperature > 0, got None"
            )
        if key is None:
            key = jax.random.key(0)
        cue = jnp.asarray(cue, self.weights.dtype)
        batch_shape = cue.shape[:-1]
        s0 = cue.reshape(-1, self.n)
        if mode == "async":
            k = block_size or _default_block(self.n)
            out = _recall_async(
                self.weights, self.thresholds, self.patterns, s0, key,
                jnp.asarray(temperature, self.weights.dtype), temperature > 0, order == "random",
                int(max_sweeps), bool(record_overlaps), int(k),
            )
        else:
            out = _recall_sync(
                self.weights, self.thresholds, self.patterns, s0, key,
                jnp.asarray(temperature, self.weights.dtype), temperature > 0, int(max_sweeps),
                bool(record_overlaps),
            )
        return jax.tree.map(lambda a: a.reshape(batch_shape + a.shape[1:]), out)

    def continuous(self, tau: float = 10.0, gain: float = 1.0, u0=None):
        """The graded-response (continuous-time) network with these weights and thresholds.

        See :class:`neurodyn.memory.ContinuousHopfield`.
        """
        from ._continuous import ContinuousHopfield

        return ContinuousHopfield(self.weights, tau=tau, gain=gain, bias=-self.thresholds, u0=u0)


def _default_block(n: int) -> int:
    return int(min(64, _SUB * -(-n // _SUB)))


_SUB = 8  # units per sub-block inside a block of the asynchronous algorithm
_MIN_BUCKET = 64  # smallest batch of still-moving cues swept on its own


def _tie_tolerance(w, theta):
    """Fields smaller than this count as zero (keep the state).

    A field computed in floating point carries a rounding error of about
    sqrt(N) eps sum_j |w_ij|; without a tolerance an exact tie (common with Hebbian
    weights, whose fields are multiples of 1/N) would flip back and forth with the
    summation order and never converge.
    """
    n = w.shape[0]
    eps = jnp.finfo(w.dtype).eps
    return 4.0 * np.sqrt(n) * eps * (jnp.sum(jnp.abs(w), 1) + jnp.abs(theta))


def _glauber_or_sign(h, s, u, temperature, tol):
    if u is not None:  # Glauber dynamics
        return jnp.where(u < jax.nn.sigmoid(2.0 * h / temperature), 1.0, -1.0).astype(s.dtype)
    return jnp.where(h > tol, 1.0, jnp.where(h < -tol, -1.0, s)).astype(s.dtype)


@functools.partial(jax.jit, static_argnums=(6, 7, 8, 9, 10))
def _recall_async(w, theta, xi, s0, key, temperature, glauber, random_order, max_sweeps, record_overlaps, k):
    n = w.shape[0]
    b = s0.shape[0]
    dt = w.dtype
    k2 = min(_SUB, k)
    k = k2 * -(-k // k2)
    nb = -(-n // k)
    npad = nb * k
    pad = npad - n
    # units x batch layout: a block of units is a contiguous slab of rows
    w_p = jnp.pad(w, ((0, pad), (0, pad)))
    th_p = jnp.pad(theta, (0, pad))
    tol_p = jnp.pad(_tie_tolerance(w, theta), (0, pad))
    s = jnp.pad(s0.T, ((0, pad), (0, 0)), constant_values=1.0)
    valid = jnp.arange(npad) < n
    diag = jnp.diagonal(w_p)

    def energy_of(s):
        return -0.5 * jnp.sum((w_p @ s) * s, 0) + th_p @ s

    key_order, key_noise = jax.random.split(key)

    def sweep(s, t):
        if random_order:
            perm = jnp.concatenate(
                [jax.random.permutation(jax.random.fold_in(key_order, t), n), jnp.arange(n, npad)]
            )
        else:
            perm = jnp.arange(npad)
        wp = w_p[perm][:, perm]
        sp = s[perm]
        thp, tolp, vp, dgp = th_p[perm], tol_p[perm], valid[perm], diag[perm]
        bs = s.shape[1]
        u_all = jax.random.uniform(jax.random.fold_in(key_noise, t), (npad, bs), dt) if glauber else None

        def block(i, carry):
            # units start .. start+k: fields of the block from the current states (one
            # matrix product), then sequential updates in sub-blocks of k2 units; after a
            # sub-block the fields of the whole block are corrected by another product.
            sp, de, flips, sh = carry
            start = i * k
            sl = lambda a: jax.lax.dynamic_slice_in_dim(a, start, k, 0)  # noqa: E731
            rows = sl(wp)  # (k, npad)
            wbb = jax.lax.dynamic_slice_in_dim(rows, start, k, 1)  # (k, k)
            thb = sl(thp)
            hb = rows @ sp - thb[:, None]  # (k, b)
            sb, vb, db, tb = sl(sp), sl(vp), sl(dgp), sl(tolp)
            ub = None if u_all is None else sl(u_all)

            def sub_block(m, c):
                hb, sb, de, flips, sh = c
                lo = m * k2
                sub = lambda a: jax.lax.dynamic_slice_in_dim(a, lo, k2, 0)  # noqa: E731
                hs0, s_old, v_s, d_s, t_s = sub(hb), sub(sb), sub(vb), sub(db), sub(tb)
                u_s = None if ub is None else sub(ub)
                w_cols = jax.lax.dynamic_slice_in_dim(wbb, lo, k2, 1)  # (k, k2)
                w_ss = sub(w_cols)  # (k2, k2)
                ds, hs = [], []
                for j in range(k2):
                    # the field of unit j, corrected for the flips made earlier in
                    # this sub-block; one fused elementwise kernel per unit
                    h = hs0[j]
                    for q, dq in enumerate(ds):
                        h = h + w_ss[j, q] * dq
                    old = s_old[j]
                    new = _glauber_or_sign(h, old, None if u_s is None else u_s[j], temperature, t_s[j])
                    # materialise d_j and h_j: without the barrier XLA fuses the whole
                    # dependent chain of a sub-block and recomputes it per unit
                    d, h = jax.lax.optimization_barrier((jnp.where(v_s[j], new - old, 0.0), h))
                    ds.append(d)
                    hs.append(h)
                dm = jnp.stack(ds)  # (k2, b) changes of this sub-block
                # E(s + d e_j) - E(s) = -d h_j - w_jj d^2 / 2 (symmetric W)
                de = de - jnp.sum(dm * (jnp.stack(hs) + 0.5 * d_s[:, None] * dm), 0)
                flips = flips + jnp.sum(dm != 0, 0, dtype=jnp.int32)
                # sum_i s_i (W s)_i over the sweep: exact for a cue whose sweep flips nothing
                s_new = s_old + dm
                sh = sh + jnp.sum(jnp.where(v_s[:, None], s_new * (jnp.stack(hs) + sub(thb)[:, None]), 0.0), 0)
                hb = hb + w_cols @ dm  # fields of the rest of the block
                sb = jax.lax.dynamic_update_slice_in_dim(sb, s_new, lo, 0)
                return hb, sb, de, flips, sh

            _, sb, de, flips, sh = jax.lax.fori_loop(0, k // k2, sub_block, (hb, sb, de, flips, sh))
            sp = jax.lax.dynamic_update_slice_in_dim(sp, sb, start, 0)
            return sp, de, flips, sh

        zero = jnp.zeros((bs,), dt)
        sp, de, flips, sh = jax.lax.fori_loop(0, nb, block, (sp, zero, jnp.zeros((bs,), jnp.int32), zero))
        inv = jnp.argsort(perm)
        s = sp[inv]
        # energy of the final state of a cue that did not move in this sweep, from the
        # fields the sweep computed anyway (saves a full matrix product per recall)
        e_still = -0.5 * sh + th_p @ s
        return s, de, flips, e_still

    # The energy trace is built from the exact per-flip changes, anchored at the end:
    # a cue that stopped at a fixed point got its energy from its last (still) sweep;
    # only if some cue did not stop is the energy of the final states recomputed.
    ctrace = jnp.full((max_sweeps + 1, b), jnp.nan, dt).at[0].set(0.0)
    p = xi.shape[0]
    otrace = (
        jnp.zeros((max_sweeps + 1, b, p), dt).at[0].set((xi @ s[:n]).T / n) if record_overlaps else None
    )

    def cond(c):
        t, s, cum, flips, nsw, ct, e_fix, ot = c
        running = True if glauber else jnp.any(flips > 0)
        return (t < max_sweeps) & running

    # At zero temperature a cue whose last sweep flipped nothing sits at a fixed point
    # and is left alone: each sweep runs on the still-moving cues only, gathered into
    # the smallest of a few static batch sizes (one compiled branch per size).
    sizes = [b]
    while not glauber and sizes[-1] > 8 * _MIN_BUCKET:
        sizes.append(-(-sizes[-1] // 8))

    def sweep_moving(s, flips, t):
        if len(sizes) == 1:
            return sweep(s, t)
        moving = flips > 0
        order = jnp.argsort(~moving, stable=True)  # moving cues first
        branch = jnp.sum(jnp.asarray(sizes) >= jnp.sum(moving)) - 1

        def run(m):
            def f(s):
                if m == b:
                    return sweep(s, t)
                idx = order[:m]
                sub, de_m, fl_m, es_m = sweep(s[:, idx], t)
                return (
                    s.at[:, idx].set(sub),
                    jnp.zeros((b,), dt).at[idx].set(de_m),
                    jnp.zeros((b,), jnp.int32).at[idx].set(fl_m),
                    jnp.full((b,), jnp.nan, dt).at[idx].set(es_m),  # NaN: not swept
                )

            return f

        return jax.lax.switch(branch, [run(m) for m in sizes], s)

    def body(c):
        t, s, cum, flips, nsw, ct, e_fix, ot = c
        s, de, flips, e_still = sweep_moving(s, flips, t)
        cum = cum + de
        ct = ct.at[t + 1].set(cum)
        e_fix = jnp.where((flips == 0) & ~jnp.isnan(e_still), e_still, e_fix)
        if ot is not None:
            ot = ot.at[t + 1].set((xi @ s[:n]).T / n)
        return t + 1, s, cum, flips, nsw + (flips > 0), ct, e_fix, ot

    zero = jnp.zeros((b,), dt)
    init = (jnp.int32(0), s, zero, jnp.ones((b,), jnp.int32), jnp.zeros((b,), jnp.int32), ctrace, zero, otrace)
    t, s, cum, flips, nsw, ct, e_fix, ot = jax.lax.while_loop(cond, body, init)
    if glauber:
        e_final = energy_of(s)
    else:
        e_final = jax.lax.cond(jnp.all(flips == 0), lambda: e_fix, lambda: energy_of(s))
    ct = jnp.where(jnp.isnan(ct), cum[None, :], ct)
    et = e_final[None, :] - cum[None, :] + ct
    final = s[:n].T
    if ot is not None:
        later = jnp.arange(max_sweeps + 1)[:, None, None] > t
        ot = jnp.moveaxis(jnp.where(later, ot[t][None], ot), 0, 1)
    return RecallResult(
        state=final,
        overlaps=final @ xi.T / n,
        sweeps=nsw,
        energy=et.T,
        fixed_point=flips == 0,
        two_cycle=jnp.zeros((b,), bool),
        overlap_trace=ot,
    )


@functools.partial(jax.jit, static_argnums=(6, 7, 8))
def _recall_sync(w, theta, xi, s0, key, temperature, glauber, max_sweeps, record_overlaps):
    n = w.shape[0]
    b = s0.shape[0]
    dt = w.dtype

    def field(s):
        return s @ w.T - theta

    def energy(s, h):
        return -0.5 * jnp.sum(s * (h + theta), -1) + s @ theta

    tol = _tie_tolerance(w, theta)
    h0 = field(s0)
    etrace = jnp.full((max_sweeps + 1, b), jnp.nan, dt).at[0].set(energy(s0, h0))
    p = xi.shape[0]
    otrace = jnp.zeros((max_sweeps + 1, b, p), dt).at[0].set(s0 @ xi.T / n) if record_overlaps else None
    false = jnp.zeros((b,), bool)

    def cond(c):
        t, s, sprev, h, fixed, cyc, nsw, et, ot = c
        running = True if glauber else ~jnp.all(fixed | cyc)
        return (t < max_sweeps) & running

    def body(c):
        t, s, sprev, h, fixed, cyc, nsw, et, ot = c
        u = jax.random.uniform(jax.random.fold_in(key, t), (b, n), dt) if glauber else None
        new = _glauber_or_sign(h, s, u, temperature, tol)
        changed = jnp.any(new != s, -1)
        fixed = ~changed
        cyc = changed & jnp.all(new == sprev, -1) & (t > 0)
        hn = field(new)
        et = et.at[t + 1].set(energy(new, hn))
        if ot is not None:
            ot = ot.at[t + 1].set(new @ xi.T / n)
        return t + 1, new, s, hn, fixed, cyc, nsw + changed, et, ot

    init = (jnp.int32(0), s0, s0, h0, false, false, jnp.zeros((b,), jnp.int32), etrace, otrace)
    t, s, sprev, h, fixed, cyc, nsw, et, ot = jax.lax.while_loop(cond, body, init)
    et = jnp.where(jnp.isnan(et), et[t][None, :], et)
    if ot is not None:
        later = jnp.arange(max_sweeps + 1)[:, None, None] > t
        ot = jnp.moveaxis(jnp.where(later, ot[t][None], ot), 0, 1)
    return RecallResult(
        state=s,
        overlaps=s @ xi.T / n,
        sweeps=nsw,
        energy=et.T,
        fixed_point=fixed,
        two_cycle=cyc,
        overlap_trace=ot,
    )


def random_patterns(key, n_patterns: int, n_units: int, dtype=None) -> Array:
    """``n_patterns`` independent unbiased ±1 patterns of ``n_units`` units, shape ``(P, N)``."""
    dtype = dtype or jnp.result_type(float)
    return jnp.where(jax.random.bernoulli(key, 0.5, (n_patterns, n_units)), 1.0, -1.0).astype(dtype)


def corrupt(key, patterns, fraction: float) -> Array:
    """Flip each entry of ±1 ``patterns`` independently with probability ``fraction``."""
    patterns = jnp.asarray(patterns)
    flip = jax.random.bernoulli(key, fraction, patterns.shape)
    return jnp.where(flip, -patterns, patterns)


def flip_exact(key, patterns, n_flips: int) -> Array:
    """Flip exactly ``n_flips`` randomly chosen entries of each ±1 pattern (last axis)."""
    patterns = jnp.asarray(patterns)
    n = patterns.shape[-1]
    flat = patterns.reshape(-1, n)
    keys = jax.random.split(key, flat.shape[0])

    def one(k, x):
        idx = jax.random.permutation(k, n)[:n_flips]
        return x.at[idx].multiply(-1)

    return jax.vmap(one)(keys, flat).reshape(patterns.shape)
