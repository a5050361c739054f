"""Spike propagation into delay ring buffers: event-driven (pure JAX or C++ kernel) and dense.

Every path computes the same thing, in the same floating-point order:

- a projection's events of one step are summed per (delay, target neuron) in
  presynaptic-index order (synapses of one neuron in storage order), starting from 0;
- that per-step sum is added once to the ring-buffer row where it is due (or, for a
  delay-free projection, to the target variable itself): a spike emitted in step ``i``
  with a delay of ``d`` steps lands in row ``(i + 1 + d) % D``, delivered at the end of
  step ``i + d``, i.e. exactly ``d * dt`` after the spike's time stamp (the end of step ``i``).

So the event-driven paths and the dense path agree bit for bit (XLA CPU's vector-matrix
product accumulates over the presynaptic index in order; checked by the tests).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..engine._record import compact
from . import _ffi


class Synapses(eqx.Module):
    """The device-side synapses of one projection (built by ``Network``)."""

    indptr: jax.Array | None  # int32 (n_pre + 1,)
    indices: jax.Array | None  # int32 (nnz,)
    weights: jax.Array  # (nnz,) or () for a homogeneous weight
    delays: jax.Array | None  # int32 (nnz,) steps, or None for a homogeneous delay
    dense: jax.Array | None  # (n_pre, n_post) or (n_delay_rows, n_pre, n_post)
    n_pre: int = eqx.field(static=True)
    n_post: int = eqx.field(static=True)
    delay: int = eqx.field(static=True)  # homogeneous delay (steps), or the largest delay
    max_degree: int = eqx.field(static=True)
    mode: str = eqx.field(static=True)  # "kernel" | "jax" | "dense"
    nnz: int = eqx.field(static=True, default=0)  # number of synapses

    @property
    def n_rows(self) -> int:
        """Rows of the per-step contribution: 1 for a homogeneous delay, else max delay + 1."""
        return 1 if self.delays is None else self.delay + 1


def make_synapses(csr, weight, delays_steps, mode: str, dtype) -> Synapses:
    """``weight``: scalar or (nnz,) array; ``delays_steps``: int or (nnz,) int array."""
    homogeneous_d = np.ndim(delays_steps) == 0
    max_d = int(delays_steps) if homogeneous_d else int(np.max(delays_steps, initial=0))
    degree = int(csr.out_degree.max(initial=0))
    w = jnp.asarray(weight, dtype)
    if mode == "dense":
        values = np.broadcast_to(np.asarray(weight, dtype), (csr.nnz,))
        if homogeneous_d:
            dense = csr.to_dense(values).astype(dtype)
        else:
            dense = np.zeros((max_d + 1, csr.n_pre, csr.n_post), dtype)
            dense[np.asarray(delays_steps, np.int64), csr.rows(), csr.indices] = values
        return Synapses(None, None, w, None if homogeneous_d else jnp.zeros((0,), jnp.int32), jnp.asarray(dense),
                        csr.n_pre, csr.n_post, max_d, degree, mode, csr.nnz)
    return Synapses(
        jnp.asarray(csr.indptr, jnp.int32),
        jnp.asarray(csr.indices, jnp.int32),
        w,
        None if homogeneous_d else jnp.asarray(delays_steps, jnp.int32),
        None,
        csr.n_pre,
        csr.n_post,
        max_d,
        degree,
        mode,
        csr.nnz,
    )


#: Synaptic events one pass of the pure-JAX event loop gathers on an accelerator. Every
#: further pass costs a device-to-host round trip, so a pass is sized to cover a typical
#: step; on CPU passes are cheap and small ones waste less work.
EVENTS_PER_PASS = {"cpu": 64 * 128, "accelerator": 2**18}


def spikes_per_pass(syn: Synapses) -> int:
    budget = EVENTS_PER_PASS["cpu" if jax.default_backend() == "cpu" else "accelerator"]
    return int(max(1, min(syn.n_pre, budget // max(syn.max_degree, 1))))


def _event_passes(syn: Synapses, spikes, dtype, efficacy=None):
    """One projection's pure-JAX event path as passes: ``(temp, one_pass, n_passes)``.

    ``one_pass(c, temp)`` adds the synapses of the spiking neurons in slots
    ``[c * chunk, (c + 1) * chunk)`` of the compacted spike list. Slots past this step's
    spike count hold the padding row ``n_pre``, which has no synapses (the list is
    ``2 n_pre`` long and ``chunk <= n_pre``, so even a slice clamped at its end reads only
    padding): passes beyond a projection's own count add nothing, and can run in a loop
    shared with other projections.
    """
    size = syn.n_rows * syn.n_post
    temp = jnp.zeros((size,), dtype)
    if syn.max_degree == 0:
        return temp, lambda c, t: t, jnp.int32(0)
    chunk = spikes_per_pass(syn)
    count = jnp.sum(spikes, dtype=jnp.int32)
    idx = compact(spikes, 2 * syn.n_pre, syn.n_pre)  # one size for every projection from a population: computed once
    indptr = jnp.concatenate([syn.indptr, syn.indptr[-1:]])  # padding row n_pre has no synapses
    lanes = jnp.arange(syn.max_degree, dtype=jnp.int32)
    homogeneous_w = syn.weights.ndim == 0

    def one_pass(c, temp):
        pre = jax.lax.dynamic_slice(idx, (c * chunk,), (chunk,))
        start = indptr[pre]
        deg = indptr[pre + 1] - start
        valid = lanes[None, :] < deg[:, None]
        pos = jnp.where(valid, start[:, None] + lanes[None, :], 0)
        target = syn.indices[pos]
        if syn.delays is not None:
            target = target + syn.delays[pos] * syn.n_post
        target = jnp.where(valid, target, size)  # out of range: dropped
        w = jnp.broadcast_to(syn.weights, pos.shape) if homogeneous_w else syn.weights[pos]
        if efficacy is not None:
            w = w * efficacy[jnp.minimum(pre, syn.n_pre - 1)][:, None]
        return temp.at[target.ravel()].add(w.astype(dtype).ravel(), mode="drop")

    return one_pass(0, temp), one_pass, (count + chunk - 1) // chunk


def event_contributions(projections, dtype) -> list:
    """Per-step contributions ``(n_rows * n_post,)`` of several projections, pure JAX,
    event-driven (cost ~ spikes x max out-degree + O(N)). ``projections``: (synapses,
    spikes) or (synapses, spikes, efficacy per presynaptic neuron).

    The spiking neurons are compacted and handled ``spikes_per_pass`` at a time; each
    projection's first pass always runs, further passes (rare: a step with more spikes
    than one pass covers) share one loop, whose trip count is one device-to-host round
    trip per step on an accelerator, however many projections there are.
    """
    if not projections:
        return []
    temps, passes, counts = zip(*[_event_passes(*p[:2], dtype, *p[2:]) for p in projections])

    def body(c, ts):
        return tuple(one_pass(c, t) for one_pass, t in zip(passes, ts))

    n_passes = counts[0] if len(counts) == 1 else jnp.max(jnp.stack(counts))
    return list(jax.lax.fori_loop(1, n_passes, body, tuple(temps)))


def _contribution_dense(syn: Synapses, spikes, dtype):
    s = spikes.astype(dtype)
    if syn.dense.ndim == 2:
        return s @ syn.dense.astype(dtype)
    return jnp.einsum("k,dkn->dn", s, syn.dense.astype(dtype)).ravel()


def propagate(syn: Synapses, spikes, buffer, step, contribution=None):
    """Schedule this step's ``spikes`` (bool (n_pre,)) into ``buffer`` (D, n_post) at step index ``step``.

    A delay-free projection passes its target variable as a one-row buffer: the events
    are then added to it directly (in place on the kernel path). ``contribution``: the
    pure-JAX path's per-step sum, when already computed (``event_contributions``).
    """
    D = buffer.shape[0]
    dtype = buffer.dtype
    if syn.mode == "kernel":
        return propagate_together(spikes, [(syn, buffer)], step)[0]
    if contribution is not None:
        temp = contribution.astype(dtype)
    elif syn.mode == "dense":
        temp = _contribution_dense(syn, spikes, dtype)
    else:
        temp = event_contributions([(syn, spikes)], dtype)[0]
    temp = temp.reshape(syn.n_rows, syn.n_post)
    if D == 1:
        return buffer + temp
    base = step + 1 + (syn.delay if syn.delays is None else 0)
    rows = (base + jnp.arange(syn.n_rows)) % D
    return buffer.at[rows].add(temp)


def propagate_together(spikes, projections, step) -> list:
    """The C++ kernel path of several projections from one population in one call (one
    scan of the spikes): ``projections`` are ``(synapses, buffer (D, n_post))`` with
    distinct buffers; returns the updated buffers."""
    flat = _ffi.propagate(spikes, [
        (syn.indptr, syn.indices, syn.weights, syn.delays, buf.reshape(-1),
         ((step + 1) % buf.shape[0]).astype(jnp.int32), syn.n_post, syn.delay)
        for syn, buf in projections
    ])
    return [f.reshape(buf.shape) for f, (_, buf) in zip(flat, projections)]
