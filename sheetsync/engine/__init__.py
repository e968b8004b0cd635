"""The rules engine: a pure function of (prospects, memory, rules, today).

It reads no clock, no file and no network, and knows nothing of Excel or Google Sheets. Every
rule is applied to whole columns at once (numpy), so a million rows take about a second.

``columns`` holds the typed columns in and out, ``facts`` what every row is before the rules
(README rule 0, Attempts), ``rules`` the README's rules 1-9 as an ordered table (``RULES``)
and ``decide``, ``decided`` what a rule answers, ``cards`` rule 7's card queue and ``why`` the
Why sentences.
"""

from sheetsync.engine.columns import Decisions, Memory, Prospects
from sheetsync.engine.rules import decide

__all__ = ["Decisions", "Memory", "Prospects", "decide"]
