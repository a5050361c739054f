"""Spike sources: SpikeGenerator replays given times; PoissonSource draws Poisson trains."""

import equinox as eqx
import jax
import numpy as np
import pytest

import neurodyn as nd


def test_spike_generator_replays_times_on_the_grid():
    times = np.array([0.5, 1.0, 1.0, 2.3, 7.7])
    idx = np.array([0, 1, 2, 0, 2])
    res = nd.simulate(nd.neurons.SpikeGenerator(3, times=times, indices=idx), 10.0, 0.1, progress=False)
    np.testing.assert_allclose(res.spikes.times, times, atol=1e-9)
    np.testing.assert_array_equal(res.spikes.indices, idx)
    # chained: the second half continues the same list
    half = nd.simulate(nd.neurons.SpikeGenerator(3, times=times, indices=idx), 5.0, 0.1, progress=False)
    rest = nd.simulate(nd.neurons.SpikeGenerator(3, times=times, indices=idx), 5.0, 0.1, state=half, progress=False)
    np.testing.assert_allclose(np.concatenate([half.spikes.times, rest.spikes.times]), times, atol=1e-9)


def test_poisson_source_statistics_and_continuation():
    rate, n, T = 20.0, 3000, 2000.0
    src = nd.neurons.PoissonSource(n, rate=rate)
    res = nd.simulate(src, T, 0.1, key=jax.random.key(3), progress=False)
    counts = np.asarray(res.spike_counts[""] if "" in res.spike_counts else next(iter(res.spike_counts.values())))
    mean = rate * T * 1e-3 * (1 - rate * 0.1e-3 / 2)  # Bernoulli per step: p = rate dt
    assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / n)
    assert abs(counts.var() / counts.mean() - 1.0) < 0.1  # Fano factor of Poisson counts
    isi = np.diff(res.spikes.times[res.spikes.indices == 0])
    assert abs(np.std(isi) / np.mean(isi) - 1.0) < 0.35
    a = nd.simulate(src, 1000.0, 0.1, key=jax.random.key(3), progress=False)
    b = nd.simulate(src, 1000.0, 0.1, key=jax.random.key(3), state=a, progress=False)
    np.testing.assert_array_equal(np.concatenate([a.spikes.times, b.spikes.times]), res.spikes.times)


@pytest.mark.parametrize("block", [None, 1])  # None: the source's own block; 1: one gap per round (many rounds)
def test_sparse_poisson_draws_are_independent_bernoulli_per_step(block, monkeypatch):
    """At a low rate per step a source draws the geometric gaps between its spikes; the
    result must be n independent Bernoulli(p) draws per step, whatever the number of rounds:
    per-step totals Binomial(n, p), every neuron equally likely (no bias from where the gaps
    run out), no excess of neighbouring pairs, and Bernoulli counts per neuron."""
    from neurodyn.neurons import _generator

    rate, n, dt, steps = 15.0, 1000, 0.1, 20_000
    p = rate * dt * 1e-3
    assert n * p <= 4 * _generator.GAP_BLOCK  # this case takes the gap draw
    if block is not None:
        monkeypatch.setattr(_generator, "GAP_BLOCK", block)
    res = nd.simulate(nd.neurons.PoissonSource(n, rate=rate), steps * dt, dt, key=jax.random.key(5), progress=False)
    idx, step = res.spikes.indices, np.round(res.spikes.times / dt).astype(int)
    per_step = np.bincount(step, minlength=steps + 1)[1:]
    total = n * steps * p
    assert abs(per_step.sum() - total) < 4 * np.sqrt(total)
    assert abs(per_step.var() / (n * p * (1 - p)) - 1.0) < 0.05  # Binomial variance
    assert np.bincount(step * n + idx).max() == 1  # at most one spike per neuron and step
    per_neuron = np.bincount(idx, minlength=n)
    tenths = per_neuron.reshape(10, -1).sum(axis=1)  # first vs last neurons: the same chance
    expected = total / 10
    assert np.sum((tenths - expected) ** 2 / expected) < 27.9  # chi-square, 9 dof, p = 0.001
    assert abs(per_neuron.var() / (steps * p * (1 - p)) - 1.0) < 0.15
    assert per_neuron.min() > 8  # every neuron fires (mean 30; P(<= 8) ~ 1e-6 each), the first and last too
    same_step_pairs = np.sum(np.diff(np.sort(step * n + idx)) == 1)  # neighbours i, i+1 in one step
    assert abs(same_step_pairs - steps * (n - 1) * p * p) < 5 * np.sqrt(steps * (n - 1) * p * p) + 1


def test_sources_refuse_bad_input():
    with pytest.raises(ValueError, match="times must be finite and > 0 ms"):
        nd.neurons.SpikeGenerator(2, times=[1.0, -1.0], indices=[0, 1])
    with pytest.raises(ValueError, match=r"indices must be integers in \[0, 2\)"):
        nd.neurons.SpikeGenerator(2, times=[1.0, 2.0], indices=[0, 2])
    with pytest.raises(ValueError, match="times and indices must have the same length"):
        nd.neurons.SpikeGenerator(2, times=[1.0, 2.0], indices=[0])
    with pytest.raises(ValueError, match="rate must be >= 0"):
        nd.neurons.PoissonSource(3, rate=-1.0)
    with pytest.raises(ValueError, match="rate"):
        nd.neurons.PoissonSource(3, rate=[1.0, 2.0])
    with pytest.raises(eqx.EquinoxRuntimeError, match="PoissonSource takes no external drive"):
        nd.simulate(nd.neurons.PoissonSource(3, rate=5.0), 5.0, 0.1, inputs=nd.inputs.constant(1.0), progress=False)
