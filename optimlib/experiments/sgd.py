r"""Chapter 2, stochastic gradient descent: mini-batch noise, the noise floor, schedules.

The chapter's formulas as functions (:func:`minibatch_variance`,
:func:`noise_floor`, :func:`floor_loss`, :func:`inverse_time_floor`), the
measurements they are checked against (:func:`per_example_grads`,
:func:`sample_minibatch_error`), a real-data problem with two parameters
(:class:`LeastSquares`: two features of scikit-learn's diabetes data) on
which many seeded mini-batch runs are simulated at once (:func:`sgd_runs`),
and the explorer ``sgd_minibatch``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..data import load_dataset
from ..functions import Landscape
from ..optimizers import SGD
from ..plots import plot_contours, style_of
from ..run import Result
from ..schedules import Constant, ExponentialDecay, InverseTimeDecay, StepDecay
from ..training import batch_order
from .registry import register

__all__ = ["per_example_grads", "minibatch_variance", "sample_minibatch_error",
           "noise_floor", "floor_loss", "inverse_time_floor", "LeastSquares",
           "diabetes_pair", "SGDRuns", "sgd_runs", "schedule_for", "SCHEDULES",
           "plot_band", "sgd_minibatch"]


# -- mini-batch gradients ------------------------------------------------------------
def per_example_grads(model, params, X, y):
    r"""The gradient of every example's loss, one row each: shape ``(n, P)``.

    Row :math:`i` is :math:`\nabla f_i(\theta)`, the model's gradient on the
    one-row data set ``(X[i], y[i])`` (its L2 penalty included, so that the
    rows average to :math:`\nabla f(\theta)`), with the arrays of ``params``
    flattened and concatenated in the order of ``params``' keys.
    """
    X, y = model.check_data(X, y)
    rows = []
    for i in range(len(y)):
        _, grads = model.loss_and_grad(params, X[i:i + 1], y[i:i + 1])
        rows.append(np.concatenate([np.ravel(grads[k]) for k in params]))
    return np.array(rows)


def _check_sizes(n, batch_size):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"Invalid n: {n!r} (must be an integer >= 2)")
    b = np.asarray(batch_size)
    if not np.issubdtype(b.dtype, np.integer) or np.any(b < 1) or np.any(b > n):
        raise ValueError(f"Invalid batch_size: {batch_size!r} (must be integers in [1, n={n}])")
    return b


def minibatch_variance(sigma2, n, batch_size, replacement):
    r"""Predicted :math:`\mathbb E\,\lVert g - \nabla f\rVert^2` of a mini-batch gradient.

    Symbols: :math:`\sigma^2` = ``sigma2`` (the mean of
    :math:`\lVert\nabla f_i - \nabla f\rVert^2` over the :math:`N` = ``n``
    examples); :math:`B` = ``batch_size`` (an int or an integer array).

    .. math::

        \frac{\sigma^2}{B} \quad\text{(with replacement)}, \qquad
        \frac{\sigma^2}{B}\,\frac{N - B}{N - 1} \quad\text{(without)} .
    """
    b = _check_sizes(n, batch_size)
    factor = 1.0 if replacement else (n - b) / (n - 1)
    return sigma2 / b * factor


def sample_minibatch_error(G, batch_size, draws, replacement, seed=0):
    r"""Measured mean of :math:`\lVert g - \nabla f\rVert^2` over ``draws`` mini-batches.

    ``G`` holds the per-example gradients (shape ``(N, P)``, see
    :func:`per_example_grads`); :math:`\nabla f` is their mean and a
    mini-batch gradient :math:`g` is the mean of ``batch_size`` rows drawn
    uniformly with or without ``replacement``. Returns ``(mean, stderr,
    bias)``: the mean squared error, its standard error over the draws, and
    :math:`\lVert\bar g - \nabla f\rVert`, the distance of the average of the
    sampled :math:`g` from :math:`\nabla f` (zero up to sampling error for an
    unbiased estimate).
    """
    G = np.asarray(G, dtype=float)
    n = G.shape[0]
    b = int(_check_sizes(n, batch_size))
    rng = np.random.default_rng(seed)
    every = np.arange(draws)
    if replacement:
        rows = rng.integers(0, n, size=(draws, b))
        flat = (every[:, None] * n + rows).ravel()
        counts = np.bincount(flat, minlength=draws * n).reshape(draws, n).astype(float)
    else:
        # the first k places of a Fisher-Yates shuffle per draw: the batch itself, or
        # (when b > n/2, which is cheaper) the n - b rows left out of it
        k = min(b, n - b)
        perm = np.tile(np.arange(n), (draws, 1))
        for i in range(k):
            j = rng.integers(i, n, size=draws)
            perm[every, i], perm[every, j] = perm[every, j], perm[every, i]
        chosen = np.zeros((draws, n))
        chosen[every[:, None], perm[:, :k]] = 1.0
        counts = chosen if k == b else 1.0 - chosen
    g = counts @ G / b          # counts[d, i]: how often row i is in batch d
    full = G.mean(axis=0)
    err = np.sum((g - full) ** 2, axis=1)
    return float(err.mean()), float(err.std(ddof=1) / math.sqrt(draws)), \
        float(np.linalg.norm(g.mean(axis=0) - full))


# -- the noise floor -----------------------------------------------------------------
def noise_floor(eta, lam, sigma2):
    r"""Stationary :math:`\mathbb E\,z^2` of SGD on :math:`\tfrac12\lambda z^2` with noisy gradients.

    Symbols: :math:`\eta` = ``eta``, :math:`\lambda` = ``lam``, :math:`\sigma^2`
    = ``sigma2``, the variance of the gradient noise (independent, mean 0);
    valid for :math:`0 < \eta\lambda < 2` (``inf`` otherwise).

    .. math::

        \mathbb E\, z_\infty^2 = \frac{\eta\,\sigma^2}{\lambda\,(2 - \eta\lambda)}
    """
    eta, lam, sigma2 = np.broadcast_arrays(*map(np.asarray, (eta, lam, sigma2)))
    x = eta * lam
    ok = (x > 0) & (x < 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok, eta * sigma2 / (lam * (2 - x)), np.inf)
    return float(out) if out.ndim == 0 else out


def floor_loss(eta, eigenvalues, noise_variances):
    r"""Stationary :math:`\mathbb E f - f^*` on a quadratic, noise variance given per eigen-direction.

    Symbols: :math:`\lambda_i` = ``eigenvalues``, :math:`c_i` =
    ``noise_variances`` (the noise variance along eigenvector :math:`i`),
    :math:`\eta` = ``eta`` (a number or an array; the sum runs over the last
    axis of the other two).

    .. math::

        \mathbb E f(\theta_\infty) - f^* = \sum_i \tfrac12 \lambda_i\,\mathbb E z_i^2
        = \sum_i \frac{\eta\, c_i}{2\,(2 - \eta\lambda_i)}
    """
    lam = np.asarray(eigenvalues, dtype=float)
    c = np.asarray(noise_variances, dtype=float)
    eta = np.asarray(eta, dtype=float)[..., None]
    out = np.sum(0.5 * lam * noise_floor(eta, lam, c), axis=-1)
    return float(out) if out.ndim == 0 else out


def inverse_time_floor(a, lam, sigma2, t):
    r"""Predicted :math:`\mathbb E z_t^2` for large :math:`t` under :math:`\eta_t \approx a/t`.

    Symbols: :math:`a` = ``a``, :math:`\lambda` = ``lam``, :math:`\sigma^2` =
    ``sigma2``, :math:`t` = ``t``. Valid when :math:`2a\lambda > 1` (``inf``
    otherwise, where the decay is slower than :math:`1/t`):

    .. math::

        \mathbb E z_t^2 \approx \frac{a^2\sigma^2}{(2a\lambda - 1)\,t}
    """
    a, lam, sigma2, t = np.broadcast_arrays(*map(np.asarray, (a, lam, sigma2, t)))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(2 * a * lam > 1, a * a * sigma2 / ((2 * a * lam - 1) * t), np.inf)
    return float(out) if out.ndim == 0 else out


# -- a real two-parameter problem ----------------------------------------------------
class LeastSquares(Landscape):
    r"""Least squares on two features of a real data set: a landscape with per-example gradients.

    Symbols: rows :math:`x_i \in \mathbb R^2` of ``X``, targets :math:`y_i` of
    ``y``, :math:`N` rows, :math:`\theta \in \mathbb R^2`:

    .. math::

        f(\theta) = \frac{1}{N}\sum_{i=1}^{N} f_i(\theta), \qquad
        f_i(\theta) = \tfrac12\,(x_i^\top\theta - y_i)^2, \qquad
        \nabla f_i(\theta) = x_i\,(x_i^\top\theta - y_i).

    The Hessian is :math:`A = X^\top X / N` everywhere (``A``,
    ``eigenvalues``, ``eigenvectors``); the minimum :math:`\theta^*` solves
    :math:`A\theta^* = X^\top y / N`.
    """

    def __init__(self, X, y, name="least squares"):
        X = np.array(X, dtype=float)
        y = np.array(y, dtype=float)
        if X.ndim != 2 or X.shape[1] != 2 or y.shape != X.shape[:1] or len(y) < 2:
            raise ValueError(f"X must have shape (N, 2) and y shape (N,), N >= 2; got "
                             f"{X.shape} and {y.shape}")
        X.flags.writeable = y.flags.writeable = False
        self.X, self.y, self.n, self.name = X, y, len(y), name
        self.A = X.T @ X / self.n
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(self.A)
        opt = np.linalg.solve(self.A, X.T @ y / self.n)
        self.minima = opt[None, :]
        self.f_min = float(0.5 * np.mean((X @ opt - y) ** 2))
        self.start = opt + np.array([-1.0, -0.9])
        self.xlim = (opt[0] - 1.5, opt[0] + 1.5)
        self.ylim = (opt[1] - 1.5, opt[1] + 1.5)

    def residuals(self, theta):
        """``x_iᵀθ − y_i`` for every row, shape ``(..., N)``."""
        return np.asarray(theta, dtype=float) @ self.X.T - self.y

    def f(self, theta):
        r"""``f(θ)``, computed as :math:`f^* + \tfrac12(\theta - \theta^*)^\top A(\theta - \theta^*)`.

        The same function (``f`` is quadratic), but without the cancellation
        of ``mean(r²)/2 − f*`` when :math:`f - f^*` is tiny, and without a
        pass over the data.
        """
        d = np.asarray(theta, dtype=float) - self.minima[0]
        return self.f_min + 0.5 * np.einsum("...i,ij,...j->...", d, self.A, d)

    def grad(self, theta):
        return self.residuals(theta) @ self.X / self.n

    def batch_grad(self, theta, rows):
        r"""Mini-batch gradients :math:`\frac1B\sum_{i\in\mathcal B}\nabla f_i(\theta)`.

        ``theta`` has shape ``(..., 2)`` and ``rows`` (integer indices) shape
        ``(..., B)``; their leading axes broadcast.
        """
        Xb = self.X[rows]                                      # (..., B, 2)
        r = np.sum(Xb * np.asarray(theta)[..., None, :], axis=-1) - self.y[rows]
        return np.mean(Xb * r[..., None], axis=-2)

    def example_grads(self, theta):
        """Every per-example gradient at one point, shape ``(N, 2)``."""
        return self.X * self.residuals(theta)[:, None]

    def noise_covariance(self, theta):
        r""":math:`C(\theta) = \frac1N\sum_i (\nabla f_i - \nabla f)(\nabla f_i - \nabla f)^\top`."""
        d = self.example_grads(theta)
        d = d - d.mean(axis=0)
        return d.T @ d / self.n

    def __repr__(self):
        return f"LeastSquares({self.name!r}, N={self.n})"

    def stationary_covariance(self, eta, batch_size):
        r"""Exact stationary :math:`P = \mathbb E\,\delta\delta^\top`, :math:`\delta = \theta - \theta^*`, of SGD with replacement.

        With :math:`H_{\mathcal B} = \frac1B\sum_{i\in\mathcal B} x_i x_i^\top` the step
        is :math:`\delta_t = (I - \eta H_{\mathcal B})\,\delta_{t-1} - \eta\, n_{\mathcal B}`
        with :math:`n_{\mathcal B} = \frac1B\sum_{i\in\mathcal B} x_i r_i^*`; for
        rows drawn independently, :math:`P` solves the linear equation

        .. math::

            A P + P A - \eta\Big[\big(1 - \tfrac1B\big) A P A + \tfrac1B M(P)\Big]
            = \frac{\eta}{B}\, C^*, \qquad
            M(P) = \frac1N\sum_i x_i x_i^\top P\, x_i x_i^\top ,

        with :math:`C^*` = ``noise_covariance(θ*)``, :math:`\eta` = ``eta``,
        :math:`B` = ``batch_size``. Returns ``P`` (2 × 2), or ``None`` when the
        solution is not positive definite (no stationary state: the second
        moments grow).
        """
        A, I = self.A, np.eye(2)
        outer = np.einsum("ni,nj->nij", self.X, self.X)
        M = np.einsum("nij,nkl->ikjl", outer, outer).reshape(4, 4) / self.n
        lhs = np.kron(I, A) + np.kron(A, I) - eta * ((1 - 1 / batch_size) * np.kron(A, A)
                                                       + M / batch_size)
        C = self.noise_covariance(self.minima[0])
        P = np.linalg.solve(lhs, (eta / batch_size * C).reshape(4)).reshape(2, 2)
        P = (P + P.T) / 2
        return P if np.all(np.linalg.eigvalsh(P) > 0) else None


@functools.lru_cache(maxsize=4)
def diabetes_pair(features=("s3", "s4")):
    r"""Least squares on two standardised features of the diabetes data (training part).

    The default pair, ``s3`` (HDL cholesterol) and ``s4`` (total cholesterol /
    HDL), is strongly anti-correlated, which makes a tilted valley with
    :math:`\kappa \approx 7`; the target is the standardised disease
    progression. Returns a :class:`LeastSquares` (cached).
    """
    data = load_dataset("diabetes")
    cols = [data.feature_names.index(f) for f in features]
    return LeastSquares(data.X_train[:, cols], data.y_train,
                        name=f"diabetes, features {' and '.join(features)}")


# -- many seeded mini-batch runs at once ----------------------------------------------
@dataclass
class SGDRuns(Result):
    """A :class:`~optimlib.run.Result` of :func:`sgd_runs`, plus the example-gradient count.

    ``path`` has shape ``(steps + 1, *lr_shape, seeds, 2)``; ``grad_evals[t]``
    is the number of example gradients used by the first ``t`` steps and
    ``steps_per_epoch`` the steps of one pass over the data.
    """

    grad_evals: np.ndarray = None
    steps_per_epoch: int = 1


def sgd_runs(landscape, lr, batch_size, epochs, seeds=8, replacement=False, start=None,
             blowup=1e6, name="SGD"):
    r"""Mini-batch SGD on a :class:`LeastSquares` problem, one run per seed, all at once.

    Run :math:`s` (``s = 0 .. seeds - 1``) takes its batches from
    :func:`optimlib.training.batch_order` with seed :math:`s` (the same
    batches as :func:`optimlib.train` with that seed) and steps

    .. math::

        \theta_t = \theta_{t-1} - \eta_t\, \frac{1}{B}\sum_{i \in \mathcal B_t}
        \nabla f_i(\theta_{t-1})

    with ``optimlib.SGD(lr=lr)``: :math:`\eta_t` = ``lr`` (a number, a
    schedule, or an array of shape ``(K,)``, or a schedule returning one,
    for ``K`` learning rates at once), :math:`B` = ``batch_size``. A run is stopped as diverged, as in
    :func:`optimlib.run`, when :math:`f - f^*` exceeds ``blowup`` times its
    start value or stops being finite. Returns :class:`SGDRuns`.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"Invalid seeds: {seeds!r} (must be an integer >= 1)")
    batch_order(landscape.n, batch_size, 0)             # checks n and batch_size
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"Invalid epochs: {epochs!r} (must be an integer >= 1)")
    per_epoch = math.ceil(landscape.n / batch_size)
    if replacement:
        # the rows batch_order(..., replacement=True) draws, in one call per seed
        # (one call of rng.integers for all steps gives the same numbers as one per step)
        steps = epochs * per_epoch
        flat = np.stack([np.random.default_rng(s).integers(0, landscape.n, steps * batch_size)
                         for s in range(seeds)])
        sizes = np.full(steps, batch_size)
    else:
        orders = [batch_order(landscape.n, batch_size, epochs, seed=s) for s in range(seeds)]
        steps = len(orders[0])
        flat = np.stack([np.concatenate(o) if o else np.zeros(0, int) for o in orders])
        sizes = np.array([len(b) for b in orders[0]], dtype=int)
    opt = SGD(lr=lr)
    first = lr(1) if callable(lr) else lr              # a schedule's shape is its value's
    lr_shape = np.shape(first) if isinstance(first, np.ndarray) else ()
    shape = lr_shape + (seeds,)
    theta = np.empty(shape + (2,))
    theta[...] = landscape.start if start is None else start
    path = np.full((steps + 1,) + shape + (2,), np.nan)
    loss = np.full((steps + 1,) + shape, np.nan)
    diverged_at = np.full(shape, -1, dtype=int)
    f_min = landscape.f_min
    ends = np.cumsum(sizes, dtype=int)
    with np.errstate(all="ignore"):
        path[0], loss[0] = theta, landscape.f(theta)
        limit = blowup * np.maximum(1.0, loss[0] - f_min)
        for t in range(1, steps + 1):
            rows = flat[:, ends[t - 1] - sizes[t - 1]:ends[t - 1]]   # (seeds, B)
            opt.update(theta, landscape.batch_grad(theta, rows))
            value = landscape.f(theta)
            bad = (~np.isfinite(value) | (value - f_min > limit)) & (diverged_at < 0)
            if np.any(bad):
                diverged_at[bad] = t
                theta[bad] = np.nan
                value = np.where(bad, np.nan, value)
            path[t], loss[t] = theta, value
            if np.all(diverged_at >= 0):
                break
    grad_evals = np.concatenate([[0], ends])
    return SGDRuns(name, landscape, path, loss, diverged_at, grad_evals, per_epoch)


