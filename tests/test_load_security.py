"""neurodyn.load and `neurodyn analyze` on crafted or foreign files: refused before reading.

The hostile files are built with h5py/h5netcdf the way an attacker would: data kept in
another file (external storage, virtual datasets, links), variables declaring far more
samples than the file stores, and files that are not neurodyn results at all.
"""

import os
import subprocess
import sys
from pathlib import Path

import h5netcdf
import h5py
import jax
import numpy as np
import pytest
import xarray as xr

import neurodyn as nd
from neurodyn.cli import main

SRC = Path(nd.__file__).parent.parent


def _result_file(path, n_time=10, n_neurons=1, build=None, **variable):
    """A minimal neurodyn result (one fully recorded trace V_m); ``build(h5py_file)`` edits it."""
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"time": n_time, "V_m.neuron": n_neurons}
        f.attrs.update(duration=1.0, dt=0.1, populations="", sizes="", recorded_all="V_m", software="neurodyn")
        f.create_variable("time", ("time",), float, data=np.arange(n_time) * 0.1)
        if variable:
            f.create_variable("V_m", ("time", "V_m.neuron"), **variable)
    if build is not None:
        with h5py.File(path, "a") as f:
            build(f)
    return path


def _attach_dims(ds, f):
    ds.dims[0].attach_scale(f["time"])
    ds.dims[1].attach_scale(f["V_m.neuron"])


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_bytes(b"TOP SECRET")
    return path


@pytest.fixture
def other_h5(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.full((10, 1), 42.0, np.float32)
    return path


def test_genuine_file_is_unchanged_by_the_check(tmp_path):
    path = _result_file(tmp_path / "ok.nc", dtype="f4", data=np.ones((10, 1), np.float32))
    res = nd.load(path)
    np.testing.assert_array_equal(res.traces["V_m"], np.ones((10, 1), np.float32))


def test_external_storage_is_refused(tmp_path, secret):
    path = _result_file(tmp_path / "ext.nc", dtype="u1", external=[(str(secret), 0, 10)])
    with pytest.raises(nd.ResultFileError, match=r"ext\.nc: variable 'V_m' keeps its data in external files; refusing"):
        nd.load(path)


def test_virtual_dataset_is_refused(tmp_path, other_h5):
    def build(f):
        layout = h5py.VirtualLayout(shape=(10, 1), dtype="f4")
        layout[:] = h5py.VirtualSource(str(other_h5), "data", shape=(10, 1))
        _attach_dims(f.create_virtual_dataset("V_m", layout), f)

    path = _result_file(tmp_path / "vds.nc", build=build)
    with pytest.raises(nd.ResultFileError, match=r"variable 'V_m' is a virtual dataset"):
        nd.load(path)


@pytest.mark.parametrize("kind", ["external", "soft", "hard"])
def test_links_are_refused(tmp_path, other_h5, kind):
    def build(f):
        if kind == "external":
            f["V_m2"] = h5py.ExternalLink(str(other_h5), "data")
        elif kind == "soft":
            f["V_m2"] = h5py.SoftLink("/V_m")
        else:
            f["V_m2"] = f["V_m"]  # one dataset under two names: read (and allocated) twice

    path = _result_file(tmp_path / "link.nc", dtype="f4", data=np.ones((10, 1), np.float32), build=build)
    expected = {"external": r"'V_m2' is a link to another file", "soft": r"'V_m2' is a SoftLink",
                "hard": r"variable 'V_m2?' is stored under several names"}[kind]
    with pytest.raises(nd.ResultFileError, match=expected):
        nd.load(path)


# 5 million neurons x 10 records of float32: 200 MB declared by a file of a few KB
HUGE = 5_000_000


@pytest.mark.parametrize("layout", ["contiguous fill value", "chunked unwritten", "gzip one chunk written"])
def test_variable_declaring_more_than_the_file_holds_is_refused(tmp_path, layout):
    options = {
        "contiguous fill value": dict(fillvalue=np.float32(1.0)),
        "chunked unwritten": dict(chunks=(10, 100_000), fillvalue=np.float32(1.0)),
        "gzip one chunk written": dict(chunks=(10, 100_000), compression="gzip", fillvalue=np.float32(1.0)),
    }[layout]

    def build(f):
        ds = f.create_dataset("V_m", shape=(10, HUGE), dtype="f4", **options)
        if layout.startswith("gzip"):
            ds[:, :100_000] = 0.0
        _attach_dims(ds, f)

    path = _result_file(tmp_path / "huge.nc", n_neurons=HUGE, build=build)
    assert path.stat().st_size < 100_000
    with pytest.raises(nd.ResultFileError, match=r"huge\.nc: variable '.*' declares .* but the file is .* on disk"):
        nd.load(path)


def test_zero_length_variable_cannot_hide_a_huge_dimension(tmp_path):
    # V_m has 0 records, so 0 bytes, but its neuron dimension (an index xarray builds) is huge
    def build(f):
        _attach_dims(f.create_dataset("V_m", shape=(0, 10**9), dtype="f4"), f)

    path = _result_file(tmp_path / "dim.nc", n_time=0, n_neurons=10**9, build=build)
    with pytest.raises(nd.ResultFileError, match=r"variable 'V_m.neuron' declares 8.0 GB"):
        nd.load(path)


def test_analyze_refuses_three_billion_samples_in_a_small_file_without_allocating(tmp_path):
    def build(f):
        _attach_dims(f.create_dataset("V_m", shape=(3, 10**9), dtype="f4", fillvalue=np.float32(1.0)), f)

    path = _result_file(tmp_path / "bomb.nc", n_time=3, n_neurons=10**9, build=build)
    assert path.stat().st_size < 20_000
    proc = _analyze_in_subprocess(path)  # address space capped at 3 GiB: reading the 12 GB would fail
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"neurodyn: error: {path}: variable "), proc.stderr
    assert "declares" in proc.stderr and "on disk" in proc.stderr


