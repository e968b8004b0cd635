"""The checks of a new worksheet part that need no workbook: well-formed XML, and where the
changed cells are and what they hold. Standard library only, so that the cell scan of a big
sheet can run as this file run as a child process (``python -I -S sheetcheck.py``), on the
other core while the parent edits the next rows (its XML is then checked by the parent, on a
thread: see :mod:`.readback`); :mod:`.readback` runs both checks in-process for small sheets
and decodes what comes back.

Protocol of the child: frames on standard input, each a kind byte and an 8-byte big-endian
length, then the payload: ``s`` the setup (first: a pickle of the fields of :class:`Setup` as a
tuple), ``b`` a block of whole rows, ``e`` the end. On standard output: ``VERDICT_MARK``, then a
pickle of the fields of :class:`Verdict` as a tuple.
"""

from __future__ import annotations

import gc
import pickle
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import compress, islice, repeat
from operator import add, is_not, itemgetter, lt, mul
from pyexpat import ExpatError, ParserCreate
from typing import Any

_ABSENT = object()
_COLS = 1 << 14
_LETTERS = itemgetter(0)
_NUMBER = itemgetter(1)
_PAYLOAD = itemgetter(2)
HEADER = 9  # kind byte + length
#: what precedes the verdict on standard output (anything before it is not the verdict)
VERDICT_MARK = b"\nsheetsync verdict\n"


class CheckFailed(Exception):
    """What is wrong with the new part (the parent words the error)."""


@dataclass
class Setup:
    """What the scan needs: the namespace prefix of the part's elements, and the changed
    cells: column letters -> column, and column -> (rows ascending, values)."""

    prefix: bytes
    letters: dict[bytes, int]
    expected: dict[int, tuple[list[int], list[Any]]]


@dataclass
class Verdict:
    """What the check found: an error (None when the part passed), how many changed cells with
    a value were found, and the (payload, value, type) pairs still to decode, each with the
    (row, col) of one cell that holds it (payload: what follows the cell's ref)."""

    error: str | None = None
    found: int = 0
    pairs: dict[tuple[bytes, Any, type], tuple[int, int]] = field(default_factory=dict)


