"""Microsoft sign-in with MSAL: an app registration (client secret or certificate) for cron, or
a person's own account through ``sheetsync login --microsoft`` (the device-code flow).

Where the credentials come from, first found wins: ``--credentials APP.json`` or
``[microsoft] credentials`` (a JSON of ``tenant_id``, ``client_id`` and ``client_secret`` or
``certificate``), ``[microsoft]`` ``tenant_id`` + ``client_id`` + ``certificate``, the token
``sheetsync login --microsoft`` cached (``~/.config/sheetsync/microsoft-token.json``, mode 600,
refreshed silently), and, with ``SHEETSYNC_GRAPH_ENDPOINT`` set, none at all.

``SHEETSYNC_MS_AUTHORITY`` replaces ``https://login.microsoftonline.com`` (a local test server).
Nothing here prints or logs a secret, a token or MSAL's error text about the credentials beyond
its AADSTS code.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from sheetsync.errors import CredentialsError, SourceError
from sheetsync.sources.secrets import (
    config_home,
    read_json_object,
    warn_if_shared,
    write_private,
)

from .client import NoToken, TokenSource

log = logging.getLogger(__name__)

AUTHORITY_ENV = "SHEETSYNC_MS_AUTHORITY"
LOGIN_HOST = "https://login.microsoftonline.com"
#: an app asks for what its registration was granted (Files.ReadWrite.All or Sites.Selected)
APP_SCOPES = ["https://graph.microsoft.com/.default"]
#: a person: their files and those shared with them (MSAL adds openid, profile, offline_access)
USER_SCOPES = ["Files.ReadWrite.All"]
CACHE_VERSION = 1

#: AADSTS codes a user can act on, and what to tell them
_AADSTS_FIXES = {
    7000215: "the client secret is wrong: copy the secret's Value (not its Secret ID) from "
    "Certificates & secrets of the app registration",
    7000222: "the client secret has expired: add a new one under Certificates & secrets of the "
    "app registration and put its Value in the credentials file",
    700016: "no app with this client_id in the tenant: check client_id (Application (client) "
    "ID) and tenant_id (Directory (tenant) ID) on the app's Overview page",
    90002: "no such tenant: check tenant_id (Directory (tenant) ID on the app's Overview page)",
    700027: "the certificate is not the one registered for the app: upload its public part "
    "under Certificates & secrets, or use the registered one",
    50173: "your Microsoft sign-in was revoked (password changed or sessions ended): run "
    "`sheetsync login --microsoft` again",
    700082: "your Microsoft sign-in expired after a long time unused: run "
    "`sheetsync login --microsoft` again",
    70008: "your Microsoft sign-in expired: run `sheetsync login --microsoft` again",
    65001: "the permission was not granted: an administrator must grant consent for the app "
    "(API permissions > Grant admin consent)",
    # only a sign-in without a secret or certificate gets it: the device code of login
    7000218: "the app does not allow a sign-in with a device code: turn on Authentication > "
    "Allow public client flows in its app registration, then run `sheetsync login --microsoft` "
    "again",
}


#: a device-code sign-in that ended without a token (v2-oauth2-device-code.md, "Expected errors")
_NOT_COMPLETED = {
    "authorization_declined": "it was declined in the browser; accept it this time",
    "expired_token": "the code expired before it was entered (15 minutes); enter it sooner",
    "bad_verification_code": "Microsoft did not recognise the code; enter the new one shown",
}


@dataclass(frozen=True)
class AppRegistration:
    """An Entra ID app registration's credentials, for an unattended (cron) sync."""

    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate: Path | None = None
    certificate_password: str | None = field(default=None, repr=False)
    #: where they came from, for messages
    origin: str = ""


def authority_host() -> str:
    """``https://login.microsoftonline.com``, or ``SHEETSYNC_MS_AUTHORITY``."""
    value = os.environ.get(AUTHORITY_ENV, "").strip().rstrip("/") or LOGIN_HOST
    if urlsplit(value).scheme != "https" or not urlsplit(value).hostname:
        raise CredentialsError(
            f"{AUTHORITY_ENV}={value!r} is not an https URL: MSAL only signs in over https"
        )
    return value


