r"""Chapter 4, Nesterov's accelerated gradient: its 2×2 matrix, rates, noise floor, explorer.

On :math:`f(\theta) = \tfrac12\theta^\top A\theta` every eigen-direction of
:math:`A` (eigenvalue :math:`\lambda`, coordinate :math:`z`, velocity :math:`u`)
evolves on its own under the library's update
:math:`v_t = \mu v_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + \mu v_t - \eta g_t`:

.. math::

    \begin{pmatrix} z_t \\ u_t \end{pmatrix}
    = R(\eta\lambda, \mu) \begin{pmatrix} z_{t-1} \\ u_{t-1} \end{pmatrix},
    \qquad
    R = \begin{pmatrix} 1 - (1 + \mu)\eta\lambda & \mu^2 \\ -\eta\lambda & \mu \end{pmatrix},

with :math:`\operatorname{tr} R = (1 + \mu)(1 - \eta\lambda)` and
:math:`\det R = \mu(1 - \eta\lambda)`: the same state and layout as chapter
3's heavy-ball matrix (:mod:`.momentum`), so the two compare entry by entry.
All functions take numbers or arrays and broadcast (``eta[:, None]`` with
``mu[None, :]`` gives a map over a grid). The ``heavy_ball_*`` functions are
chapter 3's functions (:mod:`.momentum`) under the names this chapter uses:
``heavy_ball_matrix`` is ``momentum_matrix``, ``heavy_ball_rate`` is
``momentum_rate``, ``heavy_ball_best`` is ``momentum_best``.
"""
from __future__ import annotations

import numpy as np

from ..functions import Landscape, Quadratic
from ..optimizers import Momentum, Nesterov
from ..plots import plot_contours, plot_loss, plot_path
from ..run import run
from .gradient_descent import _rate_text
from .momentum import momentum_best, momentum_matrix, momentum_rate
from .registry import register

__all__ = ["nesterov_matrix", "nesterov_rate", "nesterov_stability_limit",
           "nesterov_critical_momentum", "nesterov_standard", "nesterov_best",
           "heavy_ball_matrix", "heavy_ball_rate", "heavy_ball_best",
           "spectral_radius", "lookahead_nesterov", "stationary_loss", "PiecewiseQuadratic",
           "diagonal_quadratic_run", "measured_factor", "nesterov_convex_schedule",
           "nesterov_vs_momentum"]


def _companion(trace, det):
    """Matrices [[trace, -det], [1, 0]] of shape (..., 2, 2)."""
    trace, det = np.broadcast_arrays(np.asarray(trace, float), np.asarray(det, float))
    R = np.zeros(trace.shape + (2, 2))
    R[..., 0, 0], R[..., 0, 1], R[..., 1, 0] = trace, -det, 1.0
    return R


def spectral_radius(trace, det):
    r"""Largest :math:`|z|` over the roots of :math:`z^2 - T z + D = 0`, elementwise.

    ``trace`` = :math:`T`, ``det`` = :math:`D`. Real roots
    (:math:`T^2 \ge 4D`): :math:`(|T| + \sqrt{T^2 - 4D})/2`; complex roots:
    :math:`\sqrt{D}`, their common modulus.
    """
    T, D = np.broadcast_arrays(np.asarray(trace, float), np.asarray(det, float))
    disc = T * T - 4 * D
    real = (np.abs(T) + np.sqrt(np.maximum(disc, 0.0))) / 2
    return np.where(disc >= 0, real, np.sqrt(np.maximum(D, 0.0)))


def nesterov_matrix(eta, mu, lam):
    r"""Nesterov's iteration matrix :math:`R` on one eigen-direction, shape ``(..., 2, 2)``.

    .. math::

        R = \begin{pmatrix} 1 - (1 + \mu)\eta\lambda & \mu^2 \\ -\eta\lambda & \mu \end{pmatrix}
        \quad\text{acting on}\quad \begin{pmatrix} z_{t-1} \\ u_{t-1} \end{pmatrix}

    (position and velocity of the library's update), :math:`\eta` = ``eta``,
    :math:`\mu` = ``mu``, :math:`\lambda` = ``lam`` (broadcast together).
    """
    a = np.asarray(eta, float) * np.asarray(lam, float)
    a, mu = np.broadcast_arrays(a, np.asarray(mu, float))
    R = np.empty(a.shape + (2, 2))
    R[..., 0, 0], R[..., 0, 1] = 1 - (1 + mu) * a, mu * mu
    R[..., 1, 0], R[..., 1, 1] = -a, mu
    return R


