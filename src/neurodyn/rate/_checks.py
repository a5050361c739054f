"""Argument checks shared by the rate models (private)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def is_traced(x) -> bool:
    """True when ``x`` (or any leaf of it) is a JAX tracer: value checks are skipped then."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


def as_real_array(name: str, x, dtype=None) -> jax.Array:
    """Convert to a floating JAX array, refusing complex and non-numeric input."""
    if is_traced(x):
        arr = jnp.asarray(x)
    else:
        try:
            raw = np.asarray(x)
        except Exception as err:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be a real array, got {type(x).__name__}") from err
        if np.iscomplexobj(raw):
            raise ValueError(f"{name} must be real, got complex values (dtype {raw.dtype})")
        if raw.dtype == object or not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool):
            raise TypeError(f"{name} must be a real array, got {type(x).__name__} with dtype {raw.dtype}")
        arr = jnp.asarray(x)
    if jnp.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got complex values (dtype {arr.dtype})")
    if dtype is None:
        dtype = jnp.result_type(float)
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(dtype)
    return arr


def square_matrix(name: str, W) -> jax.Array:
    W = as_real_array(name, W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be a square matrix (n, n), got shape {tuple(W.shape)}")
    if W.shape[0] == 0:
        raise ValueError(f"{name} must have at least one unit, got shape {tuple(W.shape)}")
    return W


def per_unit(name: str, x, n: int, *, positive: bool = False, unit: str = "") -> jax.Array:
    """A scalar or an ``(n,)`` array; ``positive`` requires every value > 0."""
    x = as_real_array(name, x)
    if x.ndim > 1 or (x.ndim == 1 and x.shape[0] != n):
        raise ValueError(f"{name} must be a scalar or have shape ({n},) to match the {n} units, "
                         f"got shape {tuple(x.shape)}")
    if positive and not is_traced(x):
        bad = np.asarray(x)
        if not np.all(bad > 0):
            val = bad if bad.ndim == 0 else bad[~(bad > 0)][0]
            raise ValueError(f"{name} must be > 0{' ' + unit if unit else ''}, got {float(val)}")
    if not is_traced(x) and not np.all(np.isfinite(np.asarray(x))):
        raise ValueError(f"{name} must be finite, got {np.asarray(x)}")
    return x


def positive_scalar(name: str, x, unit: str = "", allow_zero: bool = False):
    if is_traced(x):
        return x
    try:
        v = float(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number{' in ' + unit if unit else ''}, got {x!r}") from err
    ok = v >= 0 if allow_zero else v > 0
    if not ok or not np.isfinite(v):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}"
                         f"{' ' + unit if unit else ''}, got {x!r}")
    return x


def split_input(name: str, h, n: int):
    """``h`` as (constant part, deterministic input or None).

    A constant (scalar / array) gives ``(array, None)``. A deterministic input from
    :mod:`neurodyn.inputs` (constant, steps, pulses, sampled array, function of t, or a sum
    of them) gives ``(0, input)``: the model evaluates it at the solver's stage times.
    Noisy inputs carry their own random state and belong to ``simulate(..., inputs=...)``.
    """
    from .. import inputs as _inputs

    if isinstance(h, _inputs.AbstractInput):
        st = jax.eval_shape(lambda k: h.init_state(k, (n,)), jax.random.key(0))
        if jax.tree_util.tree_leaves(st):
            raise ValueError(f"{name} must be a constant or a deterministic input, got the noisy "
                             f"{type(h).__name__}; pass noisy inputs to simulate(..., inputs=...)")
        return jnp.zeros((n,)), h
    if callable(h) and not isinstance(h, (jax.Array, np.ndarray)):
        raise TypeError(f"{name} must be a number, an (n,) array or a neurodyn.inputs object, "
                        f"got {type(h).__name__}; wrap functions of t as neurodyn.inputs.function(fn)")
    return h, None


def input_value(inp, t, n: int, dtype):
    """Value at time t (ms) of a deterministic input, broadcast to (n,)."""
    state = inp.init_state(jax.random.key(0), (n,))
    return jnp.broadcast_to(jnp.asarray(inp.value(state, t, 1.0), dtype), (n,))


def input_breakpoints(inp, t_end: float) -> tuple[float, ...]:
    """Times in (0, t_end) where a deterministic input jumps or kinks (for quadrature)."""
    from .. import inputs as _inputs

    if isinstance(inp, _inputs.Sum):
        return tuple(b for term in inp.terms for b in input_breakpoints(term, t_end))
    if isinstance(inp, (_inputs.Steps, _inputs.TimedArray)):
        return tuple(float(x) for x in np.asarray(inp.times) if 0 < x < t_end)
    if isinstance(inp, _inputs.Pulses):
        out = []
        k = 0
        while k < inp.count:
            on = inp.start + k * inp.period
            if on >= t_end:
                break
            out.extend([on, on + inp.width])
            k += 1
        return tuple(b for b in out if 0 < b < t_end)
    return tuple(float(b) for b in getattr(inp, "breakpoints", ()) or ())
