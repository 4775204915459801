r"""The optimizers of the course, one small class per algorithm.

Every class follows the *Deep Learning from Scratch* shape::

    opt = Adam(lr=1e-3)
    for step in range(n):
        grads = compute_gradients(params)
        opt.update(params, grads)        # changes params in place

``params`` and ``grads`` are either two dicts that map the same names to
arrays of the same shapes, or two arrays. Updates happen in place, so
``params`` must hold floating-point arrays.

Hyperparameters may be numpy arrays that broadcast against the parameters:
``Adam(lr=np.logspace(-3, 0, 50)[:, None])`` on parameters of shape ``(50, 2)``
runs 50 independent optimizations at once, row ``i`` with learning rate
``lr[i]``. Sweeps and heatmaps in the chapters are built this way.

State lives in attributes named after the symbols of the chapters (``v``,
``h``, ``m``, ``u``, ``t``): with dict parameters they are dicts keyed like
``params``, with a single array they are arrays. ``reset()`` clears them.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp",
           "Adadelta", "Adam", "AdamW"]

_SINGLE = "θ"  # the state key used when params is a single array


def _describe(value):
    """Shortest faithful text for a hyperparameter value in an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return repr(value)


class Hyperparameter:
    """A validated hyperparameter: a float or a float64 array in a range.

    Used as a class attribute (a descriptor), so a value is checked both in
    the constructor and when a schedule later assigns ``opt.lr = ...``.
    """

    def __init__(self, label, low=0.0, high=None, high_open=False):
        self.label, self.low, self.high, self.high_open = label, low, high, high_open

    def __set_name__(self, owner, name):
        self.name = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return getattr(obj, self.name)

    def rule(self):
        if self.high is None:
            return f"must be >= {self.low:g}"
        closing = ")" if self.high_open else "]"
        return f"must be in [{self.low:g}, {self.high:g}{closing}"

    def __set__(self, obj, value):
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
            raise TypeError(f"Invalid {self.label}: {value!r} (a number is expected)")
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Invalid {self.label}: {value!r} (a number is expected)") from None
        ok = arr >= self.low  # False for NaN
        if self.high is not None:
            ok &= (arr < self.high) if self.high_open else (arr <= self.high)
        if not np.all(ok):
            if arr.ndim == 0:
                raise ValueError(f"Invalid {self.label}: {float(arr)!r} ({self.rule()})")
            index = tuple(int(i) for i in np.argwhere(~ok)[0])
            raise ValueError(f"Invalid {self.label}: {float(arr[index])!r} at index "
                             f"{index} of the array ({self.rule()})")
        setattr(obj, self.name, float(arr) if arr.ndim == 0 else arr)


def _pairs(params, grads):
    """Check params against grads; return a list of (name, param, grad)."""
    if isinstance(params, dict) or isinstance(grads, dict):
        if not (isinstance(params, dict) and isinstance(grads, dict)):
            raise TypeError("params and grads must both be dicts or both be arrays, "
                            f"got {type(params).__name__} and {type(grads).__name__}")
        if params.keys() != grads.keys():
            missing = sorted(map(str, params.keys() - grads.keys()))
            extra = sorted(map(str, grads.keys() - params.keys()))
            raise ValueError("params and grads have different keys: "
                             f"no gradient for {missing}, no parameter for {extra}")
        items = [(name, params[name], grads[name]) for name in params]
    else:
        items = [(_SINGLE, params, grads)]
    for name, p, g in items:
        where = "params" if name == _SINGLE else f"params[{name!r}]"
        if not isinstance(p, np.ndarray):
            raise TypeError(f"{where} must be a numpy array (updated in place), "
                            f"got {type(p).__name__}")
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"{where} has dtype {p.dtype}; an in-place update would "
                            "truncate it: use a floating-point array, e.g. p.astype(float)")
        g_shape = np.shape(g)
        if g_shape != p.shape:
            gwhere = where.replace("params", "grads", 1)
            raise ValueError(f"{gwhere} has shape {g_shape} but {where} has shape {p.shape}")
    return items


