"""A thin ipywidgets layer over plain drawing functions.

``explore(draw, controls)`` shows sliders above a figure. ``draw(axes,
**values)`` is an ordinary function that draws on matplotlib axes and returns
a one-line message (for instance "diverged at step 12"); the same function
draws the static figures of the chapters and is what the tests call.

The figure is kept between redraws and rendered to PNG with Agg into an
``Image`` widget, which keeps a redraw well under 0.1 s. On the static
website, where no Python runs behind the sliders, the book shows the
snapshot that :class:`Explorer` also provides as HTML.
"""
from __future__ import annotations

import base64
import html
import io
import json
import re
import time

import ipywidgets as widgets
import PIL.Image
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.spines import Spine
from matplotlib.text import Text

__all__ = ["Explorer", "explore", "slider", "log_slider", "is_alarm"]

SNAPSHOT_NOTE = ("Snapshot at the default slider values. Run this notebook "
                 "(Binder, Colab or Jupyter; see the rocket icon above) to drag the sliders.")
FLIPBOOK_NOTE = ("On this page the slider steps through frames computed when the book was "
                 "built; to move the other sliders, run this notebook (Binder, Colab or "
                 "Jupyter; see the rocket icon above).")


def slider(label, value, low, high, step):
    """A labelled float slider."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step,
                               description=label, continuous_update=True,
                               style={"description_width": "initial"},
                               layout=widgets.Layout(width="300px"))


def log_slider(label, value, low_exp, high_exp, step=0.05):
    """A labelled slider over ``10**low_exp .. 10**high_exp`` on a log scale."""
    return widgets.FloatLogSlider(value=value, base=10, min=low_exp, max=high_exp,
                                  step=step, description=label, continuous_update=True,
                                  style={"description_width": "initial"},
                                  layout=widgets.Layout(width="300px"))


def _artists(ax):
    """What a draw function put on the axes (everything but the axes themselves)."""
    found = [*ax.lines, *ax.collections, *ax.texts, *ax.patches, *ax.images, *ax.artists]
    if ax.get_legend() is not None:
        found.append(ax.get_legend())
    return found


def _empty(ax):
    """Remove what was drawn but keep the axes and their ticks (clear() is slow)."""
    for artist in _artists(ax):
        artist.remove()
    ax.set_prop_cycle(None)
    for loc in ("left", "center", "right"):
        if ax.get_title(loc):
            ax.set_title("", loc=loc)


_DIVERGED = re.compile(r"\bdiverged at step\b|\b[1-9]\d* of \d+ runs diverged\b")


def is_alarm(message):
    """True when ``message`` says that a run diverged ("diverged at step k", or
    "k of n runs diverged" with k > 0); only then is the status line red."""
    return bool(_DIVERGED.search(message))


def _text_key(t, position=True):
    # an axis label's position is laid out during the draw, from the keyed ticks
    where = tuple(t.get_position()) if position else None
    return ("text", id(t), t.get_visible(), t.get_text(), where,
            t.get_fontsize(), str(t.get_color()), t.get_ha(), t.get_va(), t.get_rotation(),
            str(t.get_fontweight()), tuple(t.get_fontfamily()), t.get_alpha())


def _axis_key(axis):
    """Ticks, tick labels, tick and grid styles, the axis label and offset."""
    major_locs, minor_locs = axis.get_majorticklocs(), axis.get_minorticklocs()
    major = tuple(axis.major.formatter.format_ticks(major_locs))
    minor = tuple(axis.minor.formatter.format_ticks(minor_locs))
    params = tuple(repr(sorted(axis.get_tick_params(which=w).items()))
                   for w in ("major", "minor"))
    grid = tuple(line.get_visible() for line in axis.get_gridlines())
    return ("axis", id(axis), axis.get_visible(), axis.get_scale(), tuple(major_locs),
            tuple(minor_locs), major, minor, params, repr(sorted(axis._major_tick_kw.items())),
            repr(sorted(axis._minor_tick_kw.items())), grid, _text_key(axis.label, False),
            _text_key(axis.get_offset_text(), False), axis.get_label_position(),
            axis.get_ticks_position())


def _fingerprint(artist):
    """What of a background artist decides its pixels (identity for unknown kinds)."""
    if isinstance(artist, Axis):
        return _axis_key(artist)
    if isinstance(artist, Spine):
        return ("spine", id(artist), artist.get_visible(), str(artist.get_edgecolor()),
                artist.get_linewidth(), artist.get_linestyle(), repr(artist.get_bounds()),
                repr(artist.get_position()), artist.get_alpha())
    if isinstance(artist, Text):
        return _text_key(artist)
    return (type(artist).__name__, id(artist), artist.get_visible(), artist.zorder)


class _Picture:
    """One row of axes that a draw function paints, rendered to PNG with Agg.

    Each axes is split, in its own drawing order (by zorder), into a
    *background* (what comes before the first artist the draw function added)
    and a *foreground* (that artist and everything after it, the ticks or
    spines included when they lie on top). The background is rendered once
    and kept with a key of everything that decides its pixels; while the key
    is unchanged only the foreground is drawn onto a copy of it (blitting), in
    the order a full draw would use, so the fast frame is the full picture.
    """

    def __init__(self, ncols, figsize, dpi):
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="none")
        FigureCanvasAgg(self.fig)
        self.axes = list(self.fig.subplots(1, ncols, squeeze=False)[0])
        self.fig.subplots_adjust(left=0.08, right=0.97, bottom=0.15, top=0.95, wspace=0.28)
        self._own = {id(a) for a in self._figure_artists()}
        self._background = None
        self.background_key = None
        self.blitted = False
        self.png = b""

    def _figure_artists(self):
        f = self.fig
        return [*f.texts, *f.lines, *f.patches, *f.images, *f.legends, *f.artists]

    def clear(self):
        """Remove what the last draw added: axes artists, figure texts, extra axes."""
        for ax in self.axes:
            _empty(ax)
        for artist in self._figure_artists():
            if id(artist) not in self._own:
                artist.remove()
                for attr in ("_suptitle", "_supxlabel", "_supylabel"):
                    if getattr(self.fig, attr, None) is artist:
                        setattr(self.fig, attr, None)
        for ax in list(self.fig.axes):
            if all(ax is not own for own in self.axes):
                ax.remove()

    def show(self, draw, values):
        """Clear, call ``draw(axes, **values)``, render; returns draw's message."""
        self.clear()
        message = draw(self.axes, **values) or ""
        for ax in self.axes:
            if ax.get_autoscalex_on() or ax.get_autoscaley_on():
                ax.relim()
                ax.autoscale_view()
        self.png = self.render()
        return str(message)

    def _split(self, ax):
        children = ax.get_children()
        children.remove(ax.patch)
        if not (ax.axison and ax.get_frame_on()):
            children = [c for c in children if not isinstance(c, Spine)]
        if not ax.axison:
            children = [c for c in children if not isinstance(c, Axis)]
        order = sorted((c for c in children if not c.get_animated()),
                       key=lambda c: c.zorder)
        drawn = {id(a) for a in _artists(ax)}
        first = next((i for i, c in enumerate(order) if id(c) in drawn), len(order))
        return order[:first], order[first:]

    def _key(self, plan):
        fig = self.fig
        sp = fig.subplotpars
        parts = [tuple(fig.get_size_inches()), fig.dpi, str(fig.get_facecolor()),
                 (sp.left, sp.right, sp.bottom, sp.top, sp.wspace, sp.hspace), len(fig.axes)]
        for ax, (back, front) in zip(self.axes, plan):
            parts.append((ax.get_visible(), tuple(ax.get_position(original=True).bounds),
                          ax.get_xlim(),
                          ax.get_ylim(), ax.get_xscale(), ax.get_yscale(), ax.get_aspect(),
                          ax.get_adjustable(), repr(ax.get_anchor()), ax.axison,
                          ax.get_frame_on(), str(ax.get_facecolor()),
                          tuple(_fingerprint(a) for a in back)))
        return tuple(parts)

    def render(self):
        """PNG of the figure: the kept background plus the foreground, or a full draw
        when the background key changed."""
        canvas = self.fig.canvas
        plan = [self._split(ax) for ax in self.axes]
        on_top = [a for a in self._figure_artists() if a.get_visible()]
        key = self._key(plan)
        self.blitted = key == self.background_key and self._background is not None
        if not self.blitted:
            hidden = [a for _, front in plan for a in front if a.get_visible()] + on_top
            for artist in hidden:
                artist.set_visible(False)
            try:
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
            finally:
                for artist in hidden:
                    artist.set_visible(True)
            self.background_key = key
        canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for _, front in plan:
            for artist in front:
                if artist.get_visible():
                    artist.draw(renderer)
        for artist in on_top:
            artist.draw(renderer)
        return _png(canvas)

    def full_png(self):
        """PNG of an ordinary full ``canvas.draw()`` of the current state (for checks)."""
        self.fig.canvas.draw()
        return _png(self.fig.canvas)


