"""What sheetsync remembers between syncs, kept in a hidden sheet of the workbook itself.

One record per (worksheet, ID): the Last Contact and Attempts it saw and wrote, whether a
conversation was seen, since when the row is lost or stale, and the day it was given a card.
Keyed by ID, so sorting and moving rows does not confuse it. A record is three text cells:
the worksheet, the ID, and its facts joined by "|" in the order the third header names (ISO
dates), so both backends read back exactly what was written and a 100,000-row sheet's memory
stays a third of the cells it would otherwise be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from sheetsync import choices
from sheetsync.cells import text_key
from sheetsync.engine import Memory
from sheetsync.sources.base import Cell

HEADER = (
    "sheet",
    "id",
    "last_contact",
    "attempts",
    "conversation",
    "lost_since",
    "stale_since",
    "card_on",
    "stage",
)
#: the memory sheet's header row: sheet, id, then the packed facts
SHEET_HEADER = ("sheet", "id", "|".join(HEADER[2:]))
_DATES = ("last_contact", "lost_since", "stale_since", "card_on")
_STAGE_NAMES = np.array(["", *choices.STAGES], dtype=object)
_STAGE_CODES = {name.casefold(): code for code, name in enumerate(_STAGE_NAMES) if name}
#: (worksheet title, ID) -> the record's values as text, in HEADER order
Records = dict[tuple[str, str], tuple[str, ...]]


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return text_key(value)


def parse(rows: Sequence[Sequence[Cell]] | None) -> Records:
    """The memory sheet's records (a sheet without the expected header holds none)."""
    if not rows or tuple(_text(h) for h in rows[0][:3]) != SHEET_HEADER:
        return {}
    out: Records = {}
    width = len(HEADER) - 2
    for raw in rows[1:]:
        if len(raw) < 3:
            continue
        sheet, row_id, packed = _text(raw[0]), _text(raw[1]), _text(raw[2])
        facts = packed.split("|")
        if row_id and len(facts) == width:
            out[(sheet, row_id)] = (sheet, row_id, *facts)
    return out


def _dates(values: list[str]) -> np.ndarray:
    try:
        return np.array(values, dtype="datetime64[D]")
    except ValueError:  # a hand-edited cell: ignore what cannot be read
        out = []
        for value in values:
            try:
                out.append(np.datetime64(dt.date.fromisoformat(value[:10]), "D"))
            except ValueError:
                out.append(np.datetime64("NaT", "D"))
        return np.array(out, dtype="datetime64[D]")


def align(records: Records, sheet: str, ids: Sequence[str], valid: np.ndarray) -> Memory:
    """The remembered record of each row, by ID (rows with ``valid`` False get none)."""
    keys = [key for key in records if key[0] == sheet]
    index = {key[1]: i for i, key in enumerate(keys)}
    found = np.array([index.get(row_id, -1) if row_id else -1 for row_id in ids], dtype=np.int64)
    columns = list(zip(*(records[key] for key in keys), strict=True)) or [()] * len(HEADER)
    values = dict(zip(HEADER, (list(c) for c in columns), strict=True))
    stored = Memory(
        known=np.ones(len(keys), dtype=bool),
        attempts=np.array([_number(v) for v in values["attempts"]], dtype=float),
        conversation=np.array([v.casefold() == "yes" for v in values["conversation"]], dtype=bool),
        stage=np.array([_STAGE_CODES.get(v.casefold(), 0) for v in values["stage"]], np.int8),
        **{name: _dates(values[name]) for name in _DATES},
    )
    if not len(keys):
        return Memory.empty(len(ids))
    return stored.take(np.maximum(found, 0), (found >= 0) & valid)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def _iso(column: np.ndarray) -> list[str]:
    return np.where(np.isnat(column), "", np.datetime_as_string(column, unit="D")).tolist()


def records_for(sheet: str, ids: Sequence[str], memory: Memory) -> Records:
    """New records of the rows the engine decided (``memory.known``)."""
    rows = np.flatnonzero(memory.known)
    columns = [
        [sheet] * len(rows),
        [ids[row] for row in rows],
        _iso(memory.last_contact[rows]),
        memory.attempts[rows].astype(np.int64).astype(str).tolist(),
        np.where(memory.conversation[rows], "yes", "").tolist(),
        _iso(memory.lost_since[rows]),
        _iso(memory.stale_since[rows]),
        _iso(memory.card_on[rows]),
        _STAGE_NAMES[memory.stage[rows]].tolist(),
    ]
    return {(record[0], record[1]): record for record in zip(*columns, strict=True)}


def to_rows(records: Records) -> list[list[Cell]]:
    """The memory sheet's contents: header, then records sorted by sheet and ID."""
    return [
        list(SHEET_HEADER),
        *([r[0], r[1], "|".join(r[2:])] for r in (records[key] for key in sorted(records))),
    ]
