r"""Chapter 7, Adadelta: units, the first steps that :math:`\varepsilon` sets, scaled problems.

Adadelta (the library's :class:`~optimlib.optimizers.Adadelta`, :math:`\eta` = ``lr``)
keeps :math:`v_t = \rho v_{t-1} + (1-\rho) g_t^2` and
:math:`u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2` and steps

.. math::

    \Delta_t = \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{v_t + \varepsilon}}\, g_t,
    \qquad \theta_t = \theta_{t-1} - \eta\,\Delta_t .

- :class:`Scaled`: a landscape in other units, :math:`f_c(\theta) = f(\theta/c)`
  (scale :math:`c` a number or an array, one run per entry);
- :func:`first_step`, :func:`constant_gradient_steps` (exact step lengths
  under a constant gradient), :func:`step_growth` (their closed form once
  :math:`v_t` is steady), :func:`distance_travelled`;
- :func:`steps_to_tolerance`;
- the explorer ``adadelta_scale`` (:func:`adadelta_scale`): Adadelta vs
  RMSProp on a quadratic in the units :math:`c`.
"""
from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from ..functions import Landscape, Quadratic
from ..optimizers import Adadelta, RMSProp
from ..plots import contour_segments, style_of
from ..run import Result, run
from .registry import register

__all__ = ["Scaled", "first_step", "constant_gradient_steps", "step_growth",
           "distance_travelled", "steps_to_tolerance", "adadelta_scale"]


def _positive(name, value):
    arr = np.asarray(value, dtype=float)
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"Invalid {name}: {value!r} (must be finite and > 0)")
    return arr


def _rho_eps(rho, eps):
    r = np.asarray(rho, dtype=float)
    if not (np.all(r >= 0) and np.all(r < 1)):
        raise ValueError(f"Invalid rho: {rho!r} (must be in [0, 1))")
    return r, _positive("eps", eps)


class Scaled(Landscape):
    r"""``landscape`` in other units: :math:`f_c(\theta) = f(\theta/c)`, :math:`c` = ``scale``.

    A parameter measured in units :math:`1/c` times as large (metres instead
    of millimetres is :math:`c = 10^{-3}`) turns :math:`\theta` into
    :math:`c\,\theta`. Then the minimum and the start move to :math:`c\,\theta^*`,
    :math:`c\,\theta_0`, the gradient becomes :math:`\nabla f(\theta/c)/c` and
    the Hessian :math:`\nabla^2 f/c^2`; the values of :math:`f` do not change.

    ``scale`` is a positive number or an array: an array lines up with the
    *leading* axes of the points (one run per entry, as array
    hyperparameters do); then the base landscape's minimum must be the origin,
    and ``start`` is an array of start points of shape ``scale.shape + (2,)``.
    """

    def __init__(self, landscape, scale):
        c = _positive("scale", scale)
        self.landscape, self.scale = landscape, c
        self.f_min = landscape.f_min
        if c.ndim == 0:
            self.minima = landscape.minima * float(c)
        elif np.allclose(landscape.minima, 0.0):
            self.minima = np.zeros((1, 2))
        else:
            raise ValueError("an array scale needs a landscape whose minimum is the origin, "
                             f"got minima {landscape.minima.tolist()}")
        self.start = c[..., None] * landscape.start
        self.xlim = tuple(np.max(c) * np.asarray(landscape.xlim))
        self.ylim = tuple(np.max(c) * np.asarray(landscape.ylim))
        self.name = f"{landscape.name}, scaled"

    def __repr__(self):
        s = self.scale
        return f"Scaled({self.landscape!r}, scale={float(s) if s.ndim == 0 else s.tolist()})"

    def _c(self, theta):
        c = self.scale
        if theta.ndim - 1 < c.ndim:
            raise ValueError(f"points of shape {theta.shape} have fewer leading axes than "
                             f"the scale's shape {c.shape}")
        return c.reshape(c.shape + (1,) * (theta.ndim - c.ndim))

    def f(self, theta):
        theta = np.asarray(theta, dtype=float)
        return self.landscape.f(theta / self._c(theta))

    def grad(self, theta):
        theta = np.asarray(theta, dtype=float)
        c = self._c(theta)
        return self.landscape.grad(theta / c) / c

    def hessian(self, theta, h=None):
        """The base Hessian at :math:`\\theta/c`, divided by :math:`c^2` (a number ``scale``)."""
        if self.scale.ndim:
            raise ValueError("hessian needs a number scale")
        c = float(self.scale)
        return self.landscape.hessian(np.asarray(theta, dtype=float) / c) / c ** 2


