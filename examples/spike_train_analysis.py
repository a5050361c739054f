"""Spike-train analysis of a simulated LIF population and of generated renewal trains.

    python examples/spike_train_analysis.py [OUT_DIR]      (default: out/)

Writes spike_summary.png (raster, PSTH, ISI, CV, rate and correlation distributions),
renewal.png (ISI histograms and CV of Poisson, gamma and dead-time trains), and
spikes.nwb (units table and membrane traces, readable with plain pynwb when installed).
"""

import json
import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import neurodyn as nd
from neurodyn import analysis as na


def main(out="out"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    lif = nd.neurons.LIF(n=200, tau_m=20.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
    res = nd.simulate(lif, 2000.0, 0.1, key=jax.random.key(0), progress=False,
                      inputs=nd.inputs.ornstein_uhlenbeck(mean=380.0, sigma=120.0, tau=5.0),
                      record=["V_m", "spikes"])
    st = na.SpikeTrains.from_result(res)
    stats = na.summarize(st)
    print(json.dumps({k: stats[k] for k in ("n_units", "n_spikes", "mean_rate", "cv", "fano", "synchrony_chi")}, indent=1))
    nd.plot.summary(st).savefig(out / "spike_summary.png", dpi=110)

    fig = Figure(figsize=(10, 3), layout="constrained")
    k1, k2, k3 = jax.random.split(jax.random.key(1), 3)
    trains = {
        "Poisson (CV 1)": na.poisson(20.0, 50_000.0, key=k1, n_units=20),
        "gamma k=4 (CV 0.5)": na.gamma(20.0, 4.0, 50_000.0, key=k2, n_units=20),
        "dead time 20 ms (CV 0.6)": na.poisson_dead_time(20.0, 20.0, 50_000.0, key=k3, n_units=20),
    }
    for ax, (name, t) in zip(fig.subplots(1, 3), trains.items()):
        nd.plot.isi_histogram(t, ax=ax, max_isi=200.0)
        ax.set_title(f"{name}: CV = {np.nanmean(na.cv(t)):.2f}", fontsize="small")
    fig.savefig(out / "renewal.png", dpi=110)

    try:
        path = nd.io.write_nwb(res, out / "spikes.nwb", overwrite=True)
        print(f"wrote {path} ({nd.io.read_nwb(path).n_spikes} spikes read back)")
    except ImportError as err:
        print(f"skipping NWB export: {err}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
