"""Properties of the optimizers over random shapes and values (hypothesis).

Each property is one the chapters state: special cases that reduce to simpler methods,
invariance to the scale of the gradient, sweeps that equal loops, reproducibility.
Examples are derandomised so that CI sees the same cases on every run.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import optimlib as ol

settings.register_profile("course", derandomize=True, database=None, deadline=None,
                          max_examples=60)
settings.load_profile("course")

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
values = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
lrs = st.floats(1e-4, 0.5)
betas = st.floats(0.0, 0.999)


@st.composite
def problems(draw, steps=st.integers(1, 30)):
    """A start point, a seed for the gradient stream and a number of steps."""
    shape = draw(shapes)
    theta = draw(hnp.arrays(np.float64, shape, elements=values))
    return theta, draw(st.integers(0, 2**32 - 1)), draw(steps)


def trajectory(opt, theta, seed, steps, scale=1.0):
    """Run ``opt`` on a stream with feedback: g = 0.5 θ + noise, times ``scale``."""
    rng = np.random.default_rng(seed)
    p = theta.copy()
    for _ in range(steps):
        g = 0.5 * p + rng.standard_normal(p.shape)
        opt.update(p, scale * g)
    return p


@given(problems(), lrs)
def test_momentum_and_nesterov_with_zero_momentum_are_sgd(problem, lr):
    theta, seed, steps = problem
    sgd = trajectory(ol.SGD(lr=lr), theta, seed, steps)
    for cls in (ol.Momentum, ol.Nesterov):
        np.testing.assert_array_equal(trajectory(cls(lr=lr, momentum=0.0), theta, seed, steps), sgd)


@given(problems(), lrs, betas, betas, st.booleans())
def test_adamw_without_decay_is_adam(problem, lr, b1, b2, amsgrad):
    theta, seed, steps = problem
    kw = dict(lr=lr, beta1=b1, beta2=b2, amsgrad=amsgrad)
    np.testing.assert_array_equal(trajectory(ol.AdamW(weight_decay=0.0, **kw), theta, seed, steps),
                                  trajectory(ol.Adam(**kw), theta, seed, steps))


@given(problems(), lrs, betas, st.floats(0.0, 1e-3))
def test_adam_with_beta1_zero_is_bias_corrected_rmsprop(problem, lr, beta2, eps):
    """Written out: v_t = β₂v + (1−β₂)g², θ −= η g / (√(v_t/(1−β₂ᵗ)) + ε)."""
    theta, seed, steps = problem
    adam = trajectory(ol.Adam(lr=lr, beta1=0.0, beta2=beta2, eps=eps), theta, seed, steps)
    rng = np.random.default_rng(seed)
    p, v = theta.copy(), np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = 0.5 * p + rng.standard_normal(p.shape)
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = v / (1 - beta2 ** t)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(v_hat + eps > 0, g / (np.sqrt(v_hat) + eps), 0.0)
        p = p - lr * step
    np.testing.assert_allclose(adam, p, rtol=1e-10, atol=1e-12)


@given(problems(steps=st.integers(1, 15)), lrs, st.floats(1e-3, 1e3),
       st.sampled_from(["Adam", "RMSProp", "AdaGrad", "NAdam", "AdaMax"]))
def test_eps_zero_makes_the_step_invariant_to_gradient_scale(problem, lr, c, name):
    theta, seed, steps = problem
    make = lambda: ol.OPTIMIZERS[name](lr=lr, eps=0.0)  # noqa: E731
    # The stream depends on θ, so the scaled run sees c·g(θ) at the same θ: same path.
    np.testing.assert_allclose(trajectory(make(), theta, seed, steps, scale=c),
                               trajectory(make(), theta, seed, steps), rtol=1e-8, atol=1e-9)


@given(st.integers(1, 4), problems(steps=st.integers(1, 20)),
       st.sampled_from(sorted(ol.OPTIMIZERS)), st.data())
def test_batched_hyperparameters_equal_looped_runs(copies, problem, name, data):
    theta, seed, steps = problem
    cls = ol.OPTIMIZERS[name]
    lr = np.array(data.draw(st.lists(lrs, min_size=copies, max_size=copies)))
    P = np.broadcast_to(theta, (copies,) + theta.shape).copy()
    opt, rng = cls(lr=lr), np.random.default_rng(seed)
    for _ in range(steps):
        g = 0.5 * P + rng.standard_normal(theta.shape)  # the same noise for every copy
        opt.update(P, g)
    for i in range(copies):
        np.testing.assert_allclose(P[i], trajectory(cls(lr=lr[i]), theta, seed, steps),
                                   rtol=1e-12, atol=1e-12)


@given(hnp.arrays(np.float64, shapes, elements=values), st.sampled_from(sorted(ol.OPTIMIZERS)))
def test_zero_gradients_from_a_fresh_state_move_nothing(theta, name):
    cls = ol.OPTIMIZERS[name]
    opt = cls(weight_decay=0.0) if cls is ol.AdamW else cls()
    p = theta.copy()
    for _ in range(3):
        opt.update(p, np.zeros_like(p))
    np.testing.assert_array_equal(p, theta)


@given(problems(), betas)
def test_amsgrad_maximum_never_decreases(problem, beta2):
    theta, seed, steps = problem
    opt, rng, p = ol.Adam(lr=0.01, beta2=beta2, amsgrad=True), np.random.default_rng(seed), theta.copy()
    previous = np.zeros_like(p)
    for _ in range(steps):
        opt.update(p, 0.5 * p + rng.standard_normal(p.shape))
        assert np.all(opt.v_max >= previous) and np.all(opt.v_max >= opt.v)
        previous = opt.v_max.copy()


@given(st.sampled_from(sorted(ol.OPTIMIZERS)), st.integers(0, 2**32 - 1), st.floats(0.0, 2.0))
def test_same_seed_same_trajectory_bit_for_bit(name, seed, noise):
    a = ol.run(ol.OPTIMIZERS[name](), ol.Rosenbrock(), steps=50, noise=noise, seed=seed)
    b = ol.run(ol.OPTIMIZERS[name](), ol.Rosenbrock(), steps=50, noise=noise, seed=seed)
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.loss, b.loss)
