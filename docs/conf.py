"""Sphinx configuration of the bregnet documentation site.

Build (warnings are errors, as in the test suite)::

    python3 -m sphinx -W --keep-going -b html docs docs/_build/html

The Markdown pages (index, notation, errata, the generated activation pages, the equation index) are read by
MyST; the API reference (``docs/api``) is generated from the NumPy-style docstrings (autodoc, napoleon; a page
per module written by :func:`write_api_pages`, autosummary tables), and the mathematics is rendered by MathJax
(loaded by the reader's browser).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from sphinx.util import logging

import bregnet

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parent

project = "bregnet"
author = "the bregnet authors"
copyright = "the bregnet authors; the mathematics is that of Wang & Benning, JMLR 24(232), 2023"
release = version = bregnet.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

# ----------------------------------------------------------------------------- MyST (the Markdown pages)
# $...$ and $$...$$ as in the generated activation pages; \begin{aligned} blocks inside $$.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True
# the activation pages link their sections as [`relu`](#relu): anchors for headings down to ###
myst_heading_anchors = 3

# The generated activation pages (docs/make_activation_docs.py) put their "### Background" sections directly
# under the page title; the heading levels skip one but the page structure is the intended one.  Only this
# MyST category is silenced.
suppress_warnings = ["myst.header"]

# ----------------------------------------------------------------------------- API reference
# The module pages are written by write_api_pages() below rather than by autosummary's recursive stub
# generation: autosummary finds a submodule as an attribute of its package, and several packages re-export a
# function under its module's name (bregnet.solvers.constrained, bregnet.backprop.backprop, ...), which it then
# documents as that function.  autosummary still makes the summary tables.
autosummary_generate = False
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
    # A package's __all__ re-exports its submodules' names; documenting them there too would describe
    # every object twice.  Each object is documented in the module that defines it.
    "ignore-module-all": True,
}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# ----------------------------------------------------------------------------- HTML
html_theme = "alabaster"
html_title = f"bregnet {release}"
html_theme_options = {
    "description": "Lifted Bregman training of neural networks (Wang & Benning, JMLR 2023)",
    "fixed_sidebar": True,
    "page_width": "1180px",
    "sidebar_width": "250px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_static_path: list[str] = []
html_show_sourcelink = False

# ----------------------------------------------------------------------------- the site's table of contents
#: the pages of the site in reading order; a page in the list that is not there (yet) is left out, and any
#: other top-level page is appended (so a new docs/*.md appears without editing this file)
SITE_PAGES = ["notation", "architecture", "equations", "errata", "cross-checking", "reference-set"]


def site_toctree() -> str:
    """The root toctree (MyST), written into ``index.md`` when it is read: ``index.md`` itself is generated
    by ``docs/make_activation_docs.py`` and read on GitHub, where a toctree block would show as code."""
    present = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    pages = [p for p in SITE_PAGES if p in present] + sorted(present - set(SITE_PAGES))
    blocks = [("Guide", pages), ("Activations", ["activations/*"]), ("API", ["api/index"])]
    out = []
    for caption, entries in blocks:
        out += ["", "```{toctree}", ":maxdepth: 2", f":caption: {caption}", ":glob:", "", *entries, "```"]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- the API pages
API_INDEX = DOCS / "api" / "index.rst"
API_PAGES = DOCS / "api" / "generated"
#: top-level modules left out of the reference, and why (tests/test_docs_site.py holds every other top-level
#: module to be in docs/api/index.rst)
API_LEFT_OUT = {
    "bregnet.torch": "needs PyTorch (the torch extra), which the test and docs environments do not install",
    "bregnet.jax": "needs JAX (the jax extra), which the test and docs environments do not install",
}


def api_modules() -> list[str]:
    """The top-level modules of the reference: the autosummary list of ``docs/api/index.rst``."""
    block = API_INDEX.read_text(encoding="utf-8").split(".. autosummary::", 1)[1]
    return ["bregnet." + ln.strip() for ln in block.splitlines() if ln.startswith("   ") and ln.strip()]


def public_submodules(name: str) -> list[str]:
    """The public submodules of a package (by file, not by attribute: see the note on autosummary above)."""
    module = importlib.import_module(name)
    if not hasattr(module, "__path__"):
        return []
    return [f"{name}.{m.name}" for m in pkgutil.iter_modules(module.__path__)
            if not m.name.startswith("_")]


def _title(text: str) -> str:
    return f"{text}\n{'=' * len(text)}\n"


def api_page(name: str) -> str:
    """The reST of one module's page: its automodule and, for a package, the (hidden) toctree of its submodules."""
    subs = public_submodules(name)
    out = [_title(name), f".. automodule:: {name}", ""]
    if subs:
        out += [".. toctree::", "   :hidden:", "", *(f"   {s}" for s in subs), ""]
    return "\n".join(out)


