r"""The lifted Bregman energy and its split (Section 3.2, Section 4.1, eq. (13), (16)-(18), (25)-(27)).

For a network with layers :math:`f(x, \Theta_l) = W_l^\top x + b_l` and activations
:math:`\sigma_l = \operatorname{prox}_{\Psi_l}`, samples :math:`i = 1..s`, input :math:`x_0^i` and target
:math:`x_L^i = y^i`, the lifted energy is

.. math::  E(\Theta, \mathbf X) = \frac1s\sum_{i=1}^s\Big[\sum_{l=1}^L \lambda_l
           B_{\Psi_l}\big(x_l^i, f(x_{l-1}^i, \Theta_l)\big) + R(x_c^i)\Big]  \qquad (18), (25)\text{-}(27)

where the last term :math:`l = L` is the data term :math:`B_{\Psi_L}(y^i, f(x_{L-1}^i, \Theta_L))` of (25)
(for the identity activation this is the squared error) and :math:`R = \alpha\|\cdot\|_1` is an optional
regulariser on one hidden ("code") layer :math:`c`, as in the sparse autoencoders (26), (27).

With :math:`\Phi_l = \tfrac12\|\cdot\|^2 + \Psi_l` the energy splits (Section 4.1) into
:math:`E = G(\mathbf X) + H(\Theta, \mathbf X)`,

.. math::  G = \frac1s\sum_i\Big[\sum_{l=1}^L \lambda_l \Phi_l(x_l^i) + R(x_c^i)\Big], \qquad
           H = \frac1s\sum_i\sum_{l=1}^L \lambda_l\big[\Phi_l^*(z_l^i) - \langle x_l^i, z_l^i\rangle\big],
           \quad z_l^i = f(x_{l-1}^i, \Theta_l),

(the :math:`l = L` summand of :math:`G` is a constant, kept so that :math:`G + H = E` exactly).  By Lemma 8
the gradients of :math:`H` need no derivative of any activation:

.. math::  \nabla_{W_l} H = \frac{\lambda_l}{s} X_{l-1}^\top(\sigma_l(Z_l) - X_l), \quad
           \nabla_{b_l} H = \frac{\lambda_l}{s}\mathbf 1^\top(\sigma_l(Z_l) - X_l), \quad
           \nabla_{X_j} H = \frac1s\big[-\lambda_j Z_j + \lambda_{j+1}(\sigma_{j+1}(Z_{j+1}) - X_{j+1}) W_{j+1}^\top\big].

Arrays are batch-first: ``xs[l]`` is :math:`X_l` of shape ``(s, n_l)``, ``xs[0]`` the input and
``xs[L]`` the target; ``Z_l = xs[l-1] @ W_l + b_l``.

**Operator layers** (:mod:`bregnet.operators`, issue 15).  For a network with ``layers``,
:math:`f(x, \Theta_l) = A_{W_l}(x) + b_l` and the same formulas hold with :math:`X_{l-1}^\top D` replaced by
:math:`\partial_W\langle D, A_W(X_{l-1})\rangle` (``operator.weight_gradient``), :math:`\mathbf 1^\top D` by
the sum over samples and positions (``operator.bias_gradient``) and :math:`D W_{j+1}^\top` by the adjoint
:math:`A_{W_{j+1}}^\top(D)`; the functions below take the operator as ``operator=`` (None: dense, today's code).

**Penalties of the lifted family** (issue 15; ``LiftedProblem(penalty=...)``).  The hidden summands
:math:`l < L` of (18) are chosen by name; the data term :math:`l = L` of (25) is the same for all:

* ``"bregman"`` (default): :math:`\lambda_l B_{\Psi_l}(x_l, z_l)`, this paper;
* ``"mac"``: :math:`\tfrac{\lambda_l}{2}\|x_l - \sigma_l(z_l)\|^2`, the quadratic penalty of the method of
  auxiliary coordinates (Carreira-Perpinan & Wang 2014; MAC-QP, eq. (6));
* ``"fenchel"``: :math:`\lambda_l B_l(x_l, z_l)` of Fenchel lifted networks (Gu, Askari & El Ghaoui, AISTATS 2020),
  for ReLU :math:`B_l(v, u) = \tfrac12 v^2 + \tfrac12 u_+^2 - uv` (:math:`v \ge 0`, else :math:`\infty`), as the
  paper's Appendix transcribes it; it is :math:`B_{\Psi}` of ReLU (Theorem 10, item 4), so its steps are the
  Bregman steps.  Gu et al. give it for ReLU only: other hidden activations are refused.
* ``"classical"``: :math:`\tfrac{\lambda_l}{2}\|x_l - z_l\|^2` subject to :math:`x_l \ge 0`, the classical lifted
  network (Askari et al. 2018, eq. (7), which prints :math:`\lambda_l\|x_l - z_l\|^2`: its :math:`\lambda_l` is half
  of this one).  The constraint plays the ReLU, so ReLU hidden layers are required.  For :math:`x \ge 0` it is
  :math:`B_{\Psi_{\rm ReLU}}(x, z) + \tfrac12\|\min(z, 0)\|^2`.

The quadratic penalties (``"mac"``, ``"classical"``) pull :math:`x_l` to a target :math:`\sigma_l(z_l)` or
:math:`z_l` (:func:`penalty_target`).

For MAC the steps need :math:`\sigma'`: the residual of layer :math:`l` becomes
:math:`D_l = J_{\sigma_l}(z_l)^\top(\sigma_l(z_l) - x_l)` (:func:`layer_residual`), the :math:`\Theta_l`- and
:math:`x_{j-1}`-steps are plain gradient steps with it, and the :math:`x_j`-step takes the exact prox of its own
quadratic term, :math:`x_j^+ = (v + t\lambda_j\sigma_j(z_j))/(1 + t\lambda_j)` (soft-thresholded by
:math:`t\alpha/(1 + t\lambda_j)` on a code layer).  The classical penalty is the same with :math:`\sigma_j` the
identity (:math:`D_l = z_l - x_l`) and the :math:`x_j`-step projected onto :math:`x \ge 0`.  The step sizes are
the Bregman ones: the Gauss-Newton part of the curvature is bounded by them since :math:`|\sigma'| \le 1` (a
proximal activation is 1-Lipschitz); the part :math:`\sigma''\,(\sigma - x)` is not bounded (it vanishes almost
everywhere for piecewise-linear activations such as ReLU, where the bound is a Lipschitz bound of each piece).

The update formulas of the solvers live here, written once: :func:`theta_step` (17a) with the
proximal term of (24), :func:`x_step` (17b) with the regulariser folded into the prox (Section 6.2),
:func:`prox_layer` (the prox of one layer's part of :math:`G`).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .activations import get as _get_activation, names as _activation_names
from .activations.base import Activation
from .bregman import bregman_loss
from .exceptions import BregnetInputError
from .network import Network

__all__ = [
    "CodeRegulariser",
    "LiftedProblem",
    "forward_hidden",
    "lifted_state",
    "layer_energies",
    "lifted_energy",
    "energy_G",
    "energy_H",
    "grad_theta_H",
    "grad_x_H",
    "prox_psi_l1",
    "prox_layer",
    "theta_gradient",
    "theta_step",
    "x_gradient",
    "x_step",
    "consistency_residuals",
    "forward_loss",
    "forward_energy",
    "L1_PROX_ACTIVATIONS",
    "PENALTIES",
    "layer_residual",
    "hidden_penalty",
    "penalty_target",
    "quadratic_shrink",
    "QUADRATIC_PENALTIES",
]

#: the layer penalties of the lifted family (see the module docstring)
PENALTIES = ("bregman", "mac", "fenchel", "classical")
#: the penalties whose hidden term is the quadratic 1/2|x - target|^2 (no split E = G + H, no prox of Psi needed)
QUADRATIC_PENALTIES = ("mac", "classical")

#: registered names whose class has a closed-form :math:`\operatorname{prox}_{t(\Psi + a\|\cdot\|_1)}`
#: (derived from :meth:`bregnet.activations.Activation.supports_l1`, for messages and docs only: the
#: code asks the activation, so a subclass under a registered name is judged by its own class)
L1_PROX_ACTIVATIONS = tuple(n for n in _activation_names() if _get_activation(n).supports_l1())


def _real(name: str, value) -> float:
    """``value`` as a float; BregnetInputError naming ``name`` for strings, bools, None and other non-numbers."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise BregnetInputError(f"{name} must be a real number; got {value!r}")
    return float(value)


