r"""The example problems of Section 5 and how they are measured (Section 6).

A :class:`Problem` fixes everything of an experiment except the optimiser: the architecture (layer
sizes and one activation :math:`\sigma_l = \operatorname{prox}_{\Psi_l}` per layer), the weights
:math:`\lambda_l` of the lifted energy, the optional :math:`\ell_1` regulariser on a code layer, how
a :class:`~bregnet.datasets.Dataset` becomes training inputs and targets, and the per-epoch metrics
of Section 6 (:meth:`Problem.evaluate`).  Four builders give the paper's problems:

* :func:`classification` (25): ReLU hidden layers, identity output, so the data term
  :math:`B_{\Psi_L}(y, z) = \tfrac12\|y - z\|^2` is the MSE on one-hot targets (Section 6.1,
  :math:`\Psi_L \equiv 0`); other output activations (e.g. ``"softmax"``, whose Bregman loss is the
  cross-entropy) are a parameter.
* :func:`sparse_autoencoder` (26): :math:`L = 4` layers of equal width (784 in Section 6.2), the code
  :math:`x_{L/2}` activated by soft-thresholding and regularised by :math:`\alpha\|x_{L/2}\|_1`
  (:math:`\alpha = 0.09`), ReLU on the other hidden layers.
* :func:`denoising_autoencoder` (27): the same network, trained on noisy inputs
  :math:`\tilde x_0 = x_0 + \epsilon`, :math:`\epsilon \sim N(0, \sigma^2)` (:math:`\sigma = 10^{-3}`
  as printed), with the clean images as targets.
* :func:`undercomplete_autoencoder` (Section 6.3): ReLU hidden layers, a 70-unit code, no
  regulariser.
* :func:`regression`: the energy (25) with real-valued targets (not one of the paper's experiments;
  used by :class:`~bregnet.estimators.LiftedBregmanRegressor`).

**Output layer of the autoencoders.**  Section 6.2 says "soft-thresholding after the second affine
transformation and ReLU activation functions for all other layers" and also "the MSE reconstruction
loss".  Read literally the output would be ReLU, but the images are centred (Section 6), so their
entries are negative and outside :math:`\operatorname{dom}\Psi_L = [0, \infty)` of the ReLU, where the
Bregman data term is infinite; and the MSE is the Bregman loss of :math:`\Psi_L \equiv 0`.  So the
default output activation is the identity (the data term is then exactly the MSE), and ``output=``
chooses another (``"relu"`` needs uncentred, non-negative images).

**Threshold of the code layer.**  The paper does not print the parameter :math:`\beta` of the
soft-thresholding activation :math:`\sigma_{L/2}` (:math:`\Psi_{L/2} = \beta\|\cdot\|_1`).  The
default is :math:`\beta = 0.09`, the value of :math:`\alpha`; it is the parameter ``threshold``.

**Metrics** (:meth:`Problem.evaluate`, one row per epoch): the training objective of Figures 3 and
6-8, :math:`\frac1s\sum_i[B_{\Psi_L}(y^i, z_L^i) + \alpha\|x_c^i\|_1]` of the forward network (for the
identity output the data term is the MSE :math:`\frac1s\sum_i\tfrac12\|y^i - \hat y^i\|^2`); the
validation loss (data term only) and MSE; accuracy (Table 1); the Table 2 measure per hidden layer
(:func:`bregnet.metrics.linear_activation_rate`, the share of pre-activations with
:math:`z = \max(z, 0)`, on the training inputs; it describes ReLU layers); the code sparsity (share of
exact zeros of :math:`x_c`); and the PSNR of the denoised validation images (an extra).

Examples
--------
>>> p = classification((64, 16, 10))
>>> p.name, p.layer_sizes, [a.name for a in p.activations]
('classification', (64, 16, 10), ['relu', 'identity'])
>>> ae = sparse_autoencoder(64)
>>> ae.layer_sizes, ae.code_layer, ae.lifted().regulariser.alpha
((64, 64, 64, 64, 64), 2, 0.09)
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .activations import get as get_activation
from .activations.base import Activation
from .bregman import bregman_loss
from .datasets import Dataset, PAPER_NOISE_STD, denoising_inputs
from .exceptions import BregnetInputError
from .lifted import CodeRegulariser, LiftedProblem
from .metrics import accuracy, code_sparsity, linear_activation_rate_from_preactivations, psnr
from .network import Network, glorot_init, resolve_activations

__all__ = ["PROBLEM_NAMES", "Problem", "ProblemData", "classification", "regression", "sparse_autoencoder",
           "denoising_autoencoder", "undercomplete_autoencoder", "make_problem", "default_layer_sizes",
           "PAPER_ALPHA", "PAPER_CODE_THRESHOLD", "PAPER_UNDERCOMPLETE_CODE"]

#: Names of the problems (``bregnet train --problem`` takes all but ``"regression"``).
PROBLEM_NAMES = ("classification", "sparse-ae", "denoising-ae", "undercomplete-ae", "regression")
#: :math:`\alpha` of the sparse autoencoders, Sections 6.2 and 6.3 (Fashion-MNIST-1K).
PAPER_ALPHA = 0.09
#: Default threshold :math:`\beta` of the soft-thresholding code activation (not printed in the paper).
PAPER_CODE_THRESHOLD = 0.09
#: Code width of the undercomplete autoencoder of Section 6.3 (for 784 inputs).
PAPER_UNDERCOMPLETE_CODE = 70


@dataclass(frozen=True)
class ProblemData:
    """Training and validation arrays of a problem: inputs ``X`` and targets ``Y``, batch first.

    For classification ``Y`` holds one-hot rows; for the autoencoders the (clean) images; for the
    denoising autoencoder ``X_*`` are the noisy images.  ``X_val``/``Y_val`` may be ``None``.

    Examples
    --------
    >>> d = ProblemData(np.zeros((3, 2)), np.zeros((3, 2)))
    >>> d.n_train, d.has_validation
    (3, False)
    """

    X_train: np.ndarray
    Y_train: np.ndarray
    X_val: np.ndarray | None = None
    Y_val: np.ndarray | None = None
    label: str = ""
    clean_val: np.ndarray | None = None

    def __post_init__(self):
        if (self.X_val is None) != (self.Y_val is None):
            raise BregnetInputError("give both X_val and Y_val, or neither")

    @property
    def n_train(self) -> int:
        return int(np.shape(self.X_train)[0])

    @property
    def has_validation(self) -> bool:
        return self.X_val is not None


def _act(a, what: str = "activation") -> Activation:
    """An activation from a name or an Activation; BregnetInputError naming ``what`` (unknown or not proximal)."""
    if isinstance(a, Activation):
        return a
    if not isinstance(a, str):
        raise BregnetInputError(f"{what} must be an activation name or a bregnet Activation; got {type(a).__name__}")
    try:
        return get_activation(a)
    except (KeyError, ValueError, TypeError) as exc:
        raise BregnetInputError(f"{what}: {exc.args[0] if exc.args else exc}") from None


def _sizes(what: str, values, low: int = 2) -> tuple:
    """``values`` as a tuple of at least ``low`` positive ints; BregnetInputError naming ``what`` (a string such as
    ``"64,8,10"`` is not iterated and a float such as 8.5 is not truncated)."""
    ok = not isinstance(values, (str, bytes)) and np.iterable(values)
    vals = list(values) if ok else []
    ok = ok and len(vals) >= low and all(isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))
                                         and n > 0 for n in vals)
    if not ok:
        need = f"at least {low} positive integers" if low > 1 else "positive integers"
        raise BregnetInputError(f"{what} must be a sequence of {need}; got {values!r}")
    return tuple(int(n) for n in vals)


def _count(what: str, n) -> int:
    """A positive int (``n_features``, ``code``); BregnetInputError naming ``what`` otherwise."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise BregnetInputError(f"{what} must be a positive integer; got {n!r}")
    return int(n)


