"""A perfect integrator (line attractor): a mode with lambda = 1 integrates its input.

    python examples/rate_integrator.py [out_dir]
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd

jax.config.update("jax_enable_x64", True)
out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

n, tau = 20, 10.0
rng = np.random.default_rng(1)
Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
lam = np.concatenate([[1.0], rng.uniform(-0.5, 0.5, n - 1)])
W = Q @ np.diag(lam) @ Q.T
e = Q[:, 0]

# two input pulses along the line attractor, then a negative one
pulses = (nd.inputs.pulses(e * 2.0, start=50.0, width=20.0)
          + nd.inputs.pulses(e * 1.0, start=150.0, width=40.0)
          + nd.inputs.pulses(e * -1.5, start=300.0, width=20.0))
lin = nd.rate.LinearRateNetwork(W, tau, h=pulses)
print(lin.regimes())
t = np.linspace(0, 400, 801)
r = np.asarray(lin.solve(t))
res = nd.simulate(lin, 400.0, 0.1, record=["r"], progress=False)

drive = np.asarray(jax.vmap(lambda s: jnp.dot(e, lin.input_at(s)))(t))
integral = np.concatenate([[0.0], np.cumsum((drive[1:] + drive[:-1]) / 2 * np.diff(t))]) / tau

fig = Figure(figsize=(8, 5), layout="constrained")
ax1, ax2 = fig.subplots(2, 1, sharex=True)
ax1.plot(t, drive, color="k")
ax1.set_ylabel(r"input along $e_1$")
ax2.plot(t, r @ e, color="tab:red", lw=2, label="exact solution (eigenmodes)")
ax2.plot(np.asarray(res.t)[::40], (np.asarray(res.traces["r"]) @ e)[::40], "o", ms=3, color="k",
         label="simulate (RK4)")
ax2.plot(t, integral, "--", color="tab:blue", label=r"$\frac{1}{\tau}\int h\,dt$")
ax2.set_xlabel("time (ms)")
ax2.set_ylabel(r"$c_1 = e_1^T r$")
ax2.legend(frameon=False)
fig.suptitle("Line attractor (λ = 1): the network integrates its input")
fig.savefig(out / "rate_integrator.png", dpi=120)
print("wrote", out / "rate_integrator.png")
