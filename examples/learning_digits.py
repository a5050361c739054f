"""How networks learn: test accuracy per epoch on scikit-learn's bundled digits (8x8 images,
no download) for backprop, feedback alignment, direct feedback alignment, forward-forward
and node perturbation, all on the same kind of small network (64 -> 64 -> 64 -> 10), and a
spiking network (64 -> 64 LIF -> 10) trained by surrogate gradients through ``simulate``
(``learning_surrogate_digits.py``).

Usage: python examples/learning_digits.py [OUT_DIR]   (needs scikit-learn: pip install 'neurodyn[examples]')

Writes OUT_DIR/learning_digits.png and prints the final accuracies. To add a curve (for
instance a surrogate-gradient spiking network), add an entry to ``METHODS``: a function
``(data, epochs, key) -> per-epoch test accuracies``; it is plotted with the others.
"""

import sys
import time
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn.learning as nl

SIZES = (64, 64, 64, 10)
BATCH = 32


def load_digits_split(seed=0, n_train=1347):
    """Pixels scaled to [0, 1]; a fixed random 75 / 25 split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    perm = np.random.default_rng(seed).permutation(len(x))
    train, test = perm[:n_train], perm[n_train:]
    return x[train], d.target[train], x[test], d.target[test]


def _mlp_curve(grad_for):
    """A method that trains the MLP with ``fit``; ``grad_for(net, key)``: its gradient
    estimator (``None``: backprop)."""

    def run(data, epochs, key):
        xtr, ytr, xte, yte = data
        net = nl.MLP(SIZES, key=jax.random.fold_in(key, 0))
        _, hist = nl.fit(net, nl.supervised_loss(nl.cross_entropy), (xtr, ytr), learning_rate=1e-3, epochs=epochs,
                         batch_size=BATCH, key=jax.random.fold_in(key, 1), grad=grad_for(net, jax.random.fold_in(key, 2)),
                         eval=lambda m: nl.accuracy(m, xte, yte))
        return hist.metrics["eval"]

    return run


def forward_forward(data, epochs, key):
    xtr, ytr, xte, yte = data
    ff = nl.ForwardForward(SIZES[:-1], 10, key=jax.random.fold_in(key, 0))
    _, hist = nl.fit(ff, nl.forward_forward_loss, (xtr, ytr), learning_rate=3e-3, epochs=epochs, batch_size=BATCH,
                     key=jax.random.fold_in(key, 1), eval=lambda m: nl.ff_accuracy(m, xte, yte))
    return hist.metrics["eval"]


def spiking(data, epochs, key):
    """The surrogate-gradient spiking network of learning_surrogate_digits.py, on this split."""
    import importlib.util

    path = Path(__file__).with_name("learning_surrogate_digits.py")
    spec = importlib.util.spec_from_file_location("learning_surrogate_digits", path)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    xtr, ytr, xte, yte = data
    net, params = ex.build_network()
    _, _, hist = ex.train(net, params, xtr, ytr, epochs=epochs, seed=int(jax.random.randint(key, (), 0, 2**30)),
                          eval=lambda p: ex.accuracy(net, p, xte, yte))
    return hist.metrics["eval"]


#: name -> (train(data, epochs, key) -> test accuracy per epoch, epochs). The hook for more curves.
METHODS = {
    "backprop": (_mlp_curve(lambda net, key: None), 40),
    "feedback alignment": (_mlp_curve(lambda net, key: nl.FeedbackAlignment(net, nl.cross_entropy, key=key)), 40),
    "direct feedback alignment": (
        _mlp_curve(lambda net, key: nl.DirectFeedbackAlignment(net, nl.cross_entropy, key=key)), 40),
    "forward-forward": (forward_forward, 40),
    "node perturbation": (_mlp_curve(lambda net, key: nl.NodePerturbation(nl.cross_entropy, sigma=1e-2)), 150),
    "spiking, surrogate gradients": (spiking, 8),
}


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    data = load_digits_split()
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for name, (train, epochs) in METHODS.items():
        start = time.perf_counter()
        acc = np.asarray(train(data, epochs, jax.random.key(0)))
        print(f"{name:>26}: test accuracy {acc[-1]:.3f} after {epochs} epochs ({time.perf_counter() - start:.1f} s)")
        ax.plot(np.arange(1, len(acc) + 1), 100 * acc, label=f"{name} ({100 * acc[-1]:.1f} %)")
    ax.axhline(10.0, color="0.6", lw=0.8, ls=":", label="chance")
    ax.set(xscale="log", xlabel="epoch", ylabel="test accuracy (%)", ylim=(0, 100),
           title=f"digits; MLPs {'-'.join(map(str, SIZES))}, spiking 64-64-10")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(out / "learning_digits.png", dpi=120)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
