"""The reader's time budget, measured: `make bench` prints one table.

    python benchmarks/bench.py                 # everything but the fresh-clone `make test`
    python benchmarks/bench.py --quick         # fewer repetitions, no chapter execution
    python benchmarks/bench.py --make-test     # also time `make test` on a fresh clone

Each figure is timed several times; the table gives the median and the 95th percentile
(p95) with the target from issue 6 and whether it is met. The benchmark never fails:
it reports. benchmarks/README.md records the figures and what they mean for a reader.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import optimlib as ol  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROWS = []


def timed(fn, repeat):
    """Seconds per call of ``fn`` over ``repeat`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def p95(times):
    return float(np.percentile(times, 95))


def row(figure, how, value, target, met):
    ROWS.append((figure, how, value, target, "yes" if met else "NO"))
    print(f"  {figure}: {value}", file=sys.stderr)


def ms(seconds):
    return f"{1e3 * seconds:.1f} ms"


# --- explorers ------------------------------------------------------------------------------

def bench_explorers(settings):
    """Every registered explorer: defaults and random settings. "compute" is the draw
    function alone (experiment and artists, nothing rendered); the redraw is what a
    reader waits for after moving a slider (draw + Agg render of the frame)."""
    from optimlib.experiments import EXPLORERS, random_settings

    rng = np.random.default_rng(0)
    for name, spec in sorted(EXPLORERS.items()):
        explorer = spec.build()
        values = [spec.defaults()] + random_settings(spec, settings, rng)
        compute, total = [], []
        for v in values:
            explorer._picture.clear()
            t0 = time.perf_counter()
            spec.draw(explorer.axes, **v)
            compute.append(time.perf_counter() - t0)
            total.append(explorer.set_values(v))
        row(f"explorer `{name}` redraw", f"defaults + {settings} random settings, "
            "draw + Agg render", f"median {ms(statistics.median(total))}, p95 {ms(p95(total))}",
            "p95 ≤ 100 ms", p95(total) <= 0.1)
        row(f"explorer `{name}` compute", "the draw function alone",
            f"median {ms(statistics.median(compute))}, p95 {ms(p95(compute))}",
            "≤ 10 ms", statistics.median(compute) <= 0.01)


# --- sweeps ---------------------------------------------------------------------------------

def bench_landscape_sweep(repeat, looped_sample=100):
    """10,000 (lr, momentum) configurations × 200 steps on a 2-D quadratic."""
    land = ol.Quadratic(kappa=20, angle=30)
    lrs = np.geomspace(1e-3, 2.0, 100)
    mus = np.linspace(0.0, 0.99, 100)
    opt = ol.Momentum(lr=lrs[:, None], momentum=mus[None, :])
    batched = timed(lambda: ol.run(opt, land, steps=200), repeat)
    result = ol.run(opt, land, steps=200)
    rng = np.random.default_rng(1)
    picks = [(int(i), int(j)) for i, j in zip(rng.integers(0, 100, looped_sample),
                                              rng.integers(0, 100, looped_sample))]
    t0 = time.perf_counter()
    for i, j in picks:
        one = ol.run(ol.Momentum(lr=lrs[i], momentum=mus[j]), land, steps=200)
        # equal up to the rounding of the gradient's matrix product (batched vs one point)
        np.testing.assert_allclose(one.path[-1], result.path[-1, i, j], rtol=1e-9, atol=1e-12,
                                   err_msg=f"batched run ({i}, {j}) differs from its own run")
    looped = (time.perf_counter() - t0) / looped_sample * lrs.size * mus.size
    speedup = looped / statistics.median(batched)
    row("landscape sweep", "10,000 (η, μ) × 200 steps, quadratic κ = 20; batched vs one by "
        f"one ({looped_sample} timed and scaled; same final points)",
        f"batched median {ms(statistics.median(batched))}, p95 {ms(p95(batched))}; "
        f"{speedup:.0f}× faster than one by one", "≤ 0.1 s and ≥ 100×",
        statistics.median(batched) <= 0.1 and speedup >= 100)


def bench_model_sweep(repeat):
    """64 learning rates × 200 full-batch steps of logistic regression on breast cancer."""
    from optimlib.data import load_dataset
    from optimlib.models import LogisticRegression

    data = load_dataset("breast_cancer", seed=0)
    X, y = data.X_train, data.y_train
    lrs = np.geomspace(1e-3, 3.0, 64)
    model = LogisticRegression(X.shape[1])

    def batched():
        params = model.init(seed=0, copies=lrs.size)
        opt = ol.SGD(lr=lrs)
        for _ in range(200):
            _, grads = model.loss_and_grad(params, X, y)
            opt.update(params, grads)
        return params

    def looped():
        out = []
        for lr in lrs:
            params, opt = model.init(seed=0), ol.SGD(lr=lr)
            for _ in range(200):
                _, grads = model.loss_and_grad(params, X, y)
                opt.update(params, grads)
            out.append(params)
        return out

    b = timed(batched, repeat)
    loop = timed(looped, max(1, repeat // 3))
    one, many = batched(), looped()
    for i in range(lrs.size):
        for k in one:
            np.testing.assert_allclose(one[k][i], many[i][k], rtol=1e-10, atol=1e-12)
    speedup = statistics.median(loop) / statistics.median(b)
    row("model sweep", "64 η × 200 full-batch steps, logistic regression on breast cancer; "
        "batched vs looped (equal results)",
        f"batched median {ms(statistics.median(b))}, looped {ms(statistics.median(loop))}: "
        f"{speedup:.0f}×", "≥ 20×", speedup >= 20)


# --- one optimizer step ---------------------------------------------------------------------

def bench_optimizer_step(repeat):
    """One update on 10⁶ float64 parameters, against one np.copyto of the same array."""
    n = 1_000_000
    rng = np.random.default_rng(0)
    g = rng.standard_normal(n)
    src, dst = rng.standard_normal(n), np.empty(n)
    copy = statistics.median(timed(lambda: np.copyto(dst, src), repeat))
    parts = []
    for name, cls in ol.OPTIMIZERS.items():
        p, opt = rng.standard_normal(n), cls()
        opt.update(p, g)  # create the state first: its allocation is not a per-step cost
        t = statistics.median(timed(lambda: opt.update(p, g), repeat))
        tracemalloc.start()
        opt.update(p, g)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        parts.append(f"{name} {t / copy:.0f}× ({peak / p.nbytes:.1f} arrays peak)")
    row("optimizer step", "one update on 10⁶ float64 vs np.copyto "
        f"({ms(copy)}); peak memory per step in parameter-sized arrays (numpy temporaries)",
        "; ".join(parts), "ratio per optimizer; no state-sized allocation kept", True)


# --- chapters and make test -----------------------------------------------------------------

def bench_chapters():
    import nbformat
    from nbclient import NotebookClient

    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - t0
        limit = 60 if "showdown" in path.stem else 20
        row(f"chapter `{path.stem}`", "fresh kernel, top to bottom", f"{seconds:.1f} s",
            f"≤ {limit} s", seconds <= limit)


def bench_make_test():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "clone", "-q", str(ROOT), d], check=True)
        t0 = time.perf_counter()
        done = subprocess.run(["make", "test"], cwd=d, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
    row("`make test`", "fresh clone, venv built (pip cache warm)",
        f"{seconds / 60:.1f} min ({'passed' if done.returncode == 0 else 'FAILED'})",
        "≤ 10 min", seconds <= 600 and done.returncode == 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no chapters")
    parser.add_argument("--make-test", action="store_true", help="also time a fresh make test")
    args = parser.parse_args()
    repeat = 5 if args.quick else 20
    bench_explorers(settings=10 if args.quick else 50)
    bench_landscape_sweep(repeat)
    bench_model_sweep(max(3, repeat // 4))
    bench_optimizer_step(repeat)
    if not args.quick:
        bench_chapters()
    if args.make_test:
        bench_make_test()
    print(f"\nMachine: {os.cpu_count()} cores, numpy {np.__version__}, Python "
          f"{sys.version.split()[0]}; median and p95 over {repeat} repetitions.\n")
    print("| figure | how | measured | target | met |")
    print("| --- | --- | --- | --- | --- |")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
