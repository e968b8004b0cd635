"""Spreadsheet addresses on the command line: Sheets URLs (with their gid) and gsheet:KEY."""

from __future__ import annotations

import pytest

from sheetsync.errors import UsageError
from sheetsync.sources.gsheets import SheetAddress, is_google_source, parse_source

KEY = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (f"gsheet:{KEY}", SheetAddress(KEY)),
        (f"GSHEET:{KEY}", SheetAddress(KEY)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit", SheetAddress(KEY)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0", SheetAddress(KEY, 0)),
        (
            f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=1639852311",
            SheetAddress(KEY, 1639852311),
        ),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing", SheetAddress(KEY)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit?gid=42#gid=42", SheetAddress(KEY, 42)),
        (f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/edit#gid=7", SheetAddress(KEY, 7)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}", SheetAddress(KEY)),
    ],
)
def test_parse(text: str, address: SheetAddress) -> None:
    assert is_google_source(text)
    assert parse_source(text) == address


@pytest.mark.parametrize(
    "text",
    [
        "prospects.xlsx",
        "/home/dana/Sheets/prospects.xlsm",
        "https://example.com/spreadsheets/d/x",
        "gsheet",
    ],
)
def test_not_google(text: str) -> None:
    assert not is_google_source(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gsheet:", "not a spreadsheet key"),
        ("gsheet:short", "not a spreadsheet key"),
        ("https://docs.google.com/spreadsheets/u/0/", "no spreadsheet key"),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=abc", "gid .* is not a number"),
        ("prospects.xlsx", "not a Google Sheets URL"),
    ],
)
def test_bad_addresses_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_source(text)
