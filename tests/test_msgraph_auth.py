"""Microsoft sign-in: MSAL itself against the local identity platform (https, a certificate
made by the test), the token it gets checked by the local Graph. Secrets never printed."""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakegraph import FakeGraph, self_signed, serve

from sheetsync.cli import main
from sheetsync.demo_data import write_demo_workbook
from sheetsync.sources.msgraph.auth import token_path

TODAY = dt.date(2026, 11, 25)
URL = "https://contoso.sharepoint.com/:x:/s/Sales/EbProspects?e=AbCd"
TENANT = "8f3c5d2a-1b4e-4c6f-9a7d-2e5b8c1f0a93"
CLIENT = "5d1e2f3a-4b5c-4d6e-8f70-1a2b3c4d5e6f"
SECRET = "Xq8~super.secret-value_9kZ"


@pytest.fixture
def workbook(graph: FakeGraph, tmp_path: Path):
    path = tmp_path / "demo.xlsx"
    write_demo_workbook(path, TODAY)
    graph.require_token = True
    return graph.add_file("Prospects.xlsx", path.read_bytes(), share_url=URL)


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGraph]:
    yield from serve(monkeypatch, tmp_path)


def app_file(folder: Path, **fields: str) -> Path:
    path = folder / "app.json"
    path.write_text(json.dumps(fields))
    path.chmod(0o600)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args])
    return result.exit_code, result.output


def sync(*args: str) -> tuple[int, str]:
    return run("sync", URL, "--today", TODAY.isoformat(), *args)


