"""sheetsync: follow-up cadence rules for a sales team's prospect spreadsheet."""

__version__ = "0.1.0"
