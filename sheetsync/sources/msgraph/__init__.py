"""Microsoft 365 source: an Excel workbook in OneDrive or SharePoint, through Microsoft Graph.

Modules: :mod:`.address` (sharing/browser URLs and ``msgraph:/drives/D/items/I``), :mod:`.auth`
(MSAL: app registration with a secret or certificate, ``login --microsoft`` device code, the
token cache), :mod:`.client` (the Graph calls over ``requests``, retries, error messages),
:mod:`.source` (download, the Excel sync on the copy, upload with ``If-Match``).

Only the address helpers are imported here, so telling a source apart costs no MSAL import.
"""

from .address import GraphAddress, encode_share_url, is_msgraph_source, parse_source

__all__ = ["GraphAddress", "encode_share_url", "is_msgraph_source", "parse_source"]
