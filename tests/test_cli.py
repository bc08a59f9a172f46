"""The ``bregnet`` command, run in-process: demo, train (every problem, a lifted solver and a baseline),
metrics.json, resume, and the documented exit codes."""
import json

import numpy as np
import pytest

from bregnet import cli
from bregnet.cli import EXIT_DIVERGED, EXIT_NO_DATA, EXIT_OK, EXIT_USAGE, main

SMALL = ["--dataset", "digits", "--n-train", "120", "--n-test", "40", "--quiet"]


def _metrics(d):
    with open(d / "metrics.json") as fh:
        return json.load(fh)


def test_demo_writes_table_plots_and_metrics(tmp_path, monkeypatch, capsys):
    # the demo's runs with one epoch each (the code path of `bregnet demo`, fast)
    monkeypatch.setattr(cli, "DEMO_RUNS", tuple((k, s, 1, b, o, l) for k, s, _, b, o, l in cli.DEMO_RUNS))
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == EXIT_OK
    text = capsys.readouterr().out
    for word in ("LBN-S", "SGD-BP", "test acc", "Table 2", "val MSE", "code sparsity"):
        assert word in text
    for name in ("demo-classification.png", "demo-sparse-autoencoder.png", "demo-reconstructions.png"):
        assert (tmp_path / name).stat().st_size > 1000
    m = _metrics(tmp_path)
    assert m["command"] == "demo" and m["status"] == "ok"
    assert [(r["problem"]["name"], r["solver"]) for r in m["runs"]] == [
        ("classification", "lbn-s"), ("classification", "sgd-bp"), ("sparse-ae", "lbn-s"), ("sparse-ae", "sgd-bp")]
    assert all(r["history"]["epoch"] == [0, 1] for r in m["runs"])
    # both classifiers start from the same Glorot initialisation (same seed)
    assert m["runs"][0]["history"]["objective"][0] == m["runs"][1]["history"]["objective"][0]


@pytest.mark.parametrize("problem", ["classification", "sparse-ae", "denoising-ae", "undercomplete-ae"])
@pytest.mark.parametrize("solver", ["lbn-s", "sgd-bp"])
def test_train_every_problem(tmp_path, problem, solver):
    layers = "64,16,10" if problem == "classification" else "64,16,8,16,64"
    rc = main(["train", "--problem", problem, "--solver", solver, "--layers", layers, "--epochs", "2",
               "--out", str(tmp_path), *SMALL])
    assert rc == EXIT_OK
    m = _metrics(tmp_path)
    assert m["status"] == "ok" and m["command"] == "train"
    assert m["config"]["problem"] == problem and m["solver"]["name"] == solver
    assert m["problem"]["layer_sizes"] == [int(v) for v in layers.split(",")]
    assert m["history"]["epoch"] == [0, 1, 2]
    assert m["final"]["epoch"] == 2
    for key in ("python", "numpy", "scipy", "numba", "bregnet"):
        assert m["versions"][key]
    assert m["wall_time"]["training_s"] >= 0 and m["wall_time"]["this_invocation_s"] > 0
    assert m["dataset"]["n_train"] == 120 and m["dataset"]["is_subset"]
    assert all(np.isfinite(v) for v in m["history"]["objective"])
    assert (tmp_path / "history.png").exists()
    assert (tmp_path / "checkpoint" / "training-state.npz").exists()
    if problem == "classification":
        assert m["final"]["val_accuracy"] is not None and m["final"]["code_sparsity"] is None
    else:
        assert m["final"]["val_mse"] is not None and m["final"]["code_sparsity"] is not None
        assert (tmp_path / "reconstructions.png").exists()
    if problem in ("sparse-ae", "denoising-ae"):
        assert m["problem"]["l1"] == {"layer": 2, "alpha": 0.09}
    if problem == "denoising-ae":
        assert m["final"]["val_psnr"] is not None


