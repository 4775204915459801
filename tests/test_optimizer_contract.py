"""The optimizers' contract beyond the algorithms: the leading-axis rule for array
hyperparameters, schedules, updates that cannot half-happen, aliasing, per-parameter
step counts, AMSGrad's labelling and the state attributes."""
import numpy as np
import pytest

import optimlib as ol

# Every float hyperparameter of every optimizer, with two valid values to sweep over.
SWEEPS = [
    (ol.SGD, "lr", (0.01, 0.05)),
    (ol.Momentum, "lr", (0.01, 0.03)), (ol.Momentum, "momentum", (0.0, 0.8)),
    (ol.Nesterov, "lr", (0.01, 0.03)), (ol.Nesterov, "momentum", (0.3, 0.9)),
    (ol.AdaGrad, "lr", (0.05, 0.2)), (ol.AdaGrad, "eps", (1e-10, 0.5)),
    (ol.AdaGrad, "initial_accumulator", (0.0, 2.0)),
    (ol.RMSProp, "lr", (0.001, 0.01)), (ol.RMSProp, "rho", (0.5, 0.99)),
    (ol.RMSProp, "eps", (1e-8, 0.3)),
    (ol.Adadelta, "lr", (0.5, 1.0)), (ol.Adadelta, "rho", (0.8, 0.95)),
    (ol.Adadelta, "eps", (1e-6, 1e-3)),
    (ol.Adam, "lr", (0.001, 0.01)), (ol.Adam, "beta1", (0.0, 0.9)),
    (ol.Adam, "beta2", (0.9, 0.999)), (ol.Adam, "eps", (1e-8, 0.1)),
    (ol.AdamW, "lr", (0.001, 0.01)), (ol.AdamW, "beta1", (0.5, 0.9)),
    (ol.AdamW, "beta2", (0.99, 0.999)), (ol.AdamW, "eps", (1e-8, 0.1)),
    (ol.AdamW, "weight_decay", (0.0, 0.5)),
    (ol.NAdam, "lr", (0.001, 0.01)), (ol.NAdam, "beta1", (0.0, 0.9)),
    (ol.NAdam, "beta2", (0.9, 0.999)), (ol.NAdam, "eps", (1e-8, 0.1)),
    (ol.NAdam, "momentum_decay", (0.0, 0.1)),
    (ol.AdaMax, "lr", (0.001, 0.01)), (ol.AdaMax, "beta1", (0.0, 0.9)),
    (ol.AdaMax, "beta2", (0.9, 0.999)), (ol.AdaMax, "eps", (1e-8, 0.1)),
]
SWEEP_IDS = [f"{c.__name__}-{n}" for c, n, _ in SWEEPS]


def model_grads(params, seed):
    """A small problem with feedback on a dict of parameters with a leading copy axis."""
    rng = np.random.default_rng(seed)
    return {k: 0.7 * v + 0.1 * v ** 3 + 0.2 * rng.standard_normal(v.shape)
            for k, v in params.items()}


