"""Every spiking neuron family as a network population, with every kind of synaptic channel.

A trigger neuron spikes once (stamped at t = dt); a projection with delay d delivers its
event at t_a = dt + d into neuron 0 of the receiving population (neuron 1 receives nothing
and is the control). The channel's recorded value must be the kernel's analytic time
course w k(t - t_a); the voltage must move as the channel's current says: a delta channel
jumps V by w at t_a, and over the first step after t_a the difference between the two
neurons is the charge of the channel over that step divided by the capacitance (to 2 %:
the neuron's own response within the step is of higher order in dt).
"""

import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.connectivity import from_dense
from neurodyn.synapses import Alpha, ConductanceSynapse, CurrentSynapse, Delta, DiffExp, Exponential

DT, DELAY, DURATION = 0.02, 0.4, 12.0


def _custom_lif(parts):
    return nd.neurons.Custom(n=2, init={"V_m": -70.0},
                             vector_field=lambda t, v, I: {"V_m": (-70.0 - v["V_m"]) / 10.0 + I / 250.0},
                             threshold=lambda v: v["V_m"] >= -55.0, reset=lambda v: {"V_m": jnp.full_like(v["V_m"], -70.0)},
                             C_m=250.0, parts=parts, taus={"tau": 10.0})


FAMILIES = {
    "LIF": lambda parts: nd.neurons.LIF(n=2, parts=parts),
    "AdaptiveLIF": lambda parts: nd.neurons.AdaptiveLIF(n=2, a=2.0, parts=parts),
    "ExpIF": lambda parts: nd.neurons.ExpIF(n=2, parts=parts),
    "AdEx": lambda parts: nd.neurons.AdEx(n=2, parts=parts),
    "QIF": lambda parts: nd.neurons.QIF(n=2, parts=parts),
    "Izhikevich": lambda parts: nd.neurons.Izhikevich.preset("RS", n=2, parts=parts),
    "HodgkinHuxley": lambda parts: nd.neurons.HodgkinHuxley(n=2, parts=parts),
    "TraubMiles": lambda parts: nd.neurons.TraubMiles(n=2, parts=parts),
    "WangBuzsaki": lambda parts: nd.neurons.WangBuzsaki(n=2, parts=parts),
    "TwoCompartment": lambda parts: nd.neurons.TwoCompartment(n=2, parts=parts),
    "Custom": _custom_lif,
}


def _peak_normalised(f):
    t = np.linspace(0.0, 40.0, 400001)
    return lambda s: f(s) / f(t).max()


# channel name -> (channel given the capacitance C of V_m, analytic kernel k(s), s >= 0)
KINDS = {
    "delta": (lambda C: CurrentSynapse(Delta(), name="delta"), None),
    "exp_current": (lambda C: CurrentSynapse(Exponential(tau=3.0), name="exp_current"), lambda s: np.exp(-s / 3.0)),
    "exp_conductance": (lambda C: ConductanceSynapse(Exponential(tau=5.0), E_rev=0.0, name="exp_conductance"),
                        lambda s: np.exp(-s / 5.0)),
    "alpha": (lambda C: CurrentSynapse(Alpha(tau=2.0), name="alpha"), lambda s: s / 2.0 * np.exp(1 - s / 2.0)),
    "diffexp": (lambda C: CurrentSynapse(DiffExp(tau_rise=1.0, tau_decay=6.0), name="diffexp"),
                _peak_normalised(lambda s: np.exp(-s / 6.0) - np.exp(-s))),
    "nmda": (lambda C: ConductanceSynapse(DiffExp(tau_rise=2.0, tau_decay=20.0), E_rev=0.0, mg=1.0, name="nmda"),
             _peak_normalised(lambda s: np.exp(-s / 20.0) - np.exp(-s / 2.0))),
}


