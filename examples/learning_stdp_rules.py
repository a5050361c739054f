"""Spike-timing rules measured on a network: the pair STDP window (additive, and weight
dependent after Gütig et al. 2003), and the pairing-frequency dependence of the triplet rule
(Pfister & Gerstner 2006, fig. 6; the Sjöström, Turrigiano & Nelson 2001 protocol: 60
pre/post pairings at 0.1-50 Hz, Δt = ±10 ms) next to a pair rule's.
Each synapse gets its own pre/post pair of neurons; a postsynaptic neuron is made to spike
at given times by a voltage kick one step earlier. Saves PNGs to the folder given (default out/).

    python examples/learning_stdp_rules.py [out]
"""

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd
from neurodyn.connectivity import Delta, ExpCurrent, WithSynapses, from_dense


def weight_changes(rule, pre_times, post_times, w0, dt):
    """Δw of independent synapses ``i``: pre neuron spiking at ``pre_times[i]``, post at ``post_times[i]``."""
    n = len(pre_times)
    flat = lambda ts: (np.concatenate(ts), np.repeat(np.arange(n), [len(t) for t in ts]))  # noqa: E731
    (pre_t, pre_i), (post_t, post_i) = flat(pre_times), flat(post_times)
    post = WithSynapses(nd.neurons.LIF(n=n, t_ref=0.0), {"exc": ExpCurrent(tau=10.0), "kick": Delta()})
    w0 = np.broadcast_to(np.asarray(w0, float), (n,))
    net = nd.Network({"In": nd.neurons.SpikeGenerator(n, pre_t, pre_i), "T": nd.neurons.SpikeGenerator(n, post_t - dt, post_i),
                      "E": post},
                     [nd.Projection("In", "E", from_dense(np.diag(w0)), plasticity=rule),
                      nd.Projection("T", "E", from_dense(1e4 * np.eye(n)), target="kick")], dt=dt)
    res = nd.simulate(net, float(max(pre_t.max(), post_t.max())) + dt, dt, progress=False)
    pre, _, w = net.weights(res.final_state, "In->E")
    return np.asarray(w)[np.argsort(pre)] - w0


def window_figure(out: Path):
    lags = np.arange(-60.0, 61.0, 2.0)
    t_pre = 80.0
    additive = nd.plasticity.STDP(tau_pre=17.0, tau_post=34.0, A_pre=0.01, A_post=-0.006, w_min=0.0, w_max=1.0)
    mult = nd.plasticity.MultiplicativeSTDP(tau_pre=17.0, tau_post=34.0, A_pre=0.01, A_post=-0.006, mu=1.0, w_min=0.0, w_max=1.0)
    pre = [np.array([t_pre])] * lags.size
    post = [np.array([t_pre + d]) for d in lags]
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    a, b = fig.subplots(1, 2, sharey=True)
    a.plot(lags, weight_changes(additive, pre, post, 0.5, 0.1), "ko", ms=3, label="simulated")
    a.plot(lags, np.asarray(additive.window(lags)), "r-", lw=1, label="analytic window")
    a.set_title("additive pair STDP (w-independent)", fontsize=9)
    for w0, colour in ((0.1, "C0"), (0.5, "C1"), (0.9, "C2")):
        b.plot(lags, weight_changes(mult, pre, post, w0, 0.1), "o", color=colour, ms=3, label=f"w = {w0} w_max")
        b.plot(lags, np.asarray(mult.window(lags, w0)), "-", color=colour, lw=1)
    b.set_title("multiplicative (Gütig et al. 2003, mu = 1)", fontsize=9)
    for ax in (a, b):
        ax.axhline(0, color="0.7", lw=0.5), ax.axvline(0, color="0.7", lw=0.5)
        ax.set_xlabel("t_post - t_pre (ms)"), ax.legend(fontsize=7, frameon=False)
    a.set_ylabel("Δw (units of w_max)")
    fig.savefig(out / "stdp_windows.png", dpi=110)


def frequency_figure(out: Path):
    freqs = np.array([0.1, 1.0, 5.0, 10.0, 20.0, 40.0, 50.0])
    pairings, dt = 60, 5.0  # every time lies on the 5 ms grid; the traces decay exactly
    triplet = nd.plasticity.TripletSTDP.visual_cortex(interaction="all_to_all", model="minimal", w_min=None, w_max=None)
    pair = nd.plasticity.STDP(tau_pre=16.8, tau_post=33.7, A_pre=0.0046, A_post=-0.003, w_min=None, w_max=None)
    pre, post, cases = [], [], []
    for f in freqs:
        for lag in (10.0, -10.0):
            t = 20.0 + 1000.0 / f * np.arange(pairings) + max(0.0, -lag)
            pre.append(t), post.append(t + lag), cases.append(lag)
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for rule, name, style in ((triplet, "triplet (visual cortex, minimal)", "-"), (pair, "pair STDP", "--")):
        dw = weight_changes(rule, pre, post, 1.0, dt) * 100.0  # % of the initial weight
        for lag, colour in ((10.0, "C3"), (-10.0, "C0")):
            sel = np.array(cases) == lag
            ax.plot(freqs, dw[sel], style, marker="o", ms=3, color=colour, label=f"{name}, Δt = {lag:+.0f} ms")
        print(f"{name}: Δw at 0.1 Hz {dw[0]:+.1f} % / {dw[1]:+.1f} %, at 50 Hz {dw[-2]:+.1f} % / {dw[-1]:+.1f} % (Δt = +10 / -10 ms)")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.set_xscale("log"), ax.set_xlabel("pairing frequency (Hz)"), ax.set_ylabel("Δw after 60 pairings (%)")
    ax.set_title("frequency dependence (Sjöström et al. 2001 protocol)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.savefig(out / "stdp_frequency.png", dpi=110)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    window_figure(out)
    frequency_figure(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
