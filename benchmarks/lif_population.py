"""N independent LIF neurons with white-noise input, 1 s at dt = 0.1 ms: neurodyn vs Brian2.

    python benchmarks/lif_population.py [--sizes 1000 100000 1000000] [--no-brian2] [--no-runtime]

Times exclude compilation/code generation, which is reported separately. The model,
in both simulators:  dV = ((E_L - V)/tau_m + mu/C_m) dt + (sigma/C_m) dW, threshold,
reset, refractoriness, spikes recorded.
"""

import argparse

import numpy as np
from _common import brian2_standalone_run, compile_seconds, machine, native_kernels, table, timed

P = dict(tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
MU, SIGMA = 200.0, 400.0  # pA, pA·ms^0.5
DURATION, DT = 1000.0, 0.1


def neurodyn_run(n):
    import jax

    import neurodyn as nd

    lif = nd.neurons.LIF(n=n, **P)
    noise = nd.inputs.white_noise(SIGMA, mean=MU)

    def once(seed):
        return nd.simulate(lif, DURATION, DT, inputs=noise, key=jax.random.key(seed), progress=False)

    _, compile_s = compile_seconds(once, 0)  # first call: tracing + XLA compilation
    run, res = timed(once, 1)
    return run, compile_s, float(np.asarray(res.rates()).mean())


def brian2_network(n, b2):
    eqs = """dv/dt = (E_L - v)/tau_m + mu/C_m + sigma/C_m*xi : volt (unless refractory)"""
    ns = dict(E_L=P["E_L"] * b2.mV, tau_m=P["tau_m"] * b2.ms, C_m=P["C_m"] * b2.pF, mu=MU * b2.pA,
              sigma=SIGMA * b2.pA * b2.ms**0.5)
    G = b2.NeuronGroup(n, eqs, threshold=f"v >= {P['V_th']}*mV", reset=f"v = {P['V_reset']}*mV",
                       refractory=P["t_ref"] * b2.ms, method="euler", namespace=ns)
    G.v = P["E_L"] * b2.mV
    mon = b2.SpikeMonitor(G)
    return G, mon


def brian2_runtime(n):
    import brian2 as b2

    b2.start_scope()
    b2.set_device("runtime")
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = DT * b2.ms
    G, mon = brian2_network(n, b2)
    net = b2.Network(G, mon)
    build, _ = timed(net.run, DT * b2.ms)  # code generation + Cython compilation
    run, _ = timed(net.run, DURATION * b2.ms)
    return run, build, mon.num_spikes / n / (DURATION * 1e-3)


def brian2_standalone(n):
    import brian2 as b2

    b2.start_scope()
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.defaultclock.dt = DT * b2.ms
    G, mon = brian2_network(n, b2)
    b2.run(DURATION * b2.ms)
    return brian2_standalone_run(b2, mon, n, DURATION, prefix="b2_lif_")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    parser.add_argument("--no-brian2", action="store_true")
    parser.add_argument("--no-runtime", action="store_true", help="skip Brian2's runtime mode (slow at large N)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(native_kernels())
    rows = []
    for n in args.sizes:
        ours = neurodyn_run(n)
        row = [f"{n:,}", f"{ours[0]:.3f}", f"{ours[1]:.2f}", f"{ours[2]:.1f}"]
        if not args.no_brian2:
            sa = brian2_standalone(n)
            rt = (float("nan"),) * 3 if args.no_runtime else brian2_runtime(n)
            row += [f"{sa[0]:.3f}", f"{sa[1]:.1f}", f"{rt[0]:.3f}", f"{rt[1]:.1f}", f"{sa[2]:.1f}",
                    f"{sa[0] / ours[0]:.2f}x", f"{rt[0] / ours[0]:.2f}x"]
        rows.append(row)
        print(row, flush=True)
    header = ["N", "neurodyn run s", "neurodyn compile s", "neurodyn Hz"]
    if not args.no_brian2:
        header += ["Brian2 standalone run s", "standalone build s", "Brian2 runtime run s", "runtime build s",
                   "Brian2 Hz", "standalone / neurodyn", "runtime / neurodyn"]
    table(rows, header)


if __name__ == "__main__":
    main()
