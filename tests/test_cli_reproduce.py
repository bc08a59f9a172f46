"""`bregnet reproduce NAME` runs validation/run.py (wiring only; the experiments' quick modes are
tested end to end in tests/test_validation_quick.py)."""
import json

from bregnet.cli import main


def test_reproduce_quick_writes_metrics(tmp_path):
    out = tmp_path / "t1"
    assert main(["reproduce", "table1", "--quick", "--out", str(out)]) == 0
    found = list(out.rglob("metrics.json"))
    assert found, "no metrics.json written"
    assert isinstance(json.loads(found[0].read_text()), dict)


def test_reproduce_rejects_unknown_experiment(capsys):
    assert main(["reproduce", "table9"]) == 2
