"""Chapter 7 (Adadelta): every formula of optimlib.experiments.adadelta against a simulation."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import optimlib as ol  # noqa: E402
from optimlib.experiments import adadelta as ad  # noqa: E402


def simulate_constant(g, rho, eps, steps, lr=1.0):
    """Step lengths of the library's Adadelta on f(θ) = g·θ (constant gradient g)."""
    opt = ol.Adadelta(lr=lr, rho=rho, eps=eps)
    theta = np.zeros(1)
    out = []
    for _ in range(steps):
        before = theta.copy()
        opt.update(theta, np.full(1, g))
        out.append(abs(theta[0] - before[0]))
    return np.array(out)


@pytest.mark.parametrize("c", [1e-3, 0.5, 1.0, 7.0, 1e3])
def test_scaled_values_gradient_hessian(c):
    base = ol.Quadratic(kappa=10, angle=30)
    land = ad.Scaled(base, c)
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(5, 2))
    assert np.allclose(land.f(c * pts), base.f(pts), rtol=1e-12)
    assert np.allclose(land.grad(c * pts), base.grad(pts) / c, rtol=1e-12)
    assert np.allclose(land.hessian(c * pts[0]), base.A / c ** 2, rtol=1e-12)
    assert np.allclose(land.start, c * base.start)
    assert np.allclose(land.f(land.start), base.f(base.start))
    # Newton's step has the parameter's units: it is c times the unscaled one
    step = np.linalg.solve(land.hessian(land.start), land.grad(land.start))
    assert np.allclose(step, c * np.linalg.solve(base.A, base.grad(base.start)))


def test_scaled_array_scale_is_one_run_per_entry():
    base = ol.Quadratic(kappa=10, angle=30)
    cs = np.array([1e-2, 1.0, 1e2])
    batched = ol.run(ol.Adadelta(), ad.Scaled(base, cs), steps=50, start=ad.Scaled(base, cs).start)
    assert batched.path.shape == (51, 3, 2)
    for i, c in enumerate(cs):
        alone = ol.run(ol.Adadelta(), ad.Scaled(base, c), steps=50)
        assert np.allclose(batched.path[:, i], alone.path, rtol=1e-13, atol=0)
    # scale on the second axis, eps on the first (leading-axis rule)
    eps = np.array([1e-6, 1e-4])
    land = ad.Scaled(base, cs[None, :])
    grid = ol.run(ol.Adadelta(eps=eps[:, None]), land, steps=20, start=land.start)
    one = ol.run(ol.Adadelta(eps=1e-4), ad.Scaled(base, 1e2), steps=20)
    assert np.allclose(grid.path[:, 1, 2], one.path, rtol=1e-13, atol=0)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf, [1.0, -2.0]])
def test_scaled_rejects_bad_scale(bad):
    with pytest.raises(ValueError, match="scale"):
        ad.Scaled(ol.Quadratic(), bad)


def test_scaled_array_needs_minimum_at_origin():
    with pytest.raises(ValueError, match="origin"):
        ad.Scaled(ol.Rosenbrock(), np.array([1.0, 2.0]))


@pytest.mark.parametrize("g, rho, eps", [(1.0, 0.9, 1e-6), (1e-3, 0.95, 1e-6),
                                         (50.0, 0.5, 1e-2), (1e-4, 0.9, 1e-6)])
def test_first_step_and_exact_recursion_match_simulation(g, rho, eps):
    sim = simulate_constant(g, rho, eps, 300)
    assert ad.first_step(g, rho, eps) == pytest.approx(sim[0], rel=1e-12)
    exact = ad.constant_gradient_steps(g, rho, eps, 300)
    assert np.allclose(exact, sim, rtol=1e-10, atol=0)
    assert np.allclose(ad.constant_gradient_steps(g, rho, eps, 300, lr=0.001),
                       simulate_constant(g, rho, eps, 300, lr=0.001), rtol=1e-10, atol=0)


