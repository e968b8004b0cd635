"""Raw cell values -> typed columns, and the CHECK reasons of cells that do not parse.

Every column is parsed once per distinct value (a sheet repeats its dates, stages and owners a
lot), so a 100,000-row sheet costs a few thousand parser calls, not half a million.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sheetsync import choices
from sheetsync.schema import FIELD_HEADERS, normalize

#: longest piece of a cell quoted back in a CHECK reason
QUOTE_LIMIT = 40

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_NUMERIC = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[T ,]+\d{1,2}:\d{2}.*)?")
_TIME_TAIL = re.compile(r"[ T,]+\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z]+|\d+")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
#: Excel's last serial day (9999-12-31)
_MAX_SERIAL = 2958465


def quote(value: Any) -> str:
    """A cell value as shown in a CHECK reason: in double quotes, shortened, on one line."""
    text = " ".join(str(value).split())
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 1] + "…"
    return f'"{text}"'


def is_blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def parse_date(value: Any, epoch: dt.date, order: str) -> dt.date | str | None:
    """A date from a cell, None for a blank cell, or the problem as text ("is not a date")."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "is not a date"
    if isinstance(value, int | float):
        if not (0 < value <= _MAX_SERIAL) or math.isnan(value):
            return "is not a date"
        try:
            return epoch + dt.timedelta(days=math.floor(value))
        except OverflowError:  # past 9999-12-31 in the 1904 system
            return "is not a date"
    text = str(value).strip()
    match = _ISO.fullmatch(text)
    if match:
        return _make_date(int(match[1]), int(match[2]), int(match[3]), "year-month-day")
    match = _NUMERIC.fullmatch(text)
    if match:
        a, b, c = match[1], match[2], match[3]
        if len(a) == 4:
            return _make_date(int(a), int(b), int(c), "year-month-day")
        if len(c) not in (2, 4):
            return "is not a date"
        year = int(c) + (2000 if len(c) == 2 else 0)
        if order == "DMY":
            return _make_date(year, int(b), int(a), "day/month/year")
        return _make_date(year, int(a), int(b), "month/day/year")
    return _parse_month_name(_TIME_TAIL.sub("", text))


def _make_date(year: int, month: int, day: int, order: str) -> dt.date | str:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return f"is not a date ({order})"


def _parse_month_name(text: str) -> dt.date | str:
    """`Nov 2, 2026`, `2 November 2026`, `2-Nov-26`, `November 2nd 2026`."""
    words = _WORDS.findall(_ORDINAL.sub(r"\1", text))
    months = [w for w in words if not w.isdigit()]
    numbers = [w for w in words if w.isdigit()]
    if len(months) != 1 or len(numbers) != 2 or months[0].lower() not in _MONTHS:
        return "is not a date"
    month = _MONTHS[months[0].lower()]
    day_s, year_s = numbers
    if len(day_s) > 2 or len(year_s) not in (2, 4):
        # "2026 Nov 2": year first
        day_s, year_s = year_s, day_s
        if len(day_s) > 2 or len(year_s) not in (2, 4):
            return "is not a date"
    year = int(year_s) + (2000 if len(year_s) == 2 else 0)
    return _make_date(year, month, int(day_s), "day month year")


