r"""The optimizers of the course, one small class per algorithm.

Every class follows the *Deep Learning from Scratch* shape::

    opt = Adam(lr=1e-3)
    for step in range(n):
        grads = compute_gradients(params)
        opt.update(params, grads)        # changes params in place

``params`` and ``grads`` are either two dicts that map the same names to
arrays of the same shapes, or two arrays. Updates happen in place, so
``params`` must hold float32 or float64 arrays.

**Array hyperparameters (sweeps).** A hyperparameter may be a numpy array.
Its axes line up with the *leading* axes of every parameter (trailing axes
of length 1 are implied), then it broadcasts. So ``Adam(lr=lrs)`` with
``lrs`` of shape ``(B,)`` on ``{"W": (B, 3, 2), "b": (B, 2)}`` trains ``B``
independent models at once, copy ``i`` with learning rate ``lrs[i]``, each
equal to its own scalar run. Sweeps and heatmaps in the chapters are built
this way. Arrays are copied and made read-only when they are set.

**Schedules.** A hyperparameter may also be a callable of the step ``t``
(``t = 1`` at the first update), such as the ones in
:mod:`optimlib.schedules`. It is evaluated once per update and its value is
checked like any other: a schedule that returns ``-1`` or ``nan`` raises a
``ValueError`` that names the hyperparameter and the step, and nothing is
applied.

**Updates that cannot half-happen.** Every key, shape, dtype and
writability is checked, and every schedule evaluated, before any parameter
or state changes. A gradient may be the parameter array itself
(``update(p, p)``, the gradient of :math:`\tfrac12\|\theta\|^2`).

**State** lives in attributes named after the symbols of the chapters
(``v``, ``h``, ``m``, ``u``, ``v_max``, ``v_inf``, ``mu_product``, listed in each
class's ``state_names``): with dict parameters they are dicts
keyed like ``params``, with a single array they are arrays (``None`` before
the first update). They can be changed in place but not replaced;
``reset()`` clears them. ``t`` counts the updates. Each parameter also
keeps its own step count (as in PyTorch), so a parameter that first
appears at the fourth update gets its bias correction from its own step 1.
"""
from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp",
           "Adadelta", "Adam", "AdamW", "NAdam", "AdaMax"]

_SINGLE = "θ"  # the state key used when params is a single array


