"""Chapter 8 (Adam): every formula of optimlib.experiments.adam against a simulation."""
import numpy as np
import pytest

import optimlib as ol
from optimlib.experiments import adam as A
from stepping import steps_of as _steps


def _stream(seed=0, steps=60, n=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((steps, n)) * 10.0 ** rng.uniform(-4, 3, (steps, n))


# -- bias ------------------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
def test_moment_bias_is_the_mean_of_the_average_over_many_stationary_streams(beta):
    rng = np.random.default_rng(1)
    g = 3.0 + rng.standard_normal((40, 20000))          # mean 3, E[g²] = 10
    opt = ol.Adam(lr=0.0, beta1=beta, beta2=beta)
    theta = np.zeros(20000)
    for t, row in enumerate(g, start=1):
        opt.update(theta, row)
        if t in (1, 5, 40):
            bias = A.moment_bias(beta, t)
            assert np.mean(opt.m) == pytest.approx(bias * 3.0, rel=2e-2, abs=2e-2)
            assert np.mean(opt.v) == pytest.approx(bias * 10.0, rel=2e-2, abs=2e-2)
    # the weights (1-β)β^(t-s) sum to 1 - β^t exactly
    t = 17
    assert np.sum((1 - beta) * beta ** (t - np.arange(1, t + 1))) == pytest.approx(
        float(A.moment_bias(beta, t)), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.0, 0.999), (0.9, 0.9), (0.5, 0.99)])
@pytest.mark.parametrize("correct", [True, False])
def test_constant_gradient_steps_match_the_optimizer(beta1, beta2, correct):
    g, lr, eps = 0.05, 0.01, 1e-8
    c = 1.0 if correct else 0.0
    opt = A.AdamCorrection(lr=lr, beta1=beta1, beta2=beta2, eps=eps, correct_m=c, correct_v=c)
    measured = np.abs(_steps(opt, np.full((80, 1), g)))[:, 0]
    predicted = A.constant_gradient_steps(lr, beta1, beta2, eps, g, 80, correct, correct)
    assert np.allclose(measured, predicted, rtol=1e-12)
    if not correct:
        assert predicted[0] == pytest.approx(lr * (1 - beta1) * g / (np.sqrt(1 - beta2) * g + eps))


def test_correcting_m_only_gives_the_largest_first_step():
    steps = {}
    for cm, cv in [(1, 1), (0, 0), (1, 0), (0, 1)]:
        opt = A.AdamCorrection(lr=1.0, beta1=0.9, beta2=0.999, eps=0.0, correct_m=cm,
                               correct_v=cv)
        steps[(cm, cv)] = abs(_steps(opt, np.full((1, 1), 2.0))[0, 0])
        assert steps[(cm, cv)] == pytest.approx(
            A.constant_gradient_steps(1.0, 0.9, 0.999, 0.0, 2.0, 1, bool(cm), bool(cv))[0])
    assert steps[(1, 0)] == pytest.approx(1 / np.sqrt(0.001))
    assert steps[(0, 0)] == pytest.approx(0.1 / np.sqrt(0.001))
    assert steps[(1, 1)] == pytest.approx(1.0)


def test_adam_correction_equals_adam_and_rmsprop_and_runs_batched():
    G = _stream()
    assert np.array_equal(_steps(A.AdamCorrection(lr=0.01), G), _steps(ol.Adam(lr=0.01), G))
    rms = A.AdamCorrection(lr=0.01, beta1=0.0, beta2=0.99, eps=1e-8, correct_m=0.0, correct_v=0.0)
    assert np.allclose(_steps(rms, G), _steps(ol.RMSProp(lr=0.01, rho=0.99, eps=1e-8), G),
                       rtol=1e-13, atol=0)
    # one batched call with and without the correction equals the two scalar runs
    opt = A.AdamCorrection(lr=0.01, correct_m=np.array([1.0, 0.0]), correct_v=np.array([1.0, 0.0]))
    both = _steps(opt, np.stack([G, G], axis=1))
    for i, c in enumerate([1.0, 0.0]):
        one = _steps(A.AdamCorrection(lr=0.01, correct_m=c, correct_v=c), G)
        assert np.allclose(both[:, i], one, rtol=1e-14, atol=0)
    assert A.AdamCorrection(correct_m=0.0, correct_v=0.0).label == "Adam (no bias correction)"
    with pytest.raises(ValueError, match="correct_m"):
        A.AdamCorrection(correct_m=2.0)


