"""The styles part: the one date number format and the highlight fills sheetsync adds.

Additions are made once and found again on the next sync (by comparing canonical XML), so a
re-sync adds nothing. Nothing existing is changed or removed.
"""

from __future__ import annotations

import copy
import posixpath
import re

from lxml import etree

from ..base import HighlightRule
from .ooxml import (
    CT_STYLES,
    RT_STYLES,
    STYLESHEET_ORDER,
    insert_in_order,
    parse_xml,
    q,
    serialize_xml,
)
from .package import Package
from .workbook import Workbook

#: built-in number formats that show a date (ECMA-376 18.8.30, plus the East Asian ones)
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)})
_FIRST_CUSTOM_FORMAT = 164
#: what a format code's date letters hide in: quoted text, [colour]/[$-locale] blocks, escapes
_NOT_CODE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')

_MINIMAL_STYLES = (
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)


def is_date_code(code: str) -> bool:
    """Whether a number format code shows a date (has day or year letters outside literals)."""
    bare = _NOT_CODE.sub("", code).lower()
    return "d" in bare or "y" in bare


def _canonical(element: etree._Element) -> tuple[object, ...]:
    """A comparable form of an element: names, attributes, text and children, whatever the
    namespace prefixes and attribute order of the part."""
    return (
        element.tag,
        tuple(sorted(element.attrib.items())),
        (element.text or "").strip(),
        tuple(_canonical(child) for child in element if isinstance(child.tag, str)),
    )


