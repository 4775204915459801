"""optimlib.conventions: each library's convention against a computation by hand, and
against optimlib where optimlib can express the same convention."""
import math

import numpy as np
import pytest

import optimlib as ol
from optimlib import conventions as cv


def test_sgd_by_hand():
    assert np.allclose(cv.sgd_steps([1.0, 2.0, 3.0], lr=0.1, theta0=1.0), [0.9, 0.7, 0.4])
    assert np.allclose(cv.optimlib_steps(ol.SGD(lr=0.1), [1.0, 2.0, 3.0], theta0=1.0),
                       [0.9, 0.7, 0.4])


def test_momentum_buffer_by_hand_and_against_the_velocity_form():
    g = [1.0, 1.0, 1.0]
    # b = 1, 1.5, 1.75; steps 0.1 b
    assert np.allclose(cv.momentum_buffer_steps(g, 0.1, 0.5), [-0.1, -0.25, -0.425])
    # Nesterov: d = g + mu b = 1.5, 1.75, 1.875
    assert np.allclose(cv.momentum_buffer_steps(g, 0.1, 0.5, nesterov=True),
                       [-0.15, -0.325, -0.5125])
    assert np.allclose(cv.momentum_buffer_steps(g, 0.1, 0.5),
                       cv.optimlib_steps(ol.Momentum(lr=0.1, momentum=0.5), g), rtol=0, atol=1e-15)
    assert np.allclose(cv.momentum_buffer_steps(g, 0.1, 0.5, nesterov=True),
                       cv.optimlib_steps(ol.Nesterov(lr=0.1, momentum=0.5), g), rtol=0, atol=1e-15)


def test_momentum_forms_part_after_a_learning_rate_change():
    g = [1.0, 1.0, 1.0]
    buffer = cv.momentum_buffer_steps(g, [0.1, 0.1, 0.05], 0.5)
    velocity = cv.optimlib_steps(ol.Momentum(lr=lambda t: 0.1 if t < 3 else 0.05, momentum=0.5), g)
    # buffer: -0.25 - 0.05 * 1.75; velocity: v3 = 0.5 * (-0.15) - 0.05 = -0.125
    assert buffer[2] == pytest.approx(-0.3375)
    assert velocity[2] == pytest.approx(-0.375)
    assert np.allclose(buffer[:2], velocity[:2])


def test_dlfs_nesterov_by_hand():
    out = cv.dlfs_nesterov_steps([1.0, 1.0], lr=0.1, momentum=0.5)
    # step 1: v = -0.1, theta = 0.25 * (-0.1) - 1.5 * 0.1 = -(1 + mu + mu^2) * lr
    assert out[0] == pytest.approx(-0.175)
    # step 2: v = -0.15, theta = -0.175 + 0.25 * (-0.15) - 0.15
    assert out[1] == pytest.approx(-0.3625)
    assert cv.optimlib_steps(ol.Nesterov(lr=0.1, momentum=0.5), [1.0])[0] == pytest.approx(-0.15)


def test_adagrad_conventions_by_hand():
    g = [3.0, 4.0]
    keras = cv.adagrad_steps(g, lr=1.0, eps=1e-7, h0=0.1, eps_inside=True)
    first = -3 / math.sqrt(9.1 + 1e-7)
    assert keras[0] == pytest.approx(first, rel=1e-14)
    assert keras[1] == pytest.approx(first - 4 / math.sqrt(25.1 + 1e-7), rel=1e-14)
    tf1 = cv.adagrad_steps(g, lr=1.0, eps=0.0, h0=0.1)
    assert tf1[0] == pytest.approx(-3 / math.sqrt(9.1), rel=1e-14)
    torch = cv.adagrad_steps(g, lr=1.0, eps=1e-10)
    assert torch[0] == pytest.approx(-3 / (3 + 1e-10), rel=1e-14)


