"""Requests and bytes a first sync sends to Google Sheets, against the naive way.

Run: ``.venv/bin/python benchmarks/bench_gsheets.py [--rows 100 10000 100000] [--naive-max 10000]``

Everything goes to the local fake Sheets server (tests/fakesheets), never to Google. For each
size, a sheet of N prospects is seeded and three writers fill the four tool columns
(Next Contact, Next Action, Flag, Why) of every row:

* ``sheetsync``: the real sync (``sync_source`` on a GoogleSheetSource): the first one writes
  the tool's columns, IDs' memory, highlighting, frozen header, filter and owner views; the
  second, the same day, has nothing to change;
* ``naive, per cell``: gspread ``update_cell`` for each row and column (4 x N requests);
* ``naive, per row``: gspread ``Worksheet.update`` of one row's four cells (N requests).

The naive ways are run up to ``--naive-max`` rows and extrapolated (linearly: each request is
the same size) above. "Quota minutes" is the time the requests take at Google's 60 write
requests per minute per user.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import gspread  # noqa: E402
from fakesheets import FakeSheets  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402

from sheetsync.config import Config  # noqa: E402
from sheetsync.sources.gsheets import GoogleSheetSource, RetryPolicy  # noqa: E402
from sheetsync.sources.gsheets.transport import ENDPOINT_ENV, SheetsHTTPClient  # noqa: E402
from sheetsync.sync import sync_source  # noqa: E402

HEADER = ["ID", "Company", "Owner", "Last Contact", "Last Outcome"]
OWNERS = ["Dana", "Eli", "Fay", "Gus"]
TODAY = dt.date(2026, 11, 24)


@dataclass
class Result:
    rows: int
    method: str
    requests: int
    bytes_sent: int
    seconds: float
    measured: bool = True


def seed(fake: FakeSheets, key: str, n: int) -> None:
    rows = [
        [
            f"P{i:06d}",
            f"Company {i}",
            OWNERS[i % 4],
            dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
            "No answer",
        ]
        for i in range(n)
    ]
    fake.seed(key, {"Prospects": [HEADER, *rows]})


def answer(i: int) -> tuple[dt.date, str, str, str]:
    day = dt.date(2026, 11, 2) + dt.timedelta(days=i % 40)
    return (
        day,
        "Call",
        ("DUE", "OVERDUE", "SCHEDULED")[i % 3],
        f"Working, {i % 5} attempts: follow up 10-14 days after {day - dt.timedelta(days=12)}",
    )


def measure(fake: FakeSheets, rows: int, method: str, run: Callable[[], None]) -> Result:
    fake.reset_log()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    sent = fake.requests()
    return Result(rows, method, len(sent), sum(len(r.body) for r in sent), seconds)


def sheetsync_way(fake: FakeSheets, key: str, n: int, again: bool) -> Result:
    """The real ``sheetsync sync gsheet:KEY``: read, decide every row, one write (cells, memory,
    highlighting, frozen header, filter, owner views); ``again``: the next sync the same day."""
    if not again:
        seed(fake, key, n)

    def run() -> None:
        source = GoogleSheetSource(f"gsheet:{key}", retry=RetryPolicy(total_seconds=30))
        sync_source(source, Config(), TODAY)

    return measure(fake, n, "sheetsync, same day" if again else "sheetsync, first sync", run)


def naive_way(fake: FakeSheets, key: str, n: int, per_cell: bool) -> Result:
    seed(fake, key, n)
    client = gspread.Client(AnonymousCredentials(), http_client=SheetsHTTPClient)
    http = client.http_client
    assert isinstance(http, SheetsHTTPClient)
    http.configure(fake.url, RetryPolicy(total_seconds=30), AnonymousCredentials())

    def run() -> None:
        sheet = client.open_by_key(key).worksheet("Prospects")
        for col, name in enumerate(["Next Contact", "Next Action", "Flag", "Why"], start=6):
            sheet.update_cell(1, col, name)
        for i in range(n):
            values = [str(answer(i)[0]), *answer(i)[1:]]
            if per_cell:
                for col, value in enumerate(values, start=6):
                    sheet.update_cell(i + 2, col, value)
            else:
                sheet.update([values], f"F{i + 2}:I{i + 2}", value_input_option="USER_ENTERED")

    return measure(fake, n, "naive, per cell" if per_cell else "naive, per row", run)


def extrapolate(base: Result, rows: int) -> Result:
    scale = rows / base.rows
    return Result(
        rows,
        base.method,
        round(base.requests * scale),
        round(base.bytes_sent * scale),
        base.seconds * scale,
        measured=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--naive-max", type=int, default=10_000)
    args = parser.parse_args()
    results: list[Result] = []
    with FakeSheets() as fake:
        fake.pretty = False
        import os

        os.environ[ENDPOINT_ENV] = fake.url
        os.environ.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
        last_naive: dict[bool, Result] = {}
        for n in args.rows:
            key = f"1Bench{n:07d}abcdefghijklmnopqrstuvwxyz01"
            results.append(sheetsync_way(fake, key, n, again=False))
            results.append(sheetsync_way(fake, key, n, again=True))
            for per_cell in (True, False):
                if n <= args.naive_max:
                    last_naive[per_cell] = naive_way(fake, key, n, per_cell)
                    results.append(last_naive[per_cell])
                elif per_cell in last_naive:
                    results.append(extrapolate(last_naive[per_cell], n))
            fake.books.clear()
    print(
        f"{'rows':>8} | {'writer':<22} | {'requests':>9} | {'bytes sent':>12} | {'local time':>10} | {'quota minutes':>13}"
    )
    print("-" * 90)
    for r in results:
        mark = "" if r.measured else "  (extrapolated)"
        print(
            f"{r.rows:>8} | {r.method:<22} | {r.requests:>9,} | {r.bytes_sent:>12,} | {r.seconds:>9.1f}s | {r.requests / 60:>13.1f}{mark}"
        )


if __name__ == "__main__":
    main()
