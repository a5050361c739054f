"""The SpikeTrains container: construction, invariants, clear errors on bad input."""

import warnings
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import neurodyn.analysis as na
from neurodyn.analysis import SpikeTrains

T = 100.0

trains_strategy = hs.lists(
    hs.lists(hs.floats(0.0, T, allow_nan=False), max_size=30).map(sorted), min_size=1, max_size=8
)


@settings(max_examples=60, deadline=None)
@given(trains_strategy)
def test_lists_and_arrays_give_the_same_container(trains):
    a = SpikeTrains.from_lists(trains, t_stop=T)
    times = np.concatenate([np.asarray(t, float) for t in trains])
    units = np.repeat(np.arange(len(trains)), [len(t) for t in trains])
    perm = np.random.default_rng(0).permutation(times.size)
    b = SpikeTrains.from_arrays(times[perm], units[perm], n_units=len(trains), t_stop=T)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.units, b.units)
    by_time = np.argsort(times, kind="stable")  # simulator output: events in time order
    c = SpikeTrains.from_arrays(times[by_time], units[by_time], n_units=len(trains), t_stop=T)
    np.testing.assert_array_equal(c.times, a.times)
    np.testing.assert_array_equal(c.units, a.units)
    for u, t in enumerate(trains):
        np.testing.assert_array_equal(a.unit(u), t)
        np.testing.assert_array_equal(a.to_lists()[u], t)
    np.testing.assert_array_equal(a.counts(), [len(t) for t in trains])
    # invariants of the measures on arbitrary data
    assert na.time_histogram(a, 7.0).values.sum() <= a.n_spikes
    c = na.bin_counts(a, 10.0)
    # only spikes at (or within rounding of) t_stop = 100 fall outside the 10 bins
    assert np.sum(a.times < 99.99) <= c.sum() <= a.n_spikes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = na.cv(a)
    assert np.all((cv >= 0) | np.isnan(cv))
    r = na.instantaneous_rate(a, 1.0, "gaussian", sigma=3.0)
    assert np.all(r.values >= 0)


@settings(max_examples=40, deadline=None)
@given(trains_strategy, hs.integers(1, 10))
def test_cross_correlogram_total_mass(trains, bin_size):
    """Full-window CCH sums to n_i * n_j (every pair of binned spikes at some lag)."""
    st = SpikeTrains.from_lists(trains, t_stop=T)
    c = na.bin_counts(st, float(bin_size)).sum(axis=1)
    cch = na.cross_correlograms(st, [(0, len(trains) - 1)], float(bin_size))
    assert cch.values.sum() == c[0] * c[-1]


def test_trials_from_nested_lists():
    st = SpikeTrains.from_lists([[[1.0, 2.0], [3.0]], [[4.0], []]], t_stop=10.0)
    assert (st.n_trials, st.n_units, st.n_spikes) == (2, 2, 4)
    np.testing.assert_array_equal(st.unit(0, trial=1), [4.0])
    np.testing.assert_array_equal(st.counts(), [[2, 1], [1, 0]])
    assert st.to_lists()[0][1].tolist() == [3.0]


def test_select_population_and_time_slice():
    st = SpikeTrains.from_arrays([1.0, 2.0, 3.0, 4.0], [0, 1, 2, 3], n_units=4, t_stop=5.0,
                                 populations=(("E", 0, 3), ("I", 3, 4)))
    e = st.population("E")
    assert e.n_units == 3 and e.n_spikes == 3
    i = st.population("I")
    np.testing.assert_array_equal(i.unit(0), [4.0])
    s = st.time_slice(2.0, 3.0)
    np.testing.assert_array_equal(s.times, [2.0, 3.0])
    with pytest.raises(ValueError, match="population must be one of"):
        st.population("X")


class _Spikes(NamedTuple):
    times: np.ndarray
    indices: np.ndarray
    n: int


def _fake_result():
    """A stand-in with the documented Result contract (spikes, duration, populations, res[name])."""
    pops = {"E": _Spikes(np.array([1.0, 0.5, 2.0]), np.array([1, 0, 1], np.int32), 3),
            "I": _Spikes(np.array([0.7]), np.array([0], np.int32), 1)}

    class R:
        duration = 10.0
        populations = ("E", "I")

        def __getitem__(self, name):
            return SimpleNamespace(spikes=pops[name], duration=10.0, populations=(name,))

    return R()


def test_from_result_contract():
    res = _fake_result()
    st = SpikeTrains.from_result(res)
    assert st.n_units == 4 and st.t_stop == 10.0
    assert st.populations == (("E", 0, 3), ("I", 3, 4))
    np.testing.assert_array_equal(st.unit(1), [1.0, 2.0])
    np.testing.assert_array_equal(st.unit(3), [0.7])
    np.testing.assert_array_equal(na.as_spiketrains(res).times, st.times)  # networks: no res.spikes needed
    e = SpikeTrains.from_result(res, population="E")
    assert e.n_units == 3 and e.n_spikes == 3
    with pytest.raises(ValueError, match="population must be one of"):
        SpikeTrains.from_result(res, population="X")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(times=[1.0, 12.0], units=[0, 0], n_units=1, t_stop=10.0), r"must lie in \[t_start, t_stop\] = \[0.0, 10.0\] ms, got 12.0"),
        (dict(times=[-1.0], units=[0], n_units=1, t_stop=10.0), "got -1.0"),
        (dict(times=[1.0], units=[3], n_units=2, t_stop=10.0), r"unit indices must lie in \[0, n_units=2\), got 3"),
        (dict(times=[np.nan], units=[0], n_units=1, t_stop=10.0), "finite"),
        (dict(times=[1.0], units=[0], n_units=1, t_start=5.0, t_stop=5.0), "t_stop must be > t_start"),
        (dict(times=[1.0, 2.0], units=[0], n_units=1, t_stop=10.0), "units must have the shape"),
    ],
)
def test_bad_container_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpikeTrains.from_arrays(**kwargs)


