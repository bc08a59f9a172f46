r"""``Activation.with_l1(alpha)``: the activation of :math:`\Psi + \alpha\|\cdot\|_1` (Section 6.2).

Its prox is held against a direct numerical minimisation of
:math:`\tfrac12(x - v)^2 + t(\psi(x) + \alpha|x|)` on a bounded interval inside
:math:`\operatorname{dom}\psi` (scipy's bounded Brent), for several :math:`t` and :math:`\alpha`; the same
check is shown to reject a prox that is off by 1e-3.  Support is a property of the exact class: a subclass
that overrides ``prox`` does not inherit it.
"""
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from bregnet.activations import get, names
from bregnet.activations.base import as_float_array, check_step
from bregnet.activations.rectifiers import ReLU
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import L1_PROX_ACTIVATIONS, LiftedProblem
from bregnet.network import glorot_init

CASES = [("identity", {}), ("relu", {}), ("soft_threshold", {}), ("soft_threshold", {"alpha": 0.3}),
         ("nonneg_soft_threshold", {"alpha": 0.4})]
STEPS = (0.3, 1.0, 2.5)
ALPHAS = (0.2, 1.0)
VS = np.linspace(-3.0, 3.0, 25) + 0.01      # also points where the minimiser is 0 or on a kink
TOL = 2e-7                                    # bounded Brent: about sqrt(eps) |x| + xatol


def _id(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def argmin_prox(act, v, t, alpha):
    r""":math:`\arg\min_x \tfrac12(x - v)^2 + t(\psi(x) + \alpha|x|)` by bounded Brent inside the domain of ``act``."""
    nonneg = not np.isfinite(act.psi(np.array([[-1.0]]))[0])     # dom psi = [0, inf) or the whole line
    r = abs(v) + 1.0                                             # prox is non-expansive and prox(0) = 0
    lo = 0.0 if nonneg else -r

    def f(x):
        return 0.5 * (x - v) ** 2 + t * (float(act.psi(np.array([[x]]))[0]) + alpha * abs(x))

    return minimize_scalar(f, bounds=(lo, r), method="bounded", options={"xatol": 1e-11}).x


def prox_error(prox, act, t, alpha, vs=VS):
    """Largest distance between ``prox(v)`` and the numerical minimiser over ``vs`` (the law checked)."""
    got = prox(np.asarray(vs)[:, None])[:, 0]
    want = np.array([argmin_prox(act, float(v), t, alpha) for v in vs])
    return float(np.max(np.abs(got - want)))


@pytest.mark.parametrize("case", CASES, ids=_id)
@pytest.mark.parametrize("t", STEPS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_prox_of_with_l1_is_the_minimiser(case, t, alpha):
    act = get(case[0], **case[1])
    l1 = act.with_l1(alpha)
    assert prox_error(lambda v: l1.prox(v, t), act, t, alpha) <= TOL


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_the_check_rejects_a_prox_off_by_1e3(case):
    act = get(case[0], **case[1])
    l1 = act.with_l1(0.5)
    assert prox_error(lambda v: l1.prox(v, 0.7) + 1e-3, act, 0.7, 0.5) > 100 * TOL
    assert prox_error(lambda v: act.prox(v, 0.7), act, 0.7, 0.5) > 100 * TOL   # alpha is not ignored


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_psi_of_with_l1_is_psi_plus_alpha_l1(case):
    act = get(case[0], **case[1])
    x = np.abs(np.random.default_rng(0).normal(size=(6, 3))) * np.array([1.0, 0.0, 2.0])
    for alpha in ALPHAS:
        np.testing.assert_allclose(act.with_l1(alpha).psi(x), act.psi(x) + alpha * np.abs(x).sum(-1), rtol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_with_l1_keeps_float32(case):
    act = get(case[0], **case[1])
    v = np.linspace(-2, 2, 9, dtype=np.float32)[None]
    assert act.with_l1(0.25).prox(v, 0.5).dtype == np.float32


@pytest.mark.parametrize("name", names())
def test_alpha_zero_returns_the_same_activation(name):
    act = get(name)
    assert act.with_l1(0) is act
    assert act.with_l1(0.0) is act


def test_unsupported_activations_raise_and_supported_ones_are_listed():
    with pytest.raises(BregnetInputError, match="no closed-form prox of Psi \\+ alpha"):
        get("tanh").with_l1(0.1)
    assert L1_PROX_ACTIVATIONS == ("identity", "nonneg_soft_threshold", "relu", "soft_threshold")
    assert all(get(n).supports_l1() == (n in L1_PROX_ACTIVATIONS) for n in names())


@pytest.mark.parametrize("bad", [-0.1, np.inf, np.nan, "a", True])
def test_invalid_alpha_is_rejected(bad):
    with pytest.raises(BregnetInputError):
        get("relu").with_l1(bad)


class ShiftedReLU(ReLU):
    """A subclass that changes Psi (prox overridden) but keeps the name "relu"."""

    def prox(self, z, step=1.0):
        z = as_float_array(z)
        return np.maximum(z - z.dtype.type(0.5 * check_step(step)), 0)


def test_a_subclass_that_overrides_prox_does_not_inherit_with_l1():
    act = ShiftedReLU()
    assert act.name == "relu" and not act.supports_l1()
    with pytest.raises(BregnetInputError, match="no closed-form prox"):
        act.with_l1(0.1)
    assert act.with_l1(0.0) is act
    net = glorot_init([3, 4, 2], [act, get("identity")], seed=0)
    with pytest.raises(BregnetInputError, match="l1 regulariser"):
        LiftedProblem.from_network(net, l1=(1, 0.1))


def test_a_subclass_that_keeps_psi_can_opt_in():
    class Renamed(ReLU):
        _with_l1 = ReLU._with_l1

    assert Renamed.supports_l1()
    assert Renamed().with_l1(0.5) == get("nonneg_soft_threshold", alpha=0.5)


def test_lifted_problem_accepts_every_supported_activation():
    for name in L1_PROX_ACTIVATIONS:
        net = glorot_init([3, 4, 2], [name, "identity"], seed=0)
        assert LiftedProblem.from_network(net, l1=(1, 0.1)).l1_alpha(1) == 0.1
