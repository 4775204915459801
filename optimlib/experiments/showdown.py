r"""Chapter 11, the showdown: every optimizer tuned the same way on three small tasks.

The protocol, one function per step:

- :func:`lr_grid`: a log-uniform grid of learning rates :math:`\eta`, the same
  grid (``GRID``: :math:`10^{-3.5} \dots 10^{1.5}`, two points per decade) and so
  the same tuning budget for every optimizer. Adadelta's ``lr`` is the
  multiplier :math:`\eta` of its step :math:`\Delta_t` and is tuned on the
  same grid; every other hyperparameter stays at the library's default.
- :func:`sweep`: one optimizer on one :class:`Task`, all learning rates
  :math:`\times` all seeds in one vectorised call (array hyperparameters
  follow the leading-axis rule: ``lr`` of shape ``(S, G)`` on parameters of
  shape ``(S, G, ...)``). Seed :math:`s` fixes the model's start
  (``model.init(seed=s)``) and the order of the mini-batches
  (:func:`optimlib.batch_order`), so every optimizer sees the same batches
  in the same order, and every copy takes the same number of steps: the same
  budget of gradient evaluations.
- :func:`select`: the learning rate with the lowest mean final validation
  loss over the seeds (the test split is never looked at), whether it lies
  on the edge of the grid, and the *good range*: the rates whose mean final
  validation loss is within ``TOLERANCE`` (10 %) of the best,

  .. math::

      \bar f_{\text{val}}(\eta) \le (1 + \tau)\,\min_{\eta'} \bar f_{\text{val}}(\eta'),
      \qquad \tau = 0.1 .

- :func:`time_to_target`: example gradients computed until the validation
  loss first reaches a target; :func:`target_loss` sets it to
  :math:`(1 + \tau)` times the best mean final validation loss of any
  optimizer on the task.
- :func:`verdict`: a claim "A is about as fast as B" holds when the ratio of
  the median times to target, :math:`T_A / T_B`, lies in
  :math:`[1/r, r]` with :math:`r` = ``RATIO`` = 1.5; "A is faster than B"
  holds when :math:`T_A / T_B < 1/r`. A seed that never reaches the target
  counts as :math:`T = \infty`.
- :func:`mean_ci`: the mean over seeds and the half-width of its 95 %
  Student-:math:`t` interval, :math:`t_{0.975,\,n-1}\, s/\sqrt n`.

The chapter's tasks (:data:`TASK_NAMES`): logistic regression on the breast
cancer set (dense, standardised inputs), the MLP on the digits, and logistic
regression on the synthetic bag of words (sparse counts, rare informative
words). :func:`showdown` runs every optimizer of :data:`NAMES` on one task
(cached); the explorer ``showdown_sensitivity`` draws from those runs.
"""
from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass

import numpy as np

from .. import optimizers as _optimizers
from ..data import bag_of_words, load_dataset
from ..models import MLP, LogisticRegression
from ..plots import style_of
from ..training import batch_order
from .registry import register

__all__ = ["NAMES", "SEEDS", "GRID", "TOLERANCE", "RATIO", "TASK_NAMES", "CLAIMS", "Task",
           "get_task", "lr_grid", "Sweep", "sweep", "Selection", "select", "target_loss",
           "time_to_target", "Verdict", "verdict", "t_quantile", "mean_ci", "showdown",
           "ProgressLine", "plot_sensitivity", "plot_curves", "showdown_sensitivity"]

#: The optimizers compared (names of :mod:`optimlib.optimizers` classes), in course order.
NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "Adam", "AdamW",
         "NAdam", "AdaMax")
#: The seeds: each fixes a model's start and the order of its mini-batches.
SEEDS = (0, 1, 2, 3, 4)
#: :math:`\tau`: the good range, and the target, are within 10 % of the best loss.
TOLERANCE = 0.10
#: :math:`r`: "about as fast" means times to target within a factor 1.5.
RATIO = 1.5


def lr_grid(low=10 ** -3.5, high=10 ** 1.5, per_decade=2):
    r"""A log-uniform grid :math:`\eta_k = 10^{\log_{10}\text{low} + k/\text{per\_decade}}`
    from ``low`` to ``high`` (both included when a whole number of steps apart)."""
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high):
        raise ValueError(f"Invalid grid: low={low!r}, high={high!r} (need 0 < low < high)")
    if isinstance(per_decade, bool) or not isinstance(per_decade, (int, np.integer)) \
            or per_decade < 1:
        raise ValueError(f"Invalid per_decade: {per_decade!r} (a whole number >= 1)")
    lo, hi = math.log10(low), math.log10(high)
    k = np.arange(int(math.floor((hi - lo) * per_decade + 1e-9)) + 1)
    return 10.0 ** (lo + k / per_decade)


