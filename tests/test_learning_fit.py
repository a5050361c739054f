"""``neurodyn.learning.fit``: convergence to a known solution, the compiled loop's
bookkeeping (batches, keys, history), and one-line errors for bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import neurodyn.learning as nl


def _least_squares(n=256, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    w = rng.normal(size=(5, 2)).astype(np.float32)
    y = x @ w + 0.5 + noise * rng.normal(size=(n, 2)).astype(np.float32)
    return x, y, w


def _mse(params, batch):
    x, y = batch[:2]
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


def test_minibatches_converge_to_the_exact_solution():
    """Targets without noise: every minibatch's gradient vanishes at (w, 0.5) only."""
    x, y, w = _least_squares(noise=0.0)
    params = {"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}
    trained, hist = nl.fit(params, _mse, (x, y), learning_rate=0.02, epochs=150, batch_size=32, key=jax.random.key(0))
    np.testing.assert_allclose(trained["w"], w, atol=1e-3)
    np.testing.assert_allclose(trained["b"], 0.5, atol=1e-3)
    assert hist.loss.shape == (150, 256 // 32) and hist.epoch_loss.shape == (150,)
    assert np.all(np.diff(hist.epoch_loss[:20]) < 0)  # decreasing while far from the optimum
    assert hist.epoch_loss[-1] < 1e-5 * hist.epoch_loss[0]


def test_full_batch_descent_converges_to_lstsq():
    x, y, _ = _least_squares(noise=0.3)
    xa = np.concatenate([x, np.ones((len(x), 1), np.float32)], axis=1).astype(np.float64)
    exact = np.linalg.lstsq(xa, y.astype(np.float64), rcond=None)[0]
    params = {"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}
    trained, hist = nl.fit(params, _mse, (x, y), optimizer=optax.sgd(0.2), epochs=300, batch_size=len(x),
                           key=jax.random.key(0))
    np.testing.assert_allclose(trained["w"], exact[:5], atol=1e-4)
    np.testing.assert_allclose(trained["b"], exact[5], atol=1e-4)
    assert np.all(np.diff(hist.epoch_loss) <= 1e-7)  # gradient descent on a convex quadratic never rises


def test_steps_match_a_plain_loop_over_the_documented_batches():
    """fit's epoch = the optimizer applied to batch_indices' batches in order (sgd: exact)."""
    x, y, _ = _least_squares(100)
    key = jax.random.key(3)
    params = {"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}
    trained, hist = nl.fit(params, _mse, (x, y), optimizer=optax.sgd(0.05), epochs=2, batch_size=30, key=key)
    p, losses = params, []
    for e in range(2):
        for idx in np.asarray(nl.batch_indices(key, e, 100, 30)):
            v, g = jax.value_and_grad(_mse)(p, (x[idx], y[idx]))
            losses.append(float(v))
            p = jax.tree.map(lambda a, b: a - 0.05 * b, p, g)
    np.testing.assert_allclose(hist.loss.ravel(), losses, rtol=1e-5)
    np.testing.assert_allclose(trained["w"], p["w"], rtol=1e-5, atol=1e-6)
    assert params["w"].sum() == 0  # the caller's model is not donated away


def test_stochastic_loss_gets_a_key_and_eval_is_recorded():
    x, y, _ = _least_squares(64)
    seen = []

    def noisy(params, batch, *, key):
        return _mse(params, batch) + 0.0 * jax.random.normal(key)

    _, hist = nl.fit({"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}, noisy, (x, y), epochs=3, batch_size=16,
                     key=jax.random.key(0), eval=lambda p: seen.append(1) or {"b0": p["b"][0], "n": len(seen)})
    assert list(hist.metrics["n"]) == [1, 2, 3] and hist.metrics["b0"].shape == (3,)


def test_custom_gradient_estimator_is_used():
    """grad= replaces value_and_grad: a sign-flipped gradient makes the loss rise."""
    x, y, _ = _least_squares(64)
    vg = jax.value_and_grad(_mse)
    ascent = lambda p, b: (lambda v, g: (v, jax.tree.map(jnp.negative, g)))(*vg(p, b))
    _, hist = nl.fit({"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}, _mse, (x, y), optimizer=optax.sgd(0.01),
                     epochs=5, batch_size=16, key=jax.random.key(0), grad=ascent)
    assert hist.epoch_loss[-1] > hist.epoch_loss[0]


def test_repeated_calls_reuse_the_compiled_epoch():
    x, y, _ = _least_squares(64)
    params = {"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}
    compiled = []

    def listener(name, secs, **kw):
        if name.endswith("backend_compile_duration"):
            compiled.append(str(kw.get("fun_name")))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        nl.fit(params, _mse, (x, y), epochs=1, batch_size=16, learning_rate=0.01, key=jax.random.key(0))
        assert any("_epoch" in f for f in compiled), compiled  # the listener sees fit's compilation
        compiled.clear()
        nl.fit(params, _mse, (x, y), epochs=2, batch_size=16, learning_rate=0.01, key=jax.random.key(1))
        assert not any("_epoch" in f for f in compiled), compiled
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


def test_learning_rate_schedule():
    x, y, _ = _least_squares(64)
    _, hist = nl.fit({"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}, _mse, (x, y), epochs=20, batch_size=16,
                     learning_rate=optax.exponential_decay(0.05, 10, 0.8), key=jax.random.key(0))
    assert hist.epoch_loss[-1] < 0.1 * hist.epoch_loss[0]


def test_equinox_module_with_static_parts_trains():
    net = nl.MLP((5, 8, 2), key=jax.random.key(0))
    x, y, _ = _least_squares(64)
    loss = lambda m, b: jnp.mean((m(b[0]) - b[1]) ** 2)
    trained, hist = nl.fit(net, loss, (x, y), learning_rate=1e-2, epochs=30, batch_size=16, key=jax.random.key(0))
    assert isinstance(trained, nl.MLP) and trained.activation is net.activation
    assert hist.epoch_loss[-1] < 0.5 * hist.epoch_loss[0]


@pytest.mark.parametrize("kwargs, match", [
    (dict(learning_rate=0.0), "learning_rate must be a number > 0 or an optax schedule, got 0.0"),
    (dict(learning_rate=-1e-3), "learning_rate must be a number > 0 or an optax schedule, got -0.001"),
    (dict(batch_size=0), r"batch_size must be an integer from 1 to the number of samples \(64\), got 0"),
    (dict(batch_size=65), r"batch_size must be an integer from 1 to the number of samples \(64\), got 65"),
    (dict(epochs=-1), "epochs must be an integer >= 0, got -1"),
])
def test_bad_numbers(kwargs, match):
    x, y, _ = _least_squares(64)
    with pytest.raises(ValueError, match=match):
        nl.fit({"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}, _mse, (x, y), key=jax.random.key(0), **kwargs)


def test_bad_loss_data_and_keywords():
    x, y, _ = _least_squares(64)
    params = {"w": jnp.zeros((5, 2)), "b": jnp.zeros(2)}
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"loss must return a scalar, got shape \(32, 2\)"):
        nl.fit(params, lambda p, b: (b[0] @ p["w"] - b[1]) ** 2, (x, y), key=key)
    with pytest.raises(ValueError, match=r"loss must return a scalar, got shape \(32,\)"):
        nl.fit(params, _mse, (x, y), key=key, grad=lambda p, b: (jnp.zeros(32), p))
    with pytest.raises(ValueError, match=r"leading axis \(samples\): data\[0\] has 64, data\[1\] has 63"):
        nl.fit(params, _mse, (x, y[:63]), key=key)
    with pytest.raises(TypeError, match="unexpected keyword argument 'lr'"):
        nl.fit(params, _mse, (x, y), key=key, lr=0.1)
    with pytest.raises(TypeError, match="optimizer= or learning_rate=, not both"):
        nl.fit(params, _mse, (x, y), key=key, learning_rate=0.1, optimizer=optax.sgd(0.1))
    with pytest.raises(TypeError, match="fit needs key="):
        nl.fit(params, _mse, (x, y))
    with pytest.raises(TypeError, match="key must be a jax.random key .*, got int 0"):
        nl.fit(params, _mse, (x, y), key=0)
    with pytest.raises(ValueError, match=r"eval must return a number or a dict of numbers, got shape \(2,\)"):
        nl.fit(params, _mse, (x, y), key=key, eval=lambda p: p["b"])
