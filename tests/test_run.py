"""The runner: trajectories, divergence reports, noise, batches, rates."""
import warnings

import numpy as np
import pytest

import optimlib as ol


def test_path_and_loss_shapes():
    r = ol.run(ol.SGD(lr=0.001), ol.Rosenbrock(), steps=25)
    assert r.path.shape == (26, 2) and r.loss.shape == (26,)
    np.testing.assert_array_equal(r.path[0], ol.Rosenbrock().start)
    np.testing.assert_allclose(r.loss, ol.Rosenbrock().f(r.path))
    assert r.diverged_at == -1 and not r.diverged


def test_matches_manual_loop():
    land, opt = ol.Beale(), ol.Adam(lr=0.05)
    r = ol.run(opt, land, steps=40)
    p, manual = land.start.copy(), ol.Adam(lr=0.05)
    for _ in range(40):
        manual.update(p, land.grad(p))
    np.testing.assert_array_equal(r.final, p)


def test_divergence_is_reported_at_the_predicted_step_without_warnings():
    """GD on ½λx² with |1-ηλ| > 1: f grows by (1-ηλ)² per step."""
    land = ol.Quadratic(kappa=1.0)  # A = I
    lr, blowup = 2.5, 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ol.run(ol.SGD(lr=lr), land, steps=100, blowup=blowup)
    growth = (1 - lr) ** 2
    expected = int(np.floor(np.log(blowup) / np.log(growth))) + 1
    assert int(r.diverged_at) == expected
    assert r.status() == f"SGD: diverged at step {expected}"
    assert np.isnan(r.path[expected:]).all() and np.isfinite(r.path[:expected]).all()


def test_overflow_is_caught_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ol.run(ol.SGD(lr=1.0), ol.Rosenbrock(), steps=50, blowup=1e300)
    assert r.diverged and 1 <= r.diverged_at <= 10


def test_unstable_but_not_yet_diverged_is_said_in_words():
    r = ol.run(ol.SGD(lr=2.05), ol.Quadratic(kappa=1.0), steps=20)
    assert not r.diverged
    assert r.status().startswith("SGD: unstable, f − f* grew from")


def test_noise_is_seeded():
    a = ol.run(ol.SGD(lr=0.1), ol.Bowl(), steps=30, noise=0.5, seed=7)
    b = ol.run(ol.SGD(lr=0.1), ol.Bowl(), steps=30, noise=0.5, seed=7)
    c = ol.run(ol.SGD(lr=0.1), ol.Bowl(), steps=30, noise=0.5, seed=8)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)


def test_array_hyperparameters_make_a_batch():
    lrs = np.array([0.01, 0.1, 0.5, 2.5])[:, None]
    r = ol.run(ol.SGD(lr=lrs), ol.Quadratic(kappa=1.0), steps=40)
    assert r.path.shape == (41, 4, 2)
    np.testing.assert_array_equal(r.diverged, [False, False, False, True])
    for i, lr in enumerate(lrs[:, 0][:3]):
        single = ol.run(ol.SGD(lr=lr), ol.Quadratic(kappa=1.0), steps=40)
        np.testing.assert_allclose(r.path[:, i], single.path)
    assert r.status() == "SGD: 1 of 4 runs diverged"


def test_many_starts():
    starts = np.random.default_rng(0).uniform(-4, 4, size=(6, 2))
    r = ol.run(ol.Momentum(lr=0.01), ol.Himmelblau(), steps=300, start=starts)
    assert r.path.shape == (301, 6, 2)
    assert (r.distance()[-1] < 1e-3).all()


def test_run_many_names_results():
    out = ol.run_many({"SGD": ol.SGD(lr=0.1), "Adam": ol.Adam(lr=0.1)}, ol.Bowl(), steps=10)
    assert list(out) == ["SGD", "Adam"] and out["Adam"].name == "Adam"


@pytest.mark.parametrize("lr", [0.3, 1.0, 1.8, 2 / (1 + 1 / 10)])
def test_contraction_rate_of_gd_on_a_quadratic(lr):
    land = ol.Quadratic(kappa=10)
    r = ol.run(ol.SGD(lr=lr), land, steps=1000)  # long enough for the slow mode to dominate
    predicted = np.abs(1 - lr * land.eigenvalues).max()
    assert ol.contraction_rate(r.distance()) == pytest.approx(predicted, rel=1e-6)


@pytest.mark.parametrize("kw,message", [
    (dict(steps=-1), "Invalid steps: -1"), (dict(steps=2.5), "Invalid steps: 2.5"),
    (dict(noise=-0.1), "Invalid noise: -0.1"), (dict(blowup=0), "Invalid blowup: 0"),
])
def test_bad_run_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        ol.run(ol.SGD(), ol.Bowl(), **kw)


def test_contraction_rate_arguments():
    with pytest.raises(ValueError, match="need 0 <= first < last"):
        ol.contraction_rate([1.0, 0.5, 0.25], first=2, last=1)
