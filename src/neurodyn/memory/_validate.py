"""Input checks shared by the associative memories.

Every check raises one ``ValueError`` naming the argument, what was expected and
what arrived. Checks on values are skipped when the value is a JAX tracer (the
memories are built inside ``jit``/``vmap``/``grad`` too). Numbers and choices are
checked by ``neurodyn._params`` (``check_positive``, ``check_choice``), as in every model.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def is_concrete(x) -> bool:
    """True when ``x`` holds concrete values (not a tracer)."""
    return not isinstance(x, jax.core.Tracer)


def check_patterns(patterns, name: str = "patterns", *, binary: bool) -> None:
    """A non-empty ``(P, N)`` pattern matrix; entries ±1 when ``binary``."""
    shape = np.shape(patterns)
    if len(shape) != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_patterns, n_units), got shape {shape}"
        )
    if shape[0] == 0 or shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one pattern of at least one unit, got shape {shape}"
        )
    if is_concrete(patterns):
        a = np.asarray(patterns)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite, got non-finite entries")
        if binary and not np.all(np.abs(a) == 1):
            bad = a[np.abs(a) != 1].ravel()[:3]
            raise ValueError(
                f"{name} must contain only +1 and -1, got values such as {bad.tolist()}"
            )


def check_states(x, n: int, name: str = "cue", *, binary: bool) -> None:
    """A state ``(N,)`` or a batch ``(..., N)``; entries ±1 when ``binary``."""
    shape = np.shape(x)
    if len(shape) == 0 or shape[-1] != n:
        raise ValueError(
            f"{name} must have shape ({n},) or (batch, {n}), got shape {shape}"
        )
    if binary and is_concrete(x):
        a = np.asarray(x)
        if not np.all(np.abs(a) == 1):
            bad = a[np.abs(a) != 1].ravel()[:3]
            raise ValueError(
                f"{name} must contain only +1 and -1, got values such as {bad.tolist()}"
            )


def check_no_drive(model, state, drive):
    """Memories take no external drive: ``state``, with a run-time error if ``inputs`` given
    to ``simulate`` deliver a non-zero drive (a drive is traced inside the loop, so it
    cannot be checked before the run)."""
    return eqx.error_if(
        state, jnp.any(jnp.asarray(drive) != 0),
        f"inputs: {type(model).__name__} takes no external drive (its cue is the initial "
        "state: model.with_cue(cue)), got a non-zero drive",
    )