def _describe(value):
    """Shortest faithful text for a hyperparameter value in a repr or a message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return repr(value)


class _Descriptor:
    """A class attribute that stores its value in the instance under ``_name``."""

    def __set_name__(self, owner, name):
        self.name, self.slot = name, "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return getattr(obj, self.slot)


class Hyperparameter(_Descriptor):
    """A validated hyperparameter: a finite float, a float64 array, or a schedule.

    Used as a class attribute (a descriptor), so a value is checked in the
    constructor, on a later assignment ``opt.lr = ...``, and, for a schedule,
    at every step. Arrays are copied and made read-only.
    """

    def __init__(self, label, low=0.0, high=None, high_open=False, schedulable=True):
        self.label, self.low, self.high, self.high_open = label, low, high, high_open
        self.schedulable = schedulable

    def __set__(self, obj, value):
        if callable(value) and not isinstance(value, np.ndarray):
            if not self.schedulable:
                raise TypeError(f"Invalid {self.label}: {value!r} (a number is expected; "
                                "this hyperparameter cannot follow a schedule)")
            setattr(obj, self.slot, value)
            return
        setattr(obj, self.slot, self.check(value))

    def rule(self):
        if self.high is None:
            return f"must be finite and >= {self.low:g}"
        closing = ")" if self.high_open else "]"
        return f"must be in [{self.low:g}, {self.high:g}{closing}"

    def check(self, value, step=None):
        """``value`` as a float or a read-only float64 array, or an error naming it."""
        source = "" if step is None else f" from its schedule at step t={step}"
        if isinstance(value, (bool, np.bool_, str)) or value is None:
            raise TypeError(f"Invalid {self.label}: {value!r}{source} (a number is expected)")
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Invalid {self.label}: {value!r}{source} "
                            "(a number is expected)") from None
        ok = np.isfinite(arr) & (arr >= self.low)
        if self.high is not None:
            ok &= (arr < self.high) if self.high_open else (arr <= self.high)
        if not np.all(ok):
            if arr.ndim == 0:
                raise ValueError(f"Invalid {self.label}: {float(arr)!r}{source} ({self.rule()})")
            index = tuple(int(i) for i in np.argwhere(~ok)[0])
            raise ValueError(f"Invalid {self.label}: {float(arr[index])!r} at index {index} "
                             f"of the array{source} ({self.rule()})")
        if arr.ndim == 0:
            return float(arr)
        arr.flags.writeable = False
        return arr


class Flag(_Descriptor):
    """A validated on/off hyperparameter (such as ``amsgrad``)."""

    def __set__(self, obj, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"Invalid {self.name}: {value!r} (must be True or False)")
        setattr(obj, self.slot, bool(value))


def _where(name):
    return "params" if name == _SINGLE else f"params[{name!r}]"


def _pairs(params, grads):
    """Check params against grads without changing anything; return (name, p, g) triples."""
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
        where = _where(name)
        gwhere = where.replace("params", "grads", 1)
        if not isinstance(p, np.ndarray):
            raise TypeError(f"{where} must be a numpy array (updated in place), "
                            f"got {type(p).__name__}")
        if p.dtype not in (np.float32, np.float64):
            hint = ("float16 is too coarse for these updates"
                    if p.dtype == np.float16 else "an in-place update would truncate it")
            raise TypeError(f"{where} has dtype {p.dtype}; {hint}: float32 and float64 are "
                            "supported, e.g. p.astype(np.float64)")
        if p.ndim == 0:
            raise ValueError(f"{where} is a 0-d array; give it shape (1,) "
                             "(np.atleast_1d) so that it can be updated in place")
        if not p.flags.writeable:
            raise ValueError(f"{where} is read-only; the update changes it in place")
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{gwhere} must be a numpy array, got {type(g).__name__}")
        if g.shape != p.shape:
            raise ValueError(f"{gwhere} has shape {g.shape} but {where} has shape {p.shape}")
        if not (np.issubdtype(g.dtype, np.floating) or np.issubdtype(g.dtype, np.integer)):
            raise TypeError(f"{gwhere} has dtype {g.dtype}; a real-valued array is expected")
    return items


def _line_up(hname, value, name, p):
    """``value`` reshaped so that its axes line up with the leading axes of ``p``."""
    if not isinstance(value, np.ndarray):
        return value
    shape = value.shape + (1,) * (p.ndim - value.ndim)
    try:
        ok = value.ndim <= p.ndim and np.broadcast_shapes(shape, p.shape) == p.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{hname} of shape {value.shape} does not line up with the leading "
                         f"axes of {_where(name)} of shape {p.shape}")
    return value.reshape(shape)


def _ratio(num, den):
    """``num / den``, and 0 where ``den`` is 0 (possible only with ``eps = 0`` before a
    coordinate has seen a non-zero gradient; its numerator is then 0 too)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    if not np.all(den):
        out = np.where(den == 0, 0.0, out)
    return out


