r"""Chapter 10, learning-rate schedules and warm-up: the formulas, measured, and the explorer.

A schedule gives the learning rate :math:`\eta_t` of update :math:`t = 1, 2, \dots`
(:mod:`optimlib.schedules`). This module holds what chapter 10 computes about
them:

- building schedules by name over a run of :math:`T` steps: :data:`SCHEDULES`,
  :func:`make_schedule`, :class:`Ramped` (a linear warm-up in front of any
  schedule), :class:`Stack` (several schedules side by side, one per copy of a
  batched run), :func:`schedule_values`;
- the Robbins–Monro conditions :math:`\sum_t \eta_t = \infty`,
  :math:`\sum_t \eta_t^2 < \infty`, decided from each schedule's formula
  (:func:`robbins_monro`) and its partial sums (:func:`partial_sums`);
- SGD and heavy-ball momentum on a noisy quadratic under any schedule: the
  exact expected loss :func:`expected_gap` (a linear recursion of second moments);
- Adam's noise floor at a constant :math:`\eta`, :func:`adam_floor`
  (:math:`\tfrac{\eta}{4}\sum_i \sigma_i` for small :math:`\eta`);
- the start of Adam: :func:`effective_samples` (how many gradients :math:`\hat v_t`
  and :math:`\hat m_t` really average), :func:`inverse_root_moments` and
  :func:`adaptive_factor_moments` (mean and spread of :math:`1/\sqrt{\hat v_t}` when
  :math:`\hat v_t` is a scaled :math:`\chi^2`), :func:`noise_step_rms`, and
  :func:`adam_start` (the same quantities read from :class:`optimlib.Adam`'s state);
- the two momentum forms after a step decay: :func:`form_gap` (how far the
  velocity form runs ahead of PyTorch's buffer form);
- :func:`best_on_grid` (a tuned value, and whether it sits at the grid's edge);
- the explorer ``lr_schedule`` (:func:`lr_schedule`).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..functions import Quadratic
from ..optimizers import SGD, Adam, Momentum
from ..plots import style_of
from ..run import run
from ..schedules import (Constant, CosineAnnealing, ExponentialDecay, InverseSqrtDecay,
                         InverseTimeDecay, LinearWarmup, OneCycle, PolynomialDecay, Schedule,
                         StepDecay, WarmupCosine)
from .registry import register

__all__ = ["SCHEDULES", "make_schedule", "Ramped", "Stack", "schedule_values",
           "robbins_monro", "partial_sums", "expected_gap", "adam_floor",
           "effective_samples", "inverse_root_moments", "adaptive_factor_moments",
           "noise_step_rms",
           "adam_start", "form_gap", "best_on_grid", "logistic_minimum", "momentum_forms", "lr_schedule"]

#: The schedules :func:`make_schedule` builds, by name (the explorer's dropdown).
SCHEDULES = ("constant", "step", "exponential", "1/t", "1/√t", "linear", "cosine",
             "one-cycle")


def _nonneg(name, value):
    """``value`` as a float array with every entry finite and >= 0, or a ValueError naming it."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr) & (arr >= 0)):
        raise ValueError(f"Invalid {name}: {value!r} (must be finite and >= 0)")
    return arr


