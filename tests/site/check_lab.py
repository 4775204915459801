"""Drag every explorer as a reader would: live in JupyterLab, and on the static site.

Starts JupyterLab on a free localhost port, opens each chapter in headless Chromium
(driven by Playwright), runs all cells, then for every explorer moves its first slider
and checks that the figure and the status line change. Saves a screenshot per chapter
to _build/lab/. If the site has been built (_build/html), it also moves the slider of
every static flipbook there, with all non-local requests blocked, and checks that the
picture and the message change.

    python tests/site/check_lab.py      (make check-lab; needs chromium and playwright)
"""
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from serve import serve

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_chapter(page, port, nb, out):
    page.goto(f"http://127.0.0.1:{port}/lab/tree/chapters/{nb.name}")
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    time.sleep(3)
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("Run All Cells")
    page.keyboard.press("Enter")
    page.wait_for_selector(".jp-Notebook .jp-InputArea-prompt:has-text('[*]')", state="detached",
                           timeout=120_000)
    explorers = page.locator(".widget-vbox:has(.widget-image)")
    problems = []
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    if errors.count():
        problems.append(f"{nb.name}: {errors.count()} cell(s) wrote to stderr or raised")
    for i in range(explorers.count()):
        box = explorers.nth(i)
        box.scroll_into_view_if_needed()
        image, status = box.locator(".widget-image"), box.locator(".widget-html-content")
        deadline = time.time() + 30
        while not status.inner_text().strip() and time.time() < deadline:
            time.sleep(0.5)   # JupyterLab renders cells lazily as they scroll into view
        before = (image.get_attribute("src"), status.inner_text())
        if not before[1].strip():
            problems.append(f"{nb.name}: explorer {i + 1} shows no status line")
        box.locator(".noUi-handle").first.click()
        for _ in range(25):
            page.keyboard.press("ArrowLeft")
        time.sleep(2)
        after = (image.get_attribute("src"), status.inner_text())
        if before[0] == after[0] or before[1] == after[1]:
            problems.append(f"{nb.name}: explorer {i + 1} did not redraw when its slider moved")
        print(f"{nb.name}: explorer {i + 1}: '{before[1]}' -> '{after[1]}'")
        page.screenshot(path=str(out / f"{nb.stem}_explorer{i + 1}.png"))
    return problems


def check_flipbooks(browser, out):
    site = ROOT / "_build" / "html"
    if not site.exists():
        print("no _build/html: static flipbooks not checked (run make book first)")
        return []

    server, port = serve(site)
    problems = []
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url
               else route.abort())
    for html_page in sorted((site / "chapters").glob("[0-9][0-9]_*.html")):
        page.goto(f"http://127.0.0.1:{port}/chapters/{html_page.name}")
        books = page.locator("figure.optimlib-flipbook")
        for i in range(books.count()):
            book = books.nth(i)
            book.scroll_into_view_if_needed()
            image, message = book.locator("img"), book.locator(".fb-message")
            before = (image.get_attribute("src"), message.inner_text())
            book.locator("input[type=range]").fill("0")
            after = (image.get_attribute("src"), message.inner_text())
            if before[0] == after[0] or before[1] == after[1]:
                problems.append(f"{html_page.name}: flipbook {i + 1} did not change")
            print(f"{html_page.name}: flipbook {i + 1}: '{before[1]}' -> '{after[1]}'")
            page.screenshot(path=str(out / f"{html_page.stem}_flipbook{i + 1}.png"))
    page.close()
    server.shutdown()
    return problems


def main():
    out = ROOT / "_build" / "lab"
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--allow-root",
         "--ServerApp.token=", "--ServerApp.password=", f"--notebook-dir={ROOT}",
         "--LabApp.news_url=", "--ServerApp.open_browser=False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    problems = []
    try:
        time.sleep(8)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            for nb in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                problems += check_chapter(page, port, nb, out)
                page.close()
            problems += check_flipbooks(browser, out)
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(problems)} problems; screenshots in {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
