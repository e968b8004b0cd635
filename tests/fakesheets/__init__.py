"""A local Google Sheets v4 server for tests: real gspread and google-auth talk to it over HTTP.

Checked against Google's recorded answers by ``tests/test_fakesheets_conformance.py``.

    from fakesheets import fake_sheets  # a pytest fixture; import it into a conftest

    def test_something(fake_sheets):
        fake_sheets.seed("KEY", {"Prospects": [["ID", "Company"], ["P1", "Acme"]]})
        ...  # SHEETSYNC_SHEETS_ENDPOINT already points at the fake

Controls: :meth:`FakeSheets.seed`, :meth:`~FakeSheets.make_private`,
:meth:`~FakeSheets.fail_next` / :meth:`~FakeSheets.fail_always` (429/5xx, optional
Retry-After), :meth:`~FakeSheets.on_request` (run code between requests),
:meth:`~FakeSheets.insert_rows` (edit like a user), and the request log
(:attr:`~FakeSheets.log`, :meth:`~FakeSheets.requests`). It never answers 401.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .errors import ApiError
from .model import Cell, Formula, Sheet, Spreadsheet
from .server import FakeSheets, LoggedRequest

ENDPOINT_ENV = "SHEETSYNC_SHEETS_ENDPOINT"


def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    """Start a fake, point SHEETSYNC_SHEETS_ENDPOINT at it, hide ambient credentials; stop after.

    For a fixture of one's own: ``yield from serve(monkeypatch)``."""
    fake = FakeSheets().start()
    monkeypatch.setenv(ENDPOINT_ENV, fake.url)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    """A started fake, with SHEETSYNC_SHEETS_ENDPOINT pointing at it and no ambient credentials."""
    yield from serve(monkeypatch)


__all__ = [
    "ENDPOINT_ENV",
    "ApiError",
    "Cell",
    "FakeSheets",
    "Formula",
    "LoggedRequest",
    "Sheet",
    "Spreadsheet",
    "fake_sheets",
    "serve",
]
