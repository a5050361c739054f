r"""From spikes to rates: the synaptically filtered rate model, measured f–I curves, and
the comparison of a LIF population with its rate model."""

from __future__ import annotations

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..engine._model import AbstractDynamics
from ..engine._solvers import RK4
from ._checks import per_unit, split_input, input_value, square_matrix
from ._siegert import lif_rate, poisson_diffusion
from ._transfer import Tabulated


class SynapticRateState(eqx.Module):
    I: jax.Array  #: synaptic input current (input units, e.g. pA)
    r: jax.Array  #: firing rate, Hz


class SynapticRateNetwork(AbstractDynamics):
    r"""Rate network with synaptic filtering, the reduction of a spiking network in which
    synapses are slower than the rate dynamics (Dayan & Abbott 2001, ch. 7):

    .. math::
        \tau_s \frac{dI}{dt} = -I + h + I_{ext}(t) + W r, \qquad
        \tau_r \frac{dr}{dt} = -r + F(I).

    For a LIF population, F is its transfer function (:class:`Siegert` for noisy input,
    or a :class:`Tabulated` f–I curve from :func:`measure_fi_curve`), I a current in pA and
    W in pA/Hz (a synapse delivering charge q pA·ms per spike from K presynaptic neurons
    firing at r Hz gives :math:`W = K q / 1000`).

    Args:
        W: ``(n, n)`` weights (input units per Hz).
        tau_s: synaptic time constant(s), ms. tau_r: rate time constant(s), ms.
        F: transfer function, callable.
        h: constant input or deterministic :mod:`neurodyn.inputs` input (input units).
        r0, I0: initial rates (Hz) and currents.
    """

    W: jax.Array
    tau_s: jax.Array
    tau_r: jax.Array
    F: object
    h: jax.Array
    h_input: object
    r0: jax.Array
    I0: jax.Array
    n: int = eqx.field(static=True)

    default_solver = RK4()

    def __init__(self, W, tau_s=5.0, tau_r=10.0, F=None, h=0.0, r0=0.0, I0=0.0):
        W = square_matrix("W", W)
        n = W.shape[0]
        if not callable(F):
            raise TypeError(f"F must be callable F(I) -> rates, got {type(F).__name__} {F!r}")
        self.W, self.n, self.F = W, n, F
        self.tau_s = per_unit("tau_s", tau_s, n, positive=True, unit="ms").astype(W.dtype)
        self.tau_r = per_unit("tau_r", tau_r, n, positive=True, unit="ms").astype(W.dtype)
        h, self.h_input = split_input("h", h, n)
        self.h = jnp.broadcast_to(per_unit("h", h, n), (n,)).astype(W.dtype)
        self.r0 = jnp.broadcast_to(per_unit("r0", r0, n), (n,)).astype(W.dtype)
        self.I0 = jnp.broadcast_to(per_unit("I0", I0, n), (n,)).astype(W.dtype)

    @property
    def input_shape(self):
        return (self.n,)

    def init_state(self, key=None):
        return SynapticRateState(self.I0, self.r0)

    def vector_field(self, t, state, drive):
        h = self.h if self.h_input is None else self.h + input_value(self.h_input, t, self.n, self.h.dtype)
        dI = (-state.I + h + drive + self.W @ state.r) / self.tau_s
        dr = (-state.r + self.F(state.I)) / self.tau_r
        return SynapticRateState(dI, dr)

    def time_constants(self):
        return {"tau_s": self.tau_s, "tau_r": self.tau_r}


def measure_fi_curve(lif, currents, *, sigma=0.0, duration: float = 1000.0, dt: float = 0.1,
                     key=None) -> Tabulated:
    r"""Measure the f–I curve of a LIF population by simulation: for each mean current
    (pA) the population (``lif.n`` neurons, white noise of intensity ``sigma`` pA·ms^½ when
    > 0) runs for ``duration`` ms, and its mean rate (Hz) is recorded. The currents run
    in parallel (``vmap``). Returns a :class:`Tabulated` transfer function of the mean
    input current, to use as the F of a rate model.
    """
    from ..engine._simulate import simulate
    from ..inputs import white_noise

    currents = jnp.asarray(currents, jnp.result_type(float))
    key = jax.random.key(0) if key is None else key

    def rate(I, k):
        res = simulate(lif, duration, dt, inputs=white_noise(sigma, mean=I), key=k,
                       record=["spikes"], progress=False)
        return res.rates().mean()

    keys = jax.random.split(key, currents.shape[0])
    rates = jax.jit(jax.vmap(rate))(currents, keys)
    return Tabulated(currents, rates)


@dataclass(frozen=True)
class LIFRateComparison:
    """A LIF population against its rate model (see :func:`compare_lif_rate`), per
    condition: ``input_rate`` (Hz), diffusion ``mean`` (pA) and ``sigma`` (pA·ms^½),
    ``simulated`` population rate (Hz), ``siegert`` prediction (Hz), ``fi_curve``
    prediction from the measured noiseless f–I curve (Hz, or None), and ``relative_error``
    of the Siegert prediction."""

    input_rate: np.ndarray
    mean: np.ndarray
    sigma: np.ndarray
    simulated: np.ndarray
    siegert: np.ndarray
    fi_curve: np.ndarray | None

    @property
    def relative_error(self):
        return (self.siegert - self.simulated) / self.simulated


def compare_lif_rate(lif, input_rates, weight, n_sources=1, *, duration: float = 1000.0,
                     dt: float = 0.05, key=None, fi_currents=None,
                     dt_correction: bool = True) -> LIFRateComparison:
    r"""Drive a LIF population with Poisson input (``n_sources`` trains of each rate in
    ``input_rates`` Hz, each spike a charge ``weight`` pA·ms, via
    :func:`neurodyn.inputs.poisson`) and compare its stationary rate with the rate model's
    prediction: the Siegert formula for the diffusion approximation of the input
    (:func:`poisson_diffusion`), and, when ``fi_currents`` (pA) are given, the f–I curve
    measured from noiseless simulation at the same mean current.

    All conditions run in one vmapped simulation. ``dt_correction`` applies the
    finite-time-step threshold shift to the Siegert prediction (see :func:`siegert_rate`).
    """
    from ..engine._simulate import simulate
    from ..inputs import poisson

    rates_in = jnp.atleast_1d(jnp.asarray(input_rates, jnp.result_type(float)))
    key = jax.random.key(0) if key is None else key

    def run(nu, k):
        res = simulate(lif, duration, dt, inputs=poisson(nu, weight, n_sources), key=k,
                       record=["spikes"], progress=False)
        return res.rates().mean()

    sim = jax.jit(jax.vmap(run))(rates_in, jax.random.split(key, rates_in.shape[0]))
    mean, sigma = poisson_diffusion(rates_in, weight, n_sources)
    pred = lif_rate(lif, mean, sigma, dt=dt if dt_correction else None)
    fi = None
    if fi_currents is not None:
        curve = measure_fi_curve(lif, fi_currents, duration=duration, dt=dt, key=key)
        fi = np.asarray(curve(mean))
    return LIFRateComparison(np.asarray(rates_in), np.asarray(mean), np.asarray(sigma),
                             np.asarray(sim), np.asarray(pred), fi)
