"""COBA network (BrainPy's simulator-comparison variant), 1 s at dt = 0.1 ms:
neurodyn vs Brian2 (cpp_standalone and runtime/Cython) vs BrainPy, side by side.

    python benchmarks/coba.py [--sizes 4000 16000 64000] [--repeats 3] [--no-brian2] [--no-brainpy]

About 80 incoming synapses per neuron (p = 80 / N), 80 % excitatory; see
``neurodyn.examples.coba`` for the equations. Run times exclude compilation / code
generation / builds, reported separately; rates are the mean over all neurons. Every
simulator's run is repeated (``--repeats``) and the fastest counts: on a shared machine
single runs vary by tens of percent; all runs are printed.
"""

import argparse
import os
import sys
import tempfile

import numpy as np
from _common import compile_seconds, machine, table, timed

DURATION, DT = 1000.0, 0.1
REPEATS = 3


def best(runs):
    print(f"    runs: {', '.join(f'{r:.3f}' for r in runs)} s", flush=True)
    return min(runs)


def neurodyn_run(n):
    import jax

    import neurodyn as nd

    build, (net, inputs) = timed(nd.examples.coba, n)

    def once(seed):
        res = nd.simulate(net, DURATION, DT, inputs=inputs, key=jax.random.key(seed), progress=False)
        return sum(int(np.asarray(c).sum()) for c in res.spike_counts.values())

    _, compile_s = compile_seconds(once, 0)  # tracing + XLA compilation of the first call
    runs = [timed(once, 1 + r) for r in range(REPEATS)]
    spikes = runs[0][1]
    return dict(run=best([t for t, _ in runs]), compile=compile_s, rate=spikes / n / (DURATION * 1e-3), build=build)


def _brian2_coba(n, b2):
    ms, mV = b2.ms, b2.mV
    eqs = """
    dv/dt = (ge * (Ee - v) + gi * (Ei - v) - (v - El) + I) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
    """
    ns = dict(Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, I=20 * mV, taum=20 * ms, taue=5 * ms, taui=10 * ms)
    P = b2.NeuronGroup(n, eqs, threshold="v > -50*mV", reset="v = -60*mV", refractory=5 * ms,
                       method="exponential_euler", namespace=ns)
    P.v = "-55*mV + 5*mV*randn()"
    ne = int(0.8 * n)
    Ce = b2.Synapses(P[:ne], P, on_pre="ge += 0.6")
    Ci = b2.Synapses(P[ne:], P, on_pre="gi += 6.7")
    Ce.connect(p=80.0 / n)
    Ci.connect(p=80.0 / n)
    mon = b2.SpikeMonitor(P)
    return b2.Network(P, Ce, Ci, mon), mon


def brian2_standalone(n):
    import brian2 as b2

    b2.start_scope()
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.defaultclock.dt = DT * b2.ms
    net, mon = _brian2_coba(n, b2)
    net.run(DURATION * b2.ms)
    folder = tempfile.mkdtemp(prefix="b2_coba_")
    total, _ = timed(b2.device.build, directory=folder, compile=True, run=True)
    runs = [b2.device._last_run_time]
    rate = mon.num_spikes / n / (DURATION * 1e-3)
    for _ in range(REPEATS - 1):  # the same binary again
        b2.device.run(directory=folder, with_output=False)
        runs.append(b2.device._last_run_time)
    run = best(runs)
    b2.device.reinit()
    b2.device.activate()
    b2.set_device("runtime")
    return dict(run=run, compile=total - runs[0], rate=rate)


def brian2_runtime(n):
    import brian2 as b2

    b2.start_scope()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = DT * b2.ms
    net, mon = _brian2_coba(n, b2)
    build, _ = timed(net.run, DT * b2.ms)  # code generation + Cython compilation (cached after the first process)
    runs = []
    for _ in range(REPEATS):  # each continues from where the last stopped
        before = mon.num_spikes
        runs.append(timed(net.run, DURATION * b2.ms)[0])
        if len(runs) == 1:
            rate = (mon.num_spikes - before) / n / (DURATION * 1e-3)
    return dict(run=best(runs), compile=build, rate=rate)


