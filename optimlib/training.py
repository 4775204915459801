r"""Mini-batch training of a model on a dataset, with the whole history kept.

``train(opt, model, data, epochs, batch_size, seed)`` repeats, at every step
:math:`t = 1, 2, \dots`,

.. math::

    g_t = \nabla f_{\mathcal B_t}(\theta_{t-1}), \qquad
    \theta_t = \text{opt.update}(\theta_{t-1}, g_t),

where :math:`f_{\mathcal B_t}` is the model's loss on the mini-batch
:math:`\mathcal B_t` of ``batch_size`` (:math:`B`) training rows. The order
of the batches comes from ``np.random.default_rng(seed)`` alone (and the
number of rows and :math:`B`), never from the optimizer: two optimizers
trained with the same seed see the same batches in the same order.

It records the full training loss :math:`f(\theta_t)` after every step, the
mini-batch loss, the number of example gradients computed so far, and the
validation metric after every epoch. A run that blows up is stopped and
reported as "diverged at step k"; numpy's overflow warnings are not shown.

With array hyperparameters (``Adam(lr=lrs)``, ``lrs`` of shape ``(B,)``) the
model trains as ``B`` independent copies in one vectorised call (see
:mod:`optimlib.models`); each copy diverges, or not, on its own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TrainResult", "train", "batch_order"]


@dataclass
class TrainResult:
    r"""What one call of :func:`train` saw (``copies`` is ``()`` for one model).

    Attributes
    ----------
    loss
        :math:`f(\theta_t)` on the whole training set, shape
        ``(steps + 1, *copies)``; row 0 is the start.
    batch_loss
        :math:`f_{\mathcal B_t}(\theta_{t-1})`, the mini-batch loss that step
        ``t`` took its gradient from, shape ``(steps, *copies)``.
    val_metric
        Validation metric (``metric_name``) after every epoch, shape
        ``(epochs + 1, *copies)`` (row 0 is the start); ``None`` without
        validation data.
    val_loss
        Validation loss after every epoch, shaped like ``val_metric``.
    grad_evals
        Example gradients computed up to each step, shape ``(steps + 1,)``.
    diverged_at
        Step at which each copy was stopped, or -1; shape ``copies``. After
        that its parameters, losses and metrics are NaN (plots leave them blank).
    params
        The final parameters (NaN for a diverged copy).
    batches
        The row indices of every step's mini-batch.
    f_min
        Best known loss; ``gap = loss - f_min`` (plain loss when 0).
    """

    name: str
    loss: np.ndarray
    batch_loss: np.ndarray
    val_metric: np.ndarray | None
    val_loss: np.ndarray | None
    grad_evals: np.ndarray
    diverged_at: np.ndarray
    params: dict
    batches: list
    epochs: int
    batch_size: int | None
    steps_per_epoch: int
    metric_name: str
    f_min: float = 0.0

    @property
    def steps(self):
        return self.loss.shape[0] - 1

    @property
    def gap(self):
        r""":math:`f(\theta_t) - f^*` with :math:`f^*` = ``f_min``: what :func:`~optimlib.plots.plot_loss` draws."""
        return self.loss - self.f_min

    @property
    def diverged(self):
        return self.diverged_at >= 0

    @property
    def final(self):
        """The last parameters (same as ``params``)."""
        return self.params

    @property
    def epoch_steps(self):
        """The step at the end of each epoch, shape ``(epochs + 1,)``, to plot ``val_metric`` against."""
        return np.arange(self.epochs + 1) * self.steps_per_epoch

    def status(self):
        """One line in words: diverged at which step, or where the run ended."""
        if self.diverged_at.ndim:
            n, total = int(self.diverged.sum()), self.diverged_at.size
            if n == 0:
                line = f"{self.name}: none of the {total} runs diverged; they end"
            else:
                first = int(self.diverged_at[self.diverged].min())
                line = (f"{self.name}: {n} of {total} runs diverged (the first at step {first})")
                line += f"; the other {total - n} end" if n < total else ""
            if n < total:
                last = self.loss[-1][~self.diverged]
                line += f" with training loss {last.min():.4g} to {last.max():.4g}"
            return line
        if self.diverged:
            return f"{self.name}: diverged at step {int(self.diverged_at)}"
        line = (f"{self.name}: training loss {float(self.loss[-1]):.4g} after {self.steps} steps "
                f"({self.epochs} epochs, {int(self.grad_evals[-1])} example gradients)")
        if self.val_metric is not None:
            line += f", validation {self.metric_name} {float(self.val_metric[-1]):.4g}"
        return line


def _whole(label, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Invalid {label}: {value!r} (a whole number is expected)")
    if value < low:
        raise ValueError(f"Invalid {label}: {value!r} (must be >= {low})")
    return int(value)


def batch_order(n, batch_size, epochs, seed=0, replacement=False):
    """Row indices of every step's mini-batch: a list of ``epochs * ceil(n / batch_size)`` arrays.

    Without replacement (the default) each epoch is a fresh permutation of
    the ``n`` rows cut into batches of ``batch_size`` (the last one smaller
    if ``batch_size`` does not divide ``n``): every row is used once per
    epoch. With replacement every batch is ``batch_size`` rows drawn
    independently and uniformly, so a row may appear twice in one batch or
    not at all in an epoch. ``batch_size=None`` is full-batch training: one
    step per epoch on all rows. Only ``np.random.default_rng(seed)`` decides.
    """
    n, epochs = _whole("n", n, 1), _whole("epochs", epochs, 0)
    if batch_size is None:
        every = np.arange(n)
        return [every] * epochs
    batch_size = _whole("batch_size", batch_size, 1)
    rng = np.random.default_rng(seed)
    per_epoch = math.ceil(n / batch_size)
    batches = []
    for _ in range(epochs):
        if replacement:
            batches += [rng.integers(0, n, batch_size) for _ in range(per_epoch)]
        else:
            order = rng.permutation(n)
            batches += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return batches


def _unpack(data):
    """``(X, y, X_val, y_val)`` from a Dataset or a tuple ``(X, y[, X_val, y_val])``."""
    if hasattr(data, "X_train"):
        return data.X_train, data.y_train, data.X_val, data.y_val
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        X, y, *val = data
        return (X, y, *val) if val else (X, y, None, None)
    raise TypeError("data must be a Dataset (optimlib.data) or a tuple (X, y) or "
                    f"(X, y, X_val, y_val), got {type(data).__name__}")


def _copy_shape(opt, model, params):
    """The copy shape: the params' leading axes and every array hyperparameter, broadcast."""
    shapes = [] if params is None else [model.copies(params)]
    shapes += [v.shape for v in opt.hyperparameters().values() if isinstance(v, np.ndarray)]
    try:
        return np.broadcast_shapes(*shapes) if shapes else ()
    except ValueError:
        raise ValueError("the copy axes of params and the array hyperparameters do not line "
                         f"up: shapes {shapes} (one copy per entry)") from None


