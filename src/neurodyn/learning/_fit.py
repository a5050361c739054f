"""``fit``: minibatch training of any PyTree of arrays with an optax optimizer.

One compiled function per epoch: a ``lax.scan`` over the epoch's minibatches, with the
parameters and the optimizer state donated. The loss (and the gradient estimator, which
may replace ``jax.value_and_grad``) is all ``fit`` knows of the model.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax


class History(eqx.Module):
    """What ``fit`` records.

    - ``loss``: ``(epochs, steps_per_epoch)``, the minibatch loss of every step (before its update);
    - ``epoch_loss``: ``(epochs,)``, the mean of each epoch's step losses;
    - ``metrics``: name -> ``(epochs,)`` array of what ``eval`` returned after each epoch
      (``{}`` without ``eval``; a scalar ``eval`` is stored under ``"eval"``).
    """

    loss: np.ndarray
    epoch_loss: np.ndarray
    metrics: dict


def takes_key(fn: Callable) -> bool:
    """Whether ``fn`` accepts a ``key`` keyword (the stochastic losses and gradient estimators)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "key" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _sample_count(data) -> int:
    leaves, paths = [], []
    for path, leaf in jax.tree_util.tree_flatten_with_path(data)[0]:
        shape = np.shape(leaf)
        name = "data" + jax.tree_util.keystr(path)
        if not shape:
            raise ValueError(f"{name} must be an array with samples on its leading axis, got a scalar")
        leaves.append(shape[0])
        paths.append(name)
    if not leaves:
        raise ValueError("data must hold at least one array (samples on the leading axis), got none")
    for name, n in zip(paths, leaves):
        if n != leaves[0]:
            raise ValueError(f"data arrays must share their leading axis (samples): {paths[0]} has {leaves[0]}, "
                             f"{name} has {n}")
    return leaves[0]


def batch_indices(key, epoch: int, n: int, batch_size: int):
    """The sample indices of one epoch's minibatches, ``(n // batch_size, batch_size)``:
    a permutation drawn with ``fold_in(key, epoch)``, cut into consecutive batches (the last
    ``n % batch_size`` samples of the permutation are left out of that epoch)."""
    perm = jax.random.permutation(jax.random.fold_in(key, epoch), n)
    steps = n // batch_size
    return perm[: steps * batch_size].reshape(steps, batch_size)


@functools.lru_cache(maxsize=64)  # the same object for the same rate: fit's compiled epoch is reused
def _adam(learning_rate):
    return optax.adam(learning_rate)


@functools.lru_cache(maxsize=64)  # one wrapper per loss, so fit's compiled epoch is reused across calls
def _value_and_grad(loss, stochastic):
    if stochastic:
        return lambda model, batch, *, key: jax.value_and_grad(lambda m: loss(m, batch, key=key))(model)
    return jax.value_and_grad(loss)


@eqx.filter_jit(donate="all-except-first")
def _epoch(fixed, params, opt_state):
    static, grad, optimizer, stochastic, data, indices, key = fixed

    def step(carry, xs):
        params, opt_state = carry
        i, idx = xs
        batch = jax.tree.map(lambda a: jnp.take(a, idx, axis=0), data)
        model = eqx.combine(params, static)
        if stochastic:
            value, grads = grad(model, batch, key=jax.random.fold_in(key, i))
        else:
            value, grads = grad(model, batch)
        grads = eqx.filter(grads, eqx.is_inexact_array)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (eqx.apply_updates(params, updates), opt_state), value

    steps = indices.shape[0]
    (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), (jnp.arange(steps), indices))
    return params, opt_state, losses


