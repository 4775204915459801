r"""Chapter 5, AdaGrad: its effective steps, the regret lemma, full-matrix AdaGrad, explorer.

AdaGrad (:class:`optimlib.AdaGrad`) keeps :math:`h_t = h_0 + \sum_{s\le t} g_s\odot g_s`
and steps :math:`\theta_t = \theta_{t-1} - \eta\, g_t/(\sqrt{h_t} + \varepsilon)`.
The functions here give the chapter's formulas in closed form, so that the
tests and the chapter can put each next to a simulation:

- :func:`effective_step`: :math:`\eta/(\sqrt{h_t} + \varepsilon)` per step and coordinate;
- :func:`first_step`: the first update, with :math:`\varepsilon` outside or inside the root;
- :func:`constant_gradient_reach`: distance travelled under a constant gradient;
- :func:`sqrt_sum_lemma`: both sides of :math:`\sum_t a_t/\sqrt{\sum_{s\le t} a_s}
  \le 2\sqrt{\sum_t a_t}`;
- :func:`hindsight_scales`: the best fixed diagonal preconditioner in hindsight;
- :func:`full_matrix_adagrad`: AdaGrad with the whole matrix :math:`G_t = \sum g_s g_s^\top`;
- :func:`adagrad_quadratic`: the explorer (axis-aligned or rotated quadratic).
"""
from __future__ import annotations

import numpy as np

from ..functions import Quadratic
from ..optimizers import SGD, AdaGrad
from ..plots import contour_segments, plot_path, style_of
from ..run import Result, run
from .registry import register

__all__ = ["effective_step", "first_step", "constant_gradient_reach", "sqrt_sum_lemma",
           "hindsight_scales", "full_matrix_adagrad", "steps_to", "quadratic_distances",
           "adagrad_quadratic"]


def _check_nonneg(label, value):
    value = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(value) & (value >= 0)):
        raise ValueError(f"Invalid {label}: {value.tolist()!r} (must be finite and >= 0)")
    return value


def effective_step(grads, eta, eps=0.0, initial_accumulator=0.0):
    r"""Per-coordinate effective learning rate of AdaGrad at every step.

    .. math::

        \eta_{t,i} = \frac{\eta}{\sqrt{h_{t,i}} + \varepsilon}, \qquad
        h_{t,i} = h_0 + \sum_{s=1}^{t} g_{s,i}^2 ,

    so that step :math:`t` is :math:`-\eta_{t} \odot g_t`. ``grads`` has shape
    ``(T, ...)`` (row ``t - 1`` is :math:`g_t`); ``eta`` = :math:`\eta`,
    ``eps`` = :math:`\varepsilon` (outside the root), ``initial_accumulator`` =
    :math:`h_0`. Returns an array of the shape of ``grads`` (``inf`` where
    :math:`h_t = 0` and :math:`\varepsilon = 0`).
    """
    g = np.asarray(grads, dtype=float)
    _check_nonneg("learning rate", eta)
    _check_nonneg("epsilon", eps)
    _check_nonneg("initial accumulator", initial_accumulator)
    h = initial_accumulator + np.cumsum(g * g, axis=0)
    with np.errstate(divide="ignore"):
        return eta / (np.sqrt(h) + eps)


def first_step(g, eta, eps=0.0, initial_accumulator=0.0, inside=False):
    r"""AdaGrad's first update :math:`\theta_1 - \theta_0` for the gradient ``g``.

    .. math::

        \text{outside: } -\eta\,\frac{g}{\sqrt{h_0 + g^2} + \varepsilon},
        \qquad
        \text{inside: } -\eta\,\frac{g}{\sqrt{h_0 + g^2 + \varepsilon}} .

    ``eta`` = :math:`\eta`, ``eps`` = :math:`\varepsilon`, ``initial_accumulator``
    = :math:`h_0`; ``inside`` picks where :math:`\varepsilon` sits. With
    :math:`h_0 = \varepsilon = 0` the step is :math:`-\eta\,\operatorname{sign}(g)`.
    """
    g = np.asarray(g, dtype=float)
    h = initial_accumulator + g * g
    den = np.sqrt(h + eps) if inside else np.sqrt(h) + eps
    return -eta * g / den


