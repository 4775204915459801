"""Independent reference implementations, written the way PyTorch's docs and
``torch/optim`` code write each algorithm (buffers, step sizes and the order
of operations as there), for float64 numpy arrays.

They are deliberately *not* optimlib's formulations: Momentum here keeps
PyTorch's buffer ``b`` (optimlib keeps the velocity ``v = -lr * b``), Adam
divides with PyTorch's ``step_size`` and ``denom``. Agreement to round-off
over hundreds of steps shows that the two are the same algorithm.

The test suite compares optimlib with them (tests/test_optimizers.py) and
checks that :func:`optimlib.check` accepts them as a reader's classes; the
mistaken variants beside them are in :mod:`optimlib.mistakes`.
"""
import numpy as np


class TorchSGD:
    def __init__(self, lr, momentum=0.0, nesterov=False):
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.buf = None

    def step(self, p, g):
        if self.momentum != 0:
            if self.buf is None:
                self.buf = g.copy()
            else:
                self.buf = self.momentum * self.buf + g
            g = g + self.momentum * self.buf if self.nesterov else self.buf
        return p - self.lr * g


class TorchAdagrad:
    def __init__(self, lr, eps=1e-10, initial_accumulator_value=0.0):
        self.lr, self.eps, self.init = lr, eps, initial_accumulator_value
        self.state_sum = None

    def step(self, p, g):
        if self.state_sum is None:
            self.state_sum = np.full_like(p, self.init)
        self.state_sum = self.state_sum + g * g
        std = np.sqrt(self.state_sum) + self.eps
        return p - self.lr * (g / std)


class TorchRMSprop:
    def __init__(self, lr, alpha=0.99, eps=1e-8, centered=False):
        self.lr, self.alpha, self.eps, self.centered = lr, alpha, eps, centered
        self.square_avg = self.grad_avg = None

    def step(self, p, g):
        if self.square_avg is None:
            self.square_avg, self.grad_avg = np.zeros_like(p), np.zeros_like(p)
        self.square_avg = self.alpha * self.square_avg + (1 - self.alpha) * g * g
        if self.centered:  # torch: grad_avg.lerp_(grad, 1 - alpha); square_avg - grad_avg²
            self.grad_avg = self.grad_avg + (g - self.grad_avg) * (1 - self.alpha)
            avg = np.sqrt(self.square_avg - self.grad_avg * self.grad_avg) + self.eps
        else:
            avg = np.sqrt(self.square_avg) + self.eps
        return p - self.lr * (g / avg)


class TorchAdadelta:
    def __init__(self, lr=1.0, rho=0.9, eps=1e-6):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.square_avg = self.acc_delta = None

    def step(self, p, g):
        if self.square_avg is None:
            self.square_avg, self.acc_delta = np.zeros_like(p), np.zeros_like(p)
        self.square_avg = self.rho * self.square_avg + (1 - self.rho) * g * g
        std = np.sqrt(self.square_avg + self.eps)
        delta = np.sqrt(self.acc_delta + self.eps) / std * g
        self.acc_delta = self.rho * self.acc_delta + (1 - self.rho) * delta * delta
        return p - self.lr * delta


class TorchAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, amsgrad=False, weight_decay=0.0,
                 decoupled=False):
        self.lr, (self.b1, self.b2), self.eps, self.amsgrad = lr, betas, eps, amsgrad
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.step_count = 0
        self.exp_avg = self.exp_avg_sq = self.max_exp_avg_sq = None

    def step(self, p, g):
        if self.exp_avg is None:
            self.exp_avg, self.exp_avg_sq = np.zeros_like(p), np.zeros_like(p)
            self.max_exp_avg_sq = np.zeros_like(p)
        self.step_count += 1
        if self.decoupled:  # AdamW
            p = p * (1 - self.lr * self.weight_decay)
        self.exp_avg = self.exp_avg + (g - self.exp_avg) * (1 - self.b1)  # torch's lerp_
        self.exp_avg_sq = self.b2 * self.exp_avg_sq + (1 - self.b2) * g * g
        bias_correction1 = 1 - self.b1 ** self.step_count
        bias_correction2 = 1 - self.b2 ** self.step_count
        step_size = self.lr / bias_correction1
        bias_correction2_sqrt = np.sqrt(bias_correction2)
        if self.amsgrad:
            self.max_exp_avg_sq = np.maximum(self.max_exp_avg_sq, self.exp_avg_sq)
            denom = np.sqrt(self.max_exp_avg_sq) / bias_correction2_sqrt + self.eps
        else:
            denom = np.sqrt(self.exp_avg_sq) / bias_correction2_sqrt + self.eps
        return p - step_size * self.exp_avg / denom


class TorchNAdam:
    """``torch.optim.NAdam`` (single tensor, no weight decay): two ``addcdiv_`` steps."""

    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.momentum_decay = momentum_decay
        self.step_count = 0
        self.mu_product = 1.0
        self.exp_avg = self.exp_avg_sq = None

    def step(self, p, g):
        if self.exp_avg is None:
            self.exp_avg, self.exp_avg_sq = np.zeros_like(p), np.zeros_like(p)
        self.step_count += 1
        step = self.step_count
        bias_correction2 = 1 - self.b2 ** step
        mu = self.b1 * (1.0 - 0.5 * 0.96 ** (step * self.momentum_decay))
        mu_next = self.b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * self.momentum_decay))
        self.mu_product *= mu
        self.exp_avg = self.exp_avg + (g - self.exp_avg) * (1 - self.b1)   # lerp_
        self.exp_avg_sq = self.b2 * self.exp_avg_sq + (1 - self.b2) * g * g
        denom = np.sqrt(self.exp_avg_sq / bias_correction2) + self.eps
        mu_product_next = self.mu_product * mu_next
        p = p + (-self.lr * (1.0 - mu) / (1.0 - self.mu_product)) * g / denom
        return p + (-self.lr * mu_next / (1.0 - mu_product_next)) * self.exp_avg / denom


class TorchAdamax:
    """``torch.optim.Adamax`` (single tensor): ε inside the maximum, ``clr = lr / bc``."""

    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.step_count = 0
        self.exp_avg = self.exp_inf = None

    def step(self, p, g):
        if self.exp_avg is None:
            self.exp_avg, self.exp_inf = np.zeros_like(p), np.zeros_like(p)
        self.step_count += 1
        self.exp_avg = self.exp_avg + (g - self.exp_avg) * (1 - self.b1)   # lerp_
        norm_buf = np.stack([self.exp_inf * self.b2, np.abs(g) + self.eps])
        self.exp_inf = norm_buf.max(axis=0)                                 # amax over dim 0
        clr = self.lr / (1 - self.b1 ** self.step_count)
        return p - clr * self.exp_avg / self.exp_inf
