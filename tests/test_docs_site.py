"""The documentation site (docs/conf.py): a warning-free Sphinx build, the Markdown pages' examples as doctests,
the equation index (docs/make_equation_index.py) up to date and linking to real objects."""
import doctest
import importlib
import importlib.util
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bregnet

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MARKDOWN_PAGES = sorted(DOCS.rglob("*.md"))
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def equation_index():
    return _load(DOCS / "make_equation_index.py", "make_equation_index")


# ----------------------------------------------------------------------------- the Sphinx build
def test_site_builds_without_warnings(tmp_path):
    """``sphinx-build -W --keep-going -b html docs``: every warning (docstring markup, unresolved links of the
    equation index, missing pages) fails the build."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-20000:]
    for page in ["index", "equations", "errata", "notation", "api/index", "api/generated/bregnet.bregman",
                 "api/generated/bregnet.solvers.constrained", "activations/sigmoid"]:
        assert (out / f"{page}.html").is_file(), page
    # a module shadowed by a function of its package is documented as the module (its members are there)
    constrained = (out / "api/generated/bregnet.solvers.constrained.html").read_text(encoding="utf-8")
    assert 'id="bregnet.solvers.constrained.Constrained"' in constrained
    assert 'class="math' in (out / "api/generated/bregnet.bregman.html").read_text(encoding="utf-8")
    assert "../_images/tanh.png" in (out / "activations/sigmoid.html").read_text(encoding="utf-8")


def test_site_toctree_lists_every_top_level_page():
    pytest.importorskip("sphinx")
    conf = _load(DOCS / "conf.py", "bregnet_docs_conf")
    toc = conf.site_toctree()
    for page in DOCS.glob("*.md"):
        if page.stem != "index":
            assert f"\n{page.stem}\n" in toc, page.name
    assert "\nactivations/*\n" in toc and "\napi/index\n" in toc


def test_every_top_level_module_is_in_the_reference_or_said_why_not():
    pytest.importorskip("sphinx")
    conf = _load(DOCS / "conf.py", "bregnet_docs_conf")
    listed = set(conf.api_modules())
    for mod in pkgutil.iter_modules(bregnet.__path__):
        name = f"bregnet.{mod.name}"
        if not mod.name.startswith("_"):
            assert name in listed or name in conf.API_LEFT_OUT, f"{name}: add it to docs/api/index.rst"
    for name in ["bregnet.activations", "bregnet.bregman", "bregnet.lifted", "bregnet.network",
                 "bregnet.solvers", "bregnet.backprop", "bregnet.training", "bregnet.estimators",
                 "bregnet.testing", "bregnet.datasets", "bregnet.kernels", "bregnet.cli"]:
        assert name in listed, name
    assert "bregnet.solvers.constrained" in conf.public_submodules("bregnet.solvers")


# ----------------------------------------------------------------------------- examples of the Markdown pages
class _NumberChecker(doctest.OutputChecker):
    """Floats in the expected output match to the precision written there, as under pytest's NUMBER option
    (which the docstrings use; the Markdown pages repeat their examples): ``0.333`` within 1e-3,
    ``2.5e-08`` within 1e-9."""
    _FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?")

    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        wants, gots = self._FLOAT.findall(want), self._FLOAT.findall(got)
        if not wants or len(wants) != len(gots):
            return False
        for w, g in zip(wants, gots):
            mantissa, _, exponent = w.lower().partition("e")
            precision = len(mantissa.partition(".")[2]) - int(exponent or 0)
            if abs(float(w) - float(g)) > 10.0 ** -precision * (1 + 1e-9):
                return False
        parts = self._FLOAT.split(got)
        patched = "".join(p + (wants[i] if i < len(wants) else "") for i, p in enumerate(parts))
        return super().check_output(want, patched, optionflags)


def markdown_examples(text: str) -> str:
    """The ``>>>`` examples of a Markdown page: the fenced code blocks holding prompts, one doctest text."""
    blocks = re.findall(r"^```[\w-]*\n(.*?)^```", text, flags=re.S | re.M)
    return "\n".join(b.rstrip() + "\n" for b in blocks if re.search(r"^\s*>>> ", b, flags=re.M))


def run_markdown_examples(text: str, name: str) -> doctest.TestResults:
    test = doctest.DocTestParser().get_doctest(markdown_examples(text), {}, name, name, 0)
    runner = doctest.DocTestRunner(checker=_NumberChecker(), optionflags=FLAGS)
    failures = []
    runner.run(test, out=failures.append)
    result = runner.summarize(verbose=False)
    assert not result.failed, "".join(failures)
    return result


@pytest.mark.parametrize("page", MARKDOWN_PAGES, ids=[p.relative_to(DOCS).as_posix() for p in MARKDOWN_PAGES])
def test_markdown_examples_run(page):
    run_markdown_examples(page.read_text(encoding="utf-8"), page.relative_to(DOCS).as_posix())


def test_the_activation_pages_have_examples():
    counts = {p.name: len(doctest.DocTestParser().get_examples(markdown_examples(p.read_text(encoding="utf-8"))))
              for p in (DOCS / "activations").glob("*.md")}
    assert counts and all(n > 0 for n in counts.values()), counts


def test_markdown_examples_fail_when_wrong():
    page = "Text.\n\n```pycon\n>>> 1 + 1\n3\n```\n"
    with pytest.raises(AssertionError, match="Expected"):
        run_markdown_examples(page, "wrong.md")
    assert run_markdown_examples(page.replace("3\n", "2\n"), "right.md").attempted == 1


def test_number_checker_precision():
    check = _NumberChecker().check_output
    assert check("0.333\n", "0.3333333\n", FLAGS)
    assert not check("0.335\n", "0.3333333\n", FLAGS)
    assert check("[1.5, 2e-08]\n", "[1.5000001, 2.2e-08]\n", FLAGS)
    assert not check("[1.5, 2e-08]\n", "[1.5000001, 3.2e-08]\n", FLAGS)
    assert not check("[1.5, 2e-08]\n", "[1.5, 2e-08, 1.0]\n", FLAGS)


# ----------------------------------------------------------------------------- the equation index
def test_equation_index_is_up_to_date(equation_index):
    committed = (DOCS / "equations.md").read_text(encoding="utf-8")
    assert committed == equation_index.render(equation_index.cited_by()), \
        "docs/equations.md is out of date: run python docs/make_equation_index.py"


def test_equation_index_links_name_real_objects():
    text = (DOCS / "equations.md").read_text(encoding="utf-8")
    targets = re.findall(r"\{py:obj\}`[^`<]*<([^>]+)>`", text) + re.findall(r"\{py:mod\}`([^`]+)`", text)
    assert len(targets) > 100
    for target in sorted(set(targets)):
        assert _resolve(target) is not None, target


def _resolve(dotted: str):
    """The object a dotted name names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def test_equation_index_rows(equation_index):
    text = (DOCS / "equations.md").read_text(encoding="utf-8")
    for label in equation_index.PAPER_EQUATIONS:
        assert f"| ({label})" in text, label
    assert "| Lemma 8 (Gradient of (12) with respect to the second argument) |" in text
    row = next(ln for ln in text.splitlines() if ln.startswith("| (12) |"))
    assert "bregnet.bregman.bregman_loss>" in row


