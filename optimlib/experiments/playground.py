r"""Chapter 12, the playground: every optimizer of the course on every landscape.

- :data:`LANDSCAPES`: the landscapes of the playground by name, and
  :data:`OPTIMIZERS`, the eleven optimizers it races;
- :func:`make_optimizer`: an optimlib optimizer from its name (``"AMSGrad"``
  is ``Adam(amsgrad=True)``);
- :func:`race`: many optimizers on one landscape in one vectorised loop, the
  same results as :func:`optimlib.run.run_many` (the tests hold them equal)
  in a fraction of the time, which keeps a redraw under 0.1 s;
- :func:`steps_to_tolerance`, :func:`leaderboard`: who gets where first;
- :data:`HYPERPARAMETERS`: each optimizer's settings per landscape, and
  :data:`PRESETS`, the settings of the classic pictures;
- the explorer ``playground`` (:func:`playground`) and :func:`explore`,
  which opens it at a preset and keeps its preset dropdown and the other
  controls in step.

:func:`race` writes every optimizer as one update with per-row coefficients
(:math:`K` rows, one per optimizer; :math:`t` the step, from 1):

.. math::

    m_t &= a_1 m_{t-1} + b_1 g_t, \qquad v_t = a_2 v_{t-1} + b_2\, g_t \odot g_t, \\
    \theta_t &= w\,\theta_{t-1} - \frac{A_t\, m_t + B_t\, g_t}{D_t},

with :math:`D_t = \sqrt{v_t / c_t} + \varepsilon` (:math:`v^{\max}_t` in
place of :math:`v_t` for AMSGrad). For SGD :math:`m_t = g_t`,
:math:`A_t = \eta`, :math:`D_t = 1`; for momentum :math:`m_t` is the
velocity (:math:`a_1 = \mu`, :math:`b_1 = -\eta`, :math:`A_t = -1`); for
Nesterov also :math:`A_t = -\mu`, :math:`B_t = \eta`; for AdaGrad
:math:`a_2 = b_2 = 1`; for RMSProp :math:`a_2 = \rho`, :math:`b_2 = 1-\rho`;
for Adam :math:`a_1, b_1 = \beta_1, 1-\beta_1`, :math:`a_2, b_2 = \beta_2,
1-\beta_2`, :math:`A_t = \eta/(1-\beta_1^t)`, :math:`c_t = 1-\beta_2^t`, and
:math:`w = 1 - \eta\lambda_{\mathrm{wd}}` for AdamW; for NAdam
:math:`A_t = \eta\mu_{t+1}/(1-\Pi_t\mu_{t+1})` and
:math:`B_t = \eta(1-\mu_t)/(1-\Pi_t)`. Adadelta (:math:`D_t =
\sqrt{v_t+\varepsilon}/\sqrt{u_{t-1}+\varepsilon}`) and AdaMax
(:math:`D_t = v^\infty_t`) get their denominators from their own state.
"""
from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from ..functions import Beale, Bowl, Himmelblau, Quadratic, Reddi, Rosenbrock, Saddle
from ..optimizers import (SGD, AdaGrad, Adadelta, Adam, AdaMax, AdamW, Momentum, NAdam,
                          Nesterov, RMSProp)
from ..plots import contour_segments, style_of
from ..run import Result, _check_run_arguments
from .registry import register

__all__ = ["LANDSCAPES", "OPTIMIZERS", "HYPERPARAMETERS", "PRESETS", "TOL", "CUSTOM",
           "LR_GRID", "TUNING", "REDDI_SETTINGS", "make_optimizer", "race",
           "scored_gap", "steps_to_tolerance", "tuning_score", "tune_lrs", "colour_key", "leaderboard",
           "preset_runs", "runs", "playground", "explore", "start_point", "start_fractions"]

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "Adam",
              "AMSGrad", "AdamW", "NAdam", "AdaMax")

def _square(land, xlim, ylim):
    """``land`` with a square window (the paths panel draws every window as a square)."""
    land.xlim, land.ylim = xlim, ylim
    return land


#: The playground's landscapes by the names its dropdown shows. Every window is a
#: square, so that the paths panel (which shows the window in fractions of it) keeps
#: the shapes; the bowl and the saddle get larger windows than their defaults.
LANDSCAPES = {
    "long valley": Quadratic(kappa=50.0, angle=30.0),
    "bowl x²/20 + y²": _square(Bowl(), (-10.0, 10.0), (-10.0, 10.0)),
    "saddle": _square(Saddle(), (-2.0, 2.0), (-2.0, 2.0)),
    "Beale": Beale(),
    "Rosenbrock": Rosenbrock(),
    "Himmelblau": Himmelblau(),
    "Reddi (C = 3)": Reddi(3.0),
}

