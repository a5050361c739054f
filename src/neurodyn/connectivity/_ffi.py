"""The event-driven propagation kernel (``neurodyn/_native/propagate.cc``) as a JAX call.

Compiled and registered by :mod:`neurodyn._native`; without it networks use the pure-JAX
event-driven path, which gives identical results.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _native

_TARGETS = {np.dtype(np.float32): "neurodyn_propagate_f32", np.dtype(np.float64): "neurodyn_propagate_f64"}


def available() -> bool:
    """True when the C++ propagation kernel is compiled and registered."""
    return _native.available("propagate")


def unavailable_reason() -> str:
    return _native.unavailable_reason("propagate")


def propagate(spikes, projections, stdp=None) -> list:
    """Add one step's events of one presynaptic population to several flat ring buffers,
    in place (see ``propagate.cc``). ``projections``: per projection ``(indptr, indices,
    weights, delays or None, buffer (D * n_post,), first, n_post, delay)``; returns the
    updated buffers.

    ``stdp``: per projection None or the additive pair STDP of ``neurodyn.plasticity.STDP``
    on its (per-synapse) weights: ``(a_pre, a_post, post_spikes, post_indptr, post_order,
    post_pre, w_min, w_max, d_pre, d_post, A_pre, A_post)`` (``post_order``: synapse ids
    grouped by target neuron, ``post_pre``: their presynaptic neurons) (traces as at the start of the
    step; a bound None: open; ``d``: a trace's decay over one step). Then returns
    ``(buffers, states)``, a state (None for a projection without STDP) being the
    projection's weights and traces ``(w, a_pre, a_post)`` at the end of the step, updated
    in place."""
    dtype = np.dtype(projections[0][4].dtype)
    parts = [None] * len(projections) if stdp is None else stdp
    operands, attrs = [], {"n_post": [], "delay": [], "homogeneous_w": [], "homogeneous_d": [], "stdp": []}
    results, aliases = [], {}
    for (indptr, indices, weights, delays, buffer, first, n_post, delay), part in zip(projections, parts):
        attrs["homogeneous_d"].append(int(delays is None))
        attrs["homogeneous_w"].append(int(jnp.ndim(weights) == 0))
        attrs["n_post"].append(int(n_post))
        attrs["delay"].append(int(delay))
        delays = jnp.zeros((1,), jnp.int32) if delays is None else delays
        weights = jnp.atleast_1d(weights).astype(dtype)
        aliases[len(operands) + 1 + 4] = len(results)
        results.append(jax.ShapeDtypeStruct(buffer.shape, dtype))
        operands += [indptr, indices, weights, delays, buffer, jnp.reshape(first, (1,))]
        if part is None:
            attrs["stdp"].append(0)
            continue
        a_pre, a_post, post_spikes, post_indptr, post_order, post_pre, lo, hi, *rest = part
        attrs["stdp"].append(1)
        lo, hi = -np.inf if lo is None else lo, np.inf if hi is None else hi  # an infinite bound clips nothing
        params = jnp.stack([jnp.asarray(x, dtype).reshape(()) for x in (lo, hi, *rest)])
        a_pre, a_post = a_pre.astype(dtype), a_post.astype(dtype)
        k = len(operands) + 1  # the call's index of the next operand (after the spikes)
        aliases.update({k - 4: len(results), k: len(results) + 1, k + 1: len(results) + 2})  # weights, traces in place
        results += [jax.ShapeDtypeStruct(x.shape, dtype) for x in (weights, a_pre, a_post)]
        operands += [a_pre, a_post, post_spikes.astype(jnp.bool_), post_indptr, post_order, post_pre, params]
    call = jax.ffi.ffi_call(_TARGETS[dtype], results, input_output_aliases=aliases, vmap_method="sequential")
    out = call(spikes.astype(jnp.bool_), *operands, **{k: np.asarray(v, np.int64) for k, v in attrs.items()})
    buffers, states, k = [], [], 0
    for part in parts:
        buffers.append(out[k])
        states.append(None if part is None else tuple(out[k + 1:k + 4]))
        k += 1 if part is None else 4
    return buffers if stdp is None else (buffers, states)
