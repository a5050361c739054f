"""Bundled network configs: `neurodyn run` on them, and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import neurodyn as nd
from neurodyn.io._config import ConfigError, load_config

CONFIGS = Path(nd.__file__).parent / "configs"


def neurodyn(*args):
    return subprocess.run([sys.executable, "-m", "neurodyn.cli", *args], capture_output=True, text=True)


def test_coba_config_runs_from_the_command_line(tmp_path):
    proc = neurodyn("run", str(CONFIGS / "coba.toml"), "--out", str(tmp_path), "--quiet",
                    "--set", "simulation.duration=100", "--set", "network.n=1000")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["populations"]["E"]["n"] == 800 and summary["populations"]["I"]["n"] == 200
    assert summary["populations"]["E"]["spike_count"] > 0


@pytest.mark.parametrize("name", ["coba", "cuba", "brunel_sr", "brunel_ai", "brunel_si_fast", "brunel_si_slow"])
def test_bundled_configs_validate(name):
    overrides = ["network.n_e=400"] if name.startswith("brunel") else ["network.n=500"]
    spec = load_config(CONFIGS / f"{name}.toml", overrides)
    assert isinstance(spec.model, nd.Network) and spec.model.dt == spec.dt
    assert set(spec.inputs) <= {"E", "I"}


def test_network_config_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[simulation]\nduration = 10.0\ndt = 0.1\n[network]\ntype = "cobra"\n')
    with pytest.raises(ConfigError, match=r"^network.type: unknown network 'cobra'; expected one of coba, cuba, brunel \(did you mean 'coba'\?\)$"):
        load_config(bad)
    bad.write_text('[simulation]\nduration = 10.0\ndt = 0.1\n[network]\ntype = "coba"\nn = 100\n'
                   '[[input]]\ntype = "constant"\nvalue = 1.0\npopulation = "X"\n')
    with pytest.raises(ConfigError, match=r"^input\[0\].population: expected one of E, I; found 'X'$"):
        load_config(bad)
    bad.write_text('[simulation]\nduration = 10.0\ndt = 0.1\n[network]\ntype = "brunel"\nregime = "XX"\n')
    with pytest.raises(ConfigError, match=r"^network \(brunel\): regime must be one of 'SR', 'AI', 'SI_fast', 'SI_slow', got 'XX'$"):
        load_config(bad)
    proc = neurodyn("run", str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
