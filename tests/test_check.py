"""optimlib.check: the library and correct readers' classes pass; every classic mistake
is caught and named. show_source on readers' classes."""
import linecache
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from optimlib import mistakes, optimizers, reference
from optimlib.check import CHECKS, RTOL, CheckResult, Entry, _cases, check
from optimlib.source import show_source

NAMES = list(CHECKS)
BOOK = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
        "amsgrad", "nadam", "adamax"]
PAIRS = [(cls, name) for cls in mistakes.MISTAKES for name in cls.applies_to]


def test_one_name_per_optimizer_of_the_book():
    assert NAMES == BOOK


# -- what passes ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_library_classes_pass(name):
    result = check(getattr(optimizers, CHECKS[name].library), name)
    assert result.passed, result.message
    assert result and result.diagnosis is None and result.step is None
    assert "agrees with optimlib's" in result.message


@pytest.mark.parametrize("name", NAMES)
def test_correct_reader_style_classes_pass(name):
    result = check(mistakes.CORRECT[name], name)
    assert result.passed, result.message


def torch_style(make_reference, mapping):
    """A reader's class built on optimlib.reference (PyTorch's formulation, one per array)."""
    class Reader:
        def __init__(self, **kw):
            self.kw = {mapping.get(k, k): v for k, v in kw.items()}
            self.twins = {}

        def update(self, params, grads):
            items = params.items() if isinstance(params, dict) else [(None, params)]
            for key, p in items:
                if key not in self.twins:
                    self.twins[key] = make_reference(**self.kw)
                g = grads if key is None else grads[key]
                p[...] = self.twins[key].step(p, g)
    return Reader


def adam_reference(decoupled):
    def make(lr, beta1, beta2, eps, amsgrad=False, weight_decay=0.0):
        return reference.TorchAdam(lr, (beta1, beta2), eps, amsgrad, weight_decay,
                                   decoupled=decoupled)
    return make


TORCH_STYLE = {
    "sgd": (reference.TorchSGD, {}),
    "momentum": (reference.TorchSGD, {}),
    "nesterov": (lambda lr, momentum: reference.TorchSGD(lr, momentum, nesterov=True), {}),
    "adagrad": (reference.TorchAdagrad, {"initial_accumulator": "initial_accumulator_value"}),
    "rmsprop": (reference.TorchRMSprop, {"rho": "alpha"}),
    "adadelta": (reference.TorchAdadelta, {}),
    "adam": (adam_reference(False), {}),
    "adamw": (adam_reference(True), {}),
    "amsgrad": (adam_reference(False), {}),
    "nadam": (lambda lr, beta1, beta2, eps, momentum_decay:
              reference.TorchNAdam(lr, (beta1, beta2), eps, momentum_decay), {}),
    "adamax": (lambda lr, beta1, beta2, eps: reference.TorchAdamax(lr, (beta1, beta2), eps), {}),
}


@pytest.mark.parametrize("name", NAMES)
def test_pytorch_formulations_pass(name):
    """Another formulation of the same algorithm (PyTorch's buffers and order) is accepted."""
    make, mapping = TORCH_STYLE[name]
    result = check(torch_style(make, mapping), name)
    assert result.passed, result.message


def test_a_class_that_only_does_amsgrad_may_leave_out_the_keyword():
    class MyAMSGrad(mistakes.PlainAdam):
        def __init__(self, lr, beta1, beta2, eps):
            super().__init__(lr, beta1, beta2, eps, amsgrad=True)

    assert check(MyAMSGrad, "amsgrad").passed
    # ... but plain Adam is not AMSGrad
    result = check(mistakes.PlainAdam, "adam")
    assert result.passed
    class PlainAdamOnly(mistakes.PlainAdam):
        def __init__(self, lr, beta1, beta2, eps):
            super().__init__(lr, beta1, beta2, eps, amsgrad=False)
    result = check(PlainAdamOnly, "amsgrad")
    assert not result.passed and result.diagnosis == "amsgrad_no_max"


