"""train(): batch order, divergence in words, copies equal loops, sklearn's optimum, plots."""
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from optimlib.data import load_dataset  # noqa: E402
from optimlib.models import MLP, LinearRegression, LogisticRegression  # noqa: E402
from optimlib.optimizers import SGD, Adam, Momentum, Nesterov, RMSProp  # noqa: E402
from optimlib.plots import plot_loss  # noqa: E402
from optimlib.training import TrainResult, batch_order, train  # noqa: E402


@pytest.fixture(scope="module")
def cancer():
    return load_dataset("breast_cancer")


@pytest.fixture(scope="module")
def cancer_raw():
    return load_dataset("breast_cancer", standardize=False)


# --- the order of the data -------------------------------------------------

def test_same_seed_same_batches_for_every_optimizer(cancer):
    model = LogisticRegression(30, l2=1e-3)
    a = train(SGD(lr=0.1), model, cancer, epochs=3, batch_size=32, seed=7)
    b = train(Adam(lr=0.01), model, cancer, epochs=3, batch_size=32, seed=7)
    c = train(Adam(lr=0.01), model, cancer, epochs=3, batch_size=32, seed=8)
    assert len(a.batches) == len(b.batches) == 3 * 11      # 341 rows, 11 batches per epoch
    for p, q in zip(a.batches, b.batches):
        np.testing.assert_array_equal(p, q)
    assert any(not np.array_equal(p, q) for p, q in zip(a.batches, c.batches))
    # the order depends on nothing but seed, rows and batch size: it is batch_order's
    for p, q in zip(a.batches, batch_order(341, 32, 3, seed=7)):
        np.testing.assert_array_equal(p, q)
    # and more epochs only append to it
    for p, q in zip(batch_order(341, 32, 2, seed=7), a.batches):
        np.testing.assert_array_equal(p, q)


def test_without_replacement_every_epoch_is_a_permutation():
    batches = batch_order(100, 32, 3, seed=0)
    assert [len(b) for b in batches] == [32, 32, 32, 4] * 3
    epochs = [np.concatenate(batches[i:i + 4]) for i in range(0, 12, 4)]
    for e in epochs:
        np.testing.assert_array_equal(np.sort(e), np.arange(100))
    assert not np.array_equal(epochs[0], epochs[1])


def test_with_replacement_batches_are_independent_draws():
    batches = batch_order(100, 32, 50, seed=0, replacement=True)
    assert len(batches) == 50 * 4 and all(len(b) == 32 for b in batches)
    rows = np.concatenate(batches)
    assert rows.min() >= 0 and rows.max() < 100
    # some batch repeats a row, and some epoch misses a row: not a permutation
    assert any(len(np.unique(b)) < 32 for b in batches)
    assert any(len(np.unique(np.concatenate(batches[i:i + 4]))) < 100 for i in range(0, 200, 4))
    # every row is drawn about equally often (10 000 draws for 100 rows: 64 ± 8 each)
    counts = np.bincount(rows, minlength=100)
    assert counts.min() > 64 - 5 * 8 and counts.max() < 64 + 5 * 8


def test_full_batch_is_gradient_descent(cancer):
    model = LogisticRegression(30, l2=1e-2)
    r = train(SGD(lr=0.5), model, cancer, epochs=25, batch_size=None)
    params = model.init()
    expected = [model.loss(params, cancer.X_train, cancer.y_train)]
    for _ in range(25):
        _, g = model.loss_and_grad(params, cancer.X_train, cancer.y_train)
        for k in params:
            params[k] -= 0.5 * g[k]
        expected.append(model.loss(params, cancer.X_train, cancer.y_train))
    np.testing.assert_allclose(r.loss, expected, rtol=1e-14)
    assert r.steps == 25 and r.steps_per_epoch == 1
    np.testing.assert_array_equal(r.grad_evals, 341 * np.arange(26))
    np.testing.assert_allclose(r.batch_loss, expected[:-1], rtol=1e-14)


