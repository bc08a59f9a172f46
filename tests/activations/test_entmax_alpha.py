"""alpha-entmax with temperature (bregnet.activations.entmax) and sparsemax/entmax15 with temperature.

Every formula against its definition: the closed forms of entmax15 and sparsemax at alpha = 1.5, 2
(to a few units of 2^-52), prox_{tPsi} against a direct SciPy minimisation of (9) written from the
Tsallis entropy, Psi against mp.quad of its derivative, Phi* against a numeric supremum and the
graph identity (11), grad Phi* = sigma and the Jacobian against central differences, the entmax
package where installed; the parameter restrictions (1 < alpha <= 2, T >= 1) with the failure of
non-expansiveness just outside them; the whole law suite for several parameter values; and each
check shown rejecting a deliberately wrong sigma or Psi.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from bregnet import bregman as bm
from bregnet.activations import NotProximalError, get
from bregnet.activations.entmax import Entmax, entmax_threshold, exp_alpha
from bregnet.testing import laws
from bregnet.testing.laws import LawViolation

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_laws import ActivationLawSuite  # noqa: E402

EPS = np.finfo(np.float64).eps
ALPHAS = (1.2, 1.5, 1.75, 2.0)
TEMPS = (1.0, 2.5)
STEPS = (0.3, 1.0, 3.0)


def tsallis_psi(u, alpha, T):
    """Psi(p) = T/(alpha(alpha-1)) sum(p^alpha - p) - |p|^2/2, written from the definition (no indicator)."""
    p = np.clip(np.asarray(u, dtype=float), 0.0, None)
    return T / (alpha * (alpha - 1)) * np.sum(p ** alpha - p) - 0.5 * np.sum(np.asarray(u) ** 2)


def minimise_on_simplex(f, n, starts):
    best = None
    for x0 in starts:
        res = minimize(f, x0, method="SLSQP", bounds=[(0.0, 1.0)] * n,
                       constraints=[{"type": "eq", "fun": lambda u: np.sum(u) - 1.0}],
                       options={"ftol": 1e-15, "maxiter": 500})
        if best is None or res.fun < best.fun:
            best = res
    return best.x, best.fun


def direct_prox(z, alpha, T, t):
    """argmin_{p in simplex} 1/2|p - z|^2 + t Psi(p) by SLSQP (eq. (9))."""
    n = z.size
    f = lambda u: 0.5 * np.sum((u - z) ** 2) + t * tsallis_psi(u, alpha, T)  # noqa: E731
    return minimise_on_simplex(f, n, [np.full(n, 1.0 / n), 0.5 / n + 0.5 * np.eye(n)[np.argmax(z)]])


# ----------------------------------------------------------------------------- closed forms at 1.5 and 2
@pytest.mark.parametrize("T", (1.0, 1.7, 4.0))
@pytest.mark.parametrize("alpha, name", [(1.5, "entmax15"), (2.0, "sparsemax")])
def test_matches_the_closed_forms(alpha, name, T):
    """sigma, prox_{tPsi}, Jacobian, Bregman loss to a few 2^-52; Psi and Phi* up to the documented constant."""
    rng = np.random.default_rng(3)
    gen, ref = get("entmax", alpha=alpha, temperature=T), get(name, temperature=T)
    shift = T / 2 if alpha == 2.0 else 0.0            # sparsemax's Psi is larger by T/2
    for n in (2, 3, 7, 40):
        z = rng.standard_normal((400, n)) * rng.choice([0.1, 1.0, 5.0], size=(400, 1))
        for t in STEPS:
            assert np.max(np.abs(gen.prox(z, step=t) - ref.prox(z, step=t))) <= 16 * EPS, (n, t)
        p = ref.prox(z)
        assert np.max(np.abs(gen.psi(p) + shift - ref.psi(p))) <= 8 * EPS * (1 + T)
        assert np.max(np.abs(gen.conjugate(z) - shift - ref.conjugate(z)) / (1 + np.abs(ref.conjugate(z)))) <= 8 * EPS
        assert np.max(np.abs(gen.jacobian(z[:20]) - ref.jacobian(z[:20]))) <= 8 * EPS
        x = np.roll(p, 1, axis=0)
        assert np.max(np.abs(bm.bregman_loss(gen, x, z) - bm.bregman_loss(ref, x, z))) <= 64 * EPS * (1 + np.max(np.abs(z)))


def test_closed_form_check_can_fail():
    """The comparison notices alpha = 1.5 + 1e-6 (a different map)."""
    z = np.random.default_rng(0).standard_normal((50, 4))
    diff = np.max(np.abs(get("entmax", alpha=1.5 + 1e-6).prox(z) - get("entmax15").prox(z)))
    assert diff > 8 * EPS


def test_entmax_package_agrees():
    torch = pytest.importorskip("torch")
    entmax = pytest.importorskip("entmax")
    rng = np.random.default_rng(5)
    z = rng.standard_normal((200, 6)) * 2
    for alpha in (1.1, 1.25, 1.5, 1.75, 2.0):
        theirs = entmax.entmax_bisect(torch.tensor(z, dtype=torch.float64), alpha=alpha, n_iter=100).numpy()
        assert np.max(np.abs(get("entmax", alpha=alpha).prox(z) - theirs)) < 1e-12, alpha


# ----------------------------------------------------------------------------- definitions
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("T", TEMPS)
def test_prox_against_direct_minimisation(alpha, T):
    act = get("entmax", alpha=alpha, temperature=T)
    rng = np.random.default_rng(int(10 * alpha + T))
    for _ in range(6):
        n = int(rng.integers(2, 6))
        z = rng.standard_normal(n) * 2
        for t in STEPS:
            p = act.prox(z[None], step=t)[0]
            u, fu = direct_prox(z, alpha, T, t)
            fp = 0.5 * np.sum((p - z) ** 2) + t * tsallis_psi(p, alpha, T)
            assert fp <= fu + 1e-10, (alpha, T, t, z)
            assert np.max(np.abs(p - u)) < 1e-5, (alpha, T, t, z)


def test_direct_minimisation_check_can_fail():
    """A wrong temperature (sigma of T = 1 for Psi of T = 2.5) is caught by the same comparison."""
    z = np.array([0.4, -0.3, 1.1])
    wrong = get("entmax", alpha=1.5).prox(z[None])[0]
    u, fu = direct_prox(z, 1.5, 2.5, 1.0)
    fw = 0.5 * np.sum((wrong - z) ** 2) + tsallis_psi(wrong, 1.5, 2.5)
    assert fw > fu + 1e-4


@pytest.mark.parametrize("alpha", (1.05, 1.3, 1.5, 2.0))
def test_psi_is_the_integral_of_its_derivative(alpha):
    """Each term f(p) = T(p^a - p)/(a(a-1)) - p^2/2 equals int_0^p f' (mp.quad), f' = T(p^{a-1}/(a-1) - 1/(a(a-1))) - p."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    T = 1.5
    act = get("entmax", alpha=alpha, temperature=T)
    a = mp.mpf(alpha)

    def fprime(s):
        return T * (s ** (a - 1) / (a - 1) - 1 / (a * (a - 1))) - s

    for p in (0.05, 0.3, 0.5, 0.9):
        q = 1.0 - p
        row = np.array([[p, q]])
        exact = mp.quad(fprime, [0, p]) + mp.quad(fprime, [0, q])
        assert abs(float(act.psi(row)[0]) - float(exact)) <= 16 * EPS


