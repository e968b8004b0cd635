"""A small, strict RFC 5545 reader, independent of icalendar: the second opinion on every
.ics file the tests see. It refuses what a picky calendar app could refuse."""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"[A-Za-z0-9-]+")
_PARAM = re.compile(
    r'([A-Za-z0-9-]+)=((?:"[^"\x00-\x08\x0a-\x1f\x7f]*"|[^";:,\x00-\x08\x0a-\x1f\x7f]*)(?:,(?:"[^"]*"|[^";:,]*))*)'
)
_TEXT_ESCAPE = re.compile(r"\\(.)", re.S)
_DATE = re.compile(r"\d{8}")
_DATETIME_UTC = re.compile(r"\d{8}T\d{6}Z")
#: properties each component must have exactly once (RFC 5545 3.6, 3.6.1, 3.6.2)
REQUIRED = {
    "VCALENDAR": ("PRODID", "VERSION"),
    "VEVENT": ("UID", "DTSTAMP", "DTSTART"),
    "VTODO": ("UID", "DTSTAMP"),
}


class IcsError(ValueError):
    pass


def _unfold(data: bytes) -> list[str]:
    if not data.endswith(b"\r\n"):
        raise IcsError("the last line does not end with CRLF")
    physical = data[:-2].split(b"\r\n")
    lines: list[bytes] = []
    for n, line in enumerate(physical, 1):
        if b"\n" in line or b"\r" in line:
            raise IcsError(f"line {n}: a bare CR or LF")
        if len(line) > 75:
            raise IcsError(f"line {n}: {len(line)} octets, more than 75 (fold it)")
        if line[:1] in (b" ", b"\t"):
            if not lines:
                raise IcsError("the file starts with a continuation line")
            lines[-1] += line[1:]
        else:
            lines.append(line)
    try:
        return [line.decode("utf-8") for line in lines]
    except UnicodeDecodeError as ex:
        raise IcsError(f"not UTF-8: {ex}") from ex


def _content_line(line: str) -> tuple[str, dict[str, str], str]:
    name_match = _NAME.match(line)
    if not name_match:
        raise IcsError(f"no property name in {line!r}")
    name, rest = name_match.group().upper(), line[name_match.end() :]
    params: dict[str, str] = {}
    while rest.startswith(";"):
        param = _PARAM.match(rest, 1)
        if not param:
            raise IcsError(f"bad parameter in {line!r}")
        params[param.group(1).upper()] = param.group(2)
        rest = rest[param.end() :]
    if not rest.startswith(":"):
        raise IcsError(f"no ':' after the name and parameters in {line!r}")
    value = rest[1:]
    if any(ord(c) < 32 and c != "\t" for c in value):
        raise IcsError(f"a control character in the value of {name}")
    return name, params, value


def _check_text(name: str, value: str) -> None:
    for match in _TEXT_ESCAPE.finditer(value):
        if match.group(1) not in "\\;,nN":
            raise IcsError(f"{name}: bad escape \\{match.group(1)}")
    if re.search(r"(?<!\\)(?:\\\\)*[;]", value) and name in ("SUMMARY", "DESCRIPTION"):
        raise IcsError(f"{name}: an unescaped ';'")


def unescape(value: str) -> str:
    return _TEXT_ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_ics(data: bytes) -> dict[str, Any]:
    """``{"VCALENDAR": [{"PRODID": ..., "VEVENT": [{...}, ...]}]}``; property values raw (as
    written, escapes kept); raises IcsError at the first breach."""
    root: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any]]] = [("", root)]
    for line in _unfold(data):
        name, params, value = _content_line(line)
        if name == "BEGIN":
            component: dict[str, Any] = {}
            stack[-1][1].setdefault(value.upper(), []).append(component)
            stack.append((value.upper(), component))
            continue
        if name == "END":
            kind, component = stack.pop()
            if kind != value.upper():
                raise IcsError(f"END:{value} closes BEGIN:{kind}")
            for required in REQUIRED.get(kind, ()):
                if required not in component:
                    raise IcsError(f"{kind} without {required}")
            continue
        if len(stack) == 1:
            raise IcsError(f"{name} outside any component")
        kind, component = stack[-1]
        if name in component and name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            raise IcsError(f"{kind}: {name} twice")
        if name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            _check_text(name, value)
        date_only = name in ("DTSTART", "DTEND") and params.get("VALUE") == "DATE"
        if date_only and not _DATE.fullmatch(value):
            raise IcsError(f"{name}: {value!r} is not a DATE")
        if name == "DTSTAMP" and not _DATETIME_UTC.fullmatch(value):
            raise IcsError(f"DTSTAMP {value!r} is not a UTC date-time")
        component[name] = value
    if len(stack) != 1:
        raise IcsError(f"BEGIN:{stack[-1][0]} never ends")
    calendars = root.get("VCALENDAR") or []
    if len(calendars) != 1 or set(root) != {"VCALENDAR"}:
        raise IcsError("not exactly one VCALENDAR")
    if calendars[0]["VERSION"] != "2.0":
        raise IcsError("VERSION is not 2.0")
    uids = [e["UID"] for e in calendars[0].get("VEVENT", [])]
    if len(uids) != len(set(uids)):
        raise IcsError("two events share a UID")
    return root
