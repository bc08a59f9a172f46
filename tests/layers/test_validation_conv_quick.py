"""Smoke test of validation/conv.py (issue 15): --quick on digits end to end, its report section and a resume."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if not (ROOT / "validation" / "conv.py").exists():  # pragma: no cover - installed without the scripts
    pytest.skip("validation/ scripts not present", allow_module_level=True)
sys.path.insert(0, str(ROOT))

from validation import make_report, run  # noqa: E402


def test_conv_quick_runs_reports_and_resumes(tmp_path, capsys):
    out, ck = tmp_path / "conv", tmp_path / "ckpt"
    assert run.main(["conv", "--quick", "--out", str(out), "--ckpt-dir", str(ck), "--quiet"]) == 0
    meta = json.loads((out / "metrics.json").read_text())
    assert set(meta["methods"]) == {"lbn", "lbn-b10-n1", "sgd-bp", "adam-bp"}
    assert meta["methods"]["lbn-b10-n1"]["config"]["options"]["n_inner"] == 1
    assert meta["target"]["lbn_method"] in ("lbn", "lbn-b10-n1")          # the best lifted run is compared
    assert meta["configuration"]["layer_spec"] == "conv3x3x4s2p1,conv3x3x8s2p1,flatten,dense10"
    for rec in meta["methods"].values():
        assert rec["status"] == "complete" and rec["epochs_done"] == 2
        assert 0 <= rec["final"]["val_accuracy"] <= 1
    assert (out / "conv_curves.png").exists()
    text = "\n".join(make_report.run_section("conv", out))
    assert "| lbn | complete | 2/2 |" in text and "Target:" in text
    assert "A convolutional network" in capsys.readouterr().out          # run.py prints its section
    assert run.main(["conv", "--quick", "--out", str(out), "--ckpt-dir", str(ck), "--epochs", "3", "--resume",
                     "--methods", "lbn", "--quiet"]) == 0
    lbn = json.loads((out / "methods" / "lbn.json").read_text())
    assert lbn["epochs_done"] == 3 and lbn["history"]["epoch"][-1] == 3


def test_target_compares_the_best_lifted_run_with_the_best_backprop_run():
    from validation.conv import target_met
    recs = {k: {"final": {"val_accuracy": v}} for k, v in
            {"lbn": 0.80, "lbn-b10-n1": 0.872, "sgd-bp": 0.88, "adam-bp": 0.89}.items()}
    t = target_met(recs)
    assert t["lbn_method"] == "lbn-b10-n1" and t["best_backprop_test_accuracy"] == pytest.approx(89.0)
    assert t["met"]                                                    # 87.2 > 85.7 and 89.0 - 87.2 <= 2
    recs["adam-bp"]["final"]["val_accuracy"] = 0.90
    assert not target_met(recs)["met"]
