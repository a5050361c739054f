"""neurodyn's C++ kernels (``*.cc`` here), compiled on first use and called through the XLA FFI.

Each source is compiled on the first use of its kernel (a few seconds, once per machine)
with the system C++ compiler against ``jax.ffi.include_dir()``, tuned for this CPU
(``-march=native``), into a cache folder (``$NEURODYN_KERNEL_CACHE``, default
``~/.cache/neurodyn/kernels``) keyed by the source, the flags, the JAX version and the
CPU. Targets are registered for platform ``"cpu"`` only. Without a compiler (or with
``NEURODYN_NO_KERNEL=1``) :func:`available` is False and callers use pure JAX.

Kernels (:data:`KERNELS`): ``propagate`` (event-driven synaptic propagation, used by
:mod:`neurodyn.connectivity`; its JAX fallback gives identical results) and ``random``
(the engine's Gaussian noise and uniforms, :mod:`neurodyn.engine._random`, whose pure-JAX
fallback gives the same bits); ``population`` (one fused step of LIF neurons with exponential synapses,
:mod:`neurodyn.connectivity._fused`; falls back to the generic solver path).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import jax

#: kernel name -> the FFI targets its source ``<name>.cc`` defines
KERNELS = {
    "propagate": ("neurodyn_propagate_f32", "neurodyn_propagate_f64"),
    "random": ("neurodyn_normal_f32", "neurodyn_uniform_f32"),
    "population": ("neurodyn_lif_exp_f32",),
}
_FLAGS = ["-O3", "-std=c++17", "-shared", "-fPIC", "-fno-math-errno"]
#: floating-point contraction per kernel: off where results must match a JAX twin bit for
#: bit (propagation sums, the Philox normals); fused multiply-adds in the population step,
#: which is compared with the generic path to rounding
_CONTRACT = {"propagate": "off", "random": "off", "population": "fast"}
_state: dict = {}


def _cache_dir() -> Path:
    return Path(os.environ.get("NEURODYN_KERNEL_CACHE") or Path.home() / ".cache" / "neurodyn" / "kernels")


def _cpu_id() -> bytes:
    """What ``-march=native`` depends on: the architecture and the CPU's feature flags."""
    ident = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features", "model name")):
                ident += line
    except OSError:
        ident += platform.processor()
    return ident.encode()


def _flags(name: str) -> list:
    return [*_FLAGS, f"-ffp-contract={_CONTRACT[name]}"]


def _build(compiler: str, name: str, source: Path, out: str, native: bool) -> subprocess.CompletedProcess:
    flags = _flags(name) + (["-march=native"] if native else [])
    cmd = [compiler, *flags, f"-I{jax.ffi.include_dir()}", str(source), "-o", out]
    return subprocess.run(cmd, capture_output=True, text=True)


def _compile(name: str) -> Path:
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if compiler is None:
        raise RuntimeError("no C++ compiler found (g++, c++ or clang++)")
    source = Path(__file__).with_name(f"{name}.cc")
    h = hashlib.sha256(" ".join(_flags(name)).encode() + jax.__version__.encode() + str(jax.ffi.include_dir()).encode())
    h.update(source.read_bytes())
    h.update(_cpu_id())
    lib = _cache_dir() / f"neurodyn_{name}_{h.hexdigest()[:16]}.so"
    if lib.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=lib.parent)
    os.close(fd)
    proc = _build(compiler, name, source, tmp, native=True)
    if proc.returncode != 0:  # a compiler without -march=native
        proc = _build(compiler, name, source, tmp, native=False)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError(f"compiling the {name} kernel failed: {proc.stderr.strip()[:500]}")
    os.replace(tmp, lib)  # atomic: concurrent first uses see a whole library or none
    return lib


def available(name: str) -> bool:
    """True when kernel ``name`` is compiled, loaded and registered (tried once per process)."""
    if name not in _state:
        if os.environ.get("NEURODYN_NO_KERNEL"):
            _state[name] = (False, "disabled by NEURODYN_NO_KERNEL")
            return False
        try:
            lib = ctypes.cdll.LoadLibrary(str(_compile(name)))
            for target in KERNELS[name]:
                jax.ffi.register_ffi_target(target, jax.ffi.pycapsule(getattr(lib, target)), platform="cpu")
            _state[name] = (True, "", lib)
        except Exception as exc:  # noqa: BLE001 - any failure means: use pure JAX
            _state[name] = (False, str(exc))
    return _state[name][0]


def unavailable_reason(name: str) -> str:
    """Why :func:`available` is False for kernel ``name`` ('' when it is True)."""
    available(name)
    return _state[name][1]
