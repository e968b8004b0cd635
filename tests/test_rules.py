"""The cadence rules of the README ("The rules"), one table per rule.

Every expected date is worked out by hand from the README's rules with a calendar; where a date
falls on a weekend or holiday, the comment says so. Every case states its exact Why. The days
that matter:

    November 2026                        December 2026
    Mo Tu We Th Fr Sa Su                 Mo Tu We Th Fr Sa Su
                       1                     1  2  3  4  5  6
     2  3  4  5  6  7  8                  7  8  9 10 11 12 13
     9 10 11 12 13 14 15                 14 15 16 17 18 19 20
    16 17 18 19 20 21 22                 21 22 23 24 25 26 27
    23 24 25 26 27 28 29                 28 29 30 31
    30

"Today" is Tuesday 2026-11-24 (``TUE``) unless a case says otherwise. With
``holidays = "US"``: Veterans Day Wed 2026-11-11 and Thanksgiving Thu 2026-11-26.
"""

from __future__ import annotations

import datetime as dt

import pytest
from rulecases import (
    CALL,
    CALL_BACK,
    CARD,
    CHECK,
    CHECK_IN,
    CLOSED,
    CUT,
    DEFAULT,
    DMY,
    DNC,
    DUE,
    EMAIL,
    FOLLOW_UP_EMAIL,
    NOTE,
    NOTE_CALL,
    OVERDUE,
    QUEUED,
    RETRY,
    SCHEDULED,
    TUE,
    US,
    add_row,
    assert_consistent,
    cases,
    d,
    edit,
    expect,
    flag_and_date,
    plan,
    plan_one,
    planned,
    r,
    sheet,
    source,
    sync,
    written,
)

from sheetsync.config import parse_config
from sheetsync.engine import rules as engine_rules
from sheetsync.engine.columns import PRIORITY
from sheetsync.engine.decided import fixed
from sheetsync.engine.why import Reason
from sheetsync.sources.base import EPOCH_1900, EPOCH_1904, SheetData
from sheetsync.sources.inmemory import InMemorySource
from sheetsync.sync import plan_sync

# ============================================================================================
# Rule 0: stage inference (a blank Stage)
# ============================================================================================

