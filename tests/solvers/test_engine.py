"""The training engine (issue 11): parameter constraints, state checkpoints, run's bookkeeping, divergence."""
from dataclasses import dataclass

import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError, DivergenceError
from bregnet.network import glorot_init
from bregnet.solvers import LBNS, ProximalGradient
from bregnet.solvers.checkpoint import decode_state, encode_state, load_checkpoint
from bregnet.solvers.engine import DivergenceRule, History, Solver, params_state, run
from bregnet.solvers.params import BOOLEAN, Hyperparameters, Interval, OneOf, PositiveOrSequence, check_value


def _data(seed=0):
    rng = np.random.default_rng(seed)
    net = glorot_init([3, 5, 2], ["relu", "identity"], seed=seed)
    return net, rng.normal(size=(20, 3)), rng.normal(size=(20, 2))


# ------------------------------------------------------------------------------------- constraints
@pytest.mark.parametrize("constraint,good,bad", [
    (Interval(0, 2, closed="neither"), [1e-9, 1.99], [0, 2, -1, np.nan, np.inf, "1", True, None]),
    (Interval(1, None, integer=True), [1, 7.0, np.int64(3)], [0, 1.5, True]),
    (Interval(0, 1, closed="left"), [0, 0.999], [1, -1e-12]),
    (OneOf(("power", "exact")), ["power"], ["Power", None, 1]),
    (BOOLEAN, [True, np.bool_(False)], [1, "yes", None]),
    (PositiveOrSequence(), [1, [1, 2]], [0, [], [1, -1], "a"]),
])
def test_constraints_accept_and_reject(constraint, good, bad):
    for v in good:
        check_value("demo", "x", v, constraint)
    for v in bad:
        with pytest.raises(BregnetInputError, match="demo: x must be"):
            check_value("demo", "x", v, constraint)


def test_hyperparameters_are_normalised_and_need_a_constraint_per_field():
    assert LBNS(n_inner=3.0).n_inner == 3 and isinstance(LBNS(n_inner=3.0).n_inner, int)
    assert ProximalGradient().step_scale == 1.99 and ProximalGradient(acceleration="nesterov").step_scale == 1.0

    @dataclass(frozen=True)
    class Careless(Hyperparameters):
        forgotten: int = 1
    with pytest.raises(TypeError, match="no declared constraint"):
        Careless()


# ------------------------------------------------------------------------------------- checkpoint codec
def test_state_codec_is_exact():
    rng = np.random.default_rng(0)
    state = {"weights": (rng.normal(size=(2, 3)).astype(np.float32),), "tk": 0.1 + 0.2, "n": 7, "flag": True,
             "name": "x", "none": None, "nested": {"vx": [rng.normal(size=4), np.zeros(0)]}}
    arrays, spec = encode_state(state)
    back = decode_state(arrays, spec)
    assert back["tk"] == 0.1 + 0.2 and back["n"] == 7 and back["flag"] is True and back["none"] is None
    assert back["weights"][0].dtype == np.float32 and np.array_equal(back["weights"][0], state["weights"][0])
    assert isinstance(back["weights"], tuple) and isinstance(back["nested"]["vx"], list)
    with pytest.raises(TypeError, match="cannot hold"):
        encode_state({"f": lambda: 0})


# ------------------------------------------------------------------------------------- run
def test_resume_checks_solver_options_and_format(tmp_path):
    net, X, Y = _data()
    ck = tmp_path / "run.npz"
    run(ProximalGradient(), net, X, Y, epochs=2, checkpoint=ck)
    with pytest.raises(BregnetInputError, match="different options or data"):
        run(ProximalGradient(step_scale=1.5), net, X, Y, epochs=3, checkpoint=ck, resume=True)
    with pytest.raises(BregnetInputError, match="different options or data"):
        run(ProximalGradient(), net, X + 1, Y, epochs=3, checkpoint=ck, resume=True)
    other_net = glorot_init([3, 5, 2], ["relu", "identity"], seed=9)
    with pytest.raises(BregnetInputError, match="initial_network"):        # another starting point
        run(ProximalGradient(), other_net, X, Y, epochs=3, checkpoint=ck, resume=True)
    with pytest.raises(BregnetInputError, match="was written by 'proximal_gradient'"):
        run(LBNS(), net, X, Y, epochs=3, checkpoint=ck, resume=True)
    old = tmp_path / "old.npz"                            # a checkpoint of the layout before the engine
    np.savez(old, meta=np.array('{"solver": "proximal_gradient", "epoch": 1}'))
    with pytest.raises(BregnetInputError, match="not a checkpoint of this bregnet version"):
        run(ProximalGradient(), net, X, Y, epochs=3, checkpoint=old, resume=True)
    epoch, state, hist, rng_state = load_checkpoint(ck, solver="proximal_gradient",
                                                    fingerprint=_fingerprint_of(ck))
    assert epoch == 2 and set(state) >= {"weights", "biases", "hidden", "prev", "tk"}
    assert not list(tmp_path.glob(".tmp*"))


