"""Reading a worksheet's values with python-calamine (Rust; 1.5 million cells in about a second).

calamine gives cached results for formulas, real dates for date-formatted cells (in the
workbook's 1900 or 1904 system), and ignores a ``<dimension>`` that claims more than the sheet
holds. We turn its values into :data:`~sheetsync.sources.base.Cell`: empty text becomes None,
whole floats become ints (an ID typed as 17 reads as 17, not 17.0), times and durations become
the fraction of a day Excel stores. Error cells (#N/A...) come back empty: calamine's Python
API does not expose them.

A big sheet (its XML 16 MB or more) is read as two halves at once: the part is inflated, cut
between two rows a little before its middle, and each half, with the sheet's head and tail, is
stored in a temporary copy of the workbook's XML parts (mode 600; removed as soon as calamine
has it open, on Windows once read); calamine parses the second half on a thread (it lets go
of the GIL) while the first is parsed and converted here (100,000 rows: 1.18 s -> 0.85-0.9 s).
The first half's copy then reads the workbook's other sheets. A sheet whose rows are not plainly spelled
(comments or processing instructions, a merged range among them, a second ``<sheetData>``, no
row number where the cut falls, rows out of order across it), or a half that fails (a calamine
error, a copy it cannot open), is read whole.

Where calamine cannot open the workbook (an Excel 4 macro sheet, an empty ``r:id``), fails on
the sheet, or gives a value that hides what is stored (NaN in a date cell reads as 1899-12-30,
a negative serial as midnight, both as a date or a time no one typed), the sheet is read again
by the project's own streaming reader, :mod:`.xmlreader`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count, islice, zip_longest

import python_calamine as calamine

from ...errors import SourceError, WorkbookRefused
from ..base import Cell
from .layout import grid_box, grid_range
from .package import Package, Stored, write_package
from .workbook import SheetEntry, Workbook
from .xmlreader import XmlSheets

log = logging.getLogger(__name__)

#: a column's texts are shared until it has more than this many distinct ones
_SHARED_TEXTS = 4096
#: rows converted at a time
_BLOCK_ROWS = 4096
#: what calamine gives for a NaN in a date cell, and for zero or a negative whole serial
_NAN_DATE = dt.datetime(1899, 12, 30)
_MIDNIGHT = dt.time(0, 0)
#: the shortest string item, ``<si/>``, in bytes; the start of a part where its root tag is
_SHORTEST_ITEM = 5
_SST_HEAD = 4096
#: calamine's dense grid of a sheet, at most (32 bytes a cell: 1.6 GB); 1,048,576 rows of 20
#: columns are 21 million
_MAX_GRID_CELLS = 50_000_000
#: where a sheet part's <dimension> is (after <sheetPr>)
_SHEET_HEAD = 1 << 16
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*[\"']([^\"']+)")
#: a sheet part this big or bigger (uncompressed) is read as two halves at once
HALVES_FROM = 16 << 20
#: where the cut between the halves is sought, as a share of the rows' bytes: a little before
#: the middle, so that the first half is converted while the second is still being parsed
_FIRST_HALF = 0.35
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*>")
_END_TAG_REST = re.compile(rb"\s*>")
_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?=[\s/>])[^>]*>")
_UNIQUE_COUNT = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*?\suniqueCount\s*=\s*[\"'](\d+)")


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine (pyo3's PanicException, which is not importable)."""
    return type(exc).__name__ == "PanicException"


def _count_beyond_reach(package: Package, part: str | None) -> str:
    """Why calamine must not open the workbook, or ''. It reserves room for the number of
    strings the shared-strings part declares (``<sst uniqueCount>``) before reading them, and
    a reservation that fails aborts the whole process (a native backtrace, no exception): a
    part claiming more strings than its size can hold is left to our own reader."""
    if part is None:
        return ""
    found = _UNIQUE_COUNT.search(_head(package, part, _SST_HEAD))
    info = package.find(part)
    if found is None or info is None or int(found.group(1)) <= info.file_size // _SHORTEST_ITEM:
        return ""
    return (
        f"part {part} declares {int(found.group(1)):,} strings, more than its "
        f"{info.file_size:,} bytes can hold"
    )


def _head(package: Package, part: str, size: int) -> bytes:
    """The first ``size`` bytes of a part; none when it cannot be read (whatever is wrong with
    it is said when it is read whole)."""
    try:
        with package.open(part) as stream:
            return stream.read(size)
    except WorkbookRefused:
        return b""


