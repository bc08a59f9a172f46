"""A small random training problem (network, inputs, targets) for examples, doctests and cross-checks.

Examples
--------
>>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=4)
>>> net.layer_sizes, X.shape, Y.shape
((3, 5, 2), (4, 3), (4, 2))
"""
from __future__ import annotations

import numpy as np

__all__ = ["toy_problem", "replace_layer"]


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


def replace_layer(network, l: int, W=None, b=None):
    """``network`` with layer ``l``'s weights and/or bias replaced (operator layers kept): for finite differences.

    Examples
    --------
    >>> net, X, Y = toy_problem([2, 3, 1], ["relu", "identity"], n_samples=4)
    >>> replace_layer(net, 2, b=np.ones(1)).biases[1].tolist()
    [1.0]
    """
    from ..network import Network
    Ws, bs = list(network.weights), list(network.biases)
    if W is not None:
        Ws[l - 1] = W
    if b is not None:
        bs[l - 1] = b
    return Network(tuple(Ws), tuple(bs), network.activations, network.layers)