def _beta(name, value):
    """A decay rate in [0, 1) (number or array), or a ValueError naming it."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr) & (arr >= 0) & (arr < 1)):
        raise ValueError(f"Invalid {name}: {value!r} (must be in [0, 1))")
    return arr


def _whole(name, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {name}: {value!r} (a whole number is expected)")
    if value < low:
        raise ValueError(f"Invalid {name}: {value!r} (must be >= {low})")
    return int(value)


class Ramped(Schedule):
    r"""A linear warm-up over :math:`W` steps in front of any schedule :math:`s`.

    Symbols: :math:`s` = ``schedule`` (a callable of :math:`t`); :math:`W` =
    ``warmup``.

    .. math::

        \eta_t = s(t)\, \frac{\min(t, W)}{W}

    ``warmup=0`` leaves :math:`s` unchanged. (For a constant or cosine
    schedule the library has :class:`~optimlib.LinearWarmup` and
    :class:`~optimlib.WarmupCosine`, which :func:`make_schedule` uses.)
    """

    _args = ("schedule", "warmup")

    def __init__(self, schedule, warmup):
        if not callable(schedule):
            raise TypeError(f"Invalid schedule: {schedule!r} (a callable of t is expected)")
        self.schedule = schedule
        self.warmup = _whole("warmup", warmup, 0)

    def _value(self, t):
        ramp = 1.0 if self.warmup == 0 else min(t, self.warmup) / self.warmup
        return np.asarray(self.schedule(t)) * ramp


class Stack(Schedule):
    r"""Several schedules side by side: :math:`\eta_t` is the concatenation of their values.

    ``Stack([s_1, ..., s_K])(t)`` is the 1-d array of :math:`s_1(t), \dots,
    s_K(t)` (each flattened): one learning rate per copy of a batched run,
    by the leading-axis rule. With array-valued schedules (a learning-rate
    grid each) it lines up ``K`` grids one after the other.
    """

    _args = ("schedules",)

    def __init__(self, schedules):
        schedules = list(schedules)
        if not schedules or not all(callable(s) for s in schedules):
            raise TypeError(f"Invalid schedules: {schedules!r} (a non-empty list of "
                            "callables of t is expected)")
        self.schedules = schedules

    def _value(self, t):
        return np.concatenate([np.ravel(s(t)) for s in self.schedules])


def make_schedule(kind, lr, horizon, warmup=0):
    r"""The schedule ``kind`` (one of :data:`SCHEDULES`) with peak :math:`\eta` = ``lr`` over :math:`T` = ``horizon`` steps.

    - ``constant``: :math:`\eta`;
    - ``step``: :math:`\eta` divided by 10 after each third of the run
      (:class:`~optimlib.StepDecay` with :math:`s = \lceil T/3\rceil`, :math:`\gamma = 0.1`);
    - ``exponential``: :math:`\eta\gamma^{t-1}` with :math:`\gamma^{T-1} = 1/100`;
    - ``1/t``: :math:`\eta/(1 + k(t-1))` with :math:`k = 99/(T-1)`, :math:`\eta/100` at :math:`T`;
    - ``1/√t``: :math:`\eta/\sqrt{1 + k(t-1)}` with :math:`k = 99/(T-1)`, :math:`\eta/10` at :math:`T`;
    - ``linear``: :math:`\eta(1 - t/T)` (:class:`~optimlib.PolynomialDecay`, power 1);
    - ``cosine``: :class:`~optimlib.CosineAnnealing` to 0 at :math:`T`;
    - ``one-cycle``: :class:`~optimlib.OneCycle` (peak at :math:`0.3T`).

    With ``warmup`` :math:`= W > 0` a linear warm-up over :math:`W` steps comes
    first: :class:`~optimlib.LinearWarmup` for ``constant``,
    :class:`~optimlib.WarmupCosine` for ``cosine`` (the cosine then spans
    steps :math:`W` to :math:`T`), :class:`Ramped` for the others. ``lr`` may
    be an array (a sweep).
    """
    if kind not in SCHEDULES:
        raise ValueError(f"Invalid schedule: {kind!r} (must be one of {SCHEDULES})")
    T = _whole("horizon", horizon, 2)
    W = _whole("warmup", warmup, 0)
    if W >= T:
        raise ValueError(f"Invalid warmup: {warmup!r} (must be < horizon, which is {T})")
    if kind == "constant":
        return LinearWarmup(lr, W) if W else Constant(lr)
    if kind == "cosine":
        return WarmupCosine(lr, W, T) if W else CosineAnnealing(lr, T)
    if kind == "step":
        base = StepDecay(lr, step_size=math.ceil(T / 3), gamma=0.1)
    elif kind == "exponential":
        base = ExponentialDecay(lr, gamma=0.01 ** (1 / (T - 1)))
    elif kind == "1/t":
        base = InverseTimeDecay(lr, decay=99 / (T - 1))
    elif kind == "1/√t":
        base = InverseSqrtDecay(lr, decay=99 / (T - 1))
    elif kind == "linear":
        base = PolynomialDecay(lr, T, power=1.0)
    else:
        base = OneCycle(lr, T)
    return Ramped(base, W) if W else base


def schedule_values(schedule, steps):
    r""":math:`\eta_1, \dots, \eta_T` of a schedule, shape ``(T, ...)`` (``T`` = ``steps``)."""
    steps = _whole("steps", steps, 1)
    return np.array([schedule(t) for t in range(1, steps + 1)], dtype=float)


# -- the Robbins–Monro conditions -------------------------------------------------------
def _all(values, test):
    return bool(np.all(test(np.asarray(values, dtype=float))))


def robbins_monro(schedule):
    r"""Whether :math:`\sum_t \eta_t = \infty` and whether :math:`\sum_t \eta_t^2 < \infty`, from the formula.

    Returns ``(sum_diverges, squares_converge)``; the Robbins–Monro conditions
    hold when both are True. Only the tail matters:

    - a schedule that ends at a constant :math:`c` (``Constant``,
      ``LinearWarmup``, and the ones with a horizon, which stay at their
      floor :math:`\eta_{\min}` or :math:`\eta/d_f` after it): ``(c > 0, c == 0)``;
    - ``StepDecay``, ``ExponentialDecay`` with :math:`\gamma < 1`: geometric
      series, ``(False, True)``;
    - ``InverseTimeDecay`` with :math:`k > 0`: :math:`\sum 1/t = \infty`,
      :math:`\sum 1/t^2 < \infty`, ``(True, True)``;
    - ``InverseSqrtDecay`` with :math:`k > 0`: :math:`\sum 1/\sqrt t` and
      :math:`\sum 1/t` both diverge, ``(True, False)``;
    - :class:`Ramped`: that of the schedule it ramps.

    A zero base rate makes every sum 0 (``(False, True)``). Array
    hyperparameters must all give the same answer.
    """
    s = schedule
    if isinstance(s, Ramped):
        return robbins_monro(s.schedule)
    if isinstance(s, (Constant, LinearWarmup)):
        tail = s.lr
    elif isinstance(s, (PolynomialDecay, CosineAnnealing, WarmupCosine)):
        tail = s.min_lr
    elif isinstance(s, OneCycle):
        tail = np.asarray(s.lr) / s.final_div
    elif isinstance(s, (StepDecay, ExponentialDecay)):
        if _all(s.gamma, lambda g: g == 1.0):
            tail = s.lr
        elif _all(s.gamma, lambda g: g < 1.0):
            return False, True
        else:
            raise ValueError("array gamma with and without decay: no single answer")
    elif isinstance(s, (InverseTimeDecay, InverseSqrtDecay)):
        if _all(s.decay, lambda k: k == 0.0):
            tail = s.lr
        elif _all(s.decay, lambda k: k > 0.0):
            if _all(s.lr, lambda v: v == 0.0):
                return False, True
            if not _all(s.lr, lambda v: v > 0.0):
                raise ValueError("array lr with zeros and non-zeros: no single answer")
            return True, isinstance(s, InverseTimeDecay)
        else:
            raise ValueError("array decay with and without decay: no single answer")
    else:
        raise TypeError(f"robbins_monro does not know the schedule {s!r}")
    if _all(tail, lambda c: c > 0):
        return True, False
    if _all(tail, lambda c: c == 0):
        return False, True
    raise ValueError("array values with zero and non-zero tails: no single answer")


def partial_sums(schedule, steps):
    r"""The partial sums :math:`\sum_{t \le n}\eta_t` and :math:`\sum_{t \le n}\eta_t^2`, :math:`n = 1..` ``steps``.

    Returns two arrays of shape ``(steps, ...)``.
    """
    eta = schedule_values(schedule, steps)
    return np.cumsum(eta, axis=0), np.cumsum(eta ** 2, axis=0)


# -- SGD and momentum on a noisy quadratic: the exact expected loss ----------------------
def expected_gap(schedule, eigenvalues, sigma, z0, steps, momentum=0.0):
    r"""Exact :math:`\mathbb E f(\theta_t) - f^*` of SGD (or heavy ball) on a noisy quadratic, any schedule.

    In the eigenbasis of :math:`f = \tfrac12\sum_i\lambda_i z_i^2` with
    gradient noise of variance :math:`\sigma^2` per coordinate, heavy ball
    (:math:`\mu` = ``momentum``; :math:`\mu = 0` is SGD) moves each
    direction's state :math:`x = (z, u)` (position, velocity) by

    .. math::

        x_t = \begin{pmatrix} 1 - \eta_t\lambda & \mu \\ -\eta_t\lambda & \mu \end{pmatrix} x_{t-1}
              - \eta_t \xi_t \begin{pmatrix} 1 \\ 1 \end{pmatrix},

    so the second moments :math:`M_t = \mathbb E\, x_t x_t^\top` obey the exact
    linear recursion :math:`M_t = A_t M_{t-1} A_t^\top + \eta_t^2\sigma^2\,
    \mathbf 1\mathbf 1^\top` from :math:`M_0 = x_0 x_0^\top`, and
    :math:`\mathbb E f - f^* = \tfrac12\sum_i \lambda_i (M_t)_{zz}`. With a
    constant :math:`\eta` and :math:`\mu = 0` its limit is chapter 2's floor
    :math:`\sum_i \eta\sigma^2/(2(2 - \eta\lambda_i))`.

    ``schedule`` = :math:`\eta_t` (a callable of ``t``, a number, or the
    values :math:`\eta_1, \dots, \eta_T` as a 1-d array),
    ``eigenvalues`` = :math:`\lambda_i`, ``sigma`` = :math:`\sigma`, ``z0`` =
    the start in the eigenbasis, ``steps`` = :math:`T`. Returns shape
    ``(T + 1,)``, row 0 the start; ``inf`` once the moments overflow.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    z0 = np.asarray(z0, dtype=float)
    if z0.shape != lam.shape:
        raise ValueError(f"z0 has shape {z0.shape}, eigenvalues {lam.shape}")
    if not sigma >= 0:
        raise ValueError(f"Invalid sigma: {sigma!r} (must be >= 0)")
    mu = float(momentum)
    if not 0.0 <= mu < 1.0:
        raise ValueError(f"Invalid momentum: {momentum!r} (must be in [0, 1))")
    steps = _whole("steps", steps, 0)
    if callable(schedule):
        lr = schedule
    elif np.ndim(schedule) == 1:
        table = np.asarray(schedule, dtype=float)
        if len(table) < steps:
            raise ValueError(f"schedule has {len(table)} values for {steps} steps")
        lr = (lambda t: table[t - 1])
    else:
        lr = (lambda t: schedule)
    zz, zu, uu = z0 ** 2, np.zeros_like(z0), np.zeros_like(z0)
    out = np.empty(steps + 1)
    out[0] = 0.5 * np.sum(lam * zz)
    noise = sigma ** 2
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            eta = float(lr(t))
            a, b, c = 1.0 - eta * lam, -eta * lam, eta * eta * noise
            # rows of A: (a, mu) for z, (b, mu) for u
            zz, zu, uu = (a * a * zz + 2 * a * mu * zu + mu * mu * uu + c,
                          a * b * zz + (a + b) * mu * zu + mu * mu * uu + c,
                          b * b * zz + 2 * b * mu * zu + mu * mu * uu + c)
            out[t] = 0.5 * np.sum(lam * zz)
    return np.where(np.isfinite(out), out, np.inf)


