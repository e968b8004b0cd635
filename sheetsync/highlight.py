"""Flag -> row highlight, shared by both writers (README, "Flags")."""

from sheetsync.sources.base import HighlightRule

HIGHLIGHT: tuple[HighlightRule, ...] = (
    HighlightRule("OVERDUE", fill="F4C7C3"),  # red
    HighlightRule("DUE", fill="FCE8B2"),  # amber
    HighlightRule("CARD", fill="C9DAF8"),  # blue
    HighlightRule("CUT", fill="E0E0E0"),  # grey
    HighlightRule("DNC", fill="E0E0E0", font="777777", strike=True),  # grey, struck through
    HighlightRule("CLOSED", fill="E0E0E0"),  # grey
    HighlightRule("CHECK", fill="D9C3E9"),  # purple
)
