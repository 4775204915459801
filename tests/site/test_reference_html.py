"""Appendix B in the built site: every public name of optimlib has its entry on the page.

tests/test_reference_page.py checks the page's directives without a build; this checks
what autodoc made of them: each object that the directives document has its anchor
(``id="optimlib.optimizers.Adam"``, ``id="module-optimlib.run"``) on the built page,
and the page carries no docutils error report. Run after the strict build, like the
other tests in this folder (SITE=... points them at another build).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import test_reference_page as reference  # noqa: E402  (the directive parser)

SITE = Path(os.environ.get("SITE", ROOT / "_build" / "html"))
PAGE = SITE / "chapters" / "appendix_b_reference.html"


def anchors():
    assert PAGE.is_file(), f"{PAGE} was not built (run `make build-strict` first)"
    return PAGE.read_text()


def test_every_public_name_has_its_entry_on_the_built_page():
    html = anchors()
    docs, _ = reference.documented()
    missing = []
    for name, obj in reference.required().items():
        places = reference.where_documented(obj, docs)
        ids = [f'id="module-{p}"' if p in docs and reference.inspect.ismodule(docs[p])
               else f'id="{p}"' for p in places]
        if not any(i in html for i in ids):
            missing.append(f"{name} (looked for {ids})")
    assert not missing, f"no entry on the built appendix B for: {missing}"


def test_every_documented_object_has_its_entry():
    html = anchors()
    docs, _ = reference.documented()
    missing = [p for p, obj in docs.items()
               if (f'id="module-{p}"' if reference.inspect.ismodule(obj) else f'id="{p}"')
               not in html]
    assert not missing, f"documented by a directive but absent from the built page: {missing}"


def test_no_docutils_error_reports_in_the_page():
    html = anchors()
    for sign in ('class="system-message"', "System Message:", "autodoc: failed"):
        assert sign not in html, f"the built appendix B shows an error report ({sign})"
