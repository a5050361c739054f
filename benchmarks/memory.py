"""Associative-memory benchmark: neurodyn against straightforward NumPy (and torch if present).

1. Batched asynchronous recall: 10,000 cues (10 % of the bits flipped) in a Hebbian
   Hopfield network of N = 1,000 units storing P = 100 patterns, random order,
   zero temperature, until every cue is at a fixed point. NumPy anchor: per sweep a
   random order, one matrix-vector product per unit over the still-moving cues.
2. Modern Hopfield retrieval (one step) of 100,000 queries against 10,000 stored
   patterns of dimension 512, float32. Anchors: NumPy (BLAS matmuls + softmax),
   a PyTorch ``hflayers``-style softmax retrieval when torch is installed, and the
   machine's matrix-multiply peak measured here with a plain large ``jnp.dot``.

Run:  PYTHONPATH=src python benchmarks/memory.py [--quick] [--runs 5] [--recall-only]

The recall's times are medians (and best) of ``--runs`` interleaved runs of neurodyn and
the NumPy anchors: the machine is shared, and single runs drift by up to 2x.
"""

from __future__ import annotations

import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from neurodyn.memory import Hopfield, ModernHopfield, corrupt, random_patterns
from neurodyn.memory._hopfield import _tie_tolerance


def best_of(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        jax.block_until_ready(out)
        times.append(time.perf_counter() - t)
    return min(times), out


def numpy_async_recall(w, theta, tol, cues, seed, max_sweeps=100):
    """Straightforward NumPy asynchronous recall of a batch of cues."""
    rng = np.random.default_rng(seed)
    s = cues.copy()
    n = w.shape[0]
    moving = np.ones(s.shape[0], bool)
    sweeps = 0
    for _ in range(max_sweeps):
        idx = np.flatnonzero(moving)
        if idx.size == 0:
            break
        sa = s[idx]
        changed = np.zeros(idx.size, bool)
        for i in rng.permutation(n):
            h = sa @ w[i] - theta[i]
            old = sa[:, i]
            new = np.where(h > tol[i], 1.0, np.where(h < -tol[i], -1.0, old)).astype(sa.dtype)
            changed |= new != old
            sa[:, i] = new
        s[idx] = sa
        moving[idx] = changed
        sweeps += 1
    return s, sweeps


def numpy_async_recall_fields(w, theta, tol, cues, seed, max_sweeps=100):
    """NumPy asynchronous recall that keeps the local fields and updates them per flip.

    Cost proportional to the number of flips times N: a smarter anchor than the
    straightforward one above, and the fastest NumPy formulation we know of.
    """
    rng = np.random.default_rng(seed)
    s = cues.copy()
    h = s @ w.T - theta
    n = w.shape[0]
    moving = np.ones(s.shape[0], bool)
    for _ in range(max_sweeps):
        idx = np.flatnonzero(moving)
        if idx.size == 0:
            break
        changed = np.zeros(s.shape[0], bool)
        for i in rng.permutation(n):
            hi, old = h[idx, i], s[idx, i]
            new = np.where(hi > tol[i], 1.0, np.where(hi < -tol[i], -1.0, old)).astype(s.dtype)
            f = np.flatnonzero(new != old)
            if f.size:
                rows = idx[f]
                s[rows, i] = new[f]
                h[rows] += np.outer(new[f] - old[f], w[:, i])
                changed[rows] = True
        moving &= changed
    return s


def numpy_modern(x, q, beta, chunk):
    out = np.empty_like(q)
    for i in range(0, q.shape[0], chunk):
        a = beta * (q[i : i + chunk] @ x.T)
        a -= a.max(1, keepdims=True)
        np.exp(a, out=a)
        a /= a.sum(1, keepdims=True)
        out[i : i + chunk] = a @ x
    return out


def bench_recall(n, p, b, runs, numpy=True):
    """neurodyn and the NumPy anchors in turn, ``runs`` times (interleaved, so drifts in the
    machine's load hit all alike); ratios of the medians, and of the best runs."""
    print(f"\n== asynchronous recall: N={n}, P={p}, {b} cues, 10% flipped, {runs} interleaved runs ==")
    xi = random_patterns(jax.random.key(0), p, n, jnp.float32)
    net = Hopfield(xi)
    reps = -(-b // p)
    cues = corrupt(jax.random.key(1), jnp.tile(xi, (reps, 1))[:b], 0.1)
    target = jnp.tile(jnp.arange(p), reps)[:b]

    def run(seed):
        return net.recall(cues, mode="async", key=jax.random.key(seed)).state

    t = time.perf_counter()
    jax.block_until_ready(run(100))
    t_first = time.perf_counter() - t
    out = net.recall(cues, mode="async", key=jax.random.key(101))
    m_nd = float(jnp.mean(out.overlaps[jnp.arange(b), target]))
    print(f"neurodyn: sweeps max {int(out.sweeps.max())} mean {float(out.sweeps.mean()):.2f}, mean overlap {m_nd:.4f}")
    w = np.asarray(net.weights)
    th = np.asarray(net.thresholds)
    tol = np.asarray(_tie_tolerance(net.weights, net.thresholds))
    c = np.asarray(cues)
    times = {"neurodyn": [], "numpy": [], "numpy_fields": []}
    for r in range(runs):
        t = time.perf_counter()
        jax.block_until_ready(run(101 + r))
        times["neurodyn"].append(time.perf_counter() - t)
        if numpy:
            t = time.perf_counter()
            s_np, sw = numpy_async_recall(w, th, tol, c, r)
            times["numpy"].append(time.perf_counter() - t)
            t = time.perf_counter()
            s_f = numpy_async_recall_fields(w, th, tol, c, r)
            times["numpy_fields"].append(time.perf_counter() - t)
        print(f"run {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items() if v), flush=True)
    med = {k: float(np.median(v)) for k, v in times.items() if v}
    best = {k: float(np.min(v)) for k, v in times.items() if v}
    t_first -= best["neurodyn"]
    print(f"neurodyn: median {med['neurodyn']:.3f} s, best {best['neurodyn']:.3f} s (compile {max(t_first, 0):.1f} s)")
    if not numpy:
        return dict(t_nd=med["neurodyn"], m_nd=m_nd)
    m_np = float(np.mean(np.sum(s_np * np.asarray(xi)[np.asarray(target)], 1) / n))
    m_f = float(np.mean(np.sum(s_f * np.asarray(xi)[np.asarray(target)], 1) / n))
    print(f"numpy:    median {med['numpy']:.3f} s, best {best['numpy']:.3f} s (sweeps {sw}), mean overlap {m_np:.4f}")
    print(f"ratio numpy / neurodyn: {med['numpy'] / med['neurodyn']:.1f}x of medians, "
          f"{best['numpy'] / best['neurodyn']:.1f}x of best runs (target >= 5x)")
    print(f"numpy, fields updated per flip: median {med['numpy_fields']:.3f} s, mean overlap {m_f:.4f}; "
          f"ratio / neurodyn: {med['numpy_fields'] / med['neurodyn']:.1f}x of medians")
    return dict(times=times, compile=max(t_first, 0), m_nd=m_nd, m_np=m_np)


def bench_modern(nq, p, d, repeats, chunk=1024, numpy=True):
    print(f"\n== modern Hopfield retrieval: {nq} queries, {p} patterns, d={d}, float32 ==")
    k1, k2 = jax.random.split(jax.random.key(2))
    x = jax.random.normal(k1, (p, d), jnp.float32) / np.sqrt(d)
    q = jax.random.normal(k2, (nq, d), jnp.float32) / np.sqrt(d)
    beta = 8.0
    net = ModernHopfield(x, beta=beta)
    flops = 2 * (2.0 * nq * p * d)

    # matrix-multiply peak of this machine, same dtype, plain large jnp.dot
    m = 4096
    a = jax.random.normal(jax.random.key(3), (m, m), jnp.float32)
    dot = jax.jit(jnp.dot)
    jax.block_until_ready(dot(a, a))
    t_peak, _ = best_of(lambda: dot(a, a), max(repeats, 3))
    peak = 2.0 * m**3 / t_peak
    # the same-shaped product as retrieval's scores, chunk x d @ d x P
    qa = q[:chunk]
    jax.block_until_ready(dot(qa, x.T))
    t_sh, _ = best_of(lambda: dot(qa, x.T), max(repeats, 3))
    peak_shaped = 2.0 * chunk * d * p / t_sh
    print(f"matmul peak (jnp.dot {m}^3): {peak / 1e9:.1f} GFLOP/s; "
          f"retrieval-shaped ({chunk}x{d} @ {d}x{p}): {peak_shaped / 1e9:.1f} GFLOP/s")

    t = time.perf_counter()
    jax.block_until_ready(net.retrieve(q, chunk_size=chunk))
    t_first = time.perf_counter() - t
    t_nd, out = best_of(lambda: net.retrieve(q, chunk_size=chunk), repeats)
    rate = flops / t_nd
    print(f"neurodyn: {t_nd:.3f} s  (compile {max(t_first - t_nd, 0):.1f} s), {rate / 1e9:.1f} GFLOP/s "
          f"= {rate / peak:.2f} of peak (target >= 0.5)")

    xn, qn = np.asarray(x), np.asarray(q)
    t_np = None
    if numpy:
        t = time.perf_counter()
        ref = numpy_modern(xn, qn, beta, chunk)
        t_np = time.perf_counter() - t
        err = float(np.max(np.abs(ref - np.asarray(out))))
        print(f"numpy:    {t_np:.3f} s, max |difference| {err:.2e}; ratio numpy / neurodyn: {t_np / t_nd:.1f}x")

    t_torch = None
    try:
        import torch
    except ImportError:
        print("torch: not installed, hflayers-style comparison skipped")
    else:
        dev = "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"
        xt, qt = torch.from_numpy(xn).to(dev), torch.from_numpy(qn).to(dev)

        def torch_run():
            # hflayers-style retrieval: softmax(beta * Q K^T) V with K = V = stored patterns
            with torch.no_grad():
                outs = [torch.softmax(beta * qt[i : i + chunk] @ xt.T, -1) @ xt for i in range(0, nq, chunk)]
                out = torch.cat(outs)
            if dev == "cuda":
                torch.cuda.synchronize()
            return out

        torch_run()
        t = time.perf_counter()
        torch_run()
        t_torch = time.perf_counter() - t
        print(f"torch ({dev}): {t_torch:.3f} s; ratio torch / neurodyn: {t_torch / t_nd:.2f}x")
    return dict(t_nd=t_nd, t_np=t_np, peak=peak, peak_shaped=peak_shaped, rate=rate, t_torch=t_torch,
                compile=max(t_first - t_nd, 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    ap.add_argument("--repeats", type=int, default=2, help="runs of the modern retrieval (best counts)")
    ap.add_argument("--runs", type=int, default=5, help="interleaved runs of the recall (medians count)")
    ap.add_argument("--recall-only", action="store_true", help="skip the modern Hopfield retrieval")
    ap.add_argument("--no-numpy", action="store_true", help="skip the NumPy anchors (e.g. on a GPU)")
    args = ap.parse_args()
    print(f"jax {jax.__version__}, devices {jax.devices()}")
    np_ = not args.no_numpy
    print(f"load average at the start: {os.getloadavg()}")
    if args.quick:
        bench_recall(500, 50, 2000, args.runs, np_)
        if not args.recall_only:
            bench_modern(10000, 2000, 256, args.repeats, numpy=np_)
    else:
        bench_recall(1000, 100, 10000, args.runs, np_)
        if not args.recall_only:
            bench_modern(100000, 10000, 512, args.repeats, numpy=np_)
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
