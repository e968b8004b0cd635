"""The digest of a workbook in SharePoint links the workbook's own web address (the driveItem's
``webUrl`` Graph gave the sync), not the sharing link the sync was given: a real sync against
the local Graph (tests/fakegraph), the digest sent to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegraph import FakeGraph, serve
from smtpserver import SmtpServer, smtp_server
from test_notify_email import PASSWORD, config, html_part, sync, text_part

from sheetsync.demo_data import write_demo_workbook

MONDAY = dt.date(2026, 12, 7)
SHARED = "https://contoso.sharepoint.com/:x:/s/Sales/EbC1d2E3f4?e=AbCdEf"
WEB_URL = "https://contoso.sharepoint.com/sites/Sales/Shared%20Documents/Team%20Prospects.xlsx"


@pytest.fixture(autouse=True)
def _state_and_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETSYNC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGraph]:
    yield from serve(monkeypatch, tmp_path)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with smtp_server(tmp_path, "starttls", users={"sheetsync": PASSWORD}) as running:
        monkeypatch.setenv("SSL_CERT_FILE", str(running.cert_file))
        yield running


def test_the_digest_links_the_workbook_in_sharepoint(tmp_path, graph, server):
    book = tmp_path / "Team Prospects.xlsx"
    write_demo_workbook(book, MONDAY)
    item = graph.add_file("Team Prospects.xlsx", book.read_bytes(), share_url=SHARED)
    code, _, err = sync(SHARED, "--config", str(config(tmp_path, server)))
    assert code == 0, err
    assert item.version == 2  # synced in the cloud, then the digests went out

    [dana] = server.inbox.to("dana@example.com")
    text, html = text_part(dana), html_part(dana)
    assert f"Open the sheet: {WEB_URL}\n" in text
    assert f'<a href="{WEB_URL}"' in html
    assert SHARED not in text and SHARED.replace("&", "&amp;") not in html
    # every rep's message carries the same workbook link
    for rep in ("luis@example.com", "priya@example.com"):
        [message] = server.inbox.to(rep)
        assert f"Open the sheet: {WEB_URL}\n" in text_part(message)
