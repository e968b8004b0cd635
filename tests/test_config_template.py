"""templates/sheetsync.toml documents every config key with its default; bad configs fail by name."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from sheetsync.config import (
    PHASES,
    Config,
    Notify,
    OwnerSettings,
    Rules,
    SourceEntry,
    load_config,
)
from sheetsync.errors import ConfigError

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "sheetsync.toml"


@pytest.fixture(scope="module")
def text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data(text: str) -> dict:
    return tomllib.loads(text)


def test_template_loads_to_exactly_the_defaults() -> None:
    assert load_config(TEMPLATE) == Config()


def test_every_top_level_key_is_written_out(data: dict) -> None:
    # `sources` has no entry by default, so it is documented as a commented [[sources]] example
    # (see test_sources_example_parses); every other key is set to its default.
    assert set(data) == {f.name for f in fields(Config)} - {"sources"}


def test_every_rules_key_is_written_out(data: dict) -> None:
    assert set(data["rules"]) == {f.name for f in fields(Rules)}
    assert set(data["rules"]["cut_bait"]) == set(Rules().cut_bait)
    assert set(data["rules"]["phase_days"]) == set(PHASES) == set(Rules().phase_days)


def test_every_key_has_a_comment(text: str) -> None:
    """Each key's line (or its table header) has a comment on it or right above it."""
    lines = text.splitlines()
    tables = ("rules", "sources", "columns", "notify", "owners", "capacity")
    keys = [f.name for f in fields(Config) if f.name not in tables]
    keys += ["touches_per_day"]
    keys += [f.name for f in fields(Rules) if f.name not in ("cut_bait", "phase_days")]
    keys += [NOTIFY_KEYS.get(f.name, f.name) for f in fields(Notify)]
    patterns = [rf"{key}\s*=" for key in keys]
    patterns += [r"\[columns\]", r"\[rules\]", r"\[rules\.cut_bait\]", r"\[rules\.phase_days\]"]
    patterns += [r"\[notify\]", r"\[owners\]", r"\[capacity\]"]
    for pattern in patterns:
        index = next(i for i, line in enumerate(lines) if re.match(pattern, line))
        assert lines[index - 1].startswith("#") or "#" in lines[index], pattern


#: Notify field -> its TOML key, where they differ (`from` is a Python keyword)
NOTIFY_KEYS = {"sender": "from"}


def test_every_notify_key_is_written_out(data: dict) -> None:
    assert set(data["notify"]) == {NOTIFY_KEYS.get(f.name, f.name) for f in fields(Notify)}


def test_sources_example_parses(tmp_path: Path, text: str) -> None:
    """Uncommenting the [[sources]] example gives a valid config with those sources."""
    uncommented = re.sub(r"(?m)^# (\[\[sources\]\]|source = |sheet = )", r"\1", text)
    assert uncommented != text
    config = load_config(_write(tmp_path, uncommented))
    assert config.sources == (
        SourceEntry(source=str((tmp_path / "prospects.xlsx").resolve()), sheet="Prospects"),
        SourceEntry(
            source="https://docs.google.com/spreadsheets/d/YOUR-SPREADSHEET-KEY/edit#gid=0"
        ),
    )
    assert config.rules == Rules()


def test_seeds_are_cited(text: str) -> None:
    for seed in ("000", "001", "002", "003", "004"):
        assert text.count(f"seed {seed}") >= 2, seed


def _write(directory: Path, body: str) -> Path:
    path = directory / "sheetsync.toml"
    path.write_text(body, encoding="utf-8")
    return path


