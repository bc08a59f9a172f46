"""Smoke test of the Section 6 reproductions (validation/): every experiment's --quick mode end to end.

Checks the pipeline, the files written and the resume path on the scikit-learn digits (no network, no
Fashion-MNIST), not the numbers.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "validation" / "run.py").exists():  # pragma: no cover - installed without the scripts
    pytest.skip("validation/ scripts not present", allow_module_level=True)
sys.path.insert(0, str(ROOT))

from validation import make_report, run  # noqa: E402

PLOTS = {"table1": ["table1_curves.png", "table2_linear_rates.png"],
         "fig3": ["fig3_objective_sparsity.png", "fig4_train_reconstructions.png", "fig5_val_reconstructions.png"],
         "fig6": ["fig6_objective_sparsity.png", "fig9_train_denoised.png", "fig10_val_denoised.png"],
         "fig7": ["fig7_objective_sparsity.png", "fig11_train_denoised.png", "fig12_val_denoised.png"],
         "fig8": ["fig8.png"]}


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("quick")
    for name in PLOTS:
        out = root / "results" / name
        rc = run.main([name, "--quick", "--out", str(out), "--ckpt-dir", str(root / "ckpt"), "--epochs", "1",
                       "--uae-epochs", "1", "--dataset", "digits"] if name == "fig8" else
                      [name, "--quick", "--out", str(out), "--ckpt-dir", str(root / "ckpt"), "--epochs", "1",
                       "--dataset", "digits"])
        assert rc == 0
    return root


@pytest.mark.parametrize("name", list(PLOTS))
def test_quick_files(quick_runs, name):
    out = quick_runs / "results" / name
    meta = json.loads((out / "metrics.json").read_text())
    assert meta["experiment"] == name and meta["quick"] is True and meta["status"] == "complete"
    assert {"numpy", "python", "git_commit"} <= set(meta["versions"])
    assert "python validation/run.py " + name in (out / "COMMAND").read_text()
    for m, rec in meta["methods"].items():
        h = rec["history"]
        assert h["epoch"] == [0, 1], m
        assert len(h["wall_time"]) == 2 and "train_objective" in h and "val_mse" in h
        assert rec["final"]["epoch"] == 1
    for png in PLOTS[name]:
        assert (out / png).stat().st_size > 1000, png
    if name == "table1":
        assert set(meta["table1"]) == {"lbn", "sgd-bp", "classical-lifted"}
        assert len(meta["table2"]["lbn"]["linear_rate"]) == 2


def test_resume_continues_exactly(quick_runs, tmp_path):
    """One more epoch from the engine's checkpoints equals a fresh two-epoch run (same seed) bit for bit, and keeps
    epoch 1."""
    ck = quick_runs / "ckpt"
    out1 = quick_runs / "results" / "fig6"
    rc = run.main(["fig6", "--quick", "--out", str(out1), "--ckpt-dir", str(ck), "--epochs", "2", "--resume",
                   "--dataset", "digits", "--methods", "lbn,sgd-bp"])
    assert rc == 0
    resumed = json.loads((out1 / "metrics.json").read_text())["methods"]
    fresh_out = tmp_path / "fresh"
    run.main(["fig6", "--quick", "--out", str(fresh_out), "--ckpt-dir", str(tmp_path / "ck"), "--epochs", "2",
              "--dataset", "digits", "--methods", "lbn,sgd-bp"])
    fresh = json.loads((fresh_out / "metrics.json").read_text())["methods"]
    for m in ("lbn", "sgd-bp"):
        assert resumed[m]["history"]["epoch"] == [0, 1, 2]
        for k, col in fresh[m]["history"].items():
            if k != "wall_time":
                assert resumed[m]["history"][k] == col, (m, k)
        assert resumed[m]["final"] == fresh[m]["final"]
    # a checkpoint written with other options is refused
    with pytest.raises(SystemExit):
        run.main(["fig6", "--quick", "--out", str(out1), "--ckpt-dir", str(ck), "--epochs", "3", "--resume",
                  "--dataset", "digits", "--methods", "lbn", "--code-threshold", "0.5"])


def test_report_generation(quick_runs, tmp_path):
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(quick_runs / "results"), "--out", str(report)])
    text = report.read_text()
    assert "Table 1" in text and "Figure 3" in text and "Figure 8" in text
    assert "quick" in text.lower()


def _set_finals(results, name, finals):
    """Overwrite final numbers (and the last history entry) of methods in a copied result directory."""
    path = results / name / "metrics.json"
    meta = json.loads(path.read_text())
    for m, values in finals.items():
        meta["methods"][m]["final"].update(values)
        for k, v in values.items():
            meta["methods"][m]["history"][k][-1] = v
    path.write_text(json.dumps(meta))


@pytest.mark.parametrize("sgd_val, lbn_val, verdict", [
    (4.0, 5.0, "SGD-BP matches ISGD-BP (largest relative difference 0.0%"),
    (4.0, 3.0, "the paper's statement holds."),
    (4.0, 5.0, "is below in validation error"),
    (8.0, 5.0, "SGD-BP does not match ISGD-BP (largest relative difference 100.0%"),
])
def test_report_fig8_verdict(quick_runs, tmp_path, sgd_val, lbn_val, verdict):
    """The Fig. 8 sentence judges the long SGD-BP run against ISGD-BP (within 5%) and LBN (stays above)."""
    results = tmp_path / "results"
    shutil.copytree(quick_runs / "results", results)
    _set_finals(results, "fig7", {"isgd-bp": {"train_objective": 5.0, "val_mse": 4.0},
                                  "lbn": {"train_objective": 3.0, "val_mse": lbn_val}})
    _set_finals(results, "fig8", {"sgd-bp-1500": {"train_objective": 5.0, "val_mse": sgd_val}})
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(results), "--out", str(report)])
    assert verdict in report.read_text()


def test_classical_lifted_more_sweeps_continues_exactly(quick_runs, tmp_path, capsys):
    """A complete classical-lifted run asked for more sweeps continues from its checkpoint (the engine's checkpoint
    holds its auxiliary variables and step sizes), and equals a fresh run of the longer length bit for bit."""
    ck = quick_runs / "ckpt"
    out = quick_runs / "results" / "table1"
    argv = ["table1", "--quick", "--out", str(out), "--ckpt-dir", str(ck), "--epochs", "2", "--dataset", "digits",
            "--methods", "classical-lifted"]
    before = json.loads((out / "methods" / "classical-lifted.json").read_text())
    assert run.main(argv + ["--resume"]) == 0
    assert "restart" not in capsys.readouterr().out
    resumed = json.loads((out / "metrics.json").read_text())["methods"]["classical-lifted"]
    assert resumed["history"]["epoch"] == [0, 1, 2] and resumed["status"] == "complete"
    assert resumed["history"]["wall_time"][:2] == before["history"]["wall_time"]    # epoch 1 kept, not retrained
    fresh_out = tmp_path / "fresh"
    assert run.main(argv[:3] + [str(fresh_out), "--ckpt-dir", str(tmp_path / "ck")] + argv[6:]) == 0
    fresh = json.loads((fresh_out / "metrics.json").read_text())["methods"]["classical-lifted"]
    for k, col in fresh["history"].items():
        if k != "wall_time":
            assert resumed["history"][k] == col, k


def test_interrupted_run_with_eval_every_resumes_to_the_uninterrupted_record(tmp_path):
    """A run stopped after its record of epoch 3 was written but before the checkpoint of epoch 3 (an unrecorded
    epoch of --eval-every 2) resumes from the checkpoint of epoch 2, and its record equals the uninterrupted one."""
    from validation import common, fig6
    args = run.parser().parse_args(["fig6", "--quick", "--dataset", "digits", "--epochs", "5"])
    lbn = fig6.build(args)[0][0]
    assert lbn.config()["options"]["warm_start"] == "epoch"      # Algorithm 1 as when the results were made

    def train(d, on_epoch=None, resume=False):
        return common.train_method(lbn, ckpt_path=d / "lbn.npz", record_path=d / "lbn.json", resume=resume,
                                   seed=0, quick=True, eval_every=2, on_epoch=on_epoch)

    class Stop(Exception):
        pass

    def stop_at_3(method, rec):
        if rec["epochs_done"] == 3:
            raise Stop

    with pytest.raises(Stop):
        train(tmp_path / "a", stop_at_3)
    partial = json.loads((tmp_path / "a" / "lbn.json").read_text())
    assert partial["epochs_done"] == 3 and partial["history"]["epoch"] == [0, 2] and "unrecorded_wall_time" in partial
    resumed, whole = train(tmp_path / "a", resume=True), train(tmp_path / "b")
    assert resumed["history"]["epoch"] == whole["history"]["epoch"] == [0, 2, 4, 5]
    for k, col in whole["history"].items():
        if k != "wall_time":
            assert resumed["history"][k] == col, k
    assert list(resumed) == list(whole) and resumed["final"] == whole["final"]
    np.savez(tmp_path / "a" / "lbn.npz", meta=np.array('{"fingerprint": {}}'))   # a checkpoint of the earlier harness
    with pytest.raises(SystemExit, match="different configuration"):
        train(tmp_path / "a", resume=True)


def test_eval_every_records_sparse_history_and_same_training(tmp_path):
    """--eval-every 2 records epochs 0, 2, 3 (the last) and trains exactly as per-epoch evaluation does;
    seconds per epoch counts the unrecorded epochs."""
    base = ["fig6", "--quick", "--dataset", "digits", "--methods", "sgd-bp", "--epochs", "3"]
    assert run.main(base + ["--out", str(tmp_path / "a"), "--ckpt-dir", str(tmp_path / "ca")]) == 0
    assert run.main(base + ["--out", str(tmp_path / "b"), "--ckpt-dir", str(tmp_path / "cb"),
                            "--eval-every", "2"]) == 0
    every = json.loads((tmp_path / "a" / "metrics.json").read_text())["methods"]["sgd-bp"]
    sparse = json.loads((tmp_path / "b" / "metrics.json").read_text())["methods"]["sgd-bp"]
    assert every["history"]["epoch"] == [0, 1, 2, 3]
    assert sparse["history"]["epoch"] == [0, 2, 3] and sparse["config"]["eval_every"] == 2
    for k in (0, 2, 3):
        assert sparse["history"]["train_objective"][[0, 2, 3].index(k)] == \
            pytest.approx(every["history"]["train_objective"][k], rel=1e-12)
    assert make_report.seconds_per_epoch(sparse["history"]) == pytest.approx(sum(sparse["history"]["wall_time"]) / 3)
    with pytest.raises(SystemExit):
        run.main(base + ["--out", str(tmp_path / "c"), "--eval-every", "0"])


def test_seconds_per_epoch_rejects_short_or_inconsistent_history():
    assert make_report.seconds_per_epoch({"epoch": [0], "wall_time": [0.0]}) is None
    assert make_report.seconds_per_epoch({"epoch": [0, 1, 2], "wall_time": [0.0, 1.0]}) is None
    assert make_report.seconds_per_epoch({"epoch": [0, 5], "wall_time": [0.0, 10.0]}) == 2.0


def test_fig7_images_include_the_long_sgd_run(quick_runs):
    """Figs. 11/12 show the fig8 long SGD-BP run (as in the paper) once its checkpoint exists."""
    ck = quick_runs / "ckpt"
    assert (ck / "fig8" / "sgd-bp-1500.npz").exists()
    out = quick_runs / "results" / "fig7"
    from matplotlib.image import imread
    before = imread(out / "fig11_train_denoised.png").shape
    assert run.main(["fig7", "--quick", "--out", str(out), "--ckpt-dir", str(ck), "--plot-only", "--epochs", "1",
                     "--dataset", "digits"]) == 0
    after = imread(out / "fig11_train_denoised.png").shape
    assert after[0] > before[0]        # one more row of images


def test_table1_lbn_prox_grid(tmp_path):
    """--lbn-prox-grid adds LBN runs at other proximal weights, and the report tables them."""
    out = tmp_path / "results" / "table1" / "digits"
    assert run.main(["table1", "--quick", "--dataset", "digits", "--epochs", "1", "--out", str(out),
                     "--ckpt-dir", str(tmp_path / "ck"), "--methods", "lbn,lbn-prox1", "--lbn-prox-grid", "1"]) == 0
    recs = json.loads((out / "metrics.json").read_text())["methods"]
    assert recs["lbn-prox1"]["config"]["options"]["prox_weight"] == 1.0
    assert recs["lbn"]["config"]["options"]["prox_weight"] == 100.0
    assert recs["lbn"]["config"]["options"]["warm_start"] == recs["lbn-prox1"]["config"]["options"]["warm_start"] \
        == "epoch"
    assert recs["lbn-prox1"]["history"]["train_objective"] != recs["lbn"]["history"]["train_objective"]
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(tmp_path / "results"), "--out", str(report)])
    assert "LBN proximal-weight sensitivity" in report.read_text()
    for bad in ("0", "-1", "x", "inf"):
        with pytest.raises(SystemExit):
            run.main(["table1", "--quick", "--dataset", "digits", "--out", str(tmp_path / "bad"),
                      "--lbn-prox-grid", bad])


def test_table1_full_mnist_from_user_idx_files(tmp_path):
    """table1 --dataset mnist reads the user's IDX files (--data-dir); the report sections them as MNIST and
    labels a split other than 60,000/10,000."""
    from bregnet.datasets import write_idx
    idx = tmp_path / "idx"
    idx.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 300), ("t10k", 150)):
        write_idx(idx / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(idx / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    out = tmp_path / "results" / "table1" / "mnist"
    assert run.main(["table1", "--quick", "--dataset", "mnist", "--data-dir", str(idx), "--out", str(out),
                     "--ckpt-dir", str(tmp_path / "ck"), "--epochs", "1"]) == 0
    conf = json.loads((out / "metrics.json").read_text())["configuration"]
    assert conf["dataset"] == "mnist" and "non-standard split 300/150" in conf["dataset_label"]
    assert not conf["comparable_to_paper"]
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(tmp_path / "results"), "--out", str(report)])
    text = report.read_text()
    assert "### MNIST (non-standard split 300/150)" in text and "Paper column: MNIST 60,000/10,000" in text
    assert "Full MNIST (60,000/10,000): not run" not in text
    from bregnet.datasets import DatasetNotFoundError
    with pytest.raises(DatasetNotFoundError, match="data_dir argument"):
        run.main(["table1", "--quick", "--dataset", "mnist", "--data-dir", str(tmp_path / "missing"),
                  "--out", str(tmp_path / "bad")])


def test_fig7_lbn_prox_grid(tmp_path):
    """fig7 --lbn-prox-grid adds LBN runs at other proximal weights; the report compares them with tau_k = 1."""
    out = tmp_path / "results" / "fig7"
    assert run.main(["fig7", "--quick", "--dataset", "digits", "--epochs", "1", "--out", str(out),
                     "--ckpt-dir", str(tmp_path / "ck"), "--methods", "lbn,lbn-prox0.005",
                     "--lbn-prox-grid", "0.005"]) == 0
    meta = json.loads((out / "metrics.json").read_text())
    recs = meta["methods"]
    assert recs["lbn-prox0.005"]["config"]["options"]["prox_weight"] == 0.005
    assert recs["lbn"]["config"]["options"]["prox_weight"] == 1.0
    assert meta["configuration"]["lbn_prox_grid"] == [0.005]
    assert recs["lbn-prox0.005"]["history"]["train_objective"] != recs["lbn"]["history"]["train_objective"]
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(tmp_path / "results"), "--out", str(report)])
    text = report.read_text()
    fig7 = text[text.index("## Figures 7, 11, 12"):text.index("## Figure 8")]
    assert "LBN proximal-weight sensitivity" in fig7 and "- tau_k 0.005 at epoch 1: sparsity" in fig7
    with pytest.raises(SystemExit):
        run.main(["fig7", "--quick", "--out", str(tmp_path / "bad"), "--lbn-prox-grid", "-1"])


def test_table1_sgd_lr_grid(tmp_path):
    """--sgd-lr-grid adds SGD-BP runs at other rates; the report tables them sorted by rate and names the best."""
    out = tmp_path / "results" / "table1" / "digits"
    assert run.main(["table1", "--quick", "--dataset", "digits", "--epochs", "1", "--out", str(out),
                     "--ckpt-dir", str(tmp_path / "ck"), "--methods", "sgd-bp,sgd-bp-lr0.1",
                     "--sgd-lr-grid", "0.1"]) == 0
    recs = json.loads((out / "metrics.json").read_text())["methods"]
    assert recs["sgd-bp-lr0.1"]["config"]["options"]["lr"] == 0.1
    assert recs["sgd-bp"]["config"]["options"]["lr"] == 1e-3
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(tmp_path / "results"), "--out", str(report)])
    text = report.read_text()
    assert "SGD-BP step-size sensitivity" in text
    assert text.index("| 0.001 |") < text.index("| 0.1 |")
    mse = {k: recs[k]["final"]["train_mse"] for k in ("sgd-bp", "sgd-bp-lr0.1")}
    best = "0.001" if mse["sgd-bp"] <= mse["sgd-bp-lr0.1"] else "0.1"
    assert f"Best of these by training objective (the paper's criterion): lr {best} " in text


def test_plot_only_without_checkpoints_warns(quick_runs, tmp_path, capsys):
    """--plot-only pointed at no checkpoints says so (the images would lack the trained networks)."""
    out = tmp_path / "fig6"
    assert run.main(["fig6", "--quick", "--out", str(out), "--ckpt-dir", str(tmp_path / "none"), "--plot-only",
                     "--epochs", "1", "--dataset", "digits"]) == 0
    assert "no checkpoints" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert run.main(["fig6", "--quick", "--out", str(out), "--ckpt-dir", str(quick_runs / "ckpt"), "--plot-only",
                     "--epochs", "1", "--dataset", "digits"]) == 0
    assert "no checkpoints" not in capsys.readouterr().err


def test_run_script_reports_missing_data(tmp_path):
    """`python validation/run.py` with missing data prints where to get them (no traceback), exit status 3."""
    import subprocess
    proc = subprocess.run([sys.executable, str(ROOT / "validation" / "run.py"), "table1", "--dataset", "mnist",
                           "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("run.py: MNIST:") and "Traceback" not in proc.stderr


def test_method_colours_distinct_for_sensitivity_runs():
    """Extra runs get colours of their own (they used to share matplotlib's cycle with the fixed ones)."""
    from validation.common import METHOD_COLOURS, method_colours
    names = ["lbn", "sgd-bp", "isgd-bp", "lbn-prox0.005", "lbn-prox0.05"]
    c = method_colours(names)
    assert [c[n] for n in names[:3]] == [METHOD_COLOURS[n] for n in names[:3]]
    assert len(set(c.values())) == len(names)


def test_separate_grid_processes_keep_each_others_paper_epochs(tmp_path):
    """Two invocations with different --lbn-prox-grid values writing one directory: metrics.json keeps the
    paper epochs (and so the REDUCED label) of both runs."""
    out = tmp_path / "fig7"
    base = ["fig7", "--quick", "--dataset", "digits", "--epochs", "1", "--out", str(out), "--ckpt-dir", str(tmp_path / "ck")]
    assert run.main(base + ["--methods", "lbn-prox0.5", "--lbn-prox-grid", "0.5"]) == 0
    assert run.main(base + ["--methods", "lbn-prox2", "--lbn-prox-grid", "2"]) == 0
    meta = json.loads((out / "metrics.json").read_text())
    assert {"lbn-prox0.5", "lbn-prox2"} <= set(meta["configuration"]["paper_epochs"])
    assert {"lbn-prox0.5", "lbn-prox2"} <= set(meta["methods"])
    # a report of a directory with grid runs only (no tau_k = 1 run to compare with) still renders
    results = tmp_path / "results"
    results.mkdir()
    shutil.copytree(out, results / "fig7")
    make_report.main(["--results", str(results), "--out", str(tmp_path / "REPORT.md")])
    assert "## Figures 7, 11, 12" in (tmp_path / "REPORT.md").read_text()


def test_checkpoints_of_another_output_are_not_overwritten(tmp_path, capsys, monkeypatch):
    """A new --out meeting checkpoints of the same methods in a shared checkpoint directory (BREGNET_CKPT_DIR) stops
    before writing, naming --resume and --overwrite; validation/run.py ends so with exit status 2 and one line."""
    base = ["fig6", "--quick", "--dataset", "digits", "--epochs", "1", "--methods", "sgd-bp", "--quiet",
            "--ckpt-dir", str(tmp_path / "ck")]
    assert run.main(base + ["--out", str(tmp_path / "a")]) == 0
    ckpt = tmp_path / "ck" / "fig6" / "sgd-bp.npz"
    stamp = ckpt.read_bytes()
    with pytest.raises(SystemExit, match="pass --resume to continue them or --overwrite to replace them"):
        run.main(base + ["--out", str(tmp_path / "b")])
    assert ckpt.read_bytes() == stamp and not (tmp_path / "b").exists()
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["validation/run.py", *base, "--out", str(tmp_path / "b")])
    assert run._script() == 2
    err = capsys.readouterr().err
    assert err.startswith("run.py: ") and err.count("\n") == 1 and "--resume" in err and "--overwrite" in err
    assert run.main(base + ["--out", str(tmp_path / "b"), "--resume"]) == 0          # continuing is allowed
    assert run.main(base + ["--out", str(tmp_path / "b"), "--overwrite"]) == 0


