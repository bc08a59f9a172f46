"""Issue 12: bad inputs and faults, for every public function family and every CLI subcommand.

Every case asserts either a named exception whose message names the argument (the type the code documents:
``BregnetInputError``, a ``ValueError``, for bad data and options; ``TypeError`` or ``ValueError`` where a module
says so) or a correct value.  Cases whose comment starts "before:" failed on the code before this file (a
traceback, a silently wrong result, a message not naming the argument).  The three defects first recorded
here as ``xfail`` inside ``bregnet/activations/`` (a row with +inf counted as in dom Psi, ``step=True`` taken as 1,
an empty vector axis failing inside numpy) are fixed and are ordinary cases now.

Small data only (a toy problem, 60 of scikit-learn's digits); files in ``tmp_path``; the CLI in-process through
``bregnet.cli.main`` with ``capsys``; ``bregnet reproduce`` in a sandbox that cannot write ``validation/results``.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import bregnet
from bregnet import activations as acts
from bregnet import metrics
from bregnet.backprop import SGDBP, backprop, gd_bp, get_loss, objective, sgd_bp
from bregnet.cli import EXIT_DIVERGED, EXIT_FAILURE, EXIT_NO_DATA, EXIT_USAGE, check_activation, main
from bregnet.datasets import (DatasetNotFoundError, IDXFormatError, add_gaussian_noise, centre, load, one_hot,
                              read_idx, scale_to_unit, subset, write_idx)
from bregnet.estimators import DenoisingAutoencoder, LiftedBregmanClassifier, LiftedBregmanRegressor, SparseAutoencoder
from bregnet.exceptions import BregnetInputError, DivergenceError
from bregnet.lifted import CodeRegulariser, LiftedProblem
from bregnet.network import Network, glorot_init
from bregnet.presets import preset_options
from bregnet.problems import ProblemData, classification, make_problem, sparse_autoencoder, undercomplete_autoencoder
from bregnet.solvers import LBNS, DivergenceRule, ProximalGradient, StochasticProximalGradient, lbn_s, run
from bregnet.solvers import params as P
from bregnet.solvers.checkpoint import checkpoint_info, load_checkpoint
from bregnet.testing import activation_callables, check_prox_optimality, check_three_point_inequality, toy_problem
from bregnet.training import SOLVERS, TrainingDivergedError, train

ROOT = Path(__file__).resolve().parent.parent
NET, X, Y = toy_problem([4, 5, 3], ["relu", "identity"], n_samples=12)
RELU = acts.get("relu")
S = LBNS(batch_size=4)


def _raises(exc, words, fn):
    """``fn()`` raises ``exc`` whose message contains every word of ``words``."""
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)


@lru_cache(maxsize=None)
def _digits():
    """60 train / 20 test digits (centred), the classification problem 64-8-10 and its data."""
    ds = load("digits", n_train=60, n_test=20, centre=True)
    prob = classification((64, 8, 10))
    return ds, prob, prob.data(ds)


def _net_with(weights=None, biases=None):
    return Network(tuple(weights or NET.weights), tuple(biases or NET.biases), NET.activations)


# ============================================================================ activations and the Bregman loss
BREGMAN_ERRORS = [
    pytest.param(lambda: bregnet.bregman_loss(RELU, np.array([[1 + 1j]]), [[1.0]]), TypeError, ["x", "complex"],
                 id="bregman_loss-complex-x"),
    pytest.param(lambda: bregnet.bregman_loss(RELU, [["a"]], [[1.0]]), TypeError, ["x", "real"], id="bregman_loss-str-x"),
    pytest.param(lambda: bregnet.bregman_loss(RELU, np.ones((1, 1), dtype=object), [[1.0]]), TypeError, ["x", "object"],
                 id="bregman_loss-object-x"),
    pytest.param(lambda: bregnet.bregman_loss(RELU, [[1.0]], [[np.nan]]), ValueError, ["z", "NaN"],
                 id="bregman_loss-nan-z"),
    pytest.param(lambda: bregnet.bregman_loss(RELU, [[np.nan]], [[1.0]]), ValueError, ["x", "NaN"],
                 id="bregman_loss-nan-x"),
    pytest.param(lambda: bregnet.bregman_loss(RELU, np.ones((2, 3)), np.ones((2, 2))), ValueError, ["x", "z", "shape"],
                 id="bregman_loss-shape-mismatch"),
    pytest.param(lambda: bregnet.bregman_loss(RELU, 1.0, 1.0), ValueError, ["x and z", "axis"],
                 id="bregman_loss-scalars"),
    pytest.param(lambda: bregnet.bregman_loss("relu", [[1.0]], [[1.0]]), TypeError, ["activation"],
                 id="bregman_loss-activation-name"),
    pytest.param(lambda: bregnet.bregman_grad(RELU, [[-1.0]], [[1.0]]), ValueError, ["x", "dom Psi"],
                 id="bregman_grad-outside-domain"),
    # before: x = +inf is outside dom Psi (a subset of R^n) but bregman_grad returned -inf
    pytest.param(lambda: bregnet.bregman_grad(RELU, [[np.inf]], [[1.0]]), ValueError, ["x", "dom Psi"],
                 id="bregman_grad-inf-x"),
    pytest.param(lambda: RELU.prox([[1.0]], step=-1), ValueError, ["step"], id="prox-negative-step"),
    pytest.param(lambda: RELU.prox([[1.0]], step=np.nan), ValueError, ["step"], id="prox-nan-step"),
    pytest.param(lambda: RELU.prox([[1.0]], step="a"), TypeError, ["step"], id="prox-str-step"),
    pytest.param(lambda: RELU.prox(np.array([[1j]])), TypeError, ["z", "complex"], id="prox-complex"),
    pytest.param(lambda: RELU.prox([["a"]]), TypeError, ["z", "real"], id="prox-str"),
    pytest.param(lambda: RELU.psi([[1j]]), TypeError, ["x", "complex"], id="psi-complex"),
    pytest.param(lambda: acts.get("frobnicate"), KeyError, ["frobnicate"], id="get-unknown-name"),
    pytest.param(lambda: acts.get(3), TypeError, ["name"], id="get-int-name"),
    pytest.param(lambda: acts.get("gelu"), acts.NotProximalError, ["gelu", "not a proximal"], id="get-not-proximal"),
    pytest.param(lambda: acts.get("soft_threshold", alpha=-1), ValueError, ["alpha"], id="get-negative-parameter"),
    pytest.param(lambda: acts.get("soft_threshold", alpha="x"), TypeError, ["alpha"], id="get-str-parameter"),
    pytest.param(lambda: acts.get("leaky_relu", slope=2), ValueError, ["slope"], id="get-parameter-out-of-range"),
    pytest.param(lambda: acts.get("softmax", temperature=0), ValueError, ["temperature"], id="get-temperature-0"),
    pytest.param(lambda: acts.get("relu", beta=1), TypeError, ["beta"], id="get-unknown-parameter"),
    pytest.param(lambda: RELU.with_l1(-1), BregnetInputError, ["alpha"], id="with_l1-negative"),
    pytest.param(lambda: RELU.with_l1("x"), BregnetInputError, ["alpha"], id="with_l1-str"),
    pytest.param(lambda: RELU.with_l1(np.nan), BregnetInputError, ["alpha"], id="with_l1-nan"),
    pytest.param(lambda: acts.get("tanh").with_l1(0.1), BregnetInputError, ["tanh", "alpha"], id="with_l1-no-closed-form"),
]


@pytest.mark.parametrize("fn, exc, words", BREGMAN_ERRORS)
def test_activation_and_bregman_errors(fn, exc, words):
    _raises(exc, words, fn)


@pytest.mark.parametrize("x, z, expected", [
    pytest.param(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), id="empty-batch"),
    pytest.param([[1e300]], [[1e300]], [0.0], id="1e300-at-sigma"),                # x = sigma(z)
    pytest.param([[0.0]], [[1e300]], [np.inf], id="1e300-overflow"),                # (1e300)^2 / 2 overflows
    pytest.param([[1e-300]], [[1e-300]], [0.0], id="1e-300"),
    pytest.param([[True]], [[False]], [0.5], id="bool-as-number"),                   # B(1, 0) = 1/2
    # before: nan (inf - inf); x = +inf is outside dom Psi, so B = +inf as documented
    pytest.param([[np.inf]], [[1.0]], [np.inf], id="inf-x-outside-domain"),
])
def test_bregman_loss_extreme_values(x, z, expected):
    np.testing.assert_array_equal(bregnet.bregman_loss(RELU, x, z), expected)


@pytest.mark.parametrize("name", ["celu", "elu", "identity", "isrlu", "leaky_relu", "relu", "softplus"])
def test_in_domain_rejects_infinite_rows(name):
    assert not acts.get(name).in_domain(np.array([[np.inf, 0.1, 0.1]]))[0]


def test_prox_step_rejects_bool():
    with pytest.raises(TypeError, match="step"):
        RELU.prox([[1.0]], step=True)


def test_softmax_empty_feature_axis_names_z():
    with pytest.raises((ValueError, TypeError), match=r"\bz\b"):
        acts.get("softmax").prox(np.zeros((2, 0)))


def test_bent_identity_prox_of_1e200_is_about_z():
    v = acts.get("bent_identity").prox(np.array([[1e200]]))
    assert np.isfinite(v).all() and 0.5e200 < v[0, 0] <= 1e200


# ============================================================================ networks
NETWORK_ERRORS = [
    pytest.param(lambda: Network((), (), ()), ValueError, ["one entry per layer"], id="Network-no-layers"),
    pytest.param(lambda: Network((np.ones(3),), (np.ones(3),), ("relu",)), ValueError, ["W_1", "2-D"],
                 id="Network-1d-weights"),
    pytest.param(lambda: Network((np.ones((2, 2)),), (np.ones(3),), ("relu",)), ValueError, ["b_1"],
                 id="Network-bias-shape"),
    # before: complex, string and object parameters were accepted and failed (or computed nonsense) later
    pytest.param(lambda: Network((np.ones((2, 2)) * 1j,), (np.ones(2),), ("relu",)), TypeError, ["W_1", "complex"],
                 id="Network-complex-weights"),
    pytest.param(lambda: Network((np.full((2, 2), "a"),), (np.ones(2),), ("relu",)), TypeError, ["W_1", "real"],
                 id="Network-str-weights"),
    pytest.param(lambda: Network((np.ones((2, 2)),), (np.ones(2, dtype=object),), ("relu",)), TypeError,
                 ["b_1", "object"], id="Network-object-bias"),
    pytest.param(lambda: Network((np.ones((2, 2)),), (np.ones(2),), ("gelu",)), ValueError, ["gelu"],
                 id="Network-not-proximal-activation"),
    pytest.param(lambda: Network((np.ones((2, 2)),), (np.ones(2),), (3,)), TypeError, ["activations[0]"],
                 id="Network-int-activation"),
    pytest.param(lambda: NET.forward(np.full((2, 4), np.nan)), ValueError, ["X", "NaN"], id="forward-nan"),
    pytest.param(lambda: NET.forward(np.ones(4)), ValueError, ["X", "shape"], id="forward-1d"),
    pytest.param(lambda: NET.forward(np.ones((2, 5))), ValueError, ["X", "shape"], id="forward-wrong-width"),
    # before: the imaginary part was discarded with a warning, strings were parsed, objects cast
    pytest.param(lambda: NET.forward(np.ones((2, 4)) * 1j), ValueError, ["X", "complex"], id="forward-complex"),
    pytest.param(lambda: NET.forward(np.full((2, 4), "0.5")), ValueError, ["X", "real"], id="forward-numeric-strings"),
    pytest.param(lambda: NET.forward(np.ones((2, 4), dtype=object)), ValueError, ["X", "object"], id="forward-object"),
    pytest.param(lambda: NET.forward("abcd"), ValueError, ["X"], id="forward-str"),
    pytest.param(lambda: NET.forward(None), ValueError, ["X"], id="forward-None"),
    pytest.param(lambda: NET.forward([[1.0, 2.0], [1.0]]), ValueError, ["X"], id="forward-ragged"),
    pytest.param(lambda: glorot_init([], "relu"), ValueError, ["layer_sizes"], id="glorot-no-sizes"),
    pytest.param(lambda: glorot_init([3], "relu"), ValueError, ["layer_sizes"], id="glorot-one-size"),
    pytest.param(lambda: glorot_init([3, -1], "relu"), ValueError, ["layer_sizes"], id="glorot-negative-size"),
    # before: "64" built the layer sizes 6, 4 and 3.5 was truncated to 3
    pytest.param(lambda: glorot_init("64", "relu"), ValueError, ["layer_sizes"], id="glorot-str-sizes"),
    pytest.param(lambda: glorot_init([3.5, 2], "relu"), ValueError, ["layer_sizes"], id="glorot-float-size"),
    pytest.param(lambda: glorot_init([3, True], "relu"), ValueError, ["layer_sizes"], id="glorot-bool-size"),
    pytest.param(lambda: glorot_init([3, 2], "relu", dtype=int), ValueError, ["dtype"], id="glorot-int-dtype"),
    # before: TypeError "data type 'banana' not understood", not naming dtype
    pytest.param(lambda: glorot_init([3, 2], "relu", dtype="banana"), ValueError, ["dtype"], id="glorot-bad-dtype"),
    # before: a NaN bias was accepted
    pytest.param(lambda: glorot_init([3, 2], "relu", bias=np.nan), ValueError, ["bias"], id="glorot-nan-bias"),
    pytest.param(lambda: glorot_init([3, 2], "relu", bias="0"), ValueError, ["bias"], id="glorot-str-bias"),
    pytest.param(lambda: glorot_init([3, 2, 2], ["relu"]), ValueError, ["activations"], id="glorot-activation-count"),
]


@pytest.mark.parametrize("fn, exc, words", NETWORK_ERRORS)
def test_network_errors(fn, exc, words):
    _raises(exc, words, fn)


def test_network_integer_parameters_are_cast_to_float():
    """before: integer weights made an int64 network, so run() cast X to integers (and divided by zero)."""
    W = [np.round(4 * w).astype(np.int64) for w in NET.weights]
    net = Network(tuple(W), NET.biases, NET.activations)
    assert net.dtype == np.float64 and all(w.dtype == np.float64 for w in net.weights)
    np.testing.assert_array_equal(net.forward(X), Network(tuple(w.astype(float) for w in W), NET.biases,
                                                          NET.activations).forward(X))


def test_network_forward_of_empty_batch_and_bools():
    assert NET.forward(np.zeros((0, 4))).shape == (0, 3)
    B = X > 0
    np.testing.assert_array_equal(NET.forward(B), NET.forward(B.astype(float)))


# ============================================================================ the lifted problem
LIFTED_ERRORS = [
    # before: ValueError "could not convert string to float: 'a'" / a TypeError from float(None)
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=["a", 1]), ["lambdas[0]"], id="lambdas-str-entry"),
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=[None, 1]), ["lambdas[0]"], id="lambdas-None-entry"),
    # before: the string "1" was read as the number 1
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas="1"), ["lambdas"], id="lambdas-str"),
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=[-1, 1]), ["lambdas[0]", "> 0"], id="lambdas-negative"),
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=[0, 1]), ["lambdas[0]", "> 0"], id="lambdas-zero"),
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=np.nan), ["lambdas[0]"], id="lambdas-nan"),
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=[1.0, np.inf]), ["lambdas[1]"], id="lambdas-inf"),
    pytest.param(lambda: LiftedProblem.from_network(NET, lambdas=[1.0]), ["lambdas", "one weight per layer"],
                 id="lambdas-count"),
    pytest.param(lambda: CodeRegulariser(1, "x"), ["alpha"], id="regulariser-str-alpha"),
    pytest.param(lambda: CodeRegulariser(1, None), ["alpha"], id="regulariser-None-alpha"),
    pytest.param(lambda: CodeRegulariser(1, -0.1), ["alpha", ">= 0"], id="regulariser-negative-alpha"),
    pytest.param(lambda: CodeRegulariser(1, np.inf), ["alpha"], id="regulariser-inf-alpha"),
    pytest.param(lambda: CodeRegulariser(1.0, 0.1), ["layer"], id="regulariser-float-layer"),
    pytest.param(lambda: CodeRegulariser(True, 0.1), ["layer"], id="regulariser-bool-layer"),
    pytest.param(lambda: LiftedProblem.from_network(NET, l1=(0, 0.1)), ["layer", "hidden layer"], id="l1-layer-0"),
    pytest.param(lambda: LiftedProblem.from_network(NET, l1=(2, 0.1)), ["layer", "hidden layer"], id="l1-output-layer"),
    # before: TypeError "missing 1 required positional argument" / "argument after * must be an iterable"
    pytest.param(lambda: LiftedProblem.from_network(NET, l1=(1,)), ["l1", "pair"], id="l1-one-entry"),
    pytest.param(lambda: LiftedProblem.from_network(NET, l1=1), ["l1", "pair"], id="l1-int"),
    pytest.param(lambda: LiftedProblem.from_network(NET, l1="ab"), ["l1", "pair"], id="l1-str"),
    pytest.param(lambda: LiftedProblem.from_network(glorot_init([4, 5, 3], ["tanh", "identity"], seed=0), l1=(1, 0.1)),
                 ["l1 regulariser", "tanh"], id="l1-without-closed-form-prox"),
]


@pytest.mark.parametrize("fn, words", LIFTED_ERRORS)
def test_lifted_problem_errors(fn, words):
    _raises(BregnetInputError, words, fn)


# ============================================================================ hyperparameters of every solver
def _outside(c) -> list:
    """``(label, value)`` pairs just outside one declared constraint."""
    if isinstance(c, P.Interval):
        out = []
        if c.low is not None:
            lo_closed = c.closed in ("both", "left")
            out.append(("below-low", (c.low - 1 if c.integer else float(np.nextafter(c.low, -np.inf))) if lo_closed
                        else (c.low if c.integer else float(c.low))))
        if c.high is not None:
            hi_closed = c.closed in ("both", "right")
            out.append(("above-high", float(np.nextafter(c.high, np.inf)) if hi_closed else float(c.high)))
        if c.integer:
            out.append(("non-integer", (c.low or 0) + 1.5))
        return out + [("nan", float("nan")), ("inf", float("inf")), ("bool", True), ("str", "1")]
    if isinstance(c, P.OneOf):
        first = next((v for v in c.values if isinstance(v, str)), None)
        return [("not-a-choice", "none" if first is None else first.upper() + "x")]
    if isinstance(c, P.PositiveOrSequence):
        return [("zero", 0.0), ("sequence-with-zero", (1.0, 0.0)), ("empty-sequence", ()), ("str", "1")]
    if isinstance(c, P.InstanceOf):
        return [("other-type", 3)]
    if c is P.BOOLEAN:
        return [("int-for-bool", 1), ("str-for-bool", "yes")]
    if c is P.CALLABLE:
        return [("not-callable", 3)]
    return []                                                  # ANY: checked by the solver (the executor below)


def _hyperparameter_cases():
    cases = []
    for name, spec in SOLVERS.items():
        for f in dataclasses.fields(spec.solver):
            cons = spec.solver.constraints[f.name]
            alts = cons if isinstance(cons, tuple) else (cons,)
            seen = set()
            for alt in alts:
                for label, value in _outside(alt):
                    # a value outside the whole constraint: every alternative rejects it
                    if label in seen or any(a.accepts(value)[0] for a in alts):
                        continue
                    seen.add(label)
                    cases.append(pytest.param(name, f.name, value, id=f"{name}-{f.name}-{label}"))
    return cases


@pytest.mark.parametrize("solver, field, value", _hyperparameter_cases())
def test_every_declared_constraint_rejects_a_value_just_outside(solver, field, value):
    spec = SOLVERS[solver]
    _raises(BregnetInputError, [spec.solver.__name__, field, "must be"], lambda: spec.build({field: value}))


def _inside_cases():
    cases = []
    for name, spec in SOLVERS.items():
        for f in dataclasses.fields(spec.solver):
            cons = spec.solver.constraints[f.name]
            for c in cons if isinstance(cons, tuple) else (cons,):
                if not isinstance(c, P.Interval):
                    continue
                if c.low is not None:
                    closed = c.closed in ("both", "left")
                    v = c.low if closed else (c.low + 1 if c.integer else float(np.nextafter(c.low, np.inf)))
                    cases.append(pytest.param(name, f.name, v, id=f"{name}-{f.name}-at-low"))
                if c.high is not None:
                    closed = c.closed in ("both", "right")
                    v = c.high if closed else float(np.nextafter(c.high, -np.inf))
                    cases.append(pytest.param(name, f.name, v, id=f"{name}-{f.name}-at-high"))
    return cases


@pytest.mark.parametrize("solver, field, value", _inside_cases())
def test_every_interval_accepts_its_boundary_inside(solver, field, value):
    built = SOLVERS[solver].build({field: value})
    assert getattr(built, field) == value


@pytest.mark.parametrize("solver", ["coordinate-descent", "model-averaging", "parallel-implicit"])
def test_executor_that_is_not_an_executor(solver):
    _raises(BregnetInputError, ["executor"], lambda: SOLVERS[solver].build({"executor": 3}))


def test_unknown_and_renamed_options():
    _raises(BregnetInputError, ["bogus", "no option"], lambda: SOLVERS["lbn-s"].build({"bogus": 1}))
    _raises(BregnetInputError, ["prox_step", "tau", "not both"],
            lambda: SOLVERS["isgd-bp"].build({"tau": 1.0, "prox_step": 1.0}))
    _raises(BregnetInputError, ["prox_step", "tau"], lambda: SOLVERS["isgd-bp"].build({"tau": -1.0}))


# ============================================================================ the engine: run()
RUN_ERRORS = [
    pytest.param(dict(X=np.full_like(X, np.nan)), ["X", "NaN"], id="X-nan"),
    pytest.param(dict(Y=np.full_like(Y, np.inf)), ["Y", "Inf"], id="Y-inf"),
    pytest.param(dict(X=X[:0], Y=Y[:0]), ["X", "no samples"], id="X-empty"),
    pytest.param(dict(X=X + 1j), ["X", "complex"], id="X-complex"),
    pytest.param(dict(X=X.astype(str)), ["X", "real"], id="X-str"),
    pytest.param(dict(X=X.astype(object)), ["X", "object"], id="X-object"),
    pytest.param(dict(X="data"), ["X"], id="X-a-string"),
    pytest.param(dict(X=X[:, 0]), ["X", "shape"], id="X-1d"),
    pytest.param(dict(X=X[None]), ["X", "shape"], id="X-3d"),
    pytest.param(dict(Y=Y[:5]), ["X and Y", "samples"], id="samples-mismatch"),
    pytest.param(dict(epochs=-1), ["epochs"], id="epochs-negative"),
    pytest.param(dict(epochs=1.5), ["epochs"], id="epochs-float"),
    pytest.param(dict(epochs=True), ["epochs"], id="epochs-bool"),
    pytest.param(dict(solver="lbn-s"), ["solver"], id="solver-a-name"),
    # before: AttributeError 'NoneType' object has no attribute 'n_layers'
    pytest.param(dict(network=None), ["network"], id="network-None"),
    pytest.param(dict(callback=3), ["callback"], id="callback-not-callable"),
    pytest.param(dict(evaluate=3), ["evaluate"], id="evaluate-not-callable"),
    pytest.param(dict(record="often"), ["record"], id="record-unknown"),
    pytest.param(dict(rng=3), ["rng"], id="rng-int"),
    # before: numpy's "SeedSequence expects int or sequence of ints" / "expected non-negative integer"
    pytest.param(dict(seed="x"), ["seed"], id="seed-str"),
    pytest.param(dict(seed=-1), ["seed"], id="seed-negative"),
    pytest.param(dict(seed=1.5), ["seed"], id="seed-float"),
    pytest.param(dict(checkpoint_every=0), ["checkpoint_every"], id="checkpoint_every-0"),
    # before: AttributeError 'int' object has no attribute 'check'
    pytest.param(dict(divergence=3), ["divergence"], id="divergence-not-a-rule"),
    # before: truthy strings were taken as True (resume="no" resumed)
    pytest.param(dict(progress="yes"), ["progress"], id="progress-str"),
    pytest.param(dict(resume="no"), ["resume"], id="resume-str"),
    pytest.param(dict(validation_data=3), ["validation_data"], id="validation-not-a-pair"),
    pytest.param(dict(validation_data=(X[:, :2], Y)), ["X_val", "shape"], id="validation-shape"),
    pytest.param(dict(validation_data=(X * np.nan, Y)), ["X_val", "NaN"], id="validation-nan"),
    # before: LBN-S ignored hidden, so these were accepted silently ("abc" failed in numpy in the other solvers)
    pytest.param(dict(hidden=[np.ones((3, 3))]), ["hidden[0]", "shape"], id="hidden-shape"),
    pytest.param(dict(hidden=[np.full((12, 5), np.nan)]), ["hidden[0]", "NaN"], id="hidden-nan"),
    pytest.param(dict(hidden=[-np.ones((12, 5))]), ["hidden[0]", "dom Psi"], id="hidden-outside-relu-domain"),
    pytest.param(dict(hidden=[np.ones((12, 5))] * 2), ["hidden", "X_1..X_1"], id="hidden-count"),
    pytest.param(dict(hidden="abc"), ["hidden"], id="hidden-str"),
    pytest.param(dict(hidden=[np.full((12, 5), "a")]), ["hidden[0]", "real"], id="hidden-str-array"),
    # before: KeyError 'weights' / TypeError 'int' object is not subscriptable at the first update
    pytest.param(dict(state={"a": 1}), ["state", "keys"], id="state-other-keys"),
    pytest.param(dict(state=3), ["state", "dict"], id="state-int"),
    pytest.param(dict(state={**LBNS(batch_size=4).init(None, NET, None, None), "weights": (np.ones((2, 2)),) * 2}),
                 ["state", "weights[0]"], id="state-wrong-shapes"),
    pytest.param(dict(state={**LBNS(batch_size=4).init(None, NET, None, None),
                             "biases": (np.full(5, np.nan), np.zeros(3))}), ["state", "non-finite"], id="state-nan"),
    pytest.param(dict(lambdas=[0, 1]), ["lambdas[0]"], id="lambdas-zero"),
    pytest.param(dict(l1=(5, 0.1)), ["layer"], id="l1-layer-out-of-range"),
    # before: a directory, a path under a file or a number as checkpoint failed at the first save, after an epoch
    pytest.param(dict(checkpoint=3), ["checkpoint"], id="checkpoint-int"),
    pytest.param(dict(checkpoint=__file__ + "/c.npz"), ["checkpoint", "is a file"], id="checkpoint-under-a-file"),
    pytest.param(dict(checkpoint=os.path.dirname(__file__)), ["checkpoint", "is a directory"], id="checkpoint-directory"),
]


@pytest.mark.parametrize("changes, words", RUN_ERRORS)
def test_run_rejects(changes, words):
    kw = {"solver": S, "network": NET, "X": X, "Y": Y, "epochs": 1, **changes}
    args = [kw.pop(k) for k in ("solver", "network", "X", "Y")]
    _raises(BregnetInputError, words, lambda: run(*args, **kw))


@pytest.mark.parametrize("output", ["relu", "softmax", "sigmoid"])
def test_targets_outside_the_output_domain(output):
    net, Xo, Yo = toy_problem([4, 5, 3], ["relu", output], n_samples=12)
    _raises(BregnetInputError, ["Y", "outside the domain of Psi_L", output], lambda: run(S, net, Xo, Yo - 2, epochs=1))
    _raises(BregnetInputError, ["Y_val", "outside"],
            lambda: run(S, net, Xo, net.forward(Xo), epochs=1, validation_data=(Xo, Yo - 2)))


@pytest.mark.parametrize("kw, words", [
    pytest.param(dict(growth=-1), ["growth"], id="negative"),
    pytest.param(dict(growth=0.5), ["growth", ">= 1"], id="below-1"),
    pytest.param(dict(growth=np.nan), ["growth"], id="nan"),
    pytest.param(dict(growth="x"), ["growth"], id="str"),
])
def test_divergence_rule_rejects(kw, words):
    """before: DivergenceRule(growth=-1) was accepted (and then stopped every run at epoch 0)."""
    _raises(BregnetInputError, words, lambda: DivergenceRule(**kw))


def test_run_correct_values_at_the_edges():
    assert run(S, NET, X, Y, epochs=0).history.epoch == [0]
    B = (X > 0)
    assert run(S, NET, B, Y, epochs=2, seed=0).history.energy == \
        run(S, NET, B.astype(float), Y, epochs=2, seed=0).history.energy              # bools are 0/1
    assert np.all(np.isfinite(run(S, NET, X * 1e-300, Y, epochs=1).history.energy))
    res = run(LBNS(batch_size=100), NET, X, Y, epochs=1, seed=0)                       # batch larger than the data
    assert res.history.energy == run(LBNS(batch_size=12), NET, X, Y, epochs=1, seed=0).history.energy


def test_initial_objective_infinite_names_the_data():
    """before: "lower step_scale" for a run whose initial network already had an infinite energy (X of 1e300)."""
    _raises(DivergenceError, ["epoch 0", "data X, Y"], lambda: run(S, NET, X * 1e300, Y, epochs=1))


@pytest.mark.parametrize("solver, options", [
    pytest.param(LBNS, dict(batch_size=4, prox_weight=1e300), id="lbn-s-prox_weight-1e300"),
    pytest.param(SGDBP, dict(batch_size=4, lr=1e-300), id="sgd-bp-lr-1e-300"),
    pytest.param(StochasticProximalGradient, dict(batch_size=4, step_scale=1e-300), id="spg-step_scale-1e-300"),
])
def test_extreme_step_sizes_leave_the_network_in_place(solver, options):
    s = solver(**options)
    res = run(s, NET, X, Y, epochs=1, seed=0)
    for a, b in zip(res.network.weights + res.network.biases, NET.weights + NET.biases):
        np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-250)
    assert res.history[s.objective][1] == res.history[s.objective][0]


@pytest.mark.parametrize("solver", [n for n, s in SOLVERS.items() if s.kind == "lifted"])
@pytest.mark.parametrize("scale", [0.0, 1e-300])
def test_zero_or_tiny_weights_train(solver, scale):
    """before: every lifted solver raised ZeroDivisionError on a zero-initialised network (and on weights of 1e-300,
    whose squared norm underflows): the x-step size c / (lambda ||W||^2) divided by zero."""
    cls = SOLVERS[solver].solver
    s = cls(batch_size=4) if cls.stochastic and solver != "lbn-d" else cls()
    net = _net_with(weights=[W * scale for W in NET.weights])
    res = run(s, net, X, Y, epochs=2, seed=0)
    assert all(np.isfinite(v) for v in res.history[s.objective])
    assert all(np.all(np.isfinite(W)) for W in res.network.weights + res.network.biases)
    if solver == "proximal-gradient":                          # monotone with backtracking
        assert res.history.energy[-1] <= res.history.energy[0]


def test_zero_weights_kernel_equals_numpy():
    net = _net_with(weights=[W * 0 for W in NET.weights])
    a = run(LBNS(batch_size=4, use_kernel=True), net, X, Y, epochs=2, seed=0).network
    b = run(LBNS(batch_size=4, use_kernel=False), net, X, Y, epochs=2, seed=0).network
    for u, v in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)


def test_legacy_functions_reject_bad_options():
    _raises(BregnetInputError, ["bogus"], lambda: lbn_s(NET, X, Y, bogus=1))
    _raises(BregnetInputError, ["n_inner"], lambda: lbn_s(NET, X, Y, n_inner=0))
    _raises(BregnetInputError, ["lr"], lambda: gd_bp(NET, X, Y, lr=-1))
    _raises(BregnetInputError, ["epochs"], lambda: sgd_bp(NET, X, Y, epochs="3"))
    _raises(BregnetInputError, ["l1=(layer, alpha)", "not both"],
            lambda: gd_bp(NET, X, Y, l1=(1, 0.1), l1_alpha=0.1, l1_layer=1))
    _raises(TypeError, ["bogus"], lambda: gd_bp(NET, X, Y, bogus=1))


# ============================================================================ checkpoints and resumes
@pytest.fixture
def ckpt(tmp_path):
    """A checkpoint of LBN-S after 2 epochs and its bytes."""
    path = tmp_path / "c.npz"
    run(S, NET, X, Y, epochs=2, checkpoint=path, seed=0)
    return path, path.read_bytes()


def _rewrite(path, tmp_path, name, edit):
    """A copy of the checkpoint ``path`` with ``edit(arrays, meta)`` applied (returns the new path)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    edit(arrays, meta)
    if "meta" in arrays:
        arrays["meta"] = np.array(json.dumps(meta) if not isinstance(meta, str) else meta)
    out = tmp_path / name
    np.savez(out, **arrays)
    return out


