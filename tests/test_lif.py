"""LIF neuron against its analytic solution (and Brian2 in test_brian2.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd

PARAMS = dict(tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)


def analytic_isi(I, tau_m, C_m, E_L, V_th, t_ref, **_):
    R = tau_m / C_m  # GΩ
    return t_ref + tau_m * np.log(R * I / (R * I - (V_th - E_L)))


@pytest.mark.parametrize("I", [200.0, 250.0, 400.0, 800.0])
def test_isi_matches_analytic(x64, I):
    dt = 0.01
    lif = nd.neurons.LIF(n=1, I_e=I, **PARAMS)
    res = nd.simulate(lif, duration=300.0, dt=dt, progress=False)
    isi = np.diff(res.spikes.times)
    expected = analytic_isi(I, **PARAMS)
    assert len(isi) >= 3
    # the threshold is detected on the time grid: each ISI is within one step of the analytic value
    np.testing.assert_allclose(isi, expected, atol=dt + 1e-9)
    assert abs(isi.mean() - expected) / expected < 0.005


def test_isi_several_currents_in_one_population(x64):
    currents = jnp.array([190.0, 300.0, 500.0, 1000.0])
    lif = nd.neurons.LIF(n=4, I_e=currents, **PARAMS)
    res = nd.simulate(lif, duration=400.0, dt=0.01, progress=False)
    s = res.spikes
    for j, I in enumerate(np.asarray(currents)):
        isi = np.diff(s.times[s.indices == j])
        assert abs(isi.mean() - analytic_isi(I, **PARAMS)) / analytic_isi(I, **PARAMS) < 0.005


def test_subthreshold_is_exact(x64):
    I = 150.0  # rheobase is 187.5 pA
    lif = nd.neurons.LIF(n=1, I_e=I, **PARAMS)
    res = nd.simulate(lif, duration=200.0, dt=0.1, record=["V_m"], progress=False)
    t = np.asarray(res.t)
    R = PARAMS["tau_m"] / PARAMS["C_m"]
    exact = PARAMS["E_L"] + R * I * (1 - np.exp(-t / PARAMS["tau_m"]))
    np.testing.assert_allclose(np.asarray(res.traces["V_m"][:, 0]), exact, atol=1e-4, rtol=0)


def test_no_spikes_below_rheobase():
    lif = nd.neurons.LIF(n=3, I_e=jnp.array([0.0, 100.0, 187.0]), **PARAMS)
    assert float(lif.rheobase) == pytest.approx(187.5)
    res = nd.simulate(lif, duration=500.0, dt=0.1, progress=False)
    assert res.spikes.times.size == 0
    assert np.all(np.asarray(res.rates()) == 0)


def test_refractory_clamp_and_reset(x64):
    dt = 0.1
    lif = nd.neurons.LIF(n=1, I_e=2000.0, **PARAMS)
    res = nd.simulate(lif, duration=30.0, dt=dt, record=["V_m", "spikes"], progress=False)
    t_spike = res.spikes.times[0]
    V = np.asarray(res.traces["V_m"][:, 0])
    t = np.asarray(res.t)
    during = (t >= t_spike - 1e-9) & (t < t_spike + PARAMS["t_ref"] - 1e-9)
    assert during.sum() == round(PARAMS["t_ref"] / dt)
    np.testing.assert_array_equal(V[during], PARAMS["V_reset"])
    assert V[np.argmax(t >= t_spike + PARAMS["t_ref"] + dt - 1e-9)] > PARAMS["V_reset"]
    assert np.all(V < PARAMS["V_th"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(tau_m=-5.0), "tau_m must be > 0 ms, got -5.0"),
        (dict(C_m=0.0), "C_m must be > 0 pF, got 0.0"),
        (dict(t_ref=-1.0), "t_ref must be >= 0 ms"),
        (dict(V_reset=-40.0), "V_reset must be below V_th"),
        (dict(tau_m=jnp.ones(3)), "tau_m must be a scalar or have shape (5,), got shape (3,)"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError) as err:
        nd.neurons.LIF(n=5, **kwargs)
    assert message in str(err.value)


def test_unknown_parameter_in_replace():
    with pytest.raises(TypeError, match="LIF has no parameter 'tau'; expected one of"):
        nd.neurons.LIF(n=1).replace(tau=3.0)


def test_dt_larger_than_tau_is_refused():
    with pytest.raises(ValueError, match=r"dt=2.0 ms is larger than the time constant tau_m=1.0 ms"):
        nd.simulate(nd.neurons.LIF(n=1, tau_m=1.0), duration=10.0, dt=2.0, progress=False)
