"""Stage 3 of a sync, plan: the decisions -> the owned cells to write (a WritePlan), diffed
against what the sheet already holds, and the memory records to keep. Pure: no clock, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import compress
from typing import TYPE_CHECKING, Any

import numpy as np

from sheetsync import remembered
from sheetsync.cellvalues import is_blank, parse_date
from sheetsync.config import Config
from sheetsync.decide import SheetDecisions
from sheetsync.highlight import HIGHLIGHT
from sheetsync.read import UNASSIGNED, Sheet, column
from sheetsync.report import Summary, summarize
from sheetsync.schema import FIELD_HEADERS, Layout
from sheetsync.sources.base import Cell, ColumnChanges, PlanCells, SheetData, WritePlan

if TYPE_CHECKING:
    import pandas as pd

#: the tool's output columns, in the order the result table shows them
OUTPUT_FIELDS = ("next_contact", "next_action", "flag", "why", "attempts")


@dataclass
class SyncResult:
    plan: WritePlan
    #: the tool's output columns (OUTPUT_FIELDS), one value per data row (None = blank)
    outputs: dict[str, list[Any]]
    summary: Summary
    layout: Layout
    ids: list[str]
    #: the stages this plan was made from (the digest lists each rep's rows from them)
    sheet: Sheet
    decided: SheetDecisions

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per data row: Next Contact, Next Action, Flag, Why, Attempts (None =
        blank). (pandas is imported here, for whoever wants a frame: a sync needs none.)"""
        from pandas import DataFrame

        return DataFrame(
            {FIELD_HEADERS[name][0]: self.outputs[name] for name in OUTPUT_FIELDS}, dtype=object
        )


def plan_writes(
    data: SheetData, sheet: Sheet, decided: SheetDecisions, config: Config
) -> SyncResult:
    """The cells, memory and highlighting to write for ``decided``."""
    decisions, records, layout, ids = decided.decisions, decided.records, sheet.layout, sheet.ids
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
    new_records.update(remembered.records_for(data.title, ids, decisions.memory))
    remember = new_records != records
    # the records as read were only to diff against: let go of them before the memory's text
    # is made (the next day's 100,000 rows: both sets and the text lived at once, the peak)
    del records
    decided = replace(decided, records={})
    summary = summarize(sheet, decisions.flag, cells)
    summary.overloads = [o.as_dict() for o in decided.overloads]
    owner_col = layout.col("owner")
    plan = WritePlan(
        cells=cells,
        width=layout.width,
        height=len(ids) + 1,
        flag_col=layout.columns["flag"],
        id_col=layout.columns["id"],
        date_cols=(layout.columns["next_contact"],),
        date_format=config.date_format,
        memory=remembered.to_rows(new_records) if remember else None,
        highlight=HIGHLIGHT,
        ids=sheet.read_ids,
        owner_col=owner_col,
        owners=tuple(o for o in summary.owners if o != UNASSIGNED) if owner_col is not None else (),
    )
    return SyncResult(
        plan=plan,
        outputs=outputs,
        summary=summary,
        layout=layout,
        ids=ids,
        sheet=sheet,
        decided=decided,
    )


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
        current = column(data.rows, col, n)
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


def _one_object_each(values: list[Any]) -> list[Any]:
    """``values`` with equal values as one object (a few hundred dates for 100,000 rows: less
    memory, and one pickle each when the checks are sent to a child process)."""
    first: dict[Any, Any] = {}
    return list(map(first.setdefault, values, values))
