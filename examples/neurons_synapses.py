"""Synapses and dendrites: shunting inhibition divides, the NMDA dendritic plateau,
Tsodyks–Markram depression and facilitation. Saves PNGs to the folder given (default out/).

    python examples/neurons_synapses.py [out]
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd
from neurodyn.synapses import ConductanceSynapse, Exponential


def shunting(out):
    """Steady depolarisation vs excitatory current for several inhibitory conductances with
    E_inh = E_L: the curves are scaled copies (division), not shifted copies (subtraction)."""
    currents = np.linspace(0.0, 300.0, 13)
    gs = np.array([0.0, 10.0, 20.0, 40.0])
    I, G = np.meshgrid(currents, gs, indexing="ij")
    inh = ConductanceSynapse(Exponential(10.0), E_rev=-70.0, name="in")
    cell = nd.neurons.AdaptiveLIF(n=I.size, C_m=200.0, g_L=10.0, E_L=-70.0, V_th=1e3, b=0.0, t_ref=0.0,
                                  parts=(inh,), I_e=jnp.asarray(I.ravel()))
    res = nd.simulate(cell, 300.0, 0.1, inputs={"I": nd.inputs.constant(0.0), "in": nd.inputs.constant(jnp.asarray(G.ravel()) / 10.0)},
                      record=["V_m"], progress=False)
    R = (np.asarray(res.traces["V_m"][-1]) + 70.0).reshape(I.shape)
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    a, b = fig.subplots(1, 2)
    for j, g in enumerate(gs):
        a.plot(currents, R[:, j], "o-", ms=3, label=f"g_inh = {g:g} nS")
        b.plot(currents, R[:, j] / R[-1, j], "o-", ms=3)
    a.set_xlabel("excitatory current (pA)"), a.set_ylabel("steady depolarisation (mV)"), a.legend(fontsize=8)
    b.set_xlabel("excitatory current (pA)"), b.set_ylabel("normalised response")
    b.set_title("normalised curves coincide: inhibition divides", fontsize=9)
    fig.savefig(out / "shunting_inhibition.png", dpi=110)


def plateau(out):
    cell = nd.neurons.TwoCompartment(n=1)
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    a, b = fig.subplots(2, 1, sharex=True)
    for k in (2, 4, 6, 8):
        burst = nd.inputs.pulses(amplitude=5.0 / 0.1, start=20.0, width=0.1, period=2.0, count=k)
        res = nd.simulate(cell, 250.0, 0.1, inputs={"I": nd.inputs.constant(0.0), "nmda": burst},
                          record=["V_m", "V_d", "spikes"], progress=False)
        b.plot(res.t, res.traces["V_d"][:, 0], label=f"{k} inputs")
        a.plot(res.t, res.traces["V_m"][:, 0])
    a.set_ylabel("soma V (mV)"), b.set_ylabel("dendrite V_d (mV)"), b.set_xlabel("time (ms)"), b.legend(fontsize=8)
    a.set_title("NMDA plateau: above a threshold number of inputs the dendrite stays depolarised for tens of ms",
                fontsize=9)
    fig.savefig(out / "dendritic_plateau.png", dpi=110)


def stp(out):
    dt, rate, count = 0.1, 20.0, 12
    every = round(1000.0 / rate / dt)
    spikes = jnp.asarray((np.arange(count * every) % every == 0)[:, None])
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    for label, p in (("depressing", dict(U=0.5, tau_F=20.0, tau_D=500.0)), ("facilitating", dict(U=0.1, tau_F=500.0, tau_D=50.0))):
        syn = nd.synapses.TsodyksMarkram(n=1, **p)
        _, r = jax.lax.scan(lambda s, sp: syn.step(s, sp, dt), syn.init_state(), spikes)
        ax.plot(np.arange(count) + 1, np.asarray(r[spikes[:, 0], 0]), "o-", label=label)
    ax.set_xlabel("spike number (20 Hz train)"), ax.set_ylabel("efficacy u x"), ax.legend()
    fig.savefig(out / "tsodyks_markram.png", dpi=110)


def main(out="out"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shunting(out), plateau(out), stp(out)
    print(f"wrote {out}/shunting_inhibition.png, dendritic_plateau.png, tsodyks_markram.png")


if __name__ == "__main__":
    main(*sys.argv[1:2])
