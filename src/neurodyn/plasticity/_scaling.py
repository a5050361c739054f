r"""Homeostatic synaptic scaling (Turrigiano et al. 1998, Nature 391:892), in the form of
van Rossum, Bi & Turrigiano 2000 (J Neurosci 20:8812, eq. 4, proportional term).

Each postsynaptic neuron estimates its rate :math:`a` (Hz) with a trace,
:math:`\tau_a \dot a = -a`, :math:`a \mathrel{+}= 1000/\tau_a` at each of its spikes, and
scales every synapse into it multiplicatively,

.. math:: \dot w = \eta\, w\, (a_{target} - a),

so a neuron firing above its target weakens all its inputs by the same factor (weight
ratios are kept). Clock-driven (``on_step`` every ``steps`` steps): over an interval
:math:`h` the change is applied as the exact factor
:math:`\exp(\eta (a_{target} h - \int a\,dt))`, with the integral of the decaying trace
over the interval, exact when the neuron does not spike inside it (always for
``steps = 1``: spikes come at step ends). Over a run the factor is then
:math:`\exp\big(\eta (a_{target} T - \sum_s 1000 (1 - e^{-(T - t_s)/\tau_a}))\big)` for
spikes at :math:`t_s`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_nonnegative, check_positive, param
from ._rule import AbstractRule, check_bounds, check_every


class SynapticScaling(AbstractRule):
    """Multiplicative homeostatic scaling of a neuron's incoming weights towards a target rate.

    Example::

        rule = nd.plasticity.SynapticScaling(target_rate=5.0, tau_a=1000.0, eta=1e-6, steps=10)
        nd.Projection("In", "E", nd.connectivity.all_to_all(), weight=0.5, plasticity=rule)
    """

    target_rate: jax.Array = param(5.0, unit="Hz", doc="target firing rate a_target")
    tau_a: jax.Array = param(1000.0, unit="ms", doc="time constant of the rate estimate")
    eta: jax.Array = param(1e-6, unit="1/(Hz ms)", doc="scaling rate: dw/dt = eta w (a_target - a)")
    w_min: jax.Array | None = param(None, unit="weight", doc="lower weight bound (None: unbounded)")
    w_max: jax.Array | None = param(None, unit="weight", doc="upper weight bound (None: unbounded)")
    steps: int = param(1, unit="", doc="scale every this many steps", static=True)

    def __check_init__(self):
        check_nonnegative("target_rate", self.target_rate, "Hz")
        check_positive("tau_a", self.tau_a, "ms")
        check_nonnegative("eta", self.eta, "1/(Hz ms)")
        check_bounds(self)
        check_every(self.steps)

    @property
    def every(self):
        return self.steps

    def init_post(self, n, dtype):
        return jnp.zeros((n,), dtype)

    def advance_post(self, a, dt):
        return a * jnp.exp(-dt / self.tau_a).astype(a.dtype)

    def post_spike(self, a, spiked):
        return jnp.where(spiked, a + 1000.0 / self.tau_a, a)

    def on_step(self, w, pre, post, dt):
        integral = post * self.tau_a * jnp.expm1(dt / self.tau_a)  # of the trace over the last dt, from its end value
        return w * jnp.exp(self.eta * (self.target_rate * dt - integral))

    def factor(self, spike_times, duration):
        """The factor a run of ``duration`` ms scales the weights by, for the postsynaptic
        spikes at ``spike_times`` (ms; ``steps = 1``, starting from a = 0)."""
        t = jnp.asarray(spike_times)
        integral = jnp.sum(1000.0 * -jnp.expm1(-(duration - t) / self.tau_a))
        return jnp.exp(self.eta * (self.target_rate * duration - integral))

    def time_constants(self):
        return {"tau_a": self.tau_a}
