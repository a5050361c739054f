r"""Networks: populations plus projections, as one model for ``neurodyn.simulate``.

One step of a network, in order (``DESIGN.md``):

1. advance every population: in one call where the population model offers a
   ``fused_step``, else through the engine's generic step with its solver (the same
   function that runs a single model), which integrates, then applies threshold, reset
   and refractoriness (the neuron's ``fire``);
2. hand this step's spikes to the projections (event-driven, or dense where that is
   faster): a delay-free projection adds its events to its target variable at once
   (``model.receive``; in place on the kernel path), a delayed one into its ring buffer,
   ``delay`` steps ahead. Consecutive projections from one population into distinct
   targets share one kernel call (list a population's projections together);
3. deliver the ring-buffer rows due now (``model.receive``) and clear them.

A spike stamped at time :math:`t_s` (the end of its step) through a synapse with delay
:math:`d` changes the synaptic variable at exactly :math:`t_s + d`: it is delivered at the
end of the step that ends at :math:`t_s + d`, so the state at :math:`t_s + d` (what a
recording at that time reads, and what the next step integrates) includes it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._warn import warn
from .._params import check_integer
from ..connectivity import _ffi
from ..connectivity._builders import Connectivity, Distribution
from ..connectivity._propagate import Synapses, event_contributions, make_synapses, propagate, propagate_together
from ..engine._model import SINGLE, AbstractDynamics, AbstractMap, as_bool, generic_advance
from ..engine._solvers import AbstractSolver
from ._plastic import PlasticState, after_propagation, before_propagation, build_index, check_rule, has_efficacy, in_kernel, kernel_stdp
from ._plastic import pre_update
from ._plastic import init_state as init_plastic


class Population(eqx.Module):
    """A population: a neuron model (with synapse channels), its solver and initial values.

    Args:
        model: a population model: any spiking neuron, whose synaptic parts are the
            channels projections target, e.g. ``LIF(n=..., parts=(ConductanceSynapse(
            Exponential(5.0), E_rev=0.0, name="exc"),))``. A population model provides
            ``synapse_targets``, ``receive(state, target, add_events)`` (``add_events`` maps
            the one variable that channel's events jump to its new value) and ``read``.
        init: variable -> value or distribution (``neurodyn.connectivity.normal(-55, 5)``)
            for the initial state, drawn from the network's key.
        solver: integrator (default the model's ``default_solver``).
    """

    model: AbstractDynamics
    init: dict = eqx.field(static=True, default_factory=dict)
    solver: AbstractSolver | None = None

    def __check_init__(self):
        if not isinstance(self.model, AbstractDynamics):
            raise TypeError(f"model must be a neurodyn neuron model (AbstractDynamics), got {type(self.model).__name__}")

    @property
    def n(self) -> int:
        n = getattr(self.model, "n", None)
        return int(self.model.input_shape[0] if n is None else n)


@dataclasses.dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from population ``pre`` to population ``post``.

    Args:
        pre, post: population names.
        connectivity: a builder from ``neurodyn.connectivity``.
        weight: per synapse: a scalar (homogeneous fast path), an array ``(n_pre, n_post)``
            read at the connected positions, or a distribution. Unit of the target
            channel (nS for conductances, pA for currents, mV for ``Delta``). Not needed
            for ``from_dense``/``from_scipy``, whose matrix entries are the weights.
        delay: ms; scalar, array ``(n_pre, n_post)`` or distribution. Delays are rounded
            to whole steps of ``dt``: an explicit delay that is not a multiple of ``dt``
            is rounded with a warning; delays drawn from a distribution are rounded
            silently. Negative delays are an error.
        target: the synapse channel of ``post`` that receives the events (e.g. ``"exc"``).
        plasticity: a rule from ``neurodyn.plasticity`` (``STDP``, ``TsodyksMarkram``, ...);
            the projection's weights (and the rule's variables) then live in the state
            ``simulate`` carries (``res.final_state.plastic[name]``), recordable as
            ``"<name>.w"``. ``None``: fixed weights, kept in the model.
        name: the projection's name (records, final weights); default ``"pre->post"``
            (``"pre->post:target"`` when two projections share pre and post).
    """

    pre: str
    post: str
    connectivity: Connectivity
    weight: Any = None
    delay: Any = 0.0
    target: str = "exc"
    plasticity: Any = None
    name: str | None = None


class NetworkState(eqx.Module):
    populations: dict  #: population name -> state
    buffers: dict  #: "post.target" -> ring buffer (D, n_post)
    step: jax.Array  #: steps taken (int32)
    plastic: dict = eqx.field(default_factory=dict)  #: plastic projection name -> PlasticState


def _values(name, value, csr, rng, where, dtype=float):
    """Per-synapse values (nnz,) in storage order, or a scalar."""
    if isinstance(value, Distribution):
        return value.sample(rng, csr.nnz).astype(dtype)
    if isinstance(value, jax.core.Tracer):
        return value
    arr = np.asarray(value)
    if arr.ndim == 0:
        return arr.astype(dtype)[()]
    if arr.shape != (csr.n_pre, csr.n_post):
        raise ValueError(
            f"{where}: {name} must be a scalar, a distribution or an array of shape (n_pre, n_post) = "
            f"({csr.n_pre}, {csr.n_post}), got shape {arr.shape}"
        )
    return arr[csr.rows(), csr.indices].astype(dtype)


def _delay_steps(delay, dt, where, distributed):
    d = np.asarray(delay, dtype=float)
    if np.any(~np.isfinite(d)) or np.any(d < 0):
        bad = d[~(d >= 0)].ravel()[0] if d.ndim else d
        raise ValueError(f"{where}: delay must be >= 0 ms, got {float(bad)}")
    steps = np.rint(d / dt)
    if not distributed and np.any(np.abs(steps * dt - d) > 1e-6 * dt):
        bad = d[np.abs(steps * dt - d) > 1e-6 * dt].ravel()[0] if d.ndim else d
        warn(f"{where}: delay {float(bad)} ms is not a multiple of dt = {dt} ms; rounded to the nearest step")
    return steps.astype(np.int64)


def _choose_mode(propagation, n_pre, n_post, rows, rule=None, where=""):
    if rule is not None:  # plastic: event-driven only (the weights are per synapse, in the state)
        if propagation == "dense":
            raise ValueError(f"{where}: plasticity needs event-driven propagation ('auto', 'event' or 'jax'), got propagation='dense'")
        if propagation == "jax" or not (jax.default_backend() == "cpu" and _ffi.available()):
            return "jax"
        if in_kernel(rule):
            return "kernel"  # STDP: the kernel delivers and applies on_pre and on_post
        if rule.changes_weights or has_efficacy(rule):
            return "jax"  # one pure-JAX pass delivers, scales (STP) and updates (on_pre) the synapses of each spike
        return "kernel"
    if propagation in ("dense", "jax"):
        return propagation
    if propagation == "event":
        return "kernel" if jax.default_backend() == "cpu" and _ffi.available() else "jax"
    # auto: dense on accelerators while the matrix is small enough, else event-driven
    if jax.default_backend() != "cpu":
        return "dense" if n_pre * n_post * rows <= 2**26 else "jax"
    return "kernel" if _ffi.available() else ("dense" if n_pre * n_post * rows <= 2**16 else "jax")


class Network(AbstractMap):
    r"""Populations and projections as one model for ``neurodyn.simulate``.

    Args:
        populations: name -> :class:`Population` (or a population model).
        projections: list of :class:`Projection`.
        dt: the time step (ms) the delays are expressed in; ``simulate`` must use it.
        seed: integer seed for drawing the connectivity, weights and delays.
        propagation: ``"auto"`` (C++ event-driven kernel on CPU, dense matrices on GPU
            for small networks, pure-JAX event-driven otherwise), ``"event"``,
            ``"jax"`` (pure-JAX event-driven), or ``"dense"``.
        neuromodulators: names of global scalar signals (e.g. ``("DA",)``) that rules with
            ``neuromodulators`` read (three-factor learning); each is an input of the run,
            ``simulate(..., inputs={"DA": nd.inputs.pulses(...)})`` (absent: 0).

    Inputs are a dict population -> input; records name ``"<population>.<variable>"``
    (``"E.V_m"``, ``"E.exc"``: the channel's value, also ``"E.g_exc"``) and ``"spikes"``
    (every population).

    Example::

        exc = nd.synapses.CurrentSynapse(nd.synapses.Exponential(tau=5.0), name="exc")
        E = nd.neurons.LIF(n=800, tau_m=20.0, parts=(exc,))
        net = nd.Network({"E": E}, [nd.Projection("E", "E", nd.connectivity.fixed_probability(0.1), weight=5.0, delay=1.5)])
        noise = nd.inputs.ornstein_uhlenbeck(mean=150.0, sigma=80.0, tau=5.0)   # pA, below threshold on average
        res = nd.simulate(net, 1000.0, 0.1, inputs={"E": noise})
        res["E"].rates().mean()   # about 12 Hz: fluctuation-driven, stable recurrent excitation
    """

    populations: dict
    synapses: tuple
    routes: tuple = eqx.field(static=True)  # per projection: (pre, post, target)
    buffers: tuple = eqx.field(static=True)  # (post, target, D)
    groups: tuple = eqx.field(static=True)  # projection indices propagated in one kernel call
    dt: float = eqx.field(static=True)
    rules: tuple  # per projection: its plasticity rule or None
    indexes: tuple  # per projection: the PlasticIndex of a plastic one, else None
    names: tuple = eqx.field(static=True)  # per projection
    neuromodulators: tuple = eqx.field(static=True, default=())  # names of the global signals (inputs, scalars)

    def __init__(self, populations, projections=(), *, dt: float = 0.1, seed: int = 0, propagation: str = "auto",
                 neuromodulators=()):
        if not isinstance(populations, dict) or not populations:
            raise TypeError(f"populations must be a non-empty dict name -> Population, got {type(populations).__name__}")
        if isinstance(dt, bool) or not isinstance(dt, (int, float, np.integer, np.floating)) or not (0 < dt < float("inf")):
            raise ValueError(f"dt must be a finite number > 0 ms, got {dt!r}")
        seed = check_integer("seed", seed, 0, 2**63 - 1)
        if propagation not in ("auto", "event", "jax", "dense"):
            raise ValueError(f"propagation must be one of auto, event, jax, dense, got {propagation!r}")
        pops = {}
        for name, pop in populations.items():
            if not isinstance(name, str) or "." in name:
                raise ValueError(f"population names must be strings without '.', got {name!r}")
            pops[name] = pop if isinstance(pop, Population) else Population(pop)
        dtype = jnp.result_type(float)
        synapses, routes, depth, rules, indexes = [], [], {}, [], []
        names = _projection_names(projections, pops)
        neuromodulators = _signal_names(neuromodulators, pops, names)
        for j, proj in enumerate(projections):
            if not isinstance(proj, Projection):
                raise TypeError(f"projections[{j}] must be a neurodyn.Projection, got {type(proj).__name__}")
            where = f"projection {names[j]}"
            for end in (proj.pre, proj.post):
                if end not in pops:
                    raise ValueError(f"{where}: unknown population {end!r}; expected one of {', '.join(pops)}")
            rule = proj.plasticity
            if rule is not None:
                check_rule(rule, pops[proj.pre].n, pops[proj.post].n, where, neuromodulators)
            targets = getattr(pops[proj.post].model, "synapse_targets", ())
            if proj.target not in targets:
                raise ValueError(
                    f"{where}: target {proj.target!r} is not a synapse channel of {proj.post!r}; "
                    f"expected one of {', '.join(targets) or '(none: give the neuron synaptic parts, nd.synapses)'}"
                )
            if not isinstance(proj.connectivity, Connectivity):
                raise TypeError(f"{where}: connectivity must be a neurodyn.connectivity builder, got {type(proj.connectivity).__name__}")
            rng = np.random.default_rng([seed, j])
            n_pre, n_post = pops[proj.pre].n, pops[proj.post].n
            csr = proj.connectivity.build(n_pre, n_post, rng, proj.pre == proj.post)
            if proj.connectivity.values() is not None:
                if proj.weight is not None:
                    raise ValueError(f"{where}: weight must be None with {type(proj.connectivity).__name__} (the matrix holds the weights)")
                weight = csr.weights
            else:
                if proj.weight is None:
                    raise ValueError(f"{where}: weight is required (a scalar, an array (n_pre, n_post) or a distribution)")
                weight = _values("weight", proj.weight, csr, rng, where, dtype)
            delay = _values("delay", proj.delay, csr, rng, where)
            steps = _delay_steps(delay, dt, where, isinstance(proj.delay, Distribution))
            if steps.ndim and csr.nnz and np.all(steps == steps[0]):
                steps = steps[0]
            elif steps.ndim and csr.nnz == 0:
                steps = np.int64(0)
            rows = 1 if np.ndim(steps) == 0 else int(steps.max()) + 1
            mode = _choose_mode(propagation, n_pre, n_post, rows, rule, where)
            if rule is not None and rule.changes_weights:
                rule.check_weights(weight, where)
                weight = np.broadcast_to(np.asarray(weight, dtype), (csr.nnz,))  # one weight per synapse: they change
            synapses.append(make_synapses(csr, weight, steps, mode, dtype))
            rules.append(rule)
            indexes.append(None if rule is None else build_index(csr))
            routes.append((proj.pre, proj.post, proj.target))
            longest = int(np.max(steps, initial=0))
            if longest > 0:  # delayed: a ring buffer (delay-free projections need none)
                key = (proj.post, proj.target)
                depth[key] = max(depth.get(key, 1), longest + 1)
        self.populations = pops
        self.synapses = tuple(synapses)
        self.routes = tuple(routes)
        self.buffers = tuple((post, target, D) for (post, target), D in depth.items())
        self.groups = _groups(self.synapses, self.routes)
        self.dt = float(dt)
        self.rules = tuple(rules)
        self.indexes = tuple(indexes)
        self.names = tuple(names)
        self.neuromodulators = neuromodulators

    # -- the engine protocol ----------------------------------------------------
    @property
    def input_shape(self):
        return {**{name: (pop.n,) for name, pop in self.populations.items()}, **{m: () for m in self.neuromodulators}}

    def time_constants(self):
        taus = {f"{p}.{k}": v for p, pop in self.populations.items() for k, v in pop.model.time_constants().items()}
        for name, rule in zip(self.names, self.rules):
            if rule is not None:
                taus.update({f"{name}.{k}": v for k, v in rule.time_constants().items()})
        return taus

    def init_state(self, key):
        keys = jax.random.split(key, len(self.populations))
        states = {}
        for k, (name, pop) in zip(keys, self.populations.items()):
            k_model, k_init = jax.random.split(k)
            state = pop.model.init_state(k_model)
            for j, (var, value) in enumerate(sorted(pop.init.items())):
                current = pop.model.read(state, var)
                if isinstance(value, Distribution):
                    value = value.draw(jax.random.fold_in(k_init, j), current.shape, current.dtype)
                state = _set(state, var, jnp.broadcast_to(jnp.asarray(value, current.dtype), current.shape))
            states[name] = state
        dtype = jnp.result_type(float)
        buffers = {f"{post}.{target}": jnp.zeros((D, self.populations[post].n), dtype) for post, target, D in self.buffers}
        plastic = {self.names[j]: init_plastic(rule, syn.weights, syn.nnz, syn.n_pre, syn.n_post, dtype)
                   for j, (rule, syn) in enumerate(zip(self.rules, self.synapses)) if rule is not None}
        return NetworkState(states, buffers, jnp.zeros((), jnp.int32), plastic)

    def step(self, state, t, dt, drive, key):
        if not isinstance(dt, jax.core.Tracer) and abs(float(dt) - self.dt) > 1e-9 * self.dt:
            raise ValueError(f"dt: this network was built for dt = {self.dt} ms (its delays are in steps), got dt = {dt} ms")
        i = state.step
        pops = dict(state.populations)
        buffers = dict(state.buffers)
        # 1. advance every population (integrate, threshold, reset, refractoriness)
        spikes = {}
        keys = jax.random.split(key, len(self.populations))
        for k, (name, pop) in zip(keys, self.populations.items()):
            solver = pop.solver if pop.solver is not None else pop.model.default_solver
            drive_pop = lambda s, name=name: drive(s)[name]  # noqa: E731
            stepped = pop.model.fused_step(pops[name], t, dt, drive_pop, solver)
            if stepped is None:
                new, fired = generic_advance(pop.model, pops[name], t, dt, drive_pop, k, solver)
                stepped = new, fired.get(SINGLE, jnp.zeros((pop.n,), bool))
            pops[name], spikes[name] = stepped
        # surrogate spikes (floats) are propagated as values, so gradients flow through them;
        # everything else sees booleans
        fired = {name: as_bool(s) for name, s in spikes.items()}
        # 2. plastic projections: both sides' variables, on_step, this step's efficacy (STP), weights
        #    from the state; STDP on the kernel path: the kernel's (traces, delivery, on_pre, on_post in one call)
        synapses, plastic, efficacy, stdp = list(self.synapses), dict(state.plastic), {}, {}
        signals = drive(t) if self.neuromodulators else {}  # the neuromodulators now (scalars)
        for j, rule in enumerate(self.rules):
            if rule is not None:
                name = self.names[j]
                pre, post, _ = self.routes[j]
                if synapses[j].mode == "kernel" and in_kernel(rule):
                    stdp[j] = kernel_stdp(rule, plastic[name], self.indexes[j], fired[post], dt)
                else:
                    plastic[name], efficacy[j] = before_propagation(rule, plastic[name], synapses[j], self.indexes[j], fired[pre], dt, i,
                                                                    signals)
                if plastic[name].w is not None:
                    synapses[j] = eqx.tree_at(lambda s: s.weights, synapses[j], plastic[name].w)
        # 3. this step's spikes: delay-free projections deliver now, delayed ones are scheduled;
        #    the pure-JAX pass of a plastic projection applies on_pre to the synapses it delivers
        on_jax = [j for j, syn in enumerate(synapses) if syn.mode == "jax"]  # their passes share one loop
        on_pre = {j: pre_update(self.rules[j], plastic[self.names[j]], synapses[j]) for j in on_jax if self.rules[j] is not None}
        weight_of = {j: self.rules[j].weight for j in on_jax if self.rules[j] is not None}
        passes = event_contributions([(synapses[j], spikes[self.routes[j][0]], efficacy.get(j), on_pre.get(j), weight_of.get(j))
                                      for j in on_jax],
                                     jnp.result_type(float))
        sums = {j: temp for j, (temp, _) in zip(on_jax, passes)}
        for j, (_, weights) in zip(on_jax, passes):
            if on_pre.get(j) is not None:
                plastic[self.names[j]] = eqx.tree_at(lambda p: p.w, plastic[self.names[j]], weights)
        for group in self.groups:
            pre = self.routes[group[0]][0]
            current = [self._target(pops, buffers, j) for j in group]
            if synapses[group[0]].mode == "kernel":  # the group's projections in one call
                together = [(synapses[j], x) for j, x in zip(group, current)]
                if any(j in stdp for j in group):
                    updated, states = propagate_together(fired[pre], together, i, [stdp.get(j) for j in group])
                    for j, new in zip(group, states):
                        if new is not None:
                            plastic[self.names[j]] = PlasticState(*new)
                else:
                    updated = propagate_together(fired[pre], together, i)
            else:
                updated = [propagate(synapses[group[0]], spikes[pre], current[0], i, sums.get(group[0]))]
            for j, x in zip(group, updated):
                self._store(pops, buffers, j, x)
        # 4. postsynaptic spikes and on_post (done by the kernel for its STDP)
        for j, rule in enumerate(self.rules):
            if rule is not None and j not in stdp:
                post = self.routes[j][1]
                plastic[self.names[j]] = after_propagation(rule, plastic[self.names[j]], self.indexes[j], fired[post])
        # 5. the delayed events due now
        for post, target, D in self.buffers:
            name = f"{post}.{target}"
            row = (i + 1) % D
            due = buffers[name][row]
            pops[post] = self.populations[post].model.receive(pops[post], target, lambda x, due=due: x + due)
            buffers[name] = buffers[name].at[row].set(0)
        return NetworkState(pops, buffers, i + 1, plastic), spikes

    def _target(self, pops, buffers, j):
        """What projection ``j`` adds its events to: the ring buffer of a delayed one, the
        target variable (as one row) of a delay-free one."""
        pre, post, target = self.routes[j]
        if self.synapses[j].delay > 0:
            return buffers[f"{post}.{target}"]
        seen = []
        self.populations[post].model.receive(pops[post], target, lambda x: seen.append(x) or x)
        return seen[0][None]

    def _store(self, pops, buffers, j, value):
        pre, post, target = self.routes[j]
        if self.synapses[j].delay > 0:
            buffers[f"{post}.{target}"] = value
        else:
            pops[post] = self.populations[post].model.receive(pops[post], target, lambda _: value[0])

    def read(self, state, name: str):
        pop, _, var = name.partition(".")
        if pop in state.plastic and var:
            return read_plastic(self.rules[self.names.index(pop)], state.plastic[pop], var, pop)
        if pop not in self.populations or not var:
            plastic = f"; plastic projections: '<projection>.w' with projection one of {', '.join(state.plastic)}" if state.plastic else ""
            raise ValueError(
                f"record: network variables are named '<population>.<variable>' with population one of "
                f"{', '.join(self.populations)}{plastic}, got {name!r}"
            )
        return self.populations[pop].model.read(state.populations[pop], var)

    def plastic_weights(self, state) -> dict:
        return {name: self.weights(state, name) for name, rule in zip(self.names, self.rules)
                if rule is not None and rule.changes_weights}

    def weights(self, state=None, projection: str | None = None):
        """``(pre, post, w)`` of a projection's synapses (numpy), from ``state`` (e.g.
        ``res.final_state``) for a plastic projection, else its fixed weights."""
        if projection not in self.names:
            raise ValueError(f"projection must be one of {', '.join(self.names)}, got {projection!r}")
        j = self.names.index(projection)
        syn = self.synapses[j]
        if syn.indptr is None:
            raise ValueError(f"projection {projection!r} uses dense propagation: read its matrix from net.synapses[{j}].dense")
        w = syn.weights
        if state is not None and projection in state.plastic and state.plastic[projection].w is not None:
            w = self.rules[j].weight(state.plastic[projection].w)
        index = self.indexes[j]
        if index is not None:
            pre = index.pre_of
        else:
            pre = np.repeat(np.arange(syn.n_pre, dtype=np.int32), np.diff(np.asarray(syn.indptr)))
        return pre, syn.indices, jnp.broadcast_to(w, (syn.nnz,))

    def replace(self, *, populations: dict | None = None, plasticity: dict | None = None) -> "Network":
        """A copy with some populations' models and some projections' rules changed; the
        connectivity, weights and delays are kept (no rebuild).

        ``populations``: name -> population model or :class:`Population` of the same size
        with the channels the projections target (``net.replace(populations={"E":
        E.replace(I_e=30.0)})``, also under ``vmap``); ``plasticity``: projection name -> a
        rule of the same kind where there is one (e.g. another learning rate).
        """
        new = self
        for name, pop in (populations or {}).items():
            if name not in self.populations:
                raise ValueError(f"populations: unknown population {name!r}; expected one of {', '.join(self.populations)}")
            old = self.populations[name]
            pop = pop if isinstance(pop, Population) else Population(pop, old.init, old.solver)
            if pop.n != old.n:
                raise ValueError(f"populations[{name!r}]: size must stay {old.n} (the connectivity is built), got {pop.n}")
            targets = getattr(pop.model, "synapse_targets", ())
            for pre, post, target in self.routes:
                if post == name and target not in targets:
                    raise ValueError(f"populations[{name!r}]: a projection targets channel {target!r}, which the new model lacks")
            new = eqx.tree_at(lambda n, name=name: n.populations[name], new, pop)
        for proj, rule in (plasticity or {}).items():
            if proj not in self.names:
                raise ValueError(f"plasticity: unknown projection {proj!r}; expected one of {', '.join(self.names)}")
            j = self.names.index(proj)
            old = self.rules[j]
            if old is None or type(rule) is not type(old):
                raise ValueError(
                    f"plasticity[{proj!r}]: must be a {type(old).__name__ if old is not None else 'None (frozen projection)'} "
                    f"like the projection's rule, got {type(rule).__name__}; build a new Network to change the kind of plasticity"
                )
            if self.synapses[j].mode == "kernel" and old.changes_weights and not in_kernel(rule):
                raise ValueError(f"plasticity[{proj!r}]: the C++ kernel runs this projection's STDP, which takes scalar "
                                 "parameters; build a new Network (or use propagation='jax') for per-neuron ones")
            new = eqx.tree_at(lambda n, j=j: n.rules[j], new, rule)
        return new

    # -- conveniences -------------------------------------------------------------
    @property
    def sizes(self) -> dict:
        return {name: pop.n for name, pop in self.populations.items()}

    @property
    def n_synapses(self) -> int:
        """Number of synapses over all projections."""
        return sum(s.nnz for s in self.synapses)

    @property
    def propagation(self) -> tuple:
        """The propagation path each projection uses (``"kernel"``, ``"jax"`` or ``"dense"``)."""
        return tuple(s.mode for s in self.synapses)


def _projection_names(projections, populations) -> list:
    """Each projection's name: given, or "pre->post" ("pre->post:target", then "...#j", when
    projections share pre and post)."""
    plain = [f"{p.pre}->{p.post}" if isinstance(p, Projection) else "" for p in projections]
    names = []
    for j, p in enumerate(projections):
        if not isinstance(p, Projection):
            names.append(f"#{j}")
            continue
        name = p.name
        if name is None:
            name = plain[j] if plain.count(plain[j]) == 1 else f"{plain[j]}:{p.target}"
            name = f"{name}#{j}" if name in names else name
        elif not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"projections[{j}]: name must be a non-empty string without '.', got {name!r}")
        if name in names or name in populations:
            raise ValueError(f"projections[{j}]: name {name!r} is already used; give each projection a distinct name")
        names.append(name)
    return names


def _signal_names(names, populations, projections) -> tuple:
    """The network's neuromodulator names: strings without '.', distinct from populations and projections."""
    names = (names,) if isinstance(names, str) else tuple(names)
    for name in names:
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"neuromodulators: names must be non-empty strings without '.', got {name!r}")
        if name in populations or name in projections or names.count(name) > 1:
            raise ValueError(f"neuromodulators: name {name!r} is already used (by a population, a projection or another "
                             "neuromodulator); give each a distinct name")
    return names


