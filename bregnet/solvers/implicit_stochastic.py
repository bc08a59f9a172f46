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
sweep's, and within an epoch the previous batch's (reset at each epoch, so that resuming from a checkpoint is
exact).  The start vector only changes the estimate within the tolerance.

LBN-D (Section 6.2) is the same with :math:`\rho = 0` and one batch of all samples per epoch.

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
import time

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, forward_hidden, theta_step, x_step
from ..network import Network
from ._common import (TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, record_epoch, save_checkpoint, validate_data)
from .lipschitz import spectral_norm_sq, theta_lipschitz, x_lipschitz

__all__ = ["lbn_s", "lbn_d", "lbn_batch_numpy", "lbn_batch_kernel", "kernel_supported", "warm_start_vectors"]

_WHAT = "lbn_s"
_TOL, _MAX_IT = 1e-7, 100


def lbn_batch_numpy(problem: LiftedProblem, network: Network, X0, Y, *, n_inner: int = 15,
                    prox_weight: float = 0.0, step_scale: float = 1.99, tol: float = _TOL,
                    max_iter: int = _MAX_IT, callback=None, warm: dict | None = None) -> tuple[Network, list]:
    r"""One batch step of Algorithm 1 in NumPy (the readable twin of :func:`bregnet.kernels.lifted.lbn_inner_loop`).

    Returns the new network and the final auxiliary variables ``[X_1, ..., X_{L-1}]`` of the batch.
    ``callback(n, weights, biases, hidden)``, if given, is called after every inner sweep ``n = 1..N``
    with the current lists (read-only; used by :mod:`bregnet.testing.reference_trajectories`).
    ``warm``, if given (from :func:`warm_start_vectors`), holds the start vectors of the power iterations for
    :math:`\|X_l\|_2^2` and :math:`\|W_l\|_2^2` and receives their final iterates, so that the next batch
    starts where this one stopped (Algorithm 1 carries them from batch to batch within an epoch).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> from bregnet.lifted import lifted_energy
    >>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(10, 3)); Y = rng.normal(size=(10, 2))
    >>> prob = LiftedProblem.from_network(net)
    >>> net2, hidden = lbn_batch_numpy(prob, net, X, Y, n_inner=5)
    >>> e0 = lifted_energy(prob, net, [X, *forward_hidden(net, X), Y])
    >>> bool(lifted_energy(prob, net2, [X, *hidden, Y]) < e0)
    True
    """
    L = problem.n_layers
    B = X0.shape[0]
    c, rho = step_scale, prox_weight
    xs = [X0, *forward_hidden(network, X0), Y]                 # x_j = sigma_j(f(x_{j-1}, Theta_j^k))
    anchor_W, anchor_b = network.weights, network.biases      # Theta^k
    Ws, bs = [W.copy() for W in anchor_W], [b.copy() for b in anchor_b]
    if warm is None:
        warm = warm_start_vectors(network)
    vx, vw = warm["vx"], warm["vw"]                           # power-iteration start vectors (updated)
    nx = [0.0] * L
    nx[0] = spectral_norm_sq(X0, tol=tol, max_iter=max_iter)
    for l in range(1, L):
        nx[l], vx[l] = spectral_norm_sq(xs[l], tol=tol, max_iter=max_iter, return_vector=True)
    Z = [None] * (L + 1)                                       # cached Z_l = f(X_{l-1}, Theta_l)
    for n in range(n_inner):
        for l in range(L, 0, -1):
            lam = problem.lambdas[l - 1]
            act = problem.activations[l - 1]
            if Z[l] is None:
                Z[l] = xs[l - 1] @ Ws[l - 1] + bs[l - 1]
            eta = c / theta_lipschitz(nx[l - 1], B, lam, rho)
            Ws[l - 1], bs[l - 1], _ = theta_step(act, lam, Ws[l - 1], bs[l - 1], xs[l - 1], xs[l], eta, Z=Z[l],
                                                 anchor=(anchor_W[l - 1], anchor_b[l - 1]), prox_weight=rho)
            Z[l] = None
            if l == 1:
                continue
            j = l - 1                                          # x-step on x_j with the new Theta_{j+1}
            D_next = act.prox(xs[j] @ Ws[l - 1] + bs[l - 1]) - xs[l]
            Z[j] = xs[j - 1] @ Ws[j - 1] + bs[j - 1]
            nw, vw[l - 1] = spectral_norm_sq(Ws[l - 1], v0=vw[l - 1], tol=tol, max_iter=max_iter, return_vector=True)
            t = c / x_lipschitz(nw, lam)
            xs[j] = x_step(problem, j, xs[j], Z[j], D_next, Ws[l - 1], t)
            if n < n_inner - 1:                                # next used by Theta_{j+1} in sweep n + 1
                nx[j], vx[j] = spectral_norm_sq(xs[j], v0=vx[j], tol=tol, max_iter=max_iter, return_vector=True)
        if callback is not None:
            callback(n + 1, Ws, bs, xs[1:L])
    return Network(tuple(Ws), tuple(bs), network.activations), xs[1:L]