def write_api_pages(app=None) -> None:
    """Write ``docs/api/generated/<module>.rst`` for every module of the reference (only files that change)."""
    API_PAGES.mkdir(parents=True, exist_ok=True)
    pending = list(api_modules())
    wanted = set()
    while pending:
        name = pending.pop(0)
        pending += public_submodules(name)
        path = API_PAGES / f"{name}.rst"
        wanted.add(path)
        text = api_page(name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in set(API_PAGES.glob("*.rst")) - wanted:
        stale.unlink()


def _own_members(module) -> list[str]:
    """The public classes and functions defined in ``module`` (not imported), in source order."""
    found = []
    for key, obj in vars(module).items():
        if key.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        try:
            line = inspect.getsourcelines(obj)[1]
        except (OSError, TypeError):
            line = 10**9
        found.append((line, key))
    return [key for _, key in sorted(found)]


def _first_line(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def _module_summary(app, what, name, obj, options, lines):
    """After a module's docstring: a summary table of its classes and functions and, for a package, the list of
    its submodules with their first docstring lines."""
    if what != "module" or not name.startswith("bregnet"):
        return
    members = _own_members(obj)
    subs = public_submodules(name) if hasattr(obj, "__path__") else []
    if members and not options.get("no-members"):
        lines += ["", ".. rubric:: Summary", "", ".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {m}" for m in members]
    if subs and name != "bregnet":
        lines += ["", ".. rubric:: Submodules", ""]
        for sub in subs:
            summary = _first_line(importlib.import_module(sub))
            lines.append(f"* :mod:`{sub}`: {summary}" if summary else f"* :mod:`{sub}`")
    lines.append("")


def _foreign_inherited_docstring(app, what, name, obj, options, lines):
    """A method without a docstring of its own inherits one from its base class; where that base is not bregnet's
    (``concurrent.futures.Executor.submit``, written for another documentation tool), say where it comes from
    instead of rendering it."""
    if what != "method" or getattr(obj, "__doc__", None) or not lines:
        return
    owner = importlib.import_module(obj.__module__) if getattr(obj, "__module__", None) else None
    for part in obj.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part, None)
    if not inspect.isclass(owner):
        return
    attr = obj.__qualname__.rsplit(".", 1)[-1]
    source = next((base for base in owner.__mro__[1:] if getattr(base.__dict__.get(attr), "__doc__", None)), None)
    if source is not None and not source.__module__.startswith("bregnet"):
        lines[:] = [f"As ``{source.__module__}.{source.__qualname__}.{attr}``.", ""]


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document bregnet's own code only: the ``set_*_request`` methods that scikit-learn attaches to every
    estimator class (bregnet.estimators) are scikit-learn's, with scikit-learn's cross-references."""
    if getattr(obj, "__module__", None) and obj.__module__.split(".")[0] == "sklearn":
        return True
    return None


def _canonical_name(dotted: str) -> str | None:
    """Where the bregnet object named ``dotted`` is defined (``bregnet.solvers.run`` ->
    ``bregnet.solvers.engine.run``), or None."""
    parts = dotted.split(".")
    if parts[0] != "bregnet":
        return None
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        if inspect.ismodule(obj):
            return obj.__name__
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        return f"{module}.{qualname}" if module and qualname and module.startswith("bregnet") else None
    return None


def _resolve_reexports(app, env, node, contnode):
    """A docstring may name an object where a package re-exports it (``:func:`bregnet.activations.get```); the
    reference documents it once, where it is defined, and the link goes there.  Every name in the equation index
    (docs/equations.md, generated) must link to its API entry: an unresolved one there is a warning, so the -W
    build fails (elsewhere an unresolved name stays plain text)."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    context = [node.get("py:module"), node.get("py:class")]
    candidates = [target] + [f"{c}.{target}" for c in context if c] + (
        [f"{context[0]}.{context[1]}.{target}"] if all(context) else [])
    for candidate in candidates:
        canonical = _canonical_name(candidate)
        if canonical and canonical != target:
            new = node.deepcopy()
            new["reftarget"] = canonical
            found = env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                                      canonical, new, contnode)
            if found is not None:
                return found
    if node.get("refdoc") == "equations":
        logger.warning("equation index: no API entry for %s", target, location=node)
    return None


def _add_site_toctree(app, docname, source):
    if docname == root_doc:
        source[0] += site_toctree()
    elif docname == "api/index":
        pages = "\n".join(f"   generated/{m}" for m in api_modules())
        source[0] += f"\n.. toctree::\n   :hidden:\n\n{pages}\n"


def setup(app):
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-process-docstring", _module_summary)
    app.connect("autodoc-process-docstring", _foreign_inherited_docstring)
    app.connect("source-read", _add_site_toctree)
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("missing-reference", _resolve_reexports)
