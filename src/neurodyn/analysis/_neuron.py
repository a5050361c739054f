"""Single-neuron measurements: f-I curves, rheobase, adaptation, bursts, firing patterns."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

#: Labels of :func:`classify_firing_pattern` (Naud et al. 2008, Fig. 4).
PATTERNS = ("silent", "tonic", "adapting", "initial_burst", "bursting", "delayed", "transient", "irregular")


def fi_curve(model, currents, duration: float = 1000.0, dt: float = 0.1, *, inputs=None, key=None):
    """Mean firing rate (Hz) of a one-neuron ``model`` for each constant current (pA).

    The simulation is ``jax.vmap``-ed over ``currents`` (the model's bias ``I_e``), so the
    whole curve is one compiled run. ``inputs`` are added to the bias (e.g. noise).

    Example::

        rates = nd.analysis.fi_curve(nd.neurons.HodgkinHuxley(n=1), jnp.linspace(0, 1500, 16), 500.0, 0.01)
    """
    from ..engine._simulate import simulate

    currents = jnp.asarray(currents, dtype=jnp.result_type(float))
    if currents.ndim != 1:
        raise ValueError(f"currents must be a 1-D array of currents (pA), got shape {currents.shape}")
    if getattr(model, "n", 1) != 1:
        raise ValueError(f"model must have n=1 (one neuron per current), got n={model.n}")

    def one(current):
        res = simulate(model.replace(I_e=current), duration, dt, inputs=inputs, key=key, progress=False)
        return res.rates()[0]

    return np.asarray(jax.jit(jax.vmap(one))(currents))


def rheobase(model, lo: float, hi: float, duration: float = 1000.0, dt: float = 0.1, *, tol: float = 1.0,
             min_spikes: int = 2, grid: int = 8) -> float:
    """Smallest constant current (pA, within ``tol``) at which ``model`` (n=1) fires at
    least ``min_spikes`` spikes in ``duration`` ms (repetitive firing), by grid refinement
    of :func:`fi_curve` in ``[lo, hi]``."""
    if not lo < hi:
        raise ValueError(f"lo must be below hi, got lo={lo} and hi={hi}")
    min_rate = (min_spikes - 0.5) / (duration * 1e-3)
    while hi - lo > tol:
        currents = np.linspace(lo, hi, grid)
        rates = fi_curve(model, currents, duration, dt)
        above = np.flatnonzero(rates >= min_rate)
        if above.size == 0:
            raise ValueError(f"hi: the model does not fire repetitively at {hi} pA; expected a larger hi")
        first = above[0]
        if first == 0:
            raise ValueError(f"lo: the model already fires at {lo} pA; expected a smaller lo")
        lo, hi = float(currents[first - 1]), float(currents[first])
    return 0.5 * (lo + hi)


def _isis(times):
    return np.diff(np.sort(np.asarray(times, dtype=float)))


def adaptation_index(spike_times, skip: int = 0) -> float:
    r"""Adaptation index of a spike train (Naud et al. 2008):

    .. math::
        A = \frac{1}{N - k - 1} \sum_{i=k+1}^{N-1} \frac{ISI_i - ISI_{i-1}}{ISI_i + ISI_{i-1}}

    over the ISIs after the first ``skip`` (=k). Positive for adaptation, negative for
    acceleration, 0 for a regular train; NaN with fewer than two ISIs."""
    isi = _isis(spike_times)[skip:]
    if isi.size < 2:
        return float("nan")
    return float(np.mean((isi[1:] - isi[:-1]) / (isi[1:] + isi[:-1])))


def detect_bursts(spike_times, max_isi: float = 10.0, min_spikes: int = 2):
    """Bursts: runs of at least ``min_spikes`` spikes whose ISIs are all <= ``max_isi`` ms.

    Returns ``(start_times, end_times, sizes)`` as NumPy arrays."""
    t = np.sort(np.asarray(spike_times, dtype=float))
    starts, ends, sizes = [], [], []
    i = 0
    while i < t.size:
        j = i
        while j + 1 < t.size and t[j + 1] - t[j] <= max_isi:
            j += 1
        if j - i + 1 >= min_spikes:
            starts.append(t[i]), ends.append(t[j]), sizes.append(j - i + 1)
        i = j + 1
    return np.asarray(starts), np.asarray(ends), np.asarray(sizes, dtype=int)


def _two_groups(isi):
    """Split ISIs into short and long at the largest gap in log-ISI."""
    order = np.sort(np.log(isi))
    k = int(np.argmax(np.diff(order))) + 1
    cut = np.exp(0.5 * (order[k - 1] + order[k]))
    return isi[isi < cut], isi[isi >= cut]


def _cv(x):
    return float(np.std(x) / np.mean(x)) if x.size else 0.0


def classify_firing_pattern(spike_times, t_on: float = 0.0, t_off: float | None = None) -> str:
    """Firing pattern of the response to a current step on ``[t_on, t_off]`` (ms), in the
    categories of Naud et al. (2008): ``tonic``, ``adapting``, ``initial_burst``,
    ``bursting``, ``delayed``, ``transient``, ``irregular`` (or ``silent``).

    Rules, in order (steady state = the ISIs of the second half of the step):

    1. no spike: ``silent``; no spike in the second half of the step: ``transient``;
    2. steady ISIs split into two well-separated groups (long/short >= 5, long ISIs
       regular, CV < 0.25): ``bursting``; steady ISI CV > 0.25: ``irregular``;
    3. among the first four ISIs one at least 3x its predecessor and that predecessor
       < 1/3 of the steady ISI: ``initial_burst``;
    4. first-spike latency > 2 steady ISIs: ``delayed``;
    5. steady ISI >= 2 x first ISI: ``adapting``; otherwise ``tonic``.
    """
    t = np.sort(np.asarray(spike_times, dtype=float))
    t = t[t >= t_on]
    if t_off is None:
        t_off = float(t[-1]) if t.size else t_on
    t = t[t <= t_off]
    if t.size == 0:
        return "silent"
    half = t_on + 0.5 * (t_off - t_on)
    if t[-1] < half or t.size < 3:
        return "transient"
    isi = np.diff(t)
    steady = isi[t[1:] >= half]
    if steady.size < 2:
        steady = isi[len(isi) // 2:]
    if steady.size >= 3:
        short, long = _two_groups(steady)
        if short.size and long.size and long.mean() / short.mean() >= 5 and _cv(long) < 0.25:
            return "bursting"
        if _cv(steady) > 0.25:
            return "irregular"
    ss = float(np.median(steady))
    for i in range(min(4, isi.size - 1)):
        if isi[i + 1] >= 3 * isi[i] and isi[i] < ss / 3:
            return "initial_burst"
    if t[0] - t_on > 2 * ss:
        return "delayed"
    if ss >= 2 * isi[0]:
        return "adapting"
    return "tonic"
