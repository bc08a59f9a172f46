r"""Back-propagation (Section 2.2, eq. (2)-(5); Appendix A, Algorithm 2, eq. (28)-(34)).

The empirical risk (2) with an optional :math:`\ell_1` penalty on one hidden layer's activations
(the sparse-autoencoder objective (26) written for the forward network),

.. math::  F(\Theta) = \frac1s\sum_{i=1}^s \Bigl[\ell\bigl(y^i, z_L^i\bigr)
           + \alpha\,\|x_k^i\|_1\Bigr], \qquad
           z_l^i = W_l^\top x_{l-1}^i + b_l,\quad x_l^i = \sigma_l(z_l^i),\quad x_0^i = x^i, \qquad (2),(4)

is differentiated by Algorithm 2: a forward pass (33)-(34) stores :math:`z_l, x_l`; a backward pass
(merging (31) and (32)) computes :math:`\delta_l = \partial F_i/\partial z_l`,

.. math::  \delta_L = \nabla_{z_L}\ell(y, z_L), \qquad
           \delta_l = J_{\sigma_l}(z_l)^\top\bigl(W_{l+1}\delta_{l+1} + \alpha\,\mathbb 1_{l=k}\operatorname{sign}(x_l)\bigr),

and the gradients are :math:`\nabla_{W_l}F = \tfrac1s\sum_i x_{l-1}^i(\delta_l^i)^\top`,
:math:`\nabla_{b_l}F = \tfrac1s\sum_i\delta_l^i`.  The Jacobian-transpose products use
``activation.vjp`` so that non-separable activations (softmax) are handled exactly; for a
separable :math:`\sigma` this is Algorithm 2's :math:`\sigma_l'(z_l)\odot(\cdot)`.

**Kink convention.**  Where :math:`\sigma_l` is not differentiable the backward pass uses the value
of :math:`\sigma_l'` documented by the activation (ReLU: :math:`\sigma'(0)=0`; soft-thresholding:
:math:`\sigma'(\pm\alpha)=0`; both in :math:`[0,1]`), and the :math:`\ell_1` penalty uses
:math:`\operatorname{sign}(0)=0\in\partial|\cdot|(0)`.  The result is the chain-rule ("conservative",
Bolte & Pauwels 2020) subgradient that PyTorch's autograd also returns; it equals the gradient
wherever no pre-activation sits exactly on a kink and no penalised activation is exactly zero.

**Output losses.**  The loss sees the output pre-activation :math:`z_L` and the output
:math:`x_L = \sigma_L(z_L)` (an :class:`OutputLoss`):

* ``"mse"`` (:class:`MSELoss`): :math:`\ell = \tfrac12\|y - x_L\|^2`, the paper's classification loss
  on one-hot targets (Section 6.1); :math:`\delta_L = J_{\sigma_L}(z_L)^\top(x_L - y)`.
* ``"bregman"`` (:class:`BregmanOutputLoss`): :math:`\ell = B_{\Psi_L}(y, z_L)` (eq. (25), (12)),
  whose gradient :math:`\delta_L = \sigma_L(z_L) - y` needs no derivative of :math:`\sigma_L`
  (Lemma 8).  For the identity output both losses coincide.

Arrays are batch-first as in :mod:`bregnet.network`; the gradients have the network's dtype.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations.base import Activation
from ..bregman import bregman_loss
from .._arrays import as_real_2d
from ..exceptions import BregnetInputError
from ..lifted import CodeRegulariser
from ..network import Network

__all__ = [
    "OutputLoss",
    "MSELoss",
    "BregmanOutputLoss",
    "get_loss",
    "L1Penalty",
    "check_data",
    "BackpropResult",
    "backprop",
    "objective",
]


# ----------------------------------------------------------------------------------- losses
class OutputLoss:
    r"""Interface of an output loss :math:`\ell(y, \cdot)` seen by Algorithm 2.

    Subclasses implement

    * ``per_sample(activation, y, z, x)``: :math:`\ell(y^i, z_L^i)` for every sample, shape ``(s,)``;
    * ``grad_z(activation, y, z, x)``: the seed :math:`\delta_L^i = \nabla_{z_L}\ell(y^i, z_L^i)`,
      shape ``(s, n_L)``;
    * optionally ``check_targets(activation, y)``, raising :class:`~bregnet.exceptions.BregnetInputError`.

    ``activation`` is :math:`\sigma_L`, ``z`` the output pre-activations and ``x = activation(z)``.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> loss = get_loss("mse")
    >>> z = np.array([[1.0, -1.0]]); y = np.array([[0.0, 0.0]])
    >>> loss.per_sample(get("identity"), y, z, z).tolist()
    [1.0]
    """

    name = "loss"

    def per_sample(self, activation: Activation, y, z, x) -> np.ndarray:
        raise NotImplementedError

    def grad_z(self, activation: Activation, y, z, x) -> np.ndarray:
        raise NotImplementedError

    def check_targets(self, activation: Activation, y) -> None:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(OutputLoss):
    r"""Half squared error of the network output, :math:`\ell(y, z_L) = \tfrac12\|y - \sigma_L(z_L)\|^2`.

    Averaged over samples this is the paper's MSE (Section 6.1; a Bregman loss (12) for
    :math:`\Psi_L\equiv0`).  Seed: :math:`\delta_L = J_{\sigma_L}(z_L)^\top(x_L - y)`, computed with
    ``activation.vjp`` (kink convention of the activation).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> z = np.array([[2.0, -1.0]]); relu = get("relu")
    >>> MSELoss().grad_z(relu, np.array([[0.0, 1.0]]), z, relu(z)).tolist()   # relu'(-1) = 0
    [[2.0, 0.0]]
    """

    name = "mse"

    def per_sample(self, activation, y, z, x):
        d = x - y
        return 0.5 * np.sum(d * d, axis=-1)

    def grad_z(self, activation, y, z, x):
        return activation.vjp(z, x - y)


class BregmanOutputLoss(OutputLoss):
    r"""Bregman output loss :math:`\ell(y, z_L) = B_{\Psi_L}(y, z_L)` (eq. (12), (25)).

    Seed (Lemma 8): :math:`\delta_L = \sigma_L(z_L) - y`; no derivative of :math:`\sigma_L` is
    needed.  The targets must lie in :math:`\operatorname{dom}\Psi_L` (e.g. one-hot rows for
    softmax, non-negative rows for ReLU).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> sm = get("softmax"); z = np.array([[0.0, 0.0]]); y = np.array([[1.0, 0.0]])
    >>> round(float(BregmanOutputLoss().per_sample(sm, y, z, sm(z))[0]), 6)   # log 2 (cross-entropy)
    0.693147
    >>> BregmanOutputLoss().grad_z(sm, y, z, sm(z)).tolist()
    [[-0.5, 0.5]]
    """

    name = "bregman"

    def per_sample(self, activation, y, z, x):
        if not np.all(np.isfinite(z)):  # a diverged run: report it as a non-finite loss, not a bad input
            return np.full(z.shape[:-1], np.inf, dtype=z.dtype)
        return bregman_loss(activation, y, z).astype(z.dtype, copy=False)

    def grad_z(self, activation, y, z, x):
        return x - y

    def check_targets(self, activation, y):
        inside = activation.in_domain(y)
        if not np.all(inside):
            bad = int(np.size(inside) - np.count_nonzero(inside))
            raise BregnetInputError(
                f"the Bregman output loss B_Psi(y, z) needs every target row y in dom Psi of the output "
                f"activation {activation!r}; {bad} row(s) are outside")


_LOSSES = {"mse": MSELoss, "bregman": BregmanOutputLoss}
# cross-entropy (with logits), binary cross-entropy, Huber: bregnet.backprop.losses, which needs OutputLoss above
from .losses import LOSSES as _MORE_LOSSES  # noqa: E402

_LOSSES.update(_MORE_LOSSES)

#: the names :func:`get_loss` knows (and the solvers' ``loss`` option accepts)
LOSS_NAMES = tuple(sorted(_LOSSES))


def get_loss(loss) -> OutputLoss:
    """An :class:`OutputLoss` from a name (``"mse"``, ``"bregman"``, ``"cross_entropy"``,
    ``"binary_cross_entropy"``, ``"huber"``; see :mod:`bregnet.backprop.losses`) or an instance.

    Examples
    --------
    >>> get_loss("bregman").name
    'bregman'
    """
    if isinstance(loss, OutputLoss):
        return loss
    if isinstance(loss, str) and loss in _LOSSES:
        return _LOSSES[loss]()
    raise BregnetInputError(f"loss must be one of {sorted(_LOSSES)} or an OutputLoss instance; got {loss!r}")


class L1Penalty(CodeRegulariser):
    r""":math:`\alpha\|x_k\|_1` on hidden layer ``layer`` = :math:`k\in\{1,\dots,L-1\}` (eq. (26)).

    ``L1Penalty(alpha, layer)`` (this argument order) builds the one l1 type of bregnet,
    :class:`bregnet.lifted.CodeRegulariser` ``(layer, alpha)``: the back-propagation baselines read it from
    ``task.problem.regulariser`` like the lifted solvers.

    Examples
    --------
    >>> p = L1Penalty(0.09, 2)
    >>> p.alpha, p.layer, p == CodeRegulariser(layer=2, alpha=0.09)
    (0.09, 2, True)
    """

    def __new__(cls, alpha, layer):
        return CodeRegulariser(layer=layer, alpha=alpha)

    @staticmethod
    def from_options(network: Network, l1_alpha, l1_layer) -> "CodeRegulariser | None":
        """Validate ``l1_alpha >= 0`` and ``1 <= l1_layer <= L-1``; ``None`` when there is no penalty."""
        try:
            a = float(l1_alpha)
        except (TypeError, ValueError):
            raise BregnetInputError(f"l1_alpha must be a real number >= 0; got {l1_alpha!r}") from None
        if not np.isfinite(a) or a < 0:
            raise BregnetInputError(f"l1_alpha must be a finite number >= 0; got {l1_alpha!r}")
        if l1_layer is None:
            if a > 0:
                raise BregnetInputError("l1_alpha > 0 needs l1_layer, the hidden layer k (1..L-1) whose activations x_k are penalised")
            return None
        if isinstance(l1_layer, bool) or not isinstance(l1_layer, (int, np.integer)):
            raise BregnetInputError(f"l1_layer must be an integer in 1..{network.n_layers - 1}; got {l1_layer!r}")
        if not 1 <= int(l1_layer) <= network.n_layers - 1:
            raise BregnetInputError(
                f"l1_layer must name a hidden layer, 1..{network.n_layers - 1} (L = {network.n_layers}); got {l1_layer}")
        return L1Penalty(a, int(l1_layer)) if a > 0 else None


# ----------------------------------------------------------------------------------- data
def check_data(network: Network, X, Y) -> tuple[np.ndarray, np.ndarray]:
    """Validate a batch ``(X, Y)`` for ``network`` and cast both to the network's dtype.

    Raises :class:`~bregnet.exceptions.BregnetInputError` naming the problem.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 2], "identity", seed=0)
    >>> check_data(net, [[1, 2, 3]], [[0, 1]])[0].dtype
    dtype('float64')
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a bregnet Network (see bregnet.network.glorot_init); got {type(network).__name__}")
    sizes = network.layer_sizes
    X = as_real_2d("X", X, sizes[0], network.dtype)
    Y = as_real_2d("Y", Y, sizes[-1], network.dtype)
    if X.shape[0] != Y.shape[0]:
        raise BregnetInputError(f"X and Y must have the same number of samples; got {X.shape[0]} and {Y.shape[0]}")
    return X, Y


