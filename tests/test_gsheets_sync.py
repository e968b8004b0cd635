"""The whole sync through Google Sheets: the CLI against the local Sheets API server gives the
same answers as through an Excel workbook, in at most 4 requests, and nothing on a re-sync."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from fakesheets import FakeSheets, serve

from sheetsync.cli import main
from sheetsync.demo_data import demo_rows, write_demo_workbook
from sheetsync.sources.base import EPOCH_1900, MEMORY_SHEET

KEY = "1SheetsyncEndToEndKey_abcdefghijklmnopqrstu"
OUTPUTS = ["ID", "Attempts", "Next Contact", "Next Action", "Flag", "Why"]
TODAY = dt.date(2026, 11, 25)  # a Wednesday


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    yield from serve(monkeypatch)


def _plain(header: str, value: Any) -> Any:
    """A cell as a rep sees it: dates as dates, whole numbers as ints, blanks as None."""
    if value in ("", None):
        return None
    if header == "Next Contact" and isinstance(value, int | float):
        return EPOCH_1900 + dt.timedelta(days=int(value))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def table(rows: list[list[Any]]) -> list[dict[str, Any]]:
    header = [str(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        padded = list(row) + [None] * (len(header) - len(row))
        out.append({h: _plain(h, padded[header.index(h)]) for h in OUTPUTS})
    return out


def google_table(fake: FakeSheets) -> list[dict[str, Any]]:
    return table(fake.values(KEY, "Prospects"))


def excel_table(path: Path) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)["Prospects"]
    return table([list(r) for r in ws.iter_rows(values_only=True)])


def sync(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["sync", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def seed_demo(fake: FakeSheets, today: dt.date) -> None:
    headers, rows = demo_rows(today)
    fake.seed(KEY, {"Prospects": [headers, *rows]})


def test_the_demo_gets_the_same_answers_in_google_sheets_and_excel(fake, tmp_path):
    seed_demo(fake, TODAY)
    google = sync(f"gsheet:{KEY}", "--today", TODAY.isoformat())["sources"][0]
    assert len(fake.batch_updates(KEY)) == 1  # one atomic write
    assert len(fake.requests()) <= 4

    book = tmp_path / "demo.xlsx"
    write_demo_workbook(book, TODAY)
    excel = sync(str(book), "--today", TODAY.isoformat())["sources"][0]

    assert google["flags"] == excel["flags"]
    assert google["owners"] == excel["owners"]
    assert google_table(fake) == excel_table(book)
    assert fake.sheet(KEY, MEMORY_SHEET).hidden


def test_a_second_sync_sends_no_write(fake):
    seed_demo(fake, TODAY)
    sync(f"gsheet:{KEY}", "--today", TODAY.isoformat())
    fake.reset_log()
    again = sync(f"gsheet:{KEY}", "--today", TODAY.isoformat())["sources"][0]
    assert again["cells_written"] == 0
    assert fake.batch_updates(KEY) == []
    assert len(fake.requests()) <= 2


def test_a_rep_records_a_touch_and_the_count_moves(fake, tmp_path):
    headers = ["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome"]
    fake.seed(
        KEY,
        {
            "Prospects": [
                headers,
                ["P1", "Acme", "Dana", "Working", dt.date(2026, 11, 2), "No answer"],
            ]
        },
    )
    sync(f"gsheet:{KEY}", "--today", "2026-11-24")
    assert google_table(fake)[0]["Attempts"] == 0
    # Dana calls again on Wednesday 2026-11-25, nobody answers: she edits two cells.
    serial = (dt.date(2026, 11, 25) - EPOCH_1900).days
    fake.set_values(KEY, "Prospects", "E2:F2", [[serial, "Voicemail"]])
    sync(f"gsheet:{KEY}", "--today", "2026-11-25")
    sync(f"gsheet:{KEY}", "--today", "2026-11-25")  # twice: never counts twice
    row = google_table(fake)[0]
    assert row["Attempts"] == 1
    assert row["Next Action"] == "Follow-up email" and row["Flag"] == "DUE"
    # Monday 2026-11-30: the email step has lapsed; next call 10-14 days after 11-25.
    sync(f"gsheet:{KEY}", "--today", "2026-11-30")
    row = google_table(fake)[0]
    assert row["Next Contact"] == dt.date(2026, 12, 7)  # Sat 12-05 rolls to Mon 12-07
    assert row["Flag"] == "SCHEDULED"
    assert row["Why"] == "Working, 1 attempt: follow up 10-14 days after 2026-11-25"


def test_formula_looking_text_stays_text(fake):
    headers = ["ID", "Company", "Last Contact", "Stage"]
    fake.seed(KEY, {"Prospects": [headers, ["P1", "=cmd|' /C calc'!A0", None, "=1+1"]]})
    sync(f"gsheet:{KEY}", "--today", "2026-11-24")
    why = fake.cell(KEY, "Prospects", "I2")
    assert why is not None
    assert google_table(fake)[0]["Flag"] == "CHECK"
    assert str(google_table(fake)[0]["Why"]).startswith("Stage")
    body = b"".join(r.body for r in fake.batch_updates(KEY))
    assert b"formulaValue" not in body


def test_the_example_key_has_every_field_and_is_refused_cleanly(monkeypatch):
    example = Path(__file__).resolve().parents[1] / "credentials.example.json"
    info = json.loads(example.read_text())
    assert set(info) >= {
        "type",
        "project_id",
        "private_key_id",
        "private_key",
        "client_email",
        "client_id",
        "auth_uri",
        "token_uri",
    }
    assert info["type"] == "service_account"
    monkeypatch.delenv("SHEETSYNC_SHEETS_ENDPOINT", raising=False)
    result = CliRunner().invoke(main, ["sync", f"gsheet:{KEY}", "--credentials", str(example)])
    assert result.exit_code == 1
    assert "private_key" in result.output and "not a valid PEM key" in result.output
    assert "FAKE-KEY" not in result.output  # the key itself is never printed


def test_a_network_failure_between_read_and_write_leaves_the_sheet_as_it_was(fake, tmp_path):
    seed_demo(fake, TODAY)
    before = fake.values(KEY, "Prospects")
    config = tmp_path / "sheetsync.toml"
    config.write_text("retry_seconds = 0.5\n")
    read_done = []

    def cut_the_line(request) -> None:
        # Once the values were read, every later request fails: the network is gone.
        if read_done:
            fake.fail_always(503)
        if "values:batchGet" in request.path:
            read_done.append(True)

    fake.on_request(cut_the_line)
    result = CliRunner().invoke(
        main, ["sync", f"gsheet:{KEY}", "--today", TODAY.isoformat(), "--config", str(config)]
    )
    assert read_done and result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    fake.hooks.clear()
    fake.clear_faults()
    assert fake.values(KEY, "Prospects") == before
    assert MEMORY_SHEET not in [s.title for s in fake.book(KEY).sheets]


def test_created_columns_get_readable_widths_in_the_same_write(fake):
    headers = ["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome"]
    fake.seed(
        KEY,
        {
            "Prospects": [
                headers,
                ["P1", "Acme", "Dana", "Working", dt.date(2026, 11, 2), "No answer"],
                ["P2", "Beta", "Eli", "New", None, None],
            ]
        },
    )
    fake.sheet(KEY, "Prospects").col_widths[1] = 250  # the rep widened Company
    sync(f"gsheet:{KEY}", "--today", TODAY.isoformat())
    assert len(fake.batch_updates(KEY)) == 1 and len(fake.requests()) <= 4
    sheet = fake.sheet(KEY, "Prospects")
    values = fake.values(KEY, "Prospects")
    created = {values[0][col]: width for col, width in sheet.col_widths.items() if col != 1}
    why = max(len(row[values[0].index("Why")]) for row in values[1:])
    # the longest value or header, 2 characters of margin, 7 pixels a character and 10 more:
    # Next Contact is wider than a date; Next Action "Next Action", Flag "OVERDUE"
    assert [values[1][values[0].index(name)] for name in ("Next Action", "Flag")] == [
        "Call",
        "OVERDUE",
    ]
    assert created == {
        "Attempts": 10 * 7 + 10,
        "Next Contact": 14 * 7 + 10,
        "Next Action": 13 * 7 + 10,
        "Flag": 9 * 7 + 10,
        "Why": (why + 2) * 7 + 10,
    }
    assert sheet.col_widths[1] == 250
    fake.reset_log()
    sheet.col_widths[values[0].index("Why")] = 400  # the rep widened Why: it stays
    sync(f"gsheet:{KEY}", "--today", TODAY.isoformat())
    assert sheet.col_widths[values[0].index("Why")] == 400
