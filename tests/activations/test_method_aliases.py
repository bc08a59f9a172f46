r"""The clear names and their older aliases: ``phi_star`` is ``conjugate`` (:math:`\Phi^*`), ``prox_psi_star``
is ``prox_conjugate`` (:math:`\operatorname{prox}_{t\Psi^*}`), for every registered activation and for a
subclass that overrides either name.
"""
import numpy as np
import pytest

from bregnet.activations import get, names
from bregnet.activations.base import METHOD_ALIASES
from bregnet.activations.rectifiers import ReLU

Z = np.random.default_rng(0).normal(size=(3, 4)) * 2.0


@pytest.mark.parametrize("name", names())
def test_aliases_agree(name):
    act = get(name)
    np.testing.assert_array_equal(act.phi_star(Z), act.conjugate(Z))
    for step in (1.0, 0.5):
        np.testing.assert_array_equal(act.prox_psi_star(Z, step), act.prox_conjugate(Z, step))


@pytest.mark.parametrize("new, old", METHOD_ALIASES)
def test_a_subclass_overriding_either_name_is_honoured_by_both(new, old):
    def marked(self, z, step=1.0):
        return np.full(np.shape(z)[:-1], 7.0)

    for defined in (new, old):
        sub = type("Sub", (ReLU,), {defined: marked})
        act = sub()
        assert getattr(act, new)(Z).tolist() == getattr(act, old)(Z).tolist() == [7.0] * 3


def test_prox_psi_star_is_the_prox_of_psi_star_not_of_phi_star():
    # ReLU: Psi* is the indicator of (-inf, 0], so its prox is the projection onto it
    np.testing.assert_array_equal(get("relu").prox_psi_star(Z), np.minimum(Z, 0))