#: The tolerance of the leaderboard: steps until f − f* ≤ TOL · (f₀ − f*).
TOL = 1e-3

_CLASSES = {"SGD": SGD, "Momentum": Momentum, "Nesterov": Nesterov, "AdaGrad": AdaGrad,
            "RMSProp": RMSProp, "Adadelta": Adadelta, "Adam": Adam, "AdamW": AdamW,
            "NAdam": NAdam, "AdaMax": AdaMax}


def make_optimizer(name, **hyperparameters):
    """The optimlib optimizer called ``name`` (one of :data:`OPTIMIZERS`).

    ``"AMSGrad"`` is ``Adam(amsgrad=True)``; the keywords are the class's own.
    """
    if name == "AMSGrad":
        return Adam(amsgrad=True, **hyperparameters)
    if name not in _CLASSES:
        raise ValueError(f"Invalid optimizer name: {name!r} (one of {', '.join(OPTIMIZERS)})")
    return _CLASSES[name](**hyperparameters)


# -- the fused runner --------------------------------------------------------------------
def _kind(opt):
    """The update family of an optimizer object, or a TypeError for one race does not know."""
    kinds = {SGD: "sgd", Momentum: "momentum", Nesterov: "nesterov", AdaGrad: "adagrad",
             RMSProp: "rmsprop", Adadelta: "adadelta", Adam: "adam", AdamW: "adam",
             NAdam: "nadam", AdaMax: "adamax"}
    kind = kinds.get(type(opt))
    if kind is None or (kind == "rmsprop" and opt.centered):
        raise TypeError(f"race does not know {opt!r}; use optimlib.run for it")
    for key, value in opt.hyperparameters().items():
        if isinstance(value, np.ndarray) or callable(value):
            raise TypeError(f"race takes constant scalar hyperparameters; {type(opt).__name__}"
                            f" has {key} = {value!r} (use optimlib.run for it)")
    return kind


def _coefficients(opts, steps):
    """Per-row coefficients of the fused update (see the module docstring).

    Returns a namespace-like dict of arrays: shape ``(K, 1)`` for constants,
    ``(steps, K, 1)`` for the ones that change with the step.
    """
    K = len(opts)
    t = np.arange(1, steps + 1, dtype=float)[:, None]
    c = {k: np.zeros((K, 1)) for k in ("a1", "b1", "a2", "b2", "e", "w", "v0")}
    c["w"][:] = 1.0
    c["ams"] = np.zeros((K, 1), dtype=bool)
    A, B, C = np.zeros((steps, K)), np.zeros((steps, K)), np.ones((steps, K))
    rows = {"adadelta": [], "adamax": []}
    for i, opt in enumerate(opts):
        kind, h = _kind(opt), opt.hyperparameters()
        lr = h["lr"]
        if kind in ("sgd", "adagrad", "rmsprop", "adadelta"):
            c["a1"][i], c["b1"][i] = 0.0, 1.0       # m_t = g_t
            A[:, i] = lr
        if kind == "sgd":
            c["e"][i] = 1.0                          # D = sqrt(0) + 1 = 1
        elif kind in ("momentum", "nesterov"):
            c["a1"][i], c["b1"][i], c["e"][i] = h["momentum"], -lr, 1.0   # m_t = v_t
            A[:, i] = -1.0 if kind == "momentum" else -h["momentum"]
            B[:, i] = 0.0 if kind == "momentum" else lr
        elif kind == "adagrad":
            c["a2"][i], c["b2"][i], c["e"][i] = 1.0, 1.0, h["eps"]
            c["v0"][i] = h["initial_accumulator"]
        elif kind in ("rmsprop", "adadelta"):
            c["a2"][i], c["b2"][i], c["e"][i] = h["rho"], 1 - h["rho"], h["eps"]
            if kind == "adadelta":
                rows["adadelta"].append(i)
        else:                                        # adam, amsgrad, adamw, nadam, adamax
            b1, b2 = h["beta1"], h["beta2"]
            c["a1"][i], c["b1"][i], c["e"][i] = b1, 1 - b1, h["eps"]
            if kind == "adamax":
                rows["adamax"].append(i)
                A[:, i] = lr / (1 - b1 ** t[:, 0])
                continue
            c["a2"][i], c["b2"][i] = b2, 1 - b2
            C[:, i] = 1 - b2 ** t[:, 0]
            if kind == "adam":
                A[:, i] = lr / (1 - b1 ** t[:, 0])
                c["ams"][i] = bool(h["amsgrad"])
                if isinstance(opt, AdamW):
                    c["w"][i] = 1 - lr * h["weight_decay"]
            else:                                    # NAdam's momentum schedule
                psi = h["momentum_decay"]
                tt = np.arange(1, steps + 2, dtype=float)
                mu = b1 * (1 - 0.5 * 0.96 ** (tt * psi))
                prod = np.cumprod(mu[:-1])
                A[:, i] = lr * mu[1:] / (1 - prod * mu[1:])
                B[:, i] = lr * (1 - mu[:-1]) / (1 - prod)
    c["A"], c["B"], c["C"] = A[..., None], B[..., None], C[..., None]
    c["rows"] = rows
    return c


