r"""Nonlinear firing-rate networks that run through :func:`neurodyn.simulate`."""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..engine._model import AbstractDynamics
from ..engine._solvers import RK4
from ._checks import input_value, is_traced, per_unit, split_input, square_matrix


class RateState(eqx.Module):
    r: jax.Array  #: firing rates, Hz (recorded as ``"r"``)


class CurrentState(eqx.Module):
    x: jax.Array  #: input currents / activations (recorded as ``"x"``)


def _check_callable(name, F):
    if not callable(F):
        raise TypeError(f"{name} must be callable F(x) -> rates, got {type(F).__name__} {F!r}")


def _normalise_populations(populations, n):
    if populations is None:
        return (("all", n),)
    if isinstance(populations, tuple) and populations == (("all", n),):
        return populations
    if isinstance(populations, dict):
        items = tuple((str(k), int(v)) for k, v in populations.items())
    else:
        items = tuple((str(k), int(v)) for k, v in populations)
    if not items or any(v < 1 for _, v in items):
        raise ValueError(f"populations must map names to positive sizes, got {populations!r}")
    if sum(v for _, v in items) != n:
        raise ValueError(f"populations must add up to the {n} units of W, got sizes "
                         f"{dict(items)} summing to {sum(v for _, v in items)}")
    if len({k for k, _ in items}) != len(items):
        raise ValueError(f"population names must be unique, got {[k for k, _ in items]}")
    return items


