"""Every law of ``bregnet.testing.laws`` is able to fail.

For each law a deliberately wrong sigma, Psi, Psi*, Phi*, Bregman loss or gradient is fed in and the
law must raise :class:`~bregnet.testing.laws.LawViolation`; the same law on the correct input passes
(so the failure is caused by the defect, not by the inputs).
"""
import numpy as np
import pytest

from bregnet.testing import laws
from bregnet.testing.laws import LawViolation

# ---------------------------------------------------------------- correct pieces (ReLU, soft-threshold)
relu = lambda z: np.maximum(z, 0)                                         # noqa: E731
relu_psi = lambda x: np.where(np.all(np.asarray(x) >= 0, axis=-1), 0.0, np.inf)  # noqa: E731
relu_phi_star = lambda z: 0.5 * np.sum(np.maximum(z, 0) ** 2, axis=-1)  # noqa: E731
relu_psi_star = lambda y: np.where(np.all(np.asarray(y) <= 0, axis=-1), 0.0, np.inf)  # noqa: E731
relu_B = lambda x, z: np.where(np.all(np.asarray(x) >= 0, axis=-1),      # noqa: E731
                               0.5 * np.sum((x - relu(z)) ** 2, axis=-1) + np.sum(x * relu(-z), axis=-1), np.inf)
relu_grad = lambda x, z: relu(z) - x                                      # noqa: E731

ALPHA = 1.0
st_sigma = lambda z: np.sign(z) * np.maximum(np.abs(z) - ALPHA, 0)        # noqa: E731
st_psi = lambda x: ALPHA * np.sum(np.abs(x), axis=-1)                     # noqa: E731
st_phi_star = lambda z: 0.5 * np.sum(np.maximum(np.abs(z) - ALPHA, 0) ** 2, axis=-1)  # noqa: E731


def st_B(x, z):
    """Correct soft-threshold Bregman loss, via eq. (12)."""
    return 0.5 * np.sum(x * x, axis=-1) + st_psi(x) + st_phi_star(z) - np.sum(x * z, axis=-1)


def st_B_printed(x, z):
    """Example 2's soft-threshold loss as printed (summed over entries): misses 1/2 x^2 + alpha|x| (+ alpha^2/2)."""
    a = ALPHA
    val = np.where(z > a, 0.5 * z * z - z * (a + x), np.where(z < -a, 0.5 * z * z + z * (a - x), -x * z))
    return np.sum(val, axis=-1)


# ---------------------------------------------------------------- wrong pieces
wrong_sigma = lambda z: 1.1 * np.maximum(z, 0)                           # too steep: not a prox
nonmonotone_grad = lambda x, z: -np.maximum(z, 0) - x                     # noqa: E731
_c, _s = np.cos(np.pi / 3), np.sin(np.pi / 3)
ROT = np.array([[_c, -_s], [_s, _c]])
rotation_grad = lambda x, z: z @ ROT.T - x        # monotone and 1-Lipschitz, not firmly non-expansive

Z = np.array([[2.0], [-1.0], [0.5], [3.0]])
X = np.array([[1.0], [0.0], [0.25], [2.0]])


def fails(fn, *args, **kw):
    with pytest.raises(LawViolation) as info:
        fn(*args, **kw)
    return str(info.value)


# ---------------------------------------------------------------- Definition 1, Remark 2
def test_prox_optimality_can_fail():
    laws.check_prox_optimality(relu, relu_psi, Z)
    msg = fails(laws.check_prox_optimality, wrong_sigma, relu_psi, Z)
    assert "Definition 1" in msg and "eq. (9)" in msg


def test_prox_optimality_can_fail_on_the_simplex():
    from bregnet.activations import get

    sm = get("softmax")
    z = np.array([[0.3, -1.0, 2.0]])
    laws.check_prox_optimality(sm.prox, sm.psi, z)
    fails(laws.check_prox_optimality, lambda v: sm.prox(2 * v), sm.psi, z)


def test_prox_optimality_with_step_can_fail():
    t = 0.5
    laws.check_prox_optimality(lambda z: np.sign(z) * np.maximum(np.abs(z) - t, 0), st_psi, Z, step=t)
    fails(laws.check_prox_optimality, st_sigma, st_psi, Z, step=t)   # threshold 1 instead of t*alpha


def test_three_point_inequality_can_fail():
    U = np.array([[2.0], [0.0], [1.0], [-1.0]])
    laws.check_three_point_inequality(relu, relu_psi, Z, U)
    msg = fails(laws.check_three_point_inequality, wrong_sigma, relu_psi, Z, U)
    assert "Three-point" in msg


