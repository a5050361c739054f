r"""Plastic projections: weights and rule variables in the network's state, event-driven updates.

A projection with a rule (``Projection(..., plasticity=rule)``) keeps its per-synapse weights
``(nnz,)`` (storage order of its sparse structure) and the rule's per-neuron variables in
``NetworkState.plastic[name]``; a frozen projection keeps its weights in the model (no cost).
The rule's event hooks touch only the synapses of the neurons that spiked: the rows of the
sparse structure for presynaptic spikes, and a post-to-pre index (``post_indptr``,
``post_order``: synapse ids grouped by target neuron) for postsynaptic spikes.

Additive pair STDP (``neurodyn.plasticity.STDP`` itself, not a subclass) runs on CPU in
the C++ propagation kernel (``_native/propagate.cc``): the traces' decay and increments,
delivery, ``on_pre`` and ``on_post`` in one call, in place (a few small XLA operations
per step cost more than the kernel's work). It gives the pure-JAX path's weights, traces
and spikes bit for bit (``tests/test_plasticity_kernel.py``); every other rule, and
``propagation="jax"``, uses the pure-JAX passes.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..connectivity._propagate import EVENTS_PER_PASS, spiking_rows
from ..plasticity._rule import AbstractRule, dense_only

class PlasticIndex(eqx.Module):
    """The sparse structure a rule needs beyond propagation's (built once, on the host)."""

    pre_of: jax.Array  # int32 (nnz,) presynaptic neuron of each synapse
    post_indptr: jax.Array  # int32 (n_post + 1,)
    post_order: jax.Array  # int32 (nnz,) synapse ids, grouped by target neuron
    post_pre: jax.Array  # int32 (nnz,) their presynaptic neurons (pre_of[post_order]; the kernel reads them in order)
    max_in_degree: int = eqx.field(static=True)


class PlasticState(eqx.Module):
    w: object  #: per-synapse state: the weights (nnz,) or the rule's module of per-synapse arrays; None for STP
    pre: object  #: the rule's presynaptic variables (per presynaptic neuron)
    post: object  #: the rule's postsynaptic variables (per target neuron)


def build_index(csr) -> PlasticIndex:
    rows = csr.rows().astype(np.int32)
    order = np.argsort(csr.indices, kind="stable").astype(np.int32)
    counts = np.bincount(csr.indices, minlength=csr.n_post)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return PlasticIndex(jnp.asarray(rows), jnp.asarray(indptr), jnp.asarray(order), jnp.asarray(rows[order]),
                        int(counts.max(initial=0)))


def init_state(rule: AbstractRule, weights, nnz, n_pre, n_post, dtype) -> PlasticState:
    w = rule.init_synapses(jnp.broadcast_to(jnp.asarray(weights, dtype), (nnz,))) if rule.changes_weights else None
    return PlasticState(w, rule.init_pre(n_pre, dtype), rule.init_post(n_post, dtype))


def before_propagation(rule, ps: PlasticState, syn, index: PlasticIndex, spiked_pre, dt, step, m=None):
    """Advance both sides' variables over the step, ``on_step`` and ``on_modulated_step``
    (every ``rule.every`` steps: the clock-driven part, before this step's events, as Brian2
    integrates a synapse's equations before its spikes; ``m``: neuromodulator name -> value
    now), then this step's presynaptic spikes; returns the state and the efficacy per
    presynaptic neuron (or None)."""
    zero = step >> 31  # the step counter is never negative
    pre, post = (jax.tree.map(lambda a: _materialised(a, zero), x) for x in (rule.advance_pre(ps.pre, dt), rule.advance_post(ps.post, dt)))
    w = ps.w
    clocked = [rule.on_step]
    if rule.neuromodulators:
        signals = {k: m[k] for k in rule.neuromodulators}
        clocked.append(lambda w, a, b, h: rule.on_modulated_step(w, a, b, signals, h))
    clocked = [hook for hook in clocked if w is not None and _changes(lambda w, a, b, hook=hook: hook(w, a, b, dt), ps)]
    if clocked:
        every = rule.every

        def stepped(w):
            a, b = _gather(pre, index.pre_of), _gather(post, syn.indices)
            for hook in clocked:
                w = rule.clip(hook(w, a, b, dt * every))
            return w

        w = stepped(w) if every == 1 else jax.lax.cond((step + 1) % every == 0, stepped, lambda w: w, w)
    pre, efficacy = rule.pre_spike(pre, spiked_pre)
    return PlasticState(w, pre, post), efficacy


