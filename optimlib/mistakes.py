r"""Classic mistakes in optimizer code, one small class each, for :func:`optimlib.check`.

Each ``Plain...`` class is a correct optimizer written the way a reader
would write it: one loop over the parameters, state in dicts, the formula
of the chapter in ``step``. Each mistake is one of them with **one** classic
bug, marked ``# BUG`` in its code, and declares

* ``diagnosis``: the key (in :data:`DIAGNOSES`) of what the checker should
  say about it, and
* ``applies_to``: the names of :func:`optimlib.check` it is a mistake of.

The checker recognises a cause by running these classes on the reader's
gradient stream and seeing which one reproduces the reader's numbers; the
test suite feeds every one of them to the checker. They all take the
library's keywords (``lr``, ``beta1``, ...) with the library's defaults.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

__all__ = ["DIAGNOSES", "MISTAKES", "CORRECT", "for_optimizer",
           "PlainSGD", "PlainMomentum", "PlainNesterov", "PlainAdaGrad", "PlainRMSProp",
           "PlainAdadelta", "PlainAdam", "PlainAdamW", "PlainNAdam", "PlainAdaMax"]

#: What the checker says about each mistake ("Most likely cause: ...").
DIAGNOSES = {
    "not_in_place": (
        "the update is not in place: the caller's arrays never change. Change them "
        "in place (p -= ..., p[...] = ...); writing params[key] = p - ..., rebinding "
        "p = p - ... or returning new arrays leaves the caller's params as they were"),
    "gradient_sign": (
        "the step goes uphill: gradient descent subtracts the gradient, θ ← θ − η g"),
    "momentum_sign": (
        "momentum's sign: the velocity must subtract the gradient, v ← μ v − η g "
        "(then θ ← θ + v); adding it makes the step go uphill"),
    "momentum_order": (
        "momentum's order: θ is moved with the old velocity. Update the velocity first, "
        "v ← μ v − η g, then move θ ← θ + v with the new one"),
    "nesterov_as_momentum": (
        "this is plain (heavy-ball) momentum, not Nesterov: after v ← μ v − η g, "
        "Nesterov moves θ ← θ + μ v − η g (a look-ahead by μ v), not θ ← θ + v"),
    "eps_inside_sqrt": (
        "ε is inside the square root: optimlib adds it after the root, dividing by "
        "√v̂ + ε (Adam), √v + ε (RMSProp) or √h + ε (AdaGrad), not by √(v + ε); "
        "the two differ most when the gradients are tiny"),
    "eps_outside_sqrt": (
        "ε is outside the square roots: Adadelta adds it inside both, "
        "Δ = √(u + ε) / √(v + ε) · g (with u = 0 at the start, √u + ε barely moves θ)"),
    "missing_square": (
        "the gradient is not squared in the running average: accumulate g ⊙ g (g * g), "
        "not g (the average can then turn negative and its square root nan)"),
    "not_accumulated": (
        "AdaGrad's sum is not accumulated: h ← h + g ⊙ g adds to the previous h; "
        "h = g * g forgets every earlier gradient"),
    "initial_accumulator_ignored": (
        "the accumulator does not start at initial_accumulator: h₀ = initial_accumulator "
        "(then h ← h + g ⊙ g)"),
    "rho_swapped": (
        "ρ and 1 − ρ are swapped: the average keeps ρ of the old value, "
        "v ← ρ v + (1 − ρ) g ⊙ g"),
    "adadelta_order": (
        "the squared-gradient average is updated after Δ is computed: update "
        "v ← ρ v + (1 − ρ) g ⊙ g first, then Δ = √(u + ε)/√(v + ε) · g with the new v "
        "and the old u, then u"),
    "no_bias_correction": (
        "bias correction is missing (m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ))"),
    "corrected_moments_stored": (
        "the bias-corrected moments are stored back into the running averages "
        "(m = m/(1−β₁ᵗ) overwrites m). Keep m and v uncorrected and compute "
        "m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) in separate variables"),
    "step_counter_from_zero": (
        "the step counter starts at 0: t is used before it is incremented, so the first "
        "update divides by 1 − β⁰ = 0. Increment t first: t = 1 at the first update"),
    "amsgrad_no_max": (
        "the running maximum is not used: AMSGrad keeps v_max ← max(v_max, v) and divides "
        "by √v̂_max + ε with v̂_max = v_max/(1−β₂ᵗ); dividing by √v̂ is plain Adam"),
    "amsgrad_max_of_corrected": (
        "the maximum is taken over the corrected v̂: optimlib (like PyTorch) keeps "
        "v_max ← max(v_max, v) of the uncorrected v and corrects the maximum, "
        "v_max/(1−β₂ᵗ)"),
    "l2_instead_of_decoupled": (
        "the weight decay is added to the gradient (g + λθ, L2 regularisation as in "
        "Adam(weight_decay)); AdamW decouples it: θ ← θ − η λ θ, then the Adam step with "
        "the plain gradient"),
    "decay_without_lr": (
        "the weight decay is not multiplied by the learning rate: θ ← θ − η λ θ "
        "(PyTorch's convention), not θ ← θ − λ θ"),
    "decay_after_step": (
        "the weight decay is applied after the Adam step: shrink θ ← θ − η λ θ first "
        "(with θ before the step), then take the Adam step"),
    "nadam_no_look_ahead": (
        "the momentum term does not look ahead: NAdam weighs m_t with the NEXT "
        "momentum, μ_{t+1} m_t/(1 − Π_t μ_{t+1}), and the gradient with the current one, "
        "(1 − μ_t) g_t/(1 − Π_t)"),
    "nadam_constant_momentum": (
        "the momentum schedule is missing: NAdam uses μ_t = β₁(1 − ½·0.96^(t ψ)) with "
        "ψ = momentum_decay (and the product Π_t of the μ's), not β₁ itself"),
    "missing_abs": (
        "the absolute value is missing: AdaMax keeps the largest |g|, "
        "v∞ ← max(β₂ v∞, |g| + ε); max(β₂ v∞, g + ε) forgets negative gradients"),
    "eps_outside_max": (
        "ε is outside the maximum: optimlib (like PyTorch) takes max(β₂ v∞, |g| + ε) and "
        "divides by it; dividing by v∞ + ε is the paper's and Keras's variant"),
}


def _pairs(params, grads):
    """(key, parameter, gradient) triples; the key is None for a single array."""
    if isinstance(params, dict):
        return [(key, params[key], grads[key]) for key in params]
    return [(None, params, grads)]


class _Plain:
    """What every reader's class has around its formula: per-parameter state and a counter.

    ``state_names`` lists the state arrays (zeros at first); ``step(p, g, s)``
    changes one parameter array ``p`` in place, ``s`` holds its state and
    ``self.t`` is the step (1 at the first update).
    """

    state_names: tuple = ()
    diagnosis = None
    applies_to: tuple = ()

    def _reset(self):
        self.t = 0
        self.state = {}

    def _state(self, key, p):
        if key not in self.state:
            self.state[key] = SimpleNamespace(**{name: self._start(name, p)
                                                 for name in self.state_names})
        return self.state[key]

    def _start(self, name, p):
        return np.zeros_like(p)

    def update(self, params, grads):
        self.t += 1
        for key, p, g in _pairs(params, grads):
            self.step(p, g, self._state(key, p))

    def step(self, p, g, s):
        raise NotImplementedError


# -- correct, reader-style -------------------------------------------------------------
class PlainSGD(_Plain):
    r""":math:`\theta \leftarrow \theta - \eta g`."""

    def __init__(self, lr=0.01):
        self.lr = lr
        self._reset()

    def step(self, p, g, s):
        p -= self.lr * g


class PlainMomentum(_Plain):
    r""":math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v`."""

    state_names = ("v",)

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self._reset()

    def step(self, p, g, s):
        s.v = self.momentum * s.v - self.lr * g
        p += s.v


class PlainNesterov(PlainMomentum):
    r""":math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + \mu v - \eta g`."""

    def step(self, p, g, s):
        s.v = self.momentum * s.v - self.lr * g
        p += self.momentum * s.v - self.lr * g


class PlainAdaGrad(_Plain):
    r"""AdaGrad.

    .. math::

        h \leftarrow h + g \odot g, \qquad
        \theta \leftarrow \theta - \eta\, g / (\sqrt h + \varepsilon)
    """

    state_names = ("h",)

    def __init__(self, lr=0.01, eps=1e-10, initial_accumulator=0.0):
        self.lr, self.eps, self.initial_accumulator = lr, eps, initial_accumulator
        self._reset()

    def _start(self, name, p):
        return np.full_like(p, self.initial_accumulator)

    def step(self, p, g, s):
        s.h = s.h + g * g
        p -= self.lr * g / (np.sqrt(s.h) + self.eps)


class PlainRMSProp(_Plain):
    r"""RMSProp.

    .. math::

        v \leftarrow \rho v + (1-\rho)\, g \odot g, \qquad
        \theta \leftarrow \theta - \eta\, g / (\sqrt v + \varepsilon)
    """

    state_names = ("v",)

    def __init__(self, lr=0.01, rho=0.99, eps=1e-8):
        self.lr, self.rho, self.eps = lr, rho, eps
        self._reset()

    def step(self, p, g, s):
        s.v = self.rho * s.v + (1 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(s.v) + self.eps)


class PlainAdadelta(_Plain):
    r"""Adadelta.

    .. math::

        v &\leftarrow \rho v + (1-\rho)\, g \odot g, \qquad
        \Delta = \frac{\sqrt{u + \varepsilon}}{\sqrt{v + \varepsilon}}\, g \\
        u &\leftarrow \rho u + (1-\rho)\, \Delta \odot \Delta, \qquad
        \theta \leftarrow \theta - \eta\, \Delta
    """

    state_names = ("v", "u")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6):
        self.lr, self.rho, self.eps = lr, rho, eps
        self._reset()

    def step(self, p, g, s):
        s.v = self.rho * s.v + (1 - self.rho) * g * g
        delta = np.sqrt(s.u + self.eps) / np.sqrt(s.v + self.eps) * g
        s.u = self.rho * s.u + (1 - self.rho) * delta * delta
        p -= self.lr * delta


class PlainAdam(_Plain):
    r"""Adam (and AMSGrad with ``amsgrad=True``), bias-corrected, ε outside the root."""

    state_names = ("m", "v", "v_max")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.amsgrad = amsgrad
        self._reset()

    def second_moment(self, s, v):
        """``v``, or with AMSGrad the running maximum of the ``v`` it is given."""
        if not self.amsgrad:
            return v
        s.v_max = np.maximum(s.v_max, v)
        return s.v_max

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        m_hat = s.m / (1 - b1 ** t)
        v_hat = self.second_moment(s, s.v) / (1 - b2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class PlainAdamW(PlainAdam):
    r"""AdamW: :math:`\theta \leftarrow \theta - \eta\lambda\theta`, then the Adam step."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                 amsgrad=False):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad)
        self.weight_decay = weight_decay

    def step(self, p, g, s):
        p *= 1 - self.lr * self.weight_decay
        super().step(p, g, s)


