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


#: Synaptic events one pass of the pure-JAX event loop gathers. On an accelerator every
#: further pass costs a device-to-host round trip, so a pass covers a typical step; on CPU
#: a pass costs its gathers (~1.5 ns per event), so a small one that covers a typical
#: step's spikes (1,024 events: 11 neurons of 90 synapses) wastes least.
EVENTS_PER_PASS = {"cpu": 1024, "accelerator": 2**18}


def spikes_per_pass(syn: Synapses) -> int:
    """Spiking neurons per pass: ``EVENTS_PER_PASS`` events' worth, and at least the
    spikes of a typical step (n / 512: 20 Hz at dt = 0.1 ms), so large populations do not
    pay a loop iteration per handful of spikes."""
    budget = EVENTS_PER_PASS["cpu" if jax.default_backend() == "cpu" else "accelerator"]
    return int(max(1, min(syn.n_pre, max(budget // max(syn.max_degree, 1), syn.n_pre // 512))))


def next_spiking(spikes, after, k: int, remaining):
    """The first ``k`` indices ``i > after`` with ``spikes[i]``, increasing, padded with
    ``n = len(spikes)`` past the ``remaining`` spikes; and the last index returned (the
    ``after`` of the next call).

    One ``top_k`` over the mask (ties come out in index order): ~1.3 ns per neuron on XLA
    CPU, 5x less than a prefix-sum compaction of the whole mask. (Only its indices are
    used: reading its values as well makes XLA CPU sort the whole mask, 50x slower.)
    """
    n = spikes.shape[0]
    # the first search (``after`` the int -1) reads the mask itself, so projections from one
    # population share it (XLA merges identical top_k calls on one operand)
    live = spikes if isinstance(after, int) and after < 0 else spikes & (jnp.arange(n, dtype=jnp.int32) > after)
    idx = jax.lax.top_k(live.astype(jnp.float32), k)[1].astype(jnp.int32)
    rows = jnp.where(jnp.arange(k, dtype=jnp.int32) < remaining, idx, n)
    return rows, rows[-1]


#: Spiking neurons found per ``top_k``, as a fraction of the population (1/64: eight times
#: the spikes of a step at 20 Hz and dt = 0.1 ms): passes then take ``chunk`` of them at a
#: time, so a step with many spikes pays one search of the mask, not one per pass (at
#: 51,200 neurons a search costs ~60-80 us on XLA CPU whatever k; at 3,200, 4 us for
#: k = 11 and 10 us for k = 253).
FOUND_FRACTION = 1 / 64


def spiking_rows(spikes, chunk: int):
    """The spiking neurons of ``spikes``, ``chunk`` at a time, for a loop of passes:
    ``(count, start, rows_of)`` with ``rows_of(c, state) -> (rows (chunk,), state)`` for
    pass ``c`` (rows past the count are the padding index ``n``)."""
    n = spikes.shape[0]
    m = max(1, min(n // chunk, int(n * FOUND_FRACTION) // chunk, 1024 // chunk))  # passes per search
    count = jnp.sum(spikes, dtype=jnp.int32)

    def search(c, after):
        return next_spiking(spikes, after, m * chunk, count - c * chunk)

    def rows_of(c, state):
        if isinstance(c, int):  # the first pass: always a search
            found, after = search(c, -1)
        else:
            found, after = jax.lax.cond(c % m == 0, search, lambda c, after: state, c, state[1])
        return jax.lax.dynamic_slice(found, ((c % m) * chunk,), (chunk,)), (found, after)

    return count, (jnp.full((m * chunk,), n, jnp.int32), jnp.int32(-1)), rows_of


def _event_passes(syn: Synapses, spikes, dtype, efficacy=None, on_pre=None, weight_of=None, chunk=None):
    """One projection's pure-JAX event path as passes: ``(carry, one_pass, n_passes)``.

    ``one_pass(c, (temp, rows state, weights))`` adds the synapses of the spiking neurons
    of pass ``c`` (``spiking_rows``). Once a step's spikes are used up the rows are
    the padding row ``n_pre``, which has no synapses: passes beyond a projection's own
    count add nothing, and can run in a loop shared with other projections.
    ``on_pre(w, synapse ids, rows)`` (plasticity): the new weights of the synapses just
    delivered (with their old weights); read and written in the same pass, so the weights
    are never copied. With plasticity ``syn.weights`` may be a per-synapse state (a PyTree
    of ``(nnz,)`` arrays) whose ``weight_of`` is delivered.
    """
    if spikes.dtype != jnp.bool_:  # surrogate spikes: their values (1.0) scale the weights, for the gradient
        efficacy = spikes if efficacy is None else efficacy * spikes
        spikes = spikes != 0
    size = syn.n_rows * syn.n_post
    temp = jnp.zeros((size,), dtype)
    chunk = spikes_per_pass(syn) if chunk is None else chunk
    count, rows_state, rows_of = spiking_rows(spikes, chunk)
    if syn.max_degree == 0:
        return (temp, rows_state, syn.weights), lambda c, carry: carry, jnp.int32(0)
    indptr = jnp.concatenate([syn.indptr, syn.indptr[-1:]])  # padding row n_pre has no synapses
    lanes = jnp.arange(syn.max_degree, dtype=jnp.int32)
    homogeneous_w = isinstance(syn.weights, jax.Array) and syn.weights.ndim == 0

    def one_pass(c, carry):
        temp, rows_state, weights = carry
        pre, rows_state = rows_of(c, rows_state)
        start = indptr[pre]
        deg = indptr[pre + 1] - start
        valid = lanes[None, :] < deg[:, None]
        pos = jnp.where(valid, start[:, None] + lanes[None, :], 0)
        target = syn.indices[pos]
        if syn.delays is not None:
            target = target + syn.delays[pos] * syn.n_post
        target = jnp.where(valid, target, size)  # out of range: dropped
        old = jnp.broadcast_to(weights, pos.shape) if homogeneous_w else jax.tree.map(lambda a: a[pos], weights)
        w = old if weight_of is None else weight_of(old)
        w = w if efficacy is None else w * efficacy[jnp.minimum(pre, syn.n_pre - 1)][:, None]
        temp = temp.at[target.ravel()].add(w.astype(dtype).ravel(), mode="drop")
        if on_pre is not None:
            slot = jnp.where(valid, pos, syn.nnz)
            weights = jax.tree.map(lambda a, b: a.at[slot].set(b.astype(a.dtype), mode="drop"), weights, on_pre(old, pos, pre))
        return temp, rows_state, weights

    return one_pass(0, (temp, rows_state, syn.weights)), one_pass, (count + chunk - 1) // chunk


def event_contributions(projections, dtype) -> list:
    """Per-step contributions ``(n_rows * n_post,)`` of several projections, pure JAX,
    event-driven (cost ~ spikes x max out-degree + O(N)). ``projections``: (synapses,
    spikes) or (synapses, spikes, efficacy per presynaptic neuron, on_pre, weight_of); returns
    ``(contribution, weights)`` per projection (weights changed by ``on_pre``).

    The spiking neurons are taken ``spikes_per_pass`` at a time (``next_spiking``); each
    projection's first pass always runs, further passes (a step with more spikes than one
    pass covers) share one loop, whose trip count is one device-to-host round trip per
    step on an accelerator, however many projections there are.
    """
    if not projections:
        return []
    # one pass size per presynaptic population: their first passes find the same spiking
    # neurons, and XLA computes that once
    chunk = {}
    for syn, spikes, *_ in projections:
        chunk[id(spikes)] = min(chunk.get(id(spikes), syn.n_pre), spikes_per_pass(syn))
    carries, passes, counts = zip(*[
        _event_passes(syn, spikes, dtype, *(list(extra) + [None, None, None])[:3], chunk=chunk[id(spikes)])
        for syn, spikes, *extra in projections
    ])

    def body(c, cs):
        return tuple(one_pass(c, carry) for one_pass, carry in zip(passes, cs))

    n_passes = counts[0] if len(counts) == 1 else jnp.max(jnp.stack(counts))
    return [(temp, weights) for temp, _, weights in jax.lax.fori_loop(1, n_passes, body, tuple(carries))]


def _contribution_dense(syn: Synapses, spikes, dtype):
    s = spikes.astype(dtype)  # surrogate spikes carry their gradient into the product
    if syn.dense.ndim == 2:
        return s @ syn.dense.astype(dtype)
    return jnp.einsum("k,dkn->dn", s, syn.dense.astype(dtype)).ravel()


def propagate(syn: Synapses, spikes, buffer, step, contribution=None):
    """Schedule this step's ``spikes`` (bool (n_pre,), or surrogate spikes: floats 0.0/1.0
    whose derivative reaches the weights' factor) into ``buffer`` (D, n_post) at step index ``step``.

    A delay-free projection passes its target variable as a one-row buffer: the events
    are then added to it directly (in place on the kernel path). ``contribution``: the
    pure-JAX path's per-step sum, when already computed (``event_contributions``).
    """
    D = buffer.shape[0]
    dtype = buffer.dtype
    if syn.mode == "kernel":
        return propagate_together(spikes if spikes.dtype == jnp.bool_ else spikes != 0, [(syn, buffer)], step)[0]
    if contribution is not None:
        temp = contribution.astype(dtype)
    elif syn.mode == "dense":
        temp = _contribution_dense(syn, spikes, dtype)
    else:
        temp = event_contributions([(syn, spikes)], dtype)[0][0]
    temp = temp.reshape(syn.n_rows, syn.n_post)
    if D == 1:
        return buffer + temp
    base = step + 1 + (syn.delay if syn.delays is None else 0)
    rows = (base + jnp.arange(syn.n_rows)) % D
    return buffer.at[rows].add(temp)


def propagate_together(spikes, projections, step, stdp=None) -> list:
    """The C++ kernel path of several projections from one population in one call (one
    scan of the spikes): ``projections`` are ``(synapses, buffer (D, n_post))`` with
    distinct buffers; returns the updated buffers. ``stdp``: see ``_ffi.propagate``
    (then returns ``(buffers, states)``)."""
    out = _ffi.propagate(spikes, [
        (syn.indptr, syn.indices, syn.weights, syn.delays, buf.reshape(-1),
         ((step + 1) % buf.shape[0]).astype(jnp.int32), syn.n_post, syn.delay)
        for syn, buf in projections
    ], stdp)
    flat, states = out if stdp is not None else (out, None)
    buffers = [f.reshape(buf.shape) for f, (_, buf) in zip(flat, projections)]
    return buffers if stdp is None else (buffers, states)
