r"""Firing rates: spike-count rates, time histograms, PSTH, kernel-smoothed instantaneous rate.

The spike-count rate of a train is :math:`n/T`; the trial-averaged firing rate :math:`r(t)`
is estimated by the peristimulus time histogram (PSTH) or by kernel smoothing,
:math:`\hat r(t) = \sum_i K(t - t_i)`. Times in ms, rates in Hz.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import NamedTuple

import numpy as np

from . import _compiled as cc
from ._backend import fft_convolve_jax, use_jax
from ._binning import binned_keys, bin_index, check_window, n_bins_of, np_histogram_bins, runs
from ._spiketrains import SpikeTrains

__all__ = ["Signal", "Kernel", "mean_firing_rate", "time_histogram", "psth", "instantaneous_rate"]


class Signal(NamedTuple):
    """A sampled signal: ``t`` (ms, sample or left bin-edge times) and ``values`` (time last)."""

    t: np.ndarray
    values: np.ndarray


def mean_firing_rate(st: SpikeTrains, *, t_start: float | None = None, t_stop: float | None = None) -> np.ndarray:
    r"""Spike-count rate of every unit, :math:`r_u = n_u / (n_\text{trials} T)`, Hz.

    Counts every spike in ``[t_start, t_stop]`` (both ends included, as Elephant's
    ``mean_firing_rate``) and averages over trials. Elephant returns the same number in the
    inverse time unit of the train (1/ms for ms trains); here it is always Hz.

    Args:
        t_start, t_stop: counting window, ms (default the trains' own).

    Returns:
        ``(n_units,)`` float64, Hz.

    Example:
        >>> st = SpikeTrains.from_lists([[1.0, 2.0, 3.0], []], t_stop=1000.0)
        >>> mean_firing_rate(st)
        array([3., 0.])
    """
    t0, t1 = check_window(st, t_start, t_stop)
    if (t0, t1) == (st.t_start, st.t_stop):
        c = np.asarray(st.counts()).reshape(st.n_trials, st.n_units).sum(axis=0)
    else:
        inside = (st.times >= t0) & (st.times <= t1)
        c = np.bincount(st.units[inside], minlength=st.n_units)
    return c / (st.n_trials * (t1 - t0) * 1e-3)


def time_histogram(
    st: SpikeTrains,
    bin_size: float,
    *,
    output: str = "counts",
    binary: bool = False,
    t_start: float | None = None,
    t_stop: float | None = None,
) -> Signal:
    r"""Histogram of all spikes of all trains (units and trials) in bins of ``bin_size`` ms.

    Args:
        output: ``"counts"`` (spikes per bin), ``"mean"`` (per train: counts / number of
            trains) or ``"rate"`` (Hz: counts / (number of trains * bin_size)).
        binary: count at most one spike per train and bin.

    Returns:
        ``Signal(t, values)``: left bin edges (ms) and ``(n_bins,)`` values. Bins as in
        :func:`bin_counts` (Elephant's ``BinnedSpikeTrain``), so the values equal
        ``elephant.statistics.time_histogram``; ``"rate"`` is in Hz where Elephant gives the
        inverse unit of the trains (1/ms for ms trains).
    """
    if output not in ("counts", "mean", "rate"):
        raise ValueError(f"output must be 'counts', 'mean' or 'rate', got {output!r}")
    if binary:
        key, n_bins, t0 = binned_keys(st, bin_size, t_start, t_stop)
        bins = runs(key)[0] % n_bins  # one count per occupied (train, bin)
    else:
        keep, bins, n_bins, t0 = bin_index(st, bin_size, t_start, t_stop)
        bins = bins if keep is None else bins[keep]
    hist = np.bincount(bins, minlength=n_bins).astype(np.float64)
    n_trains = max(st.n_rows, 1)
    if output == "mean":
        hist = hist / n_trains
    elif output == "rate":
        hist = hist / (n_trains * float(bin_size) * 1e-3)
    return Signal(t0 + np.arange(n_bins) * float(bin_size), hist)


def psth(
    st: SpikeTrains,
    bin_size: float,
    *,
    per_unit: bool = False,
    t_start: float | None = None,
    t_stop: float | None = None,
) -> Signal:
    r"""Peristimulus time histogram: the trial-averaged firing rate in bins, Hz.

    .. math:: r_u(t_k) = \frac{1}{n_\text{trials}\,\Delta}\sum_{\text{trials}} x_{u,k}

    Args:
        per_unit: ``True`` gives one PSTH per unit, ``(n_units, n_bins)``; ``False`` (default)
            averages over units too, ``(n_bins,)`` -- equal to Elephant's
            ``time_histogram(trains, bin_size, output="rate")`` (in Hz).

    Returns:
        ``Signal(t, rate)`` with left bin edges ``t`` (ms).

    Example:
        >>> st = SpikeTrains.from_lists([[[1.0]], [[1.5]]], t_stop=10.0)   # 2 trials, 1 unit
        >>> psth(st, 5.0).values
        array([200.,   0.])
    """
    keep, bins, n_bins, t0 = bin_index(st, bin_size, t_start, t_stop)
    units = st.units if keep is None else st.units[keep]
    bins = bins if keep is None else bins[keep]
    scale = 1.0 / (st.n_trials * float(bin_size) * 1e-3)
    if per_unit:
        c = np.bincount(units.astype(np.int64) * n_bins + bins, minlength=st.n_units * n_bins)
        values = c.reshape(st.n_units, n_bins) * scale
    else:
        values = np.bincount(bins, minlength=n_bins) * (scale / max(st.n_units, 1))
    return Signal(t0 + np.arange(n_bins) * float(bin_size), values)


# ---------------------------------------------------------------------------------------
# kernels


class Kernel(NamedTuple):
    r"""A smoothing kernel :math:`K(t)` with unit area, parametrised by its standard deviation.

    Args:
        name: ``"rectangular"`` (half-width :math:`\sqrt3\sigma`), ``"triangular"``
            (half-width :math:`\sqrt6\sigma`), ``"gaussian"``, ``"laplacian"`` (scale
            :math:`\sigma/\sqrt2`), ``"exponential"`` (:math:`e^{-t/\sigma}/\sigma`,
            :math:`t \ge 0`) or ``"alpha"`` (:math:`t e^{-t/\tau}/\tau^2`,
            :math:`\tau = \sigma/\sqrt2`, :math:`t \ge 0`). These are Elephant's kernels,
            with the same :math:`\sigma` parametrisation.
        sigma: standard deviation of the kernel, ms.
        invert: mirror the one-sided kernels (exponential, alpha) in time.
    """

    name: str
    sigma: float
    invert: bool = False

    def __call__(self, t):
        """:math:`K(t)`, 1/ms (``t`` in ms)."""
        return _kernel_pdf(self.name, np.asarray(t, dtype=np.float64), float(self.sigma), self.invert)


_MIN_CUTOFF = {
    "rectangular": math.sqrt(3.0),
    "triangular": math.sqrt(6.0),
    "gaussian": 3.0,
    "laplacian": 3.0,
    "exponential": 3.0,
    "alpha": 3.0,
}
_ONE_SIDED = ("exponential", "alpha")


def _kernel_pdf(name, t, sigma, invert=False):
    import scipy.stats  # imported on use: scipy.stats costs ~1 s at import

    if name in _ONE_SIDED and invert:
        t = -t
    if name == "gaussian":
        return scipy.stats.norm.pdf(t, loc=0, scale=sigma)
    if name == "rectangular":
        tau = math.sqrt(3) * sigma
        return (np.abs(t) < tau) * (1 / (2 * tau))
    if name == "triangular":
        tau = math.sqrt(6) * sigma
        return scipy.stats.triang.pdf(t, c=0.5, loc=-tau, scale=2 * tau)
    if name == "laplacian":
        return scipy.stats.laplace.pdf(t, loc=0, scale=sigma / math.sqrt(2))
    if name == "exponential":
        return scipy.stats.expon.pdf(t, loc=0, scale=sigma)
    if name == "alpha":
        tau = sigma / math.sqrt(2)
        return (t >= 0) * 1 / tau**2 * t * np.exp(-t / tau)
    raise ValueError(f"kernel must be one of {tuple(_MIN_CUTOFF)}, got {name!r}")


def _kernel_cdf(name, t, sigma, invert=False):
    import scipy.stats

    t = np.asarray(t, dtype=np.float64)
    if name == "gaussian":
        return scipy.stats.norm.cdf(t, loc=0, scale=sigma)
    if name == "rectangular":
        tau = math.sqrt(3) * sigma
        return (np.clip(t, -tau, tau) + tau) / (2 * tau)
    if name == "triangular":
        tau = math.sqrt(6) * sigma
        return scipy.stats.triang.cdf(t, c=0.5, loc=-tau, scale=2 * tau)
    if name == "laplacian":
        return scipy.stats.laplace.cdf(t, loc=0, scale=sigma / math.sqrt(2))
    if name == "exponential":
        if invert:
            return np.exp(np.minimum(t, 0) / sigma)
        return 1.0 - np.exp(-np.maximum(t, 0) / sigma)
    tau = sigma / math.sqrt(2)  # alpha
    if invert:
        t = np.minimum(t, 0)
        return np.exp(t / tau) * (tau - t) / tau
    t = np.maximum(t, 0)
    return 1 - np.exp(-t / tau) * (t + tau) / tau


def _kernel_icdf(name, q, sigma, invert=False):
    import scipy.optimize
    import scipy.stats

    if name == "gaussian":
        return float(scipy.stats.norm.ppf(q, loc=0, scale=sigma))
    if name == "rectangular":
        return math.sqrt(3) * sigma * (2 * q - 1)
    if name == "triangular":
        tau = math.sqrt(6) * sigma
        return float(scipy.stats.triang.ppf(q, c=0.5, loc=-tau, scale=2 * tau))
    if name == "laplacian":
        return float(scipy.stats.laplace.ppf(q, loc=0, scale=sigma / math.sqrt(2)))
    if name == "exponential":
        return sigma * math.log(q) if invert else -sigma * math.log(1.0 - q)
    # alpha: the quantile solved to machine precision (Elephant uses fsolve, xtol=1e-7)
    tau = sigma / math.sqrt(2)
    x = scipy.optimize.brentq(
        lambda s: float(_kernel_cdf("alpha", s * tau, sigma)) - q, 0.0, 100.0, xtol=1e-15, rtol=1e-15
    ) * tau
    return -_kernel_icdf("alpha", 1.0 - q, sigma) if invert else x


def _as_kernel(kernel, sigma, invert) -> Kernel:
    if isinstance(kernel, Kernel):
        k = kernel
    elif isinstance(kernel, str):
        if sigma is None:
            raise ValueError(f"sigma (kernel standard deviation, ms) must be given with kernel={kernel!r}, got None")
        k = Kernel(kernel.lower(), float(sigma), bool(invert))
    else:
        raise TypeError(f"kernel must be a kernel name or a Kernel, got {type(kernel).__name__}")
    if k.name not in _MIN_CUTOFF:
        raise ValueError(f"kernel must be one of {tuple(_MIN_CUTOFF)}, got {k.name!r}")
    if not k.sigma > 0:
        raise ValueError(f"sigma must be > 0 ms, got {k.sigma}")
    return k


def _fft_convolve_counts(rows, bins, n_rows: int, n: int, kern: np.ndarray, mode: str, jax_: bool = False) -> np.ndarray:
    """Convolve the spike counts of every row with ``kern`` by FFT along time.

    The counts are scattered straight into the zero-padded FFT buffer, and the result is a
    view into the inverse transform (``np.convolve`` ``same``/``valid`` alignment).
    """
    import scipy.fft

    L = kern.size
    nf = scipy.fft.next_fast_len(n + L - 1, real=True)
    key = rows * nf + bins  # sorted: rows non-decreasing, bins non-decreasing within a row
    ukey, cnt = runs(key)
    if jax_:
        return fft_convolve_jax(ukey, cnt, n_rows, nf, n, kern, mode)
    buf = np.zeros(n_rows * nf)
    buf[ukey] = cnt
    buf = buf.reshape(n_rows, nf)
    workers = os.cpu_count() or 1
    spec = scipy.fft.rfft(buf, axis=1, workers=workers, overwrite_x=True)
    del buf
    spec *= scipy.fft.rfft(kern, n=nf)
    full = scipy.fft.irfft(spec, n=nf, axis=1, workers=workers, overwrite_x=True)
    if mode == "same":
        start = (L - 1) // 2
        return full[:, start:start + n]
    return full[:, L - 1:n]


def instantaneous_rate(
    st: SpikeTrains,
    sampling_period: float,
    kernel: str | Kernel = "gaussian",
    sigma: float | None = None,
    *,
    causal: bool = False,
    cutoff: float = 5.0,
    center_kernel: bool | None = None,
    trim: bool = False,
    border_correction: bool = False,
    average_trials: bool = True,
    average_units: bool = False,
    invert: bool = False,
    t_start: float | None = None,
    t_stop: float | None = None,
    backend: str | None = None,
) -> Signal:
    r"""Kernel-smoothed firing rate :math:`\hat r(t) = \sum_i K(t - t_i)`, Hz, for every unit.

    The spikes are first counted in bins of ``sampling_period`` (``np.histogram``, last bin
    closed), then the counts are convolved with the kernel sampled on
    ``2 h + 1`` points evenly spread over ``[-c\sigma + m, c\sigma + m]``, where
    :math:`h = \lceil c\sigma/\Delta \rceil`, :math:`c` = ``cutoff`` and :math:`m` is the
    kernel's median when ``center_kernel`` is true (else 0). All units and trials are
    convolved at once: with Numba installed (extra ``fast``) by adding the kernel once per
    spike when that is cheaper (``n_spikes * kernel size`` against an FFT over every
    sample), otherwise by FFT along time. This is the construction of Elephant's
    ``instantaneous_rate`` (including its kernel grid, whose spacing is :math:`\Delta` only
    when :math:`c\sigma/\Delta` is an integer), so the two agree to rounding.

    Args:
        st: the spike trains.
        sampling_period: :math:`\Delta`, ms (at most the window).
        kernel: a kernel name (see :class:`Kernel`) or a :class:`Kernel`.
        sigma: kernel standard deviation, ms (with a kernel name).
        causal: one-sided kernels only (``"exponential"``, ``"alpha"``): put the kernel's
            onset at the spike, so :math:`\hat r(t)` depends on spikes up to the end of the
            bin of :math:`t` only (``center_kernel=False``). ``False`` (default) centres
            every kernel on its median (acausal), as Elephant's default.
        cutoff: kernel support in units of sigma (raised to the kernel's minimum, with a
            warning, as Elephant).
        center_kernel: override the placement (default ``not causal``).
        trim: keep only the samples where the kernel lies entirely in the window
            (``valid`` convolution); the sample times shift accordingly.
        border_correction: Gaussian kernel only: divide by the kernel mass inside the
            window, then rescale each train so that its rate integrates to its spike count.
        average_trials: average over trials (default); otherwise keep a trial axis.
        average_units: average over units too (Elephant's ``pool_spike_trains``).
        invert: mirror one-sided kernels in time.
        backend: ``"numpy"`` (host: per-spike sums or SciPy FFT), ``"jax"`` (float64 FFT in JAX), or ``None``:
            JAX when its default device is an accelerator.

    Returns:
        ``Signal(t, rate)``: sample times ``t`` (ms; ``t_start + k*sampling_period``) and rates
        in Hz with time last: ``(n_units, n_samples)``, ``(n_trials, n_units, n_samples)``
        without trial averaging, or ``(n_samples,)`` with ``average_units``. Elephant's
        ``AnalogSignal`` holds the transpose ``(n_samples, n_units)``.

    Example:
        >>> st = SpikeTrains.from_lists([[500.0]], t_stop=1000.0)
        >>> r = instantaneous_rate(st, 1.0, "gaussian", sigma=10.0)
        >>> round(float(r.values.sum()) * 1e-3, 6)   # integrates to one spike
        1.0
    """
    k = _as_kernel(kernel, sigma, invert)
    if causal:
        if k.name not in _ONE_SIDED:
            raise ValueError(f"causal=True needs a one-sided kernel ('exponential' or 'alpha'), got {k.name!r}")
        if center_kernel:
            raise ValueError("center_kernel must be False (or None) with causal=True, got True")
    center = (not causal) if center_kernel is None else bool(center_kernel)
    if border_correction and k.name != "gaussian":
        raise ValueError(f"border_correction is implemented for the 'gaussian' kernel only, got {k.name!r}")
    t0, t1 = check_window(st, t_start, t_stop)
    dt = float(sampling_period)
    n_bins_of(dt, t0, t1, name="sampling_period")
    n_bins = int((t1 - t0) / dt)
    if n_bins < 1:
        raise ValueError(f"sampling_period must be <= the window {t1 - t0} ms, got {dt}")
    last = t0 + n_bins * dt

    if cutoff < _MIN_CUTOFF[k.name]:
        cutoff = _MIN_CUTOFF[k.name]
        warnings.warn(f"cutoff raised to the minimum {cutoff:g} sigma for the {k.name} kernel", stacklevel=2)
    s = k.sigma / dt  # sigma in units of the sampling period
    cutoff_sigma = cutoff * s
    median = _kernel_icdf(k.name, 0.5, s, k.invert) if center else 0.0
    half = math.ceil(cutoff * (k.sigma / dt))
    t_kern = np.linspace(-cutoff_sigma + median, cutoff_sigma + median, 2 * half + 1)
    kern = _kernel_pdf(k.name, t_kern, s, k.invert) * (1.0 / (dt * 1e-3))  # Hz
    if trim and kern.size > n_bins:
        raise ValueError(
            f"with trim=True the kernel ({kern.size} samples) must be shorter than the window "
            f"({n_bins} samples); lower sigma or cutoff, or use trim=False"
        )
    mode = "valid" if trim else "same"
    ck = None if use_jax(backend) else cc.kernels()
    n_fft = n_bins + kern.size - 1
    if ck is not None and st.n_spikes * kern.size * cc.RATE_ADD_S < st.n_rows * n_fft * math.log2(n_fft) * cc.FFT_S:
        # few spikes for the kernel's length: add the kernel once per spike, no FFT
        start = (kern.size - 1) // 2 if mode == "same" else kern.size - 1
        rate = cc.zeros((st.n_rows, n_bins if mode == "same" else n_bins - kern.size + 1))
        ck.rate_scatter(rate, st.times, st.offsets, t0, last, np.linspace(t0, last, n_bins + 1), kern, start)
    else:
        keep, idx = np_histogram_bins(st.times, n_bins, t0, last)
        rows = st.rows if keep is None else st.rows[keep]
        rate = _fft_convolve_counts(rows, idx, st.n_rows, n_bins, kern, mode, use_jax(backend))
        if not rate.flags.writeable:
            rate = rate.copy()
        np.maximum(rate, 0.0, out=rate)  # FFT rounding below zero
    ts, te = t0, t1
    if trim:
        med_id = _median_index(k, t_kern, s)
        ts = t0 + med_id * dt
        te = t1 - (kern.size - med_id) * dt
    t = ts + np.arange(rate.shape[1]) * dt
    if border_correction:
        import scipy.special

        sig = k.sigma
        corr = 2.0 / (
            scipy.special.erf((te - t) / (math.sqrt(2.0) * sig)) - scipy.special.erf((ts - t) / (math.sqrt(2.0) * sig))
        )
        rate *= corr
        n = np.asarray(st.counts()).reshape(-1)
        mean = rate.mean(axis=1)
        ok = n > 0
        rate[ok] *= (n[ok] / (mean[ok] * (te - ts) * 1e-3))[:, None]
    rate = rate.reshape(st.n_trials, st.n_units, -1)
    if average_units:
        rate = rate.mean(axis=1)
        rate = rate.mean(axis=0) if average_trials else rate
    elif average_trials:
        rate = rate[0] if st.n_trials == 1 else rate.mean(axis=0)
    return Signal(t, rate)


def _median_index(k: Kernel, t_kern: np.ndarray, s: float) -> int:
    """Index of the first kernel sample at or after the median of the sampled support."""
    if t_kern.size <= 2:
        return 0
    cdf_mean = 0.5 * (float(_kernel_cdf(k.name, t_kern[0], s, k.invert)) + float(_kernel_cdf(k.name, t_kern[-1], s, k.invert)))
    if cdf_mean == 0.0:
        return t_kern.size // 2
    icdf = _kernel_icdf(k.name, cdf_mean, s, k.invert)
    return int(np.nonzero(t_kern >= icdf)[0][0])
