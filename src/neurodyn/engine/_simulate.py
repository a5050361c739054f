"""``simulate``: the one time loop of neurodyn."""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import inputs as _inputs
from .._files import atomic_path, write_text
from .._params import is_traced
from .._units import variable_unit
from . import _random
from ._model import AbstractDynamics, AbstractModel, advance, variables
from ._record import Spikes, check_neurons, pack, packed_width, parse_record, select, unpack_events, unpack_events_on_device
from ._result import Result, SimulationError
from ._solvers import AbstractSolver

#: Device memory (bytes) that one chunk's recorded buffers may use.
CHUNK_MEMORY = 64 * 2**20


# -- inputs ----------------------------------------------------------------
def _as_sum(x, where="inputs") -> _inputs.Sum:
    if x is None:
        return _inputs.Sum(())
    if isinstance(x, (list, tuple)):
        return _inputs.Sum(tuple(t for item in x for t in _inputs._flatten(item)))
    if isinstance(x, _inputs.AbstractInput):
        return _inputs.Sum(_inputs._flatten(x))
    raise TypeError(f"{where} must be a neurodyn.inputs object or a list of them, got {type(x).__name__}")


class _Drive(eqx.Module):
    """The model's external drive: one summed input, or one per population."""

    inputs: Any
    shape: Any = eqx.field(static=True)

    def _pops(self):
        return self.shape.items() if isinstance(self.shape, dict) else [(None, self.shape)]

    def _get(self, tree, pop):
        return tree if pop is None else tree[pop]

    def _map(self, fn, key=None):
        pops = list(self._pops())
        if key is None or len(pops) == 1:
            keys = [key] * len(pops)
        else:
            keys = [jax.random.fold_in(key, j) for j in range(len(pops))]
        out = {pop: fn(pop, shape, k) for (pop, shape), k in zip(pops, keys)}
        return out[None] if None in out else out

    def init_state(self, key):
        return self._map(lambda p, shape, k: self._get(self.inputs, p).init_state(k, shape), key)

    def update(self, state, t, dt, key):
        return self._map(lambda p, shape, k: self._get(self.inputs, p).update(self._get(state, p), t, dt, k), key)

    def value(self, state, t, dt):
        """The drive now: an array of the model's input shape, or a scalar where every
        element gets the same value (models combine it elementwise)."""

        def one(p, shape, _):
            v = jnp.asarray(self._get(self.inputs, p).value(self._get(state, p), t, dt), dtype=jnp.result_type(float))
            return v if v.ndim == 0 else jnp.broadcast_to(v, shape)

        return self._map(one)


def _make_drive(inputs, shape) -> _Drive:
    if isinstance(shape, dict):
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            raise TypeError(
                f"inputs of a model with populations {', '.join(shape)} must be a dict "
                f"population -> input, got {type(inputs).__name__}"
            )
        unknown = sorted(set(inputs) - set(shape))
        if unknown:
            raise ValueError(f"inputs: unknown population {unknown[0]!r}; expected one of {', '.join(shape)}")
        return _Drive({p: _as_sum(inputs.get(p), f"inputs[{p!r}]") for p in shape}, dict(shape))
    if isinstance(inputs, dict):
        raise TypeError("inputs is a dict, but this model has a single population: pass the input itself")
    return _Drive(_as_sum(inputs), tuple(shape))


def _check_drive(drive: _Drive, dt):
    """Evaluate every input once (abstractly) so shape errors name the input."""
    for pop, shape in drive._pops():
        total = drive._get(drive.inputs, pop)
        for term in total.terms:
            try:
                s = jax.eval_shape(lambda k: term.init_state(k, shape), jax.random.key(0))
                v = jax.eval_shape(lambda st: term.value(st, 0.0, dt), s)
            except Exception as exc:  # noqa: BLE001 - re-raised with the input named
                raise ValueError(f"inputs: {type(term).__name__} failed to evaluate: {exc}") from None
            try:
                np.broadcast_shapes(v.shape, shape)
                ok = len(v.shape) <= len(shape)
            except ValueError:
                ok = False
            if not ok:
                where = "" if pop is None else f" of population {pop!r}"
                raise ValueError(
                    f"inputs: {type(term).__name__} has shape {v.shape}, expected a scalar or "
                    f"shape {shape} to drive the model{where}"
                )


