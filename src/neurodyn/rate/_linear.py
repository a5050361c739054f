r"""Linear rate networks solved exactly through their eigenmodes.

.. math::  \tau \frac{dr}{dt} = -r + h(t) + W r

With :math:`W e_\nu = \lambda_\nu e_\nu` and :math:`r = \sum_\nu c_\nu e_\nu`, every mode
obeys :math:`\tau \dot c_\nu = -(1 - \lambda_\nu) c_\nu + g_\nu` with
:math:`g_\nu = \tilde e_\nu^{\,T} h` (:math:`\tilde e_\nu = e_\nu` for symmetric W), so it
relaxes with time constant :math:`\tau / (1 - \lambda_\nu)` towards
:math:`g_\nu / (1 - \lambda_\nu)`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Callable, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..engine._model import AbstractDynamics
from ..engine._solvers import RK4
from ._checks import (input_breakpoints, input_value, is_traced, per_unit, split_input,
                      square_matrix)

REGIMES = ("amplifying", "integrating", "diverging", "oscillating")


class Eigenmodes(NamedTuple):
    """Eigen-decomposition of the connectivity ``W``.

    Attributes:
        values: eigenvalues :math:`\\lambda_\\nu`, shape ``(n,)`` (real for symmetric W,
            complex otherwise), sorted by decreasing real part.
        vectors: right eigenvectors :math:`e_\\nu` as columns, shape ``(n, n)``
            (orthonormal for symmetric W).
        left: the dual basis as rows, ``left @ vectors = I`` (``vectors.T`` for symmetric W):
            the mode coefficients of a vector x are ``left @ x``.
        symmetric: whether W is symmetric (real spectrum, orthonormal basis).
    """

    values: jax.Array
    vectors: jax.Array
    left: jax.Array
    symmetric: bool

    def project(self, x):
        """Mode coefficients :math:`c_\\nu` of ``x`` (``(..., n)`` -> ``(..., n)``)."""
        return jnp.einsum("ij,...j->...i", self.left, jnp.asarray(x, self.left.dtype))


@dataclass(frozen=True)
class ModeRegime:
    """The regime of one eigenmode (see :meth:`LinearRateNetwork.regimes`).

    ``gain`` is :math:`1/(1-\\lambda)` (amplifying and damped oscillating modes, else
    ``nan``); ``time_constant`` is the relaxation time :math:`\\tau/(1-\\mathrm{Re}\\,\\lambda)`
    (ms) for decaying modes, the growth time :math:`\\tau/(\\mathrm{Re}\\,\\lambda - 1)` for
    growing ones and ``inf`` for integrating ones; ``period`` (ms) is
    :math:`2\\pi\\tau/|\\mathrm{Im}\\,\\lambda|` for oscillating modes.
    """

    index: int
    eigenvalue: complex
    regime: str
    gain: complex | float
    time_constant: float
    period: float
    growing: bool


@dataclass(frozen=True)
class Regimes:
    """Per-mode regimes and the network-level verdict.

    ``verdict`` is ``"stable"`` (every mode decays: the network amplifies or attenuates
    constant input and settles), ``"integrating"`` (a real mode at :math:`\\lambda = 1`
    and none above: a line attractor that integrates its input), ``"oscillating"``
    (a complex pair on :math:`\\mathrm{Re}\\,\\lambda = 1`, none above: sustained
    oscillation) or ``"diverging"`` (some :math:`\\mathrm{Re}\\,\\lambda > 1`).
    """

    modes: tuple[ModeRegime, ...]
    verdict: str
    dominant: int
    tol: float

    @property
    def eigenvalues(self):
        return np.array([m.eigenvalue for m in self.modes])

    @property
    def labels(self):
        return [m.regime for m in self.modes]

    @property
    def stable(self) -> bool:
        return self.verdict == "stable"

    def count(self, regime: str) -> int:
        return sum(m.regime == regime for m in self.modes)

    def __str__(self):
        lines = [f"verdict: {self.verdict} (dominant mode {self.dominant})",
                 f"{'mode':>5} {'eigenvalue':>22} {'regime':>12} {'gain':>12} {'tau_eff/ms':>11}"]
        for m in self.modes:
            lam = m.eigenvalue
            lam_s = f"{lam.real:.4g}{lam.imag:+.4g}j" if abs(lam.imag) > 0 else f"{lam.real:.6g}"
            gain = abs(m.gain) if np.isfinite(abs(m.gain)) else float("nan")
            lines.append(f"{m.index:>5} {lam_s:>22} {m.regime:>12} {gain:>12.4g} {m.time_constant:>11.4g}")
        return "\n".join(lines)


def _phi1(z):
    """(exp(z) - 1) / z, accurate near z = 0 (real or complex)."""
    small = jnp.abs(z) < 1e-2
    zs = jnp.where(small, 1.0, z)
    series = 1 + z / 2 + z**2 / 6 + z**3 / 24 + z**4 / 120
    return jnp.where(small, series, (jnp.exp(zs) - 1) / zs)


def _gauss_legendre(q):
    x, w = np.polynomial.legendre.leggauss(q)
    return (x + 1) / 2, w / 2


class LinearState(eqx.Module):
    r: jax.Array  #: rates, Hz (recorded as ``"r"``)


class LinearRateNetwork(AbstractDynamics):
    r"""Linear rate network :math:`\tau\, dr/dt = -r + h + W r`, solved exactly.

    Args:
        W: connectivity, shape ``(n, n)`` (dimensionless: rate per rate).
        tau: rate time constant :math:`\tau` in ms, a scalar or one per unit ``(n,)``
            (the eigenmode formulas need one shared tau).
        h: external input (Hz): a constant, scalar or ``(n,)``, or a deterministic input
            from :mod:`neurodyn.inputs` (used by :meth:`solve` and by ``simulate``); default 0.
            Noisy inputs go to ``simulate(..., inputs=...)``.
        r0: initial rates used by :meth:`init_state` and by :meth:`solve` when no ``r0``
            is given (Hz), scalar or ``(n,)``; default 0.

    Example:
        >>> W = 0.9 * jnp.ones((2, 2)) / 2
        >>> lin = LinearRateNetwork(W, tau=10.0, h=jnp.array([1.0, 1.0]))
        >>> lin.regimes().verdict
        'stable'
        >>> jnp.round(lin.steady_state(), 3)   # (I - W)^{-1} h: the mode lambda=0.9 is amplified 10x
        Array([10., 10.], dtype=float32)
    """

    W: jax.Array
    tau: jax.Array
    h: jax.Array
    r0: jax.Array
    h_input: object
    n: int = eqx.field(static=True)
    symmetric: bool = eqx.field(static=True)

    default_solver = RK4()

    def __init__(self, W, tau=10.0, h=0.0, r0=0.0, *, plasticity=None):
        if plasticity is not None:
            raise ValueError("plasticity is not supported on LinearRateNetwork (its eigenmodes need a fixed W); "
                             "use RateNetwork(W, F=Linear(), plasticity=...)")
        W = square_matrix("W", W)
        n = W.shape[0]
        self.n = n
        self.W = W
        self.tau = per_unit("tau", tau, n, positive=True, unit="ms").astype(W.dtype)
        h, self.h_input = split_input("h", h, n)
        self.h = jnp.broadcast_to(per_unit("h", h, n), (n,)).astype(W.dtype)
        self.r0 = jnp.broadcast_to(per_unit("r0", r0, n), (n,)).astype(W.dtype)
        if is_traced(W):
            self.symmetric = False
        else:
            Wn = np.asarray(W)
            self.symmetric = bool(np.allclose(Wn, Wn.T, rtol=0, atol=1e-12 * max(1.0, np.abs(Wn).max())))

    def replace(self, **changes) -> "LinearRateNetwork":
        """A copy with some constructor arguments (W, tau, h, r0) changed, validated again."""
        args = dict(W=self.W, tau=self.tau, r0=self.r0,
                    h=self.h if self.h_input is None else self.h_input)
        unknown = sorted(set(changes) - set(args))
        if unknown:
            raise TypeError(f"LinearRateNetwork has no parameter {unknown[0]!r}; expected one of "
                            f"{', '.join(args)}")
        args.update(changes)
        return type(self)(**args)

    # ------------------------------------------------------------------ model protocol
    @property
    def input_shape(self):
        return (self.n,)

    def init_state(self, key=None):
        return LinearState(self.r0)

    def input_at(self, t):
        """The model's own input :math:`h(t)` (constant part plus a deterministic input)."""
        if self.h_input is None:
            return self.h
        return self.h + input_value(self.h_input, t, self.n, self.h.dtype)

    def vector_field(self, t, state, drive):
        r = state.r
        return LinearState((-r + self.input_at(t) + drive + self.W @ r) / self.tau)

    def time_constants(self):
        return {"tau": self.tau}

    # ------------------------------------------------------------------ structure
    @property
    def shared_tau(self) -> bool:
        return self.tau.ndim == 0

    def _require_shared_tau(self, what):
        if not self.shared_tau:
            raise ValueError(f"{what} needs one tau shared by all units, got tau of shape "
                             f"{tuple(self.tau.shape)}; use solve(method='expm') for per-unit tau")

    def dynamics_matrix(self):
        r""":math:`A = T^{-1}(W - I)` with :math:`T = \mathrm{diag}(\tau)` (1/ms):
        :math:`\dot r = A r + T^{-1} h`."""
        return _dynamics_matrix(self.W, self.tau)

    def eigenmodes(self) -> Eigenmodes:
        """Eigenvalues and eigenvectors of ``W``, sorted by decreasing real part.

        Symmetric W: real eigenvalues and an orthonormal eigenbasis (``eigh``). Otherwise
        complex eigenvalues and eigenvectors (``eig``; the dual basis is the inverse of the
        eigenvector matrix, which is ill-conditioned for (nearly) defective W -- use
        :meth:`solve` with ``method="expm"`` there).
        """
        if self.symmetric:
            lam, V = jnp.linalg.eigh(self.W)
            order = jnp.argsort(-lam)
            lam, V = lam[order], V[:, order]
            return Eigenmodes(lam, V, V.T, True)
        lam, V = jnp.linalg.eig(self.W)
        order = jnp.argsort(-lam.real)
        lam, V = lam[order], V[:, order]
        return Eigenmodes(lam, V, jnp.linalg.inv(V), False)

    # ------------------------------------------------------------------ steady state
    def steady_state(self, h=None):
        r"""The fixed point :math:`r^* = (I - W)^{-1} h` (Hz).

        It is the state the network settles in when every eigenvalue of W has real part
        below 1; otherwise it is an unstable fixed point (a warning says so). Raises if
        ``I - W`` is singular (an integrating mode: no unique steady state).
        """
        h = self._constant_h(h)
        Wn = np.asarray(self.W, dtype=np.float64)
        lam = np.linalg.eigvals(Wn)
        scale = max(1.0, float(np.abs(lam).max()))
        if np.min(np.abs(1.0 - lam)) < 1e-10 * scale:
            raise ValueError("steady_state: W has an eigenvalue at 1 (an integrating mode), so "
                             "I - W is singular and there is no unique steady state")
        if np.any(lam.real > 1.0):
            warnings.warn("W has eigenvalues with real part > 1: the steady state exists but is "
                          "unstable (the network diverges from it)", RuntimeWarning, stacklevel=2)
        return jnp.linalg.solve(jnp.eye(self.n, dtype=self.W.dtype) - self.W, h)

    # ------------------------------------------------------------------ regimes
    def regimes(self, tol: float = 1e-4) -> Regimes:
        r"""Classify every eigenmode of W and give the network-level verdict.

        A mode is *oscillating* when :math:`|\mathrm{Im}\,\lambda| > tol`, *integrating* when
        :math:`|1 - \lambda| \le tol`, *diverging* when :math:`\lambda > 1`, otherwise
        *amplifying* with gain :math:`1/(1-\lambda)` (an attenuation for
        :math:`\lambda < 0`). Eigenvalues are computed in float64 on the host.

        Args:
            tol: tolerance on :math:`|1-\lambda|` and on :math:`|\mathrm{Im}\,\lambda|`
                (relative to :math:`\max(1, |\lambda|)`), default ``1e-4``.
        """
        self._require_shared_tau("regimes()")
        tau = float(self.tau)
        Wn = np.asarray(self.W, dtype=np.float64)
        lam = np.linalg.eigvalsh(Wn).astype(complex) if self.symmetric else np.linalg.eigvals(Wn)
        order = np.argsort(-lam.real, kind="stable")
        lam = lam[order]
        modes = []
        for i, l in enumerate(lam):
            scale = max(1.0, abs(l))
            re = l.real
            is_complex = abs(l.imag) > tol * scale
            margin = 1.0 - re
            if is_complex:
                regime = "oscillating"
            elif abs(margin) <= tol * scale:
                regime = "integrating"
            elif margin < 0:
                regime = "diverging"
            else:
                regime = "amplifying"
            marginal = abs(margin) <= tol * scale
            growing = (not marginal) and margin < 0
            if marginal:
                tc = math.inf
            else:
                tc = tau / abs(margin)
            if regime == "amplifying":
                gain = 1.0 / margin
            elif regime == "oscillating" and not marginal and not growing:
                gain = complex(1.0 / (1.0 - l))
            else:
                gain = math.nan
            period = 2 * math.pi * tau / abs(l.imag) if is_complex else math.inf
            l_out = complex(l) if is_complex else complex(re, 0.0)
            modes.append(ModeRegime(i, l_out, regime, gain, tc, period, growing))
        if any(m.growing for m in modes):
            verdict = "diverging"
        elif any(m.regime == "integrating" for m in modes):
            verdict = "integrating"
        elif any(m.regime == "oscillating" and np.isinf(m.time_constant) for m in modes):
            verdict = "oscillating"
        else:
            verdict = "stable"
        return Regimes(tuple(modes), verdict, 0, tol)

    # ------------------------------------------------------------------ exact solution
    def _constant_h(self, h):
        if h is None:
            return self.h
        return jnp.broadcast_to(per_unit("h", h, self.n), (self.n,)).astype(self.W.dtype)

    def solve(self, t, r0=None, h=None, *, method: str = "auto", breakpoints=(), dt_max=None,
              nodes: int = 8):
        r"""Exact rates :math:`r(t)` at the times ``t`` (ms), shape ``(len(t), n)``.

        Args:
            t: times in ms (>= 0), scalar or 1-D; the solution starts at t = 0.
            r0: initial rates (Hz), default ``self.r0``.
            h: input (Hz). ``None``: the network's constant ``h``. An array (scalar or
                ``(n,)``): a constant input. A callable ``h(t) -> (n,)`` (or scalar) of
                time in ms, or a deterministic input from :mod:`neurodyn.inputs`: a
                time-varying input, solved by the convolution
                :math:`r(t) = e^{At} r_0 + \int_0^t e^{A(t-s)} T^{-1} h(s)\,ds`.
            method: constant input only. ``"modes"``: orthonormal eigenbasis of a symmetric
                W and the mode formula; ``"eig"``: complex eigenmodes of any diagonalisable
                W; ``"expm"``: the matrix exponential of the augmented system (exact for any
                W, defective or non-normal, and for per-unit tau); ``"auto"`` (default):
                ``"modes"`` for symmetric W with one tau, else ``"expm"``.
            breakpoints: times (ms) where a time-varying h jumps (steps, pulse edges); the
                quadrature never straddles them. Inputs from :mod:`neurodyn.inputs` that
                know their jump times supply them.
            dt_max: longest quadrature interval for a time-varying h (ms); default
                ``min(tau) / 4`` and a quarter of the fastest mode's time scale.
            nodes: Gauss–Legendre nodes per interval (default 8).
        """
        dtype = self.W.dtype
        t_np = np.asarray(t, dtype=np.float64)
        scalar_t = t_np.ndim == 0
        t_np = np.atleast_1d(t_np)
        if np.any(t_np < 0):
            raise ValueError(f"t must be >= 0 ms (the solution starts at t = 0), got min {t_np.min()}")
        r0 = self.r0 if r0 is None else per_unit("r0", r0, self.n)
        if h is None and self.h_input is not None:
            h = self.h_input
            const = self.h
        else:
            const = None
        h_fn, bps = _time_varying(h, self.n, dtype, float(t_np.max()))
        if h_fn is not None and const is not None:
            h_fn0 = h_fn
            h_fn = lambda s: const + h_fn0(s)
        if h_fn is not None:
            out = self._solve_varying(t_np, r0, h_fn, tuple(breakpoints) + tuple(bps), dt_max, nodes)
        else:
            h = self.h if h is None else per_unit("h", h, self.n)
            out = self._solve_constant(np.asarray(t_np, dtype), r0, h, method)
        return out[0] if scalar_t else out

    def _solve_constant(self, t, r0, h, method):
        if method == "auto":
            method = "modes" if (self.symmetric and self.shared_tau) else "expm"
        if method not in ("modes", "eig", "expm"):
            raise ValueError(f"method must be 'auto', 'modes', 'eig' or 'expm', got {method!r}")
        if method == "modes" and not self.symmetric:
            raise ValueError("method='modes' needs a symmetric W; use 'eig' or 'expm'")
        if method in ("modes", "eig"):
            self._require_shared_tau(f"method={method!r}")
            return _modes_solution(self.W, self.tau, t, r0, h, method == "modes")
        return _expm_solution(self.W, self.tau, t, r0, h)

    def _solve_varying(self, tn, r0, h_fn, breakpoints, dt_max, q):
        if dt_max is None:
            A = _dynamics_matrix(np.asarray(self.W, np.float64), np.asarray(self.tau, np.float64))
            rho = float(np.abs(np.linalg.eigvals(A)).max())
            dt_max = 0.25 * min(float(np.min(np.asarray(self.tau))), 1.0 / rho if rho > 0 else np.inf)
        t_end = float(tn.max())
        knots = np.unique(np.concatenate([[0.0], tn, [b for b in breakpoints if 0.0 < b < t_end]]))
        # merge knots that differ by rounding only (0.1 * 3 vs 0.3): keep the output times
        gap = 1e-9 * max(t_end, 1.0)
        knots = knots[np.concatenate([[True], np.diff(knots) > gap])]
        starts, lengths, knot_end = [], [], []
        for a, b in zip(knots[:-1], knots[1:]):
            m = max(1, int(math.ceil((b - a) / dt_max - 1e-9)))
            L = (b - a) / m
            starts.extend(a + L * np.arange(m))
            lengths.extend([L] * m)
            knot_end.append(len(starts))       # r after this many sub-intervals sits at knot b
        if not starts:                          # every requested time is 0
            return jnp.broadcast_to(r0, (tn.size, self.n)).astype(self.W.dtype)
        starts = np.asarray(starts)
        lengths = np.asarray(lengths)
        key = np.round(lengths / lengths.max(), 9)
        uniq, idx = np.unique(key, return_inverse=True)
        uniq_L = np.bincount(idx, weights=lengths) / np.bincount(idx)
        s, w = _gauss_legendre(q)
        pos = np.concatenate([[0], knot_end])                       # knot i -> row of the scan
        rows = pos[np.clip(np.searchsorted(knots, tn + gap, side="right") - 1, 0, None)]
        dtype = self.W.dtype
        node_t = starts[:, None] + lengths[:, None] * s[None, :]
        return _varying_solution(h_fn, self.W, self.tau, r0, uniq_L, s, w, idx, lengths, node_t, rows)