def test_mini_batch_steps_follow_the_recorded_batches(cancer):
    model = LogisticRegression(30, l2=1e-3)
    r = train(Momentum(lr=0.05), model, cancer, epochs=2, batch_size=50, seed=3)
    opt, params = Momentum(lr=0.05), model.init(seed=3)
    for t, rows in enumerate(r.batches, start=1):
        f, g = model.loss_and_grad(params, cancer.X_train[rows], cancer.y_train[rows])
        assert f == r.batch_loss[t - 1]
        opt.update(params, g)
        assert model.loss(params, cancer.X_train, cancer.y_train) == r.loss[t]
    for k in params:
        np.testing.assert_array_equal(params[k], r.params[k])
    np.testing.assert_array_equal(r.grad_evals, np.concatenate([[0], np.cumsum(
        [len(b) for b in r.batches])]))
    assert r.grad_evals[-1] == 2 * 341


def test_history_shapes_and_validation_metric(cancer):
    model = LogisticRegression(30, l2=1e-3)
    r = train(Adam(lr=0.01), model, cancer, epochs=4, batch_size=64)
    assert isinstance(r, TrainResult) and r.name == "Adam"
    assert r.loss.shape == (r.steps + 1,) and r.batch_loss.shape == (r.steps,)
    assert r.steps == 4 * 6 and r.val_metric.shape == r.val_loss.shape == (5,)
    np.testing.assert_array_equal(r.epoch_steps, [0, 6, 12, 18, 24])
    assert r.val_metric[0] == model.accuracy(model.init(), cancer.X_val, cancer.y_val)
    np.testing.assert_allclose(r.val_metric[-1],
                               model.accuracy(r.params, cancer.X_val, cancer.y_val))
    np.testing.assert_allclose(r.val_loss[-1], model.loss(r.params, cancer.X_val, cancer.y_val))
    assert r.val_metric[-1] > 0.9 and r.loss[-1] < 0.5 * r.loss[0]
    assert r.diverged_at.shape == () and not r.diverged
    assert r.status().startswith("Adam: training loss") and "validation accuracy" in r.status()
    # without validation data
    r2 = train(Adam(lr=0.01), model, (cancer.X_train, cancer.y_train), epochs=1)
    assert r2.val_metric is None and "validation" not in r2.status()


def test_start_params_are_copied_not_changed(cancer):
    model = LogisticRegression(30)
    start = model.init(scale=0.1)
    before = {k: v.copy() for k, v in start.items()}
    r = train(SGD(lr=0.1), model, cancer, epochs=1, params=start)
    for k in start:
        np.testing.assert_array_equal(start[k], before[k])
        assert not np.array_equal(r.params[k], before[k])


def test_regression_reports_mean_squared_error():
    ds = load_dataset("diabetes")
    model = LinearRegression(10, l2=1e-3)
    r = train(SGD(lr=0.05), model, ds, epochs=30, batch_size=16)
    assert r.metric_name == "mean squared error"
    assert r.val_metric[-1] < 0.7 * r.val_metric[0]       # standardised targets: MSE starts ≈ 1
    assert "validation mean squared error" in r.status()


# --- divergence ------------------------------------------------------------

