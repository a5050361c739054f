"""The external drives behind :mod:`neurodyn.inputs` (documented there), inside the engine
that evaluates them."""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import MAX_NEURONS, check_finite, check_integer, check_nonnegative, check_number, check_positive
from ._random import normal
from ._random import poisson as poisson_counts

__all__ = [
    "AbstractInput",
    "Constant",
    "Steps",
    "Pulses",
    "TimedArray",
    "Function",
    "PoissonCurrent",
    "WhiteNoise",
    "OrnsteinUhlenbeck",
    "Sum",
    "constant",
    "steps",
    "pulses",
    "array",
    "function",
    "poisson",
    "white_noise",
    "ornstein_uhlenbeck",
]


class AbstractInput(eqx.Module):
    def init_state(self, key, shape):
        return None

    def update(self, state, t, dt, key):
        return state

    def value(self, state, t, dt):
        raise NotImplementedError

    def __add__(self, other):
        return Sum(tuple(_flatten(self)) + tuple(_flatten(other)))

    __radd__ = __add__


def _flatten(x):
    if isinstance(x, Sum):
        return x.terms
    if isinstance(x, AbstractInput):
        return (x,)
    if isinstance(x, (int, float)) and x == 0:  # sum([...]) starts from 0
        return ()
    raise TypeError(f"inputs must be neurodyn.inputs objects, got {type(x).__name__}")


def _floats(name, value, unit=""):
    """``value`` as a float array, with an error naming ``name`` for non-numbers."""
    check_number(name, value, unit)
    return jnp.asarray(value, dtype=float)


class Sum(AbstractInput):
    """The sum of several inputs."""

    terms: tuple

    def _keys(self, key):
        # fold_in per term: XLA drops the keys of deterministic terms
        return [key if len(self.terms) == 1 else jax.random.fold_in(key, j) for j in range(len(self.terms))]

    def init_state(self, key, shape):
        return tuple(x.init_state(k, shape) for x, k in zip(self.terms, self._keys(key)))

    def update(self, state, t, dt, key):
        return tuple(x.update(s, t, dt, k) for x, s, k in zip(self.terms, state, self._keys(key)))

    def value(self, state, t, dt):
        total = 0.0
        for x, s in zip(self.terms, state):
            total = total + x.value(s, t, dt)
        return total


class Constant(AbstractInput):
    """A constant input (scalar or per neuron)."""

    amplitude: jax.Array

    def __check_init__(self):
        check_finite("amplitude", self.amplitude)

    def value(self, state, t, dt):
        return self.amplitude


def constant(amplitude) -> Constant:
    """Constant input, e.g. ``constant(400.0)`` pA for every neuron."""
    return Constant(_floats("amplitude", amplitude))


class Steps(AbstractInput):
    """Piecewise-constant input: ``values[k]`` from ``times[k]`` until ``times[k+1]``; 0 before ``times[0]``."""

    times: jax.Array
    values: jax.Array

    def __check_init__(self):
        check_finite("times", self.times, "ms")
        check_finite("values", self.values)
        t = np.asarray(self.times) if not isinstance(self.times, jax.core.Tracer) else None
        if t is not None and (t.ndim != 1 or np.any(np.diff(t) <= 0)):
            raise ValueError(f"times must be a strictly increasing 1-D array (ms), got {t!r}")
        if np.shape(self.values)[:1] != np.shape(self.times):
            raise ValueError(
                f"values must have one entry per time (leading dimension {np.shape(self.times)[0]}), "
                f"got shape {np.shape(self.values)}"
            )

    def value(self, state, t, dt):
        k = jnp.searchsorted(self.times, t, side="right") - 1
        v = self.values[jnp.clip(k, 0, None)]
        return jnp.where(k >= 0, v, jnp.zeros_like(v))


def steps(times, values) -> Steps:
    """Piecewise-constant input changing at ``times`` (ms)."""
    return Steps(_floats("times", times, "ms"), _floats("values", values))


