"""Integer codes for the distinct values of a column, without pandas (which costs 40 MB and
half a second to import, and a sync needs it for nothing else)."""

from __future__ import annotations

import numpy as np

#: a sort is cheaper than a table of the values' range beyond this many slots per value
_TABLE_SLOTS = 4
#: odd multiplier of the 64-bit mix of several columns (the fractional part of the golden ratio)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_NAT = np.iinfo(np.int64).min


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) with ``uniques[codes] == values``. Objects (texts) by hashing, in the
    order first met; integers (and dates viewed as int64) in ascending order, through a table
    of their range when it is small (no sort), else by ``np.unique``."""
    values = np.asarray(values)
    if values.dtype == object:
        index = {value: i for i, value in enumerate(dict.fromkeys(values.tolist()))}
        codes = np.fromiter(map(index.__getitem__, values.tolist()), np.int64, len(values))
        uniques = np.empty(len(index), dtype=object)
        uniques[:] = list(index)
        return codes, uniques
    if values.dtype.kind in "iu" and len(values):
        if values.dtype == np.int64 and values.min() == _NAT:
            # NaT (dates viewed as int64) sits far below the other values: taken as one less
            # than the lowest of them, the range stays small
            nat = values == _NAT
            stand_in = int(values[~nat].min()) - 1 if not nat.all() else 0
            if stand_in > _NAT:
                coded = _by_table(np.where(nat, stand_in, values))
                if coded is not None:
                    coded[1][coded[1] == stand_in] = _NAT
                    return coded
        else:
            coded = _by_table(values)
            if coded is not None:
                return coded
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), uniques


def _by_table(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``factorize`` through a table of the values' range; None when it is too wide."""
    if values.dtype.kind == "i" and values.dtype != np.int64:
        values = values.astype(np.int64)  # a narrow type would overflow below
    low, high = values.min(), values.max()
    if int(high) - int(low) >= _TABLE_SLOTS * len(values) + 1024:
        return None
    offsets = (values - low).astype(np.intp)  # int64 or uint64: no overflow
    present = np.zeros(int(high) - int(low) + 1, dtype=bool)
    present[offsets] = True
    slots = np.cumsum(present) - 1
    uniques = np.flatnonzero(present).astype(values.dtype) + low
    return slots[offsets].astype(np.int64), uniques


def combined_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One code per distinct combination of the integer columns' values: the columns mixed
    into one 64-bit number per row and factorized once; should two combinations mix to the
    same number (checked), column by column instead."""
    if not len(columns[0]):
        return np.zeros(0, dtype=np.int64)
    with np.errstate(over="ignore"):
        mixed = np.zeros(len(columns[0]), dtype=np.uint64)
        for column in columns:
            mixed = mixed * _MIX + column.astype(np.uint64)
    codes, uniques = factorize(mixed)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    if all(np.array_equal(column[first][codes], column) for column in columns):
        return codes
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        col_codes, col_uniques = factorize(column)
        codes, _ = factorize(codes * len(col_uniques) + col_codes)
    return codes
