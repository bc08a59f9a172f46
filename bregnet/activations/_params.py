"""Validation of activation parameters, shared by every family module."""
from __future__ import annotations

import numpy as np


def check_real(name: str, value) -> float:
    """Return ``value`` as a finite float or raise naming ``name``."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number; got {value!r}") from exc
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return v


def check_positive(name: str, value, why: str = "for Psi to be convex and proper") -> float:
    """A finite float ``> 0``."""
    v = check_real(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0 {why}; got {value!r}")
    return v


def check_interval(name: str, value, lo: float, hi: float, *, lo_open: bool = False,
                   hi_open: bool = False, why: str = "for Psi to be convex") -> float:
    """A finite float in the interval from ``lo`` to ``hi`` (open or closed at each end)."""
    v = check_real(name, value)
    bad = (v < lo) or (v > hi) or (lo_open and v == lo) or (hi_open and v == hi)
    if bad:
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise ValueError(f"{name} must lie in {lb}{lo}, {hi}{rb} {why}; got {value!r}")
    return v