def _set(key, value):
    return lambda arrays, meta: meta.__setitem__(key, value)


def _array(key, value):
    return lambda arrays, meta: arrays.__setitem__(key, value(arrays[key]))


def _write(name, data):
    def make(path, raw, d):
        (d / name).write_bytes(data(raw) if callable(data) else data)
        return d / name
    return make


def _savez(name, **arrays):
    def make(path, raw, d):
        np.savez(d / name, **arrays)
        return d / name
    return make


def _mkdir(path, raw, d):
    (d / "dir.npz").mkdir()
    return d / "dir.npz"


BAD_CHECKPOINTS = [
    pytest.param(_write("t.npz", lambda raw: raw[:len(raw) // 2]), ["truncated"], id="truncated"),
    pytest.param(_write("e.npz", b""), ["truncated"], id="empty-file"),
    pytest.param(_write("x.npz", lambda raw: raw[:200] + b"\0" * 300 + raw[500:]), ["checkpoint"], id="corrupt-bytes"),
    pytest.param(_write("txt.npz", b"hello"), ["not a checkpoint"], id="text-file"),
    pytest.param(_savez("nm.npz", a=np.ones(3)), ["meta"], id="npz-without-meta"),
    pytest.param(_savez("bm.npz", meta=np.array("not json")), ["JSON"], id="meta-not-json"),
    # before: AttributeError 'list' object has no attribute 'get'
    pytest.param(_savez("ml.npz", meta=np.array("[1, 2]")), ["not a checkpoint", "list"], id="meta-a-list"),
    pytest.param(_savez("mk.npz", meta=np.array('{"format": 2}')), ["corrupt", "solver"], id="meta-missing-fields"),
    pytest.param(_savez("fm.npz", meta=np.array('{"format": 1}')), ["format 1"], id="old-format"),
    # before: TypeError '>' not supported between instances of 'str' and 'int'
    pytest.param(lambda p, raw, d: _rewrite(p, d, "ep.npz", _set("epoch", "two")), ["corrupt", "epoch"],
                 id="epoch-a-string"),
    pytest.param(lambda p, raw, d: _rewrite(p, d, "en.npz", _set("epoch", -3)), ["corrupt", "epoch"],
                 id="epoch-negative"),
    pytest.param(lambda p, raw, d: _rewrite(p, d, "sm.npz", lambda a, m: a.pop("state/weights/0")),
                 ["state/weights/0"], id="state-array-missing"),
    pytest.param(lambda p, raw, d: _rewrite(p, d, "pk.npz", _array("state/weights/0",
                                                                     lambda v: np.array([object()], dtype=object))),
                 ["Object arrays"], id="pickled-object-array"),
    # before: ValueError "b_1 must have shape (2,)" from deep inside the network
    pytest.param(lambda p, raw, d: _rewrite(p, d, "ws.npz", _array("state/weights/0", lambda v: np.ones((2, 2)))),
                 ["not a state of lbn_s", "weights[0]"], id="state-wrong-shape"),
    # before: reported as a divergence in the first resumed epoch
    pytest.param(lambda p, raw, d: _rewrite(p, d, "nn.npz", _array("state/weights/0", lambda v: v * np.nan)),
                 ["non-finite", "weights[0]"], id="state-nan"),
    # before: ValueError "state must be for a PCG64 RNG"
    pytest.param(lambda p, raw, d: _rewrite(p, d, "rg.npz", _set("rng", {"bad": 1})), ["generator"], id="rng-state-bad"),
    pytest.param(_mkdir, ["is a directory"], id="a-directory"),
]


@pytest.mark.parametrize("make, words", BAD_CHECKPOINTS)
def test_resume_from_a_bad_checkpoint(ckpt, tmp_path, make, words):
    path, raw = ckpt
    bad = make(path, raw, tmp_path)
    _raises(BregnetInputError, [bad.name, *words], lambda: run(S, NET, X, Y, epochs=3, checkpoint=bad, resume=True))


@pytest.mark.parametrize("changes, words", [
    pytest.param(dict(solver=ProximalGradient()), ["written by 'lbn_s'", "proximal_gradient"], id="other-solver"),
    pytest.param(dict(solver=LBNS(batch_size=4, n_inner=3)), ["different options", "solver"], id="other-options"),
    pytest.param(dict(X=X + 1), ["different options or data", "data"], id="other-data"),
    pytest.param(dict(network=toy_problem([4, 5, 3], ["relu", "identity"], n_samples=1, seed=5)[0]),
                 ["initial_network"], id="other-initial-network"),
    pytest.param(dict(lambdas=[1, 2]), ["lambdas"], id="other-lambdas"),
    pytest.param(dict(l1=(1, 0.1)), ["l1"], id="other-l1"),
    pytest.param(dict(epochs=1), ["epoch 2", "beyond epochs=1"], id="epochs-below-the-checkpoint"),
])
def test_mismatched_resumes_are_refused_naming_what_differs(ckpt, changes, words):
    path, raw = ckpt
    kw = {"solver": S, "network": NET, "X": X, "Y": Y, "epochs": 3, **changes}
    args = [kw.pop(k) for k in ("solver", "network", "X", "Y")]
    _raises(BregnetInputError, words, lambda: run(*args, checkpoint=path, resume=True, **kw))
    assert path.read_bytes() == raw                              # refused before anything is written


def test_resume_at_the_checkpoints_epoch_is_a_no_op(ckpt):
    path, raw = ckpt
    res = run(S, NET, X, Y, epochs=2, checkpoint=path, resume=True, seed=0)
    assert res.history.epoch == [0, 1, 2] and res.resumed_from == 2


def test_interrupted_run_resumes_exactly(tmp_path):
    """A run stopped by an interrupt in epoch 3 continues from the checkpoint of epoch 2, bit for bit."""
    def interrupt(epoch, network, row):
        if epoch == 3:
            raise KeyboardInterrupt
    path = tmp_path / "c.npz"
    with pytest.raises(KeyboardInterrupt):
        run(S, NET, X, Y, epochs=4, checkpoint=path, seed=0, callback=interrupt)
    assert checkpoint_info(path)[0] == 2
    resumed = run(S, NET, X, Y, epochs=4, checkpoint=path, resume=True, seed=0)
    whole = run(S, NET, X, Y, epochs=4, seed=0)
    assert resumed.resumed_from == 2 and resumed.history.energy == whole.history.energy
    for a, b in zip(resumed.network.weights, whole.network.weights):
        np.testing.assert_array_equal(a, b)


def test_a_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    import bregnet._atomic as atomic
    path, calls = tmp_path / "c.npz", []
    real = atomic.os.replace

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real(src, dst)
    monkeypatch.setattr(atomic.os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        run(S, NET, X, Y, epochs=3, checkpoint=path, seed=0)
    monkeypatch.setattr(atomic.os, "replace", real)
    assert checkpoint_info(path)[0] == 1 and [p.name for p in tmp_path.iterdir()] == ["c.npz"]   # no .part left
    resumed = run(S, NET, X, Y, epochs=3, checkpoint=path, resume=True, seed=0)
    assert resumed.history.energy == run(S, NET, X, Y, epochs=3, seed=0).history.energy


def test_checkpoint_info_and_load_of_bad_files(tmp_path):
    """before: AttributeError for metadata that is a list, KeyError 'epoch' for metadata without it."""
    np.savez(tmp_path / "ml.npz", meta=np.array("[1, 2]"))
    np.savez(tmp_path / "mk.npz", meta=np.array('{"format": 2}'))
    (tmp_path / "d.npz").mkdir()
    _raises(BregnetInputError, ["ml.npz", "not a checkpoint"], lambda: checkpoint_info(tmp_path / "ml.npz"))
    _raises(BregnetInputError, ["mk.npz", "epoch"], lambda: checkpoint_info(tmp_path / "mk.npz"))
    _raises(BregnetInputError, ["d.npz"], lambda: checkpoint_info(tmp_path / "d.npz"))
    _raises(BregnetInputError, ["none.npz", "does not exist"],
            lambda: load_checkpoint(tmp_path / "none.npz", solver="lbn_s", fingerprint={}))


# ============================================================================ training.train and the problems
def _train(**changes):
    ds, prob, data = _digits()
    kw = {"problem": prob, "solver": "lbn-s", "data": data, "epochs": 1, "batch_size": 20, **changes}
    return train(kw.pop("problem"), kw.pop("solver"), kw.pop("data"), **kw)


TRAIN_ERRORS = [
    pytest.param(dict(solver="newton"), ["unknown solver 'newton'"], id="solver-unknown"),
    pytest.param(dict(solver=3), ["unknown solver 3"], id="solver-int"),
    pytest.param(dict(solver=None), ["unknown solver None"], id="solver-None"),
    pytest.param(dict(problem="classification"), ["problem"], id="problem-a-name"),
    pytest.param(dict(data=3), ["data"], id="data-int"),
    pytest.param(dict(data=(1, 2, 3)), ["data"], id="data-triple"),
    pytest.param(dict(data=(np.ones((60, 64)).astype(str), np.ones((60, 10)))), ["X_train", "real"], id="X-str"),
    pytest.param(dict(data=(np.ones((60, 64)) + 1j, np.ones((60, 10)))), ["X_train", "real"], id="X-complex"),
    pytest.param(dict(data=(np.ones((60, 64)).astype(object), np.ones((60, 10)))), ["X_train", "real"], id="X-object"),
    pytest.param(dict(data=(np.full((60, 64), np.nan), np.ones((60, 10)))), ["X", "NaN"], id="X-nan"),
    pytest.param(dict(data=(np.ones(60), np.ones((60, 10)))), ["X_train", "2-D"], id="X-1d"),
    pytest.param(dict(data=(np.ones((60, 5)), np.ones((60, 10)))), ["X", "shape"], id="X-wrong-width"),
    # before: "batch_size must be a positive integer; got 0"
    pytest.param(dict(data=(np.ones((0, 64)), np.ones((0, 10)))), ["X_train", "no samples"], id="X-empty"),
    pytest.param(dict(epochs=-1), ["epochs"], id="epochs-negative"),
    pytest.param(dict(epochs=2.0), ["epochs"], id="epochs-float"),
    pytest.param(dict(batch_size=0), ["batch_size"], id="batch_size-0"),
    pytest.param(dict(batch_size=1.5), ["batch_size"], id="batch_size-float"),
    pytest.param(dict(batch_size=True), ["batch_size"], id="batch_size-bool"),
    pytest.param(dict(options={"bogus": 1}), ["bogus"], id="options-unknown"),
    pytest.param(dict(options={"epochs": 1}), ["epochs", "train() itself"], id="options-reserved"),
    pytest.param(dict(options={"prox_weight": -1}), ["prox_weight"], id="options-out-of-range"),
    # before: TypeError / ValueError from dict(), not naming options
    pytest.param(dict(options=[1, 2]), ["options", "mapping"], id="options-list"),
    pytest.param(dict(options="prox_weight=1"), ["options", "mapping"], id="options-str"),
    pytest.param(dict(preset="fast"), ["preset 'fast'"], id="preset-unknown"),
    pytest.param(dict(preset=3), ["preset 3"], id="preset-int"),
    # before: TypeError "data type 'banana' not understood"
    pytest.param(dict(dtype="banana"), ["dtype"], id="dtype-unknown"),
    pytest.param(dict(dtype=int), ["dtype"], id="dtype-int"),
    pytest.param(dict(seed="x"), ["seed"], id="seed-str"),
    pytest.param(dict(seed=-3), ["seed"], id="seed-negative"),
    pytest.param(dict(network=3), ["network"], id="network-int"),
    pytest.param(dict(network=classification((64, 9, 10)).network(seed=0)), ["network", "layer sizes"],
                 id="network-other-sizes"),
    pytest.param(dict(callback=3), ["callback"], id="callback-int"),
    pytest.param(dict(divergence=3), ["divergence"], id="divergence-int"),
    # before: FileExistsError after an epoch's work
    pytest.param(dict(checkpoint_dir=__file__), ["checkpoint_dir"], id="checkpoint_dir-a-file"),
    pytest.param(dict(problem=classification((64, 8, 10), output="relu"),
                      data=(np.zeros((60, 64)), -np.ones((60, 10)))), ["Y", "outside the domain"],
                 id="targets-outside-relu-output"),
    pytest.param(dict(problem=sparse_autoencoder(64, (16, 8, 16)), solver="mac-qp",
                      data=(np.zeros((60, 64)), np.zeros((60, 64)))), ["mac-qp", "l1"], id="solver-without-l1"),
    pytest.param(dict(problem=classification((64, 8, 10), hidden="sigmoid"), solver="classical-lifted"),
                 ["ReLU hidden layers"], id="classical-lifted-needs-relu"),
    pytest.param(dict(data=(np.zeros((60, 64)), np.zeros((60, 10)), np.zeros((20, 64)), None)), ["X_val and Y_val"],
                 id="X_val-without-Y_val"),
    pytest.param(dict(data=(np.zeros((60, 64)), np.zeros((60, 10)), np.full((20, 64), np.nan), np.zeros((20, 10)))),
                 ["X_val", "NaN"], id="X_val-nan"),
]


@pytest.mark.parametrize("changes, words", TRAIN_ERRORS)
def test_train_rejects(changes, words):
    _raises(BregnetInputError, words, lambda: _train(**changes))


def test_train_diverging_step_is_a_divergence_naming_the_step():
    """before: ValueError "z contains NaN or Inf" from the metrics of the blown-up network (exit 1 in the CLI)."""
    _raises(TrainingDivergedError, ["sgd-bp", "lower lr"], lambda: _train(solver="sgd-bp", options={"lr": 1e300}))


def test_train_tiny_step_keeps_the_objective():
    log = _train(solver="sgd-bp", options={"lr": 1e-300}).log
    assert log["objective"][1] == log["objective"][0]


PROBLEM_ERRORS = [
    pytest.param(lambda: make_problem("regressionx", (3, 2)), ["unknown problem 'regressionx'"], id="unknown-problem"),
    # before: ValueError "invalid literal for int() with base 10: ','"; 8.5 was truncated to 8
    pytest.param(lambda: classification("64,8,10"), ["layer_sizes"], id="sizes-str"),
    pytest.param(lambda: classification((64, 8.5, 10)), ["layer_sizes"], id="sizes-float"),
    pytest.param(lambda: classification((64, -8, 10)), ["layer_sizes"], id="sizes-negative"),
    pytest.param(lambda: classification((64,)), ["layer_sizes"], id="sizes-one"),
    # before: NotProximalError / KeyError not naming the argument
    pytest.param(lambda: classification((64, 8, 10), output="gelu"), ["output activation", "gelu"], id="output-gelu"),
    pytest.param(lambda: classification((64, 8, 10), output="nope"), ["output activation", "nope"], id="output-unknown"),
    pytest.param(lambda: classification((64, 8, 10), hidden="nope"), ["hidden activation", "nope"], id="hidden-unknown"),
    pytest.param(lambda: classification((64, 8, 10), hidden=3), ["hidden activation"], id="hidden-int"),
    pytest.param(lambda: classification((64, 8, 10), lambdas=[1, -1]), ["lambdas[1]"], id="lambdas-negative"),
    pytest.param(lambda: classification((64, 8, 10), lambdas=["a", 1]), ["lambdas[0]"], id="lambdas-str"),
    pytest.param(lambda: sparse_autoencoder(64, (16, 8, 16), alpha=-1), ["alpha"], id="alpha-negative"),
    pytest.param(lambda: sparse_autoencoder(64, (16, 8, 16), alpha="x"), ["alpha"], id="alpha-str"),
    # before: "alpha must be > 0 ..." for a bad threshold (the activation's parameter, not the argument)
    pytest.param(lambda: sparse_autoencoder(64, (16, 8, 16), threshold=-1), ["threshold"], id="threshold-negative"),
    pytest.param(lambda: sparse_autoencoder(64, (16, 8, 16), threshold="x"), ["threshold"], id="threshold-str"),
    pytest.param(lambda: sparse_autoencoder(64, (16, 8)), ["odd number of hidden layers"], id="even-hidden-layers"),
    pytest.param(lambda: sparse_autoencoder(0, (16, 8, 16)), ["n_features"], id="n_features-0"),
    pytest.param(lambda: sparse_autoencoder(64.5, (16, 8, 16)), ["n_features"], id="n_features-float"),
    pytest.param(lambda: sparse_autoencoder(64, "16"), ["hidden_sizes"], id="hidden_sizes-str"),
    pytest.param(lambda: undercomplete_autoencoder(64, code=0), ["code"], id="code-0"),
    pytest.param(lambda: make_problem("denoising-ae", (64, 16, 8, 16, 64), noise_std=-1), ["noise_std"],
                 id="noise_std-negative"),
    pytest.param(lambda: make_problem("denoising-ae", (64, 16, 8, 16, 64), noise_std="x"), ["noise_std"],
                 id="noise_std-str"),
    pytest.param(lambda: ProblemData(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))), ["X_val and Y_val"],
                 id="ProblemData-X_val-only"),
    pytest.param(lambda: _digits()[1].data(3), ["dataset"], id="data-of-a-non-dataset"),
    pytest.param(lambda: classification((10, 8, 10)).data(_digits()[0]), ["64 features", "input layer"],
                 id="data-features-mismatch"),
    pytest.param(lambda: classification((64, 8, 3)).data(_digits()[0]), ["classes"], id="data-classes-mismatch"),
    pytest.param(lambda: _digits()[1].evaluate(_digits()[1].network(seed=0), np.full((2, 64), "1"), np.zeros((2, 10))),
                 ["X", "real"], id="evaluate-str-X"),
]


@pytest.mark.parametrize("fn, words", PROBLEM_ERRORS)
def test_problem_errors(fn, words):
    _raises(BregnetInputError, words, fn)


def test_evaluate_of_a_blown_up_network_is_infinite():
    """before: the metrics raised ValueError for a network whose outputs overflow (so a divergence was a crash)."""
    ds, prob, data = _digits()
    net = prob.network(seed=0)
    huge = Network(tuple(W * 1e200 for W in net.weights), net.biases, net.activations)
    m = prob.evaluate(huge, data.X_train, data.Y_train, data.X_val, data.Y_val)
    assert m["objective"] == np.inf and m["accuracy"] is None and m["val_accuracy"] is None


# ============================================================================ estimators
Xd, yd = (lambda ds: (ds.X_train, ds.y_train))(load("digits", n_train=60, n_test=20, centre=True))
EST = dict(hidden_layer_sizes=(8,), epochs=1, random_state=0)

ESTIMATOR_ERRORS = [
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd * np.nan, yd), ["NaN"], id="fit-nan"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd + 1j, yd), ["Complex"], id="fit-complex"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd.astype(str), yd), ["strings"], id="fit-strings"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd[:0], yd[:0]), ["0 sample"], id="fit-empty"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd, yd[:5]), ["inconsistent numbers"], id="fit-y-length"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd, yd + 0.5), ["continuous"], id="fit-continuous-y"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).fit(Xd, np.zeros(60, int)), ["2 classes"], id="fit-one-class"),
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes=(8,), epochs=0).fit(Xd, yd), ["epochs"],
                 id="epochs-0"),
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes=(8,), solver="newton").fit(Xd, yd), ["newton"],
                 id="solver-unknown"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST, solver_options={"bogus": 1}).fit(Xd, yd), ["bogus"],
                 id="solver_options-unknown"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST, solver_options={"prox_weight": -1}).fit(Xd, yd),
                 ["prox_weight"], id="solver_options-out-of-range"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST, solver_options=[1]).fit(Xd, yd), ["solver_options"],
                 id="solver_options-list"),
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes="64").fit(Xd, yd), ["hidden_layer_sizes"],
                 id="hidden_layer_sizes-str"),
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes=(0,)).fit(Xd, yd), ["hidden_layer_sizes"],
                 id="hidden_layer_sizes-0"),
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes=(2.5,)).fit(Xd, yd), ["hidden_layer_sizes"],
                 id="hidden_layer_sizes-float"),
    # before: NotProximalError / "activations[0] must be ..." (not the estimator's wording)
    pytest.param(lambda: LiftedBregmanClassifier(**EST, activation="gelu").fit(Xd, yd),
                 ["activation", "gelu"], id="activation-not-proximal"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST, activation=3).fit(Xd, yd), ["activation"], id="activation-int"),
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes=(8,), random_state="x").fit(Xd, yd),
                 ["random_state"], id="random_state-str"),
    # before: numpy's "expected non-negative integer"
    pytest.param(lambda: LiftedBregmanClassifier(hidden_layer_sizes=(8,), random_state=-1).fit(Xd, yd),
                 ["random_state"], id="random_state-negative"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST, batch_size=0).fit(Xd, yd), ["batch_size"], id="batch_size-0"),
    pytest.param(lambda: LiftedBregmanClassifier(**EST).partial_fit(Xd, yd), ["classes"], id="partial_fit-no-classes"),
    pytest.param(lambda: LiftedBregmanRegressor(**EST).fit(Xd, np.full(60, np.nan)), ["NaN"], id="regressor-nan-y"),
    pytest.param(lambda: SparseAutoencoder(hidden_layer_sizes=(8, 4, 8), alpha=-1, epochs=1).fit(Xd), ["alpha"],
                 id="sae-alpha-negative"),
    # before: "could not convert string to float: 'x'"; a bad threshold was reported as "alpha must be > 0"
    pytest.param(lambda: SparseAutoencoder(hidden_layer_sizes=(8, 4, 8), alpha="x", epochs=1).fit(Xd), ["alpha"],
                 id="sae-alpha-str"),
    pytest.param(lambda: SparseAutoencoder(hidden_layer_sizes=(8, 4, 8), threshold=-1, epochs=1).fit(Xd), ["threshold"],
                 id="sae-threshold-negative"),
    pytest.param(lambda: SparseAutoencoder(hidden_layer_sizes=(8, 4), epochs=1).fit(Xd), ["odd number"],
                 id="sae-even-layers"),
    pytest.param(lambda: DenoisingAutoencoder(hidden_layer_sizes=(8, 4, 8), noise_std=-1, epochs=1).fit(Xd),
                 ["noise_std"], id="dae-noise-negative"),
    pytest.param(lambda: DenoisingAutoencoder(hidden_layer_sizes=(8, 4, 8), noise_std=np.nan, epochs=1).fit(Xd),
                 ["noise_std"], id="dae-noise-nan"),
]


