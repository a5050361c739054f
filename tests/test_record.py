"""Spike packing on the device and event decoding (on the host, and on the device as on GPUs),
against np.nonzero."""

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodyn.engine._record import compact, pack, packed_width, unpack_events, unpack_events_on_device


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.integers(1, 12), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1), st.integers(0, 1000))
def test_pack_then_decode_recovers_every_spike_in_order(n, steps, p, seed, first_step):
    spikes = np.random.default_rng(seed).random((steps, n)) < p
    packed = np.stack([np.asarray(pack(jnp.asarray(row))) for row in spikes])
    assert packed.shape == (steps, packed_width(n))
    times, indices = unpack_events(packed, first_step, 0.25)
    step, neuron = np.nonzero(spikes)
    np.testing.assert_array_equal(indices, neuron)
    np.testing.assert_allclose(times, (first_step + step + 1) * 0.25)
    assert indices.dtype == np.int32 and times.dtype == np.float64


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 40), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1), st.integers(0, 1000))
def test_decoding_on_the_device_gives_the_host_decoding(n, steps, p, seed, first_step):
    spikes = np.random.default_rng(seed).random((steps, n)) < p
    packed = jnp.stack([pack(jnp.asarray(row)) for row in spikes])
    host = unpack_events(np.asarray(packed), first_step, 0.1)
    device = unpack_events_on_device(packed, first_step, 0.1)
    for a, b in zip(host, device):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 500), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1), st.integers(0, 20))
def test_compact_lists_the_true_entries_in_order_then_the_fill(n, p, seed, extra):
    mask = np.random.default_rng(seed).random(n) < p
    out = np.asarray(compact(jnp.asarray(mask), n + extra, -7))
    (idx,) = np.nonzero(mask)
    np.testing.assert_array_equal(out[: idx.size], idx)
    assert np.all(out[idx.size:] == -7)
