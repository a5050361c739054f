"""Plastic projections: the rule protocol on networks, pair STDP and Tsodyks-Markram.

References: the additive pair rule with traces (Song, Miller & Abbott 2000, Nat Neurosci
3:919; Morrison, Diesmann & Gerstner 2008, Biol Cybern 98:459, eq. 4); Tsodyks-Markram
recursion (Tsodyks, Pawelzik & Markram 1998, Neural Comput 10:821; Markram, Wang &
Tsodyks 1998, PNAS 95:5323); Brian2's ``Synapses`` with the same STDP equations.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.connectivity import ExpCurrent, WithSynapses, all_to_all, from_dense

DT = 0.1


def _post(n, spike_times, duration, dt=DT):
    """LIF neurons that spike exactly at the given times (one huge one-step pulse each)."""
    steps = int(round(duration / dt))
    drive = np.zeros((steps, n))
    for i, times in enumerate(spike_times):
        for t in np.atleast_1d(times):
            drive[int(round(t / dt)) - 1, i] = 1e5  # the step that ends at t
    model = WithSynapses(nd.neurons.LIF(n=n, t_ref=0.0), {"exc": ExpCurrent(tau=5.0)})
    return model, nd.inputs.array(drive, dt=dt)


def test_stdp_weight_change_equals_the_window(x64):
    lags = np.arange(-40.0, 40.5, 1.0)
    n = lags.size
    t_pre = 60.0
    rule = nd.plasticity.STDP(tau_pre=17.0, tau_post=34.0, A_pre=0.01, A_post=-0.008, w_max=1.0)
    src = nd.neurons.SpikeGenerator(n, times=np.full(n, t_pre), indices=np.arange(n))
    post, drive = _post(n, t_pre + lags, 120.0)
    w0 = 0.5
    net = nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", from_dense(w0 * np.eye(n)), plasticity=rule)], dt=DT)
    res = nd.simulate(net, 120.0, DT, inputs={"E": drive}, progress=False)
    assert np.array_equal(res["E"].spikes.times[np.argsort(res["E"].spikes.indices)], t_pre + lags)  # the protocol ran
    pre, post_idx, w = net.weights(res.final_state, "In->E")
    assert np.array_equal(pre, post_idx)
    expected = np.where(lags >= 0, 0.01 * np.exp(-lags / 17.0), -0.008 * np.exp(lags / 34.0))
    np.testing.assert_allclose(w - w0, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.asarray(rule.window(lags)), expected, rtol=1e-6)


def test_stdp_bounds_and_recording():
    # every pre spike just after a post spike: depression, clipped at w_min = 0
    rule = nd.plasticity.STDP(A_pre=0.0, A_post=-0.3, w_min=0.0, w_max=1.0)
    post_times = np.arange(5.0, 100.0, 10.0)
    src = nd.neurons.SpikeGenerator(1, times=post_times + 1.0, indices=np.zeros(post_times.size, int))
    post, drive = _post(1, [post_times], 100.0)
    net = nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", all_to_all(), weight=0.5, plasticity=rule)], dt=DT)
    res = nd.simulate(net, 100.0, DT, inputs={"E": drive}, record=["In->E.w", "In->E.post"], progress=False)
    w = res.traces["In->E.w"][:, 0]
    assert w[0] == pytest.approx(0.5) and w[-1] == 0.0
    assert np.all(np.diff(w) <= 0) and np.all(w >= 0)
    first_drop = 0.5 - w[int(round(7.0 / DT))]  # pre at 6 ms, 1 ms after the post spike at 5 ms
    assert first_drop == pytest.approx(0.3 * np.exp(-1.0 / 20.0), rel=1e-5)
    a_post = res.traces["In->E.post"][:, 0]  # recordable: 0 until the first post spike (5 ms), then A_post e^{-t/tau}
    assert a_post[int(round(5.0 / DT)) - 1] == 0.0 and a_post[int(round(5.0 / DT))] == pytest.approx(-0.3)
    assert a_post[int(round(5.0 / DT)) + 10] == pytest.approx(-0.3 * np.exp(-1.0 / 20.0), rel=1e-5)


def _tm_jumps(U, tau_F, tau_D, period, count, dt=DT):
    """Postsynaptic jumps of an exponential current synapse driven by a regular train through TM."""
    stp = nd.plasticity.TsodyksMarkram(U=U, tau_F=tau_F, tau_D=tau_D)
    times = period * np.arange(1, count + 1)
    src = nd.neurons.SpikeGenerator(1, times=times, indices=np.zeros(count, int))
    post = WithSynapses(nd.neurons.LIF(n=1, V_th=1e6, V_reset=-70.0), {"exc": ExpCurrent(tau=1e9)})  # no decay: g sums jumps
    net = nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", all_to_all(), weight=2.0, plasticity=stp)], dt=dt)
    res = nd.simulate(net, times[-1] + 2 * dt, dt, record=["E.g_exc", "In->E.u", "In->E.x"], progress=False)
    g = res.traces["E.g_exc"][:, 0]
    steps = np.rint(times / dt).astype(int)
    return np.diff(np.concatenate([[0.0], g[steps]])), net


@pytest.mark.parametrize("U,tau_F,tau_D", [(0.5, 20.0, 500.0), (0.1, 1000.0, 50.0)])  # depressing, facilitating
def test_tsodyks_markram_jumps_follow_the_recursion(x64, U, tau_F, tau_D):
    period, count = 25.0, 12
    jumps, net = _tm_jumps(U, tau_F, tau_D, period, count)
    u, x, expected = 0.0, 1.0, []
    for _ in range(count):
        u = U + u * (1 - U)  # (decayed u) + U (1 - u)
        expected.append(2.0 * u * x)
        x = x - u * x
        u, x = u * np.exp(-period / tau_F), 1 + (x - 1) * np.exp(-period / tau_D)
    np.testing.assert_allclose(jumps, expected, rtol=1e-6)
    assert net.propagation == ("jax",)  # efficacy scales events on the pure-JAX path


def test_plasticity_changes_nothing_when_frozen():
    """A rule that never changes weights gives the frozen network's spikes exactly."""
    def build(rule):
        E = WithSynapses(nd.neurons.LIF(n=60, I_e=np.linspace(360.0, 420.0, 60)), {"exc": ExpCurrent(tau=5.0)})
        return nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.2), weight=20.0, plasticity=rule)], seed=3)
    frozen = nd.simulate(build(None), 200.0, DT, progress=False)
    zero = nd.plasticity.STDP(A_pre=0.0, A_post=0.0, w_min=None, w_max=None)
    plastic = nd.simulate(build(zero), 200.0, DT, progress=False)
    assert frozen["E"].spikes.times.size > 50
    np.testing.assert_array_equal(frozen["E"].spikes.times, plastic["E"].spikes.times)
    np.testing.assert_array_equal(frozen["E"].spikes.indices, plastic["E"].spikes.indices)


