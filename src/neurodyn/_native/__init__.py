"""neurodyn's C++ kernels (``*.cc`` here), compiled on first use and called through the XLA FFI.

The sources are compiled together into one library with the system C++ compiler against
``jax.ffi.include_dir()``, tuned for this CPU (``-march=native``), into a cache folder
(``$NEURODYN_KERNEL_CACHE``, default ``~/.cache/neurodyn/kernels``) keyed by the sources,
the flags, the JAX version and the CPU. Targets are registered for platform ``"cpu"``
only. Without a compiler (or with ``NEURODYN_NO_KERNEL=1``) :func:`available` is False
and every caller uses its pure-JAX twin, which computes the same numbers.

Kernels: ``propagate.cc`` (event-driven synaptic propagation, used by
:mod:`neurodyn.connectivity`) and ``normal.cc`` (the engine's Gaussian noise,
:mod:`neurodyn.engine._random`).
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

SOURCES = sorted(Path(__file__).parent.glob("*.cc"))
TARGETS = ("neurodyn_propagate_f32", "neurodyn_propagate_f64", "neurodyn_normal_f32")
_FLAGS = ["-O3", "-std=c++17", "-shared", "-fPIC", "-fno-math-errno", "-ffp-contract=off"]
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


def _build(compiler: str, out: str, native: bool) -> subprocess.CompletedProcess:
    flags = _FLAGS + (["-march=native"] if native else [])
    cmd = [compiler, *flags, f"-I{jax.ffi.include_dir()}", *map(str, SOURCES), "-o", out]
    return subprocess.run(cmd, capture_output=True, text=True)


def _compile() -> Path:
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if compiler is None:
        raise RuntimeError("no C++ compiler found (g++, c++ or clang++)")
    h = hashlib.sha256(" ".join(_FLAGS).encode() + jax.__version__.encode() + str(jax.ffi.include_dir()).encode())
    for source in SOURCES:
        h.update(source.read_bytes())
    h.update(_cpu_id())
    lib = _cache_dir() / f"neurodyn_kernels_{h.hexdigest()[:16]}.so"
    if lib.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=lib.parent)
    os.close(fd)
    proc = _build(compiler, tmp, native=True)
    if proc.returncode != 0:  # a compiler without -march=native
        proc = _build(compiler, tmp, native=False)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError(f"compiling neurodyn's kernels failed: {proc.stderr.strip()[:500]}")
    os.replace(tmp, lib)  # atomic: concurrent first uses see a whole library or none
    return lib


def available() -> bool:
    """True when the C++ kernels are compiled, loaded and registered (once per process)."""
    if "ok" not in _state:
        if os.environ.get("NEURODYN_NO_KERNEL"):
            _state.update(ok=False, reason="disabled by NEURODYN_NO_KERNEL")
            return False
        try:
            lib = ctypes.cdll.LoadLibrary(str(_compile()))
            for name in TARGETS:
                jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(lib, name)), platform="cpu")
            _state.update(ok=True, reason="", lib=lib)
        except Exception as exc:  # noqa: BLE001 - any failure means: use the pure-JAX twins
            _state.update(ok=False, reason=str(exc))
    return _state["ok"]


def unavailable_reason() -> str:
    """Why :func:`available` is False ('' when it is True)."""
    available()
    return _state["reason"]
