r"""Reward-modulated (three-factor) STDP with eligibility traces.

Pair STDP with traces (as ``STDP``) does not change the weight: it writes an eligibility
trace :math:`c` per synapse, which decays with :math:`\tau_c`; a global neuromodulator
:math:`M(t)` (e.g. dopamine, a network input named in ``modulator``) turns it into a weight
change (Izhikevich 2007, Cereb Cortex 17:2443, eqs. 1–2; Frémaux & Gerstner 2016, Front
Neural Circuits 9:85):

.. math::
    \dot c = -\frac{c}{\tau_c} + \mathrm{STDP}(\Delta t)\,\delta(t - t_{pre/post}), \qquad
    \dot w = \eta\, M(t)\, c(t).

Over a step :math:`h` with :math:`M` constant (its value at the step's start) both are
integrated exactly: :math:`w \mathrel{+}= \eta M c \tau_c (1 - e^{-h/\tau_c})`,
:math:`c \mathrel{*}= e^{-h/\tau_c}`. So one pair (lag :math:`\Delta t`) followed by a
reward pulse of height :math:`m` from :math:`d` ms after the pair's second spike for a
width :math:`T` changes the weight by
:math:`\eta\, m\, W(\Delta t)\, \tau_c e^{-d/\tau_c}(1 - e^{-T/\tau_c})` with :math:`W` the
pair window.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_nonnegative, check_positive, param
from ._stdp import AbstractPairSTDP


class Eligible(eqx.Module):
    w: jax.Array  #: weights (nnz,)
    c: jax.Array  #: eligibility traces (nnz,), in weight units x ms^0 (the STDP window's)


class RewardSTDP(AbstractPairSTDP):
    """Reward-modulated STDP: pair STDP into eligibility traces, weights changed by a global
    neuromodulator (three-factor rule); attach to a projection of a network that declares
    the neuromodulator (``Network(..., neuromodulators=("DA",))``) and give its time course
    as an input of the run.

    Example::

        rule = nd.plasticity.RewardSTDP(A_pre=1.0, A_post=-1.0, tau_c=1000.0, eta=1e-4, modulator="DA")
        E = nd.connectivity.WithSynapses(nd.neurons.LIF(n=10, I_e=400.0), {"exc": nd.connectivity.ExpCurrent(tau=5.0)})
        net = nd.Network({"In": nd.neurons.PoissonSource(50, rate=20.0), "E": E},
                         [nd.Projection("In", "E", nd.connectivity.all_to_all(), weight=0.5, plasticity=rule)],
                         neuromodulators=("DA",))
        reward = nd.inputs.pulses(1.0, start=500.0, width=10.0)  # one dopamine pulse
        res = nd.simulate(net, 1000.0, 0.1, inputs={"DA": reward}, record=["In->E.c"])
    """

    tau_c: jax.Array = param(1000.0, unit="ms", doc="decay time constant of the eligibility trace")
    eta: jax.Array = param(1e-3, unit="1/ms", doc="learning rate: dw/dt = eta M c (per unit of the neuromodulator)")
    modulator: str = param("DA", unit="", doc="name of the network's neuromodulator M(t) the rule reads", static=True)

    def __check_init__(self):
        check_positive("tau_c", self.tau_c, "ms")
        check_nonnegative("eta", self.eta, "1/ms")
        if not isinstance(self.modulator, str) or not self.modulator:
            raise ValueError(f"modulator must be the name of a network neuromodulator, got {self.modulator!r}")

    @property
    def neuromodulators(self):
        return (self.modulator,)

    def init_synapses(self, w):
        return Eligible(w, jnp.zeros_like(w))

    def weight(self, s):
        return s.w

    def clip(self, s):
        return Eligible(super().clip(s.w), s.c)

    def on_pre(self, s, pre, post):
        return Eligible(s.w, s.c + post)

    def on_post(self, s, pre, post):
        return Eligible(s.w, s.c + pre)

    def on_modulated_step(self, s, pre, post, m, dt):
        decay = jnp.exp(-dt / self.tau_c).astype(s.c.dtype)
        gain = (self.eta * self.tau_c) * -jnp.expm1(-dt / self.tau_c)
        return Eligible(s.w + gain * m[self.modulator] * s.c, s.c * decay)

    def window(self, lag):
        """The eligibility one pre/post pair writes, against ``lag = t_post - t_pre`` (ms)."""
        return self._pair(lag)

    def time_constants(self):
        return {**super().time_constants(), "tau_c": self.tau_c}