@pytest.mark.parametrize("alpha", ALPHAS)
def test_phi_star_is_the_supremum_and_the_graph_identity(alpha):
    for T in TEMPS:
        act = get("entmax", alpha=alpha, temperature=T)
        rng = np.random.default_rng(7)
        for _ in range(4):
            z = rng.standard_normal(3) * 2
            f = lambda u: -(u @ z - 0.5 * u @ u - tsallis_psi(u, alpha, T))  # noqa: E731
            _, fu = minimise_on_simplex(f, 3, [np.full(3, 1 / 3), np.eye(3)[np.argmax(z)] * 0.5 + 1 / 6])
            val = float(act.conjugate(z[None])[0])
            assert val >= -fu - 1e-10 and val <= -fu + 1e-7
            s = act.prox(z[None])
            graph = float(np.sum(s * (z - 0.5 * s)) - act.psi(s)[0])
            assert abs(val - graph) <= 16 * EPS * (1 + abs(val))


@pytest.mark.parametrize("alpha", ALPHAS)
def test_gradient_of_phi_star_and_jacobian_by_differences(alpha):
    act = get("entmax", alpha=alpha, temperature=1.3)
    rng = np.random.default_rng(11)
    z = rng.standard_normal((5, 4)) * 1.5
    h = 1e-6
    for i in range(4):
        e = np.zeros(4)
        e[i] = h
        fd = (act.conjugate(z + e) - act.conjugate(z - e)) / (2 * h)
        assert np.allclose(fd, act.prox(z)[:, i], atol=1e-8)
        col = (act.prox(z + e) - act.prox(z - e)) / (2 * h)
        assert np.allclose(col, act.jacobian(z)[:, :, i], atol=1e-6)
    v = rng.standard_normal((5, 4))
    assert np.allclose(act.vjp(z, v), np.einsum("bij,bi->bj", act.jacobian(z), v), atol=1e-14)
    eig = np.linalg.eigvalsh(act.jacobian(z))
    assert eig.min() >= -1e-12 and eig.max() <= 1 / 1.3 + 1e-12


