"""Cell values between Python and the Sheets API: raw values read, CellData written.

Text is always written as ``stringValue`` (never ``formulaValue``), so ``=HYPERLINK(...)`` in a
name stays text; dates are serial numbers with a DATE number format, as typed dates are.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
from typing import Any

from sheetsync.errors import SourceError
from sheetsync.sources.base import EPOCH_1900, Cell

_EPOCH_DT = dt.datetime.combine(EPOCH_1900, dt.time())


def from_api(value: Any) -> Cell:
    """A value from an UNFORMATTED_VALUE read: "" is an empty cell, the rest stays as it is."""
    return None if value == "" else value


def plain(value: Any) -> Cell:
    """Normalise what a plan may hold (numpy and pandas scalars included) to a plain Cell."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return None if value != value else value  # pandas.NaT is not equal to itself
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # numpy scalar
        if isinstance(value, dt.datetime | dt.date | str | bool):
            return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if not math.isfinite(number):
            raise SourceError(f"cannot write {number} to a cell: nothing was written")
        return number
    raise SourceError(
        f"cannot write {type(value).__name__} {value!r} to a cell: nothing was written"
    )


def to_serial(value: dt.date) -> int | float:
    """Days since 1899-12-30, the Sheets serial number of a date (a fraction for a time)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH_DT
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
        return int(serial) if float(serial).is_integer() else serial
    return (value - EPOCH_1900).days


def is_date(value: Cell) -> bool:
    return isinstance(value, dt.date)


def cell_data(value: Cell, date_format: str) -> dict[str, Any]:
    """The CellData that writes ``value`` (an empty dict clears the cell's value)."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, dt.datetime):
        return {
            "userEnteredValue": {"numberValue": to_serial(value)},
            "userEnteredFormat": {
                "numberFormat": {"type": "DATE_TIME", "pattern": f"{date_format} hh:mm"}
            },
        }
    if isinstance(value, dt.date):
        return {
            "userEnteredValue": {"numberValue": to_serial(value)},
            "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": date_format}},
        }
    return {"userEnteredValue": {"stringValue": str(value)}}


def encoded_size(value: Cell, data: dict[str, Any]) -> int:
    """Bytes ``data`` (the CellData of ``value``) adds to a compact JSON body, comma included.

    Exact for plain text and numbers without serialising each cell (a 100,000-row plan has
    hundreds of thousands); other cells are serialised."""
    if value is None:
        return 3
    if isinstance(value, str) and value.isprintable() and '"' not in value and "\\" not in value:
        return 40 + len(value.encode("utf-8"))  # {"userEnteredValue":{"stringValue":"..."}},
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) + 1