@pytest.mark.parametrize("cls,name,values", SWEEPS, ids=SWEEP_IDS)
def test_leading_axis_rule_trains_independent_models(cls, name, values):
    """hyperparameter of shape (B,) on {"W": (B, 3, 2), "b": (B, 2)} = B scalar runs."""
    lo, hi = values
    sweep = np.linspace(lo, hi, 4)
    rng = np.random.default_rng(0)
    W0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    batched = {"W": np.tile(W0, (4, 1, 1)), "b": np.tile(b0, (4, 1))}
    opt = cls(**{name: sweep})
    for step in range(60):
        opt.update(batched, model_grads(batched, step))
    for i, value in enumerate(sweep):
        single = {"W": W0.copy(), "b": b0.copy()}
        one = cls(**{name: value})
        for step in range(60):
            g = model_grads({k: np.tile(v, (4,) + (1,) * v.ndim) for k, v in single.items()}, step)
            one.update(single, {k: v[i] for k, v in g.items()})
        np.testing.assert_allclose(batched["W"][i], single["W"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(batched["b"][i], single["b"], rtol=1e-12, atol=1e-14)


def test_old_column_spelling_still_works():
    lrs = np.array([0.1, 0.2, 0.4])
    P = np.ones((3, 2))
    ol.SGD(lr=lrs[:, None]).update(P, np.ones((3, 2)))
    Q = np.ones((3, 2))
    ol.SGD(lr=lrs).update(Q, np.ones((3, 2)))
    np.testing.assert_array_equal(P, Q)
    np.testing.assert_allclose(P[:, 0], 1 - lrs)


def test_array_that_does_not_line_up_is_named():
    opt = ol.Adam(lr=np.full(3, 0.1))
    with pytest.raises(ValueError, match=r"lr of shape \(3,\) does not line up with the leading "
                                         r"axes of params\['b'\] of shape \(2,\)"):
        opt.update({"W": np.ones((3, 2)), "b": np.ones(2)}, {"W": np.ones((3, 2)), "b": np.ones(2)})
    assert opt.t == 0 and opt.m is None


def test_array_hyperparameters_are_copied_and_read_only():
    lrs = np.array([0.1, 0.2])
    opt = ol.SGD(lr=lrs)
    lrs[0] = 100.0
    assert opt.lr[0] == 0.1
    with pytest.raises(ValueError, match="read-only"):
        opt.lr[0] = 5.0


# --- schedules -----------------------------------------------------------------------------

def test_schedule_is_called_with_the_step_from_one():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1 / t

    opt, p = ol.SGD(lr=schedule), np.zeros(1)
    for _ in range(4):
        opt.update(p, np.ones(1))
    assert seen == [1, 2, 3, 4]
    np.testing.assert_allclose(p, -0.1 * (1 + 1 / 2 + 1 / 3 + 1 / 4))


@pytest.mark.parametrize("bad,message", [(-1.0, r"Invalid learning rate: -1\.0 from its schedule "
                                                r"at step t=3"),
                                         (float("nan"), r"Invalid learning rate: nan from its "
                                                        r"schedule at step t=3")])
def test_bad_schedule_value_raises_and_applies_nothing(bad, message):
    opt, p = ol.Adam(lr=lambda t: 0.1 if t < 3 else bad), np.ones(2)
    opt.update(p, np.ones(2))
    opt.update(p, np.ones(2))
    before, m, v = p.copy(), opt.m.copy(), opt.v.copy()
    with pytest.raises(ValueError, match=message):
        opt.update(p, np.ones(2))
    np.testing.assert_array_equal(p, before)
    np.testing.assert_array_equal(opt.m, m)
    np.testing.assert_array_equal(opt.v, v)
    assert opt.t == 2


def test_schedule_for_momentum_and_array_valued_schedule():
    opt = ol.Momentum(lr=lambda t: np.array([0.1, 0.2]) / t, momentum=lambda t: 0.5)
    P = np.ones((2, 3))
    opt.update(P, np.ones((2, 3)))
    np.testing.assert_allclose(P[:, 0], [0.9, 0.8])
    with pytest.raises(ValueError, match=r"Invalid momentum: 1\.0 from its schedule at step t=1"):
        ol.Momentum(momentum=lambda t: 1.0).update(np.ones(1), np.ones(1))


def test_schedule_with_a_constant_equals_the_constant():
    a, b = ol.Adam(lr=lambda t: 0.01), ol.Adam(lr=0.01)
    p, q = np.ones(3), np.ones(3)
    for k in range(20):
        a.update(p, np.sin(p + k))
        b.update(q, np.sin(q + k))
    np.testing.assert_array_equal(p, q)


def test_initial_accumulator_is_not_schedulable():
    with pytest.raises(TypeError, match="cannot follow a schedule"):
        ol.AdaGrad(initial_accumulator=lambda t: 0.1)


# --- updates that cannot half-happen --------------------------------------------------------

def test_read_only_parameter_changes_nothing():
    ro = np.ones(2)
    ro.flags.writeable = False
    params = {"a": np.ones(2), "b": ro}
    opt = ol.Adam(lr=0.1)
    opt.update({"a": np.ones(2), "b": np.ones(2)}, {"a": np.ones(2), "b": np.ones(2)})
    state = {k: v.copy() for k, v in opt.m.items()}
    with pytest.raises(ValueError, match=r"params\['b'\] is read-only"):
        opt.update(params, {"a": np.ones(2), "b": np.ones(2)})
    np.testing.assert_array_equal(params["a"], [1.0, 1.0])
    assert opt.t == 1
    for k in state:
        np.testing.assert_array_equal(opt.m[k], state[k])


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.bool_])
def test_unsupported_dtypes(dtype):
    with pytest.raises(TypeError, match="float32 and float64 are supported"):
        ol.SGD().update(np.ones(2, dtype=dtype), np.ones(2))


