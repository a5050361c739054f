r"""Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006, J Neurosci 26:9673).

Each presynaptic neuron carries a fast and a slow trace :math:`r_1` (:math:`\tau_+`) and
:math:`r_2` (:math:`\tau_x`), each postsynaptic neuron :math:`o_1` (:math:`\tau_-`) and
:math:`o_2` (:math:`\tau_y`), decaying exactly between spikes. At a presynaptic spike every
synapse of the neuron changes by :math:`-o_1 (A_2^- + A_3^- r_2(t^-))`, then :math:`r_1`
and :math:`r_2` jump; at a postsynaptic spike every synapse into it changes by
:math:`r_1 (A_2^+ + A_3^+ o_2(t^-))`, then :math:`o_1` and :math:`o_2` jump (eqs. 3–4 of the
paper). The jumps are :math:`+1` (all-to-all interaction) or set the trace to 1 (nearest
spike). :math:`r_2(t^-)`, :math:`o_2(t^-)` are the slow traces just before the spike: the
protocol increments a side's traces (``pre_spike``/``post_spike``) before its weight hook,
so the rule keeps the value before the jump beside each slow trace.

For one pair from rest, :math:`\Delta t = t_{post} - t_{pre}`, the change is the pair window
:math:`A_2^+ e^{-\Delta t/\tau_+}` (:math:`\Delta t \ge 0`) or :math:`-A_2^- e^{\Delta t/\tau_-}`;
the triplet terms add for spike triplets and make the rule depend on the pairing frequency.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_choice, check_nonnegative, check_positive, param
from ._rule import AbstractRule, check_bounds

#: Pfister & Gerstner 2006, table 4 (as recalled: check against the paper), for
#: (data, interaction, model): (tau_x, tau_y, A2_plus, A3_plus, A2_minus, A3_minus); tau_+ =
#: 16.8 ms, tau_- = 33.7 ms throughout. Visual cortex: Sjöström et al. 2001; hippocampal:
#: Wang et al. 2005. The minimal models set A3_minus = 0 (visual cortex also A2_plus = 0).
TABLE_4 = {
    ("visual", "all_to_all", "full"): (101.0, 125.0, 5e-10, 6.2e-3, 7e-3, 2.3e-4),
    ("visual", "all_to_all", "minimal"): (101.0, 114.0, 0.0, 6.5e-3, 7.1e-3, 0.0),
    ("visual", "nearest", "full"): (714.0, 40.0, 8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3),
    ("hippocampal", "all_to_all", "full"): (946.0, 27.0, 6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3),
    ("hippocampal", "all_to_all", "minimal"): (946.0, 40.0, 5.3e-3, 8e-3, 3.5e-3, 0.0),
    ("hippocampal", "nearest", "full"): (575.0, 47.0, 4.6e-3, 9.1e-3, 3e-3, 7.5e-9),
    ("hippocampal", "nearest", "minimal"): (575.0, 48.0, 4.6e-3, 9.1e-3, 3e-3, 0.0),
}


class TripletPre(eqx.Module):
    r1: jax.Array  #: fast presynaptic trace
    r2: jax.Array  #: slow presynaptic trace
    r2_before: jax.Array  #: r2 just before the neuron's last spike (what the triplet term reads)


class TripletPost(eqx.Module):
    o1: jax.Array  #: fast postsynaptic trace
    o2: jax.Array  #: slow postsynaptic trace
    o2_before: jax.Array  #: o2 just before the neuron's last spike


class TripletSTDP(AbstractRule):
    """Triplet STDP (Pfister & Gerstner 2006) with traces; attach to a projection.

    Amplitudes are positive and in the projection's weight unit (the paper's are relative
    changes: pass ``scale`` to the presets). Weights are clipped to ``[w_min, w_max]``.

    Example::

        rule = nd.plasticity.TripletSTDP.visual_cortex(model="minimal", scale=1.0, w_max=2.0)
        nd.Projection("In", "E", nd.connectivity.all_to_all(), weight=1.0, plasticity=rule)
    """

    tau_plus: jax.Array = param(16.8, unit="ms", doc="decay of the fast presynaptic trace r_1")
    tau_minus: jax.Array = param(33.7, unit="ms", doc="decay of the fast postsynaptic trace o_1")
    tau_x: jax.Array = param(101.0, unit="ms", doc="decay of the slow presynaptic trace r_2")
    tau_y: jax.Array = param(125.0, unit="ms", doc="decay of the slow postsynaptic trace o_2")
    A2_plus: jax.Array = param(5e-10, unit="weight", doc="pair potentiation amplitude (>= 0)")
    A3_plus: jax.Array = param(6.2e-3, unit="weight", doc="triplet potentiation amplitude (>= 0)")
    A2_minus: jax.Array = param(7e-3, unit="weight", doc="pair depression amplitude (>= 0)")
    A3_minus: jax.Array = param(2.3e-4, unit="weight", doc="triplet depression amplitude (>= 0)")
    w_min: jax.Array | None = param(0.0, unit="weight", doc="lower weight bound (None: unbounded)")
    w_max: jax.Array | None = param(1.0, unit="weight", doc="upper weight bound (None: unbounded)")
    interaction: str = param("all_to_all", unit="", doc="'all_to_all' (traces add 1) or 'nearest' (traces reset to 1)", static=True)

    def __check_init__(self):
        for name in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            check_positive(name, getattr(self, name), "ms")
        for name in ("A2_plus", "A3_plus", "A2_minus", "A3_minus"):
            check_nonnegative(name, getattr(self, name))
        check_choice("interaction", self.interaction, ("all_to_all", "nearest"))
        check_bounds(self)

    @classmethod
    def visual_cortex(cls, interaction: str = "all_to_all", model: str = "minimal", scale: float = 1.0, **kwargs):
        """Fitted to visual cortex slices (Sjöström, Turrigiano & Nelson 2001; table 4 of the
        paper); amplitudes times ``scale`` (the weight unit); other keywords as the class's."""
        return cls._fitted("visual", interaction, model, scale, kwargs)

    @classmethod
    def hippocampal(cls, interaction: str = "all_to_all", model: str = "minimal", scale: float = 1.0, **kwargs):
        """Fitted to hippocampal cultures (Wang, Gerkin, Nauen & Bi 2005; table 4 of the
        paper); amplitudes times ``scale``; other keywords as the class's."""
        return cls._fitted("hippocampal", interaction, model, scale, kwargs)

    @classmethod
    def _fitted(cls, data, interaction, model, scale, kwargs):
        fits = sorted(k[1:] for k in TABLE_4 if k[0] == data)
        if (interaction, model) not in fits:
            raise ValueError(f"(interaction, model) must be one of {fits} for the {data} fits, got {(interaction, model)!r}")
        tau_x, tau_y, a2p, a3p, a2m, a3m = TABLE_4[(data, interaction, model)]
        fitted = dict(tau_x=tau_x, tau_y=tau_y, A2_plus=a2p * scale, A3_plus=a3p * scale, A2_minus=a2m * scale,
                      A3_minus=a3m * scale, interaction=interaction)
        return cls(**{**fitted, **kwargs})

    def init_pre(self, n, dtype):
        return TripletPre(*[jnp.zeros((n,), dtype)] * 3)

    def init_post(self, n, dtype):
        return TripletPost(*[jnp.zeros((n,), dtype)] * 3)

    def _advance(self, s, dt, tau_fast, tau_slow):
        fast, slow, before = jax.tree.leaves(s)
        decay = lambda tau: jnp.exp(-dt / tau).astype(fast.dtype)  # noqa: E731
        return type(s)(fast * decay(tau_fast), slow * decay(tau_slow), before)

    def advance_pre(self, s, dt):
        return self._advance(s, dt, self.tau_plus, self.tau_x)

    def advance_post(self, s, dt):
        return self._advance(s, dt, self.tau_minus, self.tau_y)

    def _spike(self, s, spiked):
        fast, slow, before = jax.tree.leaves(s)
        jump = (lambda a: a + 1.0) if self.interaction == "all_to_all" else jnp.ones_like
        return type(s)(jnp.where(spiked, jump(fast), fast), jnp.where(spiked, jump(slow), slow), jnp.where(spiked, slow, before))

    def pre_spike(self, s, spiked):
        return self._spike(s, spiked), None

    def post_spike(self, s, spiked):
        return self._spike(s, spiked)

    def on_pre(self, w, pre, post):
        return w - post.o1 * (self.A2_minus + self.A3_minus * pre.r2_before)

    def on_post(self, w, pre, post):
        return w + pre.r1 * (self.A2_plus + self.A3_plus * post.o2_before)

    def window(self, lag):
        """The weight change of one pre/post pair from rest against ``lag = t_post - t_pre`` (ms)."""
        lag = jnp.asarray(lag)
        return jnp.where(lag >= 0, self.A2_plus * jnp.exp(-lag / self.tau_plus), -self.A2_minus * jnp.exp(lag / self.tau_minus))

    def time_constants(self):
        return {"tau_plus": self.tau_plus, "tau_minus": self.tau_minus, "tau_x": self.tau_x, "tau_y": self.tau_y}
