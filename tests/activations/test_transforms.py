"""Reflection and dilation of activations (bregnet.activations.transforms) against closed forms."""
import numpy as np
import pytest

import bregnet.testing as bt
from bregnet.activations import get
from bregnet.activations.transforms import Transformed, _TransformedMixin, dilate, reflect

RNG = np.random.default_rng(7)
Z = np.concatenate([RNG.normal(scale=3, size=(20, 3)), [[0.0, 1e8, -1e8]]])


def test_dilated_soft_threshold_is_soft_threshold_with_scaled_alpha():
    a, alpha = 2.5, 0.4
    d = dilate(get("soft_threshold", alpha=alpha), a)
    ref = get("soft_threshold", alpha=a * alpha)
    x = ref.prox(RNG.normal(scale=3, size=(20, 3)))
    y = RNG.uniform(-1.5, 1.5, size=(20, 3))
    for t in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(d.prox(Z, step=t), ref.prox(Z, step=t), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(d.psi(x), ref.psi(x), rtol=1e-13)
    np.testing.assert_allclose(d.conjugate(Z), ref.conjugate(Z), rtol=1e-13)
    np.testing.assert_array_equal(d.psi_conjugate(y), ref.psi_conjugate(y))
    np.testing.assert_array_equal(d.derivative(Z), ref.derivative(Z))


def test_reflected_relu_is_min_and_its_psi_is_the_nonpositive_indicator():
    r = reflect(get("relu"))
    np.testing.assert_array_equal(r.prox(Z), np.minimum(Z, 0))
    assert np.all(np.isinf(r.psi([[1.0, -1.0, 0.0]])))
    assert r.psi([[-1.0, -2.0, 0.0]])[0] == 0.0
    np.testing.assert_allclose(r.conjugate(Z[:-1]), 0.5 * np.sum(np.minimum(Z[:-1], 0) ** 2, axis=-1))


def test_celu_matches_its_definition_and_laws():
    for alpha in (0.3, 1.0, 3.0):
        act = get("celu", alpha=alpha)
        z = Z[:-1]
        expected = np.maximum(z, 0) + np.minimum(0, alpha * np.expm1(z / alpha))
        np.testing.assert_allclose(act.prox(z), expected, rtol=1e-14, atol=1e-15)
        c = bt.activation_callables(act)
        bt.check_prox_optimality(c.prox, c.psi, z[:4, :2])
        bt.check_conjugate_gradient(c.phi_star, c.sigma, z)


def test_log_sigmoid_matches_its_definition():
    for beta in (0.5, 1.0, 4.0):
        act = get("log_sigmoid", beta=beta)
        z = Z[:-1]
        np.testing.assert_allclose(act.prox(z), -np.logaddexp(0, -beta * z) / beta, rtol=1e-13)
        np.testing.assert_allclose(act.derivative(z), 1 / (1 + np.exp(beta * z)), rtol=1e-13)
        assert np.all(np.isfinite(act.prox(Z)))


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="alpha"):
        get("celu", alpha=0.0)
    with pytest.raises(ValueError, match="beta"):
        get("log_sigmoid", beta=-1.0)
    with pytest.raises(ValueError, match="sign"):
        Transformed(get("relu"), sign=2)
    with pytest.raises(ValueError, match="scale"):
        dilate(get("relu"), 0.0)
    with pytest.raises(TypeError, match="base"):
        Transformed("relu")


class _WrongDilation(_TransformedMixin):
    """Dilation with Psi scaled by a instead of a^2: its prox no longer minimises (9)."""

    def __init__(self, base, a):
        self._b, self._a = base, a

    def _parts(self):
        return self._b, 1, self._a

    def psi(self, x):
        return self._a * self._b.psi(np.asarray(x) / self._a)


def test_a_wrong_scaling_of_psi_is_rejected_by_the_prox_law():
    wrong = _WrongDilation(get("soft_threshold", alpha=1.0), 3.0)
    with pytest.raises(bt.LawViolation):
        bt.check_prox_optimality(lambda z: wrong.prox(z), wrong.psi, np.array([[4.0], [-5.0], [2.0]]))
