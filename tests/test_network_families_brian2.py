"""A network of AdEx and Izhikevich populations with exponential conductances against Brian2.

AdEx neurons (Brette & Gerstner 2005; Naud et al. 2008 "tonic" and "adapting" parameter
sets) excite, Izhikevich (2003) neurons inhibit; every neuron has an excitatory (E = 0 mV,
tau = 5 ms) and an inhibitory (E = -80 mV, tau = 10 ms) conductance channel. The
connectivity is one explicit weight matrix per projection (``from_dense`` here, the same
(i, j, w) in Brian2's ``Synapses``), with delay-free and delayed projections; constant
currents make every neuron fire (30-140 Hz). Same equations, dt and scheme (forward Euler,
Brian2's ``euler``): the first 20 spikes of every neuron fall in the same step. (Strongly
coupled variants of this network are chaotic: the two simulators' rounding differences
then grow about tenfold every 20 ms, so the comparison keeps to the first 300 ms.) Brian2 stamps a
spike at the start of its step, neurodyn at the end (+dt, see ``test_neurons_brian2.py``);
a delay d delivers in both at the end of the step that ends d after neurodyn's stamp.
"""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.connectivity import from_dense
from neurodyn.synapses import ConductanceSynapse, Exponential

b2 = pytest.importorskip("brian2")

DT, DURATION = 0.1, 300.0
N_A, N_B = 6, 4
TAU_E, TAU_I, E_E, E_I = 5.0, 10.0, 0.0, -80.0
DELAYS = {("A", "A"): 0.0, ("A", "B"): 1.0, ("B", "A"): 0.0, ("B", "B"): 0.5}  # ms


def _adex_parameters():
    """Per neuron: the tonic and adapting presets alternately, currents 800-1,100 pA."""
    pr = nd.neurons.AdEx.presets
    names = ["tonic" if j % 2 == 0 else "adapting" for j in range(N_A)]
    keys = ["C_m", "g_L", "E_L", "a", "tau_w", "b", "V_reset"]
    p = {k: np.array([pr[nm][k] for nm in names]) for k in keys}
    p["I_e"] = np.linspace(800.0, 1100.0, N_A)
    return p


def _izhikevich_parameters():
    pr = nd.neurons.Izhikevich.presets
    names = ["FS", "LTS", "FS", "LTS"]
    p = {k: np.array([pr[nm][k] for nm in names]) for k in "abcd"}
    p["I_e"] = np.linspace(8.0, 14.0, N_B)
    return p


def _weights(seed=3):
    """Sparse explicit weight matrices (nS): zeros where there is no synapse."""
    rng = np.random.default_rng(seed)
    n = {"A": N_A, "B": N_B}
    scale = {("A", "A"): 3.0, ("A", "B"): 0.04, ("B", "A"): 0.6, ("B", "B"): 0.03}  # Izhikevich: implied 1 pF
    W = {}
    for (pre, post), s in scale.items():
        w = s * rng.uniform(0.5, 1.5, (n[pre], n[post])) * (rng.random((n[pre], n[post])) < 0.6)
        if pre == post:
            np.fill_diagonal(w, 0.0)
        W[pre, post] = w
    return W


def _channels():
    return (ConductanceSynapse(Exponential(tau=TAU_E), E_rev=E_E, name="exc"),
            ConductanceSynapse(Exponential(tau=TAU_I), E_rev=E_I, name="inh"))


def _ours(W, coupled=True):
    pa, pb = _adex_parameters(), _izhikevich_parameters()
    A = nd.neurons.AdEx(n=N_A, V_T=-50.0, Delta_T=2.0, V_th=0.0, parts=_channels(), **pa)
    B = nd.neurons.Izhikevich(n=N_B, V_init=-70.0, parts=_channels(), **pb)
    projections = [nd.Projection(pre, post, from_dense(w), delay=DELAYS[pre, post], target="exc" if pre == "A" else "inh")
                   for (pre, post), w in W.items()] if coupled else []
    net = nd.Network({"A": A, "B": B}, projections, dt=DT)
    res = nd.simulate(net, DURATION, DT, progress=False)
    return {p: res[p].spikes for p in ("A", "B")}


