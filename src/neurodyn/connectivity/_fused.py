"""One fused step of LIF neurons with exponential synapses (``_native/population.cc``).

``WithSynapses(LIF, {ExpConductance | ExpCurrent | Delta ...})`` advanced by
``ExponentialEuler`` in float32, with scalar parameters, on a CPU where the kernel
compiles: the exponential-Euler update, threshold, reset and refractoriness in one pass
over the neurons (XLA needs several, plus copies). The generic path is used everywhere
else, and supplies the derivatives (``jax.grad`` through a fused step differentiates the
generic step) and the result on other platforms. The two agree to rounding
(``tests/test_fused.py``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _native
from ..engine._model import SINGLE, generic_advance
from ..engine._solvers import ExponentialEuler, _phi1

_LIF_PARAMS = ("tau_m", "C_m", "E_L", "V_th", "V_reset", "I_e")


def applies(model, state, solver) -> bool:
    """Whether ``model`` (a ``WithSynapses``) can take the fused step (decided at trace time)."""
    from ..neurons import LIF
    from ._synaptic import ExpConductance, ExpCurrent

    neuron = model.neuron
    if type(neuron) is not LIF or type(solver) is not ExponentialEuler:
        return False
    if state.neuron.V_m.dtype != jnp.float32 or len(state.g) > 16:
        return False
    channels = [model.synapses[c] for c in state.g]
    if not all(type(s) in (ExpConductance, ExpCurrent) for s in channels):
        return False
    scalars = [getattr(neuron, k) for k in (*_LIF_PARAMS, "t_ref")]
    scalars += [s.tau for s in channels] + [s.E_rev for s in channels if type(s) is ExpConductance]
    if any(np.ndim(x) != 0 for x in scalars):
        return False
    return _native.available("population")


def _order(model, state):
    """Channel names, conductances first (the kernel's layout)."""
    from ._synaptic import ExpConductance

    names = list(state.g)
    return [c for c in names if type(model.synapses[c]) is ExpConductance] + [
        c for c in names if type(model.synapses[c]) is not ExpConductance
    ]


def _kernel(model, state, I, dt):
    from ._synaptic import ExpConductance, SynapticState

    neuron = model.neuron
    names = _order(model, state)
    row = [jnp.asarray(getattr(neuron, k), jnp.float32) for k in _LIF_PARAMS] + [jnp.asarray(dt, jnp.float32)]
    for c in names:
        syn = model.synapses[c]
        z = -jnp.asarray(dt, jnp.float32) / jnp.asarray(syn.tau, jnp.float32)
        row += [jnp.asarray(dt, jnp.float32) * _phi1(z) * (-1.0 / jnp.asarray(syn.tau, jnp.float32)),
                jnp.asarray(syn.E_rev if type(syn) is ExpConductance else 0.0, jnp.float32)]
    params = jnp.stack(row)
    n_ref = jnp.reshape(jnp.round(jnp.asarray(neuron.t_ref, jnp.float32) / dt).astype(jnp.int32), (1,))
    V, ref = state.neuron.V_m, state.neuron.refractory
    gs = [state.g[c] for c in names]
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
    n_current = sum(type(model.synapses[c]) is not ExpConductance for c in names)
    V1, ref1, spiked, *g1 = call(V, ref, I, params, n_ref, *gs, n=np.int64(model.n), n_current=np.int64(n_current))
    neuron_state = type(state.neuron)(V_m=V1, refractory=ref1)
    return SynapticState(neuron_state, {**state.g, **dict(zip(names, g1))}), spiked


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


def fused_step(model, state, t, dt, drive, solver):
    """``WithSynapses.fused_step``: the kernel's step, or None where it does not apply."""
    if not applies(model, state, solver):
        return None
    return _fused(model, state, drive(t), dt)
