"""Plot helpers and the widget layer: they draw what they say, fast."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402

import optimlib as ol  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_one_distinct_colour_per_optimizer():
    main = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "Adam"]
    colours = [ol.style_of(n)["color"] for n in main]
    assert len(set(colours)) == len(main)
    assert ol.style_of("Adam, η = 0.1")["color"] == ol.style_of("Adam")["color"]
    assert ol.style_of("AdamW")["linestyle"] != ol.style_of("Adam")["linestyle"]
    assert ol.style_of(ol.RMSProp())["color"] == ol.STYLES["RMSProp"]["color"]
    for c in colours:
        assert mcolors.is_color_like(c)


def test_contours_paths_and_loss_return_their_axes():
    land = ol.Rosenbrock()
    results = ol.run_many({"SGD": ol.SGD(lr=1e-3), "Adam": ol.Adam(lr=0.05)}, land, steps=50)
    ax = ol.plot_contours(land)
    assert ax.get_xlim() == land.xlim and ax.collections, "contours drawn in the window"
    assert ol.plot_path(results["Adam"], ax=ax) is ax
    adam_lines = [l for l in ax.lines if l.get_label() == "Adam"]
    assert adam_lines and adam_lines[0].get_color() == ol.STYLES["Adam"]["color"]
    ax2 = ol.plot_loss(results)
    assert ax2.get_yscale() == "log" and ax2.get_xlabel() == "step $t$"
    assert {l.get_label() for l in ax2.lines} >= {"SGD", "Adam"}
    axes = ol.plot_runs(results, land)
    assert len(axes) == 2 and axes[1].get_legend() is not None


def test_diverged_run_is_marked():
    r = ol.run(ol.SGD(lr=2.5), ol.Quadratic(kappa=1.0), steps=60)
    ax = ol.plot_loss(r)
    crosses = [l for l in ax.lines if l.get_marker() == "x"]
    assert len(crosses) == 1
    assert crosses[0].get_xdata()[0] == r.diverged_at - 1


def _gd_draw(axes, eta, kappa):
    land = ol.Quadratic(kappa=kappa)
    r = ol.run(ol.SGD(lr=eta), land, steps=80)
    ol.plot_contours(land, ax=axes[0])
    ol.plot_path(r, ax=axes[0])
    ol.plot_loss(r, ax=axes[1])
    axes[1].set_ylim(1e-12, 1e4)
    return r.status()


def make_explorer():
    return ol.explore(_gd_draw, eta=ol.slider("η", 0.5, 0.01, 2.5, 0.01),
                      kappa=ol.log_slider("κ", 10, 0, 2))


def test_explorer_redraws_on_slider_change_and_reports_divergence():
    e = make_explorer()
    first = e.png
    assert first.startswith(b"\x89PNG") and "SGD" in e.status.value
    e.controls["eta"].value = 2.4
    assert e.png != first
    assert "diverged at step" in e.message and "#B00020" in e.status.value
    assert e.image.value == e.png


def test_blitted_frame_equals_a_full_redraw():
    """The fast path (artists only) must give the picture a full draw gives."""
    e = make_explorer()
    e.controls["eta"].value = 0.3   # same limits: blitted
    fast = e.png
    e._background_key = None       # force a full redraw of the same state
    e.redraw()
    assert fast == e.png


def test_redraw_is_fast():
    e = make_explorer()
    times = []
    for i, eta in enumerate(np.linspace(0.05, 2.2, 12)):
        e.controls["eta"].value = float(eta)
        times.append(e.last_seconds)
        e.controls["kappa"].value = float(1 + 7 * i)
        times.append(e.last_seconds)
    assert np.median(times) < 0.1, f"median redraw {np.median(times):.3f} s"


def test_mimebundle_has_live_widget_and_static_snapshot():
    e = make_explorer()
    bundle = e._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    snapshot = bundle["text/html"]
    assert snapshot.startswith("<figure") and "data:image/png;base64," in snapshot
    assert "drag the sliders" in snapshot


def test_show_source_is_the_library_code():
    code = ol.show_source(ol.SGD).data
    assert "class SGD(Optimizer):" in code and re.search(r"p -= \w+\.lr \* g", code)
    assert '"""' not in code
    assert '"""' in ol.show_source(ol.SGD, docstring=True).data


