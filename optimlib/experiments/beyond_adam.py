r"""Chapter 9, beyond Adam: AMSGrad's counterexample, decoupled weight decay, NAdam, AdaMax.

- **AMSGrad.** Reddi, Kale & Kumar's (2018) online problem on
  :math:`x \in [-1, 1]`: :func:`reddi_gradients` (the gradient :math:`C` at
  :math:`t \bmod P = 1`, else :math:`-1`), :func:`online_run` (any optimlib
  optimizer, projected onto :math:`[-1, 1]` after every step, batched over
  arrays of :math:`C`, :math:`P` and hyperparameters) and the steady-state
  prediction :func:`periodic_average` / :func:`cycle_drift` (which end Adam
  drifts to).
- **AdamW.** :class:`AdamDecay` (Adam with an L2 term added to the gradient
  and a decoupled multiplicative decay, both optional: PyTorch's
  ``Adam(weight_decay)``, its ``AdamW`` and Loshchilov & Hutter's AdamW are
  three settings of it), :func:`pure_decay`, :func:`decay_under_noise` and
  :func:`decay_grid` (the η × λ heatmaps on real data).
- **NAdam.** :func:`nadam_mu` (PyTorch's momentum schedule),
  :func:`nadam_constant_steps` (the constant-momentum NAdam derived in the
  chapter) and :func:`nesterov_numerators`.
- **AdaMax.** :func:`pnorm_average` (the :math:`p`-norm generalisation of
  Adam's second moment), :func:`adamax_v_inf` (its limit :math:`p \to \infty`)
  and :func:`adamax_step_bound`.
- **Lion** (:class:`Lion`), a pointer to current research; not part of the
  core library.
- The explorer ``beyond_adam`` (:func:`beyond_adam`): the five optimizers on
  Reddi et al.'s problem.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import optimizers as _optimizers
from ..optimizers import Adam, Hyperparameter, Optimizer
from ..plots import style_of
from .registry import register

__all__ = ["reddi_gradients", "OnlineResult", "online_run", "periodic_average",
           "cycle_drift", "AdamDecay", "pure_decay", "decay_under_noise", "decay_grid",
           "nadam_mu", "nadam_constant_steps", "nesterov_numerators", "pnorm_average",
           "adamax_v_inf", "adamax_step_bound", "Lion", "CHOICES", "make_optimizer",
           "beyond_adam"]


# -- AMSGrad: the counterexample --------------------------------------------------------
def _whole(label, value, low=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Invalid {label}: {value!r} (a whole number is expected)")
    if value < low:
        raise ValueError(f"Invalid {label}: {value!r} (must be >= {low})")
    return int(value)


def _periods(period):
    P = np.asarray(period)
    if P.dtype.kind not in "iu" or np.any(P < 2):
        raise ValueError(f"Invalid period: {period!r} (whole numbers >= 2)")
    return P


def reddi_gradients(t, C, period=3):
    r"""The gradient :math:`g_t = f_t'(x)` of Reddi et al.'s linear online losses.

    .. math::

        f_t(x) = \begin{cases} C\,x & t \bmod P = 1 \\ -x & \text{otherwise} \end{cases}
        \qquad x \in [-1, 1],

    with :math:`C` = ``C``, :math:`P` = ``period`` (3 in the paper's
    Theorem 1) and the step :math:`t` = ``t`` :math:`\ge 1` (an int or an
    array). The gradient does not depend on :math:`x`. Over one period the
    gradients add up to :math:`C - (P - 1)`; when that is positive the best
    fixed point is :math:`x^* = -1`. Arrays broadcast.
    """
    t = np.asarray(t)
    if t.dtype.kind not in "iu" or np.any(t < 1):
        raise ValueError(f"Invalid t: {t!r} (whole numbers >= 1)")
    P = _periods(period)
    return np.where(t % P == 1, np.asarray(C, dtype=float), -1.0)


@dataclass
class OnlineResult:
    r"""What :func:`online_run` saw.

    ``x``: the iterates :math:`x_0, \dots, x_T`, shape ``(T + 1, *batch)``;
    ``grads``: :math:`g_1, \dots, g_T`, shape ``(T, *batch)``; ``state``: the
    optimizer's state arrays after every step (``"m"``, ``"v"``, ``"v_max"``,
    ``"v_inf"``, whichever it has), each of shape ``(T, *batch)``;
    ``name``: the optimizer's label.
    """

    name: str
    x: np.ndarray
    grads: np.ndarray
    state: dict

    @property
    def steps(self):
        return self.grads.shape[0]

    def average_regret(self):
        r"""The average regret :math:`R_t/t` after every step :math:`t = 1..T`.

        :math:`R_t = \sum_{s \le t} f_s(x_{s-1}) - \min_{x \in [-1, 1]}
        \sum_{s \le t} f_s(x)` with :math:`f_s(x) = g_s x`, so the minimum is
        :math:`-|\sum_{s \le t} g_s|`. An algorithm that converges to the
        best point has :math:`R_t/t \to 0`.
        """
        played = np.cumsum(self.grads * self.x[:-1], axis=0)
        best = -np.abs(np.cumsum(self.grads, axis=0))
        t = np.arange(1, self.steps + 1).reshape((-1,) + (1,) * (self.grads.ndim - 1))
        return (played - best) / t

    def final_mean(self, period=3):
        """The mean of :math:`x` over the last ``period`` iterates (one cycle)."""
        return self.x[-period:].mean(axis=0)


def _batch_of(opt, *arrays):
    """The batch shape: arrays broadcast with every array hyperparameter (leading axes)."""
    shapes = [np.shape(a) for a in arrays]
    shapes += [v.shape for v in opt.hyperparameters().values() if isinstance(v, np.ndarray)]
    rank = max([len(s) for s in shapes] + [0])
    try:
        return np.broadcast_shapes(*[s + (1,) * (rank - len(s)) for s in shapes])
    except ValueError:
        raise ValueError(f"C, period and the array hyperparameters do not line up: "
                         f"shapes {shapes} (leading axes)") from None


def online_run(opt, C, steps, period=3, x0=0.0, low=-1.0, high=1.0,
               record=("m", "v", "v_max", "v_inf")):
    r"""Run ``opt`` on Reddi et al.'s online problem, projected onto :math:`[` ``low``, ``high`` :math:`]`.

    At every step :math:`t = 1..T` (``steps``) the optimizer gets
    :math:`g_t` from :func:`reddi_gradients` and updates :math:`x` in place;
    then :math:`x` is clipped to the interval (projected online gradient
    method; the optimizer's state does not see the projection):

    .. math::

        x_t = \Pi_{[-1, 1]}\bigl(x_{t-1} - \text{step of opt}(g_t)\bigr),
        \qquad x_0 = \text{x0}.

    ``C`` and ``period`` may be arrays; together with the optimizer's array
    hyperparameters (leading-axis rule) they set the batch of independent
    runs. ``opt`` is reset first; a learning-rate schedule such as
    ``lambda t: a / np.sqrt(t)`` (the paper's :math:`\alpha_t = \alpha/\sqrt t`)
    is evaluated by the optimizer. ``record`` names the state arrays to keep
    (those the optimizer has). Returns an :class:`OnlineResult`.
    """
    steps = _whole("steps", steps)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"Invalid interval: [{low!r}, {high!r}] (need low < high)")
    if not (np.isfinite(x0) and low <= x0 <= high):
        raise ValueError(f"Invalid x0: {x0!r} (must lie in [{low}, {high}])")
    C = np.asarray(C, dtype=float)
    if not np.all(np.isfinite(C)):
        raise ValueError(f"Invalid C: {C!r} (must be finite)")
    P = _periods(period)
    batch = _batch_of(opt, C, P)
    C = C.reshape(C.shape + (1,) * (len(batch) - C.ndim))
    P = P.reshape(P.shape + (1,) * (len(batch) - P.ndim))
    x = np.full(batch if batch else (1,), float(x0))
    opt.reset()
    xs = np.empty((steps + 1,) + x.shape)
    gs = np.empty((steps,) + x.shape)
    xs[0] = x
    state = {}
    names = [n for n in record if n in opt._state_names()]
    t = np.arange(1, steps + 1).reshape((-1,) + (1,) * x.ndim)
    gs[...] = reddi_gradients(t, C, P)          # the gradients do not depend on x
    for n in names:
        state[n] = np.empty((steps,) + x.shape)
    for k in range(1, steps + 1):
        opt.update(x, gs[k - 1])
        np.clip(x, low, high, out=x)
        xs[k] = x
        for n in names:
            state[n][k - 1] = getattr(opt, n)
    if not batch:
        xs, gs = xs[:, 0], gs[:, 0]
        state = {n: a[:, 0] for n, a in state.items()}
    return OnlineResult(opt.label, xs, gs, state)


def periodic_average(values, beta):
    r"""The steady state of an exponential average of a periodic input.

    ``values`` (shape ``(..., P)``) holds one period :math:`a_1, \dots, a_P`
    of the input (repeated forever); ``beta`` = :math:`\beta`. The average
    :math:`e_t = \beta e_{t-1} + (1 - \beta) a_t` forgets its start, and at
    phase :math:`k` of the period it tends to

    .. math::

        e_k = \frac{1 - \beta}{1 - \beta^P} \sum_{j=0}^{P-1} \beta^j\, a_{k-j}
        \qquad (\text{indices modulo } P).

    Returns shape ``(..., P)``: :math:`e_1, \dots, e_P`. ``beta`` broadcasts
    against the leading axes of ``values``.
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(beta, dtype=float)[..., None]
    if np.any(b < 0) or np.any(b >= 1):
        raise ValueError(f"Invalid beta: {beta!r} (must be in [0, 1))")
    P = a.shape[-1]
    out = 0.0
    for j in range(P):
        out = out + b ** j * np.roll(a, j, axis=-1)
    return (1 - b) / (1 - b ** P) * out


def cycle_drift(C, beta1, beta2, eps=1e-8, period=3, amsgrad=False):
    r"""Predicted movement of Adam's :math:`x` per period, per unit learning rate.

    Once the averages have reached their periodic steady state
    (:func:`periodic_average` of :math:`g` with :math:`\beta_1` and of
    :math:`g^2` with :math:`\beta_2`; the bias corrections are then 1) and
    while the learning rate hardly changes within one period, Adam moves
    :math:`x` per period by :math:`\eta` times

    .. math::

        D = -\sum_{k=1}^{P} \frac{m_k}{\sqrt{v_k} + \varepsilon} .

    :math:`D > 0`: :math:`x` drifts up, to the worst point :math:`+1`;
    :math:`D < 0`: down, to the best point :math:`-1`. With
    ``amsgrad=True`` every :math:`v_k` is replaced by the largest one, the
    limit of AMSGrad's running maximum; since the :math:`m_k` sum to
    :math:`\sum_k g_k = C - (P - 1)`, AMSGrad's :math:`D` is negative
    whenever :math:`x^* = -1`. Scalars or arrays (``C``, ``beta1``,
    ``beta2``) broadcast; ``period`` is one whole number.
    """
    P = _whole("period", period, 2)
    C = np.asarray(C, dtype=float)
    b1, b2 = np.asarray(beta1, dtype=float), np.asarray(beta2, dtype=float)
    shape = np.broadcast_shapes(C.shape, b1.shape, b2.shape)
    g = np.concatenate([np.broadcast_to(C, shape)[..., None],
                        -np.ones(shape + (P - 1,))], axis=-1)
    m = periodic_average(g, np.broadcast_to(b1, shape))
    v = periodic_average(g * g, np.broadcast_to(b2, shape))
    if amsgrad:
        v = np.broadcast_to(v.max(axis=-1, keepdims=True), v.shape)
    return -np.sum(m / (np.sqrt(v) + eps), axis=-1)


# -- AdamW: L2 against decoupled decay --------------------------------------------------
class AdamDecay(Adam):
    r"""Adam with an optional L2 term in the gradient and an optional decoupled decay.

    Symbols as in :class:`optimlib.Adam`, plus :math:`\lambda_2` = ``l2`` and
    the per-step decay :math:`d` = ``decay``:

    .. math::

        \tilde g_t &= g_t + \lambda_2\, \theta_{t-1}
            \quad(\text{Adam runs on } \tilde g_t) \\
        \theta_t &= (1 - d)\,\theta_{t-1} - \eta\,
            \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    Three methods are settings of this class:

    - PyTorch's ``Adam(lr, weight_decay=λ)`` (L2): ``l2=λ, decay=0``;
    - PyTorch's ``AdamW(lr, weight_decay=λ)`` and Optax's ``adamw``: ``decay=lr·λ``;
    - Loshchilov & Hutter's AdamW (Algorithm 2) with schedule multiplier
      :math:`\eta_t = 1`: ``lr=α, decay=λ``.

    Both may be arrays (leading-axis rule), so the three can share one batched run.
    """

    l2 = Hyperparameter("l2")
    decay = Hyperparameter("decay", 0.0, 1.0)

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, l2=0.0, decay=0.0):
        self.l2, self.decay = l2, decay
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    @property
    def label(self):
        return "Adam (L2 / decay)"

    def _step(self, p, g, s, h):
        g = g + h.l2 * p
        p *= 1 - h.decay
        super()._step(p, g, s, h)


def pure_decay(opt, theta0, steps):
    r"""The path of ``opt`` when the loss is flat (:math:`g_t = 0`), only its decay acting.

    ``theta0`` (an array, copied) is the start; returns the iterates
    :math:`\theta_0, \dots, \theta_T`, shape ``(steps + 1, *theta0.shape)``.
    With :class:`AdamDecay` (``decay=d``, ``l2=0``) the path is
    :math:`\theta_t = (1 - d)^t\,\theta_0` exactly (the moments stay 0);
    with ``l2=λ`` Adam sees the gradient :math:`\lambda\theta`, whose scale
    it divides out, so the path hardly depends on :math:`\lambda` (only
    through :math:`\varepsilon`).
    """
    steps = _whole("steps", steps, 0)
    theta = np.array(theta0, dtype=float)
    opt.reset()
    out = np.empty((steps + 1,) + theta.shape)
    out[0] = theta
    zero = np.zeros_like(theta)
    for k in range(1, steps + 1):
        opt.update(theta, zero)
        out[k] = theta
    return out


def decay_under_noise(opt, sigma, steps, copies=2000, seed=0):
    r"""The mean of :math:`\theta_t` over ``copies`` runs from :math:`\theta_0 = 1` under pure noise.

    The loss gradient is noise, :math:`g_t = \sigma\,\xi_t` with
    :math:`\xi_t \sim \mathcal N(0, 1)` independent (seeded), so only the
    decay pulls :math:`\theta` towards 0 on average. ``sigma`` = :math:`\sigma`
    may be an array of shape ``(S,)`` (one noise level per row; the
    optimizer's array hyperparameters line up with it). Returns the mean over
    the copies, shape ``(steps + 1,)`` or ``(steps + 1, S)``, and its
    standard error at the last step.

    Predictions (chapter 9): decoupled decay :math:`d` gives
    :math:`\mathbb E\,\theta_t = (1 - d)^t` exactly, whatever :math:`\sigma`;
    an L2 term :math:`\lambda` reaches Adam's step divided by
    :math:`\sqrt{\hat v_t} \approx \sigma`, so
    :math:`\mathbb E\,\theta_t \approx (1 - \eta\lambda/\sigma)^t`
    (when :math:`\lambda|\theta| \ll \sigma`).
    """
    steps = _whole("steps", steps, 1)
    copies = _whole("copies", copies, 2)
    sigma = np.asarray(sigma, dtype=float)
    if not np.all(np.isfinite(sigma) & (sigma > 0)):
        raise ValueError(f"Invalid sigma: {sigma!r} (must be > 0)")
    shape = sigma.shape + (copies,)
    theta = np.ones(shape)
    scale = sigma.reshape(sigma.shape + (1,))
    rng = np.random.default_rng(seed)
    opt.reset()
    mean = np.empty((steps + 1,) + sigma.shape)
    mean[0] = 1.0
    for k in range(1, steps + 1):
        opt.update(theta, scale * rng.standard_normal(shape))
        mean[k] = theta.mean(axis=-1)
    se = theta.std(axis=-1, ddof=1) / np.sqrt(copies)
    return mean, se


def decay_grid(model, data, etas, lams, seeds, rows=60, steps=400, norms=False):
    r"""Validation loss after ``steps`` full-batch steps, over learning rate × decay, three ways.

    For every seed a training set of ``rows`` rows is drawn (seeded) from
    ``data.X_train``; the model starts at ``model.init(seed)`` and one
    batched run (the leading-axis rule: every setting is a copy of the
    model) takes ``steps`` full-batch steps of :class:`AdamDecay` over the
    grid ``etas`` × ``lams`` in three settings:

    0. L2 in the gradient (PyTorch ``Adam(weight_decay=λ)``): ``l2=λ``;
    1. PyTorch's ``AdamW(lr=η, weight_decay=λ)``: ``decay=η·λ``;
    2. Loshchilov & Hutter's AdamW: ``decay=λ`` (schedule multiplier 1).

    The loop is the plain one (gradient on the training rows, update), with
    no loss recorded on the way. Returns the validation loss at the end
    (the model's loss on ``data.X_val``, which has no penalty when
    ``model.l2 = 0``), shape ``(3, len(etas), len(lams), len(seeds))``. With
    ``norms=True``, also the largest :math:`|\theta_i|` of every copy at the
    end (:math:`\lVert\theta\rVert_\infty` over weights and biases), same
    shape: with a decoupled decay :math:`d` it is at most about
    :math:`\eta/d` (chapter 9).
    """
    steps = _whole("steps", steps)
    rows = _whole("rows", rows, 2)
    etas, lams = np.asarray(etas, dtype=float), np.asarray(lams, dtype=float)
    E, L = np.meshgrid(etas, lams, indexing="ij")
    E, L = E.ravel(), L.ravel()
    zero = np.zeros_like(E)
    lr = np.concatenate([E, E, E])
    l2 = np.concatenate([L, zero, zero])
    decay = np.concatenate([zero, E * L, L])
    if np.any(decay > 1):
        raise ValueError(f"Invalid decay per step: {float(decay.max())!r} in the grid "
                         "(must be <= 1; choose smaller λ)")
    out = np.empty((lr.size, len(seeds)))
    largest = np.empty((lr.size, len(seeds)))
    for i, seed in enumerate(seeds):
        pick = np.random.default_rng(seed).choice(len(data.y_train), rows, replace=False)
        X, y = data.X_train[pick], data.y_train[pick]
        params = model.init(seed=seed, copies=lr.size)
        opt = AdamDecay(lr=lr, l2=l2, decay=decay)
        for _ in range(steps):
            opt.update(params, model.loss_and_grad(params, X, y)[1])
        out[:, i] = model.loss(params, data.X_val, data.y_val)
        largest[:, i] = np.max([np.abs(p).reshape(lr.size, -1).max(axis=1)
                                for p in params.values()], axis=0)
    shape = (3, etas.size, lams.size, len(seeds))
    if norms:
        return out.reshape(shape), largest.reshape(shape)
    return out.reshape(shape)


# -- NAdam -------------------------------------------------------------------------------
def nadam_mu(t, beta1=0.9, momentum_decay=0.004):
    r"""PyTorch's (and Dozat's) momentum schedule :math:`\mu_t = \beta_1\bigl(1 - \tfrac12\,0.96^{t\psi}\bigr)`.

    ``t`` = :math:`t` (array or int), ``beta1`` = :math:`\beta_1`,
    ``momentum_decay`` = :math:`\psi`. It starts at about :math:`\beta_1/2`
    and reaches :math:`\tfrac34\beta_1`, half-way to :math:`\beta_1`, at
    :math:`t = \ln 2 / (\psi \ln(1/0.96))` (4245 steps for :math:`\psi = 0.004`).
    """
    return beta1 * (1 - 0.5 * 0.96 ** (np.asarray(t, dtype=float) * momentum_decay))


def nadam_constant_steps(grads, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
    r"""The steps :math:`\theta_t - \theta_{t-1}` of NAdam with a constant momentum :math:`\mu = \beta_1`.

    The form derived in chapter 9 from Nesterov's look-ahead: the next
    momentum :math:`m_{t+1}` is estimated with the latest gradient, each
    term with its own bias correction,

    .. math::

        \bar m_t = \frac{\beta_1\, m_t}{1 - \beta_1^{t+1}}
                   + \frac{(1 - \beta_1)\, g_t}{1 - \beta_1^t}, \qquad
        \theta_t - \theta_{t-1} = -\eta\, \frac{\bar m_t}{\sqrt{\hat v_t} + \varepsilon},

    with :math:`m_t, \hat v_t` as in Adam. ``grads`` has shape ``(T, ...)``
    (a fixed gradient stream); returns the steps, same shape.
    """
    g = np.asarray(grads, dtype=float)
    m = np.zeros(g.shape[1:])
    v = np.zeros(g.shape[1:])
    out = np.empty_like(g)
    for k in range(1, g.shape[0] + 1):
        m = beta1 * m + (1 - beta1) * g[k - 1]
        v = beta2 * v + (1 - beta2) * g[k - 1] ** 2
        m_bar = beta1 * m / (1 - beta1 ** (k + 1)) + (1 - beta1) * g[k - 1] / (1 - beta1 ** k)
        out[k - 1] = -lr * m_bar / (np.sqrt(v / (1 - beta2 ** k)) + eps)
    return out


def nesterov_numerators(grads, beta1=0.9):
    r"""NAdam's numerator without bias corrections, :math:`\beta_1 m_t + (1 - \beta_1) g_t`.

    With :math:`m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t` this is
    :math:`(1 - \beta_1)(\beta_1 b_t + g_t)` for the buffer
    :math:`b_t = \beta_1 b_{t-1} + g_t`: PyTorch's Nesterov step
    (chapter 4) times :math:`1 - \beta_1`. ``grads``: shape ``(T, ...)``.
    """
    g = np.asarray(grads, dtype=float)
    m = np.zeros(g.shape[1:])
    out = np.empty_like(g)
    for k in range(g.shape[0]):
        m = beta1 * m + (1 - beta1) * g[k]
        out[k] = beta1 * m + (1 - beta1) * g[k]
    return out


# -- AdaMax ------------------------------------------------------------------------------
def pnorm_average(grads, beta2, p):
    r"""Kingma & Ba's :math:`p`-norm second moment, :math:`\bigl(v^{(p)}_t\bigr)^{1/p}`, for every :math:`t`.

    .. math::

        v^{(p)}_t = \beta_2^p\, v^{(p)}_{t-1} + (1 - \beta_2^p)\, |g_t|^p
                  = (1 - \beta_2^p) \sum_{s=1}^{t} \beta_2^{p(t-s)} |g_s|^p,
        \qquad v^{(p)}_0 = 0 .

    :math:`p = 2` is Adam's :math:`\sqrt{v_t}` (with :math:`\beta_2^2` in
    place of :math:`\beta_2`). Computed from the sum in logarithms, so large
    :math:`p` neither overflows nor underflows. ``grads``: shape ``(T, ...)``;
    ``beta2`` = :math:`\beta_2`, ``p`` = :math:`p > 0`. Returns shape
    ``(T, ...)``; 0 where all gradients so far were 0.
    """
    if not p > 0:
        raise ValueError(f"Invalid p: {p!r} (must be > 0)")
    g = np.abs(np.asarray(grads, dtype=float))
    T = g.shape[0]
    out = np.zeros_like(g)
    with np.errstate(divide="ignore"):
        logs = np.log(g)
    s = np.arange(1, T + 1).reshape((-1,) + (1,) * (g.ndim - 1))
    for t in range(1, T + 1):
        terms = p * ((t - s[:t]) * np.log(beta2) + logs[:t])     # log of (β₂^{t-s}|g_s|)^p
        top = terms.max(axis=0)
        finite = np.isfinite(top)
        safe = np.where(finite, top, 0.0)
        lse = safe + np.log(np.exp(terms - safe).sum(axis=0))
        value = np.exp((np.log1p(-beta2 ** p) + lse) / p)
        out[t - 1] = np.where(finite, value, 0.0)
    return out


def adamax_v_inf(grads, beta2, eps=0.0):
    r"""AdaMax's accumulator :math:`v^\infty_t = \max(\beta_2 v^\infty_{t-1}, |g_t| + \varepsilon)`.

    With :math:`\varepsilon = 0` this is :math:`\max_{s \le t} \beta_2^{t-s}|g_s|`,
    the limit :math:`p \to \infty` of :func:`pnorm_average`. ``grads``:
    shape ``(T, ...)``; returns the same shape.
    """
    g = np.abs(np.asarray(grads, dtype=float))
    out = np.empty_like(g)
    u = np.zeros(g.shape[1:])
    for k in range(g.shape[0]):
        u = np.maximum(beta2 * u, g[k] + eps)
        out[k] = u
    return out


def adamax_step_bound(t, beta1=0.9, beta2=0.999):
    r"""The largest possible AdaMax step, in units of :math:`\eta`, at step :math:`t` (:math:`\varepsilon = 0`).

    With :math:`r = \beta_1/\beta_2`,

    .. math::

        \frac{|\theta_t - \theta_{t-1}|}{\eta} \le
        \frac{(1 - \beta_1)\,(1 - r^t)}{(1 - r)\,(1 - \beta_1^t)}
        \quad (r \ne 1), \qquad
        \frac{(1 - \beta_1)\, t}{1 - \beta_1^t} \quad (r = 1),

    attained by gradients that shrink like :math:`\beta_2^{s}` (each as large as
    the decayed maximum of the earlier ones). For
    :math:`\beta_2 = 1` the bound is exactly 1.
    """
    t = np.asarray(t, dtype=float)
    r = beta1 / beta2
    if np.isclose(r, 1.0):
        return (1 - beta1) * t / (1 - beta1 ** t)
    return (1 - beta1) * (1 - r ** t) / ((1 - r) * (1 - beta1 ** t))


# -- Lion (a pointer to current research; not part of the core library) ----------------
class Lion(Optimizer):
    r"""Lion (Chen et al., 2023): the sign of an interpolated momentum. Not part of optimlib's core.

    Symbols: :math:`\eta` = ``lr``, :math:`\beta_1, \beta_2` = ``beta1,
    beta2``, decoupled weight decay :math:`\lambda` = ``weight_decay``, the
    momentum :math:`m_t` = ``self.m`` (starts at 0):

    .. math::

        c_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        \theta_t &= \theta_{t-1} - \eta\,\bigl(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\bigr) \\
        m_t &= \beta_2 m_{t-1} + (1 - \beta_2)\, g_t

    Every coordinate moves by exactly :math:`\eta` per step (plus the
    decay), unless :math:`c_t = 0`. Defaults as in the paper's code
    (``lr=1e-4, betas=(0.9, 0.99), weight_decay=0``). A sketch for the
    chapter, checked against the formulas above but against no reference
    implementation.
    """

    lr = Hyperparameter("learning rate")
    beta1 = Hyperparameter("beta1", 0.0, 1.0)
    beta2 = Hyperparameter("beta2", 0.0, 1.0)
    weight_decay = Hyperparameter("weight decay")
    state_names = ("m",)

    def __init__(self, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)

    def _step(self, p, g, s, h):
        c = h.beta1 * s.m + (1 - h.beta1) * g
        p *= 1 - h.lr * h.weight_decay
        p -= h.lr * np.sign(c)
        s.m *= h.beta2
        s.m += (1 - h.beta2) * g


# -- the explorer --------------------------------------------------------------------------
#: The explorer's choices and how each is built from the sliders.
CHOICES = ("Adam", "AMSGrad", "AdamW", "NAdam", "AdaMax")


def make_optimizer(name, lr, beta1, beta2, weight_decay=0.01):
    """The optimlib optimizer ``name`` (one of :data:`CHOICES`) with these hyperparameters.

    ``weight_decay`` is used by AdamW only (PyTorch's convention: the decay
    per step is ``lr * weight_decay``).
    """
    if name == "Adam":
        return Adam(lr=lr, beta1=beta1, beta2=beta2)
    if name == "AMSGrad":
        return Adam(lr=lr, beta1=beta1, beta2=beta2, amsgrad=True)
    if name == "AdamW":
        return _optimizers.AdamW(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)
    if name == "NAdam":
        return _optimizers.NAdam(lr=lr, beta1=beta1, beta2=beta2)
    if name == "AdaMax":
        return _optimizers.AdaMax(lr=lr, beta1=beta1, beta2=beta2)
    raise ValueError(f"Invalid optimizer: {name!r} (one of {', '.join(CHOICES)})")


def _title(ax, text):
    """A title as an ordinary text artist above the axes (drawn like the curves, so a
    fast redraw places it exactly where a full one does)."""
    ax.text(0.0, 1.005, text, transform=ax.transAxes, ha="left", va="bottom", fontsize=9,
            clip_on=False, zorder=3)


def _denominator(r):
    """The root of what divides the step: √v (Adam, AdamW, NAdam), √v_max (AMSGrad),
    v_inf (AdaMax)."""
    if "v_max" in r.state:
        return np.sqrt(r.state["v_max"])
    if "v_inf" in r.state:
        return r.state["v_inf"]
    return np.sqrt(r.state["v"])


@register("beyond_adam", chapter="09_beyond_adam", ncols=2, figsize=(9.5, 3.7),
          flipbook=("optimizer", list(CHOICES)),
          optimizer=("optimizer", "Adam", CHOICES),
          C=("large gradient C", 3.0, 2.5, 20.0, 0.5),
          lr=("learning rate η", 10 ** -0.5, 0.001, 1.0, 0.25, True),
          beta1=("β₁", 0.0, 0.0, 0.99, 0.01),
          beta2=("β₂", 0.1, 0.0, 0.999, 0.001),
          weight_decay=("weight decay λ (AdamW)", 0.01, 0.0, 1.0, 0.01))
def beyond_adam(axes, optimizer, C, lr, beta1, beta2, weight_decay=0.01, steps=150):
    r"""One of Adam, AMSGrad, AdamW, NAdam, AdaMax on Reddi et al.'s problem, against Adam.

    ``steps`` steps of :func:`online_run` (gradient :math:`C` = ``C`` once per
    period of 3, else :math:`-1`; :math:`x \in [-1, 1]`, :math:`x_0 = 0`) with
    the learning rate :math:`\eta/\sqrt t` (:math:`\eta` = ``lr``), the
    chosen ``optimizer`` with ``beta1``, ``beta2`` (and ``weight_decay``
    :math:`\lambda` for AdamW, PyTorch's convention), next to Adam with the
    same :math:`\eta, \beta_1, \beta_2` in grey (not drawn twice when the
    choice is Adam). ``axes[0]``: :math:`x_t`; ``axes[1]``: the root of the
    denominator (:math:`\sqrt{v_t}`, AMSGrad's :math:`\sqrt{v^{\max}_t}`,
    AdaMax's :math:`v^\infty_t`). Returns the report: where each run ends
    (the mean of :math:`x` over the last period) and the predicted drift of
    Adam and AMSGrad (:func:`cycle_drift`).
    """
    top = 3
    opt = make_optimizer(optimizer, lambda t: lr / np.sqrt(t), beta1, beta2, weight_decay)
    keep = ("v", "v_max", "v_inf")
    runs = [online_run(opt, C, steps, record=keep)]
    if optimizer != "Adam":
        ref = make_optimizer("Adam", lambda t: lr / np.sqrt(t), beta1, beta2)
        runs.insert(0, online_run(ref, C, steps, record=keep))
    t = np.arange(steps + 1)
    for r in runs:
        is_ref = r is not runs[-1]
        st = style_of(r.name)
        color = "#bbbbbb" if is_ref else st["color"]
        ls = "-" if is_ref else st["linestyle"]
        lw = 2.5 if is_ref else 1.3
        axes[0].plot(t, r.x, color=color, lw=lw, ls=ls, zorder=top)
        axes[1].plot(t[1:], np.maximum(_denominator(r), 1e-3), color=color, lw=lw, ls=ls,
                     zorder=top)
    axes[0].axhline(-1, color="#4d4d4d", lw=0.8, ls=":", zorder=top)
    axes[0].set(xlim=(0, steps), ylim=(-1.1, 1.1), xlabel="step $t$", ylabel="$x_t$")
    axes[1].set_yscale("log")
    axes[1].set(xlim=(0, steps), ylim=(1e-2, 30), xlabel="step $t$",
                ylabel="root of the denominator")
    _title(axes[0], "x_t (best point: −1); grey: Adam, same η, β")
    _title(axes[1], "√v, √v_max (AMSGrad) or v_inf (AdaMax); grey: Adam")
    ends = [f"{'Adam' if r is not runs[-1] else optimizer} ends at x ≈ "
            f"{float(r.final_mean()):+.2f}" for r in runs[::-1]]
    drift = float(cycle_drift(C, beta1, beta2))
    drift_ams = float(cycle_drift(C, beta1, beta2, amsgrad=True))
    return (f"{optimizer}, C = {C:g}, η = {lr:.3g}/√t, β₁ = {beta1:.3g}, β₂ = {beta2:.4g}"
            + (f", λ = {weight_decay:.3g}" if optimizer == "AdamW" else "")
            + ": " + "; ".join(ends)
            + f"; drift per period: Adam {drift:+.2f}η, AMSGrad {drift_ams:+.2f}η")
