"""The activation registry: ``names()``, ``get(name, **params)``, ``register(name)``.

Also records the popular activation functions that are *not* proximal maps of a convex function
and therefore cannot enter the lifted Bregman framework (Definition 1), each with the reason.
"""
from __future__ import annotations

__all__ = ["register", "names", "get", "NotProximalError", "NOT_PROXIMAL"]

_REGISTRY: dict[str, type] = {}


class NotProximalError(ValueError):
    """Raised for an activation that is not the proximal map of a proper convex lsc function."""


#: Functions that are not proximal maps, with the property of a proximal map they violate.
#: A proximal map of a convex function is nondecreasing (monotone) and 1-Lipschitz in each
#: coordinate direction (firmly non-expansive, Theorem 10 items 9-11).
NOT_PROXIMAL: dict[str, str] = {
    "gelu": "GELU(z) = z*Phi(z) is not monotone (it decreases on z < -0.75, minimum -0.17 at z = -0.75), "
            "and its slope exceeds 1 (max 1.13 at z = 1.4); a proximal map is nondecreasing and 1-Lipschitz",
    "swish": "Swish/SiLU(z) = z*sigmoid(z) is not monotone (minimum -0.28 at z = -1.28) and its slope exceeds 1 "
             "(max 1.10 at z = 2.4); a proximal map is nondecreasing and 1-Lipschitz",
    "silu": "SiLU(z) = z*sigmoid(z) is not monotone (minimum -0.28 at z = -1.28) and its slope exceeds 1 "
            "(max 1.10 at z = 2.4); a proximal map is nondecreasing and 1-Lipschitz",
    "mish": "Mish(z) = z*tanh(softplus(z)) is not monotone (minimum -0.31 at z = -1.19) and its slope exceeds 1; "
            "a proximal map is nondecreasing and 1-Lipschitz",
    "selu": "SELU(z) = 1.0507*z for z > 0 has slope 1.0507 > 1, and its slope reaches "
            "1.0507*1.6733 = 1.758 just left of 0, so it is not non-expansive; a proximal map is 1-Lipschitz",
    "sine": "sin is not monotone; a proximal map is nondecreasing",
    "gaussian": "exp(-z^2) is not monotone; a proximal map is nondecreasing",
    "hardswish": "HardSwish(z) = z*relu6(z+3)/6 is not monotone (minimum -0.375 at z = -1.5); "
                 "a proximal map is nondecreasing",
}


def register(name: str):
    """Class decorator: register an activation class under ``name`` (sets ``cls.name``)."""

    def deco(cls):
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"activation name {name!r} is registered twice")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def names() -> list[str]:
    """All registered activation names, sorted.

    Examples
    --------
    >>> import bregnet
    >>> {"relu", "tanh", "softmax", "soft_threshold", "identity"} <= set(bregnet.activations.names())
    True
    """
    return sorted(_REGISTRY)


def get(name: str, **params):
    """Build the activation registered as ``name`` with the given parameters.

    Parameters are validated from the convexity condition of Psi, so an activation that exists is
    always a genuine proximal map.

    Raises
    ------
    NotProximalError
        If ``name`` is a known activation that is not a proximal map (GELU, Swish, SELU, ...).
    KeyError
        If ``name`` is unknown.

    Examples
    --------
    >>> import bregnet
    >>> act = bregnet.activations.get("soft_threshold", alpha=0.5)
    >>> act.prox([[-1.0, 0.2, 2.0]]).tolist()
    [[-0.5, 0.0, 1.5]]
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    if key in _REGISTRY:
        return _REGISTRY[key](**params)
    if key in NOT_PROXIMAL:
        raise NotProximalError(f"{name!r} is not a proximal activation: {NOT_PROXIMAL[key]}")
    raise KeyError(f"unknown activation {name!r}; registered names are: {', '.join(names())}")
