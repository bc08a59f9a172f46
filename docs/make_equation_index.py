r"""Write ``docs/equations.md``: the paper's numbered equations and statements, and the bregnet code citing each.

Every docstring of the package (modules, classes, functions, methods) is read with :mod:`ast` (nothing is
imported) and searched for the paper's labels as the docstrings write them:

* equations: ``eq. (12)``, ``eqs. (11), (15)``, ``(17a)``, ``(25)-(27)`` (a range names every equation in it),
  ``(12)/(13)``; a bare ``(N)`` counts where it cannot be code: not preceded by a letter, digit, bracket or
  ``^``/``_`` (so ``f(0)``, ``x_{(1)}`` and ``shape (1,)`` do not), with ``N`` one of the paper's numbers;
* statements: ``Definition 1``, ``Lemma 4``, ``Theorem 10``, ``Corollary 6``, ``Remark 2``, ``Example 2``,
  ``Algorithm 1`` and the abbreviations ``Def.``, ``Lem.``, ``Thm.``, ``Cor.``, ``Rem.``, ``Ex.``, ``Alg.``;
* sections: ``Section 4.2.1``, ``Appendix B.2``.

Doctest lines (``>>>``, ``...``) are skipped.  A public object (no name component starting with ``_``) is
linked to its entry in the API reference; a private helper is named with the public module that holds it.

Usage::

    python docs/make_equation_index.py            # rewrite docs/equations.md
    python docs/make_equation_index.py --check    # exit 1 if docs/equations.md is out of date
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
PACKAGE = REPO / "bregnet"
OUTPUT = DOCS / "equations.md"

#: the equation labels of the paper, in order (Wang & Benning, JMLR 24(232), 2023)
PAPER_EQUATIONS = (
    [str(n) for n in range(1, 17)] + ["17a", "17b"] + [str(n) for n in range(18, 35)]
    + ["35a", "35b", "36a", "36b", "36c", "37a", "37b", "37c", "38", "39", "40", "41"])
#: a lettered equation's number alone names the system: (17) is (17a)-(17b)
PAPER_SYSTEMS = {"17": "(17a)-(17b)", "35": "(35a)-(35b)", "36": "(36a)-(36c)", "37": "(37a)-(37c)"}
#: the numbered statements of the paper with their titles (statements without a title have "")
PAPER_STATEMENTS = {
    "Definition 1": "Proximal map", "Example 1": "Proximal maps", "Remark 2": "",
    "Definition 3": "Fenchel conjugate", "Lemma 4": "Subdifferential characterisation",
    "Definition 5": "Generalised Bregman distance", "Corollary 6": "", "Theorem 7": "Moreau identity",
    "Lemma 8": "Gradient of (12) with respect to the second argument", "Remark 9": "",
    "Theorem 10": "Bregman loss function", "Example 2": "", "Remark 11": "", "Example 3": "",
    "Algorithm 1": "Implicit stochastic lifted Bregman learning", "Algorithm 2": "Back-propagation algorithm",
    "Example 4": "",
    "Table 1": "classification accuracies", "Table 2": "linear activations of the hidden layers",
    **{f"Figure {n}": "" for n in range(1, 17)},
}
_KINDS = {"Definition": "Definition", "Def.": "Definition", "Lemma": "Lemma", "Lem.": "Lemma",
          "Theorem": "Theorem", "Thm.": "Theorem", "Corollary": "Corollary", "Cor.": "Corollary",
          "Remark": "Remark", "Rem.": "Remark", "Example": "Example", "Ex.": "Example",
          "Algorithm": "Algorithm", "Alg.": "Algorithm", "Table": "Table", "Figure": "Figure", "Fig.": "Figure"}

_LABEL = r"\((\d{1,2}[a-c]?)\)"
#: "(25)-(27)": a range of equations
_RANGE = re.compile(r"(?<![\w)\]}^_])" + _LABEL + r"\s*[-\u2013]\s*" + _LABEL)
#: "(12)" where it cannot be a call, an index or a tuple
_SINGLE = re.compile(r"(?<![\w)\]}^_(\[{])" + _LABEL + r"(?![\w(])")
_STATEMENT = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(_KINDS, key=len, reverse=True))
                        + r")\s?(\d{1,2})\b(?!\.\d)")
_SECTION = re.compile(r"\b(Section|Appendix) ((?:\d|[A-C])(?:\.\d){0,2})\b")


def _equation_key(label: str) -> tuple[int, str]:
    m = re.fullmatch(r"(\d+)([a-c]?)", label)
    return int(m.group(1)), m.group(2)


def _expand_range(first: str, last: str) -> list[str]:
    """``(25)-(27)`` names 25, 26, 27; ``(17a)-(17b)`` names 17a, 17b; ``(36)-(37)`` names 36, 37."""
    (a, sa), (b, sb) = _equation_key(first), _equation_key(last)
    if a == b:
        return [f"{a}{chr(c)}" for c in range(ord(sa or "a"), ord(sb or "a") + 1)]
    if not a < b <= a + 12:
        return [first, last]
    return [first] + [str(n) for n in range(a + 1, b)] + [last]


def mentions(text: str) -> dict[str, set[str]]:
    """The labels a docstring cites, as ``{"equation": {"12", ...}, "statement": {...}, "section": {...}}``.

    Examples
    --------
    >>> found = mentions("Eq. (12) and (25)-(27), Lemma 8, Thm. 7; f(0), x_(1) and shape (1,) are not.")
    >>> sorted(found["equation"], key=_equation_key), sorted(found["statement"])
    (['12', '25', '26', '27'], ['Lemma 8', 'Theorem 7'])
    >>> mentions(">>> g(12)\\n(64) hidden units")["equation"]
    set()
    """
    text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith((">>>", "... ")))
    text = re.sub(r"``[^`]*``", " ", text)                      # inline literals are code
    text = re.sub(r":math:`[^`]*`", " ", text)                   # and inline mathematics has no labels
    eqs: set[str] = set()
    for m in _RANGE.finditer(text):
        eqs.update(_expand_range(m.group(1), m.group(2)))
    eqs.update(m.group(1) for m in _SINGLE.finditer(_RANGE.sub(" ", text)))
    eqs = {e for e in eqs if e in PAPER_EQUATIONS or e in PAPER_SYSTEMS}
    statements = set()
    for m in _STATEMENT.finditer(text):
        statements.add(f"{_KINDS[m.group(1)]} {m.group(2)}")
    sections = {f"{m.group(1)} {m.group(2)}" for m in _SECTION.finditer(text)}
    return {"equation": eqs, "statement": statements, "section": sections}


# ----------------------------------------------------------------------------- reading the package
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def documented_objects(package: Path = PACKAGE):
    """``(module, qualname, docstring)`` of the module and every class, function and method, by file."""
    for path in sorted(package.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        yield module, "", ast.get_docstring(tree) or ""
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield module, node.name, ast.get_docstring(node) or ""
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        yield module, f"{node.name}.{sub.name}", ast.get_docstring(sub) or ""


def cited_by(package: Path = PACKAGE) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """``{kind: {label: [(module, qualname), ...]}}`` over every docstring of the package."""
    index: dict[str, dict[str, list[tuple[str, str]]]] = {"equation": {}, "statement": {}, "section": {}}
    for module, qualname, doc in documented_objects(package):
        for kind, labels in mentions(doc).items():
            for label in labels:
                index[kind].setdefault(label, []).append((module, qualname))
    return index


# ----------------------------------------------------------------------------- the page
def api_modules(api_index: Path = DOCS / "api" / "index.rst") -> list[str]:
    """The modules the API reference documents (the autosummary list of ``docs/api/index.rst``)."""
    text = api_index.read_text(encoding="utf-8")
    block = text.split(".. autosummary::", 1)[1]
    return ["bregnet." + ln.strip() for ln in block.splitlines()[1:]
            if ln.strip() and not ln.strip().startswith(":") and ln.startswith("   ")]


def _documented(module: str, qualname: str, modules: list[str]) -> bool:
    if any(p.startswith("_") for p in module.split(".") + (qualname.split(".") if qualname else [])):
        return False
    return module == "bregnet" or any(module == m or module.startswith(m + ".") for m in modules)


def _cell(entries: list[tuple[str, str]], modules: list[str]) -> str:
    """Cited-by entries grouped by module: the module (linked where the API reference has it), then its
    classes, functions and methods; a module alone means its module docstring cites the label."""
    by_module: dict[str, list[str]] = {}
    for module, qualname in sorted(set(entries)):
        by_module.setdefault(module, [])
        if qualname:
            by_module[module].append(qualname)
    parts = []
    for module, names in by_module.items():
        head = f"{{py:mod}}`{module}`" if _documented(module, "", modules) else f"`{module}`"
        refs = [f"{{py:obj}}`{q} <{module}.{q}>`" if _documented(module, q, modules) else f"`{q}`"
                for q in names]
        parts.append(head + (": " + ", ".join(refs) if refs else ""))
    return "<br>".join(parts) if parts else "—"


def _statement_key(label: str) -> tuple[int, str]:
    kind, num = label.split()
    order = list(PAPER_STATEMENTS).index(label) if label in PAPER_STATEMENTS else 100 + int(num)
    return order, kind


def _section_key(label: str) -> tuple:
    kind, num = label.split()
    return (kind == "Appendix",) + tuple((0, int(p)) if p.isdigit() else (1, ord(p)) for p in num.split("."))


def render(index: dict[str, dict[str, list[tuple[str, str]]]], modules: list[str] | None = None) -> str:
    """The Markdown page (MyST cross-references) for an index from :func:`cited_by`."""
    eqs, stmts, secs = index["equation"], index["statement"], index["section"]
    modules = api_modules() if modules is None else modules
    out = ["# Equation index", "",
           "<!-- generated by docs/make_equation_index.py from the package's docstrings; do not edit -->", "",
           "Each numbered equation and statement of *Lifted Bregman Training of Neural Networks* (Wang & "
           "Benning, JMLR 24(232), 2023) with the bregnet modules, classes and functions whose docstrings "
           "cite it, found by `docs/make_equation_index.py` (whose docstring says how the labels are recognised). "
           "A docstring cites what it implements, checks or builds on; read it for which.  Each entry is a "
           "module followed by its classes, functions and methods that cite the label (a module alone: its "
           "module docstring does); names link to the [API reference](api/index.rst), private helpers and "
           "modules outside it are plain text.  "
           "Corrections to the printed statements are in the [errata](errata.md).", "",
           "## Equations", "", "| eq. | cited by |", "| --- | --- |"]
    for label in sorted(set(PAPER_EQUATIONS) | set(PAPER_SYSTEMS), key=_equation_key):
        name = f"({label}), i.e. {PAPER_SYSTEMS[label]}" if label in PAPER_SYSTEMS else f"({label})"
        parent = re.match(r"\d+", label).group(0)
        cell = _cell(eqs.get(label, []), modules)
        if cell == "—" and parent != label and parent in eqs:
            cell = f"— (cited as ({parent}))"
        out.append(f"| {name} | {cell} |")
    out += ["", "## Definitions, lemmas, theorems, examples, remarks, algorithms, tables and figures", "",
            "| statement | cited by |", "| --- | --- |"]
    for label in sorted(set(PAPER_STATEMENTS) | set(stmts), key=_statement_key):
        title = PAPER_STATEMENTS.get(label)
        name = f"{label} ({title})" if title else label if title is not None else f"{label} (not in the paper)"
        out.append(f"| {name} | {_cell(stmts.get(label, []), modules)} |")
    out += ["", "## Sections and appendices", "", "| section | cited by |", "| --- | --- |"]
    for label in sorted(secs, key=_section_key):
        out.append(f"| {label} | {_cell(secs[label], modules)} |")
    uncited = [e for e in PAPER_EQUATIONS if e not in eqs and re.match(r"\d+", e).group(0) not in eqs]
    out += ["", f"Equations no docstring cites: {', '.join(f'({e})' for e in uncited) or 'none'}.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {OUTPUT.name} is out of date")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"output file (default {OUTPUT})")
    args = parser.parse_args(argv)
    text = render(cited_by())
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python docs/make_equation_index.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
