"""Helpers for the rule tests (``tests/test_rules.py``), in the manner of holidays' ``tests/common.py``.

They build a sheet from readable rows, plan or sync it, and read a row back as plain values.
Nothing here computes an expected value: every expected date in the rule tables is worked out by
hand from the README's rules, and so is every expected Why.

Dates in the tables are ISO text (``"2026-11-24"``). In the date columns of a row built by
:func:`r` (and in :func:`edit`), ISO text becomes a real date cell, the way a rep's sheet holds
it; the text forms of dates are tested on their own, with raw cells.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pytest

from sheetsync.config import Config, parse_config
from sheetsync.sources.base import EPOCH_1900, SheetData
from sheetsync.sources.inmemory import InMemorySource
from sheetsync.sync import plan_sync, sync_source

# -- flags and actions, spelled once ---------------------------------------------------------

OVERDUE, DUE, SCHEDULED = "OVERDUE", "DUE", "SCHEDULED"
CARD, QUEUED, CUT = "CARD", "QUEUED", "CUT"
DNC, CLOSED, CHECK = "DNC", "CLOSED", "CHECK"
FLAGS = (OVERDUE, DUE, SCHEDULED, CARD, QUEUED, CUT, DNC, CLOSED, CHECK)

CALL = "Call"
EMAIL = "Email"
FOLLOW_UP_EMAIL = "Follow-up email"
NOTE = "Hand-written note"
NOTE_CALL = "Call (note follow-up)"
CHECK_IN = "Check-in call"
RETRY = "Re-try call"
CALL_BACK = "Call back (requested)"

#: the columns of ``plan_sync(...).table``
OWNED = ("Next Contact", "Next Action", "Flag", "Why", "Attempts")
#: columns whose ISO text is turned into a real date cell by :func:`r` and :func:`edit`
DATE_HEADERS = ("Last Contact", "Note Sent", "Call Back", "Next Contact")

# -- configs ---------------------------------------------------------------------------------

DEFAULT = Config()
US = parse_config({"rules": {"holidays": "US"}})
DMY = parse_config({"date_order": "DMY"})

#: Tuesday, the "today" of most cases
TUE = "2026-11-24"


def d(text: str | None) -> dt.date | None:
    """``"2026-11-24"`` -> ``dt.date(2026, 11, 24)``; None stays None."""
    return None if text is None else dt.date.fromisoformat(text)


def cases(table: Sequence[tuple[Any, ...]]) -> list[Any]:
    """A rule table whose first column names the case -> pytest params with readable ids."""
    return [pytest.param(*row[1:], id=row[0]) for row in table]


# -- building sheets ---------------------------------------------------------------------------


def _header(key: str) -> str:
    return "ID" if key == "id" else key.replace("_", " ").title()


def _cell(header: str, value: Any) -> Any:
    if header in DATE_HEADERS and isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # an impossible ISO date stays text, for the CHECK cases
    return value


def r(
    stage: str | None = None,
    last_contact: Any = None,
    outcome: str | None = None,
    /,
    **more: Any,
) -> dict[str, Any]:
    """One prospect (ID P1, company Acme, owner Dana) as ``{header: cell}``.

    Keywords name other headers with ``_`` for a space: ``contact_every=7`` is ``Contact Every``,
    ``do_not_contact="x"`` is ``Do Not Contact``, ``id="P2"`` is ``ID``.
    """
    cells: dict[str, Any] = {
        "ID": "P1",
        "Company": "Acme",
        "Owner": "Dana",
        "Stage": stage,
        "Last Contact": _cell("Last Contact", last_contact),
        "Last Outcome": outcome,
    }
    for key, value in more.items():
        header = _header(key)
        cells[header] = _cell(header, value)
    return cells


def sheet(*rows: Mapping[str, Any], epoch: dt.date = EPOCH_1900) -> SheetData:
    """A worksheet whose headers are the union of the rows' keys (first seen first)."""
    headers: list[str] = []
    for row in rows:
        headers += [h for h in row if h not in headers]
    if "Last Contact" not in headers:
        headers.append("Last Contact")
    return SheetData(
        title="Prospects",
        headers=list(headers),
        rows=[[row.get(h) for h in headers] for row in rows],
        epoch=epoch,
    )


# -- reading results back ----------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """A table value as a plain Python value: NaN/NaT/NA -> None, Timestamp -> date, int64 -> int."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # pd.Timestamp included
        return value.date()
    if isinstance(value, dt.date | str | bool):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def table_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{c: _clean(table[c].iloc[i]) for c in OWNED} for i in range(len(table))]


