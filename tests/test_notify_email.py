"""The daily digest by e-mail, end to end: `sheetsync sync` against a real SMTP server on
127.0.0.1 (aiosmtpd, STARTTLS or implicit TLS with a certificate made here, AUTH), messages
parsed back with the standard library and read as a rep would read them."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from email.message import EmailMessage
from pathlib import Path

import icalendar
import openpyxl
import pytest
from click.testing import CliRunner
from fakesheets import serve
from ics_strict import parse_ics
from smtpserver import SmtpServer, smtp_server

from sheetsync.cli import main
from sheetsync.demo_data import demo_rows, write_demo_workbook

MONDAY = dt.date(2026, 12, 7)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _state_and_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETSYNC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", PASSWORD)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with smtp_server(tmp_path, "starttls", users={"sheetsync": PASSWORD}) as running:
        monkeypatch.setenv("SSL_CERT_FILE", str(running.cert_file))  # trust the test's CA
        yield running


def config(tmp_path: Path, server: SmtpServer, notify: str = "", owners: str | None = None) -> Path:
    if owners is None:
        owners = """
[owners.Dana]
email = "dana@example.com"
[owners.luis]
email = "luis@example.com"
[owners.PRIYA]
email = "priya@example.com"
"""
    path = tmp_path / "sheetsync.toml"
    path.write_text(
        f"""backups = 0
