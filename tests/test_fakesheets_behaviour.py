"""The fake's behaviour where no recording reaches: conditional formats, filter views, row
insertion, grid limits, atomic batches, render options, faults. Shapes follow the public REST
reference (and the recordings where they overlap)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from fakesheets import FakeSheets, Formula

KEY = "1FakeBehaviour_abcdefghijklmnopqrstuvwxyz0"


@pytest.fixture
def fake() -> Any:
    with FakeSheets() as server:
        server.seed(
            KEY,
            {
                "Sheet1": [
                    ["ID", "Company", "Since"],
                    ["P1", "Acme", dt.date(2020, 1, 1)],
                    [],
                    ["P3", "", "", 4],
                ]
            },
        )
        yield server


def call(
    fake: FakeSheets, method: str, path: str, body: Any = None, **params: Any
) -> requests.Response:
    return requests.request(
        method, f"{fake.url}/v4/spreadsheets/{KEY}{path}", json=body, params=params, timeout=10
    )


def batch(fake: FakeSheets, *requests_: dict[str, Any]) -> requests.Response:
    return call(fake, "POST", ":batchUpdate", {"requests": list(requests_)})


def test_values_trimmed_and_rendered(fake: FakeSheets) -> None:
    raw = call(fake, "GET", "/values/Sheet1", valueRenderOption="UNFORMATTED_VALUE").json()
    assert raw == {
        "range": "Sheet1!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [["ID", "Company", "Since"], ["P1", "Acme", 43831], [], ["P3", "", "", 4]],
    }
    text = call(
        fake,
        "GET",
        "/values/Sheet1!C2",
        valueRenderOption="UNFORMATTED_VALUE",
        dateTimeRenderOption="FORMATTED_STRING",
    ).json()
    assert text["values"] == [["2020-01-01"]]
    columns = call(fake, "GET", "/values/Sheet1!A1:D4", majorDimension="COLUMNS").json()
    assert columns["values"] == [
        ["ID", "P1", "", "P3"],
        ["Company", "Acme"],
        ["Since", "2020-01-01"],
        ["", "", "", "4"],
    ]
    empty = call(fake, "GET", "/values/Sheet1!F1:G9").json()
    assert "values" not in empty


def test_unknown_sheet_in_a_range_is_400(fake: FakeSheets) -> None:
    answer = call(fake, "GET", "/values:batchGet", ranges=["Sheet1", "'Nope'!A1"])
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Unable to parse range: 'Nope'!A1"


def test_user_entered_makes_formulas_raw_keeps_text(fake: FakeSheets) -> None:
    call(
        fake,
        "PUT",
        "/values/Sheet1!E1",
        {"values": [["=1+2", "=1+2"]]},
        valueInputOption="USER_ENTERED",
    )
    call(fake, "PUT", "/values/Sheet1!F1", {"values": [["=1+2"]]}, valueInputOption="RAW")
    line = call(fake, "GET", "/values/Sheet1!E1:F1", valueRenderOption="UNFORMATTED_VALUE").json()[
        "values"
    ][0]
    assert line == [3, "=1+2"]
    assert isinstance(fake.cell(KEY, "Sheet1", "E1").value, Formula)  # type: ignore[union-attr]
    assert not isinstance(fake.cell(KEY, "Sheet1", "F1").value, Formula)  # type: ignore[union-attr]


def test_update_cells_string_value_is_text_and_masks_apply(fake: FakeSheets) -> None:
    answer = batch(
        fake,
        {
            "updateCells": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 2,
                    "startColumnIndex": 3,
                    "endColumnIndex": 5,
                },
                "rows": [
                    {
                        "values": [
                            {"userEnteredValue": {"stringValue": "=HYPERLINK(1)"}},
                            {
                                "userEnteredValue": {"numberValue": 46000},
                                "userEnteredFormat": {
                                    "numberFormat": {"type": "DATE", "pattern": "dd/mm/yyyy"}
                                },
                            },
                        ]
                    }
                ],
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            }
        },
    )
    assert answer.json() == {"spreadsheetId": KEY, "replies": [{}]}
    shown = call(fake, "GET", "/values/Sheet1!D2:E2").json()["values"]
    assert shown == [["=HYPERLINK(1)", "09/12/2025"]]
    # clearing through a mask without the value
    batch(
        fake,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 3},
                "rows": [{"values": [{}]}],
                "fields": "userEnteredValue",
            }
        },
    )
    assert fake.cell(KEY, "Sheet1", "D2") is None


def test_batches_are_atomic_and_grid_limits_hold(fake: FakeSheets) -> None:
    answer = batch(
        fake,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "changed"}}]}],
                "fields": "userEnteredValue",
            }
        },
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 1000, "columnIndex": 0},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                "fields": "userEnteredValue",
            }
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith(
        "Invalid requests[1].updateCells: Range (Sheet1!A1001:A1001) exceeds grid limits"
    )
    assert fake.values(KEY, "Sheet1")[0][0] == "ID"  # request 0 was rolled back
    assert batch(fake, {"frobnicate": {}}).status_code == 400


def test_conditional_formats_and_filters_move_with_inserted_rows(fake: FakeSheets) -> None:
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 3}],
        "booleanRule": {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [{"userEnteredValue": '=$B2="Acme"'}],
            },
            "format": {"backgroundColor": {"red": 1, "green": 0.6, "blue": 0}},
        },
    }
    view = {
        "title": "Mine",
        "range": {"sheetId": 0, "startRowIndex": 0, "startColumnIndex": 0, "endColumnIndex": 3},
    }
    answer = batch(
        fake,
        {"addConditionalFormatRule": {"rule": rule, "index": 0}},
        {"setBasicFilter": {"filter": {"range": {"sheetId": 0}}}},
        {"addFilterView": {"filter": view}},
    ).json()
    added = answer["replies"][2]["addFilterView"]["filter"]
    assert added["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 1000,
        "startColumnIndex": 0,
        "endColumnIndex": 3,
    }
    assert isinstance(added["filterViewId"], int)
    batch(
        fake,
        {
            "insertDimension": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3},
                "inheritFromBefore": True,
            }
        },
    )
    meta = call(
        fake,
        "GET",
        "",
        fields="sheets(properties.gridProperties,conditionalFormats,basicFilter,filterViews)",
    ).json()
    sheet = meta["sheets"][0]
    assert sheet["properties"] == {"gridProperties": {"rowCount": 1002, "columnCount": 26}}
    stored = sheet["conditionalFormats"][0]
    assert stored["ranges"] == [{"startRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 3}]
    assert stored["booleanRule"]["format"]["backgroundColor"] == {"red": 1, "green": 0.6}
    assert stored["booleanRule"]["format"]["backgroundColorStyle"] == {
        "rgbColor": {"red": 1, "green": 0.6}
    }
    assert sheet["basicFilter"]["range"]["endRowIndex"] == 1002
    assert sheet["filterViews"][0]["range"]["endRowIndex"] == 1002
    assert fake.values(KEY, "Sheet1")[3][:2] == ["P1", "Acme"]
    deleted = batch(fake, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}}).json()
    assert (
        deleted["replies"][0]["deleteConditionalFormatRule"]["rule"]["ranges"][0]["startRowIndex"]
        == 3
    )
    assert (
        batch(fake, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}}).status_code == 400
    )


def test_faults_and_never_401(fake: FakeSheets) -> None:
    fake.fail_next(1, 429, retry_after=3)
    first = call(fake, "GET", "")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "3"
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert call(fake, "GET", "").status_code == 200
    fake.require_auth = True
    refused = call(fake, "GET", "")
    assert refused.status_code == 403
    assert refused.json()["error"]["status"] == "PERMISSION_DENIED"


def test_request_log_counts_and_hooks(fake: FakeSheets) -> None:
    seen = []
    fake.on_request(lambda request: seen.append((request.method, request.path)))
    call(fake, "GET", "")
    batch(fake, {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}})
    assert seen == [
        ("GET", f"/v4/spreadsheets/{KEY}"),
        ("POST", f"/v4/spreadsheets/{KEY}:batchUpdate"),
    ]
    assert len(fake.batch_updates()) == 1
    assert fake.sheet(KEY, "Sheet1").col_count == 30


def test_column_widths_are_set_kept_and_moved(fake: FakeSheets) -> None:
    def widths(start: int, end: int, size: int, fields: str = "pixelSize") -> dict[str, Any]:
        span = {"sheetId": 0, "dimension": "COLUMNS", "startIndex": start, "endIndex": end}
        return {
            "updateDimensionProperties": {
                "range": span,
                "properties": {"pixelSize": size},
                "fields": fields,
            }
        }

    assert batch(fake, widths(1, 3, 150)).status_code == 200
    sheet = fake.sheet(KEY, "Sheet1")
    assert sheet.col_widths == {1: 150, 2: 150}
    insert = {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}
    assert batch(fake, {"insertDimension": insert}).status_code == 200
    assert sheet.col_widths == {2: 150, 3: 150}
    assert batch(fake, widths(26, 28, 90)).status_code == 400  # past the grid's 27 columns
    assert batch(fake, widths(0, 1, 90, fields="")).status_code == 400
    assert batch(fake, widths(0, 1, 90, fields="width")).status_code == 400
    assert sheet.col_widths == {2: 150, 3: 150}
