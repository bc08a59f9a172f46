"""bregnet.jax: values equal bregnet's NumPy ones, the Lemma 8 gradient is a custom VJP, the laws run on JAX arrays.

Skipped (never failing) where JAX is not installed.  Enables float64 (jax_enable_x64) for the session.
"""
import subprocess
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import bregnet.jax as bj  # noqa: E402
from bregnet.activations import get  # noqa: E402
from bregnet.bregman import bregman_grad  # noqa: E402
from bregnet.testing import laws  # noqa: E402

from _adapter_checks import ACTIVATIONS, ULPS, outside_points, points, reference, ulp_distance  # noqa: E402

NO_X_GRADIENT = {"bent_identity", "hard_sigmoid", "softsign", "celu", "log_sigmoid", "sparsemax", "entmax15",
                 "entmax", "squash", "block_soft_threshold"}


def adapter_values(act, x, z):
    @jax.jit
    def values(xj, zj):
        B = bj.bregman_loss(act, xj, zj)
        gz = jax.grad(lambda v: bj.bregman_loss(act, xj, v).sum())(zj)
        return dict(sigma=bj.sigma(act, zj), psi=bj.psi(act, xj), phi_star=bj.phi_star(act, zj), bregman=B, grad_z=gz)

    return values(jnp.asarray(x), jnp.asarray(z))


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_values_and_lemma8_gradient_equal_bregnet(name, np_dtype):
    act = get(name)
    z, x = points(act, np_dtype)
    got = adapter_values(act, x, z)
    for key, (ref, scale) in reference(act, x, z).items():
        assert got[key].dtype == np_dtype, key
        d = ulp_distance(np.asarray(got[key]), ref, scale, np_dtype)
        assert d <= ULPS, f"{name} {key}: {d:.1f} ulps from bregnet's NumPy value"


@pytest.mark.parametrize("name", ["relu", "tanh", "asinh", "softmax", "sparsemax"])
def test_jit_and_vmap(name):
    act = get(name)
    z, x = points(act, np.float64, m=6, n=3)
    f = lambda x, z: bj.bregman_loss(act, x, z)  # noqa: E731
    direct = np.asarray(f(jnp.asarray(x), jnp.asarray(z)))               # eager; jit may fuse and reorder
    assert np.allclose(np.asarray(jax.jit(f)(jnp.asarray(x), jnp.asarray(z))), direct, rtol=1e-14, atol=1e-15)
    vm = np.asarray(jax.vmap(f)(jnp.asarray(x[:, None]), jnp.asarray(z[:, None])))[:, 0]
    assert np.allclose(vm, direct, rtol=1e-14, atol=1e-15)
    g = jax.jit(jax.grad(lambda v: f(jnp.asarray(x), v).sum()))(jnp.asarray(z))
    assert np.allclose(np.asarray(g), bregman_grad(act, x, z), atol=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_plus_infinity_outside_the_domain(name):
    act = get(name)
    x = outside_points(act, np.float64)
    if x is None:
        pytest.skip(f"dom Psi of {name} is the whole space")
    assert np.all(np.isposinf(np.asarray(bj.psi(act, jnp.asarray(x)))))
    assert np.all(np.isposinf(np.asarray(bj.bregman_loss(act, jnp.asarray(x), jnp.zeros_like(x)))))


def printed_relu_loss(x, z):
    return 0.5 * ((x - jax.nn.relu(z)) ** 2).sum(-1) + (x * jax.nn.relu(-z)).sum(-1)


def test_relu_kink_custom_gradient_is_minus_x_where_plain_autograd_gives_zero():
    x = jnp.array([[0.5, 2.0, 1.0]])
    z = jnp.zeros((1, 3))
    custom = jax.grad(lambda v: bj.bregman_loss("relu", x, v).sum())(z)
    plain = jax.grad(lambda v: printed_relu_loss(x, v).sum())(z)
    assert custom.tolist() == (-x).tolist()
    assert plain.tolist() == [[0.0, 0.0, 0.0]]
    assert np.array_equal(np.asarray(bj.bregman_loss("relu", x, z)), np.asarray(printed_relu_loss(x, z)))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradients_equal_finite_differences_at_smooth_points(name):
    act = get(name)
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 4))
    x = act.prox(rng.standard_normal((3, 4))) * (0.9 if act.separable else 1.0)
    if name in ("relu", "nonneg_soft_threshold"):
        x = x + 0.25
    f = jax.jit(lambda x, z: bj.bregman_loss(act, x, z).sum())
    gx, gz = jax.jit(jax.grad(f, argnums=(0, 1)))(jnp.asarray(x), jnp.asarray(z))
    h = 1e-6
    for i in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[i] = h
        fd = (f(x, z + e) - f(x, z - e)) / (2 * h)
        assert abs(float(gz[i]) - float(fd)) <= 1e-6 * (1 + abs(float(fd)))
        if name not in NO_X_GRADIENT and act.separable:
            fdx = (f(x + e / 10, z) - f(x - e / 10, z)) / (2 * h / 10)
            assert abs(float(gx[i]) - float(fdx)) <= 1e-5 * (1 + abs(float(fdx))), name
    if name in NO_X_GRADIENT:
        assert np.all(np.isnan(np.asarray(gx)))                      # documented: no closed-form psi'
    elif not act.separable:                                          # softmax: tangent to the simplex
        assert np.allclose(np.asarray(gx).sum(-1), 0.0, atol=1e-12)


