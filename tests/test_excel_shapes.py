"""Sheets as many hands leave them, synced end to end through the Excel path: merged cells,
formulas, hidden and filtered rows, text dates and numbers, thousands of formatted empty rows."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from openpyxl.styles import PatternFill

from sheetsync.cli import main

HEADERS = [
    "ID",
    "Company",
    "Contact",
    "Owner",
    "Stage",
    "Last Contact",
    "Last Outcome",
    "Attempts",
    "Notes",
]


def messy_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Prospects"
    ws.append(HEADERS)
    ws.append(["P1", "Acme", "Ann", "Dana", "Working", "11/2/26", "No answer", "3", "=1+1"])
    ws.append(
        [
            "P2",
            "Beta",
            "",
            "Dana",
            "working ",
            dt.datetime(2026, 11, 2, 15, 30),
            "NO ANSWER",
            2.0,
            "hidden row",
        ]
    )
    ws.append(["P3", "Gamma", "Cy", "Luis", "", "2 November 2026", "Voicemail", None, "filtered"])
    ws.append(["P4", "Delta", "Di", "Luis", "", 46328, "Connected", None, "serial date"])
    ws.merge_cells("B5:C5")  # a merged Company/Contact over data
    ws.row_dimensions[3].hidden = True
    ws.auto_filter.ref = "A1:I5"
    ws.auto_filter.add_filter_column(3, ["Dana"])
    grey = PatternFill("solid", fgColor="EEEEEE")
    for row in range(6, 3006):  # formatted, empty rows below the data
        ws.cell(row, 2).fill = grey
    wb.save(path)
    return path


def test_a_messy_sheet_syncs_and_keeps_its_shape(tmp_path):
    book = messy_book(tmp_path / "messy.xlsx")
    result = CliRunner().invoke(main, ["sync", str(book), "--today", "2026-11-24", "--json"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(book)["Prospects"]
    header = [c.value for c in ws[1]]
    flag, why, nxt = (
        header.index("Flag") + 1,
        header.index("Why") + 1,
        header.index("Next Contact") + 1,
    )
    # Every date form reads as 2026-11-02: a Working row's follow-up is 10-14 days later.
    for row in (2, 3):
        assert ws.cell(row, flag).value == "OVERDUE"
        assert ws.cell(row, nxt).value == dt.datetime(2026, 11, 12)
    assert ws.cell(2, why).value == "Working, 3 attempts: follow up 10-14 days after 2026-11-02"
    assert ws.cell(4, why).value == "New, 0 attempts: follow up 10-14 days after 2026-11-02"
    assert ws.cell(5, why).value == "Working, 0 attempts: follow up 10-14 days after 2026-11-02"
    # Nothing was written into the formatted empty rows, and the sheet kept its shape.
    assert all(ws.cell(row, flag).value is None for row in range(6, 3006))
    assert "B5:C5" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.row_dimensions[3].hidden
    assert ws["I2"].value == "=1+1"  # the formula is still a formula
    assert ws.auto_filter.ref is not None
    with zipfile.ZipFile(book) as package:
        sheet = package.read("xl/worksheets/sheet1.xml")
    assert b'<c r="B3000" s=' in sheet  # the formatted rows are still there


def test_an_empty_sheet_is_a_layout_error(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Prospects"
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["sync", str(path)])
    assert result.exit_code == 2
    assert 'missing column "Last Contact"' in result.output
    assert path.read_bytes() == before


def test_headers_only_is_a_sync_of_nothing(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Prospects"
    wb.active.append(["Company", "Last Contact"])
    path = tmp_path / "headers.xlsx"
    wb.save(path)
    result = CliRunner().invoke(main, ["sync", str(path)])
    assert result.exit_code == 0
    assert "0 rows read, 0 prospects" in result.output