#: The learning-rate grid every optimizer is tuned on: :math:`10^{-3.5+k/2}`, k = 0..10.
GRID = lr_grid()


# -- tasks ---------------------------------------------------------------------------------
#: The chapter's tasks (see :func:`get_task`).
TASK_NAMES = ("breast_cancer", "digits", "bag_of_words")
_TITLES = {"breast_cancer": "breast cancer", "digits": "digits", "bag_of_words": "bag of words"}
# validation-loss range of each task's figures (start: ln 2, ln 10, ln 2)
_YLIM = {"breast_cancer": (0.1, 1.0), "digits": (0.15, 3.0), "bag_of_words": (0.38, 1.0)}


@dataclass(frozen=True, eq=False)
class Task:
    """One model on one dataset with its budget.

    ``epochs`` passes of mini-batches of ``batch_size`` rows; the validation
    loss is recorded every ``eval_every`` steps (and after the last).
    ``inputs`` is ``"dense"`` or ``"sparse"``.
    """

    name: str
    title: str
    model: object
    data: object
    epochs: int
    batch_size: int
    eval_every: int
    inputs: str

    @property
    def steps_per_epoch(self):
        return math.ceil(len(self.data.y_train) / self.batch_size)

    @property
    def steps(self):
        return self.epochs * self.steps_per_epoch

    @property
    def grad_evals(self):
        """Example gradients per copy over the whole budget."""
        return self.epochs * len(self.data.y_train)

    def __repr__(self):
        return (f"Task({self.name!r}: {self.model!r}, {self.epochs} epochs of B = "
                f"{self.batch_size}, {self.steps} steps)")


@functools.lru_cache(maxsize=None)
def get_task(name):
    r"""The task ``name`` (one of :data:`TASK_NAMES`), built once.

    - ``"breast_cancer"``: binary logistic regression, :math:`\lambda = 10^{-3}`,
      standardised features, 15 epochs of :math:`B = 32` (165 steps).
    - ``"digits"``: MLP 64-16-10 (tanh), :math:`\lambda = 10^{-4}`, standardised
      pixels, 5 epochs of :math:`B = 64` (85 steps).
    - ``"bag_of_words"``: binary logistic regression, :math:`\lambda = 10^{-3}`,
      raw counts of :func:`optimlib.bag_of_words`, 6 epochs of :math:`B = 32`
      (228 steps).

    The validation loss is recorded every ``steps // 16`` steps and after the last one
    (17 checkpoints after the start, for each of these tasks).
    """
    if isinstance(name, Task):
        return name
    if name == "breast_cancer":
        data = load_dataset("breast_cancer")
        model = LogisticRegression(data.n_features, l2=1e-3)
        epochs, inputs, batch_size = 15, "dense", 32
    elif name == "digits":
        data = load_dataset("digits")
        model = MLP(data.n_features, hidden=16, n_classes=10, l2=1e-4)
        epochs, inputs, batch_size = 5, "dense", 64
    elif name == "bag_of_words":
        data = bag_of_words()
        model = LogisticRegression(data.n_features, l2=1e-3)
        epochs, inputs, batch_size = 6, "sparse", 32
    else:
        raise ValueError(f"Invalid task: {name!r} (one of {', '.join(TASK_NAMES)})")
    steps = epochs * math.ceil(len(data.y_train) / batch_size)
    return Task(name, _TITLES[name], model, data, epochs, batch_size, max(1, steps // 16),
                inputs)


def _task(task):
    return task if isinstance(task, Task) else get_task(task)


def _optimizer_class(name):
    if isinstance(name, type) and issubclass(name, _optimizers.Optimizer):
        return name
    cls = getattr(_optimizers, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, _optimizers.Optimizer)) or \
            cls is _optimizers.Optimizer:
        raise ValueError(f"Invalid optimizer: {name!r} (a class of optimlib.optimizers, "
                         f"such as {', '.join(NAMES)})")
    return cls


def _rates(lrs):
    lrs = np.asarray(lrs, dtype=float).reshape(-1)
    if lrs.size == 0 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError(f"Invalid learning rates: {lrs.tolist()!r} (finite and > 0)")
    return lrs


def _seed_list(seeds):
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = (seeds,)
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ValueError(f"Invalid seeds: {seeds!r} (distinct whole numbers >= 0)")
    return seeds


