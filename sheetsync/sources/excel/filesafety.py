"""The file on disk: which files we agree to touch, noticing someone else's changes, and an
atomic save that keeps backups.

Backups: ``backups=N`` keeps the N previous versions as ``Name.xlsx.bak`` (the newest),
``Name.xlsx.bak2``, ... ``Name.xlsx.bakN`` (the oldest); ``backups=0`` keeps none. The newest
backup is a hard link to the replaced file when the file system allows it (instant, no copy),
else a copy.

Saving: the new package is written to a temporary file in the workbook's own folder (so the
final rename is atomic), flushed and fsynced, checked by the caller, given the old file's
permissions, and then renamed over the workbook with ``os.replace``. A crash at any point
before the rename leaves the old file as it was (plus, at worst, a stray temporary file named
``.Name.xlsx.*.sheetsync-tmp``, which the next successful save of that file removes). A
read-only workbook (no write permission bit, whoever runs the sync: root too) is refused
rather than replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...errors import SourceError, WorkbookRefused

EDITABLE_SUFFIXES = frozenset({".xlsx", ".xlsm"})
TEMP_SUFFIX = ".sheetsync-tmp"


def check_path(path: Path, open_elsewhere_ok: bool = False) -> None:
    """Refuse files sheetsync must not edit: wrong format, missing, or open in Excel/LibreOffice
    (``open_elsewhere_ok``: only reading, so a workbook open in Excel is fine)."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise WorkbookRefused(
            f"{path} is a legacy .xls workbook: open it in Excel and save it as "
            "Excel Workbook (.xlsx), then run again on the .xlsx"
        )
    if suffix not in EDITABLE_SUFFIXES:
        raise WorkbookRefused(
            f"{path} is not an .xlsx or .xlsm workbook: save it as Excel Workbook (.xlsx) and run again"
        )
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if not path.is_file():
        raise SourceError(f"{path} is not a file")
    for lock in [] if open_elsewhere_ok else lock_files(path):
        if lock.exists():
            raise WorkbookRefused(
                f"{path.name} is open in Excel or LibreOffice (lock file {lock.name}): "
                "close it in Excel/LibreOffice and run again"
            )


def check_writable(path: Path) -> None:
    """Refuse a workbook its owner made read-only. The rename that saves it would replace it
    anyway (the folder is what the rename needs), and root passes every access check, so the
    permission bits themselves are looked at."""
    try:
        st = path.stat()
    except OSError:
        return  # the read or the save names what is wrong with the path
    mode = stat.S_IMODE(st.st_mode)
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid is None:  # no POSIX owners (Windows): the read-only attribute is what counts
        writable, whose = os.access(path, os.W_OK), ""
    elif st.st_uid == euid:
        writable, whose = bool(mode & stat.S_IWUSR), ""
    else:
        any_write = mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        writable = bool(any_write) and (euid == 0 or os.access(path, os.W_OK))
        whose = f", owned by user {st.st_uid}"
    if not writable:
        raise WorkbookRefused(
            f"the file is read-only (mode {mode:03o}{whose}): nothing was written; "
            f"make it writable (chmod u+w {path.name}) or sync a copy"
        )


