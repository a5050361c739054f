"""Figures for rate networks and dynamical-systems analysis.

Each function draws into ``ax`` when given (and returns its figure), otherwise makes a new
:class:`matplotlib.figure.Figure` (no pyplot state) and returns it. Nothing here runs a
model: pass a ``Result``, arrays, or the objects returned by
:mod:`neurodyn.analysis.dynamics`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

_STABLE_COLOR = "tab:blue"
_UNSTABLE_COLOR = "tab:red"


def _axes(ax, figsize=(6.0, 4.0)):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def rate_traces(result_or_t, r=None, *, name: str = "r", units=None, labels=None, ax=None,
                ylabel: str = "rate (Hz)", title: str | None = None, max_traces: int = 20):
    """Rates against time.

    Args:
        result_or_t: a ``Result`` (its ``t`` and ``traces[name]`` are used) or times (ms).
        r: ``(T, n)`` rates when times are given.
        units: indices of the units to show (default: the first ``max_traces``).
        labels: one label per shown unit.
    """
    if r is None:
        t = np.asarray(result_or_t.t)
        r = np.asarray(result_or_t.traces[name])
    else:
        t = np.asarray(result_or_t)
        r = np.asarray(r)
    if r.ndim == 1:
        r = r[:, None]
    units = np.arange(min(r.shape[1], max_traces)) if units is None else np.asarray(units)
    fig, ax = _axes(ax)
    for k, i in enumerate(units):
        ax.plot(t, r[:, i], lw=1.2, label=None if labels is None else labels[k])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    if labels is not None:
        ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


def eigenvalue_spectrum(eigenvalues, *, unit_line: bool = True, radius: float | None = None,
                        ax=None, title: str | None = None, color="k", s: float = 12.0):
    r"""Eigenvalues in the complex plane, with the line :math:`\mathrm{Re}\,\lambda = 1`
    (the stability boundary of :math:`\tau \dot r = -r + W r`) and, optionally, the
    circle of radius ``radius`` predicted by the circular law."""
    lam = np.asarray(eigenvalues, complex).ravel()
    fig, ax = _axes(ax, (4.8, 4.4))
    ax.scatter(lam.real, lam.imag, s=s, color=color, alpha=0.7, lw=0)
    if unit_line:
        ax.axvline(1.0, color=_UNSTABLE_COLOR, ls="--", lw=1, label=r"Re $\lambda$ = 1")
    if radius is not None:
        th = np.linspace(0, 2 * np.pi, 400)
        ax.plot(radius * np.cos(th), radius * np.sin(th), color="tab:gray", lw=1,
                label=f"radius {radius:g}")
    ax.axhline(0, color="0.8", lw=0.5, zorder=0)
    ax.axvline(0, color="0.8", lw=0.5, zorder=0)
    ax.set_xlabel(r"Re $\lambda$")
    ax.set_ylabel(r"Im $\lambda$")
    ax.set_aspect("equal", adjustable="datalim")
    if unit_line or radius is not None:
        ax.legend(frameon=False, loc="upper left")
    if title:
        ax.set_title(title)
    return fig


def phase_portrait(portrait, *, ax=None, title: str | None = None, streamlines: bool = False):
    """Draw a :class:`neurodyn.analysis.dynamics.PhasePortrait`: vector field (arrows or
    streamlines), the two nullclines, trajectories, and fixed points (filled: stable,
    open: unstable)."""
    p = portrait
    fig, ax = _axes(ax, (5.0, 4.6))
    if streamlines:
        ax.streamplot(p.X, p.Y, p.U, p.V, color="0.7", density=1.0, linewidth=0.6)
    else:
        norm = np.hypot(p.U, p.V)
        norm = np.where(norm > 0, norm, 1.0)
        ax.quiver(p.X, p.Y, p.U / norm, p.V / norm, color="0.65", angles="xy", pivot="mid",
                  scale=30, width=0.003)
    for k, seg in enumerate(p.x_nullcline):
        ax.plot(seg[:, 0], seg[:, 1], color="tab:orange", lw=1.8,
                label=rf"$\dot{{{p.labels[0]}}} = 0$" if k == 0 else None)
    for k, seg in enumerate(p.y_nullcline):
        ax.plot(seg[:, 0], seg[:, 1], color="tab:green", lw=1.8,
                label=rf"$\dot{{{p.labels[1]}}} = 0$" if k == 0 else None)
    if p.trajectories is not None:
        for tr in np.asarray(p.trajectories):
            ax.plot(tr[:, 0], tr[:, 1], color="k", lw=0.9)
            ax.plot(tr[0, 0], tr[0, 1], "o", color="k", ms=2.5)
    if p.fixed_points is not None:
        for pt, st, lab in zip(p.fixed_points.points, p.fixed_points.stable, p.fixed_points.labels):
            ax.plot(pt[0], pt[1], "o", ms=8, mec="k",
                    mfc=_STABLE_COLOR if st else "white", zorder=5)
            ax.annotate(lab, (pt[0], pt[1]), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_xlim(*p.xlim)
    ax.set_ylim(*p.ylim)
    ax.set_xlabel(p.labels[0])
    ax.set_ylabel(p.labels[1])
    ax.legend(frameon=False, loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def bifurcation_diagram(branches, *, component: int = 0, ax=None, xlabel: str = "parameter",
                        ylabel: str | None = None, title: str | None = None):
    """Fixed points against the parameter for one or more
    :class:`neurodyn.analysis.dynamics.Branch`: stable parts solid, unstable dashed,
    folds (squares), Hopf points (diamonds) and branch points (triangles) marked."""
    if not isinstance(branches, (list, tuple)):
        branches = [branches]
    fig, ax = _axes(ax)
    markers = {"fold": "s", "hopf": "D", "branch point": "^"}
    seen = set()
    for br in branches:
        p, x, st = np.asarray(br.p), np.asarray(br.x)[:, component], np.asarray(br.stable)
        # split into runs of equal stability, overlapping by one point so lines join
        start = 0
        for k in range(1, len(p) + 1):
            if k == len(p) or st[k] != st[start]:
                seg = slice(start, min(k + 1, len(p)))
                lab = "stable" if st[start] else "unstable"
                ax.plot(p[seg], x[seg], color=_STABLE_COLOR if st[start] else _UNSTABLE_COLOR,
                        ls="-" if st[start] else "--", lw=1.8, label=None if lab in seen else lab)
                seen.add(lab)
                start = k
        for b in br.bifurcations:
            ax.plot(b.p, b.x[component], markers.get(b.kind, "o"), color="k", ms=7,
                    label=None if b.kind in seen else b.kind)
            seen.add(b.kind)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or f"fixed point x[{component}]")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig
