r"""Named presets: the paper's printed settings (Section 6) and other named option sets, by solver and problem.

Every solver's own defaults live once, on its class, and are chosen to learn (issue 11).  Where a caller means
the paper's settings (``validation/``, ``bregnet train --preset paper``, an estimator's ``preset="paper"``) it
asks for them here by name.  A preset maps a solver name to options by problem name (key ``"*"``: every problem).

* ``"paper"``: the values printed in Section 6 (6.1 classification: :math:`\tau^k = 100`, N = 15, SGD-BP
  rate :math:`10^{-3}`; 6.2 sparse autoencoder: :math:`\tau_k = 1`, rate :math:`3\cdot10^{-2}`; 6.3 denoising
  (1K): :math:`\tau_k = 0.5`; 6.3 undercomplete (10K): :math:`\tau_k = 1`, N = 30, rate :math:`4\cdot10^{-4}`).
  See ``docs/errata.md`` for why some of them do not learn as printed (the rates fit a loss summed over the
  batch).

Examples
--------
>>> preset_options("paper", "lbn-s", "classification")
{'prox_weight': 100.0, 'n_inner': 15}
>>> preset_options("paper", "adam-bp", "classification")
{}
>>> preset_options("fast", "lbn-s", "classification")
Traceback (most recent call last):
...
bregnet.exceptions.BregnetInputError: unknown preset 'fast'; choose one of paper
"""
from __future__ import annotations

from .exceptions import BregnetInputError

__all__ = ["PRESETS", "preset_names", "preset_options", "PAPER_BATCH_SIZE"]

#: the paper's mini-batch sizes (Sections 6.1-6.3) by problem
PAPER_BATCH_SIZE = {"classification": 100, "sparse-ae": 20, "denoising-ae": 20, "undercomplete-ae": 200,
                    "regression": 100}

_PAPER = {
    "lbn-s": {"classification": {"prox_weight": 100.0, "n_inner": 15},     # Section 6.1: tau^k = 100, N = 15
              "sparse-ae": {"prox_weight": 1.0, "n_inner": 15},            # 6.2: tau_k = 1
              "denoising-ae": {"prox_weight": 0.5, "n_inner": 15},         # 6.3 (1K): tau_k = 0.5
              "undercomplete-ae": {"prox_weight": 1.0, "n_inner": 30}},    # 6.3 (10K): tau_k = 1, N = 30
    "lbn-d": {"*": {"n_inner": 15}},
    "gd-bp": {"*": {"lr": 4e-2}},
    "sgd-bp": {"classification": {"lr": 1e-3}, "sparse-ae": {"lr": 3e-2}, "denoising-ae": {"lr": 1e-3},
               "undercomplete-ae": {"lr": 4e-4}},
    "isgd-bp": {"*": {"prox_step": 1.0, "inner_steps": 15, "lr": 1e-3},
                "undercomplete-ae": {"prox_step": 1.0, "inner_steps": 30, "lr": 4e-4}},
}

#: every preset by name
PRESETS = {"paper": _PAPER}


def preset_names() -> list:
    """The names of the presets."""
    return list(PRESETS)


def preset_options(name: str, solver: str, problem: str) -> dict:
    """The options of preset ``name`` for ``solver`` on ``problem`` (empty where the preset says nothing)."""
    if name not in PRESETS:
        raise BregnetInputError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    by_problem = PRESETS[name].get(solver, {})
    return {**by_problem.get("*", {}), **by_problem.get(problem, {})}
