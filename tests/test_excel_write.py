"""ExcelSource.write(): only the owned cells change, formatting is installed once, the rest of the
package is copied byte for byte."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from xlsx_helpers import (
    MAIN,
    assert_schema_order,
    cell,
    cf_blocks,
    changed_parts,
    members,
    part,
    rewrite_part,
    values,
    workbook_sheets,
)

from sheetsync.errors import WorkbookRefused
from sheetsync.sources.base import MEMORY_SHEET, HighlightRule, WritePlan
from sheetsync.sources.excel import ExcelSource

HEADERS = ["ID", "Company", "Owner", "Last Contact", "Last Outcome"]
ROWS = [
    [1, "Acme", "Dana", dt.date(2026, 11, 2), "No answer"],
    [2, "Beta & Co <ltd>", "Eli", dt.date(2026, 10, 1), "Connected"],
    [3, "Gamma", "Dana", None, None],
]
RULES = (
    HighlightRule("OVERDUE", "FFC7CE", "9C0006"),
    HighlightRule("DUE", "FFEB9C"),
    HighlightRule("DNC", "D9D9D9", "808080", strike=True),
)
OWNED = ["Next Contact", "Next Action", "Flag", "Why"]
ALLOWED = {
    "xl/worksheets/sheet1.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/worksheets/sheetsync_memory.xml",
}


def xlsxwriter_book(path: Path, rows: list[list[object]] | None = None, **options: object) -> Path:
    book = xlsxwriter.Workbook(str(path), options)
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet = book.add_worksheet("Prospects")
    for r, row in enumerate([HEADERS, *(ROWS if rows is None else rows)]):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date)
            elif value is not None:
                sheet.write(r, c, value)
    other = book.add_worksheet("Notes")
    other.write_formula("A1", "=Prospects!A2*10", None, 10)
    other.write("B1", "keep me")
    book.close()
    return path


def first_plan(width: int = len(HEADERS), height: int = len(ROWS) + 1) -> WritePlan:
    cells: dict[tuple[int, int], object] = {(0, width + i): name for i, name in enumerate(OWNED)}
    flags = ["DUE", "OVERDUE", "SCHEDULED"]
    for r in range(1, height):
        cells[r, width] = dt.date(2026, 11, 10 + r)
        cells[r, width + 1] = "Call"
        cells[r, width + 2] = flags[(r - 1) % 3]
        cells[r, width + 3] = f"Working, {r} attempts: follow up 10-14 days after 2026-11-02"
    return WritePlan(
        cells=cells,
        width=width + len(OWNED),
        height=height,
        flag_col=width + 2,
        id_col=0,
        date_cols=(width,),
        memory=[["ID", "Last Contact", "Attempts"], ["1", "2026-11-02", 1], ["2", "2026-10-01", 0]],
        highlight=RULES,
    )


def test_first_sync(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    before = members(path)
    notes_before = values(path, "Notes")
    source = ExcelSource(path)
    source.read()
    plan = first_plan()
    source.write(plan)

    after = members(path)
    assert changed_parts(before, after) <= ALLOWED
    for name in set(before) - ALLOWED:
        assert before[name] == after[name], name
    assert values(path, "Notes") == notes_before

    data = ExcelSource(path).read()
    assert data.headers == HEADERS + OWNED
    assert data.rows[0][:5] == ROWS[0]
    assert data.rows[0][5:] == [dt.date(2026, 11, 11), "Call", "DUE", plan.cells[1, 8]]
    assert data.rows[1][1] == "Beta & Co <ltd>"
    assert data.rows[2][5:] == [dt.date(2026, 11, 13), "Call", "SCHEDULED", plan.cells[3, 8]]
    assert data.memory == plan.memory

    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert_schema_order(sheet)
    assert cf_blocks(sheet) == [
        ("A2:I1048576", ['$H2="OVERDUE"', '$H2="DUE"', '$H2="DNC"']),
    ]
    root = etree.fromstring(sheet)
    pane = root.find(f"{{{MAIN}}}sheetViews/{{{MAIN}}}sheetView/{{{MAIN}}}pane")
    assert pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1"
    assert root.find(f"{{{MAIN}}}autoFilter").get("ref") == "A1:I4"
    assert root.find(f"{{{MAIN}}}dimension").get("ref") == "A1:I4"
    workbook = part(path, "xl/workbook.xml")
    assert workbook.count(b"_xlnm._FilterDatabase") == 1
    assert b"'Prospects'!$A$1:$I$4" in workbook
    memory = [s for s in workbook_sheets(path) if s[0] == MEMORY_SHEET]
    assert memory and memory[0][1] == "hidden"

    # dxfs: one per rule, strike-through for DNC; date style = the cell's style + yyyy-mm-dd
    styles = etree.fromstring(part(path, "xl/styles.xml"))
    dxfs = styles.find(f"{{{MAIN}}}dxfs")
    assert dxfs is not None and len(dxfs) == 3
    assert dxfs[2].find(f"{{{MAIN}}}font/{{{MAIN}}}strike") is not None
    formats = {el.get("formatCode"): el.get("numFmtId") for el in styles.iter(f"{{{MAIN}}}numFmt")}
    assert "yyyy-mm-dd" in formats
    style = int(re.search(rb'<c r="F2" s="(\d+)"', sheet).group(1))
    xf = styles.find(f"{{{MAIN}}}cellXfs")[style]
    assert xf.get("numFmtId") == formats["yyyy-mm-dd"]


def test_second_sync_with_the_same_plan_does_not_touch_the_file(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    source = ExcelSource(path)
    source.read()
    source.write(first_plan())
    before = path.stat()
    content = path.read_bytes()
    # same object, and a fresh one that reads first
    source.write(first_plan())
    again = ExcelSource(path)
    again.read()
    again.write(first_plan())
    quiet = first_plan()
    quiet.cells, quiet.memory = {}, None
    again.write(quiet)
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert path.read_bytes() == content


def test_resync_reuses_styles_and_never_duplicates_formatting(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    ExcelSource(path).write(first_plan())
    styles = part(path, "xl/styles.xml")
    plan = first_plan()
    plan.cells = {(1, 5): dt.date(2027, 1, 4), (2, 7): "OVERDUE", (3, 5): dt.date(2027, 2, 1)}
    plan.memory = None
    ExcelSource(path).write(plan)
    assert part(path, "xl/styles.xml") == styles
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert len(cf_blocks(sheet)) == 1
    assert part(path, "xl/workbook.xml").count(b"_xlnm._FilterDatabase") == 1
    assert sheet.count(b"<pane ") == 1
    data = ExcelSource(path).read()
    assert data.rows[0][5] == dt.date(2027, 1, 4)
    assert data.rows[1][7] == "OVERDUE"


def test_first_sync_installs_formatting_without_cell_changes(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    plan = first_plan()
    plan.cells, plan.memory = {}, None
    plan.width = len(HEADERS)
    plan.flag_col = 4
    mtime = path.stat().st_mtime_ns
    ExcelSource(path).write(plan)
    assert path.stat().st_mtime_ns != mtime
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert cf_blocks(sheet) == [("A2:E1048576", ['$E2="OVERDUE"', '$E2="DUE"', '$E2="DNC"'])]
    assert ExcelSource(path).read().rows[0] == ROWS[0]


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    texts = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "=1+1"]
    plan = WritePlan(
        cells={(1 + i, 8): text for i, text in enumerate(texts[:3])}, width=9, height=4
    )
    plan.cells.update({(0, 8): texts[3], (0, 9): texts[4]})
    ExcelSource(path).write(plan)
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    data = ExcelSource(path).read()
    assert [row[8] for row in data.rows] == texts[:3]
    assert data.headers[8:10] == texts[3:]


def test_values_none_and_empty_clear_but_keep_the_style(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    sheet_before = part(path, "xl/worksheets/sheet1.xml")
    d2_style = re.search(rb'<c r="D2" s="(\d+)"', sheet_before).group(1)
    plan = WritePlan(
        cells={(1, 3): None, (1, 4): "", (2, 1): None, (3, 7): None}, width=5, height=4
    )
    ExcelSource(path).write(plan)
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert b'<c r="D2" s="' + d2_style + b'"/>' in sheet
    assert b'<c r="H4"' not in sheet  # clearing a cell that does not exist creates nothing
    data = ExcelSource(path).read()
    assert data.rows[0][3:5] == [None, None]
    assert data.rows[1][1] is None
    assert data.rows[1][0] == 2


def test_numbers_bools_and_shared_strings(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    shared = part(path, "xl/sharedStrings.xml")
    plan = WritePlan(
        cells={(1, 1): "Acme Ltd", (1, 2): 3, (2, 2): 2.5, (3, 2): True, (3, 1): 10**12},
        width=5,
        height=4,
    )
    ExcelSource(path).write(plan)
    assert part(path, "xl/sharedStrings.xml") == shared
    rows = ExcelSource(path).read().rows
    assert [rows[0][1], rows[0][2], rows[1][2], rows[2][2], rows[2][1]] == [
        "Acme Ltd",
        3,
        2.5,
        True,
        10**12,
    ]


def test_a_number_over_a_date_formatted_cell_reads_back_as_a_number(tmp_path: Path) -> None:
    # Column D (Last Contact) is date-formatted; a count written there must not become 1900-01-03.
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    ExcelSource(path).write(WritePlan(cells={(1, 3): 3, (2, 3): dt.date(2026, 11, 5)}, width=5))
    rows = ExcelSource(path).read().rows
    assert rows[0][3] == 3
    assert rows[1][3] == dt.date(2026, 11, 5)
    ws = openpyxl.load_workbook(path)["Prospects"]
    assert ws["D2"].number_format == "General"
    assert ws["D3"].number_format == "dd/mm/yyyy"  # the cell's own date format is kept


def test_text_escapes_round_trip(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    texts = [
        "  padded  ",
        "line\nbreak",
        "cr\r\nlf",
        "a_x0041_b",
        "tab\there",
        "ctrl\x01char",
        "émoji 🎉 ünïcode",
        "<&>\"'",
    ]
    plan = WritePlan(cells={(i + 1, 6): t for i, t in enumerate(texts)}, width=7, height=9)
    ExcelSource(path).write(plan)
    rows = ExcelSource(path).read().rows
    assert [row[6] for row in rows] == texts


def test_new_rows_far_columns_and_dimension(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    plan = WritePlan(
        cells={(0, 27): "Why", (6, 0): 7, (6, 27): "late row", (4, 1): "gap row", (2, 26): "AA3"},
        width=28,
        height=7,
    )
    ExcelSource(path).write(plan)
    sheet = part(path, "xl/worksheets/sheet1.xml")
    root = etree.fromstring(sheet)
    assert root.find(f"{{{MAIN}}}dimension").get("ref") == "A1:AB7"
    numbers = [int(row.get("r")) for row in root.iter(f"{{{MAIN}}}row")]
    assert numbers == sorted(numbers) == [1, 2, 3, 4, 5, 7]
    grid = values(path, "Prospects")
    assert cell(grid, 0, 27) == "Why"
    assert cell(grid, 6, 27) == "late row"
    assert cell(grid, 4, 1) == "gap row"
    assert cell(grid, 2, 26) == "AA3"
    assert cell(grid, 2, 1) == "Beta & Co <ltd>"
    row3 = root.find(f"{{{MAIN}}}sheetData")[2]
    assert [c.get("r") for c in row3] == ["A3", "B3", "C3", "D3", "E3", "AA3"]
    spans = row3.get("spans")
    assert spans is None or spans == "1:27"


def test_rows_out_of_order_and_cells_without_r(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")

    def shuffle(xml: bytes) -> bytes:
        rows = re.findall(rb"<row .*?</row>", xml, re.S)
        # row 3 first, and row 2's cells without r=
        rows[2] = re.sub(rb' r="[A-Z]+3"', b"", rows[2])
        reordered = [rows[0], rows[3], rows[2], rows[1]]
        return xml.replace(b"".join(rows), b"".join(reordered))

    rewrite_part(path, "xl/worksheets/sheet1.xml", shuffle)
    before = values(path, "Prospects")
    plan = WritePlan(cells={(2, 2): "Fay", (2, 6): "x", (4, 0): 4, (1, 6): "y"}, width=7, height=5)
    ExcelSource(path).write(plan)
    root = etree.fromstring(part(path, "xl/worksheets/sheet1.xml"))
    numbers = [int(row.get("r")) for row in root.iter(f"{{{MAIN}}}row")]
    assert numbers == [1, 2, 3, 4, 5]
    grid = values(path, "Prospects")
    for r, row in enumerate(before):
        for c, value in enumerate(row):
            if (r, c) not in plan.cells:
                assert cell(grid, r, c) == value, (r, c)
    assert [cell(grid, 2, 2), cell(grid, 2, 6), cell(grid, 4, 0), cell(grid, 1, 6)] == [
        "Fay",
        "x",
        4,
        "y",
    ]


def test_dates_use_the_1904_system(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx", date_1904=True)
    plan = WritePlan(cells={(1, 5): dt.date(2026, 11, 30)}, width=6, height=4, date_cols=(5,))
    ExcelSource(path).write(plan)
    sheet = part(path, "xl/worksheets/sheet1.xml")
    serial = (dt.date(2026, 11, 30) - dt.date(1904, 1, 1)).days
    assert re.search(rb'<c r="F2" s="\d+"><v>' + str(serial).encode() + b"</v>", sheet)
    assert ExcelSource(path).read().rows[0][5] == dt.date(2026, 11, 30)
    assert openpyxl.load_workbook(path)["Prospects"]["F2"].value.date() == dt.date(2026, 11, 30)


def test_existing_date_format_is_kept(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    styles = part(path, "xl/styles.xml")
    # Last Contact (D) already shows dates as dd/mm/yyyy: writing a date there adds nothing
    plan = WritePlan(cells={(1, 3): dt.date(2026, 12, 1)}, width=5, height=4)
    ExcelSource(path).write(plan)
    assert part(path, "xl/styles.xml") == styles
    assert ExcelSource(path).read().rows[0][3] == dt.date(2026, 12, 1)


def test_memory_sheet_is_rewritten_entirely(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    plan = WritePlan(memory=[["ID", "n"], ["1", 1], ["2", 2], ["3", 3]], width=5, height=4)
    ExcelSource(path).write(plan)
    plan.memory = [["ID", "n", "since"], ["2", 5, dt.date(2026, 1, 2)]]
    ExcelSource(path).write(plan)
    data = ExcelSource(path).read()
    assert data.memory == [["ID", "n", "since"], ["2", 5, "2026-01-02"]]
    assert [s[0] for s in workbook_sheets(path)].count(MEMORY_SHEET) == 1


def test_formula_cell_given_a_value_leaves_the_calc_chain(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")

    def add_formula(xml: bytes) -> bytes:
        return xml.replace(b'<c r="C2" t="s"><v>', b'<c r="C2" t="str"><f>"Da"&amp;"na"</f><v>', 1)

    rewrite_part(path, "xl/worksheets/sheet1.xml", add_formula)
    chain = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="C2" i="1"/><c r="A1" i="2"/></calcChain>'
    )
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/calcChain.xml", chain)

    def relate(xml: bytes) -> bytes:
        return xml.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
        )

    rewrite_part(path, "xl/_rels/workbook.xml.rels", relate)
    plan = WritePlan(cells={(1, 2): "Fay"}, width=5, height=4)
    ExcelSource(path).write(plan)
    assert part(path, "xl/calcChain.xml").endswith(b'<c r="A1" i="2"/></calcChain>')
    assert b"<f>" not in part(path, "xl/worksheets/sheet1.xml")
    assert ExcelSource(path).read().rows[0][2] == "Fay"


def test_shared_formula_used_by_other_cells_is_refused(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")

    def share(xml: bytes) -> bytes:
        xml = xml.replace(
            b'<c r="A2"><v>1</v></c>',
            b'<c r="A2"><f t="shared" ref="A2:A4" si="0">ROW()-1</f><v>1</v></c>',
        )
        return xml.replace(
            b'<c r="A3"><v>2</v></c>', b'<c r="A3"><f t="shared" si="0"/><v>2</v></c>'
        )

    rewrite_part(path, "xl/worksheets/sheet1.xml", share)
    content = path.read_bytes()
    with pytest.raises(WorkbookRefused, match="shared formula"):
        ExcelSource(path).write(WritePlan(cells={(1, 0): "A-1"}, width=5, height=4))
    assert path.read_bytes() == content


def test_user_conditional_formats_and_filter_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Prospects"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    red = PatternFill(start_color="FF0000", end_color="FF0000", fill_type="solid")
    sheet.conditional_formatting.add(
        "A2:A4", CellIsRule(operator="greaterThan", formula=["1"], fill=red)
    )
    sheet.auto_filter.ref = "A1:C4"
    sheet.freeze_panes = "B2"
    book.save(path)
    user_cf = cf_blocks(part(path, "xl/worksheets/sheet1.xml"))
    plan = first_plan()
    ExcelSource(path).write(plan)
    sheet_xml = part(path, "xl/worksheets/sheet1.xml")
    assert_schema_order(sheet_xml)
    blocks = cf_blocks(sheet_xml)
    assert blocks[: len(user_cf)] == user_cf
    assert blocks[len(user_cf) :] == [("A2:I1048576", ['$H2="OVERDUE"', '$H2="DUE"', '$H2="DNC"'])]
    root = etree.fromstring(sheet_xml)
    assert root.find(f"{{{MAIN}}}autoFilter").get("ref") == "A1:I4"  # grown over the table
    pane = root.find(f"{{{MAIN}}}sheetViews/{{{MAIN}}}sheetView/{{{MAIN}}}pane")
    assert pane.get("topLeftCell") == "B2"  # the user's freeze stays
    priorities = [int(p) for p in re.findall(rb'priority="(\d+)"', sheet_xml)]
    assert len(priorities) == len(set(priorities))
    # a second sync changes nothing
    content = path.read_bytes()
    plan.cells, plan.memory = {}, None
    ExcelSource(path).write(plan)
    assert path.read_bytes() == content


def test_highlight_colours_changed_replace_our_rules_only(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    plan = first_plan()
    ExcelSource(path).write(plan)
    plan.cells, plan.memory = {}, None
    plan.highlight = (HighlightRule("OVERDUE", "FF0000"), HighlightRule("CHECK", "E4DFEC"))
    ExcelSource(path).write(plan)
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert cf_blocks(sheet) == [("A2:I1048576", ['$H2="OVERDUE"', '$H2="CHECK"'])]
    styles = etree.fromstring(part(path, "xl/styles.xml"))
    dxf_ids = [int(i) for i in re.findall(rb'dxfId="(\d+)"', sheet)]
    dxfs = styles.find(f"{{{MAIN}}}dxfs")
    fills = [dxfs[i].find(f".//{{{MAIN}}}bgColor").get("rgb") for i in dxf_ids]
    assert fills == ["FFFF0000", "FFE4DFEC"]


def test_stale_filter_database_name_is_reused(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")

    def add_name(xml: bytes) -> bytes:
        return xml.replace(
            b"<calcPr",
            b'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
            b'hidden="1">Prospects!$A$1:$B$2</definedName></definedNames><calcPr',
        )

    rewrite_part(path, "xl/workbook.xml", add_name)
    ExcelSource(path).write(first_plan())
    workbook = part(path, "xl/workbook.xml")
    assert workbook.count(b"_xlnm._FilterDatabase") == 1
    assert b"'Prospects'!$A$1:$I$4" in workbook


def table_book(path: Path, **table: object) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    data = [[r[0], r[1], r[2], None, r[4]] for r in ROWS]
    sheet.add_table(
        0,
        0,
        len(ROWS),
        len(HEADERS) - 1,
        {"data": data, "columns": [{"header": h} for h in HEADERS], **table},
    )
    book.close()
    return path


def test_table_is_extended_over_created_columns(tmp_path: Path) -> None:
    path = table_book(tmp_path / "t.xlsx")
    before = members(path)
    plan = first_plan()
    plan.height = 5  # one more row than the table: it grows down too
    plan.cells.update({(4, 0): 4, (4, 7): "DUE"})
    ExcelSource(path).write(plan)
    assert changed_parts(before, members(path)) <= ALLOWED | {"xl/tables/table1.xml"}
    table = etree.fromstring(part(path, "xl/tables/table1.xml"))
    assert table.get("ref") == "A1:I5"
    assert table.find(f"{{{MAIN}}}autoFilter").get("ref") == "A1:I5"
    columns = table.find(f"{{{MAIN}}}tableColumns")
    assert columns.get("count") == "9"
    assert [c.get("name") for c in columns] == HEADERS + OWNED
    assert len({c.get("id") for c in columns}) == 9
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert b"<autoFilter" not in sheet  # the table has its own
    assert b"_FilterDatabase" not in part(path, "xl/workbook.xml")
    assert_schema_order(sheet)
    # idempotent
    content = path.read_bytes()
    plan.cells, plan.memory = {}, None
    ExcelSource(path).write(plan)
    assert path.read_bytes() == content
    assert openpyxl.load_workbook(path)["Prospects"].tables["Table1"].ref == "A1:I5"


def test_table_with_totals_row_grows_sideways_only(tmp_path: Path) -> None:
    path = table_book(tmp_path / "t.xlsx", total_row=True)  # A1:E4, totals in row 4
    plan = first_plan()
    plan.height = 6
    ExcelSource(path).write(plan)
    table = etree.fromstring(part(path, "xl/tables/table1.xml"))
    assert table.get("ref") == "A1:I4"
    assert table.get("totalsRowCount") == "1"


def test_table_elsewhere_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    for r, row in enumerate([HEADERS, *ROWS]):
        sheet.write_row(r, 0, [v for v in row if not isinstance(v, dt.date)])
    sheet.add_table("H10:I12", {"columns": [{"header": "k"}, {"header": "v"}]})
    book.close()
    table = part(path, "xl/tables/table1.xml")
    ExcelSource(path).write(first_plan())
    assert part(path, "xl/tables/table1.xml") == table
    assert b"<autoFilter" not in part(path, "xl/worksheets/sheet1.xml")


def test_xlsm_keeps_its_macros(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 not a real VBA project " + bytes(range(256)) * 8)
    path = tmp_path / "m.xlsm"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, HEADERS)
    book.add_vba_project(str(vba))
    book.close()
    before = members(path)
    ExcelSource(path).write(first_plan(height=1))
    after = members(path)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["xl/vbaProject.bin"].data == vba.read_bytes()
    assert (
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in after["[Content_Types].xml"].data
    )
    assert changed_parts(before, after) <= ALLOWED


def test_backups(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    versions = [path.read_bytes()]
    for day in range(1, 5):
        plan = WritePlan(cells={(1, 5): dt.date(2026, 12, day)}, width=6, height=4)
        ExcelSource(path, backups=3).write(plan)
        versions.append(path.read_bytes())
    assert (tmp_path / "p.xlsx.bak").read_bytes() == versions[3]
    assert (tmp_path / "p.xlsx.bak2").read_bytes() == versions[2]
    assert (tmp_path / "p.xlsx.bak3").read_bytes() == versions[1]
    assert not (tmp_path / "p.xlsx.bak4").exists()
    path2 = xlsxwriter_book(tmp_path / "q.xlsx")
    ExcelSource(path2, backups=0).write(WritePlan(cells={(1, 5): 1}, width=6, height=4))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("q")) == ["q.xlsx"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".sheetsync-tmp")]


def test_permissions_are_kept(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    os.chmod(path, 0o640)
    ExcelSource(path).write(first_plan())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_bad_values_are_refused_before_writing(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    content = path.read_bytes()
    for bad in (float("nan"), object(), "x" * 40_000):
        with pytest.raises(Exception, match="cell F2"):
            ExcelSource(path).write(WritePlan(cells={(1, 5): bad}, width=6, height=4))
        assert path.read_bytes() == content


def test_unusual_but_valid_sheet_xml(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    odd = (
        b"<sheetData>"
        b"<!-- written by hand --><row r='1' ><c r='A1' t='inlineStr'><is><t>ID</t></is></c>"
        b'<c\n r="B1"\tt="inlineStr"><is><t><![CDATA[Comp<any>]]></t></is></c></row>'
        b'<row r="2" spans="1:2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><r><rPr>'
        b'<color rgb="FFFF0000"/></rPr><t>Ac</t></r><r><t>me</t></r></is></c></row>'
        b'<row r="3"/>'
        b'<row r="4" customFormat="1" s="2"><c r="A4"><v>4</v></c></row>'
        b"</sheetData>"
    )
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(rb"<sheetData>.*</sheetData>", odd, x, flags=re.S),
    )
    plan = WritePlan(
        cells={
            (0, 2): "Flag",
            (1, 2): "DUE",
            (1, 1): "Acme Ltd",
            (2, 0): 3,
            (2, 2): "CUT",
            (3, 2): "X",
        },
        width=3,
        height=4,
        flag_col=2,
        highlight=RULES,
    )
    ExcelSource(path).write(plan)
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert_schema_order(sheet)
    assert b"<!--" not in sheet.split(b"<sheetData>")[1]
    data = ExcelSource(path).read()
    assert data.headers == ["ID", "Comp<any>", "Flag"]
    assert data.rows == [[1, "Acme Ltd", "DUE"], [3, None, "CUT"], [4, None, "X"]]
    assert b'<c r="C4" s="2"' in sheet  # a new cell in a formatted row takes the row's style
    assert b'spans="1:3"' in sheet


def test_a_sheet_bigger_than_the_read_chunks(tmp_path: Path) -> None:
    """Tens of thousands of rows of uneven length and one row over a megabyte: the part is
    streamed in chunks whose ends fall anywhere in a row or a tag."""
    path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company", "Notes", "Last Contact"])
    for r in range(1, 30_001):
        sheet.write_row(r, 0, [r, f"Company {r}", "n" * (r % 97)])
        if r % 3 == 0:
            sheet.write(r, 3, r * 1.5)
    for c in range(4, 44):
        sheet.write(500, c, "x" * 30_000)  # row 501: 1.2 MB of text
    book.close()
    before = values(path, "Prospects")
    cells: dict[tuple[int, int], object] = {(0, 44): "Flag"}
    for r in range(1, 30_002, 7):
        cells[r, 44] = "DUE"
        cells[r, 3] = None if r % 2 else dt.date(2026, 1, 1 + r % 28)  # inside the rows
        cells[r, 1] = f"Renamed {r}"
    cells[30_005, 0] = 30_005  # past the end
    plan = WritePlan(cells=cells, width=45, height=30_006, flag_col=44, highlight=RULES)
    ExcelSource(path).write(plan)
    data = ExcelSource(path).read()
    grid = [data.headers, *data.rows]
    for r, row in enumerate(before):
        for c, value in enumerate(row):
            want = cells.get((r, c), value)
            got = cell(grid, r, c)
            if isinstance(want, float) and want.is_integer():
                want = int(want)
            assert got == (None if want == "" else want), (r, c)
    assert cell(grid, 30_005, 0) == 30_005
    assert cell(grid, 29_996, 44) == "DUE"


def test_a_row_listed_twice_is_refused(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    rewrite_part(
        path, "xl/worksheets/sheet1.xml", lambda x: x.replace(b'<row r="3"', b'<row r="2"')
    )
    content = path.read_bytes()
    with pytest.raises(WorkbookRefused, match="row 2 twice"):
        ExcelSource(path).write(first_plan())
    assert path.read_bytes() == content


def test_workbook_without_a_styles_part_gets_one(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist() if i.filename != "xl/styles.xml"}
    parts["xl/_rels/workbook.xml.rels"] = re.sub(
        rb'<Relationship [^>]*styles"[^>]*/>', b"", parts["xl/_rels/workbook.xml.rels"]
    )
    parts["[Content_Types].xml"] = re.sub(
        rb'<Override PartName="/xl/styles.xml"[^>]*/>', b"", parts["[Content_Types].xml"]
    )
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb' s="\d+"', b"", parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    ExcelSource(path).write(first_plan())
    assert b"styles.xml" in part(path, "xl/_rels/workbook.xml.rels")
    assert b'PartName="/xl/styles.xml"' in part(path, "[Content_Types].xml")
    data = ExcelSource(path).read()
    assert data.rows[0][5] == dt.date(2026, 11, 11)
    assert openpyxl.load_workbook(path)["Prospects"]["F2"].number_format == "yyyy-mm-dd"


def test_calc_chain_emptied_is_removed(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(b'<c r="A2"><v>1</v></c>', b'<c r="A2"><f>0+1</f><v>1</v></c>'),
    )
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(
            "xl/calcChain.xml",
            f'<calcChain xmlns="{MAIN}"><c r="A2" i="1"/></calcChain>',
        )
    rewrite_part(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda x: x.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
        ),
    )
    rewrite_part(
        path,
        "[Content_Types].xml",
        lambda x: x.replace(
            b"</Types>",
            b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
        ),
    )
    ExcelSource(path).write(WritePlan(cells={(1, 0): "A-1"}, width=5, height=4))
    with zipfile.ZipFile(path) as z:
        assert "xl/calcChain.xml" not in z.namelist()
    assert b"calcChain" not in part(path, "xl/_rels/workbook.xml.rels")
    assert b"calcChain" not in part(path, "[Content_Types].xml")
    assert ExcelSource(path).read().rows[0][0] == "A-1"


def test_a_chart_sheet_named_like_the_memory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Value"])
    sheet.write_row(1, 0, [1, 2])
    chart_sheet = book.add_chartsheet(MEMORY_SHEET)
    chart = book.add_chart({"type": "line"})
    chart.add_series({"values": "=Prospects!$B$2:$B$2"})
    chart_sheet.set_chart(chart)
    book.close()
    content = path.read_bytes()
    with pytest.raises(WorkbookRefused, match="rename that sheet"):
        ExcelSource(path).write(WritePlan(memory=[["ID"]], width=2, height=2))
    assert path.read_bytes() == content


# -- the checks of the new sheet: here, or in a child process (big sheets) -------------------

CHECKERS = ["here", "child"]


def checker(where: str, expected: dict | None = None, styles: object = None) -> object:
    from sheetsync.sources.base import columns_of
    from sheetsync.sources.excel import readback

    kind = readback.SheetChecker if where == "here" else readback.ChildSheetChecker
    columns = columns_of(expected) if expected is not None else None
    return kind("xl/worksheets/sheet1.xml", "book.xlsx", b"", columns, styles=styles)


@pytest.mark.parametrize("where", CHECKERS)
@pytest.mark.parametrize(
    ("blocks", "cells"),
    [
        (200, 1000),
        # a sheet read whole (rows out of order) comes as one block: 12 MB, over what
        # libxml2 takes at a time
        (1, 600_000),
    ],
)
def test_the_sheet_check_passes_well_formed_xml_fed_in_blocks(
    where: str, blocks: int, cells: int
) -> None:
    check = checker(where)
    try:
        check.xml(b'<?xml version="1.0"?><worksheet><sheetData>')
        for _ in range(blocks):
            check.rows(b'<row r="1">' + b'<c r="A1"><v>1</v></c>' * cells + b"</row>")
        check.xml(b"</sheetData></worksheet>", final=True)
        check.finish()
    finally:
        check.close()


@pytest.mark.parametrize("where", CHECKERS)
@pytest.mark.parametrize(
    "blocks",
    [
        [b"<worksheet><sheetData>", b"<row></sheetData></worksheet>"],
        [b"<worksheet><sheetData></sheetData>", b"<x>" * 300_000, b"</worksheet>"],
        [b"<worksheet>", b""],
    ],
)
def test_the_sheet_check_fails_on_xml_that_is_not_well_formed(
    where: str, blocks: list[bytes]
) -> None:
    from sheetsync.errors import SourceError

    check = checker(where)
    try:
        with pytest.raises(SourceError, match="not well-formed"):
            for block in blocks[:-1]:
                check.xml(block)
            check.xml(blocks[-1], final=True)
            check.finish()
    finally:
        check.close()


@pytest.mark.parametrize("where", CHECKERS)
def test_the_sheet_check_fails_on_content_after_the_root_behind_an_undeclared_prefix(
    where: str,
) -> None:
    """libxml2 stops looking past the root element once it meets an undeclared prefix; the
    XML outside the rows is read again by expat."""
    from sheetsync.errors import SourceError

    check = checker(where)
    try:
        with pytest.raises(SourceError, match="not well-formed"):
            check.xml(b"<worksheet><sheetData>")
            check.rows(b'<row r="1"><x:c r="A1"/></row>')
            check.xml(b"</sheetData></worksheet><worksheet>", final=True)
            check.finish()
    finally:
        check.close()


def test_an_xml_check_that_stops_fails_and_never_blocks() -> None:
    """The thread checking the XML meets something other than bad XML (out of memory): the
    check fails, and the writer handing it blocks is not left waiting."""
    from sheetsync.errors import SourceError

    class OutOfMemory:
        def feed(self, data: bytes) -> None:
            raise MemoryError

    check = checker("child")
    try:
        check._xml._parser = OutOfMemory()
        check.xml(b"<worksheet><sheetData>")
        for _ in range(20):  # more than the queue holds
            check.rows(b'<row r="1"><c r="A1"><v>1</v></c></row>')
        check.xml(b"</sheetData></worksheet>", final=True)
        with pytest.raises(SourceError, match=r"the XML could not be checked \(MemoryError\)"):
            check.finish()
    finally:
        check.close()


GOOD_ROWS = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>ID</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>Flag</t></is></c></row>'
    b'<row r="2"><c r="A2"><v>7</v></c><c r="B2" t="inlineStr"><is><t>DUE</t></is></c></row>'
    b'<row r="3"><c r="A3"><v>8</v></c><c r="B3" s="1"><v>46350</v></c></row>'
)
WANTED = {(0, 1): "Flag", (1, 1): "DUE", (2, 1): dt.date(2026, 11, 24)}


def check_rows(where: str, tmp_path: Path, *blocks: bytes) -> None:
    """Run the checks of the cells in WANTED over rows ``blocks`` of a sheet whose style 1
    shows dates."""
    from sheetsync.sources.excel.package import Package
    from sheetsync.sources.excel.styles import StyleBook
    from sheetsync.sources.excel.workbook import Workbook

    book = xlsxwriter.Workbook(str(tmp_path / "styles.xlsx"))
    book.add_worksheet().write_datetime(
        0, 0, dt.date(2026, 1, 1), book.add_format({"num_format": "yyyy-mm-dd"})
    )
    book.close()
    package = Package((tmp_path / "styles.xlsx").read_bytes(), "styles.xlsx")
    check = checker(where, WANTED, StyleBook(package, Workbook(package)))
    try:
        check.xml(b"<worksheet><sheetData>")
        for block in blocks:
            check.rows(block)
        check.xml(b"</sheetData></worksheet>", final=True)
        check.finish()
    finally:
        check.close()


@pytest.mark.parametrize("where", CHECKERS)
def test_the_cell_check_passes_the_cells_as_planned(where: str, tmp_path: Path) -> None:
    check_rows(where, tmp_path, GOOD_ROWS)
    middle = GOOD_ROWS.index(b'<row r="3">')
    check_rows(where, tmp_path, GOOD_ROWS[:middle], GOOD_ROWS[middle:])


@pytest.mark.parametrize("where", CHECKERS)
@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (b"<t>DUE</t>", b"<t>OVERDUE</t>", "cell B2 reads 'OVERDUE', not 'DUE'"),
        (b"<t>DUE</t>", b"<t>D&amp;E</t>", "cell B2 reads 'D&E', not 'DUE'"),
        (b'<c r="B3" s="1">', b'<c r="B3">', "cell B3 reads 46350.0, not datetime.date"),
        (b"<v>46350</v>", b"<v>46351</v>", "cell B3 reads 46351.0"),
        (b'<c r="B2" t="inlineStr"><is><t>DUE</t></is></c>', b"", "1 of the 3 new cells"),
        (
            b'<c r="B2" t="inlineStr"><is><t>DUE</t></is></c>',
            b'<c r="B2" t="inlineStr"><is><t>DUE</t></is></c>' * 2,
            "cell B2 is out of place or twice",
        ),
        (b'<c r="B3" s="1">', b'<c r="B2" s="1">', "cell B2 is out of place or twice"),
        (b'<c r="A2"><v>7</v></c>', b'<c r="B2"><v>7</v></c>', "cell B2 is out of place or twice"),
    ],
)
def test_the_cell_check_finds_a_cell_written_wrong(
    where: str, tmp_path: Path, old: bytes, new: bytes, error: str
) -> None:
    from sheetsync.errors import SourceError

    assert old in GOOD_ROWS
    with pytest.raises(SourceError, match="internal error: .*" + re.escape(error)):
        check_rows(where, tmp_path, GOOD_ROWS.replace(old, new, 1))


def test_the_cell_check_finds_a_row_written_twice_across_blocks(tmp_path: Path) -> None:
    from sheetsync.errors import SourceError

    middle = GOOD_ROWS.index(b'<row r="3">')
    again = GOOD_ROWS[GOOD_ROWS.index(b'<row r="2">') : middle]
    with pytest.raises(SourceError, match="row 2 is out of place or twice"):
        check_rows("child", tmp_path, GOOD_ROWS[:middle], again + GOOD_ROWS[middle:])


def test_a_child_check_can_be_abandoned_midway() -> None:
    check = checker("child", {(0, 0): "x"})
    check.xml(b"<worksheet><sheetData>")
    check.rows(b"<row/>" * 1_000_000)
    check.close()
    assert check._child.process.returncode is not None


def test_big_sheets_are_checked_in_a_child_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from sheetsync.sources.excel import readback

    assert type(readback.sheet_checker("p", "l", 100)) is readback.SheetChecker
    big = readback.sheet_checker("p", "l", readback.CHILD_CHECK_SIZE)
    big.close()
    assert type(big) is readback.ChildSheetChecker
    monkeypatch.setattr(readback.sys, "frozen", True, raising=False)
    assert (
        type(readback.sheet_checker("p", "l", readback.CHILD_CHECK_SIZE)) is readback.SheetChecker
    )


def test_a_sheet_checked_in_a_child_process_is_saved_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetsync.sources.excel import readback

    here, child = xlsxwriter_book(tmp_path / "a.xlsx"), tmp_path / "b.xlsx"
    # a copy, not a second book: XlsxWriter stamps docProps/core.xml with the second it ran
    child.write_bytes(here.read_bytes())
    source = ExcelSource(here)
    source.read()
    source.write(first_plan())
    monkeypatch.setattr(readback, "CHILD_CHECK_SIZE", 0)
    monkeypatch.setattr(readback._Child, "QUEUED", 1)  # a short queue must not stall
    started: list[readback._Child] = []
    original = readback._Child.__init__

    def init(self: readback._Child, setup: object) -> None:
        original(self, setup)
        started.append(self)

    monkeypatch.setattr(readback._Child, "__init__", init)
    source = ExcelSource(child)
    source.read()
    assert started == []
    source.write(first_plan())
    assert len(started) == 1 and started[0].process.returncode == 0  # one child: the cells
    content = {name: (m.data, m.crc) for name, m in members(here).items()}
    assert {name: (m.data, m.crc) for name, m in members(child).items()} == content


@pytest.mark.parametrize("where", CHECKERS)
@pytest.mark.parametrize("before", [b"<pageMargins", b'<row r="3"'])
def test_a_sheet_whose_xml_is_damaged_is_refused(
    where: str, before: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetsync.sources.excel import readback

    path = xlsxwriter_book(tmp_path / "p.xlsx")
    # end tags that do not match, after the rows or between two: calamine reads the cells
    rewrite_part(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(before, b"<x></y>" + before)
    )
    content = path.read_bytes()
    if where == "child":
        monkeypatch.setattr(readback, "CHILD_CHECK_SIZE", 0)
    source = ExcelSource(path)
    assert source.read().rows[0][:2] == [1, "Acme"]
    with pytest.raises(WorkbookRefused, match=r"(is damaged|is not well-formed XML).* Excel"):
        source.write(first_plan())
    assert path.read_bytes() == content


@pytest.mark.parametrize("where", CHECKERS)
def test_a_new_cell_written_broken_stops_the_save(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk edit whose new cells are not well-formed XML: the check of the new part stops
    the save (a bug of ours: internal error, nothing changed)."""
    from sheetsync.errors import SourceError
    from sheetsync.sources.excel import cellxml, readback

    path = xlsxwriter_book(tmp_path / "p.xlsx")
    content = path.read_bytes()
    if where == "child":
        monkeypatch.setattr(readback, "CHILD_CHECK_SIZE", 0)
    tails = cellxml.CellEncoder.column_tails

    def broken(self: cellxml.CellEncoder, *args: object) -> list[bytes]:
        return [tail.replace(b"</c>", b"</x>") for tail in tails(self, *args)]

    monkeypatch.setattr(cellxml.CellEncoder, "column_tails", broken)
    source = ExcelSource(path)
    source.read()
    with pytest.raises(SourceError, match=r"internal error: .*not well-formed"):
        source.write(first_plan())
    assert path.read_bytes() == content


