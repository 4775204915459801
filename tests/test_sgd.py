"""Chapter 2's formulas against simulation, and its experiment functions."""
import math
import warnings

import numpy as np
import pytest

import optimlib as ol
from optimlib.experiments.registry import EXPLORERS, corner_settings, random_settings
from optimlib.experiments.sgd import (
    LeastSquares, diabetes_pair, floor_loss, inverse_time_floor, minibatch_variance,
    noise_floor, per_example_grads, plot_band, sample_minibatch_error, schedule_for,
    sgd_minibatch, sgd_runs)
from optimlib.models import LinearRegression
from optimlib.training import batch_order


def test_minibatch_variance_matches_sampling_with_and_without_replacement():
    G = np.random.default_rng(0).normal(size=(50, 3)) * [1.0, 2.0, 0.5]
    sigma2 = np.mean(np.sum((G - G.mean(0)) ** 2, axis=1))
    for B in [1, 5, 25, 49]:
        for repl in [True, False]:
            pred = minibatch_variance(sigma2, 50, B, repl)
            m, se, bias = sample_minibatch_error(G, B, 20_000, repl, seed=B)
            assert abs(m - pred) < 4 * se, (B, repl, m, pred, se)
            assert bias < 0.05
    # the whole data set without replacement is the exact gradient
    m, se, bias = sample_minibatch_error(G, 50, 100, False)
    assert m < 1e-25 and minibatch_variance(sigma2, 50, 50, False) == 0


def test_minibatch_variance_rejects_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_variance(1.0, 10, 11, True)
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_variance(1.0, 10, 0, False)
    with pytest.raises(ValueError, match="Invalid n"):
        minibatch_variance(1.0, 1, 1, False)


def test_per_example_grads_average_to_the_full_gradient():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    model = LinearRegression(3, l2=0.1)
    params = model.init(seed=0, scale=0.5)
    G = per_example_grads(model, params, X, y)
    _, g = model.loss_and_grad(params, X, y)
    assert G.shape == (20, 4)
    assert np.allclose(G.mean(0), np.concatenate([g["W"].ravel(), g["b"]]), atol=1e-14)


@pytest.mark.parametrize("eta", [0.1, 0.5, 1.5])
def test_noise_floor_matches_a_long_simulation(eta):
    lam, sigma = np.array([0.2, 1.0]), 0.3
    quad = ol.Quadratic(kappa=5.0)
    res = ol.run(ol.SGD(lr=eta), quad, steps=2000, start=np.zeros((400, 2)),
                 noise=sigma, seed=5)
    z = res.path[1000:] @ quad.eigenvectors
    measured = (z ** 2).mean(axis=(0, 1))
    assert np.allclose(measured, noise_floor(eta, lam, sigma ** 2), rtol=0.05)
    assert res.gap[1000:].mean() == pytest.approx(floor_loss(eta, lam, [sigma ** 2] * 2),
                                                  rel=0.05)


def test_noise_floor_transient_formula():
    # E z_t² = (1-ηλ)^{2t}(z0² - s∞) + s∞, checked at a few steps
    eta, lam, sigma, z0 = 0.1, 1.0, 0.5, 2.0
    rng = np.random.default_rng(2)
    z = np.full(200_000, z0)
    s_inf = noise_floor(eta, lam, sigma ** 2)
    for t in range(1, 31):
        z = (1 - eta * lam) * z - eta * sigma * rng.standard_normal(z.size)
        if t in (5, 15, 30):
            pred = (1 - eta * lam) ** (2 * t) * (z0 ** 2 - s_inf) + s_inf
            assert np.mean(z ** 2) == pytest.approx(pred, rel=0.01)


def test_noise_floor_is_infinite_outside_the_stable_range():
    assert noise_floor(2.0, 1.0, 1.0) == np.inf
    assert noise_floor(0.0, 1.0, 1.0) == np.inf
    assert np.isinf(floor_loss(2.5, [0.1, 1.0], [1.0, 1.0]))


def test_inverse_time_floor_matches_simulation():
    # η_t = a/t on ½λz² with Gaussian noise: t·E z_t² → a²σ²/(2aλ-1)
    a, lam, sigma = 2.0, 1.0, 1.0
    rng = np.random.default_rng(3)
    z = np.zeros(100_000)
    for t in range(1, 2001):
        z = (1 - a / t * lam) * z - a / t * sigma * rng.standard_normal(z.size)
    assert np.mean(z ** 2) == pytest.approx(inverse_time_floor(a, lam, sigma ** 2, 2000),
                                            rel=0.03)
    assert inverse_time_floor(0.2, 1.0, 1.0, 10) == np.inf


