"""Where the heavy kernels of spike-train analysis run: NumPy/SciPy on the host, or JAX.

The binning and bookkeeping are always host NumPy (data-dependent sizes). The two dense
kernels -- the FFT convolution of :func:`instantaneous_rate` and the Gram product
:math:`X X^\\top` of the count covariance/correlation -- can run in JAX. ``backend=None``
picks the faster: on an accelerator both run in JAX; on a CPU the FFT stays in SciPy
(multithreaded pocketfft beats XLA's) and a dense Gram product runs in JAX in bfloat16
(exact for counts up to 256, float32 sums), about twice NumPy's float32 BLAS where the CPU
has bfloat16 dot instructions. The JAX path
computes in float64 (``jax.enable_x64`` locally) for the rates and in exact float32 for
integer counts, so both backends agree to rounding.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

_BACKENDS = ("numpy", "jax")


@functools.lru_cache(maxsize=1)
def cpu_has_bf16_dot() -> bool:
    """Whether this CPU has bfloat16 dot-product instructions (AVX-512 BF16 or AMX), Linux only."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def use_jax(backend: str | None) -> bool:
    if backend is None:
        return jax.default_backend() != "cpu"
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS} or None, got {backend!r}")
    return backend == "jax"


def fft_convolve_jax(ukey, cnt, n_rows: int, nf: int, n: int, kern: np.ndarray, mode: str) -> np.ndarray:
    """JAX version of the row-wise FFT convolution of scattered counts (float64)."""
    L = kern.size
    start = (L - 1) // 2 if mode == "same" else L - 1
    stop = start + n if mode == "same" else n
    with jax.enable_x64(True):
        buf = jnp.zeros(n_rows * nf, jnp.float64).at[jnp.asarray(ukey)].set(jnp.asarray(cnt, jnp.float64))
        spec = jnp.fft.rfft(buf.reshape(n_rows, nf), axis=1) * jnp.fft.rfft(jnp.asarray(kern, jnp.float64), n=nf)
        full = jnp.fft.irfft(spec, n=nf, axis=1)
        return np.asarray(full[:, start:stop])


def gram_jax(flat, cnt, n_units: int, total_bins: int, exact_f32: bool) -> np.ndarray:
    """``X X^T`` of the scattered counts in JAX, exact for integer counts.

    Counts up to 256 are exact in bfloat16, and the products are summed in float32 (exact
    below 2**24, which ``exact_f32`` guarantees): on CPUs with bfloat16 dot instructions
    (AVX-512 BF16) and on GPUs this is about twice as fast as a float32 product. Larger
    counts use float32 or float64 inputs.
    """
    cnt = np.asarray(cnt)
    if exact_f32 and (cnt.size == 0 or cnt.max() <= 256):
        host_dtype, acc = ml_dtypes.bfloat16, jnp.float32
    elif exact_f32:
        host_dtype, acc = np.float32, jnp.float32
    else:
        host_dtype, acc = np.float64, jnp.float64
    X = np.zeros(n_units * total_bins, dtype=host_dtype)
    X[flat] = cnt
    with jax.enable_x64(acc == jnp.float64):
        Xd = jnp.asarray(X.reshape(n_units, total_bins))
        S = _gram_dot(Xd, acc)
        return np.asarray(S, dtype=np.float64)


def _gram_dot(X, acc):
    """``X X^T`` from the blocks on and above the diagonal only (the product is symmetric)."""
    n = X.shape[0]
    k = int(min(max(n // 400, 1), 4))
    return _gram_blocks(X, acc, k)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _gram_blocks(X, acc, k):
    n = X.shape[0]
    edges = [round(i * n / k) for i in range(k + 1)]
    parts = [X[a:b] for a, b in zip(edges[:-1], edges[1:])]

    def dot(a, b):
        return jax.lax.dot_general(a, b, (((1,), (1,)), ((), ())), precision=jax.lax.Precision.HIGHEST,
                                   preferred_element_type=acc)

    upper = {(i, j): dot(parts[i], parts[j]) for i in range(k) for j in range(i, k)}
    rows = [[upper[(i, j)] if i <= j else upper[(j, i)].T for j in range(k)] for i in range(k)]
    return jnp.block(rows)
