"""Levelling: each rep's touches spread inside their windows (hand-worked plans).

The calendar of the 3-rep sheet (US holidays: Fri 25 Dec and Fri 1 Jan are not workdays)::

        December 2026 / January 2027
    Mo Tu We Th Fr Sa Su
    21 22 23 24 25 26 27      today = Mon 21 Dec; Dana is off Wed 23; 25 is Christmas
    28 29 30 31  1  2  3      Luis works Mon-Thu only
     4  5  6  7  8  9 10
    11 12 13 14 15 16 17

Dana: 2 touches a day. Luis: 3 a day, Mon-Thu. Priya: the team's 2 a day.
Every expected day below was worked out by hand from the order of claim (promised, late,
kept, then by latest day, priority A, oldest last contact, sheet order).
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from rulecases import (
    CALL,
    CALL_BACK,
    CARD,
    DUE,
    FOLLOW_UP_EMAIL,
    NOTE_CALL,
    OVERDUE,
    SCHEDULED,
    add_row,
    d,
    plan,
    r,
    sheet,
    source,
    sync,
    written,
)

from sheetsync.config import Config, parse_config
from sheetsync.sync import plan_sync

TODAY = "2026-12-21"
TEAM = parse_config(
    {
        "rules": {"holidays": "US"},
        "capacity": {"touches_per_day": 2},
        "owners": {
            "Dana": {"days_off": ["2026-12-23"], "email": "dana@example.com"},
            "Luis": {"touches_per_day": 3, "workdays": ["Mon", "Tue", "Wed", "Thu"]},
        },
    }
)
EVERY_10 = "contact every 10 days as asked, 10-14 days after"


def row(row_id: str, owner: str | None, *args, **more) -> dict:
    return r(*args, id=row_id, owner=owner, **more)


ROWS = [
    # Dana: 2 a day, off Wed 23
    row("D1", "Dana", None, "2026-12-11", "Connected", contact_every=10),  # window 21 - 28
    row("D2", "Dana", None, "2026-12-11", "Connected", contact_every=10),  # window 21 - 28
    row("D3", "Dana", None, "2026-12-11", "Connected", contact_every=10, priority="A"),
    row("D4", "Dana", None, "2026-12-12", "Connected", contact_every=10),  # window 22 - 28
    row("D5", "Dana", None, "2026-12-14", "Connected", call_back="2026-12-24"),  # 24 - 29
    row("D6", "Dana", None, "2026-11-20", "Connected"),  # window 30 Nov - 4 Dec: late
    row("D7", "Dana", "Stale", "2026-06-01", None, note_sent="2026-12-16"),  # call Wed 23
    row("D8", "Dana", None, "2026-12-18", "No answer"),  # follow-up email 18 - 21
    row("D9", "Dana", None, "2026-12-18", "No answer"),  # follow-up email 18 - 21
    # Luis: 3 a day, Mon-Thu
    *(row(f"L{i}", "Luis", None, "2026-12-11", "Connected", contact_every=10) for i in range(1, 6)),
    row("L6", "Luis", None, "2026-12-18", "Connected", contact_every=21),  # Fri 8 - Tue 12 Jan
    # Priya: the team's 2 a day
    row("P1", "Priya", None, "2026-12-11", "Connected", contact_every=10),
    row("P2", "Priya", None, "2026-12-11", "Connected", contact_every=10),
    row("P3", "Priya", None, "2026-12-11", "Connected", contact_every=10),
    row("P4", "Priya", None, "2026-12-14", "Connected", call_back="2026-12-21"),  # 21 - 23
    row("P5", "Priya", "New", None, None),  # never contacted: call today
    row("P6", "Priya", "Stale", "2026-03-01", None),  # a card: cards keep their own quota
    # nobody's: not levelled
    row("U1", None, None, "2026-12-11", "Connected", contact_every=10),
]


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {data["ID"]: out for data, out in zip(ROWS, rows, strict=True)}


@pytest.fixture(scope="module")
def planned() -> dict[str, dict]:
    return _by_id(plan(sheet(*ROWS), TODAY, TEAM))


# (row, Next Contact, Flag, Next Action, what the Why adds to the rule's sentence)
HAND_PLAN = [
    # Dana. Promised first: D7 (its day, Wed 23, is Dana's day off: Thu 24), D5 (Thu 24);
    # late D6 on Mon 21; then by latest day: D8 Mon 21, D9 has no room left in its window
    # (18 - 21): Mon 21 carries 3, and both say so; D3 (priority A) Tue 22, D1 Tue 22, D2 and
    # D4 Mon 28 (Wed 23 is off, Thu 24 full, Fri 25 a holiday).
    ("D1", "2026-12-22", SCHEDULED, CALL, "; planned Tue 22 Dec to keep Dana at 2 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("D2", "2026-12-28", SCHEDULED, CALL, "; planned Mon 28 Dec to keep Dana at 2 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("D3", "2026-12-22", SCHEDULED, CALL, "; planned Tue 22 Dec to keep Dana at 2 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("D4", "2026-12-28", SCHEDULED, CALL, "; planned Mon 28 Dec to keep Dana at 2 a day; "
     "window Tue 22 - Mon 28 Dec"),
    ("D5", "2026-12-24", SCHEDULED, CALL_BACK, ""),
    ("D6", "2026-11-30", OVERDUE, CALL, ""),  # late: counts on Mon 21, shows its first day
    ("D7", "2026-12-24", SCHEDULED, NOTE_CALL, "; window Wed 23 Dec falls on Dana's days off: "
     "moved to Thu 24 Dec"),
    ("D8", "2026-12-21", DUE, FOLLOW_UP_EMAIL, "; 3 touches planned for Dana on Mon 21 Dec, "
     "over 2 a day: the window Fri 18 - Mon 21 Dec has no day with room"),
    ("D9", "2026-12-21", DUE, FOLLOW_UP_EMAIL, "; 3 touches planned for Dana on Mon 21 Dec, "
     "over 2 a day: the window Fri 18 - Mon 21 Dec has no day with room"),
    # Luis: L1-L3 on Mon 21, L4-L5 on Tue 22; L6's window Fri 8 - Tue 12 Jan starts on a day
    # he does not work: Mon 11 Jan.
    ("L1", "2026-12-21", DUE, CALL, ""),
    ("L2", "2026-12-21", DUE, CALL, ""),
    ("L3", "2026-12-21", DUE, CALL, ""),
    ("L4", "2026-12-22", SCHEDULED, CALL, "; planned Tue 22 Dec to keep Luis at 3 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("L5", "2026-12-22", SCHEDULED, CALL, "; planned Tue 22 Dec to keep Luis at 3 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("L6", "2027-01-11", SCHEDULED, CALL, ""),
    # Priya: the promised call back P4 on Mon 21, the never-contacted P5 is called today and
    # takes the other place of Mon 21; P1, P2 Tue 22; P3 Wed 23.
    ("P1", "2026-12-22", SCHEDULED, CALL, "; planned Tue 22 Dec to keep Priya at 2 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("P2", "2026-12-22", SCHEDULED, CALL, "; planned Tue 22 Dec to keep Priya at 2 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("P3", "2026-12-23", SCHEDULED, CALL, "; planned Wed 23 Dec to keep Priya at 2 a day; "
     "window Mon 21 - Mon 28 Dec"),
    ("P4", "2026-12-21", DUE, CALL_BACK, ""),
    ("P5", "2026-12-21", DUE, CALL, ""),
    ("P6", "2026-12-21", CARD, "Hand-written note", ""),
    # nobody's row: as without levelling
    ("U1", "2026-12-21", DUE, CALL, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("row_id", "next_contact", "flag", "action", "added"),
    HAND_PLAN,
    ids=[case[0] for case in HAND_PLAN],
)
def test_hand_worked_plan(planned, row_id, next_contact, flag, action, added):
    unlevelled = _by_id(plan(sheet(*ROWS), TODAY, parse_config({"rules": {"holidays": "US"}})))
    got = planned[row_id]
    assert (got["Next Contact"], got["Flag"], got["Next Action"]) == (
        d(next_contact),
        flag,
        action,
    )
    assert got["Why"] == unlevelled[row_id]["Why"] + added


def test_every_row_of_the_sheet_is_in_the_hand_plan():
    assert [case[0] for case in HAND_PLAN] == [data["ID"] for data in ROWS]


def test_the_overload_is_reported():
    result = plan_sync(sheet(*ROWS), TEAM, d(TODAY))
    assert result.summary.overloads == [
        {"owner": "Dana", "day": "2026-12-21", "planned": 3, "capacity": 2}
    ]


def test_capacity_0_changes_nothing():
    """The default: no limit, decisions exactly as without levelling."""
    base = parse_config({"rules": {"holidays": "US"}})
    zero = parse_config({"rules": {"holidays": "US"}, "capacity": {"touches_per_day": 0}})
    assert plan(sheet(*ROWS), TODAY, zero) == plan(sheet(*ROWS), TODAY, base)
    assert plan_sync(sheet(*ROWS), zero, d(TODAY)).summary.overloads == []


def test_a_rep_s_own_calendar_without_a_limit_only_moves_windows():
    """Luis works Mon-Thu, no limit: L6's window Fri 8 - Tue 12 Jan opens for him on Mon 11."""
    config = parse_config({"owners": {"Luis": {"workdays": ["Mon", "Tue", "Wed", "Thu"]}}})
    got = _by_id(plan(sheet(*ROWS), TODAY, config))
    assert got["L6"]["Next Contact"] == dt.date(2027, 1, 11)
    assert got["L5"]["Next Contact"] == dt.date(2026, 12, 21)
    assert got["D1"] == _by_id(plan(sheet(*ROWS), TODAY, Config()))["D1"]


