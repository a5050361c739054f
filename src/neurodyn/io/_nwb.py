"""Export of spikes and recorded traces to Neurodata Without Borders (NWB) files, and reading them back.

``pynwb`` is an optional dependency (``pip install neurodyn[nwb]``), imported when used.

Layout of a file written by :func:`write_nwb` (plain ``pynwb`` reads it):

- ``units`` table: one row per (unit), column ``spike_times`` in **seconds** (NWB's unit),
  extra columns ``unit_index`` and ``population``;
- with trials, the trials are laid end to end in time (trial ``k`` on
  ``[k*T, (k+1)*T)``, ``T = t_stop - t_start``) and listed in the ``trials`` table;
- ``acquisition``: one ``TimeSeries`` per recorded trace, data ``(n_samples, n_channels)``,
  timestamps in seconds;
- ``scratch/neurodyn_window_ms``: ``[t_start, t_stop]`` in ms, so that the window survives.

Times go ms -> s -> ms, so read-back spike times equal the originals to about 1e-16
relative (one rounding each way), not bit for bit.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np

from .._warn import warn
from ..analysis._rates import Signal
from ..analysis._spiketrains import SpikeTrains, as_spiketrains

__all__ = ["write_nwb", "read_nwb", "read_nwb_traces"]


def _import_pynwb():
    try:
        import pynwb
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError("NWB export needs the optional dependency pynwb: pip install neurodyn[nwb]") from err
    return pynwb


def _traces_of(data, traces):
    """``{name: (t_ms, values (n_samples, n_channels), unit)}`` from a Result and/or a dict."""
    out = {}
    if traces is None and hasattr(data, "traces") and hasattr(data, "t"):
        t = np.asarray(data.t, dtype=np.float64)
        for name, v in dict(data.traces).items():
            out[name] = (t, np.asarray(v), data.unit(name) or "unknown")
    for name, item in (traces or {}).items():
        if isinstance(item, Signal):
            t, v = item
            v = np.asarray(v)
            v = v.T if v.ndim == 2 and v.shape[-1] == len(t) and v.shape[0] != len(t) else v
            out[name] = (np.asarray(t, float), v, "unknown")
        else:
            t, v, *unit = item
            out[name] = (np.asarray(t, float), np.asarray(v), unit[0] if unit else "unknown")
    return out


def write_nwb(
    data,
    path,
    *,
    traces: dict | None = None,
    session_description: str = "neurodyn simulation",
    identifier: str | None = None,
    session_start_time: _dt.datetime | None = None,
    overwrite: bool = False,
) -> Path:
    """Write spikes (and recorded traces) to an NWB file, atomically (temp file + rename).

    Data first, then the path, as in ``to_neo(data)`` and ``Result.save(path)``; the old
    order ``write_nwb(path, data)`` still works, with a ``DeprecationWarning``.

    Args:
        data: :class:`SpikeTrains` or a ``neurodyn.Result`` (its spikes, and its
            ``traces`` with times ``t`` unless ``traces`` is given).
        path: output ``.nwb`` path.
        traces: ``{name: (t_ms, values[, unit])}`` or ``{name: Signal}``; values
            ``(n_samples,)`` or ``(n_samples, n_channels)``.
        session_description, identifier, session_start_time: NWB metadata (defaults: a
            fixed description, a random UUID, now in UTC).
        overwrite: replace an existing file.

    Returns:
        The path written.

    Example:
        >>> write_nwb(res, "run.nwb")                                           # doctest: +SKIP
        >>> import pynwb; pynwb.NWBHDF5IO("run.nwb").read().units.to_dataframe() # doctest: +SKIP
    """
    pynwb = _import_pynwb()
    if isinstance(data, (str, os.PathLike)) and not isinstance(path, (str, os.PathLike)):
        warn("write_nwb(path, data) is deprecated; pass the data first: write_nwb(data, path)", DeprecationWarning)
        data, path = path, data
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"path must not exist (or pass overwrite=True), got existing {str(path)!r}")
    st = as_spiketrains(data)
    nwb = pynwb.NWBFile(
        session_description=session_description,
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=session_start_time or _dt.datetime.now(_dt.timezone.utc),
    )
    T = st.duration
    pop_of = np.full(st.n_units, "", dtype=object)
    for name, a, b in st.populations or ():
        pop_of[a:b] = name
    nwb.add_unit_column(name="unit_index", description="neurodyn unit index")
    nwb.add_unit_column(name="population", description="neurodyn population name")
    if st.trials is not None:
        nwb.add_unit_column(name="spike_trial", description="trial index of each spike", index=True)
    per_row = np.split(st.times, st.offsets[1:-1]) if st.n_rows else []
    for u in range(st.n_units):
        times_ms = [per_row[k * st.n_units + u] + k * T for k in range(st.n_trials)]
        extra = {}
        if st.trials is not None:
            extra["spike_trial"] = np.repeat(np.arange(st.n_trials), [len(x) for x in times_ms]).tolist()
        nwb.add_unit(spike_times=np.concatenate(times_ms) * 1e-3 if times_ms else np.zeros(0),
                     unit_index=u, population=str(pop_of[u]), **extra)
    if st.trials is not None:
        for k in range(st.n_trials):
            nwb.add_trial(start_time=(st.t_start + k * T) * 1e-3, stop_time=(st.t_start + (k + 1) * T) * 1e-3)
    nwb.add_scratch(np.array([st.t_start, st.t_stop], dtype=np.float64), name="neurodyn_window_ms",
                    description="[t_start, t_stop] of the spike trains, ms")
    for name, (t, v, unit) in _traces_of(data, traces).items():
        if v.shape[0] != t.shape[0]:
            raise ValueError(f"trace {name!r} must have one sample per time ({t.shape[0]}), got shape {v.shape}")
        nwb.add_acquisition(pynwb.TimeSeries(name=name, data=v, unit=unit, timestamps=t * 1e-3,
                                             description=f"neurodyn recorded trace {name}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".nwb", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        with pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwb)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_nwb(path) -> SpikeTrains:
    """Read the spikes of an NWB file (one written by :func:`write_nwb`, or any file with a
    ``units`` table) as :class:`SpikeTrains`, times back in ms.
    """
    pynwb = _import_pynwb()
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        if nwb.units is None:
            raise ValueError(f"the NWB file must have a units table, {str(path)!r} has none")
        units = nwb.units
        n_units = len(units)
        per_unit = [np.asarray(units["spike_times"][u], dtype=np.float64) * 1e3 for u in range(n_units)]
        cols = units.colnames
        pops = [str(units["population"][u]) for u in range(n_units)] if "population" in cols else None
        window = None
        if "neurodyn_window_ms" in nwb.scratch:
            window = np.asarray(nwb.scratch["neurodyn_window_ms"].data[:], dtype=np.float64)
        trials = None
        if "spike_trial" in cols:
            trials = [np.asarray(units["spike_trial"][u], dtype=np.int64) for u in range(n_units)]
            n_trials = len(nwb.trials) if nwb.trials is not None else int(max((t.max() for t in trials if t.size), default=0)) + 1
    all_t = np.concatenate(per_unit) if per_unit else np.zeros(0)
    if window is not None:
        t0, t1 = float(window[0]), float(window[1])
    else:
        t0 = 0.0
        t1 = float(all_t.max()) if all_t.size else 1.0
    populations = _ranges(pops) if pops and all(pops) else None
    if trials is None:
        per_unit = [np.clip(x, t0, t1) for x in per_unit]  # undo ms -> s -> ms rounding at the edges
        return SpikeTrains.from_lists(per_unit, t_start=t0, t_stop=t1, sort=True, populations=populations)
    T = t1 - t0
    times = np.concatenate([per_unit[u] - trials[u] * T for u in range(n_units)]) if n_units else np.zeros(0)
    unit = np.repeat(np.arange(n_units), [len(x) for x in per_unit])
    trial = np.concatenate(trials) if n_units else np.zeros(0, np.int64)
    # undo the ms -> s -> ms rounding at the window edges
    times = np.clip(times, t0, t1)
    return SpikeTrains.from_arrays(times, unit, n_units=n_units, t_start=t0, t_stop=t1, trials=trial,
                                   n_trials=n_trials, populations=populations)


def _ranges(names):
    out, start = [], 0
    for k in range(1, len(names) + 1):
        if k == len(names) or names[k] != names[start]:
            out.append((names[start], start, k))
            start = k
    return tuple(out) if len({r[0] for r in out}) == len(out) else None


def read_nwb_traces(path) -> dict:
    """The ``TimeSeries`` in an NWB file's acquisition: ``{name: Signal(t_ms, values)}`` with
    values ``(n_samples, ...)`` as stored.
    """
    pynwb = _import_pynwb()
    out = {}
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        for name, ts in nwb.acquisition.items():
            if not isinstance(ts, pynwb.TimeSeries):
                continue
            data = np.asarray(ts.data[:])
            if ts.timestamps is not None:
                t = np.asarray(ts.timestamps[:], dtype=np.float64) * 1e3
            else:
                t = (ts.starting_time + np.arange(data.shape[0]) / ts.rate) * 1e3
            out[name] = Signal(t, data)
    return out