@pytest.mark.parametrize("propagation", ["event", "jax"])
def test_chained_plastic_runs_equal_one_run(propagation):
    rule = nd.plasticity.STDP(A_pre=0.5, A_post=-0.55, w_max=50.0)
    E = WithSynapses(nd.neurons.LIF(n=40), {"exc": ExpCurrent(tau=5.0)})
    net = nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.3), weight=10.0, delay=1.0, plasticity=rule)],
                     seed=1, propagation=propagation)
    inputs = {"E": nd.inputs.poisson(8000.0, 60.0)}
    key = jax.random.key(4)
    one = nd.simulate(net, 200.0, DT, inputs=inputs, key=key, progress=False)
    half = nd.simulate(net, 100.0, DT, inputs=inputs, key=key, progress=False)
    two = nd.simulate(net, 100.0, DT, inputs=inputs, key=key, state=half, progress=False)
    w1, w2 = one.final_state.plastic["E->E"].w, two.final_state.plastic["E->E"].w
    assert not np.allclose(w1, 10.0)  # the weights moved
    np.testing.assert_array_equal(np.asarray(w1), np.asarray(w2))


def test_plastic_projections_take_one_pass_per_spike_on_every_path():
    """A plastic projection delivers and applies on_pre in one pass: STDP in the C++ kernel
    where it is available (``tests/test_plasticity_kernel.py``), else pure JAX; the same
    weights either way."""
    rule = nd.plasticity.STDP(A_pre=0.5, A_post=-0.55, w_max=50.0)
    out = []
    for propagation in ("auto", "jax"):
        E = WithSynapses(nd.neurons.LIF(n=50), {"exc": ExpCurrent(tau=5.0)})
        net = nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.3), weight=10.0, plasticity=rule)],
                         seed=2, propagation=propagation)
        kernel = propagation == "auto" and jax.default_backend() == "cpu" and nd.connectivity.kernel_available()
        assert net.propagation == (("kernel",) if kernel else ("jax",))
        res = nd.simulate(net, 150.0, DT, inputs={"E": nd.inputs.poisson(8000.0, 60.0)}, key=jax.random.key(0), progress=False)
        out.append(np.asarray(res.final_state.plastic["E->E"].w))
    np.testing.assert_array_equal(out[0], out[1])


