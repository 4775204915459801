"""Chapter 10 (schedules and warm-up): every formula of optimlib.experiments.lr_schedules
against a simulation or an independent computation."""
import math
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optimlib as ol  # noqa: E402
from optimlib.experiments import lr_schedules as L  # noqa: E402
from optimlib.experiments.momentum import PyTorchMomentum  # noqa: E402
from optimlib.experiments.sgd import per_example_grads  # noqa: E402


# -- building schedules ------------------------------------------------------------------
@pytest.mark.parametrize("kind", L.SCHEDULES)
def test_make_schedule_starts_at_its_peak_and_ends_where_documented(kind):
    T = 200
    s = L.make_schedule(kind, 0.5, T)
    values = L.schedule_values(s, T)
    # the horizon curves start from η at t = 0, so t = 1 is one step down already
    assert 0.5 * (1 - 1 / T) - 1e-15 <= values.max() <= 0.5 + 1e-15
    end = {"constant": 0.5, "step": 0.005, "exponential": 0.005, "1/t": 0.005,
           "1/√t": 0.05, "linear": 0.0, "cosine": 0.0, "one-cycle": 0.5 / 1e4}[kind]
    assert values[-1] == pytest.approx(end, rel=1e-9, abs=1e-15)


def test_make_schedule_warmup_uses_the_library_classes_and_ramps_the_others():
    assert isinstance(L.make_schedule("constant", 0.1, 100, 10), ol.LinearWarmup)
    assert isinstance(L.make_schedule("cosine", 0.1, 100, 10), ol.WarmupCosine)
    ramped = L.make_schedule("exponential", 0.1, 100, 10)
    base = L.make_schedule("exponential", 0.1, 100)
    for t in [1, 5, 10, 11, 100]:
        assert ramped(t) == pytest.approx(base(t) * min(t, 10) / 10, rel=1e-14)


def test_make_schedule_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="Invalid schedule: 'cyclic'"):
        L.make_schedule("cyclic", 0.1, 100)
    with pytest.raises(ValueError, match="Invalid warmup: 100"):
        L.make_schedule("cosine", 0.1, 100, 100)
    with pytest.raises(ValueError, match="Invalid horizon: 1"):
        L.make_schedule("cosine", 0.1, 1)
    with pytest.raises(TypeError, match="Invalid warmup"):
        L.Ramped(ol.Constant(0.1), 2.5)


def test_stack_lines_up_with_the_leading_axis_of_a_batched_run():
    grid = np.array([0.1, 0.2])
    stack = L.Stack([ol.Constant(grid), ol.CosineAnnealing(grid, 10)])
    assert stack(1).shape == (4,)
    quad = ol.Quadratic(kappa=10)
    batched = ol.run(ol.SGD(lr=stack), quad, steps=10, start=np.tile(quad.start, (4, 1)))
    for i, s in enumerate([ol.Constant(0.1), ol.Constant(0.2), ol.CosineAnnealing(0.1, 10),
                           ol.CosineAnnealing(0.2, 10)]):
        single = ol.run(ol.SGD(lr=s), quad, steps=10)
        np.testing.assert_allclose(batched.path[:, i], single.path, rtol=1e-14)


# -- Robbins–Monro --------------------------------------------------------------------------
LIBRARY = [ol.Constant(0.1), ol.StepDecay(0.1, 30, 0.5), ol.ExponentialDecay(0.1, 0.99),
           ol.InverseTimeDecay(0.1, 0.5), ol.InverseSqrtDecay(0.1, 0.5),
           ol.PolynomialDecay(0.1, 100), ol.PolynomialDecay(0.1, 100, min_lr=0.01),
           ol.CosineAnnealing(0.1, 100), ol.CosineAnnealing(0.1, 100, min_lr=0.001),
           ol.LinearWarmup(0.1, 10), ol.WarmupCosine(0.1, 10, 100), ol.OneCycle(0.1, 100),
           L.Ramped(ol.InverseTimeDecay(0.1, 0.5), 10)]


