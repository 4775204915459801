r"""Test landscapes: two-dimensional objectives with known minima.

Every landscape is vectorised over leading axes: ``f(theta)`` takes points of
shape ``(..., 2)`` and returns shape ``(...)``; ``grad(theta)`` returns shape
``(..., 2)``. Each one knows its minima (``minima``, shape ``(k, 2)``), the
value there (``f_min``), a default start point (``start``) and a plot window
(``xlim``, ``ylim``).

Two kinds of landscape go beyond a fixed smooth function. A *time-dependent*
one (``time_dependent = True``) has a gradient ``grad(theta, t)`` that also
depends on the step number ``t`` (from 1), as in online learning, where the
loss :math:`f_t` changes from step to step; its ``f`` is then the average
objective. A *constrained* one (``constrained = True``) restricts
:math:`\theta` to a feasible set, and ``project(theta)`` returns the nearest
feasible point. :func:`optimlib.run.run` handles both: it passes ``t`` to the
gradient and projects after every update.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Landscape", "Quadratic", "Bowl", "Rosenbrock", "Beale", "Saddle",
           "Himmelblau", "Reddi", "Preconditioned", "LANDSCAPES"]


class Landscape:
    """Base class. Subclasses implement ``f`` and ``grad`` on arrays ``(..., 2)``."""

    name = "landscape"
    minima = np.zeros((1, 2))
    f_min = 0.0
    start = np.array([1.0, 1.0])
    xlim = (-2.0, 2.0)
    ylim = (-2.0, 2.0)
    time_dependent = False   # True: grad(theta, t) depends on the step t as well
    constrained = False      # True: run() projects onto the feasible set after each update

    def f(self, theta):
        raise NotImplementedError

    def grad(self, theta):
        raise NotImplementedError

    def project(self, theta):
        """The nearest feasible point to each point of ``theta`` (..., 2).

        Every point is feasible unless a landscape says otherwise
        (``constrained = True``); then it overrides this method.
        """
        theta = np.asarray(theta, dtype=float)
        _xy(theta)
        return theta.copy()

    def __call__(self, theta):
        return self.f(theta)

    def __repr__(self):
        return f"{type(self).__name__}()"

    def distance_to_minimum(self, theta):
        """Distance from each point in ``theta`` (..., 2) to the nearest minimum."""
        theta = np.asarray(theta, dtype=float)
        d = np.linalg.norm(theta[..., None, :] - self.minima, axis=-1)
        return d.min(axis=-1)

    def hessian(self, theta, h=1e-5):
        r"""The Hessian :math:`\nabla^2 f(\theta)` at one point, a symmetric 2 x 2 array.

        Column :math:`j` is the central difference
        :math:`(\nabla f(\theta + h e_j) - \nabla f(\theta - h e_j)) / 2h` of
        the gradient, and the result is symmetrised (every Hessian is
        symmetric); a landscape with a closed form may override it.
        """
        theta = np.asarray(theta, dtype=float)
        _xy(theta)
        if theta.shape != (2,):
            raise ValueError(f"hessian takes one point of shape (2,), got {theta.shape}")
        cols = [(self.grad(theta + h * e) - self.grad(theta - h * e)) / (2 * h)
                for e in np.eye(2)]
        H = np.stack(cols, axis=1)
        return (H + H.T) / 2

    def grid(self, n=120):
        """Coordinates ``X, Y`` and values ``Z`` on an ``n`` x ``n`` grid of the window."""
        x = np.linspace(*self.xlim, n)
        y = np.linspace(*self.ylim, n)
        X, Y = np.meshgrid(x, y)
        return X, Y, self.f(np.stack([X, Y], axis=-1))


def _xy(theta):
    theta = np.asarray(theta, dtype=float)
    if theta.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {theta.shape}")
    return theta[..., 0], theta[..., 1]


class Quadratic(Landscape):
    r"""The bowl :math:`f(\theta) = \tfrac12 \theta^\top A \theta` with minimum at 0.

    The Hessian :math:`A` has eigenvalues :math:`\lambda_{\max}` =
    ``lam_max`` and :math:`\lambda_{\min} = \lambda_{\max}/\kappa`, with
    :math:`\kappa` = ``kappa`` the condition number; its eigenvectors are the
    axes turned by ``angle`` degrees. The slow direction is the first axis.
    """

    def __init__(self, kappa=10.0, angle=0.0, lam_max=1.0):
        if not kappa >= 1:
            raise ValueError(f"Invalid kappa: {kappa!r} (must be >= 1)")
        if not lam_max > 0:
            raise ValueError(f"Invalid lam_max: {lam_max!r} (must be > 0)")
        self.kappa, self.angle, self.lam_max = float(kappa), float(angle), float(lam_max)
        self.eigenvalues = np.array([lam_max / kappa, lam_max])
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        self.eigenvectors = np.array([[c, -s], [s, c]])  # columns
        self.A = self.eigenvectors @ np.diag(self.eigenvalues) @ self.eigenvectors.T
        self.name = f"quadratic, κ = {kappa:g}"
        self.start = self.eigenvectors @ np.array([-4.0, 3.0])
        self.xlim, self.ylim = (-5.0, 5.0), (-5.0, 5.0)

    def __repr__(self):
        return f"Quadratic(kappa={self.kappa:g}, angle={self.angle:g}, lam_max={self.lam_max:g})"

    def hessian(self, theta, h=None):
        """The Hessian of a quadratic is :math:`A` everywhere."""
        return self.A.copy()

    @property
    def lam_min(self):
        return self.eigenvalues[0]

    def f(self, theta):
        theta = np.asarray(theta, dtype=float)
        _xy(theta)
        return 0.5 * np.einsum("...i,ij,...j->...", theta, self.A, theta)

    def grad(self, theta):
        theta = np.asarray(theta, dtype=float)
        _xy(theta)
        return theta @ self.A.T


class Bowl(Quadratic):
    r"""The bowl of *Deep Learning from Scratch*: :math:`f(x, y) = x^2/20 + y^2`.

    A quadratic with eigenvalues 1/10 and 2 (so :math:`\kappa = 20`): a long
    shallow valley along :math:`x`, steep walls along :math:`y`.
    """

    def __init__(self):
        super().__init__(kappa=20.0, angle=0.0, lam_max=2.0)
        self.name = "bowl x²/20 + y²"
        self.start = np.array([-7.0, 2.0])
        self.xlim, self.ylim = (-10.0, 10.0), (-5.0, 5.0)

    def __repr__(self):
        return "Bowl()"


class Rosenbrock(Landscape):
    r""":math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`, minimum :math:`(a, a^2)`.

    A curved, flat-bottomed valley: easy to find, slow to follow.
    """

    def __init__(self, a=1.0, b=100.0):
        self.a, self.b = float(a), float(b)
        self.minima = np.array([[a, a * a]])
        self.name = "Rosenbrock"
        self.start = np.array([-1.5, 2.0])
        self.xlim, self.ylim = (-2.0, 2.0), (-1.0, 3.0)

    def __repr__(self):
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"

    def f(self, theta):
        x, y = _xy(theta)
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def grad(self, theta):
        x, y = _xy(theta)
        r = y - x * x
        return np.stack([-2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r], axis=-1)


class Beale(Landscape):
    r"""Beale's function, minimum 0 at :math:`(3, 1/2)`.

    .. math::

        f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2

    Flat plateaus and a narrow curved valley; the scale of the gradient varies
    by orders of magnitude across the window.
    """

    _c = (1.5, 2.25, 2.625)

    def __init__(self):
        self.minima = np.array([[3.0, 0.5]])
        self.name = "Beale"
        self.start = np.array([1.0, 1.5])
        self.xlim, self.ylim = (-4.5, 4.5), (-4.5, 4.5)

    def f(self, theta):
        x, y = _xy(theta)
        return sum((c - x + x * y ** k) ** 2 for k, c in enumerate(self._c, start=1))

    def grad(self, theta):
        x, y = _xy(theta)
        gx = np.zeros_like(x)
        gy = np.zeros_like(y)
        for k, c in enumerate(self._c, start=1):
            r = c - x + x * y ** k
            gx = gx + 2 * r * (y ** k - 1)
            gy = gy + 2 * r * k * x * y ** (k - 1)
        return np.stack([gx, gy], axis=-1)


class Saddle(Landscape):
    r""":math:`f(x, y) = x^2 + y^4/4 - y^2/2`: a saddle at the origin.

    Minima :math:`(0, \pm 1)` with value :math:`-1/4`. Started on (or near)
    the line :math:`y = 0`, gradient descent heads for the saddle first.
    """

    def __init__(self):
        self.minima = np.array([[0.0, 1.0], [0.0, -1.0]])
        self.f_min = -0.25
        self.name = "saddle"
        self.start = np.array([-1.5, 1e-3])
        self.xlim, self.ylim = (-2.0, 2.0), (-1.6, 1.6)

    def f(self, theta):
        x, y = _xy(theta)
        return x * x + y ** 4 / 4 - y * y / 2

    def grad(self, theta):
        x, y = _xy(theta)
        return np.stack([2 * x, y ** 3 - y], axis=-1)


class Himmelblau(Landscape):
    r"""Himmelblau's function :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`.

    Four minima, all with value 0: which one a run reaches depends on where it
    starts and on the optimizer.
    """

    def __init__(self):
        self.minima = np.array([[3.0, 2.0],
                                [-2.805118086952745, 3.131312518250573],
                                [-3.779310253377747, -3.283185991286170],
                                [3.584428340330492, -1.848126526964404]])
        self.name = "Himmelblau"
        self.start = np.array([0.0, 0.0])
        self.xlim, self.ylim = (-5.0, 5.0), (-5.0, 5.0)

    def f(self, theta):
        x, y = _xy(theta)
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(self, theta):
        x, y = _xy(theta)
        a = x * x + y - 11
        b = x + y * y - 7
        return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


class Reddi(Landscape):
    r"""Reddi, Kale & Kumar's (2018) counterexample to Adam, made two-dimensional.

    An online problem: the loss changes with the step :math:`t = 1, 2, \dots`,

    .. math::

        f_t(x, y) = \begin{cases} C x + \tfrac12 y^2 & t \bmod 3 = 1 \\
                    -x + \tfrac12 y^2 & \text{otherwise} \end{cases}
        \qquad x \in [-1, 1],

    with :math:`C` = ``C`` :math:`> 2`. Over each period of three steps the
    gradients in :math:`x` add up to :math:`C - 2 > 0`, so the average
    objective (what ``f`` returns)

    .. math::

        F(x, y) = \frac{C - 2}{3}\, x + \tfrac12 y^2

    is smallest at :math:`(-1, 0)`, on the boundary, with
    :math:`F^* = -(C - 2)/3`. ``grad(theta, t)`` is :math:`\nabla f_t`;
    without ``t`` it is :math:`\nabla F`. ``project`` clips :math:`x` to
    :math:`[-1, 1]` (the projection of online gradient descent; :math:`y` is
    not constrained). Reddi et al. (Theorem 1) show that Adam with
    :math:`\beta_1 = 0` and :math:`\beta_2 = 1/(1 + C^2)` drifts to
    :math:`x = +1`, the worst point, while AMSGrad does not.
    """

    time_dependent = True
    constrained = True
    period = 3               # f_t repeats every 3 steps

    def __init__(self, C=3.0):
        if not (isinstance(C, (int, float, np.integer, np.floating))
                and not isinstance(C, bool) and np.isfinite(C) and C > 2):
            raise ValueError(f"Invalid C: {C!r} (must be a number > 2)")
        self.C = float(C)
        self.minima = np.array([[-1.0, 0.0]])
        self.f_min = -(self.C - 2.0) / 3.0
        self.name = f"Reddi's counterexample, C = {self.C:g}"
        self.start = np.array([0.0, 1.0])
        self.xlim, self.ylim = (-1.2, 1.2), (-1.2, 1.2)

    def __repr__(self):
        return f"Reddi(C={self.C:g})"

    def f(self, theta):
        x, y = _xy(theta)
        return (self.C - 2.0) / 3.0 * x + 0.5 * y * y

    def grad(self, theta, t=None):
        x, y = _xy(theta)
        if t is None:
            gx = np.full_like(x, (self.C - 2.0) / 3.0)
        else:
            if not (isinstance(t, (int, np.integer)) and not isinstance(t, bool) and t >= 1):
                raise ValueError(f"Invalid t: {t!r} (the step, a whole number >= 1)")
            gx = np.full_like(x, self.C if t % 3 == 1 else -1.0)
        return np.stack([gx, np.array(y, dtype=float)], axis=-1)

    def project(self, theta):
        """Clip :math:`x` to :math:`[-1, 1]`; :math:`y` is free."""
        theta = np.array(theta, dtype=float)
        _xy(theta)
        np.clip(theta[..., 0], -1.0, 1.0, out=theta[..., 0])
        return theta


class Preconditioned(Landscape):
    r"""A landscape seen through a preconditioner :math:`P` (symmetric positive definite).

    Same :math:`f`, minima and window as ``landscape``; its gradient is
    :math:`P^{-1}\nabla f(\theta)`. So plain gradient descent on it,
    ``run(SGD(lr=eta), Preconditioned(land, P))``, is the preconditioned method

    .. math::

        \theta_t = \theta_{t-1} - \eta\, P^{-1} \nabla f(\theta_{t-1}),

    which is Newton's method for :math:`P = \nabla^2 f` and :math:`\eta = 1`,
    and diagonal scaling (the idea behind AdaGrad, RMSProp and Adam) for a
    diagonal :math:`P`.
    """

    def __init__(self, landscape, P):
        if landscape.time_dependent or landscape.constrained:
            raise ValueError(f"Invalid landscape: {landscape!r} (Preconditioned takes a fixed, "
                             "unconstrained landscape)")
        P = np.asarray(P, dtype=float)
        if P.shape != (2, 2) or not np.allclose(P, P.T) or np.any(np.linalg.eigvalsh(P) <= 0):
            raise ValueError(f"Invalid P: {P.tolist()} (a symmetric positive definite 2 x 2 "
                             "matrix is needed)")
        self.landscape, self.P, self.P_inv = landscape, P, np.linalg.inv(P)
        for key in ("minima", "f_min", "start", "xlim", "ylim"):
            setattr(self, key, getattr(landscape, key))
        self.name = f"{landscape.name}, preconditioned"

    def __repr__(self):
        return f"Preconditioned({self.landscape!r}, P={self.P.tolist()})"

    def f(self, theta):
        return self.landscape.f(theta)

    def grad(self, theta):
        return self.landscape.grad(theta) @ self.P_inv.T


#: The landscape classes by name, ``{"quadratic": Quadratic, "bowl": Bowl, ...}``.
LANDSCAPES = {"quadratic": Quadratic, "bowl": Bowl, "rosenbrock": Rosenbrock,
              "beale": Beale, "saddle": Saddle, "himmelblau": Himmelblau, "reddi": Reddi}
