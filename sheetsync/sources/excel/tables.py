"""Excel tables (ListObjects) on the prospects sheet.

Decision: a table whose header row is the sheet's row 1 and which starts in column A is the
prospects table itself. When sheetsync creates its columns to the right of it, the table is
extended over them (new ``tableColumn`` entries named after the header cells), and down over
rows the sheet has below it (unless the table has a totals row, which sits right under the
data). Reps then filter ``Flag`` and ``Owner`` with the table's own filter buttons and the
table style covers the tool's columns. Any other table (elsewhere on the sheet, without a
header row, or fed by a query or XML map, whose column list belongs to that source) is left as
it is. A column is only added when its header is a non-empty text unique in the table, as Excel
requires; otherwise the table is left unchanged.

A table's frame holds no prospect data (:func:`frame_rows`): its totals row, and its header
row when that is not the sheet's first row (a table further down). Those cells are read as
empty, so a totals row of the prospects table, or a header row further down, is never a
prospect and nothing is written there; a prospect beside a side table's totals row keeps its
own cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from .layout import grid_range
from .ooxml import RT_TABLE, q, serialize_xml
from .package import Package
from .spreadsheetml import format_range

_QUERY_TABLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/queryTable"


@dataclass
class Table:
    """One table part of the sheet."""

    part: str
    root: etree._Element
    box: tuple[int, int, int, int] | None  # (top, left, bottom, right)
    fed: bool  # by a query table or an XML map: its columns are not ours to add to


def load_tables(package: Package, sheet_part: str, rel_ids: list[str]) -> list[Table]:
    """The tables listed in the sheet's ``<tableParts>``."""
    rels = {rel.id: rel for rel in package.rels(sheet_part)}
    tables = []
    for rel_id in rel_ids:
        rel = rels.get(rel_id)
        if rel is None or rel.type != RT_TABLE or rel.external or package.find(rel.target) is None:
            continue
        part = package.name(rel.target)
        root = package.read_xml(part)
        for count in ("headerRowCount", "totalsRowCount"):
            text = root.get(count)
            if text is not None and not text.isdigit():  # which rows are its frame is unknown
                raise package.damaged(f"part {part}: {count} {text!r} is not a count")
        fed = root.get("tableType", "worksheet") != "worksheet" or any(
            r.type == _QUERY_TABLE_REL for r in package.rels(part)
        )
        tables.append(Table(part, root, grid_range(root.get("ref", "")), fed))
    return tables


def sheet_tables(package: Package, sheet_part: str) -> list[Table]:
    """Every table related to the sheet part."""
    rel_ids = [rel.id for rel in package.rels(sheet_part) if rel.type == RT_TABLE]
    return load_tables(package, sheet_part, rel_ids)


def frame_rows(tables: list[Table]) -> list[tuple[int, int, int, str]]:
    """The cells of tables' frames that hold no prospect data: each table's totals row, and its
    header row when that is not the sheet's first row, as (0-based row, first column, last
    column, what it is for the log)."""
    frames = []
    for table in tables:
        if table.box is None:
            continue
        top, left, bottom, right = table.box
        name = table.root.get("displayName") or table.root.get("name") or table.part
        totals = _count(table.root.get("totalsRowCount"), 0)
        for row in range(max(bottom - totals + 1, top), bottom + 1):
            frames.append((row, left, right, f"the totals row of table {name}"))
        if _count(table.root.get("headerRowCount"), 1) and top > 0:
            frames.append((top, left, right, f"the header row of table {name}"))
    return frames


def _count(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.isdigit() else default


def extend_table(
    table: Table,
    others: list[Table],
    width: int,
    height: int,
    headers: Mapping[int, object],
) -> bytes | None:
    """Grow the prospects table over ``width`` columns and ``height`` rows; returns the new part,
    or None when the table is not the prospects table, cannot grow, or already covers them."""
    root, box = table.root, table.box
    if box is None or table.fed or box[:2] != (0, 0) or not _count(root.get("headerRowCount"), 1):
        return None
    top, left, bottom, right = box
    totals = _count(root.get("totalsRowCount"), 0)
    new_right = max(right, width - 1)
    new_bottom = bottom if totals else max(bottom, height - 1)
    if (new_bottom, new_right) == (bottom, right):
        return None
    wanted = (top, left, new_bottom, new_right)
    for other in others:
        if other is table or other.box is None:
            continue
        o = other.box
        if o[0] <= wanted[2] and wanted[0] <= o[2] and o[1] <= wanted[3] and wanted[1] <= o[3]:
            return None
    columns = root.find(q("tableColumns"))
    if columns is None:
        return None
    existing = [el for el in columns if el.tag == q("tableColumn")]
    names = {(el.get("name") or "").casefold() for el in existing}
    added = []
    for col in range(right + 1, new_right + 1):
        name = headers.get(col)
        if not isinstance(name, str) or not name.strip() or name.casefold() in names:
            return None
        names.add(name.casefold())
        added.append(name)
    next_id = max((_count(el.get("id"), 0) for el in existing), default=0) + 1
    for offset, name in enumerate(added):
        etree.SubElement(columns, q("tableColumn"), id=str(next_id + offset), name=name)
    columns.set("count", str(len(existing) + len(added)))
    root.set("ref", format_range(*wanted))
    auto = root.find(q("autoFilter"))
    if auto is not None:
        filter_box = grid_range(auto.get("ref", "")) or wanted
        auto.set("ref", format_range(filter_box[0], filter_box[1], new_bottom, new_right))
    table.box = wanted
    return serialize_xml(root)
