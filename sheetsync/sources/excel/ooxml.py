"""Names and small XML helpers shared by the parts of the Excel adapter.

Everything here is about the OOXML vocabulary (namespaces, relationship types, the order the
schemas impose on child elements), nothing about sheetsync itself.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from urllib.parse import unquote

from lxml import etree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
#: Strict OOXML (ISO 29500 strict) puts every namespace under this prefix.
STRICT_PREFIX = "http://purl.oclc.org/ooxml/"

RT_OFFICE_DOCUMENT = REL_NS + "/officeDocument"
RT_WORKSHEET = REL_NS + "/worksheet"
RT_STYLES = REL_NS + "/styles"
RT_TABLE = REL_NS + "/table"
RT_CALC_CHAIN = REL_NS + "/calcChain"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

#: The XML declaration Excel writes; every part we serialise gets it.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

#: Child order of CT_Worksheet (ECMA-376 Part 1, 18.3.1.99).
WORKSHEET_ORDER = (
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)

#: Child order of CT_Workbook (18.2.27).
WORKBOOK_ORDER = (
    "fileVersion",
    "fileSharing",
    "workbookPr",
    "workbookProtection",
    "bookViews",
    "sheets",
    "functionGroups",
    "externalReferences",
    "definedNames",
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)

#: Child order of CT_Stylesheet (18.8.39).
STYLESHEET_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def parse_xml(data: bytes) -> etree._Element:
    """Parse a part; entities are never resolved and nothing is fetched."""
    return etree.fromstring(data, _PARSER)


def serialize_xml(root: etree._Element) -> bytes:
    """Serialise a part the way Excel does: UTF-8 with Excel's declaration."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def q(name: str, ns: str = MAIN_NS) -> str:
    """Clark notation ``{ns}name``."""
    return f"{{{ns}}}{name}"


def insert_in_order(parent: etree._Element, child: etree._Element, order: Sequence[str]) -> None:
    """Insert ``child`` where the schema's sequence ``order`` wants it.

    It goes right after the last existing child whose name comes no later than its own, so
    unknown children (``mc:AlternateContent`` wrapping controls, say) keep their place.
    """
    rank = order.index(local_name(child))
    position = 0
    for index, existing in enumerate(parent):
        name = local_name(existing)
        if name in order and order.index(name) <= rank:
            position = index + 1
    parent.insert(position, child)


def rels_path(part: str) -> str:
    """Zip name of the relationships part of ``part`` (``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """Zip name of a relationship target, relative to the part that holds the relationship."""
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target))


def relative_target(source_part: str, target_part: str) -> str:
    """Inverse of :func:`resolve_target`: the Target text for ``target_part`` seen from ``source_part``."""
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")
