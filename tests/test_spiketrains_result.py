"""Spike-train analysis of real simulation results: SpikeTrains.from_result, the analyze
command, spike statistics in summary.json, NWB export of a Result."""

import json

import jax
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.analysis import SpikeTrains, summarize


@pytest.fixture(scope="module")
def res():
    lif = nd.neurons.LIF(n=12)
    return nd.simulate(lif, 300.0, 0.1, key=jax.random.key(0), progress=False,
                       inputs=nd.inputs.ornstein_uhlenbeck(mean=420.0, sigma=120.0, tau=5.0),
                       record=["V_m", "spikes"])


def test_from_result_matches_the_result(res):
    st = SpikeTrains.from_result(res)
    assert (st.n_units, st.t_start, st.t_stop) == (12, 0.0, 300.0)
    assert st.n_spikes == int(np.asarray(res.spike_counts[res.populations[0]]).sum()) > 0
    np.testing.assert_allclose(nd.analysis.mean_firing_rate(st), np.asarray(res.rates()), rtol=1e-12)
    s = res.spikes
    for u in range(12):
        np.testing.assert_array_equal(st.unit(u), np.sort(s.times[s.indices == u]))
    same = SpikeTrains.from_result(res, population=res.populations[0])
    np.testing.assert_array_equal(same.times, st.times)


def test_analyze_command_and_run_summary(res, tmp_path, capsys):
    from neurodyn.cli import main

    path = tmp_path / "results.nc"
    res.save(path)
    assert main(["analyze", str(path), "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    stats = json.loads((tmp_path / "a" / "spike_statistics.json").read_text())
    expected = summarize(SpikeTrains.from_result(nd.load(path)))
    assert "block" in stats.pop("method")  # the statistics say how they were computed
    assert stats == json.loads(json.dumps(expected))
    assert f"{stats['n_spikes']} spikes" in printed
    assert (tmp_path / "a" / "spike_summary.png").stat().st_size > 1000
    assert main(["analyze", str(tmp_path / "missing.nc")]) == 2


def test_run_summary_holds_spike_statistics(tmp_path):
    from neurodyn.cli import main

    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--quiet", "--set", "simulation.duration=100"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    stats = summary["spike_statistics"]
    assert stats["n_spikes"] == sum(p["spike_count"] for p in summary["populations"].values())
    assert stats["mean_rate"] == pytest.approx(
        np.mean([p["mean_rate_hz"] for p in summary["populations"].values()]), rel=1e-9)


def test_nwb_export_of_a_result(res, tmp_path):
    pynwb = pytest.importorskip("pynwb")
    path = nd.io.write_nwb(res, tmp_path / "res.nwb")
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        f = io.read()
        np.testing.assert_array_equal(f.acquisition["V_m"].data[:], np.asarray(res.traces["V_m"]))
        assert f.acquisition["V_m"].unit == "mV"
    back = nd.io.read_nwb(path)
    np.testing.assert_allclose(back.times, SpikeTrains.from_result(res).times, rtol=1e-14)
