"""AdEx, Izhikevich and Hodgkin–Huxley spike times against Brian2 (independent simulator).

Same equations, same dt, same scheme (forward Euler for AdEx and Izhikevich, exponential
Euler for HH), same time-varying input; the first 20 spikes of every neuron must fall in
the same time step. Brian2 stamps a spike at the start of the step in which the threshold
is reached, neurodyn at its end, hence the shift by +dt (see ``test_brian2.py`` for LIF).
"""

import numpy as np
import pytest

import neurodyn as nd

b2 = pytest.importorskip("brian2")


def _brian2(eqs, n, threshold, reset, method, init, params, drive, dt, duration, refractory=False):
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = dt * b2.ms
    ns = dict(params)
    ns["stim"] = b2.TimedArray(drive, dt=dt * b2.ms)
    G = b2.NeuronGroup(n, eqs, threshold=threshold, reset=reset, method=method, namespace=ns,
                       refractory=refractory)
    for k, v in init.items():
        setattr(G, k, v)
    mon = b2.SpikeMonitor(G)
    b2.run(duration * b2.ms)
    return np.asarray(mon.t / b2.ms) + dt, np.asarray(mon.i)


def _compare(res, bt, bi, n, dt, at_least=5):
    s = res.spikes
    for j in range(n):
        ours, theirs = s.times[s.indices == j][:20], bt[bi == j][:20]
        assert len(ours) == len(theirs) >= at_least, (j, len(ours), len(theirs))
        np.testing.assert_allclose(ours, theirs, atol=dt / 2)


def _sine(dt, duration, amplitude, period):
    t = np.arange(round(duration / dt)) * dt
    return amplitude * np.sin(2 * np.pi * t / period)


def test_adex_matches_brian2(x64):
    dt, duration = 0.1, 400.0
    names = ["adapting", "bursting", "initial_burst"]
    model = nd.neurons.AdEx.preset("adapting", n=len(names))  # per-neuron preset parameters below
    keys = ["C_m", "g_L", "E_L", "a", "tau_w", "b", "V_reset"]
    p = {k: np.array([nd.neurons.AdEx.presets[nm][k] for nm in names]) for k in keys}
    I = np.array([nd.neurons.AdEx.presets[nm]["I"] for nm in names])
    model = model.replace(**p, I_e=I)
    drive = _sine(dt, duration, 40.0, 23.0)
    res = nd.simulate(model, duration, dt, inputs=nd.inputs.array(drive, dt=dt), progress=False)
    eqs = """
    dv/dt = (-g_L*(v - E_L) + g_L*2*mV*exp((v + 50*mV)/(2*mV)) - w + I + stim(t)) / C_m : volt
    dw/dt = (a*(v - E_L) - w) / tau_w : amp
    C_m : farad
    g_L : siemens
    E_L : volt
    a : siemens
    tau_w : second
    b : amp
    V_reset : volt
    I : amp
    """
    init = dict(C_m=p["C_m"] * b2.pF, g_L=p["g_L"] * b2.nS, E_L=p["E_L"] * b2.mV, a=p["a"] * b2.nS,
                tau_w=p["tau_w"] * b2.ms, b=p["b"] * b2.pA, V_reset=p["V_reset"] * b2.mV, I=I * b2.pA,
                v=p["E_L"] * b2.mV)
    bt, bi = _brian2(eqs, len(names), "v >= 0*mV", "v = V_reset; w += b", "euler", init, {}, drive * b2.pA,
                     dt, duration)
    _compare(res, bt, bi, len(names), dt)


def test_izhikevich_matches_brian2(x64):
    dt, duration = 0.1, 300.0
    names = ["RS", "CH", "FS", "LTS"]
    pr = nd.neurons.Izhikevich.presets
    p = {k: np.array([pr[nm][k] for nm in names]) for k in "abcd"}
    model = nd.neurons.Izhikevich(n=len(names), **p, I_e=10.0, V_init=-70.0)
    drive = _sine(dt, duration, 3.0, 17.0)
    res = nd.simulate(model, duration, dt, inputs=nd.inputs.array(drive, dt=dt), progress=False)
    eqs = """
    dv/dt = (0.04*v**2 + 5*v + 140 - u + 10 + stim(t)) / ms : 1
    du/dt = a*(b*v - u) / ms : 1
    a : 1
    b : 1
    c : 1
    d : 1
    """
    init = dict(a=p["a"], b=p["b"], c=p["c"], d=p["d"], v=-70.0, u=p["b"] * -70.0)
    bt, bi = _brian2(eqs, len(names), "v >= 30", "v = c; u += d", "euler", init, {}, drive, dt, duration)
    _compare(res, bt, bi, len(names), dt)


def test_hodgkin_huxley_matches_brian2(x64):
    dt, duration = 0.01, 200.0
    I = np.array([900.0, 1200.0, 1600.0])
    model = nd.neurons.HodgkinHuxley(n=len(I), I_e=I)
    drive = _sine(dt, duration, 50.0, 31.0)
    res = nd.simulate(model, duration, dt, inputs=nd.inputs.array(drive, dt=dt), progress=False)
    eqs = """
    dv/dt = (gNa*m**3*h*(ENa - v) + gK*n**4*(EK - v) + gL*(EL - v) + I + stim(t)) / Cm : volt
    dm/dt = am*(1 - m) - bm*m : 1
    dh/dt = ah*(1 - h) - bh*h : 1
    dn/dt = an*(1 - n) - bn*n : 1
    am = 0.1/mV*(v + 40*mV)/(1 - exp(-(v + 40*mV)/(10*mV)))/ms : Hz
    bm = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
    ah = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
    bh = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
    an = 0.01/mV*(v + 55*mV)/(1 - exp(-(v + 55*mV)/(10*mV)))/ms : Hz
    bn = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
    I : amp
    """
    params = dict(gNa=12000 * b2.nS, gK=3600 * b2.nS, gL=30 * b2.nS, ENa=50 * b2.mV, EK=-77 * b2.mV,
                  EL=-54.387 * b2.mV, Cm=100 * b2.pF)
    s0 = model.init_state()
    init = dict(v=-65 * b2.mV, m=np.asarray(s0.m), h=np.asarray(s0.h), n=np.asarray(s0.n), I=I * b2.pA)
    bt, bi = _brian2(eqs, len(I), "v >= 0*mV", "", "exponential_euler", init, params, drive * b2.pA, dt,
                     duration, refractory="v >= 0*mV")
    _compare(res, bt, bi, len(I), dt)
