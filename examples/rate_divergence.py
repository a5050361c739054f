"""Divergence: a mode with lambda > 1 grows as exp((lambda - 1) t / tau).

    python examples/rate_divergence.py [out_dir]
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd

jax.config.update("jax_enable_x64", True)
out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

tau = 10.0
rng = np.random.default_rng(2)
Q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
t = np.linspace(0, 200, 401)
fig = Figure(figsize=(7, 4.5), layout="constrained")
ax = fig.add_subplot()
for lam1, color in [(1.1, "tab:blue"), (1.25, "tab:orange"), (1.5, "tab:red")]:
    lam = np.concatenate([[lam1], rng.uniform(-0.5, 0.8, 9)])
    lin = nd.rate.LinearRateNetwork(Q @ np.diag(lam) @ Q.T, tau)
    mode = lin.regimes().modes[0]
    r = np.asarray(lin.solve(t, r0=0.01 * rng.normal(size=10)))
    ax.semilogy(t, np.linalg.norm(r, axis=1), color=color,
                label=f"λ = {lam1}: growth time τ/(λ-1) = {mode.time_constant:.0f} ms")
    ax.semilogy(t, np.abs(r[-1] @ Q[:, 0]) * np.exp((lam1 - 1) * (t - t[-1]) / tau), ":", color=color)
ax.set_xlabel("time (ms)")
ax.set_ylabel("|r| (log scale)")
ax.set_title("Divergence with rate (λ - 1)/τ (dotted: prediction)")
ax.legend(frameon=False, fontsize=8)
fig.savefig(out / "rate_divergence.png", dpi=120)
print("wrote", out / "rate_divergence.png")
