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
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from sheetsync import choices
from sheetsync.cellvalues import map_unique, text_key
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
            if not isinstance(records, list):
                continue
            width = len(HEADER)
            # in bulk: the values of the cell's well-formed records, as text (the way they
            # were written), field by field, each distinct text but the IDs one object, put
            # back together into records
            flat = list(
                chain.from_iterable(r for r in records if type(r) is list and len(r) == width)
            )
            if set(map(type, flat)) - {str}:
                flat = list(map(str, flat))
            fields = [flat[i::width] for i in range(width)]
            for i, values in enumerate(fields):
                if i != 1:  # the IDs are all distinct
                    fields[i] = list(map(shared.setdefault, values, values))
            kept = list(zip(*fields, strict=True))
            ids = fields[1]
            if "" in ids:  # a record without an ID is no row's
                kept = [record for record in kept if record[1]]
                ids = list(map(itemgetter(1), kept))
            out.update(zip(zip(map(itemgetter(0), kept), ids, strict=True), kept, strict=True))
    return out


def _dates(values: list[str]) -> np.ndarray:
    """ISO dates as datetime64[D] (NaT for blank or unreadable), each distinct text parsed
    once."""
    index = {value: i for i, value in enumerate(dict.fromkeys(values))}
    distinct = _parse_dates(list(index))
    return distinct[np.fromiter(map(index.__getitem__, values), np.int64, len(values))]


def _parse_dates(values: list[str]) -> np.ndarray:
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
    kept = [record for key, record in records.items() if key[0] == sheet]
    index = {record[1]: i for i, record in enumerate(kept)}
    found = np.fromiter(map(index.get, ids, repeat(-1)), dtype=np.int64, count=len(ids))
    values = {name: list(map(itemgetter(i), kept)) for i, name in enumerate(HEADER)}
    stored = Memory(
        known=np.ones(len(kept), dtype=bool),
        attempts=np.array(map_unique(values["attempts"], _number), dtype=float),
        conversation=np.array(map_unique(values["conversation"], _yes), dtype=bool),
        stage=np.array(map_unique(values["stage"], _stage_code), np.int8),
        **{name: _dates(values[name]) for name in _DATES},
    )
    if not kept:
        return Memory.empty(len(ids))
    return stored.take(np.maximum(found, 0), (found >= 0) & valid)


def _yes(value: str) -> bool:
    return value.casefold() == "yes"


def _stage_code(value: str) -> int:
    return _STAGE_CODES.get(value.casefold(), 0)


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
