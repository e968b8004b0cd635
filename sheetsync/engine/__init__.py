"""The rules engine: a pure function of (prospects, memory, rules, today).

It reads no clock, no file and no network, and knows nothing of Excel or Google Sheets. Every
rule is applied to whole columns at once (numpy), so a million rows take about a second.
"""

from sheetsync.engine.columns import Decisions, Memory, Prospects
from sheetsync.engine.rules import decide

__all__ = ["Decisions", "Memory", "Prospects", "decide"]
