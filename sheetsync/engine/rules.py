"""The README's rules 1-9, in order: one function per rule, listed in ``RULES``.

Each rule gets the rows' facts (rule 0, the Attempts count and what is remembered:
``engine/facts.py``) and ``undecided``, the rows no earlier rule took, and yields the rows it
takes: their window or fixed flag, their Next Action and the values of their Why sentence
(``engine/decided.py``). First match wins: after each yield the rows yielded leave
``undecided`` (in place), so a rule's later parts see only what its earlier parts left. Every
rule works on whole columns at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np

from sheetsync.config import Rules
from sheetsync.engine.cards import assign_cards
from sheetsync.engine.columns import (
    ACTION,
    CHANNEL,
    FLAG,
    NAT,
    OUTCOME,
    PHASE,
    Decisions,
    Memory,
    Prospects,
)
from sheetsync.engine.decided import Answers, Decided, fixed, window
from sheetsync.engine.facts import Facts, find_facts, remember
from sheetsync.engine.why import Reason, render
from sheetsync.workdays import Calendar, add_days, add_months

Rule = Callable[[Facts, np.ndarray], Iterator[Decided]]


def rule_1_blank(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """No ID, Company, Contact, Email or Phone: skipped, its owned cells cleared."""
    yield Decided(undecided & f.prospects.blank, Reason.BLANK)


def rule_2_do_not_contact(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Do Not Contact set, or the outcome Do not contact: DNC."""
    reason = np.where(f.prospects.dnc, Reason.DNC_SET, Reason.DNC_OUTCOME)
    yield fixed(undecided & f.dnc, "DNC", reason)


