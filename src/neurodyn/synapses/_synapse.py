r"""Synaptic channels: parts of a neuron driven by spikes (or by an input of events).

A channel couples a kernel (:mod:`._kernels`) to one voltage variable of the neuron,
its ``target`` (``"V_m"`` by default; ``"V_d"`` is the dendrite of
``neurodyn.neurons.TwoCompartment``):

- :class:`CurrentSynapse`: :math:`I = s(t)`, the kernel's value in pA;
- :class:`ConductanceSynapse`: :math:`I = g(t)\,B(V)\,(E_{rev} - V)`, the kernel's value
  ``g`` in nS, with an optional magnesium block :math:`B(V) = 1/(1 + [Mg]/3.57\,e^{-0.062 V})`
  (Jahr & Stevens 1990) that makes it NMDA-like.

Spikes from other neurons arrive through ``neuron.receive(state, {name: weights})``, or in a
``neurodyn.Network`` through projections whose ``target`` is the channel's ``name``
(events add to the kernel's one jump variable; ``Delta`` channels jump the target
voltage). In a single-neuron simulation the channel's input is ``inputs={..., name: input}`` (an input
of value :math:`x` adds :math:`x\,dt` of weight per step, e.g. ``neurodyn.inputs.poisson``
whose value is weight × count / dt).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_nonnegative, param
from ..neurons._parts import AbstractPart
from ._kernels import AbstractKernel, Delta, Exponential


class _Synapse(AbstractPart):
    takes_input = True
    receives_spikes = True

    def init(self, neuron, n, dtype):
        return self.kernel.init(n, dtype)

    def derivative(self, neuron, s, volts, drive):
        return self.kernel.derivative(s, None if isinstance(self.kernel, Delta) else drive)

    def observe(self, s):
        value = self.kernel.value(s)
        return jnp.zeros(()) if value is None else value

    @property
    def jumps_voltage(self) -> bool:
        """Whether events jump the target voltage (``Delta``) rather than the kernel's state."""
        return isinstance(self.kernel, Delta)

    def time_constants(self):
        return self.kernel.time_constants(self.name)


class CurrentSynapse(_Synapse):
    r"""Current-based synapse: :math:`I_{syn}(t) = \sum_k w_k\, k(t - t_k)` (pA) into ``target``.

    With the ``Delta`` kernel the weight is a voltage jump in mV (NEST's ``iaf_psc_delta``).

    Example::

        syn = nd.synapses.CurrentSynapse(nd.synapses.Exponential(tau=2.0), name="ex")
        neuron = nd.neurons.AdEx.preset("tonic", n=1, parts=(syn,))
        res = nd.simulate(neuron, 200.0, 0.1, inputs={"ex": nd.inputs.poisson(50.0, 100.0, n_sources=20)})
    """

    kernel: AbstractKernel = eqx.field(default_factory=Exponential)
    name: str = eqx.field(static=True, default="syn")
    target: str = eqx.field(static=True, default="V_m")

    def current(self, neuron, s, volts):
        return self.kernel.value(s)

    def voltage_rate(self, drive):
        """For the delta kernel: the input (mV/ms) moves the target directly."""
        return drive if isinstance(self.kernel, Delta) else None


class ConductanceSynapse(_Synapse):
    r"""Conductance-based synapse with reversal potential ``E_rev``:
    :math:`I_{syn} = g(t)\, B(V)\, (E_{rev} - V)`, :math:`g(t) = \sum_k w_k\, k(t - t_k)` (nS).

    ``mg`` (mM) switches on the NMDA magnesium block :math:`B(V)`; ``None`` means
    :math:`B = 1`. Inhibition with ``E_rev`` near rest is *shunting*: it divides the
    response to excitation instead of subtracting from it.

    Example::

        ex = nd.synapses.ConductanceSynapse(nd.synapses.Exponential(5.0), E_rev=0.0, name="ex")
        inh = nd.synapses.ConductanceSynapse(nd.synapses.Exponential(10.0), E_rev=-80.0, name="in")
        neuron = nd.neurons.AdaptiveLIF(n=4, parts=(ex, inh))
    """

    kernel: AbstractKernel = eqx.field(default_factory=Exponential)
    E_rev: jax.Array = param(0.0, unit="mV", doc="reversal potential")
    mg: jax.Array | None = param(None, unit="mM", doc="extracellular magnesium for an NMDA-like block (None: no block)")
    name: str = eqx.field(static=True, default="g_syn")
    target: str = eqx.field(static=True, default="V_m")

    def __check_init__(self):
        if isinstance(self.kernel, Delta):
            raise ValueError("kernel of a ConductanceSynapse must have a time course (Exponential, Alpha, DiffExp), got Delta")
        if self.mg is not None:
            check_nonnegative("mg", self.mg, "mM")

    def block(self, V):
        if self.mg is None:
            return 1.0
        return 1.0 / (1.0 + self.mg / 3.57 * jnp.exp(-0.062 * V))

    def current(self, neuron, s, volts):
        V = volts[self.target]
        return self.kernel.value(s) * self.block(V) * (self.E_rev - V)