def test_an_owner_not_in_the_sheet_is_a_warning(caplog):
    config = parse_config(
        {"capacity": {"touches_per_day": 2}, "owners": {"Zoe": {"workdays": ["Mon"]}}}
    )
    with caplog.at_level(logging.WARNING, logger="sheetsync"):
        plan(sheet(*ROWS), TODAY, config)
    assert "[owners.Zoe] is not an owner in the sheet: check the spelling of its name" in (
        caplog.messages
    )


def test_a_second_sync_the_same_day_changes_nothing():
    src = source(*ROWS)
    sync(src, TODAY, TEAM)
    again = sync(src, TODAY, TEAM)
    assert again.summary.cells_changed == 0


def test_the_next_day_moves_only_what_the_rules_move():
    """Tue 22, nothing done. Worked by hand:

    Dana: D6 (late) on Tue 22. D8, D9's e-mail step lapsed (the rules: follow up 10-14 days
    after Fri 18, 28 Dec - 4 Jan). Promised D5, D7 keep Thu 24. D3 (priority A) keeps Tue 22,
    D1 loses it to D6; Wed 23 is off, Thu 24 full: no room left in its window, so D1 joins D2
    and D4 on its last day, Mon 28, with the new row D10 (same window): 4 on Mon 28. D8, D9
    Tue 29.
    Luis: L4, L5 keep Tue 22; L1 joins them, L2 and L3 go to Wed 23.
    Priya: the call back P4 (21 - 23) now Tue 22; P1 keeps Tue 22 until the never-contacted P5
    (called today) fills it: P1 moves to the next day with room, Thu 24; P2 and P3 Wed 23.
    U1 (nobody's) stays on its window's first day, Mon 21, DUE."""
    src = source(*ROWS)
    sync(src, TODAY, TEAM)
    before = {data["ID"]: written(src, data["ID"], "Next Contact") for data in ROWS}
    add_row(src, {"ID": "D10", "Company": "Acme", "Owner": "Dana", "Last Contact": "2026-12-11",
                  "Last Outcome": "Connected", "Contact Every": 10})  # fmt: skip
    report = sync(src, "2026-12-22", TEAM)
    after = {data["ID"]: written(src, data["ID"], "Next Contact") for data in ROWS}
    assert {k: after[k] for k in before if before[k] != after[k]} == {
        "D1": d("2026-12-28"),
        "D8": d("2026-12-29"),
        "D9": d("2026-12-29"),
        "L1": d("2026-12-22"),
        "L2": d("2026-12-23"),
        "L3": d("2026-12-23"),
        "P1": d("2026-12-24"),
        "P2": d("2026-12-23"),
        "P4": d("2026-12-22"),
        "P5": d("2026-12-22"),
    }
    assert written(src, "D10", "Next Contact") == d("2026-12-28")
    assert report.summary.overloads == [
        {"owner": "Dana", "day": "2026-12-28", "planned": 4, "capacity": 2},
    ]


