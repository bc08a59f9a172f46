"""The baselines on the training engine: a run interrupted by a checkpoint and resumed equals the uninterrupted one.

Adam's moments and step count, and the classical lifted network's / MAC-QP's auxiliary variables and adaptive
step sizes, are part of the state, so the resume is exact (bit for bit) for all six.
"""
import numpy as np
import pytest

from bregnet.backprop import (L1Penalty, adam_bp, classical_lifted, gd_bp, isgd_bp, mac_qp, objective,
                              sgd_bp)
from bregnet.backprop.classical_lifted import MACQP, ClassicalLifted
from bregnet.backprop.optimisers import GDBP, SGDBP, AdamBP
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import CodeRegulariser
from bregnet.network import glorot_init
from bregnet.solvers.engine import Result, run


def _problem(acts=("relu", "relu", "identity")):
    net = glorot_init([6, 5, 4, 3], list(acts), seed=0, bias=0.05)
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(24, 6)), rng.normal(size=(24, 3))
    Xv, Yv = rng.normal(size=(10, 6)), rng.normal(size=(10, 3))
    return net, X, Y, (Xv, Yv)


CASES = {
    "gd-bp": (gd_bp, {"lr": 0.05}, "objective"),
    "sgd-bp": (sgd_bp, {"batch_size": 8, "lr": 0.05, "seed": 8}, "objective"),
    "isgd-bp": (isgd_bp, {"batch_size": 8, "lr": 0.05, "inner_steps": 3, "seed": 8}, "objective"),
    "adam-bp": (adam_bp, {"batch_size": 8, "lr": 0.01, "seed": 8}, "objective"),
    "classical-lifted": (classical_lifted, {}, "energy"),
    "mac-qp": (mac_qp, {}, "energy"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_interrupted_and_resumed_run_equals_uninterrupted(name, tmp_path):
    fn, kw, key = CASES[name]
    net, X, Y, val = _problem()
    whole = fn(net, X, Y, epochs=4, validation_data=val, **kw)
    ckpt = tmp_path / "run.npz"
    first = fn(net, X, Y, epochs=2, validation_data=val, checkpoint=ckpt, **kw)
    assert len(first.history) == 3 and ckpt.exists()
    resumed = fn(net, X, Y, epochs=4, validation_data=val, checkpoint=ckpt, resume=True, **kw)
    assert isinstance(resumed, Result) and resumed.resumed_from == 2
    for a, b in zip(whole.network.weights + whole.network.biases, resumed.network.weights + resumed.network.biases):
        assert np.array_equal(a, b)
    for col in (key, "objective", "validation_loss"):
        assert np.array_equal(np.array(whole.history[col]), np.array(resumed.history[col]))
    assert resumed.history.epoch == [0, 1, 2, 3, 4]
    for k, v in whole.state.items():            # the whole state: moments, step counts, auxiliaries, step sizes
        if isinstance(v, (tuple, list)) and v and isinstance(v[0], np.ndarray):
            assert all(np.array_equal(p, q) for p, q in zip(v, resumed.state[k])), k
        else:
            assert v == resumed.state[k], k


def test_resume_is_exact_only_with_the_carried_state(tmp_path):
    """The comparison can fail: Adam restarted from the checkpointed parameters with fresh moments differs."""
    net, X, Y, _ = _problem()
    whole = adam_bp(net, X, Y, epochs=4, batch_size=8, lr=0.01, seed=8)
    rng = np.random.default_rng(8)
    half, _ = adam_bp(net, X, Y, epochs=2, batch_size=8, lr=0.01, rng=rng)
    restarted, _ = adam_bp(half, X, Y, epochs=2, batch_size=8, lr=0.01, rng=rng)
    assert not np.array_equal(whole.network.weights[0], restarted.weights[0])


def test_state_holds_what_the_algorithms_carry():
    net, X, Y, _ = _problem()
    adam = adam_bp(net, X, Y, epochs=2, batch_size=8, lr=0.01, seed=0).state
    assert adam["t"] == 6 and len(adam["m"]) == len(adam["v"]) == 6
    lifted = mac_qp(net, X, Y, epochs=2).state
    assert len(lifted["hidden"]) == 2 and len(lifted["steps_theta"]) == 3 and len(lifted["steps_x"]) == 2
    assert all(isinstance(t, float) for t in lifted["steps_theta"] + lifted["steps_x"])


def test_engine_run_and_legacy_function_agree():
    net, X, Y, _ = _problem()
    a = run(SGDBP(lr=0.05, batch_size=8), net, X, Y, epochs=3, seed=8)
    b = sgd_bp(net, X, Y, epochs=3, lr=0.05, batch_size=8, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a.network.weights, b.network.weights))
    assert a.history.objective == b.history.objective
    c = run(ClassicalLifted(), net, X, Y, epochs=2)
    assert c.history.energy == classical_lifted(net, X, Y, epochs=2).history.energy


def test_legacy_callback_column_after_resume(tmp_path):
    net, X, Y, _ = _problem()
    ckpt = tmp_path / "gd.npz"
    gd_bp(net, X, Y, epochs=2, lr=0.05, checkpoint=ckpt)
    res = gd_bp(net, X, Y, epochs=4, lr=0.05, checkpoint=ckpt, resume=True,
                callback=lambda n, e: objective(n, X, Y))
    assert res.history.callback[:3] == [None] * 3
    assert res.history.callback[3:] == pytest.approx(res.history.objective[3:])


def test_mse_baselines_do_not_need_targets_in_dom_psi():
    """MSE on a softmax output accepts any real targets; the Bregman loss and the lifted baselines do not."""
    net = glorot_init([4, 3], "softmax", seed=0)
    X, Y = np.ones((5, 4)), np.full((5, 3), 2.0)
    _, hist = gd_bp(net, X, Y, epochs=1, lr=0.1)
    assert np.isfinite(hist.objective[-1])
    with pytest.raises(BregnetInputError, match="dom Psi"):
        gd_bp(net, X, Y, epochs=1, loss="bregman")
    lifted = glorot_init([4, 3, 3], ["relu", "softmax"], seed=0)
    with pytest.raises(BregnetInputError, match="dom"):
        mac_qp(lifted, X, Y, epochs=1)


def test_one_l1_type_and_hyperparameter_constraints():
    assert L1Penalty(0.1, 1) == CodeRegulariser(layer=1, alpha=0.1)
    net = glorot_init([4, 3, 2], ["soft_threshold", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(6, 4))
    a = sgd_bp(net, X, X[:, :2], epochs=1, lr=0.1, batch_size=3, l1_alpha=0.1, l1_layer=1, seed=0)
    b = run(SGDBP(lr=0.1, batch_size=3), net, X, X[:, :2], epochs=1, l1=(1, 0.1), seed=0)
    assert a.history.penalty == b.history.penalty and a.history.penalty[0] > 0
    for bad, match in (({"lr": 0}, "lr"), ({"beta2": 1.0}, "beta2"), ({"eps": -1.0}, "eps"),
                       ({"batch_size": 2.5}, "batch_size"), ({"loss": "hinge"}, "loss"), ({"shuffle": 1}, "shuffle")):
        with pytest.raises(BregnetInputError, match=match):
            AdamBP(**bad)
    with pytest.raises(BregnetInputError, match="penalty"):
        MACQP(penalty=[1.0, -2.0])
    with pytest.raises(BregnetInputError, match="l1"):
        run(MACQP(), net, X, X[:, :2], epochs=1, l1=(1, 0.1))
    assert GDBP(lr=0.2).params() == {"loss": "mse", "lr": 0.2}


def test_backprop_l1_on_any_activation():
    """Back-propagation needs no prox of Psi + alpha|.|_1, so an l1 term on a tanh layer is accepted (the check is the
    lifted solvers', which do need it)."""
    net = glorot_init([4, 3, 2], ["tanh", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(6, 4))
    _, hist = sgd_bp(net, X, X[:, :2], epochs=1, lr=0.1, batch_size=3, l1_alpha=0.1, l1_layer=1, seed=0)
    assert hist.penalty[0] > 0


def test_lifted_solvers_still_refuse_l1_without_a_closed_form_prox():
    from bregnet.exceptions import BregnetInputError
    from bregnet.solvers import lbn_s
    net = glorot_init([4, 3, 2], ["tanh", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(6, 4))
    with pytest.raises(BregnetInputError, match="needs a closed-form prox of Psi"):
        lbn_s(net, X, X[:, :2], epochs=1, l1=(1, 0.1))


def test_one_l1_spelling_for_every_solver():
    """The baselines take the l1 term as l1=(layer, alpha) like the lifted solvers (l1_alpha/l1_layer still work)."""
    from bregnet.exceptions import BregnetInputError
    net = glorot_init([4, 3, 2], ["relu", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(6, 4))
    a = sgd_bp(net, X, X[:, :2], epochs=2, batch_size=3, seed=0, l1=(1, 0.1))
    b = sgd_bp(net, X, X[:, :2], epochs=2, batch_size=3, seed=0, l1_alpha=0.1, l1_layer=1)
    assert np.array_equal(a.network.weights[0], b.network.weights[0]) and a.history.penalty[0] > 0
    with pytest.raises(BregnetInputError, match="not both"):
        sgd_bp(net, X, X[:, :2], epochs=1, l1=(1, 0.1), l1_alpha=0.1, l1_layer=1)
