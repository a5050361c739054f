r"""The continuous-time (graded-response) Hopfield network, run by ``neurodyn.simulate``.

Hopfield, J. J. (1984) "Neurons with graded response have collective computational
properties like those of two-state neurons", PNAS 81:3088.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..engine import RK4, AbstractDynamics
from .._params import check_positive
from ._validate import check_states


class ContinuousHopfieldState(eqx.Module):
    u: Float[Array, " n"]  #: internal potentials (dimensionless)


def _log_cosh(x):
    a = jnp.abs(x)
    return a + jnp.log1p(jnp.exp(-2.0 * a)) - jnp.log(2.0)


class ContinuousHopfield(AbstractDynamics):
    r"""Graded-response Hopfield network.

    .. math::
        \tau \frac{du_i}{dt} = -u_i + \sum_j w_{ij}\, g(u_j) + b_i + I_i(t),
        \qquad g(u) = \tanh(\lambda u)

    With symmetric :math:`W` and constant input the Lyapunov function (Hopfield 1984)

    .. math::
        E = -\tfrac12 V^\top W V - (b + I)^\top V
            + \sum_i \int_0^{V_i} g^{-1}(v)\,dv, \qquad V = g(u),

    never increases along trajectories: :math:`dE/dt = -\tau \sum_i g'(u_i)\,\dot u_i^2`.
    Here :math:`\int_0^V g^{-1} = V u - \lambda^{-1}\log\cosh(\lambda u)`.

    Recorded variables: ``"u"`` (state) and ``"V"`` (the outputs :math:`g(u)`).

    Args:
        weights: :math:`W`, shape ``(N, N)`` (dimensionless).
        tau: time constant :math:`\tau`, ms.
        gain: :math:`\lambda`, slope of :math:`g` at 0 (dimensionless, > 0).
        bias: :math:`b`, scalar or ``(N,)`` (same units as :math:`u`).
        u0: initial :math:`u`, ``(N,)`` (default zeros); see :meth:`with_cue`.

    Example::

        import jax, neurodyn as nd
        from neurodyn.memory import Hopfield, random_patterns, corrupt
        xi = random_patterns(jax.random.key(0), 5, 100)
        net = Hopfield(xi).continuous(tau=10.0, gain=4.0)
        net = net.with_cue(corrupt(jax.random.key(1), xi[0], 0.2))
        res = nd.simulate(net, duration=200.0, dt=0.1, record=["u"], progress=False)
        res.traces["u"].shape          # (2000, 100)
    """

    weights: Float[Array, "n n"]
    tau: Float[Array, ""]
    gain: Float[Array, ""]
    bias: Float[Array, " n"]
    u0: Float[Array, " n"]

    default_solver = RK4()

    def __init__(self, weights, tau=10.0, gain=1.0, bias=0.0, u0=None):
        w = jnp.asarray(weights, dtype=jnp.result_type(float))
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise ValueError(f"weights must be a square (N, N) array, got shape {w.shape}")
        n = w.shape[0]
        check_positive("tau (ms)", tau, scalar=True)
        check_positive("gain", gain, scalar=True)
        b = jnp.asarray(bias, w.dtype)
        if b.ndim == 0:
            b = jnp.full((n,), b)
        if b.shape != (n,):
            raise ValueError(f"bias must be a scalar or shape ({n},), got shape {b.shape}")
        if u0 is None:
            u = jnp.zeros((n,), w.dtype)
        else:
            check_states(u0, n, "u0", binary=False)
            u = jnp.asarray(u0, w.dtype)
            if u.shape != (n,):
                raise ValueError(f"u0 must have shape ({n},), got shape {u.shape}")
        self.weights = w
        self.tau = jnp.asarray(tau, w.dtype)
        self.gain = jnp.asarray(gain, w.dtype)
        self.bias = b
        self.u0 = u

    @property
    def n(self) -> int:
        return self.weights.shape[0]

    @property
    def input_shape(self):
        return (self.n,)

    def time_constants(self):
        return {"tau": self.tau}

    def init_state(self, key=None):
        return ContinuousHopfieldState(u=self.u0)

    def output(self, u) -> Array:
        r""":math:`V = g(u) = \tanh(\lambda u)`."""
        return jnp.tanh(self.gain * u)

    def vector_field(self, t, state, drive):
        v = self.output(state.u)
        return ContinuousHopfieldState(u=(-state.u + self.weights @ v + self.bias + drive) / self.tau)

    def read(self, state, name: str):
        if name == "V":
            return self.output(state.u)
        return super().read(state, name)

    def with_cue(self, cue, amplitude: float = 1.0):
        r"""A copy starting from :math:`u(0) = \text{amplitude}\cdot\text{cue}` (cue of shape ``(N,)``)."""
        check_states(cue, self.n, "cue", binary=False)
        cue = jnp.asarray(cue, self.weights.dtype)
        if cue.shape != (self.n,):
            raise ValueError(f"cue must have shape ({self.n},), got shape {cue.shape}")
        return eqx.tree_at(lambda m: m.u0, self, amplitude * cue)

    def energy(self, u, drive=0.0) -> Array:
        """Lyapunov energy of potentials ``u`` (``(..., N)``) under constant input ``drive``."""
        check_states(u, self.n, "u", binary=False)
        u = jnp.asarray(u, self.weights.dtype)
        v = self.output(u)
        integral = v * u - _log_cosh(self.gain * u) / self.gain
        return (
            -0.5 * jnp.sum((v @ self.weights.T) * v, -1)
            - v @ (self.bias + jnp.asarray(drive, u.dtype))
            + jnp.sum(integral, -1)
        )
