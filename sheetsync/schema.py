"""Fields, their aliases, and matching a header row to them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sheetsync.errors import LayoutError

#: field key -> (canonical header, aliases). Order is the order of the starter template.
FIELD_HEADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "id": ("ID", ("Id", "Key", "Prospect ID", "Lead ID")),
    "company": ("Company", ("Account", "Organisation", "Organization", "Business")),
    "contact": ("Contact", ("Name", "Contact Name", "Person")),
    "email": ("Email", ("E-mail", "Email Address", "Mail")),
    "phone": ("Phone", ("Telephone", "Tel", "Mobile", "Phone Number")),
    "owner": ("Owner", ("Rep", "Sales Rep", "Assigned To", "Salesperson")),
    "stage": ("Stage", ("Status", "Lead Status")),
    "phase": ("Phase", ()),
    "priority": ("Priority", ()),
    "last_contact": (
        "Last Contact",
        ("Last Contacted", "Last Touch", "Last Activity", "Last Call"),
    ),
    "last_outcome": ("Last Outcome", ("Outcome", "Result", "Last Result")),
    "attempts": ("Attempts", ()),
    "note_sent": ("Note Sent", ("Card Sent", "Letter Sent")),
    "call_back": ("Call Back", ("Callback", "Call Back On", "Follow Up On")),
    "preferred_channel": ("Preferred Channel", ()),
    "contact_every": ("Contact Every", ()),
    "do_not_contact": ("Do Not Contact", ("DNC", "Do Not Call", "Opted Out")),
    "next_contact": ("Next Contact", ()),
    "next_action": ("Next Action", ()),
    "flag": ("Flag", ()),
    "why": ("Why", ()),
}
FIELDS: tuple[str, ...] = tuple(FIELD_HEADERS)

#: fields that identify who a row is about: a row with none of them is blank
WHO_FIELDS = ("id", "company", "contact", "email", "phone")
#: columns the tool owns and creates at the right end when missing, in this order
OWNED_FIELDS = ("next_contact", "next_action", "flag", "why")
CREATED_FIELDS = ("id", "attempts", *OWNED_FIELDS)


def normalize(text: Any) -> str:
    """Case-, space- and punctuation-insensitive form of a header or a choice value."""
    return re.sub(r"[\W_]+", "", str(text)).casefold()


@dataclass(frozen=True)
class Layout:
    """Where each known field sits in the sheet (0-based column), after header matching."""

    columns: Mapping[str, int]
    #: headers of the columns the tool must create, as (column, header) in order
    created: tuple[tuple[int, str], ...]
    width: int

    def col(self, name: str) -> int | None:
        return self.columns.get(name)


def match_headers(
    headers: Sequence[Any], overrides: Mapping[str, str] | None = None, data_width: int = 0
) -> Layout:
    """Match a header row to fields; report every problem of the row in one LayoutError.

    ``data_width`` is the widest data row: created columns go right of it, never over data.
    """
    lookup: dict[str, str] = {}
    for name, (canonical, aliases) in FIELD_HEADERS.items():
        for text in (canonical, *aliases):
            lookup[normalize(text)] = name
    # A configured header wins: it is how a team names a field the aliases do not know.
    for name, header in (overrides or {}).items():
        lookup = {k: v for k, v in lookup.items() if v != name}
        lookup[normalize(header)] = name

    found: dict[str, list[int]] = {}
    for col, header in enumerate(headers):
        if header is None or str(header).strip() == "":
            continue
        name = lookup.get(normalize(header))
        if name is not None:
            found.setdefault(name, []).append(col)

    problems = []
    if not any(str(h).strip() for h in headers if h is not None):
        problems.append("the first row holds no headers")
    for name, cols in found.items():
        if len(cols) > 1:
            shown = " and ".join(f'"{headers[c]}" ({col_letter(c)})' for c in cols)
            problems.append(f"{shown} both mean {FIELD_HEADERS[name][0]}")
    if "last_contact" not in found:
        problems.append('missing column "Last Contact"')
    if not any(f in found for f in WHO_FIELDS):
        problems.append(
            "missing a column that names the prospect: one of ID, Company, Contact, Email, Phone"
        )
    if problems:
        raise LayoutError(
            "sheet layout: " + "; ".join(problems) + " (fix the header row, or map it in [columns])"
        )

    columns = {name: cols[0] for name, cols in found.items()}
    width = max(len(headers), data_width)
    created = []
    for name in CREATED_FIELDS:
        if name not in columns:
            columns[name] = width
            created.append((width, FIELD_HEADERS[name][0]))
            width += 1
    return Layout(columns=columns, created=tuple(created), width=width)


def col_letter(col: int) -> str:
    """0-based column -> its letters: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
