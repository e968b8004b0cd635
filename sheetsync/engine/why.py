"""The ``Why`` sentence of every decision: one template per reason, its numbers filled in.

Rows share reasons (same stage, count, window and date), so each distinct combination is
formatted once and spread back over the rows.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd


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


#: one template per reason; fields: label, count, date, low, high, extra
TEMPLATES: dict[Reason, str] = {
    Reason.DNC_SET: "Do Not Contact is set: never contact",
    Reason.DNC_OUTCOME: "Last Outcome is Do not contact: never contact",
    Reason.CLOSED: "Stage Closed: no more contact",
    Reason.CALL_BACK: "Call back requested for {date}: call that day to {high} workdays later",
    Reason.CUSTOMER: "Customer: check-in call {low}-{high} days after {date}",
    Reason.CUSTOMER_START: "Customer, never contacted: check-in call today",
    Reason.LOST: "{label}: check-in call {low} months to {low} months + {high} days after {date}",
    Reason.LOST_START: "{label}, never contacted: check-in call today",
    Reason.CARD: "Stale, 5+5+5: hand-written note, card given {date} ({low} cards a day per owner)",
    Reason.QUEUED: "Stale, 5+5+5: number {count} in the card queue at {low} cards a day",
    Reason.NOTE_CALL: "Stale: note sent {date}, call {low} workdays later as promised",
    Reason.RETRY: "{label}, {attempts}: priority A past cut bait {extra}, "
    "re-try call {low}-{high} months after {date}",
    Reason.CUT: "{label}, {attempts}: cut bait at {extra}, back to the stale pool "
    "{low} days after {date}",
    Reason.CUT_KEPT: "{label}, {attempts}: cut bait at {extra}",
    Reason.FIRST_CALL: "{label}, never contacted: call today",
    Reason.EMAIL_STEP: "{label}, {attempts}: {extra} on {date}, follow-up email by the next workday",
    Reason.FOLLOW_UP: "{label}, {attempts}: follow up {low}-{high} days after {date}",
    Reason.CONTACT_EVERY: "{label}, {attempts}: contact every {extra} days as asked, "
    "{low}-{high} days after {date}",
    Reason.PHASE: "{label}, {attempts}: phase {extra}, follow up {low}-{high} days after {date}",
}


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def render(
    reason: np.ndarray,
    label: np.ndarray,
    count: np.ndarray,
    date: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    extra: np.ndarray,
) -> np.ndarray:
    """Format every row's reason; returns an object array (None for BLANK and CHECK rows)."""
    params = pd.DataFrame(
        {
            "reason": reason,
            "label": label,
            "count": np.nan_to_num(count, nan=0).astype(np.int64),
            "date": date,
            "low": low,
            "high": high,
            "extra": extra,
        }
    )
    keys = ["reason", "label", "count", "date", "low", "high", "extra"]
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(params[keys]))
    texts = np.empty(len(uniques), dtype=object)
    for i, (rsn, lbl, cnt, day, lo, hi, ext) in enumerate(uniques):
        template = TEMPLATES.get(Reason(rsn))
        if template is None:
            texts[i] = None
            continue
        texts[i] = template.format(
            label=lbl,
            count=cnt,
            attempts=_attempts(cnt),
            date="" if pd.isna(day) else str(np.datetime64(day, "D")),
            low=lo,
            high=hi,
            extra=ext,
        )
    return texts[codes]
