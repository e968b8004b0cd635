"""`sheetsync agenda`: each rep's list for today, in the order a rep works it, in every format;
read-only; its calendar file checked by icalendar and by the strict reader of the tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import icalendar
import openpyxl
import pytest
from click.testing import CliRunner
from ics_strict import parse_ics, unescape

from sheetsync.agenda import Agenda, print_table, read_agenda
from sheetsync.cli import main
from sheetsync.config import Config
from sheetsync.demo_data import write_demo_workbook
from sheetsync.sync import open_source

MONDAY = "2026-12-07"
HEADERS = ["ID", "Company", "Contact", "Phone", "Email", "Owner", "Stage", "Priority",
           "Last Contact", "Last Outcome"]  # fmt: skip
D = dt.datetime

#  Monday 7 December 2026. Follow-up windows are 10-14 days after the last contact, moved
#  to the next workday (Mon-Fri):
#  D1  New, never contacted                       -> DUE      Call today, Next Contact 12-07
#  D2  Connected Tue 11-24: 12-04 (Fri) .. 12-08  -> DUE      Next Contact 12-04
#  D3  Connected Wed 11-25: 12-05 (Sat) -> 12-07  -> DUE      priority A
#  D4  No answer Mon 11-02: 11-12 .. 11-16        -> OVERDUE  Next Contact 11-12 (a first
#      sync takes Attempts as typed: blank = 0)
#  D5  No answer Mon 10-26: 11-05 .. 11-09        -> OVERDUE  Next Contact 11-05
#  D6  Stale, last contact 2026-01-05             -> CARD     (5+5+5)
#  L1  New, never contacted (Luis)                -> DUE
#  D7  Connected Tue 12-01: 12-11 .. 12-15        -> SCHEDULED (in the calendar, not the list)
#  D8  Closed                                     -> CLOSED   (nowhere)
ROWS = [
    ["D1", "Acme", "Ann Lee", "555-0101", "ann@example.com", "Dana", "New", None, None, None],
    ["D2", "Beta", "Bo Ek", "555-0102", "bo@example.com", " dana ", "Working", "B",
     D(2026, 11, 24), "Connected"],
    ["D3", "Gamma", "Cy Ng", "555-0103", "cy@example.com", "DANA", "Working", "A",
     D(2026, 11, 25), "Connected"],
    ["D4", "Delta", "Di Ro", "555-0104", "di@example.com", "Dana", "Working", None,
     D(2026, 11, 2), "No answer"],
    ["D5", "Echo", "Ed Wu", "555-0105", "ed@example.com", "Dana", "Working", None,
     D(2026, 10, 26), "No answer"],
    ["D6", "Fox", "Flo Ma", "555-0106", "flo@example.com", "Dana", "Stale", None,
     D(2026, 1, 5), "No answer"],
    ["L1", "Lima", "Lu Ho", "555-0107", "lu@example.com", "Luis", "New", None, None, None],
    ["D7", "Hotel", "Hy Jo", "555-0108", "hy@example.com", "Dana", "Working", None,
     D(2026, 12, 1), "Connected"],
    ["D8", "India", "Ira Po", "555-0109", "ira@example.com", "Dana", "Closed", None,
     D(2026, 11, 30), "Won"],
]  # fmt: skip
DANA_ORDER = ["D5", "D4", "D3", "D2", "D1", "D6"]


def write_book(path: Path, rows: list[list], text: tuple[str, ...] = ()) -> Path:
    """A Prospects sheet of HEADERS and ``rows``; the ``text`` cells ("B2") stay text even
    when they start with "=" (as pasted by a rep, not typed as a formula)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Prospects"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    for cell in text:
        sheet[cell].data_type = "s"
    workbook.save(path)
    return path


def listed(path: Path, today: dt.date = dt.date(2026, 12, 7)) -> Agenda:
    """``path``'s agenda as ``sheetsync agenda`` builds it."""
    source = open_source(str(path), None, Config())
    data = source.read()
    source.close()
    return read_agenda(data, Config(), today, source.key)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "team.xlsx", ROWS)


def agenda(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["agenda", *args, "--today", MONDAY])
    return result.exit_code, result.stdout, result.stderr


