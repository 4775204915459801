"""The built website in a real browser: headless Chromium driven by Playwright.

Every page in _toc.yml is opened from a local server with every request that leaves
localhost blocked, as a reader offline would see it, at desktop width, at phone width
(390 px) and in the theme's dark mode. Full-page screenshots land in _build/screenshots/
for people to look at.

Run by `make test` after the strict build (`make browser` alone). Needs Debian's
chromium at /usr/bin/chromium: without it the tests are skipped with a message, except
under CI=true, where a missing browser is a failure.
"""
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "site"))
from serve import serve  # noqa: E402  (the test helper shared with check_site.py)

SITE = Path(os.environ.get("SITE", ROOT / "_build" / "html"))
SHOTS = SITE.parent / "screenshots"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [TOC["root"]] + [e["file"] for part in TOC["parts"] for e in part["chapters"]]
CHAPTERS = [p for p in PAGES if re.match(r"chapters/\d\d_", p)]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


def _missing_browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    return None


MISSING = _missing_browser()
if MISSING:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {MISSING}", pytrace=False)
    pytestmark = pytest.mark.skip(reason=f"browser part skipped: {MISSING}")


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site at {SITE}: run `make book` (or `make test`) first",
                    pytrace=False)
    server, port = serve(SITE)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Visit:
    """One page load with its console errors, failed and blocked requests recorded."""

    def __init__(self, browser, url, width=1280, dark=False):
        self.errors, self.failed, self.blocked = [], [], []
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           color_scheme="dark" if dark else "light")
        if dark:  # the theme reads its mode from localStorage before painting
            self.context.add_init_script("localStorage.setItem('mode', 'dark');"
                                         "localStorage.setItem('theme', 'dark');")
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function(
            "() => !window.MathJax || !MathJax.startup || MathJax.startup.promise"
            " .then(() => true)", timeout=20000)
        self.page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise"
                           " : null")

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith("data:") or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


def shot_name(page, suffix=""):
    return page.replace("/", "__") + suffix + ".png"


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline_with_math_images_and_no_errors(site, browser, page):
    v = Visit(browser, f"{site}/{page}.html")
    p = v.page
    try:
        assert not v.blocked, f"{page} asks for non-local resources: {v.blocked[:3]}"
        assert not v.failed, f"{page}: local requests failed: {v.failed[:3]}"
        assert not v.errors, f"{page}: console errors: {v.errors[:3]}"
        raw_math = p.locator(".math").count()
        typeset = p.locator("mjx-container").count()
        if raw_math:
            assert typeset >= raw_math, f"{page}: {raw_math} formulas, {typeset} typeset"
        text = p.locator("article").inner_text()
        leftover = re.findall(r"\$\$|\\\(|\\\[|\\begin\{", text)
        assert not leftover, f"{page}: raw TeX in the text: {leftover[:3]}"
        wide = p.evaluate("""() => [...document.querySelectorAll('mjx-container[display="true"]')]
            .filter(m => m.scrollWidth > m.clientWidth + 2)
            .map(m => (m.closest('div.math') || m).id || m.textContent.slice(0, 50))""")
        assert not wide, f"{page}: display formulas wider than the page at 1280 px: {wide}"
        broken = p.evaluate("() => [...document.images].filter(i => !(i.complete && "
                            "i.naturalWidth > 0)).map(i => i.src.slice(0, 80))")
        assert not broken, f"{page}: images that did not load: {broken}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SHOTS / shot_name(page)), full_page=True)
    finally:
        v.close()


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_has_launch_buttons_and_solutions_that_open(site, browser, page):
    v = Visit(browser, f"{site}/{page}.html")
    p = v.page
    try:
        links = p.eval_on_selector_all(".dropdown-launch-buttons a", "els => els.map(e => e.href)")
        notebook = page.split("/")[-1] + ".ipynb"
        assert any("binder" in u and notebook in u for u in links), f"no Binder button: {links}"
        assert any("colab" in u and notebook in u for u in links), f"no Colab button: {links}"
        solutions = p.locator(".solution.dropdown")
        assert solutions.count() >= 3, "at least three solutions"
        first = solutions.first
        body = first.locator(".admonition-title ~ *").first
        assert not body.is_visible(), "a solution is open before it is clicked"
        first.locator("button.toggle-button").click()  # the chevron readers click
        body.wait_for(state="visible", timeout=5000)
    finally:
        v.close()


@pytest.mark.parametrize("page", CHAPTERS)
def test_static_explorers_change_frame_when_the_control_moves(site, browser, page):
    v = Visit(browser, f"{site}/{page}.html")
    p = v.page
    try:
        books = p.locator("figure.optimlib-flipbook")
        assert books.count() >= 1, f"{page} has no static explorer"
        for i in range(books.count()):
            book = books.nth(i)
            slider, img = book.locator("input[type=range]"), book.locator("img")
            before = img.get_attribute("src")
            last = int(slider.get_attribute("max"))
            target = 0 if int(slider.input_value()) != 0 else last
            slider.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                            target)
            assert img.get_attribute("src") != before, f"explorer {i} on {page}: frame unchanged"
            assert book.locator("output").inner_text() != "", "the control shows no value"
    finally:
        v.close()


@pytest.mark.parametrize("page", PAGES)
def test_phone_width_has_no_horizontal_scroll(site, browser, page):
    v = Visit(browser, f"{site}/{page}.html", width=390)
    try:
        width = v.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{page} scrolls sideways at 390 px: {width} px wide"
        SHOTS.mkdir(parents=True, exist_ok=True)
        v.page.screenshot(path=str(SHOTS / shot_name(page, "-phone")), full_page=True)
    finally:
        v.close()


@pytest.mark.parametrize("page", PAGES)
def test_dark_mode_keeps_figures_legible(site, browser, page):
    """Figures are drawn dark-on-light: in dark mode each must sit on an opaque light
    background (its own pixels, or the page's styling), never on the dark page."""
    v = Visit(browser, f"{site}/{page}.html", dark=True)
    try:
        assert v.page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        dark_behind = v.page.evaluate("""() => [...document.querySelectorAll('article img')]
          .filter(i => i.naturalWidth > 40).filter(img => {
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const px = g.getImageData(1, 1, 1, 1).data;          // a corner pixel
            const opaqueLight = px[3] === 255 && px[0] + px[1] + px[2] > 600;
            const bg = getComputedStyle(img).backgroundColor;
            const m = bg.match(/\\d+/g) || [0, 0, 0, 0];
            const cssLight = m.length >= 3 && (m.length < 4 || +m[3] > 0)
                             && (+m[0] + +m[1] + +m[2]) > 600;
            return !(opaqueLight || cssLight);
          }).map(i => i.src.slice(-40))""")
        assert not dark_behind, f"{page}: figures on a dark background: {dark_behind}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        v.page.screenshot(path=str(SHOTS / shot_name(page, "-dark")), full_page=True)
    finally:
        v.close()


def test_search_finds_the_chapters(site, browser):
    """The site's own search works offline; "bias correction" finds the Adam chapter
    once it exists, until then chapter 1 is found for its own topic."""
    if any("adam" in p for p in CHAPTERS):
        query, expected = "bias correction", next(p for p in CHAPTERS if "_adam" in p)
    else:
        query, expected = "learning rate", CHAPTERS[0]
    v = Visit(browser, f"{site}/search.html?q={query.replace(' ', '+')}")
    try:
        v.page.wait_for_selector("#search-results li", timeout=20000)
        hits = v.page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
        assert any(expected + ".html" in h for h in hits), f"{query!r} found {hits[:5]}"
    finally:
        v.close()
