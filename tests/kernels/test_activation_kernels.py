"""The compiled activation kernels (bregnet.kernels) equal their NumPy twins.

Twins: ``activation.prox`` (sigma and prox_{t Psi}, eq. (9)), :func:`bregnet.bregman.bregman_loss`
(eq. (12)) and :func:`bregnet.bregman.bregman_grad` (Lemma 8).  Inputs reach the hard places:
ties at 0 and +-alpha, |z| = 1e8, tiny z, x on the domain boundary (x_j = 0 for ReLU, |x_j| = 1 for
tanh, the faces of the simplex for softmax), on the graph x = sigma(z), and outside the domain.
float64 is compared at rtol 1e-12, float32 at rtol 1e-5; every output keeps the input dtype.
"""
import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bregnet.activations import get
from bregnet.activations.rectifiers import ReLU
from bregnet.bregman import bregman_grad, bregman_loss
from bregnet.kernels import ActivationKernels, kernel_for, kernel_names
from bregnet.kernels.activations import tanh_prox_scalar

DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 1e-5}
# below these, float32 results are denormal in the twin and have no relative accuracy
TINY = {np.float64: 1e-300, np.float32: 1e-36}
ACTIVATIONS = [
    ("relu", {}),
    ("soft_threshold", {"alpha": 1.0}),
    ("soft_threshold", {"alpha": 0.3}),
    ("identity", {}),
    ("tanh", {}),
    ("softmax", {"temperature": 1.0}),
    ("softmax", {"temperature": 2.5}),
]
IDS = [f"{n}{'-' + '-'.join(f'{k}={v}' for k, v in p.items()) if p else ''}" for n, p in ACTIVATIONS]
N = 6  # features


# ---------------------------------------------------------------------------- comparison
def assert_twin(kernel, twin, dtype, scale=0.0):
    """Kernel output equals the twin's: same dtype and shape, same infinities, and
    |k - t| <= rtol (|t| + scale) + tiny elementwise.  ``scale`` is the size of the terms a sum
    was built from (so that rounding in a cancellation is judged against them)."""
    kernel = np.asarray(kernel)
    twin = np.asarray(twin)
    assert kernel.dtype == np.dtype(dtype), f"kernel dtype {kernel.dtype}, expected {np.dtype(dtype)}"
    assert kernel.shape == twin.shape, f"shapes {kernel.shape} != {twin.shape}"
    assert not np.any(np.isnan(kernel)), "kernel returned NaN"
    k_inf, t_inf = np.isinf(kernel), np.isinf(twin)
    assert np.array_equal(k_inf, t_inf) and np.array_equal(kernel[k_inf], twin[t_inf]), \
        f"infinities differ: kernel {np.argwhere(k_inf).tolist()}, twin {np.argwhere(t_inf).tolist()}"
    k = kernel[~k_inf].astype(np.float64)
    t = twin[~t_inf].astype(np.float64)
    sc = np.broadcast_to(np.asarray(scale, dtype=np.float64), kernel.shape)[~k_inf]
    tol = RTOL[dtype] * (np.abs(t) + sc) + TINY[dtype]
    bad = np.abs(k - t) > tol
    assert not np.any(bad), (f"{int(bad.sum())} entries differ; worst |k - t| / tol = "
                             f"{float(np.max(np.abs(k - t) / tol)):.3g}; k = {k[bad][:4]}, t = {t[bad][:4]}")


def loss_scale(act, x, z):
    """Size of the terms of Theorem 10 item 4 for each row (float64, finite parts only)."""
    x = x.astype(np.float64)
    z = z.astype(np.float64)
    s = act.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        px = act.psi(x)
        ps = act.psi(s)
    terms = 0.5 * np.sum((x - s) ** 2, axis=-1) + np.sum(np.abs(z - s) * np.abs(x - s), axis=-1)
    terms = terms + np.where(np.isfinite(px), np.abs(px), 0.0) + np.where(np.isfinite(ps), np.abs(ps), 0.0)
    return terms + np.sum(np.abs(x), axis=-1) + 1.0


