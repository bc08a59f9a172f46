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
from bregnet.backprop import backprop
from bregnet.lifted import (LiftedProblem, forward_hidden, forward_loss, layer_energies, lifted_energy,
                            theta_gradient, theta_step, x_step)
from bregnet.network import Network, glorot_init
from bregnet.solvers.constrained import constraint_values
from bregnet.solvers.lipschitz import theta_lipschitz

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


def test_erratum_c_example2_closed_form_is_finite_at_the_boundary():
    # bregnet.bregman.tanh_bregman_loss returns the lsc value log(1 + e^{-+2z}) at x = +-1 (not the printed inf)
    B = bm.tanh_bregman_loss([[1.0], [-1.0], [1.0]], [[0.5], [-0.5], [-2.0]])
    np.testing.assert_allclose(B, [math.log1p(math.exp(-1.0)), math.log1p(math.exp(-1.0)), math.log1p(math.exp(4.0))], rtol=1e-13)
    assert _f(bm.tanh_bregman_loss([[1.0]], [[0.5]])) == pytest.approx(0.3132616875, abs=1e-10)


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


# ================================================================== Section 4 onwards (Algorithm 1, Sections 5-7, Appendices)
_ID, _RELU = get("identity"), get("relu")


def _a(*rows):
    return np.array(rows, dtype=np.float64)


# ------------------------------------------------------------------ (g) Example 3, x-update
def test_erratum_g_example3_x_update():
    tau = 0.3
    x0, x1, x2 = np.array([1.0, -1.0]), np.array([1.0, 0.0, 2.0]), np.array([1.0, 1.0])
    W1, b1 = _a([1.0, 0.0, 2.0], [0.0, 1.0, 1.0]), np.array([0.5, 0.0, -1.0])
    W2, b2 = _a([1.0, -1.0], [0.0, 1.0], [1.0, 0.0]), np.array([0.0, 0.5])
    a2 = np.maximum(W2.T @ x1 + b2, 0)
    with pytest.raises(ValueError):                       # as printed: W_{j+1} max(...) - x_{j+1} is ill-typed
        W2 @ a2 - x2
    prob = LiftedProblem((_RELU, _RELU), (1.0, 1.0))
    implemented = x_step(prob, 1, x1[None], (x0 @ W1 + b1)[None], (a2 - x2)[None], W2, tau)[0]
    corrected = np.maximum((x1 - tau * W2 @ (a2 - x2) + tau * (W1.T @ x0 + b1)) / (1 + tau), 0)
    printed_typed = np.maximum((x1 - tau * W2 @ (a2 - x2) - W1.T @ x0 - b1) / (1 + tau), 0)
    np.testing.assert_allclose(implemented, [11 / 26, 0.0, 14 / 13], rtol=1e-14)
    np.testing.assert_allclose(corrected, implemented, rtol=1e-14)
    np.testing.assert_allclose(printed_typed, [0.0, 1.0, 14 / 13], rtol=1e-14)
    # (17b) is the prox-gradient step: argmin_x>=0 1/2|x - v|^2 + tau/2 |x|^2, v = x1 - tau grad_x H
    v = x1 - tau * (-(W1.T @ x0 + b1) + W2 @ (a2 - x2))
    assert np.array_equal(np.maximum(v / (1 + tau), 0), corrected)


# ------------------------------------------------------------------ (h) (24) / Algorithm 1, proximal term
def test_erratum_h_proximal_term_is_a_weight():
    rho, eta = 100.0, 1e-3
    Xp, Xc = np.zeros((4, 3)), np.zeros((4, 2))            # dead layer: only the proximal term moves W
    Wk, bk = np.zeros((3, 2)), np.zeros(2)
    W = Wk + np.arange(6.0).reshape(3, 2)
    W1, _, _ = theta_step(_RELU, 1.0, W, bk, Xp, Xc, eta, anchor=(Wk, bk), prox_weight=rho)
    # the step is W - eta * grad of (rho/2)|W - W^k|^2, i.e. Algorithm 1's tau^k (Theta - Theta_anchor) ...
    np.testing.assert_allclose(W1 - Wk, (1 - eta * rho) * (W - Wk), rtol=1e-14)
    # ... whereas (24) as printed, (1/(2 tau^k))|Theta - Theta^k|^2, has gradient (Theta - Theta^k)/tau^k: 10^4 x smaller
    printed24 = (W - Wk) / rho
    np.testing.assert_allclose(rho * (W - Wk), 1e4 * printed24)
    # prox_weight = 0 is LBN-D's "tau^k = 0" (no proximal term); (24) as printed would divide by zero
    W0, _, _ = theta_step(_RELU, 1.0, W, bk, Xp, Xc, eta, anchor=(Wk, bk), prox_weight=0.0)
    assert np.array_equal(W0, W)


