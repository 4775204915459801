"""The same check as test_optimizers' PyTorch test, against torch itself.

Skipped where torch is not installed (it is not a course requirement); run
``make test-torch`` to install the CPU build and run it.
"""
import numpy as np
import pytest

import optimlib as ol
from test_optimizers import CASES, IDS, gradient_stream

torch = pytest.importorskip("torch")


def torch_optimizer(cls, kw, param):
    o = cls(**kw)
    if cls is ol.SGD:
        return torch.optim.SGD([param], lr=o.lr)
    if cls in (ol.Momentum, ol.Nesterov):
        return torch.optim.SGD([param], lr=o.lr, momentum=o.momentum, nesterov=cls is ol.Nesterov)
    if cls is ol.AdaGrad:
        return torch.optim.Adagrad([param], lr=o.lr, eps=o.eps,
                                   initial_accumulator_value=o.initial_accumulator)
    if cls is ol.RMSProp:
        return torch.optim.RMSprop([param], lr=o.lr, alpha=o.rho, eps=o.eps,
                                   centered=o.centered)
    if cls is ol.Adadelta:
        return torch.optim.Adadelta([param], lr=o.lr, rho=o.rho, eps=o.eps)
    if cls is ol.NAdam:
        return torch.optim.NAdam([param], lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps,
                                 momentum_decay=o.momentum_decay)
    if cls is ol.AdaMax:
        return torch.optim.Adamax([param], lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps)
    if cls is ol.AdamW:
        return torch.optim.AdamW([param], lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps,
                                 weight_decay=o.weight_decay, amsgrad=o.amsgrad)
    return torch.optim.Adam([param], lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps,
                            amsgrad=o.amsgrad)


@pytest.fixture(autouse=True)
def float64_scalar_state():
    """torch keeps scalar state (NAdam's mu_product, step counts) in the default dtype,
    float32 unless told otherwise; compare in float64 throughout."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_step_for_step_equal_to_torch(cls, kw):
    grad_a, theta0 = gradient_stream(2)
    grad_b, _ = gradient_stream(2)
    ours = cls(**kw)
    p = theta0.copy()
    q = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(cls, kw, q)
    for step in range(300):
        ours.update(p, grad_a(p))
        q.grad = torch.from_numpy(grad_b(q.detach().numpy().copy()))
        opt.step()
        np.testing.assert_allclose(p, q.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"step {step + 1}")