def race(optimizers, landscape, steps=100, start=None, noise=0.0, seed=0, blowup=1e6):
    r"""Run every optimizer of the dict ``{name: optimizer}`` on ``landscape``, all at once.

    The same as :func:`optimlib.run.run_many` with these arguments (every
    run gets the same gradient noise, as there), for the optimlib classes SGD,
    Momentum, Nesterov, AdaGrad, RMSProp (not centered), Adadelta, Adam
    (AMSGrad too), AdamW, NAdam and AdaMax with constant scalar
    hyperparameters: one loop over the steps updates all of them together,
    with the coefficients of the module docstring. ``start`` is one point of
    shape ``(2,)`` (default ``landscape.start``). Time-dependent gradients
    and projections are handled as in :func:`~optimlib.run.run`; a run is
    stopped as diverged by the same rule. Returns ``{name: Result}``.
    """
    _check_run_arguments(steps, noise, blowup)
    names = list(optimizers)
    opts = [optimizers[n] for n in names]
    start = np.asarray(landscape.start if start is None else start, dtype=float)
    if start.shape != (2,):
        raise ValueError(f"Invalid start: shape {start.shape} (race takes one point, (2,))")
    K = len(opts)
    c = _coefficients(opts, steps)
    online = bool(getattr(landscape, "time_dependent", False))
    constrained = bool(getattr(landscape, "constrained", False))
    if constrained:
        start = landscape.project(start)
    theta = np.tile(start, (K, 1))
    path = np.empty((steps + 1, K, 2))
    path[0] = theta
    m = np.zeros((K, 2))
    v = np.zeros((K, 2)) + c["v0"]
    v_max = v.copy()
    any_ams, any_wd = bool(c["ams"].any()), bool(np.any(c["w"] != 1))
    dd, mx = c["rows"]["adadelta"], c["rows"]["adamax"]
    dd_eps = c["e"][dd] if dd else None
    dd_rho = c["a2"][dd] if dd else None
    u_dd = np.zeros((len(dd), 2))
    mx_b2 = np.array([[optimizers[names[i]].beta2] for i in mx]) if mx else None
    mx_eps = c["e"][mx] if mx else None
    u_mx = np.zeros((len(mx), 2))
    a1, b1, a2, b2, e, w, ams = (c[k] for k in ("a1", "b1", "a2", "b2", "e", "w", "ams"))
    A, B, C = c["A"], c["B"], c["C"]
    z = (np.random.default_rng(seed).standard_normal((steps, 2)) * noise) if noise else None
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            g = landscape.grad(theta, k) if online else landscape.grad(theta)
            if z is not None:
                g = g + z[k - 1]
            m = a1 * m + b1 * g
            v = a2 * v + b2 * g * g
            if any_ams:
                v_max = np.where(ams, np.maximum(v_max, v), v)
                D = np.sqrt(v_max / C[k - 1]) + e
            else:
                D = np.sqrt(v / C[k - 1]) + e
            if dd:
                D[dd] = np.sqrt(v[dd] + dd_eps) / np.sqrt(u_dd + dd_eps)
            if mx:
                u_mx = np.maximum(mx_b2 * u_mx, np.abs(g[mx]) + mx_eps)
                D[mx] = u_mx
            step = (A[k - 1] * m + B[k - 1] * g) / D
            if not D.all():                          # eps = 0 and a zero gradient so far
                step = np.where(D == 0, 0.0, step)
            if dd:
                delta = g[dd] / D[dd]
                u_dd = dd_rho * u_dd + (1 - dd_rho) * delta * delta
            theta = w * theta - step if any_wd else theta - step
            if constrained:
                theta = landscape.project(theta)
            path[k] = theta
        loss = landscape.f(path)
        gap0 = loss[0] - landscape.f_min
        limit = blowup * np.maximum(1.0, gap0)
        bad = ~np.isfinite(loss) | ~np.isfinite(path).all(axis=-1) | (
            loss - landscape.f_min > limit)
    out = {}
    for i, name in enumerate(names):
        hit = np.flatnonzero(bad[:, i])
        at = int(hit[0]) if hit.size else -1
        p, f = path[:, i].copy(), loss[:, i].copy()
        if at >= 0:
            p[at:], f[at:] = np.nan, np.nan
        out[name] = Result(name, landscape, p, f, np.array(at))
    return out


