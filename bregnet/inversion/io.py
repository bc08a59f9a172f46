r"""Reading and writing trained networks for ``bregnet invert``: :func:`load_network`, :func:`save_network`.

``bregnet train`` keeps its network in the engine checkpoint ``OUT/checkpoint/training-state.npz`` (the solver's
state holds ``weights`` and ``biases``; the checkpoint's fingerprint records the activations by their ``repr``,
e.g. ``soft_threshold(alpha=0.09)``).  :func:`load_network` reads

* such a checkpoint, or the ``--out`` directory of a ``bregnet train`` run holding one;
* a network file of :func:`save_network`: an ``.npz`` with arrays ``W1..WL``, ``b1..bL`` and ``network``, a JSON
  text ``{"format": "bregnet-network", "version": 1, "activations": [{"name": ..., "params": {...}}, ...]}``.

Examples
--------
>>> import os, tempfile
>>> from bregnet.network import glorot_init
>>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> save_network(net, path)
>>> back = load_network(path)
>>> back.layer_sizes, [repr(a) for a in back.activations]
((3, 4, 2), ['relu()', 'identity()'])
"""
from __future__ import annotations

import ast
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from .._atomic import atomic_savez
from ..activations import get as get_activation
from ..exceptions import BregnetInputError
from ..network import Network

__all__ = ["save_network", "load_network", "parse_activation", "NETWORK_FORMAT"]

#: the ``format`` field of a network file
NETWORK_FORMAT = "bregnet-network"
#: the checkpoint ``bregnet train`` writes inside ``OUT/checkpoint/``
TRAIN_CHECKPOINT = "training-state.npz"


def save_network(network: Network, path) -> None:
    """Write ``network`` to ``path`` (an ``.npz`` network file, atomically; see the module docstring)."""
    if not isinstance(network, Network):
        raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
    if getattr(network, "layers", None) is not None:
        raise BregnetInputError("save_network writes dense networks; this one has operator layers (convolutions)")
    spec = {"format": NETWORK_FORMAT, "version": 1,
            "activations": [{"name": a.name, "params": _plain(a.params())} for a in network.activations]}
    arrays = {f"W{l}": W for l, W in enumerate(network.weights, start=1)}
    arrays.update({f"b{l}": b for l, b in enumerate(network.biases, start=1)})
    arrays["network"] = np.array(json.dumps(spec))
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    atomic_savez(os.fspath(path), arrays)


def _plain(params: dict) -> dict:
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in params.items()}


def parse_activation(text: str):
    """The activation of its ``repr`` (``"soft_threshold(alpha=0.09)"``, ``"relu()"``), keyword literals only.

    >>> parse_activation("soft_threshold(alpha=0.09)").prox(np.array([[1.0]])).tolist()
    [[0.91]]
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args):
            raise ValueError("not name(key=value, ...)")
        params = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
        return get_activation(node.func.id, **params)
    except (SyntaxError, ValueError, TypeError, KeyError) as exc:
        raise BregnetInputError(f"cannot rebuild the activation {text!r} ({exc})") from None


def _from_checkpoint(path: str, z) -> Network:
    from ..solvers.checkpoint import check_meta, decode_state
    meta = check_meta(json.loads(str(z["meta"])), path)
    state = decode_state(z, meta["state"])
    if not isinstance(state, dict) or "weights" not in state or "biases" not in state:
        raise BregnetInputError(f"network: checkpoint {path!r} holds no network (no weights and biases in its state)")
    try:
        acts = meta["fingerprint"]["initial_network"]["activations"]
    except (KeyError, TypeError):
        raise BregnetInputError(f"network: checkpoint {path!r} does not record the activations") from None
    if any(np.ndim(W) != 2 for W in state["weights"]):
        raise BregnetInputError(f"network: checkpoint {path!r} holds operator layers (convolution kernels), which "
                                f"it does not describe; bregnet invert reads dense networks from checkpoints")
    return Network(tuple(state["weights"]), tuple(state["biases"]), tuple(parse_activation(a) for a in acts))


def _from_file(path: str, z) -> Network:
    try:
        spec = json.loads(str(z["network"]))
        if spec.get("format") != NETWORK_FORMAT:
            raise ValueError(f"format {spec.get('format')!r}")
        acts = tuple(get_activation(a["name"], **a.get("params", {})) for a in spec["activations"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BregnetInputError(f"network: {path!r} is not a bregnet network file ({exc})") from None
    L = len(acts)
    missing = [k for l in range(1, L + 1) for k in (f"W{l}", f"b{l}") if k not in z.files]
    if missing:
        raise BregnetInputError(f"network: {path!r} lacks the arrays {missing}")
    return Network(tuple(z[f"W{l}"] for l in range(1, L + 1)), tuple(z[f"b{l}"] for l in range(1, L + 1)), acts)


def load_network(path) -> Network:
    """The network of a network file, an engine checkpoint, or a ``bregnet train --out`` directory.

    Raises
    ------
    BregnetInputError
        The path does not exist or holds no network (the message names the path).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise BregnetInputError(f"network must be a file path; got {type(path).__name__}")
    p = Path(path)
    if p.is_dir():
        for cand in (p / "checkpoint" / TRAIN_CHECKPOINT, p / TRAIN_CHECKPOINT):
            if cand.is_file():
                p = cand
                break
        else:
            raise BregnetInputError(f"network: directory {os.fspath(path)!r} holds no checkpoint/{TRAIN_CHECKPOINT} "
                                    f"(the output of bregnet train)")
    if not p.is_file():
        raise BregnetInputError(f"network: file {os.fspath(path)!r} does not exist")
    try:
        z = np.load(p, allow_pickle=False)
        if not hasattr(z, "files"):
            raise ValueError("a single array (.npy), not an .npz archive")
        with z:
            if "network" in z.files:
                return _from_file(str(p), z)
            if "meta" in z.files:
                return _from_checkpoint(str(p), z)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, BregnetInputError):
            raise
        raise BregnetInputError(f"network: cannot read {os.fspath(p)!r} as an .npz network file or checkpoint "
                                f"({type(exc).__name__}: {exc})") from None
    raise BregnetInputError(f"network: {os.fspath(p)!r} is neither a bregnet network file nor a training checkpoint")
