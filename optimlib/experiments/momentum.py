r"""Chapter 3, momentum (heavy ball): its 2×2 iteration matrix on a quadratic and the explorer.

On :math:`f(\theta) = \tfrac12\theta^\top A\theta` every eigen-direction of
:math:`A` (eigenvalue :math:`\lambda`, coordinate :math:`z = q^\top\theta`,
velocity :math:`u = q^\top v`) evolves on its own under the library's update
:math:`v_t = \mu v_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + v_t`:

.. math::

    \begin{pmatrix} z_t \\ u_t \end{pmatrix}
    = R(\eta\lambda, \mu) \begin{pmatrix} z_{t-1} \\ u_{t-1} \end{pmatrix},
    \qquad
    R(\eta\lambda, \mu) = \begin{pmatrix} 1 - \eta\lambda & \mu \\ -\eta\lambda & \mu \end{pmatrix},

with :math:`\operatorname{tr} R = 1 + \mu - \eta\lambda` and :math:`\det R = \mu`.
Chapter 3 derives everything below from :math:`R`; chapter 4 (Nesterov)
imports these functions to put its own matrix beside it.

- :func:`momentum_matrix`, :func:`momentum_eigenvalues`, :func:`momentum_rate`
  (spectral radius, worst over the eigenvalues), :func:`momentum_best`
  (Polyak's optimal :math:`\eta^*, \mu^*`), :func:`critical_momentum`,
  :func:`stability_limit`, :func:`momentum_noise_floor`;
- measurement: :func:`fitted_rate` (factor per step of a run, robust to
  oscillation), :func:`rate_map` (theory and one batched simulation over an
  :math:`(\eta, \mu)` grid), :func:`plot_rate_map`;
- :class:`PyTorchMomentum`, the buffer form :math:`b_t = \mu b_{t-1} + g_t,\ \theta_t = \theta_{t-1} - \eta b_t`;
- the explorer ``momentum_bowl`` (:func:`momentum_bowl`).
"""
from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from ..functions import Bowl
from ..optimizers import Hyperparameter, Momentum, Optimizer
from ..plots import contour_segments, plot_loss, style_of
from ..run import Result, run
from .gradient_descent import _rate_text
from .registry import register

__all__ = ["momentum_matrix", "momentum_eigenvalues", "momentum_rate", "momentum_best",
           "critical_momentum", "stability_limit", "momentum_noise_floor", "predicted_loss",
           "fitted_rate",
           "rate_map", "plot_rate_map", "PyTorchMomentum", "momentum_bowl"]


def _a(eta, lam):
    return np.asarray(eta, dtype=float) * np.asarray(lam, dtype=float)


def momentum_matrix(eta, mu, lam):
    r"""The iteration matrix :math:`R` of momentum on one eigen-direction, shape ``(..., 2, 2)``.

    .. math::

        R = \begin{pmatrix} 1 - \eta\lambda & \mu \\ -\eta\lambda & \mu \end{pmatrix}
        \quad\text{acting on}\quad \begin{pmatrix} z_{t-1} \\ u_{t-1} \end{pmatrix},

    :math:`\eta` = ``eta``, :math:`\mu` = ``mu``, :math:`\lambda` = ``lam``
    (numbers or arrays, broadcast together).
    """
    a = _a(eta, lam)
    mu = np.asarray(mu, dtype=float)
    a, mu = np.broadcast_arrays(a, mu)
    R = np.empty(a.shape + (2, 2))
    R[..., 0, 0], R[..., 0, 1] = 1 - a, mu
    R[..., 1, 0], R[..., 1, 1] = -a, mu
    return R


def momentum_eigenvalues(eta, mu, lam):
    r"""The two eigenvalues of :math:`R` in closed form, complex, shape ``(..., 2)``.

    They are the roots of :math:`r^2 - (1 + \mu - \eta\lambda)\,r + \mu = 0`:

    .. math::

        r_\pm = \tfrac12\Big(1 + \mu - \eta\lambda \pm
                \sqrt{(1 + \mu - \eta\lambda)^2 - 4\mu}\Big),

    the one of larger modulus first (``[..., 0]``).
    """
    a = _a(eta, lam)
    mu = np.asarray(mu, dtype=float)
    tr = 1 + mu - a
    root = np.sqrt((tr * tr - 4 * mu).astype(complex))
    pair = np.stack([(tr + root) / 2, (tr - root) / 2], axis=-1)
    order = np.argsort(-np.abs(pair), axis=-1, kind="stable")
    return np.take_along_axis(pair, order, axis=-1)


