"""Rate networks with plastic weights (issue 15 item 4): Hebbian learning with decay on W,
against the closed form of its Euler recursion, the exponential it approximates, step by
step recomputation with a frozen network, finite differences, and on bad input."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.plasticity import STDP, AbstractRule, Hebbian, TsodyksMarkram
from neurodyn.rate import Linear, LinearRateNetwork, RateNetwork, Tanh


@pytest.fixture(autouse=True, scope="module")
def _float64():
    with jax.enable_x64(True):
        yield


C = np.array([1.0, 2.0, 0.5])  # the clamped rates
DT = 0.1


class Clamp(eqx.Module):
    """A transfer function that ignores its input: with r0 = c the rates stay c exactly
    (dr/dt = (-c + c)/tau = 0), whatever W does; in the current form F(x) = c as well."""

    c: jax.Array

    def __call__(self, x):
        return jnp.broadcast_to(self.c, x.shape).astype(x.dtype)


def _w0():
    return np.random.default_rng(0).uniform(-1.0, 1.0, (3, 3))


def _clamped(rule, form="rate", W=None):
    W = _w0() if W is None else W
    return RateNetwork(W, tau=10.0, F=Clamp(jnp.asarray(C)), h=0.3, r0=C if form == "rate" else 0.0,
                       form=form, plasticity=rule)


def _euler(W0, eta, decay, x, k):
    """Closed form of w <- w + x·eta·(c_i c_j - decay·w) after k updates of step x."""
    W_inf = np.outer(C, C) / decay
    k = np.asarray(k)[:, None, None]
    return W_inf + (W0 - W_inf) * (1.0 - eta * decay * x) ** k


@pytest.mark.parametrize("form", ["rate", "current"])
def test_hebbian_with_clamped_rates_follows_euler_recursion_and_exponential(form):
    eta, decay, steps = 0.02, 0.5, 4000
    res = nd.simulate(_clamped(Hebbian(eta=eta, decay=decay), form), steps * DT, DT,
                      record=["W"], progress=False)
    W = np.asarray(res.traces["W"])  # W after k steps, k = 0 .. steps-1
    k = np.arange(steps)
    np.testing.assert_allclose(W, _euler(_w0(), eta, decay, DT, k), rtol=0, atol=1e-12)
    W_final = np.asarray(res.final_state.W)
    np.testing.assert_allclose(W_final, _euler(_w0(), eta, decay, DT, [steps])[0], rtol=0, atol=1e-12)

    # Against the exact solution w(t) = w_inf + (w0 - w_inf) e^{-a t}, a = eta·decay: with
    # x = a·dt, 0 <= e^{-kx} - (1-x)^k <= k (e^{-x} - 1 + x) e^{-(k-1)x} <= k x²/2 e^{-(k-1)x}.
    a, t = eta * decay, k * DT
    W_inf = np.outer(C, C) / decay
    exact = W_inf + (_w0() - W_inf) * np.exp(-a * t)[:, None, None]
    bound = np.abs(_w0() - W_inf) * (k * (a * DT) ** 2 / 2 * np.exp(-(k - 1) * a * DT))[:, None, None]
    err = np.abs(W - exact)
    assert np.all(err <= bound + 1e-12)
    assert err.max() >= 0.9 * bound.max()  # the bound is tight: the error is Euler's O(dt), not less
    assert np.all(np.abs(W_final - W_inf) <= np.abs(_w0() - W_inf) * np.exp(-a * steps * DT))  # (1-x)^k <= e^{-kx}


def test_euler_error_halves_with_dt():
    eta, decay, T = 0.02, 0.5, 200.0
    W_inf = np.outer(C, C) / decay
    exact = W_inf + (_w0() - W_inf) * np.exp(-eta * decay * T)
    errs = []
    for dt in (0.2, 0.1, 0.05):
        res = nd.simulate(_clamped(Hebbian(eta=eta, decay=decay)), T, dt, record=[], progress=False)
        errs.append(np.abs(np.asarray(res.final_state.W) - exact).max())
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    np.testing.assert_allclose(ratios, 2.0, rtol=0.02)


def test_every_k_equals_the_recursion_with_step_k_dt():
    eta, decay, every, steps = 0.02, 0.5, 5, 1003
    res = nd.simulate(_clamped(Hebbian(eta=eta, decay=decay, steps=every)), steps * DT, DT,
                      record=["W"], progress=False)
    k = np.arange(steps)
    expected = _euler(_w0(), eta, decay, every * DT, k // every)  # updated after steps 5, 10, ...
    np.testing.assert_allclose(np.asarray(res.traces["W"]), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.final_state.W),
                               _euler(_w0(), eta, decay, every * DT, [steps // every])[0], rtol=0, atol=1e-12)
    assert int(res.final_state._phase) == steps % every


def test_bounds_clip_the_weights():
    eta, decay, steps = 0.02, 0.5, 3000
    W0 = np.full((3, 3), 0.5)  # w_inf = 2 c_i c_j ranges over 0.5 .. 8
    W0[2, 2] = 0.9  # w_inf = 0.5: decays through w_min
    rule = Hebbian(eta=eta, decay=decay, w_min=0.6, w_max=3.0)
    with pytest.raises(ValueError, match="w_min = 0.6"):
        _clamped(rule, W=W0)  # 0.5 < w_min
    W0 = np.clip(W0, 0.6, 3.0)
    res = nd.simulate(_clamped(rule, W=W0), steps * DT, DT, record={"W": None}, record_every=7, progress=False)
    k = np.arange(0, steps, 7)
    # a monotone recursion clipped after every update is the clipped recursion
    expected = np.clip(_euler(W0, eta, decay, DT, k), 0.6, 3.0)
    W = np.asarray(res.traces["W"])
    np.testing.assert_allclose(W, expected, rtol=0, atol=1e-12)
    assert W[-1].max() == 3.0 and W[-1].min() == 0.6 and W.shape == (len(k), 3, 3)


class PostMinusPre(AbstractRule):
    """dw/dt = post - pre: tells the two sides apart."""

    def on_step(self, w, pre, post, dt):
        return w + dt * (post - pre)


def test_pre_and_post_orientation():
    """W[i, j] is the weight from j to i: post indexes rows, pre columns."""
    res = nd.simulate(_clamped(PostMinusPre()), 10.0, DT, record=[], progress=False)
    np.testing.assert_allclose(np.asarray(res.final_state.W), _w0() + 10.0 * (C[:, None] - C[None, :]), atol=1e-12)


@pytest.mark.parametrize("form, solver", [("rate", nd.RK4()), ("current", nd.Euler())])
def test_one_step_is_the_frozen_step_then_the_rule(form, solver):
    """Each step integrates r with W held fixed, then updates W from the new rates."""
    rng = np.random.default_rng(3)
    n, eta, decay = 5, 0.05, 0.3
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    h = nd.inputs.steps([0.0, 0.35], [0.2, 1.0])  # changes inside the run
    kw = dict(tau=2.0, F=Tanh(), h=h, r0=rng.uniform(size=n), form=form)
    plastic = RateNetwork(W, **kw, plasticity=Hebbian(eta=eta, decay=decay))
    steps = 8
    res = nd.simulate(plastic, steps * DT, DT, solver=solver, record=["W", plastic.state_name], progress=False)
    frozen = RateNetwork(W, **kw)
    state = frozen.init_state()
    for k in range(steps):
        net = frozen.replace(W=W)
        np.testing.assert_allclose(np.asarray(res.traces["W"][k]), W, rtol=0, atol=1e-14)
        np.testing.assert_allclose(np.asarray(res.traces[plastic.state_name][k]),
                                   getattr(state, plastic.state_name), rtol=0, atol=1e-14)
        state = nd.simulate(net, DT, DT, solver=solver, state=state, t0=k * DT, record=[], progress=False).final_state
        r = np.asarray(state.r if form == "rate" else frozen.transfer(state.x))
        W = W + DT * eta * (np.outer(r, r) - decay * W)
    np.testing.assert_allclose(np.asarray(res.final_state.W), W, rtol=0, atol=1e-14)


def test_chained_runs_equal_one_long_run_bit_for_bit():
    rng = np.random.default_rng(4)
    n = 6
    net = RateNetwork(rng.normal(size=(n, n)) / np.sqrt(n), tau=5.0, F=Tanh(), h=nd.inputs.steps([0.0, 13.0], [0.1, 0.8]),
                      r0=0.1, plasticity=Hebbian(eta=0.01, decay=0.2, w_min=-2.0, w_max=2.0, steps=3))
    inputs = nd.inputs.ornstein_uhlenbeck(mean=0.2, sigma=0.5, tau=2.0)
    kw = dict(inputs=inputs, key=jax.random.key(7), record=["r", "W"], progress=False)
    whole = nd.simulate(net, 20.0, DT, **kw)
    first = nd.simulate(net, 10.0, DT, **kw)  # 100 steps: not a multiple of every = 3
    second = nd.simulate(net, 10.0, DT, state=first, **kw)
    for name in ("r", "W"):
        np.testing.assert_array_equal(np.concatenate([first.traces[name], second.traces[name]]), whole.traces[name])
    np.testing.assert_array_equal(np.asarray(second.final_state.W), np.asarray(whole.final_state.W))
    np.testing.assert_array_equal(np.asarray(second.final_state.r), np.asarray(whole.final_state.r))
    assert not np.allclose(np.asarray(whole.final_state.W), np.asarray(net.W))  # W did change


def test_grad_of_final_weights_wrt_eta():
    decay, steps = 0.5, 400

    def loss(eta):
        res = nd.simulate(_clamped(Hebbian(eta=eta, decay=decay)), steps * DT, DT, record=[], progress=False)
        return jnp.sum(res.final_state.W ** 2)

    eta = 0.02
    g = float(jax.grad(loss)(eta))
    # analytic: W = W_inf + D q^k, q = 1 - eta·decay·dt, dW/deta = D k q^{k-1} (-decay·dt)
    W_inf = np.outer(C, C) / decay
    D, q = _w0() - W_inf, 1.0 - eta * decay * DT
    W = W_inf + D * q ** steps
    analytic = np.sum(2 * W * D * steps * q ** (steps - 1) * (-decay * DT))
    eps = 1e-6
    fd = (float(loss(eta + eps)) - float(loss(eta - eps))) / (2 * eps)
    np.testing.assert_allclose(g, analytic, rtol=1e-9)
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_vmap_over_eta_and_replace():
    net = _clamped(Hebbian(eta=0.01, decay=0.5))
    etas = jnp.array([0.0, 0.01, 0.03])
    run = lambda e: nd.simulate(net.replace(plasticity=Hebbian(eta=e, decay=0.5)), 20.0, DT, record=[],  # noqa: E731
                                progress=False).final_state.W
    batched = np.asarray(jax.vmap(run)(etas))
    for b, e in zip(batched, etas):
        np.testing.assert_allclose(b, _euler(_w0(), float(e), 0.5, DT, [200])[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(batched[0], _w0())  # eta = 0: nothing changes
    # replace keeps the rule; plasticity=None gives back the frozen network and its state
    assert net.replace(h=1.0).plasticity == net.plasticity
    np.testing.assert_array_equal(np.asarray(net.replace(W=2 * _w0()).init_state().W), 2 * _w0())
    frozen = net.replace(plasticity=None)
    assert type(frozen.init_state()).__name__ == "RateState" and frozen.plasticity is None


def test_default_record_leaves_the_weights_out():
    res = nd.simulate(_clamped(Hebbian(eta=0.01, decay=0.5)), 1.0, DT, progress=False)
    assert set(res.traces) == {"r"}
    assert res.final_state.W.shape == (3, 3)


class WithTraces(Hebbian):
    def init_pre(self, n, dtype):
        return jnp.zeros((n,), dtype)


class NoStep(AbstractRule):
    pass


@pytest.mark.parametrize("rule, error, match", [
    (object(), TypeError, "plasticity must be a neurodyn.plasticity rule .AbstractRule., got object"),
    (STDP(), ValueError, "plasticity: STDP acts on spikes"),
    (TsodyksMarkram(), ValueError, "plasticity: TsodyksMarkram acts on spikes"),
    (NoStep(), ValueError, "plasticity: NoStep defines no on_step"),
    (WithTraces(), ValueError, "plasticity: WithTraces declares per-neuron presynaptic variables"),
])
def test_bad_rules(rule, error, match):
    with pytest.raises(error, match=match):
        RateNetwork(np.eye(2) * 0.1, F=Linear(), plasticity=rule)


def test_other_bad_input():
    for eta in (-1e-3, 0.0):  # a learning rate <= 0 is refused
        with pytest.raises(ValueError, match="eta must be > 0"):
            Hebbian(eta=eta)
    with pytest.raises(ValueError, match="plasticity is not supported on LinearRateNetwork.*RateNetwork"):
        LinearRateNetwork(np.eye(2) * 0.1, plasticity=Hebbian())
    frozen = RateNetwork(np.eye(2) * 0.1, F=Linear())
    with pytest.raises(ValueError, match="'W' is recorded only for a network with plasticity"):
        nd.simulate(frozen, 1.0, DT, record=["W"], progress=False)


def test_populations_record_and_plastic_wilson_cowan():
    net = RateNetwork.wilson_cowan(10.0, 8.0, 12.0, 3.0, h_E=1.0)
    plastic = net.replace(plasticity=Hebbian(eta=1e-3, decay=0.1))
    res = nd.simulate(plastic, 20.0, DT, record=["r_E", "W"], progress=False)
    assert res.traces["r_E"].shape == (200, 1) and res.traces["W"].shape == (200, 2, 2)
    np.testing.assert_array_equal(np.asarray(res.traces["W"][0]), np.asarray(net.W))
    assert not np.array_equal(np.asarray(res.final_state.W), np.asarray(net.W))
