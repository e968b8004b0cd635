"""What every row is before the rules decide it: its stage (README rule 0), its Attempts count
(README, "Attempts"), what is remembered of it and the checks rule 4 adds to its cell problems.

Computed once over whole columns; the rules of ``engine/rules.py`` read these facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sheetsync import choices
from sheetsync.config import Rules
from sheetsync.engine.columns import OUTCOME, PRIORITY, STAGE, Memory, Prospects, nat_column
from sheetsync.engine.why import LOST_BY_OUTCOME, LOST_KEPT, LOST_LABEL, STALE_LABEL, Reason
from sheetsync.workdays import Calendar, add_days

NAT = np.datetime64("NaT")


def _outcome_in(column: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return np.isin(column, [OUTCOME[name] for name in names])


@dataclass
class Facts:
    """Every row's facts, one array entry per row (see ``find_facts``)."""

    prospects: Prospects
    rules: Rules
    calendar: Calendar
    today: dt.date
    day: np.datetime64  # today as datetime64[D]
    has_lc: np.ndarray  # a Last Contact is set
    problems: np.ndarray  # object: the cell problems and rule 4's own checks, "" when none
    count: np.ndarray  # float: the Attempts count (rule 7 sets recycled rows' to 0)
    conversation_seen: np.ndarray  # a conversation, now or at an earlier sync
    lost_outcome: np.ndarray  # outcome Not now / Chose competitor
    lost_kept: np.ndarray  # remembered lost, check-ins unanswered since
    lost_since: np.ndarray  # remembered: lost since (NaT: not remembered)
    stale_since: np.ndarray  # remembered: in the stale pool since
    stale_kept: np.ndarray  # remembered stale, and still so
    given_on: np.ndarray  # remembered: a card given on
    dnc: np.ndarray  # rule 2
    closed: np.ndarray  # rule 3
    customer: np.ndarray  # rule 5
    lost: np.ndarray  # rule 6
    stale: np.ndarray  # rule 7 (rule 7 adds the cut rows it recycles)
    stage: np.ndarray  # New or Working (codes as STAGE), typed or inferred (rule 0)
    limit: np.ndarray  # rule 8's cut-bait limit for the row's stage
    priority_a: np.ndarray

    @property
    def at_limit(self) -> np.ndarray:
        """Rule 8: the Attempts count has reached the stage's cut-bait limit."""
        return self.count >= self.limit

    @property
    def label(self) -> np.ndarray:
        """The row's stage as a Why sentence names it (``why.LABELS``): Stale, else New/Working."""
        return np.where(self.stale, STALE_LABEL, self.stage.astype(np.int64))

    @property
    def lost_label(self) -> np.ndarray:
        """Rule 6's name for a lost row: Lost, Lost (Not now), ..., Lost, check-in unanswered."""
        label = np.where(self.lost_kept, LOST_KEPT, LOST_LABEL)
        for name, label_code in LOST_BY_OUTCOME.items():
            label[self.prospects.outcome == OUTCOME[name]] = label_code
        return label

    def starts(self, today: Reason, later: Reason) -> Reason:
        """The reason of a window opening today, which opens on the next workday when today is
        not one: rows counting from a last contact they don't have."""
        return today if self.calendar.is_workday(self.today) else later

    @cached_property
    def recycle_day(self) -> np.ndarray:
        """Rule 8: the workday a cut row recycles into the stale pool (NaT: never)."""
        lc, days = self.prospects.last_contact, self.rules.recycle_after_days
        if not days:
            return nat_column(len(lc))
        return self.calendar.roll_forward(add_days(lc, days))

    def recycle(self, rows: np.ndarray) -> None:
        """Rule 8's cut rows whose time has come: back in the stale pool, Attempts 0."""
        self.count[rows] = 0
        self.stale |= rows