def lock_files(path: Path) -> list[Path]:
    """The owner/lock files Excel (``~$Name.xlsx``) and LibreOffice (``.~lock.Name.xlsx#``)
    keep beside a workbook they have open."""
    return [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one version of the file."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, data: bytes, st: os.stat_result) -> Fingerprint:
        return cls(st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())


def read_file(path: Path) -> tuple[bytes, Fingerprint]:
    """The file's bytes and their fingerprint, taken consistently (retried if it moves)."""
    for _ in range(3):
        try:
            before = path.stat()
            with path.open("rb") as f:
                data = f.read()
            after = path.stat()
        except PermissionError as exc:
            raise SourceError(
                f"{path.name} cannot be read ({exc.strerror}): give yourself read and write "
                f"permission (chmod u+rw {path.name}) and run again"
            ) from exc
        except OSError as exc:
            raise SourceError(f"{path.name} cannot be read ({exc.strerror or exc})") from exc
        same = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
        if same and len(data) == after.st_size:
            return data, Fingerprint.of(data, after)
    raise WorkbookRefused(
        f"{path} keeps changing while it is read: close what writes it and run again"
    )


def check_unchanged(path: Path, expected: Fingerprint) -> None:
    """Refuse when the file is not the version that was read."""
    changed = WorkbookRefused(
        f"{path.name} changed on disk while sheetsync was running: nothing was written; run again"
    )
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise changed from exc
    if (st.st_size, st.st_mtime_ns) != (expected.size, expected.mtime_ns):
        raise changed
    with path.open("rb") as f:  # hashed a block at a time: the file is not held twice
        if hashlib.file_digest(f, "sha256").hexdigest() != expected.sha256:
            raise changed


def backup_names(path: Path, count: int) -> list[Path]:
    """``Name.xlsx.bak``, ``Name.xlsx.bak2``, ... newest first."""
    return [
        path.with_name(path.name + (".bak" if n == 1 else f".bak{n}")) for n in range(1, count + 1)
    ]


@contextlib.contextmanager
def temporary_beside(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A new temporary file in the workbook's folder, removed unless the caller renamed it."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, temp
    finally:
        with contextlib.suppress(FileNotFoundError):  # renamed into place: nothing to remove
            temp.unlink()


def save_atomically(
    path: Path,
    write: Callable[[BinaryIO], None],
    check: Callable[[Path], None],
    backups: int,
    expected: Fingerprint,
) -> None:
    """Write a new version of ``path`` with ``write``, verify it with ``check``, keep backups,
    and swap it in atomically, provided ``path`` still is the version ``expected``; then remove
    the temporary files an earlier, interrupted save of ``path`` left behind."""
    check_writable(path)
    try:
        with temporary_beside(path) as (f, temp):
            write(f)
            f.flush()
            os.fsync(f.fileno())
            f.close()
            check(temp)
            check_unchanged(path, expected)
            for lock in lock_files(path):
                if lock.exists():
                    raise WorkbookRefused(
                        f"{path.name} was opened in Excel or LibreOffice during the sync: "
                        "close it in Excel/LibreOffice and run again"
                    )
            _copy_metadata(path, temp)
            _rotate_backups(path, backups)
            os.replace(temp, path)
    except PermissionError as exc:
        # the workbook's own bits were checked: what a save does beside it is in its folder
        raise SourceError(
            f"cannot save {path.name}: its folder {path.parent} does not let you create files "
            f"({exc.strerror}), and a save writes the new version there and renames it over "
            "the workbook: make the folder writable for you, or sync a copy in a folder of "
            "yours; nothing was changed"
        ) from exc
    except OSError as exc:
        raise SourceError(f"cannot save {path} ({exc}); the workbook was not changed") from exc
    _fsync_folder(path.parent)
    remove_stale_temporaries(path)


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` (``.Name.xlsx.*.sheetsync-tmp``) that a killed
    save left behind; returns those removed. Only called after a save of ``path`` succeeded,
    under the run lock of ``path``, so none of them belongs to a save still under way."""
    removed = []
    for temp in path.parent.glob(f".{glob_escape(path.name)}.*{TEMP_SUFFIX}"):
        if temp.is_symlink() or not temp.is_file():
            continue
        with contextlib.suppress(FileNotFoundError, PermissionError):
            temp.unlink()
            removed.append(temp)
    return removed


def glob_escape(name: str) -> str:
    """``name`` with the characters glob treats specially escaped."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


def _copy_metadata(path: Path, temp: Path) -> None:
    st = path.stat()
    os.chmod(temp, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown"):
        temp_st = temp.stat()
        if (temp_st.st_uid, temp_st.st_gid) != (st.st_uid, st.st_gid):
            # Only root (or a group member) may give the file back its owner and group; anyone
            # else keeps the new file as their own, which is what a save from Excel does too.
            with contextlib.suppress(PermissionError):
                os.chown(temp, st.st_uid, st.st_gid)


def _rotate_backups(path: Path, backups: int) -> None:
    if backups <= 0:
        return
    names = backup_names(path, backups)
    for older, newer in zip(reversed(names[1:]), reversed(names[:-1]), strict=True):
        if newer.exists():
            os.replace(newer, older)
    staging = path.with_name(f".{path.name}.bak{TEMP_SUFFIX}")
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    try:
        try:
            os.link(path, staging)
        except OSError:
            # no hard links here (FAT, some network shares): copy instead
            shutil.copy2(path, staging)
        os.replace(staging, names[0])
    except BaseException:
        with contextlib.suppress(OSError):  # a failed rotation leaves no staging file
            staging.unlink()
        raise


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
