"""The readings of the printed Algorithm 1 (bregnet/solvers/readings.py) and LBNS's options for them (issue 17)."""
from __future__ import annotations

import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem, forward_hidden, lifted_energy
from bregnet.solvers.engine import run
from bregnet.solvers.implicit_stochastic import LBNS
from bregnet.solvers.lipschitz import spectral_norm_sq
from bregnet.solvers.readings import AlgorithmReading, reading_sweeps
from bregnet.solvers.sweep import backward_sweeps, warm_start_vectors
from bregnet.testing import toy_problem


@pytest.fixture
def toy():
    net, X, Y = toy_problem([4, 6, 5, 3], ["relu", "relu", "identity"], n_samples=12, seed=3)
    return LiftedProblem.from_network(net), net, X, Y


def _sweeps(toy, reading, n=3, **kw):
    prob, net, X, Y = toy
    return reading_sweeps(prob, net, X, Y, n_sweeps=n, prox_weight=kw.pop("rho", 1.0), step_scale=1.5,
                          reading=reading, **kw)


def test_corrected_reading_is_algorithm_1(toy):
    prob, net, X, Y = toy
    a, ha = _sweeps(toy, AlgorithmReading(), n=4)
    b, hb = backward_sweeps(prob, net, X, Y, n_sweeps=4, prox_weight=1.0, step_scale=1.5, warm=warm_start_vectors(net))
    for u, v in zip(a.weights + a.biases + tuple(ha), b.weights + b.biases + tuple(hb)):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-9)    # the power iterations' tolerance apart


def test_printed_step_rules_are_the_printed_formulas(toy):
    """eta_l = c/(||X_l||^2 + rho/2) and t = c/(|B| ||W_{l}||^2) (mean); /|B| on ||X_l||^2 and no |B| in t (sum)."""
    prob, net, X, Y = toy
    xs, B, c, rho = [X, *forward_hidden(net, X), Y], X.shape[0], 1.5, 4.0
    nY, nW = spectral_norm_sq(Y), spectral_norm_sq(net.weights[2])
    mean, total = AlgorithmReading("printed-mean"), AlgorithmReading("printed-sum")
    assert mean.theta_step(prob, 3, xs, B, c, rho, 1e-12, 500) == pytest.approx(c / (nY + rho / 2), rel=1e-9)
    assert total.theta_step(prob, 3, xs, B, c, rho, 1e-12, 500) == pytest.approx(c / (nY / B + rho / 2), rel=1e-9)
    assert mean.x_step(prob, 2, net.weights[2], B, c, 1e-12, 500) == pytest.approx(c / (B * nW), rel=1e-9)
    assert total.x_step(prob, 2, net.weights[2], B, c, 1e-12, 500) == pytest.approx(c / nW, rel=1e-9)
    # and they change the iterates
    assert not np.allclose(_sweeps(toy, mean)[0].weights[0], _sweeps(toy, AlgorithmReading())[0].weights[0])


def test_x_anchor_matters_only_once_theta_j_has_moved(toy):
    """In the first sweep x_j is stepped before Theta_j moves, so both anchors agree; from the second on they differ."""
    cur, anc = AlgorithmReading(), AlgorithmReading(x_anchor="batch_start")
    a1, b1 = _sweeps(toy, cur, n=1), _sweeps(toy, anc, n=1)
    np.testing.assert_array_equal(a1[0].weights[0], b1[0].weights[0])
    a3, b3 = _sweeps(toy, cur, n=3), _sweeps(toy, anc, n=3)
    assert not np.allclose(a3[1][0], b3[1][0])


def test_layerwise_loops(toy):
    """One sweep is the same in both loop orders; with N = 3 the layerwise order iterates each pair three times."""
    a1, b1 = _sweeps(toy, AlgorithmReading(), n=1), _sweeps(toy, AlgorithmReading(loops="layerwise"), n=1)
    np.testing.assert_array_equal(a1[0].weights[1], b1[0].weights[1])
    a3, b3 = _sweeps(toy, AlgorithmReading(), n=3), _sweeps(toy, AlgorithmReading(loops="layerwise"), n=3)
    assert not np.allclose(a3[0].weights[1], b3[0].weights[1])


