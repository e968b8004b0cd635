"""Helpers for the Excel adapter tests: building workbooks, looking inside packages, and the
third-party fixture files. Independent of the code under test (zipfile, lxml, calamine only)."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import python_calamine as calamine
from lxml import etree

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "xlsx"

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = REL + "/worksheet"

#: CT_Worksheet's child order, as the schema has it
WORKSHEET_ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]


def fixture_files() -> list[Path]:
    """Every .xlsx of the shared fixtures folder (empty when it is absent)."""
    return sorted(FIXTURES.glob("*.xlsx")) if FIXTURES.is_dir() else []


# -- looking inside a package ------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One zip member: its uncompressed content and how it is stored."""

    data: bytes
    crc: int
    compress_type: int
    raw_size: int


def members(path: Path) -> dict[str, Member]:
    """Every member of a zip, by name."""
    with zipfile.ZipFile(path) as z:
        return {
            info.filename: Member(z.read(info), info.CRC, info.compress_type, info.compress_size)
            for info in z.infolist()
        }


def changed_parts(before: dict[str, Member], after: dict[str, Member]) -> set[str]:
    """Names of the members added, removed or different in content or storage."""
    names = set(before) | set(after)
    return {name for name in names if before.get(name) != after.get(name)}


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def xml(path: Path, name: str) -> etree._Element:
    return etree.fromstring(part(path, name))


def workbook_sheets(path: Path) -> list[tuple[str, str, str | None, str]]:
    """(name, state, worksheet part or None, sheetId) of every sheet, in workbook order."""
    with zipfile.ZipFile(path) as z:
        names = {n.lower(): n for n in z.namelist()}
        root_rels = etree.fromstring(z.read("_rels/.rels"))
        target = next(
            el.get("Target") for el in root_rels if el.get("Type", "").endswith("/officeDocument")
        )
        wb_part = target.lstrip("/")
        wb = etree.fromstring(z.read(names[wb_part.lower()]))
        folder, base = posixpath.split(wb_part)
        rels = etree.fromstring(
            z.read(names[posixpath.join(folder, "_rels", base + ".rels").lower()])
        )
        targets = {el.get("Id"): (el.get("Type"), el.get("Target")) for el in rels}
    out = []
    for sheet in wb.iter(f"{{{MAIN}}}sheet"):
        kind, target = targets[sheet.get(f"{{{REL}}}id")]
        part_name = None
        if kind == WORKSHEET_TYPE:
            part_name = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
        out.append(
            (sheet.get("name"), sheet.get("state", "visible"), part_name, sheet.get("sheetId"))
        )
    return out


def sheet_part(path: Path, name: str) -> str:
    for sheet_name, _, part_name, _ in workbook_sheets(path):
        if sheet_name == name and part_name:
            return part_name
    raise KeyError(name)


def values(path: Path, sheet: str) -> list[list[object]]:
    """A worksheet's values as calamine reads them (from A1)."""
    with calamine.CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def all_values(path: Path) -> dict[str, list[list[object]]]:
    """Every worksheet's values as calamine reads them."""
    with calamine.CalamineWorkbook.from_path(str(path)) as book:
        return {
            meta.name: book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            for meta in book.sheets_metadata
            if meta.typ == calamine.SheetTypeEnum.WorkSheet
        }


def cell(grid: list[list[object]], row: int, col: int) -> object:
    """A value of a calamine grid, '' outside it."""
    if row < len(grid) and col < len(grid[row]):
        return grid[row][col]
    return ""


def child_order(sheet_xml: bytes) -> list[str]:
    """Local names of a worksheet's children."""
    root = etree.fromstring(sheet_xml)
    return [etree.QName(el).localname for el in root if isinstance(el.tag, str)]


def assert_schema_order(sheet_xml: bytes) -> None:
    """Fail unless the worksheet's children follow CT_Worksheet's order."""
    names = [n for n in child_order(sheet_xml) if n in WORKSHEET_ORDER]
    ranks = [WORKSHEET_ORDER.index(n) for n in names]
    assert ranks == sorted(ranks), f"children out of schema order: {names}"


def cf_blocks(sheet_xml: bytes) -> list[tuple[str, list[str]]]:
    """(sqref, formulas) of every main-namespace conditionalFormatting element."""
    root = etree.fromstring(sheet_xml)
    return [
        (
            block.get("sqref"),
            [f.text for f in block.iter(f"{{{MAIN}}}formula")],
        )
        for block in root.findall(f"{{{MAIN}}}conditionalFormatting")
    ]


# -- building workbooks ----------------------------------------------------------------


