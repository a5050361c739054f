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

from .._params import check_positive, param
from ._rule import AbstractRule


class STPState(eqx.Module):
    u: jax.Array  #: utilisation (after the last spike's increment, decaying to 0)
    x: jax.Array  #: available resources


class TsodyksMarkram(AbstractRule):
    """Tsodyks–Markram short-term plasticity, a rule on a projection's presynaptic side.

    A depressing synapse has small ``tau_F`` and large ``tau_D``; a facilitating one the
    opposite with a small ``U``. On a projection (``Projection(..., plasticity=stp)``) each
    spike delivers its weight times its efficacy ``r = u x``; the weights themselves do not
    change. Standalone (with ``n``): ``state, r = stp.step(state, spiked, dt)``.

    Example::

        stp = nd.plasticity.TsodyksMarkram(U=0.5, tau_F=20.0, tau_D=500.0)
        nd.Projection("E", "E", nd.connectivity.fixed_probability(0.1), weight=1.0, plasticity=stp)
    """

    n: int | None = param(None, unit="", doc="number of presynaptic neurons (standalone use only)", static=True)
    U: jax.Array = param(0.5, unit="", doc="utilisation increment (0 < U <= 1)")
    tau_F: jax.Array = param(20.0, unit="ms", doc="facilitation time constant")
    tau_D: jax.Array = param(200.0, unit="ms", doc="recovery (depression) time constant")

    def __check_init__(self):
        if self.n is not None and (not isinstance(self.n, int) or self.n < 1):
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

    changes_weights = False

    def init_pre(self, n, dtype):
        return STPState(u=jnp.zeros((n,), dtype), x=jnp.ones((n,), dtype))

    def advance_pre(self, s, dt):
        u = s.u * jnp.exp(-dt / self.tau_F).astype(s.u.dtype)
        x = 1.0 + (s.x - 1.0) * jnp.exp(-dt / self.tau_D).astype(s.x.dtype)
        return STPState(u, x)

    def pre_spike(self, s, spiked):
        u_spk = s.u + self.U * (1.0 - s.u)
        r = jnp.where(spiked, u_spk * s.x, 0.0)
        return STPState(jnp.where(spiked, u_spk, s.u), s.x - r), r

    def init_state(self, key=None):
        if self.n is None:
            raise ValueError("n: TsodyksMarkram.init_state needs n (the number of presynaptic neurons); on a projection the projection gives it")
        return self.init_pre(self.n, jnp.result_type(float))

    def step(self, state: STPState, spiked, dt):
        """Decay over ``dt``, then apply this step's spikes. Returns (state, efficacy r)."""
        return self.pre_spike(self.advance_pre(state, dt), spiked)

    def time_constants(self):
        return {"tau_F": self.tau_F, "tau_D": self.tau_D}
