"""The generic constructor ``from_scalar`` and the catalogue of non-proximal functions.

``from_scalar`` must reproduce the closed forms of shipped activations (tanh to ~1e-8, and the
rectifier/clipping families), reject every function that is not a proximal map with a reason, and
the numbers quoted in ``registry.NOT_PROXIMAL`` must be what a computation gives.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit, ndtr

from bregnet.activations import NOT_PROXIMAL, NotProximalError, get, names
from bregnet.activations.generic import ScalarActivation, check_proximal_scalar, from_scalar

TANH_X = np.concatenate([np.linspace(-1, 1, 41), [-1 + 1e-12, 1 - 1e-15, 0.999999, -0.9999999, 1e-9]])[:, None]
TANH_Z = np.concatenate([np.linspace(-30, 30, 61), [1e8, -1e8, 1e-9, -4e-7]])[:, None]


# ----------------------------------------------------------------------------- the non-proximal functions
def gelu(z):
    return z * ndtr(z)


def swish(z):
    return z * expit(z)


def mish(z):
    return z * np.tanh(np.logaddexp(0, z))


SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def selu(z):
    return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))


def hardswish(z):
    return z * np.clip(z + 3, 0, 6) / 6


NON_PROXIMAL = {"gelu": gelu, "swish": swish, "silu": swish, "mish": mish, "selu": selu,
                "hardswish": hardswish, "sine": np.sin, "gaussian": lambda z: np.exp(-z * z)}


def minimum_of(f):
    z = np.linspace(-6, 6, 120001)
    i = int(np.argmin(f(z)))
    res = minimize_scalar(f, bounds=(z[i] - 1e-3, z[i] + 1e-3), method="bounded", options={"xatol": 1e-12})
    return float(res.fun), float(res.x)


def max_slope_of(f):
    h = 1e-6
    z = np.linspace(-6, 6, 120001)

    def slope(v):
        return (f(v + h) - f(v - h)) / (2 * h)
    i = int(np.argmax(slope(z)))
    res = minimize_scalar(lambda v: -slope(v), bounds=(z[i] - 1e-3, z[i] + 1e-3), method="bounded",
                          options={"xatol": 1e-10})
    return float(-res.fun), float(res.x)


def agrees(quoted: str, value: float) -> bool:
    """Is ``value`` rounded to the decimals of ``quoted`` equal to it?"""
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    return abs(float(quoted) - value) <= 0.5 * 10.0 ** (-decimals) + 1e-12


def quoted(name, pattern):
    m = re.search(pattern, NOT_PROXIMAL[name])
    assert m, f"{pattern!r} not found in NOT_PROXIMAL[{name!r}] = {NOT_PROXIMAL[name]!r}"
    return m.groups()


NUM = r"(-?\d+(?:\.\d+)?)"


def test_not_proximal_minima_as_quoted():
    for name, f in [("gelu", gelu), ("swish", swish), ("silu", swish), ("mish", mish), ("hardswish", hardswish)]:
        val, at = minimum_of(f)
        q_val, q_at = quoted(name, rf"minimum {NUM} at z = {NUM}")
        assert agrees(q_val, val) and agrees(q_at, at), (name, val, at, q_val, q_at)
    # "GELU decreases on z < -0.75": its minimiser, rounded
    (q_at,) = quoted("gelu", rf"decreases on z < {NUM}")
    assert agrees(q_at, minimum_of(gelu)[1])


def test_not_proximal_slopes_as_quoted():
    for name, f in [("gelu", gelu), ("swish", swish), ("silu", swish)]:
        val, at = max_slope_of(f)
        q_val, q_at = quoted(name, rf"max {NUM} at z = {NUM}")
        assert agrees(q_val, val) and agrees(q_at, at), (name, val, at, q_val, q_at)
    assert max_slope_of(mish)[0] > 1          # "its slope exceeds 1"
    (q_selu,) = quoted("selu", rf"slope {NUM} > 1")
    z = np.linspace(0.1, 10, 100)
    assert agrees(q_selu, float(np.mean(np.diff(selu(z)) / np.diff(z))))   # the slope for z > 0
    assert max_slope_of(selu)[0] > 1.75        # (and lambda*alpha = 1.758 just left of 0)


@pytest.mark.parametrize("name", sorted(NOT_PROXIMAL))
def test_get_rejects_non_proximal(name):
    with pytest.raises(NotProximalError, match="not a proximal activation"):
        get(name)
    with pytest.raises(NotProximalError):
        get(name.upper())
    assert name not in names()


@pytest.mark.parametrize("name", sorted(NON_PROXIMAL))
def test_from_scalar_rejects_non_proximal(name):
    with pytest.raises(NotProximalError) as info:
        from_scalar(NON_PROXIMAL[name], name=name)
    msg = str(info.value)
    assert name in msg and ("decreases" in msg or "slope" in msg) and "proximal map" in msg


def test_from_scalar_rejection_reasons():
    with pytest.raises(NotProximalError, match=r"decreases .* can never decrease"):
        from_scalar(gelu)
    with pytest.raises(NotProximalError, match=r"slope 1\.01 > 1 .* 1-Lipschitz"):
        from_scalar(lambda z: 1.01 * z)
    with pytest.raises(NotProximalError, match=r"slope .* > 1"):
        from_scalar(lambda z: np.minimum(z, 1e3) + 0.5 * np.maximum(z - 500, 0))   # steep only at large z
    with pytest.raises(NotProximalError, match="not a finite real number"):
        from_scalar(lambda z: np.where(z > 5, np.nan, 0.0))
    with pytest.raises(NotProximalError, match="decreases"):
        from_scalar(lambda z: -1e-6 * z)   # slightly decreasing is still decreasing


def test_check_proximal_scalar_accepts_slope_exactly_one():
    z = np.linspace(-20, 20, 2001)
    for s in (z, np.maximum(z, 0), np.clip(z, -1, 1), np.zeros_like(z), 0.5 * z + 3):
        check_proximal_scalar(z, s)


# ----------------------------------------------------------------------------- reproducing closed forms
@pytest.fixture(scope="module")
def generic_tanh():
    return from_scalar(np.tanh, name="generic_tanh")


def test_from_scalar_tanh_psi(generic_tanh):
    assert generic_tanh.dom == (-1.0, 1.0)
    th = get("tanh")
    np.testing.assert_allclose(generic_tanh.psi(TANH_X), th.psi(TANH_X), rtol=1e-8, atol=1e-8)
    outside = np.array([[1.0 + 1e-9], [-1.5], [7.0]])
    assert np.all(generic_tanh.psi(outside) == np.inf)


def test_from_scalar_tanh_conjugate_prox_derivative(generic_tanh):
    th = get("tanh")
    np.testing.assert_allclose(generic_tanh.conjugate(TANH_Z), th.conjugate(TANH_Z), rtol=1e-8, atol=1e-8)
    for t in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(generic_tanh.prox(TANH_Z, step=t), th.prox(TANH_Z, step=t), rtol=1e-8, atol=1e-12)
    z = np.linspace(-5, 5, 23)[:, None]
    np.testing.assert_allclose(generic_tanh.derivative(z), th.derivative(z), atol=1e-8)
    # Fenchel-Young equality on the graph (eq. (11)) for the numeric pair
    s = generic_tanh.prox(z)
    lhs = generic_tanh.phi(s) + generic_tanh.conjugate(z)
    np.testing.assert_allclose(lhs, np.sum(s * z, axis=-1), atol=1e-9)


def test_from_scalar_detects_a_wrong_sigma(generic_tanh):
    """The comparison above can fail: a slightly different sigma gives a visibly different psi."""
    wrong = from_scalar(lambda z: np.tanh(0.95 * z))
    x = np.array([[0.3], [0.8]])
    assert np.max(np.abs(wrong.psi(x) - generic_tanh.psi(x))) > 1e-3
    assert np.max(np.abs(wrong.conjugate(x) - generic_tanh.conjugate(x))) > 1e-3


def _closed_form_cases():
    return [
        ("relu", {}, lambda z: np.maximum(z, 0), None, np.array([0.0, 0.3, 2.0, 17.0])),
        ("leaky_relu", {"slope": 0.2}, lambda z: np.where(z >= 0, z, 0.2 * z), None, np.array([-3.0, -0.4, 0.0, 2.5])),
        ("elu", {"alpha": 0.6}, lambda z: np.where(z > 0, z, 0.6 * np.expm1(np.minimum(z, 0))), None,
         np.array([-0.6, -0.59, -0.3, 0.0, 1.5])),
        ("isrlu", {"a": 2.0}, lambda z: np.where(z >= 0, z, z / np.sqrt(1 + 2 * z * z)), None,
         np.array([-1 / math.sqrt(2.0), -0.7, -0.2, 0.0, 3.0])),
        ("hard_sigmoid", {"slope": 0.25}, lambda z: np.clip(0.25 * z + 0.5, 0, 1), None,
         np.array([0.0, 0.1, 0.5, 0.93, 1.0])),
        ("hard_tanh", {}, lambda z: np.clip(z, -1, 1), None, np.array([-1.0, -0.2, 0.7, 1.0])),
        ("nonneg_soft_threshold", {"alpha": 0.5}, lambda z: np.maximum(z - 0.5, 0), None, np.array([0.0, 0.1, 4.0])),
        ("bent_identity", {}, lambda z: (z + np.sqrt(z * z + 1) - 1) / 2, (-0.5, math.inf),
         np.array([-0.4999, -0.3, 0.0, 0.8, 12.0])),
    ]


@pytest.mark.parametrize("name, params, sigma, domain, xs", _closed_form_cases(),
                         ids=[c[0] for c in _closed_form_cases()])
def test_from_scalar_reproduces_closed_forms(name, params, sigma, domain, xs):
    ref = get(name, **params)
    gen = from_scalar(sigma, name=f"generic_{name}", domain=domain)
    x = xs[:, None]
    # every shipped psi here is normalised by psi(sigma(0)) = 0, as is from_scalar with x0 = 0
    np.testing.assert_allclose(gen.psi(x), ref.psi(x), rtol=1e-8, atol=1e-9)
    z = np.array([-40.0, -3.0, -0.7, 0.0, 0.4, 2.2, 25.0])[:, None]
    np.testing.assert_allclose(gen.conjugate(z), ref.conjugate(z), rtol=1e-9, atol=1e-9)
    for t in (0.3, 2.5):
        np.testing.assert_allclose(gen.prox(z, step=t), ref.prox(z, step=t), rtol=1e-8, atol=1e-10)
    lo = ref.prox(np.array([[-1e8]]))[0, 0]
    if np.isfinite(ref.psi(np.array([[lo]]))[0]) and lo > -1e7:
        below = np.array([[lo - 1e-3]])
        assert gen.psi(below)[0] == np.inf and ref.psi(below)[0] == np.inf


def _bent_stable(z):
    r = np.hypot(z, 1)
    return np.where(z >= 0, (z + r - 1) / 2, (1 / (r - np.minimum(z, 0)) - 1) / 2)


def test_pole_at_the_domain_end_is_infinite():
    """Bent identity: psi -> +inf at -1/2, which sigma never reaches; the closure is +inf there."""
    x = np.array([[-0.5 + 1e-10], [-0.5 + 1e-13]])          # sigma^{-1}(x) beyond -1e6
    for domain in [(-0.5, math.inf), None]:
        gen = from_scalar(_bent_stable, domain=domain)
        assert gen.dom[0] == pytest.approx(-0.5, abs=1e-15)
        assert float(gen.psi([[-0.5]])[0]) == math.inf
        np.testing.assert_allclose(gen.psi(x), get("bent_identity").psi(x), rtol=1e-7)
    # whereas tanh's psi has a finite limit at +-1 (reached by tanh in floating point)
    assert math.isfinite(float(from_scalar(np.tanh).psi([[1.0]])[0]))


def test_power_law_end_of_range():
    """sigma(z) = -1 + (1 - z/1.5)^(-3/2) (z <= 0), z (z > 0): gap ~ |z|^(-3/2), not reached in floats
    before |z| ~ 1e11; psi(x) = 1.5 x - 4.5((1+x)^(1/3) - 1) - x^2/2 on [-1, 0], psi(-1) = 2.5."""
    def sigma(z):
        zn = np.minimum(z, 0)
        return np.where(z > 0, z, -1 + (1 - zn / 1.5) ** -1.5)

    def psi(x):
        return 1.5 * x - 4.5 * (np.cbrt(1 + x) - 1) - x * x / 2

    gen = from_scalar(sigma, domain=(-1.0, math.inf))
    x = np.array([-1.0, -1 + 1e-15, -1 + 1e-9, -0.999, -0.5, -0.01])
    np.testing.assert_allclose(gen.psi(x[:, None]), psi(x), rtol=1e-7, atol=1e-9)


def test_normalisation_x0():
    base = from_scalar(np.tanh)
    shifted = from_scalar(np.tanh, x0=1.0)
    x = np.array([[-0.9], [0.0], [0.4], [np.tanh(1.0)]])
    d = shifted.psi(x) - base.psi(x)
    np.testing.assert_allclose(d, d[0], atol=1e-12)                     # psi up to a constant
    assert abs(float(shifted.psi([[np.tanh(1.0)]])[0])) < 1e-13          # psi(sigma(x0)) = 0
    z = np.array([[-2.0], [0.5], [3.0]])
    np.testing.assert_allclose(shifted.conjugate(z) - base.conjugate(z), -d[0], atol=1e-12)


def test_scalar_only_callable_and_given_derivative():
    gen = from_scalar(math.tanh, sigma_prime=lambda z: 1 - math.tanh(z) ** 2, name="scalar_tanh")
    z = np.array([[-2.0, 0.1, 3.0]])
    np.testing.assert_allclose(gen.prox(z), np.tanh(z))
    np.testing.assert_allclose(gen.derivative(z), 1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(gen.psi(np.tanh(z)), get("tanh").psi(np.tanh(z)), atol=1e-10)


def test_kink_derivative_is_mean_of_one_sided():
    gen = from_scalar(lambda z: np.maximum(z, 0))
    assert float(gen.derivative([[0.0]])[0, 0]) == pytest.approx(0.5)
    np.testing.assert_allclose(gen.derivative([[-1.0, 1.0]]), [[0.0, 1.0]])


def test_dtype_and_extremes(generic_tanh):
    z32 = np.array([[-1e8, -1.0, 0.0, 2.0, 1e8]], dtype=np.float32)
    for out in (generic_tanh.prox(z32), generic_tanh.prox(z32, step=2.5), generic_tanh.conjugate(z32),
                generic_tanh.psi(generic_tanh.prox(z32)), generic_tanh.derivative(z32)):
        assert out.dtype == np.float32 and np.all(np.isfinite(out))
    z = z32.astype(np.float64)
    assert np.all(np.isfinite(generic_tanh.psi(generic_tanh.prox(z))))
    assert generic_tanh.conjugate(np.array([[1e8]]))[0] == pytest.approx(1e8 - math.log(2), rel=1e-15)


def test_construction_errors():
    with pytest.raises(TypeError, match="sigma must be callable"):
        from_scalar(3.0)
    with pytest.raises(TypeError, match="sigma_prime must be callable"):
        from_scalar(np.tanh, sigma_prime=1.0)
    with pytest.raises(TypeError, match="name must be a string"):
        from_scalar(np.tanh, name=3)
    with pytest.raises(ValueError, match="x0"):
        from_scalar(np.tanh, x0=float("nan"))
    with pytest.raises(ValueError, match="outside domain"):
        from_scalar(np.tanh, domain=(0.0, 1.0))
    with pytest.raises(ValueError, match="lo <= hi"):
        from_scalar(np.tanh, domain=(1.0, -1.0))
    with pytest.raises(TypeError, match="pair"):
        from_scalar(np.tanh, domain=1.0)
    with pytest.raises(TypeError, match="real numbers"):
        from_scalar(lambda z: "a")


def test_not_registered(generic_tanh):
    assert isinstance(generic_tanh, ScalarActivation)
    assert "generic_tanh" not in names() and "custom" not in names()
    assert repr(generic_tanh).startswith("generic_tanh(")


def test_every_registered_separable_activation_passes_the_construction_test():
    """No false alarms: each shipped separable sigma is accepted by the grid test of from_scalar."""
    for name in names():
        act = get(name)
        if not act.separable:
            continue
        from_scalar(lambda z, act=act: act.prox(np.asarray(z, dtype=np.float64)[..., None])[..., 0],
                    name=f"generic_{name}")
