"""The reader's time budget: how long a widget redraw and a chapter take.

    python benchmarks/speed.py           # redraw timings of each chapter explorer
    python benchmarks/speed.py --chapters  # also execute every chapter and time it

Targets (DEVELOPERS.md): a redraw well under 0.1 s, a chapter in seconds.
"""
import argparse
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import optimlib as ol  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def time_explorer(name, explorer, sweeps):
    times = []
    for key, values in sweeps.items():
        for v in values:
            explorer.controls[key].value = float(v)
            times.append(explorer.last_seconds)
    print(f"{name:28s} redraw median {1e3 * statistics.median(times):6.1f} ms, "
          f"max {1e3 * max(times):6.1f} ms over {len(times)} slider moves")


def time_chapters():
    import nbformat
    from nbclient import NotebookClient

    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        print(f"{path.name:28s} executes in {time.perf_counter() - start:5.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", action="store_true", help="also time every chapter")
    args = parser.parse_args()
    gd = ol.explore(ol.gd_quadratic, eta=ol.slider("η", 1.0, 0.01, 2.3, 0.01),
                    kappa=ol.log_slider("κ", 10, 0, 2), x0=ol.slider("x₀", -4, -5, 5, 0.1),
                    y0=ol.slider("y₀", 3, -5, 5, 0.1))
    time_explorer("ch. 1 gradient descent", gd, {"eta": np.linspace(0.05, 2.3, 20),
                                                 "kappa": np.geomspace(1, 100, 20),
                                                 "x0": np.linspace(-5, 5, 10)})
    if args.chapters:
        time_chapters()


if __name__ == "__main__":
    main()
