"""Membrane traces, spike rasters and population rates. Each returns a matplotlib Figure.

Axes carry units (time ms, voltages mV, conductances nS, currents pA, rates Hz); rate
plots state their bin width; rasters of large populations show a subsample and say so.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..analysis._spiketrains import SpikeTrains, as_spiketrains

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _axes(ax, figsize=(8, 3)):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _labelled(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit and unit != "1" else name


def traces(res, var: str | None = None, neurons=None, ax=None) -> Figure:
    """Recorded traces of ``var`` (default: the first recorded variable) over time, the
    y axis labelled with the variable's unit (``V_m (mV)``)."""
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
    ax.set_ylabel(_labelled(var, res.unit(var)))
    if len(columns) <= 5:
        ax.legend(loc="upper right", fontsize="small")
    return fig


def raster(data, population: str | None = None, *, ax=None, max_neurons: int | None = 200,
           max_points: int = 100_000, colors=None, markersize: float = 1.5) -> Figure:
    """Spike raster: one dot per spike, populations stacked contiguously, one colour and
    one legend entry per population.

    A large population would print as a solid block, so at most ``max_neurons`` neurons
    of each population are drawn (its first ones; neurons of a population are alike in
    the bundled networks), fewer when the drawing would exceed ``max_points`` spikes; the
    title then says how many of how many are shown. ``max_neurons=None`` draws every
    neuron (still bounded by ``max_points``).

    Args:
        data: a ``Result`` or :class:`~neurodyn.analysis.SpikeTrains` (trials are stacked:
            trial ``k`` of every shown neuron above trial ``k - 1``).
        population: draw only this population.
        colors: ``{population: colour}`` or a sequence of colours.
        markersize: dot size (points).
    """
    st = SpikeTrains.from_result(data, population) if population is not None and not isinstance(data, SpikeTrains) \
        else as_spiketrains(data)
    groups = st.populations or (("all", 0, st.n_units),)
    if population is not None and isinstance(data, SpikeTrains):
        groups = tuple(g for g in groups if g[0] == population)
        if not groups:
            raise KeyError(f"population must be one of {', '.join(p[0] for p in st.populations or ())}, got {population!r}")
    # neurons shown per population: at most max_neurons, fewer if the spikes would exceed max_points
    shown = [b - a if max_neurons is None else min(b - a, int(max_neurons)) for _, a, b in groups]
    counts = np.bincount(st.units, minlength=st.n_units) if st.n_spikes else np.zeros(st.n_units, np.int64)
    drawn = sum(int(counts[a:a + m].sum()) for (_, a, _), m in zip(groups, shown))
    if drawn > max_points:
        shown = [max(1, int(m * max_points / drawn)) for m in shown]
        while sum(int(counts[a:a + m].sum()) for (_, a, _), m in zip(groups, shown)) > max_points and max(shown) > 1:
            shown = [max(1, m * 9 // 10) for m in shown]
    per_trial = sum(shown)
    fig, ax = _axes(ax, (8, 4))
    color_of = dict(colors) if isinstance(colors, dict) else {}
    cycle = list(colors) if colors is not None and not isinstance(colors, dict) else list(_COLORS)
    offset = 0
    for k, ((name, a, _), m) in enumerate(zip(groups, shown)):
        sel = (st.units >= a) & (st.units < a + m)
        y = st.units[sel] - a + offset
        if st.trials is not None:
            y = y + st.trials[sel] * per_trial
        ax.plot(st.times[sel], y, ".", ms=markersize, color=color_of.get(name, cycle[k % len(cycle)]),
                label=name, rasterized=True)
        offset += m
    ax.set_xlim(st.t_start, st.t_stop)
    ax.set_ylim(-0.5, max(per_trial * st.n_trials, 1) - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron" if st.trials is None else "trial x neuron")
    if any(m < b - a for (_, a, b), m in zip(groups, shown)):
        ax.set_title("shown: " + ", ".join(f"{name} {m:,} of {b - a:,} neurons"
                                           for (name, a, b), m in zip(groups, shown)), fontsize="small")
    if len(groups) > 1:
        ax.legend(loc="upper right", fontsize="small", markerscale=6)
    return fig


def resolving_bin_size(times, t_start: float, t_stop: float, dt: float | None = None) -> float:
    """A bin width (ms) for a population rate that resolves its oscillations.

    1 ms (a tenth of the run for runs shorter than 10 ms); when the pooled spike train
    oscillates (a spectral peak at least 20 times the median power, between 5 Hz and the
    Nyquist frequency of a ``dt`` grid), an eighth of the oscillation's period instead if
    that is finer. Never below ``dt`` (default 0.1 ms), and a multiple of it.
    """
    duration = float(t_stop - t_start)
    dt = 0.1 if dt is None else float(dt)
    fine = max(dt, duration / 2**20)
    coarse = max(dt, min(1.0, duration / 10))
    times = np.asarray(times, dtype=np.float64)
    bins = int(duration // fine)
    if times.size > 10 and bins >= 64:
        counts = np.bincount(np.minimum(((times - t_start) / fine).astype(np.int64), bins - 1), minlength=bins)
        power = np.abs(np.fft.rfft(counts - counts.mean())) ** 2
        freq = np.fft.rfftfreq(bins, fine * 1e-3)  # Hz
        band = (freq >= 5.0) & (freq < 0.5e3 / fine)
        if band.any():
            peak = np.argmax(np.where(band, power, 0.0))
            if power[peak] > 20 * np.median(power[band]):
                coarse = min(coarse, 1e3 / freq[peak] / 8)
    return float(max(1, round(coarse / dt)) * dt)


def population_rate(res, bin_size: float | None = None, population: str | None = None, ax=None) -> Figure:
    """Population firing rate (Hz) in bins of ``bin_size`` ms, stated in the y label.

    ``bin_size=None`` picks one that resolves the network's oscillations
    (:func:`resolving_bin_size`: 1 ms, finer for fast oscillations).
    """
    fig, ax = _axes(ax)
    pops = res.populations if population is None else (population,)
    if bin_size is None:
        times = np.concatenate([res.spikes_of(p).times for p in pops]) if pops else np.zeros(0)
        bin_size = resolving_bin_size(times, 0.0, res.duration, res.dt)
    for k, pop in enumerate(pops):
        centres, rate = res.population_rate(bin_size, pop)
        ax.plot(centres, rate, lw=0.8, color=_COLORS[k % len(_COLORS)], label=pop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz), {bin_size:g} ms bins")
    if len(pops) > 1:
        ax.legend(loc="upper right", fontsize="small")
    return fig
