"""The docs: family pages generated from the registry (docs/make_activation_docs.py), errata, index."""
import importlib.util
import re
from pathlib import Path

import pytest

from bregnet.activations import get, names

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_activation_docs", DOCS / "make_activation_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def generated(generator, tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    generator.generate(out, plots=False)
    return out


def test_every_activation_appears_in_its_family_page(generated):
    for name in names():
        family = type(get(name)).family or "other"
        page = generated / "activations" / f"{family}.md"
        assert page.exists(), f"no page for family {family!r} of {name!r}"
        text = page.read_text()
        assert f"## `{name}`" in text, f"{name} missing from {page.name}"
        assert f'get("{name}")' in text


def test_pages_render_math_not_rest(generated):
    for page in (generated / "activations").glob("*.md"):
        text = page.read_text()
        assert ":math:" not in text and ".. math::" not in text and ":func:" not in text, page.name
        assert text.count("$$") % 2 == 0, page.name
        assert "$$" in text                           # eq. (12) at least


def test_index_links_notation_errata_and_every_family(generated):
    index = (generated / "index.md").read_text()
    assert "(notation.md)" in index and "(errata.md)" in index
    families = {type(get(n)).family or "other" for n in names()}
    for fam in families:
        assert f"(activations/{fam}.md)" in index


def test_errata_and_notation_exist():
    assert (DOCS / "errata.md").is_file()
    assert (DOCS / "notation.md").is_file()


def test_committed_index_links_resolve():
    index = DOCS / "index.md"
    assert index.is_file()
    for target in re.findall(r"\]\(([^)#]+)\)", index.read_text()):
        assert (DOCS / target).is_file(), target


def test_rst_conversion(generator):
    md = generator.rst_to_markdown(
        "Soft :math:`\\sigma(z)` see :func:`~bregnet.bregman.bregman_loss` and ``x``.\n\n"
        ".. math::  a &= b \\\\\n           c &= d\n\nafter")
    assert "$\\sigma(z)$" in md and "`bregman_loss`" in md and "`x`" in md
    assert "$$\n\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}\n$$" in md
    assert md.endswith("after")


def test_readme_python_example_runs():
    """The README's Python block runs as written (its last lines build an estimator)."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README has no python example"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert len(namespace["res"].history.energy) == 6
