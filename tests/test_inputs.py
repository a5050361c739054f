"""Each input against what it should deliver, read through an integrator y' = u."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd


def integrate(inp, n=1, duration=100.0, dt=0.1, key=0, solver=None):
    """y(t) = integral of the input from 0 to t (forward Euler is exact for piecewise-constant u)."""
    model = nd.ODE(lambda t, y, u: u, jnp.zeros(n))
    return nd.simulate(model, duration, dt, inputs=inp, record=["y"], key=jax.random.key(key),
                       solver=solver or nd.Euler(), progress=False)


def test_constant_per_neuron(x64):
    res = integrate(nd.inputs.constant(jnp.array([1.0, -2.0])), n=2)
    np.testing.assert_allclose(res.final_state.y, [100.0, -200.0], rtol=1e-12)


def test_steps(x64):
    res = integrate(nd.inputs.steps([10.0, 50.0], [2.0, -1.0]))
    np.testing.assert_allclose(res.final_state.y, [2.0 * 40 - 1.0 * 50], rtol=1e-9)


def test_pulses(x64):
    res = integrate(nd.inputs.pulses(3.0, start=5.0, width=2.0, period=10.0, count=4))
    np.testing.assert_allclose(res.final_state.y, [3.0 * 2.0 * 4], rtol=1e-9)


def test_array_interpolation(x64):
    # linear ramp sampled every 10 ms: integral of t/10 over 100 ms = 500; RK4 integrates it exactly
    inp = nd.inputs.array(np.arange(11) * 1.0, dt=10.0)
    res = integrate(inp, solver=nd.RK4())
    np.testing.assert_allclose(res.final_state.y, [500.0], rtol=1e-9)
    per_neuron = nd.inputs.array(np.stack([np.ones(3), 2 * np.ones(3)], axis=1), times=[0.0, 50.0, 100.0])
    np.testing.assert_allclose(integrate(per_neuron, n=2).final_state.y, [100.0, 200.0], rtol=1e-9)


def test_function_of_time(x64):
    res = integrate(nd.inputs.function(lambda t: jnp.cos(t / 10.0)), solver=nd.RK4())
    np.testing.assert_allclose(res.final_state.y, [10 * np.sin(10.0)], atol=1e-8)


def test_poisson_mean_and_variance():
    # charge delivered = weight * N, N ~ Poisson(rate * T * n_sources)
    rate, n_src, weight, T = 50.0, 4, 2.0, 500.0
    res = integrate(nd.inputs.poisson(rate, weight, n_sources=n_src), n=500, duration=T)
    charge = np.asarray(res.final_state.y)
    lam = rate * n_src * T * 1e-3  # 100 spikes per neuron
    assert charge.mean() == pytest.approx(weight * lam, rel=0.02)
    assert charge.var() == pytest.approx(weight**2 * lam, rel=0.25)


def test_white_noise_is_a_wiener_process():
    sigma, T = 3.0, 50.0
    res = integrate(nd.inputs.white_noise(sigma, mean=1.0), n=5000, duration=T)
    y = np.asarray(res.final_state.y)
    assert y.mean() == pytest.approx(T, abs=4 * sigma * np.sqrt(T / 5000))
    assert y.var() == pytest.approx(sigma**2 * T, rel=0.06)


def test_ornstein_uhlenbeck_statistics():
    # read the current itself: y' = (u - y) / 0.1 with tau_y << tau would filter; instead record u via y' = u
    mean, sigma, tau = 5.0, 2.0, 10.0
    res = integrate(nd.inputs.ornstein_uhlenbeck(mean, sigma, tau), n=4000, duration=20.0)
    # integral of a stationary OU process over T: variance 2 sigma^2 tau (T - tau (1 - e^{-T/tau}))
    T = 20.0
    y = np.asarray(res.final_state.y)
    assert y.mean() == pytest.approx(mean * T, rel=0.02)
    expected_var = 2 * sigma**2 * tau * (T - tau * (1 - np.exp(-T / tau)))
    assert y.var() == pytest.approx(expected_var, rel=0.08)


def test_shared_noise_is_identical_across_neurons():
    res = integrate(nd.inputs.white_noise(1.0, shared=True), n=5, duration=10.0)
    y = np.asarray(res.final_state.y)
    assert np.all(y == y[0]) and y[0] != 0


def test_inputs_add():
    both = nd.inputs.constant(1.0) + nd.inputs.steps([50.0], [1.0])
    res = integrate([both, nd.inputs.constant(0.5)])
    np.testing.assert_allclose(res.final_state.y, [150.0 + 50.0], rtol=1e-5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nd.inputs.steps([5.0, 1.0], [1.0, 2.0]), "times must be a strictly increasing"),
        (lambda: nd.inputs.steps([1.0, 5.0], [1.0]), "values must have one entry per time"),
        (lambda: nd.inputs.ornstein_uhlenbeck(0.0, 1.0, -3.0), "tau must be > 0 ms, got -3.0"),
        (lambda: nd.inputs.white_noise(-1.0), "sigma must be >= 0"),
        (lambda: nd.inputs.array([1.0, 2.0]), "array input needs exactly one of dt"),
        (lambda: nd.inputs.function(3.0), "fn must be callable"),
    ],
)
def test_bad_inputs(make, message):
    with pytest.raises((ValueError, TypeError)) as err:
        make()
    assert message in str(err.value)


def test_dir_lists_only_the_public_inputs():
    import neurodyn as nd

    names = dir(nd.inputs)
    assert [n for n in names if n.startswith("_")] == []
    assert {"jnp", "np", "eqx", "jax", "Callable", "normal"}.isdisjoint(names)
    assert "ornstein_uhlenbeck" in names and "PoissonCurrent" in names