@dataclass(frozen=True)
class CodeRegulariser:
    r""":math:`R(x_c) = \alpha\|x_c\|_1` on the hidden layer ``layer`` = :math:`c` (eq. (26), (27)).

    Examples
    --------
    >>> CodeRegulariser(layer=1, alpha=0.09).alpha
    0.09
    """

    layer: int
    alpha: float

    def __post_init__(self):
        if not isinstance(self.layer, (int, np.integer)) or isinstance(self.layer, bool):
            raise BregnetInputError(f"regulariser layer must be an int (a hidden layer 1..L-1); got {self.layer!r}")
        a = _real("regulariser alpha", self.alpha)
        if not np.isfinite(a) or a < 0:
            raise BregnetInputError(f"regulariser alpha must be a finite number >= 0; got {self.alpha!r}")
        object.__setattr__(self, "layer", int(self.layer))
        object.__setattr__(self, "alpha", a)


@dataclass(frozen=True)
class LiftedProblem:
    r"""The lifted energy's fixed ingredients: activations :math:`\sigma_l`, weights :math:`\lambda_l`, regulariser.

    Attributes
    ----------
    activations : tuple of Activation
        :math:`\sigma_1, \dots, \sigma_L`; :math:`\Psi_L` defines the data term of (25).
    lambdas : tuple of float
        :math:`\lambda_1, \dots, \lambda_L > 0` (eq. (13), (26); :math:`\lambda_L` weights the data term).
    regulariser : CodeRegulariser or None
        Optional :math:`\alpha\|x_c\|_1` on a hidden layer; its activation must support it
        (:meth:`~bregnet.activations.Activation.supports_l1`: identity, relu, soft_threshold,
        nonneg_soft_threshold), so that :math:`\Psi_c + \tfrac{\alpha}{\lambda_c}\|\cdot\|_1` is again
        the :math:`\Psi` of a known activation (Section 6.2).
    layers : tuple of LinearOperator or None
        The network's operator layers (:mod:`bregnet.operators`), None for a dense network; kept here so that a
        solver rebuilds the network of its state with them.
    penalty : ``"bregman"``, ``"mac"``, ``"fenchel"`` or ``"classical"``
        The hidden layers' penalty (see the module docstring); the data term is (25) for all.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> LiftedProblem.from_network(net, l1=(1, 0.1)).lambdas
    (1.0, 1.0)
    """

    activations: tuple
    lambdas: tuple
    regulariser: CodeRegulariser | None = None
    require_prox: bool = True
    layers: tuple | None = None
    penalty: str = "bregman"

    def __post_init__(self):
        acts = tuple(self.activations)
        L = len(acts)
        for l, a in enumerate(acts, start=1):
            if not isinstance(a, Activation):
                raise BregnetInputError(f"activations[{l - 1}] must be a bregnet Activation; got {type(a).__name__}")
        if isinstance(self.lambdas, (str, bytes)) or not np.iterable(self.lambdas):
            raise BregnetInputError(f"lambdas must be a sequence of numbers > 0, one per layer; got {self.lambdas!r}")
        lam = tuple(_real(f"lambdas[{l}] (lambda_{l + 1})", v) for l, v in enumerate(self.lambdas))
        if len(lam) != L:
            raise BregnetInputError(f"lambdas must give one weight per layer ({L}); got {len(lam)}")
        for l, v in enumerate(lam, start=1):
            if not np.isfinite(v) or v <= 0:
                raise BregnetInputError(f"lambdas[{l - 1}] (lambda_{l}) must be a finite number > 0; got {v!r}")
        reg = self.regulariser
        if reg is not None:
            if not isinstance(reg, CodeRegulariser):
                reg = CodeRegulariser(*reg)
            if not 1 <= reg.layer <= L - 1:
                raise BregnetInputError(f"regulariser layer must be a hidden layer 1..{L - 1}; got {reg.layer}")
        object.__setattr__(self, "activations", acts)
        object.__setattr__(self, "lambdas", lam)
        object.__setattr__(self, "regulariser", reg)
        self._check_penalty()
        if self.require_prox and self.penalty != "mac":       # MAC's x-step needs no prox of Psi (classical: ReLU's)
            self.check_l1_proximable()

    def _check_penalty(self) -> None:
        if not isinstance(self.penalty, str) or self.penalty not in PENALTIES:
            raise BregnetInputError(f"penalty must be one of {', '.join(PENALTIES)}; got {self.penalty!r}")
        if self.penalty in ("fenchel", "classical"):
            bad = [l for l, a in enumerate(self.activations[:-1], start=1) if a.name != "relu"]
            if bad:
                who = "(Gu et al. 2020) is given" if self.penalty == "fenchel" else "(7) constrains x >= 0, which plays"
                raise BregnetInputError(f"penalty {self.penalty!r} {who} for ReLU hidden layers only; "
                                        f"layer(s) {bad} are {[self.activations[l - 1].name for l in bad]}")

    @property
    def quadratic_penalty(self) -> bool:
        """True for the penalties 1/2|x_l - target|^2 of :data:`QUADRATIC_PENALTIES` (MAC, classical)."""
        return self.penalty in QUADRATIC_PENALTIES

    def check_l1_proximable(self) -> None:
        r"""Raise BregnetInputError unless the regularised layer's :math:`\Psi + \alpha\|\cdot\|_1` has a closed-form prox.

        The lifted solvers' x-steps (17b) need it (:meth:`Activation.with_l1 <bregnet.activations.base.Activation.with_l1>`);
        back-propagation does not (``require_prox=False``, set by the engine for solvers that do not need it).
        """
        reg = self.regulariser
        if reg is not None and reg.alpha > 0 and not self.activations[reg.layer - 1].supports_l1():
            act = self.activations[reg.layer - 1]
            raise BregnetInputError(
                f"an l1 regulariser on layer {reg.layer} needs a closed-form prox of Psi + alpha|.|_1; "
                f"implemented for {', '.join(L1_PROX_ACTIVATIONS)}, got activation {act!r}")

    @classmethod
    def from_network(cls, network: Network, lambdas=None, l1=None, *, require_prox: bool = True,
                     penalty: str = "bregman") -> "LiftedProblem":
        """Problem with the network's activations; ``lambdas`` default to 1, ``l1`` is ``(layer, alpha)`` or None."""
        L = network.n_layers
        if lambdas is None:
            lambdas = (1.0,) * L
        elif np.isscalar(lambdas) and not isinstance(lambdas, (str, bytes)):
            lambdas = (_real("lambdas", lambdas),) * L
        if l1 is not None and not isinstance(l1, CodeRegulariser):
            if isinstance(l1, (str, bytes)) or not np.iterable(l1) or len(l1) != 2:
                raise BregnetInputError(f"l1 must be None or a pair (layer, alpha) such as (2, 0.09); got {l1!r}")
            l1 = CodeRegulariser(*l1)
        return cls(network.activations, tuple(lambdas), l1, require_prox, network.layers, penalty)

    @property
    def n_layers(self) -> int:
        return len(self.activations)

    def l1_alpha(self, j: int) -> float:
        r""":math:`\alpha` of the regulariser on hidden layer ``j`` (0 if none)."""
        reg = self.regulariser
        return reg.alpha if (reg is not None and reg.layer == j) else 0.0


