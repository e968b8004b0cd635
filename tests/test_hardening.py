"""Hardening probes (issue 10): faults and hostile input, each kept as a test.

Every probe states what a user gets: a one-line message and an exit code, nothing changed, or
a sync that goes through. Hostile workbooks are built here, in process (zip bombs are small on
disk; macro and dialog sheets are added to a real fixture's zip).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
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


# -- files and folders ------------------------------------------------------------------------


HEADERS = ["ID", "Company", "Owner", "Last Contact", "Last Outcome"]


def prospects_book(path: Path, rows: list[list[object]] | None = None, **sheets: list) -> Path:
    """A workbook whose "Prospects" sheet holds ``HEADERS`` and ``rows`` (dates as date cells)."""
    import xlsxwriter

    rows = rows if rows is not None else [["P1", "Acme", "Dana", dt.date(2026, 11, 2), "Connected"]]
    workbook = xlsxwriter.Workbook(str(path))
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, content in {"Prospects": [HEADERS, *rows], **sheets}.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(content):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(
                        r, c, dt.datetime(value.year, value.month, value.day), date
                    )
                elif value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_read_only_workbook_is_refused_not_replaced(tmp_path: Path, mode: int) -> None:
    # root passes every access check: the permission bits themselves decide
    book = prospects_book(tmp_path / "p.xlsx")
    before = snapshot(tmp_path)
    book.chmod(mode)
    try:
        code, out = run("sync", str(book), "--today", TODAY)
        line = one_line_error(out)
        assert code == 1
        assert "the file is read-only" in line and "nothing was written" in line
        assert snapshot(tmp_path) == before
        assert (book.stat().st_mode & 0o777) == mode
        # looking is still allowed
        if os.geteuid() == 0 or mode & 0o400:
            assert run("sync", str(book), "--today", TODAY, "--dry-run")[0] == 0
    finally:
        book.chmod(0o644)


@pytest.mark.skipif(not hasattr(os, "setuid") or os.geteuid() != 0, reason="needs root to drop")
def test_a_workbook_its_user_cannot_read_is_one_line() -> None:
    """mode 000 for a user who is not root: a one-line message, exit 1 (run as 'nobody', in a
    folder of /tmp that nobody may enter: pytest's own folders are root's alone)."""
    top = Path(tempfile.mkdtemp(prefix="sheetsync-nobody-", dir="/tmp"))
    try:
        top.chmod(0o777)
        book = prospects_book(top / "p.xlsx")
        book.chmod(0o000)
        # everything imported first: Python's own files may be readable by root alone
        script = (
            "import os, sys, sheetsync.cli, sheetsync.sync, sheetsync.core, sheetsync.report, "
            "sheetsync.sources.excel; os.setgid(65534); os.setuid(65534); "
            "sys.argv = ['sheetsync', 'sync', sys.argv[1]]; sheetsync.cli.main()"
        )
        env = {**os.environ, "SHEETSYNC_LOCK_DIR": str(top), "HOME": str(top)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(book)], capture_output=True, text=True, env=env
        )
        line = one_line_error(done.stderr)
        assert done.returncode == 1
        assert "p.xlsx cannot be read (Permission denied)" in line and "chmod u+rw" in line
    finally:
        shutil.rmtree(top)


def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next_sync(tmp_path: Path) -> None:
    book = prospects_book(tmp_path / "p.xlsx")
    stale = tmp_path / ".p.xlsx.k3j9x_2a.sheetsync-tmp"
    stale.write_bytes(b"PK half a zip")
    staging = tmp_path / ".p.xlsx.bak.sheetsync-tmp"
    staging.write_bytes(b"PK half a backup")
    other = tmp_path / ".q.xlsx.k3j9x_2a.sheetsync-tmp"  # another workbook's: not ours to touch
    other.write_bytes(b"PK")
    # a dry run and a failing sync leave them
    assert run("sync", str(book), "--today", TODAY, "--dry-run")[0] == 0
    assert stale.exists() and staging.exists()
    code, _ = run("sync", str(book), "--today", TODAY)
    assert code == 0
    assert not stale.exists() and not staging.exists()
    assert other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".q.xlsx.k3j9x_2a.sheetsync-tmp",
        "p.xlsx",
        "p.xlsx.bak",
    ]


def test_a_failed_backup_rotation_leaves_no_temp_file(tmp_path: Path) -> None:
    book = prospects_book(tmp_path / "p.xlsx")
    (tmp_path / "p.xlsx.bak").mkdir()  # the backup's name is taken by a folder
    before = book.read_bytes()
    code, out = run("sync", str(book), "--today", TODAY)
    line = one_line_error(out)
    assert code == 1 and "the workbook was not changed" in line
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.xlsx", "p.xlsx.bak"]


def test_the_default_lock_folder_is_the_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetsync.sync import LOCK_DIR_ENV, lock_path

    monkeypatch.delenv(LOCK_DIR_ENV)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    # another user's folder under the old shared name is no obstacle any more
    shared = tmp_path / "sheetsync-locks"
    shared.mkdir(mode=0o755)
    os.chown(shared, 65534, 65534) if os.geteuid() == 0 else None
    path = lock_path("/data/p.xlsx")
    assert path.parent == tmp_path / f"sheetsync-locks-{os.getuid()}"
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    book = prospects_book(tmp_path / "p.xlsx")
    assert run("sync", str(book), "--today", TODAY)[0] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder away")
def test_a_lock_folder_name_taken_by_another_user_falls_back_to_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetsync.sync import LOCK_DIR_ENV, lock_path

    monkeypatch.delenv(LOCK_DIR_ENV)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(tempfile, "tempdir", None)
    taken = tmp_path / "tmp" / f"sheetsync-locks-{os.getuid()}"
    taken.mkdir(parents=True)
    os.chown(taken, 65534, 65534)
    path = lock_path("/data/p.xlsx")
    assert path.parent == tmp_path / "home" / ".cache" / "sheetsync" / "locks"
    assert not list(taken.iterdir())


def test_an_unwritable_lock_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root can write in any folder: a lock folder under a plain file cannot be made by anyone
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SHEETSYNC_LOCK_DIR", str(blocker / "locks"))
    book = prospects_book(tmp_path / "p.xlsx")
    before = book.read_bytes()
    code, out = run("sync", str(book), "--today", TODAY)
    line = one_line_error(out)
    assert code == 1
    assert "cannot create the run lock in SHEETSYNC_LOCK_DIR=" in line
    assert "set SHEETSYNC_LOCK_DIR to a folder you can write" in line
    assert book.read_bytes() == before


def test_a_log_file_in_a_missing_folder_is_exit_2(tmp_path: Path) -> None:
    book = prospects_book(tmp_path / "p.xlsx")
    log = tmp_path / "no" / "such" / "folder" / "sync.log"
    code, out = run("sync", str(book), "--today", TODAY, "--log-file", str(log))
    line = one_line_error(out)
    assert code == 2
    assert f"--log-file {log} cannot be opened (No such file or directory)" in line


def test_a_binary_credentials_file_is_one_line(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_bytes(bytes(range(256)) * 4)
    key.chmod(0o600)
    code, out = run(
        "sync", "gsheet:1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefgh", "--credentials", str(key)
    )
    line = one_line_error(out)
    assert code == 1
    assert f"credentials file {key} is not a JSON text file (it holds binary data)" in line
