"""Opening hours as people read them, without I/O: the coming days, each with its open times or closed.

A profile states its hours in the OSM grammar ("Mo-Fr 07:00-18:00; Sa 07:00-13:00; PH off"), which is
no sentence for a person. Instead of translating the grammar, the page shows what it means for the
next seven days in Bottrop's calendar, with public holidays and any other rule already applied; a
span across midnight is shown on both days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import opening_hours

from services.directory.profile_checks import BERLIN, parse_opening_hours

DAYS_SHOWN = 7


@dataclass(frozen=True)
class DayHours:
    day: date
    spans: tuple[tuple[str, str], ...]  # ("07:00", "18:00"), in order; none: closed all day

    @property
    def all_day(self) -> bool:
        return self.spans == (("00:00", "24:00"),)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BERLIN)


def days_ahead(expression: str, now: datetime, days: int = DAYS_SHOWN) -> list[DayHours]:
    """The open times of today and the following days (Europe/Berlin)."""
    first = now.astimezone(BERLIN).date()
    shown = [first + timedelta(days=offset) for offset in range(days)]
    spans: dict[date, list[tuple[str, str]]] = {day: [] for day in shown}
    hours = parse_opening_hours(expression)
    for begin, end, state, _comment in hours.intervals(_midnight(shown[0]), _midnight(shown[-1] + timedelta(days=1))):
        if state != opening_hours.State.OPEN:
            continue
        begin, end = begin.astimezone(BERLIN), end.astimezone(BERLIN)
        for day in shown:
            start, stop = max(begin, _midnight(day)), min(end, _midnight(day + timedelta(days=1)))
            if start < stop:
                closing = "24:00" if stop == _midnight(day + timedelta(days=1)) else f"{stop:%H:%M}"
                spans[day].append((f"{start:%H:%M}", closing))
    return [DayHours(day, tuple(spans[day])) for day in shown]


def next_change(expression: str, now: datetime) -> datetime | None:
    """When the place next opens or closes (None: never, within the parser's horizon)."""
    change = parse_opening_hours(expression).next_change(now.astimezone(BERLIN))
    return change.astimezone(BERLIN) if change else None
