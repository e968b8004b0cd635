"""Where a workbook in Microsoft 365 is: a sharing or browser URL, or ``msgraph:/drives/D/items/I``.

A URL is resolved by Graph itself (``GET /shares/{u!base64url}/driveItem``), so every link form
Microsoft hands out works: ``https://TENANT.sharepoint.com/:x:/r/sites/...``,
``https://TENANT-my.sharepoint.com/...``, ``https://onedrive.live.com/...``,
``https://1drv.ms/x/...``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sheetsync.errors import UsageError, WorkbookRefused

SCHEME = "msgraph:"
#: hosts whose links are OneDrive or SharePoint items
HOST_SUFFIXES = (".sharepoint.com", ".sharepoint.us", ".sharepoint.de", ".sharepoint.cn")
HOSTS = ("onedrive.live.com", "1drv.ms", "onedrive.com")
#: the address Excel desktop shows for a file in a personal OneDrive (WebDAV): not a link
WEBDAV_HOST = "d.docs.live.net"
_ITEM = re.compile(r"^msgraph:/drives/(?P<drive>[^/]+)/items/(?P<item>[^/]+)/?$")
#: SharePoint's link kinds (``/:x:/`` Excel, ``/:w:/`` Word, ``/:f:/`` folder...)
_KIND = re.compile(r"^/:(?P<kind>[a-z]):/")
_KINDS = {
    "w": "a Word document",
    "p": "a PowerPoint presentation",
    "f": "a folder",
    "b": "a PDF",
    "o": "a OneNote notebook",
    "v": "a video",
    "i": "a picture",
}


@dataclass(frozen=True)
class GraphAddress:
    """A workbook to resolve: ``share_url`` (a link) or ``drive_id`` + ``item_id``."""

    spec: str
    share_url: str | None = None
    drive_id: str | None = None
    item_id: str | None = None

    @property
    def share_id(self) -> str:
        """The link encoded as Graph's ``/shares/`` expects: ``u!`` + unpadded base64url."""
        assert self.share_url is not None
        return encode_share_url(self.share_url)


def encode_share_url(url: str) -> str:
    """``u!`` + the URL in unpadded base64url (Graph's "Encoding sharing URLs")."""
    encoded = base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii")
    return "u!" + encoded.rstrip("=")


def is_msgraph_source(spec: str) -> bool:
    """Whether ``spec`` names a workbook in OneDrive or SharePoint."""
    if spec.startswith(SCHEME):
        return True
    parts = urlsplit(spec.strip())
    host = (parts.hostname or "").lower()
    return parts.scheme in ("http", "https") and (
        host in (*HOSTS, WEBDAV_HOST) or host.endswith(HOST_SUFFIXES)
    )


def parse_source(spec: str) -> GraphAddress:
    """Read a OneDrive/SharePoint URL or ``msgraph:/drives/D/items/I``; refuse a link that is
    plainly not a workbook (a Word document, a folder) before asking Graph.

    The messages do not repeat ``spec``: the CLI names the source before them."""
    spec = spec.strip()
    if spec.startswith(SCHEME):
        match = _ITEM.match(spec)
        if match is None:
            raise UsageError(
                "not of the form msgraph:/drives/DRIVE_ID/items/ITEM_ID: copy the workbook's "
                "link from OneDrive or SharePoint (Share > Copy link) instead"
            )
        return GraphAddress(spec, drive_id=match["drive"], item_id=match["item"])
    parts = urlsplit(spec)
    if (parts.hostname or "").lower() == WEBDAV_HOST:
        raise UsageError(
            "this is the file's address in Excel (File > Info > Copy path), which Microsoft "
            "Graph cannot open: copy its link in OneDrive instead (Share > Copy link)"
        )
    if parts.scheme != "https":
        raise UsageError("a OneDrive or SharePoint link starts with https://: copy it again")
    kind = _KIND.match(parts.path)
    if kind and kind["kind"] in _KINDS:
        raise WorkbookRefused(
            f"this is a link to {_KINDS[kind['kind']]}, not an Excel workbook: copy the "
            "link of the .xlsx file itself"
        )
    return GraphAddress(spec, share_url=spec)
