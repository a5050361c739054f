"""Membrane traces, spike rasters and population rates. Each returns a matplotlib Figure."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def _axes(ax, figsize=(8, 3)):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def traces(res, var: str | None = None, neurons=None, ax=None) -> Figure:
    """Recorded traces of ``var`` (default: the first recorded variable) over time."""
    if not res.traces:
        raise ValueError("the result holds no traces; record a variable, e.g. record=['V_m']")
    var = var or next(iter(res.traces))
    if var not in res.traces:
        raise KeyError(f"no trace {var!r}; recorded: {', '.join(res.traces)}")
    values = np.asarray(res.traces[var])
    columns = range(min(values.shape[1], 10)) if neurons is None else neurons
    fig, ax = _axes(ax)
    labels = dict(res.recorded).get(var)
    for j in columns:
        ax.plot(np.asarray(res.t), values[:, j], lw=0.8, label=f"neuron {labels[j] if labels else j}")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(var)
    if len(columns) <= 5:
        ax.legend(loc="upper right", fontsize="small")
    return fig


def raster(res, population: str | None = None, ax=None, max_neurons: int | None = None) -> Figure:
    """Spike raster: one dot per spike. Networks: every population stacked, coloured per population."""
    fig, ax = _axes(ax, (8, 4))
    pops = res.populations if population is None else (population,)
    offset = 0
    for k, pop in enumerate(pops):
        s = res.spikes_of(pop)
        n = s.n if max_neurons is None else min(s.n, max_neurons)
        keep = s.indices < n
        ax.scatter(s.times[keep], s.indices[keep] + offset, s=1.5, marker="|", color=f"C{k}", label=pop, linewidths=0.6)
        offset += n
    ax.set_xlim(res.t0, res.t0 + res.duration)
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    if len(pops) > 1:
        ax.legend(loc="upper right", markerscale=8, fontsize="small")
    return fig


def population_rate(res, bin_size: float = 1.0, population: str | None = None, ax=None) -> Figure:
    """Population firing rate (Hz) in bins of ``bin_size`` ms."""
    fig, ax = _axes(ax)
    pops = res.populations if population is None else (population,)
    for k, pop in enumerate(pops):
        centres, rate = res.population_rate(bin_size, pop)
        ax.plot(centres, rate, lw=0.8, color=f"C{k}", label=pop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    if len(pops) > 1:
        ax.legend(loc="upper right", fontsize="small")
    return fig
