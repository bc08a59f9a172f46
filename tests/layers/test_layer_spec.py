"""The layer-spec syntax (issue 15) and ``bregnet train --layers SPEC`` on digits (8x8x1)."""
import json

import pytest

from bregnet.cli import EXIT_OK, EXIT_USAGE, main
from bregnet.exceptions import BregnetInputError
from bregnet.operators import Conv2d, Dense, parse_layers, parse_shape


def test_the_documented_spec():
    layers = parse_layers("conv5x5x16s2p2,conv5x5x32s2p2,flatten,dense10", "28x28x1")
    assert layers == (Conv2d((28, 28, 1), 16, (5, 5), 2, 2), Conv2d((14, 14, 16), 32, (5, 5), 2, 2), Dense(1568, 10))
    assert parse_layers("dense16,dense10", (64,)) == (Dense(64, 16), Dense(16, 10))
    assert parse_layers(" CONV3x3x4 , Flatten, dense2", "6x6x1")[0] == Conv2d((6, 6, 1), 4, (3, 3))
    assert parse_shape("28x28x1") == (28, 28, 1)


@pytest.mark.parametrize("spec, token", [
    ("conv5x5x16s2p2,dense10", "token 2 'dense10'"),            # no flatten
    ("conv5x5x16,flatten,conv3x3x4", "token 3 'conv3x3x4'"),    # conv on a vector
    ("conv5x5x16,pool2,dense10", "token 2 'pool2'"),            # unknown
    ("conv9x9x4,flatten,dense2", "token 1 'conv9x9x4'"),        # kernel larger than the input
    ("conv3x3x0,flatten,dense2", "token 1 'conv3x3x0'"),        # no channels
    ("conv3x3x2s0,flatten,dense2", "token 1 'conv3x3x2s0'"),    # stride 0
    ("conv3x3x2,flatten,dense0", "token 3 'dense0'"),
    ("conv3x3x2,,dense2", "token 2 ''"),
])
def test_a_bad_spec_names_the_token(spec, token):
    with pytest.raises(BregnetInputError, match=token):
        parse_layers(spec, "8x8x1")


@pytest.mark.parametrize("spec, shape", [("", "8x8x1"), ("flatten", "8x8x1"), ("dense2", "8xx8"), (None, "8x8x1")])
def test_empty_specs_and_bad_shapes_are_refused(spec, shape):
    with pytest.raises(BregnetInputError):
        parse_layers(spec, shape)


def test_cli_trains_a_conv_net_on_digits(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--problem", "classification", "--layers", "conv3x3x8s2p1,flatten,dense10", "--epochs", "2",
            "--batch-size", "100", "--option", "n_inner=3", "--out", str(out), "--quiet"]
    assert main(args) == EXIT_OK
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "ok" and m["config"]["layers"] == [64, 128, 10]
    assert m["config"]["layer_spec"] == "conv3x3x8s2p1,flatten,dense10"
    assert m["final"]["val_accuracy"] > 0.5 and m["history"]["energy"][-1] < m["history"]["energy"][0]
    args[args.index("2")] = "3"
    assert main(args + ["--resume"]) == EXIT_OK                 # resumes the conv run
    assert json.loads((out / "metrics.json").read_text())["resumed_from_epoch"] == 2


@pytest.mark.parametrize("extra, words", [
    (["--layers", "conv3x3x8,dense10"], "token 2 'dense10'"),
    (["--layers", "conv3x3x8,flatten,dense10", "--solver", "coordinate-descent"], "dense networks only"),
    (["--layers", "conv3x3x8,flatten,dense10", "--input-shape", "4x4x1"], "16 entries"),
])
def test_cli_bad_specs_are_one_line_usage_errors(tmp_path, capsys, extra, words):
    rc = main(["train", "--problem", "classification", "--out", str(tmp_path / "o"), "--quiet", *extra])
    err = capsys.readouterr().err
    assert rc == EXIT_USAGE and words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
