"""The experiments of the chapters as plain functions.

Each function draws one experiment on the axes it is given and returns a
one-line report. The chapters call them for their static figures, wrap
them in sliders with :func:`optimlib.explore`, and the tests call them
directly.
"""
from __future__ import annotations

import numpy as np

from .functions import Quadratic
from .optimizers import SGD
from .plots import plot_contours, plot_loss, plot_path
from .run import contraction_rate, run

__all__ = ["gd_rate", "gd_best_lr", "measured_rate", "gd_quadratic"]


def gd_rate(eta, eigenvalues):
    r"""Predicted factor per step of gradient descent on a quadratic: :math:`\max_i |1 - \eta\lambda_i|`."""
    return float(np.max(np.abs(1 - eta * np.asarray(eigenvalues))))


def gd_best_lr(eigenvalues):
    r"""The constant step with the smallest worst-case rate: :math:`\eta^* = 2/(\lambda_{\min} + \lambda_{\max})`."""
    lam = np.asarray(eigenvalues)
    return float(2 / (lam.min() + lam.max()))


def measured_rate(result, tiny=1e-140):
    """Measured factor per step of the distance to the minimum, over the second half of a run.

    Steps after the distance has fallen below ``tiny`` are left out (there
    the squares inside the norm lose precision and finally underflow); returns NaN when fewer than two steps remain.
    """
    d = result.distance()
    usable = np.flatnonzero(np.isfinite(d) & (d > tiny))
    if len(usable) < 2:
        return float("nan")
    last = int(usable[-1])
    return float(contraction_rate(d[: last + 1], first=last // 2 if last > 1 else 0))


def gd_quadratic(axes, eta, kappa, x0=-4.0, y0=3.0, steps=60, angle=0.0):
    r"""Gradient descent with step :math:`\eta` on the quadratic with condition number :math:`\kappa`.

    The quadratic has :math:`\lambda_{\max} = 1` and :math:`\lambda_{\min} = 1/\kappa`.
    Draws the path on the contours (``axes[0]``) and :math:`f - f^*` per step
    (``axes[1]``, fixed limits so that panels compare); returns the report:
    predicted and measured rate, or the step at which the run diverged.
    """
    land = Quadratic(kappa=kappa, angle=angle)
    result = run(SGD(lr=eta), land, steps=steps, start=[x0, y0], name="SGD")
    plot_contours(land, ax=axes[0])
    plot_path(result, ax=axes[0])
    plot_loss(result, ax=axes[1])
    axes[1].set(xlim=(0, steps), ylim=(1e-12, 1e5))
    predicted = gd_rate(eta, land.eigenvalues)
    head = f"η = {eta:.3g}, κ = {kappa:.3g}: rate {predicted:.3f} predicted"
    if result.diverged:
        return f"{head}; diverged at step {int(result.diverged_at)}"
    measured = measured_rate(result)
    if np.isnan(measured):
        return f"{head}; reached the minimum exactly"
    tail = f", {measured:.3f} measured; f − f* = {float(result.gap[-1]):.2g} at t = {steps}"
    return head + tail + (" (unstable: growing)" if predicted > 1 else "")
