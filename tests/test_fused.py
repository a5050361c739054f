"""The fused C++ step of LIF neurons with exponential synapses against the generic solver path."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import _native
from neurodyn.connectivity import _fused
from neurodyn.engine._solvers import Euler, ExponentialEuler
from neurodyn.neurons import IFState
from neurodyn.synapses import Alpha, ConductanceSynapse, CurrentSynapse, Delta, Exponential

pytestmark = [pytest.mark.skipif(not _native.available("population"), reason="no C++ compiler"),
              pytest.mark.usefixtures("on_cpu")]

DT = 0.1


CHANNELS = (ConductanceSynapse(Exponential(tau=5.0), E_rev=0.0, name="exc"),
            CurrentSynapse(Exponential(tau=3.0), name="cur"),  # the kernel takes conductances first
            ConductanceSynapse(Exponential(tau=10.0), E_rev=-80.0, name="inh"),
            CurrentSynapse(Delta(), name="jump"))


def _lif(n, I_e=20.0, **changes):
    return nd.neurons.LIF(n=n, **{**dict(tau_m=20.0, C_m=20.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
                                         I_e=I_e, parts=CHANNELS), **changes})


def _population(n=3000):
    return _lif(n)


def _states(n, seed=0):
    """Membrane potentials across threshold, refractory neurons, and conductances up to 300 nS
    (so that the exponential-Euler exponent a dt reaches beyond the series' range, -1.6)."""
    rng = np.random.default_rng(seed)
    V = rng.uniform(-75.0, -45.0, n).astype(np.float32)
    ref = np.where(rng.random(n) < 0.2, rng.integers(1, 50, n), 0).astype(np.int32)
    g = [rng.exponential(2.0, n), rng.normal(0.0, 50.0, n),
         np.where(rng.random(n) < 0.1, rng.uniform(0, 300, n), rng.exponential(5.0, n))]
    parts = tuple(jnp.asarray(v, jnp.float32) for v in g) + ((),)
    return IFState(jnp.asarray(V), jnp.asarray(ref), parts), jnp.asarray(rng.normal(0, 30, n), jnp.float32)


@pytest.mark.parametrize("drive", ["per neuron", "one value"])
@pytest.mark.parametrize("n", [3000, 20000])  # one thread; chunks shared with XLA's thread pool
def test_one_step_matches_the_generic_path(n, drive):
    pop = _population(n)
    state, I = _states(pop.n)
    if drive == "one value":
        I = jnp.float32(17.5)
    assert _fused.applies(pop, state, ExponentialEuler())
    fast, fired = jax.jit(lambda s, i: _fused._kernel(pop, s, i, DT))(state, I)
    slow, fired_ref = jax.jit(lambda s, i: _fused._generic(pop, s, i, DT))(state, I)
    V, V_ref = np.asarray(fast.V_m), np.asarray(slow.V_m)
    np.testing.assert_allclose(V, V_ref, rtol=0, atol=2e-5)  # mV: a few float32 ulps
    np.testing.assert_array_equal(np.asarray(fast.refractory), np.asarray(slow.refractory))
    np.testing.assert_array_equal(np.asarray(fired), np.asarray(fired_ref))
    assert np.asarray(fired).sum() > 50 and (np.asarray(state.refractory) > 0).sum() > 300
    for c in range(3):
        np.testing.assert_allclose(np.asarray(fast.parts[c]), np.asarray(slow.parts[c]), rtol=1e-6, atol=1e-30)
    assert fast.parts[3] == ()


@pytest.mark.parametrize("drive", ["per neuron", "one value"])
def test_one_vmapped_step_matches_the_generic_path(drive):
    """A batch of 3 x 5,000 neurons: chunks cross the batches, each with its own parameters
    (and, with one drive value per run, its own drive)."""
    pop = _population(5000)
    state, I = _states(pop.n, seed=1)
    currents = jnp.asarray([0.0, 20.0, 60.0], jnp.float32)

    def one(c, path):
        I_e, I_run = (c, I) if drive == "per neuron" else (10.0, c)
        out, fired = path(_lif(5000, I_e), state, I_run, DT)
        return out.V_m, fired

    fast = jax.jit(jax.vmap(lambda c: one(c, _fused._kernel)))(currents)
    slow = jax.jit(jax.vmap(lambda c: one(c, _fused._generic)))(currents)
    np.testing.assert_allclose(np.asarray(fast[0]), np.asarray(slow[0]), rtol=0, atol=2e-5)
    np.testing.assert_array_equal(np.asarray(fast[1]), np.asarray(slow[1]))
    assert len({int(x) for x in np.asarray(fast[1]).sum(axis=1)}) == 3  # the runs differ


def test_many_steps_of_a_coba_network_match_the_generic_path(monkeypatch):
    net, inputs = nd.examples.coba(2000)
    run = lambda: nd.simulate(net, 100.0, DT, inputs=inputs, record=["spikes", "E.V_m", "I.g_inh"], progress=False,  # noqa: E731
                              key=jax.random.key(5))
    fast = run()
    monkeypatch.setattr(_fused, "applies", lambda *a: False)
    jax.clear_caches()
    slow = run()
    assert fast["E"].spikes.times.size > 1000
    for p in ("E", "I"):
        np.testing.assert_allclose(fast[p].rates().mean(), slow[p].rates().mean(), rtol=0.02)
    early = slow.t < 20.0  # before rounding differences can change a spike
    np.testing.assert_allclose(fast.traces["E.V_m"][early], slow.traces["E.V_m"][early], atol=1e-3)


def test_gradients_go_through_the_generic_step():
    pop = _population(50)
    state, I = _states(pop.n, seed=3)

    def final_v(I_e, fused):
        model = _lif(50, I_e)
        s = state
        for _ in range(5):
            s, _ = _fused._fused(model, s, I, DT) if fused else _fused._generic(model, s, I, DT)
        return jnp.sum(s.V_m)

    g_fused = jax.grad(final_v)(jnp.float32(20.0), True)
    g_generic = jax.grad(final_v)(jnp.float32(20.0), False)
    assert np.isfinite(g_fused) and abs(float(g_fused)) > 0
    np.testing.assert_allclose(g_fused, g_generic, rtol=1e-6)


def test_vmapped_sweep_matches_single_runs(monkeypatch):
    used, applies = [], _fused.applies
    monkeypatch.setattr(_fused, "applies", lambda *a: used.append(applies(*a)) or used[-1])

    def rate(I_e):
        return nd.simulate(_lif(200, I_e), 50.0, DT, progress=False).rates().mean()

    currents = jnp.asarray([8.0, 15.0, 25.0], jnp.float32)  # rheobase 10 pA
    swept = np.asarray(jax.vmap(rate)(currents))
    single = np.asarray([rate(c) for c in currents])
    np.testing.assert_allclose(swept, single, rtol=1e-6)
    assert swept[0] == 0 and swept[2] > swept[1] > 0
    assert used and all(used)  # a single population without channel inputs takes the kernel too


def test_the_kernel_applies_only_where_it_is_exact():
    pop = _population(10)
    state, _ = _states(10)
    assert _fused.applies(pop, state, ExponentialEuler())
    assert not _fused.applies(pop, state, Euler())
    assert not _fused.applies(_lif(10, tau_m=jnp.linspace(10.0, 20.0, 10)), state, ExponentialEuler())
    assert not _fused.applies(pop, state, ExponentialEuler(), {"I": 0.0, "exc": 1.0})  # channel inputs: generic
    for other in [(), (ConductanceSynapse(Exponential(5.0), E_rev=0.0, mg=1.0, name="nmda"),),
                  (CurrentSynapse(Alpha(2.0), name="a"),), (nd.neurons.Noise(sigma=1.0),)]:
        model = _lif(10, parts=other)
        assert not _fused.applies(model, model.init_state(), ExponentialEuler())


def test_float64_runs_take_the_generic_path(x64):
    pop = _population(10)
    state = pop.init_state()
    assert state.V_m.dtype == jnp.float64
    assert not _fused.applies(pop, state, ExponentialEuler())
