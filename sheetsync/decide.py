"""Stage 2 of a sync, decide: the engine (README, "The rules" 0-9) over the rows read, with
what was remembered of them at the last sync. Pure: no clock, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sheetsync import remembered
from sheetsync.config import Config
from sheetsync.engine import Decisions, Prospects, decide
from sheetsync.level import Overload, apply_levelling, sheet_next_contact
from sheetsync.read import Sheet
from sheetsync.remembered import Records
from sheetsync.sources.base import SheetData
from sheetsync.workdays import Calendar


@dataclass
class SheetDecisions:
    decisions: Decisions
    #: the memory records as read (every worksheet's), to diff the new ones against
    records: Records
    #: days a rep's windows could not keep within their capacity (README, "Even workloads")
    overloads: list[Overload]


def decide_sheet(sheet: Sheet, data: SheetData, config: Config, today: dt.date) -> SheetDecisions:
    """Decide every row of ``sheet`` as of ``today``, then level each rep's touches inside
    their windows where the config sets a capacity."""
    records = remembered.parse(data.memory)
    memory = remembered.align(records, data.title, sheet.ids, ~sheet.duplicate)
    calendar = Calendar(config.rules, years_of(sheet.prospects, today))
    decisions = decide(sheet.prospects, memory, config.rules, today, calendar)
    decisions, overloads = apply_levelling(
        decisions,
        sheet.prospects,
        sheet_next_contact(data, sheet.layout, config),
        config,
        today,
        sheet.owner_names,
        calendar,
    )
    return SheetDecisions(decisions, records, overloads)


def years_of(prospects: Prospects, today: dt.date) -> range:
    """The years whose holidays a decision can touch."""
    dates = np.concatenate([prospects.last_contact, prospects.note_sent, prospects.call_back])
    dates = dates[~np.isnat(dates)]
    first = int(str(dates.min())[:4]) if len(dates) else today.year
    last = int(str(dates.max())[:4]) if len(dates) else today.year
    return range(max(min(first, today.year - 1), 1900), max(last, today.year) + 3)
