"""Solvers of the lifted Bregman training problem (Section 4, Appendix B), one module per algorithm.

* :mod:`~bregnet.solvers.proximal_gradient`: full-batch lifted proximal gradient (16)-(17), accelerated variants;
* :mod:`~bregnet.solvers.implicit_stochastic`: Algorithm 1 (LBN-S) and its deterministic form LBN-D (24);
* :mod:`~bregnet.solvers.lipschitz`: Lipschitz bounds and spectral norms for the step sizes.

Every solver takes the network, the data and options and returns a :class:`TrainResult`
(network, history); it never prints.
"""
from ._common import History, TrainResult
from .implicit_stochastic import lbn_d, lbn_s
from .proximal_gradient import proximal_gradient, proximal_gradient_step

__all__ = ["History", "TrainResult", "lbn_d", "lbn_s", "proximal_gradient", "proximal_gradient_step"]
