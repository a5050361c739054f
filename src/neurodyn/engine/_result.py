"""Result of a simulation: record times, traces, spike events; NetCDF round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._files import atomic_path
from .._units import name_unit
from ._record import Spikes, unpack_events
from ._result_file import ResultFileError, open_result


class SimulationError(FloatingPointError):
    """A run produced NaN or infinity. ``partial`` holds the result up to the last finished chunk."""

    def __init__(self, message: str, partial: "Result | None" = None):
        super().__init__(message)
        self.partial = partial


#: what a read inside jit/vmap/grad raises (equinox's error_if takes a fixed message)
_NONFINITE = (
    "the state became non-finite (NaN or inf) during this run under jit/vmap/grad, so its spikes, "
    "rates and traces are not valid; return the Result itself from the transformation to read "
    "first_nonfinite (the step, per run of a batch) and keep the runs where Result.finite holds; "
    "run it outside the transformation to see which variable, or reduce dt, check parameters and inputs"
)


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
    - ``weights[name]``: ``(pre, post, w)`` per synapse of each plastic projection at the
      end of the run (saved and loaded with the result);
    - ``continuation``: model state, inputs' state, step counter and key, for
      ``simulate(..., state=res)`` (``None`` for a result loaded from a file);
    - ``first_nonfinite``: for a run under ``jit``/``vmap``/``grad``, the step after which
      the state first held NaN or infinity (-1: never; one per run of a batch); ``None``
      for an eager run, which raises :class:`SimulationError` instead. Traces, spike
      counts, rates and spikes of a non-finite run raise rather than return numbers.

    A ``Result`` is a PyTree: ``simulate`` under ``jax.vmap`` returns a batched one.
    """

    t: Any
    _traces: dict
    _spike_counts: dict
    spike_times: dict
    spike_indices: dict
    spike_bits: dict
    final_state: Any
    sizes: tuple = eqx.field(static=True)
    recorded: tuple = eqx.field(static=True)
    duration: float = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    units: tuple = eqx.field(static=True, default=())  # (trace name, unit) pairs
    first_nonfinite: Any = None
    continuation: Continuation | None = None
    t0: float = eqx.field(static=True, default=0.0)
    weights: dict = None  # plastic projection -> (pre, post, w) at the end (set to {} by __init__)

    def __init__(self, *, traces: dict, spike_counts: dict, **fields):
        self._traces = traces
        self._spike_counts = spike_counts
        self.weights = fields.pop("weights", None) or {}
        for name, value in fields.items():
            setattr(self, name, value)

    # -- validity ----------------------------------------------------------
    @property
    def finite(self):
        """True when the state stayed finite (an array of flags for a batched result)."""
        first = self.first_nonfinite
        if first is None:
            return True
        return first < 0 if isinstance(first, jax.core.Tracer) else np.asarray(first) < 0

    def _valid(self, x):
        """``x`` read from this result: under a transformation, tied to a runtime error
        if the state became non-finite; otherwise :class:`SimulationError` now."""
        first = self.first_nonfinite
        if first is None:
            return x
        if isinstance(first, jax.core.Tracer):
            bad = jnp.any(first >= 0)
            return jax.tree.map(lambda leaf: eqx.error_if(leaf, bad, _NONFINITE), x)
        first = np.asarray(first)
        if (first >= 0).any():
            step = int(first[first >= 0].min())
            runs = ""
            if first.ndim:
                bad = np.flatnonzero(first.ravel() >= 0)
                runs = f"run{'s' if bad.size > 1 else ''} {', '.join(map(str, bad[:10]))} of the batch: "
            raise SimulationError(
                f"{runs}the state became non-finite (NaN or inf) at t = {step * self.dt:.6g} ms (step {step}) "
                "of this run under jit/vmap/grad, so its spikes, rates and traces are not valid; run it "
                "outside the transformation to see which variable, or reduce dt, check parameters and inputs"
            )
        return x

    @property
    def traces(self) -> dict:
        """Recorded variables: name -> ``(n_records, n_recorded)``."""
        return self._valid(self._traces)

    @property
    def spike_counts(self) -> dict:
        """Spikes per neuron of each population (exact, also when events were not recorded)."""
        return self._valid(self._spike_counts)

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
            traces={k[len(prefix):]: v for k, v in self._traces.items() if k.startswith(prefix)},
            spike_counts=keep(self._spike_counts),
            spike_times=keep(self.spike_times),
            spike_indices=keep(self.spike_indices),
            spike_bits=keep(self.spike_bits),
            final_state=self.final_state,
            sizes=tuple((k, n) for k, n in self.sizes if k == population),
            recorded=tuple((k[len(prefix):], v) for k, v in self.recorded if k.startswith(prefix)),
            duration=self.duration,
            dt=self.dt,
            units=tuple((k[len(prefix):], u) for k, u in self.units if k.startswith(prefix)),
            first_nonfinite=self.first_nonfinite,
            continuation=self.continuation,
            t0=self.t0,
        )

    def unit(self, name: str) -> str:
        """The unit of trace ``name`` (``"mV"``, ``"nS"``, ...; ``""`` when unknown)."""
        return dict(self.units).get(name) or name_unit(name)

    # -- spikes ------------------------------------------------------------
    @property
    def spikes(self) -> Spikes:
        """Spike events ``(times [ms], indices, n)`` of the single population."""
        return self.spikes_of(None)

    def spikes_of(self, population: str | None) -> Spikes:
        population = self._population(population)
        n = dict(self.sizes)[population]
        self._valid(None)
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
        return self._valid(self._spike_counts[population] / (self.duration * 1e-3))

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
    def to_xarray(self, *, config: dict | None = None, seed: int | None = None):
        """An ``xarray.Dataset``: traces over (time, neuron), spikes as events.

        Variables carry ``units`` attributes (time ms, ``V_m`` mV, ...); dimension names
        have no dots (``neuron_E``, ``spike_E``, ``neuron_E_V_m`` for the recorded
        neurons of ``E.V_m``). ``config`` (stored as JSON) and ``seed`` are kept as
        attributes when given.
        """
        import xarray as xr

        data, coords = {}, {"time": ("time", np.asarray(self.t), {"units": "ms"})}
        recorded = dict(self.recorded)
        for name, value in self.traces.items():
            value = np.asarray(value)
            if value.ndim != 2:
                raise ValueError(f"to_xarray needs an unbatched result; trace {name!r} has shape {value.shape}")
            neurons = recorded.get(name)
            dim = "neuron_" + name.replace(".", "_")
            coords[dim] = (dim, np.arange(value.shape[1]) if neurons is None else np.asarray(neurons))
            data[name] = (("time", dim), value, {"units": self.unit(name)} if self.unit(name) else {})
        for pop, n in self.sizes:
            if pop in self.spike_times:
                s = self.spikes_of(pop)
                data[f"{pop}.spike_time"] = ((f"spike_{pop}",), s.times, {"units": "ms"})
                data[f"{pop}.spike_index"] = ((f"spike_{pop}",), s.indices, {"units": "1"})
            data[f"{pop}.spike_count"] = ((f"neuron_{pop}",), np.asarray(self.spike_counts[pop]), {"units": "1"})
        for name, (pre, post, w) in self.weights.items():
            dim = "synapse_" + name
            data[f"{name}.synapse_pre"] = ((dim,), np.asarray(pre), {"units": "1"})
            data[f"{name}.synapse_post"] = ((dim,), np.asarray(post), {"units": "1"})
            data[f"{name}.final_w"] = ((dim,), np.asarray(w), {"units": self.unit(f"{name}.w") or "1"})
        ds = xr.Dataset(data, coords=coords)
        ds.attrs["plastic"] = ",".join(self.weights)
        if config is not None:
            ds.attrs["config"] = json.dumps(config, default=str)
        if seed is not None:
            ds.attrs["seed"] = int(seed)
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

    def save(self, path, *, config: dict | None = None, seed: int | None = None) -> Path:
        """Write NetCDF atomically (temporary file in the same folder, then rename); the
        run's ``config`` and ``seed``, when given, are stored as attributes."""
        ds = self.to_xarray(config=config, seed=seed)
        with atomic_path(path) as tmp:
            ds.to_netcdf(tmp, engine="h5netcdf")
        return Path(path)


