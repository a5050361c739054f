"""Spike-train analysis: neurodyn against Elephant, side by side, on the same spikes.

    python benchmarks/spiketrains.py [--units 1000] [--rate 10] [--duration 100000] [--repeats 5]

Default: 1,000 Poisson units at 10 Hz for 100 s (about 1,000,000 spikes). Times the
measures named in the issue -- instantaneous rate (Gaussian kernel), PSTH, CV of the ISIs,
binned correlation matrix -- with each library's own data structure already built (the
construction of the ``neo.SpikeTrain`` list and of ``SpikeTrains`` is timed separately),
checks that the two results agree, and prints the ratios. neurodyn's measures are NumPy /
SciPy code, with nothing to compile; its first call is reported as "first".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from _common import git_revision, machine  # noqa: E402


def best_of(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--rate", type=float, default=10.0, help="Hz")
    p.add_argument("--duration", type=float, default=100_000.0, help="ms")
    p.add_argument("--bin", type=float, default=10.0, help="bin / sampling period, ms")
    p.add_argument("--sigma", type=float, default=50.0, help="Gaussian kernel sigma, ms")
    p.add_argument("--repeats", type=int, default=5, help="neurodyn repeats (Elephant: max(2, repeats // 2))")
    p.add_argument("--corr-bins", default="1,50", help="extra bin sizes (ms) for the correlation matrix, '' for none")
    args = p.parse_args(argv)

    import elephant
    import elephant.kernels as ek
    import elephant.statistics as es
    import neo
    import quantities as pq
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient

    import neurodyn.analysis as na

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    T = args.duration
    counts = rng.poisson(args.rate * T * 1e-3, size=args.units)
    trains = [np.sort(rng.uniform(0.0, T, c)) for c in counts]
    n_spikes = int(counts.sum())
    print(f"{args.units} units, {n_spikes} spikes, {T / 1e3:g} s; bin {args.bin:g} ms, Gaussian sigma {args.sigma:g} ms")
    print(f"numpy {np.__version__}, elephant {elephant.__version__}, neo {neo.__version__}; "
          f"{machine()}; neurodyn {git_revision()}; load average {os.getloadavg()[0]:.1f}")

    r_el = max(2, args.repeats // 2)
    t_neo, sts = best_of(lambda: [neo.SpikeTrain(t * pq.ms, t_start=0 * pq.ms, t_stop=T * pq.ms) for t in trains], 1)
    t_nd, st = best_of(lambda: na.SpikeTrains.from_lists(trains, t_stop=T), args.repeats)
    times_flat, units_flat = st.times.copy(), st.units.copy()
    order = np.argsort(times_flat, kind="stable")  # simulator output: time-ordered events
    t_nd_ev, _ = best_of(lambda: na.SpikeTrains.from_arrays(times_flat[order], units_flat[order],
                                                          n_units=args.units, t_stop=T), args.repeats)
    print(f"\nbuild: neo list {t_neo:.3f} s | SpikeTrains.from_lists {t_nd:.3f} s, "
          f"from time-ordered events {t_nd_ev:.3f} s (not in the timings below)\n")

    b, dt, sig = args.bin, args.bin * pq.ms, args.sigma * pq.ms

    def el_rate():
        return es.instantaneous_rate(sts, dt, kernel=ek.GaussianKernel(sig))

    def el_psth():
        return es.time_histogram(sts, dt, output="rate")

    def el_cv():
        return np.array([es.cv(es.isi(s)) for s in sts])

    def el_corr():
        return correlation_coefficient(BinnedSpikeTrain(sts, bin_size=dt))

    cases = [
        ("instantaneous rate", el_rate, lambda: na.instantaneous_rate(st, b, "gaussian", sigma=args.sigma),
         lambda e, n: np.abs(e.rescale(pq.Hz).magnitude.T - n.values).max()),
        ("PSTH (time histogram, Hz)", el_psth, lambda: na.psth(st, b),
         lambda e, n: np.abs(e.rescale(pq.Hz).magnitude.ravel() - n.values).max()),
        ("CV of ISIs", el_cv, lambda: na.cv(st), lambda e, n: np.nanmax(np.abs(e - n))),
        ("binned correlation matrix", el_corr, lambda: na.correlation_coefficient(st, b),
         lambda e, n: np.nanmax(np.abs(e - n))),
    ]
    print(f"{'measure':<28} {'Elephant (s)':>12} {'neurodyn (s)':>12} {'first (s)':>10} {'ratio':>7}  max |diff|")
    rows = []
    for name, el, nd, diff in cases:
        t0 = time.perf_counter()
        nd()
        first = time.perf_counter() - t0
        t_n, out_n = best_of(nd, args.repeats)
        t_e, out_e = best_of(el, r_el)
        ratio = t_e / t_n
        rows.append((name, t_e, t_n, first, ratio))
        print(f"{name:<28} {t_e:>12.3f} {t_n:>12.4f} {first:>10.4f} {ratio:>6.1f}x  {diff(out_e, out_n):.1e}")
    for extra in [float(x) for x in args.corr_bins.split(",") if x.strip()]:
        name = f"correlation, {extra:g} ms bins"
        t_n, out_n = best_of(lambda: na.correlation_coefficient(st, extra), args.repeats)
        t_e, out_e = best_of(lambda: correlation_coefficient(BinnedSpikeTrain(sts, bin_size=extra * pq.ms)), r_el)
        rows.append((name, t_e, t_n, t_n, t_e / t_n))
        print(f"{name:<28} {t_e:>12.3f} {t_n:>12.4f} {'':>10} {t_e / t_n:>6.1f}x  {np.nanmax(np.abs(out_e - out_n)):.1e}")
    return rows


if __name__ == "__main__":
    main()
