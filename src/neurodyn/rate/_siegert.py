r"""The stationary rate of a leaky integrate-and-fire neuron driven by white noise
(Siegert 1951; Amit & Brunel 1997; Brunel 2000, eq. 21).

For :math:`\tau_m \dot V = -(V - \mu) + \sigma \sqrt{\tau_m}\,\xi(t)` with threshold
:math:`V_{th}`, reset :math:`V_r` and refractory period :math:`t_{ref}`:

.. math::
    \frac{1}{\nu} = t_{ref} + \tau_m \sqrt{\pi}
        \int_{(V_r - \mu)/\sigma}^{(V_{th} - \mu)/\sigma} e^{u^2} (1 + \mathrm{erf}\,u)\, du .

The integrand is :math:`\mathrm{erfcx}(-u)`, evaluated without overflow for u < 0.
"""

from __future__ import annotations

from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erfcx as _jax_erfcx

from ._checks import positive_scalar

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def erfcx(x):
    r"""Scaled complementary error function :math:`e^{x^2}\mathrm{erfc}(x)`.

    ``jax.scipy.special.erfcx`` (jax 0.10) returns 0 on a narrow window of large arguments
    (about 9.2-9.4 in float32, 26.5-26.6 in float64); above a safe threshold we use the
    asymptotic series :math:`\frac{1}{x\sqrt\pi}\sum_k (-1)^k (2k-1)!!/(2x^2)^k`
    (8 terms: relative error below 1e-9 at x = 9 and 1e-16 at x = 20).
    """
    x = jnp.asarray(x)
    big = 9.0 if x.dtype == jnp.float32 else 20.0
    xs = jnp.where(x > big, x, big)
    z = 1.0 / (2.0 * xs * xs)
    term = jnp.ones_like(xs)
    series = jnp.ones_like(xs)
    for k in range(1, 8):
        term = -term * (2 * k - 1) * z
        series = series + term
    asym = series / (xs * jnp.sqrt(jnp.pi))
    return jnp.where(x > big, asym, _jax_erfcx(jnp.where(x > big, 0.0, x)))


def _integral_erfcx(a, b, panels: int):
    """int_a^b erfcx(-u) du by composite 8-point Gauss–Legendre on ``panels`` panels."""
    edges = jnp.linspace(0.0, 1.0, panels + 1)
    lo = a + (b - a) * edges[:-1]
    width = (b - a) / panels
    x = jnp.asarray(_GL_X, jnp.result_type(a, float))
    w = jnp.asarray(_GL_W, x.dtype)
    u = lo[:, None] + width * (x[None, :] + 1) / 2
    return jnp.sum(erfcx(-u) * w[None, :]) * width / 2


#: sqrt(2) |zeta(1/2)|: threshold shift of a white-noise-driven LIF integrated with step dt
#: is ALPHA / 2 * sigma * sqrt(dt / tau_m) (Brunel & Hakim 1999; Fourcaud & Brunel 2002).
ALPHA = 2.0652


def siegert_rate(mu, sigma, *, tau_m=10.0, V_th=20.0, V_reset=10.0, t_ref=2.0, dt=None,
                 panels: int = 64):
    r"""Stationary firing rate (Hz) of a LIF neuron with white-noise input (Siegert formula).

    Args:
        mu: mean free membrane potential :math:`\mu` (mV), i.e. the potential the neuron
            would relax to without threshold (:math:`E_L + \tau_m I / C_m` for a mean current I).
        sigma: noise amplitude :math:`\sigma` (mV), with the convention of Brunel (2000):
            :math:`\tau_m \dot V = -(V-\mu) + \sigma\sqrt{\tau_m}\xi`, so the free membrane
            potential has standard deviation :math:`\sigma / \sqrt 2`. Must be > 0.
        tau_m: membrane time constant (ms).
        V_th, V_reset: threshold and reset potentials (mV), same reference as ``mu``.
        t_ref: absolute refractory period (ms).
        dt: optional simulation time step (ms): shifts threshold and reset up by
            :math:`\frac{\alpha}{2}\sigma\sqrt{dt/\tau_m}`, :math:`\alpha = \sqrt2|\zeta(1/2)|`,
            the first-order effect of checking the threshold only every dt (Brunel & Hakim
            1999), to compare with a time-stepped simulation. Default: none (dt -> 0).
        panels: Gauss–Legendre panels of the quadrature (8 nodes each).

    Broadcasts over ``mu`` and ``sigma``; differentiable and ``vmap``-able.

    Example:
        >>> float(siegert_rate(15.0, 5.0, tau_m=20.0, V_th=20.0, V_reset=10.0, t_ref=2.0))  # Hz  # doctest: +ELLIPSIS
        9.46...
    """
    for name, val in (("tau_m", tau_m), ("t_ref", t_ref)):
        positive_scalar(name, val, "ms", allow_zero=(name == "t_ref"))
    mu = jnp.asarray(mu, jnp.result_type(float))
    sigma = jnp.asarray(sigma, jnp.result_type(float))
    mu, sigma = jnp.broadcast_arrays(mu, sigma)
    if dt is not None:
        shift = ALPHA / 2 * sigma * jnp.sqrt(dt / tau_m)
        V_th, V_reset = V_th + shift, V_reset + shift
    return _siegert(mu, sigma, tau_m, V_th, V_reset, t_ref, panels)


