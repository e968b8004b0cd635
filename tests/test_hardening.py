"""Hardening probes (issue 10): faults and hostile input, each kept as a test.

Every probe states what a user gets: a one-line message and an exit code, nothing changed, or
a sync that goes through. Hostile workbooks are built here, in process (zip bombs are small on
disk; macro and dialog sheets are added to a real fixture's zip).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import python_calamine as calamine
from click.testing import CliRunner
from fakesheets import FakeSheets, serve
from lxml import etree
from xlsx_helpers import FIXTURES, add_worksheet, members, rewrite_part, values

from sheetsync.cli import main
from sheetsync.errors import RowsMoved, UsageError

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
            "import os, sys, sheetsync.cli, sheetsync.sync, sheetsync.plan, sheetsync.report, "
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


def test_a_credentials_file_that_never_ends_is_one_line() -> None:
    """``--credentials /dev/zero``: read up to 1 MB, then refused (it used to read forever)."""
    code, out = run(
        "sync", "gsheet:1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefgh", "--credentials", "/dev/zero"
    )
    line = one_line_error(out)
    assert code == 1
    assert "credentials file /dev/zero is over 1 MB: it is not a key or token file" in line


# -- workbooks python-calamine cannot open -----------------------------------------------------

FIXTURE = FIXTURES / "calamine_any_sheets.xlsx"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ODD_SHEETS = {
    # kind: (part, relationship type, content type, root element)
    "macro": (
        "xl/macrosheets/sheet1.xml",
        "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
        "application/vnd.ms-excel.macrosheet+xml",
        '<xm:macrosheet xmlns="' + MAIN_NS + '" xmlns:xm="http://schemas.microsoft.com/office/'
        'excel/2006/main"><sheetData><row r="1"><c r="A1"><f>RETURN()</f></c></row></sheetData>'
        "</xm:macrosheet>",
    ),
    "dialog": (
        "xl/dialogsheets/sheet1.xml",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml",
        '<dialogsheet xmlns="' + MAIN_NS + '"><sheetViews><sheetView workbookViewId="0"/>'
        '</sheetViews><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        'header="0.3" footer="0.3"/></dialogsheet>',
    ),
}
ROWS = [
    ["ID", "Company", "Owner", "Last Contact", "Last Outcome"],
    ["P1", "Acme", "Dana", dt.date(2026, 11, 2), "Connected"],
    ["P2", "Beta", "Luis", dt.date(2026, 11, 23), "No answer"],
]


def odd_workbook(path: Path, kind: str) -> Path:
    """A real fixture plus a Prospects sheet, plus an Excel 4 macro sheet, a dialog sheet, or a
    ``<sheet r:id="">`` entry (as Mac Excel 2011 and LibreOffice round trips leave them)."""
    shutil.copyfile(FIXTURE, path)
    add_worksheet(path, "Prospects", ROWS)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        parts = {info.filename: z.read(info) for info in infos}
    workbook = parts["xl/workbook.xml"].decode()
    if kind == "empty r:id":
        workbook = workbook.replace(
            "</sheets>", '<sheet name="Ghost" sheetId="20" r:id=""/></sheets>'
        )
    else:
        part, rel_type, content_type, root = ODD_SHEETS[kind]
        parts[part] = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + root.encode()
        rels = parts["xl/_rels/workbook.xml.rels"].decode()
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rIdOdd" Type="{rel_type}" Target="{part[3:]}"/></Relationships>',
        ).encode()
        types = parts["[Content_Types].xml"].decode()
        parts["[Content_Types].xml"] = types.replace(
            "</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
        ).encode()
        workbook = workbook.replace(
            "</sheets>", f'<sheet name="Odd {kind}" sheetId="20" r:id="rIdOdd"/></sheets>'
        )
    parts["xl/workbook.xml"] = workbook.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in parts.items():
            out.writestr(name, content)
    return path


def without_odd_sheet(path: Path) -> Path:
    """A copy whose workbook part no longer lists the odd sheet, for calamine to read."""
    copy = path.with_name("readable-" + path.name)
    shutil.copyfile(path, copy)
    rewrite_part(
        copy,
        "xl/workbook.xml",
        lambda b: re.sub(rb'<sheet name="(Odd [^"]*|Ghost)"[^>]*/>', b"", b),
    )
    return copy


@pytest.mark.parametrize("kind", ["macro", "empty r:id", "dialog"])
def test_a_workbook_calamine_cannot_open_is_read_by_our_own_reader(
    tmp_path: Path, kind: str
) -> None:
    book = odd_workbook(tmp_path / "p.xlsx", kind)
    if kind != "dialog":  # what the reader library says about it
        with pytest.raises(calamine.CalamineError, match="Cannot detect file format"):
            calamine.CalamineWorkbook.from_filelike(io.BytesIO(book.read_bytes()))
    before = members(book)
    code, out = run("sync", str(book), "--today", TODAY)
    assert code == 0, out
    assert "p.xlsx: 2 rows read, 2 prospects" in out
    after = members(book)
    assert {name for name in before if before[name] != after.get(name)} <= {
        "xl/worksheets/prospects1.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    }
    grid = values(without_odd_sheet(book), "Prospects")
    assert grid[0][5:10] == ["Attempts", "Next Contact", "Next Action", "Flag", "Why"]
    # P1 connected on Mon 2 Nov: next touch 10-14 days later, Thu 12 - Mon 16 Nov: overdue
    assert grid[1][5:9] == [0, dt.date(2026, 11, 12), "Call", "OVERDUE"]
    # P2 no answer on Mon 23 Nov: a follow-up email by the next workday
    assert grid[2][8] == "DUE"
    # a second sync reads its own output the same way and changes nothing
    code, out = run("sync", str(book), "--today", TODAY)
    assert code == 0 and "nothing to change" in out


def test_a_sheet_neither_reader_can_read_names_the_real_cause(tmp_path: Path) -> None:
    book = odd_workbook(tmp_path / "p.xlsx", "macro")
    rewrite_part(book, "xl/worksheets/prospects1.xml", lambda b: b.replace(b"</row>", b"</rw>", 1))
    before = book.read_bytes()
    code, out = run("sync", str(book), "--today", TODAY)
    line = one_line_error(out)
    assert code == 1
    assert "part xl/worksheets/prospects1.xml is not well-formed XML" in line
    assert "[python-calamine: Cannot detect file format]" in line
    assert "re-save" not in line
    assert book.read_bytes() == before


# -- values calamine cannot give as stored -----------------------------------------------------


def texts(path: Path, part: str, refs: list[str]) -> list[str | None]:
    """The text (inline, shared or value) of some cells, read from the part's XML."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read(part))
        strings = (
            ["".join(si.itertext()) for si in etree.fromstring(z.read("xl/sharedStrings.xml"))]
            if "xl/sharedStrings.xml" in z.namelist()
            else []
        )
    out: list[str | None] = []
    for ref in refs:
        found = root.find(f".//{{{MAIN_NS}}}c[@r='{ref}']")
        if found is None:
            out.append(None)
        elif found.get("t") == "s":
            out.append(strings[int(found.findtext(f"{{{MAIN_NS}}}v"))])
        else:
            out.append("".join(found.itertext()))
    return out