# ----------------------------------------------------------------------------------- Algorithm 2
@dataclass(frozen=True)
class BackpropResult:
    r"""Output of :func:`backprop`.

    Attributes
    ----------
    objective : float
        :math:`F(\Theta)` = ``data_loss + penalty``.
    data_loss : float
        :math:`\tfrac1s\sum_i\ell(y^i, z_L^i)`.
    penalty : float
        :math:`\tfrac{\alpha}{s}\sum_i\|x_k^i\|_1` (0 without a penalty).
    grad_weights, grad_biases : tuple of ndarray
        :math:`\nabla_{W_l}F`, :math:`\nabla_{b_l}F`, same shapes and dtype as the parameters.
    zs, xs : list of ndarray
        Forward pass: ``zs[l-1]`` :math:`=Z_l`, ``xs[l]`` :math:`=X_l` (``xs[0]`` the input).
    """

    objective: float
    data_loss: float
    penalty: float
    grad_weights: tuple
    grad_biases: tuple
    zs: list
    xs: list


def _forward(weights, biases, activations, X, layers=None):
    xs, zs = [X], []
    for l, (W, b, act) in enumerate(zip(weights, biases, activations)):
        z = xs[-1] @ W + b if layers is None else layers[l].affine(xs[-1], W, b)
        zs.append(z)
        xs.append(act.prox(z))
    return zs, xs


