"""Izhikevich (2003) neurons with the named cortical and thalamic presets."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_choice, check_less, check_nonnegative, param
from ._base import SpikingNeuron
from ..engine._surrogate import AbstractSurrogate, SuperSpike
from ._if import check_surrogate, refractory_reset


class IzhikevichState(eqx.Module):
    V_m: jax.Array  #: membrane potential, mV
    U: jax.Array  #: recovery variable, mV/ms (pA at the model's implied 1 pF)
    refractory: jax.Array
    parts: tuple = ()


#: Izhikevich (2003) IEEE Trans Neural Netw 14:1569, Fig. 2, and Izhikevich (2004) IEEE Trans
#: Neural Netw 15:1063: (a, b, c, d) of the named cell classes, a step current I that shows
#: the class, the holding current before the step, and the firing pattern (in the
#: vocabulary of Naud et al. 2008) that the step response shows.
IZHIKEVICH_PRESETS = {
    "RS": dict(a=0.02, b=0.2, c=-65.0, d=8.0, I=10.0, hold=0.0, pattern="adapting"),  # regular spiking
    "IB": dict(a=0.02, b=0.2, c=-55.0, d=4.0, I=10.0, hold=0.0, pattern="initial_burst"),  # intrinsically bursting
    "CH": dict(a=0.02, b=0.2, c=-50.0, d=2.0, I=10.0, hold=0.0, pattern="bursting"),  # chattering
    "FS": dict(a=0.1, b=0.2, c=-65.0, d=2.0, I=5.0, hold=0.0, pattern="tonic"),  # fast spiking
    "LTS": dict(a=0.02, b=0.25, c=-65.0, d=2.0, I=10.0, hold=0.0, pattern="adapting"),  # low-threshold spiking
    "TC": dict(a=0.02, b=0.25, c=-65.0, d=0.05, I=10.0, hold=0.0, pattern="tonic"),  # thalamo-cortical
    "RZ": dict(a=0.1, b=0.26, c=-65.0, d=2.0, I=10.0, hold=0.0, pattern="tonic"),  # resonator
}


class Izhikevich(SpikingNeuron):
    r"""Izhikevich (2003) simple-model neurons.

    .. math::
        \dot V = 0.04 V^2 + 5 V + 140 - U + I_e + I(t), \qquad \dot U = a (b V - U),

    at :math:`V \ge V_{peak}`: spike, :math:`V \to c`, :math:`U \to U + d`. As in NEST's
    ``izhikevich``, V is in mV, t in ms and the current enters directly in mV/ms (an
    implied capacitance of 1 pF, so "pA" means mV/ms). Forward Euler by default.

    ``Izhikevich.preset(name, n)`` gives the cell classes of Izhikevich (2003, 2004):
    ``RS`` regular spiking, ``IB`` intrinsically bursting, ``CH`` chattering, ``FS`` fast
    spiking, ``LTS`` low-threshold spiking, ``TC`` thalamo-cortical (which fires a rebound
    burst after release from hyperpolarisation) and ``RZ`` resonator.

    Example::

        tc = nd.neurons.Izhikevich.preset("TC", n=1)
        rebound = nd.inputs.steps([0.0, 100.0], [-10.0, 0.0])   # hyperpolarise, then release
        res = nd.simulate(tc, 300.0, 0.1, inputs=rebound)
    """

    a: jax.Array = param(0.02, unit="1/ms", doc="recovery rate")
    b: jax.Array = param(0.2, unit="1/ms", doc="sensitivity of U to V (the model's implied 1 pF: nS)")
    c: jax.Array = param(-65.0, unit="mV", doc="reset potential")
    d: jax.Array = param(8.0, unit="mV/ms", doc="spike increment of U")
    V_peak: jax.Array = param(30.0, unit="mV", doc="spike cut-off")
    t_ref: jax.Array = param(0.0, unit="ms", doc="absolute refractory period (V held at c)")
    V_init: jax.Array | None = param(None, unit="mV", doc="initial V (default: the resting potential, or c if there is none)")
    U_init: jax.Array | None = param(None, unit="mV/ms", doc="initial U (default: b * V_init)")

    presets = IZHIKEVICH_PRESETS
    surrogate: AbstractSurrogate | None = eqx.field(default=SuperSpike())

    def __check_init__(self):
        check_surrogate(self.surrogate)
        check_less("c", self.c, "V_peak", self.V_peak, "mV")
        check_nonnegative("a", self.a, "1/ms")
        check_nonnegative("t_ref", self.t_ref, "ms")

    @classmethod
    def preset(cls, name: str, n: int = 1, **changes) -> "Izhikevich":
        """The Izhikevich (2003) cell class ``name`` (RS, IB, CH, FS, LTS, TC, RZ), ``n`` neurons."""
        check_choice("preset", name, list(IZHIKEVICH_PRESETS))
        p = {k: IZHIKEVICH_PRESETS[name][k] for k in "abcd"}
        p.update(changes)
        return cls(n=n, **p)

    @staticmethod
    def preset_current(name: str) -> float:
        check_choice("preset", name, list(IZHIKEVICH_PRESETS))
        return IZHIKEVICH_PRESETS[name]["I"]

    def capacitance(self, target):
        return 1.0

    def _own_time_constants(self):
        return {"1/a": 1.0 / jnp.asarray(self.a, dtype=float)}  # a = 0 (no recovery): infinite

    def _init_own(self, dtype):
        if self.V_init is None:  # rest: smaller root of 0.04 V^2 + (5 - b) V + 140 = 0
            disc = (5.0 - self.b) ** 2 - 4 * 0.04 * 140.0
            V0 = jnp.where(disc >= 0, (-(5.0 - self.b) - jnp.sqrt(jnp.maximum(disc, 0.0))) / 0.08, self.c)
        else:
            V0 = self.V_init
        V0 = jnp.broadcast_to(jnp.asarray(V0, dtype), (self.n,))
        U0 = self.b * V0 if self.U_init is None else jnp.broadcast_to(jnp.asarray(self.U_init, dtype), (self.n,))
        return IzhikevichState(V0, jnp.asarray(U0, dtype), jnp.zeros((self.n,), jnp.int32))

    def _field(self, t, s, I):
        V = s.V_m
        dV = 0.04 * V * V + 5.0 * V + 140.0 - s.U + I["V_m"]
        return IzhikevichState(dV, self.a * (self.b * V - s.U), s.refractory, s.parts)

    def _fire(self, s, dt):
        V, ref, spiked = refractory_reset(s.V_m, s.refractory, self.V_peak, self.c, self.t_ref, dt, self.surrogate)
        return IzhikevichState(V, jnp.where(spiked, s.U + self.d, s.U), ref, s.parts), spiked
