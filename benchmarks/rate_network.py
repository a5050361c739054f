"""Nonlinear rate network tau dr/dt = -r + tanh(h + W r), dense W (g = 1.5), dt = 0.1 ms:
neurodyn (Euler and RK4 through ``simulate``) against a plain NumPy Euler loop and
``scipy.integrate.solve_ivp`` (RK45), and a 256-point parameter sweep (vmapped vs
sequential ``simulate`` calls).

    python benchmarks/rate_network.py            # N = 1,000 and 10,000, sweep at N = 100
    python benchmarks/rate_network.py --quick    # smaller, for a smoke test

Times exclude compilation (each neurodyn run is done once to compile, then timed);
the first call (compile + run) is printed separately. Everything is reported per simulated
second; at N = 10,000 (a 400 MB matrix read every step) neurodyn runs 20 ms and the
baselines less, scaled to 1 s, to keep the benchmark within a few minutes. The NumPy loop
is timed with OpenBLAS's default threads and with one thread (``threadpoolctl``).
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp
from threadpoolctl import threadpool_limits

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


def bench_size(N, duration, numpy_steps, ivp_duration, repeat):
    W, h = network(N)
    steps = int(round(duration / DT))
    out = {}
    net = nd.rate.RateNetwork(W, TAU, nd.rate.Tanh(), h)
    for name, solver in [("neurodyn Euler", nd.Euler()), ("neurodyn RK4", nd.RK4())]:
        t_first = timed(lambda: neurodyn_run(net, duration, solver))
        t_run = timed(lambda: neurodyn_run(net, duration, solver), repeat=repeat)
        out[name] = (t_run, t_first)
    for dtype in (np.float32, np.float64):
        Wd, hd = W.astype(dtype), h.astype(dtype)
        t = timed(lambda: numpy_euler(Wd, hd, numpy_steps), repeat=2) * steps / numpy_steps
        out[f"NumPy Euler loop ({np.dtype(dtype).name})"] = (t, None)
        # the same loop with OpenBLAS on one thread: on a shared machine its threads contend
        with threadpool_limits(limits=1, user_api="blas"):
            t = timed(lambda: numpy_euler(Wd, hd, numpy_steps), repeat=2) * steps / numpy_steps
        out[f"NumPy Euler loop ({np.dtype(dtype).name}, 1 BLAS thread)"] = (t, None)
    Wd, hd = W.astype(np.float64), h.astype(np.float64)
    t = timed(lambda: solve_ivp(lambda s, r: (-r + np.tanh(hd + Wd @ r)) / TAU, (0, ivp_duration),
                                np.zeros(N), method="RK45", rtol=1e-6, atol=1e-9))
    out["scipy solve_ivp RK45 (float64)"] = (t * duration / ivp_duration, None)
    # report every time per simulated second
    scale = 1000.0 / duration
    out = {k: (t * scale, first) for k, (t, first) in out.items()}
    return out, steps, numpy_steps < steps or ivp_duration < duration


def sweep_model(N):
    if N == 2:      # the classic case: a Wilson-Cowan pair swept over its input
        return nd.rate.RateNetwork.wilson_cowan(16.0, 12.0, 15.0, 3.0, F_E=nd.rate.Sigmoid(1.0, 1.3, 4.0),
                                                F_I=nd.rate.Sigmoid(1.0, 2.0, 3.7), h_E=1.0)
    W, h = network(N, seed=1)
    return nd.rate.RateNetwork(W, TAU, nd.rate.Tanh(), h)


def bench_sweep(N, duration, n_params):
    net = sweep_model(N)
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

    t_seq_first = timed(lambda: np.asarray(final(0.5)))      # compiles the single run
    t_seq = timed(sequential)
    check = np.max(np.abs(np.asarray(batched(scales))[-1] - np.asarray(final(float(scales[-1])))))
    return t_vmap, t_first, t_seq, t_seq_first, float(check)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"jax {jax.__version__}, devices {jax.devices()}, dtype float32 unless noted")
    # (N, neurodyn duration ms, NumPy steps timed, solve_ivp duration ms, repeats)
    sizes = [(1000, 1000.0, 1000, 100.0, 2), (10000, 20.0, 50, 2.0, 1)]
    sweeps = [(2, 1000.0, 256), (100, 1000.0, 256)]
    if args.quick:
        sizes = [(200, 100.0, 1000, 50.0, 1)]
        sweeps = [(2, 100.0, 32), (50, 100.0, 32)]
    for N, duration, numpy_steps, ivp_duration, repeat in sizes:
        out, steps, extrap = bench_size(N, duration, numpy_steps, ivp_duration, repeat)
        print(f"\nN = {N:,}: seconds per simulated second (dt = {DT} ms); neurodyn ran {duration:g} ms"
              f"{', baselines a shorter run' if extrap else ''}, all scaled to 1 s")
        base = out["neurodyn Euler"][0]
        for name, (t, comp) in out.items():
            extra = f", first call (compile + run) {comp:.2f} s" if comp is not None else ""
            print(f"  {name:44s} {t:9.3f} s  ({t / base:7.1f}x neurodyn Euler){extra}")
        ratios = ", ".join(f"{out[k][0] / base:.1f}x ({k[len('NumPy Euler loop ('):-1]})"
                           for k in out if k.startswith("NumPy"))
        print(f"  speed-up of neurodyn Euler over the NumPy loop: {ratios}")
    for N, duration, n_params in sweeps:
        t_vmap, t_first, t_seq, t_seq_first, check = bench_sweep(N, duration, n_params)
        what = "Wilson-Cowan pair" if N == 2 else f"tanh network, N = {N}"
        print(f"\nsweep: {n_params} input scales, {what}, {duration:g} ms, RK4 (dt = {DT} ms)")
        print(f"  vmapped    {t_vmap:8.3f} s  (first call incl. compile {t_first:.2f} s)")
        print(f"  sequential {t_seq:8.3f} s  ({n_params} simulate calls; the first single call, "
              f"incl. compile, {t_seq_first:.2f} s, not counted)")
        print(f"  speed-up {t_seq / t_vmap:.1f}x   (max |vmapped - single| = {check:.2e})")


if __name__ == "__main__":
    main()
