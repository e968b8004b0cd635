"""The digest as a rep reads it: subject, plain text, HTML, the Slack message, the e-mail.

Everything that comes from a cell (names, companies, Why) is escaped for HTML and Slack, and
loses its control characters (CR, LF) before it reaches a header, so a cell can neither add a
header nor mark-up.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib.resources import files
from string import Template
from typing import Any
from urllib.parse import quote

from sheetsync.agenda import TODAY_FLAGS, Agenda, Item, counts, item_lines, summary
from sheetsync.highlight import HIGHLIGHT
from sheetsync.notify.addresses import parse_address

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_FILL = {rule.flag: rule.fill for rule in HIGHLIGHT}
#: Slack refuses a message of more than 50 blocks; a section's text is at most 3000 characters
SLACK_BLOCKS = 50
SLACK_TEXT = 3000


@dataclass(frozen=True)
class Link:
    """Where the rep opens the sheet: a URL (``href``) and what to show for it."""

    href: str
    label: str

    @property
    def plain(self) -> str:
        """For a plain-text part: the URL, or the file's path."""
        return self.label if self.href.startswith("file:") else self.href


def one_line(text: str) -> str:
    """``text`` without line breaks or control characters: safe in a header or a subject."""
    return " ".join(_CONTROL.sub(" ", text).split())


def clean(text: str) -> str:
    """``text`` with control characters (CR, LF, ...) as spaces: one line of a text part."""
    return _CONTROL.sub(" ", text)


def day_label(day: dt.date) -> str:
    """``Mon 7 Dec``."""
    return f"{day:%a} {day.day} {day:%b}"


def subject(name: str, items: Sequence[Item], agenda: Agenda) -> str:
    """``Dana: 2 overdue, 5 due, 3 cards (Prospects, Mon 7 Dec)``."""
    return one_line(f"{name}: {summary(items)} ({agenda.title}, {day_label(agenda.today)})")


def _more(total: int, limit: int) -> str:
    return f"... and {total - limit} more: open the sheet for the full list"


# --- one rep's digest -------------------------------------------------------------------------


def owner_text(owner: str, items: Sequence[Item], agenda: Agenda, link: Link, limit: int) -> str:
    lines = [
        f"Good morning {one_line(owner)}: {summary(items)} today in {agenda.title} "
        f"({day_label(agenda.today)}).",
        f"Open the sheet: {link.plain}",
        "",
    ]
    for flag in TODAY_FLAGS:
        section = [i for i in items if i.flag == flag]
        if not section:
            continue
        lines.append(f"{flag} ({len(section)})")
        for item in section[:limit]:
            lines.extend(clean(line) for line in item_lines(item))
        if len(section) > limit:
            lines.append("  " + _more(len(section), limit))
        lines.append("")
    lines.append("The attached calendar file holds today's list and the next two weeks.")
    return "\n".join(lines) + "\n"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _tel(phone: str) -> str:
    number = re.sub(r"[^\d+().-]", "", phone)  # RFC 3966: digits and visual separators
    if not re.search(r"\d", number):
        return _e(phone)
    return f'<a href="tel:{_e(number)}" style="color:#0969da">{_e(phone)}</a>'


def _mailto(email: str) -> str:
    address = parse_address(email)
    if address is None:
        return _e(email)
    return f'<a href="mailto:{_e(quote(address, safe="@"))}" style="color:#0969da">{_e(email)}</a>'


def _badge(flag: str) -> str:
    fill = _FILL.get(flag, "EEEEEE")
    return (
        f'<span style="background:#{fill};border-radius:3px;padding:1px 6px;'
        f'font-weight:600;font-size:12px">{_e(flag)}</span>'
    )


_TH = 'style="text-align:left;padding:6px 8px;border-bottom:2px solid #d8dee4;font-size:12px"'
_TD = 'style="padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top"'


def _nowrap(html_text: str) -> str:
    return f'<span style="white-space:nowrap">{html_text}</span>'


def _row_html(item: Item) -> str:
    """One prospect as a table row (its section names the flag)."""
    when = item.next_contact.isoformat() if item.next_contact else ""
    priority = (
        ' <span style="color:#cf222e;font-weight:600" title="priority A">A</span>'
        if item.priority == "A"
        else ""
    )
    who = f"<strong>{_e(item.company)}</strong>" if item.company else ""
    if item.contact:
        who += ("<br>" if who else "") + _e(item.contact)
    cells = [
        _nowrap(_e(item.id) + priority),
        who or _e(item.id),
        _nowrap(_tel(item.phone)) if item.phone else "",
        _mailto(item.email) if item.email else "",
        _e(item.next_action),
        _nowrap(_e(when)),
        f'<span style="color:#57606a">{_e(item.why)}</span>',
    ]
    return "<tr>" + "".join(f"<td {_TD}>{cell}</td>" for cell in cells) + "</tr>"


