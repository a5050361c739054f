"""Gradients through simulate: checkpointed BPTT, surrogate spikes, differentiable readouts."""

import importlib.util
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.engine._model import AbstractDynamics


# -- a liquid time-constant neuron (Hasani et al. 2021, eq. 1) -------------------------
class LTCState(eqx.Module):
    x: jax.Array


class LTC(AbstractDynamics):
    r""":math:`\dot x = -(1/\tau + f(x, I))\,x + f(x, I)\,A`, :math:`f = \tanh(W x + U I + b)`."""

    W: jax.Array
    U: jax.Array
    b: jax.Array
    A: jax.Array
    tau: jax.Array

    @property
    def input_shape(self):
        return (self.W.shape[0],)

    @property
    def default_solver(self):
        return nd.RK4()

    def init_state(self, key=None):
        return LTCState(jnp.full(self.W.shape[0], 0.1, self.W.dtype))

    def vector_field(self, t, state, drive):
        f = jnp.tanh(self.W @ state.x + self.U * drive + self.b)
        return LTCState(-(1.0 / self.tau + f) * state.x + f * self.A)

    def time_constants(self):
        return {}


def _central_difference(fn, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (fn(jnp.asarray(x + e)) - fn(jnp.asarray(x - e))) / (2 * eps)
    return grad


def _rate_loss(solver, chunk_steps=None):
    net = nd.rate.RateNetwork(np.zeros((3, 3)), tau=5.0, F=nd.rate.Tanh(), h=np.array([0.3, -0.2, 0.5]), r0=0.1)
    drive = nd.inputs.function(lambda t: 0.2 * jnp.sin(t / 3.0))

    def loss(W):
        res = nd.simulate(eqx.tree_at(lambda m: m.W, net, W), 30.0, 0.1, inputs=drive, solver=solver,
                          record=["r"], progress=False, chunk_steps=chunk_steps)
        return jnp.sum(res.traces["r"][-50:] ** 2) + jnp.sum(res.final_state.r * jnp.arange(3.0))

    return loss


@pytest.mark.parametrize("solver", [nd.RK4(), nd.Euler()], ids=["RK4", "Euler"])
def test_rate_network_gradient_matches_finite_differences(x64, solver):
    loss = _rate_loss(solver)
    W = jnp.asarray(np.random.default_rng(0).normal(size=(3, 3)) * 0.8)
    grad = np.asarray(jax.jit(jax.grad(loss))(W))
    fd = _central_difference(jax.jit(loss), W)
    assert np.abs(grad).max() > 1e-2
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())


def test_ltc_gradient_matches_finite_differences(x64):
    rng = np.random.default_rng(1)
    model = LTC(W=jnp.asarray(rng.normal(size=(4, 4)) * 0.5), U=jnp.asarray(rng.normal(size=4)), b=jnp.zeros(4),
                A=jnp.asarray(rng.normal(size=4)), tau=jnp.full(4, 5.0))
    drive = nd.inputs.function(lambda t: jnp.cos(t / 4.0))

    def loss(params):
        W, tau = params[:16].reshape(4, 4), params[16:]
        res = nd.simulate(eqx.tree_at(lambda m: (m.W, m.tau), model, (W, tau)), 20.0, 0.05, inputs=drive,
                          record=["x"], progress=False)
        return jnp.mean(res.traces["x"] ** 2) + jnp.sum(res.final_state.x)

    p0 = jnp.concatenate([model.W.ravel(), model.tau])
    grad = np.asarray(jax.jit(jax.grad(loss))(p0))
    fd = _central_difference(jax.jit(loss), p0)
    assert np.all(np.abs(grad[16:]) > 1e-6)  # tau matters
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())


def test_checkpointed_gradient_equals_single_scan(x64):
    W = jnp.asarray(np.random.default_rng(2).normal(size=(3, 3)) * 0.8)
    default = jax.jit(jax.grad(_rate_loss(nd.RK4())))(W)  # ~sqrt(300) = 17 steps a chunk
    odd = jax.jit(jax.grad(_rate_loss(nd.RK4(), chunk_steps=7)))(W)  # 300 = 42 * 7 + 6: a short last chunk
    single = jax.jit(jax.grad(_rate_loss(nd.RK4(), chunk_steps=300)))(W)  # one chunk: plain BPTT
    np.testing.assert_allclose(default, single, rtol=1e-12, atol=0)
    np.testing.assert_allclose(odd, single, rtol=1e-12, atol=0)