def kernel_supported(problem: LiftedProblem) -> bool:
    """True if every activation has a kernel code (identity, relu, soft_threshold)."""
    from ..kernels.lifted import activation_code
    return all(activation_code(a) is not None for a in problem.activations)


def warm_start_vectors(network: Network) -> dict:
    r"""Zero start vectors (= the default start) for the power iterations of Algorithm 1's step sizes.

    ``{"vx": [v_0, ..., v_{L-1}], "vw": [w_1, ..., w_L]}`` with :math:`v_l \in \mathbb R^{n_l}` for
    :math:`\|X_l\|_2^2` (``v_0`` unused) and :math:`w_l \in \mathbb R^{n_l}` for :math:`\|W_l\|_2^2` (``w_1`` unused).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> [v.shape for v in warm_start_vectors(glorot_init([3, 5, 2], ["relu", "identity"], seed=0))["vw"]]
    [(5,), (2,)]
    """
    return {"vx": [np.zeros(W.shape[0]) for W in network.weights],
            "vw": [np.zeros(W.shape[1]) for W in network.weights]}


def _kernel_args(problem: LiftedProblem):
    from ..kernels.lifted import activation_code
    codes = np.array([activation_code(a)[0] for a in problem.activations], dtype=np.int64)
    betas = np.array([activation_code(a)[1] for a in problem.activations], dtype=np.float64)
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
                  step_scale, tol: float = _TOL, max_iter: int = _MAX_IT, chunk: int = 32) -> tuple[Network, int]:
    """One epoch of Algorithm 1 through :func:`bregnet.kernels.lifted.lbn_epoch`, ``chunk`` batches per call.

    Per chunk, NumPy gathers the batches (in order) and forms every :math:`K = X_0X_0^\top` by ``syrk``;
    the kernel does the rest; both with single-threaded BLAS (:func:`_kernel_blas_one_thread`).  Equal to :func:`lbn_batch_kernel` batch by batch with the warm starts carried
    over (one set per epoch).  Returns the new network and ``-1`` or the index of the first batch that left
    non-finite parameters.
    """
    from ..kernels.lifted import lbn_epoch

    dtype = network.dtype
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
            return Network(tuple(Ws), tuple(bs), network.activations), p0 // batch_size + bad
    return Network(tuple(Ws), tuple(bs), network.activations), -1