def test_resume_without_the_checkpoint_is_refused(tmp_path):
    """--resume of a method whose record has trained epochs but whose checkpoint is not where the run looks would
    retrain from epoch 0 over the record: refused, the record kept."""
    out = tmp_path / "a"
    base = ["fig6", "--quick", "--dataset", "digits", "--epochs", "1", "--methods", "sgd-bp", "--quiet", "--out",
            str(out)]
    assert run.main(base + ["--ckpt-dir", str(tmp_path / "ck")]) == 0
    rec = (out / "methods" / "sgd-bp.json").read_bytes()
    with pytest.raises(SystemExit, match="--resume: no checkpoint of sgd-bp"):
        run.main(base[:5] + ["2"] + base[6:] + ["--ckpt-dir", str(tmp_path / "elsewhere"), "--resume"])
    assert (out / "methods" / "sgd-bp.json").read_bytes() == rec and not (tmp_path / "elsewhere").exists()


def test_run_section_is_the_report_section_of_the_run(quick_runs, tmp_path):
    """The table a run prints (make_report.run_section on its directory) is its experiment's part of the report,
    with the run's directory in place of results/..."""
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(quick_runs / "results"), "--out", str(report)])
    text = report.read_text().splitlines()
    results = quick_runs / "results"
    for name, heads in (("table1", ["## Table 1:", "## Table 2:"]), ("table2", ["## Table 1:", "## Table 2:"]),
                        ("fig3", ["## Figures 3, 4, 5:"]), ("fig6", ["## Figures 6, 9, 10:"]),
                        ("fig7", ["## Figures 7, 11, 12:"]), ("fig8", ["## Figure 8:"])):
        rel = "table1/." if name.startswith("table") else name      # the fixture's table1 has no dataset level
        out = results / rel.rstrip("/.")
        lines = make_report.run_section(name, out, fig7=results / "fig7" / "metrics.json")
        titles = [line for line in lines if line.startswith("## ")]
        assert len(titles) == len(heads) and all(t.startswith(h) for t, h in zip(titles, heads)), titles
        assert any(line.startswith("| ") for line in lines)
        for line in lines:
            assert line.replace(str(out), f"results/{rel}") in text, (name, line)
    fig8 = make_report.run_section("fig8", results / "fig8", fig7=results / "fig7" / "metrics.json")
    assert any("Paper: after 1,500 epochs SGD-BP matches ISGD-BP" in line for line in fig8)
    assert make_report.run_section("fig6", tmp_path / "none") == []


