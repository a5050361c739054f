r"""Minimal synapse parts for networks: exponential current and conductance synapses,
and delta (voltage-jump) synapses, combined with a point-neuron model.

A population model that can receive projections provides ``synapse_targets`` and
``receive(state, target, add_events)``: ``add_events`` maps the variable that channel
``target`` acts on to its value with the events delivered now added (the propagation
kernel adds them in place). This module's
:class:`WithSynapses` wraps any neuron model whose state has ``V_m`` (LIF-type) and
whose ``vector_field`` takes an input current (pA).
"""

from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_positive
from ..engine._model import AbstractDynamics


class AbstractSynapse(eqx.Module):
    """One synaptic input channel of a population (its decay and the current it makes)."""

    #: whether the channel has its own state variable (``g``)
    stateful = True

    @abc.abstractmethod
    def current(self, g, V):
        """Synaptic current (pA) given the channel's variable ``g`` and the membrane potential ``V`` (mV)."""

    @abc.abstractmethod
    def decay(self, g):
        """dg/dt."""

    def time_constants(self) -> dict:
        return {}


class ExpCurrent(AbstractSynapse):
    r"""Exponential current synapse: :math:`\tau\, dI/dt = -I`; a spike adds its weight (pA) to ``I``."""

    tau: jax.Array  #: decay time constant, ms

    def __check_init__(self):
        check_positive("tau", self.tau, "ms")

    def current(self, g, V):
        return g

    def decay(self, g):
        return -g / self.tau

    def time_constants(self):
        return {"tau": self.tau}


class ExpConductance(AbstractSynapse):
    r"""Exponential conductance synapse: :math:`\tau\, dg/dt = -g`, current
    :math:`I = g (E_{rev} - V)`; a spike adds its weight (nS) to ``g``."""

    tau: jax.Array  #: decay time constant, ms
    E_rev: jax.Array  #: reversal potential, mV

    def __check_init__(self):
        check_positive("tau", self.tau, "ms")

    def current(self, g, V):
        return g * (self.E_rev - V)

    def decay(self, g):
        return -g / self.tau

    def time_constants(self):
        return {"tau": self.tau}


class Delta(AbstractSynapse):
    """Delta synapse: a spike moves the membrane potential by its weight (mV) at once."""

    stateful = False

    def current(self, g, V):
        return 0.0

    def decay(self, g):
        return g


class SynapticState(eqx.Module):
    neuron: Any  #: the neuron's own state
    g: dict  #: channel name -> synaptic variable (n,) (pA for currents, nS for conductances)


class WithSynapses(AbstractDynamics):
    r"""A neuron model with named synaptic channels, as one population model.

    .. math::
        I_{syn} = \sum_c I_c(g_c, V_m), \qquad \tau_c \dot g_c = -g_c

    The neuron's ``vector_field`` sees ``drive + I_syn``. The network adds the events
    due each step to ``g_c`` (``Delta`` channels add to ``V_m`` directly).
    Recordable: the neuron's variables (``"V_m"``) and ``"g_<channel>"``.

    Example::

        pop = nd.connectivity.WithSynapses(nd.neurons.LIF(n=100), {"exc": nd.connectivity.ExpConductance(tau=5.0, E_rev=0.0)})
    """

    neuron: AbstractDynamics
    synapses: dict

    def __check_init__(self):
        if not isinstance(self.synapses, dict) or not all(isinstance(s, AbstractSynapse) for s in self.synapses.values()):
            raise TypeError("synapses must be a dict name -> synapse part (ExpCurrent, ExpConductance, Delta)")

    @property
    def n(self):
        return self.neuron.n

    @property
    def default_solver(self):
        return self.neuron.default_solver

    @property
    def input_shape(self):
        return self.neuron.input_shape

    @property
    def synapse_targets(self):
        return tuple(self.synapses)

    def time_constants(self):
        out = dict(self.neuron.time_constants())
        for name, syn in self.synapses.items():
            out.update({f"{name}.{k}": v for k, v in syn.time_constants().items()})
        return out

    def init_state(self, key=None):
        ns = self.neuron.init_state(key)
        zeros = jnp.zeros_like(ns.V_m)
        return SynapticState(ns, {c: zeros for c, s in self.synapses.items() if s.stateful})

    def vector_field(self, t, state, drive):
        V = state.neuron.V_m
        I_syn = sum((self.synapses[c].current(g, V) for c, g in state.g.items()), jnp.zeros_like(V))
        dn = self.neuron.vector_field(t, state.neuron, drive + I_syn)
        return SynapticState(dn, {c: self.synapses[c].decay(g) for c, g in state.g.items()})

    def fire(self, state, t, dt):
        ns, spiked = self.neuron.fire(state.neuron, t, dt)
        return SynapticState(ns, state.g), spiked

    def fused_step(self, state, t, dt, drive, solver):
        """LIF with exponential channels in float32 on CPU: one C++ pass (see ``_fused``)."""
        from ._fused import fused_step

        return fused_step(self, state, t, dt, drive, solver)

    def receive(self, state, target, add_events):
        """Deliver the events due now on channel ``target``: ``g_target`` (or ``V_m`` for a
        ``Delta`` channel) becomes ``add_events(g_target)``."""
        if target in state.g:
            return SynapticState(state.neuron, {**state.g, target: add_events(state.g[target])})
        ns = state.neuron
        fields = {k: getattr(ns, k) for k in ns.__dataclass_fields__}
        return SynapticState(type(ns)(**{**fields, "V_m": add_events(ns.V_m)}), state.g)

    def read(self, state, name):
        if name.startswith("g_") and name[2:] in state.g:
            return state.g[name[2:]]
        try:
            return self.neuron.read(state.neuron, name)
        except ValueError:
            options = [*[f"g_{c}" for c in state.g], *[k for k in state.neuron.__dataclass_fields__ if not k.startswith("_")]]
            raise ValueError(f"record: unknown variable {name!r}; expected one of {', '.join(options)}") from None
