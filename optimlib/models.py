r"""Small models with hand-written forward and backward passes, in numpy.

Every model keeps its parameters :math:`\theta` in a dict of arrays, the form
the optimizers update in place::

    model = LogisticRegression(n_features=30, l2=1e-3)
    params = model.init(seed=0)                    # {"W": (30, 1), "b": (1,)}
    loss, grads = model.loss_and_grad(params, X, y)
    opt.update(params, grads)

The objective is always a mean over the ``n`` examples plus an L2 penalty on
the weight matrices (never on the biases):

.. math::

    f(\theta) = \frac{1}{n} \sum_{i=1}^{n} \ell(\theta; x_i, y_i)
                + \frac{\lambda}{2} \sum_{W \in \theta} \|W\|^2 ,

with :math:`\lambda` = ``l2``, rows :math:`x_i` of ``X`` (shape ``(n, d)``)
and labels or targets :math:`y_i` of ``y`` (shape ``(n,)``). The gradient
:math:`g = \nabla f(\theta)` comes back as a dict with the same keys and
shapes as ``params``.

**Many copies at once (the leading-axis rule).** Parameters may carry extra
*leading* axes: ``model.init(copies=B)`` gives ``{"W": (B, d, k), "b": (B, k)}``,
``B`` independent models that see the same ``X`` and ``y``. Then ``loss``
has shape ``(B,)`` and each gradient has the shape of its parameter; copy
``i`` computes exactly what a single model with ``params[...][i]`` would.
Together with array hyperparameters (``Adam(lr=lrs)``, ``lrs`` of shape
``(B,)``) a learning-rate sweep, or several seeds, trains in one vectorised
call. The code below never loops over copies: ``A @ W`` with ``A`` of shape
``(n, d)`` and ``W`` of shape ``(B, d, k)`` is already ``B`` products.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["Model", "LinearRegression", "LogisticRegression", "MLP",
           "sigmoid", "log_softmax"]


# ---------------------------------------------------------------------------
# Numerically stable pieces
# ---------------------------------------------------------------------------

def sigmoid(z):
    r"""The logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`, without overflow.

    Only :math:`e^{-|z|} \le 1` is ever computed:
    :math:`\sigma(z) = 1/(1 + e^{-|z|})` for :math:`z \ge 0` and
    :math:`e^{-|z|}/(1 + e^{-|z|})` for :math:`z < 0`.
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def log_softmax(Z):
    r"""Log-probabilities :math:`z_c - \log \sum_j e^{z_j}` along the last axis.

    The largest score is subtracted first, so every exponential is at most 1.
    """
    Z = Z - Z.max(axis=-1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True))


def _affine(A, W, b):
    r"""Scores :math:`A W + b` for one model or a stack of copies.

    ``A`` has shape ``(n, d)`` or ``(..., n, d)``, ``W`` shape ``(..., d, k)``,
    ``b`` shape ``(..., k)``; the result has shape ``(..., n, k)``.
    """
    return _matmul(A, W) + b[..., None, :]


def _matmul(A, W):
    """``A @ W``; with shared data ``A`` (2-D) and copies of ``W`` it is one matrix
    product over all copies at once (numpy would loop over the copies)."""
    if A.ndim == 2 and W.ndim > 2:
        return np.moveaxis(np.tensordot(A, W, axes=(1, -2)), 0, -2)
    return A @ W


def _transpose(A):
    """Swap the last two axes (a matrix transpose that keeps the copy axes)."""
    return np.swapaxes(A, -1, -2)


# ---------------------------------------------------------------------------
# Base class: checks, initialisation over copies, loss and metric
# ---------------------------------------------------------------------------

def _positive_int(label, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {label}: {value!r} (a whole number is expected)")
    if value < 1:
        raise ValueError(f"Invalid {label}: {value!r} (must be >= 1)")
    return int(value)


def _l2(value):
    if isinstance(value, (bool, str)) or value is None:
        raise TypeError(f"Invalid l2: {value!r} (a number is expected)")
    value = float(value)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"Invalid l2: {value!r} (must be finite and >= 0)")
    return value


class Model:
    """Shared machinery. A subclass sets ``shapes`` (parameter name -> shape of
    one copy), ``weights`` (the names the L2 penalty applies to) and
    ``metric_name``, and writes ``_init_one``, ``loss_and_grad`` and
    ``predict``."""

    shapes: dict
    weights: tuple
    metric_name: str
    classifier = True

    # -- parameters ---------------------------------------------------------

    def init(self, seed=0, copies=None, **options):
        """Fresh parameters, float64.

        Parameters
        ----------
        seed : int or sequence of int
            Seed of ``np.random.default_rng``; a sequence gives one copy per seed.
        copies : None, int or tuple of int
            None for one model; an int ``B`` (or a tuple of ints) for a stack of
            identical copies of ``init(seed)``, the start of a hyperparameter
            sweep. With a sequence of seeds, copy ``i`` equals
            ``init(seed=seeds[i])`` and ``copies`` may be omitted.
        **options
            Passed on to the model's own initialiser (``scale`` for the linear
            models).
        """
        if isinstance(seed, (list, tuple, np.ndarray)):
            seeds = [int(s) for s in np.asarray(seed).reshape(-1)]
            if copies is not None and _shape_of(copies) != (len(seeds),):
                raise ValueError(f"copies={copies!r} does not match {len(seeds)} seeds")
            ones = [self._init_one(np.random.default_rng(s), **options) for s in seeds]
            return {k: np.stack([p[k] for p in ones]) for k in self.shapes}
        one = self._init_one(np.random.default_rng(seed), **options)
        if copies is None:
            return one
        lead = _shape_of(copies)
        return {k: np.array(np.broadcast_to(v, lead + v.shape)) for k, v in one.items()}

    def copies(self, params):
        """The leading (copy) shape of ``params``: ``()`` for one model, ``(B,)`` for B copies.

        Raises ValueError if a key is missing or extra, or if shapes do not fit.
        """
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
        if params.keys() != self.shapes.keys():
            raise ValueError(f"params has keys {sorted(params)}, {self!r} expects "
                             f"{sorted(self.shapes)}")
        lead = None
        for k, shape in self.shapes.items():
            s = np.shape(params[k])
            if len(s) < len(shape) or s[len(s) - len(shape):] != shape:
                raise ValueError(f"params[{k!r}] has shape {s}; {self!r} expects {shape} "
                                 f"(or (copies, *{shape}))")
            here = s[:len(s) - len(shape)]
            if lead is None:
                lead = here
            elif here != lead:
                raise ValueError(f"params have different copy axes: {lead} and {here} "
                                 f"(params[{k!r}])")
        return lead

    def _check(self, params, X, y=None):
        self.copies(params)
        return self.check_data(X, y)

    def check_data(self, X, y=None):
        """``X`` (and ``y``) as arrays, or a ValueError saying what does not fit this model.

        ``X`` must have shape ``(n, n_features)``, ``y`` shape ``(n,)`` with
        class labels ``0 .. n_classes - 1`` for a classifier.
        """
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has shape {X.shape}; expected (n, {self.n_features})")
        if y is None:
            return X, None
        y = np.asarray(y)
        if y.shape != X.shape[:1]:
            raise ValueError(f"y has shape {y.shape}; expected ({X.shape[0]},) to match X")
        if self.classifier:
            if not np.issubdtype(y.dtype, np.integer):
                if not np.all(y == np.round(y)):
                    raise ValueError("y must hold class labels 0, 1, ..., "
                                     f"{self.n_classes - 1}; got non-integer values")
                y = y.astype(int)
            if y.size and (y.min() < 0 or y.max() >= self.n_classes):
                raise ValueError(f"y holds labels from {y.min()} to {y.max()}; {self!r} "
                                 f"expects 0 .. {self.n_classes - 1}")
        return X, y

    def penalty(self, params):
        r""":math:`\frac{\lambda}{2} \sum_W \|W\|^2` over the weight matrices, one value per copy."""
        squares = [np.sum(params[k] ** 2, axis=(-2, -1)) for k in self.weights]
        return 0.5 * self.l2 * sum(squares)

    # -- evaluation ---------------------------------------------------------

    def metric(self, params, X, y):
        """Accuracy for a classifier, mean squared error for a regression; one per copy."""
        if self.classifier:
            return self.accuracy(params, X, y)
        X, y = self._check(params, X, y)
        return np.mean((self.predict(params, X) - y) ** 2, axis=-1)

    def accuracy(self, params, X, y):
        """Fraction of the rows of ``X`` whose predicted class is ``y``; one per copy."""
        if not self.classifier:
            raise TypeError(f"{self!r} is a regression; accuracy is for classifiers")
        X, y = self._check(params, X, y)
        return np.mean(self.predict(params, X) == y, axis=-1)

    def loss(self, params, X, y):
        r"""The objective :math:`f(\theta)` alone (no gradient); shape = copy shape."""
        return self.loss_and_grad(params, X, y, grad=False)[0]

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"


def _shape_of(copies):
    if isinstance(copies, (tuple, list)):
        return tuple(_positive_int("copies", c) for c in copies)
    return (_positive_int("copies", copies),)


# ---------------------------------------------------------------------------
# Linear models: one affine layer
# ---------------------------------------------------------------------------

class _Linear(Model):
    """One affine layer ``Z = X W + b`` with ``W`` of shape ``(d, k)``, started at 0."""

    weights = ("W",)

    def __init__(self, n_features, n_outputs, l2):
        self.n_features = _positive_int("n_features", n_features)
        self.l2 = _l2(l2)
        self.shapes = {"W": (self.n_features, n_outputs), "b": (n_outputs,)}

    def init(self, seed=0, copies=None, scale=0.0):
        r"""Parameters :math:`\theta_0`: ``W`` drawn from :math:`\mathcal N(0, \text{scale}^2)`
        and ``b = 0``. The default ``scale = 0`` starts at :math:`\theta_0 = 0`,
        the usual start of a convex model (then ``seed`` changes nothing).
        ``seed`` and ``copies`` as in :meth:`Model.init`."""
        if not (np.isfinite(scale) and scale >= 0):
            raise ValueError(f"Invalid scale: {scale!r} (must be finite and >= 0)")
        return super().init(seed, copies, scale=float(scale))

    def _init_one(self, rng, scale=0.0):
        d, k = self.shapes["W"]
        return {"W": scale * rng.standard_normal((d, k)), "b": np.zeros(k)}

    def _grads(self, params, X, dZ):
        r"""Backward through the affine layer: :math:`\nabla_W = X^\top \partial Z + \lambda W`,
        :math:`\nabla_b = \sum_i \partial Z_i` (``dZ`` already holds the :math:`1/n`)."""
        return {"W": _matmul(_transpose(X), dZ) + self.l2 * params["W"],
                "b": dZ.sum(axis=-2)}


class LinearRegression(_Linear):
    r"""Least squares: predictions :math:`\hat y_i = x_i^\top w + b` and

    .. math::

        f(\theta) &= \frac{1}{n}\sum_{i=1}^n \tfrac12 (\hat y_i - y_i)^2
                     + \frac{\lambda}{2}\|w\|^2 , \\
        \nabla_w f &= \frac{1}{n} X^\top (\hat y - y) + \lambda w ,
        \qquad
        \nabla_b f = \frac{1}{n}\sum_i (\hat y_i - y_i) .

    Parameters ``{"W": (d, 1), "b": (1,)}`` (:math:`w` is the column ``W``);
    ``n_features`` = :math:`d`, ``l2`` = :math:`\lambda`. The targets ``y``
    have shape ``(n,)``. The metric is the mean squared error (without the ½).
    """

    classifier = False
    metric_name = "mean squared error"

    def __init__(self, n_features, l2=0.0):
        super().__init__(n_features, 1, l2)

    def _args(self):
        return {"n_features": self.n_features, "l2": self.l2}

    def loss_and_grad(self, params, X, y, grad=True):
        """``(f, g)``: the loss (shape = copy shape) and the gradient dict (None if
        ``grad=False``)."""
        X, y = self._check(params, X, y)
        n = X.shape[0]
        residual = _affine(X, params["W"], params["b"])[..., 0] - y  # (..., n)
        loss = 0.5 * np.mean(residual ** 2, axis=-1) + self.penalty(params)
        if not grad:
            return loss, None
        return loss, self._grads(params, X, residual[..., None] / n)

    def predict(self, params, X):
        r"""Predictions :math:`\hat y = X w + b`, shape ``(..., n)``."""
        X, _ = self._check(params, X)
        return _affine(X, params["W"], params["b"])[..., 0]


class LogisticRegression(_Linear):
    r"""Logistic regression, binary or softmax, with the log loss.

    **Binary** (``n_classes=2``): one score :math:`z_i = x_i^\top w + b`,
    :math:`p_i = \sigma(z_i)` the probability of class 1, labels
    :math:`y_i \in \{0, 1\}`, parameters ``{"W": (d, 1), "b": (1,)}``:

    .. math::

        \ell_i = \log\bigl(1 + e^{z_i}\bigr) - y_i z_i ,
        \qquad
        \frac{\partial \ell_i}{\partial z_i} = \sigma(z_i) - y_i .

    **Softmax** (``n_classes=k > 2``): scores :math:`z_i = W^\top x_i + b \in
    \mathbb R^k`, labels :math:`y_i \in \{0, \dots, k-1\}`, parameters
    ``{"W": (d, k), "b": (k,)}``:

    .. math::

        \ell_i = \log \sum_{c} e^{z_{ic}} - z_{i y_i} ,
        \qquad
        \frac{\partial \ell_i}{\partial z_i} = \operatorname{softmax}(z_i) - e_{y_i} .

    In both cases :math:`f(\theta) = \frac1n\sum_i \ell_i + \frac{\lambda}{2}\|W\|^2`
    (the bias is not penalised) and :math:`\nabla_W f = \frac1n X^\top (\partial\ell/\partial Z)
    + \lambda W`. ``n_features`` = :math:`d`, ``l2`` = :math:`\lambda`. The log
    loss is computed from the scores (binary: :math:`\log(1 + e^{z}) =
    \max(z, 0) + \log(1 + e^{-|z|})`; softmax: a shifted log-sum-exp), so
    large scores neither overflow nor warn.
    """

    metric_name = "accuracy"

    def __init__(self, n_features, n_classes=2, l2=0.0):
        self.n_classes = _positive_int("n_classes", n_classes)
        if self.n_classes < 2:
            raise ValueError(f"Invalid n_classes: {n_classes!r} (must be >= 2)")
        super().__init__(n_features, 1 if self.n_classes == 2 else self.n_classes, l2)

    def _args(self):
        return {"n_features": self.n_features, "n_classes": self.n_classes, "l2": self.l2}

    def loss_and_grad(self, params, X, y, grad=True):
        """``(f, g)``: the loss (shape = copy shape) and the gradient dict (None if
        ``grad=False``)."""
        X, y = self._check(params, X, y)
        n = X.shape[0]
        Z = _affine(X, params["W"], params["b"])             # (..., n, k)
        if self.n_classes == 2:
            z = Z[..., 0]
            e = np.exp(-np.abs(z))               # in (0, 1]: shared by loss and gradient
            softplus = np.maximum(z, 0.0) + np.log1p(e)      # log(1 + e^z), no overflow
            loss = np.mean(softplus - y * z, axis=-1)
            dZ = (np.where(z >= 0, 1.0, e) / (1.0 + e) - y)[..., None] / n   # σ(z) − y
        else:
            Y = np.eye(self.n_classes)[y]                    # one-hot (n, k)
            logp = log_softmax(Z)
            loss = -np.mean(np.sum(Y * logp, axis=-1), axis=-1)
            dZ = (np.exp(logp) - Y) / n
        loss = loss + self.penalty(params)
        if not grad:
            return loss, None
        return loss, self._grads(params, X, dZ)

    def predict_proba(self, params, X):
        """Class probabilities, shape ``(..., n)`` (of class 1) when binary, else ``(..., n, k)``."""
        X, _ = self._check(params, X)
        Z = _affine(X, params["W"], params["b"])
        return sigmoid(Z[..., 0]) if self.n_classes == 2 else np.exp(log_softmax(Z))

    def predict(self, params, X):
        """Predicted class of every row of ``X``, shape ``(..., n)``."""
        X, _ = self._check(params, X)
        Z = _affine(X, params["W"], params["b"])
        return (Z[..., 0] > 0).astype(int) if self.n_classes == 2 else Z.argmax(axis=-1)


# ---------------------------------------------------------------------------
# A small multi-layer perceptron
# ---------------------------------------------------------------------------

class MLP(Model):
    r"""A multi-layer perceptron with one or two hidden layers and a softmax output.

    With :math:`A_0 = X` and :math:`L` = ``len(hidden) + 1`` layers,

    .. math::

        Z_l &= A_{l-1} W_l + b_l ,\qquad A_l = \phi(Z_l)\ (l < L), \\
        \ell_i &= \log\sum_c e^{Z_{L,ic}} - Z_{L,i y_i},

    :math:`f(\theta) = \frac1n\sum_i\ell_i + \frac{\lambda}{2}\sum_l\|W_l\|^2`,
    with :math:`\phi` = ``activation`` (``"tanh"`` or ``"relu"``). Backward,
    from :math:`\partial Z_L = (\operatorname{softmax}(Z_L) - Y)/n`:

    .. math::

        \nabla_{W_l} f &= A_{l-1}^\top \partial Z_l + \lambda W_l ,\qquad
        \nabla_{b_l} f = \textstyle\sum_i \partial Z_{l,i} , \\
        \partial Z_{l-1} &= (\partial Z_l W_l^\top) \odot \phi'(Z_{l-1}) ,

    where :math:`\tanh' = 1 - \tanh^2` and :math:`\operatorname{relu}'(z) = [z > 0]`.
    Parameters ``W1, b1, W2, b2`` (and ``W3, b3`` with two hidden layers),
    ``W_l`` of shape ``(fan_in, fan_out)``. Weights start random (seeded):
    Glorot uniform, :math:`U(\pm\sqrt{6/(\text{fan\_in}+\text{fan\_out})})`,
    for tanh; He normal, :math:`\mathcal N(0, 2/\text{fan\_in})`, for ReLU;
    biases start at 0. ``n_features`` = :math:`d`, ``hidden`` = widths of
    the hidden layers (an int or a tuple of one or two ints), ``n_classes``
    = :math:`k \ge 2`, ``l2`` = :math:`\lambda`.
    """

    metric_name = "accuracy"

    def __init__(self, n_features, hidden=(32,), n_classes=2, activation="tanh", l2=0.0):
        self.n_features = _positive_int("n_features", n_features)
        if isinstance(hidden, numbers.Integral):
            hidden = (hidden,)
        if not isinstance(hidden, (tuple, list)) or len(hidden) not in (1, 2):
            raise ValueError(f"Invalid hidden: {hidden!r} (one or two layer widths, "
                             "e.g. 32 or (32, 16))")
        self.hidden = tuple(_positive_int("hidden width", h) for h in hidden)
        self.n_classes = _positive_int("n_classes", n_classes)
        if self.n_classes < 2:
            raise ValueError(f"Invalid n_classes: {n_classes!r} (must be >= 2)")
        if activation not in ("tanh", "relu"):
            raise ValueError(f"Invalid activation: {activation!r} (must be 'tanh' or 'relu')")
        self.activation = activation
        self.l2 = _l2(l2)
        sizes = (self.n_features, *self.hidden, self.n_classes)
        self.n_layers = len(sizes) - 1
        self.shapes = {}
        for l in range(1, self.n_layers + 1):
            self.shapes[f"W{l}"] = (sizes[l - 1], sizes[l])
            self.shapes[f"b{l}"] = (sizes[l],)
        self.weights = tuple(f"W{l}" for l in range(1, self.n_layers + 1))

    def _args(self):
        return {"n_features": self.n_features, "hidden": self.hidden,
                "n_classes": self.n_classes, "activation": self.activation, "l2": self.l2}

    def _init_one(self, rng):
        params = {}
        for l in range(1, self.n_layers + 1):
            fan_in, fan_out = self.shapes[f"W{l}"]
            if self.activation == "relu":
                W = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))
            else:
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                W = rng.uniform(-limit, limit, (fan_in, fan_out))
            params[f"W{l}"], params[f"b{l}"] = W, np.zeros(fan_out)
        return params

    def _phi(self, Z):
        return np.tanh(Z) if self.activation == "tanh" else np.maximum(Z, 0.0)

    def _phi_prime(self, Z, A):
        """:math:`\\phi'(Z)`, from ``Z`` or from ``A = phi(Z)``, whichever is cheaper."""
        return 1.0 - A ** 2 if self.activation == "tanh" else (Z > 0).astype(Z.dtype)

    def _forward(self, params, X):
        """Pre-activations ``Zs`` and activations ``As`` (``As[0] = X``) of every layer."""
        As, Zs = [X], []
        for l in range(1, self.n_layers + 1):
            Z = _affine(As[-1], params[f"W{l}"], params[f"b{l}"])
            Zs.append(Z)
            if l < self.n_layers:
                As.append(self._phi(Z))
        return Zs, As

    def loss_and_grad(self, params, X, y, grad=True):
        """``(f, g)``: the loss (shape = copy shape) and the gradient dict (None if
        ``grad=False``)."""
        X, y = self._check(params, X, y)
        n = X.shape[0]
        Zs, As = self._forward(params, X)
        Y = np.eye(self.n_classes)[y]                        # one-hot (n, k)
        logp = log_softmax(Zs[-1])
        loss = -np.mean(np.sum(Y * logp, axis=-1), axis=-1) + self.penalty(params)
        if not grad:
            return loss, None
        grads = {}
        dZ = (np.exp(logp) - Y) / n                          # ∂f/∂Z_L
        for l in range(self.n_layers, 0, -1):
            W = params[f"W{l}"]
            grads[f"W{l}"] = _matmul(_transpose(As[l - 1]), dZ) + self.l2 * W
            grads[f"b{l}"] = dZ.sum(axis=-2)
            if l > 1:
                dZ = (dZ @ _transpose(W)) * self._phi_prime(Zs[l - 2], As[l - 1])
        return loss, {k: grads[k] for k in self.shapes}

    def predict_proba(self, params, X):
        """Class probabilities, shape ``(..., n, k)``."""
        X, _ = self._check(params, X)
        return np.exp(log_softmax(self._forward(params, X)[0][-1]))

    def predict(self, params, X):
        """Predicted class of every row of ``X``, shape ``(..., n)``."""
        X, _ = self._check(params, X)
        return self._forward(params, X)[0][-1].argmax(axis=-1)
