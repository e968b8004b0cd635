"""Did rows move between the read and the write? Map the plan's rows to where they are now.

Someone may sort the sheet, insert or delete rows while a sync runs (or another machine may be
syncing it). Just before writing, the source re-reads the header row and the ID column (or the
whole table when some changed row has no usable ID) and calls :func:`align`:

* the header row must be as read (a moved column would shift every answer), except header
  cells the plan itself fills, which must still be blank;
* a changed row whose ID is still at its place, or whose blank ID is still blank with the row's
  content unchanged, stays where it is;
* otherwise the row is looked up by its ID, which must be unique in the plan and found exactly
  once now (a row without an ID may be found by its unchanged content, if that is unique);
* anything else raises RowsMoved, and nothing is written. A row's answers never land on
  another row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sheetsync.errors import RowsMoved
from sheetsync.sources.base import Cell

Row = Sequence[Any]


def id_text(value: Any) -> str:
    """An ID cell as text: 1001 and 1001.0 and " 1001 " are all "1001"; blank is ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _trim(row: Row | None) -> tuple[Any, ...]:
    values = [None if v == "" else v for v in (row or ())]
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


@dataclass(frozen=True)
class Now:
    """What the re-read found: the header row, the IDs, and the data rows when read whole."""

    header: Row
    ids: Sequence[str]
    rows: Sequence[Row] | None = None


def align(
    cells: dict[tuple[int, int], Cell],
    plan_ids: Sequence[Any],
    read_header: Row,
    read_rows: Sequence[Row] | None,
    now: Now,
    title: str,
) -> dict[tuple[int, int], Cell]:
    """``cells`` moved to the rows where their rows are now. Raises RowsMoved."""
    _check_header(cells, read_header, now.header, title)
    ids = [id_text(v) for v in plan_ids]
    counts = Counter(i for i in ids if i)
    now_ids = [id_text(v) for v in now.ids]

    def plan_id(index: int) -> str:
        return ids[index] if index < len(ids) else ""

    def now_id(index: int) -> str:
        return now_ids[index] if index < len(now_ids) else ""

    def same_content(index: int) -> bool:
        if read_rows is None or now.rows is None:
            return False
        read = read_rows[index] if index < len(read_rows) else ()
        current = now.rows[index] if index < len(now.rows) else ()
        return _trim(read) == _trim(current)

    def in_place(index: int) -> bool:
        pid = plan_id(index)
        if pid:
            return now_id(index) == pid
        return now_id(index) == "" and same_content(index)

    changed = sorted({row for row, _ in cells if row >= 1})
    if all(in_place(row - 1) for row in changed):
        return cells

    where_now: dict[str, list[int]] = {}
    for index, value in enumerate(now_ids):
        if value:
            where_now.setdefault(value, []).append(index)
    by_content: dict[tuple[Any, ...], list[int]] = {}
    if now.rows is not None:
        for index, line in enumerate(now.rows):
            if now_id(index) == "":
                by_content.setdefault(_trim(line), []).append(index)

    # Something moved: every changed row must now be found without doubt.
    moves: dict[int, int] = {}
    for row in changed:
        index = row - 1
        pid = plan_id(index)
        if pid:
            found = where_now.get(pid, [])
            if counts[pid] != 1:
                raise RowsMoved(
                    f"rows of {title!r} moved while syncing, and the ID {pid!r} was already on "
                    f"{counts[pid]} rows when read, so their rows cannot be told apart: nothing "
                    "was written; give each row its own ID and run the sync again"
                )
            if len(found) != 1:
                raise RowsMoved(
                    f"rows of {title!r} moved while syncing, and the row with ID {pid!r} "
                    f"(row {row + 1} when read) is now {_count(found)}: nothing was written; "
                    "run the sync again"
                )
            moves[row] = found[0] + 1
            continue
        content = _trim(read_rows[index]) if read_rows and index < len(read_rows) else ()
        found = by_content.get(content, []) if content else []
        if len(found) != 1:
            raise RowsMoved(
                f"rows of {title!r} moved while syncing (sorted, inserted or deleted), and row "
                f"{row + 1}, which has no ID yet, cannot be told apart again: nothing was "
                "written; run the sync again"
            )
        moves[row] = found[0] + 1
    targets = Counter(moves.values())
    if any(n > 1 for n in targets.values()):
        raise RowsMoved(
            f"rows of {title!r} moved while syncing and two rows now map to one: nothing was "
            "written; run the sync again"
        )
    return {(moves.get(row, row), col): value for (row, col), value in cells.items()}


def _count(found: list[int]) -> str:
    if not found:
        return "gone"
    return f"found {len(found)} times"


def _check_header(cells: dict[tuple[int, int], Cell], read: Row, now: Row, title: str) -> None:
    read_t, now_t = _trim(read), _trim(now)
    for col in range(max(len(read_t), len(now_t))):
        before = read_t[col] if col < len(read_t) else None
        after = now_t[col] if col < len(now_t) else None
        if before == after:
            continue
        if before is None and (0, col) in cells and after in (None, cells[(0, col)]):
            continue
        raise RowsMoved(
            f"the header row of {title!r} changed while syncing (column {col + 1}: "
            f"{before!r} became {after!r}): nothing was written; run the sync again"
        )
