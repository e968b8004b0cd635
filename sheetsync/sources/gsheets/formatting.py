"""Highlighting, frozen header, filter and per-owner filter views, installed idempotently.

Each function compares what the sheet has (from the metadata read) with what the plan wants
and returns only the requests that close the gap, so a second sync sends nothing.

How our conditional-format rules are told from the user's: a rule is ours when it has one
range on the table's sheet starting at row 2, column A, and its formula is exactly of the form
``=$F2="DUE"`` naming a flag. Ours that differ from what the plan wants (another Flag column,
another colour, a wider table) are deleted and added again; every other rule is left alone.
Filter views are ours when their title starts with ``Due: ``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sheetsync.schema import col_letter
from sheetsync.sources.base import HighlightRule, WritePlan

#: every flag the product defines; a rule keyed on one of these in our exact shape is ours
FLAGS = frozenset(
    {"OVERDUE", "DUE", "SCHEDULED", "CARD", "QUEUED", "CUT", "DNC", "CLOSED", "CHECK"}
)
VIEW_PREFIX = "Due: "
UNASSIGNED = "(unassigned)"
#: the flags an owner's view shows: what needs doing today
VIEW_FLAGS = ("DUE", "OVERDUE", "CARD")
_OUR_FORMULA = re.compile(r'^=\$([A-Z]{1,3})2="((?:[^"]|"")*)"$')
_COLOR_TOLERANCE = 1 / 255


@dataclass
class SheetMeta:
    """What the metadata read tells about one worksheet."""

    sheet_id: int
    title: str
    index: int = 0
    hidden: bool = False
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    filter_views: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_api(cls, sheet: dict[str, Any]) -> SheetMeta:
        props = sheet.get("properties") or {}
        grid = props.get("gridProperties") or {}
        return cls(
            sheet_id=int(props.get("sheetId") or 0),
            title=str(props.get("title", "")),
            index=int(props.get("index") or 0),
            hidden=bool(props.get("hidden", False)),
            row_count=int(grid.get("rowCount") or 0),
            col_count=int(grid.get("columnCount") or 0),
            frozen_rows=int(grid.get("frozenRowCount") or 0),
            conditional_formats=list(sheet.get("conditionalFormats") or []),
            basic_filter=sheet.get("basicFilter"),
            filter_views=list(sheet.get("filterViews") or []),
        )


def _text(value: str) -> str:
    """A string literal for a Sheets formula."""
    return '"' + value.replace('"', '""') + '"'


def _rgb(hex_colour: str) -> dict[str, float]:
    hex_colour = hex_colour.lstrip("#")
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": red, "green": green, "blue": blue}


# --- conditional formats --------------------------------------------------------------------


def flag_formula(flag_col: int, flag: str) -> str:
    return f"=${col_letter(flag_col)}2={_text(flag)}"


def wanted_rule(rule: HighlightRule, sheet_id: int, flag_col: int, width: int) -> dict[str, Any]:
    """The conditional-format rule that tints a table row whose Flag cell is ``rule.flag``."""
    fmt: dict[str, Any] = {"backgroundColor": _rgb(rule.fill)}
    text: dict[str, Any] = {}
    if rule.font:
        text["foregroundColor"] = _rgb(rule.font)
    if rule.strike:
        text["strikethrough"] = True
    if text:
        fmt["textFormat"] = text
    return {
        "ranges": [
            {
                "sheetId": sheet_id,
                "startRowIndex": 1,
                "startColumnIndex": 0,
                "endColumnIndex": width,
            }
        ],
        "booleanRule": {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [{"userEnteredValue": flag_formula(flag_col, rule.flag)}],
            },
            "format": fmt,
        },
    }


def _formula(rule: dict[str, Any]) -> str | None:
    condition = (rule.get("booleanRule") or {}).get("condition") or {}
    values = condition.get("values") or []
    if condition.get("type") != "CUSTOM_FORMULA" or len(values) != 1:
        return None
    return str(values[0].get("userEnteredValue", ""))


def is_ours(rule: dict[str, Any], sheet_id: int, flags: frozenset[str]) -> bool:
    ranges = rule.get("ranges") or []
    if len(ranges) != 1:
        return False
    grid = ranges[0]
    if int(grid.get("sheetId") or 0) != sheet_id:
        return False
    if (grid.get("startRowIndex") or 0) != 1 or (grid.get("startColumnIndex") or 0) != 0:
        return False
    match = _OUR_FORMULA.match(_formula(rule) or "")
    return bool(match) and match.group(2).replace('""', '"') in flags


def _close(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    a, b = a or {}, b or {}
    return all(
        abs(float(a.get(k) or 0) - float(b.get(k) or 0)) <= _COLOR_TOLERANCE
        for k in ("red", "green", "blue")
    )


def same_rule(have: dict[str, Any], want: dict[str, Any], height: int) -> bool:
    """Does an existing rule do what the wanted one does (range, formula, colours)?"""
    if _formula(have) != _formula(want):
        return False
    grid, wanted = have["ranges"][0], want["ranges"][0]
    if grid.get("endColumnIndex") != wanted["endColumnIndex"]:
        return False
    end_row = grid.get("endRowIndex")
    if end_row is not None and end_row < height:
        return False
    have_fmt = (have.get("booleanRule") or {}).get("format") or {}
    want_fmt = want["booleanRule"]["format"]
    have_text = have_fmt.get("textFormat") or {}
    want_text = want_fmt.get("textFormat") or {}
    return (
        _close(have_fmt.get("backgroundColor"), want_fmt.get("backgroundColor"))
        and ("foregroundColor" in have_text) == ("foregroundColor" in want_text)
        and _close(have_text.get("foregroundColor"), want_text.get("foregroundColor"))
        and bool(have_text.get("strikethrough")) == bool(want_text.get("strikethrough"))
    )


def highlight_requests(
    sheet: SheetMeta, highlight: Sequence[HighlightRule], flag_col: int, width: int, height: int
) -> list[dict[str, Any]]:
    """Delete our stale rules and add the wanted ones at the top; nothing when in step."""
    flags = FLAGS | {rule.flag for rule in highlight}
    ours = [
        (i, rule)
        for i, rule in enumerate(sheet.conditional_formats)
        if is_ours(rule, sheet.sheet_id, flags)
    ]
    wanted = [wanted_rule(rule, sheet.sheet_id, flag_col, width) for rule in highlight]
    if len(ours) == len(wanted) and all(
        same_rule(have, want, height) for (_, have), want in zip(ours, wanted, strict=True)
    ):
        return []
    requests: list[dict[str, Any]] = [
        {"deleteConditionalFormatRule": {"sheetId": sheet.sheet_id, "index": i}}
        for i, _ in reversed(ours)
    ]
    requests += [
        {"addConditionalFormatRule": {"rule": rule, "index": k}} for k, rule in enumerate(wanted)
    ]
    return requests


# --- frozen header and basic filter ---------------------------------------------------------


def header_requests(sheet: SheetMeta, width: int, row_count: int) -> list[dict[str, Any]]:
    """Freeze the header row unless rows are frozen already; set a filter unless there is one
    that covers the table (an existing one is widened, its criteria kept)."""
    requests: list[dict[str, Any]] = []
    if sheet.frozen_rows < 1 and row_count > 1:
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": sheet.sheet_id,
                        "gridProperties": {"frozenRowCount": 1},
                    },
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
    current = sheet.basic_filter
    grid = (current or {}).get("range") or {}
    covers = (
        current is not None
        and (grid.get("startRowIndex") or 0) == 0
        and (grid.get("startColumnIndex") or 0) == 0
        and (grid.get("endColumnIndex") is None or grid["endColumnIndex"] >= width)
    )
    if not covers:
        # No filter, or one that leaves tool columns out: set one over the whole table,
        # keeping the user's sorting and criteria.
        wanted: dict[str, Any] = {
            "range": {
                "sheetId": sheet.sheet_id,
                "startRowIndex": 0,
                "startColumnIndex": 0,
                "endColumnIndex": max(width, int(grid.get("endColumnIndex") or 0)),
            }
        }
        for key in ("sortSpecs", "filterSpecs") if current else ():
            if current.get(key):
                wanted[key] = current[key]
        if current and not current.get("filterSpecs") and current.get("criteria"):
            wanted["criteria"] = current["criteria"]
        requests.append({"setBasicFilter": {"filter": wanted}})
    return requests


#: pixels per character of a column width (Sheets' default 100-pixel column shows about 13)
PIXELS_PER_CHARACTER = 7
PIXELS_PADDING = 10


def width_requests(sheet: SheetMeta, widths: dict[int, int]) -> list[dict[str, Any]]:
    """Set the width of each column the sync creates (0-based column -> characters, see
    :func:`~sheetsync.sources.widths.created_widths`); other columns keep theirs."""
    return [
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": sheet.sheet_id,
                    "dimension": "COLUMNS",
                    "startIndex": col,
                    "endIndex": col + 1,
                },
                "properties": {"pixelSize": chars * PIXELS_PER_CHARACTER + PIXELS_PADDING},
                "fields": "pixelSize",
            }
        }
        for col, chars in sorted(widths.items())
    ]


# --- per-owner filter views -----------------------------------------------------------------


def owner_key(owner: str) -> str:
    """Owners compare case- and space-insensitively, as the formula's LOWER(TRIM()) does."""
    return " ".join(owner.split()).lower()


