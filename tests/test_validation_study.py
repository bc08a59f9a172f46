"""The reading study of Section 6.1 (validation/study.py, issue 17): its quick mode, its readings and its report.

Checks the pipeline on the scikit-learn digits, not the numbers.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "validation" / "study.py").exists():  # pragma: no cover - installed without the scripts
    pytest.skip("validation/ scripts not present", allow_module_level=True)
sys.path.insert(0, str(ROOT))

from validation import report_study, run, study  # noqa: E402


def test_readings_vary_one_factor_from_their_base():
    """Each ablation names the factors it changes and differs from its base in exactly those."""
    bases = [r for r in study.READINGS.values() if not r.changed]
    for name, r in study.READINGS.items():
        assert set(r.changed) <= set(study.FACTORS), name
        for k in r.changed:
            assert getattr(r, k) in study.FACTORS[k], (name, k)
        if r.changed:
            diffs = [{k for k in study.FACTORS if getattr(r, k) != getattr(b, k)} for b in bases if b.method == r.method]
            assert set(r.changed) in diffs, name


def test_solver_readings_reach_the_solver():
    """The readings of Algorithm 1 are LBNS options; at bregnet's defaults they are not passed at all."""
    assert study.options(study.READINGS["A-tau1-printed-steps"])[1]["step_rule"] == "printed-sum"
    assert study.options(study.READINGS["A-tau100-printed-steps"])[1]["step_rule"] == "printed-mean"
    assert study.options(study.READINGS["B-tau1-auxacc"])[1]["aux_accuracy"] is True
    assert not set(study.SOLVER_READINGS) & set(study.options(study.READINGS["B-tau1"])[1])


def test_initial_networks():
    """Architecture B is 784-784-64-64-10; Glorot normal has variance 2/(n_in + n_out); bias 0.1 is applied."""
    r = study.READINGS["B-tau1"]
    assert study.network(r, 784, 10, 0).layer_sizes == (784, 784, 64, 64, 10)
    n = study.network(study.READINGS["B-tau1-normal"], 784, 10, 0)
    assert abs(np.var(n.weights[0]) / (2 / 1568) - 1) < 0.01
    assert np.all(study.network(study.READINGS["B-tau1-bias0.1"], 784, 10, 0).biases[1] == 0.1)
    assert study.network(study.READINGS["B-tau1-softmax"], 784, 10, 0).activations[-1].name == "softmax"


def test_quick_run_and_report(tmp_path):
    out = tmp_path / "study"
    names = "B-tau1,B-sgd-lr0.1,B-tau1-raw,A-tau1-auxacc"
    assert run.main(["study", "--quick", "--out", str(out), "--methods", names, "--epochs", "1", "--quiet"]) == 0
    meta = json.loads((out / "metrics.json").read_text())
    assert set(meta["methods"]) == set(names.split(","))
    assert (out / "study_curves.png").exists()
    lines = report_study.study_section(meta, str(out), dataset="digits")
    assert sum(line.startswith(("| A-", "| B-")) for line in lines) == 4
    aux = meta["methods"]["A-tau1-auxacc"]["final"]["aux_train_accuracy"]
    assert 0 <= aux <= 1 and "(aux. " in "\n".join(lines)
    # the report's whole section, with a Table 1 run that is an architecture-A reading listed as coming from there
    results = tmp_path / "results"
    (results / "study" / "fashion-mnist").mkdir(parents=True)
    (results / "study" / "fashion-mnist" / "metrics.json").write_text(json.dumps(meta))
    (results / "table1" / "fashion-mnist").mkdir(parents=True)
    t1 = {"methods": {"lbn": dict(meta["methods"]["B-tau1"], epochs_done=100)}}
    (results / "table1" / "fashion-mnist" / "metrics.json").write_text(json.dumps(t1))
    text = "\n".join(report_study.study_sections(results))
    assert "| A-tau100 |" in text and "from table1 `lbn`" in text
    assert "Paper (Table 1, train / test)" in text


def test_study_needs_named_readings(tmp_path):
    with pytest.raises(SystemExit, match="--methods"):
        run.main(["study", "--quick", "--out", str(tmp_path / "s")])
    with pytest.raises(SystemExit, match="not among the methods"):
        run.main(["study", "--quick", "--out", str(tmp_path / "s"), "--methods", "no-such-reading"])
    assert not (tmp_path / "s").exists()


def test_bregnet_reproduce_offers_every_experiment():
    from bregnet.cli import REPRODUCIBLE
    assert REPRODUCIBLE == run.NAMES


def test_gap_lines_bracket_the_paper_and_name_the_nearest_layer_rates():
    from validation.report_study import _gap_lines

    def rec(acc, rates):
        return {"status": "complete", "epochs_done": 100, "final": {"train_accuracy": acc, "train_linear_rate": rates}}
    rd = {"method": "lbn", "epochs": 100}
    rows = [("lo", rd, rec(0.88, [0.50, 0.70, 0.90]), "study"), ("hi", rd, rec(0.96, [0.52, 0.86, 0.97]), "study")]
    lines = _gap_lines(rows, {"lbn": (93.5, 85.7)}, (59.2, 85.7, 64.7))
    assert "between **lo** (88.0%) and **hi** (96.0%)" in lines[0]
    assert "layer 1" in lines[1] and "not closed by a completed reading" in lines[1]
    assert "layer 2" in lines[2] and "nearest **hi** (86.0%) (closed within 2 points)" in lines[2]
    # a screened reading (short of its epochs) nearer on a layer is named as such
    short = {"status": "complete", "epochs_done": 10, "final": {"train_accuracy": 0.9, "train_linear_rate": [0.6, 0.7, 0.9]}}
    lines = _gap_lines(rows + [("bias", rd, short, "study")], {"lbn": (93.5, 85.7)}, (59.2, 85.7, 64.7))
    assert "nearer in a screen (short of its epochs): **bias** (60.0%)" in lines[1]
    # a paper value above every reading is not bracketed
    assert "is not bracketed; nearest **hi**" in _gap_lines(rows, {"lbn": (99.0, 90.0)}, None)[0]