class CellScan:
    """Finds the changed cells in blocks of whole rows of the new sheetData, in order: each must
    be there once, in row then column order; a cell of plain text that reads as the value it
    should hold is done; every other distinct (payload, value) pair is kept for the parent to
    decode (a first sync writes the same actions, flags and dates on many rows)."""

    def __init__(self, setup: Setup) -> None:
        self.expected = setup.expected
        self.cols = setup.letters
        self.letters = {col: letters.decode() for letters, col in setup.letters.items()}
        self.found = 0
        self.pairs: dict[tuple[bytes, Any, type], tuple[int, int]] = {}
        self._plain: set[tuple[bytes, Any, type]] = set()  # pairs known right
        self._done = dict.fromkeys(setup.expected, 0)  # per column: rows looked for
        self._last_row = -1
        p = re.escape(setup.prefix)
        singles = sorted(letters for letters in setup.letters if len(letters) == 1)
        several = sorted((ls for ls in setup.letters if len(ls) > 1), key=len, reverse=True)
        columns = b"|".join(several + ([b"[" + b"".join(singles) + b"]"] if singles else []))
        # `<c r="` as our writer (and Excel) spells it: a literal prefix, which re finds fast;
        # groups: the column letters, the row number, and the rest of the cell: its start tag
        # ends in "/>", or in ">" and its content runs to the first end tag (text cannot hold
        # a `<`), read without backtracking (a third faster than ".*?")
        self._cell = re.compile(
            b"<"
            + p
            + b'c r="('
            + columns
            + rb')(\d+)"([^>]*+(?:(?<=/)>|(?<!/)>[^<]*+(?:<(?!/'
            + p
            + rb"c>)[^<]*+)*+</"
            + p
            + b"c>))"
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

    def feed(self, block: bytes) -> None:
        if not self.expected:
            return
        found = self._cell.findall(block)
        if not found:
            return
        # a cell's key: row * 2^14 + column (Excel has 2^14 columns), ints being cheap to
        # make, hash and compare in bulk
        rows = list(map(int, map(_NUMBER, found)))  # 1-based
        first, last = min(rows), max(rows)
        if first <= self._last_row:
            raise CheckFailed(f"row {first} is out of place or twice")
        self._last_row = last
        keys = list(
            map(
                add, map(mul, rows, repeat(_COLS)), map(self.cols.__getitem__, map(_LETTERS, found))
            )
        )
        wants = list(map(self._block_expected(last).get, keys, repeat(_ABSENT)))
        changed = list(map(is_not, wants, repeat(_ABSENT)))
        keys = list(compress(keys, changed))
        if not keys:
            return
        wants = list(compress(wants, changed))
        if not all(map(lt, keys, islice(keys, 1, None))):
            previous = -1
            for key in keys:
                if key <= previous:
                    row, col = divmod(key, _COLS)
                    raise CheckFailed(f"cell {self.letters[col]}{row} is out of place or twice")
                previous = key
        # an emptied cell may or may not be there: not counted
        self.found += len(wants) - wants.count(None) - wants.count("")
        payloads = compress(map(_PAYLOAD, found), changed)
        triples = zip(payloads, wants, map(type, wants), strict=True)
        for triple, key in dict(zip(triples, keys, strict=True)).items():
            if triple in self._plain or triple in self.pairs:
                continue
            payload, want, kind = triple
            simple = self._plain_text.fullmatch(payload) if kind is str else None
            if simple is not None and b"_x" not in simple[1] and simple[1].decode() == want:
                self._plain.add(triple)
            else:
                row, col = divmod(key, _COLS)
                self.pairs[triple] = (row - 1, col)

    def _block_expected(self, last: int) -> dict[int, Any]:
        """key -> value of the changes down to (1-based) row ``last`` not yet looked for."""
        block: dict[int, Any] = {}
        for col, (rows, values) in self.expected.items():
            i = self._done[col]
            j = bisect_right(rows, last - 1, i)
            if j > i:
                keys = map(add, map(mul, rows[i:j], repeat(_COLS)), repeat(_COLS + col))
                block.update(zip(keys, values[i:j], strict=True))
                self._done[col] = j
        return block


class PartCheck:
    """The checks of one worksheet part: expat over all of it (unless ``xml`` is false), and
    the scan over its rows when given a ``setup``."""

    def __init__(self, setup: Setup | None, xml: bool = True) -> None:
        self._parser = ParserCreate() if xml else None
        self._scan = CellScan(setup) if setup is not None else None
        self.error: str | None = None

    def feed(self, data: bytes, rows: bool = False, final: bool = False) -> None:
        """Check ``data`` (``rows``: a block of whole rows of sheetData); stops at an error."""
        if self.error is not None:
            return
        try:
            if self._parser is not None:
                self._parser.Parse(data, final)
            if rows and self._scan is not None:
                self._scan.feed(data)
        except ExpatError as exc:
            self.error = f"not well-formed XML ({exc})"
        except CheckFailed as exc:
            self.error = str(exc)

    def verdict(self) -> Verdict:
        if self.error is not None or self._scan is None:
            return Verdict(self.error)
        return Verdict(None, self._scan.found, self._scan.pairs)


def header(kind: bytes, payload: bytes) -> bytes:
    """The header of one frame of the child's input (the payload follows it)."""
    return kind + len(payload).to_bytes(8, "big")


def main() -> None:
    gc.disable()  # the check makes no cycles; collections would walk its values again and again
    read = sys.stdin.buffer.read
    check: PartCheck | None = None
    while True:
        head = read(HEADER)
        if len(head) < HEADER:
            sys.exit("truncated input")
        kind, size = head[:1], int.from_bytes(head[1:], "big")
        payload = read(size)
        if kind == b"s":
            check = PartCheck(Setup(*pickle.loads(payload)), xml=False)
        elif check is None:
            sys.exit("no setup")
        elif kind == b"e":
            break
        else:
            check.feed(payload, rows=True)
    verdict = check.verdict()  # as a plain tuple: the parent knows no __main__.Verdict
    out = sys.stdout.buffer
    out.write(VERDICT_MARK + pickle.dumps((verdict.error, verdict.found, verdict.pairs)))


if __name__ == "__main__":
    main()
