"""Per-step cost of a COBA network's parts on the current device (a diagnostic).

    python benchmarks/probes/network_step.py N [steps] [propagation]

Times 'steps' network steps in one lax.scan: the populations alone, the whole step, and
the whole step with a single propagation pass per projection (no loop over passes).
"""

import sys
import time

import jax
import jax.numpy as jnp

import neurodyn as nd
from neurodyn.connectivity import _propagate

N = int(sys.argv[1]) if len(sys.argv) > 1 else 64000
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
PROPAGATION = sys.argv[3] if len(sys.argv) > 3 else "jax"
net, _ = nd.examples.coba(N, propagation=PROPAGATION)
zeros = {name: jnp.zeros((n,)) for name, n in net.sizes.items()}


def drive(_):
    return zeros


def scan_steps(network):
    @jax.jit
    def run(state, key):
        def body(s, i):
            s, spikes = network.step(s, i * 0.1, 0.1, drive, jax.random.fold_in(key, i))
            return s, sum(jnp.sum(v, dtype=jnp.int32) for v in spikes.values())

        return jax.lax.scan(body, state, jnp.arange(STEPS))

    return run


def timed(label, network):
    run = scan_steps(network)
    state = network.init_state(jax.random.key(0))
    state, counts = jax.block_until_ready(run(state, jax.random.key(1)))  # compile + warm-up
    start = time.perf_counter()
    state, counts = jax.block_until_ready(run(state, jax.random.key(2)))
    us = (time.perf_counter() - start) / STEPS * 1e6
    print(f"N={N} {label}: {us:.1f} us/step, {int(counts.sum()) / N / (STEPS * 1e-4):.1f} Hz", flush=True)


timed("populations only", nd.Network(net.populations, [], dt=0.1))
timed("whole step (passes in a loop)", net)
orig = jax.lax.fori_loop
jax.lax.fori_loop = lambda lo, hi, body, init: init  # first pass only (enough spikes per pass here)
timed("whole step (first pass only)", net)
jax.lax.fori_loop = orig
