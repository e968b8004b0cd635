"""Streaming edit of a worksheet's ``<sheetData>``: only the cells in the plan change.

The part is read in chunks and never parsed as a tree (100,000 rows would cost seconds and
hundreds of MB). Rows are located by their start tags; a row without changes is copied as the
original bytes; in a row with changes, only the changed cells are re-written and every other cell
(and the row's own attributes: height, style, outline level...) is copied byte for byte. Rows and
cells without an ``r`` attribute get one where it keeps positions true; new rows are inserted in
row order. A block of rows that only gains cells right of its last ones (a first sync adding the
tool's columns) is edited in bulk, with the same bytes as a row by row edit would write.

SpreadsheetML gives this text enough structure for the scan: ``<row>`` and ``<c>`` never nest,
attribute values of rows and cells never hold ``>``, and cell content never holds ``</c>``.
Comments, CDATA and processing instructions could break those facts, and rows given out of order
cannot be merged with new ones on the fly: such a part is read whole instead, normalised through
lxml (comments and the like carry no cell data) and its rows sorted (:func:`whole_sheet`).
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, islice, repeat
from operator import add, getitem, itemgetter, lt
from typing import NamedTuple, Protocol

from lxml import etree

from ...errors import WorkbookRefused
from ..base import Cell, ColumnChanges
from .cells import MAX_COLS, col_index, col_letter, parse_range
from .ooxml import XML_DECLARATION, local_name, parse_xml

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?=[\s/>])")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')""")
_SPANS = re.compile(rb"""(\sspans\s*=\s*["'])([^"']*)(["'])""")
#: cell attributes dropped when we give a cell a new value: its type, and the metadata indexes
#: of dynamic-array formulas (cm) and rich values (vm) that described the old value
_REPLACED_ATTRS = frozenset({b"r", b"s", b"t", b"cm", b"vm"})
#: how much of the part is read at a time
CHUNK_SIZE = 1 << 20


class Readable(Protocol):
    """What a worksheet part is streamed from."""

    def read(self, size: int = -1, /) -> bytes: ...


class NeedsWholePart(Exception):
    """Streaming cannot go on (rows out of order, comments...): read the part whole instead."""


_LETTERS = [col_letter(col).encode() for col in range(MAX_COLS)]
_COLUMNS = {letters: col for col, letters in enumerate(_LETTERS)}


@dataclass(frozen=True)
class _Patterns:
    #: a row's start tag; group 1 = its r (absent: numbered after the previous row)
    row: re.Pattern[bytes]
    #: a cell's start tag; group 1 = the column letters of its r, group 2 = "/" if empty
    cell: re.Pattern[bytes]
    formula: re.Pattern[bytes]
    #: a row's start tag spelled ``<row r="N" ...>``; groups: N, the attributes after r=
    row_tag: re.Pattern[bytes]
    #: a row's start tag ``<row r="N"`` up to its spans; groups: before, N, spans, quote
    row_spans: re.Pattern[bytes]
    row_open: bytes  # "<row"
    row_end: bytes  # "</row>"
    cell_close: bytes
    row_close: bytes


@lru_cache(maxsize=8)
def _patterns(prefix: bytes) -> _Patterns:
    p = re.escape(prefix)
    return _Patterns(
        row=re.compile(b"<" + p + rb"""row(?=[\s/>])(?:[^>]*?\sr\s*=\s*["'](\d+)["'])?[^>]*>"""),
        cell=re.compile(
            b"<"
            + p
            + rb"""c(?=[\s/>])(?:[^>]*?\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?\d+["'])?[^>]*?(/?)>"""
        ),
        formula=re.compile(b"<" + p + rb"f(?=[\s/>])"),
        row_tag=re.compile(b"<" + p + rb'row r="(\d+)"([^>]*)>'),
        row_spans=re.compile(
            b"(<" + p + rb"""row r="(\d+)"[^>]*?\sspans\s*=\s*["'])([^"']*)(["'])"""
        ),
        row_open=b"<" + prefix + b"row",
        row_end=b"</" + prefix + b"row>",
        cell_close=b"</" + prefix + b"c>",
        row_close=b"</" + prefix + b"row",
    )


