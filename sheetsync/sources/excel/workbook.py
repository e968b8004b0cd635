"""The workbook part: which worksheets exist, where their parts are, which date system is used;
and the two edits sheetsync ever makes to it (adding its hidden memory sheet, naming the
filter range of the prospects sheet)."""

from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass

from lxml import etree

from ...errors import SheetNotFound, WorkbookRefused
from ..base import EPOCH_1900, EPOCH_1904, MEMORY_SHEET
from .ooxml import (
    CT_NS,
    CT_WORKSHEET,
    PKG_REL_NS,
    REL_NS,
    RT_WORKSHEET,
    WORKBOOK_ORDER,
    insert_in_order,
    q,
    relative_target,
    rels_path,
    resolve_target,
    serialize_xml,
)
from .package import CONTENT_TYPES, Package

FILTER_DATABASE = "_xlnm._FilterDatabase"
_TRUE = {"1", "true", "on"}
#: how much of a worksheet part is read to find a DTD (the prolog, before the root element)
_DTD_HEAD = 1 << 16


@dataclass(frozen=True)
class SheetEntry:
    """One ``<sheet>`` of the workbook."""

    name: str
    index: int  # position in <sheets>, what definedName/@localSheetId counts
    sheet_id: str
    rel_id: str
    part: str | None  # zip name of a worksheet part; None for chart/dialog/macro sheets
    state: str  # visible, hidden, veryHidden


