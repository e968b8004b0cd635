"""The digest posted to a Slack-compatible incoming webhook: a real HTTP server on 127.0.0.1
records what `sheetsync sync` posts; the URL is a secret that nothing prints."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.demo_data import write_demo_workbook

MONDAY = dt.date(2026, 12, 7)
SECRET = "T000/B000/XXXXsecretTOKEN"


@dataclass
class Hook:
    url: str
    posts: list[dict] = field(default_factory=list)
    #: status codes to answer, in order; 200 once they run out
    answers: list[int] = field(default_factory=list)
    requests: int = 0


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.requests += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.answers.pop(0) if state.answers else 200
            if status == 200:
                assert self.path == f"/services/{SECRET}"
                assert self.headers["Content-Type"].startswith("application/json")
                state.posts.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no_service")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/services/{SECRET}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETSYNC_STATE_DIR", str(tmp_path / "state"))


def config(tmp_path: Path, hook: Hook, extra: str = "") -> Path:
    path = tmp_path / "sheetsync.toml"
    path.write_text(
        f'backups = 0\n[notify]\nwebhook_url = "{hook.url}"\nattempts = 2\n{extra}\n',
        encoding="utf-8",
    )
    return path


def demo(tmp_path: Path) -> Path:
    path = tmp_path / "Prospects.xlsx"
    write_demo_workbook(path, MONDAY)
    return path


def sync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sync", *args, "--today", MONDAY.isoformat()])
    return result.exit_code, result.stdout, result.stderr


def test_one_message_per_rep(tmp_path, hook):
    code, out, err = sync(str(demo(tmp_path)), "--config", str(config(tmp_path, hook)))
    assert code == 0, err
    assert [p["text"] for p in hook.posts] == [
        "Dana: 1 overdue, 3 due, 5 cards (Prospects, Mon 7 Dec)",
        "Luis: 1 overdue, 5 due, 1 card (Prospects, Mon 7 Dec)",
        "Priya: 1 overdue, 3 due, 2 cards (Prospects, Mon 7 Dec)",
        "(unassigned): 1 due, 1 card (Prospects, Mon 7 Dec)",
    ]
    dana = hook.posts[0]["blocks"]
    assert dana[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": hook.posts[0]["text"]},
    }
    assert dana[1]["text"]["text"] == (
        "*OVERDUE* `P-1008` Redstone Metalworks, Victor Hale\n"
        "Call, next contact 2026-11-16 · 555-0107 · victor.hale@example.com\n"
        "_Working, 2 attempts: follow up 10-14 days after 2026-11-06_"
    )
    assert [b["text"]["text"].split("`")[1] for b in dana[1:10]] == [
        "P-1008", "P-1001", "P-1004", "P-1034", "P-1010", "P-1013", "P-1016", "P-1019", "P-1022"
    ]  # fmt: skip
    assert dana[-1]["type"] == "context"  # the link to the sheet
    assert "notified: Dana (webhook), Luis (webhook)" in out
    # webhook only: nobody is "not notified" for lack of an e-mail address
    assert "not notified" not in out
    assert SECRET not in out + err


def test_one_message_for_the_team(tmp_path, hook):
    cfg = config(tmp_path, hook, "webhook_per_owner = false")
    assert sync(str(demo(tmp_path)), "--config", str(cfg))[0] == 0
    [post] = hook.posts
    assert post["text"] == "Team: 3 overdue, 12 due, 9 cards (Prospects, Mon 7 Dec)"
    sections = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
    heads = [text for text in sections if "`" not in text]  # items show their ID as `P-1001`
    assert heads == [
        "*Dana*: 1 overdue, 3 due, 5 cards",
        "*Luis*: 1 overdue, 5 due, 1 card",
        "*Priya*: 1 overdue, 3 due, 2 cards",
        "*(unassigned)*: 1 due, 1 card",
    ]
    assert len(post["blocks"]) <= 50
    # a second run the same day posts nothing
    assert sync(str(demo(tmp_path)), "--config", str(cfg))[0] == 0
    assert len(hook.posts) == 1


def test_a_5xx_is_retried(tmp_path, hook):
    hook.answers = [503]
    cfg = config(tmp_path, hook, "webhook_per_owner = false")
    code, _, err = sync(str(demo(tmp_path)), "--config", str(cfg))
    assert code == 0, err
    assert hook.requests == 2
    assert len(hook.posts) == 1


def test_a_refused_post_exits_4_and_never_shows_the_url(tmp_path, hook):
    hook.answers = [404]
    cfg = config(tmp_path, hook, "webhook_per_owner = false")
    log_file = tmp_path / "sheetsync.log"
    book = demo(tmp_path)
    code, out, err = sync(str(book), "--config", str(cfg), "--json", "--log-file", str(log_file))
    assert code == 4
    assert hook.requests == 1  # a 4xx is not retried
    [entry] = json.loads(out)["sources"][0]["not_notified"]
    assert entry == {
        "recipient": "team",
        "channel": "webhook",
        "reason": "the webhook answered 404",
        "failed": True,
    }
    assert SECRET not in out + err + log_file.read_text()
    assert "127.0.0.1" not in out + err + log_file.read_text()
    # the sync's answers are saved all the same
    sheet = openpyxl.load_workbook(book)["Prospects"]
    assert "Flag" in [c.value for c in sheet[1]]
    # the next run retries, and succeeds
    code, out, _ = sync(str(book), "--config", str(cfg), "--json")
    assert code == 0
    assert json.loads(out)["sources"][0]["notified"] == [
        {"recipient": "team", "channel": "webhook"}
    ]


def test_slack_control_characters_are_escaped(tmp_path, hook):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Prospects"
    sheet.append(["ID", "Company", "Owner", "Stage", "Last Contact"])
    sheet.append(["S1", "<!channel> Smith & Sons <https://evil.example|click>", "Dana", "New"])
    book.save(tmp_path / "s.xlsx")
    assert sync(str(tmp_path / "s.xlsx"), "--config", str(config(tmp_path, hook)))[0] == 0
    text = hook.posts[0]["blocks"][1]["text"]["text"]
    assert text.startswith(
        "*DUE* `S1` &lt;!channel&gt; Smith &amp; Sons &lt;https://evil.example|click&gt;\n"
    )


def test_a_bad_webhook_url_is_refused_without_showing_it(tmp_path):
    path = tmp_path / "sheetsync.toml"
    path.write_text('[notify]\nwebhook_url = "hooks.example.com/services/T0/B0/secretvalue"\n')
    result = CliRunner().invoke(main, ["sync", str(demo(tmp_path)), "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        "sheetsync: error: config key 'notify.webhook_url': must be the webhook's https:// URL "
        "(the value is not shown)\n"
    )


def test_an_unreachable_webhook_is_not_tried_again_for_every_rep(tmp_path, hook):
    from smtpserver import free_port

    hook.url = f"http://127.0.0.1:{free_port()}/services/{SECRET}"  # nobody listens there
    started = time.monotonic()
    code, out, err = sync(str(demo(tmp_path)), "--config", str(config(tmp_path, hook)), "--json")
    assert code == 4
    assert time.monotonic() - started < 6  # one backoff of 1 s, not one per rep
    failed = json.loads(out)["sources"][0]["not_notified"]
    assert [e["recipient"] for e in failed] == ["Dana", "Luis", "Priya", "(unassigned)"]
    assert {e["reason"] for e in failed} == {
        "cannot reach the webhook (Connection refused) (tried 2 times)"
    }
    assert SECRET not in out + err


def test_the_team_message_of_a_big_team_names_every_rep_or_says_how_many_more(tmp_path, hook):
    """Slack takes 50 blocks: with 30 reps every rep still has its heading (fewer items each);
    with 60, the message says how many reps it leaves out."""
    cfg = config(tmp_path, hook, "webhook_per_owner = false")
    for reps in (30, 60):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Prospects"
        sheet.append(["ID", "Company", "Owner", "Stage", "Last Contact"])
        for rep in range(reps):
            for n in range(3):
                sheet.append([f"R{rep:02d}-{n}", f"Company {n}", f"Rep {rep:02d}", "New"])
        path = tmp_path / f"team{reps}.xlsx"
        book.save(path)
        assert sync(str(path), "--config", str(cfg))[0] == 0
        post = hook.posts[-1]
        assert post["text"] == f"Team: {reps * 3} due (Prospects, Mon 7 Dec)"
        assert len(post["blocks"]) <= 50
        texts = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
        heads = [t for t in texts if t.startswith("*Rep ")]
        notes = [e["text"] for b in post["blocks"] if b["type"] == "context" for e in b["elements"]]
        if reps == 30:
            assert heads == [f"*Rep {rep:02d}*: 3 due" for rep in range(30)]
        else:
            assert heads == [f"*Rep {rep:02d}*: 3 due" for rep in range(len(heads))]
            assert f"... and {60 - len(heads)} more reps: open the sheet for the full list" in notes
