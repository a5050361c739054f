"""COBA and CUBA against Brian2 2.9 (independent simulator), same parameters, averaged over seeds.

References: Vogels & Abbott (2005) J Neurosci 25:10786; Brette et al. (2007)
J Comput Neurosci 23:349 (benchmarks 1 and 2); the COBA variant is the one of BrainPy's
simulator comparison (Wang et al. 2023, eLife 12:e86365), for which Brian2 gives ~21 Hz.
"""

import jax
import numpy as np
import pytest

import neurodyn as nd

from _network_refs import brian2_network, statistics

pytest.importorskip("brian2")

N, DURATION, T0, SEEDS = 4000, 500.0, 100.0, (0, 1)


def _ours(kind, seed):
    net, inputs = getattr(nd.examples, kind)(N, seed=seed)
    res = nd.simulate(net, DURATION, net.dt, inputs=inputs, progress=False, key=jax.random.key(seed))
    s = res["E"].spikes
    return statistics(s.times, s.indices, net.sizes["E"], T0, DURATION)


def _brian2(kind, seed):
    t, i, ne = brian2_network(kind, N, DURATION, seed)
    return statistics(t[i < ne], i[i < ne], ne, T0, DURATION)


@pytest.mark.parametrize("kind", ["coba", "cuba"])
def test_rates_and_irregularity_match_brian2(kind):
    ours = np.mean([_ours(kind, s) for s in SEEDS], axis=0)
    theirs = np.mean([_brian2(kind, s) for s in SEEDS], axis=0)
    rate, cv, fano = ours
    assert abs(rate - theirs[0]) < 0.15 * theirs[0], (ours, theirs)
    assert abs(cv - theirs[1]) < 0.2 * theirs[1], (ours, theirs)
    assert fano < 3 * theirs[2] and fano < 20, (ours, theirs)  # no synchrony beyond Brian2's
    if kind == "coba":  # asynchronous irregular: ~21 Hz, CV of ISIs near 1
        assert 17.0 < rate < 25.0 and 0.8 < cv < 1.8
