"""Bad inputs, one row per case: the exact error type and a message that names the problem.

The rows for hyperparameters are generated from the optimizers' own descriptors, so a
hyperparameter added later is covered without touching this file.
"""
import math
import re

import numpy as np
import pytest

import optimlib as ol
from optimlib.optimizers import Hyperparameter


def hyperparameter_rows():
    """(class, name, label, bad value) for every float hyperparameter of every optimizer."""
    rows = []
    for cls in ol.OPTIMIZERS.values():
        for name, d in cls._descriptors().items():
            if not isinstance(d, Hyperparameter):
                continue
            bad = [-0.5, math.nan, math.inf, -math.inf]
            if d.high is not None:  # betas, rho, momentum: [0, 1)
                bad += [1.0, 1.5]
            rows += [(cls, name, d.label, value) for value in bad]
    return rows


ROWS = hyperparameter_rows()
IDS = [f"{c.__name__}-{n}={v}" for c, n, _, v in ROWS]


def expected(label, value, tail=""):
    return re.escape(f"Invalid {label}: {float(value)!r}") + tail


@pytest.mark.parametrize("cls,name,label,value", ROWS, ids=IDS)
def test_out_of_range_scalar(cls, name, label, value):
    with pytest.raises(ValueError, match=expected(label, value, r" \(must be")):
        cls(**{name: value})


@pytest.mark.parametrize("cls,name,label,value", ROWS, ids=IDS)
def test_one_bad_element_inside_an_array(cls, name, label, value):
    good = cls().hyperparameters()[name]
    with pytest.raises(ValueError, match=expected(label, value, r" at index \(1,\) of the array")):
        cls(**{name: np.array([good, value, good])})


@pytest.mark.parametrize("cls,name,label,value", ROWS, ids=IDS)
def test_schedule_returning_a_bad_value(cls, name, label, value):
    if name == "initial_accumulator":  # used once, at the start: it has no schedule
        with pytest.raises(TypeError, match="cannot follow a schedule"):
            cls(**{name: lambda t: value})
        return
    opt = cls(**{name: lambda t: value})
    p = np.ones(2)
    with pytest.raises(ValueError, match=expected(label, value, r" from its schedule at step t=1")):
        opt.update(p, np.ones(2))
    np.testing.assert_array_equal(p, [1.0, 1.0])


@pytest.mark.parametrize("cls,name,label", sorted({(c, n, l) for c, n, l, _ in ROWS},
                                                  key=lambda r: (r[0].__name__, r[1])),
                         ids=lambda x: getattr(x, "__name__", str(x)))
@pytest.mark.parametrize("value", ["fast", None, True, [1, "x"]], ids=repr)
def test_non_numbers(cls, name, label, value):
    with pytest.raises(TypeError, match=re.escape(f"Invalid {label}: {value!r}")):
        cls(**{name: value})


@pytest.mark.parametrize("params,grads,error,message", [
    ({"W": np.ones(2), "b": np.ones(2)}, {"W": np.ones(2)}, ValueError,
     r"different keys: no gradient for \['b'\], no parameter for \[\]"),
    ({"W": np.ones(2)}, {"W": np.ones(2), "c": np.ones(1)}, ValueError,
     r"no gradient for \[\], no parameter for \['c'\]"),
    ({"W": np.ones(2)}, {"W": np.ones(3)}, ValueError,
     r"grads\['W'\] has shape \(3,\) but params\['W'\] has shape \(2,\)"),
    (np.ones((2, 3)), np.ones((3, 2)), ValueError, r"grads has shape \(3, 2\) but params has shape"),
    ([1.0, 2.0], [0.1, 0.1], TypeError, r"params must be a numpy array \(updated in place\), got list"),
    (np.ones(2), [0.1, 0.1], TypeError, r"grads must be a numpy array, got list"),
    ({"W": [1.0]}, {"W": [1.0]}, TypeError, r"params\['W'\] must be a numpy array"),
    (np.array([1, 2]), np.ones(2), TypeError, r"params has dtype int64; an in-place update would "
                                              r"truncate it: float32 and float64 are supported"),
    (np.ones(2, np.float16), np.ones(2), TypeError, r"params has dtype float16; float16 is too "
                                                    r"coarse.*float32 and float64 are supported"),
    (np.ones(2), np.ones(2, complex), TypeError, r"grads has dtype complex128; a real-valued"),
    (np.array(1.0), np.array(1.0), ValueError, r"params is a 0-d array; give it shape \(1,\)"),
    ({"W": np.ones(2)}, np.ones(2), TypeError, "must both be dicts or both be arrays"),
], ids=["missing-grad", "extra-grad", "shape", "transposed", "list-params", "list-grads",
        "list-in-dict", "int", "float16", "complex-grads", "0-d", "dict-vs-array"])
def test_params_and_grads_that_do_not_match(params, grads, error, message):
    opt = ol.Adam()
    with pytest.raises(error, match=message):
        opt.update(params, grads)
    assert opt.t == 0 and opt.m is None


@pytest.mark.parametrize("cls", list(ol.OPTIMIZERS.values()))
def test_empty_array_is_a_no_op(cls):
    p = np.ones((0, 3))
    cls().update(p, np.ones((0, 3)))
    assert p.shape == (0, 3)


@pytest.mark.parametrize("cls", list(ol.OPTIMIZERS.values()))
def test_non_finite_gradient_is_applied_and_the_runner_reports_the_step(cls):
    """Documented behaviour: update() does not check gradient values (that would cost a
    pass over every array on every step); a NaN or inf gradient makes the parameters
    non-finite, and run() stops that run and reports the step."""

    class Poisoned(ol.Quadratic):
        def grad(self, theta):
            g = super().grad(theta)
            self.calls = getattr(self, "calls", 0) + 1
            return g * np.inf if self.calls == 4 else g

    result = ol.run(cls(), Poisoned(), steps=10)  # no RuntimeWarning escapes (they are errors)
    assert int(result.diverged_at) == 4
    assert "diverged at step 4" in result.status()
