r"""Run optimizers on landscapes and keep the whole trajectory.

``run(optimizer, landscape, steps)`` starts from ``landscape.start`` (or any
array of start points of shape ``(..., 2)``), takes ``steps`` updates and
returns a :class:`Result` with the path and the loss at every step. Runs that
blow up are stopped and reported as "diverged at step k"; numpy's overflow
warnings are not shown, the report replaces them.

A time-dependent landscape (``landscape.time_dependent``, an online problem
such as :class:`~optimlib.functions.Reddi`) gets the step number with every
gradient, ``grad(theta, t)`` for :math:`t = 1, 2, \dots`; a constrained one
(``landscape.constrained``) has every update followed by the projection
``landscape.project``, which gives projected (online) gradient methods:

.. math::

    \theta_t = \Pi\bigl(\theta_{t-1} - \text{step}_t(g_t)\bigr), \qquad
    g_t = \nabla f_t(\theta_{t-1}),

with :math:`\Pi` the projection onto the feasible set.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Result", "run", "run_many", "contraction_rate"]


@dataclass
class Result:
    """What one call of :func:`run` saw.

    ``path`` has shape ``(steps + 1, *batch, 2)`` (row 0 is the start),
    ``loss`` has shape ``(steps + 1, *batch)``, and ``diverged_at`` (shape
    ``batch``) holds the step at which each run was stopped, or -1. After a
    run diverges its path and loss are NaN, which plots leave blank.
    """

    name: str
    landscape: object
    path: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray

    @property
    def steps(self):
        return self.path.shape[0] - 1

    @property
    def gap(self):
        """``f(θ_t) - f*``: how far above the minimum value each step is."""
        return self.loss - self.landscape.f_min

    @property
    def diverged(self):
        return self.diverged_at >= 0

    @property
    def final(self):
        """The last parameters, shape ``(*batch, 2)`` (NaN for diverged runs)."""
        return self.path[-1]

    def distance(self):
        """Distance to the nearest minimum at every step, shape ``(steps + 1, *batch)``."""
        return self.landscape.distance_to_minimum(self.path)

    def status(self):
        """One line in words: converged, unstable, or diverged.

        The word "diverged" appears only when a run did diverge ("diverged at
        step k"; for a batch "k of n runs diverged" with k > 0, or "none of the
        n runs diverged"), so that a status line can turn red on it.
        """
        if self.diverged_at.ndim:
            n, total = int(self.diverged.sum()), self.diverged_at.size
            if total == 1:
                return Result(self.name, self.landscape, self.path.reshape(-1, 2),
                              self.loss.reshape(-1), self.diverged_at.reshape(())).status()
            if n == 0:
                return f"{self.name}: none of the {total} runs diverged"
            return f"{self.name}: {n} of {total} runs diverged"
        if self.diverged:
            return f"{self.name}: diverged at step {int(self.diverged_at)}"
        g0, g1 = float(self.gap[0]), float(self.gap[-1])
        if g1 > g0:
            return (f"{self.name}: unstable, f − f* grew from {g0:.3g} to {g1:.3g} "
                    f"in {self.steps} steps")
        return (f"{self.name}: f − f* = {g1:.3g} after {self.steps} steps, "
                f"{float(self.distance()[-1]):.3g} from the nearest minimum")


def _batch_shape(optimizer, start):
    """The shape of the batch of runs: start points and array hyperparameters together.

    An array hyperparameter lines up with the leading axes of the points
    (shape ``(*batch, 2)``), as every optimizer's hyperparameters do with its
    parameters: ``lr`` of shape ``(N,)`` gives ``N`` runs, ``lr[:, None]``
    (shape ``(N, 1)``, the trailing 1 standing for the coordinates) too, and
    ``lr[:, None]`` with ``momentum[None, :]`` a grid of runs.
    """
    shapes = [np.shape(start)[:-1]]
    for value in optimizer.hyperparameters().values():
        if isinstance(value, np.ndarray):
            s = value.shape
            shapes.append(s[:-1] if len(s) > 1 and s[-1] == 1 else s)
    rank = max(len(s) for s in shapes)
    try:
        return np.broadcast_shapes(*[s + (1,) * (rank - len(s)) for s in shapes])
    except ValueError:
        raise ValueError("start points and array hyperparameters do not line up: batch "
                         f"shapes {shapes} (leading axes, one run per entry)") from None


def _check_run_arguments(steps, noise, blowup):
    """The checks :func:`run` (and every loop that promises to behave like it) makes."""
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(f"Invalid steps: {steps!r} (must be a whole number >= 0)")
    if not noise >= 0:
        raise ValueError(f"Invalid noise: {noise!r} (must be >= 0)")
    if not blowup > 0:
        raise ValueError(f"Invalid blowup: {blowup!r} (must be > 0)")


def run(optimizer, landscape, steps=100, start=None, noise=0.0, seed=0, blowup=1e6,
        name=None):
    """Take ``steps`` updates of ``optimizer`` on ``landscape``.

    A time-dependent landscape's gradient is ``landscape.grad(theta, t)`` at
    step ``t`` (from 1); a constrained landscape's points are projected with
    ``landscape.project`` after every update, and the start too (the
    optimizer's state does not see the projection).

    Parameters
    ----------
    optimizer : Optimizer
        Any optimlib optimizer; it is ``reset()`` first.
    landscape : Landscape
        Any optimlib landscape (``f``, ``grad``, ``start``).
    steps : int
        Number of updates.
    start : array or None
        Start point(s), shape ``(2,)`` or ``(..., 2)``; default
        ``landscape.start``. Array hyperparameters broadcast against it (one
        run per row).
    noise : float
        Standard deviation of Gaussian noise added to every gradient
        component, a stand-in for mini-batch noise; 0 gives exact gradients.
    seed : int
        Seed of ``np.random.default_rng`` for the noise.
    blowup : float
        A run is stopped as diverged when ``f - f*`` exceeds ``blowup`` times
        its start value (and at least ``blowup``), or stops being finite.
    name : str or None
        Label for plots and reports; default ``optimizer.label`` (the class
        name, or "AMSGrad" for ``Adam(amsgrad=True)``).

    Returns
    -------
    Result
        The path and the loss of every run at every step.
    """
    _check_run_arguments(steps, noise, blowup)
    start = np.asarray(landscape.start if start is None else start, dtype=float)
    if start.shape[-1:] != (2,):
        raise ValueError(f"start points must have shape (2,) or (..., 2), got {start.shape}")
    batch = _batch_shape(optimizer, start)
    start = start.reshape(start.shape[:-1] + (1,) * (len(batch) + 1 - start.ndim) + (2,))
    theta = np.array(np.broadcast_to(start, batch + (2,)))
    batch = theta.shape[:-1]
    rng = np.random.default_rng(seed)
    optimizer.reset()

    path = np.full((steps + 1,) + theta.shape, np.nan)
    loss = np.full((steps + 1,) + batch, np.nan)
    diverged_at = np.full(batch, -1, dtype=int)
    f_min = landscape.f_min
    online = bool(getattr(landscape, "time_dependent", False))
    constrained = bool(getattr(landscape, "constrained", False))
    with np.errstate(all="ignore"):
        if constrained:
            theta[...] = landscape.project(theta)
        path[0] = theta
        loss[0] = landscape.f(theta)
        limit = blowup * np.maximum(1.0, loss[0] - f_min)
        for k in range(1, steps + 1):
            g = landscape.grad(theta, k) if online else landscape.grad(theta)
            if noise:
                g = g + noise * rng.standard_normal(theta.shape)
            optimizer.update(theta, g)
            if constrained:
                theta[...] = landscape.project(theta)
            value = landscape.f(theta)
            bad = (~np.isfinite(value) | ~np.isfinite(theta).all(axis=-1)
                   | (value - f_min > limit)) & (diverged_at < 0)
            if np.any(bad):
                diverged_at[bad] = k
                theta[bad] = np.nan
                value = np.where(bad, np.nan, value)
            path[k] = theta
            loss[k] = value
    return Result(name or optimizer.label, landscape, path, loss, diverged_at)


def run_many(optimizers, landscape, steps=100, **kwargs):
    """Run each optimizer of a dict ``{name: optimizer}``; return ``{name: Result}``."""
    return {name: run(opt, landscape, steps, name=name, **kwargs)
            for name, opt in optimizers.items()}


def contraction_rate(errors, first=None, last=None):
    r"""Measured factor by which ``errors`` shrink per step, between two steps.

    ``errors`` is a sequence of positive numbers :math:`e_0, e_1, \dots` (say,
    distances to the minimum); the rate is the geometric mean of
    :math:`e_{k+1}/e_k` over ``first <= k < last``, that is
    :math:`(e_{\mathrm{last}}/e_{\mathrm{first}})^{1/(\mathrm{last} - \mathrm{first})}`.
    Defaults: the second half of the sequence.
    """
    errors = np.asarray(errors, dtype=float)
    n = errors.shape[0] - 1
    first = n // 2 if first is None else first
    last = n if last is None else last
    if not 0 <= first < last <= n:
        raise ValueError(f"need 0 <= first < last <= {n}, got first={first}, last={last}")
    with np.errstate(all="ignore"):
        return (errors[last] / errors[first]) ** (1.0 / (last - first))
