"""STDP makes a neuron's input weights bimodal and balances its firing (Song, Miller &
Abbott 2000, Nat Neurosci 3:919, Fig. 2): 1,000 Poisson inputs at 15 Hz onto one
conductance-based LIF neuron, additive pair STDP with slightly stronger depression.
Saves PNGs to the folder given (default out/).

    python examples/plasticity_stdp.py [out] [seconds]
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd
from neurodyn.connectivity import ExpConductance, WithSynapses, all_to_all

N_IN, RATE = 1000, 15.0
G_MAX = 0.1  # nS: 0.01 of the leak conductance (10 nS), as in the paper


def network():
    lif = nd.neurons.LIF(n=1, tau_m=10.0, C_m=100.0, E_L=-74.0, V_th=-54.0, V_reset=-60.0, t_ref=0.0)
    post = WithSynapses(lif, {"exc": ExpConductance(tau=5.0, E_rev=0.0)})
    stdp = nd.plasticity.STDP(tau_pre=20.0, tau_post=20.0, A_pre=0.005 * G_MAX, A_post=-0.005 * 1.05 * G_MAX, w_min=0.0, w_max=G_MAX)
    w0 = nd.connectivity.uniform(0.0, G_MAX)
    return nd.Network({"In": nd.neurons.PoissonSource(N_IN, rate=RATE), "E": post},
                      [nd.Projection("In", "E", all_to_all(), weight=w0, target="exc", plasticity=stdp)], seed=1)


def main(out: Path, seconds: float):
    out.mkdir(parents=True, exist_ok=True)
    net = network()
    res = nd.simulate(net, seconds * 1000.0, 0.1, record=["spikes", "In->E.w"], record_every=10_000, key=jax.random.key(0))
    w = res.weights["In->E"][2] / G_MAX
    rate = res["E"].population_rate(1000.0)
    print(f"final weights: {np.mean(w < 0.1):.0%} below 0.1 g_max, {np.mean(w > 0.9):.0%} above 0.9 g_max; "
          f"output rate {float(rate[1][-1]):.1f} Hz in the last second")
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    a, b, c = fig.subplots(1, 3)
    a.hist(w, bins=40, color="k")
    a.set_xlabel("w / g_max"), a.set_ylabel("synapses"), a.set_title("final weights: bimodal", fontsize=9)
    snapshots = res.traces["In->E.w"] / G_MAX
    b.plot(res.t / 1000.0, snapshots[:, :40], lw=0.6)
    b.set_xlabel("time (s)"), b.set_ylabel("w / g_max"), b.set_title("40 synapses", fontsize=9)
    c.plot(rate[0] / 1000.0, rate[1], "k.-")
    c.set_xlabel("time (s)"), c.set_ylabel("output rate (Hz)"), c.set_title("firing settles", fontsize=9)
    fig.savefig(out / "stdp_bimodal.png", dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"), float(sys.argv[2]) if len(sys.argv) > 2 else 100.0)
