"""optimlib: the from-scratch optimizers of the course *From SGD to Adam*.

Everything a chapter needs is importable from the top level::

    from optimlib import Adam, Rosenbrock, run, plot_runs

The plot helpers, the widget layer and the experiments are loaded on first
use (``ol.plot_runs``, ``ol.explore``, ...), so ``import optimlib`` loads
neither matplotlib's pyplot nor ipywidgets.
"""
import importlib

from .functions import (LANDSCAPES, Beale, Bowl, Himmelblau, Landscape, Preconditioned,
                        Quadratic, Reddi, Rosenbrock, Saddle)
from .optimizers import (SGD, AdaGrad, Adadelta, Adam, AdaMax, AdamW, Momentum, NAdam,
                         Nesterov, Optimizer, RMSProp)
from .run import Result, contraction_rate, run, run_many
from .source import show_source
from .schedules import (Constant, CosineAnnealing, ExponentialDecay, InverseSqrtDecay,
                        InverseTimeDecay, LinearWarmup, OneCycle, PolynomialDecay, StepDecay,
                        WarmupCosine, plot_schedule)
from .models import MLP, LinearRegression, LogisticRegression, Model
from .data import DATASETS, Dataset, bag_of_words, condition_number, load_dataset
from .training import TrainResult, batch_order, train
# Bound after the submodule's import, so ``ol.check`` is the function, not the module.
from .check import CheckResult, check

__version__ = "0.1.0"

OPTIMIZERS = {cls.__name__: cls for cls in
              (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adadelta, Adam, AdamW, NAdam,
               AdaMax)}

# name -> submodule that defines it, imported when the name is first used
_LAZY = {
    **dict.fromkeys(["STYLES", "style_of", "use_style", "plot_contours", "plot_path",
                     "plot_loss", "plot_runs"], "plots"),
    **dict.fromkeys(["Explorer", "explore", "slider", "log_slider"], "widgets"),
    **dict.fromkeys(["gd_quadratic", "gd_rate", "gd_best_lr", "measured_rate"], "experiments"),
}


_LAZY_MODULES = {"plots", "widgets", "experiments", "conventions"}


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _LAZY_MODULES)


__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "Adam",
           "AdamW", "NAdam", "AdaMax", "Optimizer", "OPTIMIZERS", "Landscape", "Quadratic", "Bowl",
           "Rosenbrock", "Beale", "Saddle", "Himmelblau", "Reddi", "Preconditioned", "LANDSCAPES",
           "Result", "run",
           "run_many", "contraction_rate", "STYLES", "style_of", "use_style",
           "plot_contours", "plot_path", "plot_loss", "plot_runs", "Explorer", "explore",
           "slider", "log_slider", "show_source", "gd_quadratic", "gd_rate", "gd_best_lr",
           "measured_rate", "Constant", "StepDecay", "ExponentialDecay", "InverseTimeDecay",
           "InverseSqrtDecay", "PolynomialDecay", "CosineAnnealing", "LinearWarmup",
           "WarmupCosine", "OneCycle", "plot_schedule", "Model", "LinearRegression",
           "LogisticRegression", "MLP", "Dataset", "DATASETS", "load_dataset", "bag_of_words",
           "condition_number", "TrainResult", "train", "batch_order", "check", "CheckResult"]