# -- Adam's noise floor -----------------------------------------------------------------
def adam_floor(lr, noise_std):
    r"""Adam's expected loss above the minimum at a small constant :math:`\eta`: :math:`\tfrac{\eta}{4}\sum_i\sigma_i`.

    Near the minimum :math:`\hat v_i \approx \sigma_i^2`, the variance of
    coordinate :math:`i` of the mini-batch gradient, and Adam is SGD (with
    momentum, which does not change the floor to first order in :math:`\eta`)
    preconditioned by :math:`P = \operatorname{diag}(1/\sigma_i)`. For the
    stationary covariance :math:`S` of :math:`\theta - \theta^*`, to first order
    in :math:`\eta`, :math:`PHS + SHP = \eta\, P C P` (:math:`H` the Hessian,
    :math:`C` the noise covariance), and taking the trace after multiplying by
    :math:`P^{-1}` gives :math:`\operatorname{tr}(HS) = \tfrac{\eta}{2}
    \operatorname{tr}(PC)`, so

    .. math::

        \mathbb E f - f^* = \tfrac12\operatorname{tr}(HS)
        \approx \frac{\eta}{4}\sum_i \frac{C_{ii}}{\sigma_i} = \frac{\eta}{4}\sum_i \sigma_i ,

    whatever :math:`H`: linear in :math:`\eta` and in the noise's standard
    deviation. ``lr`` = :math:`\eta` (number or array), ``noise_std`` = the
    :math:`\sigma_i`.
    """
    return _nonneg("lr", lr) / 4.0 * float(np.sum(_nonneg("noise_std", noise_std)))