# -- scores ------------------------------------------------------------------------------
def scored_gap(result):
    r""":math:`f(\theta_t) - f^*` per step, as the leaderboard and the loss panel read it.

    On an online problem (a landscape with a ``period``, such as
    :class:`~optimlib.functions.Reddi`) it is the mean over the last period
    of steps: a run that touches the minimum at one step of each period and
    steps away from it at the others is not at the minimum.
    """
    gap = np.asarray(result.gap, dtype=float).reshape(result.gap.shape[0], -1)[:, 0]
    period = getattr(result.landscape, "period", None)
    if period:
        gap = np.concatenate([gap[:1], _period_mean(gap[1:], period)])
    return gap


def steps_to_tolerance(result, tol=TOL):
    r"""First step :math:`t` with :math:`f(\theta_t) - f^*` at most ``tol`` times :math:`f(\theta_0) - f^*`.

    ``result`` is one run's :class:`~optimlib.run.Result`; -1 if it never got
    there in its steps (or diverged first). Online problems are scored by
    the mean over a period (:func:`scored_gap`).
    """
    if not tol > 0:
        raise ValueError(f"Invalid tol: {tol!r} (must be > 0)")
    gap = scored_gap(result)
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(gap <= tol * gap[0])
    return int(hit[0]) if hit.size else -1


def _rank(result, tol):
    k = steps_to_tolerance(result, tol)
    final = float(scored_gap(result)[-1])
    if result.diverged:
        return (2, int(result.diverged_at), 0.0)
    return (0, k, final) if k >= 0 else (1, 0, final)


_HEADER = f"{'optimizer':<9} {'η':>7} {'steps':>6} {'final f−f*':>10}"


def leaderboard(results, tol=TOL, lrs=None):
    r"""The results as a table, best first: steps to tolerance, final :math:`f - f^*`, divergence.

    ``results`` is ``{name: Result}``; ``lrs`` an optional ``{name: η}`` for a
    column of learning rates. Ranked by the steps to
    :math:`f - f^* \le` ``tol`` :math:`\cdot (f_0 - f^*)` (column "steps", a
    dash when not reached), then by the final gap; diverged runs last, with
    the step at which they were stopped.
    """
    order = sorted(results, key=lambda n: _rank(results[n], tol))
    head = _HEADER if lrs is not None else _HEADER.replace(f" {'η':>7}", "")
    lines = [head]
    for n in order:
        r = results[n]
        lr = "" if lrs is None else f" {lrs[n]:7.1e}"
        if r.diverged:
            lines.append(f"{n:<9}{lr} diverged at step {int(r.diverged_at)}")
            continue
        k = steps_to_tolerance(r, tol)
        lines.append(f"{n:<9}{lr} {(str(k) if k >= 0 else '—'):>6} "
                     f"{float(scored_gap(r)[-1]):10.1e}")
    return "\n".join(lines)


# -- settings ----------------------------------------------------------------------------
def _lrs(sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, amsgrad, adamw, nadam,
         adamax):
    values = (sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, amsgrad, adamw,
              nadam, adamax)
    return {name: {"lr": lr} for name, lr in zip(OPTIMIZERS, values)}


#: The learning rates :func:`tune_lrs` tries: 1e-4, 3e-4, 1e-3, ..., 3, 10.
LR_GRID = tuple(float(f"{c}e{k}") for k in range(-4, 1) for c in (1, 3)) + (10.0,)

#: Where and for how long each landscape's learning rates are tuned:
#: ``(x0, y0, steps)``, the start as fractions of the window (:func:`start_point`).
TUNING = {"long valley": (0.1, 0.6, 100), "bowl x²/20 + y²": (0.15, 0.6, 100),
          "saddle": (0.125, 0.505, 100), "Beale": (0.61, 0.65, 200),
          "Rosenbrock": (0.125, 0.75, 1000), "Himmelblau": (0.5, 0.5, 100)}

