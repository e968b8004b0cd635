"""Hardening probes (issue 10): faults and hostile input, each kept as a test.

Every probe states what a user gets: a one-line message and an exit code, nothing changed, or
a sync that goes through. Hostile workbooks are built here, in process (zip bombs are small on
disk; macro and dialog sheets are added to a real fixture's zip).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.cli import main

TODAY = "2026-11-24"


def run(*args: str) -> tuple[int, str]:
    """``sheetsync ARGS`` in process: (exit code, stdout + stderr)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    """The single error line of a failed run (and no traceback)."""
    assert "Traceback" not in output and "unexpected error" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("sheetsync: error:")]
    assert len(lines) == 1, output
    return lines[0]


# -- config ---------------------------------------------------------------------------------


def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sheetsync.toml"
    path.write_text(body, encoding="utf-8")
    return path


NOT_FINITE = [
    ("retry_seconds = nan", "retry_seconds"),
    ("retry_seconds = inf", "retry_seconds"),
    ("retry_seconds = -inf", "retry_seconds"),
    ("backups = inf", "backups"),
    ("[rules]\nstale_after_days = nan", "rules.stale_after_days"),
    ("[rules]\ncallback_workdays = inf", "rules.callback_workdays"),
    ("[rules]\ncards_per_day = nan", "rules.cards_per_day"),
    ("[rules]\nlost_months = inf", "rules.lost_months"),
    ("[rules]\nrecycle_after_days = -inf", "rules.recycle_after_days"),
    ("[rules]\nfollowup_days = [nan, 14]", "rules.followup_days[0]"),
    ("[rules]\ncustomer_days = [90, inf]", "rules.customer_days[1]"),
    ("[rules.cut_bait]\nnew = inf", "rules.cut_bait.new"),
    ("[rules.phase_days]\nneed = [30, nan]", "rules.phase_days.need[1]"),
]


@pytest.mark.parametrize(("body", "key"), NOT_FINITE, ids=[b for b, _ in NOT_FINITE])
def test_nan_or_infinity_in_a_numeric_key_is_exit_2_naming_the_key(
    tmp_path: Path, body: str, key: str
) -> None:
    book = tmp_path / "p.xlsx"
    code, out = run("sync", str(book), "--config", str(config_file(tmp_path, body)))
    assert code == 2
    assert f"config key '{key}'" in one_line_error(out)
    assert not book.exists()


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("yyyy\u0001mm", "control character"),
        ('yyyy-mm-dd "at', "unclosed"),
        ("[$-409yyyy-mm-dd", "unclosed"),
        ("0.00", "shows no date"),
        ("hh:mm", "shows no date"),
        ("y" * 256, "255"),
    ],
)
def test_a_bad_date_format_is_exit_2_when_the_config_loads(
    tmp_path: Path, code: str, problem: str
) -> None:
    body = f"date_format = {json.dumps(code)}\n"
    exit_code, out = run(
        "sync", str(tmp_path / "p.xlsx"), "--config", str(config_file(tmp_path, body))
    )
    line = one_line_error(out)
    assert exit_code == 2
    assert "config key 'date_format'" in line and problem in line


@pytest.mark.parametrize(
    "code", ["dd/mm/yyyy", "d mmm yyyy", "[$-409]mmmm d, yyyy", 'yyyy"年"m"月"d"日"']
)
def test_real_date_formats_are_accepted(tmp_path: Path, code: str) -> None:
    from sheetsync.config import load_config

    assert load_config(config_file(tmp_path, f"date_format = {code!r}\n")).date_format == code


def test_one_header_mapped_to_two_fields_is_exit_2(tmp_path: Path) -> None:
    body = '[columns]\ncompany = "Name"\ncontact = "name "\n'
    code, out = run("sync", str(tmp_path / "p.xlsx"), "--config", str(config_file(tmp_path, body)))
    line = one_line_error(out)
    assert code == 2
    assert "config key 'columns.contact'" in line and "already mapped to company" in line
