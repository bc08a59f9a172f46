"""`bregnet reproduce NAME` runs validation/run.py (wiring only; the experiments' quick modes are
tested end to end in tests/test_validation_quick.py)."""
import json

import pytest

from bregnet.cli import EXIT_NO_DATA, EXIT_USAGE, main


def test_reproduce_quick_writes_metrics(tmp_path):
    out = tmp_path / "t1"
    assert main(["reproduce", "table1", "--quick", "--out", str(out)]) == 0
    found = list(out.rglob("metrics.json"))
    assert found, "no metrics.json written"
    assert isinstance(json.loads(found[0].read_text()), dict)


def test_reproduce_rejects_unknown_experiment(capsys):
    assert main(["reproduce", "table9"]) == 2


def test_reproduce_reports_missing_data_with_exit_3(tmp_path, capsys):
    """Missing IDX files: the message says where to get them (no traceback), exit status 3."""
    assert main(["reproduce", "table1", "--dataset", "mnist", "--data-dir", str(tmp_path / "none"),
                 "--out", str(tmp_path / "out")]) == EXIT_NO_DATA
    err = capsys.readouterr().err
    assert err.startswith("bregnet reproduce: MNIST:") and "--data-dir" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["table1", "--epochs", "0"], "--epochs must be >= 1"),
    (["table1", "--dataset", "nope"], "--dataset must be one of"),
])
def test_reproduce_prints_validation_messages(tmp_path, capsys, argv, message):
    """A bad option caught by validation/ (not argparse) is printed, not swallowed, with exit status 2."""
    assert main(["reproduce", *argv, "--out", str(tmp_path / "out")]) == EXIT_USAGE
    assert message in capsys.readouterr().err
