r"""Shorthands for giving a neuron named synaptic channels (the parts of ``neurodyn.synapses``).

A network population is any spiking neuron; its synaptic parts are the channels that
projections target by name. :func:`WithSynapses` attaches channels given as a dict
``name -> channel``, so ::

    WithSynapses(LIF(n=100), {"exc": ExpConductance(tau=5.0, E_rev=0.0), "inh": Delta()})

is ``LIF(n=100, parts=(ConductanceSynapse(Exponential(5.0), E_rev=0.0, name="exc"),
CurrentSynapse(Delta(), name="inh")))``.
"""

from __future__ import annotations

import dataclasses

from ..synapses import AbstractKernel, ConductanceSynapse, CurrentSynapse, Delta, Exponential

__all__ = ["Delta", "ExpConductance", "ExpCurrent", "WithSynapses"]


def ExpCurrent(tau, name: str = "syn", target: str = "V_m") -> CurrentSynapse:
    r"""Exponential current synapse: :math:`\tau\, dI/dt = -I`; a spike adds its weight (pA) to ``I``.

    The same as ``CurrentSynapse(Exponential(tau), name=name, target=target)``.
    """
    return CurrentSynapse(Exponential(tau=tau), name=name, target=target)


def ExpConductance(tau, E_rev, name: str = "g_syn", target: str = "V_m") -> ConductanceSynapse:
    r"""Exponential conductance synapse: :math:`\tau\, dg/dt = -g`, current
    :math:`I = g (E_{rev} - V)`; a spike adds its weight (nS) to ``g``.

    The same as ``ConductanceSynapse(Exponential(tau), E_rev=E_rev, name=name, target=target)``.
    """
    return ConductanceSynapse(Exponential(tau=tau), E_rev=E_rev, name=name, target=target)


def WithSynapses(neuron, synapses: dict):
    """``neuron`` with the channels ``synapses`` (name -> synaptic part or kernel) added to its parts.

    A kernel alone (``Delta()``, ``Alpha(2.0)``, ...) is a current synapse. Each channel
    takes its dict key as its name.

    Example::

        from neurodyn.connectivity import ExpConductance, WithSynapses
        pop = WithSynapses(nd.neurons.LIF(n=100), {"exc": ExpConductance(tau=5.0, E_rev=0.0)})
        pop.synapse_targets   # ('exc',)
    """
    if not isinstance(synapses, dict):
        raise TypeError(f"synapses must be a dict name -> synaptic part or kernel, got {type(synapses).__name__}")
    parts = []
    for name, channel in synapses.items():
        if isinstance(channel, AbstractKernel):
            channel = CurrentSynapse(channel)
        if not isinstance(channel, (CurrentSynapse, ConductanceSynapse)):
            raise TypeError(f"synapses[{name!r}] must be a synaptic part or kernel (ExpConductance, ExpCurrent, Delta, "
                            f"nd.synapses.*), got {type(channel).__name__}")
        parts.append(dataclasses.replace(channel, name=name))
    return neuron.replace(parts=tuple(neuron.parts) + tuple(parts))
