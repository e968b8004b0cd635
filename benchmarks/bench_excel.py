"""Benchmark: sheetsync's Excel adapter against openpyxl's load + save, end to end.

    .venv/bin/python benchmarks/bench_excel.py [--rows 10000 100000] [--no-openpyxl]

For each size it generates a 15-column prospects workbook with XlsxWriter (text, dates, numbers;
shared strings, as Excel writes them), then runs each case in a fresh subprocess, which reports
its wall time and its own peak memory (ru_maxrss):

* ours, first sync: ``read()``, a plan writing the 4 tool columns for every row (created at the
  right, header included) plus a 3-column memory sheet, ``write()``;
* ours, no change: ``read()`` and ``write()`` of a plan with nothing to change (highlighting
  already installed), which must not rewrite the file;
* openpyxl: ``load_workbook``, the same 4 columns set, ``save``: the naive way.
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
OWNED = ["Next Contact", "Next Action", "Flag", "Why"]
FLAGS = ["DUE", "OVERDUE", "SCHEDULED", "CARD", "QUEUED"]


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


def owned_value(row: int, col: int) -> object:
    if col == 0:
        return dt.date(2026, 11, 2) + dt.timedelta(days=row % 45)
    if col == 1:
        return "Call" if row % 3 else "Follow-up email"
    if col == 2:
        return FLAGS[row % len(FLAGS)]
    return f"Working, {row % 5} attempts: follow up 10-14 days after 2026-11-02"


# -- the cases, each run in its own process ------------------------------------------------


def case_ours(path: Path, first: bool) -> dict[str, float]:
    from sheetsync.sources.base import HighlightRule, WritePlan
    from sheetsync.sources.excel import ExcelSource

    rules = (
        HighlightRule("OVERDUE", "FFC7CE", "9C0006"),
        HighlightRule("DUE", "FFEB9C"),
        HighlightRule("CARD", "DDEBF7"),
    )
    width = len(HEADERS)
    started = time.perf_counter()
    source = ExcelSource(path)
    data = source.read()
    read = time.perf_counter() - started
    plan = WritePlan(
        width=width + len(OWNED),
        height=len(data.rows) + 1,
        flag_col=width + 2,
        date_cols=(width,),
        highlight=rules,
    )
    if first:
        cells: dict[tuple[int, int], object] = {(0, width + i): h for i, h in enumerate(OWNED)}
        for r in range(1, len(data.rows) + 1):
            for i in range(len(OWNED)):
                cells[r, width + i] = owned_value(r, i)
        plan.cells = cells
        plan.memory = [["ID", "Last Contact", "Attempts"]] + [
            [str(row[0]), row[7].isoformat() if row[7] else None, row[9]] for row in data.rows
        ]
    mtime = path.stat().st_mtime_ns
    source.write(plan)
    total = time.perf_counter() - started
    if not first and path.stat().st_mtime_ns != mtime:
        raise SystemExit("a sync with nothing to change rewrote the file")
    return {"read": read, "total": total}


def case_openpyxl(path: Path) -> dict[str, float]:
    import openpyxl

    started = time.perf_counter()
    book = openpyxl.load_workbook(path)
    sheet = book["Prospects"]
    width = len(HEADERS)
    for i, header in enumerate(OWNED):
        sheet.cell(1, width + i + 1, header)
    for r in range(2, sheet.max_row + 1):
        for i in range(len(OWNED)):
            cell = sheet.cell(r, width + i + 1, owned_value(r - 1, i))
            if i == 0:
                cell.number_format = "yyyy-mm-dd"
    book.save(path)
    return {"total": time.perf_counter() - started}


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
            shutil.copy(seed, ours)
            first = run_case("first", ours)
            again = run_case("again", ours)
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
                f"{'':>8}   (read {first['read']:.2f} s of the first sync, "
                f"{again['read']:.2f} s of the no-change one; no-change peak "
                f"{again['peak_mb']:.0f} MB)",
                flush=True,
            )


if __name__ == "__main__":
    main()