@pytest.mark.parametrize("solver", ["lbn-s", "sgd-bp", "proximal-gradient"])
def test_resume_continues_exactly(tmp_path, solver):
    args = ["train", "--problem", "classification", "--solver", solver, "--layers", "64,16,10", *SMALL]
    assert main(args + ["--epochs", "1", "--out", str(tmp_path / "a")]) == EXIT_OK
    assert main(args + ["--epochs", "3", "--out", str(tmp_path / "a"), "--resume"]) == EXIT_OK
    assert main(args + ["--epochs", "3", "--out", str(tmp_path / "b")]) == EXIT_OK
    a, b = _metrics(tmp_path / "a"), _metrics(tmp_path / "b")
    assert a["resumed_from_epoch"] == 1 and b["resumed_from_epoch"] is None
    assert a["history"]["epoch"] == [0, 1, 2, 3]
    assert a["history"]["objective"] == b["history"]["objective"]          # bit-identical continuation
    assert a["final"]["val_accuracy"] == b["final"]["val_accuracy"]


def test_resume_with_other_configuration_is_a_usage_error(tmp_path, capsys):
    args = ["train", "--problem", "classification", "--layers", "64,16,10", "--out", str(tmp_path), *SMALL]
    assert main(args + ["--epochs", "1"]) == EXIT_OK
    assert main(args + ["--epochs", "2", "--resume", "--option", "prox_weight=5"]) == EXIT_USAGE
    assert "different" in capsys.readouterr().err


def test_float32(tmp_path):
    rc = main(["train", "--problem", "sparse-ae", "--layers", "64,16,8,16,64", "--epochs", "1", "--dtype", "float32",
               "--out", str(tmp_path), *SMALL])
    assert rc == EXIT_OK
    assert _metrics(tmp_path)["config"]["dtype"] == "float32"


def test_missing_data_exit_code_and_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BREGNET_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BREGNET_MNIST_DIR", raising=False)
    rc = main(["train", "--problem", "classification", "--dataset", "mnist", "--out", str(tmp_path / "o"), "--quiet"])
    assert rc == EXIT_NO_DATA
    err = capsys.readouterr().err
    assert "not found" in err and "--download" in err and "--data-dir" in err


def test_divergence_exit_code_keeps_partial_history(tmp_path, capsys):
    rc = main(["train", "--problem", "classification", "--solver", "sgd-bp", "--layers", "64,16,10", "--epochs", "3",
               "--option", "lr=1e12", "--out", str(tmp_path), *SMALL])
    assert rc == EXIT_DIVERGED
    m = _metrics(tmp_path)
    assert m["status"] == "diverged" and "grew from" in m["error"]      # the growth rule fires before any inf
    assert m["history"]["epoch"][0] == 0
    assert "diverged" in capsys.readouterr().err
    rc = main(["train", "--problem", "classification", "--solver", "sgd-bp", "--layers", "64,16,10", "--epochs", "3",
               "--option", "lr=1e12", "--divergence-growth", "0", "--out", str(tmp_path), "--overwrite", *SMALL])
    assert rc == EXIT_DIVERGED and "non-finite" in _metrics(tmp_path)["error"]      # without it: at the first inf