class Optimizer:
    """Base class: validation, the step counter ``t`` and lazily created state.

    A subclass lists its state arrays in ``state_names`` and implements
    ``_step(p, g, s)``, which updates one parameter array ``p`` in place given
    its gradient ``g`` and its state ``s`` (a dict of arrays, one per name).
    """

    state_names: tuple = ()

    def __init__(self, **hyperparameters):
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self._hyper_names = tuple(hyperparameters)
        self.reset()

    def reset(self):
        """Forget all state: the next ``update`` is step ``t = 1`` again."""
        self.t = 0
        self._state = {}
        self._single = None

    def hyperparameters(self):
        """The hyperparameters as a dict, e.g. ``{'lr': 0.01, 'momentum': 0.9}``."""
        return {name: getattr(self, name) for name in self._hyper_names}

    def __repr__(self):
        inner = ", ".join(f"{k}={_describe(v)}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({inner})"

    def __getattr__(self, name):
        # Only called when normal lookup fails: expose state such as opt.v.
        if name in type(self).state_names:
            state = self.__dict__.get("_state", {})
            if self.__dict__.get("_single"):
                return state[_SINGLE][name] if _SINGLE in state else None
            return {key: s[name] for key, s in state.items()}
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_broadcast(self, name, p):
        for hname in self._hyper_names:
            h = getattr(self, hname)
            if isinstance(h, np.ndarray):
                try:
                    ok = np.broadcast_shapes(h.shape, p.shape) == p.shape
                except ValueError:
                    ok = False
                if not ok:
                    where = "params" if name == _SINGLE else f"params[{name!r}]"
                    raise ValueError(f"{hname} of shape {h.shape} does not broadcast to "
                                     f"{where} of shape {p.shape}")

    def update(self, params, grads):
        """Take one step: change every array in ``params`` in place."""
        items = _pairs(params, grads)
        single = not isinstance(params, dict)
        if self._single is None:
            self._single = single
        elif self._single != single:
            raise TypeError("this optimizer was used with a "
                            f"{'single array' if self._single else 'dict'} before; "
                            "call reset() to switch")
        for name, p, g in items:
            self._check_broadcast(name, p)
        self.t += 1
        for name, p, g in items:
            if name not in self._state:
                self._state[name] = {s: np.full(p.shape, self._initial(s), p.dtype)
                                     for s in self.state_names}
            self._step(p, np.asarray(g, dtype=p.dtype), self._state[name])

    def _initial(self, state_name):
        """Start value of a state array (0 unless the algorithm says otherwise)."""
        return 0.0

    def _step(self, p, g, s):
        raise NotImplementedError


class SGD(Optimizer):
    r"""Plain (stochastic) gradient descent.

    Symbols: :math:`\eta` = ``lr``; :math:`g_t` = ``grads``; :math:`\theta` = ``params``.

    .. math::

        \theta_t = \theta_{t-1} - \eta\, g_t

    Conventions: identical in PyTorch (``torch.optim.SGD(lr)``), Keras and
    Optax; PyTorch also folds weight decay and momentum into this class,
    here they are separate classes.
    """

    lr = Hyperparameter("learning rate")

    def __init__(self, lr=0.01):
        super().__init__(lr=lr)

    def _step(self, p, g, s):
        p -= self.lr * g


class Momentum(Optimizer):
    r"""Gradient descent with (heavy-ball) momentum.

    Symbols: :math:`\eta` = ``lr``; :math:`\mu` = ``momentum``; the velocity
    :math:`v_t` = ``self.v`` (starts at 0).

    .. math::

        v_t &= \mu\, v_{t-1} - \eta\, g_t \\
        \theta_t &= \theta_{t-1} + v_t

    Conventions: PyTorch's ``SGD(lr, momentum)`` keeps a buffer
    :math:`b_t = \mu b_{t-1} + g_t` (with :math:`b_1 = g_1`) and steps
    :math:`\theta_t = \theta_{t-1} - \eta b_t`; since :math:`v_t = -\eta b_t`
    the two give the same parameters while :math:`\eta` is constant (they
    differ after a learning-rate change). Keras' ``SGD(momentum=...)`` uses
    the velocity form written here.
    """

    lr = Hyperparameter("learning rate")
    momentum = Hyperparameter("momentum", 0.0, 1.0, high_open=True)
    state_names = ("v",)

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr=lr, momentum=momentum)

    def _step(self, p, g, s):
        v = s["v"]
        v *= self.momentum
        v -= self.lr * g
        p += v


