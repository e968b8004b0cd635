"""Every error sheetsync raises on purpose: one base, named leaves, messages that say what to do.

The CLI turns ``exit_code`` into the process exit status; the message is printed as one line.
"""


class SheetsyncError(Exception):
    """Base of every error sheetsync reports to the user (exit 1 unless a leaf says otherwise)."""

    exit_code = 1


class UsageError(SheetsyncError):
    """Bad command line arguments."""

    exit_code = 2


class ConfigError(SheetsyncError):
    """The TOML config is unreadable or holds an unknown key, a wrong type or an impossible value."""

    exit_code = 2


class LayoutError(SheetsyncError):
    """The sheet's header row does not allow a sync (missing or ambiguous columns)."""

    exit_code = 2


class SourceError(SheetsyncError):
    """The workbook or spreadsheet cannot be read or written safely; nothing was changed."""

    exit_code = 1


class WorkbookRefused(SourceError):
    """The workbook is open elsewhere, damaged, or holds something a save would lose."""


class SheetNotFound(SourceError):
    """No worksheet of that name (or gid) in the source."""

    exit_code = 2


class CredentialsError(SourceError):
    """Google credentials are missing, malformed or refused."""


class RowsMoved(SourceError):
    """Rows moved between the read and the write and could not be mapped back by ID."""


class Locked(SheetsyncError):
    """Another sync of the same source is running."""

    exit_code = 3


class SourceChanged(SourceError):
    """Someone saved the source between the read and the write; nothing was written. The sync
    reads and decides again (a few times) before giving up with this error."""
