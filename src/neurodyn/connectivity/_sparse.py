"""Compact sparse connection storage: CSR rows by presynaptic neuron, int32 indices."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class CSR:
    """Synapses of one projection, grouped by presynaptic neuron.

    ``indices[indptr[i]:indptr[i + 1]]`` are the postsynaptic targets of presynaptic
    neuron ``i``, ascending. ``weights`` and ``delays`` (in steps) are per synapse, or
    ``None`` when the projection uses one value for all synapses (the homogeneous fast
    path stores no per-synapse array at all).

    Memory: 4 bytes per synapse (int32 index), plus 4 (float32) or 8 (float64) for
    heterogeneous weights and 1, 2 or 4 for heterogeneous delays.
    """

    indptr: np.ndarray  # int32 (n_pre + 1,) (int64 beyond 2**31 synapses)
    indices: np.ndarray  # int32 (nnz,)
    n_pre: int
    n_post: int
    weights: np.ndarray | None = None
    delays: np.ndarray | None = None

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    @property
    def out_degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def in_degree(self) -> np.ndarray:
        return np.bincount(self.indices, minlength=self.n_post)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.indptr, self.indices, self.weights, self.delays) if a is not None)

    def rows(self) -> np.ndarray:
        """Presynaptic index of every synapse (int32, in storage order)."""
        return np.repeat(np.arange(self.n_pre, dtype=np.int32), self.out_degree)

    def to_dense(self, values=None) -> np.ndarray:
        """Dense ``(n_pre, n_post)`` matrix of ``values`` (default the weights, or 1 per synapse)."""
        if values is None:
            values = self.weights if self.weights is not None else 1.0
        out = np.zeros((self.n_pre, self.n_post), dtype=np.result_type(values, np.float32))
        out[self.rows(), self.indices] = values
        return out

    def to_scipy(self, values=None):
        import scipy.sparse as sp

        if values is None:
            values = self.weights if self.weights is not None else np.ones(self.nnz, np.float32)
        return sp.csr_matrix((np.broadcast_to(values, (self.nnz,)), self.indices, self.indptr), shape=(self.n_pre, self.n_post))


def index_dtype(n: int):
    return np.int32 if n < 2**31 else np.int64


def csr_from_rows(rows: np.ndarray, indices: np.ndarray, n_pre: int, n_post: int) -> CSR:
    """CSR from synapses already in storage order (``rows`` ascending, columns ascending within a row)."""
    counts = np.bincount(rows, minlength=n_pre)
    indptr = np.zeros(n_pre + 1, dtype=index_dtype(len(indices)))
    np.cumsum(counts, out=indptr[1:])
    return CSR(indptr, np.asarray(indices, np.int32), n_pre, n_post)


def csr_from_sorted_keys(keys: np.ndarray, n_pre: int, n_post: int) -> CSR:
    """CSR from sorted int64 keys ``pre * n_post + post`` (no duplicates)."""
    pre = keys // n_post
    return csr_from_rows(pre, (keys - pre * n_post).astype(np.int32), n_pre, n_post)


def csr_from_pairs(pre, post, n_pre: int, n_post: int, values=None) -> tuple[CSR, np.ndarray | None]:
    """CSR from (pre, post) pairs (unique); ``values`` are permuted into storage order."""
    keys = np.asarray(pre, np.int64) * n_post + np.asarray(post, np.int64)
    if values is None:
        keys.sort()
        return csr_from_sorted_keys(keys, n_pre, n_post), None
    order = np.argsort(keys, kind="stable")
    return csr_from_sorted_keys(keys[order], n_pre, n_post), np.asarray(values)[order]