# ------------------------------------------------------------------ (i) Algorithm 1, Theta residual
def test_erratum_i_theta_residual_parenthesis():
    # identity, one sample, f = w x0 + b, x0 = 2, x1 = 1, w = 1, b = 0
    gW, gb, _ = theta_gradient(_ID, 1.0, _a([2.0]), _a([1.0]), _a([2.0]))
    fd = (0.5 * (1.000001 * 2 - 1) ** 2 - 0.5 * (0.999999 * 2 - 1) ** 2) / 2e-6
    assert _f(gW) == 2.0 and fd == pytest.approx(2.0, abs=1e-8)
    printed = 2.0 - 1.0 * 2.0                              # prox(f) - x_l J_f^Theta
    assert printed == 0.0 != _f(gW)


# ------------------------------------------------------------------ (j) Algorithm 1, x-update with the anchor
def test_erratum_j_x_update_uses_the_current_theta():
    # L = 2, identity, x0 = 1, current W1 = 2, anchor W1^k = 1, W2 = 1, y = 0, b = 0
    prob = LiftedProblem((_ID, _ID), (1.0, 1.0))
    objective = lambda x1: 0.5 * (x1 - 2.0) ** 2 + 0.5 * x1 ** 2        # noqa: E731  (24) in x1

    def fixed_point(z1):
        x = _a([0.0])
        for _ in range(200):
            x = x_step(prob, 1, x, z1, _ID.prox(x @ _a([1.0])) - _a([0.0]), _a([1.0]), 0.4)
        return _f(x)
    current, anchor = fixed_point(_a([2.0])), fixed_point(_a([1.0]))
    assert current == pytest.approx(1.0, abs=1e-12) and objective(current) == pytest.approx(1.0, abs=1e-12)
    assert anchor == pytest.approx(0.5, abs=1e-12) and objective(anchor) == pytest.approx(1.25, abs=1e-12)


# ------------------------------------------------------------------ (l) (25)-(27): second argument of the data term
def test_erratum_l_data_term_needs_f_of_x_L_minus_1():
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    prob = LiftedProblem.from_network(net)
    xs = [X, *forward_hidden(net, X), Y]
    # (25) as printed, B(y, x_L) with x_L free: x_L = y and a forward pass give 0 for every Theta
    printed = float(np.sum(bregnet.bregman_loss(_ID, Y, Y))) / 5 + layer_energies(prob, net, xs)[0]
    assert printed == 0.0
    E = lifted_energy(prob, net, xs)
    assert E == pytest.approx(forward_loss(prob, net, X, Y), rel=1e-14) and E == pytest.approx(0.5558, abs=1e-4)


# ------------------------------------------------------------------ (m) Section 6.1, tau_W
def test_erratum_m_tau_W_prox_weight_counts_fully():
    rho, B = 100.0, 4
    Xp, Xc = np.zeros((B, 3)), np.zeros((B, 2))             # dead layer X_{l-1}^p = 0
    Wk, bk = np.zeros((3, 2)), np.zeros(2)

    def ratios(eta):
        W, out = Wk + 1.0, []
        for _ in range(4):
            W, _, _ = theta_step(_RELU, 1.0, W, bk, Xp, Xc, eta, anchor=(Wk, bk), prox_weight=rho)
            out.append(float(W[0, 0] - Wk[0, 0]))
        return np.array(out)
    np.testing.assert_allclose(ratios(1.99 / (0.0 + rho / 2)), [-2.98, 2.98 ** 2, -2.98 ** 3, 2.98 ** 4], rtol=1e-12)
    eta = 1.99 / theta_lipschitz(0.0, B, 1.0, rho)            # implemented: 1.99 / (lambda (|X|^2/|B| + 1) + rho)
    np.testing.assert_allclose(ratios(eta), (1 - 1.99 * rho / 101) ** np.arange(1, 5), rtol=1e-12)
    assert abs(1 - 1.99 * rho / 101) < 1


