"""The allowed values of the choice columns, as the sheet shows them. Defined here once.

The starter template builds its dropdowns from these tuples and the engine reads cells against
them. Cells are matched case- and space-insensitively (``sheetsync.schema.normalize``), so
these are the *display* spellings: what a dropdown offers and what the tool writes.
"""

from __future__ import annotations

#: Stage (README, "The sheet"). Blank = inferred (README rule 0). ``Closed`` = no more contact.
STAGES: tuple[str, ...] = ("New", "Working", "Lost", "Stale", "Customer", "Closed")

#: Last Outcome: unanswered, conversation, lost, won, do not contact, in that order.
OUTCOMES: tuple[str, ...] = (
    "No answer",
    "Voicemail",
    "Email sent",
    "Connected",
    "Meeting",
    "Not now",
    "Chose competitor",
    "Won",
    "Do not contact",
)
#: outcomes of a touch nobody answered: they count as an attempt
UNANSWERED: tuple[str, ...] = ("No answer", "Voicemail", "Email sent")
#: outcomes of a conversation: they reset the attempts and make a blank Stage ``Working``
CONVERSATION: tuple[str, ...] = ("Connected", "Meeting")
#: outcomes that make a row lost / not ready (README rule 6)
LOST_OUTCOMES: tuple[str, ...] = ("Not now", "Chose competitor")
#: the outcome of a won deal: the row is a customer (rule 5)
WON: str = "Won"
#: the outcome that means never contact again (README rule 2)
DO_NOT_CONTACT: str = "Do not contact"

#: Priority: ``A`` = a particularly desirable prospect (README rule 8); blank = none.
PRIORITIES: tuple[str, ...] = ("A", "B", "C")

#: Phase: the buyer's phase (README rule 9), in the order a buyer goes through them.
#: ``sheetsync.config.PHASES`` derives the config keys from it (lower case).
PHASES: tuple[str, ...] = (
    "Need",
    "Solutions",
    "Suppliers",
    "Research",
    "Preference",
    "Negotiation",
    "Repeat",
)

#: Preferred Channel: what the prospect asked for (README rule 9).
CHANNELS: tuple[str, ...] = ("Call", "Email")

#: Do Not Contact: values that mean "never contact" ...
DNC_TRUE: tuple[str, ...] = ("yes", "y", "true", "x", "1")
#: ... and values that mean "not set" (a blank cell is not set too).
DNC_FALSE: tuple[str, ...] = ("no", "n", "false", "0")
#: what the Do Not Contact dropdown offers (any value of DNC_TRUE / DNC_FALSE is accepted)
DNC_CHOICES: tuple[str, ...] = ("yes", "no")

#: Next Action, written by the tool (README rules 4-9).
NEXT_ACTIONS: tuple[str, ...] = (
    "Call",
    "Email",
    "Follow-up email",
    "Hand-written note",
    "Call (note follow-up)",
    "Check-in call",
    "Re-try call",
    "Call back (requested)",
)

#: Flag, written by the tool: exactly one per non-blank row (README, "Flags").
FLAGS: tuple[str, ...] = (
    "OVERDUE",
    "DUE",
    "SCHEDULED",
    "CARD",
    "QUEUED",
    "CUT",
    "DNC",
    "CLOSED",
    "CHECK",
)

#: field key (``sheetsync.schema.FIELD_HEADERS``) -> the values its dropdown offers
DROPDOWNS: dict[str, tuple[str, ...]] = {
    "stage": STAGES,
    "phase": PHASES,
    "priority": PRIORITIES,
    "last_outcome": OUTCOMES,
    "preferred_channel": CHANNELS,
    "do_not_contact": DNC_CHOICES,
}

#: field key -> the whole-number range a rep may type (inclusive)
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "contact_every": (1, 365),
    "attempts": (0, 999),
}
