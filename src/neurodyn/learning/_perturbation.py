r"""Perturbation estimators of a gradient, and a small rate network to study them on.

- Weight perturbation (Jabri & Flower 1992; Werfel, Xie & Seung 2005, Neural Comput 17:2699):
  perturb every parameter, $\hat g = \frac{1}{K}\sum_k [L(\theta + \sigma\varepsilon_k) -
  L(\theta)]\,\varepsilon_k / \sigma$, $\varepsilon_k \sim \mathcal N(0, I)$.
- Node perturbation (Fiete & Seung 2006, PRL 97:048104): noise $\xi_l$ on each unit's
  pre-activation, $\hat\delta_l = \Delta L\,\xi_l/\sigma^2$ estimates $\partial L/\partial a_l$,
  and each weight gets $\hat\delta_l h_{l-1}^\top$ (``_mlp.grads_from_deltas``). With one
  loss per example, each example's loss change credits its own noise.

Both are unbiased to $O(\sigma^2)$ (exactly for a quadratic loss); their variance grows with
the number of perturbed quantities: the parameters for weight perturbation, the units
for node perturbation (Werfel et al. 2005).
"""

from __future__ import annotations

import functools
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._mlp import grads_from_deltas


def _check_estimator(sigma, samples):
    if not np.ndim(sigma) == 0 or not float(sigma) > 0:
        raise ValueError(f"sigma must be a number > 0, got {sigma!r}")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1, got {samples!r}")


def normals(key, like):
    """Standard normal arrays shaped like the arrays in the sequence ``like``, from one draw
    (one random-number kernel to compile, however many arrays)."""
    sizes = [int(np.prod(a.shape)) for a in like]
    flat = jax.random.normal(key, (sum(sizes),), jnp.result_type(*like))
    return [part.reshape(a.shape).astype(a.dtype) for part, a in zip(jnp.split(flat, np.cumsum(sizes)[:-1]), like)]


def weight_perturbation(loss: Callable, params, key, *, sigma: float = 1e-3, samples: int = 1):
    r"""Estimate of ``jax.grad(loss)(params)`` from ``samples`` random perturbations of every
    floating-point array leaf of ``params`` (standard deviation ``sigma``); ``loss(params) ->
    scalar``. Returns a PyTree like ``params`` (``None`` for leaves that are not trained)."""
    _check_estimator(sigma, samples)
    diff, static = eqx.partition(params, eqx.is_inexact_array)
    leaves, tree = jax.tree.flatten(diff)
    base = loss(params)

    def one(k):
        eps = normals(k, leaves)
        moved = eqx.combine(jax.tree.unflatten(tree, [x + sigma * e for x, e in zip(leaves, eps)]), static)
        dl = loss(moved) - base
        return [dl * e / sigma for e in eps]

    est = jax.vmap(one)(jax.random.split(key, samples))
    return jax.tree.unflatten(tree, [jnp.mean(e, axis=0) for e in est])


def node_perturbation(model, per_example: Callable, batch, key, *, sigma: float = 1e-3, samples: int = 1):
    r"""``(mean loss, estimated gradient)`` by node perturbation, for a model with
    ``pre_activations(x, noise=None, *, detach=False) -> (output, tuple of pre-activations)``
    (``MLP``, ``RateMap``). ``per_example(output, target) -> scalar``; ``batch = (x, y)``.
    Every example gets its own noise, ``samples`` draws each, averaged."""
    _check_estimator(sigma, samples)
    x, y = batch
    out, pre = model.pre_activations(x)
    base = jax.vmap(per_example)(out, y)
    n = base.shape[0]

    def one(k):
        noise = tuple(sigma * e for e in normals(k, pre))
        dl = jax.vmap(per_example)(model.pre_activations(x, noise)[0], y) - base
        return tuple(dl.reshape(dl.shape + (1,) * (xi.ndim - 1)) * xi / sigma**2 for xi in noise)

    deltas = jax.vmap(one)(jax.random.split(key, samples))
    deltas = tuple(jnp.mean(d, axis=0) / n for d in deltas)
    return jnp.mean(base), grads_from_deltas(model, x, deltas)


