"""Checkpoints of a training run: the solver's state itself, its history and generator, written atomically.

One module for every solver (issue 11).  A solver's state is a dict whose values are arrays, Python scalars
(int, float, bool, str, None), or lists, tuples and dicts of these; :func:`encode_state` turns it into arrays
plus a JSON description and :func:`decode_state` back, exactly (arrays keep their dtype and bits, floats are
written with ``repr`` precision).  Because the checkpoint *is* the state (warm starts, momentum, multipliers,
auxiliary variables included), a resumed run repeats the uninterrupted one bit for bit.

Examples
--------
>>> import numpy as np
>>> s = {"weights": (np.ones((2, 2)),), "tk": 1.5, "warm": {"vx": [np.zeros(3)]}, "prev": None}
>>> arrays, spec = encode_state(s)
>>> t = decode_state(arrays, spec)
>>> t["tk"], type(t["weights"]).__name__, t["warm"]["vx"][0].shape, t["prev"]
(1.5, 'tuple', (3,), None)
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from .._atomic import atomic_savez
from ..exceptions import BregnetInputError

__all__ = ["encode_state", "decode_state", "save_checkpoint", "load_checkpoint", "checkpoint_info",
           "check_meta", "CHECKPOINT_FORMAT", "META_FIELDS"]

#: version of the checkpoint layout written by :func:`save_checkpoint`
CHECKPOINT_FORMAT = 2


def encode_state(state: dict, prefix: str = "state") -> tuple[dict, dict]:
    """``(arrays, spec)``: the arrays of ``state`` keyed by path, and a JSON-friendly description of the rest."""
    arrays: dict = {}

    def enc(value, path):
        if isinstance(value, np.ndarray):
            arrays[path] = value
            return {"t": "array"}
        if isinstance(value, (list, tuple)):
            return {"t": type(value).__name__, "items": [enc(v, f"{path}/{i}") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            return {"t": "dict", "items": {str(k): enc(v, f"{path}/{k}") for k, v in value.items()}}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, (int, np.integer)):
            return {"t": "int", "v": int(value)}
        if isinstance(value, (float, np.floating)):
            return {"t": "float", "v": repr(float(value))}
        if value is None or isinstance(value, str):
            return {"t": "scalar", "v": value}
        raise TypeError(f"a solver state cannot hold {type(value).__name__} (at {path!r})")

    return arrays, enc(dict(state), prefix)


def decode_state(arrays, spec: dict, prefix: str = "state"):
    """Inverse of :func:`encode_state` (``arrays`` may be an open ``np.load`` file)."""
    def dec(node, path):
        t = node["t"]
        if t == "array":
            return np.array(arrays[path])
        if t in ("list", "tuple"):
            items = [dec(v, f"{path}/{i}") for i, v in enumerate(node["items"])]
            return items if t == "list" else tuple(items)
        if t == "dict":
            return {k: dec(v, f"{path}/{k}") for k, v in node["items"].items()}
        if t == "float":
            return float(node["v"])
        return node["v"]

    return dec(spec, prefix)


def save_checkpoint(path, *, solver: str, fingerprint: dict, epoch: int, state: dict, history: dict,
                    rng_state: dict | None) -> None:
    """Write the run's state atomically (a temporary file in the same directory, then ``os.replace``); the
    directory is created if missing.

    ``history`` is :meth:`History.to_state <bregnet.solvers.engine.History.to_state>`'s dict.
    """
    arrays, spec = encode_state(state)
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)   # the first save makes it
    meta = {"format": CHECKPOINT_FORMAT, "solver": solver, "fingerprint": fingerprint, "epoch": int(epoch),
            "state": spec, "history": history, "rng": rng_state}
    arrays["meta"] = np.array(json.dumps(meta))
    atomic_savez(os.fspath(path), arrays)


def load_checkpoint(path, *, solver: str, fingerprint: dict) -> tuple[int, dict, dict, dict | None]:
    """Read a checkpoint of :func:`save_checkpoint`; check that it belongs to ``solver`` with ``fingerprint``.

    Returns ``(epoch, state, history_dict, rng_state)``.

    Raises
    ------
    BregnetInputError
        The file is missing or unreadable, or was written by another solver or with other options or data.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise BregnetInputError(f"resume: checkpoint file {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = check_meta(json.loads(str(z["meta"])), path, "resume: ")
            if meta["solver"] != solver:
                raise BregnetInputError(f"resume: checkpoint {path!r} was written by {meta['solver']!r}, "
                                        f"not {solver!r}")
            want = json.loads(json.dumps(fingerprint))
            if meta["fingerprint"] != want:
                diff = sorted(k for k in set(want) | set(meta["fingerprint"])
                              if meta["fingerprint"].get(k) != want.get(k))
                raise BregnetInputError(f"resume: checkpoint {path!r} was written with different options or data "
                                        f"({', '.join(diff)}: {[meta['fingerprint'].get(k) for k in diff]} vs "
                                        f"{[want.get(k) for k in diff]}); use the same options and data, or "
                                        f"start afresh without resume")
            state = decode_state(z, meta["state"])
    except (OSError, ValueError, KeyError, EOFError, TypeError, AttributeError, zipfile.BadZipFile) as exc:
        if isinstance(exc, BregnetInputError):
            raise
        raise BregnetInputError(f"resume: cannot read checkpoint {path!r}: it is truncated or not a checkpoint "
                                f"({type(exc).__name__}: {exc}); start afresh without resume") from None
    return meta["epoch"], state, meta["history"], meta["rng"]


def checkpoint_info(path) -> tuple[int, dict]:
    """``(epoch, history_dict)`` of a checkpoint, without checking whom it belongs to (for reports and resumes
    that continue a record; :func:`load_checkpoint` does the checking).

    Raises
    ------
    BregnetInputError
        The file is not a checkpoint of this format.
    """
    try:
        with np.load(os.fspath(path), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise BregnetInputError(f"cannot read checkpoint {os.fspath(path)!r} ({exc})") from None
    meta = check_meta(meta, os.fspath(path))
    return meta["epoch"], meta["history"]


#: the fields of a checkpoint's metadata and their JSON types (``rng`` may also be null)
META_FIELDS = {"format": int, "solver": str, "fingerprint": dict, "epoch": int, "state": dict, "history": dict,
               "rng": (dict, type(None))}


def check_meta(meta, path: str, prefix: str = "") -> dict:
    """``meta`` if it is the metadata of a checkpoint of this format (a dict with the fields of :data:`META_FIELDS`,
    ``epoch >= 0``); BregnetInputError naming ``path`` otherwise (a file whose metadata is a list, or whose epoch is
    a string, failed with AttributeError or TypeError).

    Examples
    --------
    >>> check_meta([1, 2], "c.npz")
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: 'c.npz' is not a checkpoint (its metadata is a list, not a dict); start afresh without resume
    """
    if not isinstance(meta, dict):
        raise BregnetInputError(f"{prefix}{path!r} is not a checkpoint (its metadata is a {type(meta).__name__}, not a "
                                f"dict); start afresh without resume")
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise BregnetInputError(f"{prefix}{path!r} is not a checkpoint of this bregnet version (format "
                                f"{meta.get('format')!r}, expected {CHECKPOINT_FORMAT}); start afresh without resume")
    bad = [k for k, t in META_FIELDS.items() if k not in meta or not isinstance(meta[k], t)
           or isinstance(meta[k], bool)]
    if not bad and meta["epoch"] < 0:
        bad = ["epoch"]
    if bad:
        raise BregnetInputError(f"{prefix}checkpoint {path!r} is corrupt: its metadata lacks or mistypes "
                                f"{', '.join(bad)}; start afresh without resume")
    return meta
