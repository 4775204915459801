"""Checks of the built website that need no browser (run by `make test` after the build).

`make check-site` opens the same pages in headless Chromium; this file catches most of
the same regressions on any machine: a figure that did not make it into a page, a
formula left for a CDN to typeset, a widget area that would render empty, a failed cell.
"""
import html.parser
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [TOC["root"]] + [e["file"] for part in TOC["parts"] for e in part["chapters"]]


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.images, self.links, self.widget_views = [], [], [], 0
        self.flipbooks = self.snapshots = self.math = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "script":
            if a.get("src"):
                self.scripts.append(a["src"])
            if a.get("type") == "application/vnd.jupyter.widget-view+json":
                self.widget_views += 1
        if tag == "link" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag == "figure" and "optimlib-flipbook" in cls:
            self.flipbooks += 1
        if tag == "figure" and "optimlib-snapshot" in cls:
            self.snapshots += 1
        if "math notranslate" in cls:
            self.math += 1


def test_the_site_was_built():
    """Without a built site every check below fails (none is skipped); this says why."""
    assert (SITE / "index.html").is_file(), f"no built site at {SITE}: run `make build-strict` first"


def parse(page):
    path = SITE / (page + ".html")
    assert path.exists(), f"{path} was not built (run `make build-strict` first)"
    p = Page()
    p.feed(path.read_text())
    return path, p


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_nothing_from_the_network(page):
    _, p = parse(page)
    remote = [s for s in p.scripts + p.links
              if s.startswith(("http:", "https:", "//")) and "fonts" not in s]
    assert not remote, f"{page} needs the network for: {remote}"


@pytest.mark.parametrize("page", PAGES)
def test_formulas_are_typeset_by_the_bundled_mathjax(page):
    path, p = parse(page)
    if p.math:
        mathjax = [s for s in p.scripts if "mathjax" in s.lower()]
        assert mathjax, f"{page} has formulas but no MathJax"
        for src in mathjax:
            assert (path.parent / src.split("?")[0]).exists(), f"{src} is not in the site"


@pytest.mark.parametrize("page", PAGES)
def test_every_image_is_in_the_site(page):
    path, p = parse(page)
    for src in p.images:
        if not src.startswith("data:"):
            assert (path.parent / src.split("?")[0]).exists(), f"{page}: missing image {src}"


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / (p + ".ipynb")).exists()])
def test_chapter_page_shows_every_figure_and_explorer(page):
    path, p = parse(page)
    nb = json.loads((ROOT / (page + ".ipynb")).read_text())
    figures = sum("image/png" in out.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code"
                  for out in c["outputs"])
    explorers = sum("explore(" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    local_images = [s for s in p.images if not s.startswith("data:") and "logo" not in s]
    assert len(local_images) == figures, f"{page}: {len(local_images)} images for {figures} figures"
    assert p.flipbooks + p.snapshots == explorers, f"{page}: an explorer shows no static picture"
    assert p.widget_views == 0, f"{page}: a widget area that would render empty without Python"
    text = path.read_text()
    assert "Traceback (most recent call last)" not in text


def test_no_failed_notebook_reports():
    assert SITE.is_dir(), f"no built site at {SITE}: run `make build-strict` first"
    assert not (SITE / "reports").exists(), "a notebook failed during the build"