def test_fig6_batch_sum_and_aux_sparsity_methods(tmp_path):
    """--batch-sum adds the printed rates read for a summed batch objective (LBN tau/B, SGD lr*B, ISGD lr*B and
    prox step tau*B); --aux-sparsity adds LBN recording the zeros of X_2, trained like lbn."""
    out = tmp_path / "results" / "fig6"
    assert run.main(["fig6", "--quick", "--epochs", "1", "--out", str(out), "--ckpt-dir", str(tmp_path / "ck"),
                     "--batch-sum", "--aux-sparsity", "--quiet",
                     "--methods", "lbn,isgd-bp,lbn-sum,sgd-bp-sum,isgd-bp-sum,lbn-auxsp"]) == 0
    recs = json.loads((out / "metrics.json").read_text())["methods"]
    opts = {k: r["config"]["options"] for k, r in recs.items()}
    assert opts["lbn-sum"]["prox_weight"] == pytest.approx(0.5 / 20) and opts["lbn"]["prox_weight"] == 0.5
    assert opts["sgd-bp-sum"]["lr"] == pytest.approx(20e-3)
    assert opts["isgd-bp-sum"]["lr"] == pytest.approx(20e-3) and opts["isgd-bp-sum"]["tau"] == pytest.approx(10.0)
    assert recs["lbn-sum"]["history"]["train_objective"] != recs["lbn"]["history"]["train_objective"]
    aux, fwd = recs["lbn-auxsp"]["final"], recs["lbn"]["final"]
    assert aux["train_objective"] == pytest.approx(fwd["train_objective"], rel=1e-6)
    assert 0 <= aux["aux_train_sparsity"] <= 1 and aux["aux_train_sparsity"] != fwd["train_sparsity"]
    report = tmp_path / "REPORT.md"
    make_report.main(["--results", str(tmp_path / "results"), "--out", str(report)])
    text = report.read_text()
    sec = text[text.index("## Readings of Section 6.3"):]
    assert "- Fig. 6, mean (ours): at epoch 1 LBN" in sec and "- Fig. 6, batch-sum: at epoch 1 LBN" in sec
    row = next(line for line in sec.splitlines() if line.startswith("| fig6 | lbn-auxsp |"))
    assert f"{100 * aux['aux_train_sparsity']:.1f}%" in row
    with pytest.raises(SystemExit):                         # not defined without the flag
        run.main(["fig6", "--quick", "--out", str(tmp_path / "o2"), "--methods", "lbn-sum"])