# ------------------------------------------------------------------------------- state
def forward_hidden(network: Network, X0) -> list:
    r"""Auxiliary variables of a forward pass, :math:`X_l = \sigma_l(f(X_{l-1}, \Theta_l))`, l = 1..L-1 (eq. (4)).

    The initialisation of Algorithm 1; it makes every hidden Bregman loss vanish.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> [x.shape for x in forward_hidden(net, np.ones((5, 3)))]
    [(5, 4)]
    """
    _, xs = network.forward_all(X0)
    return xs[1:-1]


def lifted_state(X0, hidden: Sequence, Y) -> list:
    r"""``[X_0, X_1, ..., X_{L-1}, X_L]`` with :math:`X_L = Y` (the list every function here takes as ``xs``)."""
    return [X0, *hidden, Y]


def _pre(network: Network, xs, l: int) -> np.ndarray:
    if network.layers is not None:
        return network.layers[l - 1].affine(xs[l - 1], network.weights[l - 1], network.biases[l - 1])
    return xs[l - 1] @ network.weights[l - 1] + network.biases[l - 1]


def layer_energies(problem: LiftedProblem, network: Network, xs, zs=None) -> np.ndarray:
    r"""The summands of (18)/(25): :math:`\frac{\lambda_l}{s}\sum_i B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l))`, l = 1..L.

    Returns an array of shape ``(L,)`` (the regulariser is not included; see :func:`lifted_energy`).
    ``zs``, if given, are the pre-activations :math:`f(x_{l-1}, \Theta_l)` already computed (e.g. by
    :meth:`Network.forward_all <bregnet.network.Network.forward_all>` when ``xs`` is a forward pass).
    """
    s = xs[0].shape[0]
    out = np.empty(problem.n_layers)
    for l in range(1, problem.n_layers + 1):
        z = _pre(network, xs, l) if zs is None else zs[l - 1]
        if problem.penalty != "bregman" and l < problem.n_layers:
            out[l - 1] = problem.lambdas[l - 1] * float(np.sum(hidden_penalty(problem, l, xs[l], z))) / s
            continue
        out[l - 1] = problem.lambdas[l - 1] * float(np.sum(bregman_loss(problem.activations[l - 1], xs[l], z))) / s
    return out


