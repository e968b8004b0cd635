"""From a :class:`~sheetsync.sources.base.WritePlan` to the parts of the new package.

Only these parts can change: the prospects worksheet; ``styles.xml`` (the date format and the
highlight styles, added once); the memory worksheet; the prospects table's part when it is
extended (see :mod:`.tables`); ``calcChain.xml`` when a formula cell is given a value (see
:mod:`.calcchain`); and the package index parts (``workbook.xml``, its rels,
``[Content_Types].xml``) when the memory sheet is first added, a filter's hidden name is set, or
the workbook has no styles part yet. Every other part is copied raw.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from lxml import etree

from ...errors import SourceError, WorkbookRefused
from ..base import MEMORY_SHEET, ColumnChanges, WritePlan, columns_of
from ..widths import created_widths
from .calcchain import drop_cells
from .cellxml import CellEncoder, memory_sheet
from .layout import HeadLayout, TailLayout
from .ooxml import WORKSHEET_ORDER, insert_in_order, q
from .package import Compressed, Package, StreamDeflater, compress, inflates
from .readback import SheetChecker, check_well_formed, internal_error, sheet_checker
from .roweditor import RowEditor
from .sheetpart import NeedsWholePart, SheetText, streamed_sheet, whole_sheet
from .spreadsheetml import MAX_COLS, MAX_ROWS
from .styles import StyleBook
from .tables import extend_table, load_tables
from .workbook import SheetEntry, Workbook

#: the new sheet is checked and compressed in blocks of about this size
BLOCK_SIZE = 1 << 20


@dataclass
class Rewrite:
    """The parts a plan changes, compressed and checked: existing parts replaced (None = left
    out of the package) and new parts."""

    replaced: dict[str, Compressed | None] = field(default_factory=dict)
    added: dict[str, Compressed] = field(default_factory=dict)
    #: whether each new part inflates back to what was checked, worked out on the pool
    inflating: dict[str, Future[bool]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.replaced and not self.added


def plan_box(columns: Mapping[int, ColumnChanges]) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the plan's cells; refuses cells outside a sheet. (Values
    are checked as they are encoded.)"""
    if not columns:
        return None
    top = min(rows[0] for rows, _ in columns.values())
    bottom = max(rows[-1] for rows, _ in columns.values())
    box = (top, min(columns), bottom, max(columns))
    if box[0] < 0 or box[1] < 0 or box[2] >= MAX_ROWS or box[3] >= MAX_COLS:
        raise SourceError(f"the plan writes cells outside an Excel sheet {box}")
    return box


def build_rewrite(
    package: Package,
    workbook: Workbook,
    entry: SheetEntry,
    plan: WritePlan,
    headers: Mapping[int, object],
    pool: ThreadPoolExecutor,
) -> Rewrite:
    """Everything ``plan`` changes in ``package``, checked and compressed; ``Rewrite.empty``
    when nothing changes."""
    assert entry.part is not None
    label = f"{package.label} [{entry.name}]"
    styles = StyleBook(package, workbook)
    job = _Job(package, workbook, entry, plan, headers, pool, styles, label)
    rewrite = Rewrite()
    removed: list[str] = []
    if plan.cells or _layout_changes(package, entry, plan, headers, styles, label):
        try:
            with package.open(entry.part) as stream:
                sheet = streamed_sheet(stream, label)
                removed = _rewrite_sheet(job, sheet, rewrite)
        except NeedsWholePart:  # normalised and sorted: all of it is new
            sheet = whole_sheet(package.read(entry.part), label)
            rewrite = Rewrite()
            removed = _rewrite_sheet(job, sheet, rewrite)
    else:
        _memory_part(job, rewrite)

    chain = drop_cells(package, workbook, entry.sheet_id, removed)
    if chain is not None:
        rewrite.replaced[chain[0]] = None if chain[1] is None else _small(chain[0], chain[1], label)
    for replaced, added in (styles.changed_parts(), workbook.changed_parts()):
        rewrite.replaced.update(
            {name: _small(name, data, label) for name, data in replaced.items()}
        )
        rewrite.added.update({name: _small(name, data, label) for name, data in added.items()})

    for name, part in [*rewrite.replaced.items(), *rewrite.added.items()]:
        if part is not None and name not in rewrite.inflating:
            rewrite.inflating[name] = pool.submit(inflates, part)
    for name, inflating in rewrite.inflating.items():
        if not inflating.result():
            raise internal_error(label, f"part {name} does not inflate to what was checked")
    return rewrite