def first_step(g, rho=0.9, eps=1e-6, lr=1.0):
    r"""The length of Adadelta's first step, from :math:`u_0 = v_0 = 0`.

    .. math::

        |\theta_1 - \theta_0| = \eta\,\frac{\sqrt{\varepsilon}}{\sqrt{(1-\rho)g_1^2 + \varepsilon}}\,|g_1|
        \;\approx\; \eta\,\sqrt{\frac{\varepsilon}{1-\rho}}\quad (g_1^2 \gg \varepsilon),

    per coordinate; :math:`g_1` = ``g``, :math:`\rho` = ``rho``,
    :math:`\varepsilon` = ``eps``, :math:`\eta` = ``lr`` (arrays broadcast).
    """
    rho, eps = _rho_eps(rho, eps)
    g = np.abs(np.asarray(g, dtype=float))
    return lr * np.sqrt(eps) * g / np.sqrt((1 - rho) * g * g + eps)


def constant_gradient_steps(g, rho=0.9, eps=1e-6, steps=100, lr=1.0):
    r"""Exact step lengths :math:`|\Delta_t|`, :math:`t = 1 \dots` ``steps``, under a constant gradient.

    On :math:`f(\theta) = g\,\theta` every gradient is :math:`g`, so
    :math:`v_t = (1 - \rho^t)\,g^2` and the recursion is scalar:

    .. math::

        s_t^2 = \frac{u_{t-1} + \varepsilon}{(1-\rho^t) g^2 + \varepsilon}\, g^2, \qquad
        u_t = \rho\,u_{t-1} + (1-\rho)\,s_t^2, \qquad u_0 = 0 .

    The parameter moves :math:`\eta s_t` at step :math:`t`. ``g``, ``rho``,
    ``eps`` broadcast; returns shape ``(steps, *broadcast shape)``.
    """
    rho, eps = _rho_eps(rho, eps)
    g = np.asarray(g, dtype=float)
    rho, eps, g = np.broadcast_arrays(rho, eps, g)
    u = np.zeros(g.shape)
    out = np.empty((steps,) + g.shape)
    for t in range(1, steps + 1):
        s2 = (u + eps) / ((1 - rho ** t) * g * g + eps) * g * g
        u = rho * u + (1 - rho) * s2
        out[t - 1] = np.sqrt(s2)
    return lr * out


def step_growth(t, rho=0.9, eps=1e-6):
    r"""Closed form of Adadelta's step length :math:`s_t` on a constant gradient with :math:`g^2 \gg \varepsilon`.

    Dropping :math:`\varepsilon` next to :math:`(1-\rho^t) g^2` in the recursion
    of :func:`constant_gradient_steps` leaves the linear recursion
    :math:`u_t = \frac{1-\rho^{t+1}}{1-\rho^t}\,u_{t-1} + \frac{(1-\rho)\,\varepsilon}{1-\rho^t}`,
    whose product telescopes; with :math:`u_0 = 0`,

    .. math::

        s_t^2 = \frac{\varepsilon}{1-\rho^t} + (1-\rho)\,\varepsilon\,S_{t-1},
        \qquad S_n = \sum_{k=1}^{n} \frac{1}{(1-\rho^k)(1-\rho^{k+1})},

    so :math:`s_1 = \sqrt{\varepsilon/(1-\rho)}` and, since
    :math:`S_n - n` tends to a finite constant, :math:`s_t \sim \sqrt{(1-\rho)\,\varepsilon\,t}`:
    the step grows like :math:`\sqrt t`. ``t`` is an int or an int array (:math:`t \ge 1`).
    """
    rho, eps = _rho_eps(rho, eps)
    t = np.asarray(t)
    if not (np.issubdtype(t.dtype, np.integer) and np.all(t >= 1)):
        raise ValueError(f"Invalid t: {t!r} (whole numbers >= 1)")
    n = int(t.max())
    k = np.arange(1, n + 1, dtype=float).reshape((-1,) + (1,) * rho.ndim)
    terms = 1.0 / ((1 - rho ** k) * (1 - rho ** (k + 1)))
    S = np.concatenate([np.zeros((1,) + terms.shape[1:]), np.cumsum(terms, axis=0)])
    return np.sqrt(eps / (1 - rho ** t) + (1 - rho) * eps * S[t - 1])


