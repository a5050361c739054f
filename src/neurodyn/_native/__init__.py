"""neurodyn's C++ kernels (``*.cc`` here), compiled on first use and called through the XLA FFI.

Each source is compiled on the first use of its kernel (a few seconds, once per machine)
with the system C++ compiler against ``jax.ffi.include_dir()``, tuned for this CPU
(``-march=native``), into a cache folder (``$NEURODYN_KERNEL_CACHE``, default
``~/.cache/neurodyn/kernels``) keyed by the source, the flags, the JAX version and the
CPU. Targets are registered for platform ``"cpu"`` only. Without a compiler (or with
``NEURODYN_NO_KERNEL=1``) :func:`available` is False and callers use pure JAX.

The cache holds code that gets executed, so it is used only while it is private
(:func:`_open_cache`): missing folders are created ``0700``; the cache folder and every
file read from it must be owned by this user and not writable by group or others, and no
folder above it may be writable by group or others unless sticky (``/tmp``). A library is
loaded only when the SHA-256 of the bytes about to be loaded equals the one this user
recorded (``<library>.sha256``) when compiling it, and it is loaded from the file
descriptor those bytes were read from, so nothing renamed into place after the check is
loaded. A folder or file failing these checks is refused with one warning (pure JAX is
used; :func:`unavailable_reason` says why); a library without a matching record is
compiled again.

Kernels (:data:`KERNELS`): ``propagate`` (event-driven synaptic propagation, used by
:mod:`neurodyn.connectivity`, and additive STDP on plastic projections,
:mod:`neurodyn.network._plastic`; their JAX fallbacks give identical results) and ``random``
(the engine's Gaussian noise and uniforms, :mod:`neurodyn.engine._random`, whose pure-JAX
fallback gives the same bits); ``population`` (one fused step of LIF neurons with exponential synapses,
:mod:`neurodyn.connectivity._fused`; falls back to the generic solver path).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import secrets
import shutil
import stat
import subprocess
import tempfile
import warnings
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
_RECORD = ".sha256"  # suffix of the file holding a library's SHA-256, written at compile time
_state: dict = {}
_warned: set = set()
_registered: set = set()  # FFI targets registered in this process (XLA refuses a second address)


class UnsafeCacheError(RuntimeError):
    """A kernel cache folder or file failed an ownership, permission or integrity check."""


def _cache_dir() -> Path:
    return Path(os.environ.get("NEURODYN_KERNEL_CACHE") or Path.home() / ".cache" / "neurodyn" / "kernels")


def _uid() -> int:
    return os.geteuid()


def _check_private(st: os.stat_result, what: str) -> None:
    """Refuse ``what`` unless this user owns it and neither group nor others may write to it."""
    if st.st_uid != _uid():
        raise UnsafeCacheError(f"{what} is owned by uid {st.st_uid}, not by this user (uid {_uid()})")
    if st.st_mode & 0o022:
        raise UnsafeCacheError(f"{what} is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})")


def _open_cache() -> tuple[int, Path]:
    """Create the cache folder (``0700``) if needed, check it and the folders above it; its fd, path."""
    path = Path(os.path.realpath(_cache_dir()))
    for folder in (*reversed(path.parents), path):
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            os.mkdir(folder, 0o700)
            st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafeCacheError(f"kernel cache {folder} is not a folder")
        if folder == path:
            _check_private(st, f"kernel cache folder {folder}")
        elif st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            # whoever may rename the entries of a folder above the cache can swap the cache itself
            raise UnsafeCacheError(f"folder {folder} above the kernel cache is writable by group or others "
                                   f"(mode {stat.S_IMODE(st.st_mode):04o})")
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    opened = os.fstat(fd)
    if (opened.st_ino, opened.st_dev) != (st.st_ino, st.st_dev):
        os.close(fd)
        raise UnsafeCacheError(f"kernel cache folder {path} changed while it was checked")
    return fd, path


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


def _lib_name(name: str) -> str:
    """The cached library's file name: the kernel and a hash of its source, flags, JAX and CPU."""
    h = hashlib.sha256(" ".join(_flags(name)).encode() + jax.__version__.encode() + str(jax.ffi.include_dir()).encode())
    h.update(Path(__file__).with_name(f"{name}.cc").read_bytes())
    h.update(_cpu_id())
    return f"neurodyn_{name}_{h.hexdigest()[:16]}.so"


def _build(compiler: str, name: str, source: Path, out: str, native: bool) -> subprocess.CompletedProcess:
    flags = _flags(name) + (["-march=native"] if native else [])
    cmd = [compiler, *flags, f"-I{jax.ffi.include_dir()}", str(source), "-o", out]
    return subprocess.run(cmd, capture_output=True, text=True)


def _write_new(dir_fd: int, name: str, data: bytes, mode: int) -> None:
    """Write ``name`` in the cache atomically: a fresh private file, then a rename over ``name``."""
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        os.unlink(tmp, dir_fd=dir_fd)
        raise


