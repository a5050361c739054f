"""Associative memories as maps of the engine: ``simulate`` runs their sweeps, and
``recall``/``retrieve`` run the same step (bit for bit), energy never rises under
asynchronous zero-temperature sweeps, and bad uses get one clear error."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn as nd
from neurodyn.memory import (
    DenseAssociativeMemory,
    Hopfield,
    MemoryState,
    ModernHopfield,
    corrupt,
    random_patterns,
)


def run(model, sweeps, key, **kw):
    return nd.simulate(model, duration=sweeps, dt=1.0, key=key, progress=False, **kw)


XI = random_patterns(jax.random.key(0), 12, 96)
CUES = corrupt(jax.random.key(1), jnp.concatenate([XI, XI[:4]]), 0.25)


@pytest.mark.parametrize(
    "options",
    [
        dict(),  # asynchronous, random order
        dict(order="sequential"),
        dict(temperature=0.4),  # Glauber, asynchronous
        dict(mode="sync"),
        dict(mode="sync", temperature=0.3),  # Glauber, synchronous
        dict(block_size=16),
    ],
)
def test_simulate_equals_recall_bit_for_bit(options):
    net = Hopfield(XI, **options)
    key = jax.random.key(7)
    sweeps = 6
    out = net.recall(CUES, key=key, max_sweeps=sweeps, record_overlaps=True)
    for chunk in (None, 2):  # chunking of the run changes nothing
        res = run(net.with_cue(CUES), sweeps, key, record=["s", "energy", "overlaps"], chunk_steps=chunk)
        np.testing.assert_array_equal(np.asarray(res.final_state.s), np.asarray(out.state))
        # records are taken before each step: energy after 0..sweeps-1 sweeps, then the final state
        energy = np.concatenate([np.asarray(res.traces["energy"]), np.asarray(res.final_state.energy)[None]])
        np.testing.assert_array_equal(energy, np.asarray(out.energy).T)
        np.testing.assert_array_equal(np.asarray(res.traces["overlaps"]),
                                      np.moveaxis(np.asarray(out.overlap_trace), 1, 0)[:sweeps])
        np.testing.assert_array_equal(np.asarray(res.traces["s"][0]), np.asarray(CUES))
    # the run did something, and the recorded energy is the energy of the states
    assert int(jnp.max(out.sweeps)) >= 1
    np.testing.assert_allclose(np.asarray(res.final_state.energy), np.asarray(net.energy(out.state)), atol=1e-3)


def test_recall_stops_early_but_equals_a_longer_simulation():
    """Zero temperature: recall stops once every cue is still; simulate keeps sweeping
    (fixed points are skipped), and both end in the same states and energies."""
    net = Hopfield(XI)
    key = jax.random.key(3)
    out = net.recall(CUES, key=key, max_sweeps=40)
    assert bool(jnp.all(out.fixed_point)) and int(jnp.max(out.sweeps)) < 39
    res = run(net.with_cue(CUES), 40, key, record=["energy"])
    np.testing.assert_array_equal(np.asarray(res.final_state.s), np.asarray(out.state))
    np.testing.assert_array_equal(np.asarray(res.traces["energy"]).T, np.asarray(out.energy)[:, :40])
    np.testing.assert_array_equal(np.asarray(res.final_state.flips), 0)


@pytest.mark.parametrize("options", [dict(F=3), dict(F="exp", beta=0.3), dict(F=3, mode="sync"),
                                     dict(F=4, order="sequential")])
def test_dense_memory_simulate_equals_recall(options):
    xi = random_patterns(jax.random.key(2), 30, 40)
    cues = corrupt(jax.random.key(3), xi[:10], 0.2)
    dam = DenseAssociativeMemory(xi, **options)
    key = jax.random.key(4)
    out = dam.recall(cues, key=key, max_sweeps=4)
    res = run(dam.with_cue(cues), 4, key, record=["s", "energy", "overlaps"])
    np.testing.assert_array_equal(np.asarray(res.final_state.s), np.asarray(out.state))
    np.testing.assert_array_equal(np.asarray(res.traces["energy"]).T, np.asarray(out.energy)[:, :4])
    np.testing.assert_allclose(np.asarray(res.traces["overlaps"][0]), np.asarray(cues @ xi.T / 40), atol=1e-6)


def test_modern_simulate_equals_retrieve():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 16))
    q = rng.normal(size=(9, 16))
    net = ModernHopfield(x, beta=0.7, chunk_size=4)  # several chunks and a padded one
    for steps in (1, 3):
        res = run(net.with_cue(q), steps, jax.random.key(0), record=["xi", "energy"])
        np.testing.assert_array_equal(np.asarray(res.final_state.xi), np.asarray(net.retrieve(q, steps)))
    e = np.asarray(res.traces["energy"], np.float64)
    np.testing.assert_allclose(e[0], np.asarray(net.energy(q)), rtol=1e-6)
    assert np.all(np.diff(e, axis=0) <= 1e-5 * (1 + np.abs(e[:-1])))  # CCCP: never rises


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.sampled_from([5, 23, 70]), order=st.sampled_from(["random", "sequential"]))
def test_energy_never_increases_under_async_sweeps_through_simulate(seed, n, order):
    """Random patterns stored by each rule (and random symmetric weights with w_ii >= 0
    and thresholds); random ±1 cues; the energy recorded at every sweep never rises,
    and it is the energy of the recorded states."""
    rng = np.random.default_rng(seed)
    xi = np.where(rng.random((3, n)) < 0.5, -1.0, 1.0)
    if seed % 4 == 3:
        a = rng.normal(size=(n, n))
        w = (a + a.T) / 2
        np.fill_diagonal(w, np.abs(np.diag(w)))
    else:
        w = Hopfield(xi, rule=["hebbian", "pseudo_inverse", "storkey"][seed % 3]).weights
    # the weights as given (one compiled variant per size and order: a fast test)
    net = Hopfield.from_weights(w, rng.normal(size=n) * (seed % 2), order=order)
    cues = np.where(rng.random((6, n)) < 0.5, -1.0, 1.0)
    res = run(net.with_cue(cues), 5, jax.random.key(seed), record=["s", "energy"])
    e = np.concatenate([np.asarray(res.traces["energy"]), np.asarray(res.final_state.energy)[None]])
    assert np.all(np.diff(e, axis=0) <= 0.0), np.diff(e, axis=0).max()
    exact = np.asarray(net.energy(res.traces["s"]))
    np.testing.assert_allclose(e[:-1], exact, rtol=1e-4, atol=1e-4 * (1 + np.abs(exact).max()))


def test_batch_axes_vmap_and_random_start():
    net = Hopfield(XI, order="sequential")
    cues = CUES[:6].reshape(2, 3, 96)  # any leading axes
    res = run(net.with_cue(cues), 3, jax.random.key(0), record=["s", "energy", "overlaps"])
    assert res.traces["s"].shape == (3, 2, 3, 96) and res.traces["energy"].shape == (3, 2, 3)
    assert res.traces["overlaps"].shape == (3, 2, 3, 12)
    flat = run(net.with_cue(CUES[:6]), 3, jax.random.key(0))
    np.testing.assert_array_equal(np.asarray(res.final_state.s).reshape(6, 96), np.asarray(flat.final_state.s))
    # a vmap over simulate: one run per cue
    one = jax.vmap(lambda c: run(net.with_cue(c), 3, jax.random.key(0)).final_state.s)(CUES[:6])
    np.testing.assert_array_equal(np.asarray(one), np.asarray(flat.final_state.s))
    # without a cue: a random ±1 state drawn from the key (reproducible)
    a = run(net, 1, jax.random.key(9), record=["s"]).traces["s"][0]
    b = run(net, 1, jax.random.key(9), record=["s"]).traces["s"][0]
    c = run(net, 1, jax.random.key(10), record=["s"]).traces["s"][0]
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(np.asarray(a))) == {-1.0, 1.0} and not np.array_equal(a, c)
    assert isinstance(net.init_state(jax.random.key(0)), MemoryState)
    # a Hebbian network's starting energy comes from the P patterns: the same energy
    np.testing.assert_allclose(np.asarray(net.with_cue(CUES).init_state().energy), np.asarray(net.energy(CUES)),
                               rtol=1e-6, atol=1e-4)


def test_sync_fields_are_recordable_and_async_ones_are_not():
    net = Hopfield(XI, mode="sync").with_cue(CUES[:3])
    res = run(net, 2, jax.random.key(0), record=["s", "h"])
    np.testing.assert_allclose(np.asarray(res.traces["h"]), np.asarray(net.local_field(res.traces["s"])), atol=1e-5)
    with pytest.raises(ValueError, match="'h' \\(local fields\\) is carried in synchronous mode only"):
        run(Hopfield(XI).with_cue(CUES[:3]), 2, jax.random.key(0), record=["h"])


def test_bad_uses():
    net = Hopfield(XI)
    with pytest.raises(Exception, match="inputs: Hopfield takes no external drive"):
        run(net.with_cue(CUES[:2]), 2, jax.random.key(0), inputs=nd.inputs.constant(1.0))
    with pytest.raises(Exception, match="inputs: DenseAssociativeMemory takes no external drive"):
        run(DenseAssociativeMemory(XI).with_cue(CUES[:2]), 2, jax.random.key(0), inputs=nd.inputs.constant(0.5))
    with pytest.raises(ValueError, match=r"cue must have shape \(96,\) or \(batch, 96\), got shape \(5,\)"):
        net.with_cue(np.ones(5))
    with pytest.raises(ValueError, match="cue must contain only"):
        net.with_cue(np.full(96, 0.5))
    with pytest.raises(ValueError, match="mode must be one of"):
        net.replace(mode="parallel")
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0, got -1.0"):
        net.replace(temperature=-1.0)
    with pytest.raises(ValueError, match="block_size must be None or an integer >= 1, got 0"):
        Hopfield(XI, block_size=0)
    with pytest.raises(TypeError, match="Hopfield.replace cannot change 'weights'"):
        net.replace(weights=np.eye(96))
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1, got 0"):
        ModernHopfield(np.ones((3, 4)), chunk_size=0)
    # options given to the constructor are the network's defaults for recall
    sync = Hopfield(XI, mode="sync", temperature=0.0)
    assert sync.replace(temperature=0.5).glauber and not sync.glauber
    out = sync.recall(CUES, max_sweeps=3)
    ref = Hopfield(XI).recall(CUES, mode="sync", max_sweeps=3)
    np.testing.assert_array_equal(np.asarray(out.state), np.asarray(ref.state))
    assert eqx.tree_equal(sync.replace(mode="sync"), sync)
