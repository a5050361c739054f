"""`neurodyn run` and `neurodyn analyze` in memory bounded by the simulation's own.

Spike statistics are accumulated over the run one block of spikes at a time
(``neurodyn.analysis._summary.summarize_events``) and figures draw a bounded window, so the
command's peak memory stays within 1.5x that of building and simulating the same config
alone, plus the constant cost of the I/O and plotting libraries. Before, ``summarize``
binned every neuron over the whole run: COBA over 20 s peaked at 873 MB where the
simulation alone took 320 MB (200 s: 4.8 GB against 787 MB).
"""

import math
import resource
import subprocess
import sys

import numpy as np
import pytest

from neurodyn.analysis import SpikeTrains, summarize
from neurodyn.analysis._summary import summarize_events

DURATION_MS = 20000.0
SLACK_MB = 100.0  # matplotlib, xarray and h5netcdf imported; one block of spikes

SIMULATE_ONLY = """
import sys, jax
from neurodyn.configs import path
from neurodyn.engine import simulate
from neurodyn.io._config import load_config
spec = load_config(path("coba"), sys.argv[1:])
res = simulate(spec.model, spec.duration, spec.dt, inputs=spec.inputs, record=spec.record,
               key=jax.random.key(spec.seed), progress=False)
"""


def peak_rss_mb(*command) -> float:
    """Peak resident memory of a command, run in a fresh process of its own (MB)."""
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.exit(p.stderr[-2000:]) if p.returncode else "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return float(proc.stdout.strip().splitlines()[-1])


def test_run_and_analyze_peak_memory_stays_near_the_simulations(tmp_path):
    duration = f"simulation.duration={DURATION_MS}"
    simulate = peak_rss_mb(sys.executable, "-c", SIMULATE_ONLY, duration)
    run = peak_rss_mb(sys.executable, "-m", "neurodyn", "run", "coba", "--quiet", "--out", str(tmp_path), "--set", duration)
    analyze = peak_rss_mb(sys.executable, "-m", "neurodyn", "analyze", str(tmp_path / "results.nc"))
    bound = 1.5 * simulate + SLACK_MB
    assert run < bound, (run, simulate)
    assert analyze < bound, (analyze, simulate)


def _close(a, b, where=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif a is None or b is None:
        assert a is None and b is None, (where, a, b)
    else:
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (where, a, b)


@pytest.mark.parametrize("block_spikes", [1, 37, 1000, 10**9])
def test_block_summary_equals_the_whole_summary(block_spikes):
    """Any block size gives summarize's numbers: bins and interval pairs straddling blocks are carried."""
    rng = np.random.default_rng(3)
    pops, offset, ranges = [], 0, []
    for name, n, rate in (("E", 120, 9.0), ("I", 30, 35.0), ("silent", 4, 0.0)):
        k = rng.poisson(n * rate * 1.5)
        t = np.sort(np.round(rng.uniform(0.0, 1500.0, k), 1))  # shared times and spikes on bin edges
        pops.append((name, t, rng.integers(0, n, k), n))
        ranges.append((name, offset, offset + n))
        offset += n
    st = SpikeTrains.from_arrays(np.concatenate([p[1] for p in pops]),
                                 np.concatenate([p[2] + a for p, (_, a, _) in zip(pops, ranges)]),
                                 n_units=offset, t_stop=1500.0, populations=tuple(ranges))
    expected = summarize(st, bin_size=3.0, fano_window=70.0)
    got = summarize_events(pops, 1500.0, bin_size=3.0, fano_window=70.0, block_spikes=block_spikes)
    _close(expected, got)
    assert expected["populations"]["silent"]["cv"]["n"] == 0 and got["populations"]["E"]["cv"]["n"] > 100


def test_block_summary_refuses_events_out_of_time_order():
    t = np.array([1.0, 5.0, 3.0])
    with pytest.raises(ValueError, match="time order"):
        summarize_events([("a", t, np.zeros(3, int), 1)], 10.0)
