"""Figures a neuroscientist would publish: units on every axis, stated bin widths,
bounded rasters of large populations with contiguous populations and a matching legend,
rate bins that resolve oscillations. Checked on the Figure's artists, not on pixels."""

import warnings

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import neurodyn as nd  # noqa: E402
import neurodyn.analysis as na  # noqa: E402
from neurodyn.connectivity import ExpConductance, ExpCurrent, WithSynapses  # noqa: E402


@pytest.fixture(scope="module")
def lif():
    model = nd.neurons.LIF(n=20, I_e=np.linspace(300.0, 500.0, 20))
    return nd.simulate(model, 200.0, 0.1, record=["spikes", "V_m"], progress=False)


@pytest.fixture(scope="module")
def net():
    cell = WithSynapses(nd.neurons.LIF(n=4, I_e=400.0), {"exc": ExpConductance(tau=5.0, E_rev=0.0), "inh": ExpCurrent(tau=10.0)})
    network = nd.Network({"E": cell, "I": cell})
    return nd.simulate(network, 50.0, 0.1, record=["spikes", "E.V_m", "E.g_exc", "E.g_inh"], progress=False)


def _brunel_like(n_e=10_000, n_i=2_500, rate=20.0, duration=500.0, key=0):
    st = na.poisson(rate, duration, key=key, n_units=n_e + n_i)
    return na.SpikeTrains(st.times, st.units, n_e + n_i, 0.0, duration, populations=(("E", 0, n_e), ("I", n_e, n_e + n_i)))


def test_traces_label_time_and_the_variables_unit(lif, net):
    ax = nd.plot.traces(lif, "V_m").axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (ms)", "V_m (mV)")
    assert nd.plot.traces(net, "E.g_exc").axes[0].get_ylabel() == "E.g_exc (nS)"
    assert nd.plot.traces(net, "E.g_inh").axes[0].get_ylabel() == "E.g_inh (pA)"


def test_rate_plots_state_their_bin_width_and_unit(lif):
    ax = nd.plot.population_rate(lif, 2.0).axes[0]
    assert ax.get_ylabel() == "rate (Hz), 2 ms bins" and ax.get_xlabel() == "time (ms)"
    np.testing.assert_allclose(np.diff(ax.get_lines()[0].get_xdata()), 2.0)
    ax = nd.plot.psth(_brunel_like(n_e=80, n_i=20), 5.0).axes[0]
    assert ax.get_ylabel() == "rate (Hz), 5 ms bins"
    x = ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(np.diff(x), 5.0)


def test_default_rate_bin_is_at_most_1_ms_and_resolves_a_fast_oscillation():
    flat = _brunel_like(n_e=400, n_i=100)
    assert nd.plot.resolving_bin_size(flat.times, 0.0, 500.0, 0.1) == pytest.approx(1.0)
    # a population rate oscillating at 180 Hz (Brunel's SI-fast regime)
    t = np.arange(0.0, 500.0, 0.1)
    rate = 40.0 * (1.0 + np.sin(2 * np.pi * 0.180 * t))
    osc = na.inhomogeneous_poisson(rate, key=1, dt=0.1, n_units=400)
    bin_size = nd.plot.resolving_bin_size(osc.times, 0.0, 500.0, 0.1)
    period = 1e3 / 180.0
    assert bin_size <= period / 6 and bin_size >= 0.1
    assert abs(bin_size / 0.1 - round(bin_size / 0.1)) < 1e-9  # a whole number of steps
    ax = nd.plot.psth(osc).axes[0]
    assert ax.get_ylabel() == f"rate (Hz), {bin_size:g} ms bins"


def test_raster_of_a_large_network_is_subsampled_contiguous_and_says_so():
    st = _brunel_like()
    fig = nd.plot.raster(st)
    ax = fig.axes[0]
    lines = ax.get_lines()
    points = sum(len(line.get_xdata()) for line in lines)
    assert points <= 100_000
    e, i = (np.asarray(line.get_ydata()) for line in lines)
    assert e.min() >= 0 and e.max() < 200  # at most 200 neurons of E...
    assert i.min() >= 200 and i.max() < 400  # ...and I directly above them
    assert ax.get_ylim() == (-0.5, 399.5)
    assert ax.get_title() == "shown: E 200 of 10,000 neurons, I 200 of 2,500 neurons"
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["E", "I"]
    assert [h.get_color() for h in legend.legend_handles] == [line.get_color() for line in lines]


def test_raster_bounds_the_points_it_draws():
    st = _brunel_like(n_e=400, n_i=100, rate=200.0, duration=1000.0)  # 100,000 spikes
    ax = nd.plot.raster(st, max_neurons=None, max_points=20_000).axes[0]
    assert sum(len(line.get_xdata()) for line in ax.get_lines()) <= 20_000
    assert "of 400 neurons" in ax.get_title()


def test_small_raster_draws_every_spike_without_a_title(lif):
    ax = nd.plot.raster(lif).axes[0]
    assert sum(len(line.get_xdata()) for line in ax.get_lines()) == lif.spikes.times.size
    assert ax.get_title() == "" and ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "neuron"


def test_summary_raster_is_contiguous_with_a_matching_legend():
    st = _brunel_like(n_e=1000, n_i=250, duration=200.0)
    fig = nd.plot.summary(st, max_units=50)
    raster_ax = next(ax for ax in fig.axes if ax.get_ylabel() == "neuron")
    e, i = (np.asarray(line.get_ydata()) for line in raster_ax.get_lines())
    assert e.max() < 50 and 50 <= i.min() and i.max() < 100
    assert [t.get_text() for t in raster_ax.get_legend().get_texts()] == ["E", "I"]
    rate_ax = next(ax for ax in fig.axes if ax.get_ylabel().startswith("rate (Hz)"))
    assert rate_ax.get_ylabel() == "rate (Hz), 1 ms bins"
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel(), "every panel labels both axes"


def test_network_result_raster_and_rate(net):
    ax = nd.plot.raster(net).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["E", "I"]
    ax = nd.plot.population_rate(net).axes[0]
    assert ax.get_ylabel().startswith("rate (Hz), ") and ax.get_ylabel().endswith(" ms bins")


def test_spike_raster_is_a_deprecated_alias_of_raster():
    st = _brunel_like(n_e=80, n_i=20, duration=100.0)
    with pytest.warns(DeprecationWarning, match="use neurodyn.plot.raster"):
        old = nd.plot.spike_raster(st, max_units=10).axes[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = nd.plot.raster(st, max_neurons=10).axes[0]
    for a, b in zip(old.get_lines(), new.get_lines()):
        np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
