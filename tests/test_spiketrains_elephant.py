"""Every spike-train measure against Elephant (the reference implementation), to 1e-9.

Random (Poisson) and structured (regular on a grid, bursts, synchronous, spikes on bin
edges and at t_stop) spike trains. Where conventions differ (documented in the
docstrings and ARCHITECTURE.md) the test checks the documented difference.
"""

import warnings

import numpy as np
import pytest

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
es = pytest.importorskip("elephant.statistics")
ek = pytest.importorskip("elephant.kernels")
from elephant.conversion import BinnedSpikeTrain  # noqa: E402
from elephant.spike_train_correlation import (  # noqa: E402
    correlation_coefficient as el_corrcoef,
)
from elephant.spike_train_correlation import covariance as el_cov  # noqa: E402
from elephant.spike_train_correlation import cross_correlation_histogram as el_cch  # noqa: E402
from elephant.sta import spike_triggered_average as el_sta  # noqa: E402

import neurodyn.analysis as na  # noqa: E402

TOL = 1e-9
T = 2000.0


def _random(seed, n=6, rate=20.0):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.uniform(0, T, rng.poisson(rate * T / 1000))) for _ in range(n)]


def _structured():
    """Regular trains on a 0.1 ms grid, a burst train, two identical trains, edge spikes."""
    grid = np.round(np.arange(0.3, T, 12.3), 1)
    burst = np.sort(np.concatenate([b + np.arange(5) * 1.5 for b in np.arange(50.0, T - 20, 200.0)]))
    edge = np.array([0.0, 5.0, 10.0, 15.0, 100.0, 999.9, 1000.0, 1995.0, T])
    rng = np.random.default_rng(7)
    shared = np.sort(rng.uniform(0, T, 60))
    return [grid, burst, edge, shared, shared.copy(), np.round(np.arange(1.0, T, 7.0), 1)]


CASES = {"random": _random(1), "random2": _random(2, n=4, rate=50.0), "structured": _structured()}


def _neo(trains):
    return [neo.SpikeTrain(t * pq.ms, t_start=0 * pq.ms, t_stop=T * pq.ms) for t in trains]


@pytest.fixture(params=list(CASES))
def data(request):
    trains = CASES[request.param]
    return na.SpikeTrains.from_lists(trains, t_stop=T), _neo(trains), trains


def test_mean_firing_rate(data):
    st, sts, _ = data
    ref = [float(es.mean_firing_rate(s).rescale(pq.Hz)) for s in sts]
    np.testing.assert_allclose(na.mean_firing_rate(st), ref, rtol=0, atol=TOL)


@pytest.mark.parametrize("bin_size", [0.1, 1.0, 5.0, 7.3, 100.0])
@pytest.mark.parametrize("output", ["counts", "mean", "rate"])
def test_time_histogram(data, bin_size, output):
    st, sts, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = es.time_histogram(sts, bin_size * pq.ms, output=output)
    ref_v = ref.rescale(pq.Hz).magnitude.ravel() if output == "rate" else ref.magnitude.ravel()
    out = na.time_histogram(st, bin_size, output=output)
    assert out.values.shape == ref_v.shape
    np.testing.assert_allclose(out.values, ref_v, rtol=0, atol=TOL * max(1.0, np.abs(ref_v).max()))
    np.testing.assert_allclose(out.t, ref.times.magnitude, rtol=0, atol=1e-9)


def test_binary_histogram_and_counts(data):
    st, sts, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = BinnedSpikeTrain(sts, bin_size=10 * pq.ms)
        ref = es.time_histogram(sts, 10 * pq.ms, binary=True).magnitude.ravel()
    np.testing.assert_array_equal(na.bin_counts(st, 10.0), b.to_array())
    np.testing.assert_array_equal(na.time_histogram(st, 10.0, binary=True).values, ref)


def test_psth_equals_elephant_rate_histogram_over_trials():
    rng = np.random.default_rng(3)
    trials = [[np.sort(rng.uniform(0, T, rng.poisson(30))) for _ in range(3)] for _ in range(5)]
    st = na.SpikeTrains.from_lists(trials, t_stop=T)
    for u in range(3):
        ref = es.time_histogram(_neo([tr[u] for tr in trials]), 20 * pq.ms, output="rate")
        np.testing.assert_allclose(na.psth(st, 20.0, per_unit=True).values[u],
                                   ref.rescale(pq.Hz).magnitude.ravel(), atol=TOL)
    ref = es.time_histogram(_neo([u for tr in trials for u in tr]), 20 * pq.ms, output="rate")
    np.testing.assert_allclose(na.psth(st, 20.0).values, ref.rescale(pq.Hz).magnitude.ravel(), atol=TOL)


