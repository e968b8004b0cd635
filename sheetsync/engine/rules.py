"""PRODUCT.md's cadence rules 0-9, in order, over whole columns.

Each rule selects the rows it decides among those no earlier rule took ("first match wins"),
and fills, for them, a window ``[earliest, latest]`` (or a fixed flag), the action and the
reason. The flag of a windowed row is read from its window and today at the end.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sheetsync import choices
from sheetsync.cells import code
from sheetsync.config import Rules
from sheetsync.engine.cards import assign_cards
from sheetsync.engine.frame import NAT, Decisions, Memory, Prospects, nat_column
from sheetsync.engine.why import LOST_BY_OUTCOME, LOST_KEPT, LOST_LABEL, STALE_LABEL, Reason, render
from sheetsync.workdays import Calendar, add_days, add_months

NEW, WORKING, LOST, STALE, CUSTOMER, CLOSED = (code(choices.STAGES, s) for s in choices.STAGES)
OUTCOME = {name: code(choices.OUTCOMES, name) for name in choices.OUTCOMES}
PRIORITY_A = code(choices.PRIORITIES, "A")
EMAIL = code(choices.CHANNELS, "Email")
ACTIONS = np.array([None, *choices.NEXT_ACTIONS], dtype=object)
(CALL, EMAIL_ACTION, FOLLOW_UP_EMAIL, NOTE, NOTE_CALL, CHECK_IN, RETRY, CALL_BACK) = (
    code(choices.NEXT_ACTIONS, a) for a in choices.NEXT_ACTIONS
)
FLAGS = np.array([None, *choices.FLAGS], dtype=object)
(OVERDUE, DUE, SCHEDULED, CARD, QUEUED, CUT, DNC, CLOSED_FLAG, CHECK) = (
    code(choices.FLAGS, f) for f in choices.FLAGS
)


def _isin(column: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return np.isin(column, [OUTCOME[n] for n in names])


def decide(
    prospects: Prospects, memory: Memory, rules: Rules, today: dt.date, calendar: Calendar
) -> Decisions:
    """Decide every row. ``memory`` is aligned to the rows (see ``Memory.take``)."""
    p, n = prospects, len(prospects)
    day = np.datetime64(today, "D")
    lc = p.last_contact
    has_lc = ~np.isnat(lc)

    # What is remembered counts only if it is not dated after today.
    known = memory.known & ~(memory.last_contact > day)

    def fact(column: np.ndarray) -> np.ndarray:
        return np.where(known & (column <= day), column, np.datetime64("NaT"))

    seen_lc = np.where(known, memory.last_contact, np.datetime64("NaT"))
    lost_since, stale_since, given_on = (
        fact(memory.lost_since),
        fact(memory.stale_since),
        fact(memory.card_on),
    )
    stage_edited = known & (p.stage != memory.stage)

    # Outcomes.
    outcome = p.outcome
    unanswered = _isin(outcome, choices.UNANSWERED)
    conversation = _isin(outcome, choices.CONVERSATION)
    won = outcome == OUTCOME[choices.WON]
    lost_outcome = _isin(outcome, choices.LOST_OUTCOMES)
    ends_chase = conversation | won | lost_outcome

    # Rule 4's own checks, added to the cell problems.
    problems = p.problems.copy()
    attempts_typed = p.attempts
    for mask, values, text in (
        (lc > day, lc, 'Last Contact "{}" is after today'),
        (p.note_sent > day, p.note_sent, 'Note Sent "{}" is after today'),
        (
            (attempts_typed > 0) & ~has_lc,
            attempts_typed,
            'Attempts "{:g}" is set but Last Contact is blank',
        ),
    ):
        for row in np.flatnonzero(mask & ~p.blank):
            problem = text.format(values[row])
            problems[row] = f"{problems[row]}; {problem}" if problems[row] else problem
    check = problems.astype(bool)

    # Attempts (PRODUCT.md, "Attempts").
    typed = np.nan_to_num(attempts_typed, nan=0.0)
    trusted = known & (typed == memory.attempts)  # the cell still holds what the tool wrote
    moved = has_lc & (np.isnat(seen_lc) | (lc > seen_lc))
    count = typed.copy()
    count[trusted & moved & unanswered] += 1
    count[trusted & moved & ends_chase] = 0

    # Rule 0: stages, with what is remembered.
    conversation_seen = conversation | (known & memory.conversation)
    lost_kept = ~np.isnat(lost_since) & ~stage_edited & ~(conversation | won)
    lost = (p.stage == LOST) | lost_outcome | lost_kept
    customer = (p.stage == CUSTOMER) | won
    inferred = np.where(conversation_seen, WORKING, NEW)
    base = np.where(np.isin(p.stage, [NEW, WORKING, STALE]), p.stage, inferred)
    stale_age = has_lc & (lc <= day - np.timedelta64(rules.stale_after_days, "D"))
    stale_ended = (conversation | won) & has_lc & (lc >= stale_since)
    stale_kept = ~np.isnat(stale_since) & ~stage_edited & ~stale_ended
    stale = (p.stage == STALE) | ((p.stage == 0) & stale_age) | stale_kept

    # Rule 8's limit per stage.
    limits = rules.cut_bait
    limit = np.where(
        stale,
        limits["stale"],
        np.where(base == WORKING, limits["working"], limits["new"]),
    )
    at_limit = count >= limit
    priority_a = p.priority == PRIORITY_A
    dnc = p.dnc | (outcome == OUTCOME[choices.DO_NOT_CONTACT])
    closed = p.stage == CLOSED
    live = ~p.blank & ~dnc & ~closed & ~check

    # Outputs, filled rule by rule.
    earliest = nat_column(n)
    latest = nat_column(n)
    next_contact = nat_column(n)
    flag = np.zeros(n, dtype=np.int8)
    action = np.zeros(n, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)
    label = base.astype(np.int64)  # a stage code is its label code (why.LABELS)
    r_date = nat_column(n)
    r_low = np.zeros(n, dtype=np.int64)
    r_high = np.zeros(n, dtype=np.int64)
    r_limit = np.zeros(n, dtype=np.int64)
    r_outcome = np.zeros(n, dtype=np.int64)
    r_phase = np.zeros(n, dtype=np.int64)
    r_count = count.copy()

    def window(rows, lo, hi, act, why, anchor):
        earliest[rows] = lo[rows] if isinstance(lo, np.ndarray) else lo
        latest[rows] = hi[rows] if isinstance(hi, np.ndarray) else hi
        action[rows] = act[rows] if isinstance(act, np.ndarray) else act
        reason[rows] = why
        r_date[rows] = anchor[rows]

    def fixed(rows, flg, why, act=0, when=None):
        flag[rows] = flg
        reason[rows] = why if isinstance(why, int) else why[rows]
        action[rows] = act
        if when is not None:
            next_contact[rows] = when[rows]

    # Rules 1-4.
    taken = p.blank.copy()
    rows = ~taken & dnc
    fixed(rows, DNC, np.where(p.dnc, Reason.DNC_SET, Reason.DNC_OUTCOME))
    taken |= rows
    rows = ~taken & closed
    fixed(rows, CLOSED_FLAG, Reason.CLOSED)
    taken |= rows
    rows = ~taken & check
    fixed(rows, CHECK, Reason.CHECK)
    taken |= rows

    cb = p.call_back
    rows = ~taken & ~np.isnat(cb) & (~has_lc | (cb > lc))
    window(rows, cb, calendar.after(cb, rules.callback_workdays), CALL_BACK, Reason.CALL_BACK, cb)
    r_high[rows] = rules.callback_workdays
    taken |= rows

    # Rule 5: customers, for repeat business.
    rows = ~taken & customer
    cw = rules.customer_days
    window(rows, add_days(lc, cw.low), add_days(lc, cw.high), CHECK_IN, Reason.CUSTOMER, lc)
    r_low[rows], r_high[rows] = cw.low, cw.high
    start = rows & ~has_lc
    reason[start] = Reason.CUSTOMER_START
    taken |= rows

    # Rule 6: lost or not ready: the 2 minute check-in every 6 months.
    rows = ~taken & lost
    opens = add_months(lc, rules.lost_months)
    window(rows, opens, add_days(opens, rules.lost_extra_days), CHECK_IN, Reason.LOST, lc)
    r_low[rows], r_high[rows] = rules.lost_months, rules.lost_extra_days
    lost_label = np.where(lost_kept, LOST_KEPT, LOST_LABEL)
    for name, label_code in LOST_BY_OUTCOME.items():
        lost_label[outcome == OUTCOME[name]] = label_code
    label = np.where(rows, lost_label, label)
    reason[rows & ~has_lc] = Reason.LOST_START
    taken |= rows

    # Rule 7: the stale pool, 5+5+5. A cut row whose time has come (rule 8) recycles into it:
    # remembered as stale, its attempts back to 0.
    note = p.note_sent
    cycle = np.timedelta64(rules.note_cycle_days, "D")
    card_due = np.isnat(note) | ((note < lc) & (note < day - cycle))
    note_call = ~np.isnat(note) & (~has_lc | (lc <= note))
    pool = ~taken & stale & ~(priority_a & at_limit)
    reaches_cut = ~taken & ~(pool & (card_due | note_call)) & at_limit & ~priority_a
    recycle_days = np.timedelta64(rules.recycle_after_days, "D")
    recycled = reaches_cut & (rules.recycle_after_days > 0) & has_lc & (lc + recycle_days <= day)
    count[recycled] = r_count[recycled] = 0
    at_limit &= ~recycled
    stale |= recycled
    pool |= recycled
    in_queue = pool & card_due
    cards = assign_cards(
        in_queue, p.owner, priority_a, lc, given_on, rules.cards_per_day, today, calendar
    )
    fixed(cards.card, CARD, Reason.CARD, NOTE, cards.card_on)
    r_date[cards.card] = cards.card_on[cards.card]
    queued = in_queue & ~cards.card
    fixed(queued, QUEUED, Reason.QUEUED, NOTE, cards.queued_day)
    r_count[queued] = cards.place[queued]
    r_low[in_queue] = rules.cards_per_day
    taken |= in_queue

    rows = ~taken & pool & note_call
    call_day = calendar.after(note, rules.note_call_workdays)
    window(rows, call_day, call_day, NOTE_CALL, Reason.NOTE_CALL, note)
    r_low[rows] = rules.note_call_workdays
    taken |= rows
    label = np.where(stale & ~customer & ~lost, STALE_LABEL, label)

    # Rule 8: cut bait.
    rows = ~taken & at_limit & priority_a & has_lc
    rw = rules.retry_months
    window(rows, add_months(lc, rw.low), add_months(lc, rw.high), RETRY, Reason.RETRY, lc)
    r_low[rows], r_high[rows], r_limit[rows] = rw.low, rw.high, limit[rows]
    taken |= rows

    rows = ~taken & at_limit
    if rules.recycle_after_days > 0:
        fixed(rows, CUT, Reason.CUT, when=add_days(lc, rules.recycle_after_days))
    else:
        fixed(rows, CUT, Reason.CUT_KEPT)
    r_date[rows], r_low[rows], r_limit[rows] = lc[rows], rules.recycle_after_days, limit[rows]
    taken |= rows

    # Rule 9: follow-up.
    rows = ~taken & ~has_lc
    fixed(rows, DUE, Reason.FIRST_CALL, CALL, np.full(n, day))
    taken |= rows

    calls = _isin(outcome, ("No answer", "Voicemail"))
    rows = ~taken & calls & (lc >= calendar.previous_workday(today))
    window(rows, lc, calendar.after(lc, 1), FOLLOW_UP_EMAIL, Reason.EMAIL_STEP, lc)
    r_outcome[rows] = outcome[rows]
    taken |= rows

    rows = ~taken
    low = np.full(n, rules.followup_days.low)
    high = np.full(n, rules.followup_days.high)
    why = np.full(n, Reason.FOLLOW_UP, dtype=np.int8)
    for i, phase in enumerate(choices.PHASES, start=1):
        w = rules.phase_days[phase.lower()]
        has_phase = p.phase == i
        low[has_phase], high[has_phase], why[has_phase] = w.low, w.high, Reason.PHASE
    every = ~np.isnan(p.contact_every)
    every_days = np.nan_to_num(p.contact_every, nan=0).astype(np.int64)
    low = np.where(every, every_days, low)
    high = np.where(every, every_days + rules.contact_every_slack_days, high)
    why = np.where(every, Reason.CONTACT_EVERY, why)
    act = np.where(p.channel == EMAIL, EMAIL_ACTION, CALL)
    window(rows, add_days(lc, low), add_days(lc, high), act, Reason.FOLLOW_UP, lc)
    reason[rows] = why[rows]
    r_low[rows], r_high[rows] = low[rows], high[rows]
    phase_rows = rows & ~every & (p.phase > 0)
    r_phase[phase_rows] = p.phase[phase_rows]

    # Flags of the windowed rows, read from the windows moved to workdays.
    windowed = ~np.isnat(earliest) & (flag == 0)
    first = calendar.roll_forward(earliest)
    last = calendar.roll_forward(latest)
    flag = np.where(
        windowed,
        np.where(day < first, SCHEDULED, np.where(day <= last, DUE, OVERDUE)),
        flag,
    )
    next_contact = np.where(windowed, first, next_contact)
    # Rows that count from a last contact they don't have start today.
    start = live & (np.isin(reason, [Reason.CUSTOMER_START, Reason.LOST_START]))
    flag[start], next_contact[start] = DUE, day

    why_text = render(
        reason=reason,
        label=label,
        count=np.nan_to_num(r_count, nan=0),
        date=r_date,
        low=r_low,
        high=r_high,
        limit=r_limit,
        outcome=r_outcome,
        phase=r_phase,
    )
    # Only rows flagged CHECK say their problems; DNC and Closed come first (rules 2-3).
    check = flag == CHECK
    why_text[check] = problems[check]

    new_attempts = np.where(p.blank | check, np.nan, count)
    remember = ~p.blank & ~check
    lost_from = np.where(lost_kept, lost_since, np.where(has_lc, lc, day))
    new_memory = Memory(
        known=remember,
        last_contact=lc,
        attempts=count,
        conversation=conversation_seen,
        lost_since=np.where(lost_outcome | lost_kept, lost_from, np.datetime64("NaT")),
        stale_since=np.where(
            stale & ~customer & ~lost,
            np.where(np.isnat(stale_since) | ~stale_kept, day, stale_since),
            np.datetime64("NaT"),
        ),
        card_on=cards.card_on,
        stage=p.stage,
    )
    return Decisions(
        flag=FLAGS[flag],
        next_contact=next_contact,
        action=ACTIONS[action],
        why=why_text,
        attempts=new_attempts,
        memory=new_memory,
        earliest=np.where(windowed, first, NAT),
        latest=np.where(windowed, last, NAT),
        promised=windowed & np.isin(action, [CALL_BACK, NOTE_CALL]),
    )
