"""The big sheet read in halves (sources/excel/reader.py ``_halves``, ``_cut``, ``_end``) on
sheet XML of every shape a file may hold, damaged zips, failures on either thread, a SIGTERM:
reading in halves gives what reading whole gives, and no temporary copy is left; and
``cli._two_malloc_arenas`` where the C library is not glibc. Written by a review of the change
(each of its first six tests failed on the first version). Reading in halves is forced with
``reader.HALVES_FROM = 0``, as in tests/test_excel_halves.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine as calamine
import xlsxwriter
from xlsx_helpers import read_sheets, rewrite_part

import sheetsync.sources.excel.reader as reader
from sheetsync.sources.excel.package import Package
from sheetsync.sources.excel.workbook import Workbook

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)
TAIL = b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
END = b"</worksheet>"


# -- helpers -----------------------------------------------------------------------------------


def _book(path: Path, sheet_xml: bytes | None = None, strings: tuple[str, ...] = ("x",)) -> Path:
    """A workbook of one sheet, Prospects, whose part is ``sheet_xml`` (its shared strings are
    ``strings``)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    for r, text in enumerate(strings):
        sheet.write_string(r, 0, text)
    book.close()
    if sheet_xml is not None:
        rewrite_part(path, SHEET, lambda _: sheet_xml)
    return path


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the temporary copies go to."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


def _both_ways(path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch):
    whole, _ = read_sheets(path, False, monkeypatch)
    halves, parsed = read_sheets(path, True, monkeypatch)
    assert list(temp.iterdir()) == []  # the copies are removed
    return whole, halves, parsed


def _row(k: int) -> bytes:
    return b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (k, k, k)


def _rows(first: int, last: int) -> bytes:
    return b"".join(_row(k) for k in range(first, last + 1))


def _sheet(rows: bytes, head: bytes = HEAD, tail: bytes = TAIL) -> bytes:
    return head + b"<sheetData>" + rows + b"</sheetData>" + tail + END


# -- what the review found ----------------------------------------------------------------------