def add_worksheet(path: Path, name: str, rows: list[list[object]]) -> str:
    """Add a worksheet holding ``rows`` to the package, the way a user adds a sheet: a new part,
    registered in the workbook, its relationships and the content types; no other part is
    touched. Values: str (inline), int/float, bool; dates as serial numbers. Returns the part."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        contents = {info.filename: z.read(info) for info in infos}
    sheets = workbook_sheets(path)
    lower = {n.lower(): n for n in contents}
    root_rels = etree.fromstring(contents["_rels/.rels"])
    wb_part = next(
        el.get("Target") for el in root_rels if el.get("Type", "").endswith("/officeDocument")
    ).lstrip("/")
    wb_part = lower[wb_part.lower()]
    folder, base = posixpath.split(wb_part)
    rels_part = lower[posixpath.join(folder, "_rels", base + ".rels").lower()]
    n = 1
    while f"{folder}/worksheets/prospects{n}.xml".lower() in lower:
        n += 1
    new_part = f"{folder}/worksheets/prospects{n}.xml"

    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_letters(c)}{r + 1}"
            if value is None:
                continue
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, dt.date):
                serial = (value - dt.date(1899, 12, 30)).days
                cells.append(f'<c r="{ref}"><v>{serial}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            else:
                text = str(value).replace("&", "&amp;").replace("<", "&lt;")
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
        body.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    contents[new_part] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>{"".join(body)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    ).encode()

    rels = etree.fromstring(contents[rels_part])
    ids = {el.get("Id") for el in rels}
    rid = next(f"rIdP{i}" for i in range(1, 1000) if f"rIdP{i}" not in ids)
    etree.SubElement(
        rels,
        f"{{{PKG_REL}}}Relationship",
        Id=rid,
        Type=WORKSHEET_TYPE,
        Target=posixpath.relpath(new_part, folder),
    )
    contents[rels_part] = etree.tostring(
        rels, xml_declaration=True, encoding="UTF-8", standalone=True
    )

    types = etree.fromstring(contents["[Content_Types].xml"])
    etree.SubElement(
        types,
        f"{{{CT}}}Override",
        PartName="/" + new_part,
        ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    )
    contents["[Content_Types].xml"] = etree.tostring(
        types, xml_declaration=True, encoding="UTF-8", standalone=True
    )

    wb = etree.fromstring(contents[wb_part])
    sheets_el = wb.find(f"{{{MAIN}}}sheets")
    ids = [int(s[3]) for s in sheets if s[3] and s[3].isdigit()]
    el = etree.SubElement(
        sheets_el, f"{{{MAIN}}}sheet", name=name, sheetId=str(max(ids, default=0) + 1)
    )
    el.set(f"{{{REL}}}id", rid)
    contents[wb_part] = etree.tostring(wb, xml_declaration=True, encoding="UTF-8", standalone=True)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, contents.pop(info.filename))
        out.writestr(new_part, contents.pop(new_part))
    path.write_bytes(buffer.getvalue())
    return new_part


def rewrite_part(path: Path, name: str, transform) -> None:
    """Replace one member's content with ``transform(content)``."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        contents = {info.filename: z.read(info) for info in infos}
    contents[name] = transform(contents[name])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, contents[info.filename])
    path.write_bytes(buffer.getvalue())


def to_strict(path: Path) -> None:
    """Rewrite every namespace as Strict Open XML spells it (what Excel's "Strict Open XML
    Spreadsheet" save does to the names)."""
    transitional = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    }
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        contents = {info.filename: z.read(info) for info in infos}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            data = contents[info.filename]
            for old, new in transitional.items():
                data = data.replace(old, new)
            out.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def _letters(col: int) -> str:
    text = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        text = chr(65 + rest) + text
    return text


def letters(col: int) -> str:
    """0 -> 'A'."""
    return _letters(col)


def strip_ns(text: bytes) -> bytes:
    """XML without namespace declarations, for loose text assertions."""
    return re.sub(rb'\sxmlns(:\w+)?="[^"]*"', b"", text)


def write_typed_rows(sheet: object, rows: list[list[object]], date: object) -> None:
    """Write ``rows`` into an XlsxWriter worksheet from A1, each value as its own type: dates
    with the format ``date``, booleans, texts always as text, numbers; None left empty."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date)  # type: ignore[attr-defined]
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)  # type: ignore[attr-defined]
            elif isinstance(value, str):
                sheet.write_string(r, c, value)  # type: ignore[attr-defined]
            elif value is not None:
                sheet.write_number(r, c, value)  # type: ignore[attr-defined]


def read_sheets(path: Path, halves: bool, monkeypatch: pytest.MonkeyPatch):
    """Every worksheet's rows and merged ranges (or the error), read by calamine in halves
    (sources/excel/reader.py: forced, whatever the size) or whole; and the temporary copies
    opened (two a sheet read in halves)."""
    import sheetsync.sources.excel.reader as reader
    from sheetsync.sources.excel.package import Package
    from sheetsync.sources.excel.workbook import Workbook

    monkeypatch.setattr(reader, "HALVES_FROM", 0 if halves else 1 << 60)
    parsed: list[str] = []
    real_open = reader._open_copy

    def open_copy(file: str):  # the real opening of each half's copy, noted
        parsed.append(file)
        return real_open(file)

    monkeypatch.setattr(reader, "_open_copy", open_copy)
    data = path.read_bytes()
    package = Package(data, path.name)
    workbook = Workbook(package)
    values = reader.SheetValues(data, package, workbook)
    try:
        out = {
            entry.name: (values.rows(entry), sorted(values.merged[entry.name]))
            for entry in workbook.sheets
            if entry.part is not None
        }
    except Exception as exc:  # the error behaviour is compared too
        out = (type(exc).__name__, str(exc))
    finally:
        values.close()
    monkeypatch.setattr(reader, "_open_copy", real_open)
    return out, parsed