def hidden_penalty(problem: LiftedProblem, l: int, X, Z) -> np.ndarray:
    r"""Per sample, the penalty of hidden layer ``l`` (without :math:`\lambda_l`): :math:`B_{\Psi_l}(x, z)`,
    :math:`\tfrac12\|x - \sigma_l(z)\|^2` (``"mac"``), :math:`\tfrac12\|x\|^2 + \tfrac12\|z_+\|^2 - \langle x, z\rangle`
    (``"fenchel"``) or :math:`\tfrac12\|x - z\|^2` (``"classical"``), the last two :math:`+\infty` where some
    :math:`x < 0`; shape ``(s,)``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([2, 2, 1], ["relu", "identity"], seed=0)
    >>> prob = LiftedProblem.from_network(net, penalty="fenchel")
    >>> hidden_penalty(prob, 1, np.array([[1.0, 0.0]]), np.array([[-1.0, 2.0]])).tolist()   # 1/2 + 2 + 1
    [3.5]
    """
    act = problem.activations[l - 1]
    if problem.quadratic_penalty:
        r = X - penalty_target(problem, l, Z)
        val = 0.5 * np.sum(r * r, axis=1)
        return val if problem.penalty == "mac" else np.where(np.all(X >= 0, axis=1), val, np.inf)
    if problem.penalty == "fenchel":
        zp = np.maximum(Z, 0)
        val = 0.5 * np.sum(X * X, axis=1) + 0.5 * np.sum(zp * zp, axis=1) - np.sum(X * Z, axis=1)
        return np.where(np.all(X >= 0, axis=1), val, np.inf)
    return bregman_loss(act, X, Z)


