"""TOML run descriptions: loading, validation, and turning them into API calls.

A config has three sections::

    [simulation]              # duration, dt (ms), seed, record, record_every, record_neurons, solver
    [model]                   # type = "LIF" and the model's parameters
    [[input]]                 # zero or more inputs: type = "constant" | "ornstein_uhlenbeck" | ...

or, for a bundled reference network, ``[network]`` in place of ``[model]``
(``type = "coba" | "cuba" | "brunel"`` and the factory's parameters; its ``dt`` is the
simulation's), with each ``[[input]]`` naming its ``population``.

Every error is a :class:`ConfigError` whose message names the field, what was
expected and what was found.
"""

from __future__ import annotations

import dataclasses
import inspect
import tomllib
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import inputs as _inputs
from .. import neurons as _neurons
from .._params import check_integer, suggest, to_unit
from ..engine import _solvers
from ..engine._simulate import MAX_STEPS

#: Models a config can name (model.type).
MODELS: dict[str, type] = {
    "LIF": _neurons.LIF,
    "AdaptiveLIF": _neurons.AdaptiveLIF,
    "ExpIF": _neurons.ExpIF,
    "QIF": _neurons.QIF,
    "AdEx": _neurons.AdEx,
    "Izhikevich": _neurons.Izhikevich,
    "HodgkinHuxley": _neurons.HodgkinHuxley,
    "TraubMiles": _neurons.TraubMiles,
    "WangBuzsaki": _neurons.WangBuzsaki,
}

#: Inputs a config can name (input.type), and the factory each calls.
INPUTS = {
    "constant": _inputs.constant,
    "steps": _inputs.steps,
    "pulses": _inputs.pulses,
    "array": _inputs.array,
    "poisson": _inputs.poisson,
    "white_noise": _inputs.white_noise,
    "ornstein_uhlenbeck": _inputs.ornstein_uhlenbeck,
}

def _networks():
    from .. import examples

    return {"coba": examples.coba, "cuba": examples.cuba, "brunel": examples.brunel}


#: Reference networks a config can name (network.type).
NETWORKS = ("coba", "cuba", "brunel")

SOLVERS = {
    "euler": _solvers.Euler,
    "exponential_euler": _solvers.ExponentialEuler,
    "rk4": _solvers.RK4,
    "euler_maruyama": _solvers.EulerMaruyama,
}

SIMULATION_KEYS = {
    "duration": "simulated time, ms",
    "dt": "time step, ms",
    "seed": "integer seed of jax.random.key",
    "record": "list of variables to record ('spikes', 'V_m', ...)",
    "record_every": "record traces every this many steps",
    "record_neurons": "indices of the neurons whose traces are recorded",
    "solver": f"one of {', '.join(SOLVERS)}",
    "max_steps": "refuse runs of more steps than this (default 1e9)",
    "max_memory": "refuse runs whose estimated memory exceeds this (bytes, or e.g. '64 GiB'; default: the machine's)",
}

#: Units of the quantities a config gives outside model parameters (whose units are in
#: their ``param`` metadata). A value may be a number in this unit or a string with its
#: own unit (``"1 s"``), converted by pint.
UNITS = {
    "simulation": {"duration": "ms", "dt": "ms", "max_memory": "byte"},
    "constant": {"amplitude": "pA"},
    "steps": {"times": "ms", "values": "pA"},
    "pulses": {"amplitude": "pA", "start": "ms", "width": "ms", "period": "ms"},
    "array": {"values": "pA", "dt": "ms", "times": "ms", "t0": "ms"},
    "poisson": {"rate": "Hz", "weight": "pA ms"},
    "white_noise": {"sigma": "pA ms^0.5", "mean": "pA"},
    "ornstein_uhlenbeck": {"mean": "pA", "sigma": "pA", "tau": "ms"},
    "coba": {"p": "", "w_e": "nS", "w_i": "nS", "I": "pA"},
    "cuba": {"p": "", "w_e": "pA", "w_i": "pA"},
    "brunel": {"g": "", "eta": "", "epsilon": "", "J": "mV", "delay": "ms"},
}

#: Deepest nesting of tables and arrays a config may have.
MAX_DEPTH = 16

BUNDLED = Path(__file__).resolve().parent.parent / "configs"


class ConfigError(ValueError):
    """A config file that cannot be run, with a one-line reason."""


_suggest = suggest


