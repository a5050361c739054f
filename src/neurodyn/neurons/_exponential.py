"""Exponential and quadratic integrate-and-fire neurons, and AdEx with the Naud et al. (2008) presets."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._params import check_choice, check_less, check_positive, param
from ._if import IntegrateAndFire
from ._parts import Adaptation


class ExpIF(IntegrateAndFire):
    r"""Exponential integrate-and-fire neurons (Fourcaud-Trocmé et al. 2003).

    .. math::
        C_m \dot V = -g_L (V - E_L) + g_L \Delta_T e^{(V - V_T)/\Delta_T} + I_e + I(t)

    The spike is cut at ``V_th`` (the peak, NEST's ``V_peak``), then :math:`V \to V_{reset}`.
    Forward Euler by default, as in Brian2 and NEST's reference implementations.

    Example::

        eif = nd.neurons.ExpIF(n=2, I_e=[300.0, 500.0])
        nd.simulate(eif, 500.0, 0.1).rates()
    """

    g_L: jax.Array = param(30.0, unit="nS", doc="leak conductance")
    C_m: jax.Array = param(281.0, unit="pF", doc="membrane capacitance")
    E_L: jax.Array = param(-70.6, unit="mV", doc="resting potential")
    V_T: jax.Array = param(-50.4, unit="mV", doc="soft threshold (exponential)")
    Delta_T: jax.Array = param(2.0, unit="mV", doc="slope factor")
    V_th: jax.Array = param(0.0, unit="mV", doc="spike cut-off (peak), where V is reset")
    V_reset: jax.Array = param(-70.6, unit="mV", doc="reset potential")

    def __check_init__(self):
        check_positive("Delta_T", self.Delta_T, "mV")

    def _psi(self, V):
        return self.g_L * self.Delta_T * jnp.exp(jnp.minimum((V - self.V_T) / self.Delta_T, 60.0))


class QIF(IntegrateAndFire):
    r"""Quadratic integrate-and-fire neurons (normal form of a saddle-node on invariant circle).

    .. math::
        C_m \dot V = g_L \frac{(V - E_L)(V - V_c)}{V_c - E_L} + I_e + I(t)

    (slope :math:`-g_L` at rest, as a leaky membrane); below the critical voltage ``V_c`` the membrane relaxes to ``E_L``, above it V escapes to
    the cut-off ``V_th`` and is reset.

    Example::

        qif = nd.neurons.QIF(n=2, I_e=[100.0, 200.0])
    """

    g_L: jax.Array = param(10.0, unit="nS", doc="leak conductance (slope of the parabola at E_L)")
    C_m: jax.Array = param(200.0, unit="pF", doc="membrane capacitance")
    V_c: jax.Array = param(-50.0, unit="mV", doc="critical voltage (unstable fixed point without input)")
    V_th: jax.Array = param(0.0, unit="mV", doc="spike cut-off (peak), where V is reset")
    V_reset: jax.Array = param(-60.0, unit="mV", doc="reset potential")

    def __check_init__(self):
        check_less("E_L", self.E_L, "V_c", self.V_c, "mV")

    def _psi(self, V):
        return self.g_L * (V - self.E_L) * (1.0 + (V - self.V_c) / (self.V_c - self.E_L))


#: Naud, Marcille, Clopath & Gerstner (2008), Biol Cybern 99:335, Table 1: parameters and
#: step current I (pA) of the firing patterns of Fig. 4. Common: V_T = -50 mV, Delta_T = 2 mV,
#: spike cut at 0 mV. Keys: C_m (pF), g_L (nS), E_L, V_reset (mV), a (nS), tau_w (ms), b (pA).
NAUD_PRESETS = {
    "tonic": dict(C_m=200.0, g_L=10.0, E_L=-70.0, a=2.0, tau_w=30.0, b=0.0, V_reset=-58.0, I=500.0),  # Fig 4a
    "adapting": dict(C_m=200.0, g_L=12.0, E_L=-70.0, a=2.0, tau_w=300.0, b=60.0, V_reset=-58.0, I=500.0),  # 4b
    "initial_burst": dict(C_m=130.0, g_L=18.0, E_L=-58.0, a=4.0, tau_w=150.0, b=120.0, V_reset=-50.0, I=400.0),  # 4c
    "bursting": dict(C_m=200.0, g_L=10.0, E_L=-58.0, a=2.0, tau_w=120.0, b=100.0, V_reset=-46.0, I=210.0),  # 4d
    "delayed": dict(C_m=200.0, g_L=12.0, E_L=-70.0, a=-10.0, tau_w=300.0, b=0.0, V_reset=-58.0, I=300.0),  # 4e
    # 4g: the printed row (a = -10 nS, I = 350 pA) fires tonically; transient spiking needs the
    # resonator regime of the paper's Fig. 4g, a > 0: we use a = +10 nS and I = 250 pA.
    "transient": dict(C_m=100.0, g_L=10.0, E_L=-65.0, a=10.0, tau_w=90.0, b=30.0, V_reset=-47.0, I=250.0),  # 4g
    "irregular": dict(C_m=100.0, g_L=12.0, E_L=-60.0, a=-11.0, tau_w=130.0, b=30.0, V_reset=-48.0, I=160.0),  # 4h
}


class AdEx(ExpIF):
    r"""Adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005).

    .. math::
        C_m \dot V = -g_L (V - E_L) + g_L \Delta_T e^{(V - V_T)/\Delta_T} - w + I_e + I(t),
        \qquad \tau_w \dot w = a (V - E_L) - w,

    at :math:`V \ge V_{th}` (the peak): :math:`V \to V_{reset}`, :math:`w \to w + b`.
    Defaults are Brette & Gerstner (2005). ``AdEx.preset(name, n)`` gives the parameter
    sets of Naud et al. (2008) Table 1: ``tonic``, ``adapting``, ``initial_burst``,
    ``bursting``, ``delayed``, ``transient``, ``irregular``; ``AdEx.preset_current(name)``
    is the step current (pA) that shows the pattern.

    Example::

        neuron = nd.neurons.AdEx.preset("adapting", n=1)
        res = nd.simulate(neuron, 500.0, 0.1, inputs=nd.inputs.constant(nd.neurons.AdEx.preset_current("adapting")))
    """

    a: jax.Array = param(4.0, unit="nS", doc="subthreshold adaptation coupling")
    b: jax.Array = param(80.5, unit="pA", doc="spike-triggered adaptation increment")
    tau_w: jax.Array = param(144.0, unit="ms", doc="adaptation time constant")

    presets = NAUD_PRESETS

    def _builtin_parts(self):
        return (Adaptation(a=self.a, b=self.b, tau_w=self.tau_w, name="w"),)

    @classmethod
    def preset(cls, name: str, n: int = 1, **changes) -> "AdEx":
        """The Naud et al. (2008) parameter set ``name`` (see ``AdEx.presets``), ``n`` neurons."""
        check_choice("preset", name, list(NAUD_PRESETS))
        p = {k: v for k, v in NAUD_PRESETS[name].items() if k != "I"}
        p.update(V_T=-50.0, Delta_T=2.0, V_th=0.0)
        p.update(changes)
        return cls(n=n, **p)

    @staticmethod
    def preset_current(name: str) -> float:
        """The step current (pA) of Naud et al. (2008) Table 1 for pattern ``name``."""
        check_choice("preset", name, list(NAUD_PRESETS))
        return NAUD_PRESETS[name]["I"]