def penalty_target(problem: LiftedProblem, l: int, Z) -> np.ndarray:
    r"""The point a quadratic penalty pulls hidden :math:`x_l` to: :math:`\sigma_l(Z)` (``"mac"``) or :math:`Z`
    (``"classical"``), whose own-term gradient in :math:`x_l` is :math:`\lambda_l(x_l - \text{target})`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> prob = LiftedProblem.from_network(glorot_init([2, 2, 1], ["relu", "identity"], seed=0), penalty="classical")
    >>> penalty_target(prob, 1, np.array([[-1.0, 2.0]])).tolist()
    [[-1.0, 2.0]]
    """
    if problem.penalty == "classical":
        return Z
    return problem.activations[l - 1].prox(Z)


def layer_residual(problem: LiftedProblem, l: int, Z, X) -> np.ndarray:
    r"""The residual :math:`D_l` whose products give every gradient of layer ``l``'s summand (Lemma 8):
    :math:`\sigma_l(Z) - X` (Bregman, Fenchel, and the data term :math:`l = L`), or
    :math:`J_{\sigma_l}(Z)^\top(\sigma_l(Z) - X)` for ``"mac"`` (the chain rule through :math:`\sigma_l`), or
    :math:`Z - X` for ``"classical"`` (hidden layers :math:`l < L`).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> prob = LiftedProblem.from_network(glorot_init([2, 2, 1], ["relu", "identity"], seed=0), penalty="mac")
    >>> layer_residual(prob, 1, np.array([[-1.0, 2.0]]), np.array([[1.0, 1.0]])).tolist()   # relu'(-1) = 0
    [[0.0, 1.0]]
    """
    act = problem.activations[l - 1]
    if problem.penalty == "mac" and l < problem.n_layers:
        return act.vjp(Z, act.prox(Z) - X)
    if problem.penalty == "classical" and l < problem.n_layers:
        return Z - X
    return act.prox(Z) - X


def step_penalty(problem: LiftedProblem, l: int) -> str:
    r"""The penalty whose step formulas layer ``l`` takes: ``"mac"`` or ``"classical"`` for such a hidden layer, else
    ``"bregman"`` (the data term, and Fenchel's ReLU penalty, which is :math:`B_\Psi`)."""
    return problem.penalty if problem.quadratic_penalty and l < problem.n_layers else "bregman"


def _reg_value(problem: LiftedProblem, xs) -> float:
    reg = problem.regulariser
    if reg is None or reg.alpha == 0:
        return 0.0
    return reg.alpha * float(np.sum(np.abs(xs[reg.layer]))) / xs[0].shape[0]


def lifted_energy(problem: LiftedProblem, network: Network, xs, zs=None) -> float:
    r"""The lifted energy :math:`E(\Theta, \mathbf X)` of (18), (25)-(27) (mean over samples); ``zs`` as in
    :func:`layer_energies`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> X0 = np.ones((5, 3)); Y = net.forward(X0)
    >>> prob = LiftedProblem.from_network(net)
    >>> lifted_energy(prob, net, lifted_state(X0, forward_hidden(net, X0), Y))   # consistent and exact
    0.0
    """
    return float(np.sum(layer_energies(problem, network, xs, zs))) + _reg_value(problem, xs)


def _split_penalty(problem: LiftedProblem, what: str) -> None:
    if problem.quadratic_penalty:
        raise BregnetInputError(f"{what}: the split E = G + H is the Bregman (and Fenchel) energy's; penalty "
                                f"{problem.penalty!r} has none (use lifted_energy)")


def energy_G(problem: LiftedProblem, xs) -> float:
    r""":math:`G(\mathbf X) = \frac1s\sum_i[\sum_l \lambda_l\Phi_l(x_l^i) + R(x_c^i)]` (Section 4.1; l = L is a constant)."""
    _split_penalty(problem, "energy_G")
    s = xs[0].shape[0]
    g = 0.0
    for l in range(1, problem.n_layers + 1):
        g += problem.lambdas[l - 1] * float(np.sum(problem.activations[l - 1].phi(xs[l]))) / s
    return g + _reg_value(problem, xs)


def energy_H(problem: LiftedProblem, network: Network, xs) -> float:
    r""":math:`H(\Theta, \mathbf X) = \frac1s\sum_i\sum_l\lambda_l[\Phi_l^*(z_l^i) - \langle x_l^i, z_l^i\rangle]` (Section 4.1)."""
    _split_penalty(problem, "energy_H")
    s = xs[0].shape[0]
    h = 0.0
    for l in range(1, problem.n_layers + 1):
        z = _pre(network, xs, l)
        h += problem.lambdas[l - 1] * (float(np.sum(problem.activations[l - 1].conjugate(z))) - float(np.sum(xs[l] * z))) / s
    return h


