"""The C++ propagation kernel (``_kernel.cc``): compiled on first use, called through the XLA FFI.

The kernel is compiled with the system C++ compiler against ``jax.ffi.include_dir()``
into a cache folder (``$NEURODYN_KERNEL_CACHE``, default ``~/.cache/neurodyn/kernels``),
keyed by the source and the JAX version, and registered for platform ``"cpu"`` only.
Without a compiler (or with ``NEURODYN_NO_KERNEL=1``) :func:`available` is False and
networks use the pure-JAX event-driven path, which gives identical results.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

SOURCE = Path(__file__).with_name("_kernel.cc")
_TARGETS = {np.dtype(np.float32): "neurodyn_propagate_f32", np.dtype(np.float64): "neurodyn_propagate_f64"}
_state: dict = {}


def _cache_dir() -> Path:
    return Path(os.environ.get("NEURODYN_KERNEL_CACHE") or Path.home() / ".cache" / "neurodyn" / "kernels")


def _compile() -> Path:
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if compiler is None:
        raise RuntimeError("no C++ compiler found (g++, c++ or clang++)")
    source = SOURCE.read_bytes()
    tag = hashlib.sha256(source + jax.__version__.encode() + str(jax.ffi.include_dir()).encode()).hexdigest()[:16]
    lib = _cache_dir() / f"neurodyn_propagate_{tag}.so"
    if lib.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=lib.parent)
    os.close(fd)
    cmd = [compiler, "-O3", "-std=c++17", "-shared", "-fPIC", f"-I{jax.ffi.include_dir()}", str(SOURCE), "-o", tmp]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError(f"compiling the propagation kernel failed: {proc.stderr.strip()[:500]}")
    os.replace(tmp, lib)  # atomic: concurrent first uses see a whole library or none
    return lib


def available() -> bool:
    """True when the C++ kernel is compiled, loaded and registered (once per process)."""
    if "ok" not in _state:
        if os.environ.get("NEURODYN_NO_KERNEL"):
            _state.update(ok=False, reason="disabled by NEURODYN_NO_KERNEL")
            return False
        try:
            lib = ctypes.cdll.LoadLibrary(str(_compile()))
            for name in _TARGETS.values():
                jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(lib, name)), platform="cpu")
            _state.update(ok=True, reason="", lib=lib)
        except Exception as exc:  # noqa: BLE001 - any failure means: use the pure-JAX path
            _state.update(ok=False, reason=str(exc))
    return _state["ok"]


def unavailable_reason() -> str:
    available()
    return _state["reason"]


def propagate(spikes, indptr, indices, weights, delays, buffer, first, n_post: int, delay: int):
    """Add one step's events to the flat ring buffer ``buffer`` (D * n_post,) (see ``_kernel.cc``)."""
    dtype = np.dtype(buffer.dtype)
    homogeneous_d = delays is None
    if homogeneous_d:
        delays = jnp.zeros((1,), jnp.int32)
    call = jax.ffi.ffi_call(
        _TARGETS[dtype],
        jax.ShapeDtypeStruct(buffer.shape, buffer.dtype),
        input_output_aliases={5: 0},
        vmap_method="sequential",
    )
    return call(
        spikes.astype(jnp.bool_),
        indptr,
        indices,
        jnp.atleast_1d(weights),
        delays,
        buffer,
        jnp.reshape(first, (1,)),
        n_post=np.int64(n_post),
        delay=np.int64(delay),
        homogeneous_w=bool(weights.ndim == 0),
        homogeneous_d=bool(homogeneous_d),
    )