def _act_dict(a: Activation) -> dict:
    params = {f.name: getattr(a, f.name) for f in dataclasses.fields(a)} if dataclasses.is_dataclass(a) else {}
    return {"name": a.name, **{k: (float(v) if isinstance(v, (int, float, np.floating)) else repr(v))
                              for k, v in params.items()}}


@dataclass(frozen=True)
class Problem:
    r"""One of the problems (25)-(27) or the undercomplete autoencoder: architecture, energy, data, metrics.

    Build it with :func:`classification`, :func:`sparse_autoencoder`, :func:`denoising_autoencoder`,
    :func:`undercomplete_autoencoder` or :func:`make_problem`.

    Attributes
    ----------
    name : str
        One of :data:`PROBLEM_NAMES`.
    layer_sizes : tuple of int
        :math:`(n_0, \dots, n_L)`.
    activations : tuple of Activation
        :math:`\sigma_1, \dots, \sigma_L`.
    lambdas : tuple of float
        :math:`\lambda_1, \dots, \lambda_L` of the lifted energy (:math:`\lambda_L` weights the data term).
    l1 : CodeRegulariser or None
        :math:`\alpha\|x_c\|_1` on the code layer :math:`c` (26), (27).
    code_layer : int or None
        :math:`c`, the layer whose activations are the code (autoencoders).
    noise_std : float
        Standard deviation of the input noise (denoising autoencoder; 0 otherwise).
    """

    name: str
    layer_sizes: tuple
    activations: tuple
    lambdas: tuple
    l1: CodeRegulariser | None = None
    code_layer: int | None = None
    noise_std: float = 0.0

    def __post_init__(self):
        if self.name not in PROBLEM_NAMES:
            raise BregnetInputError(f"unknown problem {self.name!r}; choose one of {', '.join(PROBLEM_NAMES)}")
        sizes = _sizes("layer_sizes", self.layer_sizes)
        L = len(sizes) - 1
        try:
            acts = resolve_activations(self.activations, L)
        except (TypeError, ValueError, KeyError) as exc:
            raise BregnetInputError(str(exc)) from None
        lam = self.lambdas
        if lam is None or (np.isscalar(lam) and not isinstance(lam, (str, bytes))):
            lam = (1.0 if lam is None else lam,) * L
        lam = LiftedProblem(acts, lam, require_prox=False).lambdas        # validated, naming lambdas
        c = self.code_layer
        if c is not None and (isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer))
                              or not 1 <= c <= L - 1):
            raise BregnetInputError(f"code_layer must be a hidden layer 1..{L - 1}; got {self.code_layer!r}")
        noise = self.noise_std
        if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, (int, float, np.integer, np.floating)) \
                or not np.isfinite(noise) or noise < 0:
            raise BregnetInputError(f"noise_std must be a finite number >= 0; got {self.noise_std!r}")
        noise = float(noise)
        object.__setattr__(self, "layer_sizes", sizes)
        object.__setattr__(self, "activations", acts)
        object.__setattr__(self, "lambdas", lam)
        object.__setattr__(self, "noise_std", noise)
        if self.code_layer is not None:
            object.__setattr__(self, "code_layer", int(self.code_layer))
        self.lifted()                                  # validates lambdas and the regulariser

    # ------------------------------------------------------------------ structure
    @property
    def n_layers(self) -> int:
        """L, the number of affine layers."""
        return len(self.layer_sizes) - 1

    @property
    def supervised(self) -> bool:
        """True for classification and regression (given targets), False for the autoencoders."""
        return self.name in ("classification", "regression")

    @property
    def l1_alpha(self) -> float:
        r""":math:`\alpha` of the code regulariser (0 without one)."""
        return 0.0 if self.l1 is None else self.l1.alpha

    @property
    def l1_layer(self) -> int | None:
        """The regularised layer, or None."""
        return None if (self.l1 is None or self.l1.alpha == 0) else self.l1.layer

    def lifted(self) -> LiftedProblem:
        r"""The :class:`~bregnet.lifted.LiftedProblem` of the energy (25)-(27).

        Examples
        --------
        >>> sparse_autoencoder(8, alpha=0.5).lifted().regulariser
        CodeRegulariser(layer=2, alpha=0.5)
        """
        return LiftedProblem(self.activations, self.lambdas, self.l1)

    def network(self, seed=None, *, rng: np.random.Generator | None = None, dtype=np.float64) -> Network:
        """A Glorot-initialised network of this architecture (Section 6.1: "identically initialised").

        Examples
        --------
        >>> classification((4, 3, 2)).network(seed=0).layer_sizes
        (4, 3, 2)
        """
        return glorot_init(self.layer_sizes, self.activations, seed=seed, rng=rng, dtype=dtype)

    def check_network(self, network: Network) -> Network:
        """Raise BregnetInputError unless ``network`` has this problem's layer sizes and activations."""
        if not isinstance(network, Network):
            raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
        if network.layer_sizes != self.layer_sizes:
            raise BregnetInputError(f"network has layer sizes {network.layer_sizes}; the problem needs {self.layer_sizes}")
        if tuple(network.activations) != tuple(self.activations):
            raise BregnetInputError("network activations differ from the problem's "
                                    f"({[a.name for a in network.activations]} vs {[a.name for a in self.activations]})")
        return network

    def describe(self) -> dict:
        """A JSON-friendly description (for reports and ``metrics.json``).

        Examples
        --------
        >>> classification((4, 3, 2)).describe()["activations"][0]
        {'name': 'relu'}
        """
        return {"name": self.name, "layer_sizes": list(self.layer_sizes),
                "activations": [_act_dict(a) for a in self.activations], "lambdas": list(self.lambdas),
                "l1": None if self.l1 is None else {"layer": self.l1.layer, "alpha": self.l1.alpha},
                "code_layer": self.code_layer, "noise_std": self.noise_std,
                "data_term": f"B_Psi_L(y, z_L) of {self.activations[-1].name}"
                             + (" (= 1/2 |y - z_L|^2, the MSE)" if self.activations[-1].name == "identity" else "")}

    # ------------------------------------------------------------------ data
    def data(self, dataset: Dataset, *, seed=0) -> ProblemData:
        """Training inputs and targets from a dataset (Section 6; the dataset is centred by the caller).

        Classification: images and one-hot labels; autoencoders: images as inputs and targets;
        denoising: noisy images (``noise_std``, drawn from ``seed``) as inputs, clean images as targets.

        Examples
        --------
        >>> from bregnet.datasets import load
        >>> ds = load("digits", n_train=50, n_test=20, centre=True)
        >>> d = denoising_autoencoder(64).data(ds, seed=0)
        >>> d.X_train.shape, bool(np.allclose(d.X_train, d.Y_train, atol=1e-2)), bool((d.X_train != d.Y_train).any())
        ((50, 64), True, True)
        """
        if not isinstance(dataset, Dataset):
            raise BregnetInputError(f"dataset must be a bregnet.datasets.Dataset; got {type(dataset).__name__}")
        n0 = dataset.n_features
        if n0 != self.layer_sizes[0]:
            raise BregnetInputError(f"{dataset.label} has {n0} features; the network's input layer has "
                                    f"{self.layer_sizes[0]} (set the layer sizes from the data)")
        if self.name == "regression":
            raise BregnetInputError("the image datasets have no regression targets; pass ProblemData directly")
        if self.supervised:
            if dataset.n_classes != self.layer_sizes[-1]:
                raise BregnetInputError(f"{dataset.label} has {dataset.n_classes} classes; the output layer has "
                                        f"{self.layer_sizes[-1]} units")
            return ProblemData(dataset.X_train, dataset.Y_train, dataset.X_test, dataset.Y_test, dataset.label)
        if self.layer_sizes[-1] != n0:
            raise BregnetInputError(f"an autoencoder's output layer must have {n0} units (the input size); "
                                    f"got {self.layer_sizes[-1]}")
        if self.name == "denoising-ae":
            Xtr, Xte = denoising_inputs(dataset, std=self.noise_std, seed=seed)
            return ProblemData(Xtr, dataset.X_train, Xte, dataset.X_test, dataset.label)
        return ProblemData(dataset.X_train, dataset.X_train, dataset.X_test, dataset.X_test, dataset.label)

    # ------------------------------------------------------------------ metrics
    def _terms(self, network: Network, X, Y):
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            zs, xs = network.forward_all(X)
            Yc = np.asarray(Y, dtype=network.dtype)
            s = X.shape[0]
            if np.all(np.isfinite(zs[-1])):
                data = float(np.sum(bregman_loss(self.activations[-1], Yc, zs[-1]), dtype=np.float64)) / s
            else:                       # a blown-up network: an infinite loss, reported as divergence by the engine
                data = math.inf
            d = (xs[-1] - Yc).astype(np.float64)
            mse = float(0.5 * np.sum(d * d)) / s
        return zs, xs, data, mse

    def evaluate(self, network: Network, X, Y, X_val=None, Y_val=None) -> dict:
        r"""The metrics of one epoch (see the module docstring); ``None`` where a metric does not apply.

        Keys: ``objective`` (data term + :math:`\alpha\|x_c\|_1`, training data), ``data_loss``, ``mse``,
        ``val_loss``, ``val_mse``, ``accuracy``, ``val_accuracy``, ``code_sparsity``,
        ``val_code_sparsity``, ``linear_rate`` (list, one per hidden layer), ``val_psnr``.  A network whose output
        is not finite (a diverged run) gets ``objective``, ``data_loss`` and ``mse`` = inf and no other metric
        (likewise ``val_loss`` on the validation data), so the engine stops the run as diverged.

        Examples
        --------
        >>> p = classification((2, 3, 2))
        >>> net = p.network(seed=0)
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); Y = np.eye(2)
        >>> m = p.evaluate(net, X, Y)
        >>> sorted(k for k, v in m.items() if v is not None)
        ['accuracy', 'data_loss', 'linear_rate', 'mse', 'objective']
        """
        X = np.asarray(X)
        zs, xs, data, mse = self._terms(network, X, Y)
        out = dict.fromkeys(("objective", "data_loss", "mse", "val_loss", "val_mse", "accuracy", "val_accuracy",
                             "code_sparsity", "val_code_sparsity", "linear_rate", "val_psnr"))
        if not math.isfinite(data):                 # a blown-up network: the engine reports the divergence
            out.update(objective=math.inf, data_loss=math.inf, mse=math.inf)
            return out
        pen = 0.0
        if self.code_layer is not None:
            code = xs[self.code_layer]
            out["code_sparsity"] = code_sparsity(code)
            if self.l1_alpha > 0:
                pen = self.l1_alpha * float(np.sum(np.abs(code), dtype=np.float64)) / X.shape[0]
        out["objective"] = data + pen
        out["data_loss"] = data
        out["mse"] = mse
        if self.n_layers >= 2:
            out["linear_rate"] = [float(v) for v in linear_activation_rate_from_preactivations(zs[:-1])]
        if self.name == "classification":
            out["accuracy"] = accuracy(Y, xs[-1])
        if X_val is not None:
            Xv = np.asarray(X_val)
            _, xv, vdata, vmse = self._terms(network, Xv, Y_val)
            out["val_loss"] = vdata
            out["val_mse"] = vmse
            if not math.isfinite(vdata):
                return out
            if self.name == "classification":
                out["val_accuracy"] = accuracy(Y_val, xv[-1])
            if self.code_layer is not None:
                out["val_code_sparsity"] = code_sparsity(xv[self.code_layer])
            if self.name == "denoising-ae":
                try:
                    out["val_psnr"] = psnr(Y_val, xv[-1])
                except BregnetInputError:
                    out["val_psnr"] = None
        return out


