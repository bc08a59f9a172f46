"""Shared loading logic of the MNIST-family IDX datasets (MNIST, Fashion-MNIST).

Examples
--------
>>> sorted(FULL_SIZES.values())
[(60000, 10000), (60000, 10000)]
"""
from __future__ import annotations

import os
from pathlib import Path

from .base import Dataset, DatasetNotFoundError
from .idx import find_idx_split, read_idx_split
from .preprocessing import scale_to_unit

#: Sizes (train, test) of the complete official splits.
FULL_SIZES = {"mnist": (60000, 10000), "fashion-mnist": (60000, 10000)}


def candidate_dirs(data_dir, env_var: str, cache_sub: Path, system_dirs=()):
    """Search list ``[(origin, path, strict)]``: explicit dir, environment, cache, system dirs.

    ``strict`` candidates (an explicit argument or a set environment variable) must hold the
    complete split; an incomplete one is an error rather than being skipped.
    """
    out = []
    if data_dir is not None:
        out.append(("data_dir argument", Path(data_dir).expanduser(), True))
    env = os.environ.get(env_var)
    if env:
        out.append((f"${env_var}", Path(env).expanduser(), True))
    out.append(("cache directory", Path(cache_sub), False))
    for d in system_dirs:
        out.append(("system directory", Path(d), False))
    return out


def locate(candidates, what: str, how_to_get: str):
    """Return ``(files, directory)`` for the first complete candidate, following the rules above."""
    searched = []
    for origin, path, strict in candidates:
        files, missing = find_idx_split(path) if path.is_dir() else (None, None)
        if files is not None:
            return files, path
        if strict:
            if not path.is_dir():
                detail = "is not a directory"
            else:
                detail = "lacks " + ", ".join(missing)
            raise DatasetNotFoundError(f"{what}: {path} (from the {origin}) {detail}.\n{how_to_get}")
        if path.is_dir() and len(missing) < 4:
            raise DatasetNotFoundError(f"{what}: {path} ({origin}) holds an incomplete set of IDX "
                                       f"files; missing {', '.join(missing)}. Complete or remove "
                                       f"it.\n{how_to_get}")
        searched.append(f"{path} ({origin})")
    raise DatasetNotFoundError(f"{what} not found. Searched:\n  " + "\n  ".join(searched)
                               + f"\n{how_to_get}")


def dataset_from_files(files, directory: Path, *, name: str, title: str, dtype) -> Dataset:
    """Read the four IDX files and build a float :class:`Dataset` with pixels in [0, 1]."""
    X_train, y_train, X_test, y_test = read_idx_split(files)
    shape = X_train.shape[1:]
    sizes = (X_train.shape[0], X_test.shape[0])
    full = sizes == FULL_SIZES[name]
    label = title if full else f"{title} (non-standard split {sizes[0]}/{sizes[1]})"
    desc = (f"{title}: {sizes[0]:,} training / {sizes[1]:,} test images of {shape[0]}x{shape[1]} "
            f"pixels from IDX files in {directory}"
            + ("" if full else f" [not the official {FULL_SIZES[name][0]:,}/"
                               f"{FULL_SIZES[name][1]:,} split]")
            + "; pixels scaled to [0, 1] (x / 255)")
    return Dataset(
        X_train=scale_to_unit(X_train.reshape(sizes[0], -1), 255.0, dtype),
        y_train=y_train,
        X_test=scale_to_unit(X_test.reshape(sizes[1], -1), 255.0, dtype),
        y_test=y_test,
        name=name, label=label, description=desc, is_subset=not full, n_classes=10,
        image_shape=shape, source=str(directory), scale=255.0,
        history=("scaled to [0, 1] (x / 255)",))

