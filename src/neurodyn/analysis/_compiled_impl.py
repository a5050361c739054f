"""The Numba kernels behind :mod:`._compiled` (imported only when Numba is installed).

Loops index with unsigned integers where they must vectorise (Numba adds a negative-index
check to signed indices, which stops LLVM from vectorising the loop).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types, uint64
from numba.extending import intrinsic

_TOLERANCE = 1e-8  # ._binning's rounding tolerance
_OPTS = dict(parallel=True, boundscheck=False, cache=True, nogil=True)


@intrinsic
def _popcount(typingctx, x):
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _ctlz(typingctx, x):
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctlz(args[0], context.get_constant(types.boolean, False))

    return sig, codegen


@njit(inline="always")
def _histogram_bin(x, first, norm, edges, n_bins):
    """``np.histogram``'s bin of ``x`` in ``[first, last]`` (see ``np_histogram_bins``)."""
    b = int((x - first) * norm)
    if b == n_bins:
        b -= 1
    if x < edges[b]:
        b -= 1
    elif b != n_bins - 1 and x >= edges[b + 1]:
        b += 1
    return b


@njit(**_OPTS)
def rate_scatter(out, times, offsets, first, last, edges, kern, start):
    """``out[r, j] += kern[k]`` for every spike of row ``r`` in bin ``b``, ``j = b + k - start``.

    ``out`` (rows, samples) must be zero; the spikes' bins are ``np.histogram``'s over
    ``edges`` (``[first, last]``, last bin closed; spikes outside are skipped). This is
    row by row ``np.convolve(counts, kern)[start:start + samples]``.
    """
    n_rows, n_out = out.shape
    n_bins = edges.size - 1
    L = kern.size
    norm = n_bins / (last - first)
    for r in prange(n_rows):
        o = out[r]
        for s in range(offsets[r], offsets[r + 1]):
            x = times[s]
            if x < first or x > last:
                continue
            j0 = _histogram_bin(x, first, norm, edges, n_bins) - start
            lo = max(0, -j0)
            hi = min(L, n_out - j0)
            for k in range(uint64(lo), uint64(hi)):
                o[uint64(j0 + k)] += kern[k]


@njit(inline="always")
def _bin(t, t0, inv):
    """``._binning.bin_index``'s bin: ``floor((t - t0) / bin)``, rounded up within 1e-8."""
    x = (t - t0) * inv
    b = np.floor(x)
    if x - b >= 1.0 - _TOLERANCE:
        b += 1.0
    return int(b)


@njit(inline="always")
def _kept(t, b, n_bins, restrict, t_lo, t_hi):
    return b < n_bins and (not restrict or (t >= t_lo and t <= t_hi))


