"""Classical Hopfield network: storage rules, energy, recall dynamics, capacity, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodyn.memory import Hopfield, corrupt, random_patterns


def np_patterns(seed, p, n):
    return np.where(np.random.default_rng(seed).random((p, n)) < 0.5, -1.0, 1.0)


# ---------------------------------------------------------------- storage rules


def test_hebbian_weights_match_definition():
    xi = np_patterns(0, 7, 40)
    w = np.asarray(Hopfield(xi).weights)
    ref = sum(np.outer(x, x) for x in xi) / 40
    np.fill_diagonal(ref, 0.0)
    np.testing.assert_allclose(w, ref, atol=1e-6)


def test_pseudo_inverse_is_projector_and_patterns_are_fixed_points(x64):
    xi = np_patterns(1, 30, 60)  # load 0.5: Hebbian fails, projection rule must not
    net = Hopfield(xi, rule="pseudo_inverse", zero_diagonal=False)
    w = np.asarray(net.weights)
    np.testing.assert_allclose(w @ w, w, atol=1e-10)  # a projector
    np.testing.assert_allclose(xi @ w.T, xi, atol=1e-10)  # W xi = xi
    zd = Hopfield(xi, rule="pseudo_inverse")
    out = zd.recall(xi, mode="sync", max_sweeps=1)
    np.testing.assert_array_equal(np.asarray(out.state), xi)
    assert bool(jnp.all(out.fixed_point))


def storkey_reference(xi):
    """Storkey (1997), written with the explicit sums over k != i, j."""
    p, n = xi.shape
    w = np.zeros((n, n))
    for x in xi:
        h = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                h[i, j] = sum(w[i, k] * x[k] for k in range(n) if k != i and k != j)
        w = w + (np.outer(x, x) - x[:, None] * h.T - h * x[None, :]) / n
        np.fill_diagonal(w, 0.0)
    return w


def test_storkey_matches_explicit_sums(x64):
    xi = np_patterns(2, 4, 12)
    np.testing.assert_allclose(np.asarray(Hopfield(xi, rule="storkey").weights), storkey_reference(xi), atol=1e-12)


def test_storkey_stores_more_than_hebbian():
    # Storkey's capacity (~0.25 N at this size) exceeds the Hebbian 0.14 N
    xi = random_patterns(jax.random.key(3), 40, 200)
    heb = Hopfield(xi).recall(xi, mode="sync", max_sweeps=1)
    sto = Hopfield(xi, rule="storkey").recall(xi, mode="sync", max_sweeps=1)
    assert float(jnp.mean(sto.fixed_point)) > float(jnp.mean(heb.fixed_point)) + 0.3


# ---------------------------------------------------------------- energy


def test_energy_matches_ising_form():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(9, 9))
    w = a + a.T
    th = rng.normal(size=9)
    s = np.sign(rng.normal(size=(5, 9)))
    net = Hopfield.from_weights(w, th)
    ref = [-0.5 * x @ w @ x + th @ x for x in s]
    np.testing.assert_allclose(np.asarray(net.energy(s)), ref, rtol=1e-5)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.sampled_from([5, 23]), steps=st.integers(1, 3))
def test_energy_never_increases_under_async_updates(seed, n, steps):
    """Random symmetric networks (w_ii >= 0), random thresholds and states."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    w = (a + a.T) / 2
    np.fill_diagonal(w, np.abs(np.diag(w)))
    th = rng.normal(size=n) * rng.uniform(0, 2)
    net = Hopfield.from_weights(w, th)
    s = np.sign(rng.normal(size=(4, n))) + 0.0
    s[s == 0] = 1.0
    e_prev = np.asarray(net.energy(s), np.float64)
    key = jax.random.key(seed)
    for k in range(steps):
        out = net.recall(s, mode="async", key=jax.random.fold_in(key, k), max_sweeps=1)
        # the reported energy trace is the energy of the states
        np.testing.assert_allclose(np.asarray(out.energy[:, -1]), np.asarray(net.energy(out.state)),
                                   rtol=1e-4, atol=1e-4)
        e = np.asarray(net.energy(out.state), np.float64)
        assert np.all(e <= e_prev + 1e-4 * (1 + np.abs(e_prev)))
        e_prev, s = e, np.asarray(out.state)
    # unit by unit too
    x = s[0]
    e0 = float(net.energy(x))
    for i in rng.permutation(n):
        x = np.asarray(net.update_unit(x, int(i)))
        e1 = float(net.energy(x))
        assert e1 <= e0 + 1e-5 * (1 + abs(e0))
        e0 = e1


