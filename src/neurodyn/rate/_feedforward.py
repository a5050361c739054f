r"""A feed-forward rate layer ``y = F(W x + h)`` whose weights learn online (``simulate``)
or on data (``run_rule``), both through the one step :meth:`FeedForward.update`."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import check_integer
from ..engine._model import AbstractMap
from ._checks import per_unit


class FeedForwardState(eqx.Module):
    x: jax.Array  #: the input of the last step (recorded as ``"x"``)
    y: jax.Array  #: the output ``F(W x + h)`` (recorded as ``"y"``)
    _W: jax.Array  #: weights (outputs × inputs); ``record=["W"]`` records them
    _phase: jax.Array  #: steps since the rule last ran (int32)
    _rule: object  #: the rule's per-neuron variables (``RuleVars``: ``pre``, ``post``)

    @property
    def W(self):
        return self._W

    @property
    def rule_vars(self):
        """The rule's per-neuron variables, ``.pre`` and ``.post`` (e.g. BCM's threshold)."""
        return self._rule


def _matrix(name, W):
    W = jnp.asarray(W)
    if W.ndim != 2 or 0 in W.shape or W.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a non-empty 2-D matrix (outputs, inputs), got shape {W.shape}")
    return W.astype(jnp.result_type(float)) if W.dtype.kind in "iu" else W


class FeedForward(AbstractMap):
    r"""A layer of rate units driven by the input: :math:`y = F(W x + h)`, with ``x`` the
    drive of ``simulate(..., inputs=...)`` (shape ``(n_in,)``) and ``W`` (outputs ×
    inputs) changed by a rate rule (``Oja``, ``Sanger``, ``BCM``, ``Covariance``,
    ``Hebbian``) after each step: the rule's per-neuron variables follow ``x`` (pre) and
    ``y`` (post), then ``W <- clip(rule.on_step_dense(W, pre, post, dt * every))``.

    The output is instantaneous (no time constant): one ``simulate`` step presents one
    input sample, as a reservoirpy node or a Brian2 ``Synapses`` with a summed variable
    would. :func:`run_rule` runs the same :meth:`update` over a data set, so learning in
    ``simulate`` and on data are the same computation.

    Args:
        W: initial weights ``(n_out, n_in)``.
        F: transfer function (default ``Linear()``).
        h: bias (scalar or ``(n_out,)``), default 0.
        plasticity: a rate rule of :mod:`neurodyn.plasticity`, or ``None`` (frozen).

    Example:
        >>> import jax, jax.numpy as jnp, neurodyn as nd
        >>> X = jax.random.normal(jax.random.key(0), (2000, 2)) * jnp.array([2.0, 0.5])
        >>> layer = nd.learning.FeedForward(jnp.array([[0.3, 0.3]]), plasticity=nd.plasticity.Oja(eta=0.01))
        >>> res = nd.simulate(layer, 2000.0, 1.0, inputs=nd.inputs.array(X, dt=1.0), progress=False)
        >>> bool(abs(res.final_state.W[0, 0]) > 0.99)
        True
    """

    W: jax.Array
    F: object
    h: jax.Array
    plasticity: object
    n_in: int = eqx.field(static=True)
    n_out: int = eqx.field(static=True)

    def __init__(self, W, F=None, h=0.0, *, plasticity=None):
        from ..plasticity._dense import check_rate_rule
        from ._transfer import Linear

        W = _matrix("W", W)
        if plasticity is not None:
            check_rate_rule(plasticity)
            plasticity.check_weights(W, "W")
        if F is not None and not callable(F):
            raise TypeError(f"F must be callable F(x) -> rates, got {type(F).__name__} {F!r}")
        self.W = W
        self.F = Linear() if F is None else F
        self.n_out, self.n_in = W.shape
        self.h = jnp.broadcast_to(per_unit("h", h, self.n_out), (self.n_out,)).astype(W.dtype)
        self.plasticity = plasticity

    @property
    def input_shape(self):
        return (self.n_in,)

    def init_state(self, key=None):
        from ..plasticity._dense import init_vars

        dtype = self.W.dtype
        v = () if self.plasticity is None else init_vars(self.plasticity, self.n_in, self.n_out, dtype)
        return FeedForwardState(jnp.zeros((self.n_in,), dtype), jnp.zeros((self.n_out,), dtype), self.W,
                                jnp.zeros((), jnp.int32), v)

    def update(self, state: FeedForwardState, x, dt) -> FeedForwardState:
        """Present one input ``x``: the output with the current weights, then the rule."""
        from ..plasticity._dense import dense_step

        x = jnp.broadcast_to(jnp.asarray(x, state.W.dtype), (self.n_in,))
        y = jnp.broadcast_to(jnp.asarray(self.F(self.h + state.W @ x), state.W.dtype), (self.n_out,))
        if self.plasticity is None:
            return FeedForwardState(x, y, state.W, state._phase, state._rule)
        W, v, phase = dense_step(self.plasticity, state.W, state._rule, state._phase, x, y, dt)
        return FeedForwardState(x, y, W, phase, v)

    def step(self, state, t, dt, drive, key):
        return self.update(state, drive(t), dt), {}

    def time_constants(self):
        rule = {} if self.plasticity is None else self.plasticity.time_constants()
        return {f"plasticity.{k}": v for k, v in rule.items()}

    def read(self, state, name):
        if name in ("pre", "post", "W"):
            return state.W if name == "W" else getattr(state._rule, name)
        return super().read(state, name)


class RuleResult(eqx.Module):
    """What :func:`run_rule` returns."""

    W: jax.Array  #: the learnt weights (n_out, n_in)
    state: FeedForwardState  #: the final state (``.y``, ``.rule_vars`` such as BCM's threshold)
    history: jax.Array | None  #: W after every ``history``-th sample (k, n_out, n_in), or None


def run_rule(rule, X, W0, *, F=None, h=0.0, epochs: int = 1, key=None, dt: float = 1.0, history: int | None = None):
    r"""Learn ``W`` from data with a rate rule: present the rows of ``X`` one by one to
    :math:`y = F(W x + h)` and apply the rule after each (the step of
    :class:`FeedForward`, so the result equals ``simulate`` of that layer with the same
    samples as input). Compiled: one ``lax.scan`` over the samples.

    Args:
        rule: a rate rule (``Oja``, ``Sanger``, ``BCM``, ``Covariance``, ``Hebbian``).
        X: samples ``(n_samples, n_in)``.
        W0: initial weights ``(n_out, n_in)``.
        F: transfer function (default ``Linear()``); h: bias.
        epochs: passes over the data.
        key: if given, each epoch presents the samples in a fresh random order
            (``fold_in(key, epoch)``); otherwise in order.
        dt: the time one sample lasts (1: ``eta`` and time constants count samples).
        history: record ``W`` after every ``history``-th sample (``None``: do not).

    Returns:
        :class:`RuleResult` with ``W``, the final ``state`` and ``history``.

    Example:
        >>> X = jax.random.normal(jax.random.key(0), (3000, 3)) * jnp.array([3.0, 2.0, 0.5])
        >>> out = nd.learning.run_rule(nd.plasticity.Sanger(eta=0.005), X, 0.1 * jnp.eye(2, 3), epochs=2, history=100)
        >>> out.W.shape, out.history.shape
        ((2, 3), (60, 2, 3))
    """
    from ..plasticity._dense import check_rate_rule

    check_rate_rule(rule, "rule")
    W0 = _matrix("W0", W0)
    X = jnp.asarray(X)
    if X.ndim != 2 or X.shape[1] != W0.shape[1] or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n_samples, {W0.shape[1]}) to match W0 of shape {W0.shape}, "
                         f"got {X.shape}")
    X = X.astype(W0.dtype)
    epochs = check_integer("epochs", epochs, 1, 2**31 - 1)
    if history is not None:
        history = check_integer("history", history, 1, 2**31 - 1)
    if not (np.ndim(dt) == 0 and float(dt) > 0):
        raise ValueError(f"dt must be a number > 0 (the time one sample lasts), got {dt!r}")
    layer = FeedForward(W0, F, h, plasticity=rule)
    return _fit(layer, X, epochs, key, float(dt), history)


@eqx.filter_jit
def _fit(layer, X, epochs, key, dt, history):
    n = X.shape[0]
    if key is None:
        order = jnp.tile(jnp.arange(n), epochs)
    else:
        order = jnp.concatenate([jax.random.permutation(jax.random.fold_in(key, e), n) for e in range(epochs)])

    def one(state, i):
        return layer.update(state, X[i], dt), None

    state = layer.init_state()
    if history is None:
        state, _ = jax.lax.scan(one, state, order)
        return RuleResult(state.W, state, None)
    blocks = order.size // history

    def block(state, idx):
        state, _ = jax.lax.scan(one, state, idx)
        return state, state.W

    state, hist = jax.lax.scan(block, state, order[: blocks * history].reshape(blocks, history))
    state, _ = jax.lax.scan(one, state, order[blocks * history:])
    return RuleResult(state.W, state, hist)
