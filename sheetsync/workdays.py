"""Workdays and public holidays, vectorised over arrays of ``datetime64[D]``.

Every function takes and returns NaT-safe arrays: numpy's busday functions reject NaT, so
blank dates are parked on a valid day and put back afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cached_property

import numpy as np

from sheetsync.codes import factorize
from sheetsync.config import WEEKDAYS, Rules

NAT = np.datetime64("NaT", "D")


class Calendar:
    """The team's working calendar: weekdays and, when configured, public holidays."""

    def __init__(self, rules: Rules, years: range) -> None:
        self.weekmask = [day in rules.workdays for day in WEEKDAYS]
        self.spec = rules.holidays
        self.years = years

    @cached_property
    def holidays(self) -> np.ndarray:
        if not self.spec:
            return np.array([], dtype="datetime64[D]")
        import holidays

        country, _, subdiv = self.spec.partition("-")
        days = holidays.country_holidays(country, subdiv=subdiv or None, years=self.years)
        return np.array(sorted(days), dtype="datetime64[D]")

    @cached_property
    def _busday(self) -> np.busdaycalendar:
        return np.busdaycalendar(weekmask=self.weekmask, holidays=self.holidays)

    def _offset(self, days: np.ndarray, n: int | np.ndarray, roll: str) -> np.ndarray:
        if np.ndim(n) == 0:
            return per_distinct_day(lambda d: self._offset_all(d, n, roll), days)
        return self._offset_all(days, n, roll)

    def _offset_all(self, days: np.ndarray, n: int | np.ndarray, roll: str) -> np.ndarray:
        days = np.asarray(days, dtype="datetime64[D]")
        blank = np.isnat(days)
        safe = np.where(blank, np.datetime64("2000-01-03", "D"), days)
        out = np.busday_offset(safe, n, roll=roll, busdaycal=self._busday)
        return np.where(blank, NAT, out)

    def roll_forward(self, days: np.ndarray) -> np.ndarray:
        """Each day, or the next workday when it is not one."""
        return self._offset(days, 0, "forward")

    def after(self, days: np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """The n-th workday after each day (n=1: the next workday after it)."""
        return self._offset(days, n, "backward")

    def is_workday(self, day: dt.date) -> bool:
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._busday))

    def previous_workday(self, day: dt.date) -> np.datetime64:
        """The last workday before ``day`` (Friday for a Monday, a Saturday or a Sunday)."""
        return np.busday_offset(np.datetime64(day, "D"), -1, roll="forward", busdaycal=self._busday)

    def next_workday(self, day: dt.date) -> np.datetime64:
        """The first workday after ``day``."""
        return np.busday_offset(np.datetime64(day, "D"), 1, roll="backward", busdaycal=self._busday)


def per_distinct_day(function: Callable[[np.ndarray], np.ndarray], days: np.ndarray) -> np.ndarray:
    """``function(days)``, computed once per distinct day: a sheet repeats its dates a lot."""
    days = np.asarray(days, dtype="datetime64[D]")
    codes, uniques = factorize(days.view(np.int64))
    return function(uniques.view("datetime64[D]"))[codes]


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Calendar months later, the day clamped to the month's end (Aug 31 + 6 = Feb 28)."""
    return per_distinct_day(lambda d: _add_months(d, months), days)


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    blank = np.isnat(days)
    safe = np.where(blank, np.datetime64("2000-01-01", "D"), days)
    month_start = safe.astype("datetime64[M]")
    day_of_month = (safe - month_start.astype("datetime64[D]")).astype(int)
    target = month_start + np.timedelta64(months, "M")
    month_len = (
        (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")
    ).astype(int)
    out = target.astype("datetime64[D]") + np.minimum(day_of_month, month_len - 1)
    return np.where(blank, NAT, out)


def add_days(days: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype="datetime64[D]")
    return days + np.asarray(n).astype("timedelta64[D]")
