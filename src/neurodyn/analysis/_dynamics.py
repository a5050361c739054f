r"""Analysis of smooth dynamical systems :math:`\dot x = f(x)`.

Every function takes a *system*: either a plain function ``f(x) -> dx/dt`` on 1-D arrays,
or a continuous-time neurodyn model (anything with ``init_state(key)`` and
``vector_field(t, state, drive)``, such as :class:`neurodyn.rate.RateNetwork`). A model is
turned into a function of the flattened state by :func:`as_vector_field`, with the drive
held at zero or at a given constant. Nothing here runs :func:`neurodyn.simulate`: fixed
points, Jacobians and Lyapunov exponents need the vector field itself.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ..engine import ODE, RK4, simulate

__all__ = [
    "as_vector_field", "jacobian", "classify", "fixed_points", "FixedPoints", "nullclines",
    "phase_portrait", "PhasePortrait", "trajectories", "continuation", "Branch",
    "Bifurcation", "lyapunov_exponent", "random_connectivity", "spectrum", "circular_law",
    "CircularLaw",
]


# ---------------------------------------------------------------------------- systems
def _is_model(system) -> bool:
    return hasattr(system, "vector_field") and hasattr(system, "init_state")


def _zero_drive(model):
    shape = model.input_shape
    dtype = jnp.result_type(float)
    if isinstance(shape, dict):
        return {k: jnp.zeros(v, dtype) for k, v in shape.items()}
    return jnp.zeros(shape, dtype)


def as_vector_field(system, drive=None, t: float = 0.0) -> Callable[[jax.Array], jax.Array]:
    r"""The vector field of ``system`` as a function ``f(x)`` of a flat state vector.

    Args:
        system: a function ``f(x)`` (returned unchanged) or a model with
            ``vector_field(t, state, drive)``.
        drive: the constant external drive (array of the model's ``input_shape``);
            default zeros.
        t: the time at which the vector field is evaluated (ms), default 0.

    The flat vector is the state PyTree raveled with :func:`jax.flatten_util.ravel_pytree`;
    for a rate network it is simply the rate vector ``r``.
    """
    if not _is_model(system):
        if not callable(system):
            raise TypeError(f"system must be a function f(x) or a model with vector_field, "
                            f"got {type(system).__name__}")
        return system
    model = system
    state0 = model.init_state(jax.random.key(0))
    _, unravel = ravel_pytree(state0)
    d = _zero_drive(model) if drive is None else drive

    def f(x):
        dx = model.vector_field(t, unravel(x), d)
        return ravel_pytree(dx)[0]

    return f


def _state_vector(system, x):
    if x is None and _is_model(system):
        return ravel_pytree(system.init_state(jax.random.key(0)))[0]
    if _is_model(system) and not isinstance(x, (jax.Array, np.ndarray, list, tuple, float, int)):
        return ravel_pytree(x)[0]
    return jnp.asarray(x, dtype=jnp.result_type(float))


def jacobian(system, x, drive=None) -> jax.Array:
    r"""The Jacobian :math:`\partial f_i / \partial x_j` at ``x`` (forward mode,
    :func:`jax.jacfwd`)."""
    f = as_vector_field(system, drive)
    return jax.jacfwd(f)(jnp.asarray(x, dtype=jnp.result_type(float)))


def classify(eigenvalues, tol: float = 1e-7) -> str:
    r"""Stability label of a fixed point from the eigenvalues of its Jacobian.

    ``"stable node"`` (all real, negative), ``"unstable node"`` (all real, positive),
    ``"saddle"`` (real parts of both signs), ``"stable focus"`` / ``"unstable focus"``
    (complex eigenvalues, real parts all negative / all positive), ``"center"`` (a purely
    imaginary pair and no real part > 0), ``"non-hyperbolic"`` (a real eigenvalue at 0).
    ``tol`` is relative to the largest :math:`|\lambda|` (absolute below 1).
    """
    lam = np.asarray(eigenvalues, dtype=complex).ravel()
    scale = max(1.0, float(np.abs(lam).max())) if lam.size else 1.0
    eps = tol * scale
    re, im = lam.real, lam.imag
    cplx = np.abs(im) > eps
    zero_re = np.abs(re) <= eps
    if np.any(re > eps) and np.any(re < -eps):
        return "saddle"
    if np.any(zero_re & cplx) and not np.any(re > eps):
        return "center"
    if np.any(zero_re):
        return "non-hyperbolic"
    sign = "stable" if np.all(re < 0) else "unstable"
    return f"{sign} {'focus' if np.any(cplx) else 'node'}"


# ---------------------------------------------------------------------------- fixed points
@dataclass(frozen=True)
class FixedPoints:
    """Fixed points found by :func:`fixed_points`, sorted lexicographically.

    Attributes:
        points: ``(k, n)`` fixed points (flat state vectors).
        jacobians: ``(k, n, n)`` Jacobians there.
        eigenvalues: ``(k, n)`` complex eigenvalues, sorted by decreasing real part.
        labels: stability labels (see :func:`classify`).
        stable: ``(k,)`` True where every eigenvalue has negative real part.
        residuals: ``(k,)`` max-norm of ``f`` at each point.
    """

    points: np.ndarray
    jacobians: np.ndarray
    eigenvalues: np.ndarray
    labels: tuple[str, ...]
    stable: np.ndarray
    residuals: np.ndarray

    def __len__(self):
        return self.points.shape[0]

    def __repr__(self):
        rows = [f"FixedPoints({len(self)} found)"]
        for p, lab in zip(self.points, self.labels):
            rows.append(f"  {np.array2string(p, precision=5)}  {lab}")
        return "\n".join(rows)


def _infer_dim(system, f) -> int:
    if _is_model(system):
        return ravel_pytree(system.init_state(jax.random.key(0)))[0].shape[0]
    try:
        out = jax.eval_shape(f, jax.ShapeDtypeStruct((1,), jnp.result_type(float)))
        return int(np.prod(out.shape)) if out.shape else 1
    except Exception as err:
        raise ValueError("fixed_points cannot infer the dimension of x from one (lo, hi) pair: "
                         "pass dim=n or one (lo, hi) per dimension") from err


def _newton_solve(f, x0, max_iter, n_halvings=8):
    """Damped Newton iteration from one start (vmappable): returns (x, |f(x)|_inf)."""
    jac = jax.jacfwd(f)
    alphas = 0.5 ** jnp.arange(n_halvings, dtype=x0.dtype)

    def body(_, x):
        fx = f(x)
        J = jac(x)
        step = jnp.linalg.solve(J, fx)
        # singular Jacobian: fall back to a small gradient step on |f|^2 / 2
        step = jnp.where(jnp.all(jnp.isfinite(step)), step, 0.1 * J.T @ fx)
        cand = x[None, :] - alphas[:, None] * step[None, :]
        norms = jax.vmap(lambda y: jnp.linalg.norm(f(y)))(cand)
        norms = jnp.where(jnp.isfinite(norms), norms, jnp.inf)
        better = norms < jnp.linalg.norm(fx)
        k = jnp.where(jnp.any(better), jnp.argmax(better), n_halvings - 1)
        x_new = cand[k]
        ok = jnp.all(jnp.isfinite(x_new))
        return jnp.where(ok, x_new, x)

    x = jax.lax.fori_loop(0, max_iter, body, x0)
    return x, jnp.max(jnp.abs(f(x)))


def _default_tol(dtype):
    return 1e-9 if jnp.dtype(dtype) == jnp.float64 else 1e-4


def _sample_starts(bounds, n_starts, key, dtype):
    b = np.asarray(bounds, dtype=float)
    if b.ndim == 1:
        b = b[None, :]
    if b.shape[-1] != 2:
        raise ValueError(f"bounds must be (lo, hi) or one (lo, hi) per dimension, got shape {b.shape}")
    lo, hi = jnp.asarray(b[:, 0], dtype), jnp.asarray(b[:, 1], dtype)
    return lo + (hi - lo) * jax.random.uniform(key, (n_starts, b.shape[0]), dtype)


def fixed_points(system, starts=None, *, bounds=None, n_starts: int = 64, key=None,
                 drive=None, tol: float | None = None, max_iter: int = 60,
                 merge_tol: float = 1e-5, stability_tol: float = 1e-7,
                 dim: int | None = None) -> FixedPoints:
    r"""All fixed points :math:`f(x^*) = 0` reachable by damped Newton from many starts.

    The Newton iterations run for all starts at once (``vmap``), the converged points
    (residual below ``tol``) are merged when closer than ``merge_tol`` (relative to
    :math:`\max(1, |x|)`), and each is classified from the eigenvalues of its Jacobian
    (:func:`jax.jacfwd`).

    Args:
        system: a function ``f(x)`` or a model (see :func:`as_vector_field`).
        starts: ``(m, n)`` start points. Default: ``n_starts`` points drawn uniformly
            within ``bounds``.
        bounds: ``(lo, hi)`` for every dimension, or one ``(lo, hi)`` per dimension.
        key: ``jax.random`` key for the random starts (default ``key(0)``).
        drive: constant drive of a model.
        tol: convergence threshold on :math:`\max_i |f_i(x)|` (default 1e-9 in float64,
            1e-4 in float32).
        max_iter: Newton iterations per start.
        dim: the state dimension, needed only with a single ``(lo, hi)`` pair for a
            plain function whose dimension cannot be inferred.

    Example:
        >>> fp = fixed_points(lambda x: x - x**3, bounds=(-2, 2))
        >>> fp.points.ravel(), fp.labels
        (array([-1.,  0.,  1.]), ('stable node', 'unstable node', 'stable node'))
    """
    f = as_vector_field(system, drive)
    dtype = jnp.result_type(float)
    if starts is None:
        if bounds is None:
            raise ValueError("fixed_points needs starts (m, n) or bounds (lo, hi), got neither")
        b = np.asarray(bounds, float)
        if b.ndim == 1:
            n = dim if dim is not None else _infer_dim(system, f)
            bounds = np.broadcast_to(b, (n, 2))
        key = jax.random.key(0) if key is None else key
        starts = _sample_starts(bounds, n_starts, key, dtype)
    starts = jnp.atleast_2d(jnp.asarray(starts, dtype))
    tol = _default_tol(dtype) if tol is None else tol
    solve = jax.jit(jax.vmap(lambda x0: _newton_solve(f, x0, max_iter)))
    xs, res = solve(starts)
    xs, res = np.asarray(xs, np.float64), np.asarray(res, np.float64)
    good = np.isfinite(res) & (res < tol) & np.all(np.isfinite(xs), axis=1)
    kept: list[int] = []
    for i in np.argsort(res):
        if not good[i]:
            continue
        if all(np.max(np.abs(xs[i] - xs[j])) > merge_tol * max(1.0, np.max(np.abs(xs[j])))
               for j in kept):
            kept.append(i)
    pts = xs[kept] if kept else np.zeros((0, starts.shape[1]))
    if len(pts):
        order = np.lexsort(pts.T[::-1])
        pts = pts[order]
        resid = res[kept][order]
        J = np.asarray(jax.jit(jax.vmap(jax.jacfwd(f)))(jnp.asarray(pts, dtype)), np.float64)
    else:
        resid = np.zeros(0)
        J = np.zeros((0, starts.shape[1], starts.shape[1]))
    eig = np.zeros((len(pts), pts.shape[1]), complex)
    labels = []
    for k in range(len(pts)):
        lam = np.linalg.eigvals(J[k])
        eig[k] = lam[np.argsort(-lam.real, kind="stable")]
        labels.append(classify(eig[k], stability_tol))
    stable = np.array([np.all(e.real < 0) for e in eig], bool)
    return FixedPoints(pts, J, eig, tuple(labels), stable, resid)


# ---------------------------------------------------------------------------- trajectories
def _rk4_step(f, x, dt):
    """One step of the engine's RK4 for an autonomous ``f(x)``."""
    return RK4().step(lambda t, y: f(y), 0.0, x, dt)


def trajectories(system, x0, duration: float, dt: float, drive=None, every: int = 1):
    r"""Integrate :math:`\dot x = f(x)` from each start (RK4, vmapped).

    For phase portraits of an autonomous system (constant drive). Time-varying or noisy
    inputs belong to :func:`neurodyn.simulate`.

    Args:
        x0: ``(n,)`` or ``(m, n)`` start points.
        duration, dt: ms.
        every: keep every ``every``-th step.

    Returns:
        ``(t, x)`` with ``t`` of shape ``(T,)`` (ms) and ``x`` of shape ``(m, T, n)``
        (``(T, n)`` for a single start); ``x[..., 0, :]`` is the start.
    """
    f = as_vector_field(system, drive)
    x0 = jnp.asarray(x0, jnp.result_type(float))
    single = x0.ndim == 1
    x0 = jnp.atleast_2d(x0)
    n_keep = int(round(duration / dt)) // every

    def run(x):  # the engine's loop, one compiled scan per batch of starts
        res = simulate(ODE(lambda t, y, u: f(y), x), n_keep * every * dt, dt, solver=RK4(),
                       record=["y"], record_every=every, progress=False)
        return jnp.concatenate([res.traces["y"], res.final_state.y[None]])

    xs = jax.jit(jax.vmap(run))(x0)
    t = np.arange(n_keep + 1) * every * dt
    return t, (xs[0] if single else xs)


# ---------------------------------------------------------------------------- phase plane
@dataclass(frozen=True)
class PhasePortrait:
    """Everything a 2-D phase portrait shows (see :func:`phase_portrait`).

    ``X, Y``: grid (``(g, g)``); ``U, V``: vector field there; ``x_nullcline`` and
    ``y_nullcline``: lists of ``(k, 2)`` polylines where :math:`\\dot x = 0` and
    :math:`\\dot y = 0`; ``trajectories``: ``(m, T, 2)``; ``fixed_points``.
    """

    X: np.ndarray
    Y: np.ndarray
    U: np.ndarray
    V: np.ndarray
    x_nullcline: list
    y_nullcline: list
    trajectories: np.ndarray | None
    fixed_points: FixedPoints | None
    xlim: tuple
    ylim: tuple
    labels: tuple = ("x", "y")


def _grid_field(f, xlim, ylim, n):
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    pts = jnp.asarray(np.stack([X.ravel(), Y.ravel()], 1), jnp.result_type(float))
    F = np.asarray(jax.jit(jax.vmap(f))(pts), np.float64)
    return X, Y, F[:, 0].reshape(X.shape), F[:, 1].reshape(X.shape)


def _zero_lines(X, Y, Z):
    import contourpy

    gen = contourpy.contour_generator(X, Y, Z)
    return [np.asarray(seg) for seg in gen.lines(0.0)]


def nullclines(system, xlim, ylim, n_grid: int = 200, drive=None):
    r"""Nullclines of a 2-D system: ``(x_nullcline, y_nullcline)``, each a list of
    ``(k, 2)`` polylines where :math:`\dot x = 0` (resp. :math:`\dot y = 0`), traced
    on an ``n_grid`` × ``n_grid`` grid."""
    f = _require_2d(system, drive)
    X, Y, U, V = _grid_field(f, xlim, ylim, n_grid)
    return _zero_lines(X, Y, U), _zero_lines(X, Y, V)


def _require_2d(system, drive):
    f = as_vector_field(system, drive)
    out = jax.eval_shape(f, jax.ShapeDtypeStruct((2,), jnp.result_type(float)))
    if out.shape != (2,):
        raise ValueError(f"a phase portrait needs a 2-D system, got a vector field of shape {out.shape}")
    return f


def phase_portrait(system, xlim=(0.0, 1.0), ylim=(0.0, 1.0), *, n_grid: int = 20,
                   n_nullcline: int = 200, starts=None, duration: float = 100.0,
                   dt: float = 0.1, drive=None, find_fixed_points: bool = True,
                   labels=("x", "y")) -> PhasePortrait:
    r"""Vector field, nullclines, trajectories and fixed points of a 2-D system.

    Plot it with :func:`neurodyn.plot.phase_portrait`.

    Args:
        xlim, ylim: the window.
        n_grid: arrows per side; ``n_nullcline``: grid used to trace nullclines.
        starts: ``(m, 2)`` trajectory starts (default: none).
        duration, dt: trajectory length and RK4 step (ms).
    """
    f = _require_2d(system, drive)
    X, Y, U, V = _grid_field(f, xlim, ylim, n_grid)
    xn, yn = nullclines(f, xlim, ylim, n_nullcline)
    traj = None
    if starts is not None:
        _, traj = trajectories(f, jnp.atleast_2d(jnp.asarray(starts)), duration, dt)
        traj = np.asarray(traj)
    fps = None
    if find_fixed_points:
        fps = fixed_points(f, bounds=[xlim, ylim], n_starts=128)
        inside = [(xlim[0] <= p[0] <= xlim[1]) and (ylim[0] <= p[1] <= ylim[1]) for p in fps.points]
        idx = np.flatnonzero(inside)
        fps = FixedPoints(fps.points[idx], fps.jacobians[idx], fps.eigenvalues[idx],
                          tuple(fps.labels[i] for i in idx), fps.stable[idx], fps.residuals[idx])
    return PhasePortrait(X, Y, U, V, xn, yn, traj, fps, tuple(xlim), tuple(ylim), tuple(labels))


# ---------------------------------------------------------------------------- continuation
@dataclass(frozen=True)
class Bifurcation:
    """A bifurcation point on a branch: ``kind`` is ``"fold"`` (saddle-node: the branch
    turns back in the parameter), ``"hopf"`` (a complex pair crosses the imaginary axis)
    or ``"branch point"`` (a real eigenvalue crosses 0 without a fold, e.g.
    transcritical or pitchfork). ``p`` and ``x`` are interpolated between the two
    bracketing branch points ``index`` and ``index + 1``."""

    kind: str
    index: int
    p: float
    x: np.ndarray


@dataclass(frozen=True)
class Branch:
    """A branch of fixed points traced by :func:`continuation`.

    ``p``: ``(k,)`` parameter values; ``x``: ``(k, n)`` fixed points; ``eigenvalues``:
    ``(k, n)``; ``stable``: ``(k,)``; ``bifurcations``: the detected bifurcation points.
    """

    p: np.ndarray
    x: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    bifurcations: tuple[Bifurcation, ...] = field(default_factory=tuple)


def _as_param_field(system, drive):
    """f(x, p) from f(x, p) or from a model factory p -> model."""
    try:
        n_args = len([q for q in inspect.signature(system).parameters.values()
                      if q.default is inspect.Parameter.empty
                      and q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)])
    except (TypeError, ValueError):
        n_args = 2
    if n_args == 1:
        return lambda x, p: as_vector_field(system(p), drive)(x)
    return system