@pytest.mark.parametrize("schedule", LIBRARY, ids=repr)
def test_robbins_monro_verdicts_match_the_partial_sums(schedule):
    diverges, converges = L.robbins_monro(schedule)
    S1, S2 = L.partial_sums(schedule, 40_000)

    def keeps_growing(S):
        # growth over (N, 4N] against growth over (N/4, N], N = 10^4: for terms ~ t^-p
        # the ratio is 4^(1-p), at least 1 when the series diverges (p <= 1, or a constant
        # tail), 1/4 or less when it converges like t^-2, 0 for a geometric or zero tail
        late, early = S[-1] - S[9_999], S[9_999] - S[2_499]
        return early > 0 and late / early > 0.6

    assert keeps_growing(S1) == diverges
    assert (not keeps_growing(S2)) == converges


def test_robbins_monro_geometric_limits():
    S1, S2 = L.partial_sums(ol.ExponentialDecay(0.1, 0.99), 20_000)
    assert S1[-1] == pytest.approx(0.1 / 0.01, rel=1e-10)
    assert S2[-1] == pytest.approx(0.01 / (1 - 0.99 ** 2), rel=1e-10)
    S1, _ = L.partial_sums(ol.StepDecay(0.1, 30, 0.5), 2_000)
    assert S1[-1] == pytest.approx(0.1 * 30 / 0.5, rel=1e-10)


def test_robbins_monro_rejects_unknown_callables():
    with pytest.raises(TypeError, match="does not know"):
        L.robbins_monro(lambda t: 1 / t)


# -- the exact expected loss under a schedule --------------------------------------------
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("kind", ["constant", "step", "cosine", "1/t"])
def test_expected_gap_against_many_seeds(kind, momentum):
    quad, sigma, steps = ol.Quadratic(kappa=10), 0.5, 150
    s = L.make_schedule(kind, 0.3, steps)
    opt = ol.Momentum(lr=s, momentum=momentum) if momentum else ol.SGD(lr=s)
    sim = ol.run(opt, quad, steps=steps, start=np.tile(quad.start, (4000, 1)),
                 noise=sigma, seed=3)
    exact = L.expected_gap(s, quad.eigenvalues, sigma, quad.start @ quad.eigenvectors, steps,
                           momentum=momentum)
    for t in [1, 10, 50, 150]:
        gap = sim.gap[t]
        se = gap.std() / np.sqrt(gap.size)
        assert abs(gap.mean() - exact[t]) < 4 * se + 1e-12, (t, gap.mean(), exact[t])


def test_expected_gap_without_noise_is_the_deterministic_loss():
    quad = ol.Quadratic(kappa=10, angle=30)
    s = L.make_schedule("one-cycle", 0.8, 60)
    det = ol.run(ol.Momentum(lr=s, momentum=0.5), quad, steps=60)
    exact = L.expected_gap(s, quad.eigenvalues, 0.0, quad.start @ quad.eigenvectors, 60,
                           momentum=0.5)
    np.testing.assert_allclose(exact, det.gap, rtol=1e-9, atol=1e-14)


def test_expected_gap_constant_step_tends_to_chapter_2s_floor():
    lam, sigma, eta = np.array([0.1, 1.0]), 0.5, 0.5
    exact = L.expected_gap(eta, lam, sigma, np.zeros(2), 3000)
    floor = np.sum(eta * sigma ** 2 / (2 * (2 - eta * lam)))
    assert exact[-1] == pytest.approx(floor, rel=1e-10)
    table = L.expected_gap(np.full(3000, eta), lam, sigma, np.zeros(2), 3000)
    np.testing.assert_array_equal(table, exact)


def test_expected_gap_overflows_to_inf_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = L.expected_gap(3.0, np.array([1.0]), 1.0, np.ones(1), 2000)
    assert np.isinf(out[-1])


# -- Adam's noise floor ------------------------------------------------------------------
def test_adam_floor_on_a_noisy_quadratic():
    quad, sigma = ol.Quadratic(kappa=10), 0.5
    etas = np.array([0.005, 0.01, 0.02])
    runs = ol.run(ol.Adam(lr=np.repeat(etas, 200)), quad, steps=3000,
                  start=np.zeros((600, 2)), noise=sigma, seed=4)
    measured = runs.gap[1000:].mean(axis=0).reshape(3, 200).mean(axis=1)
    predicted = L.adam_floor(etas, [sigma, sigma])
    np.testing.assert_allclose(measured, predicted, rtol=0.1)


