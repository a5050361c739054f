"""Fuzzing the two front doors (issue 14, item 12): generated TOML configs through
``neurodyn run`` and generated argument sets through the Python API.

A config either runs (exit 0, results written) or is refused with exactly one line
``neurodyn: error: ...`` on stderr (exit 2; exit 3 for a run that diverges); warnings are
single ``neurodyn: warning: ...`` lines. Never a traceback, an abort or a hang (tiny
sizes and durations, and a time limit per example). The API raises ``ValueError`` or
``TypeError`` with a one-line message, or returns a result.

``NEURODYN_FUZZ_EXAMPLES=1000`` runs the acceptance-size campaign (default 120).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import os
import signal

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neurodyn as nd
from neurodyn import cli
from neurodyn.io._config import INPUTS, MODELS, NETWORKS, SOLVERS, _networks, _parameter_names

EXAMPLES = int(os.environ.get("NEURODYN_FUZZ_EXAMPLES", "120"))
SECONDS_PER_EXAMPLE = 60  # far above any example's need: only a hang reaches it

# -- values -------------------------------------------------------------------------------
def mostly(good, bad, one_in=8):
    """``good`` values, and ``bad`` ones about once in ``one_in`` draws (so that most
    configs get past their first field and reach the deeper checks and the run)."""
    return st.sampled_from([False] * (one_in - 1) + [True]).flatmap(lambda is_bad: bad if is_bad else good)


UNITS = ["ms", "s", "us", "mV", "V", "pA", "nA", "pF", "nF", "nS", "Hz", "kHz", "GOhm", "blorb", "1/ms", "pA ms", ""]
good_numbers = st.one_of(st.floats(-100.0, 100.0, allow_nan=False), st.integers(-5, 5),
                         st.sampled_from([0.0, 0.25, 20.0, -65.0, 400.0, 1e-3]))
bad_numbers = st.sampled_from([-0.0, 1e-30, -1e-30, 1e30, -1e30, 1e300, math.nan, math.inf, -math.inf,
                               2**31, 2**32, 2**62, 2**63 - 1, -(2**63), 10**12])
numbers = mostly(good_numbers, bad_numbers, 4)
unit_strings = st.builds(lambda x, u: f"{x} {u}".strip(), st.sampled_from(["1", "20", "-65", "0.25", "1e400", "nan", "5", "2.5e-3"]),
                         st.sampled_from(UNITS))
scalars = mostly(st.one_of(numbers, unit_strings), st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), st.booleans()), 6)
values = mostly(scalars, st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "type", "n"]), inner, max_size=2)), max_leaves=6), 4)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def table(name, items, array=False) -> str:
    head = f"[[{name}]]" if array else f"[{name}]"
    return head + "\n" + "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in items.items())


# -- configs ------------------------------------------------------------------------------
def params(names, sizes):
    """Some of ``names`` (and an unknown key now and then) with fuzzed values."""
    keys = st.lists(mostly(st.sampled_from(names), st.sampled_from(["tau", "bogus", "Type"]), 12), max_size=4, unique=True)
    return keys.flatmap(lambda ks: st.fixed_dictionaries(
        {k: (sizes if k in ("n", "n_e", "n_sources") else values) for k in ks}))


sizes = mostly(st.sampled_from([1, 2, 3, 5, 40]), st.sampled_from([0, -1, 1.5, 2**31, 2**62, 10**12, 10**30, "5", True, [2], 1e12]), 5)
durations = mostly(st.sampled_from([0.5, 1.0, 2.0, "1 ms", "0.002 s", "2000 us"]),
                   st.sampled_from([0.0, -1.0, math.nan, math.inf, 1e30, "1 mV", "x", True, [1.0], 0.25]))
steps = mostly(st.sampled_from([0.1, 0.05, "0.1 ms", 0.5]), st.sampled_from([0.0, -0.1, 1e-30, math.nan, 20.0, "1 pA", 0.3]))


@st.composite
def simulation(draw):
    sim = {"duration": draw(durations), "dt": draw(steps)}
    optional = {
        "seed": mostly(st.sampled_from([0, 1, -1, 2**63 - 1]), st.sampled_from([1.5, 1e23, 10**23, "x"])),
        "record": st.lists(mostly(st.sampled_from(["spikes", "V_m"]), st.sampled_from(["spike", "V", "w", "E.V_m", "g_exc", "Spikes"])),
                           max_size=3),
        "record_every": mostly(st.sampled_from([1, 2, 3]), st.sampled_from([0, -1, 1e18, 10**18, 1.5, 2**31])),
        "record_neurons": st.lists(mostly(st.sampled_from([0, 1]), st.sampled_from([4, -1, 10**12, 1.5])), max_size=3),
        "solver": mostly(st.sampled_from(list(SOLVERS)), st.sampled_from(["Euler", "rk5", 3])),
        "max_steps": st.sampled_from([1, 10, 10**9, 0, 2**40]),
        "max_memory": st.sampled_from(["1 kB", "64 MiB", 10**6, 0, "3 ms"]),
        "bogus": values,
    }
    keys = st.lists(mostly(st.sampled_from(list(optional)[:5]), st.sampled_from(list(optional)[5:]), 6), max_size=3, unique=True)
    for key in draw(keys):
        sim[key] = draw(optional[key])
    return sim


@st.composite
def inputs(draw, populations=()):
    out = []
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(mostly(st.sampled_from(list(INPUTS)), st.sampled_from(["Poisson", "noise", 3]), 12))
        names = list(inspect.signature(INPUTS[kind]).parameters) if kind in INPUTS else ["x"]
        required = [k for k, v in inspect.signature(INPUTS[kind]).parameters.items() if v.default is v.empty] if kind in INPUTS else []
        section = {"type": kind, **{k: draw(values) for k in required}, **draw(params(names, sizes))}
        if populations:
            section["population"] = draw(mostly(st.sampled_from(populations), st.just("X")))
        out.append(section)
    return out


@st.composite
def configs(draw) -> str:
    parts = [table("simulation", draw(simulation()))]
    if draw(st.sampled_from(range(5))) == 3:  # a reference network, small
        kind = draw(mostly(st.sampled_from(NETWORKS), st.just("COBA"), 12))
        names = [k for k in inspect.signature(_networks()[kind]).parameters if k not in ("dt", "propagation")] \
            if kind in NETWORKS else ["n"]
        size = "n" if kind != "brunel" else "n_e"
        section = {"type": kind, size: draw(mostly(st.sampled_from([8, 20, 40]), st.sampled_from([0, 1, 3, -5, 1.5, 10**12, 2**31])))}
        section.update(draw(params(names, mostly(st.sampled_from([8, 20, 40]), st.sampled_from([0, 1, 10**12])))))
        parts.append(table("network", section))
        pops = ("E", "I")
    else:
        kind = draw(mostly(st.sampled_from(list(MODELS)), st.sampled_from(["lif", "LIFF", 3]), 12))
        names = [f for f in _parameter_names(MODELS[kind]) if f != "parts"] if kind in MODELS else ["n"]
        section = {"type": kind, "n": draw(sizes)}
        section.update(draw(params(names, sizes)))
        parts.append(table("model", section))
        pops = ()
    parts += [table("input", s, array=True) for s in draw(inputs(pops))]
    if draw(st.sampled_from(range(30))) == 7:
        parts.append(table(draw(st.sampled_from(["simulaton", "extra"])), {"a": 1}))
    text = "\n".join(parts)
    mutation = draw(st.sampled_from(range(30)))
    if mutation == 0:
        text = "\ufeff" + text  # a byte-order mark: valid
    elif mutation == 1:
        text += "deep = " + "[" * 300 + "]" * 300 + "\n"
    elif mutation == 2:
        text = text[: draw(st.integers(0, len(text)))]  # truncated
    return text


# -- running --------------------------------------------------------------------------------
@contextlib.contextmanager
def time_limit(seconds):
    def stop(signum, frame):
        raise TimeoutError(f"example ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_config(text: str, folder) -> tuple[int, list[str]]:
    path = folder / "fuzz.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    out = folder / "out"
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std), time_limit(SECONDS_PER_EXAMPLE):
        code = cli.main(["run", str(path), "--out", str(out), "--quiet"])
    return code, err.getvalue().splitlines()


def check_outcome(code, lines, folder, text):
    errors = [line for line in lines if not line.startswith("neurodyn: warning: ")]
    context = f"exit {code}, stderr {lines!r}, config:\n{text}"
    assert "Traceback" not in "\n".join(lines), context
    if code == 0:
        assert errors == [], context
        assert (folder / "out" / "results.nc").stat().st_size > 0, context
    else:
        assert code in (2, 3), context
        assert len(errors) == 1 and errors[0].startswith("neurodyn: error: "), context


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("NEURODYN_FUZZ_EXAMPLES") is None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


@SETTINGS
@given(text=configs())
def test_fuzzed_configs_run_or_give_one_line(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("fuzz")
    code, lines = run_config(text, folder)
    check_outcome(code, lines, folder, text)


# -- the Python API -------------------------------------------------------------------------
api_values = st.one_of(numbers, st.just("20 ms"), st.just([1.0, 2.0]), st.just([[1.0], 2.0]), st.none(),
                       st.just(np.float32(3.0)), st.just(np.int64(4)), st.just(np.array([1.0, math.nan])))


@st.composite
def api_calls(draw):
    cls = draw(st.sampled_from([nd.neurons.LIF, nd.neurons.AdEx, nd.neurons.Izhikevich, nd.neurons.AdaptiveLIF]))
    fields = [f for f in cls.__dataclass_fields__ if f not in ("parts",)]
    kwargs = {"n": draw(st.one_of(st.sampled_from([1, 3]), sizes))}
    for key in draw(st.lists(st.sampled_from([*fields, "tau", "Vth"]), max_size=3, unique=True)):
        kwargs[key] = draw(api_values)
    make_input = draw(st.sampled_from([
        lambda v: nd.inputs.constant(v), lambda v: nd.inputs.poisson(10.0, 1.0, n_sources=v),
        lambda v: nd.inputs.pulses(v, period=2.0), lambda v: nd.inputs.steps([0.5], [v]),
        lambda v: nd.inputs.ornstein_uhlenbeck(v, 1.0, 5.0), lambda v: nd.inputs.white_noise(1.0, mean=v), None]))
    sim = {"duration": draw(st.sampled_from([1.0, 0.5, 0.0, -1.0, math.nan, 1e30])),
           "dt": draw(st.sampled_from([0.1, 0.05, 0.0, math.inf, 20.0])),
           "record_every": draw(st.sampled_from([1, 2, 0, 1.5, 2**40, np.int64(3)])),
           "key": draw(st.sampled_from([None, "key", 0, "legacy"])),
           "record": draw(st.sampled_from([None, ["spikes"], ["spike"], ["V_m"], "V", {"V_m": [0, 9]}, 3]))}
    return cls, kwargs, make_input, draw(api_values), sim


@SETTINGS
@given(call=api_calls())
def test_fuzzed_api_arguments_raise_one_clear_error(call):
    cls, kwargs, make_input, input_value, sim = call
    sim = dict(sim)
    sim["key"] = {None: None, "key": jax.random.key(1), "legacy": jax.random.PRNGKey(1), 0: 0}[sim["key"]]
    try:
        with time_limit(SECONDS_PER_EXAMPLE), __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("ignore")
            model = cls(**kwargs)
            inputs = make_input(input_value) if make_input is not None else None
            duration, dt = sim.pop("duration"), sim.pop("dt")
            res = nd.simulate(model, duration, dt, inputs=inputs, progress=False, max_memory=2**28, **sim)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert message and "\n" not in message.strip(), repr(message)
        assert not message.startswith(("unhashable", "an integer is required", "math domain error", "ufunc")), message
        return
    assert res.duration > 0