class Nesterov(Momentum):
    r"""Nesterov's accelerated gradient, in the form deep-learning libraries use.

    Symbols: :math:`\eta` = ``lr``; :math:`\mu` = ``momentum``; the velocity
    :math:`v_t` = ``self.v`` (starts at 0).

    .. math::

        v_t &= \mu\, v_{t-1} - \eta\, g_t \\
        \theta_t &= \theta_{t-1} + \mu\, v_t - \eta\, g_t

    The gradient :math:`g_t` is taken at the stored parameters, which play
    the role of the look-ahead point :math:`\theta + \mu v` of the original
    method (Sutskever et al., 2013); the chapter derives this change of
    variables step by step.

    Conventions: the same parameters as PyTorch's
    ``SGD(lr, momentum, nesterov=True)``, whose buffer is
    :math:`b_t = -v_t/\eta`; Keras' ``SGD(nesterov=True)`` matches too.
    Hyperparameters, defaults and state are those of :class:`Momentum`.
    """

    def _step(self, p, g, s):
        v = s["v"]
        v *= self.momentum
        v -= self.lr * g
        p += self.momentum * v - self.lr * g


class AdaGrad(Optimizer):
    r"""AdaGrad: a per-coordinate step that shrinks with the sum of squared gradients.

    Symbols: :math:`\eta` = ``lr``; :math:`\varepsilon` = ``eps`` (added
    *outside* the square root); :math:`h_t` = ``self.h``, whose start value
    :math:`h_0` is ``initial_accumulator``.

    .. math::

        h_t &= h_{t-1} + g_t \odot g_t \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{h_t} + \varepsilon}

    Conventions: PyTorch's ``Adagrad(lr, eps=1e-10,
    initial_accumulator_value=0)`` is this algorithm. Keras starts the
    accumulator at 0.1 and uses eps=1e-7; *Deep Learning from Scratch* adds
    1e-7 outside the root.
    """

    lr = Hyperparameter("learning rate")
    eps = Hyperparameter("epsilon")
    initial_accumulator = Hyperparameter("initial accumulator")
    state_names = ("h",)

    def __init__(self, lr=0.01, eps=1e-10, initial_accumulator=0.0):
        super().__init__(lr=lr, eps=eps, initial_accumulator=initial_accumulator)

    def _initial(self, state_name):
        return self.initial_accumulator

    def _step(self, p, g, s):
        h = s["h"]
        h += g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSProp(Optimizer):
    r"""RMSProp: AdaGrad with an exponential average in place of the sum.

    Symbols: :math:`\eta` = ``lr``; :math:`\rho` = ``rho``; :math:`\varepsilon`
    = ``eps`` (added *outside* the square root); the second moment
    :math:`v_t` = ``self.v`` (starts at 0).

    .. math::

        v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon}

    Conventions: PyTorch's ``RMSprop(lr, alpha=rho, eps)`` is this algorithm
    (its default ``alpha`` is 0.99). Keras' ``RMSprop`` defaults to
    ``rho=0.9, epsilon=1e-7``; TensorFlow 1 started :math:`v` at 1, not 0,
    and put :math:`\varepsilon` inside the root.
    """

    lr = Hyperparameter("learning rate")
    rho = Hyperparameter("rho", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    state_names = ("v",)

    def __init__(self, lr=0.01, rho=0.99, eps=1e-8):
        super().__init__(lr=lr, rho=rho, eps=eps)

    def _step(self, p, g, s):
        v = s["v"]
        v *= self.rho
        v += (1 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(v) + self.eps)


class Adadelta(Optimizer):
    r"""Adadelta: RMSProp whose step carries the units of the parameters.

    Symbols: :math:`\eta` = ``lr``; :math:`\rho` = ``rho``; :math:`\varepsilon`
    = ``eps`` (added *inside* both square roots); the average of squared
    gradients :math:`v_t` = ``self.v`` and of squared updates :math:`u_t` =
    ``self.u`` (both start at 0).

    .. math::

        v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{v_t + \varepsilon}}\, g_t \\
        u_t &= \rho\, u_{t-1} + (1 - \rho)\, \Delta_t \odot \Delta_t \\
        \theta_t &= \theta_{t-1} - \eta\, \Delta_t

    Conventions: PyTorch's ``Adadelta(lr, rho, eps)`` is this algorithm;
    Zeiler's paper has no :math:`\eta` (that is, :math:`\eta = 1`, PyTorch's
    default). Keras defaults to ``learning_rate=0.001``.
    """

    lr = Hyperparameter("learning rate")
    rho = Hyperparameter("rho", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    state_names = ("v", "u")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6):
        super().__init__(lr=lr, rho=rho, eps=eps)

    def _step(self, p, g, s):
        v, u = s["v"], s["u"]
        v *= self.rho
        v += (1 - self.rho) * g * g
        delta = np.sqrt(u + self.eps) / np.sqrt(v + self.eps) * g
        u *= self.rho
        u += (1 - self.rho) * delta * delta
        p -= self.lr * delta


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, RMSProp's scaling, and bias correction.

    Symbols: :math:`\eta` = ``lr``; :math:`\beta_1, \beta_2` = ``beta1,
    beta2``; :math:`\varepsilon` = ``eps`` (added *outside* the square root);
    the first moment :math:`m_t` = ``self.m``, the second moment :math:`v_t`
    = ``self.v`` (both start at 0); the step counter :math:`t` = ``self.t``.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t \odot g_t \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    With ``amsgrad=True`` (Reddi et al., 2018) the denominator uses the
    running maximum :math:`v^{\max}_t = \max(v^{\max}_{t-1}, v_t)` =
    ``self.v_max`` in place of :math:`v_t`, corrected by the same
    :math:`1 - \beta_2^t`, as PyTorch does.

    Conventions: PyTorch's ``Adam(lr, betas=(beta1, beta2), eps, amsgrad)``
    is this algorithm. Keras (``epsilon=1e-7``) and the Adam paper's
    "efficient" form put :math:`\varepsilon` next to :math:`\sqrt{v_t}`
    *before* the correction, which changes the effective
    :math:`\varepsilon` by the factor :math:`\sqrt{1-\beta_2^t}`.
    The corrected :math:`\hat m_t, \hat v_t` are never stored back into
    :math:`m_t, v_t`.
    """

    lr = Hyperparameter("learning rate")
    beta1 = Hyperparameter("beta1", 0.0, 1.0, high_open=True)
    beta2 = Hyperparameter("beta2", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    state_names = ("m", "v", "v_max")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False):
        if not isinstance(amsgrad, (bool, np.bool_)):
            raise TypeError(f"Invalid amsgrad: {amsgrad!r} (must be True or False)")
        self.amsgrad = bool(amsgrad)
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def _step(self, p, g, s):
        m, v = s["m"], s["v"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        if self.amsgrad:
            np.maximum(s["v_max"], v, out=s["v_max"])
            v = s["v_max"]
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    r"""AdamW: Adam with weight decay decoupled from the gradient.

    Symbols as in :class:`Adam`, plus :math:`\lambda_{\mathrm{wd}}` =
    ``weight_decay``. First the parameters shrink, then Adam steps:

    .. math::

        \theta_{t-1}' &= \theta_{t-1} - \eta\, \lambda_{\mathrm{wd}}\, \theta_{t-1} \\
        \theta_t &= \theta_{t-1}' - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    Conventions: PyTorch's ``AdamW(lr, betas, eps, weight_decay, amsgrad)``
    is this algorithm (the decay is multiplied by ``lr``). Loshchilov &
    Hutter (2019) write the decay with a separate schedule multiplier; Optax's
    ``adamw`` also multiplies by the learning rate. Adding
    :math:`\lambda_{\mathrm{wd}}\theta` to the *gradient* instead (PyTorch's
    ``Adam(weight_decay=...)``) is L2 regularisation, a different method.
    """

    weight_decay = Hyperparameter("weight decay")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                 amsgrad=False):
        self.weight_decay = weight_decay
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad)
        self._hyper_names += ("weight_decay",)

    def _step(self, p, g, s):
        p *= 1 - self.lr * self.weight_decay
        super()._step(p, g, s)
