"""Weight and node perturbation against the exact gradient (jax.grad), float64.

Expectations (Werfel, Xie & Seung 2005, Neural Comput 17:2699; Fiete & Seung 2006): both
estimators are unbiased to O(sigma^2); one weight-perturbation sample has total variance
about (P + 1) |g|^2 for P perturbed parameters (so ~n^2 for an n x n matrix), node
perturbation about the number of perturbed units times |g|^2 (~n); averaging S samples
divides the variance by S, so the estimate's cosine with the true gradient rises toward 1.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn.learning as nl


@pytest.fixture(scope="module")
def study():
    with jax.enable_x64(True):
        return nl.perturbation_study([4, 16], jax.random.key(0), steps=2, sigma=1e-4, trials=200)


def test_variance_grows_faster_with_weights_than_with_nodes(study):
    """n from 4 to 16: weight perturbation's relative variance ~ n^2 (16x), node
    perturbation's ~ n (4x)."""
    wp = [s.relative_variance for s in study["weight"]]
    nodes = [s.relative_variance for s in study["node"]]
    slope_w = np.log(wp[1] / wp[0]) / np.log(4.0)
    slope_n = np.log(nodes[1] / nodes[0]) / np.log(4.0)
    assert 1.6 < slope_w < 2.4, wp
    assert 0.4 < slope_n < 1.4, nodes
    assert slope_w > slope_n + 0.6
    # one sample each: about P + 1 = 17 and 257 for weight perturbation
    np.testing.assert_allclose(wp, [17.0, 257.0], rtol=0.35)
    assert all(n < w for n, w in zip(nodes, wp))


def test_unbiased_and_correlation_rises_with_samples(x64):
    """4,000 single-sample estimates: their mean matches jax.grad within its standard error
    (the z-scores of the 256 weights look standard normal). Averages of S of them are the
    estimator with samples=S (iid draws): their cosine with the true gradient rises to 1."""
    net, data, per_example, loss = nl.rate_map_problem(16, jax.random.key(1), steps=2)
    g = jax.grad(loss)(net)
    single = nl.sample_estimates(lambda k: nl.node_perturbation(net, per_example, data, k, sigma=1e-4)[1],
                                 jax.random.key(2), 4000)
    wp = nl.sample_estimates(lambda k: nl.weight_perturbation(loss, net, k, sigma=1e-4), jax.random.key(3), 4000)
    for est in (single, wp):
        stats = nl.estimator_stats(est, g)
        assert 0.7 < np.mean(stats.z**2) < 1.4 and stats.max_z < 5.0, (np.mean(stats.z**2), stats.max_z)
        corr = nl.correlation_by_samples(est, g, (1, 10, 100, 1000))
        assert np.all(np.diff(corr) > 0) and corr[-1] > 0.85, corr
    # node perturbation is the better estimator here: fewer perturbed quantities
    assert nl.correlation_by_samples(single, g, (10,))[0] > nl.correlation_by_samples(wp, g, (10,))[0]


def test_node_perturbation_on_a_linear_network_is_exactly_unbiased_for_any_sigma(x64):
    """Linear units and a quadratic loss: E[dL xi] / sigma^2 = dL/da exactly (odd moments of
    Gaussian noise vanish), so even a large sigma leaves no bias."""
    net, data, per_example, _ = nl.rate_map_problem(6, jax.random.key(5))
    lin = nl.RateMap(net.W, F=lambda a: a)
    loss = lambda m: jnp.mean(jax.vmap(per_example)(m(data[0]), data[1]))
    g = jax.grad(loss)(lin)
    est = nl.sample_estimates(lambda k: nl.node_perturbation(lin, per_example, data, k, sigma=0.5)[1],
                              jax.random.key(6), 20000)
    stats = nl.estimator_stats(est, g)
    assert 0.75 < np.mean(stats.z**2) < 1.3 and stats.max_z < 4.5, stats.z


def test_bad_input():
    net, data, per_example, loss = nl.rate_map_problem(4, jax.random.key(0))
    with pytest.raises(ValueError, match="sigma must be a number > 0, got 0.0"):
        nl.weight_perturbation(loss, net, jax.random.key(0), sigma=0.0)
    with pytest.raises(ValueError, match="samples must be an integer >= 1, got 0"):
        nl.node_perturbation(net, per_example, data, jax.random.key(0), samples=0)
    with pytest.raises(ValueError, match=r"W must be a square matrix \(n, n\), got shape \(3, 4\)"):
        nl.RateMap(jnp.zeros((3, 4)))
    with pytest.raises(ValueError, match="trials must be an integer >= 2, got 1"):
        nl.sample_estimates(lambda k: k, jax.random.key(0), 1)
