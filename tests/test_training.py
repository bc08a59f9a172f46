"""bregnet.problems and bregnet.training: the problems of Section 5, their metrics checked against their
definitions, and the uniform training layer (epoch stepping equals one run; checkpoints; resume)."""
import numpy as np
import pytest

from bregnet.backprop import sgd_bp
from bregnet.datasets import load
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import forward_hidden, lifted_energy
from bregnet.problems import (ProblemData, classification, denoising_autoencoder, make_problem, sparse_autoencoder,
                              undercomplete_autoencoder)
from bregnet.solvers import lbn_s, proximal_gradient
from bregnet.training import SOLVERS, TrainingDivergedError, get_solver, train


@pytest.fixture(scope="module")
def digits():
    return load("digits", n_train=150, n_test=60, centre=True, seed=0)


# ------------------------------------------------------------------------------------ problems
def test_builders_follow_section_6():
    p = classification()
    assert p.layer_sizes == (784, 64, 64, 10) and [a.name for a in p.activations] == ["relu", "relu", "identity"]
    ae = sparse_autoencoder()
    assert ae.layer_sizes == (784,) * 5 and ae.code_layer == 2 and ae.l1.alpha == 0.09
    assert [a.name for a in ae.activations] == ["relu", "soft_threshold", "relu", "identity"]
    assert denoising_autoencoder().noise_std == 1e-3
    uae = undercomplete_autoencoder()
    assert uae.layer_sizes == (784, 784, 70, 784, 784) and uae.l1 is None
    with pytest.raises(BregnetInputError, match="first and last"):
        make_problem("sparse-ae", (64, 8, 8, 8, 32))
    with pytest.raises(BregnetInputError, match="unknown problem"):
        make_problem("gan", (4, 4))


def test_problem_data(digits):
    d = classification((64, 8, 10)).data(digits)
    np.testing.assert_array_equal(d.Y_train.argmax(axis=1), digits.y_train)
    d = denoising_autoencoder(64, noise_std=0.05).data(digits, seed=1)
    noise = d.X_train - d.Y_train
    assert abs(noise.std() - 0.05) < 0.005 and np.array_equal(d.Y_val, digits.X_test)
    with pytest.raises(BregnetInputError, match="features"):
        classification((10, 8, 10)).data(digits)


def test_objective_is_the_lifted_energy_at_the_forward_pass(digits):
    """(26) at consistent auxiliary variables: the hidden Bregman terms vanish, E = data term + alpha |x_2|_1."""
    p = sparse_autoencoder(64, (16, 8, 16), alpha=0.3)
    net = p.network(seed=0)
    X = np.asarray(digits.X_train)
    m = p.evaluate(net, X, X)
    e = lifted_energy(p.lifted(), net, [X, *forward_hidden(net, X), X])
    assert m["objective"] == pytest.approx(e, rel=1e-12)
    code = net.forward_all(X)[1][2]
    rec = net.forward(X)
    direct = 0.5 * np.sum((rec - X) ** 2) / len(X) + 0.3 * np.abs(code).sum() / len(X)
    assert m["objective"] == pytest.approx(direct, rel=1e-12)
    assert m["code_sparsity"] == pytest.approx(np.mean(code == 0))
    # the check can fail: without the penalty the objective is different
    assert p.evaluate(net, X, X)["data_loss"] != pytest.approx(m["objective"])


def test_linear_rate_and_accuracy_against_definitions(digits):
    p = classification((64, 12, 10))
    net = p.network(seed=3)
    d = p.data(digits)
    m = p.evaluate(net, d.X_train, d.Y_train, d.X_val, d.Y_val)
    Z1 = np.asarray(d.X_train) @ net.weights[0] + net.biases[0]
    assert m["linear_rate"] == [pytest.approx(np.mean(Z1 == np.maximum(Z1, 0)))]
    assert m["val_accuracy"] == pytest.approx(np.mean(net.forward(d.X_val).argmax(1) == digits.y_test))


# ------------------------------------------------------------------------------------ training
def test_epoch_stepping_equals_one_run_and_checkpoint_mode(digits, tmp_path):
    p = classification((64, 12, 10))
    d = p.data(digits)
    a = train(p, "lbn-s", d, epochs=3, batch_size=50, seed=4, options={"prox_weight": 1.0})
    b = train(p, "lbn-s", d, epochs=3, batch_size=50, seed=4, options={"prox_weight": 1.0}, checkpoint_dir=tmp_path)
    gen = np.random.default_rng(4)
    net0 = p.network(rng=gen)
    c = lbn_s(net0, np.array(d.X_train), np.array(d.Y_train), epochs=3, batch_size=50, prox_weight=1.0, rng=gen)
    for Wa, Wb, Wc in zip(a.network.weights, b.network.weights, c.network.weights):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(Wa, Wc)


def test_checkpoint_mode_solver_equals_one_run(digits):
    p = classification((64, 12, 10))
    d = p.data(digits)
    a = train(p, "proximal-gradient", d, epochs=3, seed=1)
    net0 = p.network(rng=np.random.default_rng(1))
    c = proximal_gradient(net0, np.array(d.X_train), np.array(d.Y_train), epochs=3)
    for Wa, Wc in zip(a.network.weights, c.network.weights):
        np.testing.assert_array_equal(Wa, Wc)