@partial(jax.jit, static_argnums=6)
def _siegert(mu, sigma, tau_m, V_th, V_reset, t_ref, panels):
    y_th = (V_th - mu) / sigma
    y_r = (V_reset - mu) / sigma
    integral = jax.vmap(lambda a, b: _integral_erfcx(a, b, panels))(y_r.ravel(), y_th.ravel())
    integral = integral.reshape(mu.shape)
    period_ms = t_ref + tau_m * jnp.sqrt(jnp.pi) * integral
    return 1000.0 / period_ms


class Siegert(eqx.Module):
    r"""The Siegert rate as a transfer function of the mean input current,
    :math:`F(I) = \nu_{Siegert}(\mu = E_L + \tau_m I / C_m, \sigma)` (Hz), for use as the
    ``F`` of a rate model of a noisy LIF population.

    Args:
        tau_m: membrane time constant (ms); C_m: capacitance (pF).
        E_L, V_th, V_reset: leak, threshold and reset potentials (mV).
        t_ref: refractory period (ms).
        sigma: noise amplitude in mV (Brunel's convention, see :func:`siegert_rate`).
        dt: optional time step correction (ms), see :func:`siegert_rate`.
        I_e: constant bias current added to the input (pA).

    Example:
        >>> F = Siegert(tau_m=10.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0, sigma=4.0)
        >>> F(jnp.array([300.0, 400.0]))  # doctest: +SKIP
    """

    tau_m: float = 10.0
    C_m: float = 250.0
    E_L: float = -65.0
    V_th: float = -50.0
    V_reset: float = -65.0
    t_ref: float = 2.0
    sigma: float = 2.0
    dt: float | None = None
    I_e: float = 0.0

    def __check_init__(self):
        positive_scalar("tau_m", self.tau_m, "ms")
        positive_scalar("C_m", self.C_m, "pF")
        positive_scalar("sigma", self.sigma, "mV")
        positive_scalar("t_ref", self.t_ref, "ms", allow_zero=True)

    def __call__(self, I):
        mu = self.E_L + self.tau_m * (jnp.asarray(I) + self.I_e) / self.C_m
        return siegert_rate(mu, self.sigma, tau_m=self.tau_m, V_th=self.V_th,
                            V_reset=self.V_reset, t_ref=self.t_ref, dt=self.dt)

    @classmethod
    def from_lif(cls, lif, sigma_current, dt=None):
        """The Siegert transfer of a :class:`neurodyn.neurons.LIF` (its first neuron's
        parameters) with white-noise current of intensity ``sigma_current`` (pA·ms^½, as in
        :func:`neurodyn.inputs.white_noise`); the LIF's ``I_e`` is added to the input."""
        p = lif_parameters(lif)
        sigma_V = voltage_noise(lif, sigma_current)
        return cls(p["tau_m"], p["C_m"], p["E_L"], p["V_th"], p["V_reset"], p["t_ref"],
                   sigma_V, dt, p["I_e"])


def lif_parameters(lif) -> dict:
    """Scalar parameters of a LIF population (the first neuron's when per-neuron)."""
    out = {}
    for name in ("tau_m", "C_m", "E_L", "V_th", "V_reset", "t_ref", "I_e"):
        out[name] = float(np.ravel(np.asarray(getattr(lif, name)))[0])
    return out


def voltage_noise(lif, sigma_current):
    r"""Noise amplitude in mV (Brunel's :math:`\sigma`) of a white-noise current of
    intensity ``sigma_current`` (pA·ms^½) on a LIF: :math:`\sigma_I \sqrt{\tau_m} / C_m`."""
    p = lif_parameters(lif)
    return jnp.asarray(sigma_current) * np.sqrt(p["tau_m"]) / p["C_m"]


def lif_rate(lif, mean, sigma, dt=None):
    r"""Siegert rate (Hz) of a :class:`neurodyn.neurons.LIF` driven by the white-noise current
    :math:`I_e + \mu_I + \sigma_I \xi(t)` (``mean`` in pA, ``sigma`` in pA·ms^½ as in
    :func:`neurodyn.inputs.white_noise`). Broadcasts over ``mean`` and ``sigma``."""
    p = lif_parameters(lif)
    mu_V = p["E_L"] + p["tau_m"] * (p["I_e"] + jnp.asarray(mean)) / p["C_m"]
    return siegert_rate(mu_V, voltage_noise(lif, sigma), tau_m=p["tau_m"], V_th=p["V_th"],
                        V_reset=p["V_reset"], t_ref=p["t_ref"], dt=dt)


def poisson_diffusion(rate, weight, n_sources=1):
    r"""Diffusion approximation of Poisson input (:func:`neurodyn.inputs.poisson`):
    ``n_sources`` trains of ``rate`` Hz, each spike a charge ``weight`` (pA·ms), have mean
    current :math:`\mu_I = K w \nu` (pA) and white-noise intensity
    :math:`\sigma_I = |w| \sqrt{K \nu}` (pA·ms^½), with :math:`\nu` in 1/ms.
    Returns ``(mean, sigma)``."""
    nu = jnp.asarray(rate) * 1e-3 * n_sources
    return weight * nu, jnp.abs(weight) * jnp.sqrt(nu)
