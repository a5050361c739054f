r"""Transfer functions (input -> rate nonlinearities) for rate networks.

Every transfer function is a small immutable :class:`equinox.Module`, so its parameters
are leaves of the model PyTree (a sweep over a gain is a ``vmap``). Any other callable
``F(x) -> array`` of the same shape works too.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._checks import is_traced, positive_scalar


def _pos(name, value, unit=""):
    positive_scalar(name, value, unit)


class Linear(eqx.Module):
    r"""Linear transfer :math:`F(x) = g\,x`.

    Args:
        gain: slope :math:`g` (rate per unit input, e.g. Hz/pA), default 1.

    Example:
        >>> Linear(2.0)(jnp.array([1.0, -1.0]))
        Array([ 2., -2.], dtype=float32)
    """

    gain: float | jax.Array = 1.0

    def __call__(self, x):
        return self.gain * x


class ReLU(eqx.Module):
    r"""Rectified-linear transfer :math:`F(x) = g\,[x - \theta]_+`.

    Args:
        gain: slope :math:`g` above threshold (e.g. Hz/pA), default 1.
        theta: threshold :math:`\theta` (input units), default 0.

    Example:
        >>> ReLU()(jnp.array([1.0, -1.0]))
        Array([1., 0.], dtype=float32)
    """

    gain: float | jax.Array = 1.0
    theta: float | jax.Array = 0.0

    def __call__(self, x):
        return self.gain * jnp.maximum(x - self.theta, 0.0)


class ThresholdPower(eqx.Module):
    r"""Threshold-power-law transfer :math:`F(x) = k\,[x - \theta]_+^{n}`
    (supralinear stabilised networks use :math:`n = 2`).

    Args:
        k: prefactor :math:`k > 0` (rate per input unit to the power n).
        n: exponent :math:`n > 0`, default 2.
        theta: threshold :math:`\theta` (input units), default 0.

    Example:
        >>> ThresholdPower(k=0.5, n=2.0)(jnp.array([2.0, -1.0]))
        Array([2., 0.], dtype=float32)
    """

    k: float | jax.Array = 1.0
    n: float | jax.Array = 2.0
    theta: float | jax.Array = 0.0

    def __check_init__(self):
        _pos("k", self.k)
        _pos("n", self.n)

    def __call__(self, x):
        return self.k * jnp.maximum(x - self.theta, 0.0) ** self.n


class Tanh(eqx.Module):
    r"""Hyperbolic-tangent transfer :math:`F(x) = A \tanh(\beta (x - \theta))`.

    With the defaults this is :math:`\tanh x`, the nonlinearity of the random networks of
    Sompolinsky, Crisanti & Sommers (1988).

    Args:
        amplitude: :math:`A`, default 1.
        beta: slope at :math:`x = \theta`, default 1 (must be > 0).
        theta: centre :math:`\theta`, default 0.
    """

    amplitude: float | jax.Array = 1.0
    beta: float | jax.Array = 1.0
    theta: float | jax.Array = 0.0

    def __check_init__(self):
        _pos("beta", self.beta)

    def __call__(self, x):
        return self.amplitude * jnp.tanh(self.beta * (x - self.theta))


class Sigmoid(eqx.Module):
    r"""Logistic transfer :math:`F(x) = r_{max} / (1 + e^{-\beta (x - \theta)})`
    (the Wilson–Cowan nonlinearity).

    Args:
        r_max: maximal rate :math:`r_{max} > 0` (Hz, or 1 for normalised rates).
        beta: slope parameter :math:`\beta > 0` (1/input unit).
        theta: half-activation input :math:`\theta`.
    """

    r_max: float | jax.Array = 1.0
    beta: float | jax.Array = 1.0
    theta: float | jax.Array = 0.0

    def __check_init__(self):
        _pos("r_max", self.r_max)
        _pos("beta", self.beta)

    def __call__(self, x):
        return self.r_max * jax.nn.sigmoid(self.beta * (x - self.theta))


class SaturatingLinear(eqx.Module):
    r"""Saturating threshold-linear transfer
    :math:`F(x) = \min(g [x - \theta]_+,\ r_{max})`.

    Args:
        gain: slope :math:`g` between threshold and saturation.
        theta: threshold :math:`\theta`.
        r_max: saturation rate :math:`r_{max} > 0`.
    """

    gain: float | jax.Array = 1.0
    theta: float | jax.Array = 0.0
    r_max: float | jax.Array = 1.0

    def __check_init__(self):
        _pos("r_max", self.r_max)

    def __call__(self, x):
        return jnp.clip(self.gain * (x - self.theta), 0.0, self.r_max)


class Tabulated(eqx.Module):
    r"""A transfer function given by samples :math:`(x_i, F_i)`, linearly interpolated and
    held constant outside the sampled range (for example an f–I curve measured from a
    spiking simulation, see :func:`neurodyn.rate.measure_fi_curve`).

    Args:
        x: increasing sample inputs, shape ``(m,)``.
        y: rates at those inputs, shape ``(m,)``.
    """

    x: jax.Array
    y: jax.Array

    def __init__(self, x, y):
        self.x = jnp.asarray(x, dtype=jnp.result_type(float))
        self.y = jnp.asarray(y, dtype=jnp.result_type(float))

    def __check_init__(self):
        if self.x.ndim != 1 or self.y.shape != self.x.shape or self.x.shape[0] < 2:
            raise ValueError(f"x and y must be 1-D arrays of the same length >= 2, got shapes "
                             f"{tuple(self.x.shape)} and {tuple(self.y.shape)}")
        if not is_traced(self.x) and not bool(jnp.all(jnp.diff(self.x) > 0)):
            raise ValueError("x must be strictly increasing, got unsorted or repeated samples")

    def __call__(self, x):
        return jnp.interp(x, self.x, self.y)
