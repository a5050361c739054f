"""Leaky integrate-and-fire neurons."""

from __future__ import annotations

import jax

from .._params import check_positive, param
from ..engine._solvers import ExponentialEuler
from ._if import IFMembrane, IFState

#: The state of LIF neurons (the integrate-and-fire membrane's).
LIFState = IFState

__all__ = ["LIF", "LIFState"]


class LIF(IFMembrane):
    r"""A population of ``n`` leaky integrate-and-fire neurons.

    .. math::
        C_m \frac{dV_m}{dt} = -\frac{C_m}{\tau_m}(V_m - E_L) + I_e + I(t) + I_{parts}

    When :math:`V_m \ge V_{th}` the neuron spikes, :math:`V_m` is reset to
    :math:`V_{reset}` and held there for :math:`t_{ref}`. Between spikes the membrane
    equation is integrated exactly (exponential Euler with the input held over a step).
    Every parameter is a scalar or a per-neuron array of shape ``(n,)``; defaults are
    NEST's ``iaf_psc_delta``. Synaptic channels are parts (``parts=(...)``, see
    ``neurodyn.synapses``); with exponential current or conductance channels, in float32
    on a CPU, a step runs as one fused C++ kernel (``connectivity/_fused.py``).

    Example::

        lif = nd.neurons.LIF(n=100, I_e=376.0)
        res = nd.simulate(lif, duration=1000.0, dt=0.1)
        res.rates().mean()
    """

    tau_m: jax.Array = param(10.0, unit="ms", doc="membrane time constant")
    V_th: jax.Array = param(-55.0, unit="mV", doc="spike threshold")
    t_ref: jax.Array = param(2.0, unit="ms", doc="absolute refractory period")

    solver = ExponentialEuler()

    def __check_init__(self):
        check_positive("tau_m", self.tau_m, "ms")

    def _tau_m(self):
        return self.tau_m

    @property
    def rheobase(self):
        """Smallest constant current (pA) that makes the neuron fire: ``C_m (V_th - E_L) / tau_m``."""
        return self.C_m * (self.V_th - self.E_L) / self.tau_m

    def fused_step(self, state, t, dt, drive, solver):
        """With exponential channels, in float32 on CPU: one C++ pass (``connectivity/_fused.py``)."""
        from ..connectivity._fused import fused_step

        return fused_step(self, state, t, dt, drive, solver)
