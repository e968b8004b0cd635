"""When Google (here: the fake) says no, is slow, or the sheet changes under a sync.

Quota (429) and server errors (5xx) are retried within the bound, then fail with nothing
written; 403 and 404 fail at once with what to do; rows that moved between the read and the
write are followed by ID or the write is refused. A row's answers never land on another row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fakesheets import FakeSheets, LoggedRequest, serve

from sheetsync.errors import CredentialsError, RowsMoved, SourceError
from sheetsync.sources.base import HighlightRule, WritePlan
from sheetsync.sources.gsheets import GoogleSheetSource, RetryPolicy

KEY = "1FaultsKey_abcdefghijklmnopqrstuvwxyz012345"
HEADER = ["ID", "Company", "Owner", "Last Contact", "Flag", "Why"]
ROWS: list[list[Any]] = [
    ["P1", "Acme", "Dana", dt.date(2026, 11, 2)],
    ["P2", "Beta", "Eli", dt.date(2026, 10, 1)],
    ["P3", "Cyan", "Dana", dt.date(2026, 9, 1)],
    ["P4", "Dune", "Eli", dt.date(2026, 8, 1)],
]
FLAGS = {"P1": "DUE", "P2": "OVERDUE", "P3": "SCHEDULED", "P4": "CHECK"}


@pytest.fixture
def fake_sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    """The local Sheets server, with SHEETSYNC_SHEETS_ENDPOINT pointing at it."""
    yield from serve(monkeypatch)


class VirtualClock:
    """Time that passes only when slept: retries run instantly, waits are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def plan(ids: list[str] | None = None) -> WritePlan:
    """Flag and Why for every row, keyed to the row's ID so misplacement shows."""
    ids = ids or [row[0] for row in ROWS]
    cells: dict[tuple[int, int], Any] = {}
    for row, pid in enumerate(ids, start=1):
        cells[(row, 4)] = FLAGS[pid]
        cells[(row, 5)] = f"answer for {pid}"
    return WritePlan(
        cells=cells,
        width=6,
        height=len(ids) + 1,
        flag_col=4,
        id_col=0,
        highlight=(HighlightRule("DUE", "FCE8B2"),),
        ids=list(ids),
    )


def answers_by_id(fake: FakeSheets) -> dict[str, tuple[Any, ...]]:
    """Each ID's (Flag, Why) as the sheet holds them now."""
    out = {}
    for line in fake.values(KEY, "Prospects")[1:]:
        if line and line[0]:
            out[line[0]] = tuple(line[4:6]) if len(line) > 4 else ()
    return out


def assert_nothing_written(fake: FakeSheets) -> None:
    assert all(answers == () for answers in answers_by_id(fake).values())
    assert fake.sheet(KEY, "Prospects").conditional_formats == []


def assert_every_answer_on_its_row(fake: FakeSheets) -> None:
    for pid, answers in answers_by_id(fake).items():
        if pid in FLAGS:
            assert answers == (FLAGS[pid], f"answer for {pid}"), pid


@pytest.fixture
def fake(fake_sheets: FakeSheets) -> FakeSheets:
    fake_sheets.seed(KEY, {"Prospects": [HEADER[:4], *ROWS]})
    return fake_sheets


def make(retry: RetryPolicy | None = None) -> GoogleSheetSource:
    return GoogleSheetSource(f"gsheet:{KEY}", retry=retry or RetryPolicy(total_seconds=2.0))


# --- retries --------------------------------------------------------------------------------


def test_two_429s_then_success(fake: FakeSheets) -> None:
    clock = VirtualClock()
    fake.fail_next(2, 429)
    data = make(RetryPolicy(total_seconds=120, sleep=clock.sleep, clock=clock.clock)).read()
    assert data.rows[0][0] == "P1"
    assert [r.status for r in fake.requests()] == [429, 429, 200, 200]
    assert len(clock.waits) == 2
    assert 0.5 <= clock.waits[0] <= 1.0 and 1.0 <= clock.waits[1] <= 2.0  # exponential, jittered


