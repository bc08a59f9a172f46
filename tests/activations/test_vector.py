"""Family tests for the non-separable activations: softmax, sparsemax, 1.5-entmax (simplex) and
block soft-thresholding, capsule squash (radial).

Every closed form is checked against its DEFINITION: prox_{tPsi} against a direct SciPy minimisation
of (9), Phi* and Psi* against a numeric supremum, grad Phi* = sigma and the Jacobian against central
differences of sigma.  Each check is a plain function that raises AssertionError, and
``TestChecksCanFail`` feeds every check a deliberately wrong formula to show that it would notice.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import linprog, minimize

from bregnet.activations import get
from bregnet.activations.radial import BlockSoftThreshold, Squash
from bregnet.activations.simplex import Entmax15, Softmax, Sparsemax, sparsemax_threshold

SIMPLEX = ("softmax", "sparsemax", "entmax15")
RADIAL = ("block_soft_threshold", "squash")
MINE = ("sparsemax", "entmax15", "block_soft_threshold", "squash")
PARAMS = {"block_soft_threshold": {"alpha": 0.7}}
DIMS = (2, 3, 5)
STEPS = (0.3, 1.0, 2.5)


def build(name):
    return get(name, **PARAMS.get(name, {}))


def sample_z(rng, n, scale=1.5):
    return scale * rng.standard_normal(n)


# ----------------------------------------------------------------------------- definitions of Psi
# The tests' own statement of each Psi on its domain (no indicator), written from the literature,
# so that the minimiser can step slightly outside the domain; ``test_psi_matches_definition``
# checks that the implementation agrees with these on the domain and is +inf outside.
def psi_definition(act, u):
    u = np.asarray(u, dtype=float)
    if isinstance(act, Sparsemax):
        return 0.0
    if isinstance(act, Entmax15):  # Tsallis-1.5: argmax <p,z> + 4/3 sum(p - p^1.5)
        p = np.clip(u, 0, None)
        return 4.0 / 3.0 * np.sum(p ** 1.5 - p) - 0.5 * np.sum(u * u)
    if isinstance(act, Softmax):
        p = np.clip(u, 1e-300, None)
        return np.sum(act.temperature * p * np.log(p)) - 0.5 * np.sum(u * u)
    if isinstance(act, BlockSoftThreshold):
        return act.alpha * np.sqrt(np.sum(u * u))
    if isinstance(act, Squash):
        r = min(float(np.sqrt(np.sum(u * u))), 1.0)
        return float(act.psi(u / max(1.0, np.sqrt(np.sum(u * u))))) if r > 0 else 0.0
    raise AssertionError(type(act))


def squash_profile_by_quadrature(r):
    """psi(r) = int_0^r (rho^{-1}(u) - u) du with rho(s) = s^2/(1+s^2), rho^{-1}(u) = sqrt(u/(1-u))."""
    val, _ = quad(lambda u: np.sqrt(u / (1 - u)), 0, r, epsabs=1e-14, epsrel=1e-13, limit=200)
    return val - 0.5 * r * r


# ----------------------------------------------------------------------------- direct minimisation
def minimise_prox_objective(act, z, t):
    """argmin_u 1/2|u - z|^2 + t Psi(u) (eq. (9)) by SciPy, from the definition of Psi; returns (u, f(u))."""
    z = np.asarray(z, dtype=float)
    n = z.size

    def f(u):
        d = u - z
        return 0.5 * d @ d + t * psi_definition(act, u)

    if act.family == "simplex":
        best = None
        for x0 in (np.full(n, 1.0 / n), 0.5 * np.full(n, 1.0 / n) + 0.5 * np.eye(n)[np.argmax(z)]):
            res = minimize(f, x0, method="SLSQP", bounds=[(0.0, 1.0)] * n,
                           constraints=[{"type": "eq", "fun": lambda u: np.sum(u) - 1.0,
                                         "jac": lambda u: np.ones_like(u)}],
                           options={"ftol": 1e-15, "maxiter": 2000})
            u = np.clip(res.x, 0, 1)
            u = u / u.sum()
            if best is None or f(u) < f(best):
                best = u
        return best, f(best)
    if isinstance(act, BlockSoftThreshold):
        # epigraph form: min 1/2|u - z|^2 + t alpha s  s.t.  s >= |u|  (smooth, so SLSQP applies)
        def g(v):
            d = v[:n] - z
            return 0.5 * d @ d + t * act.alpha * v[n]

        best = None
        for x0 in (np.append(z, np.linalg.norm(z)), np.append(0.5 * z, np.linalg.norm(z))):
            res = minimize(g, x0, method="SLSQP", bounds=[(None, None)] * n + [(0.0, None)],
                           constraints=[{"type": "ineq", "fun": lambda v: v[n] ** 2 - v[:n] @ v[:n]}],
                           options={"ftol": 1e-15, "maxiter": 200})
            u = res.x[:n]
            if best is None or f(u) < f(best):
                best = u
        return best, f(best)
    if isinstance(act, Squash):
        # SLSQP with finite-difference gradients stalls where grad Psi blows up at |u| -> 1 (its result moved by
        # 1e-2 with the BLAS thread count): best of three starts, then a derivative-free polish inside the ball
        best = None
        for x0 in (0.5 * z / (1 + np.linalg.norm(z)), np.zeros(n), 0.9 * z / max(np.linalg.norm(z), 1e-12)):
            res = minimize(f, x0, method="SLSQP", constraints=[{"type": "ineq", "fun": lambda u: 1.0 - u @ u}],
                           options={"ftol": 1e-15, "maxiter": 2000})
            u = res.x / max(1.0, np.linalg.norm(res.x))
            if best is None or f(u) < f(best):
                best = u

        def f_ball(u):        # Psi = +inf outside the open unit ball
            return f(u) if u @ u < 1.0 else np.inf

        res = minimize(f_ball, best, method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-15, "maxiter": 20000, "maxfev": 40000})
        u = res.x if f_ball(res.x) <= f_ball(best) else best
        return u, f(u)
    raise AssertionError(type(act))


def check_prox(act, z, t):
    """prox_{tPsi}(z) minimises (9): objective no larger than SciPy's and the points agree."""
    x = np.asarray(act.prox(z[None, :], step=t))[0]
    assert np.all(np.isfinite(x)), x
    assert np.isfinite(act.psi(x[None, :])[0]), ("prox left dom Psi", x)
    u, fu = minimise_prox_objective(act, z, t)
    fx = 0.5 * np.sum((x - z) ** 2) + t * psi_definition(act, x)
    assert fx <= fu + 1e-9 * (1 + abs(fu)), (fx, fu, x, u)
    # 1-strong convexity of (9): |x - u|^2 <= 2 (f(u) - f(x)), and SciPy is accurate to ~1e-5
    assert np.allclose(x, u, atol=2e-4), (x, u)