[notify]
smtp_host = "127.0.0.1"
smtp_port = {server.port}
security = "starttls"
username = "sheetsync"
password_env = "SHEETSYNC_SMTP_PASSWORD"
from = "sheetsync@example.com"
attempts = 2
timeout_seconds = 5
{notify}
{owners}""",
        encoding="utf-8",
    )
    return path


def sync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sync", *args, "--today", MONDAY.isoformat()])
    return result.exit_code, result.stdout, result.stderr


def demo(tmp_path: Path) -> Path:
    path = tmp_path / "Prospects.xlsx"
    write_demo_workbook(path, MONDAY)
    return path


def text_part(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def attachment(message: EmailMessage) -> bytes:
    found = [p for p in message.iter_attachments() if p.get_filename() == "agenda.ics"]
    assert len(found) == 1
    assert found[0].get_content_type() == "text/calendar"
    return found[0].get_payload(decode=True)


def test_each_rep_gets_their_list_over_starttls_with_auth(tmp_path, server):
    book = demo(tmp_path)
    code, out, err = sync(str(book), "--config", str(config(tmp_path, server)))
    assert code == 0, err

    # one message per rep with something to do, over TLS, logged in
    assert sorted(r for m in server.inbox.messages for r in m.recipients) == [
        "dana@example.com",
        "luis@example.com",
        "priya@example.com",
    ]
    assert all(m.tls and m.login == "sheetsync" for m in server.inbox.messages)
    assert all(m.sender == "sheetsync@example.com" for m in server.inbox.messages)

    [dana] = server.inbox.to("dana@example.com")
    assert dana["Subject"] == "Dana: 1 overdue, 3 due, 5 cards (Prospects, Mon 7 Dec)"
    assert dana["To"] == "Dana <dana@example.com>"
    text = text_part(dana)
    # OVERDUE first; DUE by the oldest window then sheet order (all three open today);
    # CARD: P-1010 is priority A, the rest in sheet order
    assert re.findall(r"^  (OVERDUE|DUE|CARD) +(P-\d+)", text, re.M) == [
        ("OVERDUE", "P-1008"),
        ("DUE", "P-1001"),
        ("DUE", "P-1004"),
        ("DUE", "P-1034"),
        ("CARD", "P-1010"),
        ("CARD", "P-1013"),
        ("CARD", "P-1016"),
        ("CARD", "P-1019"),
        ("CARD", "P-1022"),
    ]
    assert (
        "  OVERDUE  P-1008  Redstone Metalworks, Victor Hale\n"
        "           Call, next contact 2026-11-16 · 555-0107 · victor.hale@example.com\n"
        "           Why: Working, 2 attempts: follow up 10-14 days after 2026-11-06\n"
    ) in text
    assert f"Open the sheet: {book.resolve()}" in text

    html = html_part(dana)
    assert '<a href="tel:555-0107"' in html
    assert '<a href="mailto:victor.hale@example.com"' in html
    assert f'<a href="{book.resolve().as_uri()}"' in html
    assert html.index("P-1008") < html.index("P-1001") < html.index("P-1010")

    # the attachment opens with icalendar and with the strict parser: Dana's rows only
    ics = attachment(dana)
    calendar = icalendar.Calendar.from_ical(ics)
    events = list(calendar.walk("VEVENT"))
    today_ids = [str(e["description"]).rsplit("ID ", 1)[1] for e in events]
    assert today_ids[:9] == ["P-1008", "P-1001", "P-1004", "P-1034", "P-1010", "P-1013",
                             "P-1016", "P-1019", "P-1022"]  # fmt: skip
    assert all(e.decoded("dtstart") == MONDAY for e in events[:9])
    assert all(e.decoded("dtstart") > MONDAY for e in events[9:])  # SCHEDULED, next 14 days
    assert all("Dana" in str(e["description"]) for e in events)
    assert parse_ics(ics)["VCALENDAR"][0]["VEVENT"][0]["SUMMARY"] == (
        "OVERDUE: Call - Redstone Metalworks\\, Victor Hale"
    )

    # the summary says who got one and who did not
    assert "notified: Dana (email dana@example.com), Luis (email luis@example.com)" in out
    assert "not notified: (unassigned) (email): rows without an Owner" in out


def test_a_second_run_the_same_day_sends_nothing_and_resend_forces(tmp_path, server):
    book, cfg = demo(tmp_path), config(tmp_path, server)
    assert sync(str(book), "--config", str(cfg))[0] == 0
    assert len(server.inbox.messages) == 3
    code, out, _ = sync(str(book), "--config", str(cfg), "--json")
    assert code == 0
    report = json.loads(out)["sources"][0]
    assert report["notified"] == []
    assert [e["recipient"] for e in report["already_notified"]] == ["Dana", "Luis", "Priya"]
    assert len(server.inbox.messages) == 3
    assert sync(str(book), "--config", str(cfg), "--resend")[0] == 0
    assert len(server.inbox.messages) == 6
    # the sent-state file is private to the user
    state = tmp_path / "state" / "sent.json"
    assert state.stat().st_mode & 0o777 == 0o600
    assert f"{book.resolve()}#Prospects" in json.loads(state.read_text())


def test_a_dry_run_sends_nothing(tmp_path, server):
    code, out, _ = sync(str(demo(tmp_path)), "--config", str(config(tmp_path, server)), "--dry-run")
    assert code == 0
    assert server.inbox.messages == []
    assert "notified" not in out


def test_a_failed_sync_sends_nothing(tmp_path, server):
    book = tmp_path / "broken.xlsx"
    book.write_bytes(b"not a zip")
    code, _, _err = sync(str(book), "--config", str(config(tmp_path, server)))
    assert code == 1
    assert server.inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # TLS from byte 1
def test_implicit_tls(tmp_path, monkeypatch):
    with smtp_server(tmp_path, "ssl", users={"sheetsync": PASSWORD}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))
        cfg = config(tmp_path, server)
        cfg.write_text(cfg.read_text().replace('"starttls"', '"ssl"'))
        code, _, err = sync(str(demo(tmp_path)), "--config", str(cfg))
        assert code == 0, err
        assert len(server.inbox.messages) == 3
        assert all(m.tls for m in server.inbox.messages)


def flags_in(book: Path) -> list[str]:
    sheet = openpyxl.load_workbook(book)["Prospects"]
    header = [c.value for c in sheet[1]]
    col = header.index("Flag")
    return [row[col] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]


def test_a_refused_login_does_not_undo_the_sync_and_exits_4(tmp_path, server, monkeypatch):
    monkeypatch.setenv("SHEETSYNC_SMTP_PASSWORD", "wrong password")
    book = demo(tmp_path)
    code, out, err = sync(str(book), "--config", str(config(tmp_path, server)), "--json")
    assert code == 4
    assert flags_in(book)[:3] == ["DUE", "CUT", "DUE"]  # the sync's answers are saved
    report = json.loads(out)["sources"][0]
    assert report["cells_written"] > 0
    reasons = {e["recipient"]: e for e in report["not_notified"]}
    assert reasons["Dana"]["reason"] == "the SMTP server refused the login (535)"
    assert reasons["Dana"]["failed"] is True
    assert reasons["(unassigned)"]["failed"] is False
    # a bad login is not retried, nor tried again for every rep: one login (smtplib offers the
    # password once per mechanism the server advertises: PLAIN, then LOGIN)
    assert server.inbox.logins == [("sheetsync", False), ("sheetsync", False)]
    assert "wrong password" not in out + err
    assert server.inbox.messages == []


def test_a_missing_password_variable_is_named(tmp_path, server, monkeypatch):
    monkeypatch.delenv("SHEETSYNC_SMTP_PASSWORD")
    code, _, err = sync(str(demo(tmp_path)), "--config", str(config(tmp_path, server)))
    assert code == 4
    assert "not every digest was delivered" in err
    assert "SHEETSYNC_SMTP_PASSWORD" in err


def test_an_untrusted_certificate_fails_cleanly(tmp_path, server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    code, out, _ = sync(str(demo(tmp_path)), "--config", str(config(tmp_path, server)), "--json")
    assert code == 4
    reason = json.loads(out)["sources"][0]["not_notified"][0]["reason"]
    assert reason.startswith("the SMTP server's TLS certificate is not trusted")


def test_server_down_bounded_retries_then_a_later_run_sends(tmp_path, monkeypatch):
    with smtp_server(tmp_path, "starttls", users={"sheetsync": PASSWORD}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))
        cfg = config(tmp_path, server)
    # the server is gone: connection refused, 2 attempts with 1 s between, then exit 4
    book = demo(tmp_path)
    started = time.monotonic()
    code, out, _err = sync(str(book), "--config", str(cfg), "--json")
    took = time.monotonic() - started
    assert code == 4
    assert 1.0 <= took < 8.0  # one backoff, and not once per rep
    report = json.loads(out)["sources"][0]
    failed = [e for e in report["not_notified"] if e["failed"]]
    assert [e["recipient"] for e in failed] == ["Dana", "Luis", "Priya"]
    assert failed[0]["reason"].startswith("cannot reach the SMTP server")
    assert flags_in(book)[0] == "DUE"


def test_a_busy_server_for_one_rep_then_a_later_run_retries_that_rep_only(tmp_path, server):
    server.inbox.faults["luis@example.com"] = "451 4.3.0 Mailbox busy, try later"
    book, cfg = demo(tmp_path), config(tmp_path, server)
    code, out, _err = sync(str(book), "--config", str(cfg), "--json")
    assert code == 4
    report = json.loads(out)["sources"][0]
    assert [e["recipient"] for e in report["notified"]] == ["Dana", "Priya"]
    [luis] = [e for e in report["not_notified"] if e["failed"]]
    assert luis["reason"] == (
        "the SMTP server answered 451 4.3.0 Mailbox busy, try later (tried 2 times)"
    )
    assert server.inbox.data_attempts == 4  # Dana, Luis twice, Priya

    del server.inbox.faults["luis@example.com"]
    code, out, _ = sync(str(book), "--config", str(cfg), "--json")
    assert code == 0
    report = json.loads(out)["sources"][0]
    assert [e["recipient"] for e in report["notified"]] == ["Luis"]
    assert [r for m in server.inbox.messages for r in m.recipients].count("dana@example.com") == 1


def test_a_permanent_refusal_is_not_retried(tmp_path, server):
    server.inbox.faults["dana@example.com"] = "554 5.7.1 Message rejected"
    code, out, _ = sync(str(demo(tmp_path)), "--config", str(config(tmp_path, server)), "--json")
    assert code == 4
    [dana] = [e for e in json.loads(out)["sources"][0]["not_notified"] if e["failed"]]
    assert dana["reason"] == "the SMTP server answered 554 5.7.1 Message rejected"
    assert server.inbox.data_attempts == 3  # Dana once, Luis, Priya


def write_book(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Prospects"
    sheet.append(["ID", "Company", "Contact", "Email", "Phone", "Owner", "Stage", "Last Contact"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_owner_cells_as_reps_type_them(tmp_path, server):
    """Odd spacing and case, a non-ASCII name, an address as the owner, a bad address, and a
    cell naming two reps (one owner, not notified: never one copy per name)."""
    book = write_book(
        tmp_path / "odd.xlsx",
        [
            ["A1", "Acme", "Ann", "", "", "  dana  ", "New", None],
            ["A2", "Beta", "Bob", "", "", "DANA", "New", None],
            ["A3", "Gamma", "Cy", "", "", "Zoë  Ångström", "New", None],
            ["A4", "Delta", "Di", "", "", "luis@example.com", "New", None],
            ["A5", "Echo", "Ed", "", "", "priya@", "New", None],
            ["A6", "Fox", "Flo", "", "", "Dana / Luis", "New", None],
        ],
    )
    owners = """