def grad_scale(act, x, z):
    """|sigma(z)| + |x| elementwise: the grad sigma(z) - x may cancel."""
    return np.abs(act.prox(z.astype(np.float64))) + np.abs(x.astype(np.float64))


# ---------------------------------------------------------------------------- inputs
def make_z(act, dtype, rng, extra_ties=()):
    """Pre-activations: random rows plus ties at 0 / +-alpha, |z| = 1e8, tiny, equal entries."""
    rows = [rng.normal(scale=s, size=N) for s in (0.1, 1.0, 3.0, 30.0) for _ in range(4)]
    ties = [0.0]
    if act.name == "soft_threshold":
        ties += [act.alpha, -act.alpha]
    ties += list(extra_ties)
    for v in ties:
        v = dtype(v)  # the tie as the array dtype represents it
        rows.append(np.array([v, -v, v, 0.0, 1.0, -1.0]))
        rows.append(np.where(rng.random(N) < 0.5, v, rng.normal(size=N)))
    rows.append(np.array([1e8, -1e8, 0.0, 1.0, -1e8, 1e8]))
    rows.append(np.array([-1e8, -1e8, -1e8, -1e8, -1e8, -1e8]))
    rows.append(np.array([1e8, 1e8 - 1.0, 5.0, -5.0, 1e-30, -1e-300]))
    rows.append(np.full(N, 2.0))
    rows.append(np.array([700.0, -700.0, 40.0, -40.0, 20.0, 1e-8]))
    return np.ascontiguousarray(np.array(rows), dtype=dtype)


def make_x(act, z, dtype, rng):
    """First arguments: on the graph x = sigma(z), on the domain boundary, inside, and outside."""
    n0 = z.shape[0]
    on_graph = act.prox(z.astype(np.float64))
    if act.name == "relu":
        inside = np.abs(rng.normal(size=(n0, N))) * (rng.random((n0, N)) < 0.6)   # exact zeros: boundary
        outside = inside.copy()
        outside[:, 0] = -np.abs(rng.normal(size=n0)) - 1e-3
        outside[1::2, 0] = -1e-300
    elif act.name == "tanh":
        inside = rng.uniform(-1, 1, size=(n0, N))
        inside[::3, 0] = 1.0
        inside[1::3, 1] = -1.0                                                  # |x| = 1: boundary
        outside = inside.copy()
        outside[:, 2] = 1.5
        outside[1::2, 2] = -np.nextafter(dtype(1), dtype(2))
    elif act.name == "softmax":
        inside = rng.dirichlet(np.ones(N), size=n0)
        inside[::3, :2] = 0.0                                                   # faces
        inside[::3] /= inside[::3].sum(axis=-1, keepdims=True)
        inside[1::3] = np.eye(N)[rng.integers(0, N, size=len(inside[1::3]))]   # vertices
        outside = inside.copy()
        outside[::2] *= 1.1                                                     # off the hyperplane
        outside[1::2, 0] -= 0.2
        outside[1::2, 1] += 0.2                                                 # a negative entry
        outside[1::2, 0] = np.minimum(outside[1::2, 0], -0.05)
        outside[1::2, 1] = 1.0 - (outside[1::2].sum(axis=-1) - outside[1::2, 1])
    else:   # identity, soft_threshold: dom Psi is everything
        inside = rng.normal(scale=2.0, size=(n0, N))
        inside[::2, :3] = 0.0
        outside = 1e8 * rng.normal(size=(n0, N))
    x = np.concatenate([on_graph, inside, outside])
    return np.ascontiguousarray(x, dtype=dtype)


@pytest.fixture(params=list(zip(ACTIVATIONS, IDS)), ids=IDS)
def act(request):
    (name, params), _ = request.param
    return get(name, **params)


@pytest.fixture(params=DTYPES, ids=["float64", "float32"])
def dtype(request):
    return request.param


def pair(act, dtype, seed=0):
    rng = np.random.default_rng(seed)
    z = make_z(act, dtype, rng)
    x = make_x(act, z, dtype, rng)
    z = np.ascontiguousarray(np.tile(z, (3, 1)))
    return x, z