class Optimizer:
    """Base class: validation, hyperparameters per parameter, step counts and state.

    A subclass declares its hyperparameters as :class:`Hyperparameter` class
    attributes (in the order of its ``__init__``), lists its state arrays in
    ``state_names`` and implements ``_step(p, g, s, h)``, which updates one
    parameter array ``p`` in place from its gradient ``g``, its state ``s``
    (``s.v``, ``s.m``, ... and its own step count ``s.t``) and its
    hyperparameters ``h`` (``h.lr``, ``h.beta1``, ...: numbers, or arrays
    already lined up with ``p``, with schedules already evaluated).
    """

    state_names: tuple = ()
    optional_state: tuple = ()   # state that exists only with some settings (v_max)

    def __init__(self, **hyperparameters):
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self.reset()

    # -- hyperparameters -------------------------------------------------------------
    @classmethod
    def _descriptors(cls):
        """Hyperparameter descriptors in the order of the constructor's arguments."""
        if "_descriptor_cache" not in cls.__dict__:
            cls._descriptor_cache = cls._find_descriptors()
        return cls._descriptor_cache

    @classmethod
    def _find_descriptors(cls):
        found = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, (Hyperparameter, Flag)):
                    found[key] = value
        order = list(inspect.signature(cls.__init__).parameters)
        return {k: found[k] for k in sorted(found, key=lambda k: order.index(k)
                                            if k in order else len(order))}

    def hyperparameters(self):
        """The hyperparameters as a dict, e.g. ``{'lr': 0.01, 'momentum': 0.9}``."""
        return {name: getattr(self, name) for name in self._descriptors()}

    @property
    def label(self):
        """The name runs are labelled with (and that picks the colour of plots)."""
        return type(self).__name__

    def __repr__(self):
        inner = ", ".join(f"{k}={_describe(v)}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({inner})"

    def _resolve(self, step):
        """The values for update number ``step``: schedules evaluated and checked."""
        values = {}
        for name, descriptor in self._descriptors().items():
            value = getattr(self, name)
            if callable(value) and not isinstance(value, np.ndarray):
                value = descriptor.check(value(step), step=step)
            values[name] = value
        return values

    # -- state -----------------------------------------------------------------------
    def _state_names(self):
        return type(self).state_names

    def reset(self):
        """Forget all state: the next ``update`` is step ``t = 1`` again."""
        self.t = 0
        self._state = {}
        self._single = None

    def __getattr__(self, name):
        # Only called when normal lookup fails: expose state such as opt.v.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._state_names():
            if self.__dict__.get("_single") is None:
                return None
            state = self.__dict__["_state"]
            if self._single:
                return getattr(state[_SINGLE], name)
            return {key: getattr(s, name) for key, s in state.items()}
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in type(self).state_names + type(self).optional_state:
            raise AttributeError(f"{name} is the optimizer's state: change its arrays in place "
                                 f"(opt.{name}[...] = ...) or call reset()")
        super().__setattr__(name, value)

    def _new_state(self, p, h):
        """Fresh state for one parameter: every array starts at 0, step count 0."""
        return SimpleNamespace(t=0, **{s: np.zeros_like(p) for s in self._state_names()})

    # -- the update ------------------------------------------------------------------
    def update(self, params, grads):
        """Take one step: change every array in ``params`` in place.

        Everything is checked first; if anything is wrong, a ``TypeError`` or
        ``ValueError`` says what, and neither ``params`` nor the state change.
        """
        items = _pairs(params, grads)
        single = not isinstance(params, dict)
        if self._single is not None and self._single != single:
            raise TypeError("this optimizer was used with a "
                            f"{'single array' if self._single else 'dict'} before; "
                            "call reset() to switch")
        values = self._resolve(self.t + 1)
        per_param = [SimpleNamespace(**{k: _line_up(k, v, name, p) for k, v in values.items()})
                     for name, p, _ in items]
        all_params = [p for _, p, _ in items]
        steps = []
        for (name, p, g), h in zip(items, per_param):
            if any(np.may_share_memory(g, q) for q in all_params):
                g = np.array(g, dtype=p.dtype)  # read before any parameter changes
            else:
                g = np.asarray(g, dtype=p.dtype)
            steps.append((name, p, g, h))
        # Nothing has changed so far; from here on the update cannot fail.
        self._single = single
        self.t += 1
        for name, p, g, h in steps:
            if name not in self._state:
                self._state[name] = self._new_state(p, h)
            s = self._state[name]
            s.t += 1
            self._step(p, g, s, h)

    def _step(self, p, g, s, h):
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

    def _step(self, p, g, s, h):
        p -= h.lr * g


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
    differ after a learning-rate change, for instance under a schedule).
    Keras' ``SGD(momentum=...)`` uses the velocity form written here.
    """

    lr = Hyperparameter("learning rate")
    momentum = Hyperparameter("momentum", 0.0, 1.0, high_open=True)
    state_names = ("v",)

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr=lr, momentum=momentum)

    def _step(self, p, g, s, h):
        s.v *= h.momentum
        s.v -= h.lr * g
        p += s.v


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

    def _step(self, p, g, s, h):
        s.v *= h.momentum
        s.v -= h.lr * g
        p += h.momentum * s.v - h.lr * g


class AdaGrad(Optimizer):
    r"""AdaGrad: a per-coordinate step that shrinks with the sum of squared gradients.

    Symbols: :math:`\eta` = ``lr``; :math:`\varepsilon` = ``eps`` (added
    *outside* the square root); :math:`h_t` = ``self.h``, whose start value
    :math:`h_0` is ``initial_accumulator``.

    .. math::

        h_t &= h_{t-1} + g_t \odot g_t \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{h_t} + \varepsilon}

    With ``eps=0`` a coordinate whose gradients were all zero does not move.

    Conventions: PyTorch's ``Adagrad(lr, eps=1e-10,
    initial_accumulator_value=0)`` is this algorithm. Keras starts the
    accumulator at 0.1 and uses eps=1e-7; *Deep Learning from Scratch* adds
    1e-7 outside the root.
    """

    lr = Hyperparameter("learning rate")
    eps = Hyperparameter("epsilon")
    initial_accumulator = Hyperparameter("initial accumulator", schedulable=False)
    state_names = ("h",)

    def __init__(self, lr=0.01, eps=1e-10, initial_accumulator=0.0):
        super().__init__(lr=lr, eps=eps, initial_accumulator=initial_accumulator)

    def _new_state(self, p, h):
        s = super()._new_state(p, h)
        s.h += h.initial_accumulator
        return s

    def _step(self, p, g, s, h):
        s.h += g * g
        p -= h.lr * _ratio(g, np.sqrt(s.h) + h.eps)


class RMSProp(Optimizer):
    r"""RMSProp: AdaGrad with an exponential average in place of the sum.

    Symbols: :math:`\eta` = ``lr``; :math:`\rho` = ``rho``; :math:`\varepsilon`
    = ``eps`` (added *outside* the square root); the second moment
    :math:`v_t` = ``self.v`` (starts at 0).

    .. math::

        v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t \odot g_t \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon}

    With ``centered=True`` (Graves, 2013) the average gradient
    :math:`\bar g_t = \rho\, \bar g_{t-1} + (1 - \rho)\, g_t` = ``self.g_avg``
    (which exists only then) is kept as well, and the step divides by an
    estimate of the gradient's standard deviation instead of its root mean
    square: :math:`\sqrt{v_t - \bar g_t \odot \bar g_t} + \varepsilon`.
    Runs are then labelled "RMSProp (centered)".

    Conventions: PyTorch's ``RMSprop(lr, alpha=rho, eps, centered)`` is this
    algorithm (its default ``alpha`` is 0.99). Keras 3's ``RMSprop`` defaults to
    ``rho=0.9, epsilon=1e-7`` and puts :math:`\varepsilon` inside the root,
    :math:`\sqrt{v_t + \varepsilon}`; TensorFlow 1 also started :math:`v` at 1,
    not 0.
    """

    lr = Hyperparameter("learning rate")
    rho = Hyperparameter("rho", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    centered = Flag()
    state_names = ("v",)
    optional_state = ("g_avg",)

    def __init__(self, lr=0.01, rho=0.99, eps=1e-8, centered=False):
        super().__init__(lr=lr, rho=rho, eps=eps, centered=centered)

    @property
    def label(self):
        return "RMSProp (centered)" if self.centered else "RMSProp"

    def _state_names(self):
        return ("v", "g_avg") if self.centered else ("v",)

    def _step(self, p, g, s, h):
        s.v *= h.rho
        s.v += (1 - h.rho) * g * g
        if h.centered:
            s.g_avg *= h.rho
            s.g_avg += (1 - h.rho) * g
            spread = np.sqrt(np.maximum(s.v - s.g_avg * s.g_avg, 0.0))  # never the root of a round-off negative
            p -= h.lr * _ratio(g, spread + h.eps)
        else:
            p -= h.lr * _ratio(g, np.sqrt(s.v) + h.eps)


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
    default). Keras defaults to ``learning_rate=0.001``. With ``eps=0``
    nothing moves, since :math:`u_0 = 0`.
    """

    lr = Hyperparameter("learning rate")
    rho = Hyperparameter("rho", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    state_names = ("v", "u")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6):
        super().__init__(lr=lr, rho=rho, eps=eps)

    def _step(self, p, g, s, h):
        s.v *= h.rho
        s.v += (1 - h.rho) * g * g
        delta = _ratio(np.sqrt(s.u + h.eps), np.sqrt(s.v + h.eps)) * g
        s.u *= h.rho
        s.u += (1 - h.rho) * delta * delta
        p -= h.lr * delta


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, RMSProp's scaling, and bias correction.

    Symbols: :math:`\eta` = ``lr``; :math:`\beta_1, \beta_2` = ``beta1,
    beta2``; :math:`\varepsilon` = ``eps`` (added *outside* the square root);
    the first moment :math:`m_t` = ``self.m``, the second moment :math:`v_t`
    = ``self.v`` (both start at 0); the step counter :math:`t` counts this
    parameter's updates (``self.t`` when all parameters started together).

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t \odot g_t \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    With ``amsgrad=True`` (Reddi et al., 2018) the denominator uses the
    running maximum :math:`v^{\max}_t = \max(v^{\max}_{t-1}, v_t)` =
    ``self.v_max`` (which exists only then) in place of :math:`v_t`,
    corrected by the same :math:`1 - \beta_2^t`, as PyTorch does; runs are
    then labelled AMSGrad.

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
    amsgrad = Flag()
    state_names = ("m", "v")
    optional_state = ("v_max",)

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad)

    @property
    def label(self):
        return "AMSGrad" if self.amsgrad else type(self).__name__

    def _state_names(self):
        return ("m", "v", "v_max") if self.amsgrad else ("m", "v")

    def _step(self, p, g, s, h):
        s.m *= h.beta1
        s.m += (1 - h.beta1) * g
        s.v *= h.beta2
        s.v += (1 - h.beta2) * g * g
        v = s.v
        if h.amsgrad:
            np.maximum(s.v_max, s.v, out=s.v_max)
            v = s.v_max
        m_hat = s.m / (1 - h.beta1 ** s.t)
        v_hat = v / (1 - h.beta2 ** s.t)
        p -= h.lr * _ratio(m_hat, np.sqrt(v_hat) + h.eps)