def _png(canvas):
    image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(),
                                 canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


class Explorer:
    """Sliders, a status line and a figure redrawn by ``draw(axes, **values)``.

    Parameters
    ----------
    draw : callable
        ``draw(axes, **values) -> str``; the string is the message shown (the
        line turns red only when it says a run diverged, see :func:`is_alarm`).
    controls : dict
        ``{keyword: widget}``; each widget's ``value`` is passed to ``draw``
        under that keyword.
    ncols, figsize, dpi : int, tuple, int
        Layout of the figure (one row of ``ncols`` axes).
    flipbook : tuple or None
        ``(keyword, values)``: the static page then gets a slider of its own
        that steps through frames precomputed at these values of that control
        (the others at their values when the explorer was built), so readers
        of the website can still drag the most important parameter. The
        frames are drawn once, in a figure of their own: the live sliders and
        figure do not move.
    """

    def __init__(self, draw, controls, ncols=2, figsize=(9, 3.6), dpi=85, flipbook=None):
        if flipbook is not None and flipbook[0] not in controls:
            raise ValueError(f"flipbook control {flipbook[0]!r} is not one of {sorted(controls)}")
        self.flipbook = flipbook
        self.draw = draw
        self.controls = dict(controls)
        self._layout = (ncols, figsize, dpi)
        self._picture = _Picture(ncols, figsize, dpi)
        self.fig, self.axes = self._picture.fig, self._picture.axes
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.last_seconds = None
        self._holding = False
        self._frames = {}
        self._offscreen = None
        self.initial_values = self.values()
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.GridBox(list(self.controls.values()),
                            layout=widgets.Layout(grid_template_columns="repeat(2, 320px)")),
            self.status, self.image])
        self.redraw()

    @property
    def _background_key(self):
        return self._picture.background_key

    @_background_key.setter
    def _background_key(self, key):
        self._picture.background_key = key

    @property
    def blitted(self):
        """Whether the last frame took the fast path (only the artists were drawn)."""
        return self._picture.blitted

    def values(self):
        return {name: w.value for name, w in self.controls.items()}

    def set_values(self, values):
        """Move several sliders at once and redraw once; returns seconds taken."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"no control {unknown[0]!r} (controls: {sorted(self.controls)})")
        self._holding = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._holding = False
        return self.redraw()

    def redraw(self):
        """Clear the axes, call ``draw`` and show the new PNG; returns seconds taken.

        When nothing that decides the background (limits, scales, ticks, grid,
        labels, titles below the artists, figure layout, ...) changed since the
        last redraw, only the artists are drawn again (blitting). A draw
        function that fixes its axis limits therefore redraws fastest.
        """
        t0 = time.perf_counter()
        message = self._picture.show(self.draw, self.values())
        self.png = self._picture.png
        self.image.value = self.png
        self._say(message, alarm=is_alarm(message))
        self.last_seconds = time.perf_counter() - t0
        return self.last_seconds

    def _on_change(self, change):
        if self._holding:
            return
        # A slider callback has no cell to print a traceback into: say what went wrong
        # in the status line instead of failing quietly.
        try:
            self.redraw()
        except Exception as error:  # noqa: BLE001 - shown to the reader, not swallowed
            self._say(f"{type(error).__name__}: {error}", alarm=True)

    def _say(self, message, alarm=False):
        self.message = message
        colour = "#B00020" if alarm else "#222"
        self.status.value = f'<span style="color:{colour}">{html.escape(message)}</span>'

    def frames(self, name, values):
        """``(value, message, png)`` for each value of control ``name``, the other controls
        at their initial values.

        Drawn once per explorer (later calls return the same frames) in an
        off-screen figure of their own: the sliders and the live figure stay as
        they are.
        """
        if name not in self.controls:
            raise ValueError(f"flipbook control {name!r} is not one of {sorted(self.controls)}")
        key = (name, tuple(values))
        if key not in self._frames:
            if self._offscreen is None:
                self._offscreen = _Picture(*self._layout)
            out = []
            for value in values:
                message = self._offscreen.show(self.draw, {**self.initial_values, name: value})
                out.append((value, message, _compact_png(self._offscreen.png)))
            self._frames[key] = out
        return list(self._frames[key])

    def flipbook_html(self, name, values):
        """A figure whose own HTML slider steps through precomputed frames (no Python needed)."""
        frames = self.frames(name, values)
        control = self.controls[name]
        first = self.initial_values[name]
        if isinstance(first, (str, bool)):  # a dropdown or a checkbox
            matches = [i for i, f in enumerate(frames) if f[0] == first]
            start = matches[0] if matches else 0
        else:
            start = min(range(len(frames)), key=lambda i: abs(frames[i][0] - first))
        payload = json.dumps([[_frame_label(v), m, base64.b64encode(png).decode("ascii")]
                              for v, m, png in frames]).replace("</", "<\\/")
        v0, m0, png0 = frames[start]
        label = html.escape(control.description)
        return (f'<figure class="optimlib-flipbook">'
                f'<label style="font-size:0.9em">{label} '
                f'<input type="range" min="0" max="{len(frames) - 1}" step="1" value="{start}" '
                f'aria-label="{label}" style="width:260px;vertical-align:middle"> '
                f'<output>{html.escape(_frame_label(v0))}</output></label>'
                f'<figcaption><b class="fb-message">{html.escape(m0)}</b></figcaption>'
                f'<img src="data:image/png;base64,{base64.b64encode(png0).decode("ascii")}" '
                f'style="max-width:100%" alt="{html.escape(m0)}">'
                f"<figcaption><em>{FLIPBOOK_NOTE}</em></figcaption>"
                "<script>(function () {"
                "var root = document.currentScript.parentElement;"
                f"var frames = {payload};"
                'var input = root.querySelector("input"), img = root.querySelector("img");'
                'var out = root.querySelector("output"), msg = root.querySelector(".fb-message");'
                'input.addEventListener("input", function () {'
                "var f = frames[+input.value]; out.textContent = f[0]; msg.textContent = f[1];"
                'img.alt = f[1]; img.src = "data:image/png;base64," + f[2]; });'
                "})();</script></figure>")

    def snapshot_html(self):
        """The current figure and message as self-contained HTML (for static pages)."""
        if self.flipbook is not None:
            return self.flipbook_html(*self.flipbook)
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<figure class="optimlib-snapshot">'
                f'<img src="data:image/png;base64,{data}" style="max-width:100%" '
                f'alt="{html.escape(self.message)}">'
                f"<figcaption><b>{html.escape(self.message)}</b><br>"
                f"<em>{SNAPSHOT_NOTE}</em></figcaption></figure>")

    def _repr_mimebundle_(self, **kwargs):
        # Jupyter shows the live widget; the book's HTML builder drops the
        # widget view and falls back to the snapshot.
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["text/html"] = self.snapshot_html()
        return bundle

def explore(draw, ncols=2, figsize=(9, 3.6), dpi=85, flipbook=None, **controls):
    """Build an :class:`Explorer`: ``explore(draw, eta=slider(...), kappa=...)``.

    ``explore(name)`` builds the registered explorer ``name`` (see
    :data:`optimlib.experiments.EXPLORERS`) with its controls, layout and
    flipbook; a chapter's explorer cell is then just ``ol.explore("gd_quadratic")``.
    """
    if isinstance(draw, str):
        if controls or flipbook is not None or (ncols, figsize, dpi) != (2, (9, 3.6), 85):
            raise TypeError(f"explore({draw!r}) takes no other arguments: the registered "
                            "explorer brings its controls, layout and flipbook")
        from .experiments.registry import _spec

        return _spec(draw).build()
    return Explorer(draw, controls, ncols=ncols, figsize=figsize, dpi=dpi, flipbook=flipbook)


def _frame_label(value):
    """A flipbook frame's value as the page shows it: 4 significant digits for a
    number, the option for a dropdown, on/off for a checkbox."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    return f"{value:.4g}"


def _compact_png(png, colors=32):
    """The same picture with a small palette: line plots stay sharp at a third of the size."""
    image = PIL.Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colors)
    buf = io.BytesIO()
    image.save(buf, format="png", optimize=True)
    return buf.getvalue()
