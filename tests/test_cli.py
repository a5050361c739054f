"""The neurodyn command: demo run, outputs, and one-line errors for bad configs."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from neurodyn import cli

DEMO = Path(cli.__file__).parent / "configs" / "demo.toml"


def neurodyn(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "neurodyn.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_demo_run_writes_results_summary_and_plots(tmp_path):
    out = tmp_path / "out"
    proc = neurodyn("run", "--out", str(out), "--quiet", "--set", "simulation.duration=200")
    assert proc.returncode == 0, proc.stderr
    for name in ("results.nc", "summary.json", "raster.png", "rate.png", "traces.png"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    pop = summary["populations"]["neurons"]
    assert pop["n"] == 200 and pop["spike_count"] > 0
    assert summary["duration_ms"] == 200.0 and summary["versions"]["jax"]
    import neurodyn as nd

    res = nd.load(out / "results.nc")
    assert res.spikes.times.size == pop["spike_count"]
    import xarray as xr

    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:  # the run is described in the file
        assert json.loads(ds.attrs["config"])["simulation"]["duration"] == 200
        assert ds.attrs["seed"] == summary["seed"]


def test_models_lists_parameters_with_units():
    proc = neurodyn("models")
    assert proc.returncode == 0
    assert "LIF" in proc.stdout and "tau_m" in proc.stdout and "ms" in proc.stdout and "pF" in proc.stdout


def test_models_lists_input_and_network_parameters(capsys):
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    inputs = out[out.index("\ninputs"):out.index("\nnetworks")]
    networks = out[out.index("\nnetworks"):]
    assert "ornstein_uhlenbeck: Coloured-noise current with mean (pA)" in inputs
    for name in ("mean", "sigma", "tau", "shared", "n_sources", "rate", "weight", "dt"):
        assert f"\n    {name} " in inputs, name
    assert "brunel:" in networks and "coba:" in networks and "cuba:" in networks
    for name in ("regime", "epsilon", "J", "delay", "w_e", "w_i", "seed"):
        assert f"\n    {name} " in networks, name
    assert "\n    dt " not in networks  # a network's dt is the simulation's


def write(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


GOOD = """
[simulation]
duration = 10.0
dt = 0.1
[model]
type = "LIF"
n = 2
tau_m = 10.0
"""


@pytest.mark.parametrize(
    "text, expected",
    [
        (GOOD.replace('"LIF"', '"LIFF"'), "model.type: unknown model 'LIFF'; expected one of LIF, AdaptiveLIF, ExpIF"),
        (GOOD.replace("tau_m", "tau_mm"), "model.tau_mm: unknown parameter of LIF (did you mean 'tau_m'?)"),
        (GOOD.replace("tau_m = 10.0", "tau_m = -5.0"), "tau_m must be > 0 ms, got -5.0"),
        (GOOD.replace("dt = 0.1", "dt = 20.0"), "simulation.dt: 20.0 ms is larger than the model's tau_m = 10.0 ms"),
        (GOOD.replace("[model]", "[model\n"), "is not valid TOML"),
        (GOOD.replace("duration = 10.0", "duration = 'long'"), "simulation.duration: expected a number or a quantity in ms (e.g. '20 ms'), got 'long'"),
        (GOOD.replace("[simulation]", "[simulaton]"), "config: unknown section [simulaton] (did you mean 'simulation'?)"),
        (GOOD + '[[input]]\ntype = "noise"\n', "input[0].type: unknown input 'noise'"),
        (GOOD + '[[input]]\ntype = "constant"\namp = 3\n', "input[0].amp: unknown parameter of constant"),
    ],
)
def test_bad_config_gives_one_line(tmp_path, text, expected):
    proc = neurodyn("run", str(write(tmp_path, text)), "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert expected in lines[0]


def test_missing_file(tmp_path):
    proc = neurodyn("run", str(tmp_path / "nope.toml"), "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"neurodyn: error: config: no such file: {tmp_path / 'nope.toml'}"


def test_set_overrides_and_bad_set(tmp_path):
    out = tmp_path / "o"
    path = write(tmp_path, GOOD + '[[input]]\ntype = "constant"\namplitude = 500.0\n')
    proc = neurodyn("run", str(path), "--out", str(out), "--quiet", "--set", "model.n=3", "--set", "input.0.amplitude=0.0")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["populations"]["neurons"]["n"] == 3
    assert summary["populations"]["neurons"]["spike_count"] == 0
    bad = neurodyn("run", str(path), "--quiet", "--set", "model.n")
    assert bad.returncode == 2 and "--set: expected key=value" in bad.stderr


# -- bundled configs by name, --version, python -m neurodyn (issue 14, item 14) ------------


def test_version_and_python_m_neurodyn():
    from neurodyn import __version__

    proc = subprocess.run([sys.executable, "-m", "neurodyn", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"neurodyn {__version__}", proc.stderr


def test_configs_lists_every_bundled_config_with_its_description():
    from neurodyn import configs

    proc = neurodyn("configs")
    assert proc.returncode == 0, proc.stderr
    listed = {line.split()[0]: line.split(None, 1)[1] for line in proc.stdout.splitlines()[: len(configs.names())]}
    assert set(listed) == {p.stem for p in DEMO.parent.glob("*.toml")} >= {"demo", "coba", "cuba", "brunel_ai"}
    assert listed["brunel_ai"].startswith("Brunel (2000) network, Fig. 8C: asynchronous irregular")
    shown = neurodyn("configs", "coba.toml")
    assert shown.returncode == 0 and shown.stdout == (DEMO.parent / "coba.toml").read_text()


def test_bundled_config_headers_give_commands_that_work():
    """Each header's `neurodyn run NAME` names the config itself (it runs from any folder)."""
    import re

    for path in DEMO.parent.glob("*.toml"):
        header = "".join(line for line in path.read_text().splitlines(True) if line.startswith("#"))
        commands = re.findall(r"neurodyn run ([\w.]+)", header)
        assert commands and all(c in (path.stem, path.name) for c in commands), (path.name, commands)
        assert "src/" not in header


