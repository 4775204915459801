"""The registry of explorers: each chapter's draw function with the ranges of its controls.

A chapter registers its explorer once, next to the draw function::

    @register("gd_quadratic", chapter="01_gradient_descent",
              eta=("learning rate η", 1.0, 0.01, 2.3, 0.01),
              kappa=("condition number κ", 10.0, 1.0, 100.0, 0.05, True))
    def gd_quadratic(axes, eta, kappa): ...

and the notebook shows it with ``ol.explore("gd_quadratic")``. The tests (and
later fuzzers) drive every registered explorer from the same description:
its defaults, the corners of its ranges and random settings on the sliders'
grids, and :func:`compare_fast_and_full` checks that a fast (blitted) frame
is the picture a full redraw gives.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

__all__ = ["Control", "Choice", "ExplorerSpec", "EXPLORERS", "register", "random_settings",
           "corner_settings", "compare_fast_and_full", "FrameComparison"]


class Control(NamedTuple):
    """One slider: ``(label, default, low, high, step, log)``.

    For a linear slider the values are ``low, low + step, ..., high``. For a
    logarithmic one (``log=True``) ``low`` and ``high`` are still values (not
    exponents) and ``step`` is in decades: the values are
    ``10**(log10(low) + k * step)``.
    """

    label: str
    default: float
    low: float
    high: float
    step: float
    log: bool = False

    def check(self, name):
        if not (self.low <= self.default <= self.high and self.step > 0):
            raise ValueError(f"Invalid control {name!r}: {tuple(self)} (need low <= default "
                             "<= high and step > 0)")
        if self.log and not self.low > 0:
            raise ValueError(f"Invalid control {name!r}: low = {self.low!r} (a log slider "
                             "needs low > 0)")

    def widget(self):
        from ..widgets import log_slider, slider

        if self.log:
            return log_slider(self.label, self.default, math.log10(self.low),
                              math.log10(self.high), self.step)
        return slider(self.label, self.default, self.low, self.high, self.step)

    def snap(self, value):
        """The slider value nearest to ``value`` (on the slider's grid, inside its range)."""
        if self.log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            k = round((min(max(math.log10(value), lo), hi) - lo) / self.step)
            return float(min(10 ** round(lo + k * self.step, 10), self.high))
        k = round((min(max(value, self.low), self.high) - self.low) / self.step)
        return float(min(round(self.low + k * self.step, 10), self.high))

    def uniform(self, rng):
        """A random value on the slider's grid (uniform in the exponent for a log slider)."""
        if self.log:
            return self.snap(10 ** rng.uniform(math.log10(self.low), math.log10(self.high)))
        return self.snap(rng.uniform(self.low, self.high))

    def contains(self, value):
        """Whether ``value`` is one of the slider's values (inside the range, on the grid)."""
        return self.low <= value <= self.high and self.snap(value) == value


class Choice(NamedTuple):
    """A dropdown ``(label, default, options)``, or a checkbox when the options are
    ``(False, True)``.

    The value passed to the draw function is the chosen option itself (a str for a
    dropdown, a bool for a checkbox). For the fuzz and the corners, ``low`` and
    ``high`` are the first and the last option.
    """

    label: str
    default: object
    options: tuple

    @property
    def low(self):
        return self.options[0]

    @property
    def high(self):
        return self.options[-1]

    @property
    def is_checkbox(self):
        return self.options == (False, True)

    def check(self, name):
        kinds = {type(o) for o in self.options}
        if len(self.options) < 2 or len(set(self.options)) != len(self.options) or \
                not (kinds == {str} or kinds == {bool}):
            raise ValueError(f"Invalid choice {name!r}: options {self.options!r} (need two "
                             "or more different str, or (False, True) for a checkbox)")
        if self.default not in self.options:
            raise ValueError(f"Invalid choice {name!r}: default {self.default!r} is not one "
                             f"of {self.options!r}")

    def widget(self):
        import ipywidgets as widgets

        if self.is_checkbox:
            return widgets.Checkbox(value=self.default, description=self.label, indent=False,
                                    layout=widgets.Layout(width="300px"))
        return widgets.Dropdown(value=self.default, options=list(self.options),
                                description=self.label, style={"description_width": "initial"},
                                layout=widgets.Layout(width="300px"))

    def snap(self, value):
        """``value`` itself if it is an option (a dropdown has no grid to snap to)."""
        if value not in self.options:
            raise ValueError(f"{value!r} is not one of the options {self.options!r}")
        return value

    def uniform(self, rng):
        """One of the options, each as likely."""
        return self.options[int(rng.integers(len(self.options)))]

    def contains(self, value):
        """Whether ``value`` is one of the options (of the same type: 1 is not True)."""
        return any(type(value) is type(o) and value == o for o in self.options)


def _control(key, c):
    """A :class:`Control` or :class:`Choice` from its tuple form."""
    if isinstance(c, (Control, Choice)):
        return c
    c = tuple(c)
    if len(c) == 2 and isinstance(c[1], bool):
        return Choice(c[0], c[1], (False, True))
    if len(c) == 3 and isinstance(c[2], (tuple, list)):
        return Choice(c[0], c[1], tuple(c[2]))
    if len(c) in (5, 6):
        return Control(*c)
    raise ValueError(f"Invalid control {key!r}: {c!r} (need (label, default, low, high, "
                     "step[, log]), (label, default, options) or (label, True/False))")


@dataclass
class ExplorerSpec:
    """Everything needed to build, test and fuzz one explorer.

    ``draw(axes, **values) -> str`` is the plain function; ``controls`` maps
    each of its keywords to a :class:`Control`; ``flipbook`` is
    ``(keyword, values)`` for the static website (frames at these values of
    that control, the others at their defaults).
    """

    name: str
    draw: Callable
    controls: dict
    ncols: int = 2
    figsize: tuple = (9, 3.6)
    dpi: int = 85
    flipbook: tuple | None = None
    chapter: str | None = None

    def defaults(self):
        """``{keyword: default value}`` of every control."""
        return {k: c.default for k, c in self.controls.items()}

    def build(self, **values):
        """The ipywidgets :class:`~optimlib.widgets.Explorer`, its sliders at ``values``
        (defaults for the ones not given)."""
        from ..widgets import Explorer

        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"explorer {self.name!r} has no control {unknown[0]!r} "
                             f"(controls: {sorted(self.controls)})")
        widgets = {}
        for key, control in self.controls.items():
            w = control.widget()
            if key in values:
                w.value = values[key]
            widgets[key] = w
        return Explorer(self.draw, widgets, ncols=self.ncols, figsize=self.figsize,
                        dpi=self.dpi, flipbook=self.flipbook)


