"""A synced workbook opened by another spreadsheet program: LibreOffice, headless, converts it to
CSV and the owned cells read as intended (dates as dates, formula-looking text as text)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import xlsxwriter
from xlsx_helpers import FIXTURES, add_worksheet

from sheetsync.sources.base import HighlightRule, WritePlan
from sheetsync.sources.excel import ExcelSource

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
]


#: CSV export options: comma, double quote, UTF-8, from line 1, ..., every sheet to its own file
ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def to_csv(path: Path, out: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``path`` as LibreOffice exports it, by sheet name."""
    out = out / "csv"
    profile = out / "profile"  # a private profile: runs never share or lock one
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            ALL_SHEETS,
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheets = {}
    for file in out.glob(f"{path.stem}-*.csv"):
        with file.open(newline="", encoding="utf-8") as f:
            sheets[file.stem[len(path.stem) + 1 :]] = list(csv.reader(f))
    return sheets


def plan(width: int, height: int) -> WritePlan:
    cells: dict[tuple[int, int], object] = {
        (0, width): "Next Contact",
        (0, width + 1): "Flag",
        (0, width + 2): "Why",
    }
    for r in range(1, height):
        cells[r, width] = dt.date(2026, 12, r)
        cells[r, width + 1] = "DUE"
        cells[r, width + 2] = f'=HYPERLINK("http://example.com/{r}")'
    return WritePlan(
        cells=cells,
        width=width + 3,
        height=height,
        flag_col=width + 1,
        date_cols=(width,),
        memory=[["ID", "n"], ["1", 1]],
        highlight=(HighlightRule("DUE", "FFEB9C"),),
    )


def test_libreoffice_reads_the_owned_cells(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company"])
    sheet.write_row(1, 0, [1, "Acme"])
    sheet.write_row(2, 0, [2, "Beta"])
    book.close()
    ExcelSource(path).write(plan(2, 3))
    sheets = to_csv(path, tmp_path)
    rows = sheets["Prospects"]
    assert rows[0] == ["ID", "Company", "Next Contact", "Flag", "Why"]
    assert rows[1] == ["1", "Acme", "2026-12-01", "DUE", '=HYPERLINK("http://example.com/1")']
    assert rows[2] == ["2", "Beta", "2026-12-02", "DUE", '=HYPERLINK("http://example.com/2")']


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
def test_libreoffice_opens_a_synced_third_party_workbook(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    shutil.copyfile(FIXTURES / "poi_59746_NoRowNums.xlsx", path)  # x: prefix, no r=, BOM
    ExcelSource(path).write(plan(11, 4))
    rows = to_csv(path, tmp_path)["Features"]
    assert rows[0][:2] == ["Checked", "Ion"]
    assert rows[0][11:14] == ["Next Contact", "Flag", "Why"]
    assert rows[3][11:13] == ["2026-12-03", "DUE"]


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
def test_libreoffice_opens_an_added_sheet_in_a_rich_workbook(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    shutil.copyfile(FIXTURES / "poi_ExcelPivotTableSample.xlsx", path)
    add_worksheet(path, "Prospects", [["ID", "Company"], [1, "Acme"], [2, "Beta"]])
    before = to_csv(path, tmp_path / "before")
    ExcelSource(path).write(plan(2, 3))
    after = to_csv(path, tmp_path / "after")
    assert after["Prospects"][1] == [
        "1",
        "Acme",
        "2026-12-01",
        "DUE",
        '=HYPERLINK("http://example.com/1")',
    ]
    assert after["sheetsync_memory"] == [["ID", "n"], ["1", "1"]]
    for name in ("Tabelle1", "Tabelle2", "Tabelle3"):
        assert after[name] == before[name]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_libreoffice_shows_the_dates_of_a_created_column(tmp_path: Path) -> None:
    """Printed as LibreOffice lays the sheet out, the created Next Contact column shows its
    dates: it is wide enough (a column of the default width shows "###" for them)."""
    path = tmp_path / "p.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company", "Since"])
    since = book.add_format({"num_format": "yyyy-mm-dd"})
    for r in (1, 2):
        sheet.write_row(r, 0, [r, "Acme"])
        sheet.write_datetime(r, 2, dt.datetime(2026, 1, r), since)  # a default-width column
    book.close()
    ExcelSource(path).write(plan(3, 3))
    out = tmp_path / "pdf"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(out / "p.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    lines = [line.split() for line in text.splitlines() if line.strip()]
    assert lines[0][:4] == ["ID", "Company", "Since", "Next"]
    assert lines[1][:2] == ["1", "Acme"] and lines[1][2] == "###"  # the user's narrow column
    assert lines[1][3:5] == ["2026-12-01", "DUE"]
    assert lines[2][3:5] == ["2026-12-02", "DUE"]