@njit(**_OPTS)
def binned_entries(times, offsets, n_units, t0, inv, n_bins, restrict, t_lo, t_hi, binary, col, cnt):
    """The occupied bins of every row, as ``._binning.binned_keys`` + ``runs``, in one pass.

    Fills ``col`` and ``cnt`` (one slot per spike; ``cnt`` must be zero) and returns ``(start, stop, n_kept,
    sq, lengths)``: the entries of row ``r`` (``trial * n_units + unit``) are
    ``start[r]:stop[r]`` (inside the row's spikes, ``offsets[r]:offsets[r + 1]``), with
    column ``trial * n_bins + bin`` (trials are extra bins) and count (clipped to 1 when
    ``binary``), in bin order; ``n_kept[r]`` is the row's number of binned spikes, ``sq[r]``
    the sum of its squared counts, and ``lengths[b]`` the number of entries whose count has
    bit length ``b``.
    """
    n_rows = offsets.size - 1
    start = offsets[:-1].copy()
    stop = np.empty(n_rows, np.int64)
    n_kept = np.zeros(n_rows, np.int64)
    sq = np.zeros(n_rows, np.int64)
    n_chunks = min(n_rows, 64)
    lengths = np.zeros((max(n_chunks, 1), 64), np.int64)
    for c in prange(n_chunks):
        for r in range(c * n_rows // n_chunks, (c + 1) * n_rows // n_chunks):
            base = (r // n_units) * n_bins
            e = start[r] - 1
            prev = -1
            kept = 0
            for s in range(offsets[r], offsets[r + 1]):
                t = times[s]
                b = _bin(t, t0, inv)
                if not _kept(t, b, n_bins, restrict, t_lo, t_hi):
                    continue
                kept += 1
                e += b != prev  # branch-free: a new entry's count starts from the zero in cnt
                col[e] = base + b
                if binary:
                    cnt[e] = 1
                else:
                    cnt[e] += 1
                prev = b
            stop[r] = e + 1
            n_kept[r] = kept
            q = 0
            for e in range(start[r], stop[r]):  # bit lengths and squares of the counts
                x = np.int64(cnt[e])
                lengths[c, 64 - _ctlz(uint64(x))] += 1
                q += x * x
            sq[r] = q
    return start, stop, n_kept, sq, lengths.sum(axis=0)


@njit(**_OPTS)
def digit_planes(start, stop, col, cnt, n_units, n_trials, P, words):
    """Bit sets of the binary digits ``0..P-1`` of the counts: ``(P, n_units, words)`` uint64."""
    D = np.zeros((P, n_units, words), np.uint64)
    for u in prange(n_units):
        for tr in range(n_trials):
            r = tr * n_units + u
            for e in range(start[r], stop[r]):
                k = col[e]
                w = k >> 6
                bit = uint64(1) << uint64(k & 63)
                c = cnt[e]
                for p in range(P):
                    if (c >> p) & 1:
                        D[p, u, w] |= bit
    return D


@njit(**_OPTS)
def gram_planes(D, S):
    """``S[i, j] = sum_{p, q} 2**(p + q) popcount(D[p, i] & D[q, j])`` for ``i <= j``."""
    P, n, W = D.shape
    for t in prange(n):
        i = t // 2 if t % 2 == 0 else n - 1 - t // 2  # pair short and long rows: balanced halves
        if P == 2:  # the four plane pairs in one pass over the words
            a0 = D[0, i]
            a1 = D[1, i]
            for j in range(i, n):
                b0 = D[0, j]
                b1 = D[1, j]
                s0 = uint64(0)
                s1 = uint64(0)
                s2 = uint64(0)
                for w in range(uint64(W)):
                    s0 += _popcount(a0[w] & b0[w])
                    s1 += _popcount(a0[w] & b1[w]) + _popcount(a1[w] & b0[w])
                    s2 += _popcount(a1[w] & b1[w])
                S[i, j] = np.int64(s0 + (s1 << uint64(1)) + (s2 << uint64(2)))
            continue
        for j in range(i, n):
            acc = uint64(0)
            for p in range(P):
                a = D[p, i]
                for q in range(P):
                    b = D[q, j]
                    s = uint64(0)
                    for w in range(uint64(W)):
                        s += _popcount(a[w] & b[w])
                    acc += s << uint64(p + q)
            S[i, j] = np.int64(acc)


@njit(**_OPTS)
def finish(S, A, mdiag):
    """The symmetric ``S`` from its parts, tile by tile: with sparse parts ``A`` (strict
    upper triangles), ``S[i, j] = S[j, i] = sum_c A[c, i, j]`` (``i < j``) and ``S[i, i] =
    mdiag[i]``; without
    (``A.shape[0] == 0``), ``S[i, j] = S[j, i] = S[i, j] + S[j, i]`` for ``i < j`` (upper
    triangle plus lower) and ``S[i, i] += mdiag[i]``."""
    n = S.shape[0]
    tile = 32
    n_tiles = (n + tile - 1) // tile
    for ti in prange(n_tiles):
        for tj in range(ti, n_tiles):
            for i in range(ti * tile, min(ti * tile + tile, n)):
                for j in range(max(tj * tile, i), min(tj * tile + tile, n)):
                    if A.shape[0] > 0:
                        v = mdiag[i] if i == j else 0.0
                        for c in range(A.shape[0]):
                            v += A[c, i, j]
                    elif i == j:
                        v = S[i, i] + mdiag[i]
                    else:
                        v = S[i, j] + S[j, i]
                    S[i, j] = v
                    S[j, i] = v


@njit(**_OPTS)
def gram_high(start, stop, col, cnt, n_units, n_trials, P, Y, S, mdiag):
    """The part of ``X X^T`` above ``L L^T`` for ``P > 0``: ``M = H (L + H/2)^T``, so that
    ``X X^T = L L^T + M + M^T`` (``H = X - L``, ``L = X mod 2**P``, ``H/2`` is an integer).

    ``Y`` (bins, units), zero, receives ``L + H/2`` transposed; then every nonzero ``h`` of
    ``H`` in row ``j``, bin ``k`` adds ``h * Y[k]`` to row ``j`` of ``S`` (a dense row
    operation; ``S`` holds ``L L^T`` in its upper triangle and zeros below, see
    :func:`finish`), and ``h * Y[k, j]`` to ``mdiag[j]``.
    """
    mask = (1 << P) - 1
    for u in prange(n_units):
        for tr in range(n_trials):
            r = tr * n_units + u
            for e in range(start[r], stop[r]):
                x = cnt[e]
                Y[col[e], u] = (x & mask) + ((x & ~mask) >> 1)
    n = S.shape[1]
    for u in prange(n_units):
        srow = S[u]
        for tr in range(n_trials):
            r = tr * n_units + u
            for e in range(start[r], stop[r]):
                h = np.int64(cnt[e]) & ~mask
                if h == 0:
                    continue
                y = Y[col[e]]
                mdiag[u] += h * y[u]
                for i in range(uint64(n)):
                    srow[i] += h * y[i]


@njit(**_OPTS)
def gram_sparse(start, stop, col, cnt, n_units, n_cols, block, A):
    """``X X^T`` off the diagonal, from the columns (bins) of ``X``: ``A[c]`` (one per
    thread, each taking a range of columns) receives the strict upper triangle, ``x_a x_b``
    for every pair of entries ``a != b`` of a column. The columns are taken ``block`` at a time, copied
    column-compressed (units sorted) into buffers that stay in cache.
    """
    n_rows = start.size
    n_chunks = A.shape[0]
    n_blocks = (n_cols + block - 1) // block
    for c in prange(n_chunks):
        Ac = A[c]
        b0 = c * n_blocks // n_chunks
        b1 = (c + 1) * n_blocks // n_chunks
        cur = np.empty(n_rows + 1, np.int64)
        for r in range(n_rows):  # first entry of each row at or after this chunk's columns
            cur[r] = start[r] + np.searchsorted(col[start[r]:stop[r]], b0 * block)
        ptr = np.zeros(block + 1, np.int64)
        cap = 1024
        cu = np.empty(cap, np.int32)
        cx = np.empty(cap, np.int32)
        end = np.empty(n_rows, np.int64)
        for blk in range(b0, b1):
            k0 = blk * block
            k1 = min(k0 + block, n_cols)
            ptr[:] = 0
            for r in range(n_rows):
                e = cur[r]
                while e < stop[r] and col[e] < k1:
                    ptr[col[e] - k0 + 1] += 1
                    e += 1
                end[r] = e
            for k in range(k1 - k0):
                ptr[k + 1] += ptr[k]
            m = ptr[k1 - k0]
            if m > cap:
                cap = 2 * m
                cu = np.empty(cap, np.int32)
                cx = np.empty(cap, np.int32)
            nxt = ptr[:k1 - k0].copy()
            for r in range(n_rows):
                u = r % n_units
                for e in range(cur[r], end[r]):
                    q = nxt[col[e] - k0]
                    cu[q] = u
                    cx[q] = cnt[e]
                    nxt[col[e] - k0] = q + 1
            for k in range(k1 - k0):
                hi = ptr[k + 1]
                for a in range(ptr[k], hi):
                    row = Ac[cu[a]]
                    x = np.int64(cx[a])
                    for b in range(a + 1, hi):  # units are sorted within a column: cu[b] > cu[a]
                        row[cu[b]] += x * cx[b]
            for r in range(n_rows):
                cur[r] = end[r]


@njit(parallel=True, boundscheck=False, cache=True, nogil=True, error_model="numpy")
def center(S, n, T, d):
    """In place ``S[i, j] = (S[i, j] - n_i n_j / T) / (d_i d_j)``, NumPy's order of operations
    (covariance: ``d = sqrt(T - 1)``; correlation: ``d`` the standard deviations, 0 -> NaN)."""
    m = S.shape[0]
    for i in prange(m):
        for j in range(m):
            S[i, j] = (S[i, j] - n[i] * n[j] / T) / (d[i] * d[j])
