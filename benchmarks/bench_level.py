"""What does levelling cost, and how long does a 6-week forecast take?

    .venv/bin/python benchmarks/bench_level.py [--rows N] [--owners K] [--weeks W]

Builds the realistic sheet of ``bench_engine.build`` (fixed seed; ``--owners`` reps plus an
unassigned queue) as worksheet cells, then, in the same run:

1. ``decide`` alone beside ``decide`` + ``level.apply_levelling`` on the typed columns (best
   of 3), a first plan (no Next Contact in the sheet) and a re-plan (each row's Next Contact as
   the first plan wrote it: the planned days are kept);
2. ``core.plan_sync`` of the whole sheet (cells to WritePlan) without and with a capacity;
3. ``forecast.forecast``: the engine run forward day by day for ``--weeks`` weeks.

Goals (issue 13): levelling adds at most 0.5 s for 100,000 rows across 20 reps; a 6-week
forecast of 100,000 rows takes under 15 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time

import numpy as np
from bench_engine import TODAY, best_of, build

from sheetsync import choices
from sheetsync.capacity import Capacity
from sheetsync.config import Config
from sheetsync.engine import Prospects, decide
from sheetsync.forecast import forecast
from sheetsync.level import apply_levelling
from sheetsync.sources.base import SheetData
from sheetsync.sync import plan_sync
from sheetsync.workdays import Calendar

HEADERS = [
    "ID",
    "Company",
    "Owner",
    "Stage",
    "Phase",
    "Priority",
    "Last Contact",
    "Last Outcome",
    "Attempts",
    "Note Sent",
    "Call Back",
    "Preferred Channel",
    "Contact Every",
    "Do Not Contact",
    "Next Contact",
]


def _dates(column: np.ndarray) -> list[dt.date | None]:
    return [None if d is None else d for d in column.astype(object).tolist()]


def _names(codes: np.ndarray, allowed: tuple[str, ...]) -> list[str | None]:
    table = [None, *allowed]
    return [table[c] for c in codes.tolist()]


def sheet_of(p: Prospects, owners: int) -> SheetData:
    """The typed columns as the cells of a worksheet."""
    n = len(p)
    owner_names = ["", *(f"Rep {i:02d}" for i in range(1, owners + 1))]
    last_contact: list = _dates(p.last_contact)
    for row in np.flatnonzero(p.problems.astype(bool)).tolist():
        last_contact[row] = "asap??"
    attempts = [None if a != a else int(a) for a in p.attempts.tolist()]
    every = [None if e != e else int(e) for e in p.contact_every.tolist()]
    columns = [
        [None if b else f"P{i:06d}" for i, b in enumerate(p.blank.tolist())],
        [None if b else f"Company {i}" for i, b in enumerate(p.blank.tolist())],
        [owner_names[o] or None for o in p.owner.tolist()],
        _names(p.stage, choices.STAGES),
        _names(p.phase, choices.PHASES),
        _names(p.priority, choices.PRIORITIES),
        last_contact,
        _names(p.outcome, choices.OUTCOMES),
        attempts,
        _dates(p.note_sent),
        _dates(p.call_back),
        _names(p.channel, choices.CHANNELS),
        every,
        ["yes" if d else None for d in p.dnc.tolist()],
        [None] * n,
    ]
    return SheetData(
        title="Prospects", headers=HEADERS, rows=[list(r) for r in zip(*columns, strict=True)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--per-day", type=int, default=60, help="touches a day per rep")
    args = parser.parse_args(argv)
    n = args.rows
    logging.getLogger("sheetsync").setLevel(logging.ERROR)  # the overloads are counted below

    prospects, memory = build(n)
    # bench_engine draws owners 0..20 (0 = unassigned); fold them onto --owners reps
    prospects.owner = np.where(prospects.owner == 0, 0, (prospects.owner - 1) % args.owners + 1)
    names = ["(unassigned)" if o == 0 else f"Rep {o:02d}" for o in prospects.owner.tolist()]
    plain = Config()
    levelled = Config(capacity=Capacity(touches_per_day=args.per_day))
    calendar = Calendar(plain.rules, range(TODAY.year - 3, TODAY.year + 3))
    none = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    cpu = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(
        f"{n:,} rows, {args.owners} reps at {args.per_day} touches a day, today {TODAY}, "
        f"cpu {cpu}, numpy {np.__version__}, python {sys.version.split()[0]}"
    )

    def run_decide() -> None:
        decide(prospects, memory, plain.rules, TODAY, calendar)

    decisions = decide(prospects, memory, plain.rules, TODAY, calendar)
    first, overloads = apply_levelling(
        decisions, prospects, none, levelled, TODAY, names, calendar, warn=False
    )
    decide_s = best_of(3, run_decide)
    level_first_s = best_of(
        3,
        lambda: apply_levelling(
            decisions, prospects, none, levelled, TODAY, names, calendar, warn=False
        ),
    )
    level_again_s = best_of(
        3,
        lambda: apply_levelling(
            decisions, prospects, first.next_contact, levelled, TODAY, names, calendar, warn=False
        ),
    )
    moved = int(
        np.count_nonzero(first.next_contact.view("i8") != decisions.next_contact.view("i8"))
    )
    print()
    print("typed columns (best of 3):")
    print(f"  decide                          {decide_s:6.3f} s")
    print(f"  + levelling, first plan         {level_first_s:6.3f} s   ({moved:,} rows moved)")
    print(f"  + levelling, planned days kept  {level_again_s:6.3f} s")
    over_rows = sum(o.planned - o.capacity for o in overloads)
    print(f"  {len(overloads)} days over capacity ({over_rows:,} touches above it)")

    data = sheet_of(prospects, args.owners)
    plain_s = best_of(3, lambda: plan_sync(data, plain, TODAY))
    with_s = best_of(3, lambda: plan_sync(data, levelled, TODAY))
    print()
    print("whole plan, cells to WritePlan (plan_sync, best of 3):")
    print(f"  capacity 0 (as today)           {plain_s:6.3f} s")
    print(
        f"  {args.per_day} touches a day per rep       {with_s:6.3f} s   (+{with_s - plain_s:.3f} s)"
    )

    started = time.perf_counter()
    frame = forecast(data, levelled, TODAY, weeks=args.weeks)
    forecast_s = time.perf_counter() - started
    days = frame["day"].nunique()
    print()
    print(f"forecast, {args.weeks} weeks ({days} workdays run through the engine), one run:")
    print(f"  {forecast_s:6.2f} s ({forecast_s / max(days, 1):.2f} s a day)")
    total = frame[["calls", "e-mails", "check-ins", "cards"]].sum()
    print("  touches:", ", ".join(f"{k} {int(v):,}" for k, v in total.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
