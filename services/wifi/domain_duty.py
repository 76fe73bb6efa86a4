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
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime

from services.wifi.domain import LOCAL, Period, availability

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


def figures(periods: list[Period], start: datetime, end: datetime, now: datetime) -> Figures:
    result = availability(periods, start, end, now)
    down = [p for p in periods if p.status == "down" and p.start < min(end, now) and (p.end or now) > start]
    return Figures(
        start=start,
        end=end,
        availability_percent=result.uptime_percent,
        up_s=round(result.seconds["up"], 3),
        degraded_s=round(result.seconds["degraded"], 3),
        downtime_s=round(result.seconds["down"], 3),
        maintenance_s=round(result.seconds["maintenance"], 3),
        not_monitored_s=round(result.not_monitored_s, 3),
        incidents=len({p.start for p in down}),
    )


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
                _local_midnight(lo),
                _local_midnight(hi),
                (lo, hi) != (first, following),
            )
        )
        first = following
    return months


def summary(periods: list[Period], start: date, now: datetime) -> DutySummary:
    """Per month and in total, over the obligation period beginning on `start` (`periods` in order)."""
    end, within = duty_end(start), _Slicer(periods, now)
    months = [
        DutyMonth(month, partial, figures(within(lo, hi), lo, hi, now))
        for month, lo, hi, partial in duty_months(start, end)
    ]
    return DutySummary(start, end, months, figures(periods, _local_midnight(start), _local_midnight(end), now))


def _local_midnight(day: date) -> datetime:
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
    return _local_midnight(start), _local_midnight(duty_end(start))
