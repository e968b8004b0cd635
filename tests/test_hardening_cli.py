"""Issue 10's probes through the real command: ``sheetsync sync FILE`` run as a subprocess.

tests/test_hardening.py runs each probe in process (click's runner); here the same inputs go
through the installed console script, the way cron runs it: the exit code, a stderr of one
line without a traceback, and the workbook's bytes unchanged where nothing should change. A
native crash (a panic in the reader library, an abort on memory) shows only here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_excel_libreoffice import SOFFICE, to_csv
from test_hardening import (
    BOMBS,
    TODAY,
    bomb,
    odd_workbook,
    prospects_book,
    snapshot,
    table_book,
    texts,
    with_stored_values,
)
from xlsx_helpers import part, rewrite_part

SHEETSYNC = Path(sys.executable).with_name("sheetsync")


def sheetsync(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``sheetsync ARGS`` as a separate process (its own stdout and stderr)."""
    return subprocess.run(
        [str(SHEETSYNC), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The whole stderr of a failed run: one ``sheetsync: error:`` line, no traceback."""
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sheetsync: error: "), done.stderr
    return lines[0]


def report(done: subprocess.CompletedProcess[str]) -> dict:
    """The one source's report of a ``--json`` run that went through."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)["sources"][0]


def flags(rep: dict) -> dict[str, int]:
    return {flag: n for flag, n in rep["flags"].items() if n}


# -- config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ("retry_seconds = nan\n", "retry_seconds", ""),
        ("[rules]\nstale_after_days = inf\n", "rules.stale_after_days", ""),
        ("[rules]\nfollowup_days = [7, -inf]\n", "rules.followup_days[1]", ""),
        # a digest's network timeout: NaN or infinity is no number of seconds either
        ("[notify]\ntimeout_seconds = nan\n", "notify.timeout_seconds", "not nan"),
        ("[notify]\ntimeout_seconds = inf\n", "notify.timeout_seconds", "not inf"),
        ('date_format = "hh:mm"\n', "date_format", "shows no date"),
        ('date_format = "yyyy-mm-dd \\"at"\n', "date_format", "unclosed"),
        ('[columns]\ncompany = "Name"\ncontact = "NAME"\n', "columns.contact", "already mapped"),
    ],
)
def test_a_bad_config_is_exit_2_naming_the_key(
    tmp_path: Path, body: str, key: str, problem: str
) -> None:
    book = prospects_book(tmp_path / "p.xlsx")
    config = tmp_path / "sheetsync.toml"
    config.write_text(body, encoding="utf-8")
    before = snapshot(tmp_path)
    done = sheetsync("sync", str(book), "--today", TODAY, "--config", str(config))
    line = error_line(done)
    assert done.returncode == 2
    assert f"config key '{key}'" in line and problem in line
    assert snapshot(tmp_path) == before


# -- decompression bombs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "declared"),
    [
        ("sheet of blanks, 3 GB", None),
        ("one giant shared string, 2.5 GB", None),
        ("sheet of blanks, 3 GB", 2048),  # one that lies about its size
    ],
)
def test_a_decompression_bomb_is_refused_within_seconds(
    tmp_path: Path, kind: str, declared: int | None
) -> None:
    part, cut, filler, mib, _ = BOMBS[kind]
    book = bomb(prospects_book(tmp_path / "p.xlsx"), part, cut, filler, mib, declared)
    assert book.stat().st_size < 4 << 20
    before = snapshot(tmp_path)
    started = time.monotonic()
    done = sheetsync("sync", str(book), "--today", TODAY, timeout=60)
    assert time.monotonic() - started < 15
    line = error_line(done)
    assert done.returncode == 1
    assert f"part {part} " in line
    assert ("would inflate to" if declared is None else "inflates past its declared size") in line
    assert snapshot(tmp_path) == before


# -- tables, dates ----------------------------------------------------------------------------