BAD_CONFIGS = [
    # unknown keys
    ("colour = 'red'", "colour"),
    ("[rules]\nfollowup_dayz = [10, 14]", "rules.followup_dayz"),
    ("[rules.cut_bait]\nlost = 2", "rules.cut_bait.lost"),
    ("[columns]\nnotes = 'Notes'", "columns.notes"),
    ("[[sources]]\nsource = 'a.xlsx'\ntab = 'x'", "sources[0].tab"),
    # wrong types
    ("[rules]\nfollowup_days = '10-14'", "rules.followup_days"),
    ("[rules]\nfollowup_days = [10, 12, 14]", "rules.followup_days"),
    ("[rules]\ncards_per_day = 2.5", "rules.cards_per_day"),
    ("[rules]\nstale_after_days = true", "rules.stale_after_days"),
    ("[rules]\nworkdays = 'Mon'", "rules.workdays"),
    ("[rules]\nworkdays = ['Mon', 'Funday']", "rules.workdays"),
    ("[rules]\nworkdays = ['Monkey', 'Tue']", "rules.workdays"),
    ("[rules]\ncut_bait = 3", "rules.cut_bait"),
    ("[rules]\nholidays = 1", "rules.holidays"),
    ("backups = 'one'", "backups"),
    ("retry_seconds = 'fast'", "retry_seconds"),
    ("timezone = 1", "timezone"),
    ("credentials = false", "credentials"),
    ("rules = 1", "rules"),
    ("sources = 'a.xlsx'", "sources"),
    ("[[sources]]\nsheet = 'Prospects'", "sources[0].source"),
    # impossible values
    ("[rules]\nfollowup_days = [-1, 14]", "rules.followup_days"),
    ("[rules]\nfollowup_days = [14, 10]", "rules.followup_days"),
    ("[rules]\nstale_after_days = -5", "rules.stale_after_days"),
    ("[rules]\ncards_per_day = 0", "rules.cards_per_day"),
    ("[rules]\nnote_call_workdays = 0", "rules.note_call_workdays"),
    ("[rules]\nlost_months = 0", "rules.lost_months"),
    ("[rules.cut_bait]\nworking = 0", "rules.cut_bait.working"),
    ("[rules.phase_days]\ndecision = [1, 2]", "rules.phase_days.decision"),
    ("[rules.phase_days]\nneed = [44, 30]", "rules.phase_days.need"),
    ("[rules]\nholidays = 'XX'", "rules.holidays"),
    ("timezone = 'Mars/Olympus'", "timezone"),
    ("date_order = 'YMD'", "date_order"),
    ("backups = -1", "backups"),
    ("retry_seconds = -1", "retry_seconds"),
    # [notify] and [owners.NAME]
    ("[notify]\nsmtp_host = 'mail.example.com'", "notify.from"),
    ("[notify]\nfrom = 'a@example.com'", "notify.smtp_host"),
    ("[notify]\nsmtp_host = 'm'\nfrom = 'a@example.com'\nusername = 'u'", "notify.password_env"),
    ("[notify]\nsecurity = 'tls'", "notify.security"),
    ("[notify]\nsmtp_port = 70000", "notify.smtp_port"),
    ("[notify]\nsmtp_host = 'm'\nfrom = 'not an address'", "notify.from"),
    ("[notify]\nwebhook_url = 'hooks.slack.com/x'", "notify.webhook_url"),
    ("[notify]\nwebhook_per_owner = 'yes'", "notify.webhook_per_owner"),
    ("[notify]\nmax_rows = 0", "notify.max_rows"),
    ("[notify]\nattempts = 0", "notify.attempts"),
    ("[notify]\ntimeout_seconds = 0", "notify.timeout_seconds"),
    ("[notify]\nsmtp_password = 'x'", "notify.smtp_password"),
    ("notify = 1", "notify"),
    ("[owners.Dana]\nemail = 'dana at example'", "owners.Dana.email"),
    ("[owners.Dana]\nphone = '555'", "owners.Dana.phone"),
    (
        "[owners.Dana]\nemail = 'd@example.com'\n[owners.' dana ']\nemail = 'e@example.com'",
        "owners. dana ",
    ),
    ("owners = 'Dana'", "owners"),
    # capacity
    ("[capacity]\ntouches_per_day = -1", "capacity.touches_per_day"),
    ("[capacity]\ntouches_per_day = 2.5", "capacity.touches_per_day"),
    ("[capacity]\ntouches_per_day = '20'", "capacity.touches_per_day"),
    ("[capacity]\ncalls_per_day = 20", "capacity.calls_per_day"),
    ("capacity = 20", "capacity"),
    ("[owners.Dana]\ntouches_per_day = 0", "owners.Dana.touches_per_day"),
    ("[owners.Dana]\ntouches_per_day = -3", "owners.Dana.touches_per_day"),
    ("[owners.Dana]\ntouches_per_day = 1.5", "owners.Dana.touches_per_day"),
    ("[owners.Dana]\ndays_off = ['2027-01-15..2027-01-10']", "owners.Dana.days_off"),
    ("[owners.Dana]\ndays_off = ['next friday']", "owners.Dana.days_off"),
    ("[owners.Dana]\ndays_off = '2027-01-15'", "owners.Dana.days_off"),
    ("[owners.Dana]\nworkdays = ['Mon', 'Funday']", "owners.Dana.workdays"),
    ("[owners.Dana]\nworkdays = []", "owners.Dana.workdays"),
    ("[owners]\nDana = 20", "owners.Dana"),
    ("[owners.Dana]\nworkdays = ['Mon']\n[owners.DANA]\nworkdays = ['Tue']", "owners.DANA"),
]


