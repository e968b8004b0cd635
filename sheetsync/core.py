"""From a worksheet's raw cells to a WritePlan: header matching, cell parsing, IDs, memory,
the engine, and the diff against what the sheet already holds. Pure: no clock, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetsync import choices, memory
from sheetsync.cells import (
    Problems,
    choices_column,
    counts_column,
    dates_column,
    flags_column,
    is_blank,
    owner_key,
    parse_date,
    quote,
    text_key,
)
from sheetsync.config import Config
from sheetsync.engine import Prospects, decide
from sheetsync.highlight import HIGHLIGHT
from sheetsync.schema import FIELD_HEADERS, WHO_FIELDS, Layout, match_headers
from sheetsync.sources.base import Cell, SheetData, WritePlan
from sheetsync.workdays import Calendar

#: the tool's output columns, in the order the result table shows them
OUTPUT_FIELDS = ("next_contact", "next_action", "flag", "why", "attempts")
UNASSIGNED = "(unassigned)"
_NUMBERED_ID = re.compile(r"(\D*)(\d+)")


@dataclass
class Summary:
    rows_read: int = 0
    prospects: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    owners: dict[str, dict[str, int]] = field(default_factory=dict)
    cells_changed: int = 0
    rows_changed: int = 0
    ids_assigned: int = 0


@dataclass
class SyncResult:
    plan: WritePlan
    #: one row per data row: Next Contact, Next Action, Flag, Why, Attempts (None = blank)
    table: pd.DataFrame
    summary: Summary
    layout: Layout
    ids: list[str]


def _column(rows: Sequence[Sequence[Cell]], col: int | None, n: int) -> list[Cell]:
    if col is None:
        return [None] * n
    return [row[col] if col < len(row) else None for row in rows]


def _assign_ids(ids: list[str], blank: np.ndarray) -> int:
    """Fill blank IDs of non-blank rows, continuing the sheet's own pattern (P-1041 after
    P-1040; P0001 in a sheet without IDs), so a new ID never collides with one in use."""
    patterns = Counter(m[1] for i in ids if (m := _NUMBERED_ID.fullmatch(i)))
    prefix = patterns.most_common(1)[0][0] if patterns else "P"
    numbered = [m for i in ids if (m := _NUMBERED_ID.fullmatch(i)) and m[1] == prefix]
    next_number = max((int(m[2]) for m in numbered), default=0) + 1
    width = max((len(m[2]) for m in numbered), default=4)
    in_use = set(ids)
    assigned = 0
    for row, row_id in enumerate(ids):
        if not row_id and not blank[row]:
            while (new_id := f"{prefix}{next_number:0{width}d}") in in_use:
                next_number += 1
            ids[row] = new_id
            in_use.add(new_id)
            next_number += 1
            assigned += 1
    return assigned


def _duplicates(ids: Sequence[str], blank: np.ndarray, problems: Problems) -> np.ndarray:
    counts = Counter(i for i, b in zip(ids, blank, strict=True) if i and not b)
    dup = np.array(
        [bool(i) and counts[i] > 1 and not b for i, b in zip(ids, blank, strict=True)], dtype=bool
    )
    for row in np.flatnonzero(dup):
        problems.add(row, f"ID {quote(ids[row])} is used by {counts[ids[row]]} rows")
    return dup


def read_prospects(
    data: SheetData, layout: Layout, config: Config
) -> tuple[Prospects, list[str], np.ndarray, list[str], int]:
    """Typed columns of the sheet; also the IDs (blank ones filled), the duplicate-ID mask,
    the owner display names per row and how many IDs were assigned."""
    rows, n = data.rows, len(data.rows)

    def col(name: str) -> list[Cell]:
        return _column(rows, layout.col(name), n)

    problems = Problems(n)
    who = [col(name) for name in WHO_FIELDS]
    blank = np.array([all(is_blank(c[r]) for c in who) for r in range(n)], dtype=bool)
    ids = [text_key(v) for v in col("id")]
    assigned = _assign_ids(ids, blank)
    duplicate = _duplicates(ids, blank, problems)

    owners_raw = col("owner")
    owner_keys = [owner_key(v) for v in owners_raw]
    owner_codes, _ = pd.factorize(pd.Series(owner_keys, dtype=object))
    owner_names = [" ".join(text_key(v).split()) or UNASSIGNED for v in owners_raw]

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
        attempts=counts_column(col("attempts"), "attempts", 0, None, problems),
        contact_every=counts_column(
            col("contact_every"),
            "contact_every",
            *choices.NUMBER_RANGES["contact_every"],
            problems,
        ),
    )
    prospects.problems[:] = ["; ".join(p) for p in problems.rows]
    prospects.problems[blank] = ""
    return prospects, ids, duplicate, owner_names, assigned


def _same(current: Cell, new: Cell, epoch: dt.date, is_date: bool) -> bool:
    """Does the cell already show ``new``? (A date read back as a serial number counts.)"""
    if new is None:
        return is_blank(current)
    if is_date:
        if isinstance(current, str) or current is None:
            return False
        return parse_date(current, epoch, "MDY") == new
    if isinstance(new, int):
        return (
            isinstance(current, int | float)
            and not isinstance(current, bool)
            and float(current) == new
        )
    return isinstance(current, str) and current == new


def plan_sync(data: SheetData, config: Config, today: dt.date) -> SyncResult:
    """Decide every row of ``data`` and plan the cells to write."""
    data_width = max((len(r) for r in data.rows), default=0)
    layout = match_headers(data.headers, config.columns, data_width=data_width)
    prospects, ids, duplicate, owner_names, assigned = read_prospects(data, layout, config)
    n = len(prospects)

    records = memory.parse(data.memory)
    remembered = memory.align(records, data.title, ids, ~duplicate)
    years = _years(prospects, today)
    decisions = decide(prospects, remembered, config.rules, today, Calendar(config.rules, years))

    next_contact = [None if np.isnat(d) else d.astype(dt.date) for d in decisions.next_contact]
    attempts = [None if np.isnan(a) else int(a) for a in decisions.attempts]
    outputs: dict[str, list[Any]] = {
        "next_contact": next_contact,
        "next_action": list(decisions.action),
        "flag": list(decisions.flag),
        "why": list(decisions.why),
        "attempts": attempts,
    }
    table = pd.DataFrame(
        {FIELD_HEADERS[name][0]: outputs[name] for name in OUTPUT_FIELDS}, dtype=object
    )

    cells: dict[tuple[int, int], Cell] = {}
    for col, header in layout.created:
        cells[(0, col)] = header
    check = decisions.flag == "CHECK"
    for name in OUTPUT_FIELDS:
        col = layout.columns[name]
        current = _column(data.rows, col, n)
        is_date = name == "next_contact"
        for row, new in enumerate(outputs[name]):
            if name == "attempts" and check[row]:
                continue  # a CHECK row's Attempts is the rep's to fix
            if not _same(current[row], new, data.epoch, is_date):
                cells[(row + 1, col)] = new
    id_col = layout.columns["id"]
    current_ids = _column(data.rows, id_col, n)
    for row in range(n):
        if ids[row] and is_blank(current_ids[row]):
            cells[(row + 1, id_col)] = ids[row]

    new_records = dict(records)
    for key in [k for k in records if k[0] == data.title]:
        del new_records[key]
    kept_ids = set(ids)
    for key, record in records.items():
        # a CHECK row keeps what was remembered until its data is fixed
        if key[0] == data.title and key[1] in kept_ids:
            new_records[key] = record
    new_records.update(memory.records_for(data.title, ids, decisions.memory))
    memory_changed = {k: memory.normalized(v) for k, v in new_records.items()} != {
        k: memory.normalized(v) for k, v in records.items()
    }

    flags = [f for f in decisions.flag if f is not None]
    owners: dict[str, Counter[str]] = {}
    owner_display: dict[str, str] = {}
    for row in np.flatnonzero(~prospects.blank):
        key = owner_key(owner_names[row]) if owner_names[row] != UNASSIGNED else ""
        name = owner_display.setdefault(key, owner_names[row])
        owners.setdefault(name, Counter())[decisions.flag[row]] += 1
    summary = Summary(
        rows_read=n,
        prospects=int((~prospects.blank).sum()),
        flags={f: c for f in choices.FLAGS if (c := flags.count(f))},
        owners={o: dict(sorted(c.items())) for o, c in sorted(owners.items())},
        cells_changed=len(cells),
        rows_changed=len({r for r, _ in cells if r > 0}),
        ids_assigned=assigned,
    )
    owner_col = layout.col("owner")
    plan = WritePlan(
        cells=cells,
        width=layout.width,
        height=n + 1,
        flag_col=layout.columns["flag"],
        id_col=id_col,
        date_cols=(layout.columns["next_contact"],),
        date_format=config.date_format,
        memory=memory.to_rows(new_records) if memory_changed else None,
        highlight=HIGHLIGHT,
        ids=[text_key(v) for v in current_ids],
        owner_col=owner_col,
        owners=tuple(o for o in owner_display.values() if o != UNASSIGNED)
        if owner_col is not None
        else (),
    )
    return SyncResult(plan=plan, table=table, summary=summary, layout=layout, ids=ids)


def _years(prospects: Prospects, today: dt.date) -> range:
    """The years whose holidays a decision can touch."""
    dates = np.concatenate([prospects.last_contact, prospects.note_sent, prospects.call_back])
    dates = dates[~np.isnat(dates)]
    first = int(str(dates.min())[:4]) if len(dates) else today.year
    last = int(str(dates.max())[:4]) if len(dates) else today.year
    return range(max(min(first, today.year - 1), 1900), max(last, today.year) + 3)
