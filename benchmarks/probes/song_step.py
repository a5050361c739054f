"""Where the Song, Miller & Abbott (2000) network's step goes (a diagnostic, not a benchmark):
the per-step time of the network built up part by part (the first row, one neuron and
nothing else, is about the time loop's own cost per step).

    python benchmarks/probes/song_step.py [--seconds 10] [--cores N]

Each row runs ``--seconds`` of simulated time (dt = 0.1 ms) three times and reports the best.
"""

import argparse
import importlib.util
import time
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=10.0)
ap.add_argument("--cores", type=int, default=None)
args = ap.parse_args()
if args.cores is not None:
    import neurodyn as nd

    nd.use_cpu_cores(args.cores)

import jax  # noqa: E402

import neurodyn as nd  # noqa: E402
from neurodyn.connectivity import all_to_all  # noqa: E402

DT = 0.1
steps = int(round(args.seconds * 1000.0 / DT))
spec = importlib.util.spec_from_file_location("plasticity_stdp", Path(__file__).parents[2] / "examples" / "plasticity_stdp.py")
song = importlib.util.module_from_spec(spec)
spec.loader.exec_module(song)


def best(fn, repeats=3):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) / steps * 1e6


def sim(model, **kw):
    return best(lambda: nd.simulate(model, args.seconds * 1000.0, DT, progress=False, key=jax.random.key(0), **kw).spike_counts)


full = song.network()
lif = full.populations["E"].model
rows = [
    ("1 LIF neuron with its conductance, no inputs", sim(nd.Network({"E": lif}, []))),
    ("+ 1,000 Poisson sources, unconnected", sim(nd.Network({"In": nd.neurons.PoissonSource(1000, rate=song.RATE), "E": lif}, []))),
    ("+ the 1,000 synapses, frozen", sim(nd.Network(
        {"In": nd.neurons.PoissonSource(1000, rate=song.RATE), "E": full.populations["E"].model},
        [nd.Projection("In", "E", all_to_all(), weight=song.G_MAX / 2, target="exc")], seed=1))),
    ("+ additive STDP (the Song network)", sim(full)),
]
print(f"Song 2000 network, per step (best of 3 runs of {args.seconds:g} s, dt = {DT} ms); "
      f"propagation {full.propagation[0]}")
for name, us in rows:
    print(f"  {name:<48} {us:6.2f} us")