def assert_internal_error(tmp_path: Path, match: str) -> None:
    """A first sync of a new workbook stops with an internal error matching ``match``, and
    the workbook is left as it was."""
    from sheetsync.errors import SourceError

    path = xlsxwriter_book(tmp_path / "p.xlsx")
    content = path.read_bytes()
    source = ExcelSource(path)
    source.read()
    with pytest.raises(SourceError, match=match):
        source.write(first_plan())
    assert path.read_bytes() == content


def test_a_check_process_that_dies_stops_the_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child checking the new sheet dies (out of memory, killed): nothing is saved."""
    from sheetsync.sources.excel import readback

    monkeypatch.setattr(readback, "CHILD_CHECK_SIZE", 0)
    original = readback._Child.__init__

    def init_and_kill(self: readback._Child, setup: object) -> None:
        original(self, setup)
        self.process.kill()

    monkeypatch.setattr(readback._Child, "__init__", init_and_kill)
    assert_internal_error(tmp_path, r"internal error: .*could not be checked")


def test_a_sheet_deflated_wrong_is_not_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new sheet's deflated bytes do not inflate to the XML that was checked (a fault of
    the compressor): nothing is saved."""
    from sheetsync.sources.excel import package

    deflate = package.StreamDeflater._deflate

    def wrong(block: bytes) -> bytes:
        return deflate(block.replace(b"<row", b"<rox"))

    monkeypatch.setattr(package.StreamDeflater, "_deflate", staticmethod(wrong))
    assert_internal_error(tmp_path, r"internal error: part xl/worksheets/sheet1.xml does ")


