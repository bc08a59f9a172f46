r"""Feed-forward networks with proximal activations (Section 2.1, eq. (1); Section 5.1).

.. math::  \mathcal N(x, \Theta) = \sigma_L(f(\sigma_{L-1}(\dots\sigma_1(f(x, \Theta_1))\dots), \Theta_L)),
           \qquad f(x, \Theta_l) = W_l^\top x + b_l. \qquad (1)

Arrays are batch-first: a batch ``X`` of shape ``(s, n_0)`` maps to ``Z_l = X_{l-1} W_l + b_l`` of
shape ``(s, n_l)``, with ``W_l`` of shape ``(n_{l-1}, n_l)`` (the paper's :math:`W_l`) and
``b_l`` of shape ``(n_l,)``.  Layer ``l`` has its own activation :math:`\sigma_l` (Section 5.1).

A network may instead take its layers from linear operators (:mod:`bregnet.operators`, issue 15):
:math:`f(x, \Theta_l) = A_{W_l}(x) + b_l` with ``layers[l-1]`` the operator (:class:`~bregnet.operators.Conv2d`,
:class:`~bregnet.operators.Dense`, ...), ``W_l`` of its ``weight_shape`` (a kernel ``(k_h, k_w, C, C_o)`` for
a convolution) and ``b_l`` of its ``bias_shape``.  Without ``layers`` (``None``, the default) a network is
the dense network above, with exactly the code, pickles and checkpoints it always had.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._arrays import float_dtype
from .activations import get as get_activation
from .activations.base import Activation
from .exceptions import BregnetInputError

__all__ = ["Network", "glorot_init", "resolve_activations"]


def resolve_activations(activations, n_layers: int) -> tuple[Activation, ...]:
    """Turn a name, an Activation, or a sequence of either (one per layer) into a tuple of Activations."""
    if isinstance(activations, (str, Activation)):
        activations = [activations] * n_layers
    acts = []
    for a in activations:
        acts.append(get_activation(a) if isinstance(a, str) else a)
    if len(acts) != n_layers:
        raise ValueError(f"activations must give one activation per layer ({n_layers}); got {len(acts)}")
    for l, a in enumerate(acts):
        if not isinstance(a, Activation):
            raise TypeError(f"activations[{l}] must be an activation name or a bregnet Activation; got {type(a).__name__}")
    return tuple(acts)


def _real_parameters(W: tuple, b: tuple) -> tuple[tuple, tuple]:
    """The parameters as real arrays: integer and boolean ones cast to the floating dtype of the network (float64 if
    none is floating); TypeError naming ``W_l``/``b_l`` for complex, object, string or other non-real arrays."""
    arrays = [np.asarray(A) for A in W + b]
    for i, A in enumerate(arrays):
        if A.dtype.kind not in "biuf":
            name = f"W_{i + 1}" if i < len(W) else f"b_{i - len(W) + 1}"
            raise TypeError(f"{name} must be a real array; got dtype {A.dtype}")
    floating = [A.dtype for A in arrays if A.dtype.kind == "f"]
    target = floating[0] if floating else np.dtype(np.float64)
    arrays = [A if A.dtype.kind == "f" else A.astype(target) for A in arrays]
    return tuple(arrays[:len(W)]), tuple(arrays[len(W):])


def _check_layers(layers, W: tuple, b: tuple) -> tuple:
    """The operator layers as a tuple, checked: one per layer, parameter shapes, chained sizes (ValueError)."""
    from .operators import LinearOperator
    layers = tuple(layers)
    if len(layers) != len(W):
        raise ValueError(f"layers must give one operator per layer ({len(W)}); got {len(layers)}")
    for l, op in enumerate(layers, start=1):
        if not isinstance(op, LinearOperator) or op.weight_shape is None:
            raise TypeError(f"layers[{l - 1}] must be a bregnet.operators layer (Dense, Conv2d); got {op!r}")
        op.check_parameters(W[l - 1], b[l - 1], l)
        if l > 1 and layers[l - 2].out_size != op.in_size:
            raise ValueError(f"layer {l - 1} has {layers[l - 2].out_size} outputs but layer {l} expects {op.in_size} inputs")
    return layers


@dataclass(frozen=True)
class Network:
    r"""Parameters :math:`\Theta_l = (W_l, b_l)` and activations :math:`\sigma_l` of an L-layer network (1).

    Attributes
    ----------
    weights : tuple of ndarray
        ``weights[l-1]`` is :math:`W_l`, shape ``(n_{l-1}, n_l)``.
    biases : tuple of ndarray
        ``biases[l-1]`` is :math:`b_l`, shape ``(n_l,)``.
    activations : tuple of Activation
        ``activations[l-1]`` is :math:`\sigma_l = \operatorname{prox}_{\Psi_l}`.
    layers : tuple of LinearOperator or None
        ``layers[l-1]`` is the operator :math:`A` of layer ``l`` (:mod:`bregnet.operators`); None: dense layers.

    Examples
    --------
    >>> net = glorot_init([4, 3, 2], ["relu", "identity"], seed=0)
    >>> net.forward([[1.0, 0.0, -1.0, 2.0]]).shape
    (1, 2)
    """

    weights: tuple
    biases: tuple
    activations: tuple
    layers: tuple | None = None

    def __post_init__(self):
        W, b, a = tuple(self.weights), tuple(self.biases), tuple(self.activations)
        if not (len(W) == len(b) == len(a)) or len(W) == 0:
            raise ValueError(f"weights, biases and activations need one entry per layer; got {len(W)}, {len(b)}, {len(a)}")
        W, b = _real_parameters(W, b)
        if self.layers is not None:
            object.__setattr__(self, "layers", _check_layers(self.layers, W, b))
        for l, (Wl, bl) in enumerate(zip(W, b) if self.layers is None else (), start=1):
            if np.ndim(Wl) != 2:
                raise ValueError(f"W_{l} must be 2-D (n_{l-1}, n_{l}); got shape {np.shape(Wl)}")
            if np.shape(bl) != (np.shape(Wl)[1],):
                raise ValueError(f"b_{l} must have shape ({np.shape(Wl)[1]},); got {np.shape(bl)}")
            if l > 1 and np.shape(W[l - 2])[1] != np.shape(Wl)[0]:
                raise ValueError(f"W_{l-1} has {np.shape(W[l-2])[1]} outputs but W_{l} expects {np.shape(Wl)[0]} inputs")
        object.__setattr__(self, "weights", W)
        object.__setattr__(self, "biases", b)
        object.__setattr__(self, "activations", resolve_activations(a, len(W)))

    @property
    def n_layers(self) -> int:
        """L, the number of affine layers."""
        return len(self.weights)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_L)`` (the flattened sizes for operator layers)."""
        if self.layers is not None:
            return (self.layers[0].in_size,) + tuple(op.out_size for op in self.layers)
        return (self.weights[0].shape[0],) + tuple(W.shape[1] for W in self.weights)

    def operator(self, l: int):
        """The operator of layer ``l`` in 1..L, or None for a dense network."""
        return None if self.layers is None else self.layers[l - 1]

    @property
    def dtype(self):
        return self.weights[0].dtype

    def _check_input(self, X) -> np.ndarray:
        if isinstance(X, (str, bytes)):
            raise BregnetInputError(f"X must be a 2-D array of real numbers; got {type(X).__name__}")
        try:
            X = np.asarray(X)
        except (TypeError, ValueError):
            raise BregnetInputError("X must be array-like (a 2-D array of real numbers)") from None
        if X.dtype.kind not in "biuf":
            raise BregnetInputError(f"X must be a real array; got dtype {X.dtype}")
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have shape (n_samples, {self.layer_sizes[0]}); got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or Inf")
        return X

    def pre_activation(self, l: int, X_prev) -> np.ndarray:
        r""":math:`Z_l = f(X_{l-1}, \Theta_l) = X_{l-1} W_l + b_l` (or :math:`A_{W_l}(X_{l-1}) + b_l`) for ``l`` in 1..L."""
        if self.layers is not None:
            return self.layers[l - 1].affine(X_prev, self.weights[l - 1], self.biases[l - 1])
        return X_prev @ self.weights[l - 1] + self.biases[l - 1]

    def forward_all(self, X) -> tuple[list, list]:
        r"""Forward pass keeping every layer: ``(zs, xs)`` with ``zs[l-1]`` :math:`=Z_l` and ``xs[l]`` :math:`=X_l` (``xs[0] = X``), eq. (4)."""
        X = self._check_input(X)
        xs, zs = [X], []
        for l in range(1, self.n_layers + 1):
            z = self.pre_activation(l, xs[-1])
            zs.append(z)
            xs.append(self.activations[l - 1].prox(z))
        return zs, xs

    def forward(self, X) -> np.ndarray:
        r"""Network output :math:`\mathcal N(X, \Theta)` of eq. (1)."""
        return self.forward_all(X)[1][-1]

    def copy(self) -> "Network":
        """A deep copy of the parameters (activations are immutable and shared)."""
        return Network(tuple(W.copy() for W in self.weights), tuple(b.copy() for b in self.biases), self.activations,
                       self.layers)

    def astype(self, dtype) -> "Network":
        """The same network with parameters cast to ``dtype`` (float32 or float64)."""
        return Network(tuple(W.astype(dtype) for W in self.weights), tuple(b.astype(dtype) for b in self.biases),
                       self.activations, self.layers)