def _grid_beyond_reach(package: Package, part: str) -> str:
    """Why calamine must not read the sheet part, or ''. It holds a sheet as one dense grid
    from its first used cell to its last, 32 bytes a cell: one stray value in XFD50001 makes
    26 GB, and a failed allocation aborts the whole process. The sheet's ``<dimension>`` says
    how far its cells reach (as Excel and LibreOffice write it); past ``_MAX_GRID_CELLS``, our
    own reader, which holds only the rows' cells, reads it."""
    found = _DIMENSION.search(_head(package, part, _SHEET_HEAD))
    ref = found.group(1).decode("ascii", "replace") if found else ""
    box = grid_range(ref) if ref else None
    if box is None:
        return ""
    top, left, bottom, right = box
    cells = (bottom - top + 1) * (right - left + 1)
    if cells <= _MAX_GRID_CELLS:
        return ""
    return (
        f"its cells reach {ref}, a grid of {cells:,} cells, more than it holds at once "
        f"({_MAX_GRID_CELLS:,})"
    )


def _cut(xml: bytes) -> tuple[int, int, bytes] | None:
    """Where the rows of a sheet part start, where its second half starts (a row start tag
    with its row number), and its elements' prefix; None when the part is not plainly spelled:
    nothing but tags and text up to the rows' end (no comment, CDATA or processing instruction:
    every ``<`` there starts a tag), a ``<sheetData>`` with rows. Where the rows end is
    :func:`_end`'s (a slower scan, made while the second half is parsed)."""
    found = _SHEET_DATA.search(xml)
    if found is None or found.group().endswith(b"/>"):
        return None
    prefix, start = found.group(1), found.end()
    last = xml.rfind(b"</" + prefix + b"sheetData>")
    declared = _DECLARATION.match(xml)
    if last < start or _has_markup(xml, declared.end() if declared else 0, last):
        return None
    row = re.compile(b"<" + re.escape(prefix) + rb"row\s[^>]*?(?<=\s)r\s*=\s*[\"']\d")
    found_row = row.search(xml, start + int((last - start) * _FIRST_HALF), last)
    if found_row is None:
        return None
    return start, found_row.start(), prefix


def _end(xml: bytes, start: int, middle: int, prefix: bytes) -> int | None:
    """Where the rows of a part cut by :func:`_cut` end: its first ``</sheetData>`` (calamine
    reads no further), which must come after the cut; None when a ``<mergeCell>`` is among the
    rows (calamine takes it wherever it is: only the first half's would count)."""
    end = xml.find(b"</" + prefix + b"sheetData", start)
    if (
        end < middle
        or _END_TAG_REST.match(xml, end + len(prefix) + 11) is None  # "</sheetData >" too
        or xml.find(b"mergeCell", start, end) >= 0
    ):
        return None
    return end


def _has_markup(xml: bytes, start: int, end: int) -> bool:
    """Whether ``xml[start:end]`` holds ``<!`` or ``<?``. A text seldom holds a ``!`` or ``?``
    and one byte is found ten times faster than two (``<`` is everywhere)."""
    return any(
        xml.find(mark, start, end) >= 0 and xml.find(b"<" + mark, start, end) >= 0
        for mark in (b"!", b"?")
    )


def _open_copy(path: str) -> calamine.CalamineWorkbook:
    """A temporary copy opened by calamine; on POSIX removed at once (the open file stays
    readable), so that no copy is left behind even if the process is killed."""
    book = calamine.CalamineWorkbook.from_path(path)
    if os.name == "posix":
        _remove(path)
    return book


def _parse(path: str, name: str) -> calamine.CalamineSheet:
    with _open_copy(path) as book:
        return book.get_sheet_by_name(name)