def plan(data: SheetData, today: str, config: Config = DEFAULT) -> list[dict[str, Any]]:
    """``plan_sync`` of a whole sheet -> one dict of owned values per data row."""
    result = plan_sync(data, config, d(today))
    rows = table_rows(result.table)
    assert len(rows) == len(data.rows), "one table row per data row"
    return rows


def plan_one(
    cells: Mapping[str, Any], today: str, config: Config = DEFAULT, epoch: dt.date = EPOCH_1900
) -> dict[str, Any]:
    return plan(sheet(cells, epoch=epoch), today, config)[0]


def assert_consistent(row: Mapping[str, Any]) -> None:
    """What the README's flag table says every row of a given flag gets."""
    flag = row["Flag"]
    if flag is None:  # a blank row: skipped, owned values cleared
        assert all(row[c] is None for c in OWNED), row
        return
    assert flag in FLAGS, row
    why = row["Why"]
    assert isinstance(why, str) and why.strip(), f"every decision carries its reason: {row}"
    assert not why.startswith(("=", "+", "-", "@")), f"Why must never read as a formula: {why!r}"
    if flag in (DNC, CLOSED, CHECK):
        assert (row["Next Contact"], row["Next Action"]) == (None, None), row
    if flag in (CARD, QUEUED):
        assert row["Next Action"] == NOTE, row
    if flag == CUT:
        assert row["Next Action"] is None, row
    if flag in (OVERDUE, DUE, SCHEDULED, CARD, QUEUED):
        assert isinstance(row["Next Contact"], dt.date), row


def expect(
    cells: Mapping[str, Any],
    today: str,
    next_contact: str | None,
    flag: str,
    action: str | None,
    why: str,
    config: Config = DEFAULT,
    epoch: dt.date = EPOCH_1900,
) -> dict[str, Any]:
    """Plan one row and check (Next Contact, Flag, Next Action) and the exact Why; returns the
    row for more checks."""
    row = plan_one(cells, today, config, epoch)
    got = (row["Next Contact"], row["Flag"], row["Next Action"])
    assert got == (d(next_contact), flag, action), f"Why: {row['Why']!r}"
    assert row["Why"] == why
    assert_consistent(row)
    return row


# -- several syncs of one sheet (the tool's memory) ------------------------------------------


def source(*rows: Mapping[str, Any]) -> InMemorySource:
    return InMemorySource(sheet(*rows))


def sync(src: InMemorySource, today: str, config: Config = DEFAULT) -> Any:
    return sync_source(src, config, d(today))


def col(src: InMemorySource, header: str) -> int:
    headers = [str(h or "").strip().casefold() for h in src.data.headers]
    return headers.index(header.casefold())


def _row(src: InMemorySource, row_id: str) -> list[Any]:
    ids = col(src, "ID")
    found = [row for row in src.data.rows if len(row) > ids and row[ids] == row_id]
    assert len(found) == 1, f"one row with ID {row_id!r}"
    return found[0]


def written(src: InMemorySource, row_id: str, header: str) -> Any:
    """The cell of the row with ID ``row_id`` under ``header``, as the sheet now holds it."""
    row, c = _row(src, row_id), col(src, header)
    value = row[c] if c < len(row) else None
    return None if value == "" else _clean(value)


def edit(src: InMemorySource, row_id: str, cells: Mapping[str, Any]) -> None:
    """A rep edits cells of one row (ISO text in date columns becomes a date cell)."""
    row = _row(src, row_id)
    for header, value in cells.items():
        c = col(src, header)
        row.extend([None] * (c + 1 - len(row)))
        row[c] = _cell(header, value)


def add_row(src: InMemorySource, cells: Mapping[str, Any]) -> None:
    """A rep adds a row at the bottom of the sheet."""
    headers = [str(h or "") for h in src.data.headers]
    assert set(cells) <= set(headers), "add_row only fills existing columns"
    src.data.rows.append([_cell(h, cells.get(h)) for h in headers])


def planned(
    src: InMemorySource, row_id: str, today: str, config: Config = DEFAULT
) -> dict[str, Any]:
    """A fresh plan of the sheet as it is now (memory included), for the row ``row_id``."""
    data = src.read()
    ids = col(src, "ID")
    index = [i for i, row in enumerate(data.rows) if len(row) > ids and row[ids] == row_id]
    assert len(index) == 1, f"one row with ID {row_id!r}"
    row = plan(data, today, config)[index[0]]
    assert_consistent(row)
    return row


def flag_and_date(src: InMemorySource, row_id: str) -> tuple[Any, Any, Any]:
    """(Flag, Next Contact, Next Action) as written into the sheet."""
    return (
        written(src, row_id, "Flag"),
        written(src, row_id, "Next Contact"),
        written(src, row_id, "Next Action"),
    )
