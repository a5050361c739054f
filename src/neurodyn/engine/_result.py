"""Result of a simulation: record times, traces, spike events; NetCDF round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import numpy as np

from .._files import atomic_path
from ._record import Spikes, unpack_events


class Continuation(eqx.Module):
    """Everything a run needs to go on where another stopped: ``simulate(model, ..., state=res)``
    (or ``state=res.continuation``) continues ``res`` so that the two runs equal one long run.

    - ``state``: the model state (``res.final_state``);
    - ``inputs``: the inputs' own state (OU noise, Poisson counts), kept when the continued
      run's inputs have the same structure;
    - ``step``: the global step counter, so time ``t = step * dt`` and the per-step random
      keys ``fold_in(key, step)`` go on from here;
    - ``key``: the run's key, used when the continued run is given none.
    """

    state: Any
    inputs: Any
    step: Any
    key: Any


class Result(eqx.Module):
    """What ``simulate`` recorded.

    - ``t``: record times (ms), state sampled at the *start* of each recorded step
      (``t = t0`` is the initial state; ``t0 = 0`` unless the run continued another);
    - ``traces[name]``: ``(n_records, n_recorded)``; network variables are named
      ``"population.variable"``;
    - spikes per population, as events (see :attr:`spikes`) and exact per-neuron counts;
    - ``final_state``: the model state at ``t = t0 + duration``;
    - ``continuation``: model state, inputs' state, step counter and key, for
      ``simulate(..., state=res)`` (``None`` for a result loaded from a file).

    A ``Result`` is a PyTree: ``simulate`` under ``jax.vmap`` returns a batched one.
    """

    t: Any
    traces: dict
    spike_counts: dict
    spike_times: dict
    spike_indices: dict
    spike_bits: dict
    final_state: Any
    sizes: tuple = eqx.field(static=True)
    recorded: tuple = eqx.field(static=True)
    duration: float = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    continuation: Continuation | None = None
    t0: float = eqx.field(static=True, default=0.0)

    # -- populations -------------------------------------------------------
    @property
    def populations(self) -> tuple[str, ...]:
        """Names of the spiking populations."""
        return tuple(name for name, _ in self.sizes)

    def _population(self, population):
        names = self.populations
        if population is None:
            if len(names) != 1:
                raise ValueError(
                    f"this result has {len(names)} spiking populations ({', '.join(names) or 'none'}); "
                    f"name one, e.g. res[{names[0]!r}]" if names else "this result has no spikes"
                )
            return names[0]
        if population not in names:
            raise KeyError(f"unknown population {population!r}; expected one of {', '.join(names)}")
        return population

    def __getitem__(self, population: str) -> "Result":
        """Single-population view of a network result."""
        population = self._population(population)
        prefix = population + "."
        keep = lambda d: {k: v for k, v in d.items() if k == population}
        return Result(
            t=self.t,
            traces={k[len(prefix):]: v for k, v in self.traces.items() if k.startswith(prefix)},
            spike_counts=keep(self.spike_counts),
            spike_times=keep(self.spike_times),
            spike_indices=keep(self.spike_indices),
            spike_bits=keep(self.spike_bits),
            final_state=self.final_state,
            sizes=tuple((k, n) for k, n in self.sizes if k == population),
            recorded=tuple((k[len(prefix):], v) for k, v in self.recorded if k.startswith(prefix)),
            duration=self.duration,
            dt=self.dt,
            continuation=self.continuation,
            t0=self.t0,
        )

    # -- spikes ------------------------------------------------------------
    @property
    def spikes(self) -> Spikes:
        """Spike events ``(times [ms], indices, n)`` of the single population."""
        return self.spikes_of(None)

    def spikes_of(self, population: str | None) -> Spikes:
        population = self._population(population)
        n = dict(self.sizes)[population]
        if population not in self.spike_times:
            raise ValueError(f"spikes of {population!r} were not recorded; add 'spikes' to record")
        times = self.spike_times[population]
        if times is None:
            bits = np.asarray(self.spike_bits[population])
            if bits.ndim != 2:
                raise ValueError(
                    f"spikes of a batched result (packed shape {bits.shape}): select one run first, "
                    "e.g. jax.tree.map(lambda x: x[0], res)"
                )
            times, indices = unpack_events(bits, round(self.t0 / self.dt), self.dt)
            return Spikes(times, indices, n)
        return Spikes(np.asarray(times), np.asarray(self.spike_indices[population]), n)

    def rates(self, population: str | None = None):
        """Mean firing rate of each neuron over the run (Hz). Works on batched results."""
        population = self._population(population)
        return self.spike_counts[population] / (self.duration * 1e-3)

    def population_rate(self, bin_size: float = 1.0, population: str | None = None):
        """Population rate in bins of ``bin_size`` ms: ``(bin_centres [ms], rate [Hz])``."""
        if bin_size <= 0 or bin_size > self.duration:
            raise ValueError(f"bin_size must be in (0, duration={self.duration}] ms, got {bin_size}")
        s = self.spikes_of(population)
        edges = self.t0 + np.arange(0.0, self.duration + bin_size * 0.5, bin_size)
        if edges[-1] < self.t0 + self.duration - 1e-9:
            edges = np.append(edges, self.t0 + self.duration)
        counts, _ = np.histogram(s.times, bins=edges)
        widths = np.diff(edges)
        return 0.5 * (edges[1:] + edges[:-1]), counts / (s.n * widths * 1e-3)

    # -- export ------------------------------------------------------------
    def to_xarray(self):
        """An ``xarray.Dataset``: traces over (time, neuron), spikes as events."""
        import xarray as xr

        data, coords = {}, {"time": ("time", np.asarray(self.t))}
        recorded = dict(self.recorded)
        for name, value in self.traces.items():
            value = np.asarray(value)
            if value.ndim != 2:
                raise ValueError(f"to_xarray needs an unbatched result; trace {name!r} has shape {value.shape}")
            neurons = recorded.get(name)
            dim = f"{name}.neuron"
            coords[dim] = (dim, np.arange(value.shape[1]) if neurons is None else np.asarray(neurons))
            data[name] = (("time", dim), value)
        for pop, n in self.sizes:
            if pop in self.spike_times:
                s = self.spikes_of(pop)
                data[f"{pop}.spike_time"] = ((f"{pop}.spike",), s.times, {"units": "ms"})
                data[f"{pop}.spike_index"] = ((f"{pop}.spike",), s.indices)
            data[f"{pop}.spike_count"] = ((f"{pop}.neuron",), np.asarray(self.spike_counts[pop]))
        ds = xr.Dataset(data, coords=coords)
        ds["time"].attrs["units"] = "ms"
        ds.attrs.update(
            duration=self.duration,
            dt=self.dt,
            t0=self.t0,
            populations=",".join(self.populations),
            sizes=",".join(str(n) for _, n in self.sizes),
            recorded_all=",".join(k for k, v in self.recorded if v is None),
            software="neurodyn",
        )
        return ds

    def save(self, path) -> Path:
        """Write NetCDF atomically (temporary file in the same folder, then rename)."""
        ds = self.to_xarray()
        with atomic_path(path) as tmp:
            ds.to_netcdf(tmp, engine="h5netcdf")
        return Path(path)


def load(path) -> Result:
    """Read a result written by :meth:`Result.save`."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no result file at {path}")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        ds = ds.load()
    pops = [p for p in ds.attrs.get("populations", "").split(",") if p]
    sizes = [int(n) for n in str(ds.attrs.get("sizes", "")).split(",") if n]
    all_neurons = set(filter(None, str(ds.attrs.get("recorded_all", "")).split(",")))
    traces, recorded = {}, []
    spike_vars = {f"{p}.{k}" for p in pops for k in ("spike_time", "spike_index", "spike_count")}
    for name in ds.data_vars:
        if name in spike_vars:
            continue
        traces[name] = ds[name].values
        neurons = None if name in all_neurons else tuple(int(i) for i in ds[f"{name}.neuron"].values)
        recorded.append((name, neurons))
    return Result(
        t=ds["time"].values,
        traces=traces,
        spike_counts={p: ds[f"{p}.spike_count"].values for p in pops},
        spike_times={p: ds[f"{p}.spike_time"].values for p in pops if f"{p}.spike_time" in ds},
        spike_indices={p: ds[f"{p}.spike_index"].values.astype(np.int32) for p in pops if f"{p}.spike_index" in ds},
        spike_bits={p: None for p in pops if f"{p}.spike_time" in ds},
        final_state=None,
        sizes=tuple(zip(pops, sizes)),
        recorded=tuple(recorded),
        duration=float(ds.attrs["duration"]),
        dt=float(ds.attrs["dt"]),
        t0=float(ds.attrs.get("t0", 0.0)),
    )