def token_path() -> Path:
    """Where ``sheetsync login --microsoft`` caches the sign-in (mode 600)."""
    return config_home() / "sheetsync" / "microsoft-token.json"


def load_app_file(path: Path) -> AppRegistration:
    """Read an app's credentials JSON; a relative ``certificate`` is taken from its folder."""
    info = read_json_object(path)
    warn_if_shared(path)
    missing = [key for key in ("tenant_id", "client_id") if not info.get(key)]
    if missing:
        raise CredentialsError(
            f"{path} has no {' or '.join(missing)}: it needs tenant_id, client_id and "
            "client_secret or certificate (see credentials.microsoft.example.json)"
        )
    secret = info.get("client_secret") or None
    certificate = info.get("certificate") or None
    if not secret and not certificate:
        raise CredentialsError(
            f"{path} has neither client_secret nor certificate: add one of them (see "
            "credentials.microsoft.example.json)"
        )
    return AppRegistration(
        tenant_id=str(info["tenant_id"]),
        client_id=str(info["client_id"]),
        client_secret=str(secret) if secret else None,
        certificate=(path.parent / os.path.expanduser(str(certificate))) if certificate else None,
        certificate_password=str(info.get("certificate_password") or "") or None,
        origin=str(path),
    )


def resolve_tokens(
    credentials: str = "",
    tenant_id: str = "",
    client_id: str = "",
    certificate: str = "",
    *,
    local: bool = False,
) -> TokenSource:
    """Find the Microsoft credentials (see the module docstring for the order)."""
    if credentials:
        return AppTokens(load_app_file(Path(credentials)))
    if certificate:
        if not (tenant_id and client_id):
            raise CredentialsError(
                "[microsoft] in the config needs tenant_id and client_id beside certificate "
                "(or credentials = a JSON file with a client_secret)"
            )
        return AppTokens(
            AppRegistration(
                tenant_id, client_id, certificate=Path(certificate), origin="[microsoft]"
            )
        )
    if token_path().is_file():
        return UserTokens(token_path())
    if local:
        return NoToken()
    raise CredentialsError(
        "no Microsoft credentials found: pass --credentials APP.json (tenant_id, client_id and "
        "client_secret or certificate), set [microsoft] in sheetsync.toml, or run "
        "`sheetsync login --microsoft` once"
    )


def _refusal(result: dict[str, Any], who: str) -> CredentialsError:
    codes = result.get("error_codes") or []
    if not codes:
        found = re.search(r"AADSTS(\d+)", str(result.get("error_description") or ""))
        codes = [int(found[1])] if found else []
    for code in codes:
        if int(code) in _AADSTS_FIXES:
            return CredentialsError(
                f"Microsoft sign-in refused {who} (AADSTS{code}): {_AADSTS_FIXES[int(code)]}"
            )
    label = f"AADSTS{codes[0]}" if codes else str(result.get("error") or "refused")
    return CredentialsError(
        f"Microsoft sign-in refused {who} ({label}): check tenant_id, client_id and the secret "
        "or certificate; a person runs `sheetsync login --microsoft` again"
    )


def _build(factory: Callable[..., Any], tenant_id: str, who: str, **kwargs: Any) -> Any:
    """An MSAL application on ``tenant_id``, its errors turned into sheetsync's."""
    host = authority_host()
    try:
        return factory(
            authority=f"{host}/{tenant_id}",
            # only Microsoft's own hosts can be checked by instance discovery
            instance_discovery=host == LOGIN_HOST,
            **kwargs,
        )
    except requests.RequestException as err:
        raise SourceError(
            f"could not reach the Microsoft sign-in service at {urlsplit(host).hostname} "
            f"({type(err).__name__}): check the network and run again"
        ) from err
    except ValueError as err:
        if "OIDC Discovery failed" in str(err) or "authority configuration" in str(err):
            raise CredentialsError(
                f"Microsoft sign-in does not know the tenant {tenant_id!r} ({who}): check "
                "tenant_id (Directory (tenant) ID on the app's Overview page in Entra ID)"
            ) from err
        # MSAL's text may quote key material: say what is wrong, not what it read
        raise CredentialsError(
            f"the certificate or secret of {who} cannot be used: give a PEM file holding the "
            "private key and the certificate, or a .pfx (with certificate_password if it has one)"
        ) from err


