"""A source held in memory: the same interface as a workbook, for tests and ``--dry-run``.

It applies a WritePlan exactly as a real source would lay it out (rows grow, created columns
appear at the right end, the memory sheet is replaced), so several syncs can run on it.
"""

from __future__ import annotations

import copy

from sheetsync.sources.base import SheetData, WritePlan


class InMemorySource:
    def __init__(self, data: SheetData, key: str = "memory") -> None:
        self.data = data
        self.key = key
        self.lock_key = key
        self.writes = 0

    def read(self) -> SheetData:
        return copy.deepcopy(self.data)

    def write(self, plan: WritePlan) -> None:
        if not plan.changed:
            return
        self.writes += 1
        grid = [list(self.data.headers), *(list(r) for r in self.data.rows)]
        for (row, col), value in plan.cells.items():
            while len(grid) <= row:
                grid.append([])
            line = grid[row]
            if len(line) <= col:
                line.extend([None] * (col + 1 - len(line)))
            line[col] = value
        self.data.headers = grid[0]
        self.data.rows = grid[1:]
        if plan.memory is not None:
            self.data.memory = [list(r) for r in plan.memory]

    def close(self) -> None:
        """Nothing to release."""
