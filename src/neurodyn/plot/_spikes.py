"""Spike-train figures: PSTH, ISI histogram, CV distribution, correlogram, and a one-call
summary of a network run (the raster is :func:`neurodyn.plot.raster`).

Every function takes :class:`~neurodyn.analysis.SpikeTrains` or a ``Result``, draws with
``matplotlib.figure.Figure`` (no pyplot state), and returns the Figure. Pass ``ax=`` to
draw into an existing axes instead.
"""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.figure import Figure

from ..analysis import _correlation, _rates, _variability
from ..analysis._spiketrains import as_spiketrains
from .._warn import warn
from ._basic import _COLORS, _axes, raster, resolving_bin_size

__all__ = ["spike_raster", "psth", "isi_histogram", "cv_distribution", "correlogram", "summary"]


def _groups(st):
    return st.populations or (("all", 0, st.n_units),)


def spike_raster(data, *, ax=None, colors=None, max_units: int | None = None, markersize: float = 1.5) -> Figure:
    """Deprecated: use :func:`raster` (the one raster of neurodyn; it takes spike trains too)."""
    warn("neurodyn.plot.spike_raster is deprecated; use neurodyn.plot.raster (same figure, "
         "max_units is called max_neurons)", DeprecationWarning)
    return raster(data, ax=ax, colors=colors, max_neurons=max_units, markersize=markersize)


def psth(data, bin_size: float | None = None, *, ax=None, per_population: bool = True) -> Figure:
    """Trial-averaged population rate (PSTH), Hz, one line per population, in bins of
    ``bin_size`` ms (stated in the y label); ``None`` picks a bin that resolves the
    oscillations (:func:`resolving_bin_size`)."""
    st = as_spiketrains(data)
    if bin_size is None:
        bin_size = resolving_bin_size(st.times, st.t_start, st.t_stop)
    fig, ax = _axes(ax)
    groups = _groups(st) if per_population else (("all", 0, st.n_units),)
    for k, (name, a, b) in enumerate(groups):
        sub = st if (a, b) == (0, st.n_units) else st.select(slice(a, b))
        h = _rates.psth(sub, bin_size)
        ax.step(h.t, h.values, where="post", color=_COLORS[k % len(_COLORS)], label=name, lw=1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz), {bin_size:g} ms bins")
    ax.set_xlim(st.t_start, st.t_stop)
    if len(groups) > 1:
        ax.legend(fontsize="small")
    return fig


def isi_histogram(data, *, bins: int = 50, max_isi: float | None = None, log: bool = False, ax=None) -> Figure:
    """Histogram of all inter-spike intervals (ms), as a probability density."""
    st = as_spiketrains(data)
    fig, ax = _axes(ax)
    iv = _variability.isi_pooled(st)
    if iv.size:
        hi = max_isi if max_isi is not None else float(np.quantile(iv, 0.99))
        edges = np.geomspace(max(iv.min(), 1e-3), max(hi, iv.min() * 1.01 + 1e-3), bins + 1) if log else np.linspace(0, hi, bins + 1)
        ax.hist(iv, bins=edges, density=True, color=_COLORS[0], alpha=0.8)
        if log:
            ax.set_xscale("log")
    ax.set_xlabel("inter-spike interval (ms)")
    ax.set_ylabel("density (1/ms)")
    return fig


def cv_distribution(data, *, bins: int = 30, ax=None) -> Figure:
    """Distribution of the ISI coefficient of variation over units (1 = Poisson marked)."""
    st = as_spiketrains(data)
    fig, ax = _axes(ax)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = np.asarray(_variability.cv(st)).ravel()
    c = c[np.isfinite(c)]
    if c.size:
        ax.hist(c, bins=bins, color=_COLORS[2], alpha=0.8)
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xlabel("CV of ISI")
    ax.set_ylabel("units")
    return fig


def correlogram(data, i: int, j: int | None = None, bin_size: float = 1.0, *, window=(-50, 50), ax=None) -> Figure:
    """Cross-correlogram of units ``i`` and ``j`` (auto-correlogram when ``j`` is None)."""
    st = as_spiketrains(data)
    fig, ax = _axes(ax)
    j = i if j is None else j
    c = _correlation.cross_correlogram(st, i, j, bin_size, window=window)
    ax.bar(c.t, c.values, width=bin_size, color=_COLORS[3], align="center")
    ax.set_xlabel(f"lag (ms), unit {j} after unit {i}")
    ax.set_ylabel("coincidences")
    return fig


def summary(data, *, bin_size: float = 5.0, max_units: int = 200) -> Figure:
    """One figure for a network run: raster (at most ``max_units`` neurons per
    population), population rate (in bins that resolve oscillations), ISI histogram, CV
    and rate distributions, and the distribution of pairwise spike-count correlations
    (in bins of ``bin_size`` ms, over the first ``max_units`` units).
    """
    from ..analysis._summary import summarize

    st = as_spiketrains(data)
    fig = Figure(figsize=(13.0, 7.0), layout="constrained")
    gs = fig.add_gridspec(3, 4)
    raster(st, ax=fig.add_subplot(gs[0:2, 0:2]), max_neurons=max_units)
    psth(st, ax=fig.add_subplot(gs[2, 0:2]))
    isi_histogram(st, ax=fig.add_subplot(gs[0, 2]))
    cv_distribution(st, ax=fig.add_subplot(gs[0, 3]))
    ax_c = fig.add_subplot(gs[1:, 3])
    sub = st.select(range(min(st.n_units, max_units)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cc = _correlation.correlation_coefficient(sub, min(bin_size, st.duration)) if sub.n_units > 1 else np.zeros((1, 1))
    vals = cc[np.triu_indices_from(cc, k=1)]
    vals = vals[np.isfinite(vals)]
    if vals.size:
        ax_c.hist(vals, bins=40, color=_COLORS[4], alpha=0.8)
    ax_c.set_xlabel(f"spike-count correlation ({min(bin_size, st.duration):g} ms bins)")
    ax_c.set_ylabel("pairs")
    ax = fig.add_subplot(gs[1:, 2])
    rates = _rates.mean_firing_rate(st)
    ax.hist(rates, bins=30, color=_COLORS[1], alpha=0.7)
    ax.set_xlabel("firing rate (Hz)")
    ax.set_ylabel("units")
    s = summarize(st, bin_size=bin_size)

    def fmt(v):
        return "n/a" if v is None else f"{v:.3g}"

    text = (f"{s['n_units']} units, {s['n_spikes']} spikes\n"
            f"rate {fmt(s['mean_rate'])} Hz, CV {fmt(s['cv']['mean'])}\n"
            f"Fano {fmt(s['fano']['mean'])}, chi {fmt(s['synchrony_chi'])}")
    ax.text(0.98, 0.97, text, transform=ax.transAxes, ha="right", va="top", fontsize="small")
    fig.suptitle("spike-train summary")
    return fig
