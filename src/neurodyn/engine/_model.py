"""The model protocol: what every neurodyn model provides to the engine."""

from __future__ import annotations

import abc
from typing import Any, Callable, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray, PyTree

from .._params import Documented, new_with_checked_keywords, suggest
from ._solvers import AbstractSolver, Euler, EulerMaruyama

#: Population name used for the spikes of a single-population model.
SINGLE = "neurons"

# Types of the protocol (annotations only: nothing is checked at run time).
#: A model's state: a PyTree (usually an ``eqx.Module``) of arrays.
State = PyTree[Array]
#: A time or a time step, ms: a scalar (traced inside the loop).
Time = Float[ArrayLike, ""]
#: The external drive at one time: an array of ``input_shape`` or a scalar, or for a
#: network a dict population -> such a value.
Drive = PyTree[Float[ArrayLike, "..."]]
#: Which neurons fired in one step (one population): booleans, or surrogate spikes (floats
#: 0.0/1.0 whose derivative is a surrogate gradient, ``engine/_surrogate.py``).
Spiked = Bool[Array, "*neurons"] | Float[Array, "*neurons"]


def as_bool(spiked):
    """The spikes as booleans (surrogate spikes are floats 0.0/1.0)."""
    return spiked if spiked.dtype == jnp.bool_ else spiked != 0


class AbstractModel(Documented):
    """Parameters of a model. Never holds state; never owns a time loop."""

    __new__ = new_with_checked_keywords  # LIF(tau=20): "did you mean 'tau_m'?"

    @abc.abstractmethod
    def init_state(self, key: PRNGKeyArray) -> State:
        """The state at t = 0 (a PyTree of arrays)."""

    @property
    @abc.abstractmethod
    def input_shape(self) -> tuple[int, ...] | dict[str, tuple[int, ...]]:
        """Shape of the external drive: a tuple, or a dict population -> tuple."""

    def time_constants(self) -> dict[str, Any]:
        """Named time constants (ms); ``simulate`` refuses a ``dt`` larger than any of them."""
        return {}

    def plastic_weights(self, state: State) -> dict:
        """Weights that changed during a run: name -> ``(pre, post, w)`` per synapse (for
        ``Result.weights``); ``{}`` for models without plasticity."""
        return {}

    def read(self, state: State, name: str) -> Array:
        """The recorded quantity ``name`` of ``state``."""
        if not hasattr(state, name) or name.startswith("_"):
            raise ValueError(
                f"record: unknown variable {name!r} for {type(self).__name__}{suggest(name, variables(state))}; "
                f"expected one of {', '.join(variables(state))}"
            )
        return getattr(state, name)


def variables(state: State) -> list[str]:
    """Names of the recordable fields of a state."""
    return [k for k in getattr(state, "__dataclass_fields__", {}) if not k.startswith("_")]


class AbstractDynamics(AbstractModel):
    r"""A continuous-time model :math:`\dot y = f(t, y, \text{drive})`, optionally with
    diagonal noise :math:`g` and spike events (threshold, reset, refractoriness)."""

    default_solver: ClassVar[AbstractSolver] = Euler()

    @abc.abstractmethod
    def vector_field(self, t: Time, state: State, drive: Drive) -> State:
        """d(state)/dt. Integer leaves of the returned PyTree are ignored."""

    def diffusion(self, t: Time, state: State, drive: Drive) -> State | None:
        """Diagonal noise amplitude per state leaf (``None`` = deterministic model)."""
        return None

    def fire(self, state: State, t: Time, dt: Time) -> tuple[State, Spiked | None]:
        """Threshold, reset, refractoriness after the continuous update.

        Returns ``(state, spiked)`` with ``spiked`` a boolean array (or surrogate spikes:
        floats 0.0/1.0 that carry a surrogate gradient, which the engine counts and
        propagates differentiably), or ``None`` for a model without spikes.
        """
        return state, None

    def fused_step(
        self, state: State, t: Time, dt: Time, drive: Callable[[Time], Drive], solver: AbstractSolver
    ) -> tuple[State, Spiked] | None:
        """Optional: the whole step (``solver`` then ``fire``) in one compiled kernel.

        Returns ``(state, spiked)``, or ``None`` (the default) to use the generic path.
        A model that fuses must give the generic path's results (up to rounding) and its
        derivatives.
        """
        return None


