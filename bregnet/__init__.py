"""bregnet: lifted Bregman training of neural networks (Wang & Benning, JMLR 24(232), 2023).

Layers (each module's docstring names the paper section it implements):

* mathematics on arrays: :mod:`bregnet.activations` (Definition 1, Example 1), :mod:`bregnet.bregman`
  (eq. (12), Lemma 8, Theorem 10, Example 2), :mod:`bregnet.testing` (public laws for cross-checks);
* networks and solvers: :mod:`bregnet.network` (eq. (1)), :mod:`bregnet.operators` (layers as linear operators:
  convolutions), :mod:`bregnet.lifted` (eq. (13), (18),
  (25)-(27)), :mod:`bregnet.solvers` (Sections 4, Appendix B), :mod:`bregnet.backprop` (Algorithm 2,
  baselines), :mod:`bregnet.kernels` (Numba kernels);
* experiments: :mod:`bregnet.datasets`, :mod:`bregnet.metrics`, :mod:`bregnet.problems`,
  :mod:`bregnet.training`, :mod:`bregnet.estimators`, and the ``bregnet`` command (:mod:`bregnet.cli`).

Submodules other than ``activations`` and ``bregman`` are imported on first use.
"""
import importlib

from . import activations
from .bregman import bregman_grad, bregman_loss

__version__ = "0.1.0"

_LAZY = ("backprop", "cli", "datasets", "estimators", "exceptions", "kernels", "lifted", "metrics",
         "network", "operators", "problems", "solvers", "testing", "training")

__all__ = ["activations", "bregman_loss", "bregman_grad", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'bregnet' has no attribute {name!r}")
