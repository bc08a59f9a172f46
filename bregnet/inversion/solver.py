r"""Lifted Bregman inversion as a solver of the training engine: proximal block coordinate descent on (u, x_1..x_{L-1}).

:class:`LiftedInversion` minimises the energy :math:`E` of :mod:`bregnet.inversion.energy` block by block.  One
epoch is one sweep over the blocks, in the order ``"backward"`` (:math:`x_{L-1}, \dots, x_1, u`: the data reach
:math:`u` in one sweep; default) or ``"forward"`` (:math:`u, x_1, \dots, x_{L-1}`), each block at the newest
values of the others (Gauss-Seidel):

.. math::  u^{+} = \operatorname{prox}_{\tau\alpha J}\big(\tilde u - \tau\nabla_u H(\tilde u, x)\big), \qquad
           x_j^{+} = \operatorname{prox}_{t_j\lambda_j\Phi_j}\big(\tilde x_j - t_j\nabla_{x_j}H(\dots, \tilde x_j,
           \dots)\big),

with the steps :math:`\tau = c/(\lambda_1\|A_1\|^2)` and :math:`t_j = c/(\lambda_{j+1}\|A_{j+1}\|^2)`, :math:`0 < c
< 2` (the block Lipschitz bounds, norms by power iteration as in training: :mod:`bregnet.solvers.lipschitz`).  Each
block step decreases :math:`E` (descent lemma; the TV prox is computed to a duality-gap tolerance).  With
``momentum="nesterov"`` each block is extrapolated first, :math:`\tilde v = v + \beta_k(v - v^{\mathrm{prev}})`,
:math:`\beta_k = (t_{k-1} - 1)/t_k` (iPALM / FISTA; :func:`bregnet.solvers.sweep.momentum_weight`), and with
``restart=True`` a sweep that raises :math:`E` is replaced by a plain one and the momentum restarted, so the
energy never increases (up to the TV prox's tolerance).  For a one-layer network the energy is jointly convex and
the method is FISTA with adaptive restart.

The solver runs in :func:`bregnet.solvers.engine.run`, which owns the history, callbacks, progress, checkpoints
(resume bit for bit) and divergence; the inversion is posed to it as a task (:mod:`bregnet.inversion.task`):
``X`` = the initial guess :math:`u^0`, ``Y`` = the outputs :math:`f`, the network fixed (held by the solver,
``target_network``, or kept in the state; never updated).

Examples
--------
>>> import numpy as np
>>> from bregnet.network import glorot_init
>>> from bregnet.solvers.engine import run
>>> net = glorot_init([4, 6], ["identity"], seed=0)
>>> u_true = np.array([[1.0, -0.5, 0.25, 2.0]]); F = net.forward(u_true)
>>> res = run(LiftedInversion(), net, np.zeros((1, 4)), F, epochs=300)
>>> bool(np.allclose(res.state["u"], u_true, atol=1e-6)), res.history.energy[-1] < 1e-12
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exceptions import BregnetInputError
from ..solvers._common import check_hidden
from ..network import Network
from ..solvers.engine import Solver, network_fingerprint, params_state
from ..solvers.params import BOOLEAN, NONE, InstanceOf, Interval, OneOf
from ..solvers.sweep import X_LIPSCHITZ_FLOOR, extrapolate, momentum_weight
from .energy import InversionEnergy
from .regularisers import REGULARISERS, Regulariser, get_regulariser, parse_image_shape

__all__ = ["InversionSolver", "LiftedInversion", "ImageShape"]


@dataclass(frozen=True)
class ImageShape:
    """Constraint: a non-empty tuple of positive integers (an image shape such as ``(64, 64)``; text ``"64,64"``).

    >>> ImageShape().accepts([8, 8])
    (True, (8, 8))
    """

    def describe(self) -> str:
        return "a tuple of positive integers (an image shape such as (64, 64))"

    def accepts(self, value):
        try:
            return True, parse_image_shape(value)
        except BregnetInputError:
            return False, None


@dataclass(frozen=True)
class InversionSolver(Solver):
    r"""What the inversion solvers share: the regulariser :math:`\alpha J` and the fixed network in the state.

    Parameters
    ----------
    regulariser : ``"none"``, ``"l1"``, ``"tikhonov"``, ``"tv"`` or ``"tv-aniso"``
        :math:`J` (:mod:`bregnet.inversion.regularisers`).
    alpha : float >= 0
        Its weight :math:`\alpha`.
    image_shape : tuple of int, optional
        The shape of an input image (needed by the TV regularisers; its product is :math:`n_0`).
    tv_tol : float in (0, 1)
        Relative duality-gap tolerance of the TV prox.
    tv_max_iter : int >= 1
        Iteration cap of the TV prox (warm-started from the previous dual field, which the state keeps).
    """

    regulariser: str = "none"
    alpha: float = 0.0
    image_shape: tuple | None = None
    tv_tol: float = 1e-6
    tv_max_iter: int = 200
    target_network: Network | None = field(default=None, repr=False, compare=False)

    name = "inversion"
    supports_l1 = False
    needs_l1_prox = False
    #: operator layers (convolutions, :mod:`bregnet.operators`) enter the energy through OperatorMap
    supports_operators = True
    runtime_fields = ("target_network",)
    constraints = {"regulariser": OneOf(REGULARISERS), "alpha": Interval(0, None),
                   "image_shape": (NONE, ImageShape()), "tv_tol": Interval(0, 1, closed="neither"),
                   "tv_max_iter": Interval(1, None, integer=True), "target_network": (NONE, InstanceOf(Network))}

    def check(self) -> None:
        if self.regulariser in ("tv", "tv-aniso") and self.image_shape is None:
            raise BregnetInputError(f"{type(self).__name__}: regulariser {self.regulariser!r} needs image_shape "
                                    f"(e.g. image_shape=(64, 64))")
        if self.regulariser == "none" and self.alpha > 0:
            raise BregnetInputError(f"{type(self).__name__}: alpha = {self.alpha} > 0 needs a regulariser "
                                    f"(l1, tikhonov, tv or tv-aniso); got regulariser='none'")

    def make_regulariser(self, n: int) -> Regulariser:
        """:math:`J` for inputs of ``n`` entries."""
        return get_regulariser(self.regulariser, image_shape=self.image_shape, n=n, tol=self.tv_tol,
                               max_iter=self.tv_max_iter)

    def check_task(self, task) -> None:
        if task.problem.regulariser is not None and task.problem.regulariser.alpha > 0:
            raise BregnetInputError(f"{self.name}: the l1 code term of training does not apply to an inversion; "
                                    f"choose regulariser= and alpha= instead")
        self.make_regulariser(task.X.shape[1])          # the image shape against n_0

    def network_state(self, network) -> dict:
        """What the state keeps of the fixed network: nothing when the solver holds it (``target_network``, as
        :func:`~bregnet.inversion.task.invert` sets it: the checkpoints then hold the variables only, not the
        weights), else copies of its weights and biases (a solver given to :func:`~bregnet.solvers.engine.run`
        directly)."""
        if self.target_network is None:
            if getattr(network, "layers", None) is not None:
                raise BregnetInputError(f"{self.name}: a network of operator layers needs target_network=network "
                                        f"(bregnet.inversion.invert sets it)")
            return params_state(network)
        if network_fingerprint(network) != network_fingerprint(self.target_network):
            raise BregnetInputError(f"{self.name}: the network given to run is not the solver's target_network")
        return {}

    def network(self, task, state) -> Network:
        """The fixed network: ``target_network``, or the one kept in the state."""
        if self.target_network is not None:
            return self.target_network
        return super().network(task, state)

    def energy(self, task, state) -> InversionEnergy:
        """The energy of this task (the fixed network of ``state``, the task's lambdas, :math:`\\alpha J`)."""
        return InversionEnergy.from_network(self.network(task, state), task.problem.lambdas,
                                            self.make_regulariser(task.X.shape[1]), self.alpha,
                                            norms_sq=state.get("norms_sq"))

    def hidden(self, state):
        return state.get("hidden")


def _step(c: float, lipschitz: float, lam: float) -> float:
    """``c / L``, or ``c / lam`` where ``L`` is numerically zero (then any step is admissible; as
    :func:`bregnet.solvers.sweep.x_step_size`)."""
    return c / lipschitz if lipschitz > lam * X_LIPSCHITZ_FLOOR else c / lam


@dataclass(frozen=True)
class LiftedInversion(InversionSolver):
    r"""Proximal block coordinate descent on the lifted inversion energy (see the module docstring).

    Parameters
    ----------
    regulariser, alpha, image_shape, tv_tol, tv_max_iter
        See :class:`InversionSolver`.
    step_scale : float in (0, 2)
        :math:`c` in the block steps :math:`c/L`.
    momentum : ``"nesterov"`` or ``"none"``
        Per-block extrapolation (iPALM / FISTA) or plain block steps.
    restart : bool
        Replace a sweep that raises the energy by a plain one and restart the momentum.
    order : ``"backward"`` or ``"forward"``
        :math:`x_{L-1}, \dots, x_1, u` or :math:`u, x_1, \dots, x_{L-1}`.
    """

    step_scale: float = 1.0
    momentum: str = "nesterov"
    restart: bool = True
    order: str = "backward"

    name = "lifted-inversion"
    objective = "energy"
    constraints = {**InversionSolver.constraints, "step_scale": Interval(0, 2, closed="neither"),
                   "momentum": OneOf(("nesterov", "none")), "restart": BOOLEAN,
                   "order": OneOf(("backward", "forward"))}

    def check_task(self, task) -> None:
        super().check_task(task)
        act = task.problem.activations[-1]
        inside = act.in_domain(task.Y)
        if not np.all(inside):
            raise BregnetInputError(f"the output F has {int(np.size(inside) - np.count_nonzero(inside))} row(s) "
                                    f"outside dom Psi_L of the output activation {act!r}: the data term "
                                    f"B_Psi_L(f, z) is infinite there (a ReLU output needs f >= 0: project noisy "
                                    f"outputs onto dom Psi_L, or use the backprop method)")

    def init(self, task, network, hidden, rng) -> dict:
        hidden = list(check_hidden(task.problem, network, task.X, hidden))
        E = InversionEnergy.from_network(network, task.problem.lambdas, self.make_regulariser(task.X.shape[1]),
                                         self.alpha)
        norms = [float(layer.map.norm_sq()) for layer in E.layers]
        reg = E.regulariser
        with np.errstate(over="ignore", invalid="ignore"):      # an exploding start is divergence
            row = E.evaluate(task.X, hidden, task.Y)
        return {**self.network_state(network), "u": task.X.copy(), "hidden": hidden, "previous": None, "t": 1.0,
                "energy": row["energy"], "row": row, "norms_sq": norms,
                "dual": reg.init_dual(task.X.shape[0], task.X.dtype) if self.alpha > 0 else None, "tv_gap": 0.0}

    def _blocks(self, L: int) -> list:
        hidden = list(range(1, L))
        return ["u", *hidden] if self.order == "forward" else [*reversed(hidden), "u"]

    def _sweep(self, task, state, E: InversionEnergy, beta: float):
        F, c = task.Y, self.step_scale
        u, hidden, dual = state["u"], list(state["hidden"]), state["dual"]
        prev = state["previous"] if beta > 0 else None
        for block in self._blocks(E.n_layers):
            if block == "u":
                y = u if prev is None else extrapolate(u, prev["u"], beta)
                tau = _step(c, E.lipschitz_u(), 1.0)
                u, dual = E.prox_u(y - y.dtype.type(tau) * E.grad_u(y, hidden, F), tau, dual)
            else:
                j = block
                y = hidden[j - 1] if prev is None else extrapolate(hidden[j - 1], prev["hidden"][j - 1], beta)
                cur = hidden[:j - 1] + [y] + hidden[j:]
                t = _step(c, E.lipschitz_x(j), E.layers[j - 1].lam)
                hidden[j - 1] = E.prox_x(j, y - y.dtype.type(t) * E.grad_x(j, u, cur, F), t)
        gap = float(getattr(E.regulariser, "last_gap", 0.0)) if self.alpha > 0 else 0.0
        return u, hidden, dual, E.evaluate(u, hidden, F), gap

    def update(self, task, state, rng) -> dict:
        E = self.energy(task, state)
        t_next, beta = (momentum_weight("nesterov", state["t"], 0.0) if self.momentum == "nesterov"
                        else (1.0, 0.0))
        u, hidden, dual, row, gap = self._sweep(task, state, E, beta)
        if self.restart and beta > 0 and not row["energy"] <= state["energy"]:
            u, hidden, dual, row, gap = self._sweep(task, state, E, 0.0)
            t_next = 1.0
        return {**state, "u": u, "hidden": hidden, "previous": {"u": state["u"], "hidden": list(state["hidden"])},
                "t": t_next, "energy": row["energy"], "row": row, "dual": dual, "tv_gap": gap}

    def diagnostics(self, task, state) -> dict:
        """The row the last update evaluated (:meth:`InversionEnergy.evaluate`, kept in ``state["row"]``), and the
        TV prox's final duality gap."""
        row = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state["row"].items()}
        return {**row, "tv_gap": float(state["tv_gap"])}