def _brian2(W):
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = DT * b2.ms
    ms, mV, nS, pA, pF = b2.ms, b2.mV, b2.nS, b2.pA, b2.pF
    ns = dict(E_e=E_E * mV, E_i=E_I * mV, tau_e=TAU_E * ms, tau_i=TAU_I * ms)
    adex = """
    dv/dt = (-g_L*(v - E_L) + g_L*2*mV*exp((v + 50*mV)/(2*mV)) - w + I + g_e*(E_e - v) + g_i*(E_i - v)) / C_m : volt
    dw/dt = (a*(v - E_L) - w) / tau_w : amp
    dg_e/dt = -g_e / tau_e : siemens
    dg_i/dt = -g_i / tau_i : siemens
    C_m : farad
    g_L : siemens
    E_L : volt
    a : siemens
    tau_w : second
    b : amp
    V_reset : volt
    I : amp
    """
    izh = """
    dv/dt = (0.04*v**2 + 5*v + 140 - u + I + g_e*(E_e/mV - v) + g_i*(E_i/mV - v)) / ms : 1
    du/dt = a*(b*v - u) / ms : 1
    dg_e/dt = -g_e / tau_e : 1
    dg_i/dt = -g_i / tau_i : 1
    a : 1
    b : 1
    c : 1
    d : 1
    I : 1
    """
    pa, pb = _adex_parameters(), _izhikevich_parameters()
    A = b2.NeuronGroup(N_A, adex, threshold="v >= 0*mV", reset="v = V_reset; w += b", method="euler", namespace=ns)
    A.set_states(dict(C_m=pa["C_m"] * pF, g_L=pa["g_L"] * nS, E_L=pa["E_L"] * mV, a=pa["a"] * nS, tau_w=pa["tau_w"] * ms,
                      b=pa["b"] * pA, V_reset=pa["V_reset"] * mV, I=pa["I_e"] * pA, v=pa["E_L"] * mV))
    B = b2.NeuronGroup(N_B, izh, threshold="v >= 30", reset="v = c; u += d", method="euler", namespace=ns)
    B.set_states(dict(a=pb["a"], b=pb["b"], c=pb["c"], d=pb["d"], I=pb["I_e"], v=-70.0 * np.ones(N_B),
                      u=pb["b"] * -70.0))
    groups = {"A": A, "B": B}
    unit = {"A": nS, "B": 1}
    synapses = []
    for (pre, post), w in W.items():
        i, j = np.nonzero(w)
        var = "g_e" if pre == "A" else "g_i"
        S = b2.Synapses(groups[pre], groups[post], model="w_syn : " + ("siemens" if post == "A" else "1"),
                        on_pre=f"{var}_post += w_syn", delay=DELAYS[pre, post] * ms)
        S.connect(i=i, j=j)
        S.w_syn = w[i, j] * unit[post]
        synapses.append(S)
    mons = {p: b2.SpikeMonitor(g) for p, g in groups.items()}
    net = b2.Network(A, B, *synapses, *mons.values())
    net.run(DURATION * ms, namespace=ns)
    return {p: (np.asarray(m.t / ms) + DT, np.asarray(m.i)) for p, m in mons.items()}


def test_adex_and_izhikevich_network_matches_brian2(x64):
    W = _weights()
    ours, theirs = _ours(W), _brian2(W)
    alone = _ours(W, coupled=False)
    changed = 0
    for p, n in (("A", N_A), ("B", N_B)):
        bt, bi = theirs[p]
        s = ours[p]
        for j in range(n):
            mine, ref = s.times[s.indices == j][:20], bt[bi == j][:20]
            assert len(mine) == len(ref) == 20, (p, j, len(mine), len(ref))
            np.testing.assert_allclose(mine, ref, atol=DT / 2, err_msg=f"population {p}, neuron {j}")
            single = alone[p].times[alone[p].indices == j][:20]
            changed += len(single) != 20 or np.any(np.abs(single - mine) > DT / 2)
    assert changed >= (N_A + N_B) // 2  # the coupling moves the spikes: the comparison tests the synapses
