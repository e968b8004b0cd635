"""What sheetsync remembers between syncs, kept in a hidden sheet of the workbook itself.

One record per (worksheet, ID): the Last Contact and Attempts it saw and wrote, whether a
conversation was seen, since when the row is lost or stale, and the day it was given a card.
Keyed by ID, so sorting and moving rows does not confuse it. Records are text (ISO dates),
packed as JSON lists of records into cells of at most ``CELL_CHARS`` characters (one record
per row would make a 100,000-row sheet's memory 900,000 cells; packed it is about 150), under
a header row naming the format. Both backends read back exactly the text that was written.
"""

from __future__ import annotations

import datetime as dt
import json
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
#: the memory sheet's first row: the format, and the fields of every record
SHEET_HEADER = ("sheetsync memory v1: JSON lists of records", ",".join(HEADER))
#: the longest text put in one memory cell (Excel holds 32,767 characters, Google 50,000)
CELL_CHARS = 30_000
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
    """The memory sheet's records (a sheet in another format holds none)."""
    if not rows or tuple(_text(h) for h in rows[0][:2]) != SHEET_HEADER:
        return {}
    out: Records = {}
    shared: dict[str, str] = {}  # one object per distinct text: a third of the memory
    for raw in rows[1:]:
        for cell in raw:
            if not isinstance(cell, str) or not cell:
                continue
            try:
                records = json.loads(cell)
            except ValueError:  # a hand-edited cell: what cannot be read is forgotten
                continue
            for record in records if isinstance(records, list) else ():
                if isinstance(record, list) and len(record) == len(HEADER):
                    texts = list(map(str, record))  # written as text: read back as text
                    values = tuple(map(shared.setdefault, texts, texts))
                    if values[1]:
                        out[(values[0], values[1])] = values
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


def _texts(column: np.ndarray, text: Any) -> list[str]:
    """``text(distinct values)`` for every value: each distinct text one object."""
    distinct, inverse = np.unique(column, return_inverse=True)
    return list(map(text(distinct).tolist().__getitem__, inverse.tolist()))


def _iso(column: np.ndarray) -> list[str]:
    """Dates as ISO text ("" for NaT)."""
    return _texts(
        column, lambda days: np.where(np.isnat(days), "", np.datetime_as_string(days, unit="D"))
    )


def records_for(sheet: str, ids: Sequence[str], memory: Memory) -> Records:
    """New records of the rows the engine decided (``memory.known``)."""
    rows = np.flatnonzero(memory.known)
    columns = [
        [sheet] * len(rows),
        [ids[row] for row in rows],
        _iso(memory.last_contact[rows]),
        _texts(memory.attempts[rows].astype(np.int64), lambda counts: counts.astype(str)),
        np.where(memory.conversation[rows], "yes", "").tolist(),
        _iso(memory.lost_since[rows]),
        _iso(memory.stale_since[rows]),
        _iso(memory.card_on[rows]),
        _STAGE_NAMES[memory.stage[rows]].tolist(),
    ]
    keys = zip(columns[0], columns[1], strict=True)
    return dict(zip(keys, zip(*columns, strict=True), strict=True))


def to_rows(records: Records) -> list[list[Cell]]:
    """The memory sheet's contents: the header row, then one cell per row, each a JSON list
    of records (sorted by sheet and ID) of at most CELL_CHARS characters."""
    rows: list[list[Cell]] = [list(SHEET_HEADER)]
    ordered = [records[key] for key in sorted(records)]
    start, step = 0, 256
    while start < len(ordered):
        # one json.dumps per cell; halve the batch until it fits (records are short)
        count = step
        text = _dumps(ordered[start : start + count])
        while len(text) > CELL_CHARS and count > 1:
            count //= 2
            text = _dumps(ordered[start : start + count])
        if len(text) <= CELL_CHARS:  # else one record longer than a cell: not remembered
            rows.append([text])
        start += count
    return rows


def _dumps(records: list[tuple[str, ...]]) -> str:
    return json.dumps(records, ensure_ascii=False, separators=(",", ":"))
