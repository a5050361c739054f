"""LinearRateNetwork: exact solutions against analytic formulas and an independent ODE solver."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import neurodyn as nd
from neurodyn.rate import LinearRateNetwork


@pytest.fixture(autouse=True, scope="module")
def _float64():
    """Analytic comparisons run in float64."""
    with jax.enable_x64(True):
        yield


def _reference(W, tau, h_fn, r0, t):
    """scipy DOP853 at tight tolerances: an independent solution of tau dr/dt = -r + h + W r."""
    sol = solve_ivp(lambda s, r: (-r + h_fn(s) + W @ r) / tau, (0.0, t[-1]), r0, t_eval=t,
                    method="DOP853", rtol=1e-12, atol=1e-12)
    return sol.y.T


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b))


def _random_W(n, seed, symmetric, scale=0.9):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n)) / np.sqrt(n)
    if symmetric:
        M = (M + M.T) / np.sqrt(2)
    return scale * M / max(1.0, np.abs(np.linalg.eigvals(M)).max()), rng


@pytest.mark.parametrize("symmetric", [True, False])
def test_solve_constant_input_matches_ode_solver(symmetric):
    W, rng = _random_W(12, 1 if symmetric else 2, symmetric)
    h, r0, tau = rng.normal(size=12), rng.normal(size=12), 8.0
    t = np.linspace(0, 80, 17)
    ref = _reference(W, tau, lambda s: h, r0, t)
    lin = LinearRateNetwork(W, tau, h)
    methods = ["modes", "eig", "expm"] if symmetric else ["eig", "expm"]
    for m in methods + ["auto"]:
        assert _rel(lin.solve(t, r0, method=m), ref) < 1e-9, m


@pytest.mark.parametrize("symmetric", [True, False])
def test_solve_time_varying_input_matches_ode_solver(symmetric):
    W, rng = _random_W(10, 3, symmetric)
    a, b = rng.normal(size=10), rng.normal(size=10)
    h_fn = lambda s: a * jnp.sin(2 * jnp.pi * s / 23.0) + b * jnp.exp(-s / 30.0)
    r0, tau = rng.normal(size=10), 5.0
    t = np.linspace(0, 60, 13)
    ref = _reference(W, tau, lambda s: np.asarray(h_fn(s)), r0, t)
    out = LinearRateNetwork(W, tau).solve(t, r0, h=h_fn)
    assert _rel(out, ref) < 1e-9


def test_piecewise_constant_input_with_breakpoints():
    # a step of height 2 at t = 7.3 ms into one unit with W = 0: r = 2 (1 - exp(-(t - 7.3)/tau))
    lin = LinearRateNetwork(np.zeros((1, 1)), tau=4.0)
    h = lambda s: jnp.where(s >= 7.3, 2.0, 0.0)
    t = np.array([0.0, 5.0, 7.3, 10.0, 20.0])
    out = np.asarray(lin.solve(t, 0.0, h=h, breakpoints=[7.3]))[:, 0]
    exact = np.where(t >= 7.3, 2 * (1 - np.exp(-(t - 7.3) / 4.0)), 0.0)
    np.testing.assert_allclose(out, exact, atol=1e-12)


def test_mode_relaxes_with_effective_time_constant_to_amplified_input():
    # symmetric W with known eigenvectors; input along mode nu relaxes to g/(1-lam) with tau/(1-lam)
    rng = np.random.default_rng(4)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    lam = np.array([0.95, 0.5, 0.0, -0.5, -2.0])
    W = Q @ np.diag(lam) @ Q.T
    tau = 10.0
    for nu in range(5):
        g = 1.7
        lin = LinearRateNetwork(W, tau, g * Q[:, nu])
        t = np.array([0.0, 3.0, 30.0, 300.0])
        c = np.asarray(lin.solve(t, 0.0)) @ Q[:, nu]
        exact = g / (1 - lam[nu]) * (1 - np.exp(-t * (1 - lam[nu]) / tau))
        np.testing.assert_allclose(c, exact, rtol=1e-10, atol=1e-12)
    modes = LinearRateNetwork(W, tau).eigenmodes()
    np.testing.assert_allclose(np.asarray(modes.values), lam, atol=1e-12)
    np.testing.assert_allclose(np.asarray(modes.vectors.T @ modes.vectors), np.eye(5), atol=1e-12)


def test_defective_jordan_block_exact():
    # W = I + N with N nilpotent: A = N / tau, exp(A t) = I + N t / tau (a defective lambda = 1)
    tau = 3.0
    W = np.array([[1.0, 1.0], [0.0, 1.0]])
    h = np.array([0.4, -0.2])
    r0 = np.array([1.0, 2.0])
    t = np.linspace(0, 10, 6)
    out = np.asarray(LinearRateNetwork(W, tau, h).solve(t, r0))
    r2 = r0[1] + h[1] * t / tau
    r1 = r0[0] + (r0[1] * t + h[1] * t**2 / (2 * tau)) / tau + h[0] * t / tau
    np.testing.assert_allclose(out, np.stack([r1, r2], 1), rtol=1e-12, atol=1e-12)
    reg = LinearRateNetwork(W, tau).regimes()
    assert reg.verdict == "integrating"
    assert reg.labels == ["integrating", "integrating"]


def test_non_normal_balanced_pair_transient_amplification():
    # Balanced E-I pair (Murphy & Miller 2009): W = w [[1, -1], [1, -1]] is nilpotent, both
    # eigenvalues 0, yet a difference mode feeds the sum mode: exp(At) = e^{-t/tau}(I + W t/tau).
    w, tau = 8.0, 10.0
    W = w * np.array([[1.0, -1.0], [1.0, -1.0]])
    r0 = np.array([1.0, 0.0])
    t = np.linspace(0, 60, 31)
    out = np.asarray(LinearRateNetwork(W, tau).solve(t, r0))
    exact = np.exp(-t / tau)[:, None] * (r0[None] + (W @ r0)[None] * t[:, None] / tau)
    np.testing.assert_allclose(out, exact, rtol=1e-11, atol=1e-13)
    norm = np.linalg.norm(out, axis=1)
    assert norm.max() > 2.5 * norm[0]          # w/e ~ 2.9x transient growth
    reg = LinearRateNetwork(W, tau).regimes()
    assert reg.verdict == "stable" and all(m.regime == "amplifying" for m in reg.modes)


def test_perfect_integrator_integrates_input():
    # one mode with lambda = 1 (line attractor along e): c(t) = (1/tau) int_0^t s(u) du
    e = np.array([1.0, 1.0, 1.0]) / np.sqrt(3)
    f = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    W = np.outer(e, e) + 0.3 * np.outer(f, f)
    tau, om = 10.0, 2 * np.pi / 50.0
    h = lambda s: e * jnp.sin(om * s)
    t = np.linspace(0, 100, 11)
    c = np.asarray(LinearRateNetwork(W, tau).solve(t, 0.0, h=h)) @ e
    np.testing.assert_allclose(c, (1 - np.cos(om * t)) / (om * tau), atol=1e-11)


def test_divergence_growth_rate_set_by_eigenvalue():
    lam, tau = 1.4, 10.0
    lin = LinearRateNetwork(np.array([[lam]]), tau)
    t = np.array([0.0, 50.0, 100.0])
    r = np.asarray(lin.solve(t, 1.0))[:, 0]
    np.testing.assert_allclose(np.log(r[2] / r[1]) / 50.0, (lam - 1) / tau, rtol=1e-12)
    m = lin.regimes().modes[0]
    assert m.regime == "diverging" and np.isclose(m.time_constant, tau / (lam - 1))


def _with_eigenvalues(lams, seed):
    rng = np.random.default_rng(seed)
    n = len(lams)
    V = rng.normal(size=(n, n)) + 3 * np.eye(n)
    return V @ np.diag(lams) @ np.linalg.inv(V)


@pytest.mark.parametrize("lams, verdict", [
    ([0.5, -1.0, 0.9], "stable"),
    ([0.5, 1.0, 0.2], "integrating"),
    ([0.5, 1.0, 1.3], "diverging"),
    ([1.5, 0.2, -3.0], "diverging"),
])
def test_regimes_verdicts_for_known_eigenvalues(lams, verdict):
    reg = LinearRateNetwork(_with_eigenvalues(lams, 5), tau=10.0).regimes()
    assert reg.verdict == verdict
    expected = sorted(lams, reverse=True)
    np.testing.assert_allclose(reg.eigenvalues.real, expected, atol=1e-9)
    for m, l in zip(reg.modes, expected):
        if l < 1:
            assert m.regime == "amplifying" and np.isclose(m.gain, 1 / (1 - l))
            assert np.isclose(m.time_constant, 10.0 / (1 - l))
        elif l == 1:
            assert m.regime == "integrating" and np.isinf(m.time_constant)
        else:
            assert m.regime == "diverging" and np.isclose(m.time_constant, 10.0 / (l - 1))


def test_regimes_oscillating_modes():
    # rotation-scaling block: eigenvalues a +- i b
    for a, verdict in [(0.5, "stable"), (1.0, "oscillating"), (1.2, "diverging")]:
        W = np.array([[a, -0.7], [0.7, a]])
        reg = LinearRateNetwork(W, tau=10.0).regimes()
        assert reg.labels == ["oscillating", "oscillating"]
        assert reg.verdict == verdict
        assert np.isclose(reg.modes[0].period, 2 * np.pi * 10.0 / 0.7)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3.0, 3.0).filter(lambda x: abs(x - 1.0) > 1e-2), min_size=1, max_size=5),
       st.integers(0, 2))
def test_regimes_property_counts(lams, n_unit):
    lams = list(lams) + [1.0] * n_unit
    reg = LinearRateNetwork(_with_eigenvalues(lams, 7), tau=2.0).regimes()
    assert reg.count("diverging") == sum(l > 1 for l in lams)
    assert reg.count("integrating") == n_unit
    assert reg.count("amplifying") == sum(l < 1 for l in lams)
    if any(l > 1 for l in lams):
        assert reg.verdict == "diverging"
    elif n_unit:
        assert reg.verdict == "integrating"
    else:
        assert reg.verdict == "stable"


@pytest.mark.parametrize("symmetric", [True, False])
def test_steady_state_is_inverse_and_long_time_limit(symmetric):
    W, rng = _random_W(15, 8, symmetric, scale=0.8)
    h = rng.normal(size=15)
    lin = LinearRateNetwork(W, 10.0, h)
    ss = np.asarray(lin.steady_state())
    np.testing.assert_allclose(ss, np.linalg.inv(np.eye(15) - W) @ h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(lin.solve(5000.0, rng.normal(size=15))), ss, atol=1e-9)


def test_steady_state_integrating_raises_and_diverging_warns():
    with pytest.raises(ValueError, match="eigenvalue at 1"):
        LinearRateNetwork(np.eye(2), 10.0, 1.0).steady_state()
    with pytest.warns(RuntimeWarning, match="unstable"):
        LinearRateNetwork(2 * np.eye(2), 10.0, 1.0).steady_state()


def test_per_unit_tau_matches_ode_solver():
    W, rng = _random_W(6, 9, False)
    tau = rng.uniform(2, 20, size=6)
    h, r0 = rng.normal(size=6), rng.normal(size=6)
    t = np.linspace(0, 50, 11)
    ref = _reference(W, tau, lambda s: h, r0, t)
    assert _rel(LinearRateNetwork(W, tau, h).solve(t, r0), ref) < 1e-9
    with pytest.raises(ValueError, match="one tau shared"):
        LinearRateNetwork(W, tau).regimes()


@pytest.mark.parametrize("kwargs, match", [
    (dict(W=np.ones((2, 3))), "W must be a square matrix"),
    (dict(W=np.ones((3,))), "W must be a square matrix"),
    (dict(W=np.eye(3), tau=np.ones(2)), r"tau must be a scalar or have shape \(3,\)"),
    (dict(W=np.eye(3), tau=-1.0), "tau must be > 0"),
    (dict(W=np.eye(3), h=np.ones(3) * 1j), "h must be real"),
    (dict(W=np.eye(3) * (1 + 1j)), "W must be real"),
    (dict(W=np.eye(3), h=np.ones(4)), r"h must be a scalar or have shape \(3,\)"),
])
def test_bad_input_raises_clear_error(kwargs, match):
    W = kwargs.pop("W")
    with pytest.raises((ValueError, TypeError), match=match):
        LinearRateNetwork(W, **kwargs)


# -- agreement with the engine: simulate (RK4, small dt) against the exact solution -------
@pytest.mark.parametrize("symmetric", [True, False])
def test_solve_agrees_with_simulate_constant_input(symmetric):
    W, rng = _random_W(10, 11 if symmetric else 12, symmetric)
    h, r0 = rng.normal(size=10), rng.normal(size=10)
    lin = LinearRateNetwork(W, 10.0, h, r0=r0)
    res = nd.simulate(lin, 50.0, 0.02, record=["r"], progress=False)
    assert res.traces["r"].dtype == np.float64
    assert _rel(lin.solve(res.t), np.asarray(res.traces["r"])) < 1e-6
    # the same network as a RateNetwork with a linear transfer function
    net = nd.rate.RateNetwork(W, 10.0, nd.rate.Linear(), h, r0=r0)
    res2 = nd.simulate(net, 50.0, 0.02, record=["r"], progress=False)
    assert _rel(lin.solve(res2.t), np.asarray(res2.traces["r"])) < 1e-6


@pytest.mark.parametrize("symmetric", [True, False])
def test_solve_agrees_with_simulate_time_varying_input(symmetric):
    W, rng = _random_W(8, 13 if symmetric else 14, symmetric)
    a, r0 = rng.normal(size=8), rng.normal(size=8)
    inp = nd.inputs.function(lambda t: a * jnp.sin(t / 6.0)) + nd.inputs.array(
        np.cos(np.arange(501) * 0.05), dt=0.1)
    lin = LinearRateNetwork(W, 10.0, r0=r0)
    res = nd.simulate(lin, 50.0, 0.02, inputs=inp, record=["r"], progress=False)
    exact = lin.solve(res.t, h=inp)       # TimedArray kinks are breakpoints of the quadrature
    assert _rel(exact, np.asarray(res.traces["r"])) < 1e-6
    # the input may also live in the model as its h
    assert _rel(lin.replace(h=inp).solve(res.t), np.asarray(res.traces["r"])) < 1e-6


def test_noisy_input_is_refused_as_h():
    with pytest.raises(ValueError, match="noisy"):
        LinearRateNetwork(np.eye(2) * 0.5, 10.0, h=nd.inputs.white_noise(1.0))
