"""Transients are dominated by the largest eigenvalue: after the fast modes have decayed,
|r(t) - r_inf| falls as exp(-(1 - lambda_max) t / tau).

    python examples/rate_transients.py [out_dir]
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

n, tau = 100, 10.0
J = np.asarray(nd.analysis.dynamics.random_connectivity(jax.random.key(0), n, 1.0))
W = 0.45 * (J + J.T) / np.sqrt(2)           # symmetric: real spectrum in about [-0.9, 0.9]
h = np.random.default_rng(3).normal(size=n)
lin = nd.rate.LinearRateNetwork(W, tau, h)
modes = lin.eigenmodes()
lam_max = float(modes.values[0])
t = np.linspace(0, 400, 801)
r = np.asarray(lin.solve(t))
dev = np.linalg.norm(r - np.asarray(lin.steady_state()), axis=1)

fig = Figure(figsize=(10, 4), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
ax1.semilogy(t, dev, color="k", label=r"$|r(t) - r_\infty|$")
ax1.semilogy(t, dev[-1] * np.exp(-(1 - lam_max) * (t - t[-1]) / tau), "--", color="tab:red",
             label=rf"slope $-(1-\lambda_{{max}})/\tau$, $\lambda_{{max}}$ = {lam_max:.2f}")
ax1.set_xlabel("time (ms)")
ax1.set_ylabel("distance to steady state")
ax1.legend(frameon=False)
nd.plot.eigenvalue_spectrum(np.asarray(modes.values), ax=ax2, title="spectrum of W")
fig.savefig(out / "rate_transients.png", dpi=120)
print("wrote", out / "rate_transients.png")
