"""How fast is the rules engine? 1,000,000 typed rows, vectorised vs the plain per-row way.

    .venv/bin/python benchmarks/bench_engine.py [--rows N] [--naive-rows M] [--profile]
                                                [--before REV]

Builds a realistic ``Prospects`` table (and the ``Memory`` of earlier syncs) straight in numpy
with a fixed seed, times ``sheetsync.engine.decide`` (best of 3) pinned to one core, times the
per-row reference of ``tests/naive_engine.py`` on the first M rows (measured once, then
extrapolated linearly to N rows, and said so), and prints a table. The target: a million rows
in about a second on one core. ``--profile`` adds a cProfile of one ``decide``.

``--before REV`` also times the engine as it was at the git revision REV (its
``sheetsync/engine/`` files taken from git into a temporary package), in the same run, on the
same rows: how much a change to the engine costs.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import datetime as dt
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

# one core: pin the process and keep any BLAS thread pool to one thread (before numpy loads)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the per-row reference lives with the tests

import numpy as np  # noqa: E402
from naive_engine import naive_decide  # noqa: E402

from sheetsync import choices  # noqa: E402
from sheetsync.cellvalues import code  # noqa: E402
from sheetsync.config import Rules  # noqa: E402
from sheetsync.engine import Memory, Prospects, decide  # noqa: E402
from sheetsync.workdays import Calendar  # noqa: E402

TODAY = dt.date(2026, 11, 23)
SEED = 20261123
OWNERS = 20


def _pick(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    """Codes 0..len(weights)-1 drawn with the given relative weights, as int8."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int8)


def _days_before(rng: np.random.Generator, today: np.datetime64, n: int, most: int) -> np.ndarray:
    return today - rng.integers(0, most + 1, size=n).astype("timedelta64[D]")