@pytest.mark.parametrize("fn, words", ESTIMATOR_ERRORS)
def test_estimator_errors(fn, words):
    _raises(ValueError, words, fn)


@pytest.fixture(scope="module")
def fitted():
    return (LiftedBregmanClassifier(**EST).fit(Xd, yd),
            SparseAutoencoder(hidden_layer_sizes=(8, 4, 8), epochs=1, random_state=0).fit(Xd))


@pytest.mark.parametrize("call, words", [
    pytest.param(lambda c, a: c.predict(Xd[:, :5]), ["5 features", "expecting 64"], id="predict-wrong-width"),
    pytest.param(lambda c, a: c.predict(Xd * np.nan), ["NaN"], id="predict-nan"),
    pytest.param(lambda c, a: c.predict(Xd[:0]), ["0 sample"], id="predict-empty"),
    pytest.param(lambda c, a: c.partial_fit(Xd, yd + 10), ["labels not in classes_"], id="partial_fit-new-labels"),
    pytest.param(lambda c, a: a.inverse_transform(Xd), ["inverse_transform", "width 4"], id="inverse_transform-width"),
    pytest.param(lambda c, a: LiftedBregmanClassifier(**EST).predict(Xd), ["not fitted"], id="not-fitted"),
])
def test_fitted_estimator_errors(fitted, call, words):
    _raises(ValueError, words, lambda: call(*fitted))


