"""GoogleSheetSource against the local fake Sheets server, with real gspread and google-auth.

Round trip (read raw values, write a plan, check what the spreadsheet then holds), idempotence
(a second sync writes nothing, highlighting is never duplicated, the user's rules stay), the
request budget, worksheet choice, and writes split into batches of whole rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fakesheets import FakeSheets, Formula, serve

from sheetsync.errors import SheetNotFound, SourceError
from sheetsync.sources.base import EPOCH_1900, MEMORY_SHEET, HighlightRule, WritePlan
from sheetsync.sources.gsheets import GoogleSheetSource, RetryPolicy

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc"
HEADER = ["ID", "Company", "Contact", "Phone", "Owner", "Last Contact", "Last Outcome"]
ROWS: list[list[Any]] = [
    ["P1", "Acme", "Ann", "0042", "Dana", dt.date(2026, 11, 2), "No answer"],
    ["P2", "Beta", "Bob", "0043", "Eli", dt.date(2026, 10, 1), "Connected"],
    ["", '=HYPERLINK("http://x","Cyan")', "Cy", 5551234, "dana ", dt.date(2026, 9, 1), ""],
]
TOOL_COLUMNS = ["Next Contact", "Next Action", "Flag", "Why"]
HIGHLIGHT = (
    HighlightRule("OVERDUE", "F4CCCC"),
    HighlightRule("DUE", "FCE8B2"),
    HighlightRule("DNC", "EEEEEE", font="999999", strike=True),
)
FAST = RetryPolicy(total_seconds=2.0, first_delay=0.01)


@pytest.fixture
def fake_sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    """The local Sheets server, with SHEETSYNC_SHEETS_ENDPOINT pointing at it."""
    yield from serve(monkeypatch)


def serial(day: dt.date) -> int:
    return (day - EPOCH_1900).days


def source(**kwargs: Any) -> GoogleSheetSource:
    return GoogleSheetSource(f"gsheet:{KEY}", retry=FAST, **kwargs)


def first_plan() -> WritePlan:
    """What the core would ask for on a first sync: tool columns, answers, IDs, memory."""
    cells: dict[tuple[int, int], Any] = {}
    for i, name in enumerate(TOOL_COLUMNS):
        cells[(0, 7 + i)] = name
    answers = [
        (dt.date(2026, 11, 16), "Call", "DUE", "Working, 1 attempt: follow up 10-14 days"),
        (dt.date(2027, 1, 5), "Check-in call", "SCHEDULED", "=SUM(A1:A9) is text, not a formula"),
        (None, None, "DNC", "Do Not Contact set"),
    ]
    for row, (day, action, flag, why) in enumerate(answers, start=1):
        cells[(row, 7)] = day
        cells[(row, 8)] = action
        cells[(row, 9)] = flag
        cells[(row, 10)] = why
    cells[(3, 0)] = "P3"
    return WritePlan(
        cells=cells,
        width=11,
        height=4,
        flag_col=9,
        id_col=0,
        date_cols=(7,),
        memory=[
            ["id", "last_contact", "attempts"],
            ["P1", dt.date(2026, 11, 2), 1],
            ["P2", dt.date(2026, 10, 1), 0],
            ["P3", None, 0],
        ],
        highlight=HIGHLIGHT,
        ids=["P1", "P2", ""],
        owner_col=4,
        owners=("Dana", "Eli"),
    )


def quiet_plan() -> WritePlan:
    """A later sync where nothing changed."""
    return WritePlan(
        width=11,
        height=4,
        flag_col=9,
        id_col=0,
        date_cols=(7,),
        highlight=HIGHLIGHT,
        ids=["P1", "P2", "P3"],
        owner_col=4,
        owners=("Dana", "Eli"),
    )


@pytest.fixture
def fake(fake_sheets: FakeSheets) -> FakeSheets:
    fake_sheets.seed(KEY, {"Notes": [["free text"]], "Prospects": [HEADER, *ROWS]})
    return fake_sheets


def test_read_gives_raw_values(fake: FakeSheets) -> None:
    data = source().read()
    assert data.title == "Prospects"
    assert data.headers == HEADER
    assert data.epoch == EPOCH_1900
    assert data.memory is None
    assert data.rows[0] == [
        "P1",
        "Acme",
        "Ann",
        "0042",
        "Dana",
        serial(dt.date(2026, 11, 2)),
        "No answer",
    ]
    assert data.rows[2][0] is None  # a blank cell is None, not ""
    assert data.rows[2][1] == '=HYPERLINK("http://x","Cyan")'  # text stays text
    assert data.rows[2][3] == 5551234 and isinstance(data.rows[2][3], int)
    assert data.rows[2][6:] == []  # trailing blanks trimmed, as Google sends them


def test_read_costs_two_requests_one_values_read(fake: FakeSheets) -> None:
    source().read()
    sent = fake.requests()
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in sent] == [
        ("GET", KEY),
        ("GET", "values:batchGet"),
    ]
    assert sent[0].query["fields"][0].startswith("spreadsheetId,sheets(properties(")
    assert sent[1].query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert sent[1].query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]


def test_first_sync_writes_cells_memory_and_formatting(fake: FakeSheets) -> None:
    sheet_source = source()
    sheet_source.read()
    sheet_source.write(first_plan())

    values = fake.values(KEY, "Prospects")
    assert values[0] == HEADER + TOOL_COLUMNS
    assert values[1][7:] == [
        serial(dt.date(2026, 11, 16)),
        "Call",
        "DUE",
        "Working, 1 attempt: follow up 10-14 days",
    ]
    assert values[2][10] == "=SUM(A1:A9) is text, not a formula"
    assert values[3][0] == "P3"
    assert values[3][7:] == ["", "", "DNC", "Do Not Contact set"]
    assert values[1][:7] == [
        "P1",
        "Acme",
        "Ann",
        "0042",
        "Dana",
        serial(dt.date(2026, 11, 2)),
        "No answer",
    ]

    why = fake.cell(KEY, "Prospects", "K3")
    assert why is not None and not isinstance(why.value, Formula)
    next_contact = fake.cell(KEY, "Prospects", "H2")
    assert next_contact is not None and next_contact.fmt == {
        "numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}
    }
    assert fake.values(KEY, "Prospects", "FORMATTED_VALUE")[1][7] == "2026-11-16"

    memory = fake.sheet(KEY, MEMORY_SHEET)
    assert memory.hidden
    assert fake.values(KEY, MEMORY_SHEET) == [
        ["id", "last_contact", "attempts"],
        ["P1", serial(dt.date(2026, 11, 2)), 1],
        ["P2", serial(dt.date(2026, 10, 1)), 0],
        ["P3", "", 0],
    ]

    prospects = fake.sheet(KEY, "Prospects")
    formulas = [
        r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for r in prospects.conditional_formats
    ]
    assert formulas == ['=$J2="OVERDUE"', '=$J2="DUE"', '=$J2="DNC"']
    dnc = prospects.conditional_formats[2]
    assert dnc["ranges"] == [
        {
            "sheetId": 0 if prospects.sheet_id == 0 else prospects.sheet_id,
            "startRowIndex": 1,
            "startColumnIndex": 0,
            "endColumnIndex": 11,
        }
    ]
    assert dnc["booleanRule"]["format"]["textFormat"]["strikethrough"] is True
    assert prospects.frozen_rows == 1
    assert prospects.basic_filter is not None
    assert prospects.basic_filter["range"]["endColumnIndex"] == 11
    titles = sorted(v["title"] for v in prospects.filter_views)
    assert titles == ["Due: Dana", "Due: Eli"]
    dana = next(v for v in prospects.filter_views if v["title"] == "Due: Dana")
    formulas = [
        s["filterCriteria"]["condition"]["values"][0]["userEnteredValue"]
        for s in dana["filterSpecs"]
    ]
    assert formulas == ['=LOWER(TRIM($E2))="dana"', '=OR($J2="DUE",$J2="OVERDUE",$J2="CARD")']


def test_first_sync_is_four_requests_and_one_atomic_write(fake: FakeSheets) -> None:
    sheet_source = source()
    sheet_source.read()
    sheet_source.write(first_plan())
    sent = fake.requests()
    assert len(sent) == 4
    assert len(fake.batch_updates()) == 1
    kinds = [next(iter(r)) for r in fake.batch_updates()[0].json["requests"]]
    assert kinds[0] == "addSheet"  # the memory sheet exists before its cells are written
    assert kinds.count("addConditionalFormatRule") == 3
    for kind in ("updateCells", "updateSheetProperties", "setBasicFilter", "addFilterView"):
        assert kind in kinds
    text = fake.batch_updates()[0].body.decode()
    assert "formulaValue" not in text


def test_second_sync_with_no_change_sends_no_write(fake: FakeSheets) -> None:
    first = source()
    first.read()
    first.write(first_plan())
    fake.reset_log()

    second = source()
    data = second.read()
    assert data.memory is not None and data.memory[1][0] == "P1"
    second.write(quiet_plan())
    assert [r.method for r in fake.requests()] == ["GET", "GET"]
    assert fake.batch_updates() == []


def test_highlighting_is_never_duplicated_and_user_rules_stay(fake: FakeSheets) -> None:
    prospects = fake.sheet(KEY, "Prospects")
    users_rule = {
        "ranges": [
            {
                "sheetId": prospects.sheet_id,
                "startRowIndex": 1,
                "endRowIndex": 100,
                "startColumnIndex": 1,
                "endColumnIndex": 2,
            }
        ],
        "booleanRule": {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [{"userEnteredValue": '=$B2="Acme"'}],
            },
            "format": {"backgroundColor": {"green": 1}},
        },
    }
    prospects.conditional_formats.append(users_rule)
    for plan in (first_plan(), quiet_plan(), quiet_plan()):
        sync = source()
        sync.read()
        sync.write(plan)
    rules = fake.sheet(KEY, "Prospects").conditional_formats
    assert len(rules) == 4
    assert rules[-1] == users_rule


def test_changed_colours_or_a_moved_flag_column_replace_our_rules(fake: FakeSheets) -> None:
    sync = source()
    sync.read()
    sync.write(first_plan())
    plan = quiet_plan()
    plan.highlight = (HighlightRule("OVERDUE", "FF0000"), HighlightRule("DUE", "FCE8B2"))
    sync = source()
    sync.read()
    sync.write(plan)
    rules = fake.sheet(KEY, "Prospects").conditional_formats
    assert len(rules) == 2
    assert rules[0]["booleanRule"]["format"]["backgroundColor"] == {"red": 1}


def test_filter_views_follow_the_owners(fake: FakeSheets) -> None:
    sync = source()
    sync.read()
    sync.write(first_plan())
    plan = quiet_plan()
    plan.owners = ("Eli", "Fay")
    sync = source()
    sync.read()
    sync.write(plan)
    views = fake.sheet(KEY, "Prospects").filter_views
    assert sorted(v["title"] for v in views) == ["Due: Eli", "Due: Fay"]
    # a view the user made stays, whatever its name
    fake.sheet(KEY, "Prospects").filter_views.append(
        {
            "filterViewId": 7,
            "title": "My calls",
            "range": {
                "sheetId": 0,
                "startRowIndex": 0,
                "endRowIndex": 10,
                "startColumnIndex": 0,
                "endColumnIndex": 3,
            },
        }
    )
    sync = source()
    sync.read()
    sync.write(plan)
    assert sorted(v["title"] for v in fake.sheet(KEY, "Prospects").filter_views) == [
        "Due: Eli",
        "Due: Fay",
        "My calls",
    ]


def test_memory_rewrite_clears_leftovers(fake: FakeSheets) -> None:
    sync = source()
    sync.read()
    sync.write(first_plan())
    plan = quiet_plan()
    plan.memory = [["id", "attempts"], ["P1", 2]]
    sync = source()
    sync.read()
    sync.write(plan)
    assert fake.values(KEY, MEMORY_SHEET) == [["id", "attempts"], ["P1", 2]]


def test_a_wider_table_grows_the_grid(fake_sheets: FakeSheets) -> None:
    fake_sheets.add_sheet  # noqa: B018 - the fixture's seed below makes a tight grid
    book = fake_sheets.seed(KEY, {"Prospects": [HEADER, *ROWS]})
    sheet = book.sheets[0]
    sheet.row_count, sheet.col_count = 4, 7
    sync = source()
    sync.read()
    sync.write(first_plan())
    assert (sheet.row_count, sheet.col_count) == (4, 11)
    assert fake_sheets.values(KEY, "Prospects")[0][-1] == "Why"


@pytest.mark.parametrize(
    ("url", "sheet", "title"),
    [
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0", None, "Notes"),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0", "prospects", "Prospects"),
        (f"gsheet:{KEY}", None, "Prospects"),
    ],
)
def test_worksheet_choice(fake: FakeSheets, url: str, sheet: str | None, title: str) -> None:
    assert GoogleSheetSource(url, sheet).read().title == title


def test_missing_worksheet_names_the_ones_there(fake: FakeSheets) -> None:
    with pytest.raises(SheetNotFound, match="'Notes', 'Prospects'"):
        GoogleSheetSource(f"gsheet:{KEY}", "Leads").read()
    with pytest.raises(SheetNotFound, match="gid 99"):
        GoogleSheetSource(f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=99", None).read()


def test_first_sheet_when_no_prospects_sheet(fake_sheets: FakeSheets) -> None:
    fake_sheets.seed(KEY, {"Leads": [["Company"]], "Other": [["x"]]})
    assert source().read().title == "Leads"


def test_key_is_stable_text() -> None:
    assert GoogleSheetSource(f"gsheet:{KEY}").key == f"gsheet:{KEY}"
    assert GoogleSheetSource(f"gsheet:{KEY}", "Leads").key == f"gsheet:{KEY}#Leads"
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=42"
    assert GoogleSheetSource(url).key == f"gsheet:{KEY}#gid=42"


def test_big_write_is_split_into_batches_of_whole_rows(fake_sheets: FakeSheets) -> None:
    rows = [
        [f"P{i}", f"Company {i}", "", "", "Dana", dt.date(2026, 1, 1), "No answer"]
        for i in range(300)
    ]
    fake_sheets.seed(KEY, {"Prospects": [HEADER, *rows]})
    plan = quiet_plan()
    plan.height = 301
    plan.ids = [f"P{i}" for i in range(300)]
    for r in range(1, 301):
        plan.cells[(r, 7)] = dt.date(2026, 2, 1)
        plan.cells[(r, 8)] = "Call"
        plan.cells[(r, 9)] = "DUE"
        plan.cells[(r, 10)] = "Working, 1 attempt: follow up 10-14 days after 2026-01-01"
    sync = GoogleSheetSource(f"gsheet:{KEY}", retry=FAST, max_request_bytes=20_000)
    sync.read()
    sync.write(plan)
    batches = fake_sheets.batch_updates()
    assert len(batches) > 3
    assert all(len(b.body) < 25_000 for b in batches)
    rows_seen: dict[int, int] = {}
    for b in batches:
        for request in b.json["requests"]:
            grid = request.get("updateCells", {}).get("range", {})
            for row in range(grid.get("startRowIndex", 0), grid.get("endRowIndex", 0)):
                rows_seen[row] = rows_seen.get(row, 0) + 1
    # every row is written by requests of one batch only: 2 runs (date, text) per row
    per_batch = [
        {
            row
            for req in b.json["requests"]
            for row in range(
                req.get("updateCells", {}).get("range", {}).get("startRowIndex", 0),
                req.get("updateCells", {}).get("range", {}).get("endRowIndex", 0),
            )
        }
        for b in batches
    ]
    for i, a in enumerate(per_batch):
        for other in per_batch[i + 1 :]:
            assert not a & other
    values = fake_sheets.values(KEY, "Prospects")
    assert all(line[9] == "DUE" for line in values[1:])


def test_memory_only_sync_skips_the_row_check(fake: FakeSheets) -> None:
    sync = source()
    sync.read()
    sync.write(first_plan())
    fake.reset_log()
    plan = quiet_plan()
    plan.memory = [["id", "attempts"], ["P1", 3]]
    sync = source()
    sync.read()
    sync.write(plan)
    assert [r.path.rsplit("/", 1)[-1] for r in fake.requests()] == [
        KEY,
        "values:batchGet",
        f"{KEY}:batchUpdate",
    ]


def test_an_existing_narrow_filter_is_widened_keeping_its_criteria(fake: FakeSheets) -> None:
    prospects = fake.sheet(KEY, "Prospects")
    criteria = [{"columnIndex": 4, "filterCriteria": {"hiddenValues": ["Eli"]}}]
    prospects.basic_filter = {
        "range": {
            "sheetId": prospects.sheet_id,
            "startRowIndex": 0,
            "endRowIndex": 4,
            "startColumnIndex": 0,
            "endColumnIndex": 7,
        },
        "filterSpecs": criteria,
    }
    sync = source()
    sync.read()
    sync.write(first_plan())
    assert prospects is fake.sheet(KEY, "Prospects")
    widened = fake.sheet(KEY, "Prospects").basic_filter
    assert widened is not None
    assert widened["range"]["endColumnIndex"] == 11
    assert widened["filterSpecs"] == criteria


def test_a_failure_mid_split_says_what_was_written(fake_sheets: FakeSheets) -> None:
    rows = [[f"P{i}", f"Company {i}"] for i in range(200)]
    fake_sheets.seed(KEY, {"Prospects": [HEADER, *rows]})
    plan = quiet_plan()
    plan.ids = [f"P{i}" for i in range(200)]
    plan.cells = {(r, 9): "DUE" for r in range(1, 201)}
    sync = GoogleSheetSource(f"gsheet:{KEY}", retry=FAST, max_request_bytes=4_000)
    sync.read()
    calls = []

    def fail_the_second_write(request: Any) -> None:
        if request.path.endswith(":batchUpdate"):
            calls.append(request)
            if len(calls) == 2:
                fake_sheets.fail_next(1, 400, match=":batchUpdate")

    fake_sheets.on_request(fail_the_second_write)
    with pytest.raises(SourceError, match=r"batches 1-1 of \d+ were written .*run the sync again"):
        sync.write(plan)
