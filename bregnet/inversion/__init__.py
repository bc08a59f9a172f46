r"""Lifted Bregman inversion of trained networks (Wang & Benning, Front. Appl. Math. Stat. 9, 2023; issue 16).

Find an input :math:`u` with :math:`\mathcal N(u) \approx f` by minimising the lifted energy

.. math::  E(u, x_1, \dots, x_{L-1}) = \sum_{l=1}^{L}\lambda_l B_{\Psi_l}(x_l, A_l x_{l-1} + b_l) + \alpha J(u),
           \qquad x_0 = u,\ x_L = f,

block by block (each block problem is convex; no derivative of an activation is needed), or, as the baseline, the
output misfit :math:`\tfrac12\|\mathcal N(u) - f\|^2 + \alpha J(u)` by back-propagation.  Modules:

* :mod:`~bregnet.inversion.energy`: the energy, its block gradients, the layers as linear maps;
* :mod:`~bregnet.inversion.regularisers`: :math:`J` (l1, Tikhonov, isotropic / anisotropic TV) and its prox;
* :mod:`~bregnet.inversion.solver`: :class:`LiftedInversion`, proximal block coordinate descent;
* :mod:`~bregnet.inversion.baseline`: :class:`BackpropInversion`, proximal gradient by back-propagation;
* :mod:`~bregnet.inversion.task`: :func:`invert`, one run of the training engine (history, checkpoints, resume);
* :mod:`~bregnet.inversion.io`: :func:`load_network` / :func:`save_network` (``bregnet invert --network``).

Examples
--------
>>> import numpy as np
>>> from bregnet.network import glorot_init
>>> net = glorot_init([4, 6], ["identity"], seed=0)
>>> u = np.array([[1.0, -0.5, 0.25, 2.0]])
>>> bool(np.allclose(invert(net, net.forward(u), epochs=300).u, u, atol=1e-6))
True
"""
from .baseline import BackpropInversion, input_gradient
from .energy import DenseMap, InversionEnergy, InversionLayer, LinearMap, OperatorMap
from .io import load_network, save_network
from .regularisers import (L1, REGULARISERS, NoRegulariser, Regulariser, Tikhonov, TotalVariation,
                           get_regulariser)
from .solver import InversionSolver, LiftedInversion
from .task import METHODS, InversionResult, invert, make_solver

__all__ = ["invert", "make_solver", "InversionResult", "METHODS", "LiftedInversion", "BackpropInversion",
           "InversionSolver", "InversionEnergy", "InversionLayer", "LinearMap", "DenseMap", "OperatorMap", "Regulariser",
           "NoRegulariser", "L1", "Tikhonov", "TotalVariation", "get_regulariser", "REGULARISERS",
           "input_gradient", "load_network", "save_network"]
