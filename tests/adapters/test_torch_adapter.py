"""bregnet.torch: values equal bregnet's NumPy ones, the Lemma 8 gradient is built in, the laws run on torch tensors.

Skipped (never failing) where torch is not installed.
"""
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import bregnet.torch as bt  # noqa: E402
from bregnet.activations import get  # noqa: E402
from bregnet.bregman import bregman_grad  # noqa: E402
from bregnet.testing import laws  # noqa: E402

from _adapter_checks import ACTIVATIONS, ULPS, outside_points, points, reference, ulp_distance  # noqa: E402

DTYPES = [(np.float64, torch.float64), (np.float32, torch.float32)]
NO_X_GRADIENT = {"bent_identity", "hard_sigmoid", "softsign", "celu", "log_sigmoid", "sparsemax", "entmax15",
                 "entmax", "squash", "block_soft_threshold"}


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def adapter_values(act, x, z):
    xt, zt = T(x), T(z).requires_grad_(True)
    B = bt.bregman_loss(act, xt, zt)
    (gz,) = torch.autograd.grad(B.sum(), zt)
    return dict(sigma=bt.sigma(act, zt), psi=bt.psi(act, xt), phi_star=bt.phi_star(act, zt), bregman=B, grad_z=gz)


@pytest.mark.parametrize("np_dtype,torch_dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_values_and_lemma8_gradient_equal_bregnet(name, np_dtype, torch_dtype):
    act = get(name)
    z, x = points(act, np_dtype)
    got = adapter_values(act, x, z)
    for key, (ref, scale) in reference(act, x, z).items():
        assert got[key].dtype == torch_dtype, key
        d = ulp_distance(got[key].detach().numpy(), ref, scale, np_dtype)
        assert d <= ULPS, f"{name} {key}: {d:.1f} ulps from bregnet's NumPy value"


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_plus_infinity_outside_the_domain(name):
    act = get(name)
    x = outside_points(act, np.float64)
    if x is None:
        pytest.skip(f"dom Psi of {name} is the whole space")
    z = np.zeros_like(x)
    assert np.all(np.isposinf(bt.psi(act, T(x)).numpy()))
    assert np.all(np.isposinf(bt.bregman_loss(act, T(x), T(z)).numpy()))


# ----------------------------------------------------------------------------- the ReLU-kink trap
def printed_relu_loss(x, z):
    """Example 2's ReLU loss as printed, differentiated by plain autograd (the trap)."""
    return 0.5 * ((x - torch.relu(z)) ** 2).sum(-1) + (x * torch.relu(-z)).sum(-1)


def test_relu_kink_custom_gradient_is_minus_x_where_plain_autograd_gives_zero():
    x = torch.tensor([[0.5, 2.0, 1.0]], dtype=torch.float64)
    z = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    (custom,) = torch.autograd.grad(bt.bregman_loss("relu", x, z).sum(), z)
    (plain,) = torch.autograd.grad(printed_relu_loss(x, z).sum(), z)
    assert custom.tolist() == (-x).tolist()                      # sigma(0) - x (Lemma 8)
    assert plain.tolist() == [[0.0, 0.0, 0.0]]                   # relu'(0) = 0 in both terms
    assert custom.tolist() == bregman_grad(get("relu"), x.numpy(), z.detach().numpy()).tolist()
    # the values agree: only the derivative of the printed expression is wrong
    assert torch.equal(bt.bregman_loss("relu", x, z), printed_relu_loss(x, z))


def test_plain_autograd_of_the_printed_relu_loss_fails_the_gradient_law():
    x, z = np.array([[0.5, 2.0]]), np.array([[0.0, 0.0]])
    c = bt.law_callables("relu")

    def plain_grad(x, z):
        z = z.clone().requires_grad_(True)
        return torch.autograd.grad(printed_relu_loss(x, z).sum(), z)[0]

    assert laws.check_theorem10_item6(c.bregman, c.sigma, x, z, grad=c.grad) == 0.0
    with pytest.raises(laws.LawViolation, match="Lemma 8"):
        laws.check_theorem10_item6(c.bregman, c.sigma, x, z, grad=bt.as_numpy_callable(plain_grad))


# ----------------------------------------------------------------------------- gradients
def central_difference(f, a, h):
    """Gradient of sum(f(a)) by central differences, entry by entry (float64)."""
    g = torch.zeros_like(a)
    flat = a.reshape(-1)
    for i in range(flat.numel()):
        e = torch.zeros_like(flat)
        e[i] = h
        g.reshape(-1)[i] = (f((flat + e).reshape(a.shape)).sum() - f((flat - e).reshape(a.shape)).sum()) / (2 * h)
    return g


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradients_equal_finite_differences_at_smooth_points(name):
    act = get(name)
    rng = np.random.default_rng(3)
    z = T(rng.standard_normal((3, 4)))
    x = T(act.prox(rng.standard_normal((3, 4))) * (0.9 if act.separable else 1.0))   # interior for the boxes
    if name in ("relu", "nonneg_soft_threshold"):
        x = x + 0.25
    zz = z.clone().requires_grad_(True)
    xx = x.clone().requires_grad_(name not in NO_X_GRADIENT)
    B = bt.bregman_loss(act, xx, zz)
    wrt = (zz, xx) if xx.requires_grad else (zz,)
    grads = torch.autograd.grad(B.sum(), wrt)
    fd_z = central_difference(lambda v: bt.bregman_loss(act, x, v), z, 1e-6)
    assert torch.allclose(grads[0], fd_z, atol=1e-6, rtol=1e-6)
    if xx.requires_grad and act.separable:
        fd_x = central_difference(lambda v: bt.bregman_loss(act, v, z), x, 1e-7)
        assert torch.allclose(grads[1], fd_x, atol=1e-5, rtol=1e-5), name
    if xx.requires_grad and not act.separable:          # softmax: the least-norm element, tangent to the simplex
        assert torch.allclose(grads[1].sum(-1), torch.zeros(3, dtype=torch.float64), atol=1e-12)
        d = T(rng.standard_normal((3, 4)))
        d = d - d.mean(-1, keepdim=True)
        h = 1e-6
        fd = (bt.bregman_loss(act, x + h * d, z) - bt.bregman_loss(act, x - h * d, z)) / (2 * h)
        assert torch.allclose((grads[1] * d).sum(-1), fd, atol=1e-6)


def test_x_gradient_at_the_boundary_and_outside_the_domain():
    x = torch.tensor([[0.0, 1.0, -1.0]], dtype=torch.float64, requires_grad=True)
    z = torch.tensor([[0.5, 0.5, 0.5]], dtype=torch.float64)
    (gx,) = torch.autograd.grad(bt.bregman_loss("relu", x, z).sum(), x)
    assert gx[0, 0] == -0.5 and gx[0, 1] == 0.5 and torch.isnan(gx[0, 2])   # one-sided limit; NaN outside
    xt = torch.tensor([[1.0, -1.0, 0.0]], dtype=torch.float64, requires_grad=True)
    (gt,) = torch.autograd.grad(bt.bregman_loss("tanh", xt, z).sum(), xt)
    assert gt.tolist()[0][:2] == [np.inf, -np.inf] and gt[0, 2] == -0.5


def test_x_gradient_is_refused_without_a_closed_form_psi_prime():
    x = torch.tensor([[0.25, 0.75]], dtype=torch.float64, requires_grad=True)
    z = torch.zeros(1, 2, dtype=torch.float64)
    with pytest.raises(NotImplementedError, match="sparsemax"):
        bt.bregman_loss("sparsemax", x, z).sum().backward()
    zz = z.clone().requires_grad_(True)
    bt.bregman_loss("sparsemax", x.detach(), zz).sum().backward()          # the z-gradient needs no psi'
    assert zz.grad.tolist() == [[0.25, -0.25]]


@pytest.mark.parametrize("name", ["tanh", "softplus", "relu", "softmax", "sparsemax", "asinh"])
def test_sigma_phi_star_and_psi_gradients(name):
    act = get(name)
    rng = np.random.default_rng(5)
    z = T(rng.standard_normal((2, 3))).requires_grad_(True)
    (g,) = torch.autograd.grad(bt.phi_star(act, z).sum(), z)                # eq. (15)
    assert ulp_distance(g.numpy(), act.prox(z.detach().numpy()), 1.0, np.float64) <= ULPS
    v = T(rng.standard_normal((2, 3)))
    (j,) = torch.autograd.grad((bt.sigma(act, z) * v).sum(), z)            # the vjp of sigma
    assert np.allclose(j.numpy(), act.vjp(z.detach().numpy(), v.numpy()), atol=1e-12)


# ----------------------------------------------------------------------------- dtypes, strides, module, errors
@pytest.mark.parametrize("name", ["relu", "tanh", "softmax", "asinh", "sparsemax"])
def test_dtype_and_device_kept_and_non_contiguous_input(name):
    base = torch.randn(4, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    z = base[:, ::2]                                   # non-contiguous view
    assert not z.is_contiguous()
    x = bt.sigma(name, base.t().contiguous().t()[:, 1::2].contiguous())
    for dt in (torch.float32, torch.float64):
        out = bt.bregman_loss(name, x.to(dt), z.to(dt))
        assert out.dtype == dt and out.device == z.device
        ref = bt.bregman_loss(name, x.to(dt), z.to(dt).contiguous())
        assert torch.equal(out, ref)


def test_negative_strides_through_the_numpy_adapter():
    c = bt.law_callables("tanh")
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    assert c.sigma(z[::-1, ::-1]).tolist() == torch.tanh(T(z[::-1, ::-1].copy())).tolist()
    laws.check_three_point_inequality(c.prox, c.psi, z, z[::-1])            # the laws pass z[::-1]


def test_bregman_loss_module_reductions():
    x = torch.tensor([[0.5], [0.0]], dtype=torch.float64)
    z = torch.tensor([[-1.0], [1.0]], dtype=torch.float64)
    per_row = bt.BregmanLoss("relu", reduction="none")(x, z)
    assert per_row.tolist() == [0.625, 0.5]
    assert float(bt.BregmanLoss("relu", reduction="sum")(x, z)) == 1.125
    assert float(bt.BregmanLoss("relu")(x, z)) == 0.5625
    assert "softplus(beta=2.0)" in repr(bt.BregmanLoss("softplus", beta=2.0))


def test_bad_inputs_are_named():
    x = torch.zeros(1, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="z must be a torch.Tensor"):
        bt.bregman_loss("relu", x, np.zeros((1, 2)))
    with pytest.raises(TypeError, match="float32 or float64"):
        bt.sigma("relu", torch.zeros(1, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="same last"):
        bt.bregman_loss("relu", x, torch.zeros(1, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="same dtype"):
        bt.bregman_loss("relu", x, torch.zeros(1, 2, dtype=torch.float32))
    with pytest.raises(ValueError, match="reduction"):
        bt.BregmanLoss("relu", reduction="avg")
    with pytest.raises(TypeError, match="activation must be"):
        bt.sigma(3, x)


def test_missing_torch_gives_an_import_error_naming_the_extra():
    code = "import sys; sys.modules['torch'] = None\ntry:\n import bregnet.torch\nexcept ImportError as e:\n print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'bregnet[torch]'" in out


# ----------------------------------------------------------------------------- the laws on the adapter
@pytest.mark.parametrize("np_dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_laws_hold_for_the_adapter(name, np_dtype):
    act = get(name)
    c = bt.law_callables(act)
    ref = laws.activation_callables(act)
    z, x = points(act, np_dtype, m=12, n=3)
    z2 = z[::-1].copy()
    laws.check_bregman_definition(c.bregman, ref.psi, ref.phi_star, x, z)
    laws.check_theorem10_item6(c.bregman, c.sigma, x, z, grad=c.grad)
    laws.check_theorem10_item7(c.bregman, c.sigma, x, z)
    laws.check_corollary6(c.bregman, c.sigma, x, z)
    laws.check_theorem10_item11(c.grad, x, z, z2)
    laws.check_lemma4_fenchel_young(c.sigma, c.psi, c.phi_star, z, x)
    laws.check_conjugate_gradient(c.phi_star, c.sigma, z)


class WrongTanhLayer(torch.nn.Module):
    """A user's tanh Bregman loss with a wrong sign on <x, z>: B = sum 1/2 log((1-x^2)/(1-tanh^2 z)) + x(atanh x + z)."""

    def forward(self, x, z):
        return (0.5 * torch.log((1 - x * x) / (1 - torch.tanh(z) ** 2)) + x * (torch.atanh(x) + z)).sum(-1)


def test_a_wrong_user_module_is_rejected_by_the_laws_through_the_adapter():
    act = get("tanh")
    ref = laws.activation_callables(act)
    rng = np.random.default_rng(1)
    x, z = np.tanh(rng.standard_normal((8, 3))), rng.standard_normal((8, 3))
    wrong = bt.as_numpy_callable(WrongTanhLayer())
    with pytest.raises(laws.LawViolation, match="eq. \\(12\\)"):
        laws.check_bregman_definition(wrong, ref.psi, ref.phi_star, x, z)
    with pytest.raises(laws.LawViolation):
        laws.check_theorem10_item7(wrong, ref.sigma, x, z)