def with_stored_values(path: Path, stored: dict[str, str]) -> Path:
    """``path`` with the <v> of some cells replaced by raw text (what a hostile writer stores)."""

    def edit(xml: bytes) -> bytes:
        for ref, raw in stored.items():
            xml, n = re.subn(
                rf'(<c r="{ref}"[^>]*><v>)[^<]*(</v>)'.encode(),
                rb"\g<1>" + raw.encode() + rb"\2",
                xml,
            )
            assert n == 1, ref
        return xml

    rewrite_part(path, "xl/worksheets/sheet1.xml", edit)
    return path


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ("NaN", 'Last Contact "NaN" is not a date'),
        ("-5", 'Last Contact "-5" is not a date'),
        ("-1e308", 'Last Contact "-1e+308" is not a date'),  # calamine panics on this one
        ("INF", 'Last Contact "inf" is not a date'),
        ("0", 'Last Contact "0" is not a date'),
    ],
)
def test_a_date_cell_holding_no_date_is_check_naming_the_cell(
    tmp_path: Path, stored: str, why: str
) -> None:
    rows = [
        ["P1", "Acme", "Dana", dt.date(2026, 11, 2), "Connected"],
        ["P2", "Beta", "Luis", dt.date(2026, 11, 2), "Connected"],
    ]
    book = with_stored_values(prospects_book(tmp_path / "p.xlsx", rows), {"D3": stored})
    code, out = run("sync", str(book), "--today", TODAY, "--json")
    assert code == 0, out
    report = json.loads(out)["sources"][0]
    assert {flag: n for flag, n in report["flags"].items() if n} == {"OVERDUE": 1, "CHECK": 1}
    # read from the sheet XML: calamine panics on some of these cells
    assert texts(book, "xl/worksheets/sheet1.xml", ["I1", "J1", "I3", "J3"]) == [
        "Flag",
        "Why",
        "CHECK",
        why,
    ]


