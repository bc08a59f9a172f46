"""Every counterexample of ``docs/errata.md``, checked numerically (so the errata cannot rot).

``test_erratum_<letter>_*`` checks entry (<letter>) of ``docs/errata.md``.
"""
import math
from pathlib import Path

import numpy as np
import pytest

import bregnet
from bregnet import bregman as bm
from bregnet.activations import get
from bregnet.testing import laws

ERRATA = Path(__file__).resolve().parents[1] / "docs" / "errata.md"


def _f(a):
    return float(np.asarray(a).reshape(-1)[0])


# ------------------------------------------------------------------ (a) Theorem 10, item 11
def test_erratum_a_item11_as_printed_is_false_for_relu():
    relu = get("relu")
    x = np.array([[0.3]])
    z1, z2 = np.array([[-1.0]]), np.array([[-2.0]])
    G = lambda z: bregnet.bregman_grad(relu, x, z)       # noqa: E731
    lhs = _f(np.sum((G(z1) - G(z2)) * (z1 - z2), axis=-1))
    printed_rhs = _f(np.sum((z1 - z2) ** 2, axis=-1))
    correct_rhs = _f(np.sum((G(z1) - G(z2)) ** 2, axis=-1))
    assert (lhs, printed_rhs, correct_rhs) == (0.0, 1.0, 0.0)
    assert not lhs >= printed_rhs        # the printed statement fails
    assert lhs >= correct_rhs            # the corrected one holds
    laws.check_theorem10_item11(lambda x, z: bregnet.bregman_grad(relu, x, z), x, z1, z2)


def test_erratum_a_printed_item11_holds_only_for_shifted_identity():
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    for name in ("tanh", "soft_threshold", "softmax"):
        act = get(name)
        d = act.prox(z1) - act.prox(z2)
        assert np.any(np.sum(d * (z1 - z2), axis=-1) < np.sum((z1 - z2) ** 2, axis=-1)), name
    ident = get("identity")
    d = ident.prox(z1) - ident.prox(z2)
    assert np.allclose(np.sum(d * (z1 - z2), axis=-1), np.sum((z1 - z2) ** 2, axis=-1))


# ------------------------------------------------------------------ (b) Example 2, soft-thresholding
def printed_soft_threshold(x, z, alpha=1.0):
    """Example 2 as printed (scalar)."""
    if z > alpha:
        return 0.5 * z * z - z * (alpha + x)
    if z < -alpha:
        return 0.5 * z * z + z * (alpha - x)
    return -x * z


def test_erratum_b_printed_soft_threshold_is_negative():
    st = get("soft_threshold", alpha=1.0)
    assert printed_soft_threshold(1.0, 0.5) == -0.5
    for B in (bregnet.bregman_loss(st, [[1.0]], [[0.5]]), bm.bregman_loss_definition(st, [[1.0]], [[0.5]]),
              bm.soft_threshold_bregman_loss([[1.0]], [[0.5]], alpha=1.0)):
        assert _f(B) == pytest.approx(1.0, abs=1e-15)


def test_erratum_b_printed_soft_threshold_misses_half_alpha_squared():
    st = get("soft_threshold", alpha=1.0)
    assert printed_soft_threshold(0.0, 2.0) == 0.0
    assert _f(bregnet.bregman_loss(st, [[0.0]], [[2.0]])) == pytest.approx(0.5, abs=1e-15)
    assert _f(st.conjugate([[2.0]])) == pytest.approx(0.5, abs=1e-15)


def test_erratum_b_printed_soft_threshold_jumps_at_alpha():
    assert printed_soft_threshold(0.0, 1.0) == 0.0
    assert printed_soft_threshold(0.0, 1.0 + 1e-9) == pytest.approx(-0.5, abs=1e-8)
    # the corrected form is continuous there
    a = bm.soft_threshold_bregman_loss([[0.0]], [[1.0]], alpha=1.0)
    b = bm.soft_threshold_bregman_loss([[0.0]], [[1.0 + 1e-9]], alpha=1.0)
    assert abs(_f(a) - _f(b)) < 1e-8


def test_erratum_b_corrected_form_equals_definition_12():
    rng = np.random.default_rng(1)
    for alpha in (1.0, 0.3):
        st = get("soft_threshold", alpha=alpha)
        x, z = rng.normal(scale=2, size=(40, 3)), rng.normal(scale=2, size=(40, 3))
        laws.check_example2_closed_form(lambda x, z: bm.soft_threshold_bregman_loss(x, z, alpha=alpha),
                                        st.psi, st.conjugate, x, z)


