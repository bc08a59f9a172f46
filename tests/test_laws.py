"""The law suite: every registered activation against every law of Section 3 (Definition 1 - Example 2).

:class:`ActivationLawSuite` is inheritable: a subclass provides an ``activation`` fixture (class
scoped) and inherits one Hypothesis test per law.  :class:`TestRegisteredActivations` runs it for
every name in :func:`bregnet.activations.names` with default parameters plus a few non-default
parameter sets, so activations added later are picked up automatically.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bregnet import bregman as bm
from bregnet.activations import get, names
from bregnet.testing import laws
from bregnet.testing import strategies as bst

DTYPES = (np.float64, np.float32)
NON_DEFAULT = [("soft_threshold", {"alpha": 0.3}), ("softmax", {"temperature": 0.5}),
               ("softmax", {"temperature": 2.0})]
CASES = [(n, {}) for n in names()] + [c for c in NON_DEFAULT if c[0] in names()]


def _id(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def fewer(divisor, minimum=3):
    """Settings with ``max_examples`` of the loaded profile divided by ``divisor``."""
    return settings(max_examples=max(minimum, settings.default.max_examples // divisor))


class ActivationLawSuite:
    """Every law of ``bregnet.testing.laws`` as a Hypothesis test for ``self``'s ``activation`` fixture."""

    #: largest feature dimension drawn
    max_n = 4

    @pytest.fixture(scope="class")
    def activation(self):  # pragma: no cover - overridden by subclasses
        pytest.skip("ActivationLawSuite is abstract: provide an `activation` fixture")

    # ------------------------------------------------------------------ drawing helpers
    def shape(self, data, max_n=None, batch=None):
        n = data.draw(st.integers(1, max_n or self.max_n), label="n")
        b = batch or data.draw(st.integers(1, 3), label="batch")
        dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
        return n, b, dtype

    def draw_z(self, data, act, n, b, dtype, magnitude=1e8, label="z"):
        h = bst.hints_for(act)
        return data.draw(bst.pre_activations(n, batch=b, dtype=dtype, magnitude=magnitude,
                                             thresholds=h["thresholds"]), label=label)

    def draw_x(self, data, act, n, b, dtype, magnitude=1e8, label="x"):
        h = bst.hints_for(act)
        return data.draw(bst.domain_points(act.prox, n, batch=b, dtype=dtype, magnitude=magnitude,
                                           thresholds=h["thresholds"], boundary_values=h["boundary_values"],
                                           boundary_rows=h["boundary_rows"]), label=label)

    def draw_u(self, data, act, n, b, dtype, label="u"):
        """Test points: domain points or arbitrary points (possibly outside the domain)."""
        if data.draw(st.booleans(), label=label + " in dom"):
            return self.draw_x(data, act, n, b, dtype, label=label)
        return self.draw_z(data, act, n, b, dtype, label=label)

    def draw_z2(self, data, act, z, label="z2"):
        """A second pre-activation: independent, or a tiny perturbation of ``z`` (near ties)."""
        b, n = z.shape
        if data.draw(st.booleans(), label=label + " near"):
            k = data.draw(st.integers(1, 64), label="ulps")
            sign = data.draw(st.sampled_from([-1.0, 1.0]))
            return np.nextafter(z, sign * np.inf) if k == 1 else \
                (z.astype(np.float64) + sign * k * np.spacing(np.maximum(np.abs(z), 1).astype(z.dtype))).astype(z.dtype)
        return self.draw_z(data, act, n, b, z.dtype, label=label)

    # ------------------------------------------------------------------ Definition 1, Remark 2
    @fewer(8)
    @given(data=st.data())
    def test_prox_optimality_vs_scipy(self, activation, data):
        n = data.draw(st.integers(1, 3), label="n")
        dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
        z = self.draw_z(data, activation, n, 1, dtype, magnitude=1e4)
        t = data.draw(st.one_of(st.just(1.0), bst.step_sizes(0.1, 10.0)), label="step")
        laws.check_prox_optimality(lambda v: activation.prox(v, step=t), activation.psi, z, step=t)

    @fewer(2)
    @given(data=st.data())
    def test_three_point_inequality(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        u = self.draw_u(data, activation, n, b, dtype)
        t = data.draw(st.one_of(st.just(1.0), bst.step_sizes()), label="step")
        laws.check_three_point_inequality(lambda v: activation.prox(v, step=t), activation.psi, z, u, step=t)

    @fewer(2)
    @given(data=st.data())
    def test_remark2_inclusion(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        u = self.draw_u(data, activation, n, b, dtype)
        laws.check_remark2_inclusion(activation.prox, activation.psi, z, u)

    # ------------------------------------------------------------------ Theorem 7, Definition 3, Lemma 4
    @fewer(2)
    @given(data=st.data())
    def test_moreau_identity(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        psi_star = activation.psi_conjugate if activation.has_psi_conjugate else None
        laws.check_moreau_identity(activation.prox, activation.prox_conjugate, z, psi_star=psi_star)

    @fewer(2)
    @given(data=st.data())
    def test_psi_conjugate_fenchel_young(self, activation, data):
        if not activation.has_psi_conjugate:
            pytest.skip(f"{activation!r} has no closed-form Psi*")
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        x = self.draw_u(data, activation, n, b, dtype, label="x")
        y = self.draw_z(data, activation, n, b, dtype, label="y")
        laws.check_psi_fenchel_young(activation.prox, activation.psi, activation.psi_conjugate, z, x, y,
                                     prox_conjugate=activation.prox_conjugate)

    @fewer(2)
    @given(data=st.data())
    def test_lemma4_fenchel_young(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        x = self.draw_u(data, activation, n, b, dtype, label="x")
        laws.check_lemma4_fenchel_young(activation.prox, activation.psi, activation.conjugate, z, x)

    @fewer(2)
    @given(data=st.data())
    def test_conjugate_gradient_is_sigma(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        laws.check_conjugate_gradient(activation.conjugate, activation.prox, z,
                                      seed=data.draw(st.integers(0, 2**16), label="seed"))

    # ------------------------------------------------------------------ eq. (12) and Theorem 10
    def xz(self, data, activation):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        x = self.draw_u(data, activation, n, b, dtype, label="x")
        return x, z

    def B(self, activation):
        return lambda x, z: bm.bregman_loss(activation, x, z)

    @fewer(2)
    @given(data=st.data())
    def test_bregman_loss_matches_definition(self, activation, data):
        x, z = self.xz(data, activation)
        psi, fs = activation.psi, activation.conjugate
        laws.check_bregman_definition(self.B(activation), psi, fs, x, z)
        laws.check_bregman_definition(lambda x, z: bm.bregman_loss_definition(activation, x, z), psi, fs, x, z)
        if activation.has_psi_conjugate:
            laws.check_bregman_definition(lambda x, z: bm.bregman_loss_conjugate_form(activation, x, z),
                                          psi, fs, x, z, law="eq. (14) with Theorem 7 (conjugate form) vs eq. (12)")

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item1(self, activation, data):
        x, z = self.xz(data, activation)
        laws.check_theorem10_item1(activation.prox, activation.psi, activation.conjugate, x, z,
                                   form=lambda x, z: bm.bregman_loss_envelope_form(activation, x, z))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item2(self, activation, data):
        x, z = self.xz(data, activation)
        laws.check_theorem10_item2(activation.prox, activation.psi, activation.conjugate, x, z,
                                   form=lambda x, z: bm.bregman_loss_bregman_distance_form(activation, x, z))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item3(self, activation, data):
        x, z = self.xz(data, activation)
        laws.check_theorem10_item3(activation.prox, activation.psi, activation.conjugate, x, z,
                                   form=lambda x, z: bm.bregman_loss_split_form(activation, x, z))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item4(self, activation, data):
        x, z = self.xz(data, activation)
        laws.check_theorem10_item4(activation.prox, activation.psi, activation.conjugate, x, z,
                                   form=lambda x, z: bm.bregman_loss_expanded_form(activation, x, z))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item5(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        x = self.draw_x(data, activation, n, b, dtype)
        laws.check_theorem10_item5(self.B(activation), x, z, seed=data.draw(st.integers(0, 2**16), label="seed"))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item6_lemma8(self, activation, data):
        n, b, dtype = self.shape(data)
        z = self.draw_z(data, activation, n, b, dtype)
        x = self.draw_x(data, activation, n, b, dtype)
        laws.check_theorem10_item6(self.B(activation), activation.prox, x, z,
                                   grad=lambda x, z: bm.bregman_grad(activation, x, z),
                                   seed=data.draw(st.integers(0, 2**16), label="seed"))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item7(self, activation, data):
        x, z = self.xz(data, activation)
        laws.check_theorem10_item7(self.B(activation), activation.prox, x, z)

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item8_biconvex(self, activation, data):
        n, b, dtype = self.shape(data)
        x1 = self.draw_u(data, activation, n, b, dtype, label="x1")
        x2 = self.draw_u(data, activation, n, b, dtype, label="x2")
        z1 = self.draw_z(data, activation, n, b, dtype, label="z1")
        z2 = self.draw_z2(data, activation, z1)
        laws.check_theorem10_item8(self.B(activation), x1, x2, z1, z2)

    def operator_case(self, data, activation):
        n, b, dtype = self.shape(data)
        x = self.draw_x(data, activation, n, b, dtype)
        z1 = self.draw_z(data, activation, n, b, dtype, label="z1")
        z2 = self.draw_z2(data, activation, z1)
        return (lambda x, z: bm.bregman_grad(activation, x, z)), x, z1, z2

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item9_monotone(self, activation, data):
        laws.check_theorem10_item9(*self.operator_case(data, activation))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item10_lipschitz(self, activation, data):
        laws.check_theorem10_item10(*self.operator_case(data, activation))

    @fewer(2)
    @given(data=st.data())
    def test_theorem10_item11_firmly_nonexpansive(self, activation, data):
        laws.check_theorem10_item11(*self.operator_case(data, activation))

    @fewer(2)
    @given(data=st.data())
    def test_corollary6(self, activation, data):
        x, z = self.xz(data, activation)
        laws.check_corollary6(self.B(activation), activation.prox, x, z)

    # ------------------------------------------------------------------ extremes, deterministic
    @pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
    def test_huge_magnitudes_no_nan(self, activation, dtype):
        """|z| = 1e8 (and mixed signs/ties) in float32 and float64: no NaN, dtype kept, laws hold."""
        rows = [[1e8, -1e8, 0.0], [-1e8, -1e8, -1e8], [1e8, 1e8, 1e8], [1e8, 1.0, -3.0], [0.0, 0.0, 0.0]]
        for n in (1, 2, 3):
            z = np.array([r[:n] for r in rows], dtype=dtype)
            s = activation.prox(z)
            assert s.dtype == dtype and s.shape == z.shape
            for name, val in [("prox", s), ("psi(prox)", activation.psi(s)), ("conjugate", activation.conjugate(z)),
                              ("moreau_envelope", activation.moreau_envelope(z)),
                              ("bregman_loss", bm.bregman_loss(activation, s, z)),
                              ("bregman_grad", bm.bregman_grad(activation, s, z))]:
                assert np.all(np.isfinite(val)), f"{activation!r}: {name} not finite at z = {z.tolist()}"
            x = np.roll(s, 1, axis=0)
            B = lambda x, z: bm.bregman_loss(activation, x, z)
            laws.check_remark2_inclusion(activation.prox, activation.psi, z, x)
            laws.check_lemma4_fenchel_young(activation.prox, activation.psi, activation.conjugate, z, x)
            laws.check_theorem10_item4(activation.prox, activation.psi, activation.conjugate, x, z)
            laws.check_theorem10_item6(B, activation.prox, x, z)
            laws.check_theorem10_item7(B, activation.prox, x, z)
            laws.check_corollary6(B, activation.prox, x, z)
            laws.check_theorem10_item11(lambda x, z: bm.bregman_grad(activation, x, z), x, z, np.roll(z, 2, axis=0))
            if activation.has_psi_conjugate:
                laws.check_moreau_identity(activation.prox, activation.prox_conjugate, z,
                                           psi_star=activation.psi_conjugate)
                laws.check_psi_fenchel_young(activation.prox, activation.psi, activation.psi_conjugate, z,
                                             prox_conjugate=activation.prox_conjugate)


class TestRegisteredActivations(ActivationLawSuite):
    """The suite for every registered activation (default parameters) and a few non-default ones."""

    @pytest.fixture(scope="class", params=CASES, ids=[_id(c) for c in CASES])
    def activation(self, request):
        name, params = request.param
        return get(name, **params)


# ---------------------------------------------------------------------- Example 2
EXAMPLE2 = [
    ("relu", {}, lambda x, z: bm.relu_bregman_loss(x, z)),
    ("soft_threshold", {"alpha": 1.0}, lambda x, z: bm.soft_threshold_bregman_loss(x, z, alpha=1.0)),
    ("soft_threshold", {"alpha": 0.3}, lambda x, z: bm.soft_threshold_bregman_loss(x, z, alpha=0.3)),
    ("tanh", {}, lambda x, z: bm.tanh_bregman_loss(x, z)),
    ("softmax", {}, lambda x, z: bm.softmax_bregman_loss(x, z)),
]


@pytest.mark.parametrize("name, params, form", EXAMPLE2, ids=[_id(c[:2]) for c in EXAMPLE2])
@given(data=st.data())
def test_example2_closed_forms(name, params, form, data):
    act = get(name, **params)
    suite = ActivationLawSuite()
    n, b, dtype = suite.shape(data)
    z = suite.draw_z(data, act, n, b, dtype)
    x = suite.draw_u(data, act, n, b, dtype, label="x")
    laws.check_example2_closed_form(form, act.psi, act.conjugate, x, z)


def test_example2_tanh_closed_form_at_boundary():
    """The printed domain |x| < 1 excludes |x| = 1, where B (12) with the lsc Psi is finite,
    B(1, z) = log(1 + exp(-2z)); bregnet.bregman.tanh_bregman_loss returns that value (docs/errata.md (c))."""
    act = get("tanh")
    x = np.array([[1.0], [-1.0]])
    z = np.array([[0.5], [-2.0]])
    laws.check_example2_closed_form(bm.tanh_bregman_loss, act.psi, act.conjugate, x, z)