def _worst(trace_det, eta, mu, eigenvalues):
    lam = np.asarray(eigenvalues, float).reshape(-1)
    eta, mu = np.asarray(eta, float), np.asarray(mu, float)
    rho = [spectral_radius(*trace_det(eta, mu, l)) for l in lam]
    return np.max(np.stack(np.broadcast_arrays(*rho)), axis=0)


def nesterov_rate(eta, mu, eigenvalues):
    r"""Predicted factor per step: :math:`\max_i \rho(R(\eta, \mu, \lambda_i))` (Nesterov).

    ``eta`` and ``mu`` broadcast against each other (a grid gives a rate map);
    ``eigenvalues`` are the :math:`\lambda_i` of the quadratic. A value
    :math:`\ge 1` means the method does not converge from every start.
    """
    def td(e, m, l):
        a = 1 - e * l
        return (1 + m) * a, m * a
    out = _worst(td, eta, mu, eigenvalues)
    return float(out) if out.ndim == 0 else out


heavy_ball_matrix = momentum_matrix
heavy_ball_rate = momentum_rate
heavy_ball_best = momentum_best


def nesterov_stability_limit(mu, lam_max=1.0):
    r"""The largest stable learning rate of Nesterov: :math:`\eta < \dfrac{2(1 + \mu)}{(1 + 2\mu)\,\lambda_{\max}}`.

    The method converges on a quadratic from every start exactly when
    :math:`0 < \eta\lambda_i < 2(1 + \mu)/(1 + 2\mu)` for every eigenvalue
    (``mu`` = :math:`\mu \in [0, 1)`, ``lam_max`` = :math:`\lambda_{\max}`).
    """
    mu = np.asarray(mu, float)
    out = 2 * (1 + mu) / ((1 + 2 * mu) * lam_max)
    return float(out) if out.ndim == 0 else out


def nesterov_critical_momentum(eta, lam):
    r"""The momentum at which the two roots of one direction coincide (critical damping).

    .. math::

        \mu_c = \frac{1 - \sqrt{\eta\lambda}}{1 + \sqrt{\eta\lambda}}, \qquad
        \text{double root } \frac{2\mu_c}{1 + \mu_c} = 1 - \sqrt{\eta\lambda}

    for :math:`0 < \eta\lambda \le 1` (``eta`` = :math:`\eta`, ``lam`` = :math:`\lambda`).
    """
    s = np.sqrt(np.asarray(eta, float) * np.asarray(lam, float))
    out = (1 - s) / (1 + s)
    return float(out) if out.ndim == 0 else out


def nesterov_standard(eigenvalues):
    r"""Nesterov's textbook constants for an :math:`L`-smooth, :math:`m`-strongly convex function.

    :math:`\eta = 1/L`, :math:`\mu = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)` with
    :math:`L = \lambda_{\max}`, :math:`m = \lambda_{\min}`,
    :math:`\kappa = L/m`; on a quadratic their rate is :math:`1 - 1/\sqrt\kappa`.
    Returns ``(eta, mu, rate)``.
    """
    lam = np.asarray(eigenvalues, float)
    s = np.sqrt(lam.max() / lam.min())
    return float(1 / lam.max()), float((s - 1) / (s + 1)), float(1 - 1 / s)


def nesterov_best(eigenvalues):
    r"""The :math:`(\eta, \mu)` with the smallest worst-case rate on a quadratic.

    .. math::

        \eta = \frac{4}{3\lambda_{\max} + \lambda_{\min}}, \qquad
        \mu = \frac{\sqrt{3\kappa + 1} - 2}{\sqrt{3\kappa + 1} + 2}, \qquad
        \rho = 1 - \frac{2}{\sqrt{3\kappa + 1}}

    (the slowest direction critically damped, the steepest one at a real
    negative root of the same size). Returns ``(eta, mu, rate)``.
    """
    lam = np.asarray(eigenvalues, float)
    L, m = lam.max(), lam.min()
    s = np.sqrt(3 * L / m + 1)
    return float(4 / (3 * L + m)), float((s - 2) / (s + 2)), float(1 - 2 / s)


