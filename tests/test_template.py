"""The starter workbook, the choice lists and the demo sheet."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync import choices, config
from sheetsync.demo_data import DEMO_HEADERS, demo_expected, demo_rows, write_demo_workbook
from sheetsync.schema import FIELD_HEADERS, OWNED_FIELDS, match_headers, normalize
from sheetsync.template import DATE_FORMAT, LAST_ROW, TEMPLATE_HEADERS, write_starter_workbook

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_HEADERS = [
    "ID", "Company", "Contact", "Email", "Phone", "Owner", "Stage", "Phase", "Priority",
    "Last Contact", "Last Outcome", "Attempts", "Note Sent", "Call Back", "Preferred Channel",
    "Contact Every", "Do Not Contact", "Next Contact", "Next Action", "Flag", "Why",
]  # fmt: skip
EXPECTED_DROPDOWNS = {
    "Stage": ["New", "Working", "Lost", "Stale", "Customer", "Closed"],
    "Last Outcome": [
        "No answer", "Voicemail", "Email sent", "Connected", "Meeting", "Not now",
        "Chose competitor", "Won", "Do not contact",
    ],
    "Preferred Channel": ["Call", "Email"],
    "Priority": ["A", "B", "C"],
    "Phase": ["Need", "Solutions", "Suppliers", "Research", "Preference", "Negotiation", "Repeat"],
    "Do Not Contact": ["yes", "no"],
}  # fmt: skip
DATE_HEADERS = ("Last Contact", "Note Sent", "Call Back", "Next Contact")

# 2026-11-23 is a Monday: a whole week, weekend included, and a leap-year February.
MONDAY = dt.date(2026, 11, 23)
WEEK = [MONDAY + dt.timedelta(days=i) for i in range(7)]
WEEKDAYS = [*WEEK[:5], dt.date(2028, 2, 29), dt.date(2027, 1, 1), dt.date(2026, 8, 31)]


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Worksheet:
    path = tmp_path_factory.mktemp("starter") / "prospects.xlsx"
    write_starter_workbook(path)
    return openpyxl.load_workbook(path)["Prospects"]


def _column(ws: Worksheet, header: str) -> str:
    headers = [cell.value for cell in ws[1]]
    return openpyxl.utils.get_column_letter(headers.index(header) + 1)


def _validations(ws: Worksheet) -> dict[str, list]:
    """sqref (as text) -> the validations covering it."""
    out: dict[str, list] = {}
    for validation in ws.data_validations.dataValidation:
        out.setdefault(str(validation.sqref), []).append(validation)
    return out


# -- the starter workbook ---------------------------------------------------------------------


def test_headers_in_order(starter: Worksheet) -> None:
    assert [cell.value for cell in starter[1]] == EXPECTED_HEADERS
    assert list(TEMPLATE_HEADERS) == EXPECTED_HEADERS
    assert starter.max_row == 1  # no data rows, no styled empty rows


def test_headers_match_every_field(starter: Worksheet) -> None:
    layout = match_headers([cell.value for cell in starter[1]])
    assert layout.created == ()
    assert set(layout.columns) == set(FIELD_HEADERS)


def test_dropdowns(starter: Worksheet) -> None:
    validations = _validations(starter)
    for header, values in EXPECTED_DROPDOWNS.items():
        letter = _column(starter, header)
        (validation,) = validations[f"{letter}2:{letter}{LAST_ROW}"]
        assert validation.type == "list"
        assert validation.formula1 == '"' + ",".join(values) + '"'
        assert validation.allow_blank
        assert len(validation.formula1) <= 255  # Excel's limit for an inline list


def test_contact_every_is_a_whole_number_1_to_365(starter: Worksheet) -> None:
    letter = _column(starter, "Contact Every")
    (validation,) = _validations(starter)[f"{letter}2:{letter}{LAST_ROW}"]
    assert (validation.type, validation.operator) == ("whole", "between")
    assert (validation.formula1, validation.formula2) == ("1", "365")


def test_no_validation_on_other_columns(starter: Worksheet) -> None:
    covered = {_column(starter, h) for h in [*EXPECTED_DROPDOWNS, "Contact Every", "Attempts"]}
    for sqref in _validations(starter):
        assert re.match(r"[A-Z]+", sqref)[0] in covered  # type: ignore[index]


def test_date_columns_formatted(starter: Worksheet) -> None:
    for header in DATE_HEADERS:
        dimension = starter.column_dimensions[_column(starter, header)]
        assert dimension.number_format == DATE_FORMAT == "yyyy-mm-dd"
    assert starter.column_dimensions[_column(starter, "Phone")].number_format == "General"


def test_frozen_header_filter_and_style(starter: Worksheet) -> None:
    assert starter.freeze_panes == "A2"
    assert starter.auto_filter.ref == "A1:U1"
    for cell in starter[1]:
        assert cell.font.b
        assert cell.fill.fill_type == "solid"
    widths = {h: starter.column_dimensions[_column(starter, h)].width for h in EXPECTED_HEADERS}
    assert widths["Why"] > widths["Company"] > widths["ID"]


def test_checked_in_template_is_current(starter: Worksheet) -> None:
    """templates/prospects.xlsx is what scripts/make_template.py writes today."""
    checked_in = openpyxl.load_workbook(ROOT / "templates" / "prospects.xlsx")
    assert checked_in.sheetnames == ["Prospects"]
    ws = checked_in["Prospects"]
    assert [c.value for c in ws[1]] == [c.value for c in starter[1]]
    assert sorted(_validations(ws)) == sorted(_validations(starter))
    assert ws.freeze_panes == starter.freeze_panes
    assert ws.auto_filter.ref == starter.auto_filter.ref


def test_make_template_script(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_template", ROOT / "scripts/make_template.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(tmp_path / "out.xlsx")]) == 0
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Prospects"]
    assert [c.value for c in ws[1]] == EXPECTED_HEADERS


# -- the choice lists ---------------------------------------------------------------------------


def test_choices_agree_with_the_product_brief() -> None:
    assert len(choices.NEXT_ACTIONS) == 8
    assert len(choices.FLAGS) == 9
    assert set(choices.UNANSWERED) | set(choices.CONVERSATION) | set(choices.LOST_OUTCOMES) | {
        choices.WON,
        choices.DO_NOT_CONTACT,
    } == set(choices.OUTCOMES)
    assert [normalize(p) for p in choices.PHASES] == list(config.PHASES)
    assert not set(choices.DNC_TRUE) & set(choices.DNC_FALSE)
    assert set(choices.DNC_CHOICES) <= set(choices.DNC_TRUE) | set(choices.DNC_FALSE)
    assert set(choices.DROPDOWNS) | set(choices.NUMBER_RANGES) <= set(FIELD_HEADERS)
    for values in (*choices.DROPDOWNS.values(), choices.NEXT_ACTIONS, choices.FLAGS):
        assert len({normalize(v) for v in values}) == len(values)  # no two alike once normalised
        assert all("," not in v for v in values)  # safe in an inline dropdown list


# -- the demo -----------------------------------------------------------------------------------


@pytest.mark.parametrize("today", WEEK, ids=[d.strftime("%a") for d in WEEK])
def test_demo_rows(today: dt.date) -> None:
    headers, rows = demo_rows(today)
    assert headers == list(DEMO_HEADERS)
    tool_headers = ("Next Contact", "Next Action", "Flag", "Why")
    assert headers == [h for h in EXPECTED_HEADERS if h not in tool_headers]
    assert all(len(row) == len(headers) for row in rows)
    col = {h: i for i, h in enumerate(headers)}
    filled = [row for row in rows if any(v is not None for v in row)]
    assert len(filled) >= 40
    assert len(filled) == len(rows) - 1  # exactly one fully blank row ...
    blank = next(i for i, row in enumerate(rows) if all(v is None for v in row))
    assert 0 < blank < len(rows) - 1  # ... in the middle

    contacts = [row[col["Contact"]] for row in filled]
    companies = [row[col["Company"]] for row in filled]
    assert len(set(contacts)) == len(contacts)
    assert len(set(companies)) == len(companies)
    for row in filled:
        email, phone = row[col["Email"]], row[col["Phone"]]
        assert email is None or email.endswith("@example.com")
        assert phone is None or re.fullmatch(r"555-01\d\d", phone)

    ids = [row[col["ID"]] for row in filled]
    assert sum(i is None for i in ids) == 1  # the tool fills it
    assert len([i for i in ids if i is not None]) - len({i for i in ids if i is not None}) == 1

    owners = {row[col["Owner"]] for row in filled}
    assert owners == {"Dana", "Luis", "Priya", None}
    assert sum(row[col["Owner"]] is None for row in filled) >= 2

    texts = [v for row in filled for v in row if isinstance(v, str)]
    assert "asap??" in texts
    assert any(v.startswith("=HYPERLINK(") for v in texts)
    for h in DATE_HEADERS[:3]:
        for row in filled:
            value = row[col[h]]
            assert value is None or value == "asap??" or type(value) is dt.date


@pytest.mark.parametrize("today", WEEK, ids=[d.strftime("%a") for d in WEEK])
def test_demo_dates_are_workdays_and_relative(today: dt.date) -> None:
    headers, rows = demo_rows(today)
    col = headers.index("Last Contact")
    dates = [row[col] for row in rows if isinstance(row[col], dt.date)]
    assert all(d.weekday() < 5 for d in dates)
    later = demo_rows(today + dt.timedelta(days=7))[1]
    moved = [
        (b[col] - a[col]).days
        for a, b in zip(rows, later, strict=True)
        if isinstance(a[col], dt.date)
    ]
    assert set(moved) == {7}  # a week later, every date moved by a week


def test_demo_expected_covers_every_flag() -> None:
    expected = [e for e in demo_expected(MONDAY) if e is not None]
    assert {flag for flag, _ in expected} == set(choices.FLAGS)
    assert {action for _, action in expected} - {""} == set(choices.NEXT_ACTIONS)
    assert len(expected) == len(demo_rows(MONDAY)[1]) - 1


def test_demo_workbook(tmp_path: Path) -> None:
    path = tmp_path / "demo.xlsx"
    write_demo_workbook(path, MONDAY)
    ws = openpyxl.load_workbook(path)["Prospects"]
    headers, rows = demo_rows(MONDAY)
    assert [c.value for c in ws[1]] == EXPECTED_HEADERS
    assert ws.max_row == len(rows) + 1
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:U{len(rows) + 1}"
    assert len(ws.data_validations.dataValidation) == len(choices.DROPDOWNS) + len(
        choices.NUMBER_RANGES
    )
    for r, row in enumerate(rows, start=2):
        for header, value in zip(headers, row, strict=True):
            cell = ws.cell(row=r, column=EXPECTED_HEADERS.index(header) + 1)
            if isinstance(value, dt.date):
                assert cell.value == dt.datetime.combine(value, dt.time())
                assert cell.number_format == DATE_FORMAT
            else:
                assert cell.value == value
            if isinstance(value, str):
                assert cell.data_type == "s"  # "=HYPERLINK(...)" stays text, not a formula
    for owned in OWNED_FIELDS:
        col = EXPECTED_HEADERS.index(FIELD_HEADERS[owned][0]) + 1
        assert all(ws.cell(row=r, column=col).value is None for r in range(2, ws.max_row + 1))


# -- the demo through the engine ----------------------------------------------------------------


def _sync_flags(today: dt.date) -> tuple[list[str | None], list[str]]:
    """Flag and Next Action per demo row after a sync (None / "" where the cell stays empty)."""
    from sheetsync.config import Config
    from sheetsync.sources.base import SheetData
    from sheetsync.sync import plan_sync

    headers, rows = demo_rows(today)
    table = plan_sync(
        SheetData(title="Prospects", headers=headers, rows=rows), Config(), today
    ).table
    flags = [f if isinstance(f, str) else None for f in table["Flag"]]
    actions = [a if isinstance(a, str) else "" for a in table["Next Action"]]
    return flags, actions


@pytest.mark.parametrize("today", WEEKDAYS, ids=[d.strftime("%a-%Y-%m-%d") for d in WEEKDAYS])
def test_demo_shows_every_flag_on_a_weekday(today: dt.date) -> None:
    flags, _ = _sync_flags(today)
    assert set(choices.FLAGS) <= set(flags)


@pytest.mark.parametrize("today", WEEKDAYS, ids=[d.strftime("%a-%Y-%m-%d") for d in WEEKDAYS])
def test_demo_rows_get_their_intended_flag(today: dt.date) -> None:
    flags, actions = _sync_flags(today)
    got = [
        None if flag is None else (flag, action)
        for flag, action in zip(flags, actions, strict=True)
    ]
    assert got == demo_expected(today)


@pytest.mark.parametrize("today", WEEK[5:], ids=["Sat", "Sun"])
def test_demo_on_a_weekend_gives_no_new_card(today: dt.date) -> None:
    flags, _ = _sync_flags(today)
    assert "CARD" not in flags
    assert set(choices.FLAGS) - {"CARD"} <= set(flags)