def _weight(kind, C):
    """Small events: about 0.5 mV/ms at the peak (1 mV for delta), far below threshold."""
    if kind == "delta":
        return 1.0
    return 0.5 * C / (70.0 if "conductance" in kind or kind == "nmda" else 1.0)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_receives_every_kind_of_channel(family, x64):
    probe = FAMILIES[family](())
    C = float(np.asarray(probe.capacitance(probe.voltages[0])))
    volt = probe.voltages[0]
    parts = tuple(make(C) for make, _ in KINDS.values())
    post = FAMILIES[family](parts)
    assert post.synapse_targets == tuple(KINDS)
    trigger = nd.neurons.LIF(n=1, V_init=-50.0, V_th=-55.0)  # spikes in step 0, then rests
    weights = {k: _weight(k, C) for k in KINDS}
    pops = {"P": trigger, **{k: nd.Population(FAMILIES[family]((make(C),)), solver=nd.RK4()) for k, (make, _) in KINDS.items()}}
    projections = [nd.Projection("P", k, from_dense(np.array([[weights[k], 0.0]])), delay=DELAY, target=k) for k in KINDS]
    net = nd.Network(pops, projections, dt=DT)
    record = ["spikes", *[f"{k}.{volt}" for k in KINDS], *[f"{k}.{k}" for k in KINDS if k != "delta"]]
    res = nd.simulate(net, DURATION, DT, record=record, progress=False)
    np.testing.assert_allclose(res["P"].spikes.times, [DT])
    t = np.asarray(res.t)
    arrival = round((DT + DELAY) / DT)
    for kind, (make, kernel) in KINDS.items():
        V = np.asarray(res.traces[f"{kind}.{volt}"])
        w = weights[kind]
        if kernel is None:  # delta: the voltage jumps by w at t_a, nothing before
            assert np.all(V[:arrival, 0] == V[:arrival, 1])
            np.testing.assert_allclose(V[arrival, 0] - V[arrival, 1], w, rtol=1e-9)
            continue
        g = np.asarray(res.traces[f"{kind}.{kind}"])
        s = t - t[arrival]
        expected = np.where(s >= 0, w * kernel(np.maximum(s, 0.0)), 0.0)
        np.testing.assert_allclose(g[:, 0], expected, rtol=0, atol=1e-6 * w, err_msg=f"{family} {kind}")
        assert np.all(g[:, 1] == 0)
        # the first step after arrival: charge of the channel / C (drive (E - V) B(V) for conductances)
        channel = make(C)
        V_a = V[arrival, 1]
        drive = 1.0 if isinstance(channel, CurrentSynapse) else (channel.E_rev - V_a) * float(channel.block(V_a))
        fine = np.linspace(0.0, DT, 2001)
        charge = w * np.trapezoid(kernel(fine), fine) * drive
        np.testing.assert_allclose(V[arrival + 1, 0] - V[arrival + 1, 1], charge / C, rtol=0.02, err_msg=f"{family} {kind}")


def test_the_nmda_block_scales_the_conductance_current(x64):
    """At rest the Mg block lets through B(V) = 1 / (1 + [Mg]/3.57 e^{-0.062 V}) of the current."""
    V = -70.0
    blocked = ConductanceSynapse(DiffExp(2.0, 20.0), E_rev=0.0, mg=1.0)
    assert float(blocked.block(V)) == pytest.approx(1.0 / (1.0 + np.exp(0.062 * 70.0) / 3.57), rel=1e-12)
    assert ConductanceSynapse(DiffExp(2.0, 20.0), E_rev=0.0).block(V) == 1.0


def test_diffexp_has_one_jump_variable_and_peaks_at_the_weight(x64):
    k = DiffExp(tau_rise=1.5, tau_decay=9.0)
    s = k.jump(k.init(1, jnp.float64), 2.0)
    assert float(k.jump_variable(s)[0]) == 2.0 and float(k.value(s)[0]) == 0.0  # only x jumped
    tp = 1.5 * 9.0 / (9.0 - 1.5) * np.log(9.0 / 1.5)
    # g(t) = w eta (e^{-t/td} - e^{-t/tr}): its peak w at tp, through the linear system's exact solution
    eta = 1.0 / (np.exp(-tp / 9.0) - np.exp(-tp / 1.5))
    assert 2.0 * eta * (np.exp(-tp / 9.0) - np.exp(-tp / 1.5)) == pytest.approx(2.0)
    c = float(k._coupling())
    assert c == pytest.approx(eta * (9.0 - 1.5) / (1.5 * 9.0), rel=1e-12)


def test_unknown_channel_and_channel_less_populations_are_refused():
    lif = nd.neurons.LIF(n=2, parts=(CurrentSynapse(name="exc"),))
    with pytest.raises(ValueError, match=r"target: unknown synapse 'inh' of LIF; expected one of exc"):
        lif.receive(lif.init_state(), "inh", lambda x: x)
    with pytest.raises(ValueError, match=r"target 'exc' is not a synapse channel of 'B'; expected one of \(none: give"):
        nd.Network({"A": lif, "B": nd.neurons.AdEx(n=2)}, [nd.Projection("A", "B", from_dense(np.ones((2, 2))))])
