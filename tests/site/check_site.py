"""Open the built site in headless Chromium, as a reader would, and check each page.

For every HTML page of the book (not Sphinx's own search/genindex pages) it checks,
in the DOM after scripts have run, with every request outside localhost blocked:
  - formulas were typeset by MathJax (no raw $$ or \\( left in the text);
  - every <img> points at a file that exists in _build/html;
  - no cell error, no Sphinx "reports" error log, no empty widget area.

    python tests/site/check_site.py [_build/html]   (make check-site)
Needs Debian's chromium (apt-get install chromium).
"""
import html.parser
import re
import shutil
import subprocess
import sys
from pathlib import Path

from serve import serve

SKIP = {"search.html", "genindex.html", "py-modindex.html"}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
         "--virtual-time-budget=15000", "--dump-dom"]


class Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.math, self.text, self.widgets = [], 0, [], 0
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag == "mjx-container":
            self.math += 1
        if tag in ("script", "style", "mjx-container", "pre", "code", "textarea"):
            self._skip += 1
        if ("jupyter-widgets" in (a.get("class") or "")
                or a.get("type") == "application/vnd.jupyter.widget-view+json"):
            self.widgets += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "mjx-container", "pre", "code", "textarea"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def main(root="_build/html"):
    root = Path(root).resolve()
    if not (root / "index.html").is_file():
        print(f"No built site at {root} (no index.html): run `make book` first.")
        return 1
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium not found: apt-get install chromium")
    server, port = serve(root)
    problems = []
    pages = sorted(p for p in root.rglob("*.html")
                   if p.name not in SKIP and "_static" not in p.parts and "reports" not in p.parts)
    for page in pages:
        rel = page.relative_to(root).as_posix()
        raw = page.read_text()
        if "http-equiv=\"Refresh\"" in raw or "http-equiv=\"refresh\"" in raw:
            continue
        dom = subprocess.run([chromium, *FLAGS, f"--user-data-dir=/tmp/check-site-{port}",
                              f"http://127.0.0.1:{port}/{rel}"],
                             capture_output=True, text=True, timeout=120).stdout
        c = Collector()
        c.feed(dom)
        text = " ".join(c.text)
        needs_math = "math notranslate" in raw
        if needs_math and c.math == 0:
            problems.append(f"{rel}: formulas were not typeset (no MathJax output)")
        for raw_tex in re.findall(r"\$\$|\\\(|\\\[", text)[:3]:
            problems.append(f"{rel}: raw TeX left in the page: {raw_tex!r}")
        for src in c.images:
            if src.startswith("data:"):
                continue
            target = (page.parent / src.split("#")[0].split("?")[0]).resolve()
            if not target.exists():
                problems.append(f"{rel}: image {src} is missing")
        if c.widgets:
            problems.append(f"{rel}: {c.widgets} widget area(s) that need JavaScript from a CDN")
        if "Traceback (most recent call last)" in dom or "output traceback" in dom:
            problems.append(f"{rel}: a cell error is shown")
        print(f"{rel}: {c.math} formulas, {len(c.images)} images")
    server.shutdown()
    if not pages:
        problems.append(f"no pages to check in {root}")
    if (root / "reports").exists():
        problems.append("reports/ exists: a notebook failed during the build")
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(pages)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