def check_conjugate(act, z):
    """Phi*(z) = sup_x <x, z> - 1/2|x|^2 - Psi(x) = 1/2|z|^2 - min_x (1/2|x - z|^2 + Psi(x))."""
    _, fmin = minimise_prox_objective(act, z, 1.0)
    numeric = 0.5 * z @ z - fmin
    closed = float(act.conjugate(z[None, :])[0])
    assert abs(closed - numeric) <= 1e-7 * (1 + abs(numeric)), (closed, numeric)


def check_conjugate_gradient(act, z, h=1e-6):
    """grad Phi* = sigma (eq. (15)), by central differences."""
    n = z.size
    grad = np.empty(n)
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        grad[k] = (act.conjugate((z + e)[None, :])[0] - act.conjugate((z - e)[None, :])[0]) / (2 * h)
    s = act.prox(z[None, :])[0]
    assert np.allclose(grad, s, atol=1e-6), (grad, s)


def check_jacobian(act, z, h=1e-6):
    """jacobian(z) and vjp(z, v) agree with central differences of sigma; J symmetric, eig in [0, 1]."""
    n = z.size
    fd = np.empty((n, n))
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        fd[:, k] = (act.prox((z + e)[None, :])[0] - act.prox((z - e)[None, :])[0]) / (2 * h)
    J = act.jacobian(z[None, :])[0]
    assert np.allclose(J, fd, atol=1e-6), (J, fd)
    v = np.random.default_rng(7).standard_normal(n)
    assert np.allclose(act.vjp(z[None, :], v[None, :])[0], fd.T @ v, atol=1e-6)
    assert np.allclose(J, J.T, atol=1e-12)
    eig = np.linalg.eigvalsh(0.5 * (J + J.T))
    assert eig.min() >= -1e-12 and eig.max() <= 1 + 1e-12, eig


