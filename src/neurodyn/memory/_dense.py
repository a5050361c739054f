r"""Dense associative memories (Krotov & Hopfield 2016; Demircigil et al. 2017).

Binary units :math:`\sigma \in \{-1,+1\}^N`, patterns :math:`\xi^\mu`, energy

.. math:: E(\sigma) = -\sum_\mu F(\xi^\mu\cdot\sigma)

with the rectified polynomial :math:`F(x) = \max(x, 0)^n` (Krotov & Hopfield 2016,
"Dense associative memory for pattern recognition", NeurIPS) or the exponential
:math:`F(x) = e^{\beta x}` (Demircigil, Heusel, Löwe, Upgang & Vermet 2017, "On a model
of associative memory with huge storage capacity", J. Stat. Phys. 168). Unit
:math:`i` takes the sign that lowers the energy (Krotov & Hopfield, eq. 3):

.. math:: \sigma_i \leftarrow \operatorname{sign}\Big[\sum_\mu
    F\big(\xi^\mu_i + \textstyle\sum_{j\ne i}\xi^\mu_j\sigma_j\big)
    - F\big(-\xi^\mu_i + \textstyle\sum_{j\ne i}\xi^\mu_j\sigma_j\big)\Big].

The capacity grows as :math:`N^{n-1}` with the order :math:`n` (exponentially in
:math:`N` for the exponential).
"""

from __future__ import annotations

from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._params import check_choice, check_positive
from ..engine import AbstractMap
from ._hopfield import RecallResult, check_max_sweeps, check_options, check_replaceable, random_state, recall_loop, with_fields
from ._validate import check_no_drive, check_patterns, check_states


class DenseState(eqx.Module):
    """State of a :class:`DenseAssociativeMemory` (leading batch axes shared).

    Attributes:
        s: unit states, ±1, shape ``(..., N)``.
        flips: units changed by the last sweep, shape ``(...)`` (-1 before the first);
            0 at a fixed point.
    """

    s: Float[Array, "... n"]
    flips: Int[Array, "..."]


