"""One-call summary statistics of a spike-train set, for the command line and reports."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._binning import bins_of, n_bins_of
from ._correlation import synchrony_chi
from ._rates import mean_firing_rate
from ._spiketrains import SpikeTrains, as_spiketrains
from ._variability import cv, cv2, fano_factor, lv

__all__ = ["summarize", "summarize_events"]


def _stats(x) -> dict:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    x = x[np.isfinite(x)]
    if not x.size:
        return {"n": 0, "mean": None, "std": None, "median": None}
    return {"n": int(x.size), "mean": float(x.mean()), "std": float(x.std()), "median": float(np.median(x))}


def _num(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def summarize(spike_trains, *, bin_size: float = 5.0, fano_window: float = 100.0) -> dict:
    """JSON-serialisable summary statistics of spike trains (or a ``Result``).

    Keys: ``n_units``, ``n_trials``, ``n_spikes``, ``t_start``, ``t_stop`` (ms),
    ``mean_rate`` (Hz, over all units), ``rate`` / ``cv`` / ``cv2`` / ``lv`` / ``fano``
    (``{"n", "mean", "std", "median"}`` over the units where defined; Fano in windows of
    ``fano_window`` ms), ``silent_units``, ``synchrony_chi`` (counts in ``bin_size`` ms
    bins), and ``populations`` with the same per population when there are several.
    Undefined values are ``None`` (never NaN, which JSON cannot hold).

    Example:
        >>> from neurodyn.analysis import poisson
        >>> s = summarize(poisson(10.0, 2000.0, key=0, n_units=50))
        >>> s["n_units"], s["rate"]["n"], 0.8 < s["cv"]["mean"] < 1.1
        (50, 50, True)
    """
    st = as_spiketrains(spike_trains)
    out = _summary_one(st, bin_size, fano_window)
    if st.populations and len(st.populations) > 1:
        out["populations"] = {
            name: _summary_one(st.population(name), bin_size, fano_window) for name, _, _ in st.populations
        }
    return out


def _summary_one(st: SpikeTrains, bin_size: float, fano_window: float) -> dict:
    rates = mean_firing_rate(st)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cvs, cv2s, lvs = cv(st), cv2(st), lv(st)
        window = min(fano_window, st.duration)
        fano = fano_factor(st, window) if st.n_units else np.zeros(0)
        bs = min(bin_size, st.duration)
        chi = synchrony_chi(st, bs) if st.n_units and st.n_spikes else float("nan")
    return _summary_dict(st.n_units, st.n_trials, st.n_spikes, st.t_start, st.t_stop, rates, cvs, cv2s, lvs,
                         fano, window, chi, bs)


def _summary_dict(n_units, n_trials, n_spikes, t_start, t_stop, rates, cvs, cv2s, lvs, fano, fano_window,
                  chi, chi_bin) -> dict:
    """The JSON-safe summary, from per-unit measures (both ways of computing them)."""
    return {
        "n_units": int(n_units),
        "n_trials": int(n_trials),
        "n_spikes": int(n_spikes),
        "t_start": float(t_start),
        "t_stop": float(t_stop),
        "mean_rate": _num(float(rates.mean()) if rates.size else None),
        "silent_units": int((rates == 0).sum()),
        "rate": _stats(rates),
        "cv": _stats(cvs),
        "cv2": _stats(cv2s),
        "lv": _stats(lvs),
        "fano": _stats(fano),
        "fano_window": float(fano_window),
        "synchrony_chi": _num(chi),
        "synchrony_bin_size": float(chi_bin),
    }


# -- the same summary in bounded memory ---------------------------------------------


def summarize_events(populations, t_stop: float, *, t_start: float = 0.0, bin_size: float = 5.0,
                     fano_window: float = 100.0, block_spikes: int = 1_000_000) -> dict:
    """:func:`summarize` of time-ordered spike events, in memory bounded by ``block_spikes``.

    The events are read in consecutive time blocks of about ``block_spikes`` spikes; every
    statistic is accumulated exactly over the whole run (per-neuron interval moments and
    the interval pairs that straddle blocks, per-neuron sums of binned counts and of their
    squares, sums over the bins of the population counts), so the memory used is a few
    arrays of ``n`` values plus one block, whatever the duration. The result equals
    ``summarize`` of the same spikes up to floating-point rounding.

    Args:
        populations: ``[(name, times, indices, n), ...]``: each population's spike times
            (ms, non-decreasing) and neuron indices in ``[0, n)``; NumPy arrays or anything
            with ``len()`` and slicing (an ``h5py`` dataset: a results file is then read one
            block at a time).
        t_stop, t_start: the observation window, ms.
        bin_size, fano_window: as in :func:`summarize`.
        block_spikes: spikes per block, about.
    """
    pops = [(str(name), times, indices, int(n)) for name, times, indices, n in populations]
    ranges, offset = [], 0
    for name, _, _, n in pops:
        ranges.append((name, offset, offset + n))
        offset += n
    n_units, t_start, t_stop = offset, float(t_start), float(t_stop)
    if not t_stop > t_start:
        raise ValueError(f"t_stop must be > t_start={t_start} ms, got {t_stop}")
    duration = t_stop - t_start
    fano_window, bin_size = min(fano_window, duration), min(bin_size, duration)
    streams = [_Stream(times, indices) for _, times, indices, _ in pops]
    total = sum(len(s) for s in streams)
    intervals = _Intervals(n_units)
    fano = _BinnedMoments(n_units, t_start, fano_window, n_bins_of(fano_window, t_start, t_stop, "fano_window"), ranges)
    sync = _BinnedMoments(n_units, t_start, bin_size, n_bins_of(bin_size, t_start, t_stop), ranges)
    counts = np.zeros(n_units, np.int64)
    n_blocks = max(1, -(-total // max(int(block_spikes), 1)))
    for k in range(1, n_blocks + 1):
        stop = t_start + duration * k / n_blocks if k < n_blocks else math.inf
        parts = [(s.until(stop), a) for s, (_, a, _) in zip(streams, ranges)]
        times = np.concatenate([t for (t, _), _ in parts]) if parts else np.zeros(0)
        units = np.concatenate([u.astype(np.int64) + a for (_, u), a in parts]) if parts else np.zeros(0, np.int64)
        counts += np.bincount(units, minlength=n_units)
        intervals.add(times, units)
        fano.add(times, units, stop)
        sync.add(times, units, stop)
    out = _summary_of(slice(0, n_units), counts, intervals, fano, sync, (None, 0, n_units), t_start, t_stop)
    if len(ranges) > 1:
        out["populations"] = {r[0]: _summary_of(slice(r[1], r[2]), counts, intervals, fano, sync, r, t_start, t_stop)
                              for r in ranges}
    return out


class _Stream:
    """Time-ordered events read block by block from arrays (or lazily sliced datasets)."""

    def __init__(self, times, indices, chunk: int = 1 << 20):
        self.times, self.indices, self.chunk, self.read = times, indices, chunk, 0
        self.buffer = (np.zeros(0), np.zeros(0, np.int64))

    def __len__(self):
        return len(self.times)

    def until(self, stop: float):
        """The next events with time < ``stop``."""
        t, u = self.buffer
        while self.read < len(self.times) and (not t.size or t[-1] < stop):
            end = min(self.read + self.chunk, len(self.times))
            t = np.concatenate([t, np.asarray(self.times[self.read:end], dtype=np.float64)])
            u = np.concatenate([u, np.asarray(self.indices[self.read:end], dtype=np.int64)])
            self.read = end
        if t.size > 1 and np.any(t[1:] < t[:-1]):
            raise ValueError("spike times must be in time order (non-decreasing) to be summarised in blocks")
        k = int(np.searchsorted(t, stop, side="left"))
        self.buffer = (t[k:], u[k:])
        return t[:k], u[:k]


class _Intervals:
    """Per-neuron inter-spike-interval moments (CV) and interval-pair sums (CV2, LV), carried across blocks."""

    def __init__(self, n: int):
        self.last_t = np.full(n, np.nan)
        self.last_iv = np.full(n, np.nan)
        self.n, self.mean, self.m2 = np.zeros(n), np.zeros(n), np.zeros(n)
        self.pairs, self.cv2, self.lv = np.zeros(n), np.zeros(n), np.zeros(n)

    def add(self, times, units):
        n = self.n.size
        if not times.size:
            return
        present = np.unique(units)
        carried = present[np.isfinite(self.last_t[present])]
        t = np.concatenate([self.last_t[carried], times])  # each neuron's last spike first
        u = np.concatenate([carried, units])
        order = np.argsort(u, kind="stable")
        t, u = t[order], u[order]
        same = u[1:] == u[:-1]
        iv, r = np.diff(t)[same], u[1:][same]
        ends = np.flatnonzero(np.append(u[1:] != u[:-1], True))
        self.last_t[u[ends]] = t[ends]
        if not iv.size:
            return
        # CV: merge this block's per-neuron mean and squared deviations (Chan et al.)
        nb = np.bincount(r, minlength=n).astype(np.float64)
        has = nb > 0
        mb = np.bincount(r, weights=iv, minlength=n)[has] / nb[has]
        full_mb = np.zeros(n)
        full_mb[has] = mb
        m2b = np.bincount(r, weights=(iv - full_mb[r]) ** 2, minlength=n)[has]
        n0, n1 = self.n[has], nb[has]
        delta = mb - self.mean[has]
        total = n0 + n1
        self.mean[has] += delta * n1 / total
        self.m2[has] += m2b + delta**2 * n0 * n1 / total
        self.n[has] = total
        # CV2 / LV: consecutive interval pairs, the first one with the neuron's previous interval
        old = np.unique(r)
        old = old[np.isfinite(self.last_iv[old])]
        a_iv = np.concatenate([self.last_iv[old], iv])
        a_r = np.concatenate([old, r])
        order = np.argsort(a_r, kind="stable")
        a_iv, a_r = a_iv[order], a_r[order]
        same = a_r[1:] == a_r[:-1]
        a, b, pr = a_iv[:-1][same], a_iv[1:][same], a_r[1:][same]
        self.pairs += np.bincount(pr, minlength=n)
        self.cv2 += np.bincount(pr, weights=2.0 * np.abs(b - a) / (a + b), minlength=n)
        self.lv += np.bincount(pr, weights=3.0 * ((b - a) / (a + b)) ** 2, minlength=n)
        ends = np.flatnonzero(np.append(a_r[1:] != a_r[:-1], True))
        self.last_iv[a_r[ends]] = a_iv[ends]


class _BinnedMoments:
    """Sums over the bins of a grid of each neuron's count and squared count, and of each
    population's count and squared count; a bin is counted once every spike in it has arrived."""

    def __init__(self, n: int, t0: float, width: float, n_bins: int, ranges):
        self.t0, self.width, self.n_bins, self.ranges = t0, width, n_bins, ranges
        self.s1, self.s2 = np.zeros(n, np.int64), np.zeros(n, np.int64)
        self.pop = {name: [0, 0] for name, _, _ in ranges}
        self.pop[None] = [0, 0]  # every neuron
        self.done = 0
        self.carry = (np.zeros(0, np.int64), np.zeros(0, np.int64))

    def add(self, times, units, stop: float):
        complete = self.n_bins if math.isinf(stop) else min(int(bins_of([stop], self.t0, self.width)[0]), self.n_bins)
        b = np.concatenate([self.carry[0], bins_of(times, self.t0, self.width)])
        u = np.concatenate([self.carry[1], units])
        later = b >= complete
        self.carry = (b[later & (b < self.n_bins)], u[later & (b < self.n_bins)])
        b, u = b[~later], u[~later]
        span = max(complete - self.done, 1)
        keys, cnt = np.unique(u * span + (b - self.done), return_counts=True)
        owner = keys // span
        self.s1 += np.bincount(owner, weights=cnt, minlength=self.s1.size).astype(np.int64)
        self.s2 += np.bincount(owner, weights=cnt.astype(np.float64) ** 2, minlength=self.s1.size).astype(np.int64)
        for name, lo, hi in self.ranges + [(None, 0, self.s1.size)]:
            c = np.bincount(b[(u >= lo) & (u < hi)] - self.done, minlength=span).astype(np.int64)
            self.pop[name][0] += int(c.sum())
            self.pop[name][1] += int((c * c).sum())
        self.done = max(self.done, complete)

    def fano(self, sel: slice) -> np.ndarray:
        W, s1, s2 = self.n_bins, self.s1[sel], self.s2[sel]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = ((W * s2 - s1 * s1) / W**2) / (s1 / W)
        out[s1 == 0] = np.nan
        return out

    def chi(self, sel: slice, name: str) -> float:
        T, N = self.n_bins, max(sel.stop - sel.start, 1)
        p1, p2 = self.pop[name]
        var_pop = (T * p2 - p1 * p1) / T**2 / N**2  # exact integers until the division
        s1, s2 = self.s1[sel] / T, self.s2[sel] / T
        var_units = (s2 - s1**2).mean() if s1.size else float("nan")
        return float(np.sqrt(var_pop / var_units)) if var_units > 0 else float("nan")


def _summary_of(sel, counts, iv: _Intervals, fano: _BinnedMoments, sync: _BinnedMoments, rng, t_start, t_stop):
    name, lo, hi = rng
    rates = counts[sel] / ((t_stop - t_start) * 1e-3)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = iv.n[sel]
        cvs = np.where(n >= 2, np.sqrt(iv.m2[sel] / n) / iv.mean[sel], np.nan)
        pairs = iv.pairs[sel]
        cv2s = np.where(pairs >= 1, iv.cv2[sel] / pairs, np.nan)
        lvs = np.where(pairs >= 1, iv.lv[sel] / pairs, np.nan)
    n_spikes = int(counts[sel].sum())
    fano_values = fano.fano(sel) if hi > lo else np.zeros(0)
    chi = sync.chi(sel, name) if hi > lo and n_spikes else float("nan")
    return _summary_dict(hi - lo, 1, n_spikes, t_start, t_stop, rates, cvs, cv2s, lvs, fano_values, fano.width,
                         chi, sync.width)
