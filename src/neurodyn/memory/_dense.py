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

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._hopfield import RecallResult
from .._params import check_choice, check_positive
from ._validate import check_patterns, check_states


class DenseAssociativeMemory(eqx.Module):
    r"""Dense associative memory with interaction function ``F``.

    Args:
        patterns: stored ±1 patterns, shape ``(P, N)``.
        F: ``"poly"`` (rectified polynomial :math:`\max(x,0)^n`), ``"exp"``
            (:math:`e^{\beta x}`), or an integer :math:`n` (shorthand for ``"poly"`` of
            that order). ``"poly"`` with ``n = 2`` is close to the classical network.
        n: order of the polynomial (>= 2).
        beta: scale of the exponential's argument (> 0, dimensionless).

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
    F: str = eqx.field(static=True)
    n: int = eqx.field(static=True)

    def __init__(self, patterns, F: Literal["poly", "exp"] | int = "poly", n: int = 3, beta=1.0):
        check_patterns(patterns, binary=True)
        if isinstance(F, (int, np.integer)) and not isinstance(F, bool):
            F, n = "poly", int(F)
        check_choice("F", F, ("poly", "exp"))
        if F == "poly" and not (isinstance(n, (int, np.integer)) and n >= 1):
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        check_positive("beta", beta, scalar=True)
        self.patterns = jnp.asarray(patterns, dtype=jnp.result_type(float))
        self.beta = jnp.asarray(beta, self.patterns.dtype)
        self.F = F
        self.n = int(n)

    @property
    def n_units(self) -> int:
        return self.patterns.shape[1]

    @property
    def n_patterns(self) -> int:
        return self.patterns.shape[0]

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

    def recall(
        self,
        cue,
        mode: Literal["async", "sync"] = "async",
        key=None,
        max_sweeps: int = 100,
        *,
        order: Literal["random", "sequential"] = "random",
    ) -> RecallResult:
        """Run the update from ``cue`` (``(N,)`` or ``(B, N)``) to a fixed point, 2-cycle or ``max_sweeps``.

        Same arguments and result as :meth:`neurodyn.memory.Hopfield.recall` (zero temperature).
        """
        check_choice("mode", mode, ("async", "sync"))
        check_choice("order", order, ("random", "sequential"))
        check_states(cue, self.n_units, "cue", binary=True)
        if not (isinstance(max_sweeps, (int, np.integer)) and max_sweeps >= 1):
            raise ValueError(f"max_sweeps must be an integer >= 1, got {max_sweeps!r}")
        if mode == "async" and order == "random" and key is None:
            raise ValueError("key must be a jax.random key for random asynchronous order, got None")
        key = jax.random.key(0) if key is None else key
        cue = jnp.asarray(cue, self.patterns.dtype)
        batch = cue.shape[:-1]
        out = _dam_recall(self, cue.reshape(-1, self.n_units), key, mode, order == "random", int(max_sweeps))
        return jax.tree.map(lambda a: a.reshape(batch + a.shape[1:]), out)

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


@functools.partial(eqx.filter_jit)
def _dam_recall(dam: DenseAssociativeMemory, s0, key, mode, random_order, max_sweeps):
    x = dam.patterns  # (P, N)
    b, n = s0.shape
    dt = x.dtype

    def energy(s):
        return dam.energy(s)

    def sweep_async(s, t):
        perm = jax.random.permutation(jax.random.fold_in(key, t), n) if random_order else jnp.arange(n)
        a = s @ x.T  # (B, P)

        def unit(j, c):
            s, a = c
            i = perm[j]
            xi_i = x[:, i]
            s_i = s[:, i]
            r = a - s_i[:, None] * xi_i[None, :]
            new = dam._decide(r, xi_i[None, :], s_i)
            a = a + (new - s_i)[:, None] * xi_i[None, :]
            return s.at[:, i].set(new), a

        s, _ = jax.lax.fori_loop(0, n, unit, (s, a))
        return s

    def sweep_sync(s, t):
        a = s @ x.T

        def one(i):
            xi_i = x[:, i]
            r = a - s[:, i][:, None] * xi_i[None, :]
            return dam._decide(r, xi_i[None, :], s[:, i])

        return jax.lax.map(one, jnp.arange(n)).T

    sweep = sweep_async if mode == "async" else sweep_sync
    e0 = energy(s0)
    et = jnp.full((max_sweeps + 1, b), jnp.nan, dt).at[0].set(e0)
    false = jnp.zeros((b,), bool)

    def cond(c):
        t, s, sp, fixed, cyc, nsw, et = c
        return (t < max_sweeps) & ~jnp.all(fixed | cyc)

    def body(c):
        t, s, sp, fixed, cyc, nsw, et = c
        new = sweep(s, t)
        changed = jnp.any(new != s, -1)
        cyc = changed & jnp.all(new == sp, -1) & (t > 0) & (mode == "sync")
        et = et.at[t + 1].set(energy(new))
        return t + 1, new, s, ~changed, cyc, nsw + changed, et

    init = (jnp.int32(0), s0, s0, false, false, jnp.zeros((b,), jnp.int32), et)
    t, s, _, fixed, cyc, nsw, et = jax.lax.while_loop(cond, body, init)
    et = jnp.where(jnp.isnan(et), et[t][None, :], et)
    return RecallResult(
        state=s,
        overlaps=s @ x.T / n,
        sweeps=nsw,
        energy=et.T,
        fixed_point=fixed,
        two_cycle=cyc,
        overlap_trace=None,
    )
