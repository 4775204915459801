"""optimlib: the from-scratch optimizers of the course *From SGD to Adam*.

Everything a chapter needs is importable from the top level::

    from optimlib import Adam, Rosenbrock, run, plot_runs
"""
from .functions import (LANDSCAPES, Beale, Bowl, Himmelblau, Landscape, Quadratic,
                        Rosenbrock, Saddle)
from .optimizers import (SGD, AdaGrad, Adadelta, Adam, AdamW, Momentum, Nesterov,
                         Optimizer, RMSProp)
from .plots import STYLES, plot_contours, plot_loss, plot_path, plot_runs, style_of, use_style
from .run import Result, contraction_rate, run, run_many
from .source import show_source
from .experiments import gd_best_lr, gd_quadratic, gd_rate, measured_rate
from .widgets import Explorer, explore, log_slider, slider

__version__ = "0.1.0"

OPTIMIZERS = {cls.__name__: cls for cls in
              (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adadelta, Adam, AdamW)}

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "Adam",
           "AdamW", "Optimizer", "OPTIMIZERS", "Landscape", "Quadratic", "Bowl",
           "Rosenbrock", "Beale", "Saddle", "Himmelblau", "LANDSCAPES", "Result", "run",
           "run_many", "contraction_rate", "STYLES", "style_of", "use_style",
           "plot_contours", "plot_path", "plot_loss", "plot_runs", "Explorer", "explore",
           "slider", "log_slider", "show_source", "gd_quadratic", "gd_rate", "gd_best_lr", "measured_rate"]