def _backprop(weights, biases, activations, X, Y, loss: OutputLoss, penalty: CodeRegulariser | None, *,
              need_grad=True, layers=None):
    r"""Algorithm 2 on raw parameter lists (no validation): (objective, data_loss, pen, gW, gb, zs, xs).

    ``layers``: the operators of a network of operator layers (:mod:`bregnet.operators`), whose products
    :math:`x_{l-1}^\top\delta_l`, :math:`\mathbf 1^\top\delta_l` and :math:`W_l\delta_l` are the operator's
    ``weight_gradient``, ``bias_gradient`` and ``adjoint``; None for dense layers.
    """
    if layers is not None:
        return _backprop_operators(weights, biases, activations, X, Y, loss, penalty, need_grad, layers)
    s = X.shape[0]
    zs, xs = _forward(weights, biases, activations, X)
    data_loss = float(np.sum(loss.per_sample(activations[-1], Y, zs[-1], xs[-1]), dtype=np.float64)) / s
    pen = 0.0
    if penalty is not None:
        pen = penalty.alpha * float(np.sum(np.abs(xs[penalty.layer]), dtype=np.float64)) / s
    if not need_grad:
        return data_loss + pen, data_loss, pen, None, None, zs, xs
    L = len(weights)
    gW, gb = [None] * L, [None] * L
    inv_s = X.dtype.type(1.0 / s)
    delta = loss.grad_z(activations[-1], Y, zs[-1], xs[-1])          # delta_L, per sample
    for l in range(L, 0, -1):                                          # l = L, ..., 1
        gW[l - 1] = (xs[l - 1].T @ delta) * inv_s
        gb[l - 1] = np.sum(delta, axis=0) * inv_s
        if l == 1:
            break
        mu = delta @ weights[l - 1].T                                  # (31): mu_{l-1} = W_l delta_l
        if penalty is not None and penalty.layer == l - 1:
            mu = mu + X.dtype.type(penalty.alpha) * np.sign(xs[l - 1])  # sign(0) = 0
        delta = activations[l - 2].vjp(zs[l - 2], mu)                  # (32): delta = J_sigma^T mu
    return data_loss + pen, data_loss, pen, tuple(gW), tuple(gb), zs, xs


