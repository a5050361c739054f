"""User-defined spiking neurons: a vector field, a threshold condition and a reset."""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_nonnegative, param
from ..engine._solvers import AbstractSolver, Euler
from ._base import SpikingNeuron


class CustomState(eqx.Module):
    vars: dict  #: the user's variables, name -> (n,) array
    refractory: jax.Array
    parts: tuple = ()


class Custom(SpikingNeuron):
    r"""A spiking neuron defined by three functions on a dict of named variables.

    - ``vector_field(t, v, I) -> dict``: time derivatives (``I`` the total current, pA,
      into the voltage variable ``voltage``: bias + inputs + attached parts);
    - ``threshold(v) -> bool array``: which neurons spike after a step;
    - ``reset(v) -> dict``: the variables after a spike (applied where a neuron spiked).

    ``init`` gives each variable's initial value (scalar or ``(n,)``). During ``t_ref``
    after a spike the threshold is ignored (a dead time); ``voltage`` names the variable
    that parts (adaptation, noise, synapses) act on, with capacitance ``C_m``.

    Example (a leaky integrate-and-fire neuron in five lines)::

        lif = nd.neurons.Custom(
            n=10, init={"V": -70.0},
            vector_field=lambda t, v, I: {"V": (-70.0 - v["V"]) / 10.0 + I / 250.0},
            threshold=lambda v: v["V"] >= -55.0,
            reset=lambda v: {"V": jnp.full_like(v["V"], -70.0)}, voltage="V", I_e=400.0)
        nd.simulate(lif, 100.0, 0.1).rates()
    """

    init: tuple = eqx.field(static=True, default=())  # ((name, initial value), ...)
    vector_field_fn: Callable = eqx.field(static=True, default=None)
    threshold: Callable = eqx.field(static=True, default=None)
    reset: Callable = eqx.field(static=True, default=None)
    voltage: str = eqx.field(static=True, default="V")
    C_m: jax.Array = param(1.0, unit="pF", doc="capacitance of the voltage variable (current -> dV/dt)")
    t_ref: jax.Array = param(0.0, unit="ms", doc="dead time after a spike")
    solver_: AbstractSolver = eqx.field(static=True, default=Euler())
    taus: tuple = eqx.field(static=True, default=())

    def __init__(self, n, init, vector_field, threshold, reset, *, voltage=None, parts=(), I_e=0.0, C_m=1.0,
                 t_ref=0.0, solver=None, taus=None):
        self.n = n
        self.init = tuple((str(k), float(v) if jnp.ndim(v) == 0 else tuple(map(float, v))) for k, v in dict(init).items())
        self.vector_field_fn = vector_field
        self.threshold = threshold
        self.reset = reset
        self.voltage = voltage if voltage is not None else (self.init[0][0] if self.init else "V")
        self.parts = tuple(parts)
        self.I_e = I_e
        self.C_m = C_m
        self.t_ref = t_ref
        self.solver_ = Euler() if solver is None else solver
        self.taus = tuple(dict(taus or {}).items())

    def __check_init__(self):
        for name in ("vector_field", "threshold", "reset"):
            fn = getattr(self, "vector_field_fn" if name == "vector_field" else name)
            if not callable(fn):
                raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
        if not self.init:
            raise ValueError("init must name at least one variable with its initial value, got {}")
        names = [k for k, _ in self.init]
        if self.voltage not in names:
            raise ValueError(f"voltage must be one of the variables {', '.join(names)}, got {self.voltage!r}")
        check_nonnegative("t_ref", self.t_ref, "ms")

    @property
    def voltages(self):
        return (self.voltage,)

    @property
    def solver(self):
        return self.solver_

    def _volts(self, state):
        return {self.voltage: state.vars[self.voltage]}

    def _set_voltage(self, state, target, value):
        return CustomState({**state.vars, target: value}, state.refractory, state.parts)

    def replace(self, **changes) -> "Custom":
        """A copy with some arguments of the constructor changed (validated again)."""
        kwargs = dict(n=self.n, init=dict(self.init), vector_field=self.vector_field_fn, threshold=self.threshold,
                      reset=self.reset, voltage=self.voltage, parts=self.parts, I_e=self.I_e, C_m=self.C_m,
                      t_ref=self.t_ref, solver=self.solver_, taus=dict(self.taus))
        unknown = [k for k in changes if k not in kwargs]
        if unknown:
            raise TypeError(f"Custom has no parameter {unknown[0]!r}; expected one of {', '.join(kwargs)}")
        kwargs.update(changes)
        return Custom(**kwargs)

    def read(self, state, name: str):
        if name in state.vars:
            return state.vars[name]
        return super().read(state, name)

    def _own_time_constants(self):
        return dict(self.taus)

    def _init_own(self, dtype):
        vars_ = {k: jnp.broadcast_to(jnp.asarray(v, dtype), (self.n,)) for k, v in self.init}
        return CustomState(vars_, jnp.zeros((self.n,), jnp.int32))

    def _field(self, t, s, I):
        d = self.vector_field_fn(t, s.vars, I[self.voltage])
        missing = set(s.vars) - set(d)
        if missing:
            raise ValueError(f"vector_field must return a derivative for every variable; missing {sorted(missing)[0]!r}")
        return CustomState({k: jnp.asarray(d[k]) for k in s.vars}, s.refractory, s.parts)

    def _fire(self, s, dt):
        live = s.refractory == 0
        spiked = jnp.asarray(self.threshold(s.vars), bool) & live
        after = self.reset(s.vars)
        vars_ = {k: jnp.where(spiked, after[k], v) if k in after else v for k, v in s.vars.items()}
        n_ref = jnp.round(self.t_ref / dt).astype(jnp.int32)
        ref = jnp.where(spiked, n_ref, jnp.maximum(s.refractory - 1, 0))
        return CustomState(vars_, ref, s.parts), spiked
