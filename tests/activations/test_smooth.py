"""Family tests for the smooth separable activations (sigmoids.py after Tanh, softplus.py).

Every closed form is compared with its definition (Section 3 of the paper):
prox_{t Psi} with a direct bounded minimisation of (9), Phi* = (1/2|.|^2 + Psi)* and Psi* with a
numeric supremum (Definition 3), d/dz Phi* = sigma (eq. (15)) and sigma' with finite differences;
then the lsc closure at the domain ends, parameter validation, |z| = 1e8 and float32.  Each check
is also fed a deliberately wrong formula and must reject it.
"""
from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bregnet.activations import get
from bregnet.activations.softplus import dilog

PI = math.pi

#: (name, params) instances under test, including non-default parameters
CASES = [
    ("sigmoid", {}),
    ("unimodal_sigmoid", {}),
    ("arctan", {}),
    ("arctan", {"scale": 1.0}),
    ("arctan", {"scale": 0.3}),
    ("asinh", {}),
    ("softsign", {}),
    ("log_activation", {}),
    ("isru", {}),
    ("isru", {"alpha": 3.0}),
    ("isru", {"alpha": 0.25}),
    ("softplus", {}),
    ("softplus", {"beta": 0.5}),
    ("softplus", {"beta": 4.0}),
]
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CASES]
STEPS = [0.3, 1.0, 2.5]
ZS = np.array([-6.0, -2.5, -1.0, -0.3, -1e-3, 0.0, 0.2, 0.9, 1.7, 4.0, 7.5])


def end_is_exact(end, act):
    """Is the float ``end`` exactly the real end of dom psi?  (Only then must psi(end) be inf/finite.)"""
    if act.name == "isru":
        return Fraction(end) ** 2 * Fraction(act.alpha) == 1
    return act.name in ("sigmoid", "unimodal_sigmoid", "softplus", "softsign")


def domain(act):
    """dom psi from the mathematics (not from the code): (lo, hi, lo_closed, hi_closed)."""
    n, p = act.name, act.params()
    if n == "sigmoid":
        return 0.0, 1.0, True, True
    if n == "unimodal_sigmoid":
        return -0.5, 0.5, True, True
    if n == "arctan":
        return -p["scale"] * PI / 2, p["scale"] * PI / 2, False, False
    if n == "softsign":
        return -1.0, 1.0, False, False
    if n == "isru":
        r = 1 / math.sqrt(p["alpha"])
        return -r, r, True, True
    if n == "softplus":
        return 0.0, math.inf, True, False
    return -math.inf, math.inf, False, False  # asinh, log_activation


def search_interval(act, centre, radius):
    lo, hi, _, _ = domain(act)
    a, b = max(lo, centre - radius), min(hi, centre + radius)
    width = b - a
    return a + 1e-13 * width, b - 1e-13 * width


def scalar(f, x):
    return float(f(np.array([[x]]))[0])


def argmin_bounded(f, a, b):
    res = minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": 1e-13, "maxiter": 2000})
    return res.x, res.fun


def perturbed(act, **methods):
    """The same activation with some elementwise formulas replaced (a deliberately wrong one)."""
    cls = type("Wrong" + type(act).__name__, (type(act),), methods)
    return cls(**act.params())


# ------------------------------------------------------------------------------------------ checks
def check_prox(act, zs, t, tol=2e-6):
    """prox_{t Psi}(z) against a direct minimisation of (1/2)(u - z)^2 + t psi(u)  (eq. (9))."""
    ours = act.prox(zs[:, None], step=t)[:, 0]
    for z, x in zip(zs, ours):
        def energy(u):
            return 0.5 * (u - z) ** 2 + t * scalar(act.psi, u)
        a, b = search_interval(act, 0.0, abs(z) + 20.0)
        xn, fn = argmin_bounded(energy, a, b)
        assert abs(x - xn) <= tol, (act, z, t, x, xn)
        assert energy(x) <= fn + 1e-12 * (1 + abs(fn)), (act, z, t)


def check_phi_star(act, zs, tol=1e-9):
    """Phi*(z) = sup_x xz - x^2/2 - psi(x) (Definition 3), by a numeric supremum."""
    ours = act.conjugate(zs[:, None])
    for z, val in zip(zs, ours):
        a, b = search_interval(act, 0.0, abs(z) + 20.0)
        _, fn = argmin_bounded(lambda x: -(x * z - 0.5 * x * x - scalar(act.psi, x)), a, b)
        assert abs(val - (-fn)) <= tol * (1 + abs(fn)), (act, z, val, -fn)


