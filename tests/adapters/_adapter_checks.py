"""Framework-independent pieces of the adapter tests: test points and ulp distances against bregnet's NumPy values.

Distances are in units of eps of the dtype, relative to the *scale* of each quantity (the size of
the terms it is made of: a value that cancels, such as sigma(z) - x or B, cannot be compared
relative to itself):

* sigma: |sigma(z)| elementwise;
* psi, phi_star: the row sum of the absolute elementwise values (separable ones), else |value|;
  for psi plus 1/2||x||^2 (Psi = Phi - 1/2||.||^2: bregnet's formulas subtract terms of that size,
  e.g. tanh's psi(x) ~ x^4/12 from terms ~ x^2), for phi_star plus 1/2||z||^2 (Phi* = 1/2||.||^2 - M,
  M the Moreau envelope; tanh's log cosh z = |z| + log1p(e^{-2|z|}) - log 2 cancels terms ~ |z|);
* B: 1/2||x - s||^2 + |Psi(x)| + |Psi(s)| + |<z - s, x - s>| (the terms of Theorem 10, item 4,
  the form bregnet evaluates), s = sigma(z);
* gradients: |sigma(z)| + |x| elementwise.
"""
import numpy as np

from bregnet.activations import get, names
from bregnet.activations.base import SeparableActivation
from bregnet.bregman import bregman_grad, bregman_loss

#: ulps (of the scale above) allowed between an adapter and bregnet's NumPy value
ULPS = 16

ACTIVATIONS = names()


def points(act, dtype, m=48, n=5, seed=0):
    """z (a spread of magnitudes, ties and zeros) and x in dom Psi (x = sigma(z') for another z')."""
    rng = np.random.default_rng(seed)
    z = np.concatenate([0.3 * rng.standard_normal((m // 3, n)), 3 * rng.standard_normal((m // 3, n)),
                        30 * rng.standard_normal((m // 3, n))])
    z[0] = 0.0
    z[1, : n // 2] = 1.0
    x = act.prox(1.5 * rng.standard_normal(z.shape))
    return z.astype(dtype), x.astype(dtype)


def _abs_sum(act, f_elementwise, f_rows, a):
    if isinstance(act, SeparableActivation):
        return np.sum(np.abs(np.where(np.isfinite(v := f_elementwise(a)), v, 0.0)), axis=-1)
    v = f_rows(a)
    return np.abs(np.where(np.isfinite(v), v, 0.0))


def ulp_distance(value, reference, scale, dtype):
    """max |value - reference| / max(eps * scale, tiny); equal infinities (and NaNs) count as 0.

    A difference below the smallest normal number ``tiny`` counts as at most one ulp: subnormal
    results carry no relative precision (torch's float32 sigmoid underflows to 0 below z = -88,
    where bregnet, computing in float64, rounds to a subnormal).
    """
    value = np.asarray(value, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    same = (value == reference) | (np.isnan(value) & np.isnan(reference))
    if np.any(~same & ~(np.isfinite(value) & np.isfinite(reference))):
        return np.inf                                   # inf vs finite, or NaN vs number
    tiny = np.finfo(dtype).tiny
    with np.errstate(invalid="ignore"):
        d = np.where(same, 0.0, np.abs(value - reference) / np.maximum(np.finfo(dtype).eps * scale, tiny))
    return float(np.max(d, initial=0.0))


def reference(act, x, z):
    """bregnet's NumPy values and the scales of the module docstring."""
    s = act.prox(z)
    sd, xd, zd = (a.astype(np.float64) for a in (s, x, z))
    psi_x, psi_s = act.psi(x).astype(np.float64), act.psi(s).astype(np.float64)
    fin = lambda a: np.where(np.isfinite(a), np.abs(a), 0.0)  # noqa: E731
    b_scale = 0.5 * np.sum((xd - sd) ** 2, axis=-1) + fin(psi_x) + fin(psi_s) + np.abs(np.sum((zd - sd) * (xd - sd), axis=-1))
    psi_el = getattr(act, "psi_elementwise", None)
    phi_el = getattr(act, "conjugate_elementwise", None)
    phi_terms = FORMULA_TERMS.get(act.name, lambda zd: 0.0)(zd)
    return dict(
        sigma=(s, np.abs(sd)),
        psi=(act.psi(x), _abs_sum(act, psi_el, act.psi, x) + 0.5 * np.sum(xd * xd, axis=-1)),
        phi_star=(act.phi_star(z), _abs_sum(act, phi_el, act.phi_star, z) + 0.5 * np.sum(zd * zd, axis=-1) + phi_terms),
        bregman=(bregman_loss(act, x, z), b_scale),
        grad_z=(bregman_grad(act, x, z), np.abs(sd) + np.abs(xd)),
    )


#: terms of bregnet's own formula for phi_star that cancel, per activation (both bregnet and the adapters
#: evaluate tanh's log cosh z = |z| + log1p(e^{-2|z|}) - log 2, whose absolute rounding error is about
#: eps (|z| + log 2) per entry: up to 56 ulps of |Phi*| + 1/2||z||^2 apart for small |z|, measured)
FORMULA_TERMS = {"tanh": lambda zd: np.sum(np.abs(zd) + np.log(2.0), axis=-1)}


def outside_points(act, dtype):
    """Rows outside dom Psi where it is not the whole space (None otherwise)."""
    x = np.full((2, 3), 2.0, dtype=dtype)
    x[1] = -2.0
    inside = act.in_domain(x)
    return None if np.all(inside) else x[~inside]


__all__ = ["ULPS", "ACTIVATIONS", "get", "points", "ulp_distance", "reference", "outside_points"]