def test_energy_trace_is_non_increasing_and_ends_at_fixed_point():
    xi = random_patterns(jax.random.key(5), 30, 300)
    net = Hopfield(xi)
    out = net.recall(corrupt(jax.random.key(6), xi, 0.3), key=jax.random.key(7))
    e = np.asarray(out.energy)
    assert np.all(np.diff(e, axis=1) <= 1e-4)
    assert bool(jnp.all(out.fixed_point))
    # the trace is anchored at both ends on the energies of the cue and the final state
    np.testing.assert_allclose(e[:, 0], np.asarray(net.energy(corrupt(jax.random.key(6), xi, 0.3))), atol=1e-3)
    np.testing.assert_allclose(e[:, -1], np.asarray(net.energy(out.state)), atol=1e-3)
    # at a fixed point no unit wants to flip: s_i h_i >= 0
    h = net.local_field(out.state)
    assert float(jnp.min(h * out.state)) >= -1e-5


# ---------------------------------------------------------------- dynamics


def sequential_reference(w, th, s, max_sweeps):
    """Plain NumPy asynchronous recall, units 0..N-1 in order, zero temperature."""
    s = s.copy()
    for sweep in range(max_sweeps):
        changed = False
        for i in range(len(s)):
            h = w[i] @ s - th[i]
            new = 1.0 if h > 1e-9 else (-1.0 if h < -1e-9 else s[i])
            changed |= new != s[i]
            s[i] = new
        if not changed:
            return s, sweep
    return s, max_sweeps


def test_sequential_async_matches_numpy_loop(x64):
    rng = np.random.default_rng(8)
    n = 37  # not a multiple of the block size: padding must be inert
    a = rng.normal(size=(n, n))
    w = a + a.T
    np.fill_diagonal(w, 0.0)
    th = rng.normal(size=n) * 0.3
    net = Hopfield.from_weights(w, th)
    cues = np.sign(rng.normal(size=(6, n)))
    out = net.recall(cues, order="sequential", max_sweeps=50)
    for c, s, sw in zip(cues, np.asarray(out.state), np.asarray(out.sweeps)):
        ref, ref_sweeps = sequential_reference(w, th, c, 50)
        np.testing.assert_array_equal(s, ref)
        assert sw == ref_sweeps


def test_single_cue_and_batch_agree():
    xi = random_patterns(jax.random.key(9), 10, 120)
    net = Hopfield(xi)
    cues = corrupt(jax.random.key(10), xi[:3], 0.2)
    batch = net.recall(cues, order="sequential")
    one = net.recall(cues[1], order="sequential")
    np.testing.assert_array_equal(np.asarray(one.state), np.asarray(batch.state[1]))
    assert one.overlaps.shape == (10,) and one.energy.shape == (101,)
    assert float(one.overlaps[1]) == 1.0


def test_sync_reaches_fixed_point_or_two_cycle():
    rng = np.random.default_rng(11)
    a = rng.normal(size=(50, 50))
    w = a + a.T
    net = Hopfield.from_weights(w, zero_diagonal=True)
    out = net.recall(np.sign(rng.normal(size=(64, 50))), mode="sync", max_sweeps=200)
    assert bool(jnp.all(out.fixed_point | out.two_cycle))
    assert bool(jnp.any(out.two_cycle))  # random couplings: some cues oscillate


def test_sync_two_cycle_is_detected():
    net = Hopfield.from_weights(np.array([[0.0, 1.0], [1.0, 0.0]]))
    out = net.recall(np.array([1.0, -1.0]), mode="sync")
    assert bool(out.two_cycle) and not bool(out.fixed_point)
    async_out = net.recall(np.array([1.0, -1.0]), order="sequential")
    assert bool(async_out.fixed_point) and not bool(async_out.two_cycle)