# ------------------------------------------------------------------ (c) tanh: Psi not lsc as printed
def printed_tanh_psi(u):
    u = float(u)
    if abs(u) >= 1:
        return math.inf
    return u * math.atanh(u) + 0.5 * (math.log(1 - u * u) - u * u)


def test_erratum_c_printed_tanh_psi_is_not_lsc():
    limit = math.log(2) - 0.5
    assert printed_tanh_psi(1 - 1e-8) == pytest.approx(0.1931470897, abs=1e-10)
    assert printed_tanh_psi(1 - 1e-12) == pytest.approx(0.1931471805, abs=1e-10)
    assert abs(printed_tanh_psi(1 - 1e-12) - limit) < 1e-9
    assert printed_tanh_psi(1.0) == math.inf > limit          # Psi(1) > liminf: not lsc
    assert printed_tanh_psi(-1.0) == math.inf
    # bregnet implements the closure
    assert _f(get("tanh").psi([[1.0]])) == pytest.approx(limit, abs=1e-15)
    assert _f(get("tanh").psi([[-1.0]])) == pytest.approx(limit, abs=1e-15)


def test_erratum_c_closure_has_the_same_prox():
    tanh = get("tanh")
    z = np.array([[0.3], [-2.0], [5.0], [0.0]])
    for u in ([[1.0]], [[-1.0]], [[1 - 1e-12]]):
        laws.check_three_point_inequality(np.tanh, tanh.psi, z, np.broadcast_to(np.array(u), z.shape))


def test_erratum_c_tanh_bregman_is_finite_at_the_boundary():
    tanh = get("tanh")
    for z in (0.5, -2.0, 3.0):
        expected = math.log1p(math.exp(-2 * z))
        assert _f(bregnet.bregman_loss(tanh, [[1.0]], [[z]])) == pytest.approx(expected, rel=1e-13)
        assert _f(bm.bregman_loss_definition(tanh, [[1.0]], [[z]])) == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert _f(bregnet.bregman_loss(tanh, [[-1.0]], [[-z]])) == pytest.approx(expected, rel=1e-13)
    assert _f(bregnet.bregman_loss(tanh, [[1.0]], [[0.5]])) == pytest.approx(0.3132616875, abs=1e-10)


def test_erratum_c_tanh_rounds_onto_the_boundary():
    assert np.tanh(20.0) == 1.0
    assert printed_tanh_psi(np.tanh(20.0)) == math.inf          # printed: B(sigma(z), z) = inf
    assert _f(bregnet.bregman_loss(get("tanh"), [[np.tanh(20.0)]], [[20.0]])) == pytest.approx(0.0, abs=1e-15)


# ------------------------------------------------------------------ (d) Corollary 6 "iff" (issue text)
def test_erratum_d_corollary6_equality_off_the_graph():
    relu = get("relu")
    B = _f(bregnet.bregman_loss(relu, [[2.0]], [[1.0]]))
    assert B == 0.5 == 0.5 * (2.0 - _f(relu.prox([[1.0]]))) ** 2
    assert _f(relu.prox([[1.0]])) != 2.0
    ident = get("identity")
    assert _f(bregnet.bregman_loss(ident, [[3.0]], [[-1.0]])) == 8.0 == 0.5 * (3.0 - (-1.0)) ** 2


# ------------------------------------------------------------------ (e) item 7 / Remark 9
def test_erratum_e_remark9_example_is_outside_the_domain():
    relu = get("relu")
    assert np.all(np.isinf(bregnet.bregman_loss(relu, [[-1.0]] * 3, [[-5.0], [0.0], [5.0]])))
    with pytest.raises(ValueError):                       # Lemma 8 needs x in dom Psi
        bregnet.bregman_grad(relu, [[-1.0]], [[0.0]])


def test_erratum_e_tanh_boundary_point_has_no_minimiser_in_z():
    tanh = get("tanh")
    z = np.array([[0.0], [5.0], [10.0]])
    x = np.ones_like(z)
    B = bregnet.bregman_loss(tanh, x, z)
    g = bregnet.bregman_grad(tanh, x, z)
    assert np.all(B > 0) and np.all(g < 0)
    np.testing.assert_allclose(B, [0.6931471805599453, 4.5398899216945305e-05, 2.06115367517433e-09], rtol=1e-9)
    np.testing.assert_allclose(g[:, 0], [-1.0, -9.079573740489177e-05, -4.122307273313197e-09], rtol=1e-9)


def test_errata_page_lists_every_checked_entry():
    text = ERRATA.read_text()
    for letter in "abcdef":
        assert f"## ({letter})" in text
    for letter in "abcde":
        assert f"-k erratum_{letter}" in text
