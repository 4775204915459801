"""Every optimizer reaches the known minimum of every test problem.

One table of (optimizer, kwargs) per problem, in the spirit of Optax's
alias tests. The learning rates sit inside the range that works (found by a
sweep, see benchmarks/lr_ranges.py), not at its edge. RMSProp with a constant
learning rate ends in a small limit cycle around the minimum, whose size is
proportional to η, so its rows use a small η and the looser tolerance.
"""
import numpy as np
import pytest

import optimlib as ol

QUAD, ROSEN, BEALE = ol.Quadratic(kappa=10, angle=30), ol.Rosenbrock(), ol.Beale()

TABLE = [
    # optimizer, kwargs, problem, steps, tolerance on the distance to the minimum
    (ol.SGD, dict(lr=0.3), QUAD, 2000, 1e-4),
    (ol.SGD, dict(lr=0.0016), ROSEN, 20000, 1e-4),
    (ol.SGD, dict(lr=0.023), BEALE, 2000, 1e-4),
    (ol.Momentum, dict(lr=0.13), QUAD, 2000, 1e-4),
    (ol.Momentum, dict(lr=0.0016), ROSEN, 2000, 1e-4),
    (ol.Momentum, dict(lr=0.0033), BEALE, 2000, 1e-4),
    (ol.Nesterov, dict(lr=0.09), QUAD, 2000, 1e-4),
    (ol.Nesterov, dict(lr=0.0007), ROSEN, 5000, 1e-4),
    (ol.Nesterov, dict(lr=0.0033), BEALE, 2000, 1e-4),
    (ol.AdaGrad, dict(lr=1.0), QUAD, 2000, 1e-4),
    (ol.AdaGrad, dict(lr=0.7), ROSEN, 20000, 1e-4),
    (ol.AdaGrad, dict(lr=1.5), BEALE, 2000, 1e-4),
    (ol.RMSProp, dict(lr=5e-4, rho=0.9), QUAD, 20000, 1e-3),
    (ol.RMSProp, dict(lr=5e-4, rho=0.9), ROSEN, 20000, 1e-3),
    (ol.RMSProp, dict(lr=5e-4, rho=0.9), BEALE, 20000, 1e-3),
    (ol.Adadelta, dict(lr=0.5, eps=1e-4), QUAD, 2000, 1e-4),
    (ol.Adadelta, dict(lr=0.0015, eps=1e-2), ROSEN, 20000, 1e-4),  # narrow window: slow here
    (ol.Adadelta, dict(lr=0.023, eps=1e-4), BEALE, 5000, 1e-4),
    (ol.Adam, dict(lr=0.2), QUAD, 2000, 1e-4),
    (ol.Adam, dict(lr=0.2), ROSEN, 2000, 1e-4),
    (ol.Adam, dict(lr=0.2), BEALE, 2000, 1e-4),
    (ol.Adam, dict(lr=0.4, amsgrad=True), QUAD, 2000, 1e-4),
    (ol.Adam, dict(lr=0.4, amsgrad=True), ROSEN, 2000, 1e-4),
    (ol.Adam, dict(lr=0.4, amsgrad=True), BEALE, 2000, 1e-4),
    (ol.AdamW, dict(lr=0.2, weight_decay=0.0), QUAD, 2000, 1e-4),
    (ol.AdamW, dict(lr=0.2, weight_decay=0.0), ROSEN, 2000, 1e-4),
    (ol.AdamW, dict(lr=0.2, weight_decay=0.0), BEALE, 2000, 1e-4),
    (ol.NAdam, dict(lr=0.1), QUAD, 2000, 1e-4),
    # NAdam's raw-gradient term keeps a limit cycle on Rosenbrock's valley floor whose
    # size grows with η: at 0.0015 and above it stays ~2e-4 away after 20,000 steps.
    (ol.NAdam, dict(lr=0.0007), ROSEN, 20000, 1e-4),
    (ol.NAdam, dict(lr=0.1), BEALE, 2000, 1e-4),
    (ol.AdaMax, dict(lr=0.1), QUAD, 2000, 1e-4),
    (ol.AdaMax, dict(lr=0.05), ROSEN, 5000, 1e-4),
    (ol.AdaMax, dict(lr=0.3), BEALE, 2000, 1e-4),
]


@pytest.mark.parametrize("cls,kw,land,steps,tol", TABLE,
                         ids=[f"{c.__name__}{'-ams' if k.get('amsgrad') else ''}-{l.name}"
                              for c, k, l, _, _ in TABLE])
def test_reaches_the_known_minimum(cls, kw, land, steps, tol):
    r = ol.run(cls(**kw), land, steps=steps)
    assert not r.diverged, r.status()
    assert r.distance()[-1] < tol, r.status()
    assert r.gap[-1] < r.gap[0] * 1e-4


def test_every_optimizer_is_in_the_table():
    assert {row[0] for row in TABLE} == set(ol.OPTIMIZERS.values())
    for cls in ol.OPTIMIZERS.values():
        assert {row[2].name for row in TABLE if row[0] is cls} == {QUAD.name, ROSEN.name, BEALE.name}


def test_adamw_decays_towards_zero_where_adam_does_not():
    """On a flat direction (zero gradient) only the decoupled decay moves θ."""
    p_w, p_a = np.array([1.0, 1.0]), np.array([1.0, 1.0])
    adamw, adam = ol.AdamW(lr=0.1, weight_decay=0.5), ol.Adam(lr=0.1)
    for _ in range(20):
        adamw.update(p_w, np.array([0.0, 0.0]))
        adam.update(p_a, np.array([0.0, 0.0]))
    np.testing.assert_allclose(p_w, (1 - 0.1 * 0.5) ** 20)
    np.testing.assert_allclose(p_a, 1.0)