def numeric_psi_conjugate(act, y):
    """sup_x <x, y> - Psi(x) numerically: a linear program over the simplex, or a sup over balls of growing radius."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if isinstance(act, Sparsemax):
        res = linprog(-y, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0, None)] * n, method="highs")
        return -res.fun
    if isinstance(act, BlockSoftThreshold):
        vals = []
        for R in (10.0, 1000.0):
            res = minimize(lambda v: -(v[:n] @ y - act.alpha * v[n]), np.append(y, 2 * np.linalg.norm(y)), method="SLSQP",
                           bounds=[(None, None)] * n + [(0.0, R)],
                           constraints=[{"type": "ineq", "fun": lambda v: v[n] ** 2 - v[:n] @ v[:n]}],
                           options={"ftol": 1e-14, "maxiter": 200})
            vals.append(-res.fun)
        # bounded (= value on every ball) or growing linearly in R (sup = +inf)
        return vals[0] if vals[1] <= vals[0] + 1e-6 else np.inf
    raise AssertionError(type(act))


def check_psi_conjugate(act, y):
    closed = float(act.psi_conjugate(y[None, :])[0])
    numeric = numeric_psi_conjugate(act, y)
    if np.isinf(numeric):
        assert closed == np.inf, (closed, numeric)
    else:
        assert abs(closed - numeric) <= 1e-6 * (1 + abs(numeric)), (closed, numeric)


def check_large_inputs(act, n, dtype=np.float64):
    """|z| up to 1e8: finite, in dom Psi, and the right limit."""
    rng = np.random.default_rng(11)
    base = rng.standard_normal((4, n))
    for scale in (1e4, 1e6, 1e8):
        z = (scale * base).astype(dtype)
        for t in (0.3, 1.0, 2.5):
            s = act.prox(z, step=t)
            assert s.dtype == dtype
            assert np.all(np.isfinite(s)), (scale, t, s)
            assert np.all(np.isfinite(act.psi(s))), (scale, t, act.psi(s))
        for out in (act.conjugate(z), act.vjp(z, z), act.jacobian(z)):
            assert np.all(np.isfinite(out)), (scale, out)
    if act.family == "simplex":
        # shift invariance sigma(z + c) = sigma(z), also for c = 1e8
        z = rng.standard_normal((4, n))
        for t in (0.3, 1.0, 2.5):
            ref = act.prox(z, step=t)
            assert np.allclose(act.prox(z + 1e8, step=t).astype(float), ref, atol=1e-6 if dtype == np.float64 else 1e-2)
    else:
        u = base / np.linalg.norm(base, axis=-1, keepdims=True)
        s = act.prox((1e8 * u).astype(dtype)).astype(float)
        expect = u * (1 if isinstance(act, Squash) else (1e8 - act.alpha))
        assert np.allclose(s, expect, rtol=1e-6 if dtype == np.float64 else 1e-5), (s, expect)


# ============================================================================= tests
@pytest.mark.parametrize("name", SIMPLEX + RADIAL)
@pytest.mark.parametrize("n", DIMS)
@pytest.mark.parametrize("t", STEPS)
def test_prox_matches_direct_minimisation(name, n, t):
    act = build(name)
    rng = np.random.default_rng(100 * n + int(10 * t))
    for _ in range(3):
        check_prox(act, sample_z(rng, n), t)


@pytest.mark.parametrize("name", MINE)
@pytest.mark.parametrize("t", STEPS)
def test_prox_hard_places(name, t):
    act = build(name)
    if act.family == "simplex":
        cases = [np.array([0.0, 0.0, 0.0]), np.array([5.0, -5.0, 0.0]), np.array([1.0, 1.0, -3.0]),
                 np.array([0.3, 0.3, 0.3, 0.3, -2.0])]
    else:
        cases = [np.array([0.0, 0.0]), np.array([0.7 * t, 0.0]), np.array([1e-4, -1e-4, 0.0]),
                 np.array([30.0, -40.0])]
    for z in cases:
        check_prox(act, z, t)


def test_softmax_prox_steps_and_temperature():
    for T in (0.5, 1.0, 2.0):
        act = get("softmax", temperature=T)
        rng = np.random.default_rng(5)
        for n in DIMS:
            for t in (0.3, 2.5):
                check_prox(act, sample_z(rng, n), t)


def test_entmax15_sort_matches_threshold_search():
    """t = 1: the exact sort-based algorithm and the 1-D monotone search (used for t != 1) agree."""
    act = get("entmax15")
    rng = np.random.default_rng(3)
    z = 2 * rng.standard_normal((200, 6))
    assert np.allclose(act.prox(z), act._prox_step(z, 1.0), atol=1e-13)
    # and both are the closed form (z/2 - tau)_+^2 with sum 1
    p = act.prox(z)
    assert np.allclose(p.sum(-1), 1, atol=1e-13) and np.all(p >= 0)


def test_prox_continuous_in_step():
    """prox_{tPsi} is continuous in t: the branches t < 1, t = 1, t > 1 join up."""
    rng = np.random.default_rng(9)
    for name in MINE + ("softmax",):
        act = build(name)
        z = sample_z(rng, 4)[None, :]
        for t in (1.0 - 1e-7, 1.0 + 1e-7):
            assert np.allclose(act.prox(z, step=t), act.prox(z), atol=1e-5), name


@pytest.mark.parametrize("name", MINE)
@pytest.mark.parametrize("n", DIMS)
def test_conjugate_is_numeric_sup(name, n):
    act = build(name)
    rng = np.random.default_rng(200 + n)
    for _ in range(3):
        check_conjugate(act, sample_z(rng, n))


@pytest.mark.parametrize("name", MINE + ("softmax",))
@pytest.mark.parametrize("n", DIMS)
def test_conjugate_gradient_is_sigma(name, n):
    act = build(name)
    rng = np.random.default_rng(300 + n)
    for _ in range(3):
        check_conjugate_gradient(act, sample_z(rng, n))


def test_conjugate_graph_identity():
    """Phi*(z) = <s, z> - 1/2|s|^2 - Psi(s), s = sigma(z) (Lemma 4 on the graph), incl. t-independence of shapes."""
    rng = np.random.default_rng(12)
    for name in MINE:
        act = build(name)
        z = sample_z(rng, 5 * 4 * 3).reshape(5, 4, 3)
        s = act.prox(z)
        graph = np.sum(s * z, -1) - 0.5 * np.sum(s * s, -1) - act.psi(s)
        assert act.conjugate(z).shape == (5, 4)
        assert np.allclose(act.conjugate(z), graph, atol=1e-12), name


@pytest.mark.parametrize("name", MINE + ("softmax",))
@pytest.mark.parametrize("n", DIMS)
def test_jacobian_and_vjp_match_finite_differences(name, n):
    act = build(name)
    rng = np.random.default_rng(400 + n)
    for _ in range(4):
        z = sample_z(rng, n)
        if name == "sparsemax":  # differentiable away from ties at the threshold
            _, tau = sparsemax_threshold(z)
            if np.min(np.abs(z - z.max() - tau)) < 1e-3:
                continue
        if name == "block_soft_threshold" and abs(np.linalg.norm(z) - act.alpha) < 1e-3:
            continue
        check_jacobian(act, z)
    # batch shapes
    z = sample_z(rng, 2 * 3 * n).reshape(2, 3, n)
    assert act.jacobian(z).shape == (2, 3, n, n)
    assert act.vjp(z, z).shape == (2, 3, n)


def test_jacobian_conventions_on_nondifferentiable_sets():
    """Documented choices: sparsemax leaves entries at the threshold out of the support; block
    soft-threshold has J = 0 on |z| = alpha; squash has J(0) = 0 (and is C^1 there)."""
    sp = get("sparsemax")
    z = np.array([1.0, 1.0, 0.5])  # tau = 0.5: the third entry sits on the threshold
    J = sp.jacobian(z[None])[0]
    assert np.allclose(J, [[0.5, -0.5, 0.0], [-0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    # ... which is the Jacobian on the side where that entry is inactive (z_3 slightly lower)
    zl = z - np.array([0.0, 0.0, 1e-3])
    fd = np.stack([(sp.prox((zl + e)[None])[0] - sp.prox((zl - e)[None])[0]) / 2e-6 for e in 1e-6 * np.eye(3)], -1)
    assert np.allclose(J, fd, atol=1e-8)
    assert np.allclose(sp.vjp(z[None], np.array([[1.0, 2.0, 3.0]]))[0], J @ [1.0, 2.0, 3.0])
    bst = get("block_soft_threshold", alpha=5.0)
    assert np.array_equal(bst.jacobian(np.array([[3.0, 4.0]]))[0], np.zeros((2, 2)))
    sq = get("squash")
    assert np.array_equal(sq.jacobian(np.zeros((1, 3)))[0], np.zeros((3, 3)))
    check_jacobian(sq, np.array([1e-3, -2e-3, 0.0]))


@pytest.mark.parametrize("name", ("sparsemax", "block_soft_threshold"))
@pytest.mark.parametrize("n", DIMS)
def test_psi_conjugate_is_numeric_sup(name, n):
    act = build(name)
    assert act.has_psi_conjugate
    rng = np.random.default_rng(500 + n)
    for _ in range(3):
        check_psi_conjugate(act, sample_z(rng, n))
    if name == "block_soft_threshold":  # both sides of the ball
        u = rng.standard_normal(n)
        u /= np.linalg.norm(u)
        check_psi_conjugate(act, 0.9 * act.alpha * u)
        check_psi_conjugate(act, 1.1 * act.alpha * u)


def test_no_closed_form_psi_conjugate_where_none():
    for name in ("entmax15", "squash", "softmax"):
        act = build(name)
        assert not act.has_psi_conjugate
        with pytest.raises(NotImplementedError):
            act.psi_conjugate(np.zeros((1, 3)))


def test_psi_matches_definition():
    """psi equals the definition on the domain, +inf outside; squash's profile equals the integral of rho^{-1} - id."""
    rng = np.random.default_rng(13)
    for name in ("sparsemax", "entmax15", "softmax"):
        act = build(name)
        for n in DIMS:
            p = rng.dirichlet(np.ones(n))
            assert np.isclose(act.psi(p[None])[0], psi_definition(act, p), atol=1e-14)
            assert act.psi((p + 0.01)[None])[0] == np.inf
            q = p.copy()
            q[0], q[1] = q[0] + q[1] + 0.1, -0.1
            assert act.psi(q[None])[0] == np.inf
    bst = build("block_soft_threshold")
    x = rng.standard_normal((3, 4))
    assert np.allclose(bst.psi(x), 0.7 * np.linalg.norm(x, axis=-1))
    sq = get("squash")
    for r in (0.0, 1e-6, 0.01, 0.0625, 0.2, 0.5, 0.9, 0.999):
        u = rng.standard_normal(3)
        u /= np.linalg.norm(u)
        assert np.isclose(sq.psi((r * u)[None])[0], squash_profile_by_quadrature(r), rtol=1e-10, atol=1e-15), r
    assert sq.psi(np.array([[0.6, 0.8001]]))[0] == np.inf