# -- the plan: everything static about a run -------------------------------
@dataclasses.dataclass(frozen=True)
class _Plan:
    dt: float
    n_steps: int
    every: int
    records_per_chunk: int
    traces: tuple  # ((name, neurons or None), ...)
    spiking: tuple  # ((population, n), ...) whose spikes are recorded as events
    counted: tuple  # ((population, n), ...) whose spikes are counted in the loop
    populations: tuple  # ((population, n), ...) every spiking population
    masked: bool
    units: tuple = ()  # ((trace name, unit), ...)
    track_nonfinite: bool = False  # keep the first step whose state is non-finite (runs under jit/vmap/grad)

    @property
    def chunk_steps(self):
        return self.every * self.records_per_chunk


class _Carry(eqx.Module):
    state: Any
    inputs: Any
    step: jax.Array
    counts: dict


def _one_step(model, drive, solver, key, plan: _Plan, carry: _Carry):
    i = carry.step
    t = i * plan.dt
    k_in = jax.random.fold_in(key, i)  # per-step keys do not depend on chunking
    k_model = jax.random.fold_in(k_in, 1)  # dropped by XLA when the model draws nothing
    in_state = jax.lax.optimization_barrier(drive.update(carry.inputs, t, plan.dt, k_in))  # draw once
    state, spikes = advance(model, carry.state, t, plan.dt, lambda s: drive.value(in_state, s, plan.dt), k_model, solver)
    counts = {p: carry.counts[p] + spikes[p].astype(jnp.int32) for p, _ in plan.counted}
    return _Carry(state, in_state, i + 1, counts), spikes


def step_key(key, i):
    """The key ``simulate(..., key=key)`` hands to the model at step ``i`` (``_one_step``'s
    derivation from ``simulate``'s run key); for maps that also run their own loop, such as
    a memory's ``recall`` stopping at a fixed point, so both draw the same numbers."""
    run_key = jax.random.split(key, 3)[2]
    return jax.random.fold_in(jax.random.fold_in(run_key, i), 1)


_init_state_jit = eqx.filter_jit(lambda model, key: model.init_state(key))  # one dispatch, trace cached
_SPIKING: dict = {}


def _spiking_populations(model, drive, solver, key, dt, carry) -> tuple:
    """(population, size) of the spikes one step emits, found by tracing the step once per
    model structure: arrays count by shape and dtype, everything else by value (as jit does)."""
    leaves, treedef = jax.tree.flatten((model, drive, solver, key, dt, carry))
    signature = (treedef, *[(x.shape, x.dtype) if eqx.is_array(x) else x for x in leaves])
    try:
        return _SPIKING[signature]
    except KeyError:
        pass
    except TypeError:  # an unhashable leaf: trace every time
        signature = None
    plan = _Plan(dt, 1, 1, 1, (), (), (), (), False)
    _, spikes = jax.eval_shape(lambda c: _one_step(model, drive, solver, key, plan, c), carry)
    found = tuple((p, int(s.shape[-1])) for p, s in spikes.items())
    if signature is not None:
        if len(_SPIKING) > 64:
            _SPIKING.clear()
        _SPIKING[signature] = found
    return found


def _all_finite(state, quick: bool = False) -> jax.Array:
    """Whether every float of ``state`` is finite. ``quick``: from one plain sum per leaf,
    for every step of a traced run: NaN and infinity always come through, and XLA CPU adds
    a vector up several times faster than it reduces an elementwise test of it (finite
    values sum to infinity only near float's limits, where no run survives)."""
    finite = jnp.array(True)
    for leaf in jax.tree.leaves(eqx.filter(state, eqx.is_inexact_array)):
        finite = finite & (jnp.isfinite(jnp.sum(leaf)) if quick else jnp.all(jnp.isfinite(leaf)))
    return finite


