r"""Declared constraints on solver hyperparameters, checked once where a solver is built (issue 11).

A solver's hyperparameters are a small frozen dataclass (:class:`Hyperparameters`) whose class attribute
``constraints`` maps each field to a constraint: an :class:`Interval`, a :class:`OneOf`, :data:`BOOLEAN`,
:data:`ANY` or a tuple of constraints of which one must hold (e.g. ``(None_, Interval(...))``).  Building the
object validates and normalises every field (an ``int`` field stays an ``int``, a real one becomes a Python
``float``); a bad value raises :class:`~bregnet.exceptions.BregnetInputError` naming the solver, the field, what
was expected and what was given.  This is the spirit of scikit-learn's parameter constraints, not its code.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(Hyperparameters):
...     step_scale: float = 1.0
...     n_inner: int = 5
...     constraints = {"step_scale": Interval(0, 2, closed="neither"),
...                    "n_inner": Interval(1, None, integer=True)}
>>> Demo(step_scale=1.5)
Demo(step_scale=1.5, n_inner=5)
>>> Demo(step_scale=2.5)
Traceback (most recent call last):
...
bregnet.exceptions.BregnetInputError: Demo: step_scale must be a real number in (0, 2); got 2.5
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..exceptions import BregnetInputError

__all__ = ["Interval", "OneOf", "InstanceOf", "PositiveOrSequence", "BOOLEAN", "ANY", "NONE", "CALLABLE",
           "Hyperparameters", "check_value"]


@dataclass(frozen=True)
class Interval:
    """A real (or integer) number in an interval; ``None`` bounds are infinite.

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``.

    >>> Interval(0, 1, closed="right").describe()
    'a real number in (0, 1]'
    >>> Interval(1, None, integer=True).describe()
    'an integer >= 1'
    """

    low: float | None = None
    high: float | None = None
    closed: str = "both"
    integer: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a real number"
        lo_c, hi_c = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f"{kind} in {'[' if lo_c else '('}{self.low:g}, {self.high:g}{']' if hi_c else ')'}"
        if self.low is not None:
            return f"{kind} {'>=' if lo_c else '>'} {self.low:g}"
        if self.high is not None:
            return f"{kind} {'<=' if hi_c else '<'} {self.high:g}"
        return f"a finite {kind[2:] if kind.startswith('a ') else kind[3:]}"

    def accepts(self, value) -> tuple[bool, object]:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False, None
        v = float(value)
        if not math.isfinite(v):
            return False, None
        if self.integer:
            if v != int(v):
                return False, None
            v = int(v)
        lo_c, hi_c = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not lo_c)):
            return False, None
        if self.high is not None and (v > self.high or (v == self.high and not hi_c)):
            return False, None
        return True, v


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of values (strings, None, ...).

    >>> OneOf(("power", "exact")).describe()
    "one of 'power', 'exact'"
    """

    values: tuple

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def accepts(self, value) -> tuple[bool, object]:
        for v in self.values:
            if value is v or (type(value) is type(v) and value == v):
                return True, v
        return False, None


@dataclass(frozen=True)
class _Kind:
    what: str
    test: object

    def describe(self) -> str:
        return self.what

    def accepts(self, value) -> tuple[bool, object]:
        ok = bool(self.test(value))
        return ok, (bool(value) if self.what == "a bool" else value) if ok else None


@dataclass(frozen=True)
class InstanceOf:
    """An instance of a class.

    >>> InstanceOf(float).describe()
    'a float instance'
    """

    cls: type

    def describe(self) -> str:
        return f"a {self.cls.__name__} instance"

    def accepts(self, value) -> tuple[bool, object]:
        return (True, value) if isinstance(value, self.cls) else (False, None)


