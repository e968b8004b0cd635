"""The local Graph and identity platform answer as Microsoft's pages show (tests/fakegraph/
README.md lists them): the shapes the Microsoft 365 source relies on, checked with plain
requests so a fake that drifted from the docs cannot pass the sync tests by accident."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fakegraph import FakeGraph, serve

from sheetsync.sources.msgraph import encode_share_url

URL = "https://onedrive.live.com/redir?resid=1231244193912!12&authKey=1201919!12921!1"


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGraph]:
    yield from serve(monkeypatch, tmp_path)


def test_shares_driveitem_content_and_errors(graph: FakeGraph) -> None:
    item = graph.add_file("contoso project.xlsx", b"PK\x03\x04 workbook", share_url=URL)
    base = graph.graph_url
    # shares-get: "Example (single file)": id, name, eTag, file, size
    shared = requests.get(f"{base}/shares/{encode_share_url(URL)}/driveItem", timeout=5).json()
    assert {"id", "name", "eTag", "file", "size"} <= set(shared)
    assert shared["parentReference"]["driveId"] == item.drive_id
    # driveitem-get-content: 302 Found with a Location that needs no Authorization
    content = requests.get(
        f"{base}/drives/{item.drive_id}/items/{item.item_id}/content",
        allow_redirects=False,
        timeout=5,
    )
    assert content.status_code == 302 and content.content == b""
    assert requests.get(content.headers["Location"], timeout=5).content == item.content
    # if-none-match with the current eTag: 304 Not Modified
    same = requests.get(
        f"{base}/drives/{item.drive_id}/items/{item.item_id}/content",
        headers={"If-None-Match": item.etag},
        allow_redirects=False,
        timeout=5,
    )
    assert same.status_code == 304
    # errors.md: {"error": {"code", "message", "innerError"}}; 412 is resourceModified
    stale = requests.put(
        f"{base}/drives/{item.drive_id}/items/{item.item_id}/content",
        data=b"new",
        headers={"If-Match": '"{OLD},0"'},
        timeout=5,
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "resourceModified"
    assert {"date", "request-id"} <= set(stale.json()["error"]["innerError"])
    missing = requests.get(f"{base}/drives/{item.drive_id}/items/01NOPE", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "itemNotFound"


def test_upload_session_answers(graph: FakeGraph) -> None:
    item = graph.add_file("big.xlsx", b"old")
    base = graph.graph_url
    session = requests.post(
        f"{base}/drives/{item.drive_id}/items/{item.item_id}/createUploadSession",
        json={"item": {"@microsoft.graph.conflictBehavior": "replace"}},
        headers={"If-Match": item.etag},
        timeout=5,
    ).json()
    assert {"uploadUrl", "expirationDateTime"} <= set(session)
    size = 320 * 1024 + 10
    data = os.urandom(size)
    first = requests.put(
        session["uploadUrl"],
        data=data[: 320 * 1024],
        headers={"Content-Range": f"bytes 0-{320 * 1024 - 1}/{size}"},
        timeout=5,
    )
    assert first.status_code == 202
    assert first.json()["nextExpectedRanges"] == [f"{320 * 1024}-"]
    out_of_order = requests.put(
        session["uploadUrl"],
        data=data[-5:],
        headers={"Content-Range": f"bytes {size - 5}-{size - 1}/{size}"},
        timeout=5,
    )
    assert out_of_order.status_code == 416
    assert item.content == b"old"  # nothing changes before the last byte
    last = requests.put(
        session["uploadUrl"],
        data=data[320 * 1024 :],
        headers={"Content-Range": f"bytes {320 * 1024}-{size - 1}/{size}"},
        timeout=5,
    )
    assert last.status_code in (200, 201) and last.json()["size"] == size
    assert item.content == data


def test_identity_platform_answers(graph: FakeGraph) -> None:
    graph.add_app("contoso.onmicrosoft.com", "app-1", secret="s3cret", public_client=True)
    login = graph.login_url
    bundle = os.environ["REQUESTS_CA_BUNDLE"]
    config = requests.get(
        f"{login}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        verify=bundle,
        timeout=5,
    ).json()
    for key in ("token_endpoint", "authorization_endpoint", "device_authorization_endpoint"):
        assert config[key].startswith(f"{login}/contoso.onmicrosoft.com/oauth2/v2.0/")
    unknown = requests.get(
        f"{login}/nope/v2.0/.well-known/openid-configuration", verify=bundle, timeout=5
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_tenant"
    # v2-oauth2-device-code: the device authorization response
    device = requests.post(
        config["device_authorization_endpoint"],
        data={"client_id": "app-1", "scope": "Files.ReadWrite.All openid profile"},
        verify=bundle,
        timeout=5,
    ).json()
    assert set(device) == {
        "device_code",
        "user_code",
        "verification_uri",
        "expires_in",
        "interval",
        "message",
    }
    assert device["expires_in"] == 900
    pending = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": "app-1",
            "device_code": device["device_code"],
        },
        verify=bundle,
        timeout=5,
    )
    assert pending.status_code == 400
    assert set(pending.json()) == {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
    }
    assert pending.json()["error"] == "authorization_pending"
    # v2-oauth2-client-creds-grant-flow: a token for .default, or invalid_client
    token = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": "app-1",
            "client_secret": "s3cret",
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=bundle,
        timeout=5,
    ).json()
    assert token["token_type"] == "Bearer" and {"expires_in", "access_token"} <= set(token)
    wrong = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": "app-1",
            "client_secret": "guess",
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=bundle,
        timeout=5,
    )
    assert wrong.status_code == 401 and wrong.json()["error_codes"] == [7000215]
