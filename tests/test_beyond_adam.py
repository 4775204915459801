"""optimlib.experiments.beyond_adam (chapter 9): every formula against a simulation."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optimlib as ol  # noqa: E402
from optimlib.data import load_dataset  # noqa: E402
from optimlib.experiments import beyond_adam as ba  # noqa: E402
from optimlib.models import LogisticRegression  # noqa: E402
from optimlib.optimizers import AdaMax, NAdam  # noqa: E402
from stepping import steps_of


# -- the counterexample -------------------------------------------------------------------
def test_reddi_gradients_follow_the_period_and_reject_bad_input():
    t = np.arange(1, 10)
    assert np.array_equal(ba.reddi_gradients(t, 3.0), [3, -1, -1, 3, -1, -1, 3, -1, -1])
    assert np.array_equal(ba.reddi_gradients(t, 5.0, period=4), [5, -1, -1, -1, 5, -1, -1, -1, 5])
    with pytest.raises(ValueError, match="Invalid t"):
        ba.reddi_gradients(0, 3.0)
    with pytest.raises(ValueError, match="Invalid period"):
        ba.reddi_gradients(1, 3.0, period=1)


def test_online_run_is_projected_adam_step_by_step():
    C, T = 3.0, 200
    r = ba.online_run(ol.Adam(lr=0.3, beta1=0.0, beta2=0.1), C, T, x0=0.5)
    x, m, v = 0.5, 0.0, 0.0
    for t in range(1, T + 1):
        g = C if t % 3 == 1 else -1.0
        m = 0.0 * m + g
        v = 0.1 * v + 0.9 * g * g
        x = float(np.clip(x - 0.3 * m / (np.sqrt(v / (1 - 0.1 ** t)) + 1e-8), -1, 1))
        assert r.x[t] == pytest.approx(x, abs=1e-12)
        assert r.state["v"][t - 1] == pytest.approx(v, rel=1e-12)
    assert r.x.shape == (T + 1,) and r.grads.shape == (T,)
    assert np.all(np.abs(r.x) <= 1)


def test_online_run_batches_equal_single_runs():
    Cs = np.array([2.5, 3.0, 10.0])
    b2 = np.array([0.1, 0.5, 0.999])
    batch = ba.online_run(ol.Adam(lr=lambda t: 0.1 / np.sqrt(t), beta1=0.5, beta2=b2), Cs, 300)
    for i in range(3):
        one = ba.online_run(ol.Adam(lr=lambda t: 0.1 / np.sqrt(t), beta1=0.5, beta2=b2[i]),
                            Cs[i], 300)
        assert np.array_equal(batch.x[:, i], one.x)
        assert np.array_equal(batch.state["v"][:, i], one.state["v"])
    with pytest.raises(ValueError, match="Invalid x0"):
        ba.online_run(ol.Adam(), 3.0, 10, x0=2.0)


def test_average_regret_is_the_definition():
    r = ba.online_run(ol.Adam(lr=0.05), 3.0, 60, x0=0.3)
    g, x = r.grads, r.x
    for t in [1, 7, 60]:
        played = np.sum(g[:t] * x[:t])
        best = min(np.sum(g[:t]) * z for z in (-1.0, 1.0))
        assert r.average_regret()[t - 1] == pytest.approx((played - best) / t, rel=1e-12)


def test_periodic_average_is_the_limit_of_the_recursion_and_keeps_the_mean():
    a = np.array([9.0, 1.0, 1.0, 4.0])
    for beta in [0.0, 0.1, 0.9]:
        e = 0.0
        trace = []
        for t in range(4000):
            e = beta * e + (1 - beta) * a[t % 4]
            trace.append(e)
        pred = ba.periodic_average(a, beta)
        assert np.allclose(trace[-4:], pred, rtol=1e-12)
        assert pred.sum() == pytest.approx(a.sum(), rel=1e-12)


def test_cycle_drift_equals_the_measured_movement_per_period():
    # constant lr, no projection needed while x stays inside: use a wide interval
    for b1, b2, ams in [(0.0, 0.1, False), (0.5, 0.3, False), (0.0, 0.1, True), (0.9, 0.999, False)]:
        r = ba.online_run(ol.Adam(lr=1e-3, beta1=b1, beta2=b2, amsgrad=ams), 3.0, 30000,
                          low=-1e6, high=1e6)
        moved = (r.x[-1] - r.x[-1 - 3 * 100]) / (100 * 1e-3)   # per period per unit lr
        assert moved == pytest.approx(ba.cycle_drift(3.0, b1, b2, amsgrad=ams), rel=2e-3)


def test_cycle_drift_predicts_the_end_and_amsgrad_never_drifts_up():
    assert ba.cycle_drift(3.0, 0.0, 0.1) > 0 > ba.cycle_drift(3.0, 0.0, 0.1, amsgrad=True)
    C, b1, b2 = np.meshgrid([2.5, 3, 10], [0, 0.5, 0.9], [0, 0.1, 0.5, 0.99], indexing="ij")
    assert np.all(ba.cycle_drift(C, b1, b2, amsgrad=True) < 0)
    r = ba.online_run(ol.Adam(lr=lambda t: 0.5 / np.sqrt(t), beta1=0.0, beta2=0.1), 3.0, 2000)
    assert r.final_mean() > 0.9
    assert r.average_regret()[-1] > 0.5


# -- AdamW ----------------------------------------------------------------------------------
def test_adam_decay_settings_are_l2_and_pytorch_adamw():
    rng = np.random.default_rng(0)
    stream = rng.standard_normal((100, 3))
    lam, lr = 0.1, 0.01
    a, b = np.ones(3), np.ones(3)
    ours, ref = ba.AdamDecay(lr=lr, l2=lam), ol.Adam(lr=lr)
    for g in stream:
        ref.update(b, g + lam * b)
        ours.update(a, g.copy())
    assert np.allclose(a, b, rtol=1e-14, atol=0)
    c, d = np.ones(3), np.ones(3)
    ours, ref = ba.AdamDecay(lr=lr, decay=lr * lam), ol.AdamW(lr=lr, weight_decay=lam)
    for g in stream:
        ours.update(c, g.copy())
        ref.update(d, g.copy())
    assert np.array_equal(c, d)
    with pytest.raises(ValueError, match="decay"):
        ba.AdamDecay(decay=1.5)


def test_pure_decay_is_geometric_and_l2_does_not_depend_on_lambda():
    theta0 = np.array([1.0, -3.0, 0.1])
    path = ba.pure_decay(ba.AdamDecay(lr=0.01, decay=0.02), theta0, 300)
    assert np.allclose(path, 0.98 ** np.arange(301)[:, None] * theta0, rtol=1e-13)
    paths = [ba.pure_decay(ba.AdamDecay(lr=0.01, l2=lam), theta0, 300) for lam in (1e-2, 1.0)]
    assert np.abs(paths[0] - paths[1]).max() < 1e-5
    assert np.allclose(paths[1][1] - theta0, -0.01 * np.sign(theta0), rtol=1e-6)


def test_decay_under_noise_matches_both_predictions():
    sig = np.array([0.1, 1.0, 0.1, 1.0])
    opt = ba.AdamDecay(lr=0.01, l2=np.array([0.01, 0.01, 0.0, 0.0]),
                       decay=np.array([0.0, 0.0, 1e-4, 1e-4]))
    mean, se = ba.decay_under_noise(opt, sig, 1500, copies=1500, seed=3)
    pred = np.array([(1 - 1e-4 / 0.1) ** 1500, (1 - 1e-4) ** 1500,
                     (1 - 1e-4) ** 1500, (1 - 1e-4) ** 1500])
    assert np.all(np.abs(mean[-1] - pred) < 4 * se)


def test_decay_grid_copies_equal_single_runs_and_norms_respect_the_box():
    data = load_dataset("breast_cancer")
    model = LogisticRegression(n_features=data.n_features)
    etas, lams = np.array([0.01, 0.1]), np.array([0.01, 0.5])
    val, norm = ba.decay_grid(model, data, etas, lams, seeds=[4], rows=40, steps=150,
                              norms=True)
    assert val.shape == norm.shape == (3, 2, 2, 1)
    # one setting by hand: PyTorch's AdamW at η = 0.1, λ = 0.5
    pick = np.random.default_rng(4).choice(len(data.y_train), 40, replace=False)
    X, y = data.X_train[pick], data.y_train[pick]
    params = model.init(seed=4)
    opt = ol.AdamW(lr=0.1, weight_decay=0.5)
    for _ in range(150):
        opt.update(params, model.loss_and_grad(params, X, y)[1])
    assert val[1, 1, 1, 0] == pytest.approx(float(model.loss(params, data.X_val, data.y_val)),
                                            rel=1e-10)
    E, L = np.meshgrid(etas, lams, indexing="ij")
    assert np.all(norm[1, ..., 0] <= 1.1 / L)          # box η/d = 1/λ
    assert np.all(norm[2, ..., 0] <= 1.1 * E / L)      # box η/λ
    with pytest.raises(ValueError, match="decay per step"):
        ba.decay_grid(model, data, [0.1], [2.0], seeds=[0], steps=1)


# -- NAdam ----------------------------------------------------------------------------------
def test_nadam_mu_is_the_optimizers_schedule():
    opt = NAdam(lr=0.0)
    theta = np.zeros(1)
    prev = 1.0
    for t in range(1, 60):
        opt.update(theta, np.ones(1))
        now = float(opt.mu_product[0])
        assert now / prev == pytest.approx(float(ba.nadam_mu(t)), rel=1e-13)
        prev = now
    half = np.log(2) / (0.004 * np.log(1 / 0.96))
    assert ba.nadam_mu(half) == pytest.approx(0.75 * 0.9, rel=1e-12)


def test_constant_momentum_nadam_and_its_nesterov_numerator():
    rng = np.random.default_rng(1)
    stream = rng.standard_normal((200, 3)) * [1e-3, 1.0, 1e3]
    lib = steps_of(NAdam(lr=0.002, momentum_decay=1e4), stream)
    derived = ba.nadam_constant_steps(stream)
    # the steps are differences of θ, so their round-off is relative to |θ|, not to the step
    assert np.abs(lib - derived).max() < 1e-12 * np.abs(derived).max()
    nest = steps_of(ol.Nesterov(lr=0.01, momentum=0.9), stream)
    numer = -0.01 / 0.1 * ba.nesterov_numerators(stream, 0.9)
    assert np.abs(nest - numer).max() < 1e-12 * np.abs(numer).max()


# -- AdaMax ---------------------------------------------------------------------------------
def test_pnorm_average_is_the_recursion_and_lies_within_the_bounds():
    rng = np.random.default_rng(2)
    g = rng.standard_normal((40, 3)) * 10.0 ** rng.uniform(-2, 2, (40, 3))
    b2 = 0.99
    for p in [1.0, 2.0, 3.0]:
        v = np.zeros(3)
        for t in range(40):
            v = b2 ** p * v + (1 - b2 ** p) * np.abs(g[t]) ** p
            assert np.allclose(ba.pnorm_average(g, b2, p)[t], v ** (1 / p), rtol=1e-10)
    v_inf = ba.adamax_v_inf(g, b2)
    t = np.arange(1, 41)[:, None]
    for p in [2.0, 16.0, 300.0]:
        ratio = ba.pnorm_average(g, b2, p) / v_inf
        low = (1 - b2 ** p) ** (1 / p)
        assert np.all(ratio >= low * (1 - 1e-12))
        assert np.all(ratio <= low * t ** (1 / p) * (1 + 1e-12))
    assert np.allclose(ba.pnorm_average(g, b2, 5000.0), v_inf, rtol=2e-3)
    with pytest.raises(ValueError, match="Invalid p"):
        ba.pnorm_average(g, b2, 0)


def test_adamax_v_inf_is_the_optimizers_state_and_the_step_bound_is_attained():
    rng = np.random.default_rng(3)
    g = rng.standard_normal((100, 4))
    opt = AdaMax(lr=0.002, eps=1e-8)
    theta = np.zeros(4)
    ref = ba.adamax_v_inf(g, 0.999, eps=1e-8)
    for t in range(100):
        opt.update(theta, g[t].copy())
        assert np.array_equal(opt.v_inf, ref[t])
    worst = (0.999 ** np.arange(1, 201))[:, None]
    steps = np.abs(steps_of(AdaMax(lr=1.0, eps=0.0), worst))[:, 0]
    assert np.allclose(steps, ba.adamax_step_bound(np.arange(1, 201)), rtol=1e-12)
    random = np.abs(steps_of(AdaMax(lr=1.0, eps=0.0), g))
    assert np.all(random <= ba.adamax_step_bound(np.arange(1, 101))[:, None] * (1 + 1e-12))
    assert ba.adamax_step_bound(7, beta2=1.0) == pytest.approx(1.0)
    assert ba.adamax_step_bound(7, beta2=0.9) == pytest.approx(0.1 * 7 / (1 - 0.9 ** 7))


# -- Lion -----------------------------------------------------------------------------------
def test_lion_is_the_sign_of_the_interpolated_momentum():
    rng = np.random.default_rng(4)
    g = rng.standard_normal((50, 5)) * 10.0 ** rng.uniform(-6, 6, (50, 5))
    steps = steps_of(ba.Lion(lr=0.01), g)
    assert np.allclose(np.abs(steps), 0.01, rtol=1e-12)
    theta, m = np.ones(5), np.zeros(5)
    opt = ba.Lion(lr=0.01, beta1=0.8, beta2=0.95, weight_decay=0.5)
    x = np.ones(5)
    for gt in g:
        c = 0.8 * m + 0.2 * gt
        theta = theta - 0.01 * (np.sign(c) + 0.5 * theta)
        m = 0.95 * m + 0.05 * gt
        opt.update(x, gt.copy())
    assert np.allclose(x, theta, rtol=1e-12)


# -- the explorer ---------------------------------------------------------------------------
def test_make_optimizer_and_the_explorer_report():
    for name in ba.CHOICES:
        opt = ba.make_optimizer(name, 0.01, 0.9, 0.999, 0.01)
        assert opt.label.startswith(name)
    with pytest.raises(ValueError, match="Invalid optimizer"):
        ba.make_optimizer("SGD", 0.01, 0.9, 0.999)
    fig, axes = plt.subplots(1, 2)
    msg = ba.beyond_adam(axes, "AMSGrad", C=3.0, lr=10 ** -0.5, beta1=0.0, beta2=0.1)
    head, tail = msg.split(": ", 1)
    ends = dict(part.split(" ends at x ≈ ") for part in tail.split("; ")[:2])
    assert float(ends["AMSGrad"]) < -0.9 and float(ends["Adam"]) > 0.9
    assert f"Adam {ba.cycle_drift(3.0, 0.0, 0.1):+.2f}η" in msg
    assert len(axes[0].lines) == 3          # Adam in grey, AMSGrad, the line x = −1
    plt.close(fig)
