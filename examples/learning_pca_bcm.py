"""Local rate rules learn from data: Oja's rule finds the first principal component,
Sanger's rule the top three (orthonormal), and BCM with a sliding threshold becomes
selective to one of two input patterns (Dayan & Abbott 2001, ch. 8). Saves PNGs to the
folder given (default out/).

    python examples/learning_pca_bcm.py [out]
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd


def data(n=8, samples=4000):
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    X = (rng.normal(size=(samples, n)) * np.array([3.0, 2.0, 1.5, 1.0, 0.6, 0.5, 0.4, 0.3])) @ Q.T
    V = np.linalg.eigh(X.T @ X / samples)[1][:, ::-1]
    return X, V


def cosines(hist, V):
    """|cos| between each row of W (over the history) and its principal component."""
    W = np.asarray(hist)
    return np.abs(np.einsum("tkn,nk->tk", W, V[:, : W.shape[1]])) / np.linalg.norm(W, axis=2)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    X, V = data()
    rng = np.random.default_rng(1)
    oja = nd.learning.run_rule(nd.plasticity.Oja(eta=0.002), X, 0.1 * rng.normal(size=(1, 8)), epochs=3,
                          key=jax.random.key(1), history=100)
    sanger = nd.learning.run_rule(nd.plasticity.Sanger(eta=0.001), X, 0.1 * rng.normal(size=(3, 8)), epochs=6,
                             key=jax.random.key(2), history=100)
    P = np.array([[1.0, 0.2], [0.3, 1.0]])
    bcm = nd.learning.run_rule(nd.plasticity.BCM(eta=0.01, tau_theta=50.0, y0=1.0), np.tile(P, (3000, 1)),
                          np.array([[0.3, 0.35]]), history=2)
    print(f"Oja: |cos| with PC1 {cosines(oja.history, V)[-1, 0]:.4f}, |w| {np.linalg.norm(oja.W):.3f}; "
          f"Sanger: |cos| {np.round(cosines(sanger.history, V)[-1], 4)}; "
          f"BCM responses {np.round(P @ np.asarray(bcm.W[0]), 3)}")

    fig = Figure(figsize=(11, 3.5), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.plot(np.arange(len(oja.history)) * 100, cosines(oja.history, V)[:, 0], label="|cos(w, PC1)|")
    ax1.plot(np.arange(len(oja.history)) * 100, np.linalg.norm(np.asarray(oja.history)[:, 0], axis=1), label="|w|")
    ax1.set(xlabel="samples", title="Oja's rule", ylim=(0, 1.2))
    ax1.legend()
    c = cosines(sanger.history, V)
    for k in range(3):
        ax2.plot(np.arange(len(c)) * 100, c[:, k], label=f"row {k + 1} vs PC{k + 1}")
    ax2.set(xlabel="samples", ylabel="|cos|", title="Sanger's rule (GHA)", ylim=(0, 1.05))
    ax2.legend()
    y = np.asarray(bcm.history)[:, 0] @ P.T
    ax3.plot(np.arange(len(y)) * 2, y[:, 0], label="response to pattern 1")
    ax3.plot(np.arange(len(y)) * 2, y[:, 1], label="response to pattern 2")
    ax3.axhline(2.0, color="gray", ls=":", label="2 y0 (fixed point)")
    ax3.set(xlabel="samples", ylabel="y", title="BCM: selectivity")
    ax3.legend()
    fig.savefig(out / "learning_pca_bcm.png", dpi=120)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
