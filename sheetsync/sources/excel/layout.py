"""The worksheet part around its rows: dimension, frozen header, filter, conditional formats.

These elements are few and small, so they are edited as trees: the part's head (before the rows)
and its tail (after them) are each parsed with lxml as a small document with a placeholder for
the rows, edited, and serialised back (the head before the rows stream out, the tail after);
untouched, they keep their original bytes. Every element is inserted at the place the
CT_Worksheet schema orders it.

Frozen header: a ``<pane>`` freezing row 1 is added to every sheet view without one; a view
that already has a pane (a user's freeze or split) keeps it.

Filter: a sheet without ``<autoFilter>`` and without tables gets one over the whole table
(A1 to the plan's width and height); an existing filter anchored at A1 grows to cover the
table; any other filter is the user's and stays. When the filter is added or grown, the
workbook's hidden ``_xlnm._FilterDatabase`` name for the sheet is set (added once, updated
after). A sheet with a table gets no sheet filter: the table has its own (see :mod:`.tables`).

Highlighting is one ``<conditionalFormatting>`` block over ``A2:<last column>1048576`` (whole
rows below the header, so rows a rep adds between two syncs are tinted at once; empty rows have
an empty Flag and match nothing) holding one ``expression`` rule per flag, ``$<Flag>2="DUE"``.
sheetsync recognises its own blocks by that exact shape (range from A2 to the last row, every
rule an expression comparing one ``$X2`` cell with a text) and replaces them when they differ;
every other conditional format is the user's and is never touched. Our rules come after the
user's in priority, so a user's own format wins where both apply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from ...errors import WorkbookRefused
from ..base import HighlightRule
from .ooxml import (
    REL_NS,
    WORKSHEET_ORDER,
    XML_DECLARATION,
    insert_in_order,
    local_name,
    parse_xml,
    q,
)
from .spreadsheetml import MAX_COLS, MAX_ROWS, col_letter, format_range, parse_range
from .styles import StyleBook

_PLACEHOLDER = b"<!--sheetsync:rows-->"
_OUR_SQREF = re.compile(r"^A2:([A-Z]{1,3})" + str(MAX_ROWS) + "$")
_OUR_FORMULA = re.compile(r'^\$([A-Z]{1,3})2="((?:[^"]|"")*)"$')


def grid_range(ref: str) -> tuple[int, int, int, int] | None:
    """:func:`.cells.parse_range`, cut to Excel's grid: a range a file claims past its last
    row or column (``A1:XFE3``) is taken to end there, so that what is written from it is a
    range Excel can read."""
    box = parse_range(ref)
    return None if box is None else grid_box(box)


def grid_box(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), 0-based, cut to Excel's grid."""
    top, left, bottom, right = box
    last_row, last_col = MAX_ROWS - 1, MAX_COLS - 1
    return min(top, last_row), min(left, last_col), min(bottom, last_row), min(right, last_col)


@dataclass(frozen=True)
class ColumnStyles:
    """Cell styles of whole columns (``<col style>``), which new cells take on."""

    spans: tuple[tuple[int, int, int], ...]  # (first col, last col, style), 0-based

    def get(self, col: int, default: int = 0) -> int:
        for first, last, style in self.spans:
            if first <= col <= last:
                return style
        return default


_ROOT_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)worksheet(?=[\s>])[^>]*>")


class _Skeleton:
    """One side of a worksheet part (before or after its rows) parsed as a small document with
    a placeholder where the rows go."""

    def __init__(self, document: bytes) -> None:
        try:
            self.root = parse_xml(document)
        except etree.XMLSyntaxError as exc:
            raise WorkbookRefused(
                f"the worksheet part is not well-formed XML ({exc}); open and save it in Excel"
            ) from exc
        self.changed = False

    def _child(self, name: str) -> etree._Element | None:
        return self.root.find(q(name))

    def _insert(self, element: etree._Element) -> None:
        insert_in_order(self.root, element, WORKSHEET_ORDER)
        self.changed = True

    def _text(self) -> tuple[bytes, bytes]:
        text = etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)
        cut = text.index(_PLACEHOLDER)
        return text[:cut], text[cut + len(_PLACEHOLDER) :]


class HeadLayout(_Skeleton):
    """The worksheet part before its rows: dimension, sheet views, columns."""

    def __init__(self, head: bytes, open_tag: bytes, prefix: bytes) -> None:
        self.head, self.open_tag, self.prefix = head, open_tag, prefix
        root = _ROOT_TAG.search(head)
        if root is None:
            raise WorkbookRefused("the worksheet part has no <worksheet> element")
        p = prefix
        super().__init__(
            head
            + b"<"
            + p
            + b"sheetData>"
            + _PLACEHOLDER
            + b"</"
            + p
            + b"sheetData></"
            + root.group(1)
            + b"worksheet>"
        )

    def column_styles(self) -> ColumnStyles:
        cols = self._child("cols")
        spans = []
        for col in cols if cols is not None else ():
            if col.tag == q("col") and col.get("style"):
                try:
                    first, last = int(col.get("min", "1")) - 1, int(col.get("max", "1")) - 1
                    spans.append((first, last, int(col.get("style", "0"))))
                except ValueError:
                    continue
        return ColumnStyles(tuple(spans))

    def cover(self, box: tuple[int, int, int, int]) -> None:
        """Grow ``<dimension>`` to cover ``box`` (top, left, bottom, right) too."""
        dimension = self._child("dimension")
        if dimension is None:
            return
        current = grid_range(dimension.get("ref", ""))
        if current is None:
            wanted = box
        else:
            wanted = (
                min(current[0], box[0]),
                min(current[1], box[1]),
                max(current[2], box[2]),
                max(current[3], box[3]),
            )
        if wanted != current:
            dimension.set("ref", format_range(*wanted))
            self.changed = True

    def freeze_header(self) -> None:
        """Freeze row 1 in every sheet view that has no pane (a user's split or freeze stays)."""
        views = self._child("sheetViews")
        if views is None:
            views = etree.Element(q("sheetViews"))
            etree.SubElement(views, q("sheetView"), workbookViewId="0")
            self._insert(views)
        for view in views:
            if view.tag != q("sheetView") or view.find(q("pane")) is not None:
                continue
            pane = etree.Element(q("pane"), ySplit="1", topLeftCell="A2")
            pane.set("activePane", "bottomLeft")
            pane.set("state", "frozen")
            view.insert(0, pane)
            self.changed = True

    def text(self) -> bytes:
        """The bytes before the rows, through ``<sheetData>``."""
        if not self.changed:
            if self.open_tag.endswith(b"/>"):  # an empty sheetData gets a body
                return self.head + b"<" + self.prefix + b"sheetData>"
            return self.head + self.open_tag
        return XML_DECLARATION + self._text()[0]