#: The schedules of the explorer, by slider position.
SCHEDULES = ("constant", "step", "exponential", "1/t")


def schedule_for(kind, eta, total_steps):
    r"""A schedule from :mod:`optimlib.schedules` that starts at ``eta`` and spans ``total_steps``.

    ``kind`` is one of :data:`SCHEDULES` (or its index): ``constant``;
    ``step``: halve every fifth of the run (:math:`\eta_t = \eta\,0.5^{\lfloor
    5(t-1)/T\rfloor}`); ``exponential``: :math:`\eta\gamma^{t-1}` down to
    :math:`\eta/100` at :math:`t = T`; ``1/t``: :math:`\eta/(1 + k(t-1))` with
    :math:`k = 99/(T - 1)`, also :math:`\eta/100` at :math:`t = T`
    (:math:`T` = ``total_steps``).
    """
    if not isinstance(kind, str):
        kind = SCHEDULES[int(kind)]
    T = max(int(total_steps), 2)
    if kind == "constant":
        return Constant(eta)
    if kind == "step":
        return StepDecay(eta, step_size=max(T // 5, 1), gamma=0.5)
    if kind == "exponential":
        return ExponentialDecay(eta, gamma=0.01 ** (1 / (T - 1)))
    if kind == "1/t":
        return InverseTimeDecay(eta, decay=99 / (T - 1))
    raise ValueError(f"Invalid schedule: {kind!r} (must be one of {SCHEDULES})")


def plot_band(ax, x, values, label=None, quantiles=(0.1, 0.9), **style):
    """Median of ``values`` (shape ``(len(x), runs)``) as a line, a quantile band around it.

    NaN entries (diverged runs) are left out of the statistics. Returns the axes.
    """
    values = np.asarray(values, dtype=float)
    qs = [quantiles[0], 0.5, quantiles[1]]
    lo, mid, hi = np.full((3, values.shape[0]), np.nan)
    nan = np.isnan(values)
    clean = ~nan.any(axis=1)                       # rows without a diverged run: fast path
    if np.any(clean):
        lo[clean], mid[clean], hi[clean] = np.quantile(values[clean], qs, axis=1)
    mixed = nan.any(axis=1) & ~nan.all(axis=1)     # some runs diverged, some not
    if np.any(mixed):
        lo[mixed], mid[mixed], hi[mixed] = np.nanquantile(values[mixed], qs, axis=1)
    color = style.pop("color", "#000000")
    ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)
    ax.plot(x, mid, color=color, label=label, **style)
    return ax


# -- the explorer ----------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _contour_lines(land):
    """The contour lines of :func:`~optimlib.plots.plot_contours` for ``land``, computed once.

    Returns ``(segments, colours, limits)``, to be drawn as one ``LineCollection``: an
    explorer then redraws its contours without recomputing them.
    """
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    plot_contours(land, ax=ax)
    cs = ax.collections[0]
    segments, colours = [], []
    for level_segs, colour in zip(cs.allsegs, cs.get_edgecolor()):
        segments += level_segs
        colours += [tuple(colour)] * len(level_segs)
    return segments, colours, (ax.get_xlim(), ax.get_ylim())


def _draw_contours(land, ax):
    """Cached contour lines (as :func:`~optimlib.plots.plot_contours` draws them) and the minimum."""
    from matplotlib.collections import LineCollection

    segments, colours, (xlim, ylim) = _contour_lines(land)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=0.8))
    ax.plot(*land.minima.T, "*", color="#4d4d4d", markersize=11, markeredgecolor="white",
            zorder=5)
    ax.set(xlim=xlim, ylim=ylim)
    ax.set_aspect("equal", adjustable="box")


