"""Exchange with ``neo`` (and so Elephant): lists of ``neo.SpikeTrain`` to and from :class:`SpikeTrains`.

``neo`` is an optional dependency (``pip install neurodyn[neo]``), imported when used.
"""

from __future__ import annotations

import numpy as np

from ..analysis._spiketrains import SpikeTrains, as_spiketrains

__all__ = ["to_neo", "from_neo"]


def _import_neo():
    try:
        import neo
        import quantities as pq
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "exchange with neo needs the optional dependency neo: pip install neurodyn[neo]"
        ) from err
    return neo, pq


def to_neo(data) -> list:
    """Spike trains as ``neo.SpikeTrain`` objects (times in ms), ready for Elephant.

    Args:
        data: :class:`SpikeTrains` or a ``neurodyn.Result``.

    Returns:
        ``[neo.SpikeTrain per unit]``, or ``[trial][unit]`` when there are trials. Each train
        carries ``t_start``/``t_stop`` and the annotations ``unit`` (index) and
        ``population`` (name, when known). Times are the same float64 values (ms), so
        ``from_neo(to_neo(st))`` gives back ``st`` exactly.

    Example:
        >>> import elephant.statistics as es                                  # doctest: +SKIP
        >>> es.mean_firing_rate(to_neo(res)[0])                               # doctest: +SKIP
    """
    neo, pq = _import_neo()
    st = as_spiketrains(data)
    pop_of = {}
    for name, a, b in st.populations or ():
        for u in range(a, b):
            pop_of[u] = name
    out = []
    for r, times in enumerate(np.split(st.times, st.offsets[1:-1]) if st.n_rows else []):
        u = r % st.n_units
        ann = {"unit": int(u)}
        if u in pop_of:
            ann["population"] = pop_of[u]
        if st.trials is not None:
            ann["trial"] = int(r // st.n_units)
        out.append(neo.SpikeTrain(np.array(times), units=pq.ms, t_start=st.t_start * pq.ms,
                                  t_stop=st.t_stop * pq.ms, **ann))
    if st.trials is None:
        return out
    return [out[k * st.n_units:(k + 1) * st.n_units] for k in range(st.n_trials)]


def from_neo(trains, *, t_start: float | None = None, t_stop: float | None = None,
             sort: bool = False) -> SpikeTrains:
    """Build :class:`SpikeTrains` from ``neo`` spike trains (rescaled to ms).

    Args:
        trains: a list of ``neo.SpikeTrain`` (one per unit), a list of such lists (one per
            trial), a ``neo.Segment`` (its spike trains) or a ``neo.Block`` (one trial per
            segment).
        t_start, t_stop: the window, ms; default the trains' own, which must then agree.
        sort: sort unsorted trains instead of raising.
    """
    neo, pq = _import_neo()
    if isinstance(trains, neo.Block):
        trains = [list(seg.spiketrains) for seg in trains.segments]
    elif isinstance(trains, neo.Segment):
        trains = list(trains.spiketrains)
    trains = list(trains)
    nested = bool(trains) and all(isinstance(t, (list, tuple)) for t in trains)
    flat = [s for tr in trains for s in tr] if nested else trains
    for k, s in enumerate(flat):
        if not isinstance(s, neo.SpikeTrain):
            raise TypeError(f"trains must hold neo.SpikeTrain objects, item {k} is {type(s).__name__}")

    def window(attr, given):
        if given is not None:
            return float(given)
        vals = np.array([float(getattr(s, attr).rescale(pq.ms).magnitude) for s in flat])
        if not vals.size:
            raise ValueError(f"{attr} must be given for an empty list of trains, got None")
        if np.ptp(vals) > 1e-9 * max(1.0, np.abs(vals).max()):
            raise ValueError(
                f"all trains must share {attr} (got {vals.min()}..{vals.max()} ms); pass {attr}= explicitly"
            )
        return float(vals[0])

    t0, t1 = window("t_start", t_start), window("t_stop", t_stop)

    def ms(s):
        return s.magnitude if s.units == pq.ms else s.rescale(pq.ms).magnitude

    lists = [[ms(s) for s in tr] for tr in trains] if nested else [ms(s) for s in trains]
    pops = _populations_from_annotations(flat if not nested else list(trains[0]))
    return SpikeTrains.from_lists(lists, t_start=t0, t_stop=t1, sort=sort, populations=pops)


def _populations_from_annotations(trains):
    names = [s.annotations.get("population") for s in trains]
    if not names or any(n is None for n in names):
        return None
    ranges, start = [], 0
    for k in range(1, len(names) + 1):
        if k == len(names) or names[k] != names[start]:
            ranges.append((names[start], start, k))
            start = k
    if len({r[0] for r in ranges}) != len(ranges):
        return None  # not contiguous
    return tuple(ranges)