def lookahead_nesterov(grad, theta0, eta, mu, steps):
    r"""Nesterov in its original look-ahead form, written out (no optimlib optimizer).

    .. math::

        v_t = \mu v_{t-1} - \eta\,\nabla f(\theta_{t-1} + \mu v_{t-1}), \qquad
        \theta_t = \theta_{t-1} + v_t, \qquad v_0 = 0

    ``grad`` = :math:`\nabla f`, ``theta0`` = :math:`\theta_0`. Returns
    ``(theta, lookahead)``, arrays of shape ``(steps + 1, *theta0.shape)``:
    :math:`\theta_t` and the look-ahead points :math:`\theta_t + \mu v_t`.
    """
    theta = np.array(theta0, dtype=float)
    v = np.zeros_like(theta)
    thetas, ahead = [theta.copy()], [theta.copy()]
    for _ in range(steps):
        v = mu * v - eta * grad(theta + mu * v)
        theta = theta + v
        thetas.append(theta.copy())
        ahead.append(theta + mu * v)
    return np.array(thetas), np.array(ahead)


def _noise_system(method, eta, mu, lam):
    """(M, b): state s_t = M s_{t-1} + b ξ_t of the library's update with gradient λθ + ξ."""
    a = eta * lam
    if method == "SGD":
        return np.array([[1 - a]]), np.array([-eta])
    if method == "Momentum":    # state (θ, v)
        return heavy_ball_matrix(eta, mu, lam), -eta * np.array([1.0, 1.0])
    if method == "Nesterov":    # state (θ, v); θ is the stored (look-ahead) point
        return nesterov_matrix(eta, mu, lam), -eta * np.array([1 + mu, 1.0])
    raise ValueError(f"Invalid method: {method!r} (must be 'SGD', 'Momentum' or 'Nesterov')")


def stationary_loss(method, eta, mu, eigenvalues, sigma):
    r"""Expected :math:`f - f^*` once the noise has settled, for gradients :math:`\nabla f + \sigma\xi`.

    On :math:`f = \tfrac12\sum_i\lambda_i z_i^2` with independent standard
    normal noise :math:`\xi` in every coordinate, the library's update is a
    linear system :math:`s_t = M s_{t-1} + b\,\xi_t` per eigen-direction
    (state :math:`s = (\theta, v)`). Its covariance :math:`P_t = \mathbb{E}\,s_t s_t^\top`
    obeys :math:`P_t = M P_{t-1} M^\top + b b^\top`, whose fixed point is
    found by solving :math:`(I - M \otimes M)\,\mathrm{vec}\,P = \mathrm{vec}\,b b^\top`.
    Returns :math:`\sum_i \tfrac12\lambda_i P_{i,11}` (``inf`` if a direction
    is unstable). ``method`` is ``"SGD"``, ``"Momentum"`` or ``"Nesterov"``;
    ``sigma`` = :math:`\sigma`.
    """
    total = 0.0
    for lam in np.asarray(eigenvalues, float).reshape(-1):
        M, b = _noise_system(method, eta, mu, lam)
        if np.max(np.abs(np.linalg.eigvals(M))) >= 1:
            return float("inf")
        n = M.shape[0]
        vec = np.linalg.solve(np.eye(n * n) - np.kron(M, M), np.outer(b, b).reshape(-1))
        total += 0.5 * lam * sigma ** 2 * vec[0]
    return float(total)


class PiecewiseQuadratic(Landscape):
    r"""A strongly convex function on which heavy ball's quadratic-optimal setting cycles.

    :math:`f(x, y) = h(x) + h(y)` with (Lessard, Recht and Packard, 2016)

    .. math::

        h(x) = \begin{cases} \tfrac{25}{2}x^2 & x < 1 \\
        \tfrac12 x^2 + 24x - 12 & 1 \le x < 2 \\
        \tfrac{25}{2}x^2 - 24x + 36 & x \ge 2 \end{cases}

    :math:`h'` is continuous and increasing with slopes between :math:`m = 1`
    and :math:`L = 25`, so :math:`f` is 1-strongly convex with a
    25-Lipschitz gradient; minimum 0 at the origin.
    """

    L, m = 25.0, 1.0

    def __init__(self):
        self.minima = np.zeros((1, 2))
        self.name = "piecewise quadratic"
        self.start = np.array([3.3, -3.3])
        self.xlim, self.ylim = (-4.0, 4.0), (-4.0, 4.0)

    @staticmethod
    def h(x):
        return np.where(x < 1, 12.5 * x * x,
                        np.where(x < 2, 0.5 * x * x + 24 * x - 12, 12.5 * x * x - 24 * x + 36))

    @staticmethod
    def dh(x):
        return np.where(x < 1, 25 * x, np.where(x < 2, x + 24, 25 * x - 24))

    def f(self, theta):
        theta = np.asarray(theta, dtype=float)
        return self.h(theta[..., 0]) + self.h(theta[..., 1])

    def grad(self, theta):
        return self.dh(np.asarray(theta, dtype=float))


