"""Shared helpers for the side-by-side benchmarks."""

import os
import platform
import subprocess
import time

os.environ.setdefault("NEURODYN_NO_COMPILATION_CACHE", "1")  # first-call compile times as a new user sees them


def machine() -> str:
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def native_kernels() -> str:
    """Build (or load from the cache) neurodyn's C++ kernels before anything is timed, so
    that the one-time build is reported on its own and not as a first call's compilation."""
    from neurodyn import _native

    parts = []
    for name in _native.KERNELS:
        start = time.perf_counter()
        ok = _native.available(name)
        parts.append(f"{name} {'ready' if ok else 'unavailable: ' + _native.unavailable_reason(name)} "
                     f"in {time.perf_counter() - start:.2f} s")
    return "native kernels (built once per machine, then cached): " + ", ".join(parts)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


_COMPILE_EVENTS = []


def compile_seconds(fn, *args, **kwargs):
    """Run ``fn`` and return (result, seconds JAX spent tracing, lowering and compiling)."""
    import jax

    if not _COMPILE_EVENTS:
        _COMPILE_EVENTS.append(0.0)
        jax.monitoring.register_event_duration_secs_listener(
            lambda name, secs, **_: _COMPILE_EVENTS.append(secs) if name.startswith("/jax/core/compile/") else None
        )
    before = sum(_COMPILE_EVENTS)
    out = fn(*args, **kwargs)
    return out, sum(_COMPILE_EVENTS) - before


def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(v).rjust(w) for v, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def brian2_standalone_run(b2, monitor, n, duration_ms, prefix="b2_"):
    """Build and run the current Brian2 cpp_standalone project; reset the device after.

    Returns (main-loop run time s, code generation + compile time s, mean rate Hz of ``monitor``)."""
    import tempfile

    folder = tempfile.mkdtemp(prefix=prefix)
    total, _ = timed(b2.device.build, directory=folder, compile=True, run=True)
    run = b2.device._last_run_time
    rate = monitor.num_spikes / n / (duration_ms * 1e-3)
    b2.device.reinit()
    b2.device.activate()
    b2.set_device("runtime")
    return run, total - run, rate