@dataclass(frozen=True)
class PositiveOrSequence:
    """A number > 0 (stored as a float) or a non-empty sequence of numbers > 0 (stored as a tuple of floats).

    >>> PositiveOrSequence().accepts([1, 2.5])
    (True, (1.0, 2.5))
    >>> PositiveOrSequence().accepts([1, 0])[0]
    False
    """

    what: str = ""

    def describe(self) -> str:
        return "a number > 0 or a sequence of numbers > 0" + (f" ({self.what})" if self.what else "")

    def accepts(self, value) -> tuple[bool, object]:
        positive = Interval(0, None, closed="neither")
        if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1 and len(value) > 0:
            checked = [positive.accepts(v) for v in value]
            return (True, tuple(float(v) for _, v in checked)) if all(ok for ok, _ in checked) else (False, None)
        ok, v = positive.accepts(value)
        return (True, float(v)) if ok else (False, None)


#: True or False (numpy booleans accepted, stored as bool)
BOOLEAN = _Kind("a bool", lambda v: isinstance(v, (bool, np.bool_)))
#: anything (checked by the solver itself)
ANY = _Kind("anything", lambda v: True)
#: any callable
CALLABLE = _Kind("a callable", callable)
#: the value None
NONE = OneOf((None,))


def check_value(owner: str, name: str, value, constraint):
    """Validate one value; return it normalised or raise BregnetInputError naming ``owner`` and ``name``.

    >>> check_value("lbn-s", "n_inner", 15.0, Interval(1, None, integer=True))
    15
    """
    options = constraint if isinstance(constraint, tuple) else (constraint,)
    for c in options:
        ok, v = c.accepts(value)
        if ok:
            return v
    expected = " or ".join(c.describe() for c in options)
    raise BregnetInputError(f"{owner}: {name} must be {expected}; got {value!r}")


@dataclass(frozen=True)
class Hyperparameters:
    """Base of every solver's hyperparameters: a frozen dataclass validated against ``constraints`` when built."""

    constraints: ClassVar[dict] = {}
    #: fields that choose how, not what, is computed (e.g. an executor): left out of :meth:`params`, so out of
    #: checkpoints' fingerprints and histories
    runtime_fields: ClassVar[tuple] = ()
    #: hyperparameters added after checkpoints of the solver were written: left out of :meth:`params` (and so of a
    #: checkpoint's fingerprint) while at their default, so that those checkpoints still resume
    late_fields: ClassVar[tuple] = ()
    #: earlier names of fields, still accepted by :meth:`from_options` (old name -> field)
    renamed: ClassVar[dict] = {}

    def __post_init__(self):
        owner = type(self).__name__
        for f in dataclasses.fields(self):
            if f.name not in self.constraints:
                raise TypeError(f"{owner}.{f.name} has no declared constraint")
            v = check_value(owner, f.name, getattr(self, f.name), self.constraints[f.name])
            object.__setattr__(self, f.name, v)
        self.check()

    @classmethod
    def from_options(cls, options: dict):
        """Build from a dict of options, accepting the earlier names in ``renamed`` (unknown names are an error).

        >>> from bregnet.backprop import ISGDBP
        >>> ISGDBP.from_options({"tau": 0.5}).prox_step
        0.5
        """
        opts, used = dict(options), []
        for old, new in cls.renamed.items():
            if old in opts:
                if new in opts:
                    raise BregnetInputError(f"{cls.__name__}: give {new} or its earlier name {old}, not both")
                opts[new] = opts.pop(old)
                used.append(f"{new} given as {old}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(opts) - names)
        if unknown:
            raise BregnetInputError(f"{cls.__name__}: unknown option(s) {unknown}; it accepts {sorted(names)}")
        try:
            return cls(**opts)
        except BregnetInputError as exc:
            if not used:
                raise
            raise BregnetInputError(f"{exc} ({', '.join(used)})") from None

    def check(self) -> None:
        """Constraints that involve several fields (override; raise BregnetInputError)."""

    def params(self) -> dict:
        """The hyperparameters as a dict (JSON-friendly: what a checkpoint's fingerprint records), runtime fields
        and late fields at their default left out."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name not in self.runtime_fields
                and not (f.name in self.late_fields and getattr(self, f.name) == f.default)}

    def replace(self, **changes):
        """A copy with some hyperparameters changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _jsonable(value):
    """Numbers, strings, None and tuples of them as they are; a function by its qualified name; any other object
    (e.g. a loss instance) by its repr (so histories and checkpoints stay JSON)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return value
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return repr(value)
