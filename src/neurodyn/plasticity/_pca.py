"""Hebbian rules that find principal components: Oja's and Sanger's."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import param
from ._rule import AbstractRateRule


class Oja(AbstractRateRule):
    r"""Oja's rule (Oja 1982, J Math Biol 15:267): Hebbian growth normalised by the output,
    :math:`\dot w_{ij} = \eta\, y_i\,(x_j - y_i w_{ij})`.

    For a linear neuron :math:`y = w\cdot x` on zero-mean inputs, ``w`` converges to the
    unit-norm leading eigenvector of the input covariance (up to sign). Each row of ``W``
    (post × pre) learns on its own, so several outputs all find the same component: use
    :class:`Sanger` for more. Elementwise, so it also runs on a rate network's ``W``.

    Example::

        X = jax.random.normal(jax.random.key(0), (2000, 2)) * jnp.array([2.0, 0.5])  # samples
        out = nd.learning.run_rule(nd.plasticity.Oja(eta=0.01), X, jnp.array([[0.3, 0.3]]), epochs=2)
        out.W  # close to ±[[1, 0]]
    """

    eta: jax.Array = param(1e-2, unit="1/ms", doc="learning rate (> 0; per sample in run_rule)")
    steps: int = param(1, unit="", doc="update every this many steps", static=True)

    def __check_init__(self):
        self.check_common()

    def on_step(self, w, pre, post, dt):
        return w + dt * self.eta * post * (pre - post * w)


class Sanger(AbstractRateRule):
    r"""Sanger's generalised Hebbian algorithm (Sanger 1989, Neural Networks 2:459):
    :math:`\dot W = \eta\,\big(y x^\top - \mathrm{LT}(y y^\top)\,W\big)`, LT the lower
    triangle with the diagonal.

    For a linear layer :math:`y = W x` (``W`` is k × n) on zero-mean inputs the rows
    converge to the k leading eigenvectors of the input covariance, in order, orthonormal.
    Row i is Oja's rule on the input with the projections on rows ``< i`` removed. The
    update needs the whole ``W`` (it is not elementwise over synapses), so it runs on dense
    weights only (rate networks, :class:`neurodyn.learning.FeedForward`, ``run_rule``).

    Example::

        X = jax.random.normal(jax.random.key(0), (3000, 3)) * jnp.array([3.0, 2.0, 0.5])
        out = nd.learning.run_rule(nd.plasticity.Sanger(eta=0.005), X, 0.1 * jnp.eye(2, 3), epochs=2)
        out.W  # close to ±[[1, 0, 0], [0, 1, 0]]
    """

    eta: jax.Array = param(1e-2, unit="1/ms", doc="learning rate (> 0; per sample in run_rule)")
    steps: int = param(1, unit="", doc="update every this many steps", static=True)

    def __check_init__(self):
        self.check_common()

    def on_step_dense(self, W, pre, post, dt):
        return W + dt * self.eta * (jnp.outer(post, pre) - jnp.tril(jnp.outer(post, post)) @ W)
