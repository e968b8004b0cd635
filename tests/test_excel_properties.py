"""Properties of ExcelSource.write over generated sheets and plans (hypothesis): every planned
cell reads back as planned, every other cell and every other part stays as it was, and a second
write of the same plan changes nothing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_helpers import changed_parts, members, write_typed_rows

from sheetsync.sources.base import HighlightRule, WritePlan
from sheetsync.sources.excel import ExcelSource

ALLOWED = {
    "xl/worksheets/sheet1.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/worksheets/sheetsync_memory.xml",
}

plain_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1, max_size=12)
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
dates = st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31))
numbers = st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False, width=64)
# xlsxwriter writes numbers with 16 significant digits: keep the sheet's own ones shorter
sheet_numbers = st.integers(-(10**15), 10**15) | st.floats(-1e6, 1e6).map(lambda x: round(x, 6))
sheet_values = st.none() | plain_text | sheet_numbers | st.booleans() | dates
plan_values = st.none() | any_text | numbers | st.booleans() | dates
grids = st.lists(st.lists(sheet_values, min_size=1, max_size=6), min_size=1, max_size=6)
plans = st.dictionaries(
    st.tuples(st.integers(0, 8), st.integers(0, 30)), plan_values, min_size=0, max_size=25
)


def normal(value: object) -> object:
    """A value as ExcelSource.read gives it back."""
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def build(path: Path, grid: list[list[object]]) -> None:
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False}
    )
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("Prospects")
    write_typed_rows(sheet, grid, date)
    book.add_worksheet("Other").write("A1", "untouched")
    book.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids, cells=plans, flag_col=st.integers(0, 5))
def test_planned_cells_and_only_them_change(
    grid: list[list[object]], cells: dict[tuple[int, int], object], flag_col: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.xlsx"
        build(path, grid)
        before = members(path)
        expected = {
            (r, c): normal(value) for r, row in enumerate(grid) for c, value in enumerate(row)
        }
        expected.update({key: normal(value) for key, value in cells.items()})
        width = max([len(row) for row in grid] + [c + 1 for _, c in cells])
        height = max([len(grid)] + [r + 1 for r, _ in cells])
        plan = WritePlan(
            cells=dict(cells),
            width=width,
            height=height,
            flag_col=flag_col,
            highlight=(HighlightRule("DUE", "FFEB9C"),),
            memory=[["ID"], ["1"]],
        )
        ExcelSource(path).write(plan)
        assert changed_parts(before, members(path)) <= ALLOWED

        data = ExcelSource(path).read()
        got = {}
        for r, row in enumerate([data.headers, *data.rows]):
            for c, value in enumerate(row):
                got[r, c] = value
        for key in set(got) | set(expected):
            assert got.get(key) == expected.get(key), key

        content = path.read_bytes()
        ExcelSource(path).write(plan)
        assert path.read_bytes() == content