[owners.Dana]
email = "dana@example.com"
[owners."zoë ångström"]
email = "zoe@example.com"
"""
    code, out, err = sync(str(book), "--config", str(config(tmp_path, server, owners=owners)))
    assert code == 0, err
    [dana] = server.inbox.to("dana@example.com")
    assert dana["Subject"] == "dana: 2 due (Prospects, Mon 7 Dec)"  # first spelling, trimmed
    assert re.findall(r"^  DUE +(A\d)", text_part(dana), re.M) == ["A1", "A2"]
    [zoe] = server.inbox.to("zoe@example.com")
    assert zoe["Subject"] == "Zoë Ångström: 1 due (Prospects, Mon 7 Dec)"
    assert zoe["To"] == "Zoë Ångström <zoe@example.com>"
    assert "Good morning Zoë Ångström" in text_part(zoe)
    [luis] = server.inbox.to("luis@example.com")
    assert re.findall(r"^  DUE +(A\d)", text_part(luis), re.M) == ["A4"]
    assert "not notified: priya@ (email): the Owner cell 'priya@' is not an e-mail address" in out
    assert (
        "not notified: Dana / Luis (email): the Owner cell names several reps: give each row "
        'one owner, or add [owners."Dana / Luis"] email' in out
    )


def test_markup_and_header_injection_never_reach_a_header_or_the_html(tmp_path, server):
    evil = '<script>alert("x")</script>\r\nBcc: victim@example.com'
    book = write_book(
        tmp_path / "evil.xlsx",
        [
            ["E1", evil, "<b>Eve</b>", "eve@example.com", "555<1>", "Dana", "New", None],
            ["E2", "Acme", "Al", "", "", "Dana\r\nBcc: victim@example.com", "Bogus", None],
        ],
    )
    cfg = config(tmp_path, server, notify='manager = "lee@example.com"')
    code, _, err = sync(str(book), "--config", str(cfg))
    assert code == 0, err
    for received in server.inbox.messages:
        assert received.recipients != ["victim@example.com"]
        message = received.message
        assert "Bcc" not in message
        assert set(message.keys()) <= {
            "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "MIME-Version",
            "Content-Type",
        }  # fmt: skip
        html = html_part(message)
        assert "<script>" not in html and "<b>Eve</b>" not in html
    [dana] = server.inbox.to("dana@example.com")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html_part(dana)
    assert '<a href="tel:5551"' in html_part(dana)
    # the manager's roll-up lists the CHECK row with its Why, escaped
    [lee] = server.inbox.to("lee@example.com")
    assert lee["Subject"] == "Team: 1 due, 1 to fix (Prospects, Mon 7 Dec)"
    assert "Stage &#x27;Bogus&#x27;" in html_part(lee) or "Stage &quot;Bogus" in html_part(lee)
    assert "E2" in text_part(lee)


def test_thousands_of_rows_for_one_rep_stay_readable(tmp_path, server):
    rows = [[f"R{i:04d}", f"Company {i}", "", "", "", "Dana", "New", None] for i in range(3000)]
    book = write_book(tmp_path / "big.xlsx", rows)
    code, _, err = sync(str(book), "--config", str(config(tmp_path, server, "max_rows = 25")))
    assert code == 0, err
    [dana] = server.inbox.to("dana@example.com")
    assert dana["Subject"] == "Dana: 3000 due (Prospects, Mon 7 Dec)"
    text = text_part(dana)
    assert re.findall(r"^  DUE +(R\d+)", text, re.M) == [f"R{i:04d}" for i in range(25)]
    assert "... and 2975 more: open the sheet for the full list" in text
    assert html_part(dana).count("<tr>") == 1 + 25 + 1  # header, rows, "and N more"
    assert len(server.inbox.messages[0].raw) < 200_000


def test_the_manager_gets_the_team_roll_up(tmp_path, server):
    cfg = config(tmp_path, server, notify='manager = "lee@example.com"')
    assert sync(str(demo(tmp_path)), "--config", str(cfg))[0] == 0
    [lee] = server.inbox.to("lee@example.com")
    assert lee["Subject"] == "Team: 3 overdue, 12 due, 9 cards, 5 to fix (Prospects, Mon 7 Dec)"
    text = text_part(lee)
    assert re.search(r"^Dana +1 +3 +5 +0  sent$", text, re.M)
    assert re.search(r"^Luis +1 +5 +1 +2  sent$", text, re.M)
    assert re.search(
        r"^\(unassigned\) +0 +1 +1 +0  not notified: rows without an Owner$", text, re.M
    )
    assert "CHECK (5): rows whose data must be fixed" in text


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    yield from serve(monkeypatch)  # the local Sheets v4 server of the tests


def test_a_google_sheet_links_each_rep_to_their_filter_view(tmp_path, server, fake):
    """The link in Dana's digest opens the filter view "Due: Dana" the sync just made."""
    key = "1SheetsyncDigestKey_abcdefghijklmnopqrstuvwx"
    headers, rows = demo_rows(MONDAY)
    fake.seed(key, {"Prospects": [headers, *rows]})
    code, _, err = sync(f"gsheet:{key}", "--config", str(config(tmp_path, server)))
    assert code == 0, err
    sheet = fake.sheet(key, "Prospects")
    view = next(v for v in sheet.filter_views if v["title"] == "Due: Dana")
    url = (
        f"https://docs.google.com/spreadsheets/d/{key}/edit"
        f"#gid={sheet.sheet_id}&fvid={view['filterViewId']}"
    )
    [dana] = server.inbox.to("dana@example.com")
    assert f"Open the sheet: {url}\n" in text_part(dana)
    assert f'<a href="{url.replace("&", "&amp;")}"' in html_part(dana)
    assert "filter view &quot;Due: Dana&quot;" in html_part(dana)


