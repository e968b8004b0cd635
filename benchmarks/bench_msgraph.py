"""Requests and bytes a sync of a workbook in OneDrive / SharePoint costs, against the naive way.

Run: ``.venv/bin/python benchmarks/bench_msgraph.py [--rows 1000 100000] [--naive-max 10000]``

Everything goes to the local fake Graph (tests/fakegraph), never to Microsoft. For each size a
15-column prospects workbook (the one ``bench_excel.py`` generates) is put in the fake drive
behind a sharing link, and:

* ``sheetsync``: the real sync (``sync_source`` on a MicrosoftSource): the first one reads the
  item's metadata, downloads the workbook (302 to the download URL), runs the Excel sync on it
  and uploads it once with ``If-Match``; the second, the same day, has nothing to change and
  sends no write;
* ``on disk``: the same first sync of the same file as a local file, for the time the cloud
  adds;
* ``naive``: the way the Excel connector and scripts over Graph's workbook API work: one
  ``GET .../usedRange`` to read the sheet, then one ``PATCH .../range(address='..')`` per row
  with that row's new cells (the same cells the sync writes). On a same-day re-sync a naive
  script that compares first still reads the whole used range.

The naive writes are run up to ``--naive-max`` rows and extrapolated linearly above (each
request is about the same size). Bytes are request bodies plus headers sent, and response
bodies received, as the fake counts them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import requests  # noqa: E402
from bench_excel import generate  # noqa: E402
from fakegraph import FakeGraph, Servers  # noqa: E402

from sheetsync.config import Config  # noqa: E402
from sheetsync.schema import col_letter  # noqa: E402
from sheetsync.sources.base import Cell  # noqa: E402
from sheetsync.sources.excel import ExcelSource  # noqa: E402
from sheetsync.sources.http import RetryPolicy  # noqa: E402
from sheetsync.sources.msgraph.client import GraphClient, NoToken  # noqa: E402
from sheetsync.sources.msgraph.source import MicrosoftSource  # noqa: E402
from sheetsync.sync import sync_source  # noqa: E402

TODAY = dt.date(2026, 11, 24)
URL = "https://contoso.sharepoint.com/:x:/r/sites/Sales/Shared%20Documents/Prospects.xlsx?e=1"


@dataclass
class Cost:
    requests: int
    sent: int
    received: int
    seconds: float
    measured: bool = True

    def scaled(self, factor: float) -> Cost:
        return Cost(
            round(self.requests * factor),
            round(self.sent * factor),
            round(self.received * factor),
            self.seconds * factor,
            measured=False,
        )


def _cost(fake: FakeGraph, started: float) -> Cost:
    log = fake.requests()
    return Cost(
        len(log),
        sum(r.bytes_in for r in log),
        sum(r.bytes_out for r in log),
        time.perf_counter() - started,
    )


def ours(fake: FakeGraph) -> tuple[Cost, Cost, dict[int, dict[int, Cell]]]:
    def run() -> tuple[Cost, object]:
        fake.clear_log()
        client = GraphClient(fake.graph_url, NoToken(), RetryPolicy(total_seconds=30))
        started = time.perf_counter()
        report = sync_source(MicrosoftSource(URL, None, client), Config(backups=0), TODAY)
        return _cost(fake, started), report

    first, report = run()
    again, _ = run()
    rows: dict[int, dict[int, Cell]] = {}
    for (row, col), value in report.result.plan.cells.items():  # type: ignore[attr-defined]
        rows.setdefault(row, {})[col] = value
    return first, again, rows


def local_seconds(path: Path) -> float:
    """The same first sync of the same file on disk: what the cloud adds is the rest."""
    copy = path.with_name("local-" + path.name)
    copy.write_bytes(path.read_bytes())
    started = time.perf_counter()
    sync_source(ExcelSource(copy, None, backups=0), Config(backups=0), TODAY)
    return time.perf_counter() - started


def naive(fake: FakeGraph, item_path: str, rows: dict[int, dict[int, Cell]], limit: int) -> Cost:
    """usedRange once, then a PATCH of each changed row's cells, up to ``limit`` rows."""
    fake.clear_log()
    session = requests.Session()
    base = f"{fake.graph_url}{item_path}/workbook/worksheets/Prospects"
    started = time.perf_counter()
    session.get(f"{base}/usedRange", params={"$select": "address,values"}, timeout=300)
    for row in sorted(rows)[:limit]:
        cells = rows[row]
        low, high = min(cells), max(cells)
        values = [[_json(cells.get(col)) for col in range(low, high + 1)]]
        address = f"{col_letter(low)}{row + 1}:{col_letter(high)}{row + 1}"
        session.patch(f"{base}/range(address='{address}')", json={"values": values}, timeout=30)
    return _cost(fake, started)


def naive_read(fake: FakeGraph, item_path: str) -> Cost:
    fake.clear_log()
    started = time.perf_counter()
    requests.get(
        f"{fake.graph_url}{item_path}/workbook/worksheets/Prospects/usedRange",
        params={"$select": "address,values"},
        timeout=300,
    )
    return _cost(fake, started)


def _json(value: Cell) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} KB"


def _cell(cost: Cost) -> str:
    mark = "" if cost.measured else " (extrapolated)"
    return f"{cost.requests:,} / {_mb(cost.sent)} up, {_mb(cost.received)} down{mark}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--naive-max", type=int, default=10000)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.rows:
            path = Path(folder) / f"prospects-{n}.xlsx"
            generate(path, n)
            local = local_seconds(path)
            fake = FakeGraph()
            servers = Servers(fake, None, None)
            try:
                item = fake.add_file("Prospects.xlsx", path.read_bytes(), share_url=URL)
                first, again, rows = ours(fake)
                item_path = f"/drives/{item.drive_id}/items/{item.item_id}"
                # the naive way starts from the same workbook as the first sync did
                fake.save(item, path.read_bytes())
                limit = min(len(rows), args.naive_max)
                cost = naive(fake, item_path, rows, limit)
                if limit < len(rows):
                    read = naive_read(fake, item_path)
                    writes = Cost(
                        cost.requests - read.requests,
                        cost.sent - read.sent,
                        cost.received - read.received,
                        cost.seconds - read.seconds,
                    )
                    scaled = writes.scaled(len(rows) / limit)
                    cost = Cost(
                        scaled.requests + read.requests,
                        scaled.sent + read.sent,
                        scaled.received + read.received,
                        scaled.seconds + read.seconds,
                        measured=False,
                    )
                again_naive = naive_read(fake, item_path)
            finally:
                servers.close()
            results.append(
                {
                    "rows": n,
                    "file_bytes": path.stat().st_size,
                    "first": first.__dict__,
                    "again": again.__dict__,
                    "naive_first": cost.__dict__,
                    "naive_again": again_naive.__dict__,
                    "rows_written": len(rows),
                    "local_first_seconds": local,
                }
            )
            print(
                f"| {n:,} | {_cell(first)}, {first.seconds:.1f} s (on disk {local:.1f} s) "
                f"| {_cell(again)} "
                f"| {_cell(cost)}, {cost.seconds:.0f} s | {_cell(again_naive)} |",
                flush=True,
            )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
