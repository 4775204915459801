"""Plot helpers shared by every chapter.

Each optimizer has one colour (and line style) for the whole book, taken from
the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness. Every helper takes ``ax=None`` (a new figure is made) and
returns the axes it drew on.

pyplot is imported only when a helper has to make a new figure, so that
``import optimlib`` (and drawing into the figures of an explorer) does not
load it.
"""
from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import LogLocator
from matplotlib.transforms import IdentityTransform

__all__ = ["STYLES", "style_of", "use_style", "plot_contours", "contour_segments", "plot_path",
           "plot_loss", "plot_runs"]

#: One colour and line style per optimizer across the whole book, by name (Okabe &
#: Ito, 2008); :func:`style_of` picks an entry by the start of a run's label.
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
    # Okabe-Ito's eight colours are used up; two more from Paul Tol's colour-blind-safe
    # "muted" scheme, far from the vermillion of Adam and from each other.
    "NAdam":    dict(color="#882255", linestyle="-"),
    "AdaMax":   dict(color="#999933", linestyle="-"),
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
    matplotlib.rcParams.update({
        "figure.dpi": 90, "savefig.dpi": 90, "font.size": 11,
        "axes.titlesize": 11, "axes.labelsize": 11, "legend.fontsize": 10,
        "axes.spines.top": False, "axes.spines.right": False,
        "figure.constrained_layout.use": True,
    })


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _new_ax(ax):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(5, 4.2))
    return ax


_GRIDS = {}


def _value_key(value):
    """A hashable key equal for equal values (arrays by their bytes), or None."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (tuple, list)):
        keys = tuple(_value_key(v) for v in value)
        return None if None in keys else (type(value).__name__, keys)
    if value is None or isinstance(value, (bool, int, float, complex, str, np.generic)):
        return (type(value).__name__, value)
    return None


def _landscape_key(landscape):
    """The landscape's defining values: its class, every attribute and its window.

    None when an attribute has no value key (then the grid is not cached).
    """
    items = [("xlim", landscape.xlim), ("ylim", landscape.ylim),
             ("f_min", landscape.f_min), *sorted(vars(landscape).items())]
    keys = tuple((name, _value_key(value)) for name, value in items)
    if any(k is None for _, k in keys):
        return None
    return (type(landscape).__module__, type(landscape).__qualname__, keys)


def _grid(landscape, n):
    key = _landscape_key(landscape)
    if key is None:
        return landscape.grid(n)
    key = (key, n)
    if key not in _GRIDS:
        if len(_GRIDS) > 64:
            _GRIDS.clear()
        _GRIDS[key] = landscape.grid(n)
    return _GRIDS[key]


_SEGMENTS = {}


def contour_segments(landscape, levels, n=100):
    """Contour lines of ``landscape.f`` at ``levels``, as a list of ``(k, 2)`` arrays.

    Computed once per landscape (by value), grid size and levels. An explorer
    draws them with a ``LineCollection`` in every frame, which is far faster
    than calling ``ax.contour`` again.
    """
    import contourpy

    levels = tuple(float(v) for v in np.atleast_1d(levels))
    key = _landscape_key(landscape)
    key = None if key is None else (key, n, levels)
    if key is not None and key in _SEGMENTS:
        return _SEGMENTS[key]
    X, Y, Z = _grid(landscape, n)
    generator = contourpy.contour_generator(X, Y, Z)
    segments = [seg for level in levels for seg in generator.lines(level)]
    if key is not None:
        if len(_SEGMENTS) > 64:
            _SEGMENTS.clear()
        _SEGMENTS[key] = segments
    return segments


def _inside(ax, x, y, inset):
    """Display coordinates of the data point ``(x, y)``, moved inside the axes.

    A point outside (or closer than ``inset`` pixels to the edge) is clamped
    to the axes box shrunk by ``inset``; returns ``(px, py, outside)``.
    """
    with np.errstate(all="ignore"):
        px, py = ax.transData.transform((x, y))
    box = ax.bbox
    lo_x, hi_x = box.x0 + inset, box.x1 - inset
    lo_y, hi_y = box.y0 + inset, box.y1 - inset
    cx = min(max(px, lo_x), hi_x) if np.isfinite(px) else (hi_x if px > 0 else lo_x)
    cy = min(max(py, lo_y), hi_y) if np.isfinite(py) else (hi_y if py > 0 else lo_y)
    lim_x, lim_y = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    outside = not (lim_x[0] <= x <= lim_x[1] and lim_y[0] <= y <= lim_y[1])
    return cx, cy, outside


class _EdgeCross(Line2D):
    """A cross at a data point that stays visible: outside the axes it sits at the edge."""

    def __init__(self, x, y, **style):
        super().__init__([x], [y], linestyle="none", marker="x", **style)
        self.target = (float(x), float(y))
        self.outside = False

    def draw(self, renderer):
        inset = renderer.points_to_pixels(self.get_markersize() / 2 + self.get_markeredgewidth())
        px, py, self.outside = _inside(self.axes, *self.target, inset)
        with np.errstate(all="ignore"):
            x, y = self.axes.transData.inverted().transform((px, py))
        self.set_data([x], [y])
        super().draw(renderer)


class _EdgeLabel(Text):
    """The words next to an :class:`_EdgeCross`, on the side towards the middle of the axes."""

    def __init__(self, x, y, text, gap=7.0, **style):
        super().__init__(0, 0, text, transform=IdentityTransform(), **style)
        self.target, self.gap = (float(x), float(y)), gap

    def draw(self, renderer):
        inset = renderer.points_to_pixels(7.0)
        px, py, _ = _inside(self.axes, *self.target, inset)
        box = self.axes.bbox
        gap = renderer.points_to_pixels(self.gap)
        self.set_horizontalalignment("left")
        self.set_verticalalignment("bottom")
        self.set_position((0, 0))
        extent = self.get_window_extent(renderer)
        width, height = extent.width, extent.height
        # beside the cross on the side with room; else across it, clamped into the box
        if px + gap + width <= box.x1 - 2:
            x = px + gap
        elif px - gap - width >= box.x0 + 2:
            x = px - gap - width
        else:
            x = min(max(px - width / 2, box.x0 + 2), box.x1 - 2 - width)
        top = py > (box.y0 + box.y1) / 2
        y = py - gap - height if top else py + gap
        self.set_position((x, min(max(y, box.y0 + 2), box.y1 - 2 - height)))
        super().draw(renderer)


def _mark_divergence(ax, x, y, step, color, label=True):
    """Cross at the last finite point (kept inside the axes) and, if ``label``, its step."""
    ax.add_line(_EdgeCross(x, y, color=color, markersize=9, markeredgewidth=2.5, zorder=5))
    if label:
        ax.add_artist(_EdgeLabel(x, y, f"diverged at step {step}", color=color,
                                 fontsize=9, zorder=5))


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
    point. A point outside the axes is drawn at their edge instead, so the
    cross is always seen; a single run also gets the words "diverged at
    step k" next to its cross.
    """
    ax = _new_ax(ax)
    st = style_of(result.name)
    st.update(style)
    label = result.name if label is None else label
    paths = result.path.reshape(result.path.shape[0], -1, 2)
    stops = result.diverged_at.reshape(-1)
    single = paths.shape[1] == 1
    for i in range(paths.shape[1]):
        p = paths[:, i]
        ax.plot(p[:, 0], p[:, 1], lw=1.5, marker="o" if markers else None,
                markersize=2.5, label=label if i == 0 else None, **st)
        ax.plot(*p[0], "o", color=st["color"], markersize=6, markeredgecolor="white")
        if stops[i] >= 0:
            last = p[np.isfinite(p).all(axis=1)][-1]
            _mark_divergence(ax, *last, int(stops[i]), st["color"], label=single)
    return ax