def test_windows_at_the_end_of_time_stay_as_the_rules_set_them():
    """A call back on 9999-12-30, Dana off to the end of 9999 and working Mondays only: her next
    workday is past the last date a cell holds, so the row keeps the rules' window."""
    config = parse_config(
        {
            "capacity": {"touches_per_day": 1},
            "owners": {"Dana": {"workdays": ["Mon"], "days_off": ["9999-12-27..9999-12-31"]}},
        }
    )
    rows = [
        r(None, "2026-11-01", "Connected", id="A", call_back="9999-12-30"),
        r(None, "2026-11-01", "Connected", id="B", contact_every=365),
    ]
    got = plan(sheet(*rows), "2026-11-24", config)
    assert [(g["Next Contact"], g["Flag"]) for g in got] == [
        (d("9999-12-30"), SCHEDULED),
        (d("2027-11-01"), SCHEDULED),  # Mon 1 - Fri 5 Nov 2027: her Monday
    ]


def test_a_bad_capacity_config_stops_the_sync_naming_the_key(tmp_path):
    from click.testing import CliRunner

    from sheetsync.cli import main

    path = tmp_path / "bad.toml"
    path.write_text("[owners.Dana]\ndays_off = ['2027-01-15..2027-01-10']\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sync", "nowhere.xlsx", "--config", str(path)])
    assert result.exit_code == 2
    assert result.output == (
        "sheetsync: error: config key 'owners.Dana.days_off': '2027-01-15..2027-01-10' ends "
        "before it starts\n"
    )


