"""Rate-based Hebbian learning with decay."""

from __future__ import annotations

import jax

from .._params import check_less, check_nonnegative, param
from ._rule import AbstractRule, check_every


class Hebbian(AbstractRule):
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
        check_nonnegative("eta", self.eta, "1/ms")
        check_nonnegative("decay", self.decay)
        if self.w_min is not None and self.w_max is not None:
            check_less("w_min", self.w_min, "w_max", self.w_max)
        check_every(self.steps)

    @property
    def every(self):
        return self.steps

    @property
    def bounds(self):
        return (self.w_min, self.w_max)

    def on_step(self, w, pre, post, dt):
        return w + dt * self.eta * (post * pre - self.decay * w)
