"""Arbitrary-precision (mpmath) formulas behind ``scripts/make_hp_reference.py`` (Section 3).

Nothing here calls bregnet's floating-point code for a value: every activation is written again
from its mathematics (sigma, Psi with the additive constant of bregnet's docstrings, Phi*, Psi*),
and the quantities are computed by a generic engine (``engine``) at a working precision that is
raised until two precisions agree.
"""