def test_three_point_inequality_fails_outside_domain():
    fails(laws.check_three_point_inequality, lambda z: z - 5.0, relu_psi, Z, Z)


def test_remark2_inclusion_can_fail_wrong_slope():
    U = np.array([[0.0], [1.0], [-2.0], [5.0]])
    laws.check_remark2_inclusion(st_sigma, st_psi, Z, U)
    msg = fails(laws.check_remark2_inclusion, st_sigma, lambda x: 2 * st_psi(x), Z, U)  # Psi with slope 2
    assert "Remark 2" in msg


# ---------------------------------------------------------------- Theorem 7, Definition 3, Lemma 4
def test_moreau_identity_can_fail():
    laws.check_moreau_identity(relu, lambda z: np.minimum(z, 0), Z, psi_star=relu_psi_star)
    msg = fails(laws.check_moreau_identity, relu, lambda z: 1.1 * np.minimum(z, 0), Z)
    assert "Theorem 7" in msg


def test_moreau_identity_can_fail_when_sigma_star_is_not_the_prox_of_psi_star():
    # sigma* := z - sigma(z) makes the identity a tautology; with Psi* the law still catches a wrong sigma
    laws.check_moreau_identity(wrong_sigma, lambda z: z - wrong_sigma(z), Z)
    fails(laws.check_moreau_identity, wrong_sigma, lambda z: z - wrong_sigma(z), Z, psi_star=relu_psi_star)


def test_psi_fenchel_young_can_fail_off_by_constant():
    laws.check_psi_fenchel_young(relu, relu_psi, relu_psi_star, Z, X, -X)
    fails(laws.check_psi_fenchel_young, relu, relu_psi, lambda y: relu_psi_star(y) + 0.5, Z)


def test_psi_fenchel_young_can_fail_with_a_dual_point_outside_dom_psi_star():
    laws.check_psi_fenchel_young(relu, relu_psi, relu_psi_star, Z, prox_conjugate=lambda z: np.minimum(z, 0))
    fails(laws.check_psi_fenchel_young, relu, relu_psi, relu_psi_star, Z,
          prox_conjugate=lambda z: np.minimum(z, 0) + 0.1)


def test_psi_fenchel_young_can_fail_inequality():
    wrong_star = lambda y: np.where(np.all(np.asarray(y) <= 1, axis=-1), 0.0, np.inf)  # chi_{<=1}: too small
    laws.check_psi_fenchel_young(relu, relu_psi, wrong_star, Z)   # equality on the graph still holds
    fails(laws.check_psi_fenchel_young, relu, relu_psi, wrong_star, Z, [[1.0]], [[0.5]])


def test_lemma4_can_fail_on_the_graph():
    laws.check_lemma4_fenchel_young(relu, relu_psi, relu_phi_star, Z, X)
    msg = fails(laws.check_lemma4_fenchel_young, relu, relu_psi, lambda z: relu_phi_star(z) + 0.1, Z, X)
    assert "Lemma 4" in msg


def test_lemma4_can_fail_strictness():
    # Psi(x) = -x^2/2 on [0, 1] (not convex): Phi = indicator of [0, 1] is convex but not strictly, so
    # Fenchel-Young holds with equality off the graph of sigma = Heaviside
    psi = lambda x: np.where(np.all((x >= 0) & (x <= 1), axis=-1), -0.5 * np.sum(x * x, axis=-1), np.inf)
    phi_star = lambda z: np.sum(np.maximum(z, 0), axis=-1)
    heaviside = lambda z: (z > 0).astype(float)
    z = np.array([[0.0], [-1.0]])
    laws.check_lemma4_fenchel_young(heaviside, psi, phi_star, z, np.array([[0.0], [0.0]]))
    msg = fails(laws.check_lemma4_fenchel_young, heaviside, psi, phi_star, z, np.array([[0.5], [0.0]]))
    assert "strict" in msg


# ---------------------------------------------------------------- eq. (12), Theorem 10 items 1-4, Example 2
def test_bregman_definition_can_fail():
    laws.check_bregman_definition(st_B, st_psi, st_phi_star, X, Z)
    fails(laws.check_bregman_definition, st_B_printed, st_psi, st_phi_star, X, Z)


def test_example2_can_fail_printed_soft_threshold():
    laws.check_example2_closed_form(st_B, st_psi, st_phi_star, X, Z)
    msg = fails(laws.check_example2_closed_form, st_B_printed, st_psi, st_phi_star, X, Z)
    assert "Example 2" in msg


