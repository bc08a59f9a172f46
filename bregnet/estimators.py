r"""scikit-learn estimators for the problems of Section 5, trained by any lifted solver or baseline.

* :class:`LiftedBregmanClassifier`: classification (25), one-hot targets, identity output and MSE
  (Section 6.1) by default;
* :class:`LiftedBregmanRegressor`: the same energy with real targets (single or multi-output);
* :class:`SparseAutoencoder`: the sparse autoencoder (26), a transformer: ``transform`` gives the code
  :math:`x_{L/2}` (soft-thresholded, :math:`\ell_1`-regularised), ``inverse_transform`` decodes it;
* :class:`DenoisingAutoencoder`: the sparse denoising autoencoder (27), trained on noisy copies of the
  inputs with the clean inputs as targets.

Every estimator takes ``solver=`` any name of :data:`bregnet.training.SOLVERS` (``"lbn-s"``,
``"lbn-d"``, ``"sgd-bp"``, ``"adam"``, ...), ``solver_options`` for that solver, ``epochs``,
``batch_size``, ``random_state`` and ``warm_start``, supports ``partial_fit`` (one epoch on the given
data, continuing the current network), and records the metrics of every epoch in ``history_``
(a :class:`~bregnet.training.TrainingLog`; ``history_["objective"]`` is a column).

**Divergence.**  A fit whose parameters or objective become non-finite raises
:class:`~bregnet.training.TrainingDivergedError` (a :class:`~bregnet.exceptions.DivergenceError`; ``.log`` holds the
epochs before), naming the solver's step-size option (``lr``, ``step_scale``) with its value and default.  A fit
that finishes but whose training objective rose above :data:`WARNING_GROWTH` (10) times ``max(|start|, 1)`` warns
with a :class:`sklearn.exceptions.ConvergenceWarning` naming the same option (e.g. Adam with ``lr=10``).  An
explosion of the objective is a warning, not an error, as in scikit-learn: SGD-BP with its default step diverges
on badly scaled inputs (scikit-learn's estimator checks fit data centred at 100), and such a fit must still end.

**Defaults.**  The solvers' own defaults (one place: each solver class of :mod:`bregnet.solvers` and
:mod:`bregnet.backprop`), chosen to learn within ``epochs=10``: LBN-S with proximal weight 1, the value
of Section 6.2; the back-propagation baselines with learning rate 0.1, Adam 0.01.  The paper's settings
are tuned for 60,000 images and 100 epochs (LBN-S with :math:`\tau^k = 100`, SGD-BP with learning rate
:math:`10^{-3}`, Section 6.1) and barely move the network in a few epochs; ``solver_options`` sets them,
e.g. ``solver_options=preset_options("paper", "lbn-s", "classification")`` (:mod:`bregnet.presets`).

Examples
--------
>>> from sklearn.datasets import load_digits
>>> X, y = load_digits(return_X_y=True)
>>> X = X / 16 - (X[:500] / 16).mean(axis=0)                   # scaled and centred (Section 6)
>>> clf = LiftedBregmanClassifier(hidden_layer_sizes=(32,), epochs=5, random_state=0).fit(X[:500], y[:500])
>>> clf.score(X[500:1000], y[500:1000]) > 0.7
True
>>> len(clf.history_), clf.history_["epoch"][-1]
(6, 5)
"""
from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Set

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, RegressorMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .datasets import add_gaussian_noise
from .exceptions import BregnetInputError, DivergenceError
from .network import Network
from .problems import PAPER_ALPHA, PAPER_CODE_THRESHOLD, PAPER_NOISE_STD, Problem, ProblemData, classification, \
    regression, sparse_autoencoder
from .training import TrainingDivergedError, TrainingLog, get_solver, train

__all__ = ["LiftedBregmanClassifier", "LiftedBregmanRegressor", "SparseAutoencoder", "DenoisingAutoencoder",
           "WARNING_GROWTH"]