def _fingerprint_of(path):
    import json
    with np.load(path) as z:
        return json.loads(str(z["meta"]))["fingerprint"]


def test_callback_stop_evaluate_record_end_and_state_continuation():
    net, X, Y = _data(1)
    rows = []
    res = run(ProximalGradient(), net, X, Y, epochs=10, evaluate=lambda n: {"w_norm": float(np.sum(n.weights[0] ** 2))},
              callback=lambda e, n, row: rows.append(row) or e == 4)
    assert res.stopped_early and res.history.epoch == [0, 1, 2, 3, 4] and "w_norm" in rows[-1]
    full = run(ProximalGradient(), net, X, Y, epochs=6)
    cont = run(ProximalGradient(), net, X, Y, epochs=2, state=res.state)       # 4 + 2 epochs
    assert np.array_equal(cont.network.weights[0], full.network.weights[0])
    ends = run(ProximalGradient(), net, X, Y, epochs=6, record="end").history.epoch
    assert ends == [0, 6]
    with pytest.raises(BregnetInputError, match="record must be"):
        run(ProximalGradient(), net, X, Y, record="none")
    with pytest.raises(BregnetInputError, match="solver must be a bregnet Solver"):
        run("lbn-s", net, X, Y)


@dataclass(frozen=True)
class _Doubling(Solver):
    """A toy solver whose parameters double every epoch (to exercise the divergence rules)."""

    factor: float = 2.0
    name = "doubling"
    objective = "size"
    constraints = {"factor": Interval(0, None)}

    def init(self, task, network, hidden, rng):
        return params_state(network)

    def update(self, task, state, rng):
        return {k: tuple(self.factor * a for a in v) for k, v in state.items()}

    def diagnostics(self, task, state):
        return {"size": float(sum(np.sum(W * W) for W in state["weights"]))}


def test_divergence_growth_rule_and_non_finite_state():
    net, X, Y = _data(2)
    res = run(_Doubling(), net, X, Y, epochs=12)                          # off by default
    assert len(res.history) == 13
    with pytest.raises(DivergenceError, match="grew from") as exc:
        run(_Doubling(), net, X, Y, epochs=30, divergence=DivergenceRule(growth=1e3))
    assert exc.value.history.epoch[-1] == 4                              # 4**5 > 1e3 * size_0: the epochs before
    with pytest.raises(DivergenceError, match="became non-finite"):
        run(_Doubling(factor=1e200), net, X, Y, epochs=5)


def test_progress_bar_goes_to_stderr(capsys):
    net, X, Y = _data(3)
    run(ProximalGradient(), net, X, Y, epochs=3, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "proximal_gradient" in err


def test_history_json_round_trip():
    h = History("demo", options={"a": 1})
    h.record(0, 0.0, {"energy": 1.0, "residuals": np.array([0.5, 0.25])})
    h.record(1, 0.1, {"energy": 0.5, "extra": 3})
    back = History.from_state(h.to_state())
    assert back.energy == [1.0, 0.5] and back.extra == [None, 3] and np.array_equal(back.residuals[0], [0.5, 0.25])
    with pytest.raises(AttributeError, match="no column"):
        back.nothing
    rows = History.from_json(h.to_json())                    # the rows as JSON text (arrays as lists)
    assert rows.residuals[0] == [0.5, 0.25] and rows.last == {"epoch": 1, "wall_time": 0.1, "energy": 0.5,
                                                               "residuals": None, "extra": 3}


@pytest.mark.parametrize("acts,l1", [(["relu", "relu", "identity"], None), (["tanh", "soft_threshold", "identity"],
                                                                              (2, 0.1)),
                                     (["relu", "relu", "softmax"], None)])
def test_forward_pass_diagnostics_equal_the_term_by_term_ones(acts, l1):
    """lifted_diagnostics(hidden=None) from one forward pass gives exactly the numbers of evaluating energy,
    residuals and forward loss separately at the forward-pass auxiliary variables."""
    from bregnet.lifted import (LiftedProblem, consistency_residuals, forward_hidden, forward_loss,
                                lifted_energy)
    from bregnet.solvers._common import lifted_diagnostics
    from bregnet.solvers.engine import make_task
    rng = np.random.default_rng(4)
    net = glorot_init([5, 6, 4, 3], acts, seed=2)
    X = rng.normal(size=(30, 5))
    Y = net.forward(rng.normal(size=(30, 5))) if acts[-1] == "softmax" else rng.normal(size=(30, 3))
    prob = LiftedProblem.from_network(net, l1=l1)
    task = make_task(net, X, Y, prob)
    fast = lifted_diagnostics(task, net, None)
    xs = [task.X, *forward_hidden(net, task.X), task.Y]
    assert fast["energy"] == lifted_energy(prob, net, xs)
    assert fast["forward_loss"] == forward_loss(prob, net, task.X, task.Y)
    assert np.array_equal(fast["residuals"], consistency_residuals(net, xs))
