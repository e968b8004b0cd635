"""A big sheet read as two halves at once (sources/excel/reader.py) gives exactly what reading
it whole gives: values, row and column positions, merged ranges; the temporary copies are
gone afterwards. The size from which a sheet is read in halves is lowered to 0 here, so that
every real fixture's sheets are read both ways."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import xlsxwriter
from xlsx_helpers import FIXTURES, read_sheets, rewrite_part

import sheetsync.sources.excel.reader as reader
from sheetsync.sources.excel import ExcelSource
from sheetsync.sources.excel.package import Package
from sheetsync.sources.excel.workbook import Workbook


def _both_ways(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    temp = tmp_path / "temp"
    temp.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    whole, _ = read_sheets(path, False, monkeypatch)
    halves, parsed = read_sheets(path, True, monkeypatch)
    assert list(temp.iterdir()) == []  # the copies are removed
    return whole, halves, parsed


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
def test_every_fixture_sheet_reads_the_same_in_halves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    halved = 0
    for fixture in sorted(FIXTURES.glob("*.xlsx")):
        whole, halves, parsed = _both_ways(fixture, tmp_path / fixture.stem, monkeypatch)
        assert halves == whole, fixture.name
        halved += len(parsed) // 2
    assert halved >= 30  # most of the 18 workbooks' sheets were cut (one row: none)


def _write(path: Path, rows: dict[int, list[object]], merge: str | None = None) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, values in rows.items():
        for c, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date)
            elif value is not None:
                sheet.write(r, c, value)
    if merge:
        sheet.merge_range(merge, "merged")
    book.close()


def test_a_sheet_whose_halves_differ_in_shape_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second half reaches further right, starts after a gap of empty rows, and has no
    value in column A; dates, numbers and texts; a merged range."""
    rows: dict[int, list[object]] = {0: ["ID", "Company", "Last Contact"]}
    for r in range(1, 60):
        rows[r] = [r, f"Company {r}", dt.date(2026, 1, 1) + dt.timedelta(days=r)]
    for r in range(80, 140):  # after a gap; column A empty, a fifth column
        rows[r] = [None, f"Late {r}", dt.date(2026, 6, 1), 1.5, "far right"]
    path = tmp_path / "shapes.xlsx"
    _write(path, rows, merge="B150:C151")
    whole, halves, parsed = _both_ways(path, tmp_path, monkeypatch)
    assert len(parsed) == 2
    assert halves == whole
    rows_read, merged = halves["Prospects"]
    assert rows_read[59] == [59, "Company 59", dt.date(2026, 3, 1), None, None]
    assert rows_read[70] == [None] * 5
    assert rows_read[139] == [None, "Late 139", dt.date(2026, 6, 1), 1.5, "far right"]
    assert merged == [(149, 1, 150, 2)]


def test_rows_out_of_order_across_the_cut_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "order.xlsx"
    _write(path, {0: ["ID"], **{r: [r] for r in range(1, 40)}})
    # the last row is moved to the top of the rows: the second half holds row 40, the first
    # half then reaches past where the second one starts
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda b: b.replace(
            b"<sheetData>", b'<sheetData><row r="200"><c r="A200"><v>7</v></c></row>'
        ),
    )
    whole, halves, parsed = _both_ways(path, tmp_path, monkeypatch)
    assert len(parsed) == 2  # both halves parsed, then the sheet read whole
    assert halves == whole
    assert halves["Prospects"][0][199] == [7]


@pytest.mark.parametrize(
    "markup", [b"<!-- a note -->", b"<?sheetsync x?>", b"<!-- <sheetData> -->"]
)
def test_a_sheet_with_comments_or_instructions_in_its_rows_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, markup: bytes
) -> None:
    path = tmp_path / "markup.xlsx"
    _write(path, {0: ["ID", "Notes"], **{r: [r, f"note {r}!?"] for r in range(1, 40)}})
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda b: re.sub(rb'(<row r="20")', markup + rb"\1", b, count=1),
    )
    whole, halves, parsed = _both_ways(path, tmp_path, monkeypatch)
    assert parsed == []
    assert halves == whole
    assert halves["Prospects"][0][39] == [39, "note 39!?"]


def test_a_big_sheet_syncs_the_same_in_halves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole read of a source (values, headers, the memory sheet after a sync) through
    ExcelSource, both ways."""
    rows: dict[int, list[object]] = {0: ["ID", "Company", "Owner", "Stage", "Last Contact"]}
    for r in range(1, 300):
        rows[r] = [r, f"Co {r}", "Dana", "Working", dt.date(2026, 11, 2)]
    path = tmp_path / "big.xlsx"
    _write(path, rows)
    from sheetsync.cli import main

    with pytest.raises(SystemExit) as done:
        main(["sync", str(path), "--today", "2026-11-24", "--quiet"])
    assert done.value.code == 0
    reads = []
    for halves in (False, True):
        monkeypatch.setattr(reader, "HALVES_FROM", 0 if halves else 1 << 60)
        data = ExcelSource(path, read_only=True).read()
        reads.append((data.headers, data.rows, data.memory))
    assert reads[0] == reads[1]
    assert reads[1][0][:5] == ["ID", "Company", "Owner", "Stage", "Last Contact"]
    assert reads[1][2] is not None  # the memory sheet was read too


def test_the_copy_kept_for_the_other_sheets_never_reads_half_a_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first half's copy stays open to read the other sheets; the halved sheet itself,
    read again whole, comes from the workbook, all of it; closing removes the copy."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Prospects").write_column(0, 0, ["ID", *range(1, 50)])
    book.add_worksheet("Other").write_row(0, 0, ["kept", 1, 2])
    book.close()
    data = path.read_bytes()
    package = Package(data, path.name)
    workbook = Workbook(package)
    values = reader.SheetValues(data, package, workbook)
    prospects, other = workbook.choose("Prospects"), workbook.choose("Other")
    try:
        monkeypatch.setattr(reader, "HALVES_FROM", 0)
        assert len(values.rows(prospects)) == 50
        monkeypatch.setattr(reader, "HALVES_FROM", 1 << 60)
        assert values.rows(other) == [["kept", 1, 2]]
        assert values.rows(prospects) == [["ID"], *([n] for n in range(1, 50))]
    finally:
        values.close()
    assert list(temp.iterdir()) == []
