"""An agenda as an RFC 5545 calendar (``sheetsync agenda --format ics``, the digest's
attachment): one all-day VEVENT per item due today and per SCHEDULED item of the next two
weeks. Each event's UID is derived from the source and the row's ID, and its SEQUENCE goes up
by one a day, so importing tomorrow's file updates yesterday's events instead of adding
copies."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from icalendar import Calendar, Event

from sheetsync.agenda import Agenda, Item

PRODID = "-//sheetsync//agenda//EN"
SEQUENCE_EPOCH = dt.date(2000, 1, 1)


def uid(source: str, row_id: str) -> str:
    """Stable across days and syncs: the same prospect of the same worksheet (``source``:
    :attr:`Agenda.key`), the same UID."""
    digest = hashlib.sha256(f"{source}\0{row_id}".encode()).hexdigest()[:32]
    return f"{digest}@sheetsync"


def sequence(today: dt.date) -> int:
    """The version of an event in the list of ``today``: days since 2000-01-01, so each day's
    file is newer than the day before's, and a calendar app takes its date as a change (an app
    may keep the old date of an event whose SEQUENCE did not go up)."""
    return (today - SEQUENCE_EPOCH).days


def _event(agenda: Agenda, item: Item, day: dt.date, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", uid(agenda.key, item.id))
    event.add("sequence", sequence(agenda.today))
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", f"{item.flag}: {item.next_action or 'Follow up'} - {item.who}")
    details = [f"Why: {item.why}"]
    details += [f"{label}: {value}" for label, value in _reach(item) if value]
    details.append(f"{agenda.title}, row {item.row}, ID {item.id}")
    event.add("description", "\n".join(details))
    event.add("categories", [item.flag])
    event.add("transp", "TRANSPARENT")  # a to-do, not a meeting: the day stays free
    if item.phone:
        event.add("location", item.phone)
    return event


def _reach(item: Item) -> list[tuple[str, str]]:
    return [
        ("Owner", item.owner),
        ("Contact", item.contact),
        ("Phone", item.phone),
        ("Email", item.email),
        ("Next contact", item.next_contact.isoformat() if item.next_contact else ""),
    ]


def to_ics(
    agendas: Sequence[Agenda], stamp: dt.datetime, limit: int | None = None, name: str = ""
) -> bytes:
    """The calendar of ``agendas`` (``stamp``: when it was made, UTC; ``limit``: at most this
    many items due today and this many scheduled ones, per agenda)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    stamp = stamp.astimezone(dt.UTC)
    for agenda in agendas:
        for item in agenda.items[:limit]:
            calendar.add_component(_event(agenda, item, agenda.today, stamp))
        for item in agenda.upcoming[:limit]:
            assert item.next_contact is not None
            calendar.add_component(_event(agenda, item, item.next_contact, stamp))
    return calendar.to_ical()