def check_grad_phi_star(act, zs, tol=1e-7):
    """d/dz Phi*(z) = sigma(z) (eq. (15)), by central differences."""
    h = 1e-5 * np.maximum(1.0, np.abs(zs))
    fd = (act.conjugate((zs + h)[:, None]) - act.conjugate((zs - h)[:, None])) / (2 * h)
    np.testing.assert_allclose(fd, act.prox(zs[:, None])[:, 0], atol=tol, rtol=tol)


def check_sigma_prime(act, zs, tol=2e-6):
    """sigma'(z) against central differences of sigma (h = 1e-6: sigma' may have a kink at 0)."""
    h = 1e-6 * np.maximum(1.0, np.abs(zs))
    fd = (act.prox((zs + h)[:, None]) - act.prox((zs - h)[:, None]))[:, 0] / (2 * h)
    np.testing.assert_allclose(act.derivative(zs[:, None])[:, 0], fd, atol=tol, rtol=tol)


def check_psi_star(act, ys, xmax, tol=1e-9):
    """Psi*(y) = sup_x xy - psi(x) (Definition 3), by a numeric supremum over dom psi cut at xmax."""
    ours = act.psi_conjugate(ys[:, None])
    lo, hi, _, _ = domain(act)
    a, b = max(lo, -xmax), min(hi, xmax)
    for y, val in zip(ys, ours):
        _, fn = argmin_bounded(lambda x: -(x * y - scalar(act.psi, x)), a + 1e-13, b - 1e-13)
        assert abs(val - (-fn)) <= tol * (1 + abs(fn)), (act, y, val, -fn)


def check_closure(act):
    """psi is the lsc closure: finite limits at the ends belong to dom psi, infinite ones do not;
    psi = +inf outside; sigma(z) never leaves dom psi, not even at |z| = 1e8."""
    lo, hi, lo_closed, hi_closed = domain(act)
    for end, closed, inward in ((lo, lo_closed, 1.0), (hi, hi_closed, -1.0)):
        if not math.isfinite(end):
            continue
        w = max(abs(end), 1.0)
        outside = scalar(act.psi, end - inward * 1e-6 * w)
        assert outside == math.inf, (act, end, "psi must be +inf outside the domain")
        if not end_is_exact(end, act):
            # the float nearest the real end may lie on either side of it: judge the float
            # just inside, and require +inf one step further out
            assert scalar(act.psi, np.nextafter(np.nextafter(end, -inward * math.inf), -inward * math.inf)) == math.inf
            if not math.isfinite(scalar(act.psi, end)):
                end = float(np.nextafter(end, inward * math.inf))
        near = [scalar(act.psi, end + inward * h * w) for h in (1e-4, 1e-8, 1e-12)]
        at = scalar(act.psi, end)
        if closed:
            assert math.isfinite(at), (act, end, "finite limit must be included (lsc closure)")
            dist = [abs(v - at) for v in near]   # continuity (isru approaches its end like a sqrt)
            assert dist[2] <= 1e-4 * (1 + abs(at)) and dist[2] <= dist[1] <= dist[0], (act, end, near, at)
        else:
            if end_is_exact(end, act):
                assert at == math.inf, (act, end)
            assert near[0] < near[1] < near[2] < at, (act, end, "psi must blow up at an open end")
    for dt in (np.float64, np.float32):
        s = act.prox(np.array([[-1e8, 1e8, -1e30, 1e30]], dtype=dt))
        assert bool(np.all(np.isfinite(act.psi_elementwise(s)))), (act, dt, s)


