"""Firing patterns: every AdEx preset (Naud et al. 2008), every Izhikevich class (2003),
and the thalamo-cortical cell's rebound burst. Saves PNGs to the folder given (default out/).

    python examples/neurons_patterns.py [out]
"""

import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd
from neurodyn.analysis import classify_firing_pattern

T, DT, ON = 600.0, 0.1, 50.0  # step current from ON to T


def step_trace(model, amplitude):
    res = nd.simulate(model, T, DT, inputs=nd.inputs.steps([0.0, ON], [0.0, amplitude]), record=["V_m", "spikes"],
                      progress=False)
    V = np.asarray(res.traces["V_m"][:, 0])
    return np.asarray(res.t), V, res.spikes.times


def grid(title, rows, path):
    fig = Figure(figsize=(10, 1.6 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), 1, sharex=True)
    for ax, (label, t, V, spikes, V_peak) in zip(axes, rows):
        V = V.copy()
        idx = np.clip(np.round(spikes / DT).astype(int), 0, len(V) - 1)
        V[idx] = V_peak  # draw the cut spikes up to the peak
        ax.plot(t, V, lw=0.7, color="k")
        ax.set_ylabel("V (mV)")
        ax.set_title(f"{label} -> classified: {classify_firing_pattern(spikes, ON, T)}", fontsize=9, loc="left")
    axes[-1].set_xlabel("time (ms)")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)


def main(out="out"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in nd.neurons.AdEx.presets:
        t, V, s = step_trace(nd.neurons.AdEx.preset(name), nd.neurons.AdEx.preset_current(name))
        rows.append((f"AdEx {name}", t, V, s, 0.0))
    grid("AdEx firing patterns (Naud et al. 2008, Table 1)", rows, out / "adex_patterns.png")
    rows = []
    for name, p in nd.neurons.Izhikevich.presets.items():
        t, V, s = step_trace(nd.neurons.Izhikevich.preset(name), p["I"])
        rows.append((f"Izhikevich {name} (published: {p['pattern']})", t, V, s, 30.0))
    grid("Izhikevich (2003) cell classes", rows, out / "izhikevich_patterns.png")

    # rebound: the TC cell hyperpolarised for 200 ms, then released
    tc = nd.neurons.Izhikevich.preset("TC")
    res = nd.simulate(tc, 400.0, DT, inputs=nd.inputs.steps([0.0, 100.0, 300.0], [0.0, -10.0, 0.0]),
                      record=["V_m", "spikes"], progress=False)
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(res.t, res.traces["V_m"][:, 0], color="k", lw=0.8)
    ax.axvspan(100.0, 300.0, color="tab:blue", alpha=0.15, label="-10 pA (hyperpolarising)")
    ax.set_xlabel("time (ms)"), ax.set_ylabel("V (mV)"), ax.legend(loc="upper left")
    ax.set_title(f"Thalamo-cortical rebound burst: spikes at {np.round(res.spikes.times, 1)} ms", fontsize=9)
    fig.savefig(out / "tc_rebound.png", dpi=110)
    print(f"wrote {out}/adex_patterns.png, izhikevich_patterns.png, tc_rebound.png")


if __name__ == "__main__":
    main(*sys.argv[1:2])
