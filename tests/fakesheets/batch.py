"""``spreadsheets.batchUpdate``: the request kinds the fake knows, applied atomically."""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from . import masks
from .a1 import column_letters, quote_title
from .errors import ApiError
from .model import Cell, Formula, Sheet, Spreadsheet


class BatchError(Exception):
    """One request of a batch is invalid; the whole batch fails with 400."""


Handler = Callable[[Spreadsheet, dict[str, Any], Callable[[], int]], dict[str, Any]]


def apply_batch(
    book: Spreadsheet, requests: Any, new_id: Callable[[], int] | None = None
) -> list[dict[str, Any]]:
    """Apply every request or none (the real API's batches are atomic); return the replies."""
    if not isinstance(requests, list):
        raise ApiError(400, "Invalid JSON payload received. 'requests' must be a list.")
    new_id = new_id or book.new_sheet_id
    saved = [s.snapshot() for s in book.sheets]
    replies: list[dict[str, Any]] = []
    try:
        for i, request in enumerate(requests):
            if not isinstance(request, dict) or len(request) != 1:
                raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request expected.")
            kind, body = next(iter(request.items()))
            handler = HANDLERS.get(kind)
            if handler is None:
                raise ApiError(
                    400,
                    f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': "
                    "Cannot find field.",
                )
            try:
                replies.append(handler(book, body or {}, new_id))
            except BatchError as err:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: {err}") from err
    except BaseException:
        book.sheets = saved
        raise
    return replies


# --- helpers ------------------------------------------------------------------------------


