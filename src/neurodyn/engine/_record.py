"""What to record, and the bit-packed spike buffers."""

from __future__ import annotations

from typing import NamedTuple

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
    """Boolean (n,) -> uint8 (packed_width(n),), little bit order."""
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