def rule_3_closed(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Stage Closed: CLOSED."""
    yield fixed(undecided & f.closed, "CLOSED", Reason.CLOSED)


def rule_4_check_then_call_back(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Unusable data: CHECK, the Why listing every problem. Else a Call Back date after the
    last contact: that day to ``callback_workdays`` later."""
    check = undecided & f.problems.astype(bool)
    yield fixed(check, "CHECK", Reason.CHECK, text=f.problems)

    asked = f.prospects.call_back
    lc = f.prospects.last_contact
    rows = undecided & ~check & ~np.isnat(asked) & (~f.has_lc | (asked > lc))
    n = f.rules.callback_workdays
    latest = f.calendar.after(asked, n)
    action, reason = "Call back (requested)", Reason.CALL_BACK
    yield window(rows, asked, latest, action, reason, date=asked, high=n, promised=True)


def rule_5_customers(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Stage Customer or outcome Won: a check-in call ``customer_days`` after the last contact."""
    rows = undecided & f.customer
    lc, days = f.prospects.last_contact, f.rules.customer_days
    earliest, latest = add_days(lc, days.low), add_days(lc, days.high)
    yield window(
        rows & f.has_lc,
        earliest,
        latest,
        "Check-in call",
        Reason.CUSTOMER,
        date=lc,
        low=days.low,
        high=days.high,
    )
    reason = f.starts(Reason.CUSTOMER_START, Reason.CUSTOMER_START_LATER)
    yield window(rows & ~f.has_lc, f.day, f.day, "Check-in call", reason)


def rule_6_lost(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Lost or not ready: a check-in call ``lost_months`` to that + ``lost_extra_days`` after
    the last contact; remembered while later check-ins go unanswered."""
    rows = undecided & f.lost
    lc, months, extra = f.prospects.last_contact, f.rules.lost_months, f.rules.lost_extra_days
    earliest = add_months(lc, months)
    latest = add_days(earliest, extra)
    label = f.lost_label
    why = {"label": label, "date": lc, "low": months, "high": extra}
    yield window(rows & f.has_lc, earliest, latest, "Check-in call", Reason.LOST, **why)
    start = rows & ~f.has_lc
    reason = f.starts(Reason.LOST_START, Reason.LOST_START_LATER)
    yield window(start, f.day, f.day, "Check-in call", reason, label=label)


def rule_7_stale_pool(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Stale leads, 5+5+5: a card (at most ``cards_per_day`` per owner at once, the rest
    queued); after the note, the call ``note_call_workdays`` later; after that call, rules 8-9.
    A cut row whose recycle day has come (rule 8) joins the pool, its Attempts back to 0."""
    p, rules = f.prospects, f.rules
    lc, note = p.last_contact, p.note_sent
    older_cycle = f.day - np.timedelta64(rules.note_cycle_days, "D")
    card_due = np.isnat(note) | ((note < lc) & (note < older_cycle))
    note_call = ~np.isnat(note) & (~f.has_lc | (lc <= note))
    pool = undecided & f.stale & ~(f.priority_a & f.at_limit)
    cut = undecided & ~(pool & (card_due | note_call)) & f.at_limit & ~f.priority_a
    recycled = cut & (f.recycle_day <= f.day)
    f.recycle(recycled)
    pool |= recycled

    in_queue = pool & card_due
    n = rules.cards_per_day
    cards = assign_cards(in_queue, p.owner, f.priority_a, lc, f.given_on, n, f.today, f.calendar)
    note_action = "Hand-written note"
    given = cards.card_on
    yield fixed(cards.card, "CARD", Reason.CARD, note_action, when=given, date=given, low=n)
    queued = in_queue & ~cards.card
    why = {"count": cards.place, "low": n}
    yield fixed(queued, "QUEUED", Reason.QUEUED, note_action, when=cards.queued_day, **why)

    n = rules.note_call_workdays
    call = f.calendar.after(note, n)
    rows = pool & note_call
    action, reason = "Call (note follow-up)", Reason.NOTE_CALL
    yield window(rows, call, call, action, reason, date=note, low=n, promised=True)


def rule_8_cut_bait(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Attempts at the stage's cut-bait limit: Priority A gets a re-try call ``retry_months``
    after the last contact, others are CUT until their recycle day."""
    lc, months = f.prospects.last_contact, f.rules.retry_months
    why = {"label": f.label, "count": f.count, "date": lc, "limit": f.limit}
    retry = undecided & f.at_limit & f.priority_a & f.has_lc
    earliest, latest = add_months(lc, months.low), add_months(lc, months.high)
    window_why = {"low": months.low, "high": months.high}
    yield window(retry, earliest, latest, "Re-try call", Reason.RETRY, **window_why, **why)
    cut = undecided & f.at_limit & ~retry
    if f.rules.recycle_after_days:
        days = f.rules.recycle_after_days
        yield fixed(cut, "CUT", Reason.CUT, when=f.recycle_day, low=days, **why)
    else:
        yield fixed(cut, "CUT", Reason.CUT_KEPT, **why)


def rule_9_follow_up(f: Facts, undecided: np.ndarray) -> Iterator[Decided]:
    """Never contacted: call today. No answer / Voicemail on the last workday or today: a
    follow-up email by the next workday. Else the next touch ``followup_days`` after the last
    contact (Contact Every n: n to n + ``contact_every_slack_days``, else the Phase window)."""
    p, rules = f.prospects, f.rules
    lc = p.last_contact
    why = {"label": f.label, "count": f.count, "date": lc}
    reason = f.starts(Reason.FIRST_CALL, Reason.FIRST_CALL_LATER)
    yield window(undecided & ~f.has_lc, f.day, f.day, "Call", reason, label=f.label)

    called = np.isin(p.outcome, [OUTCOME["No answer"], OUTCOME["Voicemail"]])
    email = undecided & called & (lc >= f.calendar.previous_workday(f.today))
    by = f.calendar.after(lc, 1)
    reason = Reason.EMAIL_STEP
    yield window(email, lc, by, "Follow-up email", reason, outcome=p.outcome, **why)

    rows = undecided & f.has_lc & ~email
    low = np.full(len(p), rules.followup_days.low)
    high = np.full(len(p), rules.followup_days.high)
    reason = np.full(len(p), Reason.FOLLOW_UP, dtype=np.int8)
    for name, phase in PHASE.items():
        days = rules.phase_days[name.lower()]
        in_phase = p.phase == phase
        low[in_phase], high[in_phase], reason[in_phase] = days.low, days.high, Reason.PHASE
    every = ~np.isnan(p.contact_every)
    every_days = np.nan_to_num(p.contact_every, nan=0).astype(np.int64)
    low = np.where(every, every_days, low)
    high = np.where(every, every_days + rules.contact_every_slack_days, high)
    reason = np.where(every, Reason.CONTACT_EVERY, reason)
    phase = np.where(every, 0, p.phase)
    action = np.where(p.channel == CHANNEL["Email"], ACTION["Email"], ACTION["Call"])
    earliest, latest = add_days(lc, low), add_days(lc, high)
    yield window(rows, earliest, latest, action, reason, low=low, high=high, phase=phase, **why)


#: the rules in the README's order; the first that takes a row decides it
RULES: list[Rule] = [
    rule_1_blank,
    rule_2_do_not_contact,
    rule_3_closed,
    rule_4_check_then_call_back,
    rule_5_customers,
    rule_6_lost,
    rule_7_stale_pool,
    rule_8_cut_bait,
    rule_9_follow_up,
]


def decide(
    prospects: Prospects, memory: Memory, rules: Rules, today: dt.date, calendar: Calendar
) -> Decisions:
    """Decide every row. ``memory`` is aligned to the rows (see ``Memory.take``)."""
    f = find_facts(prospects, memory, rules, today, calendar)
    answers = Answers(len(prospects))
    undecided = np.ones(len(prospects), dtype=bool)
    for rule in RULES:
        for decided in rule(f, undecided):
            answers.take(decided)
            undecided &= ~decided.rows

    # A window's ends move forward to workdays; its flag is read from them and today.
    earliest = np.where(answers.windowed, calendar.roll_forward(answers.earliest), NAT)
    latest = np.where(answers.windowed, calendar.roll_forward(answers.latest), NAT)
    day = f.day
    by_window = np.where(
        day < earliest, FLAG["SCHEDULED"], np.where(day <= latest, FLAG["DUE"], FLAG["OVERDUE"])
    )
    flag = np.where(answers.windowed, by_window, answers.flag)
    next_contact = np.where(answers.windowed, earliest, answers.when)

    why = render(reason=answers.reason, **answers.why)
    for decided in answers.text:
        why[decided.rows] = decided.text[decided.rows]
    check = flag == FLAG["CHECK"]
    return Decisions(
        flag=FLAG_NAMES[flag],
        next_contact=next_contact,
        action=ACTION_NAMES[answers.action],
        why=why,
        attempts=np.where(prospects.blank | check, np.nan, f.count),
        memory=remember(f, check, card_on=np.where(flag == FLAG["CARD"], next_contact, NAT)),
        earliest=earliest,
        latest=latest,
        promised=answers.promised,
    )


FLAG_NAMES = np.array([None, *FLAG], dtype=object)
ACTION_NAMES = np.array([None, *ACTION], dtype=object)