def _backprop_operators(weights, biases, activations, X, Y, loss, penalty, need_grad, layers):
    """:func:`_backprop` through operator layers (the same steps, the products by the operators)."""
    s = X.shape[0]
    zs, xs = _forward(weights, biases, activations, X, layers)
    data_loss = float(np.sum(loss.per_sample(activations[-1], Y, zs[-1], xs[-1]), dtype=np.float64)) / s
    pen = 0.0 if penalty is None else penalty.alpha * float(np.sum(np.abs(xs[penalty.layer]), dtype=np.float64)) / s
    if not need_grad:
        return data_loss + pen, data_loss, pen, None, None, zs, xs
    L = len(weights)
    gW, gb = [None] * L, [None] * L
    inv_s = X.dtype.type(1.0 / s)
    delta = loss.grad_z(activations[-1], Y, zs[-1], xs[-1])
    for l in range(L, 0, -1):
        op = layers[l - 1]
        gW[l - 1] = op.weight_gradient(xs[l - 1], delta) * inv_s
        gb[l - 1] = op.bias_gradient(delta) * inv_s
        if l == 1:
            break
        mu = op.adjoint(delta, weights[l - 1])                        # (31) through the operator's adjoint
        if penalty is not None and penalty.layer == l - 1:
            mu = mu + X.dtype.type(penalty.alpha) * np.sign(xs[l - 1])
        delta = activations[l - 2].vjp(zs[l - 2], mu)                  # (32)
    return data_loss + pen, data_loss, pen, tuple(gW), tuple(gb), zs, xs