def test_piped_table_is_plain_lines_in_working_order(book):
    code, out, err = agenda(str(book))
    assert code == 0, err
    assert out == (
        "Dana: 2 overdue, 3 due, 1 card\n"
        "  OVERDUE  D5  Echo, Ed Wu\n"
        "           Call, next contact 2026-11-05 · 555-0105 · ed@example.com\n"
        "           Why: Working, 0 attempts: follow up 10-14 days after 2026-10-26\n"
        "  OVERDUE  D4  Delta, Di Ro\n"
        "           Call, next contact 2026-11-12 · 555-0104 · di@example.com\n"
        "           Why: Working, 0 attempts: follow up 10-14 days after 2026-11-02\n"
        "  DUE      D3  Gamma, Cy Ng (priority A)\n"
        "           Call, next contact 2026-12-07 · 555-0103 · cy@example.com\n"
        "           Why: Working, 0 attempts: follow up 10-14 days after 2026-11-25\n"
        "  DUE      D2  Beta, Bo Ek\n"
        "           Call, next contact 2026-12-04 · 555-0102 · bo@example.com\n"
        "           Why: Working, 0 attempts: follow up 10-14 days after 2026-11-24\n"
        "  DUE      D1  Acme, Ann Lee\n"
        "           Call, next contact 2026-12-07 · 555-0101 · ann@example.com\n"
        "           Why: New, never contacted: call today\n"
        "  CARD     D6  Fox, Flo Ma\n"
        "           Hand-written note, next contact 2026-12-07 · 555-0106 · flo@example.com\n"
        "           Why: Stale, 5+5+5: hand-written note, card given 2026-12-07 (5 cards a day "
        "per owner)\n"
        "\n"
        "Luis: 1 due\n"
        "  DUE      L1  Lima, Lu Ho\n"
        "           Call, next contact 2026-12-07 · 555-0107 · lu@example.com\n"
        "           Why: New, never contacted: call today\n"
    )


def test_agenda_never_writes_the_sheet(book):
    before, mtime = book.read_bytes(), book.stat().st_mtime_ns
    for fmt in ("table", "csv", "json", "ics"):
        assert agenda(str(book), "--format", fmt)[0] == 0
    assert book.read_bytes() == before
    assert book.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in book.parent.iterdir()) == ["team.xlsx"]