def test_squash_profile_facts():
    """rho(r) = r^2/(1+r^2) is nondecreasing and 1-Lipschitz with max slope 3 sqrt(3)/8 at 1/sqrt(3);
    the profile psi is convex and nondecreasing on [0, 1]."""
    r = np.linspace(0, 10, 200001)
    slope = np.gradient(r ** 2 / (1 + r ** 2), r)
    assert slope.min() >= 0
    assert np.isclose(slope.max(), 3 * np.sqrt(3) / 8, atol=1e-8)
    assert np.isclose(r[np.argmax(slope)], 1 / np.sqrt(3), atol=1e-4)
    sq = get("squash")
    rr = np.linspace(0, 1, 2001)
    prof = sq.psi(np.stack([rr, 0 * rr], -1))
    assert np.all(np.diff(prof) >= 0)
    assert np.all(np.diff(prof, 2) >= -1e-12)


def test_psi_at_domain_boundary():
    """Faces of the simplex and the unit sphere: finite values equal to the limits from inside (lsc closure)."""
    rng = np.random.default_rng(14)
    for name in ("sparsemax", "entmax15", "softmax"):
        act = build(name)
        for n in DIMS:
            for k in range(1, n):  # a face with k zero coordinates
                p = rng.dirichlet(np.ones(n))
                p[:k] = 0
                p /= p.sum()
                val = act.psi(p[None])[0]
                assert np.isfinite(val)
                inner = (1 - 1e-9) * p + 1e-9 / n
                assert abs(act.psi(inner[None])[0] - val) < 1e-6, (name, p)
        vertex = np.eye(3)[:1]
        assert np.isfinite(act.psi(vertex)[0])
    sq = get("squash")
    for n in DIMS:
        u = rng.standard_normal(n)
        u /= np.linalg.norm(u)
        val = sq.psi(u[None])[0]
        assert np.isclose(val, np.pi / 2 - 0.5, atol=1e-12)
        # the limit from inside is approached like sqrt(1 - r) (psi' blows up): check the closure
        for eps in (1e-6, 1e-10, 1e-14):
            assert 0 <= val - sq.psi(((1 - eps) * u)[None])[0] <= 3 * np.sqrt(eps)
        # sigma never reaches the sphere for finite z, but psi(sigma(z)) stays finite when it rounds to it
        s = sq.prox((1e12 * u)[None])
        assert np.isfinite(sq.psi(s)[0])


