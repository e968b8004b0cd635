"""Unattended and untrusted: whatever the reps type, the sync decides every row and never crashes.

A cron job syncs a sheet that anyone on the team can type into. Any cell may hold anything a
spreadsheet can hold: blanks, numbers (NaN, infinities, huge ones), booleans, dates and
date-times from year 1 to 9999, formula text, 10,000-character strings, Arabic and Hebrew,
emoji. The engine must decide every non-blank row (one flag each), explain every CHECK row
(column and quoted value, kept short), and never write formula text into an owned cell. The
header row is the one thing that may stop a sync: exit 2, every problem in one message.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.config import Config, parse_config
from sheetsync.errors import LayoutError
from sheetsync.sources.base import EPOCH_1900, EPOCH_1904, SheetData
from sheetsync.sources.inmemory import InMemorySource
from sheetsync.sync import plan_sync

TODAY = dt.date(2026, 11, 23)  # a Monday
NOV_2 = dt.date(2026, 11, 2)
FLAGS = ("OVERDUE", "DUE", "SCHEDULED", "CARD", "QUEUED", "CUT", "DNC", "CLOSED", "CHECK")
FORMULA_START = ("=", "+", "-", "@")
OUTPUT = ("Next Contact", "Next Action", "Flag", "Why", "Attempts")
BAD_INPUT_SETTINGS = settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every input column, canonical header -> the values PRODUCT.md allows (None = free text,
# "date" / "count" = a date or a whole number).
INPUT_COLUMNS: dict[str, Any] = {
    "ID": None,
    "Company": None,
    "Contact": None,
    "Email": None,
    "Phone": None,
    "Owner": None,
    "Stage": ("New", "Working", "Lost", "Stale", "Customer", "Closed"),
    "Phase": (
        "Need",
        "Solutions",
        "Suppliers",
        "Research",
        "Preference",
        "Negotiation",
        "Repeat",
    ),
    "Priority": ("A", "B", "C"),
    "Last Contact": "date",
    "Last Outcome": (
        "No answer",
        "Voicemail",
        "Email sent",
        "Connected",
        "Meeting",
        "Not now",
        "Chose competitor",
        "Won",
        "Do not contact",
    ),
    "Attempts": "count",
    "Note Sent": "date",
    "Call Back": "date",
    "Preferred Channel": ("Call", "Email"),
    "Contact Every": "count",
    "Do Not Contact": "flag",
}
WHO = ("ID", "Company", "Contact", "Email", "Phone")
DNC_WORDS = ("yes", "y", "true", "x", "1", "no", "n", "false", "0")
MAX_SERIAL = 2958465  # 9999-12-31, Excel's last day

FORMULAS = ("=SUM(A1)", "+1", "-2", "@x", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0")
ODD_TEXT = (
    "x" * 10_000,
    "مرحبا بالعالم",  # Arabic (right-to-left)
    "שלום עולם",  # Hebrew (right-to-left)
    "😀🔥🎉",
    "\u202eevil",  # right-to-left override
    "Ünïcødé Çø",
    "line one\nline two\tand a tab",
    "asap??",
    "13/04/2026",  # impossible under MDY
    "1e400",
    "inf",
    "nan",
    "-0",
    "   ",
    "",
)
PLAUSIBLE_TEXT = (
    "2026-11-02",
    "11/02/2026",
    "Nov 2, 2026",
    "3",
    "yes",
    "no",
    "Working",
    "working ",
    "No answer",
    "connected",
    "A",
    "Email",
    "Dana",
    "Acme",
)
SPECIAL_NUMBERS = (
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    10**30,
    -(10**30),
    0,
    -0.0,
    1,
    2.5,
    46328.0,
    46328.75,
    float(MAX_SERIAL),
    MAX_SERIAL + 1,
)


def any_cell() -> st.SearchStrategy[Any]:
    """Anything a spreadsheet cell can hand over."""
    return st.one_of(
        st.none(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(SPECIAL_NUMBERS),
        st.booleans(),
        st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
        st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)),
        st.dates(TODAY - dt.timedelta(days=900), TODAY),
        st.sampled_from(FORMULAS),
        st.sampled_from(ODD_TEXT),
        st.sampled_from(PLAUSIBLE_TEXT),
        st.text(max_size=20),
    )


def good_cell(header: str) -> st.SearchStrategy[Any]:
    """A value the column allows (so that some rows get past CHECK and reach the rules)."""
    kind = INPUT_COLUMNS[header]
    if kind is None:
        return st.sampled_from(["Acme", "P-1", "P-2", "Dana", "Luis", "maya@example.com"])
    if kind == "date":
        return st.dates(TODAY - dt.timedelta(days=900), TODAY)
    if kind == "count":
        return st.integers(1, 12)
    if kind == "flag":
        return st.sampled_from(["no", "", None, "yes"])
    return st.sampled_from(kind)


@st.composite
def junk_sheets(draw: st.DrawFn) -> tuple[SheetData, Config, dt.date]:
    headers = list(INPUT_COLUMNS)
    if draw(st.booleans()):
        headers += ["Next Contact", "Next Action", "Flag", "Why"]  # owned, holding junk too
    headers = draw(st.permutations(headers))
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        row = [
            draw(st.one_of(any_cell(), good_cell(h))) if h in INPUT_COLUMNS else draw(any_cell())
            for h in headers
        ]
        if draw(st.integers(0, 4)) == 0:
            row = row[: draw(st.integers(0, len(row)))]
        rows.append(row)
    config = draw(st.sampled_from([Config(), parse_config({"date_order": "DMY"})]))
    epoch = draw(st.sampled_from([EPOCH_1900, EPOCH_1904]))
    today = draw(st.one_of(st.just(TODAY), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))))
    return SheetData("Prospects", headers, rows, epoch=epoch), config, today


# --- an independent oracle: cells that are certainly not allowed ---


def norm(value: Any) -> str:
    return re.sub(r"[\W_]+", "", str(value)).casefold()


def blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def certainly_bad(header: str, value: Any) -> bool:
    """True when PRODUCT.md makes this cell a CHECK problem; False when allowed or unsure."""
    kind = INPUT_COLUMNS[header]
    if kind is None or blank(value):
        return False
    if kind == "flag":
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float) and value in (0, 1):
            return False
        return norm(value) not in DNC_WORDS
    if isinstance(value, bool):
        return True  # TRUE in a date, a count or a choice column
    if kind == "date":
        if isinstance(value, dt.date):
            return False
        if isinstance(value, int | float):
            return not 0 < value <= MAX_SERIAL
        return not any(ch.isdigit() for ch in str(value))
    if kind == "count":
        if isinstance(value, dt.date):
            return True
        if isinstance(value, int | float):
            if not math.isfinite(value) or value != int(value):
                return True
            return not 1 <= value <= 365 if header == "Contact Every" else value < 0
        if isinstance(value, str):
            return not any(ch.isdigit() for ch in value)  # "abc", "inf", "nan"
        return False
    return norm(value) not in {norm(v) for v in kind}


def quoted_start(value: Any) -> str:
    """The start of the value as a CHECK reason must quote it."""
    return '"' + " ".join(str(value).split())[:20]


def cell(row: list[Any], col: int | None) -> Any:
    return row[col] if col is not None and col < len(row) else None


# --- the engine under junk ---


@BAD_INPUT_SETTINGS
@given(junk_sheets())
def test_any_cell_values_give_a_decision_for_every_row(
    sheet: tuple[SheetData, Config, dt.date],
) -> None:
    data, config, today = sheet
    original = copy.deepcopy(data)
    result = plan_sync(data, config, today)  # never raises on cell values

    col = {h: i for i, h in enumerate(data.headers)}
    assert len(result.table) == len(data.rows)
    for index, out in enumerate(result.table.to_dict("records")):
        row = original.rows[index]
        where = f"row {index + 2} {row!r:.300}"
        if all(blank(cell(row, col[h])) for h in WHO):
            assert all(out[name] is None for name in OUTPUT), f"{where}: blank row got {out}"
            continue
        flag, why = out["Flag"], out["Why"]
        assert flag in FLAGS, f"{where}: flag {flag!r}"
        assert isinstance(why, str) and why.strip(), f"{where}: no Why"
        assert not why.startswith(FORMULA_START), f"{where}: Why {why!r:.100}"
        assert "\n" not in why, f"{where}: Why spans lines"
        assert not re.search(r"-\d+ attempt", why), f"{where}: {why!r}"
        attempts = out["Attempts"]
        assert attempts is None or (isinstance(attempts, int) and attempts >= 0), attempts

        dnc_cell = cell(row, col["Do Not Contact"])
        dnc = norm(cell(row, col["Last Outcome"])) == "donotcontact" or (
            not certainly_bad("Do Not Contact", dnc_cell)
            and (dnc_cell is True or norm(dnc_cell) in ("yes", "y", "true", "x", "1", "10"))
        )
        closed = norm(cell(row, col["Stage"])) == "closed"
        bad = [h for h in INPUT_COLUMNS if certainly_bad(h, cell(row, col[h]))]
        if bad and not dnc and not closed:
            assert flag == "CHECK", f"{where}: {bad} are not allowed, yet {flag}: {why}"
        if flag == "CHECK":
            assert out["Next Contact"] is None and out["Next Action"] is None
            for header in bad:
                value = cell(row, col[header])
                expected = f"{header} {quoted_start(value)}"
                assert expected in why, f"{where}: Why does not quote {header}: {why!r}"
            # Quoted values are shortened: a sentence per problem, whatever the cell holds.
            problems = sum(not blank(cell(row, col[h])) for h in INPUT_COLUMNS) + 3
            assert len(why) <= 200 * problems, f"{where}: Why is {len(why)} characters"
            assert "x" * 100 not in why


@BAD_INPUT_SETTINGS
@given(junk_sheets())
def test_owned_cells_never_receive_formula_text_from_any_input(
    sheet: tuple[SheetData, Config, dt.date],
) -> None:
    data, config, today = sheet
    result = plan_sync(data, config, today)
    for (row, col), value in result.plan.cells.items():
        assert not (isinstance(value, str) and value.startswith(FORMULA_START)), (
            f"row {row + 1}, column {col + 1} would be written {value!r:.100}"
        )


@BAD_INPUT_SETTINGS
@given(junk_sheets())
def test_a_junk_sheet_synced_twice_the_same_day_changes_nothing_the_second_time(
    sheet: tuple[SheetData, Config, dt.date],
) -> None:
    data, config, today = sheet
    source = InMemorySource(data)
    source.write(plan_sync(source.read(), config, today).plan)
    again = plan_sync(source.read(), config, today)
    assert again.plan.cells == {}
    assert again.plan.memory is None


# --- sheet shapes: the header row ---

GOOD_HEADERS = ["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome", "Attempts"]


def sync(headers: list[Any], rows: list[list[Any]], config: Config | None = None, **kw: Any):
    return plan_sync(SheetData("Prospects", headers, rows, **kw), config or Config(), TODAY)


def layout_error(headers: list[Any], rows: list[list[Any]] | None = None) -> str:
    with pytest.raises(LayoutError) as caught:
        sync(headers, rows or [])
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_an_empty_sheet_is_exit_2_naming_the_required_columns() -> None:
    message = layout_error([])
    assert "Last Contact" in message
    assert all(name in message for name in WHO)


def test_a_sheet_without_a_header_row_is_exit_2() -> None:
    # The first row is a prospect: nothing in it names a column.
    message = layout_error(
        ["P-1", "Acme", "Dana", "Working", "2026-11-02", "No answer", 2],
        [["P-2", "Initech", "Luis", "New", "2026-11-03", "Voicemail", 1]],
    )
    assert "Last Contact" in message
    assert "Company" in message


def test_a_blank_first_row_is_exit_2() -> None:
    message = layout_error([None, "", "  "], [["P-1", "Acme", NOV_2]])
    assert "Last Contact" in message


def test_only_headers_reads_zero_rows_and_creates_the_tool_columns() -> None:
    result = sync(GOOD_HEADERS, [])
    assert result.summary.rows_read == 0
    assert result.summary.prospects == 0
    assert list(result.table.columns) == list(OUTPUT)
    assert len(result.table) == 0
    assert set(result.plan.cells.values()) == {"Next Contact", "Next Action", "Flag", "Why"}
    assert all(row == 0 for row, _ in result.plan.cells)


def test_blank_and_duplicate_unknown_headers_are_fine() -> None:
    headers = ["Notes", "ID", None, "Company", "", "Notes", "Last Contact", "  "]
    rows = [["a", "P-1", "b", "Acme", "c", "d", NOV_2, "e"]]
    result = sync(headers, rows)
    assert result.table["Flag"].tolist() == ["OVERDUE"]
    assert all(col >= len(headers) for _, col in result.plan.cells)  # created at the right end


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Last Contact", "last-contact"),
        ("Rep", "Owner"),
        ("Company", "Account"),
        ("Last Touch", "LAST CONTACTED"),
        ("Flag", "flag"),
    ],
)
def test_two_headers_for_one_field_is_exit_2_naming_both(first: str, second: str) -> None:
    headers = ["ID", "Company", "Last Contact", "Notes"]
    headers = [*dict.fromkeys([*headers, first])]  # keep the first one once
    headers.append(second)
    message = layout_error(headers, [["P-1", "Acme", NOV_2]])
    assert f'"{first}"' in message and f'"{second}"' in message, message


def test_every_header_problem_in_one_message() -> None:
    message = layout_error(["Owner", "Stage", "Notes"], [["Dana", "New", "x"]])
    assert "Last Contact" in message
    assert all(name in message for name in WHO), message
    assert message.count("\n") == 0

    # duplicates and a missing column together
    message = layout_error(["Rep", "Owner", "Company"], [["Dana", "Dana", "Acme"]])
    assert '"Rep"' in message and '"Owner"' in message and "Last Contact" in message


def test_mapped_header_is_matched_and_its_alias_is_free_again() -> None:
    config = parse_config({"columns": {"last_contact": "Last touched"}})
    result = sync(["Company", "Last touched"], [["Acme", NOV_2]], config)
    assert result.table["Why"].tolist() == [
        "New, 0 attempts: follow up 10-14 days after 2026-11-02"
    ]


# --- cells typed in the many ways people type them ---

WORKING = ["ID", "Company", "Stage", "Last Contact", "Last Outcome", "Attempts", "Contact Every"]


def one_row(last_contact: Any, attempts: Any = 0, every: Any = None, **kw: Any) -> dict:
    config = kw.pop("config", None)
    row = ["P-1", "Acme", "Working", last_contact, "Connected", attempts, every]
    return sync(WORKING, [row], config, **kw).table.to_dict("records")[0]


@pytest.mark.parametrize(
    ("value", "order", "epoch"),
    [
        (NOV_2, "MDY", EPOCH_1900),
        (dt.datetime(2026, 11, 2, 14, 30), "MDY", EPOCH_1900),
        (dt.datetime(2026, 11, 2, 23, 59, 59), "DMY", EPOCH_1900),
        ("2026-11-02", "MDY", EPOCH_1900),
        ("2026-11-02 14:30", "MDY", EPOCH_1900),
        ("11/02/2026", "MDY", EPOCH_1900),
        ("11/2/26", "MDY", EPOCH_1900),
        ("11-02-2026", "MDY", EPOCH_1900),
        ("2.11.2026", "DMY", EPOCH_1900),
        ("02/11/2026", "DMY", EPOCH_1900),
        ("Nov 2, 2026", "MDY", EPOCH_1900),
        ("2 November 2026", "MDY", EPOCH_1900),
        ("2 November 2026", "DMY", EPOCH_1900),
        (46328.0, "MDY", EPOCH_1900),
        (46328, "MDY", EPOCH_1900),
        (46328.75, "MDY", EPOCH_1900),
        (44866.0, "MDY", EPOCH_1904),
    ],
)
def test_last_contact_in_any_accepted_form(value: Any, order: str, epoch: dt.date) -> None:
    out = one_row(value, config=parse_config({"date_order": order}), epoch=epoch)
    assert out["Flag"] == "OVERDUE"
    assert out["Next Contact"] == dt.date(2026, 11, 12)
    assert out["Why"] == "Working, 0 attempts: follow up 10-14 days after 2026-11-02"


def test_a_date_impossible_in_the_configured_order_is_check_not_read_the_other_way() -> None:
    out = one_row("13/04/2026")
    assert out["Flag"] == "CHECK"
    assert 'Last Contact "13/04/2026"' in out["Why"]
    dmy = one_row("13/04/2026", config=parse_config({"date_order": "DMY"}))
    assert dmy["Why"] == "Working, 0 attempts: follow up 10-14 days after 2026-04-13"


@pytest.mark.parametrize(("attempts", "every"), [("3", "14"), (" 3 ", 14.0), (3.0, "14")])
def test_numbers_stored_as_text(attempts: Any, every: Any) -> None:
    out = one_row(NOV_2, attempts=attempts, every=every)
    assert out["Attempts"] == 3
    assert out["Next Contact"] == dt.date(2026, 11, 16)
    assert out["Why"] == (
        "Working, 3 attempts: contact every 14 days as asked, 14-18 days after 2026-11-02"
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Attempts", math.inf),
        ("Attempts", -math.inf),
        ("Attempts", "inf"),
        ("Attempts", "1e400"),
        ("Attempts", "nan"),
        ("Attempts", 2.5),
        ("Attempts", -1),
        ("Attempts", True),
        ("Attempts", NOV_2),
        ("Contact Every", math.inf),
        ("Contact Every", "1e400"),
        ("Contact Every", 0),
        ("Contact Every", 366),
        ("Contact Every", "every week"),
    ],
)
def test_a_count_that_is_not_a_whole_number_in_range_is_check(column: str, value: Any) -> None:
    out = one_row(NOV_2, **{"attempts" if column == "Attempts" else "every": value})
    assert out["Flag"] == "CHECK"
    assert out["Why"].startswith(f"{column} {quoted_start(value)}"), out["Why"]


def test_a_huge_attempts_count_is_not_shown_as_a_negative_number() -> None:
    out = one_row(NOV_2, attempts=10**30)
    assert out["Flag"] in ("CUT", "CHECK")
    assert "-9223372036854775808" not in out["Why"], out["Why"]
    if out["Flag"] == "CUT":
        assert str(10**30) in out["Why"] or "attempts" not in out["Why"]


@pytest.mark.parametrize(
    ("serial", "epoch"),
    [(2958466.0, EPOCH_1900), (2958465.0, EPOCH_1904), (10.0**15, EPOCH_1904), (-1.0, EPOCH_1904)],
)
def test_a_serial_number_past_9999_is_not_a_date(serial: float, epoch: dt.date) -> None:
    # 2958465 is 9999-12-31 in the 1900 system but lies past year 9999 in the 1904 one.
    for column in ("Last Contact", "Note Sent", "Call Back"):
        headers = ["ID", "Company", "Last Contact", "Note Sent", "Call Back"]
        row: list[Any] = ["P-1", "Acme", NOV_2, None, None]
        row[headers.index(column)] = serial
        result = plan_sync(SheetData("Prospects", headers, [row], epoch=epoch), Config(), TODAY)
        out = result.table.to_dict("records")[0]
        assert out["Flag"] == "CHECK"
        assert out["Why"].startswith(f"{column} {quoted_start(serial)}"), out["Why"]


@pytest.mark.parametrize(
    "day",
    [dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.datetime(1, 1, 1, 0, 0), "0001-01-01"],
)
def test_a_last_contact_in_year_1_is_a_very_old_contact(day: Any) -> None:
    out = one_row(day)
    assert out["Flag"] == "OVERDUE"
    assert out["Next Contact"] is not None and out["Next Contact"] < TODAY


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Last Contact", dt.date(9999, 12, 31)),
        ("Last Contact", dt.datetime(9999, 12, 31, 23, 59)),
        ("Last Contact", float(MAX_SERIAL)),
        ("Note Sent", dt.date(9999, 12, 31)),
    ],
)
def test_a_date_in_year_9999_is_after_today_so_check(column: str, value: Any) -> None:
    headers = ["ID", "Company", "Stage", "Last Contact", "Note Sent"]
    row = ["P-1", "Acme", "Stale", NOV_2, None]
    row[headers.index(column)] = value
    out = sync(headers, [row]).table.to_dict("records")[0]
    assert out["Flag"] == "CHECK"
    assert out["Why"].startswith(f"{column} "), out["Why"]
    assert out["Why"].endswith("is after today"), out["Why"]


@pytest.mark.parametrize(
    "call_back", [dt.date(9999, 12, 31), dt.date(9999, 12, 25), float(MAX_SERIAL), "12/31/9999"]
)
def test_a_call_back_at_the_end_of_time_is_scheduled(call_back: Any) -> None:
    headers = ["ID", "Company", "Stage", "Last Contact", "Last Outcome", "Call Back"]
    row = ["P-1", "Acme", "Working", NOV_2, "Connected", call_back]
    out = sync(headers, [row]).table.to_dict("records")[0]
    assert out["Flag"] == "SCHEDULED"
    assert out["Next Action"] == "Call back (requested)"
    assert isinstance(out["Next Contact"], dt.date) and out["Next Contact"].year == 9999


# --- rows: trailing blanks, ragged, thousands of empties ---


def test_trailing_blank_rows_are_skipped_and_left_alone() -> None:
    rows = [
        ["P-1", "Acme", "Dana", "Working", NOV_2, "Connected", 0],
        [None] * 7,
        [""] * 7,
        ["", " ", None, "", "", "", ""],
        [],
    ]
    result = sync(GOOD_HEADERS, rows)
    assert result.summary.prospects == 1
    assert result.table["Flag"].tolist() == ["OVERDUE", None, None, None, None]
    assert {row for row, _ in result.plan.cells} == {0, 1}


def test_a_blank_row_holding_old_tool_values_is_cleared() -> None:
    headers = [*GOOD_HEADERS, "Next Contact", "Next Action", "Flag", "Why"]
    rows = [[None, "", None, "Working", NOV_2, "Connected", 2, NOV_2, "Call", "DUE", "old"]]
    result = sync(headers, rows)
    assert result.table["Flag"].tolist() == [None]
    cleared = {col: value for (row, col), value in result.plan.cells.items() if row == 1}
    # Next Contact, Next Action, Flag, Why and Attempts emptied; Stage etc. untouched.
    assert cleared == {6: None, 7: None, 8: None, 9: None, 10: None}


def test_rows_shorter_than_the_header_are_read_as_blank_cells() -> None:
    rows = [
        ["P-1", "Acme"],  # no last contact: call today
        ["P-2", "Initech", "Luis", "Working", NOV_2],
        ["P-3"],
    ]
    source = InMemorySource(SheetData("Prospects", list(GOOD_HEADERS), copy.deepcopy(rows)))
    result = plan_sync(source.read(), Config(), TODAY)
    assert result.table["Flag"].tolist() == ["DUE", "OVERDUE", "DUE"]
    assert result.table["Next Action"].tolist() == ["Call", "Call", "Call"]
    source.write(result.plan)
    for before, after in zip(rows, source.data.rows, strict=True):
        assert after[: len(before)] == before
    assert plan_sync(source.read(), Config(), TODAY).plan.cells == {}


def test_thousands_of_empty_rows_below_the_data_are_skipped() -> None:
    rows = [["P-1", "Acme", "Dana", "Working", NOV_2, "Connected", 0]]
    rows += [[] for _ in range(3000)] + [[None] * 7 for _ in range(3000)]
    rows += [["", "", "", "", "", "", ""] for _ in range(3000)]
    result = sync(GOOD_HEADERS, rows)
    assert result.summary.rows_read == len(rows)
    assert result.summary.prospects == 1
    assert {row for row, _ in result.plan.cells} == {0, 1}
    assert result.table["Flag"].count() == 1


# --- formula text ---


def test_formula_text_in_input_cells_is_never_copied_into_an_owned_cell() -> None:
    headers = ["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome", "Priority"]
    rows = [
        [None, '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "Working", NOV_2, None, None],
        ["=1+1", "+44 20 7946 0000", "@dana", "=SUM(A1)", NOV_2, "Connected", None],
        ["=1+1", "-2", "Dana", "Working", "=TODAY()", "Connected", "@x"],
        ["@P-9", "Acme", "Dana", "New", "+1", "-Connected", "=A"],
    ]
    result = sync(headers, rows)
    for (row, col), value in result.plan.cells.items():
        if isinstance(value, str):
            assert not value.startswith(FORMULA_START), f"({row}, {col}) <- {value!r}"
    whys = result.table["Why"].tolist()
    assert all(not w.startswith(FORMULA_START) for w in whys), whys
    assert result.ids[0] != rows[0][0] and not result.ids[0].startswith(FORMULA_START)
    # the quoted values are shown, inside the sentence
    assert 'ID "=1+1" is used by 2 rows' in whys[1]
    assert 'Last Contact "=TODAY()" is not a date' in whys[2]
    assert 'Priority "@x"' in whys[2]


@pytest.mark.parametrize("existing", ["=A1", "=ROW()+1", "+7", "-5", "@P-9", "=P-0041"])
def test_a_new_id_never_looks_like_a_formula(existing: str) -> None:
    # New IDs continue the sheet's own numbering, but never a formula's first character.
    rows = [[existing, "Acme", NOV_2], [None, "Initech", NOV_2], ["", "Globex", NOV_2]]
    result = sync(["ID", "Company", "Last Contact"], rows)
    new_ids = [result.plan.cells[(row, 0)] for row in (2, 3)]
    assert len(set(new_ids)) == 2 and existing not in new_ids
    for new_id in new_ids:
        assert not new_id.startswith(FORMULA_START), f"{existing!r} -> new ID {new_id!r}"
