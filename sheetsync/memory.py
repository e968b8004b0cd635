"""What sheetsync remembers between syncs, kept in a hidden sheet of the workbook itself.

One record per (worksheet, ID): the Last Contact and Attempts it saw and wrote, whether a
conversation was seen, since when the row is lost or stale, and the day it was given a card.
Keyed by ID, so sorting and moving rows does not confuse it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from sheetsync import choices
from sheetsync.cells import code, is_blank, text_key
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
_DATES = ("last_contact", "lost_since", "stale_since", "card_on")
Record = dict[str, Any]


def _date(value: Any) -> np.datetime64:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    try:
        return np.datetime64(dt.date.fromisoformat(str(value).strip()[:10]), "D")
    except ValueError:
        return np.datetime64("NaT", "D")


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def parse(rows: Sequence[Sequence[Cell]] | None) -> dict[tuple[str, str], list[Cell]]:
    """The memory sheet's records by (worksheet title, ID), as raw rows in HEADER order."""
    if not rows:
        return {}
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    where = {name: header.index(name) for name in HEADER if name in header}
    if "sheet" not in where or "id" not in where:
        return {}
    out: dict[tuple[str, str], list[Cell]] = {}
    for raw in rows[1:]:
        record = [
            raw[where[name]] if name in where and where[name] < len(raw) else None
            for name in HEADER
        ]
        key = (text_key(record[0]), text_key(record[1]))
        if key[1]:
            out[key] = record
    return out


def align(
    records: dict[tuple[str, str], list[Cell]], sheet: str, ids: Sequence[str], valid: np.ndarray
) -> Memory:
    """The remembered record of each row, by ID (rows with ``valid`` False get none)."""
    n = len(ids)
    memory = Memory.empty(n)
    stage_code = {s.casefold(): code(choices.STAGES, s) for s in choices.STAGES}
    for row, row_id in enumerate(ids):
        if not valid[row] or not row_id:
            continue
        record = records.get((sheet, row_id))
        if record is None:
            continue
        values = dict(zip(HEADER, record, strict=True))
        memory.known[row] = True
        for name in _DATES:
            getattr(memory, name)[row] = (
                _date(values[name]) if not is_blank(values[name]) else np.datetime64("NaT", "D")
            )
        memory.attempts[row] = _number(values["attempts"])
        memory.conversation[row] = str(values["conversation"]).strip().casefold() == "yes"
        memory.stage[row] = stage_code.get(str(values["stage"] or "").strip().casefold(), 0)
    return memory


def _iso(day: np.datetime64) -> str:
    return "" if np.isnat(day) else str(day)


def records_for(
    sheet: str, ids: Sequence[str], memory: Memory
) -> dict[tuple[str, str], list[Cell]]:
    """New records of the rows the engine decided (``memory.known``)."""
    out: dict[tuple[str, str], list[Cell]] = {}
    for row in np.flatnonzero(memory.known):
        stage = int(memory.stage[row])
        out[(sheet, ids[row])] = [
            sheet,
            ids[row],
            _iso(memory.last_contact[row]),
            int(memory.attempts[row]),
            "yes" if memory.conversation[row] else "",
            _iso(memory.lost_since[row]),
            _iso(memory.stale_since[row]),
            _iso(memory.card_on[row]),
            choices.STAGES[stage - 1] if stage else "",
        ]
    return out


def normalized(record: Sequence[Cell]) -> tuple[str, ...]:
    """A record as comparable text (a number read back as 3.0 equals the 3 written)."""
    return tuple(text_key(v) for v in record)


def to_rows(records: dict[tuple[str, str], list[Cell]]) -> list[list[Cell]]:
    """The memory sheet's contents: header, then records sorted by sheet and ID."""
    return [list(HEADER), *(records[key] for key in sorted(records))]
