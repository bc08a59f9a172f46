"""bregnet.testing.laws on framework-style callables: to_numpy, numpy_callable, check_domain (no framework needed)."""
import numpy as np
import pytest

from bregnet.activations import get
from bregnet.testing import laws


class FakeTensor:
    """A stand-in for a framework tensor: refuses negative strides and non-contiguous data like torch.from_numpy."""

    def __init__(self, a):
        if not a.flags.c_contiguous or any(s < 0 for s in a.strides):
            raise ValueError("negative or non-contiguous strides")
        self.a = a

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


def fake_relu(t):
    return FakeTensor(np.maximum(t.a, 0))


def test_numpy_callable_hands_contiguous_copies_and_converts_the_result():
    f = laws.numpy_callable(fake_relu, FakeTensor)
    z = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    assert f(z[::-1, ::2]).tolist() == np.maximum(z[::-1, ::2], 0).tolist()
    assert f(np.broadcast_to(z[:1], (3, 3))).shape == (3, 3)      # read-only broadcast views too
    with pytest.raises(ValueError, match="strides"):
        fake_relu(FakeTensor(z[::-1]))                              # what the adapter avoids
    with pytest.raises(TypeError, match="callables"):
        laws.numpy_callable(fake_relu, None)


def test_laws_accept_callables_returning_framework_arrays():
    relu = get("relu")
    z = np.array([[-1.0, 2.0], [0.0, 3.0]])
    sigma = lambda z: FakeTensor(np.ascontiguousarray(relu.prox(z)))  # noqa: E731
    psi = lambda x: FakeTensor(np.ascontiguousarray(relu.psi(x)))     # noqa: E731
    assert laws.check_three_point_inequality(sigma, psi, z, z[::-1]) == 0.0
    assert isinstance(laws.to_numpy(FakeTensor(z)), np.ndarray)


def relu_without_domain(x, z):
    """Example 2's ReLU loss without the +inf outside x >= 0 (an implementation that does not model the domain)."""
    return 0.5 * np.sum((x - np.maximum(z, 0)) ** 2, axis=-1) + np.sum(x * np.maximum(-z, 0), axis=-1)


def test_check_domain_false_skips_only_the_rows_outside_the_domain():
    ref = laws.activation_callables(get("relu"))
    x = np.array([[0.5, 1.0], [-1.0, 2.0]])
    z = np.array([[-1.0, 0.0], [2.0, -3.0]])
    with pytest.raises(laws.LawViolation, match="row 1"):
        laws.check_bregman_definition(relu_without_domain, ref.psi, ref.phi_star, x, z)
    assert laws.check_bregman_definition(relu_without_domain, ref.psi, ref.phi_star, x, z, check_domain=False) <= 1e-15
    assert laws.check_example2_closed_form(relu_without_domain, ref.psi, ref.phi_star, x, z, check_domain=False) <= 1e-15
    for item in (laws.check_theorem10_item1, laws.check_theorem10_item2, laws.check_theorem10_item3,
                 laws.check_theorem10_item4):
        with pytest.raises(laws.LawViolation, match="form callable"):
            item(ref.sigma, ref.psi, ref.phi_star, x, z, form=relu_without_domain)
        item(ref.sigma, ref.psi, ref.phi_star, x, z, form=relu_without_domain, check_domain=False)


def test_check_domain_false_still_rejects_a_wrong_value_inside_the_domain():
    ref = laws.activation_callables(get("relu"))
    x = np.array([[0.5, 1.0], [-1.0, 2.0]])
    z = np.array([[-1.0, 0.0], [2.0, -3.0]])
    wrong = lambda x, z: 1.01 * relu_without_domain(x, z)  # noqa: E731
    with pytest.raises(laws.LawViolation, match="row 0"):
        laws.check_bregman_definition(wrong, ref.psi, ref.phi_star, x, z, check_domain=False)
    with pytest.raises(laws.LawViolation, match="form callable"):
        laws.check_theorem10_item1(ref.sigma, ref.psi, ref.phi_star, x, z, form=wrong, check_domain=False)