def test_estimator_diverging_data_names_the_data_and_the_step():
    _raises(TrainingDivergedError, ["diverged", "data X, Y", "step_scale"],
            lambda: LiftedBregmanRegressor(**EST).fit(Xd * 1e300, yd))


# ============================================================================ datasets and IDX files
DATASET_ERRORS = [
    pytest.param(lambda d: load("cifar"), BregnetInputError, ["unknown dataset 'cifar'"], id="load-unknown"),
    pytest.param(lambda d: load(3), BregnetInputError, ["unknown dataset 3"], id="load-int-name"),
    # before: TypeError "data type 'banana' not understood"
    pytest.param(lambda d: load("digits", dtype="banana"), BregnetInputError, ["dtype"], id="load-bad-dtype"),
    pytest.param(lambda d: load("digits", dtype=int), BregnetInputError, ["dtype"], id="load-int-dtype"),
    pytest.param(lambda d: load("digits", n_train=0), BregnetInputError, ["n_train", "1..1437"], id="load-n_train-0"),
    pytest.param(lambda d: load("digits", n_train=10 ** 6), BregnetInputError, ["n_train"], id="load-n_train-huge"),
    pytest.param(lambda d: load("digits", n_train=10.0), BregnetInputError, ["n_train"], id="load-n_train-float"),
    pytest.param(lambda d: load("digits", n_train="10"), BregnetInputError, ["n_train"], id="load-n_train-str"),
    pytest.param(lambda d: load("digits", n_test=0), BregnetInputError, ["n_test"], id="load-n_test-0"),
    pytest.param(lambda d: load("digits", seed="x"), BregnetInputError, ["seed"], id="load-seed-str"),
    # before: numpy's "expected non-negative integer"
    pytest.param(lambda d: load("digits", seed=-1), BregnetInputError, ["seed"], id="load-seed-negative"),
    pytest.param(lambda d: load("digits", seed=1.5), BregnetInputError, ["seed"], id="load-seed-float"),
    pytest.param(lambda d: load("digits", data_dir="/tmp"), BregnetInputError, ["data_dir"], id="load-digits-data_dir"),
    pytest.param(lambda d: load("mnist", data_dir=d), DatasetNotFoundError, ["MNIST", "lacks", "data_dir"],
                 id="load-mnist-empty-directory"),
    pytest.param(lambda d: load("mnist", data_dir=__file__), DatasetNotFoundError, ["not a directory"],
                 id="load-mnist-data_dir-a-file"),
    pytest.param(lambda d: load("fashion-mnist", data_dir=d), DatasetNotFoundError, ["Fashion-MNIST", "lacks"],
                 id="load-fashion-empty-directory"),
    pytest.param(lambda d: centre(load("digits", centre=True)), BregnetInputError, ["already centred"],
                 id="centre-twice"),
    pytest.param(lambda d: subset(load("digits", centre=True), 10), BregnetInputError, ["subset() must come before"],
                 id="subset-after-centre"),
    pytest.param(lambda d: one_hot([-1, 0]), BregnetInputError, ["labels must lie in"], id="one_hot-negative"),
    pytest.param(lambda d: one_hot([0.5]), BregnetInputError, ["labels must be integers"], id="one_hot-fraction"),
    pytest.param(lambda d: one_hot(["a"]), BregnetInputError, ["labels must be integers"], id="one_hot-str"),
    pytest.param(lambda d: one_hot([True, False]), BregnetInputError, ["labels must be integers"], id="one_hot-bool"),
    pytest.param(lambda d: one_hot([np.nan]), BregnetInputError, ["labels must be integers"], id="one_hot-nan"),
    pytest.param(lambda d: one_hot([[0]]), BregnetInputError, ["1-D"], id="one_hot-2d"),
    # before: ValueError "invalid literal for int()"; 2.7 classes became 2
    pytest.param(lambda d: one_hot([0], "x"), BregnetInputError, ["n_classes"], id="one_hot-n_classes-str"),
    pytest.param(lambda d: one_hot([0, 1], 2.7), BregnetInputError, ["n_classes"], id="one_hot-n_classes-float"),
    pytest.param(lambda d: one_hot([0], 0), BregnetInputError, ["n_classes"], id="one_hot-n_classes-0"),
    # before: numpy's UFuncTypeError; complex pixels lost their imaginary part with a warning
    pytest.param(lambda d: scale_to_unit(np.array(["a"])), BregnetInputError, ["pixel values", "real"],
                 id="scale_to_unit-str"),
    pytest.param(lambda d: scale_to_unit(np.array([1j])), BregnetInputError, ["pixel values", "real"],
                 id="scale_to_unit-complex"),
    pytest.param(lambda d: scale_to_unit([1.0], scale="x"), BregnetInputError, ["scale"], id="scale_to_unit-scale-str"),
    pytest.param(lambda d: scale_to_unit([1.0], scale=0), BregnetInputError, ["scale"], id="scale_to_unit-scale-0"),
    pytest.param(lambda d: scale_to_unit([-1.0]), BregnetInputError, ["pixel values must lie in"],
                 id="scale_to_unit-negative"),
    pytest.param(lambda d: scale_to_unit([np.nan]), ValueError, ["non-finite"], id="scale_to_unit-nan"),
    pytest.param(lambda d: add_gaussian_noise(np.zeros(3), std="x"), BregnetInputError, ["std"], id="noise-std-str"),
    pytest.param(lambda d: add_gaussian_noise(np.zeros(3), std=-1), BregnetInputError, ["std"], id="noise-std-negative"),
    pytest.param(lambda d: add_gaussian_noise(np.zeros(3, int)), BregnetInputError, ["floating"], id="noise-int-images"),
]