def read_plastic(rule, ps, var: str, name: str):
    """A plastic projection's recordable variables: ``w`` (what a spike delivers), the
    fields of a per-synapse state module, and the rule's neuron variables (``pre``/``post``
    for plain arrays, else their field names, e.g. ``u``, ``x``)."""
    options = {}
    if ps.w is not None:
        options["w"] = rule.weight(ps.w)
        if isinstance(ps.w, eqx.Module):
            options.update({k: getattr(ps.w, k) for k in ps.w.__dataclass_fields__ if k != "w"})
    for side in ("pre", "post"):
        tree = getattr(ps, side)
        if isinstance(tree, jax.Array):
            options[side] = tree
        elif isinstance(tree, eqx.Module):
            options.update({k: getattr(tree, k) for k in tree.__dataclass_fields__})
    if var not in options:
        raise ValueError(f"record: unknown variable {var!r} of projection {name!r}; expected one of {', '.join(options)}")
    return options[var]


def _groups(synapses, routes) -> tuple:
    """Projections propagated together: consecutive kernel-path projections from one
    population into distinct targets (so the order of additions into any target, and the
    results, are those of one projection at a time); every other projection alone."""
    groups, keys = [], []
    for j, (syn, (pre, post, target)) in enumerate(zip(synapses, routes)):
        key = (post, target, syn.delay > 0)
        last = groups[-1] if groups else None
        if (last is not None and syn.mode == "kernel" and synapses[last[0]].mode == "kernel"
                and routes[last[0]][0] == pre and key not in keys[-1]):
            last.append(j)
            keys[-1].add(key)
        else:
            groups.append([j])
            keys.append({key})
    return tuple(tuple(g) for g in groups)


def _set(state, var, value):
    if var in getattr(state, "__dataclass_fields__", {}) and var != "parts":
        return eqx.tree_at(lambda s: getattr(s, var), state, value)
    if var in getattr(state, "vars", {}):  # Custom neurons
        return eqx.tree_at(lambda s: s.vars[var], state, value)
    raise ValueError(f"init: {var!r} is not a variable of the neuron's own state (parts start from their own init)")


__all__ = ["Network", "Population", "Projection", "NetworkState", "Synapses"]
