"""Fixed-step integrators.

A solver advances the continuous (floating-point) part of a state by one step,
``y(t) -> y(t + dt)``, given ``f(t, y)`` (the vector field with the drive already
bound) and, for stochastic solvers, ``g(t, y)`` (the diffusion coefficient).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from ._random import normal


def _axpy(a, x, y):
    """y + a * x over matching PyTrees."""
    return jax.tree.map(lambda xi, yi: yi + a * xi, x, y)


class AbstractSolver(eqx.Module):
    """One step of a fixed-step integration scheme."""

    @abc.abstractmethod
    def step(self, f, t, y, dt, key=None, g=None):
        """Return y at t + dt."""


class Euler(AbstractSolver):
    r"""Forward Euler, :math:`y_{n+1} = y_n + \Delta t\, f(t_n, y_n)`. Order 1."""

    order: ClassVar[float] = 1.0

    def step(self, f, t, y, dt, key=None, g=None):
        return _axpy(dt, f(t, y), y)


class RK4(AbstractSolver):
    """Classic fourth-order Runge–Kutta. Deterministic inputs are evaluated at the stage times."""

    order: ClassVar[float] = 4.0

    def step(self, f, t, y, dt, key=None, g=None):
        k1 = f(t, y)
        k2 = f(t + dt / 2, _axpy(dt / 2, k1, y))
        k3 = f(t + dt / 2, _axpy(dt / 2, k2, y))
        k4 = f(t + dt, _axpy(dt, k3, y))
        return jax.tree.map(
            lambda yi, a, b, c, d: yi + dt / 6 * (a + 2 * b + 2 * c + d), y, k1, k2, k3, k4
        )


def _phi1(z):
    r""":math:`(e^z - 1)/z`, continuous at 0: ``z`` is moved away from 0 by 1e-30 (which
    changes no float32 ``|z| > 1e-23``; ``expm1`` is accurate for small ``z``). No select:
    on XLA CPU a ``where`` here keeps ``expm1`` from vectorising (1.5x the LIF step)."""
    z = z + jnp.copysign(jnp.asarray(1e-30, z.dtype), z)
    return jnp.expm1(z) / z


class ExponentialEuler(AbstractSolver):
    r"""Exponential Euler: each variable's equation is written ``dx/dt = a x + b`` with
    ``a`` the diagonal of the Jacobian (other variables held fixed over the step), and
    advanced exactly, :math:`x_{n+1} = x_n + \Delta t\, \varphi_1(a \Delta t)\, f(x_n)`.

    Exact for linear decay with inputs held over the step (the LIF membrane between
    spikes); stable for stiff gating variables. Order 1 in general. The diagonal is taken
    elementwise, which is exact for populations of uncoupled neurons; models whose
    variables couple across elements should use another solver.
    """

    order: ClassVar[float] = 1.0

    def step(self, f, t, y, dt, key=None, g=None):
        fy, jvp = jax.linearize(lambda y_: f(t, y_), y)
        leaves, treedef = jax.tree.flatten(y)
        diagonal = []
        for i, leaf in enumerate(leaves):
            tangent = [jnp.ones_like(x) if j == i else jnp.zeros_like(x) for j, x in enumerate(leaves)]
            diagonal.append(jax.tree.leaves(jvp(jax.tree.unflatten(treedef, tangent)))[i])
        a = jax.tree.unflatten(treedef, diagonal)
        return jax.tree.map(lambda yi, fi, ai: yi + dt * _phi1(ai * dt) * fi, y, fy, a)


class EulerMaruyama(AbstractSolver):
    r"""Euler–Maruyama for :math:`dy = f\,dt + g\,dW` with diagonal noise:
    :math:`y_{n+1} = y_n + f \Delta t + g \sqrt{\Delta t}\, \xi_n`. Strong order 1/2
    (order 1 for additive noise in the weak sense). Without ``g`` it is forward Euler.

    Noise that enters as an input current (``neurodyn.inputs.white_noise``) is already
    Euler–Maruyama under any of the solvers: it is drawn once per step with variance
    ``sigma**2 / dt``.
    """

    order: ClassVar[float] = 0.5

    def step(self, f, t, y, dt, key=None, g=None):
        y_next = _axpy(dt, f(t, y), y)
        if g is None:
            return y_next
        gy = g(t, y)
        leaves, treedef = jax.tree.flatten(y_next)
        g_leaves = treedef.flatten_up_to(gy)
        keys = jax.random.split(key, len(leaves))
        out = [
            yi if gi is None else yi + gi * jnp.sqrt(dt) * normal(k, yi.shape, yi.dtype)
            for yi, gi, k in zip(leaves, g_leaves, keys)
        ]
        return jax.tree.unflatten(treedef, out)
