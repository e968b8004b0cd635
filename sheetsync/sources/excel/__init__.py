"""The Excel adapter: read a worksheet fast, write only what sheetsync owns.

``ExcelSource(path, sheet=None, backups=1)`` implements :class:`~sheetsync.sources.base.Source`
for ``.xlsx``/``.xlsm`` files. The workbook is treated as the zip package it is: a sync
rewrites the prospects worksheet (streamed, only the planned cells changed), adds to
``styles.xml`` once, writes its hidden memory worksheet, and copies every other part byte for
byte (charts, pictures, shapes, pivot caches, query tables, VBA, cached formula results,
extension lists...).

Where the decisions live:

* what is refused, and the public API: :mod:`.source`;
* reading the sheet: :mod:`.reader` (python-calamine), or :mod:`.xmlreader` (our own
  streaming reader) for workbooks calamine cannot open; part size limits: :mod:`.package`;
* cell addresses and SpreadsheetML's text encodings: :mod:`.spreadsheetml`;
* which parts may change: :mod:`.writer`;
* the sheet part around its rows: :mod:`.sheetpart`; the row editor: :mod:`.roweditor`; cell
  values to XML: :mod:`.cellxml`;
* frozen header, filter, highlighting (one rule block over ``A2:<last column>1048576``):
  :mod:`.layout`;
* tables (the prospects table grows over created columns and rows): :mod:`.tables`;
* the date format and highlight styles: :mod:`.styles`;
* backups (``Name.xlsx.bak``, ``.bak2``...), the atomic save, lock files: :mod:`.filesafety`;
* checks before and after the save: :mod:`.readback`.
"""

from .source import ExcelSource

__all__ = ["ExcelSource"]
