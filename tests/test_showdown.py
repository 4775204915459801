"""Chapter 11's protocol (optimlib.experiments.showdown): the batched sweep is the looped
training of optimlib.train, every optimizer sees the same batches per seed, the learning
rate is chosen on validation data only, the edge-of-grid check, times to target, the
verdicts and the statistics."""
import math

import numpy as np
import pytest

import optimlib as ol
from optimlib.experiments import showdown as sd


def small_task(model=None, data=None, epochs=2, batch_size=32, eval_every=None):
    data = data or ol.load_dataset("breast_cancer")
    model = model or ol.LogisticRegression(data.n_features, l2=1e-3)
    per_epoch = math.ceil(len(data.y_train) / batch_size)
    return sd.Task("small", "small", model, data, epochs, batch_size,
                   eval_every or per_epoch, "dense")


# -- the grid ------------------------------------------------------------------------------

def test_grid_is_log_uniform_and_includes_both_ends():
    grid = sd.lr_grid(1e-3, 1e1, per_decade=2)
    assert grid.size == 9
    assert grid[0] == pytest.approx(1e-3) and grid[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(np.diff(np.log10(grid)), 0.5)
    assert sd.GRID.size == 11 and sd.GRID[0] == pytest.approx(10 ** -3.5)
    assert sd.GRID[-1] == pytest.approx(10 ** 1.5)


@pytest.mark.parametrize("args, word", [((0.0, 1.0), "grid"), ((1.0, 0.1), "grid"),
                                        ((1e-3, 1.0, 0), "per_decade")])
def test_bad_grid_arguments_are_named(args, word):
    with pytest.raises(ValueError, match=word):
        sd.lr_grid(*args)


# -- the sweep: batched equals looped, same batches for everyone -----------------------------

@pytest.mark.parametrize("name", ["SGD", "Nesterov", "Adam", "Adadelta"])
def test_batched_sweep_equals_optimlib_train_per_seed(name):
    """All lrs × seeds in one call give what optimlib.train gives seed by seed."""
    task = small_task()
    lrs = np.array([1e-3, 1e-2, 1e-1])
    seeds = (3, 7)
    result = sd.sweep(name, task, lrs, seeds)
    cls = getattr(ol, name)
    for i, seed in enumerate(seeds):
        ref = ol.train(cls(lr=lrs), task.model, task.data, epochs=task.epochs,
                       batch_size=task.batch_size, seed=seed)
        # checkpoints fall on the epoch ends here, where train records the validation loss
        np.testing.assert_allclose(result.val_loss[:, i, :], ref.val_loss, rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_allclose(result.val_metric[i], ref.val_metric[-1])
        for k in ref.params:
            np.testing.assert_allclose(result.params[k][i], ref.params[k], rtol=1e-12,
                                       atol=1e-14)
        assert all(np.array_equal(a, b) for a, b in zip(result.batches[i], ref.batches))


def test_batched_sweep_equals_looped_sweeps_on_the_mlp():
    data = ol.load_dataset("digits")
    task = small_task(ol.MLP(data.n_features, hidden=8, n_classes=10), data, epochs=1,
                      batch_size=64, eval_every=5)
    lrs, seeds = np.array([0.01, 0.1]), (0, 1, 2)
    together = sd.sweep("Momentum", task, lrs, seeds)
    for i, seed in enumerate(seeds):
        for g, lr in enumerate(lrs):
            alone = sd.sweep("Momentum", task, [lr], (seed,))
            np.testing.assert_allclose(together.val_loss[:, i, g], alone.val_loss[:, 0, 0],
                                       rtol=1e-12)
            np.testing.assert_allclose(together.test_metric[i, g], alone.test_metric[0, 0])
    # different seeds: different starts and batch orders, so different runs
    assert not np.allclose(together.val_loss[-1, 0], together.val_loss[-1, 1])


def test_every_optimizer_sees_the_same_batches_per_seed():
    task = small_task(epochs=1)
    seeds = (0, 5)
    runs = [sd.sweep(name, task, [0.01], seeds) for name in ("SGD", "AdaGrad", "AdamW")]
    for i, seed in enumerate(seeds):
        expected = ol.batch_order(len(task.data.y_train), task.batch_size, 1, seed)
        for r in runs:
            assert len(r.batches[i]) == len(expected)
            assert all(np.array_equal(a, b) for a, b in zip(r.batches[i], expected))
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0].batches[0],
                                                         runs[0].batches[1]))
    # the same budget: every optimizer took as many steps on as many examples
    assert len({tuple(r.grad_evals) for r in runs}) == 1
    assert runs[0].grad_evals[-1] == len(task.data.y_train)


def test_checkpoints_and_progress():
    task = small_task(epochs=1, eval_every=4)
    calls = []
    result = sd.sweep("SGD", task, [0.1], (0,), progress=lambda t, n: calls.append((t, n)))
    steps = math.ceil(len(task.data.y_train) / task.batch_size)
    assert result.steps[0] == 0 and result.steps[-1] == steps
    assert list(result.steps[1:-1]) == list(range(4, steps, 4))
    assert [t for t, _ in calls] == list(result.steps[1:]) and calls[-1] == (steps, steps)
    np.testing.assert_array_equal(result.grad_evals, np.minimum(result.steps * 32,
                                                                len(task.data.y_train)))


