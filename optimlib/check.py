r"""Check a reader's optimizer against optimlib's, and say what is wrong in plain words.

::

    result = optimlib.check(MyAdam, "adam")
    result.passed     # True or False
    result            # ✓ or ✗ and the message, in a notebook too

:func:`check` constructs the reader's class with optimlib's keywords
(``MyAdam(lr=..., beta1=..., beta2=..., eps=...)``) for several
hyperparameter settings and feeds it, and optimlib's class, the same fixed
gradient stream: a dict of several arrays and a single array of shape
``(1,)``, gradient components from :math:`10^{-8}` to :math:`10^{3}` and
exact zeros, a few hundred steps. At every step the change of every
parameter, :math:`\theta_t - \theta_{t-1}`, must agree with optimlib's to
``RTOL`` (relative). The first step that does not is reported, and the
classic mistakes of :mod:`optimlib.mistakes` are run on the same stream: one
that reproduces the reader's numbers is named as the most likely cause.

Only the public contract is used: the constructor's keywords, ``update(params,
grads)`` and parameters changed in place. One table entry per optimizer
(:data:`CHECKS`) holds the library class, the settings and any keyword the
reader's class may leave out.
"""
from __future__ import annotations

import html
import inspect
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import mistakes as _mistakes

__all__ = ["check", "CheckResult", "CHECKS", "Entry", "RTOL", "STEPS"]

#: Relative agreement required of every step :math:`\theta_t - \theta_{t-1}`.
RTOL = 1e-6
ROUNDOFF = 1e-12   # ... plus this fraction of |θ| (the round-off of θ itself)
#: Updates per run.
STEPS = 200
SEED = 20240905    # every stream and start point derives from it


@dataclass(frozen=True)
class Entry:
    """How to check one optimizer.

    ``library``: the class name in :mod:`optimlib.optimizers`; ``settings``:
    keyword dicts, every hyperparameter spelled out; ``fixed``: keywords added
    to every setting; ``optional``: those of ``fixed`` a reader's class may
    not accept (it is then constructed without them).
    """

    library: str
    settings: tuple
    fixed: dict = field(default_factory=dict)
    optional: tuple = ()

    def keywords(self, setting):
        return {**setting, **self.fixed}


_MOMENTUM = (dict(lr=0.01, momentum=0.9), dict(lr=0.05, momentum=0.5),
             dict(lr=0.001, momentum=0.99))
_ADAM = (dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8),
         dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6),
         dict(lr=0.05, beta1=0.5, beta2=0.9999, eps=1e-4))

#: One entry per name of the book. A new optimizer (say "nadam") needs one line
#: here, ``"nadam": Entry("NAdam", _ADAM)``, and optionally mistakes in
#: :mod:`optimlib.mistakes` whose ``applies_to`` names it.
CHECKS = {
    "sgd": Entry("SGD", (dict(lr=0.01), dict(lr=0.1), dict(lr=0.001))),
    "momentum": Entry("Momentum", _MOMENTUM),
    "nesterov": Entry("Nesterov", _MOMENTUM),
    "adagrad": Entry("AdaGrad", (dict(lr=0.01, eps=1e-10, initial_accumulator=0.0),
                                 dict(lr=0.3, eps=1e-6, initial_accumulator=0.1),
                                 dict(lr=0.05, eps=1e-8, initial_accumulator=0.0))),
    "rmsprop": Entry("RMSProp", (dict(lr=0.01, rho=0.99, eps=1e-8),
                                 dict(lr=0.003, rho=0.9, eps=1e-6),
                                 dict(lr=0.001, rho=0.5, eps=1e-4))),
    "adadelta": Entry("Adadelta", (dict(lr=1.0, rho=0.9, eps=1e-6),
                                   dict(lr=0.5, rho=0.95, eps=1e-5),
                                   dict(lr=2.0, rho=0.5, eps=1e-8))),
    "adam": Entry("Adam", _ADAM),
    "adamw": Entry("AdamW", tuple({**s, "weight_decay": wd}
                                  for s, wd in zip(_ADAM, (0.01, 0.1, 1.0)))),
    "amsgrad": Entry("Adam", _ADAM, fixed={"amsgrad": True}, optional=("amsgrad",)),
    "nadam": Entry("NAdam", tuple({**s, "momentum_decay": psi}
                                  for s, psi in zip(_ADAM, (0.004, 0.01, 0.1)))),
    "adamax": Entry("AdaMax", _ADAM),
}

