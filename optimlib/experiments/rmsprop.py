r"""Chapter 6, RMSProp: the exponential average, its start, its floors, and the explorer.

RMSProp replaces AdaGrad's sum of squared gradients by an exponential
average (:math:`\eta` = ``lr``, :math:`\rho` = ``rho``, :math:`\varepsilon`
= ``eps`` outside the root, :math:`v_0` = the start of the cache):

.. math::

    v_t = \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t
        = \rho^t v_0 + (1 - \rho) \sum_{s=1}^{t} \rho^{t-s}\, g_s \odot g_s ,
    \qquad
    \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon} .

- the average: :func:`ema_window` :math:`1/(1-\rho)`, :func:`ema_half_life`
  :math:`\ln 2/\ln(1/\rho)`, :func:`ema_weights`;
- the start: :func:`constant_gradient_steps` (the step sizes under a constant
  gradient from any :math:`v_0`, plain or centered, in closed form) and
  :class:`RMSPropFrom` (RMSProp whose cache starts at ``initial``, as early
  TensorFlow's started at 1);
- the floors at a constant :math:`\eta`: :func:`cycle_floor` (exact
  gradients: a 2-cycle) and :func:`noise_floor` (noisy gradients);
- the explorer ``rmsprop_vs_adagrad`` (:func:`rmsprop_vs_adagrad`).
"""
from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from ..functions import Quadratic
from ..optimizers import AdaGrad, Hyperparameter, RMSProp
from ..plots import contour_segments, plot_loss, style_of
from .playground import race
from .registry import register

__all__ = ["ema_window", "ema_half_life", "ema_weights", "constant_gradient_steps",
           "RMSPropFrom", "cycle_floor", "noise_floor", "rmsprop_vs_adagrad"]


def _rho(rho, low_open=False):
    rho = np.asarray(rho, dtype=float)
    if not np.all(np.isfinite(rho)) or np.any(rho >= 1) or np.any(rho < 0) or (
            low_open and np.any(rho == 0)):
        lo = "0 <" if low_open else "0 <="
        raise ValueError(f"Invalid rho: {rho.tolist()!r} (must be {lo} rho < 1)")
    return rho


def ema_window(rho):
    r"""The window :math:`1/(1-\rho)` of an exponential average with factor :math:`\rho` = ``rho``.

    It is the total weight :math:`\sum_{j\ge0}\rho^j` relative to the newest
    one, and the mean age :math:`\sum_{j\ge0}(j+1)(1-\rho)\rho^j` of the
    terms (the newest has age 1). Not a half-life: see :func:`ema_half_life`.
    """
    return 1.0 / (1.0 - _rho(rho))


def ema_half_life(rho):
    r"""The half-life :math:`\ln 2/\ln(1/\rho)`: after it, a term's weight has halved.

    ``rho`` = :math:`\rho`, with :math:`0 < \rho < 1`; about 6.58 steps at 0.9
    (against a window of 10).
    """
    rho = _rho(rho, low_open=True)
    return np.log(2.0) / np.log(1.0 / rho)


def ema_weights(rho, t):
    r"""The weights :math:`(1-\rho)\rho^{t-s}` of :math:`g_s^2`, :math:`s = 1, \dots, t`, in :math:`v_t`.

    They sum to :math:`1 - \rho^t`; the rest, :math:`\rho^t`, is the weight of
    the start :math:`v_0`.
    """
    rho = float(_rho(rho))
    if not (isinstance(t, (int, np.integer)) and t >= 1):
        raise ValueError(f"Invalid t: {t!r} (must be a whole number >= 1)")
    s = np.arange(1, t + 1)
    return (1.0 - rho) * rho ** (t - s)


def constant_gradient_steps(lr, rho, eps, g, steps, v0=0.0, centered=False):
    r"""The step sizes :math:`|\theta_t - \theta_{t-1}|`, :math:`t = 1..` ``steps``, under a constant gradient.

    With :math:`g_t = g` for all :math:`t` the average is
    :math:`v_t = \rho^t v_0 + (1 - \rho^t)\, g^2`, so

    .. math::

        |\Delta\theta_t| = \frac{\eta\,|g|}{\sqrt{\rho^t v_0 + (1-\rho^t)\, g^2} + \varepsilon},

    which starts at :math:`\eta/\sqrt{1-\rho}` for :math:`v_0 = 0` and at
    about :math:`\eta|g|/\sqrt{\rho v_0}` for a large :math:`v_0`, and tends to
    :math:`\eta` either way. With ``centered=True`` (the average gradient
    :math:`\bar g_t = (1-\rho^t) g` from :math:`\bar g_0 = 0`) the root is
    taken of :math:`v_t - \bar g_t^2 = \rho^t v_0 + \rho^t(1-\rho^t) g^2`,
    which tends to 0: the steps grow until :math:`\varepsilon` holds them.
    ``lr`` = :math:`\eta`, ``rho`` = :math:`\rho`, ``eps`` = :math:`\varepsilon`,
    ``g`` = :math:`g`, ``v0`` = :math:`v_0`.
    """
    rho = float(_rho(rho))
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"Invalid steps: {steps!r} (must be a whole number >= 1)")
    for label, value in (("learning rate", lr), ("epsilon", eps), ("v0", v0)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"Invalid {label}: {value!r} (must be >= 0)")
    rt = rho ** np.arange(1, steps + 1)
    second = rt * v0 + (1.0 - rt) * g * g
    if centered:
        second = second - ((1.0 - rt) * g) ** 2
    return lr * abs(g) / (np.sqrt(np.maximum(second, 0.0)) + eps)


