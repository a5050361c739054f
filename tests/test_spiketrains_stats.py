"""Generators and measures against analytic values of renewal and Poisson processes.

Tolerances are a few standard errors of the estimators for the train lengths used.
"""

import jax
import numpy as np
import pytest

import neurodyn.analysis as na


def test_poisson_cv_and_fano_are_one():
    st = na.poisson(20.0, 200_000.0, key=jax.random.key(0), n_units=20)  # ~4000 spikes per unit
    cv = na.cv(st)
    # CV of n exponential ISIs: standard error ~ 1/sqrt(n); mean over 20 units
    assert abs(cv.mean() - 1.0) < 0.02
    assert np.all(np.abs(cv - 1.0) < 0.1)
    fano = na.fano_factor(st, 500.0)  # 400 windows per unit: se of F ~ sqrt(2/400)
    assert abs(fano.mean() - 1.0) < 0.05
    assert abs(na.lv(st).mean() - 1.0) < 0.03  # LV = 1 for Poisson (Shinomoto 2003)
    assert abs(na.cv2(st).mean() - 1.0) < 0.03  # CV2 = 1 for Poisson (Holt 1996)
    np.testing.assert_allclose(na.mean_firing_rate(st).mean(), 20.0, rtol=0.02)


@pytest.mark.parametrize("k", [2.0, 4.0, 9.0])
def test_gamma_cv_is_one_over_sqrt_k(k):
    st = na.gamma(25.0, k, 100_000.0, key=int(k), n_units=20)
    assert abs(na.cv(st).mean() - 1 / np.sqrt(k)) < 0.02
    np.testing.assert_allclose(na.mean_firing_rate(st).mean(), 25.0, rtol=0.02)
    # Fano factor of a renewal process tends to CV^2 for long windows (Cox 1962)
    assert abs(na.fano_factor(st, 1000.0).mean() - 1 / k) < 0.1


def test_regular_train_has_zero_cv_and_fano():
    st = na.SpikeTrains.from_lists([np.arange(5.0, 10_000.0, 10.0)], t_stop=10_000.0)
    assert na.cv(st)[0] == pytest.approx(0.0, abs=1e-12)
    assert na.lv(st)[0] == pytest.approx(0.0, abs=1e-12)
    assert na.fano_factor(st, 100.0)[0] == pytest.approx(0.0, abs=1e-12)


def test_poisson_dead_time_cv():
    rate, d = 50.0, 8.0  # CV = 1 - rate * d = 0.6
    st = na.poisson_dead_time(rate, d, 100_000.0, key=np.random.default_rng(1), n_units=10)
    assert na.cv(st).mean() == pytest.approx(1 - rate * d * 1e-3, abs=0.02)
    np.testing.assert_allclose(na.mean_firing_rate(st).mean(), rate, rtol=0.02)
    assert na.isi_pooled(st).min() >= d


def test_inhomogeneous_poisson_psth_follows_the_rate():
    dt = 10.0
    t = np.arange(0, 1000.0, dt)
    rate = 40.0 + 30.0 * np.sin(2 * np.pi * t / 250.0)
    st = na.inhomogeneous_poisson(rate, key=jax.random.key(3), dt=dt, n_trials=400)
    p = na.psth(st, 50.0)
    expected = rate.reshape(-1, 5).mean(axis=1)
    # each 50 ms bin holds ~400 * 0.05 * 40 = 800 spikes: relative se ~ 3.5 %
    np.testing.assert_allclose(p.values, expected, rtol=0.15)
    assert abs((p.values - expected).mean()) < 1.5
    # a callable rate gives the same law
    st2 = na.inhomogeneous_poisson(lambda tt: 40.0 + 30.0 * np.sin(2 * np.pi * tt / 250.0), key=4,
                                   duration=1000.0, rate_max=70.0, n_trials=400)
    fine = np.arange(0, 1000.0, 0.01)
    exact = (40.0 + 30.0 * np.sin(2 * np.pi * fine / 250.0)).reshape(20, -1).mean(axis=1)
    np.testing.assert_allclose(na.psth(st2, 50.0).values, exact, atol=4.0)  # ~5 standard errors


