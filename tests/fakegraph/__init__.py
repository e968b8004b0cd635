"""A local Microsoft Graph (drive items, shares, content, upload sessions, the workbook range
API for the naive way's cost) and Microsoft identity platform (OpenID configuration, token and
device-code endpoints) for tests. See README.md for the Microsoft pages it is held to.

    @pytest.fixture
    def graph(monkeypatch, tmp_path):
        yield from serve(monkeypatch, tmp_path)

    def test_something(graph):
        item = graph.add_file("Prospects.xlsx", data, share_url=URL)
        ...  # SHEETSYNC_GRAPH_ENDPOINT and SHEETSYNC_MS_AUTHORITY point at the fake

Controls: :meth:`FakeGraph.add_file`, :meth:`~FakeGraph.save` (someone saves: a new eTag),
``item.locked`` (423), ``item.denied`` (403), :meth:`~FakeGraph.fail` (429/503/504 with
Retry-After, or a dropped connection), ``before`` hooks (run code as a request arrives),
:meth:`~FakeGraph.add_app` (secret or certificate; public client for device code),
:meth:`~FakeGraph.expire_access_tokens`, :meth:`~FakeGraph.revoke`, and the request log
(:meth:`~FakeGraph.requests`, :meth:`~FakeGraph.writes`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from certs import self_signed

from .server import FakeGraph, Fault, Item, LoggedRequest, Servers

__all__ = [
    "FakeGraph",
    "Fault",
    "Item",
    "LoggedRequest",
    "Servers",
    "self_signed",
    "serve",
]


_TLS: dict[str, tuple[bytes, bytes]] = {}


def serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGraph]:
    """Start both servers; point sheetsync (and MSAL) at them; a private config folder.

    A pytest fixture yields from it: ``yield from serve(monkeypatch, tmp_path)``."""
    folder = tmp_path / "fakegraph"
    folder.mkdir()
    if "login" not in _TLS:  # one TLS key per test run: RSA key generation takes a while
        _TLS["login"] = self_signed("127.0.0.1", ip="127.0.0.1")
    key_pem, cert_pem = _TLS["login"]
    keyfile, certfile = folder / "login-key.pem", folder / "login-cert.pem"
    keyfile.write_bytes(key_pem)
    certfile.write_bytes(cert_pem)
    fake = FakeGraph()
    servers = Servers(fake, certfile, keyfile)
    monkeypatch.setenv("SHEETSYNC_GRAPH_ENDPOINT", fake.graph_url)
    monkeypatch.setenv("SHEETSYNC_MS_AUTHORITY", fake.login_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certfile))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
    try:
        yield fake
    finally:
        servers.close()