def constant_gradient_reach(eta, steps, c=1.0):
    r"""Distance one coordinate travels in ``steps`` AdaGrad steps under a constant gradient.

    With :math:`g_t = c \neq 0` for every :math:`t`, :math:`h_0 = \varepsilon = 0`:
    :math:`h_t = t c^2` and step :math:`t` has length :math:`\eta/\sqrt t`, so
    after :math:`T` = ``steps`` steps the distance is

    .. math::

        \eta \sum_{t=1}^{T} \frac{1}{\sqrt t}
        \;\in\; \bigl[\,2\eta(\sqrt{T+1} - 1),\; 2\eta\sqrt T - \eta\,\bigr],

    whatever :math:`c`. Returns ``(exact, lower, upper)``.
    """
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"Invalid steps: {steps!r} (must be a whole number >= 1)")
    _check_nonneg("learning rate", eta)
    if c == 0:
        raise ValueError("Invalid c: 0 (a constant gradient must be non-zero)")
    t = np.arange(1, steps + 1)
    exact = eta * np.sum(1.0 / np.sqrt(t))
    return exact, 2 * eta * (np.sqrt(steps + 1) - 1), 2 * eta * np.sqrt(steps) - eta


def sqrt_sum_lemma(a):
    r"""Both sides of the lemma behind AdaGrad's regret bound, for :math:`a_t \ge 0`:

    .. math::

        \sum_{t=1}^{T} \frac{a_t}{\sqrt{\sum_{s=1}^{t} a_s}} \;\le\; 2\sqrt{\sum_{t=1}^{T} a_t}

    (terms with a zero denominator count as 0). ``a`` has shape ``(T, ...)``;
    returns ``(left, right)`` of shape ``a.shape[1:]``.
    """
    a = _check_nonneg("a", a)
    s = np.cumsum(a, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, a / np.sqrt(s), 0.0)
    return terms.sum(axis=0), 2 * np.sqrt(s[-1])


def hindsight_scales(grads, budget=1.0):
    r"""The best fixed diagonal preconditioner in hindsight, and the value it reaches.

    Minimises :math:`\Phi(s) = \sum_i \frac{1}{s_i}\sum_t g_{t,i}^2` over
    :math:`s_i > 0` with :math:`\sum_i s_i = c` (``budget``). A Lagrange
    multiplier gives

    .. math::

        s_i^\star = c\,\frac{\|g_{1:T,i}\|}{\sum_j \|g_{1:T,j}\|},
        \qquad
        \Phi(s^\star) = \frac{1}{c}\Bigl(\sum_i \|g_{1:T,i}\|\Bigr)^2,

    with :math:`\|g_{1:T,i}\| = \sqrt{\sum_t g_{t,i}^2}`: the scales are
    proportional to AdaGrad's :math:`\sqrt{h_{T,i}}`. ``grads`` has shape
    ``(T, d)`` with no all-zero column. Returns ``(s_star, phi_star)``.
    """
    g = np.asarray(grads, dtype=float)
    if g.ndim != 2:
        raise ValueError(f"grads must have shape (T, d), got {g.shape}")
    if not budget > 0:
        raise ValueError(f"Invalid budget: {budget!r} (must be > 0)")
    norms = np.sqrt(np.sum(g * g, axis=0))
    if np.any(norms == 0):
        raise ValueError("grads has a coordinate whose gradients are all zero")
    s = budget * norms / norms.sum()
    return s, norms.sum() ** 2 / budget


