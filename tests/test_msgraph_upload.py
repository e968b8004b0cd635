"""Workbooks above Graph's simple-upload limit go through an upload session: 320 KiB-multiple
fragments sent without the token, the file replaced only when the last byte arrives, If-Match
on the session, a failed session cancelled with the workbook unchanged."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter
from fakegraph import FakeGraph, Fault, serve

from sheetsync.config import Config
from sheetsync.errors import SourceError
from sheetsync.sources.http import RetryPolicy
from sheetsync.sources.msgraph.client import GraphClient, NoToken
from sheetsync.sources.msgraph.source import MicrosoftSource
from sheetsync.sync import sync_source

TODAY = dt.date(2026, 11, 25)
URL = "https://contoso-my.sharepoint.com/:x:/g/personal/ana_contoso_com/EBig?e=1"
FRAGMENT = 320 * 1024


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGraph]:
    yield from serve(monkeypatch, tmp_path)


def big_workbook(path: Path, rows: int = 6000) -> bytes:
    """About 0.6 MB of prospects: more than one 320 KiB fragment."""
    rnd = random.Random(7)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Prospects")
    sheet.write_row(0, 0, ["ID", "Company", "Owner", "Last Contact", "Last Outcome", "Notes"])
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r in range(1, rows + 1):
        sheet.write_string(r, 0, f"P{r:05d}")
        sheet.write_string(r, 1, f"Company {rnd.randrange(10**9)}")
        sheet.write_string(r, 2, rnd.choice(["Dana", "Luis", "Priya"]))
        sheet.write_datetime(r, 3, dt.datetime(2026, 1, 1) + dt.timedelta(rnd.randrange(300)), day)
        sheet.write_string(r, 4, rnd.choice(["No answer", "Voicemail", "Connected"]))
        sheet.write_string(r, 5, f"note {rnd.random()}")
    book.close()
    return path.read_bytes()


def source(limit: int = 100 * 1024) -> MicrosoftSource:
    client = GraphClient(
        os.environ["SHEETSYNC_GRAPH_ENDPOINT"],
        NoToken(),
        RetryPolicy(total_seconds=2, first_delay=0.01),
        simple_upload_limit=limit,
        fragment_size=FRAGMENT,
    )
    return MicrosoftSource(URL, None, client)


def test_a_big_workbook_goes_up_in_fragments(graph, tmp_path):
    item = graph.add_file("Big.xlsx", big_workbook(tmp_path / "big.xlsx"), share_url=URL)
    etag = item.etag
    report = sync_source(source(), Config(), TODAY)
    assert report.written and item.version == 2
    session = graph.requests(method="POST")
    assert [r.path.rsplit("/", 1)[-1] for r in session] == ["createUploadSession"]
    assert session[0].headers["If-Match"] == etag
    fragments = graph.requests(host="upload")
    assert len(fragments) == 2  # 320 KiB, then the rest
    assert [r.status for r in fragments] == [202] * (len(fragments) - 1) + [200]
    assert not any(r.authorized for r in fragments)
    assert graph.requests(method="PUT", host="graph") == []


def test_the_upload_url_is_not_logged(graph, tmp_path, caplog):
    """The session's uploadUrl takes bytes without a token: it is a credential."""
    graph.add_file("Big.xlsx", big_workbook(tmp_path / "big.xlsx"), share_url=URL)
    with caplog.at_level(logging.DEBUG):
        sync_source(source(), Config(), TODAY)
    [session] = {r.path for r in graph.requests(host="upload")}
    assert session.rsplit("/", 1)[1] not in caplog.text
    assert '"PUT <pre-authenticated> HTTP/1.1" 202' in caplog.text


def test_a_failed_fragment_cancels_the_session_and_leaves_the_workbook(graph, tmp_path):
    original = big_workbook(tmp_path / "big.xlsx")
    item = graph.add_file("Big.xlsx", original, share_url=URL)
    graph.fail(Fault(status=503, times=None, match="/_upload/", method="PUT"))
    with pytest.raises(SourceError, match="never half-written"):
        sync_source(source(), Config(), TODAY)
    assert item.content == original and item.version == 1
    assert [r.method for r in graph.requests(host="upload")][-1] == "DELETE"
    assert graph.sessions == {}


def test_someone_saves_before_the_session_it_is_synced_again(graph, tmp_path):
    original = big_workbook(tmp_path / "big.xlsx")
    item = graph.add_file("Big.xlsx", original, share_url=URL)

    def someone_saves(method: str, path: str) -> None:
        if path.endswith("createUploadSession") and item.version == 1:
            graph.save(item, original)

    graph.before.append(someone_saves)
    sync_source(source(), Config(), TODAY)
    statuses = [r.status for r in graph.requests(method="POST")]
    assert statuses == [412, 200] and item.version == 3
