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


def add_cores_option(parser):
    parser.add_argument("--cores", type=int, default=None, metavar="N",
                        help="run every simulator on N CPU cores (this process and the ones it starts; default: all)")


def use_cores(args):
    """``--cores N``: restrict this process, and so every simulator it runs or starts, to N
    cores, before JAX starts (``neurodyn.use_cpu_cores``)."""
    if args.cores is not None:
        import neurodyn as nd

        nd.use_cpu_cores(args.cores, name="--cores")


def header():
    """The lines every side-by-side benchmark starts with: date, revision, command, machine, kernels."""
    import datetime
    import sys

    print(f"{datetime.date.today()}, revision {git_revision()}: python {' '.join(sys.argv)}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {machine()}; {cores} core(s) used; load average {os.getloadavg()[0]:.2f}")
    print(native_kernels(), flush=True)


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(v).rjust(w) for v, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


class Brian2Binary:
    """A built Brian2 cpp_standalone project that can be run again, after the device was reset
    (so that other simulators, Brian2's runtime mode included, can run between its runs).

    ``build_seconds``: code generation + C++ compilation (the whole build minus the first
    run's main loop); ``first``: the first run's (main-loop seconds, values), as ``run`` returns."""

    def __init__(self, b2, arrays, prefix):
        import tempfile

        dev = b2.get_device()
        self.folder = tempfile.mkdtemp(prefix=prefix)
        total, _ = timed(dev.build, directory=self.folder, compile=True, run=True)
        self.results = dev.results_dir
        self.files = {name: (os.path.join(self.results, dev.get_array_filename(var)), var.dtype)
                      for name, var in arrays.items()}
        self.env = {**os.environ, **b2.prefs["devices.cpp_standalone.run_environment_variables"],
                    **dev.run_environment_variables}
        cmd = b2.prefs.devices.cpp_standalone.run_cmd_unix
        self.cmd = ([cmd] if isinstance(cmd, str) else list(cmd)) + ["--results_dir", self.results]
        self.first = (dev._last_run_time, self._values())
        self.build_seconds = total - dev._last_run_time
        dev.reinit()
        dev.activate()
        b2.set_device("runtime")

    def _values(self):
        import numpy as np

        return {name: np.fromfile(f, dtype) for name, (f, dtype) in self.files.items()}

    def run(self):
        """Run the binary once more; returns (main-loop seconds, name -> array read back)."""
        with open(os.path.join(self.results, "stdout.txt"), "w") as out:
            subprocess.run(self.cmd, cwd=self.folder, env=self.env, stdout=out, check=True)
        with open(os.path.join(self.results, "last_run_info.txt")) as f:
            seconds = float(f.read().split()[0])
        return seconds, self._values()


def brian2_standalone_run(b2, monitor, n, duration_ms, prefix="b2_"):
    """Build and run the current Brian2 cpp_standalone project; reset the device after.

    Returns (main-loop run time s, code generation + compile time s, mean rate Hz of ``monitor``)."""
    binary = Brian2Binary(b2, {"count": monitor.variables["count"]}, prefix)
    run, values = binary.first
    return run, binary.build_seconds, values["count"].sum() / n / (duration_ms * 1e-3)


# -- interleaved runs (the project's benchmark rule: ratios of medians over >= 5 interleaved runs) --


def interleave(runners, repeats, optional=()):
    """Run every runner once per round, in order, for ``repeats`` rounds, so that drifts in the
    machine's speed hit all simulators alike.

    ``runners``: name -> callable(round) returning (seconds, info dict). A runner named in
    ``optional`` that raises is dropped (with a note) instead of ending the benchmark.
    Returns name -> list of (seconds, info), one per round the runner completed."""
    out = {name: [] for name in runners}
    live = dict(runners)
    for r in range(repeats):
        for name, run in list(live.items()):
            try:
                out[name].append(run(r))
            except Exception as exc:  # noqa: BLE001 - reported, and only for optional runners
                if name not in optional:
                    raise
                print(f"note: {name} dropped in round {r + 1} ({type(exc).__name__}: {exc})", flush=True)
                del live[name], out[name]
        print(f"  round {r + 1}/{repeats}: " + ", ".join(f"{name} {out[name][-1][0]:.3f} s" for name in live), flush=True)
    return out


def median(values):
    import statistics

    return statistics.median(values)


def ratio_of_medians(anchor, ours):
    """(median(anchor) / median(ours), min(anchor) / min(ours)) for two lists of run times:
    the ratio that counts, and the best runs' ratio, reported beside it."""
    return median(anchor) / median(ours), min(anchor) / min(ours)


def disagreements(what, values, reference, rel_tol):
    """The simulators whose ``values`` (name -> number) differ from ``values[reference]`` by
    more than ``rel_tol`` (relative): name -> one line saying by how much."""
    ref = values[reference]
    return {name: f"{what} {v:.4g} vs {reference}'s {ref:.4g} ({100 * (v - ref) / ref:+.1f} %, "
                  f"tolerance {100 * rel_tol:.0f} %)"
            for name, v in values.items() if name != reference and abs(v - ref) > rel_tol * abs(ref)}
