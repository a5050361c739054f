"""The engine's random draws (neurodyn.engine._random and neurodyn/_native/random.cc).

One stream whatever the kernels' state: the pure-JAX computation is checked bit for bit
against an independent NumPy transcription of the algorithm (64-bit integer Philox,
float32 Box-Muller with one rounding per operation) and against the C++ kernel; its
Philox against the known-answer vectors published with Random123 (Salmon et al. 2011,
kat_vectors); its output against the normal and uniform distributions.
"""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import neurodyn as nd
from neurodyn import _native
from neurodyn.engine import _random
from neurodyn.engine._random import INVERSION_MAX, key_words, normal, poisson, uniform

# -- an independent NumPy transcription of the stream ---------------------------
_MASK = np.uint64(0xFFFFFFFF)


def np_philox(counter, key):
    """Philox4x32-10 with 64-bit products: counter 4 uint arrays, key 2 ints."""
    c0, c1, c2, c3 = (np.asarray(c, np.uint64) for c in counter)
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for _ in range(10):
        p0, p1 = c0 * np.uint64(0xD2511F53), c2 * np.uint64(0xCD9E8D57)
        c0, c1, c2, c3 = (p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & _MASK, (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & _MASK
        k0, k1 = (k0 + np.uint64(0x9E3779B9)) & _MASK, (k1 + np.uint64(0xBB67AE85)) & _MASK
    return [c.astype(np.uint32) for c in (c0, c1, c2, c3)]


def np_box_muller(a, b):
    """Box-Muller of word pairs as random.cc computes it, in float32 NumPy (no fused multiply-adds)."""
    f = np.float32
    u1 = ((a >> 8).astype(np.int32).astype(f) + f(0.5)) * f(5.9604645e-08)
    u4 = (b >> 8).astype(np.int32).astype(f) * f(2.3841858e-07)
    bits = u1.view(np.uint32)
    e = (bits >> 23).astype(np.int32) - 127
    m = ((bits & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)).view(f)
    big = (m > f(1.41421356)).astype(np.uint32)
    m = (m.view(np.uint32) - (big << np.uint32(23))).view(f)
    e = e + big.astype(np.int32)
    s = (m - f(1)) / (m + f(1))
    s2 = s * s
    log_m = f(2) * s * (f(1) + s2 * (f(0.33333333) + s2 * (f(0.2) + s2 * (f(0.14285714) + s2 * f(0.11111111)))))
    r = np.sqrt(f(-2) * (e.astype(f) * f(0.69314718) + log_m))
    q = u4.astype(np.int32)
    th = (u4 - q.astype(f)) * f(1.5707963)
    t2 = th * th
    sn = th * (f(1) + t2 * (f(-1.6666667e-1) + t2 * (f(8.3333333e-3) + t2 * (f(-1.9841270e-4) + t2 * (
        f(2.7557319e-6) + t2 * f(-2.5052108e-8))))))
    cs = f(1) + t2 * (f(-0.5) + t2 * (f(4.1666667e-2) + t2 * (f(-1.3888889e-3) + t2 * (f(2.4801587e-5) + t2 * (
        f(-2.7557319e-7) + t2 * f(2.0876757e-9))))))
    odd = (q & 1) == 1
    flip = (q & 2).astype(np.uint32) << np.uint32(30)
    cos = (np.where(odd, -sn, cs).view(np.uint32) ^ flip).view(f)
    sin = (np.where(odd, cs, sn).view(np.uint32) ^ flip).view(f)
    return r * cos, r * sin


def np_stream(words, n: int):
    """(normals, uniforms) of one row of ``n`` values under key ``words``."""
    blocks = (n + 3) // 4
    zero = np.zeros(blocks, np.uint32)
    w = np_philox((np.arange(blocks, dtype=np.uint32), zero, zero, zero), [int(x) for x in words])
    x0, y0 = np_box_muller(w[0], w[1])
    x1, y1 = np_box_muller(w[2], w[3])
    uniforms = (np.concatenate(w) >> 8).astype(np.float32) * np.float32(2.0**-24)
    return np.concatenate([x0, y0, x1, y1])[:n], uniforms[:n]


def assert_same_bits(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    assert a.shape == b.shape
    differ = np.flatnonzero(a.view(np.uint32) != b.view(np.uint32))
    assert differ.size == 0, f"{differ.size} of {a.size} values differ, first at {differ[0]}: {a.flat[differ[0]]!r} vs {b.flat[differ[0]]!r}"


# Random123 kat_vectors, philox4x32 10 rounds: counter, key, expected
_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0), (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("counter, key, expected", _KAT)
def test_philox_known_answers(counter, key, expected):
    as_array = [np.array([c], np.uint32) for c in counter]
    assert tuple(int(w[0]) for w in _random.philox(as_array, key)) == expected
    assert tuple(int(w[0]) for w in np_philox(as_array, key)) == expected


# key words: typed keys' data and a raw uint32 key
_WORDS = jnp.stack([key_words(jax.random.key(0)), key_words(jax.random.key(3)), key_words(jax.random.key(2**31 + 5)),
                    jnp.array([0xFFFFFFFF, 0x12345678], jnp.uint32)])


@pytest.mark.parametrize("n", [1, 5, 1000, 4097])
def test_pure_jax_stream_is_the_specified_one(n):
    # the CPU form (looped rounds), jitted and vmapped over keys, against the NumPy transcription
    got_normal = jax.jit(jax.vmap(lambda w: _random.normal_jax(w, n, unroll=False)))(_WORDS)
    got_uniform = jax.jit(jax.vmap(lambda w: _random.uniform_jax(w, n, unroll=False)))(_WORDS)
    for i, words in enumerate(np.asarray(_WORDS)):
        ref_normal, ref_uniform = np_stream(words, n)
        assert_same_bits(got_normal[i], ref_normal)
        assert_same_bits(got_uniform[i], ref_uniform)


def test_unrolled_form_follows_the_same_algorithm():
    # the GPU form: uniforms bit for bit; normals to a few float32 ulp (XLA may contract a
    # multiply-add where the CPU form cannot, and GPUs divide approximately)
    n = 20_000
    normal_rows = jax.jit(jax.vmap(lambda w: _random.normal_jax(w, n, unroll=True)))(_WORDS)
    uniform_rows = jax.jit(jax.vmap(lambda w: _random.uniform_jax(w, n, unroll=True)))(_WORDS)
    for i, words in enumerate(np.asarray(_WORDS)):
        ref_normal, ref_uniform = np_stream(words, n)
        assert_same_bits(uniform_rows[i], ref_uniform)
        np.testing.assert_allclose(normal_rows[i], ref_normal, rtol=4 * 2.0**-23, atol=1e-6)


_no_kernel = pytest.mark.skipif(not _native.available("random"), reason=f"no kernel: {_native.unavailable_reason('random')}")


def needs_kernel(test):
    return _no_kernel(pytest.mark.usefixtures("on_cpu")(test))


@needs_kernel
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 7), (4097,), (20_000,)])
def test_kernel_matches_pure_jax(shape):
    # raw uint32 keys, vmapped: the kernel's batched rows against the pure-JAX computation
    n = int(np.prod(shape))
    kernel = jax.jit(jax.vmap(lambda w: (normal(w, shape), uniform(w, shape))))(_WORDS)
    pure = jax.jit(jax.vmap(lambda w: (_random.normal_jax(w, n).reshape(shape), _random.uniform_jax(w, n).reshape(shape))))(_WORDS)
    assert_same_bits(kernel[0], pure[0])
    assert_same_bits(kernel[1], pure[1])