def test_file_that_is_not_hdf5_is_refused(tmp_path):
    path = tmp_path / "notes.nc"
    path.write_text("just some text\n")
    with pytest.raises(nd.ResultFileError, match=r"notes\.nc is not a neurodyn result: not a readable NetCDF4/HDF5 file"):
        nd.load(path)


def test_netcdf_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "climate.nc"
    xr.Dataset({"t2m": ("time", np.arange(5.0))}, coords={"time": np.arange(5.0)}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(nd.ResultFileError, match=(
            r"climate\.nc is not a neurodyn result \(no attribute 'duration', attribute 'dt', attribute "
            r"'populations', attribute 'sizes'\); expected a file written by 'neurodyn run' or Result.save")):
        nd.load(path)


def test_result_missing_a_variable_is_refused(tmp_path):
    path = _result_file(tmp_path / "partial.nc", dtype="f4", data=np.ones((10, 1), np.float32))
    with h5py.File(path, "a") as f:
        f.attrs["populations"] = "E"
        f.attrs["sizes"] = "4"
    with pytest.raises(nd.ResultFileError, match=r"partial\.nc is not a readable neurodyn result \(KeyError: .*E\.spike_count"):
        nd.load(path)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    lif = nd.neurons.LIF(n=40, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0)
    res = nd.simulate(lif, 300.0, 0.1, inputs=nd.inputs.ornstein_uhlenbeck(220.0, 60.0, 5.0),
                      record=["spikes", "V_m"], key=jax.random.key(2), progress=False)
    return res, res.save(tmp_path_factory.mktemp("saved") / "results.nc")


def test_truncated_result_is_refused(saved, tmp_path):
    _, path = saved
    cut = tmp_path / "cut.nc"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(nd.ResultFileError, match=r"cut\.nc is not a neurodyn result: not a readable NetCDF4/HDF5 file"):
        nd.load(cut)


def _analyze_in_subprocess(path, memory_limit=3 << 30, timeout=120):
    """`neurodyn analyze path` in a child process, its address space capped (a hang or a huge
    allocation there cannot take the test session down with it)."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (%d, %d)); "
            "from neurodyn.cli import main; sys.exit(main(['analyze', sys.argv[1]]))") % (memory_limit, memory_limit)
    env = {**os.environ, "PYTHONPATH": str(SRC), "JAX_PLATFORMS": "cpu", "NEURODYN_NO_KERNEL": "1"}
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_damaged_global_heap_is_refused_instead_of_hanging(saved, tmp_path):
    # a zeroed object header in the heap holding the file's strings: libhdf5 loops forever on it
    _, path = saved
    raw = bytearray(path.read_bytes())
    heap = raw.find(b"GCOL\x01\x00\x00\x00")
    assert heap > 0
    raw[heap + 16:heap + 32] = bytes(16)
    bad = tmp_path / "heap.nc"
    bad.write_bytes(bytes(raw))
    proc = _analyze_in_subprocess(bad, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"neurodyn: error: {bad}: damaged HDF5 global heap at byte {heap}; refusing to read it\n"


def test_highly_compressed_genuine_result_still_loads(tmp_path):
    # a silent population's constant V_m in one chunk compresses as far as deflate can (~1000:1)
    lif = nd.neurons.LIF(n=400, E_L=-65.0, V_th=-50.0, V_reset=-65.0)
    res = nd.simulate(lif, 500.0, 0.1, record=["spikes", "V_m"], progress=False)
    ds = res.to_xarray()
    path = tmp_path / "packed.nc"
    encoding = {v: {"zlib": True, "complevel": 9} for v in ds.data_vars}
    encoding["V_m"]["chunksizes"] = ds["V_m"].shape
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)
    with h5py.File(path) as f:
        assert f["V_m"].nbytes / f["V_m"].id.get_storage_size() > 900  # the case the bound must let through
    back = nd.load(path)
    np.testing.assert_array_equal(back.traces["V_m"], res.traces["V_m"])


def test_genuine_result_round_trip(saved):
    res, path = saved
    back = nd.load(path)
    np.testing.assert_array_equal(back.traces["V_m"], res.traces["V_m"])
    np.testing.assert_array_equal(back.spikes.times, res.spikes.times)
    np.testing.assert_array_equal(back.rates(), res.rates())


@pytest.mark.parametrize("case", ["text", "external"])
def test_analyze_prints_one_line_and_exits_2(tmp_path, secret, capsys, case):
    if case == "text":
        path = tmp_path / "x.nc"
        path.write_text("not a result")
        expected = f"neurodyn: error: {path} is not a neurodyn result: not a readable NetCDF4/HDF5 file"
    else:
        path = _result_file(tmp_path / "x.nc", dtype="u1", external=[(str(secret), 0, 10)])
        expected = f"neurodyn: error: {path}: variable 'V_m' keeps its data in external files; refusing to read it"
    assert main(["analyze", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and err.count("\n") == 1, err
    assert "TOP SECRET" not in err