def _dynamics_matrix(W, tau):
    n = W.shape[0]
    inv_tau = 1.0 / tau * np.ones(n) if isinstance(W, np.ndarray) else jnp.broadcast_to(1.0 / tau, (n,))
    eye = np.eye(n) if isinstance(W, np.ndarray) else jnp.eye(n, dtype=W.dtype)
    return inv_tau[:, None] * (W - eye)


@partial(jax.jit, static_argnums=5)
def _modes_solution(W, tau, t, r0, h, symmetric):
    n = W.shape[0]
    r0 = jnp.broadcast_to(r0, (n,)).astype(W.dtype)
    h = jnp.broadcast_to(h, (n,)).astype(W.dtype)
    if symmetric:
        lam, V = jnp.linalg.eigh(W)
        left = V.T
    else:
        lam, V = jnp.linalg.eig(W)
        left = jnp.linalg.inv(V)
    mu = (lam - 1.0) / tau                      # mode rates (1/ms)
    c0 = left @ r0.astype(left.dtype)
    g = left @ h.astype(left.dtype)
    z = mu[None, :] * t[:, None]
    c = c0[None, :] * jnp.exp(z) + (g / tau)[None, :] * t[:, None] * _phi1(z)
    return (c @ V.T).real


def _expm_solution(W, tau, t, r0, h):
    """Propagate the augmented system x = [r, 1], dx/dt = [[A, b], [0, 0]] x, with exact
    propagators expm(M gap) (SciPy, float64, one per distinct gap between output times):
    exact for any A, singular, defective or non-normal."""
    W64 = np.asarray(W, np.float64)
    n = W64.shape[0]
    tau64 = np.broadcast_to(np.asarray(tau, np.float64), (n,))
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = _dynamics_matrix(W64, tau64)
    M[:n, n] = np.broadcast_to(np.asarray(h, np.float64), (n,)) / tau64
    x = np.concatenate([np.broadcast_to(np.asarray(r0, np.float64), (n,)), [1.0]])
    tn = np.asarray(t, np.float64)
    order = np.argsort(tn, kind="stable")
    ts = tn[order]
    gaps = np.diff(np.concatenate([[0.0], ts]))
    props = _gap_propagators(M, gaps)
    out = np.empty((tn.size, n))
    for k, g in enumerate(gaps):
        x = props[g] @ x if g > 0 else x
        out[order[k]] = x[:n]
    return jnp.asarray(out, W.dtype)


