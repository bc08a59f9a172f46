"""bregnet.testing reference trajectories: the committed file regenerates exactly; divergences are located."""
import numpy as np
import pytest

from bregnet.lifted import LiftedProblem
from bregnet.testing import compare_trajectory, load_reference, reference_problem
from bregnet.testing.reference_trajectories import generate_reference_trajectories


def _arrays(its):
    return [{k: np.array(v) for k, v in it.items()} for it in its]


def test_regenerated_data_equal_committed_file():
    fresh = generate_reference_trajectories()
    ref = load_reference()
    assert fresh["version"] == ref["version"] == 1
    assert fresh["problem"] == ref["problem"]
    for name, t in fresh["trajectories"].items():
        assert t["options"] == ref["trajectories"][name]["options"]
        r = compare_trajectory(name, _arrays(t["iterates"]), rtol=1e-10, atol=1e-13)
        assert r.ok, str(r)
        assert len(t["iterates"]) >= 4


@pytest.mark.parametrize("name,k,var", [("algorithm1", 3, "X1"), ("proximal_gradient", 2, "W2"),
                                        ("admm_theta", 4, "M"), ("admm_x", 1, "V"), ("admm_sweep", 2, "X1")])
def test_perturbed_trajectory_reported_at_the_right_iteration(name, k, var):
    its = _arrays(load_reference()["trajectories"][name]["iterates"])
    its[k][var] = its[k][var] + 1e-4
    r = compare_trajectory(name, its)
    assert (r.ok, r.iteration, r.variable) == (False, k, var)
    assert r.max_abs_diff == pytest.approx(1e-4, rel=1e-6)
    assert "iteration" in str(r)


def test_lengths_missing_variables_and_other_frameworks():
    ref = load_reference()
    its = _arrays(ref["trajectories"]["algorithm1"]["iterates"])
    r = compare_trajectory("algorithm1", its[:-1])
    assert (r.ok, r.variable) == (False, "<length>")
    only_w = [{"W1": it["W1"]} for it in its]                       # a subset of variables is compared
    assert compare_trajectory("algorithm1", only_w).ok
    with pytest.raises(KeyError):
        compare_trajectory("sgd", its)
    # the problem in the file is the one reference_problem() builds (another framework reads it from the file)
    net, X, Y = reference_problem()
    np.testing.assert_array_equal(np.array(ref["problem"]["X"]), X)
    np.testing.assert_array_equal(np.array(ref["problem"]["W0"][0]), net.weights[0])


def test_numba_kernel_matches_algorithm1_reference():
    """The fused kernel's batch step lands on the reference's last Algorithm 1 iterate."""
    from bregnet.solvers.implicit_stochastic import lbn_batch_kernel
    net, X, Y = reference_problem()
    prob = LiftedProblem.from_network(net)
    new, hidden = lbn_batch_kernel(prob, net, X, Y, n_inner=5, prox_weight=1.0, step_scale=1.99, tol=1e-15,
                                   max_iter=20000)
    ref = load_reference()["trajectories"]["algorithm1"]["iterates"]
    its = [dict() for _ in ref]
    its[-1] = {**{f"W{l}": W for l, W in enumerate(new.weights, 1)}, **{f"b{l}": b for l, b in enumerate(new.biases, 1)},
               **{f"X{j}": h for j, h in enumerate(hidden, 1)}}
    its[:-1] = [{k: np.array(v) for k, v in it.items()} for it in ref[:-1]]
    r = compare_trajectory("algorithm1", its, rtol=1e-8, atol=1e-10)
    assert r.ok, str(r)
