"""The inversion solvers on the engine: recovery, monotone energy, resume bit for bit, float32, bad inputs."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.inversion import BackpropInversion, LiftedInversion, invert
from bregnet.network import Network, glorot_init
from bregnet.solvers.engine import run


def _net(sizes, acts, seed=1):
    return glorot_init(sizes, acts, seed=seed)


@pytest.mark.parametrize("sizes,acts", [([5, 20], ["relu"]), ([5, 20, 30], ["relu", "identity"]),
                                        ([5, 20, 30], ["leaky_relu", "identity"])])
def test_lifted_recovers_a_known_input_from_noiseless_outputs(sizes, acts):
    net = _net(sizes, acts)
    u = np.random.default_rng(0).normal(size=(3, sizes[0]))
    res = invert(net, net.forward(u), epochs=2000)
    np.testing.assert_allclose(res.u, u, atol=1e-8)
    e = np.array(res.history.energy)
    assert e[-1] < 1e-20 and np.all(np.diff(e) <= 1e-12 * e[0])          # restart: never increases
    wrong = invert(net, net.forward(u + 0.1), epochs=2000).u              # another output: another input
    assert np.max(np.abs(wrong - u)) > 0.05


def test_backprop_baseline_recovers_and_is_stuck_where_its_gradient_vanishes():
    net = _net([5, 20, 30], ["leaky_relu", "identity"])
    u = np.random.default_rng(0).normal(size=(3, 5))
    np.testing.assert_allclose(invert(net, net.forward(u), method="backprop", epochs=2000).u, u, atol=1e-8)
    relu = _net([5, 20], ["relu"])                 # zero biases: at u0 = 0 every z = 0 and relu'(0) = 0
    F = relu.forward(u)
    stuck = invert(relu, F, method="backprop", epochs=50)
    assert np.all(stuck.u == 0)
    start = np.random.default_rng(5).normal(size=u.shape)
    moved = invert(relu, F, method="backprop", epochs=3000, u0=start)
    assert moved.history.objective[-1] < 1e-3 * moved.history.objective[0]


@pytest.mark.parametrize("method", ["lifted", "backprop"])
@pytest.mark.parametrize("reg", [("tv", {"image_shape": (3, 4)}), ("l1", {}), ("tikhonov", {})])
def test_resume_is_bit_exact(tmp_path, method, reg):
    net = _net([12, 16, 6], ["relu", "identity"], seed=3)
    rng = np.random.default_rng(1)
    F = net.forward(rng.normal(size=(2, 12))) + 0.01 * rng.normal(size=(2, 6))
    opts = dict(method=method, regulariser=reg[0], alpha=0.05, **reg[1])
    full = invert(net, F, epochs=12, **opts)
    ck = tmp_path / "inv.npz"
    part = invert(net, F, epochs=5, checkpoint=ck, **opts)
    assert part.history.epoch[-1] == 5
    resumed = invert(net, F, epochs=12, checkpoint=ck, resume=True, **opts)
    assert resumed.resumed_from == 5
    np.testing.assert_array_equal(resumed.u, full.u)
    for k in full.history.keys():
        if k != "wall_time":
            assert [np.asarray(v).tolist() for v in resumed.history[k]] == \
                   [np.asarray(v).tolist() for v in full.history[k]], k
    with pytest.raises(BregnetInputError, match="different options or data"):
        invert(net, F + 1.0, epochs=12, checkpoint=ck, resume=True, **opts)
    with pytest.raises(BregnetInputError, match="different options or data"):
        invert(net, F, epochs=12, checkpoint=ck, resume=True, **{**opts, "alpha": 0.06})


def test_tv_regularised_inversion_of_a_piecewise_constant_signal():
    """A 1-D step seen through an underdetermined ReLU layer: TV recovers it better than Tikhonov."""
    rng = np.random.default_rng(0)
    n = 24
    W = rng.normal(size=(n, 16)) / np.sqrt(n)
    net = Network((W,), (np.zeros(16),), ("relu",))
    u = np.where(np.arange(n) < 10, 1.0, -0.5)[None]
    F = net.forward(u)
    tv = invert(net, F, epochs=1500, regulariser="tv", alpha=1e-3, image_shape=(n,)).u
    tk = invert(net, F, epochs=1500, regulariser="tikhonov", alpha=1e-3).u
    assert np.linalg.norm(tv - u) < 0.5 * np.linalg.norm(tk - u)


def test_float32_network_gives_float32_reconstructions():
    net = _net([5, 20], ["relu"]).astype(np.float32)
    u = np.random.default_rng(0).normal(size=(2, 5)).astype(np.float32)
    for method in ("lifted", "backprop"):
        res = invert(net, net.forward(u), method=method, epochs=20, regulariser="tikhonov", alpha=1e-3)
        assert res.u.dtype == np.float32


def test_callback_and_checkpoint_conventions(tmp_path):
    net = _net([4, 8], ["identity"])
    F = net.forward(np.ones((1, 4)))
    seen = []
    res = invert(net, F, epochs=10, callback=lambda e, n, row: seen.append(e) or e == 3)
    assert seen == [0, 1, 2, 3] and res.result.stopped_early


def test_bad_inputs_are_named():
    net = _net([4, 6], ["relu"])
    F = net.forward(np.ones((2, 4)))
    with pytest.raises(BregnetInputError, match="the output F has 1 row"):
        invert(net, F - np.array([[0, 0, 0, 0, 0, 10.0], [0, 0, 0, 0, 0, 0]]), epochs=1)
    with pytest.raises(BregnetInputError, match="F must have shape"):
        invert(net, np.ones((2, 5)), epochs=1)
    with pytest.raises(BregnetInputError, match="u0 must have shape"):
        invert(net, F, u0=np.ones((2, 3)), epochs=1)
    with pytest.raises(BregnetInputError, match="u0 and F"):
        invert(net, F, u0=np.ones((3, 4)), epochs=1)
    with pytest.raises(BregnetInputError, match="F contains NaN"):
        invert(net, np.full((1, 6), np.nan), epochs=1)
    with pytest.raises(BregnetInputError, match="needs image_shape"):
        LiftedInversion(regulariser="tv", alpha=0.1)
    with pytest.raises(BregnetInputError, match="image_shape .* pixels"):
        invert(net, F, regulariser="tv", alpha=0.1, image_shape=(3, 3), epochs=1)
    with pytest.raises(BregnetInputError, match="alpha must be"):
        LiftedInversion(regulariser="l1", alpha=-1)
    with pytest.raises(BregnetInputError, match="needs a regulariser"):
        BackpropInversion(alpha=0.1)
    with pytest.raises(BregnetInputError, match="step_scale must be"):
        LiftedInversion(step_scale=2.0)
    with pytest.raises(BregnetInputError, match="method must be"):
        invert(net, F, method="adam")
    with pytest.raises(BregnetInputError, match="unknown option"):
        invert(net, F, lr=0.1)
    with pytest.raises(BregnetInputError, match="l1 does not apply"):
        invert(net, F, l1=(1, 0.1))
    with pytest.raises(BregnetInputError, match="keeps no hidden"):
        run(BackpropInversion(), _net([4, 6, 2], ["relu", "identity"]), np.ones((1, 4)), np.ones((1, 2)),
            hidden=[np.ones((1, 6))], epochs=1)
    with pytest.raises(BregnetInputError, match="network must be"):
        invert("net.npz", F)


def test_checkpoints_hold_the_variables_not_the_weights(tmp_path):
    net = _net([12, 16, 6], ["relu", "identity"], seed=3)
    F = net.forward(np.ones((1, 12)))
    invert(net, F, epochs=2, checkpoint=tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as z:
        assert not any("weights" in k for k in z.files) and any(k.endswith("/u") for k in z.files)
    direct = run(LiftedInversion(), net, np.zeros((1, 12)), F, epochs=2)       # no target_network: kept in state
    np.testing.assert_array_equal(direct.state["u"], invert(net, F, epochs=2).u)
    other = _net([12, 16, 6], ["relu", "identity"], seed=4)
    with pytest.raises(BregnetInputError, match="not the solver's target_network"):
        run(LiftedInversion(target_network=other), net, np.zeros((1, 12)), F, epochs=1)