# ---------------------------------------------------------------------------- kernels vs twins
def test_kernel_exists_for_the_solvers_activations(act):
    kern = kernel_for(act)
    assert isinstance(kern, ActivationKernels)
    assert kern.name == act.name
    assert kern.activation is act


def test_sigma_equals_prox(act, dtype):
    kern = kernel_for(act)
    z = make_z(act, dtype, np.random.default_rng(1))
    assert_twin(kern.sigma(z), act.prox(z), dtype)


def test_sigma_in_place(act, dtype):
    kern = kernel_for(act)
    z = make_z(act, dtype, np.random.default_rng(2))
    twin = act.prox(z)
    out = z.copy()
    res = kern.sigma(out, out=out)
    assert res is out
    assert_twin(out, twin, dtype)


@pytest.mark.parametrize("step", [0.3, 1.0, 2.5])
def test_prox_step_equals_prox(act, dtype, step):
    kern = kernel_for(act)
    if not kern.supports_prox_step and step != 1.0:
        with pytest.raises(NotImplementedError):
            kern.prox(make_z(act, dtype, np.random.default_rng(3)), step=step)
        return
    extra = [step * act.alpha, -step * act.alpha] if act.name == "soft_threshold" else []
    z = make_z(act, dtype, np.random.default_rng(3), extra_ties=extra)
    assert_twin(kern.prox(z, step=step), act.prox(z, step=step), dtype)


def test_bregman_loss_equals_twin(act, dtype):
    kern = kernel_for(act)
    x, z = pair(act, dtype)
    twin = bregman_loss(act, x, z)
    assert_twin(kern.bregman_loss(x, z), twin, dtype, scale=loss_scale(act, x, z))
    if act.name != "identity" and act.name != "soft_threshold":
        assert np.any(np.isinf(twin)), "the inputs must reach outside dom Psi"


def test_bregman_grad_equals_twin(act, dtype):
    kern = kernel_for(act)
    x, z = pair(act, dtype, seed=4)
    twin = bregman_grad(act, x, z, check_domain=False)
    assert_twin(kern.bregman_grad(x, z), twin, dtype, scale=grad_scale(act, x, z))


def test_bregman_loss_and_grad_equals_twins(act, dtype):
    kern = kernel_for(act)
    x, z = pair(act, dtype, seed=5)
    loss, grad = kern.bregman_loss_and_grad(x, z)
    assert_twin(loss, bregman_loss(act, x, z), dtype, scale=loss_scale(act, x, z))
    assert_twin(grad, bregman_grad(act, x, z, check_domain=False), dtype, scale=grad_scale(act, x, z))
    # and the separate kernels agree with the fused one exactly up to rounding
    assert_twin(kern.bregman_loss(x, z), loss, dtype, scale=loss_scale(act, x, z))


def test_affine_prox_equals_prox_of_affine_map(act, dtype):
    kern = kernel_for(act)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 13)).astype(dtype)
    W = rng.normal(size=(13, N)).astype(dtype)
    b = rng.normal(size=N).astype(dtype)
    if act.name == "soft_threshold":
        b[0] = dtype(act.alpha)
        W[:, 0] = 0     # column 0 of X W + b is exactly the tie alpha
    twin = act.prox(X @ W + b)
    assert_twin(kern.affine_prox(X, W, b), twin, dtype, scale=TINY[dtype])
    out = np.empty((50, N), dtype=dtype)
    assert kern.affine_prox(X, W, b, out=out) is out


def test_raw_compiled_kernels_equal_twins(act, dtype):
    # the wrappers may route an elementwise role to a NumPy ufunc (tanh); the compiled kernels
    # themselves must equal the twins as well
    raw = kernel_for(act).raw
    param = kernel_for(act).param
    z = make_z(act, dtype, np.random.default_rng(9))
    assert_twin(raw.sigma(z, param, np.empty_like(z)), act.prox(z), dtype)
    x, zz = pair(act, dtype, seed=9)
    assert_twin(raw.bregman_grad(x, zz, param, np.empty_like(zz)), bregman_grad(act, x, zz, check_domain=False),
                dtype, scale=grad_scale(act, x, zz))
    b = np.random.default_rng(9).normal(size=N).astype(dtype)
    assert_twin(raw.bias_sigma(z, b, param, np.empty_like(z)), act.prox(z + b), dtype)
    if raw.prox_step is not None:
        assert_twin(raw.prox_step(z, 0.3, param, np.empty_like(z)), act.prox(z, step=0.3), dtype)