def test_unsorted_times_are_rejected_where_sorted_ones_are_required():
    with pytest.raises(ValueError, match=r"spike times of unit 1 must be sorted .* t\[1\]=5.0 > t\[2\]=2.0"):
        SpikeTrains.from_lists([[1.0], [1.0, 5.0, 2.0]], t_stop=10.0)
    st = SpikeTrains.from_lists([[1.0], [1.0, 5.0, 2.0]], t_stop=10.0, sort=True)
    np.testing.assert_array_equal(st.unit(1), [1.0, 2.0, 5.0])


def test_bin_larger_than_window_and_bad_parameters():
    st = SpikeTrains.from_lists([[1.0, 2.0]], t_stop=10.0)
    with pytest.raises(ValueError, match=r"bin_size must be <= the analysis window t_stop - t_start = 10.0 ms, got 20.0"):
        na.time_histogram(st, 20.0)
    with pytest.raises(ValueError, match="bin_size must be > 0"):
        na.bin_counts(st, 0.0)
    with pytest.raises(ValueError, match="sampling_period must be <="):
        na.instantaneous_rate(st, 11.0, "gaussian", sigma=1.0)
    with pytest.raises(ValueError, match="sigma"):
        na.instantaneous_rate(st, 1.0, "gaussian")
    with pytest.raises(ValueError, match="kernel must be one of"):
        na.instantaneous_rate(st, 1.0, "boxcar", sigma=1.0)
    with pytest.raises(ValueError, match="window"):
        na.cross_correlogram(st, 0, 0, 1.0, window=(5, 2))
    with pytest.raises(ValueError, match="analysis window"):
        na.psth(st, 1.0, t_stop=20.0)


def test_empty_trains_give_nan_with_a_warning():
    st = SpikeTrains.from_lists([[], [1.0, 2.0, 4.0], [3.0]], t_stop=10.0)
    with pytest.warns(UserWarning, match="CV is undefined .* 2 of 3"):
        cv = na.cv(st)
    assert np.isnan(cv[0]) and np.isnan(cv[2]) and np.isfinite(cv[1])
    with pytest.warns(UserWarning, match="Fano"):
        f = na.fano_factor(st, 2.0)
    assert np.isnan(f[0])
    with pytest.warns(UserWarning, match="no spike-count variance"):
        cc = na.correlation_coefficient(st, 1.0)
    assert np.all(np.isnan(cc[0]))
    empty = SpikeTrains.from_lists([[], []], t_stop=10.0)
    with pytest.warns(UserWarning, match="synchrony_chi is undefined"):
        assert np.isnan(na.synchrony_chi(empty, 1.0))
    assert na.time_histogram(empty, 1.0).values.sum() == 0


def test_summary_is_json_serialisable():
    import json

    st = na.poisson(10.0, 2000.0, key=0, n_units=20)
    s = na.summarize(st)
    json.dumps(s, allow_nan=False)
    assert s["n_units"] == 20 and s["n_spikes"] == st.n_spikes
    assert s["mean_rate"] == pytest.approx(st.n_spikes / 20 / 2.0)
    silent = SpikeTrains.from_lists([[], []], t_stop=10.0)
    json.dumps(na.summarize(silent), allow_nan=False)


def test_jax_backend_matches_numpy():
    st = na.poisson(25.0, 3000.0, key=9, n_units=15)
    for kw in [dict(), dict(trim=True), dict(causal=True)]:
        kern = "exponential" if kw.get("causal") else "gaussian"
        a = na.instantaneous_rate(st, 2.0, kern, sigma=10.0, backend="numpy", **kw)
        b = na.instantaneous_rate(st, 2.0, kern, sigma=10.0, backend="jax", **kw)
        np.testing.assert_allclose(b.values, a.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(na.correlation_coefficient(st, 5.0, backend="jax"),
                               na.correlation_coefficient(st, 5.0, backend="numpy"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(na.covariance(st, 5.0, backend="jax"),
                               na.covariance(st, 5.0, backend="numpy"), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="backend must be one of"):
        na.covariance(st, 5.0, backend="torch")


def test_fano_window_longer_than_the_trains_is_an_error():
    st = SpikeTrains.from_lists([[1.0, 2.0]], t_stop=10.0)
    with pytest.raises(ValueError, match=r"window must be <= the analysis window t_stop - t_start = 10.0 ms, got 50.0"):
        na.fano_factor(st, 50.0)
    with pytest.raises(ValueError, match="at least 2 trials"):
        na.fano_factor(st)
