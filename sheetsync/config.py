"""TOML -> frozen, validated settings. Every default lives here, once.

``templates/sheetsync.toml`` documents every key; ``tests/test_config_template.py`` checks
that the two agree.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sheetsync import choices
from sheetsync.capacity import OWNER_KEYS as CAPACITY_OWNER_KEYS
from sheetsync.capacity import Capacity, parse_capacity, parse_workdays
from sheetsync.errors import ConfigError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: the buyer phases as ``[rules.phase_days]`` keys: ``choices.PHASES`` in lower case
PHASES = tuple(phase.lower() for phase in choices.PHASES)
STAGES_WITH_LIMIT = ("new", "working", "stale")


@dataclass(frozen=True)
class Window:
    """A window of whole days (or months) ``[low, high]`` after an anchor date."""

    low: int
    high: int


@dataclass(frozen=True)
class Rules:
    """The cadence numbers (README, "The rules"), with their defaults."""

    #: rule 0: a blank Stage is Stale when the last contact is this many days ago or more
    stale_after_days: int = 180
    #: rule 4: window of a requested call-back, in workdays after the asked day
    callback_workdays: int = 2
    #: rule 5: customers' check-in call, days after the last contact (repeat business)
    customer_days: Window = Window(90, 104)
    #: rule 6: lost / not now check-in, calendar months after the last contact
    lost_months: int = 6
    #: rule 6: the check-in window stays open this many days after it opens
    lost_extra_days: int = 14
    #: rule 7: cards per owner flagged CARD at once (5+5+5)
    cards_per_day: int = 5
    #: rule 7: the call follows the note after exactly this many workdays
    note_call_workdays: int = 5
    #: rule 7: a Note Sent older than the last contact and more than this many days ago is an
    #: earlier cycle
    note_cycle_days: int = 180
    #: rule 8: cut-bait limits of unanswered attempts per stage
    cut_bait: dict[str, int] = field(default_factory=lambda: {"new": 3, "working": 8, "stale": 3})
    #: rule 8: Priority A re-try window, calendar months after the last contact
    retry_months: Window = Window(6, 8)
    #: rule 8: a cut row recycles into the stale pool this many days after its last contact
    #: (0 = never)
    recycle_after_days: int = 180
    #: rule 9: the next touch, days after the last contact (ten days to two weeks)
    followup_days: Window = Window(10, 14)
    #: rule 9: with Contact Every n, the window is n to n + this
    contact_every_slack_days: int = 4
    #: rule 9: windows per buyer phase, days after the last contact
    phase_days: dict[str, Window] = field(
        default_factory=lambda: {
            "need": Window(30, 44),
            "solutions": Window(30, 44),
            "suppliers": Window(21, 28),
            "research": Window(14, 21),
            "preference": Window(7, 10),
            "negotiation": Window(3, 5),
            "repeat": Window(90, 104),
        }
    )
    #: workdays, Monday-Friday by default
    workdays: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")
    #: public holidays: a country (or "COUNTRY-SUBDIVISION") for the holidays package; "" = none
    holidays: str = ""


@dataclass(frozen=True)
class SourceEntry:
    """One ``[[sources]]`` entry: what ``sheetsync sync`` without SOURCE syncs."""

    source: str
    sheet: str | None = None


@dataclass(frozen=True)
class Notify:
    """``[notify]``: the daily digest after a successful sync (off while neither ``smtp_host``
    nor ``webhook_url`` is set). See README, "Every rep's morning"."""

    #: SMTP server of the digest e-mails; "" = no e-mail
    smtp_host: str = ""
    #: 0 = the usual port of ``security``: 587 starttls, 465 ssl, 25 none
    smtp_port: int = 0
    #: "starttls", "ssl" (implicit TLS) or "none"
    security: str = "starttls"
    #: SMTP login; "" = no AUTH
    username: str = ""
    #: name of the environment variable holding the SMTP password (never the password itself)
    password_env: str = ""
    #: the From address (TOML key ``from``)
    sender: str = ""
    #: address that gets the team roll-up (counts per owner, every CHECK row); "" = none
    manager: str = ""
    #: Slack-compatible incoming webhook (a secret: never printed); "" = none
    webhook_url: str = ""
    #: one webhook message per owner (true) or one for the team (false)
    webhook_per_owner: bool = True
    #: rows listed per section of a digest before "... and N more"
    max_rows: int = 50
    #: seconds one SMTP or webhook exchange may take
    timeout_seconds: float = 30.0
    #: attempts per message when the server is down or busy (backoff 1 s, 2 s, 4 s ...)
    attempts: int = 3

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host or self.webhook_url)

    @property
    def port(self) -> int:
        return self.smtp_port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


@dataclass(frozen=True)
class OwnerSettings:
    """``[owners.NAME]``: what the config says about one rep (NAME compares with the Owner
    cell case- and space-insensitively). Later per-owner keys go here."""

    #: NAME as written in the config
    name: str
    #: where the rep's digest goes ("" = the Owner cell, if it is itself an address)
    email: str = ""
    #: the rep's manager: gets a roll-up of the reps naming them
    manager: str = ""


@dataclass(frozen=True)
class Microsoft:
    """``[microsoft]``: how a workbook in OneDrive or SharePoint is reached (never a secret)."""

    #: path of an app's credentials JSON (tenant_id, client_id, client_secret or certificate)
    credentials: str = ""
    #: the Directory (tenant) ID, or organizations / consumers / common for `login --microsoft`
    tenant_id: str = ""
    #: the Application (client) ID of the app registration
    client_id: str = ""
    #: path of the app's certificate (PEM with the private key, or .pfx), instead of a secret
    certificate: str = ""


@dataclass(frozen=True)
class Config:
    rules: Rules = field(default_factory=Rules)
    #: how numeric text dates are read: "MDY" (default) or "DMY"
    date_order: str = "MDY"
    #: IANA time zone for "today"; "" = the machine's
    timezone: str = ""
    #: number format of the dates the tool writes
    date_format: str = "yyyy-mm-dd"
    #: field -> header text, for headers the built-in aliases do not know
    columns: dict[str, str] = field(default_factory=dict)
    #: how many previous versions of an Excel file are kept as backups (0 = none)
    backups: int = 1
    #: Google Sheets: total seconds spent retrying 429 / 5xx before giving up
    retry_seconds: float = 120.0
    #: Google Sheets: path of a service-account key or OAuth token ("" = the usual places)
    credentials: str = ""
    sources: tuple[SourceEntry, ...] = ()
    notify: Notify = field(default_factory=Notify)
    #: owner key (``sheetsync.cellvalues.owner_key``) -> that rep's settings
    owners: dict[str, OwnerSettings] = field(default_factory=dict)
    #: Microsoft 365: the app registration or the login to use
    microsoft: Microsoft = field(default_factory=Microsoft)
    #: each rep's touches a day, days off and workdays (``[capacity]``, ``[owners.NAME]``)
    capacity: Capacity = field(default_factory=Capacity)


def _fail(key: str, problem: str) -> ConfigError:
    return ConfigError(f"config key '{key}': {problem}")


def _int(key: str, value: Any, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(key, f"must be a whole number, not {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"{low} to {high}" if high is not None else f"{low} or more"
        raise _fail(key, f"must be {bounds}, not {value}")
    return value


def _str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(key, f"must be text, not {value!r}")
    return value


def _seconds(key: str, value: Any) -> float:
    """A finite number of seconds, 0 or more (NaN or infinity would retry forever)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise _fail(key, f"must be a number of seconds, 0 or more, not {value!r}")
    return float(value)


