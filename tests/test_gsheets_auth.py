"""Credentials against the fake's OAuth token endpoint: real JWTs, real refreshes, no Google.

A service-account key made in the test (its token_uri points at the fake) is exchanged for an
access token exactly as against Google; the token then rides on every Sheets request. The
``sheetsync login`` flow runs end to end with a stand-in browser that follows the redirect.
"""

from __future__ import annotations

import json
import logging
import socket
import stat
import threading
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fakesheets import ENDPOINT_ENV, FakeSheets, serve
from google.oauth2 import credentials as user_credentials

from sheetsync.errors import CredentialsError
from sheetsync.sources.gsheets import GoogleSheetSource, RetryPolicy, login
from sheetsync.sources.gsheets.auth import resolve_credentials, save_token, token_path

KEY = "1AuthKey_abcdefghijklmnopqrstuvwxyz0123456789"
EMAIL = "sheetsync-bot@sales-team.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"
FAST = RetryPolicy(total_seconds=1.0)


@pytest.fixture
def fake_sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheets]:
    """The local Sheets server, with SHEETSYNC_SHEETS_ENDPOINT pointing at it."""
    yield from serve(monkeypatch)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_key(path: Path, info: dict[str, Any], mode: int = 0o600) -> Path:
    path.write_text(json.dumps(info))
    path.chmod(mode)
    return path


@pytest.fixture(autouse=True)
def nothing_leaves_this_machine(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Fail if anything (google-auth's background look-ups included) resolves a remote host."""
    remote: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host) not in ("localhost", "127.0.0.1", "::1"):
            remote.append(str(host))
            raise socket.gaierror(f"test guard: {host} is not on this machine")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield
    assert remote == [], f"tried to reach {remote}"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def fake(fake_sheets: FakeSheets) -> FakeSheets:
    fake_sheets.seed(KEY, {"Prospects": [["ID", "Company"], ["P1", "Acme"]]})
    fake_sheets.require_auth = True
    return fake_sheets


@pytest.fixture
def key_info(fake: FakeSheets, rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    fake.trust_service_account(EMAIL, public_pem(rsa_key))
    return {
        "type": "service_account",
        "project_id": "sales-team",
        "private_key_id": "0123456789abcdef",
        "private_key": pem(rsa_key),
        "client_email": EMAIL,
        "client_id": "1234567890",
        "token_uri": fake.token_uri,
    }


def test_service_account_key_is_exchanged_for_a_token(
    fake: FakeSheets, key_info: dict[str, Any], tmp_path: Path
) -> None:
    path = write_key(tmp_path / "key.json", key_info)
    data = GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()
    assert data.rows == [["P1", "Acme"]]
    token_requests = fake.requests("/token", "POST")
    assert len(token_requests) == 1
    grant = fake.token_grants[0]
    assert grant.ok and grant.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert grant.claims["iss"] == EMAIL
    assert grant.claims["scope"] == SCOPE  # spreadsheets only: no Drive
    assert grant.claims["aud"] == "https://oauth2.googleapis.com/token"  # as google-auth signs it
    for request in fake.requests():
        assert request.headers["authorization"] in {f"Bearer {t}" for t in fake.access_tokens}


def test_google_application_credentials_is_used(
    fake: FakeSheets, key_info: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "GOOGLE_APPLICATION_CREDENTIALS", str(write_key(tmp_path / "k.json", key_info))
    )
    GoogleSheetSource(f"gsheet:{KEY}", retry=FAST).read()
    assert fake.token_grants and fake.token_grants[0].claims["iss"] == EMAIL


def test_a_key_google_does_not_know_is_refused_with_credentials_error(
    fake: FakeSheets, key_info: dict[str, Any], tmp_path: Path
) -> None:
    key_info["private_key"] = pem(new_key())  # signed with another key than the trusted one
    path = write_key(tmp_path / "key.json", key_info)
    with pytest.raises(CredentialsError, match="Invalid JWT Signature"):
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()


def test_no_token_means_403_naming_the_account(
    fake: FakeSheets, key_info: dict[str, Any], tmp_path: Path
) -> None:
    fake.make_private(KEY)
    path = write_key(tmp_path / "key.json", key_info)
    with pytest.raises(CredentialsError, match=f"share the spreadsheet with {EMAIL} \\(Editor\\)"):
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()


@pytest.mark.parametrize("missing", ["private_key", "client_email", "token_uri"])
def test_malformed_key_names_the_missing_field(
    key_info: dict[str, Any], tmp_path: Path, missing: str
) -> None:
    del key_info[missing]
    path = write_key(tmp_path / "key.json", key_info)
    with pytest.raises(CredentialsError, match=f'has no "{missing}"'):
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path)).read()


def test_broken_pem_does_not_echo_the_key(key_info: dict[str, Any], tmp_path: Path) -> None:
    key_info["private_key"] = (
        "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n"
    )
    path = write_key(tmp_path / "key.json", key_info)
    with pytest.raises(CredentialsError) as caught:
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path)).read()
    assert "SECRETSECRET" not in str(caught.value)
    assert "not a valid PEM key" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"installed": {"client_id": "x"}}', "is an OAuth client file.*sheetsync login"),
        ('{"type": "external_account"}', 'has no "type" of "service_account"'),
    ],
)
def test_unusable_credentials_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "creds.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(CredentialsError, match=message):
        resolve_credentials(str(path), local=False)


