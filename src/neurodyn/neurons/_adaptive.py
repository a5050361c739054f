"""Adaptive leaky integrate-and-fire neurons."""

from __future__ import annotations

import jax

from .._params import param
from ..engine._solvers import ExponentialEuler
from ._if import IntegrateAndFire
from ._parts import Adaptation


class AdaptiveLIF(IntegrateAndFire):
    r"""Leaky integrate-and-fire neurons with an adaptation current.

    .. math::
        C_m \dot V = -g_L (V - E_L) - w + I_e + I(t), \qquad
        \tau_w \dot w = a (V - E_L) - w,

    at :math:`V \ge V_{th}`: spike, :math:`V \to V_{reset}`, :math:`w \to w + b`, and
    :math:`V` is held for ``t_ref``. ``a`` is the subthreshold and ``b`` the
    spike-triggered adaptation; more adaptation currents (other time scales) are added
    as parts. Integrated with exponential Euler (exact for the leak).

    Example::

        alif = nd.neurons.AdaptiveLIF(n=3, I_e=[300.0, 400.0, 500.0], b=50.0, tau_w=200.0)
        res = nd.simulate(alif, 1000.0, 0.1, record=["spikes", "w"])
    """

    a: jax.Array = param(0.0, unit="nS", doc="subthreshold adaptation coupling")
    b: jax.Array = param(20.0, unit="pA", doc="spike-triggered adaptation increment")
    tau_w: jax.Array = param(100.0, unit="ms", doc="adaptation time constant")
    t_ref: jax.Array = param(2.0, unit="ms", doc="absolute refractory period")

    solver = ExponentialEuler()

    def _builtin_parts(self):
        return (Adaptation(a=self.a, b=self.b, tau_w=self.tau_w, name="w"),)