def test_bad_plasticity_input():
    E = WithSynapses(nd.neurons.LIF(n=10), {"exc": ExpCurrent(tau=5.0)})
    proj = lambda **kw: nd.Projection("E", "E", all_to_all(), weight=0.5, **kw)  # noqa: E731
    with pytest.raises(ValueError, match="projection E->E: plasticity needs event-driven propagation"):
        nd.Network({"E": E}, [proj(plasticity=nd.plasticity.STDP())], propagation="dense")
    with pytest.raises(TypeError, match="plasticity must be a neurodyn.plasticity rule"):
        nd.Network({"E": E}, [proj(plasticity="stdp")])
    with pytest.raises(ValueError, match="initial weights must be <= w_max = 0.1"):
        nd.Network({"E": E}, [proj(plasticity=nd.plasticity.STDP(w_max=0.1))])
    with pytest.raises(ValueError, match="eta must be > 0"):
        nd.plasticity.Hebbian(eta=-0.1)
    with pytest.raises(ValueError, match="tau_pre must be > 0"):
        nd.plasticity.STDP(tau_pre=-1.0)

    class WrongShape(nd.plasticity.STDP):
        def init_pre(self, n, dtype):
            return jnp.zeros((n + 1,), dtype)

    with pytest.raises(ValueError, match=r"WrongShape.init_pre must give variables with one value per presynaptic neuron \(leading axis 10\)"):
        nd.Network({"E": E}, [proj(plasticity=WrongShape())])
    with pytest.raises(ValueError, match="name 'E' is already used"):
        nd.Network({"E": E}, [proj(name="E")])


def test_weights_recorded_saved_and_loaded(tmp_path):
    rule = nd.plasticity.STDP(A_pre=0.5, A_post=-0.55, w_max=50.0)
    E = WithSynapses(nd.neurons.LIF(n=30), {"exc": nd.connectivity.ExpConductance(tau=5.0, E_rev=0.0)})
    net = nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.3), weight=1.0, plasticity=rule)], seed=5)
    chosen = [0, 7, 11]
    res = nd.simulate(net, 100.0, DT, inputs={"E": nd.inputs.poisson(8000.0, 60.0)}, record={"spikes": None, "E->E.w": chosen},
                      progress=False)
    every = nd.simulate(net, 100.0, DT, inputs={"E": nd.inputs.poisson(8000.0, 60.0)}, record=["E->E.w"], record_every=100,
                        progress=False)
    pre, post, w = res.weights["E->E"]
    assert w.shape == (net.n_synapses,) and not np.allclose(w, 1.0)
    np.testing.assert_array_equal(res.traces["E->E.w"][::100], every.traces["E->E.w"][:, chosen])  # the same run, two views
    assert every.traces["E->E.w"].shape == (10, net.n_synapses)  # snapshots every 10 ms
    assert res.unit("E->E.w") == "nS"
    # the last record is the state at the start of the last step: one step before the final weights
    assert np.abs(res.traces["E->E.w"][-1] - w[chosen]).max() <= 0.5 + 0.55
    path = res.save(tmp_path / "plastic.nc")
    back = nd.load(path)
    for a, b in zip(back.weights["E->E"], res.weights["E->E"]):
        np.testing.assert_array_equal(a, b)
    assert back.unit("E->E.w") == "nS"
    np.testing.assert_array_equal(back.traces["E->E.w"], res.traces["E->E.w"])
    frozen = nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.3), weight=1.0)], seed=5)
    assert nd.simulate(frozen, 10.0, DT, inputs={"E": nd.inputs.constant(500.0)}, progress=False).weights == {}