def test_a_diverging_copy_is_stopped_and_reported_without_warnings():
    data = ol.load_dataset("diabetes")
    task = small_task(ol.LinearRegression(data.n_features), data, epochs=3)
    result = sd.sweep("SGD", task, [0.01, 30.0], (0, 1))
    assert np.all(result.diverged_at[:, 0] == -1)
    assert np.all(result.diverged_at[:, 1] >= 1)
    assert np.all(np.isfinite(result.val_loss[:, :, 0]))
    assert np.all(np.isnan(result.final_val_loss[:, 1]))
    assert np.all(np.isnan(result.test_metric[:, 1]))
    k = int(result.diverged_at[0, 1])
    later = result.steps > k
    assert np.all(np.isnan(result.val_loss[later, 0, 1]))


@pytest.mark.parametrize("kwargs, word", [
    (dict(optimizer="Adamm"), "optimizer"), (dict(optimizer="Optimizer"), "optimizer"),
    (dict(task="mnist"), "task"), (dict(lrs=[0.1, -1.0]), "learning rates"),
    (dict(seeds=(1, 1)), "seeds"), (dict(blowup=0), "blowup")])
def test_bad_sweep_arguments_are_named(kwargs, word):
    args = dict(optimizer="SGD", task=small_task(epochs=1), lrs=[0.1], seeds=(0,))
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        sd.sweep(args.pop("optimizer"), args.pop("task"), **args)


# -- selection on validation data, the edge of the grid, the good range ------------------------

def test_selection_uses_the_validation_loss_only():
    """The sweep's test numbers play no part: a rate that is best on test but not on
    validation is not chosen, and changing the test numbers changes nothing."""
    task = small_task(epochs=2)
    lrs = sd.lr_grid(1e-3, 1e1, 1)
    result = sd.sweep("SGD", task, lrs, (0, 1))
    chosen = sd.select(result.final_val_loss, lrs)
    assert chosen.index == int(np.argmin(result.final_val_loss.mean(axis=0)))
    result.test_loss[:] = 0.0
    result.test_loss[:, 0] = -1.0
    assert sd.select(result.final_val_loss, lrs).index == chosen.index
    # a crafted case where test and validation disagree
    val = np.array([[0.5, 0.3, 0.2, 0.4], [0.5, 0.3, 0.2, 0.4]])
    test = np.array([[0.1, 0.3, 0.9, 0.4], [0.1, 0.3, 0.9, 0.4]])
    assert sd.select(val, [1, 2, 3, 4]).index == 2
    assert int(np.argmin(test.mean(axis=0))) == 0


def test_a_rate_where_a_seed_diverged_is_never_chosen():
    val = np.array([[0.30, 0.10, 0.20], [0.30, np.nan, 0.20]])
    s = sd.select(val, [0.1, 1.0, 10.0])
    assert s.index == 2 and s.mean[1] == np.inf and s.at_edge == "high"
    with pytest.raises(ValueError, match="every learning rate diverged"):
        sd.select(np.full((2, 3), np.nan), [0.1, 1.0, 10.0])


def test_edge_of_grid_check():
    lrs = sd.lr_grid(1e-3, 1e1, 1)                       # 1e-3 .. 10, 5 points
    low = sd.select(np.array([[0.1, 0.2, 0.3, 0.4, 0.5]] * 2), lrs)
    high = sd.select(np.array([[0.5, 0.4, 0.3, 0.2, 0.1]] * 2), lrs)
    inside = sd.select(np.array([[0.5, 0.2, 0.1, 0.2, 0.5]] * 2), lrs)
    assert (low.at_edge, high.at_edge, inside.at_edge) == ("low", "high", "")
    assert "LOWEST" in low.edge_report() and "extend the grid" in low.edge_report()
    assert "HIGHEST" in high.edge_report()
    assert "inside the grid" in inside.edge_report() and "2 point(s)" in inside.edge_report()


def test_good_range_is_the_rates_within_the_tolerance():
    lrs = sd.lr_grid(1e-3, 1e1, 1)
    s = sd.select(np.array([[0.5, 0.215, 0.2, 0.221, 0.5]] * 3), lrs, tolerance=0.1)
    np.testing.assert_array_equal(s.good, [False, True, True, False, False])
    assert s.good_low == pytest.approx(1e-2) and s.good_high == pytest.approx(1e-1)
    assert s.decades == pytest.approx(1.0)
    with pytest.raises(ValueError, match="tolerance"):
        sd.select(np.ones((2, 5)), lrs, tolerance=-0.1)
    with pytest.raises(ValueError, match="shape"):
        sd.select(np.ones((2, 4)), lrs)


