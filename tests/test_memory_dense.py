"""Dense associative memories (Krotov & Hopfield 2016; Demircigil et al. 2017)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neurodyn.memory import DenseAssociativeMemory, Hopfield, corrupt, dam_capacity, random_patterns


def test_energy_definition():
    rng = np.random.default_rng(0)
    xi = np.sign(rng.normal(size=(6, 10)))
    s = np.sign(rng.normal(size=(3, 10)))
    a = s @ xi.T
    dam = DenseAssociativeMemory(xi, F="poly", n=3)
    np.testing.assert_allclose(np.asarray(dam.energy(s)), -np.sum(np.maximum(a, 0) ** 3, 1), rtol=1e-6)
    dexp = DenseAssociativeMemory(xi, F="exp", beta=0.3)
    np.testing.assert_allclose(np.asarray(dexp.energy(s)), -np.sum(np.exp(0.3 * a), 1), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(dexp.log_neg_energy(s)), np.log(np.sum(np.exp(0.3 * a), 1)), rtol=1e-5)


def krotov_hopfield_update(xi, s, i, n):
    """Krotov & Hopfield (2016) eq. 3, written out for one unit."""
    rest = xi @ s - xi[:, i] * s[i]
    f = lambda x: np.maximum(x, 0.0) ** n  # noqa: E731
    d = np.sum(f(xi[:, i] + rest) - f(-xi[:, i] + rest))
    return 1.0 if d > 0 else (-1.0 if d < 0 else s[i])


def test_async_sweep_matches_update_rule(x64):
    rng = np.random.default_rng(1)
    xi = np.sign(rng.normal(size=(30, 25)))
    cue = np.sign(rng.normal(size=25))
    dam = DenseAssociativeMemory(xi, n=3)
    out = dam.recall(cue, order="sequential", max_sweeps=1)
    s = cue.copy()
    for i in range(25):
        s[i] = krotov_hopfield_update(xi, s, i, 3)
    np.testing.assert_array_equal(np.asarray(out.state), s)


def test_energy_never_increases():
    xi = random_patterns(jax.random.key(2), 60, 50)
    for dam in (DenseAssociativeMemory(xi, n=4), DenseAssociativeMemory(xi, F="exp", beta=0.2)):
        out = dam.recall(random_patterns(jax.random.key(3), 16, 50), key=jax.random.key(4), max_sweeps=20)
        e = np.asarray(out.energy, np.float64)
        assert np.all(np.diff(e, axis=1) <= 1e-5 * np.abs(e[:, :-1]))
        assert bool(jnp.all(out.fixed_point))


def test_order3_recalls_where_classical_fails():
    """N = 100, P = 40 (load 0.4, about three times the classical 0.138 of Amit et al. 1985)."""
    xi = random_patterns(jax.random.key(5), 40, 100)
    cues = corrupt(jax.random.key(6), xi, 0.1)
    classical = Hopfield(xi).recall(cues, key=jax.random.key(7))
    dense = DenseAssociativeMemory(xi, F="poly", n=3).recall(cues, key=jax.random.key(7))
    assert float(jnp.mean(jnp.diagonal(classical.overlaps))) < 0.7
    assert float(jnp.mean(jnp.diagonal(dense.overlaps))) >= 0.99


def test_capacity_grows_as_n_to_the_order_minus_one():
    """Krotov & Hopfield (2016): K_max ~ N^(n-1) / (2 (2n-3)!! ln N).

    The fitted exponent of capacity against N must be n - 1 - 1/ln(N) (the log
    correction), within 0.3, and the capacity of order 3 must exceed order 2 by about
    a factor N.
    """
    sizes = (24, 48, 96)
    res = dam_capacity(jax.random.key(8), orders=(2, 3), sizes=sizes)
    log_corr = 1 / math.log(np.exp(np.mean(np.log(sizes))))
    for order, expo in zip(res.orders, res.exponent):
        assert abs(expo - (order - 1 - log_corr)) < 0.3, (order, expo, res.capacity)
    ratio = res.capacity[1] / res.capacity[0]
    assert np.all(ratio > 0.5 * np.asarray(sizes) / 3)


def test_exponential_stores_more_patterns_than_units_squared():
    """Demircigil et al. (2017): exponential capacity; P = 2,000 > N^2 / 2 at N = 48."""
    n, p = 48, 2000
    xi = random_patterns(jax.random.key(9), p, n)
    cues = corrupt(jax.random.key(10), xi[:64], 0.1)
    out = DenseAssociativeMemory(xi, F="exp", beta=1.0).recall(cues, key=jax.random.key(11))
    assert float(jnp.mean(out.overlaps[jnp.arange(64), jnp.arange(64)] == 1.0)) >= 0.95


def test_sync_mode_and_bad_input():
    xi = random_patterns(jax.random.key(12), 10, 40)
    out = DenseAssociativeMemory(xi, F=3).recall(corrupt(jax.random.key(13), xi, 0.1), mode="sync")
    assert bool(jnp.all(out.fixed_point | out.two_cycle))
    with pytest.raises(ValueError, match="patterns must contain only"):
        DenseAssociativeMemory(np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="at least one pattern"):
        DenseAssociativeMemory(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        DenseAssociativeMemory(xi, F="exp", beta=0.0)
    with pytest.raises(ValueError, match="F must be one of"):
        DenseAssociativeMemory(xi, F="cubic")
    with pytest.raises(ValueError, match=r"cue must have shape \(40,\)"):
        DenseAssociativeMemory(xi).recall(np.ones(39), key=jax.random.key(0))