# ---------------------------------------------------------------------------------- builders
def _hidden(name_or_act, n):
    return [_act(name_or_act, "hidden activation")] * n


def classification(layer_sizes: Sequence[int] = (784, 64, 64, 10), *, hidden="relu", output="identity",
                   lambdas=None) -> Problem:
    r"""Classification (25): ReLU hidden layers and, by default, the identity output (MSE on one-hot, Section 6.1).

    Parameters
    ----------
    layer_sizes : sequence of int
        :math:`(n_0, \dots, n_L)`; the paper's MNIST network is (784, 64, 64, 10).
    hidden : str or Activation
        Activation of every hidden layer (default ``"relu"``).
    output : str or Activation
        :math:`\sigma_L`; the data term is :math:`B_{\Psi_L}(y, z_L)` (``"identity"``: MSE;
        ``"softmax"``: cross-entropy).
    lambdas : float or sequence, optional
        :math:`\lambda_l` (default 1).

    Examples
    --------
    >>> [a.name for a in classification(output="softmax").activations]
    ['relu', 'relu', 'softmax']
    """
    sizes = _sizes("layer_sizes", layer_sizes)
    return Problem("classification", sizes, tuple(_hidden(hidden, len(sizes) - 2) + [_act(output, "output activation")]),
                   lambdas)


