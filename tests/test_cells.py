"""Reading cells: every date form PRODUCT.md accepts, choices, counts, and the CHECK texts."""

import datetime as dt

import pytest

from sheetsync.cellvalues import parse_count, parse_date, parse_flag, quote, text_keys
from sheetsync.sources.base import EPOCH_1900, EPOCH_1904

NOV_2 = dt.date(2026, 11, 2)


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        (dt.date(2026, 11, 2), "MDY", NOV_2),
        (dt.datetime(2026, 11, 2, 17, 45), "MDY", NOV_2),  # the time is dropped
        (46328, "MDY", NOV_2),  # Excel / Sheets serial (1900 system)
        (46328.75, "MDY", NOV_2),  # a serial date-time
        ("2026-11-02", "MDY", NOV_2),
        ("2026-11-02 14:30", "MDY", NOV_2),
        ("2026-11-02T14:30:00", "DMY", NOV_2),
        ("11/02/2026", "MDY", NOV_2),
        ("11/2/26", "MDY", NOV_2),  # 2-digit year is 20YY
        ("11-02-2026", "MDY", NOV_2),
        ("02.11.2026", "DMY", NOV_2),
        ("2/11/2026", "DMY", NOV_2),
        ("02/11/26", "DMY", NOV_2),
        ("Nov 2, 2026", "MDY", NOV_2),
        ("2 November 2026", "DMY", NOV_2),
        ("November 2nd, 2026", "MDY", NOV_2),
        ("2-Nov-2026", "MDY", NOV_2),
        ("  2026-11-02  ", "MDY", NOV_2),
        (None, "MDY", None),
        ("", "MDY", None),
        ("   ", "MDY", None),
    ],
)
def test_dates_read(value, order, expected):
    assert parse_date(value, EPOCH_1900, order) == expected


def test_1904_serials_count_from_1904():
    # The 1904 system counts 1462 days fewer: 46328 - 1462 = 44866 is 2026-11-02.
    assert parse_date(44866, EPOCH_1904, "MDY") == NOV_2


@pytest.mark.parametrize(
    ("value", "order", "problem"),
    [
        ("asap??", "MDY", "is not a date"),
        ("13/04/2026", "MDY", "is not a date (month/day/year)"),  # never read the other way
        ("04/31/2026", "MDY", "is not a date (month/day/year)"),
        ("31/04/2026", "DMY", "is not a date (day/month/year)"),
        ("2026-02-30", "MDY", "is not a date (year-month-day)"),
        ("11/02/202", "MDY", "is not a date"),
        (True, "MDY", "is not a date"),
        (-5, "MDY", "is not a date"),
        ("Smarch 3, 2026", "MDY", "is not a date"),
    ],
)
def test_broken_dates_say_why(value, order, problem):
    assert parse_date(value, EPOCH_1900, order) == problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (3.0, 3),
        ("3", 3),
        (" 12 ", 12),
        (None, None),
        ("", None),
        ("three", "is not a whole number"),
        (2.5, "is not a whole number"),
        (True, "is not a whole number"),
        (-1, "is below 0"),
    ],
)
def test_attempts_read(value, expected):
    assert parse_count(value, 0, None) == expected


def test_contact_every_range():
    assert parse_count(0, 1, 365) == "is outside 1-365"
    assert parse_count(366, 1, 365) == "is outside 1-365"
    assert parse_count(365, 1, 365) == 365


@pytest.mark.parametrize("value", ["yes", "Y", "TRUE", "x", "1", 1, True, " Yes "])
def test_do_not_contact_set(value):
    assert parse_flag(value) is True


@pytest.mark.parametrize("value", ["no", "N", "false", "0", 0, False, None, ""])
def test_do_not_contact_not_set(value):
    assert parse_flag(value) is False


def test_do_not_contact_other_value_is_a_problem():
    assert parse_flag("maybe") == ("is not yes or no",)


def test_quote_shortens_long_values_to_one_line():
    assert quote("a\nb") == '"a b"'
    shown = quote("x" * 500)
    assert len(shown) == 42 and shown.endswith('…"')


def test_owners_compare_whatever_way_an_accent_was_typed() -> None:
    from sheetsync.cellvalues import owner_key

    composed, decomposed = "Zo\u00eb \u00c5ngstr\u00f6m", "Zoe\u0308  A\u030angstro\u0308m "
    assert composed != decomposed
    assert owner_key(composed) == owner_key(decomposed) == "zo\u00eb \u00e5ngstr\u00f6m"


@pytest.mark.parametrize(
    ("column", "keys"),
    [
        ([17, None, 1041], ["17", "", "1041"]),  # IDs typed as numbers, one blank
        ([" P-1 ", "P-2", "  "], ["P-1", "P-2", ""]),  # texts, stripped
        ([17.0, 2.5, None], ["17", "2.5", ""]),  # a whole float reads as the number typed
        ([True, 1, "1"], ["True", "1", "1"]),  # a yes/no cell is not the number 1
        ([dt.date(2026, 11, 2), 7], ["2026-11-02", "7"]),
    ],
)
def test_id_cells_read_as_the_text_a_user_typed(column: list, keys: list[str]) -> None:
    assert text_keys(column) == keys
