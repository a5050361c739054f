"""Continuous-time (graded-response) Hopfield network through neurodyn.simulate (Hopfield 1984)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import inputs
from neurodyn.memory import ContinuousHopfield, Hopfield, corrupt, random_patterns


def test_lyapunov_energy_decreases_and_recalls(x64):
    xi = random_patterns(jax.random.key(0), 6, 120)
    net = Hopfield(xi).continuous(tau=10.0, gain=5.0).with_cue(corrupt(jax.random.key(1), xi[2], 0.2))
    res = nd.simulate(net, duration=150.0, dt=0.05, record=["u", "V"], progress=False)
    u = np.asarray(res.traces["u"])
    assert u.shape == (3000, 120)
    e = np.asarray(net.energy(u))
    assert np.all(np.diff(e) <= 1e-10 * (1 + np.abs(e[:-1])))
    assert e[-1] < e[0] - 1.0
    np.testing.assert_allclose(np.asarray(res.traces["V"]), np.tanh(5.0 * u), atol=1e-12)
    m = np.sign(u[-1]) @ np.asarray(xi).T / 120
    assert m[2] == 1.0


def test_energy_derivative_matches_dissipation(x64):
    """dE/dt = -tau sum_i g'(u_i) (du_i/dt)^2 along a trajectory, with constant input."""
    rng = np.random.default_rng(2)
    a = rng.normal(size=(8, 8)) / 3
    w = a + a.T
    drive = rng.normal(size=8) * 0.2
    net = ContinuousHopfield(w, tau=5.0, gain=2.0, bias=0.1, u0=rng.normal(size=8))
    u = net.u0
    dudt = np.asarray(net.vector_field(0.0, net.init_state(), jnp.asarray(drive)).u)
    g_prime = 2.0 * (1 - np.tanh(2.0 * np.asarray(u)) ** 2)
    expect = -5.0 * np.sum(g_prime * dudt**2)
    h = 1e-6
    de = (float(net.energy(u + h * dudt, drive)) - float(net.energy(u - h * dudt, drive))) / (2 * h)
    np.testing.assert_allclose(de, expect, rtol=1e-6)


def test_fixed_point_solves_the_steady_state_equation(x64):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(5, 5)) * 0.2
    w = a + a.T
    net = ContinuousHopfield(w, tau=2.0, gain=1.0, u0=rng.normal(size=5))
    res = nd.simulate(net, duration=200.0, dt=0.1, record=["u"], progress=False,
                      inputs=inputs.constant(0.3))
    u = np.asarray(res.traces["u"][-1])
    np.testing.assert_allclose(u, w @ np.tanh(u) + 0.3, atol=1e-8)


def test_bad_input():
    with pytest.raises(ValueError, match="tau \\(ms\\) must be a finite number > 0, got -1.0"):
        ContinuousHopfield(np.zeros((3, 3)), tau=-1.0)
    with pytest.raises(ValueError, match="gain must be a finite number > 0"):
        ContinuousHopfield(np.zeros((3, 3)), gain=0.0)
    with pytest.raises(ValueError, match="weights must be a square"):
        ContinuousHopfield(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"cue must have shape \(3,\)"):
        ContinuousHopfield(np.zeros((3, 3))).with_cue(np.ones(4))
    with pytest.raises(ValueError, match="dt"):
        nd.simulate(ContinuousHopfield(np.zeros((3, 3)), tau=0.5), duration=10.0, dt=1.0, progress=False)
