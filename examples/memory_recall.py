"""Recall in a classical Hopfield network: overlaps, energy descent, and the continuous-time network.

Usage: python examples/memory_recall.py [OUT_DIR]   (default out/)
"""

import sys
from pathlib import Path

import jax
import numpy as np

import neurodyn as nd
from neurodyn.memory import Hopfield, corrupt, random_patterns

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

n, p = 400, 20  # load 0.05
xi = random_patterns(jax.random.key(0), p, n)
net = Hopfield(xi)
cues = corrupt(jax.random.key(1), xi[:4], 0.35)

# discrete asynchronous recall, overlaps after every sweep
res = net.recall(cues, mode="async", key=jax.random.key(2), record_overlaps=True, max_sweeps=10)
print("final overlaps with the cued patterns:", np.round(np.diagonal(np.asarray(res.overlaps)[:, :4]), 3))
print("sweeps:", np.asarray(res.sweeps), "fixed points:", np.asarray(res.fixed_point))
nd.plot.overlap_trajectories(res.overlap_trace[0]).savefig(out / "memory_overlaps.png", dpi=120)
nd.plot.energy_descent(res.energy, labels=[f"cue {i}" for i in range(4)]).savefig(out / "memory_energy.png", dpi=120)
nd.plot.pattern_grid(np.stack([cues, res.state, xi[:4]]), (20, 20),
                     row_labels=["cue", "recalled", "stored"]).savefig(out / "memory_patterns.png", dpi=120)

# synchronous updates: a fixed point or a 2-cycle
sync = net.recall(cues, mode="sync")
print("sync: fixed points", np.asarray(sync.fixed_point), "2-cycles", np.asarray(sync.two_cycle))

# the graded-response network through the engine
cont = net.continuous(tau=10.0, gain=4.0).with_cue(cues[0])
sim = nd.simulate(cont, duration=100.0, dt=0.1, record=["u", "V"], progress=False)
m = np.asarray(sim.traces["V"]) @ np.asarray(xi).T / n
nd.plot.overlap_trajectories(m, sim.t, xlabel="time (ms)").savefig(out / "memory_continuous_overlaps.png", dpi=120)
e = np.asarray(cont.energy(sim.traces["u"]))
nd.plot.energy_descent(e, sim.t, xlabel="time (ms)").savefig(out / "memory_continuous_energy.png", dpi=120)
print(f"continuous network: overlap with pattern 0 at 100 ms = {m[-1, 0]:.3f}; energy {e[0]:.2f} -> {e[-1]:.2f}")