#: Reddi's problem is not tuned: every η is 0.05 (Adadelta's 1.0, its default), and
#: Adam and AMSGrad use the paper's β₁ = 0, β₂ = 1/(1 + C²) = 0.1 (Theorem 1).
REDDI_SETTINGS = {n: {"lr": 0.05} for n in OPTIMIZERS}
REDDI_SETTINGS["Adadelta"] = {"lr": 1.0}
REDDI_SETTINGS["Adam"] = {"lr": 0.05, "beta1": 0.0, "beta2": 0.1}
REDDI_SETTINGS["AMSGrad"] = {"lr": 0.05, "beta1": 0.0, "beta2": 0.1}


def tuning_score(result):
    r"""The mean over :math:`t \ge 1` of :math:`\log_{10}\big((f(\theta_t) - f^*)/(f(\theta_0) - f^*)\big)`.

    The area under the log-loss curve, per step: lower is better; it rewards
    getting low early as well as ending low. Gaps below :math:`10^{-12}` of
    the start count as :math:`10^{-12}`; a diverged run scores ``inf``.
    """
    if result.diverged:
        return float("inf")
    ratio = np.maximum(result.gap[1:] / result.gap[0], 1e-12)
    return float(np.mean(np.log10(ratio)))


def tune_lrs(landscape, x0, y0, steps, grid=LR_GRID, names=OPTIMIZERS, base=None):
    """The best learning rate of ``grid`` for each optimizer, by :func:`tuning_score`.

    All ``len(names) * len(grid)`` runs go through one :func:`race` from the
    start at fractions ``x0``, ``y0`` of the window; ``base`` optionally gives
    other hyperparameters per optimizer name. Returns ``{name: (lr, score)}``;
    ties go to the smaller rate.
    """
    land = LANDSCAPES[landscape]
    opts = {(n, lr): make_optimizer(n, **{**(base or {}).get(n, {}), "lr": lr})
            for n in names for lr in grid}
    results = race(opts, land, steps=steps, start=start_point(land, x0, y0))
    best = {}
    for n in names:
        scores = [tuning_score(results[(n, lr)]) for lr in grid]
        i = int(np.argmin(scores))
        best[n] = (grid[i], scores[i])
    return best


#: Each optimizer's hyperparameters per landscape (the library defaults for the rest):
#: the learning rates of :func:`tune_lrs` at :data:`TUNING` (the tests check that they
#: are), and :data:`REDDI_SETTINGS` for Reddi's problem.
HYPERPARAMETERS = {
    #   SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adadelta, Adam, AMSGrad, AdamW, NAdam, AdaMax
    "long valley": _lrs(1, 0.3, 1, 3, 0.3, 10, 1, 1, 10, 1, 3),
    "bowl x²/20 + y²": _lrs(0.3, 0.1, 0.3, 10, 10, 10, 1, 1, 10, 1, 1),
    "saddle": _lrs(0.3, 0.1, 0.3, 1, 0.3, 10, 1, 1, 1, 0.1, 1),
    "Beale": _lrs(0.03, 0.01, 0.003, 1, 0.1, 10, 0.3, 0.3, 0.3, 0.3, 1),
    "Rosenbrock": _lrs(0.001, 0.001, 0.001, 3, 0.01, 3, 1, 1, 0.1, 10, 1),
    "Himmelblau": _lrs(0.01, 0.01, 0.01, 1, 0.1, 10, 3, 3, 3, 0.3, 3),
    "Reddi (C = 3)": REDDI_SETTINGS,
}


def start_point(landscape, x0, y0):
    """The point at fractions ``x0``, ``y0`` (0 to 1) across the landscape's window."""
    land = LANDSCAPES[landscape] if isinstance(landscape, str) else landscape
    return np.array([land.xlim[0] + x0 * (land.xlim[1] - land.xlim[0]),
                     land.ylim[0] + y0 * (land.ylim[1] - land.ylim[0])])


def start_fractions(landscape, point):
    """The fractions ``(x0, y0)`` of :func:`start_point` for a point of the window."""
    land = LANDSCAPES[landscape] if isinstance(landscape, str) else landscape
    return ((point[0] - land.xlim[0]) / (land.xlim[1] - land.xlim[0]),
            (point[1] - land.ylim[0]) / (land.ylim[1] - land.ylim[0]))


