"""Readable widths for the columns a sync creates, in Excel and in Google Sheets alike.

A column the tool creates (its header written where the sheet had none: ``Next Contact``,
``Next Action``, ``Flag``, ``Why`` on a first sync) gets a width that shows its longest value,
header included: a date in full rather than ``####``, an action or a reason readable without
widening. Capped so that a long ``Why`` does not push the rest of the sheet off screen. Columns
that already existed keep whatever width they have: a width a user set is never changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import repeat
from operator import contains

from .base import WritePlan, columns_of

#: widths in characters (of the font's digits): at least a short word, at most this much text
MIN_WIDTH = 8
MAX_WIDTH = 60
#: characters of margin beside the longest value (Excel and Sheets pad cells a little)
MARGIN = 2


def created_widths(plan: WritePlan, headers: Mapping[int, object]) -> dict[int, int]:
    """Column (0-based) -> width in characters for each column ``plan`` creates: one whose
    header it writes where ``headers`` (the header row as read) has none."""
    widths: dict[int, int] = {}
    for col, (rows, values) in columns_of(plan.cells).items():
        if not rows or rows[0] != 0 or headers.get(col) not in (None, ""):
            continue
        longest = max(_longest(values, plan.date_format), MIN_WIDTH - MARGIN)
        widths[col] = min(longest + MARGIN, MAX_WIDTH)
    return widths


def _longest(values: list[object], date_format: str) -> int:
    """Characters of the longest of ``values`` as a sheet shows them."""
    kinds = set(map(type, values))
    texts = values if kinds == {str} else [value for value in values if type(value) is str]
    longest = max(map(len, texts), default=0)
    if longest and any(map(contains, texts, repeat("\n"))):  # a text of lines: its longest line
        longest = max(len(line) for text in texts for line in text.split("\n"))
    if len(texts) < len(values):
        if kinds & {dt.date, dt.datetime}:
            # a date shows as its format (yyyy-mm-dd: 10 characters; a month name: up to 9)
            longest = max(longest, len(date_format.replace("mmmm", "m" * 9)))
        if kinds & {int, float}:
            numbers = [value for value in values if type(value) in (int, float)]
            longest = max([longest, *map(len, map(str, numbers))])
    return longest
