"""Cell values -> ``<c>`` elements, and the whole memory worksheet.

New text is written as an inline string (``t="inlineStr"``): always literal text, never a
formula (``=HYPERLINK(...)`` stays text), and sharedStrings.xml never needs rewriting. An empty
text clears the cell like None.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Callable

from ...errors import SourceError
from ..base import Cell
from .ooxml import MAIN_NS, REL_NS, XML_DECLARATION
from .spreadsheetml import (
    LETTER_BYTES,
    MAX_TEXT,
    date_serial,
    encode_text,
    number_text,
)
from .styles import StyleBook

_LETTERS = LETTER_BYTES
#: at most this many encoded values are kept per style (a first sync of 100,000 rows writes
#: about 25,000 distinct Why texts: a few MB)
_CACHED = 1 << 16
#: values of these types are never equal across types, so one dict can cache all of them
_KEYED_TYPES = {str, dt.date, int, type(None)}


def _text(text: str, where: bytes) -> bytes:
    """The ``<t>`` element's start tag end and content for ``text``."""
    if len(text) > MAX_TEXT:
        raise SourceError(
            f"cell {where.decode()}: text of {len(text)} characters is over Excel's {MAX_TEXT}"
        )
    space = b' xml:space="preserve">' if text != text.strip() or "\n" in text else b">"
    return space + encode_text(text)


def _number(value: int | float, where: bytes) -> bytes:
    try:
        return number_text(value)
    except ValueError as exc:
        raise SourceError(f"cell {where.decode()}: {exc}") from exc


