"""Each rep's list for today, built from a sync's read and decide (never a write).

``sheetsync agenda`` prints it; the daily digest (``sheetsync.notify``) sends it. What is on it:
the rows flagged ``OVERDUE``, then ``DUE``, then ``CARD``, each group ordered by priority A
first, then the oldest window (earliest Next Contact), then sheet order. The calendar file
(``sheetsync.ics``) adds the ``SCHEDULED`` rows of the next :data:`UPCOMING_DAYS` days.

Example::

    source = open_source("prospects.xlsx", None, config)
    agenda = read_agenda(source.read(), config, today, source.key)
    for owner, items in agenda.by_owner().items():
        print(owner, [item.id for item in items])
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sheetsync import choices
from sheetsync.cellvalues import owner_key, text_keys
from sheetsync.config import Config
from sheetsync.decide import decide_sheet
from sheetsync.engine import Decisions
from sheetsync.read import FORMULA_START, UNASSIGNED, Sheet, read_sheet
from sheetsync.sources.base import SheetData

#: what a rep does today, in the order the list shows it
TODAY_FLAGS: tuple[str, ...] = ("OVERDUE", "DUE", "CARD")
#: the calendar file also holds the SCHEDULED rows of this many days ahead
UPCOMING_DAYS = 14
#: the flags an agenda holds: today's list, the calendar's next days, the rows to fix
_LISTED = frozenset((*TODAY_FLAGS, "SCHEDULED", "CHECK"))
#: the columns of every line, as the CSV and JSON name them
COLUMNS: tuple[str, ...] = (
    "Owner",
    "ID",
    "Company",
    "Contact",
    "Phone",
    "Email",
    "Next Action",
    "Next Contact",
    "Flag",
    "Why",
)


@dataclass(frozen=True, slots=True)
class Item:
    """One prospect on a rep's list (texts as the sheet shows them, "" when blank)."""

    owner: str
    id: str
    company: str
    contact: str
    phone: str
    email: str
    next_action: str
    next_contact: dt.date | None
    flag: str
    why: str
    priority: str
    #: sheet row number (2 = the first data row)
    row: int

    def values(self) -> tuple[str, ...]:
        """The line's values in :data:`COLUMNS` order (dates as YYYY-MM-DD)."""
        day = self.next_contact.isoformat() if self.next_contact else ""
        return (
            self.owner,
            self.id,
            self.company,
            self.contact,
            self.phone,
            self.email,
            self.next_action,
            day,
            self.flag,
            self.why,
        )

    @property
    def who(self) -> str:
        """Company and contact, as one label ("Acme, Jane Doe")."""
        return ", ".join(part for part in (self.company, self.contact) if part) or self.id