def plot_loss(results, ax=None, floor=1e-16):
    """``f(θ_t) - f*`` against the step ``t`` on a log scale, one line per result.

    ``results`` is one result, a list of them or a dict ``{name: result}``.
    Values below ``floor`` are drawn at ``floor``; a diverged run ends with a
    cross at its last finite value, kept inside the axes (at their edge when
    the value is beyond the limits), and a single run also gets the words
    "diverged at step k".
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
        single = len(results) == 1 and gap.shape[1] == 1
        for i in range(gap.shape[1]):
            ax.semilogy(steps, gap[:, i], lw=1.8, label=r.name if i == 0 else None, **st)
            k = int(r.diverged_at.reshape(-1)[i])
            if k >= 0:
                _mark_divergence(ax, k - 1, gap[k - 1, i], k, st["color"], label=single)
    ax.set(xlabel="step $t$", ylabel=r"$f(\theta_t) - f^*$")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.grid(True, which="major", alpha=0.3)
    return ax


def plot_runs(results, landscape, axes=None, legend=True):
    """The standard two-panel view: paths on the contours, and the loss curve.

    ``results`` is a dict ``{name: Result}`` (or a list); returns the two axes.
    """
    if axes is None:
        _, axes = _pyplot().subplots(1, 2, figsize=(10, 4.2))
    items = list(results.values()) if isinstance(results, dict) else list(results)
    plot_contours(landscape, ax=axes[0])
    for r in items:
        plot_path(r, ax=axes[0])
    plot_loss(items, ax=axes[1])
    if legend:
        axes[1].legend(loc="best", frameon=False)
    return axes
