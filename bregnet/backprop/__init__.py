r"""Back-propagation baselines (Section 2, Appendix A) and the classical lifted network (Section 2.3).

* :mod:`.backprop`: Algorithm 2 and the output losses;
* :mod:`.optimisers`: GD-BP (3), SGD-BP (20), ISGD-BP (22), and Adam (extra, not in the paper);
* :mod:`.classical_lifted`: the classical lifted network (7) and MAC-QP (6).
"""
from .backprop import (BackpropResult, BregmanOutputLoss, L1Penalty, MSELoss, OutputLoss, backprop, check_data,
                       get_loss, objective)
from .optimisers import SOLVERS, TrainingHistory, adam_bp, gd_bp, isgd_bp, sgd_bp

__all__ = ["BackpropResult", "BregmanOutputLoss", "L1Penalty", "MSELoss", "OutputLoss", "backprop", "check_data",
           "get_loss", "objective", "SOLVERS", "TrainingHistory", "adam_bp", "gd_bp", "isgd_bp", "sgd_bp"]