def continuation(system, x0, p_range, *, ds: float | None = None, ds_max: float | None = None,
                 max_steps: int = 2000, drive=None, tol: float | None = None,
                 stability_tol: float = 1e-7) -> Branch:
    r"""Follow a branch of fixed points of :math:`f(x, p) = 0` as the parameter p varies
    (pseudo-arclength continuation: tangent predictor, Newton corrector on the bordered
    system), marking folds, Hopf points and branch points.

    Args:
        system: ``f(x, p)``, or a factory ``p -> model`` (one argument) whose vector field
            is used.
        x0: a point at or near a fixed point at ``p = p_range[0]``.
        p_range: ``(p_start, p_end)``; the branch is followed from ``p_start`` in the
            direction of ``p_end`` and stops when p leaves the range (folds may turn it
            back and forth inside), or after ``max_steps`` steps.
        ds, ds_max: initial and largest arclength step (default ``|p_end - p_start| / 200``
            and 4× that).

    Example:
        >>> br = continuation(lambda x, p: p + x - x**3, [-1.0], (-1.0, 1.0))
        >>> [b.kind for b in br.bifurcations]
        ['fold', 'fold']
    """
    f = _as_param_field(system, drive)
    dtype = jnp.result_type(float)
    p0, p1 = float(p_range[0]), float(p_range[1])
    if p0 == p1:
        raise ValueError(f"p_range must span a non-empty interval, got {p_range}")
    lo, hi = min(p0, p1), max(p0, p1)
    ds = abs(p1 - p0) / 200 if ds is None else ds
    ds_max = 4 * ds if ds_max is None else ds_max
    tol = _default_tol(dtype) if tol is None else tol
    x0 = jnp.atleast_1d(jnp.asarray(x0, dtype))
    n = x0.shape[0]

    fx = jax.jacfwd(f, argnums=0)
    fp = jax.jacfwd(f, argnums=1)

    def tangent(y, t_old):
        x, p = y[:n], y[n]
        top = jnp.concatenate([fx(x, p), fp(x, p).reshape(n, 1)], 1)
        M = jnp.concatenate([top, t_old[None, :]], 0)
        rhs = jnp.zeros(n + 1, dtype).at[n].set(1.0)
        t = jnp.linalg.solve(M, rhs)
        return t / jnp.linalg.norm(t)

    @jax.jit
    def start(x0, p0, t_guess):
        x, r = _newton_solve(lambda y: f(y, p0), x0, 40)
        y = jnp.concatenate([x, p0[None]])
        return y, tangent(y, t_guess), r

    @jax.jit
    def advance(y, tang, step):
        """Predictor along the tangent, Newton corrector on the bordered system."""
        y_pred = y + step * tang

        def G(z):
            return jnp.concatenate([f(z[:n], z[n]), (tang @ (z - y_pred))[None]])

        y_new, res = _newton_solve(G, y_pred, 12)
        return y_new, tangent(y_new, tang), res, jnp.linalg.norm(y_new - y)

    direction = 1.0 if p1 > p0 else -1.0
    t_guess = jnp.zeros(n + 1, dtype).at[n].set(direction)
    y, tang, r = start(x0, jnp.asarray(p0, dtype), t_guess)
    if not float(r) < tol:
        raise ValueError(f"x0 is not near a fixed point at p = {p0}: Newton ended with residual {float(r):.3g}")
    ys, tangs = [np.asarray(y, np.float64)], [np.asarray(tang, np.float64)]
    step = ds
    for _ in range(max_steps):
        y_new, t_new, res, dist = advance(y, tang, jnp.asarray(step, dtype))
        if not (float(res) < tol) or float(dist) > 3 * step:
            step /= 2
            if step < ds * 1e-4:
                break
            continue
        y, tang = y_new, t_new
        ys.append(np.asarray(y, np.float64))
        tangs.append(np.asarray(tang, np.float64))
        step = min(step * 1.3, ds_max)
        if not (lo - 1e-12 <= float(ys[-1][n]) <= hi + 1e-12):
            break
    Y = np.array(ys)
    T = np.array(tangs)
    J = np.asarray(jax.jit(jax.vmap(lambda yy: fx(yy[:n], yy[n])))(jnp.asarray(Y, dtype)), np.float64)
    eig = np.zeros((len(Y), n), complex)
    for k in range(len(Y)):
        lam = np.linalg.eigvals(J[k])
        eig[k] = lam[np.argsort(-lam.real, kind="stable")]
    stable = np.all(eig.real < 0, axis=1)
    bifs = [_refine_zero_det(f, b, n, dtype, tol) if b.kind in ("fold", "branch point") else b
            for b in _detect_bifurcations(Y, T, eig, n, stability_tol)]
    return Branch(Y[:, n], Y[:, :n], eig, stable, tuple(bifs))