#: Excel's longest number format code
_MAX_FORMAT_LENGTH = 255


def _date_format(key: str, code: str) -> str:
    """A number format code that shows a date, and that Excel and Google Sheets accept."""
    from sheetsync.sources.excel.styles import is_date_code

    problem = None
    if len(code) > _MAX_FORMAT_LENGTH:
        problem = f"is {len(code)} characters long; Excel allows {_MAX_FORMAT_LENGTH}"
    elif any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF or ord(ch) > 0xFFFD for ch in code):
        problem = "holds a control character"
    elif code.count('"') % 2 or code.count("[") != code.count("]") or code.endswith("\\"):
        problem = "has an unclosed quote, bracket or escape"
    elif not is_date_code(code):
        problem = "shows no date (it needs d or y letters outside quotes)"
    if problem is not None:
        raise _fail(key, f'{code!r} {problem}; use a code such as "yyyy-mm-dd" or "dd/mm/yyyy"')
    return code


def _columns(key: str, table: dict[str, Any]) -> dict[str, str]:
    """``[columns]``: field -> header; one header cannot name two fields."""
    from sheetsync.schema import FIELDS, normalize

    columns: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, header in table.items():
        if name not in FIELDS:
            raise _fail(f"{key}.{name}", f"unknown field ({', '.join(FIELDS)})")
        text = _str(f"{key}.{name}", header)
        if not normalize(text):
            raise _fail(f"{key}.{name}", "must name a header, not be blank")
        first = seen.setdefault(normalize(text), name)
        if first != name:
            raise _fail(
                f"{key}.{name}",
                f"header {text!r} is already mapped to {first}: one header names one field",
            )
        columns[name] = text
    return columns


