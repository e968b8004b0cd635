"""The demo prospect sheet: made-up rows whose dates are relative to ``today``.

``sheetsync demo`` writes :func:`write_demo_workbook` and syncs it. Every name, company, email
(``@example.com``) and phone number (``555-01xx``) is invented. The rows are chosen so that a
sync on a **weekday** ``today`` shows every flag the README lists and exercises every rule:
:func:`demo_expected` gives the flag and Next Action each row is meant to get.

Dates are offsets from ``today`` moved back to the previous workday when they land on a
weekend (nobody logs calls on Sunday), and each offset sits well inside its window, so the
intended flag holds whatever weekday ``today`` is. On a Saturday or Sunday no new ``CARD`` is
given (new cards are given on workdays only), so every stale row shows ``QUEUED`` instead;
a few windows that open "today" then open on Monday (``SCHEDULED``). That is the rule, not a
fault of the demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetsync.schema import FIELD_HEADERS, OWNED_FIELDS
from sheetsync.template import (
    TEMPLATE_HEADERS,
    format_prospects_sheet,
    new_prospects_workbook,
    write_cell,
)

#: field keys of the demo's columns: the template's, without the four tool-owned columns
DEMO_FIELDS: tuple[str, ...] = tuple(f for f in FIELD_HEADERS if f not in OWNED_FIELDS)
DEMO_HEADERS: tuple[str, ...] = tuple(FIELD_HEADERS[f][0] for f in DEMO_FIELDS)

_WORKDAYS = range(5)  # Monday .. Friday (date.weekday())


@dataclass(frozen=True)
class _Row:
    """One demo row: its cells by field key, and what a weekday sync should give it."""

    flag: str | None  # None = the blank row
    action: str
    cells: dict[str, Any] = field(default_factory=dict)


def _back_to_workday(day: dt.date) -> dt.date:
    while day.weekday() not in _WORKDAYS:
        day -= dt.timedelta(days=1)
    return day


def _workdays_before(today: dt.date, count: int) -> dt.date:
    day = today
    while count:
        day -= dt.timedelta(days=1)
        if day.weekday() in _WORKDAYS:
            count -= 1
    return day


def _email(contact: str) -> str:
    local = ".".join("".join(ch for ch in part if ch.isalpha()) for part in contact.split())
    return f"{local.lower()}@example.com"


def _rows(today: dt.date) -> list[_Row]:
    """The demo rows in sheet order. See the module docstring for how dates are chosen."""

    def ago(days: int) -> dt.date:
        return _back_to_workday(today - dt.timedelta(days=days))

    def ahead(days: int) -> dt.date:
        return _back_to_workday(today + dt.timedelta(days=days))

    # A table, one prospect per entry: kept as written (fmt: off) so it reads as a table.
    # fmt: off
    specs: list[tuple[str | None, str, str | None, str | None, str, dict[str, Any]]] = [
        # owner, company, contact, intended flag, intended action, other cells
        ("Dana", "Northwind Fixtures", "Maya Okafor", "DUE", "Call",
         {"stage": "New", "priority": "B"}),
        ("Luis", "Harbor Point Logistics", "Ben Castillo", "CUT", "",
         {"stage": "New", "last_contact": ago(20), "last_outcome": "No answer", "attempts": 3}),
        ("Priya", "Bluefin Analytics", "Hannah Weiss", "DUE", "Call",
         {"stage": "Working", "phase": "Research", "last_contact": ago(16),
          "last_outcome": "Connected", "attempts": 0}),
        ("Dana", "Copperleaf Dental Group", "Owen Marsh", "DUE", "Call",
         {"last_contact": ago(12), "last_outcome": "Voicemail", "attempts": 1}),
        ("Luis", "Summit Ridge Builders", "Carla Jimenez", "CUT", "",
         {"stage": "Working", "last_contact": ago(15), "last_outcome": "Voicemail",
          "attempts": 8}),
        ("Dana", "Pinewood Veterinary", "Grace Liu", "SCHEDULED", "Call",
         {"last_contact": ago(3), "last_outcome": "Connected", "attempts": 0,
          "do_not_contact": "no"}),
        ("Priya", "Orchard Lane Foods", "Tom Becker", "SCHEDULED", "Call",
         {"stage": "Working", "phase": "Need", "last_contact": ago(10),
          "last_outcome": "Meeting", "attempts": 0}),
        ("Dana", "Redstone Metalworks", "Victor Hale", "OVERDUE", "Call",
         {"stage": "Working", "priority": "B", "last_contact": ago(30),
          "last_outcome": "No answer", "attempts": 2}),
        ("Luis", "Kestrel Aviation Services", "Nadia Rahman", "DUE", "Check-in call",
         {"stage": "Customer", "last_contact": ago(95), "last_outcome": "Meeting"}),
        ("Dana", "Brightwater Pools", "Ellen Park", "CARD", "Hand-written note",
         {"priority": "A", "last_contact": ago(190), "last_outcome": "No answer",
          "attempts": 1}),
        ("Luis", "Tidewell Marine Supply", "Sam O'Neill", "SCHEDULED", "Check-in call",
         {"last_contact": ago(20), "last_outcome": "Won", "attempts": 0}),
        ("Priya", "Granite Peak Insurance", "Irene Novak", "SCHEDULED", "Call back (requested)",
         {"stage": "Working", "last_contact": ago(5), "last_outcome": "Connected",
          "attempts": 0, "call_back": ahead(21)}),
        ("Dana", "Meadowbrook Nurseries", "Frank Delgado", "CARD", "Hand-written note",
         {"last_contact": ago(700), "last_outcome": "No answer", "attempts": 1}),
        ("Luis", "Lantern Street Media", "Jules Moreau", "DUE", "Check-in call",
         {"stage": "Lost", "last_contact": ago(186), "last_outcome": "Chose competitor"}),
        ("Priya", "Silverline Plumbing", "Anita Shah", "DUE", "Call back (requested)",
         {"stage": "Working", "last_contact": ago(20), "last_outcome": "Connected",
          "attempts": 0, "call_back": ago(1)}),
        ("Dana", "Foxglove Interiors", "Rita Lindqvist", "CARD", "Hand-written note",
         {"stage": "Stale", "last_contact": ago(500), "last_outcome": "Voicemail"}),
        # blank ID: the tool fills it
        (None, "Cedar Hollow Farms", "Pete Varga", "DUE", "Call", {"id": None}),
        ("Luis", "Quarry Hill Stone", "Derek Ames", "SCHEDULED", "Check-in call",
         {"last_contact": ago(60), "last_outcome": "Not now", "attempts": 0}),
        ("Priya", "Willow Creek Clinics", "Martha Quinn", "OVERDUE", "Check-in call",
         {"stage": "Lost", "last_contact": ago(230), "last_outcome": "Not now"}),
        ("Dana", "Saltmarsh Brewing", "Leo Fischer", "CARD", "Hand-written note",
         {"last_contact": ago(420), "last_outcome": "Connected"}),
        ("Luis", "Amberfield Solar", "Keisha Brooks", "DUE", "Follow-up email",
         {"last_contact": ago(0), "last_outcome": "No answer", "attempts": 1,
          "priority": "B"}),
        None,  # a fully blank row in the middle of the sheet: skipped
        ("Priya", "Ironbridge Tooling", "Paul Hendricks", "SCHEDULED", "Check-in call",
         {"stage": "Customer", "phase": "Repeat", "last_contact": ago(40),
          "last_outcome": "Meeting"}),
        ("Dana", "Hollis & Reed Law", "Joan Hollis", "CARD", "Hand-written note",
         {"last_contact": ago(365), "last_outcome": "No answer", "attempts": 2}),
        ("Luis", "Larkspur Events", "Mina Tanaka", "DUE", "Email",
         {"stage": "Working", "last_contact": ago(12), "last_outcome": "Connected",
          "attempts": 0, "preferred_channel": "Email"}),
        ("Priya", "Northgate Printing", "Walter Simms", "DNC", "",
         {"stage": "Working", "last_contact": ago(8), "last_outcome": "Do not contact"}),
        ("Dana", "Riverside Auto Glass", "Colin Burke", "QUEUED", "Hand-written note",
         {"stage": "Stale", "last_contact": ago(150), "last_outcome": "Email sent",
          "attempts": 1}),
        ("Luis", "Evergreen Property Management", "Alma Reyes", "DUE", "Call",
         {"stage": "Working", "last_contact": ago(32), "last_outcome": "Connected",
          "attempts": 0, "contact_every": 30}),
        ("Priya", "Clearview Optometry", "Daniel Cho", "CLOSED", "",
         {"stage": "Closed", "last_contact": ago(60), "last_outcome": "Not now"}),
        ("Dana", "Oakmont Catering", "Felicity Moss", "QUEUED", "Hand-written note",
         {"last_contact": ago(250), "last_outcome": "No answer", "attempts": 1}),
        ("Luis", "Starling Robotics", "Imran Qureshi", "SCHEDULED", "Call",
         {"stage": "Working", "phase": "Negotiation", "priority": "A",
          "last_contact": ago(0), "last_outcome": "Meeting", "attempts": 0}),
        ("Priya", "Bayside Florists", "Lucy Vance", "CHECK", "",
         {"stage": "Hot", "last_contact": ago(10), "last_outcome": "Connected"}),
        ("Dana", "Glenwood Fitness", "Marcus Webb", "QUEUED", "Hand-written note",
         {"last_contact": ago(300), "last_outcome": "Voicemail", "attempts": 2}),
        ("Luis", "Pelican Bay Seafood", "Rosa Alvarez", "OVERDUE", "Call",
         {"stage": "Working", "phase": "Preference", "last_contact": ago(20),
          "last_outcome": "Connected", "attempts": 0}),
        ("Priya", "Driftwood Coffee Roasters", "Kevin Ortiz", "CHECK", "",
         {"stage": "New", "last_contact": "asap??"}),
        ("Dana", "Stonegate Realty", "Helen Ward", "DUE", "Call (note follow-up)",
         {"stage": "Stale", "last_contact": ago(400), "last_outcome": "No answer",
          "note_sent": _workdays_before(today, 5)}),
        # a duplicate ID pair (the second row was copied and retyped): both CHECK
        ("Luis", "Blackbird Security", "Omar Haddad", "CHECK", "",
         {"stage": "Working", "last_contact": ago(12), "last_outcome": "Connected"}),
        ("Luis", "Wrenfield Storage", "Tessa Lund", "CHECK", "",
         {"stage": "Working", "last_contact": ago(12), "last_outcome": "Connected",
          "id": "same as above"}),
        ("Priya", "Maple & Main Bakery", "Gina Russo", "CHECK", "",
         {"stage": "Working", "last_contact": ahead(10), "last_outcome": "Connected"}),
        ("Dana", "Highline Cycles", "Ray Kowalski", "SCHEDULED", "Re-try call",
         {"stage": "Working", "priority": "A", "last_contact": ago(30),
          "last_outcome": "No answer", "attempts": 8}),
        ("Luis", "Westbrook Cabinetry", "Nora Fitzgerald", "CARD", "Hand-written note",
         {"stage": "Working", "last_contact": ago(210), "last_outcome": "No answer",
          "attempts": 8}),
        ("Priya", "Thistle Textiles", "Agnes Moreland", "CARD", "Hand-written note",
         {"last_contact": ago(260), "last_outcome": "Voicemail", "attempts": 1}),
        ("Priya", "Coral Reef Aquatics", "Dev Malhotra", "CARD", "Hand-written note",
         {"stage": "Stale", "last_contact": ago(300), "last_outcome": "No answer",
          "note_sent": ago(400)}),
        ("Priya", "Juniper Wellness", "Chloe Barnes", "DUE", "Call",
         {"stage": "Stale", "last_contact": ago(12), "last_outcome": "Voicemail",
          "attempts": 1, "note_sent": ago(25)}),
        ("Dana", '=HYPERLINK("https://example.com/lakeside","Lakeside Bakery")', "Ivy Chen",
         "SCHEDULED", "Call",
         {"stage": "Working", "last_contact": ago(3), "last_outcome": "Connected",
          "attempts": 0}),
        ("Dana", "Falcon Ridge Winery", "Hugo Brandt", "DNC", "",
         {"stage": "Working", "last_contact": ago(12), "last_outcome": "Voicemail",
          "attempts": 1, "do_not_contact": "x"}),
        (None, "Mossy Oak Landscaping", "Bert Lang", "CARD", "Hand-written note",
         {"last_contact": ago(400), "last_outcome": "No answer", "attempts": 1}),
        (None, "Tinker Street Toys", "Wendy Hart", "CLOSED", "",
         {"stage": "Closed", "last_contact": ago(90), "last_outcome": "Connected"}),
        ("Luis", "Ashford Dental Lab", "Simone Petit", "DNC", "",
         {"stage": "Working", "last_contact": ago(40), "last_outcome": "Connected",
          "do_not_contact": "yes"}),
    ]
    # fmt: on

    rows: list[_Row] = []
    number = 1000
    previous_id = ""
    for index, spec in enumerate(specs):
        if spec is None:
            rows.append(_Row(flag=None, action=""))
            continue
        owner, company, contact, flag, action, extra = spec
        if "id" not in extra:
            number += 1
        cells: dict[str, Any] = {
            "id": f"P-{number}",
            "company": company,
            "contact": contact,
            "email": _email(contact),
            "phone": f"555-01{index:02d}",
            "owner": owner,
        }
        cells.update(extra)
        if cells["id"] == "same as above":
            cells["id"] = previous_id
        previous_id = cells["id"] or previous_id
        rows.append(_Row(flag=flag, action=action, cells=cells))
    return rows


def demo_rows(today: dt.date) -> tuple[list[str], list[list[Any]]]:
    """The demo sheet's header row and data rows, dates relative to ``today``.

    Headers are the template's minus the four tool-owned columns (Next Contact, Next Action,
    Flag, Why), so a sync creates those. Dates are ``datetime.date`` objects except the
    deliberately broken text ones; one row is fully blank, one has a blank ID.
    """
    return list(DEMO_HEADERS), [
        [row.cells.get(name) for name in DEMO_FIELDS] for row in _rows(today)
    ]


def demo_expected(today: dt.date) -> list[tuple[str, str] | None]:
    """(Flag, Next Action) each row of :func:`demo_rows` should get from a sync on ``today``.

    Holds for a weekday ``today`` (on weekends CARD rows are QUEUED; see the module docstring).
    None for the blank row; an empty action for flags without one.
    """
    return [None if row.flag is None else (row.flag, row.action) for row in _rows(today)]


def write_demo_workbook(path: Path, today: dt.date) -> None:
    """Write the demo rows into a "Prospects" sheet styled like the starter template.

    The sheet has the template's full header row (the tool columns empty, ready for a sync);
    company names that look like formulas are stored as text.
    """
    headers, rows = demo_rows(today)
    wb, ws = new_prospects_workbook(TEMPLATE_HEADERS)
    columns = [TEMPLATE_HEADERS.index(header) + 1 for header in headers]
    for offset, values in enumerate(rows):
        for col, value in zip(columns, values, strict=True):
            if value is not None:
                write_cell(ws, offset + 2, col, value)
    format_prospects_sheet(ws, data_rows=len(rows))
    wb.save(path)
