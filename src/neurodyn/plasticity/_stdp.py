r"""Pair-based spike-timing-dependent plasticity with traces (additive).

Each presynaptic neuron carries a trace :math:`a_{pre}` and each postsynaptic neuron a
trace :math:`a_{post}`, decaying as :math:`\tau_{pre}\,\dot a_{pre} = -a_{pre}` and
:math:`\tau_{post}\,\dot a_{post} = -a_{post}` (exactly, step by step). At a presynaptic
spike :math:`a_{pre} \mathrel{+}= A_{pre}` and every synapse of that neuron changes by
:math:`a_{post}`; at a postsynaptic spike :math:`a_{post} \mathrel{+}= A_{post}` and every
synapse into it changes by :math:`a_{pre}`; weights are clipped to
:math:`[w_{min}, w_{max}]` (Song, Miller & Abbott 2000; the all-to-all pair rule of
Morrison, Diesmann & Gerstner 2008, eq. 4). For one pair with
:math:`\Delta t = t_{post} - t_{pre}` the change is the window

.. math::
    \Delta w = A_{pre} e^{-\Delta t/\tau_{pre}} \; (\Delta t \ge 0), \qquad
    \Delta w = A_{post} e^{\Delta t/\tau_{post}} \; (\Delta t < 0).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_finite, check_less, check_nonnegative, check_positive, param
from ._rule import AbstractRule


class STDP(AbstractRule):
    """Additive pair-based STDP with traces; attach to a projection.

    ``A_pre > 0`` potentiates pre-before-post pairs, ``A_post < 0`` depresses
    post-before-pre pairs (in the projection's weight unit: nS, pA or mV).

    Example::

        stdp = nd.plasticity.STDP(tau_pre=20.0, tau_post=20.0, A_pre=0.01, A_post=-0.0105, w_max=1.0)
        nd.Projection("In", "E", nd.connectivity.all_to_all(), weight=0.5, target="exc", plasticity=stdp)
    """

    tau_pre: jax.Array = param(20.0, unit="ms", doc="decay time constant of the presynaptic trace")
    tau_post: jax.Array = param(20.0, unit="ms", doc="decay time constant of the postsynaptic trace")
    A_pre: jax.Array = param(0.01, unit="weight", doc="presynaptic trace increment (change of a pre-before-post pair at zero lag)")
    A_post: jax.Array = param(-0.0105, unit="weight", doc="postsynaptic trace increment (change of a post-before-pre pair at zero lag)")
    w_min: jax.Array | None = param(0.0, unit="weight", doc="lower weight bound (None: unbounded)")
    w_max: jax.Array | None = param(1.0, unit="weight", doc="upper weight bound (None: unbounded)")

    def __check_init__(self):
        check_positive("tau_pre", self.tau_pre, "ms")
        check_positive("tau_post", self.tau_post, "ms")
        check_finite("A_pre", self.A_pre)
        check_finite("A_post", self.A_post)
        if self.w_min is not None and self.w_max is not None:
            check_less("w_min", self.w_min, "w_max", self.w_max)

    @property
    def bounds(self):
        return (self.w_min, self.w_max)

    def init_pre(self, n, dtype):
        return jnp.zeros((n,), dtype)

    def init_post(self, n, dtype):
        return jnp.zeros((n,), dtype)

    def advance_pre(self, a, dt):
        return a * jnp.exp(-dt / self.tau_pre).astype(a.dtype)

    def advance_post(self, a, dt):
        return a * jnp.exp(-dt / self.tau_post).astype(a.dtype)

    def pre_spike(self, a, spiked):
        return jnp.where(spiked, a + self.A_pre, a), None

    def post_spike(self, a, spiked):
        return jnp.where(spiked, a + self.A_post, a)

    def on_pre(self, w, pre, post):
        return w + post

    def on_post(self, w, pre, post):
        return w + pre

    def window(self, lag):
        """The weight change of one pre/post pair against ``lag = t_post - t_pre`` (ms); spikes
        in one step count as pre before post."""
        lag = jnp.asarray(lag)
        return jnp.where(lag >= 0, self.A_pre * jnp.exp(-lag / self.tau_pre), self.A_post * jnp.exp(lag / self.tau_post))

    def time_constants(self):
        return {"tau_pre": self.tau_pre, "tau_post": self.tau_post}
