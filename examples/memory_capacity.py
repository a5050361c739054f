"""Capacity of the Hebbian Hopfield network, basins of attraction, spurious states.

The mean final overlap collapses near the critical load 0.138 (Amit, Gutfreund &
Sompolinsky 1985). Usage: python examples/memory_capacity.py [OUT_DIR] [N]
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd
from neurodyn.memory import Hopfield, basin_of_attraction, capacity_curve, random_patterns, spurious_states

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 500

loads = np.round(np.arange(0.04, 0.25, 0.02), 3)
curve = capacity_curve(jax.random.key(0), n, loads, noise=[0.0, 0.1, 0.2], n_trials=3, max_cues=100)
for a, m in zip(loads, curve.overlap):
    print(f"P/N = {a:.2f}: mean final overlap " + ", ".join(f"{x:.3f}" for x in m))
nd.plot.capacity_curves(curve).savefig(out / "memory_capacity.png", dpi=120)

fig = Figure(figsize=(5, 3.5), layout="constrained")
ax = fig.add_subplot()
dist = np.linspace(0.0, 0.5, 11)
for load in (0.02, 0.05, 0.1, 0.13):
    p = int(load * n)
    b = basin_of_attraction(jax.random.key(1), Hopfield(random_patterns(jax.random.key(2), p, n)), dist, n_cues=100)
    ax.plot(dist, b.recall_probability, marker="o", ms=3, label=f"P/N = {load} (radius {b.radius:.2f})")
ax.set_xlabel("cue distance (fraction of bits flipped)")
ax.set_ylabel("recall probability")
ax.legend(fontsize="small")
fig.savefig(out / "memory_basins.png", dpi=120)

s = spurious_states(jax.random.key(3), Hopfield(random_patterns(jax.random.key(4), 5, n)), n_starts=300)
print("random starts end in:", {k: round(v, 3) for k, v in s.fractions.items()})
print("symmetric 3-mixture overlaps:", np.round(s.mixture_overlaps, 3), "(1/2 expected)")
