"""After a successful sync: each rep's digest by e-mail and/or webhook, the managers'
roll-ups, at most once per recipient per source per day.

A delivery never touches the sheet: whatever fails here, the sync's data is already saved.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sheetsync.agenda import UNASSIGNED, Agenda, Item
from sheetsync.cellvalues import owner_key
from sheetsync.config import Config
from sheetsync.errors import SheetsyncError
from sheetsync.ics import to_ics
from sheetsync.notify import digest, webhook
from sheetsync.notify.addresses import recipient
from sheetsync.notify.digest import Link
from sheetsync.notify.email import DeliveryFailed, Mailer
from sheetsync.notify.sent import SentState

log = logging.getLogger(__name__)

#: exit code of a run whose sync succeeded but a digest was not delivered
DELIVERY_FAILED_EXIT = 4


@dataclass
class Delivery:
    """What the digests of one source did (the ``--json`` keys ``notified``,
    ``already_notified`` and ``not_notified``)."""

    notified: list[dict[str, str]] = field(default_factory=list)
    already_notified: list[dict[str, str]] = field(default_factory=list)
    #: ``failed`` true: a delivery failed (exit 4, retried by a later run today);
    #: false: nothing to deliver to (no address: a warning, exit 0)
    not_notified: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(entry["failed"] for entry in self.not_notified)

    @property
    def exit_code(self) -> int:
        return DELIVERY_FAILED_EXIT if self.failed else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "notified": self.notified,
            "already_notified": self.already_notified,
            "not_notified": self.not_notified,
        }

    def lines(self) -> list[str]:
        """For the human summary."""
        out = []
        if self.notified:
            out.append("  notified: " + ", ".join(_who(e) for e in self.notified))
        if self.already_notified:
            out.append(
                "  already notified today: " + ", ".join(_who(e) for e in self.already_notified)
            )
        out += [
            f"  not notified: {e['recipient']} ({e['channel']}): {e['reason']}"
            for e in self.not_notified
        ]
        return out


def _who(entry: dict[str, str]) -> str:
    to = entry.get("to")
    return f"{entry['recipient']} ({entry['channel']}{' ' + to if to else ''})"


@dataclass
class _Run:
    agenda: Agenda
    config: Config
    link: Callable[[str | None], Link]
    sent: SentState
    now: dt.datetime
    resend: bool
    result: Delivery = field(default_factory=Delivery)
    #: owner -> how their e-mail went, for the managers' roll-up
    status: dict[str, str] = field(default_factory=dict)

    def once(
        self, key: str, who: str, channel: str, send: Callable[[], None], to: str = ""
    ) -> None:
        """``send()`` unless ``key`` was sent today (and no --resend); records the outcome."""
        entry = {"recipient": who, "channel": channel}
        if to:
            entry["to"] = to
        if self.sent.was_sent(key) and not self.resend:
            self.result.already_notified.append(entry)
            self.status.setdefault(who, "sent earlier today")
            return
        try:
            send()
        except DeliveryFailed as ex:
            log.warning(
                "%s: %s digest to %s not delivered: %s", self.agenda.source, channel, who, ex
            )
            self.result.not_notified.append({**entry, "reason": str(ex), "failed": True})
            self.status.setdefault(who, f"not delivered: {ex}")
            return
        self.result.notified.append(entry)
        self.status.setdefault(who, "sent")
        try:
            self.sent.mark(key, self.now)
        except OSError as ex:
            log.warning("%s: sent, but not remembered (%s): a later run may send it again", key, ex)

    def skip(self, who: str, channel: str, reason: str) -> None:
        self.result.not_notified.append(
            {"recipient": who, "channel": channel, "reason": reason, "failed": False}
        )
        self.status.setdefault(who, f"not notified: {reason}")


def deliver(
    agenda: Agenda,
    config: Config,
    link: Callable[[str | None], Link],
    resend: bool = False,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send today's digests of ``agenda`` (see README, "Every rep's morning").

    Example::

        agenda = read_agenda(run.data, config, today, run.source)
        delivery = deliver(agenda, config, link_maker(source, run.data.title))
        if delivery.failed: ...  # exit 4
    """
    notify = config.notify
    now = now or dt.datetime.now(dt.UTC)
    with ExitStack() as stack:
        try:
            sent = stack.enter_context(SentState(agenda.key, agenda.today))
        except (OSError, SheetsyncError) as ex:
            reason = ex.strerror if isinstance(ex, OSError) and ex.strerror else str(ex)
            out = Delivery()
            out.not_notified.append(
                {
                    "recipient": "everyone",
                    "channel": "email" if notify.smtp_host else "webhook",
                    "reason": f"nothing sent: the sent-state file is not usable ({reason})",
                    "failed": True,
                }
            )
            return out
        run = _Run(agenda, config, link, sent, now, resend)
        groups = agenda.by_owner()
        if notify.smtp_host:
            mailer = stack.enter_context(Mailer(notify, sleep=sleep))
            _email_owners(run, groups, mailer)
            _email_managers(run, mailer)
        if notify.webhook_url:
            _post(run, groups, sleep)
        return run.result


