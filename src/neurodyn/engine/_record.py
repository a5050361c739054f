"""What to record, and the bit-packed spike buffers."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Spikes(NamedTuple):
    """Spike events of one population: ``times`` (ms, float64), ``indices`` (int32), ``n`` neurons."""

    times: np.ndarray
    indices: np.ndarray
    n: int


def parse_record(record, default_traces, spiking) -> tuple[dict[str, tuple | None], bool]:
    """Normalise ``record`` to ({variable: neuron indices or None}, record_spikes).

    Accepted: None (spikes if the model spikes, else every continuous variable), a
    name, a list of names, or a dict name -> neuron indices (None = all neurons).
    """
    if record is None:
        return ({} if spiking else {k: None for k in default_traces}), spiking
    if isinstance(record, str):
        record = [record]
    if isinstance(record, dict):
        items = list(record.items())
    elif isinstance(record, (list, tuple)):
        items = [(name, None) for name in record]
    else:
        raise TypeError(f"record must be a name, a list of names or a dict name -> neurons, got {type(record).__name__}")
    traces, spikes = {}, False
    for name, neurons in items:
        if not isinstance(name, str):
            raise TypeError(f"record: variable names must be strings, got {name!r}")
        if name == "spikes":
            spikes = True
            continue
        if neurons is not None:
            idx = np.asarray(neurons).ravel()
            if idx.dtype == bool:
                idx = np.flatnonzero(idx)
            if not np.issubdtype(idx.dtype, np.integer):
                raise TypeError(f"record: neurons of {name!r} must be integer indices, got dtype {idx.dtype}")
            neurons = tuple(int(i) for i in idx)
        traces[name] = neurons
    if spikes and not spiking:
        raise ValueError("record: 'spikes' requested but the model emits no spikes")
    return traces, spikes


def select(value, neurons):
    """The recorded part of a state variable (all neurons, or an index subset along the last axis)."""
    value = jnp.asarray(value)
    if neurons is None:
        return value
    return value[..., np.asarray(neurons, dtype=np.int32)]


def check_neurons(name, neurons, shape):
    if neurons is None:
        return
    size = shape[-1] if shape else 1
    bad = [i for i in neurons if not -size <= i < size]
    if bad:
        raise ValueError(f"record: neuron index {bad[0]} of {name!r} out of range for {size} neurons")


def packed_width(n: int) -> int:
    """Bytes per step of a packed spike vector, padded to whole 64-bit words."""
    return 8 * ((n + 63) // 64)


def pack(spiked):
    """Boolean (n,) -> uint8 (packed_width(n),), little bit order (surrogate spikes: nonzero)."""
    if spiked.dtype != jnp.bool_:
        spiked = spiked != 0
    n = spiked.shape[-1]
    pad = packed_width(n) * 8 - n
    bits = jnp.pad(spiked, (0, pad)) if pad else spiked
    return jnp.packbits(bits, bitorder="little")


def unpack_events(words: np.ndarray, first_step: int, dt: float, t_start: float = 0.0):
    """Packed spikes of consecutive steps (steps, bytes) -> (times, indices), ordered by time then neuron.

    A spike produced by step ``k`` (the update from t_k to t_k + dt) is stamped
    ``t_start + (k + 1) * dt``: the first grid time at which the threshold was reached.
    Decoding peels the lowest set bit off every non-zero 64-bit word per pass (words
    rarely hold more than a few spikes) and writes each at its place given by popcounts.
    """
    wide = np.ascontiguousarray(words).view(np.uint64)
    n_words = wide.shape[1]
    flat = wide.ravel()
    position = np.flatnonzero(flat)
    values = flat[position]
    counts = np.bitwise_count(values).astype(np.int64)
    offsets = np.cumsum(counts) - counts
    key = np.empty(int(counts.sum()), np.int64)  # position * 64 + bit, increasing
    rank = 0
    while values.size:
        lowest = values & (~values + np.uint64(1))
        bit = np.log2(lowest.astype(np.float64)).astype(np.int64)  # exact for powers of two
        key[offsets + rank] = position * 64 + bit
        values = values ^ lowest
        keep = values != 0
        values, position, offsets = values[keep], position[keep], offsets[keep]
        rank += 1
    step, index = np.divmod(key, n_words * 64)
    times = t_start + (first_step + step + 1) * dt
    return times.astype(np.float64), index.astype(np.int32)


def compact(mask, size: int, fill: int):
    """Indices of the true entries of a 1-D ``mask``, increasing, padded with ``fill`` to ``size``.

    One prefix sum and one scatter whose targets are distinct (``jnp.nonzero`` histograms
    the prefix sum instead: a scatter-add whose targets collide, slow on GPUs).
    """
    n = mask.shape[0]
    lane = jnp.arange(n, dtype=jnp.int32)
    slot = jnp.where(mask, jnp.cumsum(mask, dtype=jnp.int32) - 1, size + lane)  # misses: distinct, out of range
    return jnp.full((size,), fill, jnp.int32).at[slot].set(lane, mode="drop", unique_indices=True)


def _words(packed):
    """uint8 (steps, bytes) -> uint32 (steps, bytes / 4): bit b of word w is neuron 32 w + b."""
    steps, width = packed.shape
    return jax.lax.bitcast_convert_type(packed.reshape(steps, width // 4, 4), jnp.uint32)


@jax.jit
def _event_counts(packed):
    words = _words(packed)
    return jnp.stack([jnp.count_nonzero(words), jnp.sum(jax.lax.population_count(words), dtype=jnp.int32)])


@partial(jax.jit, static_argnums=(1, 2))
def _decode(packed, n_words: int, n_spikes: int):
    words = _words(packed)
    flat = words.ravel()
    where = compact(flat != 0, n_words, flat.size)
    word = flat.at[where].get(mode="fill", fill_value=0)
    bits = (word[:, None] >> jnp.arange(32, dtype=jnp.uint32)) & 1
    key = compact(bits.ravel() != 0, n_spikes, 0)
    position = where[key // 32]
    return position // words.shape[1], (position % words.shape[1]) * 32 + key % 32


def _bucket(n: int) -> int:
    return max(1024, 1 << (int(n) - 1).bit_length())


def unpack_events_on_device(packed, first_step: int, dt: float, t_start: float = 0.0):
    """:func:`unpack_events` for buffers on an accelerator: decoded where they are, so that
    only the events cross to the host. Same result, same order."""
    n_words, n_spikes = (int(x) for x in np.asarray(_event_counts(packed)))
    if n_spikes == 0:
        return np.zeros(0), np.zeros(0, np.int32)
    step, index = _decode(packed, _bucket(n_words), _bucket(n_spikes))  # sizes in powers of two: few compilations
    step, index = np.asarray(step)[:n_spikes], np.asarray(index)[:n_spikes]
    return t_start + (first_step + step.astype(np.int64) + 1) * dt, index.astype(np.int32)
