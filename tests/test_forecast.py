"""The forecast: the engine run forward day by day, every touch unanswered (hand-worked), and
the ``sheetsync forecast`` command on a real workbook."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import matplotlib.image
import openpyxl
import pytest
from click.testing import CliRunner
from rulecases import r, sheet

from sheetsync.cli import main
from sheetsync.config import parse_config
from sheetsync.forecast import by_period, forecast

DANA_AT_2 = parse_config({"capacity": {"touches_per_day": 2}})
ROWS = [
    # A, B, C: a conversation on Fri 27 Nov: the next call 10-14 days later, Mon 7 - Fri 11 Dec
    r(None, "2026-11-27", "Connected", id="A"),
    r(None, "2026-11-27", "Connected", id="B"),
    r(None, "2026-11-27", "Connected", id="C"),
    # S: a stale lead: a card today, its note's call 5 workdays later
    r("Stale", "2026-03-01", None, id="S"),
]

# Worked by hand, Dana at 2 touches a day, every touch unanswered:
#   Mon 7   A, B called (C planned Tue 8: 2 a day); S's card (note sent Mon 7)
#   Tue 8   A, B: no answer Mon 7, so the follow-up e-mail by the next workday, Tue 8; their
#           window closes that day, so C (planned Tue 8, window to Fri 11) moves to Wed 9
#   Wed 9   C called. A, B: e-mail sent Tue 8: follow up 10-14 days later, Fri 18 - Tue 22
#   Thu 10  C's follow-up e-mail
#   Fri 11  nothing
#   Mon 14  S: the call 5 workdays after the note of Mon 7
#   Tue 15  S's follow-up e-mail
#   Wed 16, Thu 17  nothing (C: e-mail Thu 10, next Sun 20 - Thu 24: Mon 21)
#   Fri 18  A, B called
HAND = [
    # day, calls, e-mails, check-ins, cards
    ("2026-12-07", 2, 0, 0, 1),
    ("2026-12-08", 0, 2, 0, 0),
    ("2026-12-09", 1, 0, 0, 0),
    ("2026-12-10", 0, 1, 0, 0),
    ("2026-12-11", 0, 0, 0, 0),
    ("2026-12-14", 1, 0, 0, 0),
    ("2026-12-15", 0, 1, 0, 0),
    ("2026-12-16", 0, 0, 0, 0),
    ("2026-12-17", 0, 0, 0, 0),
    ("2026-12-18", 2, 0, 0, 0),
]


def _days(frame, columns: list[str]) -> dict[str, list[int]]:
    """``{"2026-12-07": [value of each column], ...}``, one entry per day of the forecast."""
    return {d.isoformat(): row for d, *row in frame[["day", *columns]].itertuples(index=False)}


def test_two_weeks_worked_by_hand():
    frame = forecast(sheet(*ROWS), DANA_AT_2, dt.date(2026, 12, 7), weeks=2)
    got = [
        (d.isoformat(), calls, emails, checkins, cards)
        for d, calls, emails, checkins, cards in frame[
            ["day", "calls", "e-mails", "check-ins", "cards"]
        ].itertuples(index=False)
    ]
    assert got == HAND
    assert set(frame["owner"]) == {"Dana"}
    assert frame["capacity"].tolist() == [2] * 10
    assert frame["touches"].tolist() == [c + e + k for _, c, e, k, _ in HAND]
    assert frame["over"].tolist() == [0] * 10


def test_by_week_sums_the_days():
    frame = by_period(forecast(sheet(*ROWS), DANA_AT_2, dt.date(2026, 12, 7), weeks=2), "week")
    assert frame["week"].tolist() == [dt.date(2026, 12, 7), dt.date(2026, 12, 14)]
    assert frame["calls"].tolist() == [3, 3]
    assert frame["e-mails"].tolist() == [3, 1]
    assert frame["cards"].tolist() == [1, 0]
    assert frame["capacity"].tolist() == [10, 10]
    assert frame["days_over"].tolist() == [0, 0]


def test_over_capacity_and_days_off_are_shown():
    """Dana at 1 a day, off Tue 8. Worked by hand:

    Mon 7   A called; B planned Wed 9, C Thu 10 (window Mon 7 - Fri 11 on her days).
    Tue 8   her day off: nothing. A's follow-up e-mail (by the next workday, Tue 8) rolls to
            Wed 9, the end of its window: B moves on to the next day with room, Fri 11.
    Wed 9   the team's last workday was Tue 8, so A's e-mail step has lapsed (the rules:
            follow up 10-14 days after Mon 7): nothing.
    Thu 10  C called.
    Fri 11  B called, and C's follow-up e-mail: both windows end that day: 2, over 1."""
    config = parse_config(
        {"capacity": {"touches_per_day": 1}, "owners": {"Dana": {"days_off": ["2026-12-08"]}}}
    )
    frame = forecast(sheet(*ROWS[:3]), config, dt.date(2026, 12, 7), weeks=1)
    assert _days(frame, ["touches", "capacity", "over", "day_off"]) == {
        "2026-12-07": [1, 1, 0, 0],
        "2026-12-08": [0, 0, 0, 1],
        "2026-12-09": [0, 1, 0, 0],
        "2026-12-10": [1, 1, 0, 0],
        "2026-12-11": [2, 1, 1, 0],
    }


