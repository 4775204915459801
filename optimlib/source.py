"""Show source code in a chapter: optimlib's own (so text and library cannot drift)
or a reader's class, from a file or a notebook cell."""
from __future__ import annotations

import ast
import inspect
import linecache
import textwrap

__all__ = ["show_source"]


def _methods(cls):
    """The plain functions defined in a class body (through static/class methods, properties)."""
    for value in vars(cls).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            value = value.fget
        value = inspect.unwrap(value) if callable(value) else value
        if inspect.isfunction(value) and value.__qualname__.startswith(cls.__qualname__ + "."):
            yield value


def _class_source_from_methods(cls):
    """Source of a class whose module has no file (a notebook cell), found through its methods.

    A function knows the file (or notebook cell) it was compiled from; the
    cell's text is in :mod:`linecache`. The class is the definition of that
    name that encloses the method's first line.
    """
    for method in _methods(cls):
        code = method.__code__
        lines = linecache.getlines(code.co_filename)
        if not lines:
            continue
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.ClassDef) and node.name == cls.__name__
                    and node.lineno <= code.co_firstlineno <= node.end_lineno):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return "".join(lines[first - 1:node.end_lineno])
    return None


def _source(obj):
    """The source text of ``obj``, or an OSError that says why it cannot be found."""
    name = getattr(obj, "__qualname__", None) or repr(obj)
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as error:
        reason = error
    if inspect.isclass(obj):
        found = _class_source_from_methods(obj)
        if found is not None:
            return found
        hint = (" A class defined in a notebook is found through its methods, and "
                f"{name} has none whose cell is still known; define a method in it, or run "
                "its cell again.")
    else:
        hint = ""
    raise OSError(f"show_source cannot find the source of {name}: {reason}.{hint}") from None


def _without_docstring(source):
    """``source`` (of one class or function) with its docstring left out, however quoted."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    if not tree.body or not isinstance(tree.body[0], (ast.ClassDef, ast.FunctionDef,
                                                      ast.AsyncFunctionDef)):
        return source
    node = tree.body[0]
    first = node.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return source
    lines = source.splitlines(keepends=True)
    start, end = first.lineno - 1, first.end_lineno - 1
    # Leave a docstring alone when it shares a line with other code.
    if lines[start][:first.col_offset].strip() or lines[end][first.end_col_offset:].strip():
        return source
    while end + 1 < len(lines) and not lines[end + 1].strip():
        end += 1
    replacement = []
    if len(node.body) == 1:  # the docstring was the whole body: keep the code valid
        replacement = [" " * first.col_offset + "...\n"]
    return "".join(lines[:start] + replacement + lines[end + 1:])


def show_source(obj, docstring=False):
    """Syntax-highlighted source of a class or function: optimlib's or your own.

    With ``docstring=False`` the docstring is left out (the chapter's text
    already says what it says), whatever its quotes (\"\"\" or '''). Classes
    defined in a notebook cell work too (they are found through their
    methods). An object that is neither is shown through its class. Returns
    an IPython ``Code`` object; raises ``OSError`` saying why when the source
    cannot be found.
    """
    from IPython.display import Code

    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj)
            or inspect.ismodule(obj)):
        obj = type(obj)
    source = textwrap.dedent(_source(obj))
    if not docstring:
        source = _without_docstring(source)
    return Code(source, language="python")