def build(n: int, seed: int = SEED, today: dt.date = TODAY) -> tuple[Prospects, Memory]:
    """A plausible sales team's sheet of n rows, and what earlier syncs remembered of it."""
    rng = np.random.default_rng(seed)
    day = np.datetime64(today, "D")
    nat = np.datetime64("NaT")

    # who: ~20 reps, a few much busier than others, and some unassigned rows (their own queue)
    owner_weights = 1.0 / np.arange(1, OWNERS + 2) ** 0.7
    owner = rng.choice(OWNERS + 1, size=n, p=owner_weights / owner_weights.sum())
    # stage: blank (inferred), New, Working, Lost, Stale, Customer, Closed
    stage = _pick(rng, n, [35, 20, 20, 7, 8, 7, 3])
    # outcome: blank, No answer, Voicemail, Email sent, Connected, Meeting, Not now,
    # Chose competitor, Won, Do not contact
    outcome = _pick(rng, n, [10, 25, 15, 12, 15, 6, 6, 3, 5, 1])
    phase = _pick(rng, n, [70, 5, 5, 5, 5, 4, 3, 3])
    priority = _pick(rng, n, [40, 15, 25, 20])
    channel = _pick(rng, n, [70, 15, 15])
    dnc = rng.random(n) < 0.01

    # dates over the last 2 years, most of them recent (a worked pipeline); 5% never contacted
    age = np.where(
        rng.random(n) < 0.55,
        rng.integers(0, 31, size=n),
        np.where(rng.random(n) < 0.6, rng.integers(0, 181, size=n), rng.integers(0, 731, size=n)),
    )
    last_contact = day - age.astype("timedelta64[D]")
    never = rng.random(n) < 0.05
    last_contact[never] = nat
    # a hand-written note for ~15% (mostly after the last contact: the 5+5+5 cycle)
    note_sent = np.full(n, nat, dtype="datetime64[D]")
    noted = rng.random(n) < 0.15
    note_sent[noted] = _days_before(rng, day, int(noted.sum()), 400)
    # ~3% asked to be called back, mostly in the coming weeks
    call_back = np.full(n, nat, dtype="datetime64[D]")
    asked = rng.random(n) < 0.03
    call_back[asked] = day + rng.integers(-30, 91, size=int(asked.sum())).astype("timedelta64[D]")

    # attempts 0-9, mostly low; blank for 15% and for the never contacted
    attempts = np.minimum(rng.geometric(0.35, size=n) - 1, 9).astype(float)
    attempts[(rng.random(n) < 0.15) | never] = np.nan
    contact_every = np.full(n, np.nan)
    asked_every = rng.random(n) < 0.05
    contact_every[asked_every] = rng.integers(7, 91, size=int(asked_every.sum()))

    # ~1% of rows have a cell problem; 0.5% are blank rows
    problems = np.full(n, "", dtype=object)
    problems[rng.random(n) < 0.01] = 'Last Contact "asap??" is not a date'
    blank = rng.random(n) < 0.005
    problems[blank] = ""

    prospects = Prospects(
        blank=blank,
        problems=problems,
        owner=owner.astype(np.int64),
        stage=stage,
        outcome=outcome,
        phase=phase,
        priority=priority,
        channel=channel,
        dnc=dnc,
        last_contact=last_contact,
        note_sent=note_sent,
        call_back=call_back,
        attempts=attempts,
        contact_every=contact_every,
    )

    # memory: 60% of rows were seen by earlier syncs
    known = (rng.random(n) < 0.6) & ~blank
    moved = rng.random(n) < 0.3  # a rep recorded a touch since
    seen_lc = np.where(moved, last_contact - rng.integers(1, 30, size=n), last_contact)
    seen_attempts = np.nan_to_num(attempts, nan=0.0).copy()
    retyped = rng.random(n) < 0.05
    seen_attempts[retyped] = rng.integers(0, 10, size=int(retyped.sum()))
    talked = [code(choices.OUTCOMES, o) for o in choices.CONVERSATION]
    conversation = np.isin(outcome, talked) | (rng.random(n) < 0.2)
    lost_since = np.where(
        (rng.random(n) < 0.08) & known, _days_before(rng, day, n, 300), np.datetime64("NaT")
    )
    stale_since = np.where(
        (rng.random(n) < 0.06) & known, _days_before(rng, day, n, 300), np.datetime64("NaT")
    )
    card_on = np.where(
        (stage == code(choices.STAGES, "Stale")) & (rng.random(n) < 0.2) & known,
        _days_before(rng, day, n, 6),
        np.datetime64("NaT"),
    )
    memory = Memory(
        known=known,
        last_contact=seen_lc.astype("datetime64[D]"),
        attempts=seen_attempts,
        conversation=conversation,
        lost_since=lost_since.astype("datetime64[D]"),
        stale_since=stale_since.astype("datetime64[D]"),
        card_on=card_on.astype("datetime64[D]"),
        stage=np.where(rng.random(n) < 0.97, stage, _pick(rng, n, [1, 1, 1, 1, 1, 1, 1])),
    )
    # a record only where known
    empty = Memory.empty(n)
    for f in fields(Memory):
        if f.name != "known":
            setattr(
                memory, f.name, np.where(known, getattr(memory, f.name), getattr(empty, f.name))
            )
    return prospects, memory


def head(prospects: Prospects, memory: Memory, m: int) -> tuple[Prospects, Memory]:
    """The first m rows of both tables."""
    p = Prospects(**{f.name: getattr(prospects, f.name)[:m] for f in fields(Prospects)})
    r = Memory(**{f.name: getattr(memory, f.name)[:m] for f in fields(Memory)})
    return p, r


