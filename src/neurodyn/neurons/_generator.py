"""Spike sources that replay given spike times (Brian2's ``SpikeGeneratorGroup``)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import as_int, check_size
from ..engine._model import AbstractDynamics


class _SpikeSource(AbstractDynamics):
    """What spike sources share: ``n`` neurons, no time constants, and no drive."""

    @property
    def input_shape(self):
        return (self.n,)

    def time_constants(self):
        return {}

    def vector_field(self, t, state, drive):
        """Spike sources take no drive: a run-time error if ``inputs`` deliver a non-zero one
        (tied to the derivative of the state's one float, ``_guard``, so XLA keeps the check)."""
        guard = eqx.error_if(jnp.zeros_like(state._guard), jnp.any(jnp.asarray(drive) != 0),
                             f"inputs: {type(self).__name__} takes no external drive, got a non-zero drive")
        return eqx.tree_at(lambda s: s._guard, state, guard)


class GeneratorState(eqx.Module):
    spiked: jax.Array  #: the spikes of the last step (bool)
    _guard: jax.Array  #: 0.0 (carries the no-drive check)


class SpikeGenerator(_SpikeSource):
    """``n`` neurons that spike at given times: neuron ``indices[k]`` at ``times[k]`` (ms).

    A spike at time ``T`` is emitted by the step that ends at ``T`` (neurodyn stamps a
    spike at the end of its step), so times are rounded to the ``dt`` grid of the run.
    Use it as a network population (a presynaptic source) or on its own.

    Example::

        src = nd.neurons.SpikeGenerator(2, times=[10.0, 12.5, 30.0], indices=[0, 1, 0])
        E = nd.neurons.LIF(n=5, parts=(nd.synapses.CurrentSynapse(nd.synapses.Exponential(5.0), name="exc"),))
        net = nd.Network({"In": src, "E": E}, [nd.Projection("In", "E", nd.connectivity.all_to_all(), weight=100.0)])
        res = nd.simulate(net, 50.0, 0.1, record=["spikes", "E.V_m"])
    """

    n: int = eqx.field(static=True, converter=as_int)
    times: jax.Array  # ms, sorted
    indices: jax.Array  # int32, in the order of times

    def __init__(self, n, times, indices):
        self.n = check_size(n)
        t = np.asarray(times, dtype=float).ravel()
        idx = np.asarray(indices).ravel()
        if t.shape != idx.shape:
            raise ValueError(f"times and indices must have the same length, got {t.size} times and {idx.size} indices")
        if not np.all(np.isfinite(t)) or np.any(t <= 0):
            bad = t[~(np.isfinite(t) & (t > 0))][0]
            raise ValueError(f"times must be finite and > 0 ms (a spike ends a step), got {bad}")
        if idx.size and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= self.n):
            raise ValueError(f"indices must be integers in [0, {self.n}), got {idx[(idx < 0) | (idx >= self.n)][:1] if np.issubdtype(idx.dtype, np.integer) else idx.dtype}")
        order = np.argsort(t, kind="stable")
        self.times = jnp.asarray(t[order], jnp.result_type(float))
        self.indices = jnp.asarray(idx[order], jnp.int32)


    def init_state(self, key=None):
        return GeneratorState(jnp.zeros((self.n,), bool), jnp.zeros((), jnp.result_type(float)))


    def fire(self, state, t, dt):
        """The spikes of the step that ends at ``t``: times in ``(t - dt/2, t + dt/2]``."""
        if self.times.shape[0] == 0:
            return state, jnp.zeros((self.n,), bool)
        lo = jnp.searchsorted(self.times, t - 0.5 * dt, side="right")
        hi = jnp.searchsorted(self.times, t + 0.5 * dt, side="right")
        spiked = jax.lax.fori_loop(lo, hi, lambda k, s: s.at[self.indices[k]].set(True), jnp.zeros((self.n,), bool))
        return GeneratorState(spiked, state._guard), spiked


class PoissonState(eqx.Module):
    key: jax.Array  #: the source's own key; step i draws from fold_in(key, i)
    spiked: jax.Array  #: the spikes of the last step (bool)
    _guard: jax.Array  #: 0.0 (carries the no-drive check)


class PoissonSource(_SpikeSource):
    """``n`` independent Poisson spike trains at ``rate`` Hz (Brian2's ``PoissonGroup``).

    Each step spikes with probability ``rate * dt`` (clipped to 1), drawn from the key
    of the population's initial state by step index (``fold_in``), so results do not
    depend on chunking and chained runs continue the trains. It takes no inputs.

    Example::

        src = nd.neurons.PoissonSource(1000, rate=15.0)
        E = nd.neurons.LIF(n=10, parts=(nd.synapses.CurrentSynapse(nd.synapses.Exponential(5.0), name="exc"),))
        net = nd.Network({"In": src, "E": E}, [nd.Projection("In", "E", nd.connectivity.fixed_probability(0.1), weight=30.0)])
        res = nd.simulate(net, 200.0, 0.1)
    """

    n: int = eqx.field(static=True, converter=as_int)
    rate: jax.Array  # Hz, scalar or (n,)

    def __init__(self, n, rate):
        from .._params import check_nonnegative, check_shape

        self.n = check_size(n)
        check_nonnegative("rate", rate, "Hz")
        check_shape("rate", rate, self.n)
        self.rate = jnp.asarray(rate, jnp.result_type(float))


    def init_state(self, key=None):
        key = jax.random.key(0) if key is None else key
        return PoissonState(jax.random.key_data(key), jnp.zeros((self.n,), bool), jnp.zeros((), jnp.result_type(float)))


    def fire(self, state, t, dt):
        from ..engine._random import uniform

        step = jnp.round(t / dt).astype(jnp.int32)  # t ends the step: 1 for the first
        key = jax.random.fold_in(jax.random.wrap_key_data(state.key), step)
        p = jnp.clip(self.rate * dt * 1e-3, 0.0, 1.0)
        spiked = uniform(key, (self.n,)) < p
        return PoissonState(state.key, spiked, state._guard), spiked
