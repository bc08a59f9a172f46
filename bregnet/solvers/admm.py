r"""ADMM for the convex block subproblems (37a) and (37b)/(37c) of coordinate descent (Appendix B.2, eq. (39)).

**The parameter subproblem (37a).**  For fixed auxiliary variables, layer :math:`l`'s parameters solve

.. math::  \min_{W, b}\; \sum_{i=1}^s \Phi^*(z^i) - \langle x_l^i, z^i\rangle \quad\text{s.t.}\quad
           z^i = W^\top x_{l-1}^i + b, \qquad \Phi = \tfrac12\|\cdot\|^2 + \Psi_l

(any positive factor such as :math:`\lambda_l/s` leaves the minimiser unchanged).  With multipliers
:math:`\mu^i`, a penalty :math:`\delta > 0` and the proximal term :math:`\tfrac\tau2\|W - W^j\|_{\rm Fro}^2`
of Appendix B.2 (it makes the update well defined for any number of samples and does not change the
minimiser), one iteration reads, rows = samples, :math:`F = X_{l-1}W + \mathbf 1 b^\top`:

.. math::  (W^{j+1}, b^{j+1}) = \arg\min_{W,b}\; \tfrac\delta2\|F - Z^j - M^j/\delta\|^2
           + \tfrac\tau2\|W - W^j\|^2
           \;\Longleftrightarrow\; (\delta\bar X^\top\bar X + \tau I)W = \delta\bar X^\top\bar T + \tau W^j,
           \quad b = \operatorname{mean}_i(T - X_{l-1}W)

with :math:`T = Z^j + M^j/\delta` and :math:`\bar X, \bar T` the sample-centred matrices (the exact joint
minimiser in :math:`(W, b)`; the matrix is factorised once per subproblem),

.. math::  R = X_l - M^j + \delta F^{j+1}, \qquad
           Z^{j+1} = \operatorname{prox}_{\frac1\delta\Phi^*}(R/\delta)
           = \tfrac1\delta\big(R - \operatorname{prox}_{\frac{\delta}{1+\delta}\Psi}(\tfrac{R}{1+\delta})\big), \qquad
           M^{j+1} = M^j + \delta(Z^{j+1} - F^{j+1}),

the :math:`z`-update by the extended Moreau decomposition (Beck 2017, Thm. 6.45), so only a scaled
proximal map of :math:`\Psi` (the activation) is needed (:func:`prox_phi_conjugate`).

Errata in the printed Example 4, eq. (39) (implemented here as derived above):

* the bias update is printed :math:`b^{j+1} = z^j - (\tfrac1\delta\mu^j - (W^{j+1})^\top x)`; the
  minimiser of the printed :math:`\Theta`-subproblem in :math:`b` is
  :math:`b^{j+1} = z^j + \tfrac1\delta\mu^j - (W^{j+1})^\top x` (both signs inside the bracket flip);
* (39) updates :math:`W` with :math:`b^j` and then :math:`b` with :math:`W^{j+1}` (one Gauss-Seidel pass);
  the :math:`\Theta`-step of ADMM is the joint minimiser, computed here in closed form.

**The auxiliary-variable subproblem (37b)/(37c).**  For hidden layer :math:`j` (weights :math:`\lambda`,
an optional :math:`\alpha\|x\|_1`), per sample, with :math:`a = f(x_{j-1}, \Theta_j)`, :math:`y = x_{j+1}`,
:math:`(W, b) = \Theta_{j+1}`:

.. math::  \min_x\; \lambda_j[\Phi_j(x) - \langle x, a\rangle] + \alpha\|x\|_1
           + \lambda_{j+1}[\Phi_{j+1}^*(W^\top x + b) - \langle W^\top x + b, y\rangle].

Appendix B.2 splits :math:`v = x`, :math:`z = W^\top v + b` with multipliers :math:`\mu = (\mu_1, \mu_2)`.
Minimising the augmented Lagrangian in :math:`x` and :math:`z` (they separate for fixed :math:`v`), then
in :math:`v`, then the multiplier step, gives (two-block ADMM, convergent for this convex problem)

.. math::  x^{j+1} = \operatorname{prox}_{\frac{\lambda_j}{\lambda_j+\delta}(\Psi_j + \frac{\alpha}{\lambda_j}\|\cdot\|_1)}
           \Big(\frac{\lambda_j a + \mu_2^j + \delta v^j}{\lambda_j + \delta}\Big), \qquad
           z^{j+1} = \operatorname{prox}_{\frac{\lambda_{j+1}}{\delta}\Phi_{j+1}^*}
           \Big(W^\top v^j + b + \frac{\lambda_{j+1}y - \mu_1^j}{\delta}\Big),

.. math::  v^{j+1} = \big(W W^\top + I\big)^{-1}\Big(W\big(z^{j+1} - b + \tfrac1\delta\mu_1^j\big)
           + x^{j+1} - \tfrac1\delta\mu_2^j\Big),

.. math::  \mu^{j+1} = \mu^j + \delta\Big(\begin{pmatrix} z^{j+1}\\ v^{j+1}\end{pmatrix}
           - \begin{pmatrix} W^\top v^{j+1} + b\\ x^{j+1}\end{pmatrix}\Big).

With :math:`\lambda = 1`, :math:`\alpha = 0` the :math:`x`- and :math:`z`-updates are the printed ones.
Errata in the printed updates of Appendix B.2 (implemented as derived):

* the printed :math:`v`-update omits the terms :math:`\langle\mu_2, v\rangle + \tfrac\delta2\|v - x\|^2` of the
  augmented Lagrangian, so :math:`v` would not see :math:`x` at all (and the least-squares problem is
  singular when :math:`W W^\top` is);
* the printed multiplier update :math:`\mu^{j+1} = (z; v) - (f(v); x)` lacks :math:`\mu^j + \delta(\cdot)`
  (the dual ascent step of every ADMM, as in the :math:`\Theta`-subproblem above).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ..activations.base import Activation
from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, prox_layer
from .params import Interval, check_value

__all__ = ["prox_phi_conjugate", "ADMMThetaState", "ADMMXState", "admm_theta", "admm_x",
           "theta_block_objective", "x_block_objective"]

_POSITIVE = Interval(0, None, closed="neither")
_COUNT = Interval(0, None, integer=True)


def prox_phi_conjugate(activation: Activation, V, gamma: float) -> np.ndarray:
    r""":math:`\operatorname{prox}_{\gamma\Phi^*}(v) = v - \gamma\operatorname{prox}_{\frac{1}{1+\gamma}\Psi}\big(\tfrac{v}{1+\gamma}\big)`,
    :math:`\Phi = \tfrac12\|\cdot\|^2 + \Psi` (extended Moreau decomposition, Appendix B.2).

    Derivation: :math:`\operatorname{prox}_{\gamma g^*}(v) = v - \gamma\operatorname{prox}_{g/\gamma}(v/\gamma)`
    (Beck 2017, Thm. 6.45) and :math:`\operatorname{prox}_{c\Phi}(w) = \operatorname{prox}_{\frac{c}{1+c}\Psi}(\frac{w}{1+c})`.
    With :math:`\gamma = 1/\delta`, :math:`v = r/\delta` this is the printed
    :math:`\tfrac1\delta(r - \operatorname{prox}_{\frac{\delta}{1+\delta}\Psi}(\tfrac{r}{1+\delta}))`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> prox_phi_conjugate(get("relu"), np.array([[2.0, -2.0]]), 1.0).tolist()   # v - max(v/2, 0)
    [[1.0, -2.0]]
    """
    V = np.asarray(V)
    g = V.dtype.type(gamma)
    return V - g * activation.prox(V / (1 + g), 1.0 / (1.0 + float(gamma)))


# ------------------------------------------------------------------------------- (37a)
def theta_block_objective(activation: Activation, X_prev, X_cur, W, b) -> float:
    r""":math:`\sum_i \Phi^*(z^i) - \langle x_l^i, z^i\rangle`, :math:`z^i = W^\top x_{l-1}^i + b`: the objective of (37a)."""
    Z = X_prev @ W + b
    return float(np.sum(activation.conjugate(Z)) - np.sum(X_cur * Z))


@dataclass
class ADMMThetaState:
    """Iterates of :func:`admm_theta`: parameters, split variable ``Z`` and multipliers ``M`` (rows = samples)."""

    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    M: np.ndarray
    primal_residual: float = np.inf
    n_iter: int = 0


def admm_theta(activation: Activation, X_prev, X_cur, W0, b0, *, delta: float = 1.0, tau: float = 1e-8,
               n_iter: int = 50, tol: float = 0.0, state: ADMMThetaState | None = None,
               callback=None) -> ADMMThetaState:
    r"""ADMM (39) for the parameter subproblem (37a) of one layer; see the module docstring.

    Parameters
    ----------
    activation : Activation
        :math:`\sigma_l = \operatorname{prox}_{\Psi_l}`.
    X_prev, X_cur : ndarray, shapes (s, n_{l-1}), (s, n_l)
        :math:`X_{l-1}` and :math:`X_l` (fixed).
    W0, b0 : ndarray
        Start :math:`\Theta^0`.
    delta : float > 0
        Penalty :math:`\delta_l` of the augmented Lagrangian.
    tau : float >= 0
        Weight of :math:`\tfrac\tau2\|W - W^j\|^2` (must be > 0 if :math:`\bar X^\top\bar X` is singular).
    n_iter : int
        Maximum number of iterations.
    tol : float
        Stop when :math:`\|Z - F\|_{\rm Fro}` and :math:`\delta\|F^{j+1} - F^j\|_{\rm Fro}` are below ``tol``.
    state : ADMMThetaState, optional
        Warm start (``W0, b0`` are then ignored).  Default: :math:`Z^0 = F(\Theta^0)`,
        :math:`M^0 = X_l - \sigma(Z^0)` (the :math:`z`-optimality condition holds at the start).
    callback : callable, optional
        ``callback(j, state)`` after every iteration (used for the reference trajectories).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> rng = np.random.default_rng(0)
    >>> Xp = rng.normal(size=(20, 3)); Wt = rng.normal(size=(3, 2)); Xc = np.maximum(Xp @ Wt + 0.1, 0)
    >>> st = admm_theta(get("relu"), Xp, Xc, np.zeros((3, 2)), np.zeros(2), delta=0.1, n_iter=500)
    >>> bool(np.allclose(np.maximum(Xp @ st.W + st.b, 0), Xc, atol=1e-5))   # consistent data: exact fit
    True
    """
    delta = check_value("admm_theta", "delta", delta, _POSITIVE)
    tau = check_value("admm_theta", "tau", tau, Interval(0, None))
    n_iter = check_value("admm_theta", "n_iter", n_iter, _COUNT)
    dt = np.asarray(X_prev).dtype.type
    if state is None:
        Z0 = X_prev @ W0 + b0
        state = ADMMThetaState(W=np.array(W0, copy=True), b=np.array(b0, copy=True), Z=Z0.copy(),
                               M=X_cur - activation.prox(Z0))
    else:
        state = ADMMThetaState(state.W.copy(), state.b.copy(), state.Z.copy(), state.M.copy(),
                               state.primal_residual, state.n_iter)
    mx = X_prev.mean(axis=0)
    Xc = X_prev - mx
    A = delta * (Xc.T @ Xc).astype(np.float64) + tau * np.eye(X_prev.shape[1])
    try:
        fac = cho_factor(A, lower=True, check_finite=False)
        np.linalg.cholesky(A)  # cho_factor does not always raise on a singular matrix
    except (np.linalg.LinAlgError, ValueError):
        raise BregnetInputError("admm_theta: the centred Gram matrix of X_{l-1} is singular; use tau > 0") from None
    F = X_prev @ state.W + state.b
    d = dt(delta)
    for j in range(n_iter):
        T = state.Z + state.M / d
        mt = T.mean(axis=0)
        rhs = delta * (Xc.T @ (T - mt)) + tau * state.W
        W = cho_solve(fac, rhs.astype(np.float64), check_finite=False).astype(state.W.dtype)
        b = (mt - mx @ W).astype(state.b.dtype)
        F_old, F = F, X_prev @ W + b
        R = X_cur - state.M + d * F
        Z = prox_phi_conjugate(activation, R / d, 1.0 / delta)
        M = state.M + d * (Z - F)
        r = float(np.linalg.norm(Z - F))
        sdual = delta * float(np.linalg.norm(F - F_old))
        state = ADMMThetaState(W, b, Z, M, r, state.n_iter + 1)
        if callback is not None:
            callback(j, state)
        if tol > 0 and r <= tol and sdual <= tol:
            break
    return state


# ------------------------------------------------------------------------------- (37b), (37c)
def x_block_objective(problem: LiftedProblem, j: int, X_j, A_j, X_next, W_next, b_next) -> np.ndarray:
    r"""Per-sample objective of (37b)/(37c) for hidden layer ``j`` (rows = samples), shape ``(s,)``:

    :math:`\lambda_j[\Phi_j(x) - \langle x, a\rangle] + \alpha\|x\|_1 + \lambda_{j+1}[\Phi_{j+1}^*(W^\top x + b) - \langle W^\top x + b, y\rangle]`.
    """
    lam_j, lam_n = problem.lambdas[j - 1], problem.lambdas[j]
    act_j, act_n = problem.activations[j - 1], problem.activations[j]
    Zn = X_j @ W_next + b_next
    out = lam_j * (act_j.phi(X_j) - np.sum(X_j * A_j, axis=-1))
    out = out + lam_n * (act_n.conjugate(Zn) - np.sum(Zn * X_next, axis=-1))
    a = problem.l1_alpha(j)
    if a:
        out = out + a * np.sum(np.abs(X_j), axis=-1)
    return out


@dataclass
class ADMMXState:
    """Iterates of :func:`admm_x` (rows = samples): ``X``, split variables ``V`` (= x), ``Z`` (= f(v, Theta_{j+1})),
    multipliers ``M1`` (for z) and ``M2`` (for v)."""

    X: np.ndarray
    V: np.ndarray
    Z: np.ndarray
    M1: np.ndarray
    M2: np.ndarray
    primal_residual: float = np.inf
    n_iter: int = 0


def admm_x(problem: LiftedProblem, j: int, X0, A_j, X_next, W_next, b_next, *, delta: float = 1.0,
           n_iter: int = 50, tol: float = 0.0, state: ADMMXState | None = None, callback=None) -> ADMMXState:
    r"""ADMM with the :math:`v`-splitting of Appendix B.2 for the subproblem (37b)/(37c) of hidden layer ``j``.

    Parameters
    ----------
    problem : LiftedProblem
        Activations, :math:`\lambda_j, \lambda_{j+1}` and the optional :math:`\ell_1` regulariser of layer ``j``.
    j : int
        Hidden layer, 1..L-1.
    X0 : ndarray (s, n_j)
        Start :math:`x_j` (in :math:`\operatorname{dom}\Psi_j`).
    A_j : ndarray (s, n_j)
        :math:`a = f(x_{j-1}, \Theta_j)` (fixed).
    X_next : ndarray (s, n_{j+1})
        :math:`x_{j+1}` (fixed).
    W_next, b_next : :math:`\Theta_{j+1}` (fixed).
    delta : float > 0
        Penalty :math:`\delta`.
    n_iter, tol, state, callback : as in :func:`admm_theta`.  Default start: :math:`v^0 = x^0`,
        :math:`z^0 = f(v^0)`, :math:`\mu_1^0 = \lambda_{j+1}(y - \sigma_{j+1}(z^0))`, :math:`\mu_2^0 = \mu_1^0W^\top`
        (the :math:`z`- and :math:`v`-optimality conditions hold at the start).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> prob = LiftedProblem.from_network(net)
    >>> rng = np.random.default_rng(1); X0 = rng.normal(size=(5, 3)); Y = rng.normal(size=(5, 2))
    >>> A = X0 @ net.weights[0]; X1 = np.maximum(A, 0)
    >>> st = admm_x(prob, 1, X1, A, Y, net.weights[1], net.biases[1], n_iter=200)
    >>> f = lambda X: x_block_objective(prob, 1, X, A, Y, net.weights[1], net.biases[1]).sum()
    >>> bool(f(st.X) < f(X1))
    True
    """
    L = problem.n_layers
    if not 1 <= j <= L - 1:
        raise BregnetInputError(f"j must be a hidden layer 1..{L - 1}; got {j}")
    delta = check_value("admm_x", "delta", delta, _POSITIVE)
    n_iter = check_value("admm_x", "n_iter", n_iter, _COUNT)
    lam_j, lam_n = problem.lambdas[j - 1], problem.lambdas[j]
    act_n = problem.activations[j]
    dt = np.asarray(X0).dtype.type
    d = dt(delta)
    if state is None:
        Z0 = X0 @ W_next + b_next
        M1 = dt(lam_n) * (X_next - act_n.prox(Z0))
        state = ADMMXState(X=np.array(X0, copy=True), V=np.array(X0, copy=True), Z=Z0, M1=M1, M2=M1 @ W_next.T)
    else:
        state = ADMMXState(state.X.copy(), state.V.copy(), state.Z.copy(), state.M1.copy(), state.M2.copy(),
                           state.primal_residual, state.n_iter)
    n_j = W_next.shape[0]
    fac = cho_factor((W_next.astype(np.float64) @ W_next.T.astype(np.float64)) + np.eye(n_j), lower=True,
                     check_finite=False)
    for it in range(n_iter):
        X, V, M1, M2 = state.X, state.V, state.M1, state.M2
        # x-update: prox_layer(problem, j, c/delta, 1/delta) = prox_{lam/(lam+delta)(Psi + a/lam|.|)}(c/(lam+delta))
        C = dt(lam_j) * A_j + M2 + d * V
        X = prox_layer(problem, j, C / d, 1.0 / delta)
        Z = prox_phi_conjugate(act_n, V @ W_next + b_next + (dt(lam_n) * X_next - M1) / d, lam_n / delta)
        rhs = (Z - b_next + M1 / d) @ W_next.T + X - M2 / d
        V = cho_solve(fac, rhs.T.astype(np.float64), check_finite=False).T.astype(X.dtype)
        F = V @ W_next + b_next
        M1 = M1 + d * (Z - F)
        M2 = M2 + d * (V - X)
        r = float(np.sqrt(np.sum((Z - F) ** 2) + np.sum((V - X) ** 2)))
        state = ADMMXState(X, V, Z, M1, M2, r, state.n_iter + 1)
        if callback is not None:
            callback(it, state)
        if tol > 0 and r <= tol:
            break
    return state