def distance_travelled(T, rho=0.9, eps=1e-6):
    r"""Distance :math:`D_T = \sum_{t=1}^{T} s_t` after ``T`` steps on a constant slope, by :func:`step_growth`.

    For large :math:`T`, :math:`D_T \approx \tfrac23 \sqrt{(1-\rho)\,\varepsilon}\;T^{3/2}`:
    to travel a distance :math:`D` takes about
    :math:`\big(3D/(2\sqrt{(1-\rho)\varepsilon})\big)^{2/3}` steps, a number that
    grows with the distance. ``T`` is an int; ``rho`` and ``eps`` numbers.
    """
    if not (isinstance(T, (int, np.integer)) and T >= 1):
        raise ValueError(f"Invalid T: {T!r} (a whole number >= 1)")
    return float(step_growth(np.arange(1, T + 1), rho, eps).sum())


def steps_to_tolerance(result, tol=1e-6):
    r"""First step :math:`t` with :math:`f(\theta_t) - f^* \le` ``tol`` :math:`\cdot (f(\theta_0) - f^*)`.

    ``result`` is a :class:`~optimlib.run.Result` (or an array of gaps of shape
    ``(steps + 1, *batch)``). Returns an int for one run, else an int array of
    the batch shape; ``-1`` where the run never got there (or diverged).
    """
    if not tol > 0:
        raise ValueError(f"Invalid tol: {tol!r} (must be > 0)")
    gap = result.gap if hasattr(result, "gap") else np.asarray(result, dtype=float)
    with np.errstate(invalid="ignore"):
        hit = gap <= tol * gap[0]
    first = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
    return int(first) if np.ndim(first) == 0 else first


# ---------------------------------------------------------------- explorer

_BASE = Quadratic(kappa=10, angle=30)
_CACHE = {}
_RMS_LR = 0.01     # RMSProp's learning rate, tuned once at scale 1 (the chapter's table)


def _background():
    """Contour lines of the base quadratic in the units θ/c (the same for every c), once."""
    if not _CACHE:
        _CACHE["lines"] = contour_segments(_BASE, np.geomspace(1e-3, 20, 10))
    return _CACHE


def _report(name, result, tol):
    if result.diverged:
        return f"{name} diverged at step {int(result.diverged_at)}"
    k = steps_to_tolerance(result, tol)
    if k < 0:
        return (f"{name} not at 1e-6 in {result.steps} steps "
                f"(gap ratio {result.gap[-1] / result.gap[0]:.1e})")
    return f"{name} at 1e-6 after {k} steps"


def _pair(scale, rho, eps, steps):
    """Adadelta and RMSProp from the same start, in one loop.

    The two updates are written out here (RMSProp with ``eps`` = 1e-8 outside the
    root, as :class:`~optimlib.optimizers.RMSProp`) because a redraw has 0.1 s and
    the library's checked ``update`` costs most of it; the tests hold both paths
    equal to ``run(Adadelta(...))`` and ``run(RMSProp(...))``.
    """
    land = Scaled(_BASE, scale)
    theta = np.array([land.start, land.start])
    path = np.full((steps + 1, 2, 2), np.nan)
    path[0] = theta
    v, u = np.zeros((2, 2)), np.zeros(2)
    diverged = [-1, -1]
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            g = land.grad(theta)
            v = rho * v + (1 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v[0] + eps) * g[0]       # Adadelta
            u = rho * u + (1 - rho) * delta * delta
            step = np.stack([delta, _RMS_LR * g[1] / (np.sqrt(v[1]) + 1e-8)])
            theta = theta - step
            path[k] = theta
        bad = ~np.isfinite(path).all(axis=-1) | (np.abs(path).max(axis=-1) > 1e6 * scale)
        for i in range(2):
            if bad[:, i].any():
                diverged[i] = int(np.argmax(bad[:, i]))
                path[diverged[i]:, i] = np.nan
        loss = land.f(path)
    return [Result(name, land, path[:, i], loss[:, i], np.array(diverged[i]))
            for i, name in enumerate(["Adadelta", "RMSProp"])]