def find_facts(
    prospects: Prospects, memory: Memory, rules: Rules, today: dt.date, calendar: Calendar
) -> Facts:
    """The facts of every row; ``memory`` is aligned to the rows (see ``Memory.take``)."""
    p = prospects
    day = np.datetime64(today, "D")
    lc = p.last_contact
    has_lc = ~np.isnat(lc)

    # What is remembered counts only if it is not dated after today.
    known = memory.known & ~(memory.last_contact > day)

    def remembered(column: np.ndarray) -> np.ndarray:
        return np.where(known & (column <= day), column, NAT)

    seen_lc = np.where(known, memory.last_contact, NAT)
    lost_since = remembered(memory.lost_since)
    stale_since = remembered(memory.stale_since)
    stage_edited = known & (p.stage != memory.stage)

    outcome = p.outcome
    unanswered = _outcome_in(outcome, choices.UNANSWERED)
    conversation = _outcome_in(outcome, choices.CONVERSATION)
    won = outcome == OUTCOME[choices.WON]
    lost_outcome = _outcome_in(outcome, choices.LOST_OUTCOMES)

    # Attempts: the typed value, +1 for a later unanswered touch, 0 after a conversation or an
    # ending; a value a rep typed over the tool's is taken as is.
    typed = np.nan_to_num(p.attempts, nan=0.0)
    trusted = known & (typed == memory.attempts)
    moved = has_lc & (np.isnat(seen_lc) | (lc > seen_lc))
    count = typed.copy()
    count[trusted & moved & unanswered] += 1
    count[trusted & moved & (conversation | won | lost_outcome)] = 0

    # Rule 0: a blank Stage is inferred; lost and stale are remembered.
    conversation_seen = conversation | (known & memory.conversation)
    lost_kept = ~np.isnat(lost_since) & ~stage_edited & ~(conversation | won)
    typed_stage = np.isin(p.stage, [STAGE["New"], STAGE["Working"], STAGE["Stale"]])
    inferred = np.where(conversation_seen, STAGE["Working"], STAGE["New"])
    stage = np.where(typed_stage & (p.stage != STAGE["Stale"]), p.stage, inferred)
    stale_age = has_lc & (lc <= day - np.timedelta64(rules.stale_after_days, "D"))
    stale_ended = (conversation | won) & has_lc & (lc >= stale_since)
    stale_kept = ~np.isnat(stale_since) & ~stage_edited & ~stale_ended
    stale = (p.stage == STAGE["Stale"]) | ((p.stage == 0) & stale_age) | stale_kept
    limits = rules.cut_bait
    limit = np.where(
        stale,
        limits["stale"],
        np.where(stage == STAGE["Working"], limits["working"], limits["new"]),
    )

    return Facts(
        prospects=p,
        rules=rules,
        calendar=calendar,
        today=today,
        day=day,
        has_lc=has_lc,
        problems=_problems(p, day, has_lc),
        count=count,
        conversation_seen=conversation_seen,
        lost_outcome=lost_outcome,
        lost_kept=lost_kept,
        lost_since=lost_since,
        stale_since=stale_since,
        stale_kept=stale_kept,
        given_on=remembered(memory.card_on),
        dnc=p.dnc | (outcome == OUTCOME[choices.DO_NOT_CONTACT]),
        closed=p.stage == STAGE["Closed"],
        customer=(p.stage == STAGE["Customer"]) | won,
        lost=(p.stage == STAGE["Lost"]) | lost_outcome | lost_kept,
        stale=stale,
        stage=stage,
        limit=limit,
        priority_a=p.priority == PRIORITY["A"],
    )


def _problems(p: Prospects, day: np.datetime64, has_lc: np.ndarray) -> np.ndarray:
    """The cell problems, with rule 4's own checks of dates and Attempts added."""
    problems = p.problems.copy()
    for mask, values, text in (
        (p.last_contact > day, p.last_contact, 'Last Contact "{}" is after today'),
        (p.note_sent > day, p.note_sent, 'Note Sent "{}" is after today'),
        (
            (p.attempts > 0) & ~has_lc,
            p.attempts,
            'Attempts "{:g}" is set but Last Contact is blank',
        ),
    ):
        for row in np.flatnonzero(mask & ~p.blank):
            problem = text.format(values[row])
            problems[row] = f"{problems[row]}; {problem}" if problems[row] else problem
    return problems


def remember(f: Facts, check: np.ndarray, card_on: np.ndarray) -> Memory:
    """What to remember of every row decided (rows flagged CHECK and blank rows: nothing)."""
    p, day = f.prospects, f.day
    lc = p.last_contact
    lost_from = np.where(f.lost_kept, f.lost_since, np.where(f.has_lc, lc, day))
    stale_from = np.where(np.isnat(f.stale_since) | ~f.stale_kept, day, f.stale_since)
    return Memory(
        known=~p.blank & ~check,
        last_contact=lc,
        attempts=f.count,
        conversation=f.conversation_seen,
        lost_since=np.where(f.lost_outcome | f.lost_kept, lost_from, NAT),
        stale_since=np.where(f.stale & ~f.customer & ~f.lost, stale_from, NAT),
        card_on=card_on,
        stage=p.stage,
    )
