"""Re-execute chapters in place, top to bottom, the way they are committed.

    python tests/execute_chapters.py [chapters/01_gradient_descent.ipynb ...]   (make execute)

Runs each notebook in a fresh kernel from its own folder, merges consecutive
stream outputs (so a printed table is one output, however the kernel chunked
it) and writes the notebook back. Commit the result: CI's strict nbval compares
these stored outputs with a fresh run.
"""
import json
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def merge_streams(outputs):
    merged = []
    for out in outputs:
        if (merged and out.output_type == "stream" and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def stable_widget_ids(text, nb):
    """Replace the random widget model ids by sequential ones, so re-running gives no diff.

    Models are numbered in the order a walk from each displayed widget meets them
    (references taken in sorted order), which does not depend on the random ids.
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = state.get("state", {})
    order = []

    def visit(model_id):
        if model_id in state and model_id not in order:
            order.append(model_id)
            for ref in re.findall(r"IPY_MODEL_([0-9a-f]{32})",
                                  json.dumps(state[model_id]["state"], sort_keys=True)):
                visit(ref)

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                visit(view["model_id"])
    order += sorted(set(state) - set(order),
                    key=lambda m: re.sub(r"IPY_MODEL_[0-9a-f]{32}", "", json.dumps(state[m], sort_keys=True)))
    for i, old in enumerate(order):
        text = text.replace(old, f"{i + 1:032x}")
    return text


def execute(path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
            cell.metadata.pop("execution", None)   # timings only make diffs noisy
    renamed = stable_widget_ids(nbformat.writes(nb), nb)
    nbformat.write(nbformat.reads(renamed, as_version=4), path)  # re-sorted by the new ids
    print(f"{path.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        execute(p)
