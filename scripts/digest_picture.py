"""Render a real digest to docs/digest.png: the demo workbook synced with [notify] against a
local SMTP server (tests/smtpserver.py), Dana's message taken off the wire, its HTML part
screenshotted by headless Chromium.

    python scripts/digest_picture.py [--today 2026-12-07] [--output docs/digest.png]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from click.testing import CliRunner  # noqa: E402
from smtpserver import smtp_server  # noqa: E402

from sheetsync.cli import main  # noqa: E402
from sheetsync.config import Config, today_in  # noqa: E402
from sheetsync.demo_data import write_demo_workbook  # noqa: E402


def render(today: str | None, output: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        day = today_in(Config(), today)
        book = work / "Prospects.xlsx"
        write_demo_workbook(book, day)
        with smtp_server(work, "none") as server:
            config = work / "sheetsync.toml"
            config.write_text(
                f"""backups = 0
[notify]
smtp_host = "127.0.0.1"
smtp_port = {server.port}
security = "none"
from = "sheetsync@example.com"
max_rows = 4
[owners.Dana]
email = "dana@example.com"
""",
                encoding="utf-8",
            )
            result = CliRunner(env={"SHEETSYNC_STATE_DIR": str(work / "state")}).invoke(
                main, ["sync", str(book), "--config", str(config), "--today", day.isoformat()]
            )
            if result.exit_code != 0:
                raise SystemExit(result.output)
            [message] = server.inbox.to("dana@example.com")
        html_part = message.get_body(("html",))
        assert html_part is not None
        page = work / "digest.html"
        page.write_text(html_part.get_content(), encoding="utf-8")
        shot = work / "digest.png"
        subprocess.run(
            [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--force-device-scale-factor=1", "--window-size=1000,1000",
             f"--screenshot={shot}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, output)
        print(f"{output}: {message['Subject']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--today", help="YYYY-MM-DD (default: today)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "digest.png")
    args = parser.parse_args()
    render(args.today, args.output)
