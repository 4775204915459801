r"""Other libraries' conventions, a few lines each, to set beside optimlib (Appendix A).

PyTorch, Keras, Optax and *Deep Learning from Scratch* implement "the same"
optimizers with different defaults and small formula choices: where
:math:`\varepsilon` sits, what an accumulator starts at, how momentum is stored,
how the bias correction is folded into the step. Each function here runs one
such convention on a **fixed gradient sequence** and returns the parameters
after every step, so that the appendix can print them next to an optimlib run
and show the difference.

Shared conventions of every function:

* ``grads`` has shape ``(T,)`` or ``(T, n)``: row ``t - 1`` is the gradient
  :math:`g_t` used at step :math:`t`. The gradients do not depend on the
  parameters (weight decay, where there is any, is added to them).
* ``theta0`` is :math:`\theta_0`, a number or an array of shape ``(n,)``.
* The result has the shape of ``grads``: row ``t - 1`` is :math:`\theta_t`.
* ``lr`` is :math:`\eta`, a number or a sequence of ``T`` numbers (one per
  step, for a learning rate that changes).
* Bad hyperparameters raise ``ValueError`` naming them; numpy only.

The notation is the book's (chapters/notation.md): :math:`g_t` gradient,
:math:`\eta` learning rate, :math:`\mu` momentum, :math:`h_t` AdaGrad's sum,
:math:`v_t` second moment, :math:`u_t` Adadelta's average of squared updates,
:math:`m_t` first moment, :math:`\beta_1, \beta_2`, :math:`\varepsilon`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["optimlib_steps", "function_steps", "sgd_steps", "momentum_buffer_steps", "dlfs_nesterov_steps",
           "adagrad_steps", "rmsprop_steps", "adadelta_steps", "adam_steps", "nadam_steps",
           "adamax_steps", "side_by_side"]


# -- argument checks ---------------------------------------------------------------------
def _number(name, value, low=0.0, high=None, high_open=True):
    """``value`` as a float, or a ValueError/TypeError that names it."""
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        raise TypeError(f"Invalid {name}: {value!r} (a number is expected)")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"Invalid {name}: {value!r} (a number is expected)") from None
    ok = np.isfinite(x) and x >= low
    if high is not None:
        ok = ok and (x < high if high_open else x <= high)
    if not ok:
        rule = (f"must be finite and >= {low:g}" if high is None
                else f"must be in [{low:g}, {high:g}{')' if high_open else ']'}")
        raise ValueError(f"Invalid {name}: {x!r} ({rule})")
    return x


def _gradients(grads):
    """``grads`` as a float64 array of shape (T, n), and whether it was (T,)."""
    g = np.array(grads, dtype=np.float64)
    if g.ndim not in (1, 2) or g.shape[0] == 0 or g.size == 0:
        raise ValueError(f"Invalid grads: shape {g.shape} (expected (T,) or (T, n) with T >= 1)")
    if not np.all(np.isfinite(g)):
        raise ValueError("Invalid grads: they contain inf or nan")
    flat = g.ndim == 1
    return (g[:, None] if flat else g), flat


def _start(theta0, n):
    th = np.array(theta0, dtype=np.float64)
    if th.ndim == 0:
        th = np.full(n, float(th))
    if th.shape != (n,) or not np.all(np.isfinite(th)):
        raise ValueError(f"Invalid theta0: shape {th.shape} (a number or a finite array of "
                         f"shape ({n},) is expected)")
    return th.copy()


def _rates(lr, T):
    """Learning rate per step: ``T`` floats, each checked."""
    arr = np.array(lr, dtype=np.float64) if not isinstance(lr, (bool, str)) else None
    if arr is None or arr.ndim > 1:
        raise TypeError(f"Invalid learning rate: {lr!r} (a number or a sequence of numbers)")
    if arr.ndim == 0:
        return np.full(T, _number("learning rate", float(arr)))
    if arr.shape != (T,):
        raise ValueError(f"Invalid learning rate: {arr.shape[0]} values for {T} steps")
    return np.array([_number(f"learning rate at step {t + 1}", x) for t, x in enumerate(arr)])


def _ratio(num, den):
    """``num / den``, and 0 where ``den`` is 0 (then ``num`` is 0 too)."""
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _result(rows, flat):
    out = np.array(rows)
    return out[:, 0] if flat else out


# -- optimlib, run the same way ----------------------------------------------------------
def optimlib_steps(opt, grads, theta0=0.0):
    r"""Run an optimlib optimizer on a fixed gradient sequence.

    ``opt`` is used from a fresh state (``opt.reset()`` is called first); at
    step :math:`t` it receives :math:`g_t` (row ``t - 1`` of ``grads``).
    Returns :math:`\theta_1, \dots, \theta_T` in the shape of ``grads``.
    """
    g, flat = _gradients(grads)
    theta = _start(theta0, g.shape[1])
    if not hasattr(opt, "update") or not hasattr(opt, "reset"):
        raise TypeError(f"opt must be an optimlib optimizer, got {type(opt).__name__}")
    opt.reset()
    rows = []
    for gt in g:
        opt.update(theta, gt.copy())
        rows.append(theta.copy())
    return _result(rows, flat)


def function_steps(step, grads, theta0=0.0):
    r"""Run a step function ``step(theta, g) -> new theta`` on a fixed gradient sequence.

    For one-step implementations written another way, such as the
    PyTorch-formulated classes of :mod:`optimlib.reference` (pass
    ``TorchAdam().step``). ``step`` receives float64 arrays of shape ``(n,)``
    and must return an array of the same shape; it is called with
    :math:`\theta_{t-1}` and :math:`g_t` for :math:`t = 1, \dots, T`.
    """
    if not callable(step):
        raise TypeError(f"step must be a function step(theta, g), got {type(step).__name__}")
    g, flat = _gradients(grads)
    theta = _start(theta0, g.shape[1])
    rows = []
    for t, gt in enumerate(g, start=1):
        new = np.asarray(step(theta.copy(), gt.copy()), dtype=np.float64)
        if new.shape != theta.shape:
            raise ValueError(f"step returned shape {new.shape} at step {t}; "
                             f"expected {theta.shape}")
        theta = new
        rows.append(theta)
    return _result(rows, flat)


# -- the conventions ---------------------------------------------------------------------
def sgd_steps(grads, lr, theta0=0.0):
    r"""Plain gradient descent, the same in every library:

    .. math::

        \theta_t = \theta_{t-1} - \eta_t\, g_t
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    theta = _start(theta0, g.shape[1])
    rows = []
    for t, gt in enumerate(g):
        theta = theta - eta[t] * gt
        rows.append(theta)
    return _result(rows, flat)


