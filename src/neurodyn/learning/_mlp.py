r"""A multilayer perceptron and gradient estimators that replace backpropagation.

Every estimator computes, for each layer $l$, an estimate $\hat\delta_l$ of the loss's
derivative with respect to the layer's pre-activations $a_l = W_l h_{l-1} + b_l$, and turns
it into parameter updates the same way (``grads_from_deltas``: $\hat g_{W_l} = \sum_i
\hat\delta_{l,i} h_{l-1,i}^\top$, one vector-Jacobian product with the layer inputs held
fixed). They differ only in $\hat\delta$:

- backprop: $\delta_l = (W_{l+1}^\top \delta_{l+1}) \odot f'(a_l)$;
- feedback alignment (Lillicrap et al. 2016, Nat Commun 7:13276): a fixed random $B_{l+1}$
  in place of $W_{l+1}$;
- direct feedback alignment (Nøkland 2016, NeurIPS): $\delta_l = (D_l^\top e) \odot f'(a_l)$,
  the output error $e$ sent to every layer through a fixed random $D_l$;
- node perturbation (``_perturbation.node_perturbation``): $\hat\delta_l = \Delta L\,
  \xi_l / \sigma^2$ from the loss change under noise $\xi$ on the pre-activations.

Each estimator is called like ``jax.value_and_grad(loss)``: ``(model, batch) -> (loss,
grads)``, so ``fit(..., grad=estimator)`` trains with it.
"""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp


class MLP(eqx.Module):
    r"""$h_0 = x$, $a_l = W_l h_{l-1} + b_l$, $h_l = f(a_l)$ for hidden layers; the output is
    the last pre-activation $a_L$ (logits).

    ``sizes``: layer widths, input first (``(64, 100, 10)``). Weights are drawn
    $\mathcal N(0, 1/n_{in})$ from ``key``, biases start at 0. ``activation``: an elementwise
    function (default ReLU). Inputs may carry leading batch axes.

    Example::

        net = nd.learning.MLP((64, 100, 10), key=jax.random.key(0))
        logits = net(jnp.zeros((5, 64)))                     # (5, 10)
        fa = nd.learning.FeedbackAlignment(net, nd.learning.cross_entropy, key=jax.random.key(1))
        loss, grads = fa(net, (jnp.zeros((5, 64)), jnp.arange(5)))   # grads: an MLP of updates
    """

    weights: tuple
    biases: tuple
    activation: Callable = eqx.field(static=True)

    def __init__(self, sizes, *, key, activation: Callable = jax.nn.relu, dtype=jnp.float32):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two layer widths >= 1 (input first), got {sizes}")
        keys = jax.random.split(key, len(sizes) - 1)
        self.weights = tuple(jax.random.normal(k, (m, n), dtype) / jnp.sqrt(n)
                             for k, n, m in zip(keys, sizes[:-1], sizes[1:]))
        self.biases = tuple(jnp.zeros(m, dtype) for m in sizes[1:])
        self.activation = activation

    @property
    def sizes(self) -> tuple:
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    def pre_activations(self, x, noise=None, *, detach: bool = False):
        """``(output, (a_1, ..., a_L))``; ``noise``, a tuple like the pre-activations, is added
        to them; ``detach`` holds each layer's input fixed for differentiation (so that a
        vector-Jacobian product gives each layer's own term, ``grads_from_deltas``)."""
        h, pre = x, []
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            a = (jax.lax.stop_gradient(h) if detach else h) @ w.T + b
            if noise is not None:
                a = a + noise[l]
            pre.append(a)
            h = self.activation(a)
        return pre[-1], tuple(pre)

    def __call__(self, x):
        return self.pre_activations(x)[0]


def cross_entropy(logits, label):
    """Softmax cross-entropy of one example (integer ``label``)."""
    return jax.nn.logsumexp(logits) - logits[label]


def supervised_loss(per_example: Callable) -> Callable:
    """``loss(model, (x, y))``: the mean over the batch of ``per_example(model(x_i), y_i)``,
    for ``fit`` with backprop."""

    def loss(model, batch):
        x, y = batch
        return jnp.mean(jax.vmap(per_example)(model(x), y))

    return loss


def accuracy(model, x, labels) -> float:
    """Fraction of ``x`` whose largest output is its label."""
    return float(_accuracy(model, x, labels))


@eqx.filter_jit
def _accuracy(model, x, labels):
    return jnp.mean(jnp.argmax(model(x), axis=-1) == labels)