def backprop(network: Network, X, Y, loss="mse", *, l1_alpha: float = 0.0, l1_layer: int | None = None) -> BackpropResult:
    r"""Objective :math:`F(\Theta)` of (2) (plus :math:`\alpha\|x_k\|_1`) and its gradient by Algorithm 2.

    Parameters
    ----------
    network : Network
    X : array_like, shape (s, n_0)
        Inputs :math:`x^i`.
    Y : array_like, shape (s, n_L)
        Targets :math:`y^i` (for an autoencoder, the clean inputs).
    loss : {"mse", "bregman", "cross_entropy", "binary_cross_entropy", "huber"} or OutputLoss
        The output loss (see the module docstring and :mod:`bregnet.backprop.losses`).
    l1_alpha, l1_layer : float, int
        Optional penalty :math:`\alpha\|x_k\|_1` on hidden layer :math:`k` = ``l1_layer`` (eq. (26)).

    Returns
    -------
    BackpropResult

    Examples
    --------
    A one-layer identity network, :math:`F = \tfrac12|w x + b - y|^2` at :math:`w=2, b=0, x=1, y=0`:

    >>> net = Network((np.array([[2.0]]),), (np.array([0.0]),), ("identity",))
    >>> r = backprop(net, [[1.0]], [[0.0]])
    >>> r.objective, r.grad_weights[0].tolist(), r.grad_biases[0].tolist()
    (2.0, [[2.0]], [2.0])
    """
    X, Y = check_data(network, X, Y)
    loss = get_loss(loss)
    loss.check_targets(network.activations[-1], Y)
    penalty = L1Penalty.from_options(network, l1_alpha, l1_layer)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        obj, dl, pen, gW, gb, zs, xs = _backprop(network.weights, network.biases, network.activations, X, Y, loss, penalty,
                                                 layers=network.layers)
    return BackpropResult(obj, dl, pen, gW, gb, zs, xs)


def objective(network: Network, X, Y, loss="mse", *, l1_alpha: float = 0.0, l1_layer: int | None = None) -> float:
    r"""The training objective :math:`F(\Theta)` (forward pass only).

    Examples
    --------
    >>> net = Network((np.array([[2.0]]),), (np.array([0.0]),), ("identity",))
    >>> objective(net, [[1.0], [0.0]], [[0.0], [0.0]])   # (1/2)(1/2 * 4 + 0)
    1.0
    """
    X, Y = check_data(network, X, Y)
    loss = get_loss(loss)
    loss.check_targets(network.activations[-1], Y)
    penalty = L1Penalty.from_options(network, l1_alpha, l1_layer)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return _backprop(network.weights, network.biases, network.activations, X, Y, loss, penalty, need_grad=False)[0]