@pytest.mark.parametrize("name", MINE + ("softmax",))
@pytest.mark.parametrize("dtype", (np.float64, np.float32))
def test_large_inputs(name, dtype):
    act = build(name)
    for n in DIMS:
        check_large_inputs(act, n, dtype)


@pytest.mark.parametrize("name", MINE)
def test_float32_preserved(name):
    act = build(name)
    z = np.random.default_rng(15).standard_normal((3, 4)).astype(np.float32)
    s = act.prox(z)
    outs = [s, act.prox(z, step=0.3), act.prox(z, step=2.5), act.psi(s), act.conjugate(z), act.vjp(z, z),
            act.jacobian(z), act.moreau_envelope(z), act.prox_conjugate(z)]
    if act.has_psi_conjugate:
        outs.append(act.psi_conjugate(z))
    for out in outs:
        assert out.dtype == np.float32, (name, out.dtype)
    z64 = z.astype(np.float64)
    assert np.allclose(s, act.prox(z64), atol=1e-6)
    # integers and lists become float64
    assert act.prox([[1, 2, 3, 4]]).dtype == np.float64


def test_parameter_validation():
    for bad in (0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="alpha"):
            get("block_soft_threshold", alpha=bad)
    for bad in ("a", True, None, [1.0]):
        with pytest.raises(TypeError, match="alpha"):
            get("block_soft_threshold", alpha=bad)
    assert get("block_soft_threshold", alpha=2).alpha == 2.0
    for name in ("sparsemax", "entmax15", "squash"):
        with pytest.raises(TypeError):
            get(name, alpha=1.0)
    with pytest.raises(ValueError, match="step"):
        get("sparsemax").prox([[1.0, 2.0]], step=0)
    with pytest.raises(ValueError, match="step"):
        get("squash").prox([[1.0, 2.0]], step=-1)
    with pytest.raises(TypeError):
        get("entmax15").prox([[1 + 2j, 0.0]])