_EXPLORER_SEEDS = 12
_EXPLORER_EPOCHS = 4
_FLIP_ETAS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


def _status_number(x):
    return f"{x:.2g}"


@register("sgd_minibatch", chapter="02_sgd", flipbook=("eta", _FLIP_ETAS),
          eta=("learning rate η", 0.1, 0.005, 2.0, 0.05, True),
          batch_size=("batch size B", 8.0, 1.0, 256.0, math.log10(2), True),
          schedule=("schedule: 0 const, 1 step, 2 exp, 3 1/t", 0.0, 0.0, 3.0, 1.0),
          replacement=("with replacement: 0 no, 1 yes", 0.0, 0.0, 1.0, 1.0))
def sgd_minibatch(axes, eta, batch_size, schedule=0, replacement=0):
    r"""Mini-batch SGD on two features of the diabetes data: paths and a seed band.

    Runs :func:`sgd_runs` on :func:`diabetes_pair` for 4 epochs with
    learning rate :math:`\eta` = ``eta`` under the schedule number
    ``schedule`` of :data:`SCHEDULES` (see :func:`schedule_for`), batch size
    :math:`B` = ``batch_size`` (rounded to an integer) and 12 seeds, batches
    drawn with ``replacement`` (1) or cut from a reshuffled epoch (0).
    ``axes[0]``: three paths and the end points of all seeds (dots) on the
    contours; ``axes[1]``: :math:`f - f^*` against epochs, the median over
    the seeds with a 10-90 % band, and for a constant :math:`\eta` the
    predicted floor of sampling with replacement (:func:`floor_loss`,
    dashed). No legends or titles: text is the slowest thing to redraw, and
    the chapter says what the panels show.
    Returns the report: the median final :math:`f - f^*` with the floor, or
    how many seeds diverged and when.
    """
    land = diabetes_pair()
    b = int(min(max(round(batch_size), 1), land.n))
    kind = SCHEDULES[int(round(schedule))]
    with_repl = bool(round(replacement))
    per_epoch = math.ceil(land.n / b)
    total = per_epoch * _EXPLORER_EPOCHS
    runs = sgd_runs(land, schedule_for(kind, eta, total), b, _EXPLORER_EPOCHS,
                    seeds=_EXPLORER_SEEDS, replacement=with_repl)
    sgd = style_of("SGD")
    ax0, ax1 = axes[0], axes[1]
    for ax in (ax0, ax1):       # axes and grid below the curves: an explorer redraws
        ax.set_axisbelow(True)  # only the curves (the ticks stay in the kept background)
    _draw_contours(land, ax0)
    for s in range(3):
        p = runs.path[:, s]
        ax0.plot(p[:, 0], p[:, 1], lw=0.8, alpha=0.8, color=("#000000", "#0072B2",
                                                            "#CC79A7")[s])
    ends = runs.path[-1]
    ax0.plot(ends[:, 0], ends[:, 1], "o", ms=3.5, color="#D55E00", zorder=6)
    ax0.plot(*land.start, "o", color="#000000", ms=6, mec="white", zorder=6)
    ax0.set(xlabel=r"$\theta_1$ (weight of s3)", ylabel=r"$\theta_2$ (weight of s4)")

    epochs = runs.grad_evals / land.n
    gap = np.maximum(runs.gap, 1e-8)
    plot_band(ax1, epochs, gap, color=sgd["color"], lw=1.8,
              label=f"median, 10-90 % of {_EXPLORER_SEEDS} seeds")
    head = f"B = {b}, η = {eta:.3g}, {kind}, {'with' if with_repl else 'without'} replacement"
    floor = None
    if kind == "constant":
        c = np.diag(land.eigenvectors.T @ land.noise_covariance(land.minima[0])
                    @ land.eigenvectors) / b
        floor = floor_loss(eta, land.eigenvalues, c)
        if np.isfinite(floor):
            ax1.axhline(floor, color="#7f7f7f", ls="--", lw=1.2,
                        label="floor predicted (with repl.)")
    ax1.set_yscale("log")
    ax1.set(xlim=(0, _EXPLORER_EPOCHS), ylim=(1e-8, 1e2), xlabel="epochs (example gradients / N)",
            ylabel=r"$f(\theta_t) - f^*$")
    ax1.grid(True, which="major", alpha=0.3)
    n_div = int(runs.diverged.sum())
    if n_div:
        first = int(runs.diverged_at[runs.diverged].min())
        ax1.text(0.5, 0.5, f"{n_div} of {_EXPLORER_SEEDS} seeds diverged\n"
                 f"(first at step {first})", transform=ax1.transAxes, ha="center",
                 va="center", color="#cf222e")
        return (f"{head}: {n_div} of {_EXPLORER_SEEDS} runs diverged; "
                f"diverged at step {first} first")
    final = np.median(runs.gap[-1])
    text = f"{head}: median f − f* after {_EXPLORER_EPOCHS} epochs {_status_number(final)}"
    if floor is not None:
        text += (f", floor predicted {_status_number(floor)}" if np.isfinite(floor)
                 else ", no finite floor predicted (ηλ ≥ 2)")
    return text
