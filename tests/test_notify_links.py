"""Where a digest's link opens the sheet, per kind of source (the Google filter view is tested
end to end in test_notify_email.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sheetsync.config import Config
from sheetsync.notify.digest import Link
from sheetsync.notify.links import link_maker
from sheetsync.sync import open_source


def test_a_local_workbook_links_its_path(tmp_path: Path) -> None:
    book = tmp_path / "Team Prospects.xlsx"
    link = link_maker(open_source(str(book), None, Config()), "Prospects")("Dana")
    assert link == Link(book.resolve().as_uri(), str(book.resolve()))
    assert link.href.endswith("/Team%20Prospects.xlsx")
    assert link.plain == str(book.resolve())


def test_a_sharepoint_workbook_links_its_web_address() -> None:
    # the shape of the OneDrive/SharePoint source: its key is the link it was given, its drive
    # item (read by the sync) knows the workbook's web address
    source = SimpleNamespace(
        key="https://contoso.sharepoint.com/:x:/r/sites/Sales/Shared%20Documents/p.xlsx?d=w1",
        item=SimpleNamespace(web_url="https://contoso.sharepoint.com/sites/Sales/p.xlsx"),
    )
    assert link_maker(source, "Prospects")("Dana") == Link(
        "https://contoso.sharepoint.com/sites/Sales/p.xlsx", "Prospects in the browser"
    )
    source.item = None  # not read: the link it was opened with
    assert link_maker(source, "Prospects")(None).href == source.key