# -- every mistake is caught and named ------------------------------------------------------
@pytest.mark.parametrize("cls,name", PAIRS, ids=[f"{c.__name__}-{n}" for c, n in PAIRS])
def test_every_mistake_is_caught_and_diagnosed(cls, name):
    result = check(cls, name)
    assert not result.passed
    assert result.diagnosis == cls.diagnosis, result.message
    assert f"Most likely cause: {mistakes.DIAGNOSES[cls.diagnosis]}" in result.message
    assert result.message.startswith(f"{cls.__name__} differs from optimlib's")
    assert result.step >= 1 and f"step {result.step}, " in result.message
    assert result.setting is not None and set(result.setting) >= set(CHECKS[name].settings[0])


def test_every_mistake_declares_a_known_diagnosis_and_name():
    for cls in mistakes.MISTAKES:
        assert cls.diagnosis in mistakes.DIAGNOSES, cls
        assert cls.applies_to and set(cls.applies_to) <= set(NAMES), cls
    used = {cls.diagnosis for cls in mistakes.MISTAKES}
    assert used == set(mistakes.DIAGNOSES), "a diagnosis without a mistake that shows it"
    for name in NAMES:
        assert "not_in_place" in {c.diagnosis for c in mistakes.for_optimizer(name)}, name


def test_the_mistakes_the_issue_lists_are_there():
    by_name = {(n, c.diagnosis) for c in mistakes.MISTAKES for n in c.applies_to}
    for pair in [("adam", "eps_inside_sqrt"), ("rmsprop", "eps_inside_sqrt"),
                 ("adagrad", "eps_inside_sqrt"), ("adam", "no_bias_correction"),
                 ("adam", "corrected_moments_stored"), ("adam", "step_counter_from_zero"),
                 ("momentum", "momentum_sign"), ("momentum", "momentum_order"),
                 ("nesterov", "nesterov_as_momentum"), ("adagrad", "missing_square"),
                 ("rmsprop", "missing_square"), ("sgd", "not_in_place")]:
        assert pair in by_name, pair


def test_no_bias_correction_message_names_step_parameter_and_size():
    result = check(mistakes.AdamNoBiasCorrection, "adam")
    # At step 1, m = (1-β₁)g and v = (1-β₂)g², so the uncorrected step is
    # (1-β₁)/√(1-β₂) times the corrected one (ε is negligible for this coordinate).
    expected = (1 - 0.9) / np.sqrt(1 - 0.999) - 1
    assert result.step == 1 and result.parameter == "W"
    assert result.difference == pytest.approx(expected, rel=1e-4)
    assert result.message.startswith("AdamNoBiasCorrection differs from optimlib's Adam.\n"
                                     "step 1, parameter 'W'")
    assert f"your θ differs from optimlib's by {expected:.1e} (relative" in result.message
    assert result.message.endswith("Most likely cause: bias correction is missing "
                                   "(m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)).")


def test_seed_002_bug_is_named():
    """The loop of seed 002: m = m/(1-β₁ᵗ) stored back, so the correction compounds."""
    class Seed002Adam:
        def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
            self.m, self.v, self.i = {}, {}, 0

        def update(self, params, grads):
            self.i += 1
            keys = params.keys() if isinstance(params, dict) else [None]
            for k in keys:
                p = params if k is None else params[k]
                g = grads if k is None else grads[k]
                m = self.m.get(k, 0.0)
                v = self.v.get(k, 0.0)
                m = self.b1 * m + (1 - self.b1) * g
                m = m / (1 - self.b1 ** self.i)
                v = self.b2 * v + (1 - self.b2) * (g ** 2)
                v = v / (1 - self.b2 ** self.i)
                self.m[k], self.v[k] = m, v
                p -= self.lr * m / (np.sqrt(v) + self.eps)

    result = check(Seed002Adam, "adam")
    assert not result.passed and result.diagnosis == "corrected_moments_stored"
    assert result.step == 2   # step 1 is right: the correction only compounds from step 2