KERNELS = {
    "gaussian": ek.GaussianKernel,
    "rectangular": ek.RectangularKernel,
    "triangular": ek.TriangularKernel,
    "laplacian": ek.LaplacianKernel,
    "exponential": ek.ExponentialKernel,
    "alpha": ek.AlphaKernel,
}


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("trim", [False, True])
@pytest.mark.parametrize("dt,sigma", [(1.0, 10.0), (1.3, 7.3), (0.5, 3.0)])
def test_instantaneous_rate(data, kernel, center, trim, dt, sigma):
    st, sts, _ = data
    ref = es.instantaneous_rate(sts, dt * pq.ms, kernel=KERNELS[kernel](sigma * pq.ms), center_kernel=center, trim=trim)
    out = na.instantaneous_rate(st, dt, kernel, sigma=sigma, center_kernel=center, trim=trim)
    assert out.values.shape == ref.shape[::-1]
    np.testing.assert_allclose(out.values, ref.rescale(pq.Hz).magnitude.T, rtol=0, atol=TOL)
    np.testing.assert_allclose(out.t, ref.times.rescale(pq.ms).magnitude, rtol=0, atol=1e-9)


@pytest.mark.parametrize("kernel", ["exponential", "alpha"])
def test_instantaneous_rate_inverted_and_causal(data, kernel):
    st, sts, _ = data
    ref = es.instantaneous_rate(sts, 1.0 * pq.ms, kernel=KERNELS[kernel](5.0 * pq.ms, invert=True))
    out = na.instantaneous_rate(st, 1.0, kernel, sigma=5.0, invert=True)
    np.testing.assert_allclose(out.values, ref.magnitude.T, rtol=0, atol=TOL)
    ref = es.instantaneous_rate(sts, 1.0 * pq.ms, kernel=KERNELS[kernel](5.0 * pq.ms), center_kernel=False)
    out = na.instantaneous_rate(st, 1.0, kernel, sigma=5.0, causal=True)
    np.testing.assert_allclose(out.values, ref.magnitude.T, rtol=0, atol=TOL)


def test_instantaneous_rate_border_correction_and_pooling(data):
    st, sts, _ = data
    ref = es.instantaneous_rate(sts, 2.0 * pq.ms, kernel=ek.GaussianKernel(25 * pq.ms), border_correction=True)
    out = na.instantaneous_rate(st, 2.0, "gaussian", sigma=25.0, border_correction=True)
    np.testing.assert_allclose(out.values, ref.magnitude.T, rtol=0, atol=TOL)
    ref = es.instantaneous_rate(sts, 2.0 * pq.ms, kernel=ek.GaussianKernel(25 * pq.ms), pool_spike_trains=True)
    out = na.instantaneous_rate(st, 2.0, "gaussian", sigma=25.0, average_units=True)
    np.testing.assert_allclose(out.values, ref.magnitude.ravel(), rtol=0, atol=TOL)


def test_instantaneous_rate_small_cutoff_is_raised_like_elephant(data):
    st, sts, _ = data
    with pytest.warns(UserWarning):
        ref = es.instantaneous_rate(sts, 1.0 * pq.ms, kernel=ek.GaussianKernel(4 * pq.ms), cutoff=1.0)
    with pytest.warns(UserWarning, match="cutoff"):
        out = na.instantaneous_rate(st, 1.0, "gaussian", sigma=4.0, cutoff=1.0)
    np.testing.assert_allclose(out.values, ref.magnitude.T, rtol=0, atol=TOL)


@pytest.mark.parametrize("measure", ["cv", "cv2", "lv", "lvr"])
def test_isi_variability(data, measure):
    st, sts, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if measure == "cv":
            ref = [es.cv(es.isi(s)) for s in sts]
        elif measure == "lvr":
            ref = [es.lvr(es.isi(s), R=5 * pq.ms) for s in sts]
        else:
            ref = [getattr(es, measure)(es.isi(s).magnitude) for s in sts]
    out = getattr(na, measure)(st)
    np.testing.assert_allclose(out, ref, rtol=TOL, atol=TOL)


def test_isi_lists(data):
    st, sts, _ = data
    for a, s in zip(na.isi(st), sts):
        np.testing.assert_array_equal(a, es.isi(s).magnitude)


