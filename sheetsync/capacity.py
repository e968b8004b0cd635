"""Each rep's capacity: touches a day, days off and workdays (``[capacity]``, ``[owners.NAME]``).

``parse_capacity`` turns the two TOML tables into a frozen ``Capacity``; ``sheetsync.level``
plans every windowed touch of a rep onto a day that keeps the rep under it. The
``[owners.NAME]`` tables are shared with other settings (``email``, ``manager``): keys this
module does not own are left to their own parser, never rejected here.

Example::

    >>> cap = parse_capacity({"touches_per_day": 20},
    ...                      {"Dana": {"workdays": ["Mon", "Tue", "Wed", "Thu"]}})
    >>> cap.limit("dana"), cap.for_owner("dana").workdays
    (20, ('Mon', 'Tue', 'Wed', 'Thu'))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sheetsync.cellvalues import owner_key
from sheetsync.errors import ConfigError

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: the keys of an ``[owners.NAME]`` table this module reads (others belong to other settings)
OWNER_KEYS = ("touches_per_day", "days_off", "workdays")


@dataclass(frozen=True)
class OwnerCapacity:
    """One rep's settings; None = the team's value."""

    #: the rep's name as written in the config (``[owners.Dana]``)
    name: str
    touches_per_day: int | None = None
    #: inclusive ranges of days off, ``(first, last)``; a single day is ``(day, day)``
    days_off: tuple[tuple[dt.date, dt.date], ...] = ()
    #: the rep's own workdays (a part-time rep), else the team's ``rules.workdays``
    workdays: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Capacity:
    """The team's touches a day (0 = no limit: decisions exactly as without levelling) and the
    reps' own settings, keyed by ``cells.owner_key`` of their name."""

    touches_per_day: int = 0
    owners: dict[str, OwnerCapacity] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Anything to level or move: a capacity, or a rep's own calendar."""
        return self.touches_per_day > 0 or bool(self.owners)

    def for_owner(self, key: str) -> OwnerCapacity:
        """The settings of the rep whose ``owner_key`` is ``key`` (the team's if none)."""
        return self.owners.get(key) or OwnerCapacity(name=key)

    def limit(self, key: str) -> int:
        """The rep's touches a day; 0 = no limit."""
        own = self.for_owner(key).touches_per_day
        return self.touches_per_day if own is None else own


def _fail(key: str, problem: str) -> ConfigError:
    return ConfigError(f"config key '{key}': {problem}")


def _whole(key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(key, f"must be a whole number of touches a day, not {value!r}")
    if value < low:
        hint = "0 = no limit" if low == 0 else "leave the key out to use [capacity]'s number"
        raise _fail(key, f"must be {low} or more ({hint}), not {value}")
    return value


def _day(key: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as ex:
        raise _fail(key, f'{text!r} is not a date like "2027-01-15"') from ex


def _days_off(key: str, value: Any) -> tuple[tuple[dt.date, dt.date], ...]:
    if not isinstance(value, list):
        raise _fail(key, 'must be a list such as ["2026-12-21..2027-01-01", "2027-01-15"]')
    out = []
    for item in value:
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            out.append((item, item))  # a bare TOML date
            continue
        if not isinstance(item, str):
            raise _fail(key, f'{item!r} is not a day "2027-01-15" or a range "FIRST..LAST"')
        first_s, dots, last_s = item.partition("..")
        if dots and not (first_s.strip() and last_s.strip()):
            raise _fail(key, f'{item!r} is not a day "2027-01-15" or a range "FIRST..LAST"')
        first = _day(key, first_s)
        last = _day(key, last_s) if dots else first
        if last < first:
            raise _fail(key, f"{item!r} ends before it starts")
        out.append((first, last))
    return tuple(sorted(out))


def parse_workdays(key: str, value: Any) -> tuple[str, ...]:
    """A list of weekday names (``[rules] workdays``, ``[owners.NAME] workdays``), in week order."""
    from sheetsync.config import WEEKDAYS  # config imports this module

    if not isinstance(value, list) or not value:
        raise _fail(key, 'must be a non-empty list such as ["Mon", "Tue", "Wed", "Thu"]')
    days = []
    for day in value:
        # "Mon", "Tues", "Thursday": the first three or more letters of the day's English name
        text = day.strip().casefold() if isinstance(day, str) else ""
        named = [d for d, full in zip(WEEKDAYS, _FULL_NAMES, strict=True) if full.startswith(text)]
        if len(text) < 3 or not named:
            raise _fail(key, f"{day!r} is not a weekday (Mon ... Sun)")
        days.append(named[0])
    return tuple(d for d in WEEKDAYS if d in days)


def parse_capacity(capacity_table: dict[str, Any], owners_table: dict[str, Any]) -> Capacity:
    """Validate ``[capacity]`` and the capacity keys of every ``[owners.NAME]`` table.

    A wrong key, type or value raises ``ConfigError`` naming the key (exit 2)."""
    if not isinstance(capacity_table, dict):
        raise _fail("capacity", f"must be a table, not {capacity_table!r}")
    if not isinstance(owners_table, dict):
        raise _fail("owners", f"must be a table of [owners.NAME] tables, not {owners_table!r}")
    team = 0
    for key, value in capacity_table.items():
        if key != "touches_per_day":
            raise _fail(f"capacity.{key}", "unknown key (touches_per_day)")
        team = _whole("capacity.touches_per_day", value, low=0)
    owners: dict[str, OwnerCapacity] = {}
    for name, table in owners_table.items():
        prefix = f"owners.{name}"
        if not isinstance(table, dict):
            raise _fail(prefix, f"must be a table, not {table!r}")
        key = owner_key(name)
        if not key:
            raise _fail(prefix, "an owner needs a name")
        if key in owners:
            raise _fail(prefix, f"the same owner as [owners.{owners[key].name}]")
        settings: dict[str, Any] = {}
        if "touches_per_day" in table:
            settings["touches_per_day"] = _whole(
                f"{prefix}.touches_per_day", table["touches_per_day"], low=1
            )
        if "days_off" in table:
            settings["days_off"] = _days_off(f"{prefix}.days_off", table["days_off"])
        if "workdays" in table:
            settings["workdays"] = parse_workdays(f"{prefix}.workdays", table["workdays"])
        if settings:
            owners[key] = OwnerCapacity(name=name, **settings)
    return Capacity(touches_per_day=team, owners=owners)