def _half_file(package: Package, part: str, pieces: tuple[memoryview, ...]) -> str:
    """A temporary copy of the workbook whose part ``part`` is ``pieces``, stored (mode 600:
    ``mkstemp``), without the parts that are not XML (pictures, embedded files, VBA, printer
    settings: calamine reads none of them to give values); the caller removes it."""
    left_out: dict[str, Stored | None] = {
        info.filename: None
        for info in package.infos
        if not info.filename.lower().endswith((".xml", ".rels"))
    }
    handle, path = tempfile.mkstemp(prefix="sheetsync-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as out:
            write_package(out, package, {**left_out, part: Stored.of(*pieces)})
    except BaseException:
        _remove(path)
        raise
    return path


def _remove(path: str) -> None:
    """Remove a temporary copy: one gone already is fine; one that cannot be removed (Windows:
    a virus scanner holding it) is said, not raised, the read having gone well."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove the temporary copy %s: %s", path, exc)


def _raw_rows(sheet: calamine.CalamineSheet) -> Iterator[list[object]]:
    """A sheet's rows from A1: row by row when its cells start in column A (iter_rows gives the
    rows from row 1 but the columns from the first one used)."""
    if sheet.start is None or sheet.start[1] == 0:
        return sheet.iter_rows()
    return iter(sheet.to_python(skip_empty_area=False))


def _day_fraction(value: dt.time) -> float:
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86_400


def _clean(value: object) -> Cell:
    # called only for the types the list comprehension below does not handle inline
    if isinstance(value, dt.time):
        return _day_fraction(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86_400
    return value  # type: ignore[return-value]


def _convert(values: Iterable[object], dates: dict[dt.date, dt.date]) -> list[Cell]:
    """Cells of any types as :data:`Cell` (see the module docs)."""
    return [
        (v or None)
        if type(v) is str
        else (int(v) if v.is_integer() else v)
        if type(v) is float
        else dates.setdefault(v, v)
        if type(v) is dt.date
        else v
        if type(v) in (bool, int, dt.datetime)
        else _clean(v)
        for v in values
    ]


class _Columns:
    """Converts rows in blocks, column by column: a column of one type (texts, numbers,
    dates: most are) takes a C-level path, and its repeated values become one object each
    (owners, stages, outcomes, dates), which saves a third of the memory of a typical sheet."""

    def __init__(self) -> None:
        #: per column, the texts met so far (None once the column proves mostly distinct)
        self._texts: dict[int, dict[str, str | None] | None] = {}
        self._dates: dict[dt.date, dt.date] = {}
        #: a value calamine may have made up was met (see the module docs)
        self.suspect = False

    def rows(self, raw: list[list[object]]) -> list[list[Cell]]:
        columns = zip_longest(*raw, fillvalue="")
        return list(map(list, zip(*map(self._column, count(), columns), strict=True)))

    def all_rows(self, raw: Iterator[list[object]]) -> list[list[Cell]]:
        """Rows converted in blocks, so that the raw copies of a big sheet never all exist at
        once."""
        rows: list[list[Cell]] = []
        while block := list(islice(raw, _BLOCK_ROWS)):
            rows += self.rows(block)
        return rows

    def _column(self, index: int, values: tuple[object, ...]) -> list[Cell]:
        kinds = set(map(type, values))
        if kinds == {str}:
            texts = self._texts.setdefault(index, {"": None})
            if texts is None:
                return [v or None for v in values]  # type: ignore[misc]
            out = list(map(texts.setdefault, values, values))  # type: ignore[arg-type]
            if len(texts) > _SHARED_TEXTS:
                self._texts[index] = None
            return out
        if kinds == {float}:
            total = sum(values)  # type: ignore[arg-type]
            if total != total:  # a NaN (or inf - inf): looked at closely
                self.suspect = self.suspect or any(v != v for v in values)
            return [int(v) if v.is_integer() else v for v in values]  # type: ignore[attr-defined]
        if kinds == {dt.date}:
            return list(map(self._dates.setdefault, values, values))  # type: ignore[arg-type]
        if (
            (dt.time in kinds and _MIDNIGHT in values)
            or (dt.datetime in kinds and _NAN_DATE in values)
            or (float in kinds and any(v != v for v in values if type(v) is float))
        ):
            self.suspect = True
        return _convert(values, self._dates)


def _trimmed(rows: list[list[Cell]]) -> list[list[Cell]]:
    """``rows`` without their trailing empty rows."""
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def _merged(sheet: calamine.CalamineSheet) -> list[tuple[int, int, int, int]]:
    return [grid_box((a[0], a[1], b[0], b[1])) for a, b in sheet.merged_cell_ranges or ()]


class SheetValues:
    """An opened workbook (from bytes) whose worksheets can be read: by calamine, else by
    :mod:`.xmlreader` (see the module docs)."""

    def __init__(self, data: bytes, package: Package, workbook: Workbook) -> None:
        self.label = package.label
        self._data = data
        self._package = package
        self._xml = XmlSheets(package, workbook)
        self._book: calamine.CalamineWorkbook | None = None
        #: the temporary copy ``_book`` reads, if it does (see :meth:`_halves`), and the sheet
        #: it holds only half of
        self._copy = self._lacks = ""
        #: merged ranges of the sheets read, by name: (top, left, bottom, right), 0-based
        self.merged: dict[str, list[tuple[int, int, int, int]]] = {}
        #: why calamine does not read this workbook ('' while it may)
        self._why = _count_beyond_reach(package, self._xml.shared_strings_part())
        if self._why:
            log.info("%s: %s; reading the XML", self.label, self._why)

    def _open(self) -> calamine.CalamineWorkbook | None:
        """The workbook opened by calamine, on first use (a sheet read in halves needs it
        not); None when it cannot open it."""
        if self._book is None and not self._why:
            try:
                self._book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._data))
            except BaseException as exc:
                if not isinstance(exc, calamine.CalamineError) and not _is_panic(exc):
                    raise
                self._why = str(exc) or type(exc).__name__
                log.info(
                    "%s: python-calamine cannot open it (%s); reading the XML", self.label, exc
                )
        return self._book

    def rows(self, entry: SheetEntry) -> list[list[Cell]]:
        """All rows of worksheet ``entry`` from A1, trailing empty rows dropped."""
        why = self._why
        assert entry.part is not None
        if not why:
            why = _grid_beyond_reach(self._package, entry.part)
            if why:
                log.info("%s [%s]: %s; reading the XML", self.label, entry.name, why)
        if not why:
            try:
                read = self._halves(entry.part, entry.name)
                if read is None and self._open() is not None:
                    read = self._calamine_rows(entry.name)
            except BaseException as exc:
                if not isinstance(exc, calamine.CalamineError) and not _is_panic(exc):
                    raise
                why = str(exc) or type(exc).__name__
                log.info(
                    "%s [%s]: python-calamine: %s; reading the XML", self.label, entry.name, why
                )
            else:
                if read is None:
                    why = self._why
                else:
                    rows, suspect, merged = read
                    if not suspect:
                        self.merged[entry.name] = merged
                        return rows
                    why = "a value it cannot give as stored"
        try:
            rows = self._xml.rows(entry.part)
        except WorkbookRefused as exc:
            raise WorkbookRefused(f"{exc} [python-calamine: {why}]") from exc
        self.merged[entry.name] = self._xml.merged.get(entry.part, [])
        return rows

    def _calamine_rows(
        self, name: str
    ) -> tuple[list[list[Cell]], bool, list[tuple[int, int, int, int]]]:
        """Rows by calamine, whether a value may hide what is stored, and the merged ranges."""
        if name == self._lacks:  # the copy holds half of it: the workbook itself, then
            self._drop_book()
        book = self._open()
        assert book is not None
        sheet = book.get_sheet_by_name(name)
        columns = _Columns()
        rows = columns.all_rows(_raw_rows(sheet))
        return _trimmed(rows), columns.suspect, _merged(sheet)

    def _halves(
        self, part: str, name: str
    ) -> tuple[list[list[Cell]], bool, list[tuple[int, int, int, int]]] | None:
        """What :meth:`_calamine_rows` gives, for a big sheet read as two halves at once (see
        the module docs); None when it is not read so (then it is read whole)."""
        info = self._package.find(part)
        if info is None or info.file_size < HALVES_FROM:
            return None
        try:
            with self._package.open(part) as stream:  # by ISA-L: twice zipfile's speed
                data = stream.read()
        except WorkbookRefused:
            return None  # said when it is read whole
        cut = _cut(data)
        if cut is None:
            return None
        start, middle, prefix = cut
        xml = memoryview(data)
        paths: list[str] = []
        book: calamine.CalamineWorkbook | None = None
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                try:
                    paths.append(_half_file(self._package, part, (xml[:start], xml[middle:])))
                    second = pool.submit(_parse, paths[0], name)
                    end = _end(data, start, middle, prefix)
                    if end is None:
                        return None
                    paths.append(_half_file(self._package, part, (xml[:middle], xml[end:])))
                except (OSError, SourceError) as exc:  # no room for the copies...: read whole
                    log.info("%s [%s]: not read in halves (%s)", self.label, name, exc)
                    return None
                finally:
                    xml.release()
                    del data
                try:
                    book = _open_copy(paths[1])
                    sheet = book.get_sheet_by_name(name)
                    columns = _Columns()
                    rows = columns.all_rows(_raw_rows(sheet))
                    rest = second.result()
                except BaseException as exc:  # calamine's error, a panic, or a copy it
                    # could not open (OSError: a scanner holds it, it is gone): read whole
                    if not isinstance(exc, calamine.CalamineError | OSError) and not _is_panic(exc):
                        raise
                    log.info("%s [%s]: a half failed (%s); read whole", self.label, name, exc)
                    return None
            if rest.start is not None and rest.start[0] < len(rows):
                return None  # rows out of order across the cut
            rows += columns.all_rows(islice(_raw_rows(rest), len(rows), None))
            if self._book is None and not self._why:
                # the copy holds every other part as it is: the other sheets (the memory)
                # are read from it, its shared strings already read
                self._book, self._lacks, self._copy = book, name, paths.pop()
                book = None
        finally:
            if book is not None:
                book.close()
            for path in paths:
                _remove(path)
        widths = set(map(len, rows))
        if len(widths) > 1:  # one half reaches further right: the same width as read whole
            width = max(widths)
            for row in rows:
                row += [None] * (width - len(row))
        return _trimmed(rows), columns.suspect, _merged(sheet)

    def _drop_book(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._copy:
            _remove(self._copy)
        self._copy = self._lacks = ""

    def close(self) -> None:
        self._drop_book()
        self._data = b""
