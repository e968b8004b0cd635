"""Google credentials: a service-account key, or a user's OAuth token cached by ``sheetsync login``.

Where they come from, first found wins: the ``credentials`` argument (``--credentials FILE``),
``GOOGLE_APPLICATION_CREDENTIALS``, the token ``sheetsync login`` cached
(``~/.config/sheetsync/token.json``), gspread's ``~/.config/gspread/service_account.json``, then
gspread's ``authorized_user.json``. With ``SHEETSYNC_SHEETS_ENDPOINT`` set and nothing named
explicitly, no credentials are used at all (a local test server needs none).

The only scope asked for is ``spreadsheets``: no Drive access. Nothing here prints or logs a
credential; a key file others can read is warned about through :mod:`logging`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from sheetsync.errors import CredentialsError
from sheetsync.sources.secrets import config_home, write_private
from sheetsync.sources.secrets import read_json_object as _read_json
from sheetsync.sources.secrets import warn_if_shared as _warn_if_shared

from .transport import check_plain_http

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "token_uri")
AUTHORIZED_USER_FIELDS = ("refresh_token", "client_id", "client_secret")


@dataclass(frozen=True)
class GoogleCredentials:
    """Credentials plus who they are, for messages ("share the sheet with ...")."""

    credentials: Credentials
    #: the service account's e-mail, or a description of the account
    account: str
    #: the file they came from, None for anonymous
    path: Path | None = None


def token_path() -> Path:
    """Where ``sheetsync login`` caches the user's OAuth token."""
    return config_home() / "sheetsync" / "token.json"


def default_locations() -> list[Path]:
    """The files tried when no credentials are named, in order."""
    return [
        token_path(),
        config_home() / "gspread" / "service_account.json",
        config_home() / "gspread" / "authorized_user.json",
    ]


def resolve_credentials(
    explicit: str | os.PathLike[str] | None, *, local: bool
) -> GoogleCredentials:
    """Find and load credentials (see the module docstring for the order).

    ``local``: SHEETSYNC_SHEETS_ENDPOINT is set, so anonymous access is fine when nothing is
    named explicitly. Raises CredentialsError when nothing usable is found.
    """
    if explicit:
        return load_credentials(Path(explicit))
    from_env = os.environ.get(CREDENTIALS_ENV)
    if from_env:
        return load_credentials(Path(from_env))
    if local:
        return GoogleCredentials(AnonymousCredentials(), "the local test server's account")
    for path in default_locations():
        if path.is_file():
            return load_credentials(path)
    raise CredentialsError(
        "no Google credentials found: pass --credentials KEY.json (a service-account key), set "
        f"{CREDENTIALS_ENV}, or run `sheetsync login CLIENT_SECRETS.json` once"
    )


def load_credentials(path: Path) -> GoogleCredentials:
    """Load a service-account key or an authorized-user token file. Raises CredentialsError."""
    info = _read_json(path)
    _warn_if_shared(path)
    kind = info.get("type")
    if kind == "service_account":
        _require(info, SERVICE_ACCOUNT_FIELDS, path, "service-account key")
        check_plain_http(str(info["token_uri"]), sends_secret=True, what=f"token_uri of {path}")
        try:
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        except (ValueError, TypeError) as err:
            # The error text may quote the key material: never pass it on.
            raise CredentialsError(
                f"the private_key in {path} is not a valid PEM key: download a new key for "
                "the service account"
            ) from err
        return GoogleCredentials(creds, str(info["client_email"]), path)
    if kind == "authorized_user":
        _require(info, AUTHORIZED_USER_FIELDS, path, "OAuth token")
        token_uri = str(info.get("token_uri") or GOOGLE_TOKEN_URI)
        check_plain_http(token_uri, sends_secret=True, what=f"token_uri of {path}")
        creds = _user_credentials(info, token_uri)
        account = str(info.get("account") or "") or "the Google account you logged in with"
        return GoogleCredentials(creds, account, path)
    if "installed" in info or "web" in info:
        raise CredentialsError(
            f"{path} is an OAuth client file, not credentials: run "
            f"`sheetsync login {path}` once, then sync without --credentials"
        )
    raise CredentialsError(
        f'{path} has no "type" of "service_account" or "authorized_user": use a '
        "service-account key (JSON) downloaded from the Google Cloud console"
    )


def _user_credentials(info: dict[str, Any], token_uri: str) -> user_credentials.Credentials:
    """A cached user token, refreshed at the file's own token_uri.

    (google-auth's ``from_authorized_user_info`` always refreshes at Google's endpoint, which
    would ignore a token_uri pointing at a local test server.) The cached access token is reused
    only while its recorded expiry is ahead."""
    token = None
    expiry = None
    if info.get("token") and info.get("expiry"):
        try:
            expiry = dt.datetime.strptime(
                str(info["expiry"]).rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S"
            )
            token = str(info["token"])
        except ValueError:
            expiry = None
    return user_credentials.Credentials(
        token=token,
        expiry=expiry,
        refresh_token=str(info["refresh_token"]),
        token_uri=token_uri,
        client_id=str(info["client_id"]),
        client_secret=str(info["client_secret"]),
        scopes=list(SCOPES),
        account=str(info.get("account") or ""),
    )


def login(
    client_secrets_path: str | os.PathLike[str],
    *,
    token_file: Path | None = None,
    open_browser: bool = True,
    browser: str | None = None,
    port: int = 0,
    timeout_seconds: int | None = 300,
) -> Path:
    """Run Google's browser sign-in for a user and cache the token (mode 0600); return its path.

    ``client_secrets_path`` is the "Desktop app" OAuth client JSON from the Google Cloud console.
    Only the spreadsheets scope is requested.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    path = Path(client_secrets_path)
    info = _read_json(path)
    if "installed" not in info and "web" not in info:
        raise CredentialsError(
            f'{path} is not an OAuth client file: download the JSON of a "Desktop app" OAuth '
            "client from the Google Cloud console"
        )
    flow = InstalledAppFlow.from_client_config(info, scopes=list(SCOPES))
    creds = flow.run_local_server(
        host="localhost",
        port=port,
        open_browser=open_browser,
        browser=browser,
        timeout_seconds=timeout_seconds,
    )
    return save_token(creds, token_file or token_path())


def save_token(creds: Credentials, path: Path) -> Path:
    """Write a user's token as JSON readable by its owner only (0600, folder 0700), atomically."""
    if not isinstance(creds, user_credentials.Credentials):
        raise CredentialsError("only a user's OAuth credentials can be cached")
    # "type" lets load_credentials tell this file from a service-account key.
    info = {"type": "authorized_user", **json.loads(creds.to_json())}
    return write_private(path, json.dumps(info, indent=2).encode("utf-8"))


def _require(info: dict[str, Any], fields: tuple[str, ...], path: Path, what: str) -> None:
    missing = [name for name in fields if not info.get(name)]
    if missing:
        names = ", ".join(f'"{name}"' for name in missing)
        raise CredentialsError(
            f"the {what} {path} has no {names}: download a new one (it may have been cut short)"
        )