# The parameter layouts every setting runs on: a dict of several arrays, one array.
_LAYOUTS = (("dict", {"W": (2, 3), "b": (3,)}), ("single", {None: (1,)}))


# -- the fixed runs --------------------------------------------------------------------
@dataclass
class _Case:
    setting: dict          # keywords for the constructors
    layout: str            # "dict" or "single"
    shapes: dict           # {name: shape}; the name is None for a single array
    theta0: dict           # {name: start values}
    grads: list            # per step, {name: gradient}

    def describe(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self.setting.items())
        if self.layout == "dict":
            shapes = ", ".join(f"{k!r}: {s}" for k, s in self.shapes.items())
            return f"with {inner}, on dict parameters {{{shapes}}}"
        return f"with {inner}, on a single parameter array of shape {self.shapes[None]}"


def _stream(shapes, rng, steps):
    """Start values and a gradient stream with components from 1e-8 to 1e3 and exact zeros."""
    sizes = {k: int(np.prod(s)) for k, s in shapes.items()}
    n = sum(sizes.values())
    theta0 = rng.normal(0.0, 1.0, n)
    if n > 1:
        # coordinates whose scales spread evenly from 1e-8 to 1e3, and one that is always 0
        scale = 10.0 ** np.linspace(-8.0, 3.0, n - 1)
        scale = np.append(rng.permutation(scale), 0.0)
        scale = np.broadcast_to(scale, (steps, n))
    else:
        # a single coordinate that wanders through the decades
        scale = 10.0 ** np.clip(np.cumsum(rng.normal(0.0, 1.0, steps)) - 6.0, -8, 3)[:, None]
    g = scale * rng.normal(0.0, 1.0, (steps, n))
    g[(steps * 5) // 10:(steps * 7) // 10] *= 1e-3          # a quiet spell: averages fall
    g[rng.random((steps, n)) < 0.1] = 0.0                  # exact zeros here and there
    g[0, :] = np.where(scale[0] == 0, 0.0, scale[0])       # a clean first step
    cuts = np.cumsum([0] + list(sizes.values()))

    def split(row):
        return {k: row[a:b].reshape(shapes[k]).copy()
                for k, a, b in zip(shapes, cuts[:-1], cuts[1:])}
    return split(theta0), [split(row) for row in g]


def _cases(name, entry, steps):
    out = []
    for i, setting in enumerate(entry.settings):
        for j, (layout, shapes) in enumerate(_LAYOUTS):
            rng = np.random.default_rng([SEED, i, j])
            theta0, grads = _stream(shapes, rng, steps)
            out.append(_Case(entry.keywords(setting), layout, shapes, theta0, grads))
    return out


@dataclass
class _Trace:
    """What one class did on one case: θ after every step, and how it stopped."""

    thetas: list                       # flat θ after steps 0, 1, 2, ...
    error: BaseException | None = None  # raised at step len(thetas)
    error_where: str = ""
    replaced: list = field(default_factory=list)   # dict entries swapped for new arrays
    returned: bool = False             # update returned something
    grads_changed: str = ""            # which gradient the update wrote to

    @property
    def steps(self):
        return len(self.thetas) - 1


def _flat(arrays):
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _user_line(error, cls):
    """The deepest line of the reader's own file in a traceback, as text."""
    try:
        source_file = inspect.getsourcefile(cls) if inspect.isclass(cls) else None
    except (TypeError, OSError):   # e.g. a class defined in a notebook
        source_file = None
    if source_file is None:
        update = getattr(cls, "update", None)
        source_file = getattr(getattr(update, "__code__", None), "co_filename", None)
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if f.filename == source_file] or frames[-1:]
    if not mine:
        return ""
    f = mine[-1]
    return f" (in {f.name}, line {f.lineno}: {f.line.strip()})" if f.line else ""