@pytest.mark.parametrize("fn, exc, words", DATASET_ERRORS)
def test_dataset_errors(tmp_path, fn, exc, words):
    _raises(exc, words, lambda: fn(tmp_path))


def _idx(*header, payload=b""):
    return bytes(header) + payload


BAD_IDX = [
    pytest.param(b"", ["too short"], id="empty"),
    pytest.param(b"\x00\x00", ["too short"], id="two-bytes"),
    pytest.param(_idx(1, 2, 8, 1, 0, 0, 0, 1, payload=b"\0"), ["magic"], id="wrong-magic"),
    pytest.param(_idx(0, 0, 0x42, 1, 0, 0, 0, 1, payload=b"\0"), ["type code 0x42"], id="unknown-type"),
    pytest.param(_idx(0, 0, 8, 0), ["0 dimensions"], id="zero-dimensions"),
    pytest.param(_idx(0, 0, 8, 3, 0, 0, 0, 2), ["truncated IDX header"], id="truncated-header"),
    pytest.param(_idx(0, 0, 8, 1, 0, 0, 0, 5, payload=b"\1\2"), ["truncated IDX payload"], id="truncated-payload"),
    pytest.param(_idx(0, 0, 8, 1, 0, 0, 0, 1, payload=b"\1\2"), ["trailing bytes"], id="trailing-bytes"),
    # before: the size the header requires overflowed int64 in the message (12884901887 bytes)
    pytest.param(_idx(0, 0, 8, 3, *[255] * 12), ["truncated IDX payload", str((2 ** 32 - 1) ** 3)],
                 id="huge-dimensions"),
    pytest.param(_idx(0, 0, 0x0E, 1, 0, 0, 0, 1, payload=np.array([np.nan], ">f8").tobytes()), ["non-finite"],
                 id="nan-float-payload"),
    pytest.param(b"\x1f\x8b\x08\x00garbage", ["gzip"], id="corrupt-gzip"),
    pytest.param(gzip.compress(_idx(0, 0, 8, 1, 0, 0, 0, 5, payload=b"12345"))[:-6], ["gzip"], id="truncated-gzip"),
]


