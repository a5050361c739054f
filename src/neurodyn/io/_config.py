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
import difflib
import inspect
import tomllib
from pathlib import Path
from typing import Any

import jax.numpy as jnp

from .. import inputs as _inputs
from .. import neurons as _neurons
from ..engine import _solvers

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
}

BUNDLED = Path(__file__).resolve().parent.parent / "configs"


class ConfigError(ValueError):
    """A config file that cannot be run, with a one-line reason."""


def _suggest(word, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read(path) -> dict:
    """Parse a TOML file into a dict, with one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config: no such file: {path}")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"model.tau_m=15"`` -> (["model", "tau_m"], 15.0). Values are read as TOML values."""
    if "=" not in text:
        raise ConfigError(f"--set: expected key=value (e.g. model.tau_m=15), got {text!r}")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
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


def _array(value):
    return jnp.asarray(value, dtype=float) if isinstance(value, list) else value


def build_model(section: dict):
    if not isinstance(section, dict) or "type" not in section:
        raise ConfigError(f"model.type: expected the name of a model, one of {', '.join(MODELS)}; found nothing")
    name = section["type"]
    if name not in MODELS:
        raise ConfigError(f"model.type: unknown model {name!r}; expected one of {', '.join(MODELS)}{_suggest(str(name), MODELS)}")
    cls = MODELS[name]
    known = _parameter_names(cls)
    kwargs = {}
    for key, value in section.items():
        if key == "type":
            continue
        if key not in known:
            raise ConfigError(
                f"model.{key}: unknown parameter of {name}{_suggest(key, known)}; expected one of {', '.join(known)}"
            )
        kwargs[key] = _array(value)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model ({name}): {exc}") from None


def build_network(section: dict, dt: float):
    """A bundled reference network and its own inputs (dict population -> input)."""
    if not isinstance(section, dict) or section.get("type") not in NETWORKS:
        kind = section.get("type") if isinstance(section, dict) else None
        raise ConfigError(f"network.type: unknown network {kind!r}; expected one of {', '.join(NETWORKS)}{_suggest(str(kind), NETWORKS)}")
    factory = _networks()[section["type"]]
    known = [k for k in inspect.signature(factory).parameters if k != "dt"]
    kwargs = {k: v for k, v in section.items() if k != "type"}
    for key in kwargs:
        if key not in known:
            raise ConfigError(f"network.{key}: unknown parameter of {section['type']}{_suggest(key, known)}; expected one of {', '.join(known)}")
    try:
        return factory(**kwargs, dt=dt)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"network ({section['type']}): {exc}") from None


def _network_inputs(sections, own: dict, populations) -> dict:
    """[[input]] tables with a ``population`` key, added to the network's own inputs."""
    if isinstance(sections, dict):
        sections = [sections]
    out = {p: [v] for p, v in own.items()}
    for i, section in enumerate(sections or []):
        if not isinstance(section, dict) or section.get("population") not in populations:
            found = section.get("population") if isinstance(section, dict) else None
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
        kind = section.get("type") if isinstance(section, dict) else None
        if kind not in INPUTS:
            raise ConfigError(
                f"{where}.type: unknown input {kind!r}; expected one of {', '.join(INPUTS)}{_suggest(str(kind), INPUTS)}"
            )
        factory = INPUTS[kind]
        known = list(inspect.signature(factory).parameters)
        kwargs = {k: v for k, v in section.items() if k != "type"}
        for key in kwargs:
            if key not in known:
                raise ConfigError(f"{where}.{key}: unknown parameter of {kind}{_suggest(key, known)}; expected one of {', '.join(known)}")
        try:
            built.append(factory(**kwargs))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where} ({kind}): {exc}") from None
    return built


def _number(section, key, where, kind=float, required=True):
    if key not in section:
        if required:
            raise ConfigError(f"{where}.{key}: required ({SIMULATION_KEYS[key]}); found nothing")
        return None
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise ConfigError(f"{where}.{key}: expected {'an integer' if kind is int else 'a number'}, found {value!r}")
    return kind(value)


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
    for key, value in (("duration", duration), ("dt", dt)):
        if value <= 0:
            raise ConfigError(f"simulation.{key}: must be > 0 ms, found {value}")
    seed = _number(sim, "seed", "simulation", int, required=False) or 0
    every = _number(sim, "record_every", "simulation", int, required=False) or 1
    if every < 1:
        raise ConfigError(f"simulation.record_every: must be >= 1, found {every}")
    record = sim.get("record")
    if record is not None and (not isinstance(record, list) or not all(isinstance(r, str) for r in record)):
        raise ConfigError(f"simulation.record: expected a list of variable names, found {record!r}")
    neurons = sim.get("record_neurons")
    if neurons is not None:
        if not isinstance(neurons, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in neurons):
            raise ConfigError(f"simulation.record_neurons: expected a list of integer indices, found {neurons!r}")
        record = {name: (None if name == "spikes" else neurons) for name in (record or ["spikes"])}
    solver = sim.get("solver")
    if solver is not None:
        if solver not in SOLVERS:
            raise ConfigError(f"simulation.solver: unknown solver {solver!r}; expected one of {', '.join(SOLVERS)}")
        solver = SOLVERS[solver]()
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
    return RunSpec(model, inputs, duration, dt, seed, record, every, solver, config)


def load_config(path=None, overrides=()) -> RunSpec:
    """Read, override (``--set``) and validate a config; ``None`` loads the bundled demo."""
    path = BUNDLED / "demo.toml" if path is None else path
    return validate(apply_overrides(read(path), overrides))