class DenseAssociativeMemory(AbstractMap):
    r"""Dense associative memory with interaction function ``F``.

    A map of the engine like :class:`neurodyn.memory.Hopfield`: one ``simulate`` step is
    one sweep (``dt=1``), from the cue (:meth:`with_cue`; else a random state from the
    key), a batch of cues ``(B, N)`` being one state; recordable ``"s"``, ``"energy"``,
    ``"log_neg_energy"``, ``"overlaps"``; no ``inputs``.

    Args:
        patterns: stored ±1 patterns, shape ``(P, N)``.
        F: ``"poly"`` (rectified polynomial :math:`\max(x,0)^n`), ``"exp"``
            (:math:`e^{\beta x}`), or an integer :math:`n` (shorthand for ``"poly"`` of
            that order). ``"poly"`` with ``n = 2`` is close to the classical network.
        n: order of the polynomial (>= 2).
        beta: scale of the exponential's argument (> 0, dimensionless).
        mode: ``"async"`` or ``"sync"`` sweeps.
        order: asynchronous order, ``"random"`` (a permutation per sweep) or ``"sequential"``.
        cue: initial state, ±1, ``(N,)`` or ``(..., N)``.

    Example:
        >>> import jax
        >>> from neurodyn.memory import DenseAssociativeMemory, random_patterns, corrupt
        >>> xi = random_patterns(jax.random.key(0), 40, 100)   # load 0.4: classical fails
        >>> dam = DenseAssociativeMemory(xi, F="poly", n=3)
        >>> out = dam.recall(corrupt(jax.random.key(1), xi[0], 0.1), key=jax.random.key(2))
        >>> float(out.overlaps[0])
        1.0
    """

    patterns: Float[Array, "p n"]
    beta: Float[Array, ""]
    cue: Float[Array, "... n"] | None
    F: str = eqx.field(static=True)
    n: int = eqx.field(static=True)
    mode: str = eqx.field(static=True)
    order: str = eqx.field(static=True)

    def __init__(self, patterns, F: Literal["poly", "exp"] | int = "poly", n: int = 3, beta=1.0, *,
                 mode: Literal["async", "sync"] = "async", order: Literal["random", "sequential"] = "random",
                 cue=None):
        check_patterns(patterns, binary=True)
        if isinstance(F, (int, np.integer)) and not isinstance(F, bool):
            F, n = "poly", int(F)
        check_choice("F", F, ("poly", "exp"))
        if F == "poly" and not (isinstance(n, (int, np.integer)) and n >= 1):
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        check_positive("beta", beta, scalar=True)
        check_options(mode, order)
        self.patterns = jnp.asarray(patterns, dtype=jnp.result_type(float))
        self.beta = jnp.asarray(beta, self.patterns.dtype)
        self.F = F
        self.n = int(n)
        self.mode, self.order = mode, order
        if cue is not None:
            check_states(cue, self.patterns.shape[1], "cue", binary=True)
            cue = jnp.asarray(cue, self.patterns.dtype)
        self.cue = cue

    def replace(self, **changes) -> "DenseAssociativeMemory":
        """A copy with other sweep options or cue (``mode``, ``order``, ``cue``)."""
        check_replaceable(self, changes, ("mode", "order", "cue"))
        check_options(changes.get("mode", self.mode), changes.get("order", self.order))
        if changes.get("cue") is not None:
            check_states(changes["cue"], self.n_units, "cue", binary=True)
            changes["cue"] = jnp.asarray(changes["cue"], self.patterns.dtype)
        return with_fields(self, **changes)

    def with_cue(self, cue) -> "DenseAssociativeMemory":
        """A copy that starts from ``cue`` (±1, ``(N,)`` or ``(..., N)``) in ``simulate``."""
        return self.replace(cue=cue)

    @property
    def n_units(self) -> int:
        return self.patterns.shape[1]

    @property
    def n_patterns(self) -> int:
        return self.patterns.shape[0]

    @property
    def input_shape(self):
        return (self.n_units,)

    def interaction(self, x) -> Array:
        """The interaction function F applied elementwise."""
        if self.F == "poly":
            return jnp.maximum(x, 0.0) ** self.n
        return jnp.exp(self.beta * x)

    def energy(self, s) -> Array:
        r""":math:`E(\sigma) = -\sum_\mu F(\xi^\mu\cdot\sigma)`, batched over leading axes.

        For ``F="exp"`` the value overflows float32 once :math:`\beta N \gtrsim 88`; use
        :meth:`log_neg_energy` there.
        """
        check_states(s, self.n_units, "s", binary=False)
        a = jnp.asarray(s, self.patterns.dtype) @ self.patterns.T
        return -jnp.sum(self.interaction(a), -1)

    def log_neg_energy(self, s) -> Array:
        r""":math:`\log(-E(\sigma))`, finite for any size (a monotone transform of the energy)."""
        check_states(s, self.n_units, "s", binary=False)
        a = jnp.asarray(s, self.patterns.dtype) @ self.patterns.T
        if self.F == "exp":
            return jax.nn.logsumexp(self.beta * a, -1)
        return jnp.log(jnp.sum(jnp.maximum(a, 0.0) ** self.n, -1))

    def overlaps(self, s) -> Array:
        check_states(s, self.n_units, "s", binary=False)
        return jnp.asarray(s, self.patterns.dtype) @ self.patterns.T / self.n_units

    # -- the map ------------------------------------------------------------
    def init_state(self, key=None) -> DenseState:
        """The cue (:meth:`with_cue`), or a random ±1 state drawn from ``key``."""
        s = random_state(key, self.n_units, self.patterns.dtype) if self.cue is None else self.cue
        return DenseState(s, jnp.full(s.shape[:-1], -1, jnp.int32))

    def read(self, state: DenseState, name: str):
        """``"energy"``, ``"log_neg_energy"`` and ``"overlaps"`` are computed from ``s``."""
        if name in ("energy", "log_neg_energy", "overlaps"):
            return getattr(self, name)(state.s)
        return super().read(state, name)

    def step(self, state: DenseState, t, dt, drive, key):
        """One sweep (any ``dt``: a step is a sweep). Returns ``(state, {})``."""
        state = check_no_drive(self, state, drive(t))
        batch = state.s.shape[:-1]
        s = state.s.reshape(-1, self.n_units)
        new = self._sync_sweep(s) if self.mode == "sync" else self._async_sweep(s, key)
        flips = jnp.sum(new != s, -1, dtype=jnp.int32)
        return DenseState(new.reshape(state.s.shape), flips.reshape(batch)), {}

    def _async_sweep(self, s, key):
        x = self.patterns  # (P, N)
        n = self.n_units
        perm = jax.random.permutation(key, n) if self.order == "random" else jnp.arange(n)
        a = s @ x.T  # (B, P)

        def unit(j, c):
            s, a = c
            i = perm[j]
            xi_i = x[:, i]
            s_i = s[:, i]
            r = a - s_i[:, None] * xi_i[None, :]
            new = self._decide(r, xi_i[None, :], s_i)
            a = a + (new - s_i)[:, None] * xi_i[None, :]
            return s.at[:, i].set(new), a

        s, _ = jax.lax.fori_loop(0, n, unit, (s, a))
        return s

    def _sync_sweep(self, s):
        x = self.patterns
        a = s @ x.T

        def one(i):
            xi_i = x[:, i]
            r = a - s[:, i][:, None] * xi_i[None, :]
            return self._decide(r, xi_i[None, :], s[:, i])

        return jax.lax.map(one, jnp.arange(self.n_units)).T

    def recall(
        self,
        cue,
        mode: Literal["async", "sync"] | None = None,
        key=None,
        max_sweeps: int = 100,
        *,
        order: Literal["random", "sequential"] | None = None,
    ) -> RecallResult:
        """Run the update from ``cue`` (``(N,)`` or ``(B, N)``) to a fixed point, 2-cycle or ``max_sweeps``.

        Same arguments and result as :meth:`neurodyn.memory.Hopfield.recall` (zero
        temperature); the sweeps are :meth:`step`, so ``max_sweeps=m`` equals
        ``simulate(dam.with_cue(cue), duration=m, dt=1, key=key)`` bit for bit.
        """
        changes = {k: v for k, v in dict(mode=mode, order=order).items() if v is not None}
        net = self.replace(**changes) if changes else self
        check_states(cue, self.n_units, "cue", binary=True)
        check_max_sweeps(max_sweeps)
        if net.mode == "async" and net.order == "random" and key is None:
            raise ValueError("key must be a jax.random key for random asynchronous order, got None")
        return recall_loop(net, cue, key, max_sweeps, False)

    def _decide(self, r, xi_i, s_i):
        """New sign of unit i given r = overlaps without unit i (B, P) and column xi_i (P,)."""
        n_units = self.n_units
        if self.F == "poly":
            # F is homogeneous: scaling the argument by 1/N keeps the sign of the difference
            plus = jnp.sum(jnp.maximum((r + xi_i) / n_units, 0.0) ** self.n, -1)
            minus = jnp.sum(jnp.maximum((r - xi_i) / n_units, 0.0) ** self.n, -1)
            tol = 1e-5 * (plus + minus)
            diff = plus - minus
        else:
            plus = jax.nn.logsumexp(self.beta * (r + xi_i), -1)
            minus = jax.nn.logsumexp(self.beta * (r - xi_i), -1)
            diff = plus - minus
            tol = 1e-5
        return jnp.where(diff > tol, 1.0, jnp.where(diff < -tol, -1.0, s_i)).astype(s_i.dtype)
