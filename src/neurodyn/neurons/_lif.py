"""Leaky integrate-and-fire neurons."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import as_int, check_less, check_nonnegative, check_parameters, check_positive, param
from ..engine._model import AbstractDynamics
from ..engine._solvers import ExponentialEuler


class LIFState(eqx.Module):
    V_m: jax.Array  #: membrane potential, mV
    refractory: jax.Array  #: remaining refractory steps (int32)


def refractory_reset(V, refractory, V_th, V_reset, t_ref, dt):
    """Threshold, reset and absolute refractoriness on a membrane potential.

    Neurons still refractory are held at ``V_reset`` (their integration is undone);
    a neuron that reaches ``V_th`` spikes, is reset, and stays clamped for
    ``round(t_ref / dt)`` steps, so integration resumes exactly ``t_ref`` after the spike.
    """
    clamped = refractory > 0
    V = jnp.where(clamped, V_reset, V)
    spiked = (V >= V_th) & ~clamped
    V = jnp.where(spiked, V_reset, V)
    n_ref = jnp.round(t_ref / dt).astype(jnp.int32)
    refractory = jnp.where(spiked, n_ref, jnp.maximum(refractory - 1, 0))
    return V, refractory, spiked


class LIF(AbstractDynamics):
    r"""A population of ``n`` leaky integrate-and-fire neurons.

    .. math::
        C_m \frac{dV_m}{dt} = -\frac{C_m}{\tau_m}(V_m - E_L) + I_e + I(t)

    When :math:`V_m \ge V_{th}` the neuron spikes, :math:`V_m` is reset to
    :math:`V_{reset}` and held there for :math:`t_{ref}`. Between spikes the membrane
    equation is integrated exactly (exponential Euler with the input held over a step).
    Every parameter is a scalar or a per-neuron array of shape ``(n,)``; defaults are
    NEST's ``iaf_psc_delta``.

    Example::

        lif = nd.neurons.LIF(n=100, I_e=376.0)
        res = nd.simulate(lif, duration=1000.0, dt=0.1)
        res.rates().mean()
    """

    n: int = param(unit="", doc="number of neurons", static=True, converter=as_int)
    tau_m: jax.Array = param(10.0, unit="ms", doc="membrane time constant")
    C_m: jax.Array = param(250.0, unit="pF", doc="membrane capacitance")
    E_L: jax.Array = param(-70.0, unit="mV", doc="resting (leak reversal) potential")
    V_th: jax.Array = param(-55.0, unit="mV", doc="spike threshold")
    V_reset: jax.Array = param(-70.0, unit="mV", doc="reset potential")
    t_ref: jax.Array = param(2.0, unit="ms", doc="absolute refractory period")
    I_e: jax.Array = param(0.0, unit="pA", doc="constant bias current")
    V_init: jax.Array | None = param(None, unit="mV", doc="initial membrane potential (default E_L)")

    default_solver = ExponentialEuler()

    def __check_init__(self):
        check_parameters(self, self.n)
        check_positive("tau_m", self.tau_m, "ms")
        check_positive("C_m", self.C_m, "pF")
        check_nonnegative("t_ref", self.t_ref, "ms")
        check_less("V_reset", self.V_reset, "V_th", self.V_th, "mV")

    @property
    def input_shape(self):
        return (self.n,)

    @property
    def rheobase(self):
        """Smallest constant current (pA) that makes the neuron fire: ``C_m (V_th - E_L) / tau_m``."""
        return self.C_m * (self.V_th - self.E_L) / self.tau_m

    def time_constants(self):
        return {"tau_m": self.tau_m}

    def init_state(self, key=None):
        V0 = self.E_L if self.V_init is None else self.V_init
        return LIFState(
            V_m=jnp.broadcast_to(jnp.asarray(V0, dtype=jnp.result_type(float)), (self.n,)),
            refractory=jnp.zeros((self.n,), jnp.int32),
        )

    def vector_field(self, t, state, drive):
        dV = (self.E_L - state.V_m) / self.tau_m + (self.I_e + drive) / self.C_m
        return LIFState(V_m=dV, refractory=state.refractory)

    def fire(self, state, t, dt):
        V, refractory, spiked = refractory_reset(state.V_m, state.refractory, self.V_th, self.V_reset, self.t_ref, dt)
        return LIFState(V, refractory), spiked
