"""The project's own reader of a worksheet's values, streaming its XML with lxml's iterparse.

python-calamine reads every workbook it can open, fast (see :mod:`.reader`). This reader
serves where it cannot: a workbook calamine refuses as a whole (an Excel 4 macro sheet, a
``<sheet r:id="">`` entry: real files from Mac Excel 2011 and LibreOffice round trips), a
sheet it fails on, and cells whose stored value calamine turns into something else (a NaN or a
negative number in a date-formatted cell reads there as 1899-12-30 or as midnight).

It gives what :class:`.reader.SheetValues` gives: rows from A1, None for empty and error
cells, cached formula results, text for shared and inline strings, booleans, whole numbers as
int, and for date-formatted cells (by the workbook's styles, :class:`.styles.StyleBook`) dates
or date-times in the workbook's date system. A number no date can be (negative, NaN, past
9999) stays a number, and a stored value that is not a finite number (``NaN``, ``INF``) is
read as its text, so that a date column says which cell is wrong instead of showing a date.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from lxml import etree

from ...errors import WorkbookRefused
from ..base import EPOCH_1900, Cell
from .layout import grid_range
from .package import Package
from .spreadsheetml import COLUMN_OF, MAX_COLS, MAX_ROWS, parse_ref
from .styles import StyleBook
from .workbook import Workbook

_SHARED_STRINGS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_DIGITS = "0123456789"
#: column letters -> 0-based index, for every column of a sheet
_COLUMNS = COLUMN_OF
#: floats hold every whole number up to this one exactly
_EXACT = 2**53
#: Excel's last serial day (9999-12-31)
_MAX_SERIAL = 2958465


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(element: etree._Element) -> str:
    """The text of a string item (``<si>`` or ``<is>``): its ``<t>`` pieces, phonetic runs
    (``<rPh>``) left out; a piece without ``xml:space="preserve"`` loses its surrounding
    white space, as calamine reads it."""
    if len(element) == 1 and _local(element[0].tag) == "t":  # plain text, the usual case
        t = element[0]
        text = t.text or ""
        return text if t.get(_XML_SPACE) == "preserve" else text.strip(" \t\r\n")
    pieces = []
    for t in element.iter("{*}t"):
        parent = t.getparent()
        if parent is not None and _local(parent.tag) == "rPh":
            continue
        text = t.text or ""
        pieces.append(text if t.get(_XML_SPACE) == "preserve" else text.strip(" \t\r\n"))
    return "".join(pieces)


def _elements(stream: Any, names: str, label: str, part: str) -> Iterator[etree._Element]:
    """The elements of a part named one of ``names`` (space-separated) as they end, each freed
    once the caller is done."""
    events = etree.iterparse(
        stream,
        events=("end",),
        tag=[f"{{*}}{name}" for name in names.split()],
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
    )
    try:
        for _, element in events:
            yield element
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise WorkbookRefused(
            f"{label}: part {part} is not well-formed XML ({exc}); open the workbook in Excel, "
            "let it repair it, save it and run again"
        ) from exc


class XmlSheets:
    """A workbook whose worksheets are read by streaming their XML."""

    def __init__(self, package: Package, workbook: Workbook) -> None:
        self.package, self.workbook = package, workbook
        self.styles = StyleBook(package, workbook)
        self._strings: list[str] | None = None
        self._days: dict[float, dt.date | dt.datetime] = {}
        #: merged ranges of the sheets read, by part: (top, left, bottom, right), 0-based
        self.merged: dict[str, list[tuple[int, int, int, int]]] = {}

    def shared_strings_part(self) -> str | None:
        """The workbook's shared-strings part, when it has one."""
        for rel in self.package.rels(self.workbook.part):
            if rel.type == _SHARED_STRINGS and not rel.external:
                return rel.target if self.package.find(rel.target) is not None else None
        return None

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            part = self.shared_strings_part()
            if part is not None:
                with self.package.open(part) as stream:
                    for si in _elements(stream, "si", self.package.label, part):
                        self._strings.append(_text(si))
        return self._strings

    def rows(self, part: str) -> list[list[Cell]]:
        """All rows of the worksheet part, from A1, trailing empty rows dropped."""
        label = self.package.label
        rows: list[list[Cell]] = []
        merged = self.merged[part] = []
        self._strings = self.strings
        next_row = 0
        with self.package.open(part) as stream:
            for row_el in _elements(stream, "row mergeCell", label, part):
                if _local(row_el.tag) == "mergeCell":
                    box = grid_range(row_el.get("ref", ""))
                    if box is not None:
                        merged.append(box)
                    continue
                r = row_el.get("r")
                index = int(r) - 1 if r and r.isdigit() else next_row
                if not 0 <= index < MAX_ROWS or index < len(rows):
                    raise WorkbookRefused(
                        f"{label}: sheet part {part} has a row numbered {r!r} out of order or "
                        "past Excel's last row; open the workbook in Excel, save it and run again"
                    )
                rows.extend([] for _ in range(index - len(rows)))
                rows.append(self._row(row_el, part))
                next_row = index + 1
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        return rows

    def _row(self, row_el: etree._Element, part: str) -> list[Cell]:
        values: list[Cell] = []
        ns = row_el.tag[: -len("row")]
        cell_tag = ns + "c"
        for c in row_el:
            if c.tag != cell_tag:
                continue
            ref = c.get("r")
            col = len(values)
            if ref:
                found = _COLUMNS.get(ref.rstrip(_DIGITS))
                place = (0, found) if found is not None else parse_ref(ref)
                if place is None or place[1] >= MAX_COLS:
                    raise WorkbookRefused(
                        f"{self.package.label}: sheet part {part} has a cell named {ref!r}, "
                        "which is not a cell of an Excel sheet; open the workbook in Excel, "
                        "save it and run again"
                    )
                col = place[1]
            if col < len(values):
                continue  # a second cell at the same place: the first one stands
            values.extend([None] * (col - len(values)))
            values.append(self._value(c, ns))
        return values

    def _value(self, c: etree._Element, ns: str) -> Cell:
        kind = c.get("t", "n")
        if kind == "inlineStr":
            found = c.find(ns + "is")
            return (_text(found) or None) if found is not None else None
        v = c.find(ns + "v")
        raw = v.text if v is not None else None
        if raw is None or kind == "e":
            return None
        if kind == "s":
            try:
                return self._strings[int(raw)] or None  # type: ignore[index]
            except (ValueError, IndexError):
                return None
        if kind == "str":
            return raw or None
        if kind == "b":
            return raw.strip().lower() in ("1", "true")  # "TRUE" too, as calamine reads it
        if kind == "d":
            text = raw.strip()
            try:
                stamp = dt.datetime.fromisoformat(text)
            except ValueError:
                return raw
            return stamp.date() if len(text) == len("2026-11-02") else stamp
        try:
            number = float(raw)
        except ValueError:
            return raw.strip() or None
        if not math.isfinite(number):
            return raw.strip()  # "NaN", "INF": say what is stored, never a blank or a date
        style = c.get("s", "0")
        if style.isdigit() and 1 <= number < _MAX_SERIAL + 1 and self.styles.shows_date(int(style)):
            return self._date(number)
        # whole numbers as int, where exact (-1e308 stays a float: shown as -1e+308)
        return int(number) if number.is_integer() and abs(number) <= _EXACT else number

    def _date(self, serial: float) -> dt.date | dt.datetime:
        day = self._days.get(serial)
        if day is None:
            day = self._days[serial] = self._make_date(serial)
        return day

    def _make_date(self, serial: float) -> dt.date | dt.datetime:
        epoch = self.workbook.epoch
        if epoch == EPOCH_1900 and serial < 60:
            epoch += dt.timedelta(days=1)  # Excel's 1900-02-29 that never was
        day = epoch + dt.timedelta(days=math.floor(serial))
        fraction = serial - math.floor(serial)
        if not fraction:
            return day
        seconds = round(fraction * 86_400, 3)
        return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=seconds)
