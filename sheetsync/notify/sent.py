"""Which digests went out today, per source: so a second run the same day sends nothing new
and a run after a failed delivery retries only what failed.

Kept in a per-user state file, not in the sheet: remembering a delivery in the sheet's memory
would be a second write after every sync (a rewritten workbook and a new backup each morning,
a second Google request), and a delivery that succeeded while that write failed would be sent
again. The file (``sent.json`` in ``SHEETSYNC_STATE_DIR``, else ``$XDG_STATE_HOME/sheetsync``,
else ``~/.local/state/sheetsync``) is keyed by the source's key, holds only today's entries,
is written atomically (temporary file + rename) with mode 600, and is locked for a whole
delivery so two runs at once never both send.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from sheetsync.errors import SheetsyncError

log = logging.getLogger(__name__)

STATE_DIR_ENV = "SHEETSYNC_STATE_DIR"
#: how long a delivery waits for another run's delivery of the same machine user
LOCK_WAIT_SECONDS = 600.0


def state_dir() -> Path:
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "sheetsync"


class SentState:
    """The digests sent today for one source: ``with SentState(key, day) as sent: ...``."""

    def __init__(self, source: str, day: dt.date, folder: Path | None = None) -> None:
        self.source = source
        self.day = day.isoformat()
        self.path = (folder or state_dir()) / "sent.json"
        self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_WAIT_SECONDS)
        self._data: dict[str, Any] = {}

    def __enter__(self) -> SentState:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._lock.acquire()
        except Timeout as ex:
            raise SheetsyncError(
                f"another run is sending digests (waited {LOCK_WAIT_SECONDS:g} s for "
                f"{self._lock.lock_file})"
            ) from ex
        self._data = self._load()
        return self

    def __exit__(self, *_: object) -> None:
        self._lock.release()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as ex:
            log.warning("%s is unreadable (%s): digests may be sent twice today", self.path, ex)
            return {}
        return data if isinstance(data, dict) else {}

    def _today(self) -> dict[str, str]:
        entry = self._data.get(self.source)
        if not isinstance(entry, dict) or entry.get("day") != self.day:
            return {}
        sent = entry.get("sent")
        return sent if isinstance(sent, dict) else {}

    def was_sent(self, key: str) -> bool:
        return key in self._today()

    def mark(self, key: str, when: dt.datetime) -> None:
        """Remember ``key`` as sent today; saved at once, so a crash later loses nothing."""
        sent = dict(self._today())
        sent[key] = when.isoformat(timespec="seconds")
        self._data[self.source] = {"day": self.day, "sent": sent}
        # entries of other sources from earlier days are of no use any more
        self._data = {
            k: v
            for k, v in self._data.items()
            if k == self.source or (isinstance(v, dict) and v.get("day", "") >= self.day)
        }
        self._save()

    def _save(self) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".sent-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._data, out, ensure_ascii=False, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
