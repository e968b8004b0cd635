"""The local Graph and identity platform answer as Microsoft's pages show (tests/fakegraph/
README.md lists them): the shapes the Microsoft 365 source relies on, checked with plain
requests so a fake that drifted from the docs cannot pass the sync tests by accident."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from fakegraph import FakeGraph, Fault, self_signed, serve

from sheetsync.sources.http import RetryPolicy
from sheetsync.sources.msgraph import encode_share_url, parse_source
from sheetsync.sources.msgraph.client import GraphClient, NoToken

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


TENANT = "contoso.onmicrosoft.com"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
AAD_ERROR_KEYS = {"error", "error_description", "error_codes", "timestamp", "trace_id"}


def login_post(graph: FakeGraph, endpoint: str, **form: str) -> requests.Response:
    """POST a form to the fake identity platform (its certificate is the test's own)."""
    return requests.post(
        f"{graph.login_url}/{TENANT}/oauth2/v2.0/{endpoint}",
        data=form,
        verify=os.environ["REQUESTS_CA_BUNDLE"],
        timeout=5,
    )


def poll(graph: FakeGraph, device_code: str) -> requests.Response:
    """One poll of the token endpoint for a device code (v2-oauth2-device-code.md)."""
    return login_post(
        graph, "token", grant_type=DEVICE_GRANT, client_id="app-1", device_code=device_code
    )


def test_identity_platform_answers(graph: FakeGraph) -> None:
    graph.add_app(TENANT, "app-1", secret="s3cret", public_client=True)
    login = graph.login_url
    bundle = os.environ["REQUESTS_CA_BUNDLE"]
    config = requests.get(
        f"{login}/{TENANT}/v2.0/.well-known/openid-configuration", verify=bundle, timeout=5
    ).json()
    for key in ("token_endpoint", "authorization_endpoint", "device_authorization_endpoint"):
        assert config[key].startswith(f"{login}/{TENANT}/oauth2/v2.0/")
    unknown = requests.get(
        f"{login}/nope/v2.0/.well-known/openid-configuration", verify=bundle, timeout=5
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_tenant"
    # v2-oauth2-device-code: the device authorization response
    device = login_post(
        graph, "devicecode", client_id="app-1", scope="Files.ReadWrite.All openid profile"
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
    pending = poll(graph, device["device_code"])
    assert pending.status_code == 400
    assert set(pending.json()) == AAD_ERROR_KEYS | {"correlation_id"}
    assert pending.json()["error"] == "authorization_pending"
    # v2-oauth2-client-creds-grant-flow: a token for .default, or invalid_client
    secret = {"grant_type": "client_credentials", "client_id": "app-1"}
    scope = "https://graph.microsoft.com/.default"
    token = login_post(graph, "token", **secret, client_secret="s3cret", scope=scope).json()
    assert token["token_type"] == "Bearer" and {"expires_in", "access_token"} <= set(token)
    wrong = login_post(graph, "token", **secret, client_secret="guess", scope=scope)
    assert wrong.status_code == 401 and wrong.json()["error_codes"] == [7000215]


def signed_in(graph: FakeGraph, scope: str) -> dict:
    """A device-code sign-in asking for ``scope``, polled until the user has signed in."""
    graph.pending_polls = 0
    device = login_post(graph, "devicecode", client_id="app-1", scope=scope).json()
    answer = poll(graph, device["device_code"])
    assert answer.status_code == 200
    return answer.json()


def test_the_token_answer_holds_what_the_scopes_asked_for(graph: FakeGraph) -> None:
    """v2-oauth2-device-code.md: id_token "if the original scope parameter included the openid
    scope", refresh_token "if the original scope parameter included offline_access"."""
    graph.add_app(TENANT, "app-1", public_client=True)
    bare = signed_in(graph, "Files.ReadWrite.All")
    assert {"token_type", "scope", "expires_in", "access_token"} <= set(bare)
    assert "id_token" not in bare and "refresh_token" not in bare
    full = signed_in(graph, "Files.ReadWrite.All openid profile offline_access")
    assert {"id_token", "refresh_token"} <= set(full)
    assert full["scope"] == "Files.ReadWrite.All openid profile"
    # v2-oauth2-auth-code-flow.md, "Refresh the access token": a new refresh token each time
    again = login_post(
        graph,
        "token",
        grant_type="refresh_token",
        client_id="app-1",
        refresh_token=full["refresh_token"],
        scope="Files.ReadWrite.All openid profile offline_access",
    ).json()
    assert again["refresh_token"] != full["refresh_token"] and "access_token" in again


def test_an_expired_device_code(graph: FakeGraph) -> None:
    graph.add_app(TENANT, "app-1", public_client=True)
    device = login_post(graph, "devicecode", client_id="app-1", scope="openid").json()
    graph.flows[device["device_code"]].expires = 0
    expired = poll(graph, device["device_code"])
    # the answer Entra gives (reported in Azure/azure-cli#22251, azure-sdk-for-python#32375)
    assert expired.status_code == 400 and expired.json()["error"] == "expired_token"
    assert expired.json()["error_description"].startswith(
        "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. "
        "This device code has expired."
    )


def test_a_certificate_assertion_as_the_page_shows_it_is_accepted(graph: FakeGraph) -> None:
    """certificate-credentials.md: header alg RS256, typ JWT, x5t = base64url SHA-1 thumbprint;
    claims aud (the token endpoint), exp, iss = sub = the client ID, jti, nbf."""
    key_pem, cert_pem = self_signed("sheetsync-app")
    graph.add_app(TENANT, "app-2", certificate_pem=cert_pem)
    sha1 = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA1())
    now = int(time.time())
    endpoint = f"{graph.login_url}/{TENANT}/oauth2/v2.0/token"

    def assertion(key: bytes) -> str:
        claims = {"aud": endpoint, "exp": now + 600, "iss": "app-2", "sub": "app-2"}
        claims |= {"jti": str(uuid.uuid4()), "nbf": now}
        x5t = base64.urlsafe_b64encode(sha1).decode().rstrip("=")
        return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t, "typ": "JWT"})

    form = {
        "grant_type": "client_credentials",
        "client_id": "app-2",
        "scope": "https://graph.microsoft.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    good = login_post(graph, "token", **form, client_assertion=assertion(key_pem))
    assert good.status_code == 200 and good.json()["token_type"] == "Bearer"
    other_key, _ = self_signed("someone-else")
    forged = login_post(graph, "token", **form, client_assertion=assertion(other_key))
    assert forged.status_code == 401 and forged.json()["error_codes"] == [700027]


def test_throttling_answers_as_the_sample_and_retry_after_is_honoured(graph: FakeGraph) -> None:
    """throttling.md, "Sample response": 429, ``Retry-After: 2.128``, error TooManyRequests."""
    item = graph.add_file("Prospects.xlsx", b"PK\x03\x04", share_url=URL)
    graph.fail(Fault(status=429, times=1, retry_after="2.128"))
    answer = requests.get(f"{graph.graph_url}/shares/{encode_share_url(URL)}/driveItem", timeout=5)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2.128"
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert error["innerError"]["status"] == "429"
    # the client waits what was asked (fractions included), then asks again
    graph.fail(Fault(status=429, times=1, retry_after="2.128"))
    waits: list[float] = []
    policy = RetryPolicy(total_seconds=10, sleep=waits.append, jitter=lambda: 0.0)
    client = GraphClient(graph.graph_url, NoToken(), policy)
    assert client.resolve(parse_source(URL)).item_id == item.item_id
    assert waits == [2.128]


def test_an_unquoted_if_match_is_malformed(graph: FakeGraph) -> None:
    """errors.md, malformedEntityTag: "ETags must be quoted strings"."""
    item = graph.add_file("Prospects.xlsx", b"old")
    unquoted = item.etag.strip('"')
    answer = requests.put(
        f"{graph.graph_url}/drives/{item.drive_id}/items/{item.item_id}/content",
        data=b"new",
        headers={"If-Match": unquoted},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["innerError"]["code"] == "malformedEntityTag"
    assert item.content == b"old"