def _memory_part(job: _Job, rewrite: Rewrite) -> None:
    """The memory sheet, new or replaced, into ``rewrite`` (when the plan changes it)."""
    plan, package, workbook, label = job.plan, job.package, job.workbook, job.label
    if plan.memory is None:
        return
    content = memory_sheet(plan.memory)
    memory = workbook.worksheet(MEMORY_SHEET)
    if memory is None and any(s.name.casefold() == MEMORY_SHEET for s in workbook.sheets):
        raise WorkbookRefused(
            f"{package.label} has a chart or macro sheet named {MEMORY_SHEET!r}, where "
            "sheetsync keeps its memory: rename that sheet and run again"
        )
    if memory is not None and memory.part is not None:
        if package.read(memory.part) != content:
            rewrite.replaced[memory.part] = _small(memory.part, content, label, job.pool)
    else:
        part = workbook.add_worksheet(MEMORY_SHEET, "hidden")
        rewrite.added[part] = _small(part, content, label, job.pool)


@dataclass(frozen=True)
class _Job:
    """What every step of one rewrite works on."""

    package: Package
    workbook: Workbook
    entry: SheetEntry
    plan: WritePlan
    headers: Mapping[int, object]
    pool: ThreadPoolExecutor
    styles: StyleBook
    label: str


def _edit_head(sheet: SheetText, plan: WritePlan, headers: Mapping[int, object]) -> HeadLayout:
    head = HeadLayout(sheet.head, sheet.open_tag, sheet.prefix)
    box = plan_box(columns_of(plan.cells))
    if box is not None:
        head.cover(box)
    head.freeze_header()
    _set_widths(head, created_widths(plan, headers))
    return head


def _set_widths(head: HeadLayout, widths: Mapping[int, int]) -> None:
    """Give each column of ``widths`` (0-based -> characters) that no ``<col>`` covers a
    ``<col>`` of its own, in column order in ``<cols>`` (made where the schema wants it when
    there is none); the ``<col>`` elements there (a user's widths, column styles) stay as
    they are."""
    cols = head.root.find(q("cols"))
    spans = [_span(col) for col in (cols if cols is not None else ())]
    new = [c + 1 for c in sorted(widths) if not any(a <= c + 1 <= b for a, b in spans)]
    if not new:
        return
    if cols is None:
        cols = etree.Element(q("cols"))
        insert_in_order(head.root, cols, WORKSHEET_ORDER)
    for number in new:
        width = etree.Element(q("col"), min=str(number), max=str(number))
        width.set("width", str(widths[number - 1]))
        width.set("customWidth", "1")
        # the <col> elements go in column order: after the last one left of it
        index = sum(1 for col in cols if _span(col)[0] < number)
        cols.insert(index, width)
    head.changed = True


def _span(col: etree._Element) -> tuple[int, int]:
    """A ``<col>``'s 1-based min and max ((0, 0) when they are not numbers)."""
    try:
        return int(col.get("min", "0")), int(col.get("max", "0"))
    except ValueError:
        return 0, 0


def _edit_tail(
    package: Package,
    entry: SheetEntry,
    sheet: SheetText,
    plan: WritePlan,
    headers: Mapping[int, object],
    styles: StyleBook,
) -> tuple[TailLayout, dict[str, bytes], str | None]:
    """The tail edited (filter, highlighting); the extended table parts; the new filter range."""
    assert entry.part is not None
    tail = TailLayout(sheet.head, sheet.close_tag, sheet.tail, sheet.prefix)
    header_names = dict(headers)
    header_names.update(
        {col: values[0] for col, (rows, values) in columns_of(plan.cells).items() if rows[0] == 0}
    )
    tables = load_tables(package, entry.part, tail.table_rel_ids())
    table_parts = {}
    for table in tables:
        new_table = extend_table(table, tables, plan.width, plan.height, header_names)
        if new_table is not None:
            table_parts[table.part] = new_table
    filter_ref = tail.ensure_filter(plan.width, plan.height)
    tail.highlight(plan.highlight, plan.flag_col, plan.width, styles)
    return tail, table_parts, filter_ref


