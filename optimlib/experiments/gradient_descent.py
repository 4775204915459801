"""Chapter 1, gradient descent: rates on a quadratic and the explorer ``gd_quadratic``."""
from __future__ import annotations

import numpy as np

from ..functions import Quadratic
from ..optimizers import SGD
from ..plots import plot_contours, plot_loss, plot_path
from ..run import run
from .registry import register

__all__ = ["gd_rate", "gd_best_lr", "measured_rate", "gd_quadratic"]


def gd_rate(eta, eigenvalues):
    r"""Predicted factor per step of gradient descent on a quadratic: :math:`\max_i |1 - \eta\lambda_i|`."""
    return float(np.max(np.abs(1 - eta * np.asarray(eigenvalues))))


def gd_best_lr(eigenvalues):
    r"""The constant step with the smallest worst-case rate: :math:`\eta^* = 2/(\lambda_{\min} + \lambda_{\max})`."""
    lam = np.asarray(eigenvalues)
    return float(2 / (lam.min() + lam.max()))



def measured_rate(result, tiny=1e-140):
    r"""Measured factor per step of the distance to the minimum, over the second half of a run.

    With :math:`d_t` the distance of :math:`\theta_t` to the nearest minimum and
    :math:`b` the last step with :math:`d_b >` ``tiny``, the rate is

    .. math::

        \left(\frac{d_b}{d_a}\right)^{1/(b - a)}, \qquad a = \lfloor b/2 \rfloor .

    Steps after the distance has fallen below ``tiny`` are left out (there the
    squares inside the norm lose precision and finally underflow). Returns a
    float for a single run and an array of the batch shape for a batch of runs
    (``result.path`` of shape ``(steps + 1, *batch, 2)``); NaN where fewer than
    two steps remain.
    """
    d = result.distance()
    flat = d.reshape(d.shape[0], -1)
    usable = np.isfinite(flat) & (flat > tiny)
    steps = np.arange(flat.shape[0])[:, None]
    last = np.where(usable, steps, -1).max(axis=0)
    first = np.where(last > 1, last // 2, 0)
    enough = usable.sum(axis=0) >= 2
    cols = np.arange(flat.shape[1])
    with np.errstate(all="ignore"):
        # the same expression as contraction_rate(d, first, last), per run
        rates = (flat[last, cols] / flat[first, cols]) ** (1.0 / (last - first))
    rates = np.where(enough, rates, np.nan)
    if d.ndim == 1:
        return float(rates[0])
    return rates.reshape(d.shape[1:])


def _rate_text(r):
    """A rate with enough decimals that a value other than 1 never reads as 1."""
    if r in (0, 1):
        return f"{r:g}"
    decimals = 3
    while decimals < 6 and round(r, decimals) == 1:
        decimals += 1
    if round(r, decimals) == 1:
        return f"1 {'−' if r < 1 else '+'} {abs(1 - r):.1e}"
    return f"{r:.{decimals}f}"


def _shortest(x, most=9):
    """``x`` with as few significant digits (3 to ``most``) as read back as ``x``."""
    for p in range(3, most):
        if float(f"{x:.{p}g}") == x:
            return f"{x:.{p}g}"
    return f"{x:.{most}g}"


def _prediction(eta, eigenvalues):
    """What the theorem predicts, in words: the rate r(η) and, near 1, what it means."""
    r = gd_rate(eta, eigenvalues)
    factors = 1 - eta * np.asarray(eigenvalues)
    if r == 1:
        which = "every direction" if np.all(np.abs(factors) == 1) else "one direction"
        what = "flips sign, never shrinks" if np.any(factors == -1) else "does not move"
        return f"rate exactly 1 predicted (stability limit: {which} {what})"
    text = f"rate {_rate_text(r)} predicted"
    if abs(r - 1) < 1e-3:
        text += " (barely contracting)" if r < 1 else " (barely growing)"
    return text


_GD_ETAS = np.arange(0.1, 2.35, 0.1).round(2)
_GD_ETA_STAR = gd_best_lr(Quadratic(kappa=10.0).eigenvalues)  # at the default κ


@register("gd_quadratic", chapter="01_gradient_descent",
          flipbook=("eta", sorted({*_GD_ETAS.tolist(), _GD_ETA_STAR})),
          eta=("learning rate η", 1.0, 0.01, 2.3, 0.01),
          kappa=("condition number κ", 10.0, 1.0, 100.0, 0.05, True),
          x0=("start x₀", -4.0, -5.0, 5.0, 0.1),
          y0=("start y₀", 3.0, -5.0, 5.0, 0.1))
def gd_quadratic(axes, eta, kappa, x0=-4.0, y0=3.0, steps=60, angle=0.0):
    r"""Gradient descent with step :math:`\eta` on a quadratic with condition number :math:`\kappa`.

    The quadratic :math:`f(\theta) = \tfrac12\theta^\top A\theta` has
    :math:`\lambda_{\max} = 1` and :math:`\lambda_{\min} = 1/\kappa`
    (``kappa``), eigenvectors turned by ``angle`` degrees; the run starts at
    :math:`\theta_0 = (x_0, y_0)` (``x0``, ``y0``) and takes ``steps`` steps
    :math:`\theta_t = \theta_{t-1} - \eta\nabla f(\theta_{t-1})` (``eta``).
    Draws the path on the contours (``axes[0]``) and :math:`f - f^*` per step
    (``axes[1]``, fixed limits so that panels compare; a diverged run ends
    with a cross kept inside both panels, labelled with its step).

    Returns the report: the predicted rate
    :math:`r(\eta) = \max_i |1 - \eta\lambda_i|`, and separately what the run
    did: its measured rate (:func:`measured_rate`) and whether
    :math:`f - f^*` grew or fell, or the step at which it diverged.
    """
    land = Quadratic(kappa=kappa, angle=angle)
    result = run(SGD(lr=eta), land, steps=steps, start=[x0, y0], name="SGD")
    plot_contours(land, ax=axes[0])
    plot_path(result, ax=axes[0])
    plot_loss(result, ax=axes[1], floor=1e-12)
    axes[1].set(xlim=(0, steps), ylim=(1e-12, 1e5))
    lam = land.eigenvalues
    if eta == gd_best_lr(lam):
        name = f"η = η* = {eta:.4g}"
    else:
        name = f"η = {_shortest(eta)}"
    head = f"{name}, κ = {kappa:.3g}: {_prediction(eta, lam)}"
    g0, g1 = float(result.gap[0]), float(result.gap[-1])
    if result.diverged:
        return f"{head}; diverged at step {int(result.diverged_at)}"
    if g0 == 0:
        axes[1].text(0.5, 0.5, "f − f* = 0 at every step:\nthe run started at the minimum",
                     transform=axes[1].transAxes, ha="center", va="center")
        return f"{head}; started at the minimum (f − f* = 0 at every step)"
    measured = measured_rate(result)
    if np.isnan(measured):
        return f"{head}; reached the minimum exactly"
    head += f", {_rate_text(measured)} measured; f − f* "
    if g1 > g0:
        return head + f"grew from {g0:.2g} to {g1:.2g} in {steps} steps (unstable: growing)"
    if g1 == g0:
        return head + f"stayed at {g0:.2g} for {steps} steps"
    tail = f"fell from {g0:.2g} to {g1:.2g} in {steps} steps"
    z0 = land.eigenvectors.T @ np.array([x0, y0])  # the start in the eigen-coordinates
    growing = np.abs(1 - eta * lam) > 1
    if growing.any() and np.all(z0[growing] == 0):
        tail += " (the start has no component along the growing direction)"
    return head + tail