_HEADERS = ("ID", "Who", "Phone", "E-mail", "Next Action", "Next Contact", "Why")


def _table(items: Sequence[Item], limit: int) -> str:
    head = "".join(f"<th {_TH}>{name}</th>" for name in _HEADERS)
    rows = "".join(_row_html(item) for item in items[:limit])
    more = ""
    if len(items) > limit:
        more = (
            f'<tr><td colspan="{len(_HEADERS)}" {_TD}><em>{_e(_more(len(items), limit))}'
            "</em></td></tr>"
        )
    return (
        '<table style="border-collapse:collapse;width:100%;margin:0 0 16px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}{more}</tbody></table>"
    )


def _page(title: str, heading: str, summary_html: str, link: Link, body: str, footer: str) -> str:
    template = Template(files("sheetsync.notify").joinpath("templates/digest.html").read_text())
    return template.substitute(
        title=_e(title),
        heading=heading,
        summary=summary_html,
        link=f'<a href="{_e(link.href)}" style="color:#0969da">{_e(link.label)}</a>',
        sections=body,
        footer=_e(footer),
    )


def owner_html(owner: str, items: Sequence[Item], agenda: Agenda, link: Link, limit: int) -> str:
    sections = []
    for flag in TODAY_FLAGS:
        section = [i for i in items if i.flag == flag]
        if section:
            sections.append(
                f'<h2 style="font-size:15px;margin:12px 0 6px 0">{_badge(flag)} '
                f"{len(section)}</h2>" + _table(section, limit)
            )
    return _page(
        title=subject(owner, items, agenda),
        heading=f"Good morning {_e(one_line(owner))}",
        summary_html=f"{_e(summary(items))} today in {_e(agenda.title)}, "
        f"{_e(day_label(agenda.today))}",
        link=link,
        body="".join(sections),
        footer="Sent by sheetsync after this morning's sync. The attached calendar file "
        "holds today's list and the scheduled contacts of the next two weeks.",
    )


# --- the manager's roll-up ----------------------------------------------------------------------


def team_counts(agenda: Agenda, owners: Sequence[str]) -> list[tuple[str, dict[str, int]]]:
    """(owner, counts of OVERDUE, DUE, CARD and CHECK) for each owner, in name order."""
    out = []
    for owner in owners:
        mine = [i for i in (*agenda.items, *agenda.checks) if i.owner == owner]
        out.append((owner, counts(mine)))
    return out


_TEAM_FLAGS = (*TODAY_FLAGS, "CHECK")


def team_subject(agenda: Agenda, items: Sequence[Item], checks: Sequence[Item]) -> str:
    fix = f", {len(checks)} to fix" if checks else ""
    return one_line(f"Team: {summary(items)}{fix} ({agenda.title}, {day_label(agenda.today)})")


@dataclass(frozen=True)
class Rollup:
    """What a manager's roll-up shows: each rep's counts (``rows``, from :func:`team_counts`),
    how each rep's digest went (``status``), and the rows to fix (``checks``)."""

    agenda: Agenda
    rows: Sequence[tuple[str, dict[str, int]]]
    checks: Sequence[Item]
    status: dict[str, str]
    link: Link
    limit: int


def team_text(r: Rollup) -> str:
    lines = [
        f"{r.agenda.title}, {day_label(r.agenda.today)}: the team's lists",
        f"Sheet: {r.link.plain}",
    ]
    lines += ["", f"{'Owner':<24}" + "".join(f"{f:>9}" for f in _TEAM_FLAGS) + "  digest"]
    for owner, found in r.rows:
        lines.append(
            f"{one_line(owner)[:24]:<24}"
            + "".join(f"{found.get(f, 0):>9}" for f in _TEAM_FLAGS)
            + f"  {r.status.get(owner, '')}"
        )
    if r.checks:
        lines += ["", f"CHECK ({len(r.checks)}): rows whose data must be fixed"]
        for item in r.checks[: r.limit]:
            lines.append(f"  {item.id}  {one_line(item.who)} ({one_line(item.owner)})")
            lines.append(f"        {one_line(item.why)}")
        if len(r.checks) > r.limit:
            lines.append("  " + _more(len(r.checks), r.limit))
    return "\n".join(lines) + "\n"


