"""Re-execute chapters in place, top to bottom, the way they are committed.

    python tests/execute_chapters.py [chapters/01_gradient_descent.ipynb ...]   (make execute)

First writes the Colab set-up lines from _config.yml (tests/publish_settings.py),
then runs each notebook in a fresh kernel from its own folder, merges consecutive
stream outputs (so a printed table is one output, however the kernel chunked
it) and writes the notebook back. Commit the result: CI's strict nbval compares
these stored outputs with a fresh run.

Re-running an unchanged chapter on another machine changes no file: widget ids are
renumbered, timings and the kernel's Python version are not stored, and a figure whose
pixels differ from the stored one only by rendering noise (other CPUs round
anti-aliasing differently) keeps its stored bytes; see `same_picture`.
"""
import base64
import io
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish_settings import apply_setup, chapters, load_config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Rendering noise, not a change: at most this share of pixels differ, by at most this much
# in any channel (0-255). Moving a curve, a label or a number changes far more pixels.
NOISE_PIXEL_SHARE = 1e-3
NOISE_MAX_LEVEL = 64
# A base64-encoded PNG anywhere in the notebook's JSON: image/png outputs, the frames of
# static flipbooks inside text/html, widget buffers. Base64 starts every PNG with this.
PNG_BASE64 = re.compile(r"iVBORw0KGgo[A-Za-z0-9+/]*={0,2}")
# Notebook metadata that describes the machine, not the chapter.
MACHINE_METADATA = [("language_info", "version")]


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


def decode_png(b64):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGBA"), dtype=np.int16)


def same_picture(old_b64, new_b64, pixel_share=NOISE_PIXEL_SHARE, max_level=NOISE_MAX_LEVEL):
    """Whether two base64 PNGs show the same picture up to rendering noise.

    Same size, at most ``pixel_share`` of the pixels differ, and none by more than
    ``max_level`` in any channel. Undecodable data counts as different.
    """
    if old_b64 == new_b64:
        return True
    try:
        old, new = decode_png(old_b64), decode_png(new_b64)
    except Exception:   # not a PNG after all: compare bytes only
        return False
    if old.shape != new.shape:
        return False
    diff = np.abs(old - new)
    changed = np.count_nonzero(diff.max(axis=-1))
    return changed <= pixel_share * old.shape[0] * old.shape[1] and int(diff.max()) <= max_level


def keep_stored_pictures(new_text, old_text):
    """``new_text`` with each PNG that only differs from the stored one by noise put back.

    PNGs are paired in document order, and only when both texts hold the same number
    of them (a chapter that gained or lost a figure keeps every new picture).
    """
    old_pngs = PNG_BASE64.findall(old_text)
    new_pngs = PNG_BASE64.findall(new_text)
    if len(old_pngs) != len(new_pngs):
        return new_text
    pairs = iter(zip(old_pngs, new_pngs))
    kept = []

    def pick(match):
        old, new = next(pairs)
        if old != new and same_picture(old, new):
            kept.append(old)
            return old
        return new

    text = PNG_BASE64.sub(pick, new_text)
    if kept:
        print(f"  {len(kept)} figure(s) differ from the stored ones only by rendering noise: kept as stored")
    return text


def drop_machine_metadata(nb):
    for section, key in MACHINE_METADATA:
        nb.metadata.get(section, {}).pop(key, None)


def execute(path):
    stored = path.read_text()
    nb = nbformat.reads(stored, as_version=4)
    apply_setup(nb, load_config())
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
            cell.metadata.pop("execution", None)   # timings only make diffs noisy
    drop_machine_metadata(nb)
    renamed = stable_widget_ids(nbformat.writes(nb), nb)
    text = nbformat.writes(nbformat.reads(renamed, as_version=4))   # re-sorted by the new ids
    text = keep_stored_pictures(text, stored)
    if text != stored:
        path.write_text(text if text.endswith("\n") else text + "\n")
    print(f"{path.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    # Without arguments: every chapter, then the executed appendices (publish_settings.chapters).
    paths = [Path(p).resolve() for p in sys.argv[1:]] or chapters()
    for p in paths:
        execute(p)