def test_first_step_large_gradient_limit():
    assert ad.first_step(1e3, 0.9, 1e-6) == pytest.approx(np.sqrt(1e-6 / 0.1), rel=1e-6)


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_step_growth_closed_form_and_distance_match_simulation(rho):
    eps, T = 1e-6, 4000
    sim = simulate_constant(1.0, rho, eps, T)
    t = np.arange(1, T + 1)
    closed = ad.step_growth(t, rho, eps)
    assert np.allclose(closed, sim, rtol=1e-3, atol=0)       # g²/(g²+ε) dropped: ~tε drift
    assert closed[0] == pytest.approx(np.sqrt(eps / (1 - rho)), rel=1e-12)
    assert ad.distance_travelled(T, rho, eps) == pytest.approx(sim.sum(), rel=1e-3)
    if rho <= 0.9:     # the √((1-ρ)εt) asymptote once t ≫ the constant in S_n - n
        assert sim[-1] / np.sqrt((1 - rho) * eps * T) == pytest.approx(1.0, abs=0.02)
        assert sim.sum() / (2 / 3 * np.sqrt((1 - rho) * eps) * T ** 1.5) == \
            pytest.approx(1.0, abs=0.05)


def test_step_growth_sum_is_the_telescoped_recursion():
    rho, eps = 0.8, 1e-4
    u, out = 0.0, []
    for t in range(1, 50):      # the recursion with ε dropped next to (1-ρ^t)g²
        s2 = (u + eps) / (1 - rho ** t)
        u = rho * u + (1 - rho) * s2
        out.append(np.sqrt(s2))
    assert np.allclose(ad.step_growth(np.arange(1, 50), rho, eps), out, rtol=1e-12)


def test_bad_rho_eps_raise():
    with pytest.raises(ValueError, match="rho"):
        ad.first_step(1.0, rho=1.0)
    with pytest.raises(ValueError, match="eps"):
        ad.step_growth(3, eps=0.0)
    with pytest.raises(ValueError, match="t"):
        ad.step_growth(np.array([0, 1]))
    with pytest.raises(ValueError, match="T"):
        ad.distance_travelled(2.5)


def test_steps_to_tolerance():
    gap = np.array([[1.0, 2.0], [0.1, 2.0], [1e-7, 1.0], [0.0, np.nan]])
    assert ad.steps_to_tolerance(gap).tolist() == [2, -1]
    assert ad.steps_to_tolerance(gap[:, 0], tol=0.5) == 1
    res = ol.run(ol.SGD(lr=1.0), ol.Quadratic(kappa=1.0), steps=3)
    assert ad.steps_to_tolerance(res) == 1
    with pytest.raises(ValueError, match="tol"):
        ad.steps_to_tolerance(gap, tol=0)


def test_explorer_pair_is_the_library_run():
    ada, rms = ad._pair(10.0, 0.9, 1e-6, 100)
    land = ad.Scaled(ad._BASE, 10.0)
    ref_a = ol.run(ol.Adadelta(rho=0.9, eps=1e-6), land, steps=100)
    ref_r = ol.run(ol.RMSProp(lr=ad._RMS_LR, rho=0.9, eps=1e-8), land, steps=100)
    assert np.allclose(ada.path, ref_a.path, rtol=1e-13, atol=0)
    assert np.allclose(rms.path, ref_r.path, rtol=1e-13, atol=0)
    assert np.allclose(ada.loss, ref_a.loss, rtol=1e-13, atol=0)


def test_explorer_reports():
    fig = Figure(figsize=(9.5, 3.7))
    text = ad.adadelta_scale(fig.subplots(1, 2), scale=1.0, rho=0.5, eps=1e-2)
    assert "Adadelta at 1e-6 after" in text and "RMSProp" in text
    fig.clear()
    text = ad.adadelta_scale(fig.subplots(1, 2), scale=1e3, rho=0.9, eps=1e-6)
    assert "not at 1e-6 in 200 steps" in text
