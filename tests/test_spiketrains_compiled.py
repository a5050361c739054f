"""The compiled (Numba) paths of the spike-train measures against direct references.

Every path the cost models can pick is forced here on small inputs and compared with a
straightforward computation: the kernel-smoothed rate (per-spike kernel sums vs. FFT vs.
``np.convolve`` of ``bin_counts``-style histograms), and the count Gram matrix for every
number of digit planes ``P`` (pure sparse, planes + dense rows of the high counts, planes
only) and the dense fallback, against ``X @ X.T`` of :func:`bin_counts` in integers.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import neurodyn.analysis as na
from neurodyn.analysis import _compiled as cc
from neurodyn.analysis import _correlation as corr

pytest.importorskip("numba")


def _trains(seed, n_units=7, t_stop=400.0, n_spikes=2500, trials=None, grid=None):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, t_stop, n_spikes)
    if grid is not None:  # spikes on bin edges and at t_stop
        t = np.round(t / grid) * grid
    u = rng.integers(0, n_units - 1, n_spikes)  # the last unit stays silent
    if trials is None:
        return na.SpikeTrains.from_arrays(t, u, n_units=n_units, t_stop=t_stop)
    return na.SpikeTrains.from_arrays(t, u, n_units=n_units, t_stop=t_stop,
                                      trials=rng.integers(0, trials, n_spikes), n_trials=trials)


def _gram_reference(st, bin_size, binary=False, t_start=None, t_stop=None):
    X = na.bin_counts(st, bin_size, binary=binary, t_start=t_start, t_stop=t_stop, dtype=np.int64)
    if X.ndim == 3:
        X = np.concatenate(list(X), axis=1)  # trials are extra bins
    return X @ X.T, X.sum(axis=1)


def _force_planes(monkeypatch, P):
    monkeypatch.setattr(cc, "choose_planes", lambda *args: (P, -1.0))


CASES = [
    dict(bin_size=1.0),
    dict(bin_size=7.0),
    dict(bin_size=40.0),  # counts up to ~40: several digit planes
    dict(bin_size=5.0, trials=3),
    dict(bin_size=2.5, grid=2.5),
    dict(bin_size=3.0, t_start=50.0, t_stop=333.0),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
@pytest.mark.parametrize("P", [0, 1, 2, 3, 7])
@pytest.mark.parametrize("binary", [False, True])
def test_gram_every_plane_split_is_exact(monkeypatch, case, P, binary):
    case = dict(case)
    b, t0, t1 = case.pop("bin_size"), case.pop("t_start", None), case.pop("t_stop", None)
    st = _trains(3, **case)
    ref, n_ref = _gram_reference(st, b, binary, t0, t1)
    _force_planes(monkeypatch, P)
    S, n, _ = corr._gram(st, b, binary, t0, t1)
    np.testing.assert_array_equal(S, ref)
    np.testing.assert_array_equal(n, n_ref)


@pytest.mark.parametrize("n_burst,width", [(3000, 10.0), (50_000, 0.9)])
def test_gram_small_column_blocks_and_wide_accumulators(monkeypatch, n_burst, width):
    # many column blocks per thread; a burst unit whose sum of squared counts needs int32
    # (3,000 spikes in 10 ms) or int64 (50,000 in 0.9 ms) accumulators
    rng = np.random.default_rng(5)
    t = np.concatenate([rng.uniform(0, 200, 600), rng.uniform(0.05, 0.05 + width, n_burst)])
    u = np.concatenate([rng.integers(0, 4, 600), np.full(n_burst, 2)])
    st = na.SpikeTrains.from_arrays(t, u, n_units=5, t_stop=200.0)
    monkeypatch.setattr(cc, "BLOCK_ENTRIES", 1)
    for P in [0, 1, 4, 17]:  # counts up to 50,000 per 1 ms bin (int32 rows of L + H/2)
        _force_planes(monkeypatch, P)
        S, _, _ = corr._gram(st, 1.0, False, None, None)
        np.testing.assert_array_equal(S, _gram_reference(st, 1.0)[0])


def test_gram_dense_fallback_and_cost_choice(monkeypatch):
    st = _trains(8, n_spikes=20_000, t_stop=100.0)  # ~8 spikes per 2 ms bin and unit
    ref = _gram_reference(st, 2.0)[0]
    monkeypatch.setattr(cc, "DENSE_MAC_S", 0.0)  # the dense product is always cheaper
    np.testing.assert_array_equal(corr._gram(st, 2.0, False, None, None)[0], ref)
    # the choice: sparse for few entries per bin, planes for many (binary: one plane, exact)
    assert cc.choose_planes(1000, 1563, np.array([0, 10_000]), 0.1)[0] == 0  # by bit length of the counts
    assert cc.choose_planes(1000, 157, np.array([0, 950_000, 4_650, 4]), 95.0)[0] == 1
    assert cc.choose_planes(1000, 157, np.array([0, 950_000]), 95.0)[0] == 1  # binary


def test_numpy_and_compiled_paths_agree(monkeypatch):
    st = _trains(11, n_units=12, n_spikes=6000, t_stop=600.0, trials=2)
    for b in [0.5, 4.0, 60.0]:
        fast_cc = na.correlation_coefficient(st, b)
        fast_cov = na.covariance(st, b, binary=True)
        monkeypatch.setattr(cc, "ENABLED", False)
        np.testing.assert_allclose(fast_cc, na.correlation_coefficient(st, b), rtol=0, atol=1e-12)
        np.testing.assert_allclose(fast_cov, na.covariance(st, b, binary=True), rtol=0, atol=1e-12)
        monkeypatch.setattr(cc, "ENABLED", True)


@settings(max_examples=25, deadline=None)
@given(seed=hs.integers(0, 2**31 - 1), n_units=hs.integers(1, 9), n_spikes=hs.integers(0, 400),
       bin_size=hs.sampled_from([0.7, 1.0, 4.0, 25.0]), P=hs.integers(0, 4))
def test_gram_exact_property(seed, n_units, n_spikes, bin_size, P):
    rng = np.random.default_rng(seed)
    st = na.SpikeTrains.from_arrays(rng.uniform(0, 100, n_spikes), rng.integers(0, n_units, n_spikes),
                                    n_units=n_units, t_stop=100.0)
    orig = cc.choose_planes
    cc.choose_planes = lambda *args: (P, -1.0)
    try:
        S, _, _ = corr._gram(st, bin_size, False, None, None)
    finally:
        cc.choose_planes = orig
    np.testing.assert_array_equal(S, _gram_reference(st, bin_size)[0])


# -- kernel-smoothed rate ---------------------------------------------------------------


def _rate_reference(st, dt, kernel, sigma, trim=False, t_start=None, t_stop=None, **kw):
    """The FFT path without Numba: the reference for the per-spike kernel sums."""
    return na.instantaneous_rate(st, dt, kernel, sigma=sigma, trim=trim, t_start=t_start, t_stop=t_stop,
                                 average_trials=False, **kw)


@pytest.mark.parametrize("kernel,kw", [("gaussian", {}), ("exponential", dict(causal=True)), ("alpha", {}),
                                       ("rectangular", {}), ("laplacian", dict(cutoff=2.0)),
                                       ("gaussian", dict(border_correction=True))])
@pytest.mark.parametrize("trim", [False, True])
@pytest.mark.parametrize("window", [(None, None), (30.0, 371.0)])
def test_rate_per_spike_sums_match_fft(monkeypatch, kernel, kw, trim, window):
    st = _trains(2, n_units=5, n_spikes=800, t_stop=400.0, trials=2, grid=0.5)
    monkeypatch.setattr(cc, "RATE_ADD_S", 0.0)  # always the per-spike sums
    fast = _rate_reference(st, 0.5, kernel, 6.0, trim, *window, **kw)
    monkeypatch.setattr(cc, "ENABLED", False)
    ref = _rate_reference(st, 0.5, kernel, 6.0, trim, *window, **kw)
    np.testing.assert_array_equal(fast.t, ref.t)
    np.testing.assert_allclose(fast.values, ref.values, rtol=0, atol=1e-9)


def test_rate_per_spike_sums_match_np_convolve():
    # independent of the FFT: histogram + np.convolve of the sampled kernel, row by row
    rng = np.random.default_rng(4)
    trains = [np.sort(rng.uniform(0, 200, k)) for k in (0, 1, 30, 90)]
    trains[2] = np.sort(np.concatenate([trains[2], [0.0, 100.0, 200.0]]))  # first, interior, closed last edge
    st = na.SpikeTrains.from_lists(trains, t_stop=200.0)
    dt, sigma, cutoff = 1.0, 4.0, 5.0
    half = math.ceil(cutoff * sigma / dt)
    t_kern = np.linspace(-cutoff * sigma / dt, cutoff * sigma / dt, 2 * half + 1)
    kern = np.exp(-0.5 * (t_kern * dt / sigma) ** 2) / (math.sqrt(2 * math.pi) * sigma) * 1e3  # Hz
    ref = np.stack([np.convolve(np.histogram(t, bins=200, range=(0, 200))[0], kern, "same") for t in trains])
    out = na.instantaneous_rate(st, dt, "gaussian", sigma=sigma)
    assert st.n_spikes * kern.size * cc.RATE_ADD_S < 4 * 240 * math.log2(200) * cc.FFT_S  # the per-spike path
    np.testing.assert_allclose(out.values, ref, rtol=0, atol=1e-9)


def test_rate_cost_model_picks_fft_for_long_kernels(monkeypatch):
    st = _trains(6, n_units=30, n_spikes=3000, t_stop=1000.0)
    calls = []
    ck = cc.kernels()

    class Spy:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(ck, name)

    monkeypatch.setattr(cc, "kernels", lambda: Spy())
    na.instantaneous_rate(st, 1.0, "gaussian", sigma=200.0)  # 2,001-sample kernel, 3,000 spikes
    assert "rate_scatter" not in calls
    na.instantaneous_rate(st, 1.0, "gaussian", sigma=2.0)
    assert "rate_scatter" in calls


def test_centring_accepts_read_only_gram(monkeypatch):
    # the JAX float64 Gram product comes back as a read-only view of a device array
    st = _trains(9, n_units=4, n_spikes=500, t_stop=200.0)
    ref_cov, ref_cc = na.covariance(st, 5.0), na.correlation_coefficient(st, 5.0)
    gram = corr._gram

    def read_only(*args, **kwargs):
        S, n, T = gram(*args, **kwargs)
        S.flags.writeable = False
        return S, n, T

    monkeypatch.setattr(corr, "_gram", read_only)
    np.testing.assert_array_equal(na.covariance(st, 5.0), ref_cov)
    with pytest.warns(UserWarning, match="no spike-count variance"):
        np.testing.assert_array_equal(na.correlation_coefficient(st, 5.0), ref_cc)