def _refine_zero_det(f, bif, n, dtype, tol):
    """Locate a fold / branch point by Newton on the extended system f = 0, det J_x = 0,
    starting from the interpolated point; keep the interpolation if Newton does not settle
    nearby."""

    def ext(y):
        x, p = y[:n], y[n]
        return jnp.concatenate([f(x, p), jnp.linalg.det(jax.jacfwd(f, argnums=0)(x, p))[None]])

    y0 = jnp.asarray(np.concatenate([bif.x, [bif.p]]), dtype)
    y, res = jax.jit(lambda y: _newton_solve(ext, y, 30))(y0)
    y = np.asarray(y, np.float64)
    scale = max(1.0, float(np.max(np.abs(np.asarray(y0)))))
    if float(res) < max(tol, 1e-7) and np.max(np.abs(y - np.asarray(y0))) < 0.05 * scale:
        return Bifurcation(bif.kind, bif.index, float(y[n]), y[:n])
    return bif


def _detect_bifurcations(Y, T, eig, n, tol):
    """Folds from turns of the tangent in p; otherwise a change in the number of
    eigenvalues with positive real part: a Hopf point when a complex pair crosses
    (the eigenvalues nearest the imaginary axis are complex), else a branch point."""
    bifs = []
    scale = max(1.0, float(np.abs(eig).max())) if eig.size else 1.0
    eps = tol * scale
    n_unst = np.sum(eig.real > 0, axis=1)
    for k in range(len(Y) - 1):
        if T[k, n] * T[k + 1, n] < 0:
            kind = "fold"
            # the fold sits where dp/ds = 0: interpolate on the tangent's p-component
            a = T[k, n] / (T[k, n] - T[k + 1, n])
        elif n_unst[k] != n_unst[k + 1]:
            near_k = eig[k][np.argmin(np.abs(eig[k].real))]
            near_k1 = eig[k + 1][np.argmin(np.abs(eig[k + 1].real))]
            complex_pair = abs(near_k.imag) > eps and abs(near_k1.imag) > eps
            kind = "hopf" if (complex_pair and abs(int(n_unst[k]) - int(n_unst[k + 1])) == 2) else "branch point"
            re_k, re_k1 = near_k.real, near_k1.real
            a = re_k / (re_k - re_k1) if re_k != re_k1 else 0.5
        else:
            continue
        a = float(np.clip(a, 0.0, 1.0))
        yb = (1 - a) * Y[k] + a * Y[k + 1]
        bifs.append(Bifurcation(kind, k, float(yb[n]), yb[:n]))
    return bifs