def test_infinite_learning_rate_is_rejected():
    with pytest.raises(ValueError, match=r"Invalid learning rate: inf \(must be finite"):
        ol.SGD(lr=float("inf"))


def test_zero_d_params_and_list_grads_are_named():
    with pytest.raises(ValueError, match="0-d array"):
        ol.SGD().update(np.array(1.0), np.array(1.0))
    with pytest.raises(TypeError, match=r"grads must be a numpy array, got list"):
        ol.SGD().update(np.ones(2), [1.0, 1.0])


def test_empty_array_is_a_no_op():
    opt, p = ol.Adam(), np.ones(0)
    opt.update(p, np.ones(0))
    assert p.shape == (0,) and opt.t == 1


@pytest.mark.parametrize("cls", list(ol.OPTIMIZERS.values()))
def test_gradient_may_alias_the_parameters(cls):
    """update(p, p): the gradient of ½‖θ‖², read before anything changes."""
    a, b = cls(), cls()
    p, q = np.linspace(-1, 2, 5), np.linspace(-1, 2, 5)
    for _ in range(5):
        a.update(p, p)
        b.update(q, q.copy())
    np.testing.assert_array_equal(p, q)
    for name in a._state_names():
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("cls", [ol.AdaGrad, ol.RMSProp, ol.Adam, ol.AdamW, ol.NAdam,
                                 ol.AdaMax])
def test_eps_zero_and_a_coordinate_never_touched(cls):
    kw = dict(weight_decay=0.0) if cls is ol.AdamW else {}
    opt, p = cls(eps=0.0, **kw), np.array([1.0, 2.0])
    with np.errstate(all="raise"):
        for _ in range(3):
            opt.update(p, np.array([0.5, 0.0]))
    assert p[1] == 2.0 and np.isfinite(p).all()


def test_step_counts_are_per_parameter():
    """A parameter added at update 4 gets bias correction from its own step 1."""
    opt = ol.Adam(lr=0.1)
    params = {"a": np.zeros(2)}
    for _ in range(3):
        opt.update(params, {"a": np.ones(2)})
    params["b"] = np.zeros(2)
    opt.update(params, {"a": np.ones(2), "b": np.array([3.0, -0.01])})
    np.testing.assert_allclose(params["b"], [-0.1, 0.1], rtol=1e-6)
    assert opt.t == 4


# --- AMSGrad, labels, state attributes ------------------------------------------------------

def test_amsgrad_is_a_visible_hyperparameter_and_label():
    opt = ol.Adam(amsgrad=True)
    assert "amsgrad=True" in repr(opt) and opt.hyperparameters()["amsgrad"] is True
    assert opt.label == "AMSGrad" and ol.Adam().label == "Adam"
    assert ol.run(opt, ol.Quadratic(), 3).name == "AMSGrad"
    assert ol.style_of("AMSGrad")["linestyle"] == ":"


def test_v_max_exists_only_with_amsgrad():
    plain, ams = ol.Adam(), ol.Adam(amsgrad=True)
    for opt in (plain, ams):
        opt.update(np.ones(2), np.ones(2))
    assert ams.v_max.shape == (2,)
    with pytest.raises(AttributeError):
        plain.v_max  # noqa: B018


@pytest.mark.parametrize("single", [True, False], ids=["array", "dict"])
def test_state_attributes_are_live_and_cannot_be_replaced(single):
    opt = ol.Momentum(lr=0.1)
    assert opt.v is None
    p = np.ones(2)
    params, grads = (p, np.ones(2)) if single else ({"w": p}, {"w": np.ones(2)})
    opt.update(params, grads)
    v = opt.v if single else opt.v["w"]
    v[...] = 0.0  # changing the arrays in place works: this is the state itself
    opt.update(params, grads)
    np.testing.assert_allclose(p, [0.8, 0.8])
    with pytest.raises(AttributeError, match="change its arrays in place"):
        opt.v = np.zeros(2)
