"""The .xlsx/.xlsm file as what it is: a zip of parts, read from memory, rewritten part by part.

:class:`Package` holds the file's bytes and answers for its parts and relationships. It refuses
what it cannot edit safely (an encrypted or legacy binary file, a damaged zip, Strict OOXML).
:func:`write_package` writes a new zip where every part we did not change is copied *raw*: its
compressed bytes, CRC, name and timestamp are those of the original, so a chart, a picture or a
VBA project cannot change, not even by recompression.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

try:  # ISA-L's deflate: the same streams as zlib, many times faster
    from isal import isal_zlib as deflate_lib
except ImportError:  # pragma: no cover - a platform without its wheels
    deflate_lib = zlib  # type: ignore[misc]

from ...errors import SourceError, WorkbookRefused
from .ooxml import (
    PKG_REL_NS,
    RT_OFFICE_DOCUMENT,
    STRICT_PREFIX,
    parse_xml,
    rels_path,
    resolve_target,
)

#: First bytes of an OLE2 compound file: a legacy .xls, or an .xlsx encrypted with a password.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CONTENT_TYPES = "[Content_Types].xml"

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP32_LIMIT = 0xFFFFFFFF
#: No real workbook part inflates beyond this: 100,000 prospect rows are about 80 MB of sheet
#: XML, and even Excel's last row (1,048,576) of 15 typical columns stays under 1 GB.
MAX_PART_SIZE = 2 << 30
#: Nor this far: real sheet, shared-string and style XML deflates 5 to 25 times (the shared
#: fixtures at most 21:1); only a bomb (a run of one byte, one giant string) nears deflate's
#: 1032:1. Parts that inflate to less than ``RATIO_FROM`` bytes are harmless at any ratio.
MAX_RATIO = 100
RATIO_FROM = 8 << 20
#: deflate level of new and changed parts: ISA-L's level 1 deflates a 100,000-row sheet
#: (80 MB of XML) in 0.1 s, 8x faster than zlib's level 4, to 12 MB (zlib 4: 11 MB, 6: 10 MB)
_DEFLATE_LEVEL = 1 if deflate_lib is not zlib else 4


@dataclass(frozen=True)
class Relationship:
    """One ``<Relationship>`` of a part, its target resolved to a zip name."""

    id: str
    type: str
    target: str
    external: bool


class Package:
    """A read-only view of an OOXML package held in memory."""

    def __init__(self, data: bytes, label: str) -> None:
        self.data = data
        self.label = label
        if data[:8] == OLE2_MAGIC:
            raise WorkbookRefused(
                f"{label} is encrypted (password-protected) or a legacy .xls file: remove the "
                "password or save it as an Excel Workbook (.xlsx) and run again"
            )
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise WorkbookRefused(
                f"{label} is not a valid .xlsx file (not a zip package: {exc}); "
                "open it in Excel, save it as .xlsx and run again"
            ) from exc
        self.infos = self._zip.infolist()
        self._by_lower: dict[str, zipfile.ZipInfo] = {}
        for info in self.infos:
            first = self._by_lower.setdefault(info.filename.lower(), info)
            if first is not info and not info.filename.endswith("/"):
                # the reader library would read one of them and the writer another
                raise self.damaged(f"part {first.filename} is in the zip twice")
        for info in self.infos:
            if info.flag_bits & 0x1:
                raise WorkbookRefused(
                    f"{label} has encrypted zip members; save it again from Excel and run again"
                )
        if self.find(CONTENT_TYPES) is None:
            raise self.damaged("it has no [Content_Types].xml")
        self.workbook_part = self._find_workbook_part()

    def damaged(self, why: str) -> WorkbookRefused:
        """The refusal for a package that is not a usable workbook."""
        return WorkbookRefused(
            f"{self.label} is damaged or not an Excel workbook ({why}); "
            "open it in Excel, save it as .xlsx and run again"
        )

    def _find_workbook_part(self) -> str:
        for rel in self.rels(""):
            if rel.type == RT_OFFICE_DOCUMENT and not rel.external:
                if self.find(rel.target) is None:
                    raise self.damaged(f"its workbook part {rel.target} is missing")
                return self.name(rel.target)
            if rel.type.startswith(STRICT_PREFIX):
                raise strict_refusal(self.label)
        raise self.damaged("it has no workbook part")

    # -- members -------------------------------------------------------------------------

    def find(self, name: str) -> zipfile.ZipInfo | None:
        """The member for a part name; OPC part names are case-insensitive."""
        return self._by_lower.get(name.lower())

    def name(self, name: str) -> str:
        """The member's spelling of a part name (which must exist)."""
        info = self.find(name)
        if info is None:
            raise self.damaged(f"part {name} is missing")
        return info.filename

    def check_size(self, name: str) -> None:
        """Refuse a part whose declared inflated size or ratio no real workbook part reaches
        (a decompression bomb), before anything inflates it. A part that inflates past its
        declared size is refused as it is read (here and by calamine's zip reader alike)."""
        info = self.find(name)
        if info is None:
            return
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > MAX_PART_SIZE or (size > RATIO_FROM and size > MAX_RATIO * packed):
            raise WorkbookRefused(
                f"{self.label}: part {info.filename} would inflate to {size / 2**20:,.0f} MB "
                f"from {packed / 2**20:,.1f} MB ({size / packed:,.0f}:1), beyond any real "
                f"workbook (limits {MAX_PART_SIZE >> 30} GB and {MAX_RATIO}:1 per part), so it "
                "was not read: if the file is genuine, open it in Excel, save it and run again"
            )

    def read(self, name: str) -> bytes:
        """Uncompressed content of a part (CRC checked)."""
        info = self.find(name)
        if info is None:
            raise self.damaged(f"part {name} is missing")
        self.check_size(name)
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise self.damaged(f"part {name} cannot be read: {exc}") from exc

    def open(self, name: str) -> _PartStream | _Inflating:
        """A part as a stream (decompressed as it is read; its CRC checked at the end)."""
        info = self.find(name)
        if info is None:
            raise self.damaged(f"part {name} is missing")
        self.check_size(name)
        if info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
            return _Inflating(self, info)
        try:
            return _PartStream(self._zip.open(info), self, name)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
            raise self.damaged(f"part {name} cannot be read: {exc}") from exc

    def read_xml(self, name: str) -> etree._Element:
        """A part parsed as XML; refuses Strict OOXML and malformed parts."""
        try:
            root = parse_xml(self.read(name))
        except etree.XMLSyntaxError as exc:
            raise self.damaged(f"part {name} is not well-formed XML: {exc}") from exc
        if isinstance(root.tag, str) and root.tag.startswith("{" + STRICT_PREFIX):
            raise strict_refusal(self.label)
        return root

    def raw(self, info: zipfile.ZipInfo) -> memoryview:
        """The member's compressed bytes, exactly as stored (a view: no copy)."""
        offset = info.header_offset
        header = self.data[offset : offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise self.damaged(f"the zip entry of {info.filename} is broken")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = offset + 30 + name_len + extra_len
        raw = memoryview(self.data)[start : start + info.compress_size]
        if len(raw) != info.compress_size:
            raise self.damaged(f"the zip entry of {info.filename} is truncated")
        return raw

    # -- relationships -------------------------------------------------------------------

    def rels(self, part: str) -> list[Relationship]:
        """Relationships of ``part`` ('' = the package itself); none when it has no rels part."""
        path = rels_path(part) if part else "_rels/.rels"
        if self.find(path) is None:
            return []
        root = self.read_xml(path)
        result = []
        for el in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
            external = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            result.append(
                Relationship(
                    id=el.get("Id", ""),
                    type=el.get("Type", ""),
                    target=target if external else resolve_target(part, target),
                    external=external,
                )
            )
        return result


class _Inflating:
    """A deflated (or stored) part read from the package's bytes, inflated by ``deflate_lib``
    a slice at a time (a slice of compressed bytes inflates to at most about 66 MB); its size
    and CRC are checked at the end, and any fault is a refusal."""

    _SLICE = 1 << 16

    def __init__(self, package: Package, info: zipfile.ZipInfo) -> None:
        self._package, self._info = package, info
        self._raw = package.raw(info)
        self._position = 0
        stored = info.compress_type == zipfile.ZIP_STORED
        self._inflater = None if stored else deflate_lib.decompressobj(-15)
        self._buffer = b""
        self._offset = 0
        self._crc = 0
        self._size = 0
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(iter(lambda: self.read(1 << 22), b""))
        while self._offset >= len(self._buffer):
            if self._done:
                return b""
            self._fill()
        out = self._buffer[self._offset : self._offset + size]
        self._offset += len(out)
        return out

    def _fill(self) -> None:
        piece = self._raw[self._position : self._position + self._SLICE]
        self._position += len(piece)
        try:
            if self._inflater is None:
                out = bytes(piece)
            elif piece:
                out = self._inflater.decompress(piece)
            else:
                out = self._inflater.flush()
        except deflate_lib.error as exc:
            raise self._damaged(str(exc)) from exc
        self._crc = deflate_lib.crc32(out, self._crc)
        self._size += len(out)
        if self._size > self._info.file_size:
            raise self._damaged("it inflates past its declared size")
        self._buffer, self._offset = out, 0
        if not piece:
            self._done = True
            if (self._crc, self._size) != (self._info.CRC, self._info.file_size):
                raise self._damaged("its size or CRC does not match")

    def _damaged(self, why: str) -> WorkbookRefused:
        return self._package.damaged(f"part {self._info.filename} cannot be read: {why}")

    def __enter__(self) -> _Inflating:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._raw.release()


class _PartStream:
    """A part being read, whose zip errors (bad CRC, bad data) become refusals."""

    def __init__(self, stream: BinaryIO, package: Package, name: str) -> None:
        self._stream, self._package, self._name = stream, package, name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise self._package.damaged(f"part {self._name} cannot be read: {exc}") from exc

    def __enter__(self) -> _PartStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stream.close()


def strict_refusal(label: str) -> WorkbookRefused:
    """The refusal for a Strict Open XML workbook."""
    return WorkbookRefused(
        f"{label} is saved as Strict Open XML, which sheetsync cannot edit safely: save it in "
        'Excel as "Excel Workbook (*.xlsx)" and run again'
    )


# -- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compressed:
    """A part ready for the zip: its deflated bytes, CRC and uncompressed size."""

    raw: bytes
    crc: int
    size: int


@dataclass(frozen=True)
class Stored:
    """A part for the zip stored as it is (not deflated), given as pieces written one after
    the other: for a temporary copy a reader will read at once (no joined copy is made)."""

    pieces: tuple[bytes | memoryview, ...]
    crc: int
    size: int

    @classmethod
    def of(cls, *pieces: bytes | memoryview) -> Stored:
        crc = 0
        for piece in pieces:
            crc = deflate_lib.crc32(piece, crc)
        return cls(pieces, crc, sum(map(len, pieces)))


def compress(data: bytes) -> Compressed:
    """Deflate a small part."""
    compressor = deflate_lib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return Compressed(
        compressor.compress(data) + compressor.flush(), deflate_lib.crc32(data), len(data)
    )


def inflates(part: Compressed) -> bool:
    """Whether ``part``'s deflated bytes inflate to its size and CRC (a few MB at a time, the
    GIL let go: run it on a thread while the caller does other work)."""
    inflater = deflate_lib.decompressobj(-15)
    crc = size = 0
    raw = memoryview(part.raw)
    try:
        for start in range(0, len(raw), 1 << 19):
            data: bytes | memoryview = raw[start : start + (1 << 19)]
            while data:
                out = inflater.decompress(data, 1 << 22)
                data = inflater.unconsumed_tail
                crc, size = deflate_lib.crc32(out, crc), size + len(out)
                if size > part.size:
                    return False
        out = inflater.flush()
    except deflate_lib.error:  # not a deflate stream
        return False
    crc, size = deflate_lib.crc32(out, crc), size + len(out)
    return inflater.eof and not inflater.unused_data and (crc, size) == (part.crc, part.size)


class StreamDeflater:
    """Deflates a part handed over in blocks, on a thread pool (zlib releases the GIL), while the
    caller produces and checks the next block.

    Each block is deflated on its own and ends with a sync flush, which byte-aligns it, so the
    blocks concatenate into one valid deflate stream (as pigz does); an empty final block closes
    it.
    """

    _IN_FLIGHT = 4

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._pending: list[Future[bytes]] = []
        self._done: list[bytes] = []
        self._crc = 0
        self._size = 0

    @staticmethod
    def _deflate(block: bytes) -> bytes:
        compressor = deflate_lib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
        return compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)

    def feed(self, block: bytes) -> None:
        """Queue the next block (waits while too many are in flight, to bound memory)."""
        self._crc = deflate_lib.crc32(block, self._crc)
        self._size += len(block)
        self._pending.append(self._pool.submit(self._deflate, block))
        while len(self._pending) > self._IN_FLIGHT:
            self._done.append(self._pending.pop(0).result())

    def finish(self) -> Compressed:
        """The whole part, deflated."""
        self._done.extend(future.result() for future in self._pending)
        self._pending = []
        final = deflate_lib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
        return Compressed(b"".join([*self._done, final]), self._crc, self._size)


