"""PlanCells: a plan's cells column by column, read as a mapping (row, col) -> value."""

from __future__ import annotations

from sheetsync.sources.base import PlanCells, columns_of

CELLS = PlanCells({4: ([0, 2, 5], ["Flag", "DUE", None]), 1: ([2], [7])})


def test_reads_as_the_dict_it_stands_for() -> None:
    as_dict = {(0, 4): "Flag", (2, 4): "DUE", (5, 4): None, (2, 1): 7}
    assert CELLS.__eq__(as_dict) and as_dict == CELLS  # both ways round
    assert dict(CELLS.items()) == as_dict and len(CELLS) == 4
    assert CELLS[(2, 4)] == "DUE" and CELLS.get((5, 4), "absent") is None
    assert (3, 4) not in CELLS and CELLS.get((3, 4)) is None
    assert sorted(CELLS) == sorted(as_dict)


def test_odd_keys_are_just_absent() -> None:
    assert (1,) not in CELLS and CELLS.get(None) is None and ("x", 4) not in CELLS


def test_columns_in_order_with_rows_ascending() -> None:
    assert list(CELLS.columns) == [1, 4]
    assert columns_of({(5, 4): None, (0, 4): "Flag", (2, 1): 7}) == {
        1: ([2], [7]),
        4: ([0, 5], ["Flag", None]),
    }
    assert columns_of(CELLS) is CELLS.columns


def test_empty_columns_are_dropped() -> None:
    assert PlanCells({3: ([], [])}) == {} and not PlanCells({})