def test_loss_at_huge_z_has_no_nan_and_matches(act, dtype):
    kern = kernel_for(act)
    z = np.array([[1e8] * N, [-1e8] * N], dtype=dtype)
    x = np.ascontiguousarray(act.prox(z))
    loss = kern.bregman_loss(x, z)
    assert not np.any(np.isnan(loss))
    assert_twin(loss, bregman_loss(act, x, z), dtype, scale=loss_scale(act, x, z))


@given(z=st.floats(-1e8, 1e8, allow_nan=False), t=st.floats(0.02, 50.0))
def test_tanh_prox_scalar_equals_twin(z, t):
    twin = get("tanh").prox(np.array([[z]]), step=t)[0, 0]
    got = tanh_prox_scalar(z, t)
    assert abs(got - twin) <= 1e-12 * abs(twin) + 1e-300


@given(z=st.floats(-30.0, 30.0, allow_nan=False), t=st.floats(0.02, 50.0))
def test_tanh_prox_scalar_solves_the_optimality_condition(z, t):
    # definition (9) with step t: x = prox_{t psi}(z)  <=>  z - x = t psi'(x) = t (artanh x - x)
    x = tanh_prox_scalar(z, t)
    if abs(x) < 1 - 1e-6:
        assert abs((1 - t) * x + t * np.arctanh(x) - z) <= 1e-9 * max(1.0, abs(z), t)


# ---------------------------------------------------------------------------- can fail
def test_comparison_rejects_a_wrong_relu_twin():
    kern = kernel_for(get("relu"))
    z = make_z(get("relu"), np.float64, np.random.default_rng(7))
    assert_twin(kern.sigma(z), get("relu").prox(z), np.float64)
    with pytest.raises(AssertionError):
        assert_twin(kern.sigma(z), np.abs(z), np.float64)                       # |z| is not ReLU
    with pytest.raises(AssertionError):
        assert_twin(kern.sigma(z), np.maximum(z, 0) * (1 + 1e-9), np.float64)  # off by 1e-9


def test_comparison_rejects_wrong_parameters_and_losses():
    z = make_z(get("soft_threshold"), np.float64, np.random.default_rng(8))
    with pytest.raises(AssertionError):   # alpha is passed to the kernel, not baked in
        assert_twin(kernel_for(get("soft_threshold", alpha=0.3)).sigma(z),
                    get("soft_threshold", alpha=1.0).prox(z), np.float64)
    with pytest.raises(AssertionError):
        assert_twin(kernel_for(get("softmax", temperature=2.5)).sigma(z),
                    get("softmax", temperature=1.0).prox(z), np.float64)
    relu = get("relu")
    x, zz = pair(relu, np.float64)
    with pytest.raises(AssertionError):   # a loss that ignores dom Psi has the wrong infinities
        assert_twin(kernel_for(relu).bregman_loss(x, zz), bregman_loss(get("identity"), x, zz), np.float64,
                    scale=loss_scale(relu, x, zz))
    tanh = get("tanh")
    x, zz = pair(tanh, np.float64)
    with pytest.raises(AssertionError):   # the tanh loss is not the squared error, even inside the domain
        inside = np.isfinite(bregman_loss(tanh, x, zz))
        assert_twin(kernel_for(tanh).bregman_loss(x, zz)[inside], 0.5 * np.sum((x - np.tanh(zz)) ** 2, -1)[inside],
                    np.float64)


def test_comparison_rejects_a_dtype_change():
    kern = kernel_for(get("tanh"))
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(2, 6)
    with pytest.raises(AssertionError):
        assert_twin(kern.sigma(z).astype(np.float64), get("tanh").prox(z), np.float32)


