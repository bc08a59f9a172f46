"""``bregnet invert``: a network of ``bregnet train`` and a network file inverted; bad inputs are one line, the
documented exit code, no traceback and nothing written."""
import json

import numpy as np
import pytest

from bregnet.cli import EXIT_DIVERGED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from bregnet.inversion import load_network, save_network
from bregnet.network import Network, glorot_init


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    net = Network((rng.normal(size=(16, 40)) / 4,), (np.zeros(40),), ("relu",))
    save_network(net, tmp_path / "net.npz")
    u = np.abs(rng.normal(size=(2, 16)))
    F = net.forward(u)
    np.save(tmp_path / "f.npy", F)
    np.savetxt(tmp_path / "f.csv", F, delimiter=",")
    return tmp_path, net, u, F


def test_invert_writes_reconstruction_metrics_and_resumes_exactly(files, capsys):
    d, net, u, F = files
    full, part = d / "full", d / "part"
    args = ["invert", "--network", str(d / "net.npz"), "--regulariser", "tv", "--alpha", "1e-4",
            "--image-shape", "4,4", "--quiet"]
    assert main(args + ["--output", str(d / "f.npy"), "--epochs", "300", "--out", str(full)]) == EXIT_OK
    rec = np.load(full / "reconstruction.npy")
    m = json.loads((full / "metrics.json").read_text())
    mis = m["history"]["output_misfit"]
    assert rec.shape == (2, 16) and mis[-1] < 1e-3 * mis[0]
    assert m["status"] == "ok" and m["history"]["epoch"][-1] == 300 and m["config"]["solver"] == "lifted-inversion"
    for f in ("history.png", "reconstruction.png", "checkpoint/inversion-state.npz"):
        assert (full / f).stat().st_size > 0
    assert main(args + ["--output", str(d / "f.csv"), "--epochs", "120", "--out", str(part)]) == EXIT_OK
    assert main(args + ["--output", str(d / "f.csv"), "--epochs", "120", "--out", str(part)]) == EXIT_USAGE
    assert "--resume" in capsys.readouterr().err
    assert main(args + ["--output", str(d / "f.csv"), "--epochs", "300", "--out", str(part), "--resume"]) == EXIT_OK
    np.testing.assert_array_equal(np.load(part / "reconstruction.npy"), rec)
    assert json.loads((part / "metrics.json").read_text())["resumed_from_epoch"] == 120


def test_invert_reads_the_network_of_bregnet_train(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--problem", "classification", "--dataset", "digits", "--layers", "64,20,10",
                 "--epochs", "1", "--n-train", "50", "--n-test", "20", "--out", str(out), "--quiet"]) == EXIT_OK
    net = load_network(out)
    assert net.layer_sizes == (64, 20, 10)
    assert [a.name for a in net.activations] == [a.name for a in load_network(out / "checkpoint"
                                                                             / "training-state.npz").activations]
    np.save(tmp_path / "f.npy", net.forward(np.ones((1, 64))))
    assert main(["invert", "--network", str(out), "--output", str(tmp_path / "f.npy"), "--method", "backprop",
                 "--regulariser", "tikhonov", "--alpha", "0.01", "--epochs", "5", "--out", str(tmp_path / "inv"),
                 "--quiet"]) == EXIT_OK


BAD = [
    (["--network", "{d}/missing.npz"], EXIT_USAGE, "does not exist"),
    (["--network", "{d}/f.npy"], EXIT_USAGE, "cannot read"),
    (["--output", "{d}/f.txt"], EXIT_USAGE, ".npy or .csv"),
    (["--output", "{d}/bad.csv"], EXIT_FAILURE, "malformed"),
    (["--output", "{d}/wide.npy"], EXIT_USAGE, "columns"),
    (["--output", "{d}/neg.npy"], EXIT_USAGE, "outside dom Psi_L"),
    (["--regulariser", "tv", "--alpha", "0.1"], EXIT_USAGE, "needs image_shape"),
    (["--regulariser", "tv", "--alpha", "0.1", "--image-shape", "3,3"], EXIT_USAGE, "pixels"),
    (["--regulariser", "tv", "--alpha", "0.1", "--image-shape", "4,x"], EXIT_USAGE, "--image-shape"),
    (["--regulariser", "l2"], EXIT_USAGE, "invalid choice"),
    (["--alpha", "-1", "--regulariser", "l1"], EXIT_USAGE, "--alpha"),
    (["--alpha", "0.1"], EXIT_USAGE, "needs a regulariser"),
    (["--epochs", "-1"], EXIT_USAGE, "--epochs"),
    (["--step-scale", "2"], EXIT_USAGE, "step_scale"),
    (["--u0", "{d}/f.npy"], EXIT_USAGE, "--u0 must have shape"),
    (["--resume", "--overwrite"], EXIT_USAGE, "give one"),
    (["--out", "{d}/net.npz"], EXIT_USAGE, "names a file"),
]


@pytest.mark.parametrize("extra,code,needle", BAD, ids=[b[2] for b in BAD])
def test_bad_inputs_one_line_exit_code_nothing_written(files, capsys, extra, code, needle):
    d, net, u, F = files
    (d / "bad.csv").write_text("1,2,x\n")
    (d / "f.txt").write_text("1\n")
    np.save(d / "wide.npy", np.ones((1, 41)))
    np.save(d / "neg.npy", -np.ones((1, 40)))
    base = {"--network": str(d / "net.npz"), "--output": str(d / "f.npy"), "--out": str(d / "out")}
    extra = [e.format(d=d) for e in extra]
    for k, v in base.items():
        if k not in extra:
            extra += [k, v]
    before = sorted(p.name for p in d.iterdir())
    assert main(["invert", "--quiet", *extra]) == code
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in d.iterdir()) == before and not (d / "out").exists()


def test_divergence_is_exit_4_with_metrics(files):
    d, net, u, F = files
    big = Network((net.weights[0],), (net.biases[0],), ("identity",))
    save_network(big, d / "lin.npz")
    np.save(d / "big.npy", np.full((1, 40), 1e300))
    code = main(["invert", "--network", str(d / "lin.npz"), "--output", str(d / "big.npy"), "--method", "backprop",
                 "--epochs", "3", "--out", str(d / "div"), "--quiet"])
    assert code == EXIT_DIVERGED
    assert json.loads((d / "div" / "metrics.json").read_text())["status"] == "diverged"


def test_network_file_round_trip_and_bad_files(tmp_path):
    from bregnet.exceptions import BregnetInputError
    net = glorot_init([3, 4, 2], [get_st(), "identity"], seed=0)
    save_network(net, tmp_path / "n.npz")
    back = load_network(tmp_path / "n.npz")
    assert repr(back.activations[0]) == repr(net.activations[0])
    for W, V in zip(net.weights, back.weights):
        np.testing.assert_array_equal(W, V)
    np.savez(tmp_path / "other.npz", x=np.ones(2))
    with pytest.raises(BregnetInputError, match="neither"):
        load_network(tmp_path / "other.npz")
    with pytest.raises(BregnetInputError, match="holds no checkpoint"):
        load_network(tmp_path)


def get_st():
    from bregnet.activations import get
    return get("soft_threshold", alpha=0.25)


def test_missing_required_options_are_a_one_line_usage_error(capsys, tmp_path):
    assert main(["invert", "--out", str(tmp_path / "x")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "required" in err and "--network" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