def _window(key: str, value: Any) -> Window:
    if not (isinstance(value, list) and len(value) == 2):
        raise _fail(key, f"must be a pair [low, high], not {value!r}")
    low = _int(f"{key}[0]", value[0])
    high = _int(f"{key}[1]", value[1])
    if low > high:
        raise _fail(key, f"minimum {low} is above maximum {high}")
    return Window(low, high)


def _table(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(key, f"must be a table, not {value!r}")
    return value


def _rules(data: dict[str, Any]) -> Rules:
    defaults = Rules()
    known = {f.name for f in fields(Rules)}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise _fail(f"rules.{key}", "unknown key (see templates/sheetsync.toml)")
        name = f"rules.{key}"
        default = getattr(defaults, key)
        if isinstance(default, Window):
            out[key] = _window(name, value)
        elif key == "cut_bait":
            limits = dict(defaults.cut_bait)
            for stage, limit in _table(name, value).items():
                if stage not in STAGES_WITH_LIMIT:
                    raise _fail(f"{name}.{stage}", "unknown stage (new, working, stale)")
                limits[stage] = _int(f"{name}.{stage}", limit, low=1)
            out[key] = limits
        elif key == "phase_days":
            windows = dict(defaults.phase_days)
            for phase, window in _table(name, value).items():
                if phase not in PHASES:
                    raise _fail(f"{name}.{phase}", f"unknown phase ({', '.join(PHASES)})")
                windows[phase] = _window(f"{name}.{phase}", window)
            out[key] = windows
        elif key == "workdays":
            out[key] = parse_workdays(name, value)
        elif key == "holidays":
            out[key] = _check_holidays(name, _str(name, value).strip())
        elif key in ("cards_per_day", "note_call_workdays"):
            out[key] = _int(name, value, low=1)
        elif key == "lost_months":
            out[key] = _int(name, value, low=1, high=120)
        else:
            out[key] = _int(name, value)
    return replace(defaults, **out)


def _check_holidays(key: str, spec: str) -> str:
    if not spec:
        return ""
    import holidays

    country, _, subdiv = spec.partition("-")
    try:
        holidays.country_holidays(country.upper(), subdiv=subdiv.upper() or None, years=2026)
    except (NotImplementedError, KeyError) as ex:
        raise _fail(key, f"{spec!r} is not a country or region the holidays package knows") from ex
    return spec.upper()


def _check_timezone(key: str, name: str) -> str:
    if not name:
        return ""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as ex:
        raise _fail(key, f'{name!r} is not a time zone such as "Europe/London"') from ex
    return name


def _sources(value: Any) -> tuple[SourceEntry, ...]:
    if not isinstance(value, list):
        raise _fail("sources", "must be a list of [[sources]] tables")
    out = []
    for i, item in enumerate(value):
        entry = _table(f"sources[{i}]", item)
        unknown = set(entry) - {"source", "sheet"}
        if unknown:
            raise _fail(f"sources[{i}].{sorted(unknown)[0]}", "unknown key (source, sheet)")
        if "source" not in entry:
            raise _fail(
                f"sources[{i}].source", "is missing (a path, a Google Sheets URL or gsheet:KEY)"
            )
        sheet = entry.get("sheet")
        out.append(
            SourceEntry(
                source=_str(f"sources[{i}].source", entry["source"]),
                sheet=None if sheet is None else _str(f"sources[{i}].sheet", sheet),
            )
        )
    return tuple(out)


def _microsoft(value: Any, base_dir: Path | None) -> Microsoft:
    out: dict[str, str] = {}
    for key, item in _table("microsoft", value).items():
        name = f"microsoft.{key}"
        if key == "client_secret":
            raise _fail(
                name,
                "a secret does not belong in the config: put it in a credentials JSON file "
                '(mode 600) and set credentials = "that-file.json"',
            )
        if key not in Microsoft.__dataclass_fields__:
            raise _fail(name, "unknown key (credentials, tenant_id, client_id, certificate)")
        text = _str(name, item).strip()
        if key in ("credentials", "certificate") and text and base_dir is not None:
            text = str((base_dir / os.path.expanduser(text)).resolve())
        out[key] = text
    return Microsoft(**out)


def parse_config(data: dict[str, Any], base_dir: Path | None = None) -> Config:
    """Validate a TOML document already parsed into a dict."""
    defaults = Config()
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "rules":
            out["rules"] = _rules(_table("rules", value))
        elif key == "date_order":
            order = _str(key, value).strip().upper()
            if order not in ("MDY", "DMY"):
                raise _fail(key, f'must be "MDY" or "DMY", not {value!r}')
            out[key] = order
        elif key == "timezone":
            out[key] = _check_timezone(key, _str(key, value).strip())
        elif key == "date_format":
            out[key] = _date_format(key, _str(key, value) or defaults.date_format)
        elif key == "columns":
            out[key] = _columns(key, _table(key, value))
        elif key == "backups":
            out[key] = _int(key, value, high=100)
        elif key == "retry_seconds":
            out[key] = _seconds(key, value)
        elif key == "credentials":
            path = _str(key, value)
            if path and base_dir is not None:
                path = str((base_dir / os.path.expanduser(path)).resolve())
            out[key] = path
        elif key == "microsoft":
            out[key] = _microsoft(value, base_dir)
        elif key == "sources":
            entries = _sources(value)
            if base_dir is not None:
                entries = tuple(
                    replace(e, source=_resolve_source(e.source, base_dir)) for e in entries
                )
            out[key] = entries
        elif key == "notify":
            out[key] = _notify(_table(key, value))
        elif key == "owners":
            out[key] = _owners(_table(key, value))
        elif key == "capacity":
            pass  # with [owners.NAME], below
        else:
            raise _fail(key, "unknown key (see templates/sheetsync.toml)")
    if "capacity" in data or "owners" in data:
        out["capacity"] = parse_capacity(data.get("capacity", {}), data.get("owners", {}))
    config = replace(defaults, **out)
    _check_owner_addresses(config)
    return config


def _check_owner_addresses(config: Config) -> None:
    """An ``[owners.NAME]`` address is used by e-mail only: without an SMTP server it is never
    used, and the log says so (a warning: e-mail may be off on purpose for a while)."""
    if config.notify.smtp_host:
        return
    for settings in config.owners.values():
        for key in ("email", "manager"):
            if getattr(settings, key):
                logging.getLogger(__name__).warning(
                    "config: [owners.%s] %s is not used: no e-mail is sent without "
                    "[notify] smtp_host",
                    settings.name,
                    key,
                )


def _address(key: str, value: Any) -> str:
    from sheetsync.notify.addresses import parse_address

    text = _str(key, value).strip()
    if text and parse_address(text) is None:
        raise _fail(key, f"{text!r} is not an e-mail address such as dana@example.com")
    return text


def _notify(data: dict[str, Any]) -> Notify:
    """``[notify]``: every key checked; a key a delivery needs must be there (exit 2 names it)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"notify.{key}"
        if key in ("smtp_host", "username", "password_env"):
            out[key] = _str(name, value).strip()
        elif key == "webhook_url":
            # a secret: the message never shows the value
            if not isinstance(value, str) or (
                value.strip() and not value.strip().startswith(("https://", "http://"))
            ):
                raise _fail(name, "must be the webhook's https:// URL (the value is not shown)")
            out[key] = value.strip()
        elif key == "smtp_port":
            out[key] = _int(name, value, high=65535)  # 0 = the usual port of `security`
        elif key == "security":
            security = _str(name, value).strip().lower()
            if security not in ("starttls", "ssl", "none"):
                raise _fail(name, f'must be "starttls", "ssl" or "none", not {value!r}')
            out[key] = security
        elif key == "from":
            out["sender"] = _address(name, value)
        elif key == "manager":
            out[key] = _address(name, value)
        elif key == "webhook_per_owner":
            if not isinstance(value, bool):
                raise _fail(name, f"must be true or false, not {value!r}")
            out[key] = value
        elif key == "max_rows":
            out[key] = _int(name, value, low=1, high=10_000)
        elif key == "attempts":
            out[key] = _int(name, value, low=1, high=10)
        elif key == "timeout_seconds":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)  # NaN or infinity: a timeout that never comes
                or value <= 0
            ):
                raise _fail(name, f"must be a number of seconds above 0, not {value!r}")
            out[key] = float(value)
        else:
            raise _fail(name, "unknown key (see templates/sheetsync.toml)")
    notify = Notify(**out)
    if notify.smtp_host and not notify.sender:
        raise _fail("notify.from", "is missing: the address digests are sent from")
    if notify.sender and not notify.smtp_host:
        raise _fail("notify.smtp_host", "is missing: the SMTP server that sends the digests")
    if notify.username and not notify.password_env:
        raise _fail(
            "notify.password_env",
            "is missing: the name of the environment variable holding the SMTP password",
        )
    if notify.manager and not notify.smtp_host:
        raise _fail("notify.smtp_host", "is missing: the manager's roll-up is an e-mail")
    if (
        notify.security == "none"
        and notify.username
        and notify.smtp_host
        and not _loopback(notify.smtp_host)
    ):
        logging.getLogger(__name__).warning(
            "config key 'notify.security': \"none\" with a username sends the SMTP password "
            'unencrypted to %s: use "starttls" or "ssl" (or no username, for a server that '
            "takes mail without a login)",
            notify.smtp_host,
        )
    return notify


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine (a relay there sees the password on no network)."""
    try:
        return host.lower() == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: ``[owners.NAME]`` key -> its check; a later per-owner key is one more entry
_OWNER_KEYS = {"email": _address, "manager": _address}


def _owners(data: dict[str, Any]) -> dict[str, OwnerSettings]:
    from sheetsync.cellvalues import owner_key

    out: dict[str, OwnerSettings] = {}
    for name, table in data.items():
        settings: dict[str, Any] = {}
        for key, value in _table(f"owners.{name}", table).items():
            if key in CAPACITY_OWNER_KEYS:
                continue  # checked by sheetsync.capacity
            check = _OWNER_KEYS.get(key)
            if check is None:
                known = ", ".join((*_OWNER_KEYS, *CAPACITY_OWNER_KEYS))
                raise _fail(f"owners.{name}.{key}", f"unknown key ({known})")
            settings[key] = check(f"owners.{name}.{key}", value)
        owner = owner_key(name)
        if not owner:
            raise _fail(f"owners.{name}", "an owner needs a name")
        if owner in out:
            raise _fail(
                f"owners.{name}",
                f"the same owner as [owners.{out[owner].name}] (case and spaces do not count)",
            )
        out[owner] = OwnerSettings(name=name, **settings)
    return out


def _resolve_source(source: str, base_dir: Path) -> str:
    if source.startswith(("http://", "https://", "gsheet:", "msgraph:")):
        return source
    return str((base_dir / os.path.expanduser(source)).resolve())


def load_config(path: str | Path | None) -> Config:
    """Read ``path``, else ``./sheetsync.toml`` if present, else the built-in defaults."""
    if path is None:
        candidate = Path("sheetsync.toml")
        if not candidate.exists():
            return Config()
        path = candidate
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as ex:
        raise ConfigError(f"config file {path} not found: check --config") from ex
    except (OSError, UnicodeDecodeError) as ex:
        raise ConfigError(f"config file {path} cannot be read: {ex}") from ex
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as ex:
        raise ConfigError(f"config file {path} is not valid TOML: {ex}") from ex
    return parse_config(data, base_dir=path.resolve().parent)


def today_in(config: Config, override: str | None = None) -> dt.date:
    """The current date in the configured time zone, or ``override`` (YYYY-MM-DD)."""
    if override is not None:
        try:
            return dt.date.fromisoformat(override)
        except ValueError as ex:
            raise ConfigError(f"--today {override!r} is not a date like 2026-11-24") from ex
    if config.timezone:
        from zoneinfo import ZoneInfo

        return dt.datetime.now(ZoneInfo(config.timezone)).date()
    return dt.date.today()