def test_x_gradient_at_the_boundary_and_outside_the_domain():
    z = jnp.full((1, 3), 0.5)
    gx = jax.grad(lambda x: bj.bregman_loss("relu", x, z).sum())(jnp.array([[0.0, 1.0, -1.0]]))
    assert float(gx[0, 0]) == -0.5 and float(gx[0, 1]) == 0.5 and np.isnan(float(gx[0, 2]))
    gt = jax.grad(lambda x: bj.bregman_loss("tanh", x, z).sum())(jnp.array([[1.0, -1.0, 0.0]]))
    assert gt.tolist()[0][:2] == [np.inf, -np.inf] and float(gt[0, 2]) == -0.5


@pytest.mark.parametrize("name", ["tanh", "softplus", "relu", "softmax", "sparsemax", "asinh"])
def test_sigma_and_phi_star_gradients(name):
    act = get(name)
    rng = np.random.default_rng(5)
    z = jnp.asarray(rng.standard_normal((2, 3)))
    g = jax.grad(lambda v: bj.phi_star(act, v).sum())(z)                  # eq. (15)
    assert ulp_distance(np.asarray(g), act.prox(np.asarray(z)), 1.0, np.float64) <= ULPS
    v = rng.standard_normal((2, 3))
    j = jax.grad(lambda w: (bj.sigma(act, w) * v).sum())(z)
    assert np.allclose(np.asarray(j), act.vjp(np.asarray(z), v), atol=1e-12)


def test_float32_kept_and_negative_strides_through_the_numpy_adapter():
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    out = bj.bregman_loss("tanh", jnp.asarray(np.tanh(z), dtype=jnp.float32), jnp.asarray(z, dtype=jnp.float32))
    assert out.dtype == jnp.float32
    c = bj.law_callables("tanh")
    assert c.sigma(z[::-1, ::-1]).tolist() == np.asarray(jnp.tanh(jnp.asarray(z[::-1, ::-1].copy()))).tolist()
    laws.check_three_point_inequality(c.prox, c.psi, z, z[::-1])


def test_bad_inputs_are_named():
    x = jnp.zeros((1, 2))
    with pytest.raises(TypeError, match="float32 or float64"):
        bj.sigma("relu", jnp.zeros((1, 2), dtype=jnp.int32))
    with pytest.raises(ValueError, match="same last"):
        bj.bregman_loss("relu", x, jnp.zeros((1, 3)))
    with pytest.raises(TypeError, match="activation must be"):
        bj.sigma(3, x)


def test_missing_jax_gives_an_import_error_naming_the_extra():
    code = "import sys; sys.modules['jax'] = None\ntry:\n import bregnet.jax\nexcept ImportError as e:\n print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'bregnet[jax]'" in out


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_laws_hold_for_the_adapter(name, np_dtype):
    act = get(name)
    c = bj.law_callables(act)
    ref = laws.activation_callables(act)
    z, x = points(act, np_dtype, m=12, n=3)
    laws.check_bregman_definition(c.bregman, ref.psi, ref.phi_star, x, z)
    laws.check_theorem10_item6(c.bregman, c.sigma, x, z, grad=c.grad)
    laws.check_theorem10_item7(c.bregman, c.sigma, x, z)
    laws.check_theorem10_item11(c.grad, x, z, z[::-1].copy())
    laws.check_conjugate_gradient(c.phi_star, c.sigma, z)


def wrong_tanh_energy(x, z):
    """A user's tanh energy with the wrong logits (z instead of 2z) in the binary cross-entropy."""
    p = (1 + x) / 2
    return jnp.sum(jax.scipy.special.xlogy(p, p) + jax.scipy.special.xlogy(1 - p, 1 - p)
                   + jax.nn.softplus(z) - p * z, axis=-1)


def test_a_wrong_user_energy_is_rejected_by_the_laws_through_the_adapter():
    ref = laws.activation_callables(get("tanh"))
    rng = np.random.default_rng(1)
    x, z = np.tanh(rng.standard_normal((8, 3))), rng.standard_normal((8, 3))
    with pytest.raises(laws.LawViolation, match="eq. \\(12\\)"):
        laws.check_bregman_definition(bj.as_numpy_callable(wrong_tanh_energy), ref.psi, ref.phi_star, x, z)