def test_adagrad_eps_inside_is_a_shifted_start_that_optimlib_expresses():
    g = np.random.default_rng(0).normal(size=(6, 3))
    keras = cv.adagrad_steps(g, lr=0.5, eps=1e-7, h0=0.1, eps_inside=True, theta0=1.0)
    ours = cv.optimlib_steps(ol.AdaGrad(lr=0.5, eps=0.0, initial_accumulator=0.1 + 1e-7), g, 1.0)
    assert np.allclose(keras, ours, rtol=1e-13, atol=0)
    torch = cv.adagrad_steps(g, lr=0.5, eps=1e-10, theta0=1.0)
    assert np.allclose(torch, cv.optimlib_steps(ol.AdaGrad(lr=0.5), g, 1.0), rtol=1e-13, atol=0)


def test_rmsprop_conventions_by_hand():
    tf1 = cv.rmsprop_steps([2.0], lr=0.01, rho=0.9, eps=1e-10, v0=1.0, eps_inside=True)
    assert tf1[0] == pytest.approx(-0.01 * 2 / math.sqrt(1.3 + 1e-10), rel=1e-14)
    keras = cv.rmsprop_steps([2.0, 1.0], lr=0.001, rho=0.9, eps=1e-7, eps_inside=True)
    v2 = 0.9 * 0.4 + 0.1 * 1.0
    assert keras[1] == pytest.approx(-0.001 * (2 / math.sqrt(0.4 + 1e-7) + 1 / math.sqrt(v2 + 1e-7)),
                                     rel=1e-14)
    g = np.random.default_rng(1).normal(size=(5, 2))
    dlfs = cv.rmsprop_steps(g, lr=0.01, rho=0.99, eps=1e-7)
    assert np.allclose(dlfs, cv.optimlib_steps(ol.RMSProp(lr=0.01, rho=0.99, eps=1e-7), g),
                       rtol=1e-13, atol=0)


def test_adadelta_by_hand_and_against_optimlib():
    rho, eps, g = 0.95, 1e-7, 0.3
    out = cv.adadelta_steps([g], lr=1e-3, rho=rho, eps=eps)
    assert out[0] == pytest.approx(-1e-3 * math.sqrt(eps) / math.sqrt((1 - rho) * g * g + eps) * g,
                                   rel=1e-14)
    grads = np.random.default_rng(2).normal(size=(6, 2))
    assert np.allclose(cv.adadelta_steps(grads, 1e-3, 0.95, 1e-7),
                       cv.optimlib_steps(ol.Adadelta(lr=1e-3, rho=0.95, eps=1e-7), grads),
                       rtol=1e-13, atol=0)


def test_adam_forms_by_hand():
    g, lr, b2 = 1e-6, 1e-3, 0.999
    hat = cv.adam_steps([g], lr, eps=1e-7, eps_form="hat")
    # alpha_1 = lr sqrt(1-b2)/(1-b1), m_1 = (1-b1) g, sqrt(v_1) = sqrt(1-b2) g
    assert hat[0] == pytest.approx(-lr * g / (g + 1e-7 / math.sqrt(1 - b2)), rel=1e-12)
    corrected = cv.adam_steps([g], lr, eps=1e-8)
    assert corrected[0] == pytest.approx(-lr * g / (g + 1e-8), rel=1e-12)
    root = cv.adam_steps([g], lr, eps=1e-8, eps_root=1e-12)
    assert root[0] == pytest.approx(-lr * g / (math.sqrt(g * g + 1e-12) + 1e-8), rel=1e-12)