def momentum_buffer_steps(grads, lr, momentum, theta0=0.0, nesterov=False):
    r"""Momentum as PyTorch's ``SGD`` and Optax's ``trace`` store it: a buffer of gradients.

    The buffer :math:`b_t` holds no learning rate; the rate multiplies the
    step. With :math:`\mu` = ``momentum`` and :math:`b_0 = 0` (PyTorch sets
    :math:`b_1 = g_1`, the same thing):

    .. math::

        b_t &= \mu\, b_{t-1} + g_t \\
        d_t &= \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise}
               \end{cases} \\
        \theta_t &= \theta_{t-1} - \eta_t\, d_t

    While :math:`\eta` is constant this is the velocity form
    :math:`v_t = -\eta\, b_t` of optimlib, Keras and *Deep Learning from
    Scratch*; after the rate changes the two differ (chapter 3).
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    mu = _number("momentum", momentum, 0.0, 1.0)
    theta = _start(theta0, g.shape[1])
    b = np.zeros_like(theta)
    rows = []
    for t, gt in enumerate(g):
        b = mu * b + gt
        d = gt + mu * b if nesterov else b
        theta = theta - eta[t] * d
        rows.append(theta)
    return _result(rows, flat)


def dlfs_nesterov_steps(grads, lr, momentum, theta0=0.0):
    r"""Nesterov momentum as *Deep Learning from Scratch*'s ``common/optimizer.py`` codes it.

    The velocity is updated first, and the parameter step then uses the
    *updated* velocity in the :math:`\mu^2` term:

    .. math::

        v_t &= \mu\, v_{t-1} - \eta_t\, g_t \\
        \theta_t &= \theta_{t-1} + \mu^2 v_t - (1 + \mu)\, \eta_t\, g_t

    The form of Bengio et al. (2013) it follows has :math:`\mu^2 v_{t-1}`
    there, which equals optimlib's :math:`\mu v_t - \eta g_t`; with
    :math:`v_t` the first step is :math:`-(1 + \mu + \mu^2)\,\eta g_1`
    instead of :math:`-(1 + \mu)\,\eta g_1`.
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    mu = _number("momentum", momentum, 0.0, 1.0)
    theta = _start(theta0, g.shape[1])
    v = np.zeros_like(theta)
    rows = []
    for t, gt in enumerate(g):
        v = mu * v - eta[t] * gt
        theta = theta + mu * mu * v - (1 + mu) * eta[t] * gt
        rows.append(theta)
    return _result(rows, flat)