def lbn_s(network: Network, X, Y, *, epochs: int = 10, batch_size: int = 100, n_inner: int = 15,
          prox_weight: float = 100.0, step_scale: float = 1.99, lambdas=None, l1=None, shuffle: bool = True,
          use_kernel: bool | None = None, seed=None, rng=None, record: str = "epoch",
          checkpoint=None, checkpoint_every: int = 1, resume: bool = False, _what: str = _WHAT) -> TrainResult:
    r"""Train by Algorithm 1 (implicit stochastic lifted Bregman learning, LBN-S); see the module docstring.

    Parameters
    ----------
    network : Network
        Initial parameters :math:`\Theta^0` and activations (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
        Inputs and targets (targets in :math:`\operatorname{dom}\Psi_L`).
    epochs : int
        :math:`K` passes over the data.
    batch_size : int
        :math:`|B_p|` (the last batch of an epoch may be smaller).
    n_inner : int
        :math:`N`, sweeps per batch.
    prox_weight : float >= 0
        :math:`\rho`, weight of :math:`\tfrac\rho2\|\Theta - \Theta^k\|^2` (the paper's :math:`\tau^k` of Section 6:
        100 in 6.1, 1 in 6.2, 0.5 in 6.3; 0 for LBN-D).
    step_scale : float in (0, 2)
        :math:`c` of the steps.
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network`.
    shuffle : bool
        Random batches (from ``seed``/``rng``) or in order.
    use_kernel : bool or None
        Use the Numba kernel (default: when every activation is supported).
    record : ``"epoch"`` or ``"none"``
        Diagnostics on the full data set every epoch (a forward pass plus the energy), or only at the end.
    checkpoint, checkpoint_every, resume : atomic checkpoints every ``checkpoint_every`` epochs and exact resume.

    Returns
    -------
    TrainResult
        ``network`` and ``history`` (per epoch; the lifted energy is evaluated at the forward-pass auxiliary
        variables, which Algorithm 1 uses to start every batch).
    """
    problem = LiftedProblem.from_network(network, lambdas, l1)
    X, Y = validate_data(network, X, Y, problem)
    epochs = check_positive_option("epochs", epochs, allow_zero=True, integer=True)
    batch_size = check_positive_option("batch_size", batch_size, integer=True)
    n_inner = check_positive_option("n_inner", n_inner, integer=True)
    prox_weight = check_positive_option("prox_weight", prox_weight, allow_zero=True)
    step_scale = check_positive_option("step_scale", step_scale)
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    if record not in ("epoch", "none"):
        raise BregnetInputError(f"record must be 'epoch' or 'none'; got {record!r}")
    if use_kernel is None:
        use_kernel = kernel_supported(problem)
    elif use_kernel and not kernel_supported(problem):
        raise BregnetInputError("use_kernel=True needs identity, relu or soft_threshold activations; "
                                f"got {[a.name for a in problem.activations]}")
    gen = make_rng(seed, rng)
    s = X.shape[0]
    opts = {"batch_size": batch_size, "n_inner": n_inner, "prox_weight": prox_weight, "step_scale": step_scale,
            "shuffle": bool(shuffle), "use_kernel": bool(use_kernel)}
    fp = solver_fingerprint(X, Y, problem, opts)
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_what, fingerprint=fp,
                                                               network=network, rng=gen)
    if arrays is None and record == "epoch":                 # a fresh start (LBN saves no arrays of its own)
        record_epoch(history, problem, net, X, Y, None, 0, t0, _what)
    if use_kernel:
        Xc, Yc = np.ascontiguousarray(X, dtype=net.dtype), np.ascontiguousarray(Y, dtype=net.dtype)
    for k in range(start + 1, epochs + 1):
        order = gen.permutation(s) if shuffle else np.arange(s)
        if use_kernel:                                         # the whole epoch in one kernel call
            net, _ = _kernel_epoch(problem, net, Xc, Yc, order, batch_size, n_inner=n_inner,
                                   prox_weight=prox_weight, step_scale=step_scale)
            check_finite_state(net, _what, k)
        else:
            warm = warm_start_vectors(net)                     # carried from batch to batch within the epoch
            for p in range(0, s, batch_size):
                idx = order[p:p + batch_size]
                if not shuffle and batch_size >= s:
                    Xb, Yb = X, Y
                else:
                    Xb, Yb = X[idx], Y[idx]
                with np.errstate(over="ignore", invalid="ignore"):
                    net, _ = lbn_batch_numpy(problem, net, Xb, Yb, n_inner=n_inner, prox_weight=prox_weight,
                                             step_scale=step_scale, warm=warm)
                check_finite_state(net, _what, k)
        if record == "epoch" or k == epochs:
            record_epoch(history, problem, net, X, Y, None, k, t0, _what, time_offset)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == epochs):
            save_checkpoint(checkpoint, solver=_what, fingerprint=fp, epoch=k, network=net, history=history, rng=gen)
    return TrainResult(network=net, history=history)


def lbn_d(network: Network, X, Y, *, epochs: int = 100, n_inner: int = 15, step_scale: float = 1.99,
          lambdas=None, l1=None, use_kernel: bool | None = None, seed=None, rng=None, record: str = "epoch",
          checkpoint=None, checkpoint_every: int = 1, resume: bool = False) -> TrainResult:
    r"""LBN-D (Section 6.2): Algorithm 1 with :math:`\tau^k = 0` (no proximal term) and all samples every epoch.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 3)); Y = rng.normal(size=(20, 2))
    >>> res = lbn_d(net, X, Y, epochs=5)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """
    s = np.shape(X)[0] if np.ndim(X) == 2 else 1
    return lbn_s(network, X, Y, epochs=epochs, batch_size=max(int(s), 1), n_inner=n_inner, prox_weight=0.0,
                 step_scale=step_scale, lambdas=lambdas, l1=l1, shuffle=False, use_kernel=use_kernel, seed=seed,
                 rng=rng, record=record, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
                 _what="lbn_d")
