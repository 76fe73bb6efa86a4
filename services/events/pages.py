"""The events service's pages: the calendar by month and by series (here), the event page with its
registration form and slot booking (pages_event.py), the cancel page behind the mail's link
(pages_cancel.py). Thin routes over the queries and use cases; texts in German, English via the
catalog in services/events/locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.events import queries
from services.events.domain_times import BERLIN
from services.events.schemas import EventPublic
from shared.envelope import utcnow
from shared.errors import Invalid
from shared.service import ReadingDep
from shared.web import N_, Pages, chosen_language
from shared.web.i18n import babel_locale

HERE = Path(__file__).resolve().parent
pages = Pages(HERE / "templates" / "pages", HERE / "locale")
router = APIRouter()

MONTH_PARAMETER = Annotated[str | None, Query(max_length=7, alias="monat")]
SERIES_PARAMETER = Annotated[str | None, Query(max_length=200, alias="reihe")]
BAD_MONTH = N_("Diesen Monat kennen wir nicht. Bitte wählen Sie ihn im Kalender aus.")


def month_of(value: str | None, today: date) -> date:
    """The first day of the month `?monat=2026-12` names (the current month without one)."""
    if not value:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise Invalid(BAD_MONTH, field="monat") from None


def shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def starts(first: date) -> datetime:
    """The month's first moment in Bottrop, in UTC."""
    return datetime(first.year, first.month, 1, tzinfo=BERLIN).astimezone(UTC)


def by_day(events: list[EventPublic]) -> list[tuple[date, list[EventPublic]]]:
    """The events grouped by their (Berlin) start day, in order."""
    days: dict[date, list[EventPublic]] = {}
    for event in events:
        days.setdefault(event.starts_at.astimezone(BERLIN).date(), []).append(event)
    return list(days.items())


def month_name(request: Request, first: date) -> str:
    return format_date(first, "LLLL y", locale=babel_locale(chosen_language(request)))


@router.get("/veranstaltungen", response_class=HTMLResponse)
async def calendar(
    request: Request, session: ReadingDep, month: MONTH_PARAMETER = None, series: SERIES_PARAMETER = None
) -> HTMLResponse:
    """By month (`?monat=2026-12`, with the previous and next month) or one series (`?reihe=<name>`):
    its coming dates."""
    now = utcnow()
    all_series = await queries.series_names(session, now)
    if series:
        events = await queries.list_events(session, operator=False, series=series, after=now, limit=200)
        return pages.render(
            request,
            "calendar.html",
            series=series,
            all_series=all_series,
            days=by_day(events),
            month=None,
            state=lambda event: registration_state(event, now),
        )
    first = month_of(month, now.astimezone(BERLIN).date())
    after, before = starts(first), starts(shift(first, 1))
    events = await queries.list_events(session, operator=False, after=after, before=before, limit=500)
    return pages.render(
        request,
        "calendar.html",
        series=None,
        all_series=all_series,
        days=by_day(events),
        state=lambda event: registration_state(event, now),
        month=month_name(request, first),
        previous=(shift(first, -1).strftime("%Y-%m"), month_name(request, shift(first, -1))),
        next=(shift(first, 1).strftime("%Y-%m"), month_name(request, shift(first, 1))),
    )


def registration_state(event: EventPublic, now: datetime) -> str:
    """What the calendar and the event page say about registering (the use case decides on the
    request itself): cancelled, closed, not_yet, open, waitlist (full, the waitlist takes more) or full."""
    if event.status == "cancelled":
        return "cancelled"
    if now >= (event.registration_closes_at or event.starts_at):
        return "closed"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "not_yet"
    if event.places_left is None or event.places_left > 0:
        return "open"
    return "waitlist" if event.waitlist and event.kind == "event" else "full"
