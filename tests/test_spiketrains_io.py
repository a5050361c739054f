"""Exchange with neo (lossless round trip, Elephant on neurodyn output) and NWB (plain pynwb reads it)."""

import warnings

import numpy as np
import pytest

import neurodyn.analysis as na
from neurodyn.io import from_neo, read_nwb, read_nwb_traces, to_neo, write_nwb

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")


def _populated():
    st = na.poisson([5.0, 20.0, 40.0, 0.0], 1500.0, key=3, n_units=4)
    return na.SpikeTrains(st.times, st.units, 4, st.t_start, st.t_stop, populations=(("E", 0, 3), ("I", 3, 4)))


def test_neo_round_trip_is_lossless():
    st = _populated()
    trains = to_neo(st)
    assert all(isinstance(t, neo.SpikeTrain) for t in trains)
    assert [t.annotations["population"] for t in trains] == ["E", "E", "E", "I"]
    back = from_neo(trains)
    np.testing.assert_array_equal(back.times, st.times)
    np.testing.assert_array_equal(back.units, st.units)
    assert (back.n_units, back.t_start, back.t_stop, back.populations) == (4, st.t_start, st.t_stop, st.populations)


def test_neo_round_trip_with_trials_and_segments():
    st = na.inhomogeneous_poisson(np.array([10.0, 60.0]), key=1, dt=250.0, n_units=3, n_trials=4)
    nested = to_neo(st)
    assert len(nested) == 4 and len(nested[0]) == 3
    back = from_neo(nested)
    np.testing.assert_array_equal(back.times, st.times)
    np.testing.assert_array_equal(back.trials, st.trials)
    block = neo.Block()
    for tr in nested:
        seg = neo.Segment()
        seg.spiketrains.extend(tr)
        block.segments.append(seg)
    np.testing.assert_array_equal(from_neo(block).times, st.times)


def test_from_neo_rescales_seconds_and_checks_windows():
    a = neo.SpikeTrain([0.1, 0.5] * pq.s, t_stop=1.0 * pq.s)
    b = neo.SpikeTrain([0.2] * pq.s, t_stop=2.0 * pq.s)
    st = from_neo([a], t_stop=None)
    np.testing.assert_allclose(st.times, [100.0, 500.0])
    assert st.t_stop == 1000.0
    with pytest.raises(ValueError, match="all trains must share t_stop"):
        from_neo([a, b])
    with pytest.raises(TypeError, match="neo.SpikeTrain"):
        from_neo([np.array([1.0])])


def test_elephant_applies_to_neurodyn_output():
    es = pytest.importorskip("elephant.statistics")
    st = _populated()
    trains = to_neo(st)
    ref = [float(es.mean_firing_rate(t).rescale(pq.Hz)) for t in trains]
    np.testing.assert_allclose(na.mean_firing_rate(st), ref, atol=1e-9)


def test_nwb_written_file_opens_with_plain_pynwb(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    st = _populated()
    t = np.arange(0, 1500.0, 0.5)
    v = np.stack([np.sin(t / 50.0 + k) for k in range(3)], axis=1) - 65.0
    path = write_nwb(st, tmp_path / "run.nwb", traces={"V_m": (t, v, "mV")})
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units
        assert len(units) == 4
        for u in range(4):
            np.testing.assert_allclose(np.asarray(units["spike_times"][u]) * 1e3, st.unit(u), rtol=1e-14, atol=0)
        assert list(units["population"][:]) == ["E", "E", "E", "I"]
        ts = nwb.acquisition["V_m"]
        assert ts.unit == "mV"
        np.testing.assert_array_equal(ts.data[:], v)
        np.testing.assert_allclose(ts.timestamps[:], t * 1e-3)
    back = read_nwb(path)
    np.testing.assert_allclose(back.times, st.times, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(back.units, st.units)
    assert (back.n_units, back.t_start, back.t_stop, back.populations) == (4, st.t_start, st.t_stop, st.populations)
    tr = read_nwb_traces(path)
    np.testing.assert_allclose(tr["V_m"].t, t, rtol=1e-14)
    np.testing.assert_array_equal(tr["V_m"].values, v)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_nwb(st, path)


def test_nwb_writer_takes_data_first_and_the_old_order_warns(tmp_path):
    pytest.importorskip("pynwb")
    st = _populated()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = read_nwb(write_nwb(st, tmp_path / "new.nwb"))
    with pytest.warns(DeprecationWarning, match=r"write_nwb\(path, data\) is deprecated; pass the data first") as caught:
        old = read_nwb(write_nwb(str(tmp_path / "old.nwb"), st))
    assert caught[0].filename == __file__
    np.testing.assert_array_equal(old.times, new.times)
    np.testing.assert_array_equal(old.units, new.units)


def test_nwb_round_trip_with_trials(tmp_path):
    pytest.importorskip("pynwb")
    st = na.inhomogeneous_poisson(np.array([10.0, 60.0]), key=2, dt=250.0, n_units=2, n_trials=3)
    back = read_nwb(write_nwb(st, tmp_path / "trials.nwb"))
    assert back.n_trials == 3
    np.testing.assert_allclose(back.times, st.times, rtol=1e-13, atol=1e-12)
    np.testing.assert_array_equal(back.trials, st.trials)
    np.testing.assert_array_equal(back.units, st.units)