def test_erratum_m_tau_W_index_and_batch_scaling():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 3))
    # Hessian in W of the batch-averaged data term (identity): X^T X / |B|, top eigenvalue |X_{l-1}^p|^2 / |B|
    assert np.linalg.eigvalsh(X.T @ X / 4).max() == pytest.approx(np.linalg.norm(X, 2) ** 2 / 4, rel=1e-12)
    assert np.linalg.norm(X, 2) ** 2 / 4 == pytest.approx(1.2471, abs=1e-4)
    # index: the W_l-step must use X_{l-1}; one sample x_{l-1} = 3, x_l = 1, W-only steps, identity
    def factor(eta):
        W = 1.0
        W1 = W - eta * 3.0 * (3.0 * W - 1.0)
        W2 = W1 - eta * 3.0 * (3.0 * W1 - 1.0)
        return (W2 - 1 / 3) / (W1 - 1 / 3)
    assert factor(1.99 / 1.0 ** 2) == pytest.approx(1 - 1.99 * 9, rel=1e-12)   # printed |X_l|^2 = 1: diverges
    assert factor(1.99 / 3.0 ** 2) == pytest.approx(-0.99, rel=1e-12)           # |X_{l-1}|^2 = 9


# ------------------------------------------------------------------ (n) Section 6.1, tau_x
def test_erratum_n_tau_x_uses_W_j_plus_1():
    prob = LiftedProblem((_ID, _ID), (1.0, 1.0))
    W_j, W_next = 0.5, 2.0                                  # per sample (|B_p| = 1), Z_j = 0, x_{j+1} = 0, b = 0

    def iterates(t):
        x, out = _a([1.0]), []
        for _ in range(4):
            x = x_step(prob, 1, x, _a([0.0]), _ID.prox(x * W_next), _a([W_next]), t)
            out.append(_f(x))
        return np.array(out)
    q = (1 - 7.96 * 4) / (1 + 7.96)
    np.testing.assert_allclose(iterates(1.99 / W_j ** 2), q ** np.arange(1, 5), rtol=1e-12)
    assert q == pytest.approx(-3.4419642857, rel=1e-9)
    np.testing.assert_allclose(iterates(1.99 / W_next ** 2), ((1 - 1.99) / 1.4975) ** np.arange(1, 5), rtol=1e-12)


# ------------------------------------------------------------------ (o) Section 6.1, architecture
def test_erratum_o_784_64_64_10_has_three_affine_layers():
    from bregnet.problems import classification
    assert glorot_init([784, 64, 64, 10], "relu", seed=0).n_layers == 3
    assert classification().layer_sizes == (784, 64, 64, 10) and classification().n_layers == 3
    reading_b = glorot_init([784, 784, 64, 64, 10], ["relu"] * 3 + ["identity"], seed=0)
    assert reading_b.n_layers == 4 and len(reading_b.layer_sizes[1:-1]) == 3     # Table 2's three hidden layers


# ------------------------------------------------------------------ (p) Section 6.2, separate tau_w and tau_b
def test_erratum_p_separate_W_and_b_steps_diverge():
    s = 10
    X, Y = np.ones((s, 3)), np.zeros((s, 1))
    loss = lambda W, b: 0.5 * float(np.sum((X @ W + b - Y) ** 2)) / s        # noqa: E731
    nx = np.linalg.norm(X, 2) ** 2
    assert nx == pytest.approx(30.0) and np.linalg.norm(np.c_[X, np.ones(s)], 2) ** 2 == pytest.approx(40.0)
    W, b, printed = np.zeros((3, 1)), np.array([1.0]), []
    for _ in range(4):                                       # tau_w = 1.99 s/|X|^2, tau_b = 1.99, simultaneous
        gW, gb, _ = theta_gradient(_ID, 1.0, X, Y, X @ W + b)
        W, b = W - 1.99 * s / nx * gW, b - 1.99 * gb
        printed.append(loss(W, b))
    np.testing.assert_allclose(printed, 0.5 * 8.8804 ** np.arange(1, 5), rtol=1e-12)   # 4.44, 39.4, 350, 3110
    W, b, joint = np.zeros((3, 1)), np.array([1.0]), [0.5]
    eta = 1.99 / theta_lipschitz(nx, s, 1.0)                 # joint step 1.99/(|X|^2/s + 1)
    for _ in range(4):
        W, b, _ = theta_step(_ID, 1.0, W, b, X, Y, eta)
        joint.append(loss(W, b))
    assert eta == pytest.approx(0.4975) and all(b_ < a_ for a_, b_ in zip(joint, joint[1:]))


