"""The integrate-and-fire membrane, written once: LIF, adaptive, exponential and quadratic models."""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_less, check_nonnegative, check_positive, param
from ._base import SpikingNeuron
from ..engine._surrogate import AbstractSurrogate, SuperSpike, spike


class IFState(eqx.Module):
    V_m: jax.Array  #: membrane potential, mV
    refractory: jax.Array  #: remaining refractory steps (int32)
    parts: tuple = ()  #: states of the attached parts


def refractory_reset(V, refractory, V_th, V_reset, t_ref, dt, surrogate=None):
    """Threshold, reset and absolute refractoriness on a membrane potential.

    Neurons still refractory are held at ``V_reset`` (their integration is undone);
    a neuron that reaches ``V_th`` spikes, is reset, and stays clamped for
    ``round(t_ref / dt)`` steps, so integration resumes exactly ``t_ref`` after the spike.

    The spikes are boolean, or with a ``surrogate`` (``engine/_surrogate.py``) floats
    0.0/1.0 (the same spikes) whose derivative with respect to ``V`` and ``V_th`` is the
    surrogate's. The reset is *detached*: it selects on the spikes' values, so no gradient
    flows through the reset (``dV_after/dV_before`` is 0 where a neuron spiked, 1 elsewhere).
    """
    clamped = refractory > 0
    V = jnp.where(clamped, V_reset, V)
    spiked = (V >= V_th) & ~clamped
    out = spiked
    if surrogate is not None:
        out = jnp.where(clamped, 0.0, spike(V - V_th, surrogate)).astype(V.dtype)
    V = jnp.where(spiked, V_reset, V)
    n_ref = jnp.round(t_ref / dt).astype(jnp.int32)
    refractory = jnp.where(spiked, n_ref, jnp.maximum(refractory - 1, 0))
    return V, refractory, out


def check_surrogate(surrogate) -> None:
    if surrogate is not None and not isinstance(surrogate, AbstractSurrogate):
        raise TypeError(f"surrogate must be a neurodyn.neurons surrogate (e.g. SuperSpike()) or None, "
                        f"got {type(surrogate).__name__}")


class IFMembrane(SpikingNeuron):
    r"""Integrate-and-fire membrane :math:`C_m \dot V = -\frac{C_m}{\tau_m} (V - E_L) + \psi(V) + I`
    (:math:`C_m/\tau_m = g_L`), with threshold ``V_th`` (where the spike is cut), reset to
    ``V_reset`` and refractoriness ``t_ref``. Families give the membrane time constant
    (``_tau_m``) and choose the spike-generating current :math:`\psi`.

    The derivative is written :math:`(E_L - V)/\tau_m + (\psi + I)/C_m`: quotients only, so
    XLA cannot contract a product and a sum into a multiply-add differently in batched
    (vmapped) and single runs.

    ``surrogate`` (default ``SuperSpike()``, beta = 1/mV; ``None`` for boolean spikes): the
    spikes are floats 0.0/1.0 whose derivative with respect to V and ``V_th`` is the
    surrogate's, so ``jax.grad`` of a loss on spike counts is useful; the reset is detached.
    Spikes and states are the same with or without it."""

    C_m: jax.Array = param(250.0, unit="pF", doc="membrane capacitance")
    E_L: jax.Array = param(-70.0, unit="mV", doc="resting (leak reversal) potential")
    V_th: jax.Array = param(-55.0, unit="mV", doc="spike threshold (where the spike is cut and V is reset)")
    V_reset: jax.Array = param(-70.0, unit="mV", doc="reset potential")
    t_ref: jax.Array = param(0.0, unit="ms", doc="absolute refractory period")
    V_init: jax.Array | None = param(None, unit="mV", doc="initial membrane potential (default E_L)")
    surrogate: AbstractSurrogate | None = eqx.field(default=SuperSpike())

    def __check_init__(self):
        check_surrogate(self.surrogate)
        check_positive("C_m", self.C_m, "pF")
        check_nonnegative("t_ref", self.t_ref, "ms")
        check_less("V_reset", self.V_reset, "V_th", self.V_th, "mV")

    @abc.abstractmethod
    def _tau_m(self):
        """The membrane time constant C_m / g_L (ms)."""

    def _psi(self, V):
        return 0.0

    def _own_time_constants(self):
        return {"tau_m": self._tau_m()}

    def _init_own(self, dtype):
        V0 = self.E_L if self.V_init is None else self.V_init
        return IFState(jnp.broadcast_to(jnp.asarray(V0, dtype), (self.n,)), jnp.zeros((self.n,), jnp.int32))

    def _field(self, t, state, I):
        V = state.V_m
        dV = (self.E_L - V) / self._tau_m() + (self._psi(V) + I["V_m"]) / self.C_m
        return IFState(dV, state.refractory, state.parts)

    def _fire(self, state, dt):
        V, ref, spiked = refractory_reset(state.V_m, state.refractory, self.V_th, self.V_reset, self.t_ref, dt,
                                         self.surrogate)
        return IFState(V, ref, state.parts), spiked


class IntegrateAndFire(IFMembrane):
    """The membrane parametrised by its leak conductance ``g_L`` (adaptive, exponential, quadratic)."""

    g_L: jax.Array = param(16.7, unit="nS", doc="leak conductance")

    def __check_init__(self):
        check_positive("g_L", self.g_L, "nS")

    def _tau_m(self):
        return self.C_m / self.g_L