# -- one optimizer, all learning rates and seeds ---------------------------------------------
def _one_blas_thread():
    """BLAS on one thread while a sweep runs, when threadpoolctl (installed with
    scikit-learn) is there. The sweeps multiply many tiny matrices; on a busy
    two-core machine a second BLAS thread made each product about ten times
    slower (1.1 ms against 0.12 ms for a 32 x 64 by 64 x 32 product)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:   # pragma: no cover - a dependency of scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@dataclass
class Sweep:
    r"""What :func:`sweep` measured for one optimizer on one task.

    ``S`` seeds by ``G`` learning rates; ``C + 1`` checkpoints (row 0 is the start).

    steps, grad_evals : step and example gradients per copy at each checkpoint, ``(C+1,)``.
    val_loss : validation loss at the checkpoints, ``(C+1, S, G)``; NaN after a divergence.
    diverged_at : ``(S, G)``, the step after which a copy's loss (mini-batch or validation)
        stopped being finite or exceeded ``blowup`` times the start's validation loss
        (and at least ``blowup``), or -1.
    val_metric, test_loss, test_metric : after the last step, ``(S, G)`` (NaN if diverged).
    batches : per seed, the row indices of every step's mini-batch.
    params : the final parameters, arrays of shape ``(S, G, ...)``.
    """

    name: str
    task: str
    lrs: np.ndarray
    seeds: tuple
    steps: np.ndarray
    grad_evals: np.ndarray
    val_loss: np.ndarray
    diverged_at: np.ndarray
    val_metric: np.ndarray
    test_loss: np.ndarray
    test_metric: np.ndarray
    batches: list
    params: dict

    @property
    def final_val_loss(self):
        """Validation loss after the last step, ``(S, G)``."""
        return self.val_loss[-1]


def sweep(optimizer, task, lrs=GRID, seeds=SEEDS, blowup=1e6, progress=None):
    r"""Train ``optimizer`` on ``task`` at every learning rate in ``lrs`` and every seed.

    One optimizer object updates all :math:`S \times G` copies at once:
    ``lr`` is the array :math:`\eta_{s,g} = ` ``lrs[g]`` of shape ``(S, G)``
    and the parameters have shape ``(S, G, ...)`` (the leading-axis rule).
    Copy :math:`(s, g)` starts at ``model.init(seed=seeds[s])`` and takes its
    mini-batch gradients on the batches of ``batch_order(n, B, epochs,
    seeds[s])``, exactly what ``optimlib.train(opt(lr=lrs), model, data,
    epochs, B, seed=seeds[s])`` does for its copies. A copy that diverges
    is stopped (its values are NaN from then on) and reported in
    ``diverged_at``; nothing warns.

    optimizer : a class of :mod:`optimlib.optimizers` or its name ("Adam").
    task : a :class:`Task` or one of :data:`TASK_NAMES`.
    progress : optional callable ``progress(step, steps)``, called at every checkpoint.
    """
    cls = _optimizer_class(optimizer)
    task = _task(task)
    lrs, seeds = _rates(lrs), _seed_list(seeds)
    if not (isinstance(blowup, (int, float)) and blowup > 0):
        raise ValueError(f"Invalid blowup: {blowup!r} (must be > 0)")
    model, data = task.model, task.data
    X, y = model.check_data(data.X_train, data.y_train)
    S, G = len(seeds), len(lrs)
    start = model.init(seed=list(seeds))
    params = {k: np.array(np.broadcast_to(v[:, None], (S, G) + v.shape[1:]))
              for k, v in start.items()}
    grads = {k: np.empty_like(v) for k, v in params.items()}
    opt = cls(lr=np.broadcast_to(lrs, (S, G)))
    orders = [batch_order(len(y), task.batch_size, task.epochs, s) for s in seeds]
    steps = len(orders[0])
    marks = list(range(0, steps + 1, task.eval_every))
    if marks[-1] != steps:
        marks.append(steps)
    per_step = np.array([0] + [len(b) for b in orders[0]])
    grad_evals = np.cumsum(per_step)[marks]
    val_loss = np.full((len(marks), S, G), np.nan)
    diverged_at = np.full((S, G), -1, dtype=int)
    batch_loss = np.empty((S, G))

    def stop(bad, step):
        bad = bad & (diverged_at < 0)
        if np.any(bad):
            diverged_at[bad] = step
            for p in params.values():
                p[bad] = np.nan
        return diverged_at < 0

    with np.errstate(all="ignore"), _one_blas_thread():
        val_loss[0] = model.loss(params, data.X_val, data.y_val)
        limit = blowup * np.maximum(1.0, val_loss[0])
        c = 1
        for t in range(1, steps + 1):
            for s in range(S):
                rows = orders[s][t - 1]
                loss, g = model.loss_and_grad({k: v[s] for k, v in params.items()},
                                              X[rows], y[rows])
                batch_loss[s] = loss
                for k in grads:
                    grads[k][s] = g[k]
            # the batch loss is taken at θ_{t-1}: a bad one means step t-1 went wrong
            stop(~np.isfinite(batch_loss) | (batch_loss > limit), t - 1)
            for k in grads:
                grads[k][diverged_at >= 0] = np.nan
            opt.update(params, grads)
            if t == marks[c]:
                value = model.loss(params, data.X_val, data.y_val)
                alive = stop(~np.isfinite(value) | (value > limit), t)
                val_loss[c] = np.where(alive, value, np.nan)
                c += 1
                if progress is not None:
                    progress(t, steps)
        alive = diverged_at < 0

        def after(f, X_, y_):
            return np.where(alive, f(params, X_, y_), np.nan)

        val_metric = after(model.metric, data.X_val, data.y_val)
        test_loss = after(model.loss, data.X_test, data.y_test)
        test_metric = after(model.metric, data.X_test, data.y_test)
    return Sweep(cls.__name__, task.name, lrs, seeds, np.array(marks), grad_evals, val_loss,
                 diverged_at, val_metric, test_loss, test_metric, orders, params)


# -- selection on the validation split -------------------------------------------------------
@dataclass
class Selection:
    """The validation-selected learning rate of one sweep and its surroundings.

    mean : mean final validation loss over the seeds per learning rate (``inf`` where
        any seed diverged). index, lr : the best of them. at_edge : ``"low"`` or
        ``"high"`` when the best is the first or last grid point, else ``""``.
    good : mask of the rates within ``tolerance`` of the best; good_low, good_high:
        its smallest and largest rate; decades: ``log10(good_high / good_low)``.
    """

    lrs: np.ndarray
    mean: np.ndarray
    index: int
    lr: float
    at_edge: str
    good: np.ndarray
    good_low: float
    good_high: float
    decades: float
    tolerance: float

    @property
    def best(self):
        return float(self.mean[self.index])

    def edge_report(self):
        """One line: where the best rate lies in the grid."""
        lo, hi = self.lrs[0], self.lrs[-1]
        if self.at_edge == "low":
            return f"η = {self.lr:.3g} is the LOWEST grid point ({lo:.0e}): extend the grid"
        if self.at_edge == "high":
            return f"η = {self.lr:.3g} is the HIGHEST grid point ({hi:.0e}): extend the grid"
        return (f"η = {self.lr:.3g} is inside the grid ({lo:.0e} .. {hi:.0e}), "
                f"{self.index} point(s) from the low end, "
                f"{len(self.lrs) - 1 - self.index} from the high end")


def select(final_val_loss, lrs, tolerance=TOLERANCE):
    r"""Choose the learning rate on the validation split.

    final_val_loss : ``(S, G)``, the final validation loss of each seed and rate
        (NaN for a diverged copy), such as ``Sweep.final_val_loss``.
    lrs : the ``G`` rates. tolerance : :math:`\tau` of the good range.

    The score of a rate is the mean over the seeds; a rate at which any seed
    diverged scores ``inf`` and is never chosen. Raises ValueError when every
    rate diverged.
    """
    values = np.asarray(final_val_loss, dtype=float)
    lrs = _rates(lrs)
    if values.ndim != 2 or values.shape[1] != lrs.size:
        raise ValueError(f"final_val_loss has shape {values.shape}; expected (seeds, "
                         f"{lrs.size}) to match the learning rates")
    if not (np.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"Invalid tolerance: {tolerance!r} (must be >= 0)")
    mean = np.where(np.all(np.isfinite(values), axis=0), values.mean(axis=0), np.inf)
    if not np.any(np.isfinite(mean)):
        raise ValueError("every learning rate diverged for some seed: nothing to select")
    index = int(np.argmin(mean))
    edge = "low" if index == 0 else "high" if index == lrs.size - 1 else ""
    good = mean <= (1.0 + tolerance) * mean[index]
    low, high = float(lrs[good].min()), float(lrs[good].max())
    return Selection(lrs, mean, index, float(lrs[index]), edge, good, low, high,
                     float(np.log10(high / low)), float(tolerance))


def target_loss(selections, tolerance=TOLERANCE):
    r"""The target validation loss of a task: :math:`(1 + \tau)` times the best mean final
    validation loss of any optimizer (``selections``: a dict or list of :class:`Selection`)."""
    items = selections.values() if isinstance(selections, dict) else selections
    return (1.0 + tolerance) * min(s.best for s in items)


def time_to_target(result, index, target):
    """Example gradients each seed needed for its validation loss to reach ``target``.

    ``result`` is a :class:`Sweep`, ``index`` the learning rate's position in its
    grid. Measured at the checkpoints; ``inf`` for a seed that never gets there
    within the budget (or diverged first). Shape ``(S,)``.
    """
    curve = result.val_loss[:, :, index]                       # (C+1, S)
    reached = curve <= target                                   # NaN compares False
    first = np.argmax(reached, axis=0)
    return np.where(reached.any(axis=0), result.grad_evals[first].astype(float), np.inf)


# -- verdicts ---------------------------------------------------------------------------------
#: Kingma & Ba (2015), Figure 1, as (inputs, A, relation, B).
CLAIMS = (("dense", "Adam", "as fast as", "Nesterov"),
          ("dense", "Adam", "faster than", "AdaGrad"),
          ("sparse", "AdaGrad", "faster than", "Nesterov"),
          ("sparse", "Adam", "as fast as", "AdaGrad"))


@dataclass
class Verdict:
    """A claim "A <relation> B" checked from the times to target of both."""

    a: str
    relation: str
    b: str
    task: str
    time_a: float
    time_b: float
    ratio: float
    seed_ratios: np.ndarray
    holds: bool | None
    reason: str

    @property
    def word(self):
        return {True: "holds", False: "does not hold", None: "undecided"}[self.holds]


def verdict(a, relation, b, times_a, times_b, task="", ratio=RATIO):
    r"""Check "A is about as fast as B" or "A is faster than B" from times to target.

    ``times_a`` and ``times_b`` are the per-seed times (``inf`` = never reached),
    paired by seed. :math:`T` = their medians; with :math:`q = T_A/T_B`:

    - ``"as fast as"`` holds when :math:`1/r \le q \le r`;
    - ``"faster than"`` holds when :math:`q < 1/r` (B needs more than :math:`r`
      times A's gradients, or never reaches the target while A does).

    When neither median is finite the verdict is ``None`` (undecided).
    """
    if relation not in ("as fast as", "faster than"):
        raise ValueError(f"Invalid relation: {relation!r} ('as fast as' or 'faster than')")
    if not (np.isfinite(ratio) and ratio > 1):
        raise ValueError(f"Invalid ratio: {ratio!r} (must be > 1)")
    ta, tb = np.asarray(times_a, dtype=float), np.asarray(times_b, dtype=float)
    if ta.shape != tb.shape or ta.ndim != 1:
        raise ValueError(f"times_a and times_b must be paired per seed, got shapes "
                         f"{ta.shape} and {tb.shape}")
    with np.errstate(all="ignore"):
        seed_ratios = ta / tb
    Ta, Tb = float(np.median(ta)), float(np.median(tb))
    if not (np.isfinite(Ta) or np.isfinite(Tb)):
        return Verdict(a, relation, b, task, Ta, Tb, float("nan"), seed_ratios, None,
                       "neither reaches the target in most seeds")
    q = Ta / Tb if np.isfinite(Tb) else 0.0
    if relation == "as fast as":
        holds = bool(1 / ratio <= q <= ratio)
        reason = f"T_A/T_B = {q:.2f}, {'inside' if holds else 'outside'} " \
                 f"[{1 / ratio:.2f}, {ratio:.2f}]"
    else:
        holds = bool(q < 1 / ratio)
        reason = f"T_A/T_B = {q:.2f} {'<' if holds else '>='} {1 / ratio:.2f}"
    if not np.isfinite(Tb):
        reason = f"{b} does not reach the target; " + reason.replace("0.00", "0")
    if not np.isfinite(Ta):
        reason = f"{a} does not reach the target"
    return Verdict(a, relation, b, task, Ta, Tb, q, seed_ratios, holds, reason)


# -- statistics --------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def t_quantile(p, df):
    r"""The quantile :math:`t_{p,\nu}` of Student's :math:`t` distribution, :math:`\nu` = ``df``.

    Solves :math:`F(x) = p` by bisection, where
    :math:`F(x) = \tfrac12 + \int_0^x c_\nu (1 + u^2/\nu)^{-(\nu+1)/2}\,du`,
    :math:`c_\nu = \Gamma(\tfrac{\nu+1}{2}) / (\sqrt{\nu\pi}\,\Gamma(\tfrac\nu2))`,
    with the integral by Simpson's rule (error far below 1e-8 for
    :math:`\nu \ge 1` and :math:`0.5 \le p \le 0.9995`).
    """
    if not (isinstance(df, (int, np.integer)) and not isinstance(df, bool) and df >= 1):
        raise ValueError(f"Invalid df: {df!r} (a whole number >= 1)")
    if not 0.5 <= p < 1:
        raise ValueError(f"Invalid p: {p!r} (must be in [0.5, 1))")
    nu = float(df)
    c = math.exp(math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2)) / math.sqrt(nu * math.pi)

    def cdf(x):
        u = np.linspace(0.0, x, 4001)
        f = c * (1 + u * u / nu) ** (-(nu + 1) / 2)
        h = x / 4000
        return 0.5 + h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def mean_ci(values, axis=0, level=0.95):
    r"""Mean over ``axis`` and the half-width of its confidence interval,

    .. math::

        t_{(1+\text{level})/2,\,n-1}\; s/\sqrt n ,

    with :math:`s` the sample standard deviation of the :math:`n \ge 2` values.
    NaN values (diverged runs) make the entry NaN."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    if n < 2:
        raise ValueError(f"need at least 2 values along axis {axis} for an interval, got {n}")
    mean = values.mean(axis=axis)
    sd = values.std(axis=axis, ddof=1)
    return mean, t_quantile((1 + level) / 2, n - 1) * sd / math.sqrt(n)


