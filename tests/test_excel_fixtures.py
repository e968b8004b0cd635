"""Every third-party workbook of ../shared/fixtures/xlsx, used as a user's workbook would be:

* a prospects sheet added to it (a new worksheet part, registered the way Excel does), then
  synced: first sync, then the same plan again;
* its first worksheet synced directly: the tool's columns written right of its used range.

Each time, part by part: nothing outside the parts a sync may change differs (byte for byte,
compressed size and CRC included), every other sheet reads the same (values and cached formula
results, via calamine), and the synced sheet holds its old cells plus the planned ones.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from xlsx_helpers import (
    FIXTURES,
    add_worksheet,
    all_values,
    assert_schema_order,
    cell,
    changed_parts,
    members,
    part,
    values,
    workbook_sheets,
)

from sheetsync.sources.base import MEMORY_SHEET, HighlightRule, WritePlan
from sheetsync.sources.excel import ExcelSource

FILES = sorted(FIXTURES.glob("*.xlsx")) if FIXTURES.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"shared xlsx fixtures not found at {FIXTURES}")

RULES = (HighlightRule("OVERDUE", "FFC7CE"), HighlightRule("DUE", "FFEB9C"))
OWNED = ["Next Contact", "Next Action", "Flag", "Why"]
PROSPECTS = [
    ["ID", "Company", "Owner", "Last Contact", "Last Outcome"],
    [1, "Acme", "Dana", dt.date(2026, 11, 2), "No answer"],
    [2, '=HYPERLINK("http://x")', "Eli", dt.date(2026, 10, 1), "Connected"],
    [None, "Gamma", "Dana", None, None],
]


def plan_for(width: int, height: int) -> WritePlan:
    """The tool's four columns right of ``width``, for rows 1..height-1, plus memory."""
    cells: dict[tuple[int, int], object] = {(0, width + i): name for i, name in enumerate(OWNED)}
    for r in range(1, height):
        cells[r, width] = dt.date(2026, 11, 1) + dt.timedelta(days=r % 40)
        cells[r, width + 1] = "Follow-up email" if r % 2 else "Call"
        cells[r, width + 2] = ("DUE", "OVERDUE", "SCHEDULED")[r % 3]
        cells[r, width + 3] = f"Working, {r % 4} attempts: follow up 10-14 days after 2026-11-02"
    return WritePlan(
        cells=cells,
        width=width + len(OWNED),
        height=height,
        flag_col=width + 2,
        date_cols=(width,),
        memory=[["ID", "Last Contact", "Attempts"], ["1", "2026-11-02", 1], ["A-7", "", 0]],
        highlight=RULES,
    )


def index_parts(path: Path, *extra: str) -> set[str]:
    """The parts a sync may change: styles, the package index parts, the memory sheet."""
    with __import__("zipfile").ZipFile(path) as z:
        names = z.namelist()
    allowed = {n for n in names if n.endswith(("styles.xml", "workbook.xml", "workbook.xml.rels"))}
    allowed |= {"[Content_Types].xml", "xl/worksheets/sheetsync_memory.xml", *extra}
    return allowed


def check_sync(path: Path, target: str, plan: WritePlan, extra_allowed: set[str]) -> None:
    before = members(path)
    before_values = all_values(path)
    target_part = next(p for name, _, p, _ in workbook_sheets(path) if name == target)
    source = ExcelSource(path, sheet=target)
    source.read()
    source.write(plan)
    after = members(path)

    allowed = index_parts(path, target_part, *extra_allowed)
    changed = changed_parts(before, after)
    assert changed <= allowed, sorted(changed - allowed)
    assert target_part in changed

    after_values = all_values(path)
    for name, grid in before_values.items():
        if name == target:
            continue
        assert after_values[name] == grid, f"sheet {name!r} changed"
    old, new = before_values[target], after_values[target]
    for r, row in enumerate(old):
        for c, value in enumerate(row):
            if (r, c) not in plan.cells:
                assert cell(new, r, c) == value, (target, r, c)
    for (r, c), value in plan.cells.items():
        got = cell(new, r, c)
        assert got == value, (target, r, c, got, value)

    assert_schema_order(part(path, target_part))
    data = ExcelSource(path, sheet=target).read()
    assert data.memory == [
        ["ID", "Last Contact", "Attempts"],
        ["1", "2026-11-02", 1],
        ["A-7", None, 0],
    ]
    assert next(s for s in workbook_sheets(path) if s[0] == MEMORY_SHEET)[1] == "hidden"

    # the same plan again: nothing to do, the file is not rewritten
    stamp = path.stat().st_mtime_ns
    ExcelSource(path, sheet=target).write(plan)
    assert path.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("fixture", FILES, ids=[f.name for f in FILES])
def test_added_prospects_sheet(tmp_path: Path, fixture: Path) -> None:
    path = tmp_path / fixture.name
    shutil.copyfile(fixture, path)  # the copy is writable (fixtures are 444)
    add_worksheet(path, "Prospects", PROSPECTS)
    assert values(path, "Prospects")[1][1] == "Acme"
    plan = plan_for(len(PROSPECTS[0]), len(PROSPECTS))
    check_sync(path, "Prospects", plan, set())


@pytest.mark.parametrize("fixture", FILES, ids=[f.name for f in FILES])
def test_first_worksheet_synced_in_place(tmp_path: Path, fixture: Path) -> None:
    path = tmp_path / fixture.name
    shutil.copyfile(fixture, path)  # the copy is writable (fixtures are 444)
    target = next(name for name, _, p, _ in workbook_sheets(path) if p)
    grid = values(path, target)
    width = max((len(row) for row in grid), default=0)
    height = max(len(grid), 2)
    plan = plan_for(width, height)
    tables = {name for name in members(path) if name.startswith("xl/tables/")}
    check_sync(path, target, plan, tables)
