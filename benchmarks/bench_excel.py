"""Benchmark: sheetsync's Excel adapter against openpyxl's load + save, end to end.

    .venv/bin/python benchmarks/bench_excel.py [--rows 10000 100000] [--no-openpyxl]

For each size it generates a 15-column prospects workbook with XlsxWriter (text, dates, numbers;
shared strings, as Excel writes them), then runs each case in a fresh subprocess, which reports
its wall time and its own peak memory (ru_maxrss):

* ours, first sync: ``sync_source`` as ``sheetsync sync FILE`` runs it: read, decide every row,
  write the tool's columns (created at the right), the IDs' memory sheet and the highlighting;
* ours, no change: the same sync again, which must not rewrite the file;
* openpyxl: ``load_workbook``, the same rules, the same cells set, ``save``: the naive way.

Our cases run ``--repeat`` times (3) and the fastest is shown, with the highest peak memory of
the runs, and every run's time below the table: on a shared machine noise only ever adds time.
openpyxl runs once (its times vary by a few percent; 3 runs would take minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADERS = [
    "ID",
    "Company",
    "Contact",
    "Email",
    "Phone",
    "Owner",
    "Stage",
    "Last Contact",
    "Last Outcome",
    "Attempts",
    "Notes",
    "Value",
    "Region",
    "Source",
    "Created",
]
TODAY = dt.date(2026, 11, 24)


def generate(path: Path, rows: int) -> None:
    """A prospects workbook of ``rows`` data rows and 15 columns."""
    import xlsxwriter

    rnd = random.Random(rows)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADERS)
    start = dt.datetime(2024, 1, 1)
    owners = ["Dana", "Eli", "Fay", "Gus", "Hana"]
    stages = ["New", "Working", "Stale", "Lost", "Customer", ""]
    outcomes = ["No answer", "Voicemail", "Connected", "Meeting", "Email sent", ""]
    for r in range(1, rows + 1):
        sheet.write_number(r, 0, r)
        sheet.write_string(r, 1, f"Company {rnd.randrange(10**6)} Ltd")
        sheet.write_string(r, 2, f"Person {rnd.randrange(10**5)}")
        sheet.write_string(r, 3, f"p{r}@example{rnd.randrange(1000)}.com")
        sheet.write_string(r, 4, f"+44 20 {rnd.randrange(10**7):07d}")
        sheet.write_string(r, 5, rnd.choice(owners))
        sheet.write_string(r, 6, rnd.choice(stages))
        sheet.write_datetime(r, 7, start + dt.timedelta(days=rnd.randrange(700)), date)
        sheet.write_string(r, 8, rnd.choice(outcomes))
        sheet.write_number(r, 9, rnd.randrange(6))
        sheet.write_string(r, 10, "call back after lunch " * rnd.randrange(3))
        sheet.write_number(r, 11, round(rnd.random() * 10_000, 2))
        sheet.write_string(r, 12, rnd.choice(["North", "South", "East", "West"]))
        sheet.write_string(r, 13, rnd.choice(["Web", "Referral", "Event"]))
        sheet.write_datetime(r, 14, start - dt.timedelta(days=rnd.randrange(700)), date)
    book.close()


def case_ours(path: Path, first: bool) -> dict[str, float]:
    """The real thing, as ``sheetsync sync FILE`` runs it: read, decide, write."""
    from sheetsync.config import Config
    from sheetsync.sources.excel import ExcelSource
    from sheetsync.sync import sync_source

    started = time.perf_counter()
    mtime = path.stat().st_mtime_ns
    report = sync_source(ExcelSource(path), Config(backups=0), TODAY)
    total = time.perf_counter() - started
    if first and report.summary.cells_changed < report.summary.rows_read * 4:
        raise SystemExit("the first sync did not write the tool's columns")
    if not first and path.stat().st_mtime_ns != mtime:
        raise SystemExit("a sync with nothing to change rewrote the file")
    return {"total": total, "cells": float(report.summary.cells_changed)}


def case_openpyxl(path: Path) -> dict[str, float]:
    """The naive way: the same job (same rules, same cells) on openpyxl's load + save."""
    import openpyxl

    from sheetsync.config import Config
    from sheetsync.sources.base import SheetData
    from sheetsync.sync import plan_sync

    started = time.perf_counter()
    book = openpyxl.load_workbook(path)
    sheet = book["Prospects"]
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    plan = plan_sync(SheetData("Prospects", grid[0], grid[1:]), Config(), TODAY).plan
    for (row, col), value in plan.cells.items():
        cell = sheet.cell(row + 1, col + 1, value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    book.save(path)
    return {"total": time.perf_counter() - started}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest run (timings on a shared machine only ever get slower by noise), with the
    highest peak memory of all runs."""
    fastest = dict(min(runs, key=lambda run: run["total"]))
    fastest["peak_mb"] = max(run["peak_mb"] for run in runs)
    return fastest


def run_case(case: str, path: Path) -> dict[str, float]:
    """Run one case in a fresh interpreter; its wall time and peak memory."""
    output = subprocess.run(
        [sys.executable, __file__, "--case", case, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the (slow) openpyxl runs")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each of our cases (the best is shown)"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case:
        path = Path(args.file)
        if args.case == "openpyxl":
            result = case_openpyxl(path)
        else:
            result = case_ours(path, first=args.case == "first")
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    print(
        f"{'rows':>8} | {'ours first sync':>15} | {'ours no-change':>14} | {'openpyxl':>9} | "
        f"{'speed-up':>8} | {'peak MB ours / openpyxl':>23} | {'file MB':>7}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            seed = Path(folder) / f"seed{rows}.xlsx"
            generate(seed, rows)
            ours = Path(folder) / f"ours{rows}.xlsx"
            firsts = []
            for _ in range(args.repeat):
                shutil.copy(seed, ours)
                firsts.append(run_case("first", ours))
            agains = [run_case("again", ours) for _ in range(args.repeat)]
            first, again = best(firsts), best(agains)
            if args.no_openpyxl:
                naive = {"total": float("nan"), "peak_mb": float("nan")}
            else:
                theirs = Path(folder) / f"openpyxl{rows}.xlsx"
                shutil.copy(seed, theirs)
                naive = run_case("openpyxl", theirs)
            print(
                f"{rows:>8} | {first['total']:>13.2f} s | {again['total']:>12.2f} s | "
                f"{naive['total']:>7.2f} s | {naive['total'] / first['total']:>7.1f}x | "
                f"{first['peak_mb']:>8.0f} / {naive['peak_mb']:>8.0f}{'':>5} | "
                f"{ours.stat().st_size / 2**20:>7.1f}",
                flush=True,
            )
            print(
                f"{'':>8}   (no-change peak {again['peak_mb']:.0f} MB; all runs, first sync: "
                + ", ".join(f"{run['total']:.2f}" for run in firsts)
                + " s; no change: "
                + ", ".join(f"{run['total']:.2f}" for run in agains)
                + " s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
