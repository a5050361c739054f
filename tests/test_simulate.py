"""The time loop: transformations, chunking, recording, streaming, failure reports."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.engine import _simulate

LIF = nd.neurons.LIF(n=20, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
NOISE = nd.inputs.ornstein_uhlenbeck(mean=200.0, sigma=80.0, tau=5.0)


def run(model=LIF, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("inputs", NOISE)
    kw.setdefault("key", jax.random.key(1))
    return nd.simulate(model, 300.0, 0.1, **kw)


def test_same_key_same_run_other_key_other_run():
    a, b, c = run(), run(), run(key=jax.random.key(2))
    np.testing.assert_array_equal(a.spikes.times, b.spikes.times)
    np.testing.assert_array_equal(a.spikes.indices, b.spikes.indices)
    assert a.spikes.times.size > 50
    assert not np.array_equal(a.spike_counts["neurons"], c.spike_counts["neurons"])


def test_chunking_does_not_change_results():
    a = run(record=["spikes", "V_m"])
    b = run(record=["spikes", "V_m"], chunk_steps=137)  # 3000 steps: last chunk is masked
    np.testing.assert_array_equal(a.spikes.times, b.spikes.times)
    np.testing.assert_array_equal(a.spikes.indices, b.spikes.indices)
    np.testing.assert_array_equal(a.traces["V_m"], b.traces["V_m"])
    assert a.traces["V_m"].shape == (3000, 20)


def test_spike_counts_match_events():
    res = run()
    counts = np.bincount(res.spikes.indices, minlength=20)
    np.testing.assert_array_equal(counts, res.spike_counts["neurons"])
    assert np.all((res.spikes.times > 0) & (res.spikes.times <= 300.0 + 1e-9))


def test_record_every_and_subset():
    full = run(record=["V_m"])
    sub = run(record={"V_m": [3, 7]}, record_every=10)
    np.testing.assert_array_equal(sub.traces["V_m"], full.traces["V_m"][::10][:, [3, 7]])
    np.testing.assert_allclose(sub.t, full.t[::10])


def test_jit_gives_the_same_run():
    eager = run()
    jitted = jax.jit(lambda k: run(key=k))(jax.random.key(1))
    np.testing.assert_array_equal(jitted.spike_counts["neurons"], eager.spike_counts["neurons"])
    np.testing.assert_allclose(jitted.spikes.times, eager.spikes.times)
    np.testing.assert_array_equal(jitted.spikes.indices, eager.spikes.indices)


def test_vmap_over_64_parameter_sets_equals_64_runs():
    currents = jnp.linspace(100.0, 400.0, 64)
    taus = jnp.linspace(10.0, 30.0, 64)

    def one(I, tau):
        return run(LIF.replace(I_e=I, tau_m=tau), record=["spikes", "V_m"])

    batched = jax.vmap(one)(currents, taus)
    assert batched.traces["V_m"].shape == (64, 3000, 20)
    for j in range(64):
        single = one(currents[j], taus[j])
        np.testing.assert_array_equal(batched.spike_counts["neurons"][j], single.spike_counts["neurons"])
        np.testing.assert_allclose(batched.traces["V_m"][j], single.traces["V_m"], rtol=1e-5, atol=1e-4)


def test_grad_through_a_smooth_model(x64):
    # y' = -y / tau: y(T) = exp(-T / tau), d y(T) / d tau = T / tau^2 exp(-T / tau)
    def final(tau):
        model = nd.ODE(lambda t, y, u: -y / tau, jnp.ones(1))
        return nd.simulate(model, 10.0, 0.01, record=["y"], progress=False).final_state.y[0]

    tau, T = 4.0, 10.0
    np.testing.assert_allclose(jax.grad(final)(tau), T / tau**2 * np.exp(-T / tau), rtol=1e-6)


def test_grad_of_lif_membrane_wrt_current(x64):
    # subthreshold V(T) = E_L + R I (1 - exp(-T/tau)): dV/dI = R (1 - exp(-T/tau))
    def v_end(I):
        return nd.simulate(LIF.replace(I_e=I), 50.0, 0.1, progress=False).final_state.V_m[0]

    R = 20.0 / 250.0
    np.testing.assert_allclose(jax.grad(v_end)(100.0), R * (1 - np.exp(-50.0 / 20.0)), rtol=1e-9)


def test_spike_memory_is_proportional_to_spikes():
    # 100,000 neurons firing at ~10 Hz for 1 s: ~1e6 spikes. Events take 12 bytes each
    # (float64 time + int32 index); a dense neurons x steps matrix would take 1e9 bytes.
    n = 100_000
    rates_wanted = np.random.default_rng(0).uniform(5.0, 15.0, n)  # Hz
    isi = 1000.0 / rates_wanted - 2.0
    tau, theta = 50.0, 15.0  # drive that makes each neuron fire at its rate
    current = 250.0 * theta / tau / (1 - np.exp(-isi / tau))
    lif = nd.neurons.LIF(n=n, tau_m=tau, I_e=jnp.asarray(current, dtype=jnp.float32))
    res = nd.simulate(lif, duration=1000.0, dt=0.1, progress=False)
    n_spikes = res.spikes.times.size
    assert 0.8e6 < n_spikes < 1.2e6
    stored = res.spikes.times.nbytes + res.spikes.indices.nbytes
    assert stored == 12 * n_spikes
    assert res.traces == {}
    assert abs(np.asarray(res.rates()).mean() - rates_wanted.mean()) < 0.5


def test_divergence_is_reported_with_time_and_variable():
    # y' = y^2 from y(0) = 1 blows up at t = 1
    model = nd.ODE(lambda t, y, u: y**2, jnp.array([0.5, 1.0]))
    with pytest.raises(nd.SimulationError) as err:
        nd.simulate(model, 3.0, 0.001, solver=nd.Euler(), record=["y"], chunk_steps=500, progress=False)
    message = str(err.value)
    assert "y became" in message and "element 1" in message
    t_fail = float(message.split("at t = ")[1].split(" ms")[0])
    assert 1.0 < t_fail < 1.2
    partial = err.value.partial
    assert partial is not None and partial.traces["y"].shape[0] >= 1000  # finished chunks are kept


def test_stream_to_folder_and_resume_after_interruption(tmp_path, monkeypatch):
    whole = run(record=["spikes", "V_m"], chunk_steps=500)
    write = _simulate._Stream.write

    def interrupt_after_three(self, c, chunk, carry):
        if c == 3:
            raise KeyboardInterrupt
        write(self, c, chunk, carry)

    monkeypatch.setattr(_simulate._Stream, "write", interrupt_after_three)
    with pytest.raises(KeyboardInterrupt):
        run(record=["spikes", "V_m"], chunk_steps=500, stream_to=tmp_path)
    assert sorted(p.name for p in tmp_path.glob("chunk_*.npz")) == [f"chunk_00000{i}.npz" for i in range(3)]
    monkeypatch.setattr(_simulate._Stream, "write", write)
    resumed = run(record=["spikes", "V_m"], chunk_steps=500, stream_to=tmp_path, resume=True)
    np.testing.assert_array_equal(resumed.spikes.times, whole.spikes.times)
    np.testing.assert_array_equal(resumed.spikes.indices, whole.spikes.indices)
    np.testing.assert_array_equal(resumed.traces["V_m"], whole.traces["V_m"])
    np.testing.assert_array_equal(resumed.spike_counts["neurons"], whole.spike_counts["neurons"])
    with pytest.raises(ValueError, match="holds chunks of a different run"):
        run(model=LIF.replace(I_e=1.0), chunk_steps=500, stream_to=tmp_path, resume=True)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(inputs=nd.inputs.constant(jnp.ones(3))), ValueError, "inputs: Constant has shape (3,), expected a scalar or shape (20,)"),
        (dict(record=["Vm"]), ValueError, "record: unknown variable 'Vm' for LIF (did you mean 'V_m'?); expected one of V_m, refractory"),
        (dict(record={"V_m": [25]}), ValueError, "record: neuron index 25 of 'V_m' out of range for 20 neurons"),
        (dict(inputs={"E": NOISE}), TypeError, "inputs is a dict, but this model has a single population"),
        (dict(inputs=3.0), TypeError, "inputs must be a neurodyn.inputs object or a list of them, got float"),
        (dict(record_every=0), ValueError, "record_every must be an integer number of steps in [1, 2147483647], got 0"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as err:
        run(**kwargs)
    assert message in str(err.value)


def test_bad_times():
    with pytest.raises(ValueError, match="duration must be a whole number of steps of dt=0.3 ms, got duration=1.0 ms"):
        nd.simulate(LIF, 1.0, 0.3, progress=False)
    with pytest.raises(ValueError, match="dt must be > 0 ms, got -0.1"):
        nd.simulate(LIF, 1.0, -0.1, progress=False)
    with pytest.raises(TypeError, match="model must be a neurodyn model"):
        nd.simulate("LIF", 1.0, 0.1)