def test_documented_difference_cv_of_one_interval():
    st = na.SpikeTrains.from_lists([[1.0, 3.0], [1.0, 2.0, 4.0]], t_stop=10.0)
    assert es.cv(es.isi(np.array([1.0, 3.0]))) == 0.0  # Elephant: 0 for a single interval
    with pytest.warns(UserWarning, match="1 of 2"):
        out = na.cv(st)  # neurodyn: undefined -> NaN with a warning
    assert np.isnan(out[0]) and out[1] == pytest.approx(es.cv(np.array([1.0, 2.0])), abs=TOL)


@pytest.mark.parametrize("bin_size", [1.0, 5.0, 20.0])
@pytest.mark.parametrize("binary", [False, True])
def test_covariance_and_correlation(data, bin_size, binary):
    st, sts, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = BinnedSpikeTrain(sts, bin_size=bin_size * pq.ms)
        ref_cc = el_corrcoef(b, binary=binary)
        ref_cov = el_cov(b, binary=binary)
    np.testing.assert_allclose(na.correlation_coefficient(st, bin_size, binary=binary), ref_cc, rtol=0, atol=TOL)
    np.testing.assert_allclose(na.covariance(st, bin_size, binary=binary), ref_cov, rtol=0, atol=TOL)


def test_correlation_sparse_and_dense_paths_agree(monkeypatch):
    import neurodyn.analysis._compiled as cc
    import neurodyn.analysis._correlation as corr

    monkeypatch.setattr(cc, "ENABLED", False)  # the SciPy / BLAS paths (the compiled ones: test_spiketrains_compiled)
    st = na.poisson(30.0, 3000.0, key=4, n_units=20)
    dense = na.correlation_coefficient(st, 2.0)
    monkeypatch.setattr(corr, "_SPARSE_MAC_S", 0.0)  # force the sparse product
    np.testing.assert_allclose(na.correlation_coefficient(st, 2.0), dense, rtol=0, atol=1e-12)


@pytest.mark.parametrize("window", [None, (-20, 20), (-3, 3)])
@pytest.mark.parametrize("border", [False, True])
@pytest.mark.parametrize("coef", [False, True])
@pytest.mark.parametrize("binary", [False, True])
def test_cross_correlogram(data, window, border, coef, binary):
    st, sts, _ = data
    n = len(sts)
    for i, j in [(0, 1), (n - 3, n - 2), (2, 2), (n - 1, 0)]:
        b1 = BinnedSpikeTrain(sts[i], bin_size=5 * pq.ms)
        b2 = BinnedSpikeTrain(sts[j], bin_size=5 * pq.ms)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref, lags = el_cch(b1, b2, window="full" if window is None else list(window), binary=binary,
                               border_correction=border, cross_correlation_coefficient=coef)
        out = na.cross_correlogram(st, i, j, 5.0, window=window, binary=binary, border_correction=border,
                                   cross_correlation_coefficient=coef)
        np.testing.assert_allclose(out.values, ref.magnitude.ravel(), rtol=0, atol=TOL)
        np.testing.assert_array_equal(out.t, lags * 5.0)


def test_cross_correlogram_kernel_smoothing(data):
    st, sts, _ = data
    kern = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
    b1 = BinnedSpikeTrain(sts[0], bin_size=5 * pq.ms)
    b2 = BinnedSpikeTrain(sts[3], bin_size=5 * pq.ms)
    ref, _ = el_cch(b1, b2, window=[-30, 30], kernel=kern)
    out = na.cross_correlogram(st, 0, 3, 5.0, window=(-30, 30), kernel=kern)
    np.testing.assert_allclose(out.values, ref.magnitude.ravel(), rtol=0, atol=TOL)


def test_asymmetric_window_is_a_slice_of_the_full_correlogram(data):
    # Elephant's 'pad' mode mis-sizes asymmetric windows; check against the full CCH instead.
    st, _, _ = data
    full = na.cross_correlogram(st, 0, 1, 5.0)
    part = na.cross_correlogram(st, 0, 1, 5.0, window=(3, 17))
    k0 = np.searchsorted(full.t, 15.0)
    np.testing.assert_array_equal(part.values, full.values[k0:k0 + 15])


@pytest.mark.parametrize("window", [(-5.0, 5.0), (-2.0, 7.3), (0.0, 3.0)])
def test_spike_triggered_average(data, window):
    st, sts, _ = data
    rng = np.random.default_rng(0)
    sig = np.cumsum(rng.normal(size=(int(T / 0.1), st.n_units)), axis=0)
    ref = el_sta(neo.AnalogSignal(sig * pq.mV, sampling_period=0.1 * pq.ms), sts, (window[0] * pq.ms, window[1] * pq.ms))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = na.spike_triggered_average(st, sig, 0.1, window)
    np.testing.assert_allclose(out.values, ref.magnitude.T, rtol=1e-12, atol=TOL)
    np.testing.assert_allclose(out.t, ref.times.rescale(pq.ms).magnitude, atol=1e-9)


