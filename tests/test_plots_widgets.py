"""Plot helpers and the widget layer: they draw what they say, fast."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
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
    assert "class SGD(Optimizer):" in code and "p -= self.lr * g" in code
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
    assert e.message == "ValueError: Invalid learning rate: -0.5 (must be >= 0)"
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
