"""The whole sync of a workbook in OneDrive or SharePoint: the CLI against the local Graph gives
the same answers as the same workbook synced as a file, sends no write when nothing changes,
and never leaves the workbook in the cloud half-written."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from fakegraph import FakeGraph, Fault, serve

from sheetsync.cli import main
from sheetsync.demo_data import write_demo_workbook
from sheetsync.sources.http import RetryPolicy
from sheetsync.sources.msgraph import parse_source
from sheetsync.sources.msgraph.client import GraphClient

TODAY = dt.date(2026, 11, 25)  # a Wednesday
URL = (
    "https://contoso.sharepoint.com/:x:/r/sites/Sales/_layouts/15/Doc.aspx?sourcedoc=%7B4B1C%7D"
    "&file=Prospects.xlsx&action=default&mobileredirect=true"
)
OUTPUTS = ["ID", "Attempts", "Next Contact", "Next Action", "Flag", "Why"]


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGraph]:
    yield from serve(monkeypatch, tmp_path)


def demo_bytes(folder: Path, name: str = "demo.xlsx") -> bytes:
    path = folder / name
    write_demo_workbook(path, TODAY)
    return path.read_bytes()


def table(content: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Prospects"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = [str(h) for h in rows[0]]
    return [{h: row[header.index(h)] for h in OUTPUTS} for row in rows[1:]]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["sync", *args, "--today", TODAY.isoformat()])
    return result.exit_code, result.output


def sync_json(*args: str) -> dict[str, Any]:
    code, output = run(*args, "--json")
    assert code == 0, output
    return json.loads(output)


def test_the_demo_gets_the_same_answers_as_the_same_file_synced_locally(graph, tmp_path):
    item = graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    cloud = sync_json(URL)["sources"][0]
    local_path = tmp_path / "local.xlsx"
    local_path.write_bytes(demo_bytes(tmp_path, "again.xlsx"))
    local = sync_json(str(local_path))["sources"][0]

    assert cloud["flags"] == local["flags"] and cloud["owners"] == local["owners"]
    assert cloud["cells_written"] == local["cells_written"] == 186
    assert table(item.content) == table(local_path.read_bytes())
    # one metadata read, the content request (302), the download, one upload
    assert [(r.method, r.host, r.status) for r in graph.requests()] == [
        ("GET", "graph", 200),
        ("GET", "graph", 302),
        ("GET", "download", 200),
        ("PUT", "graph", 200),
    ]
    assert item.version == 2


def test_the_upload_names_the_etag_it_read_and_the_download_carries_no_token(graph, tmp_path):
    item = graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    etag = item.etag
    graph.require_token = False
    sync_json(URL)
    put = graph.requests(method="PUT")[0]
    assert put.headers["If-Match"] == etag
    assert not graph.requests(host="download")[0].authorized


def test_a_second_sync_the_same_day_sends_no_write(graph, tmp_path):
    item = graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    sync_json(URL)
    graph.clear_log()
    again = sync_json(URL)["sources"][0]
    assert again["cells_written"] == 0
    assert graph.writes() == []
    assert len(graph.requests()) == 3  # metadata, content (302), download
    assert item.version == 2


def test_a_dry_run_sends_no_write(graph, tmp_path):
    original = demo_bytes(tmp_path)
    item = graph.add_file("Prospects.xlsx", original, share_url=URL)
    code, output = run(URL, "--dry-run")
    assert code == 0, output
    assert graph.writes() == [] and item.content == original


def test_drive_item_address_and_sources_in_the_config_and_sheet(graph, tmp_path):
    content = demo_bytes(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(content))
    book["Prospects"].title = "Leads"
    buffer = io.BytesIO()
    book.save(buffer)
    item = graph.add_file("Team.xlsx", buffer.getvalue())
    config = tmp_path / "sheetsync.toml"
    config.write_text(
        f'[[sources]]\nsource = "msgraph:/drives/{item.drive_id}/items/{item.item_id}"\n'
        'sheet = "Leads"\n'
    )
    report = sync_json("--config", str(config))["sources"][0]
    assert report["prospects"] == 48 and item.version == 2
    sheet = openpyxl.load_workbook(io.BytesIO(item.content))["Leads"]
    assert [c.value for c in sheet[1]][-4:] == ["Next Contact", "Next Action", "Flag", "Why"]


def test_someone_saves_while_the_sync_runs_their_edit_is_kept(graph, tmp_path):
    """A 412 on the upload: the workbook is downloaded and synced again with their change."""
    item = graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    theirs = openpyxl.load_workbook(io.BytesIO(item.content))
    theirs["Prospects"]["B2"] = "Renamed by Dana"
    buffer = io.BytesIO()
    theirs.save(buffer)

    def dana_saves(method: str, path: str) -> None:
        if method == "PUT" and item.version == 1:
            graph.save(item, buffer.getvalue())

    graph.before.append(dana_saves)
    report = sync_json(URL)["sources"][0]
    assert report["cells_written"] == 186
    puts = [r.status for r in graph.requests(method="PUT")]
    assert puts == [412, 200]
    synced = openpyxl.load_workbook(io.BytesIO(item.content))["Prospects"]
    assert synced["B2"].value == "Renamed by Dana"
    assert table(item.content)[0]["Flag"] is not None


def test_someone_keeps_saving_the_sync_gives_up_and_writes_nothing(graph, tmp_path):
    original = demo_bytes(tmp_path)
    item = graph.add_file("Prospects.xlsx", original, share_url=URL)

    def someone_saves(method: str, path: str) -> None:
        if method == "PUT":
            graph.save(item, original)

    graph.before.append(someone_saves)
    code, output = run(URL)
    assert code == 1
    assert output.count("\n") == 1
    assert "saved by someone else 4 times" in output
    assert "someone is editing it; nothing was written" in output
    assert [r.status for r in graph.requests(method="PUT")] == [412] * 4
    assert item.content == original


@pytest.mark.parametrize(
    ("arrange", "code", "says"),
    [
        (lambda item: setattr(item, "locked", True), 1, "is locked in SharePoint"),
        # 423 with the code accessDenied: still a lock, not a permission to grant
        (lambda item: setattr(item, "checked_out", True), 1, "is locked in SharePoint"),
        (lambda item: item.denied.add("*"), 1, "may not open"),
    ],
)
def test_locked_or_not_shared_gets_one_line_and_nothing_changes(
    graph, tmp_path, arrange, code, says
):
    original = demo_bytes(tmp_path)
    item = graph.add_file("Prospects.xlsx", original, share_url=URL)
    arrange(item)
    exit_code, output = run(URL)
    assert exit_code == code
    assert output.count("\n") == 1 and says in output and "nothing was written" in output
    assert item.content == original and item.version == 1


def test_a_link_that_no_longer_exists(graph):
    url = "https://contoso.sharepoint.com/:x:/s/Sales/EGone?e=x"
    code, output = run(url)
    assert code == 1
    assert (
        f"{url}: no file found at this link (itemNotFound) that this machine (no credentials) "
        "may see: check the link (copy it again from OneDrive or SharePoint; the file may have "
        "been moved or deleted); if it is right, ask the workbook's owner to share it with you"
    ) in output
    assert output.count("\n") == 1 and output.count(url) == 1


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("Archive", None, "this is the folder 'Archive', not a workbook: open the folder"),
        ("Old.xls", b"\xd0\xcf\x11\xe0", "save it as .xlsx"),
        ("Plan.docx", b"PK\x03\x04", "is not an Excel workbook"),
    ],
)
def test_a_folder_an_xls_or_a_word_file_is_refused(graph, name, content, says):
    url = f"https://contoso.sharepoint.com/:u:/s/Sales/{name}"
    graph.add_file(name, content, share_url=url)
    code, output = run(url)
    assert code == 1 and says in output
    assert output.count("\n") == 1 and output.count(url) == 1  # named once, by the CLI
    assert graph.writes() == [] and graph.requests(host="download") == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://contoso.sharepoint.com/:f:/s/Sales/EkFolder?e=1", "a link to a folder"),
        ("https://contoso.sharepoint.com/:w:/r/sites/Sales/Plan.docx?d=1", "a Word document"),
    ],
)
def test_a_folder_or_word_link_is_refused_without_asking_graph(graph, url, says):
    code, output = run(url)
    assert code == 1 and says in output and "copy the link of the .xlsx file" in output
    assert output.count("\n") == 1 and output.count(url) == 1
    assert graph.requests() == []


def test_a_network_failure_during_upload_leaves_the_workbook_as_it_was(graph, tmp_path):
    original = demo_bytes(tmp_path)
    item = graph.add_file("Prospects.xlsx", original, share_url=URL)
    graph.fail(Fault(method="PUT", times=None, drop=True))
    config = tmp_path / "fast.toml"
    config.write_text("retry_seconds = 1\n")
    code, output = run(URL, "--config", str(config))
    assert code == 1
    assert "either as it was or completely synced, never half-written" in output
    assert item.content == original and item.version == 1
    assert len(graph.requests(method="PUT")) >= 2  # retried: If-Match makes it safe


def test_a_dropped_upload_is_sent_again_and_completes(graph, tmp_path):
    item = graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    graph.fail(Fault(method="PUT", times=1, drop=True))
    sync_json(URL)
    assert item.version == 2 and table(item.content)[0]["Flag"] is not None


def test_throttling_is_retried_after_the_time_graph_asks(graph, tmp_path):
    item = graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    graph.fail(Fault(status=429, times=1, retry_after="1", match="/shares/"))
    graph.fail(Fault(status=503, times=1, retry_after="0", method="PUT"))
    sync_json(URL)
    statuses = [r.status for r in graph.requests()]
    assert statuses[:2] == [429, 200] and statuses.count(503) == 1
    assert item.version == 2


def test_throttling_beyond_retry_seconds_fails_and_writes_nothing(graph, tmp_path):
    original = demo_bytes(tmp_path)
    item = graph.add_file("Prospects.xlsx", original, share_url=URL)
    graph.fail(Fault(status=503, times=None, retry_after="30", method="PUT"))
    config = tmp_path / "fast.toml"
    config.write_text("retry_seconds = 5\n")
    code, output = run(URL, "--config", str(config))
    assert code == 1 and "Microsoft Graph answered 503" in output and "limit 5 s" in output
    assert item.content == original


def test_the_downloaded_copy_does_not_outlive_the_run(graph, tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    sync_json(URL)
    run(URL, "--dry-run")
    graph.fail(Fault(method="PUT", status=423, times=1))
    run(URL)
    assert [p.name for p in temp.iterdir() if p.name.startswith("sheetsync-")] == []


class CountingTokens:
    """Tokens the fake identity side issues, asked for as the client asks (``refresh`` or not)."""

    kind, who = "app", "the app"

    def __init__(self, graph: FakeGraph) -> None:
        self.graph, self.asked, self.current = graph, [], ""

    def token(self, refresh: bool = False) -> str | None:
        self.asked.append(refresh)
        if refresh or not self.current:
            self.current = self.graph._issue("the app")
        return self.current


def test_an_expired_token_is_replaced_once_and_the_retries_reuse_the_new_one(graph, tmp_path):
    item = graph.add_file("Prospects.xlsx", b"PK", share_url=URL)
    graph.require_token = True
    tokens = CountingTokens(graph)
    tokens.token()
    graph.expire_access_tokens()  # the token held is refused (401)

    def then_busy(method: str, path: str) -> None:  # the request after the refresh gets a 503
        if not graph.faults:
            graph.fail(Fault(status=503, times=1, retry_after="0"))

    graph.before.append(then_busy)
    client = GraphClient(
        graph.graph_url, tokens, RetryPolicy(total_seconds=5, sleep=lambda s: None)
    )
    assert client.resolve(parse_source(URL)).item_id == item.item_id
    assert [r.status for r in graph.requests()] == [401, 503, 200]
    assert tokens.asked == [False, False, True, False]  # held, sent, refreshed once, reused


def test_a_redirect_without_a_download_address_is_one_line(graph, tmp_path):
    original = demo_bytes(tmp_path)
    item = graph.add_file("Prospects.xlsx", original, share_url=URL)
    graph.fail(Fault(status=302, match="/content", method="GET"))  # 302, no Location
    code, output = run(URL)
    assert code == 1 and output.count("\n") == 1
    assert "Microsoft Graph sent no download address for Prospects.xlsx; nothing was written" in (
        output
    )
    assert graph.writes() == [] and item.content == original


@pytest.mark.parametrize(
    "spec",
    ["https://example.com/files/Prospects.xlsx", "https://d.docs.live.net/8a7b/Documents/P.xlsx"],
)
def test_a_web_address_that_graph_cannot_open_is_a_usage_error(graph, spec):
    code, output = run(spec)
    assert code == 2 and output.count("\n") == 1 and output.count(spec) == 1
    assert "no such file" not in output  # never taken for a local path
    assert graph.requests() == []


def test_verbose_logs_never_hold_the_pre_authenticated_download_url(graph, tmp_path):
    """Graph's download URL needs no token: it is one. --verbose logs every request's path."""
    graph.add_file("Prospects.xlsx", demo_bytes(tmp_path), share_url=URL)
    log_file = tmp_path / "sync.log"
    code, output = run(URL, "--verbose", "--log-file", str(log_file))
    assert code == 0, output
    text = log_file.read_text()
    [download] = graph.requests(host="download")
    assert '"GET /v1.0/shares/' in text  # urllib3's request lines are there
    assert download.path not in text and download.path.rsplit("/", 1)[1] not in text
    assert '"GET <pre-authenticated> HTTP/1.1" 200' in text