@pytest.mark.parametrize("data, words", BAD_IDX)
def test_malformed_idx_files(tmp_path, data, words):
    p = tmp_path / "bad-idx1-ubyte"
    p.write_bytes(data)
    _raises(IDXFormatError, [str(p)] + words, lambda: read_idx(p))


def test_idx_reader_arguments(tmp_path):
    p = write_idx(tmp_path / "a-idx2-ubyte", np.zeros((2, 3), np.uint8))
    _raises(IDXFormatError, ["expected IDX element type float32"], lambda: read_idx(p, dtype=np.float32))
    _raises(IDXFormatError, ["expected a 3-dimensional"], lambda: read_idx(p, ndim=3))
    # before: IsADirectoryError / TypeError "data type 'banana' not understood" / TypeError from Path(None)
    _raises(IDXFormatError, [str(tmp_path), "is a directory"], lambda: read_idx(tmp_path))
    _raises(TypeError, ["dtype"], lambda: read_idx(p, dtype="banana"))
    _raises(TypeError, ["path"], lambda: read_idx(None))
    _raises(FileNotFoundError, ["nope"], lambda: read_idx(tmp_path / "nope"))
    assert read_idx(write_idx(tmp_path / "z-idx2-ubyte", np.zeros((0, 5), np.uint8))).shape == (0, 5)


def test_idx_writer_arguments(tmp_path):
    _raises(TypeError, ["complex128"], lambda: write_idx(tmp_path / "c", np.ones(3) * 1j))
    _raises(TypeError, ["object"], lambda: write_idx(tmp_path / "o", np.ones(3, dtype=object)))
    _raises(ValueError, ["dimensions"], lambda: write_idx(tmp_path / "z", np.float64(1)))
    # before: IsADirectoryError naming a temporary '.part' file
    _raises(IsADirectoryError, [str(tmp_path), "directory"], lambda: write_idx(tmp_path, np.ones(3, np.uint8)))
    assert list(tmp_path.iterdir()) == []                      # no temporary file left


def _idx_split(d, labels=12, n_test_images=10, test_size=(4, 4)):
    for split, n, shape in (("train", 30, (4, 4)), ("t10k", n_test_images, test_size)):
        write_idx(d / f"{split}-images-idx3-ubyte", np.zeros((n, *shape), np.uint8))
        write_idx(d / f"{split}-labels-idx1-ubyte", np.full(10 if split == "t10k" else 30, labels, np.uint8))


@pytest.mark.parametrize("kw, words", [
    pytest.param(dict(labels=12), ["train-labels", "outside 0..9"], id="labels-out-of-range"),
    pytest.param(dict(labels=1, n_test_images=7), ["7 images", "10 labels"], id="count-mismatch"),
    pytest.param(dict(labels=1, test_size=(5, 5)), ["image sizes differ"], id="image-sizes-differ"),
])
def test_malformed_idx_split(tmp_path, kw, words):
    _idx_split(tmp_path, **kw)
    _raises(IDXFormatError, words, lambda: load("mnist", data_dir=tmp_path))


