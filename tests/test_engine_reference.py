"""The vectorised engine against a plain per-row reading of the README's rules.

``tests/naive_engine.py`` is a second, independent implementation of the cadence rules
(a loop over rows with if/elif and ``datetime.date`` arithmetic). On random small tables both
must give every row the same flag, Next Contact, Next Action and Attempts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import naive_engine as naive
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync import choices
from sheetsync.cellvalues import code
from sheetsync.config import Rules
from sheetsync.engine import Memory, Prospects, decide
from sheetsync.workdays import Calendar

# --- building typed tables from plain rows --------------------------------------------------

#: a row with nothing set: a never-contacted New-by-inference prospect, no memory
EMPTY: dict[str, Any] = {
    "blank": False,
    "problems": "",
    "owner": 0,
    "stage": None,
    "outcome": None,
    "phase": None,
    "priority": None,
    "channel": None,
    "dnc": False,
    "last_contact": None,
    "note_sent": None,
    "call_back": None,
    "attempts": None,
    "contact_every": None,
    # memory
    "known": False,
    "seen_last_contact": None,
    "seen_attempts": None,
    "seen_conversation": False,
    "lost_since": None,
    "stale_since": None,
    "card_on": None,
    "seen_stage": None,
}


def _codes(rows: list[dict[str, Any]], key: str, names: tuple[str, ...]) -> np.ndarray:
    return np.array([code(names, r[key]) if r[key] else 0 for r in rows], dtype=np.int8)


def _dates(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array(
        [np.datetime64("NaT") if r[key] is None else np.datetime64(r[key], "D") for r in rows],
        dtype="datetime64[D]",
    )


def _numbers(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else float(r[key]) for r in rows], dtype=float)


def tables(rows: list[dict[str, Any]]) -> tuple[Prospects, Memory]:
    rows = [{**EMPTY, **r} for r in rows]
    prospects = Prospects(
        blank=np.array([r["blank"] for r in rows], dtype=bool),
        problems=np.array([r["problems"] for r in rows], dtype=object),
        owner=np.array([r["owner"] for r in rows], dtype=np.int64),
        stage=_codes(rows, "stage", choices.STAGES),
        outcome=_codes(rows, "outcome", choices.OUTCOMES),
        phase=_codes(rows, "phase", choices.PHASES),
        priority=_codes(rows, "priority", choices.PRIORITIES),
        channel=_codes(rows, "channel", choices.CHANNELS),
        dnc=np.array([r["dnc"] for r in rows], dtype=bool),
        last_contact=_dates(rows, "last_contact"),
        note_sent=_dates(rows, "note_sent"),
        call_back=_dates(rows, "call_back"),
        attempts=_numbers(rows, "attempts"),
        contact_every=_numbers(rows, "contact_every"),
    )
    memory = Memory(
        known=np.array([r["known"] for r in rows], dtype=bool),
        last_contact=_dates(rows, "seen_last_contact"),
        attempts=_numbers(rows, "seen_attempts"),
        conversation=np.array([r["seen_conversation"] for r in rows], dtype=bool),
        lost_since=_dates(rows, "lost_since"),
        stale_since=_dates(rows, "stale_since"),
        card_on=_dates(rows, "card_on"),
        stage=_codes(rows, "seen_stage", choices.STAGES),
    )
    return prospects, memory


def engine_rows(
    prospects: Prospects, memory: Memory, rules: Rules, today: dt.date
) -> list[tuple[Any, ...]]:
    calendar = Calendar(rules, range(today.year - 4, today.year + 4))
    d = decide(prospects, memory, rules, today, calendar)
    return [
        (
            d.flag[i],
            d.next_contact[i].tolist(),  # NaT -> None
            d.action[i],
            None if np.isnan(d.attempts[i]) else int(d.attempts[i]),
        )
        for i in range(len(prospects))
    ]


def both(rows: list[dict[str, Any]], today: dt.date, rules: Rules | None = None):
    rules = rules or Rules()
    prospects, memory = tables(rows)
    expected = [tuple(r) for r in naive.naive_decide(prospects, memory, rules, today)]
    return expected, engine_rows(prospects, memory, rules, today)


# --- the differential property ----------------------------------------------------------------

TODAY_FROM, TODAY_TO = dt.date(2024, 1, 1), dt.date(2027, 12, 31)

#: day offsets from today where the rules change their mind
EDGES = [0, -1, -2, -3, -4, -5, -7, -9, -10, -14, -15, -90, -104, -179, -180, -181, -183, -184]


def offsets(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(low, high), st.sampled_from([e for e in EDGES if e >= low]))


def maybe(strategy: st.SearchStrategy[Any], blank: float) -> st.SearchStrategy[Any]:
    """``strategy``, or None (a blank cell) with about the probability ``blank``."""
    # the blank first: hypothesis shrinks towards it
    return st.integers(0, 99).flatmap(lambda p: st.none() if p < blank * 100 else strategy)


def one_of_two(common: list[Any], every: list[Any]) -> st.SearchStrategy[Any]:
    """Half the time one of the common values, else any value."""
    return st.one_of(st.sampled_from(common), st.sampled_from(every))


UNANSWERED = list(choices.UNANSWERED)
CONVERSATION = list(choices.CONVERSATION)


@st.composite
def row_strategy(draw: st.DrawFn, today: dt.date) -> dict[str, Any]:
    def day(offset: int | None) -> dt.date | None:
        return None if offset is None else today + dt.timedelta(days=offset)

    stage = draw(
        one_of_two(["New", "Working", "Stale", "Stale", None, None], [None, *choices.STAGES])
    )
    row: dict[str, Any] = {
        "blank": draw(st.integers(0, 14)) == 0,
        "problems": 'Stage "x" is not one of ...' if draw(st.integers(0, 14)) == 0 else "",
        "owner": draw(st.integers(0, 2)),
        "stage": stage,
        "outcome": draw(one_of_two([None, *UNANSWERED, *CONVERSATION], [None, *choices.OUTCOMES])),
        "phase": draw(st.sampled_from([None, None, None, *choices.PHASES])),
        "priority": draw(st.sampled_from([None, "A", "B", "C"])),
        "channel": draw(st.sampled_from([None, None, "Call", "Email"])),
        "dnc": draw(st.integers(0, 29)) == 0,
        "last_contact": day(draw(maybe(st.one_of(offsets(-800, 1), st.integers(-30, 0)), 0.15))),
        "note_sent": day(draw(maybe(offsets(-400, 1), 0.6))),
        "call_back": day(draw(maybe(st.integers(-60, 60), 0.85))),
        "attempts": draw(maybe(st.one_of(st.integers(0, 3), st.integers(0, 9)), 0.3)),
        "contact_every": draw(maybe(st.integers(1, 60), 0.8)),
    }
    if draw(st.booleans()):
        # a record from an earlier sync (dated facts may lie after today: they are ignored)
        last = row["last_contact"]
        seen = draw(st.sampled_from(["same", "earlier", "none", "random"]))
        if seen == "same" or last is None:
            seen_last = last
        elif seen == "earlier":
            seen_last = last - dt.timedelta(days=draw(st.integers(1, 60)))
        elif seen == "none":
            seen_last = None
        else:
            seen_last = day(draw(offsets(-800, 0)))
        row.update(
            known=True,
            seen_last_contact=seen_last,
            seen_attempts=draw(
                st.one_of(st.just(row["attempts"] or 0), st.just(row["attempts"]))
                if draw(st.integers(0, 3))
                else st.integers(0, 9)
            ),
            seen_conversation=draw(st.booleans()),
            lost_since=day(draw(maybe(offsets(-400, 2), 0.85))),
            stale_since=day(draw(maybe(offsets(-400, 2), 0.6))),
            card_on=day(draw(maybe(offsets(-10, 2), 0.7))),
            seen_stage=stage if draw(st.integers(0, 3)) else draw(st.sampled_from(choices.STAGES)),
        )
    return row


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dt.date, Rules]:
    today = draw(st.dates(TODAY_FROM, TODAY_TO))
    rows = draw(st.lists(row_strategy(today), min_size=1, max_size=30))
    rules = Rules(
        cards_per_day=draw(st.sampled_from([5, 5, 2, 1])),
        recycle_after_days=draw(st.sampled_from([180, 180, 0, 30])),
        workdays=draw(
            st.sampled_from(
                [("Mon", "Tue", "Wed", "Thu", "Fri")] * 3 + [("Mon", "Tue", "Wed", "Thu")]
            )
        ),
    )
    return rows, today, rules


def _explain(rows, today, rules, expected, actual) -> str:
    lines = [f"today={today} ({today:%a}) rules={rules}"]
    for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
        mark = "  " if e == a else "!!"
        lines.append(f"{mark} row {i}: reference={e} engine={a}")
        if e != a:
            lines.append(f"     {rows[i]}")
    return "\n".join(lines)


WINDOWED = ("OVERDUE", "DUE", "SCHEDULED")
PROMISED = ("Call back (requested)", "Call (note follow-up)")


def check_windows(rows: list[dict[str, Any]], today: dt.date, rules: Rules) -> None:
    """Every Next Contact is a workday (a kept card: the day it was given); a windowed row's
    window is what its flag and Next Contact say; promised rows are the two promised calls."""
    prospects, memory = tables(rows)
    calendar = Calendar(rules, range(today.year - 4, today.year + 4))
    d = decide(prospects, memory, rules, today, calendar)
    workdays = {("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun").index(w) for w in rules.workdays}
    for i in range(len(prospects)):
        flag, action = d.flag[i], d.action[i]
        next_contact, earliest, latest = (
            d.next_contact[i].tolist(),
            d.earliest[i].tolist(),
            d.latest[i].tolist(),
        )
        if next_contact is not None and flag != "CARD":
            assert next_contact.weekday() in workdays, (i, flag, next_contact)
        if flag in WINDOWED:
            assert next_contact == earliest <= latest, (i, flag, earliest, latest)
            assert latest.weekday() in workdays
            want = "SCHEDULED" if today < earliest else "DUE" if today <= latest else "OVERDUE"
            assert flag == want
        else:
            assert earliest is None and latest is None, (i, flag)
        assert bool(d.promised[i]) == (action in PROMISED), (i, action)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_engine_agrees_with_the_reference(case):
    rows, today, rules = case
    expected, actual = both(rows, today, rules)
    assert expected == actual, _explain(rows, today, rules, expected, actual)
    check_windows(rows, today, rules)


# --- plain examples -----------------------------------------------------------------------------

MONDAY = dt.date(2026, 11, 23)


def days_ago(n: int, today: dt.date = MONDAY) -> dt.date:
    return today - dt.timedelta(days=n)


def check(rows, today=MONDAY, rules=None, want=None):
    expected, actual = both(rows, today, rules)
    assert actual == expected, _explain(rows, today, rules or Rules(), expected, actual)
    if want is not None:
        assert actual == [tuple(w) for w in want]


def test_first_call_and_follow_up():
    check(
        [
            {"stage": "New"},
            {"stage": "Working", "outcome": "Connected", "last_contact": days_ago(12)},
            {"outcome": "No answer", "last_contact": days_ago(3), "attempts": 1},
            {"stage": "New", "outcome": "Voicemail", "last_contact": days_ago(3), "attempts": 1},
        ],
        want=[
            ("DUE", MONDAY, "Call", 0),
            ("DUE", MONDAY, "Call", 0),  # day 10 is a Saturday: moved to Monday
            ("DUE", days_ago(3), "Follow-up email", 1),  # Friday's call, email by Monday
            ("DUE", days_ago(3), "Follow-up email", 1),
        ],
    )


def test_attempts_count_once_per_moved_last_contact():
    lc = days_ago(20)
    row = {
        "stage": "New",
        "outcome": "No answer",
        "last_contact": lc,
        "attempts": 1,
        "known": True,
        "seen_last_contact": days_ago(30),
        "seen_attempts": 1,
        "seen_stage": "New",
    }
    check(
        [
            row,  # moved later, unanswered: 2
            {**row, "seen_last_contact": lc},  # unchanged: 1
            {**row, "attempts": 2},  # a rep typed 2: 2, nothing added
            {**row, "outcome": "Connected", "stage": "Working", "seen_stage": "Working"},  # 0
            {**row, "attempts": 2, "seen_attempts": 2},  # the third unanswered touch: cut bait
        ],
        want=[
            ("OVERDUE", days_ago(10), "Call", 2),
            ("OVERDUE", days_ago(10), "Call", 1),
            ("OVERDUE", days_ago(10), "Call", 2),
            ("OVERDUE", days_ago(10), "Call", 0),
            # Tue 2026-11-03 + 180 days = Sun 2027-05-02: it recycles on Mon 05-03
            ("CUT", dt.date(2027, 5, 3), None, 3),
        ],
    )


def test_card_queue_five_a_day_per_owner():
    stale = [{"stage": "Stale", "last_contact": days_ago(300 - i)} for i in range(8)]
    stale.append({"stage": "Stale", "last_contact": days_ago(200), "priority": "A"})
    stale.append({"stage": "Stale", "last_contact": days_ago(400), "owner": 1})
    tuesday = MONDAY + dt.timedelta(days=1)
    check(
        stale,
        want=[
            *[("CARD", MONDAY, "Hand-written note", 0)] * 4,
            *[("QUEUED", tuesday, "Hand-written note", 0)] * 4,
            ("CARD", MONDAY, "Hand-written note", 0),  # priority A first
            ("CARD", MONDAY, "Hand-written note", 0),  # another owner's quota
        ],
    )


def test_a_given_card_is_kept_and_counts_against_the_quota():
    given = days_ago(3)
    rows = [
        {
            "stage": "Stale",
            "last_contact": days_ago(500),
            "known": True,
            "seen_last_contact": days_ago(500),
            "seen_attempts": 0,
            "card_on": given,
            "seen_stage": "Stale",
        }
    ] * 4
    rows += [{"stage": "Stale", "last_contact": days_ago(900 + i)} for i in range(3)]
    check(
        rows,
        want=[
            *[("CARD", given, "Hand-written note", 0)] * 4,
            ("QUEUED", MONDAY + dt.timedelta(days=1), "Hand-written note", 0),
            ("QUEUED", MONDAY + dt.timedelta(days=1), "Hand-written note", 0),
            ("CARD", MONDAY, "Hand-written note", 0),  # the oldest last contact
        ],
    )


def test_note_follow_up_customer_lost_and_call_back():
    note = dt.date(2026, 11, 20)  # a Friday: 5 workdays later is the next Friday
    check(
        [
            {"stage": "Stale", "last_contact": days_ago(300), "note_sent": note},
            {"stage": "Customer", "last_contact": days_ago(100)},
            {"outcome": "Not now", "last_contact": dt.date(2026, 5, 31)},
            {"stage": "Working", "last_contact": days_ago(2), "call_back": MONDAY},
            {"dnc": True, "stage": "Closed"},
            {"stage": "Closed"},
            {"stage": "New", "attempts": 2},
        ],
        want=[
            ("SCHEDULED", dt.date(2026, 11, 27), "Call (note follow-up)", 0),
            ("DUE", days_ago(10), "Check-in call", 0),
            ("SCHEDULED", dt.date(2026, 11, 30), "Check-in call", 0),  # Nov 30: no Nov 31
            ("DUE", MONDAY, "Call back (requested)", 0),
            ("DNC", None, None, 0),
            ("CLOSED", None, None, 0),
            ("CHECK", None, None, None),
        ],
    )


def test_cut_bait_recycles_into_the_stale_pool():
    row = {"stage": "New", "outcome": "No answer", "attempts": 3}
    check(
        [
            {**row, "last_contact": days_ago(179)},
            {**row, "last_contact": days_ago(180)},
            {**row, "last_contact": days_ago(179), "priority": "A"},
        ],
        want=[
            ("CUT", MONDAY + dt.timedelta(days=1), None, 3),
            ("CARD", MONDAY, "Hand-written note", 0),
            ("SCHEDULED", dt.date(2026, 11, 30), "Re-try call", 3),  # Sat Nov 28 moved
        ],
    )


# --- disagreements the differential test once found, kept as examples ------------------------
# Rules are first match wins: DNC (2) and Closed (3) come before CHECK (4), and only a row that
# reaches rule 8 recycles (and has its Attempts reset).


@pytest.mark.parametrize(
    "row",
    [
        {"dnc": True, "attempts": 1},  # Attempts set with no Last Contact
        {"stage": "Closed", "attempts": 2},
        {"dnc": True, "problems": 'Phone "x" is odd', "attempts": 4, "last_contact": days_ago(3)},
    ],
)
def test_bug_dnc_and_closed_rows_keep_their_attempts(row):
    flag = "CLOSED" if row.get("stage") == "Closed" else "DNC"
    check([row], want=[(flag, None, None, row["attempts"])])


@pytest.mark.parametrize(
    "row, want",
    [
        # rule 4: a requested call-back wins over rules 5-9, so rule 8 never recycles the row
        (
            {"stage": "New", "outcome": "No answer", "last_contact": days_ago(200)}
            | {"attempts": 3, "call_back": MONDAY},
            ("DUE", MONDAY, "Call back (requested)", 3),
        ),
        # rule 7: already stale (typed), so it is in the card queue, not recycled by rule 8
        (
            {"stage": "Stale", "last_contact": days_ago(200), "attempts": 3},
            ("CARD", MONDAY, "Hand-written note", 3),
        ),
        # rule 0 infers Stale (blank Stage, last contact 180 days ago): rule 7 takes it
        (
            {"last_contact": days_ago(180), "attempts": 3},
            ("CARD", MONDAY, "Hand-written note", 3),
        ),
    ],
)
def test_bug_attempts_reset_only_when_rule_8_recycles(row, want):
    check([row], want=[want])


# --- what the engine gives the capacity levelling: the windows and the promised days ---------


def test_windows_and_promised_days():
    # Monday 2026-11-23
    rows = [
        # 10-14 days after Thu 11-12: Sun 11-22 -> Mon 11-23 .. Thu 11-26
        {"stage": "Working", "outcome": "Connected", "last_contact": dt.date(2026, 11, 12)},
        # asked for Sat 11-28: Mon 11-30 .. 2 workdays after: Tue 12-01
        {"stage": "Working", "last_contact": days_ago(2), "call_back": dt.date(2026, 11, 28)},
        # note Fri 11-20: the call exactly 5 workdays later, Fri 11-27
        {"stage": "Stale", "last_contact": days_ago(300), "note_sent": dt.date(2026, 11, 20)},
        # never contacted: a window opening and closing today
        {"stage": "New"},
        # fixed flags: no window
        {"stage": "Working", "dnc": True},
        {"stage": "Stale", "last_contact": days_ago(300)},  # CARD
        {"stage": "New", "outcome": "No answer", "last_contact": days_ago(3), "attempts": 3},
    ]
    prospects, memory = tables(rows)
    d = decide(prospects, memory, Rules(), MONDAY, Calendar(Rules(), range(2025, 2028)))
    assert d.flag.tolist() == ["DUE", "SCHEDULED", "SCHEDULED", "DUE", "DNC", "CARD", "CUT"]
    assert d.earliest.tolist() == [
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 30),
        dt.date(2026, 11, 27),
        MONDAY,
        None,
        None,
        None,
    ]
    assert d.latest.tolist() == [
        dt.date(2026, 11, 26),
        dt.date(2026, 12, 1),
        dt.date(2026, 11, 27),
        MONDAY,
        None,
        None,
        None,
    ]
    assert d.promised.tolist() == [False, True, True, False, False, False, False]