class AppTokens:
    """Tokens for an app registration (client credentials), held in memory for one run."""

    kind = "app"

    def __init__(self, app: AppRegistration) -> None:
        self.registration = app
        self.who = f"the app {app.client_id}"
        self._app: msal.ConfidentialClientApplication | None = None

    def _credential(self) -> str | dict[str, Any]:
        app = self.registration
        if app.client_secret:
            return app.client_secret
        assert app.certificate is not None
        path = app.certificate
        if path.suffix.lower() in (".pfx", ".p12"):
            if not path.is_file():
                raise CredentialsError(f"certificate file {path} does not exist")
            warn_if_shared(path)
            return {
                "private_key_pfx_path": str(path),
                "passphrase": app.certificate_password,
            }
        try:
            pem = path.read_text(encoding="ascii")
        except FileNotFoundError as err:
            raise CredentialsError(f"certificate file {path} does not exist") from err
        except (OSError, UnicodeDecodeError) as err:
            raise CredentialsError(f"certificate file {path} cannot be read as PEM") from err
        warn_if_shared(path)
        certificate = re.search(
            r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S
        )
        if "PRIVATE KEY-----" not in pem or certificate is None:
            raise CredentialsError(
                f"{path} must hold both the private key and the certificate (PEM), or be a .pfx"
            )
        credential: dict[str, Any] = {
            "private_key": pem,
            "public_certificate": certificate[0],
        }
        if app.certificate_password:
            credential["passphrase"] = app.certificate_password
        return credential

    def token(self, refresh: bool = False) -> str | None:
        if self._app is None or refresh:  # a refused token: a new app, an empty cache
            self._app = _build(
                msal.ConfidentialClientApplication,
                self.registration.tenant_id,
                self.who,
                client_id=self.registration.client_id,
                client_credential=self._credential(),
            )
        try:
            result = self._app.acquire_token_for_client(scopes=APP_SCOPES)
        except requests.RequestException as err:
            raise SourceError(
                f"could not reach the Microsoft sign-in service ({type(err).__name__}): check "
                "the network and run again"
            ) from err
        except ValueError as err:
            raise CredentialsError(
                f"the certificate of {self.who} cannot be used to sign in: check the file "
                f"{self.registration.certificate} (PEM key + certificate, or .pfx)"
            ) from err
        if "access_token" not in result:
            raise _refusal(result, self.who)
        return str(result["access_token"])