def full_matrix_adagrad(landscape, eta, steps=100, start=None, delta=1e-10,
                        name="AdaGrad (full matrix)"):
    r"""Full-matrix AdaGrad on a 2-D landscape; returns a :class:`~optimlib.run.Result`.

    .. math::

        G_t = G_{t-1} + g_t g_t^\top, \qquad
        \theta_t = \theta_{t-1} - \eta\,\bigl(\delta I + G_t^{1/2}\bigr)^{-1} g_t ,

    with :math:`G_0 = 0`, :math:`\eta` = ``eta``, :math:`\delta` = ``delta``
    (the matrix counterpart of :math:`\varepsilon` outside the root). The
    square root comes from the eigendecomposition of :math:`G_t`: a :math:`d
    \times d` matrix to store and :math:`O(d^3)` work per step, against
    :math:`d` numbers and :math:`O(d)` work for the diagonal. Keeping only the
    diagonal of :math:`G_t` gives :class:`optimlib.AdaGrad` exactly.

    While :math:`G_t` is (nearly) singular, as :math:`G_1 = g_1 g_1^\top` is,
    the rounding error of :math:`g_t` across the range of :math:`G_t` (about
    :math:`10^{-16}|g_t|`) is divided by :math:`\delta`: a small ``delta``
    makes the first step accurate only to about :math:`10^{-16}/\delta`.
    """
    _check_nonneg("learning rate", eta)
    if not delta > 0:
        raise ValueError(f"Invalid delta: {delta!r} (must be > 0)")
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(f"Invalid steps: {steps!r} (must be a whole number >= 0)")
    theta = np.array(landscape.start if start is None else start, dtype=float)
    G = np.zeros((2, 2))
    path = np.full((steps + 1, 2), np.nan)
    path[0] = theta
    diverged_at = -1
    limit = 1e6 * max(1.0, float(landscape.f(theta) - landscape.f_min))
    for k in range(1, steps + 1):
        g = landscape.grad(theta)
        G += np.outer(g, g)
        w, V = np.linalg.eigh(G)
        w = np.where(w > 1e-12 * w.max(), w, 0.0)   # rounding-level eigenvalues are 0
        theta = theta - eta * V @ ((V.T @ g) / (delta + np.sqrt(w)))
        if not np.all(np.isfinite(theta)) or landscape.f(theta) - landscape.f_min > limit:
            diverged_at = k
            break
        path[k] = theta
    with np.errstate(invalid="ignore"):
        loss = np.where(np.isfinite(path[:, 0]), landscape.f(np.nan_to_num(path)), np.nan)
    return Result(name, landscape, path, loss, np.array(diverged_at))