# ============================================================================ metrics, back-propagation, testing
OTHER_ERRORS = [
    pytest.param(lambda: metrics.accuracy([0, 1], [0]), ["y_true and y_pred"], id="accuracy-lengths"),
    pytest.param(lambda: metrics.accuracy(np.array([[np.nan, 1]]), np.array([[0, 1.0]])), ["y_true", "NaN"],
                 id="accuracy-nan"),
    pytest.param(lambda: metrics.accuracy(["a"], ["b"]), ["y_true", "real"], id="accuracy-str"),
    pytest.param(lambda: metrics.accuracy([], []), ["y_true", "empty"], id="accuracy-empty"),
    pytest.param(lambda: metrics.accuracy([0.5, 1], [0, 1]), ["y_true", "integers"], id="accuracy-fractional-labels"),
    pytest.param(lambda: metrics.mean_squared_error(X, X, per="x"), ["per"], id="mse-per"),
    pytest.param(lambda: metrics.mean_squared_error(X, X[:, :2]), ["same shape"], id="mse-shapes"),
    pytest.param(lambda: metrics.psnr(np.ones((2, 2)), np.ones((2, 2))), ["data_range"], id="psnr-constant"),
    pytest.param(lambda: metrics.psnr(X, X, data_range=-1), ["data_range"], id="psnr-negative-range"),
    pytest.param(lambda: metrics.code_sparsity(["a"]), ["code", "real"], id="code_sparsity-str"),
    pytest.param(lambda: metrics.code_sparsity(np.zeros((0, 3))), ["code", "empty"], id="code_sparsity-empty"),
    pytest.param(lambda: metrics.sparse_autoencoder_objective(X, X, X, -1), ["alpha"], id="sae-objective-alpha"),
    pytest.param(lambda: metrics.sparse_autoencoder_objective(X, X, X, "x"), ["alpha"], id="sae-objective-alpha-str"),
    pytest.param(lambda: metrics.hidden_activations(NET, X, 0), ["layer"], id="hidden_activations-layer-0"),
    pytest.param(lambda: metrics.hidden_activations(NET, X, 1.0), ["layer"], id="hidden_activations-float-layer"),
    pytest.param(lambda: metrics.linear_activation_rate(glorot_init([4, 3], "relu", seed=0), X), ["hidden layer"],
                 id="linear_rate-no-hidden-layer"),
    pytest.param(lambda: metrics.linear_activation_rate(NET, X * np.nan), ["X", "NaN"], id="linear_rate-nan"),
    pytest.param(lambda: metrics.linear_activation_rate(3, X), ["network"], id="linear_rate-not-a-network"),
    pytest.param(lambda: metrics.linear_activation_rate_from_preactivations([]), ["zs"], id="linear_rate-no-zs"),
    pytest.param(lambda: backprop(NET, X, Y, loss="hinge"), ["loss", "hinge"], id="backprop-loss"),
    pytest.param(lambda: backprop(NET, X * np.nan, Y), ["X", "NaN"], id="backprop-nan"),
    pytest.param(lambda: backprop(NET, X, Y, l1_alpha=-1, l1_layer=1), ["l1_alpha"], id="backprop-l1-alpha"),
    pytest.param(lambda: backprop(NET, X, Y, l1_alpha=0.1, l1_layer=5), ["l1_layer"], id="backprop-l1-layer"),
    pytest.param(lambda: backprop(NET, X, Y, l1_alpha=0.1), ["l1_layer"], id="backprop-l1-no-layer"),
    pytest.param(lambda: objective(glorot_init([4, 3], "relu", seed=0), X, Y, loss="bregman"), ["target", "dom Psi"],
                 id="objective-targets-outside-domain"),
    pytest.param(lambda: get_loss(3), ["loss"], id="get_loss-int"),
    pytest.param(lambda: preset_options("fast", "lbn-s", "classification"), ["preset 'fast'"], id="preset-unknown"),
    pytest.param(lambda: check_activation("relu", n=0), ["n"], id="check_activation-n-0"),
    pytest.param(lambda: check_activation("relu", seed=-1), ["seed"], id="check_activation-seed"),
]


@pytest.mark.parametrize("fn, words", OTHER_ERRORS)
def test_metrics_backprop_presets_errors(fn, words):
    _raises(BregnetInputError, words, fn)


@pytest.mark.parametrize("fn, exc, words", [
    pytest.param(lambda: backprop(3, X, Y), TypeError, ["network"], id="backprop-not-a-network"),
    # before: toy_problem("relu") iterated the string ('r' is no activation); n_samples=-1 failed in numpy
    pytest.param(lambda: toy_problem([4, 3], ["relu"], n_samples=0), ValueError, ["n_samples"], id="toy-n_samples-0"),
    pytest.param(lambda: toy_problem([4, 3], ["relu"], n_samples=-1), ValueError, ["n_samples"], id="toy-n_samples-neg"),
    pytest.param(lambda: toy_problem([4, 3], ["relu"], n_samples=2.5), ValueError, ["n_samples"], id="toy-n_samples-float"),
    pytest.param(lambda: toy_problem([4], ["relu"], n_samples=3), ValueError, ["layer_sizes"], id="toy-one-size"),
    # before: AttributeError 'str' object has no attribute 'prox'
    pytest.param(lambda: activation_callables("relu"), TypeError, ["activation"], id="activation_callables-name"),
    pytest.param(lambda: activation_callables(RELU, step=-1).prox([[1.0]]), ValueError, ["step"],
                 id="activation_callables-negative-step"),
    pytest.param(lambda: check_prox_optimality(RELU.prox, RELU.psi, np.ones((2, 2)) * 1j), TypeError, ["z", "complex"],
                 id="law-complex-input"),
    pytest.param(lambda: check_three_point_inequality(RELU.prox, RELU.psi, [["a"]], [["b"]]), TypeError, ["real"],
                 id="law-str-input"),
    pytest.param(lambda: check_activation("nope"), KeyError, ["nope"], id="check_activation-unknown"),
])
def test_testing_helpers_errors(fn, exc, words):
    _raises(exc, words, fn)


def test_metrics_correct_values_at_extreme_magnitudes():
    """before: mean_squared_error of 1e300 raised the RuntimeWarning "overflow encountered in multiply" (an error
    under this suite's warning filter) instead of returning inf."""
    assert metrics.mean_squared_error([[1e300]], [[-1e300]]) == np.inf           # 2e600 overflows: inf is exact
    assert metrics.mean_squared_error([[1e-300]], [[0.0]]) == 0.0                 # 5e-601 underflows to 0
    assert metrics.psnr(X, X) == np.inf
    assert preset_options("paper", "adam-bp", "classification") == {}            # documented: nothing for adam-bp
    net, Xt, Yt = toy_problem([4, 3], "relu", n_samples=2)                          # one name for every layer
    assert [a.name for a in net.activations] == ["relu"] and Xt.shape == (2, 4)


# ============================================================================ the command line
SMALL = ["--dataset", "digits", "--n-train", "60", "--n-test", "20", "--quiet", "--layers", "64,8,10"]


def _one_line(capsys, argv, code, words):
    """``main(argv)`` returns ``code`` with one line on stderr holding every word and no traceback."""
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)
    return err


def _train_argv(tmp_path, *extra, problem="classification", small=True):
    return ["train", "--problem", problem, "--out", str(tmp_path / "run"), *(SMALL if small else ["--quiet"]), *extra]


TRAIN_USAGE = [
    # before: argparse printed its usage block (13 lines) before the message
    pytest.param(["--epochs", "abc"], ["--epochs", "invalid int"], id="epochs-not-int"),
    pytest.param(["--epochs", "-1"], ["--epochs"], id="epochs-negative"),
    pytest.param(["--batch-size", "0"], ["--batch-size"], id="batch-size-0"),
    pytest.param(["--batch-size", "x"], ["--batch-size"], id="batch-size-not-int"),
    pytest.param(["--solver", "lbn-d", "--batch-size", "10"], ["--batch-size", "full-batch"], id="batch-size-full-batch"),
    pytest.param(["--seed", "x"], ["--seed"], id="seed-not-int"),
    pytest.param(["--seed", "-1"], ["--seed"], id="seed-negative"),
    pytest.param(["--n-train", "0"], ["n_train"], id="n-train-0"),
    pytest.param(["--n-train", "-5"], ["n_train"], id="n-train-negative"),
    pytest.param(["--n-train", "100000"], ["n_train"], id="n-train-too-large"),
    pytest.param(["--n-test", "0"], ["n_test"], id="n-test-0"),
    pytest.param(["--dataset", "cifar"], ["--dataset", "cifar"], id="dataset-unknown"),
    pytest.param(["--dtype", "int"], ["--dtype"], id="dtype-unknown"),
    pytest.param(["--solver", "newton"], ["unknown solver 'newton'"], id="solver-unknown"),
    pytest.param(["--solver", "sgd-bp", "--option", "lr=NaN"], ["lr"], id="option-nan"),
    pytest.param(["--solver", "sgd-bp", "--option", "lr=Infinity"], ["lr"], id="option-inf"),
    pytest.param(["--solver", "sgd-bp", "--option", "lr=-1"], ["lr"], id="option-negative"),
    pytest.param(["--solver", "sgd-bp", "--option", "lr=fast"], ["lr"], id="option-str"),
    pytest.param(["--solver", "sgd-bp", "--option", "lr=[1,2]"], ["lr"], id="option-list"),
    pytest.param(["--option", "shuffle=maybe"], ["shuffle"], id="option-bool-str"),
    pytest.param(["--option", "n_inner=1.5"], ["n_inner"], id="option-non-integer"),
    pytest.param(["--option", "=1"], ["--option"], id="option-no-key"),
    pytest.param(["--option", "novalue"], ["--option"], id="option-no-value"),
    pytest.param(["--option", "bogus=1"], ["bogus"], id="option-unknown"),
    pytest.param(["--option", "batch_size=3"], ["batch_size"], id="option-reserved"),
    pytest.param(["--layers", "64,0,10"], ["--layers"], id="layers-zero"),
    pytest.param(["--layers", "64"], ["--layers"], id="layers-one"),
    pytest.param(["--layers", "64,x"], ["--layers"], id="layers-not-int"),
    # before: an empty --layers was ignored (the default architecture was trained, exit 0)
    pytest.param(["--layers", ""], ["--layers"], id="layers-empty"),
    pytest.param(["--layers", "10,8,10"], ["64 features", "input layer"], id="layers-wrong-input"),
    pytest.param(["--layers", "64,8,3"], ["classes"], id="layers-wrong-output"),
    # before: the KeyError's repr / the NotProximalError, neither naming the output activation
    pytest.param(["--output", "nope"], ["output activation", "nope"], id="output-unknown"),
    pytest.param(["--output", "gelu"], ["output activation", "gelu"], id="output-not-proximal"),
    pytest.param(["--alpha", "0.1"], ["--alpha"], id="alpha-for-classification"),
    pytest.param(["--divergence-growth", "-1"], ["--divergence-growth"], id="divergence-growth-negative"),
    pytest.param(["--divergence-growth", "nan"], ["--divergence-growth"], id="divergence-growth-nan"),
    pytest.param(["--divergence-growth", "0.5"], ["--divergence-growth"], id="divergence-growth-below-1"),
    pytest.param(["--preset", "fast"], ["preset 'fast'"], id="preset-unknown"),
    pytest.param(["--resume", "--overwrite"], ["--resume", "--overwrite"], id="resume-and-overwrite"),
    pytest.param(["--data-dir", "/tmp"], ["data_dir"], id="data-dir-for-digits"),
    pytest.param(["--frobnicate"], ["unrecognized arguments: --frobnicate"], id="unknown-flag"),
]


@pytest.mark.parametrize("extra, words", TRAIN_USAGE)
def test_cli_train_usage_errors(tmp_path, capsys, extra, words):
    _one_line(capsys, _train_argv(tmp_path, *extra), EXIT_USAGE, words)
    assert not (tmp_path / "run" / "metrics.json").exists()