def adagrad_steps(grads, lr, eps, h0=0.0, eps_inside=False, theta0=0.0):
    r"""AdaGrad with a chosen start :math:`h_0` and a chosen place for :math:`\varepsilon`.

    .. math::

        h_t &= h_{t-1} + g_t \odot g_t \\
        \theta_t &= \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{h_t} + \varepsilon}
        \quad\text{or, with } \texttt{eps\_inside}, \quad
        \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{h_t + \varepsilon}}

    PyTorch: :math:`h_0 = 0`, :math:`\varepsilon = 10^{-10}` outside.
    Keras 3 and Optax: :math:`h_0 = 0.1`, :math:`\varepsilon = 10^{-7}` inside.
    TensorFlow 1's ``AdagradOptimizer``: :math:`h_0 = 0.1`, no
    :math:`\varepsilon` (``eps=0``). *Deep Learning from Scratch*:
    :math:`h_0 = 0`, :math:`10^{-7}` outside. Inside the root,
    :math:`\varepsilon` only adds to the start: :math:`h_t + \varepsilon` is
    the sum started from :math:`h_0 + \varepsilon`.
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    eps = _number("epsilon", eps)
    h0 = _number("initial accumulator h0", h0)
    theta = _start(theta0, g.shape[1])
    h = np.full_like(theta, h0)
    rows = []
    for t, gt in enumerate(g):
        h = h + gt * gt
        den = np.sqrt(h + eps) if eps_inside else np.sqrt(h) + eps
        theta = theta - eta[t] * _ratio(gt, den)
        rows.append(theta)
    return _result(rows, flat)


def rmsprop_steps(grads, lr, rho, eps, v0=0.0, eps_inside=False, theta0=0.0):
    r"""RMSProp with a chosen start :math:`v_0` and a chosen place for :math:`\varepsilon`.

    .. math::

        v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t \\
        \theta_t &= \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{v_t} + \varepsilon}
        \quad\text{or, with } \texttt{eps\_inside}, \quad
        \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{v_t + \varepsilon}}

    PyTorch: :math:`\rho = 0.99`, :math:`\varepsilon = 10^{-8}` outside,
    :math:`v_0 = 0`. Keras 3: :math:`\rho = 0.9`, :math:`10^{-7}` inside,
    :math:`v_0 = 0`. Optax: :math:`\rho = 0.9`, :math:`10^{-8}` inside,
    :math:`v_0 = 0`. TensorFlow 1's ``RMSPropOptimizer``: :math:`\rho = 0.9`,
    :math:`10^{-10}` inside, :math:`v_0 = 1`. *Deep Learning from Scratch*:
    :math:`\rho = 0.99`, :math:`10^{-7}` outside, :math:`v_0 = 0`.
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    rho = _number("rho", rho, 0.0, 1.0)
    eps = _number("epsilon", eps)
    v0 = _number("initial average v0", v0)
    theta = _start(theta0, g.shape[1])
    v = np.full_like(theta, v0)
    rows = []
    for t, gt in enumerate(g):
        v = rho * v + (1 - rho) * gt * gt
        den = np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps
        theta = theta - eta[t] * _ratio(gt, den)
        rows.append(theta)
    return _result(rows, flat)