def write_package(
    out: BinaryIO,
    package: Package,
    replaced: Mapping[str, Compressed | Stored | None],
    added: Iterable[tuple[str, Compressed]] = (),
) -> None:
    """Write ``package`` to ``out`` with ``replaced`` parts swapped in (None = left out) and
    ``added`` appended.

    Members keep their order; unchanged members are copied raw (compressed bytes untouched).
    """
    writer = _ZipWriter(out)
    by_lower = {name.lower(): data for name, data in replaced.items()}
    for info in package.infos:
        key = info.filename.lower()
        if key not in by_lower:
            writer.copy(info, package.raw(info))
            continue
        part = by_lower.pop(key)
        if part is not None:
            writer.add(info.filename, part, info.date_time)
    for name, part in added:
        writer.add(name, part, (1980, 1, 1, 0, 0, 0))
    writer.finish()


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class _ZipWriter:
    """A minimal zip writer: raw copies and deflated new members, no zip64 (Excel's limits are
    far below 4 GB)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offset = 0
        self._central: list[bytes] = []

    def _write(self, chunk: bytes | memoryview) -> None:
        self._out.write(chunk)
        self._offset += len(chunk)

    def _entry(
        self,
        name: str,
        flags: int,
        method: int,
        date_time: tuple[int, int, int, int, int, int],
        crc: int,
        raw: tuple[bytes | memoryview, ...],
        size: int,
        made_by: int,
        external_attr: int,
        internal_attr: int,
    ) -> None:
        packed = sum(map(len, raw))
        if size > _ZIP32_LIMIT or packed > _ZIP32_LIMIT or self._offset > _ZIP32_LIMIT:
            raise SourceError(f"part {name} is too large for sheetsync (4 GB zip limit)")
        try:
            encoded = name.encode("ascii")
        except UnicodeEncodeError:
            encoded = name.encode("utf-8")
            flags |= 0x800
        dostime, dosdate = _dos_time(date_time)
        offset = self._offset
        header = _LOCAL_HEADER.pack(
            0x04034B50, 20, flags, method, dostime, dosdate, crc, packed, size, len(encoded), 0
        )
        self._write(header + encoded)
        for piece in raw:
            self._write(piece)
        self._central.append(
            _CENTRAL_HEADER.pack(
                0x02014B50,
                made_by,
                20,
                flags,
                method,
                dostime,
                dosdate,
                crc,
                packed,
                size,
                len(encoded),
                0,
                0,
                0,
                internal_attr,
                external_attr,
                offset,
            )
            + encoded
        )

    def copy(self, info: zipfile.ZipInfo, raw: bytes | memoryview) -> None:
        """Copy a member's stored bytes as they are (no data descriptor in the copy)."""
        self._entry(
            info.filename,
            info.flag_bits & ~0x808,
            info.compress_type,
            info.date_time,
            info.CRC,
            (raw,),
            info.file_size,
            (info.create_system << 8) | info.create_version,
            info.external_attr,
            info.internal_attr,
        )

    def add(
        self, name: str, part: Compressed | Stored, date_time: tuple[int, int, int, int, int, int]
    ) -> None:
        """Add a deflated (or stored) member."""
        if isinstance(part, Stored):
            method, raw = zipfile.ZIP_STORED, part.pieces
        else:
            method, raw = zipfile.ZIP_DEFLATED, (part.raw,)
        self._entry(name, 0, method, date_time, part.crc, raw, part.size, 20, 0, 0)

    def finish(self) -> None:
        if len(self._central) > 0xFFFF:
            raise SourceError("the workbook has too many parts for sheetsync (65535 zip limit)")
        start = self._offset
        for record in self._central:
            self._write(record)
        self._write(
            _END_RECORD.pack(
                0x06054B50,
                0,
                0,
                len(self._central),
                len(self._central),
                self._offset - start,
                start,
                0,
            )
        )
