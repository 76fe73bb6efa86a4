"""Opening hours as people enter them on the owner's page: a time from and to for each weekday and
whether the business closes on public holidays, turned into the OpenStreetMap `opening_hours` the
profile stores ("Mo-Fr 09:00-18:00; Sa 09:00-14:00; PH off") and back. Pure, without I/O.

Only this simple shape goes both ways; an expression the week cannot show (two periods a day,
months, comments) reads back as None, and the page then offers the expression itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HOLIDAYS_CLOSED = "PH off"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d"
_DAY_RANGE = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?"
_RULE = re.compile(rf"^({_DAY_RANGE}(?:,{_DAY_RANGE})*) ({_TIME})-({_TIME})$")


@dataclass(frozen=True)
class Week:
    """Per weekday (DAYS) its hours from-to, or nothing: closed that day."""

    hours: dict[str, tuple[str, str]] = field(default_factory=dict)
    holidays_closed: bool = True


def _days(spec: str) -> list[str] | None:
    days: list[str] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            return None  # Sa-Mo wraps around the week: not this simple shape
        days.extend(DAYS[start : end + 1])
    return days


def from_osm(expression: str | None) -> Week | None:
    """The week an expression describes, or None when it says more than the week can show."""
    if not expression or not expression.strip():
        return Week(holidays_closed=True)
    hours: dict[str, tuple[str, str]] = {}
    holidays_closed = False
    for rule in (part.strip() for part in expression.split(";")):
        if not rule:
            continue
        if rule == HOLIDAYS_CLOSED:
            holidays_closed = True
            continue
        match = _RULE.match(rule)
        days = _days(match.group(1)) if match else None
        if match is None or days is None or any(day in hours for day in days):
            return None
        hours.update({day: (match.group(2), match.group(3)) for day in days})
    return Week(hours, holidays_closed)


def to_osm(week: Week) -> str | None:
    """The expression of a week: consecutive days with the same hours as one range; None when it is
    closed every day (then the profile states no opening hours)."""
    rules: list[str] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            days = run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}"
            start, end = week.hours[run[0]]
            rules.append(f"{days} {start}-{end}")
            run.clear()

    for day in DAYS:
        if day in week.hours and run and week.hours[run[-1]] == week.hours[day]:
            run.append(day)
            continue
        close_run()
        if day in week.hours:
            run.append(day)
    close_run()
    if not rules:
        return None
    return "; ".join(rules + ([HOLIDAYS_CLOSED] if week.holidays_closed else []))