# ------------------------------------------------------------------------------- gradients
def theta_gradient(activation: Activation, lam: float, X_prev, X_cur, Z, operator=None,
                   penalty: str = "bregman") -> tuple:
    r"""Gradient of :math:`\frac{\lambda}{s}\sum_i B_\Psi(x_l^i, W^\top x_{l-1}^i + b)` in :math:`(W, b)` at ``Z`` (17a).

    By Lemma 8: :math:`(\tfrac{\lambda}{s}X_{l-1}^\top D,\; \tfrac{\lambda}{s}\mathbf 1^\top D)` with
    :math:`D = \sigma(Z) - X_l`; no derivative of :math:`\sigma` is needed.  Returns ``(gW, gb, D)``.
    With an ``operator`` (:mod:`bregnet.operators`): :math:`\tfrac{\lambda}{s}\partial_W\langle D, A_W(X_{l-1})\rangle`
    and :math:`D` summed over samples and positions.  ``penalty="mac"``: of
    :math:`\frac{\lambda}{2s}\sum_i\|x_l^i - \sigma(z_l^i)\|^2`, with :math:`D = J_\sigma(Z)^\top(\sigma(Z) - X_l)`;
    ``penalty="classical"``: of :math:`\frac{\lambda}{2s}\sum_i\|x_l^i - z_l^i\|^2`, with :math:`D = Z - X_l`.
    """
    if penalty == "classical":
        D = Z - X_cur
    else:
        D = activation.prox(Z) - X_cur
    if penalty == "mac":
        D = activation.vjp(Z, D)
    c = lam / X_prev.shape[0]
    if operator is not None:
        return c * operator.weight_gradient(X_prev, D), c * operator.bias_gradient(D), D
    return c * (X_prev.T @ D), c * D.sum(axis=0), D


def grad_theta_H(problem: LiftedProblem, network: Network, xs) -> tuple[list, list]:
    r""":math:`\nabla_{\Theta} H` for all layers (Lemma 8, eq. (17a)): lists ``(grads_W, grads_b)``."""
    gW, gb = [], []
    for l in range(1, problem.n_layers + 1):
        w, b, _ = theta_gradient(problem.activations[l - 1], problem.lambdas[l - 1], xs[l - 1], xs[l],
                                 _pre(network, xs, l), network.operator(l), step_penalty(problem, l))
        gW.append(w)
        gb.append(b)
    return gW, gb


def x_gradient(lam_j: float, lam_next: float, Z_j, D_next, W_next, operator=None) -> np.ndarray:
    r"""Per-sample gradient of the smooth part in :math:`x_j` (eq. (17b)):
    :math:`-\lambda_j z_j + \lambda_{j+1}(\sigma_{j+1}(z_{j+1}) - x_{j+1}) W_{j+1}^\top`, rows = samples.

    ``D_next`` is :math:`\sigma_{j+1}(Z_{j+1}) - X_{j+1}`.  Multiply by :math:`1/s` for :math:`\nabla_{X_j}H`.
    With the ``operator`` of layer :math:`j+1`, :math:`D W_{j+1}^\top` is its adjoint :math:`A_{W_{j+1}}^\top(D)`.
    """
    if operator is not None:
        return lam_next * operator.adjoint(D_next, W_next) - lam_j * Z_j
    return lam_next * (D_next @ W_next.T) - lam_j * Z_j


def grad_x_H(problem: LiftedProblem, network: Network, xs) -> list:
    r""":math:`\nabla_{X_j} H`, j = 1..L-1 (Lemma 8, eq. (17b)), each of shape ``(s, n_j)``."""
    _split_penalty(problem, "grad_x_H")
    s = xs[0].shape[0]
    out = []
    for j in range(1, problem.n_layers):
        Zj = _pre(network, xs, j)
        Zn = _pre(network, xs, j + 1)
        Dn = problem.activations[j].prox(Zn) - xs[j + 1]
        out.append(x_gradient(problem.lambdas[j - 1], problem.lambdas[j], Zj, Dn, network.weights[j],
                              network.operator(j + 1)) / s)
    return out


# ------------------------------------------------------------------------------- proximal maps
def prox_psi_l1(activation: Activation, V, step: float, alpha: float = 0.0) -> np.ndarray:
    r""":math:`\operatorname{prox}_{t(\Psi + \alpha\|\cdot\|_1)}(v)` (Section 6.2: the regulariser folded into :math:`\Psi`).

    This is ``activation.with_l1(alpha).prox(V, step)``: the activation of :math:`\Psi + \alpha\|\cdot\|_1`
    (see :meth:`bregnet.activations.Activation.with_l1` for the closed forms), e.g.

    * identity (:math:`\Psi = 0`): soft-thresholding at :math:`t\alpha`;
    * relu (:math:`\Psi = \chi_{\ge 0}`): non-negative soft-thresholding :math:`\max(v - t\alpha, 0)`;
    * soft_threshold (:math:`\Psi = \beta\|\cdot\|_1`): soft-thresholding at :math:`t(\beta + \alpha)`.

    With ``alpha == 0`` this is ``activation.prox(V, step)`` for every activation.

    Raises
    ------
    BregnetInputError
        If ``alpha > 0`` and the activation does not support it (:meth:`~bregnet.activations.Activation.supports_l1`).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> prox_psi_l1(get("relu"), np.array([[-1.0, 0.5, 2.0]]), 0.5, alpha=1.0).tolist()
    [[0.0, 0.0, 1.5]]
    """
    return activation.with_l1(alpha).prox(V, step)


