"""Inertial block coordinate descent (iPALM-type momentum): a solver that is only its update (issue 11)."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.network import glorot_init
from bregnet.solvers.engine import run
from bregnet.solvers.inertial_bcd import InertialBCD
from bregnet.solvers.proximal_gradient import ProximalGradient


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    net = glorot_init([5, 8, 6, 3], ["relu", "tanh", "identity"], seed=1)
    return net, rng.normal(size=(40, 5)), rng.normal(size=(40, 3))


@pytest.mark.parametrize("momentum", ["heavy_ball", "nesterov"])
def test_monotone_with_restart_and_faster_than_plain(momentum):
    net, X, Y = _problem()
    plain = run(InertialBCD(momentum="heavy_ball", beta=0.0), net, X, Y, epochs=150).history.energy
    fast = run(InertialBCD(momentum=momentum, beta=0.7), net, X, Y, epochs=150).history.energy
    assert np.all(np.diff(fast) <= 1e-12)
    assert fast[-1] < plain[-1]


def test_without_momentum_it_is_the_plain_gauss_seidel_sweep():
    net, X, Y = _problem(1)
    a = run(InertialBCD(momentum="heavy_ball", beta=0.0), net, X, Y, epochs=6)
    b = run(ProximalGradient(step_scale=1.0), net, X, Y, epochs=6)
    for u, v in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        assert np.array_equal(u, v)


def test_restart_matters_the_energy_rises_without_it():
    """The monotonicity test above can fail: heavy momentum without the restart raises the energy."""
    net, X, Y = _problem(2)
    e = run(InertialBCD(momentum="heavy_ball", beta=0.95, restart=False, step_scale=1.9), net, X, Y,
            epochs=60).history.energy
    assert np.any(np.diff(e) > 0)


def test_engine_gives_resume_callbacks_and_history(tmp_path):
    net, X, Y = _problem(3)
    solver = InertialBCD(momentum="nesterov")
    full = run(solver, net, X, Y, epochs=8)
    ck = tmp_path / "ibcd.npz"
    seen = []
    part = run(solver, net, X, Y, epochs=8, checkpoint=ck, callback=lambda e, n, row: seen.append(e) or e == 3)
    assert part.stopped_early and seen == [0, 1, 2, 3]
    res = run(solver, net, X, Y, epochs=8, checkpoint=ck, resume=True)
    assert res.resumed_from == 3
    for u, v in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(u, v)
    assert res.history.energy == full.history.energy and res.history.epoch == list(range(9))
    for u, v in zip(full.hidden, res.hidden):
        assert np.array_equal(u, v)


def test_hyperparameters_are_validated():
    with pytest.raises(BregnetInputError, match="beta must be a real number in \\[0, 1\\)"):
        InertialBCD(beta=1.0)
    with pytest.raises(BregnetInputError, match="momentum must be one of"):
        InertialBCD(momentum="adam")