def engine_at(rev: str):
    """``decide`` of ``sheetsync/engine/`` as it was at git revision ``rev`` (the rest of the
    package as it is now), loaded from a temporary copy as the package ``engine_before``."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{rev}:sheetsync/engine"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-engine-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "engine_before").mkdir()
    for name in names:
        text = subprocess.run(
            ["git", "show", f"{rev}:sheetsync/engine/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        text = text.replace("sheetsync.engine.", "engine_before.")
        # modules renamed since: the cell parsers (sheetsync/cells.py) are cellvalues.py
        text = text.replace("from sheetsync.cells import", "from sheetsync.cellvalues import")
        (folder / "engine_before" / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(folder))
    import engine_before

    return engine_before.decide


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _compare(prospects: Prospects, memory: Memory, rules: Rules, calendar: Calendar) -> str:
    """How many rows the engine and the reference agree on (flag, date, action, attempts)."""
    d = decide(prospects, memory, rules, TODAY, calendar)
    ref = naive_decide(prospects, memory, rules, TODAY)
    engine = zip(d.flag, d.next_contact.tolist(), d.action, d.attempts.tolist(), strict=True)
    same = sum(
        (f, nc, a, None if at != at else int(at)) == tuple(r)
        for (f, nc, a, at), r in zip(engine, ref, strict=True)
    )
    return f"{same:,} of {len(ref):,}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one decide()")
    parser.add_argument("--before", metavar="REV", help="also time the engine of git REV")
    args = parser.parse_args(argv)
    n, m = args.rows, min(args.naive_rows, args.rows)

    rules = Rules()
    calendar = Calendar(rules, range(TODAY.year - 3, TODAY.year + 3))
    start = time.perf_counter()
    prospects, memory = build(n)
    print(f"built {n:,} typed rows in {time.perf_counter() - start:.2f} s (seed {SEED})")

    decisions = decide(prospects, memory, rules, TODAY, calendar)  # warm-up
    before_s = None
    if args.before:
        decide_before = engine_at(args.before)
        old = decide_before(prospects, memory, rules, TODAY, calendar)  # warm-up
        # alternate the two engines so that a drift of the machine hits both alike
        before_times, after_times = [], []
        for _ in range(args.repeat):
            before_times.append(
                best_of(1, lambda: decide_before(prospects, memory, rules, TODAY, calendar))
            )
            after_times.append(
                best_of(1, lambda: decide(prospects, memory, rules, TODAY, calendar))
            )
        before_s, vector_s = min(before_times), min(after_times)
        differ = (
            (old.flag != decisions.flag)
            | (old.action != decisions.action)
            | (old.why != decisions.why)
            | ~((old.next_contact == decisions.next_contact) | np.isnat(old.next_contact))
        )
        print(f"before ({args.before}): {', '.join(f'{t:.3f}' for t in before_times)} s")
        print(f"after (working tree): {', '.join(f'{t:.3f}' for t in after_times)} s")
        print(f"{int(differ.sum()):,} of {n:,} rows decided differently", end="")
        flags, counts = np.unique(decisions.flag[differ].astype(str), return_counts=True)
        print(" (now " + ", ".join(f"{f} {c:,}" for f, c in zip(flags, counts, strict=True)) + ")")
    else:
        vector_s = best_of(args.repeat, lambda: decide(prospects, memory, rules, TODAY, calendar))

    small_p, small_m = head(prospects, memory, m)
    start = time.perf_counter()
    naive_decide(small_p, small_m, rules, TODAY)
    naive_small = time.perf_counter() - start
    vector_small = best_of(args.repeat, lambda: decide(small_p, small_m, rules, TODAY, calendar))
    naive_full = naive_small * n / m

    cpu = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"today {TODAY}, cpu {cpu}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print()
    print(f"{'rows':>10}  {'vectorised s':>12}  {'naive s':>22}  {'speed-up':>9}  {'rows/s':>12}")
    rows = [(m, vector_small, f"{naive_small:.2f} (measured)")]
    if n != m:
        rows.append((n, vector_s, f"{naive_full:.1f} (extrapolated)"))
    for count, vec, naive_text in rows:
        naive_s = naive_small * count / m
        print(
            f"{count:>10,}  {vec:>12.3f}  {naive_text:>22}  {naive_s / vec:>8.0f}x  "
            f"{count / vec:>12,.0f}"
        )
    print()
    print(f"vectorised: best of {args.repeat}; naive: one run on the first {m:,} rows", end="")
    print(f", scaled by {n / m:g} for {n:,} rows" if n != m else "")
    print("(the engine also writes every row's Why sentence; the naive reference does not)")
    flags, counts = np.unique(decisions.flag[decisions.flag != None], return_counts=True)  # noqa: E711
    print("flags:", ", ".join(f"{f} {c:,}" for f, c in zip(flags, counts, strict=True)))
    print(f"engine and reference agree on {_compare(small_p, small_m, rules, calendar)} rows")
    if before_s is not None:
        change = (vector_s / before_s - 1) * 100
        print(
            f"{n:,} rows: before {before_s:.3f} s, after {vector_s:.3f} s ({change:+.1f}%), "
            "best of each, same run"
        )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        decide(prospects, memory, rules, TODAY, calendar)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
