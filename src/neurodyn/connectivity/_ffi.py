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


def propagate(spikes, indptr, indices, weights, delays, buffer, first, n_post: int, delay: int):
    """Add one step's events to the flat ring buffer ``buffer`` (D * n_post,), in place
    (see ``propagate.cc``)."""
    dtype = np.dtype(buffer.dtype)
    homogeneous_d = delays is None
    if homogeneous_d:
        delays = jnp.zeros((1,), jnp.int32)
    call = jax.ffi.ffi_call(
        _TARGETS[dtype],
        jax.ShapeDtypeStruct(buffer.shape, buffer.dtype),
        input_output_aliases={5: 0},
        vmap_method="sequential",
    )
    return call(
        spikes.astype(jnp.bool_),
        indptr,
        indices,
        jnp.atleast_1d(weights),
        delays,
        buffer,
        jnp.reshape(first, (1,)),
        n_post=np.int64(n_post),
        delay=np.int64(delay),
        homogeneous_w=bool(weights.ndim == 0),
        homogeneous_d=bool(homogeneous_d),
    )
