"""Random draws for the time loop: Gaussian noise, uniforms and Poisson counts.

``normal(key, shape)`` is what every per-step noise draw in neurodyn uses (white-noise
and Ornstein-Uhlenbeck inputs, Euler-Maruyama); ``poisson`` draws Poisson input counts
from ``uniform``. Both are one stream, :data:`STREAM`, whatever the platform and whether
a C++ compiler is present:

- block ``j`` of a row of ``n`` values is Philox4x32-10 (Salmon et al. 2011) of counter
  ``(j, 0, 0, 0)`` under the key's two 32-bit words; its four words go to positions
  ``j, B + j, 2B + j, 3B + j`` (``B = ceil(n / 4)``);
- uniforms are a word's top 24 bits times 2^-24; normals are Box-Muller of word pairs
  (0, 1) and (2, 3), with log, sin and cos as the short float32 polynomials below.

On CPU the C++ kernel ``neurodyn/_native/random.cc`` computes them (about 2 ns per value);
without it (no compiler, ``NEURODYN_NO_KERNEL=1``) and on other platforms the pure-JAX
code here computes the same bits (on XLA CPU about 5 ns per value for 10^5 values, 8.5 for
4,000: less than ``jax.random.normal``; ``tests/test_random.py`` checks the two against
each other). Values are float32, cast to the requested dtype, so
float64 runs see the same noise as float32 runs.

Bit-exactness in XLA needs care: its CPU and GPU backends contract ``a * b + c`` into a
fused multiply-add (one rounding) where the kernel rounds the product first, and LLVM
removes any identity it can prove. Each product that is added to something is first
OR-ed, as integer bits, with a zero the compiler cannot know (it comes out of the
Philox loop); see :func:`_box_muller`. On GPU, where the rounds are unrolled (no loop),
a select stands in for that zero, and XLA lowers float32 division to an approximation
(``div.full``): there the normals follow the same algorithm but are not guaranteed to
match the CPU stream bit for bit (uniforms and Poisson counts, integer arithmetic, are).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _native

#: identity of the random stream (part of a streamed run's signature)
STREAM = "philox4x32-10/box-muller-poly/v1"

_U32 = np.uint32
_M0, _M1 = 0xD2511F53, 0xCD9E8D57  # Philox multipliers
_W0, _W1 = 0x9E3779B9, 0xBB67AE85  # Weyl key increments


def key_words(key) -> jax.Array:
    """The two uint32 words of a (typed) key that seed one draw, shape ``key.shape + (2,)``."""
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        data = jax.random.key_data(key)
        if data.shape[-1] == 2 and data.dtype == jnp.uint32:
            return data
        return jax.random.bits(key, (2,), jnp.uint32)
    return jnp.asarray(key, jnp.uint32)[..., :2]  # raw uint32 keys


# -- Philox4x32-10 in uint32 arithmetic --------------------------------------
def _mulhilo(a, m: int):
    """High and low words of ``a * m`` (``m`` a constant), with 16-bit halves: no 64-bit integers."""
    mh, ml = _U32(m >> 16), _U32(m & 0xFFFF)
    ah, al = a >> _U32(16), a & _U32(0xFFFF)
    mid = al * mh + ((al * ml) >> _U32(16))  # < 2^32: no carry lost
    mid2 = ah * ml + (mid & _U32(0xFFFF))
    return ah * mh + (mid >> _U32(16)) + (mid2 >> _U32(16)), a * _U32(m)


def _round(c0, c1, c2, c3, k0, k1):
    h0, l0 = _mulhilo(c0, _M0)
    h1, l1 = _mulhilo(c2, _M1)
    return h1 ^ c1 ^ k0, l1, h0 ^ c3 ^ k1, l0


def philox(counter, key) -> tuple:
    """Philox4x32-10 of ``counter`` (4 uint32 arrays) under ``key`` (2 uint32 scalars)."""
    c0, c1, c2, c3 = (jnp.asarray(c, jnp.uint32) for c in counter)
    k0, k1 = (jnp.asarray(k, jnp.uint32) for k in key)
    for r in range(10):
        c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + _U32((_W0 * r) & 0xFFFFFFFF), k1 + _U32((_W1 * r) & 0xFFFFFFFF))
    return c0, c1, c2, c3


def _blocks_looped(words, blocks: int) -> tuple:
    """The (4, blocks) words, one round per loop iteration (XLA CPU has no multi-output
    fusion here: unrolled, each of the four words would recompute all rounds), and a
    uint32 zero that later fusions load from memory, so no compiler can fold it away."""
    r = jnp.arange(10, dtype=jnp.uint32)
    keys = jnp.stack([words[0] + _U32(_W0) * r, words[1] + _U32(_W1) * r], axis=1)
    start = jnp.zeros((4, blocks), jnp.uint32).at[0].set(jnp.arange(blocks, dtype=jnp.uint32))

    def body(carry, k):
        s, _ = carry
        zero = (k[0] | k[1]) - (k[0] ^ k[1]) - (k[0] & k[1])  # x|y == (x^y) + (x&y)
        return (jnp.stack(_round(s[0], s[1], s[2], s[3], k[0], k[1])), zero), None

    return jax.lax.scan(body, (start, jnp.uint32(0)), keys)[0]


def _blocks_unrolled(words, blocks: int) -> tuple:
    """The four (blocks,) words, unrolled: XLA fuses them into their consumer, where each
    value recomputes its block's rounds (no loop: for GPUs, where an iteration costs more
    than the arithmetic)."""
    zero = jnp.zeros((blocks,), jnp.uint32)
    return philox((jnp.arange(blocks, dtype=jnp.uint32), zero, zero, zero), (words[0], words[1]))


# -- values from words --------------------------------------------------------
def _f32(u):
    return jax.lax.bitcast_convert_type(u, jnp.float32)


def _u32(x):
    return jax.lax.bitcast_convert_type(x, jnp.uint32)


def _rounded_by(zero):
    """``p -> p`` for products, as bits OR-ed with ``zero`` (0 at run time): a multiply-add
    cannot be contracted through integer operations, so the product is rounded to float32
    before it is added to anything, as the kernel rounds it."""
    return lambda p: _f32(_u32(p) | zero)


def _rounded_select(p):
    """The fallback where no opaque zero exists: a select that is the identity for every
    non-NaN value (LLVM removes it where it can prove ``p`` is not NaN)."""
    return jnp.where(p == p, p, np.float32(0))


def _horner(x, coefficients, rounded):
    """c0 + x (c1 + x (c2 + ...)), each product rounded before its addition."""
    acc = np.float32(coefficients[-1])
    for c in coefficients[-2::-1]:
        acc = rounded(x * acc) + np.float32(c)
    return acc


_LOG = (1.0, 0.33333333, 0.2, 0.14285714, 0.11111111)  # atanh(s)/s in s^2
_SIN = (1.0, -1.6666667e-1, 8.3333333e-3, -1.9841270e-4, 2.7557319e-6, -2.5052108e-8)
_COS = (1.0, -0.5, 4.1666667e-2, -1.3888889e-3, 2.4801587e-5, -2.7557319e-7, 2.0876757e-9)
_LN2 = np.float32(0.69314718)
# _LN2 as a sum of two 12-bit halves: e * half is exact for the exponents e of u1 (|e| <= 25),
# so e * _LN2_HI + e * _LN2_LO rounds once, to round(e * _LN2), however it is contracted
_LN2_HI = np.float32(np.uint32(_LN2.view(np.uint32) & np.uint32(0xFFFFF000)).view(np.float32))
_LN2_LO = np.float32(_LN2 - _LN2_HI)


def _box_muller(a, b, rounded):
    """Box-Muller of word pairs: ``(cos value, sin value)``, r = sqrt(-2 log u1), angle 2 pi u2.
    ``rounded`` guards each product that is added to something (:func:`_rounded_by`)."""
    f = np.float32
    u1 = ((a >> _U32(8)).astype(jnp.int32).astype(jnp.float32) + f(0.5)) * f(2.0**-24)  # in (0, 1)
    u4 = (b >> _U32(8)).astype(jnp.int32).astype(jnp.float32) * f(2.0**-22)  # 4 u2, in [0, 4)
    # log u1 = e log 2 + log m, m in [sqrt(1/2), sqrt 2): 2 atanh((m - 1) / (m + 1))
    bits = _u32(u1)
    e = (bits >> _U32(23)).astype(jnp.int32) - 127
    m = _f32((bits & _U32(0x7FFFFF)) | _U32(0x3F800000))
    big = m > f(1.41421356)
    m = jnp.where(big, m * f(0.5), m)
    e = e + big.astype(jnp.int32)
    s = (m - f(1)) / (m + f(1))
    log_m = rounded(f(2) * s * _horner(s * s, _LOG, rounded))
    e = e.astype(jnp.float32)
    r = jnp.sqrt(f(-2) * ((e * _LN2_HI + e * _LN2_LO) + log_m))
    # quarter turn q and the angle within it: cos = (cs, -sn, -cs, sn)[q], sin = (sn, cs, -sn, -cs)[q]
    q = u4.astype(jnp.int32)
    th = (u4 - q.astype(jnp.float32)) * f(1.5707963)
    t2 = th * th
    sn = th * _horner(t2, _SIN, rounded)
    cs = _horner(t2, _COS, rounded)
    odd = (q & 1) == 1
    flip = (q & 2).astype(jnp.uint32) << _U32(30)
    # the sign goes on after the product (the same bits: r >= 0 or -0), so a consumer sees
    # an integer xor, never a product it could contract into its own additions
    cos = _f32(_u32(r * jnp.where(odd, sn, cs)) ^ flip ^ (odd.astype(jnp.uint32) << _U32(31)))
    sin = _f32(_u32(r * jnp.where(odd, cs, sn)) ^ flip)
    return cos, sin


def _rows(words, n: int, looped, unrolled, unroll: bool | None) -> jax.Array:
    """``looped(w, blocks)`` on CPU, ``unrolled(w, blocks)`` elsewhere (or as ``unroll`` says):
    two computations of the same (4, blocks) values, flattened to ``n``."""
    blocks = (n + 3) // 4
    if unroll is None:
        x = jax.lax.platform_dependent(words, cpu=lambda w: looped(w, blocks), default=lambda w: unrolled(w, blocks))
    else:
        x = (unrolled if unroll else looped)(words, blocks)
    return x.reshape(-1)[:n]


def _to_uniform(w):
    return (w >> _U32(8)).astype(jnp.int32).astype(jnp.float32) * np.float32(2.0**-24)


def _normal_looped(words, blocks):
    w, zero = _blocks_looped(words, blocks)
    cos, sin = _box_muller(w[0::2], w[1::2], _rounded_by(zero))  # pairs (0, 1) and (2, 3)
    return jnp.stack([cos, sin], axis=1).reshape(4, blocks)  # rows x0, y0, x1, y1


def _normal_unrolled(words, blocks):
    c = _blocks_unrolled(words, blocks)
    row = jnp.arange(4)[:, None]  # one elementwise fusion over (4, blocks): no slices, no concatenation
    cos, sin = _box_muller(jnp.where(row < 2, c[0], c[2]), jnp.where(row < 2, c[1], c[3]), _rounded_select)
    return jnp.where(row % 2 == 1, sin, cos)


def _uniform_unrolled(words, blocks):
    c = _blocks_unrolled(words, blocks)
    row = jnp.arange(4)[:, None]
    return _to_uniform(jnp.where(row == 0, c[0], jnp.where(row == 1, c[1], jnp.where(row == 2, c[2], c[3]))))


def normal_jax(words, n: int, unroll: bool | None = None) -> jax.Array:
    """``n`` standard normals of the stream from key ``words`` (2,), in pure JAX."""
    return _rows(words, n, _normal_looped, _normal_unrolled, unroll)


def uniform_jax(words, n: int, unroll: bool | None = None) -> jax.Array:
    """``n`` uniforms in [0, 1) of the stream from key ``words`` (2,), in pure JAX."""
    return _rows(words, n, lambda w, b: _to_uniform(_blocks_looped(w, b)[0]), _uniform_unrolled, unroll)


def _draw(target: str, pure, key, shape, dtype):
    """Float32 values of ``shape`` from FFI ``target`` on CPU, else from ``pure`` (the same bits)."""
    shape = tuple(shape)
    n = math.prod(shape)
    words = key_words(key)
    if words.shape != (2,):
        raise ValueError(f"key must be a single key, got a key array of shape {words.shape[:-1]}; use jax.vmap over keys")
    if n == 0:
        return jnp.zeros(shape, dtype)
    if not _native.available("random"):
        x = pure(words, n)
    else:
        out = jax.ShapeDtypeStruct((n,), jnp.float32)
        x = jax.lax.platform_dependent(
            words,
            cpu=lambda w: jax.ffi.ffi_call(target, out, vmap_method="broadcast_all")(w),
            default=lambda w: pure(w, n),
        )
    return x.reshape(shape).astype(dtype)


def normal(key, shape=(), dtype=jnp.float32) -> jax.Array:
    """Standard normal values of ``shape``, a pure function of ``key`` (see module doc)."""
    return _draw("neurodyn_normal_f32", normal_jax, key, shape, dtype)


def uniform(key, shape=(), dtype=jnp.float32) -> jax.Array:
    """Uniform values in [0, 1) of ``shape`` (24-bit resolution), a pure function of ``key``."""
    return _draw("neurodyn_uniform_f32", uniform_jax, key, shape, dtype)


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
