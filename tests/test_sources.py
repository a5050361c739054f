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
