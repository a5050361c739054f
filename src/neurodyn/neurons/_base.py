"""The shared machinery of spiking neurons built by composition.

A :class:`SpikingNeuron` is membrane dynamics (its own state variables and vector field,
written by each family) plus a tuple of *parts* (adaptation currents, noise, synaptic
channels; see :mod:`neurodyn.neurons._parts` and :mod:`neurodyn.synapses`). The base class
routes each part's current into its target voltage, integrates the parts' state with the
neuron, applies the parts' reactions to spikes, and provides the population contract of
``neurodyn.Network``: ``synapse_targets`` (its synaptic parts' names), ``receive`` (events
into a channel's jump variable) and ``read``.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import as_int, check_parameters, param, suggest
from ..engine._model import AbstractDynamics, variables
from ..engine._solvers import AbstractSolver, Euler, EulerMaruyama

#: Key of the external current in the drive of a neuron whose parts take inputs.
CURRENT = "I"


def _replace(state, **changes):
    return dataclasses.replace(state, **changes)


class SpikingNeuron(AbstractDynamics):
    """A population of ``n`` spiking neurons: membrane dynamics + parts.

    Subclasses provide ``_init_own(dtype)`` (the state with ``parts=()``),
    ``_field(t, state, I)`` (the derivative of their own variables given the total current
    ``I[target]`` in pA into each voltage variable) and ``_fire(state, dt)``; they list their
    voltage variables in ``voltages`` (the first receives the external drive) and give
    ``capacitance(target)``.

    Every neuron takes ``parts=(...)``: e.g. ``nd.neurons.Adaptation``, ``nd.neurons.Noise``,
    ``nd.synapses.ConductanceSynapse``. Parts whose ``takes_input`` is true (synapses) make
    the drive a dict: ``{"I": current, part.name: input of that part}``, so
    ``simulate(..., inputs={"I": ..., "ex": nd.inputs.poisson(...)})``; a drive that is not
    a dict (a network population's input) is the current alone.

    Any spiking neuron is a network population: its synaptic parts are the channels
    (``synapse_targets``) that projections name as their ``target``.
    """

    n: int = param(unit="", doc="number of neurons", static=True, converter=as_int)
    parts: tuple = eqx.field(default=())
    I_e: jax.Array = param(0.0, unit="pA", doc="constant bias current")

    voltages: ClassVar[tuple[str, ...]] = ("V_m",)
    solver: ClassVar[AbstractSolver] = Euler()

    def __check_init__(self):
        check_parameters(self, self.n)
        if not isinstance(self.parts, tuple):
            raise TypeError(f"parts must be a tuple of neuron parts, got {type(self.parts).__name__}")
        from ._parts import AbstractPart

        names = []
        for part in self.all_parts:
            if not isinstance(part, AbstractPart):
                raise TypeError(f"parts must contain neuron parts (Adaptation, Noise, synapses), got {type(part).__name__}")
            if part.target not in self.voltages:
                raise ValueError(
                    f"{type(part).__name__} {part.name!r}: target must be one of {', '.join(self.voltages)}, got {part.target!r}"
                )
            names.append(part.name)
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            raise ValueError(f"parts must have distinct names, got {dup[0]!r} twice")

    # -- hooks for the families --------------------------------------------
    @abc.abstractmethod
    def _init_own(self, dtype):
        """The family's own state (an ``eqx.Module`` with a ``parts`` field, left ``()``)."""

    @abc.abstractmethod
    def _field(self, t, state, I):
        """d(own variables)/dt, given ``I[target]``: the total current (pA) into each voltage."""

    @abc.abstractmethod
    def _fire(self, state, dt):
        """Threshold, reset and refractoriness of the own variables: ``(state, spiked)``."""

    def _builtin_parts(self) -> tuple:
        """Parts implied by the model's own parameters (e.g. AdEx's adaptation current)."""
        return ()

    @property
    def all_parts(self) -> tuple:
        return self._builtin_parts() + tuple(self.parts)

    def capacitance(self, target: str):
        """Capacitance (pF) of the voltage variable ``target``."""
        return self.C_m

    def _volts(self, state) -> dict:
        return {v: getattr(state, v) for v in self.voltages}

    def _add_voltage(self, state, target, dv):
        return self._set_voltage(state, target, self._volts(state)[target] + dv)

    def _set_voltage(self, state, target, value):
        return _replace(state, **{target: value})

    # -- the engine protocol ---------------------------------------------------
    @property
    def default_solver(self):
        return EulerMaruyama() if self._noisy() else self.solver

    @property
    def input_shape(self):
        inputs = [p.name for p in self.all_parts if p.takes_input]
        if not inputs:
            return (self.n,)
        return {CURRENT: (self.n,), **{name: (self.n,) for name in inputs}}

    def _dtype(self):
        return jnp.result_type(float)

    def init_state(self, key=None):
        state = self._init_own(self._dtype())
        return _replace(state, parts=tuple(p.init(self, self.n, self._dtype()) for p in self.all_parts))

    def vector_field(self, t, state, drive):
        inputs = drive if isinstance(drive, dict) else {CURRENT: drive}
        I_ext = inputs.get(CURRENT, 0.0)
        volts = self._volts(state)
        currents = {v: 0.0 for v in self.voltages}
        currents[self.voltages[0]] = self.I_e + I_ext
        direct = {}
        dparts = []
        for part, ps in zip(self.all_parts, state.parts):
            x = inputs.get(part.name) if part.takes_input else None
            dparts.append(part.derivative(self, ps, volts, x))
            c = part.current(self, ps, volts)
            if c is not None:
                currents[part.target] = currents[part.target] + c
            rate = getattr(part, "voltage_rate", None)
            if rate is not None and rate(x) is not None:  # delta synapses: mV/ms straight into the target
                direct[part.target] = direct.get(part.target, 0.0) + rate(x)
        d = self._field(t, state, currents)
        for target, r in direct.items():
            d = self._add_voltage(d, target, r)
        return _replace(d, parts=tuple(dparts))

    def _noisy(self):
        return any(p.diffusion(self) is not None for p in self.all_parts)

    def diffusion(self, t, state, drive):
        if not self._noisy():
            return None
        variance = {}
        for part in self.all_parts:
            sigma = part.diffusion(self)
            if sigma is not None:
                variance[part.target] = variance.get(part.target, 0.0) + jnp.square(sigma)
        g = jax.tree.map(lambda _: None, state)
        for target, var in variance.items():
            g = self._set_voltage(g, target, jnp.broadcast_to(jnp.sqrt(var), (self.n,)).astype(self._dtype()))
        return g

    def fire(self, state, t, dt):
        state, spiked = self._fire(state, dt)
        parts = tuple(p.on_spike(self, ps, spiked) for p, ps in zip(self.all_parts, state.parts))
        return _replace(state, parts=parts), spiked

    def time_constants(self):
        taus = dict(self._own_time_constants())
        for p in self.all_parts:
            taus.update(p.time_constants())
        return taus

    def _own_time_constants(self) -> dict:
        return {}

    def read(self, state, name: str):
        if name in variables(state) and name != "parts":
            return getattr(state, name)
        for part, ps in zip(self.all_parts, state.parts):
            if part.name == name or (part.receives_spikes and name == f"g_{part.name}"):  # "g_exc": the channel "exc"
                return part.observe(ps)
        own = list(getattr(state, "vars", {})) + [v for v in variables(state) if v not in ("parts", "vars")]
        options = own + [p.name for p in self.all_parts]
        raise ValueError(
            f"record: unknown variable {name!r} for {type(self).__name__}{suggest(name, options)}; expected one of {', '.join(options)}"
        )

    # -- spikes from other neurons (the population contract of networks) ----------
    @property
    def synapse_targets(self) -> tuple[str, ...]:
        """Names of the synaptic parts: the channels a projection can target."""
        return tuple(p.name for p in self.all_parts if p.receives_spikes)

    def receive(self, state, target, add_events=None):
        """Deliver presynaptic spikes into synaptic channels.

        ``receive(state, {name: w})`` adds the summed weights ``w`` (shape ``(n,)``; pA for
        current synapses, nS for conductance synapses, mV for delta synapses) arriving at
        each neuron now; with a single synaptic part an array may be given directly.

        ``receive(state, name, add_events)`` is the networks' form: the jump variable of
        channel ``name`` (the target voltage for a ``Delta`` channel) becomes
        ``add_events(jump_variable)``; the propagation kernel adds the events in place.

        Returns the new state; call it between two steps (before the continuous update).
        """
        receivers = [p for p in self.all_parts if p.receives_spikes]
        if add_events is not None:
            for i, part in enumerate(self.all_parts):
                if part.receives_spikes and part.name == target:
                    if part.jumps_voltage:
                        return self._set_voltage(state, part.target, add_events(self._volts(state)[part.target]))
                    parts = list(state.parts)
                    parts[i] = part.kernel.with_jump_variable(parts[i], add_events(part.kernel.jump_variable(parts[i])))
                    return _replace(state, parts=tuple(parts))
            known = ", ".join(p.name for p in receivers) or "none"
            raise ValueError(f"target: unknown synapse {target!r} of {type(self).__name__}; expected one of {known}")
        weights = target
        if not isinstance(weights, dict):
            if len(receivers) != 1:
                raise ValueError(
                    f"weights must be a dict synapse name -> weights for {type(self).__name__} with "
                    f"{len(receivers)} synaptic parts, got {type(weights).__name__}"
                )
            weights = {receivers[0].name: weights}
        known = {p.name for p in receivers}
        unknown = sorted(set(weights) - known)
        if unknown:
            raise ValueError(f"weights: unknown synapse {unknown[0]!r}; expected one of {', '.join(sorted(known)) or 'none'}")
        for part in receivers:
            if part.name in weights:
                state = self.receive(state, part.name, lambda x, w=weights[part.name]: x + w)
        return state
