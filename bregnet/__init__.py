"""bregnet: lifted Bregman training of neural networks (Wang & Benning, JMLR 24(232), 2023).

Layer 1 (this release): proximal activations (:mod:`bregnet.activations`), the Bregman loss
(:mod:`bregnet.bregman`) and public laws for cross-checking other implementations
(:mod:`bregnet.testing`).
"""
from . import activations
from .bregman import bregman_grad, bregman_loss

__version__ = "0.1.0"

__all__ = ["activations", "bregman_loss", "bregman_grad", "__version__"]
