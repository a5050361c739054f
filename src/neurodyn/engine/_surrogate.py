r"""Surrogate gradients of the spike: Heaviside forward, a smooth derivative backward.

A spiking neuron's spike is the step :math:`S = H(V - V_{th})`, whose derivative is zero
almost everywhere, so a loss on spikes has no useful gradient. A *surrogate* keeps the
forward step exactly and replaces :math:`H'` in the backward pass by a smooth bump
:math:`\sigma'(x)` of width about :math:`1/\beta` (Zenke & Ganguli 2018, *SuperSpike*;
Neftci, Mostafa & Zenke 2019). ``x = V - V_th`` is in mV, so ``beta`` is in 1/mV.

Neurons that threshold with ``refractory_reset`` (LIF and the integrate-and-fire family,
Izhikevich, the two-compartment neuron) take ``surrogate=`` (default ``SuperSpike()``);
``surrogate=None`` gives plain boolean spikes with no gradient.
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import Documented, check_positive, param

__all__ = ["AbstractSurrogate", "SuperSpike", "SigmoidSurrogate", "ArcTanSurrogate", "spike"]


class AbstractSurrogate(Documented):
    """A spike function: ``H(x)`` (1.0 where ``x >= 0``, else 0.0) with the derivative
    ``derivative(x)`` in the backward pass."""

    @abc.abstractmethod
    def derivative(self, x):
        """The surrogate of :math:`H'(x)` (1/mV for ``x`` in mV)."""

    def __call__(self, x):
        return spike(x, self)


@eqx.filter_custom_jvp
def _spike(x, surrogate):
    return (x >= 0).astype(jnp.result_type(x))


@_spike.def_jvp
def _spike_jvp(primals, tangents):
    x, surrogate = primals
    dx = tangents[0]
    out = _spike(x, surrogate)
    if dx is None:
        return out, jnp.zeros_like(out)
    return out, surrogate.derivative(x) * dx


def spike(x, surrogate: AbstractSurrogate):
    """``H(x)`` as a float array (1.0 where ``x >= 0``), differentiated as ``surrogate.derivative(x)``."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return _spike(x, surrogate)


class SuperSpike(AbstractSurrogate):
    r"""The fast sigmoid's derivative (Zenke & Ganguli 2018):
    :math:`\sigma'(x) = 1 / (1 + \beta |x|)^2`, peak 1 at threshold.

    Example::

        lif = nd.neurons.LIF(n=10, surrogate=nd.neurons.SuperSpike(beta=0.5))
    """

    beta: jax.Array = param(1.0, unit="1/mV", doc="steepness: the surrogate's width is about 1/beta mV")

    def __check_init__(self):
        check_positive("beta", self.beta, "1/mV")

    def derivative(self, x):
        return 1.0 / jnp.square(1.0 + self.beta * jnp.abs(x))


class SigmoidSurrogate(AbstractSurrogate):
    r"""The logistic sigmoid's derivative: :math:`\sigma'(x) = \beta s (1 - s)`, :math:`s = 1/(1 + e^{-\beta x})`."""

    beta: jax.Array = param(1.0, unit="1/mV", doc="steepness: the surrogate's width is about 1/beta mV")

    def __check_init__(self):
        check_positive("beta", self.beta, "1/mV")

    def derivative(self, x):
        s = jax.nn.sigmoid(self.beta * x)
        return self.beta * s * (1.0 - s)


class ArcTanSurrogate(AbstractSurrogate):
    r"""The arctangent's derivative (Fang et al. 2021):
    :math:`\sigma'(x) = (\beta/2) / (1 + (\pi \beta x / 2)^2)`."""

    beta: jax.Array = param(2.0, unit="1/mV", doc="steepness: the surrogate's width is about 1/beta mV")

    def __check_init__(self):
        check_positive("beta", self.beta, "1/mV")

    def derivative(self, x):
        return 0.5 * self.beta / (1.0 + jnp.square(0.5 * jnp.pi * self.beta * x))
