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
import time

import ipywidgets as widgets
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["Explorer", "explore", "slider", "log_slider"]

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
    found = [*ax.lines, *ax.collections, *ax.texts, *ax.patches, *ax.images]
    if ax.get_legend() is not None:
        found.append(ax.get_legend())
    return found


def _empty(ax):
    """Remove what was drawn but keep the axes and their ticks (clear() is slow)."""
    for artist in _artists(ax):
        artist.remove()
    ax.set_prop_cycle(None)


class Explorer:
    """Sliders, a status line and a figure redrawn by ``draw(axes, **values)``.

    Parameters
    ----------
    draw : callable ``draw(axes, **values) -> str`` (the message shown).
    controls : dict ``{keyword: widget}``; each widget's ``value`` is passed
        to ``draw`` under that keyword.
    ncols, figsize, dpi : layout of the figure (one row of ``ncols`` axes).
    flipbook : optional ``(keyword, values)``. The static page then gets a
        slider of its own that steps through frames precomputed at these values
        of that control (the others at their defaults), so readers of the
        website can still drag the most important parameter.
    """

    def __init__(self, draw, controls, ncols=2, figsize=(9, 3.6), dpi=85, flipbook=None):
        if flipbook is not None and flipbook[0] not in controls:
            raise ValueError(f"flipbook control {flipbook[0]!r} is not one of {sorted(controls)}")
        self.flipbook = flipbook
        self.draw = draw
        self.controls = dict(controls)
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="none")
        FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(1, ncols, squeeze=False)[0]
        self.fig.subplots_adjust(left=0.08, right=0.97, bottom=0.15, top=0.95, wspace=0.28)
        self.axes = list(axes)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.last_seconds = None
        self._background_key = None
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.GridBox(list(self.controls.values()),
                            layout=widgets.Layout(grid_template_columns="repeat(2, 320px)")),
            self.status, self.image])
        self.redraw()

    def values(self):
        return {name: w.value for name, w in self.controls.items()}

    def redraw(self):
        """Clear the axes, call ``draw`` and show the new PNG; returns seconds taken.

        Axes whose limits, scales and labels did not change since the last
        redraw are not drawn again: only the artists on them are (blitting).
        A draw function that fixes its axis limits therefore redraws fastest.
        """
        t0 = time.perf_counter()
        for ax in self.axes:
            _empty(ax)
        message = self.draw(self.axes, **self.values()) or ""
        for ax in self.axes:
            if ax.get_autoscalex_on() or ax.get_autoscaley_on():
                ax.relim()
                ax.autoscale_view()
        self.png = self._render()
        self.image.value = self.png
        self._say(message, alarm="diverged" in message or "unstable" in message)
        self.last_seconds = time.perf_counter() - t0
        return self.last_seconds

    def _on_change(self, change):
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

    def _render(self):
        canvas = self.fig.canvas
        key = tuple((ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                     ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) for ax in self.axes)
        layers = [sorted(_artists(ax), key=lambda a: a.get_zorder()) for ax in self.axes]
        if key != self._background_key:
            for layer in layers:
                for artist in layer:
                    artist.set_visible(False)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._background_key = key
            for layer in layers:
                for artist in layer:
                    artist.set_visible(True)
        canvas.restore_region(self._background)
        for ax, layer in zip(self.axes, layers):
            for artist in layer:
                ax.draw_artist(artist)
        image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(),
                                     canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def frames(self, name, values):
        """``(value, message, png)`` for each value of control ``name``; the control is restored."""
        control = self.controls[name]
        start, out = control.value, []
        for value in values:
            if control.value == value:
                self.redraw()
            else:
                control.value = value  # the observer redraws
            out.append((control.value, self.message, _compact_png(self.png)))
        control.value = start
        if control.value == out[-1][0]:
            self.redraw()
        return out

    def flipbook_html(self, name, values):
        """A figure whose own HTML slider steps through precomputed frames (no Python needed)."""
        frames = self.frames(name, values)
        control = self.controls[name]
        start = min(range(len(frames)), key=lambda i: abs(frames[i][0] - control.value))
        payload = json.dumps([[f"{v:.4g}", m, base64.b64encode(png).decode("ascii")]
                              for v, m, png in frames]).replace("</", "<\\/")
        v0, m0, png0 = frames[start]
        label = html.escape(control.description)
        return (f'<figure class="optimlib-flipbook">'
                f'<label style="font-size:0.9em">{label} '
                f'<input type="range" min="0" max="{len(frames) - 1}" step="1" value="{start}" '
                f'aria-label="{label}" style="width:260px;vertical-align:middle"> '
                f'<output>{v0:.4g}</output></label>'
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
    """Build an :class:`Explorer`: ``explore(draw, eta=slider(...), kappa=...)``."""
    return Explorer(draw, controls, ncols=ncols, figsize=figsize, dpi=dpi, flipbook=flipbook)


def _compact_png(png, colors=32):
    """The same picture with a small palette: line plots stay sharp at a third of the size."""
    image = PIL.Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colors)
    buf = io.BytesIO()
    image.save(buf, format="png", optimize=True)
    return buf.getvalue()