class PlainNAdam(_Plain):
    r"""NAdam: the gradient weighted with :math:`\mu_t`, the momentum with :math:`\mu_{t+1}`."""

    state_names = ("m", "v")

    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=0.004):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.momentum_decay = momentum_decay
        self._reset()

    def mu(self, t):
        """The momentum schedule μ_t = β₁(1 − ½·0.96^(t ψ))."""
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _state(self, key, p):
        s = super()._state(key, p)
        if not hasattr(s, "mu_product"):
            s.mu_product = 1.0
        return s

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        mu, mu_next = self.mu(t), self.mu(t + 1)
        s.mu_product *= mu
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        v_hat = s.v / (1 - b2 ** t)
        m_bar = ((1 - mu) / (1 - s.mu_product) * g
                 + mu_next / (1 - s.mu_product * mu_next) * s.m)
        p -= self.lr * m_bar / (np.sqrt(v_hat) + self.eps)


class PlainAdaMax(_Plain):
    r"""AdaMax: :math:`v^\infty \leftarrow \max(\beta_2 v^\infty, |g| + \varepsilon)`."""

    state_names = ("m", "v_inf")

    def __init__(self, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self._reset()

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v_inf = np.maximum(b2 * s.v_inf, np.abs(g) + self.eps)
        p -= self.lr / (1 - b1 ** t) * s.m / s.v_inf


#: A correct reader-style class for every name of :func:`optimlib.check`.
CORRECT = {"sgd": PlainSGD, "momentum": PlainMomentum, "nesterov": PlainNesterov,
           "adagrad": PlainAdaGrad, "rmsprop": PlainRMSProp, "adadelta": PlainAdadelta,
           "adam": PlainAdam, "adamw": PlainAdamW, "amsgrad": PlainAdam,
           "nadam": PlainNAdam, "adamax": PlainAdaMax}


# -- mistakes shared by every optimizer -------------------------------------------------
class _NotInPlace:
    """Mixin: the update computes new arrays and never touches the caller's."""

    diagnosis = "not_in_place"

    def update(self, params, grads):
        self.t += 1
        if isinstance(params, dict):
            for key in params:
                new = params[key].copy()
                self.step(new, grads[key], self._state(key, new))
                params[key] = new                  # BUG: a new array in the dict
            return params
        new = params.copy()
        self.step(new, grads, self._state(None, new))
        return new                                 # BUG: the caller's array is unchanged


class _CounterFromZero:
    """Mixin: the step counter is incremented after it is used."""

    diagnosis = "step_counter_from_zero"

    def update(self, params, grads):
        for key, p, g in _pairs(params, grads):
            self.step(p, g, self._state(key, p))   # BUG: t = 0 at the first update
        self.t += 1


# -- SGD --------------------------------------------------------------------------------
class SGDUphill(PlainSGD):
    diagnosis, applies_to = "gradient_sign", ("sgd",)

    def step(self, p, g, s):
        p += self.lr * g                           # BUG: + instead of -


class SGDNotInPlace(PlainSGD):
    diagnosis, applies_to = "not_in_place", ("sgd",)

    def update(self, params, grads):
        if isinstance(params, dict):
            for key in params:
                params[key] = params[key] - self.lr * grads[key]   # BUG: a new array
            return params
        params = params - self.lr * grads          # BUG: rebinds the local name only
        return params


# -- Momentum and Nesterov ----------------------------------------------------------------
class MomentumWrongSign(PlainMomentum):
    diagnosis, applies_to = "momentum_sign", ("momentum",)

    def step(self, p, g, s):
        s.v = self.momentum * s.v + self.lr * g    # BUG: + η g
        p += s.v


class MomentumWrongOrder(PlainMomentum):
    diagnosis, applies_to = "momentum_order", ("momentum",)

    def step(self, p, g, s):
        p += s.v                                   # BUG: moves with the old velocity
        s.v = self.momentum * s.v - self.lr * g


class MomentumNotInPlace(_NotInPlace, PlainMomentum):
    applies_to = ("momentum",)


class NesterovAsMomentum(PlainNesterov):
    diagnosis, applies_to = "nesterov_as_momentum", ("nesterov",)

    def step(self, p, g, s):
        s.v = self.momentum * s.v - self.lr * g
        p += s.v                                   # BUG: no look-ahead


class NesterovWrongSign(PlainNesterov):
    diagnosis, applies_to = "momentum_sign", ("nesterov",)

    def step(self, p, g, s):
        s.v = self.momentum * s.v + self.lr * g    # BUG: + η g
        p += self.momentum * s.v - self.lr * g


class NesterovNotInPlace(_NotInPlace, PlainNesterov):
    applies_to = ("nesterov",)


# -- AdaGrad --------------------------------------------------------------------------------
class AdaGradEpsInsideSqrt(PlainAdaGrad):
    diagnosis, applies_to = "eps_inside_sqrt", ("adagrad",)

    def step(self, p, g, s):
        s.h = s.h + g * g
        p -= self.lr * g / np.sqrt(s.h + self.eps)  # BUG: ε inside the root


class AdaGradMissingSquare(PlainAdaGrad):
    diagnosis, applies_to = "missing_square", ("adagrad",)

    def step(self, p, g, s):
        s.h = s.h + g                              # BUG: g, not g * g
        p -= self.lr * g / (np.sqrt(s.h) + self.eps)


class AdaGradNotAccumulated(PlainAdaGrad):
    diagnosis, applies_to = "not_accumulated", ("adagrad",)

    def step(self, p, g, s):
        s.h = g * g                                # BUG: forgets the earlier gradients
        p -= self.lr * g / (np.sqrt(s.h) + self.eps)


class AdaGradIgnoresInitialAccumulator(PlainAdaGrad):
    diagnosis, applies_to = "initial_accumulator_ignored", ("adagrad",)

    def _start(self, name, p):
        return np.zeros_like(p)                    # BUG: h₀ = 0 whatever the argument


class AdaGradNotInPlace(_NotInPlace, PlainAdaGrad):
    applies_to = ("adagrad",)


# -- RMSProp --------------------------------------------------------------------------------
class RMSPropEpsInsideSqrt(PlainRMSProp):
    diagnosis, applies_to = "eps_inside_sqrt", ("rmsprop",)

    def step(self, p, g, s):
        s.v = self.rho * s.v + (1 - self.rho) * g * g
        p -= self.lr * g / np.sqrt(s.v + self.eps)  # BUG: ε inside the root


class RMSPropMissingSquare(PlainRMSProp):
    diagnosis, applies_to = "missing_square", ("rmsprop",)

    def step(self, p, g, s):
        s.v = self.rho * s.v + (1 - self.rho) * g  # BUG: g, not g * g
        p -= self.lr * g / (np.sqrt(s.v) + self.eps)


class RMSPropRhoSwapped(PlainRMSProp):
    diagnosis, applies_to = "rho_swapped", ("rmsprop",)

    def step(self, p, g, s):
        s.v = (1 - self.rho) * s.v + self.rho * g * g   # BUG: ρ and 1 - ρ swapped
        p -= self.lr * g / (np.sqrt(s.v) + self.eps)


class RMSPropNotInPlace(_NotInPlace, PlainRMSProp):
    applies_to = ("rmsprop",)


# -- Adadelta -------------------------------------------------------------------------------
class AdadeltaEpsOutsideSqrt(PlainAdadelta):
    diagnosis, applies_to = "eps_outside_sqrt", ("adadelta",)

    def step(self, p, g, s):
        s.v = self.rho * s.v + (1 - self.rho) * g * g
        delta = (np.sqrt(s.u) + self.eps) / (np.sqrt(s.v) + self.eps) * g   # BUG
        s.u = self.rho * s.u + (1 - self.rho) * delta * delta
        p -= self.lr * delta


class AdadeltaLateAverage(PlainAdadelta):
    diagnosis, applies_to = "adadelta_order", ("adadelta",)

    def step(self, p, g, s):
        delta = np.sqrt(s.u + self.eps) / np.sqrt(s.v + self.eps) * g   # BUG: old v
        s.v = self.rho * s.v + (1 - self.rho) * g * g
        s.u = self.rho * s.u + (1 - self.rho) * delta * delta
        p -= self.lr * delta


class AdadeltaMissingSquare(PlainAdadelta):
    diagnosis, applies_to = "missing_square", ("adadelta",)

    def step(self, p, g, s):
        s.v = self.rho * s.v + (1 - self.rho) * g  # BUG: g, not g * g
        delta = np.sqrt(s.u + self.eps) / np.sqrt(s.v + self.eps) * g
        s.u = self.rho * s.u + (1 - self.rho) * delta * delta
        p -= self.lr * delta


class AdadeltaNotInPlace(_NotInPlace, PlainAdadelta):
    applies_to = ("adadelta",)


# -- Adam and AMSGrad -----------------------------------------------------------------------
class AdamEpsInsideSqrt(PlainAdam):
    diagnosis, applies_to = "eps_inside_sqrt", ("adam", "amsgrad")

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        m_hat = s.m / (1 - b1 ** t)
        v_hat = self.second_moment(s, s.v) / (1 - b2 ** t)
        p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)   # BUG: ε inside the root


