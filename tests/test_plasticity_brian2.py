"""STDP on a small network against Brian2's ``Synapses`` (independent simulator).

The same Poisson input spike trains (on the dt grid), the same weight matrix, LIF neurons
with exponential current synapses, and the additive pair rule written as in Brian2's
documentation (event-driven traces ``apre``/``apost``; ``on_pre``: ``I += w; apre += dApre;
w = clip(w + apost, 0, wmax)``; ``on_post``: ``apost += dApost; w = clip(w + apre, 0, wmax)``).
neurodyn stamps a spike at the end of its step and Brian2 at the start, so every neurodyn
time is Brian2's plus one dt; the final weights must agree to 1e-5 (issue #15).
"""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.connectivity import ExpCurrent, WithSynapses, from_dense

b2 = pytest.importorskip("brian2")

DT, T = 0.1, 300.0
N_IN, N_POST = 40, 4
TAU_M, C_M, E_L, V_TH, I_E, TAU_S = 10.0, 250.0, -70.0, -55.0, 200.0, 5.0
TAU_PRE, TAU_POST, W_MAX = 20.0, 20.0, 80.0
A_PRE = 0.02 * W_MAX
A_POST = -1.05 * A_PRE


def _inputs(seed=0, rate=30.0):
    rng = np.random.default_rng(seed)
    steps = rng.random((int(T / DT) - 1, N_IN)) < rate * DT * 1e-3
    k, i = np.nonzero(steps)
    return k * DT, i  # Brian2's times: step starts


def _stdp_synapses(b2):
    """Brian2 ``Synapses`` arguments of the additive pair rule (weights in pA)."""
    ms, pA = b2.ms, b2.pA
    return dict(
        model="w : amp\ndapre/dt = -apre/taupre : amp (event-driven)\ndapost/dt = -apost/taupost : amp (event-driven)",
        on_pre="I_post += w\napre += dApre\nw = clip(w + apost, 0*amp, wmax)",
        on_post="apost += dApost\nw = clip(w + apre, 0*amp, wmax)",
        namespace=dict(taupre=TAU_PRE * ms, taupost=TAU_POST * ms, dApre=A_PRE * pA, dApost=A_POST * pA, wmax=W_MAX * pA),
    )


def _brian2(times, indices, W, synapses=_stdp_synapses):
    """Final weights (pA), postsynaptic spike times and indices of the network in Brian2;
    ``synapses(b2)`` gives the plastic ``Synapses``' model, on_pre (starting ``I_post += w``),
    on_post and namespace."""
    ms, mV, pA, pF = b2.ms, b2.mV, b2.pA, b2.pF
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    inp = b2.SpikeGeneratorGroup(N_IN, indices, times * ms)
    G = b2.NeuronGroup(
        N_POST, "dv/dt = (E_L - v)/tau_m + (I_e + I)/C_m : volt\ndI/dt = -I/tau_s : amp",
        threshold="v >= V_th", reset="v = E_L", method="exponential_euler",
        namespace=dict(E_L=E_L * mV, tau_m=TAU_M * ms, I_e=I_E * pA, C_m=C_M * pF, V_th=V_TH * mV, tau_s=TAU_S * ms),
    )
    G.v = E_L * mV
    S = b2.Synapses(inp, G, **synapses(b2))
    S.connect()
    S.w = W[S.i[:], S.j[:]] * pA
    mon = b2.SpikeMonitor(G)
    net = b2.Network(inp, G, S, mon)
    net.run(T * ms, namespace={})
    Wb = np.zeros((N_IN, N_POST))
    Wb[S.i[:], S.j[:]] = S.w[:] / pA
    return Wb, np.asarray(mon.t / ms), np.asarray(mon.i)


def _neurodyn(times, indices, W, rule=None):
    """The same network in neurodyn (``rule`` default: the additive pair rule above)."""
    src = nd.neurons.SpikeGenerator(N_IN, times=times + DT, indices=indices)
    post = WithSynapses(nd.neurons.LIF(n=N_POST, tau_m=TAU_M, C_m=C_M, E_L=E_L, V_th=V_TH, V_reset=E_L, t_ref=0.0, I_e=I_E),
                        {"exc": ExpCurrent(tau=TAU_S)})
    if rule is None:
        rule = nd.plasticity.STDP(tau_pre=TAU_PRE, tau_post=TAU_POST, A_pre=A_PRE, A_post=A_POST, w_min=0.0, w_max=W_MAX)
    net = nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", from_dense(W), plasticity=rule)], dt=DT)
    res = nd.simulate(net, T, DT, progress=False)
    pre, post_idx, w = net.weights(res.final_state, "In->E")
    Wn = np.zeros((N_IN, N_POST))
    Wn[pre, post_idx] = w
    return Wn, res["E"].spikes


def test_stdp_final_weights_equal_brian2(x64):
    times, indices = _inputs()
    W = np.random.default_rng(1).uniform(0.3, 0.7, (N_IN, N_POST)) * W_MAX
    Wb, tb, ib = _brian2(times, indices, W)
    Wn, spikes = _neurodyn(times, indices, W)
    assert tb.size > 20  # the postsynaptic neurons fired: both pathways of the rule ran
    np.testing.assert_allclose(np.sort(spikes.times - DT), np.sort(tb), atol=1e-9)  # the same spikes
    assert np.abs(Wb - W).max() > 1.0  # the weights moved
    np.testing.assert_allclose(Wn, Wb, atol=1e-5, rtol=0)