def test_network_replace_changes_populations_and_rules_under_vmap():
    rule = nd.plasticity.STDP(A_pre=0.5, A_post=-0.55, w_max=50.0)
    E = WithSynapses(nd.neurons.LIF(n=20, I_e=300.0), {"exc": ExpCurrent(tau=5.0)})
    net = nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.3), weight=10.0, plasticity=rule)], seed=1)

    def rate(I_e):
        model = net.replace(populations={"E": E.replace(I_e=I_e)})
        return nd.simulate(model, 100.0, DT, progress=False).spike_counts["E"].sum()

    counts = jax.vmap(rate)(jnp.array([300.0, 450.0, 600.0]))
    assert counts[0] == 0 and 0 < counts[1] < counts[2]
    assert int(counts[2]) == int(nd.simulate(net.replace(populations={"E": E.replace(I_e=600.0)}),
                                             100.0, DT, progress=False).spike_counts["E"].sum())
    faster = net.replace(plasticity={"E->E": rule.replace(A_pre=1.0)})
    assert faster.rules[0].A_pre == 1.0 and faster.synapses[0].indices is net.synapses[0].indices  # nothing rebuilt
    with pytest.raises(ValueError, match="size must stay 20"):
        net.replace(populations={"E": WithSynapses(nd.neurons.LIF(n=21), {"exc": ExpCurrent(tau=5.0)})})
    with pytest.raises(ValueError, match="must be a STDP like the projection's rule, got TsodyksMarkram"):
        net.replace(plasticity={"E->E": nd.plasticity.TsodyksMarkram()})
    with pytest.raises(ValueError, match="unknown projection 'E->I'"):
        net.replace(plasticity={"E->I": rule})


class _Eligible(eqx.Module):
    w: jax.Array
    e: jax.Array  # per-synapse eligibility: +1 per presynaptic spike, decaying with tau_e


class EligibilityRule(nd.plasticity.AbstractRule):
    """A per-synapse state beyond the weight: eligibility traces (the shape of a
    reward-modulated rule), weights unchanged."""

    tau_e: float = 50.0

    def init_synapses(self, w):
        return _Eligible(w, jnp.zeros_like(w))

    def weight(self, s):
        return s.w

    def on_pre(self, s, pre, post):
        return _Eligible(s.w, s.e + 1.0)

    def on_step(self, s, pre, post, dt):
        return _Eligible(s.w, s.e * jnp.exp(-dt / self.tau_e))

    def clip(self, s):
        return s


def test_per_synapse_state_beyond_the_weight(x64):
    times = {0: [5.0, 20.0, 21.0], 1: [40.0], 2: []}
    flat = sorted((t, i) for i, ts in times.items() for t in ts)
    src = nd.neurons.SpikeGenerator(3, times=[t for t, _ in flat], indices=[i for _, i in flat])
    post = WithSynapses(nd.neurons.LIF(n=2, V_th=1e6), {"exc": ExpCurrent(tau=1e9)})
    rule = EligibilityRule()
    net = nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", all_to_all(), weight=1.5, plasticity=rule)])
    T = 60.0
    res = nd.simulate(net, T, DT, record=["In->E.e", "In->E.w", "E.exc"], progress=False)
    pre, post_idx, w = res.weights["In->E"]
    np.testing.assert_array_equal(w, 1.5)  # delivered and kept
    e = np.asarray(res.final_state.plastic["In->E"].w.e)
    for k, i in enumerate(pre):  # each spike adds 1 at its time (after that step's decay), then decays to T
        expected = sum(np.exp(-(T - t) / rule.tau_e) for t in times[int(i)])
        assert e[k] == pytest.approx(expected, rel=1e-9), (k, i)
    assert res.traces["In->E.e"].shape == (600, 6)
    np.testing.assert_allclose(res.traces["E.exc"][-1], 1.5 * 4)  # four input spikes, weight 1.5, no decay
    with pytest.raises(ValueError, match="must return the per-synapse state it was given"):
        class Broken(EligibilityRule):
            def on_pre(self, s, pre, post):
                return s.w

        nd.Network({"In": src, "E": post}, [nd.Projection("In", "E", all_to_all(), weight=1.5, plasticity=Broken())])
