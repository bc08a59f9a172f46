"""Tanhshrink, sigma(z) = z - tanh z (bregnet.activations.tanhshrink), against its definitions.

sigma, sigma^{-1}, psi, psi', phi*, psi* against mpmath at high precision (psi also as mp.quad of
psi' = tanh(sigma^{-1}), phi* as mp.quad of sigma); prox_{t psi} against a direct SciPy
minimisation of (9) and an mpmath root of its optimality condition; psi* against a numeric
supremum; the Moreau identity psi* = psi_tanh; and the laws rejecting a wrong psi or sigma.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bregnet.activations import get
from bregnet.activations.tanhshrink import tanhshrink, tanhshrink_inverse
from bregnet.testing import laws
from bregnet.testing.laws import LawViolation

mp = pytest.importorskip("mpmath")
EPS = np.finfo(np.float64).eps
ACT = get("tanhshrink")
GRID = np.concatenate([np.logspace(-300, 8, 80), np.linspace(0.01, 6.0, 60), [0.2, 0.88, 1.0, 1.5]])
GRID = np.concatenate([GRID, -GRID[::7], [0.0]])


def _dps_for(x):
    """Enough digits for the cancellation in x - tanh x at tiny |x| (about 2 digits per decade) and the fourth powers."""
    return 60 + (int(-4 * float(mp.log10(abs(x)))) if x != 0 and abs(x) < 1 else 0)


def mp_inverse(x):
    """u with u - tanh u = x, in mpmath (bisection-safe findroot from a bracket)."""
    X = mp.mpf(x)
    if X == 0:
        return mp.mpf(0)
    a = abs(X)
    lo, hi = mp.cbrt(3 * a), a + 1      # u - tanh u <= u^3/3 and >= u - 1
    u = mp.findroot(lambda v: v - mp.tanh(v) - a, (lo, hi), solver="anderson")
    return u if X > 0 else -u


def rel_err(got, exact):
    exact = mp.mpf(exact)
    if exact == 0:
        return abs(float(got))
    return float(abs((mp.mpf(float(got)) - exact) / exact))


def test_sigma_inverse_psi_phi_star_against_mpmath():
    worst = {}
    for x in GRID:
        with mp.workdps(_dps_for(x)):
            X = mp.mpf(float(x))
            u = mp_inverse(x)
            exact = {"sigma": X - mp.tanh(X), "inverse": u, "psi'": mp.tanh(u),
                     "psi": mp.log(mp.cosh(u)) - mp.tanh(u) ** 2 / 2, "phi*": X ** 2 / 2 - mp.log(mp.cosh(X))}
            got = {"sigma": tanhshrink(np.array([x]))[0], "inverse": tanhshrink_inverse(np.array([x]))[0],
                   "psi'": ACT._psi_prime(np.array([x]))[0], "psi": ACT.psi([[x]])[0],
                   "phi*": ACT.conjugate([[x]])[0]}
            for k in exact:
                if k in ("psi", "phi*") and abs(x) > 1e100:
                    continue
                if exact[k] != 0 and abs(exact[k]) < 1e-300:       # below the float64 range (underflows to 0)
                    continue
                worst[k] = max(worst.get(k, 0.0), rel_err(got[k], exact[k]))
    # measured: sigma 1.7, inverse 1.0, psi' 1.0, psi 3.9, phi* 1.1 (units of 2^-52)
    limits = {"sigma": 4, "inverse": 4, "psi'": 4, "psi": 8, "phi*": 4}
    for k, lim in limits.items():
        assert worst[k] <= lim * EPS, (k, worst[k] / EPS)


def test_psi_and_phi_star_are_integrals():
    """psi(x) = int_0^x tanh(sigma^{-1}(s)) ds and phi*(z) = int_0^z (s - tanh s) ds (mp.quad)."""
    mp.mp.dps = 30
    for x in (0.01, 0.3, 1.0, 2.5, -4.0):
        q = mp.quad(lambda s: mp.tanh(mp_inverse(s)), [0, x])
        assert abs(float(ACT.psi([[x]])[0]) - float(q)) <= 1e-14 * max(1.0, abs(float(q)))
        q2 = mp.quad(lambda s: s - mp.tanh(s), [0, x])
        assert abs(float(ACT.conjugate([[x]])[0]) - float(q2)) <= 1e-14 * max(1.0, abs(float(q2)))


def test_psi_star_is_tanh_psi_and_the_supremum():
    tanh = get("tanh")
    y = np.linspace(-1, 1, 41)[:, None]
    assert np.allclose(ACT.psi_conjugate(y), tanh.psi(y), rtol=1e-13, atol=1e-16)
    assert float(ACT.psi_conjugate([[1.0]])[0]) == pytest.approx(np.log(2) - 0.5, rel=1e-15)
    assert ACT.psi_conjugate([[1.0 + 1e-12]])[0] == np.inf
    for yv in (0.0, 0.3, -0.8, 0.99):
        res = minimize_scalar(lambda x: -(x * yv - ACT.psi([[x]])[0]), bounds=(-60, 60), method="bounded",
                              options={"xatol": 1e-12})
        assert float(ACT.psi_conjugate([[yv]])[0]) == pytest.approx(-res.fun, abs=1e-9)
    for yv in (1e-3, 0.5, 0.87, -0.999):
        with mp.workdps(80):
            Y = mp.mpf(yv)
            exact = ((1 + Y) * mp.log(1 + Y) + (1 - Y) * mp.log(1 - Y) - Y * Y) / 2
        assert rel_err(ACT.psi_conjugate([[yv]])[0], exact) <= 16 * EPS      # measured: 11.8 at y = -0.87


@pytest.mark.parametrize("t", (1e-3, 0.1, 0.5, 2.0, 10.0, 1e3))
def test_prox_against_direct_minimisation_and_mpmath(t):
    for z in (-7.0, -1.2, -0.05, 0.0, 0.3, 1.0, 2.5, 40.0):
        p = float(ACT.prox([[z]], step=t)[0, 0])
        res = minimize_scalar(lambda u: 0.5 * (u - z) ** 2 + t * ACT.psi([[u]])[0], method="bounded",
                              bounds=(min(z, 0.0) - 1, max(z, 0.0) + 1), options={"xatol": 1e-13})
        fp = 0.5 * (p - z) ** 2 + t * ACT.psi([[p]])[0]
        assert fp <= res.fun + 1e-12 * (1 + abs(res.fun))
        # optimality: x - z + t tanh(sigma^{-1}(x)) = 0, solved in mpmath
        with mp.workdps(50):
            Z = mp.mpf(z)
            F = lambda x: x - Z + t * mp.tanh(mp_inverse(x)) if x != 0 else -Z  # noqa: E731
            if z == 0:
                exact = mp.mpf(0)
            else:
                exact = mp.findroot(F, (Z - t * mp.sign(Z) - 1e-30 * mp.sign(Z), Z), solver="anderson") \
                    if abs(z) > t else mp.findroot(F, (mp.mpf(0), Z), solver="anderson")
        assert abs(p - float(exact)) <= 8 * EPS * max(abs(float(exact)), 1e-300) + 1e-300, (t, z, p, exact)


def test_prox_psi_star_is_the_tanh_prox_and_moreau_holds():
    tanh = get("tanh")
    z = np.linspace(-5, 5, 23)[:, None]
    for t in (0.2, 1.0, 4.0):
        assert np.allclose(ACT.prox_psi_star(z, step=t), tanh.prox(z, step=t), rtol=0, atol=0)
        # extended Moreau identity: z = prox_{t psi}(z) + t prox_{psi*/t}(z/t)
        assert np.allclose(ACT.prox(z, step=t) + t * ACT.prox_psi_star(z / t, step=1 / t), z, rtol=1e-14, atol=1e-14)
    big = np.array([[3.2881822e7]], dtype=np.float32)
    assert float(ACT.prox_psi_star(big)[0, 0]) == 1.0                      # not z - sigma(z) = 0 or 4 in float32


def test_derivative_and_dtype():
    z = np.linspace(-4, 4, 17)[:, None]
    h = 1e-6
    fd = (ACT.prox(z + h) - ACT.prox(z - h)) / (2 * h)
    assert np.allclose(ACT.derivative(z), fd, atol=1e-9)
    assert np.allclose(ACT.derivative(z), np.tanh(z) ** 2)
    z32 = z.astype(np.float32)
    assert ACT.prox(z32).dtype == np.float32 and ACT.psi(ACT.prox(z32)).dtype == np.float32
    assert ACT.prox([[np.inf, -np.inf]]).tolist() == [[np.inf, -np.inf]]
    assert np.isnan(ACT.prox([[np.nan]])[0, 0])


# ----------------------------------------------------------------------------- the laws can fail here
Z = np.array([[-2.0], [-0.3], [0.2], [1.0], [3.0]])


def test_laws_reject_a_wrong_psi():
    x = ACT.prox(Z[::-1] * 0.7)
    laws.check_remark2_inclusion(ACT.prox, ACT.psi, Z, x)
    laws.check_lemma4_fenchel_young(ACT.prox, ACT.psi, ACT.conjugate, Z, x)
    wrong = lambda u: 1.2 * ACT.psi(u)                                        # noqa: E731
    with pytest.raises(LawViolation):
        laws.check_remark2_inclusion(ACT.prox, wrong, Z, x)
    with pytest.raises(LawViolation):
        laws.check_lemma4_fenchel_young(ACT.prox, wrong, ACT.conjugate, Z, x)
    # the soft-threshold psi = |x| (which tanhshrink approaches at infinity) is not it either
    with pytest.raises(LawViolation):
        laws.check_lemma4_fenchel_young(ACT.prox, lambda u: np.sum(np.abs(u), axis=-1), ACT.conjugate, Z, x)


def test_laws_reject_a_wrong_sigma():
    laws.check_prox_optimality(ACT.prox, ACT.psi, Z)
    with pytest.raises(LawViolation):
        laws.check_prox_optimality(lambda z: z - 0.9 * np.tanh(z), ACT.psi, Z)
    laws.check_conjugate_gradient(ACT.conjugate, ACT.prox, Z)
    with pytest.raises(LawViolation):
        laws.check_conjugate_gradient(ACT.conjugate, lambda z: z - np.tanh(1.1 * z), Z)
