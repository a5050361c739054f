"""Cost of one per-step Gaussian draw, ns per value, inside a compiled loop (a diagnostic).

    python benchmarks/probes/noise_draws.py [--sizes 100 4000 100000] [--repeats 5]

Compares the C++ kernel, the pure-JAX computation of the same stream (looped rounds, the
CPU fallback; unrolled rounds, the GPU path) and ``jax.random.normal`` (threefry).
"""

import argparse
import time

import jax
import jax.numpy as jnp

from neurodyn import _native
from neurodyn.engine import _random

ap = argparse.ArgumentParser()
ap.add_argument("--sizes", type=int, nargs="+", default=[100, 4000, 100_000])
ap.add_argument("--repeats", type=int, default=5)
args = ap.parse_args()

draws = {
    "pure JAX, looped": lambda k, n: _random.normal_jax(_random.key_words(k), n, unroll=False),
    "pure JAX, unrolled": lambda k, n: _random.normal_jax(_random.key_words(k), n, unroll=True),
    "jax.random.normal": lambda k, n: jax.random.normal(k, (n,)),
}
if _native.available("random"):
    draws = {"C++ kernel": lambda k, n: _random.normal(k, (n,)), **draws}


def loop(draw, n, steps):
    def body(acc, i):
        return acc + draw(jax.random.fold_in(jax.random.key(1), i), n), None

    return jax.jit(lambda: jax.lax.scan(body, jnp.zeros(n), jnp.arange(steps))[0])


print(f"{jax.devices()[0].device_kind}; ns per value (best of {args.repeats})")
for n in args.sizes:
    steps = max(10, 2_000_000 // n)
    for name, draw in draws.items():
        f = loop(draw, n, steps)
        f().block_until_ready()
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            f().block_until_ready()
            best = min(best, time.perf_counter() - start)
        print(f"n = {n:>7,}  {name:<20} {best / steps / n * 1e9:7.2f} ns  ({best / steps * 1e6:8.2f} us per draw)")
