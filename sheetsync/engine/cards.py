"""README rule 7's card queue ("5+5+5"): at most ``cards_per_day`` rows per owner hold a
CARD at once; the rest wait in order for a slot on a later workday."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sheetsync.workdays import NAT, Calendar


@dataclass
class CardQueue:
    card: np.ndarray  # bool: flagged CARD
    card_on: np.ndarray  # the day the card was given (CARD rows), else NaT
    queued_day: np.ndarray  # projected card day (QUEUED rows), else NaT
    place: np.ndarray  # 1-based place in the owner's waiting line (QUEUED rows), else 0


def assign_cards(
    queue: np.ndarray,
    owner: np.ndarray,
    priority_a: np.ndarray,
    last_contact: np.ndarray,
    given_on: np.ndarray,
    cards_per_day: int,
    today: dt.date,
    calendar: Calendar,
) -> CardQueue:
    """Give cards to the rows of ``queue``.

    A row already given a card (``given_on``) keeps it: unsent cards count against the quota
    and a newly stale lead never bumps one. New cards go, on workdays only, to the waiting rows
    in order: priority A first, then oldest last contact first (none = oldest), then sheet order.
    """
    n = len(queue)
    card = np.zeros(n, dtype=bool)
    card_on = np.full(n, NAT, dtype="datetime64[D]")
    queued_day = np.full(n, NAT, dtype="datetime64[D]")
    place = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(queue)
    if not len(rows):
        return CardQueue(card, card_on, queued_day, place)

    kept = ~np.isnat(given_on[rows])
    card[rows[kept]] = True
    card_on[rows[kept]] = given_on[rows[kept]]

    owners = owner[rows]
    held = np.bincount(owners[kept], minlength=owner.max() + 1)
    free = np.maximum(cards_per_day - held, 0) if calendar.is_workday(today) else held * 0

    waiting = rows[~kept]
    # NaT is the smallest int64, so "no last contact" sorts as the oldest.
    order = np.lexsort(
        (
            waiting,
            last_contact[waiting].astype(np.int64),
            ~priority_a[waiting],
            owner[waiting],
        )
    )
    waiting = waiting[order]
    groups = owner[waiting]
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    rank = np.arange(len(waiting)) - np.repeat(starts, np.diff(np.r_[starts, len(waiting)]))
    slots = free[groups]
    given = rank < slots
    card[waiting[given]] = True
    card_on[waiting[given]] = np.datetime64(today, "D")

    later = waiting[~given]
    behind = (rank - slots)[~given]
    first_day = calendar.next_workday(today)
    queued_day[later] = calendar.after(
        np.full(len(later), first_day, dtype="datetime64[D]"), behind // cards_per_day
    )
    place[later] = behind + 1
    return CardQueue(card, card_on, queued_day, place)
