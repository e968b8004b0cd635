"""What a rule answers for the rows it takes (``Decided``), and every row's answers gathered.

A rule gives its rows either a window ``[earliest, latest]`` (the flag is read from it and today
once all rules ran) or a fixed flag, plus the Next Action and the values of its Why sentence.
Values are a scalar for all the rule's rows or a whole column (only the rule's rows are read).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sheetsync.engine.columns import ACTION, FLAG, nat_column
from sheetsync.engine.why import Reason

#: the values of a Why sentence (``why.TEMPLATES``), 0 (NaT for ``date``) when not given
WHY_VALUES = ("label", "count", "date", "low", "high", "limit", "outcome", "phase")


@dataclass
class Decided:
    """One rule's answer for the rows it takes (see ``window`` and ``fixed``)."""

    rows: np.ndarray  # bool: the rows the rule takes
    reason: Reason | np.ndarray
    action: str | np.ndarray | None = None  # a choices.NEXT_ACTIONS name, or ACTION codes
    earliest: Any = None  # a window ...
    latest: Any = None
    flag: str | None = None  # ... or a fixed flag (choices.FLAGS)
    when: Any = None  # the Next Contact of a fixed flag
    promised: bool = False  # the date was promised to the prospect
    text: np.ndarray | None = None  # the Why text itself, instead of a sentence
    # the Why sentence's values
    label: Any = None
    count: Any = None
    date: Any = None
    low: Any = None
    high: Any = None
    limit: Any = None
    outcome: Any = None
    phase: Any = None


def window(
    rows: np.ndarray, earliest: Any, latest: Any, action: Any, reason: Any, **why: Any
) -> Decided:
    """The rows' window ``[earliest, latest]``, before moving to workdays."""
    return Decided(rows, reason, action, earliest=earliest, latest=latest, **why)


def fixed(rows: np.ndarray, flag: str, reason: Any, action: Any = None, **why: Any) -> Decided:
    """A flag that no window decides (``when``: its Next Contact, if any)."""
    return Decided(rows, reason, action, flag=flag, **why)


def _code(value: Any, codes: dict[str, int]) -> Any:
    return codes[value] if isinstance(value, str) else value


class Answers:
    """Every row's answers, filled rule by rule (``take``)."""

    def __init__(self, n: int) -> None:
        self.windowed = np.zeros(n, dtype=bool)
        self.earliest = nat_column(n)
        self.latest = nat_column(n)
        self.flag = np.zeros(n, dtype=np.int8)
        self.when = nat_column(n)
        self.action = np.zeros(n, dtype=np.int8)
        self.promised = np.zeros(n, dtype=bool)
        self.reason = np.zeros(n, dtype=np.int8)
        self.text: list[Decided] = []
        self.why = {name: np.zeros(n, dtype=np.int64) for name in WHY_VALUES}
        self.why["date"] = nat_column(n)

    def take(self, decided: Decided) -> None:
        index = np.flatnonzero(decided.rows)
        if not len(index):
            return

        def put(column: np.ndarray, value: Any) -> None:
            column[index] = value[index] if isinstance(value, np.ndarray) else value

        if decided.earliest is not None:
            self.windowed[index] = True
            put(self.earliest, decided.earliest)
            put(self.latest, decided.latest)
        elif decided.flag is not None:
            self.flag[index] = FLAG[decided.flag]
            if decided.when is not None:
                put(self.when, decided.when)
        if decided.action is not None:
            put(self.action, _code(decided.action, ACTION))
        if decided.promised:
            self.promised[index] = True
        put(self.reason, decided.reason)
        if decided.text is not None:
            self.text.append(decided)
        for f in fields(Decided):
            if f.name in self.why:
                value = getattr(decided, f.name)
                if value is not None:
                    put(self.why[f.name], value)
