"""Checking the new package before and after it is saved; any doubt aborts the save.

Before (while the parts are compressed): every new XML part must be well-formed, and every
changed cell is decoded from the new worksheet XML and compared with the value the plan asked
for. A big sheet is checked on the other core while it is still being written: its XML by
libxml2 on a thread (its parser lets go of the GIL), its cells by a child process
(:mod:`.sheetcheck`). Every new part is inflated again (on the pool, while the next part is
made): it must give back the size and CRC of the XML that was checked. After: the temporary
file is re-opened as a zip; it must list the expected parts, every copied part must keep its
original CRC and sizes, and every new part must be stored as exactly the deflated bytes that
were inflated again, under their CRC and sizes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pickle
import queue
import re
import subprocess
import sys
import threading
from array import array
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from ...errors import SourceError
from ..base import Cell, ColumnChanges
from .cellxml import plain
from .package import Compressed, Package
from .sheetcheck import VERDICT_MARK, PartCheck, Setup, Verdict, header
from .spreadsheetml import cell_ref, col_letter, date_serial, decode_text
from .styles import StyleBook

_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?t(?:\s[^>]*)?>(.*?)</(?:[A-Za-z_][\w.-]*:)?t>", re.S)
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>(.*?)</(?:[A-Za-z_][\w.-]*:)?v>", re.S)
_S_ATTR = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
_T_ATTR = re.compile(rb"""\st\s*=\s*["'](\w+)["']""")


def internal_error(label: str, what: str) -> SourceError:
    """The error for a new package that fails a check (a bug: the workbook is left as it was)."""
    return SourceError(f"internal error: {what} in the new {label}; nothing was changed")


_PLAIN_TYPES = {str, int, float, bool, dt.date, dt.datetime, type(None)}


def _plain_values(changes: ColumnChanges) -> ColumnChanges:
    """A column's changes with plain Python values (numpy numbers, pandas timestamps... made
    plain, as the encoder writes them): the child that checks them has no numpy to unpickle."""
    rows, values = changes
    if set(map(type, values)) <= _PLAIN_TYPES:
        return changes
    return rows, [value if type(value) in _PLAIN_TYPES else plain(value) for value in values]


class SheetChecker:
    """Checks a worksheet part handed over in blocks, here: well-formed XML and, given the
    changed cells (``expected``: column by column, see
    :func:`~sheetsync.sources.base.columns_of`), that each is there once, in order, and shows
    its new value (a date: its serial, in a date style). Any failure raises."""

    def __init__(
        self,
        part: str,
        label: str,
        prefix: bytes = b"",
        expected: Mapping[int, ColumnChanges] | None = None,
        epoch: dt.date = dt.date(1899, 12, 30),
        styles: StyleBook | None = None,
    ) -> None:
        self.part = part
        self.label = label
        self.epoch = epoch
        self.styles = styles
        self.expected = {col: _plain_values(changes) for col, changes in (expected or {}).items()}
        self._setup = (
            Setup(prefix, {col_letter(col).encode(): col for col in self.expected}, self.expected)
            if self.expected
            else None
        )
        self._with_value = sum(
            len(values) - values.count(None) - values.count("")
            for _, values in self.expected.values()
        )
        self._start()

    def _start(self) -> None:
        self._check = PartCheck(self._setup)

    def xml(self, data: bytes, final: bool = False) -> None:
        """XML outside the rows (``final``: the end of the part)."""
        self._check.feed(data, final=final)

    def rows(self, block: bytes) -> None:
        """A block of whole rows of sheetData, in order."""
        self._check.feed(block, rows=True)

    def _verdict(self) -> Verdict:
        return self._check.verdict()

    def finish(self) -> None:
        """Raise unless the part passed every check (once all of it is handed over)."""
        verdict = self._verdict()
        if verdict.error is not None:
            raise internal_error(self.label, f"{self.part}: {verdict.error}")
        if self._setup is None:
            return
        for (payload, want, _), key in verdict.pairs.items():
            got = self._decode(payload)
            if not self._shows(got, want, payload):
                raise internal_error(
                    self.label, f"cell {cell_ref(*key)} reads {got!r}, not {want!r}"
                )
        if verdict.found != self._with_value:
            missing = self._with_value - verdict.found
            raise internal_error(
                self.label, f"{missing} of the {self._with_value} new cells are missing"
            )

    def close(self) -> None:
        """Give up the check (the part is not used)."""

    def _decode(self, payload: bytes) -> object:
        """A cell's value, whatever shape the cell has (``payload``: what follows its ref)."""
        gt = payload.find(b">")
        attrs, content = payload[:gt], payload[gt + 1 :]
        match = _T_ATTR.search(attrs)
        kind = match.group(1) if match else b"n"
        if attrs.endswith(b"/"):  # an empty cell
            return None
        if kind == b"inlineStr":
            return decode_text(b"".join(_TEXT.findall(content)))
        found = _VALUE.search(content)
        value = found.group(1) if found else b""
        if not value:
            return None
        if kind == b"b":
            return value.strip() == b"1"
        if kind == b"n":
            return float(value)
        return (kind.decode(), value)

    def _shows(self, got: object, want: Cell, payload: bytes) -> bool:
        """Whether a cell read as ``got`` shows ``want`` (a date: its serial, date-styled)."""
        if want is None or want == "":
            return got is None
        if isinstance(want, bool):
            return got is want
        if isinstance(want, dt.date):
            style = _S_ATTR.search(payload[: payload.find(b">")])
            return (
                self.styles is not None
                and got == float(date_serial(want, self.epoch))
                and self.styles.shows_date(int(style.group(1)) if style else 0)
            )
        if isinstance(want, int | float):
            return type(got) is float and got == float(want)
        return got == want


class _Child:
    """A child process running :mod:`.sheetcheck` (the cell scan), fed through its standard
    input by a thread (so that feeding never waits for the child)."""

    QUEUED = 8  # pieces waiting for the pipe at most (a frame is two: bounds the memory held)

    def __init__(self, setup: Setup) -> None:
        # row numbers as arrays: a fifth of the memory of int objects
        expected = {
            col: (array("l", rows), values) for col, (rows, values) in setup.expected.items()
        }
        first = pickle.dumps((setup.prefix, setup.letters, expected))  # before the child: may fail
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).with_name("sheetcheck.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.queue: queue.Queue[bytes | None] = queue.Queue(self.QUEUED)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()
        self.send(b"s", first)

    def send(self, kind: bytes, payload: bytes) -> None:
        """One frame (its header, then the payload as it is: no copy)."""
        self.queue.put(header(kind, payload))
        if payload:
            self.queue.put(payload)

    def _pump(self) -> None:
        pipe = self.process.stdin
        assert pipe is not None
        broken = False
        while (block := self.queue.get()) is not None:
            if not broken:
                try:
                    pipe.write(block)
                except OSError:  # the child stopped (killed, or failed): drain
                    broken = True
        with contextlib.suppress(OSError):
            pipe.close()

    def end(self) -> None:
        self.send(b"e", b"")
        self.queue.put(None)

    def verdict(self) -> Verdict | str:
        """The child's verdict once it has ended, or what went wrong when it gave none (it
        died, or failed)."""
        self.thread.join()
        stdout = self.process.stdout
        assert stdout is not None
        with stdout:
            out = stdout.read()
        self.process.wait()
        at = out.rfind(VERDICT_MARK)
        try:
            if at < 0:
                raise ValueError("no verdict")
            return Verdict(*pickle.loads(out[at + len(VERDICT_MARK) :]))
        except Exception as exc:  # anything but a verdict: the child failed
            text = out[: max(at, 0)].decode(errors="replace").strip()[-300:]
            return text or f"{exc} (exit code {self.process.returncode})"

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            self.queue.put(None)  # the pump drains the queue into the broken pipe, then ends
            self.thread.join()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()


class _NoEvents:
    """A parser target without callbacks: libxml2 checks the XML and builds nothing."""

    def close(self) -> None:
        return None


class _WellFormed:
    """libxml2 (lxml) reading a part handed over in blocks, on a thread of its own: its parser
    lets go of the GIL, so the XML is checked on the other core while the caller builds the
    next block. Entities are not expanded and nothing is fetched; blocks are fed a MB at a
    time (libxml2 refuses more than 10 MB in one go, and its other limits stay). Whatever stops
    the thread fails the check: it never passes unseen, nor leaves the caller waiting."""

    QUEUED = 4  # blocks waiting at most
    SLICE = 1 << 20

    def __init__(self) -> None:
        self.error: str | None = None
        self._finished = False
        self._parser = etree.XMLParser(
            target=_NoEvents(), resolve_entities=False, no_network=True, load_dtd=False
        )
        self._queue: queue.Queue[bytes | None] = queue.Queue(self.QUEUED)
        self._thread = threading.Thread(target=self._parse, daemon=True)
        self._thread.start()

    def _parse(self) -> None:
        handed_over = False  # the end of the part was taken from the queue
        try:
            while (block := self._queue.get()) is not None:
                if self.error is None:
                    for start in range(0, len(block), self.SLICE):
                        self._parser.feed(block[start : start + self.SLICE])
            handed_over = True
            if self.error is None:
                self._parser.close()
        except etree.LxmlError as exc:
            self.error = "not well-formed XML (" + " ".join(str(exc).split()) + ")"
        except BaseException as exc:  # out of memory, or a bug: the check fails
            self.error = f"the XML could not be checked ({type(exc).__name__})"
        finally:
            while not handed_over:  # take what the caller still hands over
                handed_over = self._queue.get() is None
            self._finished = True

    def feed(self, data: bytes) -> None:
        if data:
            self._queue.put(data)

    def end(self) -> str | None:
        """What is wrong with the whole part (None: it is well-formed)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if not self._finished:
            return "the XML check did not finish"
        return self.error

    def stop(self) -> None:
        """Give up (the part is not used): the thread ends, whatever it was fed."""
        self.error = self.error or "stopped"
        self.end()


class ChildSheetChecker(SheetChecker):
    """The same checks off the caller's core: the XML by libxml2 on a thread (see
    :class:`_WellFormed`), the changed cells by a child process (:mod:`.sheetcheck` run as a
    script), so that a big sheet is checked while the caller edits the next rows instead of
    holding the GIL for seconds. Anything but the child's verdict fails the check.
    :func:`sheet_checker` falls back to :class:`SheetChecker` where no child can start."""

    def _start(self) -> None:
        self._ended = False
        self._child = _Child(self._setup) if self._setup is not None else None
        self._xml = _WellFormed()
        #: the XML outside the rows, read again by expat at the end: libxml2 misses content
        #: after the root element once it has met an undeclared namespace prefix
        self._outside: list[bytes] = []

    def xml(self, data: bytes, final: bool = False) -> None:
        self._xml.feed(data)
        self._outside.append(data)
        if final:
            if self._child is not None:
                self._child.end()
            self._ended = True

    def rows(self, block: bytes) -> None:
        self._xml.feed(block)
        if self._child is not None:
            self._child.send(b"b", block)

    def _verdict(self) -> Verdict:
        if not self._ended:
            raise internal_error(self.label, f"{self.part} was checked before its end")
        error = self._xml.end()
        if error is None:
            outside = PartCheck(None)
            outside.feed(b"".join(self._outside), final=True)
            error = outside.error
        if error is not None or self._child is None:
            return Verdict(error)
        verdict = self._child.verdict()
        if isinstance(verdict, str):
            raise internal_error(self.label, f"{self.part} could not be checked: {verdict}")
        return verdict

    def close(self) -> None:
        self._xml.stop()
        if self._child is not None:
            self._child.kill()


#: parts at least this big (uncompressed) are checked by a :class:`ChildSheetChecker`
CHILD_CHECK_SIZE = 16 << 20


def sheet_checker(
    part: str,
    label: str,
    size: int,
    prefix: bytes = b"",
    expected: Mapping[int, ColumnChanges] | None = None,
    epoch: dt.date = dt.date(1899, 12, 30),
    styles: StyleBook | None = None,
) -> SheetChecker:
    """A checker for a part of about ``size`` bytes: in a child process when it is big (and a
    child can start), else here."""
    if size >= CHILD_CHECK_SIZE and not getattr(sys, "frozen", False) and sys.executable:
        # no child (none can start, or the values will not pickle): checked here instead
        with contextlib.suppress(OSError, pickle.PicklingError, TypeError):
            return ChildSheetChecker(part, label, prefix, expected, epoch, styles)
    return SheetChecker(part, label, prefix, expected, epoch, styles)


def check_well_formed(data: bytes, part: str, label: str) -> None:
    """Raise unless ``data`` is well-formed XML."""
    checker = SheetChecker(part, label)
    checker.xml(data, final=True)
    checker.finish()


def check_saved(
    temp: Path,
    original: Package,
    replaced: Mapping[str, Compressed | None],
    added: Mapping[str, Compressed],
    label: str,
) -> bytes:
    """Re-open the saved temporary file and compare it part by part; returns its bytes."""
    data = temp.read_bytes()
    saved = Package(data, label)
    wanted_names = [
        info.filename
        for info in original.infos
        if info.filename not in replaced or replaced[info.filename] is not None
    ] + list(added)
    if [info.filename for info in saved.infos] != wanted_names:
        raise internal_error(label, "the list of parts is wrong")
    originals = {info.filename: info for info in original.infos}
    for info in saved.infos:
        new = replaced.get(info.filename) or added.get(info.filename)
        if new is None:
            old = originals[info.filename]
            if (old.CRC, old.compress_size, old.file_size) != (
                info.CRC,
                info.compress_size,
                info.file_size,
            ):
                raise internal_error(label, f"copied part {info.filename} differs")
        elif (new.crc, new.size, len(new.raw)) != (
            info.CRC,
            info.file_size,
            info.compress_size,
        ) or saved.raw(info) != new.raw:  # the bytes whose inflating was checked
            raise internal_error(label, f"part {info.filename} was saved wrong")
    return data
