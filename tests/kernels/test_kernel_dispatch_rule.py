"""One rule, on the exact class, decides whether an activation has a compiled kernel (issue 11).

Both kernel families follow it: :func:`bregnet.kernels.kernel_for` (the activation kernels) and
:func:`bregnet.kernels.lifted.activation_code` (the fused kernels of Algorithm 1, which ``lbn_s`` uses by
default when every activation has a code).  A subclass of ReLU that shifts :math:`\\sigma` but keeps the
name ``"relu"`` used to get the plain ReLU code, so ``lbn_s`` trained it with the wrong activation; now it
gets ``None`` and ``lbn_s`` falls back to the NumPy twin.
"""
import numpy as np
import pytest

from bregnet.activations import get
from bregnet.activations.base import as_float_array, check_step
from bregnet.activations.identity import Identity
from bregnet.activations.rectifiers import ReLU
from bregnet.activations.thresholding import SoftThreshold
from bregnet.kernels import kernel_for
from bregnet.kernels.lifted import activation_code
from bregnet.lifted import LiftedProblem
from bregnet.network import glorot_init
from bregnet.solvers import lbn_s
from bregnet.solvers.implicit_stochastic import kernel_supported


class Shifted(ReLU):
    r"""ReLU shifted right by 1/2 under the name ``"relu"``: :math:`\Psi(x) = x/2 + \chi_{\ge 0}(x)`.

    :math:`\operatorname{prox}_{t\Psi}(z) = \max(z - t/2, 0)`; ``psi`` and ``conjugate`` are made to
    match, so that the energies of the NumPy twin are those of this activation.
    """

    def prox(self, z, step=1.0):
        z = as_float_array(z)
        return np.maximum(z - z.dtype.type(0.5 * check_step(step)), 0)

    def _psi(self, x):
        return np.where(x >= 0, 0.5 * np.maximum(x, 0), np.inf).astype(x.dtype)

    def _phi_star(self, z):
        s = np.maximum(z - z.dtype.type(0.5), 0)
        return 0.5 * s * s


def _data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(12, 3)), rng.normal(size=(12, 2))


def _train(hidden, **kw):
    net = glorot_init([3, 4, 2], [hidden, get("identity")], seed=0, bias=0.1)
    X, Y = _data()
    return lbn_s(net, X, Y, epochs=2, batch_size=6, n_inner=3, seed=0, **kw)


def _params(result):
    return [*result.network.weights, *result.network.biases]


def test_shifted_relu_has_no_kernel_code():
    act = Shifted()
    assert act.name == "relu"
    assert activation_code(act) is None
    assert kernel_for(act) is None
    net = glorot_init([3, 4, 2], [act, get("identity")], seed=0)
    assert not kernel_supported(LiftedProblem.from_network(net))


def test_lbn_s_trains_the_shifted_relu_with_its_own_sigma():
    default = _train(Shifted())
    twin = _train(Shifted(), use_kernel=False)
    for a, b in zip(_params(default), _params(twin)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(default.history.energy, twin.history.energy)
    # the plain ReLU (what the name-keyed table used to hand the subclass) trains to something else
    plain = _train(get("relu"), use_kernel=False)
    assert not all(np.allclose(a, b) for a, b in zip(_params(default), _params(plain)))


@pytest.mark.parametrize("act, code", [
    (get("identity"), (0, 0.0)),
    (get("relu"), (1, 0.0)),
    (get("soft_threshold"), (2, 1.0)),
    (get("soft_threshold", alpha=0.3), (2, 0.3)),
])
def test_registered_activations_keep_their_codes(act, code):
    assert activation_code(act) == code
    assert kernel_for(act) is not None


@pytest.mark.parametrize("parent", [Identity, ReLU, SoftThreshold])
def test_both_kernel_families_refuse_every_subclass(parent):
    sub = type(f"Sub{parent.__name__}", (parent,), {})      # not even changing anything is enough
    assert sub.name == parent.name
    assert activation_code(sub()) is None
    assert kernel_for(sub()) is None


@pytest.mark.parametrize("name", ["sparsemax", "entmax15", "squash", "block_soft_threshold"])
def test_activations_without_a_fused_kernel_get_none(name):
    assert activation_code(get(name)) is None