def test_adam_floor_on_real_data_from_the_minimum():
    data = ol.load_dataset("breast_cancer")
    model = ol.LogisticRegression(data.n_features, l2=1e-2)
    theta, f_star = L.logistic_minimum(model, data.X_train, data.y_train)
    G = per_example_grads(model, theta, data.X_train, data.y_train)
    sigma = np.sqrt(G.var(axis=0) / 16)
    etas = np.array([0.01, 0.02])
    start = {k: np.repeat(v[None], 2, axis=0) for k, v in theta.items()}
    gaps = [ol.train(ol.Adam(lr=etas), model, data, epochs=20, batch_size=16, seed=seed,
                     replacement=True, params=start, f_min=f_star).gap[220:]
            for seed in range(3)]
    measured = np.mean([g.mean(axis=0) for g in gaps], axis=0)
    np.testing.assert_allclose(measured, L.adam_floor(etas, sigma), rtol=0.15)


def test_logistic_minimum_is_a_stationary_point_and_rejects_other_models():
    data = ol.load_dataset("breast_cancer")
    model = ol.LogisticRegression(data.n_features, l2=1e-2)
    theta, f_star = L.logistic_minimum(model, data.X_train, data.y_train)
    loss, g = model.loss_and_grad(theta, data.X_train, data.y_train)
    assert loss == pytest.approx(f_star, rel=1e-15)
    assert max(np.abs(v).max() for v in g.values()) < 1e-12
    with pytest.raises(TypeError, match="binary LogisticRegression"):
        L.logistic_minimum(ol.LinearRegression(3), np.zeros((4, 3)), np.zeros(4))


# -- the start of Adam ------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.5, 0.9, 0.999])
@pytest.mark.parametrize("t", [1, 2, 7, 300])
def test_effective_samples_is_kish_of_the_bias_corrected_weights(beta, t):
    w = (1 - beta) * beta ** (t - np.arange(1, t + 1)) / (1 - beta ** t)
    assert w.sum() == pytest.approx(1.0, rel=1e-12)
    assert L.effective_samples(beta, t) == pytest.approx(1 / np.sum(w ** 2), rel=1e-10)


def test_inverse_root_moments_against_sampled_chi_square():
    rng = np.random.default_rng(0)
    for rho in [4, 10]:
        v = (rng.standard_normal((400_000, rho)) ** 2).mean(axis=1)
        mean, std = L.inverse_root_moments(rho)
        x = 1 / np.sqrt(v)
        assert x.mean() == pytest.approx(mean, rel=5e-3)
        assert x.std() == pytest.approx(std, rel=3e-2)
    assert L.inverse_root_moments(1.0) == (math.inf, math.inf)
    assert math.isinf(L.inverse_root_moments(2.0)[1])
    with pytest.raises(ValueError, match="Invalid rho"):
        L.inverse_root_moments(0.0)


def test_adam_start_reads_the_optimizer_and_matches_the_theory():
    vhat, ratio = L.adam_start(steps=12, seeds=40_000, seed=1)
    # t = 1: v̂ = g², the step is ±1 exactly
    np.testing.assert_allclose(np.abs(ratio[0]), 1.0, rtol=1e-12)
    for t in [5, 10]:
        mean, std = L.adaptive_factor_moments(0.999, t)
        x = 1 / np.sqrt(vhat[t - 1])
        assert x.mean() == pytest.approx(mean, rel=1e-2)
        assert x.std() == pytest.approx(std, rel=5e-2)
        rms = np.sqrt(np.mean(ratio[t - 1] ** 2))
        assert rms == pytest.approx(float(L.noise_step_rms(0.9, t)), rel=2e-2)
    assert L.adaptive_factor_moments(0.999, 1) == (math.inf, math.inf)
    assert math.isinf(L.adaptive_factor_moments(0.999, 2)[1])
    # the exact statement at t = 2 holds for any beta2 (the moment-matched rho may exceed 2)
    assert math.isinf(L.adaptive_factor_moments(0.5, 2)[1])


