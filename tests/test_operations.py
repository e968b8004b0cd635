"""Cron-grade operation: the run lock, concurrent syncs, killed runs, quiet and logged output."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.sync import lock_path

ROWS = [
    ["P1", "Acme", "Dana", "Working", dt.datetime(2026, 11, 2), "No answer"],
    ["P2", "Beta", "Luis", "", None, None],
]


def make_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Prospects"
    ws.append(["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome"])
    for row in ROWS:
        ws.append(row)
    wb.save(path)
    return path


def flags(path: Path) -> list:
    ws = openpyxl.load_workbook(path)["Prospects"]
    rows = list(ws.iter_rows(values_only=True))
    col = rows[0].index("Flag")
    return [r[col] for r in rows[1:]]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sheetsync", *args], capture_output=True, text=True, timeout=120
    )


def test_a_lock_left_by_a_killed_run_does_not_block(tmp_path):
    book = make_book(tmp_path / "team.xlsx")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; "
            "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); "
            "time.sleep(600)",
            str(lock_path(str(book.resolve()))),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    result = cli("sync", str(book), "--today", "2026-11-24")
    assert result.returncode == 0, result.stderr
    assert flags(book) == ["OVERDUE", "DUE"]


def test_two_syncs_at_once_end_with_one_valid_result(tmp_path):
    book = make_book(tmp_path / "team.xlsx")
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sheetsync",
                "sync",
                str(book),
                "--today",
                "2026-11-24",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    codes = sorted(run.returncode for run in runs)
    # The second either waited for the first (0, nothing left to change) or gave up (3).
    assert codes in ([0, 0], [0, 3]), outputs
    assert flags(book) == ["OVERDUE", "DUE"]
    written = [json.loads(out)["sources"][0]["cells_written"] for out, _ in outputs if out]
    assert sorted(written)[-1] > 0
    if codes == [0, 0]:
        assert sorted(written)[0] == 0  # the later run found everything already synced
    # a third run has nothing left to do: the result is complete and stable
    again = json.loads(cli("sync", str(book), "--today", "2026-11-24", "--json").stdout)
    assert again["sources"][0]["cells_written"] == 0


def test_quiet_prints_nothing_on_success(tmp_path):
    book = make_book(tmp_path / "team.xlsx")
    result = CliRunner().invoke(main, ["sync", str(book), "--quiet", "--today", "2026-11-24"])
    assert result.exit_code == 0
    assert result.output == ""


def test_log_file_gets_levelled_lines_without_cell_contents(tmp_path):
    book = make_book(tmp_path / "team.xlsx")
    log = tmp_path / "sync.log"
    result = cli("sync", str(book), "--verbose", "--log-file", str(log), "--today", "2026-11-24")
    assert result.returncode == 0, result.stderr
    text = log.read_text()
    assert " INFO " in text and "2 rows read" in text
    assert "Acme" not in text  # cell contents are never logged


def test_a_failure_is_logged_and_exits_nonzero(tmp_path):
    log = tmp_path / "sync.log"
    result = cli("sync", str(tmp_path / "gone.xlsx"), "--log-file", str(log))
    assert result.returncode == 1
    assert "gone.xlsx" in result.stderr
    assert "Traceback" not in result.stderr


def test_stdout_is_plain_lines_when_not_a_terminal(tmp_path):
    book = make_book(tmp_path / "team.xlsx")
    result = cli("sync", str(book), "--today", "2026-11-24")
    assert result.stdout.splitlines()[0].endswith("2 rows read, 2 prospects")
    assert "┃" not in result.stdout


def test_the_lock_wait_is_bounded(tmp_path, monkeypatch):
    from filelock import FileLock

    book = make_book(tmp_path / "team.xlsx")
    monkeypatch.setattr("sheetsync.sync.LOCK_WAIT_SECONDS", 0.3)
    with FileLock(str(lock_path(str(book.resolve())))):
        result = CliRunner().invoke(main, ["sync", str(book)])
    assert result.exit_code == 3
    assert "another sync of" in result.output and "is running" in result.output
    assert os.path.exists(book)