class StyleBook:
    """The workbook's styles part, parsed on first use and edited in place."""

    def __init__(self, package: Package, workbook: Workbook) -> None:
        self.package = package
        self.workbook = workbook
        self.part: str | None = None
        for rel in package.rels(workbook.part):
            if rel.type == RT_STYLES and not rel.external and package.find(rel.target):
                self.part = package.name(rel.target)
        self._root: etree._Element | None = None
        self.dirty = False
        self._date_styles: dict[tuple[int, str], int] = {}
        self._date_flags: dict[int, bool] = {}

    @property
    def root(self) -> etree._Element:
        if self._root is None:
            if self.part is None:
                self._root = parse_xml(_MINIMAL_STYLES)
            else:
                self._root = self.package.read_xml(self.part)
        return self._root

    def _section(self, name: str) -> etree._Element:
        section = self.root.find(q(name))
        if section is None:
            section = etree.Element(q(name))
            insert_in_order(self.root, section, STYLESHEET_ORDER)
        return section

    def _xfs(self) -> list[etree._Element]:
        section = self.root.find(q("cellXfs"))
        return [] if section is None else [el for el in section if el.tag == q("xf")]

    def _format_codes(self) -> dict[int, str]:
        section = self.root.find(q("numFmts"))
        codes: dict[int, str] = {}
        for el in section if section is not None else ():
            if el.tag == q("numFmt") and (el.get("numFmtId") or "").isdigit():
                codes[int(el.get("numFmtId"))] = el.get("formatCode", "")
        return codes

    # -- dates ---------------------------------------------------------------------------

    def shows_date(self, style: int) -> bool:
        """Whether cell style ``style`` already displays its number as a date."""
        if style not in self._date_flags:
            xfs = self._xfs()
            # a number format id that is not a number (a damaged styles part) shows no date
            given = (xfs[style].get("numFmtId") or "0") if style < len(xfs) else "0"
            fmt = int(given) if given.isdigit() else 0
            codes = self._format_codes()
            self._date_flags[style] = fmt in _BUILTIN_DATE_FORMATS or (
                fmt in codes and is_date_code(codes[fmt])
            )
        return self._date_flags[style]

    def date_style(self, base: int, code: str) -> int:
        """A cell style like ``base`` that shows dates: ``base`` itself if it already does,
        else ``base`` + number format ``code`` (added once, found again on the next sync)."""
        key = (base, code)
        if key not in self._date_styles:
            self._date_styles[key] = (
                base if self.shows_date(base) else self._variant(base, self._format_id(code))
            )
        return self._date_styles[key]

    def number_style(self, base: int) -> int:
        """A cell style like ``base`` that shows a number as a number: ``base`` itself unless it
        shows dates (a count written over a date-formatted cell must not read as 1900-01-03)."""
        key = (base, "")
        if key not in self._date_styles:
            self._date_styles[key] = self._variant(base, 0) if self.shows_date(base) else base
        return self._date_styles[key]

    def _variant(self, base: int, fmt_id: int) -> int:
        """The index of a cell style equal to ``base`` but for number format ``fmt_id``
        (an existing equal style is reused; else one is added)."""
        xfs = self._xfs()
        if base < len(xfs):
            wanted = copy.deepcopy(xfs[base])
        else:
            wanted = etree.Element(q("xf"), numFmtId="0", fontId="0", fillId="0", borderId="0")
            wanted.set("xfId", "0")
        wanted.set("numFmtId", str(fmt_id))
        wanted.set("applyNumberFormat", "1")
        wanted_c14n = _canonical(wanted)
        for index, xf in enumerate(xfs):
            if _canonical(xf) == wanted_c14n:
                return index
        section = self._section("cellXfs")
        section.append(wanted)
        section.set("count", str(len(xfs) + 1))
        self.dirty = True
        return len(xfs)

    def _format_id(self, code: str) -> int:
        codes = self._format_codes()
        for fmt_id, existing in codes.items():
            if existing == code:
                return fmt_id
        fmt_id = max([_FIRST_CUSTOM_FORMAT - 1, *codes]) + 1
        section = self._section("numFmts")
        etree.SubElement(section, q("numFmt"), numFmtId=str(fmt_id), formatCode=code)
        section.set("count", str(len(section)))
        self.dirty = True
        return fmt_id

    # -- highlighting --------------------------------------------------------------------

    def _dxfs(self) -> list[etree._Element]:
        section = self.root.find(q("dxfs"))
        return [] if section is None else [el for el in section if el.tag == q("dxf")]

    def dxf_matches(self, index: int, rule: HighlightRule) -> bool:
        """Whether differential style ``index`` is exactly the one ``rule`` wants."""
        dxfs = self._dxfs()
        return index < len(dxfs) and _canonical(dxfs[index]) == _canonical(_dxf(rule))

    def dxf_index(self, rule: HighlightRule) -> int:
        """Index of a differential style for ``rule``, added unless one is equal already."""
        wanted = _dxf(rule)
        wanted_c14n = _canonical(wanted)
        dxfs = self._dxfs()
        for index, dxf in enumerate(dxfs):
            if _canonical(dxf) == wanted_c14n:
                return index
        section = self._section("dxfs")
        section.append(wanted)
        section.set("count", str(len(dxfs) + 1))
        self.dirty = True
        return len(dxfs)

    # -- output --------------------------------------------------------------------------

    def changed_parts(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """(replaced, added) parts; registers a new styles part with the workbook if needed."""
        if not self.dirty:
            return {}, {}
        if self.part is None:
            folder = posixpath.dirname(self.workbook.part)
            part = posixpath.join(folder, "styles.xml")
            self.workbook.register_part(part, RT_STYLES, CT_STYLES)
            return {}, {part: serialize_xml(self.root)}
        return {self.part: serialize_xml(self.root)}, {}


def _argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else "FF" + rgb


def _dxf(rule: HighlightRule) -> etree._Element:
    dxf = etree.Element(q("dxf"))
    if rule.font or rule.strike:
        font = etree.SubElement(dxf, q("font"))
        if rule.strike:
            etree.SubElement(font, q("strike"))
        if rule.font:
            etree.SubElement(font, q("color"), rgb=_argb(rule.font))
    fill = etree.SubElement(dxf, q("fill"))
    pattern = etree.SubElement(fill, q("patternFill"), patternType="solid")
    etree.SubElement(pattern, q("fgColor"), rgb=_argb(rule.fill))
    etree.SubElement(pattern, q("bgColor"), rgb=_argb(rule.fill))
    return dxf
