"""Nonlinear rate network tau dr/dt = -r + tanh(h + W r), dense W (g = 1.5), dt = 0.1 ms:
neurodyn (Euler and RK4 through ``simulate``) against a plain NumPy Euler loop and
``scipy.integrate.solve_ivp`` (RK45), and a 256-point parameter sweep (vmapped vs
sequential ``simulate`` calls).

    python benchmarks/rate_network.py            # N = 1,000 and 10,000, sweep at N = 100
    python benchmarks/rate_network.py --quick    # smaller, for a smoke test

Times exclude compilation (each neurodyn run is done once to compile, then timed);
the compile time is printed separately. Long baselines are timed on a fraction of the
run and scaled (marked "extrapolated").
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

import neurodyn as nd

TAU, DT = 10.0, 0.1


def network(N, seed=0):
    rng = np.random.default_rng(seed)
    W = (rng.normal(size=(N, N)) * 1.5 / np.sqrt(N)).astype(np.float32)
    h = (0.5 * rng.normal(size=N)).astype(np.float32)
    return W, h


def timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def numpy_euler(W, h, steps):
    r = np.zeros(W.shape[0], W.dtype)
    a = W.dtype.type(DT / TAU)
    for _ in range(steps):
        r = r + a * (-r + np.tanh(h + W @ r))
    return r


def neurodyn_run(net, duration, solver):
    res = nd.simulate(net, duration, DT, record=["r"], record_every=100, progress=False, solver=solver)
    return np.asarray(res.traces["r"])


def bench_size(N, duration, numpy_steps, ivp_duration):
    W, h = network(N)
    steps = int(round(duration / DT))
    out = {}
    net = nd.rate.RateNetwork(W, TAU, nd.rate.Tanh(), h)
    for name, solver in [("neurodyn Euler", nd.Euler()), ("neurodyn RK4", nd.RK4())]:
        t_first = timed(lambda: neurodyn_run(net, duration, solver))
        t_run = timed(lambda: neurodyn_run(net, duration, solver), repeat=2)
        out[name] = (t_run, t_first - t_run)
    for dtype in (np.float32, np.float64):
        Wd, hd = W.astype(dtype), h.astype(dtype)
        t = timed(lambda: numpy_euler(Wd, hd, numpy_steps)) * steps / numpy_steps
        out[f"NumPy Euler loop ({np.dtype(dtype).name})"] = (t, None)
    Wd, hd = W.astype(np.float64), h.astype(np.float64)
    t = timed(lambda: solve_ivp(lambda s, r: (-r + np.tanh(hd + Wd @ r)) / TAU, (0, ivp_duration),
                                np.zeros(N), method="RK45", rtol=1e-6, atol=1e-9))
    out["scipy solve_ivp RK45 (float64)"] = (t * duration / ivp_duration, None)
    return out, steps, numpy_steps < steps or ivp_duration < duration


def bench_sweep(N, duration, n_params):
    W, h = network(N, seed=1)
    net = nd.rate.RateNetwork(W, TAU, nd.rate.Tanh(), h)
    scales = jnp.linspace(0.0, 2.0, n_params, dtype=jnp.float32)

    def final(s):
        res = nd.simulate(net.replace(h=s * net.h), duration, DT, record=["r"], record_every=100,
                          progress=False)
        return res.traces["r"][-1]

    batched = jax.jit(jax.vmap(final))
    t_first = timed(lambda: batched(scales).block_until_ready())
    t_vmap = timed(lambda: batched(scales).block_until_ready(), repeat=2)

    def sequential():
        return [np.asarray(final(float(s))) for s in np.asarray(scales)]

    final(0.5)                                   # compile the single run once
    n_seq = n_params
    t_seq = timed(sequential)
    check = np.max(np.abs(np.asarray(batched(scales))[-1] - np.asarray(final(float(scales[-1])))))
    return t_vmap, t_first - t_vmap, t_seq, n_seq, float(check)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"jax {jax.__version__}, devices {jax.devices()}, dtype float32 unless noted")
    sizes = [(1000, 1000.0, 2000, 100.0), (10000, 100.0, 200, 20.0)]
    sweep = (100, 1000.0, 256)
    if args.quick:
        sizes = [(200, 100.0, 1000, 50.0)]
        sweep = (50, 100.0, 32)
    for N, duration, numpy_steps, ivp_duration in sizes:
        out, steps, extrap = bench_size(N, duration, numpy_steps, ivp_duration)
        print(f"\nN = {N:,}, {duration:g} ms = {steps:,} steps of {DT} ms"
              f"{' (baselines extrapolated from a shorter run)' if extrap else ''}")
        base = out["neurodyn Euler"][0]
        for name, (t, comp) in out.items():
            extra = f", compile {comp:.2f} s" if comp is not None else ""
            print(f"  {name:34s} {t:9.3f} s  ({t / base:7.1f}x neurodyn Euler){extra}")
        np32 = out["NumPy Euler loop (float32)"][0]
        np64 = out["NumPy Euler loop (float64)"][0]
        print(f"  speed-up of neurodyn Euler over the NumPy loop: {np32 / base:.1f}x (float32), "
              f"{np64 / base:.1f}x (float64)")
    N, duration, n_params = sweep
    t_vmap, comp, t_seq, n_seq, check = bench_sweep(N, duration, n_params)
    print(f"\nsweep: {n_params} input scales, N = {N}, {duration:g} ms, RK4")
    print(f"  vmapped   {t_vmap:8.3f} s  (compile {comp:.2f} s)")
    print(f"  sequential {t_seq:7.3f} s  ({n_seq} simulate calls, compiled once)")
    print(f"  speed-up {t_seq / t_vmap:.1f}x   (max |vmapped - single| = {check:.2e})")


if __name__ == "__main__":
    main()
