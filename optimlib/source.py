"""Show optimlib's own source in a chapter, so text and library cannot drift."""
from __future__ import annotations

import inspect
import textwrap

__all__ = ["show_source"]


def show_source(obj, docstring=False):
    """Syntax-highlighted source of a class or function from optimlib.

    With ``docstring=False`` the docstring is left out (the chapter's text
    already says what it says). Returns an IPython ``Code`` object.
    """
    from IPython.display import Code

    source = textwrap.dedent(inspect.getsource(obj))
    if not docstring and getattr(obj, "__doc__", None):
        lines = source.splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(('r"""', '"""')))
        quote = '"""'
        end = start
        if lines[start].count(quote) < 2:
            end = next(i for i in range(start + 1, len(lines)) if quote in lines[i])
        while end + 1 < len(lines) and not lines[end + 1].strip():
            end += 1
        source = "".join(lines[:start] + lines[end + 1:])
    return Code(source, language="python")
