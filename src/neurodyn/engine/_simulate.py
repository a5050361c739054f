"""``simulate``: the one time loop of neurodyn."""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._files import write_bytes, write_text
from .._params import check_integer, check_key, is_traced, suggest
from .._units import variable_unit
from .._warn import warn
from . import _inputs, _random
from ._cache import enable_compilation_cache
from ._model import AbstractDynamics, AbstractModel, advance, variables
from ._record import Spikes, check_neurons, pack, packed_width, parse_record, select, unpack_events, unpack_events_on_device
from ._result import Continuation, Result, SimulationError
from ._solvers import AbstractSolver
from ._surrogate import AbstractSurrogate

#: Device memory (bytes) that one chunk's recorded buffers may use.
CHUNK_MEMORY = 64 * 2**20

#: Default limit on a run's step count (``simulate(..., max_steps=...)`` raises it, up to
#: ``2**31 - 1``: the step counter is a 32-bit integer).
MAX_STEPS = 10**9


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
            total = self._get(self.inputs, p)
            if not total.terms:  # no input: a zero the model can see is zero (a NumPy constant, not traced)
                return np.zeros((), jnp.result_type(float))
            v = jnp.asarray(total.value(self._get(state, p), t, dt), dtype=jnp.result_type(float))
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
    checkpointed: bool = False  # one scan over jax.checkpoint-ed chunks of records_per_chunk records (traced runs)

    @property
    def chunk_steps(self):
        return self.every * self.records_per_chunk


class _Carry(eqx.Module):
    state: Any
    inputs: Any
    step: jax.Array
    counts: dict


def _split_key(key):
    """``simulate``'s key -> keys of the initial state, the inputs' state and the run."""
    return jax.random.split(key, 3)


def _step_keys(run_key, i):
    """Keys of step ``i`` for the inputs and the model: independent of chunking."""
    k_in = jax.random.fold_in(run_key, i)
    return k_in, jax.random.fold_in(k_in, 1)  # the model's is dropped by XLA when it draws nothing


def _one_step(model, drive, solver, key, plan: _Plan, carry: _Carry):
    i = carry.step
    t = i * plan.dt
    k_in, k_model = _step_keys(key, i)
    in_state = jax.lax.optimization_barrier(drive.update(carry.inputs, t, plan.dt, k_in))  # draw once
    state, spikes = advance(model, carry.state, t, plan.dt, lambda s: drive.value(in_state, s, plan.dt), k_model, solver)
    counts = {p: carry.counts[p] + spikes[p].astype(carry.counts[p].dtype) for p, _ in plan.counted}
    return _Carry(state, in_state, i + 1, counts), spikes


def step_key(key, i):
    """The key ``simulate(..., key=key)`` hands to the model at step ``i`` (``_one_step``'s
    derivation from ``simulate``'s run key); for maps that also run their own loop, such as
    a memory's ``recall`` stopping at a fixed point, so both draw the same numbers."""
    return _step_keys(_split_key(key)[2], i)[1]


_init_state_jit = eqx.filter_jit(lambda model, key: model.init_state(key))  # one dispatch, trace cached
_SPIKING: dict = {}


def _spiking_populations(model, drive, solver, key, dt, carry) -> tuple:
    """((population, size), ...) of the spikes one step emits and {population: dtype} of
    those that are surrogate (float) spikes, found by tracing the step once per model
    structure: arrays count by shape and dtype, everything else by value (as jit does)."""
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
    found = (tuple((p, int(s.shape[-1])) for p, s in spikes.items()),
             {p: s.dtype for p, s in spikes.items() if jnp.issubdtype(s.dtype, jnp.floating)})
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


