"""Chapter 5's formulas (optimlib.experiments.adagrad) against simulations with optimlib.AdaGrad."""
import numpy as np
import pytest

import optimlib as ol
from optimlib.experiments import adagrad as ag


def simulate(grads, **kw):
    """Steps θ_t − θ_{t−1} of ol.AdaGrad fed the given gradient rows."""
    opt = ol.AdaGrad(**kw)
    theta = np.zeros(grads.shape[1:])
    steps = []
    for g in grads:
        old = theta.copy()
        opt.update(theta, g.copy())
        steps.append(theta - old)
    return np.array(steps)


def test_effective_step_matches_simulation():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((50, 3)) * np.array([1e-3, 1.0, 30.0])
    for kw in [dict(lr=0.1, eps=1e-10, initial_accumulator=0.0),
               dict(lr=0.3, eps=1e-3, initial_accumulator=0.1)]:
        predicted = -ag.effective_step(grads, kw["lr"], kw["eps"], kw["initial_accumulator"]) * grads
        np.testing.assert_allclose(simulate(grads, **kw), predicted, rtol=1e-12, atol=0)


def test_first_step_outside_and_inside():
    g = np.array([1e-8, 1e-5, 1e-2, 1.0, -3.0])
    out = simulate(g[None, :], lr=0.5, eps=1e-6, initial_accumulator=0.0)[0]
    np.testing.assert_allclose(out, ag.first_step(g, 0.5, eps=1e-6), rtol=1e-13)
    # eps inside the root is the initial accumulator eps with eps = 0 outside
    ins = simulate(g[None, :], lr=0.5, eps=0.0, initial_accumulator=1e-6)[0]
    np.testing.assert_allclose(ins, ag.first_step(g, 0.5, eps=1e-6, inside=True), rtol=1e-13)
    h0 = simulate(g[None, :], lr=0.5, eps=0.0, initial_accumulator=0.1)[0]
    np.testing.assert_allclose(h0, ag.first_step(g, 0.5, initial_accumulator=0.1), rtol=1e-13)
    np.testing.assert_allclose(ag.first_step(g, 0.5), -0.5 * np.sign(g), rtol=1e-15)


@pytest.mark.parametrize("c", [1e-4, 1.0, -250.0])
def test_constant_gradient_reach(c):
    T = 400
    moved = simulate(np.full((T, 1), c), lr=0.2, eps=0.0)
    exact, lo, hi = ag.constant_gradient_reach(0.2, T, c)
    assert abs(np.abs(moved.sum()) - exact) <= 1e-12 * exact
    assert lo <= exact <= hi
    with pytest.raises(ValueError, match="steps"):
        ag.constant_gradient_reach(0.2, 0)


def test_sqrt_sum_lemma_holds_and_is_tight_for_rising_sequences():
    rng = np.random.default_rng(1)
    a = rng.exponential(size=(1000, 20)) * (rng.random((1000, 20)) < 0.1)
    left, right = ag.sqrt_sum_lemma(a)
    assert np.all(left <= right + 1e-12)
    # a_t = 1 for all t: left = sum 1/sqrt(t), close to 2 sqrt(T) for large T
    left, right = ag.sqrt_sum_lemma(np.ones(10_000))
    assert 0.99 * right < left <= right


def test_hindsight_scales_minimise_phi():
    rng = np.random.default_rng(2)
    g = rng.standard_normal((200, 4)) * np.array([0.1, 1.0, 5.0, 0.01])
    s, phi = ag.hindsight_scales(g, budget=2.0)
    assert s.sum() == pytest.approx(2.0)
    np.testing.assert_allclose(s / s[0], np.sqrt((g ** 2).sum(0)) / np.sqrt((g[:, 0] ** 2).sum()))
    Phi = lambda s: np.sum((g ** 2).sum(0) / s)
    assert Phi(s) == pytest.approx(phi, rel=1e-12)
    for _ in range(200):
        other = rng.dirichlet(np.ones(4)) * 2.0
        assert Phi(other) >= phi * (1 - 1e-12)
    with pytest.raises(ValueError, match="all zero"):
        ag.hindsight_scales(np.zeros((3, 2)))


def test_full_matrix_diagonal_part_is_adagrad_and_rotation_invariant():
    land0 = ol.Quadratic(kappa=50, angle=0)
    land45 = ol.Quadratic(kappa=50, angle=45)
    # delta = 1e-6: the rank-1 G_1 divides rounding (1e-16) by delta (see the docstring)
    r0 = ag.full_matrix_adagrad(land0, 0.5, steps=100, delta=1e-6)
    r45 = ag.full_matrix_adagrad(land45, 0.5, steps=100, delta=1e-6)
    Q = land45.eigenvectors
    # the rotated problem's path is the rotated path
    np.testing.assert_allclose(r45.path, r0.path @ Q.T, atol=1e-9)
    # diagonal AdaGrad is rotation dependent
    d0 = ol.run(ol.AdaGrad(lr=0.5, eps=1e-10), land0, steps=100).distance()[-1]
    d45 = ol.run(ol.AdaGrad(lr=0.5, eps=1e-10), land45, steps=100).distance()[-1]
    assert d45 > 100 * d0
    # on one step from G_0 = 0 full matrix moves by eta * g / |g|
    r1 = ag.full_matrix_adagrad(land45, 0.5, steps=1, delta=1e-6)
    g = land45.grad(land45.start)
    np.testing.assert_allclose(r1.path[1] - r1.path[0], -0.5 * g / (np.linalg.norm(g) + 1e-6),
                               rtol=1e-9)


def test_axis_aligned_quadratic_curvature_drops_out():
    paths = [ol.run(ol.AdaGrad(lr=0.5, eps=0.0), ol.Quadratic(kappa=k), steps=80).path
             for k in (1, 10, 1000)]
    for p in paths[1:]:
        np.testing.assert_allclose(p, paths[0], rtol=1e-12, atol=1e-14)


def test_steps_to():
    v = np.array([[1.0, 1.0], [0.1, 0.5], [1e-7, 0.4]])
    np.testing.assert_array_equal(ag.steps_to(v), [2, -1])


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="learning rate"):
        ag.effective_step(np.ones((2, 1)), -1.0)
    with pytest.raises(ValueError, match="delta"):
        ag.full_matrix_adagrad(ol.Quadratic(), 0.1, delta=0.0)


def test_explorer_report():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.figure
    fig = matplotlib.figure.Figure()
    text = ag.adagrad_quadratic(fig.subplots(1, 2), eta=0.5, angle=45)
    assert "angle = 45°" in text and "AdaGrad" in text