def _layout_changes(
    package: Package,
    entry: SheetEntry,
    plan: WritePlan,
    headers: Mapping[int, object],
    styles: StyleBook,
    label: str,
) -> bool:
    """For a plan without cells: whether the frozen header, filter, highlighting or table still
    need installing (the rows are skipped, not processed)."""
    assert entry.part is not None
    with package.open(entry.part) as stream:
        sheet = streamed_sheet(stream, label)
        for _ in sheet.body:
            pass
    head = _edit_head(sheet, plan, headers)
    tail, tables, _ = _edit_tail(package, entry, sheet, plan, headers, styles)
    return head.changed or tail.changed or bool(tables)


def _rewrite_sheet(job: _Job, sheet: SheetText, rewrite: Rewrite) -> list[str]:
    """Stream the prospects sheet through the editor, the checks and the compressor; the new
    part goes into ``rewrite`` unless it comes out unchanged. Returns the refs of cells whose
    formula was replaced (for calcChain). The workbook is only edited once the rows are done,
    so a restart on the whole part finds it untouched."""
    assert job.entry.part is not None
    cells = job.plan.cells
    old = job.package.find(job.entry.part)
    assert old is not None
    check = sheet_checker(
        job.entry.part,
        job.label,
        old.file_size + 64 * len(cells),
        sheet.prefix,
        columns_of(cells),
        job.workbook.epoch,
        job.styles,
    )
    try:
        return _stream_sheet(job, sheet, rewrite, check)
    finally:
        check.close()


def _stream_sheet(job: _Job, sheet: SheetText, rewrite: Rewrite, check: SheetChecker) -> list[str]:
    package, workbook, entry, plan = job.package, job.workbook, job.entry, job.plan
    assert entry.part is not None
    cells = plan.cells
    head = _edit_head(sheet, plan, job.headers)
    editor = RowEditor(
        sheet.prefix,
        columns_of(cells),
        CellEncoder(sheet.prefix, workbook.epoch, job.styles, plan.date_format),
        head.column_styles().get,
        job.label,
    )
    deflater = StreamDeflater(job.pool)

    # each block is compressed on the pool and checked (by a child process for a big sheet)
    # while the next one is built here
    deflater.feed(head.text())
    check.xml(head.text())
    pending: list[bytes] = []
    size = 0
    for piece, final in _with_last(sheet.body):
        outs = editor.feed(piece, final) if cells else [piece]
        pending += outs
        size += sum(map(len, outs))
        if size >= BLOCK_SIZE or final:
            block = b"".join(pending)
            pending, size = [], 0
            deflater.feed(block)
            check.rows(block)

    tail, table_parts, filter_ref = _edit_tail(package, entry, sheet, plan, job.headers, job.styles)
    for part, content in table_parts.items():
        rewrite.replaced[part] = _small(part, content, job.label)
    if filter_ref is not None:
        workbook.set_filter_database(entry, filter_ref)
    deflater.feed(tail.text())
    check.xml(tail.text(), final=True)
    new_sheet = deflater.finish()
    old = package.find(entry.part)
    assert old is not None
    if (new_sheet.crc, new_sheet.size) != (old.CRC, old.file_size):
        rewrite.replaced[entry.part] = new_sheet
        rewrite.inflating[entry.part] = job.pool.submit(inflates, new_sheet)
    # the memory sheet is made while the last blocks are checked (the rows are done: the
    # workbook may be edited)
    _memory_part(job, rewrite)
    try:
        check.finish()
    except SourceError:
        _refuse_damaged(package, entry.part, job.label)  # the damage may be the file's own
        raise
    return editor.removed_formulas


def _refuse_damaged(package: Package, part: str, label: str) -> None:
    """Refuse a sheet part whose XML, as stored, is not well-formed (Excel can repair it)."""
    try:
        check_well_formed(package.read(part), part, label)
    except SourceError as exc:
        raise WorkbookRefused(
            f"{label}: the XML of sheet {part} is damaged; open the workbook in Excel, let it "
            "repair it, save it and run again"
        ) from exc


def _with_last(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(chunk, is it the last one); an empty body gives one empty last chunk."""
    previous: bytes | None = None
    for chunk in chunks:
        if previous is not None:
            yield previous, False
        previous = chunk
    yield (previous if previous is not None else b""), True


def _small(
    name: str, data: bytes, label: str, pool: ThreadPoolExecutor | None = None
) -> Compressed:
    """A new part other than the prospects sheet: checked to be well-formed, and compressed
    (on ``pool``, while it is checked, if given: the memory sheet of a big table is large)."""
    if pool is None:
        check_well_formed(data, name, label)
        return compress(data)
    compressed = pool.submit(compress, data)
    try:
        check_well_formed(data, name, label)
    finally:
        result = compressed.result()
    return result
