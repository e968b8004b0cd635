"""The fake Sheets server answers the recorded requests as Google did.

Each cassette in ``shared/fixtures/google-sheets-api`` (gspread's own recordings of the real
API) is replayed in order against a fresh fake: Drive's create/get/delete calls are served by the
fake's minimal Drive endpoints (new files get the recorded ids, so later URLs match), the
recorded ``addSheet`` ids are handed out again, and a spreadsheet the recording could not read
(403) is made private first. Every answer must have the recorded status, and its JSON the
recorded keys, list lengths (trimming), value types and values; only Drive's timestamps may
differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from fakesheets import FakeSheets

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "google-sheets-api"
CASSETTES = sorted(FIXTURES.glob("*.json")) if FIXTURES.is_dir() else []
HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
#: values that differ by nature between runs
VOLATILE = {"createdTime", "modifiedTime"}

pytestmark = pytest.mark.skipif(not CASSETTES, reason=f"no recordings under {FIXTURES}")


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def differences(recorded: Any, actual: Any, where: str = "$") -> list[str]:
    """Every place where ``actual`` does not have the recorded shape and value."""
    if kind(recorded) != kind(actual):
        return [f"{where}: recorded {kind(recorded)} {recorded!r}, got {kind(actual)} {actual!r}"]
    if isinstance(recorded, dict):
        out = []
        missing = recorded.keys() - actual.keys()
        extra = actual.keys() - recorded.keys()
        if missing:
            out.append(f"{where}: missing keys {sorted(missing)}")
        if extra:
            out.append(f"{where}: extra keys {sorted(extra)}")
        for key in recorded.keys() & actual.keys():
            if key not in VOLATILE:
                out += differences(recorded[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(recorded, list):
        if len(recorded) != len(actual):
            return [f"{where}: recorded {len(recorded)} items, got {len(actual)}: {actual!r}"]
        out = []
        for i, (r, a) in enumerate(zip(recorded, actual, strict=True)):
            out += differences(r, a, f"{where}[{i}]")
        return out
    if recorded != actual:
        return [f"{where}: recorded {recorded!r}, got {actual!r}"]
    return []


def prepare(fake: FakeSheets, interactions: list[dict[str, Any]]) -> None:
    """Hand out the recorded file and sheet ids; make unreadable spreadsheets private."""
    file_ids = []
    sheet_ids = []
    created = set()
    for item in interactions:
        request, response = item["request"], item["response"]
        text = response["body"]["string"]
        if "drive/v3/files" in request["uri"] and request["method"] == "POST":
            file_ids.append(json.loads(text)["id"])
            created.add(json.loads(text)["id"])
        if request["method"] == "POST" and request["uri"].endswith(":batchUpdate") and text:
            for reply in json.loads(text).get("replies") or []:
                if "addSheet" in reply:
                    sheet_ids.append(reply["addSheet"]["properties"]["sheetId"])
    for item in interactions:
        request, response = item["request"], item["response"]
        if response["status"]["code"] == 403 and "/v4/spreadsheets/" in request["uri"]:
            key = request["uri"].split("/v4/spreadsheets/")[1].split("?")[0].split(":")[0]
            if key not in created:
                fake.make_private(key)
    files = iter(file_ids)
    sheets = iter(sheet_ids)
    fake.api.new_file_id = lambda: next(files)
    fake.api.new_sheet_id = lambda book: next(sheets)


@pytest.mark.parametrize("cassette", CASSETTES, ids=[c.stem for c in CASSETTES])
def test_replay_matches_recording(cassette: Path) -> None:
    interactions = json.loads(cassette.read_text())["interactions"]
    problems: list[str] = []
    with FakeSheets() as fake, requests.Session() as session:
        prepare(fake, interactions)
        for n, item in enumerate(interactions):
            request, response = item["request"], item["response"]
            url = request["uri"]
            for host in HOSTS:
                url = url.replace(host, fake.url)
            body = request["body"]
            answer = session.request(
                request["method"],
                url,
                data=body.encode() if isinstance(body, str) else None,
                headers={"Content-Type": "application/json"} if body else {},
                timeout=10,
            )
            label = f"#{n} {request['method']} {request['uri'][:110]}"
            if answer.status_code != response["status"]["code"]:
                problems.append(
                    f"{label}: status {answer.status_code}, recorded {response['status']['code']}:"
                    f" {answer.text[:300]}"
                )
                continue
            recorded_text = response["body"]["string"]
            if not recorded_text:
                assert answer.content == b"", label
                continue
            problems += [
                f"{label}: {d}" for d in differences(json.loads(recorded_text), answer.json())
            ]
    assert not problems, "\n".join(problems)


def test_every_recorded_request_kind_is_replayed() -> None:
    """No recording is skipped: each one has at least one Sheets API call the fake served."""
    for cassette in CASSETTES:
        uris = [i["request"]["uri"] for i in json.loads(cassette.read_text())["interactions"]]
        assert any("sheets.googleapis.com/v4/" in u for u in uris), cassette.name