def test_an_app_with_a_client_secret_syncs(graph, workbook, tmp_path, caplog):
    graph.add_app(TENANT, CLIENT, secret=SECRET)
    creds = app_file(tmp_path, tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    with caplog.at_level(logging.DEBUG):
        code, output = sync("--credentials", str(creds), "--verbose")
    assert code == 0, output
    assert workbook.version == 2
    assert all(r.authorized for r in graph.requests(host="graph"))
    grants = [g["grant_type"] for g in graph.grants]
    assert grants == ["client_credentials"]
    assert graph.grants[0]["scope"] == "https://graph.microsoft.com/.default"
    assert SECRET not in output + caplog.text


def test_an_app_with_a_certificate_syncs(graph, workbook, tmp_path):
    key_pem, cert_pem = self_signed("sheetsync-cron")
    graph.add_app(TENANT, CLIENT, certificate_pem=cert_pem)
    pem = tmp_path / "app.pem"
    pem.write_bytes(key_pem + cert_pem)
    pem.chmod(0o600)
    creds = app_file(tmp_path, tenant_id=TENANT, client_id=CLIENT, certificate="app.pem")
    code, output = sync("--credentials", str(creds))
    assert code == 0, output
    assert workbook.version == 2
    assert graph.grants[0]["client_assertion_type"].endswith("jwt-bearer")


def test_the_certificate_in_the_config(graph, workbook, tmp_path):
    key_pem, cert_pem = self_signed("sheetsync-cron")
    graph.add_app(TENANT, CLIENT, certificate_pem=cert_pem)
    (tmp_path / "app.pem").write_bytes(key_pem + cert_pem)
    (tmp_path / "app.pem").chmod(0o600)
    config = tmp_path / "sheetsync.toml"
    config.write_text(
        f'[microsoft]\ntenant_id = "{TENANT}"\nclient_id = "{CLIENT}"\ncertificate = "app.pem"\n'
    )
    code, output = sync("--config", str(config))
    assert code == 0, output
    assert workbook.version == 2


@pytest.mark.parametrize(
    ("arrange", "creds", "says"),
    [
        (
            lambda g: g.add_app(TENANT, CLIENT, secret="another"),
            {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET},
            "(AADSTS7000215): the client secret is wrong: copy the secret's Value",
        ),
        (
            lambda g: setattr(g.add_app(TENANT, CLIENT, secret=SECRET), "secret_expired", True),
            {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET},
            "(AADSTS7000222): the client secret has expired: add a new one",
        ),
        (
            lambda g: g.add_app(TENANT, "another-app", secret=SECRET),
            {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET},
            "(AADSTS700016): no app with this client_id in the tenant",
        ),
        (
            lambda g: g.add_app(TENANT, CLIENT, secret=SECRET),
            {"tenant_id": "contoso-typo", "client_id": CLIENT, "client_secret": SECRET},
            "does not know the tenant 'contoso-typo'",
        ),
        (
            lambda g: g.add_app(TENANT, CLIENT, certificate_pem=self_signed("registered")[1]),
            {"tenant_id": TENANT, "client_id": CLIENT, "certificate": "other.pem"},
            "(AADSTS700027): the certificate is not the one registered",
        ),
    ],
    ids=["wrong-secret", "expired-secret", "unknown-app", "wrong-tenant", "other-certificate"],
)
def test_refused_credentials_say_what_to_do_and_change_nothing(
    graph, workbook, tmp_path, arrange, creds, says
):
    arrange(graph)
    key_pem, cert_pem = self_signed("not-registered")
    (tmp_path / "other.pem").write_bytes(key_pem + cert_pem)
    (tmp_path / "other.pem").chmod(0o600)
    code, output = sync("--credentials", str(app_file(tmp_path, **creds)))
    assert code == 1
    assert output.count("\n") == 1 and says in output, output
    assert SECRET not in output
    assert workbook.version == 1 and graph.requests(host="graph") == []


@pytest.mark.parametrize(
    ("creds", "says"),
    [
        ({"client_id": CLIENT, "client_secret": SECRET}, "has no tenant_id"),
        ({"tenant_id": TENANT, "client_id": CLIENT}, "has neither client_secret nor certificate"),
    ],
)
def test_an_incomplete_credentials_file(graph, workbook, tmp_path, creds, says):
    code, output = sync("--credentials", str(app_file(tmp_path, **creds)))
    assert code == 1 and says in output and SECRET not in output


def test_a_secret_in_the_config_is_refused(tmp_path):
    config = tmp_path / "sheetsync.toml"
    config.write_text(f'[microsoft]\nclient_secret = "{SECRET}"\n')
    code, output = sync("--config", str(config))
    assert code == 2
    assert "'microsoft.client_secret': a secret does not belong in the config" in output
    assert SECRET not in output


def test_no_credentials_at_all_against_microsoft(monkeypatch, tmp_path):
    monkeypatch.delenv("SHEETSYNC_GRAPH_ENDPOINT", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    code, output = sync()
    assert code == 1
    assert "no Microsoft credentials found" in output and "sheetsync login --microsoft" in output


def test_a_workbook_the_app_cannot_see_says_which_permission(graph, workbook, tmp_path):
    """Graph answers 404 for an item the caller may not see (the fake as for a link it does
    not know): the message says both what to check and what to grant."""
    graph.add_app(TENANT, CLIENT, secret=SECRET)
    creds = app_file(tmp_path, tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    hidden = "https://contoso.sharepoint.com/:x:/s/HR/EbSalaries?e=Zz"
    result = CliRunner().invoke(main, ["sync", hidden, "--credentials", str(creds)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert f"that the app {CLIENT} may see: check the link" in result.output
    assert "grant the app the application permission Files.ReadWrite.All, or Sites.Selected" in (
        result.output
    )
    assert graph.writes() == [] and workbook.version == 1


def test_a_token_is_never_sent_over_plain_http_beyond_this_machine(
    graph, workbook, tmp_path, monkeypatch
):
    graph.add_app(TENANT, CLIENT, secret=SECRET)
    creds = app_file(tmp_path, tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    monkeypatch.setenv("SHEETSYNC_GRAPH_ENDPOINT", "http://graph.example.com/v1.0")
    code, output = sync("--credentials", str(creds))
    assert code == 1 and output.count("\n") == 1
    assert "refusing to send a Microsoft token over plain http to graph.example.com" in output
    assert graph.grants == [] and SECRET not in output


def test_a_graph_endpoint_that_is_not_a_url(graph, workbook, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_GRAPH_ENDPOINT", "127.0.0.1:8080")
    code, output = sync()
    assert code == 1 and output.count("\n") == 1
    assert "SHEETSYNC_GRAPH_ENDPOINT='127.0.0.1:8080' is not an http(s) URL: use e.g. " in output
    assert graph.requests() == []


def login(graph: FakeGraph, tmp_path: Path) -> tuple[int, str]:
    graph.add_app("organizations", CLIENT, public_client=True)
    graph.device_interval = 0  # the docs' interval is 5 s; the test need not wait
    config = tmp_path / "login.toml"
    config.write_text(f'[microsoft]\ntenant_id = "organizations"\nclient_id = "{CLIENT}"\n')
    return run("login", "--microsoft", "--config", str(config))


def test_login_with_a_device_code_then_sync_refreshes_silently(graph, workbook, tmp_path):
    graph.token_lifetime = 60  # as next morning: the cached access token is (nearly) expired
    code, output = login(graph, tmp_path)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("To sign in, use a web browser to open the page ")
    assert lines[1] == f"signed in as ana@contoso.com; token saved to {token_path()}"
    assert stat.S_IMODE(token_path().stat().st_mode) == 0o600
    assert [g.get("grant_type") for g in graph.grants] == [
        None,  # the device-code request
        "urn:ietf:params:oauth:grant-type:device_code",  # pending
        "urn:ietf:params:oauth:grant-type:device_code",  # signed in
    ]

    before = token_path().read_text()
    code, output = sync()
    assert code == 0, output
    assert workbook.version == 2
    assert graph.grants[-1]["grant_type"] == "refresh_token"  # MSAL refreshed it, silently
    assert 401 not in [r.status for r in graph.requests()]
    assert token_path().read_text() != before  # the new refresh token is kept
    assert stat.S_IMODE(token_path().stat().st_mode) == 0o600


def test_an_expired_token_at_graph_is_replaced_once(graph, workbook, tmp_path):
    assert login(graph, tmp_path)[0] == 0
    graph.token_lifetime = 3599

    def expire_first(method: str, path: str, done: list[bool] = []) -> None:  # noqa: B006
        if not done:
            done.append(True)
            graph.expire_access_tokens()

    graph.before.append(expire_first)
    code, output = sync()
    assert code == 0, output
    assert [r.status for r in graph.requests(host="graph")][:2] == [401, 200]


def test_a_revoked_sign_in_says_to_log_in_again(graph, workbook, tmp_path):
    assert login(graph, tmp_path)[0] == 0
    graph.revoke("ana@contoso.com")
    graph.expire_access_tokens()
    graph.token_lifetime = 60
    # the cached access token is still within its lifetime for MSAL: make MSAL refresh
    info = json.loads(token_path().read_text())
    cache = json.loads(info["msal_cache"])
    for entry in cache["AccessToken"].values():
        entry["expires_on"] = "0"
    info["msal_cache"] = json.dumps(cache)
    token_path().write_text(json.dumps(info))
    code, output = sync()
    assert code == 1
    assert "(AADSTS50173)" in output and "run `sheetsync login --microsoft` again" in output
    assert workbook.version == 1


def test_login_needs_an_app_that_allows_device_code(graph, tmp_path):
    graph.add_app("organizations", CLIENT, public_client=False)
    config = tmp_path / "login.toml"
    config.write_text(f'[microsoft]\ntenant_id = "organizations"\nclient_id = "{CLIENT}"\n')
    code, output = run("login", "--microsoft", "--config", str(config))
    assert code == 1 and output.count("\n") == 1
    assert (
        "(AADSTS7000218): the app does not allow a sign-in with a device code: turn on " in output
    )
    assert "Allow public client flows" in output
    assert not token_path().exists()


def test_login_without_an_app_says_where_to_put_it(graph, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, output = run("login", "--microsoft")
    assert code == 1
    assert "needs tenant_id" in output and "client_id" in output


def test_login_takes_the_app_from_a_json_file(graph, tmp_path):
    graph.add_app("organizations", CLIENT, public_client=True)
    graph.device_interval = 0
    app = app_file(tmp_path, tenant_id="organizations", client_id=CLIENT)
    code, output = run("login", "--microsoft", str(app))
    assert code == 0, output
    assert json.loads(token_path().read_text())["client_id"] == CLIENT


def test_google_login_still_needs_its_client_file():
    code, output = run("login")
    assert code == 2 and "sheetsync login CLIENT_SECRETS.json" in output


def test_the_example_credentials_file_is_complete_and_refused_cleanly(graph, workbook):
    example = Path(__file__).resolve().parents[1] / "credentials.microsoft.example.json"
    info = json.loads(example.read_text())
    assert set(info) >= {"tenant_id", "client_id", "client_secret"}
    code, output = sync("--credentials", str(example))
    assert code == 1 and "Microsoft sign-in" in output
    assert info["client_secret"] not in output


def test_an_app_with_a_pfx_and_its_password_syncs(graph, workbook, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key_pem, cert_pem = self_signed("sheetsync-cron")
    graph.add_app(TENANT, CLIENT, certificate_pem=cert_pem)
    pfx = tmp_path / "app.pfx"
    pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"sheetsync",
            serialization.load_pem_private_key(key_pem, None),
            x509.load_pem_x509_certificate(cert_pem),
            None,
            serialization.BestAvailableEncryption(b"pfx-pass-123"),
        )
    )
    pfx.chmod(0o600)
    creds = app_file(
        tmp_path,
        tenant_id=TENANT,
        client_id=CLIENT,
        certificate="app.pfx",
        certificate_password="pfx-pass-123",
    )
    code, output = sync("--credentials", str(creds))
    assert code == 0, output
    assert workbook.version == 2 and "pfx-pass-123" not in output


def test_a_declined_sign_in_caches_nothing(graph, tmp_path):
    graph.decline = True
    code, output = login(graph, tmp_path)
    assert code == 1
    assert (
        "the sign-in was not completed (authorization_declined): it was declined in the browser; "
        "accept it this time, then run `sheetsync login --microsoft` again"
    ) in output
    assert not token_path().exists()


def test_a_device_code_that_expired_caches_nothing(graph, tmp_path):
    graph.pending_polls = 10**6  # the person never signs in
    graph.add_app("organizations", CLIENT, public_client=True)
    graph.device_interval, graph.device_lifetime = 0, 0  # the code expires at once
    config = tmp_path / "login.toml"
    config.write_text(f'[microsoft]\ntenant_id = "organizations"\nclient_id = "{CLIENT}"\n')
    code, output = run("login", "--microsoft", "--config", str(config))
    assert code == 1
    assert "(expired_token): the code expired before it was entered (15 minutes)" in output
    assert not token_path().exists()
