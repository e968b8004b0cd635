"""ExcelSource.read(): values, dates and date systems, sheet choice, the memory sheet."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from xlsx_helpers import FIXTURES, rewrite_part

from sheetsync.errors import SheetNotFound, SourceError
from sheetsync.sources.base import EPOCH_1900, EPOCH_1904, MEMORY_SHEET
from sheetsync.sources.excel import ExcelSource


def make_xlsxwriter(path: Path, sheets: dict[str, list[list[object]]], **options: object) -> Path:
    book = xlsxwriter.Workbook(str(path), options)
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, date)
                elif isinstance(value, str) and value.startswith("="):
                    sheet.write_string(r, c, value)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


def test_values_of_every_kind(tmp_path: Path) -> None:
    path = make_xlsxwriter(
        tmp_path / "p.xlsx",
        {
            "Prospects": [
                ["ID", "Company", "Last Contact", "Attempts", "Do Not Contact", "Score"],
                [17, "Acme", dt.date(2026, 11, 2), 2, True, 0.5],
                ["00123", '=HYPERLINK("x")', dt.datetime(2026, 11, 3, 14, 30), None, False, -1],
            ]
        },
    )
    data = ExcelSource(path).read()
    assert data.title == "Prospects"
    assert data.headers == ["ID", "Company", "Last Contact", "Attempts", "Do Not Contact", "Score"]
    assert data.rows[0] == [17, "Acme", dt.date(2026, 11, 2), 2, True, 0.5]
    assert type(data.rows[0][0]) is int
    assert data.rows[1] == [
        "00123",
        '=HYPERLINK("x")',
        dt.datetime(2026, 11, 3, 14, 30),
        None,
        False,
        -1,
    ]
    assert data.epoch == EPOCH_1900
    assert data.memory is None


def test_formulas_give_cached_values(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company"])
    sheet.write_formula(1, 0, "=1+1", None, 2)
    sheet.write_formula(1, 1, '="Ac"&"me"', None, "Acme")
    book.close()
    assert ExcelSource(path).read().rows == [[2, "Acme"]]


def test_1904_workbook_made_with_xlsxwriter(tmp_path: Path) -> None:
    path = make_xlsxwriter(
        tmp_path / "p.xlsx",
        {"Prospects": [["ID", "Last Contact"], [1, dt.date(2026, 1, 5)]]},
        date_1904=True,
    )
    data = ExcelSource(path).read()
    assert data.epoch == EPOCH_1904
    assert data.rows == [[1, dt.date(2026, 1, 5)]]


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
def test_1904_fixture(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    shutil.copyfile(FIXTURES / "calamine_date_1904.xlsx", path)
    data = ExcelSource(path).read()
    assert data.epoch == EPOCH_1904
    expected = openpyxl.load_workbook(path).active["A1"].value
    assert data.headers[0] == expected.date()


def test_sheet_choice(tmp_path: Path) -> None:
    sheets = {
        "Notes": [["x"]],
        "prospects": [["ID"], [1]],
        "Other": [["ID"], [2]],
    }
    path = make_xlsxwriter(tmp_path / "p.xlsx", sheets)
    assert ExcelSource(path).read().title == "prospects"  # "Prospects", as Excel compares names
    assert ExcelSource(path, sheet="Other").read().rows == [[2]]
    with pytest.raises(SheetNotFound) as error:
        ExcelSource(path, sheet="Missing").read()
    message = str(error.value)
    assert "'Missing'" in message and "'Notes'" in message and "'Other'" in message


def test_first_worksheet_skips_chart_sheets_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    book = xlsxwriter.Workbook(str(path))
    memory = book.add_worksheet(MEMORY_SHEET)
    memory.write_row(0, 0, ["ID", "seen"])
    memory.write_row(1, 0, ["A1", 3])
    memory.hide()
    chart_sheet = book.add_chartsheet("Chart")
    data_sheet = book.add_worksheet("Leads")
    data_sheet.write_row(0, 0, ["ID", "Value"])
    data_sheet.write_row(1, 0, [1, 5])
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=Leads!$B$2:$B$2"})
    chart_sheet.set_chart(chart)
    data_sheet.activate()
    book.close()
    data = ExcelSource(path).read()
    assert data.title == "Leads"
    assert data.memory == [["ID", "seen"], ["A1", 3]]
    with pytest.raises(SheetNotFound):
        ExcelSource(path, sheet="Chart").read()
    with pytest.raises(SheetNotFound):
        ExcelSource(path, sheet=MEMORY_SHEET).read()


def test_inline_and_shared_strings_rows_without_r_and_a_lying_dimension(tmp_path: Path) -> None:
    path = make_xlsxwriter(
        tmp_path / "p.xlsx", {"Prospects": [["ID", "Company"], [1, "Acme"], [2, "Beta"]]}
    )

    def lie(xml: bytes) -> bytes:
        xml = xml.replace(b'<dimension ref="A1:B3"/>', b'<dimension ref="A1:XFD1048576"/>')
        # rows and cells without r=, one text inline
        xml = xml.replace(b' r="1"', b"").replace(b' r="2"', b"").replace(b' r="3"', b"")
        for ref in (b"A1", b"B1", b"A2", b"B2", b"A3", b"B3"):
            xml = xml.replace(b' r="' + ref + b'"', b"")
        return xml.replace(
            b'<c t="s"><v>3</v></c>', b'<c t="inlineStr"><is><t>Be</t><t>ta</t></is></c>'
        )

    rewrite_part(path, "xl/worksheets/sheet1.xml", lie)
    assert b"XFD1048576" in __import__("zipfile").ZipFile(path).read("xl/worksheets/sheet1.xml")
    data = ExcelSource(path).read()
    assert data.headers == ["ID", "Company"]
    assert data.rows == [[1, "Acme"], [2, "Beta"]]


def test_trailing_empty_rows_are_dropped_and_leading_area_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Prospects"
    sheet["B2"] = "x"
    sheet["A5"].number_format = "0.00"  # a styled, empty cell further down
    sheet["A5"].value = None
    book.save(path)
    data = ExcelSource(path).read()
    assert data.headers == [None, None]  # the (empty) header row, as wide as the data
    assert data.rows == [[None, "x"]]


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        ExcelSource(tmp_path / "nope.xlsx").read()


def test_key_is_the_resolved_path(tmp_path: Path) -> None:
    path = make_xlsxwriter(tmp_path / "p.xlsx", {"Prospects": [["ID"]]})
    link = tmp_path / "link.xlsx"
    link.symlink_to(path)
    assert ExcelSource(link).key == str(path.resolve())
    assert ExcelSource(str(path)).key == str(path.resolve())


def _trimmed(rows: list[list[object]]) -> list[list[object]]:
    """Rows without trailing blanks; floats to 9 places (calamine gives times and durations
    to the microsecond)."""
    out = []
    for row in rows:
        row = [round(v, 9) if isinstance(v, float) else v for v in row]
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.xlsx")) if FIXTURES.is_dir() else [])
def test_our_own_reader_reads_every_fixture_sheet_as_calamine_does(fixture: Path) -> None:
    """The fallback reader (sources/excel/xmlreader.py) gives the values and merged ranges
    calamine gives, for every worksheet of every real fixture."""
    from sheetsync.sources.excel.package import Package
    from sheetsync.sources.excel.reader import SheetValues
    from sheetsync.sources.excel.workbook import Workbook
    from sheetsync.sources.excel.xmlreader import XmlSheets

    data = fixture.read_bytes()
    package = Package(data, fixture.name)
    workbook = Workbook(package)
    ours = XmlSheets(package, workbook)
    theirs = SheetValues(data, package, workbook)
    try:
        for entry in workbook.sheets:
            if entry.part is None:
                continue
            rows = theirs.rows(entry)
            assert _trimmed(ours.rows(entry.part)) == _trimmed(rows), entry.name
            assert sorted(ours.merged[entry.part]) == sorted(theirs.merged[entry.name])
    finally:
        theirs.close()
