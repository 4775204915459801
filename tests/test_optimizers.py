"""optimlib's optimizers: closed forms, equivalences, PyTorch's algorithms, validation."""
import numpy as np
import pytest

import optimlib as ol
from optimlib.reference import (TorchAdadelta, TorchAdagrad, TorchAdam, TorchAdamax,
                               TorchNAdam, TorchRMSprop, TorchSGD)

# The (optimizer, kwargs) table every test below draws from: defaults and non-defaults.
CASES = [
    (ol.SGD, {}), (ol.SGD, dict(lr=0.05)),
    (ol.Momentum, {}), (ol.Momentum, dict(lr=0.02, momentum=0.5)),
    (ol.Nesterov, {}), (ol.Nesterov, dict(lr=0.02, momentum=0.7)),
    (ol.AdaGrad, {}), (ol.AdaGrad, dict(lr=0.3, eps=1e-6, initial_accumulator=0.1)),
    (ol.RMSProp, {}), (ol.RMSProp, dict(lr=0.003, rho=0.9, eps=1e-6)),
    (ol.RMSProp, dict(lr=0.003, rho=0.9, centered=True)),
    (ol.Adadelta, {}), (ol.Adadelta, dict(lr=0.5, rho=0.95, eps=1e-5)),
    (ol.Adam, {}), (ol.Adam, dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)),
    (ol.Adam, dict(lr=0.01, amsgrad=True)),
    (ol.AdamW, {}), (ol.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (ol.NAdam, {}), (ol.NAdam, dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6,
                                    momentum_decay=0.01)),
    (ol.NAdam, dict(lr=0.005, momentum_decay=0.0)),
    (ol.AdaMax, {}), (ol.AdaMax, dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(CASES)]


def torch_twin(cls, kw):
    """The reference (PyTorch's algorithm) with optimlib's defaults and arguments mapped."""
    o = cls(**kw)
    if cls is ol.SGD:
        return TorchSGD(o.lr)
    if cls in (ol.Momentum, ol.Nesterov):
        return TorchSGD(o.lr, o.momentum, nesterov=cls is ol.Nesterov)
    if cls is ol.AdaGrad:
        return TorchAdagrad(o.lr, o.eps, o.initial_accumulator)
    if cls is ol.RMSProp:
        return TorchRMSprop(o.lr, alpha=o.rho, eps=o.eps, centered=o.centered)
    if cls is ol.Adadelta:
        return TorchAdadelta(o.lr, o.rho, o.eps)
    if cls is ol.NAdam:
        return TorchNAdam(o.lr, (o.beta1, o.beta2), o.eps, o.momentum_decay)
    if cls is ol.AdaMax:
        return TorchAdamax(o.lr, (o.beta1, o.beta2), o.eps)
    if cls is ol.AdamW:
        return TorchAdam(o.lr, (o.beta1, o.beta2), o.eps, o.amsgrad, o.weight_decay, decoupled=True)
    return TorchAdam(o.lr, (o.beta1, o.beta2), o.eps, o.amsgrad)