def momentum_rate(eta, mu, eigenvalues):
    r"""Predicted factor per step: the largest spectral radius of :math:`R` over the eigenvalues.

    .. math::

        \rho(\eta, \mu) = \max_i \max\big(|r_+(\eta\lambda_i, \mu)|,\ |r_-(\eta\lambda_i, \mu)|\big)

    ``eta`` and ``mu`` are numbers or arrays (broadcast together, e.g. a grid
    ``etas[:, None]``, ``mus[None, :]``); ``eigenvalues`` is a sequence of the
    Hessian's eigenvalues. A float for scalar inputs, else an array of the
    broadcast shape. Below 1: convergence from every start; the distance to the
    minimum then shrinks like :math:`\rho^t` (times :math:`t` at a double root).
    """
    lam = np.asarray(eigenvalues, dtype=float).reshape(-1)
    eta, mu = np.broadcast_arrays(np.asarray(eta, dtype=float), np.asarray(mu, dtype=float))
    roots = momentum_eigenvalues(eta[..., None], mu[..., None], lam)
    rho = np.abs(roots).max(axis=(-2, -1))
    return float(rho) if rho.ndim == 0 else rho


def momentum_best(eigenvalues):
    r"""Polyak's optimal constants for the eigenvalues in :math:`[\lambda_{\min}, \lambda_{\max}]`.

    .. math::

        \eta^* = \frac{4}{(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2}, \qquad
        \mu^* = \Big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Big)^2, \qquad
        \rho^* = \sqrt{\mu^*} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1},

    :math:`\kappa = \lambda_{\max}/\lambda_{\min}`. Returns ``(eta, mu, rate)``.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    lo, hi = np.sqrt(lam.min()), np.sqrt(lam.max())
    rate = (hi - lo) / (hi + lo)
    return float(4 / (hi + lo) ** 2), float(rate * rate), float(rate)


def critical_momentum(eta, lam):
    r"""The momentum at which :math:`R`'s two eigenvalues coincide: :math:`\mu_c = (1 - \sqrt{\eta\lambda})^2`.

    For :math:`\eta\lambda < 1` it separates real positive roots (:math:`\mu < \mu_c`,
    overdamped) from complex ones (:math:`\mu > \mu_c`) and the double root is
    :math:`1 - \sqrt{\eta\lambda}`; for :math:`1 < \eta\lambda < 4` it separates
    real negative roots (:math:`\mu < \mu_c`) from complex ones, with double root
    :math:`-(\sqrt{\eta\lambda} - 1)`.
    """
    return (1 - np.sqrt(_a(eta, lam))) ** 2


def stability_limit(mu, lam_max):
    r"""The largest stable learning rate of momentum: :math:`\eta < 2(1 + \mu)/\lambda_{\max}`."""
    return 2 * (1 + np.asarray(mu, dtype=float)) / lam_max


def momentum_noise_floor(eta, mu, eigenvalues, sigma):
    r"""Stationary :math:`\mathbb E[f(\theta_t) - f^*]` of momentum with gradient noise.

    Each gradient component gets independent noise of standard deviation
    :math:`\sigma` = ``sigma``. Per eigen-direction the stationary variance is

    .. math::

        \mathbb E z^2 = \frac{\eta\sigma^2\,(1 + \mu)}{\lambda\,(1 - \mu)\,(2 + 2\mu - \eta\lambda)},

    and :math:`\mathbb E[f - f^*] = \sum_i \tfrac12\lambda_i\,\mathbb E z_i^2`.
    With :math:`\mu = 0` this is SGD's :math:`\eta\sigma^2/(\lambda(2 - \eta\lambda))`.
    Infinite where the run is unstable.
    """
    lam = np.asarray(eigenvalues, dtype=float).reshape(-1)
    eta, mu = np.broadcast_arrays(np.asarray(eta, dtype=float), np.asarray(mu, dtype=float))
    e, m = eta[..., None], mu[..., None]
    margin = 2 + 2 * m - e * lam
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = 0.5 * e * sigma ** 2 * (1 + m) / ((1 - m) * margin)
    parts = np.where((margin > 0) & (e * lam > 0), parts, np.inf)
    out = parts.sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def predicted_loss(eta, mu, eigenvalues, z0, steps):
    r"""The loss curve :math:`f(\theta_t) - f^*` that :math:`R` predicts, for :math:`t = 0, \dots,` ``steps``.

    The run starts at rest (:math:`v_0 = 0`) with eigen-coordinates
    :math:`z_{0,i}` = ``z0[i]`` (for the eigenvalues ``eigenvalues[i]``); every
    direction is advanced by its own :math:`R(\eta\lambda_i, \mu)` and

    .. math::

        f(\theta_t) - f^* = \tfrac12 \sum_i \lambda_i\, z_{t,i}^2 .

    ``eta`` and ``mu`` are numbers, or arrays of one shape (one curve each).
    Returns shape ``(steps + 1, *shape)``.
    """
    lam = np.asarray(eigenvalues, dtype=float).reshape(-1)
    eta, mu = np.broadcast_arrays(np.asarray(eta, dtype=float), np.asarray(mu, dtype=float))
    a = eta[..., None] * lam
    m = mu[..., None]
    z = np.broadcast_to(np.asarray(z0, dtype=float), a.shape).copy()
    u = np.zeros_like(z)
    out = np.empty((steps + 1,) + eta.shape)
    out[0] = 0.5 * (lam * z * z).sum(axis=-1)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            z, u = (1 - a) * z + m * u, -a * z + m * u      # (z, u) <- R (z, u)
            out[t] = 0.5 * (lam * z * z).sum(axis=-1)
    return out


def fitted_rate(result, tiny=1e-140):
    r"""Measured factor per step of the distance to the minimum, fitted over the second half.

    With :math:`d_t` the distance of :math:`\theta_t` to the nearest minimum and
    :math:`b` the last step with :math:`d_b >` ``tiny``, the rate is
    :math:`e^{s}`, where :math:`s` is the least-squares slope of
    :math:`\ln d_t` against :math:`t` over :math:`a \le t \le b`,
    :math:`a = \lfloor b/2 \rfloor`. Momentum's distance oscillates
    (:math:`d_t \approx C\rho^t\,|\cos(\omega t + \varphi)|`), and a ratio of two
    single steps, as in :func:`~optimlib.experiments.measured_rate`, can land
    near a zero of the cosine; a fit over every step of the window averages
    the oscillation out. ``result`` is a :class:`~optimlib.run.Result` or an
    array of distances (or any positive error measure) of shape
    ``(steps + 1, *batch)``. A float for a single run, an array of the batch
    shape for a batch; NaN where fewer than three steps are usable.
    """
    d = result.distance() if hasattr(result, "distance") else np.asarray(result, dtype=float)
    flat = d.reshape(d.shape[0], -1)
    usable = np.isfinite(flat) & (flat > tiny)
    steps = np.arange(flat.shape[0])[:, None]
    last = np.where(usable, steps, -1).max(axis=0)
    first = last // 2
    inside = (steps >= first) & (steps <= last) & usable
    with np.errstate(all="ignore"):
        logs = np.where(inside, np.log(np.where(inside, flat, 1.0)), 0.0)
        n = inside.sum(axis=0)
        t = np.where(inside, steps, 0.0)
        t_mean = t.sum(axis=0) / n
        l_mean = logs.sum(axis=0) / n
        dt = np.where(inside, steps - t_mean, 0.0)
        slope = (dt * (logs - l_mean)).sum(axis=0) / (dt * dt).sum(axis=0)
        rates = np.exp(slope)
    rates = np.where(n >= 3, rates, np.nan)
    if d.ndim == 1:
        return float(rates[0])
    return rates.reshape(d.shape[1:])


def rate_map(etas, mus, landscape, steps=600, start=None):
    r"""Predicted and measured rates of momentum over the grid ``etas`` × ``mus``.

    The prediction is :func:`momentum_rate` with the landscape's eigenvalues;
    the measurement runs every pair in one batched call,
    ``Momentum(lr=etas[:, None], momentum=mus[None, :])``, and fits the rate of
    each run (:func:`fitted_rate`). Returns ``(predicted, measured, result)``,
    the rates of shape ``(len(etas), len(mus))``; a diverged run has a measured
    rate, fitted on the steps before it was stopped.
    """
    etas = np.asarray(etas, dtype=float)
    mus = np.asarray(mus, dtype=float)
    predicted = momentum_rate(etas[:, None], mus[None, :], landscape.eigenvalues)
    result = run(Momentum(lr=etas[:, None], momentum=mus[None, :]), landscape, steps=steps,
                 start=start)
    return predicted, fitted_rate(result), result


_RATE_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98)


def plot_rate_map(etas, mus, rates, eigenvalues, ax=None, best=True, curves=True,
                  labels=True):
    r"""The rate over the :math:`(\eta, \mu)` plane, with the theory's landmarks.

    ``rates`` has shape ``(len(etas), len(mus))`` (predicted or measured);
    rates :math:`\ge 1` (and NaN) are drawn white. Drawn on top: contours of
    the rate, the stability limit :math:`\eta = 2(1 + \mu)/\lambda_{\max}`,
    with ``curves`` the two critical-damping curves
    :math:`\mu = (1 - \sqrt{\eta\lambda})^2` for :math:`\lambda_{\min}` and
    :math:`\lambda_{\max}` (between them every direction has complex roots of
    modulus :math:`\sqrt\mu`), and with ``best`` Polyak's optimum (a star).
    Returns the axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 4))
    etas, mus = np.asarray(etas, dtype=float), np.asarray(mus, dtype=float)
    lam = np.asarray(eigenvalues, dtype=float)
    shown = np.where(np.isfinite(rates) & (rates < 1), rates, np.nan)
    ax.pcolormesh(etas, mus, shown.T, cmap="viridis_r", vmin=0.3, vmax=1.0,
                  shading="nearest", rasterized=True)
    grid = np.where(np.isfinite(rates), np.minimum(rates, 1.5), 1.5).T
    cs = ax.contour(etas, mus, grid, levels=list(_RATE_LEVELS), colors="white",
                    linewidths=0.7)
    if labels:
        ax.clabel(cs, fontsize=7, fmt="%g")
    fine = np.linspace(0, mus.max(), 200)
    ax.plot(stability_limit(fine, lam.max()), fine, color="#B00020", lw=1.6,
            label=r"stability limit $\eta = 2(1+\mu)/\lambda_{\max}$")
    if curves:
        e = np.linspace(0, 4 / lam.min(), 2000)
        for lam_i, ls in ((lam.min(), "--"), (lam.max(), ":")):
            mu_c = critical_momentum(e, lam_i)
            keep = (e * lam_i <= 4) & (mu_c <= mus.max())
            ax.plot(e[keep], mu_c[keep], color="black", ls=ls, lw=1.0,
                    label=rf"$\mu = (1 - \sqrt{{\eta\lambda}})^2$, $\lambda = {lam_i:g}$")
    if best:
        eta_s, mu_s, rate_s = momentum_best(lam)
        ax.plot(eta_s, mu_s, "*", color="#E69F00", markersize=13, markeredgecolor="black",
                label=rf"optimum $\eta^*, \mu^*$ (rate {rate_s:.3f})")
    ax.set(xlim=(etas.min(), etas.max()), ylim=(mus.min(), mus.max()),
           xlabel=r"learning rate $\eta$", ylabel=r"momentum $\mu$")
    return ax


