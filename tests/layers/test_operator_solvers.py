"""Operator layers (issue 15) through every lifted solver built on the block sweep (17)."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.operators import operator_network
from bregnet.solvers.engine import run


def test_every_sweep_solver_trains_a_convolutional_network():
    """Issue 15: the lifted solvers built on the block sweep (17) accept operator layers; coordinate descent
    (Appendix B, least-squares subproblems of matrices) refuses them with a clear message."""
    from bregnet.solvers.coordinate_descent import CoordinateDescent
    from bregnet.solvers.model_averaging import ModelAveraging, ParallelImplicit
    from bregnet.solvers.proximal_gradient import ProximalGradient
    from bregnet.solvers.stochastic_proximal_gradient import StochasticProximalGradient
    net = operator_network("conv3x3x4s2p1,flatten,dense3", ["relu", "identity"], input_shape="6x6x1", seed=0,
                           bias=0.05)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 36)), rng.normal(size=(40, 3))
    for solver in (ProximalGradient(), ProximalGradient(acceleration="nesterov")):
        e = np.array(run(solver, net, X, Y, epochs=6).history.energy)
        assert np.all(np.diff(e) <= 1e-12) and e[-1] < 0.5 * e[0]
    for solver in (StochasticProximalGradient(batch_size=10), ModelAveraging(n_batches=2),
                   ParallelImplicit(n_batches=2)):
        res = run(solver, net, X, Y, epochs=6, seed=0)
        assert res.history.forward_loss[-1] < 0.7 * res.history.forward_loss[0]
        assert res.network.layers == net.layers
    with pytest.raises(BregnetInputError, match="dense networks only.*proximal_gradient"):
        run(CoordinateDescent(), net, X, Y, epochs=1)
