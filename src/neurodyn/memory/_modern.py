r"""The continuous modern Hopfield network (Ramsauer et al. 2020).

Stored patterns are the rows of :math:`X \in \mathbb{R}^{P\times d}`; the state
:math:`\xi \in \mathbb{R}^d` is updated by

.. math:: \xi \leftarrow X^\top \operatorname{softmax}(\beta X \xi),

the concave-convex-procedure step of the energy

.. math:: E(\xi) = -\beta^{-1}\log\sum_\mu e^{\beta x_\mu\cdot\xi} + \tfrac12\xi\cdot\xi
          + \beta^{-1}\log P + \tfrac12 M^2, \qquad M = \max_\mu \lVert x_\mu\rVert,

so the energy never increases under the update. Ramsauer, H. et al. (2020)
"Hopfield Networks is All You Need", arXiv:2008.02217.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._params import check_positive
from ..engine import AbstractMap
from ._hopfield import check_replaceable, no_drive, with_fields
from ._validate import check_no_drive, check_patterns, check_states


def _chunked(fn, q: Array, chunk_size: int) -> Array:
    """Apply ``fn`` to ``q`` (B, d) in chunks of ``chunk_size`` rows (bounded memory)."""
    b = q.shape[0]
    if b <= chunk_size:
        return fn(q)
    nc = -(-b // chunk_size)
    pad = nc * chunk_size - b
    qp = jnp.pad(q, ((0, pad), (0, 0))).reshape(nc, chunk_size, q.shape[1])
    out = jax.lax.map(fn, qp)
    return out.reshape((nc * chunk_size,) + out.shape[2:])[:b]


class ModernState(eqx.Module):
    """State of a :class:`ModernHopfield`: ``xi``, shape ``(..., d)`` (one row per query)."""

    xi: Float[Array, "... d"]


class ModernHopfield(AbstractMap):
    r"""Continuous modern Hopfield network with stored patterns ``X`` (rows) and inverse temperature ``beta``.

    Update: :math:`\xi \leftarrow X^\top \operatorname{softmax}(\beta X\xi)`. With large
    :math:`\beta` and well-separated patterns one step retrieves the nearest pattern;
    with small :math:`\beta` (or similar patterns) the update converges to a
    metastable state, an average over many patterns.

    A map of the engine: one ``simulate`` step is one update (``dt=1``), from the query
    set by :meth:`with_cue` (zeros without one), a batch of queries ``(B, d)`` being one
    state; recordable ``"xi"`` and ``"energy"``; no ``inputs``. :meth:`retrieve` runs the
    same step.

    Args:
        patterns: stored patterns, shape ``(P, d)`` (real-valued).
        beta: inverse temperature, > 0 (dimensionless).
        chunk_size: queries per chunk of an update (memory only, results do not depend on it).
        cue: initial state, ``(d,)`` or ``(..., d)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from neurodyn.memory import ModernHopfield
        >>> X = jnp.sign(jax.random.normal(jax.random.key(0), (50, 128)))
        >>> net = ModernHopfield(X, beta=1.0)
        >>> out = net.retrieve(X[7].at[:30].multiply(-1))
        >>> bool(jnp.allclose(out, X[7], atol=1e-3))
        True
    """

    patterns: Float[Array, "p d"]
    beta: Float[Array, ""]
    cue: Float[Array, "... d"] | None
    chunk_size: int = eqx.field(static=True)

    def __init__(self, patterns, beta=1.0, *, chunk_size: int = 1024, cue=None):
        check_patterns(patterns, binary=False)
        check_positive("beta", beta, scalar=True)
        _check_chunk(chunk_size)
        self.patterns = jnp.asarray(patterns, dtype=jnp.result_type(float))
        self.beta = jnp.asarray(beta, dtype=self.patterns.dtype)
        self.chunk_size = int(chunk_size)
        self.cue = None if cue is None else self._check(cue, "cue")

    def replace(self, **changes) -> "ModernHopfield":
        """A copy with another ``beta``, ``chunk_size`` or ``cue``."""
        check_replaceable(self, changes, ("beta", "chunk_size", "cue"))
        if "beta" in changes:
            check_positive("beta", changes["beta"], scalar=True)
            changes["beta"] = jnp.asarray(changes["beta"], self.patterns.dtype)
        if "chunk_size" in changes:
            _check_chunk(changes["chunk_size"])
            changes["chunk_size"] = int(changes["chunk_size"])
        if changes.get("cue") is not None:
            changes["cue"] = self._check(changes["cue"], "cue")
        return with_fields(self, **changes)

    def with_cue(self, queries) -> "ModernHopfield":
        """A copy that starts from ``queries`` (``(d,)`` or ``(..., d)``) in ``simulate``."""
        return self.replace(cue=queries)

    @property
    def n_patterns(self) -> int:
        return self.patterns.shape[0]

    @property
    def dim(self) -> int:
        return self.patterns.shape[1]

    @property
    def input_shape(self):
        return (self.dim,)

    def _check(self, x, name):
        check_states(x, self.dim, name, binary=False)
        return jnp.asarray(x, self.patterns.dtype)

    def init_state(self, key=None) -> ModernState:
        """The cue (:meth:`with_cue`), or zeros."""
        return ModernState(jnp.zeros((self.dim,), self.patterns.dtype) if self.cue is None else self.cue)

    def step(self, state: ModernState, t, dt, drive, key):
        """One update of every query (chunked). Returns ``(state, {})``."""
        state = check_no_drive(self, state, drive(t))
        xi = state.xi.reshape(-1, self.dim)
        new = _chunked(lambda q: _step(self.patterns, self.beta, q), xi, self.chunk_size)
        return ModernState(new.reshape(state.xi.shape)), {}

    def read(self, state: ModernState, name: str):
        if name == "energy":
            return self.energy(state.xi)
        return super().read(state, name)

    def attention(self, queries) -> Array:
        r"""Weights :math:`p = \operatorname{softmax}(\beta X\xi)` over the stored patterns, shape ``(..., P)``."""
        q = self._check(queries, "queries")
        return jax.nn.softmax(self.beta * (q @ self.patterns.T), axis=-1)

    def retrieve(self, queries, steps: int = 1, *, chunk_size: int | None = None) -> Array:
        r"""Apply the update :math:`\xi \leftarrow X^\top\operatorname{softmax}(\beta X\xi)` ``steps`` times.

        The plain, unprojected update, batched over queries: :meth:`step` ``steps`` times,
        as ``simulate(net.with_cue(queries), duration=steps, dt=1)`` runs it.

        Args:
            queries: state(s) :math:`\xi`, shape ``(d,)`` or ``(..., d)``.
            steps: number of updates (static).
            chunk_size: queries per chunk (default: the network's, 1024); the
                ``(chunk, P)`` score matrix is the largest temporary (memory only,
                results do not depend on it).

        Returns:
            the updated states, same shape as ``queries``.
        """
        if not (isinstance(steps, (int, np.integer)) and steps >= 0):
            raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
        q = self._check(queries, "queries")
        net = self if chunk_size is None else self.replace(chunk_size=chunk_size)
        return _retrieve(net, q, int(steps))

    def energy(self, xi) -> Array:
        r"""Energy :math:`E(\xi)` (see the module docstring), batched over leading axes."""
        x = self._check(xi, "xi")
        lse = jax.nn.logsumexp(self.beta * (x @ self.patterns.T), axis=-1) / self.beta
        m2 = jnp.max(jnp.sum(self.patterns**2, -1))
        return -lse + 0.5 * jnp.sum(x * x, -1) + jnp.log(self.n_patterns) / self.beta + 0.5 * m2

    def fixed_point(self, queries, max_steps: int = 100, tol: float = 1e-6):
        """Iterate the update until the largest change is below ``tol`` (or ``max_steps``).

        Returns ``(states, n_steps)``; ``n_steps`` per query.
        """
        q = self._check(queries, "queries")
        shape = q.shape
        x, k = _fixed_point(self.patterns, self.beta, q.reshape(-1, self.dim), int(max_steps), float(tol))
        return x.reshape(shape), k.reshape(shape[:-1])

    def separation(self) -> Array:
        r"""Separation :math:`\Delta_i = x_i\cdot x_i - \max_{j\ne i} x_i\cdot x_j` of each stored pattern, shape ``(P,)``.

        For a single stored pattern the separation is :math:`x_1\cdot x_1`.
        """
        g = self.patterns @ self.patterns.T
        self_sim = jnp.diagonal(g)
        if self.n_patterns == 1:
            return self_sim
        others = jnp.where(jnp.eye(self.n_patterns, dtype=bool), -jnp.inf, g)
        return self_sim - jnp.max(others, -1)

    def separation_threshold(self) -> Array:
        r"""The separation above which pattern :math:`i` is *well separated* (Ramsauer et al. 2020, Theorem 3).

        .. math:: \Delta_{\min} = \frac{2}{\beta P} + \frac1\beta\log\!\left(2 (P-1) P \beta M^2\right)

        A pattern with :math:`\Delta_i \ge \Delta_{\min}` has a fixed point near it, reached in
        one update from its neighbourhood with exponentially small error.
        """
        p = self.n_patterns
        m2 = jnp.max(jnp.sum(self.patterns**2, -1))
        return 2.0 / (self.beta * p) + jnp.log(2.0 * max(p - 1, 1) * p * self.beta * m2) / self.beta

    def well_separated(self) -> Array:
        """Boolean ``(P,)``: patterns whose separation exceeds :meth:`separation_threshold`."""
        return self.separation() >= self.separation_threshold()

    def metastable_size(self, queries, steps: int = 100) -> Array:
        r"""Effective number of stored patterns mixed in the state reached from ``queries``.

        After ``steps`` updates, :math:`1/\sum_\mu p_\mu^2` of the attention weights: 1 at
        a single-pattern fixed point, :math:`P` at the global average (the metastable
        state of small :math:`\beta`). Shape: the leading axes of ``queries``.
        """
        x = self.retrieve(queries, steps)
        p = self.attention(x)
        return 1.0 / jnp.sum(p * p, -1)


@jax.jit
def _step(patterns, beta, q):
    return jax.nn.softmax(beta * (q @ patterns.T), axis=-1) @ patterns


def _check_chunk(chunk_size) -> None:
    if not (isinstance(chunk_size, (int, np.integer)) and chunk_size >= 1):
        raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")


@eqx.filter_jit
def _retrieve(model: ModernHopfield, q, steps):
    def update(_, state):
        return model.step(state, 0.0, 1.0, no_drive, None)[0]

    return jax.lax.fori_loop(0, steps, update, ModernState(q)).xi


@eqx.filter_jit
def _fixed_point(patterns, beta, q, max_steps, tol):
    def cond(c):
        k, x, done, nk = c
        return (k < max_steps) & ~jnp.all(done)

    def body(c):
        k, x, done, nk = c
        new = _step(patterns, beta, x)
        delta = jnp.max(jnp.abs(new - x), -1)
        new = jnp.where(done[:, None], x, new)
        nk = nk + ~done
        return k + 1, new, done | (delta < tol), nk

    b = q.shape[0]
    _, x, _, nk = jax.lax.while_loop(
        cond, body, (jnp.int32(0), q, jnp.zeros((b,), bool), jnp.zeros((b,), jnp.int32))
    )
    return x, nk


class ModernHopfieldLayer(eqx.Module):
    r"""Hopfield retrieval as a trainable layer (use inside any equinox/JAX model).

    Queries :math:`R` (``(L, d_q)``) retrieve from stored patterns :math:`Y` (``(S, d_y)``):

    .. math:: Z = \operatorname{softmax}\!\big(\beta\, (R W_Q)(Y W_K)^\top\big)\, Y W_V

    applied ``steps`` times to the query state (the first step maps queries into the
    key space; later steps update in the key space when ``d_out == d_k``). Gradients
    flow to the projections, to ``beta`` (when ``learn_beta``) and to the inputs.

    Args:
        d_query, d_stored, d_key, d_out: feature sizes.
        beta: initial inverse temperature (> 0); default :math:`1/\sqrt{d_k}`.
        steps: number of retrieval updates (static, >= 1).
        learn_beta: make ``beta`` trainable (stored as log beta).
        key: ``jax.random`` key for the projection weights.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from neurodyn.memory import ModernHopfieldLayer
        >>> layer = ModernHopfieldLayer(16, 32, 8, 4, key=jax.random.key(0))
        >>> layer(jnp.ones((5, 16)), jnp.ones((10, 32))).shape
        (5, 4)
    """

    w_q: eqx.nn.Linear
    w_k: eqx.nn.Linear
    w_v: eqx.nn.Linear
    log_beta: Float[Array, ""]
    steps: int = eqx.field(static=True)
    learn_beta: bool = eqx.field(static=True)

    def __init__(self, d_query, d_stored, d_key, d_out, *, beta=None, steps=1, learn_beta=False, key):
        for name, v in (("d_query", d_query), ("d_stored", d_stored), ("d_key", d_key), ("d_out", d_out)):
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if not (isinstance(steps, (int, np.integer)) and steps >= 1):
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        beta = 1.0 / math.sqrt(d_key) if beta is None else beta
        check_positive("beta", beta, scalar=True)
        kq, kk, kv = jax.random.split(key, 3)
        self.w_q = eqx.nn.Linear(d_query, d_key, use_bias=False, key=kq)
        self.w_k = eqx.nn.Linear(d_stored, d_key, use_bias=False, key=kk)
        self.w_v = eqx.nn.Linear(d_stored, d_out, use_bias=False, key=kv)
        self.log_beta = jnp.log(jnp.asarray(beta, jnp.result_type(float)))
        self.steps = int(steps)
        self.learn_beta = bool(learn_beta)

    @property
    def beta(self) -> Array:
        lb = self.log_beta if self.learn_beta else jax.lax.stop_gradient(self.log_beta)
        return jnp.exp(lb)

    def __call__(self, queries, stored) -> Array:
        """``queries`` ``(L, d_query)``, ``stored`` ``(S, d_stored)`` -> ``(L, d_out)``."""
        q = jax.vmap(self.w_q)(queries)
        k = jax.vmap(self.w_k)(stored)
        v = jax.vmap(self.w_v)(stored)
        beta = self.beta
        for _ in range(self.steps - 1):
            # refine the query state in key space (Hopfield updates with values = keys)
            q = jax.nn.softmax(beta * q @ k.T, -1) @ k
        return jax.nn.softmax(beta * q @ k.T, -1) @ v
