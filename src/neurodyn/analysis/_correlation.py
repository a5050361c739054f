r"""Correlations between spike trains: binned count covariance and correlation, cross- and
auto-correlograms, population synchrony (Golomb's :math:`\chi`), spike-triggered average.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _compiled as cc
from ._backend import cpu_has_bf16_dot, gram_jax, use_jax
from ._binning import bin_index, binned_keys, check_window, flat_counts, n_bins_of, runs
from ._rates import Signal
from ._spiketrains import SpikeTrains

__all__ = [
    "covariance",
    "correlation_coefficient",
    "cross_correlogram",
    "cross_correlograms",
    "autocorrelogram",
    "synchrony_chi",
    "spike_triggered_average",
]

# seconds per multiply-add, measured on a 2-core x86 CPU (dense: float32 syrk in BLAS,
# sparse: scipy CSR product); only their ratio matters, to pick the faster path.
_DENSE_MAC_S = 6e-12
_SPARSE_MAC_S = 2.5e-9


def _gram(st: SpikeTrains, bin_size, binary, t_start, t_stop, backend=None):
    """``S = X X^T`` of the binned counts (trials concatenated along time), counts, bins."""
    ck = None if use_jax(backend) else cc.kernels()
    if ck is not None:
        return _gram_compiled(ck, st, bin_size, binary, t_start, t_stop, backend)
    key, n_bins, _ = binned_keys(st, bin_size, t_start, t_stop)
    ukey, cnt = runs(key)  # occupied (row, bin) and their counts
    if binary:
        cnt = np.minimum(cnt, 1)
    n_units, n_trials = st.n_units, st.n_trials
    total_bins = n_trials * n_bins
    urow = ukey // n_bins
    ubin = ukey - urow * n_bins
    unit = urow % max(n_units, 1)
    col = (urow // max(n_units, 1)) * n_bins + ubin  # trials are extra time bins
    n = np.bincount(unit, weights=cnt, minlength=n_units)
    col_nnz = np.bincount(col, minlength=total_bins).astype(np.float64)
    sparse_cost = float(col_nnz @ col_nnz) * _SPARSE_MAC_S
    dense_cost = float(n_units) ** 2 * total_bins * _DENSE_MAC_S
    if not use_jax(backend) and sparse_cost < dense_cost:
        import scipy.sparse

        sp = scipy.sparse.csr_matrix((cnt.astype(np.float64), (unit, col)), shape=(n_units, total_bins))
        S = (sp @ sp.T).toarray()
    else:
        S = _dense_gram(unit * total_bins + col, cnt, n_units, total_bins, backend)
    return S, n, total_bins


def _dense_gram(flat, cnt, n_units: int, total_bins: int, backend):
    """``X X^T`` of the counts ``cnt`` at the flat indices ``unit * total_bins + bin``: float32
    BLAS (exact: integer sums below 2**24), or JAX (bfloat16 inputs where exact and fast)."""
    sq = np.bincount(flat // max(total_bins, 1), weights=cnt.astype(np.float64) ** 2, minlength=n_units)
    exact_f32 = sq.size == 0 or sq.max() < 2**24  # integer sums below 2**24 are exact in float32
    if use_jax(backend) or (backend is None and exact_f32 and cpu_has_bf16_dot()):
        return gram_jax(flat, cnt, n_units, total_bins, exact_f32)  # bfloat16 dot: exact, ~2x float32 BLAS
    dtype = np.float32 if exact_f32 else np.float64
    X = np.zeros(n_units * total_bins, dtype=dtype)
    X[flat] = cnt
    X = X.reshape(n_units, total_bins)
    return (X @ X.T).astype(np.float64)


def _gram_compiled(ck, st: SpikeTrains, bin_size, binary, t_start, t_stop, backend):
    """:func:`_gram` with the compiled kernels: digit-plane popcounts plus a sparse part, or
    the dense product, whichever is estimated cheaper (see :mod:`._compiled`)."""
    t0, t1 = check_window(st, t_start, t_stop)
    n_bins = n_bins_of(bin_size, t0, t1)
    n_units, n_trials = st.n_units, st.n_trials
    T = n_trials * n_bins
    restrict = t0 > st.t_start or t1 < st.t_stop
    col = cc.zeros(st.n_spikes, np.int32 if T < 2**31 else np.int64)
    cnt = cc.zeros(st.n_spikes, np.int32)
    start, stop, kept, sq, lengths = ck.binned_entries(st.times, st.offsets, max(n_units, 1), t0, 1.0 / float(bin_size),
                                                   n_bins, restrict, t0, t1, bool(binary), col, cnt)
    per_row = stop - start if binary else kept
    n = per_row.reshape(n_trials, n_units).sum(axis=0).astype(np.float64)
    n_ent = int((stop - start).sum())
    if n_units == 0 or n_ent == 0:
        return np.zeros((n_units, n_units)), n, T
    words = -(-T // 64)
    P, cost = cc.choose_planes(n_units, words, lengths, n_ent / T)
    top = int(np.flatnonzero(lengths)[-1])  # bit length of the largest count
    if cost > float(n_units) ** 2 * T * cc.DENSE_MAC_S:
        m = stop - start
        idx = np.repeat(start, m) + _ranges(m)
        unit = np.repeat(np.arange(n_trials * n_units) % n_units, m)
        return _dense_gram(unit * T + col[idx], cnt[idx], n_units, T, backend), n, T
    S = cc.zeros((n_units, n_units))
    if P == 0:  # all sparse
        diag = sq.reshape(n_trials, n_units).sum(axis=0)
        # S_ij <= sqrt(S_ii S_jj): the narrowest exact accumulator (less memory traffic)
        big = int(diag.max())
        acc = np.uint16 if big < 2**16 else np.int32 if big < 2**31 else np.int64
        A = cc.zeros((cc.numba_threads(), n_units, n_units), acc)
        block = max(16, int(cc.BLOCK_ENTRIES * T / n_ent))  # columns whose entries fit in cache
        ck.gram_sparse(start, stop, col, cnt, max(n_units, 1), T, block, A)
        ck.finish(S, A, diag.astype(np.float64))
        return S, n, T
    ck.gram_planes(ck.digit_planes(start, stop, col, cnt, n_units, n_trials, P, words), S)
    mdiag = np.zeros(n_units)
    if top > P:  # counts >= 2**P
        Y = cc.zeros((T, n_units), np.uint8 if top <= 8 else np.int32)
        ck.gram_high(start, stop, col, cnt, n_units, n_trials, P, Y, S, mdiag)
    ck.finish(S, np.zeros((0, n_units, n_units), np.int32), mdiag)
    return S, n, T


def covariance(
    st: SpikeTrains,
    bin_size: float,
    *,
    binary: bool = False,
    t_start: float | None = None,
    t_stop: float | None = None,
    backend: str | None = None,
) -> np.ndarray:
    r"""Covariance matrix of binned spike counts, :math:`C_{ij} = \frac{1}{T-1}\sum_k (x_{ik}-\bar x_i)(x_{jk}-\bar x_j)`.

    Unbiased (``ddof=1``, as ``np.cov`` and Elephant's ``covariance``). Bins as in
    :func:`bin_counts`; with trials, the bins of all trials are pooled.

    ``backend``: ``"numpy"`` (host code, whichever is cheaper: with Numba installed, exact
    integer kernels -- popcounts of bit planes of the counts plus a sparse part, see
    :mod:`neurodyn.analysis._compiled` -- otherwise a SciPy sparse product; or a dense
    BLAS product), ``"jax"``, or ``None``: the fastest of these (JAX on an accelerator, or
    for a dense product on a CPU with bfloat16 dot instructions) for :math:`X X^\top`.

    Returns:
        ``(n_units, n_units)`` float64.
    """
    S, n, T = _gram(st, bin_size, binary, t_start, t_stop, backend)
    if T < 2:
        raise ValueError(f"covariance needs at least 2 bins, got {T}; lower bin_size")
    ck = cc.kernels()
    if ck is not None:
        S = S if S.flags.writeable else S.copy()
        ck.center(S, n, float(T), np.full(n.size, np.sqrt(T - 1.0)))  # in place, same operations
        return S
    return (S - np.outer(n, n) / T) / (T - 1)


def correlation_coefficient(
    st: SpikeTrains,
    bin_size: float,
    *,
    binary: bool = False,
    t_start: float | None = None,
    t_stop: float | None = None,
    backend: str | None = None,
) -> np.ndarray:
    r"""Pearson correlation matrix of binned spike counts (Elephant's ``correlation_coefficient``).

    .. math:: \rho_{ij} = \frac{\sum_k (x_{ik}-\bar x_i)(x_{jk}-\bar x_j)}
              {\sqrt{\sum_k (x_{ik}-\bar x_i)^2 \sum_k (x_{jk}-\bar x_j)^2}}

    computed as :math:`(X X^\top - n n^\top/T)` normalised, with :math:`X X^\top` exact in
    integers: with Numba installed (extra ``fast``) by popcounts of the counts' bit planes
    plus a sparse part for the rare large counts, otherwise by a sparse product; a float32
    BLAS product (exact: integer counts) where that is cheaper; or in JAX
    (``backend="jax"``; the default when JAX's default device is an accelerator).
    Rows and columns of units without spikes (zero variance) are NaN, with a warning
    (``np.corrcoef`` gives NaN too).

    Returns:
        ``(n_units, n_units)`` float64.
    """
    S, n, T = _gram(st, bin_size, binary, t_start, t_stop, backend)
    d = np.sqrt(np.clip(np.diag(S) - n * n / T, 0.0, None))
    silent = d == 0
    if silent.any():
        warnings.warn(
            f"correlation_coefficient: {int(silent.sum())} of {d.size} units have no spike-count variance; "
            "their rows and columns are NaN",
            stacklevel=2,
        )
    ck = cc.kernels()
    if ck is not None:
        S = S if S.flags.writeable else S.copy()
        ck.center(S, n, float(T), d)  # in place, same operations
        return S
    C = S - np.outer(n, n) / T
    with np.errstate(invalid="ignore", divide="ignore"):
        C /= np.outer(d, d)
    return C


def _window(window, n_bins):
    if window is None or (isinstance(window, str) and window == "full"):
        return -(n_bins - 1), n_bins - 1
    lo, hi = (int(w) for w in window)
    if lo >= hi:
        raise ValueError(f"window must be (left, right) with left < right (bins), got {window}")
    if lo < -(n_bins - 1) or hi > n_bins - 1:
        raise ValueError(f"window must lie within [-(n_bins - 1), n_bins - 1] = [{-(n_bins - 1)}, {n_bins - 1}], got {window}")
    return lo, hi


def cross_correlograms(
    st: SpikeTrains,
    pairs,
    bin_size: float,
    *,
    window=None,
    binary: bool = False,
    border_correction: bool = False,
    kernel=None,
    cross_correlation_coefficient: bool = False,
) -> Signal:
    r"""Cross-correlation histograms of many unit pairs at once.

    .. math:: \mathrm{CCH}_{ij}(\ell) = \sum_k x_{i,k}\, x_{j,k+\ell}

    so a peak at positive lag :math:`\ell` means unit ``j`` fires :math:`\ell` bins after
    unit ``i`` (Elephant's ``cross_correlation_histogram(i, j)`` convention). Computed from
    the nonzero bins only (cost proportional to the number of coincidences in the
    window), summed over trials.

    Args:
        pairs: ``[(i, j), ...]`` unit pairs (``(i, i)`` gives an auto-correlogram).
        bin_size: ms.
        window: ``(left, right)`` lags in bins, inclusive; default all lags
            ``-(n_bins-1) .. n_bins-1`` (Elephant's ``"full"``).
        binary: clip counts to 0/1 first.
        border_correction: multiply lag :math:`\ell` by :math:`T/(T-|\ell|)` (Elephant's).
        kernel: optional 1-d array: smooth each CCH by ``np.convolve(cch, kernel / kernel.sum(), "same")``.
        cross_correlation_coefficient: normalise as Elephant:
            :math:`(\mathrm{CCH} - n_i n_j/T)/\sqrt{(\sum x_i^2 - n_i^2/T)(\sum x_j^2 - n_j^2/T)}`.

    Returns:
        ``Signal(t, values)``: lag times ``t = lags * bin_size`` (ms) and ``(n_pairs, n_lags)``.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= st.n_units):
        raise ValueError(f"pairs must hold unit indices in [0, {st.n_units}), got {pairs.min()}..{pairs.max()}")
    keep, b, n_bins, _ = bin_index(st, bin_size)
    lo, hi = _window(window, n_bins)
    n_lags = hi - lo + 1
    # nonzero (row, bin) entries with counts, sorted by key = row * M + bin
    M = 2 * n_bins + abs(lo) + abs(hi) + 2
    key = st.rows * M + b if keep is None else st.rows[keep] * M + b[keep]
    ukey, cnt = np.unique(key, return_counts=True)
    if binary:
        cnt = np.minimum(cnt, 1)
    cnt = cnt.astype(np.float64)
    urow = ukey // M
    off = np.searchsorted(urow, np.arange(st.n_rows + 1))
    n_pairs = pairs.shape[0]
    # expand pairs over trials: rows (trial * n_units + i, trial * n_units + j)
    tr = np.arange(st.n_trials, dtype=np.int64)[:, None] * st.n_units
    ri = (tr + pairs[:, 0]).reshape(-1)
    rj = (tr + pairs[:, 1]).reshape(-1)
    pid = np.tile(np.arange(n_pairs), st.n_trials)
    # entries of row ri for every (pair, trial)
    ni = off[ri + 1] - off[ri]
    src = np.repeat(off[ri], ni) + _ranges(ni)
    p_of = np.repeat(pid, ni)
    rj_of = np.repeat(rj, ni)
    a = ukey[src] - urow[src] * M  # bin of the i-spike
    base = rj_of * M + a
    left = np.searchsorted(ukey, base + lo, side="left")
    right = np.searchsorted(ukey, base + hi, side="right")
    m = right - left
    tgt = np.repeat(left, m) + _ranges(m)
    lag = (ukey[tgt] - np.repeat(base, m)) - lo
    w = np.repeat(cnt[src], m) * cnt[tgt]
    flat = np.repeat(p_of, m) * n_lags + lag
    cch = np.bincount(flat, weights=w, minlength=n_pairs * n_lags).reshape(n_pairs, n_lags)
    lags = np.arange(lo, hi + 1)
    if border_correction:
        T = n_bins
        cch = cch * (T / (T - np.abs(lags)))
    if kernel is not None:
        kern = np.asarray(kernel, dtype=np.float64)
        if kern.size > abs(lo) + abs(hi) + 1:
            raise ValueError(f"kernel length must be <= {abs(lo) + abs(hi) + 1} (the CCH length), got {kern.size}")
        kern = kern / kern.sum()
        cch = np.stack([np.convolve(c, kern, mode="same") for c in cch]) if n_pairs else cch
    if cross_correlation_coefficient:
        n_row = np.bincount(urow, weights=cnt, minlength=st.n_rows).reshape(st.n_trials, st.n_units).sum(0)
        sq_row = np.bincount(urow, weights=cnt**2, minlength=st.n_rows).reshape(st.n_trials, st.n_units).sum(0)
        T = n_bins * st.n_trials
        ni_, nj_ = n_row[pairs[:, 0]], n_row[pairs[:, 1]]
        std = np.sqrt((sq_row[pairs[:, 0]] - ni_**2 / T) * (sq_row[pairs[:, 1]] - nj_**2 / T))
        with np.errstate(invalid="ignore", divide="ignore"):
            cch = (cch - (ni_ * nj_ / T)[:, None]) / std[:, None]
    return Signal(lags * float(bin_size), cch)


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def cross_correlogram(st: SpikeTrains, i: int, j: int, bin_size: float, **kwargs) -> Signal:
    """Cross-correlation histogram of one pair (see :func:`cross_correlograms`); values ``(n_lags,)``."""
    out = cross_correlograms(st, [(i, j)], bin_size, **kwargs)
    return Signal(out.t, out.values[0])


def autocorrelogram(st: SpikeTrains, bin_size: float, units=None, **kwargs) -> Signal:
    """Auto-correlograms ``CCH(u, u)`` of the given units (default all): values ``(n_units, n_lags)``.

    The zero-lag bin holds :math:`\\sum_k x_{u,k}^2` (each spike with itself), as Elephant's
    CCH of a train with itself.
    """
    units = np.arange(st.n_units) if units is None else np.asarray(units, dtype=np.int64).reshape(-1)
    return cross_correlograms(st, np.stack([units, units], axis=1), bin_size, **kwargs)


def synchrony_chi(st: SpikeTrains, bin_size: float, *, t_start=None, t_stop=None) -> float:
    r"""Population synchrony :math:`\chi` of Golomb (Golomb & Rinzel 1993; Golomb 2007, Scholarpedia 2:1347).

    .. math:: \chi^2 = \frac{\operatorname{Var}_t\!\left[\frac1N\sum_i x_i(t)\right]}
              {\frac1N \sum_i \operatorname{Var}_t[x_i(t)]}

    with :math:`x_i(t)` the spike counts of unit :math:`i` in bins of ``bin_size`` ms
    (variances over bins, ``ddof=0``; trials pooled as extra bins). :math:`\chi = 1` for
    identical trains and :math:`\chi \approx 1/\sqrt N` for :math:`N` independent ones.
    Elephant has no such measure.

    Returns:
        ``chi`` in ``[0, 1]``; NaN with a warning when no unit's count varies.
    """
    counts, n_bins, _ = flat_counts(st, bin_size, t_start, t_stop)
    X = counts.reshape(st.n_trials, st.n_units, n_bins).astype(np.float64)
    T = st.n_trials * n_bins
    N = max(st.n_units, 1)
    pop = X.sum(axis=1).reshape(-1) / N
    var_pop = pop.var()
    s1 = X.sum(axis=(0, 2))
    s2 = (X**2).sum(axis=(0, 2))
    var_units = (s2 / T - (s1 / T) ** 2).mean()
    if not var_units > 0:
        warnings.warn("synchrony_chi is undefined (NaN): no unit's spike count varies over bins", stacklevel=2)
        return float("nan")
    return float(np.sqrt(var_pop / var_units))


def spike_triggered_average(
    st: SpikeTrains,
    signal,
    sampling_period: float,
    window: tuple[float, float],
    *,
    signal_t_start: float = 0.0,
) -> Signal:
    r"""Spike-triggered average of a sampled signal, :math:`\mathrm{STA}(\tau) = \frac{1}{n}\sum_i s(t_i + \tau)`.

    Args:
        st: the triggering spikes (trials are pooled).
        signal: ``(n_samples,)`` one signal for every unit, or ``(n_samples, n_units)``
            one channel per unit (as ``res.traces[...]``), or ``(n_samples, n_channels)``
            with a single unit (each channel averaged on that unit's spikes).
        sampling_period: of the signal, ms.
        window: ``(w0, w1)``, ms relative to the spike (``w0 < w1``).
        signal_t_start: time of the first sample, ms.

    Sample ``k`` of the window is ``signal[floor((t_i + w0 - t0)/dt) + k]`` for
    ``k < ceil((w1 - w0)/dt)``, and only spikes whose whole window lies inside the signal
    are used -- Elephant's ``spike_triggered_average`` conventions.

    Returns:
        ``Signal(t, values)``: lags ``w0 + k*dt`` (ms), and ``(n_units or n_channels, n_window)``;
        NaN rows (with a warning) where no spike could be used. Elephant's result is the
        transpose.
    """
    sig = np.asarray(signal, dtype=np.float64)
    if sig.ndim == 1:
        sig = sig[:, None]
    if sig.ndim != 2 or sig.shape[0] == 0:
        raise ValueError(f"signal must be (n_samples,) or (n_samples, n_channels) with samples, got shape {np.shape(signal)}")
    dt = float(sampling_period)
    if not dt > 0:
        raise ValueError(f"sampling_period must be > 0 ms, got {dt}")
    w0, w1 = (float(w) for w in window)
    if not w1 > w0:
        raise ValueError(f"window must be (w0, w1) with w0 < w1 ms, got {window}")
    n_samp, n_ch = sig.shape
    sig_t0, sig_t1 = float(signal_t_start), float(signal_t_start) + n_samp * dt
    if w1 - w0 > sig_t1 - sig_t0:
        raise ValueError(f"window length must be <= the signal duration {sig_t1 - sig_t0} ms, got {w1 - w0}")
    W = int(np.ceil((w1 - w0) * (1.0 / dt)))
    if n_ch == 1 or n_ch == st.n_units:
        chan_of_unit = np.zeros(st.n_units, np.int64) if n_ch == 1 else np.arange(st.n_units)
        units, n_out = st.units.astype(np.int64), st.n_units
        times = st.times
    elif st.n_units == 1:
        # one train, many channels: every channel averaged over the same spikes
        units = np.repeat(np.arange(n_ch), st.n_spikes)
        times = np.tile(st.times, n_ch)
        chan_of_unit, n_out = np.arange(n_ch), n_ch
    else:
        raise ValueError(f"signal must have 1 or n_units={st.n_units} channels (or the trains 1 unit), got {n_ch}")
    ok = (times + w0 >= sig_t0) & (times + w1 <= sig_t1)
    start = np.floor((times[ok] + w0 - sig_t0) * (1.0 / dt)).astype(np.int64)
    u = units[ok]
    inside = start + W <= n_samp
    start, u = start[inside], u[inside]
    order = np.argsort(u, kind="stable")
    start, u = start[order], u[order]
    idx = start[:, None] + np.arange(W)[None, :]
    vals = sig[idx, chan_of_unit[u][:, None]]  # (n_used, W)
    n_used = np.bincount(u, minlength=n_out)
    out = np.zeros((n_out, W))
    if vals.shape[0]:
        seg = np.searchsorted(u, np.arange(n_out))
        nonempty = n_used > 0
        sums = np.add.reduceat(vals, seg[nonempty], axis=0)
        out[nonempty] = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        out = out / n_used[:, None]
    if (n_used == 0).any():
        warnings.warn(
            f"spike_triggered_average: no usable spike for {int((n_used == 0).sum())} of {n_out} units; NaN",
            stacklevel=2,
        )
    return Signal(w0 + np.arange(W) * dt, out)
