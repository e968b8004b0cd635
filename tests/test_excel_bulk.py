"""The bulk edit of a block of rows (a first sync appending the tool's columns) writes exactly
what the row-by-row edit writes: the same bytes, whatever the sheet and the plan."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from xlsx_helpers import values, write_typed_rows

from sheetsync.sources.base import WritePlan
from sheetsync.sources.excel import ExcelSource, roweditor, sheetpart

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
cell_values = st.one_of(
    st.none(),
    texts,
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(dt.date(1950, 1, 1), dt.date(2090, 1, 1)),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[list[object]], set[int], dict, int]:
    """A sheet (rows of up to 6 columns, a few styled rows, a few far cells), and a plan
    that appends 1-4 columns and sometimes edits the cells it already has."""
    height = draw(st.integers(1, 40))
    rows = [draw(st.lists(cell_values, min_size=0, max_size=6)) for _ in range(height)]
    styled = set(draw(st.lists(st.integers(0, height - 1), max_size=4)))
    width = max([len(row) for row in rows] + [1])
    far = draw(st.lists(st.tuples(st.integers(0, height - 1), texts), max_size=2))
    for row, text in far:  # a note some rows keep right of the tool's columns
        rows[row] += [None] * (width + 6 - len(rows[row])) + [text]
    appended = draw(st.integers(1, 4))
    cells: dict[tuple[int, int], object] = {}
    planned_rows = draw(st.lists(st.integers(0, height + 3), min_size=1, max_size=height + 4))
    for row in planned_rows:
        for col in range(width, width + appended):
            if draw(st.booleans()) or len(planned_rows) > 10:
                cells[row, col] = draw(cell_values)
        if draw(st.integers(0, 5)) == 0:
            cells[row, draw(st.integers(0, width - 1))] = draw(cell_values)
    return rows, styled, cells, width + appended


def build(path: Path, rows: list[list[object]], styled: set[int]) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    for r in styled:
        sheet.set_row(r, None, bold)  # a row style: customFormat="1" s="..."
    write_typed_rows(sheet, rows, date)
    book.close()


def sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read("xl/worksheets/sheet1.xml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), chunk=st.sampled_from([64, 300, 1 << 20]))
def test_bulk_and_row_by_row_edits_write_the_same_bytes(
    case: tuple[list[list[object]], set[int], dict, int], chunk: int
) -> None:
    rows, styled, cells, width = case
    plan = WritePlan(cells=cells, width=width, height=len(rows) + 4)
    bulk = roweditor.RowEditor._append_block
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheetpart, "CHUNK_SIZE", chunk)  # many blocks, rows cut anywhere
        fast, slow = Path(folder) / "fast.xlsx", Path(folder) / "slow.xlsx"
        build(fast, rows, styled)
        build(slow, rows, styled)
        taken: list[bool] = []

        def spy(self: roweditor.RowEditor, data: bytes) -> list[bytes] | None:
            out = bulk(self, data)
            taken.append(out is not None)
            return out

        patch.setattr(roweditor.RowEditor, "_append_block", spy)
        ExcelSource(fast, backups=0).write(plan)
        patch.setattr(roweditor.RowEditor, "_append_block", lambda self, data: None)
        ExcelSource(slow, backups=0).write(plan)
        assert sheet_xml(fast) == sheet_xml(slow)
        event(f"bulk edit taken: {any(taken)}")
        data = ExcelSource(fast).read()
        grid = [data.headers, *data.rows]
        for (row, col), value in cells.items():
            got = grid[row][col] if row < len(grid) and col < len(grid[row]) else None
            assert (got == (None if value == "" else value) and type(got) is not bool) or (
                got is value
            ), (row, col, got, value)


def test_a_first_sync_of_a_big_sheet_takes_the_bulk_edit(tmp_path: Path) -> None:
    """The case it is for: every row gets the tool's columns; some rows also get a new
    Attempts (left of them) or a filled ID, and some rows have a row style."""
    rows = [["ID", "Company", "Attempts"]] + [[f"P{r}", f"Co {r}", r % 4] for r in range(1, 3000)]
    rows[17][0] = None
    path = tmp_path / "p.xlsx"
    build(path, rows, styled={5, 900})
    cells: dict[tuple[int, int], object] = {(0, 3): "Next Contact", (0, 4): "Flag"}
    for r in range(1, 3000):
        cells[r, 3] = dt.date(2026, 12, 1) + dt.timedelta(days=r % 30)
        cells[r, 4] = ["DUE", "OVERDUE", "SCHEDULED"][r % 3]
        if r % 50 == 0:
            cells[r, 2] = 0
    cells[17, 0] = "P9999"
    taken: list[bool] = []
    bulk = roweditor.RowEditor._append_block

    def spy(self: roweditor.RowEditor, data: bytes) -> list[bytes] | None:
        out = bulk(self, data)
        taken.append(out is not None)
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roweditor.RowEditor, "_append_block", spy)
        patch.setattr(sheetpart, "CHUNK_SIZE", 16 << 10)
        ExcelSource(path, backups=0).write(WritePlan(cells=cells, width=5, height=3000))
    assert len(taken) > 5 and all(taken)
    grid = values(path, "Prospects")
    assert grid[0][3:5] == ["Next Contact", "Flag"]
    assert grid[17][0] == "P9999" and grid[50][2] == 0 and grid[51][2] == 3
    assert grid[2999][3:5] == [dt.date(2026, 12, 30), "SCHEDULED"]
    assert all(grid[r][4] == ["DUE", "OVERDUE", "SCHEDULED"][r % 3] for r in range(1, 3000))
    xml = sheet_xml(path)
    assert b'<row r="6" spans="1:5"' in xml and b'<row r="3000" spans="1:5"' in xml