# -- decompression bombs -------------------------------------------------------------------------


def _deflated(data: bytes, final: bool) -> bytes:
    """Raw deflate of ``data``, independent of what comes before it (a fresh compressor) and
    byte-aligned, so such pieces concatenate into one stream; only the last one is final."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH
    )


def write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of (name, raw deflate bytes, CRC, declared size) members, written by hand: the
    declared size may be anything (a bomb's, or a liar's)."""
    out, central = bytearray(), bytearray()
    for name, raw, crc, size in members:
        encoded = name.encode()
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(raw), size, len(encoded), 0
        )
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(raw),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                len(out),
            )
            + encoded
        )
        out += header + encoded + raw
    out += central + struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    path.write_bytes(bytes(out))


def bomb(
    path: Path, part: str, cut: bytes, filler: bytes, mib: int, declared: int | None = None
) -> Path:
    """``path`` (a real workbook) with ``mib`` MiB of ``filler`` inserted in ``part`` before
    ``cut``: a few KB of deflate per MiB repeated, so gigabytes cost megabytes on disk."""
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    members = []
    for name, content in parts.items():
        if name != part:
            members.append((name, _deflated(content, True), zlib.crc32(content), len(content)))
            continue
        at = content.index(cut)
        block = _deflated(filler * (1 << 20), False)
        raw = _deflated(content[:at], False) + block * mib + _deflated(content[at:], True)
        size = len(content) + mib * (1 << 20) * len(filler)
        members.append((name, raw, 0, size if declared is None else declared))
    write_zip(path, members)
    return path


BOMBS = {
    "sheet of blanks, 3 GB": ("xl/worksheets/sheet1.xml", b"</sheetData>", b" ", 3072, 3072),
    "one giant shared string, 2.5 GB": ("xl/sharedStrings.xml", b"</t>", b"a", 2560, 2560),
    "blanks at 1000:1, 64 MB": ("xl/worksheets/sheet1.xml", b"</sheetData>", b" ", 64, 64),
    "styles, 256 MB": ("xl/styles.xml", b"</styleSheet>", b"\n", 256, 256),
}


@pytest.mark.parametrize("kind", list(BOMBS))
def test_a_decompression_bomb_is_refused_before_it_is_read(tmp_path: Path, kind: str) -> None:
    part, cut, filler, mib, mb = BOMBS[kind]
    book = bomb(prospects_book(tmp_path / "p.xlsx"), part, cut, filler, mib)
    assert book.stat().st_size < 4 << 20  # a few MB on disk
    before = snapshot(tmp_path)
    started = time.monotonic()
    code, out = run("sync", str(book), "--today", TODAY)
    assert time.monotonic() - started < 10
    line = one_line_error(out)
    assert code == 1
    assert f"part {part} would inflate to {mb:,} MB from " in line
    assert "limits 2 GB and 100:1 per part" in line
    assert snapshot(tmp_path) == before


