"""Binning of spike times, shared by the histogram, correlation and synchrony measures.

Convention (the one of Elephant's ``BinnedSpikeTrain``, so binned measures agree with it):

- ``n_bins = floor((t_stop - t_start) / bin_size)``, where a quotient within ``1e-8`` below
  an integer is rounded up (so 1000 ms / 0.1 ms gives 10,000 bins, not 9,999);
- bin ``k`` is the half-open interval ``[t_start + k*bin_size, t_start + (k+1)*bin_size)``;
  a spike's bin is ``floor((t - t_start) * (1 / bin_size))`` with the same ``1e-8`` rounding;
- spikes in a trailing partial bin (and a spike at exactly ``t_stop`` when the window is a
  whole number of bins) are not counted.
"""

from __future__ import annotations

import numpy as np

from ._spiketrains import SpikeTrains

_TOLERANCE = 1e-8


def _round_bins(x):
    """``floor(x)``, except that values within ``1e-8`` below an integer round up."""
    x = np.asarray(x, dtype=np.float64)
    frac = np.mod(x, 1.0)
    return np.floor(np.where(frac >= 1.0 - _TOLERANCE, x + 0.5, x)).astype(np.int64)


def check_window(st: SpikeTrains, t_start, t_stop) -> tuple[float, float]:
    t0 = st.t_start if t_start is None else float(t_start)
    t1 = st.t_stop if t_stop is None else float(t_stop)
    if t0 < st.t_start or t1 > st.t_stop or not t1 > t0:
        raise ValueError(
            f"analysis window must satisfy {st.t_start} <= t_start < t_stop <= {st.t_stop} ms, "
            f"got [{t0}, {t1}]"
        )
    return t0, t1


def n_bins_of(bin_size: float, t0: float, t1: float, name: str = "bin_size") -> int:
    bin_size = float(bin_size)
    if not bin_size > 0:
        raise ValueError(f"{name} must be > 0 ms, got {bin_size}")
    if bin_size > (t1 - t0) * (1 + _TOLERANCE):
        raise ValueError(f"{name} must be <= the analysis window t_stop - t_start = {t1 - t0} ms, got {bin_size}")
    return max(int(_round_bins((t1 - t0) / bin_size)), 1)


def bins_of(times, t0: float, bin_size: float) -> np.ndarray:
    """Bin of each time (int64) on the grid ``t0 + k * bin_size``, under the module convention."""
    x = np.asarray(times, dtype=np.float64) - t0
    x *= 1.0 / float(bin_size)
    b = np.floor(x)
    x -= b
    b += x >= 1.0 - _TOLERANCE  # a quotient within 1e-8 below an integer rounds up
    return b.astype(np.int64)


def bin_index(st: SpikeTrains, bin_size: float, t_start=None, t_stop=None, name: str = "bin_size"):
    """Bin of every spike under the module convention.

    Returns:
        ``(keep, bins, n_bins, t0)``: boolean mask of the spikes that fall in a bin (or
        ``None`` when all do), their bin indices (int64), the number of bins, and the
        window start.
    """
    t0, t1 = check_window(st, t_start, t_stop)
    n_bins = n_bins_of(bin_size, t0, t1, name)
    times = st.times
    b = bins_of(times, t0, bin_size)
    keep = b < n_bins
    if t0 > st.t_start or t1 < st.t_stop:
        keep &= (times >= t0) & (times <= t1)
    if keep.all():
        keep = None
    return keep, b, n_bins, t0


def binned_keys(st: SpikeTrains, bin_size: float, t_start=None, t_stop=None, name: str = "bin_size"):
    """Sorted keys ``row * n_bins + bin`` of the binned spikes, ``n_bins`` and the window start."""
    keep, b, n_bins, t0 = bin_index(st, bin_size, t_start, t_stop, name)
    if keep is None:
        key = st.rows * n_bins
        key += b
    else:
        key = st.rows[keep] * n_bins + b[keep]
    return key, n_bins, t0


def runs(key: np.ndarray):
    """Distinct values of a sorted array and their multiplicities."""
    if key.size == 0:
        return key, np.zeros(0, np.int64)
    starts = np.flatnonzero(key[1:] != key[:-1]) + 1
    starts = np.concatenate([[0], starts])
    cnt = np.diff(np.append(starts, key.size))
    return key[starts], cnt


def flat_counts(st: SpikeTrains, bin_size: float, t_start=None, t_stop=None, name: str = "bin_size"):
    """Counts per (row, bin) as a flat vector of length ``n_rows * n_bins`` (int64)."""
    key, n_bins, t0 = binned_keys(st, bin_size, t_start, t_stop, name)
    counts = np.bincount(key, minlength=st.n_rows * n_bins)
    return counts, n_bins, t0


def bin_counts(
    st: SpikeTrains,
    bin_size: float,
    *,
    t_start: float | None = None,
    t_stop: float | None = None,
    binary: bool = False,
    dtype=np.int32,
) -> np.ndarray:
    r"""Spike counts in consecutive bins: :math:`x_{u,k} = \#\{i : t_i \in [t_0 + k\Delta, t_0 + (k+1)\Delta)\}`.

    Args:
        st: the spike trains.
        bin_size: bin width :math:`\Delta`, ms (at most the window).
        t_start, t_stop: window, ms (default the trains' own).
        binary: clip counts to 0/1.
        dtype: output dtype.

    Returns:
        ``(n_units, n_bins)``, or ``(n_trials, n_units, n_bins)`` when there are trials.
        Bins follow Elephant's ``BinnedSpikeTrain`` (see the module docstring); this is
        ``BinnedSpikeTrain(...).to_array()``.

    Example:
        >>> st = SpikeTrains.from_lists([[0.5, 1.2, 1.7], [3.9]], t_stop=4.0)
        >>> bin_counts(st, 1.0)
        array([[1, 2, 0, 0],
               [0, 0, 0, 1]], dtype=int32)
    """
    counts, n_bins, _ = flat_counts(st, bin_size, t_start, t_stop)
    if binary:
        counts = np.minimum(counts, 1)
    out = counts.astype(dtype, copy=False).reshape(st.n_rows, n_bins)
    if st.trials is not None:
        out = out.reshape(st.n_trials, st.n_units, n_bins)
    return out


def np_histogram_bins(times: np.ndarray, n_bins: int, first: float, last: float):
    """Bins under ``np.histogram(times, bins=n_bins, range=(first, last))`` (last bin closed).

    Returns ``(keep, bins)`` (``keep`` is ``None`` when every spike is in range). Used by :func:`instantaneous_rate`, whose reference (Elephant)
    bins with ``np.histogram``; reproducing its edge rules keeps the two equal to rounding.
    """
    keep = (times >= first) & (times <= last)
    if keep.all():
        keep, x = None, times
    else:
        x = times[keep]
    norm = n_bins / (last - first)
    idx = ((x - first) * norm).astype(np.int64)
    idx[idx == n_bins] -= 1
    edges = np.linspace(first, last, n_bins + 1)
    dec = x < edges[idx]
    idx[dec] -= 1
    inc = (x >= edges[idx + 1]) & (idx != n_bins - 1)
    idx[inc] += 1
    return keep, idx
