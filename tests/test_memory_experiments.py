"""Associative-memory experiments and their figures."""

import jax
import numpy as np
import pytest
from matplotlib.figure import Figure

from neurodyn import plot
from neurodyn.memory import (
    DenseAssociativeMemory,
    Hopfield,
    basin_of_attraction,
    capacity_curve,
    classify_states,
    corrupt,
    digits_completion,
    random_patterns,
    spurious_states,
)


def test_capacity_curve_falls_with_load_and_noise():
    c = capacity_curve(jax.random.key(0), 200, loads=[0.05, 0.3], noise=[0.0, 0.2], n_trials=2, max_cues=20)
    assert c.overlap.shape == (2, 2)
    assert c.overlap[0, 0] > 0.97 and c.overlap[1, 0] < 0.6  # below / far above 0.138
    assert c.overlap[0, 1] > 0.9  # a low load cleans 20 % noise
    fig = plot.capacity_curves(c)
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) >= 1


def test_basin_shrinks_with_load():
    xi = random_patterns(jax.random.key(1), 40, 200)
    low = basin_of_attraction(jax.random.key(2), Hopfield(xi[:10]), [0.1, 0.3, 0.45], n_cues=40)
    high = basin_of_attraction(jax.random.key(2), Hopfield(xi[:24]), [0.1, 0.3, 0.45], n_cues=40)
    assert low.recall_probability[0] == 1.0
    assert np.all(low.recall_probability >= high.recall_probability - 0.05)
    assert low.radius >= high.radius
    dense = basin_of_attraction(jax.random.key(2), DenseAssociativeMemory(xi, n=3), [0.1, 0.3], n_cues=40)
    assert dense.recall_probability[1] >= 0.9  # a dense memory has wide basins at load 0.2


def test_spurious_states_and_symmetric_mixture():
    """Amit, Gutfreund & Sompolinsky (1985): the symmetric 3-mixture is stable at low load, overlaps 1/2."""
    xi = random_patterns(jax.random.key(3), 3, 400)
    res = spurious_states(jax.random.key(4), Hopfield(xi), n_starts=64)
    assert res.mixture_stable
    np.testing.assert_allclose(res.mixture_overlaps, 0.5, atol=0.1)
    assert abs(sum(res.fractions.values()) - 1.0) < 1e-9
    assert res.fractions["mixture"] > 0.0 and res.fractions["retrieval"] > 0.1


def test_classify_states():
    m = np.array([[0.98, 0.1, 0.0], [-1.0, 0.0, 0.1], [0.5, 0.5, -0.5], [0.1, 0.2, 0.1]])
    np.testing.assert_array_equal(classify_states(m), [0, 1, 2, 3])


def test_digits_completion_dense_and_modern_beat_classical():
    pytest.importorskip("sklearn", reason="scikit-learn is in the test extra")
    d = digits_completion(jax.random.key(5), corruption="flip", fraction=0.15, n_cues=40)
    assert d.stored.shape == (10, 64) and d.cues.shape == (40, 64)
    assert d.accuracy["classical"] < 0.5  # ten correlated digits defeat the Hebbian rule
    assert d.accuracy["modern"] >= 0.9
    assert d.accuracy["dense"] >= 0.7
    assert d.pixel_error["modern"] < d.pixel_error["classical"]
    grid = np.stack([d.cues[:10], d.recalled["classical"][:10], d.recalled["dense"][:10],
                     d.recalled["modern"][:10], d.stored[d.targets[:10]]])
    fig = plot.pattern_grid(grid, (8, 8), row_labels=["cue", "classical", "dense", "modern", "stored"])
    assert len(fig.axes) == 50


def test_trajectory_figures():
    xi = random_patterns(jax.random.key(6), 6, 100)
    out = Hopfield(xi).recall(corrupt(jax.random.key(7), xi[:2], 0.3), key=jax.random.key(8),
                              record_overlaps=True, max_sweeps=8)
    fig = plot.overlap_trajectories(out.overlap_trace[0])
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 6
    fig = plot.energy_descent(out.energy, labels=["a", "b"])
    assert len(fig.axes[0].lines) == 2
    fig = plot.pattern_grid(xi, (10, 10), ncols=4, titles=list("abcdef"))
    assert len(fig.axes) == 8
    with pytest.raises(ValueError, match="overlaps must have shape"):
        plot.overlap_trajectories(np.zeros(3))