def plain(value: object) -> object:
    """``value`` as one of the plain types a cell holds, or None if it is none of them
    (numpy numbers, pandas Timestamps and other subclasses come in from a data frame)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(*value.timetuple()[:6], value.microsecond)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return None


class CellEncoder:
    """Builds the XML of cells for :class:`~.roweditor.RowEditor`."""

    def __init__(self, prefix: bytes, epoch: dt.date, styles: StyleBook, date_format: str) -> None:
        p = prefix
        self.start = b"<" + p + b'c r="'
        self.inline_open = b' t="inlineStr"><' + p + b"is><" + p + b"t"
        self.inline_close = b"</" + p + b"t></" + p + b"is></" + p + b"c>"
        self.value_open = b"><" + p + b"v>"
        self.value_close = b"</" + p + b"v></" + p + b"c>"
        self.epoch = epoch
        self.styles = styles
        self.date_format = date_format
        self._serials: dict[dt.date, bytes] = {}
        self._texts: dict[str, bytes] = {}
        #: style -> value -> everything after a new cell's ref, for texts and dates
        self._tails: dict[int, dict[object, bytes]] = {}

    def new_cells(
        self, row_ref: bytes, changes: list[tuple[int, object]], style_of: Callable[[int], int]
    ) -> list[bytes]:
        """The new cells of one row (none there before): ``changes`` as (column, value) in
        column order, None values skipped, each cell styled ``style_of(column)``. The same as
        calling the encoder cell by cell, with what follows the ref cached for texts and dates
        (a first sync writes the same few actions, flags and dates on every row)."""
        start, tails, cells = self.start, self._tails, []
        for col, value in changes:
            kind = type(value)
            if kind is str or kind is dt.date:
                style = style_of(col)
                cache = tails.get(style)
                if cache is None:
                    cache = tails[style] = {}
                tail = cache.get(value)  # texts and dates never compare equal: one cache
                if tail is None:
                    ref = _LETTERS[col] + row_ref
                    cell = self(ref, value, style, False, b"")
                    tail = cell[len(start) + len(ref) :]
                    if len(cache) < _CACHED:
                        cache[value] = tail
                    cells.append(cell)
                else:
                    cells.append(start + _LETTERS[col] + row_ref + tail)
            elif value is not None:
                cells.append(self(_LETTERS[col] + row_ref, value, style_of(col), False, b""))
        return cells

    def column_tails(
        self, letters: bytes, row_refs: list[bytes], values: list[Cell], style: int
    ) -> list[bytes]:
        """New cells of one column (none there before), one per row of ``row_refs``, as what
        follows each cell's ``<c r="`` + letters + row number: b"" where the value is None,
        else the rest of the cell, styled ``style``. Each distinct value is encoded once (what
        follows the ref does not depend on it) when the values are of types that cannot
        compare equal across types (no bools, floats or date-times among ints and dates)."""
        cut = len(self.start) + len(letters)
        if not set(map(type, values)) <= _KEYED_TYPES:
            return [
                b""
                if value is None
                else self(letters + ref, value, style, False, b"")[cut + len(ref) :]
                for ref, value in zip(row_refs, values, strict=True)
            ]
        cache = self._tails.setdefault(style, {})
        tails: dict[object, bytes] = {}
        # each distinct value with the first row holding it (named by errors, as row by row)
        first = dict(zip(reversed(values), reversed(row_refs), strict=True))
        for value, ref in first.items():
            tail = cache.get(value) if value is not None else b""
            if tail is None:
                tail = self(letters + ref, value, style, False, b"")[cut + len(ref) :]
                if len(cache) < _CACHED:
                    cache[value] = tail
            tails[value] = tail
        return list(map(tails.__getitem__, values))

    def __call__(self, ref: bytes, value: object, style: int, keep_s: bool, kept: bytes) -> bytes:
        kind = type(value)
        if kind is str:
            if not value:
                rest = b"/>"
            else:
                text = self._texts.get(value)  # type: ignore[arg-type]
                if text is None:
                    text = self.inline_open + _text(value, ref) + self.inline_close  # type: ignore[arg-type]
                    if len(self._texts) < 4096:  # repeated texts (actions, flags) are reused
                        self._texts[value] = text  # type: ignore[index]
                rest = text
        elif kind is dt.date or kind is dt.datetime:
            style = self.styles.date_style(style, self.date_format)
            keep_s = keep_s or style != 0
            serial = self._serials.get(value)  # type: ignore[arg-type]
            if serial is None:
                serial = number_text(date_serial(value, self.epoch))  # type: ignore[arg-type]
                self._serials[value] = serial  # type: ignore[index]
            rest = self.value_open + serial + self.value_close
        elif kind is bool:
            rest = b' t="b"' + self.value_open + (b"1" if value else b"0") + self.value_close
        elif kind is int or kind is float:
            if style:
                style = self.styles.number_style(style)
            rest = self.value_open + _number(value, ref) + self.value_close  # type: ignore[arg-type]
        elif (cast := plain(value)) is not None:  # subclasses and numpy numbers: slow path
            return self(ref, cast, style, keep_s, kept)
        else:
            raise SourceError(f"cell {ref.decode()}: cannot write a {kind.__name__} value")
        if keep_s or style:
            return self.start + ref + b'" s="%d"' % style + kept + rest
        return self.start + ref + b'"' + kept + rest


def memory_sheet(rows: list[list[Cell]]) -> bytes:
    """A complete worksheet part holding ``rows`` as plain text, numbers and booleans
    (dates as ISO text: the memory sheet has no styles)."""
    body: list[bytes] = []
    right = bottom = 0
    texts: dict[str, bytes] = {}  # what follows the ref of repeated texts (the sheet's name)
    for r, values in enumerate(rows):
        row_ref = b"%d" % (r + 1)
        cells = []
        for c, value in enumerate(values):
            if type(value) is str and value:
                tail = texts.get(value)
                if tail is None:
                    ref = _LETTERS[c] + row_ref
                    cell = _memory_cell(ref, value)
                    tail = cell[6 + len(ref) :]  # after '<c r="' + ref
                    if len(texts) < 64:
                        texts[value] = tail
                    cells.append(cell)
                else:
                    cells.append(b'<c r="' + _LETTERS[c] + row_ref + tail)
            elif value is not None and value != "":
                cells.append(_memory_cell(_LETTERS[c] + row_ref, value))
        if cells:
            right, bottom = max(right, len(values) - 1), r
            body.append(b'<row r="' + row_ref + b'">' + b"".join(cells) + b"</row>")
    dimension = b"A1:" + _LETTERS[right] + b"%d" % (bottom + 1) if body else b"A1"
    return b"".join(
        (
            XML_DECLARATION,
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="'.encode(),
            dimension,
            b'"/><sheetData>',
            *body,
            b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            b'header="0.3" footer="0.3"/></worksheet>',
        )
    )


def _memory_cell(ref: bytes, value: object) -> bytes:
    kind = type(value)
    if kind is str:
        return b'<c r="' + ref + b'" t="inlineStr"><is><t' + _text(value, ref) + b"</t></is></c>"  # type: ignore[arg-type]
    if kind is int or kind is float:
        return b'<c r="' + ref + b'"><v>' + _number(value, ref) + b"</v></c>"  # type: ignore[arg-type]
    if kind is bool:
        return b'<c r="' + ref + b'" t="b"><v>' + (b"1" if value else b"0") + b"</v></c>"
    if isinstance(value, dt.date):
        return _memory_cell(ref, value.isoformat())
    simple = plain(value)
    if simple is None:
        raise SourceError(f"memory cell {ref.decode()}: cannot write a {kind.__name__} value")
    return _memory_cell(ref, simple)