#: The classic pictures: the explorer's control values for each.
def _preset(landscape, steps, x0, y0, ticked, noise=0.0, lr_scale=1.0):
    # steps on the slider's grid of tenths of a decade (200 is 10^2.3 = 199.5, drawn as 200)
    values = dict(landscape=landscape, noise=noise, lr_scale=lr_scale,
                  steps=10 ** round(np.log10(steps), 1), x0=x0, y0=y0)
    values.update({n.lower(): n in ticked for n in OPTIMIZERS})
    return values


PRESETS = {
    "long valley": _preset("long valley", 100, 0.1, 0.6,
                           ("SGD", "Momentum", "Nesterov", "RMSProp", "Adam")),
    "saddle point": _preset("saddle", 200, 0.125, 0.505,
                            ("SGD", "Momentum", "RMSProp", "Adam", "AdaMax"), lr_scale=0.1),
    "Beale's function": _preset("Beale", 200, 0.61, 0.65,
                                ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adadelta", "Adam")),
    "Rosenbrock's banana": _preset("Rosenbrock", 1000, 0.125, 0.75,
                                   ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp",
                                    "Adam")),
    "Reddi's counterexample": _preset("Reddi (C = 3)", 1000, 0.5, 0.9,
                                      ("SGD", "Adam", "AMSGrad")),
}


def preset_runs(preset, steps=None):
    """``(landscape, {name: Result}, {name: η})`` of a preset (its own steps unless given)."""
    values = dict(PRESETS[preset])
    if steps is not None:
        values["steps"] = steps
    return runs(**values)


def _selected(values):
    return [n for n in OPTIMIZERS if values.get(n.lower(), False)]


def runs(landscape, noise, lr_scale, steps, x0, y0, **selected):
    """``(landscape, {name: Result}, {name: η})`` for a setting of the explorer's controls.

    The keywords are the controls of the explorer ``playground`` (see
    :func:`playground`); the runs go through :func:`race`.
    """
    land = LANDSCAPES[landscape]
    names = _selected(selected)
    lrs, opts = {}, {}
    for n in names:
        h = dict(HYPERPARAMETERS[landscape][n])
        h["lr"] = h["lr"] * lr_scale
        lrs[n] = h["lr"]
        opts[n] = make_optimizer(n, **h)
    results = race(opts, land, steps=int(round(steps)), start=start_point(land, x0, y0),
                   noise=noise, seed=0)
    return land, results, lrs


# -- the explorer ------------------------------------------------------------------------
_LEVELS = 14
_BOXES = ([0.05, 0.12, 0.40, 0.80], [0.58, 0.12, 0.40, 0.80])
_LOSS_LIM = (1e-12, 1e4)
_BACKGROUND = {}


def _background(name):
    """Contour lines in window fractions and the tick labels, once per landscape."""
    if name not in _BACKGROUND:
        land = LANDSCAPES[name]
        X, Y, Z = land.grid(100)
        gap = Z - land.f_min
        hi = float(np.max(gap))
        lo = max(float(np.percentile(gap, 0.5)), hi * 1e-8, 1e-12)
        lines = contour_segments(land, land.f_min + np.geomspace(lo, hi, _LEVELS))
        _BACKGROUND[name] = {"lines": [_fractions(land, seg) for seg in lines],
                             "minima": _fractions(land, land.minima)}
    return _BACKGROUND[name]


def _fractions(land, points):
    """Points of the window as fractions of it (0 to 1 from its lower left corner)."""
    lo = np.array([land.xlim[0], land.ylim[0]])
    size = np.array([land.xlim[1] - land.xlim[0], land.ylim[1] - land.ylim[0]])
    return (np.asarray(points, dtype=float) - lo) / size


def _period_mean(values, period):
    """The running mean of ``values`` over the last ``period`` entries (fewer at the start)."""
    c = np.cumsum(np.concatenate([[0.0], values]))
    t = np.arange(1, values.size + 1)
    lo = np.maximum(t - period, 0)
    return (c[t] - c[lo]) / (t - lo)


def _label(number):
    return f"{number:g}".replace("-", "−")


