"""Files that hold credentials: where they live, how they are read and written.

Shared by the Google (:mod:`.gsheets.auth`) and Microsoft (:mod:`.msgraph.auth`) sign-ins. A
token is written readable by its owner alone (0600, folder 0700), atomically; a key file others
can read is warned about through :mod:`logging`; nothing here prints or logs a secret.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from sheetsync.errors import CredentialsError

log = logging.getLogger(__name__)


def config_home() -> Path:
    """The user's config folder: ``%APPDATA%`` on Windows, else ``$XDG_CONFIG_HOME`` or ~/.config."""
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"])
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return Path(xdg) if xdg else Path.home() / ".config"


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` readable by its owner only (0600, folder 0700), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600 before anything is written to it; rename keeps the mode.
    fd, temp = tempfile.mkstemp(prefix=".token-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


#: no credentials or token file is anywhere near this big (a key is about 2 KB)
MAX_CREDENTIALS_BYTES = 1 << 20


def read_json_object(path: Path) -> dict[str, Any]:
    """A credentials file's JSON object. Raises CredentialsError, never quoting the file."""
    try:
        with open(path, "rb") as handle:  # at most 1 MB: /dev/zero or a video is no key
            raw = handle.read(MAX_CREDENTIALS_BYTES + 1)
        if len(raw) > MAX_CREDENTIALS_BYTES:
            raise CredentialsError(
                f"credentials file {path} is over 1 MB: it is not a key or token file; give the "
                "JSON file downloaded from the Google Cloud console or the Azure portal"
            )
        text = raw.decode("utf-8")
    except FileNotFoundError as err:
        raise CredentialsError(f"credentials file {path} does not exist") from err
    except OSError as err:
        raise CredentialsError(f"cannot read credentials file {path}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise CredentialsError(
            f"credentials file {path} is not a JSON text file (it holds binary data): use the "
            "JSON file downloaded from the Google Cloud console or the Azure portal"
        ) from err
    try:
        info = json.loads(text)
    except ValueError as err:
        # The parser's message quotes the text around the fault: do not pass it on.
        raise CredentialsError(f"credentials file {path} is not valid JSON") from err
    if not isinstance(info, dict):
        raise CredentialsError(f"credentials file {path} is not a JSON object")
    return info


def warn_if_shared(path: Path) -> None:
    """Log a warning when users other than the owner can read ``path``."""
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "credentials file %s can be read by other users of this machine: chmod 600 it",
            path,
        )
