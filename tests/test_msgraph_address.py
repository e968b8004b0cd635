"""OneDrive and SharePoint links, and msgraph:/drives/D/items/I, as a user pastes them."""

from __future__ import annotations

import pytest

from sheetsync.errors import UsageError, WorkbookRefused
from sheetsync.sources.msgraph import encode_share_url, is_msgraph_source, parse_source


def test_the_docs_example_is_encoded_as_graph_says() -> None:
    # "Encoding sharing URLs" (shares-get): base64, '=' dropped, '/' -> '_', '+' -> '-', "u!".
    url = "https://onedrive.live.com/redir?resid=1231244193912!12&authKey=1201919!12921!1"
    assert encode_share_url(url) == (
        "u!aHR0cHM6Ly9vbmVkcml2ZS5saXZlLmNvbS9yZWRpcj9yZXNpZD0xMjMxMjQ0MTkzOTEyITEyJmF1dGhLZXk9"
        "MTIwMTkxOSExMjkyMSEx"
    )


def test_base64_slash_and_padding_become_url_safe() -> None:
    # plain base64 of this link is aHR0cHM6Ly8xZHJ2Lm1zL3gvcyFBaz8/PmU= (a '/' and a '=')
    assert encode_share_url("https://1drv.ms/x/s!Ak??>e") == "u!aHR0cHM6Ly8xZHJ2Lm1zL3gvcyFBaz8_PmU"


def test_base64_plus_becomes_a_minus() -> None:
    # plain base64 of this link is aHR0cHM6Ly8xZHJ2Lm1zL3gvcyFBaz4+P2U= (a '+' and a '=')
    assert encode_share_url("https://1drv.ms/x/s!Ak>>?e") == "u!aHR0cHM6Ly8xZHJ2Lm1zL3gvcyFBaz4-P2U"


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso.sharepoint.com/:x:/r/sites/Sales/_layouts/15/Doc.aspx?sourcedoc=%7B1%7D"
        "&file=Prospects.xlsx&action=default&mobileredirect=true",
        "https://contoso.sharepoint.com/:x:/s/Sales/EbC1d2E3f4?e=AbCdEf",
        "https://contoso-my.sharepoint.com/:x:/g/personal/ana_contoso_com/EaBc?e=x1",
        "https://contoso-my.sharepoint.com/personal/ana_contoso_com/Documents/Prospects.xlsx",
        "https://onedrive.live.com/edit.aspx?resid=8A7B!123&cid=8a7b",
        "https://1drv.ms/x/s!AkKz1234?e=abc",
        "https://1drv.ms/x/c/8a7b/EQabc?e=x",
    ],
)
def test_links_of_every_form_are_resolved_by_graph(url: str) -> None:
    assert is_msgraph_source(url)
    address = parse_source(url)
    assert address.share_url == url
    assert address.share_id == encode_share_url(url)


def test_a_drive_item_address() -> None:
    address = parse_source("msgraph:/drives/b!AbC-12_x/items/01ABCDEF")
    assert (address.drive_id, address.item_id, address.share_url) == (
        "b!AbC-12_x",
        "01ABCDEF",
        None,
    )


@pytest.mark.parametrize(
    "spec",
    [
        "prospects.xlsx",
        "https://docs.google.com/spreadsheets/d/KEY/edit",
        "https://example.com/Prospects.xlsx",
        "gsheet:KEY",
    ],
)
def test_other_sources_are_not_taken(spec: str) -> None:
    assert not is_msgraph_source(spec)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("https://contoso.sharepoint.com/:w:/r/sites/Sales/Plan.docx", "a Word document"),
        ("https://contoso.sharepoint.com/:f:/s/Sales/EkFolder", "a folder"),
        ("https://contoso.sharepoint.com/:p:/s/Sales/Deck", "a PowerPoint presentation"),
    ],
)
def test_links_that_are_not_a_workbook_are_refused_before_any_request(spec: str, says: str) -> None:
    # refused as a local .docx or folder is (exit 1), not as a mistyped argument
    with pytest.raises(WorkbookRefused, match=f"^this is a link to {says}, not an Excel workbook"):
        parse_source(spec)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("msgraph:/drives/ABC", "^not of the form msgraph:/drives/DRIVE_ID/items/ITEM_ID"),
        ("http://contoso.sharepoint.com/:x:/s/Sales/E1", "^a OneDrive or SharePoint link starts"),
        (
            "https://d.docs.live.net/8a7b1c2d3e4f/Documents/Prospects.xlsx",
            r"^this is the file's address in Excel .* copy its link in OneDrive instead",
        ),
    ],
)
def test_addresses_that_cannot_be_read_are_usage_errors(spec: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_source(spec)
