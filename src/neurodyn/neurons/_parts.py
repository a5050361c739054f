"""Parts that attach to any spiking neuron: adaptation currents and noise.

A part owns a small piece of state (stored in ``state.parts`` of the neuron, in the
order of the neuron's parts), contributes a current (pA) into one voltage variable of
the neuron (its ``target``, e.g. ``"V_m"`` or the dendrite ``"V_d"``), and may react to
the neuron's own spikes. Synaptic channels (``neurodyn.synapses``) are parts too and can
also receive spikes from other neurons.

The protocol (all methods take the neuron as first argument, so a part can use the
neuron's parameters such as ``E_L``):

- ``init(neuron, n, dtype)`` -> the part's state (PyTree of ``(n,)`` arrays, may be ``()``);
- ``derivative(neuron, state, volts, drive)`` -> d(state)/dt; ``volts`` maps voltage names
  to arrays, ``drive`` is the part's external input (``None`` unless the part takes input);
- ``current(neuron, state, volts)`` -> current into ``target`` (pA), or ``None``;
- ``on_spike(neuron, state, spiked)`` -> state after the neuron's own spikes;
- ``observe(state)`` -> the array recorded under the part's ``name``;
- ``time_constants()`` -> dict of time constants (ms) checked against ``dt``;
- ``takes_input``: whether the part has an external input (``drive[name]``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import Documented, check_parameters, check_positive, new_with_checked_keywords, param


class AbstractPart(Documented):
    """Something attached to a neuron: state, a current into ``target``, spike reactions.

    Concrete parts declare the static fields ``name`` (how the part is recorded and
    addressed) and ``target`` (the voltage variable its current enters).
    """

    takes_input = False
    #: whether the part is a synaptic channel that receives spikes (``neuron.receive``)
    receives_spikes = False
    __new__ = new_with_checked_keywords

    def __check_init__(self):
        check_parameters(self)

    def init(self, neuron, n, dtype):
        return ()

    def derivative(self, neuron, state, volts, drive):
        return jax.tree.map(jnp.zeros_like, state)

    def current(self, neuron, state, volts):
        return None

    def on_spike(self, neuron, state, spiked):
        return state

    def observe(self, state):
        return state

    def time_constants(self) -> dict:
        return {}

    def diffusion(self, neuron):
        """Noise amplitude on ``target`` (mV/ms^0.5), or ``None``."""
        return None


class Adaptation(AbstractPart):
    r"""An adaptation current :math:`w` with subthreshold coupling ``a`` and spike
    increment ``b`` (Brette & Gerstner 2005):

    .. math::
        \tau_w \frac{dw}{dt} = a (V - E_L) - w, \qquad w \to w + b \text{ at each spike},

    entering the target voltage as :math:`-w`. ``E_L`` is the neuron's resting potential
    unless ``E_a`` is given. Several can be attached (fast and slow adaptation).

    Example::

        slow = nd.neurons.Adaptation(a=0.0, b=20.0, tau_w=500.0, name="w_slow")
        alif = nd.neurons.AdaptiveLIF(n=10, b=50.0, tau_w=100.0, parts=(slow,))
    """

    a: jax.Array = param(0.0, unit="nS", doc="subthreshold adaptation coupling")
    b: jax.Array = param(0.0, unit="pA", doc="spike-triggered adaptation increment")
    tau_w: jax.Array = param(100.0, unit="ms", doc="adaptation time constant")
    E_a: jax.Array | None = param(None, unit="mV", doc="reversal of the subthreshold coupling (default: the neuron's E_L)")
    name: str = eqx.field(static=True, default="w")
    target: str = eqx.field(static=True, default="V_m")

    def __check_init__(self):
        check_positive("tau_w", self.tau_w, "ms")

    def init(self, neuron, n, dtype):
        return jnp.zeros((n,), dtype)

    def derivative(self, neuron, w, volts, drive):
        E = neuron.E_L if self.E_a is None else self.E_a
        return (self.a * (volts[self.target] - E) - w) / self.tau_w

    def current(self, neuron, w, volts):
        return -w

    def on_spike(self, neuron, w, spiked):
        return jnp.where(spiked, w + self.b, w)

    def time_constants(self):
        return {f"{self.name}.tau_w": self.tau_w}


class Noise(AbstractPart):
    r"""White-noise current on ``target``: :math:`C\,dV = \dots dt + \sigma\, dW`.

    ``sigma`` is in pA·ms^0.5, so the voltage diffuses with :math:`\sigma / C` mV/ms^0.5.
    A neuron with a noise part defaults to the Euler–Maruyama solver. (Noise that enters
    as an input, ``neurodyn.inputs.white_noise``, needs no part.)
    """

    sigma: jax.Array = param(0.0, unit="pA ms^0.5", doc="noise amplitude")
    name: str = eqx.field(static=True, default="noise")
    target: str = eqx.field(static=True, default="V_m")

    def diffusion(self, neuron):
        return self.sigma / neuron.capacitance(self.target)
