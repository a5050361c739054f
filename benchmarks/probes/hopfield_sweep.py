"""How fast can a batched asynchronous Hopfield recall be on this machine?

``benchmarks/memory.py``'s recall (N = 1,000, P = 100, 10,000 cues, 10 % flipped, random
order, zero temperature) runs blocked sweeps: for each block of 64 units, the fields of
the block for every still-moving cue come from one (64 x N) @ (N x B) float32 product,
then the block's units are updated one after the other (``memory/_hopfield.py``). A sweep
therefore costs at least 2 N^2 B flops at the machine's matrix-product throughput. This
probe measures:

1. the float32 matrix-product peak (a plain 4096^3 ``jnp.dot``) and the throughput of the
   sweep's own block-shaped product, run block by block as the sweep runs them;
2. one sweep of the 10,000 cues, against its block products alone;
3. the recall's work, stepping it sweep by sweep: the cues each sweep had to touch (those
   not yet at a fixed point) and the cues it did sweep (their bucket sizes);

and prints the least time the recall could take: the necessary cue-sweeps times 2 N^2
flops at the peak. Divide a NumPy anchor's time by it for the largest ratio this
algorithm could reach on this machine.

Run:  PYTHONPATH=src python benchmarks/probes/hopfield_sweep.py
"""

from __future__ import annotations

import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from neurodyn.engine._simulate import step_key
from neurodyn.memory import Hopfield, corrupt, random_patterns
from neurodyn.memory._hopfield import _async_sweep

N, P, B, K = 1000, 100, 10000, 64


def median_time(fn, *args, runs=5):
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main():
    print(f"jax {jax.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()}")
    xi = random_patterns(jax.random.key(0), P, N, jnp.float32)
    net = Hopfield(xi)
    cues = corrupt(jax.random.key(1), jnp.tile(xi, (B // P, 1)), 0.1)

    m = 4096
    a = jax.random.normal(jax.random.key(3), (m, m), jnp.float32)
    peak = 2.0 * m**3 / median_time(jax.jit(jnp.dot), a, a)

    nb = -(-N // K)
    wp = jnp.pad(net.weights, ((0, nb * K - N), (0, nb * K - N)))
    sp = jnp.pad(cues.T, ((0, nb * K - N), (0, 0)), constant_values=1.0)

    @jax.jit
    def block_products(wp, sp):  # the sweep's products, block after block, nothing else
        def block(i, sp):
            h = jax.lax.dynamic_slice_in_dim(wp, i * K, K, 0) @ sp
            return jax.lax.dynamic_update_slice_in_dim(sp, jnp.sign(h), i * K, 0)

        return jax.lax.fori_loop(0, nb, block, sp)

    t_blocks = median_time(block_products, wp, sp)
    flops_sweep = 2.0 * N * nb * K * B
    sweep = jax.jit(lambda s, key: _async_sweep(net.weights, net.thresholds, s, key, net.temperature,
                                                False, True, K))
    t_sweep = median_time(sweep, cues, jax.random.key(5))
    print(f"float32 matmul peak (jnp.dot {m}^3): {peak / 1e9:.1f} GFLOP/s")
    print(f"block products of one sweep ({nb} x ({K} x {N}) @ ({N} x {B})): {t_blocks * 1e3:.0f} ms "
          f"= {flops_sweep / t_blocks / 1e9:.1f} GFLOP/s ({flops_sweep / t_blocks / peak:.2f} of peak)")
    print(f"one asynchronous sweep of {B} cues: {t_sweep * 1e3:.0f} ms "
          f"(block products {t_blocks / t_sweep:.0%} of it; the rest: unit-by-unit updates)")

    # the recall's work, sweep by sweep (the engine's step, with recall's keys)
    model = net.with_cue(cues)
    state = model.init_state()
    step = jax.jit(lambda m, s, k: m.step(s, 0.0, 1.0, lambda t: 0.0, k)[0])
    needed, swept, t = [], [], 0
    sizes = [B]
    while sizes[-1] > 4 * 64:
        sizes.append(-(-sizes[-1] // 4))
    while True:
        moving = int(jnp.sum(state.flips != 0))
        if moving == 0:
            break
        needed.append(moving)
        swept.append(min(s for s in sizes if s >= moving))
        state = step(model, state, step_key(jax.random.key(101), t))
        t += 1
    limit = sum(needed) * 2.0 * N * N / peak
    print(f"recall: {t} sweeps; cues per sweep not yet at a fixed point {needed} "
          f"(sum {sum(needed)}), swept in buckets {swept} (sum {sum(swept)})")
    print(f"least recall time at the matmul peak: {limit:.3f} s "
          f"({sum(needed)} cue-sweeps x 2 N^2 flops); with the measured sweep cost per cue: "
          f"{sum(swept) * t_sweep / B:.3f} s")


if __name__ == "__main__":
    main()
