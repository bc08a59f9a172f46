"""Numerics at the edges (issue 12): extreme prox steps, non-finite and huge inputs, rounding at dom Psi.

1. ``prox(z, step=t)`` of the separable activations without a closed-form prox (and of the closed
   forms softsign, ELU, CELU, bent identity) against an mpmath reference (``_mp_prox.py``: the
   root of z - x in t psi'(x), written from the definition of psi' and located by bisection over
   float64 bit patterns in arbitrary precision) for t from 1e-300 to 1e300 and |z| from 1e-3 to
   1e15; the distance is counted in doubles (ulps).  Measured worst case: 3 ulps (float64), and
   float32 outputs equal the reference rounded to float32 up to 1 ulp.
2. Non-finite z: every activation maps +-inf to its limit (an end of dom Psi, a vertex of the
   simplex); bent identity is finite where its value is (1e154); softmax outputs rounded to float32
   are in dom Psi to the documented tolerance, points clearly off the simplex are not.
3. prox_{t Psi*} lies in dom Psi* (<= 0 for ELU, CELU, softplus, log-sigmoid) also for tiny inputs,
   so the conjugate form (14) of the Bregman loss is finite where (12) is.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import _mp_prox as ref
from bregnet.activations import get
from bregnet.activations.simplex import on_simplex, simplex_tolerance
from bregnet.bregman import bregman_loss, bregman_loss_conjugate_form

mp = pytest.importorskip("mpmath")
ref.init()

#: the activations whose prox_{t Psi} (t != 1) has no closed form (the Newton/bracketing family of
#: the issue), then closed forms checked on the same grid
FAMILY = [
    ("tanh", {}), ("sigmoid", {}), ("unimodal_sigmoid", {}), ("softplus", {}), ("softplus", {"beta": 4.0}),
    ("log_sigmoid", {}), ("log_sigmoid", {"beta": 0.5}), ("isru", {}), ("isru", {"alpha": 3.0}),
    ("isrlu", {}), ("isrlu", {"a": 0.25}), ("log_activation", {}), ("arctan", {}), ("arctan", {"scale": 1.0}),
    ("asinh", {}),
]
CLOSED = [("softsign", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.5}), ("bent_identity", {})]
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in FAMILY + CLOSED]
STEPS = [1e-300, 1e-30, 1e-17, 1e-8, 0.3, 1.0, 3.0, 1e8, 1e15, 1e30, 1e300]
ZPOS = [1e-3, 0.5, 3.0, 30.0, 1e3, 1e8, 1e15]
ZS = sorted([-v for v in ZPOS] + ZPOS)
#: float64 tolerance in ulps (measured worst case 3: the rounding of the float64 residual, whose
#: terms are of the size of x, z and t psi'(x), moves the root by about kappa * eps, kappa <= ~1.3
#: on this grid; see bregnet.activations.base.prox_step_from_psi_prime)
ULPS64 = 4


@pytest.mark.parametrize("name, params", FAMILY + CLOSED, ids=IDS)
def test_prox_every_step_against_mpmath(name, params):
    act = get(name, **params)
    z = np.array([ZS])
    worst = (0, None)
    for t in STEPS:
        got = act.prox(z, step=t)[0]
        got32 = act.prox(z.astype(np.float32), step=t)[0]
        assert got.dtype == np.float64 and got32.dtype == np.float32
        for zi, gi, g32 in zip(ZS, got, got32):
            r = ref.prox_reference(name, params, zi, t)
            d = int(ref.ulp_distance(gi, r))
            if d > worst[0]:
                worst = (d, (t, zi, float(gi), r))
            r32 = np.float32(r)
            d32 = int(ref.ulp_distance(np.float64(g32), np.float64(r32))) if g32 != r32 else 0
            # float32: the float64 value rounded once (1 ulp of float32 in ties of the rounding,
            # and where an open domain keeps the output strictly inside)
            assert d32 <= 1 or abs(float(g32) - float(r32)) <= 2 * np.finfo(np.float32).eps * abs(float(r32)), \
                (name, t, zi, g32, r32)
    assert worst[0] <= ULPS64, f"{act!r}: worst {worst[0]} ulps at (t, z, got, ref) = {worst[1]}"


def test_old_failures_of_the_issue():
    tanh = get("tanh")
    # t -> inf: prox -> argmin Psi = 0 like (3 z / t)^(1/3); the old solver returned 0.521
    x = tanh.prox([[3.0]], step=1e15)[0, 0]
    assert x == pytest.approx(ref.prox_reference("tanh", {}, 3.0, 1e15), rel=4e-16)
    assert x == pytest.approx((9.0 / 1e15) ** (1 / 3), rel=1e-5)      # x + t x^3/3 = 3 to O(x)
    # t -> 0: prox -> z (clipped to dom Psi); the old solver ignored steps <= 1e-17 (returned tanh z)
    assert tanh.prox([[0.5]], step=1e-20)[0, 0] == 0.5
    # 1 - 2 exp(-4e20) rounds to 1; the solver may return the double below (F = +inf at 1)
    assert int(ref.ulp_distance(tanh.prox([[3.0]], step=1e-20)[0, 0], 1.0)) <= 1
    for name in ("sigmoid", "softplus", "log_sigmoid", "isru", "isrlu", "log_activation", "unimodal_sigmoid"):
        act = get(name)
        for t in (1e-20, 1e20):
            x = act.prox([[0.3]], step=t)[0, 0]
            assert int(ref.ulp_distance(x, ref.prox_reference(name, {}, 0.3, t))) <= ULPS64, (name, t, x)


def test_prox_stays_in_the_domain_and_is_monotone_in_the_step():
    """prox_{t Psi}(z) moves monotonically from z (t -> 0) to argmin Psi (t -> inf), inside dom Psi."""
    z = np.array([[-30.0, -3.0, -0.5, -1e-3, 1e-3, 0.5, 3.0, 30.0]])
    steps = np.logspace(-300, 300, 61)
    for name, params in FAMILY + CLOSED:
        act = get(name, **params)
        xs = np.array([act.prox(z, step=t)[0] for t in steps])
        assert np.all(np.isfinite(xs)), name
        assert np.all(act.in_domain(xs[:, :, None]).ravel()), name
        d = np.diff(xs, axis=0) * np.sign(xs[-1] - xs[0])
        # the path is monotone (up to the rounding of neighbouring values) and starts at z
        assert np.all(d >= -4 * np.finfo(np.float64).eps * np.abs(xs[1:])), name
        inside = act.in_domain(z[0][:, None])
        # (within an ulp: at an end of the domain, where psi' is infinite, the last double inside
        # may come back instead of the end itself)
        assert np.all(ref.ulp_distance(xs[0][inside], z[0][inside]) <= 1), name


@pytest.mark.parametrize("name, params", FAMILY + CLOSED, ids=IDS)
def test_nonfinite_inputs_give_the_limits(name, params):
    act = get(name, **params)
    lo, hi = ref.domain(name, params)
    big = float(np.finfo(np.float64).max)
    for t in (1e-8, 0.5, 1.0, 2.0, 1e8):
        x = act.prox(np.array([[np.inf, -np.inf]]), step=t)[0]
        with np.errstate(invalid="ignore"):
            x = np.append(x, act.prox(np.array([[np.nan]]), step=t)[0])
        # the limit is the end of dom Psi (inf if unbounded); open ends: the last float inside
        want_hi = np.inf if hi == big else hi
        want_lo = -np.inf if lo == -big else lo
        assert x[0] == pytest.approx(want_hi, rel=1e-15), (t, x)
        assert x[1] == pytest.approx(want_lo, rel=1e-15), (t, x)
        assert np.isnan(x[2])
        if np.isfinite(x[0]) or np.isfinite(x[1]):
            fin = x[:2][np.isfinite(x[:2])]
            assert np.all(act.in_domain(fin[:, None]))


@pytest.mark.parametrize("name", ["softmax", "sparsemax", "entmax15"])
@pytest.mark.parametrize("t", [0.5, 1.0, 2.0])
def test_simplex_maps_of_nonfinite_rows(name, t):
    act = get(name)
    inf = np.inf
    z = np.array([[inf, -inf, 1.0], [inf, inf, 0.0], [0.5, -inf, 2.0], [-inf, -inf, -inf], [np.nan, 0.0, 1.0]])
    p = act.prox(z, step=t)
    assert p[0].tolist() == [1.0, 0.0, 0.0]               # a vertex: the limit as z_0 -> inf
    assert p[1].tolist() == [0.5, 0.5, 0.0]               # ties at +inf share the mass
    sub = act.prox(np.array([[0.5, 2.0]]), step=t)[0]     # -inf entries drop out
    np.testing.assert_allclose(p[2], [sub[0], 0.0, sub[1]], rtol=1e-14, atol=0)
    np.testing.assert_allclose(p[3], [1 / 3] * 3, rtol=1e-15)
    assert np.all(np.isnan(p[4]))
    # the limit is approached by finite z
    far = act.prox(np.array([[400.0, -400.0, 1.0]]), step=t)[0]
    np.testing.assert_allclose(far, p[0], atol=1e-9)
    assert np.all(on_simplex(p[:4]))


def test_softmax_issue_example():
    np.testing.assert_array_equal(get("softmax").prox([[np.inf, -np.inf]]), [[1.0, 0.0]])


def test_bent_identity_does_not_overflow():
    act = get("bent_identity")
    z = np.array([[1e154, 1e200, 1.7e308, -1.7e308, 3.0, -3.0]])
    with mp.workdps(50):
        want = [float((mp.mpf(v) + mp.sqrt(mp.mpf(v) ** 2 + 1) - 1) / 2) for v in z[0]]
    want[3] = float(np.nextafter(-0.5, 0.0))       # sigma(z) -> -1/2 is kept inside dom Psi
    np.testing.assert_allclose(act.prox(z)[0], want, rtol=2e-16)
    for t in (0.5, 3.0, 1e300, 1e-300):
        x = act.prox(z, step=t)[0]
        for xi, zi in zip(x, z[0]):
            r = ref.prox_reference("bent_identity", {}, zi, t)
            r = max(r, float(np.nextafter(-0.5, 0.0)))
            assert int(ref.ulp_distance(xi, r)) <= ULPS64, (t, zi, xi, r)
    # phi*(z) = (z^2 + z r + asinh z)/4 - z/2 ~ z^2/2 is finite at 1e154 and ~|z|/2 at -1.7e308
    with mp.workdps(60):
        def phi_star(v):
            v = mp.mpf(v)
            return (v * v + v * mp.sqrt(v * v + 1) + mp.asinh(v)) / 4 - v / 2
        want = [float(phi_star(v)) for v in (1e154, -1.7e308, 3.0)]
    np.testing.assert_allclose(act.conjugate_elementwise(np.array([[1e154, -1.7e308, 3.0]]))[0], want, rtol=1e-15)
    assert act.prox([[np.inf, -np.inf]]).tolist() == [[np.inf, float(np.nextafter(-0.5, 0.0))]]


# --------------------------------------------------------------------------- dom Psi of the simplex maps
@pytest.mark.parametrize("name", ["softmax", "sparsemax", "entmax15"])
def test_float32_rounded_simplex_points_are_in_the_domain(name):
    act = get(name)
    rng = np.random.default_rng(12)
    z = rng.normal(scale=3.0, size=(500, 10))
    s = act.prox(z)
    for x in (s.astype(np.float32).astype(np.float64),                 # rounded to float32
              act.prox(z.astype(np.float32)).astype(np.float64)):      # computed in float32
        assert np.all(on_simplex(x))
        loss = bregman_loss(act, x, z)
        assert np.all(np.isfinite(loss))
        # the loss is of the size of the rounding (B = 0 at x = sigma(z))
        assert np.max(loss) <= 1e3 * simplex_tolerance(x), np.max(loss)
    # a point clearly off the simplex is still outside dom Psi
    off = s.copy()
    off[:, 0] += 1e-4
    assert not np.any(on_simplex(off))
    assert np.all(np.isinf(bregman_loss(act, off, z)))
    neg = s.copy()
    neg[:, 0] = -1e-12
    neg[:, 1] += 1e-12 + s[:, 0]
    assert np.all(np.isinf(bregman_loss(act, neg, z)))


def test_simplex_tolerance_is_documented_value():
    x = np.zeros((1, 7))
    assert simplex_tolerance(x) == 16 * 7 * 2.0 ** -23
    assert simplex_tolerance(x.astype(np.float32)) == simplex_tolerance(x)
    p = np.full((1, 7), 1 / 7)
    assert on_simplex(p + 0.9 * simplex_tolerance(p) / 7)[0]
    assert not on_simplex(p + 1.1 * simplex_tolerance(p) / 7)[0]


# --------------------------------------------------------------------------- prox of Psi*: dom Psi*
DUAL = [("celu", {"alpha": 2.5}), ("celu", {"alpha": 0.4}), ("elu", {}), ("elu", {"alpha": 0.5}),
        ("softplus", {}), ("softplus", {"beta": 3.0}), ("log_sigmoid", {})]


@pytest.mark.parametrize("name, params", DUAL, ids=[n + str(p) for n, p in DUAL])
def test_prox_psi_star_stays_in_dom_psi_star(name, params):
    act = get(name, **params)
    tiny = np.array([1e-300, 1e-150, 1e-20, 1e-8, 1e-3, 0.7, 30.0])
    z = np.concatenate([-tiny, tiny])[None]
    sign = -1.0 if name == "log_sigmoid" else 1.0      # dom Psi* = (-inf, 0] (log-sigmoid: [0, inf))
    for t in (1e-8, 0.3, 1.0, 3.0, 1e8):
        y = act.prox_conjugate(z, step=t)
        assert np.all(sign * y <= 0), (t, y)
        assert np.all(np.isfinite(act.psi_conjugate(y[0][:, None]))), (t, y)
    x = act.prox(z)
    np.testing.assert_array_equal(np.isfinite(bregman_loss_conjugate_form(act, x.T, z.T)),
                                  np.isfinite(bregman_loss(act, x.T, z.T)))


def test_celu_issue_example_against_mpmath():
    act = get("celu", alpha=2.5)
    y = act.prox_conjugate([[-1e-150]])[0, 0]
    # sigma*(z) = z - sigma(z) = z - a (e^{z/a} - 1) = -a (e^{z/a} - 1 - z/a) for z <= 0
    with mp.workdps(50):
        a, zz = mp.mpf(2.5), mp.mpf(-1e-150)
        want = float(-a * (mp.expm1(zz / a) - zz / a))
    assert y <= 0 and y == pytest.approx(want, rel=1e-15)
    x = np.array([[-1e-150]])
    b12, b14 = bregman_loss(act, x, x), bregman_loss_conjugate_form(act, x, x)
    assert np.isfinite(b14[0]) and b14[0] == pytest.approx(b12[0], abs=1e-300)
    # and with steps: prox_{t Psi*}(z) = z - t prox_{Psi/t}(z/t) <= 0, accurate relative to its size
    for t in (0.3, 3.0):
        y = act.prox_conjugate([[-1e-150, -1e-3, -2.0]], step=t)[0]
        with mp.workdps(60):
            for yi, zi in zip(y, (-1e-150, -1e-3, -2.0)):
                xr = ref.prox_reference("celu", {"alpha": 2.5}, zi / t, 1 / t)
                # z - t x computed from the reference x: x is within an ulp, so this is exact
                # only relative to max(|z|, t|x|); the closed sigma* form is better than that
                want = float(mp.mpf(zi) - t * mp.mpf(xr))
                assert yi <= 0
                assert yi == pytest.approx(want, rel=1e-12, abs=4e-16 * max(abs(zi), t * abs(xr)))


def test_softsign_closed_form_does_not_cancel_for_tiny_steps():
    # the old form 1 + 4 (t - 1) w / (1 + |z|) under the root rounds to 0 at |z| = 1, t = 1e-25
    act = get("softsign")
    for t in (1e-25, 1e-300):
        x = act.prox([[-1.0, 1.0, 1e-300, 1.7e308]], step=t)[0]
        for xi, zi in zip(x, (-1.0, 1.0, 1e-300, 1.7e308)):
            r = min(ref.prox_reference("softsign", {}, zi, t), float(np.nextafter(1.0, 0.0)))
            assert int(ref.ulp_distance(xi, np.sign(zi) * abs(r))) <= 2, (t, zi, xi, r)


@pytest.mark.parametrize("alpha", [0.25, 1.0, 4.0])
def test_isru_at_infinity_is_its_limit_one_over_sqrt_alpha(alpha):
    """sigma(+-inf) of ISRU is +-1/sqrt(alpha) (clipped inside the open range), as at +-1e300; it returned +-1 for
    every alpha (found by the compiled twin of issue 13, whose limit is right)."""
    from bregnet.activations import get
    act = get("isru", alpha=alpha)
    at_inf = act.prox(np.array([np.inf, -np.inf]))
    far = act.prox(np.array([1e300, -1e300]))
    np.testing.assert_array_equal(at_inf, far)
    assert at_inf[0] == pytest.approx(1 / np.sqrt(alpha), rel=1e-15)
