"""Single-neuron analysis helpers against analytic results."""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn as nd
from neurodyn.analysis import adaptation_index, classify_firing_pattern, detect_bursts


def lif_rate(I, tau=10.0, C=250.0, theta=15.0, t_ref=2.0):
    """Analytic LIF rate (Hz) for a constant current: 1 / (t_ref + tau ln(RI / (RI - theta)))."""
    RI = I * tau / C
    with np.errstate(divide="ignore", invalid="ignore"):
        T = t_ref + tau * np.log(RI / (RI - theta))
    return np.where(RI > theta, 1000.0 / T, 0.0)


def test_fi_curve_matches_lif_theory(x64):
    currents = np.array([300.0, 400.0, 500.0, 800.0, 1200.0])
    rates = nd.analysis.fi_curve(nd.neurons.LIF(n=1), currents, 2000.0, 0.01)
    # counts over 2 s are integers: allow one spike (0.5 Hz) plus grid effects of one step per ISI
    expected = lif_rate(currents)
    tol = 0.5 + expected**2 * 0.01 * 1e-3  # one spike in 2 s, plus ISIs rounded up by up to one step
    assert np.all(np.abs(rates - expected) <= tol), (rates, expected)


def test_rheobase_of_lif_is_analytic(x64):
    lif = nd.neurons.LIF(n=1)
    I0 = nd.analysis.rheobase(lif, 300.0, 500.0, 1000.0, 0.1, tol=0.5)
    # firing twice within 1 s needs slightly more than C (V_th - E_L) / tau = 375 pA
    assert 375.0 <= I0 <= 380.0


def test_fi_curve_runs_a_custom_neuron():
    custom = nd.neurons.Custom(n=1, init={"V": -70.0},
                               vector_field=lambda t, v, I: {"V": (-70.0 - v["V"]) / 10.0 + I / 250.0},
                               threshold=lambda v: v["V"] >= -55.0, reset=lambda v: {"V": jnp.full_like(v["V"], -70.0)},
                               solver=nd.ExponentialEuler())
    rates = nd.analysis.fi_curve(custom, jnp.array([300.0, 600.0]), 500.0, 0.1)
    assert rates[0] == 0 and rates[1] > 0


def test_adaptation_index_values():
    assert adaptation_index(np.arange(10) * 10.0) == 0.0
    isi = 10.0 * 1.2 ** np.arange(8)  # geometric growth: every term (1.2-1)/(1.2+1)
    assert adaptation_index(np.concatenate([[0.0], np.cumsum(isi)])) == pytest.approx(0.2 / 2.2)
    assert adaptation_index(np.concatenate([[0.0], np.cumsum(isi[::-1])])) == pytest.approx(-0.2 / 2.2)


@settings(max_examples=30, deadline=None)
@given(n_bursts=st.integers(1, 6), size=st.integers(2, 6), intra=st.floats(1.0, 5.0), gap=st.floats(15.0, 100.0))
def test_detect_bursts_finds_constructed_bursts(n_bursts, size, intra, gap):
    # gap: silence between the last spike of a burst and the first of the next (> max_isi)
    period = (size - 1) * intra + gap
    times = np.concatenate([b * period + np.arange(size) * intra for b in range(n_bursts)])
    starts, ends, sizes = detect_bursts(times, max_isi=10.0)
    assert len(starts) == n_bursts and np.all(sizes == size)
    np.testing.assert_allclose(starts, np.arange(n_bursts) * period)


@pytest.mark.parametrize(
    "times, expected",
    [
        (np.arange(1, 50) * 20.0, "tonic"),
        (np.cumsum(10.0 * 1.3 ** np.minimum(np.arange(40), 8)), "adapting"),
        (np.concatenate([[5.0, 8.0, 11.0], 11.0 + np.arange(1, 30) * 35.0]), "initial_burst"),
        (np.concatenate([b * 100.0 + np.array([0.0, 3.0, 6.0]) for b in range(10)]) + 10.0, "bursting"),
        (np.arange(1, 20) * 20.0 + 300.0, "delayed"),
        (np.array([5.0, 12.0, 20.0, 40.0]), "transient"),
        (np.array([]), "silent"),
    ],
)
def test_classifier_on_constructed_trains(times, expected):
    assert classify_firing_pattern(times, 0.0, 1000.0 if expected != "delayed" else 700.0) == expected


def test_classifier_irregular():
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.exponential(20.0, size=60))
    assert classify_firing_pattern(times, 0.0, float(times[-1])) == "irregular"