def _depth(value) -> int:
    """Nesting depth of tables/arrays, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, d + 1)
            if d + 1 <= MAX_DEPTH:
                stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _loads(text: str, where: str) -> dict:
    """TOML text -> dict; too deep nesting is an error, not a RecursionError."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        data = None
    if data is None or _depth(data) > MAX_DEPTH:
        raise ConfigError(f"{where}: tables and arrays nested too deeply; expected at most {MAX_DEPTH} levels")
    return data


def read(path) -> dict:
    """Parse a TOML file (UTF-8, with or without a byte-order mark) into a dict, with one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config: no such file: {path}" if not path.is_dir() else f"config: {path} is a directory; expected a TOML file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config: {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"config: cannot read {path}: {exc.strerror or exc}") from None
    try:
        return _loads(text, f"config: {path}")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"model.tau_m=15"`` -> (["model", "tau_m"], 15.0). Values are read as TOML values."""
    if "=" not in text:
        raise ConfigError(f"--set: expected key=value (e.g. model.tau_m=15), got {text!r}")
    key, raw = text.split("=", 1)
    try:
        value = _loads(f"v = {raw}", f"--set {key.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def apply_overrides(config: dict, overrides) -> dict:
    for text in overrides or ():
        path, value = parse_override(text)
        node = config
        for i, part in enumerate(path[:-1]):
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f"--set {text}: {'.'.join(path[:i + 1])} is not an existing list index")
                node = node[int(part)]
            else:
                node = node.setdefault(part, {})
            if not isinstance(node, (dict, list)):
                raise ConfigError(f"--set {text}: {'.'.join(path[:i + 1])} is not a section")
        node[path[-1]] = value
    return config


def _parameter_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _in_unit(where: str, value, unit: str):
    """A config value of a quantity in ``unit``: numbers as given (in ``unit``), strings with
    their own unit (``"0.25 nF"``) converted, lists element by element, as a float array."""
    def one(w, v):
        if isinstance(v, str):
            try:
                return to_unit(w, v, unit)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if isinstance(v, list):
            return [one(f"{w}[{i}]", x) for i, x in enumerate(v)]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(f"{w}: expected a number{' in ' + unit if unit else ''}, got {v!r}")
        try:
            return float(v)
        except OverflowError:
            raise ConfigError(f"{w}: expected a finite number{' in ' + unit if unit else ''}, got {v}") from None

    value = one(where, value)
    if isinstance(value, list):
        try:
            return jnp.asarray(np.asarray(value, dtype=float))
        except ValueError:
            raise ConfigError(f"{where}: expected a number or a flat list of numbers, got a nested list of uneven lengths") from None
    return value


def _name(where: str, value, options, what: str) -> str:
    """A name among ``options`` (model, input, network or solver type)."""
    if not isinstance(value, str) or value not in options:
        hint = _suggest(value, options) if isinstance(value, str) else ""
        raise ConfigError(f"{where}: unknown {what} {value!r}; expected one of {', '.join(options)}{hint}")
    return value


def _model_units(cls) -> dict:
    """Units of a model class's non-static parameters (from their ``param`` metadata)."""
    return {f.name: f.metadata["unit"] for f in dataclasses.fields(cls)
            if "unit" in (f.metadata or {}) and not f.metadata.get("static", False)}


def build_model(section: dict):
    if not isinstance(section, dict) or "type" not in section:
        raise ConfigError(f"model.type: expected the name of a model, one of {', '.join(MODELS)}; found nothing")
    name = _name("model.type", section["type"], list(MODELS), "model")
    cls = MODELS[name]
    known = _parameter_names(cls)
    units = _model_units(cls)
    kwargs = {}
    for key, value in section.items():
        if key == "type":
            continue
        if key not in known:
            raise ConfigError(
                f"model.{key}: unknown parameter of {name}{_suggest(key, known)}; expected one of {', '.join(known)}"
            )
        kwargs[key] = _in_unit(f"model.{key}", value, units[key]) if key in units else value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model ({name}): {exc}") from None


def build_network(section: dict, dt: float):
    """A bundled reference network and its own inputs (dict population -> input)."""
    if not isinstance(section, dict):
        raise ConfigError(f"network: expected a [network] table, got {section!r}")
    kind = _name("network.type", section.get("type"), NETWORKS, "network")
    factory = _networks()[kind]
    known = [k for k in inspect.signature(factory).parameters if k != "dt"]
    kwargs = {k: v for k, v in section.items() if k != "type"}
    for key in kwargs:
        if key not in known:
            raise ConfigError(f"network.{key}: unknown parameter of {kind}{_suggest(key, known)}; expected one of {', '.join(known)}")
        if key == "plasticity":
            kwargs[key] = build_rule(kwargs[key], "network.plasticity", UNITS[kind].get("w_e", ""))
        elif key in UNITS[kind]:
            kwargs[key] = _in_unit(f"network.{key}", kwargs[key], UNITS[kind][key])
    try:
        return factory(**kwargs, dt=dt)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"network ({section['type']}): {exc}") from None


