"""Properties of a whole sync, over hypothesis-generated prospect sheets (PRODUCT.md).

The sheets are plausible ones: a header row in any order and spelling (aliases, case,
punctuation), unknown columns, ragged rows, blank rows, dates as date cells, date-times, ISO
text or serial numbers, and sometimes an earlier sync (with the reps' touches in between) so
that the tool's memory is in play. The properties:

- the same sheet, config and today give the same output;
- a second sync on the same day changes nothing;
- no Next Contact is earlier than the last contact plus the minimum gap of the rule that set it;
- exactly one flag per non-blank row, none for a blank row; flags agree with Next Contact;
- no cell outside the owned cells changes;
- Why never starts with a formula character; CHECK rows have no Next Contact or Next Action.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sheetsync.config import Config, parse_config
from sheetsync.plan import SyncResult
from sheetsync.sources.base import EPOCH_1900, SheetData
from sheetsync.sources.inmemory import InMemorySource
from sheetsync.sync import plan_sync, sync_source

FLAGS = ("OVERDUE", "DUE", "SCHEDULED", "CARD", "QUEUED", "CUT", "DNC", "CLOSED", "CHECK")
OWNED_HEADERS = ("Next Contact", "Next Action", "Flag", "Why", "Attempts")
FORMULA_START = ("=", "+", "-", "@")
PROPERTY_SETTINGS = settings(
    deadline=None,
    # SHEETSYNC_EXAMPLES=2000 for a deeper search than the suite's quick default
    max_examples=int(os.environ.get("SHEETSYNC_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# field -> header spellings a team might use (PRODUCT.md, "The sheet": aliases, any case or
# punctuation)
SPELLINGS: dict[str, tuple[str, ...]] = {
    "id": ("ID", "Lead ID", "id"),
    "company": ("Company", "Account", "company "),
    "contact": ("Contact", "Name"),
    "owner": ("Owner", "Rep", "sales-rep"),
    "stage": ("Stage", "Status"),
    "phase": ("Phase",),
    "priority": ("Priority",),
    "last_contact": ("Last Contact", "last-contact", "LAST TOUCH"),
    "last_outcome": ("Last Outcome", "Outcome"),
    "attempts": ("Attempts",),
    "note_sent": ("Note Sent", "Card Sent"),
    "call_back": ("Call Back", "callback"),
    "preferred_channel": ("Preferred Channel",),
    "contact_every": ("Contact Every",),
    "do_not_contact": ("Do Not Contact", "DNC"),
    "next_contact": ("Next Contact",),
    "next_action": ("Next Action",),
    "flag": ("Flag",),
    "why": ("Why",),
}
REQUIRED = ("last_contact", "company")
OPTIONAL = tuple(f for f in SPELLINGS if f not in REQUIRED)

CONFIGS = {
    "default": Config(),
    "capacity": parse_config(
        {"capacity": {"touches_per_day": 1}, "owners": {"Luis": {"touches_per_day": 2}}}
    ),
    "dmy, no recycling": parse_config({"date_order": "DMY", "rules": {"recycle_after_days": 0}}),
    "other numbers": parse_config(
        {
            "rules": {
                "followup_days": [7, 9],
                "customer_days": [60, 70],
                "lost_months": 3,
                "note_call_workdays": 3,
                "cards_per_day": 2,
                "cut_bait": {"new": 2, "working": 4, "stale": 1},
                "phase_days": {"research": [12, 15]},
            }
        }
    ),
    "four-day week": parse_config({"rules": {"workdays": ["Mon", "Tue", "Wed", "Thu"]}}),
}


# --- small independent helpers (the oracle does not reuse the library's parsers) ---


def norm(value: Any) -> str:
    return re.sub(r"[\W_]+", "", str(value)).casefold()


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_date(value: Any) -> dt.date | None:
    """The date a generated cell stands for (only the forms this file generates)."""
    if blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        return EPOCH_1900 + dt.timedelta(days=int(value))
    return dt.date.fromisoformat(str(value)[:10])


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def workdays_after(day: dt.date, n: int, config: Config) -> dt.date:
    mask = [d in config.rules.workdays for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]
    return np.busday_offset(day, n, roll="backward", weekmask=mask).astype(dt.date)


def is_workday(day: dt.date, config: Config) -> bool:
    return day.strftime("%a") in config.rules.workdays


# --- sheets ---


@dataclass
class Scenario:
    data: SheetData
    config: Config
    today: dt.date
    #: 0-based column of each field in the header row (fields the sheet has)
    columns: dict[str, int]
    #: an earlier sync to run first (its day), with the reps' touches applied after it
    earlier: dt.date | None
    touches: list[tuple[int, dt.date, str]]


def date_cells(today: dt.date, low: int, high: int) -> st.SearchStrategy[Any]:
    """A date ``low``..``high`` days from today, as a date cell, a date-time cell, ISO text
    (sometimes with a time) or a serial number."""

    def render(args: tuple[int, int, int]) -> Any:
        offset, form, minutes = args
        day = today + dt.timedelta(days=offset)
        if form == 0:
            return day
        if form == 1:
            return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
        if form == 2:
            return day.isoformat() + (" 14:30" if minutes % 2 else "")
        return float((day - EPOCH_1900).days) + minutes / 1440

    return st.tuples(st.integers(low, high), st.integers(0, 3), st.integers(0, 1439)).map(render)


def maybe(strategy: st.SearchStrategy[Any], blank_weight: int = 1) -> st.SearchStrategy[Any]:
    return st.one_of(*([st.none()] * blank_weight), strategy)


def row_cells(today: dt.date) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            # Few enough IDs that duplicates (both CHECK) happen now and then.
            "id": st.one_of(
                st.none(), st.just(""), st.integers(1, 40).map(lambda n: f"P-{n}"), st.just(17)
            ),
            "company": maybe(
                st.sampled_from(
                    ["Northwind", "Acme", '=HYPERLINK("http://x","y")', "+44 20 7946", "@home"]
                )
            ),
            "contact": maybe(st.sampled_from(["Maya Okafor", "Ben", "-"]), 2),
            "owner": maybe(st.sampled_from(["Dana", " dana ", "DANA", "Luis", "Priya"])),
            "stage": maybe(
                st.sampled_from(
                    [
                        "New",
                        "Working",
                        "working ",
                        "Lost",
                        "Stale",
                        "Customer",
                        "Closed",
                        "New",
                        "Hot",
                    ]
                )
            ),
            "phase": maybe(st.sampled_from(["Need", "Research", "Negotiation", "Repeat"]), 3),
            "priority": maybe(st.sampled_from(["A", "a", "B", "C"]), 2),
            "last_contact": st.one_of(
                st.none(),
                date_cells(today, -800, 0),
                date_cells(today, -40, 0),
                date_cells(today, -4, 0),
                date_cells(today, -4, 0),
                date_cells(today, 1, 5),  # after today: CHECK
            ),
            "last_outcome": maybe(
                st.sampled_from(
                    [
                        "No answer",
                        "Voicemail",
                        "Email sent",
                        "Connected",
                        "Meeting",
                        "Not now",
                        "Chose competitor",
                        "Won",
                        "Do not contact",
                        "no ANSWER",
                    ]
                )
            ),
            "attempts": st.one_of(st.none(), st.integers(0, 10), st.just("3"), st.just(2.0)),
            "note_sent": maybe(date_cells(today, -400, 0), 3),
            "call_back": maybe(date_cells(today, -60, 60), 4),
            "preferred_channel": maybe(st.sampled_from(["Call", "Email", "email"]), 2),
            "contact_every": maybe(st.sampled_from([1, 7, 30, 365, "14", 0]), 4),
            "do_not_contact": maybe(st.sampled_from(["no", "", "yes", "x", False, True]), 4),
            "next_contact": maybe(date_cells(today, -30, 30), 2),
            "next_action": maybe(st.just("Call"), 2),
            "flag": maybe(st.sampled_from(["DUE", "OVERDUE"]), 2),
            "why": maybe(st.just("old reason"), 2),
            "notes": maybe(st.sampled_from(["called twice", "=1+1", 42, True]), 2),
        }
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    today = draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
    # Half the time an earlier sync ran: the sheet was typed before it (its dates relative to
    # that day), and the reps logged a few touches between it and today.
    earlier = None
    if draw(st.booleans()):
        earlier = today - dt.timedelta(days=draw(st.integers(1, 200)))
    typed_on = earlier or today
    config_name = draw(st.sampled_from(sorted(CONFIGS)))
    config = CONFIGS[config_name]
    fields = [*REQUIRED, *draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=12))]
    # Unknown columns: a notes column, a blank header, a duplicate unknown header.
    extras = draw(st.lists(st.sampled_from(["Notes", "", "Notes", None]), max_size=3))
    layout = draw(st.permutations(fields + [f"extra:{i}" for i in range(len(extras))]))
    headers: list[Any] = []
    columns: dict[str, int] = {}
    for col, name in enumerate(layout):
        if name.startswith("extra:"):
            headers.append(extras[int(name[6:])])
        else:
            columns[name] = col
            headers.append(draw(st.sampled_from(SPELLINGS[name])))

    rows = []
    for cells in draw(st.lists(row_cells(typed_on), max_size=14)):
        row = [
            cells.get(name) if not name.startswith("extra:") else cells["notes"] for name in layout
        ]
        if draw(st.integers(0, 5)) == 0:
            row = row[: draw(st.integers(0, len(row)))]  # ragged
        elif draw(st.integers(0, 9)) == 0:
            row = [*row, "stray value beyond the header"]
        rows.append(row)
    if draw(st.booleans()):
        rows.extend([[None] * len(headers), [""] * len(headers), []])  # trailing blank rows

    touches: list[tuple[int, dt.date, str]] = []
    if earlier is not None and rows:
        for _ in range(draw(st.integers(0, 5))):
            touches.append(
                (
                    draw(st.integers(0, len(rows) - 1)),
                    earlier + dt.timedelta(days=draw(st.integers(1, (today - earlier).days))),
                    draw(
                        st.sampled_from(["No answer", "Voicemail", "Connected", "Not now", "Won"])
                    ),
                )
            )
    data = SheetData(title="Prospects", headers=headers, rows=rows)
    return Scenario(data, config, today, columns, earlier, touches)


def prepared(scenario: Scenario) -> InMemorySource:
    """A source holding the scenario's sheet, after its earlier sync and the reps' touches."""
    source = InMemorySource(copy.deepcopy(scenario.data))
    if scenario.earlier is None:
        return source
    sync_source(source, scenario.config, scenario.earlier)
    lc, outcome = scenario.columns["last_contact"], scenario.columns.get("last_outcome")
    for row_index, day, result in scenario.touches:
        row = source.data.rows[row_index]
        width = max(lc, outcome or 0) + 1
        row.extend([None] * (width - len(row)))
        row[lc] = day
        if outcome is not None:
            row[outcome] = result
    return source


def cell(rows: list[list[Any]], row: int, col: int | None) -> Any:
    if col is None or col >= len(rows[row]):
        return None
    return rows[row][col]


def is_blank_row(rows: list[list[Any]], row: int, columns: dict[str, int]) -> bool:
    who = ("id", "company", "contact", "email", "phone")
    return all(blank(cell(rows, row, columns.get(f))) for f in who)


def column_of(headers: list[Any], names: tuple[str, ...]) -> int | None:
    for col, header in enumerate(headers):
        if header is not None and norm(header) in {norm(n) for n in names}:
            return col
    return None


# --- the properties ---


@PROPERTY_SETTINGS
@given(scenarios())
def test_same_sheet_config_and_today_give_the_same_output(scenario: Scenario) -> None:
    data = prepared(scenario).read()
    first = plan_sync(copy.deepcopy(data), scenario.config, scenario.today)
    second = plan_sync(copy.deepcopy(data), scenario.config, scenario.today)
    pd.testing.assert_frame_equal(first.table, second.table)
    assert first.plan == second.plan
    assert first.summary == second.summary


@PROPERTY_SETTINGS
@given(scenarios())
def test_a_second_sync_on_the_same_day_changes_nothing(scenario: Scenario) -> None:
    source = prepared(scenario)
    first = sync_source(source, scenario.config, scenario.today)
    again = plan_sync(source.read(), scenario.config, scenario.today)
    assert again.plan.cells == {}, (
        f"the second sync rewrote cells {again.plan.cells} of rows {source.data.rows} "
        f"(first plan {first.result.plan.cells})"
    )
    assert again.plan.memory is None, "the second sync rewrote the memory sheet"
    assert not again.plan.changed
    pd.testing.assert_frame_equal(first.result.table, again.table)


def minimum_next_contact(
    action: str | None, flag: str, row: list[Any], columns: dict[str, int], config: Config
) -> tuple[dt.date | None, str]:
    """The earliest Next Contact the rule that chose ``action`` allows, and that rule's name.

    CARD and QUEUED rows (the card's day comes from the queue, not from the last contact) and
    the follow-up email step (same day as the call) only need to be on or after the last contact.
    """
    rules = config.rules

    def get(name: str) -> Any:
        return cell([row], 0, columns.get(name))

    lc = as_date(get("last_contact"))
    if flag in ("CARD", "QUEUED"):
        return None, "card queue: exempt"
    if action == "Call back (requested)":
        return as_date(get("call_back")), "call back on the asked day"
    if lc is None:
        return None, "never contacted: due today"
    if action == "Check-in call":
        customer = (
            norm(get("stage") or "") == "customer" or norm(get("last_outcome") or "") == "won"
        )
        if customer:
            return lc + dt.timedelta(days=rules.customer_days.low), "customer"
        return add_months(lc, rules.lost_months), "lost: months after the last contact"
    if action == "Re-try call":
        return add_months(lc, rules.retry_months.low), "priority A re-try"
    if action == "Call (note follow-up)":
        note = as_date(get("note_sent"))
        assert note is not None, "a note follow-up call without a Note Sent date"
        return workdays_after(note, rules.note_call_workdays, config), "workdays after the note"
    if action in ("Call", "Email"):
        every = get("contact_every")
        if not blank(every):
            return lc + dt.timedelta(days=int(every)), "Contact Every"
        phase = get("phase")
        if not blank(phase):
            low = rules.phase_days[norm(phase)].low
            return lc + dt.timedelta(days=low), "phase window"
        return lc + dt.timedelta(days=rules.followup_days.low), "follow-up 10-14 days"
    if flag == "CUT":
        return lc + dt.timedelta(days=rules.recycle_after_days), "recycles after the cut"
    return lc, "on or after the last contact"


@PROPERTY_SETTINGS
@given(scenarios())
def test_no_next_contact_before_the_last_contact_plus_the_rules_minimum_gap(
    scenario: Scenario,
) -> None:
    source = prepared(scenario)
    data = source.read()
    result = plan_sync(data, scenario.config, scenario.today)
    for index, out in enumerate(result.table.to_dict("records")):
        nc, action, flag = out["Next Contact"], out["Next Action"], out["Flag"]
        if nc is None:
            continue
        row = data.rows[index]
        lc = as_date(cell(data.rows, index, scenario.columns["last_contact"]))
        if lc is not None and flag not in ("CARD", "QUEUED"):
            assert nc >= lc, f"row {index + 2}: Next Contact {nc} before Last Contact {lc}"
        floor, rule = minimum_next_contact(action, flag, row, scenario.columns, scenario.config)
        event(f"minimum gap: {rule}")
        if floor is not None:
            assert nc >= floor, (
                f"row {index + 2} ({flag}, {action}): Next Contact {nc} is before {floor} "
                f"({rule}); Why: {out['Why']}"
            )
        if action == "Call (note follow-up)":
            assert nc == floor, f"row {index + 2}: the note call is exactly {rule}"


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_non_blank_row_gets_exactly_one_flag_and_blank_rows_none(
    scenario: Scenario,
) -> None:
    data = prepared(scenario).read()
    result = plan_sync(data, scenario.config, scenario.today)
    assert len(result.table) == len(data.rows)
    assert list(result.table.columns) == list(OWNED_HEADERS)
    today = scenario.today
    for index, out in enumerate(result.table.to_dict("records")):
        if is_blank_row(data.rows, index, scenario.columns):
            assert all(v is None for v in out.values()), f"blank row {index + 2} got {out}"
            continue
        flag, nc = out["Flag"], out["Next Contact"]
        event(f"flag {flag}, action {out['Next Action']}")
        assert flag in FLAGS, f"row {index + 2}: flag {flag!r}"
        # The flag agrees with Next Contact (PRODUCT.md, "Flags and what each row gets").
        if flag in ("OVERDUE", "DUE", "SCHEDULED", "CARD", "QUEUED"):
            assert isinstance(nc, dt.date), f"row {index + 2}: {flag} without a Next Contact"
        if flag == "SCHEDULED":
            assert nc > today
        if flag == "DUE":
            assert nc <= today
        if flag == "OVERDUE":
            assert nc < today
        if flag in ("OVERDUE", "SCHEDULED"):
            assert is_workday(nc, scenario.config), f"row {index + 2}: {nc} is not a workday"
        if flag in ("CARD", "QUEUED"):
            assert out["Next Action"] == "Hand-written note"
        if flag in ("DNC", "CLOSED", "CHECK"):
            assert nc is None and out["Next Action"] is None
        if flag == "CUT":
            assert out["Next Action"] is None
    assert result.summary.prospects == int(result.table["Flag"].notna().sum())


@PROPERTY_SETTINGS
@given(scenarios())
def test_why_never_starts_like_a_formula_and_check_rows_explain_themselves(
    scenario: Scenario,
) -> None:
    data = prepared(scenario).read()
    result = plan_sync(data, scenario.config, scenario.today)
    for index, out in enumerate(result.table.to_dict("records")):
        why = out["Why"]
        if why is not None:
            assert isinstance(why, str) and why.strip()
            assert not why.startswith(FORMULA_START), f"row {index + 2}: Why {why!r}"
        if out["Flag"] == "CHECK":
            assert out["Next Contact"] is None
            assert out["Next Action"] is None
            assert why


def owned(row: int, col: int, headers: list[Any], rows: list[list[Any]], width: int) -> bool:
    """PRODUCT.md's owned cells, in 0-based sheet coordinates (row 0 = header row)."""
    if col >= width:
        return True  # a column the tool creates (header and cells)
    if row == 0:
        return False
    header = headers[col] if col < len(headers) else None
    if header is not None and norm(header) in {norm(h) for h in OWNED_HEADERS}:
        return True
    id_col = column_of(headers, SPELLINGS["id"] + ("Id", "Key", "Prospect ID"))
    return col == id_col and blank(cell(rows, row - 1, col))


@PROPERTY_SETTINGS
@given(scenarios())
def test_nothing_outside_the_owned_cells_changes(scenario: Scenario) -> None:
    source = prepared(scenario)
    before = source.read()
    headers, rows = before.headers, before.rows
    width = max([len(headers), *(len(r) for r in rows)])
    result: SyncResult = sync_source(source, scenario.config, scenario.today).result

    for row, col in result.plan.cells:
        assert owned(row, col, headers, rows, width), (
            f"the plan writes {result.plan.cells[(row, col)]!r} to a cell the tool does not own: "
            f"row {row + 1}, column {col + 1} ({headers[col] if col < len(headers) else None!r})"
        )
    after = [source.data.headers, *source.data.rows]
    grid = [headers, *rows]
    for r, line in enumerate(grid):
        for c, value in enumerate(line):
            if owned(r, c, headers, rows, width):
                continue
            now = after[r][c] if c < len(after[r]) else None
            assert (type(now), now) == (type(value), value), (
                f"row {r + 1}, column {c + 1}: {value!r} became {now!r}"
            )
    assert len(after) >= len(grid)


@PROPERTY_SETTINGS
@given(scenarios())
def test_owned_cells_never_receive_formula_text(scenario: Scenario) -> None:
    data = prepared(scenario).read()
    result = plan_sync(data, scenario.config, scenario.today)
    for (row, col), value in result.plan.cells.items():
        if isinstance(value, str) and row > 0:
            assert not value.startswith(FORMULA_START), f"({row}, {col}) <- {value!r}"