class Workbook:
    """The parsed workbook part of a :class:`Package`."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.part = package.workbook_part
        self.root = package.read_xml(self.part)
        self.modified = False
        self._rels_root: etree._Element | None = None
        self._rels_name = ""
        self._types_root: etree._Element | None = None
        if self.root.tag != q("workbook"):
            raise package.damaged(f"{self.part} is not a SpreadsheetML workbook")
        rels = {rel.id: rel for rel in package.rels(self.part)}
        self.sheets: list[SheetEntry] = []
        sheets_el = self.root.find(q("sheets"))
        for index, el in enumerate(sheets_el if sheets_el is not None else ()):
            if el.tag != q("sheet"):
                continue
            rel_id = el.get(q("id", REL_NS), "")
            rel = rels.get(rel_id)
            part = None
            if rel is not None and rel.type == RT_WORKSHEET and not rel.external:
                if package.find(rel.target) is None:
                    raise package.damaged(f"worksheet part {rel.target} is missing")
                part = package.name(rel.target)
            self.sheets.append(
                SheetEntry(
                    name=el.get("name", ""),
                    index=index,
                    sheet_id=el.get("sheetId", ""),
                    rel_id=rel_id,
                    part=part,
                    state=el.get("state", "visible"),
                )
            )
        pr = self.root.find(q("workbookPr"))
        self.date1904 = pr is not None and pr.get("date1904", "").lower() in _TRUE

    @property
    def epoch(self) -> dt.date:
        """Serial day 0 of the workbook's date system."""
        return EPOCH_1904 if self.date1904 else EPOCH_1900

    def worksheet(self, name: str) -> SheetEntry | None:
        """The worksheet called ``name`` (Excel compares sheet names case-insensitively)."""
        for entry in self.sheets:
            if entry.part is not None and entry.name.casefold() == name.casefold():
                return entry
        return None

    def choose(self, wanted: str | None) -> SheetEntry:
        """The prospects worksheet: ``wanted`` if given, else "Prospects", else the first one."""
        candidates = [s for s in self.sheets if s.part is not None and s.name != MEMORY_SHEET]
        if wanted is not None:
            found = self.worksheet(wanted)
            if found is None or found.name == MEMORY_SHEET:
                names = ", ".join(repr(s.name) for s in candidates) or "none"
                raise SheetNotFound(
                    f"{self.package.label} has no worksheet named {wanted!r} "
                    f"(worksheets: {names}); pass one of them with --sheet"
                )
            return found
        found = self.worksheet("Prospects")
        if found is not None:
            return found
        if not candidates:
            raise SheetNotFound(f"{self.package.label} has no worksheet; add one and run again")
        return candidates[0]

    def check_sizes(self, sheets: list[SheetEntry | None]) -> None:
        """Refuse a decompression bomb among the parts a read inflates (see
        :meth:`.Package.check_size`): the package index, the workbook part and the parts it
        relates to (shared strings, styles, theme...) but other sheets, and ``sheets``."""
        package = self.package
        other_sheets = {s.part.lower() for s in self.sheets if s.part is not None}
        names = [CONTENT_TYPES, "_rels/.rels", self.part, rels_path(self.part)]
        names += [
            rel.target
            for rel in package.rels(self.part)
            if not rel.external and rel.target.lower() not in other_sheets
        ]
        names += [s.part for s in sheets if s is not None and s.part is not None]
        for name in names:
            package.check_size(name)

    def refuse_dtd(self, sheet: SheetEntry) -> None:
        """Refuse a worksheet part that declares a DTD (``<!DOCTYPE``, before its root): Excel
        writes none, and its entities would be lost on the way (the new sheet is checked
        without them)."""
        assert sheet.part is not None
        try:
            with self.package.open(sheet.part) as stream:
                head = stream.read(_DTD_HEAD)
        except WorkbookRefused:
            return  # whatever is wrong with it is said when it is read whole
        if b"<!DOCTYPE" in head:  # only the prolog can hold one (else: in a comment)
            raise WorkbookRefused(
                f"{self.package.label}: sheet {sheet.name!r} ({sheet.part}) declares a DTD "
                "(<!DOCTYPE>), which Excel never writes and sheetsync does not read: open the "
                "workbook in Excel, save it and run again"
            )

    # -- edits ---------------------------------------------------------------------------

    def filter_database_ref(self, sheet: SheetEntry) -> str | None:
        """Text of the sheet's hidden ``_xlnm._FilterDatabase`` name, if any."""
        el = self._filter_database(sheet)
        return None if el is None else (el.text or "")

    def _filter_database(self, sheet: SheetEntry) -> etree._Element | None:
        names = self.root.find(q("definedNames"))
        if names is None:
            return None
        for el in names:
            if el.get("name") == FILTER_DATABASE and el.get("localSheetId") == str(sheet.index):
                return el
        return None

    def set_filter_database(self, sheet: SheetEntry, ref: str) -> None:
        """Point the sheet's filter name at ``ref`` (an absolute A1 range), adding it once."""
        el = self._filter_database(sheet)
        if el is None:
            names = self.root.find(q("definedNames"))
            if names is None:
                names = etree.Element(q("definedNames"))
                insert_in_order(self.root, names, WORKBOOK_ORDER)
            el = etree.SubElement(names, q("definedName"))
            el.set("name", FILTER_DATABASE)
            el.set("localSheetId", str(sheet.index))
            el.set("hidden", "1")
        el.text = f"{quote_sheet_name(sheet.name)}!{ref}"
        self.modified = True

    def register_part(self, part: str, rel_type: str, content_type: str) -> str:
        """Relate a new part to the workbook and give it a content type; returns the rel id."""
        rels = self._rels()
        used = {el.get("Id") for el in rels}
        n = len(used) + 1
        while f"rId{n}" in used:
            n += 1
        rel = etree.SubElement(rels, q("Relationship", PKG_REL_NS))
        rel.set("Id", f"rId{n}")
        rel.set("Type", rel_type)
        rel.set("Target", relative_target(self.part, part))
        types = self._types()
        override = etree.SubElement(types, q("Override", CT_NS))
        override.set("PartName", "/" + part)
        override.set("ContentType", content_type)
        return f"rId{n}"

    def unregister_part(self, part: str) -> None:
        """Forget a part the workbook relates to (its relationship and content type)."""
        rels = self._rels()
        for el in list(rels):
            if el.get("TargetMode") != "External" and (
                resolve_target(self.part, el.get("Target", "")).lower() == part.lower()
            ):
                rels.remove(el)
        types = self._types()
        for el in list(types):
            if (el.get("PartName") or "").lstrip("/").lower() == part.lower():
                types.remove(el)

    def add_worksheet(self, name: str, state: str) -> str:
        """Add a new worksheet named ``name`` at the end; returns the zip name for its part."""
        folder = posixpath.dirname(self.part)
        part = posixpath.join(folder, "worksheets", "sheetsync_memory.xml")
        n = 1
        while self.package.find(part) is not None:
            n += 1
            part = posixpath.join(folder, "worksheets", f"sheetsync_memory{n}.xml")
        rel_id = self.register_part(part, RT_WORKSHEET, CT_WORKSHEET)
        sheets_el = self.root.find(q("sheets"))
        if sheets_el is None:
            sheets_el = etree.Element(q("sheets"))
            insert_in_order(self.root, sheets_el, WORKBOOK_ORDER)
        ids = [int(s.sheet_id) for s in self.sheets if s.sheet_id.isdigit()]
        # declare r: on the element when the part has no prefix for it (as Excel spells it)
        nsmap = None if REL_NS in self.root.nsmap.values() else {"r": REL_NS}
        sheet_el = etree.SubElement(sheets_el, q("sheet"), nsmap=nsmap)
        sheet_el.set("name", name)
        sheet_el.set("sheetId", str(max(ids, default=0) + 1))
        if state != "visible":
            sheet_el.set("state", state)
        sheet_el.set(q("id", REL_NS), rel_id)
        self.modified = True
        return part

    def _rels(self) -> etree._Element:
        if self._rels_root is None:
            name = rels_path(self.part)
            if self.package.find(name) is None:
                self._rels_root = etree.Element(
                    q("Relationships", PKG_REL_NS), nsmap={None: PKG_REL_NS}
                )
                self._rels_name = name
            else:
                self._rels_root = self.package.read_xml(name)
                self._rels_name = self.package.name(name)
        return self._rels_root

    def _types(self) -> etree._Element:
        if self._types_root is None:
            self._types_root = self.package.read_xml(CONTENT_TYPES)
        return self._types_root

    def changed_parts(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """The edited index parts as (replaced existing parts, new parts)."""
        replaced: dict[str, bytes] = {}
        added: dict[str, bytes] = {}
        if self.modified:
            replaced[self.part] = serialize_xml(self.root)
        if self._rels_root is not None:
            target = added if self.package.find(self._rels_name) is None else replaced
            target[self._rels_name] = serialize_xml(self._rels_root)
        if self._types_root is not None:
            replaced[self.package.name(CONTENT_TYPES)] = serialize_xml(self._types_root)
        return replaced, added


def quote_sheet_name(name: str) -> str:
    """A sheet name as a formula reference writes it; always quoted, which Excel accepts for
    every name (and which spares us deciding which names look like cell references)."""
    return "'" + name.replace("'", "''") + "'"
