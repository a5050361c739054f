r"""Hodgkin–Huxley type neurons: the squid axon (1952), Traub & Miles, Wang & Buzsáki.

Conductance-based membranes

.. math::
    C_m \dot V = g_{Na} m^3 h (E_{Na} - V) + g_K n^4 (E_K - V) + g_L (E_L - V) + I,
    \qquad \dot x = \alpha_x(V) (1 - x) - \beta_x(V)\, x \quad (x = m, h, n).

Every equation is linear in its own variable, so the default integrator is exponential
Euler (each gate relaxes exactly towards its steady state over a step with V held),
which is stable for the stiff sodium activation. A spike is counted when V crosses
``V_th`` (0 mV by default) upwards; there is no reset.

Units: the squid and Wang–Buzsáki membranes are scaled to an area of 1e-4 cm²
(1 µF/cm² -> 100 pF, 1 mS/cm² -> 100 nS, 1 µA/cm² -> 100 pA); Traub & Miles to
20,000 µm² (200 pF), as in Destexhe et al. (2001) and Brian2's COBAHH benchmark.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._params import check_nonnegative, check_positive, param
from ..engine._solvers import ExponentialEuler
from ._base import SpikingNeuron


def vtrap(x, y):
    r""":math:`x / (e^{x/y} - 1)`, continuous at :math:`x = 0` (value ``y``)."""
    z = x / y
    small = jnp.abs(z) < 1e-6
    z_safe = jnp.where(small, 1.0, z)
    return jnp.where(small, y * (1.0 - z / 2.0), y * z_safe / jnp.expm1(z_safe))


class HHState(eqx.Module):
    V_m: jax.Array  #: membrane potential, mV
    m: jax.Array  #: Na activation
    h: jax.Array  #: Na inactivation
    n: jax.Array  #: K activation
    above: jax.Array  #: 1 while V is above V_th (int32; spikes are upward crossings)
    parts: tuple = ()


class _HH(SpikingNeuron):
    C_m: jax.Array = param(100.0, unit="pF", doc="membrane capacitance")
    g_Na: jax.Array = param(12000.0, unit="nS", doc="peak sodium conductance")
    g_K: jax.Array = param(3600.0, unit="nS", doc="peak potassium conductance")
    g_L: jax.Array = param(30.0, unit="nS", doc="leak conductance")
    E_Na: jax.Array = param(50.0, unit="mV", doc="sodium reversal")
    E_K: jax.Array = param(-77.0, unit="mV", doc="potassium reversal")
    E_L: jax.Array = param(-54.387, unit="mV", doc="leak reversal")
    V_th: jax.Array = param(0.0, unit="mV", doc="spike detection level (upward crossing)")
    V_init: jax.Array = param(-65.0, unit="mV", doc="initial V (gates start at their steady state)")

    solver = ExponentialEuler()

    def __check_init__(self):
        check_positive("C_m", self.C_m, "pF")
        for name in ("g_Na", "g_K", "g_L"):
            check_nonnegative(name, getattr(self, name), "nS")

    def rates(self, V):
        """((alpha_m, beta_m), (alpha_h, beta_h), (alpha_n, beta_n)) in 1/ms."""
        raise NotImplementedError

    def _own_time_constants(self):
        return {"tau_m": self.C_m / (self.g_L + 1e-30)}

    def _steady(self, V):
        return tuple(a / (a + b) for a, b in self.rates(V))

    def _init_own(self, dtype):
        V = jnp.broadcast_to(jnp.asarray(self.V_init, dtype), (self.n,))
        m, h, n = self._steady(V)
        return HHState(V, m, h, n, jnp.zeros((self.n,), jnp.int32))

    def _ionic(self, V, m, h, n):
        return (self.g_Na * m**3 * h * (self.E_Na - V) + self.g_K * n**4 * (self.E_K - V)
                + self.g_L * (self.E_L - V))

    def _field(self, t, s, I):
        (am, bm), (ah, bh), (an, bn) = self.rates(s.V_m)
        dV = (self._ionic(s.V_m, s.m, s.h, s.n) + I["V_m"]) / self.C_m
        return HHState(dV, am * (1 - s.m) - bm * s.m, ah * (1 - s.h) - bh * s.h, an * (1 - s.n) - bn * s.n,
                       s.above, s.parts)

    def _fire(self, s, dt):
        up = s.V_m >= self.V_th
        spiked = up & (s.above == 0)
        return HHState(s.V_m, s.m, s.h, s.n, up.astype(jnp.int32), s.parts), spiked


class HodgkinHuxley(_HH):
    r"""The Hodgkin & Huxley (1952) squid giant axon at 6.3 °C, resting at −65 mV
    (the convention of Dayan & Abbott and NEST's ``hh_psc_alpha``).

    .. math::
        \alpha_m = \frac{0.1 (V + 40)}{1 - e^{-(V+40)/10}},\ \beta_m = 4 e^{-(V+65)/18},\
        \alpha_h = 0.07 e^{-(V+65)/20},\ \beta_h = \frac{1}{1 + e^{-(V+35)/10}},\
        \alpha_n = \frac{0.01 (V + 55)}{1 - e^{-(V+55)/10}},\ \beta_n = 0.125 e^{-(V+65)/80}.

    Type II excitability: repetitive firing starts with a jump to about 50 Hz.

    Example::

        hh = nd.neurons.HodgkinHuxley(n=3, I_e=[500.0, 700.0, 1000.0])
        res = nd.simulate(hh, 200.0, 0.01, record=["spikes", "V_m"])
    """

    def rates(self, V):
        return (
            (0.1 * vtrap(-(V + 40.0), 10.0), 4.0 * jnp.exp(-(V + 65.0) / 18.0)),
            (0.07 * jnp.exp(-(V + 65.0) / 20.0), 1.0 / (1.0 + jnp.exp(-(V + 35.0) / 10.0))),
            (0.01 * vtrap(-(V + 55.0), 10.0), 0.125 * jnp.exp(-(V + 65.0) / 80.0)),
        )


class TraubMiles(_HH):
    r"""The Traub & Miles (1991) cortical pyramidal-cell sodium/potassium kinetics in the
    form of Destexhe et al. (2001), with :math:`V_T` = ``V_T``:

    .. math::
        \alpha_m = \frac{0.32 (13 - V + V_T)}{e^{(13 - V + V_T)/4} - 1},\
        \beta_m = \frac{0.28 (V - V_T - 40)}{e^{(V - V_T - 40)/5} - 1},\
        \alpha_h = 0.128 e^{(17 - V + V_T)/18},\ \beta_h = \frac{4}{1 + e^{(40 - V + V_T)/5}},

    .. math::
        \alpha_n = \frac{0.032 (15 - V + V_T)}{e^{(15 - V + V_T)/5} - 1},\ \beta_n = 0.5 e^{(10 - V + V_T)/40}.

    Example::

        cell = nd.neurons.TraubMiles(n=2, I_e=[200.0, 500.0])
    """

    C_m: jax.Array = param(200.0, unit="pF", doc="membrane capacitance")
    g_Na: jax.Array = param(20000.0, unit="nS", doc="peak sodium conductance")
    g_K: jax.Array = param(6000.0, unit="nS", doc="peak potassium conductance")
    g_L: jax.Array = param(10.0, unit="nS", doc="leak conductance")
    E_K: jax.Array = param(-90.0, unit="mV", doc="potassium reversal")
    E_L: jax.Array = param(-60.0, unit="mV", doc="leak reversal")
    V_T: jax.Array = param(-63.0, unit="mV", doc="kinetic offset of the rate functions")
    V_init: jax.Array = param(-60.0, unit="mV", doc="initial V (gates start at their steady state)")

    def rates(self, V):
        u = V - self.V_T
        return (
            (0.32 * vtrap(13.0 - u, 4.0), 0.28 * vtrap(u - 40.0, 5.0)),
            (0.128 * jnp.exp((17.0 - u) / 18.0), 4.0 / (1.0 + jnp.exp((40.0 - u) / 5.0))),
            (0.032 * vtrap(15.0 - u, 5.0), 0.5 * jnp.exp((10.0 - u) / 40.0)),
        )


class WangBuzsaki(_HH):
    r"""The Wang & Buzsáki (1996) fast-spiking interneuron: instantaneous sodium activation
    :math:`m_\infty = \alpha_m/(\alpha_m + \beta_m)`, gates ``h`` and ``n`` with
    temperature factor :math:`\phi = 5`:

    .. math::
        \alpha_m = \frac{0.1 (V + 35)}{1 - e^{-(V+35)/10}},\ \beta_m = 4 e^{-(V+60)/18},\
        \alpha_h = 0.07 e^{-(V+58)/20},\ \beta_h = \frac{1}{1 + e^{-(V+28)/10}},

    .. math::
        \alpha_n = \frac{0.01 (V + 34)}{1 - e^{-(V+34)/10}},\ \beta_n = 0.125 e^{-(V+44)/80}.

    Type I excitability: the firing frequency rises continuously from zero at rheobase.
    (The state keeps ``m`` at :math:`m_\infty(V)` for recording.)

    Example::

        wb = nd.neurons.WangBuzsaki(n=2, I_e=[50.0, 100.0])
    """

    g_Na: jax.Array = param(3500.0, unit="nS", doc="peak sodium conductance")
    g_K: jax.Array = param(900.0, unit="nS", doc="peak potassium conductance")
    g_L: jax.Array = param(10.0, unit="nS", doc="leak conductance")
    E_Na: jax.Array = param(55.0, unit="mV", doc="sodium reversal")
    E_K: jax.Array = param(-90.0, unit="mV", doc="potassium reversal")
    E_L: jax.Array = param(-65.0, unit="mV", doc="leak reversal")
    phi: jax.Array = param(5.0, unit="", doc="temperature factor of h and n")

    def rates(self, V):
        return (
            (0.1 * vtrap(-(V + 35.0), 10.0), 4.0 * jnp.exp(-(V + 60.0) / 18.0)),
            (self.phi * 0.07 * jnp.exp(-(V + 58.0) / 20.0), self.phi / (1.0 + jnp.exp(-(V + 28.0) / 10.0))),
            (self.phi * 0.01 * vtrap(-(V + 34.0), 10.0), self.phi * 0.125 * jnp.exp(-(V + 44.0) / 80.0)),
        )

    def _m_inf(self, V):
        (am, bm), _, _ = self.rates(V)
        return am / (am + bm)

    def _field(self, t, s, I):
        d = super()._field(t, s.__class__(s.V_m, self._m_inf(s.V_m), s.h, s.n, s.above, s.parts), I)
        return HHState(d.V_m, jnp.zeros_like(s.m), d.h, d.n, s.above, d.parts)

    def _fire(self, s, dt):
        s, spiked = super()._fire(s, dt)
        return HHState(s.V_m, self._m_inf(s.V_m), s.h, s.n, s.above, s.parts), spiked
