"""Which learning rates reach the minimum? One batched sweep per (optimizer, problem).

Each optimizer runs 60 learning rates at once (an array hyperparameter), so the
whole table takes seconds. The convergence tests pick their learning rates
inside the ranges printed here.

    python benchmarks/lr_ranges.py [--steps 2000 5000 20000] [--tol 1e-4]
"""
import argparse
import time

import numpy as np

import optimlib as ol

PROBLEMS = {"quadratic κ=10": ol.Quadratic(kappa=10, angle=30), "Rosenbrock": ol.Rosenbrock(),
            "Beale": ol.Beale()}
OPTIMIZERS = {"SGD": (ol.SGD, {}), "Momentum": (ol.Momentum, {}), "Nesterov": (ol.Nesterov, {}),
              "AdaGrad": (ol.AdaGrad, {}), "RMSProp ρ=0.9": (ol.RMSProp, dict(rho=0.9)),
              "Adadelta ε=1e-4": (ol.Adadelta, dict(eps=1e-4)), "Adam": (ol.Adam, {}),
              "AMSGrad": (ol.Adam, dict(amsgrad=True))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[2000, 5000, 20000])
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    lrs = np.geomspace(1e-4, 3, 60)[:, None]
    start = time.perf_counter()
    print(f"{'optimizer':16s} {'problem':15s} {'steps':>6s}  learning rates within {args.tol:g}")
    for name, (cls, kw) in OPTIMIZERS.items():
        for pname, land in PROBLEMS.items():
            for steps in args.steps:
                r = ol.run(cls(lr=lrs, **kw), land, steps=steps)
                ok = np.flatnonzero(r.distance()[-1] < args.tol)
                if len(ok):
                    print(f"{name:16s} {pname:15s} {steps:6d}  {lrs[ok[0], 0]:.2g} .. {lrs[ok[-1], 0]:.2g}")
                    break
            else:
                best = np.nanmin(r.distance()[-1])
                print(f"{name:16s} {pname:15s} {steps:6d}  none (closest {best:.2g})")
    print(f"\n{time.perf_counter() - start:.1f} s in all")


if __name__ == "__main__":
    main()
