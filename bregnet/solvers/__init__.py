"""Solvers of the lifted Bregman training problem (Section 4, Appendix B), one module per algorithm.

* :mod:`~bregnet.solvers.proximal_gradient`: full-batch lifted proximal gradient (16)-(17), accelerated variants;
* :mod:`~bregnet.solvers.implicit_stochastic`: Algorithm 1 (LBN-S) and its deterministic form LBN-D (24);
* :mod:`~bregnet.solvers.lipschitz`: Lipschitz bounds and spectral norms for the step sizes;
* :mod:`~bregnet.solvers.coordinate_descent`: block coordinate descent (35), odd/even scheme (36)-(37);
* :mod:`~bregnet.solvers.admm`: ADMM for the subproblems (37a) (eq. (39)) and (37b)/(37c) (Appendix B.2);
* :mod:`~bregnet.solvers.stochastic_proximal_gradient`: stochastic proximal gradient (Section 4.2.1);
* :mod:`~bregnet.solvers.model_averaging`: model averaging (Section 4.2.2) and the parallel implicit variant (23);
* :mod:`~bregnet.solvers.bregman_iterations`: linearised Bregman iterations on the parameters (Section 4.1.2);
* :mod:`~bregnet.solvers.constrained`: the constrained formulation (40)-(41) (Appendix B.3);
* :mod:`~bregnet.solvers.residual`: the residual extension (Section 7);
* :mod:`~bregnet.solvers.executors`: the in-process executor used by the parallel solvers.

Every solver takes the network, the data and options and returns a :class:`TrainResult`
(network, history); it never prints.
"""
from ._common import History, TrainResult
from .implicit_stochastic import lbn_d, lbn_s
from .proximal_gradient import proximal_gradient, proximal_gradient_step
from .bregman_iterations import bregman_iterations
from .constrained import constrained
from .coordinate_descent import coordinate_descent
from .executors import SynchronousExecutor
from .model_averaging import model_averaging, parallel_implicit
from .residual import residual_proximal_gradient
from .stochastic_proximal_gradient import stochastic_proximal_gradient

__all__ = ["History", "TrainResult", "lbn_d", "lbn_s", "proximal_gradient", "proximal_gradient_step",
           "bregman_iterations", "constrained", "coordinate_descent", "SynchronousExecutor", "model_averaging",
           "parallel_implicit", "residual_proximal_gradient", "stochastic_proximal_gradient"]
