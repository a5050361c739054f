"""Anti-Hebbian decorrelation of lateral weights (Földiák 1990)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_nonnegative, param
from ._rule import AbstractRateRule


class AntiHebbian(AbstractRateRule):
    r"""Földiák's anti-Hebbian rule for lateral weights (Földiák 1990, Biol Cybern 64:165,
    eq. 4): :math:`\dot w_{ij} = -\eta\,(y_i y_j - p^2)` for :math:`i \ne j`; the diagonal
    (self-connections) is left unchanged.

    On the recurrent weights of a rate network :math:`\tau\dot y = -y + F(x + W y)` it
    drives the output correlations :math:`\langle y_i y_j\rangle` to :math:`p^2`: with
    ``p = 0`` and zero-mean inputs, it decorrelates correlated inputs. Only the lateral
    part of Földiák's network (no feed-forward Hebbian weights, no adaptive thresholds).
    ``W`` must be square (pre = post), so it runs on dense weights only.

    Example::

        net = nd.rate.RateNetwork(jnp.zeros((3, 3)), tau=1.0, F=nd.rate.Linear(),
                                  plasticity=nd.plasticity.AntiHebbian(eta=1e-3))
    """

    eta: jax.Array = param(1e-3, unit="1/ms", doc="learning rate (> 0)")
    p: jax.Array = param(0.0, unit="Hz", doc="target rate: <y_i y_j> -> p^2 (>= 0)")
    steps: int = param(1, unit="", doc="update every this many steps", static=True)

    def __check_init__(self):
        self.check_common()
        check_nonnegative("p", self.p, "Hz")

    def on_step_dense(self, W, pre, post, dt):
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"AntiHebbian acts on square lateral weights (pre = post), got W of shape {W.shape}")
        off = 1.0 - jnp.eye(W.shape[0], dtype=W.dtype)
        return W - dt * self.eta * (jnp.outer(post, pre) - self.p**2) * off