# -- the whole comparison on one task ------------------------------------------------------------
_RESULTS = {}


def showdown(task, names=None, lrs=GRID, seeds=SEEDS, progress=None):
    """``{name: Sweep}`` for every optimizer of ``names`` (default :data:`NAMES`) on ``task``.

    Computed once per (task, names, grid, seeds) and kept: the chapter's cells
    and the explorer share the runs. ``progress(done, total, name)`` is called
    after each optimizer when the runs are computed.
    """
    task = _task(task)
    names = tuple(NAMES if names is None else names)
    lrs, seeds = _rates(lrs), _seed_list(seeds)
    key = (task, names, tuple(lrs.tolist()), seeds)   # a Task compares by identity
    if key not in _RESULTS:
        out = {}
        for i, name in enumerate(names):
            out[name] = sweep(name, task, lrs, seeds)
            if progress is not None:
                progress(i + 1, len(names), name)
        _RESULTS[key] = out
    return dict(_RESULTS[key])


class ProgressLine:
    """A one-line progress display in a notebook that leaves nothing behind.

    In an IPython kernel it shows an empty HTML output, rewrites it on every
    :meth:`update` and empties it again on :meth:`close`; so the stored
    notebook (and a strict nbval run, which sees only the first, empty
    display) holds the same empty output every time, and nothing is printed
    to stdout. Outside IPython it does nothing.
    """

    def __init__(self):
        self._handle = None
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:   # pragma: no cover - IPython comes with ipywidgets
            return
        if get_ipython() is not None and hasattr(get_ipython(), "kernel"):
            self._handle = display({"text/html": ""}, raw=True, display_id=True)

    def update(self, done, total, label=""):
        if self._handle is not None:
            self._handle.update({"text/html": f'<progress value="{done}" max="{total}"></progress>'
                                 f" {done}/{total} {label}"}, raw=True)

    def close(self):
        if self._handle is not None:
            self._handle.update({"text/html": ""}, raw=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# -- figures ------------------------------------------------------------------------------------
def _band(ax, x, values, color, alpha=0.2):
    mean, half = mean_ci(values, axis=0)
    ax.fill_between(x, mean - half, mean + half, color=color, alpha=alpha, lw=0)
    return mean


def _plain_log_labels(axis, low, high):
    """Tick labels such as 0.2 and 0.5 (not 2×10⁻¹) on a log axis from ``low`` to
    ``high``; over more than half a decade only the minor ticks 2, 3 and 5 are labelled."""
    from matplotlib.ticker import FuncFormatter

    wide = math.log10(high / low) > 0.6

    def label(v, _):
        lead = round(v / 10 ** math.floor(math.log10(v) + 1e-9), 6)
        return f"{v:.2g}" if not wide or lead in (1, 2, 3, 5) else ""

    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(FuncFormatter(label))


def plot_sensitivity(results, axes=None, ylim=None, tolerance=TOLERANCE):
    """Small multiples: final validation loss against the learning rate, one panel per optimizer.

    Each panel draws its optimizer in its colour (mean over seeds with its 95 %
    band, the selected rate as a dot, the good range as a bar on the axis) over
    the others in light grey; both axes are logarithmic and values above the
    top of ``ylim`` (default: the task's range) are drawn at the top.
    ``results`` is ``{name: Sweep}``. Returns the axes.
    """
    names = list(results)
    if axes is None:
        import matplotlib.pyplot as plt

        ncols = math.ceil(len(names) / 2)
        _, axes = plt.subplots(2, ncols, figsize=(1.64 * ncols + 0.6, 4.2), sharex=True,
                               sharey=True)
    flat = np.asarray(axes).reshape(-1)
    first = next(iter(results.values()))
    lo, hi = ylim if ylim is not None else _YLIM.get(first.task, (None, None))
    sel = {n: select(r.final_val_loss, r.lrs, tolerance) for n, r in results.items()}

    def clip(v):
        return v if hi is None else np.minimum(v, hi)

    for ax, name in zip(flat, names):
        for other in names:
            if other != name:
                ax.plot(results[other].lrs, clip(sel[other].mean), color="#c8c8c8", lw=0.8)
        r, st, s = results[name], style_of(name), sel[name]
        mean, half = mean_ci(r.final_val_loss, axis=0)
        shown = mean <= (np.inf if hi is None else hi)          # no band above the chart
        floor = 1e-12 if lo is None else lo                     # an interval reaching 0
        ax.fill_between(r.lrs, np.where(shown, np.maximum(mean - half, floor), np.nan),
                        np.where(shown, clip(mean + half), np.nan), color=st["color"],
                        alpha=0.25, lw=0)
        ax.plot(r.lrs, clip(np.where(np.isfinite(s.mean), mean, np.nan)), lw=1.8, **st)
        ax.plot(s.lr, s.best, "o", color=st["color"], ms=5, mec="white", zorder=5)
        ax.axvspan(s.good_low / 10 ** 0.15, s.good_high * 10 ** 0.15, ymin=0, ymax=0.05,
                   color=st["color"], lw=0)
        ax.set(xscale="log", yscale="log")
        ax.set_title(name, fontsize=10, loc="left", color=st["color"])
        ax.tick_params(labelsize=9)
        ax.grid(True, which="major", alpha=0.3)
    for ax in flat[len(names):]:
        ax.set_visible(False)
    if lo is not None:
        flat[0].set_ylim(lo, hi)
    _plain_log_labels(flat[0].yaxis, *flat[0].get_ylim())
    grid = np.asarray(axes).reshape(2, -1)
    for ax in grid[:, 0]:
        ax.set_ylabel("final val. loss")
    for ax in grid[-1]:
        ax.set_xlabel("learning rate η")
    return axes


def plot_curves(results, names, ax=None, target=None, tolerance=TOLERANCE):
    """Validation loss against example gradients at each optimizer's selected rate.

    Mean over seeds with a 95 % band, on a log scale; ``target`` (if given) is a
    dotted line. ``results`` is ``{name: Sweep}``. Returns the axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 3.6))
    for name in names:
        r = results[name]
        s = select(r.final_val_loss, r.lrs, tolerance)
        st = style_of(name)
        curve = r.val_loss[:, :, s.index].T                    # (S, C+1)
        mean = _band(ax, r.grad_evals, curve, st["color"], alpha=0.15)
        ax.plot(r.grad_evals, mean, lw=1.8, label=f"{name}, η = {s.lr:.2g}", **st)
    if target is not None:
        ax.axhline(target, color="#555555", ls=":", lw=1.2)
    ax.set_yscale("log")
    _plain_log_labels(ax.yaxis, *ax.get_ylim())
    ax.set(xlabel="example gradients computed", ylabel="validation loss")
    ax.grid(True, which="both", alpha=0.3)
    return ax


# -- the explorer ---------------------------------------------------------------------------------
_BY_TITLE = {v: k for k, v in _TITLES.items()}


def _names_available():
    return tuple(n for n in NAMES if hasattr(_optimizers, n))


_REL = (0.06, 2.0)      # the explorer's range of f / f(θ₀), the same for every task


@register("showdown_sensitivity", chapter="11_showdown", ncols=3, figsize=(12, 3.8),
          flipbook=("lr", [float(v) for v in GRID]),
          task=("task", "digits", tuple(_TITLES.values())),
          lr=("learning rate η", 1e-2, float(GRID[0]), float(GRID[-1]), 0.5, True))
def showdown_sensitivity(axes, task, lr):
    r"""Every optimizer at one learning rate :math:`\eta` = ``lr`` on one task.

    Losses are shown relative to the task's starting validation loss
    :math:`f(\theta_0)` (ln 2 for the logistic tasks), on the same axes for
    every task, so that moving a control only redraws the curves.
    ``axes[0]``: validation loss (mean over the seeds) at that :math:`\eta`
    against the share of the budget of example gradients; ``axes[1]``: the
    sensitivity curves (mean final validation loss against :math:`\eta`) with
    :math:`\eta` dotted; ``axes[2]``: each optimizer's mean final validation
    loss at that :math:`\eta` as a bar (the bars name the colours). ``task`` is
    the task's title ("breast cancer", "digits", "bag of words"); ``lr`` is
    moved to the nearest rate of the grid. The runs are those of
    :func:`showdown` (computed on first use). Returns the report: the best
    optimizer at this :math:`\eta` with its loss, and which runs diverged, at
    which step.
    """
    key = _BY_TITLE[task]
    results = showdown(key, _names_available())
    first = next(iter(results.values()))
    lrs, budget = first.lrs, float(first.grad_evals[-1])
    f0 = float(np.mean(first.val_loss[0]))
    g = int(np.argmin(np.abs(np.log10(lrs) - np.log10(lr))))
    lo, hi = _REL
    names = list(results)
    top = 3                     # above the axes (2.5): ticks and grid stay in the background
    finals, diverged = {}, []
    for i, (name, r) in enumerate(results.items()):
        st = style_of(name)
        runs = r.val_loss[:, :, g]                                   # (C+1, S)
        alive = np.isfinite(runs).all(axis=1)
        with np.errstate(all="ignore"):
            curve = np.where(alive, runs.mean(axis=1), np.nan) / f0
        x = r.grad_evals / budget
        stops = r.diverged_at[:, g]
        if np.any(stops >= 0):
            diverged.append(f"{name} diverged at step {int(stops[stops >= 0].min())}")
            ok = np.flatnonzero(alive)
            if ok.size:
                axes[0].plot(x[ok[-1]], min(max(curve[ok[-1]], lo), hi), "x",
                             color=st["color"], ms=7, mew=2, zorder=top)
        else:
            finals[name] = float(curve[-1]) * f0
        axes[0].plot(x, np.clip(curve, lo, hi), lw=1.4, zorder=top, **st)
        mean = np.where(np.all(np.isfinite(r.final_val_loss), axis=0),
                        np.mean(r.final_val_loss, axis=0), np.nan) / f0
        axes[1].plot(r.lrs, np.clip(mean, lo, hi), lw=1.4, zorder=top, **st)
        y = len(names) - 1 - i
        if name in finals:
            axes[2].barh(y, min(finals[name] / f0, hi) - lo, left=lo, height=0.7,
                         color=st["color"], lw=0, zorder=top)
        else:
            axes[2].plot(lo * 1.1, y, "x", color=st["color"], ms=7, mew=2, zorder=top)
    axes[1].axvline(lrs[g], color="#555555", lw=1, ls=":", zorder=top)
    ylabel = "validation loss / start"
    axes[0].set(yscale="log", ylim=_REL, xlim=(0, 1), ylabel=ylabel,
                xlabel="share of the budget (example gradients)")
    axes[1].set(xscale="log", yscale="log", ylim=_REL, xlim=(GRID[0] / 1.5, GRID[-1] * 1.5),
                xlabel="learning rate η (dotted: the slider's)", ylabel="final " + ylabel)
    axes[2].set(xscale="log", xlim=_REL, ylim=(-0.6, len(names) - 0.4),
                yticks=range(len(names)), yticklabels=names[::-1],
                xlabel="final validation loss / start, at this η")
    for ax in axes[:2]:
        ax.grid(True, which="major", alpha=0.3)
        _plain_log_labels(ax.yaxis, lo, hi)
    axes[2].grid(True, axis="x", which="major", alpha=0.3)
    _plain_log_labels(axes[2].xaxis, lo, hi)
    parts = [f"{task}, η = {lrs[g]:.2g}, mean of {len(first.seeds)} seeds:"]
    if finals:
        best = min(finals, key=finals.get)
        parts.append(f"lowest final validation loss {best}, {finals[best]:.3f} "
                     f"(start {f0:.3f});")
    if diverged:
        parts.append(f"{len(diverged)} of {len(results)} diverged (" + "; ".join(diverged)
                     + ")")
    else:
        parts.append("every run stayed finite")
    return " ".join(parts)
