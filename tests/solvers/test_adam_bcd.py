"""AdamBCD (issue 15): Adam-preconditioned block steps of the lifted sweep, against a reference written out here."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem, forward_hidden
from bregnet.operators import operator_network
from bregnet.solvers.adam_bcd import AdamBCD
from bregnet.solvers.engine import make_task, run
from bregnet.testing import toy_problem
from bregnet.testing.reference_trajectories import reference_problem
from bregnet.training import SOLVERS


def _reference_adam_bcd(net, X, Y, sweeps, lr, b1=0.9, b2=0.999, eps=1e-8):
    """The iterates written out for relu, relu, identity and lambda = 1 (Lemma 8 gradients, Adam by hand)."""
    W, b = [w.copy() for w in net.weights], [c.copy() for c in net.biases]
    h = [x.copy() for x in forward_hidden(net, X)]
    s = X.shape[0]
    mom = {}
    out = []

    def adam(key, g, t):
        m, v = mom.get(key, (0.0 * g, 0.0 * g))
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        mom[key] = (m, v)
        return m / (1 - b1 ** t), v / (1 - b2 ** t)

    for t in range(1, sweeps + 1):
        xs = [X, *h, Y]
        newW, newb = [], []
        for l in range(3):                                   # Theta block: D = sigma(Z) - X_l, relu/relu/identity
            Z = xs[l] @ W[l] + b[l]
            D = (np.maximum(Z, 0) if l < 2 else Z) - xs[l + 1]
            for key, p, g in ((("W", l), W[l], xs[l].T @ D / s), (("b", l), b[l], D.sum(0) / s)):
                mh, vh = adam(key, g, t)
                (newW if key[0] == "W" else newb).append(p - lr * mh / (np.sqrt(vh) + eps))
        W, b = newW, newb
        for j in (1, 2):                                     # x_1, x_2 in turn: prox of (1/s) Phi_relu
            Zj, Zn = xs[j - 1] @ W[j - 1] + b[j - 1], xs[j] @ W[j] + b[j]
            Dn = (np.maximum(Zn, 0) if j == 1 else Zn) - xs[j + 1]
            g = (Dn @ W[j].T - Zj) / s
            mh, vh = adam(("x", j), g, t)
            tau = lr / (np.sqrt(np.mean(vh)) + eps)
            V, tt = xs[j] - tau * mh, tau / s
            xs[j] = np.maximum(V / (1 + tt), 0)             # argmin 1/2|x - V|^2 + tt(|x|^2/2 + chi_{>=0})
        h = xs[1:3]
        out.append(([w.copy() for w in W], [c.copy() for c in b], [x.copy() for x in h]))
    return out


def test_trajectory_equals_the_reference_written_out():
    net, X, Y = reference_problem()
    solver = AdamBCD(lr=0.05)
    task = make_task(net, X, Y, LiftedProblem.from_network(net))
    state = solver.init(task, net, None, None)
    ref = _reference_adam_bcd(net, X, Y, 6, 0.05)
    for W, b, h in ref:
        state = solver.update(task, state, None)
        for got, want in zip(list(state["weights"]) + list(state["biases"]) + list(state["hidden"]), W + b + h):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert state["t"] == 6


def test_energy_decreases():
    net, X, Y = toy_problem([4, 8, 6, 3], ["relu", "tanh", "identity"], n_samples=40)
    e = np.array(run(AdamBCD(lr=0.01), net, X, Y, epochs=60).history.energy)
    assert e[-1] < 0.5 * e[0] and np.mean(np.diff(e) < 0) > 0.9


@pytest.mark.parametrize("penalty", ["bregman", "mac"])
def test_conv_nets_and_penalties(penalty):
    rng = np.random.default_rng(0)
    net = operator_network("conv3x3x3s2p1,flatten,dense2", ["relu", "identity"], input_shape="6x6x1", seed=0)
    X, Y = rng.normal(size=(30, 36)), rng.normal(size=(30, 2))
    e = run(AdamBCD(lr=0.01), net, X, Y, epochs=25, penalty=penalty).history.energy
    assert e[-1] < 0.8 * e[0]


def test_resume_is_exact_and_it_is_registered(tmp_path):
    net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=20)
    full = run(AdamBCD(), net, X, Y, epochs=6)
    ck = tmp_path / "ck.npz"
    run(AdamBCD(), net, X, Y, epochs=3, checkpoint=ck)
    again = run(AdamBCD(), net, X, Y, epochs=6, checkpoint=ck, resume=True)
    assert full.history.energy == again.history.energy
    assert all(np.array_equal(a, c) for a, c in zip(full.network.weights, again.network.weights))
    assert SOLVERS["adam-bcd"].solver is AdamBCD
    with pytest.raises(BregnetInputError, match="lr"):
        AdamBCD(lr=0.0)
