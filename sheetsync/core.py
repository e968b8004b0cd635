"""From a worksheet's raw cells to a WritePlan: header matching, cell parsing, IDs, memory,
the engine, and the diff against what the sheet already holds. Pure: no clock, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from sheetsync import choices, memory
from sheetsync.cells import (
    Problems,
    choices_column,
    counts_column,
    dates_column,
    flags_column,
    is_blank,
    map_unique,
    owner_key,
    parse_date,
    quote,
    text_key,
)
from sheetsync.codes import factorize
from sheetsync.config import Config
from sheetsync.engine import Prospects, decide
from sheetsync.highlight import HIGHLIGHT
from sheetsync.level import apply_levelling, sheet_next_contact
from sheetsync.schema import FIELD_HEADERS, WHO_FIELDS, Layout, match_headers
from sheetsync.sources.base import Cell, ColumnChanges, PlanCells, SheetData, WritePlan
from sheetsync.workdays import Calendar

if TYPE_CHECKING:
    import pandas as pd

#: the tool's output columns, in the order the result table shows them
OUTPUT_FIELDS = ("next_contact", "next_action", "flag", "why", "attempts")
UNASSIGNED = "(unassigned)"
#: text starting with one of these is a formula to a spreadsheet (and to a CSV reader)
FORMULA_START = ("=", "+", "-", "@")
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
    #: days over a rep's capacity (sheetsync.level.Overload.as_dict)
    overloads: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SyncResult:
    plan: WritePlan
    #: the tool's output columns (OUTPUT_FIELDS), one value per data row (None = blank)
    outputs: dict[str, list[Any]]
    summary: Summary
    layout: Layout
    ids: list[str]

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per data row: Next Contact, Next Action, Flag, Why, Attempts (None =
        blank). (pandas is imported here, for whoever wants a frame: a sync needs none.)"""
        from pandas import DataFrame

        return DataFrame(
            {FIELD_HEADERS[name][0]: self.outputs[name] for name in OUTPUT_FIELDS}, dtype=object
        )


def _column(rows: Sequence[Sequence[Cell]], col: int | None, n: int) -> list[Cell]:
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
        left = left[[is_blank(values[row]) for row in left]]
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
    counts = Counter(i for i, b in zip(ids, blank, strict=True) if i and not b)
    dup = np.array(
        [bool(i) and counts[i] > 1 and not b for i, b in zip(ids, blank, strict=True)], dtype=bool
    )
    for row in np.flatnonzero(dup):
        problems.add(row, f"ID {quote(ids[row])} is used by {counts[ids[row]]} rows")
    return dup


@dataclass
class Sheet:
    """A worksheet read into typed columns."""

    prospects: Prospects
    #: IDs as read (text), and after blank ones were filled
    read_ids: list[str]
    ids: list[str]
    #: rows whose ID was filled, rows sharing an ID, each row's owner as first spelled
    assigned: list[int]
    duplicate: np.ndarray
    owner_names: list[str]


def read_prospects(data: SheetData, layout: Layout, config: Config) -> Sheet:
    """Typed columns of the sheet, with its IDs (blank ones filled) and owners."""
    rows, n = data.rows, len(data.rows)

    def col(name: str) -> list[Cell]:
        return _column(rows, layout.col(name), n)

    problems = Problems(n)
    blank = _blank_rows([col(f) for f in WHO_FIELDS if layout.col(f) is not None], n)
    read_ids = map_unique(col("id"), text_key)
    ids = list(read_ids)
    assigned = _assign_ids(ids, blank)
    duplicate = _duplicates(ids, blank, problems)

    owners_raw = col("owner")
    owner_codes, _ = factorize(np.array(map_unique(owners_raw, owner_key), dtype=object))
    owner_names = map_unique(owners_raw, lambda v: " ".join(text_key(v).split()) or UNASSIGNED)

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
    return Sheet(prospects, read_ids, ids, assigned, duplicate, owner_names)


def _same_text(current: Cell, new: Cell, epoch: dt.date) -> bool:
    if new is None:
        return is_blank(current)
    return type(current) is str and current == new


def _same_count(current: Cell, new: Cell, epoch: dt.date) -> bool:
    if new is None:
        return is_blank(current)
    return type(current) in (int, float) and current == new


def _same_date(current: Cell, new: Cell, epoch: dt.date) -> bool:
    """A date cell, or a serial number read back from a date cell, showing ``new``."""
    if new is None:
        return is_blank(current)
    kind = type(current)
    if kind is dt.datetime:
        return current.date() == new  # type: ignore[union-attr]
    if kind is dt.date:
        return current == new
    if kind in (int, float):
        return parse_date(current, epoch, "MDY") == new
    return False


_SAME = {
    "next_contact": _same_date,
    "next_action": _same_text,
    "flag": _same_text,
    "why": _same_text,
    "attempts": _same_count,
}


