"""Proximal activation functions (Section 3, Definition 1 and Example 1 of the paper).

Every module in this package registers its activations with :func:`register`; importing the
package imports them all, so :func:`names` lists everything that ships.
"""
import importlib
import pkgutil

from .base import Activation, SeparableActivation
from .registry import NOT_PROXIMAL, NotProximalError, get, names, register

__all__ = ["Activation", "SeparableActivation", "get", "names", "register",
           "NotProximalError", "NOT_PROXIMAL"]

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod not in ("base", "registry") and not _mod.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod}")
del _mod
