"""Properties of the levelling planner (``sheetsync.level.level``) under hypothesis.

Random reps (capacity 0-3 a day, their own weekdays and days off), random windows around
today, promised rows, priorities and last contacts:

- no day carries more than the rep's capacity unless every row planned on it has that day as
  its window's last day (a late row counts as due on the rep's first workday from today);
- no planned day lies outside its window (from today on), and every planned day is a workday
  of the row's rep;
- re-running the same day with the plan just made as the sheet's Next Contact changes nothing;
- the next day, once the touches planned for today are done (those rows leave the plan), every
  other row keeps its day;
- capacity 0 plans each row on its window's first day.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import PROPERTY_SETTINGS, Scenario, cell, prepared, scenarios

from sheetsync.config import parse_config
from sheetsync.level import LevelPlan, level
from sheetsync.sync import plan_sync, sync_source

SETTINGS = settings(
    deadline=None,
    max_examples=int(os.environ.get("SHEETSYNC_EXAMPLES", "200")),
    suppress_health_check=[HealthCheck.too_slow],
)
NAT = np.datetime64("NaT", "D")


@dataclass
class Case:
    today: dt.date
    owner: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    promised: np.ndarray
    priority_a: np.ndarray
    last_contact: np.ndarray
    capacity: np.ndarray
    calendars: list[np.busdaycalendar]

    def plan(self, today: dt.date | None = None, previous: np.ndarray | None = None) -> LevelPlan:
        n = len(self.owner)
        return level(
            owner=self.owner,
            earliest=self.earliest,
            latest=self.latest,
            promised=self.promised,
            priority_a=self.priority_a,
            last_contact=self.last_contact,
            previous=np.full(n, NAT) if previous is None else previous,
            today=today or self.today,
            capacity=self.capacity,
            calendars=self.calendars,
        )

    def first_workday(self, code: int, today: dt.date) -> np.datetime64:
        return np.busday_offset(
            np.datetime64(today, "D"), 0, "forward", busdaycal=self.calendars[code]
        )


@st.composite
def cases(draw: st.DrawFn, max_capacity: int = 3) -> Case:
    today = draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
    reps = draw(st.integers(1, 3))
    capacity = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=reps, max_size=reps)))
    calendars = []
    for _ in range(reps):
        weekmask = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(any))
        off = draw(st.lists(st.integers(-5, 30), max_size=6))
        holidays = [np.datetime64(today + dt.timedelta(days=o), "D") for o in off]
        calendars.append(np.busdaycalendar(weekmask=weekmask, holidays=holidays))
    n = draw(st.integers(0, 40))
    ints = st.lists(st.integers(-15, 20), min_size=n, max_size=n)
    start = np.array(draw(ints), dtype=np.int64)
    width = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), dtype=np.int64)
    windowed = np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))) > 0
    day = np.datetime64(today, "D")
    earliest = np.where(windowed, day + start.astype("timedelta64[D]"), NAT)
    latest = np.where(windowed, earliest + width.astype("timedelta64[D]"), NAT)
    lc_age = np.array(draw(st.lists(st.integers(-1, 300), min_size=n, max_size=n)))
    last_contact = np.where(lc_age < 0, NAT, day - np.maximum(lc_age, 0).astype("timedelta64[D]"))
    return Case(
        today=today,
        owner=np.array(
            draw(st.lists(st.integers(0, reps - 1), min_size=n, max_size=n)), dtype=np.int64
        ),
        earliest=earliest.astype("datetime64[D]"),
        latest=latest.astype("datetime64[D]"),
        promised=np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
        priority_a=np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
        last_contact=last_contact.astype("datetime64[D]"),
        capacity=capacity,
        calendars=calendars,
    )


def _rows(case: Case) -> np.ndarray:
    return np.flatnonzero(~np.isnat(case.earliest))


def _due_by(case: Case, plan: LevelPlan, row: int) -> np.datetime64:
    """The last day a row may be planned on: its window's, or the rep's first workday from
    today for a late row."""
    if plan.late[row]:
        return case.first_workday(int(case.owner[row]), case.today)
    return plan.latest[row]


@SETTINGS
@given(cases())
def test_no_day_over_capacity_unless_it_is_the_last_day_of_every_row_on_it(case: Case) -> None:
    plan = case.plan()
    rows = _rows(case)
    for code in np.unique(case.owner[rows]).tolist():
        cap = int(case.capacity[code])
        if cap == 0:
            continue
        mine = rows[case.owner[rows] == code]
        days, counts = np.unique(plan.day[mine], return_counts=True)
        for day, count in zip(days, counts, strict=True):
            if count <= cap:
                continue
            on_it = mine[plan.day[mine] == day]
            assert all(_due_by(case, plan, r) == day for r in on_it), (
                f"rep {code}: {count} rows on {day} (capacity {cap}), windows "
                f"{[(str(plan.earliest[r]), str(plan.latest[r])) for r in on_it]}"
            )
            assert (code, day.item(), int(count), cap) in plan.overloads


@SETTINGS
@given(cases())
def test_no_planned_day_outside_its_window_and_all_on_workdays(case: Case) -> None:
    plan = case.plan()
    today = np.datetime64(case.today, "D")
    for r in _rows(case).tolist():
        code = int(case.owner[r])
        cal = case.calendars[code]
        assert np.is_busday(plan.day[r], busdaycal=cal), f"row {r}: {plan.day[r]} is a day off"
        assert plan.earliest[r] <= plan.latest[r]
        if plan.late[r]:
            assert plan.latest[r] < today
            assert plan.day[r] == case.first_workday(code, case.today)
            continue
        # the window, moved to the rep's workdays, from the rep's first workday from today on
        assert plan.earliest[r] == np.busday_offset(case.earliest[r], 0, "forward", busdaycal=cal)
        assert plan.latest[r] >= np.busday_offset(case.latest[r], 0, "forward", busdaycal=cal)
        if case.capacity[code] > 0:
            low = max(plan.earliest[r], case.first_workday(code, case.today))
            assert low <= plan.day[r] <= plan.latest[r], (r, plan.day[r], low, plan.latest[r])
        else:
            assert plan.day[r] == plan.earliest[r]


@SETTINGS
@given(cases())
def test_re_running_the_same_day_changes_nothing(case: Case) -> None:
    first = case.plan()
    again = case.plan(previous=first.day)
    assert again.day.tolist() == first.day.tolist()
    assert again.overloads == first.overloads


@SETTINGS
@given(cases(), st.integers(1, 3))
def test_the_next_day_keeps_every_plan_but_the_touches_done(case: Case, later: int) -> None:
    """The touches planned before the next day are done: those rows leave the plan (the rules
    give them new windows far later). Every other row keeps its day."""
    first = case.plan()
    next_day = case.today + dt.timedelta(days=later)
    left = np.isnat(case.earliest) | (first.day >= np.datetime64(next_day, "D"))
    left &= ~first.late
    kept = Case(
        today=next_day,
        owner=case.owner[left],
        earliest=case.earliest[left],
        latest=case.latest[left],
        promised=case.promised[left],
        priority_a=case.priority_a[left],
        last_contact=case.last_contact[left],
        capacity=case.capacity,
        calendars=case.calendars,
    )
    again = kept.plan(previous=first.day[left])
    assert again.day.tolist() == first.day[left].tolist()


@SETTINGS
@given(cases())
def test_the_same_input_gives_the_same_plan(case: Case) -> None:
    assert case.plan().day.tolist() == case.plan().day.tolist()


# --- whole syncs of generated sheets (tests/test_properties.py's scenarios) ------------------

CALENDARS = parse_config(
    {
        "capacity": {"touches_per_day": 1},
        "owners": {
            "Dana": {
                "touches_per_day": 2,
                "workdays": ["Mon", "Wed", "Fri"],
                "days_off": ["2026-06-01..2026-06-30", "2027-03-10"],
            },
            "Luis": {"workdays": ["Tue", "Thu"]},
        },
    }
)


@st.composite
def levelled_scenarios(draw: st.DrawFn) -> Scenario:
    scenario = draw(scenarios())
    return replace(scenario, config=CALENDARS)


@PROPERTY_SETTINGS
@given(levelled_scenarios())
def test_a_levelled_sync_twice_the_same_day_changes_nothing(scenario: Scenario) -> None:
    source = prepared(scenario)
    sync_source(source, scenario.config, scenario.today)
    again = plan_sync(source.read(), scenario.config, scenario.today)
    assert again.plan.cells == {}


@PROPERTY_SETTINGS
@given(levelled_scenarios())
def test_a_rep_s_planned_days_are_their_workdays(scenario: Scenario) -> None:
    data = prepared(scenario).read()
    result = plan_sync(data, scenario.config, scenario.today)
    owner_col = scenario.columns.get("owner")
    off = {dt.date(2026, 6, 1) + dt.timedelta(days=i) for i in range(30)} | {dt.date(2027, 3, 10)}
    for index, out in enumerate(result.table.to_dict("records")):
        if out["Flag"] not in ("DUE", "SCHEDULED") or out["Next Action"] is None:
            continue
        owner = str(cell(data.rows, index, owner_col) or "").strip().casefold()
        nc = out["Next Contact"]
        nc = nc.date() if isinstance(nc, dt.datetime) else nc
        if owner == "dana" and out["Flag"] == "SCHEDULED":
            assert nc.strftime("%a") in ("Mon", "Wed", "Fri") and nc not in off, (nc, out)
        if owner == "luis" and out["Flag"] == "SCHEDULED":
            assert nc.strftime("%a") in ("Tue", "Thu"), (nc, out)
