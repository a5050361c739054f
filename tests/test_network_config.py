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


def test_plastic_coba_config_writes_final_weights(tmp_path):
    proc = neurodyn("run", "coba_stdp", "--out", str(tmp_path), "--quiet",
                    "--set", "simulation.duration=200", "--set", "network.n=1000")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    weights = summary["final_weights"]
    assert set(weights) == {"E->E", "E->I"} and weights["E->E"]["unit"] == "nS"
    assert 0.0 <= weights["E->E"]["min"] < 0.6 < weights["E->E"]["max"] <= 1.2  # moved, within [w_min, w_max]
    res = nd.load(tmp_path / "results.nc")
    pre, post, w = res.weights["E->E"]
    assert w.size == weights["E->E"]["n"] and abs(float(w.mean()) - weights["E->E"]["mean"]) < 1e-6
    assert pre.max() < 800 and post.max() < 800


def test_plasticity_config_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    head = '[simulation]\nduration = 10.0\ndt = 0.1\n[network]\ntype = "coba"\nn = 100\n[network.plasticity]\n'
    bad.write_text(head + 'type = "stpd"\n')
    with pytest.raises(ConfigError, match=r"^network.plasticity.type: unknown plasticity rule 'stpd'; expected one of stdp, tsodyks_markram"):
        load_config(bad)
    bad.write_text(head + 'type = "stdp"\ntau = 20.0\n')
    with pytest.raises(ConfigError, match=r"^network.plasticity.tau: unknown parameter of stdp \(did you mean 'tau_pre'\?\)"):
        load_config(bad)
    bad.write_text(head + 'type = "stdp"\ntau_pre = "-5 ms"\n')
    with pytest.raises(ConfigError, match=r"^network.plasticity \(stdp\): tau_pre must be > 0 ms, got -5"):
        load_config(bad)
    bad.write_text(head + 'type = "stdp"\nA_pre = "1 pA"\n')
    with pytest.raises(ConfigError, match=r"^network.plasticity.A_pre"):
        load_config(bad)
    spec = load_config(CONFIGS / "coba_stdp.toml", ["network.n=500", "network.plasticity.A_pre=0.01 nS"])
    assert float(spec.model.rules[0].A_pre) == pytest.approx(0.01)
    listed = neurodyn("models").stdout
    assert "stdp: Additive pair-based STDP" in listed and "    tau_D           200.0  ms" in listed


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
