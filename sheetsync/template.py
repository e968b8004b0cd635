"""The starter workbook: a "Prospects" sheet with every column, dropdowns and formats.

``sheetsync init FILE.xlsx`` calls :func:`write_starter_workbook`; ``scripts/make_template.py``
regenerates ``templates/prospects.xlsx`` with it; the demo workbook (``sheetsync.demo_data``)
reuses :func:`new_prospects_workbook` and :func:`format_prospects_sheet` for the same look.

Headers come from ``sheetsync.schema.FIELD_HEADERS`` and dropdown values from
``sheetsync.choices``, so the template never disagrees with what the engine accepts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync.choices import DROPDOWNS, NUMBER_RANGES
from sheetsync.schema import FIELD_HEADERS, OWNED_FIELDS, match_headers

SHEET_TITLE = "Prospects"
#: field keys of the template's columns, in order (the order of FIELD_HEADERS)
TEMPLATE_FIELDS: tuple[str, ...] = tuple(FIELD_HEADERS)
#: the template's header row: the canonical header of each field
TEMPLATE_HEADERS: tuple[str, ...] = tuple(FIELD_HEADERS[f][0] for f in TEMPLATE_FIELDS)
#: validations and formats cover sheet rows 2 .. LAST_ROW (room for a team's first sheet)
LAST_ROW = 1000
#: columns holding dates, shown as DATE_FORMAT
DATE_FIELDS: tuple[str, ...] = ("last_contact", "note_sent", "call_back", "next_contact")
DATE_FORMAT = "yyyy-mm-dd"
#: columns the tool writes (a rep may still overwrite Attempts): a different header colour
TOOL_FIELDS: tuple[str, ...] = ("attempts", *OWNED_FIELDS)

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
TOOL_HEADER_FILL = PatternFill(fill_type="solid", start_color="FFE7E6E6", end_color="FFE7E6E6")

#: column widths in characters; fields not listed get DEFAULT_WIDTH
COLUMN_WIDTHS: dict[str, float] = {
    "id": 10,
    "company": 28,
    "contact": 20,
    "email": 30,
    "phone": 15,
    "owner": 10,
    "stage": 11,
    "phase": 12,
    "priority": 9,
    "last_contact": 13,
    "last_outcome": 17,
    "attempts": 9,
    "note_sent": 12,
    "call_back": 12,
    "preferred_channel": 10,
    "contact_every": 9,
    "do_not_contact": 9,
    "next_contact": 13,
    "next_action": 21,
    "flag": 11,
    "why": 70,
}
DEFAULT_WIDTH = 12.0
#: room for two lines of a wrapped header ("Preferred / Channel")
HEADER_HEIGHT = 30.0


def _field_columns(headers: Sequence[object]) -> dict[str, int]:
    """Field key -> 1-based column of the fields present in ``headers`` (schema's matching)."""
    layout = match_headers(headers)
    return {name: col + 1 for name, col in layout.columns.items() if col < len(headers)}


def _column_range(col: int, last_row: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}2:{letter}{last_row}"


def _list_validation(header: str, values: Sequence[str]) -> DataValidation:
    # A warning, not a stop: the tool matches case-insensitively and accepts more spellings
    # (Do Not Contact "x"), and anything it cannot read becomes a CHECK row, never a crash.
    return DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=header,
        error=f"{header} is one of: {', '.join(values)} (or blank).",
    )


def _range_validation(header: str, low: int, high: int) -> DataValidation:
    return DataValidation(
        type="whole",
        operator="between",
        formula1=str(low),
        formula2=str(high),
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=header,
        error=f"{header} is a whole number of days from {low} to {high} (or blank).",
    )


def format_prospects_sheet(ws: Worksheet, last_row: int = LAST_ROW, data_rows: int = 0) -> None:
    """Style a prospects sheet whose header row is already written.

    Bold, filled headers (tool-written columns in grey); column widths; dropdowns and number
    validations on rows 2..``last_row``; the date format on date columns (as a column style,
    and on the first ``data_rows`` data rows' cells, since a cell written by openpyxl does not
    inherit its column's style); a frozen header row; a filter over the header and the data.
    Columns are found by their headers (as a sync finds them), so a sheet with fewer or
    reordered columns works too; the header row must be one a sync accepts (LayoutError).
    """
    headers = [cell.value for cell in ws[1]]
    columns = _field_columns(headers)
    field_at = {col: name for name, col in columns.items()}

    for col in range(1, len(headers) + 1):
        name = field_at.get(col)
        cell = ws.cell(row=1, column=col)
        cell.font = HEADER_FONT
        cell.fill = TOOL_HEADER_FILL if name in TOOL_FIELDS else HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        width = COLUMN_WIDTHS.get(name, DEFAULT_WIDTH) if name else DEFAULT_WIDTH
        ws.column_dimensions[get_column_letter(col)].width = width

    for name, values in DROPDOWNS.items():
        if name in columns:
            validation = _list_validation(FIELD_HEADERS[name][0], values)
            validation.add(_column_range(columns[name], last_row))
            ws.add_data_validation(validation)
    for name, (low, high) in NUMBER_RANGES.items():
        if name in columns:
            validation = _range_validation(FIELD_HEADERS[name][0], low, high)
            validation.add(_column_range(columns[name], last_row))
            ws.add_data_validation(validation)

    for name in DATE_FIELDS:
        if name not in columns:
            continue
        col = columns[name]
        ws.column_dimensions[get_column_letter(col)].number_format = DATE_FORMAT
        for row in range(2, data_rows + 2):
            ws.cell(row=row, column=col).number_format = DATE_FORMAT

    ws.row_dimensions[1].height = HEADER_HEIGHT
    ws.freeze_panes = "A2"
    last_col = get_column_letter(max(len(headers), 1))
    ws.auto_filter.ref = f"A1:{last_col}{data_rows + 1}"


def new_prospects_workbook(headers: Sequence[str] = TEMPLATE_HEADERS) -> tuple[Workbook, Worksheet]:
    """A new workbook whose only sheet is "Prospects" with ``headers`` in row 1 (unstyled)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new Workbook always has an active sheet
    ws.title = SHEET_TITLE
    ws.append(list(headers))
    return wb, ws


def write_cell(ws: Worksheet, row: int, col: int, value: object) -> None:
    """Write ``value`` as a value: text starting with ``=`` stays text, never a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def write_starter_workbook(path: Path) -> None:
    """Write the starter workbook (sheet "Prospects", headers only) to ``path``.

    The file is written as is: the caller decides whether an existing file may be replaced.
    """
    wb, ws = new_prospects_workbook()
    format_prospects_sheet(ws)
    wb.save(path)
