"""Result: NetCDF round trip, xarray view, rates."""

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
        assert list(ds["V_m.neuron"].values) == [0, 4, 9]
        assert ds["neurons.spike_time"].attrs["units"] == "ms"
        assert int(ds["neurons.spike_count"].sum()) == res.spikes.times.size


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