# --- the command ---------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Prospects"
    headers = ["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome"]
    ws.append(headers)
    for row in ROWS:
        ws.append(
            [
                row.get(h) if h != "Last Contact" else dt.datetime.combine(row[h], dt.time())
                for h in headers
            ]
        )
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path):
    return _workbook(tmp_path / "team.xlsx")


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "sheetsync.toml"
    path.write_text("[capacity]\ntouches_per_day = 2\n", encoding="utf-8")
    return path


def test_forecast_command_prints_a_table_and_writes_nothing(tmp_path, book, config):
    before = book.read_bytes()
    result = CliRunner().invoke(
        main,
        ["forecast", str(book), "--config", str(config), "--today", "2026-12-07", "--weeks", "2"],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{book}: touches planned per day from 2026-12-07, 2 weeks"
    assert lines[1] == "Dana"
    assert lines[2].split() == [
        "day", "calls", "e-mails", "check-ins", "cards", "touches", "capacity", "over"
    ]  # fmt: skip
    assert lines[3].split() == ["Mon", "2026-12-07", "2", "0", "0", "1", "2", "2"]
    assert book.read_bytes() == before


def test_forecast_command_csv_json_and_chart(tmp_path, book, config):
    args = ["forecast", str(book), "--config", str(config), "--today", "2026-12-07"]
    csv = CliRunner().invoke(main, [*args, "--weeks", "1", "--format", "csv"])
    assert csv.exit_code == 0, csv.output
    assert csv.output.splitlines()[:2] == [
        "owner,day,calls,e-mails,check-ins,cards,touches,capacity,over,day_off,days_over",
        "Dana,2026-12-07,2,0,0,1,2,2,0,0,0",
    ]
    out = CliRunner().invoke(main, [*args, "--by", "week", "--format", "json"])
    weeks = json.loads(out.output)
    assert len(weeks) == 6
    assert weeks[0]["week"] == "2026-12-07" and weeks[0]["calls"] == 3
    days = json.loads(CliRunner().invoke(main, [*args, "--weeks", "1", "--format", "json"]).output)
    assert [d["day"] for d in days] == [
        "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"
    ]  # fmt: skip
    chart = tmp_path / "forecast.png"
    drawn = CliRunner().invoke(main, [*args, "--chart", str(chart)])
    assert drawn.exit_code == 0, drawn.output
    assert f"chart written to {chart}" in drawn.output
    height, width, _ = matplotlib.image.imread(chart).shape
    assert width > 800 and height > 200


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--weeks", "0"], "Invalid value for '--weeks'"),
        (["--by", "month"], "Invalid value for '--by'"),
        (["--chart", "out.jpg"], "--chart out.jpg: give a file name ending in .png"),
        (["--chart", "no/such/dir/out.png"], "--chart no/such/dir/out.png: its folder does not"),
    ],
)
def test_forecast_command_bad_arguments(book, extra, message):
    result = CliRunner().invoke(main, ["forecast", str(book), *extra])
    assert result.exit_code == 2
    assert message in result.output