def test_a_sheet_deflated_to_no_deflate_stream_is_not_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deflated bytes are no deflate stream at all: the internal error, not an unexpected
    one."""
    from sheetsync.sources.excel import package

    monkeypatch.setattr(package.StreamDeflater, "_deflate", staticmethod(lambda block: b"\xff"))
    assert_internal_error(tmp_path, r"internal error: part xl/worksheets/sheet1.xml does ")


def test_a_part_stored_other_than_checked_is_not_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes written to the file are not those checked (a fault of the zip writer or the
    disk): the check of the saved file stops the save."""
    from sheetsync.sources.excel import package

    add = package._ZipWriter.add

    def flipped(self: object, name: str, part: package.Compressed, *args: object) -> None:
        if name == "xl/worksheets/sheet1.xml":
            part = package.Compressed(
                part.raw[:-1] + bytes([part.raw[-1] ^ 1]), part.crc, part.size
            )
        add(self, name, part, *args)

    monkeypatch.setattr(package._ZipWriter, "add", flipped)
    assert_internal_error(tmp_path, r"internal error: part xl/worksheets/sheet1.xml was ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.xlsx"]  # no temporary file left


def test_numpy_and_pandas_values_are_checked_in_a_child_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    import pandas as pd

    from sheetsync.sources.excel import readback

    monkeypatch.setattr(readback, "CHILD_CHECK_SIZE", 0)
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    plan = WritePlan(
        cells={(1, 5): np.int64(7), (2, 5): np.float64(2.5), (3, 5): pd.Timestamp("2026-11-30")},
        width=6,
        height=4,
    )
    ExcelSource(path).write(plan)
    rows = ExcelSource(path).read().rows
    assert [row[5] for row in rows] == [7, 2.5, dt.date(2026, 11, 30)]