def test_example2_can_fail_printed_tanh_domain():
    from bregnet.activations import get

    tanh = get("tanh")

    def printed(x, z):   # Example 2 for tanh, with its printed domain |x| < 1
        x, z = np.asarray(x, float), np.asarray(z, float)
        inside = np.abs(x) < 1
        xc = np.where(inside, x, 0.0)
        val = 0.5 * np.log((1 - xc ** 2) / (1 - np.tanh(z) ** 2)) + xc * (np.arctanh(xc) - z)
        return np.where(np.all(inside, axis=-1), np.sum(val, axis=-1), np.inf)

    laws.check_example2_closed_form(printed, tanh.psi, tanh.conjugate, [[0.5], [-0.9]], [[0.3], [1.0]])
    fails(laws.check_example2_closed_form, printed, tanh.psi, tanh.conjugate, [[1.0]], [[0.3]])


def test_theorem10_item1_can_fail():
    laws.check_theorem10_item1(relu, relu_psi, relu_phi_star, X, Z, form=relu_B)
    msg = fails(laws.check_theorem10_item1, relu, lambda x: relu_psi(x) + 1.0, relu_phi_star, X, Z)
    assert "item 1" in msg
    fails(laws.check_theorem10_item1, st_sigma, st_psi, st_phi_star, X, Z, form=st_B_printed)


def test_theorem10_item2_can_fail():
    laws.check_theorem10_item2(relu, relu_psi, relu_phi_star, X, Z)
    assert "item 2" in fails(laws.check_theorem10_item2, wrong_sigma, relu_psi, relu_phi_star, X, Z)


def test_theorem10_item3_can_fail():
    laws.check_theorem10_item3(relu, relu_psi, relu_phi_star, X, Z)
    assert "item 3" in fails(laws.check_theorem10_item3, wrong_sigma, relu_psi, relu_phi_star, X, Z)


def test_theorem10_item3_inequality_can_fail():
    # a "Phi*" that is too small makes (12) drop below 1/2||x - sigma(z)||^2; the form callable agrees with it
    small = lambda z: relu_phi_star(z) - 1.0
    B_small = lambda x, z: relu_B(x, z) - 1.0
    msg = fails(laws.check_theorem10_item3, relu, lambda x: relu_psi(x) - 1.0, small, X, Z, form=B_small)
    assert "item 3" in msg


def test_theorem10_item4_can_fail():
    laws.check_theorem10_item4(st_sigma, st_psi, st_phi_star, X, Z, form=st_B)
    assert "item 4" in fails(laws.check_theorem10_item4, st_sigma, st_psi, st_phi_star, X, Z, form=st_B_printed)


# ---------------------------------------------------------------- items 5-11, (15), Corollary 6
def test_theorem10_item5_can_fail_with_a_kink():
    # B from Phi = indicator of [0, 1] (Phi* = max(z, 0), kinked at 0)
    kinked = lambda x, z: np.sum(np.maximum(z, 0) - x * z, axis=-1)
    smooth = lambda x, z: np.sum(0.5 * x * x + 0.5 * np.maximum(z, 0) ** 2 - x * z, axis=-1)
    x, z = np.array([[0.5], [0.5]]), np.array([[0.0], [1e-9]])
    laws.check_theorem10_item5(smooth, x, z)
    msg = fails(laws.check_theorem10_item5, kinked, x, z)
    assert "item 5" in msg


def test_theorem10_item5_can_fail_when_infinite():
    fails(laws.check_theorem10_item5, lambda x, z: np.where(np.sum(z, axis=-1) > 0, np.inf, 0.0),
          np.array([[0.5]]), np.array([[0.0]]))


def test_theorem10_item6_can_fail():
    laws.check_theorem10_item6(relu_B, relu, X, Z, grad=relu_grad)
    msg = fails(laws.check_theorem10_item6, relu_B, wrong_sigma, X, Z)
    assert "Lemma 8" in msg
    fails(laws.check_theorem10_item6, relu_B, relu, X, Z, grad=lambda x, z: x - relu(z))


def test_conjugate_gradient_can_fail():
    laws.check_conjugate_gradient(relu_phi_star, relu, Z)
    msg = fails(laws.check_conjugate_gradient, relu_phi_star, wrong_sigma, Z)
    assert "eq. (15)" in msg


def test_theorem10_item7_can_fail_off_minimum():
    z = np.array([[2.0], [-3.0]])
    laws.check_theorem10_item7(st_B, st_sigma, X[:2], z)
    assert "item 7" in fails(laws.check_theorem10_item7, st_B_printed, st_sigma, X[:2], z)