class Pulses(AbstractInput):
    """Rectangular pulses of ``amplitude`` and ``width`` (ms) every ``period`` ms from ``start``."""

    amplitude: jax.Array
    start: float
    width: float
    period: float
    count: float

    def __check_init__(self):
        check_finite("amplitude", self.amplitude)
        check_finite("start", self.start, "ms")
        check_positive("width", self.width, "ms")
        check_positive("period", self.period, "ms")
        if self.count != float("inf"):  # inf: unlimited
            check_nonnegative("count", self.count)

    def value(self, state, t, dt):
        since = t - self.start
        k = jnp.floor(since / self.period)
        on = (since >= 0) & (since - k * self.period < self.width) & (k < self.count)
        return jnp.where(on, self.amplitude, 0.0 * self.amplitude)


def pulses(amplitude, start=0.0, width=1.0, period=None, count=None) -> Pulses:
    """A pulse train; one pulse when ``period`` is None, unlimited pulses when ``count`` is None."""
    if period is None:
        if count is not None and count != 1:
            raise ValueError(f"count: {count!r} pulses need a period (ms) between them; got period=None (one pulse)")
        period, count = float(width) * 2 + 1.0, 1
    for name, value in (("start", start), ("width", width), ("period", period), ("count", count)):
        if value is not None and (isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.integer, np.floating))):
            raise TypeError(f"{name} must be a number, got {value!r}")
    return Pulses(
        _floats("amplitude", amplitude), float(start), float(width), float(period),
        float("inf") if count is None else float(count),
    )


class TimedArray(AbstractInput):
    """Samples on a time grid, linearly interpolated; held at the ends."""

    values: jax.Array
    times: jax.Array

    def __check_init__(self):
        check_finite("values", self.values)
        check_finite("times", self.times, "ms")
        if np.ndim(self.values) not in (1, 2):
            raise ValueError(f"values must have shape (T,) or (T, n), got shape {np.shape(self.values)}")
        if np.shape(self.times) != np.shape(self.values)[:1]:
            raise ValueError(
                f"times must have shape ({np.shape(self.values)[0]},) to match values, got {np.shape(self.times)}"
            )

    def value(self, state, t, dt):
        if self.values.ndim == 1:
            return jnp.interp(t, self.times, self.values)
        return jax.vmap(lambda col: jnp.interp(t, self.times, col), in_axes=1)(self.values)


def array(values, dt=None, times=None, t0=0.0) -> TimedArray:
    """Input from samples ``values`` (shape (T,) shared, or (T, n) per neuron), given either on a
    regular grid of step ``dt`` (ms) starting at ``t0`` or at explicit ``times`` (ms)."""
    values = _floats("values", values)
    if (dt is None) == (times is None):
        raise ValueError("array input needs exactly one of dt (grid step, ms) or times (ms)")
    if times is None:
        check_positive("dt", dt, "ms")
        check_finite("t0", t0, "ms")
        times = t0 + dt * np.arange(np.shape(values)[0])
    return TimedArray(values, _floats("times", times, "ms"))


class Function(AbstractInput):
    """Any JAX-traceable function of time, ``fn(t) -> scalar or (n,)``."""

    fn: Callable = eqx.field(static=True)

    def __check_init__(self):
        if not callable(self.fn):
            raise TypeError(f"fn must be callable fn(t), got {type(self.fn).__name__}")

    def value(self, state, t, dt):
        return self.fn(t)


def function(fn) -> Function:
    """Input given by ``fn(t)`` (t in ms), e.g. ``function(lambda t: 100 * jnp.sin(t / 50))``."""
    return Function(fn)


class _Noise(AbstractInput):
    """Shared plumbing of stochastic inputs: per-neuron or shared draws."""

    shared: bool = eqx.field(static=True, default=False, kw_only=True)

    def __check_init__(self):
        if not isinstance(self.shared, (bool, np.bool_)):
            raise TypeError(f"shared must be true or false, got {self.shared!r}")

    def _shape(self, shape):
        return () if self.shared else shape


