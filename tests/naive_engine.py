"""The plain way: the README's cadence rules, one row at a time, in ordinary Python.

The reference implementation of the tests: a second, independent reading of the README's
"The rules" (rules 0-9), "Attempts" and "Flags", written from the text and not from
``sheetsync.engine``. ``tests/test_engine_reference.py`` checks the engine against it on random
small tables; ``benchmarks/bench_engine.py`` times it against the vectorised engine.

It reads the same typed columns (``Prospects``, ``Memory``) but turns them into plain Python
values first (``datetime.date``, ``str``, ``int``, ``None``) and then walks the rows with
if/elif. Workdays are the configured weekdays only: no public holidays. No ``Why`` texts.

Each row's answer is a ``Row``: (flag, next_contact, action, attempts), ``None`` where blank.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any, NamedTuple

from sheetsync import choices
from sheetsync.config import WEEKDAYS, Rules

ONE_DAY = dt.timedelta(days=1)

UNANSWERED = {"No answer", "Voicemail", "Email sent"}
CALLS = {"No answer", "Voicemail"}
CONVERSATIONS = {"Connected", "Meeting"}
LOST_OUTCOMES = {"Not now", "Chose competitor"}
#: outcomes that set the count back to 0 when the Last Contact moves later
RESETS = CONVERSATIONS | {"Won"} | LOST_OUTCOMES


class Row(NamedTuple):
    flag: str | None
    next_contact: dt.date | None
    action: str | None
    attempts: int | None


BLANK_ROW = Row(None, None, None, None)


# --- workdays, written simply -------------------------------------------------------------


class Workdays:
    """The team's weekdays (Mon-Fri by default); no holidays."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.weekdays = {WEEKDAYS.index(name) for name in names}

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays

    def on_or_after(self, day: dt.date) -> dt.date:
        """The day itself if it is a workday, else the next workday (a window end moved)."""
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def later(self, day: dt.date, n: int) -> dt.date:
        """The n-th workday after ``day`` (n = 0: the day itself)."""
        found = 0
        while found < n:
            day += ONE_DAY
            if self.is_workday(day):
                found += 1
        return day


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; a day the target month lacks becomes its last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- reading the typed columns ------------------------------------------------------------


def _name(names: tuple[str, ...], value: int) -> str | None:
    """A choice code (1-based place in ``names``, 0 = blank) back to its text."""
    return names[value - 1] if value else None


def _date(value: Any) -> dt.date | None:
    return value  # datetime64[D].tolist() already gives datetime.date or None (NaT)


def _number(value: float) -> int | None:
    return None if value != value else int(value)  # NaN != NaN


def read_rows(prospects: Any, memory: Any) -> list[dict[str, Any]]:
    """Both tables as one list of plain dicts, one per sheet row."""
    p, m = prospects, memory
    columns = {
        "blank": p.blank.tolist(),
        "problems": list(p.problems),
        "owner": p.owner.tolist(),
        "stage": p.stage.tolist(),
        "outcome": p.outcome.tolist(),
        "phase": p.phase.tolist(),
        "priority": p.priority.tolist(),
        "channel": p.channel.tolist(),
        "dnc": p.dnc.tolist(),
        "last_contact": p.last_contact.tolist(),
        "note_sent": p.note_sent.tolist(),
        "call_back": p.call_back.tolist(),
        "attempts": p.attempts.tolist(),
        "contact_every": p.contact_every.tolist(),
        "m_known": m.known.tolist(),
        "m_last_contact": m.last_contact.tolist(),
        "m_attempts": m.attempts.tolist(),
        "m_conversation": m.conversation.tolist(),
        "m_lost_since": m.lost_since.tolist(),
        "m_stale_since": m.stale_since.tolist(),
        "m_card_on": m.card_on.tolist(),
        "m_stage": m.stage.tolist(),
    }
    rows = []
    for i in range(len(columns["blank"])):
        rows.append(
            {
                "index": i,
                "blank": columns["blank"][i],
                "problems": columns["problems"][i],
                "owner": columns["owner"][i],
                "stage": _name(choices.STAGES, columns["stage"][i]),
                "outcome": _name(choices.OUTCOMES, columns["outcome"][i]),
                "phase": _name(choices.PHASES, columns["phase"][i]),
                "priority": _name(choices.PRIORITIES, columns["priority"][i]),
                "channel": _name(choices.CHANNELS, columns["channel"][i]),
                "dnc": columns["dnc"][i],
                "last_contact": _date(columns["last_contact"][i]),
                "note_sent": _date(columns["note_sent"][i]),
                "call_back": _date(columns["call_back"][i]),
                "attempts": _number(columns["attempts"][i]),
                "contact_every": _number(columns["contact_every"][i]),
                "known": columns["m_known"][i],
                "seen_last_contact": _date(columns["m_last_contact"][i]),
                "seen_attempts": _number(columns["m_attempts"][i]),
                "seen_conversation": columns["m_conversation"][i],
                "lost_since": _date(columns["m_lost_since"][i]),
                "stale_since": _date(columns["m_stale_since"][i]),
                "card_on": _date(columns["m_card_on"][i]),
                "seen_stage": _name(choices.STAGES, columns["m_stage"][i]),
            }
        )
    return rows