def test_least_squares_landscape_and_its_exact_floor():
    land = diabetes_pair()
    theta = np.array([[0.3, -0.2], [0.0, 1.0]])
    direct = 0.5 * np.mean(land.residuals(theta) ** 2, axis=-1)
    assert np.allclose(land.f(theta), direct, rtol=1e-12)
    assert np.allclose(land.grad(land.minima[0]), 0, atol=1e-14)
    rows = np.arange(land.n)[None]
    assert np.allclose(land.batch_grad(theta[:1], rows), land.grad(theta[:1]))
    # the exact stationary covariance against 200 seeds (with replacement)
    for eta, B in [(0.1, 1), (0.1, 8)]:
        P = land.stationary_covariance(eta, B)
        runs = sgd_runs(land, eta, B, 4 * B, seeds=200, replacement=True,
                        start=land.minima[0])
        d = runs.path[runs.steps // 2:] - land.minima[0]
        measured = np.einsum("tsi,tsj->ij", d, d) / (d.shape[0] * d.shape[1])
        assert np.allclose(measured, P, rtol=0.08, atol=0.08 * np.abs(P).max())
    assert land.stationary_covariance(1.0, 1) is None     # no stationary state


def test_sgd_runs_use_the_batches_of_batch_order_and_the_library_sgd():
    land = diabetes_pair()
    for repl in [True, False]:
        runs = sgd_runs(land, 0.05, 7, 2, seeds=2, replacement=repl)
        for s in range(2):
            theta = land.start.copy()
            opt = ol.SGD(lr=0.05)
            for t, rows in enumerate(batch_order(land.n, 7, 2, seed=s, replacement=repl), 1):
                opt.update(theta, land.batch_grad(theta, rows))
                assert np.allclose(runs.path[t, s], theta, rtol=1e-13, atol=1e-15)
        assert runs.grad_evals[-1] == 2 * land.n if not repl else 2 * 7 * math.ceil(land.n / 7)


def test_sgd_runs_with_array_and_schedule_learning_rates_equal_single_runs():
    land = diabetes_pair()
    etas = np.array([0.01, 0.2])
    both = sgd_runs(land, etas, 4, 1, seeds=3)
    for k, eta in enumerate(etas):
        one = sgd_runs(land, float(eta), 4, 1, seeds=3)
        assert np.array_equal(both.path[:, k], one.path)
    scheds = [schedule_for(kind, 0.1, 100) for kind in ["step", "1/t"]]
    stacked = sgd_runs(land, lambda t: np.array([s(t) for s in scheds]), 4, 1, seeds=2)
    for k, s in enumerate(scheds):
        assert np.array_equal(stacked.path[:, k], sgd_runs(land, s, 4, 1, seeds=2).path)


def test_sgd_runs_report_divergence_and_reject_bad_arguments():
    land = diabetes_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs = sgd_runs(land, 3.0, 1, 1, seeds=4)
    assert runs.diverged.all() and np.isnan(runs.path[-1]).all()
    with pytest.raises(ValueError, match="seeds"):
        sgd_runs(land, 0.1, 1, 1, seeds=0)
    with pytest.raises(ValueError, match="epochs"):
        sgd_runs(land, 0.1, 1, 0)
    with pytest.raises(ValueError, match="batch_size"):
        sgd_runs(land, 0.1, 0, 1)
    with pytest.raises(ValueError):
        LeastSquares(np.zeros((3, 3)), np.zeros(3))


def test_schedule_for_starts_at_eta_and_ends_at_a_hundredth():
    for kind in ["exponential", "1/t"]:
        s = schedule_for(kind, 0.3, 50)
        assert s(1) == pytest.approx(0.3) and s(50) == pytest.approx(0.003)
    assert schedule_for("step", 0.3, 50)(50) == pytest.approx(0.3 * 0.5 ** 4)
    assert schedule_for(0, 0.3, 50)(50) == 0.3
    with pytest.raises(ValueError, match="schedule"):
        schedule_for("cosine", 0.1, 10)


def _axes():
    from matplotlib.figure import Figure
    return Figure(figsize=(9, 3.6)).subplots(1, 2)


def test_plot_band_ignores_diverged_runs():
    ax = _axes()[0]
    values = np.array([[1.0, 2.0, 3.0], [np.nan, 1.0, 2.0], [np.nan] * 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plot_band(ax, np.arange(3), values) is ax
    assert np.allclose(ax.lines[0].get_ydata()[:2], [2.0, 1.5])
    assert np.isnan(ax.lines[0].get_ydata()[2])


def test_explorer_reports_floor_and_divergence():
    msg = sgd_minibatch(_axes(), eta=0.1, batch_size=8, replacement=1)
    assert "floor predicted 0.0047" in msg and "diverged" not in msg
    msg = sgd_minibatch(_axes(), eta=2.0, batch_size=1)
    assert "diverged at step" in msg
    assert "sgd_minibatch" in EXPLORERS


def test_explorer_draws_every_corner_and_random_setting_without_warnings():
    spec = EXPLORERS["sgd_minibatch"]
    settings = corner_settings(spec) + random_settings(spec, 6, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in settings:
            message = spec.draw(_axes(), **values)
            assert isinstance(message, str) and message