def steps_to(values, factor=1e-6):
    """First step ``t`` with ``values[t] <= factor * values[0]`` along axis 0, or -1 (never).

    ``values`` has shape ``(T + 1, ...)``; returns an int array of shape ``values.shape[1:]``.
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        hit = v <= factor * v[0]
    return np.where(hit.any(axis=0), hit.argmax(axis=0), -1)


def quadratic_distances(optimizer, kappas, angles, steps):
    r"""Distance to the minimum per step on many quadratics at once.

    Problem ``(i, j)`` is ``Quadratic(kappa=kappas[i], angle=angles[j])``
    (:math:`\lambda_{\max} = 1`, start :math:`Q(-4, 3)`), run by ``optimizer``
    on parameters of shape ``(len(kappas), len(angles), *extra, 2)``, where
    ``extra`` is the shape the optimizer's array hyperparameters add after
    the two problem axes (e.g. ``lr`` of shape ``(1, 1, E)`` gives ``E``
    learning rates per problem). Returns :math:`\|\theta_t\|` with shape
    ``(steps + 1, len(kappas), len(angles), *extra)``; a run whose distance
    passes :math:`10^{6}` times its start is stopped (NaN from then on).
    """
    kappas, angles = np.atleast_1d(kappas), np.atleast_1d(angles)
    lands = [[Quadratic(kappa=k, angle=a) for a in angles] for k in kappas]
    A = np.array([[q.A for q in row] for row in lands])            # (K, N, 2, 2)
    start = np.array([[q.start for q in row] for row in lands])     # (K, N, 2)
    extra = ()
    for value in optimizer.hyperparameters().values():
        if isinstance(value, np.ndarray) and value.ndim > 2:
            extra = np.broadcast_shapes(extra, value.shape[2:])
    A = A.reshape(A.shape[:2] + (1,) * len(extra) + (2, 2))
    theta = np.array(np.broadcast_to(start.reshape(start.shape[:2] + (1,) * len(extra) + (2,)),
                                     start.shape[:2] + tuple(extra) + (2,)))
    optimizer.reset()
    out = np.full((steps + 1,) + theta.shape[:-1], np.nan)
    out[0] = np.linalg.norm(theta, axis=-1)
    alive = np.ones(theta.shape[:-1], bool)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            g = np.einsum("...ij,...j->...i", A, theta)
            optimizer.update(theta, np.where(alive[..., None], g, 0.0))
            d = np.linalg.norm(theta, axis=-1)
            alive &= np.isfinite(d) & (d < 1e6 * out[0])
            theta[~alive] = 0.0
            out[t] = np.where(alive, d, np.nan)
    return out


# --------------------------------------------------------------------- explorer

_KAPPA = 50.0
_STEPS = 150
_LEVELS = np.geomspace(1e-3, 30, 12)


@register("adagrad_quadratic", chapter="05_adagrad", figsize=(9.5, 3.8),
          flipbook=("angle", [0, 5, 10, 15, 20, 30, 45, 60, 75, 90]),
          eta=("learning rate η", 0.5, 0.01, 5.0, 0.05, True),
          eps=("ε (outside the root)", 1e-10, 1e-10, 1.0, 0.5, True),
          initial_accumulator=("initial accumulator h₀", 0.0, 0.0, 1.0, 0.05),
          angle=("rotation angle (degrees)", 0.0, 0.0, 90.0, 5.0))
def adagrad_quadratic(axes, eta, eps=1e-10, initial_accumulator=0.0, angle=0.0):
    r"""AdaGrad on the quadratic with :math:`\kappa = 50`, axis-aligned or turned by ``angle``.

    ``eta`` = :math:`\eta`, ``eps`` = :math:`\varepsilon` (outside the root),
    ``initial_accumulator`` = :math:`h_0`; 150 steps from the quadratic's
    start. ``axes[0]``: AdaGrad's path and, in grey, plain gradient descent's
    with :math:`\eta = 1/\lambda_{\max}` (no zigzag) on the contours.
    ``axes[1]``: the effective step :math:`\eta/(\sqrt{h_{t,i}} + \varepsilon)`
    of each coordinate per step (fixed log limits). Returns the distance to the
    minimum after 150 steps for both, or the step at which a run diverged.
    """
    from matplotlib.collections import LineCollection

    land = Quadratic(kappa=_KAPPA, angle=angle)
    opt = AdaGrad(lr=eta, eps=eps, initial_accumulator=initial_accumulator)
    theta, grads = np.array(land.start, dtype=float), np.zeros((_STEPS, 2))
    path = np.full((_STEPS + 1, 2), np.nan)
    path[0] = theta
    for k in range(_STEPS):       # AdaGrad's steps are at most η per coordinate: no blow-up
        grads[k] = land.grad(theta)
        opt.update(theta, grads[k].copy())
        path[k + 1] = theta
    ada = Result("AdaGrad", land, path, land.f(path), np.array(-1))
    gd = run(SGD(lr=1 / land.lam_max), land, steps=_STEPS, name="SGD")
    top = 3
    ax = axes[0]
    lines = contour_segments(Quadratic(kappa=_KAPPA, angle=angle), _LEVELS)
    ax.add_collection(LineCollection(lines, colors="#9a9a9a", linewidths=0.7, zorder=top))
    ax.plot(0, 0, "*", color="#4d4d4d", markersize=11, markeredgecolor="white", zorder=top)
    plot_path(gd, ax=ax, markers=False, zorder=top, color="#7f7f7f",
              label="GD, η = 1/λmax")
    plot_path(ada, ax=ax, markers=False, zorder=top + 1)
    ax.set(xlim=land.xlim, ylim=land.ylim, xlabel="$x$", ylabel="$y$")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(f"κ = {_KAPPA:g}, axes turned by {angle:g}°", loc="left", fontsize=9)

    ax = axes[1]
    steps = effective_step(grads, eta, eps, initial_accumulator)
    t = np.arange(1, _STEPS + 1)
    color = style_of("AdaGrad")["color"]
    ax.loglog(t, np.minimum(steps[:, 0], 1e4), color=color, lw=1.8, label="coordinate $x$")
    ax.loglog(t, np.minimum(steps[:, 1], 1e4), color=color, lw=1.8, linestyle="--",
              label="coordinate $y$")
    ax.loglog(t, eta / np.sqrt(t), color="#7f7f7f", lw=0.9, linestyle=":",
              label=r"$\eta/\sqrt{t}$")
    ax.set(xlim=(1, _STEPS), ylim=(1e-3, 1e4), xlabel="step $t$",
           ylabel=r"$\eta/(\sqrt{h_{t,i}}+\varepsilon)$")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    d_ada = float(np.linalg.norm(path[-1]))
    gd_text = (f"diverged at step {int(gd.diverged_at)}" if gd.diverged
               else f"{float(gd.distance()[-1]):.2e}")
    return (f"η = {eta:.3g}, ε = {eps:.1e}, h₀ = {initial_accumulator:.2f}, "
            f"angle = {angle:g}°: distance to the minimum after {_STEPS} steps: "
            f"AdaGrad {d_ada:.2e}, GD (η = 1/λmax) {gd_text}")
