"""The ``Why`` sentence of every decision: one template per reason, its numbers filled in.

Rows share reasons (same stage, count, window and date), so each distinct combination is
formatted once and spread back over the rows: a million rows hold a few thousand sentences.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sheetsync import choices
from sheetsync.codes import combined_codes


class Reason(IntEnum):
    BLANK = 0
    CHECK = 1
    DNC_SET = 2
    DNC_OUTCOME = 3
    CLOSED = 4
    CALL_BACK = 5
    CUSTOMER = 6
    CUSTOMER_START = 7
    LOST = 8
    LOST_START = 9
    CARD = 10
    QUEUED = 11
    NOTE_CALL = 12
    RETRY = 13
    CUT = 14
    CUT_KEPT = 15
    FIRST_CALL = 16
    EMAIL_STEP = 17
    FOLLOW_UP = 18
    CONTACT_EVERY = 19
    PHASE = 20
    CUSTOMER_START_LATER = 21
    LOST_START_LATER = 22
    FIRST_CALL_LATER = 23


#: the row's label in a sentence: a stage (codes as ``choices.STAGES``), then these
LABELS: tuple[str, ...] = (
    "",
    *choices.STAGES,
    *(f"Lost ({o})" for o in choices.LOST_OUTCOMES),
    "Lost, check-in unanswered",
)
LOST_BY_OUTCOME = {o: LABELS.index(f"Lost ({o})") for o in choices.LOST_OUTCOMES}
LOST_KEPT = LABELS.index("Lost, check-in unanswered")
STALE_LABEL = LABELS.index("Stale")
LOST_LABEL = LABELS.index("Lost")

#: one template per reason; fields: label, count/attempts, date, low, high, limit, outcome, phase
TEMPLATES: dict[Reason, str] = {
    Reason.DNC_SET: "Do Not Contact is set: never contact",
    Reason.DNC_OUTCOME: "Last Outcome is Do not contact: never contact",
    Reason.CLOSED: "Stage Closed: no more contact",
    Reason.CALL_BACK: "Call back requested for {date}: call that day to {high} workdays later",
    Reason.CUSTOMER: "Customer: check-in call {low}-{high} days after {date}",
    Reason.CUSTOMER_START: "Customer, never contacted: check-in call today",
    Reason.CUSTOMER_START_LATER: "Customer, never contacted: check-in call on the next workday",
    Reason.LOST: "{label}: check-in call {low} months to {low} months + {high} days after {date}",
    Reason.LOST_START: "{label}, never contacted: check-in call today",
    Reason.LOST_START_LATER: "{label}, never contacted: check-in call on the next workday",
    Reason.CARD: "Stale, 5+5+5: hand-written note, card given {date} ({low} cards a day per owner)",
    Reason.QUEUED: "Stale, 5+5+5: number {count} in the card queue at {low} cards a day",
    Reason.NOTE_CALL: "Stale: note sent {date}, call {low} workdays later as promised",
    Reason.RETRY: "{label}, {attempts}: priority A past cut bait {limit}, "
    "re-try call {low}-{high} months after {date}",
    Reason.CUT: "{label}, {attempts}: cut bait at {limit}, back to the stale pool "
    "{low} days after {date}",
    Reason.CUT_KEPT: "{label}, {attempts}: cut bait at {limit}",
    Reason.FIRST_CALL: "{label}, never contacted: call today",
    Reason.FIRST_CALL_LATER: "{label}, never contacted: call on the next workday",
    Reason.EMAIL_STEP: "{label}, {attempts}: {outcome} on {date}, "
    "follow-up email by the next workday",
    Reason.FOLLOW_UP: "{label}, {attempts}: follow up {low}-{high} days after {date}",
    Reason.CONTACT_EVERY: "{label}, {attempts}: contact every {low} days as asked, "
    "{low}-{high} days after {date}",
    Reason.PHASE: "{label}, {attempts}: phase {phase}, follow up {low}-{high} days after {date}",
}
_BY_CODE = {int(reason): text for reason, text in TEMPLATES.items()}
_PARAMS = ("reason", "label", "count", "date", "low", "high", "limit", "outcome", "phase")


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def render(**params: np.ndarray) -> np.ndarray:
    """Format every row's reason (object array; None for BLANK and CHECK rows).

    ``params`` are integer columns named as ``_PARAMS`` (dates as ``datetime64[D]``).
    """
    columns = [
        np.asarray(params[name]).view(np.int64)
        if name == "date"
        else np.asarray(params[name], dtype=np.int64)
        for name in _PARAMS
    ]
    codes = combined_codes(columns)
    count = int(codes.max()) + 1 if len(codes) else 0
    first = np.empty(count, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    # One Python value list per parameter, over the distinct combinations only.
    values = {name: column[first].tolist() for name, column in zip(_PARAMS, columns, strict=True)}
    days = np.asarray(params["date"])[first]
    values["date"] = np.where(np.isnat(days), "", np.datetime_as_string(days, unit="D")).tolist()
    outcomes = ("", *choices.OUTCOMES)
    phases = ("", *choices.PHASES)
    texts = np.empty(count, dtype=object)
    for i, (rsn, lbl, cnt, day, low, high, limit, outcome, phase) in enumerate(
        zip(*(values[name] for name in _PARAMS), strict=True)
    ):
        template = _BY_CODE.get(rsn)
        if template is not None:
            texts[i] = template.format(
                label=LABELS[lbl],
                count=cnt,
                attempts=_attempts(cnt),
                date=day,
                low=low,
                high=high,
                limit=limit,
                outcome=outcomes[outcome],
                phase=phases[phase],
            )
    return texts[codes]
