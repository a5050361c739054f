"""COBA on the current device: build, compile and run seconds per configuration (a diagnostic).

    python benchmarks/probes/coba_gpu.py N [--ms 1000] [--events-per-pass K] [--no-spikes] [--propagation auto]
"""

import argparse
import time

import jax
import numpy as np

import neurodyn as nd
from neurodyn.connectivity import _propagate
from neurodyn.engine import _simulate

decode_s = []
_chunk_arrays = _simulate._chunk_arrays


def timed_chunk_arrays(*a):
    start = time.perf_counter()
    out = _chunk_arrays(*a)
    decode_s.append(time.perf_counter() - start)
    return out


_simulate._chunk_arrays = timed_chunk_arrays

ap = argparse.ArgumentParser()
ap.add_argument("n", type=int)
ap.add_argument("--ms", type=float, default=1000.0)
ap.add_argument("--events-per-pass", type=int, default=None)
ap.add_argument("--no-spikes", action="store_true")
ap.add_argument("--propagation", default="auto")
ap.add_argument("--repeats", type=int, default=1)
args = ap.parse_args()
if args.events_per_pass:
    _propagate.EVENTS_PER_PASS["accelerator"] = args.events_per_pass

start = time.perf_counter()
net, inputs = nd.examples.coba(args.n, propagation=args.propagation)
build = time.perf_counter() - start
record = ["E.V_m"] if args.no_spikes else None
kw = dict(inputs=inputs, progress=False, record={"E.V_m": [0]} if args.no_spikes else None)


def once(seed, ms):
    res = nd.simulate(net, ms, 0.1, key=jax.random.key(seed), **kw)
    spikes = sum(int(np.asarray(c).sum()) for c in res.spike_counts.values())
    return spikes


start = time.perf_counter()
once(0, args.ms)
first = time.perf_counter() - start
for r in range(args.repeats):
    decode_s.clear()
    start = time.perf_counter()
    spikes = once(1 + r, args.ms)
    run = time.perf_counter() - start
    print(f"N={args.n} {jax.devices()[0].device_kind} modes={set(net.propagation)} epp={_propagate.EVENTS_PER_PASS} "
          f"spikes={'no' if args.no_spikes else 'yes'} build={build:.2f}s first={first:.2f}s run={run:.3f}s "
          f"for {args.ms:.0f} ms -> {run / args.ms * 1000:.2f} s per simulated s, rate={spikes / args.n / args.ms * 1000:.1f} Hz, "
          f"host decode {sum(decode_s):.2f} s in {len(decode_s)} chunks",
          flush=True)