def _col(letters: bytes) -> int:
    col = _COLUMNS.get(letters)
    return col if col is not None else col_index(letters.decode())


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
    rows = _scan_rows(sheet.body_bytes, sheet.prefix, 0, len(sheet.body_bytes))
    numbers = [row.number for row in rows]
    if len(set(numbers)) != len(numbers):
        duplicate = next(n for n in numbers if numbers.count(n) > 1)
        raise WorkbookRefused(
            f"{label} lists row {duplicate + 1} twice; open and save it in Excel, then run again"
        )
    # Rows out of order: emitting them sorted is a valid file with the same content.
    rows.sort(key=lambda row: row.number)
    body = b"".join(_whole_row(sheet.body_bytes, row) for row in rows)
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


class _Row(NamedTuple):
    number: int  # 0-based
    start: int  # of "<row"
    content: int  # first byte after the start tag
    end: int  # start of the next row (or the end of the text scanned)
    has_r: bool


def _scan_rows(data: bytes, prefix: bytes, lo: int, hi: int, previous: int = -1) -> list[_Row]:
    """The rows starting in data[lo:hi]; the last one ends at ``hi``."""
    matches = list(_patterns(prefix).row.finditer(data, lo, hi))
    rows: list[_Row] = []
    for i, m in enumerate(matches):
        r = m.group(1)
        number = int(r) - 1 if r is not None else previous + 1
        end = matches[i + 1].start() if i + 1 < len(matches) else hi
        rows.append(_Row(number, m.start(), m.end(), end, r is not None))
        previous = number
    return rows


class _Cell(NamedTuple):
    start: int
    end: int
    col: int
    tag_end: int  # index of the start tag's '>'
    self_closing: bool
    has_r: bool


def _scan_cells(data: bytes, prefix: bytes, lo: int, hi: int) -> list[_Cell]:
    patterns = _patterns(prefix)
    close = patterns.cell_close
    cells: list[_Cell] = []
    previous = -1
    for m in patterns.cell.finditer(data, lo, hi):
        letters, slash = m.group(1, 2)
        gt = m.end() - 1
        end = gt + 1 if slash else data.index(close, gt) + len(close)
        col = _col(letters) if letters is not None else previous + 1
        cells.append(_Cell(m.start(), end, col, gt, bool(slash), letters is not None))
        previous = col
    return cells


def _last_cell_col(data: bytes, prefix: bytes, lo: int, hi: int) -> int | None:
    """Column of the row's last cell (-1 when it has none); None when that cell has no ``r``."""
    needle = b"<" + prefix + b"c"
    pos = hi
    while True:
        i = data.rfind(needle, lo, pos)
        if i < 0:
            return -1
        if data[i + len(needle)] in b" \t\r\n/>":
            break
        pos = i
    match = _patterns(prefix).cell.match(data, i, hi)
    if match is None or match.group(1) is None:
        return None
    return _col(match.group(1))


#: one row's changes: (column, value) sorted by column; a value of None clears the cell
RowChanges = list[tuple[int, object]]


class CellBuilder(Protocol):
    """Builds cells' XML (see :class:`~.cellxml.CellEncoder`)."""

    def __call__(self, ref: bytes, value: object, style: int, keep_s: bool, kept: bytes) -> bytes:
        """One cell: (ref, value, style, keep_s, kept attributes) -> XML; value is not None."""
        ...

    def new_cells(
        self, row_ref: bytes, changes: RowChanges, style_of: Callable[[int], int]
    ) -> list[bytes]:
        """The cells of ``changes`` where a row had none (None values skipped)."""
        ...

    def column_tails(
        self, letters: bytes, row_refs: list[bytes], values: list[Cell], style: int
    ) -> list[bytes]:
        """New cells of one column, one per row, as what follows ``<c r="`` + letters + row
        number (b"" where the value is None)."""
        ...


