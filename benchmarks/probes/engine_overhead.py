"""Per-step cost of the engine's parts on the current device (a diagnostic, not a benchmark).

    python benchmarks/probes/engine_overhead.py [N]
"""

import sys
import time

import jax
import numpy as np

import neurodyn as nd
from neurodyn.engine import _simulate

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
P = dict(tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
lif = nd.neurons.LIF(n=N, **P)
noise = nd.inputs.white_noise(400.0, mean=200.0)
const = nd.inputs.constant(200.0)
chunk_time = []
orig = _simulate._run_jit


def timed_chunks(*args):
    start = time.perf_counter()
    out = orig(*args)
    jax.block_until_ready(out)
    chunk_time.append(time.perf_counter() - start)
    return out


variants = {
    "const, no record": dict(inputs=const, record=[]),
    "const, spikes": dict(inputs=const),
    "noise, no record": dict(inputs=noise, record=[]),
    "noise, spikes": dict(inputs=noise),
    "noise, spikes, Euler": dict(inputs=noise, solver=nd.Euler()),
}
steps = 2000
for name, kw in variants.items():
    run = lambda: nd.simulate(lif, steps * 0.1, 0.1, progress=False, key=jax.random.key(0), **kw)
    run()
    _simulate._run_jit = timed_chunks
    chunk_time.clear()
    start = time.perf_counter()
    run()
    total = time.perf_counter() - start
    _simulate._run_jit = orig
    device = sum(chunk_time)
    print(f"{name:24s} total {total / steps * 1e6:9.1f} us/step   in chunks {device / steps * 1e6:9.1f} us/step "
          f"({len(chunk_time)} chunks)", flush=True)
