r"""Compiled (Numba) kernels for the kernel-smoothed rate and the binned count Gram matrix.

Optional: with Numba installed (``pip install neurodyn[fast]``) :func:`kernels` returns
this module's compiled functions, otherwise ``None`` and the callers use their NumPy/SciPy
paths. Every kernel runs over the ``SpikeTrains`` arrays as they are stored (sorted by
row, then time; ``offsets`` are the row starts), in parallel over rows (units), and
reproduces the binning rules of :mod:`._binning` operation for operation, so the bins are
the same as on the NumPy paths.

- :func:`rate_scatter`: the convolution of binned spike counts with a sampled kernel,
  computed by adding the kernel once per spike (cost ``n_spikes * kernel size``, instead
  of an FFT over every sample of every unit).
- :func:`binned_entries`: the occupied (row, bin) entries and their counts.
- The Gram matrix :math:`S = X X^\top` of the counts, exact in integers. With
  :math:`L = X \bmod 2^P` and :math:`H = X - L` (nonzero only where a count is
  :math:`\ge 2^P`, rare for small bins), and :math:`M = H (L + H/2)^\top` (:math:`H/2` is
  an integer for :math:`P \ge 1`),

  .. math:: S = L L^\top + M + M^\top .

  :math:`L L^\top` is summed over the :math:`P` binary digit planes of :math:`L`, each a
  bit set with 64 bins per word, by ``popcount(a & b)`` (:func:`gram_planes`); :math:`M`
  adds, for every nonzero of :math:`H`, a multiple of one row of the transposed
  :math:`L + H/2` (:func:`gram_high`). ``P = 0`` is the purely sparse product over the
  bins (:func:`gram_sparse`). The caller picks :math:`P` (or a dense BLAS product) by
  :func:`choose_planes`.
"""

from __future__ import annotations

import functools
import os

import numpy as np


@functools.lru_cache(maxsize=1)
def _load():
    try:
        import numba  # noqa: F401
    except ImportError:
        return None
    # Numba's OpenMP workers otherwise spin after every parallel region and take a core
    # from the caller's serial NumPy code when the machine is shared (measured: 2-4x
    # slower, erratic timings on 2 busy cores). No effect once OpenMP is initialised.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from . import _compiled_impl

    return _compiled_impl


ENABLED = True  # tests switch the compiled paths off to check the NumPy ones


def kernels():
    """The compiled-kernel module, or ``None`` when Numba is not installed (or disabled)."""
    return _load() if ENABLED else None


def numba_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def zeros(shape, dtype=np.float64) -> np.ndarray:
    """``np.zeros`` with its pages already mapped, by a write to each page from this thread.

    The kernels' threads would otherwise take the page faults of a fresh array together;
    measured here, the first few such calls in a process took ~0.1 s instead of ~0.015 s
    for 80 MB (the faults from one thread cost ~8 ms, and then none are left).
    """
    a = np.zeros(shape, dtype)
    flat = a.reshape(-1)
    flat[:: max(4096 // a.itemsize, 1)] = 0
    return a


# seconds per operation on a 2-core x86 CPU (both cores); only their ratios matter
RATE_ADD_S = 2.5e-10  # one kernel sample added per spike
FFT_S = 4e-10  # one sample * log2(FFT length), forward + inverse
POPCOUNT_S = 1.5e-10  # one 64-bit word pair, one plane pair
SCATTER_S = 4e-9  # one product of two entries in a column (the sparse part)
ROW_S = 1e-10  # one element of a dense row operation
ENTRY_S = 1e-8  # copying one entry into the column buffers (the sparse part)
DENSE_MAC_S = 2e-11  # one multiply-add of the dense product, with building the dense matrix
BLOCK_ENTRIES = 131072  # entries per column buffer of the sparse part (int32 unit and count)


def choose_planes(n_units: int, words: int, lengths: np.ndarray, per_column: float):
    """The number of digit planes ``P`` with the smallest estimated cost, and that cost.

    ``lengths[b]`` is the number of entries whose count has bit length ``b``; ``per_column``
    the mean number of entries in a column (bin). ``P`` runs from 0 (all sparse) to the bit
    length of the largest count (nothing above ``L``).
    """
    lengths = np.asarray(lengths)
    n_ent = float(lengths.sum())
    above = np.cumsum(lengths[::-1])[::-1]  # above[b]: entries with count >= 2**(b - 1)
    p_max = int(np.flatnonzero(lengths)[-1]) if n_ent else 0
    pairs = 0.5 * float(n_units) * (n_units + 1) * words
    best = (0, n_ent * (0.5 * per_column * SCATTER_S + ENTRY_S))
    for p in range(1, p_max + 1):
        cost = p * p * pairs * POPCOUNT_S
        if p < p_max:  # the dense rows of H (L + H/2)^T, H: counts >= 2**p
            cost += float(above[p + 1]) * n_units * ROW_S + n_ent * ENTRY_S + n_units * n_ent / per_column * ROW_S
        if cost < best[1]:
            best = (p, cost)
    return best
