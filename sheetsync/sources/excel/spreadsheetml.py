"""Cell addresses (A1 <-> 0-based indexes) and cell values <-> their SpreadsheetML text.

Text goes through two escapes: XML's (``&``, ``<``, ``>``, and CR, which parsers would turn into
LF) and SpreadsheetML's ``_xHHHH_`` (ECMA-376 ST_Xstring) for characters XML cannot carry at all,
with a literal ``_xHHHH_`` protected as ``_x005F_xHHHH_``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from itertools import product
from string import ascii_uppercase

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
#: Excel's limit on the characters of one cell
MAX_TEXT = 32_767

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_SPECIAL = re.compile("[&<>\r_\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#\d+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def col_letter(col: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    return _LETTERS[col]


# every column's letters, once (on the hot paths): A..Z, AA..ZZ, AAA..XFD
_LETTERS = [
    "".join(letters) for size in (1, 2, 3) for letters in product(ascii_uppercase, repeat=size)
][:MAX_COLS]
#: column -> its letters as bytes, and back
LETTER_BYTES = "\0".join(_LETTERS).encode().split(b"\0")
COLUMN_OF_LETTERS = dict(zip(LETTER_BYTES, range(MAX_COLS), strict=True))
#: column letters (text) -> column
COLUMN_OF = dict(zip(_LETTERS, range(MAX_COLS), strict=True))


@lru_cache(maxsize=4096)
def col_index(letters: str) -> int:
    """'A' -> 0, 'AA' -> 26 (case-insensitive)."""
    value = 0
    for char in letters.upper():
        value = value * 26 + ord(char) - 64
    return value - 1


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> 'B3'."""
    return f"{_LETTERS[col]}{row + 1}"


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'B3' or '$B$3' -> (2, 1); None when it is not a cell reference."""
    match = _REF.match(ref.strip())
    if match is None:
        return None
    return int(match.group(2)) - 1, col_index(match.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """'A1:C10' (or 'B2') -> (row0, col0, row1, col1) inclusive, 0-based; None if unreadable."""
    first, _, last = ref.strip().partition(":")
    start = parse_ref(first)
    end = parse_ref(last) if last else start
    if start is None or end is None:
        return None
    return (
        min(start[0], end[0]),
        min(start[1], end[1]),
        max(start[0], end[0]),
        max(start[1], end[1]),
    )


def format_range(row0: int, col0: int, row1: int, col1: int, absolute: bool = False) -> str:
    """Inverse of :func:`parse_range`; ``absolute`` gives ``$A$1:$C$10``."""
    if absolute:
        return f"${_LETTERS[col0]}${row0 + 1}:${_LETTERS[col1]}${row1 + 1}"
    if (row0, col0) == (row1, col1):
        return cell_ref(row0, col0)
    return f"{cell_ref(row0, col0)}:{cell_ref(row1, col1)}"


def _escape_char(match: re.Match[str]) -> str:
    return f"_x{ord(match.group(0)):04X}_"


def encode_text(text: str) -> bytes:
    """Text as the content of a ``<t>`` element (UTF-8, both escapes applied)."""
    if _SPECIAL.search(text) is None:
        return text.encode("utf-8")
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub("_x005F_", text)
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub(_escape_char, text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text.encode("utf-8")


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return _ENTITIES[name]


def decode_text(raw: bytes) -> str:
    """Inverse of :func:`encode_text` (for reading back what was written)."""
    text = raw.decode("utf-8")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def number_text(value: int | float) -> bytes:
    """A number as a ``<v>`` value: shortest round-trip text, never NaN or infinity."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored in a cell")
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value)).encode()
        return repr(value).encode()
    return str(value).encode()


def date_serial(value: dt.date, epoch: dt.date) -> int | float:
    """A date (or date-time) as a serial day number of the workbook's date system."""
    if isinstance(value, dt.datetime):
        midnight = dt.datetime.combine(epoch, dt.time(), tzinfo=value.tzinfo)
        delta = value - midnight
        return delta.days + delta.seconds / 86_400 + delta.microseconds / 86_400e6
    return (value - epoch).days