@dataclass
class Agenda:
    """The lists of one source on one day."""

    #: the source's key (a path, gsheet:KEY#sheet): calendar UIDs and sent-state derive from it
    source: str
    #: the worksheet's title ("Prospects")
    title: str
    today: dt.date
    #: OVERDUE, DUE and CARD rows, by owner (name order, unassigned last), then in list order
    items: list[Item] = field(default_factory=list)
    #: SCHEDULED rows whose Next Contact is within UPCOMING_DAYS, earliest first
    upcoming: list[Item] = field(default_factory=list)
    #: CHECK rows: data a person must fix (the manager's roll-up lists them)
    checks: list[Item] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The source and the worksheet: what calendar UIDs and the sent-state are keyed by
        (two worksheets of one workbook are two lists)."""
        suffix = f"#{self.title}"
        return self.source if self.source.endswith(suffix) else self.source + suffix

    def owners(self) -> list[str]:
        """Owners with something to do today, sorted by name, unassigned last."""
        names = {item.owner for item in self.items}
        return sorted(names, key=lambda name: (name == UNASSIGNED, name.casefold()))

    def by_owner(self) -> dict[str, list[Item]]:
        grouped: dict[str, list[Item]] = {name: [] for name in self.owners()}
        for item in self.items:
            grouped[item.owner].append(item)
        return grouped

    def only(self, owner: str) -> Agenda:
        """This agenda for one owner (compared case- and space-insensitively)."""
        key = owner_key(owner)

        def keep(items: list[Item]) -> list[Item]:
            return [i for i in items if owner_key(i.owner) == key]

        return Agenda(
            source=self.source,
            title=self.title,
            today=self.today,
            items=keep(self.items),
            upcoming=keep(self.upcoming),
            checks=keep(self.checks),
        )


def counts(items: Iterable[Item]) -> dict[str, int]:
    """How many of each flag, in TODAY_FLAGS order (zeros left out)."""
    found: dict[str, int] = {}
    for item in items:
        found[item.flag] = found.get(item.flag, 0) + 1
    return {flag: found[flag] for flag in (*TODAY_FLAGS, "SCHEDULED", "CHECK") if flag in found}


def read_agenda(data: SheetData, config: Config, today: dt.date, source: str) -> Agenda:
    """Read and decide every row of ``data`` exactly as a sync would (the same stages, without
    planning any write), then list them."""
    sheet = read_sheet(data, config)
    decisions = decide_sheet(sheet, data, config, today).decisions
    return agenda_of(data, sheet, decisions, today, source)


def agenda_of(
    data: SheetData, sheet: Sheet, decisions: Decisions, today: dt.date, source: str
) -> Agenda:
    """The agenda of one worksheet from its read and decide stages (a sync's own, when the
    digest follows it: ``run.result.sheet``, ``run.result.decided.decisions``)."""
    flags, next_contact = decisions.flag, decisions.next_contact
    horizon = np.datetime64(today + dt.timedelta(days=UPCOMING_DAYS), "D")
    listed_mask = np.zeros(len(flags), dtype=bool)
    for flag in _LISTED:
        listed_mask |= flags == flag
    listed_mask &= (flags != "SCHEDULED") | (next_contact <= horizon)
    listed = np.flatnonzero(listed_mask).tolist()
    rows = data.rows

    def column(name: str) -> list[str]:
        """The listed rows' cells of field ``name`` as text (each distinct value once)."""
        col = sheet.layout.col(name)
        if col is None:
            return [""] * len(listed)
        cells = [rows[row][col] if col < len(rows[row]) else None for row in listed]
        return text_keys(cells)

    company, contact, phone, email = map(column, ("company", "contact", "phone", "email"))
    priority = [_PRIORITY[code] for code in sheet.prospects.priority[listed].tolist()]
    days = next_contact[listed].astype(object).tolist()
    flag_of, action, why = (a[listed].tolist() for a in (flags, decisions.action, decisions.why))
    owners, ids = sheet.owner_names, sheet.ids

    agenda = Agenda(source=source, title=data.title, today=today)
    by_flag = {"SCHEDULED": agenda.upcoming, "CHECK": agenda.checks}
    for at, row in enumerate(listed):
        item = Item(
            owner=owners[row],
            id=ids[row],
            company=company[at],
            contact=contact[at],
            phone=phone[at],
            email=email[at],
            next_action=action[at] or "",
            next_contact=days[at],
            flag=flag_of[at],
            why=why[at] or "",
            priority=priority[at],
            row=row + 2,
        )
        by_flag.get(item.flag, agenda.items).append(item)
    agenda.items.sort(key=_list_order)
    agenda.upcoming.sort(key=lambda i: (i.next_contact, i.priority != "A", i.row))
    return agenda


#: a priority code of the read stage -> its letter ("" for blank or not a priority)
_PRIORITY = ("", *choices.PRIORITIES)


def _list_order(item: Item) -> tuple[Any, ...]:
    return (
        item.owner == UNASSIGNED,
        item.owner.casefold(),
        TODAY_FLAGS.index(item.flag),
        item.priority != "A",
        item.next_contact or dt.date.max,
        item.row,
    )


# --- what `sheetsync agenda` prints ------------------------------------------------------------


def summary(items: Sequence[Item]) -> str:
    """``2 overdue, 5 due, 3 cards`` (the digest's subject says the same)."""
    found = counts(items)
    parts = []
    for flag, one, many in (("OVERDUE", "overdue", "overdue"), ("DUE", "due", "due")):
        if found.get(flag):
            parts.append(f"{found[flag]} {one if found[flag] == 1 else many}")
    if found.get("CARD"):
        parts.append(f"{found['CARD']} card{'' if found['CARD'] == 1 else 's'}")
    return ", ".join(parts) or "nothing due"