def _run(model, drive, solver, key, carry: _Carry, plan: _Plan, n_records: int, stop):
    """``n_records * every`` steps, skipping those from step ``stop`` on; returns (carry,
    traces, packed spikes, all-finite flag), or with ``plan.track_nonfinite`` in place of
    the flag the first step after which the state was non-finite (-1: none)."""

    def step(c):
        return _one_step(model, drive, solver, key, plan, c)

    if plan.masked:
        _, spikes_shape = jax.eval_shape(step, carry)

        def guarded(c):
            return jax.lax.cond(
                c.step < stop,
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

    if plan.checkpointed:
        (carry, first), (traces, packed) = _checkpointed_scan(outer, (carry, jnp.int32(-1)), n_records, plan.records_per_chunk)
    else:
        (carry, first), (traces, packed) = jax.lax.scan(outer, (carry, jnp.int32(-1)), None, length=n_records)
    packed = {p: v.reshape((-1, v.shape[-1])) for p, v in packed.items()}
    return carry, traces, packed, (first if plan.track_nonfinite else _all_finite(carry.state))


_run_jit = eqx.filter_jit(_run)


def _checkpointed_scan(body, carry, length: int, per_chunk: int):
    """``lax.scan(body, carry, None, length)`` as a scan over chunks of ``per_chunk``
    iterations, each ``jax.checkpoint``-ed: reverse mode keeps only the carry at each
    chunk's start and recomputes a chunk's steps when it reaches it (Griewank's
    checkpointing), so memory grows with ``length / per_chunk + per_chunk`` steps, not
    ``length``. The same operations run in the same order: results are those of one scan."""
    per_chunk = max(1, min(per_chunk, length))
    n_full, rest = divmod(length, per_chunk)

    def chunk(n):
        return jax.checkpoint(lambda c, _: jax.lax.scan(body, c, None, length=n))

    carry, ys = jax.lax.scan(chunk(per_chunk), carry, None, length=n_full)
    ys = jax.tree.map(lambda y: y.reshape((n_full * per_chunk, *y.shape[2:])), ys)
    if rest:
        carry, tail = chunk(rest)(carry, None)
        ys = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), ys, tail)
    return carry, ys


def _checkpoint_records(n_steps: int, every: int, chunk_steps: int | None) -> int:
    """Records per checkpointed chunk of a traced run: ``chunk_steps`` (rounded to whole
    records), by default about sqrt(steps), which balances the chunk-start carries kept
    against the steps recomputed inside one chunk."""
    steps = math.isqrt(n_steps) if chunk_steps is None else int(chunk_steps)
    return max(1, round(steps / every))


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
class StreamError(ValueError):
    """A ``stream_to`` folder that cannot be resumed as it is (damaged, edited, another run)."""


def _numerics(model, drive, solver, key, dt) -> str:
    """What a run's numbers depend on besides its arguments: the noise stream and backend,
    and whether a population takes the fused C++ step (``_native/population.cc``, equal to
    the generic step only to float32 rounding), as found in one traced step. (STDP in the
    propagation kernel is not recorded: it equals the pure-JAX path bit for bit.)"""
    state, in_state = jax.eval_shape(model.init_state, key), jax.eval_shape(drive.init_state, key)
    carry = _Carry(state, in_state, jax.ShapeDtypeStruct((), jnp.int32), {})
    plan = _Plan(dt, 1, 1, 1, (), (), (), (), False)
    step = str(jax.make_jaxpr(lambda c: _one_step(model, drive, solver, key, plan, c))(carry))
    return f"noise {_random.STREAM} on {jax.default_backend()}; fused population step: {'neurodyn_lif_exp_f32' in step}"


_MANIFEST = "run.json"
_FORMAT = "neurodyn-stream"
_VERSION = 2


def _chunk_name(c: int) -> str:
    return f"chunk_{c:06d}.npz"


def _checkpoint_name(c: int) -> str:
    return f"checkpoint_{c:06d}.npz"


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _signature(model, drive, key, plan: _Plan, solver, carry=None) -> str:
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
    for leaf in jax.tree.leaves(carry):  # the starting state and step: a continued run is another run
        h.update(np.asarray(leaf).tobytes())
    return h.hexdigest()


