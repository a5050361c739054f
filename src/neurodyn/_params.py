"""Parameter declarations and validation shared by every model.

A parameter is an equinox field whose metadata carries its unit and meaning, so that
`neurodyn models` and the config loader can list and check parameters without a
separate registry.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import re
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

    def replace(self, **changes):
        """A copy with some parameters changed (validated again), e.g. ``lif.replace(I_e=400.0)``."""
        known = [f.name for f in dataclasses.fields(self)]
        unknown = [k for k in changes if k not in known]
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter {unknown[0]!r}; expected one of {', '.join(known)}")
        return dataclasses.replace(self, **changes)


def is_traced(x) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(x))


# -- validation: the one set of checks every model, input and config uses ---------------
# Each raises one ``ValueError`` (``TypeError`` for a wrong kind of object) whose message
# names the argument, says what was expected and what arrived. Checks on values are
# skipped for JAX tracers (models are built inside jit/vmap/grad too).

#: Largest population: spike indices are 32-bit signed integers.
MAX_NEURONS = 2**31 - 1


def suggest(word, options) -> str:
    """`` (did you mean 'X'?)`` for the option closest to ``word`` (case-insensitive), or ``""``."""
    options = [str(o) for o in options]
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""


def _concrete(value):
    if is_traced(value):
        return None
    if isinstance(value, str):
        return None  # reported by check_number
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return None  # ragged nesting: reported by check_number
    return arr if arr.dtype != object else None


def _fmt(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    return f"array with min {arr.min()!r} and max {arr.max()!r}"


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


def check_number(name: str, value, unit: str = "") -> None:
    """A real number or an array of them (not a string, a ragged list or an object)."""
    if value is None or is_traced(value) or isinstance(value, (jax.Array, np.ndarray)) and value.dtype.kind in "biuf":
        return
    ok = not isinstance(value, (str, bytes, dict)) and not isinstance(value, bool)
    if ok:
        try:
            arr = np.asarray(value)
            ok = arr.dtype.kind in "iuf"
        except (ValueError, TypeError):
            ok = False
    if not ok:
        hint = " (unit strings such as '20 ms' are read in config files; in Python pass the number)" if isinstance(value, str) else ""
        raise TypeError(f"{name} must be a number{' in ' + unit if unit else ''} or an array of numbers, got {value!r}{hint}")


def check_finite(name: str, value, unit: str = "") -> None:
    check_number(name, value, unit)
    arr = _concrete(value)
    if arr is not None and not np.all(np.isfinite(arr)):
        bad = arr if arr.ndim == 0 else arr[~np.isfinite(arr)][0]
        raise ValueError(f"{name} must be finite{' (' + unit + ')' if unit else ''}, got {_fmt(bad)}")


def check_positive(name: str, value, unit: str = "", *, scalar: bool = False) -> None:
    """Finite and > 0 (elementwise); ``scalar``: also a single number."""
    if scalar and not is_traced(value):
        v = _concrete(value)
        if v is None or v.ndim != 0 or v.dtype.kind not in "iuf" or not np.isfinite(v) or not v > 0:
            raise ValueError(f"{name} must be a finite number > 0{_unit(unit)}, got {value!r}")
        return
    check_finite(name, value, unit)
    arr = _concrete(value)
    if arr is not None and not np.all(arr > 0):
        bad = arr if arr.ndim == 0 else arr[~(arr > 0)][0]
        raise ValueError(f"{name} must be > 0{_unit(unit)}, got {_fmt(bad)}")


def check_nonnegative(name: str, value, unit: str = "") -> None:
    """Finite and >= 0 (elementwise)."""
    check_finite(name, value, unit)
    arr = _concrete(value)
    if arr is not None and not np.all(arr >= 0):
        bad = arr if arr.ndim == 0 else arr[~(arr >= 0)][0]
        raise ValueError(f"{name} must be >= 0{_unit(unit)}, got {_fmt(bad)}")


def check_less(name_a: str, a, name_b: str, b, unit: str = "") -> None:
    """Check a < b elementwise (e.g. V_reset < V_th); each must be finite first."""
    check_finite(name_a, a, unit)
    check_finite(name_b, b, unit)
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


def check_choice(name: str, value, options) -> None:
    """One clear error for a name that is not among ``options`` (e.g. a preset)."""
    try:
        ok = value in options
    except TypeError:  # unhashable
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}{suggest(value, options)}")


def check_integer(name: str, value, low: int = 1, high: int = MAX_NEURONS, what: str = "integer") -> int:
    """An integer (Python or NumPy; not bool or float) in ``[low, high]``; returns it as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an {what} in [{low}, {high}], got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be an {what} in [{low}, {high}], got {int(value)}")
    return int(value)