#: a finished fit warns (:class:`sklearn.exceptions.ConvergenceWarning`) when the training objective exceeded this
#: factor times ``max(|objective at epoch 0|, 1)`` after some epoch of the fit: the steps are too large (the network
#: usually ends collapsed even where the objective came down again)
WARNING_GROWTH = 10.0


def _is_int(v) -> bool:
    """An integer that is not a bool (numpy integers included)."""
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _step_option(spec, options: dict):
    """``(name, value, default)`` of the solver's step-size option (its ``step_option``), or None if it has none."""
    import dataclasses

    defaults = {f.name: f.default for f in dataclasses.fields(spec.solver)}
    name = getattr(spec.solver, "step_option", None)
    if name not in defaults:
        return None
    return name, options.get(name, defaults[name]), defaults[name]


def _generator(random_state) -> np.random.Generator:
    """A numpy Generator from scikit-learn's ``random_state`` conventions (None, int, RandomState, Generator)."""
    if random_state is None or (isinstance(random_state, (numbers.Integral, np.integer))
                                and not isinstance(random_state, (bool, np.bool_)) and random_state >= 0):
        return np.random.default_rng(None if random_state is None else int(random_state))
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(np.iinfo(np.int32).max)))
    raise ValueError(f"random_state must be None, an int >= 0, a numpy RandomState or Generator; got "
                     f"{random_state!r}")


