"""Non-normal transient amplification in a balanced excitatory-inhibitory pair
(Murphy & Miller 2009): W = w [[1, -1], [1, -1]] has both eigenvalues 0, yet a
difference between E and I drives a large transient in the common mode.

    python examples/rate_nonnormal.py [out_dir]
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
t = np.linspace(0, 80, 401)
r0 = np.array([1.0, -1.0]) / np.sqrt(2)   # start in the difference mode r_E - r_I
fig = Figure(figsize=(10, 4), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
for w, color in [(2.0, "tab:blue"), (5.0, "tab:orange"), (10.0, "tab:red")]:
    W = w * np.array([[1.0, -1.0], [1.0, -1.0]])
    lin = nd.rate.LinearRateNetwork(W, tau)
    r = np.asarray(lin.solve(t, r0))
    ax1.plot(t, np.linalg.norm(r, axis=1), color=color, label=f"w = {w:g} (eigenvalues 0, 0)")
    if w == 10.0:
        ax2.plot(t, r[:, 0], color="tab:red", label=r"$r_E$")
        ax2.plot(t, r[:, 1], color="tab:blue", label=r"$r_I$")
normal = nd.rate.LinearRateNetwork(np.zeros((2, 2)), tau)
ax1.plot(t, np.linalg.norm(np.asarray(normal.solve(t, r0)), axis=1), "k--", label="normal W = 0")
ax1.set_xlabel("time (ms)")
ax1.set_ylabel("|r|")
ax1.set_title("transient amplification without unstable modes")
ax1.legend(frameon=False, fontsize=8)
ax2.set_xlabel("time (ms)")
ax2.set_ylabel("rate")
ax2.set_title("w = 10: E and I rise together")
ax2.legend(frameon=False)
fig.savefig(out / "rate_nonnormal.png", dpi=120)
print("wrote", out / "rate_nonnormal.png")