class _Stream:
    """A run's chunks in a folder, committed by one manifest so an interrupted run resumes exactly.

    Chunk ``c`` is written as ``chunk_c.npz`` (its records) and ``checkpoint_c.npz`` (the
    carry after it), each atomically and on disk; then ``run.json`` is replaced, naming and
    checksumming every committed file. A kill at any point leaves the old or the new
    manifest, and files it does not name are removed on the next start.
    """

    def __init__(self, folder, signature: str, resume):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise StreamError(f"stream_to must be a folder, got the file {self.folder}")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.signature = signature
        self.entries: list[dict] = []  # committed chunks, in order
        self.data: list[dict] = []  # their records, verified
        self.checkpoint = None  # leaves of the last committed carry
        if resume:
            manifest = self._read_manifest()
            if manifest is not None:
                if manifest["signature"] != signature:
                    raise StreamError(
                        f"stream_to: {self.folder} holds chunks of a different run "
                        "(model, inputs, key, initial state, plan, noise stream or C++ kernels in use differ); "
                        "use another folder or resume=False"
                    )
                self._verify(manifest["chunks"], repair=resume == "repair")
        self._commit()  # first the manifest (resets progress unless resuming) ...
        self._clean()  # ... then the files it does not name

    @property
    def done(self) -> int:
        return len(self.entries)

    def _manifest_error(self, why: str) -> StreamError:
        return StreamError(
            f"stream_to: {self.folder / _MANIFEST} is not a valid neurodyn stream manifest ({why}); "
            "resume=False starts the run over in this folder"
        )

    def _read_manifest(self):
        path = self.folder / _MANIFEST
        if not path.exists():
            return None
        try:
            info = json.loads(path.read_bytes().decode())
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise self._manifest_error(f"unreadable: {exc}") from None
        if not isinstance(info, dict) or info.get("format") != _FORMAT:
            raise self._manifest_error("no neurodyn-stream format tag")
        if info.get("version") != _VERSION:
            raise self._manifest_error(f"format version {info.get('version')!r}, this neurodyn reads {_VERSION}")
        claimed = info.pop("sha256", None)
        if claimed != hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest():
            raise self._manifest_error("its checksum does not match its content: it was edited")
        chunks, done = info.get("chunks"), info.get("chunks_done")
        fields = {"chunk", "chunk_sha256", "checkpoint", "checkpoint_sha256"}
        if (
            not isinstance(info.get("signature"), str)
            or not isinstance(chunks, list)
            or not all(isinstance(e, dict) and set(e) == fields for e in chunks)
            or done != len(chunks)
        ):
            raise self._manifest_error("fields missing or inconsistent")
        return info

    def _verify(self, entries: list, repair: bool):
        """Keep the committed chunks whose files match their checksums, up to the first bad one."""
        for c, entry in enumerate(entries):
            try:
                if entry["chunk"] != _chunk_name(c) or entry["checkpoint"] != _checkpoint_name(c):
                    raise ValueError(f"named {entry['chunk']} / {entry['checkpoint']}")
                arrays = []
                for name in ("chunk", "checkpoint"):
                    raw = (self.folder / entry[name]).read_bytes()
                    if hashlib.sha256(raw).hexdigest() != entry[name + "_sha256"]:
                        raise ValueError(f"{entry[name]} does not match its checksum")
                    with np.load(io.BytesIO(raw)) as npz:
                        arrays.append({k: npz[k] for k in npz.files})
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                if not repair:
                    raise StreamError(
                        f"stream_to: chunk {c} of {self.folder} is damaged ({exc}); chunks before it are intact: "
                        f"resume='repair' keeps those {c} and recomputes from chunk {c}, resume=False starts over"
                    ) from None
                warn(f"stream_to: chunk {c} of {self.folder} is damaged ({exc}); recomputing from it")
                return
            self.entries.append(entry)
            self.data.append(arrays[0])
            self.checkpoint = arrays[1]

    def _commit(self):
        info = {
            "format": _FORMAT,
            "version": _VERSION,
            "signature": self.signature,
            "chunks_done": len(self.entries),
            "chunks": self.entries,
        }
        info["sha256"] = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()
        write_text(self.folder / _MANIFEST, json.dumps(info, indent=1))

    def _clean(self):
        named = {e[k] for e in self.entries for k in ("chunk", "checkpoint")}
        for path in self.folder.iterdir():
            ours = (path.name.startswith(("chunk_", "checkpoint_")) and path.suffix == ".npz") or path.name == "checkpoint.npz"
            temporary = path.name.startswith((".chunk_", ".checkpoint_", f".{_MANIFEST}.")) and path.suffix == ".tmp"
            if (ours and path.name not in named) or temporary:
                path.unlink(missing_ok=True)

    def load_checkpoint(self, carry: _Carry) -> _Carry:
        leaves, treedef = jax.tree.flatten(carry)
        saved = [self.checkpoint.get(f"leaf{i}") for i in range(len(leaves))]
        if len(self.checkpoint) != len(leaves) or any(
            s is None or s.shape != np.shape(x) or s.dtype != x.dtype for s, x in zip(saved, leaves)
        ):
            raise StreamError(f"stream_to: the checkpoint of chunk {self.done - 1} in {self.folder} does not fit this run")
        return jax.tree.unflatten(treedef, [jnp.asarray(x) for x in saved])

    def chunks(self):
        yield from self.data

    def write(self, c: int, chunk: dict, carry: _Carry):
        assert c == len(self.entries), (c, len(self.entries))
        entry = {"chunk": _chunk_name(c), "checkpoint": _checkpoint_name(c)}
        entry["chunk_sha256"] = write_bytes(self.folder / entry["chunk"], _npz_bytes(chunk))
        leaves = {f"leaf{i}": np.asarray(x) for i, x in enumerate(jax.tree.leaves(carry))}
        entry["checkpoint_sha256"] = write_bytes(self.folder / entry["checkpoint"], _npz_bytes(leaves))
        self.entries.append(entry)
        self.checkpoint = leaves
        self._commit()


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
    t0: float | None = None,
    chunk_steps: int | None = None,
    stream_to=None,
    resume: bool | str = False,
    max_steps: int = MAX_STEPS,
    max_memory: int | None = None,
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
        state: where to start: ``None`` (``model.init_state(key)``), a model state, or a
            previous :class:`Result` (or its ``continuation``) to continue that run: its
            model state, its inputs' state (when the inputs have the same structure), its
            time and, when ``key`` is not given, its key. Two chained runs then equal one
            long run bit for bit, provided the first run's duration is a multiple of
            ``record_every * dt`` and both use the same key.
        t0: start time, ms, on the ``dt`` grid (default 0, or the end of a continued
            result). Time-dependent inputs and the per-step random keys
            (``fold_in(key, step)``) go on from step ``t0 / dt``; ``res.t`` starts at ``t0``.
        chunk_steps: steps per compiled chunk (default: from a memory budget). Under
            ``jit``/``vmap``/``grad`` the run is one scan over chunks, each
            ``jax.checkpoint``-ed: reverse mode keeps the carry at each chunk's start and
            recomputes a chunk's steps in the backward pass, so gradient memory grows with
            ``steps / chunk_steps + chunk_steps`` steps' states (default about ``sqrt(steps)``;
            a fixed value makes it nearly independent of the run's length). Results are the
            same for any chunking, bit for bit.
        stream_to: folder; each finished chunk and the carry after it are written there
            and committed by one checksummed manifest (``run.json``), so an interrupted
            run keeps its chunks.
        resume: with ``stream_to``: ``True`` continues the run found there exactly (a
            damaged folder is refused, naming its first bad chunk), ``"repair"`` keeps the
            chunks before the first bad one and recomputes the rest, ``False`` starts over
            (the folder's chunks are removed).
        max_steps: refuse runs of more steps than this (default ``MAX_STEPS``, 10⁹;
            at most 2³¹ − 1): a unit slip such as ``duration=1e30`` fails at once.
        max_memory: refuse runs whose estimated memory (state plus recorded traces) exceeds
            this many bytes (default: the machine's physical memory).

    Warns (``UserWarning``) when a spiking model fires no spike at all, or a population's
    mean rate reaches the ceiling that refractoriness allows, ``1 / (t_ref + dt)``: both
    usually mean a unit slip (``C_m=0.25`` meant as nF is 0.25 pF).

    Returns:
        a :class:`Result`. Under ``jit``/``vmap``/``grad`` the whole run is one
        ``lax.scan`` (over checkpointed chunks) and the result's spikes stay bit-packed
        until read. Differentiable readouts: recorded traces, ``final_state``, and the spike
        counts (``spike_counts``, ``rates()``) of neurons with a surrogate (the default of
        the integrate-and-fire family; ``neurodyn.neurons.SuperSpike``), which a traced run
        counts in float so their derivative is the surrogate's. Bit-packed spikes
        (``res.spikes``) carry no gradient.

    Example::

        lif = nd.neurons.LIF(n=100, I_e=400.0)
        res = nd.simulate(lif, duration=1000.0, dt=0.1, record=["spikes", "V_m"])
        res.rates().mean()
    """
    if not isinstance(model, AbstractModel):
        raise TypeError(f"model must be a neurodyn model (AbstractModel), got {type(model).__name__}")
    duration, dt, n_steps = _check_times(duration, dt)
    _check_dt(model, dt)
    every = _check_limits(model, n_steps, record_every, max_steps, max_memory)
    stream_to, resume = _check_stream_args(stream_to, resume)
    if key is not None:
        check_key("key", key)
    state, in_state, start, key = _check_start(state, t0, key, dt, n_steps)
    key = jax.random.key(0) if key is None else key
    if solver is None:
        solver = getattr(model, "default_solver", None) if isinstance(model, AbstractDynamics) else None
    if solver is not None and not isinstance(solver, AbstractSolver):
        raise TypeError(f"solver must be a neurodyn solver (e.g. neurodyn.RK4()), got {type(solver).__name__}")

    enable_compilation_cache()
    k_state, k_inputs, k_run = _split_key(key)
    drive = _make_drive(inputs, model.input_shape)
    _check_drive(drive, dt)
    if state is None:
        state = _init_state_jit(model, k_state)
    else:
        _check_state(model, state, k_state)
    fresh_inputs = _init_state_jit(drive, k_inputs)
    if in_state is None or not _same_structure(in_state, fresh_inputs):
        in_state = fresh_inputs  # nothing to continue: these inputs are not the previous run's

    # Learn the spike structure and recordable variables without running anything.
    probe = _Carry(state, in_state, jnp.asarray(start, jnp.int32), {})
    populations, surrogate_spikes = _spiking_populations(model, drive, solver, k_run, dt, probe)
    continuous = [v for v in variables(state) if eqx.is_inexact_array(getattr(state, v, None))]
    traces, want_spikes = parse_record(record, continuous, bool(populations))
    for name, neurons in traces.items():
        shape = _read_shape(model, state, name)
        check_neurons(name, neurons, shape)

    n_records_total = -(-n_steps // every)
    bytes_per_step = sum(packed_width(n) for _, n in populations) if want_spikes else 0
    trace_bytes = 0  # per record
    for name, neurons in traces.items():
        size = np.prod(jax.eval_shape(lambda s: model.read(s, name), state).shape, dtype=int) if neurons is None else len(neurons)
        bytes_per_step += int(size) * 4 // every
        trace_bytes += int(size) * 4
    _check_memory(_state_bytes(state), trace_bytes * n_records_total, max_memory)
    traced = _inside_transformation() or is_traced((model, drive, key, state))
    if traced:  # one scan over checkpointed chunks (bounded memory under grad)
        records_per_chunk = _checkpoint_records(n_steps, every, chunk_steps)
        n_chunks = 1
        masked = n_records_total * every != n_steps
    else:
        records_per_chunk = _chunk_records(n_records_total, every, bytes_per_step, chunk_steps)
        n_chunks = -(-n_records_total // records_per_chunk)
        masked = n_chunks * records_per_chunk * every != n_steps
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
        masked=masked,
        units=tuple((name, variable_unit(model, name)) for name in traces),
        track_nonfinite=traced,
        checkpointed=traced,
    )
    # a traced run counts surrogate spikes in their float type: differentiable counts
    counts = {p: jnp.zeros((n,), surrogate_spikes.get(p, jnp.int32) if traced else jnp.int32) for p, n in plan.counted}
    carry = _Carry(state, in_state, jnp.asarray(start, jnp.int32), counts)
    stop = jnp.asarray(start + n_steps, jnp.int32)

    if traced:
        if stream_to is not None:
            raise ValueError("stream_to cannot be used under jit/vmap/grad (the run is not on the host)")
        carry, rec, packed, first_nonfinite = _run(model, drive, solver, k_run, carry, plan, n_records_total, stop)
        weights = model.plastic_weights(carry.state)
        return Result(
            t=(jnp.arange(n_records_total) * every + start) * dt,
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
            units=plan.units + _weight_units(model, weights),
            first_nonfinite=first_nonfinite,
            continuation=Continuation(carry.state, carry.inputs, carry.step, key),
            t0=start * dt,
            weights=weights,
        )
    # nothing differentiates an eager run: plain boolean spikes, no float conversions in the loop
    res = _run_eager(_without_surrogates(model), drive, solver, k_run, key, carry, start, plan, n_chunks, progress,
                     stream_to, resume, duration)
    _warn_implausible_rates(model, res)
    return res


def _without_surrogates(model):
    """``model`` with every spike surrogate removed (``surrogate=None``): the same spikes, as booleans."""
    is_surrogate = lambda x: isinstance(x, AbstractSurrogate)  # noqa: E731
    if not any(map(is_surrogate, jax.tree.leaves(model, is_leaf=is_surrogate))):
        return model
    return jax.tree.map(lambda x: None if is_surrogate(x) else x, model, is_leaf=is_surrogate)


def _inside_transformation() -> bool:
    """True under jit, vmap, grad or any other JAX transformation."""
    try:
        from jax._src.core import trace_state_clean

        return not trace_state_clean()
    except ImportError:  # older/newer JAX: staging check (misses closed-over tracers under grad)
        return isinstance(jnp.zeros(()) + 0, jax.core.Tracer)


def _check_stream_args(stream_to, resume):
    if not (isinstance(resume, (bool, np.bool_)) or (isinstance(resume, str) and resume == "repair")):
        raise ValueError(f"resume must be True, False or 'repair', got {resume!r}")
    if stream_to is None:
        if resume:
            raise ValueError(f"resume={resume!r} needs stream_to, the folder of the run to resume")
        return None, False
    if not isinstance(stream_to, (str, os.PathLike)):
        raise TypeError(f"stream_to must be a folder path (str or pathlib.Path), got {type(stream_to).__name__}")
    if not str(os.fspath(stream_to)).strip():
        raise ValueError(f"stream_to must name a folder, got {stream_to!r} (write '.' for the current folder)")
    return stream_to, resume if isinstance(resume, str) else bool(resume)


def _check_start(state, t0, key, dt, n_steps):
    """(model state or None, inputs' state or None, first step, key or None) of a run."""
    in_state = None
    step = None  # the continued result's step counter, where readable on the host
    if isinstance(state, Result):
        if state.continuation is None:
            raise ValueError("state: this Result carries no continuation (a result loaded from a file); "
                             "pass its final state and t0 instead")
        state = state.continuation
    if isinstance(state, Continuation):
        if key is None:
            key = state.key
        if not isinstance(state.step, jax.core.Tracer):
            steps = np.unique(np.asarray(state.step))
            if steps.size != 1:
                raise ValueError(f"state: a batched continuation whose runs ended at different steps {steps[:4]}")
            step = int(steps[0])
        elif t0 is None:
            raise TypeError("t0: continuing a result inside jit/vmap needs t0 (ms) as a Python number")
        state, in_state = state.state, state.inputs
    if t0 is None:
        start = 0 if step is None else step
    else:
        if isinstance(t0, jax.core.Tracer):
            raise TypeError("t0 must be a Python number of ms, got a traced value")
        try:
            t0 = float(t0)
        except (TypeError, ValueError):
            raise TypeError(f"t0 must be a number of ms, got {type(t0).__name__}") from None
        if not (t0 >= 0 and math.isfinite(t0)):
            raise ValueError(f"t0 must be a finite time >= 0 ms, got {t0}")
        start = round(t0 / dt)
        if abs(start * dt - t0) > 1e-9 * max(t0, dt):
            raise ValueError(f"t0 must lie on the dt grid (a whole number of steps of dt={dt} ms), got t0={t0} ms")
        if step is not None and step != start:
            raise ValueError(f"t0={t0} ms differs from the time the continued result ended at, {step * dt} ms")
    if start + n_steps > np.iinfo(np.int32).max:
        raise ValueError(
            f"t0 + duration spans step {start + n_steps}, beyond the step counter's range ({np.iinfo(np.int32).max})"
        )
    return state, in_state, start, key


def _same_structure(a, b) -> bool:
    """Same tree, shapes and dtypes."""
    shape = lambda x: (np.shape(x), jnp.result_type(x))
    return jax.tree.structure(a) == jax.tree.structure(b) and all(
        shape(x) == shape(y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))
    )


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


def _machine_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16 * 2**30


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def _check_limits(model, n_steps, record_every, max_steps, max_memory) -> int:
    """record_every, the step limit and (before anything is allocated) a lower bound of the
    state's memory: one 32-bit number per model element. Returns record_every."""
    every = check_integer("record_every", record_every, 1, 2**31 - 1, "integer number of steps")
    max_steps = check_integer("max_steps", max_steps, 1, 2**31 - 1, "integer number of steps")
    if n_steps > max_steps:
        raise ValueError(
            f"duration/dt: the run has {n_steps:.4g} steps, more than max_steps = {max_steps:.4g}; "
            "check the units (ms) of duration and dt, or pass max_steps=... (config: simulation.max_steps) to allow it"
        )
    if max_memory is not None:
        check_integer("max_memory", max_memory, 1, 2**63 - 1, "integer number of bytes")
    shapes = model.input_shape
    shapes = shapes.values() if isinstance(shapes, dict) else [shapes]
    _check_memory(4 * sum(int(np.prod(s, dtype=object)) for s in shapes), 0, max_memory)  # at least one number per element
    return every


def _state_bytes(state) -> int:
    return sum(int(np.prod(np.shape(x), dtype=object)) * np.dtype(x.dtype).itemsize
               for x in jax.tree.leaves(state) if hasattr(x, "dtype") and not jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key))


def _check_memory(state_bytes: int, trace_bytes: int, max_memory) -> None:
    """Refuse a run whose state plus recorded traces would exceed ``max_memory`` bytes."""
    budget = _machine_memory() if max_memory is None else int(max_memory)
    total = state_bytes + trace_bytes
    if total > budget:
        where = "the machine's memory" if max_memory is None else "max_memory"
        raise ValueError(
            f"memory: the run needs an estimated {_gib(total)} (state {_gib(state_bytes)}, recorded traces "
            f"{_gib(trace_bytes)}), more than {where} = {_gib(budget)}; record fewer variables or neurons, "
            "raise record_every, or pass max_memory=... bytes (config: simulation.max_memory, e.g. '64 GiB')"
        )


def _check_state(model, state, key) -> None:
    """A given initial state must have the structure and shapes of ``model.init_state``."""
    try:
        expected = jax.eval_shape(model.init_state, key)
    except Exception:  # noqa: BLE001 - a model whose init_state cannot be traced: nothing to compare
        return
    got_leaves, got_tree = jax.tree.flatten(state)
    want_leaves, want_tree = jax.tree.flatten(expected)
    if got_tree != want_tree:
        raise ValueError(f"state: expected a {type(expected).__name__} of {type(model).__name__}.init_state, got {type(state).__name__} of another structure")
    for path, got, want in zip(jax.tree_util.tree_flatten_with_path(expected)[0], got_leaves, want_leaves):
        if np.shape(got) != want.shape:
            name = jax.tree_util.keystr(path[0])
            raise ValueError(f"state: {name.lstrip('.')} must have shape {want.shape} for this model, got shape {np.shape(got)}")


def _read_shape(model, state, name):
    """Shape of a recorded variable; an unknown name close to 'spikes' is pointed to it."""
    try:
        return jax.eval_shape(lambda s: model.read(s, name), state).shape
    except ValueError as exc:
        hint = suggest(name, ["spikes"]) if "(did you mean" not in str(exc) else ""
        if hint:
            raise ValueError(f"record: unknown variable {name!r}{hint}") from None
        raise


def _warn_implausible_rates(model, res: Result) -> None:
    """Warn when a spiking model fired nothing, or fires at the refractory ceiling."""
    if not res.sizes:
        return
    counts = {p: np.asarray(res.spike_counts[p]) for p, _ in res.sizes}
    seconds = res.duration * 1e-3
    if all(c.sum() == 0 for c in counts.values()):
        warn(f"the run produced no spikes in {res.duration:g} ms ({type(model).__name__}): check the inputs, "
             "and the units of the parameters (pA, pF, mV, ms)")
        return
    pops = getattr(model, "populations", None)
    for p, n in res.sizes:
        neuron = pops[p].model if pops is not None else model
        neuron = getattr(neuron, "neuron", neuron)
        t_ref = getattr(neuron, "t_ref", None)
        if t_ref is None or is_traced(t_ref):
            continue
        ceiling = 1e3 / (float(np.min(np.asarray(t_ref))) + res.dt)
        rate = float(counts[p].sum()) / n / seconds
        if rate >= 0.9 * ceiling:
            where = "" if pops is None else f"population {p!r}: "
            warn(f"{where}mean rate {rate:.4g} Hz is at the ceiling 1/(t_ref + dt) = {ceiling:.4g} Hz: "
                 "the neurons fire as fast as refractoriness allows; check the units of the parameters "
                 "(C_m in pF, I_e in pA)")


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


def _run_eager(model, drive, solver, key, user_key, carry, start, plan: _Plan, n_chunks, progress, stream_to, resume, duration):
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    L = plan.chunk_steps
    trace_parts = {name: [] for name, _ in plan.traces}
    spike_parts = {p: ([], []) for p, _ in plan.spiking}
    stream = None
    first = 0
    if stream_to is not None:
        stream = _Stream(stream_to, _signature(model, drive, key, plan, solver, carry), resume)
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
            where = _diagnose(model, drive, solver, key, start_carry, plan, min(L, plan.n_steps - steps_before), start + steps_before)
            partial = _assemble(model, plan, trace_parts, spike_parts, start_carry, start, user_key, steps_before, duration)
            raise SimulationError(f"simulation diverged: {where}", partial)
        chunk = decoded.result()
        _collect(chunk, trace_parts, spike_parts)
        if stream is not None:
            stream.write(c, chunk, end_carry)
        bar.update(min(L, plan.n_steps - c * L) * plan.dt)

    stop = jnp.asarray(start + plan.n_steps, jnp.int32)
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="neurodyn-decode") as pool:
            for c in range(first, n_chunks):
                end_carry, rec, packed, finite = _run_jit(model, drive, solver, key, carry, plan, plan.records_per_chunk, stop)
                pending.append((c, carry, end_carry, finite, pool.submit(_chunk_arrays, plan, start, c, rec, packed)))
                carry = end_carry
                while len(pending) > depth:
                    finish(pending.popleft())
            while pending:
                finish(pending.popleft())
    finally:
        bar.close()
    return _assemble(model, plan, trace_parts, spike_parts, carry, start, user_key, plan.n_steps, duration)


