"""use_cpu_cores: restricts the process's cores before JAX starts, refuses after."""

import os
import subprocess
import sys

import pytest

import neurodyn as nd

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")


def _run(code):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_one_core_before_jax_starts_then_simulates():
    out = _run("import os, neurodyn as nd\n"
               "nd.use_cpu_cores(1)\n"
               "allowed = os.sched_getaffinity(0)\n"
               "res = nd.simulate(nd.neurons.LIF(n=3, I_e=500.0), 50.0, 0.1, progress=False)\n"
               "print(len(allowed), res.spikes.times.size > 0)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "True"]


def test_refused_once_jax_started_and_bad_counts():
    import jax.numpy as jnp

    jnp.zeros(1).block_until_ready()  # JAX has started in this process
    with pytest.raises(RuntimeError, match="already started"):
        nd.use_cpu_cores(1)
    with pytest.raises(ValueError, match=r"n must be an integer in \[1"):
        nd.use_cpu_cores(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        nd.use_cpu_cores(1.0)


def test_cli_names_its_option():
    out = _run(f"from neurodyn.cli import main; raise SystemExit(main(['run', '--cores', '{nd.available_cpu_cores() + 1}']))")
    assert out.returncode == 2
    assert f"--cores: this process may use {nd.available_cpu_cores()} CPU core(s)" in out.stderr