def test_checkpointed_forward_is_bit_identical():
    """Chunks of any length run the same steps: the traced run equals the one-chunk scan (the
    traced path before checkpointing) bit for bit, and its spikes are the eager run's."""
    lif = nd.neurons.LIF(n=30, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
    noise = nd.inputs.ornstein_uhlenbeck(mean=200.0, sigma=80.0, tau=5.0)
    run = lambda chunk: lambda k: nd.simulate(lif, 100.0, 0.1, inputs=noise, key=k, record=["V_m", "spikes"],  # noqa: E731
                                               progress=False, chunk_steps=chunk)
    eager = run(None)(jax.random.key(3))
    one = jax.jit(run(1000))(jax.random.key(3))
    for chunk in (None, 37):
        traced = jax.jit(run(chunk))(jax.random.key(3))
        np.testing.assert_array_equal(np.asarray(traced.traces["V_m"]), np.asarray(one.traces["V_m"]))
        np.testing.assert_array_equal(np.asarray(traced.spike_counts["neurons"]), eager.spike_counts["neurons"])
        np.testing.assert_array_equal(traced.spikes.times, eager.spikes.times)
        np.testing.assert_array_equal(traced.spikes.indices, eager.spikes.indices)
    assert eager.spikes.times.size > 10


def _temp_bytes(steps, chunk_steps=None):
    decay = nd.ODE(lambda t, y, u: -y / 10.0 + 0.05 * jnp.tanh(y) ** 2 + u, y0=jnp.ones(4))  # nonlinear: residuals to keep

    def loss(y0):
        res = nd.simulate(eqx.tree_at(lambda m: m.y0, decay, y0), steps * 0.01, 0.01, record=[], progress=False,
                          inputs=nd.inputs.constant(0.1), chunk_steps=chunk_steps)
        return jnp.sum(res.final_state.y ** 2)

    compiled = jax.jit(jax.grad(loss)).lower(jnp.ones(4)).compile()
    return compiled.memory_analysis().temp_size_in_bytes


def test_gradient_memory_is_bounded_by_checkpoints():
    small, large = _temp_bytes(10_000, chunk_steps=500), _temp_bytes(100_000, chunk_steps=500)
    assert large <= 2 * small, (small, large)
    # the default chunk (~sqrt(steps)) grows like sqrt: 10x the steps, ~3.2x the memory, far below 10x
    d_small, d_large = _temp_bytes(10_000), _temp_bytes(100_000)
    assert d_large <= 4.5 * d_small, (d_small, d_large)
    # without checkpoints (one chunk) memory is linear in the steps: the bound above is not vacuous
    assert _temp_bytes(20_000, chunk_steps=20_000) > 1.8 * _temp_bytes(10_000, chunk_steps=10_000)


# -- surrogate spikes ----------------------------------------------------------------
@pytest.mark.parametrize("surrogate", [nd.neurons.SuperSpike(beta=2.0), nd.neurons.SigmoidSurrogate(beta=2.0),
                                       nd.neurons.ArcTanSurrogate(beta=2.0)], ids=lambda s: type(s).__name__)
def test_spike_function_forward_is_heaviside_backward_is_surrogate(surrogate):
    x = jnp.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(nd.neurons.spike(x, surrogate), (x >= 0).astype(x.dtype))
    grad = jax.vmap(jax.grad(lambda v: nd.neurons.spike(v, surrogate)))(x)
    b = 2.0
    expected = {
        "SuperSpike": 1.0 / (1.0 + b * np.abs(x)) ** 2,
        "SigmoidSurrogate": b * np.exp(-b * x) / (1.0 + np.exp(-b * x)) ** 2,
        "ArcTanSurrogate": (b / 2) / (1.0 + (np.pi * b * x / 2) ** 2),
    }[type(surrogate).__name__]
    np.testing.assert_allclose(grad, expected, rtol=1e-4)  # float32


def _lif(surrogate=nd.neurons.SuperSpike(), n=8):
    return nd.neurons.LIF(n=n, tau_m=10.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0, surrogate=surrogate)


def test_surrogate_spikes_equal_plain_threshold():
    """Under jit (where surrogates are kept: eager runs drop them, nothing differentiates
    there) the spikes and membrane potentials equal those of boolean spikes."""
    currents = nd.inputs.constant(jnp.linspace(300.0, 900.0, 8))
    run = lambda model: jax.jit(lambda m: nd.simulate(m, 100.0, 0.1, inputs=currents, record=["V_m", "spikes"],  # noqa: E731
                                                      progress=False))(model)
    plain, surr = run(_lif(None)), run(_lif())
    np.testing.assert_array_equal(surr.spikes.times, plain.spikes.times)
    np.testing.assert_array_equal(surr.spikes.indices, plain.spikes.indices)
    np.testing.assert_array_equal(np.asarray(surr.traces["V_m"]), np.asarray(plain.traces["V_m"]))
    assert np.asarray(surr.spike_counts["neurons"]).dtype == np.float32  # differentiable counts
    np.testing.assert_array_equal(np.asarray(surr.spike_counts["neurons"]), np.asarray(plain.spike_counts["neurons"]))
    eager = nd.simulate(_lif(), 100.0, 0.1, inputs=currents, progress=False)
    np.testing.assert_array_equal(eager.spikes.times, plain.spikes.times)
    assert plain.spikes.times.size > 20


def test_single_step_gradient_is_the_analytic_surrogate():
    """One exponential-Euler step from V0 under current I: V1 = E_L + (V0 - E_L) a + I R (1 - a),
    a = exp(-dt/tau_m), R = tau_m / C_m; d spike / d I = sigma'(V1 - V_th) R (1 - a)."""
    beta, dt = 0.7, 0.1
    lif = nd.neurons.LIF(n=3, tau_m=10.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=0.0,
                         V_init=jnp.array([-50.5, -50.02, -49.0]), surrogate=nd.neurons.SuperSpike(beta=beta))

    def count(I):
        return nd.simulate(lif, dt, dt, inputs=nd.inputs.constant(I), progress=False).spike_counts["neurons"]

    I = jnp.full(3, 100.0)
    jac = jax.jacfwd(count)(I)
    a, R = np.exp(-dt / 10.0), 10.0 / 250.0
    V1 = -65.0 + (np.array([-50.5, -50.02, -49.0]) + 65.0) * a + 100.0 * R * (1 - a)
    expected = R * (1 - a) / (1 + beta * np.abs(V1 + 50.0)) ** 2
    np.testing.assert_allclose(np.diag(np.asarray(jac)), expected, rtol=1e-4)
    np.testing.assert_array_equal(np.asarray(count(I)), (V1 >= -50.0).astype(np.float32))
    # and with respect to the threshold: d spike / d V_th = -sigma'(V1 - V_th)
    g = jax.grad(lambda th: nd.simulate(eqx.tree_at(lambda m: m.V_th, lif, th), dt, dt, progress=False,
                                        inputs=nd.inputs.constant(I)).spike_counts["neurons"].sum())(jnp.float32(-50.0))
    np.testing.assert_allclose(g, -np.sum(1 / (1 + beta * np.abs(V1 + 50.0)) ** 2), rtol=1e-4)


def test_spike_count_gradient_has_the_right_sign_and_reset_is_detached():
    def counts(I, surrogate=nd.neurons.SuperSpike()):
        res = nd.simulate(_lif(surrogate), 40.0, 0.1, inputs=nd.inputs.constant(I), progress=False)
        return res.spike_counts["neurons"]

    I = jnp.linspace(450.0, 900.0, 8)
    total = lambda I: counts(I).sum()  # noqa: E731
    g = jax.grad(total)(I)
    assert np.all(np.asarray(g) > 0)  # more current, more spikes
    assert np.all(np.asarray(jax.grad(lambda I: counts(I, None).astype(jnp.float32).sum())(I)) == 0)
    # the reset is detached: just past threshold, d V_after / d V_before is 0 (not 1 - sigma' (V - V_reset))
    lif = _lif()
    state = lif.init_state(None)
    dV = jax.grad(lambda V: lif.fire(eqx.tree_at(lambda s: s.V_m, state, V), 0.0, 0.1)[0].V_m.sum())(jnp.full(8, -49.9))
    np.testing.assert_array_equal(dV, 0.0)
    dV = jax.grad(lambda V: lif.fire(eqx.tree_at(lambda s: s.V_m, state, V), 0.0, 0.1)[0].V_m.sum())(jnp.full(8, -50.1))
    np.testing.assert_array_equal(dV, 1.0)


def test_network_weight_gradient_through_hidden_spikes_fused_and_generic():
    """Input weights reach the loss only through hidden spikes (surrogate) and a dense
    projection into an exponential-synapse LIF (the fused C++ step on CPU, whose JVP is the
    generic step's): the gradient is nonzero, and equal on both output paths."""
    ex = _example()
    net, params = ex.build_network(hidden=16, seed=1)
    x = jnp.asarray(np.random.default_rng(0).uniform(size=64), jnp.float32)
    loss = lambda p: ex.scores(net, p, x)[3]  # noqa: E731
    g = jax.grad(loss)(params)
    assert np.abs(np.asarray(g["w_in"])).max() > 0 and np.abs(np.asarray(g["w_out"])).max() > 0
    generic = eqx.tree_at(lambda n: n.populations["out"].model, net,
                          net.populations["out"].model.replace(tau_m=jnp.full(10, 10.0)))  # per-neuron tau: no fused step
    g2 = jax.grad(lambda p: ex.scores(generic, p, x)[3])(params)
    np.testing.assert_allclose(g2["w_in"], g["w_in"], rtol=1e-4, atol=1e-6)
    no_surrogate = eqx.tree_at(lambda n: n.populations["hid"].model, net,
                               net.populations["hid"].model.replace(surrogate=None))
    assert np.all(np.asarray(jax.grad(lambda p: ex.scores(no_surrogate, p, x)[3])(params)["w_in"]) == 0)


def _example():
    path = Path(__file__).resolve().parents[1] / "examples" / "learning_surrogate_digits.py"
    spec = importlib.util.spec_from_file_location("learning_surrogate_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_surrogate_network_learns_digits():
    ex = _example()
    x_tr, x_te, y_tr, y_te = ex.load_digits(seed=0)
    net, params = ex.build_network(seed=0)
    before = ex.accuracy(net, params, x_te, y_te)
    params, losses, _ = ex.train(net, params, x_tr, y_tr, epochs=6)
    after = ex.accuracy(net, params, x_te, y_te)
    assert after >= 0.90, (before, after)
    assert before < 0.5
    assert losses[-20:].mean() < 0.5 * losses[:5].mean()
