"""Solvers of the lifted Bregman training problem (Section 4, Appendix B), one module per algorithm, on one engine.

* :mod:`~bregnet.solvers.engine`: :class:`Solver` (hyperparameters with ``init``/``update``/``diagnostics`` on an
  explicit state) and :func:`run`, which owns validation, history, callbacks, progress, divergence and checkpoints;
* :mod:`~bregnet.solvers.params`: the declared constraints of the hyperparameters;
* :mod:`~bregnet.solvers.checkpoint`: checkpoints of a run (the state itself);
* :mod:`~bregnet.solvers.sweep`: the block sweep of (17), its step rules and block steps, written once;
* :mod:`~bregnet.solvers.proximal_gradient`: full-batch lifted proximal gradient (16)-(17), accelerated variants;
* :mod:`~bregnet.solvers.implicit_stochastic`: Algorithm 1 (LBN-S) and its deterministic form LBN-D (24);
* :mod:`~bregnet.solvers.inertial_bcd`: block coordinate descent with heavy-ball/Nesterov momentum per block;
* :mod:`~bregnet.solvers.adam_bcd`: block coordinate descent with Adam-preconditioned block steps;
* :mod:`~bregnet.solvers.lipschitz`: Lipschitz bounds and spectral norms for the step sizes;
* :mod:`~bregnet.solvers.coordinate_descent`: block coordinate descent (35), odd/even scheme (36)-(37);
* :mod:`~bregnet.solvers.admm`: ADMM for the subproblems (37a) (eq. (39)) and (37b)/(37c) (Appendix B.2);
* :mod:`~bregnet.solvers.stochastic_proximal_gradient`: stochastic proximal gradient (Section 4.2.1);
* :mod:`~bregnet.solvers.model_averaging`: model averaging (Section 4.2.2) and the parallel implicit variant (23);
* :mod:`~bregnet.solvers.bregman_iterations`: linearised Bregman iterations on the parameters (Section 4.1.2);
* :mod:`~bregnet.solvers.constrained`: the constrained formulation (40)-(41) (Appendix B.3);
* :mod:`~bregnet.solvers.residual`: the residual extension (Section 7);
* :mod:`~bregnet.solvers.executors`: the in-process executor used by the parallel solvers.

``run(LBNS(prox_weight=1.0), network, X, Y, epochs=10)`` returns a :class:`Result` (network, history, state);
the functions named after the algorithms (``lbn_s``, ``proximal_gradient``, ...) are the same calls with the
hyperparameters as keywords.  A solver never prints.
"""
from .adam_bcd import AdamBCD
from .bregman_iterations import BregmanIterations, bregman_iterations
from .constrained import Constrained, constrained
from .coordinate_descent import CoordinateDescent, coordinate_descent
from .engine import DivergenceRule, History, Result, Solver, Task, run
from .executors import SynchronousExecutor
from .implicit_stochastic import LBND, LBNS, lbn_d, lbn_s
from .inertial_bcd import InertialBCD
from .model_averaging import ModelAveraging, ParallelImplicit, model_averaging, parallel_implicit
from .proximal_gradient import ProximalGradient, proximal_gradient, proximal_gradient_step
from .residual import ResidualProximalGradient, residual_proximal_gradient
from .stochastic_proximal_gradient import StochasticProximalGradient, stochastic_proximal_gradient

#: the name of :class:`Result` before the engine (one result type for every solver)
TrainResult = Result

__all__ = ["run", "Solver", "Task", "History", "Result", "TrainResult", "DivergenceRule",
           "LBNS", "LBND", "ProximalGradient", "InertialBCD", "AdamBCD", "StochasticProximalGradient", "CoordinateDescent",
           "ModelAveraging", "ParallelImplicit", "BregmanIterations", "Constrained", "ResidualProximalGradient",
           "lbn_d", "lbn_s", "proximal_gradient", "proximal_gradient_step", "bregman_iterations", "constrained",
           "coordinate_descent", "SynchronousExecutor", "model_averaging", "parallel_implicit",
           "residual_proximal_gradient", "stochastic_proximal_gradient"]