def test_retry_after_is_honoured(fake: FakeSheets) -> None:
    clock = VirtualClock()
    fake.fail_next(1, 429, retry_after=7)
    make(RetryPolicy(total_seconds=120, sleep=clock.sleep, clock=clock.clock)).read()
    assert clock.waits == [7.0]


def test_retry_after_beyond_the_bound_fails_at_once(fake: FakeSheets) -> None:
    clock = VirtualClock()
    fake.fail_next(1, 429, retry_after=300)
    with pytest.raises(SourceError, match="429"):
        make(RetryPolicy(total_seconds=120, sleep=clock.sleep, clock=clock.clock)).read()
    assert clock.waits == []


def test_429_during_the_write_is_retried_and_the_write_lands_once(fake: FakeSheets) -> None:
    sync = make(RetryPolicy(total_seconds=2.0, first_delay=0.01))
    sync.read()
    fake.fail_next(2, 503, match=":batchUpdate")
    sync.write(plan())
    assert_every_answer_on_its_row(fake)
    assert len(fake.sheet(KEY, "Prospects").conditional_formats) == 1


def test_a_500_that_never_ends_fails_within_the_bound_with_nothing_written(
    fake: FakeSheets,
) -> None:
    clock = VirtualClock()
    sync = make(RetryPolicy(total_seconds=120, sleep=clock.sleep, clock=clock.clock))
    sync.read()
    fake.fail_always(500, match=":batchUpdate")
    with pytest.raises(SourceError, match=r"500.*nothing was written") as caught:
        sync.write(plan())
    assert sum(clock.waits) <= 120  # bounded: it gave up within the configured total
    assert caught.value.__cause__ is not None  # raised from Google's error, not swallowed
    assert len(fake.batch_updates()) > 3  # it did retry
    fake.clear_faults()
    assert_nothing_written(fake)


def test_an_unreachable_server_is_a_source_error(fake: FakeSheets) -> None:
    fake.stop()
    with pytest.raises(SourceError, match="could not reach Google Sheets"):
        make(RetryPolicy(total_seconds=0.3)).read()


