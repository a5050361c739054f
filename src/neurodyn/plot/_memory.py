"""Figures for associative memories: pattern grids, overlaps, energy descent, capacity curves.

Each function takes plain arrays or the memory module's results and returns a
``matplotlib.figure.Figure``; none of them re-runs a model.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure


def pattern_grid(patterns, shape=None, *, ncols: int | None = None, titles=None, row_labels=None,
                 cmap: str = "gray_r", figsize=None) -> Figure:
    """Patterns as small images on a grid.

    Args:
        patterns: ``(K, N)`` (one image per pattern, laid out over ``ncols`` columns) or
            ``(R, K, N)`` (R rows of K images, e.g. cue / recalled / target).
        shape: image shape (default: the most square factorisation of N).
        titles: one title per column; row_labels: one label per row (3-D input).
    """
    p = np.asarray(patterns, float)
    if p.ndim == 2:
        k = p.shape[0]
        ncols = ncols or min(k, 10)
        rows = math.ceil(k / ncols)
        grid = np.full((rows * ncols, p.shape[1]), np.nan)
        grid[:k] = p
        p = grid.reshape(rows, ncols, -1)
    elif p.ndim != 3:
        raise ValueError(f"patterns must have shape (K, N) or (R, K, N), got {p.shape}")
    rows, cols, n = p.shape
    if shape is None:
        h = int(math.isqrt(n))
        while n % h:
            h -= 1
        shape = (h, n // h)
    fig = Figure(figsize=figsize or (1.1 * cols + 0.8, 1.1 * rows + 0.3), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if np.all(np.isnan(p[r, c])):
                ax.axis("off")
                continue
            ax.imshow(p[r, c].reshape(shape), cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
            if titles is not None and r == 0 and c < len(titles):
                ax.set_title(str(titles[c]), fontsize="small")
            if row_labels is not None and c == 0 and r < len(row_labels):
                ax.set_ylabel(str(row_labels[r]), fontsize="small")
    return fig


def _axes(ax, figsize=(5, 3.5)):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def overlap_trajectories(overlaps, t=None, *, labels=None, xlabel: str = "sweep", ax=None, top: int = 5) -> Figure:
    """Overlaps with the stored patterns over time, ``(T, P)``; the ``top`` largest at the end are labelled."""
    m = np.asarray(overlaps, float)
    if m.ndim != 2:
        raise ValueError(f"overlaps must have shape (T, P), got {m.shape}")
    t = np.arange(m.shape[0]) if t is None else np.asarray(t)
    fig, ax = _axes(ax)
    order = np.argsort(-np.abs(m[-1]))
    for j in range(m.shape[1]):
        if j in order[:top]:
            label = labels[j] if labels is not None else f"pattern {j}"
            ax.plot(t, m[:, j], lw=1.5, label=label)
        else:
            ax.plot(t, m[:, j], lw=0.5, color="0.75")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("overlap $m_\\mu$")
    ax.set_ylim(-1.05, 1.05)
    ax.legend(fontsize="small", loc="lower right")
    return fig


def energy_descent(energy, t=None, *, xlabel: str = "sweep", ax=None, labels=None) -> Figure:
    """Energy over sweeps (or time): ``(T,)`` or several runs ``(R, T)``."""
    e = np.atleast_2d(np.asarray(energy, float))
    t = np.arange(e.shape[1]) if t is None else np.asarray(t)
    fig, ax = _axes(ax)
    for i, row in enumerate(e):
        ax.plot(t, row, lw=1.2, marker="o" if e.shape[1] <= 30 else None, ms=3,
                label=None if labels is None else labels[i])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("energy $E$")
    if labels is not None:
        ax.legend(fontsize="small")
    return fig


def capacity_curves(curve, *, ax=None, critical_load: float | None = 0.138) -> Figure:
    """Mean final overlap against load P/N, one line per cue noise (a :class:`~neurodyn.memory.CapacityCurve`).

    ``critical_load`` draws the Amit-Gutfreund-Sompolinsky (1985) value 0.138 (None: omit).
    """
    fig, ax = _axes(ax)
    for j, f in enumerate(np.asarray(curve.noise)):
        ax.errorbar(curve.loads, curve.overlap[:, j], yerr=curve.overlap_std[:, j], marker="o", ms=3,
                    capsize=2, label=f"cue noise {f:.2f}")
    if critical_load is not None:
        ax.axvline(critical_load, color="k", ls="--", lw=0.8, label=f"$\\alpha_c$ = {critical_load}")
    ax.set_xlabel("load $\\alpha = P/N$")
    ax.set_ylabel("mean final overlap")
    ax.set_title(f"N = {curve.n_units}", fontsize="small")
    ax.legend(fontsize="small")
    return fig
