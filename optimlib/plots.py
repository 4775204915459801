"""Plot helpers shared by every chapter.

Each optimizer has one colour (and line style) for the whole book, taken from
the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness. Every helper takes ``ax=None`` (a new figure is made) and
returns the axes it drew on.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import LogLocator

__all__ = ["STYLES", "style_of", "use_style", "plot_contours", "plot_path",
           "plot_loss", "plot_runs"]

# One colour per optimizer across the whole book (Okabe & Ito, 2008).
STYLES = {
    "SGD":      dict(color="#000000", linestyle="-"),
    "Momentum": dict(color="#0072B2", linestyle="-"),
    "Nesterov": dict(color="#56B4E9", linestyle="--"),
    "AdaGrad":  dict(color="#009E73", linestyle="-"),
    "RMSProp":  dict(color="#E69F00", linestyle="-"),
    "Adadelta": dict(color="#CC79A7", linestyle="-."),
    "Adam":     dict(color="#D55E00", linestyle="-"),
    "AdamW":    dict(color="#D55E00", linestyle="--"),
    "AMSGrad":  dict(color="#D55E00", linestyle=":"),
}


def style_of(name):
    """Colour and line style for an optimizer (by name, or an optimizer object).

    A name that starts with a known optimizer's name ("SGD, η = 0.1") gets
    that optimizer's style; anything else is drawn in grey.
    """
    if not isinstance(name, str):
        name = type(name).__name__
    for key in sorted(STYLES, key=len, reverse=True):
        if name.startswith(key):
            return dict(STYLES[key])
    return dict(color="#7f7f7f", linestyle="-")


def use_style():
    """Font sizes and resolution used for the figures of the book."""
    plt.rcParams.update({
        "figure.dpi": 90, "savefig.dpi": 90, "font.size": 11,
        "axes.titlesize": 11, "axes.labelsize": 11, "legend.fontsize": 10,
        "axes.spines.top": False, "axes.spines.right": False,
        "figure.constrained_layout.use": True,
    })


def _new_ax(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2))
    return ax


_GRIDS = {}


def _grid(landscape, n):
    key = (repr(landscape), n)
    if key not in _GRIDS:
        if len(_GRIDS) > 64:
            _GRIDS.clear()
        _GRIDS[key] = landscape.grid(n)
    return _GRIDS[key]


def plot_contours(landscape, ax=None, levels=14, n=100):
    """Contours of ``f - f*`` on log-spaced levels, minima marked with stars."""
    ax = _new_ax(ax)
    X, Y, Z = _grid(landscape, n)
    gap = Z - landscape.f_min
    hi = float(np.max(gap))
    lo = max(float(np.percentile(gap, 0.5)), hi * 1e-8, 1e-12)
    ax.contour(X, Y, np.maximum(gap, lo), levels=np.geomspace(lo, hi, levels),
               cmap="Greys", norm=LogNorm(lo / 10, hi), linewidths=0.8)
    ax.plot(*landscape.minima.T, "*", color="#4d4d4d", markersize=11,
            markeredgecolor="white", zorder=5, label="_minimum")
    ax.set(xlim=landscape.xlim, ylim=landscape.ylim, xlabel="$x$", ylabel="$y$")
    ax.set_aspect("equal", adjustable="box")
    return ax


def plot_path(result, ax=None, label=None, markers=True, **style):
    """Trajectory of a :class:`~optimlib.run.Result` (every run of a batch).

    The start is a circle; a diverged run ends with a cross at its last finite
    point.
    """
    ax = _new_ax(ax)
    st = style_of(result.name)
    st.update(style)
    label = result.name if label is None else label
    paths = result.path.reshape(result.path.shape[0], -1, 2)
    stops = result.diverged_at.reshape(-1)
    for i in range(paths.shape[1]):
        p = paths[:, i]
        ax.plot(p[:, 0], p[:, 1], lw=1.5, marker="o" if markers else None,
                markersize=2.5, label=label if i == 0 else None, **st)
        ax.plot(*p[0], "o", color=st["color"], markersize=6, markeredgecolor="white")
        if stops[i] >= 0:
            last = p[np.isfinite(p).all(axis=1)][-1]
            ax.plot(*last, "x", color=st["color"], markersize=9, mew=2.5)
    return ax


def plot_loss(results, ax=None, floor=1e-16):
    """``f(θ_t) - f*`` against the step ``t`` on a log scale, one line per result.

    ``results`` is one result, a list of them or a dict ``{name: result}``.
    Values below ``floor`` are drawn at ``floor``; a diverged run ends with a
    cross at the step it was stopped.
    """
    ax = _new_ax(ax)
    if isinstance(results, dict):
        results = list(results.values())
    elif not isinstance(results, (list, tuple)):
        results = [results]
    for r in results:
        st = style_of(r.name)
        gap = np.maximum(r.gap.reshape(r.gap.shape[0], -1), floor)
        steps = np.arange(gap.shape[0])
        for i in range(gap.shape[1]):
            ax.semilogy(steps, gap[:, i], lw=1.8, label=r.name if i == 0 else None, **st)
            k = int(r.diverged_at.reshape(-1)[i])
            if k >= 0:
                ax.semilogy(k - 1, gap[k - 1, i], "x", color=st["color"], markersize=9, mew=2.5)
    ax.set(xlabel="step $t$", ylabel=r"$f(\theta_t) - f^*$")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.grid(True, which="major", alpha=0.3)
    return ax


def plot_runs(results, landscape, axes=None, legend=True):
    """The standard two-panel view: paths on the contours, and the loss curve.

    ``results`` is a dict ``{name: Result}`` (or a list); returns the two axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    items = list(results.values()) if isinstance(results, dict) else list(results)
    plot_contours(landscape, ax=axes[0])
    for r in items:
        plot_path(r, ax=axes[0])
    plot_loss(items, ax=axes[1])
    if legend:
        axes[1].legend(loc="best", frameon=False)
    return axes