def train(opt, model, data, epochs=10, batch_size=32, seed=0, replacement=False,
          params=None, blowup=1e6, f_min=0.0, name=None):
    r"""Train ``model`` on ``data`` with the optimizer ``opt``; return a :class:`TrainResult`.

    Parameters
    ----------
    opt : Optimizer
        Any optimlib optimizer; it is ``reset()`` first. Array hyperparameters
        of shape ``(B,)`` train ``B`` copies of the model at once (the
        leading-axis rule), copy ``i`` with entry ``i``.
    model : Model
        An optimlib model (:mod:`optimlib.models`).
    data : Dataset or tuple
        A :class:`~optimlib.data.Dataset`, or ``(X, y)``, or
        ``(X, y, X_val, y_val)``.
    epochs : int
        Passes over the training rows.
    batch_size : int or None
        :math:`B`, rows per step; ``None`` for full-batch gradient descent.
    seed : int
        Seed of the batch order (see :func:`batch_order`) and, when ``params``
        is not given, of ``model.init``.
    replacement : bool
        Draw each batch with replacement instead of cutting a shuffled epoch.
    params : dict or None
        Start :math:`\theta_0` (copied, never changed); default
        ``model.init(seed, copies=B)``: every copy starts at the same point.
    blowup : float
        A copy is stopped as diverged when :math:`f(\theta_t) - f^*` exceeds
        ``blowup`` times its start value (and at least ``blowup``), or stops
        being finite, as in :func:`~optimlib.run.run`.
    f_min : float
        Best known loss :math:`f^*` (``result.gap = loss - f_min``).
    name : str or None
        Label for plots and reports; default ``opt.label``.
    """
    epochs = _whole("epochs", epochs, 0)
    if batch_size is not None:
        batch_size = _whole("batch_size", batch_size, 1)
    if not isinstance(replacement, (bool, np.bool_)):
        raise TypeError(f"Invalid replacement: {replacement!r} (must be True or False)")
    if not (isinstance(blowup, (int, float)) and blowup > 0):
        raise ValueError(f"Invalid blowup: {blowup!r} (must be > 0)")
    if not np.isfinite(f_min):
        raise ValueError(f"Invalid f_min: {f_min!r} (must be finite)")
    X, y, X_val, y_val = _unpack(data)
    X, y = model.check_data(X, y)
    if X_val is not None:
        X_val, y_val = model.check_data(X_val, y_val)

    copies = _copy_shape(opt, model, params)
    if params is None:
        params = model.init(seed=seed, copies=copies or None)
    params = {k: np.array(np.broadcast_to(v, copies + model.shapes[k])) for k, v in params.items()}
    batches = batch_order(len(y), batch_size, epochs, seed, replacement)
    per_epoch = len(batches) // epochs if epochs else 1
    steps = len(batches)
    opt.reset()

    loss = np.full((steps + 1,) + copies, np.nan)
    batch_loss = np.full((steps,) + copies, np.nan)
    grad_evals = np.zeros(steps + 1, dtype=np.int64)
    grad_evals[1:] = np.cumsum([len(b) for b in batches])
    validate = X_val is not None
    val_metric = np.full((epochs + 1,) + copies, np.nan) if validate else None
    val_loss = np.full((epochs + 1,) + copies, np.nan) if validate else None
    diverged_at = np.full(copies, -1, dtype=int)

    def evaluate(epoch):
        if validate:
            alive = diverged_at < 0
            val_loss[epoch] = np.where(alive, model.loss(params, X_val, y_val), np.nan)
            val_metric[epoch] = np.where(alive, model.metric(params, X_val, y_val), np.nan)

    with np.errstate(all="ignore"):
        loss[0] = model.loss(params, X, y)
        limit = blowup * np.maximum(1.0, loss[0] - f_min)
        evaluate(0)
        for t, rows in enumerate(batches, start=1):
            batch_loss[t - 1], grads = model.loss_and_grad(params, X[rows], y[rows])
            opt.update(params, grads)
            value = model.loss(params, X, y)
            finite = np.all([np.isfinite(p).all(axis=tuple(range(len(copies), p.ndim)))
                             for p in params.values()], axis=0)
            bad = (~np.isfinite(value) | ~finite | (value - f_min > limit)) & (diverged_at < 0)
            if np.any(bad):
                diverged_at[bad] = t
                for p in params.values():
                    p[bad if copies else ...] = np.nan
                value = np.where(bad, np.nan, value)
            loss[t] = value
            if t % per_epoch == 0:
                evaluate(t // per_epoch)
            if np.all(diverged_at >= 0):
                break
    return TrainResult(name or opt.label, loss, batch_loss, val_metric, val_loss, grad_evals,
                       diverged_at, params, batches, epochs, batch_size, per_epoch,
                       model.metric_name, float(f_min))
