"""Appendix B's helpers for autodoc (a local Sphinx extension).

Appendix B documents every object once, under the module that defines it
(``optimlib.optimizers.Adam``). The docstrings refer to objects the way Python
code does: ``optimlib.Adam`` (the package's top-level name), ``Quadratic``
(imported into the module being documented), ``.registry`` (a sibling module).

- References: a Python cross reference that Sphinx cannot find is looked up as a
  Python name, from the module (and class) whose docstring holds it, then as an
  absolute dotted name. If the object it names is documented on a page, the
  reference points there; otherwise it stays missing and the strict build warns.
- ``.. optimlib-submodules:: optimlib.experiments`` lists the package's modules that
  the page does not document in full (the chapters' experiments), so that a new one
  appears by itself.
- Napoleon reads the first line of an attribute, property or data docstring as
  ``type: description`` whenever it holds a colon, so "``f - f*``: how far ..."
  would show "f - f*" as a type. The book writes no types there: the first line is
  kept as the description.
- The fields of a NamedTuple (``Control``) are shown in its signature, not again as
  members whose docstring says "Alias for field number 0".
"""
import importlib
import pkgutil
import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode, nested_parse_with_titles

logger = logging.getLogger(__name__)

_UNSET = object()
_CACHE = {}


def _lookup(dotted):
    """The object a dotted name denotes (importing modules as needed), or _UNSET."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:  # noqa: BLE001 - any import failure means: not this prefix
            continue
        for name in parts[i:]:
            obj = getattr(obj, name, _UNSET)
            if obj is _UNSET:
                return _UNSET
        return obj
    return _UNSET


def _documented(env):
    """id(object) -> (fullname, ObjectEntry) for every documented Python object."""
    domain = env.get_domain("py")
    key = (id(env), tuple(sorted(domain.objects)))
    cache = _CACHE.get("documented")
    if cache is None or cache[0] != key:
        found = {}
        for fullname, entry in domain.objects.items():
            if entry.aliased:
                continue
            obj = _lookup(fullname)
            # small ints and strings are shared objects: only functions, classes,
            # modules and containers identify one documented thing
            if obj is not _UNSET and not isinstance(obj, (int, float, str, bool)):
                found.setdefault(id(obj), (fullname, entry, obj))
        cache = (key, found)
        _CACHE["documented"] = cache  # kept out of the pickled environment
    return cache[1]


def _candidates(node):
    target = node.get("reftarget", "")
    module = node.get("py:module") or ""
    klass = node.get("py:class") or ""
    if target.startswith("."):
        base = module
        stripped = target.lstrip(".")
        for _ in range(len(target) - len(stripped) - 1):
            base = base.rpartition(".")[0]
        yield f"{base}.{stripped}" if base else stripped
        return
    if module and klass:
        yield f"{module}.{klass}.{target}"
    if module:
        yield f"{module}.{target}"
    yield target


def _resolve(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    documented = _documented(env)
    for dotted in _candidates(node):
        if not dotted.startswith("optimlib"):
            continue
        obj = _lookup(dotted)
        if obj is _UNSET or id(obj) not in documented:
            continue
        fullname, entry, _ = documented[id(obj)]
        return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                            contnode, fullname)
    return None


def _description_first(app, what, name, obj, options, lines):
    # napoleon reads the first non-blank line; an empty comment there has no colon
    if what in ("attribute", "data", "property") and any(":" in line for line in lines[:1]):
        lines[:0] = ["..", ""]


class Submodules(SphinxDirective):
    """``.. optimlib-submodules:: optimlib.experiments``: every submodule of the package
    not documented above the directive, in chapter order ("Chapter N, ..." opens its
    docstring), each with that first line and a target for ``:mod:`` references."""

    required_arguments = 1

    def run(self):
        package = importlib.import_module(self.arguments[0])
        known = self.env.get_domain("py").modules
        found = []
        for info in pkgutil.iter_modules(package.__path__):
            fullname = f"{package.__name__}.{info.name}"
            if info.name.startswith("_") or fullname in known:
                continue
            try:
                module = importlib.import_module(fullname)
            except Exception as error:  # noqa: BLE001 - reported, and the strict build fails
                logger.warning("cannot import %s: %s: %s", fullname, type(error).__name__,
                               error, location=self.get_location())
                continue
            lines = (module.__doc__ or "").strip().splitlines()
            summary = lines[0] if lines else ""
            chapter = re.match(r"Chapter (\d+)", summary)
            found.append((int(chapter.group(1)) if chapter else 99, fullname, summary))
        rst = []
        for _, fullname, summary in sorted(found):
            rst += [f".. py:module:: {fullname}", "", f":mod:`{fullname}`", f"   {summary}", ""]
        holder = nodes.container()
        nested_parse_with_titles(self.state, StringList(rst, source=self.get_source_info()[0]),
                                 holder)
        return holder.children


def _skip_tuple_fields(app, what, name, obj, skip, options):
    # a NamedTuple's fields are in its signature; their docstrings only say
    # "Alias for field number 0"
    if what == "class" and type(obj).__name__ == "_tuplegetter":
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_tuple_fields)
    app.add_directive("optimlib-submodules", Submodules)
    app.connect("missing-reference", _resolve)
    # before napoleon (priority 500) turns the first line into a type
    app.connect("autodoc-process-docstring", _description_first, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
