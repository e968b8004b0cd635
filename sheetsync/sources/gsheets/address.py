"""What names a Google spreadsheet on the command line: its URL (``#gid=`` picks the worksheet)
or ``gsheet:KEY``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sheetsync.errors import UsageError

_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_URL_KEY = re.compile(r"/spreadsheets(?:/u/\d+)?/d/([A-Za-z0-9_-]+)")
PREFIX = "gsheet:"


@dataclass(frozen=True)
class SheetAddress:
    """A spreadsheet key, and the worksheet id (``gid``) when the URL named one."""

    key: str
    gid: int | None = None


def is_google_source(text: str) -> bool:
    """True when ``text`` names a Google spreadsheet (a Sheets URL or ``gsheet:KEY``)."""
    text = text.strip()
    if text.lower().startswith(PREFIX):
        return True
    parts = urlsplit(text)
    return (
        parts.scheme in ("http", "https")
        and parts.netloc.lower().endswith("docs.google.com")
        and "/spreadsheets/" in parts.path
    )


def parse_source(text: str) -> SheetAddress:
    """Parse a Sheets URL or ``gsheet:KEY``. Raises UsageError for anything else."""
    text = text.strip()
    if text.lower().startswith(PREFIX):
        key = text[len(PREFIX) :].strip().strip("/")
        if not _KEY.match(key):
            raise UsageError(
                f"{text!r} is not a spreadsheet key: use gsheet:KEY with the long id from the "
                "spreadsheet's URL (docs.google.com/spreadsheets/d/KEY/edit)"
            )
        return SheetAddress(key)
    if not is_google_source(text):
        raise UsageError(
            f"{text!r} is not a Google Sheets URL: expected "
            "https://docs.google.com/spreadsheets/d/KEY/edit or gsheet:KEY"
        )
    parts = urlsplit(text)
    match = _URL_KEY.search(parts.path)
    if not match or not _KEY.match(match.group(1)):
        raise UsageError(f"no spreadsheet key in {text!r}: copy the URL from the browser again")
    gid_text = None
    for fragment_or_query in (parts.fragment, parts.query):
        found = parse_qs(fragment_or_query).get("gid")
        if found:
            gid_text = found[0]
            break
    gid = None
    if gid_text is not None:
        if not gid_text.isdigit():
            raise UsageError(f"the gid in {text!r} is not a number")
        gid = int(gid_text)
    return SheetAddress(match.group(1), gid)