def regression(layer_sizes: Sequence[int], *, hidden="relu", output="identity", lambdas=None) -> Problem:
    r"""Regression with the energy (25): real targets, data term :math:`B_{\Psi_L}(y, z_L)` (identity: MSE).

    Examples
    --------
    >>> [a.name for a in regression((3, 8, 1)).activations]
    ['relu', 'identity']
    """
    sizes = _sizes("layer_sizes", layer_sizes)
    return Problem("regression", sizes, tuple(_hidden(hidden, len(sizes) - 2) + [_act(output, "output activation")]),
                   lambdas)


def _ae_sizes(n_features, hidden_sizes):
    n = _count("n_features", n_features)
    hs = (n, n, n) if hidden_sizes is None else _sizes("hidden_sizes", hidden_sizes, low=1)
    if len(hs) % 2 == 0:
        raise BregnetInputError(f"an autoencoder needs an odd number of hidden layers (the code is the middle one, "
                                f"x_(L/2)); got {len(hs)}: {list(hs)}")
    return (n, *hs, n)


def sparse_autoencoder(n_features: int = 784, hidden_sizes: Sequence[int] | None = None, *,
                       alpha: float = PAPER_ALPHA, threshold: float = PAPER_CODE_THRESHOLD, hidden="relu",
                       output="identity", lambdas=None) -> Problem:
    r"""Sparse autoencoder (26): code :math:`x_{L/2}` by soft-thresholding with :math:`\alpha\|x_{L/2}\|_1`.

    Parameters
    ----------
    n_features : int
        :math:`n_0 = n_L` (784 for MNIST).
    hidden_sizes : sequence of int, optional
        Widths of the hidden layers, an odd number of them; default ``(n, n, n)`` (Section 6.2: 784
        everywhere, "no explicit reduction in dimension", :math:`L = 4`).
    alpha : float
        :math:`\alpha \ge 0` (0.09 in Section 6.2).
    threshold : float
        :math:`\beta > 0` of the code activation :math:`\sigma_{L/2} = \operatorname{prox}_{\beta\|\cdot\|_1}`
        (not printed in the paper; default 0.09).
    hidden, output : str or Activation
        The other hidden layers (ReLU) and the output (identity; see the module docstring).

    Examples
    --------
    >>> p = sparse_autoencoder(784)
    >>> [a.name for a in p.activations], p.l1
    (['relu', 'soft_threshold', 'relu', 'identity'], CodeRegulariser(layer=2, alpha=0.09))
    """
    sizes = _ae_sizes(n_features, hidden_sizes)
    L = len(sizes) - 1
    c = L // 2
    acts = _hidden(hidden, L - 1)
    try:
        acts[c - 1] = get_activation("soft_threshold", alpha=threshold)
    except (TypeError, ValueError):
        raise BregnetInputError(f"threshold must be a finite number > 0 (the beta of the code's soft-thresholding); "
                                f"got {threshold!r}") from None
    acts.append(_act(output, "output activation"))
    return Problem("sparse-ae", sizes, tuple(acts), lambdas, CodeRegulariser(c, alpha), c)


