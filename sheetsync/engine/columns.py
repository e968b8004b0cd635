"""The engine's typed columns: what it reads, what it remembers, what it decides.

A choice column holds codes: 0 for blank, else the value's 1-based place in its ``choices``
tuple. The engine looks codes up by name (``STAGE["Lost"]``), never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sheetsync import choices
from sheetsync.cellvalues import code

NAT = np.datetime64("NaT", "D")


def codes_by_name(names: tuple[str, ...]) -> dict[str, int]:
    """``{name: code}`` of a choice column (``cells.code``)."""
    return {name: code(names, name) for name in names}


STAGE = codes_by_name(choices.STAGES)
OUTCOME = codes_by_name(choices.OUTCOMES)
PRIORITY = codes_by_name(choices.PRIORITIES)
CHANNEL = codes_by_name(choices.CHANNELS)
PHASE = codes_by_name(choices.PHASES)
#: the engine's own outputs, coded the same way (0 = blank)
ACTION = codes_by_name(choices.NEXT_ACTIONS)
FLAG = codes_by_name(choices.FLAGS)


def nat_column(n: int) -> np.ndarray:
    return np.full(n, NAT, dtype="datetime64[D]")


@dataclass
class Prospects:
    """One entry per sheet row, in sheet order. Choice columns hold ``cells.code`` values
    (0 = blank); dates are ``datetime64[D]`` (NaT = blank); counts are float (NaN = blank)."""

    blank: np.ndarray  # bool: no ID, Company, Contact, Email or Phone
    problems: np.ndarray  # object: the row's cell problems joined by "; ", "" when none
    owner: np.ndarray  # int: owner group (rows with the same owner share it)
    stage: np.ndarray
    outcome: np.ndarray
    phase: np.ndarray
    priority: np.ndarray
    channel: np.ndarray
    dnc: np.ndarray  # bool
    last_contact: np.ndarray
    note_sent: np.ndarray
    call_back: np.ndarray
    attempts: np.ndarray
    contact_every: np.ndarray

    def __len__(self) -> int:
        return len(self.blank)


@dataclass
class Memory:
    """What the tool remembered of each row at its last sync (aligned to the rows by ID)."""

    known: np.ndarray  # bool: a record exists for the row's ID
    last_contact: np.ndarray  # the Last Contact seen
    attempts: np.ndarray  # float: the Attempts the tool wrote
    conversation: np.ndarray  # bool: a conversation was seen
    lost_since: np.ndarray  # lost by its outcome since
    stale_since: np.ndarray  # in the stale pool since
    card_on: np.ndarray  # given a CARD on
    stage: np.ndarray  # int: the Stage code seen (to notice a rep's Stage edit)

    @classmethod
    def empty(cls, n: int) -> Memory:
        return cls(
            known=np.zeros(n, dtype=bool),
            last_contact=nat_column(n),
            attempts=np.full(n, np.nan),
            conversation=np.zeros(n, dtype=bool),
            lost_since=nat_column(n),
            stale_since=nat_column(n),
            card_on=nat_column(n),
            stage=np.zeros(n, dtype=np.int8),
        )

    def take(self, index: np.ndarray, valid: np.ndarray) -> Memory:
        """Rows ``index`` of this memory; rows where ``valid`` is False get no record."""
        blank = Memory.empty(len(index))
        out = {}
        for f in fields(self):
            column = getattr(self, f.name)[index]
            out[f.name] = np.where(valid, column, getattr(blank, f.name))
        return Memory(**out)


@dataclass
class Decisions:
    """The engine's answer per row, and what to remember of it."""

    flag: np.ndarray  # object: one of choices.FLAGS, None for a blank row
    next_contact: np.ndarray  # datetime64[D], NaT = blank
    action: np.ndarray  # object: one of choices.NEXT_ACTIONS or None
    why: np.ndarray  # object
    attempts: np.ndarray  # float: the new count; NaN = blank row (cleared) or CHECK (kept)
    memory: Memory  # the record to keep for each row (``known`` False: keep none)
    #: a windowed row's window, both ends moved forward to workdays (what its flag is read
    #: from; ``next_contact`` is ``earliest``); NaT for rows with a fixed flag
    earliest: np.ndarray  # datetime64[D]
    latest: np.ndarray  # datetime64[D]
    #: bool: the date was promised to the prospect (rule 4's call back, rule 7's note call)
    promised: np.ndarray