# --- the rules ----------------------------------------------------------------------------


class NaiveEngine:
    def __init__(self, rules: Rules, today: dt.date) -> None:
        if rules.holidays:
            raise ValueError("the naive engine knows no public holidays")
        self.rules = rules
        self.today = today
        self.days = Workdays(rules.workdays)

    # A window [earliest, latest]: both ends move to a workday, the flag is read from them.
    def window(self, earliest: dt.date, latest: dt.date, action: str, attempts: int) -> Row:
        first = self.days.on_or_after(earliest)
        last = self.days.on_or_after(latest)
        if self.today < first:
            flag = "SCHEDULED"
        elif self.today <= last:
            flag = "DUE"
        else:
            flag = "OVERDUE"
        return Row(flag, first, action, attempts)

    def due_today(self, action: str, attempts: int) -> Row:
        """A rule that counts from a last contact the row does not have: a window opening and
        closing today (on a weekend: the next workday, SCHEDULED)."""
        return self.window(self.today, self.today, action, attempts)

    def remembered(self, row: dict[str, Any], key: str) -> dt.date | None:
        """A remembered date, unless there is no record or it is dated after today."""
        day = row[key]
        if not row["known"] or day is None or day > self.today:
            return None
        return day

    def count(self, row: dict[str, Any]) -> int:
        """The README's Attempts paragraph."""
        typed = row["attempts"] or 0  # "the typed value, blank = 0"
        if not row["known"]:
            return typed  # first sync
        if typed != row["seen_attempts"]:
            return typed  # a rep typed it: nothing added
        last, seen = row["last_contact"], row["seen_last_contact"]
        if seen is not None and seen > self.today:
            return typed  # a Last Contact seen "after today": nothing to count against
        if last is not None and (seen is None or last > seen):
            if row["outcome"] in UNANSWERED:
                return typed + 1
            if row["outcome"] in RESETS:
                return 0
        return typed

    def problems(self, row: dict[str, Any]) -> bool:
        last, note = row["last_contact"], row["note_sent"]
        return bool(
            row["problems"]
            or (last is not None and last > self.today)
            or (note is not None and note > self.today)
            or (row["attempts"] and last is None)
        )

    def decide(self, row: dict[str, Any]) -> Row | dict[str, Any]:
        """A row's answer, or (for the card queue) the facts the queue needs."""
        rules, today = self.rules, self.today
        if row["blank"]:
            return BLANK_ROW
        stage, outcome, last = row["stage"], row["outcome"], row["last_contact"]
        attempts = self.count(row)

        # Rules 2-4.
        if row["dnc"] or outcome == "Do not contact":
            return Row("DNC", None, None, attempts)
        if stage == "Closed":
            return Row("CLOSED", None, None, attempts)
        if self.problems(row):
            return Row("CHECK", None, None, None)
        back = row["call_back"]
        if back is not None and (last is None or back > last):
            later = self.days.later(back, rules.callback_workdays)
            return self.window(back, later, "Call back (requested)", attempts)

        # Rule 0: what the row is, with what is remembered.
        stage_edited = row["known"] and row["seen_stage"] != stage
        lost_since = self.remembered(row, "lost_since")
        stale_since = self.remembered(row, "stale_since")
        if stage == "Customer" or outcome == "Won":
            if last is None:
                return self.due_today("Check-in call", attempts)
            lo, hi = rules.customer_days.low, rules.customer_days.high
            return self.window(
                last + dt.timedelta(days=lo),
                last + dt.timedelta(days=hi),
                "Check-in call",
                attempts,
            )
        still_lost = lost_since is not None and not stage_edited and outcome not in CONVERSATIONS
        if stage == "Lost" or outcome in LOST_OUTCOMES or still_lost:
            if last is None:
                return self.due_today("Check-in call", attempts)
            opens = add_months(last, rules.lost_months)
            closes = opens + dt.timedelta(days=rules.lost_extra_days)
            return self.window(opens, closes, "Check-in call", attempts)

        old_contact = last is not None and (today - last).days >= rules.stale_after_days
        if stage == "Stale" or (stage is None and old_contact):
            stale = True
        elif stale_since is not None and not stage_edited:
            # stays stale until a conversation or Won (on or after it went stale)
            talked = outcome in CONVERSATIONS or outcome == "Won"
            stale = not (talked and last is not None and last >= stale_since)
        else:
            stale = False

        if stale:
            kind = "stale"
        elif stage in ("New", "Working"):
            kind = stage.lower()
        elif outcome in CONVERSATIONS or (row["known"] and row["seen_conversation"]):
            kind = "working"
        else:
            kind = "new"
        limit = rules.cut_bait[kind]
        priority_a = row["priority"] == "A"

        # Rule 7, then rule 8 (which may send the row back to rule 7), then rule 9.
        if stale and not (priority_a and attempts >= limit):
            answer = self.stale_pool(row, attempts)
            if answer is not None:
                return answer
        if attempts >= limit:
            if priority_a:
                assert last is not None  # Attempts > 0 without a Last Contact is CHECK
                return self.window(
                    add_months(last, rules.retry_months.low),
                    add_months(last, rules.retry_months.high),
                    "Re-try call",
                    attempts,
                )
            recycle = rules.recycle_after_days
            # the day it recycles, moved forward to a workday (README rule 8)
            back_day = self.days.on_or_after(last + dt.timedelta(days=recycle)) if recycle else None
            if back_day is None or back_day > today:
                return Row("CUT", back_day, None, attempts)
            # recycled: remembered as stale, Attempts back to 0, rule 7 takes it
            attempts = 0
            answer = self.stale_pool(row, attempts)
            if answer is not None:
                return answer
        return self.follow_up(row, attempts)

    def stale_pool(self, row: dict[str, Any], attempts: int) -> Row | dict[str, Any] | None:
        """Rule 7 (5+5+5); None when the follow-up call happened (rules 8 and 9 follow)."""
        last, note = row["last_contact"], row["note_sent"]
        earlier_cycle = (
            note is not None
            and last is not None
            and note < last
            and (self.today - note).days > self.rules.note_cycle_days
        )
        if note is None or earlier_cycle:
            return {
                "index": row["index"],
                "owner": row["owner"],
                "priority_a": row["priority"] == "A",
                "last_contact": last,
                "card_on": self.remembered(row, "card_on"),
                "attempts": attempts,
            }
        if last is None or last <= note:
            call = self.days.later(note, self.rules.note_call_workdays)
            return self.window(call, call, "Call (note follow-up)", attempts)
        return None

    def follow_up(self, row: dict[str, Any], attempts: int) -> Row:
        """Rule 9."""
        rules, last = self.rules, row["last_contact"]
        if last is None:
            return self.due_today("Call", attempts)
        email_by = self.days.later(last, 1)
        if row["outcome"] in CALLS and self.today <= email_by:
            return self.window(last, email_by, "Follow-up email", attempts)
        if row["contact_every"] is not None:
            lo = row["contact_every"]
            hi = lo + rules.contact_every_slack_days
        elif row["phase"] is not None:
            phase = rules.phase_days[row["phase"].lower()]
            lo, hi = phase.low, phase.high
        else:
            lo, hi = rules.followup_days.low, rules.followup_days.high
        action = "Email" if row["channel"] == "Email" else "Call"
        return self.window(
            last + dt.timedelta(days=lo), last + dt.timedelta(days=hi), action, attempts
        )

    def card_queue(self, waiting_rows: list[dict[str, Any]], answers: list[Any]) -> None:
        """Rule 7's queue: per owner at most ``cards_per_day`` CARD rows at once."""
        quota, today = self.rules.cards_per_day, self.today
        by_owner: dict[int, list[dict[str, Any]]] = {}
        for item in waiting_rows:
            by_owner.setdefault(item["owner"], []).append(item)
        first_day = self.days.later(today, 1)
        for items in by_owner.values():
            holding = [item for item in items if item["card_on"] is not None]
            for item in holding:
                answers[item["index"]] = Row(
                    "CARD", item["card_on"], "Hand-written note", item["attempts"]
                )
            free = max(quota - len(holding), 0) if self.days.is_workday(today) else 0
            waiting = [item for item in items if item["card_on"] is None]
            waiting.sort(
                key=lambda item: (
                    not item["priority_a"],
                    item["last_contact"] or dt.date.min,
                    item["index"],
                )
            )
            card_days = [first_day]
            for place, item in enumerate(waiting):
                if place < free:
                    answers[item["index"]] = Row(
                        "CARD", today, "Hand-written note", item["attempts"]
                    )
                    continue
                day_number = (place - free) // quota
                while len(card_days) <= day_number:
                    card_days.append(self.days.later(card_days[-1], 1))
                answers[item["index"]] = Row(
                    "QUEUED", card_days[day_number], "Hand-written note", item["attempts"]
                )


def naive_decide(prospects: Any, memory: Any, rules: Rules, today: dt.date) -> list[Row]:
    """Every row's (flag, next_contact, action, attempts), row by row."""
    engine = NaiveEngine(rules, today)
    answers: list[Any] = []
    queue: list[dict[str, Any]] = []
    for row in read_rows(prospects, memory):
        answer = engine.decide(row)
        if isinstance(answer, dict):
            queue.append(answer)
            answers.append(None)
        else:
            answers.append(answer)
    engine.card_queue(queue, answers)
    return answers