#: Every registered explorer by name; :func:`register` adds to it, and
#: ``ol.explore(name)`` builds one.
EXPLORERS: dict[str, ExplorerSpec] = {}


def register(name, draw=None, *, ncols=2, figsize=(9, 3.6), dpi=85, flipbook=None,
             chapter=None, **controls):
    """Register ``draw`` as explorer ``name``; usable as a decorator.

    Each keyword of ``controls`` is a :class:`Control` or the tuple
    ``(label, default, low, high, step[, log])`` (a slider), a :class:`Choice` or
    ``(label, default, options)`` (a dropdown over str options), or
    ``(label, True)`` / ``(label, False)`` (a checkbox). Returns ``draw`` unchanged.
    """
    def add(function):
        if name in EXPLORERS and EXPLORERS[name].draw is not function:
            raise ValueError(f"explorer {name!r} is already registered "
                             f"(by {EXPLORERS[name].draw.__qualname__})")
        spec_controls = {}
        for key, c in controls.items():
            c = _control(key, c)
            c.check(key)
            spec_controls[key] = c
        book = None
        if flipbook is not None:
            if flipbook[0] not in spec_controls:
                raise ValueError(f"flipbook control {flipbook[0]!r} is not one of "
                                 f"{sorted(spec_controls)}")
            control = spec_controls[flipbook[0]]
            if isinstance(control, Choice):
                values = list(flipbook[1])
            else:
                values = [float(v) for v in flipbook[1]]
            for v in values:
                if not control.contains(v) and not (isinstance(control, Control)
                                                    and control.low <= v <= control.high):
                    raise ValueError(f"flipbook value {v!r} is not a value of control "
                                     f"{flipbook[0]!r}")
            book = (flipbook[0], values)
        EXPLORERS[name] = ExplorerSpec(name, function, spec_controls, ncols=ncols,
                                       figsize=tuple(figsize), dpi=dpi, flipbook=book,
                                       chapter=chapter)
        return function

    return add if draw is None else add(draw)


def _spec(spec):
    if isinstance(spec, str):
        if spec not in EXPLORERS:
            raise ValueError(f"Unknown explorer: {spec!r} (registered: {sorted(EXPLORERS)})")
        return EXPLORERS[spec]
    return spec


def random_settings(spec, n, rng):
    """``n`` dicts of control values drawn at random on the sliders' grids (and among
    the options of dropdowns and checkboxes)."""
    spec = _spec(spec)
    return [{k: c.uniform(rng) for k, c in spec.controls.items()} for _ in range(n)]


def corner_settings(spec):
    """The defaults with one control at a time moved to its lowest and its highest value,
    then every control at its lowest and every control at its highest."""
    spec = _spec(spec)
    base = spec.defaults()
    out = []
    for k, c in spec.controls.items():
        out += [{**base, k: c.low}, {**base, k: c.high}]
    out.append({k: c.low for k, c in spec.controls.items()})
    out.append({k: c.high for k, c in spec.controls.items()})
    return out


class FrameComparison(NamedTuple):
    """A fast frame against a full redraw of the same values."""

    fast: bytes         # PNG after moving the sliders from ``start`` (blitted if possible)
    full: bytes         # PNG of an ordinary full draw of a fresh explorer at the values
    blitted: bool       # whether the fast frame really took the fast path
    differing: int      # number of pixels that differ
    fast_message: str
    full_message: str

    @property
    def equal(self):
        """Same pixels and same status line."""
        return self.differing == 0 and self.fast_message == self.full_message


def _pixels(png):
    import PIL.Image

    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA"))


def compare_fast_and_full(spec, values, start=None):
    """Render ``values`` twice: with an ordinary full ``canvas.draw()`` of a fresh
    explorer built at ``values``, and in an explorer built at ``start`` (default:
    the defaults) whose sliders are then moved to ``values`` (the fast path when
    the background allows). Returns a :class:`FrameComparison`."""
    spec = _spec(spec)
    fresh = spec.build(**values)
    full = fresh._picture.full_png()
    moved = spec.build(**(spec.defaults() if start is None else start))
    moved.set_values(values)
    a, b = _pixels(moved.png), _pixels(full)
    if a.shape != b.shape:
        differing = max(a.size, b.size) // 4
    else:
        differing = int(np.any(a != b, axis=-1).sum())
    return FrameComparison(moved.png, full, moved.blitted, differing, moved.message,
                           fresh.message)
