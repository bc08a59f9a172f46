"""A small random training problem (network, inputs, targets) for examples, doctests and cross-checks.

Examples
--------
>>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=4)
>>> net.layer_sizes, X.shape, Y.shape
((3, 5, 2), (4, 3), (4, 2))
"""
from __future__ import annotations

import numpy as np

__all__ = ["toy_problem"]


def toy_problem(layer_sizes, activations, *, n_samples: int, seed: int = 0, data_seed: int | None = None):
    """``(network, X, Y)``: a Glorot network (``seed``) and standard normal inputs and targets (``data_seed``).

    The network is :func:`bregnet.network.glorot_init` ``(layer_sizes, activations, seed=seed)``; ``X`` and ``Y``
    (in that order) are drawn from ``numpy.random.default_rng(data_seed)`` (default: ``seed``), shapes
    ``(n_samples, n_0)`` and ``(n_samples, n_L)``.
    """
    from ..network import glorot_init
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}")
    acts = activations if isinstance(activations, str) else list(activations)    # a name is every layer's
    net = glorot_init(layer_sizes, acts, seed=seed)
    rng = np.random.default_rng(seed if data_seed is None else data_seed)
    X = rng.normal(size=(n_samples, net.layer_sizes[0]))
    Y = rng.normal(size=(n_samples, net.layer_sizes[-1]))
    return net, X, Y