class UserTokens:
    """A person's tokens from the cache ``sheetsync login --microsoft`` wrote; refreshed
    silently with the refresh token, the cache rewritten (mode 600) when it changed."""

    kind = "user"

    def __init__(self, path: Path) -> None:
        self.path = path
        info = read_json_object(path)
        try:
            self.tenant_id = str(info["tenant_id"])
            self.client_id = str(info["client_id"])
            serialized = str(info["msal_cache"])
        except KeyError as err:
            raise CredentialsError(
                f"{path} is not a Microsoft sign-in cache: run `sheetsync login --microsoft` again"
            ) from err
        self.account = str(info.get("account") or "")
        self.who = f"you ({self.account})" if self.account else "your Microsoft account"
        self._cache = msal.SerializableTokenCache()
        self._cache.deserialize(serialized)
        self._app: msal.PublicClientApplication | None = None

    def token(self, refresh: bool = False) -> str | None:
        if self._app is None:
            self._app = _build(
                msal.PublicClientApplication,
                self.tenant_id,
                self.who,
                client_id=self.client_id,
                token_cache=self._cache,
            )
        accounts = self._app.get_accounts()
        if not accounts:
            raise CredentialsError(
                f"the Microsoft sign-in cache {self.path} holds no account: run "
                "`sheetsync login --microsoft` again"
            )
        try:
            result = self._app.acquire_token_silent_with_error(
                USER_SCOPES, account=accounts[0], force_refresh=refresh
            )
        except requests.RequestException as err:
            raise SourceError(
                f"could not reach the Microsoft sign-in service ({type(err).__name__}): check "
                "the network and run again"
            ) from err
        if self._cache.has_state_changed:
            _save_cache(self.path, self.tenant_id, self.client_id, self.account, self._cache)
        if not result or "access_token" not in result:
            if not result:
                raise CredentialsError(
                    f"your Microsoft sign-in in {self.path} has expired: run "
                    "`sheetsync login --microsoft` again"
                )
            raise _refusal(result, self.who)
        return str(result["access_token"])


def _save_cache(
    path: Path, tenant_id: str, client_id: str, account: str, cache: msal.SerializableTokenCache
) -> Path:
    info = {
        "version": CACHE_VERSION,
        "tenant_id": tenant_id,
        "client_id": client_id,
        "account": account,
        "msal_cache": cache.serialize(),
    }
    written = write_private(path, json.dumps(info, indent=2).encode("utf-8"))
    cache.has_state_changed = False
    return written


def login(
    tenant_id: str,
    client_id: str,
    *,
    show: Callable[[str], None],
    token_file: Path | None = None,
) -> tuple[Path, str]:
    """Sign a person in with the device-code flow: ``show`` gets Microsoft's instruction ("To
    sign in, use a web browser to open the page ... and enter the code ..."); waits until they
    did. Caches the tokens (mode 600); returns the cache's path and the account's name.

    Example::

        path, account = login("organizations", "00000000-...", show=click.echo)
    """
    who = f"the app {client_id}"
    cache = msal.SerializableTokenCache()
    app = _build(
        msal.PublicClientApplication, tenant_id, who, client_id=client_id, token_cache=cache
    )
    try:
        flow = app.initiate_device_flow(scopes=USER_SCOPES)
        if "user_code" not in flow:
            raise _refusal(flow, who)
        show(str(flow["message"]))
        result = app.acquire_token_by_device_flow(flow)
    except requests.RequestException as err:
        raise SourceError(
            f"could not reach the Microsoft sign-in service ({type(err).__name__}): check the "
            "network and run again"
        ) from err
    if "access_token" not in result:
        error = str(result.get("error") or "")
        if error in _NOT_COMPLETED:
            raise CredentialsError(
                f"the sign-in was not completed ({error}): {_NOT_COMPLETED[error]}, then run "
                "`sheetsync login --microsoft` again"
            )
        raise _refusal(result, who)
    claims = result.get("id_token_claims") or {}
    account = str(claims.get("preferred_username") or claims.get("name") or "")
    path = _save_cache(token_file or token_path(), tenant_id, client_id, account, cache)
    return path, account


def load_app_ids(app_file: str | None, settings: Any) -> tuple[str, str]:
    """The tenant and client IDs ``login --microsoft`` signs in with: from ``app_file`` (a JSON
    with tenant_id and client_id; a secret in it is not used), else ``[microsoft]``."""
    if app_file:
        info = read_json_object(Path(app_file))
        tenant_id, client_id = str(info.get("tenant_id") or ""), str(info.get("client_id") or "")
        origin = app_file
    else:
        tenant_id, client_id = settings.tenant_id, settings.client_id
        origin = "[microsoft] in the config"
    if not tenant_id or not client_id:
        raise CredentialsError(
            f"{origin} needs tenant_id (your tenant's ID, or organizations / consumers) and "
            "client_id (an app registration that allows public client flows): see the README, "
            "Microsoft 365"
        )
    return tenant_id, client_id
