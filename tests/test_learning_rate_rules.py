"""Rate-based learning rules (issue 16, part 1): Oja and Sanger find principal components,
BCM becomes selective at its analytic fixed point, the covariance rule's expected change
is C w, Földiák's anti-Hebbian rule decorrelates, online (simulate) equals batch (run_rule)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.learning import BCM, AntiHebbian, Covariance, FeedForward, Hebbian, Oja, Sanger, run_rule


@pytest.fixture(autouse=True, scope="module")
def _float64():
    with jax.enable_x64(True):
        yield


def _data(n=8, samples=4000, seed=0):
    """Zero-mean Gaussian data with a known covariance Q diag(sd²) Qᵀ (distinct eigenvalues)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    sd = np.array([3.0, 2.0, 1.5, 1.0, 0.6, 0.5, 0.4, 0.3])[:n]
    X = (rng.normal(size=(samples, n)) * sd) @ Q.T
    ev, V = np.linalg.eigh(X.T @ X / samples)
    return X, V[:, ::-1]


def _cos(w, v):
    return abs(w @ v) / np.linalg.norm(w) / np.linalg.norm(v)


def test_oja_batch_and_online_find_the_first_principal_component():
    X, V = _data()
    w0 = np.random.default_rng(1).normal(size=(1, 8)) * 0.1
    w = np.asarray(run_rule(Oja(eta=0.002), X, w0, epochs=3, key=jax.random.key(1)).W[0])
    assert _cos(w, V[:, 0]) > 0.99 and abs(np.linalg.norm(w) - 1) < 0.02
    assert _cos(w0[0], V[:, 0]) < 0.9  # it had somewhere to go
    layer = FeedForward(w0, plasticity=Oja(eta=0.002))
    res = nd.simulate(layer, 3 * 4000.0, 1.0, inputs=nd.inputs.array(np.tile(X, (3, 1)), dt=1.0), record=[],
                      progress=False)
    w = np.asarray(res.final_state.W[0])
    assert _cos(w, V[:, 0]) > 0.99 and abs(np.linalg.norm(w) - 1) < 0.02


def test_sanger_finds_the_top_three_components_orthonormal():
    X, V = _data()
    W = np.asarray(run_rule(Sanger(eta=0.001), X, np.random.default_rng(2).normal(size=(3, 8)) * 0.1, epochs=6,
                       key=jax.random.key(2)).W)
    for i in range(3):
        assert _cos(W[i], V[:, i]) > 0.98, i
    np.testing.assert_allclose(W @ W.T, np.eye(3), atol=0.03)


def test_oja_rows_learn_independently():
    """Several Oja rows all find the first component (Sanger's LT term is what separates them)."""
    X, V = _data(samples=2000)
    W0 = np.random.default_rng(3).normal(size=(2, 8)) * 0.1
    W = np.asarray(run_rule(Oja(eta=0.002), X, W0, epochs=3).W)
    assert min(_cos(W[0], V[:, 0]), _cos(W[1], V[:, 0])) > 0.98


@pytest.mark.parametrize("w0", [[0.3, 0.35], [0.35, 0.3]])
def test_bcm_becomes_selective_at_its_analytic_fixed_point(w0):
    """Two patterns presented alternately (dt = 1). With a = 1 - exp(-1/tau_theta), the
    periodic fixed point of theta and w has response r = y0 (2 - a) to the selected
    pattern (theta = r there: no change) and 0 to the other, where theta = r (1 - a):
    theta_A = theta_B + a (r²/y0 - theta_B), theta_B = (1 - a) theta_A. As a -> 0 it is the
    continuous fixed point y = y0/p = 2 y0, theta = <y²>/y0 (Dayan & Abbott 2001, §8.2)."""
    P = np.array([[1.0, 0.2], [0.3, 1.0]])
    tau, y0 = 50.0, 1.5
    out = run_rule(BCM(eta=0.01, tau_theta=tau, y0=y0), np.tile(P, (20000, 1)), np.array([w0]))
    a = -np.expm1(-1.0 / tau)
    resp = P @ np.asarray(out.W[0])
    win = int(np.argmax(resp))
    np.testing.assert_allclose(resp[win], y0 * (2 - a), rtol=1e-9)
    assert abs(resp[1 - win]) < 1e-9
    theta = float(out.state.rule_vars.post[0])  # after the last sample, pattern 1
    np.testing.assert_allclose(theta, resp[win] if win == 1 else resp[win] * (1 - a), rtol=1e-9)


def test_bcm_threshold_relaxes_exactly_on_a_rate_network():
    """Rates clamped at c (F ignores its input): theta(t) = c²/y0 + (theta0 - c²/y0) e^{-t/tau}
    exactly, chained runs equal one, and the state is carried under vmap."""
    c = jnp.array([1.0, 2.0])
    F = lambda x: jnp.broadcast_to(c, x.shape)  # noqa: E731
    rule = BCM(eta=1e-3, tau_theta=5.0, y0=2.0, theta0=0.5)
    net = nd.rate.RateNetwork(np.full((2, 2), 0.1), tau=1.0, F=F, r0=c, plasticity=rule)
    res = nd.simulate(net, 20.0, 0.1, record=["post"], progress=False)
    t = np.arange(200) * 0.1
    expected = c**2 / 2.0 + (0.5 - c**2 / 2.0) * np.exp(-t[:, None] / 5.0)
    np.testing.assert_allclose(np.asarray(res.traces["post"]), expected, rtol=0, atol=1e-12)
    first = nd.simulate(net, 10.0, 0.1, record=[], progress=False)
    second = nd.simulate(net, 10.0, 0.1, state=first, record=[], progress=False)
    np.testing.assert_array_equal(np.asarray(second.final_state.W), np.asarray(res.final_state.W))
    run = lambda e: nd.simulate(net.replace(plasticity=rule.replace(eta=e)), 5.0, 0.1, record=[],  # noqa: E731
                                progress=False).final_state.W
    Ws = np.asarray(jax.vmap(run)(jnp.array([1e-3, 2e-3])))
    assert not np.allclose(Ws[0], Ws[1])