class AdamW(Adam):
    r"""AdamW: Adam with weight decay decoupled from the gradient.

    Symbols as in :class:`Adam`, plus :math:`\lambda_{\mathrm{wd}}` =
    ``weight_decay``. First the parameters shrink, then Adam steps:

    .. math::

        \theta_{t-1}' &= \theta_{t-1} - \eta\, \lambda_{\mathrm{wd}}\, \theta_{t-1} \\
        \theta_t &= \theta_{t-1}' - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    The gradient :math:`g_t` is the one taken at :math:`\theta_{t-1}`, read
    before the parameters shrink (it may be the parameter array itself).

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

    @property
    def label(self):
        return "AdamW (AMSGrad)" if self.amsgrad else "AdamW"

    def _step(self, p, g, s, h):
        p *= 1 - h.lr * h.weight_decay
        super()._step(p, g, s, h)


class NAdam(Optimizer):
    r"""NAdam: Adam whose momentum looks ahead, as Nesterov's does (Dozat, 2016).

    Symbols as in :class:`Adam`, plus :math:`\psi` = ``momentum_decay``, the
    momentum schedule :math:`\mu_t = \beta_1\bigl(1 - \tfrac12\,
    0.96^{\,t\psi}\bigr)` and its running product :math:`\Pi_t =
    \prod_{i=1}^{t} \mu_i` = ``self.mu_product`` (1 before the first step):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t \odot g_t, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{1}{\sqrt{\hat v_t} + \varepsilon}
            \odot \Bigl(\frac{(1 - \mu_t)\, g_t}{1 - \Pi_t}
            + \frac{\mu_{t+1}\, m_t}{1 - \Pi_t\, \mu_{t+1}}\Bigr)

    The second term is the momentum one step ahead (:math:`\mu_{t+1}` in
    place of :math:`\mu_t`): the look-ahead of chapter 4 applied to
    :math:`m_t`. The warm-up of :math:`\mu_t` (from :math:`\beta_1/2`
    towards :math:`\beta_1`) is Dozat's; with ``momentum_decay=0`` the
    momentum stays at :math:`\beta_1/2`.

    Conventions: PyTorch's ``NAdam(lr=0.002, betas=(beta1, beta2), eps,
    momentum_decay=0.004)`` is this algorithm (the defaults are the same).
    Keras 3's ``Nadam`` uses :math:`0.96^{\,t}`, that is :math:`\psi = 1`
    (its momentum reaches :math:`\beta_1` within a few dozen steps), and
    ``epsilon=1e-7``; Optax's ``nadam`` uses a constant :math:`\beta_1` in
    place of :math:`\mu_t`.
    """

    lr = Hyperparameter("learning rate")
    beta1 = Hyperparameter("beta1", 0.0, 1.0, high_open=True)
    beta2 = Hyperparameter("beta2", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    momentum_decay = Hyperparameter("momentum decay")
    state_names = ("m", "v", "mu_product")

    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=0.004):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                         momentum_decay=momentum_decay)

    def _new_state(self, p, h):
        s = super()._new_state(p, h)
        s.mu_product[...] = 1.0
        return s

    def _step(self, p, g, s, h):
        t = s.t
        mu = h.beta1 * (1 - 0.5 * 0.96 ** (t * h.momentum_decay))
        mu_next = h.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * h.momentum_decay))
        s.mu_product *= mu
        s.m *= h.beta1
        s.m += (1 - h.beta1) * g
        s.v *= h.beta2
        s.v += (1 - h.beta2) * g * g
        denom = np.sqrt(s.v / (1 - h.beta2 ** t)) + h.eps
        look_ahead = ((1 - mu) / (1 - s.mu_product) * g
                      + mu_next / (1 - s.mu_product * mu_next) * s.m)
        p -= h.lr * _ratio(look_ahead, denom)


class AdaMax(Optimizer):
    r"""AdaMax: Adam with the infinity norm in place of the root mean square.

    Symbols as in :class:`Adam`; the second moment is replaced by the
    infinity-norm accumulator :math:`v^{\infty}_t` = ``self.v_inf`` (0 at the
    start; Kingma & Ba call it :math:`u_t`, a letter this book keeps for
    Adadelta):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v^{\infty}_t &= \max\bigl(\beta_2\, v^{\infty}_{t-1},\; |g_t| + \varepsilon\bigr) \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\, \frac{m_t}{v^{\infty}_t}

    :math:`v^{\infty}_t` is the limit :math:`p \to \infty` of
    :math:`\bigl(\beta_2^p v^{(p)}_{t-1} + (1-\beta_2^p)|g_t|^p\bigr)^{1/p}`
    (chapter 9). It needs no bias correction: a maximum is not pulled towards
    its zero start the way an average is.

    Conventions: PyTorch's ``Adamax(lr=0.002, betas=(beta1, beta2), eps)`` is
    this algorithm, :math:`\varepsilon` inside the maximum, and so is Optax's
    ``adamax``. The paper's Algorithm 2 has no :math:`\varepsilon`; Keras 3
    (``epsilon=1e-7``, ``learning_rate=0.001``) adds it to the denominator,
    :math:`m_t / (v^{\infty}_t + \varepsilon)`.
    """

    lr = Hyperparameter("learning rate")
    beta1 = Hyperparameter("beta1", 0.0, 1.0, high_open=True)
    beta2 = Hyperparameter("beta2", 0.0, 1.0, high_open=True)
    eps = Hyperparameter("epsilon")
    state_names = ("m", "v_inf")

    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def _step(self, p, g, s, h):
        s.m *= h.beta1
        s.m += (1 - h.beta1) * g
        s.v_inf *= h.beta2
        np.maximum(s.v_inf, np.abs(g) + h.eps, out=s.v_inf)
        p -= h.lr / (1 - h.beta1 ** s.t) * _ratio(s.m, s.v_inf)