def _layer_sizes(layer_sizes) -> list:
    """``layer_sizes`` as a list of at least two positive Python ints; ValueError naming it otherwise (a string is not
    iterated: ``"64"`` would be the sizes 6 and 4; a float such as 3.5 is not truncated)."""
    msg = f"layer_sizes must list at least two positive integer sizes; got {layer_sizes!r}"
    if isinstance(layer_sizes, (str, bytes)) or not np.iterable(layer_sizes):
        raise ValueError(msg)
    sizes = list(layer_sizes)
    ok = all(isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)) and n > 0 for n in sizes)
    if len(sizes) < 2 or not ok:
        raise ValueError(msg)
    return [int(n) for n in sizes]


def glorot_init(layer_sizes: Sequence[int], activations, *, seed=None, rng: np.random.Generator | None = None,
                dtype=np.float64, bias: float = 0.0) -> Network:
    r"""Glorot (Xavier) uniform initialisation: :math:`W_l \sim U[-a, a]`, :math:`a = \sqrt{6/(n_{l-1}+n_l)}`, :math:`b_l = ` ``bias``.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_0, ..., n_L)``, at least two entries, all positive.
    activations : str, Activation, or sequence of them
        One per layer (a single one is used for every layer).
    seed, rng : int or numpy.random.Generator
        Source of randomness (give one of them; ``rng`` wins).
    dtype : float64 (default) or float32

    Examples
    --------
    >>> net = glorot_init([784, 64, 64, 10], "relu", seed=1)
    >>> net.layer_sizes
    (784, 64, 64, 10)
    """
    sizes = _layer_sizes(layer_sizes)
    dtype = float_dtype(dtype)                  # a BregnetInputError, i.e. a ValueError
    if isinstance(bias, (bool, np.bool_)) or not isinstance(bias, (int, float, np.integer, np.floating)) \
            or not np.isfinite(bias):
        raise ValueError(f"bias must be a finite real number; got {bias!r}")
    if rng is None:
        rng = np.random.default_rng(seed)
    W, b = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        a = np.sqrt(6.0 / (n_in + n_out))
        W.append(rng.uniform(-a, a, size=(n_in, n_out)).astype(dtype))
        b.append(np.full(n_out, bias, dtype=dtype))
    return Network(tuple(W), tuple(b), resolve_activations(activations, len(W)))