class PoissonCurrent(_Noise):
    r"""Current pulses from ``n_sources`` independent Poisson spike trains of ``rate`` Hz.

    Each input spike delivers the charge ``weight`` (pA·ms = fC) within one step: the
    current over a step is ``weight * count / dt``. On an integrate-and-fire neuron one
    spike moves the membrane by about ``weight / C_m`` mV.
    """

    rate: jax.Array
    weight: jax.Array
    n_sources: int = eqx.field(static=True, default=1)

    def __check_init__(self):
        check_nonnegative("rate", self.rate, "Hz")
        check_finite("weight", self.weight, "pA·ms")
        check_integer("n_sources", self.n_sources, 1, MAX_NEURONS, "integer number of spike trains")

    def init_state(self, key, shape):
        return jnp.zeros(self._shape(shape))

    def update(self, state, t, dt, key):
        lam = self.rate * float(self.n_sources) * dt * 1e-3
        return poisson_counts(key, lam, state.shape, state.dtype)

    def value(self, state, t, dt):
        return self.weight * state / dt


def poisson(rate, weight, n_sources=1, shared=False) -> PoissonCurrent:
    """Poisson input: ``n_sources`` trains of ``rate`` Hz, each spike a charge ``weight`` (pA·ms)."""
    n_sources = check_integer("n_sources", n_sources, 1, MAX_NEURONS, "integer number of spike trains")
    return PoissonCurrent(_floats("rate", rate, "Hz"), _floats("weight", weight, "pA·ms"), n_sources, shared=shared)


class WhiteNoise(_Noise):
    r"""Gaussian white-noise current :math:`I(t) = \mu + \sigma \xi(t)`, with
    :math:`\langle \xi(t)\xi(t')\rangle = \delta(t - t')`.

    ``mean`` in pA, ``sigma`` in pA·ms^½. Drawn once per step with standard deviation
    ``sigma / sqrt(dt)``, which makes any explicit solver an Euler–Maruyama scheme.
    """

    mean: jax.Array
    sigma: jax.Array

    def __check_init__(self):
        check_finite("mean", self.mean, "pA")
        check_nonnegative("sigma", self.sigma, "pA·ms^0.5")

    def init_state(self, key, shape):
        return jnp.zeros(self._shape(shape))

    def update(self, state, t, dt, key):
        return normal(key, state.shape, state.dtype)

    def value(self, state, t, dt):
        return self.mean + self.sigma * state / jnp.sqrt(dt)


def white_noise(sigma, mean=0.0, shared=False) -> WhiteNoise:
    """White-noise current of intensity ``sigma`` (pA·ms^½) around ``mean`` (pA)."""
    return WhiteNoise(_floats("mean", mean, "pA"), _floats("sigma", sigma, "pA·ms^0.5"), shared=shared)


class OrnsteinUhlenbeck(_Noise):
    r"""Ornstein–Uhlenbeck current :math:`\tau\, dI = (\mu - I)\,dt + \sigma\sqrt{2\tau}\, dW`:
    stationary mean ``mean`` (pA), standard deviation ``sigma`` (pA), correlation time
    ``tau`` (ms). Updated exactly each step and started from its stationary distribution."""

    mean: jax.Array
    sigma: jax.Array
    tau: jax.Array

    def __check_init__(self):
        check_finite("mean", self.mean, "pA")
        check_nonnegative("sigma", self.sigma, "pA")
        check_positive("tau", self.tau, "ms")

    def init_state(self, key, shape):
        shape = self._shape(shape)
        return self.mean + self.sigma * jax.random.normal(key, shape)

    def update(self, state, t, dt, key):
        decay = jnp.exp(-dt / self.tau)
        kick = self.sigma * jnp.sqrt(-jnp.expm1(-2 * dt / self.tau))
        return self.mean + (state - self.mean) * decay + kick * normal(key, state.shape, state.dtype)

    def value(self, state, t, dt):
        return state


def ornstein_uhlenbeck(mean, sigma, tau, shared=False) -> OrnsteinUhlenbeck:
    """Coloured-noise current with mean (pA), standard deviation (pA) and correlation time (ms)."""
    return OrnsteinUhlenbeck(
        _floats("mean", mean, "pA"), _floats("sigma", sigma, "pA"), _floats("tau", tau, "ms"), shared=shared
    )