def test_the_module_examples_run():
    import doctest

    import sheetsync.capacity
    import sheetsync.level

    for module in (sheetsync.capacity, sheetsync.level):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_the_demo_workbook_levelled_twice_the_same_day_is_written_once(tmp_path):
    """End to end on a real .xlsx: the planned days written by the first sync are read back
    from the file and kept by the second, which changes nothing."""
    from click.testing import CliRunner

    from sheetsync.cli import main
    from sheetsync.demo_data import write_demo_workbook

    book = tmp_path / "demo.xlsx"
    write_demo_workbook(book, dt.date(2026, 12, 7))
    config = tmp_path / "sheetsync.toml"
    config.write_text(
        '[capacity]\ntouches_per_day = 2\n[owners.Luis]\nworkdays = ["Mon", "Tue", "Wed"]\n',
        encoding="utf-8",
    )
    args = ["sync", str(book), "--config", str(config), "--today", "2026-12-07"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "cells written" in first.output
    mtime = book.stat().st_mtime_ns
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "nothing to change" in again.output
    assert book.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"workdays": ["Mon", "Monkey"]},
            "config key 'owners.Dana.workdays': 'Monkey' is not a weekday (Mon ... Sun)",
        ),
        (
            {"workdays": ["Sunshine"]},
            "config key 'owners.Dana.workdays': 'Sunshine' is not a weekday (Mon ... Sun)",
        ),
        (
            {"days_off": ["..2027-01-15"]},
            "config key 'owners.Dana.days_off': '..2027-01-15' is not a day \"2027-01-15\" or a "
            'range "FIRST..LAST"',
        ),
        (
            {"days_off": ["2027-01-15.."]},
            "config key 'owners.Dana.days_off': '2027-01-15..' is not a day \"2027-01-15\" or a "
            'range "FIRST..LAST"',
        ),
    ],
)
def test_a_weekday_or_day_off_that_is_not_one_names_the_key(table, message):
    from sheetsync.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        parse_config({"owners": {"Dana": table}})
    assert str(raised.value) == message


def test_weekdays_by_their_full_or_short_english_names():
    config = parse_config({"owners": {"Dana": {"workdays": ["monday", "Tues", "THU", " Fri "]}}})
    assert config.capacity.for_owner("dana").workdays == ("Mon", "Tue", "Thu", "Fri")


def test_a_rep_off_to_the_end_of_time_keeps_the_rules_plan_and_reports_no_day():
    """Dana off from 1 Dec 2026 to the last day a date holds (she left): her next workday is
    past it, so her rows, two of them late, stay as the rules set them, and no overload is
    reported on a day no cell can show (it was an unexpected error)."""
    config = parse_config(
        {
            "capacity": {"touches_per_day": 1},
            "owners": {"Dana": {"days_off": ["2026-12-01..9999-12-31"]}},
        }
    )
    rows = [
        r(None, "2026-11-02", "Connected", id="A"),  # window Thu 12 - Mon 16 Nov: late
        r(None, "2026-11-02", "Connected", id="B"),
    ]
    result = plan_sync(sheet(*rows), config, d("2026-12-07"))
    assert result.summary.overloads == []
    assert plan(sheet(*rows), "2026-12-07", config) == plan(sheet(*rows), "2026-12-07", Config())


def test_a_window_wholly_on_days_off_moves_without_a_limit_too():
    """No capacity, Dana off Wed 23: D7's promised call (Wed 23 only) moves to Thu 24, and Why
    says so; her other rows stay on their windows' first days."""
    config = parse_config(
        {"rules": {"holidays": "US"}, "owners": {"Dana": {"days_off": ["2026-12-23"]}}}
    )
    got = _by_id(plan(sheet(*ROWS), TODAY, config))
    unlevelled = _by_id(plan(sheet(*ROWS), TODAY, parse_config({"rules": {"holidays": "US"}})))
    assert (got["D7"]["Next Contact"], got["D7"]["Flag"]) == (d("2026-12-24"), SCHEDULED)
    assert got["D7"]["Why"] == unlevelled["D7"]["Why"] + (
        "; window Wed 23 Dec falls on Dana's days off: moved to Thu 24 Dec"
    )
    assert [got[k]["Next Contact"] for k in ("D1", "D4", "D8")] == [
        d("2026-12-21"), d("2026-12-22"), d("2026-12-18")
    ]  # fmt: skip
