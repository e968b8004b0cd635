"""The command line in process: exact exit codes and messages, on real .xlsx files."""

import datetime as dt
import json
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from filelock import FileLock

from sheetsync.cli import main
from sheetsync.sync import lock_path

HEADERS = ["ID", "Company", "Owner", "Stage", "Last Contact", "Last Outcome"]


def make_workbook(path: Path, rows, headers=HEADERS, title="Prospects") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def read_sheet(path: Path, title="Prospects") -> list[dict]:
    ws = openpyxl.load_workbook(path)[title]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def book(tmp_path):
    return make_workbook(
        tmp_path / "team.xlsx",
        [
            ["P1", "Acme", "Dana", "Working", dt.datetime(2026, 11, 2), "No answer"],
            ["P2", "Beta", "Luis", "", None, None],
            ["P3", "Gamma", "Dana", "Closed", dt.datetime(2026, 1, 5), "Connected"],
        ],
    )


def test_sync_writes_answers_and_prints_a_summary(runner, book):
    result = runner.invoke(main, ["sync", str(book), "--today", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert f"{book}: 3 rows read, 3 prospects" in result.output
    assert "OVERDUE 1  DUE 1  CLOSED 1" in result.output
    assert "Dana: OVERDUE 1, CLOSED 1" in result.output
    rows = read_sheet(book)
    # 2026-11-02 + 10 days = Thu 2026-11-12, latest Mon 2026-11-16: overdue on 2026-11-24.
    assert rows[0]["Next Contact"] == dt.datetime(2026, 11, 12)
    assert rows[0]["Flag"] == "OVERDUE"
    assert rows[0]["Why"] == "Working, 0 attempts: follow up 10-14 days after 2026-11-02"
    assert rows[1]["Flag"] == "DUE" and rows[1]["Next Action"] == "Call"
    assert rows[2]["Flag"] == "CLOSED" and rows[2]["Next Contact"] is None


def test_second_sync_the_same_day_changes_nothing(runner, book):
    assert runner.invoke(main, ["sync", str(book), "--today", "2026-11-24"]).exit_code == 0
    before = book.stat().st_mtime_ns, book.read_bytes()
    result = runner.invoke(main, ["sync", str(book), "--today", "2026-11-24"])
    assert result.exit_code == 0
    assert "nothing to change" in result.output
    assert (book.stat().st_mtime_ns, book.read_bytes()) == before


def test_dry_run_lists_changes_and_writes_nothing(runner, book):
    before = book.read_bytes()
    result = runner.invoke(main, ["sync", str(book), "--today", "2026-11-24", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "P1 Flag: (blank) -> OVERDUE" in result.output
    assert "P2 Next Action: (blank) -> Call" in result.output
    assert "would change" in result.output
    assert book.read_bytes() == before


def test_json_output(runner, book):
    result = runner.invoke(main, ["sync", str(book), "--today", "2026-11-24", "--json"])
    assert result.exit_code == 0
    out = json.loads(result.output)
    (source,) = out["sources"]
    assert out["errors"] == []
    assert source["rows_read"] == 3
    assert source["flags"]["OVERDUE"] == 1 and source["flags"]["CHECK"] == 0
    assert source["owners"]["Dana"] == {"CLOSED": 1, "OVERDUE": 1}
    assert source["cells_written"] > 0


def test_unknown_config_key_is_exit_2_naming_it(runner, book, tmp_path):
    config = tmp_path / "sheetsync.toml"
    config.write_text("[rules]\nfollowup_dayz = [10, 14]\n")
    before = book.read_bytes()
    result = runner.invoke(main, ["sync", str(book), "--config", str(config)])
    assert result.exit_code == 2
    assert "config key 'rules.followup_dayz': unknown key" in result.output
    assert book.read_bytes() == before


def test_impossible_config_value_is_exit_2(runner, book, tmp_path):
    config = tmp_path / "sheetsync.toml"
    config.write_text("[rules]\nfollowup_days = [14, 10]\n")
    result = runner.invoke(main, ["sync", str(book), "--config", str(config)])
    assert result.exit_code == 2
    assert "config key 'rules.followup_days': minimum 14 is above maximum 10" in result.output


def test_missing_columns_reported_together(runner, tmp_path):
    book = make_workbook(tmp_path / "bad.xlsx", [["x", "y"]], headers=["Notes", "Rep"])
    before = book.read_bytes()
    result = runner.invoke(main, ["sync", str(book)])
    assert result.exit_code == 2
    assert 'missing column "Last Contact"' in result.output
    assert "missing a column that names the prospect" in result.output
    assert book.read_bytes() == before


def test_two_headers_for_one_field(runner, tmp_path):
    book = make_workbook(
        tmp_path / "dup.xlsx", [], headers=["Company", "Last Contact", "Rep", "Owner"]
    )
    result = runner.invoke(main, ["sync", str(book)])
    assert result.exit_code == 2
    assert '"Rep" (C) and "Owner" (D) both mean Owner' in result.output


def test_missing_file_is_exit_1(runner, tmp_path):
    result = runner.invoke(main, ["sync", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 1
    assert "nope.xlsx" in result.output


def test_no_source_and_no_config_is_exit_2(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 2
    assert "no SOURCE given" in result.output


def test_bad_today_is_exit_2(runner, book):
    result = runner.invoke(main, ["sync", str(book), "--today", "24/11/2026"])
    assert result.exit_code == 2
    assert "--today" in result.output


def test_a_running_sync_holds_the_source(runner, book, monkeypatch):
    monkeypatch.setattr("sheetsync.sync.LOCK_WAIT_SECONDS", 0.2)
    with FileLock(str(lock_path(str(book.resolve())))):
        result = runner.invoke(main, ["sync", str(book)])
    assert result.exit_code == 3
    assert "another sync of" in result.output


def test_sources_from_config_one_failing_does_not_stop_the_others(runner, book, tmp_path):
    config = tmp_path / "sheetsync.toml"
    config.write_text('[[sources]]\nsource = "missing.xlsx"\n\n[[sources]]\nsource = "team.xlsx"\n')
    result = runner.invoke(main, ["sync", "--config", str(config), "--today", "2026-11-24"])
    assert result.exit_code == 1
    assert "missing.xlsx" in result.output
    assert read_sheet(book)[0]["Flag"] == "OVERDUE"


def test_init_writes_the_template_and_refuses_to_overwrite(runner, tmp_path):
    target = tmp_path / "new.xlsx"
    result = runner.invoke(main, ["init", str(target)])
    assert result.exit_code == 0
    ws = openpyxl.load_workbook(target)["Prospects"]
    assert ws["A1"].value == "ID"
    again = runner.invoke(main, ["init", str(target)])
    assert again.exit_code == 2
    assert "already exists" in again.output


@pytest.mark.parametrize("today", ["2026-11-23", "2026-11-25", "2026-11-27"])
def test_demo_shows_every_flag(runner, tmp_path, monkeypatch, today):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["demo", "--today", today])
    assert result.exit_code == 0, result.output
    flags = {row["Flag"] for row in read_sheet(Path("sheetsync-demo.xlsx"))}
    assert flags >= {
        "OVERDUE",
        "DUE",
        "SCHEDULED",
        "CARD",
        "QUEUED",
        "CUT",
        "DNC",
        "CLOSED",
        "CHECK",
    }
    again = runner.invoke(main, ["sync", "sheetsync-demo.xlsx", "--today", today])
    assert again.exit_code == 0
    assert "nothing to change" in again.output


def test_help_names_every_command(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("sync", "init", "demo"):
        assert command in result.output


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "sheetsync", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    assert "sheetsync" in out.stdout