@pytest.mark.parametrize("argv", [
    ["train", "--problem", "classification", "--solver", "newton"],
    ["train", "--problem", "classification", "--layers", "64,x"],
    ["train", "--problem", "classification", "--layers", "64,16,3"],                    # digits has 10 classes
    ["train", "--problem", "classification", "--option", "momentum=0.9"],                # not an lbn-s option
    ["train", "--problem", "classification", "--option", "novalue"],
    ["train", "--problem", "sparse-ae", "--solver", "mac-qp"],                           # no l1 term
    ["train", "--problem", "sparse-ae", "--layers", "64,16,8,64"],                       # even number of hidden layers
    ["train", "--problem", "classification", "--alpha", "0.1"],
    ["train", "--problem", "classification", "--dataset", "digits", "--data-dir", "/tmp"],
    ["train", "--problem", "regression"],                                                # argparse choice
    ["train"],                                                                           # --problem missing
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(tmp_path, argv, capsys):
    assert main(argv + ["--out", str(tmp_path)] if argv and argv[0] == "train" and len(argv) > 1 else argv) == EXIT_USAGE


def test_help_and_solvers_and_check_still_work(capsys):
    assert main(["--help"]) == EXIT_OK
    assert main(["solvers"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "lbn-s" in out and "sgd-bp" in out and "classical-lifted" in out
    assert main(["check", "relu", "identity"]) == EXIT_OK
    assert "laws held" in capsys.readouterr().out


def test_train_defaults_learn_and_the_paper_is_a_preset(tmp_path, capsys):
    """Issue 11: `bregnet train` with its defaults reached 38% test accuracy on digits (the paper's tau^k = 100 as
    default); the defaults now live on the solver and learn, and the printed settings are `--preset paper`."""
    assert main(["train", "--problem", "classification", "--out", str(tmp_path / "default"), "--quiet"]) == EXIT_OK
    m = _metrics(tmp_path / "default")
    assert m["solver"]["options"]["prox_weight"] == 1.0 and m["final"]["val_accuracy"] > 0.9
    assert main(["train", "--problem", "classification", "--epochs", "1", "--preset", "paper",
                 "--out", str(tmp_path / "paper"), "--quiet"]) == EXIT_OK
    m = _metrics(tmp_path / "paper")
    assert m["config"]["preset"] == "paper" and m["solver"]["options"]["prox_weight"] == 100.0
    assert main(["train", "--problem", "classification", "--preset", "paper", "--option", "prox_weight=2",
                 "--epochs", "1", "--out", str(tmp_path / "both"), "--quiet"]) == EXIT_OK
    assert _metrics(tmp_path / "both")["solver"]["options"]["prox_weight"] == 2.0      # --option wins
    capsys.readouterr()
    assert main(["train", "--problem", "classification", "--preset", "fast", "--out", str(tmp_path / "bad")]) \
        == EXIT_USAGE
    assert "unknown preset 'fast'" in capsys.readouterr().err and not (tmp_path / "bad").exists()


# ------------------------------------------------------------------------------------ issue 12: nothing lost
def test_train_keeps_an_earlier_run_unless_asked(tmp_path, capsys):
    """A second `train` into the same --out (with a bad option, or a good one) used to delete the checkpoint and
    rewrite it at epoch 0; now it refuses before touching disk, naming --resume and --overwrite."""
    run_dir = tmp_path / "run"
    assert main(["train", "--problem", "classification", "--epochs", "2", "--out", str(run_dir), *SMALL]) == EXIT_OK
    ck = run_dir / "checkpoint" / "training-state.npz"
    before = (ck.read_bytes(), (run_dir / "metrics.json").read_bytes())
    capsys.readouterr()
    for extra in (["--option", "prox_weight=-1"], []):
        assert main(["train", "--problem", "classification", "--epochs", "2", "--out", str(run_dir), *SMALL,
                     *extra]) == EXIT_USAGE
        assert "--resume" in capsys.readouterr().err
        assert (ck.read_bytes(), (run_dir / "metrics.json").read_bytes()) == before
    # --overwrite with a bad option still validates before touching anything
    assert main(["train", "--problem", "classification", "--out", str(run_dir), "--overwrite",
                 "--option", "prox_weight=-1", *SMALL]) == EXIT_USAGE
    assert (ck.read_bytes(), (run_dir / "metrics.json").read_bytes()) == before
    assert main(["train", "--problem", "classification", "--epochs", "1", "--out", str(run_dir), "--overwrite",
                 *SMALL]) == EXIT_OK
    assert _metrics(run_dir)["final"]["epoch"] == 1


def test_train_refuses_resume_mismatches_naming_what_differs(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "--problem", "classification", "--epochs", "2", "--out", str(run_dir), *SMALL]) == EXIT_OK
    capsys.readouterr()
    assert main(["train", "--problem", "classification", "--epochs", "3", "--out", str(run_dir), "--resume",
                 "--seed", "7", *SMALL]) == EXIT_USAGE                  # trained seed-0 numbers under seed 7 before
    assert "initial_network" in capsys.readouterr().err
    assert main(["train", "--problem", "classification", "--epochs", "1", "--out", str(run_dir), "--resume",
                 *SMALL]) == EXIT_USAGE                                 # said nothing before
    assert "beyond epochs=1" in capsys.readouterr().err
    assert main(["train", "--problem", "classification", "--epochs", "3", "--out", str(run_dir), "--resume",
                 *SMALL]) == EXIT_OK
    assert _metrics(run_dir)["history"]["epoch"] == [0, 1, 2, 3]


@pytest.mark.parametrize("args,words", [
    (["--solver", "lbn-d", "--batch-size", "10"], "full-batch solver"),
    (["--seed", "-1"], "--seed must be an integer >= 0"),
    (["--option", "shuffle=no"], "shuffle must be a bool"),
    (["--option", "shuffle=maybe"], "shuffle must be a bool"),
    (["--option", "bogus=1"], "has no option(s) ['bogus']"),
    (["--resume", "--overwrite"], "give one"),
])
def test_train_usage_errors_are_one_line(tmp_path, capsys, args, words):
    assert main(["train", "--problem", "classification", "--out", str(tmp_path / "r"), *SMALL, *args]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_out_that_is_a_file_or_unwritable(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["train", "--problem", "classification", "--out", str(f), *SMALL]) == EXIT_USAGE
    assert "names a file" in capsys.readouterr().err
    assert main(["demo", "--out", str(f / "sub"), "--quiet"]) == EXIT_USAGE        # before 10 s of training
    assert "cannot write" in capsys.readouterr().err


def test_out_in_a_read_only_directory(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os
        if os.access(locked, os.W_OK):                  # root ignores permissions: nothing to check here
            pytest.skip("running as a user who can write anywhere")
        assert main(["train", "--problem", "classification", "--out", str(locked / "r"), *SMALL]) == EXIT_USAGE
        assert "cannot write" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_corrupt_checkpoint_is_named(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "--problem", "classification", "--epochs", "1", "--out", str(run_dir), *SMALL]) == EXIT_OK
    ck = run_dir / "checkpoint" / "training-state.npz"
    ck.write_bytes(ck.read_bytes()[:100])                                  # truncated
    capsys.readouterr()
    assert main(["train", "--problem", "classification", "--epochs", "2", "--out", str(run_dir), "--resume",
                 *SMALL]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "training-state.npz" in err and "truncated" in err and "Traceback" not in err


def test_solvers_name_lists_options_defaults_and_meaning(capsys):
    assert main(["solvers", "lbn-s"]) == EXIT_OK
    out = capsys.readouterr().out
    for word in ("prox_weight", "1.0", "a real number >= 0", "sweeps per batch", "warm_start", "--preset paper"):
        assert word in out
    assert main(["solvers", "isgd-bp"]) == EXIT_OK
    assert "earlier names accepted: tau = prox_step" in capsys.readouterr().out
    assert main(["solvers", "newton"]) == EXIT_USAGE
    assert "unknown solver 'newton'" in capsys.readouterr().err


def test_divergence_is_detected_from_the_objective(tmp_path, capsys):
    """`--solver adam --option lr=1e6` exited 0 with objective 1.1e14 and 11% accuracy; now exit 4 naming lr."""
    args = ["train", "--problem", "classification", "--solver", "adam", "--option", "lr=1e6", "--epochs", "3",
            *SMALL]
    assert main([*args, "--out", str(tmp_path / "a")]) == EXIT_DIVERGED
    err = capsys.readouterr().err
    assert "grew from" in err and "lower lr (it is 1000000.0)" in err and "Traceback" not in err
    m = _metrics(tmp_path / "a")
    assert m["status"] == "diverged" and m["history"]["epoch"] == [0]
    assert main([*args, "--out", str(tmp_path / "b"), "--divergence-growth", "0"]) == EXIT_OK    # rule off


# ------------------------------------------------------------------------------------ issue 12: bregnet check
def _check_table_lines(out):
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("activation"))
    j = next(k for k in range(i, len(lines)) if not lines[k].strip())
    return lines[i], lines[i + 1:j], lines[j:]


@pytest.mark.parametrize("names", [["relu"], ["relu", "softmax"], ["nonneg_soft_threshold", "relu"]])
def test_check_table_aligned_for_any_number_of_activations(names, capsys):
    """`bregnet check relu` printed the header 'activation' wider than the column of 'relu'."""
    assert main(["check", *names]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"on {len(names)} activation{'' if len(names) == 1 else 's'} " in out
    header, rows, _ = _check_table_lines(out)
    laws = list(cli.check_activation("relu"))
    assert [r.split()[0] for r in rows] == names
    ends = [header.index(h) + len(h) for h in laws]                  # the columns are right-aligned
    for row in rows:
        assert len(row) == len(header)
        assert all(row[e - 2:e] == "ok" for e in ends)
        assert row[:header.index(laws[0])].strip() in names           # the names stay in the first column


def test_check_legend_explains_every_column(capsys):
    assert main(["check", "relu"]) == EXIT_OK
    out = capsys.readouterr().out
    _, _, after = _check_table_lines(out)
    legend = [line.strip() for line in after if line.startswith("  ")]
    laws = list(cli.check_activation("relu"))
    assert [line.split("  ")[0] for line in legend] == laws         # one line per column, in the table's order
    refs = ("Definition 1", "Remark 2", "Theorem 7", "Lemma 4", "Lemma 8", "eq. (15)", "Corollary 6",
            "Theorem 10, item 7", "Theorem 10, item 8", "Theorem 10, item 10", "Theorem 10, item 11")
    for ref in refs:
        assert any(ref in line for line in legend), ref
    assert all(len(line.split("  ", 1)[1].strip()) > 20 for line in legend)
    assert out.rstrip().splitlines()[-1].startswith("12 laws held, 0 failed")


@pytest.mark.parametrize("argv", [["--n", "0"], ["--n", "-2", "relu"], ["--seed", "-1", "relu"]])
def test_check_nonpositive_n_is_a_one_line_usage_error(argv, capsys):
    """`bregnet check --n 0` ended in a traceback (a reshape of an empty array) with exit 1."""
    assert main(["check", *argv]) == EXIT_USAGE
    cap = capsys.readouterr()
    assert cap.out == ""
    err = cap.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("bregnet check: " + argv[0] + " must be an integer >= ")


def test_check_activation_rejects_bad_sizes():
    from bregnet.exceptions import BregnetInputError

    for kw in ({"n": 0}, {"n": -1}, {"n_rows": 3}, {"seed": -1}, {"n": 2.5}):
        with pytest.raises(BregnetInputError, match=next(iter(kw))):
            cli.check_activation("relu", **kw)


def test_main_module_runs_nothing_when_imported_by_a_spawned_worker():
    """Spawned workers (process pools, Dask's LocalCluster of --dask-workers) import ``__main__`` again as
    ``__mp_main__``: it must not run the command (it did: sys.exit(main()) without a guard)."""
    import runpy
    runpy.run_module("bregnet.__main__", run_name="__mp_main__")     # no SystemExit


def test_solvers_lists_the_penalties_and_train_takes_one(tmp_path, capsys):
    """Issue 15: the lifted family's penalties are listed per solver and chosen by `--penalty`."""
    assert main(["solvers"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "penalties" in out and "inertial-bcd" in out and "adam-bcd" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("lbn-s "))
    assert "bregman, mac, fenchel, classical" in row
    assert "(classical)" in next(line for line in out.splitlines() if line.strip().startswith("classical-lifted"))
    for penalty in ("mac", "classical"):
        d = tmp_path / penalty
        assert main(["train", "--problem", "classification", "--solver", "inertial-bcd", "--penalty", penalty,
                     "--epochs", "2", "--out", str(d), "--quiet"]) == EXIT_OK
        m = _metrics(d)
        assert m["config"]["penalty"] == penalty and m["status"] == "ok"
        assert m["history"]["energy"][-1] < m["history"]["energy"][0]
    capsys.readouterr()
    assert main(["train", "--problem", "classification", "--solver", "sgd-bp", "--penalty", "mac", "--epochs", "1",
                 "--out", str(tmp_path / "bad"), "--quiet"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "does not take penalty 'mac'" in err and "Traceback" not in err and not (tmp_path / "bad").exists()
