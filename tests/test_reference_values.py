"""The packaged reference values (bregnet.testing.reference) and the script that writes them.

* the committed file equals what ``scripts/make_reference_values.py`` computes now (numerically,
  so it cannot go stale silently);
* every registered activation is in it, with its default parameters;
* bregnet's own callables pass :func:`compare_to_reference`, and deliberately wrong callables fail
  with a message that names the quantity, the input, the expected and the obtained value.
"""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import bregnet
from bregnet.activations import get, names
from bregnet.testing import ReferenceMismatch, compare_to_reference, reference_case, reference_values

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_reference_values.py"
STALE_HINT = "python scripts/make_reference_values.py (and python docs/make_activation_docs.py)"


def load_script():
    spec = importlib.util.spec_from_file_location("make_reference_values", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def script():
    return load_script()


@pytest.fixture(scope="module")
def data():
    return reference_values()


def own_callables(act):
    kw = dict(sigma=act.prox, psi=act.psi, phi_star=act.conjugate,
              prox=lambda z, t: act.prox(z, step=t),
              bregman=lambda x, z: bregnet.bregman_loss(act, x, z),
              grad=lambda x, z: bregnet.bregman_grad(act, x, z))
    if act.has_psi_conjugate:
        kw["psi_star"] = act.psi_conjugate
    return kw


def assert_same_tree(a, b, path="", rtol=1e-12, atol=1e-14):
    """Nested dicts/lists equal: same keys and shapes, numbers close (infinities equal)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_same_tree(a[k], b[k], f"{path}/{k}", rtol, atol)
    elif isinstance(a, list) and a and isinstance(a[0], dict):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: lengths differ"
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same_tree(u, v, f"{path}[{i}]", rtol, atol)
    elif isinstance(a, (list, np.ndarray)) or isinstance(b, (list, np.ndarray)):
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
        assert x.shape == y.shape, f"{path}: shape {x.shape} != {y.shape}"
        close = np.isclose(x, y, rtol=rtol, atol=atol) | ((x == y) & np.isinf(x))
        assert np.all(close), f"{path}: values differ at {np.argwhere(~close)[:5].tolist()}"
    elif isinstance(a, (int, float)) and not isinstance(a, bool):
        assert math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or a == b, f"{path}: {a!r} != {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


# ----------------------------------------------------------------------------- the file
def test_header(data):
    h = data["header"]
    assert h["format_version"] == 1
    assert h["generated_by"] == "python scripts/make_reference_values.py"
    assert h["dtype"] == "float64"
    for key in ("bregnet_version", "numpy_version"):
        assert isinstance(h[key], str) and h[key]


def test_committed_file_equals_regenerated(script, data):
    from bregnet.testing.reference import decode

    fresh = decode(script.encode(script.build()))
    try:
        assert_same_tree(fresh["activations"], data["activations"], "activations")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nthe packaged reference values are stale: run {STALE_HINT}") from None
    assert fresh["header"]["format_version"] == data["header"]["format_version"]


def test_dumps_roundtrips_exactly(script):
    """Full precision: writing and reading gives back the very same floats (repr), inf as "inf"."""
    import json

    from bregnet.testing.reference import decode
    obj = {"a": [[0.1, 1e-300, -math.inf], [math.pi, 1e8, math.inf]]}
    text = script.dumps(obj)
    assert '"inf"' in text and '"-inf"' in text
    back = decode(json.loads(text))
    assert back == obj
    with pytest.raises(ValueError, match="NaN"):
        script.dumps({"a": [math.nan]})


def test_every_registered_activation_is_present(data):
    acts = data["activations"]
    assert sorted(acts) == names(), f"run {STALE_HINT}"
    for name in names():
        default = [c for c in acts[name] if c["default"]]
        assert len(default) == 1, name
        assert default[0]["params"] == get(name).params(), name


def test_inputs_reach_the_hard_places(data):
    for name, cases in data["activations"].items():
        for c in cases:
            z = np.asarray(c["z"])
            assert np.any(np.all(z == 0, axis=-1)), f"{name}: z = 0 missing"
            assert np.max(np.abs(z)) == 1e8, f"{name}: |z| = 1e8 missing"
            assert len(c["x"]) >= 3, name
            assert set(c["prox"]) == {"0.5", "2.0"}
            assert ("psi_star" in c) == get(name, **c["params"]).has_psi_conjugate
    # ties at thresholds and boundary points, where the activation has them
    st = reference_case("soft_threshold", {"alpha": 0.5})
    assert [0.5] in st["z"] and [-0.5] in st["z"]
    assert [1.0] in reference_case("tanh")["x"] and [-1.0] in reference_case("tanh")["x"]
    assert [1.0, 0.0, 0.0] in reference_case("softmax")["x"]
    assert reference_case("relu")["psi_outside"] == [math.inf, math.inf]


def test_reference_case_lookup():
    assert reference_case("softmax", {"temperature": 2.0})["params"] == {"temperature": 2.0}
    assert reference_case("hard_tanh", {"hi": math.inf, "lo": 0})["params"] == {"lo": 0.0, "hi": math.inf}
    with pytest.raises(KeyError, match="available"):
        reference_case("softmax", {"temperature": 3.0})
    with pytest.raises(KeyError, match="relu"):
        reference_case("no_such_activation")


# ----------------------------------------------------------------------------- compare_to_reference
@pytest.mark.parametrize("name", names())
def test_bregnet_passes_its_own_reference(name, data):
    for case in data["activations"][name]:
        act = get(name, **case["params"])
        report = compare_to_reference(name, params=case["params"], data=data, **own_callables(act))
        assert report.ok
        expected = {"sigma", "prox", "phi_star", "psi", "bregman", "grad"} | ({"psi_star"} if act.has_psi_conjugate else set())
        assert set(report.checked) == expected
        assert all(v > 0 for v in report.checked.values())


def test_wrong_sigma_is_reported_with_quantity_input_expected_got():
    tanh = get("tanh")
    with pytest.raises(ReferenceMismatch) as info:
        compare_to_reference("tanh", sigma=lambda z: np.tanh(z) * (1 + 1e-6), phi_star=tanh.conjugate)
    msg = str(info.value)
    assert "sigma(z) at z = [0.5]" in msg
    assert f"expected [{float(np.tanh(0.5))!r}], got [{float(np.tanh(0.5) * (1 + 1e-6))!r}]" in msg
    report = info.value.report
    assert {m.quantity for m in report.mismatches} == {"sigma(z)"}        # phi_star was right
    assert len(report.mismatches) == 8                                    # every z except 0


def test_printed_soft_threshold_loss_is_caught():
    """Example 2 as printed (see docs/errata.md (b)) fails against the reference values."""
    def printed(x, z, a=1.0):
        x, z = x[:, 0], z[:, 0]
        return np.where(z > a, 0.5 * z * z - z * (a + x), np.where(z < -a, 0.5 * z * z + z * (a - x), -x * z))

    report = compare_to_reference("soft_threshold", bregman=printed, raise_on_mismatch=False)
    assert not report.ok
    assert all(m.quantity == "B(x, z)" for m in report.mismatches)
    assert "B(x, z) at x = " in str(report) and "expected" in str(report)
    # the corrected closed form passes
    from bregnet.bregman import soft_threshold_bregman_loss
    assert compare_to_reference("soft_threshold", bregman=soft_threshold_bregman_loss).ok


def test_wrong_pieces_fail_each_quantity():
    relu = get("relu")
    good = own_callables(relu)
    wrong = {
        "psi": lambda x: np.zeros(len(x)),                       # forgets the indicator
        "phi_star": lambda z: 0.5 * np.sum(z * z, axis=-1),      # the identity's conjugate
        "prox": lambda z, t: np.maximum(z - t, 0),               # soft-threshold-like
        "grad": lambda x, z: x - np.maximum(z, 0),               # sign error
        "bregman": lambda x, z: 0.5 * np.sum((x - np.maximum(z, 0)) ** 2, axis=-1),  # the MSE
        "psi_star": lambda y: np.zeros(len(y)),
    }
    for key, fn in wrong.items():
        kw = dict(good, **{key: fn})
        report = compare_to_reference("relu", raise_on_mismatch=False, **kw)
        assert not report.ok, key
        assert report.checked[key] > 0


def test_failing_or_misshapen_callables_are_reported():
    def boom(z):
        raise RuntimeError("not implemented")

    report = compare_to_reference("relu", sigma=boom, phi_star=lambda z: np.zeros((2, 2, 2)),
                                  raise_on_mismatch=False)
    text = str(report)
    assert "raised RuntimeError: not implemented" in text
    assert "got shape (2, 2, 2)" in text
    # (k, 1) for (k,) is accepted
    relu = get("relu")
    assert compare_to_reference("relu", phi_star=lambda z: relu.conjugate(z)[:, None]).ok


def test_tolerances_and_infinities():
    relu = get("relu")
    # a finite value where inf is expected is a mismatch; NaN never matches
    report = compare_to_reference("relu", psi=lambda x: np.zeros(len(x)), raise_on_mismatch=False)
    assert any("x outside dom Psi" in m.quantity for m in report.mismatches)
    report = compare_to_reference("relu", sigma=lambda z: np.full_like(z, np.nan), raise_on_mismatch=False)
    assert len(report.mismatches) == len(reference_case("relu")["z"])
    # rtol decides: a relative error of 1e-12 passes the default, 1e-8 does not
    assert compare_to_reference("relu", phi_star=lambda z: relu.conjugate(z) * (1 + 1e-12)).ok
    assert not compare_to_reference("relu", phi_star=lambda z: relu.conjugate(z) * (1 + 1e-8),
                                    raise_on_mismatch=False).ok
    assert compare_to_reference("relu", phi_star=lambda z: relu.conjugate(z) * (1 + 1e-8), rtol=1e-7).ok


def test_argument_errors():
    with pytest.raises(ValueError, match="at least one callable"):
        compare_to_reference("relu")
    with pytest.raises(TypeError, match="sigma must be callable"):
        compare_to_reference("relu", sigma=3)
    with pytest.raises(ValueError, match="no Psi"):
        compare_to_reference("tanh", psi_star=lambda y: y)


def test_script_check_mode(script, tmp_path, capsys):
    out = tmp_path / "ref.json"
    assert script.main(["--output", str(out)]) == 0
    assert script.main(["--output", str(out), "--check"]) == 0
    out.write_text(out.read_text().replace('"n": 1', '"n": 2', 1))
    assert script.main(["--output", str(out), "--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_staleness_check_can_fail(script, data):
    """The regeneration comparison notices a changed value, a missing case and a changed input."""
    import copy

    for mutate in (lambda d: d["tanh"][0]["sigma"].__setitem__(3, [0.1]),
                   lambda d: d["softmax"].pop(),
                   lambda d: d["relu"][0]["z"].__setitem__(0, [-1e7])):
        bad = copy.deepcopy(data["activations"])
        mutate(bad)
        with pytest.raises(AssertionError):
            assert_same_tree(bad, data["activations"], "activations")


def test_torch_crosscheck_is_skipped_without_torch():
    """tests/test_torch_crosscheck.py skips (nothing failed, nothing errored) when torch cannot be imported."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['torch'] = None; import pytest; "
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-rs', 'tests/test_torch_crosscheck.py']))")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    # 5: pytest's "no tests collected" (the module skips at import); never 1 (failed)
    assert res.returncode in (0, 5), res.stdout + res.stderr
    last = res.stdout.strip().splitlines()[-1]
    assert "skipped" in last and not any(w in last for w in ("passed", "failed", "error")), res.stdout
    assert "could not import 'torch'" in res.stdout