def test_alpha_to_one_is_softmax():
    """exp_alpha -> exp, so entmax_alpha -> softmax and Psi -> softmax's Psi (constant included)."""
    rng = np.random.default_rng(2)
    z = rng.standard_normal((20, 5))
    act, sm = get("entmax", alpha=1 + 1e-7), get("softmax")
    assert np.max(np.abs(act.prox(z) - sm.prox(z))) < 1e-5
    p = sm.prox(z)
    assert np.max(np.abs(act.psi(p) - sm.psi(p))) < 1e-5
    assert np.max(np.abs(act.conjugate(z) - sm.conjugate(z))) < 1e-5
    assert exp_alpha(np.array([0.5]), 1 + 1e-9)[0] == pytest.approx(np.exp(0.5), rel=1e-8)


# ----------------------------------------------------------------------------- parameter restrictions
def test_parameters_are_validated():
    with pytest.raises(ValueError, match="alpha must be > 1"):
        get("entmax", alpha=1.0)
    with pytest.raises(NotProximalError, match="alpha must be <= 2"):
        get("entmax", alpha=2.5)
    with pytest.raises(TypeError, match="alpha"):
        get("entmax", alpha=None)
    with pytest.raises(ValueError, match="alpha must be finite"):
        get("entmax", alpha=np.nan)
    for name, params in (("entmax", {"alpha": 1.5}), ("sparsemax", {}), ("entmax15", {})):
        with pytest.raises(ValueError, match="temperature must be >= 1"):
            get(name, temperature=0.99, **params)
        with pytest.raises(TypeError, match="temperature"):
            get(name, temperature=True, **params)
    assert get("entmax", alpha=2, temperature=3).params() == {"alpha": 2.0, "temperature": 3.0}


def test_alpha_above_two_is_not_nonexpansive():
    """The reason for the restriction: entmax_2.5 expands distances (n = 2 at z = 0, slope 2^0.5; n = 3 much more)."""
    z1, z2 = np.array([[0.0, 0.0]]), np.array([[5e-5, -5e-5]])
    p1, p2 = entmax_threshold(z1, 2.5)[0], entmax_threshold(z2, 2.5)[0]
    assert np.linalg.norm(p1 - p2) > 1.3 * np.linalg.norm(z1 - z2)
    grad = lambda x, z: entmax_threshold(z, 2.5)[0] - x                    # noqa: E731
    with pytest.raises(LawViolation):
        laws.check_theorem10_item10(grad, np.zeros((1, 2)), z1, z2)
    # n = 3: p = (1 - d - e, d, e) with e << d; the slope grows like d^(2 - alpha)
    p3 = np.array([1 - 0.05 - 1e-4, 0.05, 1e-4])
    z3 = ((p3 ** 1.5 - 1) / 1.5)[None]                 # entmax_2.5(z3) = p3 (1 + 1.5 z_j = p_j^1.5, v = 0)
    assert np.allclose(entmax_threshold(z3, 2.5)[0], p3, atol=1e-14)
    J = np.linalg.eigvalsh(_fd_jacobian(lambda z: entmax_threshold(z, 2.5)[0], z3, h=1e-9))
    assert J.max() > 4.0                               # about 0.05^(2 - 2.5) = 4.47
    # within the range the same probes are contractive
    ok = get("entmax", alpha=2.0)
    laws.check_theorem10_item10(lambda x, z: ok.prox(z) - x, np.zeros((1, 2)), z1, z2)


def _fd_jacobian(f, z, h=1e-7):
    n = z.shape[-1]
    cols = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        cols.append((f(z + e) - f(z - e))[0] / (2 * h))
    return np.array(cols)


def test_temperature_below_one_expands_in_high_dimension():
    """T = 0.9, alpha = 1.5: at p = (1 - q, q/m, ..., q/m), m = 8000, the Rayleigh quotient of J at e_1 exceeds 1."""
    q, m, T = 0.02, 8000, 0.9
    p = np.concatenate([[1 - q], np.full(m, q / m)])
    s = np.sqrt(p)                                          # s_j = p_j^(2 - alpha)
    rayleigh = (s[0] - s[0] ** 2 / s.sum()) / T
    assert rayleigh > 1.01
    # the same number from the map itself: z with entmax15(z/T) = p (z_j/T = 2 sqrt(p_j) + const) and the vjp
    z = (2 * np.sqrt(p))[None] * T
    act = get("entmax15")                                   # T = 1 map evaluated at z / T, slope / T
    assert np.allclose(act.prox(z / T), p[None], atol=1e-12)
    e1 = np.zeros((1, m + 1))
    e1[0, 0] = 1.0
    assert float(act.vjp(z / T, e1)[0, 0]) / T == pytest.approx(rayleigh, rel=1e-6)
    # sparsemax: J = projection / T, eigenvalue 1/T for every n >= 2
    sp = get("sparsemax", temperature=1.0)
    assert np.max(np.linalg.eigvalsh(sp.jacobian(np.array([[0.2, 0.1, -0.1]])) / 0.9)) == pytest.approx(1 / 0.9)