def test_registered():
    from bregnet.activations import names
    assert set(MINE) <= set(names())
    for name in MINE:
        assert get(name).name == name
        assert repr(get(name)).startswith(name)


# ============================================================================= the checks can fail
@dataclasses.dataclass(frozen=True, repr=False)
class EntmaxIgnoringStep(Entmax15):
    def prox(self, z, step=1.0):
        return super().prox(z)  # wrong: prox_{tPsi} = prox_Psi


@dataclasses.dataclass(frozen=True, repr=False)
class SquashWrongStep(Squash):
    def prox(self, z, step=1.0):
        z = np.asarray(z, dtype=float)
        return super().prox(z) * (1 if step == 1 else 1 / step ** 0.1)  # wrong scaling of the radius


@dataclasses.dataclass(frozen=True, repr=False)
class BlockWrongThreshold(BlockSoftThreshold):
    def prox(self, z, step=1.0):
        return super().prox(z, step=1.0)  # wrong: thresholds at alpha for every t


@dataclasses.dataclass(frozen=True, repr=False)
class SparsemaxConjugateNoQuadratic(Sparsemax):
    def conjugate(self, z):
        z = np.asarray(z, dtype=float)
        return np.sum(self.prox(z) * z, -1)  # wrong: misses -1/2|p|^2


