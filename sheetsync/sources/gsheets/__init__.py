"""Google Sheets source: a worksheet read and written through the Sheets v4 API with gspread.

Modules: :mod:`.address` (URL and ``gsheet:KEY``), :mod:`.auth` (credentials, ``login``),
:mod:`.transport` (HTTP seam, endpoint override, bounded retries), :mod:`.source` (read/write),
:mod:`.batch` (updateCells and batch splitting), :mod:`.formatting` (highlighting, frozen header,
filter, owner views), :mod:`.rows` (rows-moved check), :mod:`.apivalues` (cell values <-> API values).
"""

from .address import SheetAddress, is_google_source, parse_source
from .auth import login, token_path
from .source import GoogleSheetSource
from .transport import ENDPOINT_ENV, RetryPolicy

__all__ = [
    "ENDPOINT_ENV",
    "GoogleSheetSource",
    "RetryPolicy",
    "SheetAddress",
    "is_google_source",
    "login",
    "parse_source",
    "token_path",
]