@jax.custom_jvp
def _materialised(a, zero):
    """``a`` itself, as stored: XLA CPU fuses a variable's decay (``a * decay``) into what
    reads it and contracts ``a * decay + x`` into one fused multiply-add (``+ A`` at a
    spike, ``w + a`` in a weight update) in some fusions but not others, while the kernel
    rounds the product first. An integer xor with a value XLA cannot prove zero keeps the
    product rounded (an optimization barrier does not: XLA removes it before fusing)."""
    if not jnp.issubdtype(a.dtype, jnp.floating):
        return a
    bits = jnp.dtype(f"int{8 * a.dtype.itemsize}")
    return jax.lax.bitcast_convert_type(jax.lax.bitcast_convert_type(a, bits) ^ zero.astype(bits), a.dtype)


@_materialised.defjvp
def _materialised_jvp(primals, tangents):
    return _materialised(*primals), tangents[0]


def _gather(tree, idx):
    return jax.tree.map(lambda a: a[idx], tree)


def pre_update(rule, ps: PlasticState, syn):
    """``on_pre`` as the propagation pass applies it (``(w, synapse ids, rows) -> w``), or
    None when the rule keeps weights on presynaptic spikes."""
    if ps.w is None or not _changes(rule.on_pre, ps):
        return None

    def update(w_sel, sid, rows):
        return rule.clip(rule.on_pre(w_sel, _gather(ps.pre, rows[:, None]), _gather(ps.post, syn.indices[sid])))

    return update


def in_kernel(rule) -> bool:
    """Whether the C++ propagation kernel can run the rule: exactly ``STDP`` (a subclass may
    override its hooks) with scalar parameters."""
    from ..plasticity._stdp import STDP

    if type(rule) is not STDP:
        return False
    return all(x is None or jnp.ndim(x) == 0 for x in (rule.tau_pre, rule.tau_post, rule.A_pre, rule.A_post, rule.w_min, rule.w_max))


def kernel_stdp(rule, ps: PlasticState, index: PlasticIndex, spiked_post, dt):
    """What the kernel needs of an ``STDP`` projection (``_ffi.propagate``'s ``stdp`` part).
    The decays are the rule's own ``advance_*`` of a trace of 1 (exact)."""
    one = jnp.ones((1,), ps.w.dtype)
    decays = (rule.advance_pre(one, dt)[0], rule.advance_post(one, dt)[0])
    return (ps.pre, ps.post, spiked_post, index.post_indptr, index.post_order, index.post_pre, *rule.bounds, *decays,
            rule.A_pre, rule.A_post)


def after_propagation(rule, ps: PlasticState, index: PlasticIndex, spiked_post):
    """This step's postsynaptic spikes and ``on_post`` on the synapses into the neurons that
    spiked (``on_pre`` ran inside the propagation pass)."""
    w = ps.w
    gather = _gather
    post = rule.post_spike(ps.post, spiked_post)
    if w is not None and _changes(rule.on_post, ps):
        def post_update(w_sel, sid, rows):
            return rule.clip(rule.on_post(w_sel, gather(ps.pre, index.pre_of[sid]), gather(post, rows[:, None])))

        w = _update_rows(w, spiked_post, index.post_indptr, index.post_order, index.max_in_degree, post_update)
    return PlasticState(w, ps.pre, post)


def _changes(hook, ps) -> bool:
    """Whether a hook changes weights (a hook returns None for "no change"); decided at trace time."""
    first = lambda tree: jax.tree.map(lambda a: a[:1], tree)  # noqa: E731
    return hook(first(ps.w), first(ps.pre), first(ps.post)) is not None


