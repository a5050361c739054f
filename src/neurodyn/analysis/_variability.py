r"""Variability of spike trains: inter-spike intervals, CV, CV2, LV, LvR, Fano factor.

All measures run over every (trial, unit) train at once: the spikes are sorted by
``(trial, unit, time)``, so the intervals of all trains are one ``np.diff`` and the
per-train statistics are ``np.bincount`` reductions.

Trains with too few spikes give NaN (with one :class:`UserWarning` naming how many
trains), never an exception, so that a population with a few silent units can still be
summarised. Elephant raises ``ValueError`` for CV2/LV/LvR of fewer than two intervals
unless ``with_nan=True``, and returns CV = 0 for a single interval.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._binning import flat_counts
from ._spiketrains import SpikeTrains

__all__ = ["isi", "isi_pooled", "isi_distribution", "cv", "cv2", "lv", "lvr", "fano_factor"]


def _intervals(st: SpikeTrains):
    """All inter-spike intervals and the row (trial * n_units + unit) of each."""
    rows = st.rows
    same = rows[1:] == rows[:-1]
    return np.diff(st.times)[same], rows[1:][same]


def isi(st: SpikeTrains) -> list:
    """Inter-spike intervals (ms) of every train: a list over units (or ``[trial][unit]``).

    Use :func:`isi_pooled` for one array of all intervals (for ISI histograms).
    """
    iv, r = _intervals(st)
    counts = np.bincount(r, minlength=st.n_rows) if iv.size else np.zeros(st.n_rows, np.int64)
    parts = np.split(iv, np.cumsum(counts)[:-1]) if st.n_rows else []
    if st.trials is None:
        return parts
    return [parts[k * st.n_units:(k + 1) * st.n_units] for k in range(st.n_trials)]


def isi_pooled(st: SpikeTrains) -> np.ndarray:
    """Every inter-spike interval of every train in one array, ms."""
    return _intervals(st)[0]


def isi_distribution(st: SpikeTrains, bin_size: float, max_isi: float | None = None):
    """Probability density of the inter-spike intervals of all trains, 1/ms.

    Args:
        bin_size: histogram bin, ms.
        max_isi: upper edge, ms (default the longest interval).

    Returns:
        ``Signal(t, density)`` with left bin edges ``t`` (ms); the density integrates to the
        fraction of intervals below ``max_isi``.
    """
    from ._rates import Signal

    if not bin_size > 0:
        raise ValueError(f"bin_size must be > 0 ms, got {bin_size}")
    iv = _intervals(st)[0]
    top = float(iv.max()) if max_isi is None and iv.size else float(max_isi or bin_size)
    n_bins = max(int(np.ceil(top / bin_size)), 1)
    edges = np.arange(n_bins + 1) * float(bin_size)
    counts = np.histogram(iv, bins=edges)[0]
    density = counts / (max(iv.size, 1) * float(bin_size))
    return Signal(edges[:-1], density)


def _shape(st: SpikeTrains, x: np.ndarray):
    x = x.reshape(st.n_trials, st.n_units)
    return x[0] if st.trials is None else x


def _warn_nan(values, what, need):
    n = int(np.isnan(values).sum())
    if n:
        warnings.warn(f"{what} is undefined (NaN) for {n} of {values.size} spike trains with fewer than {need}",
                      stacklevel=3)


def cv(st: SpikeTrains) -> np.ndarray:
    r"""Coefficient of variation of the inter-spike intervals of every train.

    .. math:: C_V = \frac{\sqrt{\langle I^2\rangle - \langle I\rangle^2}}{\langle I\rangle}

    (population standard deviation, ``ddof=0``: Elephant's ``cv(isi(st))``, which is
    ``scipy.stats.variation``). NaN, with a warning, for trains with fewer than 2 intervals
    (Elephant gives 0 for one interval). A Poisson process has :math:`C_V = 1`, a gamma
    process of order :math:`k` has :math:`1/\sqrt k`, a regular train 0.

    Returns:
        ``(n_units,)``, or ``(n_trials, n_units)`` when there are trials.
    """
    iv, r = _intervals(st)
    n = np.bincount(r, minlength=st.n_rows).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(r, weights=iv, minlength=st.n_rows) / n
        var = np.bincount(r, weights=(iv - mean[r]) ** 2, minlength=st.n_rows) / n
        out = np.sqrt(var) / mean
    out[n < 2] = np.nan
    _warn_nan(out, "CV", "3 spikes")
    return _shape(st, out)


def _pairs(st: SpikeTrains):
    """Consecutive interval pairs (I_k, I_{k+1}) within each train, and their rows."""
    iv, r = _intervals(st)
    same = r[1:] == r[:-1]
    return iv[:-1][same], iv[1:][same], r[1:][same]


def _pair_mean(st, values, r, what):
    n = np.bincount(r, minlength=st.n_rows).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.bincount(r, weights=values, minlength=st.n_rows) / n
    out[n < 1] = np.nan
    _warn_nan(out, what, "3 spikes")
    return _shape(st, out)


def cv2(st: SpikeTrains) -> np.ndarray:
    r"""Local coefficient of variation CV2 (Holt et al. 1996, J Neurophysiol 75:1806).

    .. math:: C_{V2} = \frac{1}{n-1}\sum_{k=1}^{n-1} \frac{2|I_{k+1}-I_k|}{I_{k+1}+I_k}

    over the :math:`n` intervals of each train (Elephant's ``cv2``). NaN for fewer than 2
    intervals. Returns ``(n_units,)`` or ``(n_trials, n_units)``.
    """
    a, b, r = _pairs(st)
    return _pair_mean(st, 2.0 * np.abs(b - a) / (a + b), r, "CV2")


def lv(st: SpikeTrains) -> np.ndarray:
    r"""Local variation LV (Shinomoto et al. 2003, Neural Comput 15:2823).

    .. math:: L_V = \frac{3}{n-1}\sum_{k=1}^{n-1} \left(\frac{I_k-I_{k+1}}{I_k+I_{k+1}}\right)^2

    (Elephant's ``lv``). 1 for a Poisson process. NaN for fewer than 2 intervals.
    """
    a, b, r = _pairs(st)
    return _pair_mean(st, 3.0 * ((b - a) / (a + b)) ** 2, r, "LV")


def lvr(st: SpikeTrains, R: float = 5.0) -> np.ndarray:
    r"""Revised local variation LvR with refractoriness constant ``R`` ms (Shinomoto et al. 2009, PLoS Comput Biol 5:e1000433).

    .. math:: L_{vR} = \frac{3}{n-1}\sum_{k=1}^{n-1}\left(1-\frac{4 I_k I_{k+1}}{(I_k+I_{k+1})^2}\right)
              \left(1+\frac{4R}{I_k+I_{k+1}}\right)

    (Elephant's ``lvr``). NaN for fewer than 2 intervals.
    """
    if not R >= 0:
        raise ValueError(f"R must be >= 0 ms, got {R}")
    a, b, r = _pairs(st)
    s = a + b
    return _pair_mean(st, 3.0 * (1 - 4 * a * b / s**2) * (1 + 4 * R / s), r, "LvR")


def fano_factor(st: SpikeTrains, window: float | None = None, *, across: str = "trials"):
    r"""Fano factor of spike counts, :math:`F = \operatorname{Var}[N] / \langle N\rangle`.

    Args:
        window: count window, ms. ``None``: the counts are the whole-train counts. A number:
            the window is cut into consecutive bins of ``window`` ms (the bin convention of
            :func:`bin_counts`; a trailing partial window is dropped).
        across: ``"trials"`` (default): one factor per unit, over its trials (and windows)
            -- Elephant's ``fanofactor`` of one unit's trials; without a window this needs
            at least 2 trials. ``"units"``: one factor over the whole-train counts of all
            trains (units and trials) -- Elephant's ``fanofactor`` of a list of trains.

    Returns:
        ``(n_units,)`` (``across="trials"``) or a float (``across="units"``): the population
        variance (``ddof=0``, as Elephant) over the mean; NaN with a warning where there are
        no spikes. A Poisson process gives 1.

    Note:
        Elephant counts a window with ``neo``'s ``time_slice`` (both ends closed) whereas
        the windows here are half-open; the two differ only for spikes exactly on a window
        edge.
    """
    if across == "units":
        if window is not None:
            raise ValueError(f"window must be None with across='units', got {window}")
        c = np.asarray(st.counts(), dtype=np.float64).reshape(-1)
        if not c.size or c.sum() == 0:
            warnings.warn("the Fano factor is undefined (NaN): no spikes", stacklevel=2)
            return float("nan")
        return float(c.var() / c.mean())
    if across != "trials":
        raise ValueError(f"across must be 'trials' or 'units', got {across!r}")
    if window is None:
        if st.trials is None or st.n_trials < 2:
            raise ValueError(
                "fano_factor without a window needs at least 2 trials; pass window= (ms), "
                "or across='units' for the factor over units"
            )
        c = np.asarray(st.counts(), dtype=np.float64)  # (trials, units)
    else:
        counts, n_bins, _ = flat_counts(st, window, name="window")
        c = counts.reshape(st.n_trials, st.n_units, n_bins).transpose(0, 2, 1).reshape(-1, st.n_units)
        c = c.astype(np.float64)
    mean = c.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = c.var(axis=0) / mean
    out[mean == 0] = np.nan
    _warn_nan(out, "the Fano factor", "1 spike")
    return out
