"""Modern (continuous) Hopfield networks, Ramsauer et al. (2020), and the equinox layer."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

from neurodyn.memory import ModernHopfield, ModernHopfieldLayer, flip_exact, random_patterns


def numpy_update(x, q, beta):
    a = beta * q @ x.T
    a = np.exp(a - a.max(-1, keepdims=True))
    return (a / a.sum(-1, keepdims=True)) @ x


def test_update_matches_numpy(x64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 8))
    q = rng.normal(size=(5, 8))
    net = ModernHopfield(x, beta=2.0)
    np.testing.assert_allclose(np.asarray(net.retrieve(q)), numpy_update(x, q, 2.0), atol=1e-12)
    two = numpy_update(x, numpy_update(x, q, 2.0), 2.0)
    np.testing.assert_allclose(np.asarray(net.retrieve(q, steps=2)), two, atol=1e-12)
    # chunking changes nothing
    np.testing.assert_allclose(np.asarray(net.retrieve(q, chunk_size=2)), numpy_update(x, q, 2.0), atol=1e-12)


def test_one_step_retrieval_from_30_percent_corruption():
    """Large beta: every stored pattern retrieved in one step from a cue with 30 % of its entries flipped."""
    d, p = 256, 64
    x = random_patterns(jax.random.key(1), p, d)
    cues = flip_exact(jax.random.key(2), x, int(0.3 * d))
    net = ModernHopfield(x, beta=1.0)
    out = net.retrieve(cues, steps=1)
    assert float(jnp.max(jnp.abs(out - x))) < 1e-4
    assert bool(jnp.all(net.well_separated()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), log_beta=st.floats(-3.0, 2.0), p=st.sampled_from([3, 17]))
def test_energy_non_increasing_under_update(seed, log_beta, p):
    """The update is a CCCP step: E(update(xi)) <= E(xi) (Ramsauer et al. 2020, Theorem 1)."""
    with jax.enable_x64(True):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(p, 6)) * rng.uniform(0.2, 3.0)
        q = rng.normal(size=(4, 6)) * 2
        net = ModernHopfield(x, beta=float(np.exp(log_beta)))
        e = np.asarray(net.energy(q))
        for _ in range(3):
            q = net.retrieve(q)
            e_new = np.asarray(net.energy(q))
            assert np.all(e_new <= e + 1e-9 * (1 + np.abs(e)))
            e = e_new


def test_energy_formula(x64):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 4))
    q = rng.normal(size=4)
    beta = 0.7
    net = ModernHopfield(x, beta=beta)
    lse = np.log(np.sum(np.exp(beta * x @ q))) / beta
    m2 = np.max(np.sum(x**2, 1))
    expect = -lse + 0.5 * q @ q + np.log(5) / beta + 0.5 * m2
    np.testing.assert_allclose(float(net.energy(q)), expect, rtol=1e-12)
    assert float(net.energy(q)) >= 0.0  # E is bounded below by 0 (Ramsauer et al., Lemma A1)


def test_small_beta_similar_patterns_converge_to_metastable_average(x64):
    rng = np.random.default_rng(4)
    base = rng.normal(size=32)
    x = base + 0.05 * rng.normal(size=(12, 32))
    net = ModernHopfield(x, beta=0.05)
    fixed, steps = net.fixed_point(rng.normal(size=(3, 32)), max_steps=200, tol=1e-10)
    np.testing.assert_allclose(np.asarray(fixed), np.broadcast_to(x.mean(0), (3, 32)), atol=1e-3)
    assert np.all(np.asarray(steps) < 200)
    assert np.all(np.asarray(net.metastable_size(fixed, steps=1)) > 11.9)  # all 12 mixed
    assert not bool(jnp.any(net.well_separated()))
    # with a large beta the same patterns separate: retrieval of a single one
    sharp = ModernHopfield(x, beta=1e4)
    assert np.all(np.asarray(sharp.metastable_size(x[:3], steps=3)) < 1.01)


def test_separation_and_threshold(x64):
    x = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    net = ModernHopfield(x, beta=3.0)
    # Delta_i = x_i.x_i - max_j!=i x_i.x_j
    np.testing.assert_allclose(np.asarray(net.separation()), [1 - 1, 4 - 2, 2 - 2])
    m2 = 4.0
    expect = 2 / (3.0 * 3) + np.log(2 * 2 * 3 * 3.0 * m2) / 3.0
    np.testing.assert_allclose(float(net.separation_threshold()), expect)


def test_layer_gradients(x64):
    layer = ModernHopfieldLayer(5, 7, 4, 3, beta=0.8, steps=2, learn_beta=True, key=jax.random.key(5))
    layer = jax.tree.map(lambda a: a.astype(jnp.float64) if eqx.is_inexact_array(a) else a, layer)
    rng = np.random.default_rng(6)
    r = jnp.asarray(rng.normal(size=(6, 5)))
    y = jnp.asarray(rng.normal(size=(9, 7)))
    out = layer(r, y)
    assert out.shape == (6, 3)
    check_grads(lambda r, y: layer(r, y), (r, y), order=1, modes=["rev"], atol=1e-5, rtol=1e-5)

    def loss(model):
        return jnp.sum(model(r, y) ** 2)

    g = eqx.filter_grad(loss)(layer)
    for leaf in (g.w_q.weight, g.w_k.weight, g.w_v.weight, g.log_beta):
        assert float(jnp.max(jnp.abs(leaf))) > 0
    # finite-difference check of d loss / d log_beta
    eps = 1e-6
    up = eqx.tree_at(lambda m: m.log_beta, layer, layer.log_beta + eps)
    dn = eqx.tree_at(lambda m: m.log_beta, layer, layer.log_beta - eps)
    np.testing.assert_allclose(float(g.log_beta), (float(loss(up)) - float(loss(dn))) / (2 * eps), rtol=1e-5)


def test_network_is_differentiable_through_retrieval(x64):
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.normal(size=(6, 4)))
    q = jnp.asarray(rng.normal(size=(2, 4)))
    check_grads(lambda x, q: ModernHopfield(x, beta=1.5).retrieve(q, steps=2), (x, q), order=1,
                modes=["rev"], atol=1e-5, rtol=1e-5)


def test_bad_input():
    with pytest.raises(ValueError, match="beta must be a finite number > 0, got 0"):
        ModernHopfield(np.ones((3, 4)), beta=0)
    with pytest.raises(ValueError, match="beta must be a finite number > 0, got -1"):
        ModernHopfield(np.ones((3, 4)), beta=-1.0)
    with pytest.raises(ValueError, match="at least one pattern"):
        ModernHopfield(np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r"queries must have shape \(4,\) or \(batch, 4\), got shape \(3,\)"):
        ModernHopfield(np.ones((3, 4))).retrieve(np.ones(3))
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        ModernHopfield(np.ones((3, 4))).retrieve(np.ones(4), steps=-1)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        ModernHopfieldLayer(2, 2, 2, 2, beta=0.0, key=jax.random.key(0))