def check_no_nan(act, z=1e8):
    """No NaN, no warning, for |z| = z in float64 and float32 in every method (underflow to 0 is fine)."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        for dt in (np.float64, np.float32):
            zz = np.array([[-z, z, 0.0]], dtype=dt)
            outs = [act.conjugate(zz), act.moreau_envelope(zz), act.derivative(zz),
                    act.psi(act.prox(zz)), act.phi(act.prox(zz))]
            for t in STEPS:
                outs += [act.prox(zz, step=t), act.prox_conjugate(zz, step=t)]
            if act.has_psi_conjugate:
                outs.append(act.psi_conjugate(-np.abs(zz)))
            for o in outs:
                assert bool(np.all(np.isfinite(o))), (act, dt, o)
            assert bool(np.all(act.in_domain(act.prox(zz)))), act


def check_float32(act, zs):
    """float32 in -> float32 out, close to the float64 result."""
    z64 = zs[:, None]
    z32 = z64.astype(np.float32)
    pairs = [(act.prox(z32), act.prox(z64)), (act.prox(z32, step=2.5), act.prox(z64, step=2.5)),
             (act.conjugate(z32), act.conjugate(z64)), (act.derivative(z32), act.derivative(z64)),
             (act.psi(act.prox(z32)), act.psi(act.prox(z64))), (act.moreau_envelope(z32), act.moreau_envelope(z64))]
    if act.has_psi_conjugate:
        pairs.append((act.psi_conjugate(-np.abs(z32)), act.psi_conjugate(-np.abs(z64))))
    for o32, o64 in pairs:
        assert o32.dtype == np.float32, (act, o32.dtype)
        np.testing.assert_allclose(o32, o64, rtol=2e-5, atol=2e-6)


def check_proximal_shape(act, zs):
    """sigma nondecreasing and 1-Lipschitz on a fine grid (what the parameter validation protects)."""
    z = np.linspace(-10, 10, 20001)
    s = act.prox(z[:, None])[:, 0]
    ds = np.diff(s)
    assert bool(np.all(ds >= 0)) and bool(np.all(ds <= np.diff(z) * (1 + 1e-12))), act


def unvalidated(cls, **params):
    """An instance whose parameters skip __post_init__ (to show what validation prevents)."""
    obj = object.__new__(cls)
    for k, v in params.items():
        object.__setattr__(obj, k, v)
    return obj


# ------------------------------------------------------------------------------------ the tests
@pytest.fixture(params=CASES, ids=IDS)
def act(request):
    name, params = request.param
    return get(name, **params)


@pytest.mark.parametrize("t", STEPS)
def test_prox_matches_direct_minimisation(act, t):
    check_prox(act, ZS, t)


def test_phi_star_is_the_conjugate(act):
    check_phi_star(act, ZS)


def test_phi_star_is_antiderivative_of_sigma(act):
    check_grad_phi_star(act, np.concatenate([ZS, [-30.0, -12.0, 12.0, 30.0]]))


def test_fenchel_young_on_the_graph_over_a_wide_range(act):
    # the normalising constant of psi and the one of Phi* agree: Phi*(z) = z s - s^2/2 - psi(s)
    z = np.linspace(-40, 40, 161)[:, None]
    s = act.prox(z)[:, 0]
    rhs = z[:, 0] * s - 0.5 * s * s - act.psi_elementwise(s[:, None])[:, 0]
    np.testing.assert_allclose(act.conjugate(z), rhs, rtol=1e-9, atol=1e-9)


def test_sigma_prime_matches_finite_differences(act):
    check_sigma_prime(act, np.concatenate([ZS, [-20.0, 15.0]]))


def test_closure_at_domain_boundaries(act):
    check_closure(act)


def test_no_nan_or_warning_at_1e8(act):
    check_no_nan(act)


def test_float32_preserved(act):
    check_float32(act, ZS)


def test_sigma_is_monotone_and_nonexpansive(act):
    check_proximal_shape(act, ZS)


@pytest.mark.parametrize("name, params", [("softsign", {}), ("softplus", {}), ("softplus", {"beta": 0.5}),
                                          ("softplus", {"beta": 4.0})])
def test_psi_star_is_the_conjugate(name, params):
    act = get(name, **params)
    assert act.has_psi_conjugate
    if name == "softsign":
        check_psi_star(act, np.array([-9.0, -2.0, -0.4, -1e-3, 0.0, 0.05, 0.7, 3.0, 25.0]), 1.0)
    else:
        b = act.beta
        check_psi_star(act, np.array([-9.0, -2.0, -0.4, -0.05]) / b, 60.0 / b)
        assert float(act.psi_conjugate([[1e-9]])[0]) == math.inf
        assert math.isclose(float(act.psi_conjugate([[0.0]])[0]), PI ** 2 / 6 / b ** 2, rel_tol=1e-15)
        assert math.isclose(float(act.psi_conjugate([[0.0]])[0]), -scalar(act.psi, 80 / b), rel_tol=1e-12)


def test_only_closed_forms_claim_psi_star():
    for name in ("sigmoid", "unimodal_sigmoid", "arctan", "asinh", "log_activation", "isru"):
        act = get(name)
        assert not act.has_psi_conjugate
        with pytest.raises(NotImplementedError):
            act.psi_conjugate([[0.1]])


@pytest.mark.parametrize("name, param, bad", [
    ("arctan", "scale", 0.0), ("arctan", "scale", -1.0), ("arctan", "scale", 1.0001), ("arctan", "scale", np.nan),
    ("isru", "alpha", 0.0), ("isru", "alpha", -2.0), ("isru", "alpha", np.inf),
    ("softplus", "beta", 0.0), ("softplus", "beta", -1.0), ("softplus", "beta", np.inf),
])
def test_parameter_validation_names_the_parameter(name, param, bad):
    with pytest.raises(ValueError, match=param):
        get(name, **{param: bad})


@pytest.mark.parametrize("name, param", [("arctan", "scale"), ("isru", "alpha"), ("softplus", "beta")])
def test_parameter_type_errors_name_the_parameter(name, param):
    with pytest.raises(TypeError, match=param):
        get(name, **{param: "big"})


def test_arctan_scale_bound_is_the_lipschitz_condition():
    from bregnet.activations.sigmoids import ScaledArctan
    check_proximal_shape(get("arctan", scale=1.0), ZS)                  # the largest allowed scale is fine
    with pytest.raises(AssertionError):                                  # just beyond it sigma is expansive
        check_proximal_shape(unvalidated(ScaledArctan, scale=1.05), ZS)


def test_exact_values():
    assert math.isclose(scalar(get("sigmoid").psi, 0.5), -math.log(2) - 0.125, rel_tol=1e-15)
    assert scalar(get("sigmoid").psi, 0.0) == 0.0
    assert math.isclose(scalar(get("unimodal_sigmoid").psi, 0.5), math.log(2) - 0.125, rel_tol=1e-15)
    assert math.isclose(scalar(get("isru", alpha=4.0).psi, 0.5), 1 / 8, rel_tol=1e-15)
    assert scalar(get("softplus").psi, 0.0) == 0.0
    assert math.isclose(scalar(get("softplus", beta=2.0).psi, 1e3), -PI ** 2 / 24, rel_tol=1e-15)
    assert math.isclose(scalar(get("softplus").conjugate, 0.0), PI ** 2 / 12, rel_tol=1e-14)


def test_relative_accuracy_where_naive_formulas_cancel():
    mp = pytest.importorskip("mpmath")
    with mp.workdps(50):
        _check_against_mpmath(mp)


def _check_against_mpmath(mp):
    a = mp.mpf("1e-6")
    cases = [
        (get("softsign").psi, a, -mp.log(1 - a) - a - a * a / 2),
        (get("log_activation").psi, a, mp.exp(a) - 1 - a - a * a / 2),
        (get("asinh").psi, a, mp.cosh(a) - 1 - a * a / 2),
        (get("arctan", scale=1.0).psi, a, -mp.log(mp.cos(a)) - a * a / 2),
        (get("isru").psi, a, 1 - mp.sqrt(1 - a * a) - a * a / 2),
        (get("softsign").conjugate, a, a - mp.log(1 + a)),
        (get("log_activation").conjugate, a, (1 + a) * mp.log(1 + a) - a),
        (get("asinh").conjugate, a, a * mp.asinh(a) - mp.sqrt(1 + a * a) + 1),
        (get("arctan", scale=1.0).conjugate, a, a * mp.atan(a) - mp.log(1 + a * a) / 2),
        (get("softplus").conjugate, mp.mpf(-50), -mp.polylog(2, -mp.exp(-50))),
        (get("softplus").psi, a, mp.polylog(2, mp.exp(-a)) - mp.pi ** 2 / 6),
        (get("softplus").psi_conjugate, mp.mpf(-50), mp.polylog(2, mp.exp(-50))),
    ]
    for f, x, ref in cases:
        assert math.isclose(scalar(f, float(x)), float(ref), rel_tol=1e-12), (f, x, ref)
    # softsign Psi*(y) = y xi - psi(xi), xi the root of xi^2 = y (1 - xi)
    y = mp.mpf("1e-8")
    xi = (-y + mp.sqrt(y * y + 4 * y)) / 2
    ref = y * xi + mp.log(1 - xi) + xi + xi * xi / 2
    assert math.isclose(scalar(get("softsign").psi_conjugate, float(y)), float(ref), rel_tol=1e-12)


def test_softplus_tends_to_relu_as_beta_grows():
    sp, z = get("softplus", beta=1e4), np.array([[-2.0, -0.5, 0.5, 2.0]])
    np.testing.assert_allclose(sp.prox(z), np.maximum(z, 0), atol=1e-4)
    np.testing.assert_allclose(sp.conjugate(z), 0.5 * np.sum(np.maximum(z, 0) ** 2), atol=1e-4)
    assert abs(float(sp.psi([[0.3]])[0])) < 1e-7
    assert float(sp.psi_conjugate([[-0.3]])[0]) < 1e-7


def test_dilog_against_mpmath():
    mp = pytest.importorskip("mpmath")
    w = np.concatenate([-np.logspace(-300, 15, 120), np.logspace(-300, 0, 120), np.linspace(-3, 1, 161)])
    ref = np.array([float(mp.polylog(2, mp.mpf(x))) for x in w])
    np.testing.assert_allclose(dilog(w), ref, rtol=1e-14, atol=0)
    assert bool(np.isnan(dilog(1.5)))


# ------------------------------------------------------------- every check rejects a wrong formula
def test_prox_check_rejects_a_perturbed_psi():
    act = get("sigmoid")
    bad = perturbed(act, _psi=lambda self, x: type(act)._psi(self, x) + 0.05 * x)
    with pytest.raises(AssertionError):
        check_prox(bad, ZS, 1.0)


def test_prox_check_rejects_a_wrong_closed_form_prox_step():
    act = get("softsign")
    bad = perturbed(act, _prox_step=lambda self, z, t: type(act)._prox_step(self, z, 0.5 * (1 + t)))
    check_prox(bad, ZS, 1.0)                       # t = 1 uses sigma itself
    with pytest.raises(AssertionError):
        check_prox(bad, ZS, 2.5)


def test_phi_star_check_rejects_a_shifted_constant():
    act = get("softplus")
    bad = perturbed(act, _phi_star=lambda self, z: type(act)._phi_star(self, z) + 1e-3)
    with pytest.raises(AssertionError):
        check_phi_star(bad, ZS)


def test_gradient_check_rejects_a_wrong_antiderivative():
    act = get("arctan")
    bad = perturbed(act, _phi_star=lambda self, z: type(act)._phi_star(self, z) * 1.001)
    with pytest.raises(AssertionError):
        check_grad_phi_star(bad, ZS)


def test_sigma_prime_check_rejects_a_wrong_derivative():
    act = get("isru")
    bad = perturbed(act, _sigma_prime=lambda self, z: 1.0 / (1.0 + z * z))   # the slope of arctan
    with pytest.raises(AssertionError):
        check_sigma_prime(bad, ZS)


def test_psi_star_check_rejects_a_wrong_conjugate():
    act = get("softsign")
    bad = perturbed(act, _psi_star=lambda self, y: type(act)._psi_star(self, y) * 1.01)
    with pytest.raises(AssertionError):
        check_psi_star(bad, np.array([-2.0, 0.5, 3.0]), 1.0)


def test_closure_check_rejects_an_open_domain_where_the_limit_is_finite():
    act = get("sigmoid")
    bad = perturbed(act, _psi=lambda self, x: np.where((x > 0) & (x < 1), type(act)._psi(self, x), np.inf))
    with pytest.raises(AssertionError):
        check_closure(bad)
    act = get("isru")
    bad = perturbed(act, _psi=lambda self, x: type(act)._psi(self, x) + 0.1 * (np.abs(x) == 1.0))
    with pytest.raises(AssertionError):
        check_closure(bad)


def test_no_nan_check_rejects_a_naive_softplus():
    act = get("sigmoid")
    bad = perturbed(act, _phi_star=lambda self, z: np.log1p(np.exp(z)))
    with pytest.raises((AssertionError, FloatingPointError, RuntimeWarning)):
        check_no_nan(bad)


def test_float32_check_rejects_a_float64_leak():
    act = get("asinh")
    bad = perturbed(act, _sigma=lambda self, z: np.arcsinh(z.astype(np.float64)))
    with pytest.raises(AssertionError):
        check_float32(bad, ZS)
