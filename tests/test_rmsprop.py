"""Chapter 6 (RMSProp): every formula of optimlib.experiments.rmsprop against a simulation."""
import numpy as np
import pytest

import optimlib as ol
from optimlib.experiments import rmsprop as R
from stepping import steps_of as _steps


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_window_is_total_weight_and_mean_age(rho):
    w = R.ema_weights(rho, 20000)[::-1]          # newest first: ages 1, 2, ...
    assert np.isclose(w.sum() / w[0], R.ema_window(rho), rtol=1e-9)
    ages = np.arange(1, w.size + 1)
    assert np.isclose((ages * w).sum() / w.sum(), R.ema_window(rho), rtol=1e-9)


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99, 0.999])
def test_half_life_from_an_impulse_through_the_optimizer(rho):
    opt = ol.RMSProp(lr=0.1, rho=rho, eps=1e-8)
    theta = np.zeros(1)
    opt.update(theta, np.ones(1))
    v1 = opt.v.copy()
    decay = []
    for _ in range(int(5 * R.ema_half_life(rho)) + 5):
        opt.update(theta, np.zeros(1))
        decay.append(float(opt.v[0] / v1[0]))
    first_half = int(np.argmax(np.array(decay) <= 0.5)) + 1
    assert first_half == int(np.ceil(R.ema_half_life(rho) - 1e-12))
    assert np.isclose(R.ema_half_life(0.9), 6.5788, atol=1e-4)
    assert R.ema_window(0.9) == pytest.approx(10.0)


def test_weights_reproduce_the_cache():
    rng = np.random.default_rng(0)
    g = rng.standard_normal((30, 3))
    opt = ol.RMSProp(lr=0.01, rho=0.9, eps=1e-8)
    _steps(opt, g)
    w = R.ema_weights(0.9, 30)
    assert np.allclose(opt.v, w @ (g * g), rtol=1e-13)
    assert np.isclose(w.sum(), 1 - 0.9 ** 30)


@pytest.mark.parametrize("v0, centered", [(0.0, False), (1.0, False), (0.0, True),
                                          (0.3, False)])
def test_constant_gradient_steps_match_simulation(v0, centered):
    g, lr, rho, eps = 0.05, 0.01, 0.9, 1e-8
    if v0 == 0.0:
        opt = ol.RMSProp(lr=lr, rho=rho, eps=eps, centered=centered)
    else:
        opt = R.RMSPropFrom(lr=lr, rho=rho, eps=eps, initial=v0)
    measured = np.abs(_steps(opt, np.full((60, 1), g)))[:, 0]
    predicted = R.constant_gradient_steps(lr, rho, eps, g, 60, v0=v0, centered=centered)
    assert np.allclose(measured, predicted, rtol=1e-9)


def test_first_step_is_lr_over_root_one_minus_rho():
    for rho in (0.9, 0.99, 0.999):
        for g in (1e-3, 1.0, 1e3):
            step = R.constant_gradient_steps(0.01, rho, 0.0, g, 1)[0]
            assert step == pytest.approx(0.01 / np.sqrt(1 - rho), rel=1e-12)


def test_rmsprop_from_zero_is_rmsprop():
    rng = np.random.default_rng(1)
    g = rng.standard_normal((25, 4))
    a = _steps(R.RMSPropFrom(lr=0.01, rho=0.9, eps=1e-8, initial=0.0), g)
    b = _steps(ol.RMSProp(lr=0.01, rho=0.9, eps=1e-8), g)
    assert np.array_equal(a, b)
    assert R.RMSPropFrom(initial=1.0).label == "RMSProp (v₀ = 1)"


@pytest.mark.parametrize("lr, eps", [(0.1, 1e-8), (0.1, 1e-3), (0.1, 0.01), (0.05, 1e-8),
                                     (0.1, 0.06)])
def test_cycle_floor_matches_a_long_run(lr, eps):
    quad = ol.Quadratic(kappa=10)
    r = ol.run(ol.RMSProp(lr=lr, rho=0.9, eps=eps), quad, steps=4000)
    predicted = float(R.cycle_floor(lr, eps, quad.eigenvalues))
    assert r.gap[-1] == pytest.approx(predicted, rel=1e-6, abs=1e-12)


def test_noise_floor_matches_a_noisy_run():
    quad = ol.Quadratic(kappa=10)
    lrs = np.array([0.02, 0.05, 0.1, 0.2])
    copies = 32                                  # independent runs per learning rate
    r = ol.run(ol.RMSProp(lr=np.repeat(lrs, copies), rho=0.99, eps=1e-8), quad, steps=6000,
               start=np.zeros((lrs.size * copies, 2)), noise=1.0, seed=3)
    measured = r.gap[1000:].mean(axis=0).reshape(lrs.size, copies).mean(axis=1)
    predicted = R.noise_floor(lrs, 1.0, quad.eigenvalues)
    assert np.allclose(measured, predicted, rtol=0.06)
    assert np.all(np.diff(measured) > 0)
    assert np.isnan(R.noise_floor(1.0, 0.1, quad.eigenvalues))


@pytest.mark.parametrize("call", [
    lambda: R.ema_window(1.0), lambda: R.ema_window(-0.1), lambda: R.ema_half_life(0.0),
    lambda: R.ema_weights(0.9, 0), lambda: R.constant_gradient_steps(-1.0, 0.9, 0.0, 1.0, 3),
    lambda: R.constant_gradient_steps(0.1, 0.9, 0.0, 1.0, 0),
    lambda: R.noise_floor(0.1, 0.0, [1.0]), lambda: R.RMSPropFrom(initial=-1.0)])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_explorer_reports_floor_and_divergence():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    text = R.rmsprop_vs_adagrad(axes, eta=0.1, rho=0.9, eps=1e-8)
    assert "predicted 2-cycle floor 0.0013" in text and "RMSProp f − f* = 0.001" in text
    for ax in axes:
        ax.clear()
    text = R.rmsprop_vs_adagrad(axes, eta=1.0, rho=0.0, eps=1e-10, noise=1.0)
    assert "RMSProp" in text and "AdaGrad" in text
    plt.close(fig)
