"""Integer codes for the distinct values of a column, without pandas (which costs 40 MB and
half a second to import, and a sync needs it for nothing else)."""

from __future__ import annotations

import numpy as np


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) with ``uniques[codes] == values``: numbers by ``np.unique`` (sorted),
    objects (texts) by hashing, in the order first met. NaN is a value like any other."""
    values = np.asarray(values)
    if values.dtype == object:
        index = {value: i for i, value in enumerate(dict.fromkeys(values.tolist()))}
        codes = np.fromiter(map(index.__getitem__, values.tolist()), np.int64, len(values))
        uniques = np.empty(len(index), dtype=object)
        uniques[:] = list(index)
        return codes, uniques
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), uniques
