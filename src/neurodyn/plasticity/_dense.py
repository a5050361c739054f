"""The one update of a rule on a dense ``W`` from rates, shared by every rate container
(rate networks, ``FeedForward``, ``run_rule``): see the protocol in ``_rule``."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._rule import AbstractRule, overrides


class RuleVars(eqx.Module):
    """A rule's per-neuron variables on a dense ``W``: ``pre`` ``(n_pre, ...)`` and
    ``post`` ``(n_post, ...)`` (``()`` where the rule has none)."""

    pre: object
    post: object


def init_vars(rule, n_pre: int, n_post: int, dtype) -> RuleVars:
    return RuleVars(rule.init_pre(n_pre, dtype), rule.init_post(n_post, dtype))


def dense_step(rule, W, v: RuleVars, phase, r_pre, r_post, dt):
    """One step: the variables follow the rates; every ``rule.every`` steps
    ``W <- clip(on_step_dense(W, pre, post, dt * every))``. Returns ``(W, v, phase)``."""
    s_pre, pre = rule.rates_pre(v.pre, r_pre, dt)
    s_post, post = rule.rates_post(v.post, r_post, dt)
    every = rule.every

    def learn(W):
        new = rule.on_step_dense(W, pre, post, dt * every)
        return W if new is None else rule.clip(new).astype(W.dtype)

    if every == 1:
        return learn(W), RuleVars(s_pre, s_post), phase
    phase = phase + 1
    due = phase >= every
    W = jax.lax.cond(due, learn, lambda W: W, W)
    return W, RuleVars(s_pre, s_post), jnp.where(due, 0, phase)


def check_rate_rule(rule, where: str = "plasticity"):
    """A rule a rate container can run: weights changed from rates, per-neuron variables
    driven by ``rates_pre``/``rates_post``. One-line errors otherwise."""
    if not isinstance(rule, AbstractRule):
        raise TypeError(f"{where} must be a neurodyn.plasticity rule (AbstractRule), got {type(rule).__name__}")
    name = type(rule).__name__
    spiking = [h for h in ("pre_spike", "post_spike", "on_pre", "on_post") if overrides(rule, h)]
    if spiking or not rule.changes_weights:
        raise ValueError(f"{where}: {name} acts on spikes ({', '.join(spiking) or 'efficacy'}), which a "
                         f"rate network has none of; use a rate rule such as neurodyn.plasticity.Hebbian")
    if not (overrides(rule, "on_step") or overrides(rule, "on_step_dense")):
        raise ValueError(f"{where}: {name} defines no on_step, so it would never change W on a rate network")
    for side in ("pre", "post"):
        if jax.tree.leaves(getattr(rule, f"init_{side}")(1, jnp.float32)) and not overrides(rule, f"rates_{side}"):
            raise ValueError(f"{where}: {name} declares per-neuron {side}synaptic variables (init_{side}) but no "
                             f"rates_{side} to evolve them from the rates; its on_step receives the rates")
    return rule