def wanted_view(owner: str, sheet_id: int, owner_col: int, flag_col: int, width: int) -> dict:
    """The filter view "Due: OWNER": that owner's rows flagged DUE, OVERDUE or CARD."""
    owner_cell = f"${col_letter(owner_col)}2"
    flag_cell = f"${col_letter(flag_col)}2"
    if owner_key(owner):
        who = f"=LOWER(TRIM({owner_cell}))={_text(owner_key(owner))}"
    else:
        who = f"=LEN(TRIM({owner_cell}))=0"
    what = "=OR(" + ",".join(f"{flag_cell}={_text(flag)}" for flag in VIEW_FLAGS) + ")"
    return {
        "title": VIEW_PREFIX + (" ".join(owner.split()) or UNASSIGNED),
        "range": {
            "sheetId": sheet_id,
            "startRowIndex": 0,
            "startColumnIndex": 0,
            "endColumnIndex": width,
        },
        "filterSpecs": [
            {
                "columnIndex": owner_col,
                "filterCriteria": {
                    "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": who}]}
                },
            },
            {
                "columnIndex": flag_col,
                "filterCriteria": {
                    "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": what}]}
                },
            },
        ],
    }


def _specs(view: dict[str, Any]) -> list[tuple[int, str, tuple[str, ...]]]:
    out = []
    for spec in view.get("filterSpecs") or []:
        condition = (spec.get("filterCriteria") or {}).get("condition") or {}
        values = tuple(str(v.get("userEnteredValue", "")) for v in condition.get("values") or [])
        out.append((int(spec.get("columnIndex") or 0), str(condition.get("type", "")), values))
    return sorted(out)


