"""``bregnet train --scheduler ADDRESS / --dask-workers N`` (issue 18): data-resident model averaging from the CLI."""
import json

import pytest

from bregnet.cli import EXIT_CLUSTER, EXIT_OK, EXIT_USAGE, main

pytest.importorskip("distributed")

BASE = ["train", "--problem", "classification", "--layers", "64,12,10", "--n-train", "300", "--n-test", "60",
        "--quiet", "--option", "n_batches=4", "--option", "n_inner=3", "--option", "use_kernel=false"]


@pytest.mark.parametrize("extra,needle", [
    (["--scheduler", "tcp://127.0.0.1:8786", "--dask-workers", "2"], "give one"),
    (["--dask-workers", "0"], "--dask-workers must be >= 1"),
    (["--scheduler", "nohost"], "--scheduler must be an address"),
    (["--dask-workers", "2", "--retries", "-1"], "--retries must be >= 0"),
    (["--dask-workers", "2", "--option", "split=reshuffle"], "split=fixed"),
])
def test_bad_cluster_options_are_one_line_usage_errors(tmp_path, capsys, extra, needle):
    out = tmp_path / "run"
    rc = main(BASE + ["--solver", "model-averaging", "--out", str(out)] + extra)
    err = capsys.readouterr().err
    assert rc == EXIT_USAGE and needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()                                    # checked before touching the disk


def test_cluster_options_need_a_data_parallel_solver(tmp_path, capsys):
    rc = main(BASE[:-6] + ["--solver", "lbn-s", "--dask-workers", "2", "--out", str(tmp_path / "r")])
    assert rc == EXIT_USAGE and "model-averaging or parallel-implicit" in capsys.readouterr().err


def test_unreachable_scheduler_is_exit_5_without_files(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(BASE + ["--solver", "model-averaging", "--scheduler", "tcp://127.0.0.1:9", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == EXIT_CLUSTER and "cannot reach the Dask cluster" in err and "Traceback" not in err
    assert not out.exists()


def test_local_cluster_run_equals_the_synchronous_fixed_split(tmp_path):
    common = BASE + ["--solver", "parallel-implicit", "--epochs", "2"]
    assert main(common + ["--option", "split=fixed", "--out", str(tmp_path / "sync")]) == EXIT_OK
    assert main(common + ["--dask-workers", "2", "--out", str(tmp_path / "dask")]) == EXIT_OK
    a = json.loads((tmp_path / "sync" / "metrics.json").read_text())
    b = json.loads((tmp_path / "dask" / "metrics.json").read_text())
    assert a["history"]["objective"] == b["history"]["objective"] and len(a["history"]["objective"]) == 3
    assert b["config"]["cluster"]["dask_workers"] == 2 and b["solver"]["options"]["split"] == "fixed"


def test_lost_worker_stops_with_exit_5_and_the_checkpoint_resumes(tmp_path, capsys, monkeypatch):
    from bregnet.solvers.partitions import ClusterError, DaskResident
    real = DaskResident.map_partitions
    calls = {"n": 0}

    def failing(self, *a, **k):                                # rounds: diagnostics 0, update 1, diag 1, update 2
        calls["n"] += 1
        if calls["n"] == 4:
            raise ClusterError("DaskResident: a worker was lost and the round failed 1 time(s); retries=0 spent")
        return real(self, *a, **k)

    out = tmp_path / "run"
    common = BASE + ["--solver", "model-averaging", "--epochs", "3", "--dask-workers", "1", "--out", str(out)]
    with monkeypatch.context() as m:
        m.setattr(DaskResident, "map_partitions", failing)
        rc = main(common)
    err = capsys.readouterr().err
    assert rc == EXIT_CLUSTER and "worker was lost" in err and "--resume" in err and "Traceback" not in err
    assert (out / "checkpoint" / "training-state.npz").exists()
    assert main(common + ["--resume"]) == EXIT_OK
    done = json.loads((out / "metrics.json").read_text())
    assert done["resumed_from_epoch"] == 1 and done["history"]["epoch"] == [0, 1, 2, 3]
