"""The Sheets v4 (and the few Drive v3) endpoints, as plain functions of a parsed request.

Nothing here knows about HTTP; :mod:`fakesheets.server` feeds requests in and writes answers out.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from . import a1, masks
from .batch import apply_batch, public_range, public_rule, public_view
from .errors import ApiError, field_violation
from .model import Cell, Sheet, Spreadsheet
from .values import (
    effective_value,
    extended_value,
    formatted,
    parse_user_entered,
    read_values,
)

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")
DIMENSIONS = ("ROWS", "COLUMNS")

Query = dict[str, list[str]]
Answer = tuple[int, Any]


def new_file_id() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "1" + "".join(random.choice(alphabet) for _ in range(43))


class SheetsApi:
    """Routes a request to its endpoint over a dict of spreadsheets."""

    def __init__(self, books: dict[str, Spreadsheet]) -> None:
        self.books = books
        #: where new sheet ids come from; tests replaying a recording pin them
        self.new_sheet_id: Callable[[Spreadsheet], int] = lambda book: book.new_sheet_id()
        #: where new Drive file ids come from
        self.new_file_id: Callable[[], str] = new_file_id
        self.created: dict[str, str] = {}

    # --- routing --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: Query, body: bytes) -> Answer:
        parts = path.split("/")
        if path.startswith("/drive/v3/files"):
            return self._drive(method, parts[4:], body)
        if len(parts) < 4 or parts[1] != "v4" or parts[2] != "spreadsheets":
            raise ApiError(404, "Not Found")
        key, _, action = parts[3].partition(":")
        book = self._book(unquote(key))
        rest = parts[4:]
        if not rest:
            if method == "GET" and not action:
                return 200, self.get_spreadsheet(book, query)
            if method == "POST" and action == "batchUpdate":
                return 200, self.batch_update(book, _json(body))
            raise ApiError(404, "Not Found")
        if rest[0].startswith("values"):
            head, _, values_action = rest[0].partition(":")
            if head != "values":
                raise ApiError(404, "Not Found")
            if len(rest) == 1:
                if method == "GET" and values_action == "batchGet":
                    return 200, self.values_batch_get(book, query)
                if method == "POST" and values_action == "batchUpdate":
                    return 200, self.values_batch_update(book, _json(body))
                if method == "POST" and values_action == "batchClear":
                    return 200, self.values_batch_clear(book, _json(body))
                raise ApiError(404, "Not Found")
            raw_range = "/".join(rest[1:])
            suffix = ""
            if ":" in raw_range and raw_range.rsplit(":", 1)[1] in ("clear", "append"):
                raw_range, suffix = raw_range.rsplit(":", 1)
            range_text = unquote(raw_range)
            if method == "GET" and not suffix:
                return 200, self.values_get(book, range_text, query)
            if method == "PUT" and not suffix:
                return 200, self.values_update(book, range_text, query, _json(body))
            if method == "POST" and suffix == "clear":
                return 200, self.values_clear(book, range_text)
            if method == "POST" and suffix == "append":
                return 200, self.values_append(book, range_text, query, _json(body))
        raise ApiError(404, "Not Found")

    def _book(self, key: str) -> Spreadsheet:
        book = self.books.get(key)
        if book is None:
            raise ApiError(404)
        if book.private:
            raise ApiError(403)
        return book

    # --- Drive: just enough to replay the recordings' setup and teardown ---------------------

    def _drive(self, method: str, rest: list[str], body: bytes) -> Answer:
        if method == "POST" and not rest:
            given = _json(body)
            key = self.new_file_id()
            book = Spreadsheet(key=key, title=given.get("name") or "Untitled spreadsheet")
            book.sheets.append(Sheet(sheet_id=0, title="Sheet1"))
            self.books[key] = book
            self.created[key] = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
            return 200, {
                "kind": "drive#file",
                "id": key,
                "name": book.title,
                "mimeType": "application/vnd.google-apps.spreadsheet",
            }
        if rest:
            key = unquote(rest[0])
            book = self._book(key)
            if method == "DELETE":
                del self.books[key]
                return 204, None
            if method == "GET":
                stamp = self.created.get(key, "2024-01-01T00:00:00.000Z").replace("+00:00", "Z")
                return 200, {
                    "id": key,
                    "name": book.title,
                    "createdTime": stamp,
                    "modifiedTime": stamp,
                }
        raise ApiError(404, "Not Found")

    # --- spreadsheets.get -----------------------------------------------------------------

    def get_spreadsheet(self, book: Spreadsheet, query: Query) -> dict[str, Any]:
        mask = masks.parse(_one(query, "fields", ""))
        with_data = _one(query, "includeGridData", "false").lower() == "true"
        if _one(query, "fields", ""):
            with_data = masks.mentions(mask, "sheets", "data")
        ranges = query.get("ranges") or []
        wanted: dict[int, list[tuple[int, int, int, int]]] = {}
        for text in ranges:
            sheet, parsed = self._resolve(book, text)
            wanted.setdefault(sheet.sheet_id, []).append(
                parsed.clamp(sheet.row_count, sheet.col_count)
            )
        sheets = []
        for sheet in book.sheets:
            if ranges and sheet.sheet_id not in wanted:
                continue
            item: dict[str, Any] = {"properties": sheet.properties()}
            if sheet.conditional_formats:
                item["conditionalFormats"] = [public_rule(r) for r in sheet.conditional_formats]
            if sheet.basic_filter:
                item["basicFilter"] = public_view(sheet.basic_filter)
            if sheet.filter_views:
                item["filterViews"] = [public_view(v) for v in sheet.filter_views]
            if with_data:
                blocks = wanted.get(sheet.sheet_id) or [(0, sheet.row_count, 0, sheet.col_count)]
                item["data"] = [grid_data(sheet, block) for block in blocks]
            sheets.append(item)
        answer = {
            "spreadsheetId": book.key,
            "properties": book.properties(),
            "sheets": sheets,
            "spreadsheetUrl": book.url(),
        }
        return masks.apply(answer, mask)

    # --- batchUpdate ----------------------------------------------------------------------

    def batch_update(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        replies = apply_batch(book, body.get("requests"), lambda: self.new_sheet_id(book))
        answer: dict[str, Any] = {"spreadsheetId": book.key, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            answer["updatedSpreadsheet"] = self.get_spreadsheet(book, {})
        return answer

    # --- values ---------------------------------------------------------------------------

    def _resolve(self, book: Spreadsheet, text: str) -> tuple[Sheet, a1.A1Range]:
        try:
            parsed = a1.parse(text, book.titles())
        except a1.RangeError as err:
            raise ApiError(400, f"Unable to parse range: {text}") from err
        if parsed.title is None:
            sheet = book.sheets[0]
        else:
            found = book.sheet_by_title(parsed.title)
            if found is None:
                raise ApiError(400, f"Unable to parse range: {text}")
            sheet = found
        return sheet, parsed

    def _value_range(self, book: Spreadsheet, text: str, query: Query) -> dict[str, Any]:
        sheet, parsed = self._resolve(book, text)
        major = _choice(query, "majorDimension", "ROWS", DIMENSIONS, "major_dimension")
        value_render = _choice(
            query, "valueRenderOption", "FORMATTED_VALUE", VALUE_RENDER, "value_render_option"
        )
        datetime_render = _choice(
            query,
            "dateTimeRenderOption",
            "SERIAL_NUMBER",
            DATETIME_RENDER,
            "date_time_render_option",
        )
        bounds = parsed.clamp(sheet.row_count, sheet.col_count)
        answer: dict[str, Any] = {
            "range": a1.format_range(sheet.title, *bounds),
            "majorDimension": major,
        }
        values = read_values(sheet, bounds, major, value_render, datetime_render)
        if values:
            answer["values"] = values
        return answer

    def values_get(self, book: Spreadsheet, text: str, query: Query) -> dict[str, Any]:
        return self._value_range(book, text, query)

    def values_batch_get(self, book: Spreadsheet, query: Query) -> dict[str, Any]:
        return {
            "spreadsheetId": book.key,
            "valueRanges": [
                self._value_range(book, text, query) for text in query.get("ranges") or []
            ],
        }

    def _write_values(
        self, book: Spreadsheet, text: str, values: Any, major: str | None, option: str
    ) -> dict[str, Any]:
        if not isinstance(values, list):
            raise field_violation(
                "data.values",
                "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), "
                + json.dumps(values),
            )
        for i, line in enumerate(values):
            if not isinstance(line, list):
                raise field_violation(
                    f"data.values[{i}]",
                    f"Invalid value at 'data.values[{i}]' "
                    "(type.googleapis.com/google.protobuf.ListValue), " + json.dumps(line),
                )
        major = major or "ROWS"
        if major not in DIMENSIONS:
            raise ApiError(400, f"Invalid majorDimension: {major}")
        sheet, parsed = self._resolve(book, text)
        if major == "COLUMNS":
            width = max((len(line) for line in values), default=0)
            values = [[line[r] if r < len(line) else None for line in values] for r in range(width)]
        r0, r1, c0, c1 = parsed.unbounded()
        if parsed.single:
            r1 = c1 = None
        height = len(values)
        width = max((len(line) for line in values), default=0)
        if (r1 is not None and r0 + height > r1) or (c1 is not None and c0 + width > c1):
            raise ApiError(
                400,
                f"Requested writing within range [{text}], but tried writing "
                f"{'to row [' + str(r0 + height) + ']' if r1 is not None and r0 + height > r1 else 'to column [' + a1.column_letters(c0 + width - 1) + ']'}",
            )
        if r0 + height > sheet.row_count or c0 + width > sheet.col_count:
            raise ApiError(
                400,
                f"Range ({a1.format_range(sheet.title, r0, r0 + height, c0, c0 + width)}) exceeds "
                f"grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}",
            )
        for i, line in enumerate(values):
            for j, raw in enumerate(line):
                if isinstance(raw, dict | list):
                    raise ApiError(400, f"Invalid values[{i}][{j}]: {json.dumps(raw)}")
        # Everything is checked above: from here on nothing fails half-way.
        for i, line in enumerate(values):
            for j, raw in enumerate(line):
                if raw is None:
                    continue
                number_format = None
                value = raw
                if option == "USER_ENTERED":
                    value, number_format = parse_user_entered(raw)
                if value == "":
                    value = None
                old = sheet.cell(r0 + i, c0 + j)
                cell = Cell() if old is None else Cell(old.value, old.fmt, old.note, old.validation)
                cell.value = value
                if number_format:
                    cell.fmt = {**(cell.fmt or {}), "numberFormat": number_format}
                sheet.put(r0 + i, c0 + j, cell)
        end_r, end_c = r0 + max(height, 1), c0 + max(width, 1)
        return {
            "spreadsheetId": book.key,
            "updatedRange": a1.format_range(sheet.title, r0, end_r, c0, end_c),
            "updatedRows": height,
            "updatedColumns": width,
            "updatedCells": sum(len(line) for line in values),
        }

    def _input_option(self, given: Any) -> str:
        if not given:
            raise ApiError(400, "'valueInputOption' is required but not specified")
        if given not in INPUT_OPTIONS:
            raise ApiError(
                400,
                "Invalid value at 'value_input_option' "
                f'(type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "{given}"',
            )
        return str(given)

    def values_update(
        self, book: Spreadsheet, text: str, query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        option = self._input_option(_one(query, "valueInputOption", ""))
        answer = self._write_values(
            book, text, body.get("values"), body.get("majorDimension"), option
        )
        if _one(query, "includeValuesInResponse", "false").lower() == "true":
            answer["updatedData"] = self._value_range(book, answer["updatedRange"], query)
        return answer

    def values_append(
        self, book: Spreadsheet, text: str, query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        option = self._input_option(_one(query, "valueInputOption", ""))
        sheet, parsed = self._resolve(book, text)
        last_row, _ = sheet.value_extent()
        values = body.get("values") or []
        need = last_row + len(values)
        if need > sheet.row_count:
            sheet.row_count = need
        col = parsed.start_col or 0
        start = f"{a1.quote_title(sheet.title)}!{a1.column_letters(col)}{last_row + 1}"
        updates = self._write_values(book, start, values, body.get("majorDimension"), option)
        return {
            "spreadsheetId": book.key,
            "tableRange": a1.format_range(sheet.title, 0, max(last_row, 1), 0, sheet.col_count),
            "updates": updates,
        }

    def values_batch_update(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        option = self._input_option(body.get("valueInputOption"))
        saved = [s.snapshot() for s in book.sheets]
        responses = []
        try:
            for item in body.get("data") or []:
                responses.append(
                    self._write_values(
                        book,
                        item.get("range", ""),
                        item.get("values"),
                        item.get("majorDimension"),
                        option,
                    )
                )
        except ApiError:
            book.sheets = saved
            raise
        sheets = {r["updatedRange"].rsplit("!", 1)[0] for r in responses}
        return {
            "spreadsheetId": book.key,
            "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
            "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
            "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "totalUpdatedSheets": len(sheets),
            "responses": responses,
        }

    def _clear(self, book: Spreadsheet, text: str) -> str:
        sheet, parsed = self._resolve(book, text)
        r0, r1, c0, c1 = parsed.clamp(sheet.row_count, sheet.col_count)
        for r in range(r0, min(r1, len(sheet.rows))):
            for c in range(c0, min(c1, len(sheet.rows[r]))):
                old = sheet.cell(r, c)
                if old is not None and old.value is not None:
                    sheet.put(r, c, Cell(None, old.fmt, old.note, old.validation))
        return a1.format_range(sheet.title, r0, r1, c0, c1)

    def values_clear(self, book: Spreadsheet, text: str) -> dict[str, Any]:
        return {"spreadsheetId": book.key, "clearedRange": self._clear(book, text)}

    def values_batch_clear(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        cleared = [self._clear(book, text) for text in body.get("ranges") or []]
        return {"spreadsheetId": book.key, "clearedRanges": cleared}


def cell_data(cell: Cell | None) -> dict[str, Any]:
    """A cell as ``includeGridData`` shows it."""
    if cell is None:
        return {}
    out: dict[str, Any] = {}
    if cell.value is not None:
        out["userEnteredValue"] = extended_value(cell.value)
        out["effectiveValue"] = effective_value(cell)
        out["formattedValue"] = formatted(cell)
    if cell.fmt:
        out["userEnteredFormat"] = copy.deepcopy(cell.fmt)
    if cell.note is not None:
        out["note"] = cell.note
    if cell.validation is not None:
        out["dataValidation"] = copy.deepcopy(cell.validation)
    return out


def grid_data(sheet: Sheet, bounds: tuple[int, int, int, int]) -> dict[str, Any]:
    r0, r1, c0, c1 = bounds
    rows = []
    for r in range(r0, r1):
        cells = [cell_data(sheet.cell(r, c)) for c in range(c0, c1)]
        while cells and not cells[-1]:
            cells.pop()
        rows.append({"values": cells} if cells else {})
    while rows and not rows[-1]:
        rows.pop()
    out: dict[str, Any] = {}
    if r0:
        out["startRow"] = r0
    if c0:
        out["startColumn"] = c0
    if rows:
        out["rowData"] = rows
    out["rowMetadata"] = [{"pixelSize": 21} for _ in range(r0, r1)]
    out["columnMetadata"] = [{"pixelSize": 100} for _ in range(c0, c1)]
    return out


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except ValueError as err:
        raise ApiError(400, f"Invalid JSON payload received. {err}") from err
    if not isinstance(value, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    return value


def _one(query: Query, name: str, default: str) -> str:
    values = query.get(name)
    return values[0] if values else default


def _choice(query: Query, name: str, default: str, allowed: tuple[str, ...], proto: str) -> str:
    value = _one(query, name, default)
    if value not in allowed:
        raise ApiError(
            400,
            f"Invalid value at '{proto}' (type.googleapis.com/google.apps.sheets.v4), \"{value}\"",
        )
    return value


__all__ = ["SheetsApi", "public_range"]