def test_baseline_log_matches_its_own_history(digits):
    p = classification((64, 12, 10))
    d = p.data(digits)
    out = train(p, "sgd-bp", d, epochs=3, batch_size=30, seed=2, options={"lr": 0.1})
    gen = np.random.default_rng(2)
    net, hist = sgd_bp(p.network(rng=gen), np.array(d.X_train), np.array(d.Y_train), epochs=3, batch_size=30, lr=0.1,
                       rng=gen)
    np.testing.assert_allclose(out.log["objective"], hist.objective, rtol=1e-12)
    np.testing.assert_array_equal(out.network.weights[0], net.weights[0])


def test_resume_after_interruption(digits, tmp_path):
    p = sparse_autoencoder(64, (16, 8, 16))
    d = p.data(digits)
    full = train(p, "lbn-s", d, epochs=3, seed=0)
    calls = []

    def stop_after_two(epoch, network, row):
        calls.append(epoch)
        return epoch == 2

    part = train(p, "lbn-s", d, epochs=3, seed=0, callback=stop_after_two, checkpoint_dir=tmp_path)
    assert part.stopped_early and calls == [0, 1, 2]
    rest = train(p, "lbn-s", d, epochs=3, seed=0, checkpoint_dir=tmp_path, resume=True)
    assert rest.resumed_from == 2 and rest.log["epoch"] == [0, 1, 2, 3]
    assert rest.log["objective"] == pytest.approx(full.log["objective"], rel=0, abs=0)


def test_registry_and_option_errors(digits):
    assert {"lbn-s", "lbn-d", "sgd-bp", "gd-bp", "isgd-bp", "adam-bp", "classical-lifted", "mac-qp"} <= set(SOLVERS)
    p = classification((64, 12, 10))
    d = p.data(digits)
    with pytest.raises(BregnetInputError, match="set by train"):
        train(p, "lbn-s", d, options={"batch_size": 3})
    with pytest.raises(BregnetInputError, match="no option"):
        train(p, "sgd-bp", d, options={"prox_weight": 3})
    with pytest.raises(BregnetInputError, match="ReLU hidden"):
        get_solver("classical-lifted").check_applicable(classification((4, 3, 2), hidden="tanh"))
    assert train(p, "gd-bp", d, epochs=0).log["epoch"] == [0]


def test_divergence_carries_the_log(digits):
    p = classification((64, 12, 10))
    with pytest.raises(TrainingDivergedError) as exc:
        train(p, "gd-bp", p.data(digits), epochs=5, options={"lr": 1e12})
    assert exc.value.log["epoch"][0] == 0


def test_tuple_data_and_float32():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    p = classification((3, 4, 2))
    out = train(p, "lbn-s", (X, np.eye(2)[(X[:, 0] > 0).astype(int)]), epochs=1, dtype=np.float32)
    assert out.network.dtype == np.float32
    with pytest.raises(BregnetInputError):
        train(p, "lbn-s", ProblemData(X, np.zeros((39, 2))), epochs=1)


def test_bad_input_touches_no_disk(tmp_path):
    """Validation comes before any file: a bad option or bad data leaves checkpoint_dir uncreated (issue 12)."""
    from bregnet.problems import classification, ProblemData
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4))
    data = ProblemData(X, np.eye(2)[(X[:, 0] > 0).astype(int)])
    ck = tmp_path / "ck"
    with pytest.raises(BregnetInputError, match="prox_weight"):
        train(classification((4, 6, 2)), "lbn-s", data, epochs=1, options={"prox_weight": -1}, checkpoint_dir=ck)
    bad = ProblemData(np.full((20, 4), np.nan), data.Y_train)
    with pytest.raises(BregnetInputError, match="NaN"):
        train(classification((4, 6, 2)), "lbn-s", bad, epochs=1, checkpoint_dir=ck)
    assert not ck.exists()
    train(classification((4, 6, 2)), "lbn-s", data, epochs=1, batch_size=10, checkpoint_dir=ck)
    assert (ck / "training-state.npz").exists()


def test_train_passes_the_penalty_to_the_lifted_family_and_refuses_it_elsewhere():
    from bregnet.problems import ProblemData, classification
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    data = ProblemData(X, np.eye(2)[(X[:, 0] > 0).astype(int)])
    prob = classification((4, 6, 2))
    out = {p: train(prob, "inertial-bcd", data, epochs=3, seed=0, penalty=p).log["energy"]
           for p in ("bregman", "mac", "classical")}
    assert out["mac"] != out["bregman"] and out["classical"] != out["mac"]
    with pytest.raises(BregnetInputError, match="penalty must be one of"):
        train(prob, "inertial-bcd", data, epochs=1, penalty="quadratic")
    with pytest.raises(BregnetInputError, match="'proximal-gradient' does not take penalty 'mac'.*lbn-s"):
        train(prob, "proximal-gradient", data, epochs=1, penalty="mac")
