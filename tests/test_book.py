"""The book's structure: every chapter listed, executed, with exercises and solutions,
and one repository URL everywhere."""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def toc_files():
    return [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]


def load(path):
    return json.loads(path.read_text())


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    listed = toc_files()
    for nb in CHAPTERS:
        assert f"chapters/{nb.stem}" in listed, f"{nb.name} is missing from _toc.yml"
    for entry in listed:
        assert list(ROOT.glob(entry + ".*")), f"_toc.yml lists {entry}, which does not exist"
    assert CHAPTERS, "no chapters found"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_committed_executed_and_clean(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    counts = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        assert cell["execution_count"] is not None, f"cell {i} was never executed"
        counts.append(cell["execution_count"])
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stores an error"
            assert out.get("name") != "stderr", f"cell {i} prints to stderr: {out.get('text')}"
    assert counts == list(range(1, len(counts) + 1)), "cells were not run top to bottom in one go"
    assert path.stat().st_size < 3e6, "notebook too large: fewer or smaller stored images"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_widget_cells_are_ignored_by_nbval_and_nothing_else_is(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tags = cell["metadata"].get("tags", [])
        if "explore(" in source:
            assert "nbval-ignore-output" in tags
        else:
            assert "nbval-ignore-output" not in tags, "only widget cells may skip nbval: " + source[:60]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_objectives_exercises_and_solutions(path):
    text = "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert "Learning objectives" in text
    exercises = re.findall(r"\{exercise\}[^\n]*\n:label: (\S+)", text)
    assert len(exercises) >= 3, "at least three exercises per chapter"
    for label in exercises:
        assert re.search(r"\{solution(-start)?\} " + re.escape(label) + r"\n:class: dropdown", text), \
            f"exercise {label} has no dropdown solution"
    assert "## Summary" in text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_colab_setup_cell_uses_the_configured_repository(path):
    first_code = next(c for c in load(path)["cells"] if c["cell_type"] == "code")
    source = "".join(first_code["source"])
    assert f"git+{CONFIG['repository']['url']}" in source
    assert "import optimlib as ol" in source


def test_requirements_are_pinned_and_install_the_package():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert "-e ." in lines
    pins = dict(l.split("==") for l in lines if l != "-e .")
    assert len(pins) == len(lines) - 1, "every requirement is pinned with =="
    assert pins["jupyter-book"].startswith("1."), "Jupyter Book 2.x does not read _config.yml"
    for needed in ["sphinx-exercise", "sphinx-proof", "nbval", "ipywidgets", "numpy", "matplotlib"]:
        assert needed in pins


def test_launch_buttons_and_strict_execution_are_configured():
    assert CONFIG["launch_buttons"]["binderhub_url"] and CONFIG["launch_buttons"]["colab_url"]
    sphinx = CONFIG["sphinx"]["config"]
    assert sphinx["nb_execution_raise_on_error"] is True
    assert CONFIG["execute"]["execute_notebooks"] == "force"
    assert {"sphinx_exercise", "sphinx_proof"} <= set(CONFIG["sphinx"]["extra_extensions"])