# -- readers' classes written independently of optimlib.mistakes ----------------------------
def pairs(params, grads):
    if isinstance(params, dict):
        return [(k, params[k], grads[k]) for k in params]
    return [(None, params, grads)]


class CounterAfterAdam:
    """Python-float bias corrections: the counter bug raises ZeroDivisionError."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m, self.v, self.t = {}, {}, 0

    def update(self, params, grads):
        for k, p, g in pairs(params, grads):
            m = self.m.setdefault(k, np.zeros_like(p))
            v = self.v.setdefault(k, np.zeros_like(p))
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            step_size = self.lr / (1 - self.beta1 ** self.t)
            p -= step_size * m / (np.sqrt(v / (1 - self.beta2 ** self.t)) + self.eps)
        self.t += 1


def test_an_update_that_raises_is_reported_and_still_diagnosed():
    result = check(CounterAfterAdam, "adam")
    assert not result.passed and result.step == 1
    assert "your update raised ZeroDivisionError" in result.message
    assert "step_size = self.lr / (1 - self.beta1 ** self.t)" in result.message
    assert result.diagnosis == "step_counter_from_zero"


def test_returning_new_arrays_is_not_in_place():
    class ReturnsSGD:
        def __init__(self, lr):
            self.lr = lr

        def update(self, params, grads):
            if isinstance(params, dict):
                return {k: params[k] - self.lr * grads[k] for k in params}
            return params - self.lr * grads

    result = check(ReturnsSGD, "sgd")
    assert not result.passed and result.diagnosis == "not_in_place"
    assert "returned new arrays" in result.message


def test_rebinding_inside_a_loop_is_not_in_place():
    class RebindMomentum:
        def __init__(self, lr, momentum):
            self.lr, self.momentum, self.v = lr, momentum, {}

        def update(self, params, grads):
            for k, p, g in pairs(params, grads):
                v = self.v.get(k, 0.0)
                self.v[k] = self.momentum * v - self.lr * g
                p = p + self.v[k]   # rebinding the local name: the caller never sees it

    result = check(RebindMomentum, "momentum")
    assert not result.passed and result.diagnosis == "not_in_place"


def test_an_unknown_mistake_gets_no_false_diagnosis():
    class DoubleSGD(mistakes.PlainSGD):
        def step(self, p, g, s):
            p -= 2 * self.lr * g

    result = check(DoubleSGD, "sgd")
    assert not result.passed and result.diagnosis is None
    assert result.difference == pytest.approx(1.0)
    assert "No common mistake reproduces your numbers" in result.message
    assert "show_source(optimlib.SGD, docstring=True)" in result.message


def test_an_update_that_writes_to_grads_is_reported():
    class ScalesGrads(mistakes.PlainSGD):
        def step(self, p, g, s):
            g *= self.lr     # right numbers, but the caller's gradient is changed
            p -= g

    result = check(ScalesGrads, "sgd")
    assert not result.passed
    assert "your update changed the gradients it was given (grads['W'] at step 1)" \
        in result.message
    assert result.message.endswith("Your numbers agree with optimlib's otherwise.")


def test_a_changed_gradient_is_mentioned_beside_a_wrong_step():
    class UphillAndScales(mistakes.PlainSGD):
        def step(self, p, g, s):
            g *= -self.lr
            p -= g

    result = check(UphillAndScales, "sgd")
    assert not result.passed and result.diagnosis == "gradient_sign"
    assert "Your update also changed the gradients it was given (grads['W'] at step 1)." \
        in result.message


def test_an_error_that_is_no_known_mistake():
    class Broken(mistakes.PlainSGD):
        def update(self, params, grads):
            return params["missing"]

    result = check(Broken, "sgd")
    assert not result.passed and result.diagnosis is None and result.step == 1
    assert "your update raised KeyError: 'missing'" in result.message
    assert 'return params["missing"]' in result.message
    assert "Fix the error above" in result.message


def test_no_update_method():
    class NoUpdate:
        def __init__(self, lr):
            self.lr = lr

        def step(self, params, grads):
            pass

    result = check(NoUpdate, "sgd")
    assert not result.passed and "NoUpdate has no method update(params, grads)" in result.message


def test_wrong_keywords():
    class MyAdam(mistakes.PlainAdam):
        def __init__(self, lr, b1, b2, eps):
            super().__init__(lr, b1, b2, eps)

    result = check(MyAdam, "adam")
    assert not result.passed
    assert "MyAdam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08) failed: TypeError" \
        in result.message
    assert "optimlib's keywords (lr, beta1, beta2, eps)" in result.message


def test_a_constructor_that_raises():
    class Picky:
        def __init__(self, lr):
            raise ValueError("no thanks")

        def update(self, params, grads):
            pass

    result = check(Picky, "sgd")
    assert not result.passed and "Picky(lr=0.01) raised ValueError: no thanks" in result.message


def test_an_instance_instead_of_the_class():
    result = check(mistakes.PlainSGD(lr=0.1), "sgd")
    assert not result.passed
    assert "pass the class PlainSGD, not an object made from it" in result.message


def test_a_factory_function_works():
    assert check(lambda lr: optimizers.SGD(lr=lr), "sgd").passed


@pytest.mark.parametrize("name", ["adamx", "Adam ", 3, None])
def test_unknown_names_raise(name):
    with pytest.raises(ValueError, match=r"Invalid optimizer name: .*'sgd'"):
        check(mistakes.PlainSGD, name)


@pytest.mark.parametrize("steps", [0, -1, 2.5, True])
def test_bad_steps_raise(steps):
    with pytest.raises(ValueError, match=f"Invalid steps: {steps!r}"):
        check(mistakes.PlainSGD, "sgd", steps=steps)


def test_names_are_case_insensitive():
    assert check(optimizers.Adam, "Adam").passed


# -- the runs are what the docs say ---------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_runs_cover_magnitudes_zeros_layouts_and_settings(name):
    cases = _cases(name, CHECKS[name], 200)
    assert len(CHECKS[name].settings) >= 3
    assert {c.layout for c in cases} == {"dict", "single"}
    for c in cases:
        g = np.concatenate([np.concatenate([a.ravel() for a in step.values()])
                            for step in c.grads])
        nonzero = np.abs(g[g != 0])
        if c.layout == "dict":
            assert nonzero.min() < 1e-7 and nonzero.max() > 1e2
            assert c.shapes == {"W": (2, 3), "b": (3,)}
        else:
            assert c.shapes == {None: (1,)}
        assert np.sum(g == 0) > 0
    again = _cases(name, CHECKS[name], 200)
    assert all(np.array_equal(a.grads[5]["b" if a.layout == "dict" else None],
                              b.grads[5]["b" if b.layout == "dict" else None])
               for a, b in zip(cases, again)), "the stream must be fixed"


def test_a_new_optimizer_is_one_table_entry(monkeypatch):
    monkeypatch.setitem(CHECKS, "sgd_again", Entry("SGD", (dict(lr=0.2), dict(lr=0.02))))
    assert check(mistakes.PlainSGD, "sgd_again").passed
    assert not check(mistakes.PlainMomentum, "sgd_again", steps=5).passed


def test_check_is_deterministic():
    a, b = check(mistakes.AdamEpsInsideSqrt, "adam"), check(mistakes.AdamEpsInsideSqrt, "adam")
    assert a.message == b.message and a.difference == b.difference


def test_tolerance_is_tight_enough_for_small_real_differences():
    """A decay applied after the step changes each step by only η·λ (1e-5 here)."""
    result = check(mistakes.AdamWDecayAfterStep, "adamw")
    assert result.difference == pytest.approx(0.001 * 0.01, rel=0.05)
    assert result.difference > 5 * RTOL


# -- the result in a notebook ---------------------------------------------------------------
def test_result_reprs():
    good = check(optimizers.SGD, "sgd")
    assert repr(good).startswith("✓ SGD agrees with optimlib's SGD")
    assert "✓" in good._repr_html_()
    bad = check(mistakes.SGDUphill, "sgd")
    assert repr(bad).startswith("✗ SGDUphill differs")
    page = bad._repr_html_()
    assert "✗" in page and "<br>" in page and "θ ← θ − η g" in page
    weird = CheckResult(False, "a <b> & c")
    assert "a &lt;b&gt; &amp; c" in weird._repr_html_()
    assert not weird and bool(good)


# -- show_source on readers' classes --------------------------------------------------------
class TripleSingle:
    '''A reader's class with a triple-single-quoted docstring.

    It has """ inside it, too.
    '''

    def update(self, params, grads):
        '''Take one step.'''
        params -= 0.1 * grads


def test_show_source_with_single_quote_docstrings():
    code = show_source(TripleSingle).data
    assert code.startswith("class TripleSingle:\n")
    assert "triple-single-quoted" not in code and "'''Take one step.'''" in code
    assert "params -= 0.1 * grads" in code
    full = show_source(TripleSingle, docstring=True).data
    assert "triple-single-quoted" in full


def test_show_source_still_shows_the_library():
    code = show_source(optimizers.SGD).data
    assert "class SGD(Optimizer):" in code and '"""' not in code and "r\"\"\"" not in code
    assert "def _step(" in code
    assert show_source(mistakes.AdamCorrectedMomentsStored).data.count("# BUG") == 2


def test_show_source_of_a_function_and_a_docstring_only_class():
    def f(x):
        '''Doc.'''
        return x
    assert show_source(f).data == "def f(x):\n    return x\n"

    class OnlyDoc:
        '''Nothing else.'''
    assert show_source(OnlyDoc).data == "class OnlyDoc:\n    ...\n"


def fake_notebook_cell(source, name):
    """Run ``source`` the way a notebook does: a module without a file, the cell in linecache."""
    filename = f"/tmp/ipykernel_0/{abs(hash(source))}.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType("__notebook_main__")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__[name], filename


CELL = textwrap.dedent("""\
    import numpy as np

    def helper():
        return 1

    class MyAdam:
        '''My Adam.'''

        @staticmethod
        def name():
            return "mine"

        def update(self, params, grads):
            params -= grads

    class Bare:
        '''No methods.'''
    """)


def test_show_source_of_a_class_defined_in_a_notebook_cell():
    cls, filename = fake_notebook_cell(CELL, "MyAdam")
    try:
        code = show_source(cls).data
        assert code.startswith("class MyAdam:\n") and "My Adam" not in code
        assert "params -= grads" in code and "def helper" not in code and "Bare" not in code
    finally:
        linecache.cache.pop(filename, None)


def test_show_source_says_why_when_nothing_is_found():
    cls, filename = fake_notebook_cell(CELL, "Bare")
    linecache.cache.pop(filename, None)
    with pytest.raises(OSError, match=r"show_source cannot find the source of Bare: .*"
                                      r"found through its methods"):
        show_source(cls)


def test_show_source_in_a_real_ipython_shell():
    """IPython keeps cells in linecache; inspect.getsource fails on their classes."""
    cell = ("class MyAdam:\n    \'\'\'Mine.\'\'\'\n\n"
            "    def update(self, params, grads):\n        params -= grads\n")
    script = textwrap.dedent(f"""\
        import inspect
        from IPython.core.interactiveshell import InteractiveShell
        sh = InteractiveShell.instance()
        assert sh.run_cell({cell!r}).success
        try:
            inspect.getsource(sh.user_ns["MyAdam"])
            print("getsource works")
        except (OSError, TypeError):
            print("getsource fails")
        r = sh.run_cell("import optimlib.source as s; code = s.show_source(MyAdam).data")
        assert r.success, r.error_in_exec
        print(repr(sh.user_ns["code"]))
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "getsource fails"
    assert out[1] == repr("class MyAdam:\n    def update(self, params, grads):\n"
                          "        params -= grads\n")
