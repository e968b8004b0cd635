"""Keep ``calcChain.xml`` true when a formula cell is given a plain value.

Excel reports a damaged file when its calculation chain lists a cell that holds no formula, so
the cells whose formula sheetsync replaced are dropped from it (and the part itself when it ends
up empty, as the schema wants at least one entry). Untouched otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from .ooxml import RT_CALC_CHAIN, q, serialize_xml
from .package import Package
from .workbook import Workbook


def drop_cells(
    package: Package, workbook: Workbook, sheet_id: str, refs: Iterable[str]
) -> tuple[str, bytes | None] | None:
    """Remove ``refs`` of sheet ``sheet_id`` from the calc chain.

    Returns None when nothing changes, else (part, new content), content None = delete the part.
    """
    wanted = set(refs)
    if not wanted:
        return None
    part = next(
        (
            rel.target
            for rel in package.rels(workbook.part)
            if rel.type == RT_CALC_CHAIN and not rel.external and package.find(rel.target)
        ),
        None,
    )
    if part is None:
        return None
    part = package.name(part)
    root = package.read_xml(part)
    entries = [el for el in root if el.tag == q("c")]
    current = ""
    removed = False
    carry: str | None = None  # an i= that must move to the next kept entry
    for el in entries:
        if el.get("i") is not None:
            current = el.get("i")
            carry = None
        elif carry is not None:
            el.set("i", carry)
            carry = None
        if current == sheet_id and el.get("r") in wanted:
            if el.get("i") is not None:
                carry = el.get("i")
            root.remove(el)
            removed = True
    if not removed:
        return None
    if len(root) == 0:
        workbook.unregister_part(part)
        return part, None
    return part, serialize_xml(root)