def _sheet(book: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = book.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise BatchError(f"No grid with id: {sheet_id or 0}")
    return sheet


def grid_bounds(sheet: Sheet, grid_range: dict[str, Any]) -> tuple[int, int, int, int]:
    """A GridRange's concrete bounds; open ends reach the edge of the grid."""
    r0 = int(grid_range.get("startRowIndex") or 0)
    c0 = int(grid_range.get("startColumnIndex") or 0)
    r1 = grid_range.get("endRowIndex")
    c1 = grid_range.get("endColumnIndex")
    r1 = sheet.row_count if r1 is None else int(r1)
    c1 = sheet.col_count if c1 is None else int(c1)
    if r1 > sheet.row_count or c1 > sheet.col_count:
        raise BatchError(
            f"Range ({quote_title(sheet.title)}!{column_letters(c0)}{r0 + 1}:"
            f"{column_letters(max(c1 - 1, c0))}{r1}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0:
        raise BatchError("Invalid range: start must not be after end.")
    return r0, r1, c0, c1


def bounded_range(sheet: Sheet, grid_range: dict[str, Any]) -> dict[str, Any]:
    """A filter's range as the API stores it: open ends bound to the grid."""
    r0, r1, c0, c1 = grid_bounds(sheet, grid_range)
    return {
        "sheetId": sheet.sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def public_range(grid_range: dict[str, Any]) -> dict[str, Any]:
    """A stored GridRange as the API prints it: ``sheetId`` 0 is omitted (proto3 default)."""
    out = dict(grid_range)
    if not out.get("sheetId"):
        out.pop("sheetId", None)
    return out


def _float32(x: float) -> float | int:
    """Colours come back at float32 precision (0.25882354), and 1 as 1."""
    text = np.format_float_positional(np.float32(x), trim="-")
    value = float(text)
    return int(value) if value.is_integer() else value


def normalize_color(color: Any) -> dict[str, Any]:
    if not isinstance(color, dict):
        raise BatchError("Invalid color.")
    out = {}
    for key in ("red", "green", "blue", "alpha"):
        if key in color and color[key] is not None:
            value = float(color[key])
            if not 0 <= value <= 1 or math.isnan(value):
                raise BatchError(f"Invalid color value {key}={color[key]}")
            if value:
                out[key] = _float32(value)
    return out


def normalize_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """Store a CellFormat the way the API echoes it: float32 colours, ``*ColorStyle`` mirrors."""
    out = copy.deepcopy(fmt)
    if "backgroundColor" in out:
        out["backgroundColor"] = normalize_color(out["backgroundColor"])
        out["backgroundColorStyle"] = {"rgbColor": out["backgroundColor"]}
    text = out.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text:
        text["foregroundColor"] = normalize_color(text["foregroundColor"])
        text["foregroundColorStyle"] = {"rgbColor": text["foregroundColor"]}
    return out


def python_value(extended: Any) -> Any:
    """ExtendedValue -> the fake's cell value."""
    if extended is None:
        return None
    if not isinstance(extended, dict) or len(extended) != 1:
        raise BatchError("userEnteredValue must set exactly one of its kinds of value.")
    kind, value = next(iter(extended.items()))
    if kind == "stringValue":
        return None if value == "" else str(value)
    if kind == "numberValue":
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "boolValue":
        return bool(value)
    if kind == "formulaValue":
        if not str(value).startswith("="):
            raise BatchError(f"Invalid formula: {value}")
        return Formula(value)
    raise BatchError(f"Unsupported value kind {kind}")


def _set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for name in path[:-1]:
        node = node.setdefault(name, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)


def _get_path(source: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = source
    for name in path:
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    return node


def _prune(node: dict[str, Any]) -> dict[str, Any]:
    for key in list(node):
        if isinstance(node[key], dict) and key != "rgbColor" and "Color" not in key:
            _prune(node[key])
            if not node[key]:
                del node[key]
    return node


def write_cell(
    sheet: Sheet, row: int, col: int, data: dict[str, Any], paths: list[tuple[str, ...]]
) -> None:
    """Set the fields ``paths`` of one cell from a CellData (a missing field clears)."""
    old = sheet.cell(row, col)
    cell = Cell() if old is None else Cell(old.value, old.fmt, old.note, old.validation)
    for path in paths:
        head = path[0] if path else "*"
        if head == "*":
            paths_here = [
                ("userEnteredValue",),
                ("userEnteredFormat",),
                ("note",),
                ("dataValidation",),
            ]
            for sub in paths_here:
                _write_field(cell, sub, data)
        else:
            _write_field(cell, path, data)
    sheet.put(row, col, cell)


def _write_field(cell: Cell, path: tuple[str, ...], data: dict[str, Any]) -> None:
    head = path[0]
    if head == "userEnteredValue":
        cell.value = python_value(data.get("userEnteredValue"))
    elif head == "userEnteredFormat":
        fmt = copy.deepcopy(cell.fmt) if cell.fmt else {}
        given = data.get("userEnteredFormat") or {}
        if len(path) == 1:
            fmt = normalize_format(given)
        else:
            _set_path(fmt, path[1:], _get_path(given, path[1:]))
            fmt = normalize_format(_prune(fmt))
        cell.fmt = fmt or None
    elif head == "note":
        note = data.get("note")
        cell.note = note if note else None
    elif head == "dataValidation":
        cell.validation = copy.deepcopy(data.get("dataValidation"))
    elif head in ("effectiveValue", "formattedValue", "effectiveFormat"):
        raise BatchError(f"{head} is read-only.")
    else:
        raise BatchError(f"Unknown field {head}")


def _update_paths(fields: Any) -> list[tuple[str, ...]]:
    if not fields:
        raise BatchError("At least one field must be updated, but 'fields' is empty.")
    try:
        return masks.leaves(masks.parse(str(fields)))
    except ValueError as err:
        raise BatchError(str(err)) from err


# --- sheets -------------------------------------------------------------------------------


def add_sheet(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    props = body.get("properties") or {}
    title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
    if book.sheet_by_title(title):
        raise BatchError(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = new_id()
    elif book.sheet_by_id(int(sheet_id)):
        raise BatchError(f"Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    sheet = Sheet(
        sheet_id=int(sheet_id),
        title=title,
        index=int(props.get("index", len(book.sheets))),
        hidden=bool(props.get("hidden", False)),
        row_count=int(grid.get("rowCount", 1000)),
        col_count=int(grid.get("columnCount", 26)),
        frozen_rows=int(grid.get("frozenRowCount", 0)),
        frozen_cols=int(grid.get("frozenColumnCount", 0)),
    )
    for other in book.sheets:
        if other.index >= sheet.index:
            other.index += 1
    book.sheets.append(sheet)
    book.reindex()
    if all(s.hidden for s in book.sheets):
        raise BatchError("You can't hide all the sheets in a document.")
    return {"addSheet": {"properties": sheet.properties()}}


def delete_sheet(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    sheet = _sheet(book, body.get("sheetId"))
    if len(book.sheets) == 1:
        raise BatchError("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.reindex()
    return {}


def update_sheet_properties(
    book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]
) -> dict:
    props = body.get("properties") or {}
    sheet = _sheet(book, props.get("sheetId"))
    paths = _update_paths(body.get("fields"))
    if paths == [()]:
        paths = [(k,) for k in props if k != "sheetId"]
        paths += [("gridProperties", k) for k in props.get("gridProperties") or {}]
    for path in paths:
        value = _get_path(props, path)
        name = ".".join(path)
        if name == "title":
            if not value:
                raise BatchError("A sheet title must not be empty.")
            if value != sheet.title and book.sheet_by_title(value):
                raise BatchError(f'A sheet with the name "{value}" already exists.')
            sheet.title = value
        elif name == "hidden":
            sheet.hidden = bool(value)
        elif name == "index":
            sheet.index = int(value or 0)
            book.reindex()
        elif name == "gridProperties.rowCount":
            count = int(value or 0)
            if count < 1:
                raise BatchError("A sheet needs at least one row.")
            sheet.row_count = count
            del sheet.rows[count:]
        elif name == "gridProperties.columnCount":
            count = int(value or 0)
            if count < 1:
                raise BatchError("A sheet needs at least one column.")
            sheet.col_count = count
            for line in sheet.rows:
                del line[count:]
        elif name == "gridProperties.frozenRowCount":
            sheet.frozen_rows = int(value or 0)
        elif name == "gridProperties.frozenColumnCount":
            sheet.frozen_cols = int(value or 0)
        elif name == "gridProperties":
            grid = value or {}
            for key in grid:
                update_sheet_properties(
                    book,
                    {"properties": props, "fields": f"gridProperties.{key}"},
                    new_id,
                )
        elif name in ("sheetType", "tabColor", "tabColorStyle", "rightToLeft"):
            continue
        else:
            raise BatchError(f"Unknown field {name}")
    if all(s.hidden for s in book.sheets):
        raise BatchError("You can't hide all the sheets in a document.")
    if sheet.frozen_rows >= sheet.row_count:
        raise BatchError("You can't freeze all visible rows on the sheet.")
    return {}


# --- cells --------------------------------------------------------------------------------


def update_cells(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    paths = _update_paths(body.get("fields"))
    rows = body.get("rows") or []
    if "range" in body and "start" in body:
        raise BatchError("Only one of range or start may be set.")
    if "range" in body:
        grid_range = body["range"]
        sheet = _sheet(book, grid_range.get("sheetId"))
        r0, r1, c0, c1 = grid_bounds(sheet, grid_range)
        for r in range(r0, r1):
            line = rows[r - r0].get("values") or [] if r - r0 < len(rows) else []
            for c in range(c0, c1):
                data = line[c - c0] if c - c0 < len(line) else {}
                if data or sheet.cell(r, c) is not None:
                    write_cell(sheet, r, c, data or {}, paths)
        if len(rows) > r1 - r0:
            raise BatchError("More rows were given than the range holds.")
        return {}
    start = body.get("start") or {}
    sheet = _sheet(book, start.get("sheetId"))
    r0 = int(start.get("rowIndex") or 0)
    c0 = int(start.get("columnIndex") or 0)
    width = max((len(row.get("values") or []) for row in rows), default=0)
    grid_bounds(
        sheet,
        {
            "startRowIndex": r0,
            "endRowIndex": r0 + len(rows),
            "startColumnIndex": c0,
            "endColumnIndex": c0 + width,
        },
    )
    for i, row in enumerate(rows):
        for j, data in enumerate(row.get("values") or []):
            write_cell(sheet, r0 + i, c0 + j, data or {}, paths)
    return {}


def repeat_cell(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    paths = _update_paths(body.get("fields"))
    grid_range = body.get("range") or {}
    sheet = _sheet(book, grid_range.get("sheetId"))
    r0, r1, c0, c1 = grid_bounds(sheet, grid_range)
    data = body.get("cell") or {}
    for r in range(r0, r1):
        for c in range(c0, c1):
            write_cell(sheet, r, c, data, paths)
    return {}


def set_data_validation(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    grid_range = body.get("range") or {}
    sheet = _sheet(book, grid_range.get("sheetId"))
    r0, r1, c0, c1 = grid_bounds(sheet, grid_range)
    for r in range(r0, r1):
        for c in range(c0, c1):
            write_cell(sheet, r, c, {"dataValidation": body.get("rule")}, [("dataValidation",)])
    return {}


# --- dimensions ---------------------------------------------------------------------------


def _shift(position: int | None, start: int, count: int, deleting: bool) -> int | None:
    if position is None:
        return None
    if deleting:
        end = start + count
        if position >= end:
            return position - count
        return min(position, start)
    return position + count if position >= start else position


def _shift_range(
    grid_range: dict[str, Any], dimension: str, start: int, count: int, deleting: bool
) -> bool:
    """Move a stored GridRange for inserted/deleted rows or columns; False when it vanished."""
    key = "Row" if dimension == "ROWS" else "Column"
    lo = grid_range.get(f"start{key}Index")
    hi = grid_range.get(f"end{key}Index")
    if deleting:
        new_lo, new_hi = _shift(lo, start, count, True), _shift(hi, start, count, True)
    else:
        new_lo = lo + count if lo is not None and lo >= start else lo
        new_hi = hi + count if hi is not None and hi > start else hi
    if new_lo is not None:
        grid_range[f"start{key}Index"] = new_lo
    if new_hi is not None:
        grid_range[f"end{key}Index"] = new_hi
        if new_hi <= (new_lo or 0):
            return False
    return True


def _move_dimension(sheet: Sheet, dimension: str, start: int, count: int, deleting: bool) -> None:
    if dimension == "ROWS":
        if deleting:
            del sheet.rows[start : start + count]
        elif start <= len(sheet.rows):
            sheet.rows[start:start] = [[] for _ in range(count)]
        sheet.row_count += -count if deleting else count
        if sheet.frozen_rows > start:
            sheet.frozen_rows = max(start, sheet.frozen_rows + (-count if deleting else count))
    else:
        for line in sheet.rows:
            if deleting:
                del line[start : start + count]
            elif start <= len(line):
                line[start:start] = [None] * count
        sheet.col_count += -count if deleting else count
    sizes = sheet.row_heights if dimension == "ROWS" else sheet.col_widths
    moved = {}
    for index, size in sizes.items():
        if index < start:
            moved[index] = size
        elif not deleting:
            moved[index + count] = size
        elif index >= start + count:
            moved[index - count] = size
    sizes.clear()
    sizes.update(moved)
    kept_rules = []
    for rule in sheet.conditional_formats:
        rule["ranges"] = [
            r for r in rule["ranges"] if _shift_range(r, dimension, start, count, deleting)
        ]
        if rule["ranges"]:
            kept_rules.append(rule)
    sheet.conditional_formats = kept_rules
    if sheet.basic_filter and not _shift_range(
        sheet.basic_filter["range"], dimension, start, count, deleting
    ):
        sheet.basic_filter = None
    for view in sheet.filter_views:
        _shift_range(view["range"], dimension, start, count, deleting)


def _dimension_range(book: Spreadsheet, body: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    dim_range = body.get("range") or {}
    sheet = _sheet(book, dim_range.get("sheetId"))
    dimension = dim_range.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise BatchError("dimension must be ROWS or COLUMNS.")
    start = int(dim_range.get("startIndex") or 0)
    end = int(dim_range.get("endIndex") or 0)
    if end <= start:
        raise BatchError("endIndex must be after startIndex.")
    return sheet, dimension, start, end - start


def append_dimension(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    sheet = _sheet(book, body.get("sheetId"))
    length = int(body.get("length") or 0)
    if length < 1:
        raise BatchError("length must be at least 1.")
    if body.get("dimension") == "ROWS":
        sheet.row_count += length
    elif body.get("dimension") == "COLUMNS":
        sheet.col_count += length
    else:
        raise BatchError("dimension must be ROWS or COLUMNS.")
    return {}


def insert_dimension(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    sheet, dimension, start, count = _dimension_range(book, body)
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if start > limit:
        raise BatchError(f"startIndex {start} is after the end of the grid.")
    if body.get("inheritFromBefore") and start == 0:
        raise BatchError("Cannot inherit from before the first row or column.")
    _move_dimension(sheet, dimension, start, count, deleting=False)
    return {}


def delete_dimension(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    sheet, dimension, start, count = _dimension_range(book, body)
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if start + count > limit:
        raise BatchError("The range to delete is outside the grid.")
    if count >= limit:
        raise BatchError("You can't delete all the rows (or columns) on the sheet.")
    _move_dimension(sheet, dimension, start, count, deleting=True)
    return {}


def update_dimension_properties(
    book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]
) -> dict:
    """Column widths or row heights (``pixelSize``) over a range of the grid; ``hiddenByUser``
    and ``developerMetadata`` are accepted and not kept."""
    sheet, dimension, start, count = _dimension_range(book, body)
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if start + count > limit:
        raise BatchError(
            f"Invalid requests[0].updateDimensionProperties: Range ({start}:{start + count}) "
            f"is out of the grid ({limit} {dimension.lower()})."
        )
    props = body.get("properties") or {}
    paths = _update_paths(body.get("fields"))
    if paths == [()]:
        paths = [(key,) for key in props]
    for path in paths:
        name = ".".join(path)
        if name == "pixelSize":
            size = props.get("pixelSize")
            if not isinstance(size, int) or size < 0:
                raise BatchError("pixelSize must be a whole number of pixels, 0 or more.")
            sizes = sheet.row_heights if dimension == "ROWS" else sheet.col_widths
            sizes.update(dict.fromkeys(range(start, start + count), size))
        elif name not in ("hiddenByUser", "developerMetadata"):
            raise BatchError(f"Invalid field mask: unknown field {name!r} of DimensionProperties.")
    return {}


# --- conditional formats --------------------------------------------------------------------


def _rule(book: Spreadsheet, rule: Any) -> tuple[Sheet, dict[str, Any]]:
    if not isinstance(rule, dict) or not rule.get("ranges"):
        raise BatchError("A conditional format rule needs at least one range.")
    ranges = rule["ranges"]
    sheet_ids = {int(r.get("sheetId") or 0) for r in ranges}
    if len(sheet_ids) != 1:
        raise BatchError("All ranges of a conditional format rule must be on one sheet.")
    sheet = _sheet(book, sheet_ids.pop())
    for grid_range in ranges:
        grid_bounds(sheet, grid_range)
    kinds = [k for k in ("booleanRule", "gradientRule") if k in rule]
    if len(kinds) != 1:
        raise BatchError("A rule needs exactly one of booleanRule or gradientRule.")
    stored = copy.deepcopy(rule)
    stored["ranges"] = [{"sheetId": sheet.sheet_id, **r} for r in stored["ranges"]]
    boolean = stored.get("booleanRule")
    if boolean is not None:
        condition = boolean.get("condition") or {}
        if not condition.get("type"):
            raise BatchError("booleanRule.condition.type is required.")
        if condition["type"] == "CUSTOM_FORMULA":
            values = condition.get("values") or []
            if len(values) != 1 or not str(values[0].get("userEnteredValue", "")).startswith("="):
                raise BatchError("CUSTOM_FORMULA needs exactly one value, a formula.")
        boolean["format"] = normalize_format(boolean.get("format") or {})
    return sheet, stored


def public_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(rule)
    out["ranges"] = [public_range(r) for r in out["ranges"]]
    return out


def add_conditional_format_rule(
    book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]
) -> dict:
    sheet, rule = _rule(book, body.get("rule"))
    index = int(body.get("index") or 0)
    if index > len(sheet.conditional_formats):
        raise BatchError(f"index {index} is after the last rule.")
    sheet.conditional_formats.insert(index, rule)
    return {}


def update_conditional_format_rule(
    book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]
) -> dict:
    sheet = _sheet(book, body.get("sheetId"))
    index = int(body.get("index") or 0)
    if index >= len(sheet.conditional_formats):
        raise BatchError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    old = sheet.conditional_formats[index]
    if "rule" in body:
        _, rule = _rule(book, body["rule"])
        sheet.conditional_formats[index] = rule
        reply_rule = rule
    else:
        new_index = int(body.get("newIndex") or 0)
        rule = sheet.conditional_formats.pop(index)
        sheet.conditional_formats.insert(new_index, rule)
        reply_rule = rule
    return {
        "updateConditionalFormatRule": {
            "oldRule": public_rule(old),
            "newRule": public_rule(reply_rule),
        }
    }


def delete_conditional_format_rule(
    book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]
) -> dict:
    sheet = _sheet(book, body.get("sheetId"))
    index = int(body.get("index") or 0)
    if index >= len(sheet.conditional_formats):
        raise BatchError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": public_rule(rule)}}


# --- filters ------------------------------------------------------------------------------


def set_basic_filter(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    given = copy.deepcopy(body.get("filter") or {})
    grid_range = given.get("range") or {}
    sheet = _sheet(book, grid_range.get("sheetId"))
    given["range"] = bounded_range(sheet, grid_range)
    sheet.basic_filter = given
    return {}


def clear_basic_filter(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    _sheet(book, body.get("sheetId")).basic_filter = None
    return {}


def _all_views(book: Spreadsheet) -> list[tuple[Sheet, dict[str, Any]]]:
    return [(sheet, view) for sheet in book.sheets for view in sheet.filter_views]


def public_view(view: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(view)
    out["range"] = public_range(out["range"])
    return out


def add_filter_view(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    view = copy.deepcopy(body.get("filter") or {})
    grid_range = view.get("range") or {}
    sheet = _sheet(book, grid_range.get("sheetId"))
    taken = {v["filterViewId"] for _, v in _all_views(book)}
    view_id = view.get("filterViewId")
    if view_id is None:
        view_id = random.randint(1, 2**31 - 1)
        while view_id in taken:
            view_id = random.randint(1, 2**31 - 1)
    elif int(view_id) in taken:
        raise BatchError(f"Filter view with id {view_id} already exists.")
    stored = {
        "filterViewId": int(view_id),
        "title": view.get("title") or f"Filter {len(sheet.filter_views) + 1}",
        "range": bounded_range(sheet, grid_range),
    }
    for key in ("namedRangeId", "sortSpecs", "criteria", "filterSpecs"):
        if view.get(key):
            stored[key] = view[key]
    _check_specs(stored)
    sheet.filter_views.append(stored)
    return {"addFilterView": {"filter": public_view(stored)}}


def _check_specs(view: dict[str, Any]) -> None:
    r = view["range"]
    for spec in view.get("filterSpecs") or []:
        col = spec.get("columnIndex")
        if col is None or not r["startColumnIndex"] <= int(col) < r["endColumnIndex"]:
            raise BatchError(f"filterSpecs columnIndex {col} is outside the filter's range.")
        condition = (spec.get("filterCriteria") or {}).get("condition") or {}
        if condition.get("type") == "CUSTOM_FORMULA":
            values = condition.get("values") or []
            if len(values) != 1 or not str(values[0].get("userEnteredValue", "")).startswith("="):
                raise BatchError("CUSTOM_FORMULA needs exactly one value, a formula.")


def update_filter_view(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    given = body.get("filter") or {}
    found = [
        (s, v)
        for s, v in _all_views(book)
        if v["filterViewId"] == int(given.get("filterViewId") or 0)
    ]
    if not found:
        raise BatchError(f"No filter view with id: {given.get('filterViewId')}")
    sheet, view = found[0]
    paths = _update_paths(body.get("fields"))
    if paths == [()]:
        paths = [
            (k,) for k in ("title", "range", "namedRangeId", "sortSpecs", "criteria", "filterSpecs")
        ]
    for path in paths:
        value = _get_path(given, path)
        if path[0] == "range":
            value = bounded_range(sheet, given.get("range") or {})
            view["range"] = value
        elif path[0] == "filterViewId":
            continue
        else:
            _set_path(view, path, value)
    _check_specs(view)
    return {}


def delete_filter_view(book: Spreadsheet, body: dict[str, Any], new_id: Callable[[], int]) -> dict:
    view_id = int(body.get("filterId") or 0)
    for sheet, view in _all_views(book):
        if view["filterViewId"] == view_id:
            sheet.filter_views.remove(view)
            return {}
    raise BatchError(f"No filter view with id: {view_id}")


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "addConditionalFormatRule": add_conditional_format_rule,
    "updateConditionalFormatRule": update_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "addFilterView": add_filter_view,
    "updateFilterView": update_filter_view,
    "deleteFilterView": delete_filter_view,
}