def test_mentions(equation_index):
    m = equation_index.mentions
    found = m("eqs. (11), (15) and (35)-(36); (17a)-(17b); Def. 1, Alg. 2, Table 2, Appendix B.2, Section 4.2.1")
    assert found["equation"] == {"11", "15", "35", "36", "17a", "17b"}
    assert found["statement"] == {"Definition 1", "Algorithm 2", "Table 2"}
    assert found["section"] == {"Appendix B.2", "Section 4.2.1"}
    # code, indices, mathematics, other works' theorems and numbers the paper does not have are no citations
    none = m("f(12), x[(3)], ``g (4)``, :math:`1/(2a)` and :math:`\\sigma(9)`, (Beck, 2017, Theorem 6.13), "
             "(42), (0)\n>>> h (12)")
    assert none == {"equation": set(), "statement": set(), "section": set()}


def test_equation_index_rejects_a_stale_page(equation_index, tmp_path):
    stale = tmp_path / "equations.md"
    stale.write_text((DOCS / "equations.md").read_text(encoding="utf-8").replace("| (12) |", "| (13) |", 1))
    assert equation_index.main(["--check", "--out", str(stale)]) == 1
    fresh = tmp_path / "fresh.md"
    assert equation_index.main(["--out", str(fresh)]) == 0
    assert equation_index.main(["--check", "--out", str(fresh)]) == 0
