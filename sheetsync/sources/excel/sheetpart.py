"""Reading a worksheet part around its rows, for the row editor (:mod:`.roweditor`).

:func:`streamed_sheet` reads the part in chunks and never parses it as a tree (100,000 rows
would cost seconds and hundreds of MB): the text before ``<sheetData``, the rows as chunks of
text, and the text after. SpreadsheetML gives this text enough structure for the scan:
``<row>`` and ``<c>`` never nest, attribute values of rows and cells never hold ``>``, and cell
content never holds ``</c>``. Comments, CDATA and processing instructions could break those
facts, and rows given out of order cannot be merged with new ones on the fly: such a part is
read whole instead (:func:`whole_sheet`), normalised through lxml (comments and the like carry
no cell data) and its rows sorted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

from lxml import etree

from ...errors import WorkbookRefused
from .ooxml import XML_DECLARATION, local_name, parse_xml

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?=[\s/>])")
#: how much of the part is read at a time
CHUNK_SIZE = 1 << 20


class Readable(Protocol):
    """What a worksheet part is streamed from."""

    def read(self, size: int = -1, /) -> bytes: ...


class NeedsWholePart(Exception):
    """Streaming cannot go on (rows out of order, comments...): read the part whole instead."""


@dataclass(frozen=True)
class Patterns:
    """The spellings the row editor looks for, for one namespace prefix."""

    #: a row's start tag; group 1 = its r (absent: numbered after the previous row)
    row: re.Pattern[bytes]
    #: a cell's start tag; group 1 = the column letters of its r, group 2 = "/" if empty
    cell: re.Pattern[bytes]
    formula: re.Pattern[bytes]
    cell_close: bytes  # "</c>"
    row_close: bytes  # "</row"


@lru_cache(maxsize=8)
def patterns(prefix: bytes) -> Patterns:
    """The :class:`Patterns` of a part whose elements have namespace ``prefix`` (b"x:")."""
    p = re.escape(prefix)
    return Patterns(
        row=re.compile(b"<" + p + rb"""row(?=[\s/>])(?:[^>]*?\sr\s*=\s*["'](\d+)["'])?[^>]*>"""),
        cell=re.compile(
            b"<"
            + p
            + rb"""c(?=[\s/>])(?:[^>]*?\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?\d+["'])?[^>]*?(/?)>"""
        ),
        formula=re.compile(b"<" + p + rb"f(?=[\s/>])"),
        cell_close=b"</" + prefix + b"c>",
        row_close=b"</" + prefix + b"row",
    )


@dataclass
class SheetText:
    """A worksheet part around its rows: everything before ``<sheetData``, the sheetData tags,
    the rows (as an iterator of chunks) and everything after."""

    prefix: bytes  # namespace prefix of SpreadsheetML elements, e.g. b"" or b"x:"
    head: bytes
    open_tag: bytes  # "<sheetData>", or "<sheetData/>" for an empty one
    body: Iterator[bytes]
    close_tag: bytes = b""  # "</sheetData>" ("" for an empty one); set once body is consumed
    tail: bytes = b""  # set once body is consumed


def _check_encoding(data: bytes, label: str) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise WorkbookRefused(
            f"{label} is stored as UTF-16, which sheetsync does not edit; save it in Excel and run again"
        )


def streamed_sheet(stream: Readable, label: str) -> SheetText:
    """Read a worksheet part from ``stream`` chunk by chunk; the rows come from ``body``."""
    buffer = b""
    while True:
        chunk = stream.read(CHUNK_SIZE)
        buffer += chunk
        _check_encoding(buffer, label)
        match = _SHEET_DATA.search(buffer)
        if match is not None and buffer.find(b">", match.end()) >= 0:
            break
        if not chunk:
            raise WorkbookRefused(
                f"{label} has no <sheetData>; open and save it in Excel, then run again"
            )
    prefix = match.group(1)
    gt = buffer.index(b">", match.end())
    sheet = SheetText(prefix, buffer[: match.start()], buffer[match.start() : gt + 1], iter(()))
    if buffer[gt - 1] == ord("/"):
        sheet.tail = buffer[gt + 1 :] + stream.read()
        return sheet
    sheet.body = _body(stream, buffer[gt + 1 :], sheet, label)
    return sheet


def _body(stream: Readable, buffer: bytes, sheet: SheetText, label: str) -> Iterator[bytes]:
    close = b"</" + sheet.prefix + b"sheetData"
    keep = len(close) + 1  # bytes held back: the close tag may straddle two chunks
    while True:
        at = buffer.find(close)
        if at >= 0:
            end = buffer.find(b">", at)
            rest = b"" if end >= 0 else stream.read()
            buffer += rest
            end = buffer.find(b">", at)
            if end < 0:
                raise WorkbookRefused(f"{label} is truncated; it cannot be edited safely")
            if at:
                yield buffer[:at]
            sheet.close_tag = buffer[at : end + 1]
            sheet.tail = buffer[end + 1 :] + stream.read()
            return
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            raise WorkbookRefused(
                f"{label} is truncated (no </sheetData>); it cannot be edited safely"
            )
        if len(buffer) > keep:
            yield buffer[:-keep]
            buffer = buffer[-keep:]
        buffer += chunk


def whole_sheet(data: bytes, label: str) -> SheetText:
    """A worksheet part read whole: normalised if needed, rows sorted, every row given r=.
    Refuses a part that lists a row twice."""
    _check_encoding(data, label)
    sheet = _split(data, label)
    if has_markup(sheet.body_bytes):
        data = _normalise(data, label)
        sheet = _split(data, label)
    rows = scan_rows(sheet.body_bytes, sheet.prefix, 0, len(sheet.body_bytes))
    numbers = [row.number for row in rows]
    if len(set(numbers)) != len(numbers):
        duplicate = next(n for n in numbers if numbers.count(n) > 1)
        raise WorkbookRefused(
            f"{label} lists row {duplicate + 1} twice; open and save it in Excel, then run again"
        )
    # Rows out of order: emitting them sorted is a valid file with the same content.
    rows.sort(key=lambda row: row.number)
    body = b"".join(whole_row(sheet.body_bytes, row) for row in rows)
    return SheetText(
        sheet.prefix,
        sheet.head,
        sheet.open_tag,
        iter([body] if body else []),
        sheet.close_tag,
        sheet.tail,
    )


class _Split(NamedTuple):
    prefix: bytes
    head: bytes
    open_tag: bytes
    body_bytes: bytes
    close_tag: bytes
    tail: bytes


def _split(data: bytes, label: str) -> _Split:
    match = _SHEET_DATA.search(data)
    if match is None:
        raise WorkbookRefused(
            f"{label} has no <sheetData>; open and save it in Excel, then run again"
        )
    prefix = match.group(1)
    gt = data.index(b">", match.end())
    head, open_tag = data[: match.start()], data[match.start() : gt + 1]
    if data[gt - 1] == ord("/"):
        return _Split(prefix, head, open_tag, b"", b"", data[gt + 1 :])
    close = data.rfind(b"</" + prefix + b"sheetData", gt)
    if close < 0:
        raise WorkbookRefused(f"{label} is truncated (no </sheetData>); it cannot be edited safely")
    end = data.index(b">", close) + 1
    return _Split(prefix, head, open_tag, data[gt + 1 : close], data[close:end], data[end:])


def _normalise(data: bytes, label: str) -> bytes:
    """Drop comments and processing instructions from sheetData and turn CDATA into text."""
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise WorkbookRefused(
            f"{label} is not well-formed XML ({exc}); it cannot be edited"
        ) from exc
    for el in root:
        if local_name(el) == "sheetData":
            for junk in [n for n in el.iter() if not isinstance(n.tag, str)]:
                parent = junk.getparent()
                if junk.tail:
                    previous = junk.getprevious()
                    if previous is not None:
                        previous.tail = (previous.tail or "") + junk.tail
                    else:
                        parent.text = (parent.text or "") + junk.tail
                parent.remove(junk)
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


class Row(NamedTuple):
    number: int  # 0-based
    start: int  # of "<row"
    content: int  # first byte after the start tag
    end: int  # start of the next row (or the end of the text scanned)
    has_r: bool


def scan_rows(data: bytes, prefix: bytes, lo: int, hi: int, previous: int = -1) -> list[Row]:
    """The rows starting in data[lo:hi]; the last one ends at ``hi``."""
    matches = list(patterns(prefix).row.finditer(data, lo, hi))
    rows: list[Row] = []
    for i, m in enumerate(matches):
        r = m.group(1)
        number = int(r) - 1 if r is not None else previous + 1
        end = matches[i + 1].start() if i + 1 < len(matches) else hi
        rows.append(Row(number, m.start(), m.end(), end, r is not None))
        previous = number
    return rows


def has_markup(data: bytes) -> bool:
    """Whether ``data`` holds a comment, CDATA section, declaration or processing instruction
    (``<!``, ``<?``). Their second characters are rare in a sheet and found fast; only when one
    is there is ``<`` (in every tag) searched with it."""
    if data.find(b"!") < 0 and data.find(b"?") < 0:
        return False
    return b"<!" in data or b"<?" in data


def add_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    """Insert an attribute right after the element name of a start tag."""
    i = 1
    while tag[i] not in b" \t\r\n/>":
        i += 1
    return tag[:i] + b" " + name + b'="' + value + b'"' + tag[i:]


def whole_row(data: bytes, row: Row) -> bytes:
    """An unchanged row, given an explicit r= if it had none."""
    if row.has_r:
        return data[row.start : row.end]
    tag = add_attr(data[row.start : row.content], b"r", b"%d" % (row.number + 1))
    return tag + data[row.content : row.end]
