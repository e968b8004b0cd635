"""The forecast: each rep's touches, day by day or week by week, beside their capacity.

Read-only. The rules engine is run forward one day at a time from today: every touch is assumed
to happen on its planned day and to go unanswered (the cautious case: calls and check-ins
``No answer``, e-mails ``Email sent``, a card's note sent the day the card is given; nothing on
a rep's day off: their rows wait for the next day they work), so later follow-ups, cut-bait
limits, recycling and the card queue come round as the rules say. No rule is written twice: each day is ``engine.decide`` and ``level.apply_levelling``, as a sync.

Example::

    source = open_source("prospects.xlsx", None, config)
    data = source.read()
    source.close()
    frame = forecast(data, config, dt.date(2026, 12, 7), weeks=6)   # one row per owner and day
    print(by_period(frame, "week").to_string())
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from sheetsync import choices, remembered
from sheetsync.config import Config
from sheetsync.engine import decide
from sheetsync.engine.columns import OUTCOME
from sheetsync.level import (
    apply_levelling,
    owner_calendars,
    owners_by_code,
    sheet_next_contact,
    warn_unknown_owners,
)
from sheetsync.workdays import Calendar

if TYPE_CHECKING:
    import pandas as pd

    from sheetsync.engine import Memory
    from sheetsync.read import Sheet
    from sheetsync.sources.base import SheetData

#: the kinds of touch the forecast counts, by Next Action
KINDS = ("calls", "e-mails", "check-ins", "cards")
ACTION_KINDS = {
    "Call": "calls",
    "Call (note follow-up)": "calls",
    "Re-try call": "calls",
    "Call back (requested)": "calls",
    "Email": "e-mails",
    "Follow-up email": "e-mails",
    "Check-in call": "check-ins",
    "Hand-written note": "cards",
}
_OUTCOME = {o: OUTCOME[o] for o in ("No answer", "Email sent")}


def _sheet(data: SheetData, config: Config) -> tuple[Sheet, Memory, np.ndarray]:
    from sheetsync.read import read_sheet

    sheet = read_sheet(data, config)
    memory = remembered.align(
        remembered.parse(data.memory), data.title, sheet.ids, ~sheet.duplicate
    )
    return sheet, memory, sheet_next_contact(data, sheet.layout, config)


def forecast(data: SheetData, config: Config, today: dt.date, weeks: int = 6) -> pd.DataFrame:
    """One row per owner and day from ``today`` for ``weeks`` weeks: the touches planned that
    day by kind (``KINDS``), ``touches`` (all but cards, which keep their own quota),
    ``capacity`` (0 = no limit, or a day off), ``over`` (touches above the capacity) and
    ``day_off`` (1 on a day the rep does not work). Days nobody works are left out."""
    import pandas as pd

    sheet, memory, current = _sheet(data, config)
    p = sheet.prospects
    n = len(p)
    end = today + dt.timedelta(days=7 * weeks)
    from sheetsync.decide import years_of

    years = years_of(p, today)
    calendar = Calendar(config.rules, range(years.start, max(years.stop, end.year + 3)))
    names, keys = owners_by_code(p, sheet.owner_names)
    warn_unknown_owners(config.capacity, keys)  # once: each day's levelling is silent
    codes = p.owner
    caps, cals, _ = owner_calendars(config.capacity, keys, calendar)
    team = np.busdaycalendar(weekmask=calendar.weekmask, holidays=calendar.holidays)
    # each Next Action's kind, as a number: KINDS' index, len(KINDS) for none
    kind_of = np.array(
        [KINDS.index(ACTION_KINDS[a]) if a else len(KINDS) for a in (None, *choices.NEXT_ACTIONS)]
    )
    action_code = {a: i for i, a in enumerate((None, *choices.NEXT_ACTIONS))}
    email, card = KINDS.index("e-mails"), KINDS.index("cards")
    slots = len(KINDS) + 1
    records = []
    day = today
    while day < end:
        d64 = np.datetime64(day, "D")
        if not (
            np.is_busday(d64, busdaycal=team) or any(np.is_busday(d64, busdaycal=c) for c in cals)
        ):
            day += dt.timedelta(days=1)
            continue
        decisions = decide(p, memory, config.rules, day, calendar)
        decisions, _ = apply_levelling(
            decisions, p, current, config, day, sheet.owner_names, calendar, warn=False,
            explain=False,
        )  # fmt: skip
        flag = decisions.flag
        # a rep does nothing on a day off: their rows wait for the next day they work
        on_duty = np.array([np.is_busday(d64, busdaycal=c) for c in cals], dtype=bool)
        works = on_duty[codes]
        touched = ((flag == "DUE") | (flag == "OVERDUE")) & works
        carded = (flag == "CARD") & works
        acts = np.fromiter(map(action_code.__getitem__, decisions.action.tolist()), np.int64, n)
        kinds = kind_of[acts]
        done = touched | carded
        counts = np.bincount(
            codes[done] * slots + kinds[done], minlength=len(names) * slots
        ).reshape(len(names), slots)
        for o, name in enumerate(names):
            if not name:
                continue
            on = bool(on_duty[o])
            cap = int(caps[o]) if on else 0
            total = int(counts[o, :card].sum())
            records.append(
                {
                    "owner": name,
                    "day": day,
                    **{k: int(counts[o, i]) for i, k in enumerate(KINDS)},
                    "touches": total,
                    "capacity": cap,
                    "over": max(total - cap, 0) if cap else 0,
                    "day_off": int(not on),
                }
            )
        # The day's touches happen, unanswered; the tool writes its columns as a sync would.
        lc = p.last_contact.copy()
        outcome = p.outcome.copy()
        note = p.note_sent.copy()
        touch = touched & (kinds != card)
        lc[touch] = d64
        outcome[touch & (kinds == email)] = _OUTCOME["Email sent"]
        outcome[touch & (kinds != email)] = _OUTCOME["No answer"]
        note[carded] = d64
        attempts = np.where(np.isnan(decisions.attempts), p.attempts, decisions.attempts)
        p = replace(p, last_contact=lc, outcome=outcome, note_sent=note, attempts=attempts)
        memory = decisions.memory
        current = decisions.next_contact
        day += dt.timedelta(days=1)
    columns = ["owner", "day", *KINDS, "touches", "capacity", "over", "day_off"]
    return pd.DataFrame.from_records(records, columns=columns)


def by_period(frame: pd.DataFrame, by: str = "day") -> pd.DataFrame:
    """The forecast per owner and day (``by="day"``) or per owner and week (Monday's date;
    touches, capacity and days off summed, ``days_over`` counting the days over capacity,
    ``days`` the days of the week forecast)."""
    out = frame.copy()
    out["days_over"] = (out["over"] > 0).astype(int)
    if by == "week":
        out["days"] = 1
        out["day"] = [d - dt.timedelta(days=d.weekday()) for d in out["day"]]
        out = out.groupby(["owner", "day"], as_index=False, sort=False)[
            [*KINDS, "touches", "capacity", "over", "days_over", "day_off", "days"]
        ].sum()
        out = out.rename(columns={"day": "week"})
    return out.sort_values(["owner", out.columns[1]], kind="stable").reset_index(drop=True)


def show_table(frame: pd.DataFrame) -> str:
    """The forecast as a text table, one block per owner; days over capacity marked."""
    when = frame.columns[1]
    shown = frame.copy()
    shown[when] = [
        f"{d:%a} {d.isoformat()}" if when == "day" else f"wk {d.isoformat()}" for d in shown[when]
    ]
    days = shown["days"] if "days" in shown else [1] * len(shown)
    shown["capacity"] = [
        str(c) if c else "off" if off == n else "-"
        for c, off, n in zip(shown["capacity"], shown["day_off"], days, strict=True)
    ]
    shown = shown.drop(columns=["days"], errors="ignore")
    if when == "week":
        shown = shown.rename(columns={"day_off": "days_off"})
    else:
        shown = shown.drop(columns=["day_off"])
    shown["over"] = [
        "" if not o else f"OVER +{o}" if when == "day" else f"OVER +{o} ({n} d)"
        for o, n in zip(shown["over"], shown["days_over"], strict=True)
    ]
    shown = shown.drop(columns=["days_over"])
    blocks = []
    for owner, rows in shown.groupby("owner", sort=False):
        body = rows.drop(columns=["owner"]).to_string(index=False)
        total = int(frame.loc[frame["owner"] == owner, "over"].gt(0).sum())
        unit = ("day" if when == "day" else "week") + ("s" if total != 1 else "")
        note = f", {total} {unit} over capacity" if total else ""
        blocks.append(f"{owner}{note}\n{body}")
    return "\n\n".join(blocks)


#: bar colours by kind (cards lighter and hatched: they keep their own quota)
_COLOURS = {"calls": "#3b6ea5", "e-mails": "#6bb36b", "check-ins": "#e0a030", "cards": "#c9c9c9"}


def write_chart(frame: pd.DataFrame, path: str, title: str) -> None:
    """One panel per owner: the touches of each day (or week) as bars stacked by kind, the
    capacity as a line, days over capacity marked; matplotlib's Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    when = frame.columns[1]
    owners = list(dict.fromkeys(frame["owner"]))
    height = 1.9 * max(len(owners), 1) + 1.0
    fig, axes = plt.subplots(
        max(len(owners), 1), 1, figsize=(11, height), sharex=True, squeeze=False
    )
    width = 0.8 if when == "day" else 5.0
    for ax, owner in zip(axes[:, 0], owners, strict=False):
        rows = frame[frame["owner"] == owner]
        x = [dt.datetime.combine(d, dt.time()) for d in rows[when]]
        bottom = np.zeros(len(rows))
        for kind in KINDS:
            values = rows[kind].to_numpy()
            ax.bar(
                x, values, width, bottom=bottom, color=_COLOURS[kind], label=kind,
                hatch="//" if kind == "cards" else None, edgecolor="white", linewidth=0.3,
            )  # fmt: skip
            bottom = bottom + values
        caps = rows["capacity"].to_numpy()
        if caps.any():
            # the capacity of each working day, a bar's width across (no line over days off)
            half = dt.timedelta(days=width * 0.6)
            at = [(t - half, t + half, c) for t, c in zip(x, caps, strict=True) if c > 0]
            ax.hlines([c for *_, c in at], [a for a, *_ in at], [b for _, b, _ in at],
                      color="#b03030", linewidth=1.8, label="capacity")  # fmt: skip
        over = rows["over"].to_numpy() > 0
        if over.any():
            top = bottom[over]
            ax.plot(np.array(x)[over], top + 0.05 * max(bottom.max(), 1), "v", color="#b03030",
                    markersize=6, label="over capacity")  # fmt: skip
        for off_day in rows.loc[rows["day_off"] > 0, when] if when == "day" else []:
            start = dt.datetime.combine(off_day, dt.time()) - dt.timedelta(hours=12)
            ax.axvspan(start, start + dt.timedelta(days=1), color="#eeeeee", zorder=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.set_ylabel(owner, rotation=0, ha="right", va="center", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_ylim(0, max(bottom.max(), caps.max(), 1) * 1.2)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    for ax in axes[1:, 0]:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    fig.legend(handles, labels, loc="upper right", ncol=len(labels), fontsize=9, frameon=False)
    bottom_ax = axes[-1, 0]
    bottom_ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    bottom_ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: f"{mdates.num2date(x):%a} {mdates.num2date(x).day} "
                      f"{mdates.num2date(x):%b}")
    )  # fmt: skip
    if when == "day":
        bottom_ax.xaxis.set_minor_locator(mdates.DayLocator())
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
