"""RateNetwork and the transfer functions: against analytic values, scipy's ODE solver,
the analysis module, and on bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import neurodyn as nd
from neurodyn.rate import (Linear, RateNetwork, ReLU, SaturatingLinear, Sigmoid, Tabulated, Tanh,
                           ThresholdPower)


@pytest.fixture(autouse=True, scope="module")
def _float64():
    with jax.enable_x64(True):
        yield


X = np.linspace(-3, 3, 13)


@pytest.mark.parametrize("F, expected", [
    (Linear(2.0), 2.0 * X),
    (ReLU(1.5, theta=0.5), 1.5 * np.maximum(X - 0.5, 0)),
    (ThresholdPower(k=0.3, n=2.0, theta=-1.0), 0.3 * np.maximum(X + 1.0, 0) ** 2),
    (Tanh(2.0, beta=0.5), 2.0 * np.tanh(0.5 * X)),
    (Sigmoid(r_max=50.0, beta=2.0, theta=1.0), 50.0 / (1 + np.exp(-2.0 * (X - 1.0)))),
    (SaturatingLinear(gain=2.0, theta=-1.0, r_max=3.0), np.clip(2.0 * (X + 1.0), 0, 3.0)),
    (Tabulated([-3.0, 0.0, 3.0], [0.0, 1.0, 4.0]), np.interp(X, [-3, 0, 3], [0, 1, 4])),
])
def test_transfer_functions_values(F, expected):
    np.testing.assert_allclose(np.asarray(F(jnp.asarray(X))), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(-50, 50), st.floats(0.1, 5), st.floats(-5, 5), st.floats(1, 100))
def test_sigmoid_and_saturating_stay_within_bounds(x, beta, theta, r_max):
    s = float(Sigmoid(r_max, beta, theta)(x))
    assert 0.0 <= s <= r_max
    sl = float(SaturatingLinear(beta, theta, r_max)(x))
    assert 0.0 <= sl <= r_max
    assert float(ThresholdPower(1.0, 2.0, theta)(x)) >= 0.0


def _ivp(f, y0, t):
    return solve_ivp(lambda s, y: f(s, y), (0, t[-1]), y0, t_eval=t, method="DOP853",
                     rtol=1e-12, atol=1e-12).y.T


def test_nonlinear_network_matches_ode_solver():
    rng = np.random.default_rng(0)
    n = 12
    W = rng.normal(size=(n, n)) * 1.5 / np.sqrt(n)
    h, r0 = rng.normal(size=n), rng.uniform(size=n)
    tau = rng.uniform(5, 15, size=n)
    F = Sigmoid(r_max=2.0, beta=1.5)
    net = RateNetwork(W, tau, F, h, r0=r0)
    res = nd.simulate(net, 40.0, 0.02, record=["r"], progress=False)
    ref = _ivp(lambda s, r: (-r + np.asarray(F(h + W @ r))) / tau, r0, np.asarray(res.t))
    np.testing.assert_allclose(np.asarray(res.traces["r"]), ref, rtol=0, atol=1e-9)


def test_current_form_matches_ode_solver():
    rng = np.random.default_rng(1)
    n = 10
    J = rng.normal(size=(n, n)) * 1.8 / np.sqrt(n)
    x0 = rng.normal(size=n)
    net = RateNetwork(J, 1.0, Tanh(), r0=x0, form="current")
    res = nd.simulate(net, 10.0, 0.002, record=["x"], progress=False)
    ref = _ivp(lambda s, x: -x + J @ np.tanh(x), x0, np.asarray(res.t))
    np.testing.assert_allclose(np.asarray(res.traces["x"]), ref, atol=1e-9)


def test_time_varying_h_in_model_equals_input_to_simulate():
    W = np.array([[0.2, -0.5], [0.4, 0.1]])
    steps = nd.inputs.steps([0.0, 10.0], [[1.0, 0.0], [0.0, 2.0]])
    fn = nd.inputs.function(lambda t: jnp.sin(t / 5.0))
    a = nd.simulate(RateNetwork(W, 5.0, ReLU(), h=steps + fn), 30.0, 0.05, record=["r"], progress=False)
    b = nd.simulate(RateNetwork(W, 5.0, ReLU()), 30.0, 0.05, inputs=[steps, fn], record=["r"],
                    progress=False)
    np.testing.assert_allclose(np.asarray(a.traces["r"]), np.asarray(b.traces["r"]), atol=1e-13)


def test_noise_input_linear_network_mean_is_steady_state():
    # Ornstein-Uhlenbeck input around h: the stationary mean rate is (I - W)^{-1} h
    W = np.array([[0.3, -0.2], [0.5, -0.4]])
    h = np.array([2.0, 1.0])
    net = RateNetwork(W, 10.0, Linear())
    res = nd.simulate(net, 4000.0, 0.1, inputs=nd.inputs.ornstein_uhlenbeck(h, 0.5, 5.0),
                      record=["r"], key=jax.random.key(3), progress=False)
    mean = np.asarray(res.traces["r"])[2000:].mean(0)
    np.testing.assert_allclose(mean, np.linalg.solve(np.eye(2) - W, h), atol=0.08)


def test_wilson_cowan_settles_on_the_stable_fixed_point():
    wc = RateNetwork.wilson_cowan(12.0, 10.0, 10.0, 2.0, tau_E=10.0, tau_I=5.0,
                                  F_E=Sigmoid(1.0, 1.0, 4.0), F_I=Sigmoid(1.0, 1.0, 3.7), h_E=1.0)
    res = nd.simulate(wc, 300.0, 0.05, record=["r", "r_E"], progress=False)
    end = np.asarray(res.traces["r"])[-1]
    np.testing.assert_allclose(np.asarray(res.traces["r_E"])[:, 0], np.asarray(res.traces["r"])[:, 0])
    fps = nd.analysis.dynamics.fixed_points(wc, bounds=[(0, 1), (0, 1)], n_starts=64)
    stable = fps.points[fps.stable]
    assert np.min(np.linalg.norm(stable - end, axis=1)) < 1e-6
    assert wc.split(res.traces["r"])["I"].shape == (6000, 1)


def test_populations_take_per_population_parameters():
    W = np.zeros((5, 5))
    net = RateNetwork(W, {"E": 10.0, "I": 5.0}, {"E": ReLU(), "I": Linear(2.0)},
                      {"E": 1.0, "I": -1.0}, populations={"E": 3, "I": 2})
    np.testing.assert_allclose(np.asarray(net.tau), [10, 10, 10, 5, 5])
    np.testing.assert_allclose(np.asarray(net.transfer(net.h)), [1, 1, 1, -2, -2])
    res = nd.simulate(net, 100.0, 0.1, record=["r_I"], progress=False)
    np.testing.assert_allclose(np.asarray(res.traces["r_I"])[-1], -2 * (1 - np.exp(-99.9 / 5)), rtol=1e-6)


def test_vmapped_sweep_equals_separate_runs():
    W = np.array([[0.5, -1.0], [1.0, -0.5]])
    net = RateNetwork(W, 10.0, ThresholdPower(0.04, 2.0))
    hs = jnp.linspace(0.0, 10.0, 4)

    def final(h):
        return nd.simulate(net.replace(h=h), 50.0, 0.1, record=["r"], progress=False).traces["r"][-1]

    batched = jax.vmap(final)(hs)
    for h, row in zip(hs, batched):
        np.testing.assert_allclose(np.asarray(row), np.asarray(final(float(h))), rtol=1e-12)


@pytest.mark.parametrize("args, kwargs, err, match", [
    ((np.ones((2, 3)), 10.0, ReLU()), {}, ValueError, "W must be a square matrix"),
    ((np.eye(3), np.ones(4), ReLU()), {}, ValueError, r"tau must be a scalar or have shape \(3,\)"),
    ((np.eye(3), -2.0, ReLU()), {}, ValueError, "tau must be > 0"),
    ((np.eye(3), 10.0, 3.0), {}, TypeError, "F must be callable"),
    ((np.eye(3), 10.0, None), {}, TypeError, "F must be callable"),
    ((np.eye(3), 10.0, ReLU(), np.ones(3) + 1j), {}, ValueError, "h must be real"),
    ((np.eye(3), 10.0, ReLU()), {"populations": {"E": 2, "I": 2}}, ValueError, "populations must add up"),
    ((np.eye(3), 10.0, ReLU()), {"form": "voltage"}, ValueError, "form must be"),
    ((np.eye(3), 10.0, ReLU(), nd.inputs.white_noise(1.0)), {}, ValueError, "noisy"),
])
def test_bad_input_raises_clear_error(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        RateNetwork(*args, **kwargs)


def test_bad_transfer_parameters():
    with pytest.raises(ValueError, match="beta must be > 0"):
        Sigmoid(beta=-1.0)
    with pytest.raises(ValueError, match="n must be > 0"):
        ThresholdPower(n=0.0)
    with pytest.raises(ValueError, match="w_EI must be >= 0"):
        RateNetwork.wilson_cowan(1.0, -1.0, 1.0, 1.0)


def test_rate_traces_figure_from_result():
    net = RateNetwork(np.array([[0.5]]), 10.0, ReLU(), 1.0)
    res = nd.simulate(net, 20.0, 0.1, record=["r"], progress=False)
    fig = nd.plot.rate_traces(res, labels=["unit 0"])
    (line,) = fig.axes[0].lines
    np.testing.assert_allclose(line.get_ydata(), np.asarray(res.traces["r"])[:, 0])