@pytest.mark.parametrize("problem, extra, words", [
    pytest.param("sparse-ae", ["--alpha", "-1"], ["alpha"], id="alpha-negative"),
    pytest.param("sparse-ae", ["--alpha", "nan"], ["alpha"], id="alpha-nan"),
    # before: "alpha must be > 0 ..." for a bad --threshold
    pytest.param("sparse-ae", ["--threshold", "-1"], ["threshold"], id="threshold-negative"),
    pytest.param("sparse-ae", ["--solver", "mac-qp"], ["mac-qp", "l1"], id="solver-without-l1"),
    pytest.param("sparse-ae", ["--layers", "64,16,8,64"], ["odd number"], id="even-hidden-layers"),
    pytest.param("denoising-ae", ["--noise-std", "-1"], ["noise_std"], id="noise-negative"),
    pytest.param("denoising-ae", ["--noise-std", "inf"], ["noise_std"], id="noise-inf"),
])
def test_cli_train_autoencoder_usage_errors(tmp_path, capsys, problem, extra, words):
    argv = ["train", "--problem", problem, "--out", str(tmp_path / "run"), "--quiet", "--n-train", "60",
            "--n-test", "20", *extra]
    _one_line(capsys, argv, EXIT_USAGE, words)


@pytest.mark.parametrize("argv, words", [
    pytest.param(["train"], ["--problem", "required"], id="train-without-problem"),
    pytest.param(["train", "--problem", "regression"], ["--problem", "regression"], id="train-problem-unknown"),
    pytest.param(["demo", "--seed", "-1"], ["--seed"], id="demo-seed-negative"),
    pytest.param(["demo", "--seed", "x"], ["--seed", "invalid int"], id="demo-seed-not-int"),
    pytest.param(["demo", "--out", __file__], ["--out", "names a file"], id="demo-out-a-file"),
    pytest.param(["demo", "--out", __file__ + "/sub"], ["--out", "cannot write"], id="demo-out-under-a-file"),
    pytest.param(["demo", "--bogus"], ["unrecognized arguments: --bogus"], id="demo-unknown-flag"),
    pytest.param(["solvers", "newton"], ["unknown solver 'newton'"], id="solvers-unknown"),
    pytest.param(["solvers", "lbn-s", "extra"], ["unrecognized arguments: extra"], id="solvers-two-names"),
    pytest.param(["check", "nope"], ["unknown activation", "nope"], id="check-unknown-activation"),
    pytest.param(["check", "gelu"], ["unknown activation", "gelu"], id="check-not-proximal"),
    pytest.param(["check", "--n", "x"], ["--n", "invalid int"], id="check-n-not-int"),
    pytest.param(["check", "--n", "0"], ["--n"], id="check-n-0"),
    pytest.param(["check", "--seed", "-1", "relu"], ["--seed"], id="check-seed-negative"),
    pytest.param(["check", "--bogus"], ["unrecognized arguments: --bogus"], id="check-unknown-flag"),
    pytest.param(["reproduce"], ["required", "name"], id="reproduce-without-name"),
    pytest.param(["reproduce", "table9"], ["table9", "invalid choice"], id="reproduce-unknown"),
    # before: the help text on stdout and nothing on stderr
    pytest.param([], ["COMMAND", "required"], id="no-command"),
    pytest.param(["frobnicate"], ["frobnicate", "invalid choice"], id="unknown-command"),
])
def test_cli_usage_errors_of_every_subcommand(capsys, argv, words):
    _one_line(capsys, argv, EXIT_USAGE, words)


def test_cli_missing_and_malformed_data(tmp_path, capsys):
    """Exit 3 (the message says how to get the data, on the lines after the first) and exit 1 for malformed files."""
    assert main(_train_argv(tmp_path, "--dataset", "mnist", "--data-dir", str(tmp_path / "none"), small=False)) \
        == EXIT_NO_DATA
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not found" in err.splitlines()[0] and "--data-dir" in err
    _idx_split(tmp_path)
    _one_line(capsys, _train_argv(tmp_path, "--dataset", "mnist", "--data-dir", str(tmp_path), small=False),
              EXIT_FAILURE, ["malformed data", "train-labels-idx1-ubyte", "outside 0..9"])


def test_cli_divergence_exit_4(tmp_path, capsys):
    """before: --option lr=1e300 ended in a traceback of the metrics (exit 1); now exit 4 naming lr."""
    assert main(_train_argv(tmp_path, "--solver", "sgd-bp", "--option", "lr=1e300", "--epochs", "2")) == EXIT_DIVERGED
    err = capsys.readouterr().err
    assert "Traceback" not in err and "diverged" in err and "lower lr" in err


def test_cli_interrupt(tmp_path, capsys, monkeypatch):
    import bregnet.training as training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(training, "train", interrupted)
    _one_line(capsys, _train_argv(tmp_path), 130, ["interrupted"])


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One `bregnet train` of 2 epochs (its directory and checkpoint bytes)."""
    d = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--problem", "classification", "--out", str(d), "--epochs", "2", *SMALL]) == 0
    ck = d / "checkpoint" / "training-state.npz"
    return d, ck, ck.read_bytes()


@pytest.mark.parametrize("extra, words", [
    pytest.param(["--epochs", "3"], ["--resume", "--overwrite"], id="rerun-without-resume"),
    pytest.param(["--epochs", "3", "--resume", "--option", "prox_weight=5"], ["different options", "solver"],
                 id="resume-other-options"),
    pytest.param(["--epochs", "3", "--resume", "--seed", "7"], ["initial_network"], id="resume-other-seed"),
    pytest.param(["--epochs", "3", "--resume", "--n-train", "50"], ["different options or data"],
                 id="resume-other-data"),
    pytest.param(["--epochs", "3", "--resume", "--solver", "sgd-bp"], ["written by", "sgd-bp"],
                 id="resume-other-solver"),
    pytest.param(["--epochs", "1", "--resume"], ["beyond epochs=1"], id="resume-epochs-below"),
])
def test_cli_mismatched_resumes(trained_run, capsys, extra, words):
    d, ck, raw = trained_run
    argv = ["train", "--problem", "classification", "--out", str(d), *SMALL, *extra]    # the last value counts
    _one_line(capsys, argv, EXIT_USAGE, words)
    assert ck.read_bytes() == raw                            # refused before anything is written


@pytest.mark.parametrize("damage, words", [
    pytest.param(lambda ck, raw: ck.write_bytes(raw[:100]), ["training-state.npz", "truncated"], id="truncated"),
    pytest.param(lambda ck, raw: ck.write_bytes(b""), ["training-state.npz", "truncated"], id="empty"),
    pytest.param(lambda ck, raw: (ck.unlink(), ck.mkdir()), ["training-state.npz", "is a directory"], id="a-directory"),
])
def test_cli_resume_from_a_damaged_checkpoint(tmp_path, capsys, damage, words):
    d = tmp_path / "run"
    assert main(["train", "--problem", "classification", "--out", str(d), "--epochs", "1", *SMALL]) == 0
    ck = d / "checkpoint" / "training-state.npz"
    damage(ck, ck.read_bytes())
    capsys.readouterr()
    _one_line(capsys, ["train", "--problem", "classification", "--out", str(d), "--epochs", "2", "--resume", *SMALL],
              EXIT_USAGE, words)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """``bregnet reproduce`` in an empty working directory, with a stand-in for the committed validation/results/."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from validation import common
    import validation.table1 as t1
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("BREGNET_CKPT_DIR", raising=False)
    monkeypatch.setattr(common, "RESULTS", tmp_path / "committed")
    monkeypatch.setattr(t1, "RESULTS", tmp_path / "committed", raising=False)
    return tmp_path


@pytest.mark.parametrize("extra, words", [
    # before: argparse's usage block (14 lines) before the message
    pytest.param(["--epochs", "abc"], ["--epochs", "invalid int"], id="epochs-not-int"),
    pytest.param(["--epochs", "0"], ["--epochs"], id="epochs-0"),
    # before: a traceback (numpy's "expected non-negative integer"), exit 1
    pytest.param(["--seed", "-1"], ["--seed"], id="seed-negative"),
    pytest.param(["--seed", "x"], ["--seed", "invalid int"], id="seed-not-int"),
    pytest.param(["--sgd-lr-grid", "a,b"], ["--sgd-lr-grid"], id="lr-grid-not-numbers"),
    pytest.param(["--sgd-lr-grid", "-1"], ["--sgd-lr-grid"], id="lr-grid-negative"),
    pytest.param(["--lbn-prox-grid", "nan"], ["--lbn-prox-grid"], id="prox-grid-nan"),
    pytest.param(["--dataset", "nope"], ["--dataset"], id="dataset-unknown"),
    pytest.param(["--bogus"], ["unrecognized arguments: --bogus"], id="unknown-flag"),
    pytest.param(["--eval-every", "x"], ["--eval-every", "invalid int"], id="eval-every-not-int"),
    pytest.param(["--eval-every", "0"], ["--eval-every"], id="eval-every-0"),
    # before: "--methods ," named no method and trained all of them (exit 0)
    pytest.param(["--methods", ","], ["--methods", "no method"], id="methods-empty"),
    pytest.param(["--methods", "sgd-bp,nope"], ["--methods", "nope"], id="methods-unknown"),
    pytest.param(["--resume", "--overwrite"], ["exclude each other"], id="resume-and-overwrite"),
    pytest.param(["--update-results"], ["--update-results"], id="update-results-with-quick"),
    # before: --classical-epochs -1 was not checked (refused only for other reasons, if at all)
    pytest.param(["--classical-epochs", "-1"], ["--classical-epochs"], id="classical-epochs-negative"),
    pytest.param(["--output-activation", "tanh"], ["--output-activation", "tanh"], id="output-activation-unknown"),
    # before: a traceback (NotADirectoryError from mkdir), exit 1
    pytest.param(["--ckpt-dir", __file__], ["--ckpt-dir", "not a directory"], id="ckpt-dir-a-file"),
    pytest.param(["--out", __file__], ["--out", "not a directory"], id="out-a-file"),
])
def test_cli_reproduce_usage_errors(sandbox, capsys, extra, words):
    _one_line(capsys, ["reproduce", "table1", "--quick", "--quiet", *extra], EXIT_USAGE, words)
    assert list((sandbox / "cwd").iterdir()) == [] and not (sandbox / "committed").exists()


@pytest.mark.parametrize("name, extra, words", [
    # before: --uae-epochs 0 was accepted (exit 0); --code-threshold -1 ended in a traceback
    pytest.param("fig8", ["--uae-epochs", "0"], ["--uae-epochs"], id="fig8-uae-epochs-0"),
    pytest.param("fig6", ["--code-threshold", "-1"], ["--code-threshold"], id="fig6-code-threshold-negative"),
])
def test_cli_reproduce_experiment_options(sandbox, capsys, name, extra, words):
    _one_line(capsys, ["reproduce", name, "--quick", "--quiet", *extra], EXIT_USAGE, words)


def test_cli_reproduce_missing_data(sandbox, capsys):
    argv = ["reproduce", "table1", "--dataset", "mnist", "--data-dir", str(sandbox / "none"), "--out",
            str(sandbox / "out")]
    assert main(argv) == EXIT_NO_DATA
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("bregnet reproduce: MNIST") and "--data-dir" in err
