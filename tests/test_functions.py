"""Landscapes: analytic gradients against finite differences, minima, shapes."""
import numpy as np
import pytest

import optimlib as ol

LANDSCAPES = [ol.Quadratic(), ol.Quadratic(kappa=50, angle=30, lam_max=2.0), ol.Bowl(),
              ol.Rosenbrock(), ol.Rosenbrock(a=0.5, b=10), ol.Beale(), ol.Saddle(),
              ol.Himmelblau()]
IDS = [repr(l) for l in LANDSCAPES]


@pytest.mark.parametrize("land", LANDSCAPES, ids=IDS)
def test_gradient_matches_central_differences(land):
    rng = np.random.default_rng(0)
    lo = np.array([land.xlim[0], land.ylim[0]])
    hi = np.array([land.xlim[1], land.ylim[1]])
    pts = rng.uniform(lo, hi, size=(50, 2))
    h = 1e-6
    numeric = np.stack([(land.f(pts + h * e) - land.f(pts - h * e)) / (2 * h)
                        for e in np.eye(2)], axis=-1)
    analytic = land.grad(pts)
    scale = np.maximum(1.0, np.abs(analytic))
    np.testing.assert_allclose(analytic / scale, numeric / scale, atol=1e-5)


@pytest.mark.parametrize("land", LANDSCAPES, ids=IDS)
def test_minima_are_stationary_with_the_stated_value(land):
    np.testing.assert_allclose(land.grad(land.minima), 0.0, atol=1e-9)
    np.testing.assert_allclose(land.f(land.minima), land.f_min, atol=1e-12)
    # and no point of a fine grid is lower
    X, Y, Z = land.grid(300)
    assert Z.min() >= land.f_min - 1e-12


@pytest.mark.parametrize("land", LANDSCAPES, ids=IDS)
def test_vectorised_over_leading_axes(land):
    pts = np.zeros((3, 4, 2)) + land.start
    assert land.f(pts).shape == (3, 4)
    assert land.grad(pts).shape == (3, 4, 2)
    assert np.shape(land.f(land.start)) == ()
    assert land.distance_to_minimum(pts).shape == (3, 4)
    inside = (land.xlim[0] <= land.start[0] <= land.xlim[1]
              and land.ylim[0] <= land.start[1] <= land.ylim[1])
    assert inside, "default start must lie in the plot window"


def test_quadratic_spectrum_and_rotation():
    q = ol.Quadratic(kappa=25, angle=30, lam_max=2.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), [2.0 / 25, 2.0])
    assert q.lam_min == pytest.approx(0.08)
    v = q.eigenvectors[:, 0]
    np.testing.assert_allclose(q.A @ v, q.lam_min * v)
    np.testing.assert_allclose(v, [np.cos(np.pi / 6), np.sin(np.pi / 6)])


def test_bowl_is_the_book_function():
    b = ol.Bowl()
    pts = np.random.default_rng(1).normal(size=(10, 2))
    np.testing.assert_allclose(b.f(pts), pts[:, 0] ** 2 / 20 + pts[:, 1] ** 2)


def test_bad_points_and_parameters():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        ol.Rosenbrock().f(np.zeros(3))
    with pytest.raises(ValueError, match="Invalid kappa: 0.5"):
        ol.Quadratic(kappa=0.5)


@pytest.mark.parametrize("land", [ol.Rosenbrock(), ol.Beale(), ol.Himmelblau(), ol.Saddle(),
                                  ol.Quadratic(kappa=30, angle=20)], ids=repr)
def test_hessian_is_the_derivative_of_the_gradient(land):
    rng = np.random.default_rng(3)
    for theta in rng.uniform(-1.5, 1.5, size=(5, 2)):
        H = land.hessian(theta)
        np.testing.assert_allclose(H, H.T)
        d = rng.standard_normal(2) * 1e-6   # gradient changes by H d, to second order
        np.testing.assert_allclose(land.grad(theta + d) - land.grad(theta - d), 2 * H @ d,
                                   rtol=1e-4, atol=1e-9)


def test_rosenbrock_hessian_closed_form():
    x, y = 0.3, -0.7   # f = (1 - x)² + 100 (y - x²)²
    H = ol.Rosenbrock().hessian([x, y])
    np.testing.assert_allclose(H, [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x],
                                   [-400 * x, 200]], rtol=1e-6)


def test_newton_is_gd_on_the_landscape_preconditioned_by_its_hessian():
    quad = ol.Quadratic(kappa=100, angle=30)
    newton = ol.run(ol.SGD(lr=1.0), ol.Preconditioned(quad, quad.A), steps=1)
    assert newton.distance()[-1] < 1e-12   # one step to the minimum
    with pytest.raises(ValueError, match="Invalid P"):
        ol.Preconditioned(quad, [[1.0, 2.0], [2.0, 1.0]])