# -- where ε sits -----------------------------------------------------------------------------------
@pytest.mark.parametrize("eps_hat", [1e-7, 1e-3, 0.1])
def test_folded_form_is_algorithm_1_with_the_folded_eps(eps_hat):
    G = _stream(2)
    folded = _steps(A.AdamFolded(lr=0.01, eps=eps_hat), G)
    schedule = _steps(ol.Adam(lr=0.01, eps=lambda t: float(A.folded_eps(eps_hat, 0.999, t))), G)
    assert np.allclose(folded, schedule, rtol=1e-11, atol=0)
    assert float(A.folded_eps(eps_hat, 0.999, 1)) == pytest.approx(eps_hat / np.sqrt(0.001))


def test_folded_form_with_eps_inside_the_root():
    G = _stream(3)
    opt = A.AdamFolded(lr=0.01, eps=1e-3, inside=True)
    measured = _steps(opt, G)
    m = v = 0.0
    expected = []
    for t, g in enumerate(G, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected.append(-0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / np.sqrt(v + 1e-6))
    assert np.allclose(measured, np.array(expected), rtol=1e-12, atol=0)


# -- seed 002 ---------------------------------------------------------------------------------------
def test_seed_002_numbers_and_the_closed_form_of_the_bug():
    g = np.full(100, 10.0)
    bug = A.moment_ratio(g, 0.9, 0.999, 1e-3, "fed back")
    assert bug[-1] == pytest.approx(3.40488818e-70, rel=1e-8)
    assert np.allclose(A.fed_back_ratio(10.0, 0.9, 0.999, 1e-3, 100), bug, rtol=1e-10)
    right = A.moment_ratio(g, 0.9, 0.999, 1e-3, "correct")
    assert np.allclose(right, 10 / (10 + 1e-3), rtol=1e-12)
    assert np.allclose(A.moment_ratio(g, variant="first step only"), 10 / (10 + 1e-3), rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
def test_fed_back_factor_follows_its_recursion(beta):
    a, out = 0.0, []
    for t in range(1, 60):
        a = (beta * a + 1 - beta) / (1 - beta ** t)
        out.append(a)
    assert np.allclose(A.fed_back_factor(beta, 59), out, rtol=1e-10)


def test_the_fed_back_class_of_optimlib_mistakes_is_the_same_recursion():
    from optimlib.mistakes import AdamCorrectedMomentsStored

    opt = AdamCorrectedMomentsStored(lr=1.0, beta1=0.9, beta2=0.999, eps=1e-3)
    steps = np.abs(_steps(opt, np.full((100, 1), 10.0)))[:, 0]
    assert np.allclose(steps, A.fed_back_ratio(10.0, 0.9, 0.999, 1e-3, 100), rtol=1e-9)


def test_correct_ratio_is_what_adam_steps_by():
    G = _stream(4, steps=100, n=3)
    r = A.moment_ratio(G, 0.9, 0.999, 1e-8, "correct")
    steps = _steps(ol.Adam(lr=1.0, beta1=0.9, beta2=0.999, eps=1e-8), G)
    assert np.allclose(-steps, r, rtol=1e-11, atol=1e-300)


def test_noise_and_linear_regimes():
    rng = np.random.default_rng(5)
    G = rng.standard_normal((100, 40000))
    r = A.moment_ratio(G, 0.9, 0.999, 0.0)
    for t in (10, 100):
        assert r[t - 1].std() == pytest.approx(float(A.noise_ratio_std(0.9, t)), rel=0.1)
    assert float(A.noise_ratio_std(0.9, 10 ** 6)) == pytest.approx(np.sqrt(0.1 / 1.9))
    lin = A.moment_ratio(np.arange(100.0), 0.9, 1 - 1e-12, 0.0)
    assert lin[99] == pytest.approx(float(A.linear_ratio(0.9, 100)), rel=1e-6)
    assert float(A.linear_ratio(0.9, 10 ** 7)) == pytest.approx(np.sqrt(3), rel=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="variant"):
        A.moment_ratio(np.ones(3), variant="wrong")
    with pytest.raises(ValueError, match="beta1"):
        A.step_bound(1.0, 0.9, 3)
    with pytest.raises(ValueError, match="steps"):
        A.constant_gradient_steps(0.1, 0.9, 0.999, 1e-8, 1.0, 0)
    with pytest.raises(ValueError, match="c"):
        A.Scaled(ol.Beale(), -1.0)


# -- the step bound ---------------------------------------------------------------------------------
@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.9, 0.99), (0.0, 0.999), (0.5, 0.9),
                                          (0.99, 0.9)])
