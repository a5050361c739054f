r"""Synaptic kernels: the time course of one synaptic event of weight :math:`w`.

A kernel is a small linear system driven by spikes. ``jump(s, w)`` adds an event of
weight ``w``; between events the state decays by ``derivative``; ``value(s)`` is the
synaptic current (pA) or conductance (nS). An external input ``x`` (events per ms times
weight, e.g. ``neurodyn.inputs.poisson``) enters where a jump would.

| kernel | :math:`k(t)` for one event at 0 (weight 1) |
|---|---|
| ``Delta()`` | :math:`\delta(t)` (a jump of the target voltage by :math:`w` mV) |
| ``Exponential(tau)`` | :math:`e^{-t/\tau}` |
| ``Alpha(tau)`` | :math:`\frac{t}{\tau} e^{1 - t/\tau}` (peak 1 at :math:`t=\tau`) |
| ``DiffExp(tau_rise, tau_decay)`` | :math:`\eta\,(e^{-t/\tau_d} - e^{-t/\tau_r})`, :math:`\eta` sets the peak to 1 |
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import Documented, check_less, check_positive, param


class AbstractKernel(Documented):
    def init(self, n, dtype):
        return ()

    def derivative(self, s, x):
        return s

    def value(self, s):
        return None

    def jump(self, s, w):
        return s

    def time_constants(self, name) -> dict:
        return {}


class Delta(AbstractKernel):
    """Instantaneous synapse: an event of weight ``w`` (mV) moves the target voltage by ``w``."""


class Exponential(AbstractKernel):
    r""":math:`\tau\, \dot g = -g`, :math:`g \to g + w` at an event."""

    tau: jax.Array = param(5.0, unit="ms", doc="decay time constant")

    def __check_init__(self):
        check_positive("tau", self.tau, "ms")

    def init(self, n, dtype):
        return jnp.zeros((n,), dtype)

    def derivative(self, g, x):
        return -g / self.tau + (0.0 if x is None else x)

    def value(self, g):
        return g

    def jump(self, g, w):
        return g + w

    def time_constants(self, name):
        return {f"{name}.tau": self.tau}


class Alpha(AbstractKernel):
    r"""Alpha function: :math:`\tau \dot h = -h`, :math:`\tau \dot g = -g + e\, h`;
    an event adds :math:`w` to :math:`h`, so :math:`g` peaks at :math:`w` after :math:`\tau`."""

    tau: jax.Array = param(2.0, unit="ms", doc="time to peak")

    def __check_init__(self):
        check_positive("tau", self.tau, "ms")

    def init(self, n, dtype):
        return (jnp.zeros((n,), dtype), jnp.zeros((n,), dtype))

    def derivative(self, s, x):
        h, g = s
        return (-h / self.tau + (0.0 if x is None else x), (np.e * h - g) / self.tau)

    def value(self, s):
        return s[1]

    def jump(self, s, w):
        return (s[0] + w, s[1])

    def time_constants(self, name):
        return {f"{name}.tau": self.tau}


class DiffExp(AbstractKernel):
    r"""Difference of exponentials with rise ``tau_rise`` and decay ``tau_decay``, normalised
    so that one event of weight :math:`w` peaks at :math:`w` (at
    :math:`t_p = \frac{\tau_r \tau_d}{\tau_d - \tau_r}\ln\frac{\tau_d}{\tau_r}`)."""

    tau_rise: jax.Array = param(1.0, unit="ms", doc="rise time constant")
    tau_decay: jax.Array = param(5.0, unit="ms", doc="decay time constant")

    def __check_init__(self):
        check_positive("tau_rise", self.tau_rise, "ms")
        check_less("tau_rise", self.tau_rise, "tau_decay", self.tau_decay, "ms")

    def _eta(self):
        tr, td = self.tau_rise, self.tau_decay
        tp = tr * td / (td - tr) * jnp.log(td / tr)
        return 1.0 / (jnp.exp(-tp / td) - jnp.exp(-tp / tr))

    def init(self, n, dtype):
        return (jnp.zeros((n,), dtype), jnp.zeros((n,), dtype))

    def derivative(self, s, x):
        r, d = s
        kick = 0.0 if x is None else x * self._eta()
        return (-r / self.tau_rise + kick, -d / self.tau_decay + kick)

    def value(self, s):
        return s[1] - s[0]

    def jump(self, s, w):
        e = self._eta() * w
        return (s[0] + e, s[1] + e)

    def time_constants(self, name):
        return {f"{name}.tau_rise": self.tau_rise}