def test_theorem10_item7_can_fail_strictness():
    zero = lambda x, z: np.zeros(np.broadcast_shapes(np.shape(x), np.shape(z))[:-1])
    msg = fails(laws.check_theorem10_item7, zero, relu, X, Z)
    assert "strictly positive" in msg


def test_theorem10_item8_can_fail_in_x():
    laws.check_theorem10_item8(relu_B, [[0.0]], [[2.0]], [[1.0]], [[-1.0]])
    concave_x = lambda x, z: -np.sum(x * x, axis=-1) + relu_phi_star(z)
    msg = fails(laws.check_theorem10_item8, concave_x, [[0.0]], [[2.0]], [[1.0]], [[1.0]])
    assert "convex in x" in msg


def test_theorem10_item8_rounded_midpoint_at_an_infinite_slope():
    """Regression (thorough profile): ISRU at x1 = 1 - 2^-53, x2 = 1, z = 0.  The rounded midpoint is 1.0 and
    B moves by ~1.5e-8 over that half ulp (Psi ~ Psi(1) - sqrt(2(1 - x))); the law allows the midpoint's
    one-ulp sensitivity, so the true statement passes ..."""
    from bregnet.activations import get
    from bregnet.bregman import bregman_loss
    isru = get("isru")
    B = lambda x, z: bregman_loss(isru, x, z)
    laws.check_theorem10_item8(B, [[np.nextafter(1.0, 0.0)]], [[1.0]], [[0.0]], [[0.0]])
    # ... while a function that is concave near such a singularity is still rejected
    concave_sqrt = lambda x, z: np.sum(np.sqrt(np.clip(1.0 - x, 0.0, None)), axis=-1) + 0.0 * np.sum(z, axis=-1)
    msg = fails(laws.check_theorem10_item8, concave_sqrt, [[0.0]], [[1.0]], [[0.0]], [[0.0]])
    assert "convex in x" in msg


def test_theorem10_item8_can_fail_in_z():
    nonconvex_z = lambda x, z: 0.5 * np.sum((x - np.tanh(z)) ** 2, axis=-1)
    msg = fails(laws.check_theorem10_item8, nonconvex_z, [[0.0]], [[0.0]], [[1.0]], [[3.0]])
    assert "convex in z" in msg


def test_theorem10_item9_can_fail():
    laws.check_theorem10_item9(relu_grad, X, Z, Z[::-1])
    assert "item 9" in fails(laws.check_theorem10_item9, nonmonotone_grad, X, Z, Z[::-1])


def test_theorem10_item10_can_fail():
    laws.check_theorem10_item10(relu_grad, X, Z, Z[::-1])
    assert "item 10" in fails(laws.check_theorem10_item10, lambda x, z: wrong_sigma(z) - x, X, Z, Z[::-1])


def test_theorem10_item11_can_fail_on_rotation():
    z1, z2, x = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[0.0, 0.0], [1.0, -1.0]]), np.zeros((1, 2))
    laws.check_theorem10_item11(lambda x, z: relu(z) - x, x, z1, z2)
    laws.check_theorem10_item9(rotation_grad, x, z1, z2)     # the rotation is monotone ...
    laws.check_theorem10_item10(rotation_grad, x, z1, z2)    # ... and 1-Lipschitz ...
    msg = fails(laws.check_theorem10_item11, rotation_grad, x, z1, z2)   # ... but not firmly non-expansive
    assert "item 11" in msg


def test_corollary6_can_fail():
    laws.check_corollary6(st_B, st_sigma, X, Z)
    msg = fails(laws.check_corollary6, st_B_printed, st_sigma, [[1.0]], [[0.5]])
    assert "Corollary 6" in msg
    fails(laws.check_corollary6, lambda x, z: 0.25 * st_B(x, z), st_sigma, [[3.0]], [[0.0]])   # below the bound


def test_violation_message_names_worst_input_and_size():
    msg = fails(laws.check_theorem10_item10, lambda x, z: wrong_sigma(z) - x, np.zeros((3, 1)),
                [[1.0], [10.0], [2.0]], [[0.0], [0.0], [0.0]])
    assert "row 1" in msg and "10.0" in msg and "violation 1" in msg


def test_every_public_law_has_a_can_fail_test():
    import sys

    here = open(sys.modules[__name__].__file__).read()
    for name in laws.__all__:
        if name.startswith("check_"):
            assert f"laws.{name}," in here, f"no can-fail test for {name}"
