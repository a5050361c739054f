"""Result: NetCDF round trip, xarray view, rates."""

import json

import jax
import numpy as np
import pytest
import xarray as xr

import neurodyn as nd


@pytest.fixture(scope="module")
def res():
    lif = nd.neurons.LIF(n=30, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0)
    return nd.simulate(lif, 500.0, 0.1, inputs=nd.inputs.ornstein_uhlenbeck(220.0, 60.0, 5.0),
                       record={"spikes": None, "V_m": [0, 4, 9]}, record_every=5, key=jax.random.key(4), progress=False)


def test_save_and_load_round_trip(res, tmp_path):
    path = res.save(tmp_path / "run" / "results.nc")
    back = nd.load(path)
    np.testing.assert_array_equal(back.spikes.times, res.spikes.times)
    np.testing.assert_array_equal(back.spikes.indices, res.spikes.indices)
    np.testing.assert_array_equal(back.traces["V_m"], res.traces["V_m"])
    np.testing.assert_array_equal(back.t, res.t)
    np.testing.assert_array_equal(back.rates(), res.rates())
    assert dict(back.recorded) == dict(res.recorded)
    assert back.dt == res.dt and back.duration == res.duration
    assert not list(tmp_path.glob("run/*.tmp"))  # atomic: no temporary left behind


def test_plain_xarray_reads_the_file(res, tmp_path):
    path = res.save(tmp_path / "r.nc")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert list(ds["neuron_V_m"].values) == [0, 4, 9]
        assert ds["neurons.spike_time"].attrs["units"] == "ms"
        assert int(ds["neurons.spike_count"].sum()) == res.spikes.times.size


def test_file_carries_units_config_seed_and_dotless_dimensions(res, tmp_path):
    config = {"simulation": {"duration": 500.0, "dt": 0.1}, "model": {"type": "LIF", "tau_m": 20.0}}
    path = res.save(tmp_path / "r.nc", config=config, seed=4)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["time"].attrs["units"] == "ms"
        assert ds["V_m"].attrs["units"] == "mV"
        assert json.loads(ds.attrs["config"]) == config
        assert ds.attrs["seed"] == 4
        assert not [d for d in ds.dims if "." in d], list(ds.dims)
    assert nd.load(path).unit("V_m") == "mV"


def test_network_traces_carry_the_unit_of_their_channel(tmp_path):
    from neurodyn.connectivity import ExpConductance, ExpCurrent, WithSynapses

    cell = WithSynapses(nd.neurons.LIF(n=5), {"exc": ExpConductance(tau=5.0, E_rev=0.0), "inh": ExpCurrent(tau=10.0)})
    net = nd.Network({"E": cell})
    run = nd.simulate(net, 5.0, 0.1, record=["spikes", "E.V_m", "E.g_exc", "E.g_inh"], progress=False)
    assert [run.unit(k) for k in ("E.V_m", "E.g_exc", "E.g_inh")] == ["mV", "nS", "pA"]
    assert run["E"].unit("g_exc") == "nS"
    with xr.open_dataset(run.save(tmp_path / "net.nc"), engine="h5netcdf") as ds:
        assert [ds[k].attrs["units"] for k in ("E.V_m", "E.g_exc", "E.g_inh")] == ["mV", "nS", "pA"]
        assert {"neuron_E", "spike_E", "neuron_E_V_m"} <= set(ds.dims)
    back = nd.load(tmp_path / "net.nc")
    assert back.unit("E.g_inh") == "pA" and dict(back.recorded) == dict(run.recorded)


def test_files_written_with_dotted_dimensions_still_load(res, tmp_path):
    ds = res.to_xarray().rename({"neuron_V_m": "V_m.neuron", "neuron_neurons": "neurons.neuron",
                                 "spike_neurons": "neurons.spike"})
    ds.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    back = nd.load(tmp_path / "old.nc")
    np.testing.assert_array_equal(back.traces["V_m"], res.traces["V_m"])
    assert dict(back.recorded) == dict(res.recorded)
    np.testing.assert_array_equal(back.spikes.times, res.spikes.times)


def test_rates_and_population_rate(res):
    counts = np.bincount(res.spikes.indices, minlength=30)
    np.testing.assert_allclose(res.rates(), counts / 0.5)
    centres, rate = res.population_rate(bin_size=10.0)
    assert centres.shape == (50,)
    np.testing.assert_allclose(rate.mean(), counts.sum() / 30 / 0.5)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no result file"):
        nd.load(tmp_path / "nope.nc")


def test_plots_return_figures(res):
    for fig in (nd.plot.raster(res), nd.plot.traces(res, "V_m"), nd.plot.population_rate(res, 5.0)):
        assert fig.axes and fig.axes[0].has_data()


def test_saved_file_has_normal_permissions(res, tmp_path):
    import os
    import stat

    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE(res.save(tmp_path / "p.nc").stat().st_mode)
    assert mode == 0o666 & ~umask
