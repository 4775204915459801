"""The publisher's one setting, applied: each chapter's Colab set-up lines come from _config.yml.

    python tests/publish_settings.py [chapters/NN_topic.ipynb ...]    (make sync-setup)

The first code cell of every chapter (and of every executed appendix,
chapters/appendix_*.ipynb) starts with the lines that install the course's
package on Colab (which opens one notebook and ignores requirements.txt). They name the
repository and branch from `repository: url` and `branch` in _config.yml, as the Binder
and Colab launch buttons do. This script rewrites those lines in every chapter from the
configuration; `make execute` runs the same function before executing a chapter, and
tests/test_book.py fails if a chapter's lines differ from what the configuration gives.
Only the set-up lines change: the rest of the cell (imports, style) is the author's.
"""
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
MARKER = "# Set-up. On Colab, install the course's package (elsewhere it is there)."


def load_config(path=CONFIG):
    """The parsed _config.yml (or another file of the same form)."""
    return yaml.safe_load(Path(path).read_text())


def distribution_name(pyproject=ROOT / "pyproject.toml"):
    """The package's distribution name (not the import name `optimlib`: PyPI's is another project)."""
    return tomllib.loads(Path(pyproject).read_text())["project"]["name"]


def install_target(config):
    """The pip requirement for the package at the configured repository and branch."""
    repo = config.get("repository") or {}
    url = str(repo.get("url") or "").rstrip("/")
    branch = str(repo.get("branch") or "main")
    if not re.fullmatch(r"https://[^\s\"'@]+", url):
        raise ValueError(f"Invalid repository.url in _config.yml: {url!r} "
                         "(must be an https:// URL without spaces, quotes or @)")
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch) or branch.startswith(("-", "/")):
        raise ValueError(f"Invalid repository.branch in _config.yml: {branch!r} "
                         "(must be a git branch or tag name)")
    return f"{distribution_name()} @ git+{url}@{branch}"


def setup_lines(config):
    """The Colab set-up lines that open the first code cell of every chapter."""
    return "\n".join([
        MARKER,
        "import importlib.util, sys",
        'if "google.colab" in sys.modules and not importlib.util.find_spec("optimlib"):',
        f'    %pip install -q "{install_target(config)}"',
    ])


def apply_setup(nb, config):
    """Put the configured set-up lines at the top of ``nb``'s first code cell.

    Replaces an existing set-up block (from the marker line to its ``%pip install`` line)
    or, in a chapter that has none, inserts one. Returns True if the cell changed.
    """
    cell = next((c for c in nb.cells if c.cell_type == "code"), None)
    if cell is None:
        raise ValueError("the notebook has no code cell to hold the set-up lines")
    lines = cell.source.split("\n")
    block = setup_lines(config)
    if lines[0] == MARKER:
        end = next((i for i, line in enumerate(lines) if "%pip install" in line), None)
        if end is None:
            raise ValueError("the set-up block has no %pip install line: restore it or delete "
                             "the marker line so that the block is inserted afresh")
        new = "\n".join([block] + lines[end + 1:])
    else:
        new = block + "\n\n" + cell.source
    changed = new != cell.source
    cell.source = new
    return changed


def sync(paths, config_path=CONFIG):
    """Rewrite the set-up lines of the notebooks at ``paths``; returns the ones that changed."""
    config = load_config(config_path)
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if apply_setup(nb, config):
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def chapters():
    """Every notebook that opens with the set-up lines: the chapters (``NN_topic.ipynb``),
    then the executed appendices (``appendix_x_topic.ipynb``)."""
    folder = ROOT / "chapters"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted(folder.glob("appendix_*.ipynb"))


if __name__ == "__main__":
    targets = [Path(p).resolve() for p in sys.argv[1:]] or chapters()
    done = sync(targets)
    print(f"set-up cells: {len(done)} of {len(targets)} chapter(s) rewritten for "
          f"{install_target(load_config())}")
