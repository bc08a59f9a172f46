r"""Implicit stochastic lifted Bregman learning: Algorithm 1 (LBN-S) and its deterministic form LBN-D (Section 4.2.3, 6).

For each mini-batch :math:`B_p` (eq. (24), with the proximal weight :math:`\rho`)

.. math::  (\Theta^{k+1}, \mathbf X^{p}) \approx \arg\min_{\Theta, \mathbf X^p}\;
           \frac{1}{|B_p|}\sum_{i\in B_p}\sum_{l=1}^L\lambda_l B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l))
           + \frac{\rho}{2}\|\Theta - \Theta^k\|^2  \qquad (24)

is solved approximately by ``n_inner`` (:math:`N`) sweeps of block proximal gradient steps (17), starting
from the forward-pass auxiliary variables :math:`x_j^i = \sigma_j(f(x_{j-1}^i, \Theta_j^k))`.  One sweep
updates, in this order, :math:`\Theta_L, x_{L-1}, \Theta_{L-1}, x_{L-2}, \dots, x_1, \Theta_1`, each step
with the newest values of the other blocks (the derivation of Algorithm 1 from (24) and (17); see
"Deviations from the printed Algorithm 1" below):

.. math::  \Theta_l \leftarrow \Theta_l - \eta_l\Big(\frac{\lambda_l}{|B_p|}\sum_{i\in B_p}
           (\sigma_l(f(x_{l-1}^i, \Theta_l)) - x_l^i)J_f^\Theta(x_{l-1}^i, \Theta_l) + \rho(\Theta_l - \Theta_l^k)\Big)

.. math::  x_j^i \leftarrow \operatorname{prox}_{\frac{t_j\lambda_j}{1+t_j\lambda_j}(\Psi_j + \frac{\alpha_j}{\lambda_j}|\cdot|_1)}
           \Big(\frac{1}{1+t_j\lambda_j}\big(x_j^i + t_j(\lambda_j f(x_{j-1}^i, \Theta_j)
           - \lambda_{j+1}(\sigma_{j+1}(f(x_j^i, \Theta_{j+1})) - x_{j+1}^i)W_{j+1}^\top)\big)\Big)

Steps (Section 6.1, corrected): :math:`\eta_l = c/(\lambda_l(\|X_{l-1}^p\|_2^2/|B_p| + 1) + \rho)` for
:math:`(W_l, b_l)` jointly, and per-sample :math:`t_j = c/(\lambda_{j+1}\|W_{j+1}\|_2^2)` (i.e.
:math:`\tau_x = c|B_p|/\|W_{j+1}\|_2^2` in the units of Algorithm 1), :math:`c = 1.99`; both bound the
Lipschitz constants of the blocks, so every step decreases the batch objective (24).  The spectral norms
are computed by power iteration (relative tolerance ``1e-7`` of the Rayleigh quotient, at most 100 iterations,
:func:`bregnet.solvers.lipschitz.spectral_norm_sq`) warm-started from the previous iterate: the previous
sweep's, and the previous batch's (``warm_start="run"``: carried across epochs too, as part of the solver's
state, so a resumed run stays exact; ``"epoch"``: reset at every epoch, as bregnet did before its engine).
The start vector only changes the estimate within the tolerance.

LBN-D (Section 6.2) is the same with :math:`\rho = 0` and one batch of all samples per epoch.

Operator layers (:mod:`bregnet.operators`, convolutions): the same sweeps through the layers' operators
(:mod:`bregnet.solvers.sweep`): :math:`\|X_{l-1}^p\|_2^2/|B_p| + 1` becomes the exact joint norm
:math:`\|(K, b) \mapsto A_K(X_{l-1}^p) + \mathbf 1\otimes b\|_2^2/|B_p|`, :math:`\|W_{j+1}\|_2^2` becomes
:math:`\|A_{W_{j+1}}\|_2^2`, and :math:`W_{j+1}^\top` the adjoint.  Such networks take the NumPy path; dense
networks keep the Numba kernel.

Deviations from the printed Algorithm 1 (reported in ``docs/errata.md``):

* the gradient of the proximal term is :math:`\rho(\Theta_l - \Theta_l^k)` with :math:`\Theta^k` the
  parameters at the start of the batch step (the print has :math:`\tau^k(\Theta_l^n - \Theta_l^{k-1})`;
  (24) prints the term as :math:`\frac{1}{2\tau^k}\|\Theta - \Theta^k\|^2`, but :math:`\tau^k = 0` for LBN-D
  and the step rule :math:`+\tau_k/2` treat :math:`\tau^k` as a weight, so ``prox_weight`` = the paper's
  :math:`\tau^k` of Section 6);
* the residual is :math:`(\sigma_l(f(x_{l-1}, \Theta_l)) - x_l)J_f^\Theta` (the print misplaces the
  parenthesis and mixes the indices j and l);
* the x-update uses the current :math:`\Theta_j`, not the anchor :math:`\Theta_j^k`;
* the loops: N sweeps, each over all blocks (the print's "for l in {L..1} and j in {L-1..1}" is read as
  the backward sweep above);
* step sizes as above.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import PENALTIES, LiftedProblem
from ..network import Network
from ._common import lifted_diagnostics, run_solver
from .engine import Result, Solver, Task, params_state
from .params import BOOLEAN, Interval, NONE, OneOf
from .readings import LOOPS, STEP_RULES, X_ANCHORS, AlgorithmReading, reading_sweeps
from .sweep import POWER_MAX_ITER as _MAX_IT, POWER_TOL as _TOL, backward_sweeps, warm_start_vectors

__all__ = ["LBNS", "LBND", "lbn_s", "lbn_d", "lbn_batch_numpy", "lbn_batch_kernel", "kernel_supported",
           "warm_start_vectors"]


def lbn_batch_numpy(problem: LiftedProblem, network: Network, X0, Y, *, n_inner: int = 15,
                    prox_weight: float = 0.0, step_scale: float = 1.99, tol: float = _TOL,
                    max_iter: int = _MAX_IT, callback=None, warm: dict | None = None, sweep_tol: float = 0.0,
                    stats: dict | None = None) -> tuple[Network, list]:
    r"""One batch step of Algorithm 1 in NumPy (the readable twin of :func:`bregnet.kernels.lifted.lbn_inner_loop`).

    The ``n_inner`` backward sweeps of :func:`bregnet.solvers.sweep.backward_sweeps` from the forward-pass
    auxiliary variables, anchored at ``network`` (:math:`\Theta^k`).  Returns the new network and the final
    auxiliary variables ``[X_1, ..., X_{L-1}]`` of the batch.
    ``callback(n, weights, biases, hidden)``, if given, is called after every inner sweep ``n = 1..N``
    with the current lists (read-only; used by :mod:`bregnet.testing.reference_trajectories`).
    ``warm``, if given (from :func:`warm_start_vectors`), holds the start vectors of the power iterations for
    :math:`\|X_l\|_2^2` and :math:`\|W_l\|_2^2` and receives their final iterates, so that the next batch
    starts where this one stopped.  ``sweep_tol``, ``stats``: the early stop of
    :func:`bregnet.solvers.sweep.backward_sweeps` (``n_inner`` then the most sweeps).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> from bregnet.lifted import forward_hidden, lifted_energy
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=10)
    >>> prob = LiftedProblem.from_network(net)
    >>> net2, hidden = lbn_batch_numpy(prob, net, X, Y, n_inner=5)
    >>> e0 = lifted_energy(prob, net, [X, *forward_hidden(net, X), Y])
    >>> bool(lifted_energy(prob, net2, [X, *hidden, Y]) < e0)
    True
    """
    return backward_sweeps(problem, network, X0, Y, n_sweeps=n_inner, prox_weight=prox_weight,
                           step_scale=step_scale, warm=warm_start_vectors(network) if warm is None else warm,
                           tol=tol, max_iter=max_iter, callback=callback, sweep_tol=sweep_tol, stats=stats)


def kernel_supported(problem: LiftedProblem) -> bool:
    """True if the kernel covers every layer: see :func:`bregnet.kernels.lifted.kernel_supports` (dense layers only:
    a network of operator layers, :mod:`bregnet.operators`, takes the NumPy path)."""
    if problem.layers is not None or problem.quadratic_penalty:   # MAC, classical: the NumPy sweeps
        return False
    from ..kernels.lifted import kernel_supports
    return kernel_supports(problem)


def _kernel_args(problem: LiftedProblem):
    from ..kernels.lifted import activation_params
    params = [activation_params(a) for a in problem.activations]
    codes = np.array([p[0] for p in params], dtype=np.int64)
    betas = np.array([p[1:] for p in params], dtype=np.float64).reshape(len(params), 2)
    lambdas = np.array(problem.lambdas, dtype=np.float64)
    reg = problem.regulariser
    l1_layer = reg.layer if reg is not None else -1
    l1_alpha = reg.alpha if reg is not None else 0.0
    return codes, betas, lambdas, int(l1_layer), float(l1_alpha)


def _typed(arrays, dtype=None):
    from numba.typed import List
    return List([np.array(a, dtype=dtype, order="C", copy=True) for a in arrays])


def lbn_batch_kernel(problem: LiftedProblem, network: Network, X0, Y, *, n_inner: int = 15,
                     prox_weight: float = 0.0, step_scale: float = 1.99, tol: float = _TOL,
                     max_iter: int = _MAX_IT, warm: dict | None = None) -> tuple[Network, list]:
    """:func:`lbn_batch_numpy` through the Numba kernel :func:`bregnet.kernels.lifted.lbn_inner_loop` (same result)."""
    from numba.typed import List

    from ..kernels.lifted import lbn_inner_loop

    dtype = network.dtype
    if warm is None:
        warm = warm_start_vectors(network)
    vx = List([np.ascontiguousarray(v, dtype=np.float64) for v in warm["vx"]])
    vw = List([np.ascontiguousarray(v, dtype=np.float64) for v in warm["vw"]])
    Ws, bs = _typed(network.weights, dtype), _typed(network.biases, dtype)
    hidden = lbn_inner_loop(Ws, bs, np.ascontiguousarray(X0, dtype=dtype), np.ascontiguousarray(Y, dtype=dtype),
                            vx, vw, *_kernel_args(problem), int(n_inner), float(step_scale), float(prox_weight),
                            float(tol), int(max_iter), np.empty((0, 0), dtype=dtype))
    warm["vx"][:], warm["vw"][:] = list(vx), list(vw)
    return Network(tuple(Ws), tuple(bs), network.activations), list(hidden)


_BLAS_CTL = []


def _kernel_blas_one_thread():
    """Context in which the BLAS calls of the kernel run on one thread (if threadpoolctl is installed).

    The kernel's products inside the sweeps are small (100 x 64 x 64 in the Table 1 setting): splitting them
    over threads costs a synchronisation per call, about 150 per batch, and on a shared machine each one can
    wait for a time slice (measured: a 2-thread OpenBLAS product of these sizes then takes milliseconds instead
    of microseconds).  The per-batch :math:`K = X_0X_0^\top` (100 x 784 x 100) is formed in the same context.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:                                        # optional: then BLAS keeps its own setting
        return contextlib.nullcontext()
    if not _BLAS_CTL:
        import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS that Numba's np.dot calls)
        _BLAS_CTL.append(ThreadpoolController())
    return _BLAS_CTL[0].limit(limits=1, user_api="blas")


