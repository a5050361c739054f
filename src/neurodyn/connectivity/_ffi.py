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


def propagate(spikes, projections) -> list:
    """Add one step's events of one presynaptic population to several flat ring buffers,
    in place (see ``propagate.cc``). ``projections``: per projection ``(indptr, indices,
    weights, delays or None, buffer (D * n_post,), first, n_post, delay)``; returns the
    updated buffers."""
    dtype = np.dtype(projections[0][4].dtype)
    operands, attrs = [], {"n_post": [], "delay": [], "homogeneous_w": [], "homogeneous_d": []}
    for indptr, indices, weights, delays, buffer, first, n_post, delay in projections:
        attrs["homogeneous_d"].append(int(delays is None))
        attrs["homogeneous_w"].append(int(jnp.ndim(weights) == 0))
        attrs["n_post"].append(int(n_post))
        attrs["delay"].append(int(delay))
        delays = jnp.zeros((1,), jnp.int32) if delays is None else delays
        operands += [indptr, indices, jnp.atleast_1d(weights).astype(dtype), delays, buffer, jnp.reshape(first, (1,))]
    call = jax.ffi.ffi_call(
        _TARGETS[dtype],
        [jax.ShapeDtypeStruct(p[4].shape, dtype) for p in projections],
        input_output_aliases={1 + 6 * k + 4: k for k in range(len(projections))},
        vmap_method="sequential",
    )
    out = call(spikes.astype(jnp.bool_), *operands, **{k: np.asarray(v, np.int64) for k, v in attrs.items()})
    return list(out)