def prox_layer(problem: LiftedProblem, j: int, V, t: float) -> np.ndarray:
    r"""Per-sample prox of layer ``j``'s part of :math:`G`: :math:`\arg\min_x \tfrac12\|x - v\|^2 + t(\lambda_j\Phi_j(x) + \alpha_j\|x\|_1)`.

    Completing the square (Beck 2017, Thm. 6.13; eq. (17b)):
    :math:`\operatorname{prox}_{\frac{t\lambda_j}{1+t\lambda_j}(\Psi_j + \frac{\alpha_j}{\lambda_j}\|\cdot\|_1)}\big(\frac{v}{1+t\lambda_j}\big)`.
    For the averaged energy :math:`E` (mean over :math:`s` samples), :math:`\operatorname{prox}_{\tau G}` is this with
    :math:`t = \tau/s`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> prob = LiftedProblem.from_network(glorot_init([2, 2, 1], ["relu", "identity"], seed=0))
    >>> prox_layer(prob, 1, np.array([[3.0, -1.0]]), 1.0).tolist()   # max(v/2, 0)
    [[1.5, 0.0]]
    """
    lam = problem.lambdas[j - 1]
    a = problem.l1_alpha(j)
    tl = t * lam
    V = np.asarray(V)
    return prox_psi_l1(problem.activations[j - 1], V / V.dtype.type(1.0 + tl), tl / (1.0 + tl), a / lam)


# ------------------------------------------------------------------------------- update steps
def theta_step(activation: Activation, lam: float, W, b, X_prev, X_cur, step: float, *, Z=None,
               anchor: tuple | None = None, prox_weight: float = 0.0, operator=None, penalty: str = "bregman") -> tuple:
    r"""One gradient step on :math:`\Theta_l = (W_l, b_l)` (eq. (17a), with the proximal term of (24)).

    .. math::  \Theta_l^{+} = \Theta_l - \eta\Big(\frac{\lambda_l}{s}\sum_i(\sigma_l(z_l^i) - x_l^i)
               J_f^\Theta(x_{l-1}^i, \Theta_l) + \rho(\Theta_l - \Theta_l^k)\Big)

    where :math:`\rho` is ``prox_weight`` (the weight of :math:`\tfrac\rho2\|\Theta - \Theta^k\|^2`,
    :math:`\Theta^k` = ``anchor``) and :math:`\eta` = ``step``.  Returns ``(W+, b+, D)`` with
    :math:`D = \sigma_l(Z_l) - X_l` at the old parameters.  ``operator``: the layer's operator
    (:mod:`bregnet.operators`; None for a dense layer), see :func:`theta_gradient`.
    """
    if Z is None:
        Z = X_prev @ W + b if operator is None else operator.affine(X_prev, W, b)
    gW, gb, D = theta_gradient(activation, lam, X_prev, X_cur, Z, operator, penalty)
    if anchor is not None and prox_weight != 0:
        gW = gW + prox_weight * (W - anchor[0])
        gb = gb + prox_weight * (b - anchor[1])
    dt = W.dtype.type
    return W - dt(step) * gW, b - dt(step) * gb, D


def x_step(problem: LiftedProblem, j: int, X_j, Z_j, D_next, W_next, t: float, operator=None) -> np.ndarray:
    r"""One proximal gradient step on the hidden variable :math:`X_j` (eq. (17b); Algorithm 1's x-update).

    .. math::  x_j^{+} = \operatorname{prox}_{\frac{t\lambda_j}{1+t\lambda_j}(\Psi_j + \frac{\alpha}{\lambda_j}\|\cdot\|_1)}
               \Big(\frac{1}{1+t\lambda_j}\big(x_j + t(\lambda_j z_j - \lambda_{j+1}(\sigma_{j+1}(z_{j+1}) - x_{j+1})
               W_{j+1}^\top)\big)\Big)

    per sample, with per-sample step ``t`` (``t`` = :math:`\tau_x/|B|` of Algorithm 1, :math:`\tau_{\mathbf X}/s` of (17)).
    ``Z_j`` = :math:`f(X_{j-1}, \Theta_j)`, ``D_next`` = :math:`\sigma_{j+1}(Z_{j+1}) - X_{j+1}`; ``operator`` is
    layer :math:`j+1`'s (None: dense), whose adjoint replaces :math:`W_{j+1}^\top`.
    """
    lam_j, lam_n = problem.lambdas[j - 1], problem.lambdas[j]
    if problem.quadratic_penalty:
        return _quadratic_x_step(problem, j, X_j, Z_j, D_next, W_next, t, operator)
    V = X_j - X_j.dtype.type(t) * x_gradient(lam_j, lam_n, Z_j, D_next, W_next, operator)
    return prox_layer(problem, j, V, t)


