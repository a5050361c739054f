"""10,000 independent neurons of each model under noisy current, 1 s of biological time at
dt = 0.1 ms (0.01 ms for the Hodgkin–Huxley family: squid and Traub–Miles): neurodyn vs Brian2 cpp_standalone.

    python benchmarks/neuron_models.py [--n 10000] [--models AdEx HodgkinHuxley ...] [--no-brian2] [--constant]

Same equations, same integration scheme in both simulators (exponential Euler where
neurodyn uses it, forward Euler otherwise) and the same input: a white-noise current
drawn once per step, mean MU and standard deviation SIGMA/sqrt(dt) (``nd.inputs.white_noise``;
in Brian2 a ``run_regularly`` draw); ``--constant`` replaces it with the constant MU to
measure the models without the random-number cost. Spikes are recorded in both. Times exclude
compilation / code generation, reported separately.
"""

import argparse

import numpy as np
from _common import brian2_standalone_run, compile_seconds, machine, native_kernels, table, timed

DURATION = 1000.0

# name -> (neurodyn constructor kwargs, Brian2 equations, threshold, reset, refractory, method, init,
#          namespace, dt, MU pA, SIGMA pA ms^0.5, name of the model's current scale (pA or 'unit'))
MODELS = {
    "LIF": dict(
        nd=("LIF", dict(tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)),
        eqs="dv/dt = (E_L - v)/tau_m + I_in/C_m : volt (unless refractory)",
        threshold="v >= -50*mV", reset="v = -65*mV", refractory="2*ms", method="exact",
        init=dict(v="-65*mV"), ns=dict(E_L=-65, tau_m=20, C_m=250), dt=0.1, mu=300.0, sigma=400.0),
    "AdaptiveLIF": dict(
        nd=("AdaptiveLIF", dict(C_m=250.0, g_L=12.5, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0, a=2.0, b=40.0, tau_w=150.0)),
        eqs="""dv/dt = (g_L*(E_L - v) - w + I_in)/C_m : volt (unless refractory)
               dw/dt = (a*(v - E_L) - w)/tau_w : amp""",
        threshold="v >= -50*mV", reset="v = -65*mV; w += 40*pA", refractory="2*ms", method="exponential_euler",
        init=dict(v="-65*mV"), ns=dict(E_L=-65, g_L=12.5, C_m=250, a=2.0, tau_w=150), dt=0.1, mu=400.0, sigma=400.0),
    "ExpIF": dict(
        nd=("ExpIF", dict()),
        eqs="dv/dt = (g_L*(E_L - v) + g_L*2*mV*exp((v - V_T)/(2*mV)) + I_in)/C_m : volt",
        threshold="v >= 0*mV", reset="v = -70.6*mV", refractory=False, method="euler",
        init=dict(v="-70.6*mV"), ns=dict(E_L=-70.6, g_L=30, C_m=281, V_T=-50.4), dt=0.1, mu=600.0, sigma=600.0),
    "AdEx": dict(
        nd=("AdEx", dict()),
        eqs="""dv/dt = (g_L*(E_L - v) + g_L*2*mV*exp((v - V_T)/(2*mV)) - w + I_in)/C_m : volt
               dw/dt = (a*(v - E_L) - w)/tau_w : amp""",
        threshold="v >= 0*mV", reset="v = -70.6*mV; w += 80.5*pA", refractory=False, method="euler",
        init=dict(v="-70.6*mV"), ns=dict(E_L=-70.6, g_L=30, C_m=281, V_T=-50.4, a=4.0, tau_w=144), dt=0.1,
        mu=800.0, sigma=600.0),
    "Izhikevich": dict(
        nd=("Izhikevich", dict(V_init=-70.0)),
        eqs="""dv/dt = (0.04*v**2 + 5*v + 140 - u + I_in/pA)/ms : 1
               du/dt = 0.02*(0.2*v - u)/ms : 1""",
        threshold="v >= 30", reset="v = -65; u += 8", refractory=False, method="euler",
        init=dict(v="-70", u="-14"), ns=dict(), dt=0.1, mu=10.0, sigma=5.0),
    "QIF": dict(
        nd=("QIF", dict()),
        eqs="dv/dt = (g_L*(v - E_L)*(v - V_c)/(V_c - E_L) + I_in)/C_m : volt",
        threshold="v >= 0*mV", reset="v = -60*mV", refractory=False, method="euler",
        init=dict(v="-70*mV"), ns=dict(E_L=-70, V_c=-50, g_L=10, C_m=200), dt=0.1, mu=100.0, sigma=100.0),
    "HodgkinHuxley": dict(
        nd=("HodgkinHuxley", dict()),
        eqs="""dv/dt = (gNa*m**3*h*(ENa - v) + gK*n**4*(EK - v) + gL*(EL - v) + I_in)/Cm : volt
               dm/dt = am*(1 - m) - bm*m : 1
               dh/dt = ah*(1 - h) - bh*h : 1
               dn/dt = an*(1 - n) - bn*n : 1
               am = 0.1/mV*(v + 40*mV)/(1 - exp(-(v + 40*mV)/(10*mV)))/ms : Hz
               bm = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
               ah = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
               bh = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
               an = 0.01/mV*(v + 55*mV)/(1 - exp(-(v + 55*mV)/(10*mV)))/ms : Hz
               bn = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz""",
        threshold="v >= 0*mV", reset="", refractory="v >= 0*mV", method="exponential_euler",
        init=dict(v="-65*mV", m="0.0529", h="0.5961", n="0.3177"),
        ns=dict(gNa=12000, gK=3600, gL=30, ENa=50, EK=-77, EL=-54.387, Cm=100), dt=0.01, mu=700.0, sigma=300.0),
    "TraubMiles": dict(
        nd=("TraubMiles", dict()),
        eqs="""dv/dt = (gNa*m**3*h*(ENa - v) + gK*n**4*(EK - v) + gL*(EL - v) + I_in)/Cm : volt
               dm/dt = am*(1 - m) - bm*m : 1
               dh/dt = ah*(1 - h) - bh*h : 1
               dn/dt = an*(1 - n) - bn*n : 1
               am = 0.32/mV*(13*mV - v + VT)/(exp((13*mV - v + VT)/(4*mV)) - 1)/ms : Hz
               bm = 0.28/mV*(v - VT - 40*mV)/(exp((v - VT - 40*mV)/(5*mV)) - 1)/ms : Hz
               ah = 0.128*exp((17*mV - v + VT)/(18*mV))/ms : Hz
               bh = 4/(1 + exp((40*mV - v + VT)/(5*mV)))/ms : Hz
               an = 0.032/mV*(15*mV - v + VT)/(exp((15*mV - v + VT)/(5*mV)) - 1)/ms : Hz
               bn = 0.5*exp((10*mV - v + VT)/(40*mV))/ms : Hz""",
        threshold="v >= 0*mV", reset="", refractory="v >= 0*mV", method="exponential_euler",
        init=dict(v="-60*mV", m="am/(am + bm)", h="ah/(ah + bh)", n="an/(an + bn)"),
        ns=dict(gNa=20000, gK=6000, gL=10, ENa=50, EK=-90, EL=-60, Cm=200, VT=-63), dt=0.01, mu=200.0, sigma=300.0),
}