def has_markup(data: bytes) -> bool:
    """Whether ``data`` holds a comment, CDATA section, declaration or processing instruction
    (``<!``, ``<?``). Their second characters are rare in a sheet and found fast; only when one
    is there is ``<`` (in every tag) searched with it."""
    if data.find(b"!") < 0 and data.find(b"?") < 0:
        return False
    return b"<!" in data or b"<?" in data


_NO_ROW = sys.maxsize  # after every row
_second = itemgetter(1)


class RowEditor:
    """Applies cell changes to the rows of one worksheet, fed to it in chunks in order.

    ``columns``: the changes column by column (see :func:`~sheetsync.sources.base.columns_of`).
    A block of rows where every change lands after each row's last cell (a first sync adding
    the tool's columns) is edited in bulk (:meth:`_append_block`); any other block row by row.
    """

    def __init__(
        self,
        prefix: bytes,
        columns: Mapping[int, ColumnChanges],
        build: CellBuilder,
        col_styles: Callable[[int], int],
        label: str,
    ) -> None:
        self.prefix = prefix
        self.build = build
        self.col_style = lru_cache(maxsize=None)(col_styles)
        self.label = label
        #: refs of cells whose formula was replaced by a value (to drop from calcChain)
        self.removed_formulas: list[str] = []
        #: after each feed: the new XML in what it returned, whole elements (the new cells and
        #: rows of a bulk edit), or None when it is all to be taken as new (see
        #: :meth:`~.readback.SheetChecker.rows`)
        self.new_xml: list[bytes] | None = None
        self._columns = {col: columns[col] for col in sorted(columns)}
        #: per column, how many of its changes are done
        self._cursor = dict.fromkeys(self._columns, 0)
        self._rows = sorted(set().union(*(rows for rows, _ in self._columns.values())))
        self._k = 0  # rows with changes before this index are done
        self._previous = -1  # number of the last row seen
        self._carry = b""  # the last, maybe incomplete, row of the previous chunk
        patterns = _patterns(prefix)
        self._patterns = patterns
        self._row_pattern = patterns.row
        self._cell_open = b"<" + prefix + b'c r="'
        self._cell_close = patterns.cell_close
        self._row_close = patterns.row_close
        self._cell_start = b"<" + prefix + b"c"
        #: in "\0"-separated cell starts, the column letters of each
        self._last_ref = re.compile(b"\0<" + re.escape(prefix) + rb'c r="([A-Z]{1,3})\d')
        #: a cell's start tag spelled other than ``<c r="``
        self._other_cell_start = re.compile(b"<" + re.escape(prefix) + rb'c(?:[\t\r\n/>]| (?!r="))')

    def _changes_of(self, number: int) -> RowChanges:
        changes: RowChanges = []
        cursor = self._cursor
        for col, (rows, values) in self._columns.items():
            i = cursor[col]
            if i < len(rows) and rows[i] == number:
                changes.append((col, values[i]))
                cursor[col] = i + 1
        return changes

    def feed(self, chunk: bytes, final: bool = False) -> list[bytes]:
        """The new text for ``chunk`` (and what was held back from the chunk before)."""
        data = self._carry + chunk if self._carry else chunk
        if has_markup(data):
            raise NeedsWholePart
        cut = len(data) if final else self._last_row_start(data)
        self.new_xml = []
        fast = self._append_block(data[:cut]) if cut > 0 else None
        if fast is None:
            self.new_xml = None
            return self._feed_rows(data, final)
        self._carry = data[cut:]
        if final:
            after = self._rows_after()
            fast += after
            self.new_xml += after
        return fast

    def _last_row_start(self, data: bytes) -> int:
        """Where the last row starting in ``data`` starts (0 if none does)."""
        row_open, end = self._patterns.row_open, len(data)
        while (at := data.rfind(row_open, 0, end)) >= 0:
            follows = data[at + len(row_open) : at + len(row_open) + 1]
            if follows and follows in b" \t\r\n/>":
                return at
            end = at
        return 0

    def _append_block(self, data: bytes) -> list[bytes] | None:
        """The bulk edit of ``data``, whole rows, when it applies; else None (nothing done).

        It applies when every row is spelled ``<row r="N"`` with an end tag, in order, the
        last cell of each is spelled ``<c r="``, the rows with changes are all here (none to
        insert), and some changed columns are right of every row's last cell ("appended": a
        first sync adding the tool's columns; cells keep column order in a row). Their new cells go right before each row's end tag:
        one split, one join. A change left of them (a reset Attempts, a filled ID) is made in
        its row by :meth:`_edit_row`; so is every change of a row with a row style for its
        cells."""
        patterns = self._patterns
        tags = patterns.row_tag.findall(data)  # (number, attributes after r)
        count = len(tags)
        if not count or data.count(patterns.row_open) != count:
            return None
        pieces = data.split(patterns.row_end)
        if len(pieces) != count + 1:
            return None
        rows = [int(number) - 1 for number, _ in tags]
        first, last = rows[0], rows[-1]
        if first <= self._previous or not all(map(lt, rows, islice(rows, 1, None))):
            return None
        changed, k = self._rows, self._k
        k_end = bisect_right(changed, last, k)
        if k < len(changed) and changed[k] < first:
            return None  # a new row goes before these
        changed_here = changed[k:k_end]
        if changed_here != rows and not set(changed_here) <= set(rows):
            return None  # a new row goes between these
        slices: dict[int, tuple[int, int]] = {}  # column -> its changes here
        for col, (col_rows, _) in self._columns.items():
            i = self._cursor[col]
            j = bisect_right(col_rows, last, i)
            if j > i:
                slices[col] = (i, j)
        if not slices:
            self._k, self._previous = k_end, last
            return [data]
        right = self._rightmost_cell(pieces, count)
        if right is None:
            return None
        # changed columns with a cell at or right of them
        edited = {col: span for col, span in slices.items() if col <= right}
        appended = {col: span for col, span in slices.items() if col not in edited}
        if not appended:
            return None
        styled = (  # rows whose new cells take the row's style
            {row for row, (_, attrs) in zip(rows, tags, strict=True) if b"customFormat" in attrs}
            & set(changed_here)
            if b"customFormat" in data
            else set()
        )
        self._k, self._previous = k_end, last
        for col, (_, j) in slices.items():
            self._cursor[col] = j

        refs = [b"%d" % (row + 1) for row in rows]
        position = {row: n for n, row in enumerate(rows)}
        columns: list[list[bytes]] = []  # per appended column, what follows each new ref
        for col, (i, j) in appended.items():
            col_rows, values = self._columns[col]
            aligned = values[i:j]
            if styled or col_rows[i:j] != rows:  # not a value for every row: line them up
                aligned = [None] * count
                for row, value in zip(col_rows[i:j], values[i:j], strict=True):
                    if row not in styled:
                        aligned[position[row]] = value
            columns.append(
                self.build.column_tails(_LETTERS[col], refs, aligned, self.col_style(col))
            )
        inserts = self._inserts(list(appended), refs, columns)
        if b"spans" in data:
            pieces = self._widen_block_spans(data, tags, appended, columns).split(patterns.row_end)
        out = list(chain.from_iterable(zip(pieces, inserts, repeat(patterns.row_end))))
        out.append(pieces[-1])
        special = set().union(*(self._columns[col][0][i:j] for col, (i, j) in edited.items()))
        for row in sorted(special | styled):
            n = position[row]
            piece = pieces[n]
            start = piece.find(patterns.row_open)
            text = piece + patterns.row_end
            found = _Row(row, start, piece.index(b">", start) + 1, len(text), True)
            changes = self._gather(row, slices if row in styled else edited)
            new = b"".join(self._edit_row(text, found, changes))
            out[3 * n] = piece[:start] + new[: -len(patterns.row_end)]  # its end tag follows
            if self.new_xml is not None:
                self.new_xml.append(new)
        if self.new_xml is not None:
            self.new_xml += inserts
        return out

    def _rightmost_cell(self, pieces: list[bytes], count: int) -> int | None:
        """The column of the rightmost last cell of the rows (each piece up to its end tag:
        ``count`` of them), -1 when none has a cell; None when a last cell has no ref."""
        cell = self._cell_start
        starts = list(map(bytes.rfind, islice(pieces, count), repeat(cell)))
        # the start of every row's last cell, in one text to read all their refs at once
        ends = map(add, starts, repeat(len(cell) + 20))
        heads = b"\0" + b"\0".join(map(getitem, pieces, map(slice, starts, ends)))
        letters = self._last_ref.findall(heads)
        if len(letters) != count - starts.count(-1):
            return None  # a last cell without a ref (or none where one seemed to be)
        return max(map(_col, set(letters)), default=-1)

    def _inserts(
        self, cols: list[int], refs: list[bytes], columns: list[list[bytes]]
    ) -> list[bytes]:
        """Each row's new cells (``columns``: per column, what follows the ref of each)."""
        start = self._cell_open
        if all(map(all, columns)):  # every row gets every column: one format per row
            template = b"".join(start + _LETTERS[col] + b"%b%b" for col in cols)
            args = [item for column in columns for item in (refs, column)]
            return list(map(template.__mod__, zip(*args, strict=True)))
        cells = [
            [
                start + letters + ref + tail if tail else b""
                for ref, tail in zip(refs, column, strict=True)
            ]
            for letters, column in zip([_LETTERS[col] for col in cols], columns, strict=True)
        ]
        return cells[0] if len(cells) == 1 else list(map(b"".join, zip(*cells, strict=True)))

    def _widen_block_spans(
        self,
        data: bytes,
        tags: list[tuple[bytes, bytes]],
        appended: Mapping[int, tuple[int, int]],
        columns: list[list[bytes]],
    ) -> bytes:
        """``data`` with each row's spans widened over the appended columns it changes (as
        :meth:`_edit_row` does; ``columns``: their new cells, to see if all rows get all)."""
        cols = list(appended)
        if all(map(all, columns)):  # the same columns on every row: one replace per spelling
            spellings = Counter(map(_second, tags))
            new_tags: dict[bytes, bytes] = {}
            for attrs in spellings:
                span = _SPANS.search(attrs)
                widened = _widened(span[2], cols[0], cols[-1]) if span is not None else None
                if span is not None and widened is not None:
                    new_tags[attrs] = attrs[: span.start(2)] + widened + attrs[span.end(2) :]
            # safe where every occurrence of the text is a row's tag (a cell's text could say
            # the same), which the counts show; else row by row
            if all(data.count(b'"' + old + b">") == spellings[old] for old in new_tags):
                for old, new in new_tags.items():
                    data = data.replace(b'"' + old + b">", b'"' + new + b">")
                return data
        bounds: dict[int, tuple[int, int]] = {}
        for col, (i, j) in appended.items():
            for row in self._columns[col][0][i:j]:
                bounds[row] = (bounds[row][0], col) if row in bounds else (col, col)

        def widen(m: re.Match[bytes]) -> bytes:
            low_high = bounds.get(int(m[2]) - 1)
            if low_high is None:
                return m[0]
            return m[1] + (_widened(m[3], *low_high) or m[3]) + m[4]

        return self._patterns.row_spans.sub(widen, data)

    def _gather(self, row: int, slices: Mapping[int, tuple[int, int]]) -> RowChanges:
        """The changes of one row among the columns' changes ``slices``."""
        changes: RowChanges = []
        for col, (i, j) in slices.items():
            col_rows, col_values = self._columns[col]
            at = bisect_left(col_rows, row, i, j)
            if at < j and col_rows[at] == row:
                changes.append((col, col_values[at]))
        return changes

    def _rows_after(self) -> list[bytes]:
        """New rows for the changes below the last row of the sheet."""
        out = []
        while self._k < len(self._rows):
            number = self._rows[self._k]
            out.append(self._new_row(number, self._changes_of(number)))
            self._k += 1
        return out

    def _feed_rows(self, data: bytes, final: bool) -> list[bytes]:
        """The careful path: row by row."""
        matches = list(self._row_pattern.finditer(data))
        out: list[bytes] = []
        if not final:
            if not matches:
                self._carry = data
                return out
            # the last row may go on in the next chunk
            data_end = matches.pop().start()
            self._carry = data[data_end:]
        else:
            self._carry = b""
            data_end = len(data)
        rows, count, k, previous = self._rows, len(self._rows), self._k, self._previous
        next_row = rows[k] if k < count else _NO_ROW
        copy_from = 0  # bytes before this are emitted
        ends = [m.start() for m in matches]
        ends.append(data_end)
        for i, m in enumerate(matches):
            r = m.group(1)
            number = int(r) - 1 if r is not None else previous + 1
            if number <= previous:
                raise NeedsWholePart  # out of order (or twice): sort the whole part
            previous = number
            if number < next_row and r is not None:
                continue  # unchanged: copied with the rows around it
            start, end = m.start(), ends[i + 1]
            if next_row == number and r is not None:
                changes = self._changes_of(number)
                k += 1
                next_row = rows[k] if k < count else _NO_ROW
                copied = self._append_row(
                    out, data, copy_from, start, m.end(), end, number, changes
                )
                if copied >= 0:
                    copy_from = copied
                    continue
            else:
                changes = None
            if start > copy_from:
                out.append(data[copy_from:start])
            copy_from = end
            while next_row < number:
                out.append(self._new_row(next_row, self._changes_of(next_row)))
                k += 1
                next_row = rows[k] if k < count else _NO_ROW
            row = _Row(number, start, m.end(), end, r is not None)
            if changes is None and next_row == number:
                changes = self._changes_of(number)
                k += 1
                next_row = rows[k] if k < count else _NO_ROW
            if changes is not None:
                out += self._edit_row(data, row, changes)
            else:
                out.append(_whole_row(data, row))
        self._k, self._previous = k, previous
        if data_end > copy_from:
            out.append(data[copy_from:data_end])
        if final:
            out += self._rows_after()
        return out

    # -- rows ----------------------------------------------------------------------------

    def _new_row(self, number: int, changes: RowChanges) -> bytes:
        p = self.prefix
        row_ref = b"%d" % (number + 1)
        new = self.build.new_cells(row_ref, changes, self.col_style)
        if not new:
            return b""
        return b"".join([b"<" + p + b'row r="' + row_ref + b'">', *new, b"</" + p + b"row>"])

    def _append_row(
        self,
        out: list[bytes],
        data: bytes,
        copy_from: int,
        start: int,
        content: int,
        end: int,
        number: int,
        changes: RowChanges,
    ) -> int:
        """The fast path (a first sync appending columns): when every change lands after the
        last cell of row data[start:end], append to ``out`` the text from ``out``'s end up to
        the row's end tag (from ``copy_from``) and the new cells, and return where copying
        goes on (the end tag). Else -1, and nothing is appended."""
        if data[content - 2] == 47 or data.find(b"customFormat", start, content) >= 0:
            return -1  # an empty row, or a row style for its cells
        content_end = data.rfind(self._row_close, content, end)
        last = _last_cell_col(data, self.prefix, content, content_end)
        if last is None or last >= changes[0][0]:
            return -1
        if data.find(b"spans", start, content) >= 0:
            if start > copy_from:
                out.append(data[copy_from:start])
            out.append(_widen_spans(data[start:content], changes[0][0], changes[-1][0]))
            out.append(data[content:content_end])
        else:
            out.append(data[copy_from:content_end])
        out += self.build.new_cells(b"%d" % (number + 1), changes, self.col_style)
        return content_end

    def _edit_row(self, data: bytes, row: _Row, changes: RowChanges) -> list[bytes]:
        p = self.prefix
        tag = data[row.start : row.content]
        content_start = row.content
        if tag[-2] == 47:  # "/>": an empty row gets a body
            content_end = content_start
            tag = tag[:-2].rstrip() + b">"
            close = b"</" + p + b"row>" + data[row.content : row.end]
        else:
            content_end = data.rfind(self._row_close, content_start, row.end)
            close = data[content_end : row.end]
        row_ref = b"%d" % (row.number + 1)
        if not row.has_r:
            tag = _add_attr(tag, b"r", row_ref)
        if b"spans" in tag:
            tag = _widen_spans(tag, changes[0][0], changes[-1][0])
        row_style = _row_style(tag) if b"customFormat" in tag else None
        style_of = self.col_style if row_style is None else lambda col: row_style
        last = _last_cell_col(data, p, content_start, content_end)
        if last is not None and last < changes[0][0]:
            # Fast path (a first sync appending columns): every change lands after the last cell.
            new = self.build.new_cells(row_ref, changes, style_of)
            return [tag, data[content_start:content_end], *new, close]
        if (
            last is not None
            and self._other_cell_start.search(data, content_start, content_end) is None
        ):
            # every cell spelled <c r="...": the changed ones can be found by their ref
            pieces = self._edit_by_ref(
                data, content_start, content_end, row_ref, changes, last, style_of
            )
            if pieces is not None:
                return [tag, *pieces, close]
        cell_list = _scan_cells(data, p, content_start, content_end)
        if not all(cell.has_r for cell in cell_list):
            normal = _with_cell_r(data, cell_list, content_start, content_end, row.number)
            cell_list = _scan_cells(normal, p, 0, len(normal))
            data, content_start, content_end = normal, 0, len(normal)
        cols = [cell.col for cell in cell_list]
        pieces: list[bytes] = [tag]
        cursor = content_start
        build = self.build
        for col, value in changes:
            i = bisect_left(cols, col)
            ref = _LETTERS[col] + row_ref
            if i < len(cols) and cols[i] == col:
                cell = cell_list[i]
                pieces.append(data[cursor : cell.start])
                pieces.append(self._replace(data, cell, ref, value))
                cursor = cell.end
            else:
                position = cell_list[i].start if i < len(cols) else content_end
                pieces.append(data[cursor:position])
                if value is not None:
                    pieces.append(build(ref, value, style_of(col), False, b""))
                cursor = position
        pieces.append(data[cursor:content_end])
        pieces.append(close)
        return pieces

    def _edit_by_ref(
        self,
        data: bytes,
        lo: int,
        hi: int,
        row_ref: bytes,
        changes: RowChanges,
        last: int,
        style_of: Callable[[int], int],
    ) -> list[bytes] | None:
        """The row's content with every change replacing the cell found by its ref, or added
        after the row's last cell (column ``last``); None when a changed cell is not there
        (or not after the one before), which needs a full scan."""
        pieces: list[bytes] = []
        cursor = lo
        cell_open, cell_close = self._cell_open, self._cell_close
        for i, (col, value) in enumerate(changes):
            if col > last:  # this change and the ones after it land after the last cell
                pieces.append(data[cursor:hi])
                pieces += self.build.new_cells(row_ref, changes[i:], style_of)
                return pieces
            ref = _LETTERS[col] + row_ref
            start = data.find(cell_open + ref + b'"', cursor, hi)
            if start < 0:
                return None
            gt = data.index(b">", start)
            if data[gt - 1] == 47:  # "/>"
                cell = _Cell(start, gt + 1, col, gt, True, True)
            else:
                cell = _Cell(
                    start, data.index(cell_close, gt) + len(cell_close), col, gt, False, True
                )
            pieces.append(data[cursor:start])
            pieces.append(self._replace(data, cell, ref, value))
            cursor = cell.end
        pieces.append(data[cursor:hi])
        return pieces

    # -- cells ---------------------------------------------------------------------------

    def _replace(self, data: bytes, cell: _Cell, ref: bytes, value: object) -> bytes:
        """A new version of an existing cell: its style and other attributes, a new value."""
        style, keep_s, kept = 0, False, []
        for name, quoted in _ATTR.findall(data, cell.start, cell.tag_end):
            if name == b"s":
                keep_s = True
                style = int(quoted[1:-1] or 0)
            elif name not in _REPLACED_ATTRS:
                kept.append(b" " + name + b"=" + quoted)
        if not cell.self_closing:
            self._check_formula(data, cell, ref)
        if value is None:
            p = self.prefix
            s_attr = b' s="%d"' % style if keep_s else b""
            return b"<" + p + b'c r="' + ref + b'"' + s_attr + b"".join(kept) + b"/>"
        return self.build(ref, value, style, keep_s, b"".join(kept))

    def _check_formula(self, data: bytes, cell: _Cell, ref: bytes) -> None:
        """Note a formula we replace (for calcChain); refuse to break a formula that other
        cells share or that spills over a range."""
        match = _patterns(self.prefix).formula.search(data, cell.tag_end, cell.end)
        if match is None:
            return
        self.removed_formulas.append(ref.decode())
        gt = data.index(b">", match.end())
        attrs = {name: quoted[1:-1] for name, quoted in _ATTR.findall(data, match.end(), gt)}
        kind = attrs.get(b"t", b"normal")
        spread = parse_range(attrs[b"ref"].decode()) if b"ref" in attrs else None
        if kind in (b"shared", b"array", b"dataTable") and spread and spread[:2] != spread[2:]:
            raise WorkbookRefused(
                f"{self.label}: cell {ref.decode()} holds a {kind.decode()} formula that other "
                "cells use; clear the formulas in sheetsync's columns and run again"
            )