# -- column widths of the columns the tool creates ---------------------------------------------


def col_widths(path: Path) -> list[tuple[int, int, str | None, str | None]]:
    """(min, max, width, customWidth) of each <col> of the prospects sheet, in order."""
    root = etree.fromstring(part(path, "xl/worksheets/sheet1.xml"))
    return [
        (int(c.get("min")), int(c.get("max")), c.get("width"), c.get("customWidth"))
        for c in root.iterfind(f"{{{MAIN}}}cols/{{{MAIN}}}col")
    ]


def test_created_columns_get_readable_widths(tmp_path: Path) -> None:
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    source = ExcelSource(path)
    source.read()
    plan = first_plan()
    source.write(plan)
    why = max(len(plan.cells[r, 8]) for r in range(1, 4))
    # Next Contact: its header (12) and a margin, more than a date needs; Next Action, Flag:
    # at least 8; Why: its longest text and a margin
    assert col_widths(path) == [
        (6, 6, "14", "1"),
        (7, 7, "13", "1"),
        (8, 8, "11", "1"),
        (9, 9, str(why + 2), "1"),
    ]
    assert_schema_order(part(path, "xl/worksheets/sheet1.xml"))
    # the next sync creates no column: the widths (maybe changed by a rep) are left alone
    source.write(first_plan())
    assert len(col_widths(path)) == 4