def test_divergence_is_reported_in_words_without_warnings(cancer_raw):
    model = LogisticRegression(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = train(SGD(lr=1e3), model, cancer_raw, epochs=5, batch_size=32)
    k = int(r.diverged_at)
    assert k >= 1 and r.status() == f"SGD: diverged at step {k}"
    assert np.all(np.isfinite(r.loss[:k])) and np.all(np.isnan(r.loss[k:]))
    assert np.all(np.isnan(r.params["W"]))
    assert np.isnan(r.val_metric[-1])


def test_divergence_to_overflow_is_caught_too():
    # raw features ~1e3, a linear model and lr 1e6: the loss overflows to inf within steps
    ds = load_dataset("breast_cancer", standardize=False)
    model = LinearRegression(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = train(SGD(lr=1e6), model, (ds.X_train, ds.y_train.astype(float)), epochs=50,
                  batch_size=None, blowup=1e300)
    assert r.diverged and "diverged at step" in r.status()


def test_each_copy_diverges_on_its_own(cancer_raw):
    lrs = np.array([1e-6, 1e-5, 1e3, 1e4])
    model = LogisticRegression(30)
    r = train(SGD(lr=lrs), model, cancer_raw, epochs=2, batch_size=64)
    assert r.loss.shape == (r.steps + 1, 4) and r.diverged_at.shape == (4,)
    np.testing.assert_array_equal(r.diverged_at[:2], -1)
    assert np.all(r.diverged_at[2:] >= 1)
    assert np.all(np.isfinite(r.loss[:, :2])) and np.all(np.isnan(r.params["W"][2:]))
    assert np.all(np.isfinite(r.params["W"][:2]))
    assert re.match(r"SGD: 2 of 4 runs diverged \(the first at step \d+\); the other 2 end "
                    r"with training loss", r.status())


# --- many copies in one call -----------------------------------------------

@pytest.mark.parametrize("make", [SGD, Adam, Nesterov, RMSProp], ids=lambda c: c.__name__)
def test_batched_lr_sweep_equals_looped_runs(cancer, make):
    lrs = np.array([1e-3, 1e-2, 1e-1, 1.0, 1e9])        # the last one diverges
    model = LogisticRegression(30, l2=1e-3)
    kw = dict(epochs=3, batch_size=32, seed=11)
    swept = train(make(lr=lrs), model, cancer, **kw)      # ONE vectorised call
    assert swept.loss.shape == (swept.steps + 1, 5)
    assert swept.val_metric.shape == (4, 5) and swept.params["W"].shape == (5, 30, 1)
    for i, lr in enumerate(lrs):
        one = train(make(lr=float(lr)), model, cancer, **kw)
        np.testing.assert_allclose(swept.loss[:, i], one.loss, rtol=1e-10)
        np.testing.assert_allclose(swept.batch_loss[:, i], one.batch_loss, rtol=1e-10)
        np.testing.assert_allclose(swept.val_metric[:, i], one.val_metric, rtol=1e-10)
        assert swept.diverged_at[i] == one.diverged_at
        for k in one.params:
            np.testing.assert_allclose(swept.params[k][i], one.params[k], rtol=1e-10,
                                       atol=1e-14)
    if make is not RMSProp:      # RMSProp normalises the step: lr 1e9 moves far but stays finite
        assert swept.diverged_at[-1] >= 1


def test_several_seeds_of_an_mlp_in_one_call():
    ds = load_dataset("wine")
    model = MLP(13, hidden=(8, 6), n_classes=3, activation="relu", l2=1e-4)
    kw = dict(epochs=4, batch_size=16, seed=0)
    many = train(Adam(lr=0.01), model, ds, params=model.init(seed=[1, 2, 3]), **kw)
    assert many.loss.shape == (many.steps + 1, 3)
    for i, s in enumerate([1, 2, 3]):
        one = train(Adam(lr=0.01), model, ds, params=model.init(seed=s), **kw)
        np.testing.assert_allclose(many.loss[:, i], one.loss, rtol=1e-10)
        np.testing.assert_allclose(many.val_metric[:, i], one.val_metric, rtol=1e-10)
    assert not np.allclose(many.loss[-1, 0], many.loss[-1, 1])


def test_grid_of_copies_from_two_array_hyperparameters(cancer):
    lrs, mus = np.array([0.01, 0.1]), np.array([0.0, 0.5, 0.9])
    model = LogisticRegression(30, l2=1e-3)
    grid = train(Momentum(lr=lrs[:, None], momentum=mus[None, :]), model, cancer, epochs=1)
    assert grid.loss.shape == (grid.steps + 1, 2, 3) and grid.params["W"].shape == (2, 3, 30, 1)
    one = train(Momentum(lr=0.1, momentum=0.5), model, cancer, epochs=1)
    np.testing.assert_allclose(grid.loss[:, 1, 1], one.loss, rtol=1e-10)


# --- the optimum that scikit-learn finds ------------------------------------

@pytest.mark.parametrize("name, n_classes, l2", [("breast_cancer", 2, 1e-2),
                                                 ("wine", 3, 1e-2)])
def test_training_reaches_sklearns_optimum(name, n_classes, l2):
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    ds = load_dataset(name)
    X, y = ds.X_train, ds.y_train
    n = len(y)
    model = LogisticRegression(ds.n_features, n_classes=n_classes, l2=l2)
    # sklearn minimises  C Σ_i ℓ_i + ½‖W‖²  (intercept not penalised);
    # divided by nC this is  (1/n) Σ_i ℓ_i + 1/(2nC) ‖W‖²,  so C = 1 / (n λ).
    sk = SkLogisticRegression(C=1.0 / (n * l2), tol=1e-12, max_iter=100_000).fit(X, y)
    f_sklearn = model.loss({"W": sk.coef_.T.copy(), "b": sk.intercept_.copy()}, X, y)
    r = train(Nesterov(lr=0.1, momentum=0.9), model, ds, epochs=1500, batch_size=None)
    f_ours = r.loss[-1]
    assert not r.diverged
    assert abs(f_ours - f_sklearn) < 1e-6, (f_ours, f_sklearn)
    # the same model: accuracy on validation agrees
    np.testing.assert_array_equal(model.predict(r.params, ds.X_val), sk.predict(ds.X_val))


# --- plots -----------------------------------------------------------------

def test_plot_loss_draws_a_training_result(cancer, cancer_raw):
    model = LogisticRegression(30, l2=1e-3)
    r = train(Adam(lr=0.01), model, cancer, epochs=2, batch_size=64)
    ax = plot_loss(r)
    assert len(ax.lines) == 1
    np.testing.assert_allclose(ax.lines[0].get_ydata(), r.loss)     # f_min = 0: the plain loss
    assert ax.lines[0].get_label() == "Adam"
    plt.close(ax.figure)
    r2 = train(Adam(lr=0.01), model, cancer, epochs=2, batch_size=64, f_min=0.05)
    np.testing.assert_allclose(r2.gap, r2.loss - 0.05)
    swept = train(SGD(lr=np.array([0.01, 1e4])), model, cancer_raw, epochs=2, batch_size=64,
                  name="SGD sweep")
    ax = plot_loss([r2, swept])
    # one line per run, and a cross where the diverged copy stopped
    assert len(ax.lines) == 1 + 2 + 1
    k = int(swept.diverged_at[1])
    assert ax.lines[-1].get_xdata()[0] == k - 1
    plt.close(ax.figure)


# --- bad arguments ---------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    (dict(epochs=-1), ValueError, "Invalid epochs: -1"),
    (dict(epochs=2.5), TypeError, "Invalid epochs: 2.5"),
    (dict(batch_size=0), ValueError, "Invalid batch_size: 0"),
    (dict(replacement="no"), TypeError, "Invalid replacement: 'no'"),
    (dict(blowup=0), ValueError, "Invalid blowup: 0"),
    (dict(f_min=float("nan")), ValueError, "Invalid f_min: nan"),
])
def test_bad_arguments_raise_with_the_value(cancer, kwargs, error, message):
    with pytest.raises(error, match=message):
        train(SGD(lr=0.1), LogisticRegression(30), cancer, **kwargs)


def test_bad_data_and_shapes_raise(cancer):
    with pytest.raises(ValueError, match=r"X has shape \(341, 30\); expected \(n, 13\)"):
        train(SGD(), LogisticRegression(13), cancer)
    with pytest.raises(TypeError, match="data must be a Dataset"):
        train(SGD(), LogisticRegression(30), cancer.X_train)
    model = LogisticRegression(30)
    with pytest.raises(ValueError, match="do not line up"):
        train(SGD(lr=np.array([0.1, 0.2])), model, cancer, params=model.init(copies=3))