def item_lines(item: Item) -> list[str]:
    """One prospect as three plain-text lines (the digest's text part and piped output)."""
    when = item.next_contact.isoformat() if item.next_contact else ""
    priority = " (priority A)" if item.priority == "A" else ""
    reach = " · ".join(part for part in (item.phone, item.email) if part)
    return [
        f"  {item.flag:<8} {item.id}  {item.who}{priority}",
        f"           {item.next_action or '(no action)'}, next contact {when}"
        + (f" · {reach}" if reach else ""),
        f"           Why: {item.why}",
    ]


def plain_lines(agenda: Agenda, limit: int | None = None) -> list[str]:
    """Per owner: a heading and each item; ``limit`` caps each owner's list."""
    lines: list[str] = []
    for owner, items in agenda.by_owner().items():
        lines.append(f"{owner}: {summary(items)}")
        for item in items[:limit]:
            lines.extend(item_lines(item))
        if limit is not None and len(items) > limit:
            lines.append(f"  ... and {len(items) - limit} more: open the sheet")
        lines.append("")
    if not lines:
        lines = [f"{agenda.title}: nothing due today ({agenda.today.isoformat()})", ""]
    return lines[:-1]


def plain_text(agendas: Sequence[Agenda]) -> str:
    """Every agenda's plain lines; with several sheets, each list headed by its sheet (no
    sheet read: nothing)."""
    blocks = []
    for agenda in agendas:
        heading = [f"== {agenda.title} in {agenda.source} =="] if len(agendas) > 1 else []
        blocks.append("\n".join([*heading, *plain_lines(agenda)]))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def to_csv(agendas: Sequence[Agenda]) -> str:
    """One row per prospect: COLUMNS, then the Source (as the JSON names it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((*COLUMNS, "Source"))
    for agenda in agendas:
        for item in agenda.items:
            writer.writerow([_csv_safe(v) for v in (*item.values(), agenda.source)])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet opening the CSV must not read as a formula gets a leading ``'``;
    a phone number in international form (``+44 20 7946 0958``: no letters, nothing a
    spreadsheet can run) stays as it is."""
    if text.startswith(FORMULA_START) and not _PHONE.fullmatch(text):
        return "'" + text
    return text


_PHONE = re.compile(r"\+[\d (][\d ().-]*")


def to_json(agendas: Sequence[Agenda]) -> str:
    rows = []
    for agenda in agendas:
        for item in agenda.items:
            row: dict[str, Any] = dict(zip(COLUMNS, item.values(), strict=True))
            row["Next Contact"] = row["Next Contact"] or None
            row["Source"] = agenda.source
            rows.append(row)
    return json.dumps(rows, ensure_ascii=False, indent=1)


def print_table(agendas: Sequence[Agenda]) -> None:
    """The agenda as rich tables, one per owner, for a person at a terminal (every column of
    the CSV, two facts to a cell so that 80 columns stay readable; the Why is never cut)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text  # cells are plain text: "[red]" in a cell is not mark-up

    console = Console()
    for agenda in agendas:
        grouped = agenda.by_owner()
        if not grouped:
            console.print(Text(f"{agenda.title}: nothing due today ({agenda.today.isoformat()})"))
        for owner, items in grouped.items():
            where = f"{agenda.title} in {agenda.source}" if len(agendas) > 1 else agenda.title
            table = Table(title=Text(f"{owner}: {summary(items)} ({where})"), show_lines=True)
            table.add_column("Flag / ID", no_wrap=True)
            table.add_column("Company / Contact", overflow="fold", ratio=3)
            table.add_column("Phone / E-mail", overflow="fold", ratio=3)
            table.add_column("Next Action / Contact", ratio=2)
            table.add_column("Why", overflow="fold", ratio=5)  # never cut: the reason to call
            for item in items:
                when = item.next_contact.isoformat() if item.next_contact else ""
                cells = (
                    item.flag + "\n" + item.id + (" (A)" if item.priority == "A" else ""),
                    "\n".join(p for p in (item.company, item.contact) if p),
                    "\n".join(p for p in (item.phone, item.email) if p),
                    "\n".join(p for p in (item.next_action, when) if p),
                    item.why,
                )
                table.add_row(*map(Text, cells), style=_STYLE.get(item.flag))
            console.print(table)


_STYLE = {"OVERDUE": "red", "DUE": "yellow", "CARD": "blue"}
