r"""The standard benchmark networks.

**COBA / CUBA** (Vogels & Abbott 2005, J Neurosci 25:10786; as used in Brette et al.
2007, J Comput Neurosci 23:349, and in Brian2's and BrainPy's examples): ``n`` LIF neurons,
80 % excitatory, random connectivity with probability ``p`` (default ``80 / n``:
about 80 incoming synapses per neuron), exponential synapses.

COBA is BrainPy's published simulator-comparison variant, in voltage units:

.. math::
    \tau_m \dot v = g_e (E_e - v) + g_i (E_i - v) - (v - E_L) + I

with :math:`g_e, g_i` in units of the leak conductance. neurodyn writes it with NEST
units by choosing a leak conductance of exactly 1 nS: ``C_m = tau_m`` (pF = ms numerically),
so :math:`g_e` in nS *is* :math:`g_e` in units of :math:`g_L`, and ``I_e = 20 pA`` is
the 20 mV drive. Parameters: :math:`\tau_m = 20` ms, :math:`E_L = V_{reset} = -60` mV,
:math:`V_{th} = -50` mV, :math:`E_e = 0`, :math:`E_i = -80` mV, refractory 5 ms,
:math:`\tau_e = 5`, :math:`\tau_i = 10` ms, jumps 0.6 (exc) and 6.7 (inh),
:math:`v_0 \sim N(-55, 5)` mV, ``dt = 0.1`` ms. Brian2 2.9 gives about 21 Hz at n = 4,000.

CUBA is Brian2's CUBA example: :math:`\tau_m \dot v = g_e + g_i - (v - E_L)` with
:math:`E_L = -49` mV, :math:`V_{th} = -50`, :math:`V_{reset} = -60` mV, refractory 5 ms,
:math:`g_e, g_i` in mV decaying with 5 and 10 ms, jumps 1.62 mV and -9 mV, p = 0.02,
:math:`v_0 \sim U(V_{reset}, V_{th})`. (Here too ``C_m = tau_m``: currents in pA equal mV.)
"""

from __future__ import annotations

from .. import inputs as _inputs
from ..connectivity import ExpConductance, ExpCurrent, WithSynapses, fixed_probability, normal, uniform
from ..connectivity._synaptic import Delta
from ..network import Network, Population, Projection
from ..neurons import LIF


def _ei(n, p, exc_model, inh_model, w_e, w_i, init, dt, seed, propagation, delay=0.0):
    n_e = int(round(0.8 * n))
    pops = {
        "E": Population(exc_model(n_e), init=init),
        "I": Population(inh_model(n - n_e), init=init),
    }
    conn = fixed_probability(p)
    projections = [
        Projection(pre, post, conn, weight=w_e if pre == "E" else w_i, delay=delay, target="exc" if pre == "E" else "inh")
        for pre in ("E", "I")
        for post in ("E", "I")
    ]
    return Network(pops, projections, dt=dt, seed=seed, propagation=propagation)


def coba(n: int = 4000, p: float | None = None, *, w_e: float = 0.6, w_i: float = 6.7, I: float = 20.0,
         dt: float = 0.1, seed: int = 0, propagation: str = "auto"):
    """COBA network (BrainPy's simulator-comparison variant). Returns ``(network, inputs)``.

    Example::

        net, inputs = nd.examples.coba(4000)
        res = nd.simulate(net, 1000.0, net.dt, inputs=inputs)
        res["E"].rates().mean()   # about 21 Hz
    """
    p = 80.0 / n if p is None else p

    def model(m):
        lif = LIF(n=m, tau_m=20.0, C_m=20.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, I_e=I)
        return WithSynapses(lif, {"exc": ExpConductance(tau=5.0, E_rev=0.0), "inh": ExpConductance(tau=10.0, E_rev=-80.0)})

    net = _ei(n, p, model, model, w_e, w_i, {"V_m": normal(-55.0, 5.0)}, dt, seed, propagation)
    return net, {}


def cuba(n: int = 4000, p: float = 0.02, *, w_e: float = 1.62, w_i: float = -9.0, dt: float = 0.1,
         seed: int = 0, propagation: str = "auto"):
    """CUBA network (Brian2's CUBA example, Vogels & Abbott 2005). Returns ``(network, inputs)``."""

    def model(m):
        lif = LIF(n=m, tau_m=20.0, C_m=20.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0)
        return WithSynapses(lif, {"exc": ExpCurrent(tau=5.0), "inh": ExpCurrent(tau=10.0)})

    net = _ei(n, p, model, model, w_e, w_i, {"V_m": uniform(-60.0, -50.0)}, dt, seed, propagation)
    return net, {}