def diagonal_quadratic_run(optimizer, eigenvalues, x0, steps, noise=0.0, seed=0):
    r"""Run ``optimizer`` on :math:`f(x) = \tfrac12\sum_i \lambda_i x_i^2`; return :math:`f` per step.

    ``x0`` has shape ``(..., n)`` with ``n = len(eigenvalues)`` (leading axes
    are independent runs, as with array hyperparameters); ``noise`` adds
    :math:`\sigma\xi` to every gradient component, drawn from
    ``np.random.default_rng(seed)``. Returns an array ``(steps + 1, ...)``.
    """
    lam = np.asarray(eigenvalues, float)
    x = np.array(x0, dtype=float)
    if x.shape[-1:] != lam.shape:
        raise ValueError(f"x0 has shape {x.shape}; its last axis must have length {lam.size}")
    rng = np.random.default_rng(seed)
    optimizer.reset()
    out = np.empty((steps + 1,) + x.shape[:-1])
    out[0] = 0.5 * np.sum(lam * x * x, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = lam * x
            if noise:
                g = g + noise * rng.standard_normal(x.shape)
            optimizer.update(x, g)
            out[t] = 0.5 * np.sum(lam * x * x, axis=-1)
    return out


def measured_factor(method, eta, mu, lam=1.0, steps=2000, tiny=1e-200):
    r"""Measured factor per step of ``method`` on :math:`\tfrac12\lambda\theta^2` from :math:`\theta_0 = 1`.

    ``method`` is ``"Momentum"`` or ``"Nesterov"`` (optimlib's classes);
    ``eta``, ``mu`` may be arrays (they broadcast, one run per entry). The
    size of the state is :math:`s_t = \sqrt{\theta_t^2 + \theta_{t-1}^2}`, which
    does not pass through 0 when the iterates oscillate; the factor is
    :math:`e^{c}` with :math:`c` the slope of the least-squares line through
    :math:`\ln s_k` over :math:`a \le k \le b`, where :math:`b` is the last
    step with :math:`s_b >` ``tiny`` (and finite) and :math:`a = \lfloor b/2 \rfloor`
    (a line fitted to the whole window averages out the wobble of an
    oscillating :math:`s_k`). NaN where the run reached 0 within three steps.
    """
    classes = {"Momentum": Momentum, "Nesterov": Nesterov}
    if method not in classes:
        raise ValueError(f"Invalid method: {method!r} (must be 'Momentum' or 'Nesterov')")
    eta, mu = np.broadcast_arrays(np.asarray(eta, float), np.asarray(mu, float))
    shape = eta.shape
    lr, momentum = eta.reshape(-1), mu.reshape(-1)
    opt = classes[method](lr=lr, momentum=momentum)
    x = np.ones((lr.size, 1))
    xs = np.empty((steps + 1, lr.size))
    xs[0] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            opt.update(x, lam * x)
            xs[t] = x[:, 0]
        s = np.sqrt(xs[1:] ** 2 + xs[:-1] ** 2)     # s[k] is the state after step k + 1
    usable = np.isfinite(s) & (s > tiny)
    last = np.where(usable, np.arange(steps)[:, None], -1).max(axis=0)
    out = np.full(lr.size, np.nan)
    for i in np.flatnonzero(last >= 3):
        k = np.arange(last[i] // 2, last[i] + 1)
        slope = np.polyfit(k, np.log(s[k, i]), 1)[0]   # least-squares line through log s
        out[i] = np.exp(slope)
    return float(out[0]) if shape == () else out.reshape(shape)


def nesterov_convex_schedule(grad, theta0, eta, steps):
    r"""Nesterov's method for convex functions, in its textbook two-sequence form.

    .. math::

        x_k = y_{k-1} - \eta\,\nabla f(y_{k-1}), \qquad
        y_k = x_k + \frac{k - 1}{k + 2}\,(x_k - x_{k-1}), \qquad x_0 = y_0 = \theta_0

    ``grad`` = :math:`\nabla f`, ``eta`` = :math:`\eta` (at most :math:`1/L`).
    Returns ``(x, y)`` of shape ``(steps + 1, *theta0.shape)``.
    """
    x = np.array(theta0, dtype=float)
    y = x.copy()
    xs, ys = [x.copy()], [y.copy()]
    for k in range(1, steps + 1):
        x_new = y - eta * grad(y)
        y = x_new + (k - 1) / (k + 2) * (x_new - x)
        x = x_new
        xs.append(x.copy())
        ys.append(y.copy())
    return np.array(xs), np.array(ys)


def _verdict(result, predicted):
    """What one run did, in words, after its predicted rate."""
    head = f"{result.name}: {_rate_text(predicted)} predicted"
    if predicted >= 1:
        head = f"{result.name}: unstable predicted ({_rate_text(predicted)})"
    if result.diverged:
        return f"{head}, diverged at step {int(result.diverged_at)}"
    measured = _fitted_rate(result)
    if np.isnan(measured):
        return f"{head}, reached the minimum exactly"
    return f"{head}, {_rate_text(measured)} measured"


def _fitted_rate(result, tiny=1e-140):
    """exp of the least-squares slope of ln(distance) over the second half of the usable steps
    (a line through the whole window averages out the wobble of an oscillating run)."""
    d = result.distance().reshape(-1)
    usable = np.flatnonzero(np.isfinite(d) & (d > tiny))
    if usable.size < 4 or usable[-1] < 3:
        return float("nan")
    k = np.arange(usable[-1] // 2, usable[-1] + 1)
    return float(np.exp(np.polyfit(k, np.log(d[k]), 1)[0]))


_MUS = [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99]


@register("nesterov_vs_momentum", chapter="04_nesterov", figsize=(9, 3.8),
          flipbook=("mu", sorted({*_MUS, round(nesterov_standard([0.01, 1])[1], 4)})),
          eta=("learning rate η", 1.0, 0.01, 4.0, 0.01),
          mu=("momentum μ", 0.8182, 0.0, 0.99, 0.0001),
          kappa=("condition number κ", 100.0, 1.0, 1000.0, 0.05, True))
def nesterov_vs_momentum(axes, eta, mu, kappa=100.0, steps=80):
    r"""Heavy ball and Nesterov with the same :math:`(\eta, \mu)` on one quadratic.

    The quadratic has :math:`\lambda_{\max} = 1`, :math:`\lambda_{\min} = 1/\kappa`
    (``kappa``) and starts at :math:`(-4, 3)`; both methods take ``steps``
    steps with ``eta`` = :math:`\eta` and ``mu`` = :math:`\mu`. Draws both
    paths on the contours (``axes[0]``) and :math:`f - f^*` per step
    (``axes[1]``, fixed limits). Returns each method's predicted rate (the
    spectral radius of its matrix) and its measured rate (the least-squares
    slope of the log distance over the second half of the run), or the step
    at which it diverged.
    """
    land = Quadratic(kappa=kappa)
    lam = land.eigenvalues
    hb = run(Momentum(lr=eta, momentum=mu), land, steps=steps, name="Momentum")
    nag = run(Nesterov(lr=eta, momentum=mu), land, steps=steps, name="Nesterov")
    plot_contours(land, ax=axes[0])
    plot_path(hb, ax=axes[0], markers=False)
    plot_path(nag, ax=axes[0], markers=False)
    plot_loss([hb, nag], ax=axes[1], floor=1e-12)
    axes[1].set(xlim=(0, steps), ylim=(1e-12, 1e5))
    axes[1].legend(loc="upper right", frameon=False)
    return (f"η = {eta:.3g}, μ = {mu:.4g}, κ = {kappa:.3g}. "
            + _verdict(hb, heavy_ball_rate(eta, mu, lam)) + "; "
            + _verdict(nag, nesterov_rate(eta, mu, lam)))