class PyTorchMomentum(Optimizer):
    r"""Momentum written as PyTorch writes it: a buffer of summed gradients.

    Symbols: :math:`\eta_t` = ``lr`` (a number or a schedule), :math:`\mu` =
    ``momentum``; the buffer :math:`b_t` = ``self.b`` (starts at 0, so
    :math:`b_1 = g_1`, as in ``torch.optim.SGD``).

    .. math::

        b_t &= \mu\, b_{t-1} + g_t \\
        \theta_t &= \theta_{t-1} - \eta_t\, b_t

    With a constant :math:`\eta` it takes the same steps as :class:`Momentum`
    (:math:`v_t = -\eta b_t`); when :math:`\eta_t` changes, it rescales the whole
    buffer at once, while :class:`Momentum`'s velocity keeps each gradient
    with the learning rate of its own step.
    """

    lr = Hyperparameter("learning rate")
    momentum = Hyperparameter("momentum", 0.0, 1.0, high_open=True)
    state_names = ("b",)

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr=lr, momentum=momentum)

    @property
    def label(self):
        return "Momentum (PyTorch form)"

    def _step(self, p, g, s, h):
        s.b *= h.momentum
        s.b += g
        p -= h.lr * s.b


# -- the explorer ------------------------------------------------------------------------
_BOWL = Bowl()
_BOWL_LEVELS = np.geomspace(1e-3, 60, 12)