def as_int(value):
    """Converter of size fields: NumPy integers become ``int`` (other values are left for the check)."""
    return int(value) if isinstance(value, np.integer) else value


def check_size(value, name: str = "n") -> int:
    """A population size: an integer in ``[1, MAX_NEURONS]`` (spike indices are 32-bit)."""
    return check_integer(name, value, 1, MAX_NEURONS, "integer number of neurons")


def check_parameters(model, n: int | None = None) -> None:
    """Every documented (``param``), non-static parameter of ``model`` is a finite number,
    a scalar or of shape ``(n,)``; a size field ``n`` is a valid population size."""
    for f in dataclasses.fields(model):
        meta = f.metadata or {}
        if "unit" not in meta:
            continue
        value = getattr(model, f.name)
        if f.name == "n" and meta.get("static", False):
            check_size(value)
            continue
        if meta.get("static", False) or value is None:
            continue
        check_finite(f.name, value, meta["unit"])
        if n is not None:
            check_shape(f.name, value, n)


def check_key(name: str, key) -> None:
    """A ``jax.random`` key (new-style, or a legacy uint32 pair)."""
    if is_traced(key):
        return
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return
    if dtype is not None and dtype == np.uint32 and np.shape(key)[-1:] == (2,):
        return
    hint = f"; pass jax.random.key({key})" if isinstance(key, (int, np.integer)) and not isinstance(key, bool) else ""
    raise TypeError(f"{name} must be a jax.random key such as jax.random.key(0), got {type(key).__name__} {key!r}{hint}")


_signatures: dict = {}


def new_with_checked_keywords(cls, *args, **kwargs):
    """``__new__`` of models: an unknown keyword argument gets the suggestion the CLI gives
    (``LIF(tau=20)`` -> did you mean 'tau_m'?) instead of Python's bare TypeError."""
    if kwargs:
        try:
            params = _signatures[cls]
        except KeyError:
            sig = inspect.signature(cls.__init__).parameters
            var = any(p.kind is p.VAR_KEYWORD for p in sig.values())
            params = _signatures[cls] = None if var else [p for p in sig if p != "self"]
        if params is not None:
            for key in kwargs:
                if key not in params:
                    raise TypeError(
                        f"{cls.__name__}: unknown parameter {key!r}{suggest(key, params)}; expected one of {', '.join(params)}"
                    )
    return eqx.Module.__new__(cls, *args, **kwargs)


# -- units ------------------------------------------------------------------------------
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_UNIT_NAME = r"[^\W\d_]+(?:(?:\^|\*\*)[-+]?\d{1,2}(?:\.\d{1,3})?)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*((?:1\s*/\s*)?{_UNIT_NAME}(?:\s*[*/ ]\s*{_UNIT_NAME}){{0,5}})\s*$")


@functools.lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


def to_unit(name: str, text: str, unit: str) -> float:
    """A quantity written with its unit (``"0.25 nF"``) as a number in ``unit`` (``250.0`` for pF).

    Units are read by ``pint``; only ``<number> <unit expression>`` is accepted (no
    arithmetic), and the result must be finite.
    """
    expected = f"a quantity in {unit}" if unit else "a number without unit"
    match = _QUANTITY.match(text) if len(text) <= 64 else None
    if match is None:
        if not unit:
            raise ValueError(f"{name}: expected a number, got {text!r}")
        raise ValueError(f"{name}: expected a number or {expected} (e.g. '20 {unit}'), got {text!r}")
    import pint

    ureg = _registry()
    try:
        given = ureg.parse_units(match.group(2))
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError) as exc:
        raise ValueError(f"{name}: unknown unit {match.group(2)!r} in {text!r} ({exc})") from None
    target = ureg.parse_units(unit) if unit else ureg.dimensionless
    try:
        value = ureg.Quantity(float(match.group(1)), given).to(target).magnitude
    except pint.errors.DimensionalityError:
        raise ValueError(
            f"{name}: expected {expected}, got {text!r} ({match.group(2)} cannot be converted to {unit or 'a pure number'})"
        ) from None
    value = float(f"{float(value):.15g}")  # unit factors are exact to 15 digits: 0.25 nF -> 250.0 pF
    if not np.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {text!r}")
    return value
