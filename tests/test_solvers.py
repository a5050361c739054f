"""Convergence orders of the integrators on systems with known solutions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import neurodyn as nd

A = np.array([[-0.1, 1.0], [-1.0, -0.1]])  # damped rotation
Y0 = np.array([1.0, 0.0])
T = 4.0


def final_error(solver, dt):
    model = nd.ODE(lambda t, y, u: jnp.asarray(A) @ y, jnp.asarray(Y0))
    res = nd.simulate(model, duration=T, dt=dt, solver=solver, record=["y"], progress=False)
    exact = scipy.linalg.expm(A * T) @ Y0
    return np.max(np.abs(np.asarray(res.final_state.y) - exact))


@pytest.mark.parametrize("solver, order", [(nd.Euler(), 1.0), (nd.RK4(), 4.0), (nd.ExponentialEuler(), 1.0)])
def test_convergence_order(x64, solver, order):
    dts = [0.1, 0.05, 0.025]
    errors = [final_error(solver, dt) for dt in dts]
    slopes = np.diff(np.log(errors)) / np.diff(np.log(dts))
    assert np.all(np.abs(slopes - order) < 0.15), (errors, slopes)


def test_rk4_keeps_order_with_time_varying_input(x64):
    # dy/dt = -y + sin(t): RK4 sees the input at its stage times
    def run(dt):
        model = nd.ODE(lambda t, y, u: -y + u, jnp.zeros(1))
        res = nd.simulate(model, 5.0, dt, inputs=nd.inputs.function(jnp.sin), record=["y"], progress=False)
        return float(res.final_state.y[0])

    t = 5.0
    exact = 0.5 * (np.sin(t) - np.cos(t) + np.exp(-t))
    errors = [abs(run(dt) - exact) for dt in (0.2, 0.1, 0.05)]
    slopes = np.diff(np.log(errors)) / np.diff(np.log([0.2, 0.1, 0.05]))
    assert np.all(slopes > 3.7), slopes


def test_exponential_euler_exact_for_linear_decay(x64):
    model = nd.ODE(lambda t, y, u: -(y - 3.0) / 7.0, jnp.array([10.0, -4.0]))
    res = nd.simulate(model, 20.0, 2.0, solver=nd.ExponentialEuler(), progress=False)
    exact = 3.0 + (np.array([10.0, -4.0]) - 3.0) * np.exp(-20.0 / 7.0)
    np.testing.assert_allclose(np.asarray(res.final_state.y), exact, rtol=1e-12)


def test_euler_maruyama_ou_statistics(x64):
    # dy = -y/tau dt + sigma dW: stationary variance sigma^2 tau / 2, autocorrelation exp(-lag/tau)
    tau, sigma, n = 5.0, 0.4, 2000
    model = nd.ODE(lambda t, y, u: -y / tau, jnp.zeros(n), g=lambda t, y, u: sigma * jnp.ones_like(y))
    res = nd.simulate(model, 200.0, 0.05, record=["y"], record_every=20, key=jax.random.key(3), progress=False)
    y = np.asarray(res.traces["y"])[40:]  # drop the first 40 ms (8 tau)
    var = y.var()
    assert var == pytest.approx(sigma**2 * tau / 2, rel=0.05)
    lag = 5  # records of 1 ms
    rho = np.mean(y[lag:] * y[:-lag]) / var
    assert rho == pytest.approx(np.exp(-lag / tau), abs=0.03)


def test_intrinsic_noise_needs_euler_maruyama():
    model = nd.ODE(lambda t, y, u: -y, jnp.zeros(1), g=lambda t, y, u: jnp.ones_like(y))
    with pytest.raises(ValueError, match="needs EulerMaruyama, got RK4"):
        nd.simulate(model, 1.0, 0.1, solver=nd.RK4(), progress=False)
