"""The experiments of the chapters as plain functions, one module per topic.

Each draw function draws one experiment on the axes it is given and returns
a one-line report. The chapters call them for their static figures and show
them with sliders through ``ol.explore(name)``; the tests call them directly
and drive every explorer of :data:`EXPLORERS` (see :mod:`.registry`).

- :mod:`.gradient_descent`: chapter 1 (``gd_rate``, ``gd_best_lr``,
  ``measured_rate``, ``gd_quadratic``).
- :mod:`.momentum`: chapter 3 (the 2×2 matrix R, its rate, Polyak's optimum, the rate map;
  ``momentum_bowl``); chapter 4 imports it.
- :mod:`.sgd`: chapter 2 (mini-batch noise, noise floor, schedules; ``sgd_minibatch``).
- :mod:`.nesterov`: chapter 4 (Nesterov's 2×2 matrix, rates, noise floor, the
  piecewise quadratic; ``nesterov_vs_momentum``).

A new chapter adds a module here, registers its explorer with
:func:`register` and imports the module below.
"""
from .registry import (EXPLORERS, Choice, Control, ExplorerSpec, FrameComparison,
                       compare_fast_and_full, corner_settings, random_settings, register)
from .gradient_descent import gd_best_lr, gd_quadratic, gd_rate, measured_rate
from . import momentum  # noqa: F401  (chapter 3: registers the explorer "momentum_bowl")
from . import sgd  # noqa: F401  (chapter 2: registers the explorer "sgd_minibatch")
from . import nesterov  # noqa: F401  (chapter 4: registers the explorer "nesterov_vs_momentum")
from . import rmsprop  # noqa: F401  (chapter 6: registers the explorer "rmsprop_vs_adagrad")
from . import adadelta  # noqa: F401  (chapter 7: registers the explorer "adadelta_scale")
from . import adagrad  # noqa: F401  (chapter 5: registers the explorer "adagrad_quadratic")
from . import adam  # noqa: F401  (chapter 8: registers the explorer "adam_path")
from . import beyond_adam  # noqa: F401  (chapter 9: registers the explorer "beyond_adam")
from . import lr_schedules  # noqa: F401  (chapter 10: registers the explorer "lr_schedule")
from . import showdown  # noqa: F401  (chapter 11: registers the explorer "showdown_sensitivity")
from . import playground  # noqa: F401  (chapter 12: registers the explorer "playground")

__all__ = ["gd_rate", "gd_best_lr", "measured_rate", "gd_quadratic", "EXPLORERS",
           "Choice", "Control", "ExplorerSpec", "FrameComparison", "register", "random_settings",
           "corner_settings", "compare_fast_and_full"]