def test_spike_triggered_average_one_train_many_channels():
    rng = np.random.default_rng(2)
    train = np.sort(rng.uniform(10, 990, 40))
    sig = rng.normal(size=(10000, 3))
    ref = el_sta(neo.AnalogSignal(sig * pq.mV, sampling_period=0.1 * pq.ms),
                 neo.SpikeTrain(train * pq.ms, t_stop=1000 * pq.ms), (-3 * pq.ms, 3 * pq.ms))
    st = na.SpikeTrains.from_lists([train], t_stop=1000.0)
    out = na.spike_triggered_average(st, sig, 0.1, (-3.0, 3.0))
    np.testing.assert_allclose(out.values, ref.magnitude.T, atol=TOL)


def test_fano_factor_across_trials_and_windows():
    rng = np.random.default_rng(5)
    trials = [[np.sort(rng.uniform(0, T, rng.poisson(40))) for _ in range(3)] for _ in range(12)]
    st = na.SpikeTrains.from_lists(trials, t_stop=T)
    ref = [es.fanofactor(_neo([tr[u] for tr in trials])) for u in range(3)]
    np.testing.assert_allclose(na.fano_factor(st), ref, rtol=TOL)
    # windows: the counts of consecutive 100 ms windows of a single train
    single = na.SpikeTrains.from_lists([trials[0][0]], t_stop=T)
    pieces = [s.time_slice(w * pq.ms, (w + 100) * pq.ms - 1e-9 * pq.ms) for w in np.arange(0, T, 100.0)
              for s in _neo([trials[0][0]])]
    np.testing.assert_allclose(na.fano_factor(single, 100.0), [es.fanofactor(pieces)], rtol=TOL)


def test_non_zero_t_start_and_sub_windows():
    rng = np.random.default_rng(11)
    trains = [np.sort(rng.uniform(100.0, 1600.0, rng.poisson(60))) for _ in range(5)]
    st = na.SpikeTrains.from_lists(trains, t_start=100.0, t_stop=1600.0)
    sts = [neo.SpikeTrain(t * pq.ms, t_start=100 * pq.ms, t_stop=1600 * pq.ms) for t in trains]
    for t0, t1 in [(100.0, 1600.0), (250.0, 1200.0)]:
        ref = [float(es.mean_firing_rate(s, t_start=t0 * pq.ms, t_stop=t1 * pq.ms).rescale(pq.Hz)) for s in sts]
        np.testing.assert_allclose(na.mean_firing_rate(st, t_start=t0, t_stop=t1), ref, atol=TOL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = es.time_histogram(sts, 7.0 * pq.ms, t_start=t0 * pq.ms, t_stop=t1 * pq.ms)
            b = BinnedSpikeTrain(sts, bin_size=5 * pq.ms, t_start=t0 * pq.ms, t_stop=t1 * pq.ms)
        out = na.time_histogram(st, 7.0, t_start=t0, t_stop=t1)
        np.testing.assert_array_equal(out.values, h.magnitude.ravel())
        np.testing.assert_allclose(out.t, h.times.magnitude, atol=1e-9)
        np.testing.assert_array_equal(na.bin_counts(st, 5.0, t_start=t0, t_stop=t1), b.to_array())
        ref = es.instantaneous_rate(sts, 2.0 * pq.ms, kernel=ek.GaussianKernel(12 * pq.ms),
                                    t_start=t0 * pq.ms, t_stop=t1 * pq.ms)
        out = na.instantaneous_rate(st, 2.0, "gaussian", sigma=12.0, t_start=t0, t_stop=t1)
        np.testing.assert_allclose(out.values, ref.magnitude.T, atol=TOL)
        np.testing.assert_allclose(out.t, ref.times.magnitude, atol=1e-9)


def test_isi_distribution_is_the_histogram_of_elephant_isis(data):
    st, sts, _ = data
    iv = np.concatenate([es.isi(s).magnitude for s in sts])
    d = na.isi_distribution(st, 2.0, max_isi=100.0)
    np.testing.assert_allclose(d.values, np.histogram(iv, bins=np.arange(0, 102.0, 2.0))[0] / (iv.size * 2.0), atol=TOL)


def test_fano_factor_across_units_is_elephants_list_fano(data):
    st, sts, _ = data
    assert na.fano_factor(st, across="units") == pytest.approx(es.fanofactor(sts), rel=TOL)
