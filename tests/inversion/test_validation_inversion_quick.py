"""Smoke test of validation/inversion.py: the --quick run end to end (files, report section, resume, refusals)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if not (ROOT / "validation" / "inversion.py").exists():  # pragma: no cover - installed without the scripts
    pytest.skip("validation/ scripts not present", allow_module_level=True)
sys.path.insert(0, str(ROOT))

from validation import make_report, run  # noqa: E402


def test_quick_inversion_run(tmp_path, capsys):
    out = tmp_path / "inv"
    assert run.main(["inversion", "--quick", "--out", str(out), "--quiet"]) == 0
    meta = json.loads((out / "metrics.json").read_text())
    assert meta["experiment"] == "inversion" and meta["quick"] and meta["status"] == "complete"
    assert {"numpy", "git_commit"} <= set(meta["versions"])
    for part, runs in (("shallow1d", 4), ("perceptron", 4), ("decoder", 2)):
        assert len(meta[part]["runs"]) == runs
    a = meta["shallow1d"]["runs"]
    assert a["lifted@0"]["rel_error_identifiable"] < 1e-3          # noiseless: exact where the outputs tell u
    for png in meta["files"]:
        assert (out / png).stat().st_size > 1000
    assert "python validation/run.py inversion --quick" in (out / "COMMAND").read_text()
    text = "\n".join(make_report.run_section("inversion", out))
    assert "Inversion of trained networks" in text and "(c) decoder inversion" in text
    # a second run into the same directory is refused; --resume continues from the checkpoints (same numbers)
    with pytest.raises(SystemExit, match="already holds"):
        run.main(["inversion", "--quick", "--out", str(out), "--quiet"])
    assert run.main(["inversion", "--quick", "--out", str(out), "--quiet", "--resume"]) == 0
    again = json.loads((out / "metrics.json").read_text())
    for part in ("shallow1d", "perceptron", "decoder"):
        for k, r in meta[part]["runs"].items():
            assert again[part]["runs"][k]["objective_history"] == r["objective_history"], (part, k)
            assert again[part]["runs"][k]["resumed_from"] == r["epochs"]


def test_decoder_is_fig3s_autoencoder(tmp_path):
    """(c) inverts the decoder of the autoencoder fig3 trains: same network, data and solver, so the same final
    training objective as fig3's own lbn-s run (quick settings)."""
    inv, fig = tmp_path / "inv", tmp_path / "fig3"
    assert run.main(["inversion", "--quick", "--out", str(inv), "--quiet"]) == 0
    assert run.main(["fig3", "--quick", "--out", str(fig), "--quiet", "--methods", "lbn-s"]) == 0
    ae = json.loads((inv / "metrics.json").read_text())["decoder"]["autoencoder"]
    rec = json.loads((fig / "methods" / "lbn-s.json").read_text())
    assert ae["source"] == "validation/fig3 lbn-s"
    assert ae["layer_sizes"] == rec["config"]["layer_sizes"]
    assert ae["final_train_objective"] == rec["final"]["train_objective"]