def test_a_tables_totals_row_and_a_lower_header_row_are_never_prospects(tmp_path: Path) -> None:
    book = table_book(tmp_path / "p.xlsx")
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert (rep["prospects"], flags(rep)) == (2, {"OVERDUE": 2})
    assert texts(book, "xl/worksheets/sheet1.xml", ["I2", "I3", "I4", "J4"]) == [
        "OVERDUE",
        "OVERDUE",
        None,
        None,
    ]
    lower = table_book(tmp_path / "q.xlsx", second_table=True)
    rep = report(sheetsync("sync", str(lower), "--today", TODAY, "--json"))
    assert (rep["prospects"], flags(rep)) == (3, {"OVERDUE": 3})
    assert texts(lower, "xl/worksheets/sheet1.xml", [f"I{r}" for r in range(2, 8)]) == [
        "OVERDUE",
        None,
        None,
        "OVERDUE",
        "OVERDUE",
        None,
    ]


@pytest.mark.parametrize(
    ("stored", "why"),
    [("NaN", 'Last Contact "NaN" is not a date'), ("-5", 'Last Contact "-5" is not a date')],
)
def test_a_nan_or_negative_date_cell_is_check_naming_the_cell(
    tmp_path: Path, stored: str, why: str
) -> None:
    rows = [
        ["P1", "Acme", "Dana", dt.date(2026, 11, 2), "Connected"],
        ["P2", "Beta", "Luis", dt.date(2026, 11, 2), "Connected"],
    ]
    book = with_stored_values(prospects_book(tmp_path / "p.xlsx", rows), {"D3": stored})
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert flags(rep) == {"OVERDUE": 1, "CHECK": 1}
    assert texts(book, "xl/worksheets/sheet1.xml", ["I3", "J3"]) == ["CHECK", why]


# -- files and folders ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o444, 0o000])
def test_a_read_only_workbook_is_refused_and_left_as_it_was(tmp_path: Path, mode: int) -> None:
    book = prospects_book(tmp_path / "p.xlsx")
    before = snapshot(tmp_path)
    book.chmod(mode)
    try:
        done = sheetsync("sync", str(book), "--today", TODAY)
        line = error_line(done)
        assert done.returncode == 1
        # the path once (the command names it), then what is wrong
        assert line == (
            f"sheetsync: error: {book}: the file is read-only (mode {mode:03o}): nothing was "
            "written; make it writable (chmod u+w p.xlsx) or sync a copy"
        )
        assert snapshot(tmp_path) == before
        assert (book.stat().st_mode & 0o777) == mode
    finally:
        book.chmod(0o644)


