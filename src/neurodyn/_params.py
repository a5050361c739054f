"""Parameter declarations and validation shared by every model.

A parameter is an equinox field whose metadata carries its unit and meaning, so that
`neurodyn models` and the config loader can list and check parameters without a
separate registry.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import equinox as eqx
import jax
import numpy as np


def _sequence_to_array(value: float | list | jax.Array):
    """Per-neuron values given as a list or tuple (``I_e=[300.0, 500.0]``) become an array."""
    return np.asarray(value, dtype=float) if isinstance(value, (list, tuple)) else value


def param(default: Any = dataclasses.MISSING, *, unit: str = "", doc: str = "", converter=None, static=False):
    """A model parameter with a unit and a one-line description (``static`` for sizes and flags)."""
    kwargs = {"metadata": {"unit": unit, "doc": doc}, "static": static}
    if default is not dataclasses.MISSING:
        kwargs["default"] = default
    if converter is not None:
        kwargs["converter"] = converter
    elif not static:
        kwargs["converter"] = _sequence_to_array
    return eqx.field(**kwargs)


def parameters(cls_or_model) -> list[tuple[str, Any, str, str]]:
    """(name, default, unit, doc) of every documented parameter of a model class."""
    rows = []
    for f in dataclasses.fields(cls_or_model):
        meta = f.metadata or {}
        if "unit" not in meta:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        rows.append((f.name, default, meta.get("unit", ""), meta.get("doc", "")))
    return rows


def parameters_section(cls) -> str:
    """The "Parameters" section of a model's docstring, from its ``param`` metadata:
    one line per parameter with its meaning, unit and default."""
    lines = []
    for f in dataclasses.fields(cls):
        if "unit" not in (f.metadata or {}):
            continue
        unit = f.metadata["unit"] or ("" if f.metadata.get("static") else "dimensionless")
        text = f.metadata["doc"] or f.name
        text += f", {unit}" if unit else ""
        if f.default is dataclasses.MISSING:
            text += " (required)"
        elif f.default is not None:
            text += f" (default {f.default!r})"
        lines.append(f"    {f.name}: {text}")
    return "Parameters:\n" + "\n".join(lines) if lines else ""


class _DocumentedMeta(type(eqx.Module)):
    """Appends the generated "Parameters" section to the docstring of every model class."""

    def __new__(mcs, *args, **kwargs):
        cls = super().__new__(mcs, *args, **kwargs)
        section = parameters_section(cls)
        if section:
            doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
            cls.__doc__ = f"{doc}\n\n{section}\n" if doc else section + "\n"
        return cls


class Documented(eqx.Module, metaclass=_DocumentedMeta):
    """Base of classes whose ``param`` fields are listed, with units, in their docstring."""


def is_traced(x) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(x))


def _concrete(value):
    if is_traced(value):
        return None
    return np.asarray(value)


def _fmt(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    return f"array with min {arr.min()!r} and max {arr.max()!r}"


def check_positive(name: str, value, unit: str = "") -> None:
    arr = _concrete(value)
    if arr is not None and not np.all(arr > 0):
        bad = arr if arr.ndim == 0 else arr[~(arr > 0)][0]
        raise ValueError(f"{name} must be > 0{' ' + unit if unit else ''}, got {_fmt(bad)}")


def check_nonnegative(name: str, value, unit: str = "") -> None:
    arr = _concrete(value)
    if arr is not None and not np.all(arr >= 0):
        bad = arr if arr.ndim == 0 else arr[~(arr >= 0)][0]
        raise ValueError(f"{name} must be >= 0{' ' + unit if unit else ''}, got {_fmt(bad)}")


def check_less(name_a: str, a, name_b: str, b, unit: str = "") -> None:
    """Check a < b elementwise (e.g. V_reset < V_th)."""
    ca, cb = _concrete(a), _concrete(b)
    if ca is not None and cb is not None and not np.all(ca < cb):
        raise ValueError(
            f"{name_a} must be below {name_b}, got {name_a}={_fmt(ca)} {unit} "
            f"and {name_b}={_fmt(cb)} {unit}".replace("  ", " ")
        )


def check_shape(name: str, value, n: int) -> None:
    """A per-neuron parameter is a scalar or has shape (n,)."""
    shape = np.shape(value)
    if shape not in ((), (n,)):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got shape {shape}")


def check_finite(name: str, value) -> None:
    arr = _concrete(value)
    if arr is not None and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_fmt(arr)}")
