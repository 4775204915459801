r"""Learning-rate schedules: plain callables of the step :math:`t`.

A schedule is called with the step number, ``t = 1`` at the first update,
and returns the learning rate :math:`\eta_t` for that update::

    lr = WarmupCosine(0.1, warmup=10, horizon=200)
    lr(1), lr(10), lr(200)          # 0.01, 0.1, 0.0
    opt = Adam(lr=lr)               # evaluated once per update

Every base value (``lr``, ``min_lr``) may be a numpy array, for instance the
learning rates of a sweep of shape ``(B,)``; the schedule is then applied
elementwise and returns an array of the same shape (a float otherwise).
Step counts (``horizon``, ``warmup``, ...) are integers shared by all.

The decaying schedules reach their floor at ``t = horizon`` and stay there:
nothing rebounds or keeps going below the floor after the horizon.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Schedule", "Constant", "StepDecay", "ExponentialDecay", "InverseTimeDecay",
           "InverseSqrtDecay", "PolynomialDecay", "CosineAnnealing", "LinearWarmup",
           "WarmupCosine", "OneCycle", "plot_schedule"]


# -- argument checks -----------------------------------------------------------------
def _rate(name, value, low=0.0, high=None, high_open=False, low_open=False):
    """A rate-like argument as a float or a float64 array, or a ValueError naming it."""
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        raise TypeError(f"Invalid {name}: {value!r} (a number or an array of numbers is "
                        "expected)")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"Invalid {name}: {value!r} (a number or an array of numbers is "
                        "expected)") from None
    ok = np.isfinite(arr) & ((arr > low) if low_open else (arr >= low))
    if high is not None:
        ok &= (arr < high) if high_open else (arr <= high)
    if not np.all(ok):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        rule = (f"must be finite and {'>' if low_open else '>='} {low:g}" if high is None
                else f"must be in {left}{low:g}, {high:g}{right}")
        bad = float(arr) if arr.ndim == 0 else float(arr[tuple(np.argwhere(~ok)[0])])
        where = "" if arr.ndim == 0 else f" in the array {name}"
        raise ValueError(f"Invalid {name}: {bad!r}{where} ({rule})")
    if arr.ndim == 0:
        return float(arr)
    arr.flags.writeable = False
    return arr


def _count(name, value, low=1):
    """A step count: an integer >= ``low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {name}: {value!r} (an integer number of steps is expected)")
    if value < low:
        raise ValueError(f"Invalid {name}: {value!r} (must be an integer >= {low})")
    return int(value)


def _floor_below(min_lr, lr):
    """Check that the floor ``min_lr`` is not above the base ``lr`` (elementwise)."""
    try:
        above = np.broadcast_to(np.asarray(min_lr) > np.asarray(lr),
                                np.broadcast_shapes(np.shape(min_lr), np.shape(lr)))
    except ValueError:
        raise ValueError(f"min_lr of shape {np.shape(min_lr)} does not broadcast with lr of "
                         f"shape {np.shape(lr)}") from None
    if np.any(above):
        index = tuple(int(i) for i in np.argwhere(above)[0])
        m = float(np.broadcast_to(min_lr, above.shape)[index])
        b = float(np.broadcast_to(lr, above.shape)[index])
        where = "" if above.ndim == 0 else f" at index {index}"
        raise ValueError(f"Invalid min_lr: {m!r}{where} (must be <= lr, which is {b!r})")


def _step(t):
    """The step ``t`` as an int, or an error: schedules are defined for t = 1, 2, ..."""
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Integral):
        raise TypeError(f"Invalid step t: {t!r} (an integer >= 1 is expected; t = 1 at the "
                        "first update)")
    if t < 1:
        raise ValueError(f"Invalid step t: {t!r} (must be >= 1; t = 1 at the first update)")
    return int(t)


