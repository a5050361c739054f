"""Networks: delays, propagation paths against each other, errors, jit/vmap."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.connectivity import (
    Delta,
    ExpConductance,
    ExpCurrent,
    WithSynapses,
    all_to_all,
    fixed_probability,
    normal,
    uniform,
)

DT = 0.1
MODES = ["event", "jax", "dense"]


def _trigger():
    """One LIF neuron that spikes once, at the end of step 0 (t = 0.1 ms), then never again."""
    return nd.neurons.LIF(n=1, V_init=-50.0, V_th=-55.0, t_ref=2.0)


def _listener(n, tau=5.0):
    return WithSynapses(nd.neurons.LIF(n=n, V_th=1e3), {"exc": ExpCurrent(tau=tau)})


@pytest.mark.parametrize("mode", MODES)
def test_single_spike_arrives_at_spike_time_plus_delay(x64, mode):
    delays = np.array([[0.0, 0.1, 1.0, 2.5, 7.3]])
    weights = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    net = nd.Network(
        {"P": _trigger(), "Q": _listener(5)},
        [nd.Projection("P", "Q", all_to_all(), weight=weights, delay=delays)],
        dt=DT,
        propagation=mode,
    )
    res = nd.simulate(net, 10.0, DT, record=["spikes", "Q.g_exc"], progress=False)
    t_spike = res["P"].spikes.times
    np.testing.assert_allclose(t_spike, [DT])  # stamped at the end of step 0
    g = res.traces["Q.g_exc"]
    decay = np.exp(-DT / 5.0)
    for j, d in enumerate(delays[0]):
        arrival = round((t_spike[0] + d) / DT)  # the record at t_spike + d
        first = np.flatnonzero(g[:, j])[0]
        assert first == arrival, (j, first, arrival)
        np.testing.assert_allclose(g[first, j], weights[0, j], rtol=1e-12)  # the whole weight, not yet decayed
        np.testing.assert_allclose(g[first + 1, j], weights[0, j] * decay, rtol=1e-12)


def test_homogeneous_delay_and_delta_synapse_jump(x64):
    """A Delta synapse moves V_m by the weight exactly `delay` after the spike."""
    post = WithSynapses(nd.neurons.LIF(n=1, V_th=1e3, tau_m=1e9), {"jump": Delta()})
    net = nd.Network({"P": _trigger(), "Q": post}, [nd.Projection("P", "Q", all_to_all(), weight=2.5, delay=1.5, target="jump")])
    res = nd.simulate(net, 5.0, DT, record=["Q.V_m"], progress=False)
    V = res.traces["Q.V_m"][:, 0]
    jump = np.flatnonzero(np.abs(np.diff(V)) > 1.0)
    assert list(jump) == [round((DT + 1.5) / DT) - 1]  # V recorded at t_spike + 1.5 ms has jumped
    np.testing.assert_allclose(V[jump[0] + 1] - V[jump[0]], 2.5, rtol=1e-6)


def _small_coba(mode, seed=3, hetero=True, delay_free=False):
    def pop(m):
        lif = nd.neurons.LIF(n=m, tau_m=20.0, C_m=20.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, I_e=20.0)
        return nd.Population(
            WithSynapses(lif, {"exc": ExpConductance(tau=5.0, E_rev=0.0), "inh": ExpConductance(tau=10.0, E_rev=-80.0)}),
            init={"V_m": normal(-55.0, 5.0)},
        )

    conn = fixed_probability(0.2)
    we = normal(0.6, 0.2, low=0.0) if hetero else 0.6
    wi = normal(6.7, 2.0, low=0.0) if hetero else 6.7
    delay = 0.0 if delay_free else uniform(0.0, 2.0) if hetero else 0.8  # delay-free: events added to g directly
    projections = [
        nd.Projection(pre, post, conn, weight=we if pre == "E" else wi, delay=delay, target="exc" if pre == "E" else "inh")
        for pre in ("E", "I")
        for post in ("E", "I")
    ]
    return nd.Network({"E": pop(80), "I": pop(20)}, projections, dt=DT, seed=seed, propagation=mode)


VARIANTS = {"heterogeneous": dict(hetero=True), "homogeneous": dict(hetero=False), "delay-free": dict(delay_free=True)}


@pytest.mark.parametrize("variant", VARIANTS)
def test_event_kernel_jax_and_dense_agree_bit_for_bit(x64, variant):
    """The C++ kernel, the pure-JAX event path and dense matrices: identical in float64."""
    runs = {}
    for mode in MODES:
        net = _small_coba(mode, **VARIANTS[variant])
        runs[mode] = nd.simulate(net, 300.0, DT, record=["spikes", "E.V_m", "I.g_exc", "E.g_inh"], progress=False,
                                 key=jax.random.key(7))
    ref = runs["dense"]
    assert ref["E"].spikes.times.size > 50  # the network is active
    assert len({_small_coba(m, **VARIANTS[variant]).n_synapses for m in MODES}) == 1
    for mode in ("event", "jax"):
        for name in ref.traces:
            assert np.array_equal(runs[mode].traces[name], ref.traces[name]), (mode, name)
        for p in ("E", "I"):
            assert np.array_equal(runs[mode][p].spikes.indices, ref[p].spikes.indices)
            assert np.array_equal(runs[mode][p].spikes.times, ref[p].spikes.times)


@pytest.mark.parametrize("passes", ["one spike each", "mixed"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_jax_path_in_many_small_passes_agrees_bit_for_bit(x64, variant, passes, monkeypatch):
    """Several passes of the pure-JAX event loop (as when a step's spikes exceed a pass),
    shared by projections that need different numbers of them ("mixed": the I projections
    take all 20 neurons in one pass, the E projections one spike per pass)."""
    from neurodyn.connectivity import _propagate

    if passes == "mixed":
        monkeypatch.setattr(_propagate, "spikes_per_pass", lambda syn: syn.n_pre if syn.n_pre < 50 else 1)
    else:
        monkeypatch.setitem(_propagate.EVENTS_PER_PASS, "cpu", 1)
        monkeypatch.setitem(_propagate.EVENTS_PER_PASS, "accelerator", 1)
    runs = {mode: nd.simulate(_small_coba(mode, **VARIANTS[variant]), 100.0, DT,
                              record=["spikes", "E.g_exc", "I.g_inh"], progress=False, key=jax.random.key(3))
            for mode in ("jax", "dense")}
    assert runs["dense"]["E"].spikes.times.size > 20
    for name in runs["dense"].traces:
        assert np.array_equal(runs["jax"].traces[name], runs["dense"].traces[name]), name


def test_kernel_is_used_on_cpu():
    net = _small_coba("auto")
    if jax.default_backend() != "cpu":  # accelerators: dense for small networks
        assert set(net.propagation) == {"dense"}
    elif nd.connectivity.kernel_available():
        assert set(net.propagation) == {"kernel"}
    else:  # no compiler: the pure-JAX path (same results, see above)
        assert set(net.propagation) <= {"jax", "dense"}


def test_projections_share_a_kernel_call_only_into_distinct_targets(x64):
    """Consecutive kernel projections from one population go in one call unless two of
    them add to the same variable; the results equal the dense path's bit for bit."""
    lif = dict(tau_m=20.0, C_m=20.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, I_e=20.0)

    def net(mode):
        pops = {p: nd.Population(WithSynapses(nd.neurons.LIF(n=m, **lif), {"exc": ExpConductance(tau=5.0, E_rev=0.0)}),
                                 init={"V_m": normal(-55.0, 5.0)}) for p, m in (("A", 60), ("B", 30))}
        conn = fixed_probability(0.2)
        projections = [nd.Projection("A", "A", conn, weight=0.6, target="exc"),
                       nd.Projection("A", "B", conn, weight=0.6, target="exc"),
                       nd.Projection("A", "B", conn, weight=0.3, target="exc"),  # same target as the last: a new call
                       nd.Projection("A", "A", conn, weight=0.4, delay=0.5, target="exc"),  # a ring buffer: may join
                       nd.Projection("B", "A", conn, weight=0.5, target="exc")]
        return nd.Network(pops, projections, dt=DT, seed=1, propagation=mode)

    if nd.connectivity.kernel_available():
        assert net("event").groups == ((0, 1), (2, 3), (4,))
    assert net("dense").groups == ((0,), (1,), (2,), (3,), (4,))
    runs = {m: nd.simulate(net(m), 100.0, DT, record=["spikes", "A.g_exc", "B.g_exc"], progress=False) for m in ("event", "dense")}
    assert runs["dense"]["A"].spikes.times.size > 20
    for name in runs["dense"].traces:
        assert np.array_equal(runs["event"].traces[name], runs["dense"].traces[name]), name


def test_network_under_jit_and_vmap_matches_eager(x64):
    net = _small_coba("jax", hetero=False)
    keys = jax.random.split(jax.random.key(0), 3)
    rates = jax.vmap(lambda k: nd.simulate(net, 100.0, DT, key=k, progress=False)["E"].rates().mean())(keys)
    eager = [nd.simulate(net, 100.0, DT, key=k, progress=False)["E"].rates().mean() for k in keys]
    np.testing.assert_allclose(np.asarray(rates), eager, rtol=1e-12)
    assert len(set(np.round(eager, 9))) > 1  # different keys, different initial states


def test_external_inputs_per_population(x64):
    net = nd.Network({"A": nd.neurons.LIF(n=3), "B": nd.neurons.LIF(n=2)})
    res = nd.simulate(net, 100.0, DT, inputs={"A": nd.inputs.constant(500.0)}, progress=False)
    assert res["A"].rates().min() > 0 and res["B"].rates().max() == 0


# -- errors -------------------------------------------------------------------------
def _pops():
    return {"E": _listener(4), "I": _listener(3)}


def test_unknown_population_is_named():
    with pytest.raises(ValueError, match=r"projection E->X: unknown population 'X'; expected one of E, I"):
        nd.Network(_pops(), [nd.Projection("E", "X", all_to_all(), weight=1.0)])


def test_unknown_target_is_named():
    with pytest.raises(ValueError, match=r"target 'ampa' is not a synapse channel of 'I'; expected one of exc"):
        nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=1.0, target="ampa")])


