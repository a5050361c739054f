"""From spikes to rates: a LIF population driven by Poisson input against its rate model.

Left: stationary rate against input rate: simulated LIF population, Siegert formula
(diffusion approximation of the Poisson input), and the f-I curve measured from noiseless
simulation. Right: the synaptically filtered rate model
tau_s dI/dt = -I + h + w r,  tau_r dr/dt = -r + F(I)  with F = Siegert, for a recurrent
excitatory population, relaxing to its self-consistent rate.

    python examples/rate_spike_to_rate.py [out_dir]
"""

import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)

params = dict(tau_m=10.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
lif = nd.neurons.LIF(n=200, I_e=200.0, **params)
input_rates = np.linspace(20.0, 120.0, 11)
comp = nd.rate.compare_lif_rate(lif, input_rates, weight=200.0, n_sources=20, duration=1000.0,
                                dt=0.1, fi_currents=np.linspace(0.0, 800.0, 17), key=jax.random.key(0))
for nu, s, p, f in zip(comp.input_rate, comp.simulated, comp.siegert, comp.fi_curve):
    print(f"input {nu:6.1f} Hz: LIF {s:6.2f} Hz, Siegert {p:6.2f} Hz, f-I curve {f:6.2f} Hz")

fig = Figure(figsize=(11, 4.2), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
ax1.plot(comp.input_rate, comp.simulated, "ko", label="LIF population (simulated)")
ax1.plot(comp.input_rate, comp.siegert, "-", color="tab:red", label="Siegert (noisy input)")
ax1.plot(comp.input_rate, comp.fi_curve, "--", color="tab:blue", label="f-I curve (no noise)")
ax1.set_xlabel("rate of each of the 20 Poisson inputs (Hz)")
ax1.set_ylabel("output rate (Hz)")
ax1.legend(frameon=False)

F = nd.rate.Siegert(sigma=3.0, **params)
for w, color in [(0.0, "tab:gray"), (0.5, "tab:orange"), (1.0, "tab:red")]:
    net = nd.rate.SynapticRateNetwork(np.array([[w]]), tau_s=5.0, tau_r=10.0, F=F,
                                      h=nd.inputs.steps([0.0, 100.0], [300.0, 360.0]), I0=300.0)
    res = nd.simulate(net, 250.0, 0.1, record=["r"], progress=False)
    ax2.plot(res.t, np.asarray(res.traces["r"])[:, 0], color=color, label=f"w = {w} pA/Hz")
ax2.set_xlabel("time (ms)")
ax2.set_ylabel("rate (Hz)")
ax2.set_title("rate model: input step at 100 ms")
ax2.legend(frameon=False)
fig.savefig(out / "rate_spike_to_rate.png", dpi=120)
print("wrote", out / "rate_spike_to_rate.png")
