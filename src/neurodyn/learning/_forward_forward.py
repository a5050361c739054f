r"""Forward-forward learning (Hinton 2022, arXiv:2212.13345).

Each layer learns on its own: its goodness $G = \sum_j h_j^2$ should be above a threshold
$\theta$ for positive data (an input with its correct label embedded) and below it for
negative data (the same input with a wrong label). A layer's loss is
$\mathrm{softplus}(\theta - G^+) + \mathrm{softplus}(G^- - \theta)$; each layer sees its
input normalised to unit root-mean-square (so only the direction of the previous layer's
activity passes on, not its goodness) with the gradient stopped, so no error travels
between layers. A trained network classifies by embedding every label in turn and picking
the one with the largest goodness summed over layers.
"""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp


def _normalise(h, eps=1e-6):
    return h / jnp.sqrt(jnp.mean(h**2, axis=-1, keepdims=True) + eps)


class ForwardForward(eqx.Module):
    r"""A stack of layers $h_l = f(W_l \hat h_{l-1} + b_l)$ trained by forward-forward, with
    $\hat h$ the RMS-normalised activity and $h_0$ the input with the label appended as a
    one-hot vector of height ``label_scale`` (Hinton overwrote MNIST's first 10 pixels, a
    blank border; appending keeps every input value).

    ``sizes``: the input width followed by the hidden widths (``(64, 200, 200)``);
    ``n_classes``: number of labels; ``threshold``: $\theta$ as a mean squared activity per
    unit (a layer of $n$ units uses $n\theta$). Train with ``fit(ff, forward_forward_loss,
    (x, labels), key=...)``; classify with ``ff.predict(x)``.
    """

    weights: tuple
    biases: tuple
    n_classes: int = eqx.field(static=True)
    threshold: float = eqx.field(static=True)
    label_scale: float = eqx.field(static=True)
    activation: Callable = eqx.field(static=True)

    def __init__(self, sizes, n_classes: int, *, key, threshold: float = 1.0, label_scale: float = 1.0,
                 activation: Callable = jax.nn.relu, dtype=jnp.float32):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list the input width and at least one layer width >= 1, got {sizes}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        if not threshold > 0:
            raise ValueError(f"threshold must be > 0 (mean squared activity per unit), got {threshold}")
        ins = (sizes[0] + n_classes, *sizes[1:-1])
        keys = jax.random.split(key, len(sizes) - 1)
        self.weights = tuple(jax.random.normal(k, (m, n), dtype) / jnp.sqrt(n) for k, n, m in zip(keys, ins, sizes[1:]))
        self.biases = tuple(jnp.zeros(m, dtype) for m in sizes[1:])
        self.n_classes, self.threshold, self.label_scale = int(n_classes), float(threshold), float(label_scale)
        self.activation = activation

    def embed(self, x, labels):
        """The input with each example's label appended (one-hot times ``label_scale``)."""
        return jnp.concatenate([x, self.label_scale * jax.nn.one_hot(labels, self.n_classes, dtype=x.dtype)], axis=-1)

    def goodness(self, x, labels, *, local: bool = False):
        """Goodness of every layer, ``(..., layers)``, for ``x`` with ``labels`` embedded;
        ``local`` stops the gradient between layers (training)."""
        h, out = self.embed(x, labels), []
        for w, b in zip(self.weights, self.biases):
            h = _normalise(jax.lax.stop_gradient(h) if local else h)
            h = self.activation(h @ w.T + b)
            out.append(jnp.sum(h**2, axis=-1))
        return jnp.stack(out, axis=-1)

    def predict(self, x, *, skip_first: bool = False):
        """The label with the largest goodness summed over layers (Hinton also tried leaving
        out the first layer: ``skip_first``)."""
        labels = jnp.arange(self.n_classes)
        g = jax.vmap(lambda l: self.goodness(x, jnp.full(x.shape[:-1], l)), out_axes=-2)(labels)
        return jnp.argmax(jnp.sum(g[..., 1:] if skip_first else g, axis=-1), axis=-1)

    def thresholds(self):
        return jnp.array([self.threshold * w.shape[0] for w in self.weights])


def forward_forward_loss(model: ForwardForward, batch, *, key):
    """Mean over examples and layers of the layer-local loss; ``batch = (x, labels)``; the
    negative label of each example is drawn uniformly among the wrong ones with ``key``."""
    x, labels = batch
    wrong = (labels + jax.random.randint(key, labels.shape, 1, model.n_classes)) % model.n_classes
    theta = model.thresholds()
    pos = model.goodness(x, labels, local=True)
    neg = model.goodness(x, wrong, local=True)
    # goodness per unit keeps the loss's scale independent of the layer width
    width = theta / model.threshold
    return jnp.mean(jax.nn.softplus((theta - pos) / width) + jax.nn.softplus((neg - theta) / width))


def ff_accuracy(model: ForwardForward, x, labels) -> float:
    """Fraction of ``x`` that ``model.predict`` labels correctly."""
    return float(_ff_accuracy(model, x, labels))


@eqx.filter_jit
def _ff_accuracy(model, x, labels):
    return jnp.mean(model.predict(x) == labels)
