"""Who gets a digest: e-mail addresses checked, and each owner's address looked up."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sheetsync.config import Config

#: a plain address, no display name: local@domain.tld; no spaces, quotes, brackets or commas
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
#: what splits an Owner cell naming several reps ("Dana / Luis", "Dana, Luis", "Dana & Luis")
_SEVERAL = re.compile(r"\s*(?:/|,|;|&|\+|\band\b)\s*", re.IGNORECASE)


def parse_address(text: str) -> str | None:
    """``text`` stripped when it is one plain e-mail address, else None."""
    text = text.strip()
    if len(text) > 254 or not _ADDRESS.fullmatch(text) or ".." in text:
        return None
    return text


@dataclass(frozen=True)
class Recipient:
    """Where one owner's digest goes: ``address``, or ``reason`` why it goes nowhere."""

    address: str | None
    reason: str = ""


def recipient(owner: str, config: Config, unassigned: str) -> Recipient:
    """The owner's address: ``[owners.NAME] email``, else the Owner cell when it is itself an
    address. An Owner cell naming several reps ("Dana / Luis") is one owner, as in the sync's
    summary and the "Due:" filter views: it gets a digest only through its own
    ``[owners."Dana / Luis"]`` entry, never one copy per name (two reps would call one
    prospect)."""
    from sheetsync.cellvalues import owner_key

    if owner == unassigned:
        return Recipient(None, "rows without an Owner")
    settings = config.owners.get(owner_key(owner))
    if settings is not None and settings.email:
        return Recipient(settings.email)
    address = parse_address(owner)
    if address is not None:
        return Recipient(address)
    if "@" in owner:
        return Recipient(None, f"the Owner cell {owner!r} is not an e-mail address")
    if len([part for part in _SEVERAL.split(owner) if part]) > 1:
        return Recipient(
            None,
            "the Owner cell names several reps: give each row one owner, or add "
            f"[owners.{_toml_key(owner)}] email",
        )
    return Recipient(
        None, f'no address: add [owners.{_toml_key(owner)}] email = "..." to the config'
    )


def _toml_key(name: str) -> str:
    """``Dana`` as is, ``"Dana / Luis"`` quoted: the table name as the config spells it."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
