"""Learning-rate schedules: closed forms, no rebound, no decay in warm-up, arrays, errors, plots."""
import importlib.util
import math
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from optimlib import schedules as sch  # noqa: E402
from optimlib.schedules import (Constant, CosineAnnealing, ExponentialDecay,  # noqa: E402
                                InverseSqrtDecay, InverseTimeDecay, LinearWarmup, OneCycle,
                                PolynomialDecay, StepDecay, WarmupCosine, plot_schedule)

T = 50
# Steps to test at: the first, around every corner used below, the horizon, past it.
STEPS = sorted({1, 2, 3, 4, 5, 9, 10, 11, 14, 15, 16, 20, 25, 33, 49, 50, 51, 52, 75, 100, 1000})


def cos_piece(hi, lo, s):
    return lo + (hi - lo) * (1 + math.cos(math.pi * s)) / 2


# (schedule, closed form written out independently of optimlib)
CASES = [
    (Constant(0.3), lambda t: 0.3),
    (StepDecay(0.2, step_size=10, gamma=0.5), lambda t: 0.2 * 0.5 ** ((t - 1) // 10)),
    (StepDecay(0.2, step_size=1), lambda t: 0.2 * 0.1 ** (t - 1)),
    (ExponentialDecay(0.1, gamma=0.97), lambda t: 0.1 * 0.97 ** (t - 1)),
    (InverseTimeDecay(0.5), lambda t: 0.5 / t),
    (InverseTimeDecay(0.5, decay=0.1), lambda t: 0.5 / (1 + 0.1 * (t - 1))),
    (InverseSqrtDecay(0.5), lambda t: 0.5 / math.sqrt(t)),
    (InverseSqrtDecay(0.5, decay=0.2), lambda t: 0.5 / math.sqrt(1 + 0.2 * (t - 1))),
    (PolynomialDecay(0.1, horizon=T), lambda t: 0.1 * (1 - min(t, T) / T)),
    (PolynomialDecay(0.1, horizon=T, min_lr=0.01, power=2.0),
     lambda t: 0.01 + 0.09 * (1 - min(t, T) / T) ** 2),
    (CosineAnnealing(0.1, horizon=T), lambda t: cos_piece(0.1, 0.0, min(t, T) / T)),
    (CosineAnnealing(0.1, horizon=T, min_lr=0.02),
     lambda t: cos_piece(0.1, 0.02, min(t, T) / T)),
    (LinearWarmup(0.4, warmup=10), lambda t: 0.4 * t / 10 if t <= 10 else 0.4),
    (LinearWarmup(0.4, warmup=1), lambda t: 0.4),
    (WarmupCosine(0.1, warmup=10, horizon=T, min_lr=0.001),
     lambda t: 0.1 * t / 10 if t <= 10 else cos_piece(0.1, 0.001, (min(t, T) - 10) / (T - 10))),
    (WarmupCosine(0.1, warmup=0, horizon=T), lambda t: cos_piece(0.1, 0.0, min(t, T) / T)),
    (OneCycle(1.0, horizon=T, peak=15),
     lambda t: (cos_piece(1.0, 1 / 25, 1 - t / 15) if t <= 15
                else cos_piece(1.0, 1e-4, (min(t, T) - 15) / (T - 15)))),
    (OneCycle(1.0, horizon=T, peak=20, div=10.0, final_div=100.0, anneal="linear"),
     lambda t: (0.1 + 0.9 * t / 20 if t <= 20
                else 1.0 + (0.01 - 1.0) * (min(t, T) - 20) / (T - 20))),
]
IDS = [repr(s) for s, _ in CASES]


@pytest.mark.parametrize("schedule,closed_form", CASES, ids=IDS)
def test_closed_form_at_many_steps(schedule, closed_form):
    for t in STEPS:
        value = schedule(t)
        assert isinstance(value, float), (t, type(value))
        assert value == pytest.approx(closed_form(t), rel=1e-12, abs=1e-15), t


@pytest.mark.parametrize("schedule,closed_form", CASES, ids=IDS)
def test_array_base_values_are_elementwise(schedule, closed_form):
    """Base values of shape (B,) give B schedules, each equal to its scalar one."""
    factors = np.array([0.5, 1.0, 3.0])
    kwargs = {name: getattr(schedule, name) for name in schedule._args}
    kwargs["lr"] = kwargs["lr"] * factors
    if "min_lr" in kwargs:
        kwargs["min_lr"] = kwargs["min_lr"] * factors
    swept = type(schedule)(**kwargs)
    for t in STEPS:
        value = swept(t)
        assert isinstance(value, np.ndarray) and value.shape == (3,)
        for i, f in enumerate(factors):
            one = type(schedule)(**{**kwargs, "lr": kwargs["lr"][i],
                                    **({"min_lr": kwargs["min_lr"][i]}
                                       if "min_lr" in kwargs else {})})
            assert value[i] == pytest.approx(one(t), rel=1e-14, abs=1e-300)
            assert value[i] == pytest.approx(f * schedule(t), rel=1e-12, abs=1e-300)


def test_array_floor_and_array_gamma():
    s = CosineAnnealing(np.array([0.1, 0.2]), horizon=10, min_lr=np.array([0.0, 0.05]))
    np.testing.assert_allclose(s(10), [0.0, 0.05])
    np.testing.assert_allclose(s(5), [0.05, 0.125])
    e = ExponentialDecay(0.1, gamma=np.array([0.5, 0.9]))
    np.testing.assert_allclose(e(3), [0.1 * 0.25, 0.1 * 0.81])


def test_array_result_is_a_fresh_array():
    lrs = np.array([0.1, 0.2])
    s = Constant(lrs)
    value = s(1)
    value[0] = 5.0
    assert s(1)[0] == 0.1 and lrs[0] == 0.1


def values(schedule, n):
    return np.array([schedule(t) for t in range(1, n + 1)])


@pytest.mark.parametrize("schedule", [
    CosineAnnealing(0.1, horizon=T), CosineAnnealing(0.1, horizon=T, min_lr=0.03),
    WarmupCosine(0.1, warmup=5, horizon=T, min_lr=0.01), PolynomialDecay(0.1, horizon=T),
    PolynomialDecay(0.1, horizon=T, min_lr=0.02, power=0.5), OneCycle(0.1, horizon=T),
], ids=repr)
def test_no_rebound_after_the_horizon(schedule):
    v = values(schedule, 4 * T)
    floor = v[T - 1]
    expected = getattr(schedule, "min_lr", None)
    if expected is None:
        expected = schedule.lr / schedule.final_div
    assert floor == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert np.all(v[T - 1:] == floor), "the schedule moves after its horizon"
    assert np.all(v >= floor)
    decay_start = getattr(schedule, "warmup", getattr(schedule, "peak", 0))
    assert np.all(np.diff(v[max(decay_start, 1) - 1:]) <= 0), "not monotone after the peak"


def test_warmup_rises_then_stays():
    s = LinearWarmup(0.2, warmup=25)
    v = values(s, 200)
    assert np.all(np.diff(v[:25]) > 0)
    assert v[0] == pytest.approx(0.2 / 25) and v[0] > 0
    assert np.all(v[24:] == 0.2), "linear warm-up must not decay"


def test_warmup_cosine_is_continuous_and_peaks_at_the_end_of_warmup():
    W = 20
    s = WarmupCosine(0.3, warmup=W, horizon=120, min_lr=0.003)
    v = values(s, 200)
    assert int(np.argmax(v)) + 1 == W and v[W - 1] == 0.3
    steps = np.abs(np.diff(v))
    # no jump at the seam: the step across it is no larger than the warm-up's steps
    assert steps[W - 1] <= 0.3 / W and steps[W] <= 0.3 / W
    assert np.all(np.diff(v[:W]) > 0) and np.all(np.diff(v[W - 1:]) <= 0)
    assert v[119] == pytest.approx(0.003) and np.all(v[119:] == v[119])


@pytest.mark.parametrize("peak", [1, 7, 15, 49])
@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_peaks_where_it_says(peak, anneal):
    s = OneCycle(0.5, horizon=T, peak=peak, anneal=anneal)
    v = values(s, 3 * T)
    assert int(np.argmax(v)) + 1 == peak and v[peak - 1] == 0.5
    assert np.all(np.diff(v[:peak]) > 0) and np.all(np.diff(v[peak - 1:]) <= 0)
    assert v[T - 1] == pytest.approx(0.5 / 1e4) and np.all(v[T - 1:] == v[T - 1])
    assert v[0] > 0.5 / 25 or peak == 1


def test_one_cycle_default_peak_is_thirty_percent():
    assert OneCycle(1.0, horizon=100).peak == 30
    assert OneCycle(1.0, horizon=2).peak == 1


def test_reprs_name_the_arguments():
    assert repr(CosineAnnealing(0.1, horizon=100)) == \
        "CosineAnnealing(lr=0.1, horizon=100, min_lr=0.0)"
    assert repr(WarmupCosine(0.1, 5, 100)) == \
        "WarmupCosine(lr=0.1, warmup=5, horizon=100, min_lr=0.0)"
    assert repr(Constant(np.array([0.1, 0.2]))) == "Constant(lr=array([0.1, 0.2]))"
    long = repr(Constant(np.linspace(0.1, 1.0, 100)))
    assert "..." in long and len(long) < 60


def test_every_schedule_has_a_latex_docstring():
    for name in sch.__all__:
        obj = getattr(sch, name)
        if name in ("Schedule", "plot_schedule"):
            continue
        assert ".. math::" in obj.__doc__ and r"\eta" in obj.__doc__, name
        assert "Symbols:" in obj.__doc__, name


BAD = [
    (Constant, dict(lr=-0.1), ValueError, "Invalid lr: -0.1"),
    (Constant, dict(lr=float("nan")), ValueError, "Invalid lr: nan"),
    (Constant, dict(lr=np.array([0.1, -2.0])), ValueError, "Invalid lr: -2.0"),
    (Constant, dict(lr="0.1"), TypeError, "Invalid lr: '0.1'"),
    (Constant, dict(lr=True), TypeError, "Invalid lr: True"),
    (StepDecay, dict(lr=0.1, step_size=0), ValueError, "Invalid step_size: 0"),
    (StepDecay, dict(lr=0.1, step_size=2.5), TypeError, "Invalid step_size: 2.5"),
    (StepDecay, dict(lr=0.1, step_size=2, gamma=0.0), ValueError, "Invalid gamma: 0.0"),
    (StepDecay, dict(lr=0.1, step_size=2, gamma=1.5), ValueError, "Invalid gamma: 1.5"),
    (ExponentialDecay, dict(lr=0.1, gamma=-0.5), ValueError, "Invalid gamma: -0.5"),
    (InverseTimeDecay, dict(lr=0.1, decay=-1.0), ValueError, "Invalid decay: -1.0"),
    (InverseSqrtDecay, dict(lr=0.1, decay=float("inf")), ValueError, "Invalid decay: inf"),
    (PolynomialDecay, dict(lr=0.1, horizon=0), ValueError, "Invalid horizon: 0"),
    (PolynomialDecay, dict(lr=0.1, horizon=10, power=0.0), ValueError, "Invalid power: 0.0"),
    (PolynomialDecay, dict(lr=0.1, horizon=10, min_lr=0.2), ValueError, "Invalid min_lr: 0.2"),
    (CosineAnnealing, dict(lr=0.1, horizon=-5), ValueError, "Invalid horizon: -5"),
    (CosineAnnealing, dict(lr=0.1, horizon=None), TypeError, "Invalid horizon: None"),
    (CosineAnnealing, dict(lr=0.1, horizon=10, min_lr=-0.01), ValueError,
     "Invalid min_lr: -0.01"),
    (CosineAnnealing, dict(lr=np.array([0.1, 0.01]), horizon=10, min_lr=0.05), ValueError,
     "Invalid min_lr: 0.05 at index (1,)"),
    (LinearWarmup, dict(lr=0.1, warmup=0), ValueError, "Invalid warmup: 0"),
    (WarmupCosine, dict(lr=0.1, warmup=-1, horizon=10), ValueError, "Invalid warmup: -1"),
    (WarmupCosine, dict(lr=0.1, warmup=10, horizon=10), ValueError, "Invalid horizon: 10"),
    (OneCycle, dict(lr=0.1, horizon=10, peak=10), ValueError, "Invalid peak: 10"),
    (OneCycle, dict(lr=0.1, horizon=10, peak=0), ValueError, "Invalid peak: 0"),
    (OneCycle, dict(lr=0.1, horizon=1), ValueError, "Invalid horizon: 1"),
    (OneCycle, dict(lr=0.1, horizon=10, div=0.5), ValueError, "Invalid div: 0.5"),
    (OneCycle, dict(lr=0.1, horizon=10, final_div=-1.0), ValueError, "Invalid final_div: -1.0"),
    (OneCycle, dict(lr=0.1, horizon=10, anneal="exp"), ValueError, "Invalid anneal: 'exp'"),
]


@pytest.mark.parametrize("cls,kwargs,error,message", BAD,
                         ids=[f"{c.__name__}-{m}" for c, _, _, m in BAD])
def test_bad_arguments_are_named(cls, kwargs, error, message):
    with pytest.raises(error) as info:
        cls(**kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("t,error", [(0, ValueError), (-3, ValueError), (1.5, TypeError),
                                     (None, TypeError), (True, TypeError)])
def test_bad_steps_are_named(t, error):
    with pytest.raises(error, match=r"Invalid step t: .*t = 1 at the first update"):
        CosineAnnealing(0.1, horizon=10)(t)


def test_numpy_integer_steps_work():
    s = ExponentialDecay(0.1, gamma=0.5)
    assert s(np.int64(3)) == 0.025


def test_schedules_drive_an_optimizer():
    """The public contract: any float hyperparameter may be a schedule of t."""
    from optimlib import SGD
    p, lr = np.array([1.0]), StepDecay(0.1, step_size=2, gamma=0.5)
    opt = SGD(lr=lr)
    for _ in range(4):
        opt.update(p, np.array([1.0]))
    assert p[0] == pytest.approx(1 - (0.1 + 0.1 + 0.05 + 0.05))


# -- the plot helper ---------------------------------------------------------------------
def test_plot_schedule_draws_one_line_per_schedule():
    ss = [Constant(0.1), CosineAnnealing(0.1, 80), LinearWarmup(0.1, 10)]
    ax = plot_schedule(ss, 100)
    try:
        assert len(ax.lines) == 3
        for line, s in zip(ax.lines, ss):
            x, y = line.get_data()
            np.testing.assert_array_equal(x, np.arange(1, 101))
            np.testing.assert_array_equal(y, [s(t) for t in range(1, 101)])
        assert ax.get_xlabel() == "step $t$" and ax.get_ylabel() == r"learning rate $\eta_t$"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [repr(s) for s in ss]
    finally:
        plt.close(ax.figure)


def test_plot_schedule_on_given_axes_with_labels_and_steps():
    fig, ax = plt.subplots()
    try:
        out = plot_schedule({"cosine": CosineAnnealing(0.1, 20), "1/t": InverseTimeDecay(0.1)},
                            [1, 5, 10, 40], ax=ax)
        assert out is ax and len(ax.lines) == 2
        np.testing.assert_array_equal(ax.lines[1].get_xdata(), [1, 5, 10, 40])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cosine", "1/t"]
    finally:
        plt.close(fig)


def test_plot_schedule_single_and_array_schedules():
    ax = plot_schedule(ExponentialDecay(0.1, 0.9), 10)
    assert len(ax.lines) == 1
    plt.close(ax.figure)
    ax = plot_schedule({"sweep": Constant(np.array([0.1, 0.2]))}, 5)
    assert [line.get_label() for line in ax.lines] == ["sweep[0]", "sweep[1]"]
    plt.close(ax.figure)


@pytest.mark.parametrize("schedules,steps,error,match", [
    ([], 10, ValueError, "nothing to plot"),
    ([0.1], 10, TypeError, "not a callable"),
    (Constant(0.1), 0, ValueError, "Invalid steps: 0"),
    (Constant(0.1), [0, 1], ValueError, "steps start at t = 1"),
    (Constant(0.1), [0.5, 1.0], ValueError, "Invalid steps"),
])
def test_plot_schedule_bad_arguments(schedules, steps, error, match):
    with pytest.raises(error, match=match):
        plot_schedule(schedules, steps)
    plt.close("all")


def test_schedules_module_does_not_import_pyplot():
    """Loaded on its own (without optimlib's plots), schedules.py leaves pyplot alone."""
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('s', {sch.__file__!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "m.CosineAnnealing(0.1, 10)(3)\n"
        "assert 'matplotlib.pyplot' not in sys.modules and 'matplotlib' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert importlib.util.find_spec("optimlib.schedules") is not None