def denoising_autoencoder(n_features: int = 784, hidden_sizes: Sequence[int] | None = None, *,
                          alpha: float = PAPER_ALPHA, threshold: float = PAPER_CODE_THRESHOLD,
                          noise_std: float = PAPER_NOISE_STD, hidden="relu", output="identity",
                          lambdas=None) -> Problem:
    r"""Sparse denoising autoencoder (27): :func:`sparse_autoencoder` trained on noisy inputs, clean targets.

    ``noise_std`` is :math:`\sigma` of the Gaussian pixel noise (:math:`10^{-3}` as printed in Section 6.3).

    Examples
    --------
    >>> denoising_autoencoder(64, noise_std=0.1).noise_std
    0.1
    """
    p = sparse_autoencoder(n_features, hidden_sizes, alpha=alpha, threshold=threshold, hidden=hidden,
                           output=output, lambdas=lambdas)
    return dataclasses.replace(p, name="denoising-ae", noise_std=noise_std)


def undercomplete_autoencoder(n_features: int = 784, hidden_sizes: Sequence[int] | None = None, *,
                              code: int | None = None, hidden="relu", output="identity", lambdas=None) -> Problem:
    r"""Undercomplete autoencoder of Section 6.3: ReLU hidden layers, a narrow code, no regulariser.

    Default sizes :math:`(n, n, c, n, n)` with :math:`c = 70` for :math:`n = 784` (:math:`W_2 \in
    \mathbb R^{784\times70}`, :math:`W_3 \in \mathbb R^{70\times784}`) and :math:`c = \operatorname{round}(70n/784)`
    otherwise (e.g. 6 for the 64-pixel digits).

    Examples
    --------
    >>> undercomplete_autoencoder(784).layer_sizes
    (784, 784, 70, 784, 784)
    >>> undercomplete_autoencoder(64).layer_sizes
    (64, 64, 6, 64, 64)
    """
    n = _count("n_features", n_features)
    if hidden_sizes is None:
        c = _count("code", code) if code is not None else max(1, round(PAPER_UNDERCOMPLETE_CODE * n / 784))
        hidden_sizes = (n, c, n)
    sizes = _ae_sizes(n, hidden_sizes)
    L = len(sizes) - 1
    return Problem("undercomplete-ae", sizes, tuple(_hidden(hidden, L - 1) + [_act(output, "output activation")]),
                   lambdas, None, L // 2)


def default_layer_sizes(name: str, n_features: int, n_classes: int | None = None) -> tuple:
    """The paper's architecture of problem ``name`` scaled to ``n_features`` inputs.

    Examples
    --------
    >>> default_layer_sizes("classification", 784, 10), default_layer_sizes("sparse-ae", 64)
    ((784, 64, 64, 10), (64, 64, 64, 64, 64))
    """
    if name == "classification":
        if n_classes is None:
            raise BregnetInputError("classification needs the number of classes")
        return (int(n_features), 64, 64, int(n_classes))
    if name in ("sparse-ae", "denoising-ae"):
        return _ae_sizes(n_features, None)
    if name == "undercomplete-ae":
        return undercomplete_autoencoder(n_features).layer_sizes
    raise BregnetInputError(f"unknown problem {name!r}; choose one of {', '.join(PROBLEM_NAMES)}")


def make_problem(name: str, layer_sizes: Sequence[int], **options) -> Problem:
    """Build problem ``name`` (one of :data:`PROBLEM_NAMES`) with full layer sizes ``(n_0, ..., n_L)``.

    ``options`` go to the builder (``output``, ``hidden``, ``alpha``, ``threshold``, ``noise_std``,
    ``lambdas``).

    Examples
    --------
    >>> make_problem("undercomplete-ae", (64, 32, 8, 32, 64)).code_layer
    2
    >>> make_problem("sparse-ae", (64, 32, 16, 64))
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: an autoencoder needs an odd number of hidden layers (the code is the middle one, x_(L/2)); got 2: [32, 16]
    """
    sizes = tuple(int(n) for n in layer_sizes)
    if name == "classification":
        return classification(sizes, **options)
    if name == "regression":
        return regression(sizes, **options)
    if name not in PROBLEM_NAMES:
        raise BregnetInputError(f"unknown problem {name!r}; choose one of {', '.join(PROBLEM_NAMES)}")
    if sizes[0] != sizes[-1]:
        raise BregnetInputError(f"an autoencoder's first and last layer sizes must agree; got {sizes}")
    builder = {"sparse-ae": sparse_autoencoder, "denoising-ae": denoising_autoencoder,
               "undercomplete-ae": undercomplete_autoencoder}[name]
    return builder(sizes[0], sizes[1:-1], **options)
