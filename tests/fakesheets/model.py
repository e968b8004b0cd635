"""The in-memory spreadsheets the fake server holds: sheets, grids of cells, formats, filters."""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

SERIAL_EPOCH = dt.date(1899, 12, 30)

#: Google's defaults for a new spreadsheet, as recorded (``ClientTest.test_open_by_key_has_metadata``).
DEFAULT_PROPERTIES: dict[str, Any] = {
    "locale": "en_US",
    "autoRecalc": "ON_CHANGE",
    "timeZone": "Etc/GMT",
    "defaultFormat": {
        "backgroundColor": {"red": 1, "green": 1, "blue": 1},
        "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
        "verticalAlignment": "BOTTOM",
        "wrapStrategy": "OVERFLOW_CELL",
        "textFormat": {
            "foregroundColor": {},
            "fontFamily": "arial,sans,sans-serif",
            "fontSize": 10,
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "foregroundColorStyle": {"rgbColor": {}},
        },
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
    },
    "spreadsheetTheme": {
        "primaryFontFamily": "Arial",
        "themeColors": [
            {"colorType": "TEXT", "color": {"rgbColor": {}}},
            {"colorType": "BACKGROUND", "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}},
            {
                "colorType": "ACCENT1",
                "color": {"rgbColor": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}},
            },
            {
                "colorType": "ACCENT2",
                "color": {"rgbColor": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}},
            },
            {
                "colorType": "ACCENT3",
                "color": {"rgbColor": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}},
            },
            {
                "colorType": "ACCENT4",
                "color": {"rgbColor": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}},
            },
            {
                "colorType": "ACCENT5",
                "color": {"rgbColor": {"red": 1, "green": 0.42745098, "blue": 0.003921569}},
            },
            {
                "colorType": "ACCENT6",
                "color": {"rgbColor": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}},
            },
            {
                "colorType": "LINK",
                "color": {"rgbColor": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}},
            },
        ],
    },
}


class Formula(str):
    """A cell's formula text (``=4/2``), as opposed to a string value."""


@dataclass(slots=True)
class Cell:
    """One non-empty cell. ``value`` is None, str, int, float, bool or a :class:`Formula`."""

    value: Any = None
    fmt: dict[str, Any] | None = None
    note: str | None = None
    validation: dict[str, Any] | None = None

    def is_empty(self) -> bool:
        return self.value is None and not self.fmt and self.note is None and self.validation is None


@dataclass
class Sheet:
    """One worksheet: properties, a ragged grid of cells, conditional formats and filters."""

    sheet_id: int
    title: str
    index: int = 0
    hidden: bool = False
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    frozen_cols: int = 0
    rows: list[list[Cell | None]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    filter_views: list[dict[str, Any]] = field(default_factory=list)
    #: sizes set by updateDimensionProperties (pixelSize), 0-based index -> pixels
    col_widths: dict[int, int] = field(default_factory=dict)
    row_heights: dict[int, int] = field(default_factory=dict)

    def cell(self, row: int, col: int) -> Cell | None:
        if row < len(self.rows):
            line = self.rows[row]
            if col < len(line):
                return line[col]
        return None

    def put(self, row: int, col: int, cell: Cell | None) -> None:
        if cell is not None and cell.is_empty():
            cell = None
        if cell is None and self.cell(row, col) is None:
            return
        while len(self.rows) <= row:
            self.rows.append([])
        line = self.rows[row]
        while len(line) <= col:
            line.append(None)
        line[col] = cell

    def value_extent(self) -> tuple[int, int]:
        """(rows, columns) up to the last cell holding a value."""
        last_row = 0
        last_col = 0
        for r, line in enumerate(self.rows):
            for c in range(len(line) - 1, -1, -1):
                cell = line[c]
                if cell is not None and cell.value is not None:
                    last_row = r + 1
                    last_col = max(last_col, c + 1)
                    break
        return last_row, last_col

    def properties(self) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True
        return props

    def snapshot(self) -> Sheet:
        """A copy that a failed batchUpdate restores (cells are replaced, never mutated)."""
        clone = copy.copy(self)
        clone.rows = [list(line) for line in self.rows]
        clone.conditional_formats = copy.deepcopy(self.conditional_formats)
        clone.basic_filter = copy.deepcopy(self.basic_filter)
        clone.filter_views = copy.deepcopy(self.filter_views)
        return clone


@dataclass
class Spreadsheet:
    """One spreadsheet file."""

    key: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    #: answered 403 PERMISSION_DENIED, like a file not shared with the caller
    private: bool = False
    locale: str = "en_US"

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def titles(self) -> set[str]:
        return {s.title for s in self.sheets}

    def new_sheet_id(self) -> int:
        taken = {s.sheet_id for s in self.sheets}
        while True:
            candidate = random.randint(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    def reindex(self) -> None:
        self.sheets.sort(key=lambda s: s.index)
        for i, sheet in enumerate(self.sheets):
            sheet.index = i

    def properties(self) -> dict[str, Any]:
        props = {"title": self.title, **copy.deepcopy(DEFAULT_PROPERTIES)}
        props["locale"] = self.locale
        return props

    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.key}/edit"