def test_negative_delay_is_an_error():
    with pytest.raises(ValueError, match=r"projection E->I: delay must be >= 0 ms, got -1.0"):
        nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=1.0, delay=-1.0)])
    with pytest.raises(ValueError, match=r"delay must be >= 0 ms, got -0.5"):
        nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=1.0, delay=np.full((4, 3), -0.5))])


def test_delay_off_the_grid_is_rounded_with_a_warning():
    with pytest.warns(UserWarning, match=r"delay 0.26 ms is not a multiple of dt = 0.1 ms; rounded") as caught:
        net = nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=1.0, delay=0.26)], dt=0.1)
    assert net.synapses[0].delay == 3
    assert caught[0].filename == __file__  # the user's line, not equinox's or neurodyn's
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # drawn delays are rounded silently
        nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=1.0, delay=uniform(0.0, 1.0))])


def test_weight_of_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"weight must be a scalar, a distribution or an array of shape \(n_pre, n_post\) = \(4, 3\), got shape \(3, 4\)"):
        nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=np.ones((3, 4)))])


def test_simulating_with_another_dt_is_an_error():
    net = nd.Network(_pops(), [nd.Projection("E", "I", all_to_all(), weight=1.0, delay=0.5)], dt=0.1)
    with pytest.raises(ValueError, match=r"built for dt = 0.1 ms .* got dt = 0.05 ms"):
        nd.simulate(net, 1.0, 0.05, progress=False)


