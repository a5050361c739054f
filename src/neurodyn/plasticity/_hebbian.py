"""Rate-based Hebbian learning with decay; the covariance rule."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_nonnegative, check_positive, param
from ._rule import AbstractRateRule


class Hebbian(AbstractRateRule):
    r"""Hebbian learning with decay for rate networks (or any rule on rates):
    :math:`\dot w = \eta\,(r_{post}\, r_{pre} - \lambda\, w)`, applied every ``every`` steps
    (explicit Euler over ``every · dt``), clipped to ``[w_min, w_max]``.

    For constant rates the weight relaxes exponentially to :math:`r_{post} r_{pre}/\lambda`
    with rate :math:`\eta\lambda`.

    Example::

        rule = nd.plasticity.Hebbian(eta=1e-3, decay=0.1)
        W = 0.1 * jnp.ones((3, 3))
        net = nd.rate.RateNetwork(W, tau=10.0, F=nd.rate.ReLU(), h=1.0, plasticity=rule)
        res = nd.simulate(net, 100.0, 0.1, record=["W"], record_every=100)
    """

    eta: jax.Array = param(1e-3, unit="1/ms", doc="learning rate (per ms, per unit of rate product)")
    decay: jax.Array = param(0.0, unit="", doc="weight decay lambda (>= 0)")
    w_min: jax.Array | None = param(None, unit="weight", doc="lower weight bound (None: unbounded)")
    w_max: jax.Array | None = param(None, unit="weight", doc="upper weight bound (None: unbounded)")
    steps: int = param(1, unit="", doc="update every this many steps", static=True)

    def __check_init__(self):
        self.check_common()
        check_nonnegative("decay", self.decay)

    def on_step(self, w, pre, post, dt):
        return w + dt * self.eta * (post * pre - self.decay * w)


def _running_mean(m, r, dt, tau):
    """Exponential running mean over ``tau`` after a step ``dt`` with value ``r`` (exact for
    ``r`` held over the step); returns the new mean and ``r`` minus the old one."""
    return m - jnp.expm1(-dt / tau) * (r - m), r - m


class Covariance(AbstractRateRule):
    r"""The covariance rule (Sejnowski 1977; Dayan & Abbott 2001, eq. 8.5):
    :math:`\dot w = \eta\,(r_{post} - \langle r_{post}\rangle)(r_{pre} - \langle r_{pre}\rangle) - \eta\lambda w`,
    the averages :math:`\langle r\rangle` running means over ``tau_mean``
    (:math:`\tau\,\dot m = r - m`, per neuron, starting at 0, carried in the state).

    The deviations are taken from the means before the current step. For a linear neuron
    :math:`y = w\cdot x` with the means at their true values, the expected change is
    :math:`\eta\,C w` (C the input covariance). Online on a rate network's ``W`` or a
    :class:`neurodyn.learning.FeedForward`, or on data with :func:`neurodyn.learning.run_rule`.

    Example::

        rule = nd.plasticity.Covariance(eta=1e-3, tau_mean=100.0)
    """

    eta: jax.Array = param(1e-3, unit="1/ms", doc="learning rate (> 0)")
    tau_mean: jax.Array = param(100.0, unit="ms", doc="time constant of the running means")
    decay: jax.Array = param(0.0, unit="", doc="weight decay lambda (>= 0)")
    w_min: jax.Array | None = param(None, unit="weight", doc="lower weight bound (None: unbounded)")
    w_max: jax.Array | None = param(None, unit="weight", doc="upper weight bound (None: unbounded)")
    steps: int = param(1, unit="", doc="update every this many steps", static=True)

    def __check_init__(self):
        self.check_common()
        check_positive("tau_mean", self.tau_mean, "ms")
        check_nonnegative("decay", self.decay)

    def time_constants(self):
        return {"tau_mean": self.tau_mean}

    def init_pre(self, n, dtype):
        return jnp.zeros((n,), dtype)

    init_post = init_pre

    def rates_pre(self, m, r, dt):
        return _running_mean(m, r, dt, self.tau_mean)

    rates_post = rates_pre

    def on_step(self, w, pre, post, dt):
        return w + dt * self.eta * (post * pre - self.decay * w)