def _quadratic_x_step(problem: LiftedProblem, j: int, X_j, Z_j, D_next, W_next, t: float, operator) -> np.ndarray:
    r"""The :math:`x_j`-step of a quadratic penalty (MAC, classical): a gradient step on layer :math:`j+1`'s term
    (``D_next`` from :func:`layer_residual`), then the exact prox of
    :math:`\tfrac{\lambda_j}{2}\|x - \text{target}\|^2 + \alpha\|x\|_1` (:func:`penalty_target`), for the classical
    penalty also of :math:`\iota_{x \ge 0}` (a projection after the shrinkage)."""
    lam_j, lam_n = problem.lambdas[j - 1], problem.lambdas[j]
    dt = X_j.dtype.type
    back = D_next @ W_next.T if operator is None else operator.adjoint(D_next, W_next)
    V = X_j - dt(t * lam_n) * back
    U = (V + dt(t * lam_j) * penalty_target(problem, j, Z_j)) / dt(1.0 + t * lam_j)
    return quadratic_shrink(problem, j, U, t * problem.l1_alpha(j) / (1.0 + t * lam_j))


def quadratic_shrink(problem: LiftedProblem, j: int, U, threshold: float) -> np.ndarray:
    r"""The prox of :math:`\text{threshold}\cdot\|\cdot\|_1` (plus :math:`\iota_{x \ge 0}` for the classical penalty)
    at ``U``: soft-thresholding, or :math:`\max(u - \text{threshold}, 0)`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> prob = LiftedProblem.from_network(glorot_init([2, 2, 1], ["relu", "identity"], seed=0), penalty="classical")
    >>> quadratic_shrink(prob, 1, np.array([[-2.0, 0.5, 3.0]]), 1.0).tolist()
    [[0.0, 0.0, 2.0]]
    """
    dt = U.dtype.type
    if problem.penalty == "classical":
        return np.maximum(U - dt(threshold), 0) if threshold > 0 else np.maximum(U, 0)
    if threshold > 0:
        return np.sign(U) * np.maximum(np.abs(U) - dt(threshold), 0)
    return U


# ------------------------------------------------------------------------------- diagnostics
def consistency_residuals(network: Network, xs) -> np.ndarray:
    r"""Per hidden layer j = 1..L-1: :math:`\big(\frac1s\sum_i\|x_j^i - \sigma_j(f(x_{j-1}^i, \Theta_j))\|^2\big)^{1/2}`.

    Zero exactly when the auxiliary variables are those of a forward pass (network consistency, Section 3.2).
    """
    s = xs[0].shape[0]
    out = np.empty(network.n_layers - 1)
    for j in range(1, network.n_layers):
        r = xs[j] - network.activations[j - 1].prox(_pre(network, xs, j))
        out[j - 1] = np.sqrt(float(np.sum(r * r)) / s)
    return out


def forward_loss(problem: LiftedProblem, network: Network, X0, Y, zs=None) -> float:
    r"""Loss of the forward network: :math:`\frac{\lambda_L}{s}\sum_i B_{\Psi_L}(y^i, f(\mathcal N_{L-1}(x_0^i), \Theta_L))` (data term of (25)).

    Equals :func:`lifted_energy` (minus the regulariser) at the forward-pass auxiliary variables.
    """
    if zs is None:                                          # the pre-activations of a forward pass
        zs, _ = network.forward_all(X0)
    L = problem.n_layers
    return problem.lambdas[L - 1] * float(np.sum(bregman_loss(problem.activations[L - 1], Y, zs[-1]))) / X0.shape[0]


def forward_energy(problem: LiftedProblem, network: Network, X0, Y, zs=None, hidden=None, loss=None) -> float:
    r"""The lifted energy (18)/(25) at the forward-pass auxiliary variables :math:`x_j = \sigma_j(z_j)`, j < L.

    There every hidden summand vanishes, :math:`B_{\Psi_j}(\sigma_j(z_j), z_j) = 0` (Theorem 10, item 1), so

    .. math::  E = \frac{\lambda_L}{s}\sum_i B_{\Psi_L}(y^i, z_L^i) + R(x_c) = \text{forward loss} + R(x_c),

    exactly, at the cost of one forward pass (``zs`` and ``hidden``, the pre-activations and the hidden
    activations of :meth:`Network.forward_all <bregnet.network.Network.forward_all>`, and ``loss``, the
    :func:`forward_loss` at them, if already computed).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> X0, Y = np.ones((5, 3)), np.zeros((5, 2))
    >>> prob = LiftedProblem.from_network(net)
    >>> E = lifted_energy(prob, net, lifted_state(X0, forward_hidden(net, X0), Y))
    >>> bool(np.isclose(forward_energy(prob, net, X0, Y), E, rtol=1e-14, atol=0))
    True
    """
    if zs is None or hidden is None:
        zs, fwd = network.forward_all(X0)
        hidden = fwd[1:-1]
    if loss is None:
        loss = forward_loss(problem, network, X0, Y, zs)
    return loss + _reg_value(problem, [X0, *hidden, Y])
