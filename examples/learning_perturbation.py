"""Weight perturbation against node perturbation on a two-step rate map r_k = tanh(W r_{k-1}):
how each estimate's variance grows with the network size n (n^2 weights, 2n perturbed
units per example), and how its correlation with the exact gradient (jax.grad) rises with
the number of perturbation samples averaged.

Usage: python examples/learning_perturbation.py [OUT_DIR]   (writes learning_perturbation.png)
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn.learning as nl

SIZES = (4, 8, 16, 32)
SAMPLES = (1, 3, 10, 30, 100, 300, 1000)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_enable_x64", True)  # small sigma: finite differences in float64
    study = nl.perturbation_study(SIZES, jax.random.key(0), steps=2, sigma=1e-4, trials=200)
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    for name, label in (("weight", "weight perturbation"), ("node", "node perturbation")):
        var = [s.relative_variance for s in study[name]]
        slope = np.polyfit(np.log(SIZES), np.log(var), 1)[0]
        print(f"{label}: relative variance of one sample {np.round(var, 1)} at n = {SIZES} (slope {slope:.2f})")
        ax.loglog(SIZES, var, "o-", label=f"{label} (slope {slope:.2f})")
    ax.set(xlabel="network size n", ylabel="variance / |grad|² (one sample)", title="variance against size")
    ax.legend(fontsize=8)

    net, data, per_example, loss = nl.rate_map_problem(16, jax.random.key(1), steps=2)
    g = jax.grad(loss)(net)
    n = SAMPLES[-1] * 4
    draws = {
        "weight perturbation": nl.sample_estimates(lambda k: nl.weight_perturbation(loss, net, k, sigma=1e-4),
                                                   jax.random.key(2), n),
        "node perturbation": nl.sample_estimates(
            lambda k: nl.node_perturbation(net, per_example, data, k, sigma=1e-4)[1], jax.random.key(3), n),
    }
    for label, est in draws.items():
        corr = nl.correlation_by_samples(est, g, SAMPLES)
        print(f"{label}: correlation with jax.grad {np.round(corr, 3)} for {SAMPLES} samples (n = 16)")
        ax2.semilogx(SAMPLES, corr, "o-", label=label)
    ax2.set(xlabel="samples averaged", ylabel="cosine with jax.grad", ylim=(0, 1), title="n = 16, two steps")
    ax2.legend(fontsize=8)
    fig.savefig(out / "learning_perturbation.png", dpi=120)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