def test_missing_credentials_file(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="does not exist"):
        resolve_credentials(str(tmp_path / "nope.json"), local=False)


def test_nothing_found_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(CredentialsError, match=r"--credentials.*sheetsync login"):
        resolve_credentials(None, local=False)


def test_key_readable_by_others_is_warned_about_through_logging(
    fake: FakeSheets,
    key_info: dict[str, Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_key(tmp_path / "key.json", key_info, mode=0o644)
    with caplog.at_level(logging.DEBUG):
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "chmod 600" in warnings[0].getMessage()
    everything = caplog.text + capsys.readouterr().out
    secret_line = key_info["private_key"].splitlines()[1]
    assert secret_line not in everything
    assert not any(token in everything for token in fake.access_tokens)


def test_private_key_file_is_not_warned_about(
    key_info: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_key(tmp_path / "key.json", key_info, mode=0o600)
    with caplog.at_level(logging.WARNING):
        resolve_credentials(str(path), local=False)
    assert caplog.records == []


def test_no_token_over_plain_http_beyond_this_machine(
    key_info: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_key(tmp_path / "key.json", key_info)
    monkeypatch.setenv(ENDPOINT_ENV, "http://sheets.example.invalid:8080")
    with pytest.raises(CredentialsError, match=r"plain http to sheets.example.invalid"):
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path)).read()
    key_info["token_uri"] = "http://oauth.example.invalid/token"
    path = write_key(tmp_path / "key2.json", key_info)
    with pytest.raises(CredentialsError, match=r"plain http to oauth.example.invalid"):
        resolve_credentials(str(path), local=False)


def test_anonymous_access_to_a_local_endpoint(fake_sheets: FakeSheets) -> None:
    fake_sheets.seed(KEY, {"Prospects": [["ID"]]})
    GoogleSheetSource(f"gsheet:{KEY}").read()
    assert all("authorization" not in r.headers for r in fake_sheets.requests())


# --- the user's OAuth token (sheetsync login) ------------------------------------------------


def user_token(
    fake: FakeSheets, refresh: str = "1//fake-refresh-seeded"
) -> user_credentials.Credentials:
    fake.refresh_tokens.add(refresh)
    return user_credentials.Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=fake.token_uri,
        client_id="cid.apps.googleusercontent.com",
        client_secret="not-so-secret",
        scopes=[SCOPE],
    )


def test_cached_token_is_0600_loads_and_refreshes_at_the_token_endpoint(
    fake: FakeSheets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = save_token(user_token(fake), token_path())
    assert path == tmp_path / "config" / "sheetsync" / "token.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    found = resolve_credentials(None, local=False)  # the default locations find it
    assert found.path == path
    GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()
    assert [g.grant_type for g in fake.token_grants] == ["refresh_token"]
    assert fake.token_grants[0].form["refresh_token"] == "1//fake-refresh-seeded"


def test_revoked_token_says_log_in_again(fake: FakeSheets, tmp_path: Path) -> None:
    path = save_token(user_token(fake), tmp_path / "token.json")
    fake.refresh_tokens.clear()
    with pytest.raises(CredentialsError, match="refused the credentials"):
        GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()


class FollowRedirect(webbrowser.BaseBrowser):
    """A stand-in for the user's browser: consents at once and follows the redirect."""

    def __init__(self) -> None:
        super().__init__("follow-redirect")
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        query = parse_qs(urlsplit(url).query)
        target = query["redirect_uri"][0]
        params = {"state": query["state"][0], "code": "4/fake-code", "scope": query["scope"][0]}
        threading.Thread(
            target=requests.get, args=(target,), kwargs={"params": params, "timeout": 10}
        ).start()
        return True


def test_login_runs_the_browser_flow_and_caches_the_token(
    fake: FakeSheets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake's token endpoint is http
    browser = FollowRedirect()
    webbrowser.register("sheetsync-test-browser", None, browser)
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "cid.apps.googleusercontent.com",
                    "client_secret": "not-so-secret",
                    "auth_uri": f"{fake.url}/auth",
                    "token_uri": fake.token_uri,
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    path = login(secrets, token_file=tmp_path / "token.json", browser="sheetsync-test-browser")
    assert parse_qs(urlsplit(browser.opened[0]).query)["scope"] == [SCOPE]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cached = json.loads(path.read_text())
    assert cached["type"] == "authorized_user"
    assert cached["refresh_token"] in fake.refresh_tokens
    assert [g.grant_type for g in fake.token_grants] == ["authorization_code"]
    GoogleSheetSource(f"gsheet:{KEY}", credentials=str(path), retry=FAST).read()


def test_login_refuses_a_key_file(tmp_path: Path, key_info: dict[str, Any]) -> None:
    path = write_key(tmp_path / "key.json", key_info)
    with pytest.raises(CredentialsError, match="not an OAuth client file"):
        login(path)