def test_rows_after_a_second_sheetData_are_not_read_in_halves_either(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine stops at the first ``</sheetData>``: a cut inside a second ``<sheetData>``
    would read rows that reading whole never gives (the first version took the last one)."""
    xml = HEAD + b"<sheetData>" + _rows(1, 4) + b"</sheetData>"
    xml += b"<sheetData>" + _rows(10, 59) + b"</sheetData>" + TAIL + END
    path = _book(tmp_path / "two.xlsx", xml)
    whole, halves, _parsed = _both_ways(path, temp, monkeypatch)
    assert whole["Prospects"][0] == [[1], [2], [3], [4]]
    assert halves == whole


def test_a_merged_range_among_the_rows_of_the_second_half_is_kept(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine takes ``<mergeCell>`` wherever it is in the part: a misplaced ``<mergeCells>``
    between the rows after the cut would be only in the second half, whose merged ranges are
    not taken: such a sheet is read whole."""
    merge = b'<mergeCells count="1"><mergeCell ref="C1:D2"/></mergeCells>'
    path = _book(tmp_path / "merge.xlsx", _sheet(_rows(1, 49) + merge + _rows(50, 59)))
    whole, halves, _parsed = _both_ways(path, temp, monkeypatch)
    assert whole["Prospects"][1] == [(0, 2, 1, 3)]
    assert halves == whole


def test_a_damaged_member_calamine_never_reads_does_not_refuse_the_workbook(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copies are made with ``write_package``, which reads every member's local header
    (``Package.raw``): a broken entry calamine never opens (a custom XML part, a thumbnail)
    makes no copy, and the sheet is read whole, as before."""
    path = _book(tmp_path / "junk.xlsx", _sheet(_rows(1, 59)))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("customXml/junk.bin", b"junk" * 100)
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo("customXml/junk.bin").header_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 4] = b"XXXX"  # its local header's signature
    path.write_bytes(bytes(data))
    whole, halves, _parsed = _both_ways(path, temp, monkeypatch)
    assert whole["Prospects"][0][58] == [59]
    assert halves == whole


def test_a_copy_that_cannot_be_removed_does_not_fail_theread_sheets(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that cannot be removed (Windows: a virus scanner or the indexer holds the new
    file, PermissionError) is said in the log; the read, which went well, stands."""
    path = _book(tmp_path / "locked.xlsx", _sheet(_rows(1, 59)))
    whole, _ = read_sheets(path, False, monkeypatch)
    real_unlink = os.unlink

    def unlink(file, *args, **kwargs):
        if os.path.basename(str(file)).startswith("sheetsync-"):
            raise PermissionError(13, "The process cannot access the file", str(file))
        return real_unlink(file, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    halves, parsed = read_sheets(path, True, monkeypatch)
    monkeypatch.setattr(os, "unlink", real_unlink)
    for left in temp.iterdir():
        left.unlink()
    assert len(parsed) == 2
    assert halves == whole


_CHILD = textwrap.dedent(
    """
    import sys, time
    import sheetsync.sources.excel.reader as reader
    from sheetsync.cli import main

    reader.HALVES_FROM = 0
    real_parse = reader._parse

    def parse(file, name):  # a slow parse: the signal comes while the copies exist
        open(sys.argv[2], "w").close()
        time.sleep(5)
        return real_parse(file, name)

    reader._parse = parse
    main([sys.argv[3], sys.argv[1], "--today", "2026-11-24"])
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("command", ["sync", "agenda", "forecast"])
def test_a_command_stopped_by_sigterm_leaves_no_copy_of_the_sheet(
    tmp_path: Path, command: str
) -> None:
    """A command stopped by SIGTERM (cron's or systemd's time limit, ``timeout``, ``kill``)
    while a half is parsed leaves no plain (stored, uncompressed) copy of the user's workbook
    in the temporary folder: SIGTERM ends it through its ``finally`` blocks, exit code 143."""
    path = _book(tmp_path / "prospects.xlsx", _sheet(_rows(1, 59)))
    temp = tmp_path / "temp"
    temp.mkdir()
    marker = tmp_path / "parsing"
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(marker), command],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the child never reached the parse"
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    left = sorted(p.name for p in temp.iterdir())
    for p in temp.iterdir():
        p.unlink()
    assert (code, left) == (143, [])


@pytest.mark.parametrize("where", ["thread", "main"])
def test_a_half_whose_copy_cannot_be_opened_is_read_whole(
    where: str, tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python-calamine raises a plain OSError for a file it cannot open (Windows: a scanner
    holding the new copy; a copy gone from the temporary folder): the sheet is read whole."""
    import threading

    path = _book(tmp_path / "p.xlsx", _sheet(_rows(1, 59)))
    whole, _ = read_sheets(path, False, monkeypatch)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    real = reader._open_copy

    def open_copy(file: str):
        if (threading.current_thread() is threading.main_thread()) == (where == "main"):
            os.unlink(file)  # the real calamine then fails to open it
        return real(file)

    monkeypatch.setattr(reader, "_open_copy", open_copy)
    _reads_as(path, whole, temp)


def test_a_second_sheetData_after_an_end_tag_with_a_space_is_read_whole(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``</sheetData >`` is well-formed and calamine stops there: the cut, falling in the second
    ``<sheetData>``, must not be used."""
    xml = HEAD + b"<sheetData>" + _rows(1, 10) + b"</sheetData >"
    xml += b"<sheetData>" + _rows(100, 159) + b"</sheetData>" + TAIL + END
    path = _book(tmp_path / "two.xlsx", xml)
    whole, halves, _parsed = _both_ways(path, temp, monkeypatch)
    assert len(whole["Prospects"][0]) == 10
    assert halves == whole


def test_the_copies_leave_out_what_is_not_xml(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A picture (or any part that is not XML: embedded files, VBA, printer settings) is not
    copied: the copies hold what calamine reads, and read the same."""
    path = tmp_path / "picture.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    for r in range(60):
        sheet.write_row(r, 0, [r, f"Company {r}"])
    picture = tmp_path / "logo.png"
    picture.write_bytes(_PNG)
    sheet.insert_image("D2", str(picture))
    book.close()
    with zipfile.ZipFile(path) as z:
        assert any(name.startswith("xl/media/") for name in z.namelist())
    copied: list[list[str]] = []
    real = reader._open_copy

    def open_copy(file: str):
        with zipfile.ZipFile(file) as z:
            copied.append(z.namelist())
        return real(file)

    whole, _ = read_sheets(path, False, monkeypatch)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    monkeypatch.setattr(reader, "_open_copy", open_copy)
    values, entry = _values(path)
    try:
        assert values.rows(entry) == whole["Prospects"][0]
    finally:
        values.close()
    assert len(copied) == 2
    for names in copied:
        assert "xl/worksheets/sheet1.xml" in names and "xl/drawings/drawing1.xml" in names
        assert not any(name.startswith("xl/media/") for name in names)


#: a 1x1 PNG
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f3a2b10000000049454e44ae426082"
)


@pytest.mark.parametrize(
    "error",
    [ValueError("unrecognized configuration name"), OSError(22, "Invalid argument")],
    ids=["macOS", "musl"],
)
def test_sync_runs_where_the_C_library_is_not_glibc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """``os.confstr("CS_GNU_LIBC_VERSION")``: macOS has ``os.confstr`` but not that name
    (ValueError), musl (Alpine) has the name and fails it (OSError, EINVAL); the sync runs."""
    book = xlsxwriter.Workbook(str(tmp_path / "p.xlsx"))
    sheet = book.add_worksheet("Prospects")
    for c, head in enumerate(["ID", "Company", "Owner", "Stage", "Last Contact"]):
        sheet.write(0, c, head)
    sheet.write_row(1, 0, [1, "Co", "Dana", "Working"])
    book.close()

    def confstr(name: str):
        raise error

    monkeypatch.setattr(os, "confstr", confstr)
    from sheetsync.cli import main

    with pytest.raises(SystemExit) as done:
        main(["sync", str(tmp_path / "p.xlsx"), "--today", "2026-11-24", "--quiet"])
    assert done.value.code == 0


# -- cases that agree (kept) -----------------------------------------------------------------


def _c(ref: bytes | None, body: bytes, t: bytes | None = None, extra: bytes = b"") -> bytes:
    attrs = (b' r="%s"' % ref if ref else b"") + (b' t="%s"' % t if t else b"") + extra
    return b"<c%s>%s</c>" % (attrs, body)


def _r(n: int | None, cells: list[bytes], extra: bytes = b"") -> bytes:
    return b"<row%s%s>%s</row>" % (b' r="%d"' % n if n else b"", extra, b"".join(cells))


def _std(k: int) -> bytes:
    return _r(
        k,
        [
            _c(b"A%d" % k, b"<v>%d</v>" % k),
            _c(b"B%d" % k, b"<is><t>t%d</t></is>" % k, b"inlineStr"),
        ],
    )


_PLAIN = _sheet(b"".join(_std(k) for k in range(1, 60)))
_PREFIXED = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<x:sheetData>"
    + b"".join(
        b'<x:row r="%d"><x:c r="A%d"><x:v>%d</x:v></x:c></x:row>' % (k, k, k) for k in range(1, 60)
    )
    + b"</x:sheetData></x:worksheet>"
)
_SHAPES = {
    "plain": _PLAIN,
    "namespace prefix": _PREFIXED,
    "UTF-8 BOM (read whole)": b"\xef\xbb\xbf" + _PLAIN,
    "UTF-16 part (read whole)": _PLAIN.replace(b"UTF-8", b"UTF-16").decode().encode("utf-16"),
    "ISO-8859-1 part": _PLAIN.replace(b"UTF-8", b"ISO-8859-1").replace(
        b"<t>t1</t>", b"<t>caf\xe9</t>"
    ),
    "no XML declaration": _PLAIN.split(b"\n", 1)[1],
    "sheetData with attributes": _PLAIN.replace(b"<sheetData>", b"<sheetData foo=\"a>b\" bar='1'>"),
    "r in single quotes, spaces around =": _sheet(
        b"".join(b"<row r = '%d' ><c r='A%d'><v>%d</v></c></row>" % (k, k, k) for k in range(1, 60))
    ),
    "tab before r": _sheet(
        b"".join(b'<row\tr="%d"><c r="A%d"><v>%d</v></c></row>' % (k, k, k) for k in range(1, 60))
    ),
    "r with a space in its value (read whole)": _sheet(
        b"".join(b'<row r=" %d"><c r="A%d"><v>%d</v></c></row>' % (k, k, k) for k in range(1, 60))
    ),
    "rows without r after the cut": _sheet(
        b"".join(_std(k) for k in range(1, 30))
        + b'<row r="30"><c><v>30</v></c></row>'
        + b"".join(
            b'<row><c><v>%d</v></c><c t="inlineStr"><is><t>x</t></is></c></row>' % k
            for k in range(31, 60)
        )
    ),
    "cells without r": _sheet(
        b"".join(
            b'<row r="%d"><c><v>%d</v></c><c><v>1</v></c></row>' % (k, k) for k in range(1, 60)
        )
    ),
    "self-closing row with r at the cut, rows without r after it": _sheet(
        _std(1)
        + b'<row><c s="0"></c></row>' * 38
        + b'<row r="40"/>'
        + b"<row></row>" * 3
        + b"".join(b"<row><c><v>%d</v></c></row>" % k for k in range(5))
    ),
    "rich text with an escaped <row in it": _sheet(
        b"".join(
            _r(
                k,
                [
                    _c(
                        b"A%d" % k,
                        b'<is><r><rPr><b/></rPr><t>a&lt;row r="5"&gt;</t></r><r><t xml:space="preserve"> b </t></r></is>',
                        b"inlineStr",
                    )
                ],
            )
            for k in range(1, 60)
        )
    ),
    "shared formula whose master is in the first half": _sheet(
        _r(1, [_c(b"A1", b'<f t="shared" ref="A1:A59" si="0">1+1</f><v>2</v>')])
        + b"".join(
            _r(k, [_c(b"A%d" % k, b'<f t="shared" si="0"/><v>%d</v>' % k)]) for k in range(2, 60)
        )
    ),
    "array formulas": _sheet(
        b"".join(
            _r(
                k,
                [
                    _c(b"A%d" % k, b'<f t="array" ref="A%d:B%d">X</f><v>%d</v>' % (k, k, k)),
                    _c(b"B%d" % k, b"<v>3</v>"),
                ],
            )
            for k in range(1, 60)
        )
    ),
    "rows with attributes only across the cut": _sheet(
        _std(1)
        + b"".join(_r(k, [], b' spans="1:3" ht="20" customHeight="1"') for k in range(2, 60))
        + _std(60)
    ),
    "self-closing empty rows across the cut": _sheet(
        _std(1) + b"".join(b'<row r="%d" ht="20"/>' % k for k in range(2, 60)) + _std(60)
    ),
    "a first half with no values": _sheet(
        b"".join(_r(k, [_c(b"A%d" % k, b"", extra=b' s="0"')]) for k in range(1, 40))
        + b"".join(_std(k) for k in range(40, 60))
    ),
    "hidden and outline rows": _sheet(
        b"".join(
            _r(k, [_c(b"A%d" % k, b"<v>%d</v>" % k)], b' hidden="1" outlineLevel="1"')
            for k in range(1, 60)
        )
    ),
    "a <dimension> that lies": _sheet(
        b"".join(_std(k) for k in range(1, 60)), head=HEAD + b'<dimension ref="A1:Z9999"/>'
    ),
    "a head over 64 KB": _sheet(
        b"".join(_std(k) for k in range(1, 60)),
        head=HEAD
        + b"<cols>"
        + b"".join(b'<col min="%d" max="%d" width="9"/>' % (i, i) for i in range(1, 4000))
        + b"</cols>",
    ),
    "the last row is the cut row": _sheet(
        _r(1, [_c(b"A1", b"<is><t>" + b"x" * 4000 + b"</t></is>", b"inlineStr")]) + _std(2)
    ),
    "one huge row (read whole)": _sheet(
        _r(1, [_c(b"A1", b"<v>%d</v>" % c) for c in range(1, 500)])
    ),
    "errors, booleans, ISO dates, str": _sheet(
        b"".join(
            _r(
                k,
                [
                    _c(b"A%d" % k, b"<v>#N/A</v>", b"e"),
                    _c(b"B%d" % k, b"<v>1</v>", b"b"),
                    _c(b"C%d" % k, b"<v>2026-01-0%dT10:00:00</v>" % (k % 9 + 1), b"d"),
                    _c(b"D%d" % k, b"<v>abc</v>", b"str"),
                ],
            )
            for k in range(1, 60)
        )
    ),
    "first half from column B, second from A": _sheet(
        b"".join(
            _r(
                k,
                [
                    _c(b"B%d" % k, b"<v>1</v>", b"b"),
                    _c(b"C%d" % k, b"<v>2026-01-01T10:00:00</v>", b"d"),
                ],
            )
            for k in range(1, 30)
        )
        + b"".join(_std(k) for k in range(30, 60))
    ),
    "first half from A, second from C": _sheet(
        b"".join(_std(k) for k in range(1, 30))
        + b"".join(
            _r(
                k,
                [
                    _c(b"C%d" % k, b"<v>1</v>", b"b"),
                    _c(b"D%d" % k, b"<v>2026-01-01T10:00:00</v>", b"d"),
                ],
            )
            for k in range(30, 60)
        )
    ),
    "cells in the second half in rows of the first": _sheet(
        b"".join(_std(k) for k in range(1, 30))
        + b"".join(
            b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (k, k - 25, k) for k in range(30, 60)
        )
    ),
    "rows given twice": _sheet(b"".join(_std(k) for k in range(1, 60)) * 2),
    "merged cells in the tail": _sheet(
        b"".join(_std(k) for k in range(1, 60)),
        tail=b'<mergeCells count="1"><mergeCell ref="A70:B71"/></mergeCells>' + TAIL,
    ),
    "an unmatched </row> (refused both ways)": _sheet(
        b"".join(_std(k) for k in range(1, 30))
        + b"</row>"
        + b"".join(_std(k) for k in range(30, 60))
    ),
}


@pytest.mark.parametrize("xml", list(_SHAPES.values()), ids=list(_SHAPES))
def test_sheet_xml_shapes_read_the_same_in_halves(
    xml: bytes, tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "shape.xlsx", xml)
    whole, halves, _parsed = _both_ways(path, temp, monkeypatch)
    assert halves == whole


def _deflated_again_with_data_descriptors(path: Path) -> None:
    class Unseekable:
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        def write(self, b: bytes) -> int:
            self.chunks.append(bytes(b))
            return len(b)

        def flush(self) -> None:
            pass

    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    out = Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:  # type: ignore[arg-type]
        for name, data in members:
            with z.open(name, "w") as f:
                f.write(data)
    path.write_bytes(b"".join(out.chunks))


def test_a_zip_with_data_descriptors_reads_the_same(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "dd.xlsx", _PLAIN)
    _deflated_again_with_data_descriptors(path)
    with zipfile.ZipFile(path) as z:
        assert all(i.flag_bits & 0x8 for i in z.infolist())
    whole, halves, parsed = _both_ways(path, temp, monkeypatch)
    assert len(parsed) == 2
    assert halves == whole


@pytest.mark.parametrize("member", [SHEET, "xl/sharedStrings.xml", "docProps/app.xml"])
def test_a_member_failing_its_crc_gives_what_it_gives_whole(
    member: str, tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml = _sheet(
        b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (k, k) for k in range(1, 60))
    )
    path = _book(tmp_path / "crc.xlsx", xml, strings=("hello",))
    with zipfile.ZipFile(path) as z:
        crc = z.getinfo(member).CRC
    data = path.read_bytes()
    assert data.count(crc.to_bytes(4, "little")) == 2  # its local and central headers
    path.write_bytes(data.replace(crc.to_bytes(4, "little"), (crc ^ 1).to_bytes(4, "little")))
    whole, halves, _parsed = _both_ways(path, temp, monkeypatch)
    assert halves == whole


# -- cleanup and the thread --------------------------------------------------------------------


def _patched_parse(
    monkeypatch: pytest.MonkeyPatch,
    fail_first: BaseException | None,
    fail_second: BaseException | None,
):
    """``_open_copy`` failing on the first half (main thread) or the second (the pool's
    thread); returns the list of (on the main thread, done) of each call."""
    import threading

    real = reader._open_copy
    calls: list[list[object]] = []

    def open_copy(file: str):
        on_main = threading.current_thread() is threading.main_thread()
        call = [on_main, False]
        calls.append(call)
        if on_main and fail_first is not None:
            time.sleep(0.2)  # the second half is being parsed meanwhile
            raise fail_first
        try:
            if not on_main:
                time.sleep(0.5)
            if not on_main and fail_second is not None:
                raise fail_second
            return real(file)
        finally:
            call[1] = True

    monkeypatch.setattr(reader, "_open_copy", open_copy)
    return calls


def _reads_as(path: Path, whole: dict, temp: Path) -> None:
    """Reading the sheet (in halves, as the test set it up) gives what reading it whole gave,
    and leaves no copy."""
    values, entry = _values(path)
    try:
        assert values.rows(entry) == whole["Prospects"][0]
    finally:
        values.close()
    assert list(temp.iterdir()) == []


def _values(path: Path):
    data = path.read_bytes()
    package = Package(data, path.name)
    workbook = Workbook(package)
    return reader.SheetValues(data, package, workbook), workbook.sheets[0]


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), MemoryError()], ids=["KeyboardInterrupt", "MemoryError"]
)
def test_an_interrupt_in_the_first_half_waits_for_the_thread_then_removes_the_copies(
    error: BaseException, tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exception goes on, after the thread is done and both copies are gone (the pool is
    shut down before the copies are removed: none is removed while the thread has it open,
    which Windows would refuse)."""
    path = _book(tmp_path / "ki.xlsx", _PLAIN)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    calls = _patched_parse(monkeypatch, error, None)
    values, entry = _values(path)
    with pytest.raises(type(error)):
        values.rows(entry)
    values.close()
    assert [done for on_main, done in calls if not on_main] == [True]
    assert list(temp.iterdir()) == []


def test_a_memory_error_in_the_thread_goes_on_and_removes_the_copies(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "mem.xlsx", _PLAIN)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    _patched_parse(monkeypatch, None, MemoryError())
    values, entry = _values(path)
    with pytest.raises(MemoryError):
        values.rows(entry)
    values.close()
    assert list(temp.iterdir()) == []


def test_a_calamine_error_in_a_half_reads_it_whole(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "err.xlsx", _PLAIN)
    whole, _ = read_sheets(path, False, monkeypatch)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    _patched_parse(monkeypatch, None, calamine.CalamineError("broken half"))
    _reads_as(path, whole, temp)


def test_no_room_for_the_second_copy_reads_it_whole(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while the first half's copy is written (the second is already
    being parsed on the thread): read whole, both copies removed."""
    path = _book(tmp_path / "full.xlsx", _PLAIN)
    whole, _ = read_sheets(path, False, monkeypatch)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    real_write = reader.write_package
    writes: list[int] = []

    def write_package(out, package, replaced, added=()):
        writes.append(1)
        if len(writes) == 2:
            raise OSError(28, "No space left on device")
        return real_write(out, package, replaced, added)

    monkeypatch.setattr(reader, "write_package", write_package)
    _reads_as(path, whole, temp)


def test_the_copies_are_private(
    tmp_path: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mode 600 while they exist."""
    path = _book(tmp_path / "mode.xlsx", _PLAIN)
    monkeypatch.setattr(reader, "HALVES_FROM", 0)
    real = reader._open_copy
    modes: list[int] = []

    def open_copy(file: str):
        modes.append(os.stat(file).st_mode & 0o777)
        return real(file)

    monkeypatch.setattr(reader, "_open_copy", open_copy)
    values, entry = _values(path)
    values.rows(entry)
    values.close()
    assert modes == [0o600, 0o600]
