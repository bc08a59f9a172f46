r"""The lifted Bregman inversion energy and its block gradients (Wang & Benning, Front. Appl. Math. Stat. 2023).

Given a trained network with layers :math:`z_l = A_l x_{l-1} + b_l` (dense: :math:`A_l x = W_l^\top x`, batch-first
``Z_l = X_{l-1} @ W_l + b_l``) and proximal activations :math:`\sigma_l = \operatorname{prox}_{\Psi_l}`, and an
output :math:`f`, the lifted inversion energy of one sample is

.. math::  E(u, x_1, \dots, x_{L-1}) = \sum_{l=1}^{L} \lambda_l\, B_{\Psi_l}\big(x_l, A_l x_{l-1} + b_l\big)
           + \alpha J(u), \qquad x_0 = u,\ x_L = f,

the last summand being the data term :math:`\lambda_L B_{\Psi_L}(f, A_L x_{L-1} + b_L)` of the training energy
(25) (for an identity output :math:`\tfrac{\lambda_L}{2}\|A_L x_{L-1} + b_L - f\|^2`); :math:`J` is a regulariser
of :mod:`bregnet.inversion.regularisers`.  For a batch of ``s`` outputs (rows of ``F``) the energy is the mean
over samples, as in :mod:`bregnet.lifted`; the samples do not interact.

**Block convexity.**  :math:`B_\Psi(x, z) = \Phi(x) + \Phi^*(z) - \langle x, z\rangle` is convex in :math:`x` and
in :math:`z` (Theorem 10, item 8, of the training paper), so :math:`E` is convex in each block :math:`u`,
:math:`x_j` (each appears in the first argument of one term and, through an affine map, in the second argument
of the next).  With :math:`\Phi_l = \tfrac12\|\cdot\|^2 + \Psi_l` it splits as :math:`E = G + H`,

.. math::  G = \sum_{l<L}\lambda_l\Phi_l(x_l) + \alpha J(u) + \text{const}, \qquad
           H = \sum_{l=1}^{L}\lambda_l\big[\Phi_l^*(z_l) - \langle x_l, z_l\rangle\big],

and by Lemma 8 (:math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x`) the block gradients of the smooth part :math:`H`
need no derivative of any activation:

.. math::  \nabla_u H = \lambda_1 A_1^\top\big(\sigma_1(z_1) - x_1\big), \qquad
           \nabla_{x_j} H = -\lambda_j z_j + \lambda_{j+1} A_{j+1}^\top\big(\sigma_{j+1}(z_{j+1}) - x_{j+1}\big),

Lipschitz with constants :math:`\lambda_1\|A_1\|^2` and :math:`\lambda_{j+1}\|A_{j+1}\|^2` (:math:`\sigma` is
firmly non-expansive).  The non-smooth parts are handled by proximal maps: :math:`\alpha J` by the
regulariser's prox, :math:`\lambda_j\Phi_j` by
:math:`\operatorname{prox}_{t\lambda_j\Phi_j}(v) = \operatorname{prox}_{\frac{t\lambda_j}{1+t\lambda_j}\Psi_j}
\big(\tfrac{v}{1+t\lambda_j}\big)` (as :func:`bregnet.lifted.prox_layer`).

**Layers as linear maps.**  The energy sees each layer through a :class:`LinearMap` (``forward`` :math:`A x`,
``adjoint`` :math:`A^\top y`, ``norm_sq`` a bound on :math:`\|A\|^2`), so any linear layer (a convolution)
plugs in; :class:`DenseMap` is the dense :math:`W^\top` of :class:`bregnet.network.Network`,
:class:`OperatorMap` a layer of :mod:`bregnet.operators` (a convolution) of a network built with ``layers``.

Examples
--------
>>> import numpy as np
>>> from bregnet.network import glorot_init
>>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
>>> u = np.array([[0.5, -1.0, 2.0]]); F = net.forward(u)
>>> E = InversionEnergy.from_network(net)
>>> E.value(u, E.forward_hidden(u), F)           # the true input with its forward pass: zero energy
0.0
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..activations.base import Activation
from ..bregman import bregman_loss
from ..exceptions import BregnetInputError
from ..network import Network
from ..solvers.lipschitz import spectral_norm_sq
from .regularisers import NoRegulariser, Regulariser

__all__ = ["LinearMap", "DenseMap", "OperatorMap", "InversionLayer", "InversionEnergy"]


# ---------------------------------------------------------------------------------------------- linear maps
class LinearMap:
    r"""Interface of a layer's linear part :math:`A: \mathbb R^{n_{in}} \to \mathbb R^{n_{out}}`, on batches (rows).

    Subclasses provide ``n_in``, ``n_out``, ``dtype`` and

    * ``forward(X)``: rows :math:`A x^i`, shape ``(s, n_out)``;
    * ``adjoint(Y)``: rows :math:`A^\top y^i`, shape ``(s, n_in)``;
    * ``norm_sq()``: an upper bound (or a power-iteration estimate) of :math:`\|A\|_2^2`, for the step sizes.
    """

    n_in: int
    n_out: int
    dtype = np.dtype(np.float64)

    def forward(self, X) -> np.ndarray:
        raise NotImplementedError

    def adjoint(self, Y) -> np.ndarray:
        raise NotImplementedError

    def norm_sq(self) -> float:
        raise NotImplementedError


class DenseMap(LinearMap):
    r"""The dense layer map :math:`x \mapsto W^\top x` (batch-first: ``X @ W``), ``W`` of shape ``(n_in, n_out)``.

    ``norm_sq`` is :math:`\|W\|_2^2` by power iteration (:func:`bregnet.solvers.lipschitz.spectral_norm_sq`, as the
    training step rules), computed once.

    Examples
    --------
    >>> A = DenseMap(np.array([[3.0, 0.0], [0.0, 1.0]]))
    >>> A.forward(np.array([[1.0, 1.0]])).tolist(), A.adjoint(np.array([[1.0, 2.0]])).tolist(), round(A.norm_sq(), 8)
    ([[3.0, 1.0]], [[3.0, 2.0]], 9.0)
    """

    def __init__(self, W, norm_sq: float | None = None):
        W = np.asarray(W)
        if W.ndim != 2 or W.dtype.kind != "f":
            raise BregnetInputError(f"W must be a 2-D floating array (n_in, n_out); got shape {W.shape}, "
                                    f"dtype {W.dtype}")
        self.W = W
        self.n_in, self.n_out = W.shape
        self.dtype = W.dtype
        self._norm_sq = None if norm_sq is None else float(norm_sq)

    def forward(self, X):
        return X @ self.W

    def adjoint(self, Y):
        return Y @ self.W.T

    def norm_sq(self):
        if self._norm_sq is None:
            self._norm_sq = float(spectral_norm_sq(self.W, tol=1e-10, max_iter=1000))
        return self._norm_sq

    def __repr__(self) -> str:
        return f"DenseMap({self.n_in} -> {self.n_out})"


class OperatorMap(LinearMap):
    r"""A layer of :mod:`bregnet.operators` with its parameters as a :class:`LinearMap`: :math:`x \mapsto A_W(x)`
    (a :class:`~bregnet.operators.Conv2d` cross-correlation, a :class:`~bregnet.operators.Dense` product, ...);
    ``norm_sq`` is the operator's power iteration, computed once.

    Examples
    --------
    >>> from bregnet.operators import Conv2d
    >>> conv = Conv2d((3, 3, 1), 2, (3, 3), stride=1, padding=1)
    >>> K = np.random.default_rng(0).normal(size=conv.weight_shape)
    >>> A = OperatorMap(conv, K)
    >>> (A.n_in, A.n_out), A.forward(np.ones((1, 9))).shape
    ((9, 18), (1, 18))
    """

    def __init__(self, operator, W, norm_sq: float | None = None):
        from ..operators import LinearOperator
        if not isinstance(operator, LinearOperator):
            raise BregnetInputError(f"operator must be a bregnet.operators layer; got {type(operator).__name__}")
        self.operator, self.W = operator, np.asarray(W)
        self.n_in, self.n_out = operator.in_size, operator.out_size
        self.dtype = self.W.dtype
        self._norm_sq = None if norm_sq is None else float(norm_sq)

    def forward(self, X):
        return self.operator.forward(X, self.W)

    def adjoint(self, Y):
        return self.operator.adjoint(Y, self.W)

    def norm_sq(self):
        if self._norm_sq is None:
            self._norm_sq = float(self.operator.norm_sq(self.W))
        return self._norm_sq

    def __repr__(self) -> str:
        return f"OperatorMap({self.operator!r})"


@dataclass(frozen=True)
class InversionLayer:
    r"""One layer :math:`x \mapsto \sigma(A x + b)` of the energy, with its weight :math:`\lambda` in :math:`E`."""

    map: LinearMap
    bias: np.ndarray
    activation: Activation
    lam: float = 1.0

    def __post_init__(self):
        if not isinstance(self.map, LinearMap):
            raise BregnetInputError(f"map must be a LinearMap (e.g. DenseMap(W)); got {type(self.map).__name__}")
        if not isinstance(self.activation, Activation):
            raise BregnetInputError(f"activation must be a bregnet Activation; got {type(self.activation).__name__}")
        b = np.asarray(self.bias)
        if b.shape != (self.map.n_out,):
            raise BregnetInputError(f"bias must have shape ({self.map.n_out},); got {b.shape}")
        lam = self.lam
        if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, numbers.Real) or not np.isfinite(lam) or lam <= 0:
            raise BregnetInputError(f"lambda must be a finite number > 0; got {lam!r}")
        object.__setattr__(self, "bias", b)
        object.__setattr__(self, "lam", float(lam))

    def pre(self, X_prev):
        r""":math:`z = A x_{prev} + b` for every row."""
        return self.map.forward(X_prev) + self.bias


# ---------------------------------------------------------------------------------------------- the energy
class InversionEnergy:
    r"""The lifted inversion energy :math:`E(u, x_1, \dots, x_{L-1})` of the module docstring.

    Parameters
    ----------
    layers : sequence of InversionLayer
        :math:`(A_l, b_l, \sigma_l, \lambda_l)`, l = 1..L.
    regulariser : Regulariser, optional
        :math:`J` (default none).
    alpha : float
        :math:`\alpha \ge 0`.

    Notes
    -----
    Arrays are batches: ``U`` of shape ``(s, n_0)``, the hidden variables a list of ``X_1, ..., X_{L-1}``,
    ``F`` of shape ``(s, n_L)``.  :meth:`value` is the mean over the rows; the gradients (:meth:`grad_u`,
    :meth:`grad_x`) are those of each row's energy (rows are independent), i.e. ``s`` times the gradient of the
    mean.
    """

    def __init__(self, layers, regulariser: Regulariser | None = None, alpha: float = 0.0):
        layers = tuple(layers)
        if not layers or not all(isinstance(l, InversionLayer) for l in layers):
            raise BregnetInputError("layers must be a non-empty sequence of InversionLayer")
        for l in range(1, len(layers)):
            if layers[l].map.n_in != layers[l - 1].map.n_out:
                raise BregnetInputError(f"layer {l + 1} expects {layers[l].map.n_in} inputs but layer {l} has "
                                        f"{layers[l - 1].map.n_out} outputs")
        regulariser = NoRegulariser() if regulariser is None else regulariser
        if not isinstance(regulariser, Regulariser):
            raise BregnetInputError(f"regulariser must be a bregnet.inversion Regulariser; got "
                                    f"{type(regulariser).__name__}")
        if regulariser.size is not None and regulariser.size != layers[0].map.n_in:
            raise BregnetInputError(f"the regulariser acts on inputs of {regulariser.size} entries; the network "
                                    f"has {layers[0].map.n_in}")
        if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha) \
                or alpha < 0:
            raise BregnetInputError(f"alpha must be a finite number >= 0; got {alpha!r}")
        self.layers, self.regulariser, self.alpha = layers, regulariser, float(alpha)

    @classmethod
    def from_network(cls, network: Network, lambdas=None, regulariser: Regulariser | None = None,
                     alpha: float = 0.0, norms_sq=None) -> "InversionEnergy":
        r"""The energy of a dense :class:`~bregnet.network.Network`: :math:`A_l = W_l^\top` (:class:`DenseMap`).

        ``lambdas``: :math:`\lambda_1..\lambda_L` (default all 1); ``norms_sq``: known :math:`\|W_l\|^2` (else by
        power iteration when first needed).
        """
        if not isinstance(network, Network):
            raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
        L = network.n_layers
        lambdas = (1.0,) * L if lambdas is None else tuple(lambdas)
        if len(lambdas) != L:
            raise BregnetInputError(f"lambdas must give one weight per layer ({L}); got {len(lambdas)}")
        norms = [None] * L if norms_sq is None else list(norms_sq)
        ops = getattr(network, "layers", None)
        if ops is None:
            layers = [InversionLayer(DenseMap(W, n), b, a, lam) for W, b, a, lam, n in
                      zip(network.weights, network.biases, network.activations, lambdas, norms)]
        else:                                          # operator layers (convolutions): the bias over positions
            layers = [InversionLayer(OperatorMap(op, W, n), op.bias_forward(b, 1)[0].astype(W.dtype), a, lam)
                      for op, W, b, a, lam, n in zip(ops, network.weights, network.biases, network.activations,
                                                     lambdas, norms)]
        return cls(layers, regulariser, alpha)

    # ------------------------------------------------------------------ shapes
    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def input_size(self) -> int:
        return self.layers[0].map.n_in

    @property
    def output_size(self) -> int:
        return self.layers[-1].map.n_out

    def sizes(self) -> tuple:
        """``(n_0, n_1, ..., n_L)``."""
        return (self.input_size,) + tuple(l.map.n_out for l in self.layers)

    # ------------------------------------------------------------------ forward
    def forward_all(self, U) -> list:
        """``[U, X_1, ..., X_L]`` of the forward pass :math:`x_l = \\sigma_l(A_l x_{l-1} + b_l)`."""
        xs = [U]
        for layer in self.layers:
            xs.append(layer.activation.prox(layer.pre(xs[-1])))
        return xs

    def forward_hidden(self, U) -> list:
        """The hidden variables :math:`x_1..x_{L-1}` of a forward pass from ``U`` (each hidden term then vanishes)."""
        return self.forward_all(U)[1:-1]

    def forward(self, U) -> np.ndarray:
        """The network output :math:`\\mathcal N(u)` of every row."""
        return self.forward_all(U)[-1]

    def check_output(self, F, name: str = "F") -> None:
        """BregnetInputError if a row of ``F`` lies outside dom :math:`\\Psi_L` (the data term is infinite there)."""
        act = self.layers[-1].activation
        inside = act.in_domain(F)
        if not np.all(inside):
            raise BregnetInputError(f"{name} has {int(np.size(inside) - np.count_nonzero(inside))} row(s) outside "
                                    f"dom Psi_L of the output activation {act!r}: the data term B_Psi_L(f, z) is "
                                    f"infinite there (e.g. a ReLU output needs f >= 0: project noisy data onto it)")

    # ------------------------------------------------------------------ values
    def _xs(self, U, hidden, F):
        hidden = list(hidden)
        if len(hidden) != self.n_layers - 1:
            raise BregnetInputError(f"hidden must hold x_1..x_{self.n_layers - 1} ({self.n_layers - 1} arrays); "
                                    f"got {len(hidden)}")
        return [U, *hidden, F]

    def layer_terms(self, U, hidden, F) -> np.ndarray:
        r""":math:`\frac{\lambda_l}{s}\sum_i B_{\Psi_l}(x_l^i, A_l x_{l-1}^i + b_l)`, l = 1..L (the last is the data term)."""
        xs = self._xs(U, hidden, F)
        s = U.shape[0]
        return np.array([layer.lam * float(np.sum(bregman_loss(layer.activation, xs[l + 1], layer.pre(xs[l])))) / s
                         for l, layer in enumerate(self.layers)])

    def regulariser_value(self, U) -> float:
        r""":math:`\frac{\alpha}{s}\sum_i J(u^i)`."""
        if self.alpha == 0:
            return 0.0
        return self.alpha * float(np.mean(self.regulariser.value(U)))

    def value(self, U, hidden, F) -> float:
        """:math:`E` (mean over rows); ``+inf`` where a variable lies outside the domain of its :math:`\\Psi`."""
        return float(np.sum(self.layer_terms(U, hidden, F))) + self.regulariser_value(U)

    def smooth_value(self, U, hidden, F) -> float:
        r""":math:`H = \frac1s\sum_i\sum_l\lambda_l[\Phi_l^*(z_l^i) - \langle x_l^i, z_l^i\rangle]`, the smooth part."""
        xs = self._xs(U, hidden, F)
        h = 0.0
        for l, layer in enumerate(self.layers):
            z = layer.pre(xs[l])
            h += layer.lam * (float(np.sum(layer.activation.phi_star(z))) - float(np.sum(xs[l + 1] * z)))
        return h / U.shape[0]

    def output_misfit(self, U, F) -> float:
        r""":math:`\frac1s\sum_i\tfrac12\|\mathcal N(u^i) - f^i\|^2` (the baseline's data term, for comparisons)."""
        d = self.forward(U) - F
        return 0.5 * float(np.sum(d * d, dtype=np.float64)) / U.shape[0]

    def evaluate(self, U, hidden, F) -> dict:
        r"""Every number of a history row from one pass: ``energy``, ``data_term`` (the last layer's term),
        ``regulariser`` (:math:`\alpha J`, mean), ``output_misfit`` (:math:`\frac1s\sum\tfrac12\|\mathcal N(u)
        - f\|^2`) and, for L > 1, ``hidden_terms`` and ``residuals``.  The first layer's pre-activation is shared
        by the lifted terms and the forward pass (for L = 1 everything is one matrix product)."""
        xs = self._xs(U, hidden, F)
        s = U.shape[0]
        terms, z1 = [], None
        for l, layer in enumerate(self.layers):
            z = layer.pre(xs[l])
            if l == 0:
                z1 = z
            terms.append(layer.lam * float(np.sum(bregman_loss(layer.activation, xs[l + 1], z))) / s)
        x = self.layers[0].activation.prox(z1)
        res = []
        for j, layer in enumerate(self.layers[1:], start=1):
            r = xs[j] - x
            res.append(np.sqrt(float(np.sum(r * r)) / s))
            x = layer.activation.prox(layer.pre(x))
        d = x - F
        reg = self.regulariser_value(U)
        row = {"energy": float(np.sum(terms)) + reg, "data_term": terms[-1], "regulariser": reg,
               "output_misfit": 0.5 * float(np.sum(d * d, dtype=np.float64)) / s}
        if self.n_layers > 1:
            row["hidden_terms"] = float(np.sum(terms[:-1]))
            row["residuals"] = np.array(res)
        return row

    def residuals(self, U, hidden) -> np.ndarray:
        r"""Per hidden layer: :math:`(\frac1s\sum_i\|x_j^i - \sigma_j(A_j x_{j-1}^i + b_j)\|^2)^{1/2}` (zero on a
        forward pass)."""
        xs = [U, *hidden]
        out = np.empty(self.n_layers - 1)
        for j in range(1, self.n_layers):
            layer = self.layers[j - 1]
            r = xs[j] - layer.activation.prox(layer.pre(xs[j - 1]))
            out[j - 1] = np.sqrt(float(np.sum(r * r)) / U.shape[0])
        return out

    # ------------------------------------------------------------------ gradients (per row)
    def grad_u(self, U, hidden, F) -> np.ndarray:
        r""":math:`\nabla_u H = \lambda_1 A_1^\top(\sigma_1(z_1) - x_1)` of every row (Lemma 8)."""
        xs = self._xs(U, hidden, F)
        layer = self.layers[0]
        D = layer.activation.prox(layer.pre(U)) - xs[1]
        return U.dtype.type(layer.lam) * layer.map.adjoint(D)

    def grad_x(self, j: int, U, hidden, F) -> np.ndarray:
        r""":math:`\nabla_{x_j} H = -\lambda_j z_j + \lambda_{j+1} A_{j+1}^\top(\sigma_{j+1}(z_{j+1}) - x_{j+1})` of
        every row, j = 1..L-1."""
        if not (isinstance(j, (int, np.integer)) and 1 <= j < self.n_layers):
            raise BregnetInputError(f"j must be a hidden layer 1..{self.n_layers - 1}; got {j!r}")
        xs = self._xs(U, hidden, F)
        cur, nxt = self.layers[j - 1], self.layers[j]
        dt = U.dtype.type
        D = nxt.activation.prox(nxt.pre(xs[j])) - xs[j + 1]
        return dt(nxt.lam) * nxt.map.adjoint(D) - dt(cur.lam) * cur.pre(xs[j - 1])

    def prox_x(self, j: int, V, t: float) -> np.ndarray:
        r""":math:`\operatorname{prox}_{t\lambda_j\Phi_j}(v) = \operatorname{prox}_{\frac{t\lambda_j}{1+t\lambda_j}
        \Psi_j}(\tfrac{v}{1+t\lambda_j})` of every row."""
        layer = self.layers[j - 1]
        tl = t * layer.lam
        return layer.activation.prox(V / V.dtype.type(1.0 + tl), tl / (1.0 + tl))

    def prox_u(self, V, tau: float, dual=None):
        r"""``(U, dual)``: :math:`\operatorname{prox}_{\tau\alpha J}` of every row (the regulariser's warm start
        ``dual``)."""
        if self.alpha == 0:
            return V, dual
        return self.regulariser.prox(V, tau * self.alpha, dual)

    # ------------------------------------------------------------------ Lipschitz bounds
    def lipschitz_u(self) -> float:
        r""":math:`\lambda_1\|A_1\|^2`, the Lipschitz constant of :math:`\nabla_u H`."""
        return self.layers[0].lam * self.layers[0].map.norm_sq()

    def lipschitz_x(self, j: int) -> float:
        r""":math:`\lambda_{j+1}\|A_{j+1}\|^2`, the Lipschitz constant of :math:`\nabla_{x_j} H`."""
        return self.layers[j].lam * self.layers[j].map.norm_sq()

    def __repr__(self) -> str:
        return (f"InversionEnergy({' -> '.join(map(str, self.sizes()))}, "
                f"{[l.activation for l in self.layers]}, regulariser={self.regulariser!r}, alpha={self.alpha})")
