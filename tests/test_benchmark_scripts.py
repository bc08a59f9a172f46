"""The benchmark scripts (run by hand, results in benchmarks/RESULTS.md) at least parse their options.

No timing here: performance is measured by the scripts themselves, never asserted in tests.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(BENCH.glob("bench_*.py")) if BENCH.is_dir() else []
if not SCRIPTS:  # pragma: no cover - installed without the scripts
    pytest.skip("benchmarks/ not present", allow_module_level=True)


def _run(*args):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_help(script):
    res = _run(script, "--help")
    assert res.returncode == 0, res.stderr
    assert "usage" in res.stdout.lower()


@pytest.mark.parametrize("bad", [["--rho", "0"], ["--lr", "-1"], ["--methods", "adam"], ["--sweep-tol", "-0.1"],
                                 ["--step-scale", "2"]])
def test_time_to_accuracy_rejects_bad_options(bad):
    res = _run(BENCH / "bench_time_to_accuracy.py", *bad)
    assert res.returncode == 2 and "error" in res.stderr


@pytest.mark.parametrize("bad", [["--widths", "0"], ["--samples", "50", "--batches", "100"], ["--dtype", "float16"]])
def test_scaling_rejects_bad_options(bad):
    res = _run(BENCH / "bench_scaling.py", *bad)
    assert res.returncode == 2 and "error" in res.stderr


@pytest.mark.parametrize("script, bad", [("bench_sparse_ae_time_to_objective.py", ["--sgd-epochs", "0"]),
                                         ("bench_sparse_ae_time_to_objective.py", ["--max-epochs", "-1"]),
                                         ("bench_time_to_accuracy.py", ["--lbn-batch", "0"])])
def test_new_options_reject_bad_values(script, bad):
    res = _run(BENCH / script, *bad)
    assert res.returncode == 2 and "must be >= 1" in res.stderr
