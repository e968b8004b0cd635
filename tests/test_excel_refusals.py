"""What ExcelSource refuses to touch, and that a refused or interrupted sync leaves the file as it
was."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine as calamine
import xlsxwriter
from xlsx_helpers import rewrite_part, to_strict

from sheetsync.errors import SourceError, WorkbookRefused
from sheetsync.sources.base import WritePlan
from sheetsync.sources.excel import ExcelSource

REPO = Path(__file__).resolve().parents[1]


def book(path: Path, rows: int = 3) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company", "Last Contact"])
    for r in range(1, rows + 1):
        sheet.write_row(r, 0, [r, f"Company {r}", f"2026-11-{1 + r % 28:02d}"])
    workbook.close()
    return path


PLAN = WritePlan(cells={(0, 3): "Flag", (1, 3): "DUE"}, width=4, height=4, flag_col=3)


def assert_refused(path: Path, match: str, error: type[Exception] = WorkbookRefused) -> None:
    content = path.read_bytes() if path.exists() else None
    with pytest.raises(error, match=match) as info:
        ExcelSource(path).write(PLAN)
    assert "\n" not in str(info.value)
    if content is not None:
        assert path.read_bytes() == content
    with pytest.raises(error, match=match):
        ExcelSource(path).read()


@pytest.mark.parametrize("lock", ["~$p.xlsx", ".~lock.p.xlsx#"])
def test_open_in_excel_or_libreoffice(tmp_path: Path, lock: str) -> None:
    path = book(tmp_path / "p.xlsx")
    (tmp_path / lock).write_text("someone")
    assert_refused(path, "close it in Excel/LibreOffice and run again")


def test_lock_appearing_during_the_sync(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    source = ExcelSource(path)
    source.read()
    (tmp_path / "~$p.xlsx").write_text("someone")
    content = path.read_bytes()
    with pytest.raises(WorkbookRefused, match="close it in Excel/LibreOffice"):
        source.write(PLAN)
    assert path.read_bytes() == content


def test_legacy_xls(tmp_path: Path) -> None:
    path = tmp_path / "p.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert_refused(path, r"save it as Excel Workbook \(\.xlsx\)")


def test_encrypted_workbook(tmp_path: Path) -> None:
    # a password-protected .xlsx is an OLE2 compound file under the .xlsx name
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    assert_refused(path, "encrypted")


def test_other_formats(tmp_path: Path) -> None:
    for name in ("p.ods", "p.csv", "p.xlsb"):
        path = tmp_path / name
        path.write_bytes(b"x")
        assert_refused(path, r"not an \.xlsx or \.xlsm")


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    path.write_text("ID,Company\n1,Acme\n")
    assert_refused(path, "not a valid .xlsx")


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("hello.txt", "hi")
    assert_refused(path, "damaged")


def test_missing_workbook_part(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    del parts["xl/workbook.xml"]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert_refused(path, "workbook part")


def test_truncated_zip(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    path.write_bytes(path.read_bytes()[:-200])
    assert_refused(path, "not a valid .xlsx|damaged")


def test_strict_open_xml(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    to_strict(path)
    assert_refused(path, "Strict Open XML")


def test_strict_workbook_part_only(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    rewrite_part(
        path,
        "xl/workbook.xml",
        lambda x: x.replace(
            b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        ),
    )
    assert_refused(path, "Strict Open XML")


def test_missing_file(tmp_path: Path) -> None:
    assert_refused(tmp_path / "nope.xlsx", "no such file", SourceError)


def test_changed_on_disk_between_read_and_write(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    source = ExcelSource(path)
    source.read()
    book(path, rows=5)  # someone saves a new version meanwhile
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    content = path.read_bytes()
    with pytest.raises(WorkbookRefused, match="changed on disk"):
        source.write(PLAN)
    assert path.read_bytes() == content
    assert not (tmp_path / "p.xlsx.bak").exists()


def test_same_size_same_mtime_but_new_content_is_noticed(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx")
    source = ExcelSource(path)
    source.read()
    st = path.stat()
    data = bytearray(path.read_bytes())
    comment = data.rfind(b"PK\x05\x06")
    data[comment - 1] ^= 0xFF  # flip a byte of the central directory's last entry
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(WorkbookRefused, match="changed on disk"):
        source.write(PLAN)


CRASH_SCRIPT = """
import sys, datetime as dt
from sheetsync.sources.excel import ExcelSource
from sheetsync.sources.base import WritePlan, HighlightRule
source = ExcelSource(sys.argv[1])
data = source.read()
cells = {(0, 3): "Next Contact", (0, 4): "Flag", (0, 5): "Why"}
for r in range(1, len(data.rows) + 1):
    cells[r, 3] = dt.date(2026, 12, 1) + dt.timedelta(days=r % 30)
    cells[r, 4] = "DUE"
    cells[r, 5] = "Working, 2 attempts: follow up 10-14 days after 2026-11-02 (%d)" % r