def test_adam_corrected_form_is_optimlib_and_decoupled_decay_is_adamw():
    grads = np.random.default_rng(3).normal(size=(7, 3))
    assert np.allclose(cv.adam_steps(grads, 0.01, theta0=0.5),
                       cv.optimlib_steps(ol.Adam(lr=0.01), grads, 0.5), rtol=1e-13, atol=0)
    assert np.allclose(cv.adam_steps(grads, 0.01, weight_decay=0.1, theta0=0.5),
                       cv.optimlib_steps(ol.AdamW(lr=0.01, weight_decay=0.1), grads, 0.5),
                       rtol=1e-13, atol=0)
    # by hand, one step of decoupled decay: theta0 (1 - lr wd) - lr sign(g) (eps tiny)
    one = cv.adam_steps([2.0], 0.01, eps=0.0, weight_decay=0.1, theta0=0.5)
    assert one[0] == pytest.approx(0.5 * (1 - 0.001) - 0.01, rel=1e-14)


def test_nadam_first_step_by_hand():
    g, lr, b1, eps = 0.5, 0.002, 0.9, 1e-8
    mu1 = b1 * (1 - 0.5 * 0.96 ** 0.004)
    mu2 = b1 * (1 - 0.5 * 0.96 ** 0.008)
    m_hat = mu2 * (1 - b1) * g / (1 - mu1 * mu2) + (1 - mu1) * g / (1 - mu1)
    out = cv.nadam_steps([g], lr, eps=eps)
    assert out[0] == pytest.approx(-lr * m_hat / (g + eps), rel=1e-13)
    # Optax: constant mu = beta1, so m_hat = b1 g / (1 + b1) + g
    optax = cv.nadam_steps([g], lr, eps=eps, momentum_decay=None)
    assert optax[0] == pytest.approx(-lr * (b1 / (1 + b1) + 1) * g / (g + eps), rel=1e-13)
    # Keras: 0.96 ** t, psi = 1
    keras = cv.nadam_steps([g], lr, eps=eps, momentum_decay=1.0)
    k1, k2 = b1 * (1 - 0.5 * 0.96), b1 * (1 - 0.5 * 0.96 ** 2)
    m_hat_k = k2 * (1 - b1) * g / (1 - k1 * k2) + (1 - k1) * g / (1 - k1)
    assert keras[0] == pytest.approx(-lr * m_hat_k / (g + eps), rel=1e-13)


def test_adamax_forms_by_hand():
    g = [1.0, 0.5]
    torch = cv.adamax_steps(g, lr=1.0, beta1=0.9, beta2=0.9, eps=0.1)
    keras = cv.adamax_steps(g, lr=1.0, beta1=0.9, beta2=0.9, eps=0.1, eps_in_max=False)
    # step 1 agrees: -(1/0.1) * 0.1 / 1.1 and -(1/0.1) * 0.1 / (1 + 0.1)
    assert torch[0] == pytest.approx(-1 / 1.1) and keras[0] == pytest.approx(-1 / 1.1)
    # step 2: m = 0.14; torch u = max(0.9 * 1.1, 0.6) = 0.99; keras u = max(0.9, 0.5) = 0.9
    assert torch[1] == pytest.approx(-1 / 1.1 - 0.14 / 0.99 / 0.19)
    assert keras[1] == pytest.approx(-1 / 1.1 - 0.14 / 1.0 / 0.19)


def test_optimlib_steps_shapes_and_fresh_state():
    opt = ol.SGD(lr=1.0)
    two = cv.optimlib_steps(opt, [[1.0, 2.0], [3.0, 4.0]], theta0=[0.0, 1.0])
    assert two.shape == (2, 2) and np.allclose(two, [[-1, -1], [-4, -5]])
    mom = ol.Momentum(lr=0.1, momentum=0.5)
    first = cv.optimlib_steps(mom, [1.0, 1.0])
    assert np.array_equal(cv.optimlib_steps(mom, [1.0, 1.0]), first), "state is reset"
    with pytest.raises(TypeError, match="optimlib optimizer"):
        cv.optimlib_steps(object(), [1.0])