def test_csv_has_one_row_per_prospect_with_its_owner(book):
    code, out, _ = agenda(str(book), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["Owner", "ID", "Company", "Contact", "Phone", "Email",
                             "Next Action", "Next Contact", "Flag", "Why", "Source"]  # fmt: skip
    assert [(r["Owner"], r["ID"], r["Flag"]) for r in rows] == [
        ("Dana", "D5", "OVERDUE"), ("Dana", "D4", "OVERDUE"), ("Dana", "D3", "DUE"),
        ("Dana", "D2", "DUE"), ("Dana", "D1", "DUE"), ("Dana", "D6", "CARD"),
        ("Luis", "L1", "DUE"),
    ]  # fmt: skip
    assert rows[1]["Next Contact"] == "2026-11-12"


def test_json_is_a_list_of_objects(book):
    code, out, _ = agenda(str(book), "--format", "json", "--owner", "  LUIS ")
    assert code == 0
    assert json.loads(out) == [
        {
            "Owner": "Luis",
            "ID": "L1",
            "Company": "Lima",
            "Contact": "Lu Ho",
            "Phone": "555-0107",
            "Email": "lu@example.com",
            "Next Action": "Call",
            "Next Contact": "2026-12-07",
            "Flag": "DUE",
            "Why": "New, never contacted: call today",
            "Source": str(book),
        }
    ]


def test_owner_is_case_and_space_insensitive(book):
    code, out, _ = agenda(str(book), "--owner", "dAnA  ")
    assert code == 0
    assert out.startswith("Dana: 2 overdue, 3 due, 1 card\n")
    assert "Luis" not in out


def test_an_unknown_owner_says_who_there_is(book):
    code, out, err = agenda(str(book), "--owner", "Dnaa")
    assert code == 0
    assert out == "Prospects: nothing due today (2026-12-07)\n"
    assert err == (
        "sheetsync: nothing due for owner 'Dnaa' (owners with something on their list: "
        "Dana, Luis)\n"
    )


def test_ics_is_valid_for_both_parsers_with_stable_uids(book, tmp_path):
    out_file = tmp_path / "agenda.ics"
    assert agenda(str(book), "--format", "ics", "--output", str(out_file))[0] == 0
    data = out_file.read_bytes()
    strict = parse_ics(data)["VCALENDAR"][0]
    events = strict["VEVENT"]
    # every item due today on Monday, then the SCHEDULED one of the next 14 days on its day
    assert [(e["DTSTART"], e["SUMMARY"]) for e in events] == [
        ("20261207", "OVERDUE: Call - Echo\\, Ed Wu"),
        ("20261207", "OVERDUE: Call - Delta\\, Di Ro"),
        ("20261207", "DUE: Call - Gamma\\, Cy Ng"),
        ("20261207", "DUE: Call - Beta\\, Bo Ek"),
        ("20261207", "DUE: Call - Acme\\, Ann Lee"),
        ("20261207", "CARD: Hand-written note - Fox\\, Flo Ma"),
        ("20261207", "DUE: Call - Lima\\, Lu Ho"),
        ("20261211", "SCHEDULED: Call - Hotel\\, Hy Jo"),
    ]
    assert unescape(events[0]["DESCRIPTION"]).startswith(
        "Why: Working, 0 attempts: follow up 10-14 days after 2026-10-26\nOwner: Dana\n"
    )
    parsed = icalendar.Calendar.from_ical(data)
    assert [str(e["uid"]) for e in parsed.walk("VEVENT")] == [e["UID"] for e in events]
    assert all(e.decoded("dtend") - e.decoded("dtstart") == dt.timedelta(days=1)
               for e in parsed.walk("VEVENT"))  # fmt: skip

    # the next day, the same prospect keeps its UID (a calendar app updates the event)
    result = CliRunner().invoke(main, ["agenda", str(book), "--format", "ics", "--today",
                                       "2026-12-08"])  # fmt: skip
    tomorrow = parse_ics(result.stdout_bytes)["VCALENDAR"][0]["VEVENT"]
    by_summary = {e["SUMMARY"]: e["UID"] for e in tomorrow}
    assert by_summary["OVERDUE: Call - Echo\\, Ed Wu"] == events[0]["UID"]
    # ... and is a newer version of it: SEQUENCE up by one a day (days since 2000-01-01)
    assert {e["SEQUENCE"] for e in events} == {"9837"}
    assert {e["SEQUENCE"] for e in tomorrow} == {"9838"}


def test_without_source_every_configured_source(book, tmp_path):
    other = tmp_path / "other.xlsx"
    write_book(other, [["Z1", "Zulu", "", "", "", "Priya", "New", None, None, None]])
    config = tmp_path / "sheetsync.toml"
    config.write_text('[[sources]]\nsource = "team.xlsx"\n[[sources]]\nsource = "other.xlsx"\n')
    code, out, _ = agenda("--config", str(config), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["ID"] for r in rows] == [*DANA_ORDER, "L1", "Z1"]
    # each row says which sheet it is in, and so does each list of the plain output
    assert [r["Source"] for r in rows] == [str(book)] * 7 + [str(other)]
    code, out, _ = agenda("--config", str(config))
    assert code == 0
    assert out.startswith(f"== Prospects in {book} ==\nDana: 2 overdue, 3 due, 1 card\n")
    assert f"\n\n== Prospects in {other} ==\nPriya: 1 due\n" in out


def test_a_source_that_fails_is_reported_and_the_others_listed(book, tmp_path):
    config = tmp_path / "sheetsync.toml"
    config.write_text('[[sources]]\nsource = "missing.xlsx"\n[[sources]]\nsource = "team.xlsx"\n')
    code, out, err = agenda("--config", str(config), "--format", "csv")
    assert code == 1
    assert "missing.xlsx" in err and "Traceback" not in err
    assert len(list(csv.DictReader(io.StringIO(out)))) == 7


def test_no_source_and_no_sources_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = agenda()
    assert code == 2
    assert err == (
        "sheetsync: error: no SOURCE given and the config has no [[sources]]: run "
        "'sheetsync agenda FILE.xlsx'\n"
    )


def test_the_terminal_table_shows_cells_as_text(tmp_path, capsys):
    """rich would read "[red]" or "[/]" in a cell as mark-up (or fail on it): shown as typed."""
    row = ["M1", "[red]Acme[/]", "[/]", "", "", "Dana", "New", None, None, None]
    print_table([listed(write_book(tmp_path / "markup.xlsx", [row]))])
    out = capsys.readouterr().out
    assert "[red]Acme[/]" in out
    assert "│ DUE " in out


def test_owners_are_spelled_as_the_sync_summary_spells_them(tmp_path):
    """One name per rep everywhere: the prospects' first spelling (spaces collapsed); a blank
    row, which the sync skips, names no one."""
    rows = [
        ["", "", "", "", "", "DANA", "New", None, None, None],  # a blank row
        ["S1", "Acme", "", "", "", "  dana  ", "New", None, None, None],
        ["S2", "Beta", "", "", "", "Dana", "New", None, None, None],
    ]
    path = write_book(tmp_path / "spelling.xlsx", rows)
    synced = CliRunner().invoke(main, ["sync", str(path), "--dry-run", "--json", "--today", MONDAY])
    assert list(json.loads(synced.stdout)["sources"][0]["owners"]) == ["dana"]
    code, out, err = agenda(str(path), "--format", "json")
    assert code == 0, err
    assert [(row["Owner"], row["ID"]) for row in json.loads(out)] == [
        ("dana", "S1"),
        ("dana", "S2"),
    ]


def test_the_terminal_table_keeps_every_word_on_80_columns(tmp_path, capsys, monkeypatch):
    """The demo's Luis on a terminal of 80 columns: no cell is cut short with an ellipsis."""
    monkeypatch.setenv("COLUMNS", "80")
    path = tmp_path / "demo.xlsx"
    write_demo_workbook(path, dt.date(2026, 12, 5))  # a Saturday: seen on Monday
    print_table([listed(path).only("Luis")])
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 80
    assert "…" not in out
    assert "│ Negotiation,  " in out  # "Working, 0 attempts: phase Negotiation, follow up ..."
    assert "│ P-1029 (A) " in out


@pytest.mark.parametrize("owner", [(), ("--owner", "Dana")])
def test_a_missing_workbook_prints_nothing_but_the_error(tmp_path, owner):
    code, out, err = agenda(str(tmp_path / "missing.xlsx"), *owner)
    assert code == 1
    assert out == ""  # and no "nothing due for owner 'Dana'": no sheet was read
    assert err == f"sheetsync: error: {tmp_path / 'missing.xlsx'}: no such file\n"


def test_csv_cells_a_spreadsheet_would_run_get_a_quote_and_phone_numbers_stay(tmp_path):
    link = '=HYPERLINK("http://evil.example","x")'
    rows = [
        ["F1", link, "@SUM(A1)", "+1 (555) 010-0000", "", "Dana", "New", None, None, None],
        ["F2", "-2+3", "+cmd|'/C calc'!A0", "+44 20 7946 0958", "", "Dana", "New", None, None,
         None],
    ]  # fmt: skip
    path = write_book(tmp_path / "formulas.xlsx", rows, text=("B2",))
    code, out, err = agenda(str(path), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["Company"], r["Contact"], r["Phone"]) for r in rows] == [
        ("'" + link, "'@SUM(A1)", "+1 (555) 010-0000"),
        ("'-2+3", "'+cmd|'/C calc'!A0", "+44 20 7946 0958"),
    ]