# -- the start of Adam: how many gradients the averages hold ----------------------------
def effective_samples(beta, t):
    r"""How many independent gradients a bias-corrected average of :math:`t` terms is worth.

    :math:`\hat v_t = \sum_{s=1}^t w_s g_s^2` with weights
    :math:`w_s = (1-\beta)\beta^{t-s}/(1-\beta^t)` that sum to 1. For
    independent terms of equal variance, its variance is that of a plain mean
    of :math:`\rho` terms with (Kish's effective sample size)

    .. math::

        \rho_t = \frac{1}{\sum_s w_s^2}
              = \frac{(1+\beta)(1-\beta^t)}{(1-\beta)(1+\beta^t)} ,

    which is 1 at :math:`t = 1`, close to :math:`t` while :math:`(1-\beta)t`
    is small, and tends to :math:`(1+\beta)/(1-\beta) = 2/(1-\beta) - 1`
    (1999 for :math:`\beta = 0.999`, Liu et al.'s :math:`\rho_\infty`).
    ``beta`` = :math:`\beta` (:math:`\beta_2` for :math:`\hat v`, :math:`\beta_1`
    for :math:`\hat m`), ``t`` = :math:`t` (numbers or arrays).
    """
    beta = _beta("beta", beta)
    t = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t) & (t >= 1)):
        raise ValueError(f"Invalid t: {t!r} (steps start at t = 1)")
    bt = beta ** t
    return (1 + beta) * (1 - bt) / ((1 - beta) * (1 + bt))