def test_function_steps_runs_a_step_function_and_checks_its_result():
    from optimlib.reference import TorchAdam
    grads = np.random.default_rng(4).normal(size=(5, 2))
    assert np.allclose(cv.function_steps(TorchAdam(lr=0.01).step, grads),
                       cv.optimlib_steps(ol.Adam(lr=0.01), grads), rtol=1e-13, atol=0)
    assert np.allclose(cv.function_steps(lambda th, g: th - 0.5 * g, [2.0, 4.0]), [-1.0, -3.0])
    with pytest.raises(ValueError, match=r"step returned shape \(2,\) at step 1"):
        cv.function_steps(lambda th, g: np.zeros(2), [1.0])
    with pytest.raises(TypeError, match="step must be a function"):
        cv.function_steps(3.0, [1.0])


def test_side_by_side_prints_both_columns_and_the_difference():
    text = cv.side_by_side([1.0, 2.0], [1.5, 2.0], labels=("ours", "theirs"))
    lines = text.splitlines()
    assert lines[0].split() == ["t", "ours", "theirs", "difference"]
    assert lines[1].split() == ["1", "1", "1.5", "0.5"]
    assert lines[2].split()[-1] == "0"
    assert max(map(len, lines)) <= 78
    rounding = cv.side_by_side([0.1 + 0.2], [0.3]).splitlines()[1].split()
    assert rounding[-1] == "round-off" and 0.1 + 0.2 != 0.3
    assert cv.side_by_side([1.0], [1.0 + 1e-9]).splitlines()[1].split()[-1] == "1e-09"
    with pytest.raises(ValueError, match="same shape"):
        cv.side_by_side([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="coordinate"):
        cv.side_by_side([[1.0]], [[1.0]], coordinate=3)


@pytest.mark.parametrize("call, message", [
    (lambda: cv.sgd_steps([1.0], lr=-1.0), r"Invalid learning rate: -1.0 \(must be finite and >= 0\)"),
    (lambda: cv.sgd_steps([1.0, 1.0], lr=[0.1]), r"Invalid learning rate: 1 values for 2 steps"),
    (lambda: cv.sgd_steps([1.0, 1.0], lr=[0.1, float("nan")]), r"learning rate at step 2: nan"),
    (lambda: cv.momentum_buffer_steps([1.0], 0.1, 1.0), r"Invalid momentum: 1.0 \(must be in \[0, 1\)\)"),
    (lambda: cv.adagrad_steps([1.0], 0.1, eps=-1e-7), r"Invalid epsilon: -1e-07"),
    (lambda: cv.adagrad_steps([1.0], 0.1, eps=0.0, h0=-0.1), r"Invalid initial accumulator h0: -0.1"),
    (lambda: cv.rmsprop_steps([1.0], 0.1, rho=1.5, eps=0.0), r"Invalid rho: 1.5"),
    (lambda: cv.adam_steps([1.0], 0.1, beta2=1.0), r"Invalid beta2: 1.0"),
    (lambda: cv.adam_steps([1.0], 0.1, eps_form="inside"), r"Invalid eps_form: 'inside'"),
    (lambda: cv.adam_steps([1.0], 0.1, eps_form="hat", eps_root=1e-8), r"Invalid eps_root"),
    (lambda: cv.nadam_steps([1.0], 0.1, momentum_decay=-1.0), r"Invalid momentum_decay: -1.0"),
    (lambda: cv.adamax_steps([1.0], 0.1, beta1=-0.1), r"Invalid beta1: -0.1"),
    (lambda: cv.sgd_steps([], 0.1), r"Invalid grads: shape \(0,\)"),
    (lambda: cv.sgd_steps([1.0, float("inf")], 0.1), r"Invalid grads: they contain inf or nan"),
    (lambda: cv.sgd_steps([[1.0, 2.0]], 0.1, theta0=[1.0, 2.0, 3.0]), r"Invalid theta0: shape \(3,\)"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="Invalid learning rate: 'fast'"):
        cv.sgd_steps([1.0], lr="fast")
    with pytest.raises(TypeError, match="Invalid epsilon: None"):
        cv.adagrad_steps([1.0], 0.1, eps=None)