def test_bad_record_name_is_named():
    net = nd.Network(_pops())
    with pytest.raises(ValueError, match=r"'<population>.<variable>'"):
        nd.simulate(net, 1.0, DT, record=["V_m"], progress=False)


def test_without_a_compiler_networks_fall_back_to_pure_jax(monkeypatch):
    from neurodyn import _native

    monkeypatch.setattr(_native, "_state", {})
    monkeypatch.setenv("NEURODYN_NO_KERNEL", "1")
    assert not nd.connectivity.kernel_available()
    net = _small_coba("auto")
    assert set(net.propagation) <= {"jax", "dense"}
    assert set(_small_coba("event").propagation) == {"jax"}


def test_recording_a_sample_of_neurons_and_population_rates():
    net, inputs = nd.examples.coba(1000)
    res = nd.simulate(net, 100.0, DT, inputs=inputs, record={"spikes": None, "E.V_m": [0, 7, 799]}, progress=False)
    assert res.traces["E.V_m"].shape == (1000, 3)
    E = res["E"]
    centres, rate = E.population_rate(5.0)
    assert rate.shape == (20,) and np.isfinite(rate).all()
    np.testing.assert_allclose(rate.mean(), E.rates().mean())
    # every spike of every neuron is kept as an event: counts agree with the per-neuron rates
    np.testing.assert_allclose(E.rates().sum(), E.spikes.times.size / 0.1)


def test_kernel_path_under_vmap_matches_eager():
    net, _ = nd.examples.coba(500, propagation="event")
    keys = jax.random.split(jax.random.key(0), 3)
    rates = jax.vmap(lambda k: nd.simulate(net, 50.0, DT, key=k, progress=False)["E"].rates().mean())(keys)
    eager = [nd.simulate(net, 50.0, DT, key=k, progress=False)["E"].rates().mean() for k in keys]
    np.testing.assert_allclose(np.asarray(rates), np.asarray(eager), rtol=1e-6)  # float32 mean vs float64 mean


def test_volleys_larger_than_one_search_agree_bit_for_bit():
    """Thousands of synchronous spikes: the pure-JAX path searches the spike mask several
    times per step and takes several passes per search; it must still equal the kernel."""
    rng = np.random.default_rng(7)
    n = 4096
    times = np.concatenate([np.full(700, 1.0), np.full(300, 2.0), np.full(2000, 3.0)])
    idx = np.concatenate([rng.choice(n, 700, replace=False), rng.choice(n, 300, replace=False), rng.choice(n, 2000, replace=False)])
    src = nd.neurons.SpikeGenerator(n, times=times, indices=idx)
    post = nd.connectivity.WithSynapses(nd.neurons.LIF(n=200, V_th=1e6), {"exc": nd.connectivity.ExpCurrent(tau=5.0)})
    out = {}
    for propagation in ("event", "jax", "dense"):
        net = nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", nd.connectivity.fixed_outdegree(100), weight=nd.connectivity.uniform(0.5, 1.5),
                                                               delay=nd.connectivity.uniform(0.0, 0.5))], seed=3, propagation=propagation)
        res = nd.simulate(net, 5.0, 0.1, record=["E.exc"], progress=False)
        out[propagation] = np.asarray(res.traces["E.exc"])
    assert out["jax"][-1].sum() > 1000  # the volleys arrived
    np.testing.assert_array_equal(out["jax"], out["event"])
    np.testing.assert_array_equal(out["jax"], out["dense"])