def _chunk_arrays(plan: _Plan, start: int, c: int, rec, packed) -> dict:
    """One finished chunk on the host: trimmed traces and spike events."""
    L = plan.chunk_steps
    keep = min(plan.records_per_chunk, -(-(plan.n_steps - c * L) // plan.every))
    out = {f"trace:{name}": np.asarray(rec[name])[:keep] for name, _ in plan.traces}
    for p, _ in plan.spiking:
        if jax.default_backend() == "cpu":
            times, idx = unpack_events(np.asarray(packed[p]), start + c * L, plan.dt)
        else:
            times, idx = unpack_events_on_device(packed[p], start + c * L, plan.dt)
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


def _host(weights: dict) -> dict:
    return {name: tuple(np.asarray(a) for a in arrays) for name, arrays in weights.items()}


def _assemble(model, plan: _Plan, trace_parts, spike_parts, carry: _Carry, start: int, key, steps_done: int, duration: float) -> Result:
    traces = {
        name: np.concatenate(parts) if parts else np.zeros((0,)) for name, parts in trace_parts.items()
    }
    n_rec = len(next(iter(traces.values()))) if traces else -(-steps_done // plan.every)
    indices = {p: np.concatenate(i).astype(np.int32) if i else np.zeros(0, np.int32) for p, (_, i) in spike_parts.items()}
    weights = _host(model.plastic_weights(carry.state))
    return Result(
        t=(np.arange(n_rec) * plan.every + start) * plan.dt,
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
        units=plan.units + _weight_units(model, weights),
        continuation=Continuation(carry.state, carry.inputs, carry.step, key),
        t0=start * plan.dt,
        weights=weights,
    )


def _weight_units(model, weights: dict) -> tuple:
    return tuple((f"{name}.w", variable_unit(model, f"{name}.w")) for name in weights)


__all__ = ["simulate", "SimulationError", "StreamError", "Spikes"]