class _LiftedEstimator(BaseEstimator):
    """Shared fitting machinery: parameter checks, training through :func:`bregnet.training.train`, history."""

    _problem_kind = ""

    # -------------------------------------------------------------------- parameters
    def _check_params(self):
        try:
            spec = get_solver(self.solver)
        except BregnetInputError as exc:
            raise ValueError(str(exc)) from None
        for name in ("epochs",):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer; got {v!r}")
        bs = self.batch_size
        if bs is not None and (isinstance(bs, bool) or not isinstance(bs, (numbers.Integral, np.integer)) or bs < 1):
            raise ValueError(f"batch_size must be None or a positive integer; got {bs!r}")
        if self.solver_options is not None and not isinstance(self.solver_options, dict):
            raise ValueError(f"solver_options must be None or a dict; got {type(self.solver_options).__name__}")
        return spec

    _hidden_none_ok = False

    def _hidden_sizes(self):
        """``hidden_layer_sizes`` as a tuple of ints (an int ``k`` is ``(k,)``); ValueError for anything else.

        A string is rejected, not iterated (``"64"`` would be the widths 6 and 4), and so are floats (even
        ``2.0``), bools, zero and negative widths, mappings and sets.
        """
        hs = self.hidden_layer_sizes
        expected = "a positive integer or a sequence of positive integers such as (64, 64)"
        if self._hidden_none_ok:
            expected += " or None"
        if hs is None:
            if self._hidden_none_ok:
                return None
            raise ValueError(f"hidden_layer_sizes must be {expected}; got None")
        if isinstance(hs, (str, bytes)):
            raise ValueError(f"hidden_layer_sizes must be {expected}, not a string; got {hs!r} (write (64,) or "
                             f"64 for one layer of 64 units)")
        if _is_int(hs):
            hs = (hs,)
        if isinstance(hs, (Mapping, Set)) or not np.iterable(hs) or (isinstance(hs, np.ndarray) and hs.ndim != 1):
            raise ValueError(f"hidden_layer_sizes must be {expected}; got {hs!r}")
        hs = tuple(hs)
        bad = [h for h in hs if not _is_int(h) or h < 1]
        if bad:
            raise ValueError(f"hidden_layer_sizes must be {expected}; got {hs!r} (entries {bad!r} are not "
                             f"positive integers)")
        return tuple(int(h) for h in hs)

    def _solver_options(self, spec):
        return dict(self.solver_options or {})

    # -------------------------------------------------------------------- training
    def _run(self, problem: Problem, data: ProblemData, *, epochs: int, continue_training: bool):
        spec = self._check_params()
        network = self.network_ if continue_training else None
        self._prepare_rng(continue_training)
        bs = self.batch_size
        if spec.stochastic and bs is None:
            bs = min(100, data.n_train)
        state = None
        if continue_training and getattr(self, "_solver_state_", None) is not None:
            prev_solver, prev_n, prev_state = self._solver_state_
            if (prev_solver, prev_n) == (spec.name, data.n_train):
                state = prev_state                 # the solver's own carried state (warm starts, moments, ...)
        options = self._solver_options(spec)
        try:
            out = train(problem, spec, data, epochs=epochs, batch_size=bs if spec.stochastic else None,
                        seed=self._rng, options=options, network=network, state=state)
        except BregnetInputError as exc:
            raise ValueError(str(exc)) from exc
        except DivergenceError as exc:
            raise self._diverged(spec, options, exc) from exc
        log = out.log
        self._warn_if_objective_grew(spec, options, log)
        if continue_training and hasattr(self, "history_"):
            offset = self.history_.last.get("epoch", 0)
            for row in log.rows[1:]:
                self.history_.append({**row, "epoch": row["epoch"] + offset,
                                      "wall_time": row["wall_time"] + self.history_.last.get("wall_time", 0.0)})
        else:
            self.history_ = TrainingLog(log.rows)
        self.network_ = out.network
        self._solver_state_ = (spec.name, data.n_train, out.state)
        self.problem_ = problem
        self.n_epochs_ = int(self.history_.last.get("epoch", 0))
        return self

    def _advice(self, spec, options) -> str:
        step = _step_option(spec, options)
        if step is None:
            return "check the scaling of the data (standardise X) and the solver_options"
        name, value, default = step
        return (f"set a smaller step size, solver_options={{{name!r}: ...}} (now {name}={value!r}; the default of "
                f"{spec.name!r} is {name}={default!r}), or standardise X")

    def _diverged(self, spec, options, exc: DivergenceError) -> TrainingDivergedError:
        """The training error as the estimator's: which estimator and solver, and which option to change."""
        log = getattr(exc, "log", None)
        log = log if log is not None else getattr(exc, "history", None) or TrainingLog(spec.name)
        epoch = getattr(exc, "epoch", None)
        cause = exc.__cause__ if isinstance(exc, TrainingDivergedError) and exc.__cause__ is not None else exc
        return TrainingDivergedError(f"{type(self).__name__}: training with solver {spec.name!r} diverged"
                                     f"{'' if epoch is None else f' in epoch {epoch}'} ({cause}); "
                                     f"{self._advice(spec, options)}", log, epoch)

    def _warn_if_objective_grew(self, spec, options, log) -> None:
        """A :class:`~sklearn.exceptions.ConvergenceWarning` if the objective rose far above its start."""
        obj = [v for v in (log.columns.get("objective") or []) if v is not None]
        if len(obj) < 2:
            return
        start, peak = obj[0], max(obj[1:])
        if peak > WARNING_GROWTH * max(abs(start), 1.0):
            epoch = log["epoch"][1 + obj[1:].index(peak)] if len(obj) == len(log) else None
            warnings.warn(f"{type(self).__name__}: the training objective of solver {spec.name!r} grew from "
                          f"{start:.4g} to {peak:.4g}{'' if epoch is None else f' (epoch {epoch})'} and ended at "
                          f"{obj[-1]:.4g}; the fit is unreliable: {self._advice(spec, options)}",
                          ConvergenceWarning, stacklevel=5)

    def _prepare_rng(self, continue_training: bool):
        """A fresh generator from ``random_state`` for a fresh fit; the running one when continuing."""
        if not continue_training or not hasattr(self, "_rng"):
            self._rng = _generator(self.random_state)

    def _can_continue(self, problem: Problem) -> bool:
        return (hasattr(self, "network_") and isinstance(self.network_, Network)
                and self.network_.layer_sizes == problem.layer_sizes
                and tuple(self.network_.activations) == tuple(problem.activations))

    def _forward(self, X):
        return self.network_.forward(X)


