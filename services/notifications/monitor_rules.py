"""The impact monitor's rules, without I/O: months and periods (Europe/Berlin), which counts are
suppressed, what makes a profile complete as far as the streams tell, medians and rates, and the
availability of a hotspot in a month from its status changes (the wifi service's own definition)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared.errors import Invalid

LOCAL = ZoneInfo("Europe/Berlin")
SMALL = 5  # counts 1 … SMALL-1 that could point at a person are shown as "< 5"
SUPPRESSED = "< 5"
MAX_MONTHS = 60

# --- completeness ---------------------------------------------------------------------------------

# The eight parts of a complete profile, as the directory counts them, and the profile fields that
# `directory.business.updated` names in `changed` for each.
PARTS: dict[str, tuple[str, ...]] = {
    "description": ("description",),
    "offerings": ("offerings",),
    "phone": ("phone",),
    "email": ("email",),
    "website": ("website",),
    "address": ("street", "postal_code"),
    "coordinates": ("latitude", "longitude"),
    "opening_hours": ("opening_hours",),
}
_BIT = {field: 1 << index for index, fields in enumerate(PARTS.values()) for field in fields}


def parts_named(changed: Iterable[str]) -> int:
    """The completeness parts an update's `changed` names, as a bitmask."""
    mask = 0
    for field in changed:
        mask |= _BIT.get(field, 0)
    return mask


def parts_count(mask: int) -> int:
    return bin(mask & ((1 << len(PARTS)) - 1)).count("1")


# --- months and periods ---------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_of(moment: datetime) -> str:
    local = moment.astimezone(LOCAL)
    return f"{local.year:04d}-{local.month:02d}"


def month_start(month: str) -> datetime:
    """The first instant of a month in Bottrop's local time, in UTC."""
    year, number = parse_month(month)
    return datetime(year, number, 1, tzinfo=LOCAL).astimezone(UTC)


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2200:
        raise Invalid("a month is written YYYY-MM", field="month")
    return int(match.group(1)), int(match.group(2))


def next_month(month: str) -> str:
    year, number = parse_month(month)
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def add_months(month: str, count: int) -> str:
    year, number = parse_month(month)
    index = year * 12 + number - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """Whole calendar months, `first` to `last` inclusive."""

    first: str
    last: str

    @property
    def months(self) -> list[str]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months

    @property
    def start(self) -> datetime:
        return month_start(self.first)

    @property
    def end(self) -> datetime:
        return month_start(next_month(self.last))

    def contains(self, month: str | None) -> bool:
        return month is not None and self.first <= month <= self.last


def period(first: str | None, last: str | None, now: datetime) -> Period:
    """The period a person asked for; without an answer the last twelve months up to this one."""
    current = month_of(now)
    last = last or (add_months(first, 11) if first else current)
    first = first or add_months(last, -11)
    parse_month(first), parse_month(last)
    if first > last:
        raise Invalid("the period ends before it begins", field="bis")
    if len(Period(first, last).months) > MAX_MONTHS:
        raise Invalid(f"a period spans at most {MAX_MONTHS} months", field="von")
    return Period(first, last)


def year_period(year: int) -> Period:
    if not 1900 <= year <= 2200:
        raise Invalid("no such year", field="year")
    return Period(f"{year:04d}-01", f"{year:04d}-12")


# --- shown counts and rates -----------------------------------------------------------------------


def shown(count: int | None, personal: bool) -> int | str | None:
    """A count as it may be shown: 1 … 4 of something that could point at a person is "< 5"
    (0 points at nobody and stays); other counts as they are."""
    if count is None:
        return None
    if personal and 0 < count < SMALL:
        return SUPPRESSED
    return count


def plotted(count: int | None, personal: bool) -> float | None:
    """What a chart draws for a count: nothing where the table shows "< 5"."""
    value = shown(count, personal)
    return float(value) if isinstance(value, int) else None


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; none below SMALL in the whole (a rate of a handful
    points at people as much as the counts would)."""
    if whole < SMALL:
        return None
    return round(100 * part / whole, 1)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# --- hotspot availability -------------------------------------------------------------------------

COUNTED = ("up", "degraded", "down")


def availability(
    changes: Sequence[tuple[datetime, str]], start: datetime, end: datetime, now: datetime
) -> float | None:
    """Uptime in percent of a hotspot in [start, end) from its status changes (time, new status),
    sorted by time: (up + degraded) / (up + degraded + down). Maintenance and time not monitored
    (before the first change, or still to come) count neither way; none when nothing counted."""
    seconds = dict.fromkeys(COUNTED, 0.0)
    # Only the change in force at `start` and those before `end` matter (a year has thousands).
    first = max(bisect_right(changes, start, key=lambda change: change[0]) - 1, 0)
    last = bisect_left(changes, end, key=lambda change: change[0])
    for index in range(first, last):
        since, status = changes[index]
        until = changes[index + 1][0] if index + 1 < len(changes) else now
        lo, hi = max(since, start), min(until, end, now)
        if hi > lo and status in seconds:
            seconds[status] += (hi - lo).total_seconds()
    counted = sum(seconds.values())
    if counted == 0:
        return None
    return round(100 * (seconds["up"] + seconds["degraded"]) / counted, 2)


def today(now: datetime) -> date:
    return now.astimezone(LOCAL).date()