class NodePerturbation(eqx.Module):
    """Node perturbation as ``fit``'s ``grad=``: ``(model, batch, *, key) -> (loss, grads)``."""

    per_example: Callable = eqx.field(static=True)
    sigma: float = eqx.field(static=True, default=1e-2)
    samples: int = eqx.field(static=True, default=1)

    def __check_init__(self):
        _check_estimator(self.sigma, self.samples)

    def __call__(self, model, batch, *, key):
        return node_perturbation(model, self.per_example, batch, key, sigma=self.sigma, samples=self.samples)


class RateMap(eqx.Module):
    r"""A few steps of a discrete-time rate network: $r_0 = x$, $a_k = W r_{k-1}$,
    $r_k = F(a_k)$ for $k = 1..K$ (``steps``); the output is $r_K$. ``K = 1`` is the static
    map $r = F(Wx)$. ``W``: ``(n, n)``; ``F``: elementwise (default ``tanh``)."""

    W: jax.Array
    steps: int = eqx.field(static=True, default=1)
    F: Callable = eqx.field(static=True, default=jnp.tanh)

    def __check_init__(self):
        if jnp.ndim(self.W) != 2 or self.W.shape[0] != self.W.shape[1]:
            raise ValueError(f"W must be a square matrix (n, n), got shape {jnp.shape(self.W)}")
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")

    def pre_activations(self, x, noise=None, *, detach: bool = False):
        r, pre = x, []
        for k in range(self.steps):
            a = (jax.lax.stop_gradient(r) if detach else r) @ self.W.T
            if noise is not None:
                a = a + noise[k]
            pre.append(a)
            r = self.F(a)
        return r, tuple(pre)

    def __call__(self, x):
        return self.pre_activations(x)[0]


class EstimatorStats(eqx.Module):
    """``estimator_stats``'s summary of many independent estimates ``g_t`` of a gradient ``g``:

    - ``mean``: the mean estimate (a PyTree like ``g``); ``standard_error``: per element;
    - ``bias``: ``|mean - g| / |g|``; ``z``: ``(mean - g) / standard_error`` per element, flat
      (about standard normal for an unbiased estimator: ``mean(z**2)`` near 1);
      ``max_z``: the largest ``|z|``;
    - ``variance``: ``E|g_t - mean|^2`` (summed over elements); ``relative_variance``: ``/ |g|^2``;
    - ``correlation``: mean cosine similarity between ``g_t`` and ``g``.
    """

    mean: object
    standard_error: object
    bias: float
    z: np.ndarray
    max_z: float
    variance: float
    relative_variance: float
    correlation: float


def sample_estimates(estimate: Callable, key, trials: int):
    """``trials`` independent estimates ``estimate(key) -> PyTree``, stacked on a leading
    axis (one compiled, vmapped call)."""
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 2:
        raise ValueError(f"trials must be an integer >= 2, got {trials!r}")
    return eqx.filter_jit(jax.vmap(estimate))(jax.random.split(key, trials))


def estimator_stats(estimates, true_grad) -> EstimatorStats:
    """Compare independent estimates of a gradient (a PyTree like ``true_grad`` with the
    trials on a leading axis: ``sample_estimates``) with the exact one (``jax.grad``)."""
    true_grad = eqx.filter(true_grad, eqx.is_inexact_array)
    est = eqx.filter(estimates, eqx.is_inexact_array)
    leaves = jax.tree.leaves(est)
    trials = leaves[0].shape[0]
    if trials < 2:
        raise ValueError(f"estimates must hold at least 2 trials on their leading axis, got {trials}")
    flat = jnp.concatenate([jnp.reshape(e, (trials, -1)) for e in leaves], axis=1)
    g = jnp.concatenate([jnp.ravel(t) for t in jax.tree.leaves(true_grad)])
    if flat.shape[1] != g.shape[0]:
        raise ValueError(f"estimates hold {flat.shape[1]} values per trial, true_grad {g.shape[0]}")
    bias, z, var, rel, corr = (np.asarray(v) for v in _stats(flat, g))
    return EstimatorStats(
        mean=jax.tree.map(lambda e: e.mean(0), est),
        standard_error=jax.tree.map(lambda e: e.std(0, ddof=1) / np.sqrt(trials), est),
        bias=float(bias), z=z, max_z=float(np.max(np.abs(z))), variance=float(var),
        relative_variance=float(rel), correlation=float(corr))


