"""Amplification of a constant input by a linear rate network.

tau dr/dt = -r + h + W r with symmetric W: the input component along eigenvector e_nu is
amplified by 1/(1 - lambda_nu) and settles with time constant tau/(1 - lambda_nu).

    python examples/rate_amplification.py [out_dir]
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

n, tau = 50, 10.0
rng = np.random.default_rng(0)
Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
lam = np.concatenate([[0.9, 0.5], rng.uniform(-1.0, 0.2, n - 2)])
W = Q @ np.diag(lam) @ Q.T

fig = Figure(figsize=(10, 4), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
t = np.linspace(0, 250, 501)
for nu, color in [(0, "tab:red"), (1, "tab:blue"), (2, "tab:gray")]:
    lin = nd.rate.LinearRateNetwork(W, tau, h=Q[:, nu])           # unit input along mode nu
    c = np.asarray(lin.solve(t)) @ Q[:, nu]
    ax1.plot(t, c, color=color, label=rf"input along $e_{nu}$, $\lambda$ = {lam[nu]:.2f}")
    ax1.axhline(1 / (1 - lam[nu]), color=color, ls=":", lw=1)
    # the same run through the engine (RK4)
    res = nd.simulate(lin, 250.0, 0.5, record=["r"], progress=False)
    ax1.plot(res.t[::20], np.asarray(res.traces["r"])[::20] @ Q[:, nu], "o", color=color, ms=3)
ax1.set_xlabel("time (ms)")
ax1.set_ylabel(r"mode amplitude $c_\nu$")
ax1.set_title("gain 1/(1-λ), time constant τ/(1-λ)")
ax1.legend(frameon=False, fontsize=8)
print(nd.rate.LinearRateNetwork(W, tau).regimes())
nd.plot.eigenvalue_spectrum(lam, ax=ax2, title="eigenvalues of W")
fig.savefig(out / "rate_amplification.png", dpi=120)
print("wrote", out / "rate_amplification.png")
