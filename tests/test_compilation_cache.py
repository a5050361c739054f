"""Importing neurodyn changes no JAX setting; the first ``simulate`` turns on neurodyn's
compilation cache unless the user opted out or chose a cache. Each case runs in a fresh
interpreter (JAX reads its environment once, and the cache is turned on once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_IMPORT_ALL = """
import importlib, json, os, pkgutil, sys
def jax_env():
    return {k: v for k, v in os.environ.items() if k.startswith(("JAX_", "XLA_"))}
env0 = jax_env()
if sys.argv[1] == "jax first":
    import jax
    cfg0 = dict(jax.config.values)
import neurodyn as nd
env_after_top = jax_env()
for info in pkgutil.walk_packages(nd.__path__, "neurodyn."):
    if not info.name.startswith(("neurodyn._native", "neurodyn.__main__")):
        importlib.import_module(info.name)
for name in nd.__all__:
    getattr(nd, name)
import jax
if sys.argv[1] != "jax first":
    cfg0 = {"jax_compilation_cache_dir": None, "jax_persistent_cache_min_compile_time_secs": 1.0}
cfg1 = dict(jax.config.values)
changed = sorted(k for k in cfg0 if cfg0[k] != cfg1.get(k))
print(json.dumps({"env": [env0 == env_after_top, env0 == jax_env()], "changed": changed}))
"""

_SIMULATE = """
import json, os, sys
import jax
if sys.argv[1] == "config":
    jax.config.update("jax_compilation_cache_dir", os.environ["USER_CACHE"])
import jax.numpy as jnp
import neurodyn as nd
def cache():
    return [jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs]
before = cache()
(jnp.ones(3) + 1).block_until_ready()  # JAX compiles eagerly before neurodyn's first run
model = nd.ODE(lambda t, y, u: -y / 10.0 + u, y0=jnp.ones(3))
nd.simulate(model, duration=5.0, dt=0.1, record=["y"], progress=False)
print(json.dumps({"before": before, "after": cache()}))
"""


def _run(code: str, arg: str, tmp_path: Path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "NEURODYN_"))}
    clean.update(HOME=str(tmp_path / "home"), **env)
    proc = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, env=clean, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("order", ["jax first", "neurodyn first"])
def test_importing_neurodyn_changes_no_jax_setting(tmp_path, order):
    out = _run(_IMPORT_ALL, order, tmp_path)
    assert out == {"env": [True, True], "changed": []}
    assert not (tmp_path / "home" / ".cache" / "neurodyn" / "jax").exists()


def test_first_simulate_turns_the_cache_on(tmp_path):
    out = _run(_SIMULATE, "-", tmp_path)
    folder = tmp_path / "home" / ".cache" / "neurodyn" / "jax"
    assert out == {"before": [None, 1.0], "after": [str(folder), 0.2]}
    assert folder.is_dir()


def test_cache_stores_programs_compiled_after_eager_work(tmp_path):
    # The user's minimum compile time (0 s here) is kept, and the programs of the run land
    # in neurodyn's folder although JAX compiled eager operations before it was set.
    folder = tmp_path / "cache"
    out = _run(_SIMULATE, "-", tmp_path, NEURODYN_CACHE_DIR=str(folder), JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    assert out == {"before": [None, 0.0], "after": [str(folder), 0.0]}
    assert any(folder.iterdir())


@pytest.mark.parametrize(
    "how, env",
    [
        ("opt-out", {"NEURODYN_NO_COMPILATION_CACHE": "1"}),
        ("environment", {"JAX_COMPILATION_CACHE_DIR": "{user}"}),
        ("config", {"USER_CACHE": "{user}"}),
        ("jax cache off", {"JAX_ENABLE_COMPILATION_CACHE": "false"}),
    ],
)
def test_first_simulate_keeps_the_users_choice(tmp_path, how, env):
    user = str(tmp_path / "user")
    env = {k: v.format(user=user) for k, v in env.items()}
    out = _run(_SIMULATE, "config" if how == "config" else "-", tmp_path, **env)
    expected = None if how in ("opt-out", "jax cache off") else user
    assert out["after"] == [expected, 1.0]
    assert not (tmp_path / "home" / ".cache" / "neurodyn" / "jax").exists()