# ----------------------------------------------------------------------------- law suite for other parameters
PARAMS = [("entmax", {"alpha": 1.2}), ("entmax", {"alpha": 2.0}), ("entmax", {"alpha": 1.75, "temperature": 3.0}),
          ("entmax", {"alpha": 1.5, "temperature": 1.5}), ("sparsemax", {"temperature": 2.0}),
          ("entmax15", {"temperature": 1.5})]


class TestEntmaxLaws(ActivationLawSuite):
    """Every law of Section 3 for non-default alpha and temperatures (the defaults run in tests/test_laws.py)."""

    @pytest.fixture(scope="class", params=PARAMS, ids=[n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in PARAMS])
    def activation(self, request):
        name, params = request.param
        return get(name, **params)


def test_sparsemax_psi_conjugate_with_temperature():
    """Psi*(y) = sup_{p in simplex} <p, y> - (T-1)/2 |p|^2 against a direct maximisation, and Fenchel-Young on the graph."""
    act = get("sparsemax", temperature=2.5)
    rng = np.random.default_rng(4)
    for _ in range(5):
        y = rng.standard_normal(4) * 2
        f = lambda u: -(u @ y - 0.75 * u @ u)  # noqa: E731
        _, fu = minimise_on_simplex(f, 4, [np.full(4, 0.25), np.eye(4)[np.argmax(y)] * 0.6 + 0.1])
        assert abs(float(act.psi_conjugate(y[None])[0]) + fu) < 1e-9
    z = rng.standard_normal((6, 4))
    laws.check_psi_fenchel_young(act.prox, act.psi, act.psi_conjugate, z, prox_conjugate=act.prox_conjugate)
    with pytest.raises(LawViolation):     # the T = 1 conjugate (max_j y_j) is wrong here
        laws.check_psi_fenchel_young(act.prox, act.psi, get("sparsemax").psi_conjugate, z,
                                     prox_conjugate=act.prox_conjugate)


# ----------------------------------------------------------------------------- the laws can fail here
def test_laws_reject_a_wrong_psi_for_entmax():
    act = get("entmax", alpha=1.3, temperature=1.2)
    z = np.array([[0.5, 0.4, 0.3], [2.0, 0.0, -1.0]])
    x = act.prox(z) + np.array([[-0.01, 0.01, 0.0], [-0.05, 0.05, 0.0]])      # near sigma(z), on the simplex
    tilted = lambda u: act.psi(u) + 0.5 * np.asarray(u)[..., 0]     # noqa: E731  Psi + a non-constant linear term
    laws.check_remark2_inclusion(act.prox, act.psi, z, x)
    laws.check_lemma4_fenchel_young(act.prox, act.psi, act.conjugate, z, x)
    with pytest.raises(LawViolation):
        laws.check_remark2_inclusion(act.prox, tilted, z, x)
    with pytest.raises(LawViolation):
        laws.check_lemma4_fenchel_young(act.prox, tilted, act.conjugate, z, x)
    other = get("entmax", alpha=1.6, temperature=1.2)               # the Psi of another alpha
    with pytest.raises(LawViolation):
        laws.check_lemma4_fenchel_young(act.prox, other.psi, act.conjugate, z, x)


def test_laws_reject_a_wrong_sigma_for_entmax():
    act = get("entmax", alpha=1.3, temperature=1.2)
    z = np.array([[0.5, -0.2, 1.0]])
    laws.check_prox_optimality(act.prox, act.psi, z)
    with pytest.raises(LawViolation):           # the T = 1 map is not the prox of the T = 1.2 Psi
        laws.check_prox_optimality(get("entmax", alpha=1.3).prox, act.psi, z)
    with pytest.raises(LawViolation):           # nor is the alpha = 1.3 prox with step 2 its prox with step 1
        laws.check_prox_optimality(lambda v: act.prox(v, step=2.0), act.psi, z)


def test_entmax_class_is_exact():
    assert type(get("entmax")) is Entmax and get("entmax").family == "simplex"
