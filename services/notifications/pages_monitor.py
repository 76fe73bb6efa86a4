"""The console's impact monitor (/verwaltung/wirkung: every figure with its definition, a chart and a
table, each as CSV, the yearly report as PDF) and audit trail (/verwaltung/protokoll), both from the
projection of the streams (monitor_projection.py).

Who may open them is decided in one place, `console_area` below."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.notifications import audit_queries, monitor_figures, monitor_queries
from services.notifications.monitor_charts import svg
from services.notifications.monitor_rules import Period, period, year_period
from services.notifications.monitor_texts import FIGURES
from services.notifications.pages import pages
from shared.console.pages import console_operator
from shared.console.roles import Operator
from shared.envelope import utcnow
from shared.errors import NotFound
from shared.service import ReadingDep
from shared.spreadsheet import csv_response
from shared.web.i18n import chosen_language

router = APIRouter()
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


def console_area(area: str) -> Callable[[Request], Awaitable[Operator]]:
    """The guard of these pages: a console session whose role has `area` ("monitor", "audit")."""
    return console_operator(area)


MonitorAccess = Annotated[None, Depends(console_area("monitor"))]
AuditAccess = Annotated[None, Depends(console_area("audit"))]


def _period(von: str | None, bis: str | None) -> Period:
    return period(von, bis, utcnow())


@router.get("/verwaltung/wirkung")
async def dashboard(
    request: Request, _: MonitorAccess, session: ReadingDep, von: Month = None, bis: Month = None
) -> HTMLResponse:
    chosen = _period(von, bis)
    lang = chosen_language(request)
    figures = await monitor_figures.compute(session, chosen, utcnow(), lang)
    charts = {figure.key: svg(figure, f"diagramm-{figure.key}") for figure in figures}
    now = utcnow()
    state = await monitor_queries.projection_state(session)
    return pages.render(
        request,
        "monitor/dashboard.html",
        figures=figures,
        charts=charts,
        period=chosen,
        query_string=f"von={chosen.first}&bis={chosen.last}",
        years=[now.year, now.year - 1],
        rebuilt_at=state.get("rebuilt_at"),
    )


@router.get("/verwaltung/wirkung/{name}")
async def download(
    request: Request,
    _: MonitorAccess,
    session: ReadingDep,
    name: Annotated[str, Path(max_length=60)],
    von: Month = None,
    bis: Month = None,
) -> Response:
    """`<figure>.csv` for the chosen period, or `jahresbericht-<year>.pdf`."""
    lang = chosen_language(request)
    report = re.fullmatch(r"jahresbericht-(\d{4})\.pdf", name)
    if report:
        # reportlab only when a PDF is asked for: imported at start, it cost every notifications
        # process about 15 MiB and a tenth of its start-up (bench/README.md, "Start-up and memory").
        from services.notifications.monitor_report import yearly_report

        year = int(report.group(1))
        figures = await monitor_figures.compute(session, year_period(year), utcnow(), lang)
        body = yearly_report(figures, year, utcnow(), pages.gettext(lang))
        headers = {"Content-Disposition": f'attachment; filename="hallobot-wirkungsbericht-{year}.pdf"'}
        return Response(body, media_type="application/pdf", headers=headers)
    key = name.removesuffix(".csv")
    if not name.endswith(".csv") or key not in FIGURES:
        raise NotFound("no such figure")
    chosen = _period(von, bis)
    (figure,) = await monitor_figures.compute(session, chosen, utcnow(), lang, only=key)
    rows = [[label, *row[1:]] for label, row in zip(figure.csv_labels, figure.rows, strict=True)]
    return csv_response(figure.columns, rows, f"hallobot-{key}-{chosen.first}-{chosen.last}.csv")


@router.get("/verwaltung/protokoll")
async def audit(
    request: Request,
    _: AuditAccess,
    session: ReadingDep,
    wer: Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    bereich: Annotated[str | None, Query(pattern="^(|directory|fairtrade|events|wifi|notifications)$")] = None,
    von: Month = None,
    bis: Month = None,
    seite: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    lang = chosen_language(request)
    gettext = pages.gettext(lang)
    filters = audit_queries.Filters(wer or None, bereich or None, _period(von, bis), seite)
    entries, total = await audit_queries.entries(session, filters, lang, gettext)
    names = await audit_queries.account_names(session)
    actors = [
        (actor, audit_queries.actor_label(actor, names, gettext)) for actor in await audit_queries.actors(session)
    ]
    pages_total = max(1, -(-total // audit_queries.PER_PAGE))
    base = {
        "wer": filters.actor or "",
        "bereich": filters.area or "",
        "von": filters.period.first,
        "bis": filters.period.last,
    }
    return pages.render(
        request,
        "monitor/audit.html",
        entries=[(entry, audit_queries.actor_label(entry.actor, names, gettext)) for entry in entries],
        total=total,
        filters=filters,
        actors=actors,
        areas=audit_queries.AREAS,
        page_count=pages_total,
        base=base,
    )
