"""Where the heavy kernels of spike-train analysis run: NumPy/SciPy on the host, or JAX.

The binning and bookkeeping are always host NumPy (data-dependent sizes). The two dense
kernels -- the FFT convolution of :func:`instantaneous_rate` and the Gram product
:math:`X X^\\top` of the count covariance/correlation -- can run in JAX, which is the faster
choice on a GPU (on CPU, NumPy's BLAS and SciPy's multithreaded FFT are faster than XLA's).
``backend=None`` picks JAX when JAX's default backend is not the CPU. The JAX path
computes in float64 (``jax.enable_x64`` locally) for the rates and in exact float32 for
integer counts, so both backends agree to rounding.
"""

from __future__ import annotations

import numpy as np

_BACKENDS = ("numpy", "jax")


def use_jax(backend: str | None) -> bool:
    if backend is None:
        try:
            import jax

            return jax.default_backend() != "cpu"
        except Exception:  # pragma: no cover - no usable JAX
            return False
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS} or None, got {backend!r}")
    return backend == "jax"


def fft_convolve_jax(ukey, cnt, n_rows: int, nf: int, n: int, kern: np.ndarray, mode: str) -> np.ndarray:
    """JAX version of the row-wise FFT convolution of scattered counts (float64)."""
    import jax
    import jax.numpy as jnp

    L = kern.size
    start = (L - 1) // 2 if mode == "same" else L - 1
    stop = start + n if mode == "same" else n
    with jax.enable_x64(True):
        buf = jnp.zeros(n_rows * nf, jnp.float64).at[jnp.asarray(ukey)].set(jnp.asarray(cnt, jnp.float64))
        spec = jnp.fft.rfft(buf.reshape(n_rows, nf), axis=1) * jnp.fft.rfft(jnp.asarray(kern, jnp.float64), n=nf)
        full = jnp.fft.irfft(spec, n=nf, axis=1)
        return np.asarray(full[:, start:stop])


def gram_jax(flat, cnt, n_units: int, total_bins: int, exact_f32: bool) -> np.ndarray:
    """``X X^T`` of the scattered counts in JAX: float32 (exact for these integers) or float64."""
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(not exact_f32):
        dtype = jnp.float32 if exact_f32 else jnp.float64
        X = jnp.zeros(n_units * total_bins, dtype).at[jnp.asarray(flat)].set(jnp.asarray(cnt, dtype))
        X = X.reshape(n_units, total_bins)
        S = jnp.dot(X, X.T, precision=jax.lax.Precision.HIGHEST)
        return np.asarray(S, dtype=np.float64)