def _out(value):
    """A float for scalar base values, a new array otherwise."""
    value = np.array(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def _show(value):
    if isinstance(value, np.ndarray):
        with np.printoptions(threshold=6, edgeitems=2, precision=4):
            return np.array2string(value, separator=", ").join(("array(", ")"))
    return repr(value)


class Schedule:
    """Base class: arguments kept for the repr, ``t`` checked before every call.

    A subclass sets its arguments in ``__init__`` (listing them in ``_args``)
    and implements ``_value(t)`` for an integer ``t >= 1``.
    """

    _args: tuple = ()

    def __call__(self, t):
        return _out(self._value(_step(t)))

    def _value(self, t):
        raise NotImplementedError

    def __repr__(self):
        inner = ", ".join(f"{name}={_show(getattr(self, name))}" for name in self._args)
        return f"{type(self).__name__}({inner})"


class Constant(Schedule):
    r"""The same learning rate at every step.

    Symbols: :math:`\eta` = ``lr``.

    .. math::

        \eta_t = \eta
    """

    _args = ("lr",)

    def __init__(self, lr):
        self.lr = _rate("lr", lr)

    def _value(self, t):
        return self.lr


class StepDecay(Schedule):
    r"""Multiply the learning rate by :math:`\gamma` every :math:`s` steps.

    Symbols: :math:`\eta` = ``lr``; :math:`s` = ``step_size``; :math:`\gamma` =
    ``gamma``.

    .. math::

        \eta_t = \eta\, \gamma^{\lfloor (t - 1)/s \rfloor}

    Steps :math:`1, \dots, s` use :math:`\eta`, steps :math:`s+1, \dots, 2s` use
    :math:`\gamma\eta`, and so on (PyTorch's ``StepLR`` with one scheduler
    step per update).
    """

    _args = ("lr", "step_size", "gamma")

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = _rate("lr", lr)
        self.step_size = _count("step_size", step_size)
        self.gamma = _rate("gamma", gamma, 0.0, 1.0, low_open=True)

    def _value(self, t):
        return self.lr * self.gamma ** ((t - 1) // self.step_size)


class ExponentialDecay(Schedule):
    r"""Multiply the learning rate by :math:`\gamma` at every step.

    Symbols: :math:`\eta` = ``lr``; :math:`\gamma` = ``gamma``.

    .. math::

        \eta_t = \eta\, \gamma^{t - 1}
    """

    _args = ("lr", "gamma")

    def __init__(self, lr, gamma):
        self.lr = _rate("lr", lr)
        self.gamma = _rate("gamma", gamma, 0.0, 1.0, low_open=True)

    def _value(self, t):
        return self.lr * self.gamma ** (t - 1)


class InverseTimeDecay(Schedule):
    r"""The :math:`1/t` decay of stochastic approximation.

    Symbols: :math:`\eta` = ``lr``; :math:`k` = ``decay``.

    .. math::

        \eta_t = \frac{\eta}{1 + k\,(t - 1)}

    With the default :math:`k = 1` this is :math:`\eta_t = \eta / t`.
    """

    _args = ("lr", "decay")

    def __init__(self, lr, decay=1.0):
        self.lr = _rate("lr", lr)
        self.decay = _rate("decay", decay)

    def _value(self, t):
        return self.lr / (1.0 + self.decay * (t - 1))


class InverseSqrtDecay(Schedule):
    r"""The :math:`1/\sqrt{t}` decay.

    Symbols: :math:`\eta` = ``lr``; :math:`k` = ``decay``.

    .. math::

        \eta_t = \frac{\eta}{\sqrt{1 + k\,(t - 1)}}

    With the default :math:`k = 1` this is :math:`\eta_t = \eta / \sqrt{t}`.
    """

    _args = ("lr", "decay")

    def __init__(self, lr, decay=1.0):
        self.lr = _rate("lr", lr)
        self.decay = _rate("decay", decay)

    def _value(self, t):
        return self.lr / np.sqrt(1.0 + self.decay * (t - 1))


class PolynomialDecay(Schedule):
    r"""Polynomial decay from :math:`\eta` to a floor over :math:`T` steps.

    Symbols: :math:`\eta` = ``lr``; :math:`\eta_{\min}` = ``min_lr``; :math:`T` =
    ``horizon``; :math:`p` = ``power``.

    .. math::

        \eta_t = \eta_{\min} + (\eta - \eta_{\min})
                 \left(1 - \frac{\min(t, T)}{T}\right)^{p}

    :math:`\eta` is the value the curve starts from (at :math:`t = 0`), the
    floor is reached at :math:`t = T` and kept for :math:`t > T`. ``power=1``
    is a linear decay.
    """

    _args = ("lr", "horizon", "min_lr", "power")

    def __init__(self, lr, horizon, min_lr=0.0, power=1.0):
        self.lr = _rate("lr", lr)
        self.horizon = _count("horizon", horizon)
        self.min_lr = _rate("min_lr", min_lr)
        _floor_below(self.min_lr, self.lr)
        self.power = _rate("power", power, low_open=True)

    def _value(self, t):
        left = 1.0 - min(t, self.horizon) / self.horizon
        return self.min_lr + (self.lr - self.min_lr) * left ** self.power


def _cosine(lr, min_lr, s):
    """Half a cosine from ``lr`` (s = 0) down to ``min_lr`` (s = 1)."""
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * s))


