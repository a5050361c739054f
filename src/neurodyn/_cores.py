"""How many CPU cores JAX's CPU work may use.

XLA's CPU runtime runs the independent operations of a step (the fusions of two
populations, several projections' passes) on a thread pool with one thread per core this
process may use. A step of a network of a few thousand neurons is a few microseconds of
work split into dozens of operations, and handing them between cores (waking a thread,
moving the arrays between caches) then costs more than it saves: on the 2-core
development machine the pure-JAX COBA network at 4,000 neurons runs 1.5x faster on one
core than on two (benchmarks/RESULTS.md). XLA sizes its pool from the process's CPU
affinity when JAX starts, and offers no other setting, so this module restricts the
affinity before that.
"""

from __future__ import annotations

import os

from ._params import check_integer


def available_cpu_cores() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def use_cpu_cores(n: int, *, name: str = "n") -> None:
    """Run this process, and so XLA's CPU thread pool and neurodyn's kernels, on ``n`` of
    the cores it may use (the lowest-numbered ones).

    One core was the fastest setting for COBA at 4,000 and 64,000 neurons on the 2-core
    development machine, and is the one for one simulation per core of a parallel study;
    measure on machines with more cores. Call it
    before JAX starts (before the first model, array or simulation of the process): XLA
    sizes its thread pool once, when it starts. The shell's ``taskset -c 0 python ...`` has
    the same effect; ``neurodyn run --cores 1`` calls this.

    First thing in a script (tests/test_cores.py runs this in a fresh process)::

        import neurodyn as nd
        nd.use_cpu_cores(1)          # first thing in the script
        net, inputs = nd.examples.coba(4000)
    """
    n = check_integer(name, n, 1, 1 << 16)
    if not hasattr(os, "sched_setaffinity"):
        raise OSError("use_cpu_cores: this platform cannot restrict a process's cores (Linux can); "
                      "run without it or start the process with the system's own tool")
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        raise RuntimeError("use_cpu_cores: JAX has already started, and XLA sized its thread pool then; "
                           "call it before building any model or array (or run the process under `taskset -c 0`)")
    allowed = sorted(os.sched_getaffinity(0))
    if n > len(allowed):
        raise ValueError(f"{name}: this process may use {len(allowed)} CPU core(s), got {n}")
    os.sched_setaffinity(0, allowed[:n])
