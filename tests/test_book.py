"""The book's structure: every chapter listed, executed, with exercises and solutions,
and one repository URL everywhere."""
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

import publish_settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
# Every executed notebook: the chapters, then the appendices that are notebooks.
NOTEBOOKS = publish_settings.chapters()


def toc_files():
    return [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]


# What a warning or an exception looks like in a stored output (also inside an explorer's
# status line, which is HTML).
WARNING_SIGNS = ["Warning:", "Traceback (most recent call last)", "RuntimeWarning",
                 "UserWarning", "DeprecationWarning"]


def load(path):
    return json.loads(path.read_text())


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    listed = toc_files()
    assert set(CHAPTERS) < set(NOTEBOOKS)
    for nb in NOTEBOOKS:
        assert f"chapters/{nb.stem}" in listed, f"{nb.name} is missing from _toc.yml"
    for entry in listed:
        assert list(ROOT.glob(entry + ".*")), f"_toc.yml lists {entry}, which does not exist"
    assert CHAPTERS, "no chapters found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
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
            text = "".join(out.get("text", "")) + "".join(
                "".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
            for bad in WARNING_SIGNS:
                assert bad not in text, f"cell {i} stores a warning or traceback: {bad!r}"
    assert counts == list(range(1, len(counts) + 1)), "cells were not run top to bottom in one go"
    assert path.stat().st_size < 3e6, "notebook too large: fewer or smaller stored images"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_setup_cell_uses_the_configured_repository(path):
    first_code = next(c for c in load(path)["cells"] if c["cell_type"] == "code")
    source = "".join(first_code["source"])
    expected = publish_settings.setup_lines(CONFIG)
    assert source.startswith(expected + "\n"), (
        f"{path.name}: the set-up lines differ from _config.yml's repository (run `make execute` "
        f"or `make sync-setup`):\n{source[:len(expected)]}\n---- expected ----\n{expected}")
    assert f"git+{CONFIG['repository']['url']}@{CONFIG['repository']['branch']}\"" in source
    assert "import optimlib as ol" in source
    nb = nbformat.read(path, as_version=4)
    assert not publish_settings.apply_setup(nb, CONFIG), "make execute would rewrite the set-up cell"


def test_changing_url_and_branch_in_the_config_changes_every_setup_cell(tmp_path):
    config = (ROOT / "_config.yml").read_text()
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    changed = config.replace(f"url: {url}", "url: https://github.com/a-teacher/course-fork")
    changed = changed.replace(f"branch: {branch}", "branch: spring-2027")
    assert changed.count("a-teacher/course-fork") == 1 and changed.count("spring-2027") == 1
    (tmp_path / "_config.yml").write_text(changed)
    copies = []
    for path in NOTEBOOKS:
        copies.append(tmp_path / path.name)
        copies[-1].write_text(path.read_text())
    rewritten = publish_settings.sync(copies, tmp_path / "_config.yml")
    assert rewritten == copies
    for original, copy in zip(NOTEBOOKS, copies):
        new_nb, old_nb = nbformat.read(copy, as_version=4), nbformat.read(original, as_version=4)
        first = next(c for c in new_nb.cells if c.cell_type == "code").source
        assert ('%pip install -q "sgd-to-adam-optimlib @ '
                'git+https://github.com/a-teacher/course-fork@spring-2027"') in first
        assert url not in first
        # everything but the set-up lines is untouched: the rest of that cell, every other cell
        old_first = next(c for c in old_nb.cells if c.cell_type == "code").source
        assert first.split("%pip install")[1].split("\n", 1)[1] == \
            old_first.split("%pip install")[1].split("\n", 1)[1]
        differing = [i for i, (a, b) in enumerate(zip(new_nb.cells, old_nb.cells)) if a != b]
        assert len(new_nb.cells) == len(old_nb.cells) and len(differing) == 1
        assert new_nb.cells[differing[0]].source == first
    assert publish_settings.sync(copies, tmp_path / "_config.yml") == [], "a second run changes nothing"


def test_setup_lines_are_inserted_into_a_chapter_without_them_and_bad_settings_are_refused():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A new chapter"),
                                         nbformat.v4.new_code_cell("import optimlib as ol")])
    assert publish_settings.apply_setup(nb, CONFIG)
    assert nb.cells[1].source == publish_settings.setup_lines(CONFIG) + "\n\nimport optimlib as ol"
    assert not publish_settings.apply_setup(nb, CONFIG)
    with pytest.raises(ValueError, match="repository.url.*'git@github.com:x/y'"):
        publish_settings.setup_lines({"repository": {"url": "git@github.com:x/y", "branch": "main"}})
    with pytest.raises(ValueError, match="repository.branch.*'my branch'"):
        publish_settings.setup_lines({"repository": {"url": "https://github.com/x/y",
                                                     "branch": "my branch"}})


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