@dataclasses.dataclass(frozen=True, repr=False)
class EntmaxConjugateWrongTau(Entmax15):
    def conjugate(self, z):
        from bregnet.activations.simplex import entmax15_threshold
        z = np.asarray(z, dtype=float)
        s, tau = entmax15_threshold(z)
        return np.max(z, -1) + 2 / 3 * np.sum(s ** 3, -1) + tau + 4 / 3  # wrong: tau for 2 tau


@dataclasses.dataclass(frozen=True, repr=False)
class SquashConjugateWrong(Squash):
    def conjugate(self, z):
        r = np.linalg.norm(np.asarray(z, dtype=float), axis=-1)
        return r - np.arctan(r) + 0.05 * r ** 2 / (1 + r ** 2)  # wrong profile


@dataclasses.dataclass(frozen=True, repr=False)
class SparsemaxJacobianNoRankOne(Sparsemax):
    def jacobian(self, z):
        p = self.prox(z)
        return (p > 0)[..., :, None] * np.eye(p.shape[-1])  # wrong: misses -m m^T/|S|

    def vjp(self, z, v):
        return (self.prox(z) > 0) * np.asarray(v, dtype=float)


@dataclasses.dataclass(frozen=True, repr=False)
class SquashJacobianWrong(Squash):
    def jacobian(self, z):
        z = np.asarray(z, dtype=float)
        r = np.linalg.norm(z, axis=-1)
        return (r / (1 + r * r))[..., None, None] * np.eye(z.shape[-1])  # wrong: misses the radial term

    def vjp(self, z, v):
        return np.einsum("...ij,...i->...j", self.jacobian(z), np.asarray(v, dtype=float))


@dataclasses.dataclass(frozen=True, repr=False)
class SparsemaxPsiStarMin(Sparsemax):
    def psi_conjugate(self, y):
        return np.mean(np.asarray(y, dtype=float), -1)  # wrong


@dataclasses.dataclass(frozen=True, repr=False)
class BlockPsiStarWrongBall(BlockSoftThreshold):
    def psi_conjugate(self, y):
        y = np.asarray(y, dtype=float)
        return np.where(np.linalg.norm(y, axis=-1) <= 2 * self.alpha, 0.0, np.inf)  # wrong radius