def _kernel_epoch(problem: LiftedProblem, network: Network, X, Y, order, batch_size, *, n_inner, prox_weight,
                  step_scale, warm: dict | None = None, tol: float = _TOL, max_iter: int = _MAX_IT,
                  chunk: int = 32) -> tuple[Network, int]:
    """One epoch of Algorithm 1 through :func:`bregnet.kernels.lifted.lbn_epoch`, ``chunk`` batches per call.

    Per chunk, NumPy gathers the batches (in order) and forms every :math:`K = X_0X_0^\top` by ``syrk``;
    the kernel does the rest; both with single-threaded BLAS (:func:`_kernel_blas_one_thread`).  Equal to :func:`lbn_batch_kernel` batch by batch with the warm starts carried
    over (``warm``, from :func:`warm_start_vectors`, updated in place; a fresh set if None).  Returns the new network and ``-1`` or the index of the first batch that left
    non-finite parameters.
    """
    from ..kernels.lifted import lbn_epoch

    dtype = network.dtype
    if warm is None:
        warm = warm_start_vectors(network)
    vx, vw = _typed(warm["vx"]), _typed(warm["vw"])
    Ws, bs = _typed(network.weights, dtype), _typed(network.biases, dtype)
    args = _kernel_args(problem)
    s = order.shape[0]
    span = chunk * batch_size
    for p0 in range(0, s, span):
        idx = order[p0:p0 + span]
        Xc, Yc = X[idx], Y[idx]
        nfull = idx.shape[0] // batch_size if batch_size <= 4 * X.shape[1] else 0   # Gram form pays off
        Ks = np.empty((nfull, batch_size, batch_size), dtype=dtype)
        with _kernel_blas_one_thread():
            for i in range(nfull):
                Xb = Xc[i * batch_size:(i + 1) * batch_size]
                np.matmul(Xb, Xb.T, out=Ks[i])                 # syrk
            bad = lbn_epoch(Ws, bs, Xc, Yc, int(batch_size), Ks, vx, vw, *args, int(n_inner), float(step_scale),
                            float(prox_weight), float(tol), int(max_iter))
        if bad >= 0:
            break
    warm["vx"][:], warm["vw"][:] = list(vx), list(vw)
    return Network(tuple(Ws), tuple(bs), network.activations), -1 if bad < 0 else p0 // batch_size + bad


