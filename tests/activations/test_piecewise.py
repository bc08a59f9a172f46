"""Family-specific checks for the rectifier, thresholding and clipping activations.

Every closed form (psi, sigma, sigma', Phi*, Psi*, prox_{t Psi}) is compared with its definition:
prox with a direct SciPy minimisation of (9), Phi* and Psi* with a numeric supremum (Definition 3),
dPhi*/dz = sigma and sigma' with central differences.  The checkers are plain functions, and
``test_checkers_can_fail`` feeds each one a deliberately wrong activation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bregnet.activations import get
from bregnet.activations.rectifiers import ELU, LeakyReLU
from bregnet.activations.clipping import BentIdentity, HardSigmoid

INF = math.inf


@dataclass
class Case:
    name: str
    params: dict
    lo: float                  # closed domain of psi (lo_open: lo itself excluded)
    hi: float
    kinks: tuple = ()          # points z where sigma is not differentiable
    kink_value: float | None = None   # documented sigma' at the kinks
    lo_open: bool = False

    @property
    def act(self):
        return get(self.name, **self.params)

    def __str__(self):
        return f"{self.name}{self.params}"


CASES = [
    Case("leaky_relu", {}, -INF, INF, (0.0,), 0.01),
    Case("leaky_relu", {"slope": 0.3}, -INF, INF, (0.0,), 0.3),
    Case("leaky_relu", {"slope": 1.0}, -INF, INF),
    Case("elu", {}, -1.0, INF),
    Case("elu", {"alpha": 0.4}, -0.4, INF, (0.0,), 0.4),
    Case("isrlu", {}, -1.0, INF),
    Case("isrlu", {"a": 3.0}, -1 / math.sqrt(3.0), INF),
    Case("nonneg_soft_threshold", {}, 0.0, INF, (1.0,), 0.0),
    Case("nonneg_soft_threshold", {"alpha": 0.25}, 0.0, INF, (0.25,), 0.0),
    Case("hard_tanh", {}, -1.0, 1.0, (-1.0, 1.0), 0.0),
    Case("hard_tanh", {"lo": -0.5, "hi": 2.0}, -0.5, 2.0, (-0.5, 2.0), 0.0),
    Case("hard_tanh", {"lo": 0.0, "hi": INF}, 0.0, INF, (0.0,), 0.0),
    Case("hard_sigmoid", {}, 0.0, 1.0, (-2.0, 2.0), 0.0),
    Case("hard_sigmoid", {"slope": 0.5}, 0.0, 1.0, (-1.0, 1.0), 0.0),
    Case("hard_sigmoid", {"slope": 1.0}, 0.0, 1.0, (-0.5, 0.5), 0.0),
    Case("bent_identity", {}, -0.5, INF, lo_open=True),
]
IDS = [str(c) for c in CASES]
ZS = np.array([-7.3, -2.0, -1.0, -0.45, -0.1, 0.0, 0.2, 0.7, 1.6, 3.1, 9.0])
STEPS = (0.3, 1.0, 2.5)


# ----------------------------------------------------------------------------- scalar helpers
def psi1(act, x: float) -> float:
    return float(act.psi(np.array([[x]]))[0])


def box(case: Case, centre: float, radius: float) -> tuple[float, float]:
    """An interval inside the domain of psi around ``centre``."""
    lo = max(case.lo, centre - radius)
    hi = min(case.hi, centre + radius)
    if case.lo_open and lo == case.lo:
        lo += 1e-13
    return lo, hi


def argmin(f, lo, hi):
    if hi - lo <= 0:
        return lo
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13, "maxiter": 2000})
    # also try the end points: the bounded method never evaluates them
    cands = [res.x, lo, hi]
    vals = [f(c) for c in cands]
    return cands[int(np.argmin(vals))]


# ----------------------------------------------------------------------------- checkers
def prox_errors(case: Case, act, z_values, step) -> list[float]:
    """For each z, objective gap and distance between prox_{t Psi}(z) and a SciPy minimiser of (9)."""
    errs = []
    for z in z_values:
        def obj(u, z=z):
            return 0.5 * (u - z) ** 2 + step * psi1(act, u)

        u_num = argmin(obj, *box(case, 0.0, 2 * abs(z) + 10))
        u_cf = float(act.prox(np.array([[z]]), step=step)[0, 0])
        gap = obj(u_cf) - obj(u_num)            # must be <= ~0
        errs.append(max(gap / (1 + abs(obj(u_num))), abs(u_cf - u_num) / (1 + abs(z)) * 1e-2))
    return errs


def phi_star_errors(case: Case, act, z_values) -> list[float]:
    """|Phi*(z) - sup_x (xz - x^2/2 - psi(x))| for each z, relative."""
    errs = []
    for z in z_values:
        def neg(x, z=z):
            return -(x * z - 0.5 * x * x - psi1(act, x))

        x = argmin(neg, *box(case, 0.0, 2 * abs(z) + 10))
        num = -neg(x)
        cf = float(act.conjugate(np.array([[z]]))[0])
        errs.append(abs(cf - num) / (1 + abs(num)))
    return errs


def psi_star_errors(case: Case, act, y_values) -> list[float]:
    """Psi*(y) against sup_x (xy - psi(x)); an infinite closed form must match an unbounded sup."""
    errs = []
    for y in y_values:
        cf = float(act.psi_conjugate(np.array([[y]]))[0])

        def neg(x, y=y):
            return -(x * y - psi1(act, x))

        if math.isinf(cf):
            lo, hi = box(case, 0.0, 1e6)
            big = max(-neg(lo), -neg(hi))
            errs.append(0.0 if big > 1e3 else INF)
        else:
            x = argmin(neg, *box(case, 0.0, 100.0))
            num = -neg(x)
            errs.append(abs(cf - num) / (1 + abs(num)))
    return errs


def grad_phi_star_errors(act, z_values, h=1e-5) -> np.ndarray:
    """|(Phi*(z+h) - Phi*(z-h))/2h - sigma(z)|: eq. (15), nabla Phi* = sigma."""
    z = np.asarray(z_values, dtype=float)[:, None]
    fd = (act.conjugate(z + h) - act.conjugate(z - h)) / (2 * h)
    return np.abs(fd - act.prox(z)[:, 0])


def sigma_prime_errors(act, z_values, h=1e-6) -> np.ndarray:
    z = np.asarray(z_values, dtype=float)[:, None]
    fd = (act.prox(z + h) - act.prox(z - h))[:, 0] / (2 * h)
    return np.abs(fd - act.derivative(z)[:, 0])


def graph_identity_errors(act, z_values) -> np.ndarray:
    """|Phi*(z) - (z sigma - sigma^2/2 - psi(sigma))|, eq. (11) on the graph of sigma (Lemma 4)."""
    z = np.asarray(z_values, dtype=float)[:, None]
    s = act.prox(z)
    rhs = (z * s - 0.5 * s * s)[:, 0] - act.psi(s)
    lhs = act.conjugate(z)
    return np.abs(lhs - rhs) / (1 + np.abs(lhs))


def smooth_points(case: Case, n=40, seed=0) -> np.ndarray:
    z = np.random.default_rng(seed).uniform(-6, 6, n)
    for k in case.kinks:
        z = z[np.abs(z - k) > 1e-3]
    return z


# ----------------------------------------------------------------------------- the laws
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("step", STEPS)
def test_prox_minimises_9(case, step):
    errs = prox_errors(case, case.act, ZS, step)
    assert max(errs) < 1e-9, list(zip(ZS.tolist(), errs))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_phi_star_is_the_conjugate(case):
    errs = phi_star_errors(case, case.act, ZS)
    assert max(errs) < 1e-9, list(zip(ZS.tolist(), errs))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_phi_star_on_graph(case):
    z = np.concatenate([ZS, np.geomspace(1e-9, 1e8, 25), -np.geomspace(1e-9, 1e8, 25)])
    assert np.max(graph_identity_errors(case.act, z)) < 1e-12


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_of_phi_star_is_sigma(case):
    z = smooth_points(case, seed=1)
    assert np.max(grad_phi_star_errors(case.act, z)) < 1e-7


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sigma_prime_matches_finite_differences(case):
    act = case.act
    z = smooth_points(case, seed=2)
    assert np.max(sigma_prime_errors(act, z)) < 1e-6
    d = act.derivative(np.random.default_rng(3).normal(0, 5, (50, 3)))
    assert np.all((d >= 0) & (d <= 1))


@pytest.mark.parametrize("case", [c for c in CASES if c.kinks], ids=[str(c) for c in CASES if c.kinks])
def test_sigma_prime_kink_convention(case):
    act = case.act
    k = np.array([list(case.kinks)])
    np.testing.assert_array_equal(act.derivative(k), np.full(k.shape, case.kink_value))
    h = 1e-7
    left = (act.prox(k) - act.prox(k - h)) / h
    right = (act.prox(k + h) - act.prox(k)) / h
    d = act.derivative(k)
    assert np.all((np.minimum(left, right) - 1e-6 <= d) & (d <= np.maximum(left, right) + 1e-6))


PSI_STAR_Y = {
    "leaky_relu": [-3.0, -1.0, -0.1, 0.0, 0.5],
    "elu": [-30.0, -3.0, -0.5, -1e-3, 0.0, 0.5],
    "nonneg_soft_threshold": [-4.0, 0.0, 0.2, 0.25, 1.0, 1.7],
    "hard_tanh": [-3.0, -0.5, 0.0, 0.5, 3.0],
    "hard_sigmoid": [-4.0, -1.5, -0.6, -0.5, -0.3, 0.0, 0.4, 2.0],
    "bent_identity": [-20.0, -1.0, -1e-4, 0.0, 0.3, 0.49, 1.0],
}


@pytest.mark.parametrize("case", [c for c in CASES if c.name in PSI_STAR_Y],
                         ids=[str(c) for c in CASES if c.name in PSI_STAR_Y])
def test_psi_star_is_the_conjugate(case):
    act = case.act
    assert act.has_psi_conjugate
    y = PSI_STAR_Y[case.name]
    errs = psi_star_errors(case, act, y)
    assert max(errs) < 1e-9, list(zip(y, errs))


def test_psi_star_values():
    # leaky: a y^2 / (2(1-a)) on y <= 0
    assert float(get("leaky_relu", slope=0.5).psi_conjugate([[-2.0]])[0]) == pytest.approx(2.0)
    assert float(get("leaky_relu", slope=1.0).psi_conjugate([[-2.0]])[0]) == INF
    assert float(get("leaky_relu", slope=1.0).psi_conjugate([[0.0]])[0]) == 0.0
    # elu, y -> -inf: -alpha y - psi(-alpha) = -alpha y - alpha + alpha^2/2
    a = 0.4
    assert float(get("elu", alpha=a).psi_conjugate([[-1e8]])[0]) == pytest.approx(a * 1e8 - a + a * a / 2, rel=1e-15)
    # bent: Psi*(y) ~ y^2/2 near 0, computed without cancellation
    assert float(get("bent_identity").psi_conjugate([[1e-9]])[0]) == pytest.approx(0.5e-18, rel=1e-12)
    with pytest.raises(NotImplementedError):
        get("isrlu").psi_conjugate([[-1.0]])
    assert not get("isrlu").has_psi_conjugate


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_psi_domain_and_closure(case):
    act = case.act
    inside = np.linspace(max(case.lo, -5.0), min(case.hi, 5.0), 101)[1:-1, None]
    assert np.all(np.isfinite(act.psi(inside)))
    if case.lo > -INF:
        assert float(act.psi([[case.lo - 1e-6]])[0]) == INF
        at = float(act.psi([[case.lo]])[0])
        near = float(act.psi([[case.lo + 1e-9]])[0])
        if case.lo_open:
            assert at == INF and near > 4.0      # the limit is +inf: psi -> infinity at the pole
        else:
            closer = float(act.psi([[case.lo + 1e-13]])[0])
            assert math.isfinite(at) and abs(at - closer) < 1e-5 and abs(at - closer) <= abs(at - near)
    if case.hi < INF:
        assert float(act.psi([[case.hi + 1e-6]])[0]) == INF
        assert float(act.psi([[case.hi]])[0]) == pytest.approx(float(act.psi([[case.hi - 1e-9]])[0]), abs=1e-6)
    # normalisation psi(sigma(0)) = 0
    s0 = act.prox(np.zeros((1, 1)))
    assert float(act.psi(s0)[0]) == 0.0


def test_closure_values():
    assert float(get("elu", alpha=0.4).psi([[-0.4]])[0]) == pytest.approx(0.4 - 0.08, rel=1e-15)
    assert float(get("isrlu", a=4.0).psi([[-0.5]])[0]) == pytest.approx(1 / 8, rel=1e-15)
    s = 0.25
    act = get("hard_sigmoid", slope=s)
    assert float(act.psi([[0.0]])[0]) == pytest.approx((1 + 1 / s) / 8)
    assert float(act.psi([[1.0]])[0]) == pytest.approx((1 / s - 3) / 8)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sigma_is_monotone_and_nonexpansive(case):
    z = np.sort(np.random.default_rng(4).normal(0, 4, 400))
    for t in STEPS:
        s = case.act.prox(z[:, None], step=t)[:, 0]
        ds, dz = np.diff(s), np.diff(z)
        assert np.all(ds >= -1e-15) and np.all(ds <= dz * (1 + 1e-12) + 1e-15)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_extremes(case, dtype):
    act = case.act
    z = np.array([[-1e8, -1e4, -1.0, 0.0, 1.0, 1e4, 1e8]], dtype=dtype)
    outs = {"sigma": act.prox(z), "phi*": act.conjugate(z), "sigma'": act.derivative(z),
            "psi(sigma)": act.psi(act.prox(z)), "M": act.moreau_envelope(z)}
    for t in STEPS:
        outs[f"prox_{t}"] = act.prox(z, step=t)
        outs[f"psi(prox_{t})"] = act.psi(act.prox(z, step=t))
    if act.has_psi_conjugate:
        outs["psi*"] = act.psi_conjugate(z)
    for key, val in outs.items():
        assert val.dtype == dtype, key
        assert not np.any(np.isnan(val)), key
        if key != "psi*":
            assert np.all(np.isfinite(val)), key
    # the closed form prox_t agrees with the generic one in float64
    z64 = z.astype(np.float64)
    from bregnet.activations.base import prox_step_from_sigma
    for t in STEPS:
        generic = prox_step_from_sigma(act._sigma, act._sigma_prime, z64, t)
        np.testing.assert_allclose(act.prox(z64, step=t), generic, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, kwargs, exc", [
    ("leaky_relu", {"slope": 0.0}, ValueError),
    ("leaky_relu", {"slope": 1.5}, ValueError),
    ("leaky_relu", {"slope": -0.1}, ValueError),
    ("leaky_relu", {"slope": float("nan")}, ValueError),
    ("leaky_relu", {"slope": "steep"}, TypeError),
    ("elu", {"alpha": 0.0}, ValueError),
    ("elu", {"alpha": 1.2}, ValueError),
    ("elu", {"alpha": True}, TypeError),
    ("isrlu", {"a": 0.0}, ValueError),
    ("isrlu", {"a": -1.0}, ValueError),
    ("isrlu", {"a": float("inf")}, ValueError),
    ("nonneg_soft_threshold", {"alpha": 0.0}, ValueError),
    ("nonneg_soft_threshold", {"alpha": -1.0}, ValueError),
    ("hard_tanh", {"lo": 1.0, "hi": -1.0}, ValueError),
    ("hard_tanh", {"lo": float("nan")}, ValueError),
    ("hard_tanh", {"lo": INF}, ValueError),
    ("hard_tanh", {"hi": -INF}, ValueError),
    ("hard_tanh", {"hi": None}, TypeError),
    ("hard_sigmoid", {"slope": 0.0}, ValueError),
    ("hard_sigmoid", {"slope": 1.01}, ValueError),
    ("bent_identity", {"alpha": 1.0}, TypeError),
])
def test_parameter_validation(name, kwargs, exc):
    with pytest.raises(exc) as info:
        get(name, **kwargs)
    if exc is ValueError and name != "hard_tanh":
        assert next(iter(kwargs)) in str(info.value)


def test_parameter_messages_name_the_range():
    with pytest.raises(ValueError, match=r"slope must lie in \(0.0, 1.0\]"):
        get("leaky_relu", slope=2.0)
    with pytest.raises(ValueError, match=r"alpha must lie in \(0.0, 1.0\]"):
        get("elu", alpha=2.0)
    with pytest.raises(ValueError, match=r"lo must be <= hi"):
        get("hard_tanh", lo=2.0, hi=1.0)


def test_special_cases_reduce_to_known_maps():
    z = np.linspace(-5, 5, 41)[:, None]
    relu = get("relu")
    for other in (get("hard_tanh", lo=0.0, hi=INF),):
        np.testing.assert_array_equal(other.prox(z), relu.prox(z))
        np.testing.assert_allclose(other.conjugate(z), relu.conjugate(z))
    np.testing.assert_array_equal(get("leaky_relu", slope=1.0).prox(z), z)
    np.testing.assert_allclose(get("nonneg_soft_threshold", alpha=1.0).prox(z), np.maximum(z - 1, 0))
    hs = get("hard_sigmoid", slope=0.2)
    np.testing.assert_allclose(hs.prox(z), np.clip(0.2 * z + 0.5, 0, 1))
    np.testing.assert_allclose(get("elu").prox(z), np.where(z > 0, z, np.expm1(z)))
    np.testing.assert_allclose(get("isrlu", a=2.0).prox(z), np.where(z >= 0, z, z / np.sqrt(1 + 2 * z * z)))
    np.testing.assert_allclose(get("bent_identity").prox(z), (z + np.sqrt(z * z + 1) - 1) / 2, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bent_identity_stays_off_the_poles(dtype):
    """psi has a pole at -1/2 and Psi* at 1/2; sigma(z) and z - sigma(z) approach them but must not round onto them."""
    act = get("bent_identity")
    z = np.concatenate([np.geomspace(1.0, 1e9, 200), -np.geomspace(1.0, 1e9, 200)]).astype(dtype)[:, None]
    s = act.prox(z)
    assert np.all(np.isfinite(act.psi(s)))
    for t in STEPS:
        y = act.prox_conjugate(z, step=t)
        assert y.dtype == dtype and np.all(np.isfinite(act.psi_conjugate(y)))
        # Theorem 7 (extended): prox_{t Psi*}(z) = z - t prox_{Psi/t}(z/t)
        z64 = z.astype(np.float64)
        # (the reference subtracts numbers of size |z|: absolute accuracy ~ eps |z| <= 2e-7)
        np.testing.assert_allclose(y, z64 - t * act.prox(z64 / t, step=1 / t), rtol=1e-6, atol=1e-6)


def test_bent_identity_prox_conjugate_minimises():
    """prox_{t Psi*}(z) against a direct minimisation of (y - z)^2/2 + t Psi*(y) over y < 1/2."""
    act = get("bent_identity")
    for t in STEPS:
        for z in ZS:
            def obj(y, z=z):
                return 0.5 * (y - z) ** 2 + t * float(act.psi_conjugate([[y]])[0])
            y_num = argmin(obj, -50.0, 0.5 - 1e-13)
            y_cf = float(act.prox_conjugate([[z]], step=t)[0, 0])
            assert obj(y_cf) <= obj(y_num) + 1e-12 and abs(y_cf - y_num) < 1e-6


def test_common_bent_identity_is_not_proximal():
    """z + (sqrt(z^2+1) - 1)/2, the usual "bent identity", has slope > 1: not a proximal map."""
    z = np.linspace(-20, 20, 4001)
    common = z + (np.sqrt(z * z + 1) - 1) / 2
    assert np.max(np.diff(common) / np.diff(z)) > 1.4
    ours = get("bent_identity").prox(z[:, None])[:, 0]
    assert np.max(np.diff(ours) / np.diff(z)) <= 1.0


def test_elementary_functions_against_mpmath():
    mp = pytest.importorskip("mpmath")
    from bregnet.activations._elementary import asinhmx, expm1mx, log1pmx, xlog1p_rem3
    mp.mp.dps = 50
    x = np.array([-0.99, -0.6, -0.51, -0.4999, -0.3, -0.1, -1e-3, -1e-9, 0.0, 1e-12, 1e-5, 0.1, 0.3, 0.4999, 0.51, 0.7, 3.0, 40.0])
    refs = {
        expm1mx: lambda v: mp.expm1(v) - v,
        log1pmx: lambda v: mp.log1p(v) - v,
        asinhmx: lambda v: mp.asinh(v) - v,
        xlog1p_rem3: lambda v: (1 + v) * mp.log1p(v) - v - v * v / 2,
    }
    for f, ref in refs.items():
        got = f(x)
        want = np.array([float(ref(mp.mpf(float(v)))) for v in x])
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, err_msg=f.__name__)
        assert f(x.astype(np.float32)).dtype == np.float32


# ----------------------------------------------------------------------------- can fail
@dataclass(frozen=True, repr=False)
class _WrongPsiELU(ELU):
    """psi off by the -x^2/2 term: sigma no longer minimises (9)."""

    def _psi(self, x):
        return super()._psi(x) + 0.5 * np.minimum(x, 0) ** 2


@dataclass(frozen=True, repr=False)
class _WrongPhiStarELU(ELU):
    """Phi* without the -z: not the conjugate, and its derivative is not sigma."""

    def _phi_star(self, z):
        return np.where(z > 0, 0.5 * z * z, self.alpha * np.expm1(np.minimum(z, 0)))


@dataclass(frozen=True, repr=False)
class _WrongPsiStarBent(BentIdentity):
    def _psi_star(self, y):
        return super()._psi_star(y) * 1.01


@dataclass(frozen=True, repr=False)
class _WrongPrimeLeaky(LeakyReLU):
    def _sigma_prime(self, z):
        return np.ones_like(z)


@dataclass(frozen=True, repr=False)
class _WrongProxStepSigmoid(HardSigmoid):
    def _prox_step(self, z, t):
        return self._sigma(z)      # ignores the step


def test_checkers_can_fail():
    elu = CASES[3]
    assert elu.name == "elu" and elu.params == {}
    assert max(prox_errors(elu, _WrongPsiELU(), ZS, 1.0)) > 1e-6
    assert max(phi_star_errors(elu, _WrongPhiStarELU(), ZS)) > 1e-3
    assert np.max(grad_phi_star_errors(_WrongPhiStarELU(), ZS)) > 1e-3
    assert np.max(graph_identity_errors(_WrongPhiStarELU(), ZS)) > 1e-3
    bent = CASES[-1]
    assert max(psi_star_errors(bent, _WrongPsiStarBent(), [-1.0, 0.3])) > 1e-4
    leaky = CASES[1]
    assert np.max(sigma_prime_errors(_WrongPrimeLeaky(slope=0.3), smooth_points(leaky))) > 0.5
    sig = CASES[12]
    assert sig.name == "hard_sigmoid"
    assert max(prox_errors(sig, _WrongProxStepSigmoid(), ZS, 2.5)) > 1e-6
