r"""The plasticity protocol: a rule is an immutable object of pure functions.

A rule attached to a projection (``Projection(..., plasticity=rule)``) or to a rate
network's ``W`` (``RateNetwork(..., plasticity=rule)``) describes

- per-neuron variables on each side (traces, utilisation), ``init_pre``/``init_post``,
  how they evolve between events over one step (``advance_pre``/``advance_post``, exact
  where the rule can be) and at a spike (``pre_spike``, which may return an *efficacy*
  per presynaptic neuron that scales the weights delivered by its spike, and
  ``post_spike``);
- how a synapse changes, written **elementwise over synapses** (``w`` is the per-synapse
  state: the weight, or a module of per-synapse arrays from ``init_synapses``, with
  ``weight(w)`` what a spike delivers): ``on_pre(w, pre, post)``
  for the synapses of the neurons that spiked (``pre``/``post`` are the neuron variables
  of each synapse's two ends), ``on_post`` for the synapses into the neurons that spiked,
  and ``on_step(w, pre, post, dt)`` for every synapse every ``every`` steps (rate rules,
  where ``pre``/``post`` are the rates). ``None`` from a hook means "no change", so the
  engine does no work for it.

The container (network or rate network) owns the gathering: on a sparse projection the
event hooks touch only the synapses of the neurons that spiked (a post-to-pre index
serves ``on_post``); on a dense ``W`` (post × pre) the neuron variables are broadcast.
Weights are clipped to ``[w_min, w_max]`` after every change when the rule has bounds.

Order within one step of a network, after the populations advanced and spiked:
``advance_pre`` and ``advance_post`` (to the end of the step), ``on_step`` (the
clock-driven part), ``pre_spike`` (efficacy), propagation of this step's spikes with the
current weights times the efficacy, ``on_pre``, ``post_spike``, ``on_post`` (Brian2's
order for a ``Synapses`` object: its equations integrated, then the ``on_pre`` and
``on_post`` pathways). So a pre and a post spike in the same step count as pre before post.

**Rate containers** (a rate network's ``W``, :class:`neurodyn.learning.FeedForward`,
:func:`neurodyn.learning.run_rule`) hold a dense ``W`` (post × pre) and rates instead of
spikes. After each step they

1. evolve the per-neuron variables from the rates ``r`` (``(n,)``) over ``dt``:
   ``rates_pre(s, r, dt) -> (s, pre)`` and ``rates_post(s, r, dt) -> (s, post)``, which
   also return what the weight update sees on each side (default: ``(s, r)``, the rates;
   BCM's sliding threshold, the covariance rule's running means live here);
2. every ``every`` steps call ``on_step_dense(W, pre, post, dt * every)`` with those
   unbroadcast vectors. Its default broadcasts them (``pre[None, :]``, ``post[:, None]``)
   into the elementwise ``on_step``; a rule that is not elementwise over synapses
   (Sanger's ``tril(y yᵀ) W``, a lateral rule with a zero diagonal) overrides it instead,
   and a sparse spiking projection refuses such a rule (:func:`dense_only`).

The same function (:func:`neurodyn.plasticity._dense.dense_step`) serves every rate
container, so a rule learns the same way online in ``simulate`` and in batch on data.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._params import Documented, check_integer, check_less, new_with_checked_keywords


class AbstractRule(Documented):
    """Base of every plasticity rule; every hook has a do-nothing default."""

    __new__ = new_with_checked_keywords  # STDP(tau=20): "did you mean 'tau_pre'?"

    #: whether the rule changes weights (else they stay model parameters: STP)
    changes_weights = True

    @property
    def every(self) -> int:
        """``on_step`` runs every ``every`` steps."""
        return 1

    @property
    def bounds(self) -> tuple:
        """``(w_min, w_max)``; ``None`` for an open side (default: the rule's ``w_min`` and
        ``w_max`` fields where it has them)."""
        return (getattr(self, "w_min", None), getattr(self, "w_max", None))

    def init_synapses(self, w):
        """The per-synapse state from the initial weights ``w`` ``(nnz,)``: the weights
        themselves, or a module of per-synapse arrays (e.g. weights and eligibility
        traces) from which :meth:`weight` reads what a spike delivers."""
        return w

    def weight(self, s):
        """The weights a spike delivers, from the per-synapse state."""
        return s

    def init_pre(self, n: int, dtype):
        return ()

    def init_post(self, n: int, dtype):
        return ()

    def advance_pre(self, s, dt):
        return s

    def advance_post(self, s, dt):
        return s

    def pre_spike(self, s, spiked):
        """Returns ``(s, efficacy)``: efficacy ``(n_pre,)`` scales the delivered weights, or ``None``."""
        return s, None

    def post_spike(self, s, spiked):
        return s

    def on_pre(self, w, pre, post):
        return None

    def on_post(self, w, pre, post):
        return None

    def on_step(self, w, pre, post, dt):
        return None

    # rate containers (dense W, rates): see the module docstring
    def rates_pre(self, s, r, dt):
        """Presynaptic variables after a step of ``dt`` with rates ``r`` ``(n_pre,)``, and
        what ``on_step``/``on_step_dense`` sees as ``pre`` (default: the rates)."""
        return s, r

    def rates_post(self, s, r, dt):
        """As :meth:`rates_pre`, for the postsynaptic side."""
        return s, r

    def on_step_dense(self, W, pre, post, dt):
        """The new dense ``W`` (post × pre) from the unbroadcast ``pre``/``post`` of
        :meth:`rates_pre`/:meth:`rates_post`, or ``None``; default: the elementwise ``on_step``."""
        import jax

        return self.on_step(W, jax.tree.map(lambda a: a[None, :], pre),
                            jax.tree.map(lambda a: a[:, None], post), dt)

    @property
    def neuromodulators(self) -> tuple:
        """Names of the network's global signals the rule reads (``()``: none)."""
        return ()

    def on_modulated_step(self, w, pre, post, m, dt):
        """Like ``on_step``, for rules with ``neuromodulators``: ``m`` maps each name to its
        value (a scalar) over this step."""
        return None

    def clip(self, w):
        lo, hi = self.bounds
        if lo is None and hi is None:
            return w
        return jnp.clip(w, lo, hi)

    def time_constants(self) -> dict:
        return {}

    # what the container checks before a run
    def check_weights(self, w, where: str) -> None:
        """Raise if initial weights lie outside the bounds (one line naming the projection)."""
        import numpy as np

        lo, hi = self.bounds
        try:
            arr = np.asarray(w)
        except Exception:  # traced: checked by the user
            return
        if lo is not None and arr.size and np.min(arr) < float(lo) - 1e-12 * max(1.0, abs(float(lo))):
            raise ValueError(f"{where}: initial weights must be >= w_min = {float(lo)}, got {float(np.min(arr))}")
        if hi is not None and arr.size and np.max(arr) > float(hi) + 1e-12 * max(1.0, abs(float(hi))):
            raise ValueError(f"{where}: initial weights must be <= w_max = {float(hi)}, got {float(np.max(arr))}")


def check_bounds(rule) -> None:
    """``w_min < w_max`` where both are given."""
    lo, hi = rule.bounds
    if lo is not None and hi is not None:
        check_less("w_min", lo, "w_max", hi)


class AbstractRateRule(AbstractRule):
    """Base of the rate rules: ``every`` from a ``steps`` field, and the checks of ``eta``,
    the bounds and ``steps`` (:meth:`check_common`)."""

    @property
    def every(self) -> int:
        return self.steps

    def check_common(self):
        from .._params import check_positive

        check_positive("eta", self.eta, "1/ms")
        check_bounds(self)
        check_every(self.steps)


def overrides(rule, hook: str) -> bool:
    """Whether ``rule``'s class defines its own ``hook``."""
    return getattr(type(rule), hook) is not getattr(AbstractRule, hook)


def dense_only(rule) -> bool:
    """A rule whose update needs the whole dense ``W`` (it overrides ``on_step_dense``)."""
    return overrides(rule, "on_step_dense")


def check_every(every) -> int:
    return check_integer("every", every, 1, 2**31 - 1)
