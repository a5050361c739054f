r"""Synaptic kernels: the time course of one synaptic event of weight :math:`w`.

A kernel is a small linear system driven by spikes. Every kernel with a time course has
exactly one *jump variable*: an event of weight ``w`` adds ``w`` to it and to nothing
else (``jump_variable`` / ``with_jump_variable``), so a network's propagation kernel can
add its events into that one array in place. Between events the state follows
``derivative``; ``value(s)`` is the synaptic current (pA) or conductance (nS). An
external input ``x`` (events per ms times weight, e.g. ``neurodyn.inputs.poisson``)
enters the jump variable's derivative.

| kernel | :math:`k(t)` for one event at 0 (weight 1) | jump variable |
|---|---|---|
| ``Delta()`` | :math:`\delta(t)` (a jump of the target voltage by :math:`w` mV) | the target voltage |
| ``Exponential(tau)`` | :math:`e^{-t/\tau}` | :math:`g` |
| ``Alpha(tau)`` | :math:`\frac{t}{\tau} e^{1 - t/\tau}` (peak 1 at :math:`t=\tau`) | :math:`h` |
| ``DiffExp(tau_rise, tau_decay)`` | :math:`\eta\,(e^{-t/\tau_d} - e^{-t/\tau_r})`, :math:`\eta` sets the peak to 1 | :math:`x` |
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import Documented, check_less, check_positive, param


class AbstractKernel(Documented):
    """A kernel: ``init``, ``derivative``, ``value`` and its one jump variable."""

    def init(self, n, dtype):
        return ()

    def derivative(self, s, x):
        return s

    def value(self, s):
        return None

    def jump_variable(self, s):
        """The array that events jump (``None`` for ``Delta``: it jumps the target voltage)."""
        return None

    def with_jump_variable(self, s, value):
        """The state with its jump variable set to ``value``."""
        return s

    def jump(self, s, w):
        """The state after events of summed weight ``w``."""
        return self.with_jump_variable(s, self.jump_variable(s) + w)

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

    def jump_variable(self, g):
        return g

    def with_jump_variable(self, g, value):
        return value

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

    def jump_variable(self, s):
        return s[0]

    def with_jump_variable(self, s, value):
        return (value, s[1])

    def time_constants(self, name):
        return {f"{name}.tau": self.tau}


class DiffExp(AbstractKernel):
    r"""Difference of exponentials with rise ``tau_rise`` and decay ``tau_decay``, normalised
    so that one event of weight :math:`w` peaks at :math:`w` (at
    :math:`t_p = \frac{\tau_r \tau_d}{\tau_d - \tau_r}\ln\frac{\tau_d}{\tau_r}`).

    Written with one jump variable :math:`x`:

    .. math::
        \tau_r \dot x = -x, \qquad \dot g = -\frac{g}{\tau_d} + c\, x, \qquad
        c = \eta\, \frac{\tau_d - \tau_r}{\tau_r \tau_d},

    an event adds :math:`w` to :math:`x`, and :math:`g(t) = w\,\eta\,(e^{-t/\tau_d} - e^{-t/\tau_r})`.
    """

    tau_rise: jax.Array = param(1.0, unit="ms", doc="rise time constant")
    tau_decay: jax.Array = param(5.0, unit="ms", doc="decay time constant")

    def __check_init__(self):
        check_positive("tau_rise", self.tau_rise, "ms")
        check_less("tau_rise", self.tau_rise, "tau_decay", self.tau_decay, "ms")

    def _eta(self):
        tr, td = self.tau_rise, self.tau_decay
        tp = tr * td / (td - tr) * jnp.log(td / tr)
        return 1.0 / (jnp.exp(-tp / td) - jnp.exp(-tp / tr))

    def _coupling(self):
        tr, td = self.tau_rise, self.tau_decay
        return self._eta() * (td - tr) / (tr * td)

    def init(self, n, dtype):
        return (jnp.zeros((n,), dtype), jnp.zeros((n,), dtype))

    def derivative(self, s, x):
        rise, g = s
        return (-rise / self.tau_rise + (0.0 if x is None else x), self._coupling() * rise - g / self.tau_decay)

    def value(self, s):
        return s[1]

    def jump_variable(self, s):
        return s[0]

    def with_jump_variable(self, s, value):
        return (value, s[1])

    def time_constants(self, name):
        return {f"{name}.tau_rise": self.tau_rise}
