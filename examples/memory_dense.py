"""Dense associative memories: capacity against interaction order n (Krotov & Hopfield 2016).

Usage: python examples/memory_dense.py [OUT_DIR]
"""

import math
import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

from neurodyn.memory import DenseAssociativeMemory, Hopfield, corrupt, dam_capacity, random_patterns

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

sizes = (16, 24, 32, 48, 64)
res = dam_capacity(jax.random.key(0), orders=(2, 3, 4), sizes=sizes)
fig = Figure(figsize=(5, 3.5), layout="constrained")
ax = fig.add_subplot()
for order, cap, expo in zip(res.orders, res.capacity, res.exponent):
    ax.loglog(sizes, cap, marker="o", label=f"n = {order}: slope {expo:.2f}")
    ref = np.array(sizes, float) ** (order - 1) / np.log(sizes)
    ax.loglog(sizes, ref * cap[-1] / ref[-1], ls=":", color="0.5")
    print(f"n = {order}: capacity {cap.astype(int)}, fitted exponent {expo:.2f} "
          f"(N^(n-1)/ln N gives {order - 1 - 1 / math.log(np.exp(np.mean(np.log(sizes)))):.2f})")
ax.set_xlabel("N")
ax.set_ylabel("capacity (patterns)")
ax.legend(fontsize="small")
fig.savefig(out / "memory_dam_capacity.png", dpi=120)

# recall at load 0.4, N = 100: the classical network fails, n >= 3 succeeds
xi = random_patterns(jax.random.key(1), 40, 100)
cues = corrupt(jax.random.key(2), xi, 0.1)
print("N = 100, P = 40, 10 % noise: mean final overlap")
print("  classical", float(np.mean(np.diagonal(np.asarray(Hopfield(xi).recall(cues, key=jax.random.key(3)).overlaps)))))
for F, n in (("poly", 2), ("poly", 3), ("poly", 4), ("exp", 0)):
    dam = DenseAssociativeMemory(xi, F=F, n=max(n, 1), beta=0.5)
    o = dam.recall(cues, key=jax.random.key(3)).overlaps
    print(f"  {F}{n if F == 'poly' else ''}", float(np.mean(np.diagonal(np.asarray(o)))))
