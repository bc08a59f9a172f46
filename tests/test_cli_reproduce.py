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


# ------------------------------------------------------------------ issue 12: where results go, overwrites, output
ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A working directory, an empty temporary directory and a stand-in for the committed validation/results/
    (so that no test, not even one run against the old code, can write the real one)."""
    import sys
    import tempfile
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from validation import common
    cwd, tmp, committed = tmp_path / "cwd", tmp_path / "tmp", tmp_path / "committed"
    for d in (cwd, tmp):
        d.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.delenv("BREGNET_CKPT_DIR", raising=False)
    monkeypatch.setattr(common, "RESULTS", committed)
    import validation.table1 as t1
    monkeypatch.setattr(t1, "RESULTS", committed, raising=False)      # the old code's own reference
    return cwd, tmp, committed


def _records(d):
    return {p.name: p.read_bytes() for p in sorted((d / "methods").glob("*.json"))}


def test_reproduce_default_output_is_under_the_working_directory(sandbox):
    """The run of issue 12 (a reduced SGD-BP run of table1) writes ./bregnet-reproduce/table1/DATASET, not the
    committed results."""
    cwd, tmp, committed = sandbox
    assert main(["reproduce", "table1", "--dataset", "digits", "--epochs", "1", "--methods", "sgd-bp", "--quiet"]) == 0
    out = cwd / "bregnet-reproduce" / "table1" / "digits"
    rec = json.loads((out / "methods" / "sgd-bp.json").read_text())
    assert rec["epochs_done"] == 1 and (out / ".ckpt" / "sgd-bp.npz").exists()
    assert not committed.exists()


def test_reproduce_update_results_is_explicit_and_refuses_to_overwrite(sandbox, capsys):
    """--update-results writes validation/results/NAME/DATASET; a second run does not replace its records without
    --resume or --overwrite (one line naming both, exit status 2); --update-results takes no --out or --quick."""
    cwd, tmp, committed = sandbox
    argv = ["reproduce", "table1", "--dataset", "digits", "--epochs", "1", "--methods", "sgd-bp", "--quiet"]
    assert main(argv + ["--update-results"]) == 0
    out = committed / "table1" / "digits"
    before = _records(out)
    assert list(before) == ["sgd-bp.json"] and not (cwd / "bregnet-reproduce").exists()
    capsys.readouterr()
    assert main(argv + ["--update-results"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--resume" in err and "--overwrite" in err and str(out) in err
    assert _records(out) == before
    for extra in (["--out", str(cwd / "x")], ["--quick"]):
        assert main(argv + ["--update-results", *extra]) == EXIT_USAGE
        assert "--update-results" in capsys.readouterr().err
    assert not (cwd / "x").exists()


def test_reproduce_refuses_to_overwrite_a_completed_run(sandbox, capsys):
    """The same command twice: the second stops before writing (exit 2, one line naming --resume and --overwrite);
    --resume continues, --overwrite replaces, both together are refused."""
    cwd, tmp, committed = sandbox
    out = cwd / "mine"
    argv = ["reproduce", "table1", "--quick", "--epochs", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    before, metrics = _records(out), (out / "metrics.json").read_bytes()
    capsys.readouterr()
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("bregnet reproduce: ") and err.count("\n") == 1
    assert "--resume" in err and "--overwrite" in err
    assert _records(out) == before and (out / "metrics.json").read_bytes() == metrics
    assert main(argv + ["--resume", "--overwrite"]) == EXIT_USAGE
    assert _records(out) == before
    assert main(argv[:4] + ["2"] + argv[5:] + ["--resume", "--methods", "sgd-bp"]) == 0
    assert json.loads((out / "methods" / "sgd-bp.json").read_text())["epochs_done"] == 2
    assert main(argv + ["--overwrite", "--methods", "sgd-bp"]) == 0
    assert json.loads((out / "methods" / "sgd-bp.json").read_text())["epochs_done"] == 1
    assert _records(out)["lbn.json"] == before["lbn.json"]          # methods not trained are left alone


def test_quick_run_leaves_no_temporary_directory(sandbox):
    """A quick run without --out writes ./bregnet-reproduce/quick/NAME[/DATASET] (checkpoints in its .ckpt) and
    nothing in the temporary directory (it used to leave a bregnet-quick-* directory there)."""
    cwd, tmp, committed = sandbox
    assert main(["reproduce", "table1", "--quick", "--epochs", "1", "--quiet"]) == 0
    out = cwd / "bregnet-reproduce" / "quick" / "table1" / "digits"
    assert (out / "metrics.json").exists() and sorted(p.name for p in (out / ".ckpt").glob("*.npz")) == \
        ["classical-lifted.npz", "lbn.npz", "sgd-bp.npz"]
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("extra, message", [
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--eval-every", "0"], "--eval-every must be >= 1"),
    (["--methods", "sgd-bp,nope"], "--methods: nope not among the methods of table1"),
    (["--resume", "--overwrite"], "exclude each other"),
    (["--update-results"], "--update-results"),
])
def test_bad_options_write_nothing(sandbox, capsys, extra, message):
    """Every option is checked before anything is written: no output, temporary or committed directory appears."""
    cwd, tmp, committed = sandbox
    assert main(["reproduce", "table1", "--quick", *extra]) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == [] and not committed.exists()


def test_reproduce_prints_progress_and_the_table(sandbox, capsys):
    """Progress per method and epoch on stderr (silenced by --quiet); the run ends with its tables beside the
    paper's numbers on stdout, then the result directory."""
    cwd, tmp, committed = sandbox
    assert main(["reproduce", "table1", "--quick", "--epochs", "2", "--out", str(cwd / "a")]) == 0
    out, err = capsys.readouterr()
    for m in ("lbn", "sgd-bp", "classical-lifted"):
        for e in (1, 2):
            assert f"table1 {m}: epoch {e}/2  train_objective " in err, (m, e)
    assert "val_accuracy" in err
    assert "## Table 1: classification accuracy" in out and "## Table 2:" in out
    assert "| SGD-BP | 99.6% |" in out and "| Lifted Bregman Network (LBN) | 99.3% |" in out   # the paper's numbers
    assert str(cwd / "a" / "table1_curves.png") in out
    assert out.rstrip().splitlines()[-1] == f"table1: status complete; results in {cwd / 'a'}"
    assert main(["reproduce", "fig6", "--quick", "--epochs", "1", "--out", str(cwd / "b"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "epoch" not in err
    assert "## Figures 6, 9, 10" in out and "| ISGD-BP |" in out
