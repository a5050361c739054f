"""f-I curves of every neuron model (vmapped over currents). Saves out/fi_curves.png.

    python examples/neurons_fi_curves.py [out]
"""

import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd

# (model with n=1, current range in pA, dt in ms)
MODELS = {
    "LIF": (nd.neurons.LIF(n=1), (0.0, 800.0), 0.1),
    "AdaptiveLIF": (nd.neurons.AdaptiveLIF(n=1, b=40.0, tau_w=150.0), (0.0, 800.0), 0.1),
    "ExpIF": (nd.neurons.ExpIF(n=1), (0.0, 1500.0), 0.1),
    "QIF": (nd.neurons.QIF(n=1), (0.0, 300.0), 0.1),
    "AdEx": (nd.neurons.AdEx(n=1), (0.0, 1500.0), 0.1),
    "Izhikevich RS": (nd.neurons.Izhikevich.preset("RS"), (0.0, 20.0), 0.1),
    "Hodgkin-Huxley": (nd.neurons.HodgkinHuxley(n=1), (0.0, 1500.0), 0.01),
    "Traub-Miles": (nd.neurons.TraubMiles(n=1), (0.0, 1000.0), 0.01),
    "Wang-Buzsaki": (nd.neurons.WangBuzsaki(n=1), (0.0, 200.0), 0.01),
    "TwoCompartment": (nd.neurons.TwoCompartment(n=1, parts=()), (0.0, 500.0), 0.1),
}


def main(out="out"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(12, 6), layout="constrained")
    axes = fig.subplots(2, 5).ravel()
    for ax, (name, (model, (lo, hi), dt)) in zip(axes, MODELS.items()):
        currents = jnp.linspace(lo, hi, 25)
        rates = nd.analysis.fi_curve(model, currents, 500.0, dt)
        ax.plot(currents, rates, "o-", ms=3)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("I (pA)" if "Izhikevich" not in name else "I (mV/ms)")
        ax.set_ylabel("rate (Hz)")
        print(f"{name:16s} max rate {np.max(rates):6.1f} Hz")
    fig.savefig(out / "fi_curves.png", dpi=110)
    print(f"wrote {out}/fi_curves.png")


if __name__ == "__main__":
    main(*sys.argv[1:2])