def test_erratum_p_s_must_be_the_batch_size():
    rng = np.random.default_rng(0)
    Xb, Yb = rng.normal(size=(20, 5)), rng.normal(size=(20, 2))     # |B_p| = 20 of s = 1000, tau_k = 1
    loss = lambda W: 0.5 * float(np.sum((Xb @ W - Yb) ** 2)) / 20     # noqa: E731
    nb = np.linalg.norm(Xb, 2) ** 2
    W, out = np.zeros((5, 2)), [loss(np.zeros((5, 2)))]
    for _ in range(2):
        gW, _, _ = theta_gradient(_ID, 1.0, Xb, Yb, Xb @ W)
        W = W - 1.99 * 1000 / (nb + 0.5) * gW
        out.append(loss(W))
    assert out[1] > 100 * out[0] and out[2] > 100 * out[1]
    W = np.zeros((5, 2))
    for _ in range(2):                                               # s read as |B_p|: descent
        gW, _, _ = theta_gradient(_ID, 1.0, Xb, Yb, Xb @ W)
        W_new = W - 1.99 * 20 / nb * gW
        assert loss(W_new) < loss(W)
        W = W_new


# ------------------------------------------------------------------ (q) Section 7, residual network sign
def test_erratum_q_residual_sign():
    one = _a([1.0])                                          # identity, W = 1, b = 0, x_0 = 1: sigma(f(x_0)) = 1
    assert _f(bregnet.bregman_loss(_ID, _a([2.0]) - one, one)) == 0.0       # x_1 = x_0 + sigma(.) = 2
    assert _f(bregnet.bregman_loss(_ID, _a([0.0]) - one, one)) == 2.0       # printed x_1 = x_0 - sigma(.) = 0
    assert _f(bregnet.bregman_loss(_RELU, _a([0.0]) - one, one)) == math.inf


# ------------------------------------------------------------------ (r) Appendix A, (28)-(32)
def test_erratum_r_lagrangian_multipliers_have_the_opposite_sign():
    # two identity layers, x0 = 3, W1 = 2, W2 = 1, b = 0, y = 0, l = 1/2 |x_2 - y|^2: z_1 = x_1 = z_2 = x_2 = 6
    net = Network((_a([2.0]), _a([1.0])), (np.zeros(1), np.zeros(1)), ("identity", "identity"))
    r = backprop(net, [[3.0]], [[0.0]])
    assert r.objective == 18.0 and [_f(g) for g in r.grad_weights] == [18.0, 36.0]
    grad_l = 6.0
    mu2 = -grad_l                                            # (29)
    delta2 = 1.0 * mu2                                       # (32), sigma' = 1
    mu1 = 1.0 * delta2                                       # (31), W2 = 1
    delta1 = 1.0 * mu1                                       # (32)
    alg2_delta2, alg2_delta1 = 1.0 * grad_l, 1.0 * 1.0 * grad_l
    assert (delta2, delta1) == (-6.0, -6.0) and (alg2_delta2, alg2_delta1) == (6.0, 6.0)
    assert _f(r.grad_weights[0]) == 3.0 * alg2_delta1 == -3.0 * delta1      # dF/dW_1 = -(df/dW_1)^T delta_1
    assert _f(r.grad_weights[1]) == 6.0 * alg2_delta2 == -6.0 * delta2
    assert 3.0 * mu1 == -18.0 != delta1                     # (30) as printed, delta_1 = (df/dTheta_1) mu_1, contradicts (32)


# ------------------------------------------------------------------ (s) Algorithm 2, sigma' (.) for softmax
def test_erratum_s_softmax_needs_the_jacobian_transpose():
    sm = get("softmax")
    z, v = _a([0.0, 1.0]), _a([1.0, 0.0])
    p = 1 / (1 + math.e)                                     # softmax(z)_1
    full = sm.vjp(z, v)[0]
    diag = np.einsum("sii->si", sm.jacobian(z))[0] * v[0]
    eps = 1e-6
    fd = [(float(np.sum(sm.prox(z + eps * e) * v)) - float(np.sum(sm.prox(z - eps * e) * v))) / (2 * eps)
          for e in np.eye(2)]
    np.testing.assert_allclose(full, [p * (1 - p), -p * (1 - p)], rtol=1e-12)
    np.testing.assert_allclose(fd, full, atol=1e-9)
    np.testing.assert_allclose(diag, [p * (1 - p), 0.0], rtol=1e-12)
    assert p * (1 - p) == pytest.approx(0.19661193, abs=1e-8)


