"""docs/cross-checking.md runs: its python code blocks are executed in order, in one namespace.

Skipped (never failing) where torch, jax or entmax is missing.
"""
import re
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("jax")
pytest.importorskip("entmax")

DOC = Path(__file__).resolve().parents[2] / "docs" / "cross-checking.md"


def python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_document_has_the_examples():
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 7
    text = "\n".join(blocks)
    for needle in ("check_domain=False", "entmax.SparsemaxLoss", "entmax.Entmax15Loss", "bj.as_numpy_callable"):
        assert needle in text


def test_the_document_code_runs(capsys):
    namespace = {"__name__": "cross_checking_doc"}
    for i, block in enumerate(python_blocks(DOC.read_text())):
        exec(compile(block, f"{DOC.name}[block {i}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert "eq. (12) (definition of the Bregman loss): " in out          # the wrong layer was rejected
    assert "nan" in out                                                  # the printed form outside the domain