@register("adadelta_scale", chapter="07_adadelta", ncols=2, figsize=(9.5, 3.7),
          flipbook=("scale", [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0]),
          scale=("units: scale c", 1.0, 1e-3, 1e3, 0.25, True),
          rho=("ρ", 0.9, 0.5, 0.999, 0.001),
          eps=("ε", 1e-6, 1e-10, 1e-2, 0.5, True))
def adadelta_scale(axes, scale, rho, eps, steps=200):
    r"""Adadelta (:math:`\eta = 1`, :math:`\rho` = ``rho``, :math:`\varepsilon` = ``eps``)
    and RMSProp (:math:`\eta = 0.01`, same :math:`\rho`, :math:`\varepsilon = 10^{-8}`)
    on :class:`Scaled` ``(Quadratic(kappa=10, angle=30), scale)``.

    ``axes[0]``: both paths drawn in the units :math:`\theta/c`, so that the
    picture of the problem is the same for every :math:`c` and only the
    optimizers' behaviour changes. ``axes[1]``: :math:`(f - f^*)/(f_0 - f^*)`
    per step (fixed limits). Returns the report: for each, the step at which
    the ratio reached :math:`10^{-6}`, or where it stands, or where it diverged.
    """
    ada, rms = _pair(scale, rho, eps, steps)
    top = 3
    ax = axes[0]
    ax.add_collection(LineCollection(_background()["lines"], colors="#9a9a9a",
                                     linewidths=0.7, zorder=top))
    ax.plot(0.0, 0.0, "*", color="#4d4d4d", markersize=11, markeredgecolor="white",
            zorder=top)
    for r, name in [(rms, "RMSProp"), (ada, "Adadelta")]:
        p = r.path / scale
        st = style_of(name)
        ax.plot(p[:, 0], p[:, 1], color=st["color"], lw=1.2, zorder=top, label=name)
        if r.diverged:
            k = int(r.diverged_at) - 1
            ax.plot(*p[k], "x", color="#D55E00", markersize=9, mew=2, zorder=top + 1)
    ax.plot(*_BASE.start, "o", color="#4d4d4d", markersize=5, zorder=top + 1)
    ax.set(xlim=_BASE.xlim, ylim=_BASE.ylim, xlabel=r"$\theta_1 / c$",
           ylabel=r"$\theta_2 / c$")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("paths in units of c (star: minimum)", loc="left", fontsize=9)

    ax = axes[1]
    t = np.arange(steps + 1)
    for r, name in [(rms, "RMSProp"), (ada, "Adadelta")]:
        ratio = r.gap / r.gap[0]
        ratio = np.where(np.isfinite(ratio), np.maximum(ratio, 1e-16), np.nan)
        st = style_of(name)
        ax.semilogy(t, ratio, color=st["color"], ls=st["linestyle"], lw=1.4, zorder=top,
                    label=name)
    ax.axhline(1e-6, color="#9a9a9a", lw=0.8, ls=":", zorder=top)
    ax.set(xlim=(0, steps), ylim=(1e-16, 1e4), xlabel="step $t$",
           ylabel=r"$(f - f^*)/(f_0 - f^*)$")
    ax.set_title("pink: Adadelta, orange: RMSProp; dotted: 1e-6", loc="left", fontsize=9)
    return (f"c = {scale:.3g}, ρ = {rho:.3g}, ε = {eps:.1e}: "
            f"{_report('Adadelta', ada, 1e-6)}; {_report('RMSProp (η = 0.01)', rms, 1e-6)}")