def test_corrected_reading_decreases_the_batch_objective(toy):
    """Every corrected block step is a descent step of (24) (the printed rules carry no such guarantee)."""
    prob, net, X, Y = toy
    e0 = lifted_energy(prob, net, [X, *forward_hidden(net, X), Y])
    new, hidden = _sweeps(toy, AlgorithmReading(), n=5, rho=0.0)
    assert lifted_energy(prob, new, [X, *hidden, Y]) < e0


def test_bad_readings_are_refused():
    with pytest.raises(BregnetInputError, match="step_rule"):
        AlgorithmReading(step_rule="printed")
    with pytest.raises(BregnetInputError, match="loops"):
        LBNS(loops="nested")
    with pytest.raises(BregnetInputError, match="use_kernel=True"):
        LBNS(step_rule="printed-sum", use_kernel=True)


def test_late_fields_keep_old_fingerprints():
    """The readings' fields at their defaults are not part of params(): checkpoints written before they existed
    still resume.  A non-default reading is part of it."""
    assert set(LBNS().params()) == {"batch_size", "n_inner", "prox_weight", "step_scale", "shuffle", "use_kernel",
                                    "warm_start"}
    assert LBNS(x_anchor="batch_start").params()["x_anchor"] == "batch_start"


def test_prox_anchor_epoch(toy):
    """With one batch per epoch the two anchors are the same point; with several they differ."""
    _, net, X, Y = toy
    kw = dict(n_inner=3, shuffle=False, step_rule="corrected")
    one = [run(LBNS(batch_size=12, prox_anchor=a, **kw), net, X, Y, epochs=2, seed=0).network for a in ("batch", "epoch")]
    np.testing.assert_allclose(one[0].weights[0], one[1].weights[0], rtol=1e-5, atol=1e-9)
    many = [run(LBNS(batch_size=4, prox_anchor=a, **kw), net, X, Y, epochs=2, seed=0).network for a in ("batch", "epoch")]
    assert not np.allclose(many[0].weights[0], many[1].weights[0])


def test_aux_accuracy(toy):
    """aux_train_accuracy is the arg-max agreement of sigma_L(f(x_{L-1}, Theta_L)) at the batch's final x_{L-1}."""
    prob, net, X, Y = toy
    res = run(LBNS(batch_size=12, n_inner=4, shuffle=False, aux_accuracy=True), net, X, Y, epochs=1, seed=0)
    new, hidden = reading_sweeps(prob, net, X, Y, n_sweeps=4, prox_weight=1.0, step_scale=1.99,
                                 reading=AlgorithmReading())
    pred = hidden[-1] @ new.weights[-1] + new.biases[-1]
    expected = float(np.mean(np.argmax(pred, axis=1) == np.argmax(Y, axis=1)))
    assert res.history.aux_train_accuracy[-1] == pytest.approx(expected)
    assert res.history.aux_train_accuracy[0] is None                       # nothing trained at epoch 0
    assert "aux_train_accuracy" not in run(LBNS(batch_size=12, n_inner=2), net, X, Y, epochs=1, seed=0).history.rows[-1]


def test_reading_run_resumes_bit_exactly(toy, tmp_path):
    _, net, X, Y = toy
    solver = LBNS(batch_size=4, n_inner=2, step_rule="printed-sum", x_anchor="batch_start", prox_anchor="epoch",
                  aux_accuracy=True)
    full = run(solver, net, X, Y, epochs=4, seed=1).network
    ck = tmp_path / "ck.npz"
    run(solver, net, X, Y, epochs=2, seed=1, checkpoint=ck)
    resumed = run(solver, net, X, Y, epochs=4, seed=1, checkpoint=ck, resume=True).network
    for a, b in zip(full.weights + full.biases, resumed.weights + resumed.biases):
        np.testing.assert_array_equal(a, b)


