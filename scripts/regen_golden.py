"""Regenerate tests/golden/: the demo sheet's whole output on fixed days, as CSV.

Usage: python scripts/regen_golden.py [--check]

Each file holds, per demo row, ID (as filled by the sync), Company, Owner and the five columns
the tool writes (Next Contact, Next Action, Flag, Why, Attempts); dates are ISO. A rule change
shows up as a diff of these files: run this script, read the diff, commit it if it is meant.
``--check`` writes nothing and exits 1 when a file is out of date (tests/test_golden.py does
the same with a readable diff).

The days: a Monday, a Wednesday and a Saturday (no new cards on a weekend). One more file
syncs the demo on the Monday, applies a day of the reps' work (calls logged, a note sent, an
Attempts typed over), and syncs again on the Wednesday, so what the tool remembers between
syncs is in the golden output too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sheetsync.config import Config
from sheetsync.demo_data import demo_rows
from sheetsync.plan import SyncResult
from sheetsync.sources.base import SheetData
from sheetsync.sources.inmemory import InMemorySource
from sheetsync.sync import plan_sync

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"
MONDAY, WEDNESDAY, SATURDAY = dt.date(2026, 11, 23), dt.date(2026, 11, 25), dt.date(2026, 11, 28)
DAYS = (MONDAY, WEDNESDAY, SATURDAY)
COLUMNS = ("ID", "Company", "Owner", "Next Contact", "Next Action", "Flag", "Why", "Attempts")

#: the reps' Tuesday, between the Monday and the Wednesday sync: company -> cells they typed
TUESDAY = MONDAY + dt.timedelta(days=1)
REP_EDITS: dict[str, dict[str, Any]] = {
    # a first call, unanswered: one attempt, then the follow-up email step
    "Northwind Fixtures": {"Last Contact": TUESDAY, "Last Outcome": "No answer"},
    # another voicemail on an open chase: the tool counts it (1 -> 2)
    "Copperleaf Dental Group": {"Last Contact": TUESDAY, "Last Outcome": "Voicemail"},
    # a conversation ends the chase: Attempts back to 0
    "Redstone Metalworks": {"Last Contact": TUESDAY, "Last Outcome": "Connected"},
    # the card was written and mailed: the note follow-up call is booked
    "Brightwater Pools": {"Note Sent": TUESDAY},
    # the customer check-in happened
    "Kestrel Aviation Services": {"Last Contact": TUESDAY, "Last Outcome": "Meeting"},
    # a rep types the count by hand: the typed value wins, nothing added
    "Harbor Point Logistics": {"Attempts": 1},
    # a lost prospect asks to be called back in January
    "Willow Creek Clinics": {
        "Last Contact": TUESDAY,
        "Last Outcome": "Not now",
        "Call Back": dt.date(2027, 1, 11),
    },
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_csv(headers: Sequence[Any], rows: Sequence[Sequence[Any]], result: SyncResult) -> str:
    """The golden CSV of one sync: the row's identity and the tool's five answers."""
    company, owner = headers.index("Company"), headers.index("Owner")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for index, answers in enumerate(result.table.to_dict("records")):
        row = rows[index]
        writer.writerow(
            [
                result.ids[index],
                _text(row[company] if company < len(row) else None),
                _text(row[owner] if owner < len(row) else None),
                *(_text(answers[name]) for name in COLUMNS[3:]),
            ]
        )
    return out.getvalue()


def one_sync(today: dt.date) -> str:
    headers, rows = demo_rows(today)
    result = plan_sync(SheetData("Prospects", headers, rows), Config(), today)
    return to_csv(headers, rows, result)


def apply_edits(source: InMemorySource, edits: dict[str, dict[str, Any]]) -> None:
    headers = list(source.data.headers)
    company = headers.index("Company")
    for row in source.data.rows:
        for column, value in edits.get(_text(row[company] if row else None), {}).items():
            col = headers.index(column)
            row.extend([None] * (col + 1 - len(row)))
            row[col] = value


def two_syncs() -> str:
    """Monday's sync, the reps' Tuesday, Wednesday's sync (the demo built for Monday)."""
    headers, rows = demo_rows(MONDAY)
    source = InMemorySource(SheetData("Prospects", headers, rows))
    source.write(plan_sync(source.read(), Config(), MONDAY).plan)
    apply_edits(source, REP_EDITS)
    data = source.read()
    result = plan_sync(data, Config(), WEDNESDAY)
    return to_csv(data.headers, data.rows, result)


def golden_files() -> dict[Path, str]:
    """Every golden file's path and the contents it should have."""
    files = {GOLDEN_DIR / f"demo-{day.isoformat()}.csv": one_sync(day) for day in DAYS}
    name = f"demo-{MONDAY.isoformat()}-then-{WEDNESDAY.isoformat()}.csv"
    files[GOLDEN_DIR / name] = two_syncs()
    return files


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print(__doc__, file=sys.stderr)
        return 2
    stale = []
    for path, text in golden_files().items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        print(f"{'out of date' if check else 'wrote'} {path}")
    if not stale:
        print("golden files are up to date")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
