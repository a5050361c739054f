"""The transition to chaos in random rate networks (Sompolinsky, Crisanti & Sommers 1988).

tau dx/dt = -x + J tanh(x), J_ij ~ N(0, g^2/N): the largest Lyapunov exponent crosses
zero near g = 1, where the spectrum of J (a disk of radius g, the circular law) crosses
Re lambda = 1.

    python examples/rate_chaos.py [out_dir]
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd

dyn = nd.analysis.dynamics
out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

N = 300
J = dyn.random_connectivity(jax.random.key(0), N, 1.0)
x0 = jax.random.normal(jax.random.key(1), (N,))
gs = np.linspace(0.4, 2.4, 11)


def lyap(g):
    net = nd.rate.RateNetwork(g * J, 1.0, nd.rate.Tanh(), r0=x0, form="current")
    return dyn.lyapunov_exponent(net, duration=200.0, dt=0.1, transient=100.0)


lams = np.array([float(lyap(g)) for g in gs])
for g, lam in zip(gs, lams):
    print(f"g = {g:.1f}: largest Lyapunov exponent {lam:+.3f} / tau")

fig = Figure(figsize=(13, 4), layout="constrained")
ax1, ax2, ax3 = fig.subplots(1, 3)
ax1.plot(gs, lams, "o-", color="k")
ax1.axhline(0, color="0.6", lw=1)
ax1.axvline(1, color="tab:red", ls="--", lw=1)
ax1.set_xlabel("g")
ax1.set_ylabel(r"largest Lyapunov exponent (1/$\tau$)")
ax1.set_title("quiescent for g < 1, chaotic for g > 1")
nd.plot.eigenvalue_spectrum(dyn.spectrum(2.0 * J), radius=2.0, ax=ax2, s=6, title="spectrum of J, g = 2")
for g, color in [(0.5, "tab:blue"), (2.0, "tab:red")]:
    net = nd.rate.RateNetwork(g * J, 1.0, nd.rate.Tanh(), r0=x0, form="current")
    res = nd.simulate(net, 60.0, 0.05, record={"x": [0, 1, 2]}, progress=False)
    ax3.plot(res.t, np.asarray(res.traces["x"]), color=color, lw=1)
ax3.set_xlabel(r"time ($\tau$ = 1)")
ax3.set_ylabel("x (3 units)")
ax3.set_title("g = 0.5 (blue) decays, g = 2 (red) fluctuates")
fig.savefig(out / "rate_chaos.png", dpi=120)
print("wrote", out / "rate_chaos.png")
