r"""Back-propagation baselines (Section 2, Appendix A) and the classical lifted network (Section 2.3).

* :mod:`.backprop`: Algorithm 2 and the output losses;
* :mod:`.optimisers`: GD-BP (3), SGD-BP (20), ISGD-BP (22), and Adam (extra, not in the paper);
* :mod:`.classical_lifted`: the classical lifted network (7) and MAC-QP (6).

Each is a solver of the training engine (:class:`GDBP`, :class:`SGDBP`, :class:`ISGDBP`, :class:`AdamBP`,
:class:`ClassicalLifted`, :class:`MACQP` for :func:`bregnet.solvers.engine.run`) with a function of the old
signature ``solver(network, X, Y, **options)`` returning the engine's ``Result``, which unpacks as
``(network, history)``; ``BASELINES`` maps their names to the functions.

Examples
--------
>>> sorted(BASELINES)
['adam-bp', 'classical-lifted', 'gd-bp', 'isgd-bp', 'mac-qp', 'sgd-bp']
"""
from .backprop import (BackpropResult, BregmanOutputLoss, L1Penalty, MSELoss, OutputLoss, backprop, check_data,
                       get_loss, objective)
from .losses import BinaryCrossEntropyWithLogits, CrossEntropyWithLogits, HuberLoss
from .classical_lifted import MACQP, ClassicalLifted, LiftedHistory, classical_lifted, lifted_energy, mac_qp
from .optimisers import GDBP, ISGDBP, SGDBP, SOLVERS, AdamBP, TrainingHistory, adam_bp, gd_bp, isgd_bp, sgd_bp

#: every baseline by name: the back-propagation solvers and the quadratic-penalty lifted ones
BASELINES = {**SOLVERS, "classical-lifted": classical_lifted, "mac-qp": mac_qp}

__all__ = ["BackpropResult", "BregmanOutputLoss", "L1Penalty", "MSELoss", "OutputLoss", "backprop", "check_data",
           "get_loss", "objective", "SOLVERS", "BASELINES", "TrainingHistory", "LiftedHistory", "adam_bp", "gd_bp",
           "isgd_bp", "sgd_bp", "classical_lifted", "lifted_energy", "mac_qp", "GDBP", "SGDBP", "ISGDBP", "AdamBP",
           "ClassicalLifted", "MACQP", "CrossEntropyWithLogits", "BinaryCrossEntropyWithLogits", "HuberLoss"]
