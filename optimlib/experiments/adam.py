r"""Chapter 8, Adam: bias correction, the seed-002 bug, where ε sits, the step bound, the explorer.

Adam (:math:`\eta` = ``lr``, :math:`\beta_1, \beta_2` = ``beta1, beta2``,
:math:`\varepsilon` = ``eps``; :math:`m_0 = v_0 = 0`, :math:`t = 1` at the
first update) keeps two exponential averages and divides one by the root of
the other:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t \odot g_t, \qquad
    \theta_t = \theta_{t-1} - \eta\, \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \varepsilon}.

What the chapter measures, and the functions and classes that compute it:

- the start-up bias: :func:`moment_bias` (:math:`1-\beta^t`) and
  :func:`constant_gradient_steps` (the steps under a constant gradient, with
  or without the correction, in closed form); :class:`AdamCorrection`, Adam
  whose correction of :math:`m` and of :math:`v` can each be switched off
  (array-valued, so one batched call runs both);
- seed 002: :func:`moment_ratio` (:math:`\hat m_t/(\sqrt{\hat v_t} + \delta)`
  for a gradient sequence, correct or with the corrected moments fed back into
  the averages) and :func:`fed_back_factor`, the closed form of the bug under a
  constant gradient; :func:`noise_ratio_std` and :func:`linear_ratio` for the
  two other regimes of the seed;
- where ε enters: :class:`AdamFolded` (the form :math:`\eta_t =
  \eta\sqrt{1-\beta_2^t}/(1-\beta_1^t)` with ε next to :math:`\sqrt{v_t}`, as
  in Keras, or inside the root, as in TensorFlow's TPU embedding Adam) and
  :func:`folded_eps`, the ε of Algorithm 1 it amounts to;
- the step bound: :func:`step_bound` (sharp, from Cauchy–Schwarz) and
  :func:`worst_gradients` (the sequence that attains it);
- :class:`Scaled` (a landscape times a constant, for the scale invariance);
- the explorer ``adam_path`` (:func:`adam_path`): Adam, RMSProp and Momentum on
  Beale's function, with :func:`simulate_path` doing the three runs in one
  vectorised loop.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import LineCollection

from ..functions import Beale, Landscape
from ..optimizers import Adam, Flag, Hyperparameter, _ratio
from ..plots import contour_segments, style_of
from .registry import register

__all__ = ["moment_bias", "constant_gradient_steps", "AdamCorrection", "AdamFolded",
           "folded_eps", "moment_ratio", "fed_back_factor", "fed_back_ratio",
           "noise_ratio_std", "linear_ratio", "step_bound", "worst_gradients", "Scaled",
           "simulate_path", "adam_path"]


def _beta(name, beta):
    beta = np.asarray(beta, dtype=float)
    if not np.all(np.isfinite(beta)) or np.any(beta < 0) or np.any(beta >= 1):
        raise ValueError(f"Invalid {name}: {beta.tolist()!r} (must be in [0, 1))")
    return beta


def _steps(value, name="t"):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (must be a whole number >= 1)")
    return int(value)


def _nonnegative(name, value):
    value = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(value)) or np.any(value < 0):
        raise ValueError(f"Invalid {name}: {value.tolist()!r} (must be finite and >= 0)")
    return value


# -- the start-up bias ---------------------------------------------------------------------
def moment_bias(beta, t):
    r"""The factor :math:`1 - \beta^t` by which an average started at 0 is too small.

    For stationary gradients (the same mean at every step),
    :math:`\mathbb E[m_t] = (1-\beta_1^t)\,\mathbb E[g]` and
    :math:`\mathbb E[v_t] = (1-\beta_2^t)\,\mathbb E[g\odot g]`: the weights
    :math:`(1-\beta)\beta^{t-s}` of :math:`g_1, \dots, g_t` sum to
    :math:`1 - \beta^t`. ``beta`` = :math:`\beta`, ``t`` = :math:`t` (arrays
    broadcast).
    """
    beta = _beta("beta", beta)
    t = np.asarray(t)
    if np.any(t < 0) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"Invalid t: {t.tolist()!r} (must be whole numbers >= 0)")
    return 1.0 - beta ** t


def constant_gradient_steps(lr, beta1, beta2, eps, g, steps, correct_m=True, correct_v=True):
    r"""Adam's step sizes :math:`|\theta_t - \theta_{t-1}|`, :math:`t = 1..` ``steps``, under a constant gradient.

    With :math:`g_t = g` the averages are :math:`m_t = (1-\beta_1^t)\,g` and
    :math:`v_t = (1-\beta_2^t)\,g^2`. With both corrections the step is
    :math:`\eta|g|/(|g| + \varepsilon)` at every :math:`t`; without them

    .. math::

        |\Delta\theta_t| = \eta\, \frac{(1-\beta_1^t)\,|g|}{\sqrt{1-\beta_2^t}\,|g| + \varepsilon}
        \;\to\; \eta\,\frac{1-\beta_1^t}{\sqrt{1-\beta_2^t}} \quad (\varepsilon \to 0),

    which is :math:`\eta(1-\beta_1)/\sqrt{1-\beta_2}` at :math:`t = 1`: about
    :math:`31.6\,\eta` for :math:`\beta_1 = 0, \beta_2 = 0.999`. ``correct_m``
    and ``correct_v`` switch the two divisions :math:`m_t/(1-\beta_1^t)` and
    :math:`v_t/(1-\beta_2^t)` on and off separately. ``lr`` = :math:`\eta`,
    ``beta1, beta2`` = :math:`\beta_1, \beta_2`, ``eps`` = :math:`\varepsilon`
    (outside the root), ``g`` = :math:`g`.
    """
    beta1, beta2 = float(_beta("beta1", beta1)), float(_beta("beta2", beta2))
    steps = _steps(steps, "steps")
    lr, eps = float(_nonnegative("learning rate", lr)), float(_nonnegative("epsilon", eps))
    t = np.arange(1, steps + 1)
    m = (1 - beta1 ** t) * abs(g)
    v = (1 - beta2 ** t) * g * g
    if correct_m:
        m = m / (1 - beta1 ** t)
    if correct_v:
        v = v / (1 - beta2 ** t)
    return lr * m / (np.sqrt(v) + eps)


class AdamCorrection(Adam):
    r"""Adam whose bias correction of :math:`m` and of :math:`v` can each be switched off.

    Everything is :class:`optimlib.Adam` (:math:`\varepsilon` outside the
    root) except the two divisors, which become

    .. math::

        \hat m_t = \frac{m_t}{1 - c_1\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - c_2\beta_2^t},

    with :math:`c_1` = ``correct_m`` and :math:`c_2` = ``correct_v``: 1 is
    Adam's correction, 0 none (values in between interpolate the divisor and
    are not used in the course). Both are hyperparameters like ``lr``, so
    arrays follow the leading-axis rule: ``correct_m=np.array([1, 0])`` trains
    two copies, with and without the correction, in one call. With
    ``beta1=0, correct_v=0`` this is RMSProp with :math:`\rho = \beta_2`
    exactly.
    """

    correct_m = Hyperparameter("correct_m", 0.0, 1.0, schedulable=False)
    correct_v = Hyperparameter("correct_v", 0.0, 1.0, schedulable=False)

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, correct_m=1.0,
                 correct_v=1.0):
        self.correct_m, self.correct_v = correct_m, correct_v
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    @property
    def label(self):
        cm, cv = np.asarray(self.correct_m), np.asarray(self.correct_v)
        if np.all(cm == 1) and np.all(cv == 1):
            return "Adam"
        if np.all(cm == 0) and np.all(cv == 0):
            return "Adam (no bias correction)"
        return "Adam (bias correction varied)"

    def _step(self, p, g, s, h):
        s.m *= h.beta1
        s.m += (1 - h.beta1) * g
        s.v *= h.beta2
        s.v += (1 - h.beta2) * g * g
        m_hat = s.m / (1 - h.correct_m * h.beta1 ** s.t)
        v_hat = s.v / (1 - h.correct_v * h.beta2 ** s.t)
        p -= h.lr * _ratio(m_hat, np.sqrt(v_hat) + h.eps)


class AdamFolded(Adam):
    r"""Adam written with the corrections folded into the learning rate, as Keras writes it.

    Kingma & Ba (end of their Section 2) note that Algorithm 1 can be computed
    as

    .. math::

        \eta_t = \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}, \qquad
        \theta_t = \theta_{t-1} - \eta_t\,\frac{m_t}{\sqrt{v_t} + \hat\varepsilon},

    which is Algorithm 1 with :math:`\varepsilon = \hat\varepsilon/\sqrt{1-\beta_2^t}`
    (see :func:`folded_eps`). Keras (``keras.optimizers.Adam``, default
    :math:`\hat\varepsilon = 10^{-7}`) and TensorFlow 1's
    ``tf.train.AdamOptimizer`` (:math:`10^{-8}`) compute this form;
    ``eps`` = :math:`\hat\varepsilon`. With ``inside=True`` the denominator is
    :math:`\sqrt{v_t + \hat\varepsilon^2}` instead (TensorFlow's TPU embedding
    Adam, ``sum_inside_sqrt=True``). The states ``m`` and ``v`` are those of
    :class:`optimlib.Adam`.
    """

    inside = Flag()

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7, inside=False):
        self.inside = inside
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    @property
    def label(self):
        return "Adam (folded, ε inside the root)" if self.inside else "Adam (folded)"

    def _step(self, p, g, s, h):
        s.m *= h.beta1
        s.m += (1 - h.beta1) * g
        s.v *= h.beta2
        s.v += (1 - h.beta2) * g * g
        lr_t = h.lr * np.sqrt(1 - h.beta2 ** s.t) / (1 - h.beta1 ** s.t)
        if self.inside:
            den = np.sqrt(s.v + h.eps * h.eps)
        else:
            den = np.sqrt(s.v) + h.eps
        p -= lr_t * _ratio(s.m, den)


def folded_eps(eps_hat, beta2, t):
    r"""The ε of Algorithm 1 that the folded form with :math:`\hat\varepsilon` amounts to at step :math:`t`.

    Dividing numerator and denominator of the folded step by
    :math:`\sqrt{1-\beta_2^t}`:
    :math:`\eta_t\, m_t/(\sqrt{v_t} + \hat\varepsilon) = \eta\,\hat m_t/(\sqrt{\hat v_t} +
    \hat\varepsilon/\sqrt{1-\beta_2^t})`, so

    .. math::

        \varepsilon_t = \frac{\hat\varepsilon}{\sqrt{1-\beta_2^t}},

    :math:`31.6\,\hat\varepsilon` at :math:`t = 1` for :math:`\beta_2 = 0.999`,
    falling to :math:`\hat\varepsilon` as :math:`t` grows. ``eps_hat`` =
    :math:`\hat\varepsilon`, ``beta2`` = :math:`\beta_2`, ``t`` = :math:`t`.
    """
    return _nonnegative("eps_hat", eps_hat) / np.sqrt(moment_bias(beta2, t))


# -- seed 002 -------------------------------------------------------------------------------
_VARIANTS = ("correct", "fed back", "first step only")


def moment_ratio(grads, beta1=0.9, beta2=0.999, delta=1e-3, variant="correct"):
    r"""The ratio :math:`r_t = \hat m_t/(\sqrt{\hat v_t} + \delta)` along a gradient sequence (seed 002).

    ``grads`` has shape ``(steps, ...)``: row :math:`t-1` is :math:`g_t`; the
    trailing axes are independent sequences. ``variant``:

    - ``"correct"``: Adam's moments, :math:`m_t, v_t` uncorrected and
      :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t = v_t/(1-\beta_2^t)`
      computed beside them;
    - ``"fed back"``: the seed's bug, :math:`m_t \leftarrow
      (\beta_1 m_{t-1} + (1-\beta_1) g_t)/(1-\beta_1^t)` (likewise :math:`v`), so
      the corrected value is what the next step averages;
    - ``"first step only"``: the seed's second try, which divides only at
      :math:`t = 1` (then :math:`m_1 = g_1`, :math:`v_1 = g_1^2` and the
      averages continue uncorrected).

    ``delta`` = :math:`\delta`, added to :math:`\sqrt{\hat v_t}` as in the
    seed. Returns :math:`r_t` with the shape of ``grads``.
    """
    if variant not in _VARIANTS:
        raise ValueError(f"Invalid variant: {variant!r} (must be one of {_VARIANTS})")
    beta1, beta2 = float(_beta("beta1", beta1)), float(_beta("beta2", beta2))
    delta = float(_nonnegative("delta", delta))
    grads = np.asarray(grads, dtype=float)
    if grads.ndim == 0 or grads.shape[0] < 1:
        raise ValueError(f"grads must have shape (steps, ...), got {grads.shape}")
    m = np.zeros(grads.shape[1:])
    v = np.zeros(grads.shape[1:])
    out = np.empty_like(grads)
    with np.errstate(over="ignore", invalid="ignore"):
        for t, g in enumerate(grads, start=1):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            if variant == "correct":
                m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            elif variant == "fed back" or t == 1:
                m = m / (1 - beta1 ** t)
                v = v / (1 - beta2 ** t)
                m_hat, v_hat = m, v
            else:
                m_hat, v_hat = m, v
            out[t - 1] = m_hat / (np.sqrt(v_hat) + delta)
    return out


def fed_back_factor(beta, t):
    r"""The factor :math:`a_t` with :math:`m_t = a_t\,g` when the corrected average is fed back.

    Under a constant gradient the recursion
    :math:`a_t = (\beta a_{t-1} + 1 - \beta)/(1-\beta^t)`, :math:`a_0 = 0`,
    has the closed form

    .. math::

        a_t = \frac{1-\beta}{P_t}\sum_{s=1}^{t} \beta^{\,t-s} P_{s-1},
        \qquad P_k = \prod_{j=1}^{k} \bigl(1 - \beta^{\,j}\bigr),\ P_0 = 1 .

    The same factor with :math:`\beta_2` gives :math:`v_t = a_t\,g^2`. Returns
    :math:`a_1, \dots, a_t` (``t`` = the number of steps, ``beta`` =
    :math:`\beta`), computed in logarithms so that values far beyond the
    float range of a direct product still come out (as ``inf`` only past
    ``1e308``).
    """
    beta = float(_beta("beta", beta))
    t = _steps(t)
    j = np.arange(1, t + 1)
    log_p = np.concatenate([[0.0], np.cumsum(np.log1p(-beta ** j))])   # log P_0 .. log P_t
    out = np.empty(t)
    for k in range(1, t + 1):
        s = np.arange(1, k + 1)
        if beta > 0:
            terms = (k - s) * np.log(beta) + log_p[s - 1]
        else:                                      # only the newest term: β⁰ = 1
            terms = np.where(s == k, log_p[s - 1], -np.inf)
        top = terms.max()
        log_sum = top + np.log(np.sum(np.exp(terms - top)))
        with np.errstate(over="ignore"):
            out[k - 1] = np.exp(np.log1p(-beta) + log_sum - log_p[k])
    return out


def fed_back_ratio(g, beta1, beta2, delta, t):
    r"""The seed-002 ratio with the bug, in closed form: :math:`a_t(\beta_1)\,g/(\sqrt{a_t(\beta_2)}\,|g| + \delta)`.

    ``g`` = the constant gradient, ``delta`` = :math:`\delta`; see
    :func:`fed_back_factor` for :math:`a_t`. Returns the ratios at steps
    :math:`1, \dots, t`.
    """
    a1, a2 = fed_back_factor(beta1, t), fed_back_factor(beta2, t)
    with np.errstate(over="ignore"):
        return a1 * g / (np.sqrt(a2) * abs(g) + delta)


def noise_ratio_std(beta1, t):
    r"""Spread of :math:`\hat m_t/\sqrt{\hat v_t}` for independent zero-mean gradients.

    For :math:`g_s` independent with mean 0 and variance :math:`\sigma^2`,
    :math:`\operatorname{Var}(m_t) = (1-\beta_1)^2\sum_{k<t}\beta_1^{2k}\sigma^2`,
    so :math:`\operatorname{Var}(\hat m_t) = \sigma^2\,\frac{(1-\beta_1)(1+\beta_1^t)}
    {(1+\beta_1)(1-\beta_1^t)}`. With :math:`\sqrt{\hat v_t} \approx \sigma` (an
    approximation that improves as :math:`\hat v_t` averages more squares) the
    ratio has the standard deviation

    .. math::

        \sqrt{\frac{(1-\beta_1)(1+\beta_1^t)}{(1+\beta_1)(1-\beta_1^t)}}
        \;\to\; \sqrt{\frac{1-\beta_1}{1+\beta_1}} \approx 0.229 \quad(\beta_1 = 0.9).

    ``beta1`` = :math:`\beta_1`, ``t`` = :math:`t` (arrays broadcast).
    """
    beta1 = _beta("beta1", beta1)
    b = beta1 ** np.asarray(t)
    return np.sqrt((1 - beta1) * (1 + b) / ((1 + beta1) * (1 - b)))


def linear_ratio(beta1, t):
    r"""The ratio :math:`\hat m_t/\sqrt{\hat v_t}` for the gradient :math:`g_s = s - 1` with :math:`\beta_2 \to 1`.

    :math:`\hat m_t` is a weighted mean of the past gradients whose mean age
    is :math:`L_t = \beta_1/(1-\beta_1) - t\beta_1^t/(1-\beta_1^t)` steps, so
    :math:`\hat m_t = t - 1 - L_t`; for :math:`\beta_2 \to 1`, :math:`\hat v_t`
    is the plain mean of :math:`(s-1)^2`, :math:`(t-1)(2t-1)/6`. Hence

    .. math::

        \frac{\hat m_t}{\sqrt{\hat v_t}} \approx \frac{t - 1 - L_t}{\sqrt{(t-1)(2t-1)/6}}
        \;\to\; \sqrt 3 \quad (1 \ll t \ll 1/(1-\beta_2)).

    ``beta1`` = :math:`\beta_1`, ``t`` = :math:`t \ge 2`.
    """
    beta1 = float(_beta("beta1", beta1))
    t = np.asarray(t, dtype=float)
    if np.any(t < 2):
        raise ValueError(f"Invalid t: {t.tolist()!r} (must be >= 2: g_1 = 0)")
    lag = beta1 / (1 - beta1) - t * beta1 ** t / (1 - beta1 ** t) if beta1 > 0 else 0.0 * t
    return (t - 1 - lag) / np.sqrt((t - 1) * (2 * t - 1) / 6)


# -- the step bound -----------------------------------------------------------------------------
def step_bound(beta1, beta2, t):
    r"""The sharp bound :math:`B_t` on :math:`|\hat m_t|/\sqrt{\hat v_t}` over all gradient sequences.

    With :math:`\gamma = \beta_1^2/\beta_2`, Cauchy–Schwarz on
    :math:`m_t = (1-\beta_1)\sum_k (\beta_1^k\beta_2^{-k/2})(\beta_2^{k/2} g_{t-k})` gives

    .. math::

        \frac{|\hat m_t|}{\sqrt{\hat v_t}} \le B_t =
        \frac{1-\beta_1}{1-\beta_1^t}\sqrt{\frac{1-\beta_2^t}{1-\beta_2}}
        \sqrt{\sum_{k=0}^{t-1}\gamma^k},

        \qquad \sum_{k=0}^{t-1}\gamma^k = \frac{1-\gamma^t}{1-\gamma}\ (\gamma \ne 1),

    attained by :func:`worst_gradients`. So each coordinate's step is at most
    :math:`\eta B_t` (ε only makes it smaller). :math:`B_1 = 1`; for
    :math:`\gamma < 1`, :math:`B_t \to (1-\beta_1)/\sqrt{(1-\beta_2)(1-\gamma)}`
    (7.27 at the defaults 0.9, 0.999); for :math:`\gamma \ge 1` it grows without
    bound. ``beta1, beta2`` = :math:`\beta_1, \beta_2` (:math:`\beta_2 > 0`),
    ``t`` = :math:`t` (whole numbers; arrays broadcast).
    """
    beta1, beta2 = _beta("beta1", beta1), _beta("beta2", beta2)
    if np.any(beta2 == 0):
        raise ValueError("Invalid beta2: 0 (the bound needs beta2 > 0)")
    t = np.asarray(t, dtype=float)
    gamma = beta1 ** 2 / beta2
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = np.where(np.isclose(gamma, 1.0), t, (1 - gamma ** t) / (1 - gamma))
        first = np.where(beta1 == 0, 1.0, (1 - beta1) / (1 - beta1 ** t))
    return first * np.sqrt((1 - beta2 ** t) / (1 - beta2) * geometric)


def worst_gradients(beta1, beta2, t):
    r"""A gradient sequence :math:`g_1, \dots, g_t` whose last step attains :func:`step_bound`.

    Cauchy–Schwarz is an equality when the two factors are proportional:
    :math:`\beta_2^{k/2} g_{t-k} \propto \beta_1^k\beta_2^{-k/2}`, that is
    :math:`g_{t-k} = (\beta_1/\beta_2)^k`: a gradient that *grows* by the factor
    :math:`\beta_2/\beta_1` per step (for :math:`\beta_1 = 0`, a single spike at
    step :math:`t`). Returns the array :math:`(g_1, \dots, g_t)`, with
    :math:`g_t = 1`.
    """
    beta1, beta2 = float(_beta("beta1", beta1)), float(_beta("beta2", beta2))
    if beta2 == 0:
        raise ValueError("Invalid beta2: 0 (the bound needs beta2 > 0)")
    k = np.arange(_steps(t) - 1, -1, -1)
    return (beta1 / beta2) ** k


class Scaled(Landscape):
    r"""A landscape multiplied by a constant: :math:`c\,f(\theta)`, gradient :math:`c\,\nabla f`.

    Same minima, start and window as ``landscape``; ``c`` = :math:`c > 0`.
    Used to show which optimizers notice the scale of the gradient.
    """

    def __init__(self, landscape, c):
        if not (np.isfinite(c) and c > 0):
            raise ValueError(f"Invalid c: {c!r} (must be finite and > 0)")
        self.inner, self.c = landscape, float(c)
        self.minima = landscape.minima
        self.name = f"{landscape.name} × {c:g}"
        self.start = landscape.start
        self.xlim, self.ylim = landscape.xlim, landscape.ylim
        self.f_min = self.c * landscape.f_min

    def __repr__(self):
        return f"Scaled({self.inner!r}, c={self.c:g})"

    def f(self, theta):
        return self.c * self.inner.f(theta)

    def grad(self, theta):
        return self.c * self.inner.grad(theta)


# -- the explorer ------------------------------------------------------------------------------
_LAND = Beale()
_XLIM, _YLIM = (-0.5, 4.5), (-1.5, 2.5)
_BLOWUP = 1e6
_CACHE = {}
NAMES = ("Adam", "RMSProp", "Momentum")


def _value_and_grad(land, theta):
    """``f`` and ``∇f`` at the rows of ``theta``; Beale's in one pass (shared terms)."""
    if type(land) is Beale:
        x, y = theta[:, 0], theta[:, 1]
        y2 = y * y
        y3 = y2 * y
        r1, r2, r3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
        f = r1 * r1 + r2 * r2 + r3 * r3
        g = np.empty_like(theta)
        g[:, 0] = 2 * (r1 * (y - 1) + r2 * (y2 - 1) + r3 * (y3 - 1))
        g[:, 1] = 2 * x * (r1 + 2 * r2 * y + 3 * r3 * y2)
        return f, g
    return land.f(theta), land.grad(theta)


def simulate_path(lr, beta1, beta2, eps, correct=True, steps=300, landscape=None,
                  start=None):
    r"""Adam, RMSProp and Momentum on one landscape (default: Beale's), in one vectorised loop.

    - Adam: :class:`AdamCorrection` with :math:`\eta` = ``lr``, :math:`\beta_1,
      \beta_2` = ``beta1, beta2``, :math:`\varepsilon` = ``eps`` and both
      corrections on (``correct=True``) or off;
    - RMSProp: :class:`optimlib.RMSProp` with the same :math:`\eta` and
      :math:`\varepsilon` and :math:`\rho = \beta_2`;
    - Momentum: :class:`optimlib.Momentum` with :math:`\mu = \beta_1` and the
      learning rate :math:`\eta/\lVert g_1\rVert_\infty`, so that its first
      step moves the steeper coordinate by :math:`\eta`, as Adam's first step
      moves every coordinate.

    All three are written as :math:`\theta_t = \theta_{t-1} - \eta_k\,
    \frac{m_t/(1-c_k\beta_1^t)}{d_t}` with :math:`m_t = a_k m_{t-1} + b_k g_t`:
    Adam :math:`(a, b, c) = (\beta_1, 1-\beta_1, c)`, RMSProp :math:`(0, 1, 0)`,
    Momentum :math:`(\beta_1, 1, 0)` with :math:`d_t = 1` (the buffer form of
    momentum, equal to optimlib's velocity form at a constant rate); Adam and
    RMSProp have :math:`d_t = \sqrt{v_t/(1-c_k\beta_2^t)} + \varepsilon`. Each
    run stops as diverged, as in :func:`optimlib.run`, when :math:`f - f^*`
    exceeds :math:`10^6\max(1, f(\theta_0) - f^*)` or stops being finite.

    Returns ``(path, m, v, diverged_at)``: ``path`` of shape
    ``(steps + 1, 3, 2)`` (NaN after a divergence), Adam's ``m`` and ``v`` of
    shape ``(steps + 1, 2)`` (row 0 is 0), and the step of divergence per
    method (-1 if none), in the order of :data:`NAMES`.
    """
    land = _LAND if landscape is None else landscape
    steps = _steps(steps, "steps")
    theta = np.array(np.broadcast_to(land.start if start is None else start, (3, 2)),
                     dtype=float)
    c = 1.0 if correct else 0.0
    f, g = _value_and_grad(land, theta)
    mom_lr = lr / max(float(np.max(np.abs(g[0]))), 1e-300)
    rate = np.array([[lr], [lr], [mom_lr]])
    keep = np.array([[beta1], [0.0], [beta1]])
    add = np.array([[1 - beta1], [1.0], [1.0]])
    fix1 = np.array([[c], [0.0], [0.0]])
    fix2 = np.array([[c], [0.0]])
    m = np.zeros((3, 2))
    v = np.zeros((2, 2))
    path = np.full((steps + 1, 3, 2), np.nan)
    ms = np.zeros((steps + 1, 2))
    vs = np.zeros((steps + 1, 2))
    path[0] = theta
    values = np.empty((steps + 1, 3))
    values[0] = f
    den = np.ones((3, 2))
    tt = np.arange(1, steps + 1)[:, None, None]
    gain = rate / (1 - fix1 * beta1 ** tt)          # η_k/(1 − c_k β₁ᵗ), per step
    unbias = 1 / (1 - fix2 * beta2 ** tt)           # 1/(1 − c_k β₂ᵗ), per step
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            m = keep * m + add * g
            v = beta2 * v + (1 - beta2) * (g[:2] * g[:2])
            den[:2] = np.sqrt(v * unbias[t - 1]) + eps
            step = gain[t - 1] * m
            if eps == 0:
                step = np.where(den == 0, 0.0, step / np.where(den == 0, 1.0, den))
            else:
                step = step / den
            theta = theta - step
            f, g = _value_and_grad(land, theta)
            path[t] = theta
            values[t] = f
            ms[t], vs[t] = m[0], v[0]
        # Divergence, found after the loop (a run that blew up only produced inf and nan
        # since): the first step whose loss is beyond the limit or whose point is not finite.
        limit = _BLOWUP * np.maximum(1.0, values[0] - land.f_min)
        bad = ~((values - land.f_min <= limit) & np.isfinite(path).all(axis=2))
    diverged = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
    for i, k in enumerate(diverged):
        if k >= 0:
            path[k:, i] = np.nan
            if i == 0:
                ms[k:], vs[k:] = np.nan, np.nan
    return path, ms, vs, diverged


def _background():
    if not _CACHE:
        _CACHE["lines"] = contour_segments(_LAND, np.geomspace(1e-2, 1e2, 9))
    return _CACHE


def _words(name, path, diverged, steps):
    if diverged >= 0:
        return f"{name} diverged at step {int(diverged)}"
    gap = float(_LAND.f(path[-1]) - _LAND.f_min)
    return f"{name} f − f* = {gap:.2g}"


@register("adam_path", chapter="08_adam", ncols=2, figsize=(10, 3.8),
          flipbook=("lr", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]),
          lr=("learning rate η", 0.1, 0.001, 1.0, 0.1, True),
          beta1=("β₁", 0.9, 0.0, 0.99, 0.01),
          beta2=("β₂", 0.999, 0.5, 0.9999, 0.0001),
          eps=("ε", 1e-8, 1e-10, 1.0, 0.5, True),
          correct=("bias correction", True))
def adam_path(axes, lr, beta1, beta2, eps, correct=True, steps=300):
    r"""Adam vs RMSProp vs Momentum on Beale's function: paths and losses.

    The runs are :func:`simulate_path`'s (:math:`\eta` = ``lr``,
    :math:`\beta_1, \beta_2` = ``beta1, beta2``, :math:`\varepsilon` = ``eps``,
    bias correction on or off = ``correct``), ``steps`` steps from
    :math:`(1, 1.5)` (the minimum is :math:`(3, 0.5)`). ``axes[0]``: the three paths on the contours;
    ``axes[1]``: :math:`f - f^*` per step. Fixed limits.
    Returns one line: each method's final :math:`f - f^*` or the step at which
    it diverged.
    """
    cache = _background()
    path, ms, vs, diverged = simulate_path(lr, beta1, beta2, eps, correct, steps)
    top = 4   # above the titles and axes, which then stay in the kept background
    t = np.arange(steps + 1)
    ax = axes[0]
    ax.add_collection(LineCollection(cache["lines"], colors="#9a9a9a", linewidths=0.7,
                                     zorder=top))
    ax.plot(*_LAND.minima[0], "*", color="#4d4d4d", markersize=11, markeredgecolor="white",
            zorder=top)
    gaps = []
    for i, name in enumerate(NAMES):
        st = style_of(name)
        ax.plot(path[:, i, 0], path[:, i, 1], color=st["color"], ls=st["linestyle"], lw=1.2,
                zorder=top)
        gaps.append(np.maximum(_LAND.f(path[:, i]) - _LAND.f_min, 1e-12))
        if diverged[i] >= 0:
            k = int(diverged[i]) - 1
            x, y = np.clip(path[k, i], (_XLIM[0], _YLIM[0]), (_XLIM[1], _YLIM[1]))
            ax.plot(x, y, "x", color=st["color"], markersize=9, mew=2, zorder=top + 1)
    ax.plot(*_LAND.start, "o", color="#4d4d4d", markersize=6, markeredgecolor="white",
            zorder=top + 1)
    ax.set(xlim=_XLIM, ylim=_YLIM, xlabel="$x$", ylabel="$y$")
    ax.set_title("Beale: Adam (vermillion), RMSProp (orange), Momentum (blue)", loc="left",
                 fontsize=8)

    ax = axes[1]
    for i, name in enumerate(NAMES):
        st = style_of(name)
        ax.semilogy(t, gaps[i], color=st["color"], ls=st["linestyle"], lw=1.5, zorder=top)
        if diverged[i] >= 0:
            k = int(diverged[i]) - 1
            ax.plot(k, min(max(gaps[i][k], 1e-12), 1e4), "x", color=st["color"], markersize=9,
                    mew=2, zorder=top + 1)
    ax.set(xlim=(0, steps), ylim=(1e-12, 1e4), xlabel="step $t$", ylabel=r"$f(\theta_t) - f^*$")
    ax.grid(True, alpha=0.3)
    ax.set_title("loss; a cross marks a divergence", loc="left", fontsize=8)

    words = "; ".join(_words(n, path[:, i], diverged[i], steps) for i, n in enumerate(NAMES))
    state = "on" if correct else "off"
    return (f"η = {lr:.3g}, β₁ = {beta1:.3g}, β₂ = {beta2:.4g}, ε = {eps:.1g}, "
            f"correction {state}, {steps} steps: {words}")
