"""Neuron models: published firing patterns, excitability classes, rebound, plateaus, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.analysis import classify_firing_pattern

DURATION = 1000.0


def _trains(res, n):
    s = res.spikes
    return [s.times[s.indices == j] for j in range(n)]


def test_adex_presets_show_naud_patterns():
    """Naud, Marcille, Clopath & Gerstner (2008) Biol Cybern 99:335, Fig. 4 / Table 1: each
    parameter set's step response is classified as the pattern it was published for."""
    names = list(nd.neurons.AdEx.presets)
    keys = ["C_m", "g_L", "E_L", "a", "tau_w", "b", "V_reset"]
    p = {k: jnp.array([nd.neurons.AdEx.presets[nm][k] for nm in names]) for k in keys}
    I = jnp.array([nd.neurons.AdEx.preset_current(nm) for nm in names])
    model = nd.neurons.AdEx.preset("tonic", n=len(names)).replace(**p, I_e=I)
    trains = _trains(nd.simulate(model, DURATION, 0.1, progress=False), len(names))
    got = {nm: classify_firing_pattern(t, 0.0, DURATION) for nm, t in zip(names, trains)}
    assert got == {nm: nm for nm in names}


def test_izhikevich_presets_show_published_classes():
    """Izhikevich (2003) Fig. 2: RS adapts, IB fires an initial burst, CH bursts regularly,
    FS and TC (depolarised) fire tonically, LTS adapts."""
    pr = nd.neurons.Izhikevich.presets
    names = list(pr)
    p = {k: jnp.array([pr[nm][k] for nm in names]) for k in "abcd"}
    I = jnp.array([pr[nm]["I"] for nm in names])
    model = nd.neurons.Izhikevich(n=len(names), **p, I_e=I)
    trains = _trains(nd.simulate(model, DURATION, 0.1, progress=False), len(names))
    got = {nm: classify_firing_pattern(t, 0.0, DURATION) for nm, t in zip(names, trains)}
    assert got == {nm: pr[nm]["pattern"] for nm in names}


def test_thalamocortical_rebound_burst():
    """Izhikevich (2003) Fig. 2, TC: silent while hyperpolarised, a burst on release."""
    tc = nd.neurons.Izhikevich.preset("TC", n=1)
    res = nd.simulate(tc, 400.0, 0.1, inputs=nd.inputs.steps([0.0, 200.0], [-10.0, 0.0]), progress=False)
    t = res.spikes.times
    assert np.all(t > 200.0)
    assert np.sum((t > 200.0) & (t < 260.0)) >= 2
    assert np.all(np.diff(t[:2]) < 10.0)  # a burst: high-frequency spikes
    quiet = nd.simulate(tc, 400.0, 0.1, progress=False)  # at rest without the hyperpolarisation: nothing
    assert quiet.spikes.times.size == 0


def test_hodgkin_huxley_type_II():
    """Hodgkin & Huxley (1952) squid axon: no repetitive firing below rheobase, a jump to
    tens of Hz above it (type II), spikes peaking near +40 mV from rest at -65 mV."""
    currents = jnp.array([300.0, 550.0, 650.0, 800.0])
    rates = nd.analysis.fi_curve(nd.neurons.HodgkinHuxley(n=1), currents, 300.0, 0.01)
    assert rates[0] * 0.3 <= 1 and rates[1] * 0.3 <= 2  # at most an onset spike (or two)
    assert rates[2] > 40.0 and rates[3] > rates[2]  # repetitive firing starts at ~50 Hz
    res = nd.simulate(nd.neurons.HodgkinHuxley(n=1, I_e=800.0), 50.0, 0.01, record=["V_m"], progress=False)
    V = np.asarray(res.traces["V_m"][:, 0])
    assert V[0] == pytest.approx(-65.0, abs=0.5)
    assert 30.0 < V.max() < 50.0


def test_wang_buzsaki_type_I():
    """Wang & Buzsaki (1996): the f-I curve starts near zero frequency (type I)."""
    model = nd.neurons.WangBuzsaki(n=1)
    I0 = nd.analysis.rheobase(model, 0.0, 50.0, 500.0, 0.05, tol=0.5)
    rates = nd.analysis.fi_curve(model, jnp.array([I0 - 1.0, I0 + 1.0, I0 + 20.0]), 1000.0, 0.05)
    assert rates[0] == 0.0
    assert 0 < rates[1] < 15.0
    assert rates[2] > 3 * rates[1]


def test_dendritic_plateau_is_regenerative():
    """A burst of dendritic NMDA input produces a plateau of tens of ms; half the input gives
    only a small response (the Mg-block nonlinearity), and without the block no plateau."""
    def response(cell, k):
        burst = nd.inputs.pulses(amplitude=5.0 / 0.1, start=20.0, width=0.1, period=2.0, count=k)  # k events of 5 nS
        res = nd.simulate(cell, 200.0, 0.1, inputs={"I": nd.inputs.constant(0.0), "nmda": burst},
                          record=["V_d"], progress=False)
        return np.asarray(res.traces["V_d"][:, 0])

    cell = nd.neurons.TwoCompartment(n=1)
    big, small = response(cell, 8), response(cell, 4)
    plateau = np.sum(big > -40.0) * 0.1
    assert plateau > 30.0
    assert np.sum(small > -40.0) * 0.1 < 0.2 * plateau
    unblocked = cell.replace(parts=(nd.neurons.nmda_channel(mg=0.0),))
    assert np.sum(response(unblocked, 4) > -40.0) > 0  # the channel itself is strong enough; the block gates it