def _gap_propagators(M, gaps, rel=1e-12):
    """expm(M g) for every distinct gap (gaps equal up to ``rel`` share one propagator)."""
    from scipy.linalg import expm as scipy_expm

    props, cache = {}, {}
    scale = max(float(np.max(gaps)), 1e-300) if len(gaps) else 1.0
    for g in gaps:
        key = round(g / scale / rel)
        if key not in cache:
            cache[key] = scipy_expm(M * g)
        props[g] = cache[key]
    return props


def _varying_solution(h_fn, W, tau, r0, uniq_L, s, w, idx, lengths, node_t, rows):
    """Convolution solution on sub-intervals: r <- e^{AL} r + L sum_j w_j e^{AL(1-s_j)} b(t_j),
    with exact propagators (SciPy expm, float64) and h evaluated by JAX at the nodes."""
    from scipy.linalg import expm as scipy_expm

    W64 = np.asarray(W, np.float64)
    n = W64.shape[0]
    tau64 = np.broadcast_to(np.asarray(tau, np.float64), (n,))
    A = _dynamics_matrix(W64, tau64)
    E = np.stack([scipy_expm(A * L) for L in uniq_L])
    EN = np.stack([np.stack([scipy_expm(A * (L * (1 - sj))) for sj in s]) for L in uniq_L])
    G = np.einsum("j,ujab->ujab", np.asarray(w, np.float64), EN)
    dtype = W.dtype
    hv = jax.jit(jax.vmap(jax.vmap(lambda tt: jnp.broadcast_to(jnp.asarray(h_fn(tt), dtype), (n,)))))(
        jnp.asarray(node_t, dtype))
    bv = np.asarray(hv, np.float64) / tau64
    r = np.broadcast_to(np.asarray(r0, np.float64), (n,)).copy()
    rs = np.empty((len(lengths) + 1, n))
    rs[0] = r
    for k in range(len(lengths)):
        u = idx[k]
        r = E[u] @ r + lengths[k] * np.einsum("jab,jb->a", G[u], bv[k])
        rs[k + 1] = r
    return jnp.asarray(rs[rows], dtype)


def _time_varying(h, n, dtype, t_end):
    """(function of t, breakpoints) for a time-varying input, or (None, ()) for a constant."""
    from .. import inputs as _inputs

    if h is None:
        return None, ()
    if isinstance(h, _inputs.AbstractInput):
        split_input("h", h, n)          # refuses noisy inputs
        return (lambda s: input_value(h, s, n, dtype)), input_breakpoints(h, t_end)
    if callable(h) and not isinstance(h, (jax.Array, np.ndarray)):
        bps = tuple(getattr(h, "breakpoints", ()) or ())
        return h, bps
    return None, ()