def _per_population(name, value, pops, n, **kw):
    """A scalar, an ``(n,)`` array, or a dict population -> scalar/array, as an array."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - {p for p, _ in pops})
        if unknown:
            raise ValueError(f"{name}: unknown population {unknown[0]!r}; expected one of "
                             f"{', '.join(p for p, _ in pops)}")
        missing = [p for p, _ in pops if p not in value]
        if missing:
            raise ValueError(f"{name} must give a value for every population, missing {missing[0]!r}")
        parts = [jnp.broadcast_to(per_unit(f"{name}[{p!r}]", value[p], size, **kw), (size,))
                 for p, size in pops]
        return jnp.concatenate(parts)
    return per_unit(name, value, n, **kw)


class RateNetwork(AbstractDynamics):
    r"""A nonlinear firing-rate network.

    .. math::  \tau \frac{dr}{dt} = -r + F\big(h + I_{ext}(t) + W r\big)

    or, with ``form="current"``, the equivalent network written for the input currents
    (Sompolinsky, Crisanti & Sommers 1988):

    .. math::  \tau \frac{dx}{dt} = -x + h + I_{ext}(t) + W F(x).

    :math:`I_{ext}(t)` is the drive from ``simulate(..., inputs=...)``: any input from
    :mod:`neurodyn.inputs` (steps, pulses, sampled arrays, functions of t, white noise,
    Ornstein–Uhlenbeck, Poisson) or a sum of them, added to ``h``.

    Args:
        W: connectivity ``(n, n)`` (input units per Hz; dimensionless for normalised rates).
        tau: time constant(s) in ms: a scalar, an ``(n,)`` array, or a dict
            population -> value.
        F: transfer function (any callable mapping an ``(n,)`` input to rates): one of
            :mod:`neurodyn.rate`'s (``Linear``, ``ReLU``, ``ThresholdPower``, ``Tanh``,
            ``Sigmoid``, ``SaturatingLinear``, ``Tabulated``, ``Siegert``), a user
            function, or a dict population -> callable.
        h: external input (input units): a constant (scalar, ``(n,)`` or dict population ->
            value), or a deterministic input from :mod:`neurodyn.inputs` (steps, pulses,
            ``array``, ``function``...) evaluated at the solver's stage times; default 0.
            Noisy inputs go to ``simulate(..., inputs=...)``.
        r0: initial state (Hz, or input units for ``form="current"``); default 0.
        populations: optional ordered sizes, e.g. ``{"E": 80, "I": 20}``: units are
            grouped in that order; ``tau``, ``F``, ``h`` and ``r0`` may then be given per
            population, and ``record=["r_E"]`` records one population.
        form: ``"rate"`` (default, state ``r``) or ``"current"`` (state ``x``).

    Example:
        >>> import neurodyn as nd
        >>> net = nd.rate.RateNetwork(W, tau=10.0, F=nd.rate.ReLU(), h=1.0)  # doctest: +SKIP
        >>> res = nd.simulate(net, duration=200.0, dt=0.1, record=["r"])      # doctest: +SKIP
        >>> res.traces["r"].shape                                              # doctest: +SKIP
        (2000, n)
    """

    W: jax.Array
    tau: jax.Array
    F: tuple
    h: jax.Array
    r0: jax.Array
    h_input: object
    n: int = eqx.field(static=True)
    populations: tuple = eqx.field(static=True)
    form: str = eqx.field(static=True)

    default_solver = RK4()

    def __init__(self, W, tau=10.0, F=None, h=0.0, r0=0.0, *, populations=None, form="rate"):
        W = square_matrix("W", W)
        n = W.shape[0]
        if form not in ("rate", "current"):
            raise ValueError(f"form must be 'rate' or 'current', got {form!r}")
        pops = _normalise_populations(populations, n)
        if F is None:
            raise TypeError("F must be callable F(x) -> rates, got None (use neurodyn.rate.Linear() "
                            "for a linear network)")
        if isinstance(F, dict):
            _per_population("F", {k: 0.0 for k in F}, pops, n)  # names checked
            for p, _ in pops:
                _check_callable(f"F[{p!r}]", F[p])
            Fs = tuple(F[p] for p, _ in pops)
        else:
            _check_callable("F", F)
            Fs = (F,)
        self.W = W
        self.n = n
        self.populations = pops
        self.form = form
        self.F = Fs
        self.tau = _per_population("tau", tau, pops, n, positive=True, unit="ms").astype(W.dtype)
        h, self.h_input = split_input("h", h, n)
        self.h = jnp.broadcast_to(_per_population("h", h, pops, n), (n,)).astype(W.dtype)
        self.r0 = jnp.broadcast_to(_per_population("r0", r0, pops, n), (n,)).astype(W.dtype)

    def replace(self, **changes) -> "RateNetwork":
        """A copy with some constructor arguments changed (validated again), e.g.
        ``net.replace(h=2.0)``; works with traced values inside ``vmap`` sweeps."""
        args = dict(W=self.W, tau=self.tau, r0=self.r0, populations=self.populations, form=self.form,
                    h=self.h if self.h_input is None else self.h_input,
                    F=self.F[0] if len(self.F) == 1 else dict(zip(self.slices(), self.F)))
        unknown = sorted(set(changes) - set(args))
        if unknown:
            raise TypeError(f"RateNetwork has no parameter {unknown[0]!r}; expected one of {', '.join(args)}")
        args.update(changes)
        W = args.pop("W")
        return type(self)(W, **args)

    # -- structure ------------------------------------------------------------
    @classmethod
    def wilson_cowan(cls, w_EE, w_EI, w_IE, w_II, *, tau_E=10.0, tau_I=10.0, F_E=None, F_I=None,
                     h_E=0.0, h_I=0.0, r0=0.0):
        r"""A Wilson–Cowan excitatory–inhibitory pair (populations ``"E"``, ``"I"``):

        .. math::
            \tau_E \dot r_E = -r_E + F_E(h_E + w_{EE} r_E - w_{EI} r_I),\quad
            \tau_I \dot r_I = -r_I + F_I(h_I + w_{IE} r_E - w_{II} r_I)

        with all weights given as magnitudes (>= 0). ``F_E``, ``F_I`` default to
        ``Sigmoid()``.
        """
        from ._transfer import Sigmoid

        for name, w in (("w_EE", w_EE), ("w_EI", w_EI), ("w_IE", w_IE), ("w_II", w_II)):
            if not is_traced(w) and float(np.asarray(w)) < 0:
                raise ValueError(f"{name} must be >= 0 (a magnitude; signs are set by the E/I "
                                 f"structure), got {w!r}")
        W = jnp.array([[w_EE, -w_EI], [w_IE, -w_II]], dtype=jnp.result_type(float))
        return cls(W, {"E": tau_E, "I": tau_I}, {"E": F_E or Sigmoid(), "I": F_I or Sigmoid()},
                   {"E": h_E, "I": h_I}, r0, populations={"E": 1, "I": 1})

    def slices(self) -> dict[str, slice]:
        """Population name -> slice of the unit axis."""
        out, start = {}, 0
        for p, size in self.populations:
            out[p] = slice(start, start + size)
            start += size
        return out

    def split(self, r) -> dict[str, jax.Array]:
        """Split the last axis of ``r`` (e.g. ``res.traces["r"]``) by population."""
        return {p: r[..., s] for p, s in self.slices().items()}

    def transfer(self, x):
        """Apply the transfer function(s) population by population."""
        if len(self.F) == 1:
            return self.F[0](x)
        parts = [F(x[s]) for F, s in zip(self.F, self.slices().values())]
        return jnp.concatenate([jnp.broadcast_to(jnp.asarray(p), (s.stop - s.start,))
                                for p, s in zip(parts, self.slices().values())])

    @property
    def state_name(self) -> str:
        return "r" if self.form == "rate" else "x"

    # -- the model protocol ---------------------------------------------------
    @property
    def input_shape(self):
        return (self.n,)

    def init_state(self, key=None):
        return RateState(self.r0) if self.form == "rate" else CurrentState(self.r0)

    def input_at(self, t):
        """The model's own input :math:`h(t)` (constant part plus a deterministic input)."""
        if self.h_input is None:
            return self.h
        return self.h + input_value(self.h_input, t, self.n, self.h.dtype)

    def vector_field(self, t, state, drive):
        h = self.input_at(t) + drive
        if self.form == "rate":
            r = state.r
            return RateState((-r + self.transfer(h + self.W @ r)) / self.tau)
        x = state.x
        return CurrentState((-x + h + self.W @ self.transfer(x)) / self.tau)

    def time_constants(self):
        return {"tau": self.tau}

    def read(self, state, name):
        base = self.state_name
        if name.startswith(base + "_") and name[len(base) + 1:] in self.slices():
            return getattr(state, base)[self.slices()[name[len(base) + 1:]]]
        return super().read(state, name)