class CosineAnnealing(Schedule):
    r"""Cosine annealing from :math:`\eta` to a floor over :math:`T` steps.

    Symbols: :math:`\eta` = ``lr``; :math:`\eta_{\min}` = ``min_lr``; :math:`T` =
    ``horizon``.

    .. math::

        \eta_t = \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
                 \left(1 + \cos\frac{\pi \min(t, T)}{T}\right)

    The curve starts from :math:`\eta` (at :math:`t = 0`), reaches the floor
    at :math:`t = T` and stays there: the :math:`\min` keeps the cosine from
    rising again after the horizon (PyTorch's ``CosineAnnealingLR`` does
    rise again if stepped past ``T_max``).
    """

    _args = ("lr", "horizon", "min_lr")

    def __init__(self, lr, horizon, min_lr=0.0):
        self.lr = _rate("lr", lr)
        self.horizon = _count("horizon", horizon)
        self.min_lr = _rate("min_lr", min_lr)
        _floor_below(self.min_lr, self.lr)

    def _value(self, t):
        return _cosine(self.lr, self.min_lr, min(t, self.horizon) / self.horizon)


class LinearWarmup(Schedule):
    r"""A linear rise to :math:`\eta` over :math:`W` steps, then constant.

    Symbols: :math:`\eta` = ``lr``; :math:`W` = ``warmup``.

    .. math::

        \eta_t = \eta\, \frac{\min(t, W)}{W}

    The first update uses :math:`\eta / W` (not 0, which would waste a step),
    step :math:`W` and every later step use :math:`\eta`. Combine with a decay
    through :class:`WarmupCosine`.
    """

    _args = ("lr", "warmup")

    def __init__(self, lr, warmup):
        self.lr = _rate("lr", lr)
        self.warmup = _count("warmup", warmup)

    def _value(self, t):
        return self.lr * (min(t, self.warmup) / self.warmup)


class WarmupCosine(Schedule):
    r"""Linear warm-up over :math:`W` steps, then cosine annealing until step :math:`T`.

    Symbols: :math:`\eta` = ``lr`` (the peak); :math:`\eta_{\min}` = ``min_lr``;
    :math:`W` = ``warmup``; :math:`T` = ``horizon`` (the step at which the floor
    is reached, counted from the first update).

    .. math::

        \eta_t = \begin{cases}
            \eta\, t / W & t \le W \\
            \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
            \left(1 + \cos\dfrac{\pi\,(\min(t, T) - W)}{T - W}\right) & t > W
        \end{cases}

    Both pieces equal :math:`\eta` at :math:`t = W`, so the schedule is
    continuous there and peaks at step :math:`W`; it stays at
    :math:`\eta_{\min}` for :math:`t \ge T`. ``warmup=0`` is
    :class:`CosineAnnealing`.
    """

    _args = ("lr", "warmup", "horizon", "min_lr")

    def __init__(self, lr, warmup, horizon, min_lr=0.0):
        self.lr = _rate("lr", lr)
        self.warmup = _count("warmup", warmup, low=0)
        self.horizon = _count("horizon", horizon)
        if self.horizon <= self.warmup:
            raise ValueError(f"Invalid horizon: {horizon!r} (must be > warmup, which is "
                             f"{self.warmup})")
        self.min_lr = _rate("min_lr", min_lr)
        _floor_below(self.min_lr, self.lr)

    def _value(self, t):
        if t <= self.warmup:
            return self.lr * (t / self.warmup)
        s = (min(t, self.horizon) - self.warmup) / (self.horizon - self.warmup)
        return _cosine(self.lr, self.min_lr, s)