def _run(model, drive, solver, key, carry: _Carry, plan: _Plan, n_records: int):
    """``n_records * every`` steps; returns (carry, traces, packed spikes, all-finite flag),
    or with ``plan.track_nonfinite`` in place of the flag the first step after which the
    state was non-finite (-1: none)."""

    def step(c):
        return _one_step(model, drive, solver, key, plan, c)

    if plan.masked:
        _, spikes_shape = jax.eval_shape(step, carry)

        def guarded(c):
            return jax.lax.cond(
                c.step < plan.n_steps,
                step,
                lambda c_: (c_, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), spikes_shape)),
                c,
            )
    else:
        guarded = step

    def inner(cf, _):
        c, first = cf
        c, spikes = guarded(c)
        if plan.track_nonfinite:
            first = jnp.where((first < 0) & ~_all_finite(c.state, quick=True), c.step, first)
        return (c, first), {p: pack(spikes[p]) for p, _ in plan.spiking}

    def outer(cf, _):
        rec = {name: select(model.read(cf[0].state, name), neurons) for name, neurons in plan.traces}
        cf, packed = jax.lax.scan(inner, cf, None, length=plan.every)
        return cf, (rec, packed)

    (carry, first), (traces, packed) = jax.lax.scan(outer, (carry, jnp.int32(-1)), None, length=n_records)
    packed = {p: v.reshape((-1, v.shape[-1])) for p, v in packed.items()}
    return carry, traces, packed, (first if plan.track_nonfinite else _all_finite(carry.state))


_run_jit = eqx.filter_jit(_run)


# -- diagnostics -------------------------------------------------------------
def _leaf_names(state):
    paths, _ = jax.tree_util.tree_flatten_with_path(eqx.filter(state, eqx.is_inexact_array))
    return [jax.tree_util.keystr(p).lstrip(".").replace("'", "").replace("[", ".").replace("]", "") for p, _ in paths]


def _diagnose(model, drive, solver, key, carry: _Carry, plan: _Plan, steps: int, t_offset_steps: int):
    """Re-run a failed chunk step by step and describe where the first non-finite value appeared."""

    def body(c, _):
        c, _spikes = _one_step(model, drive, solver, key, plan, c)
        leaves = jax.tree.leaves(eqx.filter(c.state, eqx.is_inexact_array))
        bad = jnp.stack([~jnp.all(jnp.isfinite(x)) for x in leaves])
        where = jnp.stack([jnp.argmax(~jnp.isfinite(jnp.ravel(x))) for x in leaves])
        value = jnp.stack([jnp.ravel(x)[w] for x, w in zip(leaves, where)])
        return c, (bad, where, value)

    _, (bad, where, value) = jax.jit(lambda c: jax.lax.scan(body, c, None, length=steps))(carry)
    bad, where, value = map(np.asarray, (bad, where, value))
    names = _leaf_names(carry.state)
    rows = np.argwhere(bad)
    if rows.size == 0:
        return "a non-finite value appeared (could not be localised on re-run)"
    step, leaf = rows[0]
    t = (t_offset_steps + step + 1) * plan.dt
    return (
        f"{names[leaf]} became {value[step, leaf]} at t = {t:.6g} ms (step {t_offset_steps + step + 1}), "
        f"first in element {where[step, leaf]}; reduce dt, check parameters and inputs"
    )