UNITS = dict(E_L="mV", V_T="mV", V_c="mV", VT="mV", ENa="mV", EK="mV", EL="mV", tau_m="ms", tau_w="ms", C_m="pF", Cm="pF",
             g_L="nS", gNa="nS", gK="nS", gL="nS", a="nS")


def neurodyn_run(name, n, constant=False):
    import jax

    import neurodyn as nd

    spec = MODELS[name]
    cls, kwargs = spec["nd"]
    model = getattr(nd.neurons, cls)(n=n, **kwargs)
    noise = nd.inputs.constant(spec["mu"]) if constant else nd.inputs.white_noise(spec["sigma"], mean=spec["mu"])

    def once(seed):
        return nd.simulate(model, DURATION, spec["dt"], inputs=noise, key=jax.random.key(seed), progress=False)

    _, compile_s = compile_seconds(once, 0)  # tracing + XLA compilation of the first call
    run, res = timed(once, 1)
    return run, compile_s, float(np.asarray(res.rates()).mean())


def brian2_standalone(name, size, constant=False):
    import brian2 as b2

    spec = MODELS[name]
    b2.start_scope()
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    dt = spec["dt"]
    b2.defaultclock.dt = dt * b2.ms
    ns = {k: v * getattr(b2, UNITS[k]) for k, v in spec["ns"].items()}
    ns.update(mu=spec["mu"] * b2.pA, sigma=spec["sigma"] * b2.pA, dt_ms=dt)
    eqs = spec["eqs"] + "\nI_in : amp"
    G = b2.NeuronGroup(size, eqs, threshold=spec["threshold"], reset=spec["reset"] or None,
                       refractory=spec["refractory"], method=spec["method"], namespace=ns)
    if constant:
        G.I_in = spec["mu"] * b2.pA
    else:
        G.run_regularly("I_in = mu + sigma*randn()/sqrt(dt_ms)", when="before_groups")
    for k, v in spec["init"].items():
        setattr(G, k, v)
    mon = b2.SpikeMonitor(G)
    b2.run(DURATION * b2.ms)
    return brian2_standalone_run(b2, mon, size, DURATION, prefix=f"b2_{name}_")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--no-brian2", action="store_true")
    parser.add_argument("--constant", action="store_true", help="constant current instead of noise (model cost only)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(native_kernels())
    rows = []
    for name in args.models:
        ours = neurodyn_run(name, args.n, args.constant)
        row = [name, f"{MODELS[name]['dt']}", f"{ours[0]:.3f}", f"{ours[1]:.2f}", f"{ours[2]:.1f}"]
        if not args.no_brian2:
            sa = brian2_standalone(name, args.n, args.constant)
            row += [f"{sa[0]:.3f}", f"{sa[1]:.1f}", f"{sa[2]:.1f}", f"{sa[0] / ours[0]:.2f}x"]
        rows.append(row)
        print(row, flush=True)
    header = ["model", "dt ms", "neurodyn run s", "neurodyn compile s", "neurodyn Hz"]
    if not args.no_brian2:
        header += ["Brian2 standalone run s", "standalone build s", "Brian2 Hz", "Brian2 / neurodyn"]
    table(rows, header)


if __name__ == "__main__":
    main()