def load(path) -> Result:
    """Read a result written by :meth:`Result.save`.

    Raises :class:`ResultFileError` (a ``ValueError``) for a file that is not a neurodyn
    result, is damaged, reads data from outside itself (HDF5 external storage, virtual
    datasets, external links) or declares more data than it holds; nothing large is
    allocated before those checks.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no result file at {path}")
    with open_result(path) as ds:
        try:
            return _result_from(ds.load())
        except (KeyError, ValueError, TypeError, IndexError, OSError) as exc:
            raise ResultFileError(f"{path} is not a readable neurodyn result ({type(exc).__name__}: {exc})") from None


def _result_from(ds) -> Result:
    """The :class:`Result` a loaded dataset written by :meth:`Result.to_xarray` describes."""
    pops = [p for p in ds.attrs.get("populations", "").split(",") if p]
    sizes = [int(n) for n in str(ds.attrs.get("sizes", "")).split(",") if n]
    all_neurons = set(filter(None, str(ds.attrs.get("recorded_all", "")).split(",")))
    traces, recorded, units = {}, [], []
    spike_vars = {f"{p}.{k}" for p in pops for k in ("spike_time", "spike_index", "spike_count")}
    plastic = [p for p in str(ds.attrs.get("plastic", "")).split(",") if p]
    weight_vars = {f"{p}.{k}" for p in plastic for k in ("synapse_pre", "synapse_post", "final_w")}
    for name in ds.data_vars:
        if name in spike_vars or name in weight_vars:
            continue
        traces[name] = ds[name].values
        # the trace's own neuron dimension: "neuron_E_V_m" (older files: "E.V_m.neuron")
        neurons = None if name in all_neurons else tuple(int(i) for i in ds[ds[name].dims[1]].values)
        recorded.append((name, neurons))
        if ds[name].attrs.get("units"):
            units.append((name, str(ds[name].attrs["units"])))
    units += [(f"{p}.w", str(ds[f"{p}.final_w"].attrs["units"])) for p in plastic if ds[f"{p}.final_w"].attrs.get("units")]
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
        units=tuple(units),
        t0=float(ds.attrs.get("t0", 0.0)),
        weights={p: (ds[f"{p}.synapse_pre"].values.astype(np.int32), ds[f"{p}.synapse_post"].values.astype(np.int32),
                     ds[f"{p}.final_w"].values) for p in plastic},
    )
