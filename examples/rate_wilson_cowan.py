"""Wilson-Cowan excitatory-inhibitory pair: phase portrait (nullclines, vector field,
trajectories, fixed points and their stability) and the bifurcation diagram in the
excitatory input h_E.

    python examples/rate_wilson_cowan.py [out_dir]
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd

jax.config.update("jax_enable_x64", True)
dyn = nd.analysis.dynamics
out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

F_E, F_I = nd.rate.Sigmoid(1.0, 1.3, 4.0), nd.rate.Sigmoid(1.0, 2.0, 3.7)


def wc(h_E):
    return nd.rate.RateNetwork.wilson_cowan(16.0, 12.0, 15.0, 3.0, tau_E=10.0, tau_I=10.0,
                                            F_E=F_E, F_I=F_I, h_E=h_E)


h_E = 0.85
pp = dyn.phase_portrait(wc(h_E), (-0.05, 1.0), (-0.05, 1.0), n_grid=18, duration=300.0, dt=0.1,
                        starts=[[0.1, 0.05], [0.5, 0.1], [0.9, 0.9], [0.3, 0.6]],
                        labels=("r_E", "r_I"))
print(pp.fixed_points)
# follow the low-activity branch from h_E = -2 through both folds to h_E = 6
start = dyn.fixed_points(wc(-2.0), bounds=[(0, 1), (0, 1)]).points[0]
branches = [dyn.continuation(wc, start, (-2.0, 6.0), ds=0.02)]
for b in branches[0].bifurcations:
    print(f"{b.kind} at h_E = {b.p:.4f}, r = {np.round(b.x, 4)}")

fig = Figure(figsize=(11, 4.5), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
nd.plot.phase_portrait(pp, ax=ax1, title=f"Wilson-Cowan, h_E = {h_E}")
nd.plot.bifurcation_diagram(branches, ax=ax2, xlabel="h_E", ylabel="r_E", title="continuation in h_E")
fig.savefig(out / "rate_wilson_cowan.png", dpi=120)
print("wrote", out / "rate_wilson_cowan.png")
