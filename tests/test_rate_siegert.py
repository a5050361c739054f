"""Siegert rate of the LIF neuron: against scipy quadrature and against simulated LIF
populations (white-noise and Poisson input), and the spike-to-rate reduction."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erfcx as scipy_erfcx

import neurodyn as nd
from neurodyn.rate import Siegert, SynapticRateNetwork, lif_rate, siegert_rate
from neurodyn.rate._siegert import erfcx


def _reference(mu, sigma, tau=20.0, th=20.0, vr=10.0, tr=2.0):
    integral, _ = quad(lambda u: scipy_erfcx(-u), (vr - mu) / sigma, (th - mu) / sigma,
                       epsabs=0, epsrel=1e-12, limit=200)
    return 1000.0 / (tr + tau * np.sqrt(np.pi) * integral)


def test_siegert_matches_quadrature():
    with jax.enable_x64(True):
        for mu in [5.0, 15.0, 19.0, 25.0, 40.0]:
            for sigma in [0.5, 2.0, 5.0, 10.0]:
                ref = _reference(mu, sigma)
                got = float(siegert_rate(mu, sigma, tau_m=20.0, V_th=20.0, V_reset=10.0, t_ref=2.0))
                assert got == pytest.approx(ref, rel=1e-9, abs=1e-30), (mu, sigma)


def test_siegert_deterministic_limit():
    # sigma -> 0 above threshold: 1 / (t_ref + tau ln((mu - V_r) / (mu - V_th)))
    with jax.enable_x64(True):
        mu, tau = 30.0, 20.0
        exact = 1000.0 / (2.0 + tau * np.log((mu - 10.0) / (mu - 20.0)))
        got = float(siegert_rate(mu, 0.05, tau_m=tau, V_th=20.0, V_reset=10.0, t_ref=2.0))
        assert got == pytest.approx(exact, rel=1e-3)


def test_erfcx_has_no_holes():
    # jax.scipy.special.erfcx returns 0 near 9.3 (float32) and 26.6 (float64)
    for x64 in (False, True):
        with jax.enable_x64(x64):
            x = np.linspace(-5, 60, 5001)
            got = np.asarray(erfcx(jnp.asarray(x)), np.float64)
            ref = scipy_erfcx(np.asarray(jnp.asarray(x), np.float64))
            np.testing.assert_allclose(got, ref, rtol=1e-5 if not x64 else 1e-13)


LIF_PARAMS = dict(tau_m=10.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)


def test_siegert_predicts_simulated_lif_with_white_noise():
    """Brunel (2000) / Amit & Brunel (1997): Siegert within 10% of a simulated LIF population,
    over means below and above threshold and noise from 2.5 to 12.6 mV."""
    lif = nd.neurons.LIF(n=100, **LIF_PARAMS)
    means = jnp.array([300.0, 350.0, 380.0, 250.0, 450.0, 300.0, 200.0])
    sigmas = jnp.array([300.0, 500.0, 200.0, 800.0, 400.0, 1000.0, 1000.0])
    dt = 0.1

    def run(mean, sigma, key):
        res = nd.simulate(lif, 1000.0, dt, inputs=nd.inputs.white_noise(sigma, mean=mean), key=key,
                          record=["spikes"], progress=False)
        return res.rates().mean()

    sim = np.asarray(jax.jit(jax.vmap(run))(means, sigmas, jax.random.split(jax.random.key(0), 7)))
    pred = np.asarray(lif_rate(lif, means, sigmas, dt=dt))
    assert np.all(sim > 5.0)
    np.testing.assert_allclose(pred, sim, rtol=0.10)


def test_compare_lif_rate_with_poisson_input():
    lif = nd.neurons.LIF(n=50, I_e=200.0, **LIF_PARAMS)
    comp = nd.rate.compare_lif_rate(lif, [40.0, 60.0, 100.0], weight=200.0, n_sources=20,
                                    duration=1000.0, dt=0.1, fi_currents=np.linspace(0, 600, 7))
    np.testing.assert_allclose(comp.mean, 200.0 * 20 * np.array([40, 60, 100]) / 1000, rtol=1e-6)
    assert np.all(np.abs(comp.relative_error) < 0.10)
    assert comp.fi_curve.shape == (3,) and np.all(np.diff(comp.fi_curve) > 0)


def test_synaptic_rate_network_settles_on_siegert_self_consistency():
    # one excitatory population coupled to itself: the fixed point solves r = F(h + w r)
    with jax.enable_x64(True):
        F = Siegert(sigma=3.0, **LIF_PARAMS)
        w = 0.5   # pA per Hz
        net = SynapticRateNetwork(np.array([[w]]), tau_s=5.0, tau_r=10.0, F=F, h=340.0)
        res = nd.simulate(net, 500.0, 0.1, record=["r", "I"], progress=False)
        r_end = float(res.traces["r"][-1, 0])
        assert r_end == pytest.approx(float(F(340.0 + w * r_end)), rel=1e-6)
        assert float(res.traces["I"][-1, 0]) == pytest.approx(340.0 + w * r_end, rel=1e-6)


def test_siegert_transfer_from_lif_and_errors():
    lif = nd.neurons.LIF(n=3, I_e=50.0, **LIF_PARAMS)
    F = Siegert.from_lif(lif, 400.0)
    assert float(F(300.0)) == pytest.approx(float(lif_rate(lif, 300.0, 400.0)), rel=1e-6)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        Siegert(sigma=0.0)
    with pytest.raises(TypeError, match="F must be callable"):
        SynapticRateNetwork(np.eye(1), F=1.0)