def test_printed_steps_diverge_with_a_message():
    """Section 6.1's printed rules do not bound the Lipschitz constants: on a random problem scaled up they blow up,
    and the engine stops the run with a DivergenceError (not an arithmetic error of the step rule)."""
    from bregnet.exceptions import DivergenceError
    net, X, Y = toy_problem([20, 16, 16, 4], ["relu", "relu", "identity"], n_samples=40, seed=2)
    with pytest.raises(DivergenceError):
        run(LBNS(batch_size=20, n_inner=5, step_rule="printed-sum", prox_weight=0.0), net, X, 0.01 * Y,
            epochs=5, seed=0)


def test_aux_sparsity_counts_the_code_layers_final_auxiliary_zeros():
    """aux_train_sparsity is the share of zeros of X_c (the regulariser's layer) after the batch's sweeps, and the
    training itself is bregnet's Algorithm 1 (the forward-pass sparsity is another reading)."""
    net, X, Y = toy_problem([6, 8, 8, 6], ["relu", "soft_threshold", "identity"], n_samples=12, seed=4)
    prob = LiftedProblem.from_network(net, l1=(2, 0.3))
    res = run(LBNS(batch_size=12, n_inner=4, shuffle=False, aux_sparsity=True), net, X, Y, epochs=1, seed=0,
              l1=(2, 0.3))
    new, hidden = reading_sweeps(prob, net, X, Y, n_sweeps=4, prox_weight=1.0, step_scale=1.99,
                                 reading=AlgorithmReading())
    expected = float(np.mean(hidden[1] == 0))
    assert 0 < expected < 1                                                # the check can tell a wrong layer
    assert res.history.aux_train_sparsity[-1] == pytest.approx(expected)
    assert res.history.aux_train_sparsity[-1] != pytest.approx(float(np.mean(hidden[0] == 0)))
    assert res.history.aux_train_sparsity[0] is None
    plain = run(LBNS(batch_size=12, n_inner=4, shuffle=False), net, X, Y, epochs=1, seed=0, l1=(2, 0.3)).network
    np.testing.assert_allclose(res.network.weights[1], plain.weights[1], rtol=1e-5, atol=1e-9)
    with pytest.raises(BregnetInputError, match="aux_sparsity"):
        run(LBNS(aux_sparsity=True), net, X, Y, epochs=1, seed=0)          # no regulariser: nothing to count


def test_sweep_tol_stops_when_a_sweep_changes_little(toy):
    """sweep_tol: the sweeps stop after the first whose relative parameter change is below it; 0 keeps N; the
    truncated run equals the fixed-N run with that many sweeps."""
    from bregnet.solvers.sweep import sweep_change
    prob, net, X, Y = toy
    changes = []

    def record(n, Ws, bs, hidden, prev=[(list(net.weights), list(net.biases))]):
        changes.append(sweep_change(prev[0], (list(Ws), list(bs))))
        prev[0] = (list(Ws), list(bs))

    backward_sweeps(prob, net, X, Y, n_sweeps=12, prox_weight=1.0, step_scale=1.5, warm=warm_start_vectors(net),
                    callback=record)
    tol = 0.5 * (changes[2] + changes[3]) if changes[3] < changes[2] else None
    assert tol is not None and all(c >= tol for c in changes[:3])    # sweep 4 is the first below tol
    stats = {}
    early, _ = backward_sweeps(prob, net, X, Y, n_sweeps=12, prox_weight=1.0, step_scale=1.5,
                               warm=warm_start_vectors(net), sweep_tol=tol, stats=stats)
    assert stats["sweeps"] == 4
    four, _ = backward_sweeps(prob, net, X, Y, n_sweeps=4, prox_weight=1.0, step_scale=1.5, warm=warm_start_vectors(net))
    for a, b in zip(early.weights, four.weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-9)
    res = run(LBNS(batch_size=12, n_inner=12, step_scale=1.5, shuffle=False, sweep_tol=tol), net, X, Y, epochs=1, seed=0)
    assert res.history.mean_sweeps[-1] == 4
    with pytest.raises(BregnetInputError, match="sweep_tol"):
        run(LBNS(sweep_tol=0.1, use_kernel=True), net, X, Y, epochs=1)
    with pytest.raises(BregnetInputError, match="sweep_tol"):
        run(LBNS(sweep_tol=-1.0), net, X, Y, epochs=1)