def test_a_reps_manager_gets_the_roll_up_of_their_reps_only(tmp_path, server):
    owners = """
[owners.Dana]
email = "dana@example.com"
manager = "kim@example.com"
[owners.Priya]
email = "priya@example.com"
manager = "KIM@example.com"
"""
    cfg = config(tmp_path, server, owners=owners)
    assert sync(str(demo(tmp_path)), "--config", str(cfg))[0] == 0
    [kim] = server.inbox.to("kim@example.com")
    assert kim["Subject"] == "Team: 2 overdue, 6 due, 7 cards, 3 to fix (Prospects, Mon 7 Dec)"
    text = text_part(kim)
    assert re.findall(r"^(\w+) +\d", text, re.M) == ["Dana", "Priya"]
    assert "Luis" not in text


def test_a_prospects_email_or_phone_that_is_not_one_is_text_not_a_link(tmp_path, server):
    rows = [
        ["R1", "Acme", "Al", "al at example dot com", "ask reception", "Dana", "New", None],
        ["R2", "Beta", "Bo", "javascript:alert(1)//@x.com", "+1 (555) 010-0000", "Dana", "New",
         None],
        ["R3", "Gamma", "Cy", "cy@example.com", "", "Dana", "New", None],
    ]  # fmt: skip
    book = write_book(tmp_path / "reach.xlsx", rows)
    code, _, err = sync(str(book), "--config", str(config(tmp_path, server)))
    assert code == 0, err
    [dana] = server.inbox.to("dana@example.com")
    html = html_part(dana)
    assert re.findall(r'href="((?:mailto|tel):[^"]*)"', html) == [
        "tel:+1(555)010-0000",
        "mailto:cy@example.com",
    ]
    assert "al at example dot com" in html and "ask reception" in html
    assert "javascript:alert(1)//@x.com" in html  # shown as text, never an href
    text = text_part(dana)
    assert "Call, next contact 2026-12-07 · ask reception · al at example dot com" in text


@pytest.mark.parametrize("key", ["email", "manager"])
def test_an_owners_address_without_an_smtp_server_is_a_warning(tmp_path, key):
    """[owners.Dana] email (or manager) is never used without [notify] smtp_host: the sync
    runs and says so, rather than leaving the rep waiting for a message that never comes."""
    cfg = tmp_path / "sheetsync.toml"
    cfg.write_text(f'[owners.Dana]\n{key} = "dana@example.com"\n', encoding="utf-8")
    code, _, err = sync(str(demo(tmp_path)), "--config", str(cfg))
    assert code == 0, err
    assert (
        f"WARNING sheetsync.config: config: [owners.Dana] {key} is not used: no e-mail is sent "
        "without [notify] smtp_host\n" in err
    )