def _rules():
    from .. import plasticity

    return {"stdp": plasticity.STDP, "tsodyks_markram": plasticity.TsodyksMarkram,
            "multiplicative_stdp": plasticity.MultiplicativeSTDP, "triplet_stdp": plasticity.TripletSTDP,
            "synaptic_scaling": plasticity.SynapticScaling}


#: Plasticity rules a config can name for a spiking network (``[network.plasticity] type = ...``).
RULES = ("stdp", "tsodyks_markram", "multiplicative_stdp", "triplet_stdp", "synaptic_scaling")


def build_rule(section, where: str, weight_unit: str):
    """A plasticity rule from a table ``{type = "stdp", A_pre = 0.006, ...}``; parameters in
    the unit of the synapses' weights are read in ``weight_unit`` (nS for COBA, pA for CUBA)."""
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: expected a table with a type (one of {', '.join(RULES)}), got {section!r}")
    kind = _name(f"{where}.type", section.get("type"), RULES, "plasticity rule")
    cls = _rules()[kind]
    units = _model_units(cls)
    flags = [f.name for f in dataclasses.fields(cls) if (f.metadata or {}).get("static") and "unit" in f.metadata and f.name != "n"]
    known = [k for k in units if k != "n"] + flags
    kwargs = {}
    for key, value in section.items():
        if key == "type":
            continue
        if key not in known:
            raise ConfigError(f"{where}.{key}: unknown parameter of {kind}{_suggest(key, known)}; expected one of {', '.join(known)}")
        if key in flags:  # e.g. interaction = "nearest", steps = 10: taken as given
            kwargs[key] = value
            continue
        unit = weight_unit if units[key] == "weight" else units[key]
        kwargs[key] = _in_unit(f"{where}.{key}", value, unit)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} ({kind}): {exc}") from None


def _network_inputs(sections, own: dict, populations) -> dict:
    """[[input]] tables with a ``population`` key, added to the network's own inputs."""
    if isinstance(sections, dict):
        sections = [sections]
    out = {p: [v] for p, v in own.items()}
    if not isinstance(sections, list):
        raise ConfigError(f"input: expected [[input]] tables, found {type(sections).__name__}")
    for i, section in enumerate(sections or []):
        found = section.get("population") if isinstance(section, dict) else None
        if not isinstance(found, str) or found not in populations:
            raise ConfigError(f"input[{i}].population: expected one of {', '.join(populations)}; found {found!r}")
        section = dict(section)
        pop = section.pop("population")
        out.setdefault(pop, []).extend(build_inputs([section]))
    return out


def build_inputs(sections) -> list:
    if isinstance(sections, dict):
        sections = [sections]
    if not isinstance(sections, list):
        raise ConfigError(f"input: expected [[input]] tables, found {type(sections).__name__}")
    built = []
    for i, section in enumerate(sections):
        where = f"input[{i}]"
        if not isinstance(section, dict):
            raise ConfigError(f"{where}: expected an [[input]] table, got {section!r}")
        kind = _name(f"{where}.type", section.get("type"), list(INPUTS), "input")
        factory = INPUTS[kind]
        known = list(inspect.signature(factory).parameters)
        kwargs = {k: v for k, v in section.items() if k != "type"}
        for key in kwargs:
            if key not in known:
                raise ConfigError(f"{where}.{key}: unknown parameter of {kind}{_suggest(key, known)}; expected one of {', '.join(known)}")
            if key in UNITS[kind]:
                kwargs[key] = _in_unit(f"{where}.{key}", kwargs[key], UNITS[kind][key])
        for key, param in inspect.signature(factory).parameters.items():
            if param.default is param.empty and key not in kwargs:
                raise ConfigError(f"{where}.{key}: required by a {kind} input; found nothing")
        try:
            built.append(factory(**kwargs))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where} ({kind}): {exc}") from None
    return built