def inverse_root_moments(rho):
    r"""Mean and standard deviation of :math:`1/\sqrt{\hat v}` for :math:`\hat v = \chi^2_\rho/\rho` (:math:`\sigma = 1`).

    With :math:`\hat v = \sigma^2\chi^2_\rho/\rho` (a mean of :math:`\rho`
    squared standard normals), :math:`\mathbb E\,\chi_\rho^{-k} =
    2^{-k/2}\Gamma((\rho-k)/2)/\Gamma(\rho/2)` for :math:`k < \rho`, so

    .. math::

        \mathbb E\,\frac{1}{\sqrt{\hat v}} = \frac{\sqrt\rho}{\sigma}\,
            \frac{\Gamma(\frac{\rho-1}{2})}{\sqrt2\,\Gamma(\frac\rho2)}
            \quad(\rho > 1),\qquad
        \mathbb E\,\frac{1}{\hat v} = \frac{\rho}{\sigma^2(\rho - 2)}\quad(\rho > 2).

    The mean is infinite for :math:`\rho \le 1`, the variance for
    :math:`\rho \le 2`: then ``inf`` is returned. ``rho`` = :math:`\rho`
    (a number > 0). Returns ``(mean, std)`` for :math:`\sigma = 1`.
    """
    rho = float(rho)
    if not rho > 0:
        raise ValueError(f"Invalid rho: {rho!r} (must be > 0)")
    if rho <= 1:
        return math.inf, math.inf
    mean = math.sqrt(rho / 2) * math.exp(math.lgamma((rho - 1) / 2) - math.lgamma(rho / 2))
    if rho <= 2:
        return mean, math.inf
    return mean, math.sqrt(max(rho / (rho - 2) - mean ** 2, 0.0))


def adaptive_factor_moments(beta2, t):
    r"""Mean and standard deviation of :math:`1/\sqrt{\hat v_t}` on pure noise (:math:`\sigma = 1`).

    :math:`\hat v_t = \sum_{s=1}^t w_s g_s^2` with positive weights, so
    :math:`w_{\min}\chi^2_t \le \hat v_t \le w_{\max}\chi^2_t` and
    :math:`\mathbb E\,\hat v_t^{-k/2}` is finite exactly when
    :math:`\mathbb E\,(\chi^2_t)^{-k/2}` is, that is when :math:`k < t`. Hence,
    exactly: the mean is infinite at :math:`t = 1`, the variance at
    :math:`t \le 2` (returned as ``inf``). For :math:`t \ge 3` the values
    are approximations: :math:`\hat v_t` is replaced by a mean of
    :math:`\rho_t` squared standard normals (:func:`effective_samples`,
    :func:`inverse_root_moments`), which is exact when the weights are equal.
    Multiply by :math:`\eta/\sigma` for Adam's adaptive factor
    :math:`\eta/\sqrt{\hat v_t}`. ``beta2`` = :math:`\beta_2`, ``t`` = :math:`t`.
    """
    t = _whole("t", t, 1)
    if t == 1:
        return math.inf, math.inf
    mean, std = inverse_root_moments(max(float(effective_samples(beta2, t)), 1.0 + 1e-12))
    return mean, (math.inf if t == 2 else std)


def noise_step_rms(beta1, t):
    r"""Root mean square of :math:`\hat m_t/\sqrt{\hat v_t}` on pure noise, approximately :math:`1/\sqrt{\rho_t(\beta_1)}`.

    On gradients of mean 0 and variance :math:`\sigma^2`,
    :math:`\mathbb E\,\hat m_t^2 = \sigma^2/\rho_t(\beta_1)` exactly
    (:func:`effective_samples`) and :math:`\hat v_t \approx \sigma^2` once
    :math:`\rho_t(\beta_2)` is large, so Adam's step along such a coordinate
    is about :math:`\eta/\sqrt{\rho_t(\beta_1)}`: exactly :math:`\eta` at
    :math:`t = 1` (:math:`\hat m_1/\sqrt{\hat v_1} = \pm 1`), and
    :math:`\eta\sqrt{(1-\beta_1)/(1+\beta_1)}` (0.23 :math:`\eta` for 0.9)
    later. An approximation for small :math:`t > 1`, where :math:`\hat v_t`
    is itself a mean of few terms.
    """
    return 1.0 / np.sqrt(effective_samples(beta1, t))


