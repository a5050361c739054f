"""Spike packing on the device and event decoding on the host, against np.nonzero."""

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodyn.engine._record import pack, packed_width, unpack_events


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