def _run(opt, case, steps, cls=None):
    """Run ``opt`` on ``case``; never raises for what the optimizer does."""
    single = case.layout == "single"
    originals = {k: v.copy() for k, v in case.theta0.items()}
    params = originals[None] if single else dict(originals)
    trace = _Trace([_flat(originals.values())])
    for t in range(steps):
        grads = {k: g.copy() for k, g in case.grads[t].items()}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = opt.update(params, grads[None] if single else grads)
        except Exception as error:   # the reader's code may raise anything
            trace.error = error
            trace.error_where = _user_line(error, cls) if cls is not None else ""
            return trace
        trace.returned = trace.returned or out is not None
        if not single:
            trace.replaced += [k for k in params if params[k] is not originals[k]
                               and k not in trace.replaced]
        if not trace.grads_changed:
            for k, g in grads.items():
                if np.any(g != case.grads[t][k]):   # the stream has no nan
                    trace.grads_changed = "grads" if k is None else f"grads[{k!r}]"
                    trace.grads_changed += f" at step {t + 1}"
                    break
        trace.thetas.append(_flat(originals.values()))
    return trace


def _bad(prev_a, a, prev_b, b):
    """Per coordinate: does step a (from prev_a) disagree with step b (from prev_b)?"""
    with np.errstate(all="ignore"):
        finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(prev_a) & np.isfinite(prev_b)
        da, db = a - prev_a, b - prev_b
        tol = RTOL * np.abs(db) + ROUNDOFF * np.maximum.reduce(
            [np.abs(a), np.abs(b), np.abs(prev_a), np.abs(prev_b)])
        step_bad = finite & ~(np.abs(da - db) <= tol)
        same_nonfinite = ~np.isfinite(a) & ~np.isfinite(b) & ((a == b) | (np.isnan(a)
                                                                   & np.isnan(b)))
        nonfinite_bad = ~finite & ~same_nonfinite & ~(np.isfinite(a) & np.isfinite(b))
        # both finite now but a start was not: compare the values themselves
        restart = ~finite & np.isfinite(a) & np.isfinite(b)
        restart_bad = restart & ~(np.abs(a - b) <= RTOL * np.abs(b) + ROUNDOFF)
    return step_bad | nonfinite_bad | restart_bad


def _first_difference(trace, ref):
    """The first step at which ``trace`` leaves ``ref``: (step, bad mask) or None."""
    n = min(trace.steps, ref.steps) + 1
    if n < 2:
        return None
    a, b = np.array(trace.thetas[:n]), np.array(ref.thetas[:n])
    bad = _bad(a[:-1], a[1:], b[:-1], b[1:])      # row k - 1 is step k
    rows = np.flatnonzero(bad.any(axis=1))
    return None if rows.size == 0 else (int(rows[0]) + 1, bad[rows[0]])


def _reproduces(candidate, reader):
    """Does the candidate's run reproduce the reader's numbers (and the way it stopped)?"""
    if reader.error is not None:
        k = reader.steps + 1      # the step at which the reader raised
        if candidate.steps < reader.steps:
            return False
        if _first_difference(_Trace(candidate.thetas[:k]), reader) is not None:
            return False
        if candidate.error is not None and candidate.steps == reader.steps:
            return type(candidate.error) is type(reader.error)
        arithmetic = isinstance(reader.error, ArithmeticError) or (
            isinstance(reader.error, ValueError) and "math domain" in str(reader.error))
        return (arithmetic and candidate.steps >= k
                and not np.all(np.isfinite(candidate.thetas[k])))
    if candidate.error is not None or candidate.steps != reader.steps:
        return False
    return _first_difference(candidate, reader) is None


# -- the result ----------------------------------------------------------------------------
@dataclass
class CheckResult:
    """The verdict of :func:`check`: ``passed``, the ``message`` and the details.

    ``diagnosis`` is the key of the recognised mistake (see
    :data:`optimlib.mistakes.DIAGNOSES`) or ``None``; ``step`` and
    ``parameter`` locate the first difference. True in a boolean context
    when the check passed.
    """

    passed: bool
    message: str
    name: str = ""
    diagnosis: str | None = None
    step: int | None = None
    parameter: str | None = None
    setting: dict | None = None
    difference: float | None = None

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return ("✓ " if self.passed else "✗ ") + self.message

    def _repr_html_(self):
        colour = "#1a7f37" if self.passed else "#cf222e"
        mark = "✓" if self.passed else "✗"
        lines = html.escape(self.message).replace("\n", "<br>")
        return (f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em">'
                f'<strong style="color: {colour}">{mark}</strong> {lines}</div>')


