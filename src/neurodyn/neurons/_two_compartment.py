"""A two-compartment neuron: a spiking soma and a dendrite with an NMDA-like current."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_less, check_nonnegative, check_positive, param
from ..engine._solvers import ExponentialEuler
from ._base import SpikingNeuron
from ..engine._surrogate import AbstractSurrogate, SuperSpike
from ._if import check_surrogate, refractory_reset


def nmda_channel(tau_rise=2.0, tau_decay=80.0, mg=1.0, E_rev=0.0, name="nmda"):
    """An NMDA-like synapse on the dendrite: difference of exponentials with a Mg block."""
    from ..synapses import ConductanceSynapse, DiffExp

    return ConductanceSynapse(DiffExp(tau_rise, tau_decay), E_rev=E_rev, mg=mg, name=name, target="V_d")


class TwoCompartmentState(eqx.Module):
    V_m: jax.Array  #: somatic membrane potential, mV
    V_d: jax.Array  #: dendritic membrane potential, mV
    refractory: jax.Array
    parts: tuple = ()


class TwoCompartment(SpikingNeuron):
    r"""Soma (integrate-and-fire) and dendrite coupled by a conductance :math:`g_c`.

    .. math::
        C_m \dot V_m = -g_L (V_m - E_L) + g_c (V_d - V_m) + I_e + I(t) + I_{parts \to V_m},

    .. math::
        C_d \dot V_d = -g_{L,d} (V_d - E_L) + g_c (V_m - V_d) + I_{e,d} + I_{parts \to V_d},

    the soma spikes at ``V_th`` and resets to ``V_reset`` (refractory ``t_ref``). By default
    the dendrite carries an NMDA-like channel named ``"nmda"``
    (:math:`I = g\,B(V_d)(E - V_d)` with the Mg block :math:`B`): once enough input has
    arrived, the depolarisation unblocks the channel, which depolarises further — a
    regenerative *plateau* of tens of ms that outlasts the input and drives the soma to
    fire a burst. Inputs: ``inputs={"I": somatic current, "nmda": events}``, each a
    ``neurodyn.inputs`` object (leave a key out for no input); a network delivers events
    with ``neuron.receive(state, {"nmda": weights})`` (nS).

    Example::

        cell = nd.neurons.TwoCompartment(n=1)
        burst = nd.inputs.pulses(amplitude=5.0 / 0.1, start=20.0, width=0.1, period=2.0, count=8)  # 8 events of 5 nS
        res = nd.simulate(cell, 200.0, 0.1, inputs={"nmda": burst}, record=["V_m", "V_d", "spikes"])
    """

    parts: tuple = eqx.field(default_factory=lambda: (nmda_channel(),))
    C_m: jax.Array = param(60.0, unit="pF", doc="somatic capacitance")
    g_L: jax.Array = param(6.0, unit="nS", doc="somatic leak conductance")
    C_d: jax.Array = param(30.0, unit="pF", doc="dendritic capacitance")
    g_L_d: jax.Array = param(2.0, unit="nS", doc="dendritic leak conductance")
    g_c: jax.Array = param(4.0, unit="nS", doc="soma-dendrite coupling conductance")
    E_L: jax.Array = param(-70.0, unit="mV", doc="resting potential")
    V_th: jax.Array = param(-55.0, unit="mV", doc="somatic spike threshold")
    V_reset: jax.Array = param(-60.0, unit="mV", doc="somatic reset")
    t_ref: jax.Array = param(2.0, unit="ms", doc="absolute refractory period")
    I_e_d: jax.Array = param(0.0, unit="pA", doc="constant current into the dendrite")

    voltages = ("V_m", "V_d")
    solver = ExponentialEuler()
    surrogate: AbstractSurrogate | None = eqx.field(default=SuperSpike())

    def __check_init__(self):
        check_surrogate(self.surrogate)
        for name in ("C_m", "C_d"):
            check_positive(name, getattr(self, name), "pF")
        for name in ("g_L", "g_L_d"):
            check_positive(name, getattr(self, name), "nS")
        check_nonnegative("g_c", self.g_c, "nS")
        check_nonnegative("t_ref", self.t_ref, "ms")
        check_less("V_reset", self.V_reset, "V_th", self.V_th, "mV")

    def capacitance(self, target):
        return self.C_d if target == "V_d" else self.C_m

    def _own_time_constants(self):
        return {"tau_m": self.C_m / self.g_L, "tau_d": self.C_d / (self.g_L_d + self.g_c)}

    def _init_own(self, dtype):
        V = jnp.broadcast_to(jnp.asarray(self.E_L, dtype), (self.n,))
        return TwoCompartmentState(V, V, jnp.zeros((self.n,), jnp.int32))

    def _field(self, t, s, I):
        c = self.g_c * (s.V_d - s.V_m)
        dVs = (-self.g_L * (s.V_m - self.E_L) + c + I["V_m"]) / self.C_m
        dVd = (-self.g_L_d * (s.V_d - self.E_L) - c + self.I_e_d + I["V_d"]) / self.C_d
        return TwoCompartmentState(dVs, dVd, s.refractory, s.parts)

    def _fire(self, s, dt):
        V, ref, spiked = refractory_reset(s.V_m, s.refractory, self.V_th, self.V_reset, self.t_ref, dt, self.surrogate)
        return TwoCompartmentState(V, s.V_d, ref, s.parts), spiked