def team_html(r: Rollup) -> str:
    head = "".join(f"<th {_TH}>{h}</th>" for h in ("Owner", *_TEAM_FLAGS, "Digest"))
    body = "".join(
        "<tr>"
        + f"<td {_TD}>{_e(owner)}</td>"
        + "".join(f"<td {_TD}>{found.get(f, 0)}</td>" for f in _TEAM_FLAGS)
        + f"<td {_TD}>{_e(r.status.get(owner, ''))}</td></tr>"
        for owner, found in r.rows
    )
    sections = (
        '<table style="border-collapse:collapse;width:100%;margin:0 0 16px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    if r.checks:
        fix_head = "".join(f"<th {_TH}>{h}</th>" for h in ("ID", "Owner", "Who", "Why"))
        fix_rows = "".join(
            f"<tr><td {_TD}>{_e(i.id)}</td><td {_TD}>{_e(i.owner)}</td>"
            f"<td {_TD}>{_e(i.who)}</td><td {_TD}>{_e(i.why)}</td></tr>"
            for i in r.checks[: r.limit]
        )
        if len(r.checks) > r.limit:
            fix_rows += (
                f"<tr><td colspan=4 {_TD}><em>{_e(_more(len(r.checks), r.limit))}</em></td></tr>"
            )
        sections += (
            f'<h2 style="font-size:15px;margin:12px 0 6px 0">{_badge("CHECK")} {len(r.checks)} '
            "rows to fix</h2>"
            '<table style="border-collapse:collapse;width:100%">'
            f"<thead><tr>{fix_head}</tr></thead><tbody>{fix_rows}</tbody></table>"
        )
    return _page(
        title=f"{r.agenda.title}: the team's lists",
        heading=f"{_e(r.agenda.title)}: the team's lists",
        summary_html=_e(day_label(r.agenda.today)),
        link=r.link,
        body=sections,
        footer="Sent by sheetsync after this morning's sync.",
    )


# --- e-mail and Slack ---------------------------------------------------------------------------


def email_message(
    sender: str,
    to: str,
    name: str,
    subject_line: str,
    text: str,
    html_part: str,
    ics: bytes | None,
    now: dt.datetime,
) -> EmailMessage:
    """A multipart message: plain text, HTML, and the agenda as ``agenda.ics``."""
    message = EmailMessage()
    message["Subject"] = one_line(subject_line)
    message["From"] = Address(display_name="sheetsync", addr_spec=sender)
    message["To"] = Address(display_name=one_line(name), addr_spec=to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html_part, subtype="html")
    if ics is not None:
        message.add_attachment(
            ics, maintype="text", subtype="calendar", filename="agenda.ics", params={}
        )
    return message


def _slack(text: str) -> str:
    """Text for Slack's mrkdwn: &, < and > are its control characters."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_item(item: Item) -> str:
    when = item.next_contact.isoformat() if item.next_contact else ""
    reach = " · ".join(_slack(p) for p in (item.phone, item.email) if p)
    priority = " (A)" if item.priority == "A" else ""
    return (
        f"*{item.flag}* `{_slack(item.id)}` {_slack(item.who)}{priority}\n"
        f"{_slack(item.next_action)}, next contact {when}" + (f" · {reach}" if reach else "")
        + f"\n_{_slack(item.why)}_"
    )  # fmt: skip


def slack_payload(
    groups: Sequence[tuple[str, Sequence[Item]]], agenda: Agenda, link: Link, limit: int
) -> dict[str, Any]:
    """One Slack message (``text`` for notifications, ``blocks`` for the list) of one owner's
    list, or of the whole team's (one group per owner). Capped to fit Slack's limits."""
    all_items = [item for _, items in groups for item in items]
    name = groups[0][0] if len(groups) == 1 else "Team"
    text = subject(name, all_items, agenda)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}
    ]
    team = len(groups) > 1
    # Blocks left besides the header, the link and (team) a "... and N more reps" note. A team
    # message gives every rep it shows a heading first; the items share what is left (a rep
    # whose items do not all fit takes one more block for "... and N more").
    room = SLACK_BLOCKS - 2 - team
    shown = groups[:room] if team else groups
    spare = (room - len(shown) * team) // len(shown)
    per_group = min(limit, max(spare - 1, 0))
    for owner, items in shown:
        if team:
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{_slack(owner)}*: {summary(items)}"},
                }
            )
        for item in items[:per_group]:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": _slack_item(item)[:3000]}}
            )
        if per_group and len(items) > per_group:
            blocks.append(_context(_more(len(items), per_group)))
    if len(shown) < len(groups):
        left = len(groups) - len(shown)
        blocks.append(_context(f"... and {left} more reps: open the sheet for the full list"))
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"<{link.href}|{_slack(link.label)}>"}],
        }
    )
    return {"text": text, "blocks": blocks}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack(text)}]}
