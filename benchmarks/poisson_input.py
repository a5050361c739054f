"""N LIF neurons, each driven by 100 independent Poisson trains (constant bias plus
``nd.inputs.poisson``), 1 s at dt = 0.1 ms: neurodyn vs Brian2 cpp_standalone (``PoissonInput``,
which draws a binomial count per neuron and step) and vs neurodyn's previous draw,
``jax.random.poisson``, in the same model.

    python benchmarks/poisson_input.py [--sizes 1000 10000 100000] [--no-brian2]

Each input spike moves V by W_MV mV (a charge W_MV * C_m, delivered within its step in neurodyn).
Times exclude compilation / code generation, reported separately.
"""

import argparse

import numpy as np
from _common import brian2_standalone_run, compile_seconds, machine, native_kernels, table, timed

P = dict(tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0, I_e=500.0)
N_SOURCES, RATE, W_MV = 100, 10.0, 0.5  # trains per neuron, Hz, mV per input spike
DURATION, DT = 1000.0, 0.1


def neurodyn_run(n, draw="inversion"):
    import jax

    import neurodyn as nd

    lif = nd.neurons.LIF(n=n, **P)
    poisson = nd.inputs.poisson(RATE, W_MV * P["C_m"], n_sources=N_SOURCES)
    if draw == "jax.random.poisson":  # the draw neurodyn used before, in the same input

        class JaxPoisson(type(poisson)):
            def update(self, state, t, dt, key):
                lam = self.rate * self.n_sources * dt * 1e-3
                return jax.random.poisson(key, jax.numpy.broadcast_to(lam, state.shape), state.shape).astype(state.dtype)

        poisson = JaxPoisson(poisson.rate, poisson.weight, poisson.n_sources)

    def once(seed):
        return nd.simulate(lif, DURATION, DT, inputs=poisson, key=jax.random.key(seed), progress=False)

    _, compile_s = compile_seconds(once, 0)
    run, res = timed(once, 1)
    return run, compile_s, float(np.asarray(res.rates()).mean())


def brian2_standalone(n):
    import brian2 as b2

    b2.start_scope()
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.defaultclock.dt = DT * b2.ms
    ns = dict(E_L=P["E_L"] * b2.mV, tau_m=P["tau_m"] * b2.ms, I_e=P["I_e"] * b2.pA, C_m=P["C_m"] * b2.pF)
    G = b2.NeuronGroup(n, "dv/dt = (E_L - v)/tau_m + I_e/C_m : volt (unless refractory)",
                       threshold=f"v >= {P['V_th']}*mV", reset=f"v = {P['V_reset']}*mV",
                       refractory=P["t_ref"] * b2.ms, method="exact", namespace=ns)
    G.v = P["E_L"] * b2.mV
    inp = b2.PoissonInput(G, "v", N_SOURCES, RATE * b2.Hz, weight=W_MV * b2.mV)
    mon = b2.SpikeMonitor(G)
    b2.run(DURATION * b2.ms)  # the magic network collects G, inp and mon (named locals)
    return brian2_standalone_run(b2, mon, n, DURATION, prefix="b2_poisson_")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--no-brian2", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(native_kernels())
    rows = []
    for n in args.sizes:
        ours = neurodyn_run(n)
        old = neurodyn_run(n, "jax.random.poisson")
        row = [f"{n:,}", f"{ours[0]:.3f}", f"{ours[1]:.2f}", f"{ours[2]:.1f}", f"{old[0]:.3f}", f"{old[0] / ours[0]:.1f}x"]
        if not args.no_brian2:
            sa = brian2_standalone(n)
            row += [f"{sa[0]:.3f}", f"{sa[1]:.1f}", f"{sa[2]:.1f}", f"{sa[0] / ours[0]:.2f}x"]
        rows.append(row)
        print(row, flush=True)
    header = ["N", "neurodyn run s", "compile s", "neurodyn Hz", "jax.random.poisson run s", "speed-up"]
    if not args.no_brian2:
        header += ["Brian2 standalone run s", "build s", "Brian2 Hz", "standalone / neurodyn"]
    table(rows, header)


if __name__ == "__main__":
    main()
