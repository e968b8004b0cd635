"""One sync of one source, the library call behind ``sheetsync sync``: lock the source, read
its cells, then the pure stages read -> decide -> plan (``plan_sync``), write the plan back,
report."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from sheetsync.config import Config
from sheetsync.decide import decide_sheet
from sheetsync.errors import Locked, SourceChanged, SourceError, UsageError
from sheetsync.plan import SyncResult, plan_writes
from sheetsync.read import read_sheet
from sheetsync.report import Summary
from sheetsync.sources.base import SheetData, Source

log = logging.getLogger(__name__)

#: where the run locks live (default: the machine's temp folder)
LOCK_DIR_ENV = "SHEETSYNC_LOCK_DIR"
#: how long a second sync of the same source waits for the first before giving up (exit 3)
LOCK_WAIT_SECONDS = 10.0


@dataclass
class SyncRun:
    """What one sync of one source did."""

    source: str
    summary: Summary
    result: SyncResult
    dry_run: bool
    written: bool
    seconds: float
    data: SheetData
    warnings: list[str] = field(default_factory=list)


def plan_sync(data: SheetData, config: Config, today: dt.date) -> SyncResult:
    """Decide every row of ``data`` and plan the cells to write (the pure stages)."""
    sheet = read_sheet(data, config)
    return plan_writes(data, sheet, decide_sheet(sheet, data, config, today), config)


def open_source(spec: str, sheet: str | None, config: Config, read_only: bool = False) -> Source:
    """An Excel file path, a Google Sheets URL or ``gsheet:KEY``, a OneDrive/SharePoint URL or
    ``msgraph:/drives/D/items/I``, opened on ``sheet``. ``read_only``: to read it alone (a
    local workbook open in Excel is then read as saved)."""
    from sheetsync.sources.msgraph import is_msgraph_source

    if is_msgraph_source(spec):  # before the suffix test: a SharePoint URL may end in .xlsx
        from sheetsync.sources.msgraph.source import MicrosoftSource

        return MicrosoftSource.from_config(spec, sheet, config)
    web = spec.startswith(("http://", "https://"))
    suffix = Path(spec).suffix.lower()
    if not web and suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"):
        from sheetsync.sources.excel import ExcelSource

        return ExcelSource(spec, sheet, backups=config.backups, read_only=read_only)

    from sheetsync.sources.gsheets import GoogleSheetSource, is_google_source

    if web and not is_google_source(spec):  # never taken for a local path
        raise UsageError(
            "a web address that is neither a OneDrive/SharePoint link nor a Google Sheets URL: "
            "download the workbook and sync the file, or give its OneDrive or SharePoint link"
        )
    if is_google_source(spec):
        return GoogleSheetSource(
            spec, sheet, credentials=config.credentials or None, retry_seconds=config.retry_seconds
        )
    raise UsageError(
        f"{spec!r} is neither an .xlsx/.xlsm file nor a Google Sheets URL or gsheet:KEY"
    )


#: how many times a source that changed between read and write is read and decided again
RESYNC_ATTEMPTS = 3


def _write_or_resync(
    source: Source, data: SheetData, result: SyncResult, config: Config, today: dt.date
) -> tuple[SheetData, SyncResult]:
    """Write ``result``; when the source says someone saved it since the read (nothing written),
    read, decide and write again, at most ``RESYNC_ATTEMPTS`` times."""
    for attempt in range(RESYNC_ATTEMPTS + 1):
        try:
            source.write(result.plan)
            return data, result
        except SourceChanged as ex:
            if attempt == RESYNC_ATTEMPTS:
                raise SourceChanged(
                    f"it was saved by someone else {attempt + 1} times while it was "
                    "being synced: someone is editing it; nothing was written, run the sync "
                    "again later"
                ) from ex
            log.info("%s; reading it again", ex)
            data = source.read()
            result = plan_sync(data, config, today)
    raise AssertionError("unreachable")


def lock_path(key: str) -> Path:
    """One lock file per source, in ``SHEETSYNC_LOCK_DIR``, else in a folder of the user's own
    (the lock is released by the system if the process dies)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    chosen = os.environ.get(LOCK_DIR_ENV)
    folder = Path(chosen) if chosen else _own_lock_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f"{digest}.lock"
        with open(probe, "a"):  # the lock file must be creatable: say so now, in one line
            pass
    except OSError as ex:
        where = f"{LOCK_DIR_ENV}={folder}" if chosen else str(folder)
        raise SourceError(
            f"cannot create the run lock in {where} ({ex.strerror or ex}): set {LOCK_DIR_ENV} "
            "to a folder you can write"
        ) from ex
    return probe


def _own_lock_folder() -> Path:
    """``sheetsync-locks-<uid>`` in the temp folder, so users of one machine never share (or
    block) a lock folder; if that name is taken by someone else's folder (or a link), the
    user's cache folder instead."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"sheetsync-locks-{uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode) and st.st_uid == uid:
        return folder
    try:
        return Path.home() / ".cache" / "sheetsync" / "locks"
    except (RuntimeError, KeyError):  # no home folder: the message names the temp one
        return folder


class _Warnings(logging.Handler):
    """Collects the warnings logged during one sync, for the report (``--json``)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def sync_source(
    source: Source,
    config: Config,
    today: dt.date,
    dry_run: bool = False,
    lock_wait: float | None = None,
) -> SyncRun:
    """Sync ``source``: decide every row and write the changes (unless ``dry_run``)."""
    started = time.monotonic()
    lock_wait = LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
    path = lock_path(source.lock_key)
    lock = FileLock(str(path), timeout=lock_wait)
    try:
        lock.acquire()
    except Timeout as ex:
        raise Locked(
            f"another sync of {source.key} is running (waited {lock_wait:g} s); try again later"
        ) from ex
    except OSError as ex:
        raise SourceError(
            f"cannot take the run lock {path} ({ex.strerror or ex}): set {LOCK_DIR_ENV} to a "
            "folder you can write"
        ) from ex
    warnings = _Warnings()
    logging.getLogger("sheetsync").addHandler(warnings)
    collecting = gc.isenabled()
    # The cyclic garbage collector is paused for the sync: a big sheet is millions of live
    # objects, each full collection walks them all (a tenth of a 100,000-row sync), and the
    # sync makes no cycles worth collecting. Reference counting frees memory as usual.
    gc.disable()
    try:
        data = source.read()
        result = plan_sync(data, config, today)
        written = False
        if not dry_run:
            data, result = _write_or_resync(source, data, result, config, today)
            written = result.plan.changed
        log.info(
            "%s: %d rows read, %d cells %s",
            source.key,
            result.summary.rows_read,
            result.summary.cells_changed,
            "would change" if dry_run else "written",
        )
    finally:
        try:
            source.close()
        finally:
            if collecting:
                gc.enable()
            logging.getLogger("sheetsync").removeHandler(warnings)
            lock.release()
    return SyncRun(
        source=source.key,
        summary=result.summary,
        result=result,
        dry_run=dry_run,
        written=written,
        seconds=time.monotonic() - started,
        data=data,
        warnings=warnings.messages,
    )