def _row_style(tag: bytes) -> int | None:
    attrs = dict(_ATTR.findall(tag))
    if attrs.get(b"customFormat", b'"0"')[1:-1] in (b"1", b"true") and b"s" in attrs:
        return int(attrs[b"s"][1:-1] or 0)
    return None


def _add_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    """Insert an attribute right after the element name of a start tag."""
    i = 1
    while tag[i] not in b" \t\r\n/>":
        i += 1
    return tag[:i] + b" " + name + b'="' + value + b'"' + tag[i:]


def _whole_row(data: bytes, row: _Row) -> bytes:
    """An unchanged row, given an explicit r= if it had none."""
    if row.has_r:
        return data[row.start : row.end]
    tag = _add_attr(data[row.start : row.content], b"r", b"%d" % (row.number + 1))
    return tag + data[row.content : row.end]


def _with_cell_r(data: bytes, cells: list[_Cell], lo: int, hi: int, row: int) -> bytes:
    """The row's content with an explicit ``r`` on every cell (so inserting one cannot shift
    the implicit position of the cells after it)."""
    parts: list[bytes] = []
    cursor = lo
    for cell in cells:
        parts.append(data[cursor : cell.start])
        start_tag = data[cell.start : cell.tag_end + 1]
        if not cell.has_r:
            start_tag = _add_attr(start_tag, b"r", f"{col_letter(cell.col)}{row + 1}".encode())
        parts.append(start_tag)
        cursor = cell.tag_end + 1
    parts.append(data[cursor:hi])
    return b"".join(parts)


def _widen_spans(tag: bytes, first: int, last: int) -> bytes:
    """Keep a row's optional ``spans`` hint (1-based "low:high") covering columns first..last."""
    i = tag.find(b'spans="')
    if i >= 0:
        start, end = i + 7, tag.find(b'"', i + 7)
    else:
        match = _SPANS.search(tag)
        if match is None:
            return tag
        start, end = match.span(2)
    widened = _widened(tag[start:end], first, last)
    if widened is None:
        return tag
    return tag[:start] + widened + tag[end:]


@lru_cache(maxsize=1024)
def _widened(spans: bytes, first: int, last: int) -> bytes | None:
    numbers = [int(n) for n in re.findall(rb"\d+", spans)]
    if not numbers:
        return None
    low = min(min(numbers), first + 1)
    high = max(max(numbers), last + 1)
    if (low, high) == (min(numbers), max(numbers)):
        return None
    return b"%d:%d" % (low, high)