def test_a_400_is_explained_not_retried(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    fake.fail_next(1, 400, match=":batchUpdate")
    with pytest.raises(SourceError, match=r"refused the write \(400: .*nothing was written"):
        sync.write(plan())
    assert len(fake.batch_updates()) == 1
    assert_nothing_written(fake)


def test_a_value_no_cell_can_hold_is_a_source_error(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    with pytest.raises(SourceError, match="inf"):
        sync.write(WritePlan(cells={(1, 4): float("inf")}, width=6, height=5, ids=["P1"]))
    assert fake.batch_updates() == []


# --- refusals ---------------------------------------------------------------------------------


def test_403_says_whom_to_share_with(fake: FakeSheets) -> None:
    fake.make_private(KEY)
    with pytest.raises(CredentialsError, match=r"share the spreadsheet with .* \(Editor\)"):
        make().read()
    assert len(fake.requests()) == 1  # not retried


def test_404_says_check_the_url(fake: FakeSheets) -> None:
    missing = "1NoSuchSpreadsheet_abcdefghijklmnopqrstuvw"
    with pytest.raises(SourceError, match=f"no spreadsheet has the key {missing}: check the URL"):
        GoogleSheetSource(f"gsheet:{missing}").read()


# --- rows that move ---------------------------------------------------------------------------


def test_row_inserted_under_the_header_mid_sync_is_followed_by_id(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    fake.insert_rows(KEY, "Prospects", 1, [["P9", "New lead", "Fay"]])
    sync.write(plan())
    assert_every_answer_on_its_row(fake)
    assert answers_by_id(fake)["P9"] == ()  # the new row got nothing
    assert len(fake.requests()) == 4


def test_row_inserted_between_requests_via_hook(fake: FakeSheets) -> None:
    """Someone inserts a row while the sync runs: just before the ID re-read is served."""
    reads: list[str] = []

    def insert_before_the_recheck(request: LoggedRequest) -> None:
        if request.path.endswith("values:batchGet"):
            reads.append(request.path)
            if len(reads) == 2:
                fake.insert_rows(KEY, "Prospects", 2, [["P8", "Squeezed in"]])

    fake.on_request(insert_before_the_recheck)
    sync = make()
    sync.read()
    sync.write(plan())
    assert_every_answer_on_its_row(fake)
    assert answers_by_id(fake)["P8"] == ()


def test_sorted_sheet_is_followed_by_id(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    fake.sort_rows(KEY, "Prospects", 1, lambda line: -ord(str(line[1])[0]))  # Z to A
    sync.write(plan())
    assert_every_answer_on_its_row(fake)
    assert fake.values(KEY, "Prospects")[1][0] == "P4"  # the sort stayed as the user made it


def test_deleted_row_refuses_the_write(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    sheet = fake.sheet(KEY, "Prospects")
    fake.api.batch_update(
        fake.book(KEY),
        {
            "requests": [
                {
                    "deleteDimension": {
                        "range": {
                            "sheetId": sheet.sheet_id,
                            "dimension": "ROWS",
                            "startIndex": 2,
                            "endIndex": 3,
                        }
                    }
                }
            ]
        },
    )
    with pytest.raises(RowsMoved, match=r"'P2'.*gone.*nothing was written"):
        sync.write(plan())
    assert_nothing_written(fake)


def test_duplicated_id_refuses_the_write(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    fake.insert_rows(KEY, "Prospects", 1, [["P3", "Copy of Cyan"]])
    with pytest.raises(RowsMoved, match=r"'P3'.*found 2 times"):
        sync.write(plan())
    assert fake.values(KEY, "Prospects")[2][4:] == []


def test_moved_column_refuses_the_write(fake: FakeSheets) -> None:
    sync = make()
    sync.read()
    sheet = fake.sheet(KEY, "Prospects")
    fake.api.batch_update(
        fake.book(KEY),
        {
            "requests": [
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": sheet.sheet_id,
                            "dimension": "COLUMNS",
                            "startIndex": 1,
                            "endIndex": 2,
                        }
                    }
                }
            ]
        },
    )
    with pytest.raises(RowsMoved, match="header row"):
        sync.write(plan())


def test_rows_without_ids_are_found_by_content_or_refused(fake_sheets: FakeSheets) -> None:
    fake_sheets.seed(KEY, {"Prospects": [HEADER[:4], ["", "Acme", "Dana"], ["", "Beta", "Eli"]]})
    blank_plan = WritePlan(
        cells={(1, 0): "P1", (1, 4): "DUE", (2, 0): "P2", (2, 4): "OVERDUE"},
        width=6,
        height=3,
        flag_col=4,
        id_col=0,
        ids=["", ""],
    )
    sync = make()
    sync.read()
    fake_sheets.insert_rows(KEY, "Prospects", 1, [["", "Zeta", "Fay"]])
    sync.write(blank_plan)
    values = fake_sheets.values(KEY, "Prospects")
    assert values[2][:5] == ["P1", "Acme", "Dana", "", "DUE"]
    assert values[3][:5] == ["P2", "Beta", "Eli", "", "OVERDUE"]
    assert values[1] == ["", "Zeta", "Fay"]

    fake_sheets.seed(KEY, {"Prospects": [HEADER[:4], ["", "Acme", "Dana"], ["", "Beta", "Eli"]]})
    sync = make()
    sync.read()
    fake_sheets.insert_rows(KEY, "Prospects", 1, [["", "Acme", "Dana"]])  # now ambiguous
    with pytest.raises(RowsMoved, match="no ID yet, cannot be told apart"):
        sync.write(blank_plan)


def test_someone_typing_the_id_the_plan_fills_refuses_the_write(fake_sheets: FakeSheets) -> None:
    fake_sheets.seed(KEY, {"Prospects": [HEADER[:4], ["", "Acme", "Dana"]]})
    sync = make()
    sync.read()
    fake_sheets.set_values(KEY, "Prospects", "A2", [["ACME-1"]])
    with pytest.raises(RowsMoved):
        sync.write(WritePlan(cells={(1, 0): "P1"}, width=4, height=2, id_col=0, ids=[""]))
    assert fake_sheets.values(KEY, "Prospects")[1][0] == "ACME-1"
