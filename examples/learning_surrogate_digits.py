"""A spiking network learns scikit-learn's handwritten digits by surrogate gradients.

64 pixels drive 64 hidden LIF neurons as constant currents (through trained input weights);
the hidden spikes reach 10 non-spiking leaky output neurons through a dense projection with
exponential current synapses; the class score is each output's mean membrane potential.
Gradients flow through neurodyn's own ``simulate`` (backpropagation through time, with
checkpointed chunks): through the spikes by the neurons' SuperSpike surrogate (Zenke &
Ganguli 2018), through the reset not at all (it is detached). The batch is a ``jax.vmap``.

    python examples/learning_surrogate_digits.py [out_folder]

prints the held-out accuracy and writes ``learning_curve.png`` there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import neurodyn as nd

DT = 1.0  # ms
STEPS = 25  # 25 ms per digit
HIDDEN = 64


def load_digits(seed: int = 0, test_fraction: float = 0.25):
    """(x_train, x_test, y_train, y_test): scikit-learn's 8x8 digits (bundled, no download),
    pixels scaled to [0, 1], a stratified held-out split with a fixed seed."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    x, y = sk_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)


def build_network(hidden: int = HIDDEN, seed: int = 0, beta: float = 5.0):
    """The network (hidden LIF -> dense exponential current synapses -> leaky outputs) and
    its trainable parameters ``{"w_in": (64, hidden), "w_out": (hidden, 10)}``.

    Units are scaled so that the threshold is 1 mV above rest (E_L = V_reset = 0 mV,
    V_th = 1 mV, C_m = 1 pF: 1 pA moves V by 1 mV/ms); ``beta`` (1/mV) of the surrogate."""
    rng = np.random.default_rng(seed)
    hid = nd.neurons.LIF(n=hidden, tau_m=10.0, C_m=1.0, E_L=0.0, V_reset=0.0, V_th=1.0, t_ref=0.0,
                         surrogate=nd.neurons.SuperSpike(beta=beta))
    syn = nd.synapses.CurrentSynapse(nd.synapses.Exponential(tau=5.0), name="exc")
    out = nd.neurons.LIF(n=10, tau_m=10.0, C_m=1.0, E_L=0.0, V_reset=0.0, V_th=1e9, t_ref=0.0, parts=(syn,))
    w_out = (rng.normal(size=(hidden, 10)) / np.sqrt(hidden)).astype(np.float32)
    net = nd.Network({"hid": hid, "out": out},
                     [nd.Projection("hid", "out", nd.connectivity.all_to_all(), weight=w_out, target="exc")],
                     dt=DT, propagation="dense")
    params = {"w_in": jnp.asarray(rng.normal(size=(64, hidden)) * 0.6 / np.sqrt(64 * 0.3), jnp.float32),
              "w_out": jnp.asarray(w_out)}
    return net, params


def with_params(net, params):
    """``net`` whose output projection carries ``params["w_out"]`` (traced under grad)."""
    return eqx.tree_at(lambda n: n.synapses[0].dense, net, params["w_out"])


def scores(net, params, x):
    """Class scores of one digit ``x`` (64,): mean output membrane potential over the run."""
    res = nd.simulate(with_params(net, params), STEPS * DT, DT, progress=False,
                      inputs={"hid": nd.inputs.constant(x @ params["w_in"])}, record=["out.V_m"])
    return res.traces["out.V_m"].mean(axis=0) * 5.0


def loss(net, params, x, y):
    """Cross-entropy of a batch (x (b, 64), y (b,)), the batch as a vmap over simulate."""
    logits = jax.vmap(lambda xi: scores(net, params, xi))(x)
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(y)), y])


@eqx.filter_jit
def predict(net, params, x):
    """Predicted classes of a batch of digits ``x`` (b, 64); compiled once per network and batch shape."""
    return jnp.argmax(jax.vmap(lambda xi: scores(net, params, xi))(x), axis=-1)


def accuracy(net, params, x, y, batch: int = 512) -> float:
    hits = sum(int(np.sum(np.asarray(predict(net, params, x[i:i + batch])) == y[i:i + batch])) for i in range(0, len(x), batch))
    return hits / len(x)


def train(net, params, x, y, *, epochs: int = 8, batch: int = 64, lr: float = 2e-2, seed: int = 0, eval=None):
    """Adam on the cross-entropy with ``neurodyn.fit`` (minibatches of a fresh shuffle each
    epoch); returns (params, losses per step, History). ``eval(params)``: recorded after
    every epoch (``History.metrics``)."""
    params, history = nd.fit(params, lambda p, batch_: loss(net, p, *batch_), (x, y), learning_rate=lr, epochs=epochs,
                             batch_size=batch, key=jax.random.key(seed), eval=eval)
    return params, np.asarray(history.loss).ravel(), history


def plot_learning_curve(losses, accuracy_value: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.2))
    ax = fig.add_subplot()
    ax.plot(np.arange(1, len(losses) + 1), losses, lw=1)
    ax.set_xlabel("training step (batch of 64 digits)")
    ax.set_ylabel("cross-entropy")
    ax.set_title(f"surrogate-gradient SNN on digits: test accuracy {accuracy_value:.1%}")
    fig.tight_layout()
    return fig


def main(folder: str = "out_learning_surrogate"):
    x_tr, x_te, y_tr, y_te = load_digits()
    net, params = build_network()
    start = time.perf_counter()
    params, losses, history = train(net, params, x_tr, y_tr)
    for e, value in enumerate(history.epoch_loss, 1):
        print(f"epoch {e}: loss {float(value):.3f}")
    acc = accuracy(net, params, x_te, y_te)
    print(f"trained in {time.perf_counter() - start:.1f} s; held-out accuracy {acc:.1%} ({len(y_te)} digits)")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    plot_learning_curve(losses, acc).savefig(out / "learning_curve.png", dpi=120)
    print(f"wrote {out / 'learning_curve.png'}")
    return acc


if __name__ == "__main__":
    main(*sys.argv[1:2])
