"""Chapter 3's formulas against simulation: the matrix R, stability, the √μ band, critical
damping, Polyak's optimum, the noise floor, the two momentum forms, and the explorer."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import optimlib as ol  # noqa: E402
from optimlib.experiments import EXPLORERS  # noqa: E402
from optimlib.experiments import momentum as mom  # noqa: E402
from optimlib.schedules import StepDecay  # noqa: E402

RNG = np.random.default_rng(20240903)


def test_matrix_trace_det_and_closed_form_eigenvalues():
    eta, mu, lam = RNG.uniform(0, 4, 200), RNG.uniform(0, 0.999, 200), RNG.uniform(0.01, 2, 200)
    R = mom.momentum_matrix(eta, mu, lam)
    assert R.shape == (200, 2, 2)
    np.testing.assert_allclose(np.trace(R, axis1=-2, axis2=-1), 1 + mu - eta * lam)
    np.testing.assert_allclose(np.linalg.det(R), mu, atol=1e-12)
    closed = np.sort_complex(mom.momentum_eigenvalues(eta, mu, lam))
    numeric = np.sort_complex(np.linalg.eigvals(R))
    np.testing.assert_allclose(closed, numeric, atol=1e-6)   # double roots: sqrt(rounding)
    mod = np.abs(mom.momentum_eigenvalues(eta, mu, lam))
    assert np.all(mod[:, 0] >= mod[:, 1])


def test_R_is_the_library_update_in_the_eigenbasis():
    quad = ol.Quadratic(kappa=30, angle=25)
    eta, mu = 0.9, 0.7
    res = ol.run(ol.Momentum(lr=eta, momentum=mu), quad, steps=80)
    z = res.path @ quad.eigenvectors
    for i, lam in enumerate(quad.eigenvalues):
        state = np.array([z[0, i], 0.0])
        R = mom.momentum_matrix(eta, mu, lam)
        for t in range(1, 81):
            state = R @ state
            assert state[0] == pytest.approx(z[t, i], abs=1e-12)


def test_stability_iff_eta_lambda_below_2_plus_2mu():
    a = RNG.uniform(-0.5, 5, 5000)
    mu = RNG.uniform(0, 0.999, 5000)
    rho = mom.momentum_rate(a, mu, [1.0])
    inside = (a > 1e-9) & (a < 2 + 2 * mu - 1e-9)
    outside = (a < -1e-9) | (a > 2 + 2 * mu + 1e-9)
    assert np.all(rho[inside] < 1) and np.all(rho[outside] > 1)
    assert mom.stability_limit(0.9, 2.0) == pytest.approx(1.9)


@pytest.mark.parametrize("mu", [0.0, 0.5, 0.9])
def test_stability_limit_by_simulation(mu):
    quad = ol.Quadratic(kappa=10)
    limit = mom.stability_limit(mu, 1.0)
    etas = np.array([limit - 1e-3, limit + 1e-3])
    rates = mom.fitted_rate(ol.run(ol.Momentum(lr=etas, momentum=mu), quad, steps=3000))
    assert rates[0] < 1 < rates[1]


def test_complex_band_has_modulus_sqrt_mu_and_the_lower_bound_holds():
    a = RNG.uniform(1e-4, 4.5, 5000)
    mu = RNG.uniform(0, 0.999, 5000)
    rho = mom.momentum_rate(a, mu, [1.0])
    bound = np.maximum(np.sqrt(mu), np.abs(1 - np.sqrt(a)))
    assert np.all(rho >= bound - 1e-7)
    band = ((1 - np.sqrt(mu)) ** 2 + 1e-6 < a) & (a < (1 + np.sqrt(mu)) ** 2 - 1e-6)
    np.testing.assert_allclose(rho[band], np.sqrt(mu[band]), rtol=1e-12)
    outside = ~band & ~(np.abs(a - (1 - np.sqrt(mu)) ** 2) < 1e-5) \
        & ~(np.abs(a - (1 + np.sqrt(mu)) ** 2) < 1e-5)
    assert np.all(rho[outside] > bound[outside])


def test_band_rate_sqrt_mu_by_simulation():
    iso = ol.Quadratic(kappa=1.0)
    etas = np.array([0.05, 0.5, 1.5, 3.0])
    rates = mom.fitted_rate(ol.run(ol.Momentum(lr=etas, momentum=0.81), iso, steps=2000))
    np.testing.assert_allclose(rates, 0.9, atol=1e-4)


@pytest.mark.parametrize("a", [0.01, 0.2, 0.7, 1.5, 3.0])
def test_critical_momentum_gives_a_double_root(a):
    mu_c = mom.critical_momentum(a, 1.0)
    assert (1 + mu_c - a) ** 2 - 4 * mu_c == pytest.approx(0, abs=1e-12)
    roots = mom.momentum_eigenvalues(a, mu_c, 1.0)
    np.testing.assert_allclose(roots.real, 1 - np.sqrt(a), atol=1e-7)
    # the best μ for this direction is μ_c (theory over a fine grid)
    if a < 1:
        mus = np.linspace(0, 0.999, 20001)
        best = mus[np.argmin(mom.momentum_rate(a, mus, [1.0]))]
        assert best == pytest.approx(mu_c, abs=1e-4)


@pytest.mark.parametrize("a", [0.01, 0.3, 2.0])
def test_critical_path_from_rest(a):
    iso = ol.Quadratic(kappa=1.0)
    res = ol.run(ol.Momentum(lr=a, momentum=mom.critical_momentum(a, 1.0)), iso, steps=300,
                 start=[1.0, 0.0])
    t = np.arange(301)
    formula = (1 + t * np.sqrt(a)) * (1 - np.sqrt(a)) ** t
    np.testing.assert_allclose(res.path[:, 0], formula, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1000.0])
def test_polyak_optimum(kappa):
    lam = ol.Quadratic(kappa=kappa).eigenvalues
    eta, mu, rate = mom.momentum_best(lam)
    s = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    assert rate == pytest.approx(s) and mu == pytest.approx(s * s)
    assert eta == pytest.approx(4 / (np.sqrt(lam[0]) + np.sqrt(lam[1])) ** 2)
    assert mom.momentum_rate(eta, mu, lam) == pytest.approx(s, abs=1e-7)
    # no grid point does better than the theorem's bound
    etas, mus = np.linspace(0.01, 4, 400), np.linspace(0, 0.999, 400)
    assert mom.momentum_rate(etas[:, None], mus[None, :], lam).min() >= s - 1e-7
    # and it beats gradient descent's best
    assert s < (kappa - 1) / (kappa + 1)


def test_optimum_step_count_matches_the_critical_path_formula():
    quad = ol.Quadratic(kappa=100)
    eta, mu, s = mom.momentum_best(quad.eigenvalues)
    res = ol.run(ol.Momentum(lr=eta, momentum=mu), quad, steps=200)
    z0 = quad.start @ quad.eigenvectors
    t = np.arange(201)[:, None]
    predicted = s ** t[:, 0] * np.sqrt(((z0 * (1 + t * np.sqrt(eta * quad.eigenvalues)))
                                        ** 2).sum(axis=1))
    np.testing.assert_allclose(res.distance(), predicted, rtol=1e-8)


def test_rate_map_measured_matches_predicted():
    quad = ol.Quadratic(kappa=10)
    etas, mus = np.linspace(0.05, 4.2, 30), np.linspace(0, 0.95, 20)
    predicted, measured, result = mom.rate_map(etas, mus, quad, steps=600)
    ok = (predicted < 0.995) & ~result.diverged
    assert ok.sum() > 300
    assert np.median(np.abs(measured - predicted)[ok]) < 1e-4
    assert np.all((measured >= 1)[predicted > 1.001] | result.diverged[predicted > 1.001])


def test_predicted_loss_is_the_simulated_loss():
    quad = ol.Quadratic(kappa=50, angle=40)
    etas, mus = np.array([0.5, 1.2, 3.0]), np.array([0.0, 0.6, 0.9])
    res = ol.run(ol.Momentum(lr=etas, momentum=mus), quad, steps=120)
    pred = mom.predicted_loss(etas, mus, quad.eigenvalues, quad.start @ quad.eigenvectors, 120)
    np.testing.assert_allclose(pred, res.gap, rtol=1e-9, atol=1e-300)


def test_noise_floor_formula():
    lam = np.array([0.1, 1.0])
    # μ = 0 is SGD's floor
    for eta in [0.1, 0.5, 1.5]:
        sgd = sum(0.5 * l * eta / (l * (2 - eta * l)) for l in lam)
        assert mom.momentum_noise_floor(eta, 0.0, lam, 1.0) == pytest.approx(sgd)
    assert mom.momentum_noise_floor(2.5, 0.0, lam, 1.0) == np.inf
    # at a fixed effective rate, μ → 1 approaches n·η_eff·σ²/4 from above
    floors = [mom.momentum_noise_floor(0.5 * (1 - m), m, lam, 1.0) for m in [0, 0.5, 0.9, 0.999]]
    assert np.all(np.diff(floors) < 0) and floors[-1] == pytest.approx(0.25, rel=1e-3)
    # against simulation
    quad = ol.Quadratic(kappa=10)
    runs = 200
    res = ol.run(ol.Momentum(lr=0.1, momentum=0.8), quad, steps=2500,
                 start=np.zeros((runs, 2)), noise=0.7, seed=5)
    per_run = res.gap[500:].mean(axis=0)
    pred = mom.momentum_noise_floor(0.1, 0.8, quad.eigenvalues, 0.7)
    assert abs(per_run.mean() - pred) < 4 * per_run.std(ddof=1) / np.sqrt(runs)


def test_pytorch_form_equal_for_constant_lr_and_different_after_a_decay():
    bowl = ol.Bowl()
    a = ol.run(ol.Momentum(lr=0.1, momentum=0.9), bowl, steps=300).path
    b = ol.run(mom.PyTorchMomentum(lr=0.1, momentum=0.9), bowl, steps=300).path
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
    eta, mu, s, gamma = 0.1, 0.9, 50, 0.1
    geo = lambda n: (1 - mu ** n) / (1 - mu)  # noqa: E731
    steps = {}
    for cls in (ol.Momentum, mom.PyTorchMomentum):
        opt, theta, path = cls(lr=StepDecay(eta, step_size=s, gamma=gamma), momentum=mu), \
            np.zeros(1), [0.0]
        for _ in range(100):
            opt.update(theta, np.ones(1))
            path.append(theta[0])
        steps[cls] = -np.diff(path)
    for k in range(0, 50):
        v = mu ** k * eta * geo(s) + gamma * eta * geo(k)
        b_ = (gamma if k else 1) * eta * geo(s + k)
        assert steps[ol.Momentum][s + k - 1] == pytest.approx(v, rel=1e-12)
        assert steps[mom.PyTorchMomentum][s + k - 1] == pytest.approx(b_, rel=1e-12)
    assert steps[ol.Momentum][s] > 9 * steps[mom.PyTorchMomentum][s]
    assert mom.PyTorchMomentum(lr=0.1).label == "Momentum (PyTorch form)"
    with pytest.raises(ValueError, match="momentum"):
        mom.PyTorchMomentum(momentum=1.0)


def test_exponential_weights_half_life_and_terminal_velocity():
    opt, theta = ol.Momentum(lr=0.1, momentum=0.9), np.zeros(1)
    w = []
    for t in range(500):
        opt.update(theta, np.array([1.0 if t == 0 else 0.0]))
        w.append(opt.v[0])
    w = np.array(w) / w[0]
    np.testing.assert_allclose(w, 0.9 ** np.arange(500), rtol=1e-12)
    assert int(np.argmax(w <= 0.5)) == int(np.ceil(np.log(2) / np.log(1 / 0.9))) == 7


def test_fitted_rate_on_arrays_and_results():
    d = 0.8 ** np.arange(100) * (2 + np.cos(0.7 * np.arange(100)))
    assert mom.fitted_rate(0.5 ** np.arange(50)) == pytest.approx(0.5)
    assert abs(mom.fitted_rate(d) - 0.8) < 5e-3
    assert np.isnan(mom.fitted_rate(np.array([1.0, 0.5])))
    batch = np.stack([0.5 ** np.arange(60), 0.9 ** np.arange(60)], axis=1)
    np.testing.assert_allclose(mom.fitted_rate(batch), [0.5, 0.9])


def test_explorer_is_registered_and_reports_divergence_in_words():
    spec = EXPLORERS["momentum_bowl"]
    assert spec.chapter == "03_momentum" and spec.flipbook[0] == "mu"
    fig = Figure(figsize=spec.figsize)
    axes = fig.subplots(1, 3)
    msg = mom.momentum_bowl(axes, eta=0.1, mu=0.9)
    assert "0.949 predicted" in msg and "diverged" not in msg
    fig.clear()
    msg = mom.momentum_bowl(fig.subplots(1, 3), eta=2.2, mu=0.0)
    assert "diverged at step" in msg