def adam_start(steps, seeds, beta1=0.9, beta2=0.999, sigma=1.0, seed=0):
    r"""Adam on pure Gaussian gradient noise, read from :class:`optimlib.Adam` itself.

    ``seeds`` independent coordinates (one array of that length) receive
    gradients :math:`g_t \sim \mathcal N(0, \sigma^2)` for ``steps`` steps
    (``np.random.default_rng(seed)``). Returns ``(vhat, ratio)``, both of
    shape ``(steps, seeds)``: :math:`\hat v_t` = ``opt.v`` :math:`/(1 -
    \beta_2^t)` from the optimizer's state, and the step divided by
    :math:`\eta`, :math:`(\theta_{t-1} - \theta_t)/\eta =
    \hat m_t/(\sqrt{\hat v_t} + \varepsilon)` with :math:`\varepsilon = 0`.
    """
    steps, seeds = _whole("steps", steps, 1), _whole("seeds", seeds, 1)
    rng = np.random.default_rng(seed)
    opt = Adam(lr=1.0, beta1=beta1, beta2=beta2, eps=0.0)
    theta = np.zeros(seeds)
    vhat, ratio = np.empty((steps, seeds)), np.empty((steps, seeds))
    for t in range(1, steps + 1):
        before = theta.copy()
        opt.update(theta, sigma * rng.standard_normal(seeds))
        vhat[t - 1] = opt.v / (1 - beta2 ** t)
        ratio[t - 1] = before - theta
    return vhat, ratio


# -- the two momentum forms after a decay ---------------------------------------------------
def form_gap(lr, gamma, momentum, buffer_norm, k):
    r"""How far the velocity form has moved beyond PyTorch's buffer form :math:`k` steps after a decay.

    Both forms agree until the decay from :math:`\eta` to :math:`\gamma\eta`
    after step :math:`s` (chapter 3); then the velocity form still carries
    :math:`v_s = -\eta b_s`. If both saw the same gradients afterwards, the
    velocities would differ by :math:`\mu^k(1-\gamma)\eta\, b_s` at step
    :math:`s + k`, and the parameters by the sum,

    .. math::

        \lVert\theta^{\rm vel}_{s+k} - \theta^{\rm buf}_{s+k}\rVert
        = (1-\gamma)\,\eta\,\lVert b_s\rVert\,\frac{\mu(1-\mu^k)}{1-\mu}
        \;\to\; (1-\gamma)\,\eta\,\lVert b_s\rVert\frac{\mu}{1-\mu} .

    Exact on a linear loss (constant gradients); on a curved one the
    gradients start to differ too, so it holds for the first steps.
    ``lr`` = :math:`\eta`, ``gamma`` = :math:`\gamma`, ``momentum`` =
    :math:`\mu`, ``buffer_norm`` = :math:`\lVert b_s\rVert`, ``k`` = :math:`k`.
    """
    mu = _beta("momentum", momentum)
    gamma = _nonneg("gamma", gamma)
    if np.any(gamma > 1):
        raise ValueError(f"Invalid gamma: {gamma!r} (a decay factor in [0, 1])")
    k = _nonneg("k", k)
    return (1 - gamma) * _nonneg("lr", lr) * _nonneg("buffer_norm", buffer_norm) * mu * (
        1 - mu ** k) / (1 - mu)