# ---------------------------------------------------------------------------- dispatch
def test_parameters_are_arguments_not_compile_time_constants():
    z = np.linspace(-3, 3, 12).reshape(2, 6)
    k1 = kernel_for(get("soft_threshold", alpha=0.5))
    k2 = kernel_for(get("soft_threshold", alpha=2.0))
    assert k1.raw.sigma is k2.raw.sigma
    k1.sigma(z)
    n_sigs = len(k1.raw.sigma.signatures)
    assert_twin(k2.sigma(z), get("soft_threshold", alpha=2.0).prox(z), np.float64)
    assert len(k2.raw.sigma.signatures) == n_sigs   # a new alpha did not compile anything


def test_kernel_for_returns_none_without_a_kernel():
    @dataclasses.dataclass(frozen=True, repr=False)
    class ShiftedReLU(ReLU):   # a subclass may change sigma: never hand it the parent's kernel
        def _sigma(self, z):
            return np.maximum(z, 1.0)

    assert kernel_for(ShiftedReLU()) is None
    from bregnet.activations import names
    for name in names():
        kern = kernel_for(get(name))
        assert (kern is None) == (name not in kernel_names())
    with pytest.raises(TypeError):
        kernel_for("relu")


def test_wrappers_validate_arrays():
    kern = kernel_for(get("relu"))
    z = np.zeros((3, 4))
    with pytest.raises(TypeError):
        kern.sigma(np.zeros((3, 4), dtype=np.int64))
    with pytest.raises(TypeError):
        kern.sigma([[1.0]])
    with pytest.raises(ValueError):
        kern.sigma(np.zeros(4))
    with pytest.raises(ValueError):
        kern.sigma(np.zeros((4, 3)).T)
    with pytest.raises(TypeError):
        kern.bregman_loss(z.astype(np.float32), z)
    with pytest.raises(ValueError):
        kern.bregman_loss(np.zeros((3, 5)), z)
    with pytest.raises(ValueError):
        kern.sigma(z, out=np.empty((3, 5)))
    with pytest.raises(ValueError):
        kern.bregman_grad(z, z.copy(), out=z)
    with pytest.raises(ValueError):
        kern.prox(z, step=0.0)
    with pytest.raises(ValueError):
        kern.affine_prox(z, np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(TypeError):
        kern.affine_prox(z, np.zeros((4, 2)), np.zeros(2, dtype=np.float32))
    with pytest.raises(ValueError):
        kernel_for(get("softmax")).sigma(np.zeros((3, 0)))


def test_softmax_kernel_loss_uses_the_simplex_tolerance_of_its_twin():
    """A softmax output rounded to float32 and promoted to float64 is on the simplex for the NumPy twin (tolerance
    16 n eps_32, bregnet.activations.simplex); the kernel must agree (it used 16 n eps_64 and returned inf)."""
    from bregnet.activations import get
    from bregnet.bregman import bregman_loss
    from bregnet.kernels import kernel_for
    act = get("softmax")
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3.0, size=(200, 10))
    x = act.prox(z).astype(np.float32).astype(np.float64)
    twin = bregman_loss(act, x, z)
    kern = kernel_for(act).bregman_loss(np.ascontiguousarray(x), np.ascontiguousarray(z))
    assert np.all(np.isfinite(twin)) and np.allclose(kern, twin, rtol=1e-9, atol=1e-12)
    off = x.copy()
    off[:, 0] += 1e-4
    assert np.all(np.isinf(kernel_for(act).bregman_loss(off, np.ascontiguousarray(z))))


def test_tanh_has_no_compiled_prox_step_until_it_matches_its_twin():
    """The compiled tanh prox_(t Psi) was wrong at extreme steps (0.521 for 2.08e-5 at t = 1e15) after the NumPy twin
    was made exact: kernel_for(tanh) now refuses t != 1 and points to activation.prox."""
    from bregnet.activations import get
    from bregnet.kernels import kernel_for
    kern = kernel_for(get("tanh"))
    assert not kern.supports_prox_step
    with pytest.raises(NotImplementedError, match="activation.prox"):
        kern.prox(np.array([[3.0]]), step=1e15)
    assert abs(get("tanh").prox(np.array([[3.0]]), step=1e15)[0, 0] - 2.08e-5) < 1e-7
