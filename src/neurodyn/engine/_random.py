"""Random draws for the time loop: Gaussian noise, uniforms and Poisson counts.

``normal(key, shape)`` is what every per-step noise draw in neurodyn uses (white-noise
and Ornstein-Uhlenbeck inputs, Euler-Maruyama); ``poisson`` draws Poisson input counts
from ``uniform``. On CPU both come from the C++ kernel ``neurodyn/_native/random.cc``:
Philox4x32-10 (Salmon et al. 2011) of a block counter under the key's two 32-bit words,
as 24-bit uniforms or, by Box-Muller, normals -- about 1-2 ns per value on one core
against 6-15 ns for ``jax.random`` (``benchmarks/RESULTS.md``). Values are float32, cast
to the requested dtype, so float64 runs see the same noise as float32 runs. On other
platforms, or without a C++ compiler, they are ``jax.random.normal`` / ``uniform``: the
same distributions, other streams.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .. import _native


def key_words(key) -> jax.Array:
    """The two uint32 words of a (typed) key that seed one draw, shape ``key.shape + (2,)``."""
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        data = jax.random.key_data(key)
        if data.shape[-1] == 2 and data.dtype == jnp.uint32:
            return data
        return jax.random.bits(key, (2,), jnp.uint32)
    return jnp.asarray(key, jnp.uint32)[..., :2]  # raw uint32 keys


def _draw(target: str, fallback, key, shape, dtype):
    """Float32 values of ``shape`` from FFI ``target`` on CPU, else ``fallback(key, shape, float32)``."""
    shape = tuple(shape)
    n = math.prod(shape)
    if n == 0:
        return jnp.zeros(shape, dtype)
    if not _native.available("random"):
        return fallback(key, shape, jnp.float32).astype(dtype)
    words = key_words(key)
    out = jax.ShapeDtypeStruct(words.shape[:-1] + (n,), jnp.float32)
    x = jax.lax.platform_dependent(
        words,
        cpu=lambda w: jax.ffi.ffi_call(target, out, vmap_method="broadcast_all")(w),
        default=lambda w: fallback(key, shape, jnp.float32).reshape(-1),
    )
    return x.reshape(shape).astype(dtype)


def normal(key, shape=(), dtype=jnp.float32) -> jax.Array:
    """Standard normal values of ``shape``, a pure function of ``key`` (see module doc)."""
    return _draw("neurodyn_normal_f32", jax.random.normal, key, shape, dtype)


def uniform(key, shape=(), dtype=jnp.float32) -> jax.Array:
    """Uniform values in [0, 1) of ``shape`` (24-bit resolution), a pure function of ``key``."""
    return _draw("neurodyn_uniform_f32", jax.random.uniform, key, shape, dtype)


#: largest mean drawn by inversion; above it (or when any element's mean is above it) the
#: draw is ``jax.random.poisson``. At 30, exp(-lam) and the running sum of the pmf are far
#: from float32's limits and the search takes at most a few dozen vectorised rounds.
INVERSION_MAX = 30.0
_SEARCH_CAP = 200


def poisson(key, lam, shape=(), dtype=jnp.float32) -> jax.Array:
    """Poisson counts of mean ``lam`` (broadcast to ``shape``), as ``dtype``.

    Inversion of the CDF, vectorised over the elements: one uniform per element and a
    search whose rounds are as many as the largest count drawn (a few for the means of
    per-step synaptic input). ``jax.random.poisson`` (rejection sampling; about 40x slower
    on CPU) only when some mean exceeds :data:`INVERSION_MAX`.
    """
    shape = tuple(shape)
    lam = jnp.broadcast_to(jnp.asarray(lam, jnp.float32), shape)

    def inversion(_):
        u = uniform(key, shape)
        p = jnp.exp(-lam)  # P(0)

        def body(c):
            k, p, cdf, active = c
            k = k + active.astype(jnp.int32)
            p = jnp.where(active, p * lam / jnp.maximum(k, 1).astype(jnp.float32), p)
            cdf = jnp.where(active, cdf + p, cdf)
            return k, p, cdf, active & (u > cdf) & (k < _SEARCH_CAP)

        start = (jnp.zeros(shape, jnp.int32), p, p, u > p)
        return jax.lax.while_loop(lambda c: jnp.any(c[3]), body, start)[0]

    def rejection(_):
        return jax.random.poisson(key, lam, shape).astype(jnp.int32)

    if math.prod(shape) == 0:
        return jnp.zeros(shape, dtype)
    count = jax.lax.cond(jnp.max(lam) <= INVERSION_MAX, inversion, rejection, None)
    return count.astype(dtype)
