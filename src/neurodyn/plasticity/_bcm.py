"""The BCM rule with a sliding threshold."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_nonnegative, check_positive, param
from ._hebbian import _running_mean
from ._rule import AbstractRateRule


class BCM(AbstractRateRule):
    r"""Bienenstock–Cooper–Munro learning with a sliding threshold (Bienenstock, Cooper &
    Munro 1982, J Neurosci 2:32; the form of Intrator & Cooper 1992 and Dayan & Abbott 2001,
    eqs. 8.11–8.12):

    .. math:: \dot w = \eta\, y\,(y - \theta)\, x,\qquad \tau_\theta\,\dot\theta = y^2/y_0 - \theta

    ``θ`` is one threshold per postsynaptic neuron, carried in the state (``rule_vars.post``
    of a rate network's or ``FeedForward``'s state), updated exactly for ``y`` held over a
    step, then used in that step's weight change. ``θ`` follows :math:`\langle y^2\rangle/y_0`;
    with two equiprobable patterns a linear neuron ends responding to one of them with
    :math:`y = 2 y_0` (where :math:`\theta = y^2/(2 y_0) = y`) and 0 to the other: selectivity.

    Example::

        rule = nd.plasticity.BCM(eta=1e-3, tau_theta=10.0, y0=1.0)
    """

    eta: jax.Array = param(1e-3, unit="1/ms", doc="learning rate (> 0; per sample in run_rule)")
    tau_theta: jax.Array = param(10.0, unit="ms", doc="time constant of the sliding threshold")
    y0: jax.Array = param(1.0, unit="Hz", doc="rate scale of the threshold (theta -> <y^2>/y0)")
    theta0: jax.Array = param(0.0, unit="Hz", doc="initial threshold (>= 0)")
    w_min: jax.Array | None = param(None, unit="weight", doc="lower weight bound (None: unbounded)")
    w_max: jax.Array | None = param(None, unit="weight", doc="upper weight bound (None: unbounded)")
    steps: int = param(1, unit="", doc="update every this many steps", static=True)

    def __check_init__(self):
        self.check_common()
        check_positive("tau_theta", self.tau_theta, "ms")
        check_positive("y0", self.y0, "Hz")
        check_nonnegative("theta0", self.theta0, "Hz")

    def time_constants(self):
        return {"tau_theta": self.tau_theta}

    def init_post(self, n, dtype):
        return jnp.full((n,), self.theta0, dtype)

    def rates_post(self, theta, y, dt):
        theta, _ = _running_mean(theta, y * y / self.y0, dt, self.tau_theta)
        return theta, y * (y - theta)

    def on_step(self, w, pre, post, dt):
        return w + dt * self.eta * post * pre