@needs_kernel
def test_kernel_matches_pure_jax_for_typed_keys():
    keys = jax.random.split(jax.random.key(11), 3)
    pure = jax.vmap(lambda k: _random.normal_jax(key_words(k), 51).reshape(3, 17))(keys)
    assert_same_bits(jax.vmap(lambda k: normal(k, (3, 17)))(keys), pure)
    for k in keys:  # unbatched, eager
        assert_same_bits(uniform(k, (9,)), _random.uniform_jax(key_words(k), 9))


@needs_kernel
def test_without_the_kernel_the_draws_are_the_same(monkeypatch):
    key = jax.random.key(4)
    draws = lambda k: (normal(k, (3, 5)), uniform(k, (3, 5)), poisson(k, 2.5, (40,)))
    with_kernel = jax.jit(draws)(key)
    monkeypatch.setattr(_native, "_state", {})
    monkeypatch.setenv("NEURODYN_NO_KERNEL", "1")
    assert not _native.available("random")
    without = jax.jit(lambda k: draws(k))(key)  # a new function: traced again, without the kernel
    for a, b in zip(with_kernel, without):
        assert_same_bits(a, b)


_NOISY_RUN = """
import hashlib, json, sys
import jax, numpy as np
import neurodyn as nd
from neurodyn import _native
lif = nd.neurons.LIF(n=60, tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
inputs = [nd.inputs.ornstein_uhlenbeck(mean=150.0, sigma=50.0, tau=5.0), nd.inputs.white_noise(60.0),
          nd.inputs.poisson(rate=800.0, weight=20.0, n_sources=5)]
res = nd.simulate(lif, 300.0, 0.1, inputs=inputs, record=["spikes", "V_m"], key=jax.random.key(7), progress=False)
s = res.spikes
print(json.dumps({"kernel": _native.available("random"), "spikes": len(s.times),
    "digest": hashlib.sha256(s.times.tobytes() + s.indices.tobytes() + np.asarray(res.traces["V_m"]).tobytes()).hexdigest()}))
"""


