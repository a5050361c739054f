"""NaN or infinity in a run under jit/vmap/grad: never a plausible number.

Under transformations the loop cannot stop and report, so the Result carries the first
step whose state was non-finite (per batch element under vmap). Read inside the
transformation, rates, spikes counts and traces raise a runtime error (equinox's
``error_if``); read from a returned Result, they raise ``SimulationError`` naming the time.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd

_NONFINITE = "became non-finite"


def _lif(I):
    return nd.neurons.LIF(n=10, I_e=I)


def test_vmapped_rates_of_a_nan_run_raise_instead_of_reading_zero():
    # the example returned [30., 0.]
    rates = lambda I: nd.simulate(_lif(I), 200.0, 0.1, progress=False).rates().mean()
    with pytest.raises(Exception, match=_NONFINITE):
        jax.block_until_ready(jax.vmap(rates)(jnp.array([400.0, jnp.nan])))
    eager = [nd.simulate(_lif(I), 200.0, 0.1, progress=False).rates().mean() for I in (400.0, 500.0)]
    np.testing.assert_array_equal(jax.vmap(rates)(jnp.array([400.0, 500.0])), eager)  # finite runs unchanged


def test_jitted_rates_and_traces_of_a_nan_run_raise():
    run = lambda I: nd.simulate(_lif(I), 50.0, 0.1, record=["spikes", "V_m"], progress=False)
    with pytest.raises(Exception, match=_NONFINITE):
        jax.block_until_ready(jax.jit(lambda I: run(I).rates())(jnp.nan))
    with pytest.raises(Exception, match=_NONFINITE):
        jax.block_until_ready(jax.jit(lambda I: run(I).traces["V_m"][-1])(jnp.nan))
    with pytest.raises(Exception, match=_NONFINITE):
        jax.block_until_ready(jax.jit(lambda I: run(I).spike_counts[nd.engine._model.SINGLE].sum())(jnp.nan))
    assert float(jax.jit(lambda I: run(I).rates().mean())(400.0)) == float(run(400.0).rates().mean()) > 0


def test_a_returned_result_names_when_its_state_became_non_finite():
    # I_e jumps to NaN at t = 20 ms: the state is first non-finite after step 201
    def run(scale):
        drive = nd.inputs.steps([0.0, 20.0], [400.0, 400.0 * scale])
        return nd.simulate(_lif(0.0), 50.0, 0.1, inputs=drive, record=["spikes", "V_m"], progress=False)

    res = jax.jit(run)(jnp.nan)
    assert not bool(res.finite) and int(res.first_nonfinite) == 201
    for read in (lambda r: r.rates(), lambda r: r.spikes, lambda r: r.population_rate(5.0),
                 lambda r: r.traces, lambda r: r.spike_counts, lambda r: r.to_xarray()):
        with pytest.raises(nd.SimulationError, match=r"became non-finite \(NaN or inf\) at t = 20\.1 ms \(step 201\)"):
            read(res)
    batch = jax.vmap(run)(jnp.array([1.0, jnp.nan, 2.0]))
    np.testing.assert_array_equal(batch.finite, [True, False, True])
    np.testing.assert_array_equal(batch.first_nonfinite, [-1, 201, -1])
    with pytest.raises(nd.SimulationError, match=r"run 1 of the batch: .* at t = 20\.1 ms"):
        batch.rates()
    good = jax.tree.map(lambda x: x[0], batch)  # one element picked out of the batch is readable
    assert bool(good.finite) and good.rates().shape == (10,) and good.spikes.times.size > 0


def test_a_finite_run_is_flagged_finite_and_reads_as_before():
    res = jax.jit(lambda I: nd.simulate(_lif(I), 50.0, 0.1, record=["spikes", "V_m"], progress=False))(400.0)
    assert bool(res.finite) and int(res.first_nonfinite) == -1
    eager = nd.simulate(_lif(400.0), 50.0, 0.1, record=["spikes", "V_m"], progress=False)
    assert eager.finite  # an eager run raises during the run instead
    np.testing.assert_array_equal(res.spikes.times, eager.spikes.times)
    np.testing.assert_array_equal(np.asarray(res.traces["V_m"]), eager.traces["V_m"])


def test_gradients_pass_through_the_check():
    # a smooth model under grad: the finite flag does not block derivatives
    model = nd.ODE(lambda t, y, u: -y / 10.0, jnp.array([1.0]))
    loss = lambda y0: nd.simulate(model.replace(y0=y0), 10.0, 0.1, record=["y"], progress=False).traces["y"][-1, 0]
    np.testing.assert_allclose(jax.grad(loss)(jnp.array([2.0]))[0], np.exp(-0.99), rtol=1e-5)  # y(9.9 ms) / y0
