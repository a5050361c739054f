"""Connectivity builders: exact structural guarantees, statistics, storage size."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn as nd
from neurodyn import connectivity as C


def _valid(csr, n_pre, n_post):
    assert csr.indptr.dtype == np.int32 and csr.indices.dtype == np.int32
    assert csr.indptr[0] == 0 and np.all(np.diff(csr.indptr) >= 0) and csr.indptr[-1] == len(csr.indices)
    assert np.all((csr.indices >= 0) & (csr.indices < n_post))
    for i in range(n_pre):  # rows ascending, no duplicates
        row = csr.indices[csr.indptr[i]:csr.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


def _has_autapse(csr):
    return bool(np.any(csr.rows() == csr.indices))


@settings(max_examples=25, deadline=None)
@given(n_pre=st.integers(1, 40), n_post=st.integers(2, 40), p=st.floats(0, 1), seed=st.integers(0, 2**31),
       same=st.booleans(), autapses=st.booleans())
def test_fixed_probability_structure(n_pre, n_post, p, seed, same, autapses):
    if same:
        n_post = n_pre = max(n_pre, 2)
    csr = C.fixed_probability(p, autapses=autapses).build(n_pre, n_post, np.random.default_rng(seed), same)
    _valid(csr, n_pre, n_post)
    if same and not autapses:
        assert not _has_autapse(csr)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), k_frac=st.floats(0, 1), seed=st.integers(0, 2**31), autapses=st.booleans())
def test_fixed_degrees_are_exact(n, k_frac, seed, autapses):
    k = int(k_frac * (n - 1))
    rng = np.random.default_rng(seed)
    out = C.fixed_outdegree(k, autapses=autapses).build(n, n, rng, True)
    _valid(out, n, n)
    assert np.all(out.out_degree == k) and (autapses or not _has_autapse(out))
    inn = C.fixed_indegree(k, autapses=autapses).build(n, n, rng, True)
    _valid(inn, n, n)
    assert np.all(inn.in_degree == k) and (autapses or not _has_autapse(inn))


def test_fixed_probability_statistics():
    """Synapse count is Binomial(n (n - 1), p); in-degrees spread like a binomial."""
    n, p = 2000, 0.05
    csr = C.fixed_probability(p).build(n, n, np.random.default_rng(1), True)
    mean = n * (n - 1) * p
    assert abs(csr.nnz - mean) < 5 * np.sqrt(mean * (1 - p))
    var = csr.in_degree.var()
    assert 0.85 < var / ((n - 1) * p * (1 - p)) < 1.15
    # targets uniform over neurons: chi-square on 10 bins of the in-degree sum
    counts = np.bincount(csr.indices // 200, minlength=10)
    chi2 = ((counts - counts.mean()) ** 2 / counts.mean()).sum()
    assert chi2 < 30  # chi2(9 dof) exceeds 30 with probability < 0.001


def test_all_to_all_and_autapses():
    assert C.all_to_all().build(5, 5, None, True).nnz == 20
    assert C.all_to_all(autapses=True).build(5, 5, None, True).nnz == 25
    assert C.all_to_all().build(5, 3, None, False).nnz == 15


@pytest.mark.parametrize("geometry,n", [("ring", 400), ("sheet", 400)])
def test_distance_profile_matches_probability(geometry, n):
    b = C.distance(sigma=0.1, p_max=0.8, geometry=geometry)
    csr = b.build(n, n, np.random.default_rng(2), True)
    _valid(csr, n, n)
    assert not _has_autapse(csr)
    x = b.positions(n)
    diff = np.abs(x[:, None, :] - x[None, :, :])
    d = np.sqrt((np.minimum(diff, 1 - diff) ** 2).sum(-1))
    prob = 0.8 * np.exp(-0.5 * (d / 0.1) ** 2)
    np.fill_diagonal(prob, 0.0)
    dense = csr.to_dense(1.0) > 0
    expected, observed = prob.sum(), dense.sum()
    assert abs(observed - expected) < 5 * np.sqrt(expected)
    near, far = d < 0.1, d > 0.3
    assert dense[near].mean() > 0.4 and dense[far].mean() < 0.02


def test_from_dense_and_scipy_round_trip():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 9)) * (rng.random((6, 9)) < 0.4)
    csr = C.from_dense(W).build(6, 9, None, False)
    np.testing.assert_array_equal(csr.to_dense(), W)
    coo = sp.coo_matrix(([1.0, 2.0, 5.0], ([0, 0, 3], [2, 2, 1])), shape=(6, 9))  # duplicates sum
    csr2 = C.from_scipy(coo).build(6, 9, None, False)
    expected = np.zeros((6, 9))
    expected[0, 2], expected[3, 1] = 3.0, 5.0
    np.testing.assert_array_equal(csr2.to_dense(), expected)
    with pytest.raises(ValueError, match=r"matrix must have shape \(n_pre, n_post\) = \(5, 9\), got shape \(6, 9\)"):
        C.from_dense(W).build(5, 9, None, False)


def test_from_dense_network_weights():
    W = np.array([[0.0, 2.0], [3.0, 0.0]])
    pop = C.WithSynapses(nd.neurons.LIF(n=2), {"exc": C.ExpCurrent(tau=5.0)})
    net = nd.Network({"A": pop}, [nd.Projection("A", "A", C.from_dense(W))])
    np.testing.assert_array_equal(np.asarray(net.synapses[0].weights), [2.0, 3.0])


def test_weight_and_delay_distributions():
    rng = np.random.default_rng(0)
    x = C.normal(1.0, 0.5, low=0.0).sample(rng, 100_000)
    assert x.min() >= 0 and abs(np.median(x) - 1.0) < 0.01
    y = C.lognormal(2.0, 1.0).sample(rng, 200_000)
    assert abs(y.mean() - 2.0) < 0.02 and abs(y.std() - 1.0) < 0.03
    z = C.uniform(1.0, 3.0).sample(rng, 100_000)
    assert 1.0 <= z.min() and z.max() < 3.0 and abs(z.mean() - 2.0) < 0.01
    with pytest.raises(ValueError, match="std must be >= 0, got -1"):
        C.normal(0.0, -1)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        C.fixed_probability(1.5)


def test_memory_per_synapse_scales_to_a_million_neurons():
    """COBA with 80 synapses per neuron: the stored network costs ~4 bytes per synapse
    (int32 targets; homogeneous weights and delays store nothing per synapse), and the
    build's peak host memory stays below 40 bytes per synapse. At 1,000,000 neurons
    (80,000,000 synapses) that is 0.32 GB stored and < 3.2 GB at peak: under 4 GB."""
    n = 50_000
    tracemalloc.start()
    net, _ = nd.examples.coba(n, propagation="jax")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n_syn = sum(int(s.indices.shape[0]) for s in net.synapses)
    assert abs(n_syn / n - 80) < 1
    stored = sum(s.indices.nbytes + s.indptr.nbytes + s.weights.nbytes for s in net.synapses)
    per_synapse = (stored - sum(s.indptr.nbytes for s in net.synapses)) / n_syn
    assert per_synapse <= 4.0 + 1e-3
    assert stored / n_syn < 4.5
    assert peak / n_syn < 40, peak / n_syn
