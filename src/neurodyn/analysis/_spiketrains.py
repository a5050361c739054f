"""The :class:`SpikeTrains` container: many units (and trials) of spike times in one pair of arrays.

A spike train is a sum of delta functions :math:`\\rho(t) = \\sum_i \\delta(t - t_i)`.
``SpikeTrains`` stores every spike of every unit and trial as one event
``(time, unit, trial)`` in flat NumPy arrays, sorted by ``(trial, unit, time)``, so that
every measure in :mod:`neurodyn.analysis.spiketrains` runs over all units and trials at
once (``np.bincount``, ``np.diff``, FFT) instead of looping over Python objects.

Times are in ms (NEST units), rates in Hz.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["SpikeTrains"]


def _as_float(name: str, value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number (ms), got {value!r}") from None
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


@dataclass(frozen=True, eq=False)
class SpikeTrains:
    r"""Spike times of ``n_units`` units over ``n_trials`` trials, on ``[t_start, t_stop]``.

    The spikes are events :math:`(t_k, u_k, r_k)` (time in ms, unit index, trial index),
    stored in three flat arrays sorted by ``(trial, unit, time)``. Build one with

    - :meth:`from_arrays` -- flat ``times``/``units`` (and ``trials``) arrays, any order;
    - :meth:`from_lists` -- one array of spike times per unit (or ``[trial][unit]``);
    - :meth:`from_result` -- the spikes of a :class:`neurodyn.Result`;
    - :func:`neurodyn.io.from_neo` -- a list of ``neo.SpikeTrain``.

    Attributes:
        times: spike times, ms, float64, shape ``(n_spikes,)``.
        units: unit index of each spike, int32, in ``[0, n_units)``.
        trials: trial index of each spike, int32, in ``[0, n_trials)``; ``None`` for a
            single trial.
        n_units: number of units (silent units count).
        n_trials: number of trials (1 when ``trials`` is ``None``).
        t_start, t_stop: observation window, ms; every spike lies in ``[t_start, t_stop]``.
        populations: optional ``((name, first_unit, stop_unit), ...)`` contiguous unit
            ranges, used for per-population colours in rasters and per-population
            summaries.

    Example:
        >>> st = SpikeTrains.from_lists([[1.0, 5.0, 9.0], [2.5]], t_stop=10.0)
        >>> st.n_units, st.n_spikes, st.duration
        (2, 4, 10.0)
        >>> st.unit(0)
        array([1., 5., 9.])
    """

    times: np.ndarray
    units: np.ndarray
    n_units: int
    t_start: float
    t_stop: float
    trials: np.ndarray | None = None
    n_trials: int = 1
    populations: tuple[tuple[str, int, int], ...] | None = None
    _sorted: bool = False

    def __post_init__(self):
        set_ = object.__setattr__
        t_start = _as_float("t_start", self.t_start)
        t_stop = _as_float("t_stop", self.t_stop)
        if not t_stop > t_start:
            raise ValueError(f"t_stop must be > t_start={t_start} ms, got {t_stop}")
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        units = np.asarray(self.units)
        if units.shape != times.shape:
            raise ValueError(f"units must have the shape of times {times.shape}, got {units.shape}")
        if units.size and not np.issubdtype(units.dtype, np.integer):
            if not np.all(np.mod(units, 1) == 0):
                raise TypeError(f"units must be integer unit indices, got dtype {units.dtype}")
        units = units.astype(np.int32, copy=False)
        n_units = int(self.n_units)
        if n_units < 0:
            raise ValueError(f"n_units must be >= 0, got {n_units}")
        if times.size:
            if not np.all(np.isfinite(times)):
                bad = times[~np.isfinite(times)][0]
                raise ValueError(f"spike times must be finite, got {bad}")
            lo, hi = times.min(), times.max()
            if lo < t_start or hi > t_stop:
                bad = lo if lo < t_start else hi
                raise ValueError(
                    f"spike times must lie in [t_start, t_stop] = [{t_start}, {t_stop}] ms, got {bad}"
                )
            umin, umax = units.min(), units.max()
            if umin < 0 or umax >= n_units:
                bad = umin if umin < 0 else umax
                raise ValueError(f"unit indices must lie in [0, n_units={n_units}), got {bad}")
        n_trials = int(self.n_trials)
        trials = self.trials
        if trials is not None:
            trials = np.asarray(trials)
            if trials.shape != times.shape:
                raise ValueError(f"trials must have the shape of times {times.shape}, got {trials.shape}")
            trials = trials.astype(np.int32, copy=False)
            if trials.size:
                tmin, tmax = trials.min(), trials.max()
                if tmin < 0 or tmax >= n_trials:
                    bad = tmin if tmin < 0 else tmax
                    raise ValueError(f"trial indices must lie in [0, n_trials={n_trials}), got {bad}")
        elif n_trials != 1:
            raise ValueError(f"n_trials must be 1 when trials is None, got {n_trials}")
        if n_trials < 1:
            raise ValueError(f"n_trials must be >= 1, got {n_trials}")
        if self.populations is not None:
            pops = tuple((str(n), int(a), int(b)) for n, a, b in self.populations)
            for name, a, b in pops:
                if not 0 <= a <= b <= n_units:
                    raise ValueError(
                        f"population {name!r} must cover units within [0, {n_units}], got [{a}, {b})"
                    )
            set_(self, "populations", pops)
        if not self._sorted:
            row = units.astype(np.int64) if trials is None else trials.astype(np.int64) * n_units + units
            if times.size > 1 and not _is_row_time_sorted(row, times):
                order = _row_time_order(row, times, n_units * n_trials)
                times, units = times[order], units[order]
                if trials is not None:
                    trials = trials[order]
            set_(self, "_sorted", True)
        set_(self, "times", times)
        set_(self, "units", units)
        set_(self, "trials", trials)
        set_(self, "n_units", n_units)
        set_(self, "n_trials", n_trials)
        set_(self, "t_start", t_start)
        set_(self, "t_stop", t_stop)
        for a in (times, units) + (() if trials is None else (trials,)):
            a.flags.writeable = False

    # -- constructors ----------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        times,
        units,
        *,
        n_units: int | None = None,
        t_start: float = 0.0,
        t_stop: float | None = None,
        trials=None,
        n_trials: int | None = None,
        populations=None,
    ) -> SpikeTrains:
        """Build from flat event arrays (any order).

        Args:
            times: spike times, ms.
            units: unit index of each spike (int).
            n_units: number of units; default ``max(units) + 1`` (silent units with higher
                indices are then lost, so pass it for recorded populations).
            t_start: start of the observation window, ms (default 0).
            t_stop: end of the window, ms; default the last spike time.
            trials: optional trial index of each spike.
            n_trials: number of trials; default ``max(trials) + 1``.
            populations: optional ``((name, first_unit, stop_unit), ...)``.
        """
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        units = np.asarray(units).reshape(-1)
        if n_units is None:
            n_units = int(units.max()) + 1 if units.size else 0
        if t_stop is None:
            if not times.size:
                raise ValueError("t_stop must be given when there are no spikes, got None")
            t_stop = float(times.max())
        if trials is not None:
            trials = np.asarray(trials).reshape(-1)
            if n_trials is None:
                n_trials = int(trials.max()) + 1 if trials.size else 1
        else:
            n_trials = 1 if n_trials is None else n_trials
        return cls(times, units, n_units, t_start, t_stop, trials, n_trials, populations)

    @classmethod
    def from_lists(
        cls,
        trains: Sequence,
        *,
        t_start: float = 0.0,
        t_stop: float | None = None,
        sort: bool = False,
        populations=None,
    ) -> SpikeTrains:
        """Build from one array of spike times per unit, or ``trains[trial][unit]``.

        Each unit's times must be sorted (non-decreasing), as in a ``neo.SpikeTrain``
        read from disk; pass ``sort=True`` to sort them instead of raising.

        Args:
            trains: ``[unit] -> times`` or ``[trial][unit] -> times`` (ms).
            t_start, t_stop: the observation window, ms (``t_stop`` defaults to the last spike).
            sort: sort each unit's times instead of raising on unsorted ones.
        """
        trains = list(trains)
        nested = (
            len(trains) > 0
            and all(isinstance(tr, (list, tuple)) for tr in trains)
            and any(len(tr) > 0 and np.ndim(tr[0]) == 1 for tr in trains)
        )
        if nested:
            n_units = len(trains[0])
            for r, tr in enumerate(trains):
                if len(tr) != n_units:
                    raise ValueError(
                        f"every trial must have the same number of units ({n_units}), trial {r} has {len(tr)}"
                    )
            per_unit = [np.asarray(u, dtype=np.float64).reshape(-1) for tr in trains for u in tr]
            n_trials = len(trains)
        else:
            n_units = len(trains)
            per_unit = [np.asarray(u, dtype=np.float64).reshape(-1) for u in trains]
            n_trials = 1
        for k, u in enumerate(per_unit):
            if u.size > 1 and np.any(np.diff(u) < 0):
                if sort:
                    per_unit[k] = np.sort(u)
                    continue
                j = int(np.argmax(np.diff(u) < 0))
                where = f"unit {k % n_units}" + (f" of trial {k // n_units}" if nested else "")
                raise ValueError(
                    f"spike times of {where} must be sorted (non-decreasing), got "
                    f"t[{j}]={u[j]} > t[{j + 1}]={u[j + 1]}; pass sort=True to sort them"
                )
        counts = np.fromiter((u.size for u in per_unit), dtype=np.int64, count=len(per_unit))
        times = np.concatenate(per_unit) if per_unit else np.zeros(0)
        rows = np.repeat(np.arange(len(per_unit), dtype=np.int64), counts)
        if t_stop is None:
            if not times.size:
                raise ValueError("t_stop must be given when there are no spikes, got None")
            t_stop = float(times.max())
        units = (rows % max(n_units, 1)).astype(np.int32)
        trials = (rows // max(n_units, 1)).astype(np.int32) if nested else None
        return cls(times, units, n_units, t_start, t_stop, trials, n_trials, populations, _sorted=True)

    @classmethod
    def from_result(cls, res, population: str | None = None) -> SpikeTrains:
        """The spikes of a :class:`neurodyn.Result` on ``[res.t0, res.t0 + res.duration]``.

        Args:
            res: a simulation result (``res.spikes`` is ``Spikes(times, indices, n)``).
            population: one population's name; ``None`` takes the single-population
                result as it is, or concatenates every population of a network (unit
                indices offset in the order of ``res.populations``; the ranges are kept in
                :attr:`populations` for rasters coloured per population).
        """
        t_start = float(getattr(res, "t0", 0.0) or 0.0)
        t_stop = t_start + float(res.duration)
        pops = tuple(getattr(res, "populations", ()) or ())
        if population is not None:
            if population not in pops:
                raise ValueError(
                    f"population must be one of {pops}, got {population!r}"
                )
            sp = res[population].spikes
            return cls(np.asarray(sp.times), np.asarray(sp.indices), int(sp.n), t_start, t_stop,
                       populations=((population, 0, int(sp.n)),))
        if len(pops) <= 1:
            sp = res.spikes
            name = pops[0] if pops else "all"
            return cls(np.asarray(sp.times), np.asarray(sp.indices), int(sp.n), t_start, t_stop,
                       populations=((name, 0, int(sp.n)),))
        times, units, ranges, offset = [], [], [], 0
        for name in pops:
            sp = res[name].spikes
            times.append(np.asarray(sp.times, dtype=np.float64))
            units.append(np.asarray(sp.indices, dtype=np.int64) + offset)
            ranges.append((name, offset, offset + int(sp.n)))
            offset += int(sp.n)
        return cls(np.concatenate(times), np.concatenate(units), offset, t_start, t_stop,
                   populations=tuple(ranges))

    # -- basic properties --------------------------------------------------------

    @property
    def n_spikes(self) -> int:
        """Total number of spikes (all units and trials)."""
        return int(self.times.size)

    @property
    def duration(self) -> float:
        """``t_stop - t_start``, ms."""
        return self.t_stop - self.t_start

    @property
    def n_rows(self) -> int:
        """Number of (trial, unit) spike trains, ``n_trials * n_units``."""
        return self.n_trials * self.n_units

    @cached_property
    def rows(self) -> np.ndarray:
        """Row index ``trial * n_units + unit`` of each spike (int64), non-decreasing."""
        if self.trials is None:
            out = self.units.astype(np.int64)
        else:
            out = self.trials.astype(np.int64) * self.n_units + self.units
        out.flags.writeable = False
        return out

    @cached_property
    def offsets(self) -> np.ndarray:
        """CSR offsets: the spikes of row ``r`` are ``times[offsets[r]:offsets[r + 1]]``."""
        counts = np.bincount(self.rows, minlength=self.n_rows) if self.n_spikes else np.zeros(self.n_rows, np.int64)
        out = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=out[1:])
        out.flags.writeable = False
        return out

    def counts(self) -> np.ndarray:
        """Spike count of every train, shape ``(n_units,)`` or ``(n_trials, n_units)``."""
        c = np.bincount(self.rows, minlength=self.n_rows) if self.n_spikes else np.zeros(self.n_rows, np.int64)
        return c if self.trials is None else c.reshape(self.n_trials, self.n_units)

    def unit(self, unit: int, trial: int = 0) -> np.ndarray:
        """Spike times (ms) of one unit in one trial (a read-only view)."""
        if not 0 <= unit < self.n_units:
            raise IndexError(f"unit must be in [0, {self.n_units}), got {unit}")
        if not 0 <= trial < self.n_trials:
            raise IndexError(f"trial must be in [0, {self.n_trials}), got {trial}")
        r = trial * self.n_units + unit
        lo, hi = np.searchsorted(self.rows, [r, r + 1])
        return self.times[lo:hi]

    def to_lists(self) -> list:
        """One array per unit (``[unit]``), or ``[trial][unit]`` when there are trials."""
        split = np.split(self.times, self.offsets[1:-1]) if self.n_rows else []
        if self.trials is None:
            return split
        return [split[r * self.n_units:(r + 1) * self.n_units] for r in range(self.n_trials)]

    def __repr__(self) -> str:
        tr = f", n_trials={self.n_trials}" if self.trials is not None else ""
        return (f"SpikeTrains(n_units={self.n_units}{tr}, n_spikes={self.n_spikes}, "
                f"t_start={self.t_start}, t_stop={self.t_stop})")

    # -- selections --------------------------------------------------------------

    def _subset(self, mask, **changes) -> SpikeTrains:
        kw = dict(times=self.times[mask], units=self.units[mask], n_units=self.n_units,
                  t_start=self.t_start, t_stop=self.t_stop,
                  trials=None if self.trials is None else self.trials[mask],
                  n_trials=self.n_trials, populations=self.populations, _sorted=True)
        kw.update(changes)
        return SpikeTrains(**kw)

    def select(self, units: Iterable[int] | slice) -> SpikeTrains:
        """The given units, renumbered ``0..len(units)-1`` in the order given (sorted)."""
        idx = np.arange(self.n_units)[units] if isinstance(units, slice) else np.asarray(list(units), dtype=np.int64)
        idx = np.unique(idx)
        if idx.size and (idx[0] < 0 or idx[-1] >= self.n_units):
            raise IndexError(f"units must be in [0, {self.n_units}), got {idx[0] if idx[0] < 0 else idx[-1]}")
        new = np.full(self.n_units, -1, dtype=np.int64)
        new[idx] = np.arange(idx.size)
        mask = new[self.units] >= 0
        units_new = new[self.units[mask]].astype(np.int32)
        return self._subset(mask, units=units_new, n_units=int(idx.size), populations=None)

    def population(self, name: str) -> SpikeTrains:
        """The units of one named population (see :attr:`populations`)."""
        for pname, a, b in self.populations or ():
            if pname == name:
                out = self.select(slice(a, b))
                return SpikeTrains(out.times, out.units, out.n_units, out.t_start, out.t_stop,
                                   out.trials, out.n_trials, ((name, 0, b - a),), _sorted=True)
        names = tuple(p[0] for p in self.populations or ())
        raise ValueError(f"population must be one of {names}, got {name!r}")

    def time_slice(self, t_start: float, t_stop: float) -> SpikeTrains:
        """Spikes with ``t_start <= t <= t_stop`` (both ends included, as ``neo``)."""
        t_start, t_stop = _as_float("t_start", t_start), _as_float("t_stop", t_stop)
        if t_start < self.t_start or t_stop > self.t_stop:
            raise ValueError(
                f"time_slice window must lie in [{self.t_start}, {self.t_stop}] ms, got [{t_start}, {t_stop}]"
            )
        mask = (self.times >= t_start) & (self.times <= t_stop)
        return self._subset(mask, t_start=t_start, t_stop=t_stop)


def _row_time_order(row: np.ndarray, times: np.ndarray, n_rows: int) -> np.ndarray:
    """Permutation sorting by (row, time): sort by time (skipped when already in time
    order, as simulator output is), then a stable sort by row (radix sort for < 2**16 rows)."""
    if np.all(times[1:] >= times[:-1]):
        order = None
        r = row
    else:
        order = np.argsort(times)
        r = row[order]
    key = r.astype(np.uint16) if n_rows < 2**16 else r
    o2 = np.argsort(key, kind="stable")
    return o2 if order is None else order[o2]


def _is_row_time_sorted(row: np.ndarray, times: np.ndarray) -> bool:
    dr = np.diff(row)
    if np.any(dr < 0):
        return False
    same = dr == 0
    return not np.any(np.diff(times)[same] < 0)


def as_spiketrains(data, *, t_start: float | None = None, t_stop: float | None = None) -> SpikeTrains:
    """Coerce ``data`` (``SpikeTrains``, a ``Result``, a list of per-unit arrays) to :class:`SpikeTrains`."""
    if isinstance(data, SpikeTrains):
        return data
    if hasattr(data, "duration") and hasattr(data, "populations"):  # a Result (networks included)
        return SpikeTrains.from_result(data)
    if isinstance(data, (list, tuple)):
        return SpikeTrains.from_lists(data, t_start=0.0 if t_start is None else t_start, t_stop=t_stop)
    raise TypeError(
        f"spike data must be SpikeTrains, a Result, or a list of per-unit spike-time arrays, got {type(data).__name__}"
    )