def _failed(name, message, **details):
    return CheckResult(False, message, name=name, **details)


def _label(cls):
    return getattr(cls, "__name__", None) or type(cls).__name__


def _construct(make, entry, keywords):
    """The reader's object, or the text of what went wrong."""
    label = _label(make)
    tries = [keywords]
    if entry.optional:
        tries.append({k: v for k, v in keywords.items() if k not in entry.optional})
    for i, kw in enumerate(tries):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return make(**kw), None
        except TypeError as error:
            if i + 1 < len(tries) and any(k in str(error) for k in entry.optional):
                continue
            call = ", ".join(f"{k}={v!r}" for k, v in kw.items())
            return None, (f"{label}({call}) failed: {type(error).__name__}: {error}. "
                          f"check() constructs your class with optimlib's keywords "
                          f"({', '.join(kw)}).")
        except Exception as error:
            call = ", ".join(f"{k}={v!r}" for k, v in kw.items())
            return None, f"{label}({call}) raised {type(error).__name__}: {error}."
    raise AssertionError("unreachable")


def _where(case, index):
    """Parameter name and index text of flat coordinate ``index``."""
    offset = 0
    for key, shape in case.shapes.items():
        size = int(np.prod(shape))
        if index < offset + size:
            at = np.unravel_index(index - offset, shape)
            name = "θ" if key is None else repr(key)
            where = "" if size == 1 else f" at index {tuple(int(i) for i in at)}"
            return ("θ" if key is None else key), f"parameter {name}{where}"
        offset += size
    raise IndexError(index)


def _number_message(step, case, reader, ref, bad):
    """(text, parameter, relative difference) for the worst coordinate of step ``step``."""
    a0, a, b0, b = (reader.thetas[step - 1], reader.thetas[step],
                    ref.thetas[step - 1], ref.thetas[step])
    with np.errstate(all="ignore"):
        da, db = a - a0, b - b0
        rel = np.where(bad, np.abs(da - db) / np.maximum(np.abs(db), 1e-300), -1.0)
        rel = np.where(bad & ~np.isfinite(a), np.inf, rel)
    i = int(np.argmax(rel))
    parameter, where = _where(case, i)
    head = f"step {step}, {where}, {case.describe()}: "
    if not np.isfinite(a[i]):
        return (head + f"your θ is {a[i]} where optimlib's is {b[i]:.6g}.", parameter,
                float("inf"))
    if db[i] == 0:
        return (head + f"your θ moved by {da[i]:+.3e} where optimlib's did not move "
                "(its step is 0).", parameter, float("inf"))
    r = float(abs(da[i] - db[i]) / abs(db[i]))
    return (head + f"your θ differs from optimlib's by {r:.1e} (relative to optimlib's "
            f"step: yours moved by {da[i]:+.3e}, optimlib's by {db[i]:+.3e})."), parameter, r


def _diagnose(name, case, reader, steps):
    """The first mistake whose run reproduces the reader's, or None."""
    for cls in _mistakes.for_optimizer(name):
        opt, _ = _construct(cls, CHECKS[name], case.setting)
        if opt is None:
            continue
        if _reproduces(_run(opt, case, steps), reader):
            return cls
    return None


