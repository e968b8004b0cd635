"""The ``spreadsheets.batchUpdate`` requests that write cells, and their packing into batches.

Changed cells are grouped into runs (contiguous columns of one row, one kind: plain values or
dates), and runs of consecutive rows that cover the same columns merge into one ``updateCells``.
A first sync that writes four columns of every row is then two or three requests in all.

Below :data:`MAX_REQUEST_BYTES` (and :data:`MAX_REQUEST_CELLS`) everything goes in one
batchUpdate, which Google applies atomically. Above, the write is split into batches of whole
rows: each row is all old or all new, and the memory sheet goes after the rows it describes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sheetsync.sources.base import Cell

from .apivalues import cell_data, encoded_size, is_date

#: Google asks to keep a request under about 2 MB; stay a little below.
MAX_REQUEST_BYTES = 1_900_000
#: and under this many cells per batchUpdate (a second, independent bound)
MAX_REQUEST_CELLS = 100_000

VALUE_FIELDS = "userEnteredValue"
DATE_FIELDS = "userEnteredValue,userEnteredFormat.numberFormat"
_RUN_OVERHEAD = 16  # a run's row in a merged updateCells: {"values":[...]},
_BLOCK_OVERHEAD = 400  # an updateCells (or repeatCell + updateCells) envelope, in bytes


@dataclass(frozen=True)
class Run:
    """Cells of one row in contiguous columns ``col .. col+len-1``, all of one kind."""

    col: int
    dated: bool
    cells: tuple[dict[str, Any], ...]
    size: int

    @property
    def key(self) -> tuple[int, int, bool]:
        return self.col, len(self.cells), self.dated


@dataclass(frozen=True)
class RowWrite:
    """Everything written in one sheet row."""

    row: int
    runs: tuple[Run, ...]

    @property
    def size(self) -> int:
        return sum(run.size for run in self.runs)

    @property
    def cells(self) -> int:
        return sum(len(run.cells) for run in self.runs)


def row_writes(cells: dict[tuple[int, int], Cell], date_format: str) -> list[RowWrite]:
    """Group ``(row, col) -> value`` into per-row runs, rows in sheet order."""
    by_row: dict[int, dict[int, Cell]] = {}
    for (row, col), value in cells.items():
        by_row.setdefault(row, {})[col] = value
    return [_row(row, by_row[row], date_format) for row in sorted(by_row)]


def full_rows(rows: Sequence[Sequence[Cell]], width: int, date_format: str) -> list[RowWrite]:
    """Rows written whole, columns ``0 .. width-1`` (blanks clear what was there)."""
    out = []
    for r, line in enumerate(rows):
        values = {c: (line[c] if c < len(line) else None) for c in range(width)}
        out.append(_row(r, values, date_format))
    return out


def _row(row: int, values: dict[int, Cell], date_format: str) -> RowWrite:
    runs: list[Run] = []
    current: list[dict[str, Any]] = []
    start = prev = -2
    dated = False
    size = 0
    for col in sorted(values):
        value = values[col]
        data = cell_data(value, date_format)
        kind = is_date(value)
        if col != prev + 1 or kind != dated:
            if current:
                runs.append(Run(start, dated, tuple(current), size + _RUN_OVERHEAD))
            current, start, dated, size = [], col, kind, 0
        current.append(data)
        size += encoded_size(value, data)
        prev = col
    if current:
        runs.append(Run(start, dated, tuple(current), size + _RUN_OVERHEAD))
    return RowWrite(row, tuple(runs))


def update_cells(sheet_id: int, rows: Iterable[RowWrite]) -> list[dict[str, Any]]:
    """``updateCells`` requests for the rows, merging runs of consecutive rows on equal columns."""
    requests: list[dict[str, Any]] = []
    open_blocks: dict[tuple[int, int, bool], tuple[int, int, list[tuple[dict[str, Any], ...]]]] = {}

    def close(key: tuple[int, int, bool], block: tuple[int, int, list[Any]]) -> None:
        first, _, lines = block
        col, width, dated = key
        grid = {
            "sheetId": sheet_id,
            "startRowIndex": first,
            "endRowIndex": first + len(lines),
            "startColumnIndex": col,
            "endColumnIndex": col + width,
        }
        fields = DATE_FIELDS if dated else VALUE_FIELDS
        if dated and len(lines) > 1:
            formats = {
                json.dumps(c.get("userEnteredFormat"), sort_keys=True)
                for line in lines
                for c in line
            }
            if len(formats) == 1:
                # One number format for the whole block, set once instead of once per cell.
                requests.append(
                    {
                        "repeatCell": {
                            "range": grid,
                            "cell": {"userEnteredFormat": lines[0][0]["userEnteredFormat"]},
                            "fields": "userEnteredFormat.numberFormat",
                        }
                    }
                )
                lines = [
                    tuple({"userEnteredValue": c["userEnteredValue"]} for c in line)
                    for line in lines
                ]
                fields = VALUE_FIELDS
        requests.append(
            {
                "updateCells": {
                    "range": grid,
                    "rows": [{"values": list(line)} for line in lines],
                    "fields": fields,
                }
            }
        )

    for write in rows:
        still_open = {}
        for run in write.runs:
            block = open_blocks.pop(run.key, None)
            if block is not None and block[1] == write.row - 1:
                block[2].append(run.cells)
                still_open[run.key] = (block[0], write.row, block[2])
            else:
                if block is not None:
                    close(run.key, block)
                still_open[run.key] = (write.row, write.row, [run.cells])
        for key, block in open_blocks.items():
            close(key, block)
        open_blocks = still_open
    for key, block in open_blocks.items():
        close(key, block)
    return requests


def _estimate(item: tuple[str, RowWrite], previous: tuple[str, RowWrite] | None) -> int:
    """Encoded size of a row in a batch: its cells, plus an envelope for each run that does not
    continue a block of the row above."""
    kind, write = item
    size = write.size
    continued: set[tuple[int, int, bool]] = set()
    if previous is not None and previous[0] == kind and previous[1].row == write.row - 1:
        continued = {run.key for run in previous[1].runs}
    return size + sum(_BLOCK_OVERHEAD for run in write.runs if run.key not in continued)


def request_size(requests: Sequence[dict[str, Any]]) -> int:
    return len(json.dumps(list(requests), separators=(",", ":"), ensure_ascii=False).encode())


@dataclass
class WriteJob:
    """One write, before packing: fixed requests around the rows of the two sheets."""

    target_id: int
    memory_id: int | None
    #: structure first: the memory sheet, appended rows and columns
    head: list[dict[str, Any]] = field(default_factory=list)
    target_rows: list[RowWrite] = field(default_factory=list)
    memory_rows: list[RowWrite] = field(default_factory=list)
    #: after the memory rows: clearing what is left of the old memory, hiding it
    memory_tail: list[dict[str, Any]] = field(default_factory=list)
    #: highlighting, frozen header, filter, filter views: last
    tail: list[dict[str, Any]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.head or self.target_rows or self.memory_rows or self.memory_tail or self.tail
        )

    def pack(
        self, max_bytes: int = MAX_REQUEST_BYTES, max_cells: int = MAX_REQUEST_CELLS
    ) -> list[list[dict[str, Any]]]:
        """The batches to send, in order: one unless the job is over the limits.

        Rows are grouped by an estimate of their encoded size; a group whose batch turns out
        bigger than ``max_bytes`` is halved until it fits (or is a single row)."""
        items = [("target", w) for w in self.target_rows]
        items += [("memory", w) for w in self.memory_rows]
        if sum(w.cells for _, w in items) <= max_cells:
            whole = self._batch(items, first=True, last=True)
            if request_size(whole) <= max_bytes:
                return [whole]
        groups: list[list[tuple[str, RowWrite]]] = [[]]
        size = request_size(self.head)
        count = 0
        previous: tuple[str, RowWrite] | None = None
        for item in items:
            cost = _estimate(item, previous)
            if groups[-1] and (size + cost > max_bytes or count + item[1].cells > max_cells):
                groups.append([])
                size = count = 0
                cost = _estimate(item, None)
            groups[-1].append(item)
            size += cost
            count += item[1].cells
            previous = item
        batches: list[list[dict[str, Any]]] = []
        pending = [(group, i == 0) for i, group in enumerate(groups)]
        while pending:
            group, first = pending.pop(0)
            built = self._batch(group, first=first, last=False)
            if request_size(built) > max_bytes and len(group) > 1:
                half = len(group) // 2
                pending[:0] = [(group[:half], first), (group[half:], False)]
                continue
            batches.append(built)
        last = self.memory_tail + self.tail
        if last:
            if request_size(batches[-1]) + request_size(last) > max_bytes:
                batches.append(last)
            else:
                batches[-1] += last
        return [b for b in batches if b]

    def _batch(
        self, items: Sequence[tuple[str, RowWrite]], *, first: bool, last: bool
    ) -> list[dict[str, Any]]:
        requests = list(self.head) if first else []
        requests += update_cells(self.target_id, [w for kind, w in items if kind == "target"])
        requests += self._memory_requests([w for kind, w in items if kind == "memory"])
        if last:
            requests += self.memory_tail + self.tail
        return requests

    def _memory_requests(self, rows: list[RowWrite]) -> list[dict[str, Any]]:
        if self.memory_id is None or not rows:
            return []
        return update_cells(self.memory_id, rows)