# (case, row, today, next contact, flag, next action, the exact Why)
# fmt: off
RULE_0 = [
    # 2026-05-28 is exactly 180 days before 2026-11-24: Stale, so the card queue (rule 7)
    ("180 days ago: Stale", r(None, "2026-05-28", "No answer"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    # 179 days: New; 10-14 days after Fri 05-29 is Mon 06-08 .. Fri 06-12
    ("179 days ago: New", r(None, "2026-05-29", "No answer"), TUE, "2026-06-08", OVERDUE, CALL,
     "New, 0 attempts: follow up 10-14 days after 2026-05-29"),
    ("179 days, connected: Working", r(None, "2026-05-29", "Connected"), TUE, "2026-06-08", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-05-29"),
    # 10-14 days after Mon 11-16: Thu 11-26 .. Mon 11-30
    ("meeting: Working", r(None, "2026-11-16", "Meeting"), TUE, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("no answer: New", r(None, "2026-11-16", "No answer"), TUE, "2026-11-26", SCHEDULED, CALL,
     "New, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("blank text stage", r("  ", "2026-11-16", "No answer"), TUE, "2026-11-26", SCHEDULED, CALL,
     "New, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("empty text stage", r("", "2026-11-16", "Connected"), TUE, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("no last contact: New, call today", r(None), TUE, TUE, DUE, CALL,
     "New, never contacted: call today"),
    ("old conversation: Stale wins", r(None, "2026-01-05", "Connected"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    # the inferred stage picks the cut-bait limit: New 3, Working 8
    # CUT until Thu 11-19 + 180 days = Tue 2027-05-18
    ("New: cut bait at 3", r(None, "2026-11-19", "No answer", attempts=5), TUE, "2027-05-18", CUT, None,
     "New, 5 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-19"),
    # 10-14 days after Thu 11-19: Sun 11-29 -> Mon 11-30 .. Thu 12-03
    ("Working: limit 8", r(None, "2026-11-19", "Connected", attempts=5), TUE, "2026-11-30", SCHEDULED, CALL,
     "Working, 5 attempts: follow up 10-14 days after 2026-11-19"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_0))
def test_rule_0_stage_inference(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


def test_rule_0_a_conversation_is_remembered():
    # Mon 11-16: a conversation; then three unanswered calls, one per sync
    src = source(r(None, "2026-11-16", "Connected"))
    sync(src, "2026-11-16")
    for day in ("2026-11-20", "2026-11-23", TUE):
        edit(src, "P1", {"Last Contact": day, "Last Outcome": "No answer"})
        sync(src, day)

    # still Working (limit 8) with 3 attempts: the follow-up email after today's call
    row = planned(src, "P1", TUE)
    assert (row["Next Contact"], row["Flag"], row["Next Action"]) == (d(TUE), DUE, FOLLOW_UP_EMAIL)
    assert row["Attempts"] == 3
    assert (
        row["Why"]
        == "Working, 3 attempts: No answer on 2026-11-24, follow-up email by the next workday"
    )
    assert flag_and_date(src, "P1") == (DUE, d(TUE), FOLLOW_UP_EMAIL)

    # the same cells with nothing remembered: New, and 3 attempts is its cut-bait limit
    fresh = plan_one(r(None, TUE, "No answer", attempts=3), TUE)
    assert fresh["Flag"] == CUT


# ============================================================================================
# Rule 1: blank rows
# ============================================================================================

LEFTOVERS = {
    "Attempts": 3,
    "Next Contact": d("2026-11-20"),
    "Next Action": "Call",
    "Flag": "DUE",
    "Why": "left from an earlier sync",
}


def blank_rows_sheet() -> SheetData:
    return sheet(
        r("Working", "2026-11-16", "Connected", contact="Ann", email="ann@acme.test", phone="555"),
        # no ID, Company, Contact, Email or Phone: blank, however much else it holds
        {"Owner": "Dana", "Stage": "Working", "Last Contact": d("2026-11-02"), **LEFTOVERS},
        {},  # nothing at all
        {"Company": "   ", "Contact": "", "Owner": "Lee", **LEFTOVERS},  # whitespace is nothing
        r("Working", "2026-11-16", "Connected", id="P2"),
    )


def test_rule_1_blank_rows_are_skipped():
    rows = plan(blank_rows_sheet(), TUE)
    assert [row["Flag"] for row in rows] == [SCHEDULED, None, None, None, SCHEDULED]
    for row in rows[1:4]:
        assert row == dict.fromkeys(row), "a blank row gets no owned value"


def test_rule_1_owned_values_left_in_a_blank_row_are_cleared():
    src = InMemorySource(blank_rows_sheet())
    sync(src, TUE)
    headers = [str(h) for h in src.data.headers]
    for i in (1, 3):
        row = src.data.rows[i] + [None] * len(headers)
        cells = dict(zip(headers, row, strict=False))
        for header in ("ID", *LEFTOVERS):
            assert cells[header] in (None, ""), f"row {i + 2}: {header} = {cells[header]!r}"
    # rep-owned cells of a blank row are not the tool's to clear
    assert src.data.rows[1][headers.index("Owner")] == "Dana"
    assert src.data.rows[1][headers.index("Last Contact")] == d("2026-11-02")
    assert src.data.rows[3][headers.index("Owner")] == "Lee"


@pytest.mark.parametrize(
    ("who", "value"),
    [
        ("ID", "P7"),
        ("Company", "Acme"),
        ("Contact", "Ann Lee"),
        ("Email", "ann@acme.test"),
        ("Phone", 5550100),
    ],
)
def test_rule_1_any_one_who_column_makes_a_row(who, value):
    cells = {"ID": None, "Company": None, "Contact": None, "Email": None, "Phone": None}
    cells |= {
        who: value,
        "Stage": "Working",
        "Last Contact": d("2026-11-16"),
        "Last Outcome": "Connected",
    }
    expect(
        cells,
        TUE,
        "2026-11-26",
        SCHEDULED,
        CALL,
        "Working, 0 attempts: follow up 10-14 days after 2026-11-16",
    )


# ============================================================================================
# Rule 2: Do Not Contact
# ============================================================================================

WORKING = ("Working", "2026-11-16", "Connected")  # without DNC: SCHEDULED Thu 11-26, Call


@pytest.mark.parametrize(
    "value", ["yes", "y", "true", "x", "1", "YES", " Yes ", "X", "True", "Y", 1, 1.0, True]
)
def test_rule_2_do_not_contact_set(value):
    expect(
        r(*WORKING, do_not_contact=value),
        TUE,
        None,
        DNC,
        None,
        "Do Not Contact is set: never contact",
    )


@pytest.mark.parametrize(
    "value", ["no", "n", "false", "0", "", None, "NO", " n ", "False", 0, 0.0, False]
)
def test_rule_2_do_not_contact_not_set(value):
    why = "Working, 0 attempts: follow up 10-14 days after 2026-11-16"
    expect(r(*WORKING, do_not_contact=value), TUE, "2026-11-26", SCHEDULED, CALL, why)


# fmt: off
RULE_2 = [
    ("outcome Do not contact", r("Working", "2026-11-16", "Do not contact"),
     "Last Outcome is Do not contact: never contact"),
    ("outcome in capitals", r("Working", "2026-11-16", "DO NOT CONTACT"),
     "Last Outcome is Do not contact: never contact"),
    ("outcome with spaces", r("Working", "2026-11-16", " do not contact "),
     "Last Outcome is Do not contact: never contact"),
    ("outcome, blank stage", r(None, "2026-11-16", "Do not contact"),
     "Last Outcome is Do not contact: never contact"),
    ("customer who opted out", r("Customer", "2026-11-16", "Do not contact"),
     "Last Outcome is Do not contact: never contact"),
    # first match wins: rule 2 comes before rules 3 and 4
    ("before Closed", r("Closed", "2026-11-16", "Connected", do_not_contact="yes"),
     "Do Not Contact is set: never contact"),
    ("before CHECK", r("Maybe", "asap??", "Connected", do_not_contact="x"),
     "Do Not Contact is set: never contact"),
    ("before a call back", r(*WORKING, do_not_contact="y", call_back="2026-12-01"),
     "Do Not Contact is set: never contact"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "why"), cases(RULE_2))
def test_rule_2_dnc(cells, why):
    expect(cells, TUE, None, DNC, None, why)


# ============================================================================================
# Rule 3: Closed
# ============================================================================================

# fmt: off
RULE_3 = [
    ("closed", r("Closed", "2026-11-16", "Connected"),
     "Stage Closed: no more contact"),
    ("lower case", r("closed", "2026-11-16", "No answer"),
     "Stage Closed: no more contact"),
    ("capitals and spaces", r(" CLOSED ", "2026-11-16", "Connected"),
     "Stage Closed: no more contact"),
    ("no last contact", r("Closed"),
     "Stage Closed: no more contact"),
    ("before Won", r("Closed", "2026-11-16", "Won"),
     "Stage Closed: no more contact"),
    ("before cut bait", r("Closed", "2026-11-16", "No answer", attempts=9),
     "Stage Closed: no more contact"),
    ("before a call back", r("Closed", "2026-11-16", "Connected", call_back="2026-12-01"),
     "Stage Closed: no more contact"),
    # first match wins: a closed row is not checked for bad data (nobody works it any more)
    ("before CHECK", r("Closed", "asap??", "Connected", priority="Z"),
     "Stage Closed: no more contact"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "why"), cases(RULE_3))
def test_rule_3_closed(cells, why):
    expect(cells, TUE, None, CLOSED, None, why)


# ============================================================================================
# Rule 4: CHECK (unusable data), then a requested call back
# ============================================================================================

# (case, row, the exact Why: every problem, naming the column and the value)
# fmt: off
RULE_4_CHECK = [
    ("stage", r("Maybe", "2026-11-16", "Connected"),
     'Stage "Maybe" is not one of New, Working, Lost, Stale, Customer, Closed'),
    ("outcome", r("Working", "2026-11-16", "Left message"),
     'Last Outcome "Left message" is not one of No answer, Voicemail, Email sent, Connected, Meeting, Not now, Chose competitor, Won, Do not contact'),
    ("priority", r(*WORKING, priority="D"),
     'Priority "D" is not one of A, B, C'),
    ("phase", r(*WORKING, phase="Closing"),
     'Phase "Closing" is not one of Need, Solutions, Suppliers, Research, Preference, Negotiation, Repeat'),
    ("preferred channel", r(*WORKING, preferred_channel="Fax"),
     'Preferred Channel "Fax" is not one of Call, Email'),
    ("do not contact", r(*WORKING, do_not_contact="maybe"),
     'Do Not Contact "maybe" is not yes or no'),
    ("last contact text", r("Working", "asap??", "Connected"),
     'Last Contact "asap??" is not a date'),
    # impossible under the default MDY order, and never read the other way round
    ("month 13 under MDY", r("Working", "13/04/2026", "Connected"),
     'Last Contact "13/04/2026" is not a date (month/day/year)'),
    ("30 February", r("Working", "2026-02-30", "Connected"),
     'Last Contact "2026-02-30" is not a date (year-month-day)'),
    ("last contact after today", r("Working", "2026-11-25", "Connected"),
     'Last Contact "2026-11-25" is after today'),
    ("note sent after today", r("Stale", "2026-03-02", "No answer", note_sent="2026-12-01"),
     'Note Sent "2026-12-01" is after today'),
    ("note sent text", r("Stale", "2026-03-02", "No answer", note_sent="soon"),
     'Note Sent "soon" is not a date'),
    ("call back text", r(*WORKING, call_back="March"),
     'Call Back "March" is not a date'),
    ("attempts text", r("Working", "2026-11-16", "No answer", attempts="three"),
     'Attempts "three" is not a whole number'),
    ("attempts negative", r("Working", "2026-11-16", "No answer", attempts=-1),
     'Attempts "-1" is outside 0-999'),
    ("attempts without a last contact", r("New", None, None, attempts=2),
     'Attempts "2" is set but Last Contact is blank'),
    ("contact every 0", r(*WORKING, contact_every=0),
     'Contact Every "0" is outside 1-365'),
    ("contact every 366", r(*WORKING, contact_every=366),
     'Contact Every "366" is outside 1-365'),
    ("contact every text", r(*WORKING, contact_every="weekly"),
     'Contact Every "weekly" is not a whole number'),
    ("contact every negative", r(*WORKING, contact_every=-5),
     'Contact Every "-5" is outside 1-365'),
    # every problem, in the order of the columns of a row built by r()
    ("several problems, all listed", r("Maybe", "asap??", "Connected", priority="Z", contact_every=0),
     'Stage "Maybe" is not one of New, Working, Lost, Stale, Customer, Closed; '
     'Priority "Z" is not one of A, B, C; Last Contact "asap??" is not a date; '
     'Contact Every "0" is outside 1-365'),
    # CHECK comes before the call back it would otherwise honour
    ("before a call back", r("Maybe", "2026-11-16", "Connected", call_back="2026-12-01"),
     'Stage "Maybe" is not one of New, Working, Lost, Stale, Customer, Closed'),
]
# fmt: on


@pytest.mark.parametrize(("cells", "why"), cases(RULE_4_CHECK))
def test_rule_4_check(cells, why):
    expect(cells, TUE, None, CHECK, None, why)


# Values at the edge of what is accepted: these rows are decided, not CHECK.
# fmt: off
RULE_4_ACCEPTED = [
    ("contact every 1", r(*WORKING, contact_every=1), DEFAULT,
     "Working, 0 attempts: contact every 1 days as asked, 1-5 days after 2026-11-16"),
    ("contact every 365", r(*WORKING, contact_every=365), DEFAULT,
     "Working, 0 attempts: contact every 365 days as asked, 365-369 days after 2026-11-16"),
    ("contact every 7.0 (Excel numbers are floats)", r(*WORKING, contact_every=7.0), DEFAULT,
     "Working, 0 attempts: contact every 7 days as asked, 7-11 days after 2026-11-16"),
    ("attempts 2.0", r("Working", "2026-11-16", "No answer", attempts=2.0), DEFAULT,
     "Working, 2 attempts: follow up 10-14 days after 2026-11-16"),
    ("attempts as text '2'", r("Working", "2026-11-16", "No answer", attempts="2"), DEFAULT,
     "Working, 2 attempts: follow up 10-14 days after 2026-11-16"),
    ("attempts 0 without a last contact", r("New", None, None, attempts=0), DEFAULT,
     "New, never contacted: call today"),
    ("last contact today", r("Working", TUE, "Connected"), DEFAULT,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-24"),
    ("note sent today", r("Stale", "2026-03-02", "No answer", note_sent=TUE), DEFAULT,
     "Stale: note sent 2026-11-24, call 5 workdays later as promised"),
    ("priority a", r(*WORKING, priority="a"), DEFAULT,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("priority ' C '", r(*WORKING, priority=" C "), DEFAULT,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("priority blank", r(*WORKING, priority=""), DEFAULT,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("phase ' need '", r(*WORKING, phase=" need "), DEFAULT,
     "Working, 0 attempts: phase Need, follow up 30-44 days after 2026-11-16"),
    ("phase NEGOTIATION", r(*WORKING, phase="NEGOTIATION"), DEFAULT,
     "Working, 0 attempts: phase Negotiation, follow up 3-5 days after 2026-11-16"),
    ("channel email", r(*WORKING, preferred_channel="email"), DEFAULT,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("channel CALL", r(*WORKING, preferred_channel="CALL"), DEFAULT,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("13/04/2026 under DMY", r("Working", "13/04/2026", "Connected"), DMY,
     "Working, 0 attempts: follow up 10-14 days after 2026-04-13"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "config", "why"), cases(RULE_4_ACCEPTED))
def test_rule_4_accepted_values(cells, config, why):
    row = plan_one(cells, TUE, config)
    assert row["Flag"] != CHECK, row["Why"]
    assert row["Why"] == why
    assert_consistent(row)


def test_rule_4_dmy_reads_day_first():
    # 13/04/2026 under DMY: Mon 2026-04-13; 10-14 days: Thu 04-23 .. Mon 04-27
    why = "Working, 0 attempts: follow up 10-14 days after 2026-04-13"
    expect(r("Working", "13/04/2026", "Connected"), TUE, "2026-04-23", OVERDUE, CALL, why, DMY)
    # 23/11/2026 under DMY: Mon 11-23; 10-14 days: Thu 12-03 .. Mon 12-07. Under MDY: CHECK
    why = "Working, 0 attempts: follow up 10-14 days after 2026-11-23"
    expect(r("Working", "23/11/2026", "Connected"), TUE, "2026-12-03", SCHEDULED, CALL, why, DMY)
    why = 'Last Contact "23/11/2026" is not a date (month/day/year)'
    expect(r("Working", "23/11/2026", "Connected"), TUE, None, CHECK, None, why)
    # 11/13/2026 is impossible under DMY
    why = 'Last Contact "11/13/2026" is not a date (day/month/year)'
    expect(r("Working", "11/13/2026", "Connected"), TUE, None, CHECK, None, why, DMY)


def test_rule_4_duplicate_ids_are_both_check():
    rows = plan(
        sheet(
            r(*WORKING, id="P1", company="Acme"),
            r(*WORKING, id="P1", company="Bolt"),
            r(*WORKING, id="P2", company="Cargo"),
            r(*WORKING, id=None, company="Delta"),  # blank IDs are filled, never duplicates
            r(*WORKING, id=None, company="Echo"),
        ),
        TUE,
    )
    assert [row["Flag"] for row in rows] == [CHECK, CHECK, SCHEDULED, SCHEDULED, SCHEDULED]
    for row in rows[:2]:
        assert_consistent(row)
        assert row["Why"] == 'ID "P1" is used by 2 rows'


# (case, row, today, next contact, flag, next action, the exact Why); rows are Working, last
# contact Mon 11-16 Connected unless said (the cadence alone: SCHEDULED Thu 11-26, Call)
# fmt: off
RULE_4_CALL_BACK = [
    # window: the asked day to 2 workdays later
    ("asked for Tue 12-01", r(*WORKING, call_back="2026-12-01"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    # Fri 11-20 .. Tue 11-24 (Mon, Tue): today is the last day
    ("asked for Fri 11-20", r(*WORKING, call_back="2026-11-20"), TUE, "2026-11-20", DUE, CALL_BACK,
     "Call back requested for 2026-11-20: call that day to 2 workdays later"),
    # Thu 11-19 .. Mon 11-23 (Fri, Mon)
    ("asked for Thu 11-19", r(*WORKING, call_back="2026-11-19"), TUE, "2026-11-19", OVERDUE, CALL_BACK,
     "Call back requested for 2026-11-19: call that day to 2 workdays later"),
    ("asked for today", r(*WORKING, call_back=TUE), TUE, TUE, DUE, CALL_BACK,
     "Call back requested for 2026-11-24: call that day to 2 workdays later"),
    # Sat 11-28 opens Mon 11-30
    ("asked for a Saturday", r(*WORKING, call_back="2026-11-28"), TUE, "2026-11-30", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-11-28: call that day to 2 workdays later"),
    ("as text 'Dec 1, 2026'", r(*WORKING, call_back="Dec 1, 2026"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    # "call me in March" after a Not now (Mon 2027-03-01)
    ("after Not now", r("Working", "2026-11-16", "Not now", call_back="2027-03-01"), TUE, "2027-03-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2027-03-01: call that day to 2 workdays later"),
    # wins over rules 5-9
    ("customer", r("Customer", "2026-11-16", "Connected", call_back="2026-12-01"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    ("lost", r("Lost", "2026-11-16", "Connected", call_back="2026-12-01"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    ("stale", r("Stale", "2026-03-02", "Connected", call_back="2026-12-01"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    ("cut bait reached", r("New", "2026-11-16", "No answer", attempts=3, call_back="2026-12-01"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    ("no last contact yet", r("Working", call_back="2026-12-01"), TUE, "2026-12-01", SCHEDULED, CALL_BACK,
     "Call back requested for 2026-12-01: call that day to 2 workdays later"),
    # only a call back *after* the last contact counts
    ("same day as the last contact", r(*WORKING, call_back="2026-11-16"), TUE, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("before the last contact", r(*WORKING, call_back="2026-11-10"), TUE, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
]
# fmt: on


@pytest.mark.parametrize(
    ("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_4_CALL_BACK)
)
def test_rule_4_call_back(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


# ============================================================================================
# Rule 5: customers
# ============================================================================================

# fmt: off
RULE_5 = [
    # Thu 08-20 + 90 = Wed 11-18, + 104 = Wed 12-02
    ("customer: 90-104 days", r("Customer", "2026-08-20", "Connected"), TUE, "2026-11-18", DUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-20"),
    ("' customer '", r(" customer ", "2026-08-20", "Connected"), TUE, "2026-11-18", DUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-20"),
    # Sat 08-01 + 90 = Fri 10-30, + 104 = Fri 11-13
    ("customer, overdue", r("Customer", "2026-08-01", "Meeting"), TUE, "2026-10-30", OVERDUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-01"),
    # Mon 11-02 + 90 = Sun 2027-01-31 -> Mon 02-01; + 104 = Sun 02-14 -> Mon 02-15
    ("outcome Won", r("Working", "2026-11-02", "Won"), TUE, "2027-02-01", SCHEDULED, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-11-02"),
    # Mon 11-23 + 90 = Sun 2027-02-21 -> Mon 02-22
    ("Won, blank stage", r(None, "2026-11-23", "Won"), TUE, "2027-02-22", SCHEDULED, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-11-23"),
    ("Won beats stage Lost", r("Lost", "2026-08-20", "Won"), TUE, "2026-11-18", DUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-20"),
    ("customer says Not now", r("Customer", "2026-08-20", "Not now"), TUE, "2026-11-18", DUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-20"),
    ("no cut bait for customers", r("Customer", "2026-08-20", "No answer", attempts=9), TUE, "2026-11-18", DUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-20"),
    # Fri 05-01 + 90 = Thu 07-30 .. Thu 08-13; a typed Customer is never stale
    ("customer, long ago", r("Customer", "2026-05-01", "Connected"), TUE, "2026-07-30", OVERDUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-05-01"),
    ("customer, no last contact", r("Customer"), TUE, TUE, DUE, CHECK_IN,
     "Customer, never contacted: check-in call today"),
    # Sun 11-29 is no workday: Mon 11-30
    ("customer, no last contact, on a Sunday", r("Customer"), "2026-11-29", "2026-11-30", SCHEDULED, CHECK_IN,
     "Customer, never contacted: check-in call on the next workday"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_5))
def test_rule_5_customers(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


# ============================================================================================
# Rule 6: lost, not now, chose competitor
# ============================================================================================

# fmt: off
RULE_6 = [
    # 05-31 + 6 months = 11-30 (no 31 November), + 14 days = Mon 12-14
    ("lost: 6 months", r("Lost", "2026-05-31", "No answer"), TUE, "2026-11-30", SCHEDULED, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-05-31"),
    ("' LOST '", r(" LOST ", "2026-05-31", "Connected"), TUE, "2026-11-30", SCHEDULED, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-05-31"),
    # Sun 05-24 + 6 months = Tue 11-24 .. Tue 12-08: today is the first day
    ("not now", r("Working", "2026-05-24", "Not now"), TUE, TUE, DUE, CHECK_IN,
     "Lost (Not now): check-in call 6 months to 6 months + 14 days after 2026-05-24"),
    ("'not now' lower case", r("Working", "2026-05-24", "not now"), TUE, TUE, DUE, CHECK_IN,
     "Lost (Not now): check-in call 6 months to 6 months + 14 days after 2026-05-24"),
    # Fri 05-01 + 6 months = Sun 11-01 -> Mon 11-02; + 14 = Sun 11-15 -> Mon 11-16
    ("chose competitor", r("Working", "2026-05-01", "Chose competitor"), TUE, "2026-11-02", OVERDUE, CHECK_IN,
     "Lost (Chose competitor): check-in call 6 months to 6 months + 14 days after 2026-05-01"),
    # Tue 11-10 .. Tue 11-24: today is the last day
    ("last day of the window", r("Lost", "2026-05-10", "Connected"), TUE, "2026-11-10", DUE, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-05-10"),
    # month-end clamping: 03-31 + 6 months = Wed 09-30 (not 10-01) .. Wed 10-14
    ("31 March -> 30 September", r("Lost", "2026-03-31", "Connected"), TUE, "2026-09-30", OVERDUE, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-03-31"),
    # 08-31 + 6 months = Sun 2027-02-28 (not 03-03) -> Mon 03-01; + 14 = Sun 03-14 -> Mon 03-15
    ("31 August -> 28 February", r("Lost", "2026-08-31", "Connected"), TUE, "2027-03-01", SCHEDULED, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-08-31"),
    ("31 August, on Mon 2027-03-01", r("Lost", "2026-08-31", "Connected"), "2027-03-01", "2027-03-01", DUE, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-08-31"),
    # Mon 11-02 + 6 months = Sun 2027-05-02 -> Mon 05-03
    ("not now, blank stage", r(None, "2026-11-02", "Not now"), TUE, "2027-05-03", SCHEDULED, CHECK_IN,
     "Lost (Not now): check-in call 6 months to 6 months + 14 days after 2026-11-02"),
    # a lost row 266 days ago is not inferred stale: rule 6 matches first (09-02 .. 09-16)
    ("chose competitor long ago", r(None, "2026-03-02", "Chose competitor"), TUE, "2026-09-02", OVERDUE, CHECK_IN,
     "Lost (Chose competitor): check-in call 6 months to 6 months + 14 days after 2026-03-02"),
    ("no cut bait for lost rows", r("Lost", "2026-05-24", "No answer", attempts=9), TUE, TUE, DUE, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-05-24"),
    ("lost, no last contact", r("Lost"), TUE, TUE, DUE, CHECK_IN,
     "Lost, never contacted: check-in call today"),
    ("not now, no last contact, on a Saturday", r(None, None, "Not now"), "2026-11-28", "2026-11-30", SCHEDULED, CHECK_IN,
     "Lost (Not now), never contacted: check-in call on the next workday"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_6))
def test_rule_6_lost(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


def lost_in_may():
    # Wed 2026-05-20: "not now"; the check-in call on Fri 11-20 goes unanswered
    src = source(r("Working", "2026-05-20", "Not now"))
    sync(src, "2026-05-20")
    edit(src, "P1", {"Last Contact": "2026-11-20", "Last Outcome": "No answer"})
    sync(src, TUE)
    return src


def test_rule_6_lost_is_remembered_until_a_conversation():
    src = lost_in_may()
    # still lost: the next check-in 6 months after Fri 11-20: Thu 2027-05-20 .. Thu 06-03
    assert flag_and_date(src, "P1") == (SCHEDULED, d("2027-05-20"), CHECK_IN)
    assert written(src, "P1", "Attempts") == 1
    # the same cells with nothing remembered: a Working row, next call 10-14 days after Fri 11-20
    # (Mon 11-30 .. Fri 12-04; the email step lapsed on Mon 11-23)
    fresh = plan_one(r("Working", "2026-11-20", "No answer"), TUE)
    assert (fresh["Next Contact"], fresh["Flag"], fresh["Next Action"]) == (
        d("2026-11-30"),
        SCHEDULED,
        CALL,
    )

    # Wed 11-25: they pick up. 10-14 days: Sat 12-05 -> Mon 12-07 .. Wed 12-09
    edit(src, "P1", {"Last Contact": "2026-11-25", "Last Outcome": "Connected"})
    sync(src, "2026-11-25")
    assert flag_and_date(src, "P1") == (SCHEDULED, d("2026-12-07"), CALL)

    # Mon 12-07: no answer. No longer lost: the follow-up email, Mon 12-07 .. Tue 12-08
    edit(src, "P1", {"Last Contact": "2026-12-07", "Last Outcome": "No answer"})
    sync(src, "2026-12-08")
    assert flag_and_date(src, "P1") == (DUE, d("2026-12-07"), FOLLOW_UP_EMAIL)


def test_rule_6_a_stage_edit_ends_lost():
    src = lost_in_may()
    edit(src, "P1", {"Stage": "New"})
    sync(src, "2026-11-25")
    # New, 1 attempt, last contact Fri 11-20: 10-14 days, Mon 11-30 .. Fri 12-04
    assert flag_and_date(src, "P1") == (SCHEDULED, d("2026-11-30"), CALL)


# ============================================================================================
# Rule 7: stale leads, the 5+5+5 system
# ============================================================================================


def stale_rows(n: int, owners: tuple[str | None, ...] = ("Dana",)) -> list[dict]:
    """n typed-Stale rows S01.. with last contacts Mon 2026-01-05, 01-06, ... (oldest first), so
    that the queue order is the sheet order; owners are dealt round-robin."""
    return [
        r(
            "Stale",
            (dt.date(2026, 1, 5) + dt.timedelta(days=i)).isoformat(),
            "No answer",
            id=f"S{i + 1:02d}",
            owner=owners[i % len(owners)],
            priority=None,
            note_sent=None,
        )
        for i in range(n)
    ]


def queue(rows: list[dict], today: str, config=DEFAULT) -> list[tuple]:
    return [(row["Flag"], row["Next Contact"]) for row in plan(sheet(*rows), today, config)]


def days(flag: str, date: str, n: int) -> list[tuple]:
    return [(flag, d(date))] * n


# (case, rows, today, config, expected (Flag, Next Contact) per row in sheet order)
# fmt: off
RULE_7_QUEUE = [
    ("Tue, 7 stale: 5 cards, 2 queued for Wed", 7, TUE, DEFAULT,
     days(CARD, TUE, 5) + days(QUEUED, "2026-11-25", 2)),
    ("Tue, 13 stale", 13, TUE, DEFAULT,
     days(CARD, TUE, 5) + days(QUEUED, "2026-11-25", 5) + days(QUEUED, "2026-11-26", 3)),
    ("Fri, 7 stale: queued for Mon", 7, "2026-11-27", DEFAULT,
     days(CARD, "2026-11-27", 5) + days(QUEUED, "2026-11-30", 2)),
    # new cards on workdays only
    ("Sat, 7 stale: no card today", 7, "2026-11-28", DEFAULT,
     days(QUEUED, "2026-11-30", 5) + days(QUEUED, "2026-12-01", 2)),
    ("Sun, 2 stale", 2, "2026-11-29", DEFAULT, days(QUEUED, "2026-11-30", 2)),
    ("Wed, 12 stale", 12, "2026-11-25", DEFAULT,
     days(CARD, "2026-11-25", 5) + days(QUEUED, "2026-11-26", 5) + days(QUEUED, "2026-11-27", 2)),
    # Thanksgiving Thu 11-26 is no card day
    ("Wed, 12 stale, US holidays", 12, "2026-11-25", US,
     days(CARD, "2026-11-25", 5) + days(QUEUED, "2026-11-27", 5) + days(QUEUED, "2026-11-30", 2)),
    ("Thanksgiving, US holidays", 2, "2026-11-26", US, days(QUEUED, "2026-11-27", 2)),
]
# fmt: on


@pytest.mark.parametrize(("n", "today", "config", "expected"), cases(RULE_7_QUEUE))
def test_rule_7_card_queue(n, today, config, expected):
    assert queue(stale_rows(n), today, config) == expected


def test_rule_7_why_of_cards_and_queue():
    rows = plan(sheet(*stale_rows(7)), TUE)
    card = "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"
    assert [row["Why"] for row in rows] == [
        card,
        card,
        card,
        card,
        card,
        "Stale, 5+5+5: number 1 in the card queue at 5 cards a day",
        "Stale, 5+5+5: number 2 in the card queue at 5 cards a day",
    ]


def test_rule_7_card_queue_order():
    # one card a day, so every row's Next Contact shows its place in the queue
    one_a_day = parse_config({"rules": {"cards_per_day": 1}})
    rows = [
        r("Stale", "2026-03-10", "No answer", id="S1", priority="B"),
        r("Stale", "2026-01-05", "No answer", id="S2"),
        r("Stale", "2026-04-01", "No answer", id="S3", priority="A"),
        r("Stale", None, None, id="S4", priority="C"),  # no last contact = oldest
        r("Stale", "2026-02-02", "No answer", id="S5"),
        r("Stale", "2026-02-02", "No answer", id="S6"),  # same day as S5: sheet order
        r("Stale", "2026-05-01", "No answer", id="S7", priority="a"),
    ]
    # order: S3, S7 (priority A), S4 (none), S2 (01-05), S5, S6 (02-02), S1 (03-10)
    assert queue(rows, TUE, one_a_day) == [
        (QUEUED, d("2026-12-02")),  # S1, 7th: Wed 12-02
        (QUEUED, d("2026-11-27")),  # S2, 4th: Fri
        (CARD, d(TUE)),  # S3, 1st
        (QUEUED, d("2026-11-26")),  # S4, 3rd: Thu
        (QUEUED, d("2026-11-30")),  # S5, 5th: Mon
        (QUEUED, d("2026-12-01")),  # S6, 6th: Tue
        (QUEUED, d("2026-11-25")),  # S7, 2nd: Wed
    ]
    # five a day: S3, S7, S4, S2, S5 get today's cards; S6 and S1 wait for Wed 11-25
    wed = (QUEUED, d("2026-11-25"))
    card = (CARD, d(TUE))
    assert queue(rows, TUE) == [wed, card, card, card, card, wed, card]


def test_rule_7_one_queue_per_owner():
    # owners are compared case- and space-insensitively; a blank owner is a queue of its own
    owners = (
        "Dana",
        "Lee",
        None,
        "DANA ",
        "",
        " dana",
        None,
        "Dana",
        "Lee",
        "",
        "Dana",
        None,
        "dana",
        "",
        None,
        "Dana",
    )
    rows = [
        r(
            "Stale",
            (dt.date(2026, 1, 5) + dt.timedelta(days=i)).isoformat(),
            "No answer",
            id=f"S{i + 1:02d}",
            owner=o,
        )
        for i, o in enumerate(owners)
    ]
    got = queue(rows, TUE)
    card, wed = (CARD, d(TUE)), (QUEUED, d("2026-11-25"))
    # Dana: S01 S04 S06 S08 S11 S13 S16 (7); Lee: S02 S09 (2); blank: S03 S05 S07 S10 S12 S14 S15 (7)
    expected = {i: card for i in range(16)}
    for late in (12, 15, 13, 14):  # Dana's S13, S16 and the blank owner's S14, S15
        expected[late] = wed
    assert got == [expected[i] for i in range(16)]


def test_rule_7_a_card_is_kept_and_never_bumped():
    src = source(*stale_rows(5))
    sync(src, TUE)
    assert [flag_and_date(src, f"S0{i}") for i in range(1, 6)] == [(CARD, d(TUE), NOTE)] * 5

    # a newly stale lead with priority A and an older last contact arrives on Wed
    add_row(src, r("Stale", "2025-12-01", "No answer", id="S06", priority="A"))
    sync(src, "2026-11-25")
    # the five unsent cards keep CARD (given on Tue) and fill Wed's quota: S06 waits for Thu
    assert [flag_and_date(src, f"S0{i}") for i in range(1, 6)] == [(CARD, d(TUE), NOTE)] * 5
    assert flag_and_date(src, "S06") == (QUEUED, d("2026-11-26"), NOTE)

    # Thu: two notes were mailed on Wed; their calls come 5 workdays later: Thu 11-26 (1),
    # Fri (2), Mon 11-30 (3), Tue (4), Wed 12-02 (5). Two slots free up: S06 gets its card.
    edit(src, "S01", {"Note Sent": "2026-11-25", "Last Contact": "2026-11-25"})
    edit(src, "S02", {"Note Sent": "2026-11-25"})
    sync(src, "2026-11-26")
    assert flag_and_date(src, "S01") == (SCHEDULED, d("2026-12-02"), NOTE_CALL)
    assert flag_and_date(src, "S02") == (SCHEDULED, d("2026-12-02"), NOTE_CALL)
    assert [flag_and_date(src, f"S0{i}") for i in range(3, 6)] == [(CARD, d(TUE), NOTE)] * 3
    assert flag_and_date(src, "S06") == (CARD, d("2026-11-26"), NOTE)


def test_rule_7_a_row_leaving_the_pool_frees_its_slot():
    src = source(*stale_rows(6))
    sync(src, TUE)
    assert flag_and_date(src, "S06") == (QUEUED, d("2026-11-25"), NOTE)
    # Wed: S01 is reached and its Stage edited: it leaves the stale pool, S06 takes its slot
    edit(
        src, "S01", {"Stage": "Working", "Last Contact": "2026-11-25", "Last Outcome": "Connected"}
    )
    sync(src, "2026-11-25")
    # Wed 11-25 + 10 = Sat 12-05 -> Mon 12-07
    assert flag_and_date(src, "S01") == (SCHEDULED, d("2026-12-07"), CALL)
    assert [flag_and_date(src, f"S0{i}") for i in range(2, 6)] == [(CARD, d(TUE), NOTE)] * 4
    assert flag_and_date(src, "S06") == (CARD, d("2026-11-25"), NOTE)


def test_rule_7_a_conversation_ends_inferred_stale():
    src = source(r(None, "2026-05-01", "No answer"))  # blank stage, 207 days: Stale
    sync(src, TUE)
    assert flag_and_date(src, "P1") == (CARD, d(TUE), NOTE)
    # Wed 11-25 they pick up: Working, 10-14 days, Sat 12-05 -> Mon 12-07
    edit(src, "P1", {"Last Contact": "2026-11-25", "Last Outcome": "Connected"})
    sync(src, "2026-11-25")
    assert flag_and_date(src, "P1") == (SCHEDULED, d("2026-12-07"), CALL)


# (case, row, today, next contact, flag, next action, the exact Why); typed Stale rows
# fmt: off
RULE_7_NOTE = [
    # the call comes exactly 5 workdays after the note: Tue 11-17 -> Wed, Thu, Fri, Mon, Tue 11-24
    ("note Tue 11-17: call today", r("Stale", "2026-03-02", "No answer", note_sent="2026-11-17"), TUE, TUE, DUE, NOTE_CALL,
     "Stale: note sent 2026-11-17, call 5 workdays later as promised"),
    # Fri 11-20 -> Mon, Tue, Wed, Thu, Fri 11-27
    ("note Fri 11-20", r("Stale", "2026-03-02", "No answer", note_sent="2026-11-20"), TUE, "2026-11-27", SCHEDULED, NOTE_CALL,
     "Stale: note sent 2026-11-20, call 5 workdays later as promised"),
    # Fri 11-13 -> Fri 11-20, a one-day window: overdue since
    ("note Fri 11-13", r("Stale", "2026-03-02", "No answer", note_sent="2026-11-13"), TUE, "2026-11-20", OVERDUE, NOTE_CALL,
     "Stale: note sent 2026-11-13, call 5 workdays later as promised"),
    # Tue 11-24 -> Wed, Thu, Fri, Mon, Tue 12-01
    ("note today", r("Stale", "2026-03-02", "No answer", note_sent=TUE), TUE, "2026-12-01", SCHEDULED, NOTE_CALL,
     "Stale: note sent 2026-11-24, call 5 workdays later as promised"),
    ("note as text 11/17/2026", r("Stale", "2026-03-02", "No answer", note_sent="11/17/2026"), TUE, TUE, DUE, NOTE_CALL,
     "Stale: note sent 2026-11-17, call 5 workdays later as promised"),
    # the note itself recorded as the last touch: no contact on a *later* day
    ("note and last contact the same day", r("Stale", "2026-11-17", "No answer", note_sent="2026-11-17"), TUE, TUE, DUE, NOTE_CALL,
     "Stale: note sent 2026-11-17, call 5 workdays later as promised"),
    ("blank stage, inferred stale", r(None, "2026-03-02", "No answer", note_sent="2026-11-17"), TUE, TUE, DUE, NOTE_CALL,
     "Stale: note sent 2026-11-17, call 5 workdays later as promised"),
    # a contact after the note: rules 8 and 9 with the Stale cut-bait limit (3)
    # Wed 11-11 + 10 = Sat 11-21 -> Mon 11-23 .. Wed 11-25
    ("called after the note, 2 attempts", r("Stale", "2026-11-11", "No answer", note_sent="2026-11-02", attempts=2), TUE, "2026-11-23", DUE, CALL,
     "Stale, 2 attempts: follow up 10-14 days after 2026-11-11"),
    # Wed 11-11 + 180 days = Mon 2027-05-10
    ("called after the note, 3 attempts", r("Stale", "2026-11-11", "No answer", note_sent="2026-11-02", attempts=3), TUE, "2027-05-10", CUT, None,
     "Stale, 3 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-11"),
    # Wed 11-11 + 6 months = Tue 2027-05-11 .. + 8 months = Sun 07-11 -> Mon 07-12
    ("same, priority A: re-try", r("Stale", "2026-11-11", "No answer", note_sent="2026-11-02", attempts=3, priority="A"), TUE, "2027-05-11", SCHEDULED, RETRY,
     "Stale, 3 attempts: priority A past cut bait 3, re-try call 6-8 months after 2026-11-11"),
    ("a Working row with a note: limit 8", r("Working", "2026-11-11", "No answer", note_sent="2026-11-02", attempts=3), TUE, "2026-11-23", DUE, CALL,
     "Working, 3 attempts: follow up 10-14 days after 2026-11-11"),
    ("called after the note yesterday", r("Stale", "2026-11-23", "No answer", note_sent="2026-11-02", attempts=1), TUE, "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "Stale, 1 attempt: No answer on 2026-11-23, follow-up email by the next workday"),
    # a note older than the last contact: 180 days ago is this cycle, 181 an earlier one
    # Mon 06-01 + 10 = Thu 06-11 .. Mon 06-15
    ("note 180 days ago", r("Stale", "2026-06-01", "No answer", note_sent="2026-05-28", attempts=1), TUE, "2026-06-11", OVERDUE, CALL,
     "Stale, 1 attempt: follow up 10-14 days after 2026-06-01"),
    ("note 181 days ago: a new card", r("Stale", "2026-06-01", "No answer", note_sent="2026-05-27"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("note a year ago", r("Stale", "2026-01-15", "No answer", note_sent="2025-12-01"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("no note: card", r("Stale", "2026-03-02", "No answer"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("no last contact: card", r("Stale"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("at the limit, not A: card", r("Stale", "2026-03-02", "No answer", attempts=3), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("priority A below the limit: card", r("Stale", "2026-03-02", "No answer", attempts=2, priority="A"), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    # priority A at the limit follows rule 8: Mon 03-02 + 6 months = Wed 09-02 .. Mon 11-02
    ("priority A at the limit: re-try", r("Stale", "2026-03-02", "No answer", attempts=3, priority="A"), TUE, "2026-09-02", OVERDUE, RETRY,
     "Stale, 3 attempts: priority A past cut bait 3, re-try call 6-8 months after 2026-03-02"),
]
# fmt: on


@pytest.mark.parametrize(
    ("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_7_NOTE)
)
def test_rule_7_note_and_follow_up_call(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


# ============================================================================================
# Rule 8: cut bait
# ============================================================================================

# fmt: off
RULE_8 = [
    # CUT until Thu 11-05 + 180 days = Tue 2027-05-04
    ("New at 3", r("New", "2026-11-05", "No answer", attempts=3), TUE, "2027-05-04", CUT, None,
     "New, 3 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-05"),
    ("New over 3", r("New", "2026-11-05", "No answer", attempts=4), TUE, "2027-05-04", CUT, None,
     "New, 4 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-05"),
    ("New, blank stage", r(None, "2026-11-05", "No answer", attempts=3), TUE, "2027-05-04", CUT, None,
     "New, 3 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-05"),
    ("Working at 8", r("Working", "2026-11-05", "No answer", attempts=8), TUE, "2027-05-04", CUT, None,
     "Working, 8 attempts: cut bait at 8, back to the stale pool 180 days after 2026-11-05"),
    # under the limit, rule 9: Thu 11-05 + 10 = Sun 11-15 -> Mon 11-16 .. Thu 11-19
    ("New at 2", r("New", "2026-11-05", "No answer", attempts=2), TUE, "2026-11-16", OVERDUE, CALL,
     "New, 2 attempts: follow up 10-14 days after 2026-11-05"),
    ("Working at 7", r("Working", "2026-11-05", "No answer", attempts=7), TUE, "2026-11-16", OVERDUE, CALL,
     "Working, 7 attempts: follow up 10-14 days after 2026-11-05"),
    ("Working at 3", r("Working", "2026-11-05", "No answer", attempts=3), TUE, "2026-11-16", OVERDUE, CALL,
     "Working, 3 attempts: follow up 10-14 days after 2026-11-05"),
    # recycling: Fri 05-29 is 179 days ago, it recycles tomorrow
    ("179 days: still cut", r("Working", "2026-05-29", "No answer", attempts=8), TUE, "2026-11-25", CUT, None,
     "Working, 8 attempts: cut bait at 8, back to the stale pool 180 days after 2026-05-29"),
    # 180 days (Thu 05-28) and more: remembered stale, Attempts 0, rule 7 (one stale row: a card)
    ("180 days: recycled", r("Working", "2026-05-28", "No answer", attempts=8), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("207 days: recycled", r("New", "2026-05-01", "No answer", attempts=3), TUE, TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    # priority A: re-try 6 to 8 months after the last contact
    # Mon 11-02 + 6 months = Sun 2027-05-02 -> Mon 05-03; + 8 months = Fri 07-02
    ("A, New at 3", r("New", "2026-11-02", "No answer", attempts=3, priority="A"), TUE, "2027-05-03", SCHEDULED, RETRY,
     "New, 3 attempts: priority A past cut bait 3, re-try call 6-8 months after 2026-11-02"),
    ("A lower case", r("New", "2026-11-02", "No answer", attempts=3, priority="a"), TUE, "2027-05-03", SCHEDULED, RETRY,
     "New, 3 attempts: priority A past cut bait 3, re-try call 6-8 months after 2026-11-02"),
    # Fri 05-15 + 6 months = Sun 11-15 -> Mon 11-16 .. Fri 2027-01-15
    ("A, inside the window", r("New", "2026-05-15", "No answer", attempts=3, priority="A"), TUE, "2026-11-16", DUE, RETRY,
     "New, 3 attempts: priority A past cut bait 3, re-try call 6-8 months after 2026-05-15"),
    # Mon 03-02: Wed 09-02 .. Mon 11-02
    ("A, Working at 8, past the window", r("Working", "2026-03-02", "No answer", attempts=8, priority="A"), TUE, "2026-09-02", OVERDUE, RETRY,
     "Working, 8 attempts: priority A past cut bait 8, re-try call 6-8 months after 2026-03-02"),
    # month ends: 03-31 + 6 months = Wed 09-30, + 8 months = Mon 11-30
    ("A, 31 March", r("New", "2026-03-31", "No answer", attempts=3, priority="A"), TUE, "2026-09-30", DUE, RETRY,
     "New, 3 attempts: priority A past cut bait 3, re-try call 6-8 months after 2026-03-31"),
    # the recycle day is a workday: Tue 11-03 + 180 days = Sun 2027-05-02 -> Mon 05-03
    ("recycle day on a Sunday", r("New", "2026-11-03", "No answer", attempts=3), TUE, "2027-05-03", CUT, None,
     "New, 3 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-03"),
    ("same, on Sun 2027-05-02: still cut", r("New", "2026-11-03", "No answer", attempts=3), "2027-05-02", "2027-05-03", CUT, None,
     "New, 3 attempts: cut bait at 3, back to the stale pool 180 days after 2026-11-03"),
    ("same, on Mon 2027-05-03: recycled", r("New", "2026-11-03", "No answer", attempts=3), "2027-05-03", "2027-05-03", CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2027-05-03 (5 cards a day per owner)"),
    # Sat 11-07 + 180 days = Thu 2027-05-06: a workday, no move
    ("recycle day on a Thursday", r("Working", "2026-11-07", "No answer", attempts=8), TUE, "2027-05-06", CUT, None,
     "Working, 8 attempts: cut bait at 8, back to the stale pool 180 days after 2026-11-07"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_8))
def test_rule_8_cut_bait(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


def test_rule_8_recycled_attempts_are_reset():
    row = plan_one(r("Working", "2026-05-01", "No answer", attempts=8), TUE)
    assert (row["Flag"], row["Attempts"]) == (CARD, 0)


def test_rule_8_recycling_off():
    never = parse_config({"rules": {"recycle_after_days": 0}})
    why = "Working, 8 attempts: cut bait at 8"
    expect(r("Working", "2026-05-01", "No answer", attempts=8), TUE, None, CUT, None, why, never)


def test_rule_8_a_recycled_row_stays_stale():
    # Mon 11-02: 8 unanswered attempts, last Fri 05-15: CUT until 05-15 + 180 days = Wed 11-11
    src = source(r("Working", "2026-05-15", "No answer", attempts=8, note_sent=None))
    sync(src, "2026-11-02")
    assert flag_and_date(src, "P1") == (CUT, d("2026-11-11"), None)

    sync(src, "2026-11-11")  # recycles: remembered stale, Attempts 0, a card
    assert flag_and_date(src, "P1") == (CARD, d("2026-11-11"), NOTE)
    assert written(src, "P1", "Attempts") == 0

    sync(src, "2026-11-12")  # a Working row with 0 attempts, but remembered stale: keeps its card
    assert flag_and_date(src, "P1") == (CARD, d("2026-11-11"), NOTE)

    # the note is mailed on Thu 11-12: the call 5 workdays later, Fri 13, Mon 16 .. Thu 11-19
    edit(src, "P1", {"Note Sent": "2026-11-12"})
    sync(src, "2026-11-12")
    assert flag_and_date(src, "P1") == (SCHEDULED, d("2026-11-19"), NOTE_CALL)

    # the calls go unanswered; the Stale limit (3), not Working's 8, applies
    for day, attempts in (("2026-11-19", 1), ("2026-11-23", 2)):
        edit(src, "P1", {"Last Contact": day, "Last Outcome": "No answer"})
        sync(src, day)
        assert flag_and_date(src, "P1") == (DUE, d(day), FOLLOW_UP_EMAIL)
        assert written(src, "P1", "Attempts") == attempts
    edit(src, "P1", {"Last Contact": "2026-11-25", "Last Outcome": "No answer"})
    sync(src, "2026-11-25")
    # Wed 11-25 + 180 days = Mon 2027-05-24
    assert flag_and_date(src, "P1") == (CUT, d("2027-05-24"), None)
    assert written(src, "P1", "Attempts") == 3


# ============================================================================================
# Rule 9: follow-up (New and Working)
# ============================================================================================


def test_rule_9_product_example():
    why = "Working, 3 attempts: follow up 10-14 days after 2026-11-02"
    expect(
        r("Working", "2026-11-02", "No answer", attempts=3), TUE, "2026-11-12", OVERDUE, CALL, why
    )


# fmt: off
RULE_9 = [
    # 10-14 days after Mon 11-16: Thu 11-26 .. Mon 11-30
    ("connected", r(*WORKING), TUE, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    # Thu 11-12: Sun 11-22 -> Mon 11-23 .. Thu 11-26
    ("window opened on a Sunday", r("Working", "2026-11-12", "Connected"), TUE, "2026-11-23", DUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-12"),
    # Tue 11-10: Fri 11-20 .. Tue 11-24
    ("today is the last day", r("Working", "2026-11-10", "Connected"), TUE, "2026-11-20", DUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-10"),
    # Mon 11-09: Thu 11-19 .. Mon 11-23
    ("past the last day", r("Working", "2026-11-09", "Connected"), TUE, "2026-11-19", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-09"),
    # Sun 11-08: Wed 11-18 .. Sun 11-22 -> Mon 11-23: on Mon still due
    ("last day on a Sunday moves to Monday", r("Working", "2026-11-08", "Meeting"), "2026-11-23", "2026-11-18", DUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-08"),
    # Wed 11-11, today Fri 11-20: Sat 11-21 -> Mon 11-23 .. Wed 11-25
    ("window opening on a Saturday opens Monday", r("Working", "2026-11-11", "Connected"), "2026-11-20", "2026-11-23", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-11"),
    ("New, email sent", r("New", "2026-11-16", "Email sent"), TUE, "2026-11-26", SCHEDULED, CALL,
     "New, 0 attempts: follow up 10-14 days after 2026-11-16"),
    # Tue 11-24 + 10 = Fri 12-04
    ("connected today", r("Working", TUE, "Connected"), TUE, "2026-12-04", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-24"),
    ("New, no last contact: call today", r("New"), TUE, TUE, DUE, CALL,
     "New, never contacted: call today"),
    ("Working, no last contact", r("Working"), TUE, TUE, DUE, CALL,
     "Working, never contacted: call today"),
    # today Sat 11-28 is no workday: the call opens Mon 11-30
    ("no last contact, on a Saturday", r("New"), "2026-11-28", "2026-11-30", SCHEDULED, CALL,
     "New, never contacted: call on the next workday"),
    ("preferred channel Email", r(*WORKING, preferred_channel="Email"), TUE, "2026-11-26", SCHEDULED, EMAIL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("preferred channel ' EMAIL '", r(*WORKING, preferred_channel=" EMAIL "), TUE, "2026-11-26", SCHEDULED, EMAIL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("preferred channel Call", r(*WORKING, preferred_channel="Call"), TUE, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
]
# fmt: on


@pytest.mark.parametrize(("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_9))
def test_rule_9_follow_up(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


# One call, then an email that day: window from the call to the next workday after it.
# fmt: off
RULE_9_EMAIL = [
    # Fri 11-20 .. Mon 11-23
    ("no answer Fri, today Mon", r("Working", "2026-11-20", "No answer"), "2026-11-23", "2026-11-20", DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: No answer on 2026-11-20, follow-up email by the next workday"),
    ("voicemail today", r("Working", TUE, "Voicemail"), TUE, TUE, DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: Voicemail on 2026-11-24, follow-up email by the next workday"),
    ("no answer on Mon, the last workday", r("Working", "2026-11-23", "No answer"), TUE, "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: No answer on 2026-11-23, follow-up email by the next workday"),
    ("New lead", r("New", "2026-11-23", "No answer"), TUE, "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "New, 0 attempts: No answer on 2026-11-23, follow-up email by the next workday"),
    ("blank stage", r(None, "2026-11-23", "Voicemail"), TUE, "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "New, 0 attempts: Voicemail on 2026-11-23, follow-up email by the next workday"),
    ("on a Saturday, Friday was the last workday", r("Working", "2026-11-20", "Voicemail"), "2026-11-21", "2026-11-20", DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: Voicemail on 2026-11-20, follow-up email by the next workday"),
    ("before a Contact Every window", r("Working", "2026-11-23", "No answer", contact_every=7), TUE, "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: No answer on 2026-11-23, follow-up email by the next workday"),
    # lapsed: Fri 11-20 is not the last workday before Tue; 10-14 days: Mon 11-30 .. Fri 12-04
    ("no answer Fri, today Tue: lapsed", r("Working", "2026-11-20", "No answer"), TUE, "2026-11-30", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-20"),
    # only No answer and Voicemail; Mon 11-23 + 10 = Thu 12-03 .. Mon 12-07
    ("email sent yesterday: no email step", r("Working", "2026-11-23", "Email sent"), TUE, "2026-12-03", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-23"),
    ("connected yesterday", r("Working", "2026-11-23", "Connected"), TUE, "2026-12-03", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-23"),
]
# fmt: on


@pytest.mark.parametrize(
    ("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_9_EMAIL)
)
def test_rule_9_follow_up_email(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


# Which gap: Contact Every n (n to n+4) first, else the Phase window, else 10-14.
# Last contact Mon 11-02 Connected unless said.
LC_1102 = ("Working", "2026-11-02", "Connected")
# fmt: off
RULE_9_GAP = [
    # Mon 11-16 + 7 = Mon 11-23 .. + 11 = Fri 11-27
    ("contact every 7", r(*WORKING, contact_every=7), TUE, "2026-11-23", DUE, CALL,
     "Working, 0 attempts: contact every 7 days as asked, 7-11 days after 2026-11-16"),
    ("contact every 7, Email", r(*WORKING, contact_every=7, preferred_channel="Email"), TUE, "2026-11-23", DUE, EMAIL,
     "Working, 0 attempts: contact every 7 days as asked, 7-11 days after 2026-11-16"),
    ("contact every 7.0", r(*WORKING, contact_every=7.0), TUE, "2026-11-23", DUE, CALL,
     "Working, 0 attempts: contact every 7 days as asked, 7-11 days after 2026-11-16"),
    # Mon 11-23 + 1 = Tue 11-24 .. + 5 = Sat 11-28 -> Mon 11-30
    ("contact every 1", r("Working", "2026-11-23", "Connected", contact_every=1), TUE, TUE, DUE, CALL,
     "Working, 0 attempts: contact every 1 days as asked, 1-5 days after 2026-11-23"),
    # Mon 01-05 + 365 = Tue 2027-01-05 .. + 369 = Sat 01-09 -> Mon 01-11
    ("contact every 365", r("Working", "2026-01-05", "Connected", contact_every=365), TUE, "2027-01-05", SCHEDULED, CALL,
     "Working, 0 attempts: contact every 365 days as asked, 365-369 days after 2026-01-05"),
    # Contact Every wins over Phase: Mon 11-02 + 30 = Wed 12-02 .. + 34 = Sun 12-06 -> Mon 12-07
    ("contact every beats phase", r(*LC_1102, contact_every=30, phase="Negotiation"), TUE, "2026-12-02", SCHEDULED, CALL,
     "Working, 0 attempts: contact every 30 days as asked, 30-34 days after 2026-11-02"),
    # phase windows from Mon 11-02
    ("Need 30-44", r(*LC_1102, phase="Need"), TUE, "2026-12-02", SCHEDULED, CALL,  # .. Wed 12-16
     "Working, 0 attempts: phase Need, follow up 30-44 days after 2026-11-02"),
    ("Solutions 30-44", r(*LC_1102, phase="Solutions"), TUE, "2026-12-02", SCHEDULED, CALL,
     "Working, 0 attempts: phase Solutions, follow up 30-44 days after 2026-11-02"),
    ("Suppliers 21-28", r(*LC_1102, phase="Suppliers"), TUE, "2026-11-23", DUE, CALL,  # .. Mon 11-30
     "Working, 0 attempts: phase Suppliers, follow up 21-28 days after 2026-11-02"),
    ("Research 14-21", r(*LC_1102, phase="Research"), TUE, "2026-11-16", OVERDUE, CALL,  # .. Mon 11-23
     "Working, 0 attempts: phase Research, follow up 14-21 days after 2026-11-02"),
    ("Preference 7-10", r(*LC_1102, phase="Preference"), TUE, "2026-11-09", OVERDUE, CALL,  # .. Thu 11-12
     "Working, 0 attempts: phase Preference, follow up 7-10 days after 2026-11-02"),
    # Thu 11-05 .. Sat 11-07 -> Mon 11-09
    ("Negotiation 3-5", r(*LC_1102, phase="Negotiation"), TUE, "2026-11-05", OVERDUE, CALL,
     "Working, 0 attempts: phase Negotiation, follow up 3-5 days after 2026-11-02"),
    # Sun 2027-01-31 -> Mon 02-01 .. Sun 02-14 -> Mon 02-15
    ("Repeat 90-104", r(*LC_1102, phase="Repeat"), TUE, "2027-02-01", SCHEDULED, CALL,
     "Working, 0 attempts: phase Repeat, follow up 90-104 days after 2026-11-02"),
    ("phase ' need '", r(*LC_1102, phase=" need "), TUE, "2026-12-02", SCHEDULED, CALL,
     "Working, 0 attempts: phase Need, follow up 30-44 days after 2026-11-02"),
    # other last contacts: Fri 11-20 + 3 = Mon 11-23 .. Wed 11-25
    ("Negotiation, due", r("Working", "2026-11-20", "Connected", phase="Negotiation"), TUE, "2026-11-23", DUE, CALL,
     "Working, 0 attempts: phase Negotiation, follow up 3-5 days after 2026-11-20"),
    # Mon 11-16 + 7 = Mon 11-23 .. Thu 11-26
    ("Preference, due", r(*WORKING, phase="Preference"), TUE, "2026-11-23", DUE, CALL,
     "Working, 0 attempts: phase Preference, follow up 7-10 days after 2026-11-16"),
    # Mon 11-09 + 14 = Mon 11-23 .. Mon 11-30
    ("Research, due", r("Working", "2026-11-09", "Connected", phase="Research"), TUE, "2026-11-23", DUE, CALL,
     "Working, 0 attempts: phase Research, follow up 14-21 days after 2026-11-09"),
    ("phase with channel Email", r(*LC_1102, phase="Need", preferred_channel="Email"), TUE, "2026-12-02", SCHEDULED, EMAIL,
     "Working, 0 attempts: phase Need, follow up 30-44 days after 2026-11-02"),
]
# fmt: on


@pytest.mark.parametrize(
    ("cells", "today", "next_contact", "flag", "action", "why"), cases(RULE_9_GAP)
)
def test_rule_9_contact_every_and_phase(cells, today, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why)


# ============================================================================================
# Windows and public holidays (only when configured)
# ============================================================================================

# (case, row, today, config, next contact, flag, next action, the exact Why)
# fmt: off
HOLIDAYS = [
    # Mon 11-16 + 10 = Thu 11-26, Thanksgiving -> Fri 11-27
    ("10-14 days over Thanksgiving", r(*WORKING), TUE, US, "2026-11-27", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    ("same, no holidays configured", r(*WORKING), TUE, DEFAULT, "2026-11-26", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-16"),
    # Sun 11-01 + 10 = Wed 11-11, Veterans Day -> Thu 11-12; + 14 = Sun 11-15 -> Mon 11-16
    ("Veterans Day", r("Working", "2026-11-01", "Connected"), TUE, US, "2026-11-12", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-01"),
    ("same, no holidays configured", r("Working", "2026-11-01", "Connected"), TUE, DEFAULT, "2026-11-11", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-01"),
    # Wed 11-25 is the last workday before Fri 11-27 when Thanksgiving is off: email Wed .. Fri
    ("follow-up email over Thanksgiving", r("Working", "2026-11-25", "No answer"), "2026-11-27", US, "2026-11-25", DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: No answer on 2026-11-25, follow-up email by the next workday"),
    # without holidays Thu 11-26 was the last workday: lapsed; Sat 12-05 -> Mon 12-07
    ("same, no holidays configured", r("Working", "2026-11-25", "No answer"), "2026-11-27", DEFAULT, "2026-12-07", SCHEDULED, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-25"),
    # call back Wed 11-25 .. 2 workdays: Fri 11-27, Mon 11-30 (US) or Thu, Fri 11-27
    ("call back over Thanksgiving", r(*WORKING, call_back="2026-11-25"), "2026-11-30", US, "2026-11-25", DUE, CALL_BACK,
     "Call back requested for 2026-11-25: call that day to 2 workdays later"),
    ("same, no holidays configured", r(*WORKING, call_back="2026-11-25"), "2026-11-30", DEFAULT, "2026-11-25", OVERDUE, CALL_BACK,
     "Call back requested for 2026-11-25: call that day to 2 workdays later"),
    # note Fri 11-20: Mon, Tue, Wed, Fri, Mon 11-30 (US) or Mon .. Fri 11-27
    ("note call over Thanksgiving", r("Stale", "2026-03-02", "No answer", note_sent="2026-11-20"), TUE, US, "2026-11-30", SCHEDULED, NOTE_CALL,
     "Stale: note sent 2026-11-20, call 5 workdays later as promised"),
    ("same, no holidays configured", r("Stale", "2026-03-02", "No answer", note_sent="2026-11-20"), TUE, DEFAULT, "2026-11-27", SCHEDULED, NOTE_CALL,
     "Stale: note sent 2026-11-20, call 5 workdays later as promised"),
    # Fri 08-28 + 90 = Thu 11-26
    ("customer check-in on Thanksgiving", r("Customer", "2026-08-28", "Connected"), TUE, US, "2026-11-27", SCHEDULED, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-28"),
    ("same, no holidays configured", r("Customer", "2026-08-28", "Connected"), TUE, DEFAULT, "2026-11-26", SCHEDULED, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-28"),
    # Tue 05-26 + 6 months = Thu 11-26
    ("lost check-in on Thanksgiving", r("Lost", "2026-05-26", "Connected"), TUE, US, "2026-11-27", SCHEDULED, CHECK_IN,
     "Lost: check-in call 6 months to 6 months + 14 days after 2026-05-26"),
]
# fmt: on


@pytest.mark.parametrize(
    ("cells", "today", "config", "next_contact", "flag", "action", "why"), cases(HOLIDAYS)
)
def test_windows_and_holidays(cells, today, config, next_contact, flag, action, why):
    expect(cells, today, next_contact, flag, action, why, config)


# ============================================================================================
# Attempts
# ============================================================================================


@pytest.mark.parametrize(
    ("typed", "expected"), [(None, 0), ("", 0), (0, 0), (2, 2), (5, 5), (2.0, 2)]
)
def test_attempts_first_sync_takes_the_typed_value(typed, expected):
    cells = r("Working", "2026-11-16", "No answer", attempts=typed)
    assert plan_one(cells, TUE)["Attempts"] == expected
    src = source(cells)
    sync(src, TUE)
    assert written(src, "P1", "Attempts") == expected


# (case, the rep's edits between the syncs, Attempts after the second sync). First sync on
# Mon 11-16 of a Working row: last contact 11-16, No answer, Attempts typed 2. Second: Tue 11-24.
# fmt: off
ATTEMPTS = [
    ("later, no answer: +1", [{"Last Contact": "2026-11-20", "Last Outcome": "No answer"}], 3),
    ("later, voicemail: +1", [{"Last Contact": "2026-11-20", "Last Outcome": "Voicemail"}], 3),
    ("later, email sent: +1", [{"Last Contact": "2026-11-20", "Last Outcome": "Email sent"}], 3),
    ("later, connected: 0", [{"Last Contact": "2026-11-20", "Last Outcome": "Connected"}], 0),
    ("later, meeting: 0", [{"Last Contact": "2026-11-20", "Last Outcome": "Meeting"}], 0),
    ("later, won: 0", [{"Last Contact": "2026-11-20", "Last Outcome": "Won"}], 0),
    ("later, not now: 0", [{"Last Contact": "2026-11-20", "Last Outcome": "Not now"}], 0),
    ("later, chose competitor: 0", [{"Last Contact": "2026-11-20", "Last Outcome": "Chose competitor"}], 0),
    ("nothing changed", [], 2),
    ("last contact unchanged, outcome edited", [{"Last Outcome": "Voicemail"}], 2),
    ("last contact moved earlier", [{"Last Contact": "2026-11-10", "Last Outcome": "No answer"}], 2),
    (
        "several touches between two syncs count once",
        [
            {"Last Contact": "2026-11-18", "Last Outcome": "No answer"},
            {"Last Contact": "2026-11-20", "Last Outcome": "Voicemail"},
            {"Last Contact": "2026-11-23", "Last Outcome": "No answer"},
        ],
        3,
    ),
    ("rep typed a number: it wins, nothing added", [{"Last Contact": "2026-11-20", "Last Outcome": "No answer", "Attempts": 5}], 5),
    ("rep reset it to 0", [{"Attempts": 0}], 0),
    ("rep corrected it after several touches", [{"Last Contact": "2026-11-23", "Last Outcome": "No answer", "Attempts": 4}], 4),
]
# fmt: on


@pytest.mark.parametrize(("edits", "expected"), cases(ATTEMPTS))
def test_attempts_counting(edits, expected):
    src = source(r("Working", "2026-11-16", "No answer", attempts=2))
    sync(src, "2026-11-16")
    assert written(src, "P1", "Attempts") == 2
    for cells in edits:
        edit(src, "P1", cells)
    sync(src, TUE)
    assert written(src, "P1", "Attempts") == expected
    # running it again never counts twice
    sync(src, TUE)
    assert written(src, "P1", "Attempts") == expected
    assert planned(src, "P1", TUE)["Attempts"] == expected


def test_attempts_count_on_from_the_tool_value():
    src = source(r("Working", "2026-11-16", "No answer"))
    sync(src, "2026-11-16")
    for day, expected in (("2026-11-17", 1), ("2026-11-18", 2), ("2026-11-19", 3)):
        edit(src, "P1", {"Last Contact": day})
        sync(src, day)
        sync(src, day)
        assert written(src, "P1", "Attempts") == expected


def test_attempts_memory_survives_sorting():
    src = source(
        r("Working", "2026-11-16", "No answer", id="P1", attempts=1),
        r("Working", "2026-11-16", "No answer", id="P2", attempts=4),
        r("Working", "2026-11-16", "No answer", id="P3", attempts=6),
    )
    sync(src, "2026-11-16")
    src.data.rows.reverse()  # a rep sorts the sheet
    edit(src, "P1", {"Last Contact": "2026-11-20", "Last Outcome": "No answer"})
    edit(src, "P3", {"Last Contact": "2026-11-20", "Last Outcome": "Connected"})
    sync(src, TUE)
    assert [written(src, i, "Attempts") for i in ("P1", "P2", "P3")] == [2, 4, 0]


# ============================================================================================
# Dates in cells
# ============================================================================================

# (case, Last Contact cell, config, epoch): all mean Mon 2026-11-02, so a Working row that
# connected then is OVERDUE with Next Contact Thu 11-12 (window .. Mon 11-16)
# fmt: off
DATES = [
    ("date cell", dt.date(2026, 11, 2), DEFAULT, None),
    ("date-time cell, time dropped", dt.datetime(2026, 11, 2, 17, 45), DEFAULT, None),
    ("date-time at midnight", dt.datetime(2026, 11, 2), DEFAULT, None),
    ("serial 46328 (1900 system)", 46328, DEFAULT, None),
    ("serial as float", 46328.0, DEFAULT, None),
    ("serial with a time", 46328.75, DEFAULT, None),
    ("serial 44866 (1904 system)", 44866, DEFAULT, EPOCH_1904),
    ("ISO text", "2026-11-02", DEFAULT, None),
    ("ISO text with a time", "2026-11-02 09:30", DEFAULT, None),
    ("ISO text with T and seconds", "2026-11-02T09:30:00", DEFAULT, None),
    ("ISO text with spaces around", " 2026-11-02 ", DEFAULT, None),
    ("MDY with /", "11/02/2026", DEFAULT, None),
    ("MDY with -", "11-02-2026", DEFAULT, None),
    ("MDY with .", "11.02.2026", DEFAULT, None),
    ("MDY without zeros", "11/2/2026", DEFAULT, None),
    ("MDY 2-digit year", "11/2/26", DEFAULT, None),
    ("DMY with .", "02.11.2026", DMY, None),
    ("DMY with /", "02/11/2026", DMY, None),
    ("DMY with - and no zeros", "2-11-2026", DMY, None),
    ("DMY 2-digit year", "2/11/26", DMY, None),
    ("month name first", "Nov 2, 2026", DEFAULT, None),
    ("full month name first", "November 2, 2026", DEFAULT, None),
    ("day first, full month name", "2 November 2026", DEFAULT, None),
    ("day first, short month name", "2 Nov 2026", DEFAULT, None),
    ("month name under DMY", "2 November 2026", DMY, None),
    ("ISO under DMY", "2026-11-02", DMY, None),
]
# fmt: on


@pytest.mark.parametrize(("value", "config", "epoch"), cases(DATES))
def test_dates_in_cells(value, config, epoch):
    cells = r("Working", None, "Connected") | {"Last Contact": value}
    why = "Working, 0 attempts: follow up 10-14 days after 2026-11-02"
    expect(cells, TUE, "2026-11-12", OVERDUE, CALL, why, config, epoch or EPOCH_1900)


def test_next_contact_is_a_real_date():
    result = plan_sync(sheet(r(*WORKING)), DEFAULT, d(TUE))
    assert type(result.table["Next Contact"].iloc[0]) is dt.date
    src = source(r(*WORKING))
    sync(src, TUE)
    headers = [str(h) for h in src.data.headers]
    assert type(src.data.rows[0][headers.index("Next Contact")]) is dt.date


# ============================================================================================
# Matching headers and values
# ============================================================================================


@pytest.mark.parametrize(
    "header",
    [
        "Last Contact",
        "last-contact",
        "LAST CONTACT",
        "Last_Contact",
        " last contact ",
        "LastContact",
        "Last Contacted",
        "Last Touch",
        "last touch",
        "Last Activity",
        "Last Call",
    ],
)
def test_last_contact_headers(header):
    data = SheetData(
        title="Prospects",
        headers=["ID", "Company", "Stage", header, "Last Outcome"],
        rows=[["P1", "Acme", "Working", d("2026-11-02"), "Connected"]],
    )
    row = plan(data, TUE)[0]
    assert (row["Next Contact"], row["Flag"], row["Next Action"]) == (
        d("2026-11-12"),
        OVERDUE,
        CALL,
    )


# fmt: off
ALIASES = [
    ("Lead ID", "Organisation", "Sales Rep", "Lead Status", "Last Touch", "Result", "Card Sent", "Follow Up On", "Do Not Call"),
    ("Key", "Account", "Rep", "Status", "Last Contacted", "Outcome", "Letter Sent", "Callback", "Opted Out"),
    ("Prospect ID", "Business", "Assigned To", "status", "last-activity", "Last Result", "card sent", "Call Back On", "DNC"),
]
# fmt: on


@pytest.mark.parametrize("headers", ALIASES, ids=lambda h: h[0])
def test_header_aliases(headers):
    data = SheetData(
        title="Prospects",
        headers=list(headers),
        rows=[
            ["P1", "Acme", "Dana", "Working", d("2026-11-02"), "Connected", None, None, None],
            # note Tue 11-17: the call is due today, 5 workdays later
            [
                "P2",
                "Bolt",
                "Dana",
                "Stale",
                d("2026-03-02"),
                "No answer",
                d("2026-11-17"),
                None,
                None,
            ],
            [
                "P3",
                "Cargo",
                "Dana",
                "Working",
                d("2026-11-16"),
                "Connected",
                None,
                d("2026-12-01"),
                None,
            ],
            ["P4", "Delta", "Dana", "Working", d("2026-11-16"), "Connected", None, None, "x"],
        ],
    )
    got = [(row["Next Contact"], row["Flag"], row["Next Action"]) for row in plan(data, TUE)]
    assert got == [
        (d("2026-11-12"), OVERDUE, CALL),
        (d(TUE), DUE, NOTE_CALL),
        (d("2026-12-01"), SCHEDULED, CALL_BACK),
        (None, DNC, None),
    ]


def test_configured_column_name():
    config = parse_config({"columns": {"last_contact": "Last touched"}})
    data = SheetData(
        title="Prospects",
        headers=["ID", "Company", "Stage", "Last touched", "Last Outcome"],
        rows=[["P1", "Acme", "Working", d("2026-11-02"), "Connected"]],
    )
    row = plan(data, TUE, config)[0]
    assert (row["Next Contact"], row["Flag"], row["Next Action"]) == (
        d("2026-11-12"),
        OVERDUE,
        CALL,
    )


# (case, stage, outcome, last contact, next contact, flag, next action, the exact Why)
# fmt: off
CHOICE_VALUES = [
    ("' working '", " working ", "Connected", "2026-11-02", "2026-11-12", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-02"),
    ("WORKING, connected", "WORKING", "connected", "2026-11-02", "2026-11-12", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-02"),
    ("' Connected '", "working", " Connected ", "2026-11-02", "2026-11-12", OVERDUE, CALL,
     "Working, 0 attempts: follow up 10-14 days after 2026-11-02"),
    ("NO ANSWER", "Working", "NO ANSWER", "2026-11-23", "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "Working, 0 attempts: No answer on 2026-11-23, follow-up email by the next workday"),
    ("' no answer '", " new ", " no answer ", "2026-11-23", "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "New, 0 attempts: No answer on 2026-11-23, follow-up email by the next workday"),
    ("VoiceMail", "New", "VoiceMail", "2026-11-23", "2026-11-23", DUE, FOLLOW_UP_EMAIL,
     "New, 0 attempts: Voicemail on 2026-11-23, follow-up email by the next workday"),
    ("' STALE '", " STALE ", "no answer", "2026-03-02", TUE, CARD, NOTE,
     "Stale, 5+5+5: hand-written note, card given 2026-11-24 (5 cards a day per owner)"),
    ("chose COMPETITOR", "working", "chose COMPETITOR", "2026-05-24", TUE, DUE, CHECK_IN,
     "Lost (Chose competitor): check-in call 6 months to 6 months + 14 days after 2026-05-24"),
    ("won", "working", "won", "2026-08-20", "2026-11-18", DUE, CHECK_IN,
     "Customer: check-in call 90-104 days after 2026-08-20"),
]
# fmt: on


@pytest.mark.parametrize(
    ("stage", "outcome", "last_contact", "next_contact", "flag", "action", "why"),
    cases(CHOICE_VALUES),
)
def test_choice_values(stage, outcome, last_contact, next_contact, flag, action, why):
    expect(r(stage, last_contact, outcome), TUE, next_contact, flag, action, why)


# ============================================================================================
# A sales manager's change: one entry in the rules table
# ============================================================================================


def rule_8_priority_c_cut_at_2(f, undecided):
    """Priority C leads are cut after 2 unanswered attempts (their own cut-bait limit)."""
    rows = undecided & (f.prospects.priority == PRIORITY["C"]) & (f.count >= 2)
    yield fixed(rows, "CUT", Reason.CUT_KEPT, label=f.label, count=f.count, limit=2)


def test_a_new_rule_is_one_entry_in_the_table(monkeypatch):
    row_c = r("Working", "2026-11-16", "No answer", attempts=2, priority="C")
    row_b = r("Working", "2026-11-16", "No answer", attempts=2, priority="B")
    # before: both follow up 10-14 days after Mon 11-16, Thu 11-26 .. Mon 11-30
    follow_up = "Working, 2 attempts: follow up 10-14 days after 2026-11-16"
    expect(row_c, TUE, "2026-11-26", SCHEDULED, CALL, follow_up)

    table = list(engine_rules.RULES)
    table.insert(table.index(engine_rules.rule_8_cut_bait), rule_8_priority_c_cut_at_2)
    monkeypatch.setattr(engine_rules, "RULES", table)
    expect(row_c, TUE, None, CUT, None, "Working, 2 attempts: cut bait at 2")
    expect(row_b, TUE, "2026-11-26", SCHEDULED, CALL, follow_up)


# ============================================================================================
# Why
# ============================================================================================


def test_why_never_reads_as_a_formula():
    rows = plan(
        sheet(
            r("-", "2026-11-16", "Connected", id="P1"),
            r("=1+1", "2026-11-16", "Connected", id="P2"),
            r("Working", "2026-11-16", "@home", id="P3"),
            r("Working", "-3", "Connected", id="P4"),
            r("Working", "=TODAY()", "Connected", id="P5"),
            r("Working", "2026-11-16", "Connected", id="P6", contact_every="+weekly"),
            r("Working", "2026-11-16", "Connected", id="P7", priority="@"),
            r("Working", "2026-11-16", "No answer", id="P8", attempts="-2"),
            r("Working", "2026-11-16", "Connected", id="=P9"),
            r("Working", "2026-11-16", "Connected", id="+P10"),
            r("Working", "2026-11-16", "Connected", id="-P11"),
        ),
        TUE,
    )
    for row in rows:
        assert_consistent(row)
    assert [row["Flag"] for row in rows[:8]] == [CHECK] * 8
