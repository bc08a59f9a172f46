"""Every solver's iterates against the committed reference trajectories (issue 11 invariant).

The reference (``tests/data/engine_reference_v1.npz``) was written by ``scripts/make_engine_reference.py``
from the solvers as they stood before the engine refactoring; where an algorithm is unchanged its iterates
must stay the same.  The tolerance (relative 1e-10) only absorbs BLAS rounding on another processor: on the
machine that wrote the file the iterates are bit-identical, and an algorithmic change (e.g. a different start
vector of a power iteration, changing step sizes by ~1e-8) is far above it.
"""
import importlib.util
import os

import numpy as np
import pytest

HERE = os.path.dirname(__file__)
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "make_engine_reference.py")
DATA = os.path.join(HERE, "..", "data", "engine_reference_v1.npz")


def _script():
    spec = importlib.util.spec_from_file_location("make_engine_reference", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MOD = _script()


@pytest.fixture(scope="module")
def reference():
    with np.load(DATA) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("name", sorted(MOD.CONFIGS))
def test_iterates_equal_reference(name, reference):
    fresh = MOD.record(name)
    stored = {k: v for k, v in reference.items() if k.split("/")[0] == name}
    assert sorted(fresh) == sorted(stored)
    for key, ref in stored.items():
        np.testing.assert_allclose(fresh[key], ref, rtol=1e-10, atol=1e-13, err_msg=key)


def test_comparison_can_fail(reference):
    fresh = MOD.record("gd_bp")
    fresh["gd_bp/W0"] = fresh["gd_bp/W0"] * (1 + 1e-8)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(fresh["gd_bp/W0"], reference["gd_bp/W0"], rtol=1e-10, atol=1e-13)