def test_generators_are_reproducible_and_key_dependent():
    a = na.gamma(10.0, 3.0, 5000.0, key=jax.random.key(1), n_units=5)
    b = na.gamma(10.0, 3.0, 5000.0, key=jax.random.key(1), n_units=5)
    c = na.gamma(10.0, 3.0, 5000.0, key=jax.random.key(2), n_units=5)
    np.testing.assert_array_equal(a.times, b.times)
    assert a.n_spikes != c.n_spikes or not np.array_equal(a.times, c.times)


def test_generator_errors():
    with pytest.raises(ValueError, match="rate"):
        na.poisson(-1.0, 100.0, key=0)
    with pytest.raises(ValueError, match="dead_time"):
        na.poisson_dead_time(200.0, 6.0, 100.0, key=0)
    with pytest.raises(ValueError, match="k"):
        na.gamma(10.0, 0.0, 100.0, key=0)
    with pytest.raises(TypeError, match="key"):
        na.poisson(1.0, 100.0, key="seed")


def test_synchrony_chi_limits():
    base = na.poisson(20.0, 20_000.0, key=0, n_units=1).times
    same = na.SpikeTrains.from_lists([base] * 10, t_stop=20_000.0)
    assert na.synchrony_chi(same, 5.0) == pytest.approx(1.0, abs=1e-12)
    n = 100
    indep = na.poisson(20.0, 20_000.0, key=1, n_units=n)
    # independent units: chi^2 -> 1/N (Golomb 2007)
    assert na.synchrony_chi(indep, 5.0) ** 2 == pytest.approx(1.0 / n, rel=0.15)


def test_correlogram_of_shifted_copy_peaks_at_the_shift():
    base = na.poisson(20.0, 10_000.0, key=5, n_units=1).times
    shifted = base[base + 12.0 <= 10_000.0] + 12.0
    st = na.SpikeTrains.from_lists([base, shifted], t_stop=10_000.0)
    c = na.cross_correlogram(st, 0, 1, 2.0, window=(-20, 20))
    assert c.t[np.argmax(c.values)] == 12.0
    assert len(shifted) <= c.values.max() < len(shifted) + 30  # every shifted spike, plus chance coincidences
    acg = na.autocorrelogram(st, 2.0, window=(-5, 5))
    assert acg.values.shape == (2, 11)
    zero_lag = (na.bin_counts(st, 2.0).astype(float) ** 2).sum(axis=1)  # sum of squared bin counts
    np.testing.assert_array_equal(acg.values[:, 5], zero_lag)


def test_spike_triggered_average_of_a_known_signal():
    dt = 0.5
    t = np.arange(0, 2000.0, dt)
    sig = np.sin(2 * np.pi * t / 100.0)
    spikes = np.arange(100.0, 1900.0, 100.0)  # every period, at phase 0
    st = na.SpikeTrains.from_lists([spikes], t_stop=2000.0)
    sta = na.spike_triggered_average(st, sig, dt, (-10.0, 10.0))
    np.testing.assert_allclose(sta.values[0], np.sin(2 * np.pi * sta.t / 100.0), atol=1e-9)


def test_instantaneous_rate_integrates_to_spike_count():
    st = na.poisson(20.0, 5000.0, key=2, n_units=3)
    for kern in ["gaussian", "rectangular", "exponential", "alpha"]:
        r = na.instantaneous_rate(st, 1.0, kern, sigma=5.0)
        inner = (st.times > 100) & (st.times < 4900)
        # spikes far from the edges put all their kernel mass in the window
        assert r.values.sum() * 1e-3 == pytest.approx(st.n_spikes, abs=(~inner).sum() + 1e-6)


def test_causal_rate_ignores_future_spikes():
    st = na.SpikeTrains.from_lists([[500.0]], t_stop=1000.0)
    for kern in ["exponential", "alpha"]:
        r = na.instantaneous_rate(st, 1.0, kern, sigma=10.0, causal=True)
        np.testing.assert_allclose(r.values[0, r.t < 500.0], 0.0, atol=1e-9)  # up to FFT rounding
        assert r.values[0, r.t > 500.0].sum() > 0
    with pytest.raises(ValueError, match="one-sided"):
        na.instantaneous_rate(st, 1.0, "gaussian", sigma=10.0, causal=True)
