"""Stage 1 of a sync, read: a worksheet's raw cells -> typed prospect columns, with the header
layout, the IDs (blank ones filled) and each row's owner. Pure: no clock, no I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

import numpy as np

from sheetsync import choices
from sheetsync.cellvalues import (
    Problems,
    choices_column,
    counts_column,
    dates_column,
    flags_column,
    is_blank,
    map_unique,
    owner_key,
    quote,
    text_key,
    text_keys,
)
from sheetsync.codes import factorize
from sheetsync.config import Config
from sheetsync.engine import Prospects
from sheetsync.schema import WHO_FIELDS, Layout, match_headers
from sheetsync.sources.base import Cell, SheetData

UNASSIGNED = "(unassigned)"
#: text starting with one of these is a formula to a spreadsheet (and to a CSV reader)
FORMULA_START = ("=", "+", "-", "@")
_NUMBERED_ID = re.compile(r"(\D*)(\d+)")


@dataclass
class Sheet:
    """A worksheet read into typed columns."""

    layout: Layout
    prospects: Prospects
    #: IDs as read (text), and after blank ones were filled
    read_ids: list[str]
    ids: list[str]
    #: rows whose ID was filled, rows sharing an ID, each row's owner as first spelled
    assigned: list[int]
    duplicate: np.ndarray
    owner_names: list[str]


def read_sheet(data: SheetData, config: Config) -> Sheet:
    """Match the headers, then read every row into typed columns."""
    data_width = max((len(r) for r in data.rows), default=0)
    layout = match_headers(data.headers, config.columns, data_width=data_width)
    return read_prospects(data, layout, config)


def column(rows: Sequence[Sequence[Cell]], col: int | None, n: int) -> list[Cell]:
    if col is None:
        return [None] * n
    try:
        return list(map(itemgetter(col), rows))
    except IndexError:  # ragged rows: a short row has nothing in this column
        return [row[col] if col < len(row) else None for row in rows]


def _blank_rows(columns: list[list[Cell]], n: int) -> np.ndarray:
    """Rows with none of the identifying cells (each column looked at only where needed)."""
    left = np.arange(n)
    for values in columns:
        # is_blank, with the usual cells (nothing, a text) tested inline
        left = left[
            [
                (value := values[row]) is None
                or (
                    not value.strip()
                    if type(value) is str
                    else type(value) is not int and is_blank(value)
                )
                for row in left.tolist()
            ]
        ]
    blank = np.zeros(n, dtype=bool)
    blank[left] = True
    return blank


def _assign_ids(ids: list[str], blank: np.ndarray) -> list[int]:
    """Fill blank IDs of non-blank rows, continuing the sheet's own pattern (P-1041 after
    P-1040; P0001 in a sheet without IDs), so a new ID never collides with one in use."""
    if all(ids[row] for row in np.flatnonzero(~blank)):
        return []
    patterns = Counter(m[1] for i in ids if (m := _NUMBERED_ID.fullmatch(i)))
    prefix = patterns.most_common(1)[0][0] if patterns else "P"
    if prefix.startswith(FORMULA_START):  # never make text that a spreadsheet reads as a formula
        prefix = "P"
    numbered = [m for i in ids if (m := _NUMBERED_ID.fullmatch(i)) and m[1] == prefix]
    next_number = max((int(m[2]) for m in numbered), default=0) + 1
    width = max((len(m[2]) for m in numbered), default=4)
    in_use = set(ids)
    assigned = []
    for row, row_id in enumerate(ids):
        if not row_id and not blank[row]:
            while (new_id := f"{prefix}{next_number:0{width}d}") in in_use:
                next_number += 1
            ids[row] = new_id
            in_use.add(new_id)
            next_number += 1
            assigned.append(row)
    return assigned


def _duplicates(ids: Sequence[str], blank: np.ndarray, problems: Problems) -> np.ndarray:
    if all(count == 1 for i, count in Counter(ids).items() if i):  # the usual: no ID twice
        return np.zeros(len(ids), dtype=bool)
    skipped = blank.tolist()
    counts = Counter(i for i, b in zip(ids, skipped, strict=True) if i and not b)
    dup = np.array(
        [bool(i) and counts[i] > 1 and not b for i, b in zip(ids, skipped, strict=True)],
        dtype=bool,
    )
    for row in np.flatnonzero(dup):
        problems.add(row, f"ID {quote(ids[row])} is used by {counts[ids[row]]} rows")
    return dup


def owner_names(cells: Sequence[Cell], blank: np.ndarray) -> list[str]:
    """Each row's owner as the prospects first spell it (spaces collapsed: rows of "dana" and
    " Dana " are all "dana" when "dana" comes first; a ``blank`` row, skipped by the sync,
    names no one), UNASSIGNED for a blank cell: the one name the sync's summary, its filter
    views, the agenda and the digests show."""
    first: dict[str, str] = {}

    def name(cell: Cell) -> str:
        text = " ".join(text_key(cell).split())
        return first.setdefault(owner_key(text), text) or UNASSIGNED

    map_unique(list(compress(cells, (~blank).tolist())), name)  # sheet order: first ones win
    return map_unique(cells, name)


def read_prospects(data: SheetData, layout: Layout, config: Config) -> Sheet:
    """Typed columns of the sheet, with its IDs (blank ones filled) and owners."""
    rows, n = data.rows, len(data.rows)
    columns: dict[str, list[Cell]] = {}

    def col(name: str) -> list[Cell]:
        if name not in columns:
            columns[name] = column(rows, layout.col(name), n)
        return columns[name]

    problems = Problems(n)
    blank = _blank_rows([col(f) for f in WHO_FIELDS if layout.col(f) is not None], n)
    read_ids = text_keys(col("id"))
    ids = list(read_ids)
    assigned = _assign_ids(ids, blank)
    duplicate = _duplicates(ids, blank, problems)

    owners_raw = col("owner")
    owner_codes, _ = factorize(np.array(map_unique(owners_raw, owner_key), dtype=object))
    names = owner_names(owners_raw, blank)

    epoch, order = data.epoch, config.date_order
    prospects = Prospects(
        blank=blank,
        problems=np.empty(n, dtype=object),
        owner=owner_codes.astype(np.int64),
        stage=choices_column(col("stage"), "stage", choices.STAGES, problems),
        outcome=choices_column(col("last_outcome"), "last_outcome", choices.OUTCOMES, problems),
        phase=choices_column(col("phase"), "phase", choices.PHASES, problems),
        priority=choices_column(col("priority"), "priority", choices.PRIORITIES, problems),
        channel=choices_column(
            col("preferred_channel"), "preferred_channel", choices.CHANNELS, problems
        ),
        dnc=flags_column(col("do_not_contact"), "do_not_contact", problems),
        last_contact=dates_column(col("last_contact"), "last_contact", epoch, order, problems),
        note_sent=dates_column(col("note_sent"), "note_sent", epoch, order, problems),
        call_back=dates_column(col("call_back"), "call_back", epoch, order, problems),
        attempts=counts_column(
            col("attempts"), "attempts", *choices.NUMBER_RANGES["attempts"], problems
        ),
        contact_every=counts_column(
            col("contact_every"),
            "contact_every",
            *choices.NUMBER_RANGES["contact_every"],
            problems,
        ),
    )
    prospects.problems[:] = ["; ".join(p) for p in problems.rows]
    prospects.problems[blank] = ""
    return Sheet(layout, prospects, read_ids, ids, assigned, duplicate, names)
