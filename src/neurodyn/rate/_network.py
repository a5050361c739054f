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


# The weights of a plastic network are read as ``state.W`` and recorded on request only
# (``record=["W"]``): a leading underscore keeps n² numbers out of the default record.
class PlasticRateState(eqx.Module):
    r: jax.Array  #: firing rates, Hz (recorded as ``"r"``)
    _W: jax.Array  #: weights (post × pre), changed by the rule
    _phase: jax.Array  #: steps since the rule last ran (int32, < ``rule.every``)
    _rule: object  #: the rule's per-neuron variables (``RuleVars``: ``pre``, ``post``)

    @property
    def W(self):
        return self._W

    @property
    def rule_vars(self):
        """The rule's per-neuron variables, ``.pre`` and ``.post`` (e.g. BCM's threshold)."""
        return self._rule


class PlasticCurrentState(eqx.Module):
    x: jax.Array  #: input currents / activations (recorded as ``"x"``)
    _W: jax.Array  #: weights (post × pre), changed by the rule
    _phase: jax.Array  #: steps since the rule last ran (int32, < ``rule.every``)
    _rule: object  #: the rule's per-neuron variables (``RuleVars``: ``pre``, ``post``)

    @property
    def W(self):
        return self._W

    @property
    def rule_vars(self):
        """The rule's per-neuron variables, ``.pre`` and ``.post`` (e.g. BCM's threshold)."""
        return self._rule


def _check_rule(rule):
    """A rule a rate network can run (``plasticity._dense.check_rate_rule``)."""
    from ..plasticity._dense import check_rate_rule

    return None if rule is None else check_rate_rule(rule)


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
        plasticity: a rate rule from :mod:`neurodyn.plasticity` (e.g. ``Hebbian``) that
            changes ``W`` during the run; ``None`` (default) keeps ``W`` a fixed parameter.

    **Plastic weights.** With a rule, ``W`` (post × pre: ``W[i, j]`` is the weight from
    unit ``j`` to unit ``i``) is part of the state (:class:`PlasticRateState` or
    :class:`PlasticCurrentState`, read as ``state.W``), and each step of ``simulate``

    1. integrates the rates with the solver, ``W`` held fixed over the step;
    2. every ``rule.every`` steps applies
       ``W <- clip(rule.on_step(W, pre=r[None, :], post=r[:, None], dt * every))`` with the
       rates ``r`` at the end of the step (:math:`F(x)` for ``form="current"``), clipped to
       the rule's bounds. The step count since the last update is carried in the state,
       so chained runs (``simulate(..., state=res)``) equal one long run.

    ``record=["W"]`` records the weights (``record_every=k`` for snapshots; never recorded by
    default, as it is ``n²`` numbers a record), ``res.final_state.W`` holds the final ones.
    Rules with per-neuron variables (``BCM``'s threshold, ``Covariance``'s running means)
    evolve them from the rates every step (``rates_pre``/``rates_post``), carried in the
    state (``state.rule_vars``, ``record=["post"]``). Spike-driven rules (``STDP``,
    ``TsodyksMarkram``) are refused. For
    ``Hebbian(eta, decay)`` with constant rates the weights relax to
    :math:`r_i r_j / \lambda` at rate :math:`\eta\lambda`.

    Example:
        >>> import neurodyn as nd
        >>> net = nd.rate.RateNetwork(W, tau=10.0, F=nd.rate.ReLU(), h=1.0)  # doctest: +SKIP
        >>> res = nd.simulate(net, duration=200.0, dt=0.1, record=["r"])      # doctest: +SKIP
        >>> res.traces["r"].shape                                              # doctest: +SKIP
        (2000, n)
        >>> hebb = nd.plasticity.Hebbian(eta=1e-3, decay=0.5)   # plastic W
        >>> net = nd.rate.RateNetwork(0.1 * jnp.ones((3, 3)), tau=10.0, F=nd.rate.ReLU(), h=1.0,
        ...                           plasticity=hebb)
        >>> res = nd.simulate(net, 100.0, 0.1, record=["W"], record_every=100, progress=False)
        >>> res.traces["W"].shape, res.final_state.W.shape
        ((10, 3, 3), (3, 3))
    """

    W: jax.Array
    tau: jax.Array
    F: tuple
    h: jax.Array
    r0: jax.Array
    h_input: object
    plasticity: object
    n: int = eqx.field(static=True)
    populations: tuple = eqx.field(static=True)
    form: str = eqx.field(static=True)

    default_solver = RK4()

    def __init__(self, W, tau=10.0, F=None, h=0.0, r0=0.0, *, populations=None, form="rate", plasticity=None):
        W = square_matrix("W", W)
        self.plasticity = _check_rule(plasticity)
        if plasticity is not None:
            plasticity.check_weights(W, "W")
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
                    plasticity=self.plasticity, h=self.h if self.h_input is None else self.h_input,
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
        if self.plasticity is not None:
            cls = PlasticRateState if self.form == "rate" else PlasticCurrentState
            from ..plasticity._dense import init_vars

            return cls(self.r0, self.W, jnp.zeros((), jnp.int32), init_vars(self.plasticity, self.n, self.n, self.W.dtype))
        return RateState(self.r0) if self.form == "rate" else CurrentState(self.r0)

    def input_at(self, t):
        """The model's own input :math:`h(t)` (constant part plus a deterministic input)."""
        if self.h_input is None:
            return self.h
        return self.h + input_value(self.h_input, t, self.n, self.h.dtype)

    def vector_field(self, t, state, drive):
        h = self.input_at(t) + drive
        W = self.W if self.plasticity is None else state.W
        if self.form == "rate":
            r = state.r
            dy = (-r + self.transfer(h + W @ r)) / self.tau
        else:
            x = state.x
            dy = (-x + h + W @ self.transfer(x)) / self.tau
        if self.plasticity is None:
            return type(state)(dy)
        zero = jax.tree.map(jnp.zeros_like, state._rule)  # W and the rule's variables are held over the step
        return type(state)(dy, jnp.zeros_like(W), state._phase, zero)

    def fire(self, state, t, dt):
        """After the solver's step: the plasticity rule, every ``rule.every`` steps."""
        from ..plasticity._dense import dense_step

        rule = self.plasticity
        if rule is None:
            return state, None
        r = state.r if self.form == "rate" else self.transfer(state.x)
        W, v, phase = dense_step(rule, state.W, state._rule, state._phase, r, r, dt)
        return type(state)(getattr(state, self.state_name), W, phase, v), None

    def time_constants(self):
        rule = {} if self.plasticity is None else self.plasticity.time_constants()
        return {"tau": self.tau, **{f"plasticity.{k}": v for k, v in rule.items()}}

    def read(self, state, name):
        if name in ("pre", "post") and self.plasticity is not None:
            return getattr(state._rule, name)
        if name == "W" and self.plasticity is None:
            raise ValueError("record: 'W' is recorded only for a network with plasticity (without a rule it "
                             "is the fixed parameter net.W)")
        base = self.state_name
        if name.startswith(base + "_") and name[len(base) + 1:] in self.slices():
            return getattr(state, base)[self.slices()[name[len(base) + 1:]]]
        return super().read(state, name)