def _arrows(ax, result, mu, count):
    """Each of the first ``count`` steps as two arrows, head to tail: μ v_{t-1}, then -η g_t."""
    path = result.path
    n = min(count, result.steps)
    if result.diverged:
        n = min(n, int(result.diverged_at) - 1)
    if n < 1:
        return
    theta = path[:n + 1]
    v_prev = np.vstack([np.zeros((1, 2)), np.diff(theta, axis=0)])[:n]   # v_0 .. v_{n-1}
    carry = mu * v_prev                                                  # μ v_{t-1}
    tips = theta[:n] + carry
    push = theta[1:n + 1] - tips                                         # -η g_t
    kw = dict(angles="xy", scale_units="xy", scale=1, width=0.006, headwidth=3.5,
              headlength=4, zorder=4)
    ax.quiver(theta[:n, 0], theta[:n, 1], carry[:, 0], carry[:, 1],
              color=style_of("Momentum")["color"], **kw)
    ax.quiver(tips[:, 0], tips[:, 1], push[:, 0], push[:, 1], color="#D55E00", **kw)


def _status(result, predicted):
    if result.diverged:
        return f"diverged at step {int(result.diverged_at)}"
    measured = fitted_rate(result)
    if np.isnan(measured):
        return "reached the minimum exactly"
    text = f"{_rate_text(measured)} measured"
    if predicted < 1 and measured >= 1:
        text += " (still in its transient)"
    return text