class AdamNoBiasCorrection(PlainAdam):
    diagnosis, applies_to = "no_bias_correction", ("adam", "amsgrad")

    def step(self, p, g, s):
        b1, b2 = self.beta1, self.beta2
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        v = self.second_moment(s, s.v)
        p -= self.lr * s.m / (np.sqrt(v) + self.eps)   # BUG: m, v instead of m̂, v̂


class AdamCorrectedMomentsStored(PlainAdam):
    """The bug of seed 002: m̂ and v̂ overwrite m and v, so the correction compounds."""

    diagnosis, applies_to = "corrected_moments_stored", ("adam", "amsgrad")

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.m = s.m / (1 - b1 ** t)                  # BUG: the corrected m is kept
        s.v = b2 * s.v + (1 - b2) * g * g
        s.v = s.v / (1 - b2 ** t)                  # BUG: the corrected v is kept
        p -= self.lr * s.m / (np.sqrt(self.second_moment(s, s.v)) + self.eps)


class AdamCounterFromZero(_CounterFromZero, PlainAdam):
    applies_to = ("adam", "amsgrad")


class AdamMissingSquare(PlainAdam):
    diagnosis, applies_to = "missing_square", ("adam", "amsgrad")

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g              # BUG: g, not g * g
        m_hat = s.m / (1 - b1 ** t)
        v_hat = self.second_moment(s, s.v) / (1 - b2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamNotInPlace(_NotInPlace, PlainAdam):
    applies_to = ("adam", "amsgrad")


class AMSGradWithoutMax(PlainAdam):
    diagnosis, applies_to = "amsgrad_no_max", ("amsgrad",)

    def second_moment(self, s, v):
        return v                                   # BUG: no running maximum


class AMSGradMaxOfCorrected(PlainAdam):
    diagnosis, applies_to = "amsgrad_max_of_corrected", ("amsgrad",)

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        m_hat = s.m / (1 - b1 ** t)
        s.v_max = np.maximum(s.v_max, s.v / (1 - b2 ** t))   # BUG: max of v̂
        p -= self.lr * m_hat / (np.sqrt(s.v_max) + self.eps)


# -- AdamW ------------------------------------------------------------------------------------
class AdamWAsL2(PlainAdamW):
    diagnosis, applies_to = "l2_instead_of_decoupled", ("adamw",)

    def step(self, p, g, s):
        g = g + self.weight_decay * p              # BUG: decay folded into the gradient
        PlainAdam.step(self, p, g, s)


class AdamWDecayWithoutLR(PlainAdamW):
    diagnosis, applies_to = "decay_without_lr", ("adamw",)

    def step(self, p, g, s):
        p *= 1 - self.weight_decay                 # BUG: λ without η
        PlainAdam.step(self, p, g, s)


class AdamWDecayAfterStep(PlainAdamW):
    diagnosis, applies_to = "decay_after_step", ("adamw",)

    def step(self, p, g, s):
        PlainAdam.step(self, p, g, s)
        p *= 1 - self.lr * self.weight_decay       # BUG: decays the stepped θ


# AdamW inherits Adam's mistakes: the decay is right, the Adam step has the bug.
class AdamWEpsInsideSqrt(PlainAdamW, AdamEpsInsideSqrt):
    applies_to = ("adamw",)


class AdamWNoBiasCorrection(PlainAdamW, AdamNoBiasCorrection):
    applies_to = ("adamw",)


class AdamWCorrectedMomentsStored(PlainAdamW, AdamCorrectedMomentsStored):
    applies_to = ("adamw",)


class AdamWCounterFromZero(_CounterFromZero, PlainAdamW):
    applies_to = ("adamw",)


class AdamWNotInPlace(_NotInPlace, PlainAdamW):
    applies_to = ("adamw",)


# -- NAdam -------------------------------------------------------------------------------------
class NAdamNoLookAhead(PlainNAdam):
    diagnosis, applies_to = "nadam_no_look_ahead", ("nadam",)

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        mu = self.mu(t)
        s.mu_product *= mu
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        v_hat = s.v / (1 - b2 ** t)
        m_bar = ((1 - mu) / (1 - s.mu_product) * g
                 + mu / (1 - s.mu_product) * s.m)   # BUG: μ_t, not μ_{t+1}
        p -= self.lr * m_bar / (np.sqrt(v_hat) + self.eps)


class NAdamConstantMomentum(PlainNAdam):
    diagnosis, applies_to = "nadam_constant_momentum", ("nadam",)

    def mu(self, t):
        return self.beta1                          # BUG: no schedule


class NAdamNoBiasCorrection(PlainNAdam):
    diagnosis, applies_to = "no_bias_correction", ("nadam",)

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        mu, mu_next = self.mu(t), self.mu(t + 1)
        s.m = b1 * s.m + (1 - b1) * g
        s.v = b2 * s.v + (1 - b2) * g * g
        m_bar = (1 - mu) * g + mu_next * s.m       # BUG: no 1 − Π corrections, v not v̂
        p -= self.lr * m_bar / (np.sqrt(s.v) + self.eps)


class NAdamCounterFromZero(_CounterFromZero, PlainNAdam):
    applies_to = ("nadam",)


class NAdamNotInPlace(_NotInPlace, PlainNAdam):
    applies_to = ("nadam",)


# -- AdaMax ------------------------------------------------------------------------------------
class AdaMaxMissingAbs(PlainAdaMax):
    diagnosis, applies_to = "missing_abs", ("adamax",)

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v_inf = np.maximum(b2 * s.v_inf, g + self.eps)   # BUG: g, not |g|
        p -= self.lr / (1 - b1 ** t) * s.m / s.v_inf


class AdaMaxEpsOutsideMax(PlainAdaMax):
    diagnosis, applies_to = "eps_outside_max", ("adamax",)

    def step(self, p, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        s.m = b1 * s.m + (1 - b1) * g
        s.v_inf = np.maximum(b2 * s.v_inf, np.abs(g))
        p -= self.lr / (1 - b1 ** t) * s.m / (s.v_inf + self.eps)   # BUG: ε outside


class AdaMaxNoBiasCorrection(PlainAdaMax):
    diagnosis, applies_to = "no_bias_correction", ("adamax",)

    def step(self, p, g, s):
        b1, b2 = self.beta1, self.beta2
        s.m = b1 * s.m + (1 - b1) * g
        s.v_inf = np.maximum(b2 * s.v_inf, np.abs(g) + self.eps)
        p -= self.lr * s.m / s.v_inf                # BUG: m, not m/(1 − β₁ᵗ)


class AdaMaxCounterFromZero(_CounterFromZero, PlainAdaMax):
    applies_to = ("adamax",)


class AdaMaxNotInPlace(_NotInPlace, PlainAdaMax):
    applies_to = ("adamax",)


#: Every mistake, in the order the checker tries them.
MISTAKES = tuple(obj for obj in list(globals().values())
                 if isinstance(obj, type) and issubclass(obj, _Plain) and obj.applies_to)


def for_optimizer(name):
    """The mistakes the checker tries for ``name`` (e.g. ``"adam"``)."""
    return tuple(cls for cls in MISTAKES if name in cls.applies_to)
