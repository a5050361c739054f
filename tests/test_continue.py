"""Continuing a run: two chained runs equal one long run bit for bit, inputs included."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd

LIF = nd.neurons.LIF(n=20, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
KEY = jax.random.key(7)

INPUTS = {
    # a step at 150 ms must fire once, in the second half, not again from its start
    "steps": nd.inputs.steps([30.0, 150.0], [350.0, 600.0]),
    "poisson": nd.inputs.poisson(rate=900.0, weight=60.0, n_sources=10),
    "ou": nd.inputs.ornstein_uhlenbeck(mean=300.0, sigma=120.0, tau=5.0),
}


def small_network():
    net, _ = nd.examples.coba(n=100, seed=3)
    return net


def run(model, inputs, duration, **kw):
    if isinstance(model, nd.Network):
        inputs = {"E": inputs, "I": inputs}
    kw.setdefault("key", KEY)
    return nd.simulate(model, duration, 0.1, inputs=inputs, progress=False, **kw)


def assert_same_leaves(a, b):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    assert len(la) == len(lb) > 0
    for x, y in zip(la, lb):
        if jnp.issubdtype(jnp.asarray(x).dtype, jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def assert_chained_equals_whole(first, second, whole):
    for pop in whole.populations:
        a, b, w = first.spikes_of(pop), second.spikes_of(pop), whole.spikes_of(pop)
        np.testing.assert_array_equal(np.concatenate([a.times, b.times]), w.times)
        np.testing.assert_array_equal(np.concatenate([a.indices, b.indices]), w.indices)
        np.testing.assert_array_equal(
            np.asarray(first.spike_counts[pop]) + np.asarray(second.spike_counts[pop]), np.asarray(whole.spike_counts[pop])
        )
        assert b.times.size == 0 or b.times.min() > second.t0
    np.testing.assert_array_equal(np.concatenate([first.t, second.t]), whole.t)
    for name in whole.traces:
        np.testing.assert_array_equal(np.concatenate([first.traces[name], second.traces[name]]), whole.traces[name])
    assert_same_leaves(second.final_state, whole.final_state)
    assert_same_leaves(second.continuation, whole.continuation)


@pytest.mark.parametrize("model, kind", [(LIF, k) for k in sorted(INPUTS)] + [("network", "all")])
def test_two_chained_runs_equal_one_long_run(model, kind):
    model = small_network() if model == "network" else model
    record = ["spikes", "V_m"] if model is LIF else ["spikes", "E.V_m", "I.g_exc"]
    drive = sum(INPUTS.values()) if kind == "all" else INPUTS[kind]  # the network gets all three at once
    whole = run(model, drive, 200.0, record=record, chunk_steps=300)
    first = run(model, drive, 100.0, record=record, chunk_steps=300)
    second = run(model, drive, 100.0, record=record, state=first)  # other chunking
    assert second.t0 == 100.0 and second.t[0] == 100.0
    assert sum(whole.spikes_of(p).times.size for p in whole.populations) > 20
    assert_chained_equals_whole(first, second, whole)


def test_restarting_from_final_state_at_zero_replays_inputs():
    """The defect: state=res.final_state without t0 restarts time at 0, so the step at 150 ms
    never happens and the one at 30 ms happens twice; with the result itself it does not."""
    step = INPUTS["steps"]
    first = run(LIF, step, 100.0)
    replayed = run(LIF, step, 100.0, state=first.final_state)
    continued = run(LIF, step, 100.0, state=first)
    whole = run(LIF, step, 200.0)
    assert not np.array_equal(replayed.spikes.times + 100.0, whole.spikes.times[whole.spikes.times > 100.0])
    np.testing.assert_array_equal(continued.spikes.times, whole.spikes.times[whole.spikes.times > 100.0])


def test_final_state_with_t0_continues_time_dependent_inputs():
    """Euler on y' = u over [100, 110) ms, u stepping to 3 at 105.005 ms: the 499 steps
    starting at 105.01 ... 109.99 ms each add 3 * 0.01."""
    model = nd.ODE(lambda t, y, u: u * jnp.ones_like(y), jnp.zeros(1))
    res = nd.simulate(model, 10.0, 0.01, t0=100.0, inputs=nd.inputs.steps([105.005], [3.0]), solver=nd.Euler(),
                      progress=False)
    np.testing.assert_allclose(np.asarray(res.final_state.y), [499 * 0.03], rtol=1e-5)
    np.testing.assert_allclose(res.t[[0, -1]], [100.0, 109.99], rtol=1e-12)


def test_record_every_and_three_links():
    noise = INPUTS["ou"]
    whole = run(LIF, noise, 150.0, record=["spikes", "V_m"], record_every=5)
    a = run(LIF, noise, 50.0, record=["spikes", "V_m"], record_every=5)
    b = run(LIF, noise, 50.0, record=["spikes", "V_m"], record_every=5, state=a, chunk_steps=100)
    c = run(LIF, noise, 50.0, record=["spikes", "V_m"], record_every=5, state=b.continuation)
    ab = nd.Result(
        t=np.concatenate([a.t, b.t]), traces={"V_m": np.concatenate([a.traces["V_m"], b.traces["V_m"]])},
        spike_counts={"neurons": a.spike_counts["neurons"] + b.spike_counts["neurons"]},
        spike_times={"neurons": np.concatenate([a.spikes.times, b.spikes.times])},
        spike_indices={"neurons": np.concatenate([a.spikes.indices, b.spikes.indices])},
        spike_bits={"neurons": None}, final_state=b.final_state, sizes=a.sizes, recorded=a.recorded,
        duration=100.0, dt=0.1,
    )
    assert_chained_equals_whole(ab, c, whole)


def test_continuation_under_vmap_equals_one_long_run():
    """A sweep over currents and keys, continued inside vmap. (Keys are batched too: a noise
    state that depends on no batched argument stays unbatched in one long run, but comes
    back batched in a result, and XLA may round batched arithmetic differently.)"""
    noise = INPUTS["ou"]

    def one(I, key, duration, state=None, t0=None):
        return nd.simulate(LIF.replace(I_e=I), duration, 0.1, inputs=noise, key=key, state=state, t0=t0,
                           record=["spikes"], progress=False)

    currents, keys = jnp.array([0.0, 100.0, 200.0]), jax.random.split(KEY, 3)
    whole = jax.vmap(lambda I, k: one(I, k, 200.0))(currents, keys)
    first = jax.vmap(lambda I, k: one(I, k, 100.0))(currents, keys)
    with pytest.raises(TypeError, match="t0: continuing a result inside jit/vmap needs t0"):
        jax.vmap(lambda I, k, r: one(I, k, 100.0, r))(currents, keys, first)
    second = jax.vmap(lambda I, k, r: one(I, k, 100.0, r, t0=100.0))(currents, keys, first)
    assert second.t0 == 100.0
    np.testing.assert_array_equal(first.spike_counts["neurons"] + second.spike_counts["neurons"], whole.spike_counts["neurons"])
    assert_same_leaves(second.final_state, whole.final_state)
    for j in range(len(currents)):
        pick = lambda r: jax.tree.map(lambda x: x[j], r)  # noqa: E731
        w, b = pick(whole).spikes, pick(second).spikes
        assert w.times.size > 0
        np.testing.assert_array_equal(b.times, w.times[w.times > 100.0])
        np.testing.assert_array_equal(b.indices, w.indices[w.times > 100.0])


def test_streamed_continuation_resumes_to_the_same_run(tmp_path):
    noise = INPUTS["poisson"]
    first = run(LIF, noise, 100.0)
    whole = run(LIF, noise, 200.0, record=["spikes", "V_m"])
    streamed = run(LIF, noise, 100.0, record=["spikes", "V_m"], state=first, chunk_steps=100, stream_to=tmp_path)
    resumed = run(LIF, noise, 100.0, record=["spikes", "V_m"], state=first, chunk_steps=100, stream_to=tmp_path, resume=True)
    for res in (streamed, resumed):
        np.testing.assert_array_equal(res.spikes.times, whole.spikes.times[whole.spikes.times > 100.0])
        np.testing.assert_array_equal(res.traces["V_m"], whole.traces["V_m"][1000:])
        assert_same_leaves(res.continuation, whole.continuation)
    # the same folder, but a run starting elsewhere: another run, refused
    with pytest.raises(nd.StreamError, match="holds chunks of a different run"):
        run(LIF, noise, 100.0, record=["spikes", "V_m"], chunk_steps=100, stream_to=tmp_path, resume=True)


def test_the_continuation_key_is_used_unless_another_is_given():
    noise = INPUTS["ou"]
    first = run(LIF, noise, 50.0)
    implicit = nd.simulate(LIF, 50.0, 0.1, inputs=noise, state=first, progress=False)
    explicit = run(LIF, noise, 50.0, state=first)
    other = run(LIF, noise, 50.0, state=first, key=jax.random.key(8))
    np.testing.assert_array_equal(implicit.spikes.times, explicit.spikes.times)
    assert not np.array_equal(other.spike_counts["neurons"], explicit.spike_counts["neurons"])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(t0=0.05), ValueError, "t0 must lie on the dt grid (a whole number of steps of dt=0.1 ms), got t0=0.05 ms"),
        (dict(t0=-10.0), ValueError, "t0 must be a finite time >= 0 ms, got -10.0"),
        (dict(t0=float("nan")), ValueError, "t0 must be a finite time >= 0 ms, got nan"),
        (dict(t0="5 ms"), TypeError, "t0 must be a number of ms, got str"),
        (dict(t0=3e8), ValueError, "t0 + duration spans step 3000000100, beyond the step counter's range (2147483647)"),
    ],
)
def test_bad_t0(kwargs, error, message):
    with pytest.raises(error) as err:
        nd.simulate(LIF, 10.0, 0.1, progress=False, **kwargs)
    assert str(err.value) == message


def test_t0_must_agree_with_the_continued_result(tmp_path):
    first = run(LIF, None, 10.0)
    with pytest.raises(ValueError, match=r"t0=20.0 ms differs from the time the continued result ended at, 10.0 ms"):
        run(LIF, None, 10.0, state=first, t0=20.0)
    assert run(LIF, None, 10.0, state=first, t0=10.0).t0 == 10.0
    first.save(tmp_path / "r.nc")
    loaded = nd.load(tmp_path / "r.nc")
    with pytest.raises(ValueError, match="state: this Result carries no continuation"):
        run(LIF, None, 10.0, state=loaded)


def test_t0_survives_save_and_load(tmp_path):
    res = run(LIF, INPUTS["ou"], 20.0, t0=30.0, record=["spikes", "V_m"])
    res.save(tmp_path / "r.nc")
    back = nd.load(tmp_path / "r.nc")
    assert back.t0 == 30.0
    np.testing.assert_array_equal(back.t, res.t)
    centres, _ = back.population_rate(bin_size=5.0)
    np.testing.assert_allclose(centres, [32.5, 37.5, 42.5, 47.5])


def test_analysis_and_plots_take_a_continued_result_on_its_own_window():
    first = run(LIF, INPUTS["ou"], 50.0)
    second = run(LIF, INPUTS["ou"], 50.0, state=first)
    st = nd.analysis.SpikeTrains.from_result(second)
    assert (st.t_start, st.t_stop) == (50.0, 100.0) and st.n_spikes == second.spikes.times.size > 0
    fig = nd.plot.raster(second)
    assert fig.axes[0].get_xlim() == (50.0, 100.0)


def test_divergence_in_a_continued_run_is_reported_at_its_global_time():
    model = nd.ODE(lambda t, y, u: y**2, jnp.array([0.5, 1.0]))  # element 1 blows up at t = 1
    first = nd.simulate(model, 0.5, 0.001, solver=nd.Euler(), progress=False)
    with pytest.raises(nd.SimulationError) as err:
        nd.simulate(model, 2.0, 0.001, solver=nd.Euler(), state=first, chunk_steps=500, progress=False)
    t_fail = float(str(err.value).split("at t = ")[1].split(" ms")[0])
    assert 1.0 < t_fail < 1.2
    assert err.value.partial.t0 == 0.5 and err.value.partial.t[0] == 0.5