def _draw_runs(axes, land, name, results, lrs, steps, tol=TOL):
    r"""Paths on the contours and loss curves (two axes).

    Every axis is the same for every landscape and every setting: the paths
    panel shows the window in fractions of it (0 to 1, its own coordinates
    written at the corners), the loss panel :math:`(f - f^*)/(f_0 - f^*)`
    against the step on fixed log axes. So the explorer keeps one background
    and a new setting only draws the runs (well under 0.1 s).
    """
    bg = _background(name)
    for ax, box in zip(axes, _BOXES):
        if not np.allclose(ax.get_position(original=True).bounds, box):
            ax.set_position(box)       # once: setting it again would undo the aspect's box
    top = 3
    ax = axes[0]
    ax.add_collection(LineCollection(bg["lines"], colors="#b0b0b0", linewidths=0.7,
                                     zorder=top))
    ax.plot(*bg["minima"].T, "*", color="#4d4d4d", markersize=11, markeredgecolor="white",
            zorder=top + 2)
    for n, r in results.items():
        st = style_of(n)
        p = _fractions(land, r.path)
        ax.plot(p[:, 0], p[:, 1], lw=1.4, zorder=top, **st)
        ax.plot(*p[0], "o", color=st["color"], markersize=6, markeredgecolor="white",
                zorder=top + 1)
        if r.diverged:
            last = p[np.isfinite(p).all(axis=1)][-1]
            ax.plot(*np.clip(last, 0.015, 0.985), "x", color=st["color"], markersize=9,
                    markeredgewidth=2.5, zorder=top + 2)
    for x, y, text, ha, va in [(0, -0.01, land.xlim[0], "left", "top"),
                               (1, -0.01, land.xlim[1], "right", "top"),
                               (-0.01, 0, land.ylim[0], "right", "bottom"),
                               (-0.01, 1, land.ylim[1], "right", "top")]:
        ax.text(x, y, _label(text), ha=ha, va=va, fontsize=8, zorder=top)
    ax.set(xlim=(0, 1), ylim=(0, 1), xticks=[0, 1], yticks=[0, 1], xticklabels=[],
           yticklabels=[], xlabel="$x$", ylabel="$y$")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("paths (circle: start, star: minimum)", loc="left", fontsize=9, zorder=0.5,
                 y=1.01)

    ax = axes[1]
    t = np.arange(1, steps + 1)
    for n, r in results.items():
        st = style_of(n)
        gap = scored_gap(r)
        gap = gap / (gap[0] if gap[0] > 0 else 1.0)   # started at a minimum: absolute
        gap = np.clip(gap[1:], _LOSS_LIM[0], None)
        ax.plot(t, gap, lw=1.6, zorder=top, **st)
        if r.diverged:
            k = int(r.diverged_at) - 1
            ax.plot(max(k, 1), min(gap[max(k - 1, 0)], 0.7 * _LOSS_LIM[1]), "x",
                    color=st["color"], markersize=9, markeredgewidth=2.5, zorder=top + 1)
    ax.axhline(tol, color="#7f7f7f", lw=0.8, ls=":", zorder=top)
    ax.set(xscale="log", yscale="log", xlim=(1, 1000), ylim=_LOSS_LIM, xlabel="step $t$",
           ylabel=r"$(f(\theta_t) - f^*)\,/\,(f(\theta_0) - f^*)$")
    ax.set_yticks([1e-12, 1e-8, 1e-4, 1])
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(f"loss (dotted: tolerance {tol:g}; online problems: mean of a period)",
                 loc="left", fontsize=8, zorder=0.5, y=1.01)



