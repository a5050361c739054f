"""neurodyn.analysis.dynamics: fixed points, stability, phase planes, continuation,
Lyapunov exponents and random-matrix spectra, against analytic results."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

import neurodyn as nd
from neurodyn.analysis import dynamics as dyn
from neurodyn.rate import RateNetwork, SaturatingLinear, Sigmoid, Tanh


@pytest.fixture(autouse=True, scope="module")
def _float64():
    with jax.enable_x64(True):
        yield


def _match(found, expected, atol):
    """Every expected point is found once, and nothing else is found."""
    found = np.asarray(found)
    assert len(found) == len(expected), (found, expected)
    for e in expected:
        assert np.min(np.max(np.abs(found - np.asarray(e)), axis=1)) < atol, (e, found)


@pytest.mark.parametrize("eigs, label", [
    ([-1.0, -2.0], "stable node"),
    ([1.0, 2.0], "unstable node"),
    ([-1.0, 2.0], "saddle"),
    ([-1 + 2j, -1 - 2j], "stable focus"),
    ([0.5 + 1j, 0.5 - 1j], "unstable focus"),
    ([2j, -2j], "center"),
    ([0.0, -1.0], "non-hyperbolic"),
    ([-1 + 1j, -1 - 1j, 0.5], "saddle"),
])
def test_classify(eigs, label):
    assert dyn.classify(eigs) == label


def test_cubic_fixed_points():
    fp = dyn.fixed_points(lambda x: x - x**3, bounds=(-2, 2))
    _match(fp.points, [[-1.0], [0.0], [1.0]], 1e-10)
    assert fp.labels == ("stable node", "unstable node", "stable node")
    np.testing.assert_allclose(fp.eigenvalues.real.ravel(), [-2.0, 1.0, -2.0], atol=1e-9)


def test_bistable_sigmoid_rate_unit():
    # tau dr/dt = -r + F(8 r - 4): r = 1/2 exactly (F(0) = 1/2) and a symmetric pair r*, 1 - r*
    net = RateNetwork(np.array([[8.0]]), 10.0, Sigmoid(1.0, 1.0, 0.0), h=-4.0)
    fp = dyn.fixed_points(net, bounds=(-0.5, 1.5), n_starts=32)
    F = lambda r: 1 / (1 + np.exp(-(8 * r - 4)))
    r_low = brentq(lambda r: F(r) - r, 0.0, 0.3, xtol=1e-15)
    _match(fp.points, [[r_low], [0.5], [1 - r_low]], 1e-9)
    assert fp.labels == ("stable node", "unstable node", "stable node")
    # eigenvalue of the 1-D system: (-1 + 8 F'(.)) / tau, F' = F (1 - F)
    for p, lam in zip(fp.points[:, 0], fp.eigenvalues[:, 0]):
        assert lam.real == pytest.approx((-1 + 8 * p * (1 - p)) / 10.0, rel=1e-8)


def test_bistable_threshold_linear_unit():
    f = lambda r: -r + jnp.clip(2.0 * r - 0.5, 0.0, 1.0)
    fp = dyn.fixed_points(f, bounds=(-0.3, 1.4))
    _match(fp.points, [[0.0], [0.5], [1.0]], 1e-10)
    assert fp.labels == ("stable node", "unstable node", "stable node")


def _wc_piecewise(W, h):
    """All fixed points of r = clip(W r + h, 0, 1) by enumerating the 9 linear regions."""
    out = []
    for regions in itertools.product(("off", "lin", "sat"), repeat=2):
        D = np.diag([1.0 if s == "lin" else 0.0 for s in regions])
        c = np.array([1.0 if s == "sat" else 0.0 for s in regions])
        # r = D (W r + h) + c
        r = np.linalg.solve(np.eye(2) - D @ W, D @ h + c)
        x = W @ r + h
        ok = all((s == "off" and xi < 0) or (s == "lin" and 0 < xi < 1) or (s == "sat" and xi > 1)
                 for s, xi in zip(regions, x))
        if ok:
            out.append((r, D))
    return out


def test_wilson_cowan_threshold_linear_fixed_points_and_stability():
    w_EE, w_EI, w_IE, w_II = 3.0, 2.0, 2.5, 0.6
    h = np.array([-0.2, -0.5])
    tau = np.array([10.0, 5.0])
    wc = RateNetwork.wilson_cowan(w_EE, w_EI, w_IE, w_II, tau_E=10.0, tau_I=5.0,
                                  F_E=SaturatingLinear(1.0, 0.0, 1.0), F_I=SaturatingLinear(1.0, 0.0, 1.0),
                                  h_E=h[0], h_I=h[1])
    W = np.array([[w_EE, -w_EI], [w_IE, -w_II]])
    expected = _wc_piecewise(W, h)
    assert len(expected) >= 2
    fp = dyn.fixed_points(wc, bounds=[(-0.2, 1.2), (-0.2, 1.2)], n_starts=128)
    _match(fp.points, [r for r, _ in expected], 1e-9)
    for r, D in expected:
        k = np.argmin(np.max(np.abs(fp.points - r), axis=1))
        J = (-np.eye(2) + D @ W) / tau[:, None]
        assert fp.labels[k] == dyn.classify(np.linalg.eigvals(J))
        np.testing.assert_allclose(fp.jacobians[k], J, atol=1e-12)


def test_wilson_cowan_sigmoid_with_constructed_fixed_points():
    """Choose three points, solve for W and h so that each is a fixed point of
    r = F(W r + h) with the logistic F; the Jacobian there is (-I + diag(r(1-r)) W) / tau."""
    P = np.array([[0.05, 0.05], [0.45, 0.35], [0.95, 0.7]])
    logit = np.log(P / (1 - P))
    A = np.c_[P, np.ones(3)]
    sol = np.linalg.solve(A, logit)          # columns: unit i's (W[i, 0], W[i, 1], h[i])
    W, h = sol[:2].T, sol[2]
    tau = 10.0
    net = RateNetwork(W, tau, Sigmoid(), h)
    fp = dyn.fixed_points(net, bounds=[(0, 1), (0, 1)], n_starts=256, key=jax.random.key(1))
    for p in P:
        k = np.argmin(np.max(np.abs(fp.points - p), axis=1))
        assert np.max(np.abs(fp.points[k] - p)) < 1e-9
        J = (-np.eye(2) + np.diag(p * (1 - p)) @ W) / tau
        assert fp.labels[k] == dyn.classify(np.linalg.eigvals(J))
    assert np.all(fp.residuals < 1e-9)


def test_focus_and_center_labels_on_linear_systems():
    A = np.array([[-0.1, -1.0], [1.0, -0.1]])
    fp = dyn.fixed_points(lambda x: jnp.asarray(A) @ x, bounds=(-1, 1), dim=2)
    _match(fp.points, [[0.0, 0.0]], 1e-12)
    assert fp.labels == ("stable focus",)
    fp = dyn.fixed_points(lambda x: jnp.array([x[1], -x[0]]), bounds=(-1, 1))
    assert fp.labels == ("center",)


def test_nullclines_and_phase_portrait():
    # dx = -x + y, dy = x - 2 y + 1: x-nullcline y = x, y-nullcline y = (x + 1) / 2; fp (1, 1)
    f = lambda v: jnp.array([-v[0] + v[1], v[0] - 2 * v[1] + 1])
    pp = dyn.phase_portrait(f, (-2, 3), (-2, 3), starts=[[0.0, 0.0], [2.5, -1.0]], duration=30.0, dt=0.05)
    for seg in pp.x_nullcline:
        np.testing.assert_allclose(seg[:, 1], seg[:, 0], atol=1e-9)
    for seg in pp.y_nullcline:
        np.testing.assert_allclose(seg[:, 1], (seg[:, 0] + 1) / 2, atol=1e-9)
    _match(pp.fixed_points.points, [[1.0, 1.0]], 1e-10)
    assert pp.fixed_points.labels == ("stable node",)
    assert np.max(np.abs(pp.trajectories[:, -1] - 1.0)) < 1e-3
    fig = nd.plot.phase_portrait(pp)
    assert len(fig.axes) == 1


def test_continuation_fold_points_of_cubic():
    br = dyn.continuation(lambda x, p: p + x - x**3, [-1.5], (-1.0, 1.0))
    folds = sorted(b.p for b in br.bifurcations if b.kind == "fold")
    pc = 2 / (3 * np.sqrt(3))
    np.testing.assert_allclose(folds, [-pc, pc], atol=1e-8)
    # the middle branch (|x| < 1/sqrt(3)) is unstable, the outer ones stable
    inner = np.abs(br.x[:, 0]) < 1 / np.sqrt(3) - 1e-3
    assert not br.stable[inner].any() and br.stable[np.abs(br.x[:, 0]) > 0.6].all()
    # every branch point is a fixed point
    res = br.p + br.x[:, 0] - br.x[:, 0] ** 3
    assert np.max(np.abs(res)) < 1e-9
    assert nd.plot.bifurcation_diagram(br) is not None


def test_continuation_hopf_and_branch_point():
    def hopf(x, p):
        r2 = x[0] ** 2 + x[1] ** 2
        return jnp.array([p * x[0] - x[1] - x[0] * r2, x[0] + p * x[1] - x[1] * r2])

    br = dyn.continuation(hopf, [0.0, 0.0], (-1.0, 1.0))
    kinds = [(b.kind, b.p) for b in br.bifurcations]
    assert len(kinds) == 1 and kinds[0][0] == "hopf" and abs(kinds[0][1]) < 1e-6
    br = dyn.continuation(lambda x, p: p * x - x**3, [0.0], (-1.0, 1.0))
    assert [b.kind for b in br.bifurcations] == ["branch point"]
    assert abs(br.bifurcations[0].p) < 1e-6


def test_continuation_of_a_rate_model_factory():
    # bistable unit r = F(8 r + h): folds where 8 r (1 - r) = 1, i.e. r = (1 +- sqrt(1/2)) / 2
    make = lambda h: RateNetwork(np.array([[8.0]]), 10.0, Sigmoid(), h=h)
    br = dyn.continuation(make, [0.0], (-6.0, -2.0))
    folds = sorted(b.p for b in br.bifurcations if b.kind == "fold")
    r = (1 + np.array([-1, 1]) * np.sqrt(0.5)) / 2
    h_fold = np.sort(np.log(r / (1 - r)) - 8 * r)
    np.testing.assert_allclose(folds, h_fold, atol=1e-7)


def test_lyapunov_linear_and_lorenz():
    lam = dyn.lyapunov_exponent(lambda x: -0.3 * x, jnp.array([1.0]), duration=20.0, dt=0.01)
    assert float(lam) == pytest.approx(-0.3, rel=1e-6)

    def lorenz(v):
        x, y, z = v
        return jnp.array([10.0 * (y - x), x * (28.0 - z) - y, x * y - 8.0 / 3.0 * z])

    # largest Lyapunov exponent of the Lorenz system: 0.9056 (Sprott 2003)
    lam = dyn.lyapunov_exponent(lorenz, jnp.array([1.0, 1.0, 1.0]), duration=200.0, dt=0.005,
                                transient=10.0)
    assert float(lam) == pytest.approx(0.9056, abs=0.06)


def test_chaos_transition_in_random_networks():
    """Sompolinsky, Crisanti & Sommers (1988): tau dx/dt = -x + J tanh(x), J_ij ~ N(0, g^2/N),
    has a negative largest Lyapunov exponent for g < 1 and a positive one for g > 1."""
    with jax.enable_x64(False):
        N = 500
        J = dyn.random_connectivity(jax.random.key(1), N, 1.0, dtype=jnp.float32)
        x0 = jax.random.normal(jax.random.key(2), (N,), jnp.float32)
        out = {}
        for g in (0.5, 2.0):
            net = RateNetwork(g * J, 1.0, Tanh(), r0=x0, form="current")
            out[g] = float(dyn.lyapunov_exponent(net, duration=40.0, dt=0.1, transient=20.0))
        assert out[0.5] < -0.2          # ~ -(1 - g) = -0.5 near the origin
        assert out[2.0] > 0.02


def test_circular_law():
    """Girko's circular law: eigenvalues of J with variance g^2/N fill the disk of radius g
    uniformly (|lambda|^2 / g^2 ~ Uniform(0, 1))."""
    for g in (0.5, 2.0):
        J = dyn.random_connectivity(jax.random.key(4), 300, g)
        cl = dyn.circular_law(dyn.spectrum(J), g)
        assert 0.9 * g < cl.spectral_radius < 1.15 * g       # finite-size edge fluctuations
        assert cl.fraction_inside > 0.97
        assert cl.ks_statistic < 0.06
    fig = nd.plot.eigenvalue_spectrum(dyn.spectrum(J), radius=2.0)
    assert len(fig.axes) == 1


def test_errors():
    with pytest.raises(ValueError, match="needs starts"):
        dyn.fixed_points(lambda x: x)
    with pytest.raises(ValueError, match="2-D system"):
        dyn.nullclines(lambda x: jnp.concatenate([x, x]), (0, 1), (0, 1))
    with pytest.raises(ValueError, match="not near a fixed point"):
        dyn.continuation(lambda x, p: x**2 + 1.0 + 0 * p, [0.0], (0.0, 1.0))


def test_any_model_with_a_vector_field():
    # the engine's generic ODE model with a constant drive u: dy = y - y^3 + u
    ode = nd.ODE(lambda t, y, u: y - y**3 + u, y0=jnp.zeros(1))
    fp = dyn.fixed_points(ode, bounds=(-2, 2), drive=jnp.array([0.0]))
    _match(fp.points, [[-1.0], [0.0], [1.0]], 1e-10)
    # with u = 2 / (3 sqrt 3) + 0.1 only the upper branch survives
    fp = dyn.fixed_points(ode, bounds=(-2, 2), drive=jnp.array([2 / (3 * np.sqrt(3)) + 0.1]))
    assert len(fp) == 1 and fp.points[0, 0] > 1.0
    J = dyn.jacobian(ode, jnp.array([0.5]), drive=jnp.array([0.0]))
    np.testing.assert_allclose(np.asarray(J), [[1 - 3 * 0.25]])


def test_trajectories_match_the_exact_linear_solution(x64):
    import scipy.linalg

    from neurodyn.analysis.dynamics import trajectories

    A = np.array([[-0.2, 1.0], [-1.0, -0.2]])
    starts = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.5]])
    t, x = trajectories(lambda y: jnp.asarray(A) @ y, starts, duration=10.0, dt=0.01, every=5)
    assert x.shape == (3, len(t), 2) and t[-1] == pytest.approx(10.0)
    exact = np.stack([[scipy.linalg.expm(A * tk) @ s for tk in t] for s in starts])
    np.testing.assert_allclose(np.asarray(x), exact, atol=1e-9)


def test_lyapunov_transient_leftover_steps_advance_the_tangent_too(x64):
    # a transient of 10*k + 7 steps: the 7 leftover steps must move the tangent vector with
    # the state. Renormalising every step or every 10 steps is the same estimate (the
    # tangent map is linear), so both must agree to rounding.
    def lorenz(x):
        return jnp.array([10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 8.0 / 3.0 * x[2]])

    x0, dt = jnp.array([1.0, 1.0, 1.0]), 0.01
    kw = dict(duration=2.0, dt=dt, transient=(10 * 50 + 7) * dt)
    every_10 = float(dyn.lyapunov_exponent(lorenz, x0, renorm_every=10, **kw))
    every_1 = float(dyn.lyapunov_exponent(lorenz, x0, renorm_every=1, **kw))
    assert every_10 == pytest.approx(every_1, rel=1e-9, abs=1e-12)