# ------------------------------------------------------------------ (t)-(v) Appendix B.2, scalar examples
def test_erratum_t_printed_bias_update_scalar():
    # min_b delta/2 (W x + b - z)^2 - mu (W x + b), x = 1, W = 2, z = 0, mu = 1, delta = 1
    W, x, z, mu, delta = 2.0, 1.0, 0.0, 1.0, 1.0
    g = lambda b: 0.5 * delta * (W * x + b - z) ** 2 - mu * (W * x + b)   # noqa: E731
    derived, printed = z + mu / delta - W * x, z - (mu / delta - W * x)
    assert (derived, printed) == (-1.0, 1.0) and (g(derived), g(printed)) == (-0.5, 1.5)
    assert g(derived) < min(g(derived - 1e-3), g(derived + 1e-3))


def _b2_scalar_admm(printed_mu=False, printed_v=False, n=200):
    """ADMM of Appendix B.2 for min_x 1/2 x^2 - a x + 1/2 (w x + b)^2 - y (w x + b) (Psi = 0 in both layers)."""
    a, w, b, y, d = 1.0, 2.0, 0.5, -1.0, 1.0
    x = v = z = m1 = m2 = 0.0
    for _ in range(n):
        x = (d * v + m2 + a) / (1 + d)                                   # printed x-update (prox of Psi = 0)
        if printed_v:
            v = (z - b + m1 / d) / w                                     # argmin_v d/2 (f(v) - z)^2 - <m1, f(v)>
        else:
            v = (d * w * (z - b) + m1 * w - m2 + d * x) / (d * w * w + d)  # ... + <m2, v> + d/2 (v - x)^2
        z = (d * (w * v + b) + y - m1) / (1 + d)                         # prox_{Phi*/d}, Phi* = 1/2 z^2
        r1, r2 = z - (w * v + b), v - x
        m1, m2 = (r1, r2) if printed_mu else (m1 + d * r1, m2 + d * r2)
    return x


def test_erratum_u_printed_multiplier_update_scalar():
    x_star = (1.0 + 2.0 * (-1.0 - 0.5)) / (1 + 4.0)
    assert x_star == pytest.approx(-0.4)
    assert _b2_scalar_admm() == pytest.approx(-0.4, abs=1e-12)
    assert _b2_scalar_admm(printed_mu=True) == pytest.approx(1 / 3, abs=1e-12)


def test_erratum_v_printed_v_update_scalar():
    assert _b2_scalar_admm() == pytest.approx(-0.4, abs=1e-12)
    assert _b2_scalar_admm(printed_v=True) == pytest.approx(-0.75, abs=1e-12)


# ------------------------------------------------------------------ (w) Appendix B.3, multiplier update
def test_erratum_w_multiplier_update_at_the_new_parameters():
    old = Network((_a([1.0]), _a([1.0])), (np.zeros(1), np.zeros(1)), ("identity", "identity"))
    new = Network((_a([2.0]), _a([1.0])), (np.zeros(1), np.zeros(1)), ("identity", "identity"))
    xs = [_a([1.0]), _a([2.0]), _a([2.0])]                    # X^{k+1}: x_1 = 2 = sigma(f(x_0, Theta^{k+1}))
    prob = LiftedProblem.from_network(new)
    lam, tau = 1.0, 10.0
    c_new, c_printed = _f(constraint_values(prob, new, xs)), _f(constraint_values(prob, old, xs))
    assert (c_new, c_printed) == (0.0, 0.5)
    assert max(0.0, lam + tau * c_new) == 1.0 and max(0.0, lam + tau * c_printed) == 6.0


# ------------------------------------------------------------------ findings that are not errata
def test_finding_classical_lifted_bias_condition_holds_on_average_only():
    # (7), one layer term sum_i |x_l^i - (W x_{l-1}^i + b)|^2 with s = 3: the minimiser in b zeroes the mean residual
    x_prev, x_cur, W = np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 3.0]), 1.0
    b = float(np.mean(x_cur - W * x_prev))
    r = x_cur - (W * x_prev + b)
    assert b == 0.0 and r.tolist() == [0.0, -1.0, 1.0] and r.sum() == 0.0


def test_errata_page_lists_every_checked_entry():
    text = ERRATA.read_text()
    for letter in "abcdefghijklmnopqrstuvw":
        assert f"### ({letter})" in text
    for letter in "abcdeghijlmnopqrstuvw":
        assert f"-k erratum_{letter}" in text
    assert "## Findings that are not errata" in text
