"""Exceptions raised by bregnet's solvers, estimators and data loaders.

Examples
--------
>>> issubclass(DivergenceError, RuntimeError), issubclass(BregnetInputError, ValueError)
(True, True)
"""
from __future__ import annotations

__all__ = ["DivergenceError", "BregnetInputError"]


class DivergenceError(RuntimeError):
    """A training run produced a non-finite objective or parameters (e.g. the step size is too large)."""


class BregnetInputError(ValueError):
    """Invalid user input (shapes, dtypes, values or options) detected before any work is done."""