def test_a_part_inflating_past_its_declared_size_is_refused_as_it_is_read(tmp_path: Path) -> None:
    """A bomb that lies about its size (3 GB declared as 2 KB) is cut off at the declared size:
    by calamine's zip reader, and by ours, which reads it next."""
    book = bomb(
        prospects_book(tmp_path / "p.xlsx"), *BOMBS["sheet of blanks, 3 GB"][:4], declared=2048
    )
    before = snapshot(tmp_path)
    started = time.monotonic()
    code, out = run("sync", str(book), "--today", TODAY)
    assert time.monotonic() - started < 10
    line = one_line_error(out)
    assert code == 1
    assert (
        "part xl/worksheets/sheet1.xml cannot be read: it inflates past its declared size" in line
    )
    assert "larger than its declared uncompressed size" in line  # what calamine said
    assert snapshot(tmp_path) == before


# -- tables ------------------------------------------------------------------------------------


def table_book(path: Path, second_table: bool = False) -> Path:
    """Prospects as an Excel table at A1 with a totals row ("Total", a count of IDs); with
    ``second_table``, a plain header row and another table further down instead."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Prospects")
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    data = [
        ["P1", "Acme", "Dana", dt.datetime(2026, 11, 2), "Connected"],
        ["P2", "Beta", "Luis", dt.datetime(2026, 11, 2), "Connected"],
    ]
    columns = [{"header": h} for h in HEADERS]
    columns[0]["total_string"] = "Total"
    columns[1]["total_function"] = "count"
    columns[3]["format"] = date
    if not second_table:
        sheet.add_table(0, 0, 3, 4, {"data": data, "columns": columns, "total_row": True})
    else:
        sheet.write_row(0, 0, HEADERS)
        sheet.write_row(1, 0, data[0][:3])
        sheet.write_datetime(1, 3, data[0][3], date)
        sheet.write(1, 4, data[0][4])
        # rows 4-7: a second table over the same columns, its own header row included
        more = [data[1], ["P3", "Gamma", "Dana", dt.datetime(2026, 11, 2), "Connected"]]
        sheet.add_table(3, 0, 6, 4, {"data": more, "columns": columns, "total_row": True})
    workbook.close()
    return path


def test_a_tables_totals_row_is_never_a_prospect_nor_written(tmp_path: Path) -> None:
    book = table_book(tmp_path / "p.xlsx")
    code, out = run("sync", str(book), "--today", TODAY, "--json")
    assert code == 0, out
    report = json.loads(out)["sources"][0]
    assert (report["rows_read"], report["prospects"], report["ids_assigned"]) == (3, 2, 0)
    assert {f: n for f, n in report["flags"].items() if n} == {"OVERDUE": 2}
    grid = values(book, "Prospects")
    assert grid[0][5:10] == ["Attempts", "Next Contact", "Next Action", "Flag", "Why"]
    assert [row[8] for row in grid[1:3]] == ["OVERDUE", "OVERDUE"]
    assert grid[3][0] == "Total" and set(grid[3][5:]) == {""}  # left as it was
    assert texts(book, "xl/worksheets/sheet1.xml", ["F4", "G4", "H4", "I4", "J4"]) == [None] * 5
    code, out = run("sync", str(book), "--today", TODAY)
    assert code == 0 and "nothing to change" in out


def test_a_header_row_of_a_table_further_down_is_never_a_prospect(tmp_path: Path) -> None:
    book = table_book(tmp_path / "p.xlsx", second_table=True)
    code, out = run("sync", str(book), "--today", TODAY, "--json")
    assert code == 0, out
    report = json.loads(out)["sources"][0]
    # rows 2, 5 and 6 are prospects; row 3 is blank, row 4 the table's header, row 7 its total
    assert report["prospects"] == 3
    assert {f: n for f, n in report["flags"].items() if n} == {"OVERDUE": 3}
    flags = texts(book, "xl/worksheets/sheet1.xml", [f"I{r}" for r in range(2, 8)])
    assert flags == ["OVERDUE", None, None, "OVERDUE", "OVERDUE", None]


# -- messages ------------------------------------------------------------------------------------


def test_a_header_row_reaching_column_xfd_is_exit_2(tmp_path: Path) -> None:
    import xlsxwriter

    book = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company", "Last Contact"])
    sheet.write(0, 16383, "Notes")  # XFD1, Excel's last column
    sheet.write_row(1, 0, ["P1", "Acme", "2026-11-02"])
    workbook.close()
    before = book.read_bytes()
    code, out = run("sync", str(book), "--today", TODAY)
    line = one_line_error(out)
    assert code == 2
    assert "the columns run to XFD, Excel's last, so there is no room for the 5 column(s)" in line
    assert "(Attempts, Next Contact, Next Action, Flag, Why)" in line
    assert book.read_bytes() == before


def test_a_merge_over_the_owned_columns_is_a_warning_naming_the_range(tmp_path: Path) -> None:
    import xlsxwriter

    book = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Prospects")
    sheet.write_row(0, 0, [*HEADERS, "Next Contact", "Next Action", "Flag", "Why"])
    for row, pid in ((1, "P1"), (2, "P2")):
        sheet.write_row(row, 0, [pid, "Acme", "Dana", "2026-11-02", "Connected"])
    sheet.merge_range("H3:I3", "")  # over Flag and Why of P2
    sheet.merge_range("B2:C2", "Acme")  # the user's own columns: not a concern
    workbook.close()
    code, out = run("sync", str(book), "--today", TODAY, "--json")
    assert code == 0, out
    warnings = json.loads(out[out.index("{") :])["sources"][0]["warnings"]
    assert warnings == [
        "p.xlsx: cells H3:I3 are merged over the column(s) sheetsync writes (Flag, Why); a "
        "merged range shows its first cell only: unmerge H3:I3"
    ]


@pytest.fixture
def fake_sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    """The local Sheets server, with SHEETSYNC_SHEETS_ENDPOINT pointing at it."""
    yield from serve(monkeypatch)


def test_an_id_duplicated_at_read_time_is_not_reported_as_found_twice_now(
    fake_sheets: FakeSheets,
) -> None:
    from test_gsheets_faults import HEADER, KEY, ROWS, make, plan

    fake_sheets.seed(KEY, {"Prospects": [HEADER[:4], *ROWS, ["P3", "Copy of Cyan"]]})
    sync = make()
    sync.read()
    fake_sheets.insert_rows(KEY, "Prospects", 1, [["P9", "Someone typed a row"]])
    with pytest.raises(RowsMoved) as caught:
        sync.write(plan(["P1", "P2", "P3", "P4", "P3"]))
    assert str(caught.value) == (
        "rows of 'Prospects' moved while syncing, and the ID 'P3' was already on 2 rows when "
        "read, so their rows cannot be told apart: nothing was written; give each row its own "
        "ID and run the sync again"
    )
    assert all(len(line) <= 4 for line in fake_sheets.values(KEY, "Prospects"))


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -1.0])
def test_a_google_source_never_retries_for_ever(seconds: float) -> None:
    from sheetsync.sources.gsheets import GoogleSheetSource

    with pytest.raises(UsageError, match="retry_seconds must be a finite number of seconds"):
        GoogleSheetSource(
            "gsheet:1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefgh", retry_seconds=seconds
        )


def test_a_side_tables_totals_row_beside_a_prospect_leaves_the_prospect_alone(
    tmp_path: Path,
) -> None:
    """A table to the right of the prospect columns (a rep's own summary) is not theirs: the
    prospect on the row of its totals row is still decided."""
    import xlsxwriter

    book = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Prospects")
    sheet.write_row(0, 0, HEADERS)
    for row, pid in ((1, "P1"), (2, "P2"), (3, "P3")):
        sheet.write_row(row, 0, [pid, "Acme", "Dana", "2026-11-02", "Connected"])
    sheet.add_table(
        0,
        12,
        2,
        13,
        {
            "data": [["a", 1]],
            "columns": [{"header": "Kind"}, {"header": "N", "total_function": "sum"}],
            "total_row": True,
        },
    )
    workbook.close()
    code, out = run("sync", str(book), "--today", TODAY, "--json")
    assert code == 0, out
    report = json.loads(out)["sources"][0]
    assert report["prospects"] == 3
    assert {f: n for f, n in report["flags"].items() if n} == {"OVERDUE": 3}