def _changed_cells(
    data: SheetData,
    layout: Layout,
    outputs: dict[str, list[Any]],
    ids: list[str],
    assigned: list[int],
    keep: np.ndarray,
) -> PlanCells:
    """The owned cells whose value differs from the plan (``keep``: rows whose Attempts cell
    is left as the rep typed it), plus created headers and filled IDs; column by column."""
    columns: dict[int, ColumnChanges] = {col: ([0], [header]) for col, header in layout.created}
    created = set(columns)
    n = len(data.rows)

    def add(col: int, rows: list[int], values: list[Cell]) -> None:
        # data rows come after the header row: appending keeps each column's rows ascending
        old_rows, old_values = columns.setdefault(col, ([], []))
        old_rows += rows
        old_values += values

    for name in OUTPUT_FIELDS:
        col = layout.columns[name]
        if col in created:  # a created column: every value is a change
            values = outputs[name]
            given = [v is not None for v in values]
            add(col, list(compress(range(1, n + 1), given)), list(compress(values, given)))
            continue
        same = _SAME[name]
        current = _column(data.rows, col, n)
        rows, new_values = [], []
        for row, (cur, new) in enumerate(zip(current, outputs[name], strict=True)):
            if cur is new or (cur == new and type(cur) is type(new)):
                continue
            if not same(cur, new, data.epoch) and not (name == "attempts" and keep[row]):
                rows.append(row + 1)
                new_values.append(new)
        add(col, rows, new_values)
    add(layout.columns["id"], [row + 1 for row in assigned], [ids[row] for row in assigned])
    return PlanCells(columns)


def _summary(
    prospects: Prospects,
    flags: np.ndarray,
    owner_names: list[str],
    cells: PlanCells,
    assigned: int,
) -> Summary:
    """Counts per flag and per owner (shown by the first spelling of each owner)."""
    rows = np.flatnonzero(~prospects.blank)
    flag_of = flags[rows].tolist()
    pairs = Counter(zip(prospects.owner[rows].tolist(), flag_of, strict=True))
    codes, first = np.unique(prospects.owner[rows], return_index=True)
    owners = {}
    for code, at in zip(codes.tolist(), first.tolist(), strict=True):
        name = owner_names[int(rows[at])]
        owners[name] = {f: pairs[code, f] for f in choices.FLAGS if pairs.get((code, f))}
    totals = Counter(flag_of)
    return Summary(
        rows_read=len(prospects),
        prospects=len(rows),
        flags={f: totals[f] for f in choices.FLAGS if totals.get(f)},
        owners=dict(sorted(owners.items())),
        cells_changed=len(cells),
        rows_changed=len(set().union(*(rows for rows, _ in cells.columns.values())) - {0}),
        ids_assigned=assigned,
    )


def plan_sync(data: SheetData, config: Config, today: dt.date) -> SyncResult:
    """Decide every row of ``data`` and plan the cells to write."""
    data_width = max((len(r) for r in data.rows), default=0)
    layout = match_headers(data.headers, config.columns, data_width=data_width)
    sheet = read_prospects(data, layout, config)
    prospects, ids = sheet.prospects, sheet.ids
    n = len(prospects)

    records = memory.parse(data.memory)
    remembered = memory.align(records, data.title, ids, ~sheet.duplicate)
    years = _years(prospects, today)
    calendar = Calendar(config.rules, years)
    decisions = decide(prospects, remembered, config.rules, today, calendar)
    decisions, overloads = apply_levelling(
        decisions,
        prospects,
        sheet_next_contact(data, layout, config),
        config,
        today,
        sheet.owner_names,
        calendar,
    )

    outputs: dict[str, list[Any]] = {
        "next_contact": _one_object_each(decisions.next_contact.astype(object).tolist()),
        "next_action": decisions.action.tolist(),
        "flag": decisions.flag.tolist(),
        "why": decisions.why.tolist(),
        "attempts": [None if a != a else int(a) for a in decisions.attempts.tolist()],
    }
    # A CHECK row's Attempts is the rep's to fix: left as typed.
    cells = _changed_cells(data, layout, outputs, ids, sheet.assigned, decisions.flag == "CHECK")

    # Records of this sheet: the new ones, and the old ones of rows still present but not
    # decided (CHECK) until their data is fixed; other sheets' records stay as they are.
    present = set(ids)
    new_records = {
        key: record for key, record in records.items() if key[0] != data.title or key[1] in present
    }
    new_records.update(memory.records_for(data.title, ids, decisions.memory))
    summary = _summary(prospects, decisions.flag, sheet.owner_names, cells, len(sheet.assigned))
    summary.overloads = [o.as_dict() for o in overloads]
    owner_col = layout.col("owner")
    id_col = layout.columns["id"]
    plan = WritePlan(
        cells=cells,
        width=layout.width,
        height=n + 1,
        flag_col=layout.columns["flag"],
        id_col=id_col,
        date_cols=(layout.columns["next_contact"],),
        date_format=config.date_format,
        memory=memory.to_rows(new_records) if new_records != records else None,
        highlight=HIGHLIGHT,
        ids=sheet.read_ids,
        owner_col=owner_col,
        owners=tuple(o for o in summary.owners if o != UNASSIGNED) if owner_col is not None else (),
    )
    return SyncResult(plan=plan, outputs=outputs, summary=summary, layout=layout, ids=ids)


def _one_object_each(values: list[Any]) -> list[Any]:
    """``values`` with equal values as one object (a few hundred dates for 100,000 rows: less
    memory, and one pickle each when the checks are sent to a child process)."""
    first: dict[Any, Any] = {}
    return list(map(first.setdefault, values, values))


def _years(prospects: Prospects, today: dt.date) -> range:
    """The years whose holidays a decision can touch."""
    dates = np.concatenate([prospects.last_contact, prospects.note_sent, prospects.call_back])
    dates = dates[~np.isnat(dates)]
    first = int(str(dates.min())[:4]) if len(dates) else today.year
    last = int(str(dates.max())[:4]) if len(dates) else today.year
    return range(max(min(first, today.year - 1), 1900), max(last, today.year) + 3)
