"""Checking the new package before and after it is saved; any doubt aborts the save.

Before (while the parts are compressed): every new XML part must be well-formed, and every
changed cell is decoded from the new worksheet XML and compared with the value the plan asked
for. After: the temporary file is re-opened as a zip; it must list the expected parts, every
copied part must keep its original CRC and sizes, and every new part must have the CRC and size
of the XML that was checked and decompress without error (zipfile verifies the CRC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import re
import subprocess
import sys
import threading
import xml.parsers.expat
from bisect import bisect_right
from collections.abc import Mapping
from itertools import compress, islice, repeat
from operator import is_not, lt
from pathlib import Path

from ...errors import SourceError
from ..base import Cell, ColumnChanges
from .cells import cell_ref, col_index, col_letter, date_serial, decode_text
from .package import Compressed, Package
from .styles import StyleBook

_ABSENT = object()
_MINUS_ONE = (-1).__add__
_S_ATTR = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
_T_ATTR = re.compile(rb"""\st\s*=\s*["'](\w+)["']""")


def internal_error(label: str, what: str) -> SourceError:
    """The error for a new package that fails a check (a bug: the workbook is left as it was)."""
    return SourceError(f"internal error: {what} in the new {label}; nothing was changed")


class XmlChecker:
    """Checks that a part handed over in blocks is well-formed XML."""

    def __init__(self, part: str, label: str) -> None:
        self.part = part
        self.label = label
        self._parser = xml.parsers.expat.ParserCreate()

    def feed(self, block: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(block, final)
        except xml.parsers.expat.ExpatError as exc:
            raise internal_error(self.label, f"{self.part} is not well-formed XML ({exc})") from exc

    def close(self) -> None:
        """Give up the check (the part is not used)."""


#: the child process of :class:`ChildXmlChecker`: expat over its standard input; its verdict
#: is "ok" or the parser's error on standard output
_CHILD = """\
import sys, pyexpat
parser = pyexpat.ParserCreate()
read = sys.stdin.buffer.read
try:
    while True:
        block = read(1 << 20)
        parser.Parse(block, not block)
        if not block:
            break
except pyexpat.ExpatError as exc:
    sys.stdout.write("error: %s" % exc)
    sys.exit(1)
sys.stdout.write("ok")
"""


class ChildXmlChecker(XmlChecker):
    """The same check in a child process fed through a pipe (by a thread, so feeding does not
    wait): on a big part, expat then runs on another core while the caller edits the next
    block, instead of holding the GIL for a second. Anything but the child's "ok" fails the
    check. :func:`xml_checker` falls back to :class:`XmlChecker` where no child can start."""

    _QUEUED = 4  # blocks waiting for the pipe at most (bounds the memory held)

    def __init__(self, part: str, label: str) -> None:
        self.part = part
        self.label = label
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._queue: queue.Queue[bytes | None] = queue.Queue(self._QUEUED)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        pipe = self._process.stdin
        assert pipe is not None
        broken = False
        while (block := self._queue.get()) is not None:
            if not broken:
                try:
                    pipe.write(block)
                except OSError:  # the child stopped (an error found, or killed): drain
                    broken = True
        with contextlib.suppress(OSError):
            pipe.close()

    def feed(self, block: bytes, final: bool = False) -> None:
        if block:
            self._queue.put(block)
        if final:
            self._queue.put(None)
            self._thread.join()
            out = self._verdict()
            if self._process.returncode != 0 or out != b"ok":
                what = out.decode(errors="replace").strip() or "no verdict"
                raise internal_error(self.label, f"{self.part} is not well-formed XML ({what})")

    def _verdict(self) -> bytes:
        stdout = self._process.stdout
        assert stdout is not None
        with stdout:
            out = stdout.read()
        self._process.wait()
        return out

    def close(self) -> None:
        if self._process.returncode is None:
            self._process.kill()
            self._queue.put(None)
            self._thread.join()
            self._verdict()


#: parts at least this big (uncompressed) are checked by a :class:`ChildXmlChecker`
CHILD_CHECK_SIZE = 16 << 20


def xml_checker(part: str, label: str, size: int) -> XmlChecker:
    """A checker for a part of about ``size`` bytes: in a child process when it is big (and a
    child can start), else here."""
    if size >= CHILD_CHECK_SIZE and not getattr(sys, "frozen", False) and sys.executable:
        with contextlib.suppress(OSError):
            return ChildXmlChecker(part, label)
    return XmlChecker(part, label)


def check_well_formed(data: bytes, part: str, label: str) -> None:
    """Raise unless ``data`` is well-formed XML."""
    XmlChecker(part, label).feed(data, final=True)


class CellChecker:
    """Decodes the changed cells from blocks of the new sheetData and compares them with the
    values they should hold (``expected``: column by column, see
    :func:`~sheetsync.sources.base.columns_of`). Blocks must hold whole rows, in order."""

    def __init__(
        self,
        prefix: bytes,
        expected: Mapping[int, ColumnChanges],
        epoch: dt.date,
        styles: StyleBook,
        label: str,
    ) -> None:
        self.expected = expected
        self.epoch = epoch
        self.styles = styles
        self.label = label
        self._last_row = -1
        self._found = 0
        self._with_value = sum(
            len(values) - values.count(None) - values.count("") for _, values in expected.values()
        )
        #: per column, how many of its rows lie above the blocks checked so far
        self._done = dict.fromkeys(expected, 0)
        p = re.escape(prefix)
        letters = sorted({col_letter(col) for col in expected}, key=len, reverse=True)
        self._cols = {letter.encode(): col_index(letter) for letter in letters}
        # `<c r="` as our writer (and Excel) spells it: a literal prefix, which re finds fast;
        # groups: the column letters, the row number, and the rest of the cell (its "payload":
        # attributes and content), which repeats across rows for the same value
        self._cell = re.compile(
            b"<"
            + p
            + b'c r="('
            + "|".join(letters).encode()
            + rb')(\d+)"([^>]*?/>|[^>]*>.*?</'
            + p
            + b"c>)",
            re.S,
        )
        #: the payload of a cell holding plain text as the writer spells it; group 1 = the text
        self._plain_text = re.compile(
            rb'(?:\s+s="\d+")?\s+t="inlineStr"><'
            + p
            + b"is><"
            + p
            + rb't(?: xml:space="preserve")?>([^<&]*)</'
            + p
            + b"t></"
            + p
            + b"is></"
            + p
            + b"c>"
        )
        self._text = re.compile(b"<" + p + rb"t(?:\s[^>]*)?>(.*?)</" + p + b"t>", re.S)
        self._value = re.compile(b"<" + p + rb"v>(.*?)</" + p + b"v>", re.S)
        #: (payload, wanted value, its type) found right in an earlier block
        self._checked: set[tuple[bytes, object, type]] = set()

    def feed(self, block: bytes) -> None:
        if not self.expected:
            return
        # Done in bulk (C-level maps) and each distinct (payload, wanted value) pair decoded
        # once: a first sync writes the same actions, flags and dates on many rows.
        found = self._cell.findall(block)
        if not found:
            return
        letters, numbers, payloads = zip(*found, strict=True)
        rows = list(map(_MINUS_ONE, map(int, numbers)))
        first, last = min(rows), max(rows)
        if first <= self._last_row:  # a row of an earlier block again
            raise internal_error(self.label, f"row {first + 1} is out of place or twice")
        self._last_row = last
        keys = list(zip(rows, map(self._cols.__getitem__, letters), strict=True))
        wants = list(map(self._block_expected(last).get, keys, repeat(_ABSENT)))
        changed = list(map(is_not, wants, repeat(_ABSENT)))
        keys = list(compress(keys, changed))
        if not keys:
            return
        wants = list(compress(wants, changed))
        # cells come in row, then column order: a key not above the one before is a duplicate
        if not all(map(lt, keys, islice(keys, 1, None))):
            previous = (-1, -1)
            for key in keys:
                if key <= previous:
                    raise internal_error(
                        self.label, f"cell {cell_ref(*key)} is out of place or twice"
                    )
                previous = key
        # an emptied cell may or may not be there: not counted
        self._found += len(wants) - wants.count(None) - wants.count("")
        checked = self._checked
        payloads = list(compress(payloads, changed))
        for pair in set(zip(payloads, wants, map(type, wants), strict=True)) - checked:
            payload, want, kind = pair
            simple = self._plain_text.fullmatch(payload) if kind is str else None
            if simple is None or b"_x" in simple[1] or simple[1].decode() != want:
                got = self._decode(payload)
                if not self._shows(got, want, payload):
                    key = next(
                        key
                        for key, p, w in zip(keys, payloads, wants, strict=True)
                        if p == payload and type(w) is kind and w == want
                    )
                    raise internal_error(
                        self.label, f"cell {cell_ref(*key)} reads {got!r}, not {want!r}"
                    )
            if len(checked) < 65536:
                checked.add(pair)

    def _block_expected(self, last: int) -> dict[tuple[int, int], Cell]:
        """(row, col) -> value of the changes down to row ``last`` not yet looked for (the rows
        of a block come after those of the block before)."""
        block: dict[tuple[int, int], Cell] = {}
        for col, (rows, values) in self.expected.items():
            i = self._done[col]
            j = bisect_right(rows, last, i)
            if j > i:
                block.update(zip(zip(rows[i:j], repeat(col)), values[i:j], strict=True))
                self._done[col] = j
        return block

    def _decode(self, payload: bytes) -> object:
        """A cell's value, whatever shape the cell has (``payload``: what follows its ref)."""
        gt = payload.find(b">")
        attrs, content = payload[:gt], payload[gt + 1 :]
        match = _T_ATTR.search(attrs)
        kind = match.group(1) if match else b"n"
        got: object
        if attrs.endswith(b"/"):  # an empty cell
            got = None
        elif kind == b"inlineStr":
            got = decode_text(b"".join(self._text.findall(content)))
        else:
            found = self._value.search(content)
            value = found.group(1) if found else b""
            if not value:
                got = None
            elif kind == b"b":
                got = value.strip() == b"1"
            elif kind == b"n":
                got = float(value)
            else:
                got = (kind.decode(), value)
        return got

    def _shows(self, got: object, want: Cell, payload: bytes) -> bool:
        """Whether a cell read as ``got`` shows ``want`` (a date: its serial, date-styled)."""
        if want is None or want == "":
            ok = got is None
        elif isinstance(want, bool):
            ok = got is want
        elif isinstance(want, dt.date):
            style = _S_ATTR.search(payload[: payload.find(b">")])
            ok = got == float(date_serial(want, self.epoch)) and self.styles.shows_date(
                int(style.group(1)) if style else 0
            )
        elif isinstance(want, int | float):
            ok = type(got) is float and got == float(want)
        else:
            ok = got == want
        return ok

    def finish(self) -> None:
        if self._found != self._with_value:
            missing = self._with_value - self._found
            raise internal_error(
                self.label, f"{missing} of the {self._with_value} new cells are missing"
            )


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
        elif (new.crc, new.size, len(new.raw)) != (info.CRC, info.file_size, info.compress_size):
            raise internal_error(label, f"part {info.filename} was saved wrong")
        else:
            saved.verify(info.filename)
    return data
