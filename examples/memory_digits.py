"""Pattern completion on scikit-learn's bundled handwritten digits (no download):
classical, dense and modern Hopfield memories side by side.

Usage: python examples/memory_digits.py [OUT_DIR]   (needs scikit-learn: pip install 'neurodyn[examples]')
"""

import sys
from pathlib import Path

import jax
import numpy as np

import neurodyn as nd
from neurodyn.memory import digits_completion

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

for corruption, fraction in (("flip", 0.2), ("occlude", 0.4)):
    d = digits_completion(jax.random.key(0), corruption=corruption, fraction=fraction)
    print(f"{corruption} {fraction}: exact completions", {k: round(v, 2) for k, v in d.accuracy.items()},
          "pixel error", {k: round(v, 3) for k, v in d.pixel_error.items()})
    k = 10
    grid = np.stack([d.cues[:k], d.recalled["classical"][:k], d.recalled["dense"][:k],
                     np.sign(d.recalled["modern"][:k]), d.stored[d.targets[:k]]])
    fig = nd.plot.pattern_grid(grid, (8, 8), row_labels=["cue", "classical", "dense (n=6)", "modern", "stored"])
    fig.savefig(out / f"memory_digits_{corruption}.png", dpi=120)