def parse_count(value: Any, low: int, high: int | None) -> int | str | None:
    """A whole number in [low, high] from a cell, None for blank, or the problem as text."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "is not a whole number"
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            return "is not a whole number"
    if isinstance(value, dt.date):
        return "is not a whole number"
    if not isinstance(value, int | float) or not math.isfinite(value) or value != math.floor(value):
        return "is not a whole number"
    number = int(value)
    if number < low or (high is not None and number > high):
        return f"is outside {low}-{high}" if high is not None else f"is below {low}"
    return number


def choice_parser(allowed: Sequence[str]) -> Callable[[Any], str | tuple[str] | None]:
    """A parser for a column of fixed values: returns the canonical value, None for blank, or
    a 1-tuple holding the problem (so a problem can't be mistaken for a value)."""
    lookup = {normalize(v): v for v in allowed}
    message = "is not one of " + ", ".join(allowed)

    def parse(value: Any) -> str | tuple[str] | None:
        if is_blank(value):
            return None
        found = lookup.get(normalize(value))
        return found if found is not None else (message,)

    return parse


def parse_flag(value: Any) -> bool | tuple[str]:
    """Do Not Contact: yes/y/true/x/1 -> True; no/n/false/0/blank -> False."""
    if is_blank(value) or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    key = normalize(value)
    if key in choices.DNC_TRUE:
        return True
    if key in choices.DNC_FALSE:
        return False
    return ("is not yes or no",)


def text_key(value: Any) -> str:
    """Text of a cell for identity (IDs): numbers without a trailing .0, stripped."""
    if type(value) is str:
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def text_keys(values: Sequence[Any]) -> list[str]:
    """``text_key`` of every cell of a column: C-level for a column of texts or of whole
    numbers (IDs typed as 17), one call per distinct value otherwise."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(str.strip, values))
    if kinds <= {int, type(None)}:  # bool is not int here: type() is exact
        return ["" if value is None else str(value) for value in values]
    return map_unique(values, text_key)


def owner_key(value: Any) -> str:
    """Owners compare case- and space-insensitively, and "Zoë" typed as one character or as
    "e" and a combining diaeresis is the same rep (Unicode NFC)."""
    return unicodedata.normalize("NFC", " ".join(text_key(value).split()).casefold())


def map_unique(values: Sequence[Any], parse: Callable[[Any], Any]) -> list[Any]:
    """``[parse(v) for v in values]``, calling ``parse`` once per distinct value."""
    keys, results = distinct(values, parse)
    return list(map(results.__getitem__, keys))


def distinct(values: Sequence[Any], parse: Callable[[Any], Any]) -> tuple[Sequence[Any], dict]:
    """(keys, {key: parse(value)}): each distinct value parsed once, and a key per value to
    look its result up with (C-level: ``map(results.__getitem__, keys)``)."""
    if bool in set(map(type, values)):
        # True == 1 and False == 0 as dict keys, but not as cells: key booleans apart.
        keys: Sequence[Any] = [(_BOOL, v) if v is True or v is False else v for v in values]
    else:
        keys = values
    results = {key: parse(key[1] if type(key) is tuple else key) for key in dict.fromkeys(keys)}
    return keys, results


_BOOL = object()


@dataclass
class Problems:
    """CHECK reasons per row, collected column by column."""

    size: int

    def __post_init__(self) -> None:
        self.rows: list[list[str]] = [[] for _ in range(self.size)]

    def add(self, row: int, text: str) -> None:
        self.rows[row].append(text)

    def add_cell(self, row: int, field: str, value: Any, problem: str) -> None:
        self.add(row, f"{FIELD_HEADERS[field][0]} {quote(value)} {problem}")

    def any(self) -> np.ndarray:
        return np.fromiter((bool(p) for p in self.rows), dtype=bool, count=self.size)


_NAT = np.iinfo(np.int64).min
_UNIX = dt.date(1970, 1, 1)


def _parsed(
    values: Sequence[Any], parse: Callable[[Any], Any], field: str, problems: Problems, kind: type
) -> tuple[Sequence[Any], dict]:
    """Parse a column once per distinct value (see :func:`distinct`); record the cells whose
    result is a problem (a ``kind`` value: str for dates and counts, a 1-tuple for choices)."""
    keys, results = distinct(values, parse)
    bad = {key for key, result in results.items() if type(result) is kind}
    if bad:
        for row in [i for i, key in enumerate(keys) if key in bad]:
            result = results[keys[row]]
            problems.add_cell(row, field, values[row], result if kind is str else result[0])
    return keys, results


def _column_of(keys: Sequence[Any], converted: dict, dtype: Any) -> np.ndarray:
    """The array of ``converted[key]`` for every key."""
    if len(converted) == 1:  # one value in every row (a column the sheet does not have)
        return np.full(len(keys), next(iter(converted.values())), dtype=dtype)
    return np.fromiter(map(converted.__getitem__, keys), dtype=dtype, count=len(keys))


def dates_column(
    values: Sequence[Any], field: str, epoch: dt.date, order: str, problems: Problems
) -> np.ndarray:
    """A column of dates as datetime64[D] (NaT for blank or broken), problems recorded."""
    keys, results = _parsed(values, lambda v: parse_date(v, epoch, order), field, problems, str)
    # days since 1970 (datetime64's own count), so the column is built from plain ints
    days = {key: (r - _UNIX).days if isinstance(r, dt.date) else _NAT for key, r in results.items()}
    return _column_of(keys, days, np.int64).view("datetime64[D]")


def code(allowed: Sequence[str], value: str) -> int:
    """The code ``choices_column`` gives ``value``: its 1-based place in ``allowed``."""
    return allowed.index(value) + 1


def choices_column(
    values: Sequence[Any], field: str, allowed: Sequence[str], problems: Problems
) -> np.ndarray:
    """A column of choice codes (``code(allowed, value)``; 0 for blank or broken) as int8."""
    codes = {value: code(allowed, value) for value in allowed}
    keys, results = _parsed(values, choice_parser(allowed), field, problems, tuple)
    coded = {key: codes.get(r, 0) if type(r) is str else 0 for key, r in results.items()}
    return _column_of(keys, coded, np.int8)


def counts_column(
    values: Sequence[Any], field: str, low: int, high: int | None, problems: Problems
) -> np.ndarray:
    """A column of whole numbers as float (NaN for blank or broken), problems recorded."""
    keys, results = _parsed(values, lambda v: parse_count(v, low, high), field, problems, str)
    counts = {key: float(r) if type(r) is int else np.nan for key, r in results.items()}
    return _column_of(keys, counts, float)


def flags_column(values: Sequence[Any], field: str, problems: Problems) -> np.ndarray:
    keys, results = _parsed(values, parse_flag, field, problems, tuple)
    return _column_of(keys, {key: r is True for key, r in results.items()}, bool)