@jax.jit
def _stats(flat, g):
    trials = flat.shape[0]
    mean = flat.mean(0)
    se = flat.std(0, ddof=1) / np.sqrt(trials)
    gnorm = jnp.linalg.norm(g)
    var = jnp.sum(flat.var(0, ddof=1))
    cos = flat @ g / (jnp.linalg.norm(flat, axis=1) * gnorm)
    z = (mean - g) / jnp.where(se > 0, se, jnp.inf)
    return jnp.linalg.norm(mean - g) / gnorm, z, var, var / gnorm**2, jnp.mean(cos)


def correlation_by_samples(estimates, true_grad, samples) -> np.ndarray:
    """Mean cosine between ``true_grad`` and averages of ``s`` of the single-sample
    ``estimates`` (trials on the leading axis), for each ``s`` in ``samples``: the
    correlation of the estimator with ``samples=s`` (its draws are iid), from one set of draws."""
    leaves = jax.tree.leaves(eqx.filter(estimates, eqx.is_inexact_array))
    trials = leaves[0].shape[0]
    flat = np.concatenate([np.reshape(np.asarray(e), (trials, -1)) for e in leaves], axis=1)
    g = np.concatenate([np.ravel(np.asarray(t)) for t in jax.tree.leaves(eqx.filter(true_grad, eqx.is_inexact_array))])
    out = []
    for s in samples:
        if not 1 <= s <= trials // 2:
            raise ValueError(f"samples must lie in 1..{trials // 2} (two averages at least), got {s}")
        avg = flat[: (trials // s) * s].reshape(trials // s, s, -1).mean(1)
        out.append(np.mean(avg @ g / (np.linalg.norm(avg, axis=1) * np.linalg.norm(g))))
    return np.asarray(out)


def _half_squared_error(r, target):
    return 0.5 * jnp.sum((r - target) ** 2)


@functools.partial(jax.jit, static_argnums=(0,), static_argnames=("batch", "steps"))
def _rate_map_arrays(n, key, *, batch, steps):
    kw, kx, kt = jax.random.split(key, 3)
    return (jax.random.normal(kw, (n, n)) / jnp.sqrt(n), jax.random.normal(kx, (batch, n)),
            0.5 * jax.random.normal(kt, (batch, n)))


def rate_map_problem(n: int, key, *, batch: int = 8, steps: int = 1):
    """A ``RateMap`` of ``n`` units (weights ``N(0, 1/n)``), ``batch`` random inputs and
    targets and the squared-error loss: ``(net, (x, target), per_example, loss)`` with
    ``loss(net)`` the batch mean of ``per_example(output, target)``."""
    w, x, t = _rate_map_arrays(n, key, batch=batch, steps=steps)
    net = RateMap(w, steps=steps)
    return net, (x, t), _half_squared_error, lambda m: jnp.mean(jax.vmap(_half_squared_error)(m(x), t))


def perturbation_study(sizes, key, *, batch: int = 8, steps: int = 1, sigma: float = 1e-3,
                       samples: int = 1, trials: int = 200) -> dict:
    """How the two estimators' variance grows with network size, on a ``rate_map_problem``
    of each size ``n`` in ``sizes``. Returns ``{"weight": [EstimatorStats per size], "node":
    [...]}``: weight perturbation perturbs ``n^2`` weights, node perturbation ``n * steps``
    units per example. One compiled call per size."""
    _check_estimator(sigma, samples)
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 2:
        raise ValueError(f"trials must be an integer >= 2, got {trials!r}")
    out = {"weight": [], "node": []}
    for n in sizes:
        kp, ke = jax.random.split(jax.random.fold_in(key, int(n)))
        net, data, per_example, loss = rate_map_problem(int(n), kp, batch=batch, steps=steps)

        @jax.jit
        def run(net, data, keys):
            loss = lambda m: jnp.mean(jax.vmap(per_example)(m(data[0]), data[1]))
            wp = jax.vmap(lambda k: weight_perturbation(loss, net, k, sigma=sigma, samples=samples))(keys)
            nodes = jax.vmap(lambda k: node_perturbation(net, per_example, data, k, sigma=sigma,
                                                         samples=samples)[1])(keys)
            return jax.grad(loss)(net), wp, nodes

        g, wp, nodes = run(net, data, jax.random.split(ke, trials))
        out["weight"].append(estimator_stats(wp, g))
        out["node"].append(estimator_stats(nodes, g))
    return out