def _update_rows(w, spiked, indptr, order, max_degree, update):
    """``w[sid] = update(w[sid], sid, row)`` for the synapses ``sid`` of every spiking row of
    a CSR-like index (``order`` maps positions to synapse ids; None: identity). Cost ~
    spikes x max degree, ``EVENTS_PER_PASS`` synapses per pass; the first pass outside the
    loop (most steps need no other)."""
    n = indptr.shape[0] - 1
    if max_degree == 0 or n == 0:
        return w
    nnz = jax.tree.leaves(w)[0].shape[0]
    chunk = int(max(1, min(n, EVENTS_PER_PASS["cpu" if jax.default_backend() == "cpu" else "accelerator"] // max_degree)))
    count, rows_state, rows_of = spiking_rows(spiked, chunk)
    indptr = jnp.concatenate([indptr, indptr[-1:]])  # padding row n has no synapses
    lanes = jnp.arange(max_degree, dtype=jnp.int32)

    def one_pass(c, carry):
        w, rows_state = carry
        rows, rows_state = rows_of(c, rows_state)
        start = indptr[rows]
        valid = lanes[None, :] < (indptr[rows + 1] - start)[:, None]
        pos = jnp.where(valid, start[:, None] + lanes[None, :], 0)
        sid = pos if order is None else order[pos]
        slot = jnp.where(valid, sid, nnz)
        new = update(_gather(w, sid), sid, rows)
        return jax.tree.map(lambda a, b: a.at[slot].set(b.astype(a.dtype), mode="drop"), w, new), rows_state

    carry = one_pass(0, (w, rows_state))
    return jax.lax.fori_loop(1, (count + chunk - 1) // chunk, one_pass, carry)[0]


def has_efficacy(rule) -> bool:
    """Whether the rule's presynaptic spikes scale the delivered weights (short-term plasticity)."""
    out = jax.eval_shape(lambda: rule.pre_spike(rule.init_pre(2, jnp.float32), jnp.ones((2,), bool))[1])
    return out is not None


def check_rule(rule, n_pre: int, n_post: int, where: str, neuromodulators=()) -> None:
    """One clear error when a rule does not fit a projection: not a rule, or variables whose
    shapes do not match the projection's neurons, or hooks that change the weights' shape,
    or a neuromodulator the network does not declare."""
    if not isinstance(rule, AbstractRule):
        raise TypeError(f"{where}: plasticity must be a neurodyn.plasticity rule (AbstractRule), got {type(rule).__name__}")
    name = type(rule).__name__
    if dense_only(rule):
        raise ValueError(f"{where}: {name} updates the whole weight matrix (on_step_dense), which a sparse spiking "
                         f"projection cannot give it; use it on a rate network's W or neurodyn.learning.FeedForward")
    for signal in rule.neuromodulators:
        if signal not in neuromodulators:
            raise ValueError(f"{where}: {name} reads neuromodulator {signal!r}, which the network does not declare; expected "
                             f"one of {', '.join(neuromodulators) or '(none: Network(..., neuromodulators=(...)))'}")
    dtype = jnp.result_type(float)
    for side, n, init in (("pre", n_pre, rule.init_pre), ("post", n_post, rule.init_post)):
        for leaf in jax.tree.leaves(jax.eval_shape(lambda: init(n, dtype))):
            if leaf.shape[:1] != (n,):
                raise ValueError(
                    f"{where}: {name}.init_{side} must give variables with one value per {side}synaptic neuron "
                    f"(leading axis {n}), got shape {leaf.shape}"
                )
    pre = jax.eval_shape(lambda: rule.init_pre(n_pre, dtype))
    post = jax.eval_shape(lambda: rule.init_post(n_post, dtype))
    sel = lambda tree: jax.tree.map(lambda a: jax.ShapeDtypeStruct((3, 2) + a.shape[1:], a.dtype), tree)  # noqa: E731
    w = sel(jax.eval_shape(rule.init_synapses, jax.ShapeDtypeStruct((6,), dtype))) if rule.changes_weights else (
        jax.ShapeDtypeStruct((3, 2), dtype))
    hooks = {"on_pre": rule.on_pre, "on_post": rule.on_post, "on_step": lambda w, a, b: rule.on_step(w, a, b, 0.1)}
    if rule.neuromodulators:
        signals = {k: jnp.zeros((), dtype) for k in rule.neuromodulators}
        hooks["on_modulated_step"] = lambda w, a, b: rule.on_modulated_step(w, a, b, signals, 0.1)
    for hook, fn in hooks.items():
        try:
            out = jax.eval_shape(fn, w, sel(pre), sel(post))
        except Exception as exc:  # e.g. a rate rule (Hebbian) on spiking neurons: no neuron variables to read
            raise ValueError(
                f"{where}: {name}.{hook} cannot run on a spiking projection's neuron variables "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); rules on rates belong on a rate network"
            ) from None
        if out is not None and jax.tree.map(lambda a: a.shape, out) != jax.tree.map(lambda a: a.shape, w):
            raise ValueError(f"{where}: {name}.{hook} must return the per-synapse state it was given (shapes "
                             f"{jax.tree.map(lambda a: a.shape, w)}), got {jax.tree.map(lambda a: a.shape, out)}")
