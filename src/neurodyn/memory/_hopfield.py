r"""The classical Hopfield network: ±1 units, pairwise (Ising) energy.

Storage rules, thresholds, the energy, and synchronous or asynchronous sweeps (zero
temperature or Glauber dynamics), batched over cues. The network is a map of the
engine: one ``simulate`` step is one sweep; ``recall`` runs the same step in a
``jax.lax.while_loop`` that stops at fixed points.

Asynchronous sweeps are computed in blocks of ``block_size`` units: the local
fields of a block are computed with one matrix product against the current
states of the whole batch, then the units of the block are updated one after
the other, each field corrected for the flips made earlier in the same block.
This is exactly sequential (one unit at a time) asynchronous dynamics, but its
arithmetic is a sequence of matrix products, so a batch of 10,000 cues runs at
matrix-multiply speed instead of one matrix-vector product per unit update.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from .._params import check_choice
from ..engine import AbstractMap
from ..engine._simulate import step_key
from ._validate import check_no_drive, check_patterns, check_states, is_concrete

_RULES = ("hebbian", "pseudo_inverse", "storkey")


def _hebbian(patterns: Array) -> Array:
    n = patterns.shape[1]
    return patterns.T @ patterns / n


def _pseudo_inverse(patterns: Array) -> Array:
    # the projector onto the span of the patterns: W = X^+ X (X is (P, N))
    return jnp.linalg.pinv(patterns) @ patterns


def _storkey(patterns: Array) -> Array:
    r"""Storkey (1997) incremental rule, one pattern at a time.

    .. math:: w_{ij} \leftarrow w_{ij} + \tfrac1N\left(\xi_i\xi_j - \xi_i h_{ji} - h_{ij}\xi_j\right),
              \quad h_{ij} = \sum_{k\ne i,j} w_{ik}\xi_k
    """
    n = patterns.shape[1]

    def add(w, xi):
        h = w @ xi  # h_i = sum_k w_ik xi_k (zero diagonal)
        # h_ij = h_i - w_ij xi_j (k != j removed; k != i is the zero diagonal)
        h_ij = h[:, None] - w * xi[None, :]
        dw = (jnp.outer(xi, xi) - xi[:, None] * h_ij.T - h_ij * xi[None, :]) / n
        w = w + dw
        w = 0.5 * (w + w.T)
        return w - jnp.diag(jnp.diag(w)), None

    w0 = jnp.zeros((n, n), patterns.dtype)
    w, _ = jax.lax.scan(add, w0, patterns)
    return w


class MemoryState(eqx.Module):
    """State of a binary associative memory (:class:`Hopfield`, :class:`DenseAssociativeMemory`).

    Leading batch axes (one per cue) are shared by every field.

    Attributes:
        s: unit states, ±1, shape ``(..., N)``.
        energy: energy of ``s``, shape ``(...)``. Asynchronous Hopfield sweeps carry it
            from the cue's energy by the exact change of every flip, so it never rises
            under zero-temperature updates; other updates recompute it.
        flips: units changed by the last sweep, shape ``(...)`` (-1 before the first
            sweep). At zero temperature a cue with 0 is at a fixed point.
        h: local fields :math:`W s - \\theta` of ``s`` (synchronous Hopfield only, else
            None): carried so that a synchronous sweep costs one matrix product.
    """

    s: Float[Array, "... n"]
    energy: Float[Array, "..."]
    flips: Int[Array, "..."]
    h: Float[Array, "... n"] | None = None


class RecallResult(eqx.Module):
    """What :meth:`Hopfield.recall` returns (leading batch axes follow the cue).

    Attributes:
        state: final state, ±1, shape ``(..., N)``.
        overlaps: overlaps :math:`m_\\mu = \\xi_\\mu \\cdot s / N` of the final state with
            every stored pattern, shape ``(..., P)``.
        sweeps: number of sweeps that changed the state (0 for a cue that is already
            a fixed point), shape ``(...)``.
        energy: energy after each sweep, shape ``(..., max_sweeps + 1)``; entry 0 is
            the cue's energy; entries after the run stopped repeat the final value.
        fixed_point: the last sweep changed nothing, shape ``(...)``.
        two_cycle: (synchronous mode) the state alternates between two states,
            shape ``(...)``; always False for asynchronous updates.
        overlap_trace: overlaps after each sweep, shape ``(..., max_sweeps + 1, P)``,
            or None unless ``record_overlaps=True``.
    """

    state: Float[Array, "... n"]
    overlaps: Float[Array, "... p"]
    sweeps: Int[Array, "..."]
    energy: Float[Array, "... s"]
    fixed_point: Bool[Array, "..."]
    two_cycle: Bool[Array, "..."]
    overlap_trace: Float[Array, "... s p"] | None = None


def check_options(mode, order, block_size=None) -> None:
    """The sweep options shared by the binary memories."""
    check_choice("mode", mode, ("async", "sync"))
    check_choice("order", order, ("random", "sequential"))
    if block_size is not None and not (isinstance(block_size, (int, np.integer)) and block_size >= 1):
        raise ValueError(f"block_size must be None or an integer >= 1, got {block_size!r}")


def check_max_sweeps(max_sweeps) -> None:
    if not (isinstance(max_sweeps, (int, np.integer)) and max_sweeps >= 1):
        raise ValueError(f"max_sweeps must be an integer >= 1, got {max_sweeps!r}")


def with_fields(module, **changes):
    """A copy of ``module`` with some fields replaced as they are (static ones included);
    callers validate the values."""
    new = object.__new__(type(module))
    for f in dataclasses.fields(module):
        object.__setattr__(new, f.name, changes.get(f.name, getattr(module, f.name)))
    return new


def check_replaceable(module, changes: dict, allowed: tuple) -> None:
    """``replace`` of a memory changes its options and cue, never what it stores."""
    unknown = [k for k in changes if k not in allowed]
    if unknown:
        raise TypeError(
            f"{type(module).__name__}.replace cannot change {unknown[0]!r} (build a new network); "
            f"expected one of {', '.join(allowed)}"
        )


def random_state(key, n: int, dtype) -> Array:
    """A random ±1 state of ``n`` units (the start of a memory without a cue)."""
    key = jax.random.key(0) if key is None else key
    return jnp.where(jax.random.bernoulli(key, 0.5, (n,)), 1.0, -1.0).astype(dtype)


class Hopfield(AbstractMap):
    r"""Classical Hopfield network of ±1 units.

    Energy (Ising form) and update:

    .. math::
        E(s) = -\tfrac12 \sum_{ij} w_{ij} s_i s_j + \sum_i \theta_i s_i, \qquad
        s_i \leftarrow \operatorname{sign}\Big(\sum_j w_{ij} s_j - \theta_i\Big)

    (a zero field keeps the current state). At temperature :math:`T > 0` the update
    is Glauber's: :math:`P(s_i = +1) = 1 / (1 + e^{-2 h_i / T})`.

    Storage rules for patterns :math:`\xi^\mu \in \{-1, +1\}^N`, :math:`\mu = 1..P`:

    - ``"hebbian"``: :math:`w_{ij} = \frac1N \sum_\mu \xi^\mu_i \xi^\mu_j`;
    - ``"pseudo_inverse"`` (projection rule): :math:`W = \Xi^+ \Xi`, the projector
      onto the span of the patterns;
    - ``"storkey"``: Storkey's (1997) incremental local rule.

    The diagonal is set to zero (``zero_diagonal=True``), which keeps every rule's
    patterns stable below its capacity and makes the energy a Lyapunov function of
    asynchronous dynamics (it needs symmetric weights with :math:`w_{ii} \ge 0`).

    **A map of the engine.** ``neurodyn.simulate`` runs the network: one step is one
    sweep (``mode="async"``: every unit once, one at a time, in a fresh random order per
    sweep or ``0..N-1``; ``mode="sync"``: all units at once), so use ``dt=1`` and ``t``
    counts sweeps. The cue is the initial state (:meth:`with_cue`; without one, a random
    state drawn from the key). A batch of cues ``(B, N)`` is one state: the cues share
    each sweep's unit order, and their fields come from matrix products over the batch
    (``jax.vmap`` over ``simulate`` also works, one batch per run). Recordable: ``"s"``,
    ``"energy"``, ``"overlaps"`` (with the stored patterns), ``"h"`` (synchronous mode).
    The sweep's randomness (order, Glauber noise) comes from the key ``simulate`` hands
    to each step, so runs are reproducible and independent of chunking. The network
    takes no ``inputs``.

    Args:
        patterns: stored patterns, ±1, shape ``(P, N)``.
        rule: ``"hebbian"``, ``"pseudo_inverse"`` or ``"storkey"``.
        thresholds: :math:`\theta`, scalar or shape ``(N,)`` (dimensionless).
        zero_diagonal: set :math:`w_{ii} = 0`.
        weights: give the weights directly (symmetric ``(N, N)``) instead of a rule;
            ``patterns`` are then optional and only used for overlaps.
        mode: ``"async"`` or ``"sync"`` sweeps.
        order: asynchronous order: ``"random"`` (a permutation per sweep) or ``"sequential"``.
        temperature: Glauber temperature :math:`T` (0: deterministic sign updates).
        block_size: units per block of the asynchronous algorithm (speed only).
        cue: initial state, ±1, ``(N,)`` or a batch ``(..., N)`` (see :meth:`with_cue`).

    Example:
        >>> import jax, jax.numpy as jnp, neurodyn as nd
        >>> from neurodyn.memory import Hopfield, random_patterns, corrupt
        >>> xi = random_patterns(jax.random.key(0), 20, 200)
        >>> net = Hopfield(xi)
        >>> cue = corrupt(jax.random.key(1), xi[3], 0.2)
        >>> out = net.recall(cue, mode="async", key=jax.random.key(2))
        >>> float(out.overlaps[3]) > 0.99
        True
        >>> res = nd.simulate(net.with_cue(cue), duration=5, dt=1, key=jax.random.key(2),
        ...                   record=["energy", "overlaps"], progress=False)
        >>> res.traces["overlaps"].shape
        (5, 20)
    """

    weights: Float[Array, "n n"]
    thresholds: Float[Array, " n"]
    patterns: Float[Array, "p n"]
    temperature: Float[Array, ""]
    cue: Float[Array, "... n"] | None
    rule: str = eqx.field(static=True)
    mode: str = eqx.field(static=True)
    order: str = eqx.field(static=True)
    glauber: bool = eqx.field(static=True)
    block_size: int | None = eqx.field(static=True)

    def __init__(
        self,
        patterns=None,
        rule: Literal["hebbian", "pseudo_inverse", "storkey"] = "hebbian",
        thresholds=0.0,
        *,
        zero_diagonal: bool = True,
        weights=None,
        mode: Literal["async", "sync"] = "async",
        order: Literal["random", "sequential"] = "random",
        temperature=0.0,
        block_size: int | None = None,
        cue=None,
    ):
        if weights is None:
            if patterns is None:
                raise ValueError("patterns must be given (shape (n_patterns, n_units)), got None")
            check_patterns(patterns, binary=True)
            check_choice("rule", rule, _RULES)
            xi = jnp.asarray(patterns, dtype=jnp.result_type(float))
            w = {"hebbian": _hebbian, "pseudo_inverse": _pseudo_inverse, "storkey": _storkey}[
                rule
            ](xi)
        else:
            w = jnp.asarray(weights, dtype=jnp.result_type(float))
            if w.ndim != 2 or w.shape[0] != w.shape[1]:
                raise ValueError(f"weights must be a square (N, N) array, got shape {w.shape}")
            if is_concrete(w) and not np.allclose(np.asarray(w), np.asarray(w).T, atol=1e-6):
                raise ValueError("weights must be symmetric (w_ij == w_ji), got an asymmetric matrix")
            if patterns is None:
                xi = jnp.zeros((0, w.shape[0]), w.dtype)
            else:
                check_patterns(patterns, binary=True)
                xi = jnp.asarray(patterns, dtype=w.dtype)
                if xi.shape[1] != w.shape[0]:
                    raise ValueError(
                        f"patterns must have {w.shape[0]} units to match weights, got shape {xi.shape}"
                    )
            rule = "weights"
        n = w.shape[0]
        if zero_diagonal:
            w = w * (1.0 - jnp.eye(n, dtype=w.dtype))
        th = jnp.asarray(thresholds, dtype=w.dtype)
        if th.ndim == 0:
            th = jnp.full((n,), th)
        if th.shape != (n,):
            raise ValueError(f"thresholds must be a scalar or shape ({n},), got shape {th.shape}")
        check_options(mode, order, block_size)
        self.weights = w
        self.thresholds = th
        self.patterns = xi
        self.rule = rule
        self.mode, self.order, self.block_size = mode, order, block_size
        self.temperature, self.glauber = _temperature(temperature, w.dtype)
        self.cue = None if cue is None else _cue(cue, n, w.dtype)

    @classmethod
    def from_weights(cls, weights, thresholds=0.0, patterns=None, *, zero_diagonal: bool = False, **options):
        """A network with given symmetric weights (diagonal kept unless ``zero_diagonal``);
        ``options``: ``mode``, ``order``, ``temperature``, ``block_size``, ``cue``."""
        return cls(patterns, thresholds=thresholds, weights=weights, zero_diagonal=zero_diagonal, **options)

    def replace(self, **changes) -> "Hopfield":
        """A copy with other sweep options or cue (``mode``, ``order``, ``temperature``,
        ``block_size``, ``cue``) or ``thresholds``, validated like the constructor's."""
        check_replaceable(self, changes, ("mode", "order", "temperature", "block_size", "cue", "thresholds"))
        opts = {k: changes.get(k, getattr(self, k)) for k in ("mode", "order", "block_size")}
        check_options(**opts)
        if "temperature" in changes:
            opts["temperature"], opts["glauber"] = _temperature(changes["temperature"], self.weights.dtype)
        if "cue" in changes:
            opts["cue"] = None if changes["cue"] is None else _cue(changes["cue"], self.n, self.weights.dtype)
        if "thresholds" in changes:
            th = jnp.asarray(changes["thresholds"], self.weights.dtype)
            th = jnp.full((self.n,), th) if th.ndim == 0 else th
            if th.shape != (self.n,):
                raise ValueError(f"thresholds must be a scalar or shape ({self.n},), got shape {th.shape}")
            opts["thresholds"] = th
        return with_fields(self, **opts)

    def with_cue(self, cue) -> "Hopfield":
        """A copy that starts from ``cue`` (±1, ``(N,)`` or a batch ``(..., N)``) in ``simulate``."""
        return self.replace(cue=cue)

    @property
    def n(self) -> int:
        """Number of units N."""
        return self.weights.shape[0]

    @property
    def n_patterns(self) -> int:
        """Number of stored patterns P."""
        return self.patterns.shape[0]

    @property
    def input_shape(self):
        return (self.n,)

    def local_field(self, s) -> Array:
        r"""Local fields :math:`h_i = \sum_j w_{ij} s_j - \theta_i`, shape of ``s``."""
        check_states(s, self.n, "s", binary=False)
        return jnp.asarray(s, self.weights.dtype) @ self.weights.T - self.thresholds

    def energy(self, s) -> Array:
        r"""Energy :math:`E(s) = -\frac12 s^\top W s + \theta^\top s`; batched over leading axes."""
        check_states(s, self.n, "s", binary=False)
        s = jnp.asarray(s, self.weights.dtype)
        return -0.5 * jnp.sum((s @ self.weights.T) * s, -1) + s @ self.thresholds

    def overlaps(self, s) -> Array:
        r"""Overlaps :math:`m_\mu = \frac1N \xi^\mu\cdot s` with every stored pattern, shape ``(..., P)``."""
        check_states(s, self.n, "s", binary=False)
        return jnp.asarray(s, self.weights.dtype) @ self.patterns.T / self.n

    def update_unit(self, s, i, *, key=None, temperature: float = 0.0) -> Array:
        """One asynchronous update of unit ``i`` of a single state ``s`` (N,)."""
        check_states(s, self.n, "s", binary=True)
        s = jnp.asarray(s, self.weights.dtype)
        h = self.weights[i] @ s - self.thresholds[i]
        if temperature > 0:
            if key is None:
                raise ValueError("key must be a jax.random key when temperature > 0, got None")
            new = jnp.where(jax.random.uniform(key) < jax.nn.sigmoid(2 * h / temperature), 1.0, -1.0)
        else:
            new = _glauber_or_sign(h, s[i], None, 0.0, _tie_tolerance(self.weights, self.thresholds)[i])
        return s.at[i].set(new.astype(s.dtype))

    # -- the map ------------------------------------------------------------
    def init_state(self, key=None) -> MemoryState:
        """The cue (:meth:`with_cue`), or a random ±1 state drawn from ``key``; its energy
        (and its fields in synchronous mode) from one matrix product."""
        s = random_state(key, self.n, self.weights.dtype) if self.cue is None else self.cue
        flips = jnp.full(s.shape[:-1], -1, jnp.int32)
        theta = self.thresholds
        if self.mode == "async" and self.rule == "hebbian":
            # W = X^T X / N - diag(c), c_i = P/N - w_ii: s^T W s = |X s|^2 / N - sum_i c_i for
            # s = ±1, a product with the P patterns instead of the N x N weights
            c = self.n_patterns / self.n - jnp.diagonal(self.weights)
            m = s @ self.patterns.T
            energy = -0.5 * (jnp.sum(m * m, -1) / self.n - jnp.sum(c)) + s @ theta
            return MemoryState(s, energy, flips, None)
        h = s @ self.weights.T - theta
        energy = -0.5 * jnp.sum(s * (h + theta), -1) + s @ theta
        return MemoryState(s, energy, flips, h if self.mode == "sync" else None)

    def step(self, state: MemoryState, t, dt, drive, key):
        """One sweep (any ``dt``: a step is a sweep). Returns ``(state, {})``."""
        state = check_no_drive(self, state, drive(t))
        batch = state.s.shape[:-1]
        flat = jax.tree.map(lambda a: a.reshape((-1,) + a.shape[len(batch):]), state)
        new = self._sync_sweep(flat, key) if self.mode == "sync" else self._async_step(flat, key)
        return jax.tree.map(lambda a: a.reshape(batch + a.shape[1:]), new), {}

    def read(self, state: MemoryState, name: str):
        if name == "overlaps":
            return state.s @ self.patterns.T / self.n
        if name == "h" and state.h is None:
            raise ValueError("record: 'h' (local fields) is carried in synchronous mode only (mode='sync')")
        return super().read(state, name)

    def _sync_sweep(self, state: MemoryState, key) -> MemoryState:
        w, theta = self.weights, self.thresholds
        s, h = state.s, state.h
        u = jax.random.uniform(key, s.shape, s.dtype) if self.glauber else None
        new = _glauber_or_sign(h, s, u, self.temperature, _tie_tolerance(w, theta))
        hn = new @ w.T - theta
        energy = -0.5 * jnp.sum(new * (hn + theta), -1) + new @ theta
        return MemoryState(new, energy, jnp.sum(new != s, -1, dtype=jnp.int32), hn)

    def _async_step(self, state: MemoryState, key) -> MemoryState:
        # At zero temperature a cue whose last sweep flipped nothing sits at a fixed point
        # and is left alone (the sweep would change nothing): the sweep runs on the
        # still-moving cues only, gathered into the smallest of a few static batch sizes
        # (a lax.switch over compiled sizes, factor 4 apart).
        s = state.s
        b = s.shape[0]
        k = self.block_size or _default_block(self.n)

        def sweep(x):
            return _async_sweep(self.weights, self.thresholds, x, key, self.temperature, self.glauber,
                                self.order == "random", int(k))

        sizes = [b]
        while not self.glauber and sizes[-1] > _BUCKETS * _MIN_BUCKET:
            sizes.append(-(-sizes[-1] // _BUCKETS))
        if len(sizes) == 1:
            s_new, de, flips = sweep(s)
        else:
            moving = state.flips != 0
            order = jnp.argsort(~moving, stable=True)  # moving cues first
            branch = jnp.sum(jnp.asarray(sizes) >= jnp.sum(moving)) - 1

            def run(m):
                def f(s):
                    if m == b:
                        return sweep(s)
                    idx = order[:m]
                    sub, de_m, fl_m = sweep(s[idx])
                    return (s.at[idx].set(sub), jnp.zeros((b,), s.dtype).at[idx].set(de_m),
                            jnp.zeros((b,), jnp.int32).at[idx].set(fl_m))

                return f

            s_new, de, flips = jax.lax.switch(branch, [run(m) for m in sizes], s)
        return MemoryState(s_new, state.energy + de, flips, None)

    # -- recall -------------------------------------------------------------
    def recall(
        self,
        cue,
        mode: Literal["async", "sync"] | None = None,
        key=None,
        max_sweeps: int = 100,
        *,
        order: Literal["random", "sequential"] | None = None,
        temperature: float | None = None,
        record_overlaps: bool = False,
        block_size: int | None = None,
    ) -> RecallResult:
        """Run the network from ``cue`` until a fixed point (or 2-cycle) or ``max_sweeps``.

        The sweeps are this network's :meth:`step`; ``recall(cue, key=k, max_sweeps=m)``
        equals ``simulate(net.with_cue(cue), duration=m, dt=1, key=k)`` bit for bit (it
        only stops once nothing moves any more).

        Args:
            cue: ±1 initial state, shape ``(N,)`` or a batch ``(B, N)`` (any leading axes).
            mode: ``"async"`` (one unit at a time; a sweep updates every unit once) or
                ``"sync"`` (all units at once); default: the network's.
            key: ``jax.random`` key; needed for ``order="random"`` and ``temperature > 0``.
                In a batch, the cues share the unit order of each sweep (their noise is
                independent).
            max_sweeps: the largest number of sweeps (static).
            order: asynchronous order, a fresh random permutation per sweep or ``0..N-1``;
                default: the network's.
            temperature: Glauber temperature :math:`T` (0 = deterministic sign updates);
                default: the network's. With :math:`T > 0` the run always lasts
                ``max_sweeps`` sweeps.
            record_overlaps: also return the overlaps after each sweep.
            block_size: units per block of the asynchronous algorithm (speed only).

        Returns:
            :class:`RecallResult`.
        """
        changes = {k: v for k, v in dict(mode=mode, order=order, temperature=temperature,
                                         block_size=block_size).items() if v is not None}
        if temperature is not None and is_concrete(temperature) and temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature!r}")
        net = self.replace(**changes) if changes else self
        check_states(cue, net.n, "cue", binary=True)
        check_max_sweeps(max_sweeps)
        if key is None and (net.glauber or (net.mode == "async" and net.order == "random")):
            raise ValueError(
                "key must be a jax.random key for random asynchronous order or temperature > 0, got None"
            )
        return recall_loop(net, cue, key, max_sweeps, record_overlaps)

    def continuous(self, tau: float = 10.0, gain: float = 1.0, u0=None):
        """The graded-response (continuous-time) network with these weights and thresholds.

        See :class:`neurodyn.memory.ContinuousHopfield`.
        """
        from ._continuous import ContinuousHopfield

        return ContinuousHopfield(self.weights, tau=tau, gain=gain, bias=-self.thresholds, u0=u0)


def _temperature(value, dtype):
    """(temperature array, Glauber flag): T > 0 selects the compiled Glauber variant;
    a traced T counts as > 0."""
    if is_concrete(value):
        v = np.asarray(value)
        if v.ndim != 0 or not np.isfinite(v) or v < 0:
            raise ValueError(f"temperature must be a finite number >= 0, got {value!r}")
        return jnp.asarray(value, dtype), bool(v > 0)
    return jnp.asarray(value, dtype), True


def _cue(cue, n, dtype):
    check_states(cue, n, "cue", binary=True)
    return jnp.asarray(cue, dtype)


def recall_loop(model, cue, key, max_sweeps: int, record_overlaps: bool) -> RecallResult:
    """``model.step`` from ``cue`` in a ``while_loop`` that stops when every cue sits at a
    fixed point (or, synchronous, in a 2-cycle), or after ``max_sweeps`` sweeps; the keys
    are ``simulate``'s (:func:`neurodyn.engine._simulate.step_key`)."""
    key = jax.random.key(0) if key is None else key
    dtype = model.patterns.dtype
    cue = jnp.asarray(cue, dtype)
    batch = cue.shape[:-1]
    out = _recall_loop(model.replace(cue=cue.reshape(-1, cue.shape[-1])), key, int(max_sweeps),
                       bool(record_overlaps))
    return jax.tree.map(lambda a: a.reshape(batch + a.shape[1:]), out)


def no_drive(t):
    """The drive of a memory run outside ``simulate``: none."""
    return jnp.zeros((), jnp.result_type(float))


@functools.partial(eqx.filter_jit)
def _recall_loop(model, key, max_sweeps, record_overlaps):
    state = model.init_state(None)
    b = state.s.shape[0]
    p = model.patterns.shape[0]
    sync = model.mode == "sync"
    stochastic = getattr(model, "glauber", False)
    dt = state.s.dtype
    et = jnp.full((max_sweeps + 1, b), jnp.nan, dt).at[0].set(model.read(state, "energy"))
    ot = jnp.zeros((max_sweeps + 1, b, p), dt).at[0].set(model.read(state, "overlaps")) if record_overlaps else None

    def cond(c):
        t, st, prev, cyc, nsw, et, ot = c
        running = True if stochastic else ~jnp.all((st.flips == 0) | cyc)
        return (t < max_sweeps) & running

    def body(c):
        t, st, prev, cyc, nsw, et, ot = c
        new, _ = model.step(st, t, 1.0, no_drive, step_key(key, t))
        changed = new.flips > 0
        if sync:
            cyc = changed & jnp.all(new.s == prev, -1) & (t > 0)
        et = et.at[t + 1].set(model.read(new, "energy"))
        if ot is not None:
            ot = ot.at[t + 1].set(model.read(new, "overlaps"))
        return t + 1, new, st.s, cyc, nsw + changed, et, ot

    false = jnp.zeros((b,), bool)
    init = (jnp.int32(0), state, state.s, false, jnp.zeros((b,), jnp.int32), et, ot)
    t, st, _, cyc, nsw, et, ot = jax.lax.while_loop(cond, body, init)
    et = jnp.where(jnp.isnan(et), et[t][None, :], et)
    if ot is not None:
        later = jnp.arange(max_sweeps + 1)[:, None, None] > t
        ot = jnp.moveaxis(jnp.where(later, ot[t][None], ot), 0, 1)
    return RecallResult(
        state=st.s,
        overlaps=model.read(st, "overlaps"),
        sweeps=nsw,
        energy=et.T,
        fixed_point=st.flips == 0,
        two_cycle=cyc,
        overlap_trace=ot,
    )


def _default_block(n: int) -> int:
    return int(min(64, _SUB * -(-n // _SUB)))


_SUB = 8  # units per sub-block inside a block of the asynchronous algorithm
_MIN_BUCKET = 64  # smallest batch of still-moving cues swept on its own
_BUCKETS = 4  # ratio of consecutive batch sizes of still-moving cues


def _tie_tolerance(w, theta):
    """Fields smaller than this count as zero (keep the state).

    A field computed in floating point carries a rounding error of about
    sqrt(N) eps sum_j |w_ij|; without a tolerance an exact tie (common with Hebbian
    weights, whose fields are multiples of 1/N) would flip back and forth with the
    summation order and never converge.
    """
    n = w.shape[0]
    eps = jnp.finfo(w.dtype).eps
    return 4.0 * np.sqrt(n) * eps * (jnp.sum(jnp.abs(w), 1) + jnp.abs(theta))


def _glauber_or_sign(h, s, u, temperature, tol):
    if u is not None:  # Glauber dynamics
        return jnp.where(u < jax.nn.sigmoid(2.0 * h / temperature), 1.0, -1.0).astype(s.dtype)
    return jnp.where(h > tol, 1.0, jnp.where(h < -tol, -1.0, s)).astype(s.dtype)


def _async_sweep(w, theta, s0, key, temperature, glauber, random_order, k):
    """One asynchronous sweep of a batch ``s0`` (B, N): (new states, energy changes, flips).

    Blocks of ``k`` units: the fields of a block come from one matrix product with the
    current states of the whole batch; the units are then updated in sub-blocks of 8,
    each field corrected for the flips made earlier in its sub-block, and the block's
    fields are corrected after each sub-block by a small product.
    """
    n = w.shape[0]
    dt = w.dtype
    k2 = min(_SUB, k)
    k = k2 * -(-k // k2)
    nb = -(-n // k)
    npad = nb * k
    pad = npad - n
    key_order, key_noise = jax.random.split(key)
    if random_order:
        perm = jnp.concatenate([jax.random.permutation(key_order, n), jnp.arange(n, npad)])
    else:
        perm = jnp.arange(npad)
    # units x batch layout, in sweep order: a block of units is a contiguous slab of rows
    wp = jnp.pad(w, ((0, pad), (0, pad)))[perm][:, perm]
    thp = jnp.pad(theta, (0, pad))[perm]
    tolp = jnp.pad(_tie_tolerance(w, theta), (0, pad))[perm]
    vp = (jnp.arange(npad) < n)[perm]
    dgp = jnp.diagonal(wp)
    sp = jnp.pad(s0.T, ((0, pad), (0, 0)), constant_values=1.0)[perm]
    bs = s0.shape[0]
    u_all = jax.random.uniform(key_noise, (npad, bs), dt) if glauber else None

    def block(i, carry):
        # units start .. start+k: fields of the block from the current states (one
        # matrix product), then sequential updates in sub-blocks of k2 units; after a
        # sub-block the fields of the whole block are corrected by another product.
        sp, de, flips = carry
        start = i * k
        sl = lambda a: jax.lax.dynamic_slice_in_dim(a, start, k, 0)  # noqa: E731
        rows = sl(wp)  # (k, npad)
        wbb = jax.lax.dynamic_slice_in_dim(rows, start, k, 1)  # (k, k)
        hb = rows @ sp - sl(thp)[:, None]  # (k, b)
        sb, vb, db, tb = sl(sp), sl(vp), sl(dgp), sl(tolp)
        ub = None if u_all is None else sl(u_all)

        def sub_block(m, c):
            hb, sb, de, flips = c
            lo = m * k2
            sub = lambda a: jax.lax.dynamic_slice_in_dim(a, lo, k2, 0)  # noqa: E731
            hs0, s_old, v_s, d_s, t_s = sub(hb), sub(sb), sub(vb), sub(db), sub(tb)
            u_s = None if ub is None else sub(ub)
            w_cols = jax.lax.dynamic_slice_in_dim(wbb, lo, k2, 1)  # (k, k2)
            w_ss = sub(w_cols)  # (k2, k2)
            ds, hs = [], []
            for j in range(k2):
                # the field of unit j, corrected for the flips made earlier in
                # this sub-block; one fused elementwise kernel per unit
                h = hs0[j]
                for q, dq in enumerate(ds):
                    h = h + w_ss[j, q] * dq
                old = s_old[j]
                new = _glauber_or_sign(h, old, None if u_s is None else u_s[j], temperature, t_s[j])
                # materialise d_j and h_j: without the barrier XLA fuses the whole
                # dependent chain of a sub-block and recomputes it per unit
                d, h = jax.lax.optimization_barrier((jnp.where(v_s[j], new - old, 0.0), h))
                ds.append(d)
                hs.append(h)
            dm = jnp.stack(ds)  # (k2, b) changes of this sub-block
            # E(s + d e_j) - E(s) = -d h_j - w_jj d^2 / 2 (symmetric W)
            de = de - jnp.sum(dm * (jnp.stack(hs) + 0.5 * d_s[:, None] * dm), 0)
            flips = flips + jnp.sum(dm != 0, 0, dtype=jnp.int32)
            hb = hb + w_cols @ dm  # fields of the rest of the block
            sb = jax.lax.dynamic_update_slice_in_dim(sb, s_old + dm, lo, 0)
            return hb, sb, de, flips

        _, sb, de, flips = jax.lax.fori_loop(0, k // k2, sub_block, (hb, sb, de, flips))
        sp = jax.lax.dynamic_update_slice_in_dim(sp, sb, start, 0)
        return sp, de, flips

    zero = jnp.zeros((bs,), dt)
    sp, de, flips = jax.lax.fori_loop(0, nb, block, (sp, zero, jnp.zeros((bs,), jnp.int32)))
    return sp[jnp.argsort(perm)][:n].T, de, flips


def random_patterns(key, n_patterns: int, n_units: int, dtype=None) -> Array:
    """``n_patterns`` independent unbiased ±1 patterns of ``n_units`` units, shape ``(P, N)``."""
    dtype = dtype or jnp.result_type(float)
    return jnp.where(jax.random.bernoulli(key, 0.5, (n_patterns, n_units)), 1.0, -1.0).astype(dtype)


def corrupt(key, patterns, fraction: float) -> Array:
    """Flip each entry of ±1 ``patterns`` independently with probability ``fraction``."""
    patterns = jnp.asarray(patterns)
    flip = jax.random.bernoulli(key, fraction, patterns.shape)
    return jnp.where(flip, -patterns, patterns)


def flip_exact(key, patterns, n_flips: int) -> Array:
    """Flip exactly ``n_flips`` randomly chosen entries of each ±1 pattern (last axis)."""
    patterns = jnp.asarray(patterns)
    n = patterns.shape[-1]
    flat = patterns.reshape(-1, n)
    keys = jax.random.split(key, flat.shape[0])

    def one(k, x):
        idx = jax.random.permutation(k, n)[:n_flips]
        return x.at[idx].multiply(-1)

    return jax.vmap(one)(keys, flat).reshape(patterns.shape)
