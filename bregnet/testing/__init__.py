r"""Public laws and strategies for cross-checking implementations (Section 3 of the paper).

* :mod:`bregnet.testing.laws`: every law of Section 3 (Definition 1 to Example 2, eq. (9)-(15),
  Theorem 10 items 1-11) as a function taking plain callables and arrays, raising
  :class:`~bregnet.testing.laws.LawViolation` with the worst input; usable on PyTorch/JAX
  implementations wrapped to return NumPy arrays.
* :mod:`bregnet.testing.strategies`: Hypothesis strategies reaching ties, huge magnitudes,
  float32 and domain boundaries (``hypothesis`` is imported only when a strategy is built).

Examples
--------
>>> import numpy as np
>>> import bregnet.testing as bt
>>> relu = lambda z: np.maximum(z, 0)
>>> bt.check_theorem10_item11(lambda x, z: relu(z) - x, np.zeros((1, 1)), [[-1.0]], [[-2.0]])
0.0
"""
from . import laws, strategies
from .laws import *  # noqa: F401,F403
from .laws import __all__ as _laws_all
from .strategies import *  # noqa: F401,F403
from .strategies import __all__ as _strategies_all

__all__ = ["laws", "strategies", *_laws_all, *_strategies_all]
from .reference_trajectories import compare_trajectory, load_reference, reference_problem, TrajectoryComparison  # noqa: E402,F401
__all__ += ["compare_trajectory", "load_reference", "reference_problem", "TrajectoryComparison"]
from .reference import compare_to_reference, reference_case, reference_values, ReferenceMismatch, ReferenceReport  # noqa: E402,F401
__all__ += ["compare_to_reference", "reference_case", "reference_values", "ReferenceMismatch", "ReferenceReport"]
from .toy_problem import toy_problem  # noqa: E402,F401
__all__ += ["toy_problem"]
