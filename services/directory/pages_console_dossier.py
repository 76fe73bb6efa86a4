"""The renewal dossier of the Fairtrade-Town title in the office's console: `/verwaltung/fairtrade/dossier`
(the period, chosen with `von` and `bis`, by default the two years before the next renewal, and what the
dossier holds), `dossier.pdf` (for the recertification) and `dossier.csv` (the figures). The
recertification reminders link to the page. One read (fairtrade_queries.dossier), one set of tables
(fairtrade_dossier.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import fairtrade_dossier
from services.directory.deps import SettingsDep
from services.directory.fairtrade_queries import dossier
from services.directory.pages import pages
from services.directory.pages_console import PRIVATE, console_render, console_router
from shared.envelope import utcnow
from shared.errors import Invalid
from shared.service import ReadingDep
from shared.spreadsheet import csv_response
from shared.web import N_, chosen_language

router = console_router()
DOSSIER = "/verwaltung/fairtrade/dossier"
NOT_A_DAY = N_("Bitte geben Sie ein Datum an (TT.MM.JJJJ oder JJJJ-MM-TT).")
# The domain's refusals of a period (fairtrade.check_period), here for the catalog.
PERIOD_PROBLEMS = (N_("Der Zeitraum endet vor seinem Anfang."), N_("Der Zeitraum darf höchstens zehn Jahre lang sein."))
PeriodEnd = Annotated[str, Query(max_length=10)]


def _day(name: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        if "." in text:
            day, month, year = text.split(".")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(NOT_A_DAY, field=name) from None


async def _dossier(session: AsyncSession, settings: SettingsDep, von: str, bis: str) -> dict[str, Any]:
    """The dossier of the chosen period; a day that is no date or a period the domain refuses is `Invalid`
    with a msgid of the catalog as its message."""
    start, end = _day("von", von), _day("bis", bis)
    return await dossier(session, now=utcnow(), settings=settings, start=start, end=end)


def _in_words(request: Request, problem: Invalid) -> Invalid:
    return Invalid(pages.text(request, problem.message), field=problem.field)


@router.get(DOSSIER)
async def show(
    request: Request, session: ReadingDep, settings: SettingsDep, von: PeriodEnd = "", bis: PeriodEnd = ""
) -> Response:
    errors: dict[str, str] = {}
    try:
        found = await _dossier(session, settings, von, bis)
    except Invalid as problem:
        errors = {problem.field or "von": pages.text(request, problem.message)}
        found = await dossier(session, now=utcnow(), settings=settings)
    language = chosen_language(request)
    _ = pages.gettext(language)
    chosen = {"von": found["start"].isoformat(), "bis": found["end"].isoformat()}
    return console_render(
        request,
        "console/fairtrade_dossier.html",
        section="fairtrade",
        status_code=422 if errors else 200,
        errors=errors,
        form={"von": von, "bis": bis} if errors else chosen,
        heading=fairtrade_dossier.title_of(found, _, language),
        parts=fairtrade_dossier.parts(found, _, language),
        period_query=f"von={chosen['von']}&bis={chosen['bis']}",
    )


@router.get(DOSSIER + ".pdf")
async def as_pdf(
    request: Request, session: ReadingDep, settings: SettingsDep, von: PeriodEnd = "", bis: PeriodEnd = ""
) -> Response:
    try:
        found = await _dossier(session, settings, von, bis)
    except Invalid as problem:
        raise _in_words(request, problem) from None
    language = chosen_language(request)
    body = fairtrade_dossier.pdf(found, pages.gettext(language), language)
    name = f"fairtrade-dossier-{found['start']}-{found['end']}.pdf"
    return Response(
        body, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE}
    )


@router.get(DOSSIER + ".csv")
async def as_csv(
    request: Request, session: ReadingDep, settings: SettingsDep, von: PeriodEnd = "", bis: PeriodEnd = ""
) -> Response:
    try:
        found = await _dossier(session, settings, von, bis)
    except Invalid as problem:
        raise _in_words(request, problem) from None
    header, rows = fairtrade_dossier.figure_rows(found, pages.gettext(chosen_language(request)))
    response = csv_response(header, rows, f"fairtrade-kennzahlen-{found['start']}-{found['end']}.csv")
    response.headers.update(PRIVATE)
    return response