class OneCycle(Schedule):
    r"""One cycle: up to the peak :math:`\eta` at step :math:`P`, then down until step :math:`T`.

    Symbols: :math:`\eta` = ``lr`` (the peak); :math:`T` = ``horizon``;
    :math:`P` = ``peak`` (the step with the largest rate; default
    :math:`\mathrm{round}(0.3\,T)`); :math:`d` = ``div``; :math:`d_f` =
    ``final_div``. With ``anneal="cos"`` (default) both phases are half
    cosines,

    .. math::

        \eta_t = \begin{cases}
            \tfrac{\eta}{d} + \tfrac12 \left(\eta - \tfrac{\eta}{d}\right)
            \left(1 - \cos\dfrac{\pi t}{P}\right) & t \le P \\
            \tfrac{\eta}{d_f} + \tfrac12 \left(\eta - \tfrac{\eta}{d_f}\right)
            \left(1 + \cos\dfrac{\pi\,(\min(t, T) - P)}{T - P}\right) & t > P
        \end{cases}

    and with ``anneal="linear"`` (Smith's original triangle) the same end
    points are joined by straight lines. The largest rate :math:`\eta` is
    taken at exactly :math:`t = P`; after :math:`T` the rate stays at
    :math:`\eta/d_f`. (As in PyTorch's ``OneCycleLR``, whose step 0 is our
    :math:`t = 0`.)
    """

    _args = ("lr", "horizon", "peak", "div", "final_div", "anneal")

    def __init__(self, lr, horizon, peak=None, div=25.0, final_div=1e4, anneal="cos"):
        self.lr = _rate("lr", lr)
        self.horizon = _count("horizon", horizon, low=2)
        if peak is None:
            peak = min(max(1, round(0.3 * self.horizon)), self.horizon - 1)
        self.peak = _count("peak", peak)
        if self.peak >= self.horizon:
            raise ValueError(f"Invalid peak: {peak!r} (must be < horizon, which is "
                             f"{self.horizon})")
        self.div = _rate("div", div, 1.0)
        self.final_div = _rate("final_div", final_div, 1.0)
        if anneal not in ("cos", "linear"):
            raise ValueError(f"Invalid anneal: {anneal!r} (must be 'cos' or 'linear')")
        self.anneal = anneal

    def _join(self, start, end, s):
        if self.anneal == "linear":
            return start + (end - start) * s
        return end + 0.5 * (start - end) * (1.0 + math.cos(math.pi * s))

    def _value(self, t):
        if t <= self.peak:
            return self._join(self.lr / self.div, self.lr, t / self.peak)
        s = (min(t, self.horizon) - self.peak) / (self.horizon - self.peak)
        return self._join(self.lr, self.lr / self.final_div, s)


def plot_schedule(schedules, steps, ax=None):
    r"""Plot learning-rate schedules :math:`\eta_t` against the step :math:`t`.

    ``schedules`` is one schedule (any callable of ``t``), a list of them
    (labelled by their repr) or a dict ``{label: schedule}``; ``steps`` is
    the number of steps (``t = 1, ..., steps``) or the steps themselves.
    One line per schedule; a schedule with array values (a sweep) draws one
    line per element, labelled ``label[i]``. Returns the axes.
    """
    import matplotlib.pyplot as plt  # lazily: importing optimlib must not load pyplot

    if callable(schedules) and not isinstance(schedules, dict):
        schedules = [schedules]
    if isinstance(schedules, dict):
        items = list(schedules.items())
    else:
        items = [(repr(s), s) for s in schedules]
    if not items:
        raise ValueError("Invalid schedules: nothing to plot (an empty collection)")
    for label, s in items:
        if not callable(s):
            raise TypeError(f"Invalid schedule {label!r}: {s!r} is not a callable of t")
    if isinstance(steps, numbers.Integral) and not isinstance(steps, (bool, np.bool_)):
        ts = np.arange(1, _count("steps", steps) + 1)
    else:
        ts = np.asarray(steps)
        if ts.ndim != 1 or ts.size == 0 or not np.issubdtype(ts.dtype, np.integer):
            raise ValueError(f"Invalid steps: {steps!r} (a number of steps or a non-empty "
                             "1-d sequence of integer steps is expected)")
        if ts.min() < 1:
            raise ValueError(f"Invalid steps: contains {int(ts.min())} (steps start at t = 1)")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for label, s in items:
        values = np.array([s(int(t)) for t in ts], dtype=np.float64)
        if values.ndim == 1:
            ax.plot(ts, values, label=label)
        else:
            for index in np.ndindex(values.shape[1:]):
                name = ", ".join(map(str, index))
                ax.plot(ts, values[(slice(None),) + index], label=f"{label}[{name}]")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"learning rate $\eta_t$")
    ax.legend()
    return ax
