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

``MultiplicativeSTDP`` scales both by the weight's distance to its bounds (Gütig et al. 2003).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_finite, check_nonnegative, check_positive, param
from ._rule import AbstractRule, check_bounds


class AbstractPairSTDP(AbstractRule):
    """Pair STDP with one trace per side: what the additive and weight-dependent rules share."""

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
        check_bounds(self)

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

    def _pair(self, lag):
        lag = jnp.asarray(lag)
        return jnp.where(lag >= 0, self.A_pre * jnp.exp(-lag / self.tau_pre), self.A_post * jnp.exp(lag / self.tau_post))

    def time_constants(self):
        return {"tau_pre": self.tau_pre, "tau_post": self.tau_post}


class STDP(AbstractPairSTDP):
    """Additive pair-based STDP with traces; attach to a projection.

    ``A_pre > 0`` potentiates pre-before-post pairs, ``A_post < 0`` depresses
    post-before-pre pairs (in the projection's weight unit: nS, pA or mV).

    Example::

        stdp = nd.plasticity.STDP(tau_pre=20.0, tau_post=20.0, A_pre=0.01, A_post=-0.0105, w_max=1.0)
        nd.Projection("In", "E", nd.connectivity.all_to_all(), weight=0.5, target="exc", plasticity=stdp)
    """

    def on_pre(self, w, pre, post):
        return w + post

    def on_post(self, w, pre, post):
        return w + pre

    def window(self, lag):
        """The weight change of one pre/post pair against ``lag = t_post - t_pre`` (ms); spikes
        in one step count as pre before post."""
        return self._pair(lag)


class MultiplicativeSTDP(AbstractPairSTDP):
    r"""Weight-dependent (multiplicative) pair STDP with traces; attach to a projection.

    Gütig, Aharonov, Rotter & Sompolinsky 2003 (J Neurosci 23:3697, eq. 2): ``mu = 1`` is
    multiplicative with soft bounds on both sides (depression as van Rossum, Bi &
    Turrigiano 2000), ``mu = 0`` is additive ``STDP``.

    With :math:`x = (w - w_{min})/(w_{max} - w_{min})`, a postsynaptic spike changes each
    synapse into it by :math:`a_{pre}\,(1 - x)^{\mu}` and a presynaptic spike by
    :math:`a_{post}\, x^{\mu}` (traces as in ``STDP``), so one pair gives

    .. math::
        \Delta w = A_{pre} e^{-\Delta t/	au_{pre}} (1 - x)^{\mu} \; (\Delta t \ge 0), \qquad
        \Delta w = A_{post} e^{\Delta t/	au_{post}} x^{\mu} \; (\Delta t < 0).

    Both bounds are required; weights are also clipped to them.

    Example::

        rule = nd.plasticity.MultiplicativeSTDP(A_pre=0.01, A_post=-0.0105, mu=0.5, w_max=1.0)
    """

    mu: jax.Array = param(1.0, unit="", doc="exponent of the weight dependence (0: additive, 1: multiplicative)")

    def __check_init__(self):
        check_nonnegative("mu", self.mu)
        if self.w_min is None or self.w_max is None:
            raise ValueError(f"w_min and w_max must both be given (the rule scales by the distance to them), "
                             f"got w_min = {self.w_min!r}, w_max = {self.w_max!r}")

    def _x(self, w):
        return jnp.clip((w - self.w_min) / (self.w_max - self.w_min), 0.0, 1.0)

    def on_pre(self, w, pre, post):
        return w + post * self._x(w) ** self.mu

    def on_post(self, w, pre, post):
        return w + pre * (1.0 - self._x(w)) ** self.mu

    def window(self, lag, w):
        """The weight change of one pre/post pair from weight ``w`` against ``lag = t_post - t_pre`` (ms)."""
        x = self._x(jnp.asarray(w))
        return self._pair(lag) * jnp.where(jnp.asarray(lag) >= 0, (1.0 - x) ** self.mu, x ** self.mu)