@pytest.mark.parametrize("eta,kappa", [(0.1, 10), (1.0, 10), (1.9, 50), (0.5, 100)])
def test_gd_quadratic_reports_predicted_and_measured_rate(eta, kappa):
    _, axes = plt.subplots(1, 2)
    message = ol.gd_quadratic(axes, eta, kappa, steps=200)
    predicted = ol.gd_rate(eta, ol.Quadratic(kappa=kappa).eigenvalues)
    assert f"rate {predicted:.3f} predicted, {predicted:.3f} measured" in message
    assert axes[1].get_ylim() == (1e-12, 1e5), "fixed limits, so that panels compare"


def test_gd_quadratic_reports_divergence_and_growth():
    _, axes = plt.subplots(1, 2)
    assert "diverged at step" in ol.gd_quadratic(axes, 2.3, 10)
    assert ol.gd_quadratic(axes, 2.05, 10).endswith("(unstable: growing)")
    assert "reached the minimum exactly" in ol.gd_quadratic(axes, 1.0, 1.0)


def test_an_error_in_a_slider_callback_is_shown_not_swallowed():
    def draw(axes, lr):
        r = ol.run(ol.SGD(lr=lr), ol.Bowl(), steps=5)
        ol.plot_loss(r, ax=axes[1])
        return r.status()

    e = ol.explore(draw, lr=ol.slider("η", 0.1, -1.0, 1.0, 0.1))
    e.controls["lr"].value = -0.5
    assert e.message.startswith("ValueError: Invalid learning rate: -0.5 (must be ")
    assert "#B00020" in e.status.value
    e.controls["lr"].value = 0.2
    assert e.message.startswith("SGD: f − f*")


def test_flipbook_steps_through_precomputed_frames_on_static_pages():
    etas = [0.5, 1.0, 2.4]
    e = ol.explore(_gd_draw, eta=ol.slider("η", 1.0, 0.01, 2.5, 0.01),
                   kappa=ol.log_slider("κ", 10, 0, 2), flipbook=("eta", etas))
    default_png = e.png
    frames = e.frames("eta", etas)
    assert [f[0] for f in frames] == etas
    assert "diverged at step" in frames[2][1] and "diverged" not in frames[0][1]
    assert len({f[2] for f in frames}) == 3, "one distinct picture per value"
    assert e.controls["eta"].value == 1.0 and e.png == default_png, "state restored"
    page = e._repr_mimebundle_()["text/html"]
    assert page.count('src="data:image/png;base64,') == 1 and page.count('["') == 3
    assert 'type="range" min="0" max="2" step="1" value="1"' in page
    assert "<script>" in page and "</script></figure>" in page
    with pytest.raises(ValueError, match="flipbook control 'lr' is not one of"):
        ol.explore(_gd_draw, eta=ol.slider("η", 1.0, 0.01, 2.5, 0.01), flipbook=("lr", [1]))


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0])
def test_gd_best_lr_equalises_the_two_extreme_factors(kappa):
    lam = ol.Quadratic(kappa=kappa).eigenvalues
    eta = ol.gd_best_lr(lam)
    assert eta == pytest.approx(2 / (lam[0] + lam[1]))
    assert ol.gd_rate(eta, lam) == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-15)
    assert ol.gd_rate(eta * 0.99, lam) > ol.gd_rate(eta, lam) < ol.gd_rate(eta * 1.01, lam)


# --- issue 5, section 5: widgets and explorers ------------------------------------------

from optimlib.experiments import (EXPLORERS, compare_fast_and_full,  # noqa: E402
                                  corner_settings, random_settings)
from optimlib.experiments.registry import Choice, Control, register  # noqa: E402
from optimlib.widgets import is_alarm  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _pixels(png):
    return np.asarray(PIL.Image.open(__import__("io").BytesIO(png)).convert("RGBA"))