# -- chunking ------------------------------------------------------------
def _chunk_records(n_records_total: int, every: int, bytes_per_step: int, chunk_steps: int | None) -> int:
    if chunk_steps is not None:
        return max(1, int(chunk_steps) // every)
    by_memory = max(1, CHUNK_MEMORY // max(1, bytes_per_step * every))
    # aim for ~20 progress updates, at least 1,000 steps a chunk
    target = min(by_memory, max(math.ceil(n_records_total / 20), math.ceil(1000 / every)))
    target = max(1, min(target, n_records_total))
    for r in range(target, max(1, target // 2) - 1, -1):  # prefer a divisor: no masked steps
        if n_records_total % r == 0:
            return r
    return target


# -- streaming -------------------------------------------------------------
def _atomic_savez(path: Path, **arrays):
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _numerics(model, drive, solver, key, dt) -> str:
    """What a run's numbers depend on besides its arguments: the noise stream and backend,
    and whether a population takes the fused C++ step (``_native/population.cc``, equal to
    the generic step only to float32 rounding), as found in one traced step."""
    state, in_state = jax.eval_shape(model.init_state, key), jax.eval_shape(drive.init_state, key)
    carry = _Carry(state, in_state, jax.ShapeDtypeStruct((), jnp.int32), {})
    plan = _Plan(dt, 1, 1, 1, (), (), (), (), False)
    step = str(jax.make_jaxpr(lambda c: _one_step(model, drive, solver, key, plan, c))(carry))
    return f"noise {_random.STREAM} on {jax.default_backend()}; fused population step: {'neurodyn_lif_exp_f32' in step}"


def _signature(model, drive, key, plan: _Plan, solver) -> str:
    h = hashlib.sha256()
    h.update(_numerics(model, drive, solver, key, plan.dt).encode())
    h.update(repr(plan).encode())
    h.update(repr(type(solver)).encode())
    for tree in (model, drive):
        dyn, static = eqx.partition(tree, eqx.is_array)
        h.update(str(jax.tree.structure(static)).encode())
        for leaf in jax.tree.leaves(dyn):
            h.update(np.asarray(leaf).tobytes())
    h.update(np.asarray(jax.random.key_data(key)).tobytes())
    return h.hexdigest()


class _Stream:
    """Chunk files + checkpoint in a folder; lets an interrupted run resume."""

    def __init__(self, folder, signature: str, resume: bool):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.signature = signature
        meta = self.folder / "run.json"
        self.done = 0
        if resume and meta.exists():
            info = json.loads(meta.read_text())
            if info.get("signature") != signature:
                raise ValueError(
                    f"stream_to: {self.folder} holds chunks of a different run "
                    "(model, inputs, key, plan, noise stream or C++ kernels in use differ); "
                    "use another folder or resume=False"
                )
            self.done = int(info["chunks_done"])
        elif meta.exists() and not resume:
            for old in self.folder.glob("chunk_*.npz"):
                old.unlink()
            (self.folder / "checkpoint.npz").unlink(missing_ok=True)

    def load_checkpoint(self, carry: _Carry) -> _Carry:
        data = np.load(self.folder / "checkpoint.npz")
        leaves, treedef = jax.tree.flatten(carry)
        return jax.tree.unflatten(treedef, [jnp.asarray(data[f"leaf{i}"]) for i in range(len(leaves))])

    def chunks(self):
        for c in range(self.done):
            with np.load(self.folder / f"chunk_{c:06d}.npz") as data:
                yield {k: data[k] for k in data.files}

    def write(self, c: int, chunk: dict, carry: _Carry):
        _atomic_savez(self.folder / f"chunk_{c:06d}.npz", **chunk)
        leaves = jax.tree.leaves(carry)
        _atomic_savez(self.folder / "checkpoint.npz", **{f"leaf{i}": np.asarray(x) for i, x in enumerate(leaves)})
        write_text(self.folder / "run.json", json.dumps({"signature": self.signature, "chunks_done": c + 1}))


# -- the public entry point ----------------------------------------------
def simulate(
    model: AbstractModel,
    duration: float,
    dt: float,
    *,
    inputs=None,
    record=None,
    record_every: int = 1,
    key=None,
    progress: bool = True,
    solver: AbstractSolver | None = None,
    state=None,
    chunk_steps: int | None = None,
    stream_to=None,
    resume: bool = False,
) -> Result:
    """Simulate ``model`` for ``duration`` ms with time step ``dt`` ms.

    Args:
        model: any neurodyn model (``AbstractDynamics`` or ``AbstractMap``).
        duration: simulated time, ms (a multiple of ``dt``).
        dt: time step, ms. Must not exceed any of the model's time constants.
        inputs: a ``neurodyn.inputs`` object, a list of them (summed), or for a network a
            dict population -> input(s).
        record: variables to record: a name, a list of names (``"spikes"`` for spike
            events) or a dict name -> neuron indices. Default: spikes of a spiking model,
            otherwise every continuous state variable.
        record_every: record traces every this many steps.
        key: ``jax.random`` key for the initial state, noise and stochastic inputs
            (default ``jax.random.key(0)``); the same key gives the same run on the same
            platform, with or without a C++ compiler (noise: ``neurodyn.engine._random``).
        progress: show a progress bar advancing per chunk.
        solver: override the model's default integrator.
        state: initial state (default ``model.init_state(key)``).
        chunk_steps: steps per compiled chunk (default: from a memory budget).
        stream_to: folder; each finished chunk is written there atomically, so an
            interrupted run keeps its chunks, and ``resume=True`` continues it.

    Returns:
        a :class:`Result`. Under ``jit``/``vmap``/``grad`` the whole run is one
        ``lax.scan`` and the result's spikes stay bit-packed until read.

    Example::

        lif = nd.neurons.LIF(n=100, I_e=400.0)
        res = nd.simulate(lif, duration=1000.0, dt=0.1, record=["spikes", "V_m"])
        res.rates().mean()
    """
    if not isinstance(model, AbstractModel):
        raise TypeError(f"model must be a neurodyn model (AbstractModel), got {type(model).__name__}")
    duration, dt, n_steps = _check_times(duration, dt)
    _check_dt(model, dt)
    if not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ValueError(f"record_every must be a positive integer number of steps, got {record_every!r}")
    every = int(record_every)
    key = jax.random.key(0) if key is None else key
    if solver is None:
        solver = getattr(model, "default_solver", None) if isinstance(model, AbstractDynamics) else None
    if solver is not None and not isinstance(solver, AbstractSolver):
        raise TypeError(f"solver must be a neurodyn solver (e.g. neurodyn.RK4()), got {type(solver).__name__}")

    k_state, k_inputs, k_run = jax.random.split(key, 3)
    drive = _make_drive(inputs, model.input_shape)
    _check_drive(drive, dt)
    if state is None:
        state = _init_state_jit(model, k_state)
    in_state = _init_state_jit(drive, k_inputs)

    # Learn the spike structure and recordable variables without running anything.
    probe = _Carry(state, in_state, jnp.asarray(0, jnp.int32), {})
    populations = _spiking_populations(model, drive, solver, k_run, dt, probe)
    continuous = [v for v in variables(state) if eqx.is_inexact_array(getattr(state, v, None))]
    traces, want_spikes = parse_record(record, continuous, bool(populations))
    for name, neurons in traces.items():
        shape = jax.eval_shape(lambda s: model.read(s, name), state).shape
        check_neurons(name, neurons, shape)

    n_records_total = -(-n_steps // every)
    bytes_per_step = sum(packed_width(n) for _, n in populations) if want_spikes else 0
    for name, neurons in traces.items():
        size = np.prod(jax.eval_shape(lambda s: model.read(s, name), state).shape, dtype=int) if neurons is None else len(neurons)
        bytes_per_step += int(size) * 4 // every
    traced = _inside_transformation() or is_traced((model, drive, key, state))
    records_per_chunk = n_records_total if traced else _chunk_records(n_records_total, every, bytes_per_step, chunk_steps)
    n_chunks = -(-n_records_total // records_per_chunk)
    plan = _Plan(
        dt=dt,
        n_steps=n_steps,
        every=every,
        records_per_chunk=records_per_chunk,
        traces=tuple(traces.items()),
        spiking=populations if want_spikes else (),
        # counts come from the events on the host, unless events stay on the device
        counted=populations if (traced or not want_spikes) else (),
        populations=populations,
        masked=n_chunks * records_per_chunk * every != n_steps,
        units=tuple((name, variable_unit(model, name)) for name in traces),
        track_nonfinite=traced,
    )
    counts = {p: jnp.zeros((n,), jnp.int32) for p, n in plan.counted}
    carry = _Carry(state, in_state, jnp.asarray(0, jnp.int32), counts)

    if traced:
        if stream_to is not None:
            raise ValueError("stream_to cannot be used under jit/vmap/grad (the run is not on the host)")
        carry, rec, packed, first_nonfinite = _run(model, drive, solver, k_run, carry, plan, n_records_total)
        return Result(
            t=jnp.arange(n_records_total) * (every * dt),
            traces=rec,
            spike_counts=_counts(plan, carry, {}),
            spike_times={p: None for p, _ in plan.spiking},
            spike_indices={p: None for p, _ in plan.spiking},
            spike_bits={p: packed[p][:n_steps] for p, _ in plan.spiking},
            final_state=carry.state,
            sizes=plan.populations,
            recorded=plan.traces,
            duration=duration,
            dt=dt,
            units=plan.units,
            first_nonfinite=first_nonfinite,
        )
    return _run_eager(model, drive, solver, k_run, carry, plan, n_chunks, progress, stream_to, resume, duration)


def _inside_transformation() -> bool:
    """True under jit, vmap, grad or any other JAX transformation."""
    try:
        from jax._src.core import trace_state_clean

        return not trace_state_clean()
    except ImportError:  # older/newer JAX: staging check (misses closed-over tracers under grad)
        return isinstance(jnp.zeros(()) + 0, jax.core.Tracer)


def _check_times(duration, dt):
    for name, value in (("duration", duration), ("dt", dt)):
        if isinstance(value, jax.core.Tracer):
            raise TypeError(f"{name} must be a Python number (it fixes the number of steps), got a traced value")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a number of ms, got {type(value).__name__}") from None
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be > 0 ms, got {value}")
    duration, dt = float(duration), float(dt)
    n_steps = round(duration / dt)
    if n_steps < 1 or abs(n_steps * dt - duration) > 1e-6 * max(duration, dt):
        raise ValueError(f"duration must be a whole number of steps of dt={dt} ms, got duration={duration} ms")
    return duration, dt, n_steps


def _check_dt(model, dt):
    for name, tau in model.time_constants().items():
        if is_traced(tau):
            continue
        smallest = float(np.min(np.asarray(tau)))
        if dt > smallest:
            raise ValueError(
                f"dt={dt} ms is larger than the time constant {name}={smallest} ms; "
                f"expected dt <= {name} (ideally dt <= {name}/10)"
            )


def _run_eager(model, drive, solver, key, carry, plan: _Plan, n_chunks, progress, stream_to, resume, duration):
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    L = plan.chunk_steps
    trace_parts = {name: [] for name, _ in plan.traces}
    spike_parts = {p: ([], []) for p, _ in plan.spiking}
    stream = None
    first = 0
    if stream_to is not None:
        stream = _Stream(stream_to, _signature(model, drive, key, plan, solver), resume)
        if stream.done:
            carry = stream.load_checkpoint(carry)
            for chunk in stream.chunks():
                _collect(chunk, trace_parts, spike_parts)
            first = stream.done

    bar = tqdm(total=round(duration, 6), unit="ms", disable=not progress, leave=False,
               bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} ms [{elapsed}<{remaining}]")
    bar.update(min(first * L, plan.n_steps) * plan.dt)
    # Chunks are dispatched ahead; finished ones are moved to the host and decoded by a
    # few threads while the device runs the next ones.
    workers = max(1, min(4, (os.cpu_count() or 1) // 2))
    depth = workers + 1
    pending = collections.deque()

    def finish(item):
        c, start_carry, end_carry, finite, decoded = item
        if not bool(finite):
            for other in pending:
                other[4].cancel()
            steps_before = c * L
            where = _diagnose(model, drive, solver, key, start_carry, plan, min(L, plan.n_steps - steps_before), steps_before)
            partial = _assemble(plan, trace_parts, spike_parts, start_carry, steps_before, duration)
            raise SimulationError(f"simulation diverged: {where}", partial)
        chunk = decoded.result()
        _collect(chunk, trace_parts, spike_parts)
        if stream is not None:
            stream.write(c, chunk, end_carry)
        bar.update(min(L, plan.n_steps - c * L) * plan.dt)

    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="neurodyn-decode") as pool:
            for c in range(first, n_chunks):
                end_carry, rec, packed, finite = _run_jit(model, drive, solver, key, carry, plan, plan.records_per_chunk)
                pending.append((c, carry, end_carry, finite, pool.submit(_chunk_arrays, plan, c, rec, packed)))
                carry = end_carry
                while len(pending) > depth:
                    finish(pending.popleft())
            while pending:
                finish(pending.popleft())
    finally:
        bar.close()
    return _assemble(plan, trace_parts, spike_parts, carry, plan.n_steps, duration)


def _chunk_arrays(plan: _Plan, c: int, rec, packed) -> dict:
    """One finished chunk on the host: trimmed traces and spike events."""
    L = plan.chunk_steps
    keep = min(plan.records_per_chunk, -(-(plan.n_steps - c * L) // plan.every))
    out = {f"trace:{name}": np.asarray(rec[name])[:keep] for name, _ in plan.traces}
    for p, _ in plan.spiking:
        if jax.default_backend() == "cpu":
            times, idx = unpack_events(np.asarray(packed[p]), c * L, plan.dt)
        else:
            times, idx = unpack_events_on_device(packed[p], c * L, plan.dt)
        out[f"spike_time:{p}"], out[f"spike_index:{p}"] = times, idx
    return out


def _collect(chunk, trace_parts, spike_parts):
    for name in trace_parts:
        trace_parts[name].append(chunk[f"trace:{name}"])
    for p, (times, idx) in spike_parts.items():
        times.append(chunk[f"spike_time:{p}"])
        idx.append(chunk[f"spike_index:{p}"])


def _counts(plan: _Plan, carry: _Carry, indices: dict) -> dict:
    """Spikes per neuron: counted in the loop, or from the recorded events."""
    out = {}
    for p, n in plan.populations:
        if p in carry.counts:
            out[p] = carry.counts[p] if isinstance(carry.counts[p], jax.core.Tracer) else np.asarray(carry.counts[p])
        else:
            out[p] = np.bincount(indices[p], minlength=n).astype(np.int32)
    return out


def _assemble(plan: _Plan, trace_parts, spike_parts, carry: _Carry, steps_done: int, duration: float) -> Result:
    traces = {
        name: np.concatenate(parts) if parts else np.zeros((0,)) for name, parts in trace_parts.items()
    }
    n_rec = len(next(iter(traces.values()))) if traces else -(-steps_done // plan.every)
    indices = {p: np.concatenate(i).astype(np.int32) if i else np.zeros(0, np.int32) for p, (_, i) in spike_parts.items()}
    return Result(
        t=np.arange(n_rec) * (plan.every * plan.dt),
        traces=traces,
        spike_counts=_counts(plan, carry, indices),
        spike_times={p: np.concatenate(t) if t else np.zeros(0) for p, (t, _) in spike_parts.items()},
        spike_indices=indices,
        spike_bits={p: None for p in spike_parts},
        final_state=carry.state,
        sizes=plan.populations,
        recorded=plan.traces,
        duration=steps_done * plan.dt if steps_done < plan.n_steps else duration,
        dt=plan.dt,
        units=plan.units,
    )


__all__ = ["simulate", "SimulationError", "Spikes"]