def gradient_stream(seed=0, shape=(4, 3)):
    """A problem with feedback (the gradient depends on θ) plus seeded noise."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.1, 5.0, size=shape)

    def grad(theta):
        return scale * theta + 0.05 * theta ** 3 + 0.3 * rng.standard_normal(shape)

    return grad, rng.standard_normal(shape)


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_same_parameters_as_pytorch_algorithm(cls, kw):
    grad_a, theta0 = gradient_stream(1)
    grad_b, _ = gradient_stream(1)
    ours, twin = cls(**kw), torch_twin(cls, kw)
    p, q = theta0.copy(), theta0.copy()
    for step in range(400):
        ours.update(p, grad_a(p))
        q = twin.step(q, grad_b(q))
        np.testing.assert_allclose(p, q, rtol=1e-11, atol=1e-13, err_msg=f"step {step + 1}")
    assert ours.t == 400


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_batched_hyperparameters_equal_looped_runs(cls, kw):
    """A column of hyperparameters over rows of parameters = one run per row."""
    factors = np.array([0.5, 1.0, 2.0])[:, None]
    base = cls(**kw).hyperparameters()
    name = "lr"
    batched = cls(**{**kw, name: base[name] * factors})
    grad = lambda th: np.array([3.0, 0.2]) * th + 0.1 * np.sin(5 * th)  # noqa: E731
    P = np.tile([1.5, -2.0], (3, 1))
    for _ in range(150):
        batched.update(P, grad(P))
    for i, factor in enumerate(factors[:, 0]):
        single = cls(**{**kw, name: base[name] * factor})
        p = np.array([1.5, -2.0])
        for _ in range(150):
            single.update(p, grad(p))
        np.testing.assert_allclose(P[i], p, rtol=1e-13, atol=1e-15)


def test_batched_second_hyperparameter():
    betas = np.array([0.0, 0.5, 0.9, 0.99])[:, None]
    batched = ol.Adam(lr=0.05, beta1=betas)
    P = np.tile([1.0, -1.0], (4, 1))
    for _ in range(50):
        batched.update(P, 2 * P)
    for i, b in enumerate(betas[:, 0]):
        single, p = ol.Adam(lr=0.05, beta1=b), np.array([1.0, -1.0])
        for _ in range(50):
            single.update(p, 2 * p)
        np.testing.assert_allclose(P[i], p, rtol=1e-13)


@pytest.mark.parametrize("a,lr", [(1.0, 0.1), (3.0, 0.05), (0.5, 1.5), (2.0, 0.6)])
def test_sgd_closed_form_on_parabola(a, lr):
    """f(x) = a x²: x_t = (1 - 2ηa)^t x_0."""
    x0 = np.array([2.0])
    x, opt = x0.copy(), ol.SGD(lr=lr)
    for t in range(1, 31):
        opt.update(x, 2 * a * x)
        np.testing.assert_allclose(x, (1 - 2 * lr * a) ** t * x0, rtol=1e-12)


@pytest.mark.parametrize("cls", [ol.Adam, ol.AdamW, ol.AdaGrad])
def test_first_step_is_lr_times_sign(cls):
    g = np.array([1e-3, -4.0, 250.0, -1e-2])
    p = np.zeros(4)
    kw = dict(weight_decay=0.0) if cls is ol.AdamW else {}
    cls(lr=0.1, **kw).update(p, g)
    np.testing.assert_allclose(p, -0.1 * np.sign(g), rtol=1e-4)


def test_rmsprop_first_step():
    """v_1 = (1-ρ) g², so the first step is -η sign(g)/sqrt(1-ρ)."""
    g = np.array([2.0, -0.5])
    p = np.zeros(2)
    ol.RMSProp(lr=0.01, rho=0.9, eps=0.0).update(p, g)
    np.testing.assert_allclose(p, -0.01 * np.sign(g) / np.sqrt(0.1), rtol=1e-14)


def _trajectory(opt, steps=100, seed=3):
    grad, theta = gradient_stream(seed, shape=(2, 5))
    for _ in range(steps):
        opt.update(theta, grad(theta))
    return theta


@pytest.mark.parametrize("a,b", [
    (ol.Momentum(lr=0.03, momentum=0.0), ol.SGD(lr=0.03)),
    (ol.Nesterov(lr=0.03, momentum=0.0), ol.SGD(lr=0.03)),
    (ol.AdamW(lr=0.01, weight_decay=0.0), ol.Adam(lr=0.01)),
    (ol.AdamW(lr=0.01, weight_decay=0.0, amsgrad=True), ol.Adam(lr=0.01, amsgrad=True)),
], ids=["momentum0=sgd", "nesterov0=sgd", "adamw0=adam", "adamw0=adam-amsgrad"])
def test_equivalent_special_cases(a, b):
    np.testing.assert_allclose(_trajectory(a), _trajectory(b), rtol=1e-13, atol=1e-15)


def test_rmsprop_is_adam_without_momentum_and_bias_correction():
    """Adam with β1 = 0 and ε = 0 is RMSProp with ρ = β2 and step η·sqrt(1 - β2^t)."""
    beta2, lr = 0.99, 0.01
    adam, rms = ol.Adam(lr=lr, beta1=0.0, beta2=beta2, eps=0.0), ol.RMSProp(rho=beta2, eps=0.0)
    grad_a, p = gradient_stream(5)
    grad_b, _ = gradient_stream(5)
    q = p.copy()
    for t in range(1, 201):
        adam.update(p, grad_a(p))
        rms.lr = lr * np.sqrt(1 - beta2 ** t)
        rms.update(q, grad_b(q))
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_amsgrad_denominator_never_shrinks():
    opt = ol.Adam(lr=0.01, amsgrad=True)
    p = np.zeros(1)
    seen = []
    for g in [10.0, 10.0, 0.1, 0.1, 0.1, 5.0]:
        opt.update(p, np.array([g]))
        seen.append(opt.v_max[0])
        assert opt.v_max[0] >= opt.v[0]
    assert all(b >= a for a, b in zip(seen, seen[1:]))


def test_dict_params_state_and_reset():
    params = {"W": np.ones((2, 3)), "b": np.zeros(3)}
    grads = {"W": np.full((2, 3), 0.5), "b": np.array([1.0, -1.0, 0.0])}
    opt = ol.Adam(lr=0.1)
    opt.update(params, grads)
    assert set(opt.m) == {"W", "b"} and opt.m["W"].shape == (2, 3)
    np.testing.assert_allclose(opt.m["b"], 0.1 * grads["b"])
    np.testing.assert_allclose(opt.v["W"], 0.001 * 0.25)
    assert opt.t == 1
    opt.reset()
    assert opt.t == 0 and opt.m is None
    single = ol.Momentum(lr=0.1)
    assert single.v is None  # no state before the first update
    p = np.ones(2)
    single.update(p, np.ones(2))
    np.testing.assert_allclose(single.v, [-0.1, -0.1])
    np.testing.assert_allclose(p, [0.9, 0.9])


def test_float32_params_stay_float32():
    p = np.ones(3, dtype=np.float32)
    ol.Adam().update(p, np.ones(3))
    assert p.dtype == np.float32


def test_state_attribute_names_follow_the_notation():
    names = {ol.Momentum: ("v",), ol.Nesterov: ("v",), ol.AdaGrad: ("h",), ol.RMSProp: ("v",),
             ol.Adadelta: ("v", "u"), ol.Adam: ("m", "v")}
    for cls, expected in names.items():
        assert cls.state_names == expected
    assert ol.Adam.optional_state == ("v_max",)


def test_initial_accumulator_sets_h0():
    opt = ol.AdaGrad(lr=0.1, initial_accumulator=0.5)
    p = np.zeros(2)
    opt.update(p, np.array([1.0, 2.0]))
    np.testing.assert_allclose(opt.h, [1.5, 4.5])


# --- validation -------------------------------------------------------------------------

BAD_HYPERPARAMETERS = [
    (ol.SGD, dict(lr=-0.1), r"Invalid learning rate: -0\.1 \(must be finite and >= 0\)"),
    (ol.SGD, dict(lr=float("nan")), r"Invalid learning rate: nan"),
    (ol.Momentum, dict(momentum=1.0), r"Invalid momentum: 1\.0 \(must be in \[0, 1\)\)"),
    (ol.Momentum, dict(momentum=-0.5), r"Invalid momentum: -0\.5"),
    (ol.Nesterov, dict(lr=-1), r"Invalid learning rate: -1\.0"),
    (ol.AdaGrad, dict(eps=-1e-10), r"Invalid epsilon: -1e-10"),
    (ol.AdaGrad, dict(initial_accumulator=-1.0), r"Invalid initial accumulator: -1\.0"),
    (ol.RMSProp, dict(rho=1.0), r"Invalid rho: 1\.0 \(must be in \[0, 1\)\)"),
    (ol.RMSProp, dict(rho=-0.1), r"Invalid rho: -0\.1"),
    (ol.Adadelta, dict(rho=1.5), r"Invalid rho: 1\.5"),
    (ol.Adadelta, dict(eps=-1.0), r"Invalid epsilon: -1\.0"),
    (ol.Adam, dict(beta1=1.0), r"Invalid beta1: 1\.0 \(must be in \[0, 1\)\)"),
    (ol.Adam, dict(beta2=-0.001), r"Invalid beta2: -0\.001"),
    (ol.Adam, dict(lr=np.array([0.1, -0.2])), r"Invalid learning rate: -0\.2 at index \(1,\)"),
    (ol.AdamW, dict(weight_decay=-0.01), r"Invalid weight decay: -0\.01"),
]


@pytest.mark.parametrize("cls,kw,message", BAD_HYPERPARAMETERS,
                         ids=[f"{c.__name__}-{next(iter(k))}" for c, k, _ in BAD_HYPERPARAMETERS])
def test_invalid_hyperparameters_raise(cls, kw, message):
    with pytest.raises(ValueError, match=message):
        cls(**kw)


def test_assignment_is_validated_too():
    opt = ol.SGD(lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -3.0"):
        opt.lr = -3.0
    assert opt.lr == 0.1


@pytest.mark.parametrize("bad", ["fast", True, None])
def test_non_numeric_hyperparameter(bad):
    with pytest.raises(TypeError, match="Invalid learning rate"):
        ol.Adam(lr=bad)


def test_amsgrad_must_be_bool():
    with pytest.raises(TypeError, match="Invalid amsgrad: 'yes'"):
        ol.Adam(amsgrad="yes")


def test_params_errors():
    opt = ol.SGD()
    with pytest.raises(ValueError, match=r"no gradient for \['b'\]"):
        opt.update({"W": np.ones(2), "b": np.ones(2)}, {"W": np.ones(2)})
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3,\) but params\['W'\] has shape \(2,\)"):
        opt.update({"W": np.ones(2)}, {"W": np.ones(3)})
    with pytest.raises(TypeError, match="dtype int64; an in-place update would truncate"):
        opt.update(np.array([1, 2]), np.array([0.5, 0.5]))
    with pytest.raises(TypeError, match="must be a numpy array"):
        opt.update(1.0, 0.5)
    with pytest.raises(TypeError, match="both be dicts or both be arrays"):
        opt.update({"W": np.ones(2)}, np.ones(2))


def test_no_partial_update_when_one_array_is_bad():
    params = {"a": np.ones(2), "b": np.ones(2)}
    with pytest.raises(ValueError):
        ol.SGD(lr=1.0).update(params, {"a": np.ones(2), "b": np.ones(5)})
    np.testing.assert_array_equal(params["a"], [1.0, 1.0])


def test_hyperparameter_that_does_not_broadcast():
    opt = ol.Adam(lr=np.full((3, 1), 0.1))
    with pytest.raises(ValueError, match=r"lr of shape \(3, 1\) does not line up with the "
                       r"leading axes of params of shape \(2,\)"):
        opt.update(np.ones(2), np.ones(2))


def test_switching_between_dict_and_array_needs_reset():
    opt = ol.Momentum()
    opt.update(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="call reset"):
        opt.update({"w": np.ones(2)}, {"w": np.ones(2)})
    opt.reset()
    opt.update({"w": np.ones(2)}, {"w": np.ones(2)})


def test_repr_names_hyperparameters():
    assert repr(ol.Momentum(lr=0.1)) == "Momentum(lr=0.1, momentum=0.9)"
    assert "array of shape (3, 1)" in repr(ol.SGD(lr=np.ones((3, 1))))


@pytest.mark.parametrize("cls,defaults", [
    (ol.SGD, dict(lr=0.01)),
    (ol.Momentum, dict(lr=0.01, momentum=0.9)),
    (ol.Nesterov, dict(lr=0.01, momentum=0.9)),
    (ol.AdaGrad, dict(lr=0.01, eps=1e-10, initial_accumulator=0.0)),
    (ol.RMSProp, dict(lr=0.01, rho=0.99, eps=1e-8, centered=False)),
    (ol.Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6)),
    (ol.Adam, dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)),
    (ol.AdamW, dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)),
])
def test_defaults_follow_the_contract(cls, defaults):
    if issubclass(cls, ol.Adam):
        defaults = {**defaults, "amsgrad": False}
    assert cls().hyperparameters() == defaults