def test_target_is_the_best_optimizer_plus_the_tolerance():
    lrs = [0.1, 1.0, 10.0]
    sels = {"A": sd.select(np.array([[0.3, 0.2, 0.4]] * 2), lrs),
            "B": sd.select(np.array([[0.5, 0.25, 0.4]] * 2), lrs)}
    assert sd.target_loss(sels) == pytest.approx(1.1 * 0.2)
    assert sd.target_loss(list(sels.values()), tolerance=0.5) == pytest.approx(0.3)


# -- time to target and verdicts -----------------------------------------------------------

def fake_sweep(curves, grad_evals):
    """A Sweep with validation curves of shape (C+1, S) at a single learning rate."""
    curves = np.asarray(curves, dtype=float)[:, :, None]
    S = curves.shape[1]
    nan = np.full((S, 1), np.nan)
    return sd.Sweep("X", "t", np.array([0.1]), tuple(range(S)), np.arange(len(grad_evals)),
                    np.asarray(grad_evals), curves, np.full((S, 1), -1), nan, nan, nan, [], {})


def test_time_to_target_per_seed():
    r = fake_sweep([[1.0, 1.0, 1.0], [0.5, 0.8, 0.9], [0.2, 0.4, np.nan], [0.1, 0.3, np.nan]],
                   [0, 100, 200, 300])
    np.testing.assert_array_equal(sd.time_to_target(r, 0, 0.45), [200, 200, np.inf])
    np.testing.assert_array_equal(sd.time_to_target(r, 0, 1.0), [0, 0, 0])


@pytest.mark.parametrize("ta, tb, relation, holds", [
    ([100, 120, 110], [100, 100, 100], "as fast as", True),
    ([100, 160, 160], [100, 100, 100], "as fast as", False),       # 1.6 > 1.5
    ([60, 60, 60], [100, 100, 100], "as fast as", False),          # 0.6 < 1/1.5
    ([60, 60, 60], [100, 100, 100], "faster than", True),
    ([70, 70, 70], [100, 100, 100], "faster than", False),         # 0.7 >= 0.667
    ([100, 100, 100], [np.inf, np.inf, 200], "faster than", True),  # B never gets there
    ([np.inf, np.inf, 100], [100, 100, 100], "as fast as", False),
    ([np.inf, np.inf, 100], [np.inf, np.inf, 100], "as fast as", None)])
def test_verdicts(ta, tb, relation, holds):
    v = sd.verdict("A", relation, "B", ta, tb)
    assert v.holds is holds
    assert v.word == {True: "holds", False: "does not hold", None: "undecided"}[holds]
    assert v.seed_ratios.shape == (3,)


def test_bad_verdict_arguments_are_named():
    with pytest.raises(ValueError, match="relation"):
        sd.verdict("A", "slower than", "B", [1.0], [1.0])
    with pytest.raises(ValueError, match="ratio"):
        sd.verdict("A", "as fast as", "B", [1.0], [1.0], ratio=1.0)
    with pytest.raises(ValueError, match="paired"):
        sd.verdict("A", "as fast as", "B", [1.0, 2.0], [1.0])


# -- statistics --------------------------------------------------------------------------------

def test_t_quantile_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 4, 9, 30):
        for p in (0.9, 0.975, 0.995):
            assert sd.t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-7)
    assert sd.t_quantile(0.5, 3) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="df"):
        sd.t_quantile(0.975, 0)
    with pytest.raises(ValueError, match="p"):
        sd.t_quantile(1.0, 4)


def test_mean_ci():
    values = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 10.0], [5.0, 10.0]])
    mean, half = sd.mean_ci(values)
    np.testing.assert_allclose(mean, [3.0, 10.0])
    np.testing.assert_allclose(half, [sd.t_quantile(0.975, 4) * np.sqrt(2.5) / np.sqrt(5), 0])
    with pytest.raises(ValueError, match="at least 2"):
        sd.mean_ci(np.ones((1, 3)))


# -- the tasks, the cache, the progress line ----------------------------------------------------

def test_tasks():
    for name in sd.TASK_NAMES:
        task = sd.get_task(name)
        assert task is sd.get_task(name)
        assert task.steps == task.epochs * task.steps_per_epoch
        assert 14 <= len(range(0, task.steps + 1, task.eval_every)) <= 18
    assert sd.get_task("bag_of_words").inputs == "sparse"
    assert sd.get_task("breast_cancer").inputs == "dense"
    with pytest.raises(ValueError, match="task"):
        sd.get_task("mnist")


def test_showdown_is_computed_once(monkeypatch):
    task = small_task(epochs=1)
    calls = []
    first = sd.showdown(task, ("SGD", "Adam"), [0.01, 0.1], (0, 1),
                        progress=lambda *a: calls.append(a))
    assert calls == [(1, 2, "SGD"), (2, 2, "Adam")]
    monkeypatch.setattr(sd, "sweep", lambda *a, **k: pytest.fail("computed twice"))
    again = sd.showdown(task, ("SGD", "Adam"), [0.01, 0.1], (0, 1))
    assert again["Adam"] is first["Adam"]


def test_progress_line_prints_nothing_outside_a_notebook(capsys):
    with sd.ProgressLine() as line:
        line.update(1, 3, "SGD")
    assert capsys.readouterr() == ("", "")
