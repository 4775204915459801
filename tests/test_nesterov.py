"""Chapter 4 (Nesterov): every formula of optimlib.experiments.nesterov against a simulation."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.figure  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optimlib as ol  # noqa: E402
from optimlib.experiments import nesterov as nag  # noqa: E402
from optimlib.reference import TorchSGD  # noqa: E402


def _one_direction(cls, eta, mu, lam, steps):
    """θ_t of an optimlib optimizer on ½λθ², from θ_0 = 1, and its velocity."""
    opt = cls(lr=eta, momentum=mu)
    x = np.ones(1)
    out = [(x[0], 0.0)]
    for _ in range(steps):
        opt.update(x, lam * x)
        out.append((x[0], float(opt.v[0])))
    return np.array(out)


@pytest.mark.parametrize("eta,mu,lam", [(0.3, 0.9, 1.0), (1.2, 0.5, 1.0), (0.01, 0.99, 3.0)])
def test_matrices_reproduce_the_library_updates(eta, mu, lam):
    for cls, matrix in [(ol.Nesterov, nag.nesterov_matrix), (ol.Momentum, nag.heavy_ball_matrix)]:
        states = _one_direction(cls, eta, mu, lam, 30)
        R = matrix(eta, mu, lam)
        predicted = [np.array([1.0, 0.0])]
        for _ in range(30):
            predicted.append(R @ predicted[-1])
        np.testing.assert_allclose(states, np.array(predicted), rtol=1e-10, atol=1e-13)


def test_trace_and_determinant():
    eta, mu, lam = np.meshgrid([0.1, 0.7, 1.5], [0.0, 0.5, 0.95], [0.2, 1.0], indexing="ij")
    R = nag.nesterov_matrix(eta, mu, lam)
    a = 1 - eta * lam
    np.testing.assert_allclose(np.trace(R, axis1=-2, axis2=-1), (1 + mu) * a, atol=1e-14)
    np.testing.assert_allclose(np.linalg.det(R), mu * a, atol=1e-14)
    H = nag.heavy_ball_matrix(eta, mu, lam)
    np.testing.assert_allclose(np.linalg.det(H), mu, atol=1e-14)


def test_rate_is_the_spectral_radius_and_matches_simulation():
    etas = np.array([0.05, 0.5, 0.9, 1.2, 1.3, 2.0])
    for mu in [0.0, 0.5, 0.9]:
        pred = nag.nesterov_rate(etas, mu, [1.0])
        radius = np.abs(np.linalg.eigvals(nag.nesterov_matrix(etas, mu, 1.0))).max(axis=-1)
        np.testing.assert_allclose(pred, radius, atol=1e-7)
        np.testing.assert_allclose(nag.measured_factor("Nesterov", etas, mu), pred, rtol=2e-3)
        hb = nag.heavy_ball_rate(etas, mu, [1.0])
        np.testing.assert_allclose(nag.measured_factor("Momentum", etas, mu), hb, rtol=2e-3)


def test_complex_modulus_is_sqrt_mu_a_for_nesterov_and_sqrt_mu_for_heavy_ball():
    mu = 0.9
    for e in [0.01, 0.2, 0.6, 0.95]:
        roots = np.linalg.eigvals(nag.nesterov_matrix(e, mu, 1.0))
        assert np.all(np.abs(roots.imag) > 0)
        np.testing.assert_allclose(np.abs(roots), np.sqrt(mu * (1 - e)), rtol=1e-12)
        hb = np.linalg.eigvals(nag.heavy_ball_matrix(e, mu, 1.0))
        np.testing.assert_allclose(np.abs(hb), np.sqrt(mu), rtol=1e-12)


@pytest.mark.parametrize("mu", [0.0, 0.3, 0.9, 0.99])
def test_stability_limit_by_simulation(mu):
    limit = nag.nesterov_stability_limit(mu)
    inside, outside = nag.measured_factor("Nesterov", np.array([0.998, 1.002]) * limit, mu)
    assert inside < 1 < outside
    np.testing.assert_allclose(nag.nesterov_stability_limit(mu, lam_max=4.0), limit / 4)


def test_critical_momentum_gives_a_double_root():
    for e in [1e-3, 0.04, 0.5]:
        mu_c = nag.nesterov_critical_momentum(e, 1.0)
        roots = np.linalg.eigvals(nag.nesterov_matrix(e, mu_c, 1.0))
        np.testing.assert_allclose(roots, 1 - np.sqrt(e), atol=1e-6)
        measured = nag.measured_factor("Nesterov", e, mu_c, steps=6000)
        assert 0 < measured - (1 - np.sqrt(e)) < 3e-3   # the factor t of a double root


def test_eta_lambda_one_solves_a_direction_in_two_steps():
    states = _one_direction(ol.Nesterov, 1.0, 0.7, 1.0, 3)
    assert abs(states[2, 0]) < 1e-15 and abs(states[3, 0]) < 1e-15


@pytest.mark.parametrize("kappa", [4.0, 100.0, 2500.0])
def test_best_and_standard_parameters(kappa):
    lam = [1 / kappa, 1.0]
    eta, mu, rate = nag.nesterov_best(lam)
    assert rate == pytest.approx(nag.nesterov_rate(eta, mu, lam), abs=1e-6)
    # no point of a grid around it does better
    etas = np.linspace(0.8 * eta, 1.2 * eta, 201)
    mus = np.linspace(max(0, mu - 0.1), min(0.999, mu + 0.1), 201)
    assert nag.nesterov_rate(etas[:, None], mus[None, :], lam).min() >= rate - 1e-6
    eta_s, mu_s, rate_s = nag.nesterov_standard(lam)
    assert rate_s == pytest.approx(nag.nesterov_rate(eta_s, mu_s, lam), abs=1e-6)
    eta_h, mu_h, rate_h = nag.heavy_ball_best(lam)
    assert rate_h == pytest.approx(nag.heavy_ball_rate(eta_h, mu_h, lam), abs=1e-6)
    assert rate_h < rate < rate_s      # heavy ball wins on quadratics
    quad = ol.Quadratic(kappa=kappa)
    result = ol.run(ol.Nesterov(lr=eta, momentum=mu), quad, steps=int(min(80 / (1 - rate), 6000)))
    assert ol.measured_rate(result) == pytest.approx(rate, abs=0.01)


def test_three_forms_and_the_brake_form_give_one_sequence():
    land = ol.Rosenbrock()
    eta, mu, steps = 5e-4, 0.9, 300
    theta, ahead = nag.lookahead_nesterov(land.grad, land.start, eta, mu, steps)
    opt, p = ol.Nesterov(lr=eta, momentum=mu), land.start.copy()
    torch, q = TorchSGD(eta, momentum=mu, nesterov=True), land.start.copy()
    for t in range(1, steps + 1):
        opt.update(p, land.grad(p))
        q = torch.step(q, land.grad(q))
        np.testing.assert_allclose(p, ahead[t], atol=1e-12)
        np.testing.assert_allclose(q, ahead[t], atol=1e-12)
        np.testing.assert_allclose(p - mu * opt.v, theta[t], atol=1e-12)
    heavy = ol.run(ol.Momentum(lr=eta, momentum=mu), land, steps)
    assert np.abs(heavy.path[-1] - ahead[-1]).max() > 1e-3


def test_stationary_loss_matches_simulation_and_chapter_2():
    lam = np.array([0.1, 1.0])
    sigma, eta = 0.05, 0.5
    gd = nag.stationary_loss("SGD", eta, 0.0, lam, sigma)
    closed = np.sum(0.5 * lam * eta * sigma**2 / (lam * (2 - eta * lam)))
    assert gd == pytest.approx(closed, rel=1e-12)
    for name, mu in [("Nesterov", 0.8), ("Momentum", 0.8)]:
        predicted = nag.stationary_loss(name, eta, mu, lam, sigma)
        cls = ol.Nesterov if name == "Nesterov" else ol.Momentum
        gaps = nag.diagonal_quadratic_run(cls(lr=eta, momentum=mu), lam,
                                          np.zeros((400, 2)), 1200, noise=sigma, seed=3)
        assert gaps[400:].mean() == pytest.approx(predicted, rel=0.05)
    assert nag.stationary_loss("Nesterov", 2.0, 0.9, lam, sigma) == float("inf")
    with pytest.raises(ValueError, match="Invalid method: 'Adam'"):
        nag.stationary_loss("Adam", eta, 0.8, lam, sigma)


def test_piecewise_quadratic_heavy_ball_cycles_and_nesterov_converges():
    pw = nag.PiecewiseQuadratic()
    x = np.linspace(-5, 5, 2001)
    delta = 1e-6      # central differences: h' is continuous, kinks only in h''
    np.testing.assert_allclose((pw.h(x + delta) - pw.h(x - delta)) / (2 * delta), pw.dh(x),
                               atol=1e-5)
    slopes = np.diff(pw.dh(x)) / np.diff(x)
    assert slopes.min() >= 1 - 1e-9 and slopes.max() <= 25 + 1e-9
    eta, mu, _ = nag.heavy_ball_best([pw.m, pw.L])
    r = ol.run(ol.Momentum(lr=eta, momentum=mu), pw, steps=300)
    np.testing.assert_allclose(r.path[-1], r.path[-4], atol=1e-9)         # period 3
    assert r.distance()[-1] > 1
    eta, mu, rate = nag.nesterov_standard([pw.m, pw.L])
    assert ol.run(ol.Nesterov(lr=eta, momentum=mu), pw, steps=300).distance()[-1] < 1e-12
    theta, _ = nag.lookahead_nesterov(pw.grad, pw.start, eta, mu, 100)
    bound = rate ** np.arange(101) * (pw.f(pw.start) + 0.5 * np.sum(pw.start**2))
    assert np.all(pw.f(theta) <= bound + 1e-300)


def test_convex_schedule_bound_and_library_variant():
    lam = np.geomspace(1e-3, 1.0, 30)
    x0 = np.ones(30)
    x, _ = nag.nesterov_convex_schedule(lambda z: lam * z, x0, 1.0, 500)
    gap = 0.5 * np.sum(lam * x**2, axis=-1)
    k = np.arange(1, 501)
    assert np.all(gap[1:] <= 2 * np.sum(x0**2) / (k + 1) ** 2)
    lib = nag.diagonal_quadratic_run(ol.Nesterov(lr=1.0, momentum=lambda t: (t - 1) / (t + 2)),
                                     lam, x0, 500)
    assert np.all(lib[1:] <= 2 * np.sum(x0**2) / (k + 1) ** 2)


def test_diagonal_quadratic_run_checks_its_input():
    with pytest.raises(ValueError, match="last axis must have length 3"):
        nag.diagonal_quadratic_run(ol.SGD(lr=0.1), [1, 2, 3], np.ones(2), 5)
    with pytest.raises(ValueError, match="Invalid method"):
        nag.measured_factor("Adam", 0.1, 0.5)


@pytest.mark.parametrize("values", [dict(eta=1.0, mu=0.8182), dict(eta=4.0, mu=0.99, kappa=1000.0),
                                    dict(eta=0.01, mu=0.0, kappa=1.0), dict(eta=1.0, mu=0.0, kappa=1.0)])
def test_explorer_draws_and_reports(values):
    fig = matplotlib.figure.Figure()
    message = nag.nesterov_vs_momentum(fig.subplots(1, 2), **values)
    assert "Momentum" in message and "Nesterov" in message
    if values["eta"] == 4.0:
        assert "diverged at step" in message
    else:
        assert "diverged" not in message
    assert "nesterov_vs_momentum" in ol.experiments.EXPLORERS
