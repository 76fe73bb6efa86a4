"""The Wifi4EU duty in the console: `/verwaltung/wlan/pflicht` (every site's obligation period and its
figures so far, with the PDF and CSV of all sites) and `/verwaltung/wlan/<id>/pflicht` (one site: the
start day, which the office may set, and the table of every month; its PDF and CSV). Same reads
(queries_duty.py) and use case (handlers_duty.py) as the JSON API."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import queries_duty
from services.wifi.handlers_duty import EARLIEST_START, set_duty_start
from services.wifi.pages import pages
from services.wifi.pages_console_forms import PATH, PRIVATE, render, site_or_404
from services.wifi.store import SqlWifiStore
from shared.envelope import utcnow
from shared.inputs import Day
from shared.service import ReadingDep, RuntimeDep
from shared.spreadsheet import csv_response
from shared.web import N_, chosen_language, read_form, see_other, validate
from shared.web.i18n import babel_locale

router = APIRouter()


def _figure(language: str, value: float | None) -> str:
    return "–" if value is None else format_decimal(value, "#,##0.###", locale=babel_locale(language))


def _month_of(language: str, month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "LLLL y", locale=babel_locale(language))


def _day(language: str, day: date) -> str:
    return format_date(day, "dd.MM.yyyy" if language == "de" else "d MMM y", locale=babel_locale(language))


for _language, _environment in pages.environments.items():
    _environment.filters["day"] = partial(_day, _language)
    _environment.filters["figure"] = partial(_figure, _language)
    _environment.filters["month_of"] = partial(_month_of, _language)
    _environment.globals["one_day"] = timedelta(days=1)


class DutyForm(BaseModel):
    """The start day as the site's duty page sends it; empty: back to the day of registration."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    start: Day | None = None


def _pdf(request: Request, duties: list[dict[str, Any]], filename: str) -> Response:
    # reportlab only when a PDF is asked for: imported at start, it cost every wifi process about
    # 15 MiB and a tenth of its start-up (bench/README.md, "Start-up and memory").
    from services.wifi.duty_pdf import duty_report

    language = chosen_language(request)
    body = duty_report(duties, utcnow(), language, pages.gettext(language))
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE}
    return Response(body, media_type="application/pdf", headers=headers)


def _csv(duties: list[dict[str, Any]], filename: str) -> Response:
    response = csv_response(queries_duty.CSV_COLUMNS, queries_duty.duty_rows(duties), filename)
    response.headers.update(PRIVATE)
    return response


@router.get(PATH + "/pflicht", response_class=HTMLResponse)
async def duties(request: Request, session: ReadingDep) -> HTMLResponse:
    return render(request, "duty.html", duties=await queries_duty.all_duties(session, now=utcnow()))


@router.get(PATH + "/pflicht.pdf")
async def duties_pdf(request: Request, session: ReadingDep) -> Response:
    return _pdf(request, await queries_duty.all_duties(session, now=utcnow()), "wifi4eu-pflicht.pdf")


@router.get(PATH + "/pflicht.csv")
async def duties_csv(session: ReadingDep) -> Response:
    return _csv(await queries_duty.all_duties(session, now=utcnow()), "wifi4eu-pflicht.csv")


async def duty_page(
    request: Request,
    session: AsyncSession,
    hotspot_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    hotspot = await site_or_404(request, session, hotspot_id)
    duty = await queries_duty.duty_of(session, hotspot, utcnow())
    return render(
        request,
        "duty_site.html",
        status_code=status_code,
        hotspot=hotspot,
        duty=duty,
        form=form or {},
        errors=errors or {},
        saved=request.query_params.get("gesetzt") == "1",
    )


@router.get(PATH + "/{hotspot_id}/pflicht", response_class=HTMLResponse)
async def site_duty(hotspot_id: str, request: Request, session: ReadingDep) -> HTMLResponse:
    return await duty_page(request, session, hotspot_id)


@router.post(PATH + "/{hotspot_id}/pflicht")
async def set_start(hotspot_id: str, request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request, honeypot=False)  # behind the operator's credential: no bot reaches it
    data, errors = validate(DutyForm, form, pages.gettext(chosen_language(request)))
    if data is not None and data.start is not None and data.start < EARLIEST_START:
        errors["start"] = pages.text(request, N_("Die Pflicht kann nicht vor 2018 begonnen haben."))
    if data is None or errors:
        async with runtime.db.reading() as session:
            return await duty_page(request, session, hotspot_id, form=form, errors=errors, status_code=422)
    async with runtime.db.transaction() as session:
        await site_or_404(request, session, hotspot_id)
        await set_duty_start(SqlWifiStore(session), hotspot_id, data.start)
    return see_other(f"{PATH}/{hotspot_id}/pflicht?gesetzt=1")


@router.get(PATH + "/{hotspot_id}/pflicht.pdf")
async def site_duty_pdf(hotspot_id: str, request: Request, session: ReadingDep) -> Response:
    hotspot = await site_or_404(request, session, hotspot_id)
    return _pdf(request, [await queries_duty.duty_of(session, hotspot, utcnow())], "wifi4eu-pflicht-standort.pdf")


@router.get(PATH + "/{hotspot_id}/pflicht.csv")
async def site_duty_csv(hotspot_id: str, request: Request, session: ReadingDep) -> Response:
    hotspot = await site_or_404(request, session, hotspot_id)
    return _csv([await queries_duty.duty_of(session, hotspot, utcnow())], "wifi4eu-pflicht-standort.csv")