def _compile(name: str, cache: Path, dir_fd: int, lib: str) -> None:
    """Compile kernel ``name`` in a private folder of the checked cache, then store it and its SHA-256."""
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if compiler is None:
        raise RuntimeError("no C++ compiler found (g++, c++ or clang++)")
    source = Path(__file__).with_name(f"{name}.cc")
    with tempfile.TemporaryDirectory(prefix=".build-", dir=cache) as build:  # mkdtemp: 0700, this user's
        out = os.path.join(build, lib)
        proc = _build(compiler, name, source, out, native=True)
        if proc.returncode != 0:  # a compiler without -march=native
            proc = _build(compiler, name, source, out, native=False)
        if proc.returncode != 0:
            raise RuntimeError(f"compiling the {name} kernel failed: {proc.stderr.strip()[:500]}")
        data = Path(out).read_bytes()
    # library first, record last: a reader that finds the record finds the library it describes
    _write_new(dir_fd, lib, data, 0o700)
    _write_new(dir_fd, lib + _RECORD, hashlib.sha256(data).hexdigest().encode(), 0o600)


def _open_private(dir_fd: int, name: str) -> int | None:
    """Open ``name`` in the cache for reading (None when absent), refusing links and others' files."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP: a symbolic link
        raise UnsafeCacheError(f"kernel cache entry {name} cannot be opened safely ({exc.strerror})") from None
    st = os.fstat(fd)
    try:
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeCacheError(f"kernel cache entry {name} is not a regular file")
        _check_private(st, f"kernel cache file {name}")
    except UnsafeCacheError:
        os.close(fd)
        raise
    return fd


def _read_verified(dir_fd: int, lib: str) -> tuple[int, bytes] | str:
    """The library's open fd and bytes when their SHA-256 is the recorded one, else why not.

    ``"absent"`` (no library or no record) or ``"mismatch"``: compile again.
    """
    rec = _open_private(dir_fd, lib + _RECORD)
    fd = _open_private(dir_fd, lib) if rec is not None else None
    if rec is None or fd is None:
        if rec is not None:
            os.close(rec)
        return "absent"
    with os.fdopen(rec, "rb") as f:
        recorded = f.read(100).decode("ascii", "replace").strip()
    with os.fdopen(os.dup(fd), "rb") as f:  # the bytes behind fd, which is what gets loaded
        data = f.read()
    if hashlib.sha256(data).hexdigest() != recorded:
        os.close(fd)
        return "mismatch"
    return fd, data


def _dlopen(fd: int, data: bytes) -> ctypes.CDLL:
    """Load the verified library: the open file itself where /proc allows, else a private copy."""
    if os.path.isdir("/proc/self/fd"):
        # the fd stays open for the life of the process (so its name is never reused)
        return ctypes.CDLL(f"/proc/self/fd/{fd}")
    with tempfile.TemporaryDirectory(prefix="neurodyn-load-") as private:
        copy = os.path.join(private, "kernel.so")
        with open(copy, "wb") as f:
            f.write(data)
        return ctypes.CDLL(copy)


def _warn_once(message: str) -> None:
    if message not in _warned:  # one warning per distinct problem, not one per kernel
        _warned.add(message)
        warnings.warn(f"neurodyn: {message}", RuntimeWarning, stacklevel=4)


def _load(name: str) -> tuple[ctypes.CDLL, int]:
    """Load kernel ``name`` from the cache, compiling it first when no verified library is there."""
    dir_fd, cache = _open_cache()
    try:
        lib = _lib_name(name)
        found = _read_verified(dir_fd, lib)
        if found == "mismatch":
            _warn_once(f"the cached {name} kernel ({lib}) does not match the SHA-256 recorded when it was "
                       "compiled; compiling it again")
        if isinstance(found, str):
            _compile(name, cache, dir_fd, lib)
            found = _read_verified(dir_fd, lib)
            if isinstance(found, str):
                raise UnsafeCacheError(f"kernel cache file {lib} changed between compiling and loading it")
    finally:
        os.close(dir_fd)
    fd, data = found
    try:
        return _dlopen(fd, data), fd
    except BaseException:
        os.close(fd)
        raise


def available(name: str) -> bool:
    """True when kernel ``name`` is compiled, loaded and registered (tried once per process)."""
    if name not in _state:
        if os.environ.get("NEURODYN_NO_KERNEL"):
            _state[name] = (False, "disabled by NEURODYN_NO_KERNEL")
            return False
        try:
            lib, fd = _load(name)
            for target in KERNELS[name]:
                capsule = jax.ffi.pycapsule(getattr(lib, target))
                if target not in _registered:
                    jax.ffi.register_ffi_target(target, capsule, platform="cpu")
                    _registered.add(target)
            _state[name] = (True, "", lib, fd)
        except UnsafeCacheError as exc:
            reason = f"{exc}; refusing to load kernels from it (pure JAX is used instead)"
            _warn_once(reason)
            _state[name] = (False, reason)
        except Exception as exc:  # noqa: BLE001 - any other failure means: use pure JAX
            _state[name] = (False, str(exc))
    return _state[name][0]


def unavailable_reason(name: str) -> str:
    """Why :func:`available` is False for kernel ``name`` ('' when it is True)."""
    available(name)
    return _state[name][1]
