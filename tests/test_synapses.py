"""Synapses: kernel time courses, receive(), shunting inhibition, Tsodyks–Markram."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn as nd
from neurodyn.synapses import Alpha, ConductanceSynapse, CurrentSynapse, Delta, DiffExp, Exponential


def _quiet_neuron(parts, n=1):
    """A leaky membrane that never fires (threshold far away), no adaptation."""
    return nd.neurons.AdaptiveLIF(n=n, C_m=200.0, g_L=10.0, E_L=-70.0, V_th=1e3, V_reset=-70.0, b=0.0, t_ref=0.0,
                                  parts=parts)


@pytest.mark.parametrize(
    "kernel, analytic",
    [
        (Exponential(tau=5.0), lambda t: np.exp(-t / 5.0)),
        (Alpha(tau=2.0), lambda t: t / 2.0 * np.exp(1 - t / 2.0)),
        (DiffExp(tau_rise=1.0, tau_decay=6.0),
         lambda t: (np.exp(-t / 6.0) - np.exp(-t)) / max(np.exp(-t / 6.0) - np.exp(-t) for t in np.linspace(0, 20, 200001))),
    ],
)
def test_kernel_time_course_after_receive(kernel, analytic, x64):
    """One event of weight w received into the state: the synaptic current is w k(t)."""
    neuron = _quiet_neuron((CurrentSynapse(kernel, name="ex"),))
    state = neuron.receive(neuron.init_state(), jnp.array([30.0]))
    res = nd.simulate(neuron, 20.0, 0.01, state=state, inputs={"I": nd.inputs.constant(0.0), "ex": nd.inputs.constant(0.0)},
                      record=["ex"], solver=nd.RK4(), progress=False)
    np.testing.assert_allclose(np.asarray(res.traces["ex"][:, 0]), 30.0 * analytic(np.asarray(res.t)), atol=1e-6 * 30)


def test_delta_synapse_jumps_the_voltage(x64):
    neuron = _quiet_neuron((CurrentSynapse(Delta(), name="d"),))
    state = neuron.receive(neuron.init_state(), {"d": jnp.array([2.5])})
    assert float(state.V_m[0]) == pytest.approx(-67.5)


def test_receive_rejects_unknown_synapse():
    neuron = _quiet_neuron((CurrentSynapse(name="ex"), CurrentSynapse(name="in")))
    with pytest.raises(ValueError, match="unknown synapse 'gaba'"):
        neuron.receive(neuron.init_state(), {"gaba": jnp.ones(1)})
    with pytest.raises(ValueError, match="must be a dict"):
        neuron.receive(neuron.init_state(), jnp.ones(1))


def test_conductance_synapse_reversal(x64):
    """A conductance drives V towards E_rev: steady state (g_L E_L + g E)/(g_L + g)."""
    g = 10.0  # nS held by a constant input x = g / tau into the kernel
    syn = ConductanceSynapse(Exponential(tau=5.0), E_rev=0.0, name="ex")
    neuron = _quiet_neuron((syn,))
    res = nd.simulate(neuron, 300.0, 0.1, inputs={"I": nd.inputs.constant(0.0), "ex": nd.inputs.constant(g / 5.0)},
                      record=["V_m", "ex"], progress=False)
    assert float(res.traces["ex"][-1, 0]) == pytest.approx(g, rel=1e-6)
    assert float(res.traces["V_m"][-1, 0]) == pytest.approx((10.0 * -70.0 + g * 0.0) / (10.0 + g), abs=1e-4)


def test_shunting_inhibition_is_divisive(x64):
    """Steady-state depolarisation by excitatory currents I under inhibitory conductances g
    with E_inh = E_L: fitting R(I, g) = R0(I) / (1 + k g) leaves a far smaller residual than
    R(I, g) = R0(I) - c g (Holt & Koch 1997 for the subthreshold response)."""
    currents = np.array([50.0, 100.0, 200.0, 300.0])
    gs = np.array([0.0, 5.0, 10.0, 20.0, 40.0])
    I, G = np.meshgrid(currents, gs, indexing="ij")
    n = I.size
    inh = ConductanceSynapse(Exponential(tau=10.0), E_rev=-70.0, name="in")
    neuron = _quiet_neuron((inh,), n=n).replace(I_e=jnp.asarray(I.ravel()))
    res = nd.simulate(neuron, 400.0, 0.1, inputs={"I": nd.inputs.constant(0.0), "in": nd.inputs.constant(jnp.asarray(G.ravel()) / 10.0)},
                      record=["V_m"], progress=False)
    R = (np.asarray(res.traces["V_m"][-1]) + 70.0).reshape(I.shape)
    R0 = R[:, :1]
    # divisive: one k for the whole table (least squares on R0/R - 1 = k g)
    y = (R0 / R - 1.0).ravel()
    k = np.sum(y * G.ravel()) / np.sum(G.ravel() ** 2)
    div_res = np.sum((R - R0 / (1 + k * G)) ** 2)
    c = np.sum((R0 - R) * G) / np.sum(G**2)
    sub_res = np.sum((R - (R0 - c * G)) ** 2)
    assert k == pytest.approx(1 / 10.0, rel=1e-3)  # = 1/g_L: exactly divisive
    assert div_res < 1e-6 * sub_res


def _tm_recursion(U, tau_F, tau_D, isi, count):
    """Analytic recursion (Tsodyks, Pawelzik & Markram 1998) for a regular train."""
    u, x, out = U, 1.0, []
    for _ in range(count):
        out.append(u * x)
        u_next = U + u * (1 - U) * np.exp(-isi / tau_F)
        x = 1 + (x - u * x - 1) * np.exp(-isi / tau_D)
        u = u_next
    return np.array(out)


@pytest.mark.parametrize("U, tau_F, tau_D, rate", [(0.5, 20.0, 500.0, 20.0), (0.1, 500.0, 50.0, 40.0), (0.3, 100.0, 200.0, 50.0)])
def test_tsodyks_markram_matches_recursion(U, tau_F, tau_D, rate, x64):
    dt, count = 0.1, 15
    every = round(1000.0 / rate / dt)
    stp = nd.synapses.TsodyksMarkram(n=1, U=U, tau_F=tau_F, tau_D=tau_D)
    spikes = (np.arange(count * every) % every == 0)[:, None]
    _, r = jax.lax.scan(lambda s, sp: stp.step(s, sp, dt), stp.init_state(), jnp.asarray(spikes))
    eff = np.asarray(r[spikes[:, 0], 0])
    np.testing.assert_allclose(eff, _tm_recursion(U, tau_F, tau_D, every * dt, count), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(U=st.floats(0.01, 1.0), tau_F=st.floats(1.0, 1000.0), tau_D=st.floats(1.0, 1000.0),
       pattern=st.lists(st.booleans(), min_size=1, max_size=60))
def test_tsodyks_markram_invariants(U, tau_F, tau_D, pattern):
    """0 <= u <= 1, 0 <= x <= 1, and every release is at most the available resources."""
    stp = nd.synapses.TsodyksMarkram(n=1, U=U, tau_F=tau_F, tau_D=tau_D)
    s = stp.init_state()
    _, (u, x, r, x_avail) = jax.lax.scan(
        lambda s, p: (lambda s2, r: (s2, (s2.u, s2.x, r, s2.x + r)))(*stp.step(s, p, 1.0)), s,
        jnp.asarray(pattern)[:, None])
    u, x, r, x_avail = map(np.asarray, (u, x, r, x_avail))
    assert np.all(r >= 0) and np.all(r <= x_avail + 1e-6)  # release <= resources available at the spike
    assert np.all((u >= -1e-6) & (u <= 1 + 1e-6)) and np.all((x >= -1e-6) & (x <= 1 + 1e-6))


def test_stp_rejects_bad_U():
    with pytest.raises(ValueError, match="U must be <= 1, got 1.5"):
        nd.synapses.TsodyksMarkram(n=1, U=1.5)


def test_receive_targets_the_dendrite(x64):
    """Spikes delivered to the two-compartment neuron's NMDA channel act on V_d first."""
    cell = nd.neurons.TwoCompartment(n=2)
    state = cell.receive(cell.init_state(), {"nmda": jnp.array([0.0, 30.0])})
    res = nd.simulate(cell, 5.0, 0.1, state=state, record=["V_m", "V_d", "nmda"], progress=False)
    Vd, Vm = np.asarray(res.traces["V_d"]), np.asarray(res.traces["V_m"])
    assert np.all(Vd[:, 0] == -70.0) and Vd[-1, 1] > -69.0  # only the neuron that received moves
    assert Vd[-1, 1] - (-70.0) > 2 * (Vm[-1, 1] - (-70.0)) > 0  # the dendrite leads, the soma follows
