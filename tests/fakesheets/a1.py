"""A1 notation as the Sheets API reads and writes it: ``'My sheet'!A2:D``, ``Sheet1``, ``B3``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELLS = re.compile(r"^([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^[A-Za-z]{1,3}\d+$|^[Rr]\d*[Cc]\d*$")


class RangeError(ValueError):
    """The text is not a range the API could parse."""


def column_letters(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """Letters -> 0-based column index (A -> 0, AA -> 26)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def quote_title(title: str) -> str:
    """A sheet title as the API prints it in a range: quoted only when it must be."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class A1Range:
    """A parsed A1 range; bounds are 0-based, end-exclusive, None = open on that side."""

    title: str | None
    start_row: int | None
    end_row: int | None
    start_col: int | None
    end_col: int | None
    #: written as one cell (``A1``): for a write, the top-left anchor of the values
    single: bool = False

    def clamp(self, row_count: int, col_count: int) -> tuple[int, int, int, int]:
        """Concrete (r0, r1, c0, c1) inside a grid of the given size."""
        r0 = self.start_row or 0
        c0 = self.start_col or 0
        r1 = row_count if self.end_row is None else min(self.end_row, row_count)
        c1 = col_count if self.end_col is None else min(self.end_col, col_count)
        return r0, max(r0, r1), c0, max(c0, c1)

    def unbounded(self) -> tuple[int, int | None, int, int | None]:
        """(r0, r1, c0, c1) with None kept for open ends."""
        return self.start_row or 0, self.end_row, self.start_col or 0, self.end_col


def split_title(
    text: str, titles: frozenset[str] | set[str] = frozenset()
) -> tuple[str | None, str]:
    """``'It''s'!A1`` -> ("It's", "A1"); ``Sheet1`` -> ("Sheet1", ""); ``A1:B2`` -> (None, "A1:B2").

    A bare word is a sheet title when a sheet has that title (the API resolves ``Sheet1`` to
    the sheet, not to column SHEET row 1), else cells when it reads as cells."""
    text = text.strip()
    if text in titles:
        return text, ""
    if text.startswith("'"):
        i = 1
        title = ""
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title += "'"
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return title, ""
                if rest.startswith("!"):
                    return title, rest[1:]
                raise RangeError(text)
            title += text[i]
            i += 1
        raise RangeError(text)
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells
    if _CELLS.match(text):
        return None, text
    # A bare word is a sheet title (or a named range, which the fake does not have).
    return text, ""


def parse(text: str, titles: frozenset[str] | set[str] = frozenset()) -> A1Range:
    """Parse an A1 range; ``titles`` are the spreadsheet's sheet titles. Raises RangeError."""
    title, cells = split_title(text, titles)
    if cells == "":
        return A1Range(title, None, None, None, None)
    match = _CELLS.match(cells)
    if not match:
        raise RangeError(text)
    c0, r0, c1, r1 = match.groups()
    has_second = ":" in cells
    if not (c0 or r0):
        raise RangeError(text)
    start_col = column_index(c0) if c0 else None
    start_row = int(r0) - 1 if r0 else None
    if start_row is not None and start_row < 0:
        raise RangeError(text)
    if not has_second:
        if start_col is None or start_row is None:
            raise RangeError(text)
        return A1Range(title, start_row, start_row + 1, start_col, start_col + 1, single=True)
    end_col = column_index(c1) + 1 if c1 else None
    end_row = int(r1) if r1 else None
    if c0 and not c1 and not r1:
        raise RangeError(text)
    if (start_col is None) != (end_col is None) and r0 and not c0:
        raise RangeError(text)
    # A written-backwards range (B2:A1) means the same cells as A1:B2.
    if start_row is not None and end_row is not None and end_row <= start_row:
        start_row, end_row = end_row - 1, start_row + 1
    if start_col is not None and end_col is not None and end_col <= start_col:
        start_col, end_col = end_col - 1, start_col + 1
    return A1Range(title, start_row, end_row, start_col, end_col)


def format_range(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """The API's own spelling of a concrete range: ``Sheet1!A1:D4`` (or ``Sheet1!A1``)."""
    first = f"{column_letters(c0)}{r0 + 1}"
    last = f"{column_letters(max(c0, c1 - 1))}{max(r0, r1 - 1) + 1}"
    cells = first if first == last else f"{first}:{last}"
    return f"{quote_title(title)}!{cells}"