def test_widths_a_user_set_are_kept(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "p.xlsx"))
    sheet = book.add_worksheet("Prospects")
    sheet.set_column(1, 1, 30)  # Company: the user's width
    sheet.set_column(6, 6, 5)  # the user already sized the column Next Action will take
    for c, header in enumerate(HEADERS):
        sheet.write(0, c, header)
    book.close()
    path = tmp_path / "p.xlsx"
    before = col_widths(path)
    ExcelSource(path).write(first_plan(height=1))
    after = col_widths(path)
    assert [c for c in after if c[0] in (2, 7)] == before  # unchanged, kept in column order
    assert [c[0] for c in after] == [2, 6, 7, 8, 9]
    assert_schema_order(part(path, "xl/worksheets/sheet1.xml"))


def test_a_width_over_every_column_is_kept(tmp_path: Path) -> None:
    """One <col> for all columns (a default the user set): no created column needs its own."""
    path = xlsxwriter_book(tmp_path / "p.xlsx")
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"<sheetData",
            b'<cols><col min="1" max="16384" width="20" customWidth="1"/></cols><sheetData',
        ),
    )
    ExcelSource(path).write(first_plan())
    assert col_widths(path) == [(1, 16384, "20", "1")]


# -- same input, same bytes ----------------------------------------------------------------------


