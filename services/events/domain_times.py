"""Calendar arithmetic of the events service, no I/O: Bottrop's time, the dates of a series, slot times,
when reminders and erasure are due, and the valid order of an event's times."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from shared.errors import Invalid

BERLIN = ZoneInfo("Europe/Berlin")


def in_berlin(moment: datetime) -> datetime:
    """A wall-clock time without zone means Bottrop's time; everything is stored in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return moment.astimezone(UTC)


def check_times(starts_at: datetime, ends_at: datetime, opens_at: datetime | None, closes_at: datetime | None) -> None:
    if ends_at <= starts_at:
        raise Invalid("Das Ende muss nach dem Beginn liegen. / The end must be after the start.", field="ends_at")
    if opens_at and closes_at and closes_at <= opens_at:
        raise Invalid(
            "Die Anmeldung muss schließen, nachdem sie öffnet. / Registration must close after it opens.",
            field="registration_closes_at",
        )


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def occurrences(
    first_start: datetime, duration: timedelta, frequency: Literal["weekly", "monthly"], count: int, interval: int = 1
) -> list[tuple[datetime, datetime]]:
    """Dates of a series, on the same Berlin wall-clock time each time (so DST does not shift it)."""
    local = first_start.astimezone(BERLIN)
    out = []
    for n in range(count):
        if frequency == "weekly":
            day = local.date() + timedelta(weeks=n * interval)
        else:
            day = _add_months(local.date(), n * interval)
        start = datetime.combine(day, local.time().replace(tzinfo=None), BERLIN).astimezone(UTC)
        out.append((start, start + duration))
    return out


def slot_times(
    first_start: datetime, minutes: int, count: int, pause_minutes: int = 0
) -> list[tuple[datetime, datetime]]:
    """Consecutive consultation slots of `minutes` each."""
    step = timedelta(minutes=minutes + pause_minutes)
    return [(first_start + n * step, first_start + n * step + timedelta(minutes=minutes)) for n in range(count)]


def reminder_due(starts_at: datetime, reminded_at: datetime | None, now: datetime) -> bool:
    """From the start of the day before the event (Berlin calendar day) until it starts, once."""
    if reminded_at is not None or now >= starts_at:
        return False
    day_before = starts_at.astimezone(BERLIN).date() - timedelta(days=1)
    return now.astimezone(BERLIN).date() >= day_before


def erase_due(ends_at: datetime, erased_at: datetime | None, now: datetime, after_days: int) -> bool:
    return erased_at is None and now >= ends_at + timedelta(days=after_days)


def email_key(email: str) -> str:
    """One place per address: compare addresses case-insensitively."""
    return email.strip().lower()
