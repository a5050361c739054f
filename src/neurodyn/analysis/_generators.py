r"""Spike-train generators: homogeneous and inhomogeneous Poisson, gamma renewal, Poisson with dead time.

Every generator takes an explicit source of randomness -- a ``jax.random`` key, a
``numpy.random.Generator`` or an integer seed -- and returns a :class:`SpikeTrains` of
``n_units`` independent trains (times in ms, rates in Hz). The same key gives the same
trains. Drawing is done with NumPy on the host (spike trains have data-dependent
lengths); a JAX key is turned into a NumPy seed from its raw bits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._spiketrains import SpikeTrains

__all__ = ["poisson", "inhomogeneous_poisson", "gamma", "poisson_dead_time"]


def _rng(key) -> np.random.Generator:
    if isinstance(key, np.random.Generator):
        return key
    if isinstance(key, (int, np.integer)):
        return np.random.default_rng(int(key))
    try:
        import jax

        if isinstance(key, jax.Array):
            data = jax.random.key_data(key) if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) else key
            return np.random.default_rng(np.asarray(data, dtype=np.uint32).reshape(-1).tolist())
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"key must be a jax.random key, a numpy Generator or an int seed, got {type(key).__name__}")


def _check(rate, duration, n_units, t_start):
    if not np.isfinite(duration) or not duration > 0:
        raise ValueError(f"duration must be > 0 ms, got {duration}")
    if int(n_units) < 1:
        raise ValueError(f"n_units must be >= 1, got {n_units}")
    r = np.broadcast_to(np.asarray(rate, dtype=np.float64), (int(n_units),))
    if np.any(~np.isfinite(r)) or np.any(r < 0):
        raise ValueError(f"rate must be finite and >= 0 Hz, got {np.asarray(rate)}")
    return r, float(t_start), float(t_start) + float(duration)


def poisson(rate, duration: float, key, *, n_units: int = 1, t_start: float = 0.0) -> SpikeTrains:
    r"""Homogeneous Poisson trains: counts :math:`N \sim \mathrm{Poisson}(\lambda T)`, times uniform.

    Args:
        rate: :math:`\lambda`, Hz (scalar or one per unit).
        duration: :math:`T`, ms.
        key: ``jax.random`` key, ``numpy.random.Generator`` or int seed.
        n_units: number of independent trains.
        t_start: start time, ms.

    Example:
        >>> st = poisson(10.0, 1000.0, key=0, n_units=100)
        >>> 800 < st.n_spikes < 1200
        True
    """
    r, t0, t1 = _check(rate, duration, n_units, t_start)
    g = _rng(key)
    counts = g.poisson(r * (t1 - t0) * 1e-3)
    units = np.repeat(np.arange(int(n_units), dtype=np.int32), counts)
    times = t0 + g.random(units.size) * (t1 - t0)
    order = np.lexsort((times, units))
    return SpikeTrains(times[order], units, int(n_units), t0, t1, _sorted=True)


def _renewal(g, draw: Callable, mean_isi: np.ndarray, t0: float, t1: float, first: Callable | None = None):
    """Renewal trains on [t0, t1): ISIs from ``draw(g, unit_index_array)``, all units at once."""
    n = mean_isi.size
    active = np.isfinite(mean_isi)
    expected = np.where(active, (t1 - t0) / np.where(active, mean_isi, 1.0), 0.0)
    k = int(np.max(expected + 5 * np.sqrt(expected) + 10)) if n else 0
    pos = np.full(n, t0)
    times_out, units_out = [], []
    todo = np.nonzero(active)[0]
    first_round = True
    while todo.size:
        u = np.repeat(todo, k)
        isi = draw(g, u).reshape(todo.size, k)
        if first_round and first is not None:
            isi[:, 0] = first(g, todo)
        first_round = False
        t = pos[todo, None] + np.cumsum(isi, axis=1)
        inside = t < t1
        times_out.append(t[inside])
        units_out.append(np.broadcast_to(todo[:, None], t.shape)[inside])
        pos[todo] = t[:, -1]
        todo = todo[t[:, -1] < t1]
    if not times_out:
        return np.zeros(0), np.zeros(0, np.int64)
    times = np.concatenate(times_out)
    units = np.concatenate(units_out)
    order = np.lexsort((times, units))
    return times[order], units[order]


def gamma(rate, k: float, duration: float, key, *, n_units: int = 1, t_start: float = 0.0) -> SpikeTrains:
    r"""Gamma renewal trains: ISIs :math:`I \sim \Gamma(k, \theta = 1/(k\lambda))`, mean rate :math:`\lambda`.

    The process starts at ``t_start`` with an ordinary interval (as Elephant's
    ``StationaryGammaProcess``); :math:`C_V = 1/\sqrt k`, and ``k = 1`` is Poisson.

    Args:
        rate: :math:`\lambda`, Hz (scalar or per unit).
        k: shape (order), > 0.
        duration: ms.
        key: ``jax.random`` key, ``numpy.random.Generator`` or int seed.
    """
    if not k > 0:
        raise ValueError(f"k (gamma shape) must be > 0, got {k}")
    r, t0, t1 = _check(rate, duration, n_units, t_start)
    g = _rng(key)
    with np.errstate(divide="ignore"):
        mean_isi = np.where(r > 0, 1e3 / r, np.inf)
    scale = mean_isi / k
    times, units = _renewal(g, lambda g, u: g.gamma(k, scale[u]), mean_isi, t0, t1)
    return SpikeTrains(times, units, int(n_units), t0, t1, _sorted=True)


def poisson_dead_time(rate, dead_time: float, duration: float, key, *, n_units: int = 1,
                      t_start: float = 0.0) -> SpikeTrains:
    r"""Poisson trains with an absolute dead time :math:`d` (refractory period).

    ISIs are :math:`I = d + E`, :math:`E \sim \mathrm{Exp}(\lambda')` with
    :math:`\lambda' = \lambda / (1 - \lambda d)`, so the mean rate is :math:`\lambda` and
    :math:`C_V = 1 - \lambda d` (the convention of Elephant's ``StationaryPoissonProcess``
    with ``refractory_period``). The first spike comes after an exponential interval
    without dead time.

    Args:
        rate: :math:`\lambda`, Hz; needs :math:`\lambda d < 1`.
        dead_time: :math:`d`, ms (>= 0).
    """
    r, t0, t1 = _check(rate, duration, n_units, t_start)
    d = float(dead_time)
    if not d >= 0:
        raise ValueError(f"dead_time must be >= 0 ms, got {dead_time}")
    if np.any(r * d * 1e-3 >= 1):
        raise ValueError(f"rate * dead_time must be < 1, got rate={r.max()} Hz with dead_time={d} ms")
    g = _rng(key)
    with np.errstate(divide="ignore"):
        mean_isi = np.where(r > 0, 1e3 / r, np.inf)
    mean_exp = mean_isi - d
    times, units = _renewal(g, lambda g, u: d + g.exponential(mean_exp[u]), mean_isi, t0, t1,
                            first=lambda g, u: g.exponential(mean_exp[u]))
    return SpikeTrains(times, units, int(n_units), t0, t1, _sorted=True)


def inhomogeneous_poisson(rate, key, *, dt: float | None = None, duration: float | None = None,
                          rate_max: float | None = None, n_units: int = 1, n_trials: int = 1,
                          t_start: float = 0.0) -> SpikeTrains:
    r"""Inhomogeneous Poisson trains with intensity :math:`\lambda(t)`, by thinning (Lewis & Shedler 1979).

    Candidates are drawn from a homogeneous process of rate :math:`\lambda_\max` and each is
    kept with probability :math:`\lambda(t)/\lambda_\max`.

    Args:
        rate: either an array of rates (Hz) sampled every ``dt`` ms from ``t_start``
            (piecewise constant; shape ``(n_samples,)`` for all units or
            ``(n_units, n_samples)``), or a callable ``rate(t) -> Hz`` of a time array (ms),
            then with ``duration`` and ``rate_max``.
        key: ``jax.random`` key, ``numpy.random.Generator`` or int seed.
        n_trials: independent repetitions (gives trial labels, for PSTHs).

    Example:
        >>> st = inhomogeneous_poisson(np.array([0.0, 50.0]), key=0, dt=500.0, n_trials=20)
        >>> bool(st.times.min() >= 500.0)
        True
    """
    g = _rng(key)
    t0 = float(t_start)
    if callable(rate):
        if duration is None or rate_max is None:
            raise ValueError("a callable rate needs duration (ms) and rate_max (Hz), got None")
        t1 = t0 + float(duration)
        lam_max = float(rate_max)
        n = int(n_units)

        def lam(t, u):
            return np.asarray(rate(t), dtype=np.float64) * np.ones_like(t)
    else:
        arr = np.asarray(rate, dtype=np.float64)
        if dt is None or not dt > 0:
            raise ValueError(f"an array rate needs dt > 0 ms (its sampling period), got {dt}")
        if arr.ndim == 1:
            arr = arr[None, :]
            n = int(n_units)
        elif arr.ndim == 2:
            n = arr.shape[0]
        else:
            raise ValueError(f"rate array must be (n_samples,) or (n_units, n_samples), got shape {arr.shape}")
        if np.any(~np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("rate must be finite and >= 0 Hz everywhere")
        t1 = t0 + arr.shape[1] * float(dt)
        lam_max = float(arr.max()) if rate_max is None else float(rate_max)

        def lam(t, u):
            k = np.minimum(((t - t0) / dt).astype(np.int64), arr.shape[1] - 1)
            return arr[0, k] if arr.shape[0] == 1 else arr[u, k]
    if not lam_max >= 0:
        raise ValueError(f"rate_max must be >= 0 Hz, got {lam_max}")
    rows = n * int(n_trials)
    cand = poisson(lam_max, t1 - t0, g, n_units=rows, t_start=t0) if lam_max > 0 else None
    if cand is None or cand.n_spikes == 0:
        times, rows_ = np.zeros(0), np.zeros(0, np.int64)
    else:
        unit = cand.units.astype(np.int64) % n
        lv = lam(cand.times, unit)
        if np.any(lv > lam_max * (1 + 1e-12)):
            raise ValueError(f"rate exceeds rate_max={lam_max} Hz (max {lv.max()})")
        accept = g.random(cand.n_spikes) * lam_max < lv
        times, rows_ = cand.times[accept], cand.units[accept].astype(np.int64)
    trials = (rows_ // n).astype(np.int32) if n_trials > 1 else None
    return SpikeTrains(times, (rows_ % n).astype(np.int32), n, t0, t1, trials, int(n_trials), _sorted=True)
