"""The Wifi4EU duty of one hotspot: plain Python, no I/O, time passed in as `now`.

- **Obligation period.** From its start day (the office sets it; by default the local day the hotspot
  was registered) for three years: [start, start + 3 years), days in Europe/Berlin. A start on
  29 February ends on 1 March.
- **Months.** Calendar months in Europe/Berlin local time, from local midnight to local midnight (so
  March is an hour shorter and October an hour longer than 31 × 24 h), clipped to the obligation
  period: a start on the 1st gives exactly 36 months; another start gives a partial first and last
  month (37 rows, `partial`).
- **Figures of a span.** `availability_percent` = (up + degraded) / (up + degraded + down), as the
  uptime everywhere (domain.availability); `downtime_s` = time down; `maintenance_s` = time in an
  operator's window, excluded from the downtime and shown apart; `not_monitored_s` = time before the
  first status or still to come; `incidents` = the down periods that touch the span (one going on
  over a month's end counts in both months, and once in the total).
- **Roll-ups.** A closed month's figures are kept per site (`MonthTally`, table `status_months`): exact
  time per status, its incidents and how many of them began before it. The total is the sum of the
  months, each incident that began before its month subtracted (it was counted in the month before), so a
  report from roll-ups and the open months' periods equals one from all the periods.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.wifi.domain import LOCAL, Period, availability_of, status_time

DUTY_YEARS = 3


def duty_end(start: date) -> date:
    """The first day after the obligation period (exclusive end)."""
    try:
        return start.replace(year=start.year + DUTY_YEARS)
    except ValueError:  # 29 February in a year that has none three years on
        return date(start.year + DUTY_YEARS, 3, 1)


def default_start(created_at: datetime) -> date:
    """By default the duty begins on the local day the hotspot was registered."""
    return created_at.astimezone(LOCAL).date()


@dataclass(frozen=True)
class Figures:
    """What the funding body asks of a span: availability, downtime, incidents, maintenance."""

    start: datetime
    end: datetime
    availability_percent: float | None
    up_s: float
    degraded_s: float
    downtime_s: float
    maintenance_s: float
    not_monitored_s: float
    incidents: int

    @property
    def downtime_min(self) -> float:
        return round(self.downtime_s / 60, 2)

    @property
    def maintenance_min(self) -> float:
        return round(self.maintenance_s / 60, 2)


@dataclass(frozen=True)
class MonthTally:
    """What the figures of a span are made of, exact and additive over consecutive spans."""

    time: dict[str, timedelta]  # per status, within the span and before `now`
    incidents: int  # the down periods that touch the span
    carried: int  # of those, the ones begun before the span (they touch the span before it too)


def tally(periods: list[Period], start: datetime, end: datetime, now: datetime) -> MonthTally:
    until = min(end, now)
    down = {p.start for p in periods if p.status == "down" and p.start < until and (p.end or now) > start}
    return MonthTally(status_time(periods, start, end, now), len(down), sum(1 for begun in down if begun < start))


def figures_of(found: MonthTally, start: datetime, end: datetime) -> Figures:
    result = availability_of(found.time, start, end)
    return Figures(
        start=start,
        end=end,
        availability_percent=result.uptime_percent,
        up_s=round(result.seconds["up"], 3),
        degraded_s=round(result.seconds["degraded"], 3),
        downtime_s=round(result.seconds["down"], 3),
        maintenance_s=round(result.seconds["maintenance"], 3),
        not_monitored_s=round(result.not_monitored_s, 3),
        incidents=found.incidents,
    )


def figures(periods: list[Period], start: datetime, end: datetime, now: datetime) -> Figures:
    return figures_of(tally(periods, start, end, now), start, end)


@dataclass(frozen=True)
class DutyMonth:
    month: str  # YYYY-MM
    partial: bool  # the obligation period covers only part of the calendar month
    figures: Figures


@dataclass(frozen=True)
class DutySummary:
    start: date
    end: date  # exclusive
    months: list[DutyMonth]
    total: Figures


def duty_months(start: date, end: date) -> list[tuple[str, datetime, datetime, bool]]:
    """Each calendar month that overlaps [start, end): its name, its UTC bounds clipped to the period,
    and whether it is clipped."""
    months = []
    first = date(start.year, start.month, 1)
    while first < end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        lo, hi = max(first, start), min(following, end)
        months.append(
            (
                f"{first.year:04d}-{first.month:02d}",
                local_midnight(lo),
                local_midnight(hi),
                (lo, hi) != (first, following),
            )
        )
        first = following
    return months


def summary(
    periods: list[Period], start: date, now: datetime, rolled: Mapping[str, MonthTally] | None = None
) -> DutySummary:
    """Per month and in total, over the obligation period beginning on `start` (`periods` in order: at
    least those of the months `rolled` does not serve, see `unrolled_spans`)."""
    end, within, rolled = duty_end(start), _Slicer(periods, now), rolled or {}
    months, time, incidents = [], dict.fromkeys(("up", "degraded", "down", "maintenance"), timedelta(0)), 0
    for index, (month, lo, hi, partial) in enumerate(duty_months(start, end)):
        found = _rolled(rolled, month, hi, start, now) or tally(within(lo, hi), lo, hi, now)
        months.append(DutyMonth(month, partial, figures_of(found, lo, hi)))
        for status, spent in found.time.items():
            time[status] = time.get(status, timedelta(0)) + spent
        incidents += found.incidents - (found.carried if index else 0)
    total = figures_of(MonthTally(time, incidents, 0), local_midnight(start), local_midnight(end))
    return DutySummary(start, end, months, total)


def roll_up_key(month: str, start: date) -> str:
    """Under which key a month's roll-up is kept for a duty beginning on `start`: its name (YYYY-MM); the
    duty's first month, when the duty begins on another day than the 1st, under that day (YYYY-MM-DD):
    it holds the figures from that day to the month's end."""
    return start.isoformat() if start.day != 1 and month == f"{start.year:04d}-{start.month:02d}" else month


