"""Small fixes to the HTML the book's toolchain writes (a local Sphinx extension).

- jupyter-book 1 registers sphinx-thebe's inline configuration script twice, so every
  page logs "Identifier 'THEBE_JS_URL' has already been declared": keep one copy.
- The theme logs "Got invalid theme mode" on every page when no default mode is set:
  follow the reader's system setting ("auto").
"""


def _fix_page(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # the same inline script arrives once with filename None and once with ""
        key = (getattr(script, "filename", script) or "",
               getattr(script, "attributes", {}).get("body"))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def setup(app):
    app.connect("html-page-context", _fix_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