def adadelta_steps(grads, lr, rho, eps, theta0=0.0):
    r"""Adadelta as PyTorch, Keras 3 and Optax code it (:math:`\varepsilon` inside both roots).

    .. math::

        v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{v_t + \varepsilon}}\, g_t \\
        u_t &= \rho\, u_{t-1} + (1 - \rho)\, \Delta_t \odot \Delta_t \\
        \theta_t &= \theta_{t-1} - \eta_t\, \Delta_t

    with :math:`v_0 = u_0 = 0`. The libraries differ in the defaults only:
    PyTorch :math:`\eta = 1, \rho = 0.9, \varepsilon = 10^{-6}`; Keras 3
    :math:`\eta = 10^{-3}, \rho = 0.95, \varepsilon = 10^{-7}`.
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    rho = _number("rho", rho, 0.0, 1.0)
    eps = _number("epsilon", eps)
    theta = _start(theta0, g.shape[1])
    v = np.zeros_like(theta)
    u = np.zeros_like(theta)
    rows = []
    for t, gt in enumerate(g):
        v = rho * v + (1 - rho) * gt * gt
        delta = _ratio(np.sqrt(u + eps), np.sqrt(v + eps)) * gt
        u = rho * u + (1 - rho) * delta * delta
        theta = theta - eta[t] * delta
        rows.append(theta)
    return _result(rows, flat)


def adam_steps(grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, eps_form="corrected",
               eps_root=0.0, weight_decay=0.0, theta0=0.0):
    r"""Adam with the bias correction and :math:`\varepsilon` placed as a library does.

    With :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t` and
    :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t \odot g_t` from zero,

    * ``eps_form="corrected"`` (PyTorch, optimlib, Optax): the corrected
      moments :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t =
      v_t/(1-\beta_2^t)` and

      .. math::

          \theta_t = \theta_{t-1} - \eta_t\,
          \frac{\hat m_t}{\sqrt{\hat v_t + \varepsilon_{\text{root}}} + \varepsilon}

      where :math:`\varepsilon_{\text{root}}` = ``eps_root`` is Optax's
      constant inside the root (0 by default, and in PyTorch).
    * ``eps_form="hat"`` (Keras 3, *Deep Learning from Scratch*, the Adam
      paper's "efficient" form): the correction is folded into the rate and
      :math:`\hat\varepsilon` = ``eps`` is added to the uncorrected root,

      .. math::

          \alpha_t = \eta_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}, \qquad
          \theta_t = \theta_{t-1} - \alpha_t\, \frac{m_t}{\sqrt{v_t} + \hat\varepsilon},

      which is the corrected form with :math:`\varepsilon =
      \hat\varepsilon/\sqrt{1-\beta_2^t}`, a constant that shrinks from
      :math:`31.6\,\hat\varepsilon` at :math:`t = 1` (for
      :math:`\beta_2 = 0.999`) towards :math:`\hat\varepsilon`.

    ``weight_decay`` :math:`\lambda_{\mathrm{wd}}` is decoupled, as in
    PyTorch's ``AdamW``, Keras 3 and Optax's ``adamw``: first
    :math:`\theta_{t-1} \leftarrow (1 - \eta_t \lambda_{\mathrm{wd}})\,\theta_{t-1}`,
    then the step with the gradient taken before the shrink.
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    b1 = _number("beta1", beta1, 0.0, 1.0)
    b2 = _number("beta2", beta2, 0.0, 1.0)
    eps = _number("epsilon", eps)
    eps_root = _number("eps_root", eps_root)
    wd = _number("weight decay", weight_decay)
    if eps_form not in ("corrected", "hat"):
        raise ValueError(f"Invalid eps_form: {eps_form!r} (must be 'corrected' or 'hat')")
    if eps_form == "hat" and eps_root != 0:
        raise ValueError(f"Invalid eps_root: {eps_root!r} (only the 'corrected' form has one)")
    theta = _start(theta0, g.shape[1])
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    rows = []
    for t, gt in enumerate(g, start=1):
        theta = theta * (1 - eta[t - 1] * wd)
        m = b1 * m + (1 - b1) * gt
        v = b2 * v + (1 - b2) * gt * gt
        if eps_form == "corrected":
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            theta = theta - eta[t - 1] * _ratio(m_hat, np.sqrt(v_hat + eps_root) + eps)
        else:
            alpha = eta[t - 1] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            theta = theta - alpha * _ratio(m, np.sqrt(v) + eps)
        rows.append(theta)
    return _result(rows, flat)


def nadam_steps(grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=0.004,
                theta0=0.0):
    r"""NAdam (Dozat, 2016) with the momentum schedule of PyTorch, Keras 3 or Optax.

    With :math:`\psi` = ``momentum_decay``, the momentum at step :math:`t` is

    .. math::

        \mu_t = \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr),

    PyTorch's schedule (:math:`\psi = 0.004`); Keras 3 uses
    :math:`0.96^{t}`, that is :math:`\psi = 1`; ``momentum_decay=None``
    gives Optax's constant :math:`\mu_t = \beta_1`. With
    :math:`\Pi_t = \mu_1 \cdots \mu_t`, the moments of :class:`adam_steps`
    and :math:`\hat v_t = v_t/(1-\beta_2^t)`:

    .. math::

        \hat m_t &= \frac{\mu_{t+1}\, m_t}{1 - \Pi_t\, \mu_{t+1}}
                   + \frac{(1 - \mu_t)\, g_t}{1 - \Pi_t} \\
        \theta_t &= \theta_{t-1} - \eta_t\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    b1 = _number("beta1", beta1, 0.0, 1.0)
    b2 = _number("beta2", beta2, 0.0, 1.0)
    eps = _number("epsilon", eps)
    psi = None if momentum_decay is None else _number("momentum_decay", momentum_decay)

    def mu(t):
        return b1 if psi is None else b1 * (1 - 0.5 * 0.96 ** (t * psi))

    theta = _start(theta0, g.shape[1])
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    prod = 1.0
    rows = []
    for t, gt in enumerate(g, start=1):
        m = b1 * m + (1 - b1) * gt
        v = b2 * v + (1 - b2) * gt * gt
        mu_t, mu_next = mu(t), mu(t + 1)
        prod *= mu_t
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * gt / (1 - prod)
        v_hat = v / (1 - b2 ** t)
        theta = theta - eta[t - 1] * _ratio(m_hat, np.sqrt(v_hat) + eps)
        rows.append(theta)
    return _result(rows, flat)


def adamax_steps(grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, eps_in_max=True, theta0=0.0):
    r"""AdaMax (Kingma & Ba, 2015, section 7.1) with :math:`\varepsilon` where a library puts it.

    The infinity-norm accumulator, written :math:`v^\infty_t` in the book (Kingma
    & Ba's :math:`u_t`, renamed so that it is not Adadelta's :math:`u_t`;
    ``AdaMax.v_inf`` in code), and the step:

    * ``eps_in_max=True`` (PyTorch, Optax):

      .. math::

          v^\infty_t = \max\bigl(\beta_2\, v^\infty_{t-1},\ |g_t| + \varepsilon\bigr), \qquad
          \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,\frac{m_t}{v^\infty_t}

    * ``eps_in_max=False`` (Keras 3):

      .. math::

          v^\infty_t = \max\bigl(\beta_2\, v^\infty_{t-1},\ |g_t|\bigr), \qquad
          \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,\frac{m_t}{v^\infty_t + \varepsilon}

    with :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t` and
    :math:`m_0 = v^\infty_0 = 0`. The first steps agree; they part once the
    maximum keeps an old :math:`\beta_2 v^\infty_{t-1}`, which carries
    :math:`\varepsilon` in the first form.
    """
    g, flat = _gradients(grads)
    eta = _rates(lr, g.shape[0])
    b1 = _number("beta1", beta1, 0.0, 1.0)
    b2 = _number("beta2", beta2, 0.0, 1.0)
    eps = _number("epsilon", eps)
    theta = _start(theta0, g.shape[1])
    m = np.zeros_like(theta)
    s = np.zeros_like(theta)
    rows = []
    for t, gt in enumerate(g, start=1):
        m = b1 * m + (1 - b1) * gt
        if eps_in_max:
            s = np.maximum(b2 * s, np.abs(gt) + eps)
            den = s
        else:
            s = np.maximum(b2 * s, np.abs(gt))
            den = s + eps
        theta = theta - eta[t - 1] / (1 - b1 ** t) * _ratio(m, den)
        rows.append(theta)
    return _result(rows, flat)


# -- printing ------------------------------------------------------------------------------
def side_by_side(first, second, labels=("optimlib", "other"), coordinate=0, rel_tol=1e-13):
    r"""A printable table: step :math:`t`, :math:`\theta_t` under two conventions, difference.

    ``first`` and ``second`` are results of the functions above (same shape);
    for ``(T, n)`` results, column ``coordinate`` is shown. Values are printed
    to 12 significant digits; the difference is ``second - first``, and a
    non-zero difference below ``rel_tol`` times the larger magnitude is
    printed as ``round-off`` (its digits depend on the order of floating-point
    operations, not on the convention). Lines stay within 78 characters.
    """
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if a.shape != b.shape or a.ndim not in (1, 2) or a.shape[0] == 0:
        raise ValueError(f"first and second must have the same shape (T,) or (T, n), "
                         f"got {a.shape} and {b.shape}")
    if a.ndim == 2:
        if not 0 <= coordinate < a.shape[1]:
            raise ValueError(f"Invalid coordinate: {coordinate} (results have {a.shape[1]})")
        a, b = a[:, coordinate], b[:, coordinate]
    rel_tol = _number("rel_tol", rel_tol)
    names = [str(x)[:22] for x in labels]
    if len(names) != 2:
        raise ValueError(f"labels must be two names, got {labels!r}")
    lines = [f"{'t':>3}  {names[0]:>22}  {names[1]:>22}  {'difference':>11}"]
    for t, (x, y) in enumerate(zip(a, b), start=1):
        d = y - x
        small = d != 0 and abs(d) <= rel_tol * max(abs(x), abs(y))
        diff = "round-off" if small else f"{d:.3g}"
        lines.append(f"{t:>3}  {x:>22.12g}  {y:>22.12g}  {diff:>11}")
    return "\n".join(lines)
