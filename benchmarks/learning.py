"""Training steps per second of the digits MLP (64 -> 64 -> 64 -> 10, Adam 1e-3, batches of
32, backprop) through ``neurodyn.learning.fit`` against a plain JAX/optax loop written
directly: a jitted step (value_and_grad, optax update, donated buffers) called once per
minibatch from Python, on the same batches (``neurodyn.learning.batch_indices``), from the
same initial model.

    python benchmarks/learning.py [--epochs 10] [--repeats 5] [--hidden 64]

Same work, checked before any ratio: the two runs' step losses agree to ``LOSS_RTOL`` and
their final weights to ``WEIGHT_ATOL`` (float32; both do the same operations on the same
batches), else no ratio is printed. Then ``--repeats`` interleaved rounds (>= 5 for a
figure that counts), each run ``--epochs`` epochs from the same start, compilation excluded
(each is run once before timing). Figure: ratio of median run times (plain / fit: > 1 means
fit is faster), the best runs' ratio beside it. Issue #16's target: fit within 1.5x of the
plain loop (ratio >= 0.67).
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _common import header, interleave, median, ratio_of_medians, table

import neurodyn.learning as nl

BATCH = 32
LOSS_RTOL = 1e-4
WEIGHT_ATOL = 1e-5


def digits_train():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(x))[:1347]
    return x[perm], d.target[perm].astype(np.int32)


def plain_loop(net, loss, optimizer, x, y, epochs, key):
    """The loop a user writes by hand: one jitted step per minibatch."""

    def step(params, opt_state, xb, yb):
        value, grads = jax.value_and_grad(loss)(params, (xb, yb))
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    step = jax.jit(step, donate_argnums=(0, 1))

    def run():
        params = jax.tree.map(jnp.copy, net)
        opt_state = optimizer.init(params)
        losses = []
        for e in range(epochs):
            for idx in np.asarray(nl.batch_indices(key, e, len(x), BATCH)):
                params, opt_state, value = step(params, opt_state, x[idx], y[idx])
                losses.append(value)
        jax.block_until_ready(params)
        return params, np.asarray(losses)

    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=64)
    args = ap.parse_args()
    header()

    x, y = digits_train()
    sizes = (64, args.hidden, args.hidden, 10)
    net = nl.MLP(sizes, key=jax.random.key(0))
    loss = nl.supervised_loss(nl.cross_entropy)
    optimizer = optax.adam(1e-3)
    key = jax.random.key(1)
    steps = args.epochs * (len(x) // BATCH)

    def with_fit():
        model, hist = nl.fit(net, loss, (x, y), optimizer=optimizer, epochs=args.epochs, batch_size=BATCH, key=key)
        jax.block_until_ready(model)
        return model, hist.loss.ravel()

    plain = plain_loop(net, loss, optimizer, x, y, args.epochs, key)
    t0 = time.perf_counter()
    fit_model, fit_losses = with_fit()
    t1 = time.perf_counter()
    plain_model, plain_losses = plain()
    t2 = time.perf_counter()
    print(f"MLP {' -> '.join(map(str, sizes))}, {len(x)} training images, {args.epochs} epochs = {steps} steps; "
          f"first call (compile + run): fit {t1 - t0:.2f} s, plain loop {t2 - t1:.2f} s")

    loss_err = float(np.max(np.abs(fit_losses - plain_losses) / np.abs(plain_losses)))
    w_err = max(float(np.max(np.abs(a - b))) for a, b in zip(jax.tree.leaves(fit_model), jax.tree.leaves(plain_model)))
    print(f"same work: step losses agree to {loss_err:.1e} (relative), weights to {w_err:.1e}; "
          f"final loss {fit_losses[-1]:.4f}")
    if not (loss_err <= LOSS_RTOL and w_err <= WEIGHT_ATOL):
        print(f"REFUSED: fit and the plain loop disagree (tolerances {LOSS_RTOL:g}, {WEIGHT_ATOL:g}); no ratio printed")
        raise SystemExit(1)

    def timed(fn):
        def run(_):
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start, {}
        return run

    out = interleave({"fit": timed(with_fit), "plain loop": timed(plain)}, args.repeats)
    t_fit = [s for s, _ in out["fit"]]
    t_plain = [s for s, _ in out["plain loop"]]
    ratio, best = ratio_of_medians(t_plain, t_fit)
    table([["fit", f"{median(t_fit):.3f}", f"{steps / median(t_fit):,.0f}"],
           ["plain loop", f"{median(t_plain):.3f}", f"{steps / median(t_plain):,.0f}"]],
          ["", "median s", "steps / s"])
    print(f"plain / fit (ratio of medians over {args.repeats} interleaved runs): {ratio:.2f}x "
          f"(best runs {best:.2f}x); target: fit within 1.5x of the plain loop (>= 0.67x): "
          f"{'met' if ratio >= 1 / 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
