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


def test_models_lists_parameters_with_units():
    proc = neurodyn("models")
    assert proc.returncode == 0
    assert "LIF" in proc.stdout and "tau_m" in proc.stdout and "ms" in proc.stdout and "pF" in proc.stdout


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
