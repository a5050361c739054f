"""The engine's random draws (neurodyn.engine._random and neurodyn/_native/random.cc).

The C++ kernel is checked against an independent pure-JAX transcription of its algorithm
(Philox4x32-10 + Box-Muller), whose Philox is checked against the known-answer vectors
published with Random123 (Salmon et al. 2011, kat_vectors), and its output against the
normal distribution.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import neurodyn as nd
from neurodyn import _native
from neurodyn.engine._random import INVERSION_MAX, key_words, normal, poisson, uniform

_M0, _M1 = np.uint32(0xD2511F53), np.uint32(0xCD9E8D57)
_W0, _W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)


def _mulhilo(a, m):
    """High and low 32 bits of ``a * m`` in uint32 arithmetic (no 64-bit integers needed)."""
    mh, ml = np.uint32(int(m) >> 16), np.uint32(int(m) & 0xFFFF)
    ah, al = a >> 16, a & np.uint32(0xFFFF)
    ll, lh, hl, hh = al * ml, al * mh, ah * ml, ah * mh
    cross = (ll >> 16) + (lh & np.uint32(0xFFFF)) + (hl & np.uint32(0xFFFF))
    return hh + (lh >> 16) + (hl >> 16) + (cross >> 16), a * m


def _philox(blocks: int, k0, k1):
    c0 = jnp.arange(blocks, dtype=jnp.uint32)
    c1 = c2 = c3 = jnp.zeros((blocks,), jnp.uint32)
    for _ in range(10):
        h0, l0 = _mulhilo(c0, _M0)
        h1, l1 = _mulhilo(c2, _M1)
        c0, c1, c2, c3 = h1 ^ c1 ^ k0, l1, h0 ^ c3 ^ k1, l0
        k0, k1 = k0 + _W0, k1 + _W1
    return c0, c1, c2, c3


def _f32(u):
    return jax.lax.bitcast_convert_type(u, jnp.float32)


def _u32(x):
    return jax.lax.bitcast_convert_type(x, jnp.uint32)


def _box_muller(a, b, sine):
    f = np.float32
    u1 = ((a >> 8).astype(jnp.int32).astype(jnp.float32) + f(0.5)) * f(5.9604645e-08)
    u4 = (b >> 8).astype(jnp.int32).astype(jnp.float32) * f(2.3841858e-07)
    bits = _u32(u1)
    e = (bits >> 23).astype(jnp.int32) - 127
    m = _f32((bits & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000))
    big = (m > f(1.41421356)).astype(jnp.uint32)
    m = _f32(_u32(m) - (big << 23))
    e = e + big.astype(jnp.int32)
    s = (m - f(1)) / (m + f(1))
    s2 = s * s
    log_m = f(2) * s * (f(1) + s2 * (f(0.33333333) + s2 * (f(0.2) + s2 * (f(0.14285714) + s2 * f(0.11111111)))))
    r = jnp.sqrt(f(-2) * (e.astype(jnp.float32) * f(0.69314718) + log_m))
    q = u4.astype(jnp.int32)
    th = (u4 - q.astype(jnp.float32)) * f(1.5707963)
    t2 = th * th
    sn = th * (f(1) + t2 * (f(-1.6666667e-1) + t2 * (f(8.3333333e-3) + t2 * (f(-1.9841270e-4) + t2 * (
        f(2.7557319e-6) + t2 * f(-2.5052108e-8))))))
    cs = f(1) + t2 * (f(-0.5) + t2 * (f(4.1666667e-2) + t2 * (f(-1.3888889e-3) + t2 * (f(2.4801587e-5) + t2 * (
        f(-2.7557319e-7) + t2 * f(2.0876757e-9))))))
    odd = (q & 1) == 1
    flip = ((q & 2).astype(jnp.uint32)) << 30
    cos_part = jnp.where(odd, -sn, cs)
    sin_part = jnp.where(odd, cs, sn)
    return r * _f32(_u32(jnp.where(sine, sin_part, cos_part)) ^ flip)


def normal_twin(words, n: int) -> jax.Array:
    """The pure-JAX computation of one row of ``n`` normals from key ``words`` (2,)."""
    blocks = (n + 3) // 4
    # materialise the key words (else XLA fuses the key's hash into every element)
    # and the Philox words (else the concatenate re-expands the rounds)
    words = jax.lax.optimization_barrier(words)
    w0, w1, w2, w3 = jax.lax.optimization_barrier(_philox(blocks, words[0], words[1]))
    a, b = jnp.concatenate([w0, w0, w2, w2]), jnp.concatenate([w1, w1, w3, w3])
    sine = (jnp.arange(4 * blocks) // blocks) % 2 == 1
    return _box_muller(a, b, sine)[:n]


def normal_twin(words, n: int):
    blocks = (n + 3) // 4
    w0, w1, w2, w3 = _philox(blocks, words[0], words[1])
    a, b = jnp.concatenate([w0, w0, w2, w2]), jnp.concatenate([w1, w1, w3, w3])
    sine = (jnp.arange(4 * blocks) // blocks) % 2 == 1
    return _box_muller(a, b, sine)[:n]


@pytest.mark.parametrize(
    "key, expected",
    [  # Random123 kat_vectors, philox4x32 10 rounds, counter = (0, 0, 0, 0)
        ((0x00000000, 0x00000000), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ],
)
def test_philox_known_answer(key, expected):
    words = _philox(1, jnp.uint32(key[0]), jnp.uint32(key[1]))
    assert tuple(int(w[0]) for w in words) == expected


_no_kernel = pytest.mark.skipif(not _native.available("random"), reason=f"no kernel: {_native.unavailable_reason('random')}")


def needs_kernel(test):
    return _no_kernel(pytest.mark.usefixtures("on_cpu")(test))


@needs_kernel
@pytest.mark.parametrize("n", [1, 3, 4, 5, 1000, 4097])
def test_kernel_matches_reference(n):
    key = jax.random.key(3)
    got = np.asarray(jax.jit(lambda k: normal(k, (n,)))(key))
    ref = np.asarray(normal_twin(key_words(key), n))
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-6)


@needs_kernel
@pytest.mark.parametrize("n", [1, 5, 4097])
def test_uniform_kernel_matches_reference(n):
    key = jax.random.key(8)
    words = key_words(key)
    blocks = (n + 3) // 4
    w = jnp.concatenate(_philox(blocks, words[0], words[1]))[:n]
    ref = np.asarray(w >> 8).astype(np.float64) * 2.0**-24
    np.testing.assert_array_equal(np.asarray(uniform(key, (n,)), np.float64), ref)


def test_uniform_distribution():
    u = np.asarray(uniform(jax.random.key(9), (200_000,)), np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_distribution_is_standard_normal():
    x = np.asarray(normal(jax.random.key(0), (400_000,)), np.float64)
    se = 1 / np.sqrt(x.size)
    assert abs(x.mean()) < 4 * se
    assert abs(x.var() - 1) < 4 * np.sqrt(2) * se
    assert abs(stats.skew(x)) < 4 * np.sqrt(6) * se
    assert abs(stats.kurtosis(x)) < 4 * np.sqrt(24) * se
    assert stats.kstest(x, "norm").pvalue > 1e-3
    # Box-Muller pairs are independent: no correlation between neighbouring blocks or lanes
    q = x[: 4 * (x.size // 4)].reshape(4, -1)
    c = np.corrcoef(q)
    assert np.abs(c - np.eye(4)).max() < 4 * se * 2


def test_keys_give_independent_streams_and_vmap_matches_loop():
    keys = jax.random.split(jax.random.key(1), 4)
    batched = np.asarray(jax.vmap(lambda k: normal(k, (2, 50)))(keys))
    for i, k in enumerate(keys):
        np.testing.assert_array_equal(batched[i], np.asarray(normal(k, (2, 50))))
    assert abs(np.corrcoef(batched[0].ravel(), batched[1].ravel())[0, 1]) < 0.35


def test_dtypes_and_gradients():
    key = jax.random.key(2)
    x32 = normal(key, (7,))
    x16 = normal(key, (7,), jnp.float16)
    assert x32.dtype == jnp.float32 and x16.dtype == jnp.float16
    with jax.enable_x64(True):  # float64 runs see the float32 values, cast
        x64 = normal(key, (7,), jnp.float64)
        assert x64.dtype == jnp.float64
        np.testing.assert_array_equal(np.asarray(x64), np.asarray(x32, np.float64))
    assert normal(key, (0, 3)).shape == (0, 3)
    g = jax.grad(lambda s: (s * normal(key, (5,))).sum())(1.0)
    np.testing.assert_allclose(g, np.asarray(normal(key, (5,))).sum(), rtol=1e-6)


def test_white_noise_run_is_reproducible_and_has_the_right_variance():
    # dV = sigma/C dW with no leak or threshold -> Var V(t) = (sigma/C)^2 t
    lif = nd.neurons.LIF(n=4000, tau_m=1e9, C_m=1.0, E_L=0.0, V_th=1e9, V_reset=0.0, t_ref=0.0)
    noise = nd.inputs.white_noise(0.5)
    run = lambda: nd.simulate(lif, 20.0, 0.1, inputs=noise, record=["V_m"], key=jax.random.key(5), progress=False)
    a, b = run(), run()
    np.testing.assert_array_equal(np.asarray(a.traces["V_m"]), np.asarray(b.traces["V_m"]))
    v = np.asarray(a.traces["V_m"])[-1]
    expected = 0.25 * 20.0
    assert abs(v.var() - expected) < 5 * expected * np.sqrt(2 / v.size)


def test_without_a_compiler_noise_falls_back_to_jax_random(monkeypatch):
    monkeypatch.setattr(_native, "_state", {})
    monkeypatch.setenv("NEURODYN_NO_KERNEL", "1")
    key = jax.random.key(4)
    np.testing.assert_array_equal(np.asarray(normal(key, (3, 5))), np.asarray(jax.random.normal(key, (3, 5))))
    np.testing.assert_array_equal(np.asarray(uniform(key, (3, 5))), np.asarray(jax.random.uniform(key, (3, 5))))


@pytest.mark.parametrize("lam", [0.02, 0.7, 4.0, 29.0, 45.0])
def test_poisson_counts_follow_the_poisson_pmf(lam):
    # 45 > INVERSION_MAX exercises the jax.random.poisson branch
    n = 200_000
    k = np.asarray(jax.jit(lambda key: poisson(key, lam, (n,), jnp.int32))(jax.random.key(7)))
    assert k.min() >= 0
    se = np.sqrt(lam / n)
    assert abs(k.mean() - lam) < 5 * se
    assert abs(k.var() - lam) < 5 * lam * np.sqrt(2 / n) + 5 * se
    # chi-square over the bins holding 99.9 % of the mass (tails pooled)
    lo, hi = int(stats.poisson.ppf(5e-4, lam)), int(stats.poisson.ppf(1 - 5e-4, lam))
    edges = np.arange(lo, hi + 2)
    observed = np.histogram(np.clip(k, lo, hi), edges)[0]
    expected = n * np.diff(np.concatenate([[0.0], stats.poisson.cdf(edges[1:-1] - 1, lam), [1.0]]))
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


def test_poisson_per_element_means_and_vmap():
    lam = jnp.array([0.0, 0.1, 3.0, INVERSION_MAX])
    k = np.asarray(poisson(jax.random.key(1), jnp.tile(lam, 50_000), (200_000,))).reshape(-1, 4)
    assert (k[:, 0] == 0).all()
    np.testing.assert_allclose(k.mean(axis=0), lam, atol=0.05)
    keys = jax.random.split(jax.random.key(2), 3)
    batched = np.asarray(jax.vmap(lambda kk: poisson(kk, 2.0, (10,)))(keys))
    for i, kk in enumerate(keys):
        np.testing.assert_array_equal(batched[i], np.asarray(poisson(kk, 2.0, (10,))))