plan = WritePlan(cells=cells, width=6, height=len(data.rows) + 1, flag_col=4,
                 memory=[["ID", "n"]] + [[str(r), r] for r in range(len(data.rows))],
                 highlight=(HighlightRule("DUE", "FFEB9C"),))
print("ready", flush=True)
source.write(plan)
print("done", flush=True)
"""


def test_a_crash_mid_save_leaves_the_old_file(tmp_path: Path) -> None:
    original = book(tmp_path / "seed.xlsx", rows=20_000).read_bytes()
    script = tmp_path / "crash.py"
    script.write_text(CRASH_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    outcomes = []
    for delay in (0.0, 0.1, 0.25, 0.4, 0.6, 0.9, 1.3):
        path = tmp_path / "p.xlsx"
        path.write_bytes(original)
        process = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, env=env, cwd=tmp_path
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        content = path.read_bytes()
        if content == original:
            outcomes.append("old")
            continue
        # else the new version, complete
        with calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            rows = workbook.get_sheet_by_name("Prospects").to_python()
        assert rows[0][3:6] == ["Next Contact", "Flag", "Why"]
        assert rows[-1][4] == "DUE" and len(rows) == 20_001
        outcomes.append("new")
    assert "old" in outcomes  # most kills land mid-sync
    for leftover in tmp_path.iterdir():
        assert leftover.name in {
            "seed.xlsx",
            "crash.py",
            "p.xlsx",
            "p.xlsx.bak",
        } or leftover.name.endswith(".sheetsync-tmp"), leftover.name
    # and an ordinary run afterwards works, stray temporary files or not, and removes them
    path = tmp_path / "p.xlsx"
    path.write_bytes(original)
    ExcelSource(path).write(PLAN)
    assert ExcelSource(path).read().headers == ["ID", "Company", "Last Contact", "Flag"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".sheetsync-tmp")]


def test_unwritable_folder_leaves_the_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    folder = tmp_path / "ro"
    folder.mkdir()
    path = book(folder / "p.xlsx")
    content = path.read_bytes()
    folder.chmod(0o555)
    try:
        with pytest.raises(SourceError, match=r"nothing was changed|not changed"):
            ExcelSource(path).write(PLAN)
    finally:
        folder.chmod(0o755)
    assert path.read_bytes() == content


def test_a_damaged_sheet_part_is_refused(tmp_path: Path) -> None:
    path = book(tmp_path / "p.xlsx", rows=200)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    data = bytearray(path.read_bytes())
    at = data.find(b'<row r="150"')
    data[at + 5] = ord("R")  # the stored sheet no longer matches its CRC
    path.write_bytes(bytes(data))
    content = path.read_bytes()
    with pytest.raises(WorkbookRefused, match="damaged"):
        ExcelSource(path).write(PLAN)
    assert path.read_bytes() == content


@pytest.mark.parametrize("used", [True, False], ids=["entity used", "declared only"])
def test_a_sheet_declaring_a_dtd_is_refused(tmp_path: Path, used: bool) -> None:
    """A worksheet part with a DTD (no Excel writes one): its entities would not survive the
    write, whose check then failed as an "internal error"; refused up front, read and write."""
    path = book(tmp_path / "p.xlsx")
    dtd = b'<!DOCTYPE worksheet [<!ENTITY co "Acme Ltd">]>'

    def add_dtd(xml: bytes) -> bytes:
        xml = xml.replace(b"?>", b"?>" + dtd, 1)
        if used:
            cell = b'<c r="B2" t="inlineStr"><is><t>&co;</t></is></c>'
            xml, count = re.subn(rb'<c r="B2" t="s"><v>\d+</v></c>', cell, xml)
            assert count == 1
        return xml

    rewrite_part(path, "xl/worksheets/sheet1.xml", add_dtd)
    assert_refused(path, r"sheet 'Prospects' \(xl/worksheets/sheet1.xml\) declares a DTD")
    result = subprocess.run(
        [sys.executable, "-m", "sheetsync", "sync", str(path), "--today", "2026-11-24"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "declares a DTD (<!DOCTYPE>)" in result.stderr
    assert "open the workbook in Excel, save it and run again" in result.stderr