def brainpy_run(n):
    """The same network in BrainPy 2.8 (LIF groups, event-driven CSR projections, exponential COBA synapses)."""
    import time

    import brainpy as bp
    import brainpy.math as bm

    bm.set_platform("cpu")
    bm.set_dt(DT)
    ne = int(0.8 * n)
    prob = 80.0 / n

    def group(m):
        return bp.dyn.LifRef(m, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0,
                             V_initializer=bp.init.Normal(-55.0, 5.0))

    def proj(pre, post, w, tau, E):
        return bp.dyn.ProjAlignPostMg2(
            pre=pre, delay=None, comm=bp.dnn.EventCSRLinear(bp.conn.FixedProb(prob, pre=pre.num, post=post.num), w),
            syn=bp.dyn.Expon.desc(post.num, tau=tau), out=bp.dyn.COBA.desc(E=E), post=post)

    class EINet(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            self.E, self.I = group(ne), group(n - ne)
            self.EE, self.EI = proj(self.E, self.E, 0.6, 5.0, 0.0), proj(self.E, self.I, 0.6, 5.0, 0.0)
            self.IE, self.II = proj(self.I, self.E, 6.7, 10.0, -80.0), proj(self.I, self.I, 6.7, 10.0, -80.0)

        def update(self, inp):
            self.EE()
            self.EI()
            self.IE()
            self.II()
            self.E(inp)
            self.I(inp)
            return self.E.spike.value.sum() + self.I.spike.value.sum()

    steps = int(round(DURATION / DT))

    net = EINet()
    step = lambda i: net.step_run(i, 20.0)  # noqa: E731 - one function object: compiled once

    def once():
        start = time.perf_counter()
        counts = bm.for_loop(step, bm.arange(steps), progress_bar=False)
        total = int(np.asarray(counts).sum())
        return time.perf_counter() - start, total

    first, _ = once()  # compile + run (the state then continues from 1 s)
    runs = [once() for _ in range(REPEATS)]
    run, spikes = best([t for t, _ in runs]), runs[0][1]
    return dict(run=run, compile=max(first - run, 0.0), rate=spikes / n / (DURATION * 1e-3))


def main():
    global REPEATS
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 16000, 64000])
    parser.add_argument("--no-brian2", action="store_true")
    parser.add_argument("--no-brainpy", action="store_true")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    REPEATS = max(1, args.repeats)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}; best of {REPEATS} runs")
    rows = []
    for n in args.sizes:
        ours = neurodyn_run(n)
        row = [f"{n:,}", f"{ours['run']:.3f}", f"{ours['compile']:.2f}", f"{ours['build']:.2f}", f"{ours['rate']:.1f}"]
        others = {}
        if not args.no_brian2:
            others["Brian2 standalone"] = brian2_standalone(n)
            others["Brian2 runtime"] = brian2_runtime(n)
        if not args.no_brainpy:
            try:
                others["BrainPy"] = brainpy_run(n)
            except Exception as exc:  # noqa: BLE001 - BrainPy is optional
                print(f"note: BrainPy skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        for name, r in others.items():
            print(f"  N={n:,} {name}: run {r['run']:.3f} s, compile/build {r['compile']:.1f} s, rate {r['rate']:.1f} Hz, "
                  f"{r['run'] / ours['run']:.2f}x neurodyn's time", flush=True)
            row.append(f"{r['run']:.3f} ({r['run'] / ours['run']:.1f}x)")
        rows.append(row)
        print(row, flush=True)
    header = ["N", "neurodyn run s", "compile s", "build s", "neurodyn Hz", *others.keys()]
    table(rows, header)


if __name__ == "__main__":
    main()