class AbstractMap(AbstractModel):
    """A discrete-time or composite model that supplies its own step."""

    @abc.abstractmethod
    def step(
        self, state: State, t: Time, dt: Time, drive: Callable[[Time], Drive], key: PRNGKeyArray
    ) -> tuple[State, dict[str, Spiked]]:
        """Advance from t to t + dt. ``drive(s)`` is the external input at time s.

        Returns ``(state, spikes)``, spikes a dict population -> boolean array.
        """


def advance(
    model: AbstractModel, state: State, t: Time, dt: Time, drive: Callable[[Time], Drive], key: PRNGKeyArray,
    solver: AbstractSolver | None,
) -> tuple[State, dict[str, Spiked]]:
    """One step of any model: solver + events for dynamics, ``step`` for maps."""
    if isinstance(model, AbstractMap):
        return model.step(state, t, dt, drive, key)
    fused = model.fused_step(state, t, dt, drive, solver)
    if fused is not None:
        state, spiked = fused
        return state, {SINGLE: spiked}
    return generic_advance(model, state, t, dt, drive, key, solver)


def generic_advance(
    model: AbstractDynamics, state: State, t: Time, dt: Time, drive: Callable[[Time], Drive], key: PRNGKeyArray,
    solver: AbstractSolver,
) -> tuple[State, dict[str, Spiked]]:
    """:func:`advance` of a continuous-time model through its ``vector_field`` and ``fire``."""
    mask = jax.tree.map(eqx.is_inexact_array, state)
    continuous, discrete = eqx.partition(state, mask)

    def f(s, y):
        d = model.vector_field(s, eqx.combine(y, discrete), drive(s))
        return eqx.filter(d, mask)

    g = None
    if model.diffusion(t, state, drive(t)) is not None:
        if not isinstance(solver, EulerMaruyama):
            raise ValueError(
                f"solver: {type(model).__name__} has intrinsic noise and needs "
                f"EulerMaruyama, got {type(solver).__name__}"
            )

        def g(s, y):
            return model.diffusion(s, eqx.combine(y, discrete), drive(s))

    # materialise the new state once: otherwise XLA may recompute the update (noise
    # draws included) inside every consumer, e.g. once for V and once for the spikes
    continuous = jax.lax.optimization_barrier(solver.step(f, t, continuous, dt, key, g))
    state, spiked = model.fire(eqx.combine(continuous, discrete), t + dt, dt)
    return state, ({} if spiked is None else {SINGLE: spiked})


class ODEState(eqx.Module):
    y: Float[Array, " n"]


class ODE(AbstractDynamics):
    r"""A user-defined system :math:`dy = f(t, y, u)\,dt + g(t, y, u)\,dW` on a flat
    state vector ``y`` (recorded as ``"y"``), with drive ``u`` from ``inputs``.

    Example::

        decay = nd.ODE(lambda t, y, u: -y / 10.0 + u, y0=jnp.ones(3))
        res = nd.simulate(decay, duration=50.0, dt=0.1, record=["y"])
    """

    f: Callable = eqx.field(static=True)
    y0: jax.Array
    g: Callable | None = eqx.field(static=True, default=None)
    taus: dict = eqx.field(default_factory=dict)

    def __check_init__(self):
        if not callable(self.f):
            raise TypeError(f"f must be callable f(t, y, u), got {type(self.f).__name__}")
        if jnp.ndim(self.y0) != 1:
            raise ValueError(f"y0 must be a 1-D array, got shape {jnp.shape(self.y0)}")

    @property
    def default_solver(self):
        from ._solvers import RK4

        return RK4() if self.g is None else EulerMaruyama()

    @property
    def input_shape(self):
        return jnp.shape(self.y0)

    def init_state(self, key: PRNGKeyArray | None = None) -> ODEState:
        return ODEState(jnp.asarray(self.y0))

    def vector_field(self, t: Time, state: ODEState, drive: Drive) -> ODEState:
        return ODEState(self.f(t, state.y, drive))

    def diffusion(self, t: Time, state: ODEState, drive: Drive) -> ODEState | None:
        return None if self.g is None else ODEState(self.g(t, state.y, drive))

    def time_constants(self):
        return dict(self.taus)