@pytest.mark.parametrize("t", [1, 7, 100])
def test_step_bound_is_attained_and_never_beaten(beta1, beta2, t):
    opt = ol.Adam(lr=1.0, beta1=beta1, beta2=beta2, eps=0.0)
    last = abs(_steps(opt, A.worst_gradients(beta1, beta2, t)[:, None])[-1, 0])
    bound = float(A.step_bound(beta1, beta2, t))
    assert last == pytest.approx(bound, rel=1e-9)
    rng = np.random.default_rng(t)
    G = rng.standard_normal((t, 2000)) * np.exp(rng.uniform(-3, 3, (t, 2000)))
    steps = np.abs(_steps(ol.Adam(lr=1.0, beta1=beta1, beta2=beta2, eps=0.0), G)[-1])
    assert steps.max() <= bound * (1 + 1e-12)


def test_step_bound_limits():
    assert float(A.step_bound(0.9, 0.999, 1)) == 1.0
    limit = 0.1 / np.sqrt(0.001 * (1 - 0.81 / 0.999))
    assert float(A.step_bound(0.9, 0.999, 10 ** 6)) == pytest.approx(limit, rel=1e-9)
    assert limit == pytest.approx(7.27, abs=0.005)


# -- scale, sign descent ------------------------------------------------------------------------
def test_scaled_landscape_and_adam_invariance():
    land = ol.Beale()
    for c in (1e-3, 1e3):
        big = A.Scaled(land, c)
        assert np.allclose(big.grad(land.start), c * land.grad(land.start))
        a = ol.run(ol.Adam(lr=0.05, eps=0.0), land, steps=200)
        b = ol.run(ol.Adam(lr=0.05, eps=0.0), big, steps=200)
        assert np.allclose(a.path, b.path, rtol=0, atol=1e-9)


def test_sign_descent():
    G = _stream(6)
    steps = _steps(ol.Adam(lr=0.1, beta1=0.0, beta2=0.0, eps=1e-8), G)
    assert np.allclose(steps, -0.1 * G / (np.abs(G) + 1e-8), rtol=1e-12, atol=0)


# -- the explorer's simulation --------------------------------------------------------------------
@pytest.mark.parametrize("lr, correct", [(0.1, True), (0.3, False), (1.0, True), (0.01, False)])
def test_simulate_path_equals_the_library_runs(lr, correct):
    land = ol.Beale()
    path, m, v, diverged = A.simulate_path(lr, 0.9, 0.999, 1e-8, correct, steps=300)
    c = 1.0 if correct else 0.0
    g1 = np.abs(land.grad(land.start)).max()
    runs = [ol.run(A.AdamCorrection(lr=lr, correct_m=c, correct_v=c), land, steps=300),
            ol.run(ol.RMSProp(lr=lr, rho=0.999, eps=1e-8), land, steps=300),
            ol.run(ol.Momentum(lr=lr / g1, momentum=0.9), land, steps=300)]
    for i, r in enumerate(runs):
        assert diverged[i] == r.diverged_at
        assert np.allclose(path[:, i], r.path, rtol=1e-9, atol=1e-12, equal_nan=True)
    opt = A.AdamCorrection(lr=lr, correct_m=c, correct_v=c)
    theta = land.start.copy()
    for t in range(1, 21):
        opt.update(theta, land.grad(theta))
        if diverged[0] < 0:
            assert np.allclose(opt.m, m[t], rtol=1e-9) and np.allclose(opt.v, v[t], rtol=1e-9)


def test_explorer_reports_divergence_in_words():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    text = A.adam_path(axes, lr=1.0, beta1=0.9, beta2=0.999, eps=1e-8, correct=True)
    plt.close(fig)
    assert "RMSProp diverged at step 1" in text and "Momentum diverged at step 7" in text