def test_forecast_command_bad_capacity_names_the_key(tmp_path, book):
    path = tmp_path / "bad.toml"
    path.write_text("[owners.Dana]\nworkdays = ['Mon', 'Funday']\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["forecast", str(book), "--config", str(path)])
    assert result.exit_code == 2
    assert result.output == (
        "sheetsync: error: config key 'owners.Dana.workdays': 'Funday' is not a weekday "
        "(Mon ... Sun)\n"
    )


def test_sync_json_reports_the_overloads(tmp_path, book):
    """Dana at 1 a day on Fri 11 Dec, the last day of A's, B's and C's window (the stale
    lead's card does not count): 3 touches that day."""
    path = tmp_path / "one.toml"
    path.write_text("[capacity]\ntouches_per_day = 1\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sync", str(book), "--config", str(path), "--today", "2026-12-11", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["sources"][0]
    assert report["overloads"] == [
        {"owner": "Dana", "day": "2026-12-11", "planned": 3, "capacity": 1}
    ]
    assert report["warnings"] == ["over capacity: Dana (1 a day) on 2026-12-11 (3 planned)"]


def test_forecast_reads_a_workbook_open_in_excel(book, config):
    (book.parent / "~$team.xlsx").write_text("rep", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["forecast", str(book), "--config", str(config), "--today", "2026-12-07", "--weeks", "1"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "Dana"


def test_nothing_is_done_on_a_rep_s_day_off():
    """Dana at 2 a day, off Mon 7 (today). Worked by hand:

    Mon 7   her day off: nothing done, neither the late call nor the stale lead's card.
    Tue 8   L (window Mon 23 - Fri 27 Nov: late) called on her first workday; S's card (given
            Mon 7, kept until the note is recorded) written.
    Wed 9   L: no answer on Tue 8, the follow-up e-mail by the next workday.
    Thu 10, Fri 11  nothing (S's note call comes 5 workdays after Tue 8: Tue 15)."""
    config = parse_config(
        {"capacity": {"touches_per_day": 2}, "owners": {"Dana": {"days_off": ["2026-12-07"]}}}
    )
    rows = [r(None, "2026-11-13", "Connected", id="L"), r("Stale", "2026-03-01", None, id="S")]
    frame = forecast(sheet(*rows), config, dt.date(2026, 12, 7), weeks=1)
    assert _days(frame, ["calls", "e-mails", "cards", "day_off"]) == {
        "2026-12-07": [0, 0, 0, 1],
        "2026-12-08": [1, 0, 1, 0],
        "2026-12-09": [0, 1, 0, 0],
        "2026-12-10": [0, 0, 0, 0],
        "2026-12-11": [0, 0, 0, 0],
    }


def test_a_part_time_rep_without_a_limit_works_only_their_days():
    """Luis, no limit, Mon-Thu. Fri 11 Dec: A's window (Mon 7 - Fri 11) is open and its first
    day has passed, so the sync shows it DUE; he does not work Fridays, so the forecast has
    him call on Mon 14, not on Fri 11."""
    config = parse_config({"owners": {"Luis": {"workdays": ["Mon", "Tue", "Wed", "Thu"]}}})
    frame = forecast(
        sheet(r(None, "2026-11-27", "Connected", id="A", owner="Luis")),
        config,
        dt.date(2026, 12, 11),
        weeks=1,
    )
    days = _days(frame, ["calls", "day_off"])
    assert days["2026-12-11"] == [0, 1]
    assert days["2026-12-14"] == [1, 0]


def test_forecast_command_takes_the_config_s_one_source_and_refuses_several(tmp_path, book):
    one = tmp_path / "one.toml"
    one.write_text(f"[[sources]]\nsource = '{book}'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["forecast", "--config", str(one), "--today", "2026-12-07"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"{book}: touches planned per day from 2026-12-07, 6 weeks"
    )
    two = tmp_path / "two.toml"
    two.write_text(
        f"[[sources]]\nsource = '{book}'\n[[sources]]\nsource = 'other.xlsx'\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["forecast", "--config", str(two)])
    assert result.exit_code == 2
    assert result.output == (
        "sheetsync: error: the config has 2 [[sources]]: give the SOURCE to forecast "
        f"(one of {book}, {tmp_path / 'other.xlsx'})\n"
    )
    none = CliRunner().invoke(main, ["forecast", "--config", str(tmp_path / "missing.toml")])
    assert none.exit_code == 2


def test_forecast_warns_of_an_owner_not_in_the_sheet(caplog):
    config = parse_config(
        {"capacity": {"touches_per_day": 2}, "owners": {"Zoe": {"workdays": ["Mon"]}}}
    )
    with caplog.at_level(logging.WARNING, logger="sheetsync"):
        forecast(sheet(*ROWS), config, dt.date(2026, 12, 7), weeks=1)
    assert caplog.messages == [
        "[owners.Zoe] is not an owner in the sheet: check the spelling of its name"
    ]