def _split(result, i, name):
    """Run ``i`` of a batch of two as a Result of its own."""
    return Result(name, result.landscape, result.path[:, i], result.loss[:, i],
                  result.diverged_at[i])


@register("momentum_bowl", chapter="03_momentum", ncols=2, figsize=(9.5, 3.7),
          flipbook=("mu", [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.75, 0.81, 0.85, 0.9, 0.95, 0.99]),
          eta=("learning rate η", 0.1, 0.005, 2.0, 0.005),
          mu=("momentum μ", 0.9, 0.0, 0.99, 0.01),
          x0=("start x₀", -7.0, -10.0, 10.0, 0.1),
          y0=("start y₀", 2.0, -5.0, 5.0, 0.1))
def momentum_bowl(axes, eta, mu, x0=-7.0, y0=2.0, steps=120, arrows=25):
    r"""Momentum (:math:`\eta` = ``eta``, :math:`\mu` = ``mu``) on the bowl :math:`x^2/20 + y^2`.

    ``axes[0]``: the path from :math:`(x_0, y_0)` on the contours; each of the
    first ``arrows`` steps is drawn as its two parts head to tail, the carried
    velocity :math:`\mu v_{t-1}` (blue) and the gradient step
    :math:`-\eta g_t` (vermilion), which add up to :math:`v_t = \theta_t - \theta_{t-1}`;
    plain gradient descent with the same :math:`\eta` in grey. ``axes[1]``:
    :math:`f - f^*` per step for both (fixed limits). (The rate map of the
    bowl is a static figure of the chapter, :func:`plot_rate_map`: a third
    panel would cost the redraw its 0.1 s budget.)

    Returns the report: the predicted rate :math:`\rho(\eta, \mu)` and the
    measured one (:func:`fitted_rate`), or the step at which the run diverged,
    for momentum and for gradient descent.
    """
    lam = _BOWL.eigenvalues
    both = run(Momentum(lr=eta, momentum=np.array([mu, 0.0])), _BOWL, steps=steps,
               start=[x0, y0])
    mom, gd = _split(both, 0, "Momentum"), _split(both, 1, "SGD")
    st = style_of("Momentum")
    top = 3   # above the axes' own artists, which then stay in the kept background

    ax = axes[0]
    lines = contour_segments(_BOWL, _BOWL_LEVELS)
    ax.add_collection(LineCollection(lines, colors="#9a9a9a", linewidths=0.7, zorder=top))
    ax.plot(*_BOWL.minima.T, "*", color="#4d4d4d", markersize=11, markeredgecolor="white",
            zorder=top)
    ax.plot(gd.path[:, 0], gd.path[:, 1], color="#7f7f7f", lw=0.9, zorder=top,
            label="gradient descent")
    ax.plot(mom.path[:, 0], mom.path[:, 1], color=st["color"], lw=1.2, alpha=0.7,
            zorder=top, label="momentum")
    _arrows(ax, mom, mu, arrows)
    ax.plot(x0, y0, "o", color=st["color"], markersize=6, markeredgecolor="white",
            zorder=top + 2)
    ax.set(xlim=_BOWL.xlim, ylim=_BOWL.ylim, xlabel="$x$", ylabel="$y$")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("arrows: μ·v (blue) + (−η·g) (vermilion)", loc="left", fontsize=9)

    gd.name = "gradient descent"        # grey in plot_loss, as on the left
    plot_loss([gd, mom], ax=axes[1], floor=1e-12)
    for artist in [*axes[1].lines, *axes[1].texts]:
        artist.set_zorder(top)
    axes[1].set(xlim=(0, steps), ylim=(1e-12, 1e4))
    axes[1].set_title("grey: gradient descent, same η; blue: momentum", loc="left",
                      fontsize=9)

    rho, rho_gd = momentum_rate(eta, mu, lam), momentum_rate(eta, 0.0, lam)
    return (f"η = {eta:.3g}, μ = {mu:.2f}: momentum rate {_rate_text(rho)} predicted, "
            f"{_status(mom, rho)}; gradient descent {_rate_text(rho_gd)} predicted, "
            f"{_status(gd, rho_gd)}")