@pytest.mark.parametrize(("body", "key"), BAD_CONFIGS, ids=[key for _, key in BAD_CONFIGS])
def test_bad_config_names_the_key(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, body))
    assert f"'{key}" in str(caught.value)
    assert caught.value.exit_code == 2


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[rules\nfollowup_days = [10, 14]")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_a_changed_key_is_read(tmp_path: Path) -> None:
    """The template is a starting point: edit one number, keep the rest."""
    body = TEMPLATE.read_text(encoding="utf-8").replace(
        "followup_days = [10, 14]", "followup_days = [7, 10]"
    )
    config = load_config(_write(tmp_path, body))
    assert config.rules.followup_days.low == 7
    assert config.rules.followup_days.high == 10
    assert config.rules.cut_bait == Rules().cut_bait


def test_owners_example_parses(tmp_path: Path, text: str) -> None:
    """Uncommenting the [owners.NAME] examples gives those reps (keyed as owners compare),
    their addresses and Dana's own capacity and calendar."""
    import datetime as dt

    uncommented = re.sub(
        r"(?m)^# (\[owners\.|email = |manager = |touches_per_day = |days_off = |workdays = )",
        r"\1",
        text,
    )
    assert uncommented != text
    config = load_config(_write(tmp_path, uncommented))
    assert config.owners == {
        "dana": OwnerSettings("Dana", email="dana@example.com", manager="lee@example.com"),
        "luis ortega": OwnerSettings("Luis Ortega", email="luis@example.com"),
    }
    dana = config.capacity.for_owner("dana")
    assert dana.touches_per_day == 20
    assert dana.days_off == (
        (dt.date(2026, 12, 21), dt.date(2027, 1, 1)),
        (dt.date(2027, 1, 15), dt.date(2027, 1, 15)),
    )
    assert dana.workdays == ("Mon", "Tue", "Wed", "Thu")


@pytest.mark.parametrize("host", ["smtp.example.com", "192.0.2.10", "2001:db8::1"])
def test_a_password_sent_unencrypted_over_a_network_is_warned_about(
    tmp_path: Path, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Warned, not refused: a config that worked keeps syncing (and sending) as before."""
    body = (
        f'[notify]\nsmtp_host = "{host}"\nsecurity = "none"\nusername = "digest"\n'
        'password_env = "SMTP_PASSWORD"\nfrom = "digest@example.com"'
    )
    with caplog.at_level("WARNING", logger="sheetsync"):
        assert load_config(_write(tmp_path, body)).notify.security == "none"
    assert [r.getMessage() for r in caplog.records] == [
        "config key 'notify.security': \"none\" with a username sends the SMTP password "
        f'unencrypted to {host}: use "starttls" or "ssl" (or no username, for a server that '
        "takes mail without a login)"
    ]


@pytest.mark.parametrize(
    "notify",
    [
        'smtp_host = "localhost"\nusername = "digest"',  # a relay on this machine
        'smtp_host = "127.0.0.1"\nusername = "digest"',
        'smtp_host = "::1"\nusername = "digest"',
        'smtp_host = "smtp.example.com"',  # no login: no password
        'webhook_url = "https://hooks.example.com/x"\nusername = "digest"',  # no SMTP at all
    ],
)
def test_no_encryption_without_a_password_on_the_network_says_nothing(
    tmp_path: Path, notify: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = f'[notify]\n{notify}\nsecurity = "none"\npassword_env = "SMTP_PASSWORD"\n' + (
        'from = "digest@example.com"' if "smtp_host" in notify else ""
    )
    with caplog.at_level("WARNING", logger="sheetsync"):
        assert load_config(_write(tmp_path, body)).notify.security == "none"
    assert caplog.records == []