def colour_key(ax=None, names=OPTIMIZERS):
    """The colour and line style of each optimizer (the book's), as a legend on ``ax``.

    The explorer draws no legend of its own (a legend in every frame would cost
    a third of the redraw budget); the chapter shows this key next to it.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9.5, 0.9))
    handles = [ax.plot([], [], lw=2, label=n, **style_of(n))[0] for n in names]
    ax.legend(handles=handles, loc="center", ncol=6, frameon=False, fontsize=9,
              handlelength=2.5)
    ax.set_axis_off()
    return ax


def _message(name, land, results, lrs, steps, start, noise, lr_scale, tol=TOL):
    """The status line: the setting, then the leaderboard in one line, best first."""
    head = (f"{name}, {steps} steps from ({start[0]:.2f}, {start[1]:.2f}), "
            f"σ = {noise:g}, η × {lr_scale:.3g}")
    if not results:
        return head + ": no optimizer ticked"
    entries = []
    for n in sorted(results, key=lambda n: _rank(results[n], tol)):
        r = results[n]
        if r.diverged:
            entries.append(f"{n} (η = {lrs[n]:.2g}) diverged at step {int(r.diverged_at)}")
            continue
        k = steps_to_tolerance(r, tol)
        where = f"at tolerance in {k} steps" if k >= 0 else "not at tolerance"
        entries.append(f"{n} (η = {lrs[n]:.2g}) {where}, final f − f* "
                       f"{float(r.gap[-1]):.1e}")
    return f"{head}. Leaderboard: " + "; ".join(f"{i}. {e}" for i, e in
                                                enumerate(entries, start=1))


CUSTOM = "(your own settings)"


@register("playground", chapter="12_playground", ncols=2, figsize=(9.5, 4.2), dpi=80,
          flipbook=("preset", list(PRESETS)),
          preset=("preset", CUSTOM, (CUSTOM, *PRESETS)),
          landscape=("landscape", "Rosenbrock", tuple(LANDSCAPES)),
          noise=("gradient noise σ", 0.0, 0.0, 2.0, 0.05),
          lr_scale=("η × (each default η)", 1.0, 0.01, 100.0, 0.1, True),
          steps=("steps", 10 ** 2.3, 10.0, 1000.0, 0.1, True),
          x0=("start x (0 left, 1 right)", 0.125, 0.0, 1.0, 0.005),
          y0=("start y (0 bottom, 1 top)", 0.75, 0.0, 1.0, 0.005),
          **{n.lower(): (n, n in ("SGD", "Momentum", "Adam")) for n in OPTIMIZERS})
def playground(axes, landscape, noise, lr_scale, steps, x0, y0, preset=CUSTOM, **selected):
    r"""Race the ticked optimizers on one landscape; paths, loss curves and leaderboard.

    ``preset`` is :data:`CUSTOM` (use the other controls) or a key of
    :data:`PRESETS`, whose values then replace all the others. ``landscape``
    is a key of :data:`LANDSCAPES`; ``noise`` the standard deviation
    :math:`\sigma` of Gaussian noise added to every gradient component
    (seeded, the same for every optimizer); ``lr_scale`` multiplies every
    optimizer's learning rate :math:`\eta` of :data:`HYPERPARAMETERS`;
    ``steps`` is rounded to a whole number; the start is at the fractions
    ``x0``, ``y0`` of the window (:func:`start_point`); the keywords ``sgd``,
    ``momentum``, ... (True/False) tick the optimizers of :data:`OPTIMIZERS`.
    ``axes[0]``: the paths on the contours (in fractions of the window, its
    coordinates at the corners); ``axes[1]``:
    :math:`(f(\theta_t) - f^*)/(f(\theta_0) - f^*)` against :math:`t` (log
    scales, fixed limits). Returns the report, the leaderboard in one line:
    the runs best first, each with its :math:`\eta`, the step at which it
    reached the tolerance (or "not at tolerance") and its final
    :math:`f - f^*`, or the step at which it diverged.
    """
    if preset != CUSTOM:
        if preset not in PRESETS:
            raise ValueError(f"Invalid preset: {preset!r} (one of {', '.join(PRESETS)})")
        values = PRESETS[preset]
        landscape, noise, lr_scale, steps, x0, y0 = (values[k] for k in (
            "landscape", "noise", "lr_scale", "steps", "x0", "y0"))
        selected = {n.lower(): values[n.lower()] for n in OPTIMIZERS}
    steps = int(round(steps))
    land, results, lrs = runs(landscape, noise, lr_scale, steps, x0, y0, **selected)
    _draw_runs(axes, land, landscape, results, lrs, steps)
    head = "" if preset == CUSTOM else f"Preset “{preset}”: "
    start = land.project(start_point(land, x0, y0))     # as race starts: inside the set
    return head + _message(landscape, land, results, lrs, steps, start, noise, lr_scale)


def explore(preset=None):
    """The live playground, opened at a preset (or at the defaults).

    In Jupyter, choosing a preset in its dropdown also moves every other
    control to that preset's values, and moving any other control sets the
    dropdown back to :data:`CUSTOM`, so that the controls always show what is
    drawn. On the website the preset dropdown is the flipbook: it steps
    through the five presets, drawn when the book was built.
    """
    from .registry import EXPLORERS

    if preset is not None and preset not in PRESETS:
        raise ValueError(f"Invalid preset: {preset!r} (one of {', '.join(PRESETS)})")
    start = {**PRESETS[preset], "preset": preset} if preset else {}
    explorer = EXPLORERS["playground"].build(**start)
    busy = [False]

    def follow(change):
        if change["new"] in PRESETS and not busy[0]:
            busy[0] = True
            try:
                explorer.set_values(PRESETS[change["new"]])
            finally:
                busy[0] = False

    def moved(change):
        if not busy[0] and explorer.controls["preset"].value != CUSTOM:
            busy[0] = True
            try:
                explorer.set_values({"preset": CUSTOM})
            finally:
                busy[0] = False

    explorer.controls["preset"].observe(follow, names="value")
    for key, w in explorer.controls.items():
        if key != "preset":
            w.observe(moved, names="value")
    return explorer
