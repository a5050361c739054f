"""LIF spike times against Brian2 (independent simulator), same equations, dt and scheme.

Conventions: neurodyn stamps a spike at the end of the step in which the threshold is
reached and holds V at V_reset for round(t_ref/dt) steps after that stamp (NEST's
grid convention). Brian2 stamps the start of that step and lets the membrane integrate
again from ``lastspike + refractory``. The two agree exactly when Brian2's times are
shifted by +dt and its refractory period is t_ref + dt.
"""

import numpy as np
import pytest

import neurodyn as nd

b2 = pytest.importorskip("brian2")


def brian2_lif(currents, drive, dt, duration, p):
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = dt * b2.ms
    n = len(currents)
    stim = b2.TimedArray(drive * b2.pA, dt=dt * b2.ms)
    eqs = """
    dv/dt = (E_L - v) / tau_m + (I_e + stim(t)) / C_m : volt (unless refractory)
    I_e : amp
    """
    ns = dict(E_L=p["E_L"] * b2.mV, tau_m=p["tau_m"] * b2.ms, C_m=p["C_m"] * b2.pF, stim=stim)
    G = b2.NeuronGroup(n, eqs, threshold=f"v >= {p['V_th']}*mV", reset=f"v = {p['V_reset']}*mV",
                       refractory=(p["t_ref"] + dt) * b2.ms, method="exact", namespace=ns)
    G.v = p["E_L"] * b2.mV
    G.I_e = np.asarray(currents) * b2.pA
    mon = b2.SpikeMonitor(G)
    b2.run(duration * b2.ms)
    return np.asarray(mon.t / b2.ms) + dt, np.asarray(mon.i)


def test_lif_spike_times_match_brian2(x64):
    p = dict(tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
    dt, duration = 0.1, 300.0
    currents = np.array([200.0, 300.0, 500.0, 900.0])
    steps = round(duration / dt)
    t = np.arange(steps) * dt
    drive = 60.0 * np.sin(2 * np.pi * t / 37.0)  # shared time-varying current, pA
    bt, bi = brian2_lif(currents, drive, dt, duration, p)
    lif = nd.neurons.LIF(n=len(currents), I_e=currents, **p)
    res = nd.simulate(lif, duration, dt, inputs=nd.inputs.array(drive, dt=dt), progress=False)
    s = res.spikes
    for j in range(len(currents)):
        ours, theirs = s.times[s.indices == j][:20], bt[bi == j][:20]
        assert len(ours) == len(theirs) >= 5
        np.testing.assert_allclose(ours, theirs, atol=dt / 2)