@dataclass(frozen=True)
class LBNS(Solver):
    r"""Algorithm 1, implicit stochastic lifted Bregman learning (LBN-S, Section 4.2.3); see the module docstring.

    Parameters
    ----------
    batch_size : int
        :math:`|B_p|` (the last batch of an epoch may be smaller).
    n_inner : int
        :math:`N`, sweeps per batch.
    prox_weight : float >= 0
        :math:`\rho`, weight of :math:`\tfrac\rho2\|\Theta - \Theta^k\|^2` (the paper's :math:`\tau^k` of Section 6:
        100 in 6.1, 1 in 6.2, 0.5 in 6.3; 0 for LBN-D).
    step_scale : float in (0, 2)
        :math:`c` of the steps (the block steps decrease (24) for :math:`c < 2` only).
    shuffle : bool
        Random batches (from the run's generator) or in order.
    use_kernel : bool or None
        Use the Numba kernel (default: when every activation has one).
    warm_start : ``"run"`` or ``"epoch"``
        Carry the power iterations' start vectors across epochs (part of the state), or reset them every epoch.
    step_rule, x_anchor, loops : str
        Readings of the printed Algorithm 1 (:mod:`bregnet.solvers.readings`): ``"corrected"``,
        ``"printed-mean"`` or ``"printed-sum"`` step sizes; the x-step at the ``"current"`` or the
        ``"batch_start"`` :math:`\Theta_j`; N ``"sweeps"`` or ``"layerwise"`` loops.  The defaults are bregnet's
        Algorithm 1; any other value runs the NumPy reading (:func:`bregnet.solvers.readings.reading_sweeps`).
    prox_anchor : ``"batch"`` or ``"epoch"``
        :math:`\Theta^k` of the proximal term: the parameters at the start of the batch (bregnet) or of the epoch.
    aux_accuracy : bool
        Also record ``aux_train_accuracy``: the share of the epoch's training samples whose prediction
        :math:`\sigma_L(f(x_{L-1}, \Theta_L))` from the batch's final auxiliary variable :math:`x_{L-1}` has the
        target's arg-max (the training accuracy measured on the lifted variables instead of the forward network);
        runs the NumPy reading.
    aux_sparsity : bool
        Also record ``aux_train_sparsity``: the share of zero entries of the regulariser's ("code") layer
        :math:`X_c` in the auxiliary variables each batch ends with, over the epoch's samples (Section 6.2 counts
        "the percentage of zero-valued entries of the code :math:`X_2`", which in Algorithm 1 is a lifted variable;
        the forward network's code is the other reading); needs a regulariser; runs the NumPy reading.
    sweep_tol : float
        0 (default, Algorithm 1): exactly ``n_inner`` sweeps per batch.  Positive: stop a batch's sweeps once
        one changes the parameters by less than this, relatively
        (:func:`bregnet.solvers.sweep.sweep_change`), ``n_inner`` being the most (issue 13's adaptive N); records
        ``mean_sweeps`` per batch each epoch; runs the NumPy twin.
    """

    batch_size: int = 100
    n_inner: int = 15
    prox_weight: float = 1.0
    step_scale: float = 1.99
    shuffle: bool = True
    use_kernel: bool | None = None
    warm_start: str = "run"
    step_rule: str = "corrected"
    x_anchor: str = "current"
    loops: str = "sweeps"
    prox_anchor: str = "batch"
    aux_accuracy: bool = False
    aux_sparsity: bool = False
    sweep_tol: float = 0.0

    name = "lbn_s"
    late_fields = ("step_rule", "x_anchor", "loops", "prox_anchor", "aux_accuracy", "aux_sparsity", "sweep_tol")
    diagnostics_from_parameters = True                 # diagnostics at the forward pass (engine.run)
    supports_operators = True                          # operator layers (convolutions) by the NumPy path
    penalties = PENALTIES                              # the lifted family
    stochastic = True
    constraints = {"batch_size": Interval(1, None, integer=True), "n_inner": Interval(1, None, integer=True),
                   "prox_weight": Interval(0, None), "step_scale": Interval(0, 2, closed="neither"),
                   "shuffle": BOOLEAN, "use_kernel": (NONE, BOOLEAN), "warm_start": OneOf(("run", "epoch")),
                   "step_rule": OneOf(STEP_RULES), "x_anchor": OneOf(X_ANCHORS), "loops": OneOf(LOOPS),
                   "prox_anchor": OneOf(("batch", "epoch")), "aux_accuracy": BOOLEAN,
                   "aux_sparsity": BOOLEAN, "sweep_tol": Interval(0, None)}

    def check_task(self, task: Task) -> None:
        super().check_task(task)
        reg = task.problem.regulariser
        if self.aux_sparsity and (reg is None or task.problem.n_layers < 2):
            raise BregnetInputError("aux_sparsity=True counts the zeros of the regulariser's code layer; this problem "
                                    "has no regulariser (give l1=(layer, alpha))")
        if self.use_kernel and not kernel_supported(task.problem):
            from ..kernels.lifted import kernel_names
            raise BregnetInputError("use_kernel=True needs activations with a compiled kernel (hidden layers: "
                                    f"{', '.join(kernel_names(hidden=True))}; the output layer also "
                                    f"{', '.join(sorted(set(kernel_names()) - set(kernel_names(hidden=True))))}); "
                                    f"got {[a.name for a in task.problem.activations]}")

    def check(self) -> None:
        if self.use_kernel and self.sweep_tol > 0:
            raise BregnetInputError("use_kernel=True runs exactly n_inner sweeps; sweep_tol > 0 (an early stop of the "
                                    "sweeps) runs in NumPy (use_kernel=None)")
        if self.sweep_tol > 0 and not self._corrected:
            raise BregnetInputError("sweep_tol > 0 stops bregnet's Algorithm 1 early; it does not combine with the "
                                    "readings step_rule, x_anchor, loops, prox_anchor, aux_accuracy, aux_sparsity")
        if self.use_kernel and not self._corrected:
            raise BregnetInputError("use_kernel=True runs bregnet's Algorithm 1 only; the readings step_rule, "
                                    "x_anchor, loops, prox_anchor, aux_accuracy and aux_sparsity run in NumPy "
                                    "(use_kernel=None)")

    @property
    def _reading(self) -> AlgorithmReading:
        return AlgorithmReading(self.step_rule, self.x_anchor, self.loops)

    @property
    def _corrected(self) -> bool:
        return (self._reading.is_corrected and self.prox_anchor == "batch" and not self.aux_accuracy
                and not self.aux_sparsity)

    def _aux_fields(self, values: dict) -> dict:
        """The state entries of the auxiliary-variable records asked for (``values``: name -> value)."""
        return {k: float(v) for k, v in values.items() if getattr(self, k)}

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        extra = self._aux_fields({"aux_accuracy": -1.0, "aux_sparsity": -1.0})   # -1: no epoch trained yet
        if self.sweep_tol > 0:
            extra["mean_sweeps"] = -1.0
        return {**params_state(network), "warm": warm_start_vectors(network), **extra}

    def _kernel(self, task: Task) -> bool:
        if not self._corrected or self.sweep_tol > 0:
            return False
        return kernel_supported(task.problem) if self.use_kernel is None else self.use_kernel

    def update(self, task: Task, state: dict, rng) -> dict:
        X, Y, s = task.X, task.Y, task.n_samples
        net = self.network(task, state)
        warm = warm_start_vectors(net) if self.warm_start == "epoch" else state["warm"]
        order = rng.permutation(s) if self.shuffle else np.arange(s)
        if not self._corrected:                                # a reading of the printed Algorithm 1
            net, aux = self._reading_epoch(task, net, order)
            return {**params_state(net), "warm": warm, **self._aux_fields(aux)}
        if self._kernel(task):                                 # the whole epoch in one kernel call
            net, _ = _kernel_epoch(task.problem, net, X, Y, order, self.batch_size, n_inner=self.n_inner,
                                   prox_weight=self.prox_weight, step_scale=self.step_scale, warm=warm)
        else:
            with _kernel_blas_one_thread() if net.layers is not None else contextlib.nullcontext():
                net, sweeps = self._numpy_epoch(task, net, order, warm)
            if self.sweep_tol > 0:
                return {**params_state(net), "warm": warm, "mean_sweeps": float(np.mean(sweeps))}
        return {**params_state(net), "warm": warm}

    def _numpy_epoch(self, task: Task, net: Network, order, warm: dict) -> tuple[Network, list]:
        """The batches of one epoch by :func:`lbn_batch_numpy` (operator networks run it with one BLAS thread: their
        power iterations are products of one sample, which a second thread only slows down); returns the network
        and the number of sweeps of each batch."""
        X, Y, s = task.X, task.Y, task.n_samples
        sweeps, stats = [], {}
        for p in range(0, s, self.batch_size):
            whole = not self.shuffle and self.batch_size >= s
            idx = order[p:p + self.batch_size]
            Xb, Yb = (X, Y) if whole else (X[idx], Y[idx])
            with np.errstate(over="ignore", invalid="ignore"):
                net, _ = lbn_batch_numpy(task.problem, net, Xb, Yb, n_inner=self.n_inner,
                                         prox_weight=self.prox_weight, step_scale=self.step_scale, warm=warm,
                                         sweep_tol=self.sweep_tol, stats=stats)
            sweeps.append(stats["sweeps"])
            if not all(np.all(np.isfinite(W)) for W in net.weights + net.biases):
                break                                          # the engine reports the divergence
        return net, sweeps

    def _reading_epoch(self, task: Task, net: Network, order) -> tuple[Network, dict]:
        """One epoch of :func:`bregnet.solvers.readings.reading_sweeps` batches; returns the network and the records
        on the batches' final auxiliary variables: ``aux_accuracy``, the share of samples whose prediction has the
        target's arg-max, and ``aux_sparsity``, the share of zeros in the code layer's variables."""
        X, Y, s = task.X, task.Y, task.n_samples
        anchor, correct, zeros, L = net, 0, 0, task.problem.n_layers
        reg = task.problem.regulariser
        for p in range(0, s, self.batch_size):
            idx = order[p:p + self.batch_size]
            Xb, Yb = X[idx], Y[idx]
            with np.errstate(over="ignore", invalid="ignore"):
                net, hidden = reading_sweeps(task.problem, net, Xb, Yb, n_sweeps=self.n_inner,
                                             prox_weight=self.prox_weight, step_scale=self.step_scale,
                                             reading=self._reading, anchor=anchor if self.prox_anchor == "epoch" else None)
                if self.aux_accuracy:
                    last = hidden[-1] if L > 1 else Xb
                    pred = net.activations[-1].prox(last @ net.weights[-1] + net.biases[-1])
                    correct += int(np.sum(np.argmax(pred, axis=1) == np.argmax(Yb, axis=1)))
                if self.aux_sparsity:
                    zeros += int(np.count_nonzero(hidden[reg.layer - 1] == 0))
            if not all(np.all(np.isfinite(W)) for W in net.weights + net.biases):
                break                                          # the engine reports the divergence
        code_size = s * net.weights[reg.layer - 1].shape[1] if reg is not None else 1
        return net, {"aux_accuracy": correct / s, "aux_sparsity": zeros / code_size}

    def diagnostics(self, task: Task, state: dict) -> dict:
        out = lifted_diagnostics(task, self.network(task, state), None)
        for field in ("aux_accuracy", "aux_sparsity"):
            if getattr(self, field):
                aux = float(state[field])
                out[f"aux_train_{field[4:]}"] = None if aux < 0 else aux    # none at epoch 0
        if self.sweep_tol > 0:
            m = float(state["mean_sweeps"])
            out["mean_sweeps"] = None if m < 0 else m
        return out

    def hidden(self, state):
        return None


