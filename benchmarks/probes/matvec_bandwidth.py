"""How fast this CPU streams a dense float32 matrix through a matrix-vector product
(a diagnostic for the rate network's Euler step, which is one such product).

    python benchmarks/probes/matvec_bandwidth.py

For N x N matrices from L1/L2-sized to well past L2 it times ``W @ r`` in XLA (one
``lax.scan`` of 2,000 products, XLA's default threads) and in NumPy (float32 and float64,
OpenBLAS's default threads), and prints microseconds per product and GB/s of matrix read.
"""

import os
import time

import jax
import jax.numpy as jnp
import numpy as np

STEPS = 2000


def xla_us(W, r):
    @jax.jit
    def run(W, r):
        def body(x, _):
            y = W @ x
            return x + 1e-6 * y, None  # depends on the product, stays bounded

        return jax.lax.scan(body, r, None, length=STEPS)[0]

    jax.block_until_ready(run(W, r))
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        jax.block_until_ready(run(W, r))
        best = min(best, time.perf_counter() - start)
    return best / STEPS * 1e6


def numpy_us(W, r):
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(200):
            W @ r
        best = min(best, time.perf_counter() - start)
    return best / 200 * 1e6


def main():
    print(f"cores: {os.cpu_count()}, jax {jax.__version__}")
    print(f"{'N':>6} {'MB':>6} | {'XLA us':>8} {'GB/s':>6} | {'NumPy f32 us':>12} {'GB/s':>6} | {'NumPy f64 us':>12} {'GB/s':>6}")
    rng = np.random.default_rng(0)
    for n in (128, 256, 360, 500, 700, 1000, 1400, 2000):
        W = rng.normal(size=(n, n)).astype(np.float32)
        r = rng.normal(size=n).astype(np.float32)
        mb = W.nbytes / 1e6
        t_x = xla_us(jnp.asarray(W), jnp.asarray(r))
        t_32 = numpy_us(W, r)
        t_64 = numpy_us(W.astype(np.float64), r.astype(np.float64))
        print(f"{n:>6} {mb:>6.2f} | {t_x:>8.1f} {mb * 1e-3 / t_x * 1e6:>6.0f} | {t_32:>12.1f} {mb * 1e-3 / t_32 * 1e6:>6.0f} |"
              f" {t_64:>12.1f} {2 * mb * 1e-3 / t_64 * 1e6:>6.0f}", flush=True)


if __name__ == "__main__":
    main()