def check(cls, name, steps=STEPS):
    r"""Run a reader's optimizer class against optimlib's and say whether it agrees.

    ``cls`` is the reader's class (or any callable that builds an object from
    optimlib's keywords, e.g. ``MyAdam(lr=0.01, beta1=0.9, beta2=0.999,
    eps=1e-8)``) whose objects offer ``update(params, grads)`` and change the
    arrays in ``params`` in place. ``name`` is one of :data:`CHECKS`:
    ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
    ``"adadelta"``, ``"adam"``, ``"adamw"``, ``"amsgrad"`` (Adam with
    ``amsgrad=True``; a class without that keyword is built without it).

    For every setting of the entry and for dict and single-array parameters,
    both classes take ``steps`` updates on the same gradients; every step
    :math:`\theta_t - \theta_{t-1}` must agree to :data:`RTOL` (relative).

    Returns a :class:`CheckResult`: ``passed`` and a ``message`` that names the
    first step and parameter that differ, by how much, and the most likely
    cause when one of the classic mistakes reproduces your numbers. Problems
    of the reader's class (it raises, has no ``update``, does not take the
    keywords) are reported in the message, not raised.
    """
    if not isinstance(name, str) or name.lower() not in CHECKS:
        raise ValueError(f"Invalid optimizer name: {name!r} (must be one of "
                         f"{', '.join(map(repr, CHECKS))})")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"Invalid steps: {steps!r} (must be an integer >= 1)")
    name = name.lower()
    entry = CHECKS[name]
    from . import optimizers
    library = getattr(optimizers, entry.library)
    label = _label(cls)
    lib_label = f"optimlib's {entry.library}" + (" (amsgrad=True)"
                                                 if entry.fixed.get("amsgrad") else "")

    if not callable(cls):
        kind = type(cls).__name__
        hint = (f" (pass the class {kind}, not an object made from it)"
                if hasattr(cls, "update") else "")
        return _failed(name, f"check() needs your optimizer class; got a {kind} "
                             f"object{hint}.")
    if inspect.isclass(cls) and not callable(getattr(cls, "update", None)):
        return _failed(name, f"{label} has no method update(params, grads); "
                             "check() calls opt.update(params, grads) once per step.")

    cases = _cases(name, entry, steps)
    for case in cases:
        reader_opt, problem = _construct(cls, entry, case.setting)
        if problem:
            return _failed(name, problem, setting=case.setting)
        if not callable(getattr(reader_opt, "update", None)):
            return _failed(name, f"{label}(...) has no method update(params, grads); "
                                 "check() calls opt.update(params, grads) once per step.",
                           setting=case.setting)
        ref = _run(library(**case.setting), case, steps)
        if ref.error is not None:   # the library itself failed: a bug to report, not to hide
            raise RuntimeError(f"{lib_label} failed {case.describe()}: "
                               f"{type(ref.error).__name__}: {ref.error}") from ref.error
        reader = _run(reader_opt, case, steps, cls=cls)

        first = _first_difference(reader, ref)
        if reader.error is None and first is None and not reader.grads_changed:
            continue

        # Something differs: locate it, then look for a mistake that explains it.
        cause = _diagnose(name, case, reader, steps)
        if first is not None:
            step = first[0]
            text, parameter, diff = _number_message(step, case, reader, ref, first[1])
        elif reader.error is not None:
            step, parameter, diff = reader.steps + 1, None, None
            text = (f"step {step}, {case.describe()}: your update raised "
                    f"{type(reader.error).__name__}: {reader.error}{reader.error_where}.")
        else:
            step, parameter, diff = None, None, None
            text = (f"your update changed the gradients it was given ({reader.grads_changed}); "
                    "it must only read grads (compute g * g into a new array, "
                    "not g *= g).")
        if first is not None and reader.grads_changed:
            text += (f" Your update also changed the gradients it was given "
                     f"({reader.grads_changed}).")
        extra = ""
        if cause is not None and cause.diagnosis == "not_in_place":
            if reader.replaced:
                extra = (" (your update put new arrays into the params dict for "
                         f"{', '.join(map(repr, reader.replaced))})")
            elif reader.returned:
                extra = " (your update returned new arrays instead)"
        if cause is not None:
            why = f"Most likely cause: {_mistakes.DIAGNOSES[cause.diagnosis]}{extra}."
        elif reader.error is not None and first is None:
            why = "Fix the error above and check again."
        elif first is None:   # right numbers, but the gradients were written to
            why = "Your numbers agree with optimlib's otherwise."
        else:
            why = ("No common mistake reproduces your numbers; compare your update, line by "
                   f"line, with the formula in the docstring of {entry.library} "
                   f"(optimlib.show_source(optimlib.{entry.library}, docstring=True)).")
        return _failed(name, f"{label} differs from {lib_label}.\n{text}\n{why}",
                       diagnosis=None if cause is None else cause.diagnosis, step=step,
                       parameter=parameter, setting=case.setting, difference=diff)

    n = len(entry.settings)
    return CheckResult(
        True, f"{label} agrees with {lib_label}: {len(cases)} runs ({n} settings × dict "
              f"and single-array parameters, gradient components from 1e-08 to 1e+03 and "
              f"exact zeros), {steps} steps each, every step within {RTOL:g} (relative) "
              "of optimlib's.", name=name)