def same_view(have: dict[str, Any], want: dict[str, Any], height: int) -> bool:
    grid, wanted = have.get("range") or {}, want["range"]
    end_row = grid.get("endRowIndex")
    return (
        (grid.get("startRowIndex") or 0) == 0
        and (grid.get("startColumnIndex") or 0) == 0
        and grid.get("endColumnIndex") == wanted["endColumnIndex"]
        and (end_row is None or end_row >= height)
        and _specs(have) == _specs(want)
    )


def view_requests(
    sheet: SheetMeta, plan: WritePlan, width: int, height: int
) -> list[dict[str, Any]]:
    """Add, update or delete our "Due: " views so there is exactly one per current owner."""
    owner_col = getattr(plan, "owner_col", None)
    owners: Sequence[str] = getattr(plan, "owners", ()) or ()
    wanted: dict[str, dict[str, Any]] = {}
    if owner_col is not None:
        for owner in owners:
            view = wanted_view(owner, sheet.sheet_id, owner_col, plan.flag_col, width)
            wanted.setdefault(view["title"], view)
    ours: dict[str, list[dict[str, Any]]] = {}
    for view in sheet.filter_views:
        title = str(view.get("title", ""))
        if title.startswith(VIEW_PREFIX):
            ours.setdefault(title, []).append(view)
    deletes: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    adds: list[dict[str, Any]] = []
    for title, views in ours.items():
        want = wanted.get(title)
        if want is None:
            deletes += [{"deleteFilterView": {"filterId": v["filterViewId"]}} for v in views]
            continue
        keep = next((v for v in views if same_view(v, want, height)), None)
        if keep is None:
            keep = views[0]
            updates.append(
                {
                    "updateFilterView": {
                        "filter": {**want, "filterViewId": keep["filterViewId"]},
                        "fields": "range,filterSpecs",
                    }
                }
            )
        deletes += [
            {"deleteFilterView": {"filterId": v["filterViewId"]}} for v in views if v is not keep
        ]
    for title, want in wanted.items():
        if title not in ours:
            adds.append({"addFilterView": {"filter": want}})
    return deletes + updates + adds