def test_run_finds_bundled_configs_by_name_and_a_file_on_disk_wins(tmp_path):
    args = ["--quiet", "--set", "simulation.duration=50", "--set", "network.n=500"]
    for name in ("coba", "coba.toml"):
        out = tmp_path / "out" / name
        proc = neurodyn("run", name, "--out", str(out), *args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert json.loads((out / "summary.json").read_text())["populations"]["E"]["n"] == 400
    (tmp_path / "coba.toml").write_text(GOOD)  # a local file of that name
    proc = neurodyn("run", "coba.toml", "--out", str(tmp_path / "out" / "local"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "local" / "summary.json").read_text())["model"] == "LIF"
    bad = neurodyn("run", "cobra", "--quiet", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "neurodyn: error: config: no such file or bundled config: 'cobra' (did you mean 'coba'?); "
        "`neurodyn configs` lists the bundled ones"
    )


# -- statistics over the whole run, timing (items 13 and 17) -------------------------------


def test_run_statistics_are_summarize_of_the_saved_spikes_and_timing_is_split(tmp_path):
    import math

    import neurodyn as nd
    from neurodyn.analysis import SpikeTrains, summarize

    proc = neurodyn("run", "coba", "--out", str(tmp_path), "--quiet", "--set", "simulation.duration=300",
                    "--set", "network.n=1000")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    expected = summarize(SpikeTrains.from_result(nd.load(tmp_path / "results.nc")), bin_size=5.0)
    got = {k: v for k, v in summary["spike_statistics"].items() if k != "method"}

    def close(a, b):
        if isinstance(a, dict):
            assert a.keys() == b.keys()
            return all(close(a[k], b[k]) for k in a)
        assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (a, b)
        return True

    close(expected, got)
    timing = summary["wall_time_s"]
    assert set(timing) == {"start_and_build", "simulation", "writing", "total"}
    assert min(timing.values()) > 0
    assert timing["total"] >= timing["start_and_build"] + timing["simulation"] + timing["writing"]
    assert f"wall time: simulation {timing['simulation']:.2f} s, total " in proc.stdout


# -- no JAX where none is needed (item 17) ----------------------------------------------------


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["configs"], ["configs", "demo"], ["run", "--help"]])
def test_cli_entry_does_not_import_jax(argv):
    code = (
        "import sys, contextlib, io\n"
        "import neurodyn.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        neurodyn.cli.main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m == 'jax' or m.startswith('jax.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_import_neurodyn_is_lazy_and_complete():
    code = (
        "import sys, neurodyn as nd\n"
        "print('jax' in sys.modules)\n"
        "print(nd.simulate.__module__, nd.Network.__name__, nd.neurons.LIF.__name__, 'jax' in sys.modules)\n"
        "from neurodyn import Result, load, plot\n"
        "print(all(hasattr(nd, name) for name in nd.__all__))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["False", "neurodyn.engine._simulate Network LIF True", "True"]
