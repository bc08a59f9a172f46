"""Block coordinate descent (35) and the odd/even scheme (36)-(37): descent, executors, errors, resume."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.network import glorot_init
from bregnet.solvers.coordinate_descent import coordinate_descent


def _data(seed=0, s=12):
    rng = np.random.default_rng(seed)
    net = glorot_init([4, 6, 5, 4, 2], ["relu", "tanh", "soft_threshold", "identity"], seed=seed, bias=0.05)
    return net, rng.normal(size=(s, 4)), rng.normal(size=(s, 2))


@pytest.mark.parametrize("scheme", ["odd_even", "sequential"])
@pytest.mark.parametrize("inner", ["prox_grad", "admm"])
def test_coordinate_descent_decreases_the_energy(scheme, inner):
    net, X, Y = _data()
    res = coordinate_descent(net, X, Y, epochs=15, scheme=scheme, inner=inner, n_inner=3)
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1])))
    assert e[-1] < 0.5 * e[0]


def test_descent_law_can_fail():
    net, X, Y = _data(1)
    res = coordinate_descent(net, X, Y, epochs=10, inner="prox_grad", step_scale=6.0, n_inner=3)
    assert np.any(np.diff(res.history.energy) > 0)


def test_l1_regulariser_and_executor_give_identical_result():
    net = glorot_init([4, 6, 5, 2], ["relu", "relu", "identity"], seed=2)
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(10, 4)), rng.normal(size=(10, 2))
    a = coordinate_descent(net, X, Y, epochs=4, inner="admm", l1=(2, 0.1))
    with ThreadPoolExecutor(2) as ex:
        b = coordinate_descent(net, X, Y, epochs=4, inner="admm", l1=(2, 0.1), executor=ex)
    for p, q in zip(a.network.weights + a.network.biases + tuple(a.hidden),
                    b.network.weights + b.network.biases + tuple(b.hidden)):
        assert np.array_equal(p, q)


def test_bad_input():
    net, X, Y = _data()
    with pytest.raises(BregnetInputError, match="scheme"):
        coordinate_descent(net, X, Y, scheme="random")
    with pytest.raises(BregnetInputError, match="inner"):
        coordinate_descent(net, X, Y, inner="newton")
    with pytest.raises(BregnetInputError, match="delta"):
        coordinate_descent(net, X, Y, delta=0)
    with pytest.raises(BregnetInputError, match="executor"):
        coordinate_descent(net, X, Y, executor=object())
    with pytest.raises(BregnetInputError, match="hidden"):
        coordinate_descent(net, X, Y, hidden=[np.ones((12, 6))])
    with pytest.raises(BregnetInputError, match="X contains NaN"):
        coordinate_descent(net, np.full_like(X, np.nan), Y)


def test_checkpoint_resume_is_bit_identical(tmp_path):
    net, X, Y = _data(3, s=8)
    full = coordinate_descent(net, X, Y, epochs=6, inner="admm")
    ck = tmp_path / "cd.npz"
    coordinate_descent(net, X, Y, epochs=4, inner="admm", checkpoint=ck, checkpoint_every=4)
    res = coordinate_descent(net, X, Y, epochs=6, inner="admm", checkpoint=ck, resume=True)
    for p, q in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(p, q)
    assert full.history.energy == res.history.energy


@pytest.mark.parametrize("scheme", ["odd_even", "sequential"])
def test_interrupted_run_resumes_bit_for_bit_with_any_executor(tmp_path, scheme):
    """The executor is no part of the checkpoint's fingerprint: a run written with threads resumes in-thread."""
    net, X, Y = _data(4, s=10)
    full = coordinate_descent(net, X, Y, epochs=5, scheme=scheme, inner="admm", n_inner=2)
    ck = tmp_path / "cd.npz"
    with ThreadPoolExecutor(2) as ex:
        first = coordinate_descent(net, X, Y, epochs=2, scheme=scheme, inner="admm", n_inner=2, executor=ex,
                                   checkpoint=ck)
    assert first.history.epoch == [0, 1, 2]
    res = coordinate_descent(net, X, Y, epochs=5, scheme=scheme, inner="admm", n_inner=2, checkpoint=ck,
                             resume=True)
    assert res.resumed_from == 2
    for p, q in zip(full.network.weights + full.network.biases + tuple(full.hidden),
                    res.network.weights + res.network.biases + tuple(res.hidden)):
        assert np.array_equal(p, q)
    assert np.array_equal(full.history.energy, res.history.energy)