def test_custom_neuron_equals_builtin_lif(x64):
    """A user-defined LIF runs on the same engine and reproduces nd.neurons.LIF exactly."""
    I = jnp.array([400.0, 500.0, 700.0])
    lif = nd.neurons.LIF(n=3, I_e=I, t_ref=2.0)
    custom = nd.neurons.Custom(
        n=3, init={"V": -70.0},
        vector_field=lambda t, v, I: {"V": (-70.0 - v["V"]) / 10.0 + I / 250.0},
        threshold=lambda v: v["V"] >= -55.0, reset=lambda v: {"V": jnp.full_like(v["V"], -70.0)},
        I_e=I, t_ref=2.0, solver=nd.ExponentialEuler())
    a = nd.simulate(lif, 300.0, 0.1, progress=False).spikes
    b = nd.simulate(custom, 300.0, 0.1, progress=False).spikes
    # the custom dead time does not clamp V, so compare only the first spike of each neuron
    for j in range(3):
        assert b.times[b.indices == j][0] == pytest.approx(a.times[a.indices == j][0])


def test_noise_part_gives_ou_variance(x64):
    """Noise part on a leaky membrane: stationary std of V is sigma/C * sqrt(tau_m/2)."""
    sigma, C, gL = 200.0, 250.0, 25.0
    neuron = nd.neurons.AdaptiveLIF(n=4000, C_m=C, g_L=gL, b=0.0, V_th=100.0, V_init=-70.0,
                                    parts=(nd.neurons.Noise(sigma=sigma),))
    res = nd.simulate(neuron, 100.0, 0.05, key=jax.random.key(1), record=["V_m"], record_every=1000,
                      progress=False)
    V = np.asarray(res.traces["V_m"][-1])
    expected = sigma / C * np.sqrt(C / gL / 2)
    assert V.std() == pytest.approx(expected, rel=0.05)
    assert V.mean() == pytest.approx(-70.0, abs=0.1)


def test_adaptation_part_composes_with_any_neuron(x64):
    """Two adaptation currents (built-in w and an attached slow one) both act: the rate
    falls below the single-current rate, and w_slow follows its own recursion."""
    base = nd.neurons.AdEx.preset("tonic", n=1, I_e=500.0)
    slow = nd.neurons.Adaptation(a=0.0, b=10.0, tau_w=1000.0, name="w_slow")
    r1 = nd.simulate(base, 500.0, 0.1, progress=False).rates()[0]
    res = nd.simulate(base.replace(parts=(slow,)), 500.0, 0.1, record=["spikes", "w_slow"], progress=False)
    assert res.rates()[0] < r1
    # w_slow is a sum of decaying jumps of b at the spike times
    t_end = 500.0
    expected = np.sum(10.0 * np.exp(-(t_end - res.spikes.times) / 1000.0))
    assert float(res.traces["w_slow"][-1, 0]) == pytest.approx(expected, rel=2e-2)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: nd.neurons.AdEx(n=1, C_m=-1.0), "C_m must be > 0 pF, got -1.0"),
        (lambda: nd.neurons.AdaptiveLIF(n=1, V_reset=-40.0, V_th=-50.0), "V_reset must be below V_th"),
        (lambda: nd.neurons.Izhikevich(n=1, c=40.0), "c must be below V_peak"),
        (lambda: nd.neurons.AdEx.preset("chattering"), "preset must be one of 'tonic'"),
        (lambda: nd.neurons.Izhikevich.preset("XY"), "preset must be one of 'RS'"),
        (lambda: nd.neurons.HodgkinHuxley(n=1, C_m=0.0), "C_m must be > 0 pF, got 0.0"),
        (lambda: nd.neurons.AdaptiveLIF(n=1, tau_w=-5.0), "tau_w must be > 0 ms, got -5.0"),
        (lambda: nd.neurons.AdEx(n=2, I_e=[1.0, 2.0, 3.0]), "I_e must be a scalar or have shape (2,)"),
        (lambda: nd.neurons.TwoCompartment(n=1, C_d=-3.0), "C_d must be > 0 pF, got -3.0"),
        (lambda: nd.synapses.DiffExp(tau_rise=5.0, tau_decay=2.0), "tau_rise must be below tau_decay"),
        (lambda: nd.synapses.ConductanceSynapse(nd.synapses.Delta()), "must have a time course"),
        (lambda: nd.neurons.AdEx(n=1, parts=(nd.neurons.Noise(target="V_d"),)), "target must be one of V_m"),
    ],
)
def test_bad_parameters_raise_one_clear_error(build, message):
    with pytest.raises((ValueError, TypeError)) as err:
        build()
    assert message in str(err.value)
    assert "\n" not in str(err.value)