def fit(
    model,
    loss: Callable,
    data,
    *,
    optimizer: optax.GradientTransformation | None = None,
    learning_rate: float | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    key=None,
    grad: Callable | None = None,
    eval: Callable | None = None,  # noqa: A002 - the name users expect
):
    r"""Train ``model`` by minibatch descent on ``loss``; returns ``(trained model, History)``.

    ``model``: any PyTree (an equinox module, a tuple of arrays); its floating-point array
    leaves are trained, everything else is carried unchanged. ``loss(model, batch) -> scalar``
    where ``batch`` has the structure of ``data`` (a PyTree of arrays sharing their leading,
    sample axis), cut to ``batch_size`` samples; a loss that draws random numbers takes a
    ``key`` keyword and gets a fresh key every step. ``optimizer``: an optax transformation
    (default ``optax.adam(learning_rate or 1e-3)``, where ``learning_rate`` may be an optax
    schedule; give one or the other).

    Epoch ``e`` visits the samples in the order ``jax.random.permutation(fold_in(key, e), n)``
    in ``n // batch_size`` batches (``batch_indices``); step ``i`` of an epoch gets
    ``fold_in(fold_in(key_e, 1), i)`` as its key. The epoch is one compiled ``lax.scan``.

    ``grad(model, batch) -> (loss value, gradients)`` replaces ``jax.value_and_grad(loss)``:
    any estimator with that signature (feedback alignment, node perturbation; with a
    ``key`` keyword if it is stochastic). Its gradients are a PyTree like ``model``.
    ``eval(model)`` runs after every epoch on the host and returns a number or a dict of
    numbers (test accuracy, the angle between two updates), recorded in ``History.metrics``.

    Example::

        X = jax.random.normal(jax.random.key(1), (100, 3)); y = X @ jnp.array([1.0, -2.0, 0.5])
        mse = lambda w, batch: jnp.mean((batch[0] @ w - batch[1]) ** 2)
        w, hist = nd.learning.fit(jnp.zeros(3), mse, (X, y), learning_rate=0.1, epochs=50,
                                  batch_size=20, key=jax.random.key(0))   # w ~ [1, -2, 0.5]
    """
    if optimizer is not None and learning_rate is not None:
        raise TypeError("fit takes optimizer= or learning_rate=, not both")
    if optimizer is None:
        lr = 1e-3 if learning_rate is None else learning_rate
        if not callable(lr):  # a callable is an optax schedule (step -> rate)
            if isinstance(lr, bool) or np.ndim(lr) != 0 or not float(lr) > 0:
                raise ValueError(f"learning_rate must be a number > 0 or an optax schedule, got {learning_rate!r}")
            lr = float(lr)
        optimizer = _adam(lr)
    elif not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax.GradientTransformation, got {type(optimizer).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(model, batch) -> scalar, got {type(loss).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    n = _sample_count(data)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer from 1 to the number of samples ({n}), got {batch_size!r}")
    if key is None:
        raise TypeError("fit needs key= (a jax.random key: it orders the minibatches)")
    if not _is_key(key):
        raise TypeError(f"key must be a jax.random key (jax.random.key(0)), got {type(key).__name__} {key!r}")
    data = jax.tree.map(jnp.asarray, data)

    loss_only = grad is None
    if grad is None:
        stochastic = takes_key(loss)
        grad = _value_and_grad(loss, stochastic)
    else:
        if not callable(grad):
            raise TypeError(f"grad must be a function grad(model, batch) -> (loss, grads), got {type(grad).__name__}")
        stochastic = takes_key(grad)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    _check_loss(loss, grad, stochastic, model, data, batch_size, key, loss_only)

    opt_state = optimizer.init(params)
    # private copies: the epoch function donates its parameter buffers
    params = jax.tree.map(jnp.copy, params)
    losses, metrics = [], {}
    for e in range(int(epochs)):
        idx = batch_indices(key, e, n, int(batch_size))
        step_key = jax.random.fold_in(jax.random.fold_in(key, e), 1)
        params, opt_state, step_losses = _epoch((static, grad, optimizer, stochastic, data, idx, step_key),
                                                params, opt_state)
        losses.append(step_losses)
        if eval is not None:
            _record(metrics, eval(eqx.combine(params, static)), e)
    steps = n // int(batch_size)
    loss_array = np.stack([np.asarray(l) for l in losses]) if losses else np.zeros((0, steps), np.float32)
    history = History(loss=loss_array, epoch_loss=loss_array.mean(axis=1),
                      metrics={k: np.asarray(v) for k, v in metrics.items()})
    return eqx.combine(params, static), history


def _is_key(key) -> bool:
    if not isinstance(key, jax.Array):
        return False
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key.shape == ()
    return key.shape == (2,) and key.dtype == jnp.uint32  # a legacy jax.random.PRNGKey


def _record(metrics: dict, value: Any, epoch: int):
    values = value if isinstance(value, dict) else {"eval": value}
    for name, v in values.items():
        if np.ndim(v) != 0:
            raise ValueError(f"eval must return a number or a dict of numbers, got shape {np.shape(v)} for {name!r}")
        metrics.setdefault(name, []).append(float(v))


def _check_loss(loss, grad, stochastic, model, data, batch_size, key, loss_only):
    """Shapes of one step, without running it: the loss must be a scalar."""
    batch = jax.tree.map(lambda a: jax.ShapeDtypeStruct((batch_size, *a.shape[1:]), a.dtype), data)
    kw = {"key": key} if stochastic else {}
    if loss_only:
        value = eqx.filter_eval_shape(lambda m, b: loss(m, b, **kw), model, batch)
    else:
        value, _ = eqx.filter_eval_shape(lambda m, b: grad(m, b, **kw), model, batch)
    if jnp.shape(value) != ():
        raise ValueError(f"loss must return a scalar, got shape {jnp.shape(value)} (reduce it, e.g. with jnp.mean)")