class RMSPropFrom(RMSProp):
    r"""RMSProp whose cache starts at :math:`v_0` = ``initial`` instead of 0.

    Everything else is :class:`optimlib.RMSProp` (:math:`\varepsilon`
    outside the root). Early TensorFlow (``tf.train.RMSPropOptimizer``)
    started its cache at 1; this class isolates that choice:

    .. math::

        v_0 = \text{initial},\qquad v_t = \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t ,
        \qquad \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon}
    """

    initial = Hyperparameter("initial cache", schedulable=False)

    def __init__(self, lr=0.01, rho=0.99, eps=1e-8, initial=1.0):
        super().__init__(lr=lr, rho=rho, eps=eps)
        self.initial = initial

    @property
    def label(self):
        return "RMSProp (v₀ = 1)" if np.all(np.asarray(self.initial) == 1) else "RMSProp (v₀ ≠ 0)"

    def _new_state(self, p, h):
        s = super()._new_state(p, h)
        s.v += h.initial
        return s


def cycle_floor(lr, eps, eigenvalues):
    r"""The loss of RMSProp's 2-cycle around the minimum of a diagonal quadratic, exact gradients.

    On :math:`\tfrac12\lambda z^2` a 2-cycle :math:`z \to -z \to z` has a
    constant :math:`g^2 = \lambda^2 z^2`, so :math:`v_t \to g^2` and the step
    is :math:`\eta|g|/(|g| + \varepsilon)`. It equals :math:`2|z|` when
    :math:`|z| = \eta/2 - \varepsilon/\lambda`; the cycle exists while
    :math:`\varepsilon < \eta\lambda/2` and its loss is

    .. math::

        f_\infty = \sum_i \tfrac12\lambda_i\,\big(\eta/2 - \varepsilon/\lambda_i\big)_+^2
        \;\approx\; \frac{\eta^2}{8}\sum_i \lambda_i \quad(\varepsilon \to 0).

    ``lr`` = :math:`\eta`, ``eps`` = :math:`\varepsilon`, ``eigenvalues`` =
    the :math:`\lambda_i` (the axes of an ``angle=0`` :class:`Quadratic`).
    Arrays of ``lr`` and ``eps`` broadcast.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    lr, eps = np.asarray(lr, dtype=float), np.asarray(eps, dtype=float)
    amp = np.maximum(lr[..., None] / 2 - eps[..., None] / lam, 0.0)
    return np.sum(0.5 * lam * amp ** 2, axis=-1)


def noise_floor(lr, sigma, eigenvalues):
    r"""RMSProp's expected loss at a constant :math:`\eta` under gradient noise of size :math:`\sigma`.

    When the noise dominates the gradient near the minimum, :math:`v \approx
    \sigma^2` and RMSProp is SGD with learning rate :math:`a = \eta/\sigma`
    in every coordinate. SGD's stationary variance on :math:`\tfrac12\lambda
    z^2` (chapter 2) is :math:`a\sigma^2/(\lambda(2 - a\lambda))`, so

    .. math::

        \mathbb E f_\infty \approx \sum_i \frac{\eta\,\sigma}{2\,(2 - \eta\lambda_i/\sigma)}
        \;\approx\; \frac{d\,\eta\,\sigma}{4} ,

    linear in :math:`\eta` and in :math:`\sigma` (SGD's is linear in
    :math:`\eta\sigma^2`), and nearly the same for every curvature. An
    approximation: it ignores the fluctuation of :math:`v` (small for
    :math:`\rho` near 1) and needs :math:`\sigma \gg \eta\lambda`.
    ``lr`` = :math:`\eta`, ``sigma`` = :math:`\sigma`, ``eigenvalues`` =
    :math:`\lambda_i`. Where some :math:`\eta\lambda_i/\sigma \ge 1` the
    approximation does not hold and the value is NaN.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    lr = np.asarray(lr, dtype=float)
    if not sigma > 0:
        raise ValueError(f"Invalid sigma: {sigma!r} (must be > 0)")
    a = lr[..., None] * lam / sigma
    ok = np.all(a < 1, axis=-1)
    total = np.sum(lr[..., None] * sigma / (2 * (2 - np.minimum(a, 1.0))), axis=-1)
    return np.where(ok, total, np.nan)


# -- the explorer ------------------------------------------------------------------------
_QUAD = Quadratic(kappa=25.0)       # λ = 0.04 along x, 1 along y, axis-aligned
_START = np.array([-4.5, 3.0])
_CACHE = {}


def _background():
    """The quadratic's contour lines, computed once."""
    if not _CACHE:
        _CACHE["lines"] = contour_segments(_QUAD, np.geomspace(1e-3, 20, 10))
    return _CACHE


def _report(name, r, steps):
    if r.diverged:
        return f"{name} diverged at step {int(r.diverged_at)}"
    return f"{name} f − f* = {float(r.gap[-1]):.2g} at step {steps}"


@register("rmsprop_vs_adagrad", chapter="06_rmsprop", ncols=2, figsize=(9.5, 3.7),
          flipbook=("rho", [0.0, 0.5, 0.9, 0.95, 0.99, 0.999]),
          eta=("learning rate η", 0.1, 0.001, 1.0, 0.1, True),
          rho=("ρ", 0.9, 0.0, 0.999, 0.001),
          eps=("ε", 1e-8, 1e-10, 1.0, 0.5, True),
          noise=("gradient noise σ", 0.0, 0.0, 1.0, 0.05))
def rmsprop_vs_adagrad(axes, eta, rho, eps, noise=0.0, steps=200):
    r"""RMSProp and AdaGrad with the same :math:`\eta` = ``eta`` and :math:`\varepsilon` = ``eps``.

    The landscape is the axis-aligned quadratic :math:`\tfrac12(0.04x^2 + y^2)`
    (:math:`\kappa = 25`), from :math:`(-4.5, 3)`, with Gaussian gradient
    noise of standard deviation ``noise`` (seeded). RMSProp uses :math:`\rho`
    = ``rho``. ``axes[0]``: both paths on the contours; ``axes[1]``:
    :math:`f - f^*` per step (fixed limits) with RMSProp's predicted floor,
    :func:`cycle_floor` without noise, :func:`noise_floor` with it.

    Returns the report: each method's final :math:`f - f^*`, or the step at
    which it diverged, and the predicted floor.
    """
    cache = _background()
    # Both runs in one vectorised loop (race equals run() for each, same noise): the redraw
    # stays inside its 0.1 s budget.
    runs = race({"RMSProp": RMSProp(lr=eta, rho=rho, eps=eps), "AdaGrad": AdaGrad(lr=eta, eps=eps)},
                _QUAD, steps=steps, start=_START, noise=noise, seed=0)
    rms, ada = runs["RMSProp"], runs["AdaGrad"]
    top = 3
    ax = axes[0]
    ax.add_collection(LineCollection(cache["lines"], colors="#9a9a9a", linewidths=0.7,
                                     zorder=top))
    ax.plot(0, 0, "*", color="#4d4d4d", markersize=11, markeredgecolor="white", zorder=top)
    for r in (ada, rms):
        st = style_of(r.name)
        ax.plot(r.path[:, 0], r.path[:, 1], color=st["color"], lw=1.1, zorder=top,
                ls="-" if r is rms else "--")
    ax.plot(*_START, "o", color="#4d4d4d", markersize=6, markeredgecolor="white",
            zorder=top + 1)
    ax.set(xlim=(-5, 5), ylim=(-3.5, 3.5), xlabel="$x$ (λ = 0.04)", ylabel="$y$ (λ = 1)")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("paths: RMSProp (solid), AdaGrad (dashed)", loc="left", fontsize=9)

    lam = _QUAD.eigenvalues
    if noise > 0:
        floor = float(noise_floor(eta, noise, lam))
        kind = "noise floor"
        if np.isnan(floor):
            floor, kind = 0.0, "noise floor (none: ηλ ≥ σ)"
    else:
        floor = float(cycle_floor(eta, eps, lam))
        kind = "2-cycle floor"
    plot_loss([ada, rms], ax=axes[1], floor=1e-8)
    if floor > 1e-8:
        axes[1].axhline(floor, color=style_of("RMSProp")["color"], ls=":", lw=1.2)
    for artist in [*axes[1].lines, *axes[1].texts]:
        artist.set_zorder(top)
    axes[1].set(xlim=(0, steps), ylim=(1e-8, 1e2))
    axes[1].set_title(f"dotted: RMSProp's predicted {kind}", loc="left", fontsize=9)
    return (f"η = {eta:.3g}, ρ = {rho:.3g}, ε = {eps:.1g}, σ = {noise:.2g}: "
            f"{_report('RMSProp', rms, steps)}; {_report('AdaGrad', ada, steps)}; "
            f"predicted {kind} {floor:.2g}")