def _number(section, key, where, kind=float, required=True, low=None, high=None):
    """A simulation setting: a number (strings with units for quantities), or an integer in [low, high]."""
    if key not in section:
        if required:
            raise ConfigError(f"{where}.{key}: required ({SIMULATION_KEYS[key]}); found nothing")
        return None
    value = section[key]
    if kind is int:
        if key in UNITS["simulation"] and isinstance(value, str):
            value = _in_unit(f"{where}.{key}", value, UNITS["simulation"][key])
            value = int(value) if value.is_integer() else value
        try:
            return check_integer(f"{where}.{key}", value, low, high)
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc).replace(" must be an integer", ": expected an integer")) from None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{where}.{key}: expected a number, found {value!r}")
    value = _in_unit(f"{where}.{key}", value, UNITS["simulation"].get(key, ""))
    if not (0 < value < float("inf")):
        raise ConfigError(f"{where}.{key}: must be > 0 ms and finite, found {value}")
    return value


@dataclasses.dataclass
class RunSpec:
    """A validated config: everything ``simulate`` needs."""

    model: Any
    inputs: list
    duration: float
    dt: float
    seed: int
    record: Any
    record_every: int
    solver: Any
    config: dict
    limits: dict = dataclasses.field(default_factory=dict)  # max_steps / max_memory for simulate


def validate(config: dict) -> RunSpec:
    sections = ["simulation", "model", "network", "input"]
    unknown = [k for k in config if k not in sections]
    if unknown:
        raise ConfigError(f"config: unknown section [{unknown[0]}]{_suggest(unknown[0], sections)}; expected simulation, model or network, input")
    if "model" in config and "network" in config:
        raise ConfigError("config: expected either [model] or [network], found both")
    sim = config.get("simulation")
    if not isinstance(sim, dict):
        raise ConfigError("simulation: expected a [simulation] table with duration and dt; found nothing")
    for key in sim:
        if key not in SIMULATION_KEYS:
            raise ConfigError(f"simulation.{key}: unknown setting{_suggest(key, SIMULATION_KEYS)}; expected one of {', '.join(SIMULATION_KEYS)}")
    duration = _number(sim, "duration", "simulation")
    dt = _number(sim, "dt", "simulation")
    seed = _number(sim, "seed", "simulation", int, required=False, low=-(2**63), high=2**63 - 1)
    seed = 0 if seed is None else seed
    every = _number(sim, "record_every", "simulation", int, required=False, low=1, high=2**31 - 1)
    every = 1 if every is None else every
    limits = {key: _number(sim, key, "simulation", int, required=False, low=1, high=high)
              for key, high in (("max_steps", 2**31 - 1), ("max_memory", 2**63 - 1)) if key in sim}
    record = sim.get("record")
    if record is not None and (not isinstance(record, list) or not all(isinstance(r, str) for r in record)):
        raise ConfigError(f"simulation.record: expected a list of variable names, found {record!r}")
    neurons = sim.get("record_neurons")
    if neurons is not None:
        if not isinstance(neurons, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in neurons):
            raise ConfigError(f"simulation.record_neurons: expected a list of integer indices, found {neurons!r}")
        record = {name: (None if name == "spikes" else neurons) for name in (record or ["spikes"])}
    if record is not None:
        for name in record:
            if name != "spikes" and _suggest(name, ["spikes"]):
                raise ConfigError(f"simulation.record: unknown variable {name!r}{_suggest(name, ['spikes'])}")
    solver = sim.get("solver")
    if solver is not None:
        solver = SOLVERS[_name("simulation.solver", solver, list(SOLVERS), "solver")]()
    steps = round(duration / dt)
    if steps > limits.get("max_steps", MAX_STEPS):
        raise ConfigError(
            f"simulation.duration: {duration:g} ms at dt = {dt:g} ms is {steps:.3g} steps, more than max_steps = "
            f"{limits.get('max_steps', MAX_STEPS):.3g}; check the units (ms), or raise simulation.max_steps (at most 2**31 - 1)"
        )
    if "network" in config:
        model, own = build_network(config["network"], dt)
        inputs = _network_inputs(config.get("input", []), own, list(model.input_shape))
    else:
        model = build_model(config.get("model"))
        inputs = build_inputs(config.get("input", []))
    for name, tau in model.time_constants().items():
        smallest = float(jnp.min(jnp.asarray(tau)))
        if dt > smallest:
            raise ConfigError(f"simulation.dt: {dt} ms is larger than the model's {name} = {smallest} ms; expected dt <= {name}")
    return RunSpec(model, inputs, duration, dt, seed, record, every, solver, config, limits)


def load_config(path=None, overrides=()) -> RunSpec:
    """Read, override (``--set``) and validate a config; ``None`` loads the bundled demo."""
    path = BUNDLED / "demo.toml" if path is None else path
    return validate(apply_overrides(read(path), overrides))
