r"""Short-term plasticity: the Tsodyks–Markram model of facilitation and depression.

Per presynaptic neuron, a utilisation :math:`u` and the fraction of available resources
:math:`x` evolve as (Tsodyks, Pawelzik & Markram 1998; Markram, Wang & Tsodyks 1998)

.. math::
    \frac{du}{dt} = -\frac{u}{\tau_F}, \qquad \frac{dx}{dt} = \frac{1 - x}{\tau_D},

and at a presynaptic spike first :math:`u \to u + U (1 - u)`, then the spike releases
:math:`r = u\,x` (the efficacy that multiplies the synaptic weight) and
:math:`x \to x - u\,x`. For a regular train with interval :math:`\Delta` this gives the
recursion :math:`u_{k+1} = U + u_k (1-U) e^{-\Delta/\tau_F}`,
:math:`x_{k+1} = 1 + (x_k - u_k x_k - 1) e^{-\Delta/\tau_D}`.

Between spikes the decay is applied exactly, so the result does not depend on ``dt``
beyond the spike times falling on the grid.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import Documented, check_positive, param


class STPState(eqx.Module):
    u: jax.Array  #: utilisation (after the last spike's increment, decaying to 0)
    x: jax.Array  #: available resources


class TsodyksMarkram(Documented):
    """Tsodyks–Markram short-term plasticity of ``n`` presynaptic neurons.

    A depressing synapse has small ``tau_F`` and large ``tau_D``; a facilitating one the
    opposite with a small ``U``. Use it on the presynaptic side of a projection: each
    step, ``state, r = stp.step(state, spiked, dt)`` and scale the delivered weights by
    ``r`` (zero where there was no spike).

    Example::

        stp = nd.synapses.TsodyksMarkram(n=1, U=0.5, tau_F=20.0, tau_D=500.0)
        s = stp.init_state()
        s, r = stp.step(s, jnp.array([True]), dt=0.1)   # r = U for the first spike
    """

    n: int = param(unit="", doc="number of presynaptic neurons", static=True)
    U: jax.Array = param(0.5, unit="", doc="utilisation increment (0 < U <= 1)")
    tau_F: jax.Array = param(20.0, unit="ms", doc="facilitation time constant")
    tau_D: jax.Array = param(200.0, unit="ms", doc="recovery (depression) time constant")

    def __check_init__(self):
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a positive integer, got {self.n!r}")
        check_positive("U", self.U)
        check_positive("tau_F", self.tau_F, "ms")
        check_positive("tau_D", self.tau_D, "ms")
        try:
            too_big = bool(jnp.any(jnp.asarray(self.U) > 1))
        except jax.errors.ConcretizationTypeError:
            too_big = False
        if too_big:
            raise ValueError(f"U must be <= 1, got {self.U!r}")

    def init_state(self, key=None):
        dtype = jnp.result_type(float)
        return STPState(u=jnp.zeros((self.n,), dtype), x=jnp.ones((self.n,), dtype))

    def step(self, state: STPState, spiked, dt):
        """Decay over ``dt``, then apply this step's spikes. Returns (state, efficacy r)."""
        u = state.u * jnp.exp(-dt / self.tau_F)
        x = 1.0 + (state.x - 1.0) * jnp.exp(-dt / self.tau_D)
        u_spk = u + self.U * (1.0 - u)
        r = jnp.where(spiked, u_spk * x, 0.0)
        return STPState(jnp.where(spiked, u_spk, u), x - r), r

    def time_constants(self):
        return {"tau_F": self.tau_F, "tau_D": self.tau_D}