def test_exact_v_hat_at_t2_has_heavy_tails_the_sample_std_does_not_settle():
    vhat, _ = L.adam_start(steps=2, seeds=200_000, seed=2)
    x = 1 / np.sqrt(vhat[1])
    stds = [x[i * 20_000:(i + 1) * 20_000].std() for i in range(10)]
    assert max(stds) / min(stds) > 1.5          # no finite variance to converge to


# -- the two momentum forms ----------------------------------------------------------------
def test_form_gap_is_exact_on_a_linear_loss():
    eta, gamma, mu, s = 0.1, 0.1, 0.9, 20
    sched = ol.StepDecay(eta, s, gamma)
    vel, buf = ol.Momentum(lr=sched, momentum=mu), PyTorchMomentum(lr=sched, momentum=mu)
    a, b = np.zeros(3), np.zeros(3)
    g = np.array([1.0, -2.0, 0.5])
    for t in range(1, 2 * s + 1):              # the next decay comes after step 2s
        vel.update(a, g)
        buf.update(b, g)
        if t == s:
            norm = float(np.linalg.norm(buf.b))
        if t > s:
            assert np.linalg.norm(a - b) == pytest.approx(
                L.form_gap(eta, gamma, mu, norm, t - s), rel=1e-10)


def test_momentum_forms_agree_before_the_decay_and_follow_the_prediction_after():
    data = ol.load_dataset("breast_cancer")
    model = ol.LogisticRegression(data.n_features, l2=1e-2)
    out = L.momentum_forms(model, data, ol.StepDecay(0.05, 60, 0.1), 0.9, epochs=4,
                           batch_size=16, seed=1, record_buffer_at=60)
    assert out["distance"][:61].max() < 1e-12
    for k in [1, 2, 3]:
        assert out["distance"][60 + k] == pytest.approx(
            L.form_gap(0.05, 0.1, 0.9, out["buffer_norm"], k), rel=1e-2)
    assert out["loss_velocity"].shape == (89,)


def test_best_on_grid_ignores_nan_and_flags_edges():
    grid = np.array([0.1, 0.2, 0.4, 0.8])
    assert L.best_on_grid([3.0, 1.0, 2.0, np.nan], grid) == (0.2, 1, False)
    assert L.best_on_grid([np.nan, 5.0, 4.0, 1.0], grid) == (0.8, 3, True)
    with pytest.raises(ValueError, match="every value is NaN"):
        L.best_on_grid([np.nan] * 4, grid)


# -- the explorer --------------------------------------------------------------------------
def test_explorer_prediction_line_is_the_exact_expectation_and_divergence_is_reported():
    fig, axes = plt.subplots(1, 2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            line = L.lr_schedule(axes, schedule="constant", optimizer="SGD", eta=2.5,
                                 warmup=0.0, noise=0.5)
            assert "diverged at step" in line
            line = L.lr_schedule(axes, schedule="cosine", optimizer="Adam", eta=0.01,
                                 warmup=50.0, noise=1.0)
            assert "expected" not in line and "diverged" not in line
    finally:
        plt.close(fig)


def test_bad_arguments_raise_errors_that_name_them():
    with pytest.raises(ValueError, match="Invalid beta"):
        L.effective_samples(1.0, 3)
    with pytest.raises(ValueError, match="Invalid t"):
        L.effective_samples(0.9, 0)
    with pytest.raises(ValueError, match="Invalid momentum"):
        L.form_gap(0.1, 0.1, 1.0, 1.0, 3)
    with pytest.raises(ValueError, match="Invalid gamma"):
        L.form_gap(0.1, 1.5, 0.9, 1.0, 3)
    with pytest.raises(ValueError, match="Invalid lr"):
        L.adam_floor(-0.1, [1.0])
    with pytest.raises(ValueError, match="Invalid sigma"):
        L.expected_gap(0.1, [1.0], -1.0, [1.0], 5)
    with pytest.raises(ValueError, match="Invalid momentum"):
        L.expected_gap(0.1, [1.0], 1.0, [1.0], 5, momentum=1.0)
    with pytest.raises(ValueError, match="Invalid steps"):
        L.adam_start(0, 10)