# ---------------------------------------------------------------------------- Lyapunov
def lyapunov_exponent(system, x0=None, *, duration: float, dt: float, transient: float = 0.0,
                      renorm_every: int = 10, key=None, drive=None, return_history: bool = False):
    r"""The largest Lyapunov exponent (1/ms) by Benettin's method.

    The state and a tangent vector :math:`v` are advanced together with RK4 (the tangent
    through the Jacobian-vector product of the RK4 step, :func:`jax.jvp`); every
    ``renorm_every`` steps :math:`\log\|v\|` is accumulated and :math:`v` renormalised:

    .. math:: \lambda_{max} = \frac{1}{T} \sum_k \log \|v(t_k)\|.

    Args:
        system: a function ``f(x)`` or a model.
        x0: start point (default: the model's ``init_state``); start off fixed points.
        duration: averaging time after the transient (ms); ``dt``: RK4 step (ms).
        transient: time integrated first (state and tangent, not averaged), ms.
        key: key for the random initial tangent vector (default ``key(0)``).
        return_history: also return the running estimate at every renormalisation.
    """
    f = as_vector_field(system, drive)
    x0 = _state_vector(system, x0)
    key = jax.random.key(0) if key is None else key
    v0 = jax.random.normal(key, x0.shape, x0.dtype)
    v0 = v0 / jnp.linalg.norm(v0)
    n_trans = int(round(transient / dt))
    n_blocks = max(1, int(round(duration / dt)) // renorm_every)
    return _benettin(f, x0, v0, dt, n_trans, n_blocks, renorm_every, return_history)


def _benettin(f, x0, v0, dt, n_trans, n_blocks, k, return_history):
    @jax.jit
    def run(x0, v0):
        step = lambda x: _rk4_step(f, x, dt)

        def advance(n, x, v):
            # state and tangent together, then renormalise the tangent
            x, v = jax.lax.fori_loop(0, n, lambda _, xv: jax.jvp(step, (xv[0],), (xv[1],)), (x, v))
            nv = jnp.linalg.norm(v)
            return (x, v / nv), jnp.log(nv)

        # the transient settles the state on its attractor and aligns the tangent vector
        # with the most unstable direction (its leftover steps too); only the logs after
        # it are averaged
        carry, _ = jax.lax.scan(lambda c, _: advance(k, *c), (x0, v0), None, length=n_trans // k)
        carry, _ = advance(n_trans % k, *carry)
        _, logs = jax.lax.scan(lambda c, _: advance(k, *c), carry, None, length=n_blocks)
        return logs

    logs = run(x0, v0)
    total_t = n_blocks * k * dt
    lam = jnp.sum(logs) / total_t
    if return_history:
        times = (jnp.arange(1, n_blocks + 1) * k * dt)
        return lam, jnp.cumsum(logs) / times
    return lam


# ---------------------------------------------------------------------------- spectra
def random_connectivity(key, n: int, g: float = 1.0, dtype=None) -> jax.Array:
    r"""Gaussian random matrix :math:`J_{ij} \sim \mathcal N(0, g^2/n)` (the random
    networks of Sompolinsky, Crisanti & Sommers 1988). By the circular law its eigenvalues
    fill the disk of radius g uniformly as :math:`n \to \infty`."""
    dtype = jnp.result_type(float) if dtype is None else dtype
    return g / math.sqrt(n) * jax.random.normal(key, (n, n), dtype)


def spectrum(W) -> np.ndarray:
    """Eigenvalues of ``W`` (float64, on the host), sorted by decreasing real part."""
    lam = np.linalg.eigvals(np.asarray(W, np.float64))
    return lam[np.argsort(-lam.real, kind="stable")]


@dataclass(frozen=True)
class CircularLaw:
    """Comparison of a spectrum with the circular law (uniform density on the disk).

    ``radius``: the predicted radius g; ``spectral_radius``: max |λ|;
    ``fraction_inside``: fraction of eigenvalues with |λ| <= radius;
    ``ks_statistic``: Kolmogorov–Smirnov distance between the distribution of
    :math:`|\\lambda|^2 / g^2` and Uniform(0, 1) (the circular law's prediction);
    ``ks_pvalue``: its p-value (eigenvalues are not independent, so read it loosely).
    """

    radius: float
    spectral_radius: float
    fraction_inside: float
    ks_statistic: float
    ks_pvalue: float


def circular_law(eigenvalues, radius: float) -> CircularLaw:
    r"""Check eigenvalues against the circular law for radius ``radius`` (= g)."""
    from scipy import stats

    lam = np.asarray(eigenvalues, complex).ravel()
    u = np.abs(lam) ** 2 / radius**2
    ks = stats.kstest(np.clip(u, 0, None), "uniform")
    return CircularLaw(float(radius), float(np.abs(lam).max()),
                       float(np.mean(np.abs(lam) <= radius)), float(ks.statistic), float(ks.pvalue))