# ---------------------------------------------------------------------------------------- classifier
class _LiftedMLP(_LiftedEstimator):
    """The parameters shared by :class:`LiftedBregmanClassifier` and :class:`LiftedBregmanRegressor`."""

    def __init__(self, hidden_layer_sizes=(32,), activation="relu", output_activation="identity", solver="lbn-s",
                 epochs=10, batch_size=None, solver_options=None, random_state=None, warm_start=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.solver = solver
        self.epochs = epochs
        self.batch_size = batch_size
        self.solver_options = solver_options
        self.random_state = random_state
        self.warm_start = warm_start


class LiftedBregmanClassifier(ClassifierMixin, _LiftedMLP):
    r"""Classifier trained on the lifted Bregman energy (25) (or by a baseline), Section 5.1 and 6.1.

    The network maps :math:`n` features through ``hidden_layer_sizes`` to one unit per class; the
    targets are one-hot rows and the data term is :math:`B_{\Psi_L}(y, z_L)`, the MSE for the identity
    output (Section 6.1) or the cross-entropy for ``output_activation="softmax"``.  ``predict`` takes the
    class of the largest output; ``predict_proba`` gives the softmax output itself, or for the identity output
    the softmax of the outputs (see :meth:`predict_proba`).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int
        Widths of the hidden layers (the paper: (64, 64)).
    activation : str
        Activation of the hidden layers (a registered name, default ``"relu"``).
    output_activation : str
        :math:`\sigma_L` (default ``"identity"``).
    solver : str
        A lifted solver or baseline of :data:`bregnet.training.SOLVERS`.
    epochs : int
        Epochs per ``fit``.
    batch_size : int or None
        Mini-batch size of stochastic solvers (None: ``min(100, n_samples)``).
    solver_options : dict or None
        Hyperparameters of the solver (override its defaults; e.g. a preset of :mod:`bregnet.presets`).
    random_state : None, int, RandomState or Generator
        Initialisation and batch order.
    warm_start : bool
        ``fit`` continues from the current network (if the architecture still fits).

    Attributes
    ----------
    classes_ : ndarray
    network_ : bregnet.network.Network
    problem_ : bregnet.problems.Problem
    history_ : bregnet.training.TrainingLog
        Per-epoch metrics (row 0: the initial network).
    n_epochs_ : int
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(200, 2)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), solver="sgd-bp", epochs=20, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    def _problem(self, n_features, n_classes):
        try:
            return classification((n_features, *self._hidden_sizes(), n_classes), hidden=self.activation,
                                  output=self.output_activation)
        except (BregnetInputError, KeyError) as exc:
            raise ValueError(str(exc)) from None

    def _targets(self, y):
        idx = np.searchsorted(self.classes_, y)
        if np.any(idx >= len(self.classes_)) or np.any(self.classes_[np.minimum(idx, len(self.classes_) - 1)] != y):
            raise ValueError(f"y contains labels not in classes_ {self.classes_.tolist()}")
        return np.eye(len(self.classes_))[idx]

    def _fit(self, X, y, *, epochs, partial, classes=None):
        first = not (partial and hasattr(self, "classes_"))
        X, y = validate_data(self, X, y, reset=first)
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(f"{type(self).__name__} supports binary and multiclass targets; got {type_of_target(y)}")
        if first:
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                                 f"({self.classes_.tolist()})")
        problem = self._problem(X.shape[1], len(self.classes_))
        cont = (partial and not first) or (self.warm_start and not partial and self._can_continue(problem))
        data = ProblemData(X, self._targets(y))
        return self._run(problem, data, epochs=epochs, continue_training=cont and self._can_continue(problem))

    def fit(self, X, y):
        """Train ``epochs`` epochs on ``(X, y)`` (from a fresh network unless ``warm_start``)."""
        if not self.warm_start:
            for a in ("classes_", "network_", "history_"):
                self.__dict__.pop(a, None)
        return self._fit(X, y, epochs=self.epochs, partial=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``(X, y)``, continuing the current network; ``classes`` is needed on the first call."""
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, epochs=1, partial=True, classes=classes)

    def decision_function(self, X):
        """Network outputs, shape (n_samples, n_classes); for two classes the score ``out[:, 1] - out[:, 0]``."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        out = self._forward(X)
        if len(self.classes_) == 2:
            return out[:, 1] - out[:, 0]
        return out

    def predict(self, X):
        """The class of the largest network output (the class of the largest :meth:`predict_proba`)."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        return self.classes_[np.argmax(self._forward(X), axis=1)]

    def predict_proba(self, X):
        r"""Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``.

        * Output activation onto the probability simplex (``"softmax"``, the cross-entropy of Section 5.1, and
          ``"sparsemax"``, ``"entmax15"``): the network's output :math:`z = \sigma_L(\cdot)` itself.
        * Any other output activation, the identity (MSE on one-hot targets, Section 6.1) by default: the
          softmax of the outputs :math:`o`,

          .. math:: p_k = \frac{\exp(o_k - \max_j o_j)}{\sum_i \exp(o_i - \max_j o_j)}.

          These are scores on the simplex, not calibrated probabilities: the softmax (temperature 1) of
          outputs near one-hot rows is flat, e.g. :math:`o = (1, 0, 0)` gives :math:`(0.58, 0.21, 0.21)`.  For
          probabilities train with ``output_activation="softmax"``, or calibrate with
          :class:`sklearn.calibration.CalibratedClassifierCV`.

        Rows are non-negative and sum to 1, and both maps are increasing in every output, so the largest
        probability is at the largest output: ``argmax(predict_proba(X))`` is ``predict(X)`` (up to ties
        introduced by rounding, for outputs closer than about :math:`10^{-16}` of each other), and for two
        classes ``predict_proba(X)[:, 1]`` increases with ``decision_function(X)``.
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        out = np.asarray(self._forward(X), dtype=np.float64)
        if getattr(self.network_.activations[-1], "family", None) == "simplex":
            return np.maximum(out, 0.0)                  # on the simplex already (no rounding below 0)
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba` (``-inf`` where a probability is 0, e.g. sparsemax)."""
        P = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(P)


