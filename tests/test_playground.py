"""Chapter 12: Reddi's landscape, run's time-dependent gradients and projection, the fused
runner against optimlib.run, the tuned learning rates, the presets and the playground."""
import json
import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import optimlib as ol  # noqa: E402
from optimlib.experiments import EXPLORERS, random_settings  # noqa: E402
from optimlib.experiments import playground as pg  # noqa: E402
from optimlib.functions import Reddi  # noqa: E402


# -- Reddi's landscape -------------------------------------------------------------------
def test_reddi_losses_gradients_and_average():
    land = Reddi(C=3)
    pts = np.random.default_rng(0).uniform(-1, 1, size=(20, 2))
    for t, gx in [(1, 3.0), (2, -1.0), (3, -1.0), (4, 3.0), (5, -1.0), (6, -1.0)]:
        g = land.grad(pts, t)
        np.testing.assert_array_equal(g[:, 0], gx)
        np.testing.assert_array_equal(g[:, 1], pts[:, 1])
    period = np.mean([land.grad(pts, t) for t in (1, 2, 3)], axis=0)
    np.testing.assert_allclose(land.grad(pts), period)          # ∇F is the period's mean
    np.testing.assert_allclose(land.f(pts), pts[:, 0] / 3 + pts[:, 1] ** 2 / 2)
    h = 1e-6                                                   # ∇F is F's derivative
    numeric = np.stack([(land.f(pts + h * e) - land.f(pts - h * e)) / (2 * h)
                        for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(land.grad(pts), numeric, atol=1e-6)
    assert land.f_min == pytest.approx(-1 / 3)
    assert land.f(land.minima[0]) == pytest.approx(land.f_min)
    X, Y, Z = land.grid(200)                                  # lowest of the feasible grid
    assert Z[np.abs(X) <= 1].min() >= land.f_min - 1e-12
    assert land.time_dependent and land.constrained and land.period == 3


def test_reddi_projection_and_bad_arguments():
    land = Reddi(5.0)
    np.testing.assert_array_equal(land.project([[2.0, 3.0], [-1.5, -4.0], [0.2, 0.1]]),
                                  [[1.0, 3.0], [-1.0, -4.0], [0.2, 0.1]])
    assert land.f_min == pytest.approx(-1.0)
    for bad in [2.0, 1, -3, np.nan, "3", True]:
        with pytest.raises(ValueError, match="Invalid C"):
            Reddi(bad)
    for bad in [0, -1, 1.5, True]:
        with pytest.raises(ValueError, match="Invalid t"):
            land.grad(np.zeros(2), bad)
    with pytest.raises(ValueError, match="Invalid landscape"):
        ol.Preconditioned(land, np.eye(2))
    # every other landscape is unconstrained: project returns a copy of the points
    q = ol.Quadratic()
    pts = np.ones((3, 2)) * 7
    out = q.project(pts)
    np.testing.assert_array_equal(out, pts)
    assert out is not pts and not q.time_dependent and not q.constrained


def test_run_passes_the_step_and_projects():
    land = Reddi(3.0)
    opt = ol.Adam(lr=0.05, beta1=0.0, beta2=0.1)
    result = ol.run(opt, land, steps=40, start=[0.5, 0.5])
    theta = np.array([0.5, 0.5])       # the same by hand: g_t, update, clip
    hand = ol.Adam(lr=0.05, beta1=0.0, beta2=0.1)
    for t in range(1, 41):
        hand.update(theta, land.grad(theta, t))
        theta[0] = min(max(theta[0], -1.0), 1.0)
        np.testing.assert_allclose(result.path[t], theta, rtol=0, atol=1e-15)
    # a start outside the feasible set is projected first
    outside = ol.run(ol.SGD(lr=0.01), land, steps=3, start=[1.1, 0.0])
    assert outside.path[0, 0] == 1.0
    assert np.all(np.abs(outside.path[:, 0]) <= 1.0)


def test_adam_drifts_to_the_worst_point_and_amsgrad_does_not():
    """Reddi et al. (2018), Theorem 1: β₁ = 0, β₂ = 1/(1 + C²)."""
    land = Reddi(3.0)
    b2 = 1 / (1 + 3.0 ** 2)
    adam = ol.run(ol.Adam(lr=0.05, beta1=0.0, beta2=b2), land, steps=900, start=[0.0, 0.0])
    ams = ol.run(ol.Adam(lr=0.05, beta1=0.0, beta2=b2, amsgrad=True), land, steps=900,
                 start=[0.0, 0.0])
    assert adam.final[0] > 0.9                    # near x = +1, the worst point
    assert ams.path[-3:, 0].max() < -0.9          # near x = -1, the best one
    # Adam's average loss over the last period is near its largest feasible value
    assert adam.loss[-3:].mean() - land.f_min > 0.9 * 2 * (3 - 2) / 3


# -- the fused runner --------------------------------------------------------------------
def _eleven(scale=1.0):
    return {"SGD": ol.SGD(lr=1e-3 * scale), "Momentum": ol.Momentum(lr=1e-3 * scale),
            "Nesterov": ol.Nesterov(lr=1e-3 * scale, momentum=0.8),
            "AdaGrad": ol.AdaGrad(lr=0.1 * scale, initial_accumulator=0.1),
            "RMSProp": ol.RMSProp(lr=0.01 * scale), "Adadelta": ol.Adadelta(lr=0.5 * scale),
            "Adam": ol.Adam(lr=0.01 * scale),
            "AMSGrad": ol.Adam(lr=0.01 * scale, amsgrad=True),
            "AdamW": ol.AdamW(lr=0.01 * scale, weight_decay=0.1),
            "NAdam": ol.NAdam(lr=0.01 * scale), "AdaMax": ol.AdaMax(lr=0.01 * scale)}


@pytest.mark.parametrize("land, noise", [(ol.Rosenbrock(), 0.0), (ol.Rosenbrock(), 0.5),
                                         (ol.Beale(), 0.1), (Reddi(3.0), 0.0),
                                         (Reddi(4.0), 0.3), (ol.Saddle(), 0.0)],
                         ids=["rosenbrock", "rosenbrock-noise", "beale-noise", "reddi",
                              "reddi-noise", "saddle"])
def test_race_equals_run_many(land, noise):
    fast = pg.race(_eleven(), land, steps=300, noise=noise, seed=3)
    slow = ol.run_many(_eleven(), land, steps=300, noise=noise, seed=3)
    assert list(fast) == list(slow)
    for name in slow:
        assert int(fast[name].diverged_at) == int(slow[name].diverged_at), name
        np.testing.assert_allclose(fast[name].path, slow[name].path, rtol=1e-10, atol=1e-12,
                                   err_msg=name)
        np.testing.assert_allclose(fast[name].loss, slow[name].loss, rtol=1e-10, atol=1e-12,
                                   err_msg=name)
        assert fast[name].name == name and fast[name].landscape is land


def test_race_stops_diverging_runs_at_the_same_step_as_run():
    land = ol.Rosenbrock()
    fast = pg.race(_eleven(scale=300.0), land, steps=60, start=[-1.5, 2.0])
    slow = ol.run_many(_eleven(scale=300.0), land, steps=60, start=[-1.5, 2.0])
    diverged = [n for n in slow if slow[n].diverged]
    assert len(diverged) >= 3
    for name in slow:
        assert int(fast[name].diverged_at) == int(slow[name].diverged_at), name
        np.testing.assert_array_equal(np.isnan(fast[name].path), np.isnan(slow[name].path))
        assert ("diverged at step" in fast[name].status()) == slow[name].diverged


def test_race_with_eps_zero_keeps_zero_over_zero_at_zero():
    land = ol.Quadratic(kappa=4)
    opts = {"AdaGrad": ol.AdaGrad(lr=0.5, eps=0.0), "RMSProp": ol.RMSProp(lr=0.1, eps=0.0)}
    start = [0.0, 2.0]                              # x's gradient is exactly 0 throughout
    fast = pg.race(opts, land, steps=30, start=start)
    slow = ol.run_many({"AdaGrad": ol.AdaGrad(lr=0.5, eps=0.0),
                        "RMSProp": ol.RMSProp(lr=0.1, eps=0.0)}, land, steps=30, start=start)
    for name in opts:
        assert np.all(np.isfinite(fast[name].path))
        np.testing.assert_allclose(fast[name].path, slow[name].path, rtol=1e-12, atol=0)


def test_race_rejects_what_it_cannot_run():
    land = ol.Rosenbrock()
    with pytest.raises(TypeError, match="constant scalar"):
        pg.race({"a": ol.SGD(lr=np.array([0.1, 0.2]))}, land)
    with pytest.raises(TypeError, match="constant scalar"):
        pg.race({"a": ol.SGD(lr=ol.InverseSqrtDecay(0.1))}, land)
    with pytest.raises(TypeError, match="does not know"):
        pg.race({"a": ol.RMSProp(centered=True)}, land)
    with pytest.raises(ValueError, match="Invalid steps"):
        pg.race({"a": ol.SGD()}, land, steps=-1)
    with pytest.raises(ValueError, match="Invalid noise"):
        pg.race({"a": ol.SGD()}, land, noise=-0.1)
    with pytest.raises(ValueError, match="Invalid start"):
        pg.race({"a": ol.SGD()}, land, start=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Invalid optimizer name"):
        pg.make_optimizer("Adagrad")
    assert pg.make_optimizer("AMSGrad", lr=0.1).label == "AMSGrad"


# -- scores, settings, presets -----------------------------------------------------------
def test_steps_to_tolerance_and_leaderboard():
    land = ol.Quadratic(kappa=10)
    results = pg.race({"SGD": ol.SGD(lr=1.0), "Momentum": ol.Momentum(lr=0.5),
                       "Adam": ol.Adam(lr=1e-4), "RMSProp": ol.RMSProp(lr=50.0, rho=0.0)},
                      land, steps=100)
    k = pg.steps_to_tolerance(results["SGD"])
    gap = results["SGD"].gap
    assert gap[k] <= pg.TOL * gap[0] < gap[k - 1]
    assert pg.steps_to_tolerance(results["Adam"]) == -1
    board = pg.leaderboard(results, lrs={n: 0.1 for n in results}).splitlines()
    assert board[0] == pg._HEADER
    names = [line.split()[0] for line in board[1:]]
    ks = {n: pg.steps_to_tolerance(results[n]) for n in ("SGD", "Momentum")}
    assert names[:2] == sorted(ks, key=ks.get)
    assert names[2] == "Adam" and "—" in board[3]
    if results["RMSProp"].diverged:
        assert f"diverged at step {int(results['RMSProp'].diverged_at)}" in board[4]
    with pytest.raises(ValueError, match="Invalid tol"):
        pg.steps_to_tolerance(results["SGD"], tol=0)


def test_the_learning_rates_are_the_tuned_ones():
    for name, (x0, y0, steps) in pg.TUNING.items():
        best = pg.tune_lrs(name, x0, y0, steps)
        for opt, (lr, score) in best.items():
            assert pg.HYPERPARAMETERS[name][opt]["lr"] == lr, (name, opt)
            assert np.isfinite(score)
    assert set(pg.HYPERPARAMETERS) == set(pg.LANDSCAPES)
    for table in pg.HYPERPARAMETERS.values():
        assert tuple(table) == pg.OPTIMIZERS
        for opt, h in table.items():
            pg.make_optimizer(opt, **h)              # valid settings


def test_start_fractions_round_trip():
    for name in pg.LANDSCAPES:
        land = pg.LANDSCAPES[name]
        fx, fy = pg.start_fractions(name, land.start)
        np.testing.assert_allclose(pg.start_point(name, fx, fy), land.start)


def test_presets_are_settings_of_the_explorer():
    spec = EXPLORERS["playground"]
    for preset, values in pg.PRESETS.items():
        assert set(values) == set(spec.controls) - {"preset"}, preset
        for key, value in values.items():
            assert spec.controls[key].snap(value) == pytest.approx(value), (preset, key)


def test_presets_show_the_behaviour_the_chapter_describes():
    _, valley, _ = pg.preset_runs("long valley")
    k = {n: pg.steps_to_tolerance(r) for n, r in valley.items()}
    assert k["Momentum"] < k["SGD"] and k["Nesterov"] < k["SGD"]
    _, saddle, _ = pg.preset_runs("saddle point")
    k = {n: pg.steps_to_tolerance(r) for n, r in saddle.items()}
    assert 0 < k["Adam"] < k["SGD"] or k["SGD"] == -1
    _, reddi, _ = pg.preset_runs("Reddi's counterexample")
    assert reddi["Adam"].final[0] > 0.9 and pg.steps_to_tolerance(reddi["Adam"]) == -1
    # scored by the mean over a period: AMSGrad ends at x = -1 and steps away from it by at most
    # 2η per period, Adam sits at the wrong end
    assert reddi["AMSGrad"].final[0] == -1.0
    assert pg.scored_gap(reddi["AMSGrad"])[-1] < pg.scored_gap(reddi["Adam"])[-1] / 50


# -- the explorer ------------------------------------------------------------------------
def _axes():
    fig = Figure(figsize=(11, 4.2))
    return list(fig.subplots(1, 3))


def test_every_preset_draws_and_reports():
    for preset, values in pg.PRESETS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            message = pg.playground(_axes(), **values)
            # the preset control gives the same picture and report, whatever the others say
            other = {**values, "landscape": "Himmelblau", "steps": 10.0, "sgd": False}
            named = pg.playground(_axes(), preset=preset, **other)
        assert message.startswith(values["landscape"]), message
        assert named == f"Preset “{preset}”: " + message
    with pytest.raises(ValueError, match="Invalid preset"):
        pg.playground(_axes(), preset="banana", **pg.PRESETS["long valley"])


def test_custom_settings_draw_without_warnings():
    """More of the custom space than the book-wide fuzz: 150 random settings, every
    landscape, noise and rate, into a plain figure with warnings as errors."""
    spec = EXPLORERS["playground"]
    rng = np.random.default_rng(12)
    diverged = 0
    for values in random_settings(spec, 150, rng):
        values["preset"] = pg.CUSTOM
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            message = pg.playground(_axes(), **values)
        assert isinstance(message, str) and message
        if "diverge" in message:
            assert "diverged at step" in message
            diverged += 1
    assert diverged > 0       # the ranges do reach divergence


def test_the_report_names_the_start_the_runs_take():
    values = {**pg.PRESETS["Reddi's counterexample"], "x0": 0.0}   # x = -1.2, outside
    message = pg.playground(_axes(), **values)
    assert "from (-1.00, 0.96)" in message
    _, results, _ = pg.runs(**values)
    assert all(r.path[0, 0] == -1.0 for r in results.values())


def test_no_optimizer_ticked_says_so():
    values = {**pg.PRESETS["long valley"], **{n.lower(): False for n in pg.OPTIMIZERS}}
    assert pg.playground(_axes(), **values).endswith("no optimizer ticked")


def test_explore_moves_every_control_to_a_preset():
    explorer = pg.explore("saddle point")
    assert explorer.values() == pytest.approx({**pg.PRESETS["saddle point"],
                                               "preset": "saddle point"})
    explorer.controls["preset"].value = "Reddi's counterexample"
    assert explorer.values() == pytest.approx({**pg.PRESETS["Reddi's counterexample"],
                                               "preset": "Reddi's counterexample"})
    assert explorer.message.startswith("Preset “Reddi's counterexample”: Reddi")
    explorer.controls["steps"].value = 100.0          # a move of one's own: a custom setting
    assert explorer.controls["preset"].value == pg.CUSTOM
    assert explorer.message.startswith("Reddi (C = 3), 100 steps")
    assert explorer.values()["landscape"] == "Reddi (C = 3)"
    with pytest.raises(ValueError, match="Invalid preset"):
        pg.explore("banana")


def test_the_website_steps_through_every_preset():
    explorer = pg.explore()
    frames = explorer.frames(*EXPLORERS["playground"].flipbook)
    assert [value for value, _, _ in frames] == list(pg.PRESETS)
    for (preset, message, png), values in zip(frames, pg.PRESETS.values()):
        assert message.startswith(f"Preset “{preset}”: {values['landscape']}")
        assert png.startswith(b"\x89PNG")
    page = explorer.snapshot_html()          # every frame's report is in the page's script
    for _, message, _ in frames:
        assert json.dumps(message)[1:-1] in page