@pytest.mark.parametrize("lock", ["~$team.xlsx", ".~lock.team.xlsx#"])
def test_a_workbook_open_in_excel_is_listed_as_saved_but_never_synced(book, lock):
    """A rep has the sheet open in the morning: the agenda (reading only) still lists it, as
    last saved; a sync of the same file is refused and leaves it as it was."""
    (book.parent / lock).write_text("rep", encoding="utf-8")
    before = book.read_bytes()
    code, out, err = agenda(str(book))
    assert code == 0, err
    assert out.splitlines()[0] == "Dana: 2 overdue, 3 due, 1 card"
    synced = CliRunner().invoke(main, ["sync", str(book), "--today", MONDAY])
    assert synced.exit_code == 1
    assert "is open in Excel or LibreOffice" in synced.stderr
    assert book.read_bytes() == before


def test_a_source_opened_for_reading_refuses_to_write(book):
    from sheetsync.errors import SourceError
    from sheetsync.sync import plan_sync

    source = open_source(str(book), None, Config(), read_only=True)
    data = source.read()
    plan = plan_sync(data, Config(), dt.date(2026, 12, 7)).plan
    before = book.read_bytes()
    with pytest.raises(SourceError, match="opened for reading only: nothing was written"):
        source.write(plan)
    assert book.read_bytes() == before