def best_on_grid(values, grid):
    r"""The grid value with the smallest ``values`` (NaN ignored), its index, and whether it is an end.

    ``values`` has the grid along its first axis (reduce other axes, e.g.
    the median over seeds, first). Returns ``(best, index, at_edge)``;
    ``at_edge`` True means the grid should be widened.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[0] != len(grid):
        raise ValueError(f"values has {values.shape[0]} rows, the grid {len(grid)} values")
    if np.all(np.isnan(values)):
        raise ValueError("every value is NaN: no best grid point")
    i = int(np.nanargmin(values))
    return grid[i], i, i in (0, len(grid) - 1)


# -- the explorer -------------------------------------------------------------------------
_QUAD = Quadratic(kappa=20.0)      # λ = 0.05 and 1, axis-aligned
_STEPS = 200
_SEEDS = 12
_OPTIMIZERS = ("SGD", "Momentum", "Adam")


def _optimizer(name, lr):
    if name == "SGD":
        return SGD(lr=lr)
    if name == "Momentum":
        return Momentum(lr=lr, momentum=0.9)
    return Adam(lr=lr)


@register("lr_schedule", chapter="10_schedules", ncols=2, figsize=(9.5, 3.7),
          flipbook=("schedule", list(SCHEDULES)),
          schedule=("schedule", "cosine", SCHEDULES),
          optimizer=("optimizer", "SGD", _OPTIMIZERS),
          eta=("peak learning rate η", 0.5, 0.001, 3.0, 0.05, True),
          warmup=("warm-up steps W", 0.0, 0.0, 150.0, 10.0),
          noise=("gradient noise σ", 0.5, 0.0, 2.0, 0.1))
def lr_schedule(axes, schedule="cosine", optimizer="SGD", eta=0.5, warmup=0.0, noise=0.5):
    r"""A schedule's :math:`\eta_t` (left) and what it does to a noisy quadratic (right).

    ``schedule`` (one of :data:`SCHEDULES`) with peak :math:`\eta` = ``eta``
    over 200 steps, after a linear warm-up of ``warmup`` steps
    (:func:`make_schedule`), drives ``optimizer`` (SGD, Momentum with
    :math:`\mu = 0.9`, or Adam with its defaults) on :math:`\tfrac12(0.05x^2 +
    y^2)` from :math:`(-4, 3)`, with Gaussian gradient noise of standard
    deviation ``noise``, 12 seeds at once. Right: the mean of :math:`f - f^*`
    over the seeds and, for SGD and Momentum, its exact expectation
    (:func:`expected_gap`, dashed). Fixed axis limits.

    Returns the report: the mean of :math:`f - f^*` over the seeds and the
    last 50 steps, and the same mean of the exact expectation, or the step
    at which the first seed diverged.
    """
    W = int(round(warmup))
    sched = make_schedule(schedule, eta, _STEPS, W)
    t = np.arange(1, _STEPS + 1)
    lrs = schedule_values(sched, _STEPS)
    opt = _optimizer(optimizer, lambda step: lrs[step - 1])    # the values, looked up
    starts = np.tile(_QUAD.start, (_SEEDS, 1))
    r = run(opt, _QUAD, steps=_STEPS, start=starts, noise=noise, seed=0)
    color = style_of(optimizer)["color"]

    ax = axes[0]
    ax.semilogy(t, np.maximum(lrs, 1e-6), color=color, lw=1.8)
    ax.set(xlim=(0, _STEPS), ylim=(1e-4, 5), xlabel="step $t$",
           ylabel=r"learning rate $\eta_t$")
    ax.grid(True, which="major", alpha=0.3)
    ax.text(0.97, 0.95, f"{schedule}, W = {W}", transform=ax.transAxes, ha="right",
            va="top", fontsize=9)

    ax = axes[1]
    gap = r.gap
    steps = np.arange(_STEPS + 1)
    mean = np.nanmean(np.where(r.diverged, np.nan, gap), axis=1) if not np.all(
        r.diverged) else np.full(_STEPS + 1, np.nan)
    first = int(r.diverged_at[r.diverged].min()) if np.any(r.diverged) else -1
    shown = gap[:, r.diverged] if np.any(r.diverged) else None
    if shown is not None:
        ax.semilogy(steps, np.clip(shown, 1e-4, 1e4), color="#9a9a9a", lw=0.8)
        k = first - 1
        ax.plot([k], [min(max(float(np.nanmax(shown[k])), 1e-4), 1e4)], "x",
                color="#4d4d4d", ms=8)
    ax.semilogy(steps, np.clip(mean, 1e-4, 1e4), color=color, lw=1.8, label=f"mean of {_SEEDS}")
    predicted = None
    if optimizer in ("SGD", "Momentum"):
        mu = 0.9 if optimizer == "Momentum" else 0.0
        z0 = _QUAD.start @ _QUAD.eigenvectors
        predicted = expected_gap(lrs, _QUAD.eigenvalues, noise, z0, _STEPS, mu)
        ax.semilogy(steps, np.clip(predicted, 1e-4, 1e4), color="#4d4d4d", ls="--", lw=1.2,
                    label="expected (exact)")
    ax.set(xlim=(0, _STEPS), ylim=(1e-4, 1e4), xlabel="step $t$",
           ylabel=r"$f(\theta_t) - f^*$")
    ax.grid(True, which="major", alpha=0.3)
    ax.text(0.97, 0.95, f"{optimizer}, noisy quadratic (κ = 20)", transform=ax.transAxes,
            ha="right", va="top", fontsize=9)

    head = f"{schedule}, {optimizer}, η = {eta:.3g}, W = {W}, σ = {noise:.2g}: "
    if first >= 0:
        n = int(r.diverged.sum())
        return head + f"{n} of {_SEEDS} seeds diverged (first: diverged at step {first})"
    tail = slice(_STEPS - 49, _STEPS + 1)          # steps 151..200: less scatter
    line = head + f"mean f − f* over steps 151–200: {float(np.mean(mean[tail])):.3g}"
    if predicted is not None:
        line += f", expected {float(np.mean(predicted[tail])):.3g}"
    return line


def logistic_minimum(model, X, y, steps=20):
    r"""The minimum :math:`\theta^*` of a binary :class:`~optimlib.LogisticRegression` by Newton's method.

    With :math:`\tilde X = [X, 1]`, :math:`p = \sigma(\tilde X w)` and the L2
    penalty :math:`\lambda` on the weights (not the bias),

    .. math::

        \nabla f = \tfrac1n \tilde X^\top (p - y) + \lambda D w ,\qquad
        \nabla^2 f = \tfrac1n \tilde X^\top \operatorname{diag}\big(p(1-p)\big)\tilde X + \lambda D ,

    :math:`D = \operatorname{diag}(1, \dots, 1, 0)`, and
    :math:`w \leftarrow w - (\nabla^2 f)^{-1}\nabla f` from :math:`w = 0`
    (``steps`` times; the convergence is quadratic). Returns the parameters
    as a dict and the loss :math:`f^*`.
    """
    if getattr(model, "n_classes", None) != 2 or not hasattr(model, "predict_proba"):
        raise TypeError(f"logistic_minimum needs a binary LogisticRegression, got {model!r}")
    X, y = model.check_data(X, y)
    n, d = X.shape
    Xt = np.hstack([X, np.ones((n, 1))])
    D = np.diag(np.r_[np.ones(d), 0.0]) * model.l2
    w = np.zeros(d + 1)
    for _ in range(_whole("steps", steps, 1)):
        z = Xt @ w
        p = 1.0 / (1.0 + np.exp(-z))
        grad = Xt.T @ (p - y) / n + D @ w
        hess = (Xt * (p * (1 - p))[:, None]).T @ Xt / n + D
        w = w - np.linalg.solve(hess, grad)
    params = {"W": w[:d, None].copy(), "b": w[d:].copy()}
    return params, float(model.loss(params, X, y))


def momentum_forms(model, data, schedule, momentum, epochs, batch_size, seed=0,
                   record_buffer_at=None):
    r"""The velocity form (:class:`optimlib.Momentum`) and PyTorch's buffer form under one schedule.

    Both optimizers (:math:`\mu` = ``momentum``, :math:`\eta_t` = ``schedule``)
    train ``model`` on the training part of ``data`` from the same start
    (``model.init(seed)``) on the same mini-batches (:func:`optimlib.batch_order`
    with ``seed``, ``batch_size`` :math:`B`). Returns a dict with

    - ``distance``: :math:`\lVert\theta^{\rm vel}_t - \theta^{\rm buf}_t\rVert` for
      :math:`t = 0..T` (all parameters flattened);
    - ``loss_velocity``, ``loss_buffer``: the full training loss after every step;
    - ``buffer_norm``: :math:`\lVert b_s\rVert` of the buffer form after step
      :math:`s` = ``record_buffer_at`` (None if not asked).

    Up to the first change of :math:`\eta_t` the two forms agree to rounding
    (chapter 3's theorem), so ``distance`` is about 0 there.
    """
    from ..training import batch_order
    from .momentum import PyTorchMomentum

    X, y = (data.X_train, data.y_train) if hasattr(data, "X_train") else tuple(data)[:2]
    X, y = model.check_data(X, y)
    batches = batch_order(len(y), batch_size, epochs, seed)
    start = model.init(seed=seed)
    runs = {}
    buffer_norm = None
    for name, opt in (("velocity", Momentum(lr=schedule, momentum=momentum)),
                      ("buffer", PyTorchMomentum(lr=schedule, momentum=momentum))):
        params = {k: v.copy() for k, v in start.items()}
        flat = np.empty((len(batches) + 1, sum(v.size for v in params.values())))
        loss = np.empty(len(batches) + 1)
        flat[0] = np.concatenate([v.ravel() for v in params.values()])
        loss[0] = model.loss(params, X, y)
        for t, rows in enumerate(batches, start=1):
            _, grads = model.loss_and_grad(params, X[rows], y[rows])
            opt.update(params, grads)
            flat[t] = np.concatenate([v.ravel() for v in params.values()])
            loss[t] = model.loss(params, X, y)
            if name == "buffer" and t == record_buffer_at:
                buffer_norm = float(np.sqrt(sum(np.sum(b ** 2) for b in opt.b.values())))
        runs[name] = (flat, loss)
    return {"distance": np.linalg.norm(runs["velocity"][0] - runs["buffer"][0], axis=1),
            "loss_velocity": runs["velocity"][1], "loss_buffer": runs["buffer"][1],
            "buffer_norm": buffer_norm}