@pytest.mark.parametrize("where", CHECKERS)
def test_two_identical_files_synced_alike_give_identical_bytes(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetsync.config import Config
    from sheetsync.sources.excel import readback
    from sheetsync.sync import sync_source

    if where == "child":
        monkeypatch.setattr(readback, "CHILD_CHECK_SIZE", 0)
    first, second = tmp_path / "a" / "p.xlsx", tmp_path / "b" / "p.xlsx"
    first.parent.mkdir()
    second.parent.mkdir()
    xlsxwriter_book(first)
    second.write_bytes(first.read_bytes())
    for path in (first, second):
        sync_source(ExcelSource(path), Config(), dt.date(2026, 11, 24))
    assert first.read_bytes() == second.read_bytes()


def test_cells_spelled_otherwise_are_replaced_not_doubled(tmp_path: Path) -> None:
    """The row editor finds a changed cell by its ref; a cell spelled ``<c\\tr=`` or one with
    no r at all is found by walking the row's cells, and a cell missing in the middle of a
    row is put in its column's place."""
    path = xlsxwriter_book(tmp_path / "p.xlsx")

    def respell(xml: bytes) -> bytes:
        xml = xml.replace(b'<c r="B2"', b'<c\tr="B2"')  # Acme
        xml = xml.replace(b'<c r="C3"', b"<c")  # Eli: its place after B3 tells its column
        return xml.replace(b'<c r="C4"', b'<c r="F4"')  # Dana's cell moves off: C4 is a gap

    rewrite_part(path, "xl/worksheets/sheet1.xml", respell)
    cells = {(1, 1): "Acme Ltd", (2, 2): "Fay", (3, 2): "Gus", (2, 3): None}
    ExcelSource(path).write(WritePlan(cells=cells, width=6, height=4))
    grid = values(path, "Prospects")
    assert grid[1][1:3] == ["Acme Ltd", "Dana"]
    assert grid[2][1:4] == ["Beta & Co <ltd>", "Fay", ""]  # its Last Contact cleared
    assert grid[3][1:3] == ["Gamma", "Gus"] and grid[3][5] == "Dana"
    sheet = part(path, "xl/worksheets/sheet1.xml")
    assert sheet.count(b'r="B2"') == 1 and sheet.count(b'r="C3"') == 1
    assert sheet.index(b'r="C4"') < sheet.index(b'r="F4"')
