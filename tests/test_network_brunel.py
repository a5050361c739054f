"""Brunel (2000, J Comput Neurosci 8:183) presets land in their regimes (Fig. 8 points:
SR g=3, nu_ext/nu_thr=2; AI g=5, 2; SI fast g=6, 4; SI slow g=4.5, 0.9), classified from
the population-rate spectrum and the CV of inter-spike intervals.

Scaled to N_E = 4,000 (C_E = 400) to keep the test short, with J = 0.2 mV so that J C_E
stays near the paper's 100 mV, analysed over 900 ms (the paper's own network, J = 0.1 mV
at N_E = 10,000, is tested through the bundled configs in test_configs_bundled.py). The
classifier's thresholds were set on seeds 0-3 (see ``neurodyn.examples.classify_brunel``);
the test runs seed 7.
"""

import jax
import pytest

import neurodyn as nd

N_E, DURATION, T0, SEED = 4000, 1000.0, 100.0, 7


@pytest.mark.parametrize("regime", ["SR", "AI", "SI_fast", "SI_slow"])
def test_brunel_preset_lands_in_its_regime(regime):
    net, inputs = nd.examples.brunel(regime, n_e=N_E, J=0.2, seed=SEED)
    res = nd.simulate(net, DURATION, net.dt, inputs=inputs, key=jax.random.key(SEED), progress=False)
    s = res["E"].spikes
    label, stats = nd.examples.classify_brunel(s.times, s.indices, N_E, T0, DURATION)
    assert label == regime, stats
    if regime == "SR":
        assert stats["rate"] > 100.0  # near-saturated, regular firing
    if regime == "SI_slow":
        assert stats["rate"] < 20.0 and stats["f_peak"] < 60.0  # low rates, slow global oscillation


def test_brunel_connectivity_is_fixed_indegree():
    net, _ = nd.examples.brunel("AI", n_e=400, epsilon=0.1, propagation="jax")  # synapse lists on every platform
    import numpy as np

    for syn, (pre, post, _t) in zip(net.synapses, net.routes):
        counts = np.bincount(np.asarray(syn.indices), minlength=net.sizes[post])
        assert np.all(counts == (40 if pre == "E" else 10))
        assert syn.delay == 15  # 1.5 ms at dt = 0.1 ms