# ---------------------------------------------------------------------------------------- regressor
class LiftedBregmanRegressor(RegressorMixin, _LiftedMLP):
    r"""Regressor trained on the lifted Bregman energy (25) with real targets (MSE for the identity output).

    Parameters are those of :class:`LiftedBregmanClassifier`; ``y`` may have several columns.
    ``predict`` returns the shape of the ``y`` seen by ``fit`` (1-D for 1-D targets).

    Examples
    --------
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(200, 3)); y = X @ [1.0, -2.0, 0.5]
    >>> reg = LiftedBregmanRegressor(hidden_layer_sizes=(16,), epochs=20, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    """

    def _fit(self, X, y, *, epochs, partial):
        first = not (partial and hasattr(self, "network_"))
        X, y = validate_data(self, X, y, reset=first, multi_output=True, y_numeric=True)
        Y = np.asarray(y, dtype=np.float64)
        one_d = Y.ndim == 1
        Y = Y.reshape(-1, 1) if one_d else Y
        if first:
            self._y_1d = one_d
        try:
            problem = regression((X.shape[1], *self._hidden_sizes(), Y.shape[1]), hidden=self.activation,
                                 output=self.output_activation)
        except (BregnetInputError, KeyError) as exc:
            raise ValueError(str(exc)) from None
        cont = (partial and not first) or (self.warm_start and not partial and self._can_continue(problem))
        return self._run(problem, ProblemData(X, Y), epochs=epochs,
                         continue_training=cont and self._can_continue(problem))

    def fit(self, X, y):
        """Train ``epochs`` epochs on ``(X, y)`` (from a fresh network unless ``warm_start``)."""
        if not self.warm_start:
            for a in ("network_", "history_"):
                self.__dict__.pop(a, None)
        return self._fit(X, y, epochs=self.epochs, partial=False)

    def partial_fit(self, X, y):
        """One epoch on ``(X, y)``, continuing the current network."""
        return self._fit(X, y, epochs=1, partial=True)

    def predict(self, X):
        """Network outputs (1-D if ``fit`` saw 1-D targets)."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        out = self._forward(X)
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


# ---------------------------------------------------------------------------------------- autoencoders
class SparseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _LiftedEstimator):
    r"""Sparse autoencoder (26): ``transform`` gives the sparse code :math:`x_{L/2}`, ``inverse_transform`` decodes.

    The network has ``hidden_layer_sizes`` hidden layers (an odd number; the code is the middle one),
    ReLU (``activation``) on the others, soft-thresholding with threshold ``threshold`` on the code, the
    regulariser :math:`\alpha\|x_{L/2}\|_1` (``alpha``, 0.09 in Section 6.2) and ``output_activation``
    (identity: the data term is the MSE) on the output.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int or None
        Default ``None``: three layers as wide as the input (Section 6.2: no explicit reduction).
    alpha, threshold : float
        :math:`\alpha \ge 0` and the code activation's :math:`\beta > 0`.
    activation, output_activation, solver, epochs, batch_size, solver_options, random_state, warm_start
        As in :class:`LiftedBregmanClassifier`.

    Attributes
    ----------
    code_layer_ : int
        The layer whose activations ``transform`` returns.
    network_, problem_, history_, n_epochs_, n_features_in_
        As in :class:`LiftedBregmanClassifier`; ``history_`` has the code sparsity per epoch.

    Examples
    --------
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(100, 6))
    >>> ae = SparseAutoencoder(epochs=5, random_state=0).fit(X)
    >>> C = ae.transform(X)
    >>> C.shape, ae.inverse_transform(C).shape
    ((100, 6), (100, 6))
    >>> ae.history_["objective"][-1] < ae.history_["objective"][0]
    True
    """

    _noise = False
    _hidden_none_ok = True

    def __init__(self, hidden_layer_sizes=None, alpha=PAPER_ALPHA, threshold=PAPER_CODE_THRESHOLD, activation="relu",
                 output_activation="identity", solver="lbn-s", epochs=10, batch_size=None, solver_options=None,
                 random_state=None, warm_start=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.threshold = threshold
        self.activation = activation
        self.output_activation = output_activation
        self.solver = solver
        self.epochs = epochs
        self.batch_size = batch_size
        self.solver_options = solver_options
        self.random_state = random_state
        self.warm_start = warm_start

    def _problem(self, n_features):
        try:
            return sparse_autoencoder(n_features, self._hidden_sizes(), alpha=self.alpha, threshold=self.threshold,
                                      hidden=self.activation, output=self.output_activation)
        except (BregnetInputError, KeyError) as exc:
            raise ValueError(str(exc)) from None

    def _inputs(self, X):
        return X

    def _fit(self, X, *, epochs, partial):
        first = not (partial and hasattr(self, "network_"))
        X = validate_data(self, X, reset=first, dtype=np.float64)
        problem = self._problem(X.shape[1])
        cont = (partial and not first) or (self.warm_start and not partial and self._can_continue(problem))
        cont = bool(cont and self._can_continue(problem))
        self._prepare_rng(cont)
        data = ProblemData(self._inputs(X), X)
        self._run(problem, data, epochs=epochs, continue_training=cont)
        self.code_layer_ = problem.code_layer
        self._n_features_out = problem.layer_sizes[problem.code_layer]
        return self

    def fit(self, X, y=None):
        """Train ``epochs`` epochs on ``X`` (``y`` is ignored)."""
        if not self.warm_start:
            for a in ("network_", "history_"):
                self.__dict__.pop(a, None)
        return self._fit(X, epochs=self.epochs, partial=False)

    def partial_fit(self, X, y=None):
        """One epoch on ``X``, continuing the current network."""
        return self._fit(X, epochs=1, partial=True)

    def transform(self, X):
        r"""The code :math:`x_{L/2}` of every sample, shape (n_samples, code width)."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        return self.network_.forward_all(X)[1][self.code_layer_]

    def inverse_transform(self, X):
        r"""Decode codes: the layers :math:`L/2 + 1, \dots, L` applied to ``X`` (shape (n, code width))."""
        check_is_fitted(self, "network_")
        from sklearn.utils import check_array

        C = check_array(X, dtype=np.float64)
        c = self.code_layer_
        if C.shape[1] != self.network_.layer_sizes[c]:
            raise ValueError(f"X has {C.shape[1]} features, but inverse_transform expects codes of width "
                             f"{self.network_.layer_sizes[c]}")
        net = self.network_
        for l in range(c + 1, net.n_layers + 1):
            C = net.activations[l - 1].prox(net.pre_activation(l, C))
        return C

    def reconstruct(self, X):
        """The network output for ``X`` (for the denoising autoencoder: the denoised images)."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        return self.network_.forward(X)

    def score(self, X, y=None):
        r"""Minus the reconstruction MSE :math:`\frac1s\sum_i\tfrac12\|x^i - \hat x^i\|^2` (higher is better).

        ``y`` is ignored (scikit-learn's convention for unsupervised estimators); to score denoising
        use :func:`bregnet.metrics.mean_squared_error` on ``reconstruct(X_noisy)`` and the clean images.
        """
        R = self.reconstruct(X)
        d = R - validate_data(self, X, reset=False, dtype=np.float64)
        return -float(0.5 * np.sum(d * d) / R.shape[0])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


class DenoisingAutoencoder(SparseAutoencoder):
    r"""Sparse denoising autoencoder (27): trained on :math:`\tilde x = x + \epsilon`, :math:`\epsilon\sim N(0, \sigma^2)`, with target :math:`x`.

    ``noise_std`` is :math:`\sigma` (:math:`10^{-3}` as printed in Section 6.3); the noise is drawn afresh
    from ``random_state`` at every ``fit``/``partial_fit``.  ``reconstruct`` denoises; ``transform`` and
    ``inverse_transform`` are those of :class:`SparseAutoencoder`.

    Examples
    --------
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(100, 6))
    >>> dae = DenoisingAutoencoder(noise_std=0.1, epochs=5, random_state=0).fit(X)
    >>> dae.reconstruct(X + 0.1 * rng.normal(size=X.shape)).shape
    (100, 6)
    """

    def __init__(self, hidden_layer_sizes=None, alpha=PAPER_ALPHA, threshold=PAPER_CODE_THRESHOLD,
                 noise_std=PAPER_NOISE_STD, activation="relu", output_activation="identity", solver="lbn-s",
                 epochs=10, batch_size=None, solver_options=None, random_state=None, warm_start=False):
        super().__init__(hidden_layer_sizes=hidden_layer_sizes, alpha=alpha, threshold=threshold,
                         activation=activation, output_activation=output_activation, solver=solver, epochs=epochs,
                         batch_size=batch_size, solver_options=solver_options, random_state=random_state,
                         warm_start=warm_start)
        self.noise_std = noise_std

    def _inputs(self, X):
        std = self.noise_std
        if isinstance(std, bool) or not isinstance(std, (numbers.Real, np.floating)) or not np.isfinite(std) or std < 0:
            raise ValueError(f"noise_std must be a finite number >= 0; got {std!r}")
        return add_gaussian_noise(X, float(std), seed=self._rng)
