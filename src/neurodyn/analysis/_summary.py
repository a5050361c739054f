"""One-call summary statistics of a spike-train set, for the command line and reports."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._correlation import synchrony_chi
from ._rates import mean_firing_rate
from ._spiketrains import SpikeTrains, as_spiketrains
from ._variability import cv, cv2, fano_factor, lv

__all__ = ["summarize"]


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
    return {
        "n_units": int(st.n_units),
        "n_trials": int(st.n_trials),
        "n_spikes": int(st.n_spikes),
        "t_start": float(st.t_start),
        "t_stop": float(st.t_stop),
        "mean_rate": _num(float(rates.mean()) if rates.size else None),
        "silent_units": int((rates == 0).sum()),
        "rate": _stats(rates),
        "cv": _stats(cvs),
        "cv2": _stats(cv2s),
        "lv": _stats(lvs),
        "fano": _stats(fano),
        "fano_window": float(window),
        "synchrony_chi": _num(chi),
        "synchrony_bin_size": float(bs),
    }