def _kill_at_the_save(book: Path) -> list[Path]:
    """Run a sync of ``book`` and kill -9 it as soon as its temporary file appears (it lives
    some 15 ms for 40,000 rows); returns the temporary files left."""
    proc = subprocess.Popen(
        [str(SHEETSYNC), "sync", str(book), "--today", TODAY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pattern = f".{book.name}.*.sheetsync-tmp"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if any(book.parent.glob(pattern)):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.kill()
    proc.wait()
    return list(book.parent.glob(pattern))


def test_a_killed_save_leaves_the_workbook_and_the_next_sync_removes_its_temp_file(
    tmp_path: Path,
) -> None:
    """kill -9 while the new version is being written: the workbook is the old one (or, if
    the kill came after the rename, the complete new one), never half a file; a temporary
    file left goes at the next sync."""
    rows = [
        [f"P{n}", f"Company {n}", "Dana", dt.date(2026, 11, 2), "Connected"] for n in range(40_000)
    ]
    original = prospects_book(tmp_path / "original.xlsx", rows)
    for attempt in range(3):
        folder = tmp_path / f"attempt{attempt}"
        folder.mkdir()
        book = folder / "p.xlsx"
        shutil.copyfile(original, book)
        left = _kill_at_the_save(book)
        if book.read_bytes() != original.read_bytes():  # killed after the rename: complete
            assert texts(book, "xl/worksheets/sheet1.xml", ["I1", "I40001"]) == [
                "Flag",
                "OVERDUE",
            ]
        if left:
            break
    else:
        pytest.skip("no save could be killed before its rename in 3 attempts")
    done = sheetsync("sync", str(book), "--today", TODAY)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["p.xlsx", "p.xlsx.bak"]
    assert texts(book, "xl/worksheets/sheet1.xml", ["I1", "I40001"]) == ["Flag", "OVERDUE"]


def test_two_users_each_get_their_own_lock_folder(tmp_path: Path) -> None:
    """The default lock folder's name taken by another user's folder: the sync still runs."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(mode=0o1777)
    taken = tmp / f"sheetsync-locks-{os.getuid()}"
    taken.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(taken, 65534, 65534)
    else:
        taken.chmod(0o500)  # ours, but no lock file can be made in it
    book = prospects_book(tmp_path / "p.xlsx")
    env = {k: v for k, v in os.environ.items() if k != "SHEETSYNC_LOCK_DIR"}
    env.update(TMPDIR=str(tmp), HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [str(SHEETSYNC), "sync", str(book), "--today", TODAY],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not list(taken.iterdir())


def test_an_unwritable_lock_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    book = prospects_book(tmp_path / "p.xlsx")
    before = snapshot(tmp_path)
    done = sheetsync(
        "sync", str(book), "--today", TODAY, env={"SHEETSYNC_LOCK_DIR": str(blocker / "locks")}
    )
    line = error_line(done)
    assert done.returncode == 1
    assert "cannot create the run lock" in line and "SHEETSYNC_LOCK_DIR" in line
    assert snapshot(tmp_path) == before


def test_a_log_file_in_a_missing_folder_is_exit_2(tmp_path: Path) -> None:
    book = prospects_book(tmp_path / "p.xlsx")
    before = snapshot(tmp_path)
    log = tmp_path / "no" / "such" / "sync.log"
    done = sheetsync("sync", str(book), "--today", TODAY, "--log-file", str(log))
    line = error_line(done)
    assert done.returncode == 2
    assert f"--log-file {log} cannot be opened" in line
    assert snapshot(tmp_path) == before


def test_a_binary_credentials_file_is_one_line(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_bytes(bytes(range(256)) * 4)
    key.chmod(0o600)
    done = sheetsync(
        "sync", "gsheet:1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefgh", "--credentials", str(key)
    )
    line = error_line(done)
    assert done.returncode == 1
    assert "is not a JSON text file" in line
    assert "\\x" not in line  # none of its bytes echoed


# -- messages ---------------------------------------------------------------------------------


def test_a_header_row_reaching_xfd_is_exit_2(tmp_path: Path) -> None:
    import xlsxwriter

    book = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company", "Last Contact"])
    sheet.write(0, 16383, "Notes")
    sheet.write_row(1, 0, ["P1", "Acme", "2026-11-02"])
    workbook.close()
    before = snapshot(tmp_path)
    done = sheetsync("sync", str(book), "--today", TODAY)
    line = error_line(done)
    assert done.returncode == 2
    assert "XFD" in line
    assert snapshot(tmp_path) == before


def test_a_merge_over_the_owned_columns_is_a_warning_naming_the_range(tmp_path: Path) -> None:
    import xlsxwriter

    book = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Prospects")
    sheet.write_row(
        0,
        0,
        ["ID", "Company", "Owner", "Last Contact", "Last Outcome", "Next Contact", "Next Action"],
    )
    sheet.write_row(1, 0, ["P1", "Acme", "Dana", "2026-11-02", "Connected"])
    sheet.merge_range("F2:G2", "")
    workbook.close()
    done = sheetsync("sync", str(book), "--today", TODAY)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warned = [line for line in done.stderr.splitlines() if "F2:G2" in line]
    assert len(warned) == 1 and "merged" in warned[0], done.stderr


def test_a_duplicate_id_at_read_time_is_said_once_as_it_is(tmp_path: Path) -> None:
    rows = [
        ["P1", "Acme", "Dana", dt.date(2026, 11, 2), "Connected"],
        ["P1", "Acme copy", "Dana", dt.date(2026, 11, 2), "Connected"],
    ]
    book = prospects_book(tmp_path / "p.xlsx", rows)
    done = sheetsync("sync", str(book), "--today", TODAY)
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    assert "now found" not in done.stderr + done.stdout


# -- workbooks python-calamine cannot open ----------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("kind", ["macro", "dialog", "empty r:id"])
def test_a_workbook_calamine_cannot_open_syncs_and_libreoffice_opens_it(
    tmp_path: Path, kind: str
) -> None:
    book = odd_workbook(tmp_path / "p.xlsx", kind)
    done = sheetsync("sync", str(book), "--today", TODAY, "--json")
    rep = report(done)
    assert (rep["rows_read"], rep["prospects"]) == (2, 2)
    assert flags(rep) == {"OVERDUE": 1, "DUE": 1}
    sheets = to_csv(book, tmp_path)
    rows = sheets["Prospects"]
    assert rows[0][5:10] == ["Attempts", "Next Contact", "Next Action", "Flag", "Why"]
    assert rows[1][0] == "P1" and rows[1][8] == "OVERDUE"
    assert rows[2][0] == "P2" and rows[2][8] == "DUE"
    again = sheetsync("sync", str(book), "--today", TODAY)
    assert again.returncode == 0 and "nothing to change" in again.stdout + again.stderr


def test_no_native_crash_on_a_huge_negative_date_serial(tmp_path: Path) -> None:
    """-1e308 in a date cell makes the reader library panic: in a process of its own, too, the
    sync goes through with CHECK."""
    rows = [["P1", "Acme", "Dana", dt.date(2026, 11, 2), "Connected"]]
    book = with_stored_values(prospects_book(tmp_path / "p.xlsx", rows), {"D2": "-1e308"})
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert flags(rep) == {"CHECK": 1}


# -- hostile table parts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (b'totalsRowCount="1"', b'totalsRowCount="yes"', "totalsRowCount 'yes' is not a count"),
        (b'totalsRowCount="1"', b'totalsRowCount="-1"', "totalsRowCount '-1' is not a count"),
        (b"<table ", b'<table headerRowCount="one" ', "headerRowCount 'one' is not a count"),
    ],
)
def test_a_table_whose_row_counts_are_not_numbers_is_refused_in_one_line(
    tmp_path: Path, old: bytes, new: bytes, why: str
) -> None:
    """Excel writes these counts as whole numbers; any other text makes a damaged table (the
    totals row cannot be told), refused without guessing, never an unexpected error."""
    book = table_book(tmp_path / "p.xlsx")
    rewrite_part(book, "xl/tables/table1.xml", lambda b: b.replace(old, new, 1))
    before = snapshot(tmp_path)
    done = sheetsync("sync", str(book), "--today", TODAY)
    line = error_line(done)
    assert done.returncode == 1
    assert f"part xl/tables/table1.xml: {why}" in line and "open it in Excel" in line
    assert snapshot(tmp_path) == before


def test_a_table_column_id_that_is_not_a_number_does_not_stop_the_sync(tmp_path: Path) -> None:
    """The table grows over the tool's columns with ids after the numeric ones."""
    book = table_book(tmp_path / "p.xlsx")
    rewrite_part(
        book,
        "xl/tables/table1.xml",
        lambda b: (
            b.replace(b'totalsRowCount="1"', b'totalsRowCount="0"')
            .replace(b'ref="A1:E4"', b'ref="A1:E3"')
            .replace(b'<tableColumn id="1"', b'<tableColumn id="x"')
        ),
    )
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert rep["prospects"] == 3
    table = part(book, "xl/tables/table1.xml").decode()
    assert 'ref="A1:J4"' in table
    assert '<tableColumn id="6" name="Attempts"/>' in table


# -- counts the reader library trusts ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "macro"])
def test_a_shared_string_count_no_part_can_hold_is_no_native_abort(
    tmp_path: Path, kind: str
) -> None:
    """``<sst uniqueCount="99999999999">`` in a 1 KB part: calamine reserves room for that many
    strings up front and the process aborts on the failed allocation (a native backtrace, exit
    134). The count is a claim no part of that size can meet: our own reader reads the sheet."""
    book = prospects_book(tmp_path / "p.xlsx") if kind == "plain" else None
    book = book or odd_workbook(tmp_path / "p.xlsx", "macro")
    rewrite_part(
        book,
        "xl/sharedStrings.xml",
        lambda b: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="99999999999"', b, count=1),
    )
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert rep["prospects"] == (1 if kind == "plain" else 2)
    assert flags(rep)["OVERDUE"] == 1
    assert texts(
        book,
        "xl/worksheets/sheet1.xml" if kind == "plain" else "xl/worksheets/prospects1.xml",
        ["I1", "I2"],
    ) == ["Flag", "OVERDUE"]


def test_a_cell_style_whose_number_format_id_is_not_a_number_is_no_unexpected_error(
    tmp_path: Path,
) -> None:
    """``<xf numFmtId="abc">``: that style shows no date; the sync goes through."""
    book = prospects_book(tmp_path / "p.xlsx")
    rewrite_part(
        book,
        "xl/styles.xml",
        lambda b: re.sub(rb'(<cellXfs[^>]*><xf numFmtId=")\d+', rb"\1abc", b, count=1),
    )
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert flags(rep)["OVERDUE"] == 1
    assert texts(book, "xl/worksheets/sheet1.xml", ["I1", "I2"]) == ["Flag", "OVERDUE"]


@pytest.mark.parametrize(
    ("part_name", "pattern", "ref"),
    [
        ("xl/worksheets/sheet1.xml", rb'(<dimension ref=")[^"]*', b"A1:XFE3"),
        ("xl/tables/table1.xml", rb'(<autoFilter ref=")[^"]*', b"XFE1:XFE3"),
    ],
)
def test_a_range_past_excels_last_column_is_no_unexpected_error(
    tmp_path: Path, part_name: str, pattern: bytes, ref: bytes
) -> None:
    """A ``<dimension>`` or a table's filter reaching column XFE (one past Excel's last): the
    sync goes through, and the ranges it writes stay on Excel's grid."""
    book = table_book(tmp_path / "p.xlsx")
    rewrite_part(book, "xl/tables/table1.xml", lambda b: b.replace(b"totalsRowCount", b"x"))
    rewrite_part(book, part_name, lambda b: re.sub(pattern, rb"\g<1>" + ref, b, count=1))
    rep = report(sheetsync("sync", str(book), "--today", TODAY, "--json"))
    assert rep["prospects"] == 3
    for name in ("xl/worksheets/sheet1.xml", "xl/tables/table1.xml"):
        assert b"XFE" not in part(book, name)


@pytest.mark.parametrize("kind", ["plain", "macro"])
def test_a_merge_past_excels_last_column_is_a_warning_on_the_grid(
    tmp_path: Path, kind: str
) -> None:
    """``<mergeCell ref="F2:XFE2">`` over the owned columns, read by calamine or by our own
    reader: the warning names the range as far as Excel's grid goes."""
    if kind == "plain":
        book, sheet = prospects_book(tmp_path / "p.xlsx"), "xl/worksheets/sheet1.xml"
    else:
        book, sheet = odd_workbook(tmp_path / "p.xlsx", "macro"), "xl/worksheets/prospects1.xml"
    merge = b'</sheetData><mergeCells count="1"><mergeCell ref="F2:XFE2"/></mergeCells>'
    rewrite_part(book, sheet, lambda b: b.replace(b"</sheetData>", merge, 1))
    done = sheetsync("sync", str(book), "--today", TODAY)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "cells F2:XFD2 are merged over the column(s) sheetsync writes" in done.stderr


@pytest.mark.parametrize("second", ["xl/worksheets/sheet1.xml", "xl/Worksheets/Sheet1.xml"])
def test_a_part_twice_in_the_zip_is_a_damaged_workbook(tmp_path: Path, second: str) -> None:
    """Two zip entries for one part (OPC names ignore case): the reader library reads one of
    them, the writer another; refused as damaged, not an "internal error" after the save."""
    import warnings
    import zipfile

    book = prospects_book(tmp_path / "p.xlsx")
    with zipfile.ZipFile(book) as z:
        parts = [(info.filename, z.read(info)) for info in z.infolist()]
    with warnings.catch_warnings(), zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        warnings.simplefilter("ignore")  # zipfile's "Duplicate name"
        for name, content in parts:
            out.writestr(name, content)
            if name == "xl/worksheets/sheet1.xml":
                out.writestr(second, content.replace(b"<sheetData>", b"<sheetData>\n", 1))
    before = snapshot(tmp_path)
    done = sheetsync("sync", str(book), "--today", TODAY)
    line = error_line(done)
    assert done.returncode == 1
    assert "p.xlsx is damaged or not an Excel workbook" in line
    assert "part xl/worksheets/sheet1.xml is in the zip twice" in line
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(not hasattr(os, "setuid") or os.geteuid() != 0, reason="needs root to drop")
def test_a_folder_the_user_cannot_write_in_is_named_in_the_message() -> None:
    """A writable workbook in a folder its user may not create files in (a shared folder): a
    save writes the new version beside the workbook and renames it, so the message names the
    folder, not the file, which is writable (run as 'nobody', like the mode 000 probe)."""
    top = Path(tempfile.mkdtemp(prefix="sheetsync-nobody-", dir="/tmp"))
    try:
        top.chmod(0o755)  # root's: nobody may read it but not create files in it
        book = prospects_book(top / "p.xlsx")
        book.chmod(0o666)
        before = snapshot(top)
        locks = Path(tempfile.mkdtemp(prefix="sheetsync-nobody-locks-", dir="/tmp"))
        locks.chmod(0o777)
        script = (
            "import os, sys, encodings.cp437, sheetsync.cli, sheetsync.sync, sheetsync.plan, "
            "sheetsync.report, sheetsync.sources.excel; os.setgid(65534); os.setuid(65534); "
            "sys.argv = ['sheetsync', 'sync', sys.argv[1], '--today', sys.argv[2]]; "
            "sheetsync.cli.main()"
        )
        env = {**os.environ, "SHEETSYNC_LOCK_DIR": str(locks), "HOME": str(locks)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(book), TODAY],
            capture_output=True,
            text=True,
            env=env,
        )
        line = error_line(done)
        assert done.returncode == 1
        assert f"cannot save p.xlsx: its folder {top} does not let you create files" in line
        assert "nothing was changed" in line
        assert snapshot(top) == before
    finally:
        shutil.rmtree(top)
        shutil.rmtree(locks, ignore_errors=True)


def _stray_value_book(path: Path, owned: bool) -> Path:
    """Prospects, plus one stray value far away in XFD50001 (as Ctrl+End and a slip leave
    it); with ``owned``, the tool's columns are there already."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Prospects")
    owned_headers = ["Attempts", "Next Contact", "Next Action", "Flag", "Why"]
    sheet.write_row(0, 0, ["ID", "Company", "Owner", "Last Contact", "Last Outcome"])
    if owned:
        sheet.write_row(0, 5, owned_headers)
    sheet.write_row(1, 0, ["P1", "Acme", "Dana", "2026-11-02", "Connected"])
    sheet.write(50_000, 16_383, "stray")
    workbook.close()
    return path


@pytest.mark.parametrize("owned", [True, False])
def test_one_stray_value_in_the_last_column_is_no_native_abort(tmp_path: Path, owned: bool) -> None:
    """calamine holds a sheet as one dense grid, 32 bytes a cell: A1:XFD50001 is 26 GB, and
    the failed allocation aborted the process (a native backtrace, exit 134). Past 50 million
    cells (by the sheet's <dimension>) our own reader reads it."""
    book = _stray_value_book(tmp_path / "p.xlsx", owned)
    before = snapshot(tmp_path)
    done = sheetsync("sync", str(book), "--today", TODAY, "--json")
    if owned:
        rep = report(done)
        assert (rep["prospects"], flags(rep)) == (1, {"OVERDUE": 1})
        assert texts(book, "xl/worksheets/sheet1.xml", ["I2", "XFD50001"]) == ["OVERDUE", "stray"]
    else:  # no room right of XFD for the tool's columns: said in one line, nothing written
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "stack backtrace" not in done.stderr
        assert "the columns run to XFD" in json.loads(done.stdout)["errors"][0]["error"]
        assert snapshot(tmp_path) == before