def test_import_loads_neither_pyplot_nor_ipywidgets():
    code = ("import sys, optimlib as ol\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot loaded'\n"
            "assert 'ipywidgets' not in sys.modules, 'ipywidgets loaded'\n"
            "ol.gd_rate(1.0, [0.1, 1.0]); ol.measured_rate\n"
            "from optimlib.experiments import gd_quadratic, EXPLORERS\n"
            "assert 'matplotlib.pyplot' not in sys.modules and 'ipywidgets' not in sys.modules\n"
            "ol.explore\n"
            "assert 'ipywidgets' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
            "ol.plot_runs({}, ol.Bowl())\n"
            "assert 'matplotlib.pyplot' in sys.modules\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"MPLBACKEND": "Agg", "PATH": ""}, cwd=ROOT)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_every_public_name_is_still_importable():
    import optimlib

    for name in optimlib.__all__:
        assert getattr(optimlib, name) is not None, name
        assert name in dir(optimlib)
    from optimlib import STYLES, Explorer, explore, gd_quadratic, log_slider, plot_runs  # noqa
    assert ol.plot_runs is ol.plots.plot_runs and ol.Explorer is ol.widgets.Explorer
    assert ol.gd_quadratic is ol.experiments.gradient_descent.gd_quadratic
    with pytest.raises(AttributeError, match="no attribute 'plot_nothing'"):
        ol.plot_nothing  # noqa: B018


def test_experiments_is_a_package_of_short_modules():
    import optimlib.experiments as ex

    folder = Path(ex.__file__).parent
    modules = sorted(p.name for p in folder.glob("*.py"))
    assert {"__init__.py", "gradient_descent.py", "registry.py"} <= set(modules)
    for name in ["gradient_descent.py", "registry.py"]:
        assert len((folder / name).read_text().splitlines()) < 400, f"{name} is too long"
    assert len((folder / "__init__.py").read_text().splitlines()) < 60, "imports only"
    assert not (folder.parent / "experiments.py").exists()


def test_status_is_red_only_when_a_run_diverged():
    assert is_alarm("SGD: diverged at step 12") and is_alarm("SGD: 1 of 4 runs diverged")
    assert is_alarm("Adam: 12 of 12 runs diverged")
    for calm in ["SGD: none of the 2 runs diverged", "SGD: 0 of 2 runs diverged",
                 "η = 2.05: f − f* grew from 5.3 to 1.6e+03 in 60 steps (unstable: growing)",
                 "SGD: unstable, f − f* grew from 1 to 2 in 5 steps", ""]:
        assert not is_alarm(calm), calm

    def draw(axes, lr):
        r = ol.run(ol.SGD(lr=np.array([lr, lr / 2])), ol.Quadratic(kappa=10), steps=30)
        ol.plot_loss(r, ax=axes[1])
        return r.status()

    e = ol.explore(draw, lr=ol.slider("η", 0.5, 0.1, 3.0, 0.1))
    assert e.message == "SGD: none of the 2 runs diverged" and "#B00020" not in e.status.value
    e.controls["lr"].value = 3.0   # 3.0 diverges, 1.5 does not
    assert e.message == "SGD: 1 of 2 runs diverged" and "#B00020" in e.status.value
    e.controls["lr"].value = 2.1   # grows without being stopped: not red
    assert e.message == "SGD: none of the 2 runs diverged" and "#B00020" not in e.status.value
    growing = ol.explore(_gd_draw, eta=ol.slider("η", 2.03, 0.01, 2.5, 0.01),
                         kappa=ol.log_slider("κ", 10, 0, 2))
    assert growing.message.startswith("SGD: unstable, f − f* grew from")
    assert "#B00020" not in growing.status.value


def test_batched_status_words():
    lrs = np.array([0.1, 0.5, 0.9])
    r = ol.run(ol.SGD(lr=lrs), ol.Quadratic(kappa=10), steps=20)
    assert r.status() == "SGD: none of the 3 runs diverged"
    one = ol.run(ol.SGD(lr=np.array([0.5])), ol.Quadratic(kappa=10), steps=20)
    single = ol.run(ol.SGD(lr=0.5), ol.Quadratic(kappa=10), steps=20)
    assert one.status() == single.status()
    bad = ol.run(ol.SGD(lr=np.array([2.5])), ol.Quadratic(kappa=10), steps=60)
    assert bad.status().startswith("SGD: diverged at step")


def test_measured_rate_of_a_batch_is_the_rate_of_each_run():
    land = ol.Quadratic(kappa=10, angle=20)
    lrs = np.array([[0.1, 0.5], [1.9, 2.5]])
    batch = ol.run(ol.SGD(lr=lrs), land, steps=200)
    rates = ol.measured_rate(batch)
    assert rates.shape == (2, 2)
    for i in range(2):
        for j in range(2):
            one = ol.measured_rate(ol.run(ol.SGD(lr=lrs[i, j]), land, steps=200))
            np.testing.assert_allclose(rates[i, j], one, rtol=1e-12)
    assert rates[0, 0] == pytest.approx(ol.gd_rate(0.1, land.eigenvalues), rel=1e-6)
    assert isinstance(ol.measured_rate(ol.run(ol.SGD(lr=0.1), land, steps=50)), float)
    # a start at the minimum has no rate: NaN, in a batch too
    starts = np.array([[0.0, 0.0], [1.0, 1.0]])
    r = ol.measured_rate(ol.run(ol.SGD(lr=0.5), land, steps=50, start=starts))
    assert np.isnan(r[0]) and r[1] == pytest.approx(ol.gd_rate(0.5, land.eigenvalues), rel=1e-6)


def _gd(eta, kappa=10.0, **kw):
    _, axes = plt.subplots(1, 2)
    return ol.gd_quadratic(axes, eta, kappa, **kw), axes


def test_gd_quadratic_verdict_comes_from_the_run_not_the_prediction():
    # η = 2.3 predicts growth (|1 - 2.3| > 1) but from a start on the x-axis the
    # growing direction has no component: the run converges at 1 - 0.23 = 0.77.
    message, _ = _gd(2.3, x0=-4.0, y0=0.0)
    assert "rate 1.300 predicted, 0.770 measured; f − f* fell from" in message
    assert "unstable" not in message and "diverged" not in message
    assert "(the start has no component along the growing direction)" in message
    # from the default start the same η diverges, and says so
    message, _ = _gd(2.3)
    assert re.fullmatch(r"η = 2.3, κ = 10: rate 1.300 predicted; diverged at step \d+", message)
    assert "grew from" in _gd(2.05)[0] and "fell from" in _gd(0.5)[0]


@pytest.mark.parametrize("eta", np.linspace(1.995, 2.005, 41).round(6))
def test_gd_quadratic_never_prints_one_for_a_rate_that_is_not_one(eta):
    eta = float(eta)
    message, _ = _gd(eta)
    r = ol.gd_rate(eta, ol.Quadratic(kappa=10).eigenvalues)
    if r == 1:
        assert "rate exactly 1 predicted (stability limit: one direction flips sign, " \
               "never shrinks)" in message
    else:
        assert not re.search(r"\b1\.0+(?![0-9])", message) and "rate 1 predicted" not in message
        shown = re.search(r"rate ([0-9.]+) predicted", message).group(1)
        decimals = len(shown.split(".")[1])
        assert float(shown) != 1 and abs(float(shown) - r) <= 0.5 * 10.0 ** -decimals
        assert float(re.match(r"η = ([0-9.]+),", message).group(1)) == eta, "η shown in full"
        assert ("(barely contracting)" in message) == (r < 1 and abs(r - 1) < 1e-3)
        assert ("(barely growing)" in message) == (r > 1 and abs(r - 1) < 1e-3)


def test_gd_quadratic_near_and_at_the_limit_in_words():
    assert "rate 0.9998 predicted (barely contracting)" in _gd(1.9998)[0]
    assert "rate 1.0002 predicted (barely growing)" in _gd(2.0002)[0]
    message, _ = _gd(2.0)
    # the steep direction flips between y = 3 and y = -3: f − f* falls only to 4.5
    assert message.startswith("η = 2, κ = 10: rate exactly 1 predicted (stability limit: "
                              "one direction flips sign, never shrinks)")
    assert "f − f* fell from 5.3 to 4.5 in 60 steps" in message
    assert "every direction flips sign" in _gd(2.0, kappa=1.0)[0]
    assert "stayed at 12 for 60 steps" in _gd(2.0, kappa=1.0)[0]
    eta_star = ol.gd_best_lr(ol.Quadratic(kappa=10).eigenvalues)
    assert _gd(eta_star)[0].startswith("η = η* = 1.818, κ = 10: rate 0.818 predicted")


def _drawn_marks(ax):
    """Display positions where the divergence crosses were drawn, and their labels."""
    ax.figure.canvas.draw()
    crosses = [l for l in ax.lines if l.get_marker() == "x"]
    xy = [ax.transData.transform((l.get_xdata()[0], l.get_ydata()[0])) for l in crosses]
    labels = [t.get_text() for t in ax.texts if t.get_text().startswith("diverged at step")]
    return crosses, xy, labels


def test_divergence_cross_is_inside_both_panels_with_its_step():
    message, axes = _gd(2.3)
    k = int(re.search(r"diverged at step (\d+)", message).group(1))
    for ax in axes:
        crosses, xy, labels = _drawn_marks(ax)
        assert len(crosses) == 1 and labels == [f"diverged at step {k}"]
        assert crosses[0].outside, "the last finite point lies beyond the limits"
        box = ax.bbox
        (px, py), = xy
        size = crosses[0].get_markersize() * ax.figure.dpi / 72 / 2
        assert box.x0 + size <= px <= box.x1 - size and box.y0 + size <= py <= box.y1 - size
        label = next(t for t in ax.texts if t.get_text() == labels[0])
        extent = label.get_window_extent()
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1
    # the loss panel's cross stays at the step before the stop
    crosses, _, _ = _drawn_marks(axes[1])
    assert crosses[0].get_xdata()[0] == k - 1


def test_a_cross_inside_the_limits_stays_where_it_is():
    r = ol.run(ol.SGD(lr=2.5), ol.Quadratic(kappa=1.0), steps=60)
    ax = ol.plot_loss(r)
    crosses, _, labels = _drawn_marks(ax)
    k = int(r.diverged_at)
    assert not crosses[0].outside and labels == [f"diverged at step {k}"]
    assert crosses[0].get_ydata()[0] == pytest.approx(r.gap[k - 1], rel=1e-9)
    # a batch gets crosses but no words (one per diverged run)
    b = ol.run(ol.SGD(lr=np.array([2.5, 2.6, 0.5])), ol.Quadratic(kappa=1.0), steps=60)
    crosses, _, labels = _drawn_marks(ol.plot_path(b))
    assert len(crosses) == 2 and labels == []


def test_a_start_at_the_minimum_does_not_leave_the_loss_panel_empty():
    message, axes = _gd(1.0, x0=0.0, y0=0.0)
    assert message.endswith("started at the minimum (f − f* = 0 at every step)")
    line = next(l for l in axes[1].lines if l.get_label() == "SGD")
    assert np.all(line.get_ydata() == 1e-12), "drawn at the floor, the bottom of the panel"
    assert any("started at the minimum" in t.get_text() for t in axes[1].texts)


class _Ring(ol.Landscape):
    """A landscape without its own repr: the grid cache must still tell them apart."""

    def __init__(self, radius):
        self.radius = radius

    def f(self, theta):
        theta = np.asarray(theta, dtype=float)
        return (np.hypot(theta[..., 0], theta[..., 1]) - self.radius) ** 2


def test_landscape_grids_are_cached_by_value_not_by_repr():
    from optimlib.plots import _grid

    a, b, a2 = _Ring(1.0), _Ring(1.5), _Ring(1.0)
    assert repr(a) == repr(b)
    assert not np.array_equal(_grid(a, 30)[2], _grid(b, 30)[2])
    assert _grid(a, 30) is _grid(a2, 30), "equal landscapes share one grid"
    np.testing.assert_array_equal(_grid(b, 30)[2], b.grid(30)[2])
    q = ol.Quadratic(kappa=10, angle=30)
    assert _grid(q, 40) is not _grid(ol.Quadratic(kappa=10, angle=31), 40)
    assert _grid(q, 40) is _grid(ol.Quadratic(kappa=10, angle=30), 40)


def _styled_draw(axes, eta, grid, title, ticks):
    r = ol.run(ol.SGD(lr=eta), ol.Quadratic(kappa=10), steps=40)
    ol.plot_loss(r, ax=axes[1])
    axes[1].set(xlim=(0, 40), ylim=(1e-8, 1e3))
    axes[0].grid(grid > 0.5)
    axes[1].grid(grid > 0.5, which="major")
    if title > 0.5:
        axes[0].figure.suptitle(f"suptitle {title:.1f}")
    axes[0].tick_params(labelsize=6 + 4 * ticks)
    axes[0].set_title("left" if grid > 0.5 else "", loc="left")
    return r.status()


@pytest.mark.parametrize("control,value", [("grid", 1.0), ("title", 1.0), ("ticks", 1.0),
                                           ("eta", 0.9)])
def test_a_fast_frame_follows_grids_titles_and_ticks(control, value):
    def build(**values):
        controls = {"eta": ol.slider("η", 0.5, 0.1, 1.0, 0.1),
                    "grid": ol.slider("grid", 0.0, 0.0, 1.0, 1.0),
                    "title": ol.slider("title", 0.0, 0.0, 1.0, 1.0),
                    "ticks": ol.slider("ticks", 0.0, 0.0, 1.0, 1.0)}
        for k, v in values.items():
            controls[k].value = v
        return ol.Explorer(_styled_draw, controls)

    moved = build()
    moved.controls[control].value = value
    fresh = build(**{control: value})
    full = fresh._picture.full_png()
    assert np.array_equal(_pixels(moved.png), _pixels(full))
    # figure texts are drawn over the kept background, like the artists
    assert moved.blitted == (control in ("eta", "title"))
    moved.controls[control].value = moved.initial_values[control]   # and back
    back = build()
    assert np.array_equal(_pixels(moved.png), _pixels(back._picture.full_png()))


def test_fast_path_keeps_the_order_of_a_full_draw():
    """Contours lie below the ticks and grid: blitting must not paint them on top."""
    def draw(axes, eta):
        ol.plot_contours(ol.Quadratic(kappa=10), ax=axes[0])
        for c in axes[0].collections:
            c.set_zorder(0.1)       # below the axis (1.5) and grid
        axes[0].grid(True, color="red", linewidth=2)
        axes[0].plot([0, eta], [0, eta], lw=3)
        return f"{eta}"

    e = ol.explore(draw, eta=ol.slider("η", 1.0, 0.1, 2.0, 0.1))
    e.controls["eta"].value = 1.5
    assert e.blitted
    fresh = ol.explore(draw, eta=ol.slider("η", 1.5, 0.1, 2.0, 0.1))
    assert np.array_equal(_pixels(e.png), _pixels(fresh._picture.full_png()))


def test_flipbook_frames_are_computed_once_and_leave_the_sliders_alone():
    calls = []

    def draw(axes, eta, kappa):
        calls.append(eta)
        return _gd_draw(axes, eta, kappa)

    e = ol.explore(draw, eta=ol.slider("η", 1.0, 0.01, 2.5, 0.01),
                   kappa=ol.log_slider("κ", 10, 0, 2), flipbook=("eta", [0.5, 2.4]))
    e.controls["kappa"].value = 50.0      # the reader moved a slider
    moves = []
    e.controls["eta"].observe(lambda change: moves.append(change), names="value")
    live, before = e.png, len(calls)
    first = e.snapshot_html()
    assert len(calls) == before + 2 and moves == [] and e.png == live
    assert e.controls["eta"].value == 1.0 and e.controls["kappa"].value == 50.0
    assert e.snapshot_html() == first and len(calls) == before + 2, "computed once"
    # the frames use the values the explorer was built with (κ = 10), not the live ones
    frames = e.frames("eta", [0.5, 2.4])
    _, axes = plt.subplots(1, 2)
    assert frames[0][1] == _gd_draw(axes, 0.5, 10.0)


def test_registered_gd_quadratic_matches_the_chapter_and_includes_eta_star():
    spec = EXPLORERS["gd_quadratic"]
    assert spec.draw is ol.gd_quadratic and spec.chapter == "01_gradient_descent"
    assert spec.defaults() == {"eta": 1.0, "kappa": 10.0, "x0": -4.0, "y0": 3.0}
    name, etas = spec.flipbook
    eta_star = ol.gd_best_lr(ol.Quadratic(kappa=spec.defaults()["kappa"]).eigenvalues)
    assert name == "eta" and eta_star in etas and 2.0 in etas and etas == sorted(etas)
    assert all(spec.controls["eta"].low <= v <= spec.controls["eta"].high for v in etas)
    e = ol.explore("gd_quadratic")
    assert e.flipbook == spec.flipbook and e.values() == spec.defaults()
    page = e.snapshot_html()
    frames = json.loads(re.search(r"var frames = (\[.*?\]\]);", page).group(1))
    assert len(frames) == len(etas) and page.count('["') == len(etas)
    labels = {label: message for label, message, _ in frames}
    assert labels["1.818"].startswith("η = η* = 1.818, κ = 10: rate 0.818 predicted")
    assert labels["2"].startswith("η = 2, κ = 10: rate exactly 1 predicted")
    assert "diverged at step" in labels["2.3"] and "diverged" not in labels["2.1"]
    with pytest.raises(ValueError, match="Unknown explorer: 'nope'"):
        ol.explore("nope")
    with pytest.raises(TypeError, match="takes no other arguments"):
        ol.explore("gd_quadratic", eta=ol.slider("η", 1.0, 0.01, 2.3, 0.01))


def test_random_settings_lie_on_the_sliders_grids():
    for spec in EXPLORERS.values():
        for values in random_settings(spec, 20, np.random.default_rng(0)):
            for key, value in values.items():
                c = spec.controls[key]
                assert c.contains(value)


def _settings(spec, n_random):
    return ([spec.defaults()] + corner_settings(spec)
            + random_settings(spec, n_random, np.random.default_rng(5)))


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_registered_explorer_draws_its_defaults_corners_and_random_settings(name):
    spec = EXPLORERS[name]
    for values in _settings(spec, 8):
        for key, value in values.items():
            c = spec.controls[key]
            assert c.contains(value) if isinstance(c, Choice) else c.low <= value <= c.high
        _, axes = plt.subplots(1, spec.ncols)
        message = spec.draw(axes, **values)
        assert isinstance(message, str) and message
        # "nan" as a word (a number that failed), not inside "Rosenbrock's banana"
        assert not re.search(r"\bnan\b", message.lower()) and "1.000 predicted" not in message
        plt.close("all")


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_registered_explorer_fast_frame_equals_a_full_redraw(name):
    spec = EXPLORERS[name]
    corners = corner_settings(spec)[-2:]          # every control at its low, at its high
    blitted = []
    for values in [spec.defaults(), *corners, *random_settings(spec, 2, np.random.default_rng(7))]:
        c = compare_fast_and_full(spec, values)
        assert c.differing == 0, f"{name} at {values}: {c.differing} pixels differ"
        assert c.fast_message == c.full_message
        blitted.append(c.blitted)
    assert any(blitted), "the fast path was never taken"


def test_contour_segments_lie_on_their_level_and_are_cached_by_value():
    from optimlib.plots import contour_segments

    land = ol.Quadratic(kappa=5, angle=20)
    segments = contour_segments(land, [0.5, 2.0])
    assert segments and all(s.ndim == 2 and s.shape[1] == 2 for s in segments)
    values = np.concatenate([land.f(s) for s in segments])
    assert np.all(np.min(np.abs(values[:, None] - [0.5, 2.0]), axis=1) < 0.05)
    assert contour_segments(ol.Quadratic(kappa=5, angle=20), [0.5, 2.0]) is segments


# --- dropdowns and checkboxes (chapters 8-12) ------------------------------------------


def _choice_draw(axes, eta, optimizer, trace):
    ax = axes[0]
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.plot([0, eta], [0, 1 if trace else 0.5], **ol.style_of(optimizer))
    return f"{optimizer}, η = {eta:g}, trace {'on' if trace else 'off'}"


def _register_choice_explorer(name="_test_choices", **kwargs):
    EXPLORERS.pop(name, None)
    register(name, _choice_draw, flipbook=kwargs.pop("flipbook", ("optimizer", ["SGD", "Adam"])),
             eta=("η", 0.5, 0.1, 1.0, 0.1),
             optimizer=("optimizer", "Adam", ("SGD", "Momentum", "Adam")),
             trace=("trace", True), **kwargs)
    return EXPLORERS[name]


def test_choice_controls_become_dropdowns_and_checkboxes():
    import ipywidgets as widgets
    spec = _register_choice_explorer()
    try:
        assert spec.controls["optimizer"] == Choice("optimizer", "Adam", ("SGD", "Momentum", "Adam"))
        assert spec.controls["trace"].is_checkbox and spec.controls["trace"].default is True
        assert isinstance(spec.controls["eta"], Control)
        assert spec.defaults() == {"eta": 0.5, "optimizer": "Adam", "trace": True}
        e = spec.build(optimizer="SGD", trace=False)
        assert isinstance(e.controls["optimizer"], widgets.Dropdown)
        assert isinstance(e.controls["trace"], widgets.Checkbox)
        assert e.message == "SGD, η = 0.5, trace off"
        e.controls["optimizer"].value = "Momentum"
        assert e.message == "Momentum, η = 0.5, trace off"
        e.controls["trace"].value = True
        assert e.message == "Momentum, η = 0.5, trace on"
        # corners: first and last option; random settings: only options, of the right type
        corners = corner_settings(spec)
        assert {"eta": 0.5, "optimizer": "SGD", "trace": True} in corners
        assert {"eta": 1.0, "optimizer": "Adam", "trace": True} in corners
        assert {"eta": 0.1, "optimizer": "SGD", "trace": False} in corners
        seen = set()
        for values in random_settings(spec, 60, np.random.default_rng(1)):
            assert all(spec.controls[k].contains(v) for k, v in values.items())
            seen.add((values["optimizer"], values["trace"]))
        assert len(seen) == 6, "every combination turns up in 60 draws"
        assert not spec.controls["trace"].contains(1) and not spec.controls["optimizer"].contains("adam")
        comparison = compare_fast_and_full(spec, {"eta": 0.3, "optimizer": "SGD", "trace": False})
        assert comparison.equal
    finally:
        EXPLORERS.pop("_test_choices", None)


def test_flipbook_over_a_dropdown_labels_frames_with_the_options():
    spec = _register_choice_explorer()
    try:
        page = spec.build().snapshot_html()
        frames = json.loads(re.search(r"var frames = (\[.*?\]\]);", page).group(1))
        assert [(label, message) for label, message, _ in frames] == [
            ("SGD", "SGD, η = 0.5, trace on"), ("Adam", "Adam, η = 0.5, trace on")]
        # the page opens at the default option (Adam, the second frame)
        assert 'value="1"' in page and "<output>Adam</output>" in page
    finally:
        EXPLORERS.pop("_test_choices", None)
    spec = _register_choice_explorer(flipbook=("trace", [False, True]))
    try:
        page = spec.build().snapshot_html()
        frames = json.loads(re.search(r"var frames = (\[.*?\]\]);", page).group(1))
        assert [label for label, _, _ in frames] == ["off", "on"]
    finally:
        EXPLORERS.pop("_test_choices", None)


@pytest.mark.parametrize("control, message", [
    (("optimizer", "Nadam", ("SGD", "Adam")), "default 'Nadam' is not one of"),
    (("optimizer", "SGD", ("SGD",)), "need two or more different str"),
    (("optimizer", "SGD", ("SGD", "SGD")), "need two or more different str"),
    (("optimizer", "SGD", ("SGD", 1)), "need two or more different str"),
    (("trace", 1), "Invalid control 'x'"),
])
def test_bad_choice_controls_are_refused_with_their_name(control, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        register("_test_bad", _choice_draw, x=control)
    assert "_test_bad" not in EXPLORERS


def test_flipbook_values_must_be_values_of_the_control():
    with pytest.raises(ValueError, match="flipbook value 'RMSProp' is not a value of control"):
        _register_choice_explorer(name="_test_bad_book", flipbook=("optimizer", ["RMSProp"]))
    EXPLORERS.pop("_test_bad_book", None)
