"""Brian2 versions of the reference networks (for tests and the benchmark).

Same equations and parameters as ``neurodyn.examples.coba`` / ``cuba``; Brian2 stamps a
spike at the start of its step and its refractory period counts from there, so it gets
``t_ref + dt`` to match neurodyn's end-of-step convention (see tests/test_brian2.py).
"""

import numpy as np


def brian2_network(kind, n, duration, seed, dt=0.1, target="numpy", standalone_dir=None, p=None):
    import brian2 as b2

    b2.start_scope()
    if standalone_dir is None:
        b2.prefs.codegen.target = target
    b2.defaultclock.dt = dt * b2.ms
    b2.seed(seed)
    ms, mV = b2.ms, b2.mV
    if kind == "coba":
        eqs = """
        dv/dt = (ge * (Ee - v) + gi * (Ei - v) - (v - El) + I) / taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
        dgi/dt = -gi / taui : 1
        """
        ns = dict(Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, I=20 * mV, taum=20 * ms, taue=5 * ms, taui=10 * ms)
        reset, Vr, Vt, we, wi = -60, -60, -50, 0.6, 6.7
        p = 80.0 / n if p is None else p
    else:
        eqs = """
        dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        ns = dict(El=-49 * mV, taum=20 * ms, taue=5 * ms, taui=10 * ms)
        reset, Vr, Vt, we, wi = -60, -60, -50, "1.62*mV", "-9*mV"
        p = 0.02 if p is None else p
    P = b2.NeuronGroup(n, eqs, threshold=f"v > {Vt}*mV", reset=f"v = {reset}*mV", refractory=(5 + dt) * ms,
                       method="exponential_euler", namespace=ns)
    if kind == "coba":
        P.v = "-55*mV + 5*mV*randn()"
    else:
        P.v = f"{Vr}*mV + rand() * ({Vt - Vr})*mV"
    ne = int(round(0.8 * n))
    Ce = b2.Synapses(P[:ne], P, on_pre=f"ge += {we}")
    Ci = b2.Synapses(P[ne:], P, on_pre=f"gi += {wi}")
    Ce.connect(condition="i != j", p=p)
    Ci.connect(condition="i != j + {}".format(ne), p=p)
    mon = b2.SpikeMonitor(P)
    b2.run(duration * ms, namespace=ns)
    return np.asarray(mon.t / ms) + dt, np.asarray(mon.i), ne


def statistics(times, indices, n, t_start, t_stop, bin_ms=5.0):
    """Mean rate (Hz), mean CV of ISIs (neurons with >= 5 spikes), Fano factor of population counts."""
    keep = (times >= t_start) & (times < t_stop)
    times, indices = times[keep], indices[keep]
    rate = len(times) / n / ((t_stop - t_start) * 1e-3)
    order = np.lexsort((times, indices))
    t_sorted, i_sorted = times[order], indices[order]
    cvs = []
    bounds = np.searchsorted(i_sorted, np.arange(n + 1))
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a >= 6:
            isi = np.diff(t_sorted[a:b])
            cvs.append(isi.std() / isi.mean())
    counts = np.histogram(times, bins=np.arange(t_start, t_stop + bin_ms / 2, bin_ms))[0]
    fano = counts.var() / max(counts.mean(), 1e-12)
    return rate, float(np.mean(cvs)) if cvs else np.nan, float(fano)
