"""Where a digest's reader opens the sheet: the Google filter view "Due: NAME", the workbook's
web address (SharePoint / OneDrive), or the path of a local file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sheetsync.notify.digest import Link

log = logging.getLogger(__name__)

GOOGLE_URL = "https://docs.google.com/spreadsheets/d/{key}/edit"
_VIEW_FIELDS = "sheets(properties(sheetId,title),filterViews(filterViewId,title))"


def link_maker(source: Any, title: str) -> Callable[[str | None], Link]:
    """``owner -> Link`` for ``source`` (an opened source, after its sync); ``None`` = the
    whole sheet. Never fails: a link that cannot be found falls back to the sheet itself."""
    key = str(getattr(source, "key", ""))
    if hasattr(source, "spreadsheet_id"):
        return _google(source, title)
    # a workbook with a web address: OneDrive / SharePoint (the Graph source's drive item)
    web_url = getattr(source, "web_url", None) or getattr(
        getattr(source, "item", None), "web_url", None
    )
    if isinstance(web_url, str) and web_url.startswith("https://"):
        return lambda owner: Link(web_url, f"{title} in the browser")
    if key.startswith(("https://", "http://", "msgraph:")):
        return lambda owner: Link(key, key)
    path = Path(key).resolve()
    return lambda owner: Link(path.as_uri(), str(path))


def _google(source: Any, title: str) -> Callable[[str | None], Link]:
    base = GOOGLE_URL.format(key=source.spreadsheet_id)
    sheet_id, views = _google_views(source, title)
    sheet_url = base + (f"#gid={sheet_id}" if sheet_id is not None else "")

    def link(owner: str | None) -> Link:
        if owner is not None:
            view = views.get("Due: " + " ".join(owner.split()))
            if view is not None:
                return Link(f"{base}#gid={sheet_id}&fvid={view}", f'filter view "Due: {owner}"')
        return Link(sheet_url, f"{title} in Google Sheets")

    return link


def _google_views(source: Any, title: str) -> tuple[int | None, dict[str, int]]:
    """The worksheet's id and its filter views by title: one metadata read (the views were
    made or kept by the sync that just ran; their ids are Google's)."""
    try:
        http = source._http()  # the source's own authorised session (and its test endpoint)
        meta = http.fetch_sheet_metadata(source.spreadsheet_id, params={"fields": _VIEW_FIELDS})
    except Exception as ex:  # a link is a nicety: the digest goes out without it
        log.info("filter views of %s not read (%s): linking the sheet", source.key, ex)
        return None, {}
    for sheet in meta.get("sheets") or []:
        props = sheet.get("properties") or {}
        if props.get("title") == title:
            views = {
                str(v.get("title", "")): int(v["filterViewId"])
                for v in sheet.get("filterViews") or []
                if "filterViewId" in v
            }
            return int(props.get("sheetId") or 0), views
    return None, {}
