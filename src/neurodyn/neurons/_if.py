"""The integrate-and-fire membrane shared by the adaptive, exponential and quadratic models."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_less, check_nonnegative, check_positive, param
from ._base import SpikingNeuron
from ._lif import refractory_reset


class IFState(eqx.Module):
    V_m: jax.Array  #: membrane potential, mV
    refractory: jax.Array  #: remaining refractory steps (int32)
    parts: tuple = ()  #: states of the attached parts


class IntegrateAndFire(SpikingNeuron):
    r"""Integrate-and-fire membrane :math:`C_m \dot V = -g_L (V - E_L) + \psi(V) + I`, with
    threshold ``V_th`` (where the spike is cut), reset to ``V_reset`` and refractoriness
    ``t_ref``. Families choose the spike-generating current :math:`\psi`."""

    C_m: jax.Array = param(250.0, unit="pF", doc="membrane capacitance")
    g_L: jax.Array = param(16.7, unit="nS", doc="leak conductance")
    E_L: jax.Array = param(-70.0, unit="mV", doc="resting (leak reversal) potential")
    V_th: jax.Array = param(-55.0, unit="mV", doc="spike threshold (where the spike is cut and V is reset)")
    V_reset: jax.Array = param(-70.0, unit="mV", doc="reset potential")
    t_ref: jax.Array = param(0.0, unit="ms", doc="absolute refractory period")
    V_init: jax.Array | None = param(None, unit="mV", doc="initial membrane potential (default E_L)")

    def __check_init__(self):
        check_positive("C_m", self.C_m, "pF")
        check_positive("g_L", self.g_L, "nS")
        check_nonnegative("t_ref", self.t_ref, "ms")
        check_less("V_reset", self.V_reset, "V_th", self.V_th, "mV")

    def _psi(self, V):
        return 0.0

    def _own_time_constants(self):
        return {"tau_m": self.C_m / self.g_L}

    def _init_own(self, dtype):
        V0 = self.E_L if self.V_init is None else self.V_init
        return IFState(jnp.broadcast_to(jnp.asarray(V0, dtype), (self.n,)), jnp.zeros((self.n,), jnp.int32))

    def _field(self, t, state, I):
        V = state.V_m
        dV = (-self.g_L * (V - self.E_L) + self._psi(V) + I["V_m"]) / self.C_m
        return IFState(dV, state.refractory, state.parts)

    def _fire(self, state, dt):
        V, ref, spiked = refractory_reset(state.V_m, state.refractory, self.V_th, self.V_reset, self.t_ref, dt)
        return IFState(V, ref, state.parts), spiked