@dataclass(frozen=True)
class LBND(LBNS):
    r"""LBN-D (Section 6.2): Algorithm 1 with :math:`\tau^k = 0` (no proximal term) and all samples every epoch.

    ``batch_size`` 0 means all samples.
    """

    batch_size: int = 0
    prox_weight: float = 0.0
    shuffle: bool = False

    name = "lbn_d"
    stochastic = False
    constraints = {**LBNS.constraints, "batch_size": Interval(0, None, integer=True)}

    def update(self, task: Task, state: dict, rng) -> dict:
        full = self.replace(batch_size=self.batch_size or task.n_samples)
        return LBNS.update(full, task, state, rng)


def _lbn(cls, network, X, Y, epochs, checkpoint_every, options) -> Result:
    if options.get("record") == "none":                       # the name before the engine
        options["record"] = "end"
    return run_solver(cls, network, X, Y, options, epochs=epochs, checkpoint_every=checkpoint_every)


def lbn_s(network: Network, X, Y, *, epochs: int = 10, checkpoint_every: int = 1, **options) -> Result:
    r"""Train by Algorithm 1 (LBN-S): ``run(LBNS(...), network, X, Y, ...)``.

    ``options`` are the hyperparameters of :class:`LBNS` and the options of :func:`bregnet.solvers.engine.run`;
    ``record="none"`` is accepted for ``"end"``.  The paper's settings are presets
    (:mod:`bregnet.presets`), e.g. ``prox_weight=100`` of Section 6.1.

    Returns
    -------
    Result
        ``network`` and ``history`` (per epoch; the lifted energy is evaluated at the forward-pass auxiliary
        variables, which Algorithm 1 uses to start every batch).
    """
    return _lbn(LBNS, network, X, Y, epochs, checkpoint_every, options)


def lbn_d(network: Network, X, Y, *, epochs: int = 100, checkpoint_every: int = 1, **options) -> Result:
    r"""LBN-D (Section 6.2): ``run(LBND(...), network, X, Y, ...)``.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=20)
    >>> res = lbn_d(net, X, Y, epochs=5)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """
    return _lbn(LBND, network, X, Y, epochs, checkpoint_every, options)
