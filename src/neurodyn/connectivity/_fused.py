"""One fused step of LIF neurons with exponential synapses (``_native/population.cc``).

``LIF(parts=(ConductanceSynapse(Exponential) | CurrentSynapse(Exponential | Delta), ...))``
(at least one such channel, all on ``V_m``, no Mg block, no other parts) advanced by
``ExponentialEuler`` in float32, with scalar parameters and one current as the drive, on a
CPU where the kernel compiles: the exponential-Euler update, threshold, reset and
refractoriness in one pass over the neurons (XLA needs several, plus copies). The generic
path (``LIF``'s Python definition) is used everywhere else, and supplies the derivatives
(``jax.grad`` through a fused step differentiates the generic step) and the result on
other platforms. The two agree to rounding (``tests/test_fused.py``).
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _native
from ..engine._model import SINGLE, generic_advance
from ..engine._solvers import ExponentialEuler, _phi1

_LIF_PARAMS = ("tau_m", "C_m", "E_L", "V_th", "V_reset", "I_e")


def _is_channel(part) -> bool:
    from ..synapses import ConductanceSynapse, CurrentSynapse, Delta, Exponential

    if part.target != "V_m":
        return False
    if type(part) is ConductanceSynapse:
        return type(part.kernel) is Exponential and part.mg is None
    return type(part) is CurrentSynapse and type(part.kernel) in (Exponential, Delta)


def applies(model, state, solver, I=0.0) -> bool:
    """Whether ``model`` (a ``LIF``) with drive ``I`` can take the fused step (decided at trace time)."""
    from ..neurons import LIF
    from ..synapses import ConductanceSynapse

    if type(model) is not LIF or type(solver) is not ExponentialEuler or isinstance(I, dict):
        return False
    parts = model.all_parts
    if not parts or not all(_is_channel(p) for p in parts) or state.V_m.dtype != jnp.float32:
        return False
    channels = [p for p in parts if not p.jumps_voltage]
    if len(channels) > 16:
        return False
    scalars = [getattr(model, k) for k in (*_LIF_PARAMS, "t_ref")]
    scalars += [p.kernel.tau for p in channels] + [p.E_rev for p in channels if type(p) is ConductanceSynapse]
    if any(np.ndim(x) != 0 for x in scalars):
        return False
    return _native.available("population")


def _order(model):
    """Indices (in ``all_parts``) of the stateful channels, conductances first (the kernel's layout)."""
    from ..synapses import ConductanceSynapse

    stateful = [i for i, p in enumerate(model.all_parts) if not p.jumps_voltage]
    return ([i for i in stateful if type(model.all_parts[i]) is ConductanceSynapse]
            + [i for i in stateful if type(model.all_parts[i]) is not ConductanceSynapse])


def _kernel(model, state, I, dt):
    from ..synapses import ConductanceSynapse

    order = _order(model)
    parts = model.all_parts
    row = [jnp.asarray(getattr(model, k), jnp.float32) for k in _LIF_PARAMS] + [jnp.asarray(dt, jnp.float32)]
    for i in order:
        tau = jnp.asarray(parts[i].kernel.tau, jnp.float32)
        z = -jnp.asarray(dt, jnp.float32) / tau
        row += [jnp.asarray(dt, jnp.float32) * _phi1(z) * (-1.0 / tau),
                jnp.asarray(parts[i].E_rev if type(parts[i]) is ConductanceSynapse else 0.0, jnp.float32)]
    params = jnp.stack(row)
    n_ref = jnp.reshape(jnp.round(jnp.asarray(model.t_ref, jnp.float32) / dt).astype(jnp.int32), (1,))
    V, ref = state.V_m, state.refractory
    gs = [state.parts[i] for i in order]
    I = jnp.asarray(I, jnp.float32)
    I = jnp.reshape(I, (1,)) if I.size == 1 else jnp.broadcast_to(I, V.shape)  # one value for all, or one per neuron
    k = len(gs)
    call = jax.ffi.ffi_call(
        "neurodyn_lif_exp_f32",
        (jax.ShapeDtypeStruct(V.shape, V.dtype), jax.ShapeDtypeStruct(ref.shape, ref.dtype),
         jax.ShapeDtypeStruct(V.shape, jnp.bool_), *[jax.ShapeDtypeStruct(g.shape, g.dtype) for g in gs]),
        input_output_aliases={0: 0, 1: 1, **{5 + j: 3 + j for j in range(k)}},
        vmap_method="broadcast_all",
    )
    n_current = sum(type(parts[i]) is not ConductanceSynapse for i in order)
    V1, ref1, spiked, *g1 = call(V, ref, I, params, n_ref, *gs, n=np.int64(model.n), n_current=np.int64(n_current))
    new_parts = list(state.parts)
    for i, g in zip(order, g1):
        new_parts[i] = g
    if model.surrogate is not None:  # the generic step's type: surrogate spikes, whose JVP is the generic one
        spiked = spiked.astype(V1.dtype)
    return dataclasses.replace(state, V_m=V1, refractory=ref1, parts=tuple(new_parts)), spiked


def _generic(model, state, I, dt):
    state, fired = generic_advance(model, state, 0.0, dt, lambda _: I, None, ExponentialEuler())
    return state, fired[SINGLE]


@eqx.filter_custom_jvp
def _fused(model, state, I, dt):
    return jax.lax.platform_dependent(
        state, I,
        cpu=lambda s, i: _kernel(model, s, i, dt),
        default=lambda s, i: _generic(model, s, i, dt),
    )


@_fused.def_jvp
def _fused_jvp(primals, tangents):
    model, state, I, dt = primals
    return eqx.filter_jvp(lambda m, s, i: _generic(m, s, i, dt), (model, state, I), tangents[:3])


def _current(I):
    """The drive as one current, if it is one: a dict drive whose channel inputs are all
    absent (the engine's untraced zeros) is its current ``"I"``."""
    if isinstance(I, dict) and all(isinstance(v, (int, float, np.ndarray, np.generic)) and not np.any(v)
                                   for k, v in I.items() if k != "I"):
        I = I.get("I", 0.0)
    return I if isinstance(I, dict) else jnp.asarray(I)


def fused_step(model, state, t, dt, drive, solver):
    """``LIF.fused_step``: the kernel's step, or None where it does not apply."""
    I = _current(drive(t))
    if not applies(model, state, solver, I):
        return None
    return _fused(model, state, I, dt)