@needs_kernel
def test_same_seed_gives_the_same_run_with_and_without_the_kernels():
    env = {**os.environ, "NEURODYN_NO_KERNEL": "1", "JAX_PLATFORMS": "cpu"}
    runs = []
    for extra in ({"JAX_PLATFORMS": "cpu"}, env):
        out = subprocess.run([sys.executable, "-c", _NOISY_RUN], env={**os.environ, **extra}, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert [r["kernel"] for r in runs] == [True, False]
    assert runs[0]["spikes"] > 50  # the run fires: the comparison means something
    assert runs[0]["spikes"] == runs[1]["spikes"] and runs[0]["digest"] == runs[1]["digest"]


def test_a_key_array_is_refused():
    with pytest.raises(ValueError, match=r"key must be a single key, got a key array of shape \(3,\)"):
        normal(jax.random.split(jax.random.key(0), 3), (4,))


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


@pytest.mark.skipif(not _native.available("population"), reason="no C++ compiler")
@pytest.mark.usefixtures("on_cpu")
def test_a_stream_is_not_resumed_with_other_kernels(tmp_path, monkeypatch):
    # the fused LIF step agrees with the generic one only to float32 rounding: a stream
    # written with it must not be continued without it (and the noise stream's identity
    # is part of the signature); a model that does not use it resumes either way
    from neurodyn.connectivity import ExpCurrent, WithSynapses

    lif = nd.neurons.LIF(n=50, tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
    fused = WithSynapses(lif, {"cur": ExpCurrent(tau=5.0)})
    noise = nd.inputs.white_noise(300.0, mean=200.0)
    run = lambda model, folder, **kw: nd.simulate(model, 40.0, 0.1, inputs=noise if model is lif else {"I": noise},  # noqa: E731
                                                  key=jax.random.key(1), progress=False, chunk_steps=100,
                                                  stream_to=tmp_path / folder, **kw)
    run(fused, "fused")
    run(lif, "plain")
    monkeypatch.setitem(_native._state, "population", (False, "disabled by the test"))
    with pytest.raises(ValueError, match=r"holds chunks of a different run \(.*noise stream or C\+\+ kernels in use differ\)"):
        run(fused, "fused", resume=True)
    assert run(lif, "plain", resume=True).spikes.times.size > 0
    monkeypatch.setattr(_random, "STREAM", "another stream")
    with pytest.raises(ValueError, match="different run"):
        run(lif, "plain", resume=True)
