"""Stage 5 of a sync, report: the counts, the human summary, the JSON object and the
dry-run diff."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sheetsync import choices
from sheetsync.cellvalues import text_key
from sheetsync.level import Overload, overload_lines
from sheetsync.schema import col_letter
from sheetsync.sources.base import PlanCells

if TYPE_CHECKING:
    from sheetsync.read import Sheet
    from sheetsync.sync import SyncRun


@dataclass
class Summary:
    rows_read: int = 0
    prospects: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    owners: dict[str, dict[str, int]] = field(default_factory=dict)
    cells_changed: int = 0
    rows_changed: int = 0
    ids_assigned: int = 0
    #: days over a rep's capacity (``sheetsync.level.Overload.as_dict``)
    overloads: list[dict[str, Any]] = field(default_factory=list)


def summarize(sheet: Sheet, flags: np.ndarray, cells: PlanCells) -> Summary:
    """Counts per flag and per owner (shown by the first spelling of each owner)."""
    prospects = sheet.prospects
    rows = np.flatnonzero(~prospects.blank)
    flag_of = flags[rows].tolist()
    pairs = Counter(zip(prospects.owner[rows].tolist(), flag_of, strict=True))
    codes, first = np.unique(prospects.owner[rows], return_index=True)
    owners = {}
    for code, at in zip(codes.tolist(), first.tolist(), strict=True):
        name = sheet.owner_names[int(rows[at])]
        owners[name] = {f: pairs[code, f] for f in choices.FLAGS if pairs.get((code, f))}
    totals = Counter(flag_of)
    return Summary(
        rows_read=len(prospects),
        prospects=len(rows),
        flags={f: totals[f] for f in choices.FLAGS if totals.get(f)},
        owners=dict(sorted(owners.items())),
        cells_changed=len(cells),
        rows_changed=len(set().union(*(rows for rows, _ in cells.columns.values())) - {0}),
        ids_assigned=len(sheet.assigned),
    )


def as_dict(report: SyncRun) -> dict[str, Any]:
    """The ``--json`` object of one source (keys documented in the README)."""
    s = report.summary
    return {
        "source": report.source,
        "dry_run": report.dry_run,
        "rows_read": s.rows_read,
        "prospects": s.prospects,
        "flags": {f: s.flags.get(f, 0) for f in choices.FLAGS},
        "owners": s.owners,
        "cells_written": 0 if report.dry_run else s.cells_changed,
        "cells_changed": s.cells_changed,
        "rows_changed": s.rows_changed,
        "ids_assigned": s.ids_assigned,
        "duration_seconds": round(report.seconds, 3),
        "warnings": report.warnings,
        "overloads": s.overloads,
    }


def to_json(
    reports: list[SyncRun],
    errors: list[dict[str, str]],
    deliveries: dict[str, dict[str, Any]] | None = None,
) -> str:
    """``deliveries``: source -> what its digests did (``notified``, ``not_notified``)."""
    sources = [as_dict(r) | (deliveries or {}).get(r.source, {}) for r in reports]
    return json.dumps({"sources": sources, "errors": errors}, ensure_ascii=False)


def summary_lines(report: SyncRun, label: str | None = None) -> list[str]:
    """The short plain-text summary of one source (``label``: how the user named it)."""
    s = report.summary
    lines = [f"{label or report.source}: {s.rows_read} rows read, {s.prospects} prospects"]
    if s.flags:
        lines.append("  " + "  ".join(f"{f} {s.flags[f]}" for f in choices.FLAGS if f in s.flags))
    for owner, counts in s.owners.items():
        shown = ", ".join(f"{f} {counts[f]}" for f in choices.FLAGS if f in counts)
        lines.append(f"  {owner}: {shown}")
    lines += [f"  {line}" for line in overload_lines([Overload.from_dict(o) for o in s.overloads])]
    if report.dry_run:
        lines.append(f"  would change {s.cells_changed} cells in {s.rows_changed} rows")
    elif s.cells_changed:
        lines.append(f"  {s.cells_changed} cells written in {s.rows_changed} rows")
    else:
        lines.append("  nothing to change")
    return lines


def print_table(report: SyncRun, label: str | None = None) -> None:
    """The summary as a table, for a person at a terminal (rich)."""
    from rich.console import Console
    from rich.table import Table

    s = report.summary
    shown = [f for f in choices.FLAGS if f in s.flags]
    table = Table(
        title=f"{label or report.source}: {s.rows_read} rows read, {s.prospects} prospects"
    )
    table.add_column("Owner")
    for flag in shown:
        table.add_column(flag, justify="right")
    for owner, counts in s.owners.items():
        table.add_row(owner, *(str(counts.get(f, "")) for f in shown))
    table.add_row("All", *(str(s.flags[f]) for f in shown), style="bold")
    console = Console()
    console.print(table)
    console.print(summary_lines(report)[-1].strip())


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, dt.datetime):
        value = value.date()
    return text_key(value) if not isinstance(value, dt.date) else value.isoformat()


def diff_lines(report: SyncRun) -> list[str]:
    """The dry-run's changes: row ID, column, before -> after."""
    headers, rows = report.data.headers, report.data.rows
    plan = report.result.plan
    ids = report.result.ids
    created = dict(report.result.layout.created)
    out = []
    for (row, col), after in sorted(plan.cells.items()):
        if row == 0:
            out.append(f"  header {col_letter(col)}: add column {after!r}")
            continue
        line = rows[row - 1] if row - 1 < len(rows) else []
        before = line[col] if col < len(line) else None
        header = created.get(col) or (headers[col] if col < len(headers) else col_letter(col))
        row_id = ids[row - 1] or f"row {row + 1}"
        out.append(f"  {row_id} {header}: {_show(before)} -> {_show(after)}")
    return out