def test_covariance_expected_change_is_C_w():
    """With the running means at the data means, the mean change over the data is
    eta dt C w exactly (C the biased sample covariance): y - <y> = w (x - <x>)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4)) + np.array([1.0, -2.0, 0.5, 3.0])
    w = rng.normal(size=(1, 4))
    rule, dt = Covariance(eta=0.01, tau_mean=100.0), 0.1
    mx, my = X.mean(0), (X @ w.T).mean(0)

    def change(x):
        _, pre = rule.rates_pre(jnp.asarray(mx), x, dt)
        _, post = rule.rates_post(jnp.asarray(my), jnp.asarray(w) @ x, dt)
        return rule.on_step_dense(jnp.asarray(w), pre, post, dt) - w

    mean = np.asarray(jax.vmap(change)(jnp.asarray(X))).mean(0)
    C = np.cov(X.T, bias=True)
    np.testing.assert_allclose(mean, 0.01 * dt * (C @ w[0])[None], rtol=1e-10)
    # running means converge to the data means in run_rule (tau_mean in samples)
    out = run_rule(rule.replace(eta=1e-9, tau_mean=50.0), np.tile(X, (4, 1)), w)
    np.testing.assert_allclose(np.asarray(out.state.rule_vars.pre), mx, atol=0.5)


def test_foldiak_decorrelates_correlated_inputs():
    """Linear recurrent rates tau dy/dt = -y + x + W y with inputs sharing a common OU
    component (correlation 1/(1 + 0.7²) = 0.67); anti-Hebbian W drives <y_i y_j> to 0."""
    n = 3
    net = nd.rate.RateNetwork(np.zeros((n, n)), tau=1.0, F=nd.rate.Linear(), plasticity=AntiHebbian(eta=0.003))
    inp = nd.inputs.ornstein_uhlenbeck(0.0, 1.0, 5.0, shared=True) + nd.inputs.ornstein_uhlenbeck(0.0, 0.7, 5.0)
    learnt = nd.simulate(net, 60000.0, 0.5, inputs=inp, key=jax.random.key(0), record=[], progress=False).final_state.W
    assert np.all(np.diag(np.asarray(learnt)) == 0)
    corr = []
    for W in (np.zeros((n, n)), np.asarray(learnt)):
        r = np.asarray(nd.simulate(net.replace(W=W, plasticity=None), 20000.0, 0.5, inputs=inp, key=jax.random.key(1),
                                   record=["r"], progress=False).traces["r"])
        corr.append(np.corrcoef(r.T)[np.triu_indices(n, 1)])
    assert corr[0].min() > 0.6 and np.abs(corr[1]).max() < 0.15


@pytest.mark.parametrize("rule", [Oja(eta=0.01), Sanger(eta=0.01), BCM(eta=0.01, tau_theta=3.0),
                                  Covariance(eta=0.01, tau_mean=3.0), Hebbian(eta=0.01, decay=0.1)])
def test_online_equals_batch(rule):
    """simulate of a FeedForward layer with a constant input equals run_rule on the same samples."""
    x = np.array([0.5, -1.0, 2.0])
    W0 = np.random.default_rng(5).normal(size=(2, 3)) * 0.3
    res = nd.simulate(FeedForward(W0, plasticity=rule), 50.0, 1.0, inputs=nd.inputs.constant(x), record=["W", "y"],
                      progress=False)
    out = run_rule(rule, np.tile(x, (50, 1)), W0, history=1)
    np.testing.assert_array_equal(np.asarray(res.final_state.W), np.asarray(out.W))
    np.testing.assert_array_equal(np.asarray(res.traces["W"][1:]), np.asarray(out.history[:-1]))
    assert not np.allclose(np.asarray(out.W), W0)


def test_bad_input():
    with pytest.raises(ValueError, match="eta must be > 0"):
        Oja(eta=0.0)
    with pytest.raises(ValueError, match="eta must be > 0"):
        BCM(eta=-1.0)
    with pytest.raises(ValueError, match="tau_theta must be > 0"):
        BCM(tau_theta=0.0)
    with pytest.raises(TypeError, match="eta"):
        Sanger(etta=0.1)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\) to match W0 of shape \(2, 3\), got \(10, 4\)"):
        run_rule(Oja(), np.zeros((10, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="W0 must be a non-empty 2-D matrix"):
        run_rule(Oja(), np.zeros((10, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="epochs must be"):
        run_rule(Oja(), np.zeros((10, 3)), np.zeros((1, 3)), epochs=0)
    with pytest.raises(TypeError, match="rule must be a neurodyn.plasticity rule"):
        run_rule(object(), np.zeros((10, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="AntiHebbian acts on square lateral weights"):
        run_rule(AntiHebbian(), np.zeros((10, 3)), np.zeros((2, 3)))
    lif = nd.neurons.LIF(n=3)
    for rule in (Sanger(), AntiHebbian()):
        with pytest.raises(ValueError, match="updates the whole weight matrix .on_step_dense., which a sparse spiking"):
            nd.Network({"A": lif, "B": lif}, [nd.Projection("A", "B", nd.connectivity.all_to_all(), weight=1.0,
                                                            plasticity=rule)])
    with pytest.raises(ValueError, match="cannot run on a spiking projection"):
        nd.Network({"A": lif, "B": lif}, [nd.Projection("A", "B", nd.connectivity.all_to_all(), weight=1.0,
                                                        plasticity=BCM())])