class TailLayout(_Skeleton):
    """The worksheet part after its rows: filter, conditional formats, tables..."""

    def __init__(self, head: bytes, close_tag: bytes, tail: bytes, prefix: bytes) -> None:
        self.close_tag, self.tail, self.prefix = close_tag, tail, prefix
        root_tag = _ROOT_TAG.search(head)
        if root_tag is None:
            raise WorkbookRefused("the worksheet part has no <worksheet> element")
        p = prefix
        super().__init__(
            root_tag.group(0)
            + b"<"
            + p
            + b"sheetData>"
            + _PLACEHOLDER
            + b"</"
            + p
            + b"sheetData>"
            + tail
        )

    def table_rel_ids(self) -> list[str]:
        """Relationship ids of the sheet's tables (``<tableParts>``)."""
        parts = self._child("tableParts")
        if parts is None:
            return []
        return [el.get(q("id", REL_NS), "") for el in parts if el.tag == q("tablePart")]

    def ensure_filter(self, width: int, height: int) -> str | None:
        """Filter the table A1:(height, width) unless the sheet has tables; an existing filter
        anchored at A1 grows to cover it, any other filter is left alone. Returns the absolute
        range of the filter when it was added or changed (for the workbook's filter name)."""
        if width <= 0 or height <= 0 or self.table_rel_ids():
            return None
        wanted = (0, 0, height - 1, width - 1)
        existing = self._child("autoFilter")
        if existing is None:
            self._insert(etree.Element(q("autoFilter"), ref=format_range(*wanted)))
            return format_range(*wanted, absolute=True)
        current = grid_range(existing.get("ref", ""))
        if current is None or current[:2] != (0, 0):
            return None
        grown = (0, 0, max(current[2], wanted[2]), max(current[3], wanted[3]))
        if grown == current:
            return None
        existing.set("ref", format_range(*grown))
        self.changed = True
        return format_range(*grown, absolute=True)

    def highlight(
        self, rules: Sequence[HighlightRule], flag_col: int, width: int, styles: StyleBook
    ) -> None:
        """Install the flag highlighting, replacing our own earlier rules if they differ."""
        if not rules or width <= 0:
            return
        sqref = f"A2:{col_letter(max(width, flag_col + 1) - 1)}{MAX_ROWS}"
        flag = col_letter(flag_col)
        formulas = [f'${flag}2="{rule.flag.replace(chr(34), chr(34) * 2)}"' for rule in rules]
        ours = [block for block in self.root if _is_ours(block)]
        if len(ours) == 1 and ours[0].get("sqref") == sqref:
            existing = [rule for rule in ours[0] if rule.tag == q("cfRule")]
            if [_formula(rule) for rule in existing] == formulas and all(
                (rule.get("dxfId") or "").isdigit()
                and styles.dxf_matches(int(rule.get("dxfId")), want)
                for rule, want in zip(existing, rules, strict=True)
            ):
                return
        for block in ours:
            self.root.remove(block)
        priorities = [
            int(el.get("priority"))
            for el in self.root.iter()
            if local_name(el) == "cfRule" and (el.get("priority") or "").isdigit()
        ]
        priority = max(priorities, default=0)
        block = etree.Element(q("conditionalFormatting"), sqref=sqref)
        for rule, formula in zip(rules, formulas, strict=True):
            priority += 1
            cf = etree.SubElement(block, q("cfRule"), type="expression")
            cf.set("dxfId", str(styles.dxf_index(rule)))
            cf.set("priority", str(priority))
            etree.SubElement(cf, q("formula")).text = formula
        self._insert(block)

    def text(self) -> bytes:
        """The bytes after the rows, from ``</sheetData>``."""
        if not self.changed:
            return (self.close_tag or b"</" + self.prefix + b"sheetData>") + self.tail
        return self._text()[1]


def _formula(rule: etree._Element) -> str | None:
    formulas = [el for el in rule if local_name(el) == "formula"]
    return (formulas[0].text or "") if len(formulas) == 1 else None


def _is_ours(block: etree._Element) -> bool:
    if block.tag != q("conditionalFormatting") or not _OUR_SQREF.match(block.get("sqref", "")):
        return False
    rules = [el for el in block if isinstance(el.tag, str)]
    return bool(rules) and all(
        rule.tag == q("cfRule")
        and rule.get("type") == "expression"
        and _OUR_FORMULA.match(_formula(rule) or "") is not None
        for rule in rules
    )