@dataclasses.dataclass(frozen=True, repr=False)
class SquashOpenBall(Squash):
    def psi(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(np.linalg.norm(x, axis=-1) < 1, super().psi(x), np.inf)  # not the lsc closure


@dataclasses.dataclass(frozen=True, repr=False)
class EntmaxNoShift(Entmax15):
    """A naive 1.5-entmax that does not subtract max z: the variance cancels at |z| ~ 1e8."""

    def prox(self, z, step=1.0):
        z = np.asarray(z)
        dtype = z.dtype if z.dtype == np.float32 else np.float64
        w = 0.5 * np.asarray(z, dtype=np.float64)
        srt = -np.sort(-w, -1)
        k = np.arange(1, w.shape[-1] + 1)
        mean = np.cumsum(srt, -1) / k
        delta = 1 / k - (np.cumsum(srt ** 2, -1) / k - mean ** 2)
        tau_k = mean - np.sqrt(np.maximum(delta, 0))
        ok = (delta >= 0) & (tau_k <= srt)
        kstar = w.shape[-1] - np.argmax(ok[..., ::-1], -1)
        tau = np.take_along_axis(tau_k, (kstar - 1)[..., None], -1)
        return (np.maximum(w - tau, 0) ** 2).astype(dtype)


@dataclasses.dataclass(frozen=True, repr=False)
class SparsemaxFloat64(Sparsemax):
    def prox(self, z, step=1.0):
        return super().prox(np.asarray(z, dtype=np.float64), step)


class TestChecksCanFail:
    """Every check above rejects a deliberately wrong formula."""

    def test_prox_check_fails(self):
        rng = np.random.default_rng(21)
        z = sample_z(rng, 3)
        for wrong, t in ((EntmaxIgnoringStep(), 0.3), (EntmaxIgnoringStep(), 2.5), (SquashWrongStep(), 2.5),
                         (BlockWrongThreshold(alpha=0.7), 0.3)):
            with pytest.raises(AssertionError):
                check_prox(wrong, z, t)

    def test_prox_check_fails_for_wrong_softmax_step(self):
        @dataclasses.dataclass(frozen=True, repr=False)
        class SoftmaxWrongStep(Softmax):
            def prox(self, z, step=1.0):
                return super().prox(np.asarray(z, dtype=float) / step ** 0.5)  # a plausible but wrong guess

        with pytest.raises(AssertionError):
            check_prox(SoftmaxWrongStep(), np.array([1.0, -0.5, 0.2]), 0.3)

    def test_conjugate_check_fails(self):
        z = np.array([0.4, -0.2, 0.9])
        for wrong in (SparsemaxConjugateNoQuadratic(), EntmaxConjugateWrongTau(), SquashConjugateWrong()):
            with pytest.raises(AssertionError):
                check_conjugate(wrong, z)

    def test_conjugate_gradient_check_fails(self):
        z = np.array([0.4, -0.2, 0.9])
        for wrong in (SparsemaxConjugateNoQuadratic(), SquashConjugateWrong()):
            with pytest.raises(AssertionError):
                check_conjugate_gradient(wrong, z)

    def test_jacobian_check_fails(self):
        z = np.array([0.4, -0.2, 0.9])
        for wrong in (SparsemaxJacobianNoRankOne(), SquashJacobianWrong()):
            with pytest.raises(AssertionError):
                check_jacobian(wrong, z)

    def test_psi_conjugate_check_fails(self):
        with pytest.raises(AssertionError):
            check_psi_conjugate(SparsemaxPsiStarMin(), np.array([0.4, -0.2, 0.9]))
        with pytest.raises(AssertionError):
            check_psi_conjugate(BlockPsiStarWrongBall(alpha=0.7), np.array([1.0, 0.0]))

    def test_boundary_check_fails_without_closure(self):
        wrong = SquashOpenBall()
        with pytest.raises(AssertionError):
            assert np.isfinite(wrong.psi(np.array([[0.6, 0.8]]))[0])
        with pytest.raises(AssertionError):  # psi(sigma(z)) must stay finite when sigma(z) rounds onto the sphere
            s = wrong.prox(np.array([[1e12, 0.0]]))
            assert np.isfinite(wrong.psi(s)[0])

    def test_large_input_check_fails(self):
        with pytest.raises(AssertionError):
            check_large_inputs(EntmaxNoShift(), 3)

    def test_float32_check_fails(self):
        z = np.ones((1, 3), dtype=np.float32)
        with pytest.raises(AssertionError):
            assert SparsemaxFloat64().prox(z).dtype == np.float32

    def test_profile_check_fails(self):
        """The quadrature of rho^{-1} - id tells the squash profile apart from a plausible wrong one."""
        r = 0.5
        wrong = np.arcsin(np.sqrt(r)) - np.sqrt(r * (1 - r))  # forgot the -r^2/2
        assert not np.isclose(wrong, squash_profile_by_quadrature(r), rtol=1e-10)


def test_block_prox_conjugate_is_ball_projection():
    """Theorem 7: prox_{Psi*}(z) = z - sigma(z), the projection onto the alpha-ball; it stays in the
    ball (Psi* finite) even at |z| = 1e8, where z - sigma(z) has lost the digits of alpha."""
    act = build("block_soft_threshold")
    rng = np.random.default_rng(31)
    z = 2 * rng.standard_normal((50, 3))
    assert np.allclose(act.prox_conjugate(z), z - act.prox(z), atol=1e-14)
    assert np.allclose(act.prox_conjugate(z, step=2.5), z - 2.5 * act.prox(z / 2.5, step=1 / 2.5), atol=1e-13)
    big = 1e8 * z
    y = act.prox_conjugate(big)
    assert np.all(np.isfinite(act.psi_conjugate(y)))
    assert np.allclose(y, big - act.prox(big), atol=1e-6)
    with pytest.raises(AssertionError):  # the generic z - sigma(z) leaves the ball there
        assert np.all(np.isfinite(act.psi_conjugate(big - act.prox(big))))