def test_glauber_single_unit_statistics():
    # one unit with field h: P(s = +1) = 1 / (1 + exp(-2 h / T))
    h, temp, b = 0.4, 0.5, 20000
    net = Hopfield.from_weights(np.zeros((1, 1)), thresholds=-h)
    out = net.recall(-np.ones((b, 1)), key=jax.random.key(12), temperature=temp, max_sweeps=1)
    p = float(jnp.mean(out.state == 1))
    expect = 1 / (1 + np.exp(-2 * h / temp))
    assert abs(p - expect) < 4 * np.sqrt(expect * (1 - expect) / b)


def test_high_temperature_destroys_retrieval():
    xi = random_patterns(jax.random.key(13), 5, 200)
    net = Hopfield(xi)
    cold = net.recall(xi, key=jax.random.key(14), temperature=0.05, max_sweeps=5)
    hot = net.recall(xi, key=jax.random.key(14), temperature=5.0, max_sweeps=5)
    assert float(jnp.mean(jnp.diagonal(cold.overlaps))) > 0.95
    assert float(jnp.mean(jnp.abs(jnp.diagonal(hot.overlaps)))) < 0.3


def test_overlap_trace():
    xi = random_patterns(jax.random.key(15), 8, 100)
    out = Hopfield(xi).recall(corrupt(jax.random.key(16), xi[2], 0.25), key=jax.random.key(17),
                              record_overlaps=True, max_sweeps=10)
    tr = np.asarray(out.overlap_trace)
    assert tr.shape == (11, 8)
    np.testing.assert_allclose(tr[-1], np.asarray(out.overlaps), atol=1e-6)
    assert abs(tr[0, 2] - 0.5) < 0.2 and tr[-1, 2] == 1.0


def test_hebbian_capacity_at_n1000():
    """Amit, Gutfreund & Sompolinsky (1985): retrieval collapses at alpha_c = 0.138.

    N = 1,000, random patterns, asynchronous zero-temperature recall started from every
    stored pattern; mean final overlap >= 0.98 at P/N = 0.10, below 0.8 at P/N = 0.16.
    """
    n = 1000

    def mean_overlap(p, trials):
        ms = []
        for t in range(trials):
            k1, k2 = jax.random.split(jax.random.key(100 + 7 * p + t))
            xi = random_patterns(k1, p, n)
            out = Hopfield(xi).recall(xi, key=k2)
            ms.append(float(jnp.mean(jnp.diagonal(out.overlaps))))
        return np.mean(ms)

    assert mean_overlap(100, 2) >= 0.98
    assert mean_overlap(160, 3) < 0.8


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(patterns=np.array([[1.0, 0.5, -1.0]])), "patterns must contain only \\+1 and -1"),
        (dict(patterns=np.zeros((0, 10))), "at least one pattern"),
        (dict(patterns=np.ones(5)), "2-D array"),
        (dict(patterns=np.ones((2, 4)), rule="oja"), "rule must be one of"),
        (dict(patterns=np.ones((2, 4)), thresholds=np.zeros(3)), "thresholds must be a scalar or shape \\(4,\\)"),
        (dict(patterns=None), "patterns must be given"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Hopfield(**kwargs)


def test_bad_recall_arguments():
    net = Hopfield(np.ones((2, 6)))
    with pytest.raises(ValueError, match=r"cue must have shape \(6,\) or \(batch, 6\), got shape \(5,\)"):
        net.recall(np.ones(5), order="sequential")
    with pytest.raises(ValueError, match="cue must contain only"):
        net.recall(np.full(6, 0.3), order="sequential")
    with pytest.raises(ValueError, match="key must be"):
        net.recall(np.ones(6))
    with pytest.raises(ValueError, match="mode must be one of"):
        net.recall(np.ones(6), mode="parallel")
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        net.recall(np.ones(6), order="sequential", temperature=-1.0)
    with pytest.raises(ValueError, match="max_sweeps must be an integer >= 1"):
        net.recall(np.ones(6), order="sequential", max_sweeps=0)
    with pytest.raises(ValueError, match="weights must be symmetric"):
        Hopfield.from_weights(np.triu(np.ones((3, 3))))
