r"""Numba kernels for the hot loops of the solvers (Section 3: eq. (1), (9), (12), Lemma 8, Theorem 10).

Each compiled kernel has a readable NumPy twin in the module it speeds up (the activation's own
methods, :mod:`bregnet.bregman`); the twin is the reference and the tests compare the two.

* :mod:`bregnet.kernels.activations`: the compiled kernels for ReLU, soft-thresholding, identity,
  tanh and softmax (:math:`\sigma`, :math:`\operatorname{prox}_{t\Psi}`, :math:`B_\Psi`,
  :math:`\nabla_z B_\Psi`, fused loss-and-gradient, :math:`\sigma(XW+b)`);
* :func:`kernel_for` (:mod:`bregnet.kernels.dispatch`): the kernels for an activation instance, or
  ``None`` so that a solver falls back to the NumPy twins;
* :mod:`bregnet.kernels.lifted`: Algorithm 1's fused batch and epoch kernels (their activation codes:
  ``LIFTED_CODES``), with :mod:`bregnet.kernels.smooth_prox` for the smooth activations' prox (steps <= 1).

>>> from bregnet.activations import get
>>> kernel_for(get("relu")) is not None, kernel_for(get("softmax", temperature=2.0)).supports_prox_step
(True, False)
"""
from .dispatch import ActivationKernels, KernelSet, kernel_for, kernel_names

__all__ = ["ActivationKernels", "KernelSet", "kernel_for", "kernel_names"]