def _rolled(
    rolled: Mapping[str, MonthTally], month: str, hi: datetime, start: date, now: datetime
) -> MonthTally | None:
    """The roll-up of a month of the duty that is over (the last one, cut at the duty's end, is read from
    its periods)."""
    if hi > now or hi != month_end(month):
        return None
    return rolled.get(roll_up_key(month, start))


def unrolled_spans(start: date, now: datetime, rolled: Mapping[str, MonthTally]) -> list[tuple[datetime, datetime]]:
    """The spans of the obligation period whose status periods `summary` needs: each run of months that
    no roll-up serves (usually the months not closed yet)."""
    spans: list[tuple[datetime, datetime]] = []
    for month, lo, hi, _ in duty_months(start, duty_end(start)):
        if _rolled(rolled, month, hi, start, now) is not None:
            continue
        if spans and spans[-1][1] == lo:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    return spans


def month_end(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return local_midnight(date(year + number // 12, number % 12 + 1, 1))


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)


class _Slicer:
    """The periods that may touch a span, found by bisection: a hotspot's periods follow one another
    (each ends where the next begins), so those ending after the span's start and beginning before its
    end are one slice. All of them if they do not follow one another."""

    def __init__(self, periods: list[Period], now: datetime) -> None:
        self.periods = periods
        self.starts = [period.start for period in periods]
        self.ends = [period.end or max(now, period.start) for period in periods]
        self.ordered = all(a <= b for a, b in zip(self.ends, self.ends[1:], strict=False)) and all(
            a <= b for a, b in zip(self.starts, self.starts[1:], strict=False)
        )

    def __call__(self, lo: datetime, hi: datetime) -> list[Period]:
        if not self.ordered:
            return self.periods
        first = bisect_right(self.ends, lo)
        return self.periods[first : bisect_left(self.starts, hi, lo=first)]


def duty_bounds(start: date) -> tuple[datetime, datetime]:
    """The obligation period as UTC instants."""
    return local_midnight(start), local_midnight(duty_end(start))
