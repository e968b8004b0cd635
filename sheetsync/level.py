"""Levelling: each rep's windowed touches spread over the days of their windows, so that no
day carries more than the rep's capacity where the windows allow it.

``level`` is the pure planner over numpy columns; ``apply_levelling`` puts its plan into the
engine's decisions (Next Contact, Flag, Why). With no capacity configured (the default) the
decisions are returned as they are.

Order of claim, per owner: promised days first (a requested call back, the call a note
promised), then rows already OVERDUE (planned on the rep's first workday from today: they are
late; their Next Contact stays the window's first day, which says how late), then rows keeping
the day an earlier sync planned (while it lies inside the window, has not passed and has
room), then the rest; within each, by the window's latest day, priority A, oldest last
contact, sheet order. Each row takes the first day of its window with room; a row never moves
past its latest day: when the window has no room the row stays on its latest day, a row with
days to spare planned there earlier moves on to the next day of its own window with room, and
what is left over is reported.

Example::

    >>> import numpy as np, datetime as dt
    >>> d = lambda *s: np.array(s, dtype="datetime64[D]")
    >>> cal = np.busdaycalendar()
    >>> plan = level(owner=np.zeros(3, int), earliest=d("2026-12-07", "2026-12-07", "2026-12-07"),
    ...              latest=d("2026-12-11", "2026-12-08", "2026-12-11"),
    ...              promised=np.zeros(3, bool), priority_a=np.zeros(3, bool),
    ...              last_contact=d("NaT", "NaT", "NaT"), previous=d("NaT", "NaT", "NaT"),
    ...              today=dt.date(2026, 12, 7), capacity=np.array([1]), calendars=[cal])
    >>> plan.day.tolist()
    [datetime.date(2026, 12, 8), datetime.date(2026, 12, 7), datetime.date(2026, 12, 9)]
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sheetsync.cellvalues import owner_key
from sheetsync.codes import combined_codes
from sheetsync.workdays import NAT, per_distinct_day

if TYPE_CHECKING:
    from sheetsync.capacity import Capacity
    from sheetsync.config import Config
    from sheetsync.engine import Decisions, Prospects
    from sheetsync.schema import Layout
    from sheetsync.sources.base import SheetData
    from sheetsync.workdays import Calendar

log = logging.getLogger(__name__)

_LAST_DAY = np.datetime64("9999-12-31", "D")


@dataclass(frozen=True)
class Overload:
    """A day on which a rep has more touches planned than their capacity (every row planned on
    it has that day as its window's last day, or is late)."""

    owner: str
    day: dt.date
    planned: int
    capacity: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Overload:
        return cls(
            data["owner"], dt.date.fromisoformat(data["day"]), data["planned"], data["capacity"]
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "owner": self.owner,
            "day": self.day.isoformat(),
            "planned": self.planned,
            "capacity": self.capacity,
        }


def overload_lines(overloads: list[Overload], most: int = 5) -> list[str]:
    """One line per rep: ``over capacity: Dana (20 a day) on 2026-12-11 (23 planned)`` (the
    first ``most`` days, then how many more)."""
    by_owner: dict[str, list[Overload]] = {}
    for overload in overloads:
        by_owner.setdefault(overload.owner, []).append(overload)
    lines = []
    for owner, days in by_owner.items():
        shown = ", ".join(f"{o.day.isoformat()} ({o.planned} planned)" for o in days[:most])
        more = f" and {len(days) - most} more days" if len(days) > most else ""
        lines.append(f"over capacity: {owner} ({days[0].capacity} a day) on {shown}{more}")
    return lines


@dataclass
class LevelPlan:
    """The planner's answer per row (NaT for rows it was not given)."""

    day: np.ndarray  # datetime64[D]: the planned day
    earliest: np.ndarray  # the window moved to the owner's workdays
    latest: np.ndarray
    late: np.ndarray  # bool: the window closed before today
    #: (owner code, day, planned, capacity) of each overloaded day, by owner then day
    overloads: list[tuple[int, dt.date, int, int]]


def _roll(days: np.ndarray, cal: np.busdaycalendar) -> np.ndarray:
    """Each day, or the owner's next workday (NaT stays NaT)."""

    def roll(d: np.ndarray) -> np.ndarray:
        blank = np.isnat(d)
        out = np.busday_offset(
            np.where(blank, np.datetime64("2000-01-03"), d), 0, "forward", busdaycal=cal
        )
        return np.where(blank, NAT, out)

    return per_distinct_day(roll, days)


def _index(days: np.ndarray, origin: np.datetime64, cal: np.busdaycalendar) -> np.ndarray:
    """The place of each day (rolled forward to a workday) among the owner's workdays counted
    from ``origin`` (a workday): 0 for origin, negative before it."""

    def index(d: np.ndarray) -> np.ndarray:
        # rolled first: numpy counts (end, begin] for a day before ``origin``, and that is a
        # count of workdays only between two workdays
        rolled = np.busday_offset(d, 0, "forward", busdaycal=cal)
        return np.busday_count(origin, rolled, busdaycal=cal)

    return per_distinct_day(index, days)


def level(
    owner: np.ndarray,
    earliest: np.ndarray,
    latest: np.ndarray,
    promised: np.ndarray,
    priority_a: np.ndarray,
    last_contact: np.ndarray,
    previous: np.ndarray,
    today: dt.date,
    capacity: np.ndarray,
    calendars: list[np.busdaycalendar],
) -> LevelPlan:
    """Plan a day for every row with a window (``earliest`` not NaT).

    ``owner``: owner codes (indexes into ``capacity`` and ``calendars``); ``capacity[o]`` = 0
    means no limit: each row takes the first day of its window. ``previous``: the day an
    earlier sync planned (NaT: none); kept while it lies inside the window, is not before
    today and has room. Rows are in sheet order.
    """
    n = len(owner)
    day = np.full(n, NAT, dtype="datetime64[D]")
    first = np.full(n, NAT, dtype="datetime64[D]")
    last = np.full(n, NAT, dtype="datetime64[D]")
    late = np.zeros(n, dtype=bool)
    overloads: list[tuple[int, dt.date, int, int]] = []
    rows_all = np.flatnonzero(~np.isnat(earliest))
    if not len(rows_all):
        return LevelPlan(day, first, last, late, overloads)
    today64 = np.datetime64(today, "D")
    by_owner = rows_all[np.argsort(owner[rows_all], kind="stable")]
    groups = owner[by_owner]
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        rows = by_owner[lo:hi]
        code = int(groups[lo])
        cal, cap = calendars[code], int(capacity[code])
        origin = np.busday_offset(today64, 0, "forward", busdaycal=cal)
        e_idx = _index(earliest[rows], origin, cal)
        l_idx = np.maximum(_index(latest[rows], origin, cal), e_idx)
        first[rows] = _roll(earliest[rows], cal)
        last[rows] = np.maximum(_roll(latest[rows], cal), first[rows])
        is_late = last[rows] < today64
        late[rows] = is_late
        if cap <= 0:
            # no limit: the window's first day (in the past for a row already due), as the
            # rules alone give it; a late row, like every late row, its first workday from today
            planned_idx = np.where(is_late, 0, e_idx)
            day[rows] = np.busday_offset(origin, planned_idx, "forward", busdaycal=cal)
            continue
        start = np.maximum(e_idx, 0)
        prev = previous[rows]
        has_prev = ~np.isnat(prev) & (prev >= today64)
        p_idx = np.full(len(rows), -1, dtype=np.int64)
        if has_prev.any():
            on_workday = np.zeros(len(rows), dtype=bool)
            on_workday[has_prev] = np.is_busday(prev[has_prev], busdaycal=cal)
            has_prev &= on_workday
            p_idx[has_prev] = _index(prev[has_prev], origin, cal)
        kept = has_prev & ~is_late & (p_idx >= start) & (p_idx <= l_idx)
        group = np.select(
            [promised[rows] & kept, promised[rows], is_late, kept], [0, 1, 2, 3], default=4
        )
        order = np.lexsort(
            (
                rows,
                last_contact[rows].view(np.int64),
                ~priority_a[rows],
                l_idx,
                group,
            )
        )
        planned_idx = _claim(
            order,
            start.tolist(),
            l_idx.tolist(),
            p_idx.tolist(),
            kept.tolist(),
            is_late.tolist(),
            promised[rows].tolist(),
            cap,
        )
        day[rows] = np.busday_offset(origin, planned_idx, "forward", busdaycal=cal)
        load = np.bincount(planned_idx)
        for i in np.flatnonzero(load > cap).tolist():
            when = np.busday_offset(origin, i, "forward", busdaycal=cal)
            if when <= _LAST_DAY:  # later than a date can show: those rows keep the rules' plan
                overloads.append((code, when.item(), int(load[i]), cap))
    return LevelPlan(day, first, last, late, overloads)


def _claim(
    order: np.ndarray,
    start: list[int],
    end: list[int],
    prev: list[int],
    kept: list[bool],
    late: list[bool],
    promised: list[bool],
    cap: int,
) -> np.ndarray:
    """Day indexes, rows taken in ``order``: each takes its kept day if it has room (or is its
    last day), else the first day of ``[start, end]`` with room (``end`` when none has), a late
    row day 0.

    ``free`` maps a full day to a later day that may have room (paths halved as they are
    walked), so each claim costs about one step; days are dict keys, so a window years ahead
    costs nothing more."""
    n = len(start)
    load: dict[int, int] = {}
    free: dict[int, int] = {}
    out = [0] * n

    def first_free(d: int) -> int:
        while (nxt := free.get(d, d)) != d:
            free[d] = free.get(nxt, nxt)
            d = nxt
        return d

    over: list[int] = []
    for r in order.tolist():
        if kept[r] and (load.get(prev[r], 0) < cap or prev[r] == end[r]):
            # a kept day over capacity stays when it is the window's last day anyway
            d = prev[r]
        elif late[r]:
            d = 0
        else:
            d = start[r]
            while (nxt := free.get(d, d)) != d:
                free[d] = free.get(nxt, nxt)
                d = nxt
            if d > end[r]:
                d = end[r]
        out[r] = d
        count = load[d] = load.get(d, 0) + 1
        if count >= cap:
            free[d] = d + 1
            if count == cap + 1:
                over.append(d)
    if not over:
        return np.array(out, dtype=np.int64)

    # A day over capacity keeps only rows it is the last day for (and late rows): a row
    # claimed earlier with days to spare (kept, promised) moves to the next day of its window
    # with room, else to its own last day. Rows only move forward: days in ascending order.
    on_day: dict[int, list[int]] = {}
    for r in range(n):
        on_day.setdefault(out[r], []).append(r)
    heapq.heapify(over)
    while over:
        d = heapq.heappop(over)
        spare = [r for r in on_day[d] if out[r] == d and not late[r] and end[r] > d]
        spare.sort(key=lambda r: (promised[r], -end[r], r))
        for r in spare:
            if load[d] <= cap:
                break
            target = first_free(d + 1)
            if target > end[r]:
                target = end[r]
            load[d] -= 1
            count = load[target] = load.get(target, 0) + 1
            if count >= cap:
                free[target] = target + 1
                if count == cap + 1:
                    heapq.heappush(over, target)
            out[r] = target
            on_day.setdefault(target, []).append(r)
    return np.array(out, dtype=np.int64)


# ---- from the engine's decisions to the levelled ones --------------------------------------


def owner_calendars(
    capacity: Capacity, keys: list[str], calendar: Calendar
) -> tuple[np.ndarray, list[np.busdaycalendar], np.ndarray]:
    """Per owner code (``keys[code]`` = its ``owner_key``): the capacity (0 = no limit), the
    working calendar (the team's, less the owner's days off and non-workdays) and whether the
    owner is levelled at all. The unassigned rows ("" key) are nobody's: never levelled."""
    from sheetsync.config import WEEKDAYS

    team = np.busdaycalendar(weekmask=calendar.weekmask, holidays=calendar.holidays)
    caps = np.zeros(len(keys), dtype=np.int64)
    active = np.zeros(len(keys), dtype=bool)
    cals = []
    for code, key in enumerate(keys):
        own = capacity.for_owner(key)
        caps[code] = capacity.limit(key) if key else 0
        custom = key in capacity.owners
        active[code] = bool(key) and (caps[code] > 0 or custom)
        if not (custom and (own.days_off or own.workdays)):
            cals.append(team)
            continue
        weekmask = (
            calendar.weekmask if own.workdays is None else [d in own.workdays for d in WEEKDAYS]
        )
        off = [np.arange(np.datetime64(a, "D"), np.datetime64(b, "D") + 1) for a, b in own.days_off]
        holidays = np.concatenate([calendar.holidays, *off]) if off else calendar.holidays
        cals.append(np.busdaycalendar(weekmask=weekmask, holidays=holidays))
    return caps, cals, active


def _show_day(day: dt.date, with_month: bool = True, with_year: bool = False) -> str:
    text = f"{day:%a} {day.day}"
    if with_month:
        text += f" {day:%b}"
    return f"{text} {day.year}" if with_year else text


def show_window(first: dt.date, last: dt.date) -> str:
    """``Mon 7 - Fri 11 Dec``, ``Mon 30 Nov - Fri 4 Dec``, ``Mon 28 Dec 2026 - Mon 4 Jan 2027``."""
    if first == last:
        return _show_day(first)
    years = first.year != last.year
    months = years or first.month != last.month
    return f"{_show_day(first, months, years)} - {_show_day(last, True, years)}"


#: what a row's Why gains from its plan
_LATER, _OVER, _MOVED = 1, 2, 4


def _plan_notes(
    kind: np.ndarray,
    owner: np.ndarray,
    day: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    team_first: np.ndarray,
    team_last: np.ndarray,
    load: np.ndarray,
    names: list[str],
    caps: np.ndarray,
) -> np.ndarray:
    """The text each planned row adds to its Why (each distinct combination written once)."""
    columns = [
        kind,
        owner,
        day.view(np.int64),
        first.view(np.int64),
        last.view(np.int64),
        team_first.view(np.int64),
        team_last.view(np.int64),
        load,
    ]
    codes = combined_codes([np.asarray(c, dtype=np.int64) for c in columns])
    _, at = np.unique(codes, return_index=True)
    texts: dict[int, str] = {}
    for i in at.tolist():
        k, o = int(kind[i]), int(owner[i])
        when, a, b = day[i].item(), first[i].item(), last[i].item()
        parts = []
        if k & _MOVED:
            parts.append(
                f"window {show_window(team_first[i].item(), team_last[i].item())} falls on "
                f"{names[o]}'s days off: moved to {show_window(a, b)}"
            )
        if k & _OVER:
            parts.append(
                f"{int(load[i])} touches planned for {names[o]} on {_show_day(when)}, over "
                f"{caps[o]} a day: the window {show_window(a, b)} has no day with room"
            )
        elif k & _LATER:
            parts.append(
                f"planned {_show_day(when)} to keep {names[o]} at {caps[o]} a day; "
                f"window {show_window(a, b)}"
            )
        texts[int(codes[i])] = "; ".join(parts)
    out = np.empty(len(codes), dtype=object)
    out[:] = [texts[c] for c in codes.tolist()]
    return out


def owners_by_code(prospects: Prospects, owner_names: list[str]) -> tuple[list[str], list[str]]:
    """Per owner code: the owner's name as first spelled in the sheet (non-blank rows; "" for a
    code no such row has) and its ``owner_key`` ("" for the unassigned rows: nobody's)."""
    from sheetsync.read import UNASSIGNED

    owner = prospects.owner
    names = [""] * (int(owner.max()) + 1 if len(owner) else 0)
    for row in np.flatnonzero(~prospects.blank)[::-1].tolist():
        names[int(owner[row])] = owner_names[row]
    keys = ["" if name == UNASSIGNED else owner_key(name) for name in names]
    return names, keys


def warn_unknown_owners(capacity: Capacity, keys: list[str]) -> None:
    """Log each ``[owners.NAME]`` with capacity settings whose NAME no row of the sheet has
    (``keys``: the sheet's ``owner_key`` of each owner)."""
    for key in sorted(set(capacity.owners) - set(keys)):
        log.warning(
            "[owners.%s] is not an owner in the sheet: check the spelling of its name",
            capacity.owners[key].name,
        )


def apply_levelling(
    decisions: Decisions,
    prospects: Prospects,
    current_next: np.ndarray,
    config: Config,
    today: dt.date,
    owner_names: list[str],
    calendar: Calendar,
    warn: bool = True,
    explain: bool = True,
) -> tuple[Decisions, list[Overload]]:
    """The decisions with every levelled owner's windowed rows on their planned day.

    ``current_next``: the sheet's Next Contact as read (datetime64[D], NaT = blank), the day an
    earlier sync planned; ``owner_names``: each row's owner as shown; ``warn``: log the
    overloads and the ``[owners.NAME]`` not in the sheet; ``explain``: add the plan to Why
    (a forecast needs no Why). Capacity 0 and no
    ``[owners.NAME]`` settings: ``decisions`` unchanged, no overloads.

    Example::

        decisions, overloads = apply_levelling(
            decide(prospects, memory, config.rules, today, calendar),
            prospects, next_contact_in_sheet, config, today, owner_names, calendar)
    """
    from sheetsync.engine.columns import PRIORITY

    capacity = config.capacity
    if not capacity.active:
        return decisions, []
    owner = prospects.owner
    names, keys = owners_by_code(prospects, owner_names)
    if warn:
        warn_unknown_owners(capacity, keys)
    caps, cals, active = owner_calendars(capacity, keys, calendar)
    if not active.any():
        return decisions, []

    d = decisions
    windowed = ~np.isnat(d.earliest) & active[owner] if len(keys) else np.zeros(0, bool)
    today64 = np.datetime64(today, "D")
    # Rows the rules put on today without a window (never contacted) take room that day.
    fixed_today = (
        active[owner] & (d.flag == "DUE") & np.isnat(d.earliest) & (d.next_contact == today64)
    )
    earliest = np.where(fixed_today, today64, np.where(windowed, d.earliest, NAT))
    latest = np.where(fixed_today, today64, np.where(windowed, d.latest, NAT))
    plan = level(
        owner=owner,
        earliest=earliest,
        latest=latest,
        promised=d.promised & windowed,
        priority_a=prospects.priority == PRIORITY["A"],
        last_contact=prospects.last_contact,
        previous=np.where(windowed, current_next, NAT),
        today=today,
        capacity=caps,
        calendars=cals,
    )
    # a window moved past the last day a date cell can hold stays as the rules set it
    rows = np.flatnonzero(windowed & ~(plan.latest > _LAST_DAY))
    day, first, last = plan.day[rows], plan.earliest[rows], plan.latest[rows]
    flag = d.flag.copy()
    flag[rows] = np.where(plan.late[rows], "OVERDUE", np.where(day <= today64, "DUE", "SCHEDULED"))
    # An OVERDUE row keeps its window's first day (how late it is) and counts against today.
    next_contact = d.next_contact.copy()
    next_contact[rows] = np.where(plan.late[rows], first, day)

    load = np.zeros(len(rows), dtype=np.int64)
    kind = np.zeros(len(rows), dtype=np.int64)
    if plan.overloads:
        # (owner, day) of each row against the overloaded days, as one integer key each
        span = np.int64(1 << 32)
        over_keys = np.array(
            [o * span + np.datetime64(w, "D").view(np.int64) for o, w, _, _ in plan.overloads]
        )
        over_load = np.array([planned for _, _, planned, _ in plan.overloads])
        order = np.argsort(over_keys)
        over_keys, over_load = over_keys[order], over_load[order]
        keys = owner[rows] * span + day.view(np.int64)
        at = np.minimum(np.searchsorted(over_keys, keys), len(over_keys) - 1)
        load = np.where(over_keys[at] == keys, over_load[at], 0)
        kind |= np.where((load > 0) & ~plan.late[rows] & (day == last), _OVER, 0)
    # later than the window's first day, or than the owner's first workday from today
    starts = np.array(
        [np.busday_offset(today64, 0, "forward", busdaycal=c) for c in cals], dtype="datetime64[D]"
    )
    kind |= np.where(day > np.maximum(first, starts[owner[rows]]), _LATER, 0)
    kind |= np.where(first > d.latest[rows], _MOVED, 0)
    why = d.why.copy()
    noted = np.flatnonzero(kind) if explain else np.zeros(0, dtype=np.int64)
    if len(noted):
        at = rows[noted]
        notes = _plan_notes(
            kind[noted],
            owner[at],
            day[noted],
            first[noted],
            last[noted],
            d.earliest[at],
            d.latest[at],
            load[noted],
            names,
            caps,
        )
        why[at] = why[at] + "; " + notes
    overloads = [Overload(names[o], when, planned, cap) for o, when, planned, cap in plan.overloads]
    if warn:
        for line in overload_lines(overloads):
            log.warning("%s", line)
    return replace(d, flag=flag, next_contact=next_contact, why=why), overloads


def sheet_next_contact(data: SheetData, layout: Layout, config: Config) -> np.ndarray:
    """The Next Contact each row holds now (the day an earlier sync planned), NaT when blank,
    unreadable or the column is new; read only when levelling is on."""
    from sheetsync.cellvalues import Problems, dates_column

    n = len(data.rows)
    col = layout.col("next_contact")
    if not config.capacity.active or col is None or col in dict(layout.created):
        return np.full(n, NAT, dtype="datetime64[D]")
    values = [row[col] if col < len(row) else None for row in data.rows]
    return dates_column(values, "next_contact", data.epoch, config.date_order, Problems(n))
