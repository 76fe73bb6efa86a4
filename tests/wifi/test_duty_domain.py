"""The Wifi4EU duty's figures (services/wifi/domain_duty.py) over simulated status periods, checked
against figures computed by hand: months in Bottrop's local time, so March is an hour short and
October an hour long; outages and maintenance over the clock changes and over a month's end."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.wifi.domain import Period
from services.wifi.domain_duty import duty_end, duty_months, summary

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600


def local(*parts: int, fold: int = 0) -> datetime:
    """A wall-clock time in Bottrop as a UTC instant (`fold=1`: the second 02:30 of an October night)."""
    return datetime(*parts, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def timeline(start: datetime, end: datetime, events: list[tuple[str, datetime, datetime]]) -> list[Period]:
    """Status periods: `up` from start to end, broken by the (status, from, to) events (sorted, apart)."""
    periods, cursor = [], start
    for status, lo, hi in sorted(events, key=lambda e: e[1]):
        periods += [Period("up", cursor, lo), Period(status, lo, hi)]
        cursor = hi
    return [*periods, Period("up", cursor, end)]


def month_seconds(year: int, month: int) -> int:
    """By hand: the days times 24 hours, less the hour of spring's change, plus the hour of autumn's."""
    days = calendar.monthrange(year, month)[1]
    return days * 24 * HOUR - (HOUR if month == 3 else 0) + (HOUR if month == 10 else 0)


def test_march_and_october_have_exact_figures_across_the_clock_changes():
    start = date(2025, 3, 1)
    events = [
        # 01:30 CET to 03:30 CEST on 30 March: two hours on the wall clock, one hour in fact
        ("down", utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1, 30)),
        # maintenance from 31 March 22:00 to 1 April 02:00 (summer time): two hours in each month
        ("maintenance", local(2025, 3, 31, 22), local(2025, 4, 1, 2)),
        # the first 02:30 to the second 02:30 of 26 October: the same wall clock, an hour apart
        ("down", local(2025, 10, 26, 2, 30), local(2025, 10, 26, 2, 30, fold=1)),
        # 31 October 23:00 to 1 November 01:00: an hour in each month, one outage in each
        ("down", local(2025, 10, 31, 23), local(2025, 11, 1, 1)),
    ]
    periods = timeline(local(2025, 3, 1), local(2025, 12, 1), events)
    found = summary(periods, start, now=local(2025, 12, 1))
    months = {m.month: m for m in found.months}

    march = months["2025-03"].figures
    assert march.end - march.start == timedelta(seconds=month_seconds(2025, 3)) == timedelta(hours=743)
    assert (march.downtime_s, march.maintenance_s, march.incidents) == (HOUR, 2 * HOUR, 1)
    assert (march.downtime_min, march.maintenance_min, march.not_monitored_s) == (60, 120, 0)
    counted = 743 * HOUR - 2 * HOUR
    assert march.availability_percent == round(100 * (counted - HOUR) / counted, 4) == 99.865

    april = months["2025-04"].figures
    assert (april.downtime_s, april.maintenance_s, april.incidents, april.availability_percent) == (0, 2 * HOUR, 0, 100)

    october = months["2025-10"].figures
    assert october.end - october.start == timedelta(hours=745)
    assert (october.downtime_min, october.incidents, october.maintenance_s) == (120, 2, 0)
    assert october.availability_percent == round(100 * (745 - 2) / 745, 4) == 99.7315

    november = months["2025-11"].figures
    assert (november.downtime_min, november.incidents) == (60, 1)
    assert november.availability_percent == round(100 * (720 - 1) / 720, 4)
    # the total counts the outage over October's end once
    assert (found.total.incidents, found.total.downtime_min, found.total.maintenance_min) == (3, 240, 240)


def test_the_36_month_summary_over_three_years_of_simulated_outages_is_exact():
    start = date(2024, 1, 1)
    events = []
    for year in (2024, 2025, 2026):
        for month in range(1, 13):
            # each month: a 30-minute outage at noon on the 15th and an hour of maintenance on the 20th
            events.append(("down", local(year, month, 15, 12), local(year, month, 15, 12, 30)))
            events.append(("maintenance", local(year, month, 20, 9), local(year, month, 20, 10)))
    periods = timeline(local(2024, 1, 1), local(2027, 1, 1), events)
    found = summary(periods, start, now=utc(2027, 2, 1))

    assert (found.start, found.end) == (date(2024, 1, 1), date(2027, 1, 1))
    assert [m.month for m in found.months][:2] == ["2024-01", "2024-02"] and len(found.months) == 36
    assert not any(m.partial for m in found.months)
    for item in found.months:
        year, month = (int(part) for part in item.month.split("-"))
        counted = month_seconds(year, month) - HOUR
        figures = item.figures
        assert (figures.downtime_min, figures.maintenance_min, figures.incidents) == (30, 60, 1), item.month
        assert figures.not_monitored_s == 0
        assert figures.availability_percent == round(100 * (counted - 1800) / counted, 4), item.month
    total_s = (365 + 365 + 366) * 24 * HOUR  # 2024 is a leap year; the clock changes cancel out per year
    assert found.total.end - found.total.start == timedelta(seconds=total_s)
    assert (found.total.incidents, found.total.downtime_min, found.total.maintenance_min) == (36, 36 * 30, 36 * 60)
    counted = total_s - 36 * HOUR
    assert found.total.availability_percent == round(100 * (counted - 36 * 1800) / counted, 4)
    # the months are cut out of the periods by bisection; periods out of order give the same figures
    assert summary(list(reversed(periods)), start, now=utc(2027, 2, 1)) == found


def test_a_duty_beginning_mid_month_has_a_partial_first_and_last_month_and_the_future_is_not_monitored():
    start = date(2025, 3, 15)
    assert duty_end(start) == date(2028, 3, 15) and duty_end(date(2024, 2, 29)) == date(2027, 3, 1)
    months = duty_months(start, duty_end(start))
    assert len(months) == 37 and (months[0][0], months[0][3], months[-1][0], months[-1][3]) == (
        "2025-03",
        True,
        "2028-03",
        True,
    )
    assert months[0][1] == local(2025, 3, 15) and months[0][2] == local(2025, 4, 1)
    periods = [Period("up", local(2025, 3, 15, 12), None)]  # monitored from noon on; still up
    found = summary(periods, start, now=local(2025, 3, 20))
    first = found.months[0].figures
    assert first.not_monitored_s == (12 + 11 * 24 + 23) * HOUR  # the morning, and 20 to 31 March (one short day)
    assert first.up_s == 4.5 * 24 * HOUR and first.availability_percent == 100.0
    assert found.months[1].figures.availability_percent is None  # April is still to come
