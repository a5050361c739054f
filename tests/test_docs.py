"""Documentation that users copy: every docstring example runs, numbers quoted in
docstrings match the code, and every model's generated docstring names its units."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd

_SKIP_MODULES = ("neurodyn._native", "neurodyn.cli", "neurodyn.__main__")


def _modules():
    out = [nd]
    for info in pkgutil.walk_packages(nd.__path__, "neurodyn."):
        if info.name.startswith(_SKIP_MODULES):
            continue
        out.append(importlib.import_module(info.name))
    return out


def _documented_objects():
    """(qualified name, object) of every class, function and method defined in neurodyn."""
    seen, out = set(), []
    for mod in _modules():
        for name, obj in vars(mod).items():
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or getattr(obj, "__module__", None) != mod.__name__:
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append((f"{mod.__name__}.{name}", obj))
            if inspect.isclass(obj):
                for mname, member in vars(obj).items():
                    member = getattr(member, "__func__", member)
                    if inspect.isfunction(member) and not mname.startswith("_") and id(member) not in seen:
                        seen.add(id(member))
                        out.append((f"{mod.__name__}.{name}.{mname}", member))
    return out


def _example_blocks():
    """The ``Example::`` blocks (indented code after the marker) of every docstring."""
    blocks = []
    for qualname, obj in _documented_objects():
        doc = inspect.getdoc(obj) or ""
        for match in re.finditer(r"Example::\n\n((?:(?:[ \t]+.*)?\n)+)", doc + "\n"):
            code = textwrap.dedent(match.group(1)).strip()
            if code:
                blocks.append(pytest.param(code, id=qualname))
    return blocks


EXAMPLES = _example_blocks()


def _doctests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for mod in _modules():
        for test in finder.find(mod, globs={"jnp": jnp, "np": np, "jax": jax, "nd": nd, **vars(mod)}):
            if any(ex.options.get(doctest.SKIP) is not True for ex in test.examples):
                tests.append(pytest.param(test, id=test.name))
    return tests


@pytest.mark.parametrize("test", _doctests())
def test_docstring_doctest_passes(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, clear_globs=False)
    assert runner.failures == 0, f"{test.name}: {runner.failures} of {runner.tries} examples failed"


def test_examples_are_found():
    # guards the collector itself: the package has more than a dozen such examples
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("code", EXAMPLES)
def test_docstring_example_runs(code):
    namespace = {"nd": nd, "jax": jax, "jnp": jnp, "np": np}
    exec(compile(code, "<docstring example>", "exec"), namespace)


def _parameter_classes():
    from neurodyn._params import parameters

    return [pytest.param(obj, id=q) for q, obj in _documented_objects()
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and parameters(obj)]


def test_adex_help_names_units():
    doc = inspect.getdoc(nd.neurons.AdEx)
    assert "    C_m: membrane capacitance, pF (default 281.0)" in doc
    assert "    tau_w: adaptation time constant, ms (default 144.0)" in doc


@pytest.mark.parametrize("cls", _parameter_classes())
def test_every_parameter_is_documented_with_its_unit(cls):
    from neurodyn._params import parameters

    doc = inspect.getdoc(cls)
    section = doc[doc.index("Parameters:"):]
    lines = {line.strip().split(":", 1)[0]: line for line in section.splitlines()[1:] if line.strip()}
    for name, _, unit, meaning in parameters(cls):
        assert name in lines, f"{cls.__name__}.{name} is missing from the Parameters section"
        static = dataclasses.fields(cls)[[f.name for f in dataclasses.fields(cls)].index(name)].metadata.get("static")
        assert meaning in lines[name]
        assert f", {unit or ('dimensionless' if not static else '')}" in lines[name] or (static and not unit)


def test_per_neuron_parameters_may_be_lists():
    # the docstring examples pass per-neuron values as lists (I_e=[300.0, 500.0])
    res = nd.simulate(nd.neurons.LIF(n=2, I_e=[0.0, 500.0]), 100.0, 0.1, progress=False)
    counts = np.asarray(res.spike_counts[res.populations[0]])
    assert counts[0] == 0 and counts[1] > 0


def _example_of(obj) -> str:
    doc = inspect.getdoc(obj)
    return textwrap.dedent(re.search(r"Example::\n\n((?:(?:[ \t]+.*)?\n)+)", doc + "\n").group(1))


def test_network_example_fires_at_the_quoted_plausible_rate():
    code = _example_of(nd.Network)
    quoted = float(re.search(r"about ([\d.]+) Hz", code).group(1))
    namespace = {"nd": nd}
    exec(code, namespace)
    rate = float(namespace["res"]["E"].rates().mean())
    assert 1.0 < quoted < 50.0  # an asynchronous cortical regime, not a runaway near 1/t_ref
    assert abs(rate - quoted) <= 0.25 * quoted, (rate, quoted)


def test_two_compartment_example_shows_a_plateau_burst():
    namespace = {"nd": nd}
    exec(_example_of(nd.neurons.TwoCompartment), namespace)
    res = namespace["res"]
    assert len(res.spikes.times) >= 2  # the plateau drives a burst
    assert float(np.max(res.traces["V_d"])) > -40.0  # the dendrite depolarises (plateau)


def test_siegert_docstring_value_matches_the_function():
    doc = inspect.getdoc(nd.rate.siegert_rate)
    call, quoted = re.search(r">>> (float\(siegert_rate\(.*?\)\))  #.*\n\s*(\d+\.\d+)", doc).groups()
    value = eval(call, {"siegert_rate": nd.rate.siegert_rate})
    assert value == pytest.approx(float(quoted), abs=0.006)
