"""Bad input gives one message naming the field, what was expected and what arrived
(issue 14, items 9-11): on the command line one line and exit 2, never a traceback or an
abort; in Python one exception. And nonsense that used to run silently is refused."""

import errno
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import cli
from neurodyn.io._config import ConfigError, load_config

GOOD = """
[simulation]
duration = 10.0
dt = 0.1
[model]
type = "LIF"
n = 2
tau_m = 10.0
"""

COBA = """
[simulation]
duration = 1.0
dt = 0.1
[network]
type = "coba"
n = 40
"""

BRUNEL = """
[simulation]
duration = 1.0
dt = 0.1
[network]
type = "brunel"
n_e = 40
"""

POISSON = '[[input]]\ntype = "poisson"\nrate = 10.0\nweight = 1.0\n'


def config(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def run_cli(capsys, *argv):
    """``neurodyn ...`` in this process: (exit code, stderr lines)."""
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    return code, err.strip().splitlines()


def one_error(capsys, *argv) -> str:
    code, lines = run_cli(capsys, *argv)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("neurodyn: error: "), lines
    return lines[0]


# -- item 9: crashes and tracebacks -> one line, exit 2 ----------------------------------
BAD_VALUES = [
        (GOOD, ["model.n=1000000000000"], "n must be an integer number of neurons in [1, 2147483647], got 1000000000000"),
        (GOOD, ["model.n=1e12"], "n must be an integer number of neurons in [1, 2147483647], got 1000000000000.0"),
        (GOOD, ["simulation.record_every=1e18"], "simulation.record_every: expected an integer in [1, 2147483647], got 1e+18"),
        (GOOD, ["simulation.record_every=1000000000000000000"],
         "simulation.record_every: expected an integer in [1, 2147483647], got 1000000000000000000"),
        (GOOD, ["simulation.seed=1e23"], "simulation.seed: expected an integer in [-9223372036854775808, 9223372036854775807], got 1e+23"),
        (GOOD, ["simulation.seed=100000000000000000000000"], "simulation.seed: expected an integer in"),
        (GOOD + POISSON, ["input.0.n_sources=1e12"], "n_sources must be an integer number of spike trains in [1, 2147483647], got 1000000000000.0"),
        (GOOD + POISSON, ["input.0.n_sources=1000000000000"], "n_sources must be an integer number of spike trains in [1, 2147483647], got 1000000000000"),
        (COBA, ["network.n=0"], "network (coba): n must be an integer number of neurons (80 % excitatory, at least one inhibitory) in [3, 2147483647], got 0"),
        (BRUNEL, ["network.n_e=1"], "n_e must be an integer number of excitatory neurons (N_I = n_e // 4 >= 1) in [4, 2147483647], got 1"),
        (BRUNEL, ["network.epsilon=0"], "epsilon must be a connection probability in (0, 1], got 0.0"),
        (BRUNEL, ["network.epsilon=0.001"], "epsilon * n_e must give at least one excitatory input per neuron"),
        (BRUNEL, ["network.eta=-1.0"], "eta must be >= 0, got -1.0"),  # was: math domain error
        (BRUNEL, ["network.J=0.0"], "J must be > 0 mV, got 0.0"),  # was: ZeroDivisionError
        (COBA, ["network.seed=1.5"], "seed must be an integer in [0, 9223372036854775807], got 1.5"),
        (GOOD, ["simulation.duration=1e30"], "simulation.duration: 1e+30 ms at dt = 0.1 ms is 1e+31 steps, more than max_steps = 1e+09"),
        (GOOD, ["simulation.dt=1e-30"], "is 1e+31 steps, more than max_steps = 1e+09; check the units (ms), or raise simulation.max_steps"),
        (GOOD, ["simulation.duration=inf"], "simulation.duration: must be > 0 ms and finite, found inf"),
        (COBA, ['network.p="x"'], "network.p: expected a number, got 'x'"),  # was: '<=' not supported
        (COBA, ['network.n="5"'], "in [3, 2147483647], got '5'"),  # was: unsupported operand type(s) for /
        (COBA, ['network.w_e="x"'], "network.w_e: expected a number or a quantity in nS (e.g. '20 nS'), got 'x'"),
        (COBA, ['network.w_e="1 mV"'], "network.w_e: expected a quantity in nS, got '1 mV' (mV cannot be converted to nS)"),
]


@pytest.mark.parametrize("text, sets, expected", BAD_VALUES, ids=[" ".join(sets) for _, sets, _ in BAD_VALUES])
def test_cli_bad_values_give_one_line(tmp_path, capsys, text, sets, expected):
    argv = ["run", str(config(tmp_path, text)), "--out", str(tmp_path / "o"), "--quiet"]
    for s in sets:
        argv += ["--set", s]
    assert expected in one_error(capsys, *argv)


def test_cli_population_beyond_index_range_is_refused_not_aborted(tmp_path):
    """``--set model.n=4611686018427387904`` aborted the process inside XLA (exit 134)."""
    proc = subprocess.run(
        [sys.executable, "-m", "neurodyn.cli", "run", str(config(tmp_path, GOOD)), "--out", str(tmp_path / "o"),
         "--quiet", "--set", "model.n=4611686018427387904"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "neurodyn: error: model (LIF): n must be an integer number of neurons in [1, 2147483647], got 4611686018427387904"
    ]


def test_cli_deeply_nested_toml(tmp_path, capsys):
    """A 2,000-level nested array raised RecursionError inside the TOML parser."""
    path = config(tmp_path, GOOD + "deep = " + "[" * 2000 + "]" * 2000 + "\n")
    line = one_error(capsys, "run", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert line == f"neurodyn: error: config: {path}: tables and arrays nested too deeply; expected at most 16 levels"
    line = one_error(capsys, "run", str(config(tmp_path, GOOD)), "--quiet", "--set", "x=" + "[" * 2000 + "]" * 2000)
    assert "--set x: tables and arrays nested too deeply" in line


@pytest.mark.parametrize("target", ["folder", "toml"])
def test_cli_analyze_something_else(tmp_path, capsys, target):
    path = tmp_path if target == "folder" else config(tmp_path, GOOD)
    line = one_error(capsys, "analyze", str(path))
    if target == "folder":
        assert line == f"neurodyn: error: results: {path} is a folder; expected the results.nc file written by neurodyn run"
    else:
        assert line.startswith(f"neurodyn: error: {path} is not a neurodyn result: not a readable NetCDF4/HDF5 file")


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if the CLI starts simulating: --out must be checked first."""
    import neurodyn.engine

    def refuse(*a, **k):
        raise AssertionError("the simulation ran before --out was checked")

    monkeypatch.setattr(neurodyn.engine, "simulate", refuse)


def test_cli_out_is_a_file(tmp_path, capsys, no_simulation):
    target = config(tmp_path, "x", "taken")
    line = one_error(capsys, "run", str(config(tmp_path, GOOD)), "--out", str(target), "--quiet")
    assert line == f"neurodyn: error: --out: expected a folder, got the existing file {target}"
    line = one_error(capsys, "run", str(config(tmp_path, GOOD)), "--out", str(target / "sub"), "--quiet")
    assert line == f"neurodyn: error: --out: cannot write into {target / 'sub'}: Not a directory"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_cli_out_read_only(tmp_path, capsys, no_simulation):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = one_error(capsys, "run", str(config(tmp_path, GOOD)), "--out", str(folder), "--quiet")
    finally:
        folder.chmod(0o755)
    assert line == f"neurodyn: error: --out: cannot write into {folder}: Permission denied"


def test_cli_out_on_a_full_disk(tmp_path, capsys, monkeypatch, no_simulation):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cli.os, "fsync", full)
    out = tmp_path / "o"
    line = one_error(capsys, "run", str(config(tmp_path, GOOD)), "--out", str(out), "--quiet")
    assert line == f"neurodyn: error: --out: cannot write into {out}: No space left on device"
    assert list(out.iterdir()) == []  # the probe is removed


def test_simulate_step_and_memory_limits():
    lif = nd.neurons.LIF(n=2)
    with pytest.raises(ValueError, match=r"the run has 1e\+31 steps, more than max_steps = 1e\+09; .* pass max_steps="):
        nd.simulate(lif, 1e30, 0.1, progress=False)
    with pytest.raises(ValueError, match=r"the run has 100 steps, more than max_steps = 50"):
        nd.simulate(lif, 10.0, 0.1, max_steps=50, progress=False)
    assert nd.simulate(lif, 10.0, 0.1, max_steps=100, progress=False).duration == 10.0
    with pytest.raises(ValueError, match=r"max_steps must be an integer number of steps in \[1, 2147483647\], got 4294967296"):
        nd.simulate(lif, 10.0, 0.1, max_steps=2**32, progress=False)
    # 1,000 traces of V_m over 10^4 records: 40 MB
    with pytest.raises(ValueError, match=r"memory: the run needs an estimated 0.0373 GiB \(state .*, recorded traces 0.0373 GiB\), "
                                         r"more than max_memory = 0.00931 GiB; .* pass max_memory="):
        nd.simulate(nd.neurons.LIF(n=1000), 1000.0, 0.1, record=["V_m"], max_memory=10**7, progress=False)
    # before anything is allocated: a 2e9-neuron state does not fit 1 GB
    with pytest.raises(ValueError, match=r"memory: the run needs an estimated 7.45 GiB \(state 7.45 GiB"):
        nd.simulate(nd.neurons.LIF(n=2 * 10**9), 0.1, 0.1, max_memory=10**9, progress=False)


# -- item 10: messages that name the field ------------------------------------------------
def test_cli_messages_name_the_field(tmp_path, capsys):
    path = config(tmp_path, GOOD)
    out = ["--out", str(tmp_path / "o"), "--quiet"]
    assert one_error(capsys, "run", str(path), *out, "--set", 'model.tau_m="twenty ms"') == (
        "neurodyn: error: model.tau_m: expected a number or a quantity in ms (e.g. '20 ms'), got 'twenty ms'")
    assert one_error(capsys, "run", str(path), *out, "--set", 'simulation.record=["spike"]') == (
        "neurodyn: error: simulation.record: unknown variable 'spike' (did you mean 'spikes'?)")
    assert one_error(capsys, "run", str(path), *out, "--set", 'model.type="lif"').startswith("neurodyn: error: model.type: unknown model 'lif'; expected one of LIF, ")
    assert one_error(capsys, "run", str(path), *out, "--set", 'model.type="lif"').endswith("WangBuzsaki (did you mean 'LIF'?)")
    assert one_error(capsys, "run", str(path), *out, "--set", "model.type=[1]").startswith("neurodyn: error: model.type: unknown model [1]; expected one of LIF")  # was: unhashable type: 'list'
    assert one_error(capsys, "run", str(path), *out, "--set", "model.tau_m=[1.0, [2.0]]") == (
        "neurodyn: error: model.tau_m: expected a number or a flat list of numbers, got a nested list of uneven lengths")
    coba = config(tmp_path, COBA, "coba.toml")
    assert one_error(capsys, "run", str(coba), *out, "--set", "network.n=1").endswith("got 1")  # was: got 0


def test_cli_not_utf8(tmp_path, capsys):
    path = config(tmp_path, b"[simulation]\nduration = 10.0 # \xff\xfe\n")
    assert one_error(capsys, "run", str(path), "--quiet") == (
        f"neurodyn: error: config: {path} is not UTF-8 text (byte 0xff at offset 31); expected a TOML file")


def test_api_messages_name_the_argument():
    with pytest.raises(TypeError, match=r"^LIF: unknown parameter 'tau' \(did you mean 'tau_m'\?\); expected one of n, parts, I_e, C_m, .*, tau_m"):
        nd.neurons.LIF(n=5, tau=20.0)
    with pytest.raises(TypeError, match=r"AdEx: unknown parameter 'taw' \(did you mean 'tau_w'\?\)"):
        nd.neurons.AdEx(n=1, taw=20.0)
    with pytest.raises(ValueError, match=r"^V_th must be finite \(mV\), got nan$"):
        nd.neurons.LIF(n=5, V_th=float("nan"))
    with pytest.raises(TypeError, match=r"^key must be a jax.random key such as jax.random.key\(0\), got int 0; pass jax.random.key\(0\)$"):
        nd.simulate(nd.neurons.LIF(n=5), 10.0, 0.1, key=0, progress=False)
    with pytest.raises(ValueError, match=r"^record: unknown variable 'spike' \(did you mean 'spikes'\?\)$"):
        nd.simulate(nd.neurons.LIF(n=5), 10.0, 0.1, record=["spike"], progress=False)
    with pytest.raises(TypeError, match=r"tau_m must be a number in ms or an array of numbers, got '20 ms' \(unit strings"):
        nd.neurons.LIF(n=5, tau_m="20 ms")


# -- item 11: nonsense accepted silently ----------------------------------------------------
INF = float("inf")


@pytest.mark.parametrize("name", ["tau_m", "C_m", "V_th", "t_ref", "I_e", "E_L", "V_reset"])
def test_infinite_neuron_parameters_are_refused(name):
    with pytest.raises(ValueError, match=rf"^{name} must be finite \(\w+\), got inf$"):
        nd.neurons.LIF(n=3, **{name: INF})


@pytest.mark.parametrize("cls", [nd.neurons.AdEx, nd.neurons.AdaptiveLIF, nd.neurons.Izhikevich, nd.neurons.HodgkinHuxley])
def test_infinite_parameters_of_other_families(cls):
    with pytest.raises(ValueError, match=r"^I_e must be finite \(pA\), got inf$"):
        cls(n=2, I_e=INF)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nd.inputs.constant(INF), "amplitude must be finite, got inf"),
        (lambda: nd.inputs.pulses(INF, period=5.0), "amplitude must be finite, got inf"),
        (lambda: nd.inputs.steps([1.0], [INF]), "values must be finite, got inf"),
        (lambda: nd.inputs.poisson(INF, 1.0), "rate must be finite (Hz), got inf"),
        (lambda: nd.inputs.poisson(10.0, INF), "weight must be finite (pA·ms), got inf"),
        (lambda: nd.inputs.ornstein_uhlenbeck(INF, 1.0, 5.0), "mean must be finite (pA), got inf"),
        (lambda: nd.inputs.white_noise(INF), "sigma must be finite (pA·ms^0.5), got inf"),
        (lambda: nd.inputs.poisson(10.0, 1.0, n_sources=0), "n_sources must be an integer number of spike trains in [1, 2147483647], got 0"),
        (lambda: nd.inputs.poisson(10.0, 1.0, n_sources=-1), "n_sources must be an integer number of spike trains in [1, 2147483647], got -1"),
        (lambda: nd.inputs.poisson(10.0, 1.0, n_sources=1.5), "n_sources must be an integer number of spike trains in [1, 2147483647], got 1.5"),
        (lambda: nd.inputs.ornstein_uhlenbeck(1.0, 1.0, 5.0, shared="yes"), "shared must be true or false, got 'yes'"),
        (lambda: nd.inputs.steps([1.0, float("nan")], [1.0, 2.0]), "times must be finite (ms), got nan"),
        (lambda: nd.inputs.pulses(1.0, count=3), "count: 3 pulses need a period (ms) between them; got period=None (one pulse)"),
        (lambda: nd.inputs.constant("20 pA"), "amplitude must be a number or an array of numbers, got '20 pA'"),
    ],
)
def test_bad_inputs_are_refused(make, message):
    with pytest.raises((ValueError, TypeError)) as err:
        make()
    assert str(err.value).startswith(message), str(err.value)


def test_record_every_zero_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"^simulation.record_every: expected an integer in \[1, 2147483647\], got 0$"):
        load_config(config(tmp_path, GOOD.replace("dt = 0.1", "dt = 0.1\nrecord_every = 0")))
    with pytest.raises(ValueError, match=r"^record_every must be an integer number of steps in \[1, 2147483647\], got 0$"):
        nd.simulate(nd.neurons.LIF(n=2), 10.0, 0.1, record_every=0, progress=False)


def test_state_of_another_size_is_refused():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"^state: V_m must have shape \(5,\) for this model, got shape \(7,\)$"):
        nd.simulate(nd.neurons.LIF(n=5), 10.0, 0.1, state=nd.neurons.LIF(n=7).init_state(key), progress=False)
    with pytest.raises(ValueError, match=r"^state: expected a IFState of AdEx.init_state, got IFState of another structure"):
        nd.simulate(nd.neurons.AdEx(n=5), 10.0, 0.1, state=nd.neurons.LIF(n=5).init_state(key), progress=False)


@pytest.mark.parametrize("n", [2**31, 2**32, 2**40])
def test_populations_beyond_32_bit_spike_indices_are_refused(n):
    with pytest.raises(ValueError, match=rf"^n must be an integer number of neurons in \[1, 2147483647\], got {n}$"):
        nd.neurons.LIF(n=n)
    with pytest.raises(ValueError, match=rf"n must be an integer number of neurons in \[1, 2147483647\], got {n}"):
        nd.neurons.AdEx(n=n)


def test_network_seed_must_be_an_integer():
    with pytest.raises(TypeError, match=r"^seed must be an integer in \[0, 9223372036854775807\], got 1.5$"):
        nd.Network({"E": nd.neurons.LIF(n=5)}, seed=1.5)
    with pytest.raises(ValueError, match=r"^dt must be a finite number > 0 ms, got inf$"):
        nd.Network({"E": nd.neurons.LIF(n=5)}, dt=INF)


def test_valid_inputs_stay_valid(tmp_path):
    """A UTF-8 byte-order mark and NumPy integer sizes are fine."""
    spec = load_config(config(tmp_path, b"\xef\xbb\xbf" + GOOD.encode()))
    assert spec.model.n == 2 and spec.model.tau_m == 10.0
    lif = nd.neurons.LIF(n=np.int64(5), I_e=400.0)
    assert type(lif.n) is int and lif.n == 5
    assert nd.simulate(lif, 50.0, 0.1, progress=False).spike_counts["neurons"].shape == (5,)
    assert nd.neurons.AdEx(n=np.int32(2)).n == 2


def test_izhikevich_without_recovery_runs_and_negative_rate_is_refused(tmp_path, capsys):
    """Found by the fuzz run: ``a = 0`` divided by zero in the time-constant check."""
    path = config(tmp_path, '[simulation]\nduration = 0.5\ndt = 0.1\n[model]\ntype = "Izhikevich"\nn = 1\na = 0.0\n')
    assert cli.main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    with pytest.raises(ValueError, match=r"^a must be >= 0 1/ms, got -0.1$"):
        nd.neurons.Izhikevich(n=1, a=-0.1)