def _email_owners(run: _Run, groups: dict[str, list[Item]], mailer: Mailer) -> None:
    notify, agenda = run.config.notify, run.agenda
    for owner, items in groups.items():
        to = recipient(owner, run.config, UNASSIGNED)
        if to.address is None:
            run.skip(owner, "email", to.reason)
            continue

        def send(owner: str = owner, items: list[Item] = items, address: str = to.address) -> None:
            link = run.link(owner)
            message = digest.email_message(
                sender=notify.sender,
                to=address,
                name=owner,
                subject_line=digest.subject(owner, items, agenda),
                text=digest.owner_text(owner, items, agenda, link, notify.max_rows),
                html_part=digest.owner_html(owner, items, agenda, link, notify.max_rows),
                ics=to_ics([agenda.only(owner)], run.now, notify.max_rows, f"{owner}: agenda"),
                now=run.now,
            )
            mailer.send(message)

        run.once(f"email:{owner_key(owner)}", owner, "email", send, to.address)


def managers(config: Config) -> dict[str, set[str] | None]:
    """Manager address -> the owner keys they see (None: the whole team)."""
    out: dict[str, set[str] | None] = {}
    for key, settings in config.owners.items():
        if settings.manager:
            mine = out.setdefault(settings.manager.lower(), set())
            if mine is not None:
                mine.add(key)
    if config.notify.manager:
        out[config.notify.manager.lower()] = None
    return out


def _email_managers(run: _Run, mailer: Mailer) -> None:
    notify, agenda = run.config.notify, run.agenda
    for address, scope in managers(run.config).items():

        def mine(items: Sequence[Item], scope: set[str] | None = scope) -> list[Item]:
            return [i for i in items if scope is None or owner_key(i.owner) in scope]

        items, checks = mine(agenda.items), mine(agenda.checks)
        if not items and not checks:
            continue
        owners = sorted(
            {i.owner for i in (*items, *checks)},
            key=lambda name: (name == UNASSIGNED, name.casefold()),
        )
        rows = digest.team_counts(agenda, owners)

        def send(
            address: str = address, rows: Any = rows, items: Any = items, checks: Any = checks
        ) -> None:
            rollup = digest.Rollup(
                agenda, rows, checks, run.status, run.link(None), notify.max_rows
            )
            mailer.send(
                digest.email_message(
                    sender=notify.sender,
                    to=address,
                    name="Manager",
                    subject_line=digest.team_subject(agenda, items, checks),
                    text=digest.team_text(rollup),
                    html_part=digest.team_html(rollup),
                    ics=None,
                    now=run.now,
                )
            )

        run.once(f"manager:{address}", "manager", "email", send, address)


def _post(run: _Run, groups: dict[str, list[Item]], sleep: Callable[[float], None]) -> None:
    notify, agenda = run.config.notify, run.agenda
    if not groups:
        return
    batches: list[tuple[str, str | None, list[tuple[str, list[Item]]]]]
    if notify.webhook_per_owner:
        batches = [(owner, owner, [(owner, items)]) for owner, items in groups.items()]
    else:
        batches = [("team", None, list(groups.items()))]
    down: list[str] = []  # a webhook that cannot be reached is not tried again for every rep
    for who, owner, group in batches:

        def send(owner: str | None = owner, group: Any = group) -> None:
            if down:
                raise DeliveryFailed(down[0])
            payload = digest.slack_payload(group, agenda, run.link(owner), notify.max_rows)
            try:
                webhook.post(notify, payload, sleep=sleep)
            except webhook.Unreachable as ex:
                down.append(str(ex))
                raise

        key = f"webhook:{owner_key(owner)}" if owner is not None else "webhook:team"
        run.once(key, who, "webhook", send)