def grads_from_deltas(model, x, deltas):
    """Parameter gradients from per-layer estimates of dL/d(pre-activation) (each already
    carrying the batch mean's 1/B): a vector-Jacobian product of ``pre_activations(x,
    detach=True)``, so each parameter gets only its own layer's term."""
    _, vjp = eqx.filter_vjp(lambda m: m.pre_activations(x, detach=True)[1], model)
    (grads,) = vjp(tuple(deltas))
    return grads


def _derivative(f, a):
    return jax.jvp(f, (a,), (jnp.ones_like(a),))[1]


def _output_error(model, per_example, batch):
    """(mean loss, pre-activations, dL/d(output) per example / B)."""
    x, y = batch
    out, pre = model.pre_activations(x)
    losses, vjp = jax.vjp(lambda o: jax.vmap(per_example)(o, y), out)
    (e,) = vjp(jnp.full_like(losses, 1.0 / losses.shape[0]))
    return jnp.mean(losses), pre, e


def backprop_deltas(model, pre, e):
    """dL/d(pre-activation) of each layer by backpropagation, from the output error ``e``."""
    deltas = [e]
    for l in range(len(pre) - 2, -1, -1):
        deltas.insert(0, (deltas[0] @ model.weights[l + 1]) * _derivative(model.activation, pre[l]))
    return deltas


class FeedbackAlignment(eqx.Module):
    r"""Feedback alignment (Lillicrap et al. 2016): errors travel back through fixed random
    matrices $B_{l+1}$ (the shapes of $W_{l+1}$, entries $\mathcal N(0, \mathrm{scale}^2/n_{l+1})$)
    instead of the forward weights. ``per_example(output, target) -> scalar``; the batch loss
    is its mean. Call: ``(model, (x, y)) -> (loss, grads)``."""

    feedback: tuple
    per_example: Callable = eqx.field(static=True)

    def __init__(self, model: MLP, per_example: Callable, *, key, scale: float = 1.0):
        keys = jax.random.split(key, max(len(model.weights) - 1, 1))
        self.feedback = tuple(scale * jax.random.normal(k, w.shape, w.dtype) / jnp.sqrt(w.shape[0])
                              for k, w in zip(keys, model.weights[1:]))
        self.per_example = per_example

    def deltas(self, model, pre, e):
        deltas = [e]
        for l in range(len(pre) - 2, -1, -1):
            deltas.insert(0, (deltas[0] @ self.feedback[l]) * _derivative(model.activation, pre[l]))
        return deltas

    def __call__(self, model, batch):
        value, pre, e = _output_error(model, self.per_example, batch)
        return value, grads_from_deltas(model, batch[0], self.deltas(model, pre, e))


class DirectFeedbackAlignment(eqx.Module):
    r"""Direct feedback alignment (Nøkland 2016): the output error $e$ reaches every hidden
    layer through its own fixed random matrix $D_l$ (``(n_out, n_l)``, entries
    $\mathcal N(0, \mathrm{scale}^2/n_{out})$): $\delta_l = (e D_l) \odot f'(a_l)$."""

    feedback: tuple
    per_example: Callable = eqx.field(static=True)

    def __init__(self, model: MLP, per_example: Callable, *, key, scale: float = 1.0):
        n_out = model.sizes[-1]
        keys = jax.random.split(key, max(len(model.weights) - 1, 1))
        self.feedback = tuple(scale * jax.random.normal(k, (n_out, w.shape[0]), w.dtype) / jnp.sqrt(n_out)
                              for k, w in zip(keys, model.weights[:-1]))
        self.per_example = per_example

    def deltas(self, model, pre, e):
        hidden = [(e @ d) * _derivative(model.activation, a) for d, a in zip(self.feedback, pre[:-1])]
        return [*hidden, e]

    def __call__(self, model, batch):
        value, pre, e = _output_error(model, self.per_example, batch)
        return value, grads_from_deltas(model, batch[0], self.deltas(model, pre, e))


def angle(a, b) -> jax.Array:
    """Angle in degrees between two PyTrees of arrays, flattened into vectors."""
    va = jnp.concatenate([jnp.ravel(x) for x in jax.tree.leaves(a)])
    vb = jnp.concatenate([jnp.ravel(x) for x in jax.tree.leaves(b)])
    cos = va @ vb / (jnp.linalg.norm(va) * jnp.linalg.norm(vb))
    return jnp.degrees(jnp.arccos(jnp.clip(cos, -1.0, 1.0)))
